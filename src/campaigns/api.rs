//! HTTP endpoints of campaigns.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{model::*, service};
use crate::http::{
    ApiTags, BearerAuth, Problems,
    auth::authenticate,
    page::Limit,
    problem::{CreateOne, PatchOne, ReadOne, Unauthorized, Unprocessable},
};
use crate::state::AppState;

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
        let campaign = service::create(&self.state.db, &access, req.0).await?;
        Ok(CampaignCreated::Created(Json(campaign)))
    }

    /// The campaigns of your organisations.
    #[oai(path = "/campaigns", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        limit: Query<Option<Limit>>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<CampaignPage>, Problems<(Unauthorized, Unprocessable)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let limit = limit.0.unwrap_or_default();
        let (items, next_cursor) =
            service::list(&self.state.db, &access, limit, cursor.as_deref()).await?;
        Ok(Json(CampaignPage { items, next_cursor }))
    }

    /// One campaign.
    #[oai(path = "/campaigns/:id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<String>) -> Result<Json<Campaign>, ReadOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(service::get(&self.state.db, &access, &id).await?))
    }

    /// Change a campaign; fields left out stay as they are.
    #[oai(path = "/campaigns/:id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        req: Json<CampaignPatch>,
    ) -> Result<Json<Campaign>, PatchOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(
            service::patch(&self.state.db, &access, &id, req.0).await?,
        ))
    }
}
