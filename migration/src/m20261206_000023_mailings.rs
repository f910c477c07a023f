//! Mailings (issue 19, points 2 and 3): an organisation's message to an audience,
//! written per language, sent through the outbox. Each email of a mailing is an
//! outbox row naming it, at most one per address (a unique index, so that no
//! mistake in queueing can write to anyone twice), and of the bulk priority, so
//! that a confirmation queued behind a 100,000-recipient mailing still goes first.
//! The claim index serves the worker's `ORDER BY priority, next_attempt_at, id`
//! straight from the index, however many emails wait.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Mailings::Table)
                    .col(uuid(Mailings::Id).primary_key())
                    .col(uuid(Mailings::OrganisationId))
                    // JSON: the audience, and the subject and body per language.
                    .col(text(Mailings::Audience))
                    .col(text(Mailings::Subject))
                    .col(text(Mailings::Body))
                    .col(string_len_null(Mailings::ReplyTo, 320))
                    .col(string_len(Mailings::Status, 16))
                    .col(timestamp_with_time_zone_null(Mailings::SendAt))
                    .col(integer(Mailings::Recipients).default(0))
                    .col(integer(Mailings::Sent).default(0))
                    .col(integer(Mailings::Failed).default(0))
                    .col(integer(Mailings::Bounced).default(0))
                    .col(integer(Mailings::Unsubscribed).default(0))
                    .col(timestamp_with_time_zone(Mailings::CreatedAt))
                    .col(timestamp_with_time_zone(Mailings::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Mailings::StartedAt))
                    .col(timestamp_with_time_zone_null(Mailings::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Mailings::Table, Mailings::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mailings_organisation")
                    .table(Mailings::Table)
                    .col(Mailings::OrganisationId)
                    .col(Mailings::Id)
                    .to_owned(),
            )
            .await?;
        // The jobs look for scheduled mailings that are due, and sending ones to finish.
        manager
            .create_index(
                Index::create()
                    .name("idx_mailings_status")
                    .table(Mailings::Table)
                    .col(Mailings::Status)
                    .col(Mailings::SendAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEmails::Table)
                    .add_column(uuid_null(OutboxEmails::MailingId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEmails::Table)
                    .add_column(small_integer(OutboxEmails::Priority).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_claim")
                    .table(OutboxEmails::Table)
                    .col(OutboxEmails::Status)
                    .col(OutboxEmails::Priority)
                    .col(OutboxEmails::NextAttemptAt)
                    .col(OutboxEmails::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_mailing_recipient")
                    .table(OutboxEmails::Table)
                    .col(OutboxEmails::MailingId)
                    .col(OutboxEmails::Recipient)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The unique constraint on Message-IDs is an index already: a second one
        // (migration 21's) only doubles the cost of queueing 100,000 emails.
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_emails_message_id")
                    .table(OutboxEmails::Table)
                    .to_owned(),
            )
            .await?;
        // A mailing's progress: its emails counted by status.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_mailing_status")
                    .table(OutboxEmails::Table)
                    .col(OutboxEmails::MailingId)
                    .col(OutboxEmails::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_emails_message_id")
                    .table(OutboxEmails::Table)
                    .col(OutboxEmails::MessageId)
                    .to_owned(),
            )
            .await?;
        for index in [
            "idx_outbox_mailing_status",
            "idx_outbox_mailing_recipient",
            "idx_outbox_claim",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(index)
                        .table(OutboxEmails::Table)
                        .to_owned(),
                )
                .await?;
        }
        for column in [OutboxEmails::Priority, OutboxEmails::MailingId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OutboxEmails::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Mailings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Mailings {
    Table,
    Id,
    OrganisationId,
    Audience,
    Subject,
    Body,
    ReplyTo,
    Status,
    SendAt,
    Recipients,
    Sent,
    Failed,
    Bounced,
    Unsubscribed,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    MailingId,
    Priority,
    Status,
    NextAttemptAt,
    Id,
    Recipient,
    MessageId,
}
