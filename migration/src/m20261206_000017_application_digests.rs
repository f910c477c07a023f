//! The daily digests of applications sent to an organisation's organisers (issue 17):
//! one row per organisation and day, written in the transaction that queues the
//! digest, so that however many workers run, a day's digest is queued once.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApplicationDigests::Table)
                    .col(uuid(ApplicationDigests::OrganisationId))
                    // The organisation's own date, `YYYY-MM-DD`.
                    .col(string_len(ApplicationDigests::Day, 10))
                    // Applications that arrived before this instant are in it.
                    .col(timestamp_with_time_zone(ApplicationDigests::Until))
                    .col(timestamp_with_time_zone(ApplicationDigests::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ApplicationDigests::OrganisationId)
                            .col(ApplicationDigests::Day),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ApplicationDigests::Table,
                                ApplicationDigests::OrganisationId,
                            )
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApplicationDigests::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ApplicationDigests {
    Table,
    OrganisationId,
    Day,
    Until,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}
