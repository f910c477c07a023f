//! Organisers review a petition's signatures: find them by name or address and
//! status, hide a public comment, and invalidate spam — one signature, or every one
//! a filter names (an address domain, a time window, a source) — with the number
//! told before and a way back (undoing the batch).
//!
//! The count stays exact: a signature leaves or rejoins the count only through an
//! UPDATE guarded by its status, and the petition's `signature_count` moves by the
//! rows that UPDATE changed, in the same transaction. Two organisers invalidating
//! the same signature at once change it once, and the count by one.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
    sea_query::{Expr, Func, LikeExpr},
};
use uuid::Uuid;

use super::service::{NotNow, PetitionError, Petitions, Signer, public_changed};
use crate::access::{Access, Role};
use crate::content::{self, Cursor, Invalid, Limit, Order, Page, Service as _};
use crate::domain::{InvalidField, PublicRef, Refusal};
pub use entity::values::{PetitionStatus, SignatureState};
use entity::{petition, signature};

/// The most characters a source may have.
pub const SOURCE_MAX: usize = 100;

/// Where a signer came from: the `?source=` of the link that led to the form
/// (`newsletter`, `partner-x`). At most 100 characters, none a control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source(String);

impl Source {
    /// A source as sent; an empty one is none.
    pub fn parse(raw: &str) -> Result<Option<Self>, InvalidField> {
        let text = raw.trim();
        if text.chars().any(char::is_control) {
            return Err(InvalidField::control("source"));
        }
        if text.chars().count() > SOURCE_MAX {
            return Err(InvalidField::too_long("source", SOURCE_MAX));
        }
        Ok(Some(text)
            .filter(|t| !t.is_empty())
            .map(|t| Self(t.to_owned())))
    }

    /// A source from a link: one that does not fit is dropped, not refused (a
    /// supporter is never stopped by the link they followed).
    pub fn from_link(raw: &str) -> Option<Self> {
        Self::parse(raw).ok().flatten()
    }
}

impl AsRef<str> for Source {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Source> for String {
    fn from(source: Source) -> Self {
        source.0
    }
}

/// The domain of an address (`example.org`), lower-cased, as a filter names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailDomain(String);

impl EmailDomain {
    /// `example.org` or `@example.org`; letters, digits, dots and hyphens only.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let text = raw.trim().trim_start_matches('@').to_lowercase();
        let fits = !text.is_empty()
            && text.len() <= 253
            && text.contains('.')
            && !text.starts_with('.')
            && !text.ends_with('.')
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if fits {
            Ok(Self(text))
        } else {
            Err(InvalidField::new(
                "email_domain",
                "must be the domain of an address, such as example.org",
            ))
        }
    }
}

impl AsRef<str> for EmailDomain {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// What an organiser looks for in a petition's signatures.
#[derive(Debug, Clone, Default)]
pub struct SignatureQuery {
    /// A part of the signer's name or address, any case.
    pub search: Option<String>,
    pub status: Option<SignatureState>,
}

/// The signatures a bulk invalidation names: every one matching all the parts
/// given, confirmed or waiting for confirmation. At least one part is given, so
/// that no filter ever names every signature by accident.
#[derive(Debug, Clone)]
pub struct SignatureFilter {
    email_domain: Option<EmailDomain>,
    /// Signed at or after.
    from: Option<DateTime<Utc>>,
    /// Signed before.
    until: Option<DateTime<Utc>>,
    source: Option<Source>,
}

impl SignatureFilter {
    /// A filter of the parts given; none given, or a window that ends before it
    /// starts, is refused.
    pub fn new(
        email_domain: Option<EmailDomain>,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        source: Option<Source>,
    ) -> Result<Self, Invalid> {
        if let (Some(from), Some(until)) = (from, until)
            && until <= from
        {
            return Err(Invalid(vec![
                InvalidField::new("until", "must be after the start of the window")
                    .because(Refusal::OutOfOrder),
            ]));
        }
        if email_domain.is_none() && from.is_none() && until.is_none() && source.is_none() {
            return Err(Invalid(vec![InvalidField::required(
                "email_domain",
                "name a domain, a time window or a source",
            )]));
        }
        Ok(Self {
            email_domain,
            from,
            until,
            source,
        })
    }

