//! The rules of RSVPs. Every change runs in one transaction that first locks the
//! event's row, so RSVPs to one event take turns: capacity is read and written by one
//! of them at a time, on SQLite (one writer) as on PostgreSQL (a row lock), however
//! many servers there are. The emails a change causes are queued in the same
//! transaction. Supporters' RSVPs arriving together are placed together: one
//! transaction and one lock of the event for all of them, seats counted in memory
//! as if they came one after another.

use std::collections::HashMap;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::links::{self, LinkBook};
use super::notices::{self, Application};
use crate::access::{Access, Role};
use crate::calendar::render::Method;
use crate::content::{self, Cursor, Limit, Order, Page};
use crate::db::group::{Batch, GroupWriter};
use crate::domain::{Email, InvalidField, Locale, PublicRef, required_text};
use crate::email::{
    Site,
    event::EventMail,
    outbox::{self, OutgoingEmail},
    render::Template,
};
use crate::events::service::{Attendees, CANCELLED_KEPT_DAYS, EventNews};
use crate::supporters::service::{self as supporters, Person};
pub use entity::values::RsvpStatus;
use entity::values::{EventStatus, RsvpMode};
use entity::{event, event_host, organisation, rsvp, supporter};

#[derive(Debug, thiserror::Error)]
pub enum RsvpError {
    #[error("invalid RSVP")]
    Invalid(Vec<InvalidField>),
    #[error("no such event")]
    NoSuchEvent,
    #[error("no such RSVP")]
    NotFound,
    #[error("only the event's organisers and co-hosts see its attendees")]
    Forbidden,
    #[error("the event is full")]
    Full,
    #[error("there are not enough free seats for {0} people; the RSVP is unchanged")]
    NotEnoughSeats(i32),
    #[error("RSVPs for this event are closed")]
    Closed,
    #[error("the event was cancelled")]
    EventCancelled,
    #[error("the event is not published yet")]
    NotPublished,
    #[error("the organisers declined this RSVP")]
    Declined,
    #[error("{0}")]
    WrongState(&'static str),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<Vec<InvalidField>> for RsvpError {
    fn from(fields: Vec<InvalidField>) -> Self {
        Self::Invalid(fields)
    }
}

impl From<InvalidField> for RsvpError {
    fn from(field: InvalidField) -> Self {
        Self::Invalid(vec![field])
    }
}

impl RsvpError {
    /// A stable name for the kind of refusal, for pages to choose their words by.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::NoSuchEvent | Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::Full => "full",
            Self::NotEnoughSeats(_) => "seats",
            Self::Closed => "closed",
            Self::EventCancelled => "cancelled",
            Self::NotPublished => "not_published",
            Self::Declined => "declined",
            Self::WrongState(_) => "wrong_state",
            Self::Db(_) => "internal",
        }
    }
}

/// The most guests one supporter may bring.
pub const MAX_GUESTS: i64 = 20;

/// An RSVP, checked.
#[derive(Debug, Clone)]
pub struct RsvpForm {
    pub email: Email,
    pub name: String,
    pub guests: i32,
    pub locale: Option<Locale>,
    pub subscribe: bool,
    /// The `?source=` the supporter came with, kept with the consent they give.
    pub source: Option<String>,
}

impl RsvpForm {
    /// Check an RSVP as typed: every bad field is named.
    pub fn parse(
        email: &str,
        name: &str,
        guests: Option<i64>,
        locale: Option<&str>,
        subscribe: bool,
    ) -> Result<Self, Vec<InvalidField>> {
        let mut checks = content::Checks::default();
        let email = checks.check(Email::parse(email).map_err(|e| e.at("email")));
        // A name goes into email headers: keep it on one line.
        let name = checks
            .check(required_text("name", name, 200).map(|n| crate::email::message::one_line(&n)));
        let guests = checks.check(check_guests(guests.unwrap_or(0)));
        let locale = checks.check(locale.map(Locale::parse).transpose());
        let (((email, name), guests), locale) = checks
            .done(email.zip(name).zip(guests).zip(locale))
            .map_err(|invalid| invalid.0)?;
        Ok(Self {
            email,
            name,
            guests,
            locale,
            subscribe,
            source: None,
        })
    }

    /// Seats this RSVP asks for: the supporter and their guests.
    pub fn seats(&self) -> i32 {
        1 + self.guests
    }
}

/// A number of guests from 0 to 20.
pub fn check_guests(guests: i64) -> Result<i32, InvalidField> {
    if (0..=MAX_GUESTS).contains(&guests) {
        Ok(i32::try_from(guests).unwrap_or_default())
    } else {
        Err(InvalidField::new(
            "guests",
            format!("must be from 0 to {MAX_GUESTS}"),
        ))
    }
}

/// An RSVP, with the token of the manage link just made for it.
#[derive(Debug, Clone)]
pub struct Rsvp {
    pub row: rsvp::Model,
    pub token: String,
}

/// An RSVP seen through its manage link, with its event.
#[derive(Debug, Clone)]
pub struct ManagedRsvp {
    pub rsvp: Rsvp,
    pub event: event::Model,
}

/// An attendee, as the organisers see them.
#[derive(Debug, Clone)]
pub struct Attendee {
    pub row: rsvp::Model,
    /// The name given with the RSVP (for older RSVPs, the supporter's).
    pub name: String,
    pub email: String,
}

/// An event's seats, as far as placing one RSVP goes.
#[derive(Debug, Clone, Copy)]
struct Seats {
    capacity: Option<i32>,
    going: i32,
    waitlist: bool,
    approval: bool,
}

impl Seats {
    fn of(event: &event::Model) -> Self {
        Self {
            capacity: event.capacity,
            going: event.going_count,
            waitlist: event.waitlist,
            approval: event.rsvp_mode == RsvpMode::Approval,
        }
    }

    /// Whether `want` more seats fit beside `others` taken ones.
    fn fit(&self, others: i32, want: i32) -> bool {
        self.capacity.is_none_or(|c| others + want <= c)
    }

    /// Where an answer asking for `want` seats lands, given where the supporter's
    /// RSVP stands now (its status and the seats it holds).
    fn place(
        &self,
        current: Option<(RsvpStatus, i32)>,
        want: i32,
    ) -> Result<RsvpStatus, RsvpError> {
        match current {
            Some((RsvpStatus::Declined, _)) => Err(RsvpError::Declined),
            // A change of guests keeps the seat or fails; it never loses the seat.
            Some((RsvpStatus::Going, held)) if self.fit(self.going - held, want) => {
                Ok(RsvpStatus::Going)
            }
            Some((RsvpStatus::Going, _)) => Err(RsvpError::NotEnoughSeats(want)),
            Some((RsvpStatus::PendingApproval, _)) if self.approval => {
                Ok(RsvpStatus::PendingApproval)
            }
            // Nobody ahead on the waitlist fits (they would have been promoted), so a
            // waiting party that now fits goes.
            Some((RsvpStatus::Waitlisted, _)) if self.fit(self.going, want) => {
                Ok(RsvpStatus::Going)
            }
            Some((RsvpStatus::Waitlisted, _)) => Ok(RsvpStatus::Waitlisted),
            _ if self.approval => Ok(RsvpStatus::PendingApproval),
            _ if self.fit(self.going, want) => Ok(RsvpStatus::Going),
            _ if self.waitlist => Ok(RsvpStatus::Waitlisted),
            _ => Err(RsvpError::Full),
        }
    }
}

