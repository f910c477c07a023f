//! An address no email goes to any more, and why.
use sea_orm::entity::prelude::*;

use crate::values::SuppressionReason;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suppressions")]
pub struct Model {
    /// The address lower-cased (`Email::key`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub address: String,
    pub reason: SuppressionReason,
    /// What the report or the server said (a status code and its words).
    pub detail: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
