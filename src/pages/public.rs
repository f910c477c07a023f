//! The public pages: the home page, and an event, a petition and a fundraiser each
//! with its form. Forms post to the page's own URL; a good post is answered with a
//! 303 (so reloading sends nothing twice), a refused one with the page again, the
//! values kept and each message beside its field.

use std::collections::HashMap;

use chrono::Utc;
use poem::{
    FromRequest, Request, RequestBody, Response, handler,
    http::StatusCode,
    web::{Data, Form, Path, Query},
};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::head::{Meta, event_json_ld, script_json};
use super::markdown::to_safe_html;
use super::{
    failure, field_message, not_found, page, page_with_policy, retry_after, see_other,
    visitor_locale,
};
use crate::content::{ContentError, Invalid};
use crate::domain::{Email, InvalidField, Locale, Money, PublicRef};
use crate::email::render::{amount_text, when};
use crate::events::model::{Event, EventKind, EventStatus};
use crate::events::service::{EventError, PublicFilter};
use crate::fundraisers::{
    donations::{DonateForm, Gift},
    service::{Amount, Frequency, Fundraiser, FundraiserError, FundraiserStatus},
};
use crate::http::headers::PagePolicy;
use crate::http::{client::ClientAddr, limit::Limits, page::Limit};
use crate::petitions::{
    PetitionError,
    service::{self as petitions, PetitionStatus},
};
use crate::rsvps::{
    RsvpError,
    service::{Closure, MAX_GUESTS, RsvpForm, Taken, closure},
};
use crate::state::AppState;
use crate::words::say;
use entity::event;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What a path segment keeps as it is (RFC 3986 unreserved).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// How many of each list the home page shows.
const HOME_LIST: u64 = 50;
/// How many recent signers or donors a page shows.
const RECENT: u64 = 10;

/// A form shown again after a refusal: what was typed, and what was wrong.
#[derive(Debug, Default, Serialize)]
pub(crate) struct FormState {
    values: Value,
    errors: HashMap<String, String>,
    error: Option<String>,
}

impl FormState {
    fn fresh(values: Value) -> Self {
        Self {
            values,
            ..Self::default()
        }
    }

    fn refused(values: Value, fields: &[InvalidField], locale: Locale) -> Self {
        let errors = fields
            .iter()
            .map(|f| (f.field.clone(), field_message(f, locale)))
            .collect();
        Self {
            values,
            errors,
            error: None,
        }
    }

    /// Refused for acting too often: come back in `seconds`.
    fn too_many(values: Value, seconds: u64, locale: Locale) -> Self {
        Self::failed(values, too_many(seconds, locale))
    }

    fn failed(values: Value, error: String) -> Self {
        Self {
            values,
            errors: HashMap::new(),
            error: Some(error),
        }
    }
}

/// What a supporter form (RSVP, sign, give) posts to its page's own URL: the page's
/// `{id_or_slug}` and the fields as typed.
struct Posted {
    name: String,
    form: HashMap<String, String>,
}

impl<'a> FromRequest<'a> for Posted {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let Path(name) = Path::<String>::from_request(req, body).await?;
        let Form(form) = Form::<HashMap<String, String>>::from_request(req, body).await?;
        Ok(Self { name, form })
    }
}

impl Posted {
    /// A field as typed; "" when it was not sent.
    fn field(&self, name: &str) -> &str {
        self.form.get(name).map(String::as_str).unwrap_or_default()
    }

    /// Whether a checkbox was ticked.
    fn ticked(&self, name: &str) -> bool {
        self.form.contains_key(name)
    }

    /// The content the page names, `None` when the path can name nothing.
    fn reference(&self) -> Option<PublicRef> {
        PublicRef::parse(&self.name)
    }
}

/// How long the client or the address behind a supporter form must wait before it
/// acts again (at least a second), or `None` when it may act now.
fn wait_before(limits: &Limits, req: &Request, email: &Email) -> Option<u64> {
    let wait = limits.check_address(ClientAddr::of(req), email).err()?;
    Some(wait.as_secs().max(1))
}

/// The content a page's `{id_or_slug}` names, as `public` finds it, with its reference;
/// else the page that says it is not there, or that looking failed.
async fn public_content<T, E: std::fmt::Display>(
    state: &AppState,
    id_or_slug: &str,
    public: impl AsyncFnOnce(&PublicRef) -> Result<T, E>,
    code: fn(&E) -> &'static str,
) -> Result<(PublicRef, T), Response> {
    let Some(reference) = PublicRef::parse(id_or_slug) else {
        return Err(not_found(state, Locale::En));
    };
    match public(&reference).await {
        Ok(found) => Ok((reference, found)),
        Err(e) if code(&e) == "not_found" => Err(not_found(state, Locale::En)),
        Err(e) => Err(failure(state, Locale::En, &e)),
    }
}

/// As `?` for a page: the value, or the page answered instead.
macro_rules! or_page {
    ($found:expr) => {
        match $found {
            Ok(found) => found,
            Err(page) => return page,
        }
    };
}

