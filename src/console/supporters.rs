//! Supporters in the console: search by name or address, a supporter's record
//! with this organisation (RSVPs, signatures, gifts, consent), their data as a
//! file, and erasure after a confirmation step.
//!
//! Every page acts within the organisation in the path only ([`Access::within`]),
//! through the same `supporters` service methods as the API
//! (`GET /api/v1/supporters`, `…/{id}`, `…/{id}/export`, `DELETE …/{id}`).
//! Viewers see no personal data: every page here is 403 to them. A supporter
//! this organisation holds nothing of is 404.

use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
};
use poem_openapi::types::ToJSON as _;
use serde_json::{Value, json};

use super::held::{InHand, Org, Write, refused, section};
use super::{Answer, Console, Current, Fields, OrgAnd};
use crate::content::{ContentError, Cursor, Limit};
use crate::domain::{Email, Locale};
use crate::email::render::{amount_text, date_text};
use crate::pages::see_other;
use crate::state::AppState;
use crate::supporters::{
    model::{Supporter, SupporterExport},
    service::SupporterRecord,
};
use crate::words::say;

/// How many supporters a page of the search lists.
const PER_PAGE: u64 = 50;

/// A query parameter as given, if any.
fn query_value(req: &Request, name: &str) -> Option<String> {
    req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    })
}

/// `GET /admin/{org}/supporters?q=`: those who acted for the organisation, newest
/// first; `q` finds them by name or address.
#[handler]
pub async fn list(req: &Request, org: Org<'_, Write>) -> Answer {
    let (state, console, current) = org.into_parts();
    let access = console.access().within(current.model.id);
    let q = query_value(req, "q").unwrap_or_default();
    let mut errors = json!({});
    if super::flag(req, "erased") {
        errors["_done"] = say(console.locale, "console.supporters.done_erased", &[]).into();
    }
    // A cursor not of this list starts it again.
    let cursor = query_value(req, "cursor").and_then(|c| Cursor::parse(&c).ok());
    let limit = Limit::parse(Some(PER_PAGE)).unwrap_or_default();
    let (status, supporters, next) = match state.supporters.search(&access, &q, limit, cursor).await
    {
        Ok(page) => (
            StatusCode::OK,
            page.items
                .into_iter()
                .map(|s| Supporter::from(s).to_json())
                .collect(),
            page.next.map(|c| c.to_string()),
        ),
        Err(ContentError::Invalid(invalid)) => {
            errors = console.messages(&invalid.0);
            (StatusCode::UNPROCESSABLE_ENTITY, Vec::new(), None)
        }
        Err(e) => return Err(refused(&console, state, &e)),
    };
    let next_url = next.map(|cursor| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &q)
            .append_pair("cursor", &cursor)
            .finish();
        format!("/admin/{}/supporters?{query}", current.model.slug)
    });
    let context = json!({
        "q": q,
        "supporters": supporters,
        "next": next_url,
        "errors": errors,
    });
    Ok(console.render(state, Some(&current), status, "supporters", context))
}

/// `GET /admin/{org}/supporters/{id}`: their record with this organisation.
#[handler]
pub async fn show(hand: InHand<'_, SupporterRecord, Write>) -> Answer {
    let (state, console, current, record) = hand.into_parts();
    let context = json!({ "supporter": view(&record, console.locale) });
    Ok(console.render(state, Some(&current), StatusCode::OK, "supporter", context))
}

/// `GET /admin/{org}/supporters/{id}/export`: everything this organisation holds
/// about them, as the API's JSON, to save as a file.
#[handler]
pub async fn export(org: Org<'_, Write>, path: OrgAnd<String>) -> Answer {
    let (state, console, current) = org.into_parts();
    let access = console.access().within(current.model.id);
    let (_, id) = path.0;
    let id = console.id(state, &id)?;
    let data = state
        .supporters
        .export(&access, id)
        .await
        .map_err(|e| refused(&console, state, &e))?;
    let body = SupporterExport::from(data).to_json().unwrap_or_default();
    let body = serde_json::to_vec_pretty(&body).unwrap_or_default();
    Ok(Response::builder()
        .content_type("application/json")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"supporter-{id}.json\""),
        )
        .body(body))
}

