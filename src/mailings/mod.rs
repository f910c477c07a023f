//! Mailings (issue 19, points 2 and 3): an organisation writes to an audience, a
//! subject and a Markdown body per language, and Turnout sends one email to each
//! person in it through the outbox.
//!
//! A mailing is a draft until sent. Sending queues it (now, or the background jobs
//! do at its time): in one transaction its status moves on only if it still was a
//! draft or due, and its emails are written, one outbox row per address (a unique
//! index holds that), so two workers or two clicks can never queue it twice. From
//! then on the outbox's own rules hold: each row is sent once, retried while the
//! SMTP server is away, never to a suppressed address. The rows keep no copy of the
//! letter: the worker reads it once per mailing ([`Letter`]).
//!
//! Who is in an audience is [`audience`]'s business: the organisation's consenting
//! subscribers, or an event's attendees (who may be written to about that event), or
//! the consenting among a petition's signers or a fundraiser's donors.

pub mod api;
pub mod audience;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QuerySelect, sea_query::Expr,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::access::{Access, Role};
use crate::content::{self, Checks, ContentError, Cursor, Limit, Order, Page, through_content};
use crate::domain::{Email, InvalidField, Locale, required_text};
use crate::email::{
    Site,
    outbox::{self, OutgoingEmail, Status as EmailStatus},
    render::Template,
};
pub use audience::{Audience, AudienceAsked, Recipient};
pub use entity::values::MailingStatus;
use entity::{mailing, membership, organisation, organiser, outbox_email};

/// The longest subject, in characters: mail clients show about 60.
pub const SUBJECT_MAX: usize = 200;
/// The longest body, in characters of Markdown.
pub const BODY_MAX: usize = 100_000;
/// Recipients read and queued at a time.
const QUEUE_PAGE: u64 = 2_000;

/// Why a mailing could not be read, written or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailingError {
    /// Invalid fields, no such mailing, another organisation's, a viewer.
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error("{}", .0.message())]
    NotNow(NotNow),
}

through_content!(MailingError);

/// Why a mailing cannot do what was asked, now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotNow {
    /// Only a draft may be changed or deleted.
    NotDraft,
    /// Sending is for drafts (and scheduled mailings, to send them now).
    AlreadySent,
    /// A mailing sent, or cancelled, has nothing left to stop.
    Over,
    /// Nobody is in the audience.
    NobodyToSend,
}

impl NotNow {
    /// The API's words.
    pub fn message(self) -> &'static str {
        match self {
            Self::NotDraft => "only a draft mailing can be changed or deleted",
            Self::AlreadySent => "this mailing has been sent or cancelled already",
            Self::Over => "this mailing has finished; there is nothing left to cancel",
            Self::NobodyToSend => "nobody is in this mailing's audience",
        }
    }

    /// A stable name, for pages to choose their words by.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotDraft => "not_draft",
            Self::AlreadySent => "already_sent",
            Self::Over => "over",
            Self::NobodyToSend => "nobody_to_send",
        }
    }
}

impl MailingError {
    /// A stable name for the kind of refusal, for pages to choose their words by.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Content(e) => e.code(),
            Self::NotNow(n) => n.code(),
        }
    }
}

/// Text given per language, as asked: each may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerLanguage {
    pub en: Option<String>,
    pub es: Option<String>,
    pub fr: Option<String>,
}

impl PerLanguage {
    fn get(&self, locale: Locale) -> Option<&str> {
        match locale {
            Locale::En => self.en.as_deref(),
            Locale::Es => self.es.as_deref(),
            Locale::Fr => self.fr.as_deref(),
        }
        .filter(|text| !text.trim().is_empty())
    }
}

/// One language's version of a mailing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub locale: Locale,
    /// One line.
    pub subject: String,
    /// Markdown.
    pub body: String,
}

/// What a mailing says, in each language it is written in: at least one, each with
/// a subject and a body, in the order en, es, fr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letters(Vec<Version>);

