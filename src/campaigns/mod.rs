//! Campaigns: the banner events, petitions and appeals gather under.

pub mod api;
pub mod model;
pub mod service;

pub use service::{Campaign, CampaignChanges, CampaignError, Campaigns, NewCampaign};
