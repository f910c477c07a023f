//! The rules of events: who may change them, what makes a valid event, how a
//! published event's `sequence` grows, and how the public finds them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone as _, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, Func, Query},
};
use uuid::Uuid;

use crate::access::{Access, Role};
use crate::content::{self, Change, Checks, ContentError, Cursor, Invalid, Limit, Order, Page};
use crate::domain::{
    Country, EventTimes, InvalidField, Language, Place, PublicRef, Slug, TimeZone, optional_text,
};
pub use entity::values::{EventKind, EventStatus, RsvpMode, Visibility};
use entity::{campaign, event, event_host, organisation};

/// How deep forums and itineraries may nest.
const MAX_DEPTH: usize = 8;

/// Why an event could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error("only a draft can be deleted; cancel a published event instead")]
    NotDraft,
    #[error("a cancelled event cannot be published again")]
    AlreadyCancelled,
    #[error("a draft cannot be cancelled; delete it instead")]
    NotPublished,
    #[error("this organisation is not invited to co-host the event")]
    NotInvited,
}

impl EventError {
    /// A stable name for the kind of refusal, for pages to choose their words by.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Content(e) => e.code(),
            Self::NotDraft => "not_draft",
            Self::AlreadyCancelled => "already_cancelled",
            Self::NotPublished => "not_published",
            Self::NotInvited => "not_invited",
        }
    }

    fn not_found() -> Self {
        ContentError::NotFound("event").into()
    }
}

content::through_content!(EventError);

/// Where an event takes place, as asked: each part is checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub venue: Option<String>,
    pub address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl From<Place> for Location {
    fn from(p: Place) -> Self {
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

/// A new event, as asked; it starts as a draft.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The owning organisation's slug; may be left out by an organiser of only one.
    pub organisation: Option<String>,
    /// A campaign of the same organisation, by slug.
    pub campaign: Option<String>,
    /// Co-hosting organisations, by slug.
    pub hosts: Vec<String>,
    /// Made from the title when left out.
    pub slug: Option<String>,
    pub kind: EventKind,
    pub title: String,
    pub summary: String,
    pub description: String,
    /// `en` when left out.
    pub language: Option<String>,
    /// The organisation's when left out.
    pub timezone: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    pub all_day: bool,
    pub location: Option<Location>,
    pub online_url: Option<String>,
    /// The forum or delegation this is part of, by id.
    pub parent_id: Option<String>,
    pub capacity: Option<i64>,
    pub waitlist: bool,
    pub rsvp_mode: Option<RsvpMode>,
    pub rsvp_closes_at: Option<DateTime<Utc>>,
    pub visibility: Option<Visibility>,
}

/// Changes to an event, field by field.
#[derive(Debug, Clone, Default)]
pub struct EventChanges {
    pub campaign: Change<String>,
    pub hosts: Change<Vec<String>>,
    pub slug: Change<String>,
    pub kind: Change<EventKind>,
    pub title: Change<String>,
    pub summary: Change<String>,
    pub description: Change<String>,
    pub language: Change<String>,
    pub timezone: Change<String>,
    pub starts_at: Change<String>,
    pub ends_at: Change<String>,
    pub all_day: Change<bool>,
    pub location: Change<Location>,
    pub online_url: Change<String>,
    pub parent_id: Change<String>,
    pub capacity: Change<i64>,
    pub waitlist: Change<bool>,
    pub rsvp_mode: Change<RsvpMode>,
    pub rsvp_closes_at: Change<DateTime<Utc>>,
    pub visibility: Change<Visibility>,
}

/// An event with the slugs it refers to by id.
#[derive(Debug, Clone)]
pub struct Event {
    pub row: event::Model,
    /// The owning organisation's slug.
    pub organisation: String,
    /// The campaign's slug.
    pub campaign: Option<String>,
    /// The organisations hosting it, the owner first, then the co-hosts that accepted.
    pub hosts: Vec<String>,
    /// For the event's organisers only: the co-hosts invited that have not accepted.
    pub invited_hosts: Option<Vec<String>>,
}

impl Event {
    /// Where it takes place, when it has a place.
    pub fn location(&self) -> Option<Location> {
        stored_location(&self.row)
    }
}

/// What changed about an event, for the email that tells its attendees.
#[derive(Debug, Clone)]
pub enum EventNews {
    /// Its time or place changed: `previous` is the event before the change.
    Changed { previous: Box<event::Model> },
    /// It was called off.
    Cancelled { reason: Option<String> },
}

/// Those who RSVP'd to events, as events need them: told of a change in its own
/// transaction, and given the seats an organiser adds. The RSVP side provides it
/// when the app is built, so events need not know how RSVPs are kept.
pub trait Attendees: Send + Sync {
    /// Tell everyone with a live RSVP, in the transaction of the change.
    fn tell<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        event: &'a event::Model,
        news: EventNews,
    ) -> BoxFuture<'a, Result<usize, DbErr>>;

    /// An organiser raised the capacity (or lifted it): seats for the waitlist.
    fn seats_added(&self, event_id: Uuid) -> BoxFuture<'_, Result<(), DbErr>>;
}

/// Everything an event is made of, as text still to be checked: built from a new
/// event, or from a stored one with changes applied, so both are checked alike.
#[derive(Debug, Clone)]
struct EventInput {
    campaign: Option<String>,
    hosts: Vec<String>,
    slug: Option<String>,
    kind: EventKind,
    title: String,
    summary: String,
    description: String,
    language: String,
    timezone: String,
    starts_at: String,
    ends_at: String,
    all_day: bool,
    location: Option<Location>,
    online_url: Option<String>,
    parent_id: Option<String>,
    capacity: Option<i64>,
    waitlist: bool,
    rsvp_mode: RsvpMode,
    rsvp_closes_at: Option<DateTime<Utc>>,
    visibility: Visibility,
}

