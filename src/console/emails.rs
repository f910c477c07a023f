//! An organisation's outbox in the console: the emails that failed and those still
//! waiting, each with its recipient, what it was (in words), its attempts and why
//! it failed; putting one or every failed email back in the queue.
//!
//! Recipients are personal data: a viewer sees counts by kind of email, no
//! address, and retries nothing (as the API's `/emails` refuses viewers). The queue
//! is `email::outbox`'s, the same the API reads and the worker sends from.

use chrono::{DateTime, Utc};
use poem::{handler, http::StatusCode, web::Query};
use serde::Deserialize;
use serde_json::{Value, json};

use super::held::{Org, Write};
use super::{Answer, Console, Current, OrgAnd, stop};
use crate::content::{Cursor, Limit};
use crate::domain::Locale;
use crate::email::outbox::{self, Status};
use crate::email::render::{Template, date_text};
use crate::pages::see_other;
use crate::state::AppState;
use crate::words::say;
use entity::outbox_email;

/// Emails of each state shown on one page.
const PAGE: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct EmailsQuery {
    #[serde(default)]
    cursor: String,
    /// How many the form before this page put back in the queue.
    retried: Option<u64>,
    /// Set when the email asked to be retried was not failed any more.
    #[serde(default)]
    gone: String,
}

/// `GET /admin/{org}/emails`: counts by kind for everyone; for organisers, each
/// failed email (a page at a time) and each one waiting, with a button to retry.
#[handler]
pub async fn page(org: Org<'_>, query: Query<EmailsQuery>) -> Answer {
    let (state, console, current) = org.into_parts();
    let notice = match query.retried {
        Some(n) => Some(say(
            console.locale,
            "console.emails.done_retried",
            &[("n", n.into())],
        )),
        None if !query.gone.is_empty() => Some(say(console.locale, "console.emails.gone", &[])),
        None => None,
    };
    let cursor = Cursor::parse(&query.cursor).ok();
    show(&console, state, &current, notice, cursor).await
}

async fn show(
    console: &Console,
    state: &AppState,
    current: &Current,
    notice: Option<String>,
    cursor: Option<Cursor>,
) -> Answer {
    let db = &state.db;
    let failure = |e: sea_orm::DbErr| stop(console.failure(state, &e));
    let ours = vec![current.model.id];
    let unsent = outbox::unsent(db, current.model.id)
        .await
        .map_err(failure)?;
    let kinds: Vec<Value> = unsent
        .by_template
        .iter()
        .map(|(template, failed, waiting)| {
            json!({
                "template": template_words(console, template),
                "failed": failed,
                "waiting": waiting,
            })
        })
        .collect();
    let mut context = json!({
        "kinds": kinds,
        "failed_count": unsent.failed(),
        "waiting_count": unsent.waiting(),
        "oldest": unsent.oldest_waiting.map(|at| age_words(console, at)),
        "notice": notice,
        "failed": null,
        "waiting": null,
        "next": null,
        "first_page": cursor.is_none(),
    });
    // Addresses only for those who may see personal data.
    if current.can_write() {
        let limit = Limit::up_to(PAGE);
        let failed = outbox::list(db, ours.clone(), Status::Failed, limit, cursor)
            .await
            .map_err(failure)?;
        let mut waiting = outbox::list(db, ours.clone(), Status::Sending, limit, None)
            .await
            .map_err(failure)?
            .items;
        waiting.extend(
            outbox::list(db, ours, Status::Pending, limit, None)
                .await
                .map_err(failure)?
                .items,
        );
        waiting.truncate(PAGE as usize);
        let row = |e: &outbox_email::Model| row_of(console, current, e);
        context["failed"] = failed.items.iter().map(row).collect::<Vec<_>>().into();
        context["waiting"] = waiting.iter().map(row).collect::<Vec<_>>().into();
        context["next"] = failed.next.map(|c| c.to_string()).into();
    }
    Ok(console.render(state, Some(current), StatusCode::OK, "emails", context))
}

/// One email as a row.
fn row_of(console: &Console, current: &Current, e: &outbox_email::Model) -> Value {
    json!({
        "id": e.id.to_string(),
        "recipient": e.recipient,
        "recipient_name": e.recipient_name,
        "template": template_words(console, &e.template),
        "status": e.status.as_str(),
        "attempts": e.attempts,
        "last_error": e.last_error,
        "queued": moment(console, current, e.created_at),
        "next_attempt": moment(console, current, e.next_attempt_at),
    })
}

/// A moment as the organiser reads it: the day and the time in the organisation's
/// zone, with the zone's abbreviation.
pub fn moment(console: &Console, current: &Current, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&current.model.timezone.tz());
    format!(
        "{} {}",
        day_in(at, current, console.locale),
        local.format("%H:%M %Z")
    )
}

/// The day of `at` in the organisation's zone, as the organiser writes days.
pub fn day_in(at: DateTime<Utc>, current: &Current, locale: Locale) -> String {
    // `date_text` writes the day of a UTC instant: given the wall time read as UTC,
    // it writes the organisation's day.
    let wall = at
        .with_timezone(&current.model.timezone.tz())
        .naive_local()
        .and_utc();
    date_text(wall, locale)
}

/// What an email is, in words ("RSVP confirmation"); a template this version does
/// not know by its name.
fn template_words(console: &Console, name: &str) -> String {
    if Template::ALL.iter().any(|t| t.name() == name) {
        say(
            console.locale,
            &format!("console.emails.template_{name}"),
            &[],
        )
    } else {
        name.to_owned()
    }
}

/// How long ago `since` was, in words: "20 minutes", "2 hours", "3 days".
pub fn age_words(console: &Console, since: DateTime<Utc>) -> String {
    let minutes = (Utc::now() - since).num_minutes().max(0);
    let (key, n) = if minutes < 120 {
        ("age_minutes", minutes)
    } else if minutes < 48 * 60 {
        ("age_hours", minutes / 60)
    } else {
        ("age_days", minutes / (24 * 60))
    };
    say(
        console.locale,
        &format!("console.emails.{key}"),
        &[("n", n.into())],
    )
}

/// `POST /admin/{org}/emails/{id}/retry`: put a failed email back in the queue
/// with fresh attempts; the worker sends it again.
#[handler]
pub async fn retry(org: Org<'_, Write>, path: OrgAnd<String>) -> Answer {
    let (state, console, current) = org.into_parts();
    let (_, id) = path.0;
    let id = console.id(state, &id)?;
    let failure = |e: sea_orm::DbErr| stop(console.failure(state, &e));
    let ours = vec![current.model.id];
    let base = format!("/admin/{}/emails", current.model.slug);
    if outbox::retry(&state.db, ours.clone(), id)
        .await
        .map_err(failure)?
        .is_some()
    {
        return Ok(see_other(&format!("{base}?retried=1")));
    }
    // Ours but no longer failed (retried already, in another tab): say so.
    match outbox::find_of(&state.db, ours, id)
        .await
        .map_err(failure)?
    {
        Some(_) => Ok(see_other(&format!("{base}?gone=1"))),
        None => Err(console.not_found(state)),
    }
}

/// `POST /admin/{org}/emails/retry`: every failed email of the organisation back
/// in the queue.
#[handler]
pub async fn retry_all(org: Org<'_, Write>) -> Answer {
    let (state, console, current) = org.into_parts();
    let n = outbox::retry_all(&state.db, vec![current.model.id])
        .await
        .map_err(|e| stop(console.failure(state, &e)))?;
    Ok(see_other(&format!(
        "/admin/{}/emails?retried={n}",
        current.model.slug
    )))
}
