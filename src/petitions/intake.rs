//! Signatures taken in groups (see [`crate::db::group`]): the signatures waiting
//! when the writer comes round are written with one insert of their supporters, one
//! of the signatures and one of their emails, in one transaction, and each signer
//! is answered once it is committed.

use std::{
    collections::{HashMap, hash_map::Entry},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, ExprTrait, QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use super::service::{
    CONFIRM_WITHIN, Note, PetitionError, PetitionMail, PetitionStatus, Published, RESEND_AFTER,
    SignForm, count_in, status_at,
};
use crate::db::group::{Batch, GroupWriter};
use crate::email::{Site, outbox};
use crate::supporters::service::{self as supporters, Person};
use entity::values::SignatureState;
use entity::{petition, signature};

/// Where signatures are handed in.
pub type Intake = GroupWriter<Signatures>;

/// Start taking signatures for this database.
pub fn start(db: DatabaseConnection, site: Site) -> Intake {
    GroupWriter::start(db, Signatures { site })
}

/// Signing, as a kind of group write.
pub struct Signatures {
    site: Site,
}

/// One signature to take: the form, checked against its open petition.
#[derive(Debug, Clone)]
pub struct Signing {
    /// The petition, with its organisation's name for its email.
    pub published: Arc<Published>,
    pub form: SignForm,
    pub at: DateTime<Utc>,
}

impl Signing {
    fn petition(&self) -> &petition::Model {
        &self.published.petition.item
    }
}

/// What taking a signature did.
#[derive(Debug, Clone, Copy)]
pub struct Taken {
    /// A first signature from this address.
    pub new: bool,
    /// The petition's count went up (no confirmation asked).
    pub counted: bool,
}

impl Batch for Signatures {
    type Job = Signing;
    type Answer = Result<Taken, PetitionError>;

    async fn write(
        &self,
        db: &DatabaseConnection,
        jobs: &[Signing],
    ) -> Result<Vec<Self::Answer>, DbErr> {
        let txn = crate::db::begin_write(db).await?;
        // A petition may have closed since its signers read it: look once for the
        // whole group, inside the transaction.
        let mut petition_ids: Vec<Uuid> = jobs.iter().map(|job| job.petition().id).collect();
        petition_ids.sort_unstable();
        petition_ids.dedup();
        let mut open: Vec<Uuid> = petition::Entity::find()
            .filter(petition::Column::Id.is_in(petition_ids))
            .all(&txn.txn)
            .await?
            .into_iter()
            .filter(|p| status_at(p, Utc::now()) == PetitionStatus::Open)
            .map(|p| p.id)
            .collect();
        open.sort_unstable();
        let is_open = |job: &Signing| open.binary_search(&job.petition().id).is_ok();
        let taking: Vec<Signing> = jobs.iter().filter(|job| is_open(job)).cloned().collect();
        let mut taken = take(&txn.txn, &self.site, &taking, &open)
            .await?
            .into_iter();
        txn.commit().await?;
        Ok(jobs
            .iter()
            .map(|job| match is_open(job) {
                true => taken.next().unwrap_or(Err(PetitionError::not_found())),
                false => Err(PetitionError::Closed),
            })
            .collect())
    }

    fn failed(&self, error: DbErr) -> Self::Answer {
        Err(error.into())
    }
}

/// Write a group of signatures to these open petitions in the caller's
/// transaction, as if one after another: an address signs a petition once, whether
/// its repeats are in this group or came before.
async fn take(
    conn: &impl ConnectionTrait,
    site: &Site,
    jobs: &[Signing],
    petition_ids: &[Uuid],
) -> Result<Vec<Result<Taken, PetitionError>>, DbErr> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let people: Vec<Person> = jobs
        .iter()
        .map(|job| Person {
            email: job.form.email.clone(),
            name: job.form.name.clone(),
            locale: job.form.locale,
        })
        .collect();
    let signers = supporters::upsert_many(conn, &people).await?;
    // What each signature is unique on, worked out once per job.
    let keys: Vec<(Uuid, String)> = jobs
        .iter()
        .map(|job| (job.petition().id, job.form.email.folded_key()))
        .collect();
    let ids: Vec<Uuid> = jobs.iter().map(|_| Uuid::now_v7()).collect();
    let fresh: Vec<signature::ActiveModel> = (0..jobs.len())
        .map(|i| fresh_row(&jobs[i], &keys[i].1, ids[i], signers[i].id))
        .collect();
    // In (petition, address) order: two groups written at once on PostgreSQL then
    // take their index locks in the same order.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    // First signatures come back from the insert; only repeats are read again.
    let inserted = signature::Entity::insert_many(order.iter().map(|&i| fresh[i].clone()))
        .on_conflict(crate::db::keep_existing([
            signature::Column::PetitionId,
            signature::Column::EmailKey,
        ]))
        .exec_with_returning(conn)
        .await?;
    let mut stored: HashMap<(Uuid, String), signature::Model> = inserted
        .into_iter()
        .map(|row| ((row.petition_id, row.email_key.clone()), row))
        .collect();
    let repeats: Vec<&str> = keys
        .iter()
        .filter(|key| !stored.contains_key(*key))
        .map(|(_, email_key)| email_key.as_str())
        .collect();
    if !repeats.is_empty() {
        let rows = signature::Entity::find()
            .filter(signature::Column::PetitionId.is_in(petition_ids.iter().copied()))
            .filter(signature::Column::EmailKey.is_in(repeats))
            .all(conn)
            .await?;
        stored.extend(
            rows.into_iter()
                .map(|row| ((row.petition_id, row.email_key.clone()), row)),
        );
    }

    // First signatures to petitions without confirmation count at once: one update
    // per petition, and each signer is told the count as it stood after theirs.
    let is_new = |i: usize| stored.get(&keys[i]).is_some_and(|row| row.id == ids[i]);
    let mut counts: HashMap<Uuid, i32> = HashMap::new();
    for &petition_id in petition_ids {
        let added = (0..jobs.len())
            .filter(|&i| jobs[i].petition().id == petition_id)
            .filter(|&i| !jobs[i].petition().require_confirmation && is_new(i))
            .count();
        if added == 0 {
            continue;
        }
        let added = i32::try_from(added).unwrap_or(i32::MAX);
        let now_counted = petition::Entity::update_many()
            .col_expr(
                petition::Column::SignatureCount,
                Expr::col(petition::Column::SignatureCount).add(added),
            )
            .filter(petition::Column::Id.eq(petition_id))
            .exec_with_returning(conn)
            .await?
            .first()
            .map_or(0, |p| p.signature_count);
        counts.insert(petition_id, now_counted - added);
    }

    let mut answers = Vec::with_capacity(jobs.len());
    let mut notes: Vec<(usize, Note)> = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let petition = job.petition();
        let Some(row) = stored.get(&keys[i]) else {
            answers.push(Err(PetitionError::not_found()));
            continue;
        };
        if is_new(i) {
            if petition.require_confirmation {
                notes.push((i, Note::Confirm(row.clone())));
            } else {
                let count = counts.entry(petition.id).or_default();
                *count += 1;
                notes.push((i, Note::Thanks(row.clone(), *count)));
            }
            answers.push(Ok(Taken {
                new: true,
                counted: !petition.require_confirmation,
            }));
            continue;
        }
        let note = again(conn, job, row, &fresh[i]).await?;
        answers.push(Ok(Taken {
            new: false,
            counted: matches!(note, Some(Note::Thanks(..))),
        }));
        notes.extend(note.map(|note| (i, note)));
    }

    // A petition that asks for no confirmation proves no address: a box ticked
    // there asks to hear from the organisation, and the subscription's own emailed
    // link is what makes it count.
    for (i, note) in &notes {
        if let Note::Thanks(row, _) = note
            && row.subscribe
        {
            subscribe_unproven(conn, site, jobs[*i].petition(), row).await?;
        }
    }

    if !notes.is_empty() {
        let mut mails: HashMap<Uuid, PetitionMail<'_>> = HashMap::new();
        let mut emails = Vec::with_capacity(notes.len());
        for (i, note) in notes {
            let petition = jobs[i].petition();
            let mail = match mails.entry(petition.id) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => new.insert(PetitionMail::new(
                    petition,
                    jobs[i].published.organisation_name.to_string(),
                    site,
                )),
            };
            emails.push(match note {
                Note::Confirm(row) => mail.confirm(&row, &signers[i]),
                Note::Thanks(row, count) => mail.thanks(&row, &signers[i], count),
            });
        }
        outbox::enqueue(conn, site, emails).await?;
    }
    Ok(answers)
}

