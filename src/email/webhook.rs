//! `POST /webhooks/mail-feedback`: the mail system tells us of bounces and
//! complaints (RFC 3464 delivery status notifications, RFC 5965 abuse reports),
//! as the report message or its report part alone. Guarded by the bearer token
//! of `TURNOUT_FEEDBACK_TOKEN`; without one configured it answers 503, since
//! anyone could otherwise stop our emails to any address.

use bytes::Bytes;
use poem::{Body, IntoResponse, Request, Response, handler, http::StatusCode, web::Data};

use super::{feedback, suppression};
use crate::http::{ApiError, Problem};
use crate::state::AppState;

/// A report with the original message attached; larger is not a report.
const MAX_REPORT: usize = 1024 * 1024;

/// The 503 of a webhook this server is not configured for.
pub(crate) fn unavailable(why: &str) -> Response {
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, why.to_owned()).into_response()
}

/// A webhook's body, read whole up to `max` bytes; larger, the 413 that says the
/// `what` is too large.
pub(crate) async fn within(body: Body, max: usize, what: &str) -> Result<Bytes, Response> {
    body.into_bytes_limit(max).await.map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the {what} is too large"),
        )
        .into_response()
    })
}

#[handler]
pub async fn mail_feedback(req: &Request, body: Body, Data(state): Data<&AppState>) -> Response {
    let Some(token) = state.feedback_token.as_deref() else {
        return unavailable(
            "mail feedback is not configured on this server (TURNOUT_FEEDBACK_TOKEN)",
        );
    };
    if !crate::http::auth::bears(req, token) {
        return Problem::new(
            StatusCode::UNAUTHORIZED,
            "this endpoint needs the bearer token of TURNOUT_FEEDBACK_TOKEN",
        )
        .into_response();
    }
    let raw = match within(body, MAX_REPORT, "report").await {
        Ok(raw) => raw,
        Err(too_large) => return too_large,
    };
    let reports = match feedback::read(&raw) {
        Ok(reports) => reports,
        Err(e) => {
            return Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response();
        }
    };
    let applied = async {
        let txn = crate::db::begin_write(&state.db).await?;
        let applied = suppression::apply(&txn.txn, &reports, chrono::Utc::now()).await?;
        txn.commit().await?;
        Ok::<_, sea_orm::DbErr>(applied)
    };
    match applied.await {
        Ok(applied) => poem::web::Json(applied).into_response(),
        // The mail system sends again what we could not store.
        Err(e) => ApiError::from(e).into_response(),
    }
}
