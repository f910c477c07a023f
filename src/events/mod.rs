//! Events: screenings, workshops, meetings, demonstrations, delegations and their
//! itineraries. Times are kept as the organiser meant them, in the event's zone.

pub mod api;
pub mod listing;
pub mod model;
pub mod public_api;
pub mod service;

pub use service::{EventError, Events};
