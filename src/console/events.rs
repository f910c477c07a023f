//! An organisation's events in the console: the list (upcoming, drafts, past; by
//! kind and campaign), the form that creates and edits every field of the contract
//! with wall times in the event's own zone, children (a forum's workshops, a
//! delegation's itinerary), publish, cancel with a reason, duplicate and delete.
//!
//! The form's fields carry the API's names (`location.venue`); what they mean is
//! decided by `events::service`, as for the API.

use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};
use poem::{handler, http::StatusCode, web::Query};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::held::{
    Edited, Form, Held, Here, InHand, Look, Made, Needs, Org, Write, done, refused, then,
};
use super::{Answer, Console, Current, Fields};
use crate::content::{Change, ContentError};
use crate::domain::{InvalidField, PublicRef, TimeZone};
use crate::events::listing::{Listing, When};
use crate::events::service::{
    Event, EventChanges, EventError, EventKind, EventStatus, Location, NewEvent, RsvpMode,
    Visibility,
};
use crate::pages::{self, see_other};

impl<R: Needs> InHand<'_, Event, R> {
    /// The event as the page heading shows it.
    pub fn view(&self) -> Value {
        let row = &self.item.row;
        json!({
            "id": row.id.to_string(),
            "title": row.title,
            "status": row.status.as_str(),
            "when": row.times().map(|t| crate::email::render::when(&t, self.console.locale)).unwrap_or_default(),
            "capacity": row.capacity,
            "base": self.path(),
        })
    }
}
use crate::words::say;

/// The parts of a place, by their form names.
const PLACE: [&str; 8] = [
    "venue",
    "address",
    "locality",
    "region",
    "postal_code",
    "country",
    "latitude",
    "longitude",
];

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    shown: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    campaign: String,
}

/// `GET /admin/{org}/events`: the organisation's events, upcoming by default.
#[handler]
pub async fn list(org: Org<'_>, query: Query<ListQuery>) -> Answer {
    let (state, console, current) = org.into_parts();
    let listing = Listing {
        when: When::parse(&query.shown).unwrap_or_default(),
        kind: EventKind::parse(&query.kind),
        campaign: Some(query.campaign.clone()).filter(|c| !c.is_empty()),
    };
    let events = state
        .events
        .of_organisation(console.access(), current.model.id, &listing)
        .await
        .map_err(|e| refused(&console, state, &e))?;
    let campaigns = console.campaign_choice(state, &current).await?;
    let rows: Vec<Value> = events.iter().map(|e| summary(e, &console)).collect();
    let context = json!({
        "events": rows,
        "shown": listing.when.as_str(),
        "kind": query.kind,
        "campaign": query.campaign,
        "kinds": kind_choice(&console),
        "campaigns": campaigns,
    });
    Ok(console.render(state, Some(&current), StatusCode::OK, "events", context))
}