fn too_many(seconds: u64, locale: Locale) -> String {
    say(locale, "error.too_many", &[("seconds", seconds.into())])
}

/// A refusal that is about the whole form, in the page's language (`refusal.*`).
fn refusal(kind: &str, locale: Locale) -> String {
    let key = match kind {
        "full" | "seats" | "closed" | "cancelled" | "declined" | "payments" | "provider" => kind,
        _ => "other",
    };
    say(locale, &format!("refusal.{key}"), &[])
}

/// When an event happens, in its zone, with the zone's abbreviation.
pub(super) fn when_of(event: &event::Model, locale: Locale) -> String {
    event
        .times()
        .map(|times| when(&times, locale))
        .unwrap_or_default()
}

/// Where an event happens: its place, else its online link.
pub(crate) fn place_of(event: &event::Model) -> String {
    event
        .place()
        .line()
        .or_else(|| event.online_url.clone())
        .unwrap_or_default()
}

fn percent(part: i64, whole: Option<i64>) -> Option<i64> {
    whole
        .filter(|w| *w > 0)
        .map(|w| (part.saturating_mul(100) / w).clamp(0, 100))
}

/// A fundraiser's progress, as the reader writes numbers.
fn progress(f: &Fundraiser, locale: Locale) -> (String, String, Option<i64>) {
    let currency = f.row.currency;
    (
        amount_text(f.raised, currency, locale),
        amount_text(f.row.goal_amount, currency, locale),
        percent(f.raised, Some(f.row.goal_amount)),
    )
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// Upcoming events as the home page and an organisation's page list them.
fn event_cards<'a>(events: impl Iterator<Item = &'a event::Model>, locale: Locale) -> Vec<Value> {
    events
        .map(|e| {
            json!({
                "title": e.title,
                "kind": e.kind.as_str(),
                "when": when_of(e, locale),
                "place": place_of(e),
                "url": format!("/events/{}", e.slug),
                "cancelled": e.status == EventStatus::Cancelled,
            })
        })
        .collect()
}

/// Open petitions, with their count against their goal.
fn petition_cards(petitions: &[petitions::Petition]) -> Vec<Value> {
    petitions
        .iter()
        .map(|p| &p.item)
        .map(|p| {
            json!({
                "title": p.title,
                "target": p.target,
                "url": format!("/petitions/{}", p.slug),
                "signature_count": p.signature_count,
                "goal": p.goal,
                "percent": percent(p.signature_count.into(), p.goal.map(Into::into)),
            })
        })
        .collect()
}

/// Open fundraisers, with what was raised against the goal.
fn fundraiser_cards(fundraisers: &[Fundraiser], locale: Locale) -> Vec<Value> {
    fundraisers
        .iter()
        .map(|f| {
            let (raised, goal, percent) = progress(f, locale);
            json!({
                "title": f.row.title,
                "url": format!("/fundraisers/{}", f.row.slug),
                "raised": raised,
                "goal": goal,
                "percent": percent,
                "donor_count": f.donors,
            })
        })
        .collect()
}

