//! Petitions: a text addressed to a target, signed by supporters with double
//! opt-in, counted exactly, delivered with a list of signers that holds no address.

pub mod api;
pub mod intake;
pub mod model;
pub mod public_api;
pub mod published;
pub mod review;
pub mod service;

pub use service::{PetitionError, Petitions};
