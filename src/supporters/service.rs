//! The rules of supporters: one per address, seen only by the organisations they
//! acted for, erased on request with the counts they made kept.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait,
    sea_query::{Expr, Query, SelectStatement, SimpleExpr},
};
use uuid::Uuid;

use crate::access::Access;
use crate::content::{self, ContentError, Cursor, Limit, Order, Page};
use crate::domain::{Email, Locale, SupporterEmail};
use entity::{
    donation, event, event_host, fundraiser, idempotency_key, outbox_email, petition, rsvp,
    signature, supporter, values::SignatureState,
};

/// Why a supporter could not be found, shown or erased: not found, no right to
/// their personal data, a malformed address, or the database.
pub type SupporterError = ContentError;

const NOUN: &str = "supporter";

/// A supporter as some organisations know them: with the name they were given.
#[derive(Debug, Clone)]
pub struct KnownSupporter {
    pub row: supporter::Model,
    /// The first name given to these organisations (see [`names_held`]).
    pub name: String,
}

/// An RSVP to an event of the organisations, with its event.
#[derive(Debug, Clone)]
pub struct HeldRsvp {
    pub rsvp: rsvp::Model,
    pub event: event::Model,
}

/// A signature on a petition of the organisations, with its petition.
#[derive(Debug, Clone)]
pub struct HeldSignature {
    pub signature: signature::Model,
    pub petition: petition::Model,
}

/// A gift to a fundraiser of the organisations, with its fundraiser.
#[derive(Debug, Clone)]
pub struct HeldDonation {
    pub donation: donation::Model,
    pub fundraiser: fundraiser::Model,
}

/// What some organisations hold about a supporter.
#[derive(Debug, Clone)]
pub struct SupporterRecord {
    pub supporter: KnownSupporter,
    pub rsvps: Vec<HeldRsvp>,
    pub signatures: Vec<HeldSignature>,
    pub donations: Vec<HeldDonation>,
    /// Their consents to hear from these organisations, pending and withdrawn ones
    /// too.
    pub consents: Vec<crate::consent::HeldConsent>,
}

/// Everything some organisations hold about a supporter, their emails to them
/// included (a subject access request).
#[derive(Debug, Clone)]
pub struct SupporterData {
    pub record: SupporterRecord,
    pub emails: Vec<outbox_email::Model>,
    pub exported_at: DateTime<Utc>,
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
        .on_conflict(crate::db::keep_existing([supporter::Column::EmailKey]))
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

/// The longest text a supporter search takes.
pub const SEARCH_MAX: usize = 200;

/// Supporters whose address, or a name they gave these organisations, holds
/// `text`: lower case on both sides, and as typed, since SQLite's LOWER folds
/// ASCII letters only ("Émile" is found by "Émile" and by "mile").
fn named(organisations: &[Uuid], text: &str) -> Condition {
    use sea_orm::sea_query::{ExprTrait as _, Func, LikeExpr};
    let like = |text: &str| {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        LikeExpr::new(format!("%{escaped}%")).escape('\\')
    };
    let lower = text.to_lowercase();
    let holds = |column: Expr| {
        Condition::any()
            .add(Expr::expr(Func::lower(column.clone())).like(like(&lower)))
            .add(column.like(like(text)))
    };
    let theirs = Holdings::of(organisations);
    let rsvps = doers::<rsvp::Entity>(theirs.events())
        .cond_where(holds(Expr::col(rsvp::Column::Name)))
        .to_owned();
    // An RSVP from before RSVPs kept a name goes by the supporter's own.
    let unnamed_rsvps = doers::<rsvp::Entity>(theirs.events())
        .and_where(rsvp::Column::Name.is_null())
        .to_owned();
    let signatures = doers::<signature::Entity>(theirs.petitions())
        .cond_where(holds(Expr::col(signature::Column::Name)))
        .to_owned();
    let donations = doers::<donation::Entity>(theirs.fundraisers())
        .and_where(donation::Column::SupporterId.is_not_null())
        .cond_where(holds(Expr::col(donation::Column::DonorName)))
        .to_owned();
    Condition::any()
        .add(Expr::col((supporter::Entity, supporter::Column::EmailKey)).like(like(&lower)))
        .add(supporter::Column::Id.in_subquery(rsvps))
        .add(
            Condition::all()
                .add(supporter::Column::Id.in_subquery(unnamed_rsvps))
                .add(holds(Expr::col((
                    supporter::Entity,
                    supporter::Column::Name,
                )))),
        )
        .add(supporter::Column::Id.in_subquery(signatures))
        .add(supporter::Column::Id.in_subquery(donations))
}

/// Supporters who acted for these organisations.
fn acted_for(organisations: &[Uuid]) -> Condition {
    let theirs = Holdings::of(organisations);
    Condition::all()
        .add(
            Condition::any()
                .add(did::<rsvp::Entity>(theirs.events()))
                .add(did::<signature::Entity>(theirs.petitions()))
                .add(did::<donation::Entity>(theirs.fundraisers()))
                // A consent (even one not yet confirmed) is personal data the
                // organisation holds: the "Join us" form alone makes a supporter.
                .add(supporter::Column::Id.in_subquery(consented_to(organisations, true))),
        )
        .add(supporter::Column::ErasedAt.is_null())
}

/// The supporters holding a consent to these organisations (`inside`), or to any
/// other organisation.
fn consented_to(organisations: &[Uuid], inside: bool) -> SelectStatement {
    let column = entity::consent::Column::OrganisationId;
    Query::select()
        .column(entity::consent::Column::SupporterId)
        .from(entity::consent::Entity)
        .cond_where(if inside {
            column.is_in(organisations.to_vec())
        } else {
            column.is_not_in(organisations.to_vec())
        })
        .to_owned()
}

/// What a supporter does to what an organisation holds: an RSVP to an event, a
/// signature on a petition, a gift to a fundraiser.
trait Act: content::Paged {
    /// What it is done to.
    type To: content::Paged;
    /// Who did it.
    const SUPPORTER: Self::Column;
    /// The id of what it was done to.
    const TO: Self::Column;