impl Letters {
    /// Check a subject and a body per language, noting each refusal in `checks`
    /// under `subject.es`, `body.es` and so on.
    pub fn parse(subject: &PerLanguage, body: &PerLanguage, checks: &mut Checks) -> Option<Self> {
        let mut versions = Vec::new();
        let mut clean = true;
        for locale in Locale::ALL {
            let field = |part: &str| format!("{part}.{}", locale.as_str());
            match (subject.get(locale), body.get(locale)) {
                (None, None) => {}
                (Some(_), None) => {
                    checks.note(InvalidField::required(
                        field("body"),
                        "a language with a subject needs a body",
                    ));
                    clean = false;
                }
                (None, Some(_)) => {
                    checks.note(InvalidField::required(
                        field("subject"),
                        "a language with a body needs a subject",
                    ));
                    clean = false;
                }
                (Some(s), Some(b)) => {
                    let s = checks.check(one_line(&field("subject"), s));
                    let b = checks.check(required_text(&field("body"), b, BODY_MAX));
                    match s.zip(b) {
                        Some((subject, body)) => versions.push(Version {
                            locale,
                            subject,
                            body,
                        }),
                        None => clean = false,
                    }
                }
            }
        }
        if versions.is_empty() && clean {
            checks.note(InvalidField::required(
                "subject.en",
                "write the mailing in at least one language",
            ));
            return None;
        }
        clean.then_some(Self(versions))
    }

    pub fn versions(&self) -> &[Version] {
        &self.0
    }

    /// The version for someone who chose `wanted`: theirs if written, else the
    /// `fallback` (the organisation's language), else the first written.
    pub fn for_reader(&self, wanted: Option<Locale>, fallback: Locale) -> &Version {
        let find = |locale: Locale| self.0.iter().find(|v| v.locale == locale);
        wanted
            .and_then(find)
            .or_else(|| find(fallback))
            .unwrap_or(&self.0[0])
    }

    fn to_json(&self) -> (String, String) {
        let mut subject = serde_json::Map::new();
        let mut body = serde_json::Map::new();
        for v in &self.0 {
            subject.insert(v.locale.as_str().into(), v.subject.clone().into());
            body.insert(v.locale.as_str().into(), v.body.clone().into());
        }
        (
            Value::Object(subject).to_string(),
            Value::Object(body).to_string(),
        )
    }

    /// As stored; a row that does not hold at least one version reads as empty text
    /// rather than failing (it never happens: every write goes through `parse`).
    pub fn of_row(row: &mailing::Model) -> Self {
        let subject = per_language(&row.subject);
        let body = per_language(&row.body);
        let versions: Vec<Version> = Locale::ALL
            .into_iter()
            .filter_map(|locale| {
                Some(Version {
                    locale,
                    subject: subject.get(locale)?.to_owned(),
                    body: body.get(locale)?.to_owned(),
                })
            })
            .collect();
        if versions.is_empty() {
            return Self(vec![Version {
                locale: Locale::En,
                subject: String::new(),
                body: String::new(),
            }]);
        }
        Self(versions)
    }
}

/// The stored JSON of a subject or a body.
pub fn per_language(json: &str) -> PerLanguage {
    let value: Value = serde_json::from_str(json).unwrap_or_default();
    let get = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    PerLanguage {
        en: get("en"),
        es: get("es"),
        fr: get("fr"),
    }
}

/// A subject: one line, not empty, not too long.
fn one_line(field: &str, raw: &str) -> Result<String, InvalidField> {
    if raw.contains(['\r', '\n']) {
        return Err(InvalidField::control(field));
    }
    required_text(field, raw, SUBJECT_MAX)
}

/// A mailing to write, as asked.
#[derive(Debug, Clone, Default)]
pub struct NewMailing {
    /// The organisation's slug; may be left out by an organiser of only one.
    pub organisation: Option<String>,
    pub audience: AudienceAsked,
    pub subject: PerLanguage,
    pub body: PerLanguage,
    pub reply_to: Option<String>,
}

/// Changes to a draft: each `None` keeps that part.
#[derive(Debug, Clone, Default)]
pub struct MailingChanges {
    pub audience: Option<AudienceAsked>,
    pub subject: Option<PerLanguage>,
    pub body: Option<PerLanguage>,
    /// `Some(None)` takes the reply address away.
    pub reply_to: Option<Option<String>>,
}