/// The seats an RSVP holds in each count.
fn held(status: RsvpStatus, guests: i32) -> (i32, i32) {
    match status {
        RsvpStatus::Going => (1 + guests, 0),
        RsvpStatus::Waitlisted => (0, 1 + guests),
        _ => (0, 0),
    }
}

/// One transaction's view of an event: its row (locked), its organisation's name for
/// the emails, and the emails queued so far.
struct Change<'a> {
    txn: crate::db::WriteTransaction,
    site: &'a Site,
    event: event::Model,
    organisation_name: String,
    emails: Vec<OutgoingEmail>,
    /// The links those emails carry.
    links: LinkBook,
    counts_changed: bool,
    /// The event as an iCalendar invitation, once rendered.
    invitation: Option<Option<String>>,
}

impl<'a> Change<'a> {
    /// Begin a transaction holding the event's row: RSVPs to one event take turns.
    async fn begin(
        db: &DatabaseConnection,
        site: &'a Site,
        event_id: Uuid,
    ) -> Result<Self, RsvpError> {
        Self::lock(crate::db::begin_write(db).await?, site, event_id).await
    }

    /// Take the event's row in a transaction already begun (which may have done
    /// work that needs no lock, so that the lock is held for less time).
    async fn lock(
        txn: crate::db::WriteTransaction,
        site: &'a Site,
        event_id: Uuid,
    ) -> Result<Self, RsvpError> {
        // A write first: SQLite takes its write lock now (waiting its turn rather than
        // failing on upgrade later), PostgreSQL locks the row until commit.
        let locked = event::Entity::update_many()
            .col_expr(
                event::Column::GoingCount,
                Expr::col(event::Column::GoingCount),
            )
            .filter(event::Column::Id.eq(event_id))
            .exec(&txn.txn)
            .await?;
        if locked.rows_affected == 0 {
            return Err(RsvpError::NoSuchEvent);
        }
        let event = event::Entity::find_by_id(event_id)
            .one(&txn.txn)
            .await?
            .ok_or(RsvpError::NoSuchEvent)?;
        let organisation_name = organisation_name(&txn.txn, &event).await?;
        Ok(Self {
            txn,
            site,
            event,
            organisation_name,
            emails: Vec::new(),
            links: LinkBook::default(),
            counts_changed: false,
            invitation: None,
        })
    }

