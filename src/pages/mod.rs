//! The HTML pages for supporters: the public pages with their forms (`public`),
//! and here the pages behind the links in emails that need no login: managing an
//! RSVP, confirming a signature, one-click unsubscribe (RFC 8058), accepting an
//! organiser's invitation, and the pages after Stripe Checkout. Plain HTML forms;
//! no JavaScript.

use poem::{
    FromRequest, Request, RequestBody, Response, handler,
    http::StatusCode,
    web::{Data, Form, Path, Query},
};
use serde::{Deserialize, Serialize};

use crate::http::headers::{PagePolicy, page_policy};
use crate::organisations::password::{MAX_CHARS, MIN_CHARS, NewPassword, PasswordRefusal};
use crate::organisations::service::{Acceptance, OrganisationError};
use crate::words::say;
use crate::{
    domain::{InvalidField, Locale},
    state::AppState,
};

mod head;
pub mod markdown;
pub mod origin;
pub mod public;

pub use markdown::to_safe_html;

/// Render a page whose forms post only to this site; a template error is logged
/// and answered as a plain 500.
pub(crate) fn page(
    state: &AppState,
    status: StatusCode,
    name: &str,
    context: &impl Serialize,
) -> Response {
    page_with_policy(state, status, name, context, PagePolicy::Site)
}

/// [`page`], for a page that may do more (`policy`): forms that lead elsewhere, a
/// script of ours.
pub(crate) fn page_with_policy(
    state: &AppState,
    status: StatusCode,
    name: &str,
    context: &impl Serialize,
    policy: PagePolicy,
) -> Response {
    match state.renderer.page(name, context) {
        Ok(html) => Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .header("Cache-Control", "no-store")
            // Tokens in page URLs never reach other sites, while our own form posts
            // keep their Origin for the CSRF check (`no-referrer` makes it `null`).
            .header("Referrer-Policy", "same-origin")
            .header("Content-Security-Policy", page_policy(policy))
            .header("X-Frame-Options", "DENY")
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, page = name, "page failed to render");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/plain; charset=utf-8")
                .body("internal error")
        }
    }
}

/// The language of an organiser's page (an invitation, a password reset): the
/// first of ours in `Accept-Language`, else English. Those pages take no `?lang=`.
pub(crate) struct OrganiserLocale(pub Locale);

impl<'a> FromRequest<'a> for OrganiserLocale {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(visitor_locale(req, None)))
    }
}

/// The language a visitor asked for: `?lang=`, else the first of ours in
/// `Accept-Language` (by its weights, leaving out those refused with `q=0`), else
/// English.
pub(crate) fn visitor_locale(req: &Request, lang: Option<&str>) -> Locale {
    if let Some(locale) = lang.and_then(|l| Locale::parse(l).ok()) {
        return locale;
    }
    let mut ranges: Vec<(f32, &str)> = req
        .header("accept-language")
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok())
                .unwrap_or(1.0);
            // `q=0` says "not this one".
            (q > 0.0).then_some((q, tag))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranges
        .into_iter()
        .find_map(|(_, tag)| Locale::parse(tag).ok())
        .unwrap_or(Locale::En)
}

/// What a console form says beside a password it refused, in the reader's language.
pub(crate) fn password_message(locale: Locale, refusal: PasswordRefusal) -> String {
    match refusal {
        PasswordRefusal::TooShort => say(
            locale,
            &format!("error.{}", refusal.code()),
            &[("min", MIN_CHARS.into())],
        ),
        PasswordRefusal::TooLong => say(
            locale,
            &format!("error.{}", refusal.code()),
            &[("max", MAX_CHARS.into())],
        ),
    }
}

