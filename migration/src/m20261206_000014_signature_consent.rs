//! A signature remembers whether its signer asked to hear from the organisation, so
//! that the consent is recorded when the address is confirmed, not when anyone
//! typed it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .add_column(boolean(Signatures::Subscribe).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .drop_column(Signatures::Subscribe)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    Subscribe,
}
