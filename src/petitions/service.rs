//! The rules of petitions: who may change them, when they take signatures, one
//! signature per person, double opt-in, and the count kept exact with each
//! confirmation.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::intake::{self, Intake};
use super::published::PublicPetitions;
use crate::access::{Access, Role};
use crate::content::{
    self, Change, Checks, ContentError, Cursor, Invalid, Limit, Order, Page, Service,
};
use crate::domain::{
    Country, Email, InvalidField, Locale, PublicRef, optional_text, required_text,
};
use crate::email::{
    Site, links,
    outbox::{self, OutgoingEmail},
    render::Template,
};
use crate::supporters::service as supporters;
pub use entity::values::{FieldRule, PetitionStatus, SignatureState};
use entity::{petition, signature, supporter};

/// How long a confirmation link works.
pub const CONFIRM_WITHIN: Duration = Duration::days(7);
/// The least time between two confirmation emails for one signature.
pub const RESEND_AFTER: Duration = Duration::hours(1);
/// What confirmation links are signed for.
const CONFIRM: &str = "confirm-signature";

const TARGET_MAX: usize = 300;
const BODY_MAX: usize = 50_000;
const NOTE_MAX: usize = 5_000;

/// Changes this process made to what the public sees of petitions (a count, a
/// status, a text): public reads cached for a moment are read again after one.
pub static PUBLIC_CHANGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(super) fn public_changed() {
    PUBLIC_CHANGES.fetch_add(1, std::sync::atomic::Ordering::Release);
}

/// Why a petition or a signature could not be read, changed or taken.
#[derive(Debug, thiserror::Error)]
pub enum PetitionError {
    /// Invalid fields, no such petition, another organisation's, a slug taken.
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error("this petition is not taking signatures")]
    Closed,
    #[error("{}", .0.message())]
    WrongState(NotNow),
    #[error("this confirmation link is not valid")]
    NoSuchLink,
    #[error("this confirmation link has expired; sign again to get a new one")]
    LinkExpired,
}

/// Why a petition or signature cannot go where it was asked to, now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotNow {
    ClosedCannotReopen,
    DraftCannotClose,
    DraftCannotDeliver,
    Delivered,
    /// After delivery the signatures stay as they were handed over.
    DeliveredSignaturesStay,
    InvalidatedAlready,
    /// An unconfirmed signature that expired never counted.
    Expired,
}

impl NotNow {
    /// The API's words.
    pub fn message(self) -> &'static str {
        match self {
            Self::ClosedCannotReopen => "a closed petition cannot open again",
            Self::DraftCannotClose => "a draft cannot be closed; publish it first",
            Self::DraftCannotDeliver => "a draft cannot be delivered",
            Self::Delivered => "this petition was delivered",
            Self::DeliveredSignaturesStay => {
                "this petition was delivered; its signatures stay as handed over"
            }
            Self::InvalidatedAlready => "this signature was invalidated already",
            Self::Expired => "this signature expired unconfirmed; it never counted",
        }
    }
}

impl PetitionError {
    /// A stable name for the kind of refusal, for pages to choose their words by.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Content(e) => e.code(),
            Self::Closed => "closed",
            Self::WrongState(_) => "wrong_state",
            Self::NoSuchLink => "no_such_link",
            Self::LinkExpired => "link_expired",
        }
    }

    /// No such petition, as the public is told of a draft.
    pub(super) fn not_found() -> Self {
        ContentError::NotFound("petition").into()
    }
}

content::through_content!(PetitionError);

/// Which of the optional fields a petition asks signers for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldRules {
    pub affiliation: FieldRule,
    pub postal_code: FieldRule,
    pub country: FieldRule,
    pub comment: FieldRule,
}

impl FieldRules {
    fn of(row: &petition::Model) -> Self {
        Self {
            affiliation: row.field_affiliation,
            postal_code: row.field_postal_code,
            country: row.field_country,
            comment: row.field_comment,
        }
    }

    /// Each field with its rule, by its name in a form.
    pub fn named(self) -> [(&'static str, FieldRule); 4] {
        [
            ("affiliation", self.affiliation),
            ("postal_code", self.postal_code),
            ("country", self.country),
            ("comment", self.comment),
        ]
    }
}

/// A petition, with the slugs of its organisation and its campaign.
#[derive(Debug, Clone)]
pub struct Petition {
    pub item: petition::Model,
    pub organisation: String,
    pub campaign: Option<String>,
}

impl Petition {
    /// The status it shows now: an open one whose `closes_at` passed is closed.
    pub fn status(&self) -> PetitionStatus {
        status_at(&self.item, Utc::now())
    }

