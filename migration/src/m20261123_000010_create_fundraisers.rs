//! Fundraising appeals, their donations, and the Stripe events already handled.
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
                    .table(Fundraisers::Table)
                    .col(pk_uuid(Fundraisers::Id))
                    .col(uuid(Fundraisers::OrganisationId))
                    .col(uuid_null(Fundraisers::CampaignId))
                    .col(string_uniq(Fundraisers::Slug))
                    .col(string(Fundraisers::Title))
                    .col(text(Fundraisers::Description))
                    .col(string(Fundraisers::Language))
                    // Money is integer minor units of the currency, never a float.
                    .col(big_integer(Fundraisers::GoalAmount))
                    .col(string(Fundraisers::Currency))
                    // A JSON array of minor-unit amounts.
                    .col(string(Fundraisers::SuggestedAmounts))
                    .col(big_integer(Fundraisers::MinAmount))
                    .col(big_integer(Fundraisers::MaxAmount))
                    .col(string(Fundraisers::Status))
                    .col(timestamp_with_time_zone(Fundraisers::CreatedAt))
                    .col(timestamp_with_time_zone(Fundraisers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Fundraisers::Table, Fundraisers::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Donations::Table)
                    .col(pk_uuid(Donations::Id))
                    .col(uuid(Donations::FundraiserId))
                    // None for an offline gift recorded without an address.
                    .col(uuid_null(Donations::SupporterId))
                    // The first payment of the monthly gift this one renews.
                    .col(uuid_null(Donations::ParentId))
                    .col(string(Donations::Method))
                    .col(string(Donations::Frequency))
                    .col(big_integer(Donations::Amount))
                    .col(string(Donations::Currency))
                    .col(big_integer(Donations::RefundedAmount))
                    .col(string(Donations::Status))
                    .col(string_null(Donations::DonorName))
                    .col(boolean(Donations::Anonymous))
                    .col(text_null(Donations::Message))
                    .col(text_null(Donations::Note))
                    .col(string_null(Donations::Locale))
                    .col(string_null(Donations::FailureReason))
                    .col(string_null(Donations::StripeSessionId))
                    .col(string_null(Donations::StripePaymentIntent))
                    .col(string_null(Donations::StripeSubscription))
                    .col(string_null(Donations::StripeInvoice))
                    .col(timestamp_with_time_zone_null(Donations::ReceivedAt))
                    .col(timestamp_with_time_zone_null(Donations::RefundedAt))
                    .col(timestamp_with_time_zone(Donations::CreatedAt))
                    .col(timestamp_with_time_zone(Donations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Donations::Table, Donations::FundraiserId)
                            .to(Fundraisers::Table, Fundraisers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Donations::Table, Donations::SupporterId)
                            .to(Supporters::Table, Supporters::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The totals sum the succeeded donations of one fundraiser.
        manager
            .create_index(
                Index::create()
                    .name("idx_donations_fundraiser_status")
                    .table(Donations::Table)
                    .col(Donations::FundraiserId)
                    .col(Donations::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_donations_supporter")
                    .table(Donations::Table)
                    .col(Donations::SupporterId)
                    .to_owned(),
            )
            .await?;
        // One donation a Checkout session, and one a paid invoice of a monthly gift,
        // however often Stripe tells us.
        for (name, column) in [
            ("idx_donations_stripe_session", Donations::StripeSessionId),
            ("idx_donations_stripe_invoice", Donations::StripeInvoice),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Donations::Table)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        for (name, column) in [
            (
                "idx_donations_payment_intent",
                Donations::StripePaymentIntent,
            ),
            ("idx_donations_subscription", Donations::StripeSubscription),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Donations::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(StripeEvents::Table)
                    .col(string(StripeEvents::Id).primary_key())
                    .col(string(StripeEvents::Kind))
                    .col(timestamp_with_time_zone(StripeEvents::ReceivedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StripeEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Donations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Fundraisers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Fundraisers {
    Table,
    Id,
    OrganisationId,
    CampaignId,
    Slug,
    Title,
    Description,
    Language,
    GoalAmount,
    Currency,
    SuggestedAmounts,
    MinAmount,
    MaxAmount,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Donations {
    Table,
    Id,
    FundraiserId,
    SupporterId,
    ParentId,
    Method,
    Frequency,
    Amount,
    Currency,
    RefundedAmount,
    Status,
    DonorName,
    Anonymous,
    Message,
    Note,
    Locale,
    FailureReason,
    StripeSessionId,
    StripePaymentIntent,
    StripeSubscription,
    StripeInvoice,
    ReceivedAt,
    RefundedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    Id,
    Kind,
    ReceivedAt,
}
