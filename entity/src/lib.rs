//! The tables of Turnout as sea-orm entities, one file a table, and the values their
//! columns hold: the domain's value types ([`domain`]: zones, currencies, addresses,
//! languages) and the enums of [`values`] (statuses, kinds, roles). A row read from
//! the database is made of these or fails to load; nothing reads text back later.

pub mod api_token;
pub mod application_digest;
pub mod campaign;
pub mod consent;
pub mod console_session;
pub mod delivery_failure;
pub mod domain;
pub mod donation;
pub mod event;
pub mod event_host;
pub mod feed_link;
pub mod fundraiser;
pub mod idempotency_key;
pub mod invitation;
pub mod mailing;
pub mod membership;
pub mod organisation;
pub mod organiser;
pub mod organiser_link;
pub mod outbox_email;
pub mod petition;
pub mod rsvp;
pub mod rsvp_link;
pub mod setting;
pub mod signature;
pub mod stripe_event;
pub mod supporter;
pub mod suppression;
pub mod values;
