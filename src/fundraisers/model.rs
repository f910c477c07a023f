//! Request and response bodies of the fundraiser and donation endpoints.

use chrono::{DateTime, Utc};
pub use entity::values::{DonationMethod, DonationStatus, Frequency, FundraiserStatus};
use poem_openapi::{Enum, Object};

use super::{donations, service};
use crate::http::{
    Text,
    content::{page_body, patch_body},
    instant,
    money::{MoneyBody, MoneyInput},
};

impl From<MoneyInput> for service::Amount {
    fn from(m: MoneyInput) -> Self {
        Self::new(m.amount, m.currency)
    }
}

impl Fundraiser {
    /// A fundraiser on the wire, its page under `public_url`.
    pub fn view(f: service::Fundraiser, public_url: &str) -> Self {
        let row = f.row;
        Self {
            id: row.id.to_string(),
            url: format!("{public_url}/fundraisers/{}", row.slug),
            organisation: f.organisation,
            campaign: f.campaign,
            status: row.status,
            goal: MoneyBody::of(row.goal_amount, row.currency),
            raised: MoneyBody::of(f.raised, row.currency),
            raised_other: f
                .raised_other
                .into_iter()
                .map(|(currency, amount)| MoneyBody::of(amount, currency))
                .collect(),
            donor_count: f.donors,
            suggested_amounts: f.limits.suggested,
            min_amount: f.limits.min,
            max_amount: f.limits.max,
            slug: row.slug,
            title: row.title,
            description: row.description,
            language: row.language.to_string(),
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        }
    }
}

/// Fundraisers on the wire.
pub fn views(items: Vec<service::Fundraiser>, public_url: &str) -> Vec<Fundraiser> {
    items
        .into_iter()
        .map(|f| Fundraiser::view(f, public_url))
        .collect()
}

impl From<NewFundraiser> for service::NewFundraiser {
    fn from(new: NewFundraiser) -> Self {
        Self {
            organisation: new.organisation.map(Into::into),
            campaign: new.campaign.map(Into::into),
            slug: new.slug.map(Into::into),
            title: new.title.map(Into::into).unwrap_or_default(),
            description: new.description.into(),
            language: new.language.map(Into::into),
            goal: new.goal.map(Into::into),
            suggested_amounts: new.suggested_amounts,
            min_amount: new.min_amount,
            max_amount: new.max_amount,
        }
    }
}

impl From<donations::Donation> for Donation {
    fn from(d: donations::Donation) -> Self {
        let row = d.row;
        Self {
            id: row.id.to_string(),
            fundraiser_id: row.fundraiser_id.to_string(),
            supporter_id: row.supporter_id.map(|id| id.to_string()),
            parent_id: row.parent_id.map(|id| id.to_string()),
            amount: MoneyBody::of(row.amount, row.currency),
            refunded_amount: row.refunded_amount,
            method: row.method,
            frequency: row.frequency,
            status: row.status,
            donor_name: row.donor_name.filter(|n| !n.is_empty()),
            donor_email: d.donor_email.filter(|e| !e.is_empty()),
            anonymous: row.anonymous,
            message: row.message,
            note: row.note,
            failure_reason: row.failure_reason,
            received_at: row.received_at.map(instant),
            refunded_at: row.refunded_at.map(instant),
            created_at: instant(row.created_at),
        }
    }
}

impl From<OfflineDonation> for donations::OfflineGift {
    fn from(gift: OfflineDonation) -> Self {
        Self {
            amount: gift.amount.into(),
            method: gift.method.into(),
            donor_name: gift.donor_name.map(Into::into),
            donor_email: gift.donor_email.map(Into::into),
            received_at: gift.received_at,
            note: gift.note.map(Into::into),
            anonymous: gift.anonymous.unwrap_or(false),
            send_receipt: gift.send_receipt.unwrap_or(true),
            locale: gift.locale.map(Into::into),
        }
    }
}

