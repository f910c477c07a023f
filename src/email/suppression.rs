//! Addresses no email goes to any more. A permanent bounce, a complaint, an SMTP
//! 5xx from our own server, or three temporary failures within 30 days suppress an
//! address; the outbox then marks its emails failed without sending them (one
//! query per batch it claims). Sending on to an address that bounces or complains
//! is what gets a sender's mail refused everywhere, campaigns' included.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::{Expr, ExprTrait as _, Func, OnConflict},
};
use uuid::Uuid;

use super::feedback::{Report, Verdict};
use entity::values::SuppressionReason as Reason;
use entity::{delivery_failure, mailing, outbox_email, suppression};

/// Temporary failures within [`WINDOW_DAYS`] that suppress an address.
pub const TEMPORARY_LIMIT: u64 = 3;
pub const WINDOW_DAYS: i64 = 30;

/// What a batch of reports did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// Reports read.
    pub reports: usize,
    /// Addresses suppressed by them (already suppressed ones not counted).
    pub suppressed: usize,
    /// Reports naming no address we could tell, or an address we never wrote to.
    pub ignored: usize,
}

/// Act on reports: a permanent failure or a complaint suppresses the recipient, a
/// temporary failure counts towards [`TEMPORARY_LIMIT`]. The recipient is the
/// one our outbox sent the reported Message-ID to when the report names one we
/// sent; otherwise the address the report names, if we ever wrote to it (a report
/// cannot suppress an address we never emailed).
pub async fn apply(
    conn: &impl ConnectionTrait,
    reports: &[Report],
    now: DateTime<Utc>,
) -> Result<Applied, DbErr> {
    let mut applied = Applied {
        reports: reports.len(),
        ..Applied::default()
    };
    for report in reports {
        let Some((address, mailing)) = recipient(conn, report).await? else {
            applied.ignored += 1;
            continue;
        };
        let reason = match report.verdict {
            Verdict::Permanent => Some(Reason::Bounced),
            Verdict::Complaint => Some(Reason::Complained),
            Verdict::Temporary => temporary(conn, &address, &report.detail, now).await?,
        };
        // A mailing's email that came back for good, or was reported as abuse,
        // counts in that mailing's figures.
        if let Some(mailing) = mailing
            && report.verdict != Verdict::Temporary
        {
            mailing::Entity::update_many()
                .col_expr(
                    mailing::Column::Bounced,
                    Expr::col(mailing::Column::Bounced).add(1),
                )
                .filter(mailing::Column::Id.eq(mailing))
                .exec(conn)
                .await?;
        }
        if let Some(reason) = reason
            && suppress(conn, &address, reason, &report.detail, now).await?
        {
            applied.suppressed += 1;
        }
    }
    Ok(applied)
}

/// Whom a report is about, among those we wrote to, and the mailing the email
/// reported was one of.
async fn recipient(
    conn: &impl ConnectionTrait,
    report: &Report,
) -> Result<Option<(String, Option<Uuid>)>, DbErr> {
    if let Some(id) = &report.message_id {
        let sent = outbox_email::Entity::find()
            .filter(outbox_email::Column::MessageId.eq(format!("<{id}>")))
            .one(conn)
            .await?;
        if let Some(email) = sent {
            return Ok(Some((email.recipient.to_lowercase(), email.mailing_id)));
        }
    }
    let Some(address) = &report.address else {
        return Ok(None);
    };
    // Compared lower-cased on both sides: the outbox keeps addresses as typed.
    let written = outbox_email::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(outbox_email::Column::Recipient)))
                .eq(address.as_str()),
        )
        .count(conn)
        .await?;
    Ok((written > 0).then(|| (address.clone(), None)))
}