/// A checked event, before the checks that need the database.
struct ValidEvent {
    slug: Option<Slug>,
    kind: EventKind,
    title: String,
    summary: String,
    description: String,
    language: Language,
    times: EventTimes,
    location: Location,
    online_url: Option<String>,
    parent_id: Option<Uuid>,
    capacity: Option<i32>,
    waitlist: bool,
    rsvp_mode: RsvpMode,
    rsvp_closes_at: Option<DateTime<Utc>>,
    visibility: Visibility,
}

impl EventInput {
    fn from_new(new: NewEvent, default_zone: TimeZone) -> Self {
        Self {
            campaign: new.campaign,
            hosts: new.hosts,
            slug: new.slug,
            kind: new.kind,
            title: new.title,
            summary: new.summary,
            description: new.description,
            language: new.language.unwrap_or_else(|| "en".into()),
            timezone: new.timezone.unwrap_or_else(|| default_zone.to_string()),
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            all_day: new.all_day,
            location: new.location,
            online_url: new.online_url,
            parent_id: new.parent_id,
            capacity: new.capacity,
            waitlist: new.waitlist,
            rsvp_mode: new.rsvp_mode.unwrap_or(RsvpMode::Open),
            rsvp_closes_at: new.rsvp_closes_at,
            visibility: new.visibility.unwrap_or(Visibility::Public),
        }
    }

    fn from_stored(row: &event::Model, campaign: Option<String>, hosts: Vec<String>) -> Self {
        Self {
            campaign,
            hosts,
            slug: Some(row.slug.clone()),
            kind: row.kind,
            title: row.title.clone(),
            summary: row.summary.clone(),
            description: row.description.clone(),
            language: row.language.to_string(),
            timezone: row.timezone.to_string(),
            starts_at: row.starts_at.clone(),
            ends_at: row.ends_at.clone(),
            all_day: row.all_day,
            location: stored_location(row),
            online_url: row.online_url.clone(),
            parent_id: row.parent_id.map(|p| p.to_string()),
            capacity: row.capacity.map(i64::from),
            waitlist: row.waitlist,
            rsvp_mode: row.rsvp_mode,
            rsvp_closes_at: row.rsvp_closes_at,
            visibility: row.visibility,
        }
    }

    /// Apply changes; a field that cannot be cleared and is asked to be is noted.
    fn apply(&mut self, changes: EventChanges, c: &mut Checks) {
        fn set<T>(c: &mut Checks, field: &str, change: Change<T>, into: &mut T) {
            if let Some(Some(value)) = c.check(change.required(field)) {
                *into = value;
            }
        }
        fn set_optional<T>(change: Change<T>, into: &mut Option<T>) {
            if let Some(value) = change.optional() {
                *into = value;
            }
        }
        set_optional(changes.campaign, &mut self.campaign);
        if let Some(hosts) = changes.hosts.optional() {
            self.hosts = hosts.unwrap_or_default();
        }
        let mut slug = self.slug.clone().unwrap_or_default();
        set(c, "slug", changes.slug, &mut slug);
        self.slug = Some(slug);
        set(c, "kind", changes.kind, &mut self.kind);
        set(c, "title", changes.title, &mut self.title);
        set(c, "summary", changes.summary, &mut self.summary);
        set(c, "description", changes.description, &mut self.description);
        set(c, "language", changes.language, &mut self.language);
        set(c, "timezone", changes.timezone, &mut self.timezone);
        set(c, "starts_at", changes.starts_at, &mut self.starts_at);
        set(c, "ends_at", changes.ends_at, &mut self.ends_at);
        set(c, "all_day", changes.all_day, &mut self.all_day);
        set_optional(changes.location, &mut self.location);
        set_optional(changes.online_url, &mut self.online_url);
        set_optional(changes.parent_id, &mut self.parent_id);
        set_optional(changes.capacity, &mut self.capacity);
        set(c, "waitlist", changes.waitlist, &mut self.waitlist);
        set(c, "rsvp_mode", changes.rsvp_mode, &mut self.rsvp_mode);
        set_optional(changes.rsvp_closes_at, &mut self.rsvp_closes_at);
        set(c, "visibility", changes.visibility, &mut self.visibility);
    }

