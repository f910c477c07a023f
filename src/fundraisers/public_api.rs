//! HTTP endpoints of fundraisers for supporters: read, see who gave, donate.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{api::fundraiser_ref, donations::DonateForm, model::*};
use crate::http::{
    ApiError, ApiTags, Problems,
    client::ClientAddr,
    content::cursor,
    page::Limit,
    problem::{
        BadGateway, Conflict, IdempotencyKey, JsonBody, NotFound, TooManyRequests, Unavailable,
        Unprocessable,
    },
};
use crate::state::AppState;

pub struct PublicFundraiserApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
pub enum DonationAnswer {
    /// A pending donation: send the donor to `checkout_url` to pay. It counts once
    /// Stripe says the payment succeeded.
    #[oai(status = 201)]
    Started(Json<DonationStarted>),
}

#[OpenApi(tag = "ApiTags::Public")]
impl PublicFundraiserApi {
    /// An open or closed fundraiser with its totals.
    #[oai(path = "/public/fundraisers/:id_or_slug", method = "get")]
    async fn fundraiser(
        &self,
        id_or_slug: Path<String>,
    ) -> Result<Json<Fundraiser>, Problems<NotFound>> {
        let fundraiser = fundraiser_ref(&id_or_slug)?;
        let fundraiser = self.state.fundraisers.public(&fundraiser).await?;
        Ok(Json(Fundraiser::view(
            fundraiser,
            &self.state.site.public_url,
        )))
    }

    /// Succeeded gifts, newest first. Anonymous donors and gifts recorded by hand
    /// carry no name; no address is ever shown.
    #[oai(path = "/public/fundraisers/:id_or_slug/donors", method = "get")]
    async fn donors(
        &self,
        id_or_slug: Path<String>,
        #[oai(default)] limit: Query<Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<DonorPage>, Problems<(NotFound, Unprocessable)>> {
        let fundraiser = fundraiser_ref(&id_or_slug)?;
        let cursor = self::cursor(cursor.as_deref())?;
        let page = self
            .state
            .fundraisers
            .donors(&fundraiser, *limit, cursor)
            .await?;
        Ok(Json(page.into()))
    }

    /// Give: a pending donation and a Stripe Checkout session for it. 503 when this
    /// server takes no online payments; 429 with `Retry-After` when a client or an
    /// address gives too often (card testers try many).
    #[oai(path = "/public/fundraisers/:id/donations", method = "post")]
    async fn donate(
        &self,
        request: &poem::Request,
        id: Path<String>,
        req: Json<DonateRequest>,
    ) -> Result<
        DonationAnswer,
        Problems<(
            JsonBody,
            IdempotencyKey,
            NotFound,
            Conflict,
            TooManyRequests,
            BadGateway,
            Unavailable,
        )>,
    > {
        let form = DonateForm::parse(req.0.into())?;
        self.state
            .limits
            .sign
            .check_address(ClientAddr::of(request), &form.email)
            .map_err(ApiError::too_many)?;
        let fundraiser = fundraiser_ref(&id)?;
        let started = self.state.fundraisers.start(&fundraiser, form).await?;
        Ok(DonationAnswer::Started(Json(started.into())))
    }
}
