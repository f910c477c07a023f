//! `GET /admin`: the organisations the organiser belongs to and what needs them.

use poem::{handler, http::StatusCode, web::Data};
use serde_json::json;

use super::{Answer, Console};
use crate::state::AppState;

/// Minutes an email may wait to be sent before the dashboard says so.
const WAITING_TOO_LONG: i64 = 15;

/// The dashboard. Someone who belongs to one organisation still sees it: it is
/// where applications waiting and failed emails are counted.
#[handler]
pub async fn dashboard(console: Console, state: Data<&AppState>) -> Answer {
    let needs = match state.organisations.needs(console.access()).await {
        Ok(needs) => needs,
        Err(e) => return Ok(console.failure(&state, &e)),
    };
    let organisations: Vec<_> = needs
        .iter()
        .map(|n| {
            json!({
                "slug": n.membership.slug,
                "name": n.membership.name,
                "role": n.membership.role.as_str(),
                "applications": n.applications,
                "failed_emails": n.failed_emails,
                "drafts": n.drafts,
                "mailing_drafts": n.mailing_drafts,
                // Said only once the queue is slow enough to matter.
                "waiting_for": n.oldest_waiting
                    .filter(|at| chrono::Utc::now() - *at > chrono::Duration::minutes(WAITING_TOO_LONG))
                    .map(|at| super::emails::age_words(&console, at)),
            })
        })
        .collect();
    // The last 30 days at a glance, a small chart per organisation (see `stats`);
    // one that cannot be drawn leaves its card without, not the page failing.
    let mut organisations = organisations;
    for (view, n) in organisations.iter_mut().zip(&needs) {
        let Ok(current) = console.organisation(&state, &n.membership.slug).await else {
            continue;
        };
        match super::stats::glance(&state.stats, &console, &current.model).await {
            Ok(glance) => view["glance"] = glance,
            Err(e) => tracing::warn!(error = %e, "the dashboard's chart failed"),
        }
    }
    let context = json!({ "overview": organisations });
    Ok(console.render(&state, None, StatusCode::OK, "home", context))
}
