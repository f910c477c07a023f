//! An API token, kept only as the SHA-256 of the secret the organiser holds.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organiser_id: Uuid,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    /// When it last authenticated a request (to the hour): unused for 90 days, it
    /// stops working.
    pub last_used_at: Option<DateTimeUtc>,
    /// What the organiser called it ("laptop", "the Zapier link").
    pub name: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
