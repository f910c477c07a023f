//! The operator's endpoints: liveness and readiness for load balancers and
//! orchestrators, and the figures Prometheus scrapes.

use poem::{IntoResponse, Request, Response, handler, http::StatusCode, web::Data};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::http::Problem;
use crate::metrics::METRICS;
use crate::state::AppState;

/// 200 while the process runs.
#[handler]
pub fn healthz() -> &'static str {
    "ok"
}

/// 200 only when the database answers and every migration is applied.
#[handler]
pub async fn readyz(db: Data<&DatabaseConnection>) -> impl IntoResponse {
    let answers = db.execute_unprepared("SELECT 1").await.is_ok();
    let migrated = crate::db::migrations_applied(&db).await.unwrap_or(false);
    if answers && migrated {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

/// `GET /metrics`: the Prometheus text format. The outbox figures are read from
/// the database at each scrape (so every server reports the shared outbox) and
/// written beside the registry's, as gauges of this scrape alone.
///
/// With `TURNOUT_METRICS_TOKEN` set it asks for that bearer token; without it, it
/// answers loopback clients only (a Prometheus beside the server), since the
/// figures tell an outsider how a campaign is going.
#[handler]
pub async fn metrics(req: &Request, Data(state): Data<&AppState>) -> Response {
    if let Err(refusal) = allowed(req, state.metrics_token.as_deref()) {
        return refusal.into_response();
    }
    let (pending, oldest) = match crate::email::outbox::backlog(&state.db).await {
        Ok(backlog) => backlog,
        Err(e) => {
            tracing::error!(error = %e, "outbox backlog for /metrics");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let mut body = String::new();
    if let Err(e) = METRICS.encode(&mut body) {
        tracing::error!(error = %e, "encoding metrics");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let (feeds, filtered_feeds) = state.feeds.held();
    let (petitions, petition_slugs) = state.petitions.held();
    let outbox = format!(
        "# HELP turnout_outbox_pending_emails Emails waiting in the outbox (pending or being sent).\n\
         # TYPE turnout_outbox_pending_emails gauge\n\
         turnout_outbox_pending_emails {pending}\n\
         # HELP turnout_outbox_oldest_pending_age_seconds How long the oldest waiting email has waited.\n\
         # TYPE turnout_outbox_oldest_pending_age_seconds gauge\n\
         turnout_outbox_oldest_pending_age_seconds {}\n\
         # HELP turnout_cache_entries What this server's caches hold, current or not.\n\
         # TYPE turnout_cache_entries gauge\n\
         turnout_cache_entries{{cache=\"feeds\"}} {feeds}\n\
         turnout_cache_entries{{cache=\"filtered_feeds\"}} {filtered_feeds}\n\
         turnout_cache_entries{{cache=\"public_petitions\"}} {petitions}\n\
         turnout_cache_entries{{cache=\"petition_slugs\"}} {petition_slugs}\n\
         turnout_cache_entries{{cache=\"rendered_markdown\"}} {}\n",
        oldest.unwrap_or(0),
        crate::pages::markdown::held(),
    );
    // The OpenMetrics encoder ends with `# EOF`; the Prometheus text format has no
    // end marker, so the outbox lines go where it was.
    let body = body.strip_suffix("# EOF\n").unwrap_or(&body).to_owned() + &outbox;
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

/// Who may read the figures: the holder of the token when there is one, else a
/// client on this machine.
fn allowed(req: &Request, token: Option<&str>) -> Result<(), Problem> {
    match token {
        Some(token) => {
            if crate::http::auth::bears(req, token) {
                Ok(())
            } else {
                Err(Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "/metrics needs the bearer token of TURNOUT_METRICS_TOKEN",
                ))
            }
        }
        None if crate::http::client::ClientAddr::of(req).is_some_and(|c| c.0.is_loopback()) => {
            Ok(())
        }
        None => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "/metrics answers loopback clients only unless TURNOUT_METRICS_TOKEN is set",
        )),
    }
}
