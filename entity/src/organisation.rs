//! An organisation: a group that publishes events, petitions and appeals.
use sea_orm::entity::prelude::*;

use crate::domain::TimeZone;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub timezone: TimeZone,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
