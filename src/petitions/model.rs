//! Request and response bodies of the petition endpoints.

use chrono::{DateTime, Utc};
pub use entity::values::{FieldRule, PetitionStatus};
use poem_openapi::{Enum, Object, types::MaybeUndefined};

use crate::http::Text;

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

/// A change to a petition; `null` clears an optional field.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct PetitionPatch {
    #[oai(nullable)]
    pub campaign: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub slug: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub title: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub target: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub body: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub language: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub goal: MaybeUndefined<i64>,
    #[oai(nullable)]
    pub closes_at: MaybeUndefined<DateTime<Utc>>,
    #[oai(nullable)]
    pub require_confirmation: MaybeUndefined<bool>,
    #[oai(nullable)]
    pub fields: MaybeUndefined<PetitionFields>,
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

#[derive(Object, Debug, Clone)]
pub struct PetitionPage {
    pub items: Vec<Petition>,
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

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
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// Waiting for its confirmation link to be followed.
    PendingConfirmation,
    Confirmed,
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

#[derive(Object, Debug, Clone)]
pub struct SignerPage {
    pub items: Vec<PublicSigner>,
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

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
    pub status: entity::values::SignatureState,
    pub created_at: String,
    #[oai(nullable)]
    pub confirmed_at: Option<String>,
}

#[derive(Object, Debug, Clone)]
pub struct SignaturePage {
    pub items: Vec<SignatureRecord>,
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}
