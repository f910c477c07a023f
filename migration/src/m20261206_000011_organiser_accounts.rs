//! Organiser accounts after the audit of issue 15: API tokens remember when they were
//! last used (unused for 90 days they stop working) and may carry a name; one-time
//! links (password reset, console sign-in) are kept as the SHA-256 of their token.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .add_column(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .add_column(string_null(ApiTokens::Name))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_tokens_organiser")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::OrganiserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrganiserLinks::Table)
                    .col(pk_uuid(OrganiserLinks::Id))
                    .col(uuid(OrganiserLinks::OrganiserId))
                    .col(string(OrganiserLinks::Purpose))
                    .col(string_uniq(OrganiserLinks::TokenHash))
                    .col(timestamp_with_time_zone(OrganiserLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OrganiserLinks::UsedAt))
                    .col(timestamp_with_time_zone(OrganiserLinks::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrganiserLinks::Table, OrganiserLinks::OrganiserId)
                            .to(Organisers::Table, Organisers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrganiserLinks::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_api_tokens_organiser")
                    .table(ApiTokens::Table)
                    .to_owned(),
            )
            .await?;
        for column in [ApiTokens::Name, ApiTokens::LastUsedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiTokens::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    OrganiserId,
    LastUsedAt,
    Name,
}

#[derive(DeriveIden)]
enum Organisers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrganiserLinks {
    Table,
    Id,
    OrganiserId,
    Purpose,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}
