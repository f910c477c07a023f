//! Group commit: many small writes of one kind, from many requests, written together
//! in one transaction.
//!
//! A signature on its own costs a transaction: a `BEGIN`, its statements, a `COMMIT`,
//! each a round trip to the database, and on SQLite every writer takes turns. A
//! viral petition sends thousands a second. Here requests queue their jobs; a writer
//! takes every job waiting (up to [`MOST`]), writes them with a few statements for
//! the whole group, commits once, and only then answers each request. A request is
//! answered after its job is committed, so no accepted signature can be lost.
//!
//! On SQLite one writer suffices (it has one write lock anyway): it keeps a
//! connection of its own and leaves checkpoints to another
//! ([`super::checkpoint`]). PostgreSQL writes in several lanes at once, each on its
//! own connection.

use std::sync::Arc;

use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::checkpoint::{self, Checkpointer};

/// The most jobs written in one transaction: enough to make the transaction's cost
/// vanish per job, few enough that one group's statements stay well under the
/// backends' limits on bound values.
pub const MOST: usize = 256;
/// Jobs waiting for a writer before requests wait to queue theirs.
const QUEUE: usize = 4 * MOST;
/// Writers on PostgreSQL. Its row and index locks let lanes write side by side.
const PG_LANES: usize = 4;

/// One kind of write done in groups.
pub trait Batch: Send + Sync + 'static {
    type Job: Clone + Send + 'static;
    type Answer: Send + 'static;

    /// Write `jobs` in one transaction, committed before this returns; one answer
    /// per job, in order. An error means nothing of the group was written.
    fn write(
        &self,
        db: &DatabaseConnection,
        jobs: &[Self::Job],
    ) -> impl Future<Output = Result<Vec<Self::Answer>, DbErr>> + Send;

    /// The answer for a job that could not be written.
    fn failed(&self, error: DbErr) -> Self::Answer;
}

type Queued<B> = (<B as Batch>::Job, oneshot::Sender<<B as Batch>::Answer>);

/// Where requests hand in jobs of one kind.
pub struct GroupWriter<B: Batch> {
    queue: mpsc::Sender<Queued<B>>,
}

impl<B: Batch> Clone for GroupWriter<B> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

/// The writers stopped (the runtime is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the group writer has stopped")]
pub struct Stopped;

impl<B: Batch> GroupWriter<B> {
    /// Start the writers; they stop when the last `GroupWriter` is dropped.
    pub fn start(db: DatabaseConnection, batch: B) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let jobs = Arc::new(Mutex::new(jobs));
        let batch = Arc::new(batch);
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let writer = checkpoint::writer_connection(&db);
                let checkpoints = Checkpointer::new(db);
                tokio::spawn(lane(writer, batch, jobs, Some(checkpoints)));
            }
            _ => {
                for _ in 0..PG_LANES {
                    tokio::spawn(lane(db.clone(), batch.clone(), jobs.clone(), None));
                }
            }
        }
        Self { queue }
    }

    /// Write `job` with whatever else is waiting; its answer once committed.
    pub async fn write(&self, job: B::Job) -> Result<B::Answer, Stopped> {
        let (answer, answered) = oneshot::channel();
        self.queue.send((job, answer)).await.map_err(|_| Stopped)?;
        answered.await.map_err(|_| Stopped)
    }
}

/// One writer: take every job waiting, write them, answer them, again. On SQLite
/// it writes on its own connection and has its checkpoints taken beside it.
async fn lane<B: Batch>(
    db: DatabaseConnection,
    batch: Arc<B>,
    jobs: Arc<Mutex<mpsc::Receiver<Queued<B>>>>,
    mut checkpoints: Option<Checkpointer>,
) {
    loop {
        let group = {
            let mut jobs = jobs.lock().await;
            let Some(first) = jobs.recv().await else {
                return;
            };
            let mut group = vec![first];
            while group.len() < MOST {
                match jobs.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            group
        };
        let (work, answers): (Vec<B::Job>, Vec<_>) = group.into_iter().unzip();
        let written = batch.write(&db, &work).await;
        if let Some(checkpoints) = &mut checkpoints {
            checkpoints.committed(&db).await;
        }
        match written {
            Ok(results) => {
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            }
            // One bad job, or a deadlock between lanes on PostgreSQL, must not fail
            // the others: write each alone.
            Err(e) if work.len() > 1 => {
                tracing::warn!(error = %e, jobs = work.len(), "group write failed; writing its jobs one by one");
                for (job, answer) in work.into_iter().zip(answers) {
                    let result = match batch.write(&db, std::slice::from_ref(&job)).await {
                        Ok(mut results) => results.pop(),
                        Err(e) => Some(batch.failed(e)),
                    };
                    if let Some(result) = result {
                        let _ = answer.send(result);
                    }
                }
            }
            Err(e) => {
                if let Some(answer) = answers.into_iter().next() {
                    let _ = answer.send(batch.failed(e));
                }
            }
        }
    }
}
