//! A petition's signatures in the console: search by name or address, filter by
//! status, page through; the CSVs of the API; hide a public comment; invalidate a
//! signature, or every one a filter names (an address domain, a time window, a
//! source) after a page that tells how many, with a way back (undo the batch).
//!
//! Only organisers see this page (viewers are answered 403): every row is
//! somebody's name and address. The rules, and the count kept exact, are
//! `petitions::review`'s.

use poem::{Request, handler, http::StatusCode, web::Query};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::held::{InHand, Write, refused};
use super::petitions::{instant_in, wrong_state};
use super::{Answer, Console, Current, Fields, attachment, stop};
use crate::content::{Cursor, Invalid, Limit};
use crate::domain::{InvalidField, PublicRef};
use crate::pages::{self, see_other};
use crate::petitions::PetitionError;
use crate::petitions::api::{delivery_csv, signatures_csv};
use crate::petitions::model::SignatureRecord;
use crate::petitions::review::{
    EmailDomain, Invalidation, SignatureFilter, SignatureQuery, SignatureState, Source,
};
use crate::petitions::service::{Petition, Signer};
use crate::state::AppState;
use crate::words::say;

/// Signatures a page shows.
const PAGE: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
}

/// The petition's signatures page, where every form of this module comes back to.
fn base(current: &Current, petition: &Petition) -> String {
    format!(
        "/admin/{}/petitions/{}/signatures",
        current.model.slug, petition.item.id
    )
}

/// `GET /admin/{org}/petitions/{id}/signatures`.
#[handler]
pub async fn page(
    req: &Request,
    hand: InHand<'_, Petition, Write>,
    query: Query<ListQuery>,
) -> Answer {
    let (state, console, current, petition) = hand.into_parts();
    let mut notice = Value::Null;
    let mut undo_batch = Value::Null;
    let number = |name: &str| param(req, name).and_then(|n| n.parse::<u64>().ok());
    if let Some(n) = number("invalidated") {
        notice = say(
            console.locale,
            "console.signatures.done_invalidated",
            &[("n", n.into())],
        )
        .into();
        undo_batch = param(req, "batch").into();
    } else if let Some(n) = number("restored") {
        notice = say(
            console.locale,
            "console.signatures.done_restored",
            &[("n", n.into())],
        )
        .into();
    } else if super::flag(req, "hidden") {
        notice = say(console.locale, "console.signatures.done_hidden", &[]).into();
    } else if super::flag(req, "shown") {
        notice = say(console.locale, "console.signatures.done_shown", &[]).into();
    }
    show(
        &console,
        state,
        &current,
        &petition,
        &query,
        StatusCode::OK,
        json!({ "notice": notice, "undo": undo_batch }),
    )
    .await
}

async fn show(
    console: &Console,
    state: &AppState,
    current: &Current,
    petition: &Petition,
    query: &ListQuery,
    status: StatusCode,
    extra: Value,
) -> Answer {
    let reference = PublicRef::Id(petition.item.id);
    let wanted = SignatureQuery {
        search: Some(query.q.clone()).filter(|q| !q.trim().is_empty()),
        status: SignatureState::ALL
            .into_iter()
            .find(|s| s.as_str() == query.status),
    };
    let cursor = Cursor::parse(&query.cursor).ok();
    let found = state
        .petitions
        .review(
            console.access(),
            &reference,
            &wanted,
            Limit::up_to(PAGE),
            cursor,
        )
        .await
        .map_err(|e| refused(console, state, &e))?;
    let batches = state
        .petitions
        .invalidated_batches(console.access(), &reference)
        .await
        .map_err(|e| refused(console, state, &e))?;
    let base = base(current, petition);
    let next = found.next.map(|c| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &query.q)
            .append_pair("status", &query.status)
            .append_pair("cursor", &c.to_string())
            .finish();
        format!("{base}?{query}")
    });
    let statuses = console.choices(
        "console.signatures.status_",
        SignatureState::ALL.map(|s| s.as_str()),
    );
    let mut context = json!({
        "petition": summary(state, current, petition),
        "base": base,
        "signatures": found.items.iter().map(|s| row_of(s, console)).collect::<Vec<_>>(),
        "q": query.q,
        "status": query.status,
        "statuses": statuses,
        "next": next,
        "batches": batches.iter().map(|b| json!({
            "batch": b.batch.to_string(),
            "signatures": b.signatures,
            "at": crate::email::render::date_text(b.at, console.locale),
        })).collect::<Vec<_>>(),
        "timezone": current.model.timezone.to_string(),
        "values": {},
        "errors": {},
    });
    if let (Value::Object(context), Value::Object(extra)) = (&mut context, extra) {
        context.extend(extra);
    }
    Ok(console.render(state, Some(current), status, "signatures", context))
}

