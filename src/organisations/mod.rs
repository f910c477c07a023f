//! Organisations, their organisers, roles, API tokens, passwords and invitations.

pub mod api;
pub mod model;
pub mod password;
pub mod service;

pub use service::{OrganisationError, Organisations};