/// One event as a row of the list.
pub(super) fn summary(event: &Event, console: &Console) -> Value {
    let row = &event.row;
    json!({
        "id": row.id.to_string(),
        "title": row.title,
        "kind": row.kind.as_str(),
        "status": row.status.as_str(),
        "when": row.times().map(|t| crate::email::render::when(&t, console.locale)).unwrap_or_default(),
        "going": row.going_count,
        "capacity": row.capacity,
        "waitlisted": row.waitlist_count,
        "parent": row.parent_id.map(|p| p.to_string()),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    /// The forum or delegation a new event is part of.
    #[serde(default)]
    parent: String,
}

/// `GET /admin/{org}/events/new`: the form for a new event, in the organisation's
/// zone and language; `?parent=` makes a workshop of a forum or a stop of a
/// delegation, in the parent's zone and language.
#[handler]
pub async fn new_page(org: Org<'_, Write>, query: Query<NewQuery>) -> Answer {
    let (state, console, current) = org.at().parts();
    let mut values = json!({
        "kind": "screening",
        "timezone": current.model.timezone.to_string(),
        "language": current.model.language.as_str(),
        "rsvp_mode": "open",
        "visibility": "public",
    });
    if let Ok(parent_id) = Uuid::parse_str(&query.parent) {
        let parent = Event::read(state, console.access(), current.model.id, parent_id)
            .await
            .map_err(|e| refused(console, state, &e))?;
        values["parent_id"] = parent.row.id.to_string().into();
        values["parent_title"] = parent.row.title.clone().into();
        values["timezone"] = parent.row.timezone.to_string().into();
        values["language"] = parent.row.language.to_string().into();
        values["kind"] = if parent.row.kind == EventKind::Delegation {
            "delegation"
        } else {
            "workshop"
        }
        .into();
        values["campaign"] = parent.campaign.clone().into();
        values["starts_at"] = wall(&parent.row.starts_at).into();
        values["ends_at"] = wall(&parent.row.ends_at).into();
    }
    Event::form_page(org.at(), None, Form::shown(values, json!({}))).await
}

/// `GET /admin/{org}/events/{id}/preview`: the event's page as supporters will see
/// it, a draft too (its form answers only once it is published).
#[handler]
pub async fn preview(hand: InHand<'_, Event, Look>) -> Answer {
    let state = hand.state;
    Ok(pages::public::render_event(state, hand.item, StatusCode::OK, None, false).await)
}

/// `POST /admin/{org}/events/{id}/publish`.
#[handler]
pub async fn publish(hand: InHand<'_, Event, Write>) -> Answer {
    hand.act("published", async |s, a, e| s.events.publish(a, e).await)
        .await
}

/// `POST /admin/{org}/events/{id}/cancel` (field `reason`): attendees are told,
/// with the reason.
#[handler]
pub async fn cancel(hand: InHand<'_, Event, Write>, form: Fields) -> Answer {
    let state = hand.state;
    let console = &hand.console;
    let reason = Some(form.get("reason").to_owned()).filter(|r| !r.trim().is_empty());
    match state
        .events
        .cancel(console.access(), &hand.reference(), reason)
        .await
    {
        Err(EventError::Content(ContentError::Invalid(invalid))) => {
            let form = Form::refused(values_of(&hand.item), console.messages(&invalid.0));
            Event::form_page(hand.at(), Some(&hand.item), form).await
        }
        cancelled => then(&hand, cancelled.map(|_| hand.done("cancelled"))).await,
    }
}

/// `POST /admin/{org}/events/{id}/duplicate`: a draft copy, then its page.
#[handler]
pub async fn duplicate(hand: InHand<'_, Event, Write>) -> Answer {
    let copy = copy_of(&hand.item, &hand.current);
    let made = hand.state.events.create(hand.console.access(), copy).await;
    then(
        &hand,
        made.map(|copy| done(&hand.current, &copy, "duplicated")),
    )
    .await
}

/// `POST /admin/{org}/events/{id}/delete`: a draft only.
#[handler]
pub async fn delete(hand: InHand<'_, Event, Write>) -> Answer {
    let deleted = hand
        .state
        .events
        .delete(hand.console.access(), &hand.reference())
        .await;
    let drafts = format!("{}?shown=drafts", hand.section());
    then(&hand, deleted.map(|()| see_other(&drafts))).await
}

// --- the form -----------------------------------------------------------------------------

/// What an event's form shows: its stored values, wall times in its zone.
fn values_of(event: &Event) -> Value {
    let row = &event.row;
    let location = event.location().unwrap_or_default();
    let zone = row.timezone;
    json!({
        "kind": row.kind.as_str(),
        "title": row.title,
        "slug": row.slug,
        "summary": row.summary,
        "description": row.description,
        "language": row.language.to_string(),
        "timezone": zone.to_string(),
        "starts_at": wall(&row.starts_at),
        "ends_at": wall(&row.ends_at),
        "all_day": row.all_day,
        "location.venue": location.venue,
        "location.address": location.address,
        "location.locality": location.locality,
        "location.region": location.region,
        "location.postal_code": location.postal_code,
        "location.country": location.country,
        "location.latitude": location.latitude.map(|l| l.to_string()),
        "location.longitude": location.longitude.map(|l| l.to_string()),
        "online_url": row.online_url,
        "capacity": row.capacity.map(|c| c.to_string()),
        "waitlist": row.waitlist,
        "rsvp_mode": row.rsvp_mode.as_str(),
        "rsvp_closes_at": row.rsvp_closes_at.map(|t| t.with_timezone(&zone.tz()).format("%Y-%m-%dT%H:%M").to_string()),
        "visibility": row.visibility.as_str(),
        "campaign": event.campaign,
        "hosts": event.hosts.iter().skip(1).chain(event.invited_hosts.iter().flatten()).cloned().collect::<Vec<_>>().join(", "),
        "parent_id": row.parent_id.map(|p| p.to_string()),
    })
}

/// A stored wall time (`2026-02-12T19:00:00`, or a date) as a `datetime-local`
/// input shows it: `2026-02-12T19:00`; a date is that day at midnight.
fn wall(stored: &str) -> String {
    match stored.len() {
        10 => format!("{stored}T00:00"),
        n if n >= 16 => stored[..16].to_owned(),
        _ => stored.to_owned(),
    }
}

/// A form's wall time for the service: an all-day event takes the date alone.
fn wall_in(raw: &str, all_day: bool) -> String {
    let raw = raw.trim();
    if all_day && raw.len() >= 10 {
        raw[..10].to_owned()
    } else {
        raw.to_owned()
    }
}

/// The fields of a form that are not plain text, read or named as refused.
struct Typed {
    kind: Option<EventKind>,
    all_day: bool,
    waitlist: bool,
    capacity: Option<i64>,
    rsvp_mode: Option<RsvpMode>,
    visibility: Option<Visibility>,
    rsvp_closes_at: Option<DateTime<Utc>>,
    location: Option<Location>,
    hosts: Vec<String>,
}

/// What the form's typed values mean, and those that mean nothing (a capacity of
/// "lots"): left out here, and named by the service with every other bad field,
/// so one answer tells them all.
fn typed(form: &Fields, zone_fallback: TimeZone) -> (Typed, Vec<InvalidField>) {
    let mut refused = Vec::new();
    let mut bad = |field: &str, message: &str| refused.push(InvalidField::new(field, message));
    let kind = EventKind::parse(form.get("kind"));
    if kind.is_none() {
        bad("kind", "is not a kind of event");
    }
    let capacity = match form.get("capacity").trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                bad("capacity", "must be a whole number");
                None
            }
        },
    };
    let rsvp_mode = RsvpMode::parse(form.get("rsvp_mode"));
    if rsvp_mode.is_none() {
        bad("rsvp_mode", "must be open or approval");
    }
    let visibility = Visibility::parse(form.get("visibility"));
    if visibility.is_none() {
        bad("visibility", "must be public or unlisted");
    }
    let zone = TimeZone::parse(form.get("timezone")).unwrap_or(zone_fallback);
    let rsvp_closes_at = match form.get("rsvp_closes_at").trim() {
        "" => None,
        raw => match instant_in(raw, zone) {
            Ok(at) => Some(at),
            Err(field) => {
                refused.push(field);
                None
            }
        },
    };
    let mut location = Location::default();
    let mut any_place = false;
    for part in PLACE {
        let value = form.get(&format!("location.{part}")).trim();
        if value.is_empty() {
            continue;
        }
        any_place = true;
        let text = Some(value.to_owned());
        match part {
            "venue" => location.venue = text,
            "address" => location.address = text,
            "locality" => location.locality = text,
            "region" => location.region = text,
            "postal_code" => location.postal_code = text,
            "country" => location.country = text.map(|c| c.to_uppercase()),
            "latitude" | "longitude" => match value.replace(',', ".").parse::<f64>() {
                Ok(n) if part == "latitude" => location.latitude = Some(n),
                Ok(n) => location.longitude = Some(n),
                Err(_) => refused.push(InvalidField::new(
                    format!("location.{part}"),
                    "must be a number",
                )),
            },
            _ => {}
        }
    }
    let hosts = form
        .get("hosts")
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect();
    let typed = Typed {
        kind,
        all_day: form.get("all_day") == "yes",
        waitlist: form.get("waitlist") == "yes",
        capacity,
        rsvp_mode,
        visibility,
        rsvp_closes_at,
        location: any_place.then_some(location),
        hosts,
    };
    (typed, refused)
}

