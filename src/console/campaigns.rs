//! An organisation's campaigns in the console: the list (active, then archived),
//! the form that starts or edits one, archiving and making active again, and on
//! each campaign's page what gathers under it — its events, petitions and
//! fundraisers with their figures.
//!
//! What a campaign may be is decided by `campaigns::service`, as for the API.

use poem::{Request, handler, http::StatusCode};
use serde_json::{Value, json};

use super::held::{Form, InHand, Org, Write, done, field_refusals, notice, refused};
use super::{Answer, Fields, stop};
use crate::campaigns::{Campaign, CampaignChanges, NewCampaign};
use crate::content::Change;
use crate::domain::PublicRef;
use crate::events::listing::{Listing, When};
use crate::state::AppState;
use entity::values::CampaignStatus;

/// `GET /admin/{org}/campaigns`: active campaigns, then archived ones.
#[handler]
pub async fn list(org: Org<'_>) -> Answer {
    let (state, console, current) = org.into_parts();
    let all = console.campaigns(state, &current).await?;
    let row = |c: &entity::campaign::Model| json!({ "id": c.id.to_string(), "slug": c.slug, "title": c.title, "status": c.status.as_str() });
    let of = |status: CampaignStatus| -> Vec<Value> {
        all.iter().filter(|c| c.status == status).map(row).collect()
    };
    let context = json!({
        "active": of(CampaignStatus::Active),
        "archived": of(CampaignStatus::Archived),
    });
    Ok(console.render(state, Some(&current), StatusCode::OK, "campaigns", context))
}

/// `GET /admin/{org}/campaigns/new`.
#[handler]
pub async fn new_page(org: Org<'_, Write>) -> Answer {
    let (state, console, current) = org.into_parts();
    let context = json!({ "values": {}, "errors": {} });
    Ok(console.render(
        state,
        Some(&current),
        StatusCode::OK,
        "campaign_new",
        context,
    ))
}

/// `POST /admin/{org}/campaigns/new`: start a campaign, then its page.
#[handler]
pub async fn create(org: Org<'_, Write>, form: Fields) -> Answer {
    let (state, console, current) = org.into_parts();
    let optional = |name: &str| Some(form.get(name).trim().to_owned()).filter(|v| !v.is_empty());
    let new = NewCampaign {
        organisation: Some(current.model.slug.clone()),
        slug: optional("slug"),
        title: form.get("title").to_owned(),
        description: form.get("description").to_owned(),
        status: None,
    };
    match state.campaigns.create(console.access(), new).await {
        Ok(made) => Ok(done(&current, &made, "saved")),
        Err(e) => {
            let errors = field_refusals(&console, state, &e)?;
            let context = json!({ "values": form.typed(), "errors": errors });
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(console.render(state, Some(&current), status, "campaign_new", context))
        }
    }
}

/// `GET /admin/{org}/campaigns/{id}`: the campaign, what gathers under it, and
/// its form.
#[handler]
pub async fn show(req: &Request, hand: InHand<'_, Campaign>) -> Answer {
    let state = hand.state;
    let flags = ["saved", "archived", "activated"];
    let said = notice(req, &hand.console, "console.campaign", &flags, &[]);
    let values = values_of(&hand.item);
    page(&hand, state, Form::after(values, said)).await
}

/// `POST /admin/{org}/campaigns/{id}`: save the form.
#[handler]
pub async fn save(hand: InHand<'_, Campaign, Write>, form: Fields) -> Answer {
    let state = hand.state;
    let changes = CampaignChanges {
        slug: Change::Set(form.get("slug").to_owned()),
        title: Change::Set(form.get("title").to_owned()),
        description: Change::Set(form.get("description").to_owned()),
        status: Change::Keep,
    };
    let reference = PublicRef::Id(hand.item.item.id);
    match state
        .campaigns
        .change(hand.console.access(), &reference, changes)
        .await
    {
        Ok(saved) => Ok(done(&hand.current, &saved, "saved")),
        Err(e) => {
            let errors = field_refusals(&hand.console, state, &e)?;
            page(&hand, state, Form::refused(form.typed(), errors)).await
        }
    }
}

/// `POST /admin/{org}/campaigns/{id}/archive`.
#[handler]
pub async fn archive(hand: InHand<'_, Campaign, Write>) -> Answer {
    let state = hand.state;
    set_status(hand, state, CampaignStatus::Archived, "archived").await
}

/// `POST /admin/{org}/campaigns/{id}/activate`: an archived campaign active again.
#[handler]
pub async fn activate(hand: InHand<'_, Campaign, Write>) -> Answer {
    let state = hand.state;
    set_status(hand, state, CampaignStatus::Active, "activated").await
}

async fn set_status(
    hand: InHand<'_, Campaign, Write>,
    state: &AppState,
    status: CampaignStatus,
    flag: &str,
) -> Answer {
    let changes = CampaignChanges {
        status: Change::Set(status),
        ..CampaignChanges::default()
    };
    let reference = PublicRef::Id(hand.item.item.id);
    state
        .campaigns
        .change(hand.console.access(), &reference, changes)
        .await
        .map_err(|e| refused(&hand.console, state, &e))?;
    Ok(done(&hand.current, &hand.item, flag))
}

/// The campaign's page: its figures, what gathers under it and its form.
async fn page<R: super::held::Needs>(
    hand: &InHand<'_, Campaign, R>,
    state: &AppState,
    form: Form,
) -> Answer {
    let (_, console, current, _) = hand.parts();
    let row = &hand.item.item;
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
        events.extend(found.iter().map(|e| super::events::summary(e, console)));
    }
    let petitions = state
        .petitions
        .of_organisation(console.access(), current.model.id, None, Some(row.id))
        .await
        .map_err(|e| failed(&e))?;
    let petitions: Vec<Value> = petitions.iter().map(super::petitions::row_of).collect();
    let fundraisers = state
        .fundraisers
        .in_campaign(console.access(), row)
        .await
        .map_err(|e| failed(&e))?;
    let fundraisers: Vec<Value> = fundraisers
        .iter()
        .map(|f| super::fundraisers::summary(f, console))
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
        "values": form.values,
        "errors": form.errors,
    });
    Ok(console.render(state, Some(current), form.status, "campaign", context))
}

fn values_of(campaign: &Campaign) -> Value {
    let row = &campaign.item;
    json!({ "title": row.title, "slug": row.slug, "description": row.description })
}
