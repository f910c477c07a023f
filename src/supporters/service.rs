//! The rules of supporters: one per address, seen only by the organisations they
//! acted for, erased on request with the counts they made kept.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, OnConflict, Query},
};
use uuid::Uuid;

use super::model::*;
use crate::access::{Access, AccessError};
use crate::domain::{Email, InvalidField, Locale, SupporterEmail};
use crate::http::{
    ApiError, instant,
    page::{Limit, cursor_id, split_page},
};
use entity::{
    donation, event, event_host, fundraiser, idempotency_key, outbox_email, petition, rsvp,
    signature, supporter, values::SignatureState,
};

#[derive(Debug, thiserror::Error)]
pub enum SupporterError {
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("no such supporter")]
    NotFound,
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<SupporterError> for ApiError {
    fn from(e: SupporterError) -> Self {
        match e {
            SupporterError::Invalid(field) => field.into(),
            SupporterError::NotFound => ApiError::not_found(e.to_string()),
            SupporterError::Access(a) => a.into(),
            SupporterError::Db(e) => ApiError::internal(&e),
        }
    }
}

/// Someone acting: who they say they are.
#[derive(Debug, Clone)]
pub struct Person {
    pub email: Email,
    pub name: String,
    pub locale: Option<Locale>,
}

/// The supporter with this address, made if new; one already known is left as it
/// is (name, language, consent). Safe under concurrency: two first actions at once
/// make one supporter.
pub async fn upsert(
    conn: &impl ConnectionTrait,
    person: &Person,
) -> Result<supporter::Model, DbErr> {
    upsert_many(conn, std::slice::from_ref(person))
        .await?
        .pop()
        .ok_or_else(|| DbErr::RecordNotFound("supporter just written".into()))
}

