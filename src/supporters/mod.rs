//! Supporters: one per email address, whatever they RSVP to, sign or give; what
//! organisers may see of them, export, and erase.

pub mod api;
pub mod model;
pub mod service;

pub use service::{SupporterError, Supporters};
