//! The page behind a "confirm your subscription" link.

use poem::{
    IntoResponse, Response, handler,
    http::StatusCode,
    web::{Data, Path},
};

use crate::consent::Confirmation;
use crate::domain::Locale;
use crate::pages::{failure, not_found, page};
use crate::state::AppState;

/// `GET /subscriptions/confirm/{token}`: mail scanners open links before people
/// do, so opening it confirms nothing: its one button does.
#[handler]
pub async fn confirm_page(state: Data<&AppState>, token: Path<String>) -> Response {
    match state.consents.confirmation(&token).await {
        Ok(Some(shown)) => confirmation_page(&state, &shown),
        Ok(None) => not_found(&state, Locale::En),
        Err(e) => failure(&state, Locale::En, &e),
    }
}

/// `POST /subscriptions/confirm/{token}`: the button. Confirming twice says the same.
#[handler]
pub async fn confirm(state: Data<&AppState>, token: Path<String>) -> Response {
    match state.consents.confirm(&token).await {
        // A consent withdrawn since stays so: the page says nothing is done.
        Ok(shown) => confirmation_page(&state, &shown),
        Err(e) if e.code() == "no_such_link" => not_found(&state, Locale::En),
        Err(e) => failure(&state, Locale::En, &e).into_response(),
    }
}

/// The subscription's page, before the click and after it: done once confirmed.
fn confirmation_page(state: &AppState, shown: &Confirmation) -> Response {
    page(
        state,
        StatusCode::OK,
        "subscription_confirm",
        &serde_json::json!({
            "locale": shown.locale.as_str(),
            "organisation": shown.organisation,
            "done": shown.confirmed,
        }),
    )
}
