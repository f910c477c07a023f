//! Request and response bodies of the organisation endpoints.

use poem_openapi::Object;

use crate::http::{Role, Text};

/// The organiser the token belongs to.
#[derive(Object, Debug)]
pub struct Me {
    pub id: String,
    pub email: String,
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

/// The organiser invited and the link that lets them set a password.
#[derive(Object, Debug)]
pub struct Invited {
    pub organiser_id: String,
    pub email: String,
    pub role: Role,
    /// The organisation's slug.
    pub organisation: String,
    /// Where the invited organiser sets a password; null when they already have one.
    pub invitation_url: Option<String>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// At least 10 characters.
    pub password: Text,
    pub name: Option<Text>,
}
