//! A campaign gathers events, petitions and appeals under one banner.
use sea_orm::entity::prelude::*;

use crate::values::CampaignStatus;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub description: String,
    pub status: CampaignStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
