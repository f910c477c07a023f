//! Addresses that no email goes to any more (issue 19, point 4): a permanent
//! bounce, a complaint, three temporary failures in 30 days, or a 5xx from our own
//! SMTP server. The temporary failures are kept to count them; the outbox's
//! Message-IDs are indexed so that a report naming one finds its recipient.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Suppressions::Table)
                    // The address lower-cased, as `Email::key` gives it.
                    .col(string_len(Suppressions::Address, 320).primary_key())
                    .col(string_len(Suppressions::Reason, 32))
                    .col(string_len_null(Suppressions::Detail, 500))
                    .col(timestamp_with_time_zone(Suppressions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeliveryFailures::Table)
                    .col(uuid(DeliveryFailures::Id).primary_key())
                    .col(string_len(DeliveryFailures::Address, 320))
                    .col(string_len_null(DeliveryFailures::Detail, 500))
                    .col(timestamp_with_time_zone(DeliveryFailures::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_delivery_failures_address")
                    .table(DeliveryFailures::Table)
                    .col(DeliveryFailures::Address)
                    .col(DeliveryFailures::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_emails_message_id")
                    .table(OutboxEmails::Table)
                    .col(OutboxEmails::MessageId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_emails_message_id")
                    .table(OutboxEmails::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(DeliveryFailures::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Suppressions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Suppressions {
    Table,
    Address,
    Reason,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DeliveryFailures {
    Table,
    Id,
    Address,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    MessageId,
}
