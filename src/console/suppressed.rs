//! `/admin/{org}/emails/suppressed`: the addresses this organisation wrote to that
//! no email goes to any more (a bounce, a complaint, repeated failures, a refusal
//! by our server), and why. Organisers may write to one again, unless its holder
//! complained: that only they can take back.

use poem::{handler, http::StatusCode};
use serde_json::json;

use super::held::{Org, Write};
use super::{Answer, Fields};
use crate::email::suppression;
use crate::pages::see_other;

/// The most addresses the page lists.
const SHOWN: u64 = 500;

/// `GET /admin/{org}/emails/suppressed`. Viewers see how many, not who.
#[handler]
pub async fn page(req: &poem::Request, org: Org<'_>) -> Answer {
    let (state, console, current) = org.into_parts();
    let rows = suppression::of_organisation(&state.db, current.model.id, SHOWN)
        .await
        .map_err(|e| super::stop(console.failure(state, &e)))?;
    let addresses: Option<Vec<_>> = current.can_write().then(|| {
        rows.iter()
            .map(|s| {
                json!({
                    "address": s.address,
                    "reason": s.reason.as_str(),
                    "detail": s.detail,
                    "since": super::emails::day_in(s.created_at, &current, console.locale),
                })
            })
            .collect()
    });
    let context = json!({
        "count": rows.len(),
        "most": SHOWN,
        "addresses": addresses,
        "lifted": super::flag(req, "lifted"),
    });
    Ok(console.render(state, Some(&current), StatusCode::OK, "suppressed", context))
}

/// `POST /admin/{org}/emails/suppressed/lift` (field `address`).
#[handler]
pub async fn lift(org: Org<'_, Write>, form: Fields) -> Answer {
    let (state, console, current) = org.into_parts();
    let lifted = suppression::lift(&state.db, current.model.id, form.get("address"))
        .await
        .map_err(|e| super::stop(console.failure(state, &e)))?;
    if !lifted {
        return Err(super::stop(crate::pages::not_found(state, console.locale)));
    }
    Ok(see_other(&format!(
        "/admin/{}/emails/suppressed?lifted=1",
        current.model.slug
    )))
}