    fn mail(&self) -> EventMail<'_> {
        EventMail {
            event: &self.event,
            organisation_name: &self.organisation_name,
            site: self.site,
        }
    }

    /// Queue an email about an RSVP to its supporter (none to an erased one): the
    /// token of the manage link it carries.
    fn tell(
        &mut self,
        template: Template,
        supporter: &supporter::Model,
        rsvp: &rsvp::Model,
    ) -> Option<String> {
        if supporter.erased_at.is_some() {
            return None;
        }
        // A place held: the email carries the event and the supporter's feed. A link
        // is minted (and a row written) only for an email that shows it.
        let holds_a_place = matches!(
            template,
            Template::RsvpGoing | Template::RsvpPromoted | Template::RsvpApproved
        );
        let calendar = holds_a_place.then(|| self.invitation()).flatten();
        let token = self.links.manage_token(rsvp.id);
        let feed_url = holds_a_place.then(|| self.links.feed_url(self.site, supporter.id));
        let mail = self.mail();
        let locale = mail.locale(rsvp.locale.or(supporter.locale));
        let context = json!({
            "event": mail.context(locale),
            "rsvp": {
                "guests": rsvp.guests,
                "manage_url": links::manage_url(&self.site.public_url, &token),
            },
            "feed_url": feed_url,
        });
        self.emails.push(OutgoingEmail {
            to_address: supporter.email.to_string(),
            to_name: supporter.name.clone(),
            template,
            locale,
            context,
            calendar,
            unsubscribe_url: None,
            organisation_id: Some(self.event.organisation_id),
        });
        Some(token)
    }

    /// The event as an iCalendar invitation: the same for every email of this
    /// change, so rendered once.
    fn invitation(&mut self) -> Option<String> {
        if self.invitation.is_none() {
            self.invitation = Some(self.mail().calendar(Method::Publish));
        }
        self.invitation.clone().flatten()
    }

    /// Move an RSVP's seats between the counts.
    fn recount(&mut self, before: (i32, i32), after: (i32, i32)) {
        self.event.going_count += after.0 - before.0;
        self.event.waitlist_count += after.1 - before.1;
        self.counts_changed |= before != after;
    }

    /// Give freed seats to the waitlist: each party in turn that fits goes, and
    /// larger parties keep their place until seats for them free up.
    async fn promote_from_waitlist(&mut self) -> Result<(), DbErr> {
        let seats = Seats::of(&self.event);
        if seats.capacity.is_some_and(|c| self.event.going_count >= c) {
            return Ok(());
        }
        let waiting = rsvp::Entity::find()
            .filter(rsvp::Column::EventId.eq(self.event.id))
            .filter(rsvp::Column::Status.eq(RsvpStatus::Waitlisted))
            .order_by_asc(rsvp::Column::WaitlistedAt)
            .order_by_asc(rsvp::Column::Id)
            .all(&self.txn.txn)
            .await?;
        let now = Utc::now();
        for row in waiting {
            let want = 1 + row.guests;
            if !Seats::of(&self.event).fit(self.event.going_count, want) {
                continue;
            }
            self.recount(
                held(RsvpStatus::Waitlisted, row.guests),
                held(RsvpStatus::Going, row.guests),
            );
            let mut active: rsvp::ActiveModel = row.into();
            active.status = Set(RsvpStatus::Going);
            active.waitlisted_at = Set(None);
            active.updated_at = Set(now);
            let promoted = active.update(&self.txn.txn).await?;
            if let Some(supporter) = supporter::Entity::find_by_id(promoted.supporter_id)
                .one(&self.txn.txn)
                .await?
            {
                self.tell(Template::RsvpPromoted, &supporter, &promoted);
            }
        }
        Ok(())
    }

    /// Place these RSVPs to this event, in order; an answer for each.
    ///
    /// Seats are counted in memory and rows written together. An RSVP that frees
    /// seats (fewer guests) ends a round: what was placed is written and the
    /// waitlist promoted before the next RSVP is placed, as if one after another.
    async fn place(
        &mut self,
        jobs: &[Placing],
        mine: &[usize],
    ) -> Result<Vec<(usize, Placed)>, DbErr> {
        let now = Utc::now();
        let keys = mine.iter().map(|&i| jobs[i].form.email.key().to_owned());
        let known: HashMap<Uuid, supporter::Model> = supporter::Entity::find()
            .filter(supporter::Column::EmailKey.is_in(keys))
            .all(&self.txn.txn)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        // This event's RSVPs of these addresses, as they stand after each placing.
        let mut rows: HashMap<String, rsvp::Model> = rsvp::Entity::find()
            .filter(rsvp::Column::EventId.eq(self.event.id))
            .filter(rsvp::Column::SupporterId.is_in(known.keys().copied()))
            .all(&self.txn.txn)
            .await?
            .into_iter()
            .filter_map(|r| Some((known.get(&r.supporter_id)?.email_key.clone(), r)))
            .collect();
        let mut answers = Vec::with_capacity(mine.len());
        let mut waiting = mine.iter().copied().peekable();
        while waiting.peek().is_some() {
            let mut accepted = Vec::new();
            let mut frees_seats = false;
            for i in waiting.by_ref() {
                let job = &jobs[i];
                let key = job.form.email.key();
                let existing = rows.get(key);
                if let Some(status) = self.repeat_of(job, existing) {
                    // Whoever sent it learns nothing and changes nothing: the link
                    // goes to the address. (Within one group the first RSVP's own
                    // email carries it, its supporter not being written yet.)
                    if let Some(row) = existing
                        && let Some(supporter) = known.get(&row.supporter_id)
                    {
                        let row = row.clone();
                        self.tell(Template::RsvpLink, supporter, &row);
                    }
                    answers.push((i, Ok(Taken::AlreadyAnswered(status))));
                    continue;
                }
                let created = existing.is_none();
                let reopened = job.taker == Taker::Supporter
                    && existing.is_some_and(|r| r.status == RsvpStatus::Cancelled);
                match self.decide(job, existing, now) {
                    Ok((row, status, frees)) => {
                        rows.insert(key.to_owned(), row.clone());
                        accepted.push(Accepted {
                            job: i,
                            row,
                            status,
                            created,
                            reopened,
                        });
                        if frees {
                            frees_seats = true;
                            break;
                        }
                    }
                    Err(e) => answers.push((i, Err(e))),
                }
            }
            answers.extend(self.write_placed(jobs, accepted, &mut rows).await?);
            if frees_seats {
                self.promote_from_waitlist().await?;
            }
        }
        Ok(answers)
    }

    /// A supporter's RSVP from an address that already has one to this event (other
    /// than a cancelled one, which is placed again): its status. It changes nothing.
    fn repeat_of(&self, job: &Placing, existing: Option<&rsvp::Model>) -> Option<RsvpStatus> {
        if job.taker != Taker::Supporter {
            return None;
        }
        let status = existing?.status;
        (status != RsvpStatus::Cancelled).then_some(status)
    }

    /// Where one RSVP lands, given this address's RSVP to the event as it stands:
    /// the row after it, its status, and whether it freed seats. Counts move; nothing
    /// is written.
    fn decide(
        &mut self,
        job: &Placing,
        existing: Option<&rsvp::Model>,
        now: DateTime<Utc>,
    ) -> Result<(rsvp::Model, RsvpStatus, bool), RsvpError> {
        check_open(&self.event, now, job.taker)?;
        let mut seats = Seats::of(&self.event);
        if matches!(job.taker, Taker::Organiser { .. }) {
            seats.approval = false;
        }
        let current = existing.map(|r| (r.status, 1 + r.guests));
        let status = seats.place(current, job.form.seats())?;
        let before = current.map_or((0, 0), |(s, n)| held(s, n - 1));
        let after = held(status, job.form.guests);
        self.recount(before, after);
        let locale = job.form.locale;
        let checked_in = job.taker == (Taker::Organiser { checked_in: true });
        let id = Uuid::now_v7();
        let row = match existing {
            Some(row) => {
                let mut row = row.clone();
                let was = row.status;
                if was == RsvpStatus::Cancelled && job.taker == Taker::Supporter {
                    // Placed again by whoever typed the address: the links the
                    // supporter had (and any copy of them) no longer work.
                    self.links.end(row.id);
                }
                // The name given now: the organisers' own record of this RSVP.
                row.name = Some(job.form.name.clone());
                row.status = status;
                row.guests = job.form.guests;
                if locale.is_some() {
                    row.locale = locale;
                }
                if status != RsvpStatus::Waitlisted {
                    row.waitlisted_at = None;
                } else if was != RsvpStatus::Waitlisted {
                    row.waitlisted_at = Some(now);
                }
                if checked_in {
                    row.checked_in_at = Some(now);
                }
                row.updated_at = now;
                row
            }
            None => rsvp::Model {
                id,
                event_id: self.event.id,
                // Known once the supporter is written (accepted RSVPs only).
                supporter_id: Uuid::nil(),
                status,
                guests: job.form.guests,
                // Retired (see the entity): links are in `rsvp_links`.
                manage_token: id.to_string(),
                locale,
                waitlisted_at: (status == RsvpStatus::Waitlisted).then_some(now),
                checked_in_at: checked_in.then_some(now),
                reminded_at: None,
                name: Some(job.form.name.clone()),
                created_at: now,
                updated_at: now,
            },
        };
        Ok((row, status, after.0 < before.0))
    }

    /// Write a round's accepted RSVPs: their supporters, the new rows in one insert,
    /// the changed ones one by one; queue each one's email. Their answers.
    async fn write_placed(
        &mut self,
        jobs: &[Placing],
        mut accepted: Vec<Accepted>,
        rows: &mut HashMap<String, rsvp::Model>,
    ) -> Result<Vec<(usize, Placed)>, DbErr> {
        if accepted.is_empty() {
            return Ok(Vec::new());
        }
        let people: Vec<Person> = accepted
            .iter()
            .map(|a| Person {
                email: jobs[a.job].form.email.clone(),
                name: jobs[a.job].form.name.clone(),
                locale: jobs[a.job].form.locale,
            })
            .collect();
        let supporters = supporters::upsert_many(&self.txn.txn, &people).await?;
        for (a, supporter) in accepted.iter_mut().zip(&supporters) {
            a.row.supporter_id = supporter.id;
            if let Some(latest) = rows.get_mut(jobs[a.job].form.email.key()) {
                latest.supporter_id = supporter.id;
            }
        }
        // Each row once, as it stands after the round: new ones in one insert.
        let created: Vec<Uuid> = accepted
            .iter()
            .filter(|a| a.created)
            .map(|a| a.row.id)
            .collect();
        let mut written: Vec<Uuid> = Vec::new();
        let mut fresh = Vec::new();
        for a in &accepted {
            if written.contains(&a.row.id) {
                continue;
            }
            written.push(a.row.id);
            let latest = rows.get(jobs[a.job].form.email.key()).cloned();
            let active =
                rsvp::ActiveModel::from(latest.unwrap_or_else(|| a.row.clone())).reset_all();
            if created.contains(&a.row.id) {
                fresh.push(active);
            } else {
                active.update(&self.txn.txn).await?;
            }
        }
        if !fresh.is_empty() {
            rsvp::Entity::insert_many(fresh)
                .exec_without_returning(&self.txn.txn)
                .await?;
        }
        // Applications to an approval event: their organisers are told.
        let applications: Vec<Application> = accepted
            .iter()
            .zip(&supporters)
            .filter(|(a, _)| a.status == RsvpStatus::PendingApproval)
            .map(|(a, supporter)| Application {
                name: attendee_name(&a.row, supporter),
                guests: a.row.guests,
            })
            .collect();
        let notices =
            notices::application_received(&self.txn.txn, self.site, &self.event, &applications)
                .await?;
        self.emails.extend(notices);
        let mut answers = Vec::with_capacity(accepted.len());
        for (a, supporter) in accepted.into_iter().zip(&supporters) {
            let token = match self.tell(confirmation(a.status), supporter, &a.row) {
                Some(token) => token,
                None => self.links.manage_token(a.row.id),
            };
            let rsvp = Rsvp { row: a.row, token };
            let taken = if a.created || a.reopened {
                Taken::Created(rsvp)
            } else {
                Taken::Changed(rsvp)
            };
            answers.push((a.job, Ok(taken)));
        }
        Ok(answers)
    }

    /// Write the counts and queue the emails; the transaction, to go on or commit.
    async fn release(self) -> Result<crate::db::WriteTransaction, DbErr> {
        if self.counts_changed {
            event::Entity::update_many()
                .col_expr(
                    event::Column::GoingCount,
                    Expr::value(self.event.going_count),
                )
                .col_expr(
                    event::Column::WaitlistCount,
                    Expr::value(self.event.waitlist_count),
                )
                .filter(event::Column::Id.eq(self.event.id))
                .exec(&self.txn.txn)
                .await?;
        }
        self.links.write(&self.txn.txn).await?;
        outbox::enqueue(&self.txn.txn, self.site, self.emails).await?;
        Ok(self.txn)
    }

    /// Write the counts, queue the emails, commit.
    async fn commit(self) -> Result<(), DbErr> {
        self.release().await?.commit().await
    }
}

