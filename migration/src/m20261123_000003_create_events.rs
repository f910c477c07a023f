//! Events and their co-hosts.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_create_organisations::Organisations;
use crate::m20261123_000002_create_campaigns::Campaigns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(pk_uuid(Events::Id))
                    .col(uuid(Events::OrganisationId))
                    .col(uuid_null(Events::CampaignId))
                    .col(string_uniq(Events::Slug))
                    .col(string(Events::Kind))
                    .col(string(Events::Title))
                    .col(text(Events::Summary))
                    .col(text(Events::Description))
                    .col(string(Events::Language))
                    .col(string(Events::Timezone))
                    .col(string(Events::StartsAt))
                    .col(string(Events::EndsAt))
                    .col(boolean(Events::AllDay))
                    .col(timestamp_with_time_zone(Events::StartsAtUtc))
                    .col(timestamp_with_time_zone(Events::EndsAtUtc))
                    .col(string_null(Events::Venue))
                    .col(string_null(Events::Address))
                    .col(string_null(Events::Locality))
                    .col(string_null(Events::Region))
                    .col(string_null(Events::PostalCode))
                    .col(string_null(Events::Country))
                    .col(double_null(Events::Latitude))
                    .col(double_null(Events::Longitude))
                    .col(string_null(Events::OnlineUrl))
                    .col(uuid_null(Events::ParentId))
                    .col(integer_null(Events::Capacity))
                    .col(boolean(Events::Waitlist))
                    .col(string(Events::RsvpMode))
                    .col(timestamp_with_time_zone_null(Events::RsvpClosesAt))
                    .col(string(Events::Status))
                    .col(string(Events::Visibility))
                    .col(integer(Events::Sequence))
                    .col(integer(Events::GoingCount))
                    .col(integer(Events::WaitlistCount))
                    .col(text_null(Events::CancelReason))
                    .col(timestamp_with_time_zone_null(Events::CancelledAt))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .col(timestamp_with_time_zone(Events::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Events::Table, Events::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Events::Table, Events::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Events::Table, Events::ParentId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The public list and the feeds read published events by start time.
        manager
            .create_index(
                Index::create()
                    .name("idx_events_status_start")
                    .table(Events::Table)
                    .col(Events::Status)
                    .col(Events::StartsAtUtc)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_organisation")
                    .table(Events::Table)
                    .col(Events::OrganisationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventHosts::Table)
                    .col(uuid(EventHosts::EventId))
                    .col(uuid(EventHosts::OrganisationId))
                    .col(integer(EventHosts::Position))
                    .primary_key(
                        Index::create()
                            .col(EventHosts::EventId)
                            .col(EventHosts::OrganisationId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EventHosts::Table, EventHosts::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EventHosts::Table, EventHosts::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventHosts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Events {
    Table,
    Id,
    OrganisationId,
    CampaignId,
    Slug,
    Kind,
    Title,
    Summary,
    Description,
    Language,
    Timezone,
    StartsAt,
    EndsAt,
    AllDay,
    StartsAtUtc,
    EndsAtUtc,
    Venue,
    Address,
    Locality,
    Region,
    PostalCode,
    Country,
    Latitude,
    Longitude,
    OnlineUrl,
    ParentId,
    Capacity,
    Waitlist,
    RsvpMode,
    RsvpClosesAt,
    Status,
    Visibility,
    Sequence,
    GoingCount,
    WaitlistCount,
    CancelReason,
    CancelledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventHosts {
    Table,
    EventId,
    OrganisationId,
    Position,
}