/// Ask, for a signer whose address no link has proven, to hear from the
/// petition's organisation, and email them the link that confirms it.
async fn subscribe_unproven(
    conn: &impl ConnectionTrait,
    site: &Site,
    petition: &petition::Model,
    row: &signature::Model,
) -> Result<(), DbErr> {
    let organisation = entity::organisation::Entity::find_by_id(petition.organisation_id)
        .one(conn)
        .await?;
    let supporter = entity::supporter::Entity::find_by_id(row.supporter_id)
        .one(conn)
        .await?;
    let (Some(organisation), Some(supporter)) = (organisation, supporter) else {
        return Ok(());
    };
    let locale = crate::domain::Locale::choose(row.locale, &petition.language);
    let asked = crate::consent::Ask {
        words: crate::consent::ConsentWords::of_box(locale, "page.petition.subscribe", ""),
        form: crate::consent::ConsentForm::Signature,
        source: row.source.clone(),
        locale,
    };
    crate::consent::ask_and_email(
        conn,
        site,
        &organisation,
        &supporter,
        &asked,
        row.created_at,
    )
    .await?;
    Ok(())
}

/// The signature as first written: pending its confirmation, or counted at once
/// when the petition asks for none.
fn fresh_row(
    job: &Signing,
    email_key: &str,
    id: Uuid,
    supporter_id: Uuid,
) -> signature::ActiveModel {
    let form = &job.form;
    let now = job.at;
    let confirmed = !job.petition().require_confirmation;
    signature::ActiveModel {
        id: Set(id),
        petition_id: Set(job.petition().id),
        supporter_id: Set(supporter_id),
        email_key: Set(email_key.to_owned()),
        name: Set(form.name.clone()),
        affiliation: Set(form.affiliation.clone()),
        postal_code: Set(form.postal_code.clone()),
        locality: Set(form.locality.clone()),
        country: Set(form.country.clone()),
        comment: Set(form.comment.clone()),
        public: Set(form.public),
        status: Set(if confirmed {
            SignatureState::Confirmed
        } else {
            SignatureState::Pending
        }),
        locale: Set(form.locale),
        confirmation_sent_at: Set(now),
        expires_at: Set(now + CONFIRM_WITHIN),
        confirmed_at: Set(confirmed.then_some(now)),
        subscribe: Set(form.subscribe),
        created_at: Set(now),
        source: Set(form.source.clone().map(Into::into)),
        comment_hidden: Set(false),
        invalidated_at: Set(None),
        invalidation_batch: Set(None),
    }
}

