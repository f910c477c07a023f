//! HTTP endpoints of organisations and organisers.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::model::*;
use super::service::OrganisationError;
use crate::domain::{Email, Locale};
use crate::http::{
    ApiError, ApiTags, BearerAuth, Problems,
    auth::authenticate,
    client::ClientAddr,
    content::cursor,
    limit::address_key,
    page::Limit,
    problem::{
        Conflict, Forbidden, IdempotencyKey, JsonBody, NotFound, TooManyRequests, Unauthorized,
        Unprocessable,
    },
};
use crate::state::AppState;

pub struct OrganisationsApi {
    pub state: AppState,
}

impl From<OrganisationError> for ApiError {
    fn from(e: OrganisationError) -> Self {
        match e {
            OrganisationError::Invalid(invalid) => invalid.into(),
            OrganisationError::SlugTaken(_) => ApiError::conflict(e.to_string()),
            OrganisationError::NoSuchOrganisation(_)
            | OrganisationError::NoSuchOrganiser
            | OrganisationError::NoSuchInvitation
            | OrganisationError::NoSuchLink
            | OrganisationError::NoSuchToken
            | OrganisationError::NoSuchMember => ApiError::not_found(e.to_string()),
            OrganisationError::LastOwner => ApiError::conflict(e.to_string()),
            OrganisationError::BadCredentials => ApiError::unauthorized(e.to_string()),
            OrganisationError::NotOwner(_) => ApiError::forbidden(e.to_string()),
            OrganisationError::Db(e) => ApiError::internal(&e),
            OrganisationError::Hashing(e) => ApiError::internal(&e),
        }
    }
}

#[derive(ApiResponse)]
pub enum TokenCreated {
    /// A new API token.
    #[oai(status = 201)]
    Created(Json<TokenResponse>),
}

#[derive(ApiResponse)]
pub enum InviteCreated {
    /// The organiser now holds the role.
    #[oai(status = 201)]
    Created(Json<Invited>),
}

#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
pub enum ResetAccepted {
    /// Taken: a link goes by email if the address has an account.
    #[oai(status = 202)]
    Accepted(Json<Accepted>),
}

