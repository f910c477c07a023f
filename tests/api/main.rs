//! Turnout's HTTP contract (`API.md`), exercised against the real app on a fresh
//! database: SQLite by default, PostgreSQL when `TURNOUT_TEST_DATABASE_URL` is set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly on what it did not expect"
)]

mod accounts;
mod application_notices;
mod browser;
mod campaigns;
mod cli;
mod co_hosts;
mod concurrency;
mod consent;
mod console;
mod console_attendees;
mod console_browser;
mod console_browser_fundraisers;
mod console_browser_mailings;
mod console_browser_petitions;
mod console_campaigns;
mod console_emails;
mod console_events;
mod console_fundraisers;
mod console_mailings;
mod console_petitions;
mod console_stats;
mod console_supporters;
mod control_characters;
mod demo;
mod donations;
mod edge;
mod emails;
mod errors;
mod event_times;
mod events;
mod feeds;
mod fundraisers;
mod hardening;
mod health;
mod helpers;
mod idempotency;
mod mail_feedback;
mod mailing_delivery;
mod mailings;
mod mailings_at_scale;
mod openapi;
mod organisations;
mod pages;
mod petitions;
mod public_events;
mod rsvps;
mod scale_out;
mod smtp;
mod stored_links;
mod stripe;
mod supporters;
