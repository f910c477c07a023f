//! Request and response bodies of the petition endpoints.

use chrono::{DateTime, Utc};
pub use entity::values::{FieldRule, PetitionStatus};
use poem_openapi::{Enum, Object};

use super::service::{self, PetitionError};
use crate::http::{
    ApiError, Text,
    content::{page_body, patch_body, same_fields},
    instant,
};
use entity::{signature, values::SignatureState};

impl From<PetitionError> for ApiError {
    fn from(e: PetitionError) -> Self {
        match e {
            PetitionError::Content(e) => e.into(),
            PetitionError::NoSuchLink => ApiError::not_found(e.to_string()),
            PetitionError::Closed | PetitionError::WrongState(_) | PetitionError::LinkExpired => {
                ApiError::conflict(e.to_string())
            }
        }
    }
}

/// Which of the optional fields a petition asks signers for.
#[derive(Object, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[oai(deny_unknown_fields)]
pub struct PetitionFields {
    /// A trade union, a student group…
    #[oai(default)]
    pub affiliation: FieldRule,
    #[oai(default)]
    pub postal_code: FieldRule,
    #[oai(default)]
    pub country: FieldRule,
    #[oai(default)]
    pub comment: FieldRule,
}

same_fields!(PetitionFields, service::FieldRules, both ways {
    affiliation,
    postal_code,
    country,
    comment,
});

/// A petition.
#[derive(Object, Debug, Clone)]
pub struct Petition {
    pub id: String,
    pub slug: String,
    /// The owning organisation's slug.
    pub organisation: String,
    #[oai(nullable)]
    pub campaign: Option<String>,
    pub title: String,
    /// Whom it is addressed to.
    pub target: String,
    /// Markdown.
    pub body: String,
    pub language: String,
    /// Signatures hoped for.
    #[oai(nullable)]
    pub goal: Option<i32>,
    pub status: PetitionStatus,
    #[oai(nullable)]
    pub closes_at: Option<String>,
    /// Signatures count only once confirmed from the emailed link.
    pub require_confirmation: bool,
    pub fields: PetitionFields,
    /// Confirmed signatures.
    pub signature_count: i32,
    pub url: String,
    #[oai(nullable)]
    pub delivered_at: Option<String>,
    #[oai(nullable)]
    pub delivery_note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Petition {
    /// The petition as the API shows it, its page under `public_url`.
    pub fn of(p: &service::Petition, public_url: &str) -> Self {
        let row = &p.item;
        Self {
            id: row.id.to_string(),
            slug: row.slug.clone(),
            organisation: p.organisation.clone(),
            campaign: p.campaign.clone(),
            title: row.title.clone(),
            target: row.target.clone(),
            body: row.body.clone(),
            language: row.language.to_string(),
            goal: row.goal,
            status: p.status(),
            closes_at: row.closes_at.map(instant),
            require_confirmation: row.require_confirmation,
            fields: p.fields().into(),
            signature_count: row.signature_count,
            url: service::page_url(public_url, &row.slug),
            delivered_at: row.delivered_at.map(instant),
            delivery_note: row.delivery_note.clone(),
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        }
    }

    /// Several, in their order.
    pub fn all(petitions: &[service::Petition], public_url: &str) -> Vec<Self> {
        petitions.iter().map(|p| Self::of(p, public_url)).collect()
    }
}

/// A new petition; it starts as a draft.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct NewPetition {
    #[oai(nullable)]
    pub organisation: Option<Text>,
    #[oai(nullable)]
    pub campaign: Option<Text>,
    #[oai(nullable)]
    pub slug: Option<Text>,
    pub title: Text,
    pub target: Text,
    #[oai(default)]
    pub body: Text,
    /// BCP 47; default `en`.
    #[oai(nullable)]
    pub language: Option<Text>,
    #[oai(nullable)]
    pub goal: Option<i64>,
    #[oai(nullable)]
    pub closes_at: Option<DateTime<Utc>>,
    /// Default true: signatures count once confirmed by email.
    #[oai(nullable)]
    pub require_confirmation: Option<bool>,
    #[oai(nullable)]
    pub fields: Option<PetitionFields>,
}

