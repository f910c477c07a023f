//! RSVPs: seats, guests, the waitlist and approval, the emails each change sends,
//! and the 24-hour reminders.

pub mod api;
pub mod links;
pub mod model;
pub mod notices;
pub mod public_api;
pub mod service;

pub use service::{RsvpError, Rsvps};