/// Who may take RSVPs, and so which checks apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Taker {
    /// A supporter, from the event's page.
    Supporter,
    /// An organiser, at the door: no deadline, no approval step.
    Organiser { checked_in: bool },
}

/// RSVPs: supporters' answers placed in groups, the organisers' door list, the
/// manage link, approval and check-in.
#[derive(Clone)]
pub struct Rsvps {
    db: DatabaseConnection,
    site: Site,
    /// Supporters' RSVPs are placed in groups, one lock of the event for all those
    /// waiting.
    intake: Intake,
    /// The events RSVPs go to, as last read.
    event_ids: Arc<EventIds>,
}

impl Rsvps {
    /// Start taking RSVPs for this database.
    pub fn new(db: DatabaseConnection, site: Site) -> Self {
        Self {
            intake: GroupWriter::start(db.clone(), Placer { site: site.clone() }),
            event_ids: Arc::new(event_ids()),
            db,
            site,
        }
    }

    /// RSVP to a published event. The same address again changes nothing and emails
    /// the address its manage link. 409 when it is full and has no waitlist.
    #[tracing::instrument(skip_all)]
    pub async fn take(&self, event: &PublicRef, form: RsvpForm) -> Result<Taken, RsvpError> {
        let events = &self.event_ids;
        // Keyed by what the path names, not how it spells it (see `PublicRef`).
        let key = match event {
            PublicRef::Id(id) => id.to_string(),
            PublicRef::Slug(slug) => slug.to_string(),
        };
        let event_id = match events.get(&key) {
            Some(id) => id,
            None => {
                let changes = events.changes();
                let id = content::find::<event::Entity>(&self.db, event)
                    .await?
                    .filter(|e| e.status != EventStatus::Draft)
                    .ok_or(RsvpError::NoSuchEvent)?
                    .id;
                events.put(key, id, changes);
                id
            }
        };
        let asking = form
            .subscribe
            .then(|| (form.email.clone(), form.locale, form.source.clone()));
        let placing = Placing {
            event_id,
            form,
            taker: Taker::Supporter,
        };
        let taken = self
            .intake
            .write(placing)
            .await
            .map_err(|stopped| DbErr::Custom(stopped.to_string()))??;
        crate::metrics::METRICS.rsvps.inc();
        // The box ticked asks to hear from the event's organisation; an RSVP does
        // not prove the address, so a link to confirm is emailed.
        if let Some((email, locale, source)) = asking
            && let Some(event) = event::Entity::find_by_id(event_id).one(&self.db).await?
        {
            crate::consent::ask_after_rsvp(
                &self.db,
                &self.site,
                event.organisation_id,
                &email,
                locale,
                source,
            )
            .await?;
        }
        Ok(taken)
    }

    /// An organiser adds someone (at the door, or by phone).
    pub async fn add(
        &self,
        access: &Access,
        event: &PublicRef,
        form: RsvpForm,
        checked_in: bool,
    ) -> Result<Taken, RsvpError> {
        let event = organisers_event(&self.db, access, event).await?;
        let placing = Placing {
            event_id: event.id,
            form,
            taker: Taker::Organiser { checked_in },
        };
        let txn = crate::db::begin_write(&self.db).await?;
        let (txn, mut placed) = place_all(txn, &self.site, std::slice::from_ref(&placing)).await?;
        txn.commit().await?;
        placed.pop().unwrap_or(Err(RsvpError::NoSuchEvent))
    }

    /// An RSVP seen through its manage link, with its event.
    pub async fn managed(&self, token: &str) -> Result<ManagedRsvp, RsvpError> {
        let (row, _) = by_token(&self.db, token).await?;
        let event = event::Entity::find_by_id(row.event_id)
            .one(&self.db)
            .await?
            .ok_or(RsvpError::NotFound)?;
        Ok(ManagedRsvp {
            rsvp: Rsvp {
                row,
                token: token.to_owned(),
            },
            event,
        })
    }

    /// A supporter changes how many guests they bring. More guests than the free seats
    /// allow is a 409 that leaves the RSVP as it was.
    #[tracing::instrument(skip_all)]
    pub async fn change_guests(&self, token: &str, guests: i64) -> Result<Rsvp, RsvpError> {
        let (db, site) = (&self.db, &self.site);
        let guests = check_guests(guests)?;
        let (row, _) = by_token(db, token).await?;
        let now = Utc::now();
        let mut change = Change::begin(db, site, row.event_id).await?;
        // Read again under the lock: it may have changed since.
        let (row, supporter) = by_token(&change.txn.txn, token).await?;
        let status = row.status;
        match status {
            RsvpStatus::Cancelled => {
                return Err(RsvpError::WrongState(
                    "this RSVP was cancelled; RSVP again from the event's page",
                ));
            }
            RsvpStatus::Declined => return Err(RsvpError::Declined),
            _ => {}
        }
        if guests > row.guests {
            check_open(&change.event, now, Taker::Supporter)?;
        }
        let new_status =
            Seats::of(&change.event).place(Some((status, 1 + row.guests)), 1 + guests)?;
        change.recount(held(status, row.guests), held(new_status, guests));
        let mut active: rsvp::ActiveModel = row.into();
        active.status = Set(new_status);
        active.guests = Set(guests);
        if new_status != RsvpStatus::Waitlisted {
            active.waitlisted_at = Set(None);
        }
        active.updated_at = Set(now);
        let row = active.update(&change.txn.txn).await?;
        change.tell(confirmation(new_status), &supporter, &row);
        change.promote_from_waitlist().await?;
        change.commit().await?;
        Ok(Rsvp {
            row,
            token: token.to_owned(),
        })
    }

    /// A supporter cancels; their seats go to the waitlist. Cancelling twice changes
    /// nothing.
    #[tracing::instrument(skip_all)]
    pub async fn cancel(&self, token: &str) -> Result<(), RsvpError> {
        let (db, site) = (&self.db, &self.site);
        let (row, _) = by_token(db, token).await?;
        let mut change = Change::begin(db, site, row.event_id).await?;
        let (row, _) = by_token(&change.txn.txn, token).await?;
        let status = row.status;
        if matches!(status, RsvpStatus::Cancelled | RsvpStatus::Declined) {
            return Ok(());
        }
        change.recount(held(status, row.guests), (0, 0));
        let mut active: rsvp::ActiveModel = row.into();
        active.status = Set(RsvpStatus::Cancelled);
        active.waitlisted_at = Set(None);
        active.updated_at = Set(Utc::now());
        active.update(&change.txn.txn).await?;
        change.promote_from_waitlist().await?;
        change.commit().await?;
        Ok(())
    }