    pub fn email_domain(&self) -> Option<&EmailDomain> {
        self.email_domain.as_ref()
    }

    pub fn from(&self) -> Option<DateTime<Utc>> {
        self.from
    }

    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.until
    }

    pub fn source(&self) -> Option<&Source> {
        self.source.as_ref()
    }

    fn condition(&self) -> Condition {
        let mut all = Condition::all();
        if let Some(domain) = &self.email_domain {
            // The domain holds only letters, digits, dots and hyphens: nothing
            // LIKE would read as a wildcard.
            all = all.add(signature::Column::EmailKey.like(format!("%@{}", domain.0)));
        }
        if let Some(from) = self.from {
            all = all.add(signature::Column::CreatedAt.gte(from));
        }
        if let Some(until) = self.until {
            all = all.add(signature::Column::CreatedAt.lt(until));
        }
        if let Some(source) = &self.source {
            all = all.add(signature::Column::Source.eq(source.0.clone()));
        }
        all
    }
}

/// How many signatures a filter names now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matching {
    /// Every signature it would invalidate.
    pub signatures: u64,
    /// Those of them that count now (confirmed): the count goes down by this.
    pub counted: u64,
}

/// What an invalidation (or its undoing) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalidation {
    /// The batch, which undoing names.
    pub batch: Uuid,
    pub signatures: u64,
    /// Confirmed signatures among them: the count moved by this.
    pub counted: u64,
    /// The petition's count after.
    pub signature_count: i32,
}

/// A batch of invalidated signatures, as the page lists it to undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidatedBatch {
    pub batch: Uuid,
    pub signatures: u64,
    pub at: DateTime<Utc>,
}

/// The statuses a signature is invalidated from: it was signed, and may count.
const LIVE: [SignatureState; 2] = [SignatureState::Confirmed, SignatureState::Pending];

impl Petitions {
    /// A page of a petition's signatures matching `query`, oldest first, for its
    /// organisers.
    pub async fn review(
        &self,
        access: &Access,
        petition: &PublicRef,
        query: &SignatureQuery,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<Signer>, PetitionError> {
        let petition = self.find_for(access, petition, Role::Organiser).await?;
        let mut select =
            signature::Entity::find().filter(signature::Column::PetitionId.eq(petition.id));
        if let Some(status) = query.status {
            select = select.filter(signature::Column::Status.eq(status));
        }
        if let Some(search) = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
            let like = || LikeExpr::new(pattern.clone()).escape('\\');
            select = select.filter(
                Condition::any()
                    .add(Expr::expr(Func::lower(Expr::col(signature::Column::Name))).like(like()))
                    .add(signature::Column::EmailKey.like(like())),
            );
        }
        let page = content::page(&self.db, select, Order::OldestFirst, limit, cursor).await?;
        Ok(page.read(|rows| self.signers(rows)).await?)
    }

    /// Hide (or show again) a signature's comment among the public signers.
    pub async fn hide_comment(
        &self,
        access: &Access,
        petition: &PublicRef,
        signature: Uuid,
        hidden: bool,
    ) -> Result<(), PetitionError> {
        let petition = self.find_for(access, petition, Role::Organiser).await?;
        let changed = signature::Entity::update_many()
            .col_expr(signature::Column::CommentHidden, Expr::value(hidden))
            .filter(signature::Column::Id.eq(signature))
            .filter(signature::Column::PetitionId.eq(petition.id))
            .exec(&self.db)
            .await?;
        if changed.rows_affected == 0 {
            return Err(no_such_signature());
        }
        public_changed();
        Ok(())
    }