/// A wall time typed in `zone` as an instant; a time the clocks skip is named.
fn instant_in(raw: &str, zone: TimeZone) -> Result<DateTime<Utc>, InvalidField> {
    let wall = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| InvalidField::new("rsvp_closes_at", "must be a date and time"))?;
    match zone.tz().from_local_datetime(&wall) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            Ok(t.with_timezone(&Utc))
        }
        chrono::LocalResult::None => Err(InvalidField {
            refusal: crate::domain::Refusal::Skipped,
            ..InvalidField::new("rsvp_closes_at", "does not exist in the event's zone")
        }),
    }
}

/// A new event from the form, in the organisation in hand, and the fields it
/// could not read.
fn new_event(form: &Fields, current: &Current) -> (NewEvent, Vec<InvalidField>) {
    let (typed, unreadable) = typed(form, current.model.timezone);
    let text = |name: &str| form.get(name).to_owned();
    let optional = |name: &str| Some(form.get(name).trim().to_owned()).filter(|v| !v.is_empty());
    let new = NewEvent {
        organisation: Some(current.model.slug.clone()),
        campaign: optional("campaign"),
        hosts: typed.hosts,
        slug: optional("slug"),
        kind: typed.kind.unwrap_or(EventKind::Other),
        title: text("title"),
        summary: text("summary"),
        description: text("description"),
        language: optional("language"),
        timezone: optional("timezone"),
        starts_at: wall_in(form.get("starts_at"), typed.all_day),
        ends_at: wall_in(form.get("ends_at"), typed.all_day),
        all_day: typed.all_day,
        location: typed.location,
        online_url: optional("online_url"),
        parent_id: optional("parent_id"),
        capacity: typed.capacity,
        waitlist: typed.waitlist,
        rsvp_mode: typed.rsvp_mode,
        rsvp_closes_at: typed.rsvp_closes_at,
        visibility: typed.visibility,
    };
    (new, unreadable)
}

