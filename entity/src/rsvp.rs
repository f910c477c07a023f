//! One supporter's answer to one event, with the seats it holds.
use sea_orm::entity::prelude::*;

use crate::domain::Locale;

use crate::values::RsvpStatus;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rsvps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub supporter_id: Uuid,
    pub status: RsvpStatus,
    /// People coming besides the supporter.
    pub guests: i32,
    /// Retired: manage links are in `rsvp_links`, hashed. Holds the row's id, since
    /// SQLite cannot drop a column with a UNIQUE constraint.
    #[sea_orm(unique)]
    pub manage_token: String,
    pub locale: Option<Locale>,
    /// Place in the waitlist: earlier first.
    pub waitlisted_at: Option<DateTimeUtc>,
    pub checked_in_at: Option<DateTimeUtc>,
    /// Set once the 24-hour reminder is queued, so it is queued once.
    pub reminded_at: Option<DateTimeUtc>,
    /// The name given with this RSVP (none on RSVPs older than the column): what
    /// the event's organisers see, rather than a name the supporter gave elsewhere.
    pub name: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
