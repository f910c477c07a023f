//! Turnout: a campaign and events backend for solidarity groups. Organisers publish
//! events, petitions and fundraising appeals; supporters RSVP, sign and donate.
//!
//! Start at [`app::App::build`], which wires the HTTP surface of each capability
//! (`events`, `campaigns`, `organisations`) to its service. Services hold the rules
//! and take domain values from [`domain`]; [`http`] holds what every endpoint shares.
//! Rows come typed from the `entity` crate: statuses, kinds and roles are the enums
//! of `entity::values`, which are also the API's (one spelling each).

/// mimalloc rather than the system's allocator: under load the service makes and
/// frees many small buffers from several threads, where glibc's malloc spent a tenth
/// of the signature benchmark's time (consolidating and locking its arenas). Set in
/// the library so the binary, the tests and the benchmarks all measure the same.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
pub mod words;
