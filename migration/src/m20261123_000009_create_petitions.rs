//! Petitions and their signatures.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_create_organisations::Organisations;
use crate::m20261123_000006_create_supporters_and_rsvps::Supporters;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Petitions::Table)
                    .col(pk_uuid(Petitions::Id))
                    .col(uuid(Petitions::OrganisationId))
                    .col(uuid_null(Petitions::CampaignId))
                    .col(string_uniq(Petitions::Slug))
                    .col(string(Petitions::Title))
                    .col(string(Petitions::Target))
                    .col(text(Petitions::Body))
                    .col(string(Petitions::Language))
                    .col(integer_null(Petitions::Goal))
                    .col(string(Petitions::Status))
                    .col(timestamp_with_time_zone_null(Petitions::ClosesAt))
                    .col(boolean(Petitions::RequireConfirmation))
                    .col(string(Petitions::FieldAffiliation))
                    .col(string(Petitions::FieldPostalCode))
                    .col(string(Petitions::FieldCountry))
                    .col(string(Petitions::FieldComment))
                    // Confirmed signatures, kept with each confirmation so that reading
                    // the count never counts rows.
                    .col(integer(Petitions::SignatureCount))
                    .col(timestamp_with_time_zone_null(Petitions::DeliveredAt))
                    .col(text_null(Petitions::DeliveryNote))
                    .col(timestamp_with_time_zone(Petitions::CreatedAt))
                    .col(timestamp_with_time_zone(Petitions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Petitions::Table, Petitions::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Signatures::Table)
                    .col(pk_uuid(Signatures::Id))
                    .col(uuid(Signatures::PetitionId))
                    .col(uuid(Signatures::SupporterId))
                    .col(string(Signatures::EmailKey))
                    .col(string(Signatures::Name))
                    .col(string_null(Signatures::Affiliation))
                    .col(string_null(Signatures::PostalCode))
                    .col(string_null(Signatures::Locality))
                    .col(string_null(Signatures::Country))
                    .col(text_null(Signatures::Comment))
                    .col(boolean(Signatures::Public))
                    .col(string(Signatures::Status))
                    .col(string_null(Signatures::Locale))
                    .col(timestamp_with_time_zone(Signatures::ConfirmationSentAt))
                    .col(timestamp_with_time_zone(Signatures::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Signatures::ConfirmedAt))
                    .col(timestamp_with_time_zone(Signatures::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Signatures::Table, Signatures::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Signatures::Table, Signatures::SupporterId)
                            .to(Supporters::Table, Supporters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One signature per person and petition, whatever the case or `+tag`.
        manager
            .create_index(
                Index::create()
                    .name("idx_signatures_petition_email")
                    .table(Signatures::Table)
                    .col(Signatures::PetitionId)
                    .col(Signatures::EmailKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_signatures_petition_status")
                    .table(Signatures::Table)
                    .col(Signatures::PetitionId)
                    .col(Signatures::Status)
                    .col(Signatures::ConfirmedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_signatures_supporter")
                    .table(Signatures::Table)
                    .col(Signatures::SupporterId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Signatures::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Petitions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Petitions {
    Table,
    Id,
    OrganisationId,
    CampaignId,
    Slug,
    Title,
    Target,
    Body,
    Language,
    Goal,
    Status,
    ClosesAt,
    RequireConfirmation,
    FieldAffiliation,
    FieldPostalCode,
    FieldCountry,
    FieldComment,
    SignatureCount,
    DeliveredAt,
    DeliveryNote,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    Id,
    PetitionId,
    SupporterId,
    EmailKey,
    Name,
    Affiliation,
    PostalCode,
    Locality,
    Country,
    Comment,
    Public,
    Status,
    Locale,
    ConfirmationSentAt,
    ExpiresAt,
    ConfirmedAt,
    CreatedAt,
}