/// The changes a saved form asks for (every field, an empty optional one
/// cleared), and the fields it could not read.
fn changes(form: &Fields, event: &Event) -> (EventChanges, Vec<InvalidField>) {
    let (typed, unreadable) = typed(form, event.row.timezone);
    let set = |name: &str| Change::Set(form.get(name).to_owned());
    let optional = |name: &str| match form.get(name).trim() {
        "" => Change::Clear,
        value => Change::Set(value.to_owned()),
    };
    let changes = EventChanges {
        campaign: optional("campaign"),
        hosts: Change::Set(typed.hosts),
        slug: set("slug"),
        kind: typed.kind.map_or(Change::Keep, Change::Set),
        title: set("title"),
        summary: set("summary"),
        description: set("description"),
        language: set("language"),
        timezone: set("timezone"),
        starts_at: Change::Set(wall_in(form.get("starts_at"), typed.all_day)),
        ends_at: Change::Set(wall_in(form.get("ends_at"), typed.all_day)),
        all_day: Change::Set(typed.all_day),
        location: or_clear(typed.location),
        online_url: optional("online_url"),
        // The parent is chosen when the event is made, not in its form.
        parent_id: Change::Keep,
        capacity: or_clear(typed.capacity),
        waitlist: Change::Set(typed.waitlist),
        rsvp_mode: typed.rsvp_mode.map_or(Change::Keep, Change::Set),
        rsvp_closes_at: or_clear(typed.rsvp_closes_at),
        visibility: typed.visibility.map_or(Change::Keep, Change::Set),
    };
    (changes, unreadable)
}

/// A value given, or a field cleared.
fn or_clear<T>(value: Option<T>) -> Change<T> {
    value.map_or(Change::Clear, Change::Set)
}

/// A draft with everything of `event` but its slug (a new one is made from the
/// title) and co-hosts (they are asked again when wanted).
fn copy_of(event: &Event, current: &Current) -> NewEvent {
    let row = &event.row;
    NewEvent {
        organisation: Some(current.model.slug.clone()),
        campaign: event.campaign.clone(),
        hosts: Vec::new(),
        slug: None,
        kind: row.kind,
        title: row.title.clone(),
        summary: row.summary.clone(),
        description: row.description.clone(),
        language: Some(row.language.to_string()),
        timezone: Some(row.timezone.to_string()),
        starts_at: row.starts_at.clone(),
        ends_at: row.ends_at.clone(),
        all_day: row.all_day,
        location: event.location(),
        online_url: row.online_url.clone(),
        parent_id: row.parent_id.map(|p| p.to_string()),
        capacity: row.capacity.map(i64::from),
        waitlist: row.waitlist,
        rsvp_mode: Some(row.rsvp_mode),
        rsvp_closes_at: row.rsvp_closes_at,
        visibility: Some(row.visibility),
    }
}

// --- shared pieces ------------------------------------------------------------------------

