//! Request and response bodies of the event endpoints.

use chrono::{DateTime, Utc};
pub use entity::values::{EventKind, EventStatus, RsvpMode, Visibility};
use poem_openapi::{Object, types::MaybeUndefined};

use crate::http::Text;

/// Where an event takes place.
#[derive(Object, Debug, Clone, Default, PartialEq)]
#[oai(deny_unknown_fields)]
pub struct Location {
    #[oai(nullable)]
    pub venue: Option<String>,
    #[oai(nullable)]
    pub address: Option<String>,
    #[oai(nullable)]
    pub locality: Option<String>,
    #[oai(nullable)]
    pub region: Option<String>,
    #[oai(nullable)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 (`VE`, `CA`, `GB`).
    #[oai(nullable)]
    pub country: Option<String>,
    #[oai(nullable)]
    pub latitude: Option<f64>,
    #[oai(nullable)]
    pub longitude: Option<f64>,
}

impl Event {
    /// Its times, read back from the view's wall-clock text and zone (the pages
    /// still work from views; see issue 16).
    pub fn times(&self) -> Option<crate::domain::EventTimes> {
        let zone = crate::domain::TimeZone::parse(&self.timezone).ok()?;
        crate::domain::EventTimes::from_stored(&self.starts_at, &self.ends_at, self.all_day, zone)
            .ok()
    }
}

impl From<crate::domain::Place> for Location {
    fn from(p: crate::domain::Place) -> Self {
        Self {
            venue: p.venue,
            address: p.address,
            locality: p.locality,
            region: p.region,
            postal_code: p.postal_code,
            country: p.country.map(|c| c.to_string()),
            latitude: p.latitude,
            longitude: p.longitude,
        }
    }
}

impl Location {
    /// The place it names (a country is kept only as the stored code it was checked to be).
    pub fn place(&self) -> crate::domain::Place {
        crate::domain::Place {
            venue: self.venue.clone(),
            address: self.address.clone(),
            locality: self.locality.clone(),
            region: self.region.clone(),
            postal_code: self.postal_code.clone(),
            country: self
                .country
                .as_deref()
                .and_then(|c| crate::domain::Country::parse(c).ok()),
            latitude: self.latitude,
            longitude: self.longitude,
        }
    }
}