impl From<NewPetition> for service::NewPetition {
    fn from(new: NewPetition) -> Self {
        Self {
            organisation: new.organisation.map(Into::into),
            campaign: new.campaign.map(Into::into),
            slug: new.slug.map(Into::into),
            title: new.title.into(),
            target: new.target.into(),
            body: new.body.into(),
            language: new.language.map(Into::into),
            goal: new.goal,
            closes_at: new.closes_at,
            require_confirmation: new.require_confirmation,
            fields: new.fields.map(Into::into),
        }
    }
}

patch_body! {
    /// A change to a petition; `null` clears an optional field.
    PetitionPatch => service::PetitionChanges {
        campaign: Text,
        slug: Text,
        title: Text,
        target: Text,
        body: Text,
        language: Text,
        goal: i64,
        closes_at: DateTime<Utc>,
        require_confirmation: bool,
        fields: PetitionFields,
    }
}

#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct DeliverRequest {
    /// When it was handed over; default now.
    #[oai(nullable)]
    pub delivered_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub note: Option<Text>,
}

impl From<DeliverRequest> for service::Delivery {
    fn from(r: DeliverRequest) -> Self {
        Self {
            delivered_at: r.delivered_at,
            note: r.note.map(Into::into),
        }
    }
}

page_body!(PetitionPage of Petition);

/// A signature from a supporter.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct SignRequest {
    pub email: Text,
    pub name: Text,
    #[oai(nullable)]
    pub affiliation: Option<Text>,
    #[oai(nullable)]
    pub postal_code: Option<Text>,
    /// A town or city, shown with a public signature.
    #[oai(nullable)]
    pub locality: Option<Text>,
    /// ISO 3166-1 alpha-2.
    #[oai(nullable)]
    pub country: Option<Text>,
    #[oai(nullable)]
    pub comment: Option<Text>,
    /// Show the name (with locality or country, affiliation and comment) among the signers.
    #[oai(nullable)]
    pub public: Option<bool>,
    /// Hear about the organisers' future campaigns.
    #[oai(nullable)]
    pub subscribe: Option<bool>,
    /// `en`, `es` or `fr`: the language of the emails.
    #[oai(nullable)]
    pub locale: Option<Text>,
    /// Leave empty: a field people do not see and robots fill in.
    #[oai(nullable)]
    pub website: Option<Text>,
    /// Where the signer came from: the `?source=` of the page or link that led
    /// here (at most 100 characters), shown to the organisers.
    #[oai(nullable)]
    pub source: Option<Text>,
}

