//! A Stripe webhook event already handled: each is acted on once.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The event's `type`.
    pub kind: String,
    pub received_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
