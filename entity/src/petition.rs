//! A petition to a target (a ministry, a consulate), signed by supporters.
use sea_orm::entity::prelude::*;

use crate::domain::Language;

use crate::values::{FieldRule, PetitionStatus};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "petitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub campaign_id: Option<Uuid>,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    /// Whom it is addressed to.
    pub target: String,
    /// Markdown.
    pub body: String,
    pub language: Language,
    pub goal: Option<i32>,
    pub status: PetitionStatus,
    pub closes_at: Option<DateTimeUtc>,
    pub require_confirmation: bool,
    /// Each `off`, `optional` or `required`.
    pub field_affiliation: FieldRule,
    pub field_postal_code: FieldRule,
    pub field_country: FieldRule,
    pub field_comment: FieldRule,
    /// Confirmed signatures, kept exact in the transaction of each confirmation.
    pub signature_count: i32,
    pub delivered_at: Option<DateTimeUtc>,
    pub delivery_note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
