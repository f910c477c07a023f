//! `/admin/account`: the organiser's own language, password and API tokens.

use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Path},
};
use serde_json::{Value, json};

use super::{Answer, Console, Fields, SHOWN_ONCE, cookie, cookie_line, signed_in, with_cookie};
use crate::content::Limit;
use crate::domain::Locale;
use crate::organisations::{OrganisationError, password::NewPassword};
use crate::pages::{password_message, see_other};
use crate::state::AppState;
use crate::words::say;

/// The most tokens the page lists: nobody keeps more by hand.
const TOKENS_SHOWN: u64 = 100;

/// `GET /admin/account`. A token just made is shown here once, from a cookie that
/// lives a minute and is cleared now.
#[handler]
pub async fn page(req: &Request, console: Console, state: Data<&AppState>) -> Answer {
    let new_token = cookie(req, SHOWN_ONCE);
    let context = json!({
        "new_token": new_token,
        "password_changed": super::flag(req, "password"),
    });
    let mut response = account(&console, &state, StatusCode::OK, context).await;
    if new_token.is_some() {
        response = with_cookie(
            response,
            &cookie_line(&state, SHOWN_ONCE, "", 0, "/admin/account"),
        );
    }
    Ok(response)
}

async fn account(
    console: &Console,
    state: &AppState,
    status: StatusCode,
    mut context: Value,
) -> Response {
    let limit = Limit::up_to(TOKENS_SHOWN);
    let tokens = match state
        .organisations
        .tokens(console.access(), limit, None)
        .await
    {
        Ok(listed) => listed.items,
        Err(e) => return console.failure(state, &e),
    };
    context["tokens"] = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id.to_string(),
                "name": t.name,
                "created_at": crate::http::instant(t.created_at),
                "last_used_at": t.last_used_at.map(crate::http::instant),
            })
        })
        .collect::<Vec<_>>()
        .into();
    context["language_choice"] = json!(super::language_choice());
    context["chosen_language"] = console.signed.organiser.locale.map(Locale::as_str).into();
    if context.get("errors").is_none() {
        context["errors"] = json!({});
    }
    console.render(state, None, status, "account", context)
}

/// `POST /admin/account/language`: the console's language; empty follows the
/// browser's.
#[handler]
pub async fn language(console: Console, state: Data<&AppState>, form: Fields) -> Answer {
    let chosen = match form.get("language") {
        "" => None,
        code => match Locale::parse(code) {
            Ok(locale) => Some(locale),
            Err(_) => {
                let errors = json!({ "language": say(console.locale, "error.invalid", &[]) });
                let context = json!({ "errors": errors });
                return Ok(
                    account(&console, &state, StatusCode::UNPROCESSABLE_ENTITY, context).await,
                );
            }
        },
    };
    match state
        .sessions
        .set_locale(console.signed.organiser.id, chosen)
        .await
    {
        Ok(()) => Ok(see_other("/admin/account")),
        Err(e) => Ok(console.failure(&state, &e)),
    }
}

/// `POST /admin/account/password`: knowing the current password, set a new one.
/// Every other session and token of the account ends; this browser stays signed in.
#[handler]
pub async fn password(console: Console, state: Data<&AppState>, form: Fields) -> Answer {
    let refuse = |field: &str, message: String| {
        let context = json!({ "errors": { field: message } });
        (StatusCode::UNPROCESSABLE_ENTITY, context)
    };
    let new = match NewPassword::parse(form.get("new_password")) {
        Ok(new) => new,
        Err(refusal) => {
            let (status, context) =
                refuse("new_password", password_message(console.locale, refusal));
            return Ok(account(&console, &state, status, context).await);
        }
    };
    match state
        .sessions
        .change_password(&console.signed, form.get("current_password"), &new)
        .await
    {
        Ok(session) => Ok(signed_in(
            &state,
            &session,
            "/admin/account?password=changed",
        )),
        Err(OrganisationError::BadCredentials) => {
            let message = say(console.locale, "console.account.wrong_password", &[]);
            let (status, context) = refuse("current_password", message);
            Ok(account(&console, &state, status, context).await)
        }
        Err(e) => Ok(console.failure(&state, &e)),
    }
}

/// `POST /admin/account/tokens`: a new API token, named. Its secret goes back to
/// this browser in a cookie for the next page only: never in a URL, never stored.
#[handler]
pub async fn create_token(console: Console, state: Data<&AppState>, form: Fields) -> Answer {
    let name = form.get("name").trim();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        let errors =
            json!({ "name": say(console.locale, "error.too_long", &[("max", 100.into())]) });
        let context = json!({ "errors": errors });
        return Ok(account(&console, &state, StatusCode::UNPROCESSABLE_ENTITY, context).await);
    }
    let name = Some(name.to_owned()).filter(|n| !n.is_empty());
    match state
        .organisations
        .named_token(console.access(), name)
        .await
    {
        Ok(token) => {
            let line = cookie_line(&state, SHOWN_ONCE, &token, 60, "/admin/account");
            Ok(with_cookie(see_other("/admin/account"), &line))
        }
        Err(e) => Ok(console.failure(&state, &e)),
    }
}

/// `POST /admin/account/tokens/{id}/revoke`: one of the organiser's own tokens.
#[handler]
pub async fn revoke_token(console: Console, state: Data<&AppState>, id: Path<String>) -> Answer {
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return Ok(crate::pages::not_found(&state, console.locale));
    };
    match state.organisations.revoke_token(console.access(), id).await {
        Ok(()) => Ok(see_other("/admin/account")),
        Err(OrganisationError::NoSuchToken) => Ok(crate::pages::not_found(&state, console.locale)),
        Err(e) => Ok(console.failure(&state, &e)),
    }
}