    pub fn fields(&self) -> FieldRules {
        FieldRules::of(&self.item)
    }
}

/// The public page of the petition with this slug.
pub fn page_url(public_url: &str, slug: &str) -> String {
    format!("{public_url}/petitions/{slug}")
}

/// The status a petition shows: an open one whose `closes_at` passed is closed.
pub(super) fn status_at(row: &petition::Model, now: DateTime<Utc>) -> PetitionStatus {
    match row.status {
        PetitionStatus::Open if row.closes_at.is_some_and(|at| at <= now) => PetitionStatus::Closed,
        status => status,
    }
}

/// A petition to start, as asked; it starts as a draft.
#[derive(Debug, Clone, Default)]
pub struct NewPetition {
    /// The owning organisation's slug; may be left out by an organiser of only one.
    pub organisation: Option<String>,
    /// The slug of a campaign of that organisation.
    pub campaign: Option<String>,
    /// Made from the title when left out.
    pub slug: Option<String>,
    pub title: String,
    pub target: String,
    pub body: String,
    /// BCP 47; `en` when left out.
    pub language: Option<String>,
    pub goal: Option<i64>,
    pub closes_at: Option<DateTime<Utc>>,
    /// Whether signatures count only once confirmed by email; yes when left out.
    pub require_confirmation: Option<bool>,
    pub fields: Option<FieldRules>,
}

/// Changes to a petition, field by field.
#[derive(Debug, Clone, Default)]
pub struct PetitionChanges {
    pub campaign: Change<String>,
    pub slug: Change<String>,
    pub title: Change<String>,
    pub target: Change<String>,
    pub body: Change<String>,
    pub language: Change<String>,
    pub goal: Change<i64>,
    pub closes_at: Change<DateTime<Utc>>,
    pub require_confirmation: Change<bool>,
    pub fields: Change<FieldRules>,
}

content::asks_common!(PetitionChanges);

/// The handing over of a petition to its target.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// Now when left out.
    pub delivered_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

/// A signature, as the organisers see it: with its signer's address.
#[derive(Debug, Clone)]
pub struct Signer {
    pub item: signature::Model,
    pub email: String,
}

/// A published petition (any but a draft) and its organisation's name, which its
/// emails sign off with: what the public reads and signing takes.
#[derive(Debug, Clone)]
pub struct Published {
    pub petition: Petition,
    pub organisation_name: Arc<str>,
}

/// What the confirmation page shows before the click.
#[derive(Debug, Clone)]
pub struct Confirmation {
    pub petition_title: String,
    /// The signer's language.
    pub locale: Locale,
    pub confirmed: bool,
}

fn check_goal(goal: i64) -> Result<i32, InvalidField> {
    i32::try_from(goal)
        .ok()
        .filter(|g| *g > 0)
        .ok_or_else(|| InvalidField::new("goal", "must be a positive number"))
}

/// Petitions: texts addressed to a target, signed by supporters.
#[derive(Clone)]
pub struct Petitions {
    pub(super) db: DatabaseConnection,
    site: Site,
    /// Signatures are written in groups, one transaction for all those waiting.
    intake: Intake,
    /// Public petitions as last read, trusted for a second: a viral petition's
    /// page is read far more often than it changes.
    published: Arc<PublicPetitions>,
}

impl Petitions {
    /// Petitions of this database; starts taking signatures.
    pub fn new(db: DatabaseConnection, site: Site) -> Self {
        Self {
            intake: intake::start(db.clone(), site.clone()),
            published: Arc::default(),
            db,
            site,
        }
    }

    /// How many public petitions, and how many slugs, are held in memory.
    pub fn held(&self) -> (usize, usize) {
        self.published.held()
    }

