//! An organisation that co-hosts an event it does not own.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_hosts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: Uuid,
    /// Order in which the hosts are listed.
    pub position: i32,
    /// When the co-host's organisers accepted; null while it is only invited, and
    /// then it is shown nowhere and sees no attendee.
    pub accepted_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
