//! Turnout: a campaign and events backend for solidarity groups. Organisers publish
//! events, petitions and fundraising appeals; supporters RSVP, sign and donate.
//!
//! Start at [`app::App::build`], which builds the [`state::AppState`] every endpoint
//! shares and wires the HTTP surface of each capability (`events`, `rsvps`,
//! `petitions`, `fundraisers`, `campaigns`, `organisations`, `supporters`) to its
//! service. Services hold the rules and take domain values from [`domain`] (the
//! `entity` crate's value types, which its columns hold); [`http`] holds what every
//! endpoint shares; [`jobs`] runs the background rounds and [`email::delivery`]
//! sends the outbox; [`words`] holds every word a person reads, one catalogue per
//! language (`templates/words/`). Statuses, kinds and roles are the enums of `entity::values`,
//! which are also the API's (one spelling each). Imports go one way: endpoints and
//! pages above services, services above `domain` and `entity`; the only cycles are
//! `events`/`rsvps` and `supporters`/`fundraisers::donations` (erasure), next to go.

/// mimalloc rather than the system's allocator: under load the service makes and
/// frees many small buffers from several threads, where glibc's malloc spent a tenth
/// of the signature benchmark's time (consolidating and locking its arenas). Set in
/// the library so the binary, the tests and the benchmarks all measure the same.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod access;
pub mod app;
pub mod calendar;
pub mod campaigns;
pub mod cli;
pub mod config;
pub mod content;
pub mod db;
/// The value types, kept in the `entity` crate so columns can hold them.
pub use entity::domain;
pub mod demo;
pub mod email;
pub mod events;
pub mod fundraisers;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod moment;
pub mod organisations;
pub mod pages;
pub mod payments;
pub mod petitions;
pub mod rsvps;
pub mod state;
pub mod supporters;
pub mod system;
pub mod telemetry;
pub mod tokens;
pub mod words;
