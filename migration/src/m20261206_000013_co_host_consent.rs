//! A co-host consents before an event is shown or fed under its name: each host row
//! gets the instant its organisation accepted, null while it is only invited.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EventHosts::Table)
                    .add_column(timestamp_with_time_zone_null(EventHosts::AcceptedAt))
                    .to_owned(),
            )
            .await?;
        // Rows written before consent existed were never agreed to, so they start as
        // invitations. The one exception is a co-host named by someone who organises
        // both organisations: naming it was consent, as it is for a new event.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE event_hosts SET accepted_at = CURRENT_TIMESTAMP \
                 WHERE EXISTS (\
                   SELECT 1 FROM events e \
                   JOIN memberships owner_side ON owner_side.organisation_id = e.organisation_id \
                   JOIN memberships host_side ON host_side.organiser_id = owner_side.organiser_id \
                   WHERE e.id = event_hosts.event_id \
                     AND host_side.organisation_id = event_hosts.organisation_id \
                     AND owner_side.role IN ('owner', 'organiser') \
                     AND host_side.role IN ('owner', 'organiser'))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EventHosts::Table)
                    .drop_column(EventHosts::AcceptedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum EventHosts {
    Table,
    AcceptedAt,
}
