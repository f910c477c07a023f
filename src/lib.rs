//! Turnout: a campaign and events backend for solidarity groups. Organisers publish
//! events, petitions and fundraising appeals; supporters RSVP, sign and donate.
//!
//! Start at [`app::App::build`], which wires the HTTP surface of each capability
//! (`events`, `campaigns`, `organisations`) to its service. Services hold the rules
//! and take domain values from [`domain`]; [`http`] holds what every endpoint shares.

#[macro_use]
mod macros;

pub mod app;
pub mod calendar;
pub mod campaigns;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod email;
pub mod events;
pub mod fundraisers;
pub mod http;
pub mod metrics;
pub mod organisations;
pub mod pages;
pub mod payments;
pub mod petitions;
pub mod rsvps;
pub mod supporters;
pub mod system;
pub mod telemetry;