/// [`upsert`] for many people at once, as if one after another: one supporter per
/// person, in order. New addresses are written with one insert that returns them,
/// known ones are read with one select and never changed.
pub async fn upsert_many(
    conn: &impl ConnectionTrait,
    people: &[Person],
) -> Result<Vec<supporter::Model>, DbErr> {
    let now = Utc::now();
    let mut keys: Vec<&str> = people.iter().map(|p| p.email.key()).collect();
    // In address order, so that two groups written at once on PostgreSQL take their
    // index locks in the same order and cannot deadlock.
    keys.sort_unstable();
    keys.dedup();
    let fresh = keys.iter().filter_map(|key| {
        let person = people.iter().find(|p| p.email.key() == *key)?;
        let id = Uuid::now_v7();
        Some(supporter::ActiveModel {
            id: Set(id),
            email_key: Set(person.email.key().to_owned()),
            email: Set(person.email.clone().into()),
            name: Set(person.name.clone()),
            locale: Set(person.locale),
            // Consent is recorded once an address is confirmed, never from the
            // act of typing it (see `petitions::service::confirm`).
            subscribed: Set(false),
            unsubscribed_at: Set(None),
            // Retired (see the entity): feed links are in `feed_links`.
            feed_token: Set(id.to_string()),
            erased_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
    });
    // New addresses come back from the insert itself; only those already known are
    // read again (none, mostly, when a petition goes viral).
    let inserted = supporter::Entity::insert_many(fresh)
        .on_conflict(
            OnConflict::column(supporter::Column::EmailKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_with_returning(conn)
        .await?;
    let mut stored: std::collections::HashMap<String, supporter::Model> = inserted
        .into_iter()
        .map(|s| (s.email_key.clone(), s))
        .collect();
    let known: Vec<&str> = keys
        .into_iter()
        .filter(|key| !stored.contains_key(*key))
        .collect();
    if !known.is_empty() {
        let rows = supporter::Entity::find()
            .filter(supporter::Column::EmailKey.is_in(known))
            .all(conn)
            .await?;
        stored.extend(rows.into_iter().map(|s| (s.email_key.clone(), s)));
    }
    // A supporter already known keeps their name, language and consent: whoever
    // acts with an address proves nothing about owning it, and an RSVP, a signature
    // or a door entry must not rename someone across every organisation.
    people
        .iter()
        .map(|person| {
            stored
                .get(person.email.key())
                .cloned()
                .ok_or_else(|| DbErr::RecordNotFound("supporter just written".into()))
        })
        .collect()
}

/// Events these organisations own, or co-host since they accepted: an invitation
/// alone gives no one the attendees' personal data.
fn events_of(organisations: &[Uuid]) -> Condition {
    let co_hosted = Query::select()
        .column(event_host::Column::EventId)
        .from(event_host::Entity)
        .and_where(event_host::Column::OrganisationId.is_in(organisations.to_vec()))
        .and_where(event_host::Column::AcceptedAt.is_not_null())
        .to_owned();
    Condition::any()
        .add(event::Column::OrganisationId.is_in(organisations.to_vec()))
        .add(event::Column::Id.in_subquery(co_hosted))
}

/// Supporters who acted for these organisations.
fn acted_for(organisations: &[Uuid]) -> Condition {
    let theirs = Holdings::of(organisations);
    let rsvps = Query::select()
        .column(rsvp::Column::SupporterId)
        .from(rsvp::Entity)
        .and_where(rsvp::Column::EventId.in_subquery(theirs.events()))
        .to_owned();
    let signatures = Query::select()
        .column(signature::Column::SupporterId)
        .from(signature::Entity)
        .and_where(signature::Column::PetitionId.in_subquery(theirs.petitions()))
        .to_owned();
    let donors = Query::select()
        .column(donation::Column::SupporterId)
        .from(donation::Entity)
        .and_where(donation::Column::FundraiserId.in_subquery(theirs.fundraisers()))
        .and_where(donation::Column::SupporterId.is_not_null())
        .to_owned();
    Condition::all()
        .add(
            Condition::any()
                .add(supporter::Column::Id.in_subquery(rsvps))
                .add(supporter::Column::Id.in_subquery(signatures))
                .add(supporter::Column::Id.in_subquery(donors)),
        )
        .add(supporter::Column::ErasedAt.is_null())
}

/// The supporters of your organisations, newest first; `email` finds one by address.
pub async fn list(
    db: &DatabaseConnection,
    access: &Access,
    email: Option<&str>,
    limit: Limit,
    cursor: Option<&str>,
) -> Result<(Vec<Supporter>, Option<String>), SupporterError> {
    let organisations = access.personal_data_organisations()?;
    let mut query = supporter::Entity::find()
        .filter(acted_for(&organisations))
        .order_by_desc(supporter::Column::Id)
        .limit(limit.get() + 1);
    if let Some(email) = email {
        let email = Email::parse(email)?;
        query = query.filter(supporter::Column::EmailKey.eq(email.key()));
    }
    if let Some(after) = cursor_id(cursor)? {
        query = query.filter(supporter::Column::Id.lt(after));
    }
    let rows = query.all(db).await?;
    let (rows, next) = split_page(rows, limit, |s| s.id.to_string());
    let names = names_held(db, &organisations, &rows).await?;
    Ok((rows.into_iter().map(|s| view(s, &names)).collect(), next))
}

/// A supporter of your organisations with their RSVPs to its events.
pub async fn get(
    db: &DatabaseConnection,
    access: &Access,
    id: Uuid,
) -> Result<SupporterDetail, SupporterError> {
    let organisations = access.personal_data_organisations()?;
    let (row, rsvps) = find_with_rsvps(db, access, id).await?;
    let signatures = signatures_of(db, access, id).await?;
    let donations = donations_of(db, access, id).await?;
    let names = names_held(db, &organisations, std::slice::from_ref(&row)).await?;
    Ok(SupporterDetail {
        supporter: view(row, &names),
        rsvps,
        signatures,
        donations,
    })
}

/// Everything your organisations hold about a supporter.
pub async fn export(
    db: &DatabaseConnection,
    access: &Access,
    id: Uuid,
) -> Result<SupporterExport, SupporterError> {
    let organisations = access.personal_data_organisations()?;
    let (row, rsvps) = find_with_rsvps(db, access, id).await?;
    let signatures = signatures_of(db, access, id).await?;
    let donations = donations_of(db, access, id).await?;
    let emails = outbox_email::Entity::find()
        .filter(outbox_email::Column::Recipient.eq(row.email.to_string()))
        .filter(outbox_email::Column::OrganisationId.is_in(organisations.clone()))
        .order_by_asc(outbox_email::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| SentEmail {
            template: e.template,
            status: e.status,
            created_at: instant(e.created_at),
            sent_at: e.sent_at.map(instant),
        })
        .collect();
    let names = names_held(db, &organisations, std::slice::from_ref(&row)).await?;
    Ok(SupporterExport {
        supporter: view(row, &names),
        rsvps,
        signatures,
        donations,
        emails,
        exported_at: instant(Utc::now()),
    })
}

/// Erase what your organisations hold about a supporter. Their RSVPs to your events
/// stay as anonymous seats, their signatures on your petitions and gifts to your
/// fundraisers as anonymous counts and totals; the links to those RSVPs stop
/// working; your emails to them lose the address, and those not yet sent are
/// dropped.
///
/// What other organisations hold is theirs, not yours to erase: anyone can add an
/// address at their own door and then ask to erase it. While another organisation
/// holds something of the supporter, their name and address stay for it; once
/// nothing else does, the supporter is erased too.
#[tracing::instrument(skip_all, fields(supporter_id = %id))]
pub async fn erase(
    db: &DatabaseConnection,
    access: &Access,
    id: Uuid,
) -> Result<(), SupporterError> {
    let organisations = access.personal_data_organisations()?;
    let (row, _) = find_with_rsvps(db, access, id).await?;
    let txn = db.begin().await?;
    let yours = Holdings::of(&organisations);
    let everywhere = !yours.others_hold(&txn, id).await?;
    let now = Utc::now();
    // Where the rows erased here point from now on: the supporter itself when it
    // goes too, else a blank supporter of its own, so that seats and counts stay.
    let anonymous = if everywhere {
        id
    } else {
        let blank = Uuid::now_v7();
        supporter::ActiveModel {
            id: Set(blank),
            email_key: Set(format!("erased:{blank}")),
            email: Set(SupporterEmail::Erased),
            name: Set(String::new()),
            locale: Set(None),
            subscribed: Set(false),
            unsubscribed_at: Set(None),
            feed_token: Set(blank.to_string()),
            erased_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        blank
    };
    let seats = rsvp::Entity::find()
        .filter(rsvp::Column::SupporterId.eq(id))
        .filter(rsvp::Column::EventId.in_subquery(yours.events()))
        .all(&txn)
        .await?;
    // A manage link held by anyone stops working.
    crate::rsvps::links::end_rsvp_links(&txn, seats.iter().map(|seat| seat.id)).await?;
    for seat in seats {
        let mut active: rsvp::ActiveModel = seat.into();
        active.supporter_id = Set(anonymous);
        active.name = Set(None);
        active.update(&txn).await?;
    }
    // Signatures stay, so counts stay; who signed and what they wrote go.
    for signed in signature::Entity::find()
        .filter(signature::Column::SupporterId.eq(id))
        .filter(signature::Column::PetitionId.in_subquery(yours.petitions()))
        .all(&txn)
        .await?
    {
        let signature_id = signed.id;
        let pending = signed.status == SignatureState::Pending;
        let mut active: signature::ActiveModel = signed.into();
        active.supporter_id = Set(anonymous);
        active.email_key = Set(format!("erased:{signature_id}"));
        active.name = Set(String::new());
        active.affiliation = Set(None);
        active.postal_code = Set(None);
        active.locality = Set(None);
        active.country = Set(None);
        active.comment = Set(None);
        active.public = Set(false);
        // Nothing of theirs may act later: an unconfirmed signature can no longer
        // be confirmed (and counted, and thanked at an address that is gone), and
        // no wish to hear from the organisation outlives them.
        active.subscribe = Set(false);
        if pending {
            active.status = Set(SignatureState::Expired);
        }
        active.update(&txn).await?;
    }
    // Donations stay, so totals stay; the donor's name, message and the
    // organisers' note about them go.
    donation::Entity::update_many()
        .col_expr(donation::Column::SupporterId, Expr::value(Some(anonymous)))
        .col_expr(
            donation::Column::DonorName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            donation::Column::Message,
            Expr::value(Option::<String>::None),
        )
        .col_expr(donation::Column::Note, Expr::value(Option::<String>::None))
        .filter(donation::Column::SupporterId.eq(id))
        .filter(donation::Column::FundraiserId.in_subquery(yours.fundraisers()))
        .exec(&txn)
        .await?;
    let emails = || {
        let to_them =
            Condition::all().add(outbox_email::Column::Recipient.eq(row.email.to_string()));
        if everywhere {
            to_them
        } else {
            to_them.add(outbox_email::Column::OrganisationId.is_in(organisations.clone()))
        }
    };
    outbox_email::Entity::delete_many()
        .filter(emails())
        .filter(outbox_email::Column::Status.eq(crate::email::outbox::Status::Pending))
        .exec(&txn)
        .await?;
    // Sent and failed emails keep their record (template, dates), not the address:
    // neither in the recipient, the context, nor the SMTP server's error.
    outbox_email::Entity::update_many()
        .col_expr(outbox_email::Column::Recipient, Expr::value(""))
        .col_expr(outbox_email::Column::RecipientName, Expr::value(""))
        .col_expr(outbox_email::Column::Context, Expr::value("{}"))
        .col_expr(
            outbox_email::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(emails())
        .exec(&txn)
        .await?;
    // A stored answer to a retried request may hold the address (an offline gift's
    // donor): those go too. They are a replay cache, not a record.
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Body.contains(row.email.to_string()))
        .exec(&txn)
        .await?;
    if everywhere {
        let mut active: supporter::ActiveModel = row.into();
        // A key no address can have, so the unique index holds and nobody matches it.
        active.email_key = Set(format!("erased:{id}"));
        active.email = Set(SupporterEmail::Erased);
        active.name = Set(String::new());
        active.locale = Set(None);
        active.subscribed = Set(false);
        active.erased_at = Set(Some(now));
        active.updated_at = Set(now);
        active.update(&txn).await?;
        crate::rsvps::links::end_feed_links(&txn, id).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// What some organisations hold: their events (owned or co-hosted), petitions and
/// fundraisers.
struct Holdings<'a> {
    organisations: &'a [Uuid],
}

impl<'a> Holdings<'a> {
    fn of(organisations: &'a [Uuid]) -> Self {
        Self { organisations }
    }

    fn events(&self) -> sea_orm::sea_query::SelectStatement {
        Query::select()
            .column(event::Column::Id)
            .from(event::Entity)
            .cond_where(events_of(self.organisations))
            .to_owned()
    }

    fn petitions(&self) -> sea_orm::sea_query::SelectStatement {
        Query::select()
            .column(petition::Column::Id)
            .from(petition::Entity)
            .and_where(petition::Column::OrganisationId.is_in(self.organisations.to_vec()))
            .to_owned()
    }

    fn fundraisers(&self) -> sea_orm::sea_query::SelectStatement {
        Query::select()
            .column(fundraiser::Column::Id)
            .from(fundraiser::Entity)
            .and_where(fundraiser::Column::OrganisationId.is_in(self.organisations.to_vec()))
            .to_owned()
    }

    /// Does anything outside these holdings belong to the supporter?
    async fn others_hold(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
        let rsvps = rsvp::Entity::find()
            .filter(rsvp::Column::SupporterId.eq(id))
            .filter(rsvp::Column::EventId.not_in_subquery(self.events()))
            .count(db)
            .await?;
        let signatures = signature::Entity::find()
            .filter(signature::Column::SupporterId.eq(id))
            .filter(signature::Column::PetitionId.not_in_subquery(self.petitions()))
            .count(db)
            .await?;
        let donations = donation::Entity::find()
            .filter(donation::Column::SupporterId.eq(id))
            .filter(donation::Column::FundraiserId.not_in_subquery(self.fundraisers()))
            .count(db)
            .await?;
        Ok(rsvps + signatures + donations > 0)
    }
}

/// The addresses of these supporters, by id (blank once erased).
pub async fn emails_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, String>, DbErr> {
    Ok(supporter::Entity::find()
        .filter(supporter::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.email.to_string()))
        .collect())
}

/// Turn off reminders and campaign email for a supporter (one-click unsubscribe).
/// Unsubscribing twice changes nothing.
pub async fn unsubscribe(db: &DatabaseConnection, id: Uuid) -> Result<bool, DbErr> {
    let Some(row) = supporter::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    if row.unsubscribed_at.is_none() || row.subscribed {
        let mut active: supporter::ActiveModel = row.into();
        active.subscribed = Set(false);
        active.unsubscribed_at = Set(Some(Utc::now()));
        active.update(db).await?;
    }
    Ok(true)
}

/// The supporter whose personal feed this link opens.
pub async fn by_feed_token(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<supporter::Model>, DbErr> {
    let Some(id) = crate::rsvps::links::feed_of(db, token).await? else {
        return Ok(None);
    };
    supporter::Entity::find_by_id(id)
        .filter(supporter::Column::ErasedAt.is_null())
        .one(db)
        .await
}

async fn find_with_rsvps(
    db: &DatabaseConnection,
    access: &Access,
    id: Uuid,
) -> Result<(supporter::Model, Vec<SupporterRsvp>), SupporterError> {
    let organisations = access.personal_data_organisations()?;
    let row = supporter::Entity::find_by_id(id)
        .filter(acted_for(&organisations))
        .one(db)
        .await?
        .ok_or(SupporterError::NotFound)?;
    // Found supporters are never erased (`acted_for`), so the address is there; the
    // queries below match on it, and must never match on nothing.
    if row.email.known().is_none() {
        return Err(SupporterError::NotFound);
    }
    let events = Query::select()
        .column(event::Column::Id)
        .from(event::Entity)
        .cond_where(events_of(&organisations))
        .to_owned();
    let rows = rsvp::Entity::find()
        .filter(rsvp::Column::SupporterId.eq(id))
        .filter(rsvp::Column::EventId.in_subquery(events))
        .order_by_asc(rsvp::Column::CreatedAt)
        .all(db)
        .await?;
    let events: std::collections::HashMap<Uuid, event::Model> = event::Entity::find()
        .filter(event::Column::Id.is_in(rows.iter().map(|r| r.event_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let rsvps = rows
        .into_iter()
        .filter_map(|r| {
            let e = events.get(&r.event_id)?;
            Some(SupporterRsvp {
                id: r.id.to_string(),
                event_id: e.id.to_string(),
                event_slug: e.slug.clone(),
                event_title: e.title.clone(),
                starts_at_utc: instant(e.starts_at_utc),
                status: r.status,
                guests: r.guests,
                checked_in_at: r.checked_in_at.map(instant),
                created_at: instant(r.created_at),
            })
        })
        .collect();
    Ok((row, rsvps))
}

/// A supporter's signatures on petitions of the organiser's organisations.
async fn signatures_of(
    db: &DatabaseConnection,
    access: &Access,
    id: Uuid,
) -> Result<Vec<SupporterSignature>, SupporterError> {
    let organisations = access.personal_data_organisations()?;
    let petitions: std::collections::HashMap<Uuid, petition::Model> = petition::Entity::find()
        .filter(petition::Column::OrganisationId.is_in(organisations))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(signature::Entity::find()
        .filter(signature::Column::SupporterId.eq(id))
        .filter(signature::Column::PetitionId.is_in(petitions.keys().copied()))
        .order_by_asc(signature::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| {
            let p = petitions.get(&s.petition_id)?;
            Some(SupporterSignature {
                id: s.id.to_string(),
                petition_id: p.id.to_string(),
                petition_slug: p.slug.clone(),
                petition_title: p.title.clone(),
                status: s.status,
                affiliation: s.affiliation,
                postal_code: s.postal_code,
                locality: s.locality,
                country: s.country.map(|c| c.to_string()),
                comment: s.comment,
                public: s.public,
                created_at: instant(s.created_at),
                confirmed_at: s.confirmed_at.map(instant),
            })
        })
        .collect())
}

/// A supporter's gifts to fundraisers of the organiser's organisations.
async fn donations_of(
    db: &DatabaseConnection,
    access: &Access,
    id: Uuid,
) -> Result<Vec<SupporterDonation>, SupporterError> {
    let organisations = access.personal_data_organisations()?;
    Ok(
        crate::fundraisers::donations::of_supporter(db, id, &organisations)
            .await?
            .into_iter()
            .map(|(f, d)| SupporterDonation {
                id: d.id.to_string(),
                fundraiser: f.slug,
                fundraiser_title: f.title,
                amount: crate::http::money::MoneyBody::of(d.amount, d.currency),
                refunded_amount: d.refunded_amount,
                method: d.method,
                frequency: d.frequency,
                status: d.status,
                anonymous: d.anonymous,
                message: d.message,
                received_at: d.received_at.map(instant),
                created_at: instant(d.created_at),
            })
            .collect(),
    )
}

/// The name each supporter gave these organisations: the first given with an RSVP
/// to their events, a signature on their petitions or a gift to their fundraisers
/// (later actions with the address prove nothing about its owner, so they do not
/// rename them; each RSVP, signature and gift shows its own). An RSVP from before
/// RSVPs kept a name counts with the supporter's own. What a supporter told another
/// organisation is not these organisations' to see.
async fn names_held(
    db: &impl ConnectionTrait,
    organisations: &[Uuid],
    supporters: &[supporter::Model],
) -> Result<HashMap<Uuid, String>, DbErr> {
    let ids: Vec<Uuid> = supporters.iter().map(|s| s.id).collect();
    let own = |id: Uuid| {
        supporters
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let theirs = Holdings::of(organisations);
    let mut given: Vec<(Uuid, DateTime<Utc>, String)> = Vec::new();
    for r in rsvp::Entity::find()
        .filter(rsvp::Column::SupporterId.is_in(ids.clone()))
        .filter(rsvp::Column::EventId.in_subquery(theirs.events()))
        .all(db)
        .await?
    {
        let name = r.name.unwrap_or_else(|| own(r.supporter_id));
        given.push((r.supporter_id, r.created_at, name));
    }
    for s in signature::Entity::find()
        .filter(signature::Column::SupporterId.is_in(ids.clone()))
        .filter(signature::Column::PetitionId.in_subquery(theirs.petitions()))
        .all(db)
        .await?
    {
        given.push((s.supporter_id, s.created_at, s.name));
    }
    for d in donation::Entity::find()
        .filter(donation::Column::SupporterId.is_in(ids))
        .filter(donation::Column::FundraiserId.in_subquery(theirs.fundraisers()))
        .all(db)
        .await?
    {
        if let (Some(id), Some(name)) = (d.supporter_id, d.donor_name) {
            given.push((id, d.created_at, name));
        }
    }
    // A name blanked by an expiry or an erasure is no name given.
    given.retain(|(_, _, name)| !name.is_empty());
    // Latest first, so that the first given is the one left in the map.
    given.sort_by_key(|(_, at, _)| std::cmp::Reverse(*at));
    Ok(given.into_iter().map(|(id, _, name)| (id, name)).collect())
}

fn view(s: supporter::Model, names: &HashMap<Uuid, String>) -> Supporter {
    Supporter {
        id: s.id.to_string(),
        email: s.email.to_string(),
        name: names.get(&s.id).cloned().unwrap_or_default(),
        locale: s.locale.map(|l| l.to_string()),
        subscribed: s.subscribed,
        unsubscribed_at: s.unsubscribed_at.map(instant),
        created_at: instant(s.created_at),
        updated_at: instant(s.updated_at),
    }
}
