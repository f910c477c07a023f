//! The calendar feeds over HTTP: built once, cached until the content they hold
//! changes (or one of their events leaves them), and answered with ETag and
//! Last-Modified so that polling clients mostly get a 304.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path, Query},
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::cache::{CachedFeed, FeedKey, whole_seconds};
use super::render::{CalendarEvent, FeedMeta, Method, render};
use crate::{
    events::{
        model::EventKind,
        service::{self as events, CANCELLED_KEPT_DAYS, FeedScope, PAST_KEPT_DAYS, PublicFilter},
    },
    http::problem::Problem,
    state::AppState,
};
use entity::{event, organisation};

/// The filters of `/calendar.ics`, as the public list takes them.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FeedFilter {
    kind: Option<String>,
    organisation: Option<String>,
    campaign: Option<String>,
    country: Option<String>,
    locality: Option<String>,
}

/// `GET /calendar.ics`: every published public event that has not ended.
#[handler]
pub async fn site(req: &Request, state: Data<&AppState>, filter: Query<FeedFilter>) -> Response {
    let f = filter.0;
    let kind = match f.kind.as_deref().map(|k| EventKind::parse(k).ok_or(k)) {
        Some(Err(k)) => {
            return Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("kind: {k:?} is not an event kind"),
            )
            .into_response();
        }
        Some(Ok(k)) => Some(k),
        None => None,
    };
    let filtered = kind.is_some()
        || f.organisation.is_some()
        || f.campaign.is_some()
        || f.country.is_some()
        || f.locality.is_some();
    let key = if filtered {
        FeedKey::Filtered(format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}",
            kind,
            f.organisation,
            f.campaign,
            f.country.as_deref().map(str::to_ascii_uppercase),
            f.locality.as_deref().map(|l| l.trim().to_lowercase())
        ))
    } else {
        FeedKey::Site
    };
    let scope = FeedScope::Site(PublicFilter {
        kind,
        organisation: f.organisation,
        campaign: f.campaign,
        country: f.country,
        locality: f.locality,
        ..PublicFilter::default()
    });
    serve(req, &state, key, "Turnout: upcoming events".into(), scope).await
}

/// `GET /organisations/{slug}/calendar.ics`.
#[handler]
pub async fn of_organisation(
    req: &Request,
    state: Data<&AppState>,
    slug: Path<String>,
) -> Response {
    match state.organisations.by_slug(&slug).await {
        Ok(Some(org)) => {
            let key = FeedKey::Organisation(org.id);
            serve(req, &state, key, org.name, FeedScope::Organisation(org.id)).await
        }
        Ok(None) => not_found("no such organisation"),
        Err(e) => internal(&e),
    }
}

/// `GET /campaigns/{slug}/calendar.ics`.
#[handler]
pub async fn of_campaign(req: &Request, state: Data<&AppState>, slug: Path<String>) -> Response {
    match crate::campaigns::service::by_slug(&state.db, &slug).await {
        Ok(Some(c)) => {
            let key = FeedKey::Campaign(c.id);
            serve(req, &state, key, c.title, FeedScope::Campaign(c.id)).await
        }
        Ok(None) => not_found("no such campaign"),
        Err(e) => internal(&e),
    }
}

/// `GET /events/{id_or_slug}.ics`: one event, published or cancelled, as an
/// iCalendar file (the event page's route hands it over).
pub async fn event_file(req: &Request, state: &AppState, id_or_slug: &str) -> Response {
    let Some(reference) = crate::domain::PublicRef::parse(id_or_slug) else {
        return not_found("no such event");
    };
    let row = match events::calendar_row(&state.db, &reference).await {
        Ok(Some(row)) => row,
        Ok(None) => return not_found("no such event"),
        Err(e) => return internal(&e),
    };
    let name = row.title.clone();
    let built = build_from_rows(state, vec![row], &name, Duration::days(CANCELLED_KEPT_DAYS)).await;
    match built {
        // One event's own change time is an exact Last-Modified: nothing to cache.
        Ok((body, last_modified, _)) => {
            let feed = CachedFeed::new(body, last_modified, String::new(), Utc::now());
            respond(req, &feed, false)
        }
        Err(e) => internal(&e),
    }
}

