//! Emails remember the organisation they were sent for, so its organisers can see
//! which failed; the waitlist gets the index promotion reads it by.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEmails::Table)
                    .add_column(uuid_null(OutboxEmails::OrganisationId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_organisation_status")
                    .table(OutboxEmails::Table)
                    .col(OutboxEmails::OrganisationId)
                    .col(OutboxEmails::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rsvps_event_status")
                    .table(Rsvps::Table)
                    .col(Rsvps::EventId)
                    .col(Rsvps::Status)
                    .col(Rsvps::WaitlistedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_rsvps_event_status")
                    .table(Rsvps::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_organisation_status")
                    .table(OutboxEmails::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEmails::Table)
                    .drop_column(OutboxEmails::OrganisationId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    OrganisationId,
    Status,
}

#[derive(DeriveIden)]
enum Rsvps {
    Table,
    EventId,
    Status,
    WaitlistedAt,
}