    /// Check every field, adding to what `c` already refused.
    fn validate(&self, mut c: Checks) -> Result<ValidEvent, Invalid> {
        let slug = self.slug.as_deref().and_then(|s| c.check(Slug::parse(s)));
        let title = c.title(&self.title);
        let summary = c.check(optional_text("summary", &self.summary, 500));
        let description = c.check(optional_text("description", &self.description, 50_000));
        let language = c.check(Language::parse(&self.language));
        let zone = c.check(TimeZone::parse(&self.timezone));
        let times = zone.and_then(|zone| {
            c.check(EventTimes::parse(
                &self.starts_at,
                &self.ends_at,
                self.all_day,
                zone,
            ))
        });
        let location = c.check(check_location(self.location.clone().unwrap_or_default()));
        let online_url = self
            .online_url
            .as_deref()
            .map(|u| c.check(check_url("online_url", u)))
            .unwrap_or(Some(None));
        let parent_id = match self.parent_id.as_deref() {
            None => Some(None),
            Some(raw) => c.check(
                Uuid::parse_str(raw)
                    .map(Some)
                    .map_err(|_| InvalidField::new("parent_id", "is not an event id")),
            ),
        };
        let capacity = match self.capacity {
            None => Some(None),
            Some(n) => c.check(
                i32::try_from(n)
                    .ok()
                    .filter(|n| (1..=1_000_000).contains(n))
                    .map(Some)
                    .ok_or_else(|| {
                        InvalidField::new(
                            "capacity",
                            "must be from 1 to 1000000, or null for no limit",
                        )
                    }),
            ),
        };
        c.finish()?;
        Ok(ValidEvent {
            slug,
            kind: self.kind,
            title: checked(title),
            summary: checked(summary),
            description: checked(description),
            language: checked(language),
            times: checked(times),
            location: checked(location),
            online_url: checked(online_url),
            parent_id: checked(parent_id),
            capacity: checked(capacity),
            waitlist: self.waitlist,
            rsvp_mode: self.rsvp_mode,
            rsvp_closes_at: self.rsvp_closes_at,
            visibility: self.visibility,
        })
    }
}

/// A part of a request whose checks all passed: a part is missing only when its
/// check refused it.
fn checked<T>(part: Option<T>) -> T {
    match part {
        Some(part) => part,
        None => unreachable!("a part is missing only when its check refused it"),
    }
}

fn check_url(field: &str, raw: &str) -> Result<Option<String>, InvalidField> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(Some(u.to_string()))
        }
        _ => Err(InvalidField::new(field, "must be an absolute http(s) URL")),
    }
}

/// Trim every part of a location (empty parts become absent) and check the rest.
fn check_location(mut l: Location) -> Result<Location, InvalidField> {
    for (name, part) in [
        ("location.venue", &mut l.venue),
        ("location.address", &mut l.address),
        ("location.locality", &mut l.locality),
        ("location.region", &mut l.region),
        ("location.postal_code", &mut l.postal_code),
    ] {
        if let Some(text) = part.take() {
            let text = optional_text(name, &text, 300)?;
            *part = (!text.is_empty()).then_some(text);
        }
    }
    l.country = l
        .country
        .as_deref()
        .map(|c| Country::parse(c).map_err(|e| e.at("location.country")))
        .transpose()?
        .map(|c| c.to_string());
    match (l.latitude, l.longitude) {
        (None, None) => {}
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) {
                return Err(InvalidField::new(
                    "location.latitude",
                    "must be from -90 to 90",
                ));
            }
            if !(-180.0..=180.0).contains(&lon) {
                return Err(InvalidField::new(
                    "location.longitude",
                    "must be from -180 to 180",
                ));
            }
        }
        (Some(_), None) => {
            return Err(InvalidField::new(
                "location.longitude",
                "is needed with latitude",
            ));
        }
        (None, Some(_)) => {
            return Err(InvalidField::new(
                "location.latitude",
                "is needed with longitude",
            ));
        }
    }
    Ok(l)
}

fn stored_location(row: &event::Model) -> Option<Location> {
    let place = row.place();
    (!place.is_empty()).then(|| place.into())
}

/// What the database must confirm: the campaign and parent belong to the same
/// organisation, the co-hosts exist, and the parent chain has no loop.
struct Links {
    campaign_id: Option<Uuid>,
    host_ids: Vec<Uuid>,
}

async fn resolve_links(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    input: &EventInput,
    valid: &ValidEvent,
    this_event: Option<Uuid>,
) -> Result<Links, EventError> {
    let mut c = Checks::default();
    // Refused, it is `None` here and `finish` below answers with the refusal.
    let campaign_id = c
        .campaign(db, organisation_id, input.campaign.as_deref())
        .await?
        .flatten();
    let mut host_ids = Vec::new();
    for slug in &input.hosts {
        let found = organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(slug))
            .one(db)
            .await?;
        match found {
            Some(org) if org.id == organisation_id || host_ids.contains(&org.id) => {}
            Some(org) => host_ids.push(org.id),
            None => c.refuse("hosts", format!("no organisation {slug:?}")),
        }
    }
    if let Some(parent_id) = valid.parent_id {
        c.check(check_parent(db, organisation_id, parent_id, this_event).await?);
    }
    c.finish()?;
    Ok(Links {
        campaign_id,
        host_ids,
    })
}

/// Walk up from the proposed parent: it must be ours, and must not lead back here.
async fn check_parent(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    parent_id: Uuid,
    this_event: Option<Uuid>,
) -> Result<Result<(), InvalidField>, DbErr> {
    let invalid = |m: &str| Ok(Err(InvalidField::new("parent_id", m)));
    let mut next = Some(parent_id);
    let mut depth = 0;
    while let Some(id) = next {
        if Some(id) == this_event {
            return invalid("would make the event its own ancestor");
        }
        depth += 1;
        if depth > MAX_DEPTH {
            return invalid("nests events too deeply");
        }
        let Some(row) = event::Entity::find_by_id(id).one(db).await? else {
            return invalid("is not an event");
        };
        if row.organisation_id != organisation_id {
            return invalid("must be an event of the same organisation");
        }
        next = row.parent_id;
    }
    Ok(Ok(()))
}

/// Filters of the organiser's list.
#[derive(Debug, Default)]
pub struct OwnFilter {
    pub status: Option<EventStatus>,
    pub kind: Option<EventKind>,
    pub campaign: Option<String>,
}

