//! The email outbox.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxEmails::Table)
                    .col(pk_uuid(OutboxEmails::Id))
                    .col(string(OutboxEmails::Recipient))
                    .col(string(OutboxEmails::RecipientName))
                    .col(string(OutboxEmails::Template))
                    .col(string(OutboxEmails::Locale))
                    .col(text(OutboxEmails::Context))
                    .col(text_null(OutboxEmails::AttachmentIcs))
                    .col(string_uniq(OutboxEmails::MessageId))
                    .col(string_null(OutboxEmails::UnsubscribeUrl))
                    .col(string(OutboxEmails::Status))
                    .col(integer(OutboxEmails::Attempts))
                    .col(timestamp_with_time_zone(OutboxEmails::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(OutboxEmails::LockedUntil))
                    .col(text_null(OutboxEmails::LastError))
                    .col(timestamp_with_time_zone(OutboxEmails::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboxEmails::SentAt))
                    .to_owned(),
            )
            .await?;
        // The worker looks for due emails by status and time.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table(OutboxEmails::Table)
                    .col(OutboxEmails::Status)
                    .col(OutboxEmails::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OutboxEmails::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    Id,
    Recipient,
    RecipientName,
    Template,
    Locale,
    Context,
    AttachmentIcs,
    MessageId,
    UnsubscribeUrl,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}
