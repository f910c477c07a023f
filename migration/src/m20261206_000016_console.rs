//! The organiser console: browser sessions (kept only as the SHA-256 of their
//! cookie), each organisation's settings (default language, the contact address its
//! emails answer to, how organisers hear of applications) and each organiser's
//! language.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsoleSessions::Table)
                    .col(uuid(ConsoleSessions::Id).primary_key())
                    .col(uuid(ConsoleSessions::OrganiserId))
                    .col(string(ConsoleSessions::TokenHash).unique_key())
                    .col(timestamp_with_time_zone(ConsoleSessions::CreatedAt))
                    .col(timestamp_with_time_zone(ConsoleSessions::LastSeenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsoleSessions::Table, ConsoleSessions::OrganiserId)
                            .to(Organisers::Table, Organisers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_console_sessions_organiser")
                    .table(ConsoleSessions::Table)
                    .col(ConsoleSessions::OrganiserId)
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        for column in [
            string(Organisations::Language).default("en").to_owned(),
            string_null(Organisations::ContactEmail),
            string(Organisations::ApplicationNotices)
                .default("each")
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organisations::Table)
                        .add_column(column.clone())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Organisers::Table)
                    .add_column(string_null(Organisers::Locale))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisers::Table)
                    .drop_column(Organisers::Locale)
                    .to_owned(),
            )
            .await?;
        for column in [
            Organisations::ApplicationNotices,
            Organisations::ContactEmail,
            Organisations::Language,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organisations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ConsoleSessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ConsoleSessions {
    Table,
    Id,
    OrganiserId,
    TokenHash,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Language,
    ContactEmail,
    ApplicationNotices,
}

#[derive(DeriveIden)]
enum Organisers {
    Table,
    Id,
    Locale,
}