/// Filters of the public list.
#[derive(Debug, Clone, Default)]
pub struct PublicFilter {
    /// Events that end after this instant (default: now).
    pub from: Option<DateTime<Utc>>,
    /// Events that start before this instant.
    pub to: Option<DateTime<Utc>>,
    pub kind: Option<EventKind>,
    pub organisation: Option<String>,
    pub campaign: Option<String>,
    pub country: Option<String>,
    pub locality: Option<String>,
}

/// Where the public list resumes: after the event of the page before that starts
/// last (its start, then its id, as the list is ordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicCursor {
    starts_at: DateTime<Utc>,
    id: Uuid,
}

impl PublicCursor {
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let bad = || InvalidField::new("cursor", "is not a cursor from this list");
        let (ts, id) = raw.split_once('.').ok_or_else(bad)?;
        let id = Uuid::parse_str(id).map_err(|_| bad())?;
        let starts_at = ts
            .parse::<i64>()
            .ok()
            .and_then(|ts| Utc.timestamp_opt(ts, 0).single())
            .ok_or_else(bad)?;
        Ok(Self { starts_at, id })
    }

    fn after(row: &event::Model) -> Self {
        Self {
            starts_at: row.starts_at_utc,
            id: row.id,
        }
    }
}

impl std::fmt::Display for PublicCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.starts_at.timestamp(), self.id)
    }
}

/// A page of the public list.
#[derive(Debug, Clone)]
pub struct PublicPage {
    pub items: Vec<Event>,
    pub next: Option<PublicCursor>,
}

/// Events: drafts, publishing, changes their attendees hear of, co-hosts, and the
/// public's lists.
#[derive(Clone)]
pub struct Events {
    db: DatabaseConnection,
    /// Told of changes to events they RSVP'd to.
    attendees: Arc<dyn Attendees>,
}

impl Events {
    pub(super) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

impl Events {
    pub fn new(db: DatabaseConnection, attendees: Arc<dyn Attendees>) -> Self {
        Self { db, attendees }
    }

    /// Create a draft event.
    pub async fn create(&self, access: &Access, new: NewEvent) -> Result<Event, EventError> {
        self.create_noting(access, new, Vec::new()).await
    }

    /// [`Events::create`], for a caller that refused some fields while reading
    /// what was typed (a form's "lots" for a capacity): those are named with every
    /// other bad field in one answer, and nothing is written.
    #[tracing::instrument(skip_all)]
    pub async fn create_noting(
        &self,
        access: &Access,
        new: NewEvent,
        refused: Vec<InvalidField>,
    ) -> Result<Event, EventError> {
        let db = &self.db;
        let member = access.writable(new.organisation.as_deref())?;
        let org = organisation::Entity::find_by_id(member.organisation_id)
            .one(db)
            .await?
            .ok_or_else(EventError::not_found)?;
        let input = EventInput::from_new(new, org.timezone);
        let valid = input.validate(Checks::from(refused))?;
        let links = resolve_links(db, org.id, &input, &valid, None).await?;
        let now = Utc::now();
        let inserted = content::insert_with_slug(db, valid.slug.clone(), &valid.title, |slug| {
            let mut row = event::ActiveModel {
                id: Set(Uuid::now_v7()),
                organisation_id: Set(org.id),
                status: Set(EventStatus::Draft),
                sequence: Set(0),
                going_count: Set(0),
                waitlist_count: Set(0),
                cancel_reason: Set(None),
                cancelled_at: Set(None),
                created_at: Set(now),
                ..Default::default()
            };
            fill(&mut row, &valid, &links, &slug, now);
            row
        })
        .await?;
        if !links.host_ids.is_empty() {
            let written = async {
                let txn = db.begin().await?;
                write_hosts(&txn, access, inserted.id, &links.host_ids).await?;
                txn.commit().await
            };
            if let Err(e) = written.await {
                // A draft nobody has seen yet: gone rather than without its hosts.
                event::Entity::delete_by_id(inserted.id).exec(db).await?;
                return Err(e.into());
            }
        }
        self.organisers_view(inserted).await
    }