fn kind_choice(console: &Console) -> Vec<[String; 2]> {
    console.choices("event_kind.", EventKind::ALL.map(EventKind::as_str))
}

impl Made for Event {
    async fn create(at: Here<'_>, form: &Fields) -> Result<Event, EventError> {
        let (new, unreadable) = new_event(form, at.current);
        let events = &at.state.events;
        events
            .create_noting(at.console.access(), new, unreadable)
            .await
    }

    async fn change(at: Here<'_>, event: &Event, form: &Fields) -> Result<Event, EventError> {
        let (changes, unreadable) = changes(form, event);
        let reference = PublicRef::Id(event.row.id);
        let events = &at.state.events;
        events
            .change_noting(at.console.access(), &reference, changes, unreadable)
            .await
    }
}

impl Edited for Event {
    const WORDS: &'static str = "console.event";
    const DONE: &'static [&'static str] = &["saved", "published", "cancelled", "duplicated"];

    fn values(&self, _: &Current) -> Value {
        values_of(self)
    }

    /// The event's page: its form, and for an event that exists its links, children
    /// and actions.
    async fn form_page(at: Here<'_>, event: Option<&Event>, form: Form) -> Answer {
        let (state, console, current) = at.parts();
        let campaigns = console.campaign_choice(state, current).await?;
        let mut context = json!({
            "values": form.values,
            "errors": form.errors,
            "kinds": kind_choice(console),
            "campaigns": campaigns,
            "timezones": super::timezones(),
            "languages": super::language_choice(),
            "rsvp_modes": console.choices("console.event.rsvp_mode_", RsvpMode::ALL.map(RsvpMode::as_str)),
            "visibilities": console.choices("console.event.visibility_", Visibility::ALL.map(Visibility::as_str)),
        });
        if let Some(event) = event {
            let row = &event.row;
            let public_url = &state.site.public_url;
            let links = crate::calendar::links::for_event(row, &event.organisation, public_url);
            let children = state
                .events
                .children_of(console.access(), row)
                .await
                .map_err(|e| refused(console, state, &e))?;
            context["event"] = json!({
                "id": row.id.to_string(),
                "title": row.title,
                "status": row.status.as_str(),
                "kind": row.kind.as_str(),
                "sequence": row.sequence,
                "going": row.going_count,
                "waitlisted": row.waitlist_count,
                "capacity": row.capacity,
                "cancel_reason": row.cancel_reason,
                "url": format!("{public_url}/events/{}", row.slug),
                "ics_url": links.ics,
                "webcal_url": links.webcal,
                "google_url": links.google,
                "feed_url": format!("{public_url}/organisations/{}/calendar.ics", event.organisation),
                "campaign_feed_url": event.campaign.as_ref().map(|c| format!("{public_url}/campaigns/{c}/calendar.ics")),
                "when": row.times().map(|t| crate::email::render::when(&t, console.locale)).unwrap_or_default(),
                "place": pages::public::place_of(row),
                "takes_children": matches!(row.kind, EventKind::Delegation) || row.parent_id.is_none(),
                "children": children.iter().map(|c| summary(c, console)).collect::<Vec<_>>(),
                "parent": row.parent_id.map(|p| p.to_string()),
            });
            // Places taken over time against the capacity (see `stats`): the page
            // stands without it should it fail.
            match state
                .stats
                .going_over_time(console.access(), &PublicRef::Id(row.id))
                .await
            {
                Ok(going) => {
                    context["going_chart"] = super::charts::capacity(
                        console.locale,
                        "going",
                        &going.daily,
                        going.capacity,
                    );
                }
                Err(e) => tracing::warn!(error = %e, "the event's chart failed"),
            }
        }
        let template = if event.is_some() {
            "event"
        } else {
            "event_new"
        };
        Ok(console.render(state, Some(current), form.status, template, context))
    }

    /// Publishing a cancelled event, deleting a published one.
    fn not_now(console: &Console, e: &EventError) -> Option<String> {
        match e.code() {
            code @ ("not_draft" | "already_cancelled" | "not_published") => {
                Some(say(console.locale, &format!("console.event.{code}"), &[]))
            }
            _ => None,
        }
    }
}

/// The status words an event shows with in the list.
pub fn status_words(console: &Console, status: EventStatus) -> String {
    say(
        console.locale,
        &format!("console.event.status_{}", status.as_str()),
        &[],
    )
}