    /// How many signatures `filter` names now, and how many of them count.
    pub async fn count_matching(
        &self,
        access: &Access,
        petition: &PublicRef,
        filter: &SignatureFilter,
    ) -> Result<Matching, PetitionError> {
        let petition = self.find_for(access, petition, Role::Organiser).await?;
        let count = async |states: &[SignatureState]| {
            signature::Entity::find()
                .filter(signature::Column::PetitionId.eq(petition.id))
                .filter(signature::Column::Status.is_in(states.iter().copied()))
                .filter(filter.condition())
                .count(&self.db)
                .await
        };
        Ok(Matching {
            signatures: count(&LIVE).await?,
            counted: count(&[SignatureState::Confirmed]).await?,
        })
    }

    /// Invalidate every signature `filter` names, as one batch.
    pub async fn invalidate_matching(
        &self,
        access: &Access,
        petition: &PublicRef,
        filter: &SignatureFilter,
    ) -> Result<Invalidation, PetitionError> {
        let petition = self.find_for(access, petition, Role::Organiser).await?;
        self.invalidate(&petition, filter.condition()).await
    }

    /// Invalidate one signature (a batch of one, undone the same way).
    pub async fn invalidate_one(
        &self,
        access: &Access,
        petition: &PublicRef,
        signature: Uuid,
    ) -> Result<Invalidation, PetitionError> {
        let petition = self.find_for(access, petition, Role::Organiser).await?;
        let exists = signature::Entity::find_by_id(signature)
            .filter(signature::Column::PetitionId.eq(petition.id))
            .one(&self.db)
            .await?;
        match exists.map(|s| s.status) {
            None => Err(no_such_signature()),
            Some(SignatureState::Invalidated) => {
                Err(PetitionError::WrongState(NotNow::InvalidatedAlready))
            }
            Some(SignatureState::Expired) => Err(PetitionError::WrongState(NotNow::Expired)),
            Some(_) => {
                let one = Condition::all().add(signature::Column::Id.eq(signature));
                let done = self.invalidate(&petition, one).await?;
                // Another organiser took it a moment ago.
                if done.signatures == 0 {
                    return Err(PetitionError::WrongState(NotNow::InvalidatedAlready));
                }
                Ok(done)
            }
        }
    }

    /// Put back every signature of a batch as it was (confirmed ones counted
    /// again); undoing twice changes nothing.
    pub async fn undo_invalidation(
        &self,
        access: &Access,
        petition: &PublicRef,
        batch: Uuid,
    ) -> Result<Invalidation, PetitionError> {
        let petition = self.find_for(access, petition, Role::Organiser).await?;
        unless_delivered(&petition)?;
        let txn = crate::db::begin_write(&self.db).await?;
        // Whether it was confirmed is told by when it was (pending ones never were).
        let restore = async |to: SignatureState, was_confirmed: bool| {
            let confirmed_at = if was_confirmed {
                signature::Column::ConfirmedAt.is_not_null()
            } else {
                signature::Column::ConfirmedAt.is_null()
            };
            signature::Entity::update_many()
                .col_expr(signature::Column::Status, Expr::value(to))
                .col_expr(
                    signature::Column::InvalidatedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    signature::Column::InvalidationBatch,
                    Expr::value(Option::<Uuid>::None),
                )
                .filter(signature::Column::PetitionId.eq(petition.id))
                .filter(signature::Column::InvalidationBatch.eq(batch))
                .filter(signature::Column::Status.eq(SignatureState::Invalidated))
                .filter(confirmed_at)
                .exec(&txn.txn)
                .await
                .map(|r| r.rows_affected)
        };
        let counted = restore(SignatureState::Confirmed, true).await?;
        let pending = restore(SignatureState::Pending, false).await?;
        settle(txn, petition.id, batch, (counted, pending), true).await
    }

