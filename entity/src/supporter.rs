//! A supporter: anyone who RSVPs, signs or donates, one per email address.
use sea_orm::entity::prelude::*;

use crate::domain::{Locale, SupporterEmail};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supporters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Trimmed and lower-cased; after erasure, a placeholder that matches no address.
    #[sea_orm(unique)]
    pub email_key: String,
    pub email: SupporterEmail,
    pub name: String,
    /// `en`, `es` or `fr` when the supporter chose one.
    pub locale: Option<Locale>,
    /// Agreed to hear about future campaigns.
    pub subscribed: bool,
    /// Turned off reminders and other non-transactional email.
    pub unsubscribed_at: Option<DateTimeUtc>,
    /// Retired: feed links are in `feed_links`, hashed. Holds the row's id, since
    /// SQLite cannot drop a column with a UNIQUE constraint.
    #[sea_orm(unique)]
    pub feed_token: String,
    pub erased_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
