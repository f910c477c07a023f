//! An organisation's settings and members in the console. Everyone who belongs to
//! it sees them; only owners change them (the service decides, as for the API).

use poem::{handler, http::StatusCode};
use serde_json::{Value, json};

use super::held::{Org, Own, section};
use super::{Answer, Console, Current, Fields, OrgAnd, stop};
use crate::access::Role;
use crate::domain::Email;
use crate::organisations::{OrganisationError, members::Settings};
use crate::pages::{self, see_other};
use crate::state::AppState;
use crate::words::say;

/// `GET /admin/{org}/settings`.
#[handler]
pub async fn settings_page(req: &poem::Request, org: Org<'_>) -> Answer {
    let (state, console, current) = org.into_parts();
    let model = &current.model;
    let values = json!({
        "name": model.name,
        "timezone": model.timezone.to_string(),
        "language": model.language.as_str(),
        "contact_email": model.contact_email.as_ref().map(ToString::to_string).unwrap_or_default(),
        "application_notices": model.application_notices.as_str(),
    });
    let saved = super::flag(req, "saved");
    let context = json!({ "values": values, "errors": {}, "saved": saved });
    Ok(settings_form(
        &console,
        state,
        &current,
        StatusCode::OK,
        context,
    ))
}

fn settings_form(
    console: &Console,
    state: &AppState,
    current: &Current,
    status: StatusCode,
    mut context: Value,
) -> poem::Response {
    context["timezones"] = json!(super::timezones());
    context["languages"] = json!(super::language_choice());
    console.render(state, Some(current), status, "settings", context)
}

/// `POST /admin/{org}/settings` (owners).
#[handler]
pub async fn settings(org: Org<'_, Own>, form: Fields) -> Answer {
    let (state, console, current) = org.into_parts();
    let parsed = Settings::parse(
        form.get("name"),
        form.get("timezone"),
        form.get("language"),
        form.get("contact_email"),
        form.get("application_notices"),
    );
    let settings = match parsed {
        Ok(settings) => settings,
        Err(invalid) => {
            let context = json!({ "values": form.typed(), "errors": console.messages(&invalid.0) });
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(settings_form(&console, state, &current, status, context));
        }
    };
    let changed = state
        .organisations
        .change_settings(console.access(), &current.model.slug, settings)
        .await;
    let saved = format!("{}?saved=1", section(&current, "settings"));
    then(&console, state, &current, changed, saved).await
}

/// `GET /admin/{org}/members`: who holds which role; owners invite, change and
/// remove.
#[handler]
pub async fn members_page(req: &poem::Request, org: Org<'_>) -> Answer {
    let (state, console, current) = org.into_parts();
    let context = json!({ "invited": super::flag(req, "invited") });
    members_list(&console, state, &current, StatusCode::OK, context).await
}

/// The members page; `context` adds what a form typed, its errors or a refusal.
async fn members_list(
    console: &Console,
    state: &AppState,
    current: &Current,
    status: StatusCode,
    mut context: Value,
) -> Answer {
    let members = state
        .organisations
        .members(console.access(), &current.model.slug)
        .await
        .map_err(|e| refused(console, state, e))?;
    let members: Vec<Value> = members
        .iter()
        .map(|m| {
            json!({
                "id": m.organiser_id.to_string(),
                "email": m.email.to_string(),
                "name": m.name,
                "role": m.role.as_str(),
                "active": m.active,
                "me": m.organiser_id == console.signed.organiser.id,
            })
        })
        .collect();
    let roles: Vec<Role> = Role::ALL.iter().rev().copied().collect();
    context["members"] = members.into();
    context["roles"] = json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>());
    context["roles_choice"] = json!(
        roles
            .iter()
            .map(|r| [
                r.as_str().to_owned(),
                say(console.locale, &format!("role.{r}"), &[])
            ])
            .collect::<Vec<_>>()
    );
    for key in ["values", "errors"] {
        if context.get(key).is_none() {
            context[key] = json!({});
        }
    }
    Ok(console.render(state, Some(current), status, "members", context))
}

/// `POST /admin/{org}/members`: invite someone by email (owners).
#[handler]
pub async fn invite(org: Org<'_, Own>, form: Fields) -> Answer {
    let (state, console, current) = org.into_parts();
    let email = Email::parse(form.get("email"));
    let role = Role::parse(form.get("role"));
    let (email, role) = match (email, role) {
        (Ok(email), Some(role)) => (email, role),
        (email, role) => {
            let mut errors = serde_json::Map::new();
            if let Err(field) = email {
                errors.insert(
                    "email".into(),
                    super::messages(&[field], console.locale)["email"].clone(),
                );
            }
            if role.is_none() {
                errors.insert(
                    "role".into(),
                    say(console.locale, "error.invalid", &[]).into(),
                );
            }
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let context = json!({ "values": form.typed(), "errors": errors });
            return members_list(&console, state, &current, status, context).await;
        }
    };
    let invited = state
        .organisations
        .invite(console.access(), &current.model.slug, &email, role)
        .await;
    let members = format!("{}?invited=1", section(&current, "members"));
    then(&console, state, &current, invited, members).await
}

/// `POST /admin/{org}/members/{id}/role` (owners). The last owner stays one.
#[handler]
pub async fn change_role(org: Org<'_, Own>, path: OrgAnd<String>, form: Fields) -> Answer {
    let (state, console, current) = org.into_parts();
    let (_, id) = path.0;
    let (Some(role), Ok(id)) = (Role::parse(form.get("role")), uuid::Uuid::parse_str(&id)) else {
        return Ok(pages::not_found(state, console.locale));
    };
    let changed = state
        .organisations
        .change_role(console.access(), &current.model.slug, id, role)
        .await;
    then(
        &console,
        state,
        &current,
        changed,
        section(&current, "members"),
    )
    .await
}

/// `POST /admin/{org}/members/{id}/remove` (owners). The last owner stays.
#[handler]
pub async fn remove(org: Org<'_, Own>, path: OrgAnd<String>) -> Answer {
    let (state, console, current) = org.into_parts();
    let (_, id) = path.0;
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return Ok(pages::not_found(state, console.locale));
    };
    let removed = state
        .organisations
        .remove_member(console.access(), &current.model.slug, id)
        .await;
    then(
        &console,
        state,
        &current,
        removed,
        section(&current, "members"),
    )
    .await
}

/// After an owner's change: 303 to `next`, or the refusal's page; the last owner's
/// role kept is the members list again (409) saying so.
async fn then<T>(
    console: &Console,
    state: &AppState,
    current: &Current,
    changed: Result<T, OrganisationError>,
    next: String,
) -> Answer {
    match changed {
        Ok(_) => Ok(see_other(&next)),
        Err(OrganisationError::LastOwner) => {
            let context =
                json!({ "refusal": say(console.locale, "console.members.last_owner", &[]) });
            members_list(console, state, current, StatusCode::CONFLICT, context).await
        }
        Err(e) => Err(refused(console, state, e)),
    }
}

/// A refusal of the organisations service as the page that says so.
fn refused(console: &Console, state: &AppState, e: OrganisationError) -> poem::Error {
    stop(match e {
        OrganisationError::NoSuchOrganisation(_) | OrganisationError::NoSuchMember => {
            pages::not_found(state, console.locale)
        }
        OrganisationError::NotOwner(_) => console.forbidden(state),
        e => console.failure(state, &e),
    })
}