    /// Create a petition; it starts as a draft.
    pub async fn create(
        &self,
        access: &Access,
        new: NewPetition,
    ) -> Result<Petition, PetitionError> {
        let member = access.writable(new.organisation.as_deref())?;
        let mut checks = Checks::default();
        let title = checks.title(&new.title);
        let target = checks.check(required_text("target", &new.target, TARGET_MAX));
        let body = checks.check(optional_text("body", &new.body, BODY_MAX));
        let language = checks.language(new.language.as_deref());
        let goal = checks.check(new.goal.map(check_goal).transpose());
        let slug = checks.slug(new.slug.as_deref());
        let campaign = checks
            .campaign(&self.db, member.organisation_id, new.campaign.as_deref())
            .await?;
        let parts = (|| Some((title?, target?, body?, language?, goal?, slug?, campaign?)))();
        let (title, target, body, language, goal, slug, campaign_id) = checks.done(parts)?;
        let fields = new.fields.unwrap_or_default();
        let now = Utc::now();
        let row = content::insert_with_slug(&self.db, slug, &title, |slug| petition::ActiveModel {
            id: Set(Uuid::now_v7()),
            organisation_id: Set(member.organisation_id),
            campaign_id: Set(campaign_id),
            slug: Set(slug.to_string()),
            title: Set(title.clone()),
            target: Set(target.clone()),
            body: Set(body.clone()),
            language: Set(language.clone()),
            goal: Set(goal),
            status: Set(PetitionStatus::Draft),
            closes_at: Set(new.closes_at),
            require_confirmation: Set(new.require_confirmation.unwrap_or(true)),
            field_affiliation: Set(fields.affiliation),
            field_postal_code: Set(fields.postal_code),
            field_country: Set(fields.country),
            field_comment: Set(fields.comment),
            signature_count: Set(0),
            delivered_at: Set(None),
            delivery_note: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await?;
        self.one(row).await
    }

    /// Change a petition; fields left as they are stay so. Its signature settings
    /// may change while it is open; its count never changes here.
    pub async fn change(
        &self,
        access: &Access,
        petition: &PublicRef,
        changes: PetitionChanges,
    ) -> Result<Petition, PetitionError> {
        let petition = self
            .change_row(
                access,
                petition,
                changes,
                Vec::new(),
                |changes, _, checks, active| {
                    let target = checks.required("target", changes.target, |t| {
                        required_text("target", &t, TARGET_MAX)
                    });
                    if let Some(target) = target {
                        active.target = Set(target);
                    }
                    if let Some(body) = checks.text("body", changes.body, BODY_MAX) {
                        active.body = Set(body);
                    }
                    let goal = match changes.goal.optional() {
                        None => None,
                        Some(g) => checks.check(g.map(check_goal).transpose()),
                    };
                    if let Some(goal) = goal {
                        active.goal = Set(goal);
                    }
                    if let Some(closes_at) = changes.closes_at.optional() {
                        active.closes_at = Set(closes_at);
                    }
                    let required = changes
                        .require_confirmation
                        .required("require_confirmation");
                    if let Some(required) = checks.check(required).flatten() {
                        active.require_confirmation = Set(required);
                    }
                    if let Some(fields) = checks.check(changes.fields.required("fields")).flatten()
                    {
                        active.field_affiliation = Set(fields.affiliation);
                        active.field_postal_code = Set(fields.postal_code);
                        active.field_country = Set(fields.country);
                        active.field_comment = Set(fields.comment);
                    }
                },
            )
            .await?;
        public_changed();
        Ok(petition)
    }

    /// Open a draft for signatures. Publishing twice changes nothing.
    pub async fn publish(
        &self,
        access: &Access,
        petition: &PublicRef,
    ) -> Result<Petition, PetitionError> {
        self.move_to(access, petition, PetitionStatus::Open, |from| match from {
            PetitionStatus::Draft => None,
            _ => Some(NotNow::ClosedCannotReopen),
        })
        .await
    }

    /// Stop taking signatures. Closing twice changes nothing.
    pub async fn close(
        &self,
        access: &Access,
        petition: &PublicRef,
    ) -> Result<Petition, PetitionError> {
        self.move_to(
            access,
            petition,
            PetitionStatus::Closed,
            |from| match from {
                PetitionStatus::Open => None,
                PetitionStatus::Draft => Some(NotNow::DraftCannotClose),
                _ => Some(NotNow::Delivered),
            },
        )
        .await
    }

    /// Record that the petition was handed to its target; it takes no more
    /// signatures.
    pub async fn deliver(
        &self,
        access: &Access,
        petition: &PublicRef,
        delivery: Delivery,
    ) -> Result<Petition, PetitionError> {
        let note = delivery
            .note
            .as_deref()
            .map(|n| optional_text("note", n, NOTE_MAX))
            .transpose()?
            .filter(|n| !n.is_empty());
        let row = self.find_for(access, petition, Role::Organiser).await?;
        if row.status == PetitionStatus::Draft {
            return Err(PetitionError::WrongState(NotNow::DraftCannotDeliver));
        }
        let mut active: petition::ActiveModel = row.into();
        active.status = Set(PetitionStatus::Delivered);
        active.delivered_at = Set(Some(delivery.delivered_at.unwrap_or_else(Utc::now)));
        active.delivery_note = Set(note);
        active.updated_at = Set(Utc::now());
        let row = active.update(&self.db).await?;
        public_changed();
        self.one(row).await
    }

    /// Move a petition to `to`, unless `refusal` says why it cannot go there from
    /// where it is.
    async fn move_to(
        &self,
        access: &Access,
        petition: &PublicRef,
        to: PetitionStatus,
        refusal: impl FnOnce(PetitionStatus) -> Option<NotNow> + Send,
    ) -> Result<Petition, PetitionError> {
        let (petition, moved) = self
            .move_row(access, petition, to, |from| {
                refusal(from).map(PetitionError::WrongState)
            })
            .await?;
        if moved {
            public_changed();
        }
        Ok(petition)
    }

    /// A page of a petition's signatures, for its organisers: every status, oldest
    /// first (a review that looks for nothing in particular).
    pub async fn signatures(
        &self,
        access: &Access,
        petition: &PublicRef,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<Signer>, PetitionError> {
        let every = super::review::SignatureQuery::default();
        self.review(access, petition, &every, limit, cursor).await
    }

    /// Every signature of a petition, for its organisers, oldest first.
    pub async fn all_signatures(
        &self,
        access: &Access,
        petition: &PublicRef,
    ) -> Result<Vec<Signer>, PetitionError> {
        let petition = self.find_for(access, petition, Role::Organiser).await?;
        let rows = signature::Entity::find()
            .filter(signature::Column::PetitionId.eq(petition.id))
            .order_by_asc(signature::Column::Id)
            .all(&self.db)
            .await?;
        Ok(self.signers(rows).await?)
    }

    pub(super) async fn signers(&self, rows: Vec<signature::Model>) -> Result<Vec<Signer>, DbErr> {
        let emails = supporters::emails_of(&self.db, rows.iter().map(|s| s.supporter_id)).await?;
        Ok(rows
            .into_iter()
            .map(|s| Signer {
                email: emails.get(&s.supporter_id).cloned().unwrap_or_default(),
                item: s,
            })
            .collect())
    }

    /// The confirmed signatures as handed to the target, in the order they were
    /// confirmed: no addresses.
    pub async fn delivery(
        &self,
        access: &Access,
        petition: &PublicRef,
    ) -> Result<(petition::Model, Vec<signature::Model>), PetitionError> {
        let petition = self.find_for(access, petition, Role::Organiser).await?;
        let rows = signature::Entity::find()
            .filter(signature::Column::PetitionId.eq(petition.id))
            .filter(signature::Column::Status.eq(SignatureState::Confirmed))
            .order_by_asc(signature::Column::ConfirmedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(without_hidden_comment)
            .collect();
        Ok((petition, rows))
    }

    /// A public petition (open, closed or delivered), from memory when it was read
    /// within the last second and this process has changed no petition since (the
    /// API, the pages and signing share it).
    pub async fn public(&self, petition: &PublicRef) -> Result<Arc<Published>, PetitionError> {
        self.published.get(self, petition).await
    }

    /// A public petition as it is now in the database.
    pub(super) async fn read_public(
        &self,
        petition: &PublicRef,
    ) -> Result<Published, PetitionError> {
        let row = self.find_public(petition).await?;
        let organisation_name = organisation_name(&self.db, &row).await?.into();
        Ok(Published {
            petition: self.one(row).await?,
            organisation_name,
        })
    }

    async fn find_public(&self, petition: &PublicRef) -> Result<petition::Model, ContentError> {
        content::find_published::<petition::Entity>(&self.db, petition).await
    }

    /// A campaign's petitions open for signatures, newest first.
    pub async fn open_in_campaign(&self, campaign_id: Uuid) -> Result<Vec<Petition>, DbErr> {
        let now = Utc::now();
        let rows = petition::Entity::find()
            .filter(petition::Column::CampaignId.eq(campaign_id))
            .filter(petition::Column::Status.eq(PetitionStatus::Open))
            .order_by_desc(petition::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|p| status_at(p, now) == PetitionStatus::Open)
            .collect();
        self.show(rows).await
    }

    /// An organisation's petitions, newest first, for its members: by status (as
    /// shown now: an open one past its `closes_at` is closed) and campaign.
    pub async fn of_organisation(
        &self,
        access: &Access,
        organisation_id: Uuid,
        status: Option<PetitionStatus>,
        campaign_id: Option<Uuid>,
    ) -> Result<Vec<Petition>, PetitionError> {
        let mut query = content::of_organisation::<petition::Entity>(access, organisation_id)?;
        if let Some(campaign_id) = campaign_id {
            query = query.filter(petition::Column::CampaignId.eq(campaign_id));
        }
        let now = Utc::now();
        let rows = query
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|p| status.is_none_or(|s| status_at(p, now) == s))
            .collect();
        Ok(self.show(rows).await?)
    }

    /// Petitions open for signatures anywhere, newest first (for the home page).
    pub async fn open(&self, limit: Limit) -> Result<Vec<Petition>, DbErr> {
        let now = Utc::now();
        let rows = petition::Entity::find()
            .filter(petition::Column::Status.eq(PetitionStatus::Open))
            .filter(
                sea_orm::Condition::any()
                    .add(petition::Column::ClosesAt.is_null())
                    .add(petition::Column::ClosesAt.gt(now)),
            )
            .order_by_desc(petition::Column::Id)
            .limit(limit.get())
            .all(&self.db)
            .await?;
        self.show(rows).await
    }

    /// Confirmed signers who chose to be shown, newest first.
    pub async fn public_signers(
        &self,
        petition: &PublicRef,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<signature::Model>, PetitionError> {
        let petition = self.find_public(petition).await?;
        let query = signature::Entity::find()
            .filter(signature::Column::PetitionId.eq(petition.id))
            .filter(signature::Column::Status.eq(SignatureState::Confirmed))
            .filter(signature::Column::Public.eq(true));
        let page = content::page(&self.db, query, Order::NewestFirst, limit, cursor).await?;
        Ok(page.map(without_hidden_comment))
    }

    /// Sign a petition. Whether or not this person had signed before, the answer
    /// is the same, so nobody learns who has signed: `Pending` (an email with a
    /// link is on its way, at most one an hour) or, when the petition needs no
    /// confirmation, `Confirmed`. `published` is as read at most a second ago; the
    /// writer checks in its transaction that the petition is still open.
    #[tracing::instrument(skip_all, fields(petition = %published.petition.item.id))]
    pub async fn sign(
        &self,
        published: Arc<Published>,
        form: SignForm,
    ) -> Result<SignatureState, PetitionError> {
        let now = Utc::now();
        let petition = &published.petition.item;
        if status_at(petition, now) != PetitionStatus::Open {
            return Err(PetitionError::Closed);
        }
        let form = form.fit(published.petition.fields())?;
        let answer = if petition.require_confirmation {
            SignatureState::Pending
        } else {
            SignatureState::Confirmed
        };
        if form.robot {
            // Answer as to a person; keep nothing.
            return Ok(answer);
        }
        let taken = self
            .intake
            .write(intake::Signing {
                published: published.clone(),
                form,
                at: now,
            })
            .await
            .map_err(|stopped| DbErr::Custom(stopped.to_string()))??;
        if taken.new {
            crate::metrics::METRICS.signatures.inc();
        }
        // A signature waiting for its confirmation changes nothing the public sees.
        if taken.counted {
            public_changed();
        }
        Ok(answer)
    }

    /// Confirm a signature from the emailed link; the petition's count. Confirming
    /// again changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn confirm(&self, token: &str) -> Result<i32, PetitionError> {
        let site = &self.site;
        let id = links::verify(&site.secret, CONFIRM, token).ok_or(PetitionError::NoSuchLink)?;
        let now = Utc::now();
        let txn = crate::db::begin_write(&self.db).await?;
        let row = signature::Entity::find_by_id(id)
            .one(&txn.txn)
            .await?
            .ok_or(PetitionError::NoSuchLink)?;
        let petition = petition::Entity::find_by_id(row.petition_id)
            .one(&txn.txn)
            .await?
            .ok_or(PetitionError::NoSuchLink)?;
        match row.status {
            SignatureState::Confirmed => return Ok(petition.signature_count),
            SignatureState::Pending if row.expires_at > now => {}
            _ => return Err(PetitionError::LinkExpired),
        }
        if !matches!(status_at(&petition, now), PetitionStatus::Open) {
            return Err(PetitionError::Closed);
        }
        let count = count_in(&txn.txn, &row, now).await?;
        let supporter = supporter::Entity::find_by_id(row.supporter_id)
            .one(&txn.txn)
            .await?
            .ok_or(PetitionError::NoSuchLink)?;
        // The address is proven now: the consent its signer gave to this
        // organisation takes effect, with the words the form showed (unless they
        // unsubscribed from it since signing, which stands: see `consent::ask`).
        if row.subscribe {
            let locale = Locale::choose(row.locale, &petition.language);
            let asked = crate::consent::Ask {
                words: crate::consent::ConsentWords::of_box(locale, "page.petition.subscribe", ""),
                form: crate::consent::ConsentForm::Signature,
                source: row.source.clone(),
                locale,
            };
            let organisation = petition.organisation_id;
            crate::consent::ask(&txn.txn, organisation, supporter.id, &asked, row.created_at)
                .await?;
            crate::consent::confirm_for(&txn.txn, supporter.id, organisation, now).await?;
        }
        let mail = PetitionMail::load(&txn.txn, &petition, site).await?;
        outbox::enqueue(&txn.txn, site, [mail.thanks(&row, &supporter, count)]).await?;
        txn.commit().await?;
        public_changed();
        Ok(count)
    }

    /// What the confirmation page shows before the click, if the link is good.
    pub async fn confirmation(&self, token: &str) -> Result<Option<Confirmation>, DbErr> {
        let Some((row, petition)) = links::linked::<signature::Entity, petition::Entity>(
            &self.db,
            &self.site.secret,
            CONFIRM,
            token,
            |row| row.petition_id,
        )
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(Confirmation {
            locale: Locale::choose(row.locale, &petition.language),
            petition_title: petition.title,
            confirmed: row.status == SignatureState::Confirmed,
        }))
    }
}

impl content::Service for Petitions {
    type Entity = petition::Entity;
    type Item = Petition;
    type Error = PetitionError;

    fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Each petition with the slugs of its organisation and campaign, in one query
    /// for each.
    async fn show(&self, rows: Vec<petition::Model>) -> Result<Vec<Petition>, DbErr> {
        let campaigns = content::slugs::<entity::campaign::Entity>(
            &self.db,
            rows.iter().filter_map(|p| p.campaign_id),
        )
        .await?;
        Ok(content::with_owners::<petition::Entity>(&self.db, rows)
            .await?
            .into_iter()
            .map(|p| Petition {
                campaign: p
                    .item
                    .campaign_id
                    .and_then(|id| campaigns.get(&id).cloned()),
                item: p.item,
                organisation: p.organisation,
            })
            .collect())
    }
}

/// A signature as sent, before any check.
#[derive(Debug, Clone, Default)]
pub struct NewSignature {
    pub email: String,
    pub name: String,
    pub affiliation: Option<String>,
    pub postal_code: Option<String>,
    /// A town or city, shown with a public signature.
    pub locality: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub comment: Option<String>,
    /// Show the name among the signers.
    pub public: bool,
    /// Hear about the organisers' future campaigns.
    pub subscribe: bool,
    /// The language of the emails.
    pub locale: Option<String>,
    /// The field people do not see and robots fill in.
    pub website: Option<String>,
    /// Where the signer came from (`?source=` of the page that led to the form).
    pub source: Option<String>,
}

/// A signature, checked against the petition's fields.
#[derive(Debug, Clone)]
pub struct SignForm {
    pub email: Email,
    pub name: String,
    pub affiliation: Option<String>,
    pub postal_code: Option<String>,
    pub locality: Option<String>,
    pub country: Option<Country>,
    pub comment: Option<String>,
    pub public: bool,
    pub subscribe: bool,
    pub locale: Option<Locale>,
    pub source: Option<super::review::Source>,
    /// The hidden field was filled in: a robot.
    pub robot: bool,
}

/// A signature as shown outside the organisation: a comment an organiser hid is
/// not there.
fn without_hidden_comment(mut row: signature::Model) -> signature::Model {
    if row.comment_hidden {
        row.comment = None;
    }
    row
}

/// A field left out or blank.
fn blank(value: Option<&str>) -> bool {
    value.is_none_or(|v| v.trim().is_empty())
}

impl SignForm {
    /// Check what does not depend on the petition.
    pub fn parse(new: NewSignature) -> Result<Self, Invalid> {
        let mut checks = Checks::default();
        let email = checks.check(Email::parse(&new.email).map_err(|e| e.at("email")));
        let name = checks.check(
            required_text("name", &new.name, 200).map(|n| crate::email::message::one_line(&n)),
        );
        let mut optional = |field: &str, value: Option<String>, max: usize| {
            checks.check(
                value
                    .map(|v| optional_text(field, &v, max))
                    .transpose()
                    .map(|v| v.filter(|v| !v.is_empty())),
            )
        };
        let affiliation = optional("affiliation", new.affiliation, 200);
        let postal_code = optional("postal_code", new.postal_code, 20);
        let locality = optional("locality", new.locality, 100);
        let comment = optional("comment", new.comment, 2_000);
        let country = checks.check(
            new.country
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(|c| Country::parse(c).map_err(|e| e.at("country")))
                .transpose(),
        );
        let locale = checks.check(new.locale.as_deref().map(Locale::parse).transpose());
        let source = checks.check(
            new.source
                .as_deref()
                .map(super::review::Source::parse)
                .transpose()
                .map(Option::flatten),
        );
        let robot = !blank(new.website.as_deref());
        let form = (|| {
            Some(Self {
                email: email?,
                name: name?,
                affiliation: affiliation?,
                postal_code: postal_code?,
                locality: locality?,
                country: country?,
                comment: comment?,
                public: new.public,
                subscribe: new.subscribe,
                locale: locale?,
                source: source?,
                robot,
            })
        })();
        checks.done(form)
    }

    /// Check everything at once, the fields this petition asks for among the rest
    /// (which signing checks again): a form names every missing field in one go.
    pub fn parse_for(new: NewSignature, rules: FieldRules) -> Result<Self, Invalid> {
        let missing: Vec<&'static str> = rules
            .named()
            .into_iter()
            .filter(|(_, rule)| *rule == FieldRule::Required)
            .map(|(field, _)| field)
            .filter(|field| {
                blank(match *field {
                    "affiliation" => new.affiliation.as_deref(),
                    "postal_code" => new.postal_code.as_deref(),
                    "country" => new.country.as_deref(),
                    _ => new.comment.as_deref(),
                })
            })
            .collect();
        Self::parse(new).map_err(|Invalid(mut fields)| {
            for field in missing {
                if !fields.iter().any(|f| f.field == field) {
                    fields.push(InvalidField::required(field, "this petition asks for it"));
                }
            }
            Invalid(fields)
        })
    }

    /// Check the fields this petition asks for, and drop those it does not.
    fn fit(mut self, rules: FieldRules) -> Result<Self, Invalid> {
        let mut checks = Checks::default();
        let mut keep = |field: &str, rule: FieldRule, present: bool| match rule {
            FieldRule::Required if !present => {
                checks.note(InvalidField::required(field, "this petition asks for it"));
                false
            }
            FieldRule::Off => false,
            _ => true,
        };
        if !keep("affiliation", rules.affiliation, self.affiliation.is_some()) {
            self.affiliation = None;
        }
        if !keep("postal_code", rules.postal_code, self.postal_code.is_some()) {
            self.postal_code = None;
        }
        if !keep("country", rules.country, self.country.is_some()) {
            self.country = None;
        }
        if !keep("comment", rules.comment, self.comment.is_some()) {
            self.comment = None;
        }
        checks.finish()?;
        Ok(self)
    }
}

/// An email a signature calls for.
pub(super) enum Note {
    Confirm(signature::Model),
    Thanks(signature::Model, i32),
}

/// Mark a pending signature confirmed and count it; the petition's new count.
pub(super) async fn count_in(
    conn: &impl ConnectionTrait,
    row: &signature::Model,
    now: DateTime<Utc>,
) -> Result<i32, DbErr> {
    let confirmed = signature::Entity::update_many()
        .col_expr(
            signature::Column::Status,
            Expr::value(SignatureState::Confirmed),
        )
        .col_expr(signature::Column::ConfirmedAt, Expr::value(Some(now)))
        .filter(signature::Column::Id.eq(row.id))
        .filter(signature::Column::Status.eq(SignatureState::Pending))
        .exec(conn)
        .await?;
    if confirmed.rows_affected == 1 {
        petition::Entity::update_many()
            .col_expr(
                petition::Column::SignatureCount,
                Expr::col(petition::Column::SignatureCount).add(1),
            )
            .filter(petition::Column::Id.eq(row.petition_id))
            .exec(conn)
            .await?;
    }
    Ok(petition::Entity::find_by_id(row.petition_id)
        .one(conn)
        .await?
        .map_or(0, |p| p.signature_count))
}

/// Unconfirmed signatures past their week: marked expired, what they said
/// dropped (the address key stays, so signing again starts afresh). They never
/// counted.
pub async fn expire_unconfirmed(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    use signature::Column;
    let _turn = crate::db::write_turn(db).await;
    let said = [
        Column::Country,
        Column::Affiliation,
        Column::PostalCode,
        Column::Locality,
        Column::Comment,
    ];
    let expired = said
        .into_iter()
        .fold(signature::Entity::update_many(), |update, column| {
            update.col_expr(column, Expr::value(Option::<String>::None))
        })
        .col_expr(Column::Status, Expr::value(SignatureState::Expired))
        .col_expr(Column::Name, Expr::value(""))
        .filter(Column::Status.eq(SignatureState::Pending))
        .filter(Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(expired.rows_affected)
}

/// The name of the organisation running a petition, as its emails sign off.
async fn organisation_name(
    conn: &impl ConnectionTrait,
    petition: &petition::Model,
) -> Result<String, DbErr> {
    Ok(
        entity::organisation::Entity::find_by_id(petition.organisation_id)
            .one(conn)
            .await?
            .map(|o| o.name)
            .unwrap_or_default(),
    )
}

/// The emails about one petition.
pub(super) struct PetitionMail<'a> {
    petition: &'a petition::Model,
    organisation_name: String,
    site: &'a Site,
}

impl<'a> PetitionMail<'a> {
    pub(super) async fn load(
        conn: &impl ConnectionTrait,
        petition: &'a petition::Model,
        site: &'a Site,
    ) -> Result<Self, DbErr> {
        let organisation_name = organisation_name(conn, petition).await?;
        Ok(Self::new(petition, organisation_name, site))
    }

    pub(super) fn new(
        petition: &'a petition::Model,
        organisation_name: String,
        site: &'a Site,
    ) -> Self {
        Self {
            petition,
            organisation_name,
            site,
        }
    }

    fn email(
        &self,
        template: Template,
        row: &signature::Model,
        supporter: &supporter::Model,
        count: i32,
        extra: serde_json::Value,
    ) -> OutgoingEmail {
        let locale = Locale::choose(row.locale.or(supporter.locale), &self.petition.language);
        let p = self.petition;
        let mut context = json!({
            "petition": {
                "title": p.title,
                "target": p.target,
                "url": page_url(&self.site.public_url, &p.slug),
                "organisation": self.organisation_name,
                "signature_count": count,
                "goal": p.goal,
            },
        });
        if let (Some(context), Some(extra)) = (context.as_object_mut(), extra.as_object()) {
            context.extend(extra.clone());
        }
        OutgoingEmail {
            to_address: supporter.email.to_string(),
            to_name: row.name.clone(),
            template,
            locale,
            context,
            calendar: None,
            unsubscribe_url: None,
            organisation_id: Some(p.organisation_id),
        }
    }

    pub(super) fn confirm(
        &self,
        row: &signature::Model,
        supporter: &supporter::Model,
    ) -> OutgoingEmail {
        let token = links::sign(&self.site.secret, CONFIRM, row.id);
        let confirm_url = format!("{}/signatures/confirm/{token}", self.site.public_url);
        self.email(
            Template::PetitionConfirm,
            row,
            supporter,
            self.petition.signature_count,
            json!({ "confirm_url": confirm_url }),
        )
    }

    pub(super) fn thanks(
        &self,
        row: &signature::Model,
        supporter: &supporter::Model,
        count: i32,
    ) -> OutgoingEmail {
        self.email(Template::PetitionThanks, row, supporter, count, json!({}))
    }
}