/// An event.
#[derive(Object, Debug, Clone)]
pub struct Event {
    pub id: String,
    pub slug: String,
    /// The owning organisation's slug.
    pub organisation: String,
    /// The campaign's slug.
    #[oai(nullable)]
    pub campaign: Option<String>,
    /// The slugs of the organisations hosting it, the owner first. A co-host named
    /// in `hosts` appears here once its organisers accept.
    pub hosts: Vec<String>,
    /// For the event's organisers only: the co-hosts invited that have not yet
    /// accepted. They are shown nowhere else and see no attendee until they do.
    #[oai(skip_serializing_if_is_none)]
    pub invited_hosts: Option<Vec<String>>,
    pub kind: EventKind,
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub description: String,
    /// BCP 47 (`en`, `es`, `fr`).
    pub language: String,
    /// The IANA zone the wall-clock times are in.
    pub timezone: String,
    /// Wall-clock `YYYY-MM-DDTHH:MM:SS` in `timezone`; a date when `all_day`.
    pub starts_at: String,
    /// As `starts_at`; for an all-day event, the last day (inclusive).
    pub ends_at: String,
    pub all_day: bool,
    /// RFC 3339 in UTC.
    pub starts_at_utc: String,
    /// RFC 3339 in UTC; for an all-day event, the end of the last day.
    pub ends_at_utc: String,
    #[oai(nullable)]
    pub location: Option<Location>,
    #[oai(nullable)]
    pub online_url: Option<String>,
    /// The forum or delegation this is part of.
    #[oai(nullable)]
    pub parent_id: Option<String>,
    /// Seats, guests included; null for no limit.
    #[oai(nullable)]
    pub capacity: Option<i32>,
    /// Whether supporters beyond capacity join a waitlist.
    pub waitlist: bool,
    pub rsvp_mode: RsvpMode,
    #[oai(nullable)]
    pub rsvp_closes_at: Option<String>,
    pub status: EventStatus,
    pub visibility: Visibility,
    /// The iCalendar SEQUENCE: grows when a published event's time, place or status changes.
    pub sequence: i32,
    pub going_count: i32,
    pub waitlist_count: i32,
    /// The event's page.
    pub url: String,
    /// The event as an iCalendar file.
    pub ics_url: String,
    /// Subscribe to the organisation's calendar feed (webcal://).
    pub webcal_url: String,
    /// Add the event to Google Calendar.
    pub google_calendar_url: String,
    /// Why it was cancelled, when it was.
    #[oai(skip_serializing_if_is_none)]
    pub cancel_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A new event; it starts as a draft.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct NewEvent {
    /// The owning organisation's slug; may be left out by an organiser of only one.
    #[oai(nullable)]
    pub organisation: Option<Text>,
    /// A campaign of the same organisation, by slug.
    #[oai(nullable)]
    pub campaign: Option<Text>,
    /// Co-hosting organisations, by slug. Each is invited, and is shown as a host
    /// once its organisers accept (at once when you organise it too).
    #[oai(default)]
    pub hosts: Vec<Text>,
    /// Made from the title when left out.
    #[oai(nullable)]
    pub slug: Option<Text>,
    pub kind: EventKind,
    pub title: Text,
    #[oai(default)]
    pub summary: Text,
    /// Markdown.
    #[oai(default)]
    pub description: Text,
    /// BCP 47; `en` when left out.
    #[oai(nullable)]
    pub language: Option<Text>,
    /// An IANA zone; the organisation's when left out.
    #[oai(nullable)]
    pub timezone: Option<Text>,
    /// `YYYY-MM-DDTHH:MM[:SS]` wall-clock time, or `YYYY-MM-DD` when `all_day`.
    pub starts_at: Text,
    /// As `starts_at`; for an all-day event, the last day (inclusive).
    pub ends_at: Text,
    #[oai(default)]
    pub all_day: bool,
    #[oai(nullable)]
    pub location: Option<Location>,
    #[oai(nullable)]
    pub online_url: Option<Text>,
    #[oai(nullable)]
    pub parent_id: Option<Text>,
    #[oai(nullable)]
    pub capacity: Option<i64>,
    #[oai(default)]
    pub waitlist: bool,
    #[oai(nullable)]
    pub rsvp_mode: Option<RsvpMode>,
    #[oai(nullable)]
    pub rsvp_closes_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub visibility: Option<Visibility>,
}

/// Changes to an event: fields left out stay as they are; `null` clears.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
pub struct EventPatch {
    #[oai(nullable)]
    pub campaign: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub hosts: MaybeUndefined<Vec<Text>>,
    #[oai(nullable)]
    pub slug: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub kind: MaybeUndefined<EventKind>,
    #[oai(nullable)]
    pub title: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub summary: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub description: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub language: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub timezone: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub starts_at: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub ends_at: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub all_day: MaybeUndefined<bool>,
    #[oai(nullable)]
    pub location: MaybeUndefined<Location>,
    #[oai(nullable)]
    pub online_url: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub parent_id: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub capacity: MaybeUndefined<i64>,
    #[oai(nullable)]
    pub waitlist: MaybeUndefined<bool>,
    #[oai(nullable)]
    pub rsvp_mode: MaybeUndefined<RsvpMode>,
    #[oai(nullable)]
    pub rsvp_closes_at: MaybeUndefined<DateTime<Utc>>,
    #[oai(nullable)]
    pub visibility: MaybeUndefined<Visibility>,
}

#[derive(Object, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct CancelRequest {
    /// Told to everyone who RSVP'd.
    #[oai(nullable)]
    pub reason: Option<Text>,
}

/// A page of events.
#[derive(Object, Debug)]
pub struct EventPage {
    pub items: Vec<Event>,
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}