/// A field's message in the page's language (`error.*` of the catalogue), chosen by
/// the kind of refusal and the field, never by the service's English words.
pub(crate) fn field_message(field: &InvalidField, locale: Locale) -> String {
    let mut max = 0;
    let key = match (field.refusal, field.field.as_str()) {
        // An address is told what one looks like, whatever was wrong with it.
        (_, "email") => "email",
        // The "Join us" box is the whole point of the form.
        (_, "subscribe") => "subscribe",
        (crate::domain::Refusal::Required, _) => "required",
        (crate::domain::Refusal::TooLong { max: limit }, _) => {
            max = limit;
            "too_long"
        }
        (crate::domain::Refusal::Control, _) => "control",
        (crate::domain::Refusal::Skipped, _) => "skipped",
        (crate::domain::Refusal::OutOfOrder, _) => "out_of_order",
        (crate::domain::Refusal::Future, _) => "future",
        (_, "guests") => "guests",
        (_, "amount" | "other_amount") => "amount",
        (_, "country") => "country",
        (_, "capacity") => "capacity",
        (_, "location.latitude" | "location.longitude") => "coordinate",
        _ => "invalid",
    };
    let text = say(
        locale,
        &format!("error.{key}"),
        &[
            ("max_guests", crate::rsvps::service::MAX_GUESTS.into()),
            ("max", max.into()),
        ],
    );
    // Limits name their amounts ("must be at least 1.00 GBP"): keep that detail.
    if key == "amount" && field.message.starts_with("must be at") {
        return format!("{text} ({})", field.message);
    }
    text
}

/// A 429 page says when to come back, as every 429 does (`Retry-After`, in seconds).
pub(crate) fn retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(poem::http::header::RETRY_AFTER, seconds.into());
    response
}

/// 303 to `location`: a form that succeeded (POST/redirect/GET).
pub(crate) fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("Location", location)
        .finish()
}

/// A page that failed on our side: logged with its cause, and answered 500 with a
/// page that says so in the reader's language and names nothing of the cause.
pub(crate) fn failure(state: &AppState, locale: Locale, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page failed");
    page(
        state,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error",
        &serde_json::json!({ "locale": locale.as_str() }),
    )
}

pub(crate) fn not_found(state: &AppState, locale: Locale) -> Response {
    page(
        state,
        StatusCode::NOT_FOUND,
        "not_found",
        &serde_json::json!({ "locale": locale.as_str() }),
    )
}

/// The supporter's language for a page about them.
async fn supporter_locale(state: &AppState, id: uuid::Uuid) -> Locale {
    let stored = state.supporters.locale_of(id).await.ok().flatten();
    stored.unwrap_or(Locale::En)
}

/// The mailing an unsubscribe link came in, if any.
#[derive(Debug, Default, Deserialize)]
pub struct FromMailing {
    mailing: Option<String>,
}

/// `GET /unsubscribe/{token}`: a page with one button. Opening the link changes
/// nothing, since mail scanners open links before people do.
#[handler]
pub async fn unsubscribe_page(state: Data<&AppState>, token: Path<String>) -> Response {
    let Some((organisation, id)) = crate::consent::unsubscribe_target(&state.site, &token) else {
        return not_found(&state, Locale::En);
    };
    unsubscribed(&state, organisation, id, false).await
}

/// `POST /unsubscribe/{token}`: the one-click unsubscribe of RFC 8058 (a mail
/// client posts `List-Unsubscribe=One-Click`), and the page's button. A link from
/// an organisation's email also ends the consent to that organisation, and only it.
///
/// A link from a mailing names it (`?mailing=`), so that the mailing counts who
/// left through it; the name is not signed, and counts only when a consent to the
/// mailing's own organisation has just ended.
#[handler]
pub async fn unsubscribe(
    state: Data<&AppState>,
    token: Path<String>,
    Query(from): Query<FromMailing>,
) -> Response {
    let Some((organisation, id)) = crate::consent::unsubscribe_target(&state.site, &token) else {
        return not_found(&state, Locale::En);
    };
    let withdrawn = match organisation {
        Some(organisation) => match state.consents.withdraw(organisation, id).await {
            Ok(true) => match from.mailing.as_deref().map(uuid::Uuid::parse_str) {
                Some(Ok(mailing)) => {
                    state
                        .mailings
                        .count_unsubscribe(organisation, mailing)
                        .await
                }
                _ => Ok(()),
            },
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        },
        None => Ok(()),
    };
    let done = match withdrawn {
        Ok(()) => state.supporters.unsubscribe(id).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(true) => unsubscribed(&state, organisation, id, true).await,
        // An erased supporter: nothing is left to send to.
        Ok(false) => not_found(&state, Locale::En),
        Err(e) => {
            let locale = supporter_locale(&state, id).await;
            failure(&state, locale, &e)
        }
    }
}

