//! HTTP endpoints of petitions for supporters: read, sign, confirm.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{model::*, service};
use crate::http::{
    ApiError, ApiTags, Problems,
    client::ClientAddr,
    content::{cursor, reference},
    page::Limit,
    problem::{Conflict, IdempotencyKey, JsonBody, NotFound, SupporterAction, Unprocessable},
};
use crate::state::AppState;
use entity::petition;

pub struct PublicPetitionApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
pub enum SignAnswer {
    /// Counted at once (the petition needs no confirmation).
    #[oai(status = 201)]
    Confirmed(Json<Signed>),
    /// An email with a confirmation link is on its way; the signature counts once
    /// the link is followed.
    #[oai(status = 202)]
    Pending(Json<Signed>),
}

#[OpenApi(tag = "ApiTags::Public")]
impl PublicPetitionApi {
    /// A petition that is open, closed or delivered, with its confirmed signature
    /// count. Read from memory for up to a second: a change made on another server
    /// shows within that time.
    #[oai(path = "/public/petitions/:id_or_slug", method = "get")]
    async fn petition(
        &self,
        id_or_slug: Path<String>,
    ) -> Result<Json<Petition>, Problems<NotFound>> {
        let id_or_slug = reference::<petition::Entity>(&id_or_slug)?;
        let published = self.state.petitions.public(&id_or_slug).await?;
        Ok(Json(Petition::of(
            &published.petition,
            &self.state.site.public_url,
        )))
    }

    /// Confirmed signers who chose to be shown, newest first.
    #[oai(path = "/public/petitions/:id_or_slug/signers", method = "get")]
    async fn signers(
        &self,
        id_or_slug: Path<String>,
        #[oai(default)] limit: Query<Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<SignerPage>, Problems<(NotFound, Unprocessable)>> {
        let petition = reference::<petition::Entity>(&id_or_slug)?;
        let cursor = self::cursor(cursor.as_deref())?;
        let petitions = &self.state.petitions;
        let page = petitions.public_signers(&petition, *limit, cursor).await?;
        Ok(Json(SignerPage::from(page)))
    }

    /// Sign a petition. The answer is the same whether or not this address signed
    /// before; a refusal names every bad field, those the petition asks for among
    /// them; 429 with `Retry-After` when a client or an address signs too often.
    #[oai(path = "/public/petitions/:id/signatures", method = "post")]
    async fn sign(
        &self,
        request: &poem::Request,
        id: Path<String>,
        req: Json<SignRequest>,
    ) -> Result<SignAnswer, SupporterAction> {
        let id = reference::<petition::Entity>(&id)?;
        let petition = self.state.petitions.public(&id).await?;
        // Every bad field at once, those this petition asks for among them.
        let form = service::SignForm::parse_for(req.0.into(), petition.petition.fields())?;
        self.state
            .limits
            .sign
            .check_address(ClientAddr::of(request), &form.email)
            .map_err(ApiError::too_many)?;
        let status = self.state.petitions.sign(petition, form).await?.into();
        let body = Json(Signed { status });
        Ok(match status {
            SignatureStatus::Confirmed => SignAnswer::Confirmed(body),
            SignatureStatus::PendingConfirmation => SignAnswer::Pending(body),
        })
    }

    /// Confirm a signature with the token from the emailed link. Confirming again
    /// answers the same.
    #[oai(path = "/public/signatures/confirm", method = "post")]
    async fn confirm(
        &self,
        req: Json<ConfirmRequest>,
    ) -> Result<Json<Confirmed>, Problems<(JsonBody, IdempotencyKey, NotFound, Conflict)>> {
        let signature_count = self.state.petitions.confirm(&req.0.token).await?;
        Ok(Json(Confirmed {
            status: SignatureStatus::Confirmed,
            signature_count,
        }))
    }
}
