//! HTTP endpoints of campaigns.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::model::*;
use crate::content::Service as _;
use crate::http::{
    ApiTags, BearerAuth, Problems,
    auth::authenticate,
    content::{cursor, named},
    page::Limit,
    problem::{CreateOne, PatchOne, ReadOne, Unauthorized, Unprocessable},
};
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

#[OpenApi(tag = "ApiTags::Campaigns")]
impl CampaignsApi {
    /// Start a campaign.
    #[oai(path = "/campaigns", method = "post")]
    async fn create(
        &self,
        auth: BearerAuth,
        req: Json<NewCampaign>,
    ) -> Result<CampaignCreated, CreateOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        let campaign = self.state.campaigns.create(&access, req.0.into()).await?;
        Ok(CampaignCreated::Created(Json(campaign.into())))
    }

    /// The campaigns of your organisations.
    #[oai(path = "/campaigns", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        #[oai(default)] limit: Query<Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<CampaignPage>, Problems<(Unauthorized, Unprocessable)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let cursor = self::cursor(cursor.as_deref())?;
        let page = self.state.campaigns.list(&access, *limit, cursor).await?;
        Ok(Json(CampaignPage::from(page)))
    }

    /// One campaign.
    #[oai(path = "/campaigns/:id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<String>) -> Result<Json<Campaign>, ReadOne> {
        let (access, id) = named::<campaign::Entity>(&self.state.db, &auth, &id).await?;
        Ok(Json(self.state.campaigns.get(&access, &id).await?.into()))
    }

    /// Change a campaign; fields left out stay as they are.
    #[oai(path = "/campaigns/:id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        req: Json<CampaignPatch>,
    ) -> Result<Json<Campaign>, PatchOne> {
        let (access, id) = named::<campaign::Entity>(&self.state.db, &auth, &id).await?;
        let campaign = self
            .state
            .campaigns
            .change(&access, &id, req.0.into())
            .await?;
        Ok(Json(campaign.into()))
    }
}