impl From<SignRequest> for service::NewSignature {
    fn from(r: SignRequest) -> Self {
        Self {
            email: r.email.into(),
            name: r.name.into(),
            affiliation: r.affiliation.map(Into::into),
            postal_code: r.postal_code.map(Into::into),
            locality: r.locality.map(Into::into),
            country: r.country.map(Into::into),
            comment: r.comment.map(Into::into),
            public: r.public.unwrap_or(false),
            subscribe: r.subscribe.unwrap_or(false),
            locale: r.locale.map(Into::into),
            website: r.website.map(Into::into),
            source: r.source.map(Into::into),
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// Waiting for its confirmation link to be followed.
    PendingConfirmation,
    Confirmed,
}

impl From<SignatureState> for SignatureStatus {
    /// What signing answers: a signature counted, or waiting for its link.
    fn from(state: SignatureState) -> Self {
        match state {
            SignatureState::Confirmed => Self::Confirmed,
            _ => Self::PendingConfirmation,
        }
    }
}

/// What signing answers: the same whether or not this address had signed before.
#[derive(Object, Debug, Clone)]
pub struct Signed {
    pub status: SignatureStatus,
}

#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub token: Text,
}

#[derive(Object, Debug, Clone)]
pub struct Confirmed {
    pub status: SignatureStatus,
    pub signature_count: i32,
}

/// A signer who chose to be shown.
#[derive(Object, Debug, Clone)]
pub struct PublicSigner {
    pub name: String,
    #[oai(nullable)]
    pub locality: Option<String>,
    #[oai(nullable)]
    pub country: Option<String>,
    #[oai(nullable)]
    pub affiliation: Option<String>,
    #[oai(nullable)]
    pub comment: Option<String>,
    pub signed_at: String,
}

impl From<signature::Model> for PublicSigner {
    fn from(s: signature::Model) -> Self {
        Self {
            name: s.name,
            locality: s.locality,
            country: s.country.map(|c| c.to_string()),
            affiliation: s.affiliation,
            comment: s.comment,
            signed_at: instant(s.confirmed_at.unwrap_or(s.created_at)),
        }
    }
}

page_body!(SignerPage of PublicSigner);

/// A signature, as the organisers see it.
#[derive(Object, Debug, Clone)]
pub struct SignatureRecord {
    pub id: String,
    pub supporter_id: String,
    pub name: String,
    pub email: String,
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
    pub status: SignatureState,
    pub created_at: String,
    #[oai(nullable)]
    pub confirmed_at: Option<String>,
    /// Where the signer came from (`?source=`).
    #[oai(nullable)]
    pub source: Option<String>,
    /// An organiser hid the comment from the public signers list.
    pub comment_hidden: bool,
    #[oai(nullable)]
    pub invalidated_at: Option<String>,
}

impl From<service::Signer> for SignatureRecord {
    fn from(s: service::Signer) -> Self {
        let row = s.item;
        Self {
            id: row.id.to_string(),
            supporter_id: row.supporter_id.to_string(),
            email: s.email,
            name: row.name,
            affiliation: row.affiliation,
            postal_code: row.postal_code,
            locality: row.locality,
            country: row.country.map(|c| c.to_string()),
            comment: row.comment,
            public: row.public,
            status: row.status,
            created_at: instant(row.created_at),
            confirmed_at: row.confirmed_at.map(instant),
            source: row.source,
            comment_hidden: row.comment_hidden,
            invalidated_at: row.invalidated_at.map(instant),
        }
    }
}

page_body!(SignaturePage of SignatureRecord);

/// Invalidate signatures (spam): one by its id, or every one matching a filter —
/// all the parts given, at least one. `dry_run` counts them and changes nothing.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct InvalidateRequest {
    /// One signature, by id; not with a filter.
    #[oai(nullable)]
    pub signature: Option<Text>,
    /// Signatures from addresses at this domain (`example.org`).
    #[oai(nullable)]
    pub email_domain: Option<Text>,
    /// Signed at or after.
    #[oai(nullable)]
    pub from: Option<DateTime<Utc>>,
    /// Signed before.
    #[oai(nullable)]
    pub until: Option<DateTime<Utc>>,
    /// Signatures with this `source`.
    #[oai(nullable)]
    pub source: Option<Text>,
    /// Count what would be invalidated; change nothing.
    #[oai(default)]
    pub dry_run: bool,
}

/// What an invalidation (or its undoing) did, or would do.
#[derive(Object, Debug, Clone)]
pub struct Invalidated {
    /// The batch, which `.../signatures/undo` names; null for a dry run.
    #[oai(nullable)]
    pub batch: Option<String>,
    /// Signatures invalidated (or put back).
    pub signatures: u64,
    /// Those of them that counted (confirmed): the count moved by this.
    pub counted: u64,
    /// The petition's count after (for a dry run, as it would be).
    pub signature_count: i64,
}

impl From<super::review::Invalidation> for Invalidated {
    fn from(done: super::review::Invalidation) -> Self {
        Self {
            batch: Some(done.batch.to_string()),
            signatures: done.signatures,
            counted: done.counted,
            signature_count: done.signature_count.into(),
        }
    }
}

#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct UndoRequest {
    /// The `batch` an invalidation answered.
    pub batch: Text,
}

#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct CommentVisibility {
    /// Hide the comment from the public signers (true), or show it again (false).
    pub hidden: bool,
}
