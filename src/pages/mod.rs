//! Pages behind the links in emails that need no login: one-click unsubscribe
//! (RFC 8058) and accepting an organiser's invitation. Plain HTML forms; no
//! JavaScript.

use poem::{
    Response, handler,
    http::StatusCode,
    web::{Data, Form, Path},
};
use serde::{Deserialize, Serialize};

use crate::{app::AppState, domain::Locale, email::links::unsubscribe_token};

/// Render a page; a template error is logged and answered as a plain 500.
fn page(state: &AppState, status: StatusCode, name: &str, context: &impl Serialize) -> Response {
    match state.renderer.page(name, context) {
        Ok(html) => Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .header("Cache-Control", "no-store")
            .header("Referrer-Policy", "no-referrer")
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, page = name, "page failed to render");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/plain; charset=utf-8")
                .body("internal error")
        }
    }
}

fn not_found(state: &AppState, locale: Locale) -> Response {
    page(
        state,
        StatusCode::NOT_FOUND,
        "not_found",
        &serde_json::json!({ "locale": locale.as_str() }),
    )
}

/// The supporter's language for a page about them.
async fn supporter_locale(state: &AppState, id: uuid::Uuid) -> Locale {
    use sea_orm::EntityTrait;
    let stored = entity::supporter::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .ok()
        .flatten()
        .and_then(|s| s.locale);
    Locale::choose(stored.as_deref(), None)
}

/// `GET /unsubscribe/{token}`: a page with one button. Opening the link changes
/// nothing, since mail scanners open links before people do.
#[handler]
pub async fn unsubscribe_page(state: Data<&AppState>, token: Path<String>) -> Response {
    let Some(id) = unsubscribe_token(&state.site, &token) else {
        return not_found(&state, Locale::En);
    };
    let locale = supporter_locale(&state, id).await;
    page(
        &state,
        StatusCode::OK,
        "unsubscribe",
        &serde_json::json!({ "locale": locale.as_str(), "done": false }),
    )
}

/// `POST /unsubscribe/{token}`: the one-click unsubscribe of RFC 8058 (a mail
/// client posts `List-Unsubscribe=One-Click`), and the page's button.
#[handler]
pub async fn unsubscribe(state: Data<&AppState>, token: Path<String>) -> Response {
    let Some(id) = unsubscribe_token(&state.site, &token) else {
        return not_found(&state, Locale::En);
    };
    match crate::supporters::service::unsubscribe(&state.db, id).await {
        Ok(true) => {
            let locale = supporter_locale(&state, id).await;
            page(
                &state,
                StatusCode::OK,
                "unsubscribe",
                &serde_json::json!({ "locale": locale.as_str(), "done": true }),
            )
        }
        // An erased supporter: nothing is left to send to.
        Ok(false) => not_found(&state, Locale::En),
        Err(e) => {
            tracing::error!(error = %e, "unsubscribe failed");
            page(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "not_found",
                &serde_json::json!({ "locale": "en" }),
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct InvitationForm {
    password: String,
    #[serde(default)]
    name: String,
}

/// `GET /invitations/{token}`: the form where an invited organiser sets a password.
#[handler]
pub async fn invitation_page(state: Data<&AppState>, token: Path<String>) -> Response {
    invitation_form(&state, &token, StatusCode::OK, "", "").await
}

async fn invitation_form(
    state: &AppState,
    token: &str,
    status: StatusCode,
    name: &str,
    error: &str,
) -> Response {
    match crate::organisations::service::invitation_details(&state.db, token).await {
        Ok(Some((email, organisation_name))) => page(
            state,
            status,
            "invitation",
            &serde_json::json!({
                "locale": "en",
                "done": false,
                "email": email,
                "organisation_name": organisation_name,
                "name": name,
                "error": error,
            }),
        ),
        Ok(None) => not_found(state, Locale::En),
        Err(e) => {
            tracing::error!(error = %e, "invitation page failed");
            not_found(state, Locale::En)
        }
    }
}

/// `POST /invitations/{token}`: set the password.
#[handler]
pub async fn accept_invitation(
    state: Data<&AppState>,
    token: Path<String>,
    form: Form<InvitationForm>,
) -> Response {
    use crate::organisations::service::{OrganisationError, accept_invitation};
    let name = Some(form.name.trim()).filter(|n| !n.is_empty());
    match accept_invitation(&state.db, &token, &form.password, name).await {
        Ok(_) => page(
            &state,
            StatusCode::OK,
            "invitation",
            &serde_json::json!({ "locale": "en", "done": true }),
        ),
        Err(OrganisationError::Invalid(field)) => {
            invitation_form(
                &state,
                &token,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form.name,
                &format!("The {} {}.", field.field, field.message),
            )
            .await
        }
        Err(_) => not_found(&state, Locale::En),
    }
}