    /// The events of the organiser's organisations, newest first.
    pub async fn list(
        &self,
        access: &Access,
        filter: OwnFilter,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<Event>, EventError> {
        let db = &self.db;
        let mut query = content::of_organisations::<event::Entity>(access);
        if let Some(status) = filter.status {
            query = query.filter(event::Column::Status.eq(status));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(event::Column::Kind.eq(kind));
        }
        if let Some(slug) = filter.campaign {
            let id = campaign_id(db, &slug).await?;
            query = query.filter(event::Column::CampaignId.eq(id));
        }
        let page = content::page(db, query, Order::NewestFirst, limit, cursor).await?;
        Ok(page
            .read(|rows| views(db, rows, Readers::Organisers))
            .await?)
    }

    /// One event, for its organisation's members and its co-hosts'.
    pub async fn get(&self, access: &Access, event: &PublicRef) -> Result<Event, EventError> {
        let row = content::find::<event::Entity>(&self.db, event)
            .await?
            .ok_or_else(EventError::not_found)?;
        if access.role_in(row.organisation_id).is_none() {
            let co_hosts = event_host::Entity::find()
                .filter(event_host::Column::EventId.eq(row.id))
                .filter(event_host::Column::OrganisationId.is_in(access.organisation_ids()))
                .one(&self.db)
                .await?;
            if co_hosts.is_none() {
                return Err(ContentError::Forbidden("event").into());
            }
        }
        self.organisers_view(row).await
    }

    /// Change an event. Once it is published, a change of time or place raises its
    /// `sequence`, so calendars replace their copy instead of keeping the old one.
    pub async fn change(
        &self,
        access: &Access,
        event: &PublicRef,
        changes: EventChanges,
    ) -> Result<Event, EventError> {
        self.change_noting(access, event, changes, Vec::new()).await
    }

    /// [`Events::change`], for a caller that refused some fields while reading
    /// what was typed: named with every other bad field, and nothing is written.
    #[tracing::instrument(skip_all)]
    pub async fn change_noting(
        &self,
        access: &Access,
        event: &PublicRef,
        changes: EventChanges,
        refused: Vec<InvalidField>,
    ) -> Result<Event, EventError> {
        let db = &self.db;
        let row = self.organisers_row(access, event).await?;
        let campaign = match row.campaign_id {
            Some(id) => campaign::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|c| c.slug),
            None => None,
        };
        // Every co-host named so far, invited or accepted: changes that leave `hosts`
        // out must not drop the invitations still waiting for an answer.
        let hosts = co_host_slugs(db, row.id).await?;
        let mut input = EventInput::from_stored(&row, campaign, hosts);
        let mut checks = Checks::from(refused);
        input.apply(changes, &mut checks);
        let valid = input.validate(checks)?;
        let links = resolve_links(db, row.organisation_id, &input, &valid, Some(row.id)).await?;
        let slug = valid
            .slug
            .clone()
            .unwrap_or_else(|| Slug::from_title(&valid.title, "event"));

        let moved = valid.times.starts_utc() != row.starts_at_utc
            || valid.times.ends_utc() != row.ends_at_utc
            || valid.times.all_day() != row.all_day
            || valid.times.zone() != row.timezone
            || Some(&valid.location)
                != stored_location(&row)
                    .as_ref()
                    .or(Some(&Location::default()))
            || valid.online_url != row.online_url;
        let bump = moved && row.status != EventStatus::Draft;
        let more_seats = match (row.capacity, valid.capacity) {
            (_, None) => row.capacity.is_some(),
            (Some(before), Some(after)) => after > before,
            (None, Some(_)) => false,
        };

        let mut active: event::ActiveModel = row.clone().into();
        fill(&mut active, &valid, &links, &slug, Utc::now());
        if bump {
            active.sequence = Set(row.sequence + 1);
        }
        let txn = db.begin().await?;
        let updated = active
            .update(&txn)
            .await
            .map_err(|e| content::slug_refusal(e, Some(slug.clone())))?;
        write_hosts(&txn, access, updated.id, &links.host_ids).await?;
        if bump {
            // Attendees learn of the new time or place with the change itself.
            let previous = Box::new(row);
            self.attendees
                .tell(&txn, &updated, EventNews::Changed { previous })
                .await?;
        }
        txn.commit().await?;
        crate::db::content_changed(db).await?;
        if more_seats {
            self.attendees.seats_added(updated.id).await?;
        }
        let updated = event::Entity::find_by_id(updated.id)
            .one(db)
            .await?
            .ok_or_else(EventError::not_found)?;
        self.organisers_view(updated).await
    }

    /// Publish a draft. Publishing twice changes nothing.
    pub async fn publish(&self, access: &Access, event: &PublicRef) -> Result<Event, EventError> {
        let row = self.organisers_row(access, event).await?;
        let (row, moved) = content::move_to::<event::Entity, EventError>(
            &self.db,
            row,
            EventStatus::Published,
            |from| (from == EventStatus::Cancelled).then_some(EventError::AlreadyCancelled),
        )
        .await?;
        if moved {
            crate::db::content_changed(&self.db).await?;
        }
        self.organisers_view(row).await
    }

    /// Cancel a published event. Cancelling twice changes nothing.
    pub async fn cancel(
        &self,
        access: &Access,
        event: &PublicRef,
        reason: Option<String>,
    ) -> Result<Event, EventError> {
        let reason = reason
            .map(|r| optional_text("reason", &r, 2_000))
            .transpose()?
            .filter(|r| !r.is_empty());
        let row = self.organisers_row(access, event).await?;
        let row = match row.status {
            EventStatus::Cancelled => row,
            EventStatus::Published => {
                let now = Utc::now();
                let sequence = row.sequence + 1;
                let mut active: event::ActiveModel = row.into();
                active.status = Set(EventStatus::Cancelled);
                active.sequence = Set(sequence);
                active.cancel_reason = Set(reason.clone());
                active.cancelled_at = Set(Some(now));
                active.updated_at = Set(now);
                let txn = self.db.begin().await?;
                let cancelled = active.update(&txn).await?;
                self.attendees
                    .tell(&txn, &cancelled, EventNews::Cancelled { reason })
                    .await?;
                txn.commit().await?;
                crate::db::content_changed(&self.db).await?;
                cancelled
            }
            _ => return Err(EventError::NotPublished),
        };
        self.organisers_view(row).await
    }

    /// Delete a draft; anything published stays (cancel it instead).
    pub async fn delete(&self, access: &Access, event: &PublicRef) -> Result<(), EventError> {
        let row = self.organisers_row(access, event).await?;
        if row.status != EventStatus::Draft {
            return Err(EventError::NotDraft);
        }
        let txn = self.db.begin().await?;
        // Children of a deleted forum stay, as events of their own.
        event::Entity::update_many()
            .col_expr(event::Column::ParentId, Expr::value(Option::<Uuid>::None))
            .filter(event::Column::ParentId.eq(row.id))
            .exec(&txn)
            .await?;
        event::Entity::delete_by_id(row.id).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A co-host's organisers accept to host an event: from now on it is shown as a
    /// host, is in their feeds and lists, and they see its attendees. Accepting twice
    /// changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn accept_hosting(
        &self,
        access: &Access,
        event: &PublicRef,
        organisation_slug: &str,
    ) -> Result<Event, EventError> {
        let (row, host) = self.invitation_of(access, event, organisation_slug).await?;
        if host.accepted_at.is_none() {
            let mut active: event_host::ActiveModel = host.into();
            active.accepted_at = Set(Some(Utc::now()));
            active.update(&self.db).await?;
            // The event now belongs in the co-host's feed and public list.
            crate::db::content_changed(&self.db).await?;
        }
        self.organisers_view(row).await
    }

