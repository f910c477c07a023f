//! Connecting to SQLite or PostgreSQL, and applying the migrations.

pub mod checkpoint;
pub mod group;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Connect with the settings each backend needs to be safe under concurrency.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // WAL lets readers go on while one writer commits; the busy timeout makes
        // writers queue instead of failing with SQLITE_BUSY; SQLite only enforces
        // foreign keys when asked. FULL syncs the WAL at each commit: with NORMAL,
        // a commit we had already answered (a signature, a seat, a gift) could roll
        // back on power loss. Signatures and RSVPs commit in groups, so one sync
        // serves many of them.
        options.max_connections(8).map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        options.max_connections(20);
    }
    Database::connect(options).await
}

/// Write transactions of this process on SQLite, one at a time.
///
/// SQLite has one writer; others wait in its busy handler, which polls with sleeps
/// of up to 100 ms, so a crowd of writers spends most of its time asleep while the
/// lock is free. Queueing them here first hands the lock over at once, in order of
/// arrival. PostgreSQL needs no such queue: its row locks wake waiters directly.
static SQLITE_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A write transaction, queued behind this process' other writers on SQLite.
pub struct WriteTransaction {
    pub txn: sea_orm::DatabaseTransaction,
    // Released after the transaction ends (fields drop in order).
    _turn: Option<tokio::sync::MutexGuard<'static, ()>>,
}

impl WriteTransaction {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

/// Wait for this process' turn to write (on SQLite; at once elsewhere). Hold the
/// guard until the write is committed.
pub async fn write_turn(db: &DatabaseConnection) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    match sea_orm::ConnectionTrait::get_database_backend(db) {
        sea_orm::DatabaseBackend::Sqlite => Some(SQLITE_WRITER.lock().await),
        _ => None,
    }
}

/// Begin a transaction that will write.
///
/// On SQLite it begins `IMMEDIATE`, taking the write lock first: a transaction that
/// reads before it writes would otherwise fail with `SQLITE_BUSY` when another
/// process wrote since its read, rather than wait its turn.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let turn = write_turn(db).await;
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(WriteTransaction {
        txn: db.begin_with_options(options).await?,
        _turn: turn,
    })
}

/// Apply every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether every known migration has been applied (for `/readyz`).
pub async fn migrations_applied(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}

/// The first free slug among `base`, `base-2`, `base-3`… in a table whose slugs are
/// unique. A concurrent insert can still take it first; the unique index then refuses
/// the second, and callers retry.
pub async fn free_slug<E>(
    db: &impl sea_orm::ConnectionTrait,
    column: E::Column,
    base: &crate::domain::Slug,
) -> Result<crate::domain::Slug, DbErr>
where
    E: sea_orm::EntityTrait,
{
    use sea_orm::{ColumnTrait, Condition, QueryFilter, QuerySelect};
    let taken: std::collections::HashSet<String> = E::find()
        .select_only()
        .column(column)
        .filter(
            Condition::any()
                .add(column.eq(base.as_ref()))
                .add(column.like(format!("{base}-%"))),
        )
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok((1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                base.numbered(n)
            }
        })
        .find(|candidate| !taken.contains(candidate.as_ref()))
        .unwrap_or_else(|| base.clone()))
}

/// A row by its id, or by its slug when `id_or_slug` is not a UUID: public paths
/// accept either.
pub async fn find_by_id_or_slug<E>(
    db: &impl sea_orm::ConnectionTrait,
    slug: E::Column,
    id_or_slug: &str,
) -> Result<Option<E::Model>, DbErr>
where
    E: sea_orm::EntityTrait,
    uuid::Uuid: Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
{
    use sea_orm::{ColumnTrait, QueryFilter};
    match uuid::Uuid::parse_str(id_or_slug) {
        Ok(id) => E::find_by_id(id).one(db).await,
        Err(_) => E::find().filter(slug.eq(id_or_slug)).one(db).await,
    }
}

/// Rows written by one insert (or ids matched by one `IN`): well under every
/// backend's limit on bound values (SQLite 32,766, PostgreSQL 65,535), which one
/// statement for a large event's attendees would pass.
pub const CHUNK: usize = 200;

/// Insert `rows` in statements of at most [`CHUNK`] rows.
pub async fn insert_in_chunks<A>(
    conn: &impl sea_orm::ConnectionTrait,
    rows: impl IntoIterator<Item = A>,
) -> Result<(), DbErr>
where
    A: sea_orm::ActiveModelTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        <A::Entity as sea_orm::EntityTrait>::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Whether an error is the refusal of a unique index.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// The settings key whose value changes whenever published content changes.
pub const CONTENT_VERSION: &str = "content_version";

/// For an insert: a row already held under the same key stays as it is, and the new
/// one is dropped (the insert then reports fewer rows).
pub fn keep_existing<C: sea_orm::sea_query::IntoIden>(
    key: impl IntoIterator<Item = C>,
) -> sea_orm::sea_query::OnConflict {
    sea_orm::sea_query::OnConflict::columns(key)
        .do_nothing()
        .to_owned()
}

/// Record that published content changed, so every server's cached feeds are
/// rebuilt. Call it after the change is committed: a reader that sees the new
/// version then also sees the new content.
pub async fn content_changed(db: &impl sea_orm::ConnectionTrait) -> Result<(), DbErr> {
    use sea_orm::{EntityTrait, sea_query::OnConflict};
    let row = entity::setting::ActiveModel {
        key: sea_orm::ActiveValue::Set(CONTENT_VERSION.into()),
        value: sea_orm::ActiveValue::Set(uuid::Uuid::now_v7().to_string()),
    };
    entity::setting::Entity::insert(row)
        .on_conflict(
            OnConflict::column(entity::setting::Column::Key)
                .update_column(entity::setting::Column::Value)
                .to_owned(),
        )
        .exec(db)
        .await?;
    LOCAL_CHANGES.fetch_add(1, std::sync::atomic::Ordering::Release);
    Ok(())
}

/// Changes of content made by this process: a reader that keeps the content version
/// for a moment (the feeds) reads it again as soon as this process changed anything.
pub static LOCAL_CHANGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The current content version (empty before the first change).
pub async fn content_version(db: &impl sea_orm::ConnectionTrait) -> Result<String, DbErr> {
    use sea_orm::EntityTrait;
    Ok(
        entity::setting::Entity::find_by_id(CONTENT_VERSION.to_owned())
            .one(db)
            .await?
            .map(|r| r.value)
            .unwrap_or_default(),
    )
}

/// The number a query of one row and one column reads, for tests.
#[cfg(test)]
async fn read_number(db: &DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

#[cfg(test)]
mod sync_tests {
    use super::*;

    async fn synchronous(db: &DatabaseConnection) -> i64 {
        read_number(db, "PRAGMA synchronous").await
    }

    #[tokio::test]
    async fn every_sqlite_connection_syncs_each_commit_it_answers_for() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        let db = connect(&url).await.unwrap();
        let writer = checkpoint::writer_connection(&db);

        // 2 is FULL: an answered commit survives a power cut, not only a crash.
        assert_eq!(synchronous(&db).await, 2);
        assert_eq!(synchronous(&writer).await, 2);
    }
}
