//! The tables of Turnout as sea-orm entities: plain column types, one file a table.
//! Services in the `turnout` crate turn these rows into domain values.

pub mod api_token;
pub mod campaign;
pub mod donation;
pub mod event;
pub mod event_host;
pub mod feed_link;
pub mod fundraiser;
pub mod idempotency_key;
pub mod invitation;
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
pub mod values;
