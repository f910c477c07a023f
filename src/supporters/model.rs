//! Response bodies of the supporter endpoints.

use poem_openapi::Object;

use super::service::{
    HeldDonation, HeldRsvp, HeldSignature, KnownSupporter, SupporterData, SupporterRecord,
};
use crate::http::{content::page_body, instant, money::MoneyBody};
use entity::values::{DonationMethod, DonationStatus, Frequency, RsvpStatus};

/// A supporter, as organisers see them.
#[derive(Object, Debug, Clone)]
pub struct Supporter {
    pub id: String,
    pub email: String,
    pub name: String,
    /// The language they chose for emails, if they chose one.
    #[oai(nullable)]
    pub locale: Option<String>,
    /// Agreed to hear from one of your organisations, and confirmed the address
    /// (an active consent; consent given to other organisations is not shown).
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
    pub detail: SupporterDetail,
    pub emails: Vec<SentEmail>,
    /// Each consent to hear from one of your organisations, with its provenance.
    pub consents: Vec<crate::consent::api::ConsentView>,
    pub exported_at: String,
}

page_body!(
    /// A page of supporters.
    SupporterPage of Supporter
);

impl From<KnownSupporter> for Supporter {
    fn from(known: KnownSupporter) -> Self {
        let s = known.row;
        Self {
            id: s.id.to_string(),
            email: s.email.to_string(),
            name: known.name,
            locale: s.locale.map(|l| l.to_string()),
            subscribed: s.subscribed,
            unsubscribed_at: s.unsubscribed_at.map(instant),
            created_at: instant(s.created_at),
            updated_at: instant(s.updated_at),
        }
    }
}

impl From<HeldRsvp> for SupporterRsvp {
    fn from(HeldRsvp { rsvp: r, event: e }: HeldRsvp) -> Self {
        Self {
            id: r.id.to_string(),
            event_id: e.id.to_string(),
            event_slug: e.slug,
            event_title: e.title,
            starts_at_utc: instant(e.starts_at_utc),
            status: r.status,
            guests: r.guests,
            checked_in_at: r.checked_in_at.map(instant),
            created_at: instant(r.created_at),
        }
    }
}

impl From<HeldSignature> for SupporterSignature {
    fn from(
        HeldSignature {
            signature: s,
            petition: p,
        }: HeldSignature,
    ) -> Self {
        Self {
            id: s.id.to_string(),
            petition_id: p.id.to_string(),
            petition_slug: p.slug,
            petition_title: p.title,
            status: s.status,
            affiliation: s.affiliation,
            postal_code: s.postal_code,
            locality: s.locality,
            country: s.country.map(|c| c.to_string()),
            comment: s.comment,
            public: s.public,
            created_at: instant(s.created_at),
            confirmed_at: s.confirmed_at.map(instant),
        }
    }
}

impl From<HeldDonation> for SupporterDonation {
    fn from(
        HeldDonation {
            donation: d,
            fundraiser: f,
        }: HeldDonation,
    ) -> Self {
        Self {
            id: d.id.to_string(),
            fundraiser: f.slug,
            fundraiser_title: f.title,
            amount: MoneyBody::of(d.amount, d.currency),
            refunded_amount: d.refunded_amount,
            method: d.method,
            frequency: d.frequency,
            status: d.status,
            anonymous: d.anonymous,
            message: d.message,
            received_at: d.received_at.map(instant),
            created_at: instant(d.created_at),
        }
    }
}

fn all<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(Into::into).collect()
}

impl From<SupporterRecord> for SupporterDetail {
    fn from(record: SupporterRecord) -> Self {
        Self {
            supporter: record.supporter.into(),
            rsvps: all(record.rsvps),
            signatures: all(record.signatures),
            donations: all(record.donations),
        }
    }
}

impl From<SupporterData> for SupporterExport {
    fn from(data: SupporterData) -> Self {
        let consents = all(data.record.consents.clone());
        Self {
            consents,
            detail: data.record.into(),
            emails: data
                .emails
                .into_iter()
                .map(|e| SentEmail {
                    template: e.template,
                    status: e.status,
                    created_at: instant(e.created_at),
                    sent_at: e.sent_at.map(instant),
                })
                .collect(),
            exported_at: instant(data.exported_at),
        }
    }
}
