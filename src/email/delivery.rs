//! Delivering the outbox.
//!
//! Delivery claims due rows with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, one
//! `UPDATE … RETURNING` on SQLite, whose writers take turns), so workers in several
//! processes never hold the same email. A failure is retried with exponential
//! backoff and jitter until the last attempt, then the email is marked failed.

use std::{collections::HashMap, num::NonZeroU32, sync::Arc, time::Duration};

use chrono::Utc;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Statement,
    sea_query::{Expr, ExprTrait},
};

use super::suppression;
use super::{
    message::{self, ListHeaders},
    outbox::Status,
    render::{Renderer, Template},
    transport::{SendError, Transport},
};
use crate::config::RetryPolicy;
use crate::domain::Locale;
use crate::mailings::Letter;
use entity::outbox_email;
use entity::values::SuppressionReason as Reason;
use uuid::Uuid;

/// Emails claimed at once.
const BATCH: i64 = 64;
/// Emails in flight at once: as many as the SMTP pool keeps connections, so none
/// waits for a connection while an idle one holds a place at the server.
const CONCURRENCY: usize = super::transport::POOL_SIZE as usize;
/// How long sends in flight may go on once the worker is told to stop: less than the
/// ten seconds a process manager usually allows between SIGTERM and SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Whether the worker was told to stop (never, for a round run by hand).
pub struct Stop(pub Option<tokio::sync::watch::Receiver<bool>>);

impl Stop {
    pub fn is_set(&self) -> bool {
        self.0.as_ref().is_some_and(|told| *told.borrow())
    }

    /// Complete once told to stop.
    pub async fn wait(&self) {
        match &self.0 {
            Some(told) => {
                let mut told = told.clone();
                if told.wait_for(|stop| *stop).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }
}

/// What happened to one claimed email.
struct Outcome {
    id: uuid::Uuid,
    attempts: i32,
    recipient: String,
    result: Result<(), Failure>,
}

/// Why a claimed email was not sent.
enum Failure {
    /// The transport failed: for good when the server answered 5xx, which also
    /// suppresses the address.
    Send(SendError),
    /// The row cannot be made into a message (a template gone): for good.
    Unrenderable(String),
    /// The address is suppressed: not sent, for good.
    Suppressed(Reason),
}

impl Failure {
    fn permanent(&self) -> bool {
        match self {
            Self::Send(e) => e.permanent,
            Self::Unrenderable(_) | Self::Suppressed(_) => true,
        }
    }

    /// What is kept on the email, for whoever retries it.
    fn message(&self) -> String {
        match self {
            Self::Send(e) => e.message.clone(),
            Self::Unrenderable(why) => why.clone(),
            Self::Suppressed(reason) => format!("not sent: the address is suppressed ({reason})"),
        }
    }
}

/// An SMTP server's error with the recipient's address taken out ("550 5.1.1
/// <ana@example.org>: no such user"): it is logged and kept on the email, and the
/// address must go with the supporter when they are erased.
fn without_address(message: &str, recipient: &str) -> String {
    if recipient.is_empty() {
        return message.to_owned();
    }
    // ASCII folding keeps every byte where it was, so positions found in the
    // folded text cut the message itself at the same places.
    let lower = message.to_ascii_lowercase();
    let needle = recipient.to_ascii_lowercase();
    let mut out = String::with_capacity(message.len());
    let mut rest = 0;
    for (at, _) in lower.match_indices(&needle) {
        out.push_str(message.get(rest..at).unwrap_or_default());
        out.push_str("(the recipient)");
        rest = at + needle.len();
    }
    out.push_str(message.get(rest..).unwrap_or_default());
    out
}

/// What one pass over the due emails did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl Delivered {
    fn add(&mut self, other: Self) {
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.failed += other.failed;
    }
}

/// Sends the outbox: one per process that runs the background jobs.
#[derive(Clone)]
pub struct Delivery {
    db: DatabaseConnection,
    transport: Transport,
    renderer: Arc<Renderer>,
    from: Mailbox,
    policy: RetryPolicy,
    /// At most this many emails a second leave this worker, when set.
    throttle: Option<Throttle>,
    /// The letters of the mailings being sent, read once each.
    letters: Arc<std::sync::Mutex<HashMap<Uuid, Arc<Letter>>>>,
}

/// Sends spaced evenly at a rate: each send waits for the next tick. A mail
/// provider's limit is a rate (SES starts at 14 a second), and a steady stream
/// stays under it where bursts would not. Ten lines of tokio's `Interval` rather
/// than a rate-limiting crate: there is one limit, shared by the worker's sends.
#[derive(Clone)]
struct Throttle(Arc<tokio::sync::Mutex<tokio::time::Interval>>);

impl Throttle {
    fn per_second(rate: NonZeroU32) -> Self {
        let mut interval = tokio::time::interval(Duration::from_secs(1) / rate.get());
        // After a pause, carry on at the rate rather than catching up at once.
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self(Arc::new(tokio::sync::Mutex::new(interval)))
    }

