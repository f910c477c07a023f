//! One gift to a fundraiser: online through Stripe, or recorded by an organiser.
use sea_orm::entity::prelude::*;

use crate::domain::{Currency, Locale};

use crate::values::{DonationMethod, DonationStatus, Frequency};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "donations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub fundraiser_id: Uuid,
    /// None for an offline gift recorded without an address.
    pub supporter_id: Option<Uuid>,
    /// The first payment of the monthly gift this payment renews.
    pub parent_id: Option<Uuid>,
    pub method: DonationMethod,
    pub frequency: Frequency,
    /// In minor units of `currency`.
    pub amount: i64,
    pub currency: Currency,
    /// Minor units given back; the whole amount once `status` is `refunded`.
    pub refunded_amount: i64,
    pub status: DonationStatus,
    pub donor_name: Option<String>,
    /// Never named on a public surface.
    pub anonymous: bool,
    pub message: Option<String>,
    /// The organiser's own note.
    pub note: Option<String>,
    pub locale: Option<Locale>,
    pub failure_reason: Option<String>,
    #[sea_orm(unique)]
    pub stripe_session_id: Option<String>,
    pub stripe_payment_intent: Option<String>,
    pub stripe_subscription: Option<String>,
    #[sea_orm(unique)]
    pub stripe_invoice: Option<String>,
    /// When the money arrived.
    pub received_at: Option<DateTimeUtc>,
    pub refunded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