/// `GET /`: what is coming up, and what is open to sign or give to.
#[handler]
pub async fn home(req: &Request, state: Data<&AppState>, query: Query<LangQuery>) -> Response {
    let locale = visitor_locale(req, query.lang.as_deref());
    let url = &state.site.public_url;
    let limit = Limit::up_to(HOME_LIST);
    let listed = async {
        let events = state
            .events
            .public_list(PublicFilter::default(), limit, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .items;
        let petitions = state.petitions.open(limit).await?;
        let fundraisers = state.fundraisers.open(limit).await?;
        anyhow::Ok((events, petitions, fundraisers))
    };
    let (events, petitions, fundraisers) = match listed.await {
        Ok(lists) => lists,
        Err(e) => return failure(&state, locale, &e),
    };
    let (events, petitions, fundraisers) = (
        event_cards(events.iter().map(|e| &e.row), locale),
        petition_cards(&petitions),
        fundraiser_cards(&fundraisers, locale),
    );
    let description = say(locale, "page.home.description", &[]);
    page(
        &state,
        StatusCode::OK,
        "home",
        &json!({
            "locale": locale.as_str(),
            "events": events,
            "petitions": petitions,
            "fundraisers": fundraisers,
            "meta": Meta::new("Turnout", &description, &description, &format!("{url}/"), "website"),
        }),
    )
}

// --- events -------------------------------------------------------------------------

/// `GET /events/{id_or_slug}`: the event, with its RSVP form and calendar links;
/// `GET /events/{id_or_slug}.ics` is the event as an iCalendar file.
#[handler]
pub async fn show_event(
    req: &Request,
    state: Data<&AppState>,
    name: Path<String>,
    query: Query<EventQuery>,
) -> Response {
    if let Some(id_or_slug) = name.strip_suffix(".ics") {
        return crate::calendar::feed::event_file(req, &state, id_or_slug).await;
    }
    let emailed = query.rsvp.as_deref() == Some("emailed");
    let form = form_from_link(query.source.as_deref());
    event_page(&state, &name, StatusCode::OK, form, emailed).await
}

#[derive(Debug, Deserialize)]
pub struct EventQuery {
    /// `emailed`: after an RSVP from an address that had already answered.
    rsvp: Option<String>,
    /// Where the visitor came from, kept with the consent they give here.
    source: Option<String>,
}

async fn event_page(
    state: &AppState,
    id_or_slug: &str,
    status: StatusCode,
    form: Option<FormState>,
    emailed: bool,
) -> Response {
    let public = async |event: &PublicRef| state.events.public_get(event).await;
    let (_, shown) = or_page!(public_content(state, id_or_slug, public, EventError::code).await);
    render_event(state, shown, status, form, emailed).await
}

/// An event's page as supporters see it, for an event already read (the console's
/// preview of a draft shows it the same way).
pub(crate) async fn render_event(
    state: &AppState,
    shown: crate::events::service::Event,
    status: StatusCode,
    form: Option<FormState>,
    emailed: bool,
) -> Response {
    let url = &state.site.public_url;
    let row = shown.row.clone();
    let event = Event::of(shown, url);
    let locale = Locale::choose(None, &event.language);
    let related = async {
        let organisation = entity::organisation::Entity::find_by_id(row.organisation_id)
            .one(&state.db)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let parent = match row.parent_id {
            Some(parent) => state.events.public_get(&PublicRef::Id(parent)).await.ok(),
            None => None,
        };
        let children = state
            .events
            .public_children(&row)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::Ok((organisation, parent, children))
    };
    let (organisation, parent, children) = match related.await {
        Ok(related) => related,
        Err(e) => return failure(state, locale, &e),
    };
    let closure = closure(row.ends_at_utc, row.rsvp_closes_at, Utc::now());
    let ended = closure == Some(Closure::Ended);
    let deadline_passed = closure == Some(Closure::DeadlinePassed);
    let seats_left = event.capacity.map(|c| (c - event.going_count).max(0));
    let full = seats_left == Some(0) && !event.waitlist;
    let closed_reason = if event.status == EventStatus::Cancelled {
        Some("cancelled")
    } else if ended {
        Some("ended")
    } else if deadline_passed {
        Some("closed")
    } else if full {
        Some("full")
    } else {
        None
    };
    let children_kind = if event.kind == EventKind::Delegation {
        "itinerary"
    } else if children.iter().any(|c| c.row.kind == EventKind::Workshop) {
        "workshops"
    } else {
        "sessions"
    };
    let form = form.unwrap_or_else(|| FormState::fresh(json!({ "guests": "0" })));
    let when = when_of(&row, locale);
    let json_ld = script_json(&event_json_ld(&row, &event.url, &organisation, url));
    let description = if event.summary.is_empty() {
        event.description.clone()
    } else {
        event.summary.clone()
    };
    page(
        state,
        status,
        "event",
        &json!({
            "locale": locale.as_str(),
            "event": {
                "title": event.title,
                "kind": event.kind.as_str(),
                "summary": event.summary,
                "description_html": &*to_safe_html(&event.description),
                "when": when,
                "place": place_of(&row),
                "online_url": event.online_url,
                "cancelled": event.status == EventStatus::Cancelled,
                "cancel_reason": event.cancel_reason,
                "url": event.url,
                "ics_url": event.ics_url,
                "webcal_url": event.webcal_url,
                "google_calendar_url": event.google_calendar_url,
                "organisation": organisation,
                "capacity": event.capacity,
                "going_count": event.going_count,
                "seats_left": seats_left,
                "waitlist": event.waitlist,
                "approval": event.rsvp_mode == entity::values::RsvpMode::Approval,
                "rsvp_open": closed_reason.is_none(),
                "rsvp_closed_reason": closed_reason,
            },
            "parent": parent.map(|p| json!({ "title": p.row.title, "url": format!("/events/{}", p.row.slug) })),
            "children": children.iter().map(|c| &c.row).map(|c| json!({
                "title": c.title,
                "when": when_of(c, locale),
                "place": place_of(c),
                "url": format!("/events/{}", c.slug),
            })).collect::<Vec<_>>(),
            "children_kind": children_kind,
            "form": form,
            "max_guests": MAX_GUESTS,
            "emailed": emailed,
            "meta": Meta::new(&event.title, &description, &when, &event.url, "event"),
            "json_ld": json_ld,
        }),
    )
}

/// `POST /events/{id_or_slug}`: RSVP from the event's page; then to the manage
/// page of the RSVP.
#[handler]
pub async fn rsvp(req: &Request, state: Data<&AppState>, posted: Posted) -> Response {
    let (field, name) = (|name| posted.field(name), &posted.name);
    let values = json!({ "name": field("name"), "email": field("email"), "guests": field("guests"),
                "subscribe": posted.ticked("subscribe"), "source": field("source") });
    let Some(reference) = posted.reference() else {
        return not_found(&state, Locale::En);
    };
    let event_locale = || async {
        state
            .events
            .public_row(&reference)
            .await
            .map_or(Locale::En, |e| Locale::choose(None, &e.language))
    };
    let guests = match field("guests").trim() {
        "" => Ok(0),
        n => n
            .parse::<i64>()
            .map_err(|_| InvalidField::new("guests", "must be a number")),
    };
    let parsed = match guests {
        Ok(guests) => RsvpForm::parse(
            field("email"),
            field("name"),
            Some(guests),
            Some(field("locale")).filter(|l| !l.is_empty()),
            posted.ticked("subscribe"),
        ),
        Err(e) => Err(vec![e]),
    };
    // The event's page again, with what was typed and what was wrong.
    let again = async |status, form| event_page(&state, name, status, Some(form), false).await;
    let parsed = match parsed {
        // A source that does not fit is dropped: the link never stops a supporter.
        Ok(parsed) => RsvpForm {
            source: crate::petitions::review::Source::from_link(field("source"))
                .map(|s| s.as_ref().to_owned()),
            ..parsed
        },
        Err(fields) => {
            let form = FormState::refused(values, &fields, event_locale().await);
            return again(StatusCode::UNPROCESSABLE_ENTITY, form).await;
        }
    };
    if let Some(seconds) = wait_before(&state.limits.rsvp, req, &parsed.email) {
        let form = FormState::too_many(values, seconds, event_locale().await);
        let status = StatusCode::TOO_MANY_REQUESTS;
        return retry_after(again(status, form).await, seconds);
    }
    match state.rsvps.take(&reference, parsed).await {
        Ok(Taken::Created(rsvp) | Taken::Changed(rsvp)) => {
            see_other(&format!("/rsvps/{}?done=rsvp", rsvp.token))
        }
        // Never the first RSVP's page: its link went to the address.
        Ok(Taken::AlreadyAnswered(_)) => see_other(&format!(
            "/events/{}?rsvp=emailed",
            utf8_percent_encode(name, PATH_SEGMENT)
        )),
        Err(RsvpError::NoSuchEvent) => not_found(&state, Locale::En),
        Err(RsvpError::Invalid(fields)) => {
            let form = FormState::refused(values, &fields, event_locale().await);
            again(StatusCode::UNPROCESSABLE_ENTITY, form).await
        }
        Err(RsvpError::Db(e)) => failure(&state, event_locale().await, &e),
        Err(e) => {
            let kind = match e.code() {
                kind @ ("full" | "seats" | "cancelled" | "declined") => kind,
                _ => "closed",
            };
            let form = FormState::failed(values, refusal(kind, event_locale().await));
            again(StatusCode::CONFLICT, form).await
        }
    }
}

// --- petitions ----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct PetitionQuery {
    signed: Option<String>,
    /// Where the visitor came from, carried into the sign form.
    source: Option<String>,
}

