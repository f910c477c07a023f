//! The outbox: every email is a row written in the transaction of the change that
//! caused it, so an email is never lost with its change, nor sent for a change that
//! rolled back. The worker delivers the rows.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{Site, render::Template};
use crate::content::{self, Cursor, Limit, Order, Page};
use crate::domain::Locale;
use entity::outbox_email;

pub use entity::values::EmailStatus as Status;

/// An email to queue.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to_address: String,
    pub to_name: String,
    pub template: Template,
    pub locale: Locale,
    /// What the template reads.
    pub context: serde_json::Value,
    /// An iCalendar object to attach, rendered now so it shows the event as it is
    /// at this change (its SEQUENCE above all).
    pub calendar: Option<String>,
    /// Set for non-transactional email: the one-click unsubscribe link (RFC 8058).
    pub unsubscribe_url: Option<String>,
    /// The organisation it is sent for.
    pub organisation_id: Option<Uuid>,
}

/// Queue emails in the caller's transaction.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    site: &Site,
    emails: impl IntoIterator<Item = OutgoingEmail>,
) -> Result<usize, DbErr> {
    let now = Utc::now();
    let rows: Vec<outbox_email::ActiveModel> = emails
        .into_iter()
        .map(|email| row(site, email, now))
        .collect();
    let count = rows.len();
    crate::db::insert_in_chunks(conn, rows).await?;
    Ok(count)
}

fn row(site: &Site, email: OutgoingEmail, now: DateTime<Utc>) -> outbox_email::ActiveModel {
    let id = Uuid::now_v7();
    outbox_email::ActiveModel {
        id: Set(id),
        recipient: Set(email.to_address),
        recipient_name: Set(email.to_name),
        template: Set(email.template.name().into()),
        locale: Set(email.locale),
        context: Set(email.context.to_string()),
        attachment_ics: Set(email.calendar),
        // Fixed now, so that a retry is the same message to every receiver.
        message_id: Set(format!("<{id}@{}>", site.mail_domain())),
        unsubscribe_url: Set(email.unsubscribe_url),
        status: Set(Status::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        organisation_id: Set(email.organisation_id),
        created_at: Set(now),
        sent_at: Set(None),
        mailing_id: Set(None),
        priority: Set(Priority::Action as i16),
    }
}

/// Which emails the worker takes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i16)]
pub enum Priority {
    /// What an action causes (a confirmation, a receipt): someone is waiting for it.
    Action = 0,
    /// A mailing's: it may wait behind those.
    Bulk = 1,
}

/// One email of a mailing. Its row holds no copy of the letter (100,000 copies of
/// one text would be most of the table): the worker reads the mailing.
#[derive(Debug, Clone)]
pub struct MailingEmail {
    pub mailing_id: Uuid,
    pub organisation_id: Uuid,
    pub to_address: String,
    pub to_name: String,
    pub locale: Locale,
    pub unsubscribe_url: String,
}

/// The outbox row of one email of a mailing.
pub fn mailing_row(
    site: &Site,
    email: MailingEmail,
    now: DateTime<Utc>,
) -> outbox_email::ActiveModel {
    let mut row = row(
        site,
        OutgoingEmail {
            to_address: email.to_address,
            to_name: email.to_name,
            template: Template::Mailing,
            locale: email.locale,
            context: serde_json::Value::Object(serde_json::Map::new()),
            calendar: None,
            unsubscribe_url: Some(email.unsubscribe_url),
            organisation_id: Some(email.organisation_id),
        },
        now,
    );
    row.mailing_id = Set(Some(email.mailing_id));
    row.priority = Set(Priority::Bulk as i16);
    row
}

/// Emails of some organisations in one state, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    organisation_ids: Vec<Uuid>,
    status: Status,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Page<outbox_email::Model>, DbErr> {
    let query = outbox_email::Entity::find()
        .filter(outbox_email::Column::OrganisationId.is_in(organisation_ids))
        .filter(outbox_email::Column::Status.eq(status));
    content::page(conn, query, Order::NewestFirst, limit, cursor).await
}

/// Put a failed email of these organisations back in the queue with fresh attempts.
pub async fn retry(
    conn: &impl ConnectionTrait,
    organisation_ids: Vec<Uuid>,
    id: Uuid,
) -> Result<Option<outbox_email::Model>, DbErr> {
    use sea_orm::sea_query::Expr;
    let updated = outbox_email::Entity::update_many()
        .col_expr(outbox_email::Column::Status, Expr::value(Status::Pending))
        .col_expr(outbox_email::Column::Attempts, Expr::value(0))
        .col_expr(outbox_email::Column::NextAttemptAt, Expr::value(Utc::now()))
        .filter(outbox_email::Column::Id.eq(id))
        .filter(outbox_email::Column::Status.eq(Status::Failed))
        .filter(outbox_email::Column::OrganisationId.is_in(organisation_ids))
        .exec(conn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(None);
    }
    outbox_email::Entity::find_by_id(id).one(conn).await
}

/// An email of these organisations, whatever its state.
pub async fn find_of(
    conn: &impl ConnectionTrait,
    organisation_ids: Vec<Uuid>,
    id: Uuid,
) -> Result<Option<outbox_email::Model>, DbErr> {
    outbox_email::Entity::find_by_id(id)
        .filter(outbox_email::Column::OrganisationId.is_in(organisation_ids))
        .one(conn)
        .await
}

/// Put every failed email of these organisations back in the queue with fresh
/// attempts, as [`retry`] does one; how many were.
pub async fn retry_all(
    conn: &impl ConnectionTrait,
    organisation_ids: Vec<Uuid>,
) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Expr;
    let updated = outbox_email::Entity::update_many()
        .col_expr(outbox_email::Column::Status, Expr::value(Status::Pending))
        .col_expr(outbox_email::Column::Attempts, Expr::value(0))
        .col_expr(outbox_email::Column::NextAttemptAt, Expr::value(Utc::now()))
        .filter(outbox_email::Column::Status.eq(Status::Failed))
        .filter(outbox_email::Column::OrganisationId.is_in(organisation_ids))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected)
}

