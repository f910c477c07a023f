//! Request and response bodies of the campaign endpoints.

pub use entity::values::CampaignStatus;
use poem_openapi::{Object, types::MaybeUndefined};

use super::service;
use crate::events::model::Event;
use crate::http::{
    Text,
    content::{change, page_body},
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

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub struct CampaignPatch {
    #[oai(nullable)]
    pub slug: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub title: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub description: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub status: MaybeUndefined<CampaignStatus>,
}

impl From<CampaignPatch> for service::CampaignChanges {
    fn from(patch: CampaignPatch) -> Self {
        Self {
            slug: change(patch.slug),
            title: change(patch.title),
            description: change(patch.description),
            status: change(patch.status),
        }
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
