//! One person's signature on one petition.
use sea_orm::entity::prelude::*;

use crate::domain::{Country, Locale};

use crate::values::SignatureState;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signatures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub petition_id: Uuid,
    pub supporter_id: Uuid,
    /// The address lower-cased with any `+tag` folded away: one signature per person.
    pub email_key: String,
    pub name: String,
    pub affiliation: Option<String>,
    pub postal_code: Option<String>,
    pub locality: Option<String>,
    pub country: Option<Country>,
    pub comment: Option<String>,
    /// Shown among the public signers.
    pub public: bool,
    pub status: SignatureState,
    pub locale: Option<Locale>,
    /// The last confirmation email, so that a repeat sends again at most hourly.
    pub confirmation_sent_at: DateTimeUtc,
    /// An unconfirmed signature expires then.
    pub expires_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    /// The signer asked to hear from the organisation: recorded on the supporter
    /// once the address is confirmed.
    pub subscribe: bool,
    pub created_at: DateTimeUtc,
    /// Where the signer came from: the `?source=` of the page that led to the form.
    pub source: Option<String>,
    /// An organiser hid the comment: the public signers list no longer shows it.
    pub comment_hidden: bool,
    /// When an organiser invalidated it (spam); it no longer counts.
    pub invalidated_at: Option<DateTimeUtc>,
    /// The batch it was invalidated in, which undoing names.
    pub invalidation_batch: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}
