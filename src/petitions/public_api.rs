//! HTTP endpoints of petitions for supporters: read, sign, confirm.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{model::*, service};
use uuid::Uuid;

use crate::app::AppState;
use crate::domain::PublicRef;
use crate::http::{
    ApiError, ApiTags, Problems,
    client::ClientAddr,
    moment::MomentCache,
    page::Limit,
    problem::{Conflict, IdempotencyKey, JsonBody, NotFound, TooManyRequests, Unprocessable},
};

pub struct PublicPetitionApi {
    pub state: AppState,
}

/// Public petitions as last read, each trusted for a second while this process
/// changes no petition: a viral petition's page is read far more often than it
/// changes. Keyed by what names a petition, never by how a path spells it: one
/// entry per petition (by its id, however the id was written) and one per slug
/// that named a real one. A path naming nothing is not kept, so neither spellings
/// nor junk can fill the cache and push the real petitions out.
pub struct PublicPetitions {
    by_id: MomentCache<service::Published>,
    ids_by_slug: MomentCache<Uuid>,
}

impl Default for PublicPetitions {
    fn default() -> Self {
        let moment = std::time::Duration::from_secs(1);
        Self {
            by_id: MomentCache::new(moment, &service::PUBLIC_CHANGES),
            ids_by_slug: MomentCache::new(moment, &service::PUBLIC_CHANGES),
        }
    }
}

impl PublicPetitions {
    /// How many petitions, and how many slugs, are held (for `/metrics`).
    pub fn held(&self) -> (usize, usize) {
        (self.by_id.held(), self.ids_by_slug.held())
    }
}

/// A public petition, from memory when it was read within the last second and
/// this process has changed no petition since (the API, the pages and signing
/// share it).
pub async fn public_petition(
    state: &AppState,
    id_or_slug: &str,
) -> Result<service::Published, service::PetitionError> {
    let cache = &state.public_petitions;
    let reference = PublicRef::parse(id_or_slug).ok_or(service::PetitionError::NotFound)?;
    let known = match &reference {
        PublicRef::Id(id) => Some(*id),
        PublicRef::Slug(slug) => cache.ids_by_slug.get(slug.as_ref()),
    };
    if let Some(petition) = known.and_then(|id| cache.by_id.get(&id.to_string())) {
        return Ok(petition);
    }
    let changes = cache.by_id.changes();
    let petition = service::public_get(&state.db, id_or_slug, &state.site.public_url).await?;
    let id = petition.row.id;
    if let PublicRef::Slug(slug) = reference {
        cache.ids_by_slug.put(slug.to_string(), id, changes);
    }
    cache.by_id.put(id.to_string(), petition.clone(), changes);
    Ok(petition)
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
        Ok(Json(public_petition(&self.state, &id_or_slug).await?.view))
    }

    /// Confirmed signers who chose to be shown, newest first.
    #[oai(path = "/public/petitions/:id_or_slug/signers", method = "get")]
    async fn signers(
        &self,
        id_or_slug: Path<String>,
        limit: Query<Option<Limit>>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<SignerPage>, Problems<(NotFound, Unprocessable)>> {
        let limit = limit.0.unwrap_or_default();
        let (items, next_cursor) =
            service::public_signers(&self.state.db, &id_or_slug, limit, cursor.as_deref()).await?;
        Ok(Json(SignerPage { items, next_cursor }))
    }

    /// Sign a petition. The answer is the same whether or not this address signed
    /// before; 429 with `Retry-After` when a client or an address signs too often.
    #[oai(path = "/public/petitions/:id/signatures", method = "post")]
    async fn sign(
        &self,
        request: &poem::Request,
        id: Path<String>,
        req: Json<SignRequest>,
    ) -> Result<
        SignAnswer,
        Problems<(
            JsonBody,
            IdempotencyKey,
            NotFound,
            Conflict,
            TooManyRequests,
        )>,
    > {
        let form = service::SignForm::parse(req.0).map_err(ApiError::invalid)?;
        self.state
            .limits
            .sign
            .check(ClientAddr::of(request), &form.email.folded_key())
            .map_err(ApiError::too_many)?;
        let petition = public_petition(&self.state, &id).await?;
        let status = service::sign(&self.state.signatures, &petition, form).await?;
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
        let signature_count =
            service::confirm(&self.state.db, &self.state.site, &req.0.token).await?;
        Ok(Json(Confirmed {
            status: SignatureStatus::Confirmed,
            signature_count,
        }))
    }
}