    async fn wait(&self) {
        self.0.lock().await.tick().await;
    }
}

/// Letters kept at most: a worker sends a few mailings at a time, not hundreds.
const LETTERS_KEPT: usize = 32;

impl Delivery {
    pub fn new(
        db: DatabaseConnection,
        transport: Transport,
        renderer: Arc<Renderer>,
        from: Mailbox,
        policy: RetryPolicy,
        rate: Option<NonZeroU32>,
    ) -> Self {
        Self {
            db,
            transport,
            renderer,
            from,
            policy,
            throttle: rate.map(Throttle::per_second),
            letters: Arc::default(),
        }
    }

    /// Deliver every email due now, batch after batch, until none is left or `stop`
    /// is set. Sends in flight then get a few seconds to finish; whatever was
    /// claimed and not finished goes back to the queue at once, so another worker
    /// need not wait for the lease to lapse.
    pub async fn deliver_due(&self, stop: &Stop) -> Result<Delivered, DbErr> {
        let mut round = Delivered::default();
        while !stop.is_set() {
            let mut claimed = self.claim().await?;
            // Ids are UUIDv7: their order is the order emails were queued in.
            claimed.sort_by_key(|row| row.id);
            if claimed.is_empty() {
                break;
            }
            let ids: Vec<uuid::Uuid> = claimed.iter().map(|row| row.id).collect();
            self.read_letters(claimed.iter().filter_map(|row| row.mailing_id))
                .await?;
            let suppressed =
                suppression::among(&self.db, claimed.iter().map(|row| row.recipient.clone()))
                    .await?;
            // One recipient's emails go one after another, in the order they were
            // queued ("you're on the waitlist" before "a place opened up"); different
            // recipients' go side by side.
            let mut by_recipient: Vec<Vec<outbox_email::Model>> = Vec::new();
            for row in claimed {
                match by_recipient
                    .iter_mut()
                    .find(|g| g[0].recipient == row.recipient)
                {
                    Some(group) => group.push(row),
                    None => by_recipient.push(vec![row]),
                }
            }
            // Outcomes are kept as they come, so that sends abandoned at a stop leave
            // the finished ones recorded.
            let finished = std::sync::Mutex::new(Vec::with_capacity(ids.len()));
            // Set when the SMTP server cannot be reached: the sends under way count as
            // failed attempts, but the rest of the batch is not tried and goes back to
            // the queue with no attempt counted, and the round ends: an outage costs
            // a few emails one attempt each rather than every email in the queue its
            // attempts, one batch after another.
            let down = std::sync::atomic::AtomicBool::new(false);
            let is_down = || down.load(std::sync::atomic::Ordering::Relaxed);
            let delivering = futures_util::stream::iter(by_recipient)
                .map(|group| async {
                    for row in group {
                        if stop.is_set() || is_down() {
                            break;
                        }
                        let outcome = match suppressed.get(&row.recipient.to_lowercase()) {
                            Some(reason) => Outcome {
                                id: row.id,
                                attempts: row.attempts,
                                recipient: row.recipient,
                                result: Err(Failure::Suppressed(*reason)),
                            },
                            None => {
                                if let Some(throttle) = &self.throttle {
                                    throttle.wait().await;
                                }
                                self.deliver(row).await
                            }
                        };
                        if let Err(Failure::Send(e)) = &outcome.result
                            && e.unreachable
                            && !down.swap(true, std::sync::atomic::Ordering::Relaxed)
                        {
                            tracing::warn!(error = %e.message, "SMTP server unreachable: sending paused until the next round");
                        }
                        finished
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(outcome);
                    }
                })
                .buffer_unordered(CONCURRENCY)
                .collect::<()>();
            tokio::select! {
                () = delivering => {}
                () = async {
                    stop.wait().await;
                    tokio::time::sleep(STOP_GRACE).await;
                } => tracing::warn!("stopping: sends still in flight abandoned"),
            }
            let outcomes = finished.into_inner().unwrap_or_else(|e| e.into_inner());
            let unfinished = ids
                .into_iter()
                .filter(|id| !outcomes.iter().any(|o| o.id == *id))
                .collect();
            round.add(self.record(outcomes, unfinished).await?);
            if is_down() {
                break;
            }
        }
        Ok(round)
    }

