//! The rules of events: who may change them, what makes a valid event, how a
//! published event's `sequence` grows, and how the public finds them.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone as _, Utc};
use poem_openapi::types::MaybeUndefined;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, Func, Query},
};
use uuid::Uuid;

use super::model::*;
use crate::access::{Access, AccessError, Role};
use crate::db::{free_slug, is_unique_violation};
use crate::domain::{
    Country, EventTimes, InvalidField, Language, Slug, TimeZone, optional_text, required_text,
};
use crate::http::{
    ApiError, instant,
    page::{Limit, split_page},
};
use crate::rsvps::service::{EventNews, tell_attendees};
use entity::{campaign, event, event_host, organisation};

/// How deep forums and itineraries may nest.
const MAX_DEPTH: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("invalid event")]
    Invalid(Vec<InvalidField>),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("no such event")]
    NotFound,
    #[error("this event belongs to another organisation")]
    Forbidden,
    #[error("the slug {0:?} is taken")]
    SlugTaken(String),
    #[error("only a draft can be deleted; cancel a published event instead")]
    NotDraft,
    #[error("a cancelled event cannot be published again")]
    AlreadyCancelled,
    #[error("a draft cannot be cancelled; delete it instead")]
    NotPublished,
    #[error("this organisation is not invited to co-host the event")]
    NotInvited,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<InvalidField> for EventError {
    fn from(e: InvalidField) -> Self {
        Self::Invalid(vec![e])
    }
}

impl From<EventError> for ApiError {
    fn from(e: EventError) -> Self {
        match e {
            EventError::Invalid(fields) => ApiError::invalid(fields),
            EventError::Access(a) => a.into(),
            EventError::NotFound | EventError::NotInvited => ApiError::not_found(e.to_string()),
            EventError::Forbidden => ApiError::forbidden(e.to_string()),
            EventError::SlugTaken(_)
            | EventError::NotDraft
            | EventError::AlreadyCancelled
            | EventError::NotPublished => ApiError::conflict(e.to_string()),
            EventError::Db(e) => ApiError::internal(&e),
        }
    }
}

/// Everything an event is made of, as text still to be checked: built from a new
/// event, or from a stored one with a patch applied, so both are checked alike.
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

/// Gathers every invalid field of a request, so one answer names them all.
#[derive(Default)]
struct Checks(Vec<InvalidField>);

impl Checks {
    fn check<T>(&mut self, result: Result<T, InvalidField>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }
}