/// `GET /feeds/{token}/calendar.ics`: the events a supporter is going to. Built for
/// each request (it is small) and marked private, so no shared cache keeps it.
#[handler]
pub async fn personal(req: &Request, state: Data<&AppState>, token: Path<String>) -> Response {
    let supporter = match state.supporters.by_feed_token(&token).await {
        Ok(Some(supporter)) => supporter,
        Ok(None) => return not_found("no such feed"),
        Err(e) => return internal(&e),
    };
    let rows = match crate::rsvps::service::feed_rows(&state.db, supporter.id, Utc::now()).await {
        Ok(rows) => rows,
        Err(e) => return internal(&e),
    };
    let name = "Turnout: my events";
    match build_from_rows(&state, rows, name, Duration::days(CANCELLED_KEPT_DAYS)).await {
        Ok((body, last_modified, _)) => {
            let feed = CachedFeed::new(body, last_modified, String::new(), Utc::now());
            respond_with(req, &feed, false, "private, max-age=300")
        }
        Err(e) => internal(&e),
    }
}

/// Answer from the cache when it is current; otherwise build, cache and answer.
async fn serve(
    req: &Request,
    state: &AppState,
    key: FeedKey,
    name: String,
    scope: FeedScope,
) -> Response {
    let version = match state.feeds.content_version(&state.db).await {
        Ok(v) => v,
        Err(e) => return internal(&e),
    };
    let now = Utc::now();
    let current = |feed: &CachedFeed| feed.version == version && feed.valid_until > now;
    let known = state.feeds.get(&key);
    if let Some(feed) = &known
        && current(feed)
    {
        return respond(req, feed, true);
    }
    let turn = state.feeds.rebuilding(&key);
    let _turn = match (turn.try_lock(), known) {
        (Ok(turn), _) => turn,
        // Another request is rebuilding it: the feed as it was is at most one
        // build old, and calendar clients poll hourly.
        (Err(_), Some(feed)) if feed.valid_until > now => return respond(req, &feed, true),
        (Err(_), _) => {
            let turn = turn.lock().await;
            if let Some(feed) = state.feeds.get(&key)
                && current(&feed)
            {
                return respond(req, &feed, true);
            }
            turn
        }
    };
    let rows = match events::feed_rows(&state.db, &scope, now).await {
        Ok(rows) => rows,
        Err(e) => return internal(&e),
    };
    let keep_past = match scope {
        FeedScope::Site(_) => Duration::zero(),
        _ => Duration::days(PAST_KEPT_DAYS),
    };
    // A filter that matches nothing is most likely made up: not worth a place,
    // unless it matched something before (its Last-Modified must then move on).
    let worth_keeping = !(key.is_filtered() && rows.is_empty() && state.feeds.get(&key).is_none());
    match build_from_rows(state, rows, &name, keep_past).await {
        Ok((body, last_modified, valid_until)) if worth_keeping => {
            let feed = cached(state, key, body, last_modified, version, valid_until);
            respond(req, &feed, false)
        }
        Ok((body, last_modified, valid_until)) => {
            let feed = CachedFeed::new(body, last_modified, version, valid_until);
            respond(req, &feed, false)
        }
        Err(e) => internal(&e),
    }
}

/// Store a rendered feed. Its Last-Modified is its newest event's change, moved to
/// now when the body changed without one (an event left it).
fn cached(
    state: &AppState,
    key: FeedKey,
    body: String,
    last_modified: DateTime<Utc>,
    version: String,
    valid_until: DateTime<Utc>,
) -> Arc<CachedFeed> {
    let mut feed = CachedFeed::new(body, last_modified, version, valid_until);
    match state.feeds.get(&key) {
        Some(previous) if previous.etag == feed.etag => feed.last_modified = previous.last_modified,
        Some(previous) if previous.last_modified >= feed.last_modified => {
            feed.last_modified = whole_seconds(Utc::now());
        }
        _ => {}
    }
    let feed = Arc::new(feed);
    state.feeds.put(key, feed.clone());
    feed
}

