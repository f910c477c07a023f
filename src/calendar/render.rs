//! One event, or a feed of them, as an iCalendar object.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ics::{
    ICalendar,
    components::{Parameter, Property},
};
use uuid::Uuid;

use super::{text, vtimezone::vtimezone};
use crate::domain::{EventTimes, Place, Schedule};
use entity::values::{EventKind, EventStatus};

/// How often subscribed clients should fetch a feed again.
const REFRESH: &str = "PT1H";

/// The iTIP method of a calendar object (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A feed, or an event sent for information (an RSVP confirmation).
    Publish,
    /// The event is called off.
    Cancel,
}

/// What a calendar is called and how clients should treat it.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    pub name: String,
    pub method: Method,
    /// Subscribed feeds tell clients how often to refresh; a one-off file does not.
    pub subscribed: bool,
}

/// An event with what its calendar entry needs, independent of where it came from.
#[derive(Debug, Clone)]
pub struct CalendarEvent {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub description: String,
    pub kind: EventKind,
    pub times: EventTimes,
    /// Empty for an online-only event.
    pub place: Place,
    pub online_url: Option<String>,
    /// The event's page.
    pub url: String,
    pub organiser_name: String,
    pub organiser_email: String,
    pub status: EventStatus,
    pub cancel_reason: Option<String>,
    pub sequence: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CalendarEvent {
    /// An event row as a calendar entry; `None` if its stored times no longer parse.
    pub fn of(
        row: entity::event::Model,
        organiser_name: String,
        public_url: &str,
        organiser_email: &str,
    ) -> Option<Self> {
        let times = row.times().ok()?;
        let place = row.place();
        Some(Self {
            id: row.id,
            parent_id: row.parent_id,
            url: format!("{public_url}/events/{}", row.slug),
            title: row.title,
            summary: row.summary,
            description: row.description,
            kind: row.kind,
            times,
            place,
            online_url: row.online_url,
            organiser_name,
            organiser_email: organiser_email.to_owned(),
            status: row.status,
            cancel_reason: row.cancel_reason,
            sequence: row.sequence,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The UID an event keeps for ever: its id never changes, whatever else does.
pub fn uid(id: Uuid) -> String {
    format!("{id}@turnout")
}

fn utc_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Render a calendar: VTIMEZONEs for the zones the timed events use, then the events
/// in order of start.
pub fn render(events: &[CalendarEvent], meta: &FeedMeta) -> String {
    let mut calendar = ICalendar::new("2.0", "-//Turnout//Turnout events//EN");
    calendar.push(Property::new("CALSCALE", "GREGORIAN"));
    calendar.push(Property::new(
        "METHOD",
        match meta.method {
            Method::Publish => "PUBLISH",
            Method::Cancel => "CANCEL",
        },
    ));
    if meta.subscribed {
        let name = text::escape(&meta.name);
        calendar.push(Property::new("NAME", name.clone()));
        calendar.push(Property::new("X-WR-CALNAME", name));
        let mut zones = events.iter().map(|e| e.times.zone().name());
        if let Some(first) = zones.next()
            && zones.all(|z| z == first)
        {
            calendar.push(Property::new("X-WR-TIMEZONE", first));
        }
        calendar.push(ics::properties::RefreshInterval::new(REFRESH));
        calendar.push(Property::new("X-PUBLISHED-TTL", REFRESH));
    }

    // The span of the timed events in each zone, for its VTIMEZONE.
    let mut spans: BTreeMap<&'static str, (chrono_tz::Tz, DateTime<Utc>, DateTime<Utc>)> =
        BTreeMap::new();
    for e in events.iter().filter(|e| !e.times.all_day()) {
        let zone = e.times.zone();
        let span = spans.entry(zone.name()).or_insert((
            zone.tz(),
            e.times.starts_utc(),
            e.times.ends_utc(),
        ));
        span.1 = span.1.min(e.times.starts_utc());
        span.2 = span.2.max(e.times.ends_utc());
    }
    for (tz, from, to) in spans.into_values() {
        calendar.add_component(vtimezone(tz, from, to));
    }

    let mut ordered: Vec<&CalendarEvent> = events.iter().collect();
    ordered.sort_by_key(|e| (e.times.starts_utc(), e.id));
    for event in ordered {
        calendar.add_event(vevent(event, meta.method));
    }
    text::refold(&calendar.to_string())
}

fn vevent(e: &CalendarEvent, method: Method) -> ics::Event<'static> {
    let mut v = ics::Event::new(uid(e.id), utc_stamp(e.updated_at));
    v.push(Property::new("SEQUENCE", e.sequence.max(0).to_string()));
    v.push(Property::new("CREATED", utc_stamp(e.created_at)));
    v.push(Property::new("LAST-MODIFIED", utc_stamp(e.updated_at)));
    match e.times.schedule() {
        Schedule::Timed { start, end } => {
            let zone = e.times.zone().name();
            for (name, at) in [("DTSTART", start), ("DTEND", end)] {
                let mut p = Property::new(name, at.format("%Y%m%dT%H%M%S").to_string());
                p.add(Parameter::new("TZID", zone));
                v.push(p);
            }
        }
        Schedule::AllDay { first, last } => {
            // DTEND of a DATE event is exclusive: the day after the last.
            let after = last.succ_opt().unwrap_or(last);
            for (name, day) in [("DTSTART", first), ("DTEND", after)] {
                let mut p = Property::new(name, day.format("%Y%m%d").to_string());
                p.add(Parameter::new("VALUE", "DATE"));
                v.push(p);
            }
        }
    }
    v.push(Property::new("SUMMARY", text::escape(&e.title)));
    v.push(Property::new("DESCRIPTION", text::escape(&description(e))));
    if let Some(place) = location_text(e) {
        v.push(Property::new("LOCATION", text::escape(&place)));
    }
    if let Some((lat, lon)) = e.place.geo() {
        v.push(Property::new("GEO", format!("{lat:.6};{lon:.6}")));
    }
    v.push(Property::new("URL", e.url.clone()));
    let mut organizer = Property::new("ORGANIZER", format!("mailto:{}", e.organiser_email));
    organizer.add(Parameter::new("CN", quoted_param(&e.organiser_name)));
    v.push(organizer);
    v.push(Property::new(
        "CATEGORIES",
        text::escape(kind_label(e.kind)),
    ));
    let cancelled = e.status == EventStatus::Cancelled || method == Method::Cancel;
    v.push(Property::new(
        "STATUS",
        if cancelled { "CANCELLED" } else { "CONFIRMED" },
    ));
    if let Some(parent) = e.parent_id {
        let mut related = Property::new("RELATED-TO", uid(parent));
        related.add(Parameter::new("RELTYPE", "PARENT"));
        v.push(related);
    }
    v
}

/// A parameter value may hold neither `"` nor control characters; one with `:`, `;`
/// or `,` must be quoted (RFC 5545 §3.2).
fn quoted_param(raw: &str) -> String {
    let clean: String = raw
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

fn description(e: &CalendarEvent) -> String {
    let mut parts = Vec::new();
    if e.status == EventStatus::Cancelled {
        let reason = e.cancel_reason.as_deref().unwrap_or_default();
        parts.push(format!("CANCELLED. {reason}").trim().to_owned());
    }
    if !e.summary.is_empty() {
        parts.push(e.summary.clone());
    }
    let body = text::plain_from_markdown(&e.description);
    if !body.is_empty() {
        parts.push(body);
    }
    if let Some(online) = &e.online_url {
        parts.push(format!("Online: {online}"));
    }
    parts.push(e.url.clone());
    parts.join("\n\n")
}

/// The place as one line; an online-only event gives its link, which clients show.
fn location_text(e: &CalendarEvent) -> Option<String> {
    e.place.line().or_else(|| e.online_url.clone())
}

fn kind_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Screening => "Screening",
        EventKind::Workshop => "Workshop",
        EventKind::PublicMeeting => "Public meeting",
        EventKind::Demonstration => "Demonstration",
        EventKind::Delegation => "Delegation",
        EventKind::Fundraiser => "Fundraiser",
        EventKind::Social => "Social",
        EventKind::Other => "Other",
    }
}

/// One event as a calendar object for an email attachment: `PUBLISH` to confirm,
/// `CANCEL` to call it off. Same UID and SEQUENCE as in the feeds, so the client
/// updates the entry it already has.
pub fn event_object(event: &CalendarEvent, method: Method) -> String {
    let meta = FeedMeta {
        name: event.title.clone(),
        method,
        subscribed: false,
    };
    render(std::slice::from_ref(event), &meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TimeZone;

    fn event(title: &str) -> CalendarEvent {
        let zone = TimeZone::parse("America/Toronto").unwrap();
        CalendarEvent {
            id: Uuid::nil(),
            parent_id: None,
            title: title.into(),
            summary: String::new(),
            description: String::new(),
            kind: EventKind::Screening,
            times: EventTimes::parse("2026-11-02T19:00", "2026-11-02T21:00", false, zone).unwrap(),
            place: Place::default(),
            online_url: Some("https://meet.example.org/x".into()),
            url: "https://turnout.example/events/x".into(),
            organiser_name: "Louis Riel Bolivarian Circle".into(),
            organiser_email: "noreply@turnout.example".into(),
            status: EventStatus::Published,
            cancel_reason: None,
            sequence: 2,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_cancellation_says_cancel_and_cancelled() {
        let text = event_object(&event("Screening"), Method::Cancel);
        assert!(text.contains("METHOD:CANCEL\r\n"), "{text}");
        assert!(text.contains("STATUS:CANCELLED\r\n"), "{text}");
        assert!(text.contains("SEQUENCE:2\r\n"), "{text}");
        assert!(!text.contains("REFRESH-INTERVAL"), "{text}");
    }

    #[test]
    fn a_title_cannot_inject_a_property() {
        let text = event_object(
            &event("Film\r\nSTATUS:CANCELLED, again; yes"),
            Method::Publish,
        );
        assert!(
            text.contains("SUMMARY:Film\\nSTATUS:CANCELLED\\, again\\; yes\r\n"),
            "{text}"
        );
        assert!(!text.contains("\r\nSTATUS:CANCELLED\r\n"), "{text}");
    }

    #[test]
    fn an_online_event_gives_its_link_as_location() {
        let text = event_object(&event("Online"), Method::Publish);
        assert!(
            text.contains("LOCATION:https://meet.example.org/x\r\n"),
            "{text}"
        );
        assert!(
            text.contains("DTSTART;TZID=America/Toronto:20261102T190000\r\n"),
            "{text}"
        );
    }
}