impl PetitionQuery {
    /// The thanks the page shows after signing, if `?signed=` names one.
    fn signed(&self) -> &'static str {
        match self.signed.as_deref() {
            Some("pending") => "pending",
            Some("confirmed") => "confirmed",
            _ => "",
        }
    }
}

/// The form a page opens with when its link carries a `?source=`, kept with what
/// is sent. A source that does not fit is dropped: the link never stops a
/// supporter.
fn form_from_link(source: Option<&str>) -> Option<FormState> {
    source
        .and_then(crate::petitions::review::Source::from_link)
        .map(|s| FormState::fresh(json!({ "source": s.as_ref() })))
}

/// `GET /petitions/{id_or_slug}`: the petition, its count, and the form to sign.
#[handler]
pub async fn show_petition(
    state: Data<&AppState>,
    name: Path<String>,
    query: Query<PetitionQuery>,
) -> Response {
    let form = form_from_link(query.source.as_deref());
    petition_page(&state, &name, StatusCode::OK, query.signed(), form, None).await
}

async fn petition_page(
    state: &AppState,
    id_or_slug: &str,
    status: StatusCode,
    signed: &str,
    form: Option<FormState>,
    retry_after: Option<u64>,
) -> Response {
    let public = async |petition: &PublicRef| state.petitions.public(petition).await;
    let (reference, published) =
        or_page!(public_content(state, id_or_slug, public, PetitionError::code).await);
    let shown = &published.petition;
    let petition = &shown.item;
    let limit = Limit::up_to(RECENT);
    let signers = state
        .petitions
        .public_signers(&reference, limit, None)
        .await
        .map(|page| page.items)
        .unwrap_or_default();
    let locale = Locale::choose(None, &petition.language);
    let fields = shown.fields();
    let url = petitions::page_url(&state.site.public_url, &petition.slug);
    let form = form.unwrap_or_else(|| FormState::fresh(json!({})));
    let status_text = match shown.status() {
        PetitionStatus::Open => "open",
        PetitionStatus::Delivered => "delivered",
        _ => "closed",
    };
    let response = page(
        state,
        status,
        "petition",
        &json!({
            "locale": locale.as_str(),
            "petition": {
                "title": petition.title,
                "target": petition.target,
                "body_html": &*to_safe_html(&petition.body),
                "signature_count": petition.signature_count,
                "goal": petition.goal,
                "percent": percent(petition.signature_count.into(), petition.goal.map(Into::into)),
                "status": status_text,
                "url": url,
                "fields": {
                    "affiliation": fields.affiliation.as_str(),
                    "postal_code": fields.postal_code.as_str(),
                    "country": fields.country.as_str(),
                    "comment": fields.comment.as_str(),
                },
                "require_confirmation": petition.require_confirmation,
            },
            "signed": signed,
            "signers": signers.iter().map(|s| json!({
                "name": s.name,
                "locality": s.locality,
                "country": s.country.as_ref().map(ToString::to_string),
                "comment": s.comment,
            })).collect::<Vec<_>>(),
            "form": form,
            "meta": Meta::new(&petition.title, &petition.body, &petition.target, &url, "article"),
        }),
    );
    match retry_after {
        Some(seconds) => super::retry_after(response, seconds),
        None => response,
    }
}

