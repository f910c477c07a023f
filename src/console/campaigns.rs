//! An organisation's campaigns in the console: the list (active, then archived),
//! the form that starts or edits one, archiving and making active again, and on
//! each campaign's page what gathers under it — its events, petitions and
//! fundraisers with their figures.
//!
//! What a campaign may be is decided by `campaigns::service`, as for the API.

use poem::{handler, http::StatusCode};
use serde_json::{Value, json};

use super::held::{Edited, Form, Here, InHand, Made, Org, Write};
use super::{Answer, Console, Current, Fields, stop};
use crate::campaigns::{Campaign, CampaignChanges, CampaignError, NewCampaign};
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
    let form = Form::shown(json!({}), json!({}));
    Campaign::form_page(org.at(), None, form).await
}

/// `POST /admin/{org}/campaigns/{id}/archive`.
#[handler]
pub async fn archive(hand: InHand<'_, Campaign, Write>) -> Answer {
    set_status(hand, CampaignStatus::Archived, "archived").await
}

/// `POST /admin/{org}/campaigns/{id}/activate`: an archived campaign active again.
#[handler]
pub async fn activate(hand: InHand<'_, Campaign, Write>) -> Answer {
    set_status(hand, CampaignStatus::Active, "activated").await
}

/// The campaign's status changed, and nothing else.
async fn set_status(
    hand: InHand<'_, Campaign, Write>,
    status: CampaignStatus,
    flag: &str,
) -> Answer {
    let changes = CampaignChanges {
        status: Change::Set(status),
        ..CampaignChanges::default()
    };
    hand.act(flag, async |s, a, c| {
        s.campaigns.change(a, c, changes).await
    })
    .await
}

impl Made for Campaign {
    async fn create(at: Here<'_>, form: &Fields) -> Result<Campaign, CampaignError> {
        let optional =
            |name: &str| Some(form.get(name).trim().to_owned()).filter(|v| !v.is_empty());
        let new = NewCampaign {
            organisation: Some(at.current.model.slug.clone()),
            slug: optional("slug"),
            title: form.get("title").to_owned(),
            description: form.get("description").to_owned(),
            status: None,
        };
        at.state.campaigns.create(at.console.access(), new).await
    }

    async fn change(
        at: Here<'_>,
        campaign: &Campaign,
        form: &Fields,
    ) -> Result<Campaign, CampaignError> {
        let changes = CampaignChanges {
            slug: Change::Set(form.get("slug").to_owned()),
            title: Change::Set(form.get("title").to_owned()),
            description: Change::Set(form.get("description").to_owned()),
            status: Change::Keep,
        };
        let reference = PublicRef::Id(campaign.item.id);
        let campaigns = &at.state.campaigns;
        campaigns
            .change(at.console.access(), &reference, changes)
            .await
    }
}

impl Edited for Campaign {
    const WORDS: &'static str = "console.campaign";
    const DONE: &'static [&'static str] = &["saved", "archived", "activated"];

    fn values(&self, _: &Current) -> Value {
        let row = &self.item;
        json!({ "title": row.title, "slug": row.slug, "description": row.description })
    }

    /// The campaign's page: its figures, what gathers under it and its form; or
    /// the form that starts one.
    async fn form_page(at: Here<'_>, campaign: Option<&Campaign>, form: Form) -> Answer {
        let (state, console, current) = at.parts();
        match campaign {
            Some(campaign) => page(console, state, current, campaign, form).await,
            None => {
                let context = json!({ "values": form.values, "errors": form.errors });
                Ok(console.render(state, Some(current), form.status, "campaign_new", context))
            }
        }
    }
}

/// The campaign's page: its figures, what gathers under it and its form.
async fn page(
    console: &Console,
    state: &AppState,
    current: &Current,
    campaign: &Campaign,
    form: Form,
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
