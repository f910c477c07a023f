//! An event. Its times are kept as wall-clock text in its own zone (what the
//! organiser meant) beside the UTC instants derived from them (what queries sort on).
use sea_orm::entity::prelude::*;

use crate::domain::{Country, EventTimes, InvalidField, Language, Place, TimeZone};

use crate::values::{EventKind, EventStatus, RsvpMode, Visibility};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub campaign_id: Option<Uuid>,
    #[sea_orm(unique)]
    pub slug: String,
    pub kind: EventKind,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub language: Language,
    pub timezone: TimeZone,
    /// `YYYY-MM-DDTHH:MM:SS`, or `YYYY-MM-DD` when `all_day`.
    pub starts_at: String,
    /// As `starts_at`; for an all-day event, the last day (inclusive).
    pub ends_at: String,
    pub all_day: bool,
    pub starts_at_utc: DateTimeUtc,
    pub ends_at_utc: DateTimeUtc,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: Option<Country>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    pub parent_id: Option<Uuid>,
    pub capacity: Option<i32>,
    pub waitlist: bool,
    pub rsvp_mode: RsvpMode,
    pub rsvp_closes_at: Option<DateTimeUtc>,
    pub status: EventStatus,
    pub visibility: Visibility,
    pub sequence: i32,
    pub going_count: i32,
    pub waitlist_count: i32,
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// When it takes place, read back from the wall-clock columns and the zone.
    pub fn times(&self) -> Result<EventTimes, InvalidField> {
        EventTimes::from_stored(&self.starts_at, &self.ends_at, self.all_day, self.timezone)
    }

    /// Where it takes place (empty for an online-only event).
    pub fn place(&self) -> Place {
        Place {
            venue: self.venue.clone(),
            address: self.address.clone(),
            locality: self.locality.clone(),
            region: self.region.clone(),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
            latitude: self.latitude,
            longitude: self.longitude,
        }
    }
}
