//! A mailing: an organisation's message to an audience, written per language, sent
//! through the outbox.
use sea_orm::entity::prelude::*;

use crate::values::MailingStatus;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mailings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// Whom it goes to, as JSON (`{"kind": "subscribers"}`, …).
    pub audience: String,
    /// The subject per language, as JSON (`{"en": "…", "es": "…"}`).
    pub subject: String,
    /// The Markdown body per language, as JSON.
    pub body: String,
    /// Replies go here instead of the organisation's contact address.
    pub reply_to: Option<String>,
    pub status: MailingStatus,
    /// When a scheduled mailing is to be queued.
    pub send_at: Option<DateTimeUtc>,
    /// How many it was queued for (0 until queued).
    pub recipients: i32,
    /// Kept when it finishes; counted from the outbox while it sends.
    pub sent: i32,
    pub failed: i32,
    /// Reported back as undeliverable or as abuse after it was sent.
    pub bounced: i32,
    /// Recipients who ended their consent through its unsubscribe link.
    pub unsubscribed: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
