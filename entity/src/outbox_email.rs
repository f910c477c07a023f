//! An email waiting to be sent, written in the transaction of what caused it.
use sea_orm::entity::prelude::*;

use crate::domain::Locale;

use crate::values::EmailStatus;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_emails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub recipient: String,
    pub recipient_name: String,
    /// The template's name, such as `rsvp_going`.
    pub template: String,
    pub locale: Locale,
    /// The template's context, as JSON.
    pub context: String,
    /// An iCalendar attachment, rendered at enqueue time.
    pub attachment_ics: Option<String>,
    /// Fixed at enqueue, so a retry is recognisably the same message.
    pub message_id: String,
    /// For non-transactional email: the one-click unsubscribe URL (RFC 8058).
    pub unsubscribe_url: Option<String>,
    pub status: EmailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A worker's claim; past it, the claim lapses and another may send.
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// The organisation the email was sent for, whose organisers see it if it fails.
    pub organisation_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The mailing it is one email of; none for the emails an action causes.
    pub mailing_id: Option<Uuid>,
    /// 0 for the emails an action causes, 1 for a mailing's: the worker takes the
    /// lower first, so a confirmation never waits behind a mailing.
    pub priority: i16,
}

impl ActiveModelBehavior for ActiveModel {}
