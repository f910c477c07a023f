//! An organisation's campaigns in the console: the list (active, then archived),
//! the form that starts or edits one, archiving and making active again, and on
//! each campaign's page what gathers under it — its events, petitions and
//! fundraisers with their figures.
//!
//! What a campaign may be is decided by `campaigns::service`, as for the API.

use poem::{
    Request, handler,
    http::StatusCode,
    web::{Data, Path},
};
use serde_json::{Value, json};

use super::{Answer, Console, Current, Fields, OrgAnd, stop};
use crate::access::Role;
use crate::campaigns::{Campaign, CampaignChanges, CampaignError, NewCampaign};
use crate::content::{Change, ContentError};
use crate::domain::PublicRef;
use crate::events::listing::{Listing, When};
use crate::pages::{self, see_other};
use crate::state::AppState;
use crate::words::say;
use entity::values::CampaignStatus;

/// `GET /admin/{org}/campaigns`: active campaigns, then archived ones.
#[handler]
pub async fn list(console: Console, state: Data<&AppState>, org: Path<String>) -> Answer {
    let current = console.organisation(&state, &org).await?;
    let all = state
        .campaigns
        .of_organisation(current.model.id)
        .await
        .map_err(|e| stop(console.failure(&state, &e)))?;
    let row = |c: &entity::campaign::Model| json!({ "id": c.id.to_string(), "slug": c.slug, "title": c.title, "status": c.status.as_str() });
    let of = |status: CampaignStatus| -> Vec<Value> {
        all.iter().filter(|c| c.status == status).map(row).collect()
    };
    let context = json!({
        "active": of(CampaignStatus::Active),
        "archived": of(CampaignStatus::Archived),
    });
    Ok(console.render(&state, Some(&current), StatusCode::OK, "campaigns", context))
}

/// `GET /admin/{org}/campaigns/new`.
#[handler]
pub async fn new_page(console: Console, state: Data<&AppState>, org: Path<String>) -> Answer {
    let current = console
        .organisation_as(&state, &org, Role::Organiser)
        .await?;
    let context = json!({ "values": {}, "errors": {} });
    Ok(console.render(
        &state,
        Some(&current),
        StatusCode::OK,
        "campaign_new",
        context,
    ))
}

/// `POST /admin/{org}/campaigns/new`: start a campaign, then its page.
#[handler]
pub async fn create(
    console: Console,
    state: Data<&AppState>,
    org: Path<String>,
    form: Fields,
) -> Answer {
    let current = console
        .organisation_as(&state, &org, Role::Organiser)
        .await?;
    let optional = |name: &str| Some(form.get(name).trim().to_owned()).filter(|v| !v.is_empty());
    let new = NewCampaign {
        organisation: Some(current.model.slug.clone()),
        slug: optional("slug"),
        title: form.get("title").to_owned(),
        description: form.get("description").to_owned(),
        status: None,
    };
    match state.campaigns.create(console.access(), new).await {
        Ok(made) => Ok(see_other(&format!(
            "/admin/{}/campaigns/{}?saved=1",
            current.model.slug, made.item.id
        ))),
        Err(e) => {
            let errors = refused_fields(&console, &state, e)?;
            let context = json!({ "values": form.typed(), "errors": errors });
            Ok(console.render(
                &state,
                Some(&current),
                StatusCode::UNPROCESSABLE_ENTITY,
                "campaign_new",
                context,
            ))
        }
    }
}

/// `GET /admin/{org}/campaigns/{id}`: the campaign, what gathers under it, and
/// its form.
#[handler]
pub async fn show(
    req: &Request,
    console: Console,
    state: Data<&AppState>,
    path: OrgAnd<String>,
) -> Answer {
    let (org, id) = path.0;
    let current = console.organisation(&state, &org).await?;
    let campaign = campaign_of(&console, &state, &current, &id).await?;
    let mut errors = json!({});
    if let Some(done) = ["saved", "archived", "activated"]
        .into_iter()
        .find(|flag| super::flag(req, flag))
    {
        errors["_done"] = say(
            console.locale,
            &format!("console.campaign.done_{done}"),
            &[],
        )
        .into();
    }
    let values = values_of(&campaign);
    page(
        &console,
        &state,
        &current,
        &campaign,
        StatusCode::OK,
        values,
        errors,
    )
    .await
}

/// `POST /admin/{org}/campaigns/{id}`: save the form.
#[handler]
pub async fn save(
    console: Console,
    state: Data<&AppState>,
    path: OrgAnd<String>,
    form: Fields,
) -> Answer {
    let (current, campaign) = writable(&console, &state, path).await?;
    let changes = CampaignChanges {
        slug: Change::Set(form.get("slug").to_owned()),
        title: Change::Set(form.get("title").to_owned()),
        description: Change::Set(form.get("description").to_owned()),
        status: Change::Keep,
    };
    let reference = PublicRef::Id(campaign.item.id);
    match state
        .campaigns
        .change(console.access(), &reference, changes)
        .await
    {
        Ok(saved) => Ok(see_other(&format!(
            "/admin/{}/campaigns/{}?saved=1",
            current.model.slug, saved.item.id
        ))),
        Err(e) => {
            let errors = refused_fields(&console, &state, e)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            page(
                &console,
                &state,
                &current,
                &campaign,
                status,
                form.typed(),
                errors,
            )
            .await
        }
    }
}

/// `POST /admin/{org}/campaigns/{id}/archive`.
#[handler]
pub async fn archive(console: Console, state: Data<&AppState>, path: OrgAnd<String>) -> Answer {
    set_status(&console, &state, path, CampaignStatus::Archived, "archived").await
}