    /// A co-host's organisers decline an invitation, or leave an event they accepted:
    /// the event no longer names them, whoever asks.
    #[tracing::instrument(skip_all)]
    pub async fn decline_hosting(
        &self,
        access: &Access,
        event: &PublicRef,
        organisation_slug: &str,
    ) -> Result<(), EventError> {
        let (_, host) = self.invitation_of(access, event, organisation_slug).await?;
        let was_shown = host.accepted_at.is_some();
        event_host::Entity::delete_by_id((host.event_id, host.organisation_id))
            .exec(&self.db)
            .await?;
        if was_shown {
            crate::db::content_changed(&self.db).await?;
        }
        Ok(())
    }

    /// Published public events that have not ended, soonest first.
    pub async fn public_list(
        &self,
        filter: PublicFilter,
        limit: Limit,
        cursor: Option<PublicCursor>,
    ) -> Result<PublicPage, EventError> {
        let db = &self.db;
        let mut query = event::Entity::find()
            .filter(event::Column::Status.eq(EventStatus::Published))
            .filter(event::Column::Visibility.eq(Visibility::Public))
            .filter(event::Column::EndsAtUtc.gt(filter.from.unwrap_or_else(Utc::now)))
            .order_by_asc(event::Column::StartsAtUtc)
            .order_by_asc(event::Column::Id)
            .limit(limit.get() + 1);
        if let Some(to) = filter.to {
            query = query.filter(event::Column::StartsAtUtc.lt(to));
        }
        query = filtered(db, query, &filter).await?;
        if let Some(after) = cursor {
            query = query.filter(
                Condition::any()
                    .add(event::Column::StartsAtUtc.gt(after.starts_at))
                    .add(
                        Condition::all()
                            .add(event::Column::StartsAtUtc.eq(after.starts_at))
                            .add(event::Column::Id.gt(after.id)),
                    ),
            );
        }
        let mut rows = query.all(db).await?;
        let more = rows.len() as u64 > limit.get();
        rows.truncate(limit.get() as usize);
        let next = rows.last().filter(|_| more).map(PublicCursor::after);
        Ok(PublicPage {
            items: views(db, rows, Readers::Public).await?,
            next,
        })
    }

    /// A published or cancelled event, public or unlisted, by id or slug. Drafts are
    /// nobody's business but their organisation's.
    pub async fn public_get(&self, event: &PublicRef) -> Result<Event, EventError> {
        let row = self.public_row(event).await?;
        self.shown(row).await
    }

    /// The row of a published or cancelled event, by id or slug.
    pub async fn public_row(&self, event: &PublicRef) -> Result<event::Model, EventError> {
        Ok(content::find_published::<event::Entity>(&self.db, event).await?)
    }

    /// An event row as the public sees it.
    pub async fn shown(&self, row: event::Model) -> Result<Event, EventError> {
        views(&self.db, vec![row], Readers::Public)
            .await?
            .pop()
            .ok_or_else(EventError::not_found)
    }

    /// The published public events of a campaign that have not ended.
    pub async fn public_of_campaign(&self, campaign_id: Uuid) -> Result<Vec<Event>, EventError> {
        let rows = event::Entity::find()
            .filter(event::Column::CampaignId.eq(campaign_id))
            .filter(event::Column::Status.eq(EventStatus::Published))
            .filter(event::Column::Visibility.eq(Visibility::Public))
            .filter(event::Column::EndsAtUtc.gt(Utc::now()))
            .order_by_asc(event::Column::StartsAtUtc)
            .limit(200)
            .all(&self.db)
            .await?;
        Ok(views(&self.db, rows, Readers::Public).await?)
    }

    /// The published parts of a forum or delegation (its workshops, its itinerary),
    /// in order, that may be listed on its page: on a public page only public parts,
    /// as an unlisted part is for those given its own link; on an unlisted page
    /// (itself known only to those given its link) its unlisted parts too.
    pub async fn public_children(&self, parent: &event::Model) -> Result<Vec<Event>, EventError> {
        let listed: &[Visibility] = match parent.visibility {
            Visibility::Public => &[Visibility::Public],
            Visibility::Unlisted => &[Visibility::Public, Visibility::Unlisted],
        };
        let rows = event::Entity::find()
            .filter(event::Column::ParentId.eq(parent.id))
            .filter(event::Column::Status.eq(EventStatus::Published))
            .filter(event::Column::Visibility.is_in(listed.iter().copied()))
            .order_by_asc(event::Column::StartsAtUtc)
            .limit(200)
            .all(&self.db)
            .await?;
        Ok(views(&self.db, rows, Readers::Public).await?)
    }

    /// An event an organiser may change.
    async fn organisers_row(
        &self,
        access: &Access,
        event: &PublicRef,
    ) -> Result<event::Model, EventError> {
        Ok(content::find_for::<event::Entity>(&self.db, access, event, Role::Organiser).await?)
    }