    /// Take up to a batch of due emails for this worker, those an action caused
    /// before a mailing's, each kind oldest first. Emails whose claim lapsed (a
    /// worker that died) go back to the queue first. The order is the claim index's
    /// own, so a claim reads a batch, not the 100,000 rows of a mailing waiting.
    async fn claim(&self) -> Result<Vec<outbox_email::Model>, DbErr> {
        let now = Utc::now();
        let lease_until = now
            + chrono::Duration::from_std(self.policy.lease).unwrap_or(chrono::Duration::minutes(2));
        let backend = self.db.get_database_backend();
        let (placeholders, lock) = match backend {
            DatabaseBackend::Postgres => (["$1", "$2", "$3"], "FOR UPDATE SKIP LOCKED"),
            _ => (["?", "?", "?"], ""),
        };
        let [lease, due, limit] = placeholders;
        let _turn = crate::db::write_turn(&self.db).await;
        outbox_email::Entity::update_many()
            .col_expr(outbox_email::Column::Status, Expr::value(Status::Pending))
            .col_expr(
                outbox_email::Column::LockedUntil,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            )
            .filter(outbox_email::Column::Status.eq(Status::Sending))
            .filter(outbox_email::Column::LockedUntil.lt(now))
            .exec(&self.db)
            .await?;
        let sql = format!(
            "UPDATE outbox_emails \
             SET status = 'sending', locked_until = {lease}, attempts = attempts + 1 \
             WHERE id IN (\
               SELECT id FROM outbox_emails \
               WHERE status = 'pending' AND next_attempt_at <= {due} \
               ORDER BY priority, next_attempt_at, id LIMIT {limit} {lock}) \
             RETURNING *"
        );
        let statement = Statement::from_sql_and_values(
            backend,
            sql,
            [lease_until.into(), now.into(), BATCH.into()],
        );
        outbox_email::Entity::find()
            .from_raw_sql(statement)
            .all(&self.db)
            .await
    }

    /// Read the letters of these mailings that are not kept yet.
    async fn read_letters(&self, mailings: impl Iterator<Item = Uuid>) -> Result<(), DbErr> {
        let mut missing: Vec<Uuid> = {
            let kept = self.letters.lock().unwrap_or_else(|e| e.into_inner());
            mailings.filter(|id| !kept.contains_key(id)).collect()
        };
        missing.sort_unstable();
        missing.dedup();
        for id in missing {
            let letter = Letter::load(&self.db, id).await?.unwrap_or_default();
            let mut kept = self.letters.lock().unwrap_or_else(|e| e.into_inner());
            if kept.len() >= LETTERS_KEPT {
                kept.clear();
            }
            kept.insert(id, Arc::new(letter));
        }
        Ok(())
    }

    /// Send one claimed email.
    #[tracing::instrument(skip_all, fields(email_id = %row.id, template = %row.template))]
    async fn deliver(&self, row: outbox_email::Model) -> Outcome {
        let result = match self.message(&row) {
            Ok(message) => self.transport.send(message).await.map_err(|e| {
                Failure::Send(SendError {
                    message: without_address(&e.message, &row.recipient),
                    ..e
                })
            }),
            Err(e) => Err(Failure::Unrenderable(without_address(&e, &row.recipient))),
        };
        Outcome {
            id: row.id,
            attempts: row.attempts,
            recipient: row.recipient,
            result,
        }
    }

