//! Request and response bodies of the organisation endpoints.

use poem_openapi::Object;

use super::service::{Acceptance, Invitation};
use crate::access::{Access, Role};
use crate::http::{Text, instant};
use entity::{api_token, organiser};

/// The organiser the token belongs to.
#[derive(Object, Debug)]
pub struct Me {
    pub id: String,
    pub email: String,
    #[oai(nullable)]
    pub name: Option<String>,
    pub memberships: Vec<MembershipView>,
}

/// A role held in one organisation.
#[derive(Object, Debug)]
pub struct MembershipView {
    /// The organisation's slug.
    pub organisation: String,
    /// The organisation's name.
    pub name: String,
    pub role: Role,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: Text,
    pub password: Text,
}

/// A new API token: keep it, it is shown once.
#[derive(Object, Debug)]
pub struct TokenResponse {
    pub token: String,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: Text,
    pub role: Role,
}

/// The organiser who now holds the role. Someone new was emailed a link to set a
/// password; someone with an account was told by email.
#[derive(Object, Debug)]
pub struct Invited {
    pub organiser_id: String,
    pub email: String,
    pub role: Role,
    /// The organisation's slug.
    pub organisation: String,
    /// True when the address had no account and was emailed an invitation.
    pub invited: bool,
}

/// One of the caller's API tokens; its secret is shown only when it is made.
#[derive(Object, Debug)]
pub struct TokenView {
    pub id: String,
    /// What the organiser called it, if anything.
    #[oai(nullable)]
    pub name: Option<String>,
    pub created_at: String,
    /// When it last authenticated a request (to the hour). Unused for 90 days, a
    /// token stops working.
    #[oai(nullable)]
    pub last_used_at: Option<String>,
}

#[derive(Object, Debug)]
pub struct TokenList {
    pub items: Vec<TokenView>,
    /// Where the next page starts; null on the last.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: Text,
}

/// The request was taken; what follows goes by email.
#[derive(Object, Debug)]
pub struct Accepted {
    pub status: String,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// 10 to 256 characters.
    pub password: Text,
    #[oai(nullable)]
    pub name: Option<Text>,
}

impl From<AcceptInvitation> for Acceptance {
    fn from(body: AcceptInvitation) -> Self {
        Self {
            password: body.password.0,
            name: body.name.map(|n| n.0),
        }
    }
}

impl Me {
    pub fn of(organiser: organiser::Model, access: Access) -> Self {
        Self {
            id: organiser.id.to_string(),
            email: organiser.email.to_string(),
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
        }
    }
}

impl From<Invitation> for Invited {
    fn from(invitation: Invitation) -> Self {
        Self {
            organiser_id: invitation.organiser.id.to_string(),
            email: invitation.organiser.email.to_string(),
            role: invitation.role,
            organisation: invitation.organisation,
            invited: invitation.invited,
        }
    }
}

impl From<api_token::Model> for TokenView {
    fn from(t: api_token::Model) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name,
            created_at: instant(t.created_at),
            last_used_at: t.last_used_at.map(instant),
        }
    }
}

/// A member of an organisation.
#[derive(Object, Debug)]
pub struct MemberView {
    pub organiser_id: String,
    pub email: String,
    #[oai(nullable)]
    pub name: Option<String>,
    pub role: Role,
    /// False until an invited organiser has set a password.
    pub active: bool,
    /// When they joined.
    pub since: String,
}

impl From<crate::organisations::members::Member> for MemberView {
    fn from(m: crate::organisations::members::Member) -> Self {
        Self {
            organiser_id: m.organiser_id.to_string(),
            email: m.email.to_string(),
            name: m.name,
            role: m.role,
            active: m.active,
            since: crate::http::instant(m.since),
        }
    }
}

/// A member's new role.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub struct RoleChange {
    pub role: Role,
}