/// `GET /admin/{org}/supporters/{id}/erase`: what erasing them takes away, and
/// the box to type their address in to confirm.
#[handler]
pub async fn erase_page(hand: InHand<'_, SupporterRecord, Write>) -> Answer {
    let (state, console, current, record) = hand.into_parts();
    Ok(erase_form(
        &console,
        state,
        &current,
        record,
        StatusCode::OK,
        json!({}),
        "",
    ))
}

/// `POST /admin/{org}/supporters/{id}/erase` (field `email`, their address typed
/// again): erase what this organisation holds of them, as the API's `DELETE`.
#[handler]
pub async fn erase(hand: InHand<'_, SupporterRecord, Write>, form: Fields) -> Answer {
    let (state, console, current, record) = hand.into_parts();
    let access = console.access().within(current.model.id);
    let typed = form.get("email");
    let theirs = record.supporter.row.email.known().map(Email::key);
    let matches = Email::parse(typed).is_ok_and(|e| Some(e.key()) == theirs);
    if !matches {
        let errors =
            json!({ "email": say(console.locale, "console.supporters.erase_mismatch", &[]) });
        return Ok(erase_form(
            &console,
            state,
            &current,
            record,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            typed,
        ));
    }
    state
        .supporters
        .erase(&access, record.supporter.row.id)
        .await
        .map_err(|e| refused(&console, state, &e))?;
    Ok(see_other(&format!(
        "{}?erased=1",
        section(&current, "supporters")
    )))
}

fn erase_form(
    console: &Console,
    state: &AppState,
    current: &Current,
    record: SupporterRecord,
    status: StatusCode,
    errors: Value,
    typed: &str,
) -> Response {
    let context = json!({
        "supporter": view(&record, console.locale),
        "errors": errors,
        "values": { "email": typed },
    });
    console.render(state, Some(current), status, "supporter_erase", context)
}

/// A supporter's record as the pages show it: dates and amounts written for the
/// reader.
fn view(record: &SupporterRecord, locale: Locale) -> Value {
    let row = &record.supporter.row;
    let date = |at| date_text(at, locale);
    json!({
        "id": row.id.to_string(),
        "name": record.supporter.name,
        "email": row.email.to_string(),
        "locale": row.locale.map(|l| l.as_str()),
        "subscribed": row.subscribed,
        // With what words, on which form, from where: the consent's provenance.
        "consents": record.consents.iter().map(|held| {
            let c = &held.consent;
            json!({
                "status": c.status.as_str(),
                "words": c.words,
                "form": c.form.as_str(),
                "source": c.source,
                "asked": date(c.asked_at),
                "confirmed": c.confirmed_at.map(date),
                "withdrawn": c.withdrawn_at.map(date),
            })
        }).collect::<Vec<_>>(),
        "unsubscribed_at": row.unsubscribed_at.map(date),
        "since": date(row.created_at),
        "rsvps": record.rsvps.iter().map(|h| json!({
            "event_id": h.event.id.to_string(),
            "event_title": h.event.title,
            "starts": date(h.event.starts_at_utc),
            "status": h.rsvp.status.as_str(),
            "guests": h.rsvp.guests,
            "checked_in": h.rsvp.checked_in_at.is_some(),
            "when": date(h.rsvp.created_at),
        })).collect::<Vec<_>>(),
        "signatures": record.signatures.iter().map(|h| json!({
            "petition_title": h.petition.title,
            "status": h.signature.status.as_str(),
            "subscribe": h.signature.subscribe,
            "public": h.signature.public,
            "comment": h.signature.comment,
            "when": date(h.signature.confirmed_at.unwrap_or(h.signature.created_at)),
        })).collect::<Vec<_>>(),
        "donations": record.donations.iter().map(|h| {
            let d = &h.donation;
            json!({
                "fundraiser_title": h.fundraiser.title,
                "amount": amount_text(d.amount, d.currency, locale),
                "refunded": (d.refunded_amount > 0).then(|| amount_text(d.refunded_amount, d.currency, locale)),
                "status": d.status.as_str(),
                "frequency": d.frequency.as_str(),
                "when": date(d.received_at.unwrap_or(d.created_at)),
            })
        }).collect::<Vec<_>>(),
    })
}