/// The petition as the heading of its signatures pages shows it.
fn summary(state: &AppState, current: &Current, petition: &Petition) -> Value {
    let row = &petition.item;
    json!({
        "id": row.id.to_string(),
        "title": row.title,
        "status": petition.status().as_str(),
        "signature_count": row.signature_count,
        "goal": row.goal,
        "page": format!("/admin/{}/petitions/{}", current.model.slug, row.id),
        "url": crate::petitions::service::page_url(&state.site.public_url, &row.slug),
    })
}

fn row_of(s: &Signer, console: &Console) -> Value {
    let row = &s.item;
    json!({
        "id": row.id.to_string(),
        "name": row.name,
        "email": s.email,
        "status": row.status.as_str(),
        "source": row.source,
        "comment": row.comment,
        "comment_hidden": row.comment_hidden,
        "public": row.public,
        "signed": crate::email::render::date_text(row.created_at, console.locale),
        "live": matches!(row.status, SignatureState::Confirmed | SignatureState::Pending),
    })
}

/// A query parameter of the request, decoded.
fn param(req: &Request, name: &str) -> Option<String> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `GET /admin/{org}/petitions/{id}/signatures.csv`: every signature, with the
/// columns of the API's export.
#[handler]
pub async fn csv(hand: InHand<'_, Petition, Write>) -> Answer {
    let (state, console, _, petition) = hand.into_parts();
    let all = state
        .petitions
        .all_signatures(console.access(), &PublicRef::Id(petition.item.id))
        .await
        .map_err(|e| refused(&console, state, &e))?;
    let records: Vec<SignatureRecord> = all.into_iter().map(Into::into).collect();
    let name = format!("signatures-{}.csv", petition.item.slug);
    Ok(attachment(&name, signatures_csv(&records)))
}

/// `GET /admin/{org}/petitions/{id}/delivery.csv`: what is handed to the target,
/// as the API gives it.
#[handler]
pub async fn delivery(hand: InHand<'_, Petition, Write>) -> Answer {
    let (state, console, _, petition) = hand.into_parts();
    let (row, rows) = state
        .petitions
        .delivery(console.access(), &PublicRef::Id(petition.item.id))
        .await
        .map_err(|e| refused(&console, state, &e))?;
    let name = format!("delivery-{}.csv", row.slug);
    Ok(attachment(&name, delivery_csv(&rows)))
}

/// The signature id in a path `/admin/{org}/petitions/{id}/signatures/{sid}/…`;
/// one that is not an id is a 404 page.
fn signature_id(req: &Request, hand: &InHand<'_, Petition, Write>) -> poem::Result<Uuid> {
    let sid = req.raw_path_param("sid").unwrap_or_default();
    hand.console.id(hand.state, sid)
}

/// `POST /admin/{org}/petitions/{id}/signatures/{sid}/comment` (field `hidden`,
/// `yes` or `no`): hide a comment from the public signers, or show it again.
#[handler]
pub async fn comment(req: &Request, hand: InHand<'_, Petition, Write>, form: Fields) -> Answer {
    let sid = signature_id(req, &hand)?;
    let (state, console, current, petition) = hand.into_parts();
    let hidden = form.get("hidden") != "no";
    state
        .petitions
        .hide_comment(
            console.access(),
            &PublicRef::Id(petition.item.id),
            sid,
            hidden,
        )
        .await
        .map_err(|e| refused(&console, state, &e))?;
    let done = if hidden { "hidden" } else { "shown" };
    Ok(see_other(&format!(
        "{}?{done}=1",
        base(&current, &petition)
    )))
}

/// `POST /admin/{org}/petitions/{id}/signatures/{sid}/invalidate`.
#[handler]
pub async fn invalidate_one(req: &Request, hand: InHand<'_, Petition, Write>) -> Answer {
    let sid = signature_id(req, &hand)?;
    let (state, console, current, petition) = hand.into_parts();
    let done = state
        .petitions
        .invalidate_one(console.access(), &PublicRef::Id(petition.item.id), sid)
        .await;
    after_invalidation(&console, state, &current, &petition, done).await
}

/// 303 to the signatures page telling what an invalidation did, with a way back;
/// or the page again (409) saying why not.
async fn after_invalidation(
    console: &Console,
    state: &AppState,
    current: &Current,
    petition: &Petition,
    done: Result<Invalidation, PetitionError>,
) -> Answer {
    match done {
        Ok(done) => Ok(see_other(&format!(
            "{}?invalidated={}&batch={}",
            base(current, petition),
            done.signatures,
            done.batch
        ))),
        Err(PetitionError::WrongState(why)) => {
            let refusal = wrong_state(console, why);
            show(
                console,
                state,
                current,
                petition,
                &ListQuery::default(),
                StatusCode::CONFLICT,
                json!({ "refusal": refusal }),
            )
            .await
        }
        Err(e) => Err(refused(console, state, &e)),
    }
}

