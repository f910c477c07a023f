//! A link to manage an RSVP, kept as the SHA-256 of its token. Each email that
//! carries one mints its own; all of an RSVP's links work until it is erased or
//! placed again after a cancellation.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rsvp_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub rsvp_id: Uuid,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