/// `POST /petitions/{id_or_slug}`: sign, then back to the petition with a banner.
/// The API's honeypot and rate limits apply.
#[handler]
pub async fn sign(req: &Request, state: Data<&AppState>, posted: Posted) -> Response {
    let (field, name) = (|name| posted.field(name), &posted.name);
    let text = |name| {
        Some(field(name).trim())
            .filter(|v| !v.is_empty())
            .map(Into::into)
    };
    let values = json!({
        "name": field("name"), "email": field("email"), "affiliation": field("affiliation"),
        "postal_code": field("postal_code"), "locality": field("locality"),
        "country": field("country"), "comment": field("comment"),
        "public": posted.ticked("public"), "subscribe": posted.ticked("subscribe"),
        "source": field("source"),
    });
    let public = async |petition: &PublicRef| state.petitions.public(petition).await;
    let (_, published) = or_page!(public_content(&state, name, public, PetitionError::code).await);
    let petition = &published.petition;
    let locale = Locale::choose(None, &petition.item.language);
    let new = petitions::NewSignature {
        email: field("email").into(),
        name: field("name").into(),
        affiliation: text("affiliation"),
        postal_code: text("postal_code"),
        locality: text("locality"),
        country: text("country"),
        comment: text("comment"),
        public: posted.ticked("public"),
        subscribe: posted.ticked("subscribe"),
        locale: Some(locale.as_str().into()),
        website: text("website"),
        source: crate::petitions::review::Source::from_link(field("source")).map(Into::into),
    };
    // The petition's page again, with what was typed and what was wrong.
    let again =
        async |status, form, wait| petition_page(&state, name, status, "", Some(form), wait).await;
    // Name every missing field at once, not the petition's own ones after.
    let signed = match petitions::SignForm::parse_for(new, petition.fields()) {
        Ok(parsed) => {
            if let Some(seconds) = wait_before(&state.limits.sign, req, &parsed.email) {
                let form = FormState::too_many(values, seconds, locale);
                return again(StatusCode::TOO_MANY_REQUESTS, form, Some(seconds)).await;
            }
            state.petitions.sign(published.clone(), parsed).await
        }
        Err(invalid) => Err(invalid.into()),
    };
    match signed {
        Ok(status) => {
            let signed = match status {
                petitions::SignatureState::Confirmed => "confirmed",
                _ => "pending",
            };
            let slug = &petition.item.slug;
            see_other(&format!("/petitions/{slug}?signed={signed}"))
        }
        Err(PetitionError::Content(ContentError::Invalid(Invalid(fields)))) => {
            let form = FormState::refused(values, &fields, locale);
            again(StatusCode::UNPROCESSABLE_ENTITY, form, None).await
        }
        Err(e) if e.code() == "closed" => {
            let form = FormState::failed(values, refusal("closed", locale));
            again(StatusCode::CONFLICT, form, None).await
        }
        Err(e) if e.code() == "not_found" => not_found(&state, Locale::En),
        Err(e) => failure(&state, locale, &e),
    }
}

// --- fundraisers --------------------------------------------------------------------

/// `GET /fundraisers/{id_or_slug}`: progress, recent gifts and the form to give.
#[handler]
pub async fn show_fundraiser(
    state: Data<&AppState>,
    name: Path<String>,
    query: Query<SourceQuery>,
) -> Response {
    let form = form_from_link(query.source.as_deref());
    fundraiser_page(&state, &name, StatusCode::OK, form).await
}

#[derive(Debug, Deserialize)]
pub struct SourceQuery {
    /// Where the visitor came from, kept with the consent they give here.
    source: Option<String>,
}

