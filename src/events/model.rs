//! Request and response bodies of the event endpoints.

use chrono::{DateTime, Utc};
pub use entity::values::{EventKind, EventStatus, RsvpMode, Visibility};
use poem_openapi::Object;

use super::service;
use crate::http::{
    Text,
    content::{page_body, patch_body, same_fields},
    instant,
};

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

patch_body! {
    /// Changes to an event: fields left out stay as they are; `null` clears.
    EventPatch => service::EventChanges {
        campaign: Text,
        hosts: Vec<Text> => |hosts: Vec<Text>| hosts.into_iter().map(Into::into).collect(),
        slug: Text,
        kind: EventKind,
        title: Text,
        summary: Text,
        description: Text,
        language: Text,
        timezone: Text,
        starts_at: Text,
        ends_at: Text,
        all_day: bool,
        location: Location,
        online_url: Text,
        parent_id: Text,
        capacity: i64,
        waitlist: bool,
        rsvp_mode: RsvpMode,
        rsvp_closes_at: DateTime<Utc>,
        visibility: Visibility,
    }
}

#[derive(Object, Debug, Default)]
#[oai(deny_unknown_fields)]
pub struct CancelRequest {
    /// Told to everyone who RSVP'd.
    #[oai(nullable)]
    pub reason: Option<Text>,
}

/// The reason, as the service tells it to everyone who RSVP'd.
impl From<CancelRequest> for Option<String> {
    fn from(req: CancelRequest) -> Self {
        req.reason.map(String::from)
    }
}

page_body!(
    /// A page of events.
    EventPage of Event
);

same_fields!(Location, service::Location, both ways {
    venue,
    address,
    locality,
    region,
    postal_code,
    country,
    latitude,
    longitude,
});

impl Event {
    /// An event as the API shows it, with its links on the site at `public_url`.
    pub fn of(e: service::Event, public_url: &str) -> Self {
        let location = e.location().map(Into::into);
        let service::Event {
            row,
            organisation,
            campaign,
            hosts,
            invited_hosts,
        } = e;
        let links = crate::calendar::links::for_event(&row, &organisation, public_url);
        Self {
            url: format!("{public_url}/events/{}", row.slug),
            ics_url: links.ics,
            webcal_url: links.webcal,
            google_calendar_url: links.google,
            id: row.id.to_string(),
            slug: row.slug,
            organisation,
            campaign,
            hosts,
            invited_hosts,
            kind: row.kind,
            title: row.title,
            summary: row.summary,
            description: row.description,
            language: row.language.to_string(),
            timezone: row.timezone.to_string(),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            all_day: row.all_day,
            starts_at_utc: instant(row.starts_at_utc),
            ends_at_utc: instant(row.ends_at_utc),
            location,
            online_url: row.online_url,
            parent_id: row.parent_id.map(|p| p.to_string()),
            capacity: row.capacity,
            waitlist: row.waitlist,
            rsvp_mode: row.rsvp_mode,
            rsvp_closes_at: row.rsvp_closes_at.map(instant),
            status: row.status,
            visibility: row.visibility,
            sequence: row.sequence,
            going_count: row.going_count,
            waitlist_count: row.waitlist_count,
            cancel_reason: row.cancel_reason,
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        }
    }

    /// Events as the API shows them.
    pub fn all(events: Vec<service::Event>, public_url: &str) -> Vec<Self> {
        events
            .into_iter()
            .map(|e| Self::of(e, public_url))
            .collect()
    }
}

impl From<NewEvent> for service::NewEvent {
    fn from(new: NewEvent) -> Self {
        Self {
            organisation: new.organisation.map(Into::into),
            campaign: new.campaign.map(Into::into),
            hosts: new.hosts.into_iter().map(Into::into).collect(),
            slug: new.slug.map(Into::into),
            kind: new.kind,
            title: new.title.into(),
            summary: new.summary.into(),
            description: new.description.into(),
            language: new.language.map(Into::into),
            timezone: new.timezone.map(Into::into),
            starts_at: new.starts_at.into(),
            ends_at: new.ends_at.into(),
            all_day: new.all_day,
            location: new.location.map(Into::into),
            online_url: new.online_url.map(Into::into),
            parent_id: new.parent_id.map(Into::into),
            capacity: new.capacity,
            waitlist: new.waitlist,
            rsvp_mode: new.rsvp_mode,
            rsvp_closes_at: new.rsvp_closes_at,
            visibility: new.visibility,
        }
    }
}
