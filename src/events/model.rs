//! Request and response bodies of the event endpoints.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object, types::MaybeUndefined};

use crate::http::Text;

/// What kind of gathering an event is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum EventKind {
    Screening,
    Workshop,
    PublicMeeting,
    Demonstration,
    Delegation,
    Fundraiser,
    Social,
    Other,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum EventStatus {
    /// Seen only by its organisation.
    Draft,
    /// Listed (if public) and open to RSVPs.
    Published,
    /// Called off; stays visible so links and calendars can say so.
    Cancelled,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Visibility {
    /// In the public list and feeds.
    Public,
    /// Reachable by its link only.
    Unlisted,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum RsvpMode {
    /// Anyone may RSVP until it is full.
    Open,
    /// Organisers approve each RSVP (a delegation taking applications).
    Approval,
}

text_enum!(EventKind {
    Screening = "screening",
    Workshop = "workshop",
    PublicMeeting = "public_meeting",
    Demonstration = "demonstration",
    Delegation = "delegation",
    Fundraiser = "fundraiser",
    Social = "social",
    Other = "other",
});
text_enum!(EventStatus { Draft = "draft", Published = "published", Cancelled = "cancelled" });
text_enum!(Visibility { Public = "public", Unlisted = "unlisted" });
text_enum!(RsvpMode { Open = "open", Approval = "approval" });

/// Where an event takes place.
#[derive(Object, Debug, Clone, Default, PartialEq)]
#[oai(deny_unknown_fields)]
pub struct Location {
    pub venue: Option<String>,
    pub address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 (`VE`, `CA`, `GB`).
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// An event.
#[derive(Object, Debug, Clone)]
pub struct Event {
    pub id: String,
    pub slug: String,
    /// The owning organisation's slug.
    pub organisation: String,
    /// The campaign's slug.
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
    pub location: Option<Location>,
    pub online_url: Option<String>,
    /// The forum or delegation this is part of.
    pub parent_id: Option<String>,
    /// Seats, guests included; null for no limit.
    pub capacity: Option<i32>,
    /// Whether supporters beyond capacity join a waitlist.
    pub waitlist: bool,
    pub rsvp_mode: RsvpMode,
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
    pub organisation: Option<Text>,
    /// A campaign of the same organisation, by slug.
    pub campaign: Option<Text>,
    /// Co-hosting organisations, by slug. Each is invited, and is shown as a host
    /// once its organisers accept (at once when you organise it too).
    #[oai(default)]
    pub hosts: Vec<Text>,
    /// Made from the title when left out.
    pub slug: Option<Text>,
    pub kind: EventKind,
    pub title: Text,
    #[oai(default)]
    pub summary: Text,
    /// Markdown.
    #[oai(default)]
    pub description: Text,
    /// BCP 47; `en` when left out.
    pub language: Option<Text>,
    /// An IANA zone; the organisation's when left out.
    pub timezone: Option<Text>,
    /// `YYYY-MM-DDTHH:MM[:SS]` wall-clock time, or `YYYY-MM-DD` when `all_day`.
    pub starts_at: Text,
    /// As `starts_at`; for an all-day event, the last day (inclusive).
    pub ends_at: Text,
    #[oai(default)]
    pub all_day: bool,
    pub location: Option<Location>,
    pub online_url: Option<Text>,
    pub parent_id: Option<Text>,
    pub capacity: Option<i64>,
    #[oai(default)]
    pub waitlist: bool,
    pub rsvp_mode: Option<RsvpMode>,
    pub rsvp_closes_at: Option<DateTime<Utc>>,
    pub visibility: Option<Visibility>,
}

/// Changes to an event: fields left out stay as they are; `null` clears.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
pub struct EventPatch {
    pub campaign: MaybeUndefined<Text>,
    pub hosts: MaybeUndefined<Vec<Text>>,
    pub slug: MaybeUndefined<Text>,
    pub kind: MaybeUndefined<EventKind>,
    pub title: MaybeUndefined<Text>,
    pub summary: MaybeUndefined<Text>,
    pub description: MaybeUndefined<Text>,
    pub language: MaybeUndefined<Text>,
    pub timezone: MaybeUndefined<Text>,
    pub starts_at: MaybeUndefined<Text>,
    pub ends_at: MaybeUndefined<Text>,
    pub all_day: MaybeUndefined<bool>,
    pub location: MaybeUndefined<Location>,
    pub online_url: MaybeUndefined<Text>,
    pub parent_id: MaybeUndefined<Text>,
    pub capacity: MaybeUndefined<i64>,
    pub waitlist: MaybeUndefined<bool>,
    pub rsvp_mode: MaybeUndefined<RsvpMode>,
    pub rsvp_closes_at: MaybeUndefined<DateTime<Utc>>,
    pub visibility: MaybeUndefined<Visibility>,
}

#[derive(Object, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct CancelRequest {
    /// Told to everyone who RSVP'd.
    pub reason: Option<Text>,
}

/// A page of events.
#[derive(Object, Debug)]
pub struct EventPage {
    pub items: Vec<Event>,
    pub next_cursor: Option<String>,
}