async fn fundraiser_page(
    state: &AppState,
    id_or_slug: &str,
    status: StatusCode,
    form: Option<FormState>,
) -> Response {
    let public = async |fundraiser: &PublicRef| state.fundraisers.public(fundraiser).await;
    let (reference, f) =
        or_page!(public_content(state, id_or_slug, public, FundraiserError::code).await);
    let donors = state
        .fundraisers
        .donors(&reference, Limit::up_to(RECENT), None)
        .await
        .map(|page| page.items)
        .unwrap_or_default();
    let locale = Locale::choose(None, &f.row.language);
    let currency = f.row.currency;
    let text = |minor: i64| amount_text(minor, currency, locale);
    let limits = &f.limits;
    let default_amount = limits
        .suggested
        .get(limits.suggested.len().saturating_sub(1) / 2)
        .map_or_else(|| "other".to_owned(), ToString::to_string);
    let form = form.unwrap_or_else(|| {
        FormState::fresh(json!({ "amount": default_amount, "frequency": "one_time" }))
    });
    let (raised, goal, percent) = progress(&f, locale);
    let progress = format!("{raised} / {goal}");
    let url = format!("{}/fundraisers/{}", state.site.public_url, f.row.slug);
    // Named beside the opt-in box, in the words its consent keeps.
    let organisation = state
        .consents
        .organisation_name(f.row.organisation_id)
        .await
        .ok()
        .flatten();
    // The donate form is answered with a redirect to the payment provider.
    page_with_policy(
        state,
        status,
        "fundraiser",
        &json!({
            "locale": locale.as_str(),
            "fundraiser": {
                "title": f.row.title,
                "description_html": &*to_safe_html(&f.row.description),
                "raised": raised,
                "goal": goal,
                "percent": percent,
                "donor_count": f.donors,
                "raised_other": f.raised_other.iter().map(|(c, minor)| amount_text(*minor, *c, locale)).collect::<Vec<_>>(),
                "status": if f.row.status == FundraiserStatus::Open { "open" } else { "closed" },
                "currency": currency.code(),
                "suggested": limits.suggested.iter().map(|a| json!({ "minor": a, "text": text(*a) })).collect::<Vec<_>>(),
                "min": text(limits.min),
                "max": text(limits.max),
                "url": url,
                "organisation": organisation,
            },
            "payments_enabled": state.fundraisers.takes_payments(),
            "donors": donors.iter().map(|d| json!({
                "name": d.name,
                "amount": amount_text(d.amount, d.currency, locale),
                "message": d.message,
            })).collect::<Vec<_>>(),
            "form": form,
            "meta": Meta::new(&f.row.title, &f.row.description, &progress, &url, "article"),
        }),
        PagePolicy::SiteThenPayments,
    )
}

/// `POST /fundraisers/{id_or_slug}`: start a gift, then off to Stripe Checkout.
#[handler]
pub async fn donate(req: &Request, state: Data<&AppState>, posted: Posted) -> Response {
    let (field, name) = (|name| posted.field(name), &posted.name);
    let values = json!({
        "amount": field("amount"), "other_amount": field("other_amount"),
        "frequency": if field("frequency") == "monthly" { "monthly" } else { "one_time" },
        "name": field("name"), "email": field("email"), "message": field("message"),
        "anonymous": posted.ticked("anonymous"),
        "subscribe": posted.ticked("subscribe"),
        "source": field("source"),
    });
    let public = async |fundraiser: &PublicRef| state.fundraisers.public(fundraiser).await;
    let (_, f) = or_page!(public_content(&state, name, public, FundraiserError::code).await);
    let f = f.row;
    // The fundraiser's page again, with what was typed and what was wrong.
    let again = async |status, form| fundraiser_page(&state, name, status, Some(form)).await;
    let locale = Locale::choose(None, &f.language);
    let other = field("amount") == "other" || field("amount").is_empty();
    let refused = |fields: &[InvalidField]| {
        // The API names `amount.amount`; the page's fields are `amount` and `other_amount`.
        let shown = if other { "other_amount" } else { "amount" };
        let fields: Vec<InvalidField> = fields
            .iter()
            .cloned()
            .map(|f| match f.field.as_str() {
                "amount" | "amount.amount" | "amount.currency" => f.at(shown),
                _ => f,
            })
            .collect();
        FormState::refused(values.clone(), &fields, locale)
    };
    let amount = if other {
        Money::parse_decimal(field("other_amount"), f.currency).map(Money::minor)
    } else {
        field("amount")
            .parse::<i64>()
            .map_err(|_| InvalidField::new("amount", "must be one of the amounts shown"))
    };
    let amount = match amount {
        Ok(amount) => amount,
        Err(e) => {
            return again(StatusCode::UNPROCESSABLE_ENTITY, refused(&[e])).await;
        }
    };
    let gift = Gift {
        amount: Amount::new(amount, f.currency.code()),
        email: field("email").into(),
        name: field("name").into(),
        anonymous: posted.ticked("anonymous"),
        message: Some(field("message").into()),
        frequency: if field("frequency") == "monthly" {
            Frequency::Monthly
        } else {
            Frequency::OneTime
        },
        locale: Some(locale.as_str().into()),
        subscribe: posted.ticked("subscribe"),
        // A source that does not fit is dropped: the link never stops a supporter.
        source: crate::petitions::review::Source::from_link(field("source"))
            .map(|s| s.as_ref().to_owned()),
    };
    let parsed = match DonateForm::parse(gift) {
        Ok(parsed) => parsed,
        Err(invalid) => {
            return again(StatusCode::UNPROCESSABLE_ENTITY, refused(&invalid.0)).await;
        }
    };
    if let Some(seconds) = wait_before(&state.limits.sign, req, &parsed.email) {
        let form = FormState::too_many(values, seconds, locale);
        return retry_after(again(StatusCode::TOO_MANY_REQUESTS, form).await, seconds);
    }
    let e = match state.fundraisers.start(&PublicRef::Id(f.id), parsed).await {
        Ok(started) => return see_other(&started.checkout_url),
        Err(e) => e,
    };
    let status = match e.code() {
        "invalid" => StatusCode::UNPROCESSABLE_ENTITY,
        "closed" => StatusCode::CONFLICT,
        "payments" => StatusCode::SERVICE_UNAVAILABLE,
        "provider" => StatusCode::BAD_GATEWAY,
        "not_found" => return not_found(&state, Locale::En),
        _ => return failure(&state, locale, &e),
    };
    if let FundraiserError::Provider(cause) = &e {
        tracing::warn!(error = %cause, "Stripe call failed");
    }
    let form = match e.invalid_fields() {
        Some(fields) => refused(fields),
        None => FormState::failed(values, refusal(e.code(), locale)),
    };
    again(status, form).await
}

