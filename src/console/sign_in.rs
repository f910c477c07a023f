//! Getting into the console: the sign-in form, logout, the one-time link of the
//! command line, and the first-run setup of a fresh install.

use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use serde_json::json;

use super::{Answer, Fields, ended_cookie, messages, next_or_home, session_token, signed_in};
use crate::domain::Locale;
use crate::http::{client::ClientAddr, limit::address_key};
use crate::organisations::{OrganisationError, sessions::NewSetup};
use crate::pages::{self, page, retry_after, visitor_locale};
use crate::state::AppState;
use crate::words::say;

#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// `GET /admin/login`: the sign-in form. Someone signed in already goes on.
#[handler]
pub async fn login_page(req: &Request, state: Data<&AppState>, next: Query<Next>) -> Answer {
    if let Some(token) = session_token(req)
        && let Ok(Some(_)) = state.sessions.resume(&token).await
    {
        return Ok(pages::see_other(&next_or_home(next.next.as_deref())));
    }
    let locale = visitor_locale(req, None);
    Ok(login_form(
        &state,
        locale,
        StatusCode::OK,
        json!({ "next": next.next }),
    ))
}

fn login_form(
    state: &AppState,
    locale: Locale,
    status: StatusCode,
    mut context: serde_json::Value,
) -> Response {
    context["locale"] = locale.as_str().into();
    page(state, status, "admin/login", &context)
}

/// `POST /admin/login`: a wrong password and an unknown address read the same; too
/// many attempts from one client or at one address wait (429).
#[handler]
pub async fn login(req: &Request, state: Data<&AppState>, form: Fields) -> Answer {
    let locale = visitor_locale(req, None);
    let email = form.get("email");
    let again = |status, error: String| {
        let context = json!({ "email": email, "next": form.get("next"), "error": error });
        login_form(&state, locale, status, context)
    };
    if let Err(wait) = state
        .limits
        .login
        .check(ClientAddr::of(req), &address_key(email))
    {
        let seconds = wait.as_secs().max(1);
        let refused = again(
            StatusCode::TOO_MANY_REQUESTS,
            say(locale, "error.too_many", &[("seconds", seconds.into())]),
        );
        return Ok(retry_after(refused, seconds));
    }
    match state.sessions.sign_in(email, form.get("password")).await {
        Ok(token) => {
            let next = Some(form.get("next")).filter(|n| !n.is_empty());
            Ok(signed_in(&state, &token, &next_or_home(next)))
        }
        Err(OrganisationError::BadCredentials) => Ok(again(
            StatusCode::UNAUTHORIZED,
            say(locale, "console.sign_in.wrong", &[]),
        )),
        Err(e) => Ok(pages::failure(&state, locale, &e)),
    }
}

/// `POST /admin/logout`: the session ends here and in the database.
#[handler]
pub async fn logout(req: &Request, state: Data<&AppState>) -> Answer {
    if let Some(token) = session_token(req)
        && let Err(e) = state.sessions.end(&token).await
    {
        return Ok(pages::failure(&state, visitor_locale(req, None), &e));
    }
    Ok(super::with_cookie(
        pages::see_other("/admin/login"),
        &ended_cookie(&state),
    ))
}

/// `GET /admin/sign-in/{token}`: the link of `turnout admin sign-in-link`. Mail
/// scanners and link previews open links, so opening it signs nobody in: its
/// button does.
#[handler]
pub async fn link_page(req: &Request, state: Data<&AppState>, token: Path<String>) -> Answer {
    let locale = visitor_locale(req, None);
    let purpose = crate::organisations::service::LinkPurpose::SignIn;
    match state.organisations.link_holder(&token, purpose).await {
        Ok(Some(email)) => Ok(page(
            &state,
            StatusCode::OK,
            "admin/sign_in_link",
            &json!({ "locale": locale.as_str(), "email": email.to_string() }),
        )),
        Ok(None) => Ok(pages::not_found(&state, locale)),
        Err(e) => Ok(pages::failure(&state, locale, &e)),
    }
}

/// `POST /admin/sign-in/{token}`: sign in; the link is used up.
#[handler]
pub async fn use_link(req: &Request, state: Data<&AppState>, token: Path<String>) -> Answer {
    let locale = visitor_locale(req, None);
    match state.sessions.sign_in_with_link(&token).await {
        Ok(session) => Ok(signed_in(&state, &session, "/admin")),
        Err(OrganisationError::NoSuchLink) => Ok(pages::not_found(&state, locale)),
        Err(e) => Ok(pages::failure(&state, locale, &e)),
    }
}

/// `GET /admin/setup`: while no organisation exists, the form that makes the first
/// one and its owner; afterwards 404.
#[handler]
pub async fn setup_page(req: &Request, state: Data<&AppState>) -> Answer {
    let locale = visitor_locale(req, None);
    match state.sessions.setup_open().await {
        Ok(true) => Ok(setup_form(
            &state,
            locale,
            StatusCode::OK,
            &Fields::default(),
            json!({}),
        )),
        Ok(false) => Ok(pages::not_found(&state, locale)),
        Err(e) => Ok(pages::failure(&state, locale, &e)),
    }
}

fn setup_form(
    state: &AppState,
    locale: Locale,
    status: StatusCode,
    typed: &Fields,
    errors: serde_json::Value,
) -> Response {
    let mut values = typed.typed();
    values["password"] = "".into();
    let context = json!({
        "locale": locale.as_str(),
        "values": values,
        "errors": errors,
        "timezones": super::timezones(),
    });
    page(state, status, "admin/setup", &context)
}

/// `POST /admin/setup`: make the organisation and its owner, and sign the owner in.
#[handler]
pub async fn setup(req: &Request, state: Data<&AppState>, form: Fields) -> Answer {
    let locale = visitor_locale(req, None);
    let parsed = NewSetup::parse(
        form.get("org_name"),
        form.get("org_slug"),
        form.get("timezone"),
        form.get("email"),
        form.get("password"),
    );
    let new = match parsed {
        Ok(new) => new,
        Err(invalid) => {
            let errors = messages(&invalid.0, locale);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(setup_form(&state, locale, status, &form, errors));
        }
    };
    match state.sessions.setup(new).await {
        Ok(Some(session)) => Ok(signed_in(&state, &session, "/admin")),
        Ok(None) => Ok(pages::not_found(&state, locale)),
        Err(e) => Ok(pages::failure(&state, locale, &e)),
    }
}