/// The filter a bulk form names, read as the service reads it.
fn filter_of(form: &Fields, current: &Current) -> Result<SignatureFilter, Invalid> {
    let mut refused = Vec::new();
    let domain = match form.get("email_domain").trim() {
        "" => None,
        raw => EmailDomain::parse(raw).map_err(|e| refused.push(e)).ok(),
    };
    let zone = current.model.timezone;
    let mut instant = |name: &str| match form.get(name).trim() {
        "" => None,
        raw => instant_in(raw, zone, name)
            .map_err(|e| refused.push(e))
            .ok(),
    };
    let from = instant("from");
    let until = instant("until");
    let source = Source::parse(form.get("source"))
        .map_err(|e| refused.push(e))
        .ok()
        .flatten();
    if !refused.is_empty() {
        return Err(Invalid(refused));
    }
    SignatureFilter::new(domain, from, until, source)
}

/// The filter's fields as typed, for the confirm step to send again.
fn filter_values(form: &Fields) -> Value {
    json!({
        "email_domain": form.get("email_domain"),
        "from": form.get("from"),
        "until": form.get("until"),
        "source": form.get("source"),
    })
}

/// `GET /admin/{org}/petitions/{id}/signatures/invalidate?email_domain=&from=&until=&source=`:
/// how many signatures the filter names now, and how many of them count, with
/// the button that invalidates them; a filter refused is shown with each message
/// beside its field.
#[handler]
pub async fn preview(hand: InHand<'_, Petition, Write>, query: Query<Fields>) -> Answer {
    let (state, console, current, petition) = hand.into_parts();
    let form = query.0;
    let (status, matching, errors) = match filter_of(&form, &current) {
        Ok(filter) => {
            let matching = state
                .petitions
                .count_matching(console.access(), &PublicRef::Id(petition.item.id), &filter)
                .await
                .map_err(|e| refused(&console, state, &e))?;
            let after = i64::from(petition.item.signature_count)
                - i64::try_from(matching.counted).unwrap_or(0);
            let shown = json!({
                "signatures": matching.signatures,
                "counted": matching.counted,
                "after": after,
            });
            (StatusCode::OK, shown, json!({}))
        }
        Err(Invalid(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Value::Null,
            filter_messages(&console, &fields),
        ),
    };
    let context = json!({
        "petition": summary(state, &current, &petition),
        "base": base(&current, &petition),
        "values": filter_values(&form),
        "errors": errors,
        "matching": matching,
        "timezone": current.model.timezone.to_string(),
    });
    Ok(console.render(
        state,
        Some(&current),
        status,
        "signatures_invalidate",
        context,
    ))
}

/// Messages beside the filter's fields, in the organiser's words.
fn filter_messages(console: &Console, fields: &[InvalidField]) -> Value {
    let mut errors = console.messages(fields);
    for field in fields {
        let key = match (field.field.as_str(), field.refusal) {
            ("email_domain", crate::domain::Refusal::Required) => "console.signatures.filter_empty",
            ("email_domain", _) => "console.signatures.bad_domain",
            ("until", crate::domain::Refusal::OutOfOrder) => "console.signatures.bad_window",
            _ => continue,
        };
        errors[&field.field] = say(console.locale, key, &[]).into();
    }
    errors
}

/// `POST /admin/{org}/petitions/{id}/signatures/invalidate`: invalidate every
/// signature the filter names, as one batch.
#[handler]
pub async fn invalidate_matching(hand: InHand<'_, Petition, Write>, form: Fields) -> Answer {
    let (state, console, current, petition) = hand.into_parts();
    let done = match filter_of(&form, &current) {
        Ok(filter) => {
            state
                .petitions
                .invalidate_matching(console.access(), &PublicRef::Id(petition.item.id), &filter)
                .await
        }
        Err(Invalid(fields)) => {
            let context = json!({
                "petition": summary(state, &current, &petition),
                "base": base(&current, &petition),
                "values": filter_values(&form),
                "errors": filter_messages(&console, &fields),
                "matching": null,
                "timezone": current.model.timezone.to_string(),
            });
            return Ok(console.render(
                state,
                Some(&current),
                StatusCode::UNPROCESSABLE_ENTITY,
                "signatures_invalidate",
                context,
            ));
        }
    };
    after_invalidation(&console, state, &current, &petition, done).await
}

/// `POST /admin/{org}/petitions/{id}/signatures/undo` (field `batch`): put back
/// the signatures of a batch as they were.
#[handler]
pub async fn undo(hand: InHand<'_, Petition, Write>, form: Fields) -> Answer {
    let (state, console, current, petition) = hand.into_parts();
    let batch = Uuid::parse_str(form.get("batch").trim())
        .map_err(|_| stop(pages::not_found(state, console.locale)))?;
    match state
        .petitions
        .undo_invalidation(console.access(), &PublicRef::Id(petition.item.id), batch)
        .await
    {
        Ok(done) => Ok(see_other(&format!(
            "{}?restored={}",
            base(&current, &petition),
            done.signatures
        ))),
        Err(PetitionError::WrongState(why)) => {
            let refusal = wrong_state(&console, why);
            show(
                &console,
                state,
                &current,
                &petition,
                &ListQuery::default(),
                StatusCode::CONFLICT,
                json!({ "refusal": refusal }),
            )
            .await
        }
        Err(e) => Err(refused(&console, state, &e)),
    }
}
