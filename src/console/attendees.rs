//! An event's attendees in the console: going, waitlisted, awaiting approval,
//! declined and cancelled, with guests and counts against capacity; approve and
//! decline one at a time or several at once; add someone; the list as CSV.
//!
//! What may be seen and done is decided by `rsvps::service`, as for the API: a
//! viewer sees the counts and no one's name or address, and changes nothing.

use poem::{Request, handler, http::StatusCode, web::Form as Posted};
use serde_json::{Value, json};

use super::held::{Form, InHand, Look, Needs, Write};
use super::{Answer, Console, Fields, attachment, stop};
use crate::access::Access;
use crate::domain::PublicRef;
use crate::events::service::Event;
use crate::pages::{self, see_other};
use crate::rsvps::service::{Attendee, Count, Decision, RsvpError, RsvpForm, RsvpStatus, Tally};
use crate::state::AppState;
use crate::words::say;

/// The statuses in the order the page lists them.
const SHOWN: [RsvpStatus; 5] = [
    RsvpStatus::Going,
    RsvpStatus::PendingApproval,
    RsvpStatus::Waitlisted,
    RsvpStatus::Declined,
    RsvpStatus::Cancelled,
];

/// A refusal of the RSVPs service that is not about the form: its page.
pub(super) fn refused(console: &Console, state: &AppState, e: &RsvpError) -> poem::Error {
    stop(match e.code() {
        "not_found" => pages::not_found(state, console.locale),
        "forbidden" => console.forbidden(state),
        _ => console.failure(state, e),
    })
}

/// Why an RSVP was refused, in the organiser's words, for a refusal that the
/// page shows above its form (409); none for any other.
pub(super) fn why(console: &Console, e: &RsvpError) -> Option<String> {
    let key = match e {
        RsvpError::Full => "full",
        RsvpError::NotEnoughSeats(_) => "seats",
        RsvpError::EventCancelled => "cancelled",
        RsvpError::NotPublished => "not_published",
        RsvpError::Declined => "declined",
        RsvpError::WrongState(_) => "wrong_state",
        _ => return None,
    };
    Some(say(
        console.locale,
        &format!("console.attendees.refused_{key}"),
        &[],
    ))
}

/// The event's counts against its capacity, as the attendees page and the door
/// show them; and the attendees `read` finds, for those who may see names and
/// addresses (a viewer sees the counts only).
pub(super) async fn counted<R: Needs>(
    state: &AppState,
    hand: &InHand<'_, Event, R>,
    read: impl AsyncFnOnce(&AppState, &Access, &PublicRef) -> Result<Vec<Attendee>, RsvpError>,
) -> poem::Result<(Value, Option<Vec<Attendee>>)> {
    let (console, event) = (&hand.console, hand.reference());
    let refused = |e: RsvpError| refused(console, state, &e);
    let tally = state
        .rsvps
        .tally(console.access(), &event)
        .await
        .map_err(refused)?;
    if !hand.current.can_write() {
        return Ok((counts(&tally), None));
    }
    let found = read(state, console.access(), &event)
        .await
        .map_err(refused)?;
    Ok((counts(&tally), Some(found)))
}

/// Counts as a page shows them.
fn counts(tally: &Tally) -> Value {
    let count = |c: &Count| json!({ "people": c.people, "guests": c.guests, "seats": c.seats() });
    json!({
        "capacity": tally.capacity,
        "going": count(&tally.going),
        "waitlisted": count(&tally.waitlisted),
        "pending_approval": count(&tally.pending),
        "declined": count(&tally.declined),
        "cancelled": count(&tally.cancelled),
        "arrived": tally.arrived,
        "expected": tally.going.seats(),
    })
}

/// One attendee as a row.
pub(super) fn row_of(a: &Attendee, console: &Console) -> Value {
    json!({
        "id": a.row.id.to_string(),
        "name": a.name,
        "email": a.email,
        "guests": a.row.guests,
        "status": a.row.status.as_str(),
        "checked_in": a.row.checked_in_at.is_some(),
        "checked_in_at": a.row.checked_in_at.map(crate::http::instant),
        "answered": crate::email::render::date_text(a.row.created_at, console.locale),
    })
}

/// `GET /admin/{org}/events/{id}/attendees`.
#[handler]
pub async fn page(req: &Request, hand: InHand<'_, Event, Look>) -> Answer {
    let state = hand.state;
    let flags = ["approved", "declined", "added"];
    let notice = super::held::notice(req, &hand.console, "console.attendees", &flags, &[]).into();
    show(state, &hand, notice, Form::shown(json!({}), json!({}))).await
}

/// The attendees page, with the form to add someone as `form` holds it.
async fn show<R: Needs>(
    state: &AppState,
    hand: &InHand<'_, Event, R>,
    notice: Value,
    form: Form,
) -> Answer {
    let console = &hand.console;
    let all = async |s: &AppState, a: &Access, e: &PublicRef| s.rsvps.all_attendees(a, e).await;
    let (counts, all) = counted(state, hand, all).await?;
    let groups = all.map(|all| {
        SHOWN
            .iter()
            .map(|status| {
                let rows: Vec<Value> = all
                    .iter()
                    .filter(|a| a.row.status == *status)
                    .map(|a| row_of(a, console))
                    .collect();
                json!({ "status": status.as_str(), "rows": rows })
            })
            .collect::<Vec<_>>()
    });
    let context = json!({
        "event": hand.view(),
        "counts": counts,
        "groups": groups,
        "statuses": SHOWN.map(RsvpStatus::as_str),
        "notice": notice,
        "values": form.values,
        "errors": form.errors,
        "max_guests": crate::rsvps::service::MAX_GUESTS,
    });
    Ok(console.render(
        state,
        Some(&hand.current),
        form.status,
        "attendees",
        context,
    ))
}

