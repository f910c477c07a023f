//! What every endpoint shares: problems, authentication, the body guard with
//! idempotency keys, and list paging.

pub mod allow;
pub mod auth;
pub mod client;
pub mod content;
pub mod controls;
pub mod csv;
pub mod edge;
pub mod guard;
pub mod headers;
pub mod limit;
pub mod money;
pub mod page;
pub mod problem;
pub mod text;

pub use auth::BearerAuth;
pub use problem::{ApiError, Problem, Problems};
pub use text::Text;

use chrono::{DateTime, SecondsFormat, Utc};

/// RFC 3339 in UTC with `Z`, as the contract writes instants.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The groups the OpenAPI document lists endpoints under.
#[derive(poem_openapi::Tags)]
pub enum ApiTags {
    /// Organisations, organisers, sign-in and invitations.
    Organisations,
    /// Campaigns (organiser side).
    Campaigns,
    /// Events (organiser side).
    Events,
    /// Supporters' personal data: find, export, erase.
    Supporters,
    /// The email outbox: failed deliveries.
    Emails,
    /// Mailings: an organisation writing to its subscribers, attendees, signers
    /// or donors.
    Mailings,
    /// Petitions and their signatures (organiser side).
    Petitions,
    /// Fundraisers and their donations (organiser side).
    Fundraisers,
    /// What anyone may read or do without a token.
    Public,
}
