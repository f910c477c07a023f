//! A one-time link for an organiser (password reset, console sign-in), kept as the
//! SHA-256 of its token.
use sea_orm::entity::prelude::*;

use crate::values::LinkPurpose;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organiser_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organiser_id: Uuid,
    pub purpose: LinkPurpose,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
