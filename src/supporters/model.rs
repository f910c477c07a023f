//! Response bodies of the supporter endpoints.

use poem_openapi::Object;

use crate::fundraisers::model::{DonationMethod, DonationStatus, Frequency};
use crate::http::money::MoneyBody;
use crate::rsvps::model::RsvpStatus;

/// A supporter, as organisers see them.
#[derive(Object, Debug, Clone)]
pub struct Supporter {
    pub id: String,
    pub email: String,
    pub name: String,
    /// The language they chose for emails, if they chose one.
    #[oai(nullable)]
    pub locale: Option<String>,
    /// Agreed to hear about future campaigns.
    pub subscribed: bool,
    /// When they turned off reminders and other non-transactional email.
    #[oai(nullable)]
    pub unsubscribed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One of a supporter's RSVPs to your organisation's events.
#[derive(Object, Debug, Clone)]
pub struct SupporterRsvp {
    pub id: String,
    pub event_id: String,
    pub event_slug: String,
    pub event_title: String,
    pub starts_at_utc: String,
    pub status: RsvpStatus,
    pub guests: i32,
    #[oai(nullable)]
    pub checked_in_at: Option<String>,
    pub created_at: String,
}

/// One of a supporter's signatures on your organisations' petitions.
#[derive(Object, Debug, Clone)]
pub struct SupporterSignature {
    pub id: String,
    pub petition_id: String,
    pub petition_slug: String,
    pub petition_title: String,
    pub status: entity::values::SignatureState,
    #[oai(nullable)]
    pub affiliation: Option<String>,
    #[oai(nullable)]
    pub postal_code: Option<String>,
    #[oai(nullable)]
    pub locality: Option<String>,
    #[oai(nullable)]
    pub country: Option<String>,
    #[oai(nullable)]
    pub comment: Option<String>,
    pub public: bool,
    pub created_at: String,
    #[oai(nullable)]
    pub confirmed_at: Option<String>,
}

/// One of a supporter's gifts to your organisations' fundraisers.
#[derive(Object, Debug, Clone)]
pub struct SupporterDonation {
    pub id: String,
    /// The fundraiser's slug.
    pub fundraiser: String,
    pub fundraiser_title: String,
    pub amount: MoneyBody,
    pub refunded_amount: i64,
    pub method: DonationMethod,
    pub frequency: Frequency,
    pub status: DonationStatus,
    pub anonymous: bool,
    #[oai(nullable)]
    pub message: Option<String>,
    #[oai(nullable)]
    pub received_at: Option<String>,
    pub created_at: String,
}

/// A supporter with what they did for your organisations.
#[derive(Object, Debug, Clone)]
pub struct SupporterDetail {
    #[oai(flatten)]
    pub supporter: Supporter,
    pub rsvps: Vec<SupporterRsvp>,
    pub signatures: Vec<SupporterSignature>,
    pub donations: Vec<SupporterDonation>,
}

/// An email sent to a supporter, for an export.
#[derive(Object, Debug, Clone)]
pub struct SentEmail {
    pub template: String,
    pub status: crate::email::outbox::Status,
    pub created_at: String,
    #[oai(nullable)]
    pub sent_at: Option<String>,
}

/// Everything your organisations hold about a supporter.
#[derive(Object, Debug, Clone)]
pub struct SupporterExport {
    #[oai(flatten)]
    pub supporter: Supporter,
    pub rsvps: Vec<SupporterRsvp>,
    pub signatures: Vec<SupporterSignature>,
    pub donations: Vec<SupporterDonation>,
    pub emails: Vec<SentEmail>,
    pub exported_at: String,
}

/// A page of supporters.
#[derive(Object, Debug, Clone)]
pub struct SupporterPage {
    pub items: Vec<Supporter>,
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}
