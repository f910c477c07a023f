//! Organisations, their organisers, roles, API tokens, passwords and invitations.

pub mod api;
pub mod members;
pub mod model;
pub mod overview;
pub mod password;
pub mod service;
pub mod sessions;

pub use service::{OrganisationError, Organisations};
pub use sessions::{Sessions, Signed};