/// A mailing, with its organisation and its figures as they stand.
#[derive(Debug, Clone)]
pub struct Mailing {
    pub row: mailing::Model,
    pub organisation: String,
    pub audience: Audience,
    pub letters: Letters,
    pub figures: Figures,
}

/// How a mailing went, so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// For a draft or a scheduled mailing: how many the audience reaches now.
    pub recipients: u64,
    pub sent: u64,
    pub failed: u64,
    /// Still in the outbox.
    pub waiting: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
}

/// Mailings: writing, counting, sending, stopping.
#[derive(Clone)]
pub struct Mailings {
    db: DatabaseConnection,
    site: Site,
}

impl Mailings {
    pub fn new(db: DatabaseConnection, site: Site) -> Self {
        Self { db, site }
    }

    /// Write a draft.
    pub async fn create(&self, access: &Access, new: NewMailing) -> Result<Mailing, MailingError> {
        let member = access.writable(new.organisation.as_deref())?;
        let organisation_id = member.organisation_id;
        let mut checks = Checks::default();
        let letters = Letters::parse(&new.subject, &new.body, &mut checks);
        let audience =
            audience::resolve(&self.db, organisation_id, &new.audience, &mut checks).await?;
        let reply_to = reply_to(new.reply_to.as_deref(), &mut checks);
        let ((letters, audience), reply_to) = checks.done(letters.zip(audience).zip(reply_to))?;
        let (subject, body) = letters.to_json();
        let now = Utc::now();
        let row = mailing::ActiveModel {
            id: Set(Uuid::now_v7()),
            organisation_id: Set(organisation_id),
            audience: Set(audience.to_json()),
            subject: Set(subject),
            body: Set(body),
            reply_to: Set(reply_to),
            status: Set(MailingStatus::Draft),
            send_at: Set(None),
            recipients: Set(0),
            sent: Set(0),
            failed: Set(0),
            bounced: Set(0),
            unsubscribed: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            started_at: Set(None),
            queued_through: Set(None),
            queued_at: Set(None),
            finished_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(self.shown(row).await?)
    }

    /// The mailings of the organiser's organisations (or of one, by slug), newest
    /// first.
    pub async fn list(
        &self,
        access: &Access,
        organisation: Option<&str>,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<Mailing>, MailingError> {
        let ids = match organisation {
            Some(slug) => {
                let member = access
                    .memberships
                    .iter()
                    .find(|m| m.slug == slug)
                    .ok_or(ContentError::Forbidden("organisation"))?;
                vec![member.organisation_id]
            }
            None => access.organisation_ids(),
        };
        let query = mailing::Entity::find().filter(mailing::Column::OrganisationId.is_in(ids));
        let page = content::page(&self.db, query, Order::NewestFirst, limit, cursor).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for row in page.items {
            items.push(self.shown(row).await?);
        }
        Ok(Page {
            items,
            next: page.next,
        })
    }

    /// One mailing, for any member of its organisation (a mailing holds no
    /// supporter's data, so viewers see it too).
    pub async fn get(&self, access: &Access, id: Uuid) -> Result<Mailing, MailingError> {
        let row = self.find_for(access, id, Role::Viewer).await?;
        Ok(self.shown(row).await?)
    }

    /// Change a draft.
    pub async fn change(
        &self,
        access: &Access,
        id: Uuid,
        changes: MailingChanges,
    ) -> Result<Mailing, MailingError> {
        let row = self.find_for(access, id, Role::Organiser).await?;
        if row.status != MailingStatus::Draft {
            return Err(MailingError::NotNow(NotNow::NotDraft));
        }
        let mut checks = Checks::default();
        let subject = changes
            .subject
            .unwrap_or_else(|| per_language(&row.subject));
        let body = changes.body.unwrap_or_else(|| per_language(&row.body));
        let letters = Letters::parse(&subject, &body, &mut checks);
        let audience = match &changes.audience {
            Some(asked) => audience::resolve(&self.db, row.organisation_id, asked, &mut checks)
                .await?
                .map(Some),
            None => Some(None),
        };
        let reply = match &changes.reply_to {
            Some(asked) => reply_to(asked.as_deref(), &mut checks).map(Some),
            None => Some(None),
        };
        let ((letters, audience), reply) = checks.done(letters.zip(audience).zip(reply))?;
        let (subject, body) = letters.to_json();
        let mut active: mailing::ActiveModel = row.into();
        active.subject = Set(subject);
        active.body = Set(body);
        if let Some(audience) = audience {
            active.audience = Set(audience.to_json());
        }
        if let Some(reply) = reply {
            active.reply_to = Set(reply);
        }
        active.updated_at = Set(Utc::now());
        let changed = mailing::Entity::update_many()
            .set(active)
            .filter(still_draft(id))
            .exec(&self.db)
            .await?;
        was_draft(changed.rows_affected)?;
        self.get(access, id).await
    }

    /// Delete a draft.
    pub async fn delete(&self, access: &Access, id: Uuid) -> Result<(), MailingError> {
        self.find_for(access, id, Role::Organiser).await?;
        let gone = mailing::Entity::delete_many()
            .filter(still_draft(id))
            .exec(&self.db)
            .await?;
        was_draft(gone.rows_affected)
    }

    /// Send the mailing as it stands to a member of its organisation, once per
    /// language it is written in, marked as a test. Only members: a test must not
    /// be a way to write to anyone at all.
    pub async fn send_test(
        &self,
        access: &Access,
        id: Uuid,
        email: &str,
    ) -> Result<usize, MailingError> {
        let row = self.find_for(access, id, Role::Organiser).await?;
        let address = Email::parse(email)?;
        let member = membership::Entity::find()
            .filter(membership::Column::OrganisationId.eq(row.organisation_id))
            .all(&self.db)
            .await?;
        let organisers = organiser::Entity::find()
            .filter(organiser::Column::Id.is_in(member.iter().map(|m| m.organiser_id)))
            .all(&self.db)
            .await?;
        let Some(to) = organisers.iter().find(|o| o.email.key() == address.key()) else {
            return Err(InvalidField::new(
                "email",
                "a test goes only to a member of the organisation",
            )
            .into());
        };
        let organisation = organisation::Entity::find_by_id(row.organisation_id)
            .one(&self.db)
            .await?
            .ok_or(ContentError::NotFound("organisation"))?;
        let letters = Letters::of_row(&row);
        let emails = letters.versions().iter().map(|version| OutgoingEmail {
            to_address: to.email.to_string(),
            to_name: to.name.clone().unwrap_or_default(),
            template: Template::Mailing,
            locale: version.locale,
            context: letter_context(&organisation, &row, version, true),
            calendar: None,
            unsubscribe_url: None,
            organisation_id: Some(row.organisation_id),
        });
        Ok(outbox::enqueue(&self.db, &self.site, emails).await?)
    }

    /// Send now (`at` none or past) or at a time to come.
    pub async fn send(
        &self,
        access: &Access,
        id: Uuid,
        at: Option<DateTime<Utc>>,
    ) -> Result<Mailing, MailingError> {
        let row = self.find_for(access, id, Role::Organiser).await?;
        if !matches!(row.status, MailingStatus::Draft | MailingStatus::Scheduled) {
            return Err(MailingError::NotNow(NotNow::AlreadySent));
        }
        let now = Utc::now();
        match at.filter(|at| *at > now) {
            Some(at) => {
                let scheduled = mailing::Entity::update_many()
                    .col_expr(
                        mailing::Column::Status,
                        Expr::value(MailingStatus::Scheduled),
                    )
                    .col_expr(mailing::Column::SendAt, Expr::value(Some(at)))
                    .col_expr(mailing::Column::UpdatedAt, Expr::value(now))
                    .filter(mailing::Column::Id.eq(id))
                    .filter(
                        mailing::Column::Status
                            .is_in([MailingStatus::Draft, MailingStatus::Scheduled]),
                    )
                    .exec(&self.db)
                    .await?;
                if scheduled.rows_affected == 0 {
                    return Err(MailingError::NotNow(NotNow::AlreadySent));
                }
            }
            None => {
                let audience = Audience::of_row(&row);
                // One row tells whether anyone is there; queueing reads them all.
                let anyone =
                    audience::recipients(&self.db, row.organisation_id, &audience, None, 1).await?;
                if anyone.is_empty() {
                    return Err(MailingError::NotNow(NotNow::NobodyToSend));
                }
                if self.queue(id, now, true).await?.is_none() {
                    return Err(MailingError::NotNow(NotNow::AlreadySent));
                }
            }
        }
        self.get(access, id).await
    }

    /// Stop a scheduled mailing, or one sending: what is still waiting in the
    /// outbox is taken out, and what a worker holds it drops unsent (it looks
    /// again before each email: see `Delivery`). Only sends already under way
    /// at the click still go.
    pub async fn cancel(&self, access: &Access, id: Uuid) -> Result<Mailing, MailingError> {
        let row = self.find_for(access, id, Role::Organiser).await?;
        if !matches!(
            row.status,
            MailingStatus::Draft | MailingStatus::Scheduled | MailingStatus::Sending
        ) {
            return Err(MailingError::NotNow(NotNow::Over));
        }
        let now = Utc::now();
        let txn = crate::db::begin_write(&self.db).await?;
        let stopped = mailing::Entity::update_many()
            .col_expr(
                mailing::Column::Status,
                Expr::value(MailingStatus::Cancelled),
            )
            .col_expr(mailing::Column::UpdatedAt, Expr::value(now))
            .filter(mailing::Column::Id.eq(id))
            .filter(mailing::Column::Status.is_in([
                MailingStatus::Draft,
                MailingStatus::Scheduled,
                MailingStatus::Sending,
            ]))
            .exec(&txn.txn)
            .await?;
        if stopped.rows_affected == 0 {
            return Err(MailingError::NotNow(NotNow::Over));
        }
        outbox_email::Entity::delete_many()
            .filter(outbox_email::Column::MailingId.eq(id))
            .filter(outbox_email::Column::Status.eq(EmailStatus::Pending))
            .exec(&txn.txn)
            .await?;
        txn.commit().await?;
        self.finish(id).await?;
        self.get(access, id).await
    }

    /// Send a mailing that is a draft, or scheduled and due (or scheduled at all,
    /// `at_once`): take it (one statement: of two workers or two clicks, one
    /// wins), then queue its emails. None when another took it first.
    async fn queue(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        at_once: bool,
    ) -> Result<Option<u64>, DbErr> {
        let due = if at_once {
            mailing::Column::Status.eq(MailingStatus::Scheduled)
        } else {
            mailing::Column::Status
                .eq(MailingStatus::Scheduled)
                .and(mailing::Column::SendAt.lte(now))
        };
        let taken = {
            let _turn = crate::db::write_turn(&self.db).await;
            mailing::Entity::update_many()
                .col_expr(mailing::Column::Status, Expr::value(MailingStatus::Sending))
                .col_expr(mailing::Column::StartedAt, Expr::value(Some(now)))
                .col_expr(mailing::Column::UpdatedAt, Expr::value(now))
                .filter(mailing::Column::Id.eq(id))
                .filter(
                    sea_orm::Condition::any()
                        .add(mailing::Column::Status.eq(MailingStatus::Draft))
                        .add(due),
                )
                .exec(&self.db)
                .await?
        };
        if taken.rows_affected == 0 {
            return Ok(None);
        }
        Ok(Some(self.fill(id, now).await?))
    }

    /// Write the emails of a sending mailing that are not queued yet, a page of
    /// recipients per transaction, from where the last page stopped; how many it
    /// was queued for in all. Each page moves the mailing's mark on only if no one
    /// else moved it first (and it still sends), so two fillers never queue one
    /// page twice, a cancel stops the next page, and a process that dies between
    /// pages leaves the rest to the next round's [`Self::queue_due`].
    async fn fill(&self, id: Uuid, now: DateTime<Utc>) -> Result<u64, DbErr> {
        loop {
            let txn = crate::db::begin_write(&self.db).await?;
            let Some(row) = mailing::Entity::find_by_id(id).one(&txn.txn).await? else {
                return Ok(0);
            };
            let queued = u64::try_from(row.recipients).unwrap_or(0);
            if row.status != MailingStatus::Sending || row.queued_at.is_some() {
                return Ok(queued);
            }
            let mark = |update: sea_orm::UpdateMany<mailing::Entity>| {
                update
                    .filter(mailing::Column::Id.eq(id))
                    .filter(mailing::Column::Status.eq(MailingStatus::Sending))
                    .filter(match row.queued_through {
                        Some(through) => mailing::Column::QueuedThrough.eq(through),
                        None => mailing::Column::QueuedThrough.is_null(),
                    })
            };
            let audience = Audience::of_row(&row);
            let page = audience::recipients(
                &txn.txn,
                row.organisation_id,
                &audience,
                row.queued_through,
                QUEUE_PAGE,
            )
            .await?;
            let Some(last) = page.last().map(|r| r.supporter_id) else {
                mark(mailing::Entity::update_many())
                    .col_expr(mailing::Column::QueuedAt, Expr::value(Some(now)))
                    .exec(&txn.txn)
                    .await?;
                txn.commit().await?;
                tracing::info!(mailing_id = %id, recipients = queued, "mailing queued");
                return Ok(queued);
            };
            let added = page.len();
            let moved = mark(mailing::Entity::update_many())
                .col_expr(mailing::Column::QueuedThrough, Expr::value(Some(last)))
                .col_expr(
                    mailing::Column::Recipients,
                    Expr::col(mailing::Column::Recipients)
                        .add(i32::try_from(added).unwrap_or(i32::MAX)),
                )
                .exec(&txn.txn)
                .await?;
            if moved.rows_affected == 0 {
                // Another filler took this page, or the mailing was cancelled:
                // look again.
                continue;
            }
            let organisation = organisation::Entity::find_by_id(row.organisation_id)
                .one(&txn.txn)
                .await?;
            let fallback = organisation.map_or(Locale::En, |o| o.language);
            let letters = Letters::of_row(&row);
            let rows = page.into_iter().map(|person| {
                let locale = letters.for_reader(person.locale, fallback).locale;
                outbox::mailing_row(
                    &self.site,
                    outbox::MailingEmail {
                        mailing_id: id,
                        organisation_id: row.organisation_id,
                        unsubscribe_url: format!(
                            "{}?mailing={id}",
                            crate::consent::organisation_unsubscribe_url(
                                &self.site,
                                row.organisation_id,
                                person.supporter_id,
                            )
                        ),
                        to_address: person.email,
                        to_name: person.name,
                        locale,
                    },
                    now,
                )
            });
            crate::db::insert_in_chunks(&txn.txn, rows).await?;
            txn.commit().await?;
        }
    }

    /// Queue every scheduled mailing that is due, and finish queueing any whose
    /// queueing stopped half way (the background jobs' part).
    pub async fn queue_due(&self, now: DateTime<Utc>) -> Result<usize, DbErr> {
        let due: Vec<Uuid> = mailing::Entity::find()
            .select_only()
            .column(mailing::Column::Id)
            .filter(mailing::Column::Status.eq(MailingStatus::Scheduled))
            .filter(mailing::Column::SendAt.lte(now))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut queued = 0;
        for id in due {
            if self.queue(id, now, false).await?.is_some() {
                queued += 1;
            }
        }
        let unfinished: Vec<Uuid> = mailing::Entity::find()
            .select_only()
            .column(mailing::Column::Id)
            .filter(mailing::Column::Status.eq(MailingStatus::Sending))
            .filter(mailing::Column::QueuedAt.is_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        for id in unfinished {
            self.fill(id, now).await?;
        }
        Ok(queued)
    }

    /// Mark sent the mailings whose every email has been sent or given up on, and
    /// keep their figures (the outbox's rows do not stay forever).
    pub async fn finish_done(&self) -> Result<usize, DbErr> {
        // Those sending, and those cancelled while a worker still held some of
        // their emails (it drops them unsent).
        let sending: Vec<Uuid> = mailing::Entity::find()
            .select_only()
            .column(mailing::Column::Id)
            .filter(
                sea_orm::Condition::any()
                    .add(mailing::Column::Status.eq(MailingStatus::Sending))
                    .add(
                        mailing::Column::Status
                            .eq(MailingStatus::Cancelled)
                            .and(mailing::Column::FinishedAt.is_null())
                            .and(mailing::Column::StartedAt.is_not_null()),
                    ),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut finished = 0;
        for id in sending {
            if self.finish(id).await? {
                finished += 1;
            }
        }
        Ok(finished)
    }

    /// Keep a mailing's figures once nothing of it waits in the outbox; a sending
    /// one is then sent. Whether it did.
    async fn finish(&self, id: Uuid) -> Result<bool, DbErr> {
        // Whether it is all queued is read before what waits: read after, a queue
        // filled between the two reads would pass for one with nothing left to
        // send, and the mailing would be marked sent with none of it sent. Every
        // page is committed before the mark that says so, so once the mark is
        // seen the count below sees all of them.
        let Some(row) = mailing::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(false);
        };
        if row.status == MailingStatus::Sending && row.queued_at.is_none() {
            return Ok(false);
        }
        let counts = outbox_counts(&self.db, id).await?;
        if counts.waiting > 0 {
            return Ok(false);
        }
        let now = Utc::now();
        let kept = |update: sea_orm::UpdateMany<mailing::Entity>| {
            update
                .col_expr(
                    mailing::Column::Sent,
                    Expr::value(i32::try_from(counts.sent).unwrap_or(i32::MAX)),
                )
                .col_expr(
                    mailing::Column::Failed,
                    Expr::value(i32::try_from(counts.failed).unwrap_or(i32::MAX)),
                )
                .col_expr(mailing::Column::FinishedAt, Expr::value(Some(now)))
                .col_expr(mailing::Column::UpdatedAt, Expr::value(now))
                .filter(mailing::Column::Id.eq(id))
        };
        let done = kept(mailing::Entity::update_many())
            .col_expr(mailing::Column::Status, Expr::value(MailingStatus::Sent))
            .filter(mailing::Column::Status.eq(MailingStatus::Sending))
            .filter(mailing::Column::QueuedAt.is_not_null())
            .exec(&self.db)
            .await?;
        kept(mailing::Entity::update_many())
            .filter(mailing::Column::Status.eq(MailingStatus::Cancelled))
            .filter(mailing::Column::FinishedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }

    /// Count an unsubscribe that came through a mailing's link: the supporter's
    /// consent to its organisation has just ended.
    pub async fn count_unsubscribe(
        &self,
        organisation_id: Uuid,
        mailing_id: Uuid,
    ) -> Result<(), DbErr> {
        mailing::Entity::update_many()
            .col_expr(
                mailing::Column::Unsubscribed,
                Expr::col(mailing::Column::Unsubscribed).add(1),
            )
            .filter(mailing::Column::Id.eq(mailing_id))
            .filter(mailing::Column::OrganisationId.eq(organisation_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// A mailing an organiser may act on with at least `role`: 404 when there is
    /// none, 403 when it is another organisation's.
    async fn find_for(
        &self,
        access: &Access,
        id: Uuid,
        role: Role,
    ) -> Result<mailing::Model, ContentError> {
        let row = mailing::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(ContentError::NotFound("mailing"))?;
        match access.role_in(row.organisation_id) {
            Some(r) if r >= role => Ok(row),
            Some(_) => Err(crate::access::AccessError::ReadOnly.into()),
            // Another organisation's mailing is as good as none: its existence is
            // theirs to know.
            None => Err(ContentError::NotFound("mailing")),
        }
    }

    /// A row as shown: its organisation, parts and figures.
    async fn shown(&self, row: mailing::Model) -> Result<Mailing, DbErr> {
        let organisation =
            content::slug_of::<entity::organisation::Entity>(&self.db, row.organisation_id).await?;
        let audience = Audience::of_row(&row);
        let figures = match row.status {
            MailingStatus::Draft | MailingStatus::Scheduled => Figures {
                recipients: audience::count(&self.db, row.organisation_id, &audience).await?,
                ..Figures::default()
            },
            // Counted from the outbox until its figures are kept.
            _ if row.finished_at.is_none() => {
                let counts = outbox_counts(&self.db, row.id).await?;
                Figures {
                    recipients: u64::try_from(row.recipients).unwrap_or(0),
                    bounced: u64::try_from(row.bounced).unwrap_or(0),
                    unsubscribed: u64::try_from(row.unsubscribed).unwrap_or(0),
                    ..counts
                }
            }
            _ => Figures {
                recipients: u64::try_from(row.recipients).unwrap_or(0),
                sent: u64::try_from(row.sent).unwrap_or(0),
                failed: u64::try_from(row.failed).unwrap_or(0),
                waiting: 0,
                bounced: u64::try_from(row.bounced).unwrap_or(0),
                unsubscribed: u64::try_from(row.unsubscribed).unwrap_or(0),
            },
        };
        Ok(Mailing {
            letters: Letters::of_row(&row),
            audience,
            organisation,
            figures,
            row,
        })
    }
}

/// The mailing `id` while it is still a draft: all a change or a deletion may
/// touch, so that a send that won the race keeps what it queued.
fn still_draft(id: Uuid) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(mailing::Column::Id.eq(id))
        .add(mailing::Column::Status.eq(MailingStatus::Draft))
}

/// A change or a deletion of a draft that touched no row: it was sent meanwhile.
fn was_draft(rows_affected: u64) -> Result<(), MailingError> {
    if rows_affected == 0 {
        return Err(MailingError::NotNow(NotNow::NotDraft));
    }
    Ok(())
}

/// A mailing's emails in the outbox, by how they stand.
async fn outbox_counts(db: &impl ConnectionTrait, mailing_id: Uuid) -> Result<Figures, DbErr> {
    let counts: Vec<(EmailStatus, i64)> = outbox_email::Entity::find()
        .select_only()
        .column(outbox_email::Column::Status)
        .column_as(outbox_email::Column::Id.count(), "n")
        .filter(outbox_email::Column::MailingId.eq(mailing_id))
        .group_by(outbox_email::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut figures = Figures::default();
    for (status, n) in counts {
        let n = u64::try_from(n).unwrap_or(0);
        match status {
            EmailStatus::Sent => figures.sent += n,
            EmailStatus::Failed => figures.failed += n,
            EmailStatus::Pending | EmailStatus::Sending => figures.waiting += n,
        }
    }
    Ok(figures)
}

/// The reply address asked for: none, or an address.
fn reply_to(asked: Option<&str>, checks: &mut Checks) -> Option<Option<String>> {
    match asked.map(str::trim).filter(|a| !a.is_empty()) {
        None => Some(None),
        Some(address) => checks
            .check(Email::parse(address).map_err(|e| InvalidField {
                field: "reply_to".into(),
                ..e
            }))
            .map(|email| Some(email.to_string())),
    }
}

/// What the mailing template reads for one version: the subject, the body as
/// Markdown (the plain text part: Markdown is written to be read as it is) and as
/// safe HTML, the organisation, and where replies go.
pub fn letter_context(
    organisation: &organisation::Model,
    row: &mailing::Model,
    version: &Version,
    test: bool,
) -> Value {
    json!({
        "mailing": row.id,
        "test": test,
        "subject": version.subject,
        "body_text": version.body,
        "body_html": crate::pages::markdown::to_safe_html(&version.body).as_ref(),
        "organisation_name": organisation.name,
        "organisation_slug": organisation.slug,
        "reply_to": row
            .reply_to
            .clone()
            .or_else(|| organisation.contact_email.as_ref().map(ToString::to_string)),
    })
}

/// The letter of each mailing in a batch, read once per mailing and kept while it
/// sends: every email of a mailing has the same letter in its language.
#[derive(Default)]
pub struct Letter {
    /// The context of each version, by language.
    pub versions: HashMap<Locale, Value>,
}

impl Letter {
    /// Read a mailing's letter; none when the mailing is gone.
    pub async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Self>, DbErr> {
        let Some(row) = mailing::Entity::find_by_id(id).one(db).await? else {
            return Ok(None);
        };
        let Some(organisation) = organisation::Entity::find_by_id(row.organisation_id)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let versions = Letters::of_row(&row)
            .versions()
            .iter()
            .map(|v| (v.locale, letter_context(&organisation, &row, v, false)))
            .collect();
        Ok(Some(Self { versions }))
    }
}

/// How many mailings are waiting for their time (for `/metrics`, tests).
pub async fn scheduled(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    mailing::Entity::find()
        .filter(mailing::Column::Status.eq(MailingStatus::Scheduled))
        .count(db)
        .await
}
