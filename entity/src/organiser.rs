//! An organiser: a person who signs in to run an organisation's content.
use sea_orm::entity::prelude::*;

use crate::domain::{Email, Locale};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Trimmed and lower-cased: the key two spellings of one address share.
    #[sea_orm(unique)]
    pub email_key: String,
    /// The address as the organiser typed it.
    pub email: Email,
    pub name: Option<String>,
    /// Argon2id PHC string; none until the organiser accepts an invitation.
    pub password_hash: Option<String>,
    /// The language of their console; none: their browser's.
    pub locale: Option<Locale>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