    fn to(row: &Self::Model) -> Uuid;
}

macro_rules! acts {
    ($($act:ident to $to:ident: $column:ident, $field:ident);+) => {$(
        impl Act for $act::Entity {
            type To = $to::Entity;
            const SUPPORTER: Self::Column = $act::Column::SupporterId;
            const TO: Self::Column = $act::Column::$column;

            fn to(row: &Self::Model) -> Uuid {
                row.$field
            }
        }
    )+};
}

acts!(
    rsvp to event: EventId, event_id;
    signature to petition: PetitionId, petition_id;
    donation to fundraiser: FundraiserId, fundraiser_id
);

/// The supporters who did `A` to something `held` selects, as a subquery to
/// narrow further.
fn doers<A: Act>(held: SelectStatement) -> SelectStatement {
    Query::select()
        .column(A::SUPPORTER)
        .from(A::default())
        .and_where(A::TO.in_subquery(held))
        .to_owned()
}

/// A supporter who did `A` to something `held` selects (a gift recorded by hand
/// may have no supporter).
fn did<A: Act>(held: SelectStatement) -> SimpleExpr {
    let who = doers::<A>(held)
        .and_where(A::SUPPORTER.is_not_null())
        .to_owned();
    supporter::Column::Id.in_subquery(who)
}

/// What a supporter did of `A` to something `held` selects, oldest first, and what
/// each was done to, by id.
async fn acts_of<A: Act>(
    db: &impl ConnectionTrait,
    supporter: Uuid,
    held: SelectStatement,
) -> Result<(Vec<A::Model>, HashMap<Uuid, <A::To as EntityTrait>::Model>), DbErr> {
    let acts = A::find()
        .filter(A::SUPPORTER.eq(supporter))
        .filter(A::TO.in_subquery(held))
        .order_by_asc(A::ID)
        .all(db)
        .await?;
    let to = content::by_id::<A::To>(db, acts.iter().map(A::to)).await?;
    Ok((acts, to))
}

/// How many of a supporter's `A` were done to something `held` does not select.
async fn outside<A: Act>(
    db: &impl ConnectionTrait,
    supporter: Uuid,
    held: SelectStatement,
) -> Result<u64, DbErr>
where
    A::Model: Sync,
{
    A::find()
        .filter(A::SUPPORTER.eq(supporter))
        .filter(A::TO.not_in_subquery(held))
        .count(db)
        .await
}

/// Supporters, as the organisations they acted for see them.
#[derive(Clone)]
pub struct Supporters {
    db: DatabaseConnection,
}

impl Supporters {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The supporters of your organisations, newest first; `email` finds one by
    /// address.
    pub async fn list(
        &self,
        access: &Access,
        email: Option<&str>,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<KnownSupporter>, SupporterError> {
        let organisations = access.personal_data_organisations()?;
        let mut query = supporter::Entity::find().filter(acted_for(&organisations));
        if let Some(email) = email {
            let email = Email::parse(email)?;
            query = query.filter(supporter::Column::EmailKey.eq(email.key()));
        }
        let page = content::page(&self.db, query, Order::NewestFirst, limit, cursor).await?;
        let names = names_held(&self.db, &organisations, &page.items).await?;
        let consenting = crate::consent::consenting(
            &self.db,
            &organisations,
            page.items.iter().map(|row| row.id),
        )
        .await?;
        Ok(page.map(|mut row| {
            row.subscribed = consenting.contains(&row.id);
            known(row, &names)
        }))
    }

    /// The supporters of your organisations whose address or name holds `text`
    /// (any case), newest first: an address typed whole finds its owner; any other
    /// text is looked for in addresses and in the names given to your
    /// organisations (not those given to others). The search runs in the database.
    pub async fn search(
        &self,
        access: &Access,
        text: &str,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<KnownSupporter>, SupporterError> {
        let organisations = access.personal_data_organisations()?;
        let text = text.trim();
        if text.chars().count() > SEARCH_MAX {
            return Err(crate::domain::InvalidField::too_long("q", SEARCH_MAX).into());
        }
        let mut query = supporter::Entity::find().filter(acted_for(&organisations));
        if let Ok(email) = Email::parse(text) {
            query = query.filter(supporter::Column::EmailKey.eq(email.key()));
        } else if !text.is_empty() {
            query = query.filter(named(&organisations, text));
        }
        let page = content::page(&self.db, query, Order::NewestFirst, limit, cursor).await?;
        let names = names_held(&self.db, &organisations, &page.items).await?;
        Ok(page.map(|row| known(row, &names)))
    }

    /// A supporter of your organisations with their RSVPs to its events, signatures
    /// on its petitions and gifts to its fundraisers.
    pub async fn get(&self, access: &Access, id: Uuid) -> Result<SupporterRecord, SupporterError> {
        let organisations = access.personal_data_organisations()?;
        let row = self.find(&organisations, id).await?;
        Ok(self.record(&organisations, row).await?)
    }

    /// Everything your organisations hold about a supporter.
    pub async fn export(&self, access: &Access, id: Uuid) -> Result<SupporterData, SupporterError> {
        let organisations = access.personal_data_organisations()?;
        let row = self.find(&organisations, id).await?;
        let emails = outbox_email::Entity::find()
            .filter(outbox_email::Column::Recipient.eq(row.email.to_string()))
            .filter(outbox_email::Column::OrganisationId.is_in(organisations.clone()))
            .order_by_asc(outbox_email::Column::Id)
            .all(&self.db)
            .await?;
        Ok(SupporterData {
            record: self.record(&organisations, row).await?,
            emails,
            exported_at: Utc::now(),
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
    pub async fn erase(&self, access: &Access, id: Uuid) -> Result<(), SupporterError> {
        let organisations = access.personal_data_organisations()?;
        let row = self.find(&organisations, id).await?;
        let txn = self.db.begin().await?;
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
        let blank = || Expr::value(Option::<String>::None);
        donation::Entity::update_many()
            .col_expr(donation::Column::SupporterId, Expr::value(Some(anonymous)))
            .col_expr(donation::Column::DonorName, blank())
            .col_expr(donation::Column::Message, blank())
            .col_expr(donation::Column::Note, blank())
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
            .col_expr(outbox_email::Column::LastError, blank())
            .filter(emails())
            .exec(&txn)
            .await?;
        // Their consents to your organisations go: nobody is left to write to.
        entity::consent::Entity::delete_many()
            .filter(entity::consent::Column::SupporterId.eq(id))
            .filter(entity::consent::Column::OrganisationId.is_in(organisations.clone()))
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

    /// Turn off reminders and campaign email for a supporter (one-click unsubscribe).
    /// Unsubscribing twice changes nothing.
    pub async fn unsubscribe(&self, id: Uuid) -> Result<bool, DbErr> {
        let Some(row) = supporter::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(false);
        };
        if row.unsubscribed_at.is_none() || row.subscribed {
            let mut active: supporter::ActiveModel = row.into();
            active.subscribed = Set(false);
            active.unsubscribed_at = Set(Some(Utc::now()));
            active.update(&self.db).await?;
        }
        Ok(true)
    }

    /// The supporter whose personal feed this link opens.
    pub async fn by_feed_token(&self, token: &str) -> Result<Option<supporter::Model>, DbErr> {
        let Some(id) = crate::rsvps::links::feed_of(&self.db, token).await? else {
            return Ok(None);
        };
        supporter::Entity::find_by_id(id)
            .filter(supporter::Column::ErasedAt.is_null())
            .one(&self.db)
            .await
    }

    /// The language a supporter chose for what we send them, if any.
    pub async fn locale_of(&self, id: Uuid) -> Result<Option<Locale>, DbErr> {
        Ok(supporter::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .and_then(|s| s.locale))
    }

    /// A supporter who acted for these organisations and is not erased.
    async fn find(
        &self,
        organisations: &[Uuid],
        id: Uuid,
    ) -> Result<supporter::Model, SupporterError> {
        let row = supporter::Entity::find_by_id(id)
            .filter(acted_for(organisations))
            .one(&self.db)
            .await?
            .ok_or(ContentError::NotFound(NOUN))?;
        // Found supporters are never erased (`acted_for`), so the address is there;
        // the queries that follow match on it, and must never match on nothing.
        if row.email.known().is_none() {
            return Err(ContentError::NotFound(NOUN));
        }
        Ok(row)
    }

    /// What these organisations hold about a supporter: their RSVPs (in the order
    /// made), signatures and gifts, with the name they gave.
    async fn record(
        &self,
        organisations: &[Uuid],
        row: supporter::Model,
    ) -> Result<SupporterRecord, DbErr> {
        let db = &self.db;
        let theirs = Holdings::of(organisations);
        let (rsvps, events) = acts_of::<rsvp::Entity>(db, row.id, theirs.events()).await?;
        let (signatures, petitions) =
            acts_of::<signature::Entity>(db, row.id, theirs.petitions()).await?;
        let (donations, fundraisers) =
            acts_of::<donation::Entity>(db, row.id, theirs.fundraisers()).await?;
        let names = names_held(db, organisations, std::slice::from_ref(&row)).await?;
        let consents = crate::consent::held_by(db, organisations, row.id).await?;
        let mut row = row;
        // The retired global flag is not read: what these organisations may see is
        // whether one of them holds an active consent.
        row.subscribed = consents
            .iter()
            .any(|held| held.consent.status == crate::consent::ConsentStatus::Active);
        Ok(SupporterRecord {
            consents,
            supporter: known(row, &names),
            rsvps: rsvps
                .into_iter()
                .filter_map(|rsvp| {
                    let event = events.get(&rsvp.event_id)?.clone();
                    Some(HeldRsvp { rsvp, event })
                })
                .collect(),
            signatures: signatures
                .into_iter()
                .filter_map(|signature| {
                    let petition = petitions.get(&signature.petition_id)?.clone();
                    Some(HeldSignature {
                        signature,
                        petition,
                    })
                })
                .collect(),
            donations: donations
                .into_iter()
                .filter_map(|donation| {
                    let fundraiser = fundraisers.get(&donation.fundraiser_id)?.clone();
                    Some(HeldDonation {
                        donation,
                        fundraiser,
                    })
                })
                .collect(),
        })
    }
}

fn known(row: supporter::Model, names: &HashMap<Uuid, String>) -> KnownSupporter {
    KnownSupporter {
        name: names.get(&row.id).cloned().unwrap_or_default(),
        row,
    }
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

    fn events(&self) -> SelectStatement {
        Query::select()
            .column(event::Column::Id)
            .from(event::Entity)
            .cond_where(events_of(self.organisations))
            .to_owned()
    }

    fn petitions(&self) -> SelectStatement {
        self.owned::<petition::Entity>()
    }

    fn fundraisers(&self) -> SelectStatement {
        self.owned::<fundraiser::Entity>()
    }

    /// The ids of the content of `E` these organisations own.
    fn owned<E: content::Owned>(&self) -> SelectStatement {
        content::ids_owned_by::<E>(self.organisations)
    }

    /// Does anything outside these holdings belong to the supporter?
    async fn others_hold(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
        let rsvps = outside::<rsvp::Entity>(db, id, self.events()).await?;
        let signatures = outside::<signature::Entity>(db, id, self.petitions()).await?;
        let donations = outside::<donation::Entity>(db, id, self.fundraisers()).await?;
        let consents = supporter::Entity::find()
            .filter(supporter::Column::Id.eq(id))
            .filter(supporter::Column::Id.in_subquery(consented_to(self.organisations, false)))
            .count(db)
            .await?;
        Ok(rsvps + signatures + donations + consents > 0)
    }
}

/// The addresses of these supporters, by id (blank once erased).
pub async fn emails_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, String>, DbErr> {
    Ok(content::by_id::<supporter::Entity>(db, ids)
        .await?
        .into_iter()
        .map(|(id, s)| (id, s.email.to_string()))
        .collect())
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