#[OpenApi(tag = "ApiTags::Organisations")]
impl OrganisationsApi {
    /// The organiser behind the token, with their memberships.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, auth: BearerAuth) -> Result<Json<Me>, Problems<Unauthorized>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let organiser = self.state.organisations.me(&access).await?;
        Ok(Json(Me::of(organiser, access)))
    }

    /// Sign in with email and password; answers a new API token. A wrong password
    /// and an unknown address answer the same 401; too many attempts from one client
    /// or at one address, 429 with `Retry-After`.
    #[oai(path = "/auth/login", method = "post")]
    async fn login(
        &self,
        request: &poem::Request,
        req: Json<LoginRequest>,
    ) -> Result<TokenCreated, Problems<(JsonBody, IdempotencyKey, Unauthorized, TooManyRequests)>>
    {
        self.state
            .limits
            .login
            .check(ClientAddr::of(request), &address_key(&req.email))
            .map_err(ApiError::too_many)?;
        let token = self
            .state
            .organisations
            .login(&req.email, &req.password)
            .await?;
        Ok(TokenCreated::Created(Json(TokenResponse { token })))
    }

    /// Revoke the token this request is made with.
    #[oai(path = "/auth/logout", method = "post")]
    async fn logout(
        &self,
        auth: BearerAuth,
    ) -> Result<NoContent, Problems<(IdempotencyKey, Unauthorized)>> {
        authenticate(&self.state.db, &auth).await?;
        self.state
            .organisations
            .revoke_bearer(&auth.0.token)
            .await?;
        Ok(NoContent::Done)
    }

    /// Ask for a password reset. Whatever the address, the answer is 202; when it
    /// has an account, a link valid for one hour goes to it by email.
    #[oai(path = "/auth/password-reset", method = "post")]
    async fn password_reset(
        &self,
        request: &poem::Request,
        req: Json<PasswordResetRequest>,
    ) -> Result<ResetAccepted, Problems<(JsonBody, IdempotencyKey, TooManyRequests)>> {
        self.state
            .limits
            .password_reset
            .check(ClientAddr::of(request), &address_key(&req.email))
            .map_err(ApiError::too_many)?;
        // An address that cannot be one has no account either: the same 202, so
        // that the answer never tells addresses apart.
        if let Ok(email) = Email::parse(&req.email) {
            self.state
                .organisations
                .request_password_reset(&email, Locale::En)
                .await?;
        }
        Ok(ResetAccepted::Accepted(Json(Accepted {
            status: "email_sent_if_known".into(),
        })))
    }

    /// The caller's own API tokens, newest first, without their secrets.
    #[oai(path = "/tokens", method = "get")]
    async fn tokens(
        &self,
        auth: BearerAuth,
        #[oai(default)] limit: Query<Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<TokenList>, Problems<(Unauthorized, Unprocessable)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let cursor = self::cursor(cursor.as_deref())?;
        let page = self
            .state
            .organisations
            .tokens(&access, *limit, cursor)
            .await?;
        Ok(Json(TokenList {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next.map(|c| c.to_string()),
        }))
    }

    /// Revoke one of the caller's own tokens; another organiser's is 404.
    #[oai(path = "/tokens/:id", method = "delete")]
    async fn revoke(
        &self,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<NoContent, Problems<(Unauthorized, NotFound)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let id = uuid::Uuid::parse_str(&id)
            .map_err(|_| ApiError::not_found("no such token of yours"))?;
        self.state.organisations.revoke_token(&access, id).await?;
        Ok(NoContent::Done)
    }

    /// Give someone a role in the organisation (owners only). Someone new is emailed
    /// an invitation to set a password; someone with an account is added and told by
    /// email. The link is never in the answer.
    #[oai(path = "/organisations/:slug/members", method = "post")]
    async fn invite(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        req: Json<InviteRequest>,
    ) -> Result<
        InviteCreated,
        Problems<(JsonBody, IdempotencyKey, Unauthorized, Forbidden, NotFound)>,
    > {
        let access = authenticate(&self.state.db, &auth).await?;
        let email = Email::parse(&req.email)?;
        let invitation = self
            .state
            .organisations
            .invite(&access, &slug, &email, req.role)
            .await?;
        Ok(InviteCreated::Created(Json(invitation.into())))
    }

    /// Accept an invitation: set a password, and get an API token.
    #[oai(path = "/invitations/:token/accept", method = "post")]
    async fn accept(
        &self,
        token: Path<String>,
        req: Json<AcceptInvitation>,
    ) -> Result<TokenCreated, Problems<(JsonBody, IdempotencyKey, NotFound)>> {
        let token = self
            .state
            .organisations
            .accept_invitation(&token, req.0.into())
            .await?;
        Ok(TokenCreated::Created(Json(TokenResponse { token })))
    }

    /// The members of an organisation the caller belongs to, owners first.
    #[oai(path = "/organisations/:slug/members", method = "get")]
    async fn members(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
    ) -> Result<Json<Vec<MemberView>>, Problems<(Unauthorized, NotFound)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let members = self.state.organisations.members(&access, &slug).await?;
        Ok(Json(members.into_iter().map(Into::into).collect()))
    }

    /// Give a member another role (owners only). The last owner cannot stop being
    /// one (409).
    #[oai(path = "/organisations/:slug/members/:organiser_id", method = "patch")]
    async fn change_member(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        organiser_id: Path<String>,
        req: Json<RoleChange>,
    ) -> Result<Json<MemberView>, Problems<(JsonBody, Unauthorized, Forbidden, NotFound, Conflict)>>
    {
        let access = authenticate(&self.state.db, &auth).await?;
        let id = member_id(&organiser_id)?;
        let member = self
            .state
            .organisations
            .change_role(&access, &slug, id, req.role)
            .await?;
        Ok(Json(member.into()))
    }

    /// Take a member out of the organisation (owners only). The last owner stays
    /// (409).
    #[oai(path = "/organisations/:slug/members/:organiser_id", method = "delete")]
    async fn remove_member(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        organiser_id: Path<String>,
    ) -> Result<NoContent, Problems<(Unauthorized, Forbidden, NotFound, Conflict)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let id = member_id(&organiser_id)?;
        self.state
            .organisations
            .remove_member(&access, &slug, id)
            .await?;
        Ok(NoContent::Done)
    }
}

/// A member's id from a path; one that is not an id is no member.
fn member_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(raw).map_err(|_| OrganisationError::NoSuchMember.into())
}
