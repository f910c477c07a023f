//! Supporters and their RSVPs.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000003_create_events::Events;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Supporters::Table)
                    .col(pk_uuid(Supporters::Id))
                    .col(string_uniq(Supporters::EmailKey))
                    .col(string(Supporters::Email))
                    .col(string(Supporters::Name))
                    .col(string_null(Supporters::Locale))
                    .col(boolean(Supporters::Subscribed))
                    .col(timestamp_with_time_zone_null(Supporters::UnsubscribedAt))
                    .col(string_uniq(Supporters::FeedToken))
                    .col(timestamp_with_time_zone_null(Supporters::ErasedAt))
                    .col(timestamp_with_time_zone(Supporters::CreatedAt))
                    .col(timestamp_with_time_zone(Supporters::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Rsvps::Table)
                    .col(pk_uuid(Rsvps::Id))
                    .col(uuid(Rsvps::EventId))
                    .col(uuid(Rsvps::SupporterId))
                    .col(string(Rsvps::Status))
                    .col(integer(Rsvps::Guests))
                    .col(string_uniq(Rsvps::ManageToken))
                    .col(string_null(Rsvps::Locale))
                    .col(timestamp_with_time_zone_null(Rsvps::WaitlistedAt))
                    .col(timestamp_with_time_zone_null(Rsvps::CheckedInAt))
                    .col(timestamp_with_time_zone_null(Rsvps::RemindedAt))
                    .col(timestamp_with_time_zone(Rsvps::CreatedAt))
                    .col(timestamp_with_time_zone(Rsvps::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Rsvps::Table, Rsvps::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Rsvps::Table, Rsvps::SupporterId)
                            .to(Supporters::Table, Supporters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One RSVP per supporter and event: a second answer updates the first.
        manager
            .create_index(
                Index::create()
                    .name("idx_rsvps_event_supporter")
                    .table(Rsvps::Table)
                    .col(Rsvps::EventId)
                    .col(Rsvps::SupporterId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rsvps_supporter")
                    .table(Rsvps::Table)
                    .col(Rsvps::SupporterId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Rsvps::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Supporters::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Supporters {
    Table,
    Id,
    EmailKey,
    Email,
    Name,
    Locale,
    Subscribed,
    UnsubscribedAt,
    FeedToken,
    ErasedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Rsvps {
    Table,
    Id,
    EventId,
    SupporterId,
    Status,
    Guests,
    ManageToken,
    Locale,
    WaitlistedAt,
    CheckedInAt,
    RemindedAt,
    CreatedAt,
    UpdatedAt,
}