    async fn organisers_view(&self, row: event::Model) -> Result<Event, EventError> {
        views(&self.db, vec![row], Readers::Organisers)
            .await?
            .pop()
            .ok_or_else(EventError::not_found)
    }

    /// The event and the host row of `organisation_slug`, which the caller organises.
    async fn invitation_of(
        &self,
        access: &Access,
        event: &PublicRef,
        organisation_slug: &str,
    ) -> Result<(event::Model, event_host::Model), EventError> {
        let organisation_id = access.writable(Some(organisation_slug))?.organisation_id;
        let row = content::find::<event::Entity>(&self.db, event)
            .await?
            .ok_or_else(EventError::not_found)?;
        let host = event_host::Entity::find_by_id((row.id, organisation_id))
            .one(&self.db)
            .await?
            .ok_or(EventError::NotInvited)?;
        Ok((row, host))
    }
}

/// Set the columns that come from a checked event.
fn fill(
    row: &mut event::ActiveModel,
    v: &ValidEvent,
    links: &Links,
    slug: &Slug,
    now: DateTime<Utc>,
) {
    let l = &v.location;
    row.campaign_id = Set(links.campaign_id);
    row.slug = Set(slug.to_string());
    row.kind = Set(v.kind);
    row.title = Set(v.title.clone());
    row.summary = Set(v.summary.clone());
    row.description = Set(v.description.clone());
    row.language = Set(v.language.clone());
    row.timezone = Set(v.times.zone());
    row.starts_at = Set(v.times.starts_at_text());
    row.ends_at = Set(v.times.ends_at_text());
    row.all_day = Set(v.times.all_day());
    row.starts_at_utc = Set(v.times.starts_utc());
    row.ends_at_utc = Set(v.times.ends_utc());
    row.venue = Set(l.venue.clone());
    row.address = Set(l.address.clone());
    row.locality = Set(l.locality.clone());
    row.region = Set(l.region.clone());
    row.postal_code = Set(l.postal_code.clone());
    // Checked by `check_location`.
    row.country = Set(l.country.as_deref().and_then(|c| Country::parse(c).ok()));
    row.latitude = Set(l.latitude);
    row.longitude = Set(l.longitude);
    row.online_url = Set(v.online_url.clone());
    row.parent_id = Set(v.parent_id);
    row.capacity = Set(v.capacity);
    row.waitlist = Set(v.waitlist);
    row.rsvp_mode = Set(v.rsvp_mode);
    row.rsvp_closes_at = Set(v.rsvp_closes_at);
    row.visibility = Set(v.visibility);
    row.updated_at = Set(now);
}

/// Make the event's co-hosts the organisations of `host_ids`, in that order. A co-host
/// that stays keeps its answer; one newly named is only invited, unless the organiser
/// naming it also organises it (naming it is then its consent).
async fn write_hosts(
    db: &impl ConnectionTrait,
    access: &Access,
    event_id: Uuid,
    host_ids: &[Uuid],
) -> Result<(), DbErr> {
    let existing = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(event_id))
        .all(db)
        .await?;
    event_host::Entity::delete_many()
        .filter(event_host::Column::EventId.eq(event_id))
        .filter(event_host::Column::OrganisationId.is_not_in(host_ids.to_vec()))
        .exec(db)
        .await?;
    let now = Utc::now();
    for (position, organisation_id) in host_ids.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        match existing
            .iter()
            .find(|h| h.organisation_id == *organisation_id)
        {
            Some(host) if host.position == position => {}
            Some(host) => {
                let mut row: event_host::ActiveModel = host.clone().into();
                row.position = Set(position);
                row.update(db).await?;
            }
            None => {
                let consents = access.can(*organisation_id, Role::Organiser);
                event_host::ActiveModel {
                    event_id: Set(event_id),
                    organisation_id: Set(*organisation_id),
                    position: Set(position),
                    accepted_at: Set(consents.then_some(now)),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(())
}

/// The slugs of every organisation named as a co-host, invited or accepted, in order.
async fn co_host_slugs(db: &DatabaseConnection, event_id: Uuid) -> Result<Vec<String>, DbErr> {
    let hosts = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(event_id))
        .order_by_asc(event_host::Column::Position)
        .all(db)
        .await?;
    let slugs =
        content::slugs::<entity::organisation::Entity>(db, hosts.iter().map(|h| h.organisation_id))
            .await?;
    Ok(hosts
        .iter()
        .filter_map(|h| slugs.get(&h.organisation_id).cloned())
        .collect())
}

async fn campaign_id(db: &DatabaseConnection, slug: &str) -> Result<Uuid, DbErr> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(|c| c.id)
        .unwrap_or_else(Uuid::nil))
}

/// Who reads the events being described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Readers {
    /// Anyone: `hosts` names only co-hosts that accepted.
    Public,
    /// The event's organisers: they also see whom they invited (`invited_hosts`).
    Organisers,
}