    /// Record what happened to a batch, in one transaction: the sent ones in one
    /// statement, the few failures one by one, and the claims not acted on (at a
    /// stop) back to the queue, their attempt not counted.
    async fn record(
        &self,
        outcomes: Vec<Outcome>,
        unfinished: Vec<uuid::Uuid>,
    ) -> Result<Delivered, DbErr> {
        let mut round = Delivered::default();
        let now = Utc::now();
        let txn = crate::db::begin_write(&self.db).await?;
        let claimed = || {
            outbox_email::Entity::update_many()
                .filter(outbox_email::Column::Status.eq(Status::Sending))
                .col_expr(
                    outbox_email::Column::LockedUntil,
                    Expr::value(Option::<chrono::DateTime<Utc>>::None),
                )
        };
        let (sent, failed): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(|o| o.result.is_ok());
        if !sent.is_empty() {
            round.sent = sent.len();
            claimed()
                .filter(outbox_email::Column::Id.is_in(sent.iter().map(|o| o.id)))
                .col_expr(outbox_email::Column::Status, Expr::value(Status::Sent))
                .col_expr(outbox_email::Column::SentAt, Expr::value(Some(now)))
                .col_expr(
                    outbox_email::Column::LastError,
                    Expr::value(Option::<String>::None),
                )
                // What it was rendered from (links that open an RSVP or a feed,
                // names) is not kept once sent: the email is the record.
                .col_expr(outbox_email::Column::Context, Expr::value("{}"))
                .exec(&txn.txn)
                .await?;
        }
        for outcome in failed {
            let Err(e) = outcome.result else { continue };
            let update = claimed().filter(outbox_email::Column::Id.eq(outcome.id));
            if let Failure::Send(SendError {
                permanent: true,
                message,
                ..
            }) = &e
            {
                // Our own server refused it for good: as a permanent bounce.
                suppression::suppress(&txn.txn, &outcome.recipient, Reason::Rejected, message, now)
                    .await?;
            }
            let update = if e.permanent() || outcome.attempts >= self.policy.max_attempts {
                tracing::warn!(email_id = %outcome.id, error = %e.message(), attempts = outcome.attempts, "email failed");
                round.failed += 1;
                update.col_expr(outbox_email::Column::Status, Expr::value(Status::Failed))
            } else {
                tracing::info!(email_id = %outcome.id, error = %e.message(), attempts = outcome.attempts, "email will be retried");
                round.retrying += 1;
                let next = now
                    + chrono::Duration::from_std(self.policy.delay(outcome.attempts))
                        .unwrap_or(chrono::Duration::hours(1));
                update
                    .col_expr(outbox_email::Column::Status, Expr::value(Status::Pending))
                    .col_expr(outbox_email::Column::NextAttemptAt, Expr::value(next))
            };
            update
                .col_expr(
                    outbox_email::Column::LastError,
                    Expr::value(Some(e.message())),
                )
                .exec(&txn.txn)
                .await?;
        }
        if !unfinished.is_empty() {
            tracing::info!(
                count = unfinished.len(),
                "stopping: claimed emails released"
            );
            claimed()
                .filter(outbox_email::Column::Id.is_in(unfinished))
                .col_expr(outbox_email::Column::Status, Expr::value(Status::Pending))
                .col_expr(
                    outbox_email::Column::Attempts,
                    Expr::col(outbox_email::Column::Attempts).sub(1),
                )
                .exec(&txn.txn)
                .await?;
        }
        txn.commit().await?;
        Ok(round)
    }

    /// Render a row into its message; an error here is for good.
    fn message(&self, row: &outbox_email::Model) -> Result<lettre::Message, String> {
        let template = Template::from_name(&row.template)
            .ok_or_else(|| format!("no template named {:?}", row.template))?;
        let locale = row.locale;
        let mut context: serde_json::Value =
            serde_json::from_str(&row.context).map_err(|e| e.to_string())?;
        if let Some(mailing) = row.mailing_id {
            context = self.letter_of(mailing, locale)?;
        }
        let list = self.list_headers(template, &context);
        if let Some(fields) = context.as_object_mut() {
            fields.insert("recipient_name".into(), row.recipient_name.clone().into());
            if let Some(url) = &row.unsubscribe_url {
                fields.insert("unsubscribe_url".into(), url.clone().into());
            }
        }
        let rendered = self
            .renderer
            .render(template, locale, &context)
            .map_err(|e| e.to_string())?;
        message::build(row, rendered, &self.from, &list).map_err(|e| e.to_string())
    }

    /// The letter of a mailing in one language, as read by [`Self::read_letters`].
    fn letter_of(&self, mailing: Uuid, locale: Locale) -> Result<serde_json::Value, String> {
        let kept = self.letters.lock().unwrap_or_else(|e| e.into_inner());
        let letter = kept
            .get(&mailing)
            .ok_or_else(|| format!("mailing {mailing} was not read"))?;
        letter
            .versions
            .get(&locale)
            .cloned()
            .ok_or_else(|| format!("mailing {mailing} is gone or has no {locale} version"))
    }

    /// A mailing's list headers, from what its letter names; none for other emails.
    fn list_headers(&self, template: Template, context: &serde_json::Value) -> ListHeaders {
        if template != Template::Mailing {
            return ListHeaders::default();
        }
        let text = |key: &str| context.get(key).and_then(serde_json::Value::as_str);
        let name = text("organisation_name").unwrap_or_default();
        ListHeaders {
            list: text("organisation_slug").map(|slug| {
                (
                    name.to_owned(),
                    format!("{slug}.{}", self.from.email.domain()),
                )
            }),
            reply_to: text("reply_to")
                .and_then(|address| address.parse().ok())
                .map(|address| Mailbox::new(Some(name.to_owned()), address)),
        }
    }
}

/// Whether the database has emails due or claimed (for tests and `/metrics`).
pub async fn pending(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    outbox_email::Entity::find()
        .filter(outbox_email::Column::Status.is_in([Status::Pending, Status::Sending]))
        .count(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smtp_error_keeps_no_address_of_the_recipient() {
        assert_eq!(
            without_address(
                "550 5.1.1 <Ana@Example.org>: Recipient address rejected",
                "ana@example.org"
            ),
            "550 5.1.1 <(the recipient)>: Recipient address rejected"
        );
        assert_eq!(
            without_address("421 try later", "ana@example.org"),
            "421 try later"
        );
    }
}