impl From<DonateRequest> for donations::Gift {
    fn from(r: DonateRequest) -> Self {
        Self {
            amount: r.amount.into(),
            email: r.email.map(Into::into).unwrap_or_default(),
            name: r.name.map(Into::into).unwrap_or_default(),
            anonymous: r.anonymous.unwrap_or(false),
            message: r.message.map(Into::into),
            frequency: r.frequency,
            locale: r.locale.map(Into::into),
            subscribe: r.subscribe.unwrap_or(false),
            source: r.source.map(Into::into),
        }
    }
}

impl From<donations::Started> for DonationStarted {
    fn from(s: donations::Started) -> Self {
        Self {
            id: s.id.to_string(),
            status: DonationStatus::Pending,
            checkout_url: s.checkout_url,
        }
    }
}

impl From<donations::PublicGift> for PublicDonor {
    fn from(g: donations::PublicGift) -> Self {
        Self {
            name: g.name,
            amount: MoneyBody::of(g.amount, g.currency),
            message: g.message,
            donated_at: instant(g.donated_at),
        }
    }
}

/// A fundraising appeal with its totals.
#[derive(Object, Debug, Clone)]
pub struct Fundraiser {
    pub id: String,
    pub slug: String,
    /// The owning organisation's slug.
    pub organisation: String,
    #[oai(nullable)]
    pub campaign: Option<String>,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub language: String,
    pub goal: MoneyBody,
    /// Succeeded donations in the goal's currency, less what was refunded.
    pub raised: MoneyBody,
    /// Succeeded donations in other currencies, one total each, by code.
    pub raised_other: Vec<MoneyBody>,
    /// People who gave: each once, however many gifts.
    pub donor_count: i64,
    /// Amounts offered on the donation form, in minor units of the goal's currency.
    pub suggested_amounts: Vec<i64>,
    /// The least and most one online donation may give, in minor units.
    pub min_amount: i64,
    pub max_amount: i64,
    pub status: FundraiserStatus,
    pub url: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A new fundraiser; it starts as a draft.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct NewFundraiser {
    #[oai(nullable)]
    pub organisation: Option<Text>,
    #[oai(nullable)]
    pub campaign: Option<Text>,
    #[oai(nullable)]
    pub slug: Option<Text>,
    /// Required; optional in the schema only so that leaving it out is a 422
    /// naming the field.
    #[oai(nullable)]
    pub title: Option<Text>,
    #[oai(default)]
    pub description: Text,
    /// BCP 47; default `en`.
    #[oai(nullable)]
    pub language: Option<Text>,
    /// Required, as `title`.
    #[oai(nullable)]
    pub goal: Option<MoneyInput>,
    /// Default 10, 25, 50 and 100 in the goal's major unit.
    #[oai(nullable)]
    pub suggested_amounts: Option<Vec<i64>>,
    /// Default one major unit.
    #[oai(nullable)]
    pub min_amount: Option<i64>,
    /// Default 99,999,999 minor units (Stripe's largest charge).
    #[oai(nullable)]
    pub max_amount: Option<i64>,
}

patch_body! {
    /// A change to a fundraiser; `null` clears an optional field.
    FundraiserPatch => service::FundraiserChanges {
        campaign: Text,
        slug: Text,
        title: Text,
        description: Text,
        language: Text,
        goal: MoneyInput,
        suggested_amounts: Vec<i64>,
        min_amount: i64,
        max_amount: i64,
    }
}

page_body!(FundraiserPage of Fundraiser);

/// A donation, as its organisers see it.
#[derive(Object, Debug, Clone)]
pub struct Donation {
    pub id: String,
    pub fundraiser_id: String,
    #[oai(nullable)]
    pub supporter_id: Option<String>,
    /// For a later payment of a monthly gift: its first payment.
    #[oai(nullable)]
    pub parent_id: Option<String>,
    pub amount: MoneyBody,
    /// Minor units given back.
    pub refunded_amount: i64,
    pub method: DonationMethod,
    pub frequency: Frequency,
    pub status: DonationStatus,
    #[oai(nullable)]
    pub donor_name: Option<String>,
    #[oai(nullable)]
    pub donor_email: Option<String>,
    /// Never named on a public page or list.
    pub anonymous: bool,
    #[oai(nullable)]
    pub message: Option<String>,
    #[oai(nullable)]
    pub note: Option<String>,
    #[oai(nullable)]
    pub failure_reason: Option<String>,
    #[oai(nullable)]
    pub received_at: Option<String>,
    #[oai(nullable)]
    pub refunded_at: Option<String>,
    pub created_at: String,
}

page_body!(DonationPage of Donation);

/// How an offline gift came in.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum OfflineMethod {
    Cash,
    BankTransfer,
    Cheque,
    Other,
}

