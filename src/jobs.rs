//! The background jobs, run inside `serve` (unless `TURNOUT_WORKER=false`) or alone by
//! `turnout worker`: expire week-old unconfirmed signatures, forget old idempotency
//! keys, queue the reminders that are due, and deliver the outbox. Each round does
//! all of them; any number of workers may run against one database.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};

use crate::email::{
    Site,
    delivery::{Delivered, Delivery, Stop},
};

/// The pause between rounds when there is nothing to do.
const IDLE: Duration = Duration::from_millis(500);

/// How often old idempotency keys are forgotten. Keys live a day, so the minute does
/// not matter; a delete every round (twice a second) would scan the table and take
/// SQLite's write lock from the signatures and RSVPs being written.
const FORGET_KEYS_EVERY: Duration = Duration::from_secs(10 * 60);

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub reminders: usize,
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The worker: one per process that runs the background jobs.
#[derive(Clone)]
pub struct Worker {
    db: DatabaseConnection,
    site: Site,
    delivery: Delivery,
    /// When this worker last forgot old idempotency keys (see [`FORGET_KEYS_EVERY`]).
    keys_forgotten_at: Arc<Mutex<Option<Instant>>>,
}

impl Worker {
    pub fn new(db: DatabaseConnection, site: Site, delivery: Delivery) -> Self {
        Self {
            db,
            site,
            delivery,
            keys_forgotten_at: Arc::default(),
        }
    }

    /// One round, run by hand: every job once, every due email sent.
    pub async fn run_once(&self) -> Result<Round, DbErr> {
        self.round(&Stop(None)).await
    }

    /// Run rounds until `stop` completes (see [`Delivery::deliver_due`] for what
    /// happens to sends in flight).
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        let (tell, told) = tokio::sync::watch::channel(false);
        let stop_told = async move {
            stop.await;
            let _ = tell.send(true);
        };
        let stop = Stop(Some(told));
        let work = async {
            loop {
                match self.round(&stop).await {
                    Ok(round) if round != Round::default() => {
                        tracing::info!(?round, "worker round");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "worker round failed"),
                }
                tokio::select! {
                    () = stop.wait() => break,
                    () = tokio::time::sleep(IDLE) => {}
                }
            }
        };
        tokio::join!(stop_told, work);
        tracing::info!("worker stopped");
    }

    #[tracing::instrument(skip_all)]
    async fn round(&self, stop: &Stop) -> Result<Round, DbErr> {
        let now = Utc::now();
        crate::petitions::service::expire_unconfirmed(&self.db, now).await?;
        if self.keys_due() {
            crate::http::guard::forget_old_keys(&self.db, now).await?;
        }
        let reminders = crate::rsvps::service::queue_reminders(&self.db, &self.site, now).await?;
        let Delivered {
            sent,
            retrying,
            failed,
        } = self.delivery.deliver_due(stop).await?;
        Ok(Round {
            reminders,
            sent,
            retrying,
            failed,
        })
    }

    /// Whether old idempotency keys are due to be forgotten; if so, marked as done.
    fn keys_due(&self) -> bool {
        let Ok(mut last) = self.keys_forgotten_at.lock() else {
            return false;
        };
        let due = last.is_none_or(|at| at.elapsed() >= FORGET_KEYS_EVERY);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}
