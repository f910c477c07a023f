//! HTTP endpoints of organisations and organisers.

use poem_openapi::{ApiResponse, OpenApi, param::Path, payload::Json};

use super::{model::*, service};
use crate::app::AppState;
use crate::domain::Email;
use crate::http::{ApiError, ApiTags, BearerAuth, auth::authenticate};

pub struct OrganisationsApi {
    pub state: AppState,
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

#[OpenApi(tag = "ApiTags::Organisations")]
impl OrganisationsApi {
    /// The organiser behind the token, with their memberships.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, auth: BearerAuth) -> Result<Json<Me>, ApiError> {
        let access = authenticate(&self.state.db, &auth).await?;
        let organiser = service::me(&self.state.db, &access).await?;
        Ok(Json(Me {
            id: organiser.id.to_string(),
            email: organiser.email,
            name: organiser.name,
            memberships: access
                .memberships
                .into_iter()
                .map(|m| MembershipView {
                    organisation: m.slug,
                    name: m.name,
                    role: m.role,
                })
                .collect(),
        }))
    }

    /// Sign in with email and password; answers a new API token.
    #[oai(path = "/auth/login", method = "post")]
    async fn login(&self, req: Json<LoginRequest>) -> Result<TokenCreated, ApiError> {
        let token = service::login(&self.state.db, &req.email, &req.password).await?;
        Ok(TokenCreated::Created(Json(TokenResponse { token })))
    }

    /// Give someone a role in the organisation (owners only). Someone new gets an
    /// invitation link to set a password.
    #[oai(path = "/organisations/:slug/members", method = "post")]
    async fn invite(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        req: Json<InviteRequest>,
    ) -> Result<InviteCreated, ApiError> {
        let access = authenticate(&self.state.db, &auth).await?;
        let email = Email::parse(&req.email)?;
        let invitation = service::invite(
            &self.state.db,
            &access,
            &slug,
            &email,
            req.role,
            &self.state.site,
        )
        .await?;
        Ok(InviteCreated::Created(Json(Invited {
            organiser_id: invitation.organiser.id.to_string(),
            email: invitation.organiser.email,
            role: req.role,
            organisation: slug.0,
            invitation_url: invitation
                .token
                .map(|t| format!("{}/invitations/{t}", self.state.site.public_url)),
        })))
    }

    /// Accept an invitation: set a password, and get an API token.
    #[oai(path = "/invitations/:token/accept", method = "post")]
    async fn accept(
        &self,
        token: Path<String>,
        req: Json<AcceptInvitation>,
    ) -> Result<TokenCreated, ApiError> {
        let token =
            service::accept_invitation(&self.state.db, &token, &req.password, req.name.as_deref())
                .await?;
        Ok(TokenCreated::Created(Json(TokenResponse { token })))
    }
}