impl From<OfflineMethod> for DonationMethod {
    fn from(m: OfflineMethod) -> Self {
        match m {
            OfflineMethod::Cash => Self::Cash,
            OfflineMethod::BankTransfer => Self::BankTransfer,
            OfflineMethod::Cheque => Self::Cheque,
            OfflineMethod::Other => Self::Other,
        }
    }
}

/// A gift that came in by hand: cash at a screening, a bank transfer, a cheque.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct OfflineDonation {
    /// In any currency.
    pub amount: MoneyInput,
    pub method: OfflineMethod,
    #[oai(nullable)]
    pub donor_name: Option<Text>,
    #[oai(nullable)]
    pub donor_email: Option<Text>,
    pub received_at: DateTime<Utc>,
    #[oai(nullable)]
    pub note: Option<Text>,
    /// Default false; offline gifts are never named in public anyway.
    #[oai(nullable)]
    pub anonymous: Option<bool>,
    /// Email a receipt to `donor_email` (default true).
    #[oai(nullable)]
    pub send_receipt: Option<bool>,
    /// `en`, `es` or `fr`: the receipt's language.
    #[oai(nullable)]
    pub locale: Option<Text>,
}

/// A gift from a supporter, paid on Stripe Checkout.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct DonateRequest {
    /// In the fundraiser's currency.
    pub amount: MoneyInput,
    /// Required; optional in the schema only so that leaving it out is a 422
    /// naming the field (as for `name`).
    #[oai(nullable)]
    pub email: Option<Text>,
    #[oai(nullable)]
    pub name: Option<Text>,
    /// Keep the name off every public page and list.
    #[oai(nullable)]
    pub anonymous: Option<bool>,
    /// A few words to the organisers, shown with the gift.
    #[oai(nullable)]
    pub message: Option<Text>,
    #[oai(default)]
    pub frequency: Frequency,
    /// `en`, `es` or `fr`: the language of the checkout page and the receipt.
    #[oai(nullable)]
    pub locale: Option<Text>,
    /// Hear from the fundraiser's organisation by email: it counts once the
    /// address is confirmed by the link emailed.
    #[oai(nullable)]
    pub subscribe: Option<bool>,
    /// Where the donor came from (`newsletter`, `partner-x`): kept with the consent
    /// they give. At most 100 characters.
    #[oai(nullable)]
    pub source: Option<Text>,
}

/// A donation waiting for its payment.
#[derive(Object, Debug, Clone)]
pub struct DonationStarted {
    pub id: String,
    pub status: DonationStatus,
    /// Send the supporter here to pay.
    pub checkout_url: String,
}

/// A gift as the public sees it.
#[derive(Object, Debug, Clone)]
pub struct PublicDonor {
    /// None for anonymous donors and gifts recorded by hand.
    #[oai(nullable)]
    pub name: Option<String>,
    pub amount: MoneyBody,
    #[oai(nullable)]
    pub message: Option<String>,
    pub donated_at: String,
}

page_body!(DonorPage of PublicDonor);