    /// An organiser approves an RSVP awaiting approval: it goes if there are seats,
    /// else joins the waitlist (or is refused when there is none).
    pub async fn approve(&self, access: &Access, id: Uuid) -> Result<Attendee, RsvpError> {
        self.decide(access, id, Decision::Approve).await
    }

    /// An organiser declines an RSVP; seats it held go to the waitlist.
    pub async fn decline(&self, access: &Access, id: Uuid) -> Result<Attendee, RsvpError> {
        self.decide(access, id, Decision::Decline).await
    }

    /// An organiser checks someone in at the door. Checking in twice changes nothing.
    pub async fn check_in(&self, access: &Access, id: Uuid) -> Result<Attendee, RsvpError> {
        self.decide(access, id, Decision::CheckIn).await
    }

    /// An organiser takes back a check-in (a tap on the wrong name). Undoing one
    /// not made changes nothing.
    pub async fn undo_check_in(&self, access: &Access, id: Uuid) -> Result<Attendee, RsvpError> {
        self.decide(access, id, Decision::UndoCheckIn).await
    }

    /// A decision on an RSVP of this event only: an RSVP of any other event is
    /// not found, as if it did not exist.
    pub async fn decide_at(
        &self,
        access: &Access,
        event_id: Uuid,
        id: Uuid,
        decision: Decision,
    ) -> Result<Attendee, RsvpError> {
        let row = rsvp::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(RsvpError::NotFound)?;
        if row.event_id != event_id {
            return Err(RsvpError::NotFound);
        }
        self.decide(access, id, decision).await
    }

    async fn decide(
        &self,
        access: &Access,
        id: Uuid,
        decision: Decision,
    ) -> Result<Attendee, RsvpError> {
        let (db, site) = (&self.db, &self.site);
        let row = rsvp::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(RsvpError::NotFound)?;
        organisers_event(db, access, &PublicRef::Id(row.event_id)).await?;
        let now = Utc::now();
        let mut change = Change::begin(db, site, row.event_id).await?;
        let row = rsvp::Entity::find_by_id(id)
            .one(&change.txn.txn)
            .await?
            .ok_or(RsvpError::NotFound)?;
        let supporter = supporter::Entity::find_by_id(row.supporter_id)
            .one(&change.txn.txn)
            .await?
            .ok_or(RsvpError::NotFound)?;
        let status = row.status;
        let (new_status, template) = match (decision, status) {
            (Decision::Approve, RsvpStatus::PendingApproval) => {
                let mut seats = Seats::of(&change.event);
                seats.approval = false;
                let placed = seats.place(None, 1 + row.guests)?;
                let template = if placed == RsvpStatus::Going {
                    Template::RsvpApproved
                } else {
                    Template::RsvpWaitlisted
                };
                (placed, Some(template))
            }
            (Decision::Approve, RsvpStatus::Going | RsvpStatus::Waitlisted) => (status, None),
            (Decision::Approve, _) => {
                return Err(RsvpError::WrongState(
                    "only an RSVP awaiting approval can be approved",
                ));
            }
            (Decision::Decline, RsvpStatus::Declined) => (status, None),
            (Decision::Decline, RsvpStatus::Cancelled) => {
                return Err(RsvpError::WrongState("the supporter cancelled this RSVP"));
            }
            (Decision::Decline, _) => (RsvpStatus::Declined, Some(Template::RsvpDeclined)),
            (Decision::CheckIn, RsvpStatus::Going) => (status, None),
            (Decision::CheckIn, _) => {
                return Err(RsvpError::WrongState(
                    "only someone going can be checked in",
                ));
            }
            (Decision::UndoCheckIn, _) => (status, None),
        };
        change.recount(held(status, row.guests), held(new_status, row.guests));
        let mut active: rsvp::ActiveModel = row.into();
        if new_status != status {
            active.status = Set(new_status);
            active.waitlisted_at = Set((new_status == RsvpStatus::Waitlisted).then_some(now));
            active.updated_at = Set(now);
        }
        if decision == Decision::CheckIn && active.checked_in_at.as_ref().is_none() {
            active.checked_in_at = Set(Some(now));
            active.updated_at = Set(now);
        }
        if decision == Decision::UndoCheckIn && active.checked_in_at.as_ref().is_some() {
            active.checked_in_at = Set(None);
            active.updated_at = Set(now);
        }
        let row = active.update(&change.txn.txn).await?;
        if let Some(template) = template {
            change.tell(template, &supporter, &row);
        }
        change.promote_from_waitlist().await?;
        change.commit().await?;
        Ok(attendee(row, &supporter))
    }

    /// A page of an event's attendees, in order of arrival.
    pub async fn attendees(
        &self,
        access: &Access,
        event: &PublicRef,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<Attendee>, RsvpError> {
        let query = attendees_of(&self.db, access, event).await?;
        let page = content::page(&self.db, query, Order::OldestFirst, limit, cursor).await?;
        Ok(page.read(|rows| with_supporters(&self.db, rows)).await?)
    }

    /// The people going to an event whose name holds `query`, for the door: by
    /// name, at most `limit`. An empty query lists them all, by name.
    ///
    /// Case and accents are folded on both sides ("emile" finds "Émile", "GOMEZ"
    /// finds "Gómez"). Neither database folds accents without an extension
    /// (SQLite's `LOWER` folds ASCII alone), and a folded column would have to
    /// follow every change and erasure of a name; so the names of those going are
    /// read (two short columns) and folded here, and only the people found are read
    /// whole. `benches/door.rs` measures it over 2,000 attendees.
    pub async fn door_search(
        &self,
        access: &Access,
        event: &PublicRef,
        query: &str,
        limit: u64,
    ) -> Result<Vec<Attendee>, RsvpError> {
        use sea_orm::JoinType;
        use sea_orm::sea_query::Func;
        let event = organisers_event(&self.db, access, event).await?;
        let names: Vec<(Uuid, Option<String>)> = rsvp::Entity::find()
            .select_only()
            .column(rsvp::Column::Id)
            .expr_as(
                Func::coalesce([
                    Expr::col((rsvp::Entity, rsvp::Column::Name)),
                    Expr::col((supporter::Entity, supporter::Column::Name)),
                ]),
                "name",
            )
            .join(JoinType::InnerJoin, RsvpSupporter.def())
            .filter(rsvp::Column::EventId.eq(event.id))
            .filter(rsvp::Column::Status.eq(RsvpStatus::Going))
            .into_tuple()
            .all(&self.db)
            .await?;
        let wanted = fold(query.trim());
        let mut found: Vec<(String, Uuid)> = names
            .into_iter()
            .map(|(id, name)| (fold(name.as_deref().unwrap_or_default()), id))
            .filter(|(name, _)| name.contains(&wanted))
            .collect();
        found.sort_unstable();
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let order: HashMap<Uuid, usize> = found
            .iter()
            .enumerate()
            .map(|(at, (_, id))| (*id, at))
            .collect();
        let rows = rsvp::Entity::find()
            .filter(rsvp::Column::Id.is_in(order.keys().copied()))
            .all(&self.db)
            .await?;
        let mut attendees = with_supporters(&self.db, rows).await?;
        attendees.sort_by_key(|a| order.get(&a.row.id).copied());
        Ok(attendees)
    }

    /// An event's counts, which every member of its organisation may see (viewers
    /// too: they hold no personal data).
    pub async fn tally(&self, access: &Access, event: &PublicRef) -> Result<Tally, RsvpError> {
        use sea_orm::sea_query::ExprTrait as _;
        let event = content::find::<event::Entity>(&self.db, event)
            .await?
            .ok_or(RsvpError::NoSuchEvent)?;
        if !access.can(event.organisation_id, Role::Viewer) {
            organisers_event(&self.db, access, &PublicRef::Id(event.id)).await?;
        }
        let rows: Vec<(RsvpStatus, bool, i64, i64)> = rsvp::Entity::find()
            .select_only()
            .column(rsvp::Column::Status)
            .column_as(rsvp::Column::CheckedInAt.is_not_null(), "arrived")
            .column_as(rsvp::Column::Id.count(), "people")
            .column_as(rsvp::Column::Guests.sum(), "guests")
            .filter(rsvp::Column::EventId.eq(event.id))
            .group_by(rsvp::Column::Status)
            .group_by(Expr::col(rsvp::Column::CheckedInAt).is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut tally = Tally {
            capacity: event.capacity,
            ..Tally::default()
        };
        for (status, arrived, people, guests) in rows {
            let count = match status {
                RsvpStatus::Going => &mut tally.going,
                RsvpStatus::Waitlisted => &mut tally.waitlisted,
                RsvpStatus::PendingApproval => &mut tally.pending,
                RsvpStatus::Declined => &mut tally.declined,
                RsvpStatus::Cancelled => &mut tally.cancelled,
            };
            count.people += people;
            count.guests += guests;
            if arrived && status == RsvpStatus::Going {
                tally.arrived += people + guests;
            }
        }
        Ok(tally)
    }

    /// Every attendee of an event, in order of arrival.
    pub async fn all_attendees(
        &self,
        access: &Access,
        event: &PublicRef,
    ) -> Result<Vec<Attendee>, RsvpError> {
        let query = attendees_of(&self.db, access, event).await?;
        let rows = content::all(&self.db, query, Order::OldestFirst).await?;
        Ok(with_supporters(&self.db, rows).await?)
    }
}

impl Attendees for Rsvps {
    fn tell<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        event: &'a event::Model,
        news: EventNews,
    ) -> BoxFuture<'a, Result<usize, DbErr>> {
        Box::pin(tell_attendees(txn, &self.site, event, news))
    }

