//! `POST /webhooks/stripe`: Stripe tells us how payments went. The body is read raw,
//! because the signature is over the exact bytes Stripe sent.

use poem::{Body, Request, Response, handler, http::StatusCode, web::Data};

use super::donations::Handled;
use crate::email::webhook::{unavailable, within};
use crate::http::{ApiError, Problem};
use crate::payments::webhook::{Event, verify};
use crate::state::AppState;

/// Stripe sends events of at most a few kilobytes.
const MAX_EVENT: usize = 256 * 1024;

#[handler]
pub async fn stripe(req: &Request, body: Body, Data(state): Data<&AppState>) -> Response {
    let Some(secret) = state.fundraisers.payments().webhook_secret.as_deref() else {
        return unavailable("Stripe webhooks are not configured on this server");
    };
    let payload = match within(body, MAX_EVENT, "event").await {
        Ok(payload) => payload,
        Err(too_large) => return too_large,
    };
    let header = req.header("stripe-signature").unwrap_or_default();
    if let Err(e) = verify(secret, header, &payload, chrono::Utc::now().timestamp()) {
        tracing::warn!(error = %e, "refused a webhook");
        return Problem::new(StatusCode::BAD_REQUEST, e.to_string()).into_response();
    }
    let event = match Event::parse(&payload) {
        Ok(event) => event,
        Err(e) => return Problem::new(StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    match state.fundraisers.apply(event).await {
        Ok(handled) => {
            if handled == Handled::Ignored {
                tracing::info!("webhook event not about a donation we know");
            }
            Response::builder()
                .status(StatusCode::OK)
                .content_type("application/json")
                .body(r#"{"received":true}"#)
        }
        // Stripe retries what we could not store, for days.
        Err(e) => poem::IntoResponse::into_response(ApiError::from(e)),
    }
}
