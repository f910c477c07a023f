//! The door: a page for a phone held at the entrance. Search by name (a GET form,
//! `?q=`), one tap to check someone in and one to undo, the running count of
//! arrivals against the seats of those going, and walk-ins added on the spot
//! (capacity still holds).
//!
//! Two doors at once take turns in `rsvps::service` (each change locks the
//! event's row), so counts stay exact. With script, `/assets/door.js` runs the
//! search as the name is typed and puts the answer in place.

use poem::{handler, web::Query};
use serde::Deserialize;
use serde_json::{Value, json};

use super::attendees::{counted, refused, row_of, why};
use super::held::{Form, InHand, Needs, Write};
use super::{Answer, Fields};
use crate::events::service::Event;
use crate::http::headers::PagePolicy;
use crate::pages::see_other;
use crate::rsvps::service::Decision;
use crate::state::AppState;
use crate::words::say;

/// The most names one search shows.
pub const SHOWN: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct DoorQuery {
    #[serde(default)]
    q: String,
    /// What the form before this page did (`in`, `undone`, `walk_in`).
    #[serde(default)]
    done: String,
}

/// `GET /admin/{org}/events/{id}/door?q=`.
#[handler]
pub async fn page(hand: InHand<'_, Event>, query: Query<DoorQuery>) -> Answer {
    let state = hand.state;
    let notice = match query.done.as_str() {
        done @ ("in" | "undone" | "walk_in") => say(
            hand.console.locale,
            &format!("console.door.done_{done}"),
            &[],
        )
        .into(),
        _ => Value::Null,
    };
    let form = Form::shown(json!({}), json!({}));
    show(state, &hand, &query.q, notice, form).await
}

/// The door with the search `q`; beside its list a notice after a form that
/// succeeded, or the walk-in form refused, with what was typed and why.
async fn show<R: Needs>(
    state: &AppState,
    hand: &InHand<'_, Event, R>,
    q: &str,
    notice: Value,
    form: Form,
) -> Answer {
    let console = &hand.console;
    let search = async |s: &AppState, a: &_, e: &_| s.rsvps.door_search(a, e, q, SHOWN).await;
    let (counts, found) = counted(state, hand, search).await?;
    let found = found.map(|found| found.iter().map(|a| row_of(a, console)).collect::<Vec<_>>());
    let context = json!({
        "event": hand.view(),
        "counts": counts,
        "q": q,
        "found": found,
        "most": SHOWN,
        "notice": notice,
        "values": form.values,
        "errors": form.errors,
    });
    // Search as you type (`/assets/door.js`); the form works without it.
    Ok(console.render_with(
        state,
        Some(&hand.current),
        form.status,
        "door",
        context,
        PagePolicy::SiteWithOwnScript,
    ))
}

/// Back to the door with the search as it was.
fn back(hand: &InHand<'_, Event, Write>, q: &str, done: &str) -> poem::Response {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    see_other(&format!("{}/door?q={q}&done={done}", hand.path()))
}

/// `POST /admin/{org}/events/{id}/door/check-in` (`rsvp`, and `q` to come back to).
#[handler]
pub async fn check_in(hand: InHand<'_, Event, Write>, form: Fields) -> Answer {
    let state = hand.state;
    act(&hand, state, &form, Decision::CheckIn, "in").await
}

/// `POST /admin/{org}/events/{id}/door/undo`: take a check-in back.
#[handler]
pub async fn undo(hand: InHand<'_, Event, Write>, form: Fields) -> Answer {
    let state = hand.state;
    act(&hand, state, &form, Decision::UndoCheckIn, "undone").await
}

async fn act(
    hand: &InHand<'_, Event, Write>,
    state: &AppState,
    form: &Fields,
    decision: Decision,
    done: &str,
) -> Answer {
    let console = &hand.console;
    let id = console.id(state, form.get("rsvp"))?;
    let q = form.get("q");
    match state
        .rsvps
        .decide_at(console.access(), hand.item.row.id, id, decision)
        .await
    {
        Ok(_) => Ok(back(hand, q, done)),
        Err(e) => match why(console, &e) {
            Some(why) => {
                let form = Form::conflict(json!({}), why);
                show(state, hand, q, Value::Null, form).await
            }
            None => Err(refused(console, state, &e)),
        },
    }
}

/// `POST /admin/{org}/events/{id}/door/walk-in` (name, email, guests): added and
/// checked in at once; a full event says so.
#[handler]
pub async fn walk_in(hand: InHand<'_, Event, Write>, form: Fields) -> Answer {
    let state = hand.state;
    let q = form.get("q");
    let (status, errors) =
        match super::attendees::add_from(state, &hand, &form, true, "_walk_in").await? {
            Ok(()) => return Ok(back(&hand, form.get("name"), "walk_in")),
            Err(refusal) => refusal,
        };
    let refused = Form {
        status,
        values: form.typed(),
        errors,
    };
    show(state, &hand, q, Value::Null, refused).await
}