    fn seats_added(&self, event_id: Uuid) -> BoxFuture<'_, Result<(), DbErr>> {
        Box::pin(capacity_changed(&self.db, &self.site, event_id))
    }
}

/// People and their guests in one status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub people: i64,
    pub guests: i64,
}

impl Count {
    /// Seats: the people and their guests.
    pub fn seats(&self) -> i64 {
        self.people + self.guests
    }
}

/// An event's RSVPs counted by status, and the arrivals at its door.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub capacity: Option<i32>,
    pub going: Count,
    pub waitlisted: Count,
    pub pending: Count,
    pub declined: Count,
    pub cancelled: Count,
    /// Seats of those going who were checked in (each with their guests).
    pub arrived: i64,
}

/// An RSVP's supporter, for a join (the entity declares no relation).
struct RsvpSupporter;

impl RsvpSupporter {
    fn def(&self) -> sea_orm::RelationDef {
        use sea_orm::EntityTrait as _;
        rsvp::Entity::belongs_to(supporter::Entity)
            .from(rsvp::Column::SupporterId)
            .to(supporter::Column::Id)
            .into()
    }
}

/// The ids of published events by the id or slug RSVPs name them with, trusted for
/// a second: the group's writer checks each event itself, under its lock.
pub type EventIds = crate::moment::MomentCache<Uuid>;

/// An empty [`EventIds`].
pub fn event_ids() -> EventIds {
    crate::moment::MomentCache::new(std::time::Duration::from_secs(1), &crate::db::LOCAL_CHANGES)
}

/// One RSVP to place.
#[derive(Debug, Clone)]
pub struct Placing {
    event_id: Uuid,
    form: RsvpForm,
    taker: Taker,
}

/// A placed RSVP and whether it is new, or why it was refused.
type Placed = Result<Taken, RsvpError>;

/// What became of one RSVP.
#[derive(Debug)]
pub enum Taken {
    /// A new RSVP (or a cancelled one placed again, with a new link).
    Created(Rsvp),
    /// This address's RSVP, changed by an organiser.
    Changed(Rsvp),
    /// The address had already answered: nothing changed, and its manage link went
    /// to it by email.
    AlreadyAnswered(RsvpStatus),
}

/// An RSVP placed in memory, to write: the row after it, and whether it made it.
struct Accepted {
    job: usize,
    row: rsvp::Model,
    status: RsvpStatus,
    created: bool,
    /// A cancelled RSVP placed again by a supporter: new to whoever sent it.
    reopened: bool,
}

/// Places supporters' RSVPs in groups (see [`crate::db::group`]): the RSVPs
/// waiting for an event are placed under one lock of its row, in one transaction.
pub struct Placer {
    site: Site,
}

/// Where supporters' RSVPs are handed in.
pub type Intake = GroupWriter<Placer>;

impl Batch for Placer {
    type Job = Placing;
    type Answer = Placed;

    async fn write(&self, db: &DatabaseConnection, jobs: &[Placing]) -> Result<Vec<Placed>, DbErr> {
        let txn = crate::db::begin_write(db).await?;
        match place_all(txn, &self.site, jobs).await {
            Ok((txn, placed)) => {
                txn.commit().await?;
                Ok(placed)
            }
            Err(RsvpError::Db(e)) => Err(e),
            // The event went between its lookup and its lock; nothing was written.
            Err(e) if jobs.len() == 1 => Ok(vec![Err(e)]),
            Err(e) => Err(DbErr::Custom(e.to_string())),
        }
    }

    fn failed(&self, error: DbErr) -> Placed {
        Err(error.into())
    }
}

/// Place RSVPs in one transaction, as if one after another. Each event's row is
/// locked once for all of its RSVPs (events in id order, so that two groups on
/// PostgreSQL take their locks in the same order); seats are counted in memory, and
/// a refused RSVP writes nothing, not even its supporter.
async fn place_all(
    txn: crate::db::WriteTransaction,
    site: &Site,
    jobs: &[Placing],
) -> Result<(crate::db::WriteTransaction, Vec<Placed>), RsvpError> {
    let mut event_ids: Vec<Uuid> = jobs.iter().map(|job| job.event_id).collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    let mut placed: Vec<Option<Placed>> = jobs.iter().map(|_| None).collect();
    let mut txn = txn;
    for event_id in event_ids {
        let mut change = Change::lock(txn, site, event_id).await?;
        let mine: Vec<usize> = (0..jobs.len())
            .filter(|&i| jobs[i].event_id == event_id)
            .collect();
        for (i, answer) in change.place(jobs, &mine).await? {
            placed[i] = Some(answer);
        }
        txn = change.release().await?;
    }
    Ok((
        txn,
        placed
            .into_iter()
            .map(|p| p.unwrap_or(Err(RsvpError::NoSuchEvent)))
            .collect(),
    ))
}