/// `POST /admin/{org}/events/{id}/attendees/decide`: approve or decline. A row's
/// own button (`one=approve:{id}`) acts on that RSVP; the button under the list
/// (`action`) on every one ticked (`rsvp`, repeated).
#[handler]
pub async fn decide(hand: InHand<'_, Event, Write>, form: Posted<Vec<(String, String)>>) -> Answer {
    let state = hand.state;
    let console = &hand.console;
    let field = |name: &str| {
        form.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (action, ids): (&str, Vec<&str>) = match field("one").and_then(|one| one.split_once(':')) {
        Some((action, id)) => (action, vec![id]),
        None => (
            field("action").unwrap_or(""),
            form.0
                .iter()
                .filter(|(k, _)| k == "rsvp")
                .map(|(_, v)| v.as_str())
                .collect(),
        ),
    };
    let decision = match action {
        "approve" => Decision::Approve,
        "decline" => Decision::Decline,
        _ => return Err(stop(pages::not_found(state, console.locale))),
    };
    let mut refusals = Vec::new();
    for id in ids {
        let id = console.id(state, id)?;
        match state
            .rsvps
            .decide_at(console.access(), hand.item.row.id, id, decision)
            .await
        {
            Ok(_) => {}
            Err(e) => match why(console, &e) {
                Some(why) => refusals.push(why),
                None => return Err(refused(console, state, &e)),
            },
        }
    }
    if refusals.is_empty() {
        let done = if decision == Decision::Approve {
            "approved"
        } else {
            "declined"
        };
        return Ok(see_other(&format!("{}/attendees?{done}=1", hand.path())));
    }
    refusals.dedup();
    let form = Form::conflict(json!({}), refusals.join(" "));
    show(state, &hand, json!(null), form).await
}

/// The RSVP an organiser types in (name, email, guests), checked as the API
/// checks it.
pub(super) fn form_of(form: &Fields) -> Result<RsvpForm, RsvpError> {
    let (guests, bad_guests) = match form.get("guests").trim() {
        "" => (0, None),
        raw => match raw.parse::<i64>() {
            Ok(n) => (n, None),
            Err(_) => (
                0,
                Some(crate::domain::InvalidField::new(
                    "guests",
                    "must be a whole number",
                )),
            ),
        },
    };
    match RsvpForm::parse(
        form.get("email"),
        form.get("name"),
        Some(guests),
        None,
        false,
    ) {
        Ok(rsvp) => match bad_guests {
            None => Ok(rsvp),
            Some(bad) => Err(RsvpError::Invalid(vec![bad])),
        },
        Err(mut fields) => {
            fields.extend(bad_guests);
            Err(RsvpError::Invalid(fields))
        }
    }
}

/// `POST /admin/{org}/events/{id}/attendees/add`: add someone (name, email,
/// guests); capacity still holds.
#[handler]
pub async fn add(hand: InHand<'_, Event, Write>, form: Fields) -> Answer {
    let state = hand.state;
    match add_from(state, &hand, &form, false, "_add").await? {
        Ok(()) => Ok(see_other(&format!("{}/attendees?added=1", hand.path()))),
        Err((status, errors)) => {
            let values = form.typed();
            show(
                state,
                &hand,
                json!(null),
                Form {
                    status,
                    values,
                    errors,
                },
            )
            .await
        }
    }
}

/// `GET /admin/{org}/events/{id}/attendees.csv`: every attendee, with the columns
/// of the API's export. Viewers are refused (403).
#[handler]
pub async fn csv(hand: InHand<'_, Event, Write>) -> Answer {
    let state = hand.state;
    let all = state
        .rsvps
        .all_attendees(hand.console.access(), &hand.reference())
        .await
        .map_err(|e| refused(&hand.console, state, &e))?;
    let name = format!("attendees-{}.csv", hand.item.row.slug);
    Ok(attachment(&name, crate::rsvps::api::csv(&all)))
}

/// Add the person a form names (checked in at once for a walk-in). A refusal is
/// its status and the messages to show: each bad field beside itself (422), a
/// full or closed event above the form under `refusal_key` (409).
pub(super) async fn add_from(
    state: &AppState,
    hand: &InHand<'_, Event, Write>,
    form: &Fields,
    checked_in: bool,
    refusal_key: &str,
) -> poem::Result<Result<(), (StatusCode, Value)>> {
    let console = &hand.console;
    let added = match form_of(form) {
        Ok(rsvp) => {
            state
                .rsvps
                .add(console.access(), &hand.reference(), rsvp, checked_in)
                .await
        }
        Err(e) => Err(e),
    };
    Ok(match added {
        Ok(_) => Ok(()),
        Err(RsvpError::Invalid(fields)) => {
            Err((StatusCode::UNPROCESSABLE_ENTITY, console.messages(&fields)))
        }
        Err(e) => match why(console, &e) {
            Some(why) => Err((StatusCode::CONFLICT, json!({ refusal_key: why }))),
            None => return Err(refused(console, state, &e)),
        },
    })
}