/// An organisation's emails not sent, counted by template: what anyone of it may
/// see (no address), and when the oldest still waiting was queued.
#[derive(Debug, Clone, Default)]
pub struct Unsent {
    /// `(template, failed, waiting)`, by template name.
    pub by_template: Vec<(String, u64, u64)>,
    pub oldest_waiting: Option<DateTime<Utc>>,
}

impl Unsent {
    pub fn failed(&self) -> u64 {
        self.by_template.iter().map(|t| t.1).sum()
    }

    pub fn waiting(&self) -> u64 {
        self.by_template.iter().map(|t| t.2).sum()
    }
}

/// The emails of one organisation that failed or wait (pending, or held by a worker).
pub async fn unsent(conn: &impl ConnectionTrait, organisation_id: Uuid) -> Result<Unsent, DbErr> {
    use sea_orm::QuerySelect;
    let counts: Vec<(String, Status, i64)> = outbox_email::Entity::find()
        .select_only()
        .column(outbox_email::Column::Template)
        .column(outbox_email::Column::Status)
        .column_as(outbox_email::Column::Id.count(), "n")
        .filter(outbox_email::Column::OrganisationId.eq(organisation_id))
        .filter(outbox_email::Column::Status.is_in([
            Status::Failed,
            Status::Pending,
            Status::Sending,
        ]))
        .group_by(outbox_email::Column::Template)
        .group_by(outbox_email::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut by_template: Vec<(String, u64, u64)> = Vec::new();
    for (template, status, n) in counts {
        let n = u64::try_from(n).unwrap_or(0);
        let at = match by_template.iter().position(|t| t.0 == template) {
            Some(at) => at,
            None => {
                by_template.push((template, 0, 0));
                by_template.len() - 1
            }
        };
        if status == Status::Failed {
            by_template[at].1 += n;
        } else {
            by_template[at].2 += n;
        }
    }
    by_template.sort();
    Ok(Unsent {
        by_template,
        oldest_waiting: oldest_waiting(conn, organisation_id).await?,
    })
}

/// When the oldest email of an organisation still waiting to be sent was queued.
pub async fn oldest_waiting(
    conn: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    // Ids are UUIDv7: the smallest is the oldest.
    Ok(outbox_email::Entity::find()
        .filter(outbox_email::Column::OrganisationId.eq(organisation_id))
        .filter(outbox_email::Column::Status.is_in([Status::Pending, Status::Sending]))
        .order_by_asc(outbox_email::Column::Id)
        .one(conn)
        .await?
        .map(|e| e.created_at))
}

/// How many emails wait to be sent (pending, or held by a worker), and how many
/// seconds the oldest of them has waited.
pub async fn backlog(conn: &impl ConnectionTrait) -> Result<(u64, Option<i64>), DbErr> {
    use sea_orm::PaginatorTrait;
    let waiting = || {
        outbox_email::Entity::find()
            .filter(outbox_email::Column::Status.is_in([Status::Pending, Status::Sending]))
    };
    let count = waiting().count(conn).await?;
    // Ids are UUIDv7: the smallest is the oldest.
    let oldest = waiting()
        .order_by_asc(outbox_email::Column::Id)
        .one(conn)
        .await?
        .map(|e| (Utc::now() - e.created_at).num_seconds().max(0));
    Ok((count, oldest))
}