    /// The batches of invalidated signatures still standing, newest first.
    pub async fn invalidated_batches(
        &self,
        access: &Access,
        petition: &PublicRef,
    ) -> Result<Vec<InvalidatedBatch>, PetitionError> {
        let petition = self.find_for(access, petition, Role::Organiser).await?;
        let rows: Vec<(Option<Uuid>, Option<DateTime<Utc>>, i64)> = signature::Entity::find()
            .select_only()
            .column(signature::Column::InvalidationBatch)
            .column_as(signature::Column::InvalidatedAt.max(), "at")
            .column_as(signature::Column::Id.count(), "n")
            .filter(signature::Column::PetitionId.eq(petition.id))
            .filter(signature::Column::Status.eq(SignatureState::Invalidated))
            .group_by(signature::Column::InvalidationBatch)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut batches: Vec<InvalidatedBatch> = rows
            .into_iter()
            .filter_map(|(batch, at, n)| {
                Some(InvalidatedBatch {
                    batch: batch?,
                    at: at?,
                    signatures: u64::try_from(n).unwrap_or(0),
                })
            })
            .collect();
        batches.sort_by_key(|b| std::cmp::Reverse(b.at));
        Ok(batches)
    }

    /// Invalidate the live signatures of `petition` that `which` names, as a new
    /// batch; the count goes down by the confirmed ones among them.
    async fn invalidate(
        &self,
        petition: &petition::Model,
        which: Condition,
    ) -> Result<Invalidation, PetitionError> {
        unless_delivered(petition)?;
        let batch = Uuid::now_v7();
        let now = Utc::now();
        let txn = crate::db::begin_write(&self.db).await?;
        // Each UPDATE is guarded by the status it changes from: a signature another
        // organiser invalidated a moment ago is no longer confirmed, so it is not
        // taken off the count twice.
        let set_aside = async |from: SignatureState| {
            signature::Entity::update_many()
                .col_expr(
                    signature::Column::Status,
                    Expr::value(SignatureState::Invalidated),
                )
                .col_expr(signature::Column::InvalidatedAt, Expr::value(Some(now)))
                .col_expr(
                    signature::Column::InvalidationBatch,
                    Expr::value(Some(batch)),
                )
                .filter(signature::Column::PetitionId.eq(petition.id))
                .filter(signature::Column::Status.eq(from))
                .filter(which.clone())
                .exec(&txn.txn)
                .await
                .map(|r| r.rows_affected)
        };
        let counted = set_aside(SignatureState::Confirmed).await?;
        let pending = set_aside(SignatureState::Pending).await?;
        settle(txn, petition.id, batch, (counted, pending), false).await
    }
}

/// A delivered petition's count is what was handed over: it no longer moves.
fn unless_delivered(petition: &petition::Model) -> Result<(), PetitionError> {
    if petition.status == PetitionStatus::Delivered {
        return Err(PetitionError::WrongState(NotNow::DeliveredSignaturesStay));
    }
    Ok(())
}

/// Move the petition's count by the confirmed signatures of a batch just set aside
/// (`up`: put back), then commit: the batch as done.
async fn settle(
    txn: crate::db::WriteTransaction,
    petition_id: Uuid,
    batch: Uuid,
    (counted, pending): (u64, u64),
    up: bool,
) -> Result<Invalidation, PetitionError> {
    let signature_count = move_count(&txn.txn, petition_id, counted, up).await?;
    txn.commit().await?;
    public_changed();
    Ok(Invalidation {
        batch,
        signatures: counted + pending,
        counted,
        signature_count,
    })
}

/// Move the petition's count by `by` (up or down) in the caller's transaction,
/// relative to the stored value; the count after.
async fn move_count(
    conn: &impl ConnectionTrait,
    petition_id: Uuid,
    by: u64,
    up: bool,
) -> Result<i32, sea_orm::DbErr> {
    if by > 0 {
        let by = i32::try_from(by).unwrap_or(i32::MAX);
        let count = Expr::col(petition::Column::SignatureCount);
        petition::Entity::update_many()
            .col_expr(
                petition::Column::SignatureCount,
                if up { count.add(by) } else { count.sub(by) },
            )
            .filter(petition::Column::Id.eq(petition_id))
            .exec(conn)
            .await?;
    }
    Ok(petition::Entity::find_by_id(petition_id)
        .one(conn)
        .await?
        .map_or(0, |p| p.signature_count))
}

/// `%`, `_` and the escape itself taken literally in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn no_such_signature() -> PetitionError {
    crate::content::ContentError::NotFound("signature").into()
}
