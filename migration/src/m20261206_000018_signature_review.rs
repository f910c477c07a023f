//! Organisers review a petition's signatures: where each came from (`?source=` on
//! the page that led to it), a public comment hidden from the signers list, and
//! signatures invalidated (spam), one by one or in batches that can be undone.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let columns = [
            string_null(Signatures::Source),
            boolean(Signatures::CommentHidden).default(false).to_owned(),
            timestamp_with_time_zone_null(Signatures::InvalidatedAt),
            uuid_null(Signatures::InvalidationBatch),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Signatures::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // Undoing a batch finds its signatures by it.
        manager
            .create_index(
                Index::create()
                    .name("idx_signatures_invalidation_batch")
                    .table(Signatures::Table)
                    .col(Signatures::InvalidationBatch)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_signatures_invalidation_batch")
                    .table(Signatures::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Signatures::InvalidationBatch,
            Signatures::InvalidatedAt,
            Signatures::CommentHidden,
            Signatures::Source,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Signatures::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    Source,
    CommentHidden,
    InvalidatedAt,
    InvalidationBatch,
}