/// Whether `Accept-Encoding` takes gzip (`gzip` or `*`, not with `q=0`).
fn accepts_gzip(req: &Request) -> bool {
    req.header(header::ACCEPT_ENCODING)
        .unwrap_or_default()
        .split(',')
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// Render rows; answers the body, the newest change, and when the first event leaves.
async fn build_from_rows(
    state: &AppState,
    rows: Vec<event::Model>,
    name: &str,
    keep_past: Duration,
) -> Result<(String, DateTime<Utc>, DateTime<Utc>), DbErr> {
    let names = organisation_names(&state.db, &rows).await?;
    let mut last_modified = DateTime::<Utc>::UNIX_EPOCH;
    let mut valid_until = Utc::now() + Duration::days(1);
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        last_modified = last_modified.max(row.updated_at);
        let leaves = match row.cancelled_at {
            Some(at) => (at + Duration::days(CANCELLED_KEPT_DAYS)).min(row.ends_at_utc + keep_past),
            None => row.ends_at_utc + keep_past,
        };
        valid_until = valid_until.min(leaves);
        let organiser = names.get(&row.organisation_id).cloned().unwrap_or_default();
        if let Some(e) = CalendarEvent::of(
            row,
            organiser,
            &state.site.public_url,
            &state.site.mail_from_address,
        ) {
            events.push(e);
        }
    }
    let meta = FeedMeta {
        name: name.to_owned(),
        method: Method::Publish,
        subscribed: true,
    };
    Ok((render(&events, &meta), last_modified, valid_until))
}

async fn organisation_names(
    db: &DatabaseConnection,
    rows: &[event::Model],
) -> Result<HashMap<uuid::Uuid, String>, DbErr> {
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(rows.iter().map(|r| r.organisation_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// 304 when the client's copy is current, else the feed. `X-Cache` says whether
/// the feed came from the cache or was built for this request.
fn respond(req: &Request, feed: &CachedFeed, hit: bool) -> Response {
    respond_with(req, feed, hit, "public, max-age=300")
}

fn respond_with(req: &Request, feed: &CachedFeed, hit: bool, cache_control: &str) -> Response {
    let last_modified = feed
        .last_modified
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    // Each encoding is its own representation, with its own strong ETag
    // (RFC 9110 §8.8.3); either one names this version of the feed.
    let gzip_etag = format!("{}-gzip\"", feed.etag.trim_end_matches('"'));
    let gzipped = accepts_gzip(req);
    // If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 §13.2.2).
    let not_modified = match req.header(header::IF_NONE_MATCH) {
        Some(tags) => tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == feed.etag || t == gzip_etag),
        None => req
            .header(header::IF_MODIFIED_SINCE)
            .and_then(|since| DateTime::parse_from_rfc2822(since).ok())
            .is_some_and(|since| feed.last_modified <= since),
    };
    let builder = Response::builder()
        .header(
            header::ETAG,
            if gzipped {
                gzip_etag.as_str()
            } else {
                feed.etag.as_str()
            },
        )
        .header(header::LAST_MODIFIED, last_modified)
        .header(header::CACHE_CONTROL, cache_control)
        .header(header::VARY, "Accept-Encoding")
        .header("X-Cache", if hit { "hit" } else { "miss" });
    if not_modified {
        builder.status(StatusCode::NOT_MODIFIED).finish()
    } else if gzipped {
        builder
            .content_type("text/calendar; charset=utf-8")
            .header(header::CONTENT_ENCODING, "gzip")
            .body(Body::from_bytes(feed.gzipped.clone()))
    } else {
        builder
            .content_type("text/calendar; charset=utf-8")
            .body(Body::from_bytes(feed.body.clone()))
    }
}

fn not_found(detail: &str) -> Response {
    Problem::new(StatusCode::NOT_FOUND, detail).into_response()
}

fn internal(e: &DbErr) -> Response {
    tracing::error!(error = %e, "feed failed");
    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}