/// `GET /assets/turnout.css`: the one stylesheet, compiled in.
#[handler]
pub fn stylesheet() -> Response {
    Response::builder()
        .content_type("text/css; charset=utf-8")
        .header("Cache-Control", "public, max-age=86400")
        .body(include_str!("../../templates/assets/turnout.css"))
}

/// `GET /assets/door.js`: the door's search as the name is typed, compiled in.
#[handler]
pub fn door_script() -> Response {
    Response::builder()
        .content_type("text/javascript; charset=utf-8")
        .header("Cache-Control", "public, max-age=86400")
        .body(include_str!("../../templates/assets/door.js"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_visitors_language_follows_the_query_then_accept_language() {
        let req = Request::builder()
            .header("Accept-Language", "de-DE,de;q=0.9,fr-CA;q=0.8,en;q=0.5")
            .finish();
        assert_eq!(visitor_locale(&req, None), Locale::Fr);
        assert_eq!(visitor_locale(&req, Some("es")), Locale::Es);
        assert_eq!(visitor_locale(&Request::default(), None), Locale::En);
    }

    #[test]
    fn every_message_a_form_shows_comes_from_the_catalogue() {
        for locale in Locale::ALL {
            let mut shown = vec![too_many(30, locale)];
            for field in ["name", "email", "guests", "amount", "country"] {
                shown.push(field_message(
                    &InvalidField::required(field, "SERVICE WORDS"),
                    locale,
                ));
                shown.push(field_message(
                    &InvalidField::new(field, "SERVICE WORDS"),
                    locale,
                ));
                shown.push(field_message(&InvalidField::too_long(field, 200), locale));
                shown.push(field_message(&InvalidField::control(field), locale));
            }
            for kind in [
                "full",
                "seats",
                "closed",
                "cancelled",
                "declined",
                "payments",
                "provider",
                "other",
            ] {
                shown.push(refusal(kind, locale));
            }
            for text in &shown {
                assert!(
                    !text.starts_with("error.") && !text.starts_with("refusal."),
                    "{locale}: {text}"
                );
            }
            assert!(shown[0].contains("30"), "{}", shown[0]);
            let guests = field_message(&InvalidField::new("guests", "SERVICE WORDS"), locale);
            assert!(guests.contains(&MAX_GUESTS.to_string()), "{guests}");
            let long = field_message(&InvalidField::too_long("name", 200), locale);
            assert!(long.contains("200"), "{long}");
            for text in &shown {
                assert!(!text.contains("SERVICE WORDS"), "{locale}: {text}");
            }
        }
    }
}

// --- an organisation's page and its "Join us" form ---------------------------------

/// What an organisation's page lists of each kind at most.
const ORGANISATION_LIST: u64 = 20;

#[derive(Debug, Deserialize)]
pub struct OrganisationQuery {
    lang: Option<String>,
    /// Where the visitor came from, kept with the consent they give here.
    source: Option<String>,
    /// `yes` after the "Join us" form was sent.
    joined: Option<String>,
}

/// `GET /o/{slug}`: an organisation's upcoming events, open petitions and
/// fundraisers, its calendar feed, and its "Join us" form.
#[handler]
pub async fn show_organisation(
    req: &Request,
    state: Data<&AppState>,
    slug: Path<String>,
    query: Query<OrganisationQuery>,
) -> Response {
    let locale = visitor_locale(req, query.lang.as_deref());
    let source = query
        .source
        .as_deref()
        .and_then(crate::petitions::review::Source::from_link);
    let form = FormState::fresh(json!({ "source": source.as_ref().map(AsRef::as_ref) }));
    let joined = query.joined.as_deref() == Some("yes");
    organisation_page(&state, &slug, locale, StatusCode::OK, form, joined).await
}

async fn organisation_page(
    state: &AppState,
    slug: &str,
    locale: Locale,
    status: StatusCode,
    form: FormState,
    joined: bool,
) -> Response {
    let found = async {
        let Some(organisation) = state.organisations.by_slug(slug).await? else {
            return anyhow::Ok(None);
        };
        let filter = PublicFilter {
            organisation: Some(organisation.slug.clone()),
            ..PublicFilter::default()
        };
        let limit = Limit::up_to(ORGANISATION_LIST);
        let events = state
            .events
            .public_list(filter, limit, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .items;
        let theirs = |owner: &str| owner == organisation.slug;
        let mut petitions = state.petitions.open(Limit::up_to(200)).await?;
        petitions.retain(|p| theirs(&p.organisation));
        petitions.truncate(ORGANISATION_LIST as usize);
        let mut fundraisers = state.fundraisers.open(Limit::up_to(200)).await?;
        fundraisers.retain(|f| theirs(&f.organisation));
        fundraisers.truncate(ORGANISATION_LIST as usize);
        anyhow::Ok(Some((organisation, events, petitions, fundraisers)))
    };
    let (organisation, events, petitions, fundraisers) = match found.await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(state, locale),
        Err(e) => return failure(state, locale, &e),
    };
    let url = format!("{}/o/{}", state.site.public_url, organisation.slug);
    let feed = format!(
        "{}/organisations/{}/calendar.ics",
        state.site.public_url, organisation.slug
    );
    let description = say(
        locale,
        "page.organisation.description",
        &[("organisation", organisation.name.as_str().into())],
    );
    page(
        state,
        status,
        "organisation",
        &json!({
            "locale": locale.as_str(),
            "organisation": { "name": organisation.name, "slug": organisation.slug },
            "events": event_cards(events.iter().map(|e| &e.row), locale),
            "petitions": petition_cards(&petitions),
            "fundraisers": fundraiser_cards(&fundraisers, locale),
            "feed_url": feed,
            "webcal_url": feed.replacen("http", "webcal", 1),
            "joined": joined,
            "form": form,
            "meta": Meta::new(&organisation.name, &description, &description, &url, "website"),
        }),
    )
}

/// `POST /o/{slug}`: the "Join us" form. It asks, and emails a link to confirm;
/// what it answers never tells whether the address was known.
#[handler]
pub async fn join(req: &Request, state: Data<&AppState>, posted: Posted) -> Response {
    let field = |name| posted.field(name);
    let locale = Locale::parse(field("locale")).unwrap_or(Locale::En);
    let values = json!({ "name": field("name"), "email": field("email"),
                         "subscribe": posted.ticked("subscribe"), "source": field("source") });
    let again = async |status, form| {
        organisation_page(&state, &posted.name, locale, status, form, false).await
    };
    let mut parsed =
        crate::consent::JoinForm::parse(field("email"), Some(field("name")), Some(locale.as_str()));
    if !posted.ticked("subscribe") {
        let refusal = InvalidField::required("subscribe", "tick the box to join");
        match &mut parsed {
            Ok(_) => parsed = Err(vec![refusal]),
            Err(fields) => fields.push(refusal),
        }
    }
    let mut parsed = match parsed {
        Ok(parsed) => parsed,
        Err(fields) => {
            let form = FormState::refused(values, &fields, locale);
            return again(StatusCode::UNPROCESSABLE_ENTITY, form).await;
        }
    };
    parsed.source =
        crate::petitions::review::Source::from_link(field("source")).map(|s| s.as_ref().to_owned());
    if let Some(seconds) = wait_before(&state.limits.sign, req, &parsed.email) {
        let form = FormState::too_many(values, seconds, locale);
        return retry_after(again(StatusCode::TOO_MANY_REQUESTS, form).await, seconds);
    }
    match state.consents.join(&posted.name, parsed).await {
        Ok(()) => see_other(&format!(
            "/o/{}?joined=yes&lang={}",
            utf8_percent_encode(&posted.name, PATH_SEGMENT),
            locale.as_str()
        )),
        Err(crate::consent::ConsentError::Content(ContentError::NotFound(_))) => {
            not_found(&state, locale)
        }
        Err(e) => failure(&state, locale, &e),
    }
}