/// Count a temporary failure; the reason to suppress once there are enough.
async fn temporary(
    conn: &impl ConnectionTrait,
    address: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<Option<Reason>, DbErr> {
    delivery_failure::Entity::insert(delivery_failure::ActiveModel {
        id: Set(Uuid::now_v7()),
        address: Set(address.to_owned()),
        detail: Set(Some(detail.to_owned()).filter(|d| !d.is_empty())),
        created_at: Set(now),
    })
    .exec(conn)
    .await?;
    let recent = delivery_failure::Entity::find()
        .filter(delivery_failure::Column::Address.eq(address))
        .filter(delivery_failure::Column::CreatedAt.gt(now - Duration::days(WINDOW_DAYS)))
        .count(conn)
        .await?;
    Ok((recent >= TEMPORARY_LIMIT).then_some(Reason::RepeatedFailures))
}

/// Suppress an address; `false` when it already was (the first reason stays).
pub async fn suppress(
    conn: &impl ConnectionTrait,
    address: &str,
    reason: Reason,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = suppression::Entity::insert(suppression::ActiveModel {
        address: Set(address.to_lowercase()),
        reason: Set(reason),
        detail: Set(Some(detail.chars().take(500).collect::<String>()).filter(|d| !d.is_empty())),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(suppression::Column::Address)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if inserted > 0 {
        tracing::info!(reason = %reason, "address suppressed");
    }
    Ok(inserted > 0)
}

/// Which of these addresses are suppressed, and why (keys lower-cased).
pub async fn among(
    conn: &impl ConnectionTrait,
    addresses: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, Reason>, DbErr> {
    let keys: Vec<String> = addresses.into_iter().map(|a| a.to_lowercase()).collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(suppression::Entity::find()
        .filter(suppression::Column::Address.is_in(keys))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.address, s.reason))
        .collect())
}

/// The suppressed addresses an organisation wrote to, newest first, at most
/// `limit`: its organisers see why their emails to them stop, and no one else's.
pub async fn of_organisation(
    conn: &impl ConnectionTrait,
    organisation_id: Uuid,
    limit: u64,
) -> Result<Vec<suppression::Model>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let written = sea_orm::sea_query::Query::select()
        .expr(Func::lower(Expr::col(outbox_email::Column::Recipient)))
        .from(outbox_email::Entity)
        .and_where(Expr::col(outbox_email::Column::OrganisationId).eq(organisation_id))
        .to_owned();
    suppression::Entity::find()
        .filter(suppression::Column::Address.in_subquery(written))
        .order_by_desc(suppression::Column::CreatedAt)
        .order_by_asc(suppression::Column::Address)
        .limit(limit)
        .all(conn)
        .await
}

/// Write to an address again: its suppression and the temporary failures counted
/// towards one go. A complaint stays: only its holder can take it back, by
/// acting again. `false` when there was nothing to lift, or the organisation never
/// wrote to the address.
pub async fn lift(
    conn: &impl ConnectionTrait,
    organisation_id: Uuid,
    address: &str,
) -> Result<bool, DbErr> {
    let address = address.trim().to_lowercase();
    let theirs = of_organisation_one(conn, organisation_id, &address).await?;
    if !theirs.is_some_and(|s| s.reason != Reason::Complained) {
        return Ok(false);
    }
    delivery_failure::Entity::delete_many()
        .filter(delivery_failure::Column::Address.eq(address.as_str()))
        .exec(conn)
        .await?;
    let lifted = suppression::Entity::delete_by_id(address)
        .exec(conn)
        .await?;
    Ok(lifted.rows_affected > 0)
}

/// One suppressed address, if the organisation wrote to it.
async fn of_organisation_one(
    conn: &impl ConnectionTrait,
    organisation_id: Uuid,
    address: &str,
) -> Result<Option<suppression::Model>, DbErr> {
    let Some(found) = suppression::Entity::find_by_id(address.to_owned())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let written = outbox_email::Entity::find()
        .filter(outbox_email::Column::OrganisationId.eq(organisation_id))
        .filter(Expr::expr(Func::lower(Expr::col(outbox_email::Column::Recipient))).eq(address))
        .count(conn)
        .await?;
    Ok((written > 0).then_some(found))
}
