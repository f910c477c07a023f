//! The background jobs, run inside `serve` (unless `TURNOUT_WORKER=false`) or alone by
//! `turnout worker`: expire week-old unconfirmed signatures, forget old idempotency
//! keys, queue the reminders and the daily digests of applications that are due, and deliver the outbox. Each round does
//! all of them; any number of workers may run against one database.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::email::{
    Site,
    delivery::{Delivered, Delivery, Stop},
};

/// The pause between rounds when there is nothing to do.
const IDLE: Duration = Duration::from_millis(500);

/// How often old idempotency keys are forgotten, and week-old unconfirmed signatures
/// expired, by a running worker. Neither needs the minute, and each is a write that
/// takes SQLite's write turn from the signatures and RSVPs being taken: done every
/// round (twice a second) they would cost more than all else the worker does.
const FORGET_KEYS_EVERY: Duration = Duration::from_secs(10 * 60);
const EXPIRE_SIGNATURES_EVERY: Duration = Duration::from_secs(60);

/// How often a worker looks for the daily digests of applications due: each is
/// due once a day, at the start of its organisation's day.
const DIGESTS_EVERY: Duration = Duration::from_secs(60);

/// A job run at most once a period (and at a worker's first round).
#[derive(Clone)]
struct Every {
    period: Duration,
    last: Arc<Mutex<Option<Instant>>>,
}

impl Every {
    fn new(period: Duration) -> Self {
        Self {
            period,
            last: Arc::default(),
        }
    }

    /// Whether the job is due; if so, marked as done now.
    fn due(&self) -> bool {
        let Ok(mut last) = self.last.lock() else {
            return true;
        };
        let due = last.is_none_or(|at| at.elapsed() >= self.period);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub reminders: usize,
    /// Daily digests of applications queued.
    pub digests: usize,
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
    forget_keys: Every,
    expire_signatures: Every,
    digests: Every,
}

impl Worker {
    pub fn new(db: DatabaseConnection, site: Site, delivery: Delivery) -> Self {
        Self {
            db,
            site,
            delivery,
            forget_keys: Every::new(FORGET_KEYS_EVERY),
            expire_signatures: Every::new(EXPIRE_SIGNATURES_EVERY),
            digests: Every::new(DIGESTS_EVERY),
        }
    }

    /// One round, run by hand: every job once, whenever it last ran, and every due
    /// email sent.
    pub async fn run_once(&self) -> Result<Round, DbErr> {
        self.round(&Stop(None), true).await
    }

    /// Queue the daily digests of applications due at `now` (each round does it at
    /// the time it runs): the emails queued.
    pub async fn queue_digests(&self, now: DateTime<Utc>) -> Result<usize, DbErr> {
        crate::rsvps::notices::queue_application_digests(&self.db, &self.site, now).await
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
                match self.round(&stop, false).await {
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

    /// Each job runs whatever became of the one before, so that one failing (a row
    /// that no longer loads, say) never holds up the outbox; the first error is
    /// answered once all have run.
    #[tracing::instrument(skip_all)]
    async fn round(&self, stop: &Stop, every_job: bool) -> Result<Round, DbErr> {
        let now = Utc::now();
        let mut first_error = None;
        let mut note = |job: &str, result: Result<(), DbErr>| {
            if let Err(e) = result {
                tracing::error!(job, error = %e, "background job failed");
                first_error.get_or_insert(e);
            }
        };
        if every_job || self.expire_signatures.due() {
            let expired = crate::petitions::service::expire_unconfirmed(&self.db, now).await;
            note("expire signatures", expired.map(drop));
        }
        if every_job || self.forget_keys.due() {
            let forgotten = crate::http::guard::forget_old_keys(&self.db, now).await;
            note("forget keys", forgotten.map(drop));
        }
        let reminders = crate::rsvps::service::queue_reminders(&self.db, &self.site, now).await;
        let reminders = reminders.unwrap_or_else(|e| {
            note("queue reminders", Err(e));
            0
        });
        let mut digests = 0;
        if every_job || self.digests.due() {
            digests = self.queue_digests(now).await.unwrap_or_else(|e| {
                note("queue digests", Err(e));
                0
            });
        }
        let mailings = crate::mailings::Mailings::new(self.db.clone(), self.site.clone());
        let queued = mailings.queue_due(now).await;
        note("queue mailings", queued.map(drop));
        let delivered = self.delivery.deliver_due(stop).await;
        let finished = mailings.finish_done().await;
        note("finish mailings", finished.map(drop));
        let Delivered {
            sent,
            retrying,
            failed,
        } = delivered.unwrap_or_else(|e| {
            note("deliver", Err(e));
            Delivered::default()
        });
        match first_error {
            Some(e) => Err(e),
            None => Ok(Round {
                reminders,
                digests,
                sent,
                retrying,
                failed,
            }),
        }
    }
}
