//! A supporter's consent to hear from one organisation, with its provenance: when it
//! was asked and confirmed, the words shown beside the box, the form and the source.
//! One row per organisation and supporter: the consent in force.
use sea_orm::entity::prelude::*;

use crate::domain::Locale;
use crate::values::{ConsentForm, ConsentStatus};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub supporter_id: Uuid,
    pub status: ConsentStatus,
    /// The exact sentence shown beside the box, in the page's language.
    pub words: String,
    pub form: ConsentForm,
    /// The `?source=` the supporter came with, if any.
    pub source: Option<String>,
    pub locale: Locale,
    pub asked_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub withdrawn_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
