//! `POST /webhooks/mail-feedback`: the mail system tells us of bounces and
//! complaints (RFC 3464 delivery status notifications, RFC 5965 abuse reports),
//! as the report message or its report part alone. Guarded by the bearer token
//! of `TURNOUT_FEEDBACK_TOKEN`; without one configured it answers 503, since
//! anyone could otherwise stop our emails to any address.

use poem::{Body, IntoResponse, Request, Response, handler, http::StatusCode, web::Data};

use super::{feedback, suppression};
use crate::http::{ApiError, Problem};
use crate::state::AppState;

/// A report with the original message attached; larger is not a report.
const MAX_REPORT: usize = 1024 * 1024;

#[handler]
pub async fn mail_feedback(req: &Request, body: Body, Data(state): Data<&AppState>) -> Response {
    let Some(token) = state.feedback_token.as_deref() else {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "mail feedback is not configured on this server (TURNOUT_FEEDBACK_TOKEN)",
        )
        .into_response();
    };
    if !crate::http::auth::bears(req, token) {
        return Problem::new(
            StatusCode::UNAUTHORIZED,
            "this endpoint needs the bearer token of TURNOUT_FEEDBACK_TOKEN",
        )
        .into_response();
    }
    let Ok(raw) = body.into_bytes_limit(MAX_REPORT).await else {
        return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "the report is too large")
            .into_response();
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