/// An address that signed this petition before signs again: a signature never
/// confirmed in time starts again as if new, and one still waiting has its email
/// sent again, at most hourly. Anything else changes nothing.
async fn again(
    conn: &impl ConnectionTrait,
    job: &Signing,
    existing: &signature::Model,
    fresh: &signature::ActiveModel,
) -> Result<Option<Note>, DbErr> {
    let now = job.at;
    let lapsed = existing.status == SignatureState::Expired
        || (existing.status == SignatureState::Pending && existing.expires_at <= now);
    if lapsed {
        let mut again = fresh.clone();
        again.id = Set(existing.id);
        again.status = Set(SignatureState::Pending);
        again.confirmed_at = Set(None);
        let again = again.update(conn).await?;
        return Ok(Some(if job.petition().require_confirmation {
            Note::Confirm(again)
        } else {
            let count = count_in(conn, &again, now).await?;
            Note::Thanks(again, count)
        }));
    }
    if existing.status == SignatureState::Pending
        && existing.confirmation_sent_at <= now - RESEND_AFTER
    {
        let resent = signature::Entity::update_many()
            .col_expr(signature::Column::ConfirmationSentAt, Expr::value(now))
            .filter(signature::Column::Id.eq(existing.id))
            .filter(signature::Column::ConfirmationSentAt.lte(now - RESEND_AFTER))
            .exec(conn)
            .await?;
        if resent.rows_affected == 1 {
            return Ok(Some(Note::Confirm(existing.clone())));
        }
    }
    Ok(None)
}
