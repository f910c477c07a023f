//! Manage links and personal feed links kept only as the SHA-256 of their token
//! (issue 15): a copy of the database no longer opens anyone's RSVP or calendar.
//!
//! Each email mints its own link, so an RSVP or a supporter has many; every one
//! works until the RSVP is erased or placed again. The links already sent keep
//! working: their tokens are hashed into the new tables here.
//!
//! `rsvps.manage_token` and `supporters.feed_token` stay, holding the row's id:
//! SQLite cannot drop a column with a UNIQUE constraint without rebuilding the table,
//! and `supporters` cannot be rebuilt under the foreign keys that point at it.
use sea_orm_migration::sea_orm::{ConnectionTrait, prelude::Uuid};
use sea_orm_migration::{prelude::*, schema::*};
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (sea-orm-migration makes one only on
    /// PostgreSQL): a crash half way through would otherwise leave the new tables
    /// made and some tokens moved, and the next start could not apply it again.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_links(manager, "rsvp_links", "rsvp_id", "rsvps").await?;
        create_links(manager, "feed_links", "supporter_id", "supporters").await?;
        let db = manager.get_connection();
        move_tokens(db, ("rsvps", "manage_token"), ("rsvp_links", "rsvp_id")).await?;
        move_tokens(
            db,
            ("supporters", "feed_token"),
            ("feed_links", "supporter_id"),
        )
        .await?;
        // Emails already sent carried links in their context; nothing reads it again.
        db.execute(
            &Query::update()
                .table(OutboxEmails::Table)
                .value(OutboxEmails::Context, "{}")
                .and_where(Expr::col(OutboxEmails::Status).eq("sent"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The tokens cannot be recovered from their hashes: the way back gives every
        // row a new token (links already sent stop working).
        let db = manager.get_connection();
        for (table, token) in [("rsvps", "manage_token"), ("supporters", "feed_token")] {
            for (row, _) in rows(db, table, token).await? {
                let fresh = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
                db.execute(
                    &Query::update()
                        .table(Alias::new(table))
                        .value(Alias::new(token), fresh)
                        .and_where(Expr::col(Alias::new("id")).eq(row))
                        .to_owned(),
                )
                .await?;
            }
        }
        for links in ["feed_links", "rsvp_links"] {
            manager
                .drop_table(Table::drop().table(Alias::new(links)).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A table of links to the rows of `parent`, by the hash of their token; they go
/// with their row.
async fn create_links(
    manager: &SchemaManager<'_>,
    links: &str,
    owner: &str,
    parent: &str,
) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Alias::new(links))
                .col(string(Alias::new("token_hash")).primary_key())
                .col(uuid(Alias::new(owner)))
                .col(timestamp_with_time_zone(Alias::new("created_at")))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new(links), Alias::new(owner))
                        .to(Alias::new(parent), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("idx_{links}_{owner}"))
                .table(Alias::new(links))
                .col(Alias::new(owner))
                .to_owned(),
        )
        .await
}

/// Each row's token into the links table as its hash; the row keeps its id instead.
async fn move_tokens(
    db: &SchemaManagerConnection<'_>,
    (table, token): (&str, &str),
    (links, owner): (&str, &str),
) -> Result<(), DbErr> {
    let now = chrono::Utc::now();
    let held = rows(db, table, token).await?;
    for chunk in held.chunks(500) {
        let mut insert = Query::insert()
            .into_table(Alias::new(links))
            .columns([
                Alias::new("token_hash"),
                Alias::new(owner),
                Alias::new("created_at"),
            ])
            .to_owned();
        let mut any = false;
        for (row, value) in chunk {
            // Erasure replaced the tokens of erased rows with ones nobody was sent.
            if value.starts_with("erased_") {
                continue;
            }
            any = true;
            insert.values_panic([
                hex::encode(Sha256::digest(value.as_bytes())).into(),
                (*row).into(),
                now.into(),
            ]);
        }
        if any {
            db.execute(&insert).await?;
        }
        for (row, _) in chunk {
            db.execute(
                &Query::update()
                    .table(Alias::new(table))
                    .value(Alias::new(token), row.to_string())
                    .and_where(Expr::col(Alias::new("id")).eq(*row))
                    .to_owned(),
            )
            .await?;
        }
    }
    Ok(())
}

/// Every row's id and token.
async fn rows(
    db: &SchemaManagerConnection<'_>,
    table: &str,
    token: &str,
) -> Result<Vec<(Uuid, String)>, DbErr> {
    let select = Query::select()
        .columns([Alias::new("id"), Alias::new(token)])
        .from(Alias::new(table))
        .to_owned();
    db.query_all(&select)
        .await?
        .into_iter()
        .map(|row| {
            Ok((
                row.try_get::<Uuid>("", "id")?,
                row.try_get::<String>("", token)?,
            ))
        })
        .collect()
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    Context,
    Status,
}
