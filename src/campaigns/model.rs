//! Request and response bodies of the campaign endpoints.

pub use entity::values::CampaignStatus;
use poem_openapi::Object;

use super::service;
use crate::events::model::Event;
use crate::http::{
    Text,
    content::{page_body, patch_body},
    instant,
};

/// A campaign.
#[derive(Object, Debug, Clone)]
pub struct Campaign {
    pub id: String,
    pub slug: String,
    /// The owning organisation's slug.
    pub organisation: String,
    pub title: String,
    pub description: String,
    pub status: CampaignStatus,
    pub created_at: String,
    pub updated_at: String,
}

impl From<service::Campaign> for Campaign {
    fn from(c: service::Campaign) -> Self {
        let row = c.item;
        Self {
            id: row.id.to_string(),
            slug: row.slug,
            organisation: c.organisation,
            title: row.title,
            description: row.description,
            status: row.status,
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        }
    }
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub struct NewCampaign {
    /// The owning organisation's slug; may be left out by an organiser of only one.
    #[oai(nullable)]
    pub organisation: Option<Text>,
    /// Made from the title when left out.
    #[oai(nullable)]
    pub slug: Option<Text>,
    pub title: Text,
    #[oai(default)]
    pub description: Text,
    #[oai(nullable)]
    pub status: Option<CampaignStatus>,
}

impl From<NewCampaign> for service::NewCampaign {
    fn from(new: NewCampaign) -> Self {
        Self {
            organisation: new.organisation.map(Into::into),
            slug: new.slug.map(Into::into),
            title: new.title.into(),
            description: new.description.into(),
            status: new.status,
        }
    }
}

patch_body! {
    CampaignPatch => service::CampaignChanges {
        slug: Text,
        title: Text,
        description: Text,
        status: CampaignStatus,
    }
}

page_body!(
    /// A page of campaigns.
    CampaignPage of Campaign
);

/// A campaign as the public sees it, with its published events.
#[derive(Object, Debug)]
pub struct PublicCampaign {
    #[oai(flatten)]
    pub campaign: Campaign,
    /// Its published, public events that have not ended, soonest first.
    pub events: Vec<Event>,
    /// Its petitions open for signatures, newest first.
    pub petitions: Vec<crate::petitions::model::Petition>,
    /// Its fundraisers open for donations, newest first.
    pub fundraisers: Vec<crate::fundraisers::model::Fundraiser>,
}
