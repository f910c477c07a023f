//! SQLite's checkpoints, taken off the path of a busy writer.
//!
//! In WAL mode a commit appends pages to the `-wal` file, and by default the commit
//! that takes it past 1,000 pages also copies them all back into the database file
//! and syncs it, a pause of milliseconds in the middle of someone's request. Under a
//! stream of grouped signatures that pause came every few groups and cost a fifth of
//! the throughput and most of the p95 latency.
//!
//! So the group writer's own connection never checkpoints by itself. A
//! [`Checkpointer`] copies pages back with passive checkpoints on another connection
//! beside it while it goes on writing. Those can never quite finish while the writer
//! appends, and SQLite only starts the `-wal` file over once every page in it is
//! back, so when the file passes [`LONG`] the writer itself finishes the copy between
//! two groups (little is left by then) and the file starts over, cut back to that
//! size. That last step waits for readers still on older pages; ours read for
//! milliseconds. The pool's other connections keep SQLite's default.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

/// How often a busy writer has its pages copied back beside it.
const EVERY: Duration = Duration::from_millis(50);
/// The size of `-wal` file past which the writer finishes the copy itself so that
/// the file starts over, and to which SQLite cuts it back when it does. Each time
/// holds up one group for a sync of the database; at 10,000 signatures a second
/// that is about once a second with 128 MiB (p99 26 ms), three times with 32 MiB
/// (p99 38 ms).
const LONG: u64 = 128 << 20;

/// A pool of one connection to the same SQLite database, with the same settings,
/// that never checkpoints by itself. One connection, rather than turns on the pool:
/// SQLite drops a connection's page cache whenever another connection wrote.
pub fn writer_connection(db: &DatabaseConnection) -> DatabaseConnection {
    let shared = db.get_sqlite_connection_pool();
    let options = (*shared.connect_options())
        .clone()
        .pragma("wal_autocheckpoint", "0")
        .pragma("journal_size_limit", LONG.to_string());
    let pool = sea_orm::sqlx::pool::PoolOptions::new()
        .max_connections(1)
        // Only its one writer uses it, and hands it back whole.
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(30))
        .connect_lazy_with(options);
    sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
}

/// Checkpoints for one writer.
pub struct Checkpointer {
    /// The shared pool, for the checkpoints taken beside the writer.
    db: DatabaseConnection,
    /// The `-wal` file.
    wal: PathBuf,
    /// Held while a checkpoint runs: SQLite refuses a second one at once, without
    /// waiting.
    running: Arc<tokio::sync::Mutex<()>>,
    last: Instant,
}

impl Checkpointer {
    pub fn new(db: DatabaseConnection) -> Self {
        let mut wal = db
            .get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .as_os_str()
            .to_owned();
        wal.push("-wal");
        Self {
            db,
            wal: wal.into(),
            running: Arc::default(),
            last: Instant::now(),
        }
    }

    /// The writer committed on `writer`. Start a checkpoint beside it if one is due,
    /// or, when the `-wal` file has grown past [`LONG`], finish one here.
    pub async fn committed(&mut self, writer: &DatabaseConnection) {
        if std::fs::metadata(&self.wal).is_ok_and(|wal| wal.len() > LONG) {
            // RESTART waits for readers of older pages, so that the next commit
            // writes from the start of the file again (and cuts it back to LONG).
            let _turn = self.running.lock().await;
            if let Err(e) = checkpoint(writer, "RESTART").await {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
            return;
        }
        if self.last.elapsed() < EVERY {
            return;
        }
        self.last = Instant::now();
        let Ok(turn) = self.running.clone().try_lock_owned() else {
            return;
        };
        let db = self.db.clone();
        tokio::spawn(async move {
            // PASSIVE copies what it can without waiting for readers or the writer.
            if let Err(e) = checkpoint(&db, "PASSIVE").await {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
            drop(turn);
        });
    }
}

async fn checkpoint(db: &DatabaseConnection, mode: &str) -> Result<(), DbErr> {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        format!("PRAGMA wal_checkpoint({mode})"),
    ))
    .await
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `-wal` file's size, or 0 when there is none.
    fn wal_bytes(dir: &std::path::Path) -> u64 {
        std::fs::metadata(dir.join("t.db-wal")).map_or(0, |m| m.len())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_busy_writer_keeps_its_wal_file_bounded_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = crate::db::connect(&url).await.unwrap();
        db.execute_unprepared("CREATE TABLE pages (n INTEGER NOT NULL, body BLOB NOT NULL)")
            .await
            .unwrap();
        let writer = writer_connection(&db);
        let mut checkpoints = Checkpointer::new(db.clone());
        // Three times what the file may hold, in commits of 4 MiB, each replacing
        // the last so that the database itself stays small.
        const COMMIT: u64 = 4 << 20;
        let commits = 3 * LONG / COMMIT;
        let mut largest = 0;
        for n in 0..commits {
            writer
                .execute_unprepared(&format!(
                    "DELETE FROM pages; INSERT INTO pages VALUES ({n}, zeroblob({COMMIT}))"
                ))
                .await
                .unwrap();
            checkpoints.committed(&writer).await;
            largest = largest.max(wal_bytes(dir.path()));
        }
        // One commit may take it past LONG before the next cuts it back.
        let limit = LONG + 2 * COMMIT;
        assert!(
            largest > 4 * COMMIT,
            "the writer wrote through its WAL file ({largest} bytes)"
        );
        assert!(
            largest < limit,
            "the WAL file reached {largest} bytes, over {limit}"
        );
        // Another connection reads the last commit.
        let last = crate::db::read_number(&db, "SELECT n FROM pages").await;
        assert_eq!(u64::try_from(last).unwrap(), commits - 1);
    }
}
