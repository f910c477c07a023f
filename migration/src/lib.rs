//! Schema migrations, one change a file, each with its way back. The same set runs on
//! SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_organisations;
mod m20261123_000002_create_campaigns;
mod m20261123_000003_create_events;
mod m20261123_000004_create_idempotency_keys;
mod m20261123_000005_create_settings;
mod m20261123_000006_create_supporters_and_rsvps;
mod m20261123_000007_create_outbox;
mod m20261123_000008_outbox_organisation;
mod m20261123_000009_create_petitions;
mod m20261123_000010_create_fundraisers;
mod m20261206_000011_organiser_accounts;
mod m20261206_000012_rsvp_names;
mod m20261206_000013_co_host_consent;
mod m20261206_000014_signature_consent;
mod m20261206_000015_hashed_links;
mod m20261206_000016_console;
mod m20261206_000017_application_digests;
mod m20261206_000018_signature_review;
mod m20261206_000021_suppressions;
mod m20261206_000022_consents;
mod m20261206_000023_mailings;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_organisations::Migration),
            Box::new(m20261123_000002_create_campaigns::Migration),
            Box::new(m20261123_000003_create_events::Migration),
            Box::new(m20261123_000004_create_idempotency_keys::Migration),
            Box::new(m20261123_000005_create_settings::Migration),
            Box::new(m20261123_000006_create_supporters_and_rsvps::Migration),
            Box::new(m20261123_000007_create_outbox::Migration),
            Box::new(m20261123_000008_outbox_organisation::Migration),
            Box::new(m20261123_000009_create_petitions::Migration),
            Box::new(m20261123_000010_create_fundraisers::Migration),
            Box::new(m20261206_000011_organiser_accounts::Migration),
            Box::new(m20261206_000012_rsvp_names::Migration),
            Box::new(m20261206_000013_co_host_consent::Migration),
            Box::new(m20261206_000014_signature_consent::Migration),
            Box::new(m20261206_000015_hashed_links::Migration),
            Box::new(m20261206_000016_console::Migration),
            Box::new(m20261206_000017_application_digests::Migration),
            Box::new(m20261206_000018_signature_review::Migration),
            Box::new(m20261206_000021_suppressions::Migration),
            Box::new(m20261206_000022_consents::Migration),
            Box::new(m20261206_000023_mailings::Migration),
        ]
    }
}
