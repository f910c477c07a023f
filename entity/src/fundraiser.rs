//! A fundraising appeal with a goal in one currency.
use sea_orm::entity::prelude::*;

use crate::domain::{Currency, Language};

use crate::values::FundraiserStatus;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fundraisers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub campaign_id: Option<Uuid>,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub language: Language,
    /// In minor units of `currency`.
    pub goal_amount: i64,
    /// ISO 4217 code.
    pub currency: Currency,
    /// A JSON array of minor-unit amounts offered on the donation form.
    pub suggested_amounts: String,
    /// The least and most one online donation may give, in minor units.
    pub min_amount: i64,
    pub max_amount: i64,
    pub status: FundraiserStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
