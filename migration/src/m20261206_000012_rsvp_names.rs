//! Each RSVP keeps the name given with it. The supporter's own name is theirs: an
//! organisation that adds an address at its door, or anyone who RSVPs with it, sees
//! the name they typed, never the one the supporter gave someone else.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Rsvps::Table)
                    .add_column(string_null(Rsvps::Name))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Rsvps::Table)
                    .drop_column(Rsvps::Name)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Rsvps {
    Table,
    Name,
}
