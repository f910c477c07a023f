//! Fundraising appeals: a goal in one currency, donations online through Stripe
//! Checkout or recorded by organisers, refunds, and receipts.

pub mod api;
pub mod donations;
pub mod model;
pub mod public_api;
pub mod service;
pub mod webhook;

pub use service::Fundraisers;