/// `POST /admin/{org}/campaigns/{id}/activate`: an archived campaign active again.
#[handler]
pub async fn activate(console: Console, state: Data<&AppState>, path: OrgAnd<String>) -> Answer {
    set_status(&console, &state, path, CampaignStatus::Active, "activated").await
}

async fn set_status(
    console: &Console,
    state: &AppState,
    path: OrgAnd<String>,
    status: CampaignStatus,
    done: &str,
) -> Answer {
    let (current, campaign) = writable(console, state, path).await?;
    let changes = CampaignChanges {
        status: Change::Set(status),
        ..CampaignChanges::default()
    };
    let reference = PublicRef::Id(campaign.item.id);
    state
        .campaigns
        .change(console.access(), &reference, changes)
        .await
        .map_err(|e| refused(console, state, &e))?;
    Ok(see_other(&format!(
        "/admin/{}/campaigns/{}?{done}=1",
        current.model.slug, campaign.item.id
    )))
}

/// The campaign's page: its figures, what gathers under it and its form.
async fn page(
    console: &Console,
    state: &AppState,
    current: &Current,
    campaign: &Campaign,
    status: StatusCode,
    values: Value,
    errors: Value,
) -> Answer {
    let row = &campaign.item;
    let failed = |e: &dyn std::fmt::Display| stop(console.failure(state, e));
    let mut events = Vec::new();
    for when in [When::Upcoming, When::Drafts, When::Past] {
        let listing = Listing {
            when,
            kind: None,
            campaign: Some(row.slug.clone()),
        };
        let found = state
            .events
            .of_organisation(console.access(), current.model.id, &listing)
            .await
            .map_err(|e| failed(&e))?;
        events.extend(found.iter().map(|e| {
            json!({
                "id": e.row.id.to_string(),
                "title": e.row.title,
                "status": e.row.status.as_str(),
                "when": e.row.times().map(|t| crate::email::render::when(&t, console.locale)).unwrap_or_default(),
                "going": e.row.going_count,
                "capacity": e.row.capacity,
            })
        }));
    }
    let petitions = state
        .petitions
        .of_organisation(console.access(), current.model.id, None, Some(row.id))
        .await
        .map_err(|e| failed(&e))?;
    let petitions: Vec<Value> = petitions
        .iter()
        .map(|p| {
            json!({
                "id": p.item.id.to_string(),
                "title": p.item.title,
                "status": p.status().as_str(),
                "signature_count": p.item.signature_count,
                "goal": p.item.goal,
            })
        })
        .collect();
    let fundraisers = state
        .fundraisers
        .in_campaign(console.access(), row)
        .await
        .map_err(|e| failed(&e))?;
    let fundraisers: Vec<Value> = fundraisers
        .iter()
        .map(|f| {
            let money =
                |minor| crate::email::render::amount_text(minor, f.row.currency, console.locale);
            json!({
                "id": f.row.id.to_string(),
                "title": f.row.title,
                "status": f.row.status.as_str(),
                "raised": money(f.raised),
                "goal": money(f.row.goal_amount),
            })
        })
        .collect();
    let context = json!({
        "campaign": {
            "id": row.id.to_string(),
            "slug": row.slug,
            "title": row.title,
            "status": row.status.as_str(),
            "feed_url": format!("{}/campaigns/{}/calendar.ics", state.site.public_url, row.slug),
        },
        "events": events,
        "petitions": petitions,
        "fundraisers": fundraisers,
        "values": values,
        "errors": errors,
    });
    Ok(console.render(state, Some(current), status, "campaign", context))
}

fn values_of(campaign: &Campaign) -> Value {
    let row = &campaign.item;
    json!({ "title": row.title, "slug": row.slug, "description": row.description })
}

/// The campaign in the path and the organisation, for a form: viewers are
/// refused (403).
async fn writable(
    console: &Console,
    state: &AppState,
    path: OrgAnd<String>,
) -> poem::Result<(Current, Campaign)> {
    let (org, id) = path.0;
    let current = console
        .organisation_as(state, &org, Role::Organiser)
        .await?;
    let campaign = campaign_of(console, state, &current, &id).await?;
    Ok((current, campaign))
}

/// A campaign of the organisation by the id in the path; any other is a 404 page.
async fn campaign_of(
    console: &Console,
    state: &AppState,
    current: &Current,
    id: &str,
) -> poem::Result<Campaign> {
    let id = console.id(state, id)?;
    match state
        .campaigns
        .get(console.access(), &PublicRef::Id(id))
        .await
    {
        Ok(c) if c.item.organisation_id == current.model.id => Ok(c),
        Ok(_) => Err(console.not_found(state)),
        Err(e) => Err(refused(console, state, &e)),
    }
}

/// The messages of a refused form by field; any other refusal ends the handler.
fn refused_fields(console: &Console, state: &AppState, e: CampaignError) -> poem::Result<Value> {
    match e {
        ContentError::Invalid(invalid) => Ok(console.messages(&invalid.0)),
        ContentError::SlugTaken(_) => {
            Ok(json!({ "slug": say(console.locale, "console.event.slug_taken", &[]) }))
        }
        e => Err(refused(console, state, &e)),
    }
}

/// A refusal of the campaigns service as the page that says so.
fn refused(console: &Console, state: &AppState, e: &CampaignError) -> poem::Error {
    stop(match e.code() {
        "not_found" | "forbidden" => pages::not_found(state, console.locale),
        "access" | "read_only" => pages::page(
            state,
            StatusCode::FORBIDDEN,
            "admin/forbidden",
            &json!({ "locale": console.locale.as_str() }),
        ),
        _ => console.failure(state, e),
    })
}
