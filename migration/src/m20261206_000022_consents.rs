//! Consent kept per organisation, with its provenance (issue 19, point 1): one row
//! per organisation and supporter holding the consent in force, `pending` until the
//! address is confirmed by a link we emailed, `active` then, `withdrawn` once the
//! supporter unsubscribes from that organisation.
//!
//! The old global flag (`supporters.subscribed`) is NOT migrated: this migration
//! creates no consent at all, and the flag is no longer read. A consent is a record
//! of what a person agreed to: which organisation, when, and the exact words shown
//! beside the box. The flag holds none of that. It was set by a box that named no
//! organisation ("keep me updated about this campaign"), so even a supporter who
//! acted with exactly one organisation would get a row whose `words` we would have
//! to make up, and whose `asked_at` we would have to guess. Inventing provenance is
//! inventing consent; the organisations lose only the ability to write to people
//! who may ask again on their next action (the box is offered on every form).
//! The column stays (dropping data in a migration cannot be undone) but nothing
//! counts it as consent.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(uuid(Consents::Id).primary_key())
                    .col(uuid(Consents::OrganisationId))
                    .col(uuid(Consents::SupporterId))
                    .col(string_len(Consents::Status, 16))
                    .col(string_len(Consents::Words, 1000))
                    .col(string_len(Consents::Form, 16))
                    .col(string_null(Consents::Source))
                    .col(string(Consents::Locale))
                    .col(timestamp_with_time_zone(Consents::AskedAt))
                    .col(timestamp_with_time_zone_null(Consents::ConfirmedAt))
                    .col(timestamp_with_time_zone_null(Consents::WithdrawnAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Consents::Table, Consents::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Consents::Table, Consents::SupporterId)
                            .to(Supporters::Table, Supporters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_consents_organisation_supporter")
                    .table(Consents::Table)
                    .col(Consents::OrganisationId)
                    .col(Consents::SupporterId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The supporter's own consents (export, erasure) are found by supporter.
        manager
            .create_index(
                Index::create()
                    .name("idx_consents_supporter")
                    .table(Consents::Table)
                    .col(Consents::SupporterId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Consents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    OrganisationId,
    SupporterId,
    Status,
    Words,
    Form,
    Source,
    Locale,
    AskedAt,
    ConfirmedAt,
    WithdrawnAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Supporters {
    Table,
    Id,
}