/// The email that confirms an RSVP's state.
fn confirmation(status: RsvpStatus) -> Template {
    match status {
        RsvpStatus::Going => Template::RsvpGoing,
        RsvpStatus::Waitlisted => Template::RsvpWaitlisted,
        RsvpStatus::PendingApproval => Template::RsvpPending,
        RsvpStatus::Declined | RsvpStatus::Cancelled => Template::RsvpDeclined,
    }
}

/// Refuse RSVPs to drafts, cancelled, ended or closed events.
fn check_open(event: &event::Model, now: DateTime<Utc>, taker: Taker) -> Result<(), RsvpError> {
    match event.status {
        EventStatus::Published => {}
        EventStatus::Cancelled => return Err(RsvpError::EventCancelled),
        _ if taker == Taker::Supporter => return Err(RsvpError::NoSuchEvent),
        _ => return Err(RsvpError::NotPublished),
    }
    if taker == Taker::Supporter && closure(event.ends_at_utc, event.rsvp_closes_at, now).is_some()
    {
        return Err(RsvpError::Closed);
    }
    Ok(())
}

/// Why a published event takes no more RSVPs from supporters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    Ended,
    DeadlinePassed,
}

/// Whether supporters may still RSVP at `now`: the one rule the service enforces
/// and the event page shows (which once disagreed at the very instant of the end).
/// An event that ends, or whose RSVPs close, at `now` takes none.
pub fn closure(
    ends_at: DateTime<Utc>,
    rsvp_closes_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<Closure> {
    if ends_at <= now {
        Some(Closure::Ended)
    } else if rsvp_closes_at.is_some_and(|closes| closes <= now) {
        Some(Closure::DeadlinePassed)
    } else {
        None
    }
}

/// The name of the organisation that owns an event, for its emails.
async fn organisation_name(
    db: &impl ConnectionTrait,
    event: &event::Model,
) -> Result<String, DbErr> {
    Ok(organisation::Entity::find_by_id(event.organisation_id)
        .one(db)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}

/// An RSVP by its manage token, with its supporter.
async fn by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<(rsvp::Model, supporter::Model), RsvpError> {
    let id = links::rsvp_of(db, token)
        .await?
        .ok_or(RsvpError::NotFound)?;
    let row = rsvp::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(RsvpError::NotFound)?;
    let supporter = supporter::Entity::find_by_id(row.supporter_id)
        .one(db)
        .await?
        .ok_or(RsvpError::NotFound)?;
    Ok((row, supporter))
}

/// What an organiser does with one RSVP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Decline,
    CheckIn,
    /// Take back a check-in made by mistake.
    UndoCheckIn,
}

/// An event whose attendees this organiser may see: its own organisation's or that
/// of a co-host that accepted, with a role that sees personal data.
/// The RSVPs to an event, for its organisers.
async fn attendees_of(
    db: &DatabaseConnection,
    access: &Access,
    event: &PublicRef,
) -> Result<Select<rsvp::Entity>, RsvpError> {
    let event = organisers_event(db, access, event).await?;
    Ok(rsvp::Entity::find().filter(rsvp::Column::EventId.eq(event.id)))
}

async fn organisers_event(
    db: &DatabaseConnection,
    access: &Access,
    event: &PublicRef,
) -> Result<event::Model, RsvpError> {
    let event = content::find::<event::Entity>(db, event)
        .await?
        .ok_or(RsvpError::NoSuchEvent)?;
    if access.can(event.organisation_id, Role::Organiser) {
        return Ok(event);
    }
    let hosts = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(event.id))
        .filter(event_host::Column::AcceptedAt.is_not_null())
        .all(db)
        .await?;
    if hosts
        .iter()
        .any(|h| access.can(h.organisation_id, Role::Organiser))
    {
        return Ok(event);
    }
    Err(RsvpError::Forbidden)
}

/// Tell everyone with a live RSVP that an event changed or was cancelled, in the
/// transaction of that change. Those going get the new calendar entry (a higher
/// SEQUENCE, or METHOD:CANCEL).
async fn tell_attendees(
    txn: &DatabaseTransaction,
    site: &Site,
    event: &event::Model,
    news: EventNews,
) -> Result<usize, DbErr> {
    let rows = rsvp::Entity::find()
        .filter(rsvp::Column::EventId.eq(event.id))
        .filter(rsvp::Column::Status.is_in([
            RsvpStatus::Going.as_str(),
            RsvpStatus::Waitlisted.as_str(),
            RsvpStatus::PendingApproval.as_str(),
        ]))
        .all(txn)
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let supporters: HashMap<Uuid, supporter::Model> = supporter::Entity::find()
        .filter(supporter::Column::Id.is_in(rows.iter().map(|r| r.supporter_id)))
        .filter(supporter::Column::ErasedAt.is_null())
        .all(txn)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let organisation_name = organisation_name(txn, event).await?;
    let mail = EventMail {
        event,
        organisation_name: &organisation_name,
        site,
    };
    let (template, method) = match news {
        EventNews::Changed { .. } => (Template::EventChanged, Method::Publish),
        EventNews::Cancelled { .. } => (Template::EventCancelled, Method::Cancel),
    };
    let calendar = mail.calendar(method);
    let mut emails = Vec::with_capacity(rows.len());
    let mut links = LinkBook::default();
    for row in rows {
        let Some(supporter) = supporters.get(&row.supporter_id) else {
            continue;
        };
        let locale = mail.locale(row.locale.or(supporter.locale));
        let mut context = json!({
            "event": mail.context(locale),
            "rsvp": {
                "guests": row.guests,
                "manage_url": links.manage_url(site, row.id),
            },
        });
        match &news {
            EventNews::Changed { previous } => {
                let before = EventMail {
                    event: previous,
                    organisation_name: &organisation_name,
                    site,
                };
                context["previous_when"] = before.when(locale).into();
                context["previous_where"] = crate::email::event::where_text(previous).into();
            }
            EventNews::Cancelled { reason } => {
                context["reason"] = reason.clone().unwrap_or_default().into();
            }
        }
        let going = row.status == RsvpStatus::Going;
        context["calendar_attached"] = (going && calendar.is_some()).into();
        emails.push(OutgoingEmail {
            to_address: supporter.email.to_string(),
            to_name: supporter.name.clone(),
            template,
            locale,
            context,
            calendar: going.then(|| calendar.clone()).flatten(),
            unsubscribe_url: None,
            organisation_id: Some(event.organisation_id),
        });
    }
    links.write(txn).await?;
    outbox::enqueue(txn, site, emails).await
}

/// After an organiser raised an event's capacity (or lifted it), give the new seats
/// to the waitlist, in a transaction of its own that takes the event's lock.
async fn capacity_changed(
    db: &DatabaseConnection,
    site: &Site,
    event_id: Uuid,
) -> Result<(), DbErr> {
    let mut change = match Change::begin(db, site, event_id).await {
        Ok(change) => change,
        Err(RsvpError::Db(e)) => return Err(e),
        // Deleted meanwhile: no waitlist left to serve.
        Err(_) => return Ok(()),
    };
    if change.event.status == EventStatus::Published {
        change.promote_from_waitlist().await?;
    }
    change.commit().await
}

/// How long before the start reminders go out.
pub const REMINDER_BEFORE: Duration = Duration::hours(24);