/// The unsubscribe page in the supporter's language, naming the organisation the
/// link came from: its button, or that it is done.
async fn unsubscribed(
    state: &AppState,
    organisation: Option<uuid::Uuid>,
    id: uuid::Uuid,
    done: bool,
) -> Response {
    let locale = supporter_locale(state, id).await;
    let organisation = match organisation {
        Some(organisation) => state
            .consents
            .organisation_name(organisation)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    page(
        state,
        StatusCode::OK,
        "unsubscribe",
        &serde_json::json!({
            "locale": locale.as_str(),
            "done": done,
            "organisation": organisation,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct InvitationForm {
    password: String,
    #[serde(default)]
    name: String,
}

/// `GET /invitations/{token}`: the form where an invited organiser sets a password.
#[handler]
pub async fn invitation_page(
    OrganiserLocale(locale): OrganiserLocale,
    state: Data<&AppState>,
    token: Path<String>,
) -> Response {
    invitation_form(&state, locale, &token, StatusCode::OK, "", "").await
}

async fn invitation_form(
    state: &AppState,
    locale: Locale,
    token: &str,
    status: StatusCode,
    name: &str,
    error: &str,
) -> Response {
    match state.organisations.invitation(token).await {
        Ok(Some(open)) => page(
            state,
            status,
            "invitation",
            &serde_json::json!({
                "locale": locale.as_str(),
                "done": false,
                "email": open.email.to_string(),
                "organisation_name": open.organisation_name,
                "name": name,
                "error": error,
            }),
        ),
        Ok(None) => not_found(state, locale),
        Err(e) => failure(state, locale, &e),
    }
}

/// `POST /invitations/{token}`: set the password.
#[handler]
pub async fn accept_invitation(
    OrganiserLocale(locale): OrganiserLocale,
    state: Data<&AppState>,
    token: Path<String>,
    form: Form<InvitationForm>,
) -> Response {
    let name = Some(form.name.trim()).filter(|n| !n.is_empty());
    let accepted = match NewPassword::parse(&form.password) {
        Err(refusal) => Err(password_message(locale, refusal)),
        Ok(_) => {
            let acceptance = Acceptance {
                password: form.password.clone(),
                name: name.map(str::to_owned),
            };
            match state
                .organisations
                .accept_invitation(&token, acceptance)
                .await
            {
                Ok(_) => Ok(()),
                Err(OrganisationError::Invalid(invalid)) => Err(invalid
                    .0
                    .first()
                    .map(|field| field_message(field, locale))
                    .unwrap_or_default()),
                Err(e @ (OrganisationError::Db(_) | OrganisationError::Hashing(_))) => {
                    return failure(&state, locale, &e);
                }
                Err(_) => return not_found(&state, locale),
            }
        }
    };
    match accepted {
        Ok(()) => page(
            &state,
            StatusCode::OK,
            "invitation",
            &serde_json::json!({ "locale": locale.as_str(), "done": true }),
        ),
        Err(error) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            invitation_form(&state, locale, &token, status, &form.name, &error).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ManageQuery {
    done: Option<String>,
}

/// `GET /rsvps/{token}`: the page behind the manage link of every RSVP email.
#[handler]
pub async fn rsvp_page(
    state: Data<&AppState>,
    token: Path<String>,
    query: poem::web::Query<ManageQuery>,
) -> Response {
    let done = query.done.as_deref().unwrap_or_default();
    rsvp_form(&state, &token, StatusCode::OK, done, None, "").await
}

async fn rsvp_form(
    state: &AppState,
    token: &str,
    status: StatusCode,
    done: &str,
    guests: Option<&str>,
    error: &str,
) -> Response {
    use crate::events::service::EventStatus;
    let managed = match state.rsvps.managed(token).await {
        Ok(managed) => managed,
        Err(crate::rsvps::RsvpError::Db(e)) => return failure(state, Locale::En, &e),
        Err(_) => return not_found(state, Locale::En),
    };
    let event = &managed.event;
    let rsvp = &managed.rsvp.row;
    let locale = Locale::choose(rsvp.locale, &event.language);
    let when = public::when_of(event, locale);
    let place = public::place_of(event);
    // A cancelled event takes no changes: show the RSVP without its forms.
    let rsvp_status = if event.status == EventStatus::Cancelled {
        "cancelled"
    } else {
        rsvp.status.as_str()
    };
    page(
        state,
        status,
        "rsvp",
        &serde_json::json!({
            "locale": locale.as_str(),
            "event": {
                "title": event.title,
                "url": format!("{}/events/{}", state.site.public_url, event.slug),
            },
            "when": when,
            "where": place,
            "status": rsvp_status,
            "guests": guests.map_or_else(|| rsvp.guests.to_string(), str::to_owned),
            "max_guests": crate::rsvps::service::MAX_GUESTS,
            "done": done,
            "error": error,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct ManageForm {
    action: String,
    #[serde(default)]
    guests: String,
}

/// `POST /rsvps/{token}`: change the guests or cancel, then back to the page
/// (303), so reloading it sends nothing again.
#[handler]
pub async fn change_rsvp(
    state: Data<&AppState>,
    token: Path<String>,
    form: Form<ManageForm>,
) -> Response {
    use crate::rsvps::RsvpError;
    let outcome = match form.action.as_str() {
        "cancel" => state.rsvps.cancel(&token).await.map(|()| "cancelled"),
        "change" => match form.guests.trim().parse::<i64>() {
            Ok(guests) => state
                .rsvps
                .change_guests(&token, guests)
                .await
                .map(|_| "changed"),
            Err(_) => Err(RsvpError::Invalid(vec![crate::domain::InvalidField::new(
                "guests",
                format!(
                    "must be a number from 0 to {}",
                    crate::rsvps::service::MAX_GUESTS
                ),
            )])),
        },
        _ => return not_found(&state, Locale::En),
    };
    match outcome {
        Ok(done) => see_other(&format!("/rsvps/{}?done={done}", token.0)),
        Err(RsvpError::NotFound) => not_found(&state, Locale::En),
        Err(RsvpError::Db(e)) => failure(&state, Locale::En, &e),
        Err(e) => {
            let status = match e {
                RsvpError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::CONFLICT,
            };
            let message = match &e {
                RsvpError::Invalid(fields) => fields
                    .iter()
                    .map(|f| format!("{} {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            rsvp_form(&state, &token, status, "", Some(&form.guests), &message).await
        }
    }
}

/// `GET /signatures/confirm/{token}`: the page behind the confirmation link. Mail
/// scanners open links before people do, so opening it confirms nothing: its one
/// button does.
#[handler]
pub async fn confirm_page(state: Data<&AppState>, token: Path<String>) -> Response {
    match state.petitions.confirmation(&token).await {
        Ok(Some(shown)) => page(
            &state,
            StatusCode::OK,
            "confirm",
            &serde_json::json!({
                "locale": shown.locale.as_str(),
                "petition_title": shown.petition_title,
            }),
        ),
        Ok(None) => not_found(&state, Locale::En),
        Err(e) => failure(&state, Locale::En, &e),
    }
}

/// `POST /signatures/confirm/{token}`: the button. Confirming twice says the same.
#[handler]
pub async fn confirm_signature(state: Data<&AppState>, token: Path<String>) -> Response {
    let Ok(Some(shown)) = state.petitions.confirmation(&token).await else {
        return not_found(&state, Locale::En);
    };
    let locale = shown.locale;
    let (status, context) = match state.petitions.confirm(&token).await {
        Ok(count) => (
            StatusCode::OK,
            serde_json::json!({ "done": true, "signature_count": count }),
        ),
        Err(e) if e.code() == "internal" => return failure(&state, locale, &e),
        Err(e) if e.code() == "no_such_link" => (
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": e.to_string() }),
        ),
        Err(e) => (
            StatusCode::CONFLICT,
            serde_json::json!({ "error": e.to_string() }),
        ),
    };
    let mut context = context;
    context["locale"] = locale.as_str().into();
    context["petition_title"] = shown.petition_title.into();
    page(&state, status, "confirm", &context)
}

/// `GET /donations/{token}/thanks`: where Stripe Checkout sends the donor after
/// paying. The webhook may not have arrived yet, so the page says whether the
/// payment is confirmed or still being confirmed.
#[handler]
pub async fn donation_thanks(state: Data<&AppState>, token: Path<String>) -> Response {
    after_checkout(&state, &token, "donation_thanks").await
}

/// `GET /donations/{token}/cancelled`: where Checkout sends a donor who turned back.
#[handler]
pub async fn donation_cancelled(state: Data<&AppState>, token: Path<String>) -> Response {
    after_checkout(&state, &token, "donation_cancelled").await
}

async fn after_checkout(state: &AppState, token: &str, name: &str) -> Response {
    match state.fundraisers.after_checkout(token).await {
        Ok(Some(details)) => page(state, StatusCode::OK, name, &details),
        Ok(None) => not_found(state, Locale::En),
        Err(e) => failure(state, Locale::En, &e),
    }
}
