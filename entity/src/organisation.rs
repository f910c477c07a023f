//! An organisation: a group that publishes events, petitions and appeals.
use sea_orm::entity::prelude::*;

use crate::domain::{Email, Locale, TimeZone};
use crate::values::ApplicationNotices;

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
    /// The language of its content and emails unless said otherwise.
    pub language: Locale,
    /// Where replies to its emails go (`Reply-To`); none: nowhere but the sender.
    pub contact_email: Option<Email>,
    /// How its organisers hear of applications to approval events.
    pub application_notices: ApplicationNotices,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
