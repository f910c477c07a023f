//! `/admin/password-reset`: an organiser who forgot their password asks for a link
//! by email, and sets a new password through it. Each form answers success with a
//! 303 (POST/redirect/GET), as every console form does.

use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Path, Query},
};
use serde::Deserialize;
use serde_json::json;

use crate::domain::{Email, Locale};
use crate::http::{client::ClientAddr, limit::address_key};
use crate::organisations::{
    password::NewPassword,
    service::{LinkPurpose, OrganisationError},
};
use crate::pages::{
    OrganiserLocale, failure, field_message, not_found, page, password_message, retry_after,
    see_other,
};
use crate::state::AppState;
use crate::words::say;

const TEMPLATE: &str = "admin/password_reset";

#[derive(Debug, Deserialize)]
pub struct Outcome {
    /// Set after a link was asked for.
    sent: Option<String>,
    /// Set after a new password was set.
    done: Option<String>,
}

/// `GET /admin/password-reset`: the form that asks for a link, or what followed.
#[handler]
pub async fn ask(
    OrganiserLocale(locale): OrganiserLocale,
    state: Data<&AppState>,
    outcome: Query<Outcome>,
) -> Response {
    let step = match (&outcome.sent, &outcome.done) {
        (_, Some(_)) => "done",
        (Some(_), None) => "sent",
        (None, None) => "ask",
    };
    page(
        &state,
        StatusCode::OK,
        TEMPLATE,
        &json!({ "locale": locale.as_str(), "step": step }),
    )
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    email: String,
}

/// `POST /admin/password-reset`: a link goes to the address if it has an account;
/// the answer is the same either way.
#[handler]
pub async fn send(
    req: &Request,
    OrganiserLocale(locale): OrganiserLocale,
    state: Data<&AppState>,
    form: Form<EmailForm>,
) -> Response {
    let ask_again = |status, error: String| {
        let context = json!({
            "locale": locale.as_str(),
            "step": "ask",
            "email": form.email,
            "error": error,
        });
        page(&state, status, TEMPLATE, &context)
    };
    if let Err(wait) = state
        .limits
        .password_reset
        .check(ClientAddr::of(req), &address_key(&form.email))
    {
        let seconds = wait.as_secs().max(1);
        let refused = ask_again(
            StatusCode::TOO_MANY_REQUESTS,
            say(locale, "error.too_many", &[("seconds", seconds.into())]),
        );
        return retry_after(refused, seconds);
    }
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(field) => {
            let error = field_message(&field, locale);
            return ask_again(StatusCode::UNPROCESSABLE_ENTITY, error);
        }
    };
    match state
        .organisations
        .request_password_reset(&email, locale)
        .await
    {
        Ok(()) => see_other("/admin/password-reset?sent=1"),
        Err(e) => failure(&state, locale, &e),
    }
}

/// `GET /admin/password-reset/{token}`: the form behind a password-reset email.
#[handler]
pub async fn choose(
    OrganiserLocale(locale): OrganiserLocale,
    state: Data<&AppState>,
    token: Path<String>,
) -> Response {
    choose_form(&state, locale, &token, StatusCode::OK, "").await
}

async fn choose_form(
    state: &AppState,
    locale: Locale,
    token: &str,
    status: StatusCode,
    error: &str,
) -> Response {
    match state
        .organisations
        .link_holder(token, LinkPurpose::PasswordReset)
        .await
    {
        Ok(Some(email)) => {
            let context = json!({
                "locale": locale.as_str(),
                "step": "choose",
                "email": email.to_string(),
                "error": error,
            });
            page(state, status, TEMPLATE, &context)
        }
        Ok(None) => not_found(state, locale),
        Err(e) => failure(state, locale, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    password: String,
}

/// `POST /admin/password-reset/{token}`: set the new password; the link is used up
/// and every other way into the account ends.
#[handler]
pub async fn set(
    OrganiserLocale(locale): OrganiserLocale,
    state: Data<&AppState>,
    token: Path<String>,
    form: Form<PasswordForm>,
) -> Response {
    let password = match NewPassword::parse(&form.password) {
        Ok(password) => password,
        Err(refusal) => {
            let error = password_message(locale, refusal);
            let refused = StatusCode::UNPROCESSABLE_ENTITY;
            return choose_form(&state, locale, &token, refused, &error).await;
        }
    };
    match state.organisations.reset_password(&token, &password).await {
        Ok(()) => see_other("/admin/password-reset?done=1"),
        Err(OrganisationError::NoSuchLink) => not_found(&state, locale),
        Err(e) => failure(&state, locale, &e),
    }
}
