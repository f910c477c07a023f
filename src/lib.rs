//! Turnout: a campaign and events backend for solidarity groups. Organisers publish
//! events, petitions and fundraising appeals; supporters RSVP, sign and donate.
//!
//! Start at [`app::App::build`], which builds each capability once as a value
//! (`Events`, `Rsvps`, `Petitions`, `Fundraisers`, `Campaigns`, `Organisations`,
//! `Supporters`) and keeps them in the [`state::AppState`] every endpoint shares.
//!
//! Each capability is a folder: `service.rs` holds its value, whose methods take and
//! return domain types (rows of `entity`, values of [`domain`]) and answer a domain
//! error with a stable `code()`; `model.rs` holds the JSON bodies and the conversions
//! to and from them; `api.rs` the thin handlers, which choose statuses and build
//! URLs (the operations every kind has alike, from one `organiser_api!` in
//! [`http::content`]). The JSON API, the supporters' pages ([`pages`]), the
//! organiser console ([`console`], `/admin`), the CLI and the demo call the same
//! methods; a console handler takes what its path names, with the role it needs,
//! from the extractors of [`console::held`], which also hold the form round-trip
//! every console page shares and the handlers that show, make and save any kind of
//! content. What organisation-owned content shares (access by role, free slugs,
//! pages of a list, `Checks` that name every bad field, `Change` for PATCH, and
//! [`content::Service`], the reads and changes every kind's service provides) is
//! [`content`]; who may do what is [`access`]; [`http`] holds what every endpoint
//! shares; [`jobs`] runs the background rounds and [`email::delivery`] sends the
//! outbox; [`words`] holds every word a person reads, one catalogue per language
//! (`templates/words/`), and pages choose words by the codes errors carry.
//! Statuses, kinds and roles are the enums of `entity::values`, which are also the
//! API's (one spelling each). [`stats`] counts what the console's charts draw;
//! [`consent`] keeps each supporter's consent per organisation, with where and
//! how it was given; [`email::feedback`] reads bounces and complaints, and
//! [`email::suppression`] keeps the addresses no email goes to any more.
//!
//! Imports go one way: endpoints and pages above services, services above
//! `content`, `access`, `domain` and `entity`; no service imports poem. The only
//! cycle is inside `petitions` (its service, its signature intake and its cache of
//! published petitions).

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
pub mod consent;
pub mod console;
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
pub mod mailings;
pub mod metrics;
pub mod moment;
pub mod organisations;
pub mod pages;
pub mod payments;
pub mod petitions;
pub mod rsvps;
pub mod state;
pub mod stats;
pub mod supporters;
pub mod system;
pub mod telemetry;
pub mod tokens;
pub mod words;