/// Rows with the slugs they refer to, loaded in three queries whatever the number
/// of rows.
pub(super) async fn views(
    db: &DatabaseConnection,
    rows: Vec<event::Model>,
    readers: Readers,
) -> Result<Vec<Event>, DbErr> {
    let ids: Vec<Uuid> = rows.iter().map(|e| e.id).collect();
    let mut hosts: HashMap<Uuid, Vec<event_host::Model>> = HashMap::new();
    let mut query = event_host::Entity::find()
        .filter(event_host::Column::EventId.is_in(ids))
        .order_by_asc(event_host::Column::Position);
    if readers == Readers::Public {
        // An organisation is never shown as hosting what it has not agreed to host.
        query = query.filter(event_host::Column::AcceptedAt.is_not_null());
    }
    for host in query.all(db).await? {
        hosts.entry(host.event_id).or_default().push(host);
    }
    let org_ids = rows
        .iter()
        .map(|e| e.organisation_id)
        .chain(hosts.values().flatten().map(|h| h.organisation_id));
    let orgs = content::slugs::<entity::organisation::Entity>(db, org_ids).await?;
    let campaigns =
        content::slugs::<entity::campaign::Entity>(db, rows.iter().filter_map(|e| e.campaign_id))
            .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let slug_of = |id: &Uuid| orgs.get(id).cloned().unwrap_or_default();
            let organisation = slug_of(&row.organisation_id);
            let (accepted, invited): (Vec<_>, Vec<_>) = hosts
                .get(&row.id)
                .into_iter()
                .flatten()
                .partition(|h| h.accepted_at.is_some());
            let hosts = std::iter::once(organisation.clone())
                .chain(accepted.iter().map(|h| slug_of(&h.organisation_id)))
                .collect();
            let invited_hosts = (readers == Readers::Organisers).then(|| {
                invited
                    .iter()
                    .map(|h| slug_of(&h.organisation_id))
                    .collect()
            });
            Event {
                campaign: row.campaign_id.and_then(|id| campaigns.get(&id).cloned()),
                row,
                organisation,
                hosts,
                invited_hosts,
            }
        })
        .collect())
}

/// Which events a calendar feed holds.
#[derive(Debug, Clone)]
pub enum FeedScope {
    /// Every published public event that has not ended, with the public list's filters.
    Site(PublicFilter),
    /// An organisation's own and co-hosted public events, the last 90 days' included.
    Organisation(Uuid),
    /// A campaign's public events, the last 90 days' included.
    Campaign(Uuid),
}

/// How long cancelled events stay in feeds, so clients strike them out.
pub const CANCELLED_KEPT_DAYS: i64 = 30;
/// How far back organisation and campaign feeds reach.
pub const PAST_KEPT_DAYS: i64 = 90;

/// The events of a feed: published ones, and those cancelled in the last 30 days.
pub async fn feed_rows(
    db: &DatabaseConnection,
    scope: &FeedScope,
    now: DateTime<Utc>,
) -> Result<Vec<event::Model>, DbErr> {
    let cancelled_since = now - chrono::Duration::days(CANCELLED_KEPT_DAYS);
    let live = Condition::any()
        .add(event::Column::Status.eq(EventStatus::Published))
        .add(
            Condition::all()
                .add(event::Column::Status.eq(EventStatus::Cancelled))
                .add(event::Column::CancelledAt.gt(cancelled_since)),
        );
    let mut query = event::Entity::find()
        .filter(live)
        .filter(event::Column::Visibility.eq(Visibility::Public))
        .order_by_asc(event::Column::StartsAtUtc)
        .order_by_asc(event::Column::Id);
    let past_since = now - chrono::Duration::days(PAST_KEPT_DAYS);
    match scope {
        FeedScope::Site(filter) => {
            query = query.filter(event::Column::EndsAtUtc.gt(now));
            query = filtered(db, query, filter).await?;
        }
        FeedScope::Organisation(id) => {
            query = query
                .filter(event::Column::EndsAtUtc.gt(past_since))
                .filter(hosted_by(*id));
        }
        FeedScope::Campaign(id) => {
            query = query
                .filter(event::Column::EndsAtUtc.gt(past_since))
                .filter(event::Column::CampaignId.eq(*id));
        }
    }
    query.all(db).await
}

/// A published or cancelled event for its own `.ics`, public or unlisted.
pub async fn calendar_row(
    db: &DatabaseConnection,
    event: &PublicRef,
) -> Result<Option<event::Model>, DbErr> {
    Ok(content::find::<event::Entity>(db, event)
        .await?
        .filter(|e| e.status != EventStatus::Draft))
}

/// Events an organisation owns, or co-hosts since it accepted.
fn hosted_by(organisation_id: Uuid) -> Condition {
    let co_hosted = Query::select()
        .column(event_host::Column::EventId)
        .from(event_host::Entity)
        .and_where(event_host::Column::OrganisationId.eq(organisation_id))
        .and_where(event_host::Column::AcceptedAt.is_not_null())
        .to_owned();
    Condition::any()
        .add(event::Column::OrganisationId.eq(organisation_id))
        .add(event::Column::Id.in_subquery(co_hosted))
}

/// Apply the public list's filters (all but `from` and `to`).
async fn filtered(
    db: &DatabaseConnection,
    mut query: sea_orm::Select<event::Entity>,
    filter: &PublicFilter,
) -> Result<sea_orm::Select<event::Entity>, DbErr> {
    if let Some(kind) = filter.kind {
        query = query.filter(event::Column::Kind.eq(kind));
    }
    if let Some(slug) = &filter.organisation {
        let id = organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(slug))
            .one(db)
            .await?
            .map(|o| o.id)
            .unwrap_or_else(Uuid::nil);
        query = query.filter(hosted_by(id));
    }
    if let Some(slug) = &filter.campaign {
        let id = campaign_id(db, slug).await?;
        query = query.filter(event::Column::CampaignId.eq(id));
    }
    if let Some(country) = &filter.country {
        query = query.filter(event::Column::Country.eq(country.to_ascii_uppercase()));
    }
    if let Some(locality) = &filter.locality {
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(event::Column::Locality)))
                .eq(locality.trim().to_lowercase()),
        );
    }
    Ok(query)
}
