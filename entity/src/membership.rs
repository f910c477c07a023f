//! An organiser's role in one organisation.
use sea_orm::entity::prelude::*;

use crate::values::Role;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub organiser_id: Uuid,
    pub role: Role,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