impl EventInput {
    fn from_new(new: NewEvent, default_zone: TimeZone) -> Self {
        Self {
            campaign: new.campaign.map(String::from),
            hosts: new.hosts.into_iter().map(String::from).collect(),
            slug: new.slug.map(String::from),
            kind: new.kind,
            title: new.title.into(),
            summary: new.summary.into(),
            description: new.description.into(),
            language: new.language.map_or_else(|| "en".into(), String::from),
            timezone: new
                .timezone
                .map_or_else(|| default_zone.to_string(), String::from),
            starts_at: new.starts_at.into(),
            ends_at: new.ends_at.into(),
            all_day: new.all_day,
            location: new.location,
            online_url: new.online_url.map(String::from),
            parent_id: new.parent_id.map(String::from),
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

    fn apply(&mut self, patch: EventPatch) -> Result<(), InvalidField> {
        fn required<T, U: Into<T>>(
            field: &str,
            value: MaybeUndefined<U>,
            into: &mut T,
        ) -> Result<(), InvalidField> {
            match value {
                MaybeUndefined::Value(v) => *into = v.into(),
                MaybeUndefined::Null => return Err(InvalidField::new(field, "must not be null")),
                MaybeUndefined::Undefined => {}
            }
            Ok(())
        }
        fn nullable<T, U: Into<T>>(value: MaybeUndefined<U>, into: &mut Option<T>) {
            match value {
                MaybeUndefined::Value(v) => *into = Some(v.into()),
                MaybeUndefined::Null => *into = None,
                MaybeUndefined::Undefined => {}
            }
        }
        nullable(patch.campaign, &mut self.campaign);
        match patch.hosts {
            MaybeUndefined::Value(hosts) => {
                self.hosts = hosts.into_iter().map(String::from).collect()
            }
            MaybeUndefined::Null => self.hosts.clear(),
            MaybeUndefined::Undefined => {}
        }
        let mut slug = self.slug.clone().unwrap_or_default();
        required("slug", patch.slug, &mut slug)?;
        self.slug = Some(slug);
        required("kind", patch.kind, &mut self.kind)?;
        required("title", patch.title, &mut self.title)?;
        required("summary", patch.summary, &mut self.summary)?;
        required("description", patch.description, &mut self.description)?;
        required("language", patch.language, &mut self.language)?;
        required("timezone", patch.timezone, &mut self.timezone)?;
        required("starts_at", patch.starts_at, &mut self.starts_at)?;
        required("ends_at", patch.ends_at, &mut self.ends_at)?;
        required("all_day", patch.all_day, &mut self.all_day)?;
        nullable(patch.location, &mut self.location);
        nullable(patch.online_url, &mut self.online_url);
        nullable(patch.parent_id, &mut self.parent_id);
        nullable(patch.capacity, &mut self.capacity);
        required("waitlist", patch.waitlist, &mut self.waitlist)?;
        required("rsvp_mode", patch.rsvp_mode, &mut self.rsvp_mode)?;
        nullable(patch.rsvp_closes_at, &mut self.rsvp_closes_at);
        required("visibility", patch.visibility, &mut self.visibility)?;
        Ok(())
    }

    fn validate(&self) -> Result<ValidEvent, EventError> {
        let mut c = Checks::default();
        let slug = self
            .slug
            .as_deref()
            .and_then(|s| c.check(Slug::parse(s)).map(Some))
            .flatten();
        let title = c.check(required_text("title", &self.title, 200));
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
        // A `None` always comes with its error in `c`; the slug's error comes alone.
        let (
            Some(title),
            Some(summary),
            Some(description),
            Some(language),
            Some(times),
            Some(location),
            Some(online_url),
            Some(parent_id),
            Some(capacity),
        ) = (
            title,
            summary,
            description,
            language,
            times,
            location,
            online_url,
            parent_id,
            capacity,
        )
        else {
            return Err(EventError::Invalid(c.0));
        };
        if !c.0.is_empty() {
            return Err(EventError::Invalid(c.0));
        }
        Ok(ValidEvent {
            slug,
            kind: self.kind,
            title,
            summary,
            description,
            language,
            times,
            location,
            online_url,
            parent_id,
            capacity,
            waitlist: self.waitlist,
            rsvp_mode: self.rsvp_mode,
            rsvp_closes_at: self.rsvp_closes_at,
            visibility: self.visibility,
        })
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
    let campaign_id = match input.campaign.as_deref() {
        None => None,
        Some(slug) => {
            let found = campaign::Entity::find()
                .filter(campaign::Column::Slug.eq(slug))
                .filter(campaign::Column::OrganisationId.eq(organisation_id))
                .one(db)
                .await?;
            c.check(found.map(|f| f.id).ok_or_else(|| {
                InvalidField::new(
                    "campaign",
                    format!("no campaign {slug:?} in this organisation"),
                )
            }))
        }
    };
    let mut host_ids = Vec::new();
    for slug in &input.hosts {
        let found = organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(slug))
            .one(db)
            .await?;
        match found {
            Some(org) if org.id == organisation_id || host_ids.contains(&org.id) => {}
            Some(org) => host_ids.push(org.id),
            None => c.0.push(InvalidField::new(
                "hosts",
                format!("no organisation {slug:?}"),
            )),
        }
    }
    if let Some(parent_id) = valid.parent_id
        && let Err(e) = check_parent(db, organisation_id, parent_id, this_event).await?
    {
        c.0.push(e);
    }
    if !c.0.is_empty() {
        return Err(EventError::Invalid(c.0));
    }
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

/// Create a draft event.
#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    access: &Access,
    new: NewEvent,
    public_url: &str,
) -> Result<Event, EventError> {
    let member = access.writable(new.organisation.as_deref())?;
    let org = organisation::Entity::find_by_id(member.organisation_id)
        .one(db)
        .await?
        .ok_or(EventError::NotFound)?;
    let explicit_slug = new.slug.is_some();
    let input = EventInput::from_new(new, org.timezone);
    let valid = input.validate()?;
    let links = resolve_links(db, org.id, &input, &valid, None).await?;
    let now = Utc::now();
    for _attempt in 0..5 {
        let slug = match &valid.slug {
            Some(slug) => slug.clone(),
            None => {
                let base = Slug::from_title(&valid.title, "event");
                free_slug::<event::Entity>(db, event::Column::Slug, &base).await?
            }
        };
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
        let txn = db.begin().await?;
        let inserted = match row.insert(&txn).await {
            Ok(model) => model,
            Err(e) if is_unique_violation(&e) && !explicit_slug => continue,
            Err(e) if is_unique_violation(&e) => {
                return Err(EventError::SlugTaken(slug.to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        write_hosts(&txn, access, inserted.id, &links.host_ids).await?;
        txn.commit().await?;
        return organisers_view(db, inserted, public_url).await;
    }
    Err(EventError::SlugTaken(
        Slug::from_title(&valid.title, "event").to_string(),
    ))
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

/// Change an event. Once it is published, a change of time or place raises its
/// `sequence`, so calendars replace their copy instead of keeping the old one.
#[tracing::instrument(skip_all, fields(event_id = id))]
pub async fn patch(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    patch: EventPatch,
    site: &crate::email::Site,
) -> Result<Event, EventError> {
    let public_url = &*site.public_url;
    let row = find_for(db, access, id, Role::Organiser).await?;
    let current = one_view(db, row.clone(), public_url).await?;
    // Every co-host named so far, invited or accepted: a patch that leaves `hosts`
    // out must not drop the invitations still waiting for an answer.
    let hosts = co_host_slugs(db, row.id).await?;
    let mut input = EventInput::from_stored(&row, current.campaign.clone(), hosts);
    input.apply(patch)?;
    let valid = input.validate()?;
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
    let updated = match active.update(&txn).await {
        Ok(model) => model,
        Err(e) if is_unique_violation(&e) => return Err(EventError::SlugTaken(slug.to_string())),
        Err(e) => return Err(e.into()),
    };
    write_hosts(&txn, access, updated.id, &links.host_ids).await?;
    if bump {
        // Attendees learn of the new time or place with the change itself.
        let previous = Box::new(row);
        tell_attendees(&txn, site, &updated, EventNews::Changed { previous }).await?;
    }
    txn.commit().await?;
    crate::db::content_changed(db).await?;
    if more_seats {
        crate::rsvps::service::capacity_changed(db, site, updated.id).await?;
    }
    let updated = event::Entity::find_by_id(updated.id)
        .one(db)
        .await?
        .ok_or(EventError::NotFound)?;
    organisers_view(db, updated, public_url).await
}

/// The slugs of every organisation named as a co-host, invited or accepted, in order.
async fn co_host_slugs(db: &DatabaseConnection, event_id: Uuid) -> Result<Vec<String>, DbErr> {
    let hosts = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(event_id))
        .order_by_asc(event_host::Column::Position)
        .all(db)
        .await?;
    let slugs =
        crate::content::organisation_slugs(db, hosts.iter().map(|h| h.organisation_id)).await?;
    Ok(hosts
        .iter()
        .filter_map(|h| slugs.get(&h.organisation_id).cloned())
        .collect())
}

/// Publish a draft. Publishing twice changes nothing.
pub async fn publish(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    public_url: &str,
) -> Result<Event, EventError> {
    let row = find_for(db, access, id, Role::Organiser).await?;
    let row = match row.status {
        EventStatus::Published => row,
        EventStatus::Cancelled => return Err(EventError::AlreadyCancelled),
        _ => {
            let mut active: event::ActiveModel = row.into();
            active.status = Set(EventStatus::Published);
            active.updated_at = Set(Utc::now());
            let published = active.update(db).await?;
            crate::db::content_changed(db).await?;
            published
        }
    };
    organisers_view(db, row, public_url).await
}

/// Cancel a published event. Cancelling twice changes nothing.
pub async fn cancel(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    reason: Option<String>,
    site: &crate::email::Site,
) -> Result<Event, EventError> {
    let public_url = &*site.public_url;
    let reason = reason
        .map(|r| optional_text("reason", &r, 2_000))
        .transpose()?
        .filter(|r| !r.is_empty());
    let row = find_for(db, access, id, Role::Organiser).await?;
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
            let txn = db.begin().await?;
            let cancelled = active.update(&txn).await?;
            tell_attendees(&txn, site, &cancelled, EventNews::Cancelled { reason }).await?;
            txn.commit().await?;
            crate::db::content_changed(db).await?;
            cancelled
        }
        _ => return Err(EventError::NotPublished),
    };
    organisers_view(db, row, public_url).await
}

/// Delete a draft; anything published stays (cancel it instead).
pub async fn delete(db: &DatabaseConnection, access: &Access, id: &str) -> Result<(), EventError> {
    let row = find_for(db, access, id, Role::Organiser).await?;
    if row.status != EventStatus::Draft {
        return Err(EventError::NotDraft);
    }
    let txn = db.begin().await?;
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

/// One event, for its organisation's members and its co-hosts'.
pub async fn get(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    public_url: &str,
) -> Result<Event, EventError> {
    let row = find(db, id).await?.ok_or(EventError::NotFound)?;
    if access.role_in(row.organisation_id).is_none() {
        let co_hosts = event_host::Entity::find()
            .filter(event_host::Column::EventId.eq(row.id))
            .filter(event_host::Column::OrganisationId.is_in(access.organisation_ids()))
            .one(db)
            .await?;
        if co_hosts.is_none() {
            return Err(EventError::Forbidden);
        }
    }
    organisers_view(db, row, public_url).await
}

/// A co-host's organisers accept to host an event: from now on it is shown as a
/// host, is in their feeds and lists, and they see its attendees. Accepting twice
/// changes nothing.
#[tracing::instrument(skip_all, fields(event_id = id))]
pub async fn accept_hosting(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    organisation_slug: &str,
    public_url: &str,
) -> Result<Event, EventError> {
    let (row, host) = invitation_of(db, access, id, organisation_slug).await?;
    if host.accepted_at.is_none() {
        let mut active: event_host::ActiveModel = host.into();
        active.accepted_at = Set(Some(Utc::now()));
        active.update(db).await?;
        // The event now belongs in the co-host's feed and public list.
        crate::db::content_changed(db).await?;
    }
    organisers_view(db, row, public_url).await
}

/// A co-host's organisers decline an invitation, or leave an event they accepted:
/// the event no longer names them, whoever asks.
#[tracing::instrument(skip_all, fields(event_id = id))]
pub async fn decline_hosting(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    organisation_slug: &str,
) -> Result<(), EventError> {
    let (_, host) = invitation_of(db, access, id, organisation_slug).await?;
    let was_shown = host.accepted_at.is_some();
    event_host::Entity::delete_by_id((host.event_id, host.organisation_id))
        .exec(db)
        .await?;
    if was_shown {
        crate::db::content_changed(db).await?;
    }
    Ok(())
}

/// The event and the host row of `organisation_slug`, which the caller organises.
async fn invitation_of(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    organisation_slug: &str,
) -> Result<(event::Model, event_host::Model), EventError> {
    let organisation_id = access.writable(Some(organisation_slug))?.organisation_id;
    let row = find(db, id).await?.ok_or(EventError::NotFound)?;
    let host = event_host::Entity::find_by_id((row.id, organisation_id))
        .one(db)
        .await?
        .ok_or(EventError::NotInvited)?;
    Ok((row, host))
}

/// Filters of the organiser's list.
#[derive(Debug, Default)]
pub struct OwnFilter {
    pub status: Option<EventStatus>,
    pub kind: Option<EventKind>,
    pub campaign: Option<String>,
}

/// The events of the organiser's organisations, newest first.
pub async fn list(
    db: &DatabaseConnection,
    access: &Access,
    filter: OwnFilter,
    limit: Limit,
    cursor: Option<&str>,
    public_url: &str,
) -> Result<(Vec<Event>, Option<String>), EventError> {
    let mut query = event::Entity::find()
        .filter(event::Column::OrganisationId.is_in(access.organisation_ids()))
        .order_by_desc(event::Column::Id)
        .limit(limit.get() + 1);
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
    if let Some(cursor) = cursor {
        let before = Uuid::parse_str(cursor).map_err(|_| bad_cursor())?;
        query = query.filter(event::Column::Id.lt(before));
    }
    let rows = query.all(db).await?;
    let (rows, next) = split_page(rows, limit, |e| e.id.to_string());
    Ok((organisers_views(db, rows, public_url).await?, next))
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

/// Published public events that have not ended, soonest first.
pub async fn public_list(
    db: &DatabaseConnection,
    filter: PublicFilter,
    limit: Limit,
    cursor: Option<&str>,
    public_url: &str,
) -> Result<(Vec<Event>, Option<String>), EventError> {
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
    if let Some(cursor) = cursor {
        let (ts, id) = cursor.split_once('.').ok_or_else(bad_cursor)?;
        let after_id = Uuid::parse_str(id).map_err(|_| bad_cursor())?;
        let after = ts
            .parse::<i64>()
            .ok()
            .and_then(|ts| Utc.timestamp_opt(ts, 0).single())
            .ok_or_else(bad_cursor)?;
        query = query.filter(
            Condition::any()
                .add(event::Column::StartsAtUtc.gt(after))
                .add(
                    Condition::all()
                        .add(event::Column::StartsAtUtc.eq(after))
                        .add(event::Column::Id.gt(after_id)),
                ),
        );
    }
    let rows = query.all(db).await?;
    let (rows, next) = split_page(rows, limit, |e| {
        format!("{}.{}", e.starts_at_utc.timestamp(), e.id)
    });
    Ok((views(db, rows, public_url).await?, next))
}

/// A published or cancelled event, public or unlisted, by id or slug. Drafts are
/// nobody's business but their organisation's.
pub async fn public_get(
    db: &DatabaseConnection,
    id_or_slug: &str,
    public_url: &str,
) -> Result<Event, EventError> {
    let row = find(db, id_or_slug)
        .await?
        .filter(|e| e.status != EventStatus::Draft)
        .ok_or(EventError::NotFound)?;
    one_view(db, row, public_url).await
}

/// The published public events of a campaign that have not ended.
pub async fn public_of_campaign(
    db: &DatabaseConnection,
    campaign_id: Uuid,
    public_url: &str,
) -> Result<Vec<Event>, EventError> {
    let rows = event::Entity::find()
        .filter(event::Column::CampaignId.eq(campaign_id))
        .filter(event::Column::Status.eq(EventStatus::Published))
        .filter(event::Column::Visibility.eq(Visibility::Public))
        .filter(event::Column::EndsAtUtc.gt(Utc::now()))
        .order_by_asc(event::Column::StartsAtUtc)
        .limit(200)
        .all(db)
        .await?;
    Ok(views(db, rows, public_url).await?)
}

/// The published parts of a forum or delegation (its workshops, its itinerary), in
/// order, that may be listed on its page: on a public page only public parts, as an
/// unlisted part is for those given its own link; on an unlisted page (itself known
/// only to those given its link) its unlisted parts too.
pub async fn public_children(
    db: &DatabaseConnection,
    parent_id: Uuid,
    parent_visibility: Visibility,
    public_url: &str,
) -> Result<Vec<Event>, EventError> {
    let listed: &[Visibility] = match parent_visibility {
        Visibility::Public => &[Visibility::Public],
        Visibility::Unlisted => &[Visibility::Public, Visibility::Unlisted],
    };
    let rows = event::Entity::find()
        .filter(event::Column::ParentId.eq(parent_id))
        .filter(event::Column::Status.eq(EventStatus::Published))
        .filter(event::Column::Visibility.is_in(listed.iter().copied()))
        .order_by_asc(event::Column::StartsAtUtc)
        .limit(200)
        .all(db)
        .await?;
    Ok(views(db, rows, public_url).await?)
}

fn bad_cursor() -> EventError {
    InvalidField::new("cursor", "is not a cursor from this list").into()
}

async fn campaign_id(db: &DatabaseConnection, slug: &str) -> Result<Uuid, DbErr> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(|c| c.id)
        .unwrap_or_else(Uuid::nil))
}

/// An event by its id or its slug, whatever its status.
pub async fn find(
    db: &DatabaseConnection,
    id_or_slug: &str,
) -> Result<Option<event::Model>, DbErr> {
    crate::db::find_by_id_or_slug::<event::Entity>(db, event::Column::Slug, id_or_slug).await
}

async fn find_for(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    role: Role,
) -> Result<event::Model, EventError> {
    let row = find(db, id).await?.ok_or(EventError::NotFound)?;
    match access.role_in(row.organisation_id) {
        Some(r) if r >= role => Ok(row),
        Some(_) => Err(AccessError::ReadOnly.into()),
        None => Err(EventError::Forbidden),
    }
}

async fn one_view(
    db: &DatabaseConnection,
    row: event::Model,
    public_url: &str,
) -> Result<Event, EventError> {
    views(db, vec![row], public_url)
        .await?
        .pop()
        .ok_or(EventError::NotFound)
}

async fn organisers_view(
    db: &DatabaseConnection,
    row: event::Model,
    public_url: &str,
) -> Result<Event, EventError> {
    organisers_views(db, vec![row], public_url)
        .await?
        .pop()
        .ok_or(EventError::NotFound)
}

/// Who reads the events being turned into views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readers {
    /// Anyone: `hosts` names only co-hosts that accepted.
    Public,
    /// The event's organisers: they also see whom they invited (`invited_hosts`).
    Organisers,
}

/// Turn rows into the API's events as the public sees them, loading the slugs they
/// refer to in three queries whatever the number of rows.
pub async fn views(
    db: &DatabaseConnection,
    rows: Vec<event::Model>,
    public_url: &str,
) -> Result<Vec<Event>, DbErr> {
    views_for(db, rows, public_url, Readers::Public).await
}

/// As `views`, with the co-hosts invited and yet to accept.
async fn organisers_views(
    db: &DatabaseConnection,
    rows: Vec<event::Model>,
    public_url: &str,
) -> Result<Vec<Event>, DbErr> {
    views_for(db, rows, public_url, Readers::Organisers).await
}

async fn views_for(
    db: &DatabaseConnection,
    rows: Vec<event::Model>,
    public_url: &str,
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
    let orgs = crate::content::organisation_slugs(db, org_ids).await?;
    let campaign_ids: Vec<Uuid> = rows.iter().filter_map(|e| e.campaign_id).collect();
    let campaigns: HashMap<Uuid, String> = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(campaign_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.slug))
        .collect();
    Ok(rows
        .into_iter()
        .map(|e| {
            let slug_of = |id: &Uuid| orgs.get(id).cloned().unwrap_or_default();
            let organisation = slug_of(&e.organisation_id);
            let (accepted, invited): (Vec<_>, Vec<_>) = hosts
                .get(&e.id)
                .into_iter()
                .flatten()
                .partition(|h| h.accepted_at.is_some());
            let host_slugs = std::iter::once(organisation.clone())
                .chain(accepted.iter().map(|h| slug_of(&h.organisation_id)))
                .collect();
            let invited_hosts = (readers == Readers::Organisers).then(|| {
                invited
                    .iter()
                    .map(|h| slug_of(&h.organisation_id))
                    .collect()
            });
            let campaign = e.campaign_id.and_then(|id| campaigns.get(&id).cloned());
            let mut event = view(e, organisation, campaign, host_slugs, public_url);
            event.invited_hosts = invited_hosts;
            event
        })
        .collect())
}

fn view(
    e: event::Model,
    organisation: String,
    campaign: Option<String>,
    hosts: Vec<String>,
    public_url: &str,
) -> Event {
    let location = stored_location(&e);
    let links = crate::calendar::links::for_event(&e, &organisation, public_url);
    Event {
        url: format!("{public_url}/events/{}", e.slug),
        ics_url: links.ics,
        webcal_url: links.webcal,
        google_calendar_url: links.google,
        id: e.id.to_string(),
        slug: e.slug,
        organisation,
        campaign,
        hosts,
        invited_hosts: None,
        kind: e.kind,
        title: e.title,
        summary: e.summary,
        description: e.description,
        language: e.language.to_string(),
        timezone: e.timezone.to_string(),
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        all_day: e.all_day,
        starts_at_utc: instant(e.starts_at_utc),
        ends_at_utc: instant(e.ends_at_utc),
        location,
        online_url: e.online_url,
        parent_id: e.parent_id.map(|p| p.to_string()),
        capacity: e.capacity,
        waitlist: e.waitlist,
        rsvp_mode: e.rsvp_mode,
        rsvp_closes_at: e.rsvp_closes_at.map(instant),
        status: e.status,
        visibility: e.visibility,
        sequence: e.sequence,
        going_count: e.going_count,
        waitlist_count: e.waitlist_count,
        cancel_reason: e.cancel_reason,
        created_at: instant(e.created_at),
        updated_at: instant(e.updated_at),
    }
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
    id_or_slug: &str,
) -> Result<Option<event::Model>, DbErr> {
    Ok(find(db, id_or_slug)
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