/// Queue the reminders due now: one per going RSVP, 24 hours before the start, for
/// RSVPs made before that (someone who RSVPs an hour before has just had their
/// confirmation). Each RSVP is marked in the transaction that queues its reminder,
/// by a conditional update, so across restarts and workers it is queued once.
#[tracing::instrument(skip_all)]
pub async fn queue_reminders(
    db: &DatabaseConnection,
    site: &Site,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let events = event::Entity::find()
        .filter(event::Column::Status.eq(EventStatus::Published))
        .filter(event::Column::StartsAtUtc.gt(now))
        .filter(event::Column::StartsAtUtc.lte(now + REMINDER_BEFORE))
        .all(db)
        .await?;
    let mut queued = 0;
    for event in events {
        let due = rsvp::Entity::find()
            .filter(rsvp::Column::EventId.eq(event.id))
            .filter(rsvp::Column::Status.eq(RsvpStatus::Going))
            .filter(rsvp::Column::RemindedAt.is_null())
            .filter(rsvp::Column::CreatedAt.lte(event.starts_at_utc - REMINDER_BEFORE))
            .all(db)
            .await?;
        if due.is_empty() {
            continue;
        }
        let organisation_name = organisation_name(db, &event).await?;
        let mail = EventMail {
            event: &event,
            organisation_name: &organisation_name,
            site,
        };
        for row in due {
            let txn = crate::db::begin_write(db).await?;
            let marked = rsvp::Entity::update_many()
                .col_expr(rsvp::Column::RemindedAt, Expr::value(Some(now)))
                .filter(rsvp::Column::Id.eq(row.id))
                .filter(rsvp::Column::RemindedAt.is_null())
                .exec(&txn.txn)
                .await?;
            if marked.rows_affected == 0 {
                // Another worker took it.
                continue;
            }
            let supporter = supporter::Entity::find_by_id(row.supporter_id)
                .one(&txn.txn)
                .await?
                .filter(|s| s.erased_at.is_none() && s.unsubscribed_at.is_none());
            if let Some(supporter) = supporter {
                let locale = mail.locale(row.locale.or(supporter.locale));
                let mut links = LinkBook::default();
                let email = OutgoingEmail {
                    to_address: supporter.email.to_string(),
                    to_name: supporter.name.clone(),
                    template: Template::EventReminder,
                    locale,
                    context: json!({
                        "event": mail.context(locale),
                        "rsvp": {
                            "guests": row.guests,
                            "manage_url": links.manage_url(site, row.id),
                        },
                    }),
                    calendar: None,
                    // A reminder is a courtesy, not a receipt: one click turns them off.
                    unsubscribe_url: Some(crate::consent::organisation_unsubscribe_url(
                        site,
                        event.organisation_id,
                        supporter.id,
                    )),
                    organisation_id: Some(event.organisation_id),
                };
                links.write(&txn.txn).await?;
                queued += outbox::enqueue(&txn.txn, site, [email]).await?;
            }
            txn.commit().await?;
        }
    }
    Ok(queued)
}

/// The events in a supporter's own feed: those they are going to, published or
/// cancelled in the last 30 days, until 30 days after they end.
pub async fn feed_rows(
    db: &DatabaseConnection,
    supporter_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<event::Model>, DbErr> {
    let going: Vec<Uuid> = rsvp::Entity::find()
        .select_only()
        .column(rsvp::Column::EventId)
        .filter(rsvp::Column::SupporterId.eq(supporter_id))
        .filter(rsvp::Column::Status.eq(RsvpStatus::Going))
        .into_tuple()
        .all(db)
        .await?;
    let kept = Duration::days(CANCELLED_KEPT_DAYS);
    Ok(event::Entity::find()
        .filter(event::Column::Id.is_in(going))
        .filter(event::Column::EndsAtUtc.gt(now - kept))
        .order_by_asc(event::Column::StartsAtUtc)
        .all(db)
        .await?
        .into_iter()
        .filter(|e| match e.status {
            EventStatus::Published => true,
            EventStatus::Cancelled => e.cancelled_at.is_some_and(|at| at > now - kept),
            _ => false,
        })
        .collect())
}

/// The name an RSVP's organisers see: the one given with it; for RSVPs older than
/// that, the supporter's.
pub fn attendee_name(row: &rsvp::Model, supporter: &supporter::Model) -> String {
    row.name.clone().unwrap_or_else(|| supporter.name.clone())
}

fn attendee(row: rsvp::Model, supporter: &supporter::Model) -> Attendee {
    Attendee {
        name: attendee_name(&row, supporter),
        email: supporter.email.to_string(),
        row,
    }
}

/// A name as the door compares it: without accents or case ("Émile" → "emile").
fn fold(name: &str) -> String {
    deunicode::deunicode(name).to_lowercase()
}

/// Attendees with their supporters, in one query for all of them.
async fn with_supporters(
    db: &DatabaseConnection,
    rows: Vec<rsvp::Model>,
) -> Result<Vec<Attendee>, DbErr> {
    let supporters =
        content::by_id::<supporter::Entity>(db, rows.iter().map(|r| r.supporter_id)).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let s = supporters.get(&r.supporter_id)?;
            Some(attendee(r, s))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsvps_close_at_the_instant_the_event_ends_or_the_deadline_falls() {
        let now = Utc::now();
        let hour = chrono::Duration::hours(1);
        assert_eq!(closure(now + hour, None, now), None);
        assert_eq!(closure(now, None, now), Some(Closure::Ended));
        assert_eq!(
            closure(now - hour, Some(now + hour), now),
            Some(Closure::Ended)
        );
        assert_eq!(
            closure(now + hour, Some(now), now),
            Some(Closure::DeadlinePassed)
        );
        assert_eq!(closure(now + hour, Some(now + hour), now), None);
    }

    fn seats(capacity: Option<i32>, going: i32, waitlist: bool) -> Seats {
        Seats {
            capacity,
            going,
            waitlist,
            approval: false,
        }
    }

    #[test]
    fn a_party_goes_while_it_fits_then_waits() {
        let s = seats(Some(10), 7, true);
        assert_eq!(s.place(None, 3).unwrap(), RsvpStatus::Going);
        assert_eq!(s.place(None, 4).unwrap(), RsvpStatus::Waitlisted);
        assert!(matches!(
            seats(Some(10), 10, false).place(None, 1),
            Err(RsvpError::Full)
        ));
        assert_eq!(
            seats(None, 500, false).place(None, 21).unwrap(),
            RsvpStatus::Going
        );
    }

    #[test]
    fn more_guests_than_free_seats_keeps_the_seat_held() {
        let s = seats(Some(10), 9, true);
        // Holding 2 of the 9: asking for 3 fits, asking for 4 does not.
        assert_eq!(
            s.place(Some((RsvpStatus::Going, 2)), 3).unwrap(),
            RsvpStatus::Going
        );
        assert!(matches!(
            s.place(Some((RsvpStatus::Going, 2)), 4),
            Err(RsvpError::NotEnoughSeats(4))
        ));
    }

    #[test]
    fn approval_events_hold_new_answers_for_the_organisers() {
        let mut s = seats(Some(10), 0, false);
        s.approval = true;
        assert_eq!(s.place(None, 1).unwrap(), RsvpStatus::PendingApproval);
        assert_eq!(
            s.place(Some((RsvpStatus::Going, 1)), 2).unwrap(),
            RsvpStatus::Going
        );
        assert!(matches!(
            s.place(Some((RsvpStatus::Declined, 1)), 1),
            Err(RsvpError::Declined)
        ));
    }
}
