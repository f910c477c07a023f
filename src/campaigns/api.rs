//! HTTP endpoints of campaigns.

use poem_openapi::{ApiResponse, payload::Json};

use super::model::*;
use crate::content::Service as _;
use crate::http::{ApiTags, content::organiser_api};
use crate::state::AppState;
use entity::campaign;

pub struct CampaignsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
pub enum CampaignCreated {
    /// The campaign.
    #[oai(status = 201)]
    Created(Json<Campaign>),
}

organiser_api! {
    CampaignsApi, "ApiTags::Campaigns", campaigns of campaign::Entity,
        // A campaign has no page of its own to link to.
        shown as Campaign => |campaign, _public_url| Campaign::from(campaign);

    /// Start a campaign.
    create "/campaigns" (NewCampaign) -> CampaignCreated;

    /// The campaigns of your organisations.
    list "/campaigns" -> CampaignPage;

    /// One campaign.
    get "/campaigns/:id";

    /// Change a campaign; fields left out stay as they are.
    change "/campaigns/:id" (CampaignPatch);
}
