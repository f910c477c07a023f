//! What every kind of organisation-owned content shares (campaigns, events,
//! petitions, fundraisers): finding a row for a member with the role an action needs,
//! a free slug, the life from draft on (what the public may see, a move to another
//! status), pages of a list, validation that names every bad field (with the
//! checks of the fields all content has: title, slug, language), a change to one
//! field, and the one error these share.
//!
//! Each capability keeps its own rules; this is only what they would otherwise each
//! write again, and so write differently.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::access::{Access, AccessError, Role};
use crate::db::{free_slug, is_unique_violation};
use crate::domain::{InvalidField, Language, PublicRef, Slug, optional_text, required_text};
use entity::{
    api_token, campaign, donation, event, fundraiser, mailing, organisation, outbox_email,
    petition, rsvp, signature, supporter,
};

/// A table listed a page at a time: its rows have UUIDv7 ids, so by id is by creation.
pub trait Paged: EntityTrait {
    const ID: Self::Column;

    fn row_id(row: &Self::Model) -> Uuid;
}

macro_rules! paged {
    ($($module:ident),+) => {$(
        impl Paged for $module::Entity {
            const ID: Self::Column = $module::Column::Id;

            fn row_id(row: &Self::Model) -> Uuid {
                row.id
            }
        }
    )+};
}

paged!(
    campaign,
    event,
    petition,
    fundraiser,
    rsvp,
    signature,
    donation,
    supporter,
    api_token,
    outbox_email,
    mailing,
    organisation
);

/// A table whose rows other rows name by slug (content its organisation and its
/// campaign).
pub trait Slugged: Paged {
    const SLUG: Self::Column;
}

macro_rules! slugged {
    ($($module:ident),+) => {$(
        impl Slugged for $module::Entity {
            const SLUG: Self::Column = $module::Column::Slug;
        }
    )+};
}

slugged!(organisation, campaign);

/// A table of content an organisation owns, found by id or slug.
pub trait Owned: Paged {
    /// What a person calls one ("event"), for refusals.
    const NOUN: &'static str;
    const SLUG: Self::Column;
    /// The organisation that owns a row.
    const OWNER: Self::Column;

    fn owner(row: &Self::Model) -> Uuid;
}

macro_rules! owned {
    ($($module:ident => $noun:literal),+) => {$(
        impl Owned for $module::Entity {
            const NOUN: &'static str = $noun;
            const SLUG: Self::Column = $module::Column::Slug;
            const OWNER: Self::Column = $module::Column::OrganisationId;

            fn owner(row: &Self::Model) -> Uuid {
                row.organisation_id
            }
        }
    )+};
}

owned!(
    campaign => "campaign",
    event => "event",
    petition => "petition",
    fundraiser => "fundraiser"
);

/// Content with a life: it starts as a draft, which nobody outside its
/// organisation sees, and its status moves on from there (published, closed,
/// cancelled: each kind has its own words and rules).
pub trait Lifecycle: Owned {
    type Status: Copy + PartialEq + Into<sea_orm::Value> + Send;
    /// The status it starts as.
    const DRAFT: Self::Status;
    const STATUS: Self::Column;
    const UPDATED_AT: Self::Column;

    fn status(row: &Self::Model) -> Self::Status;
}

macro_rules! lifecycle {
    ($($module:ident: $status:ident),+) => {$(
        impl Lifecycle for $module::Entity {
            type Status = entity::values::$status;
            const DRAFT: Self::Status = entity::values::$status::Draft;
            const STATUS: Self::Column = $module::Column::Status;
            const UPDATED_AT: Self::Column = $module::Column::UpdatedAt;

            fn status(row: &Self::Model) -> Self::Status {
                row.status
            }
        }
    )+};
}

lifecycle!(
    event: EventStatus,
    petition: PetitionStatus,
    fundraiser: FundraiserStatus
);

/// A change to the fields petitions and fundraisers share, checked: each `None` to
/// keep that field (or when it was refused).
#[derive(Debug, Clone, Default)]
pub struct CommonChange {
    pub slug: Option<Slug>,
    pub title: Option<String>,
    pub language: Option<Language>,
    /// `Some(None)` takes the row out of its campaign.
    pub campaign_id: Option<Option<Uuid>>,
}

/// A row in a campaign, with a slug, a title and a language: what a [`CommonChange`]
/// changes.
pub trait InCampaign {
    /// Set what `change` changes; the rest stays.
    fn set_common(&mut self, change: CommonChange);
}

macro_rules! in_campaign {
    ($($module:ident),+) => {$(
        impl InCampaign for $module::ActiveModel {
            fn set_common(&mut self, change: CommonChange) {
                use sea_orm::ActiveValue::Set;
                if let Some(slug) = change.slug {
                    self.slug = Set(slug.to_string());
                }
                if let Some(title) = change.title {
                    self.title = Set(title);
                }
                if let Some(language) = change.language {
                    self.language = Set(language);
                }
                if let Some(campaign_id) = change.campaign_id {
                    self.campaign_id = Set(campaign_id);
                }
            }
        }
    )+};
}

in_campaign!(petition, fundraiser);

/// A change to content of one kind, among whose fields are those petitions and
/// fundraisers share: `slug`, `title`, `language` and `campaign`.
pub trait AsksCommon {
    /// What it asks of the shared fields, checked by [`Checks::common_change`] and
    /// taken out of it.
    fn common_change(
        &mut self,
        checks: &mut Checks,
        db: &DatabaseConnection,
        organisation_id: Uuid,
    ) -> impl Future<Output = Result<CommonChange, DbErr>> + Send;
}

/// Implements [`AsksCommon`] for changes with the fields `slug`, `title`,
/// `language` and `campaign`.
macro_rules! asks_common {
    ($changes:ty) => {
        impl $crate::content::AsksCommon for $changes {
            fn common_change(
                &mut self,
                checks: &mut $crate::content::Checks,
                db: &sea_orm::DatabaseConnection,
                organisation_id: uuid::Uuid,
            ) -> impl Future<Output = Result<$crate::content::CommonChange, sea_orm::DbErr>> + Send
            {
                use std::mem::take;
                checks.common_change(
                    db,
                    organisation_id,
                    take(&mut self.slug),
                    take(&mut self.title),
                    take(&mut self.language),
                    take(&mut self.campaign),
                )
            }
        }
    };
}

pub(crate) use asks_common;

/// Why content could not be read or changed. Capabilities wrap it in their own
/// errors; the HTTP layer gives each variant its status.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("this {0} belongs to another organisation")]
    Forbidden(&'static str),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("the slug \"{0}\" is taken")]
    SlugTaken(Slug),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<InvalidField> for ContentError {
    fn from(e: InvalidField) -> Self {
        Self::Invalid(Invalid(vec![e]))
    }
}

/// Makes a capability's error, which wraps a [`ContentError`] as `Content`, from each
/// refusal a `ContentError` is made from, so `?` takes them all.
macro_rules! through_content {
    ($error:ty) => {
        $crate::content::through_content!(
            $error:
            sea_orm::DbErr,
            $crate::content::Invalid,
            $crate::domain::InvalidField,
            $crate::access::AccessError
        );
    };
    ($error:ty: $($from:ty),+) => {$(
        impl From<$from> for $error {
            fn from(e: $from) -> Self {
                Self::Content(e.into())
            }
        }
    )+};
}

pub(crate) use through_content;

impl ContentError {
    /// A stable name for the kind of refusal, for pages to choose their words by.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Access(e) => e.code(),
            Self::SlugTaken(_) => "slug_taken",
            Self::Db(_) => "internal",
        }
    }
}

/// A row by its id or slug, whoever owns it.
pub async fn find<E>(
    db: &impl ConnectionTrait,
    reference: &PublicRef,
) -> Result<Option<E::Model>, DbErr>
where
    E: Owned,
    Uuid: Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
{
    match reference {
        PublicRef::Id(id) => E::find_by_id(*id).one(db).await,
        PublicRef::Slug(slug) => E::find().filter(E::SLUG.eq(slug.as_ref())).one(db).await,
    }
}

/// A row an organiser may act on with at least `role`: 404 when there is none, 403
/// when it is another organisation's or their role there is too low.
pub async fn find_for<E>(
    db: &impl ConnectionTrait,
    access: &Access,
    reference: &PublicRef,
    role: Role,
) -> Result<E::Model, ContentError>
where
    E: Owned,
    Uuid: Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
{
    let row = find::<E>(db, reference)
        .await?
        .ok_or(ContentError::NotFound(E::NOUN))?;
    may::<E>(access, E::owner(&row), role)?;
    Ok(row)
}

/// Whether an organiser holds at least `role` in the organisation that owns content.
pub fn may<E: Owned>(access: &Access, owner: Uuid, role: Role) -> Result<(), ContentError> {
    match access.role_in(owner) {
        Some(r) if r >= role => Ok(()),
        Some(_) => Err(AccessError::ReadOnly.into()),
        None => Err(ContentError::Forbidden(E::NOUN)),
    }
}

/// A row anyone may see, by its id or slug: any but a draft.
pub async fn find_published<E>(
    db: &impl ConnectionTrait,
    reference: &PublicRef,
) -> Result<E::Model, ContentError>
where
    E: Lifecycle,
    Uuid: Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
{
    find::<E>(db, reference)
        .await?
        .filter(|row| E::status(row) != E::DRAFT)
        .ok_or(ContentError::NotFound(E::NOUN))
}

/// Move a row to the status `to`: as it was when it is there already (asking
/// twice changes nothing), refused with what `refusal` says of the status it is
/// in, else written. The row, and whether it moved (what the public sees changed).
pub async fn move_to<E, Refused>(
    db: &impl ConnectionTrait,
    row: E::Model,
    to: E::Status,
    refusal: impl FnOnce(E::Status) -> Option<Refused>,
) -> Result<(E::Model, bool), Refused>
where
    E: Lifecycle,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
    Refused: From<DbErr>,
{
    let from = E::status(&row);
    if from == to {
        return Ok((row, false));
    }
    if let Some(refused) = refusal(from) {
        return Err(refused);
    }
    let mut active = row.into_active_model();
    active.set(E::STATUS, to.into());
    active.set(E::UPDATED_AT, chrono::Utc::now().into());
    Ok((active.update(db).await?, true))
}

/// An organisation's rows of `E` that are still drafts.
pub fn drafts<E: Lifecycle>(organisation_id: Uuid) -> Select<E> {
    E::find()
        .filter(E::OWNER.eq(organisation_id))
        .filter(E::STATUS.eq(E::DRAFT))
}

/// Insert a new row under a slug: the one asked for (taken → [`ContentError::SlugTaken`]),
/// or the first free one made from its title. Two inserts can pick the same free slug
/// at once; the unique index refuses the second, which then picks again.
pub async fn insert_with_slug<A>(
    db: &impl ConnectionTrait,
    asked: Option<Slug>,
    title: &str,
    row: impl Fn(Slug) -> A,
) -> Result<<A::Entity as EntityTrait>::Model, ContentError>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    A::Entity: Owned,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let noun = <A::Entity as Owned>::NOUN;
    let base = Slug::from_title(title, noun);
    for _attempt in 0..5 {
        let slug = match &asked {
            Some(slug) => slug.clone(),
            None => free_slug::<A::Entity>(db, <A::Entity as Owned>::SLUG, &base).await?,
        };
        match row(slug.clone()).insert(db).await {
            Ok(model) => return Ok(model),
            Err(e) if is_unique_violation(&e) && asked.is_none() => continue,
            Err(e) if is_unique_violation(&e) => return Err(ContentError::SlugTaken(slug)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(ContentError::SlugTaken(base))
}

/// The refusal of a change that would take a row's slug to one already taken.
pub fn slug_refusal(e: DbErr, asked: Option<Slug>) -> ContentError {
    match asked {
        Some(slug) if is_unique_violation(&e) => ContentError::SlugTaken(slug),
        _ => ContentError::Db(e),
    }
}

/// A row of the content a [`Service`] keeps.
pub type Row<S> = <<S as Service>::Entity as EntityTrait>::Model;

/// A row of the content a [`Service`] keeps, as it is being changed.
type Active<S> = <<S as Service>::Entity as EntityTrait>::ActiveModel;

/// A capability's service of one kind of content (petitions, fundraisers,
/// campaigns): it says how a row is shown (with the slugs it names, its totals …),
/// and so gives its organisers the same reads of every kind: a row found for an
/// action, a page of the list, one row.
pub trait Service: Sync {
    type Entity: Owned;
    /// A row as the capability shows it.
    type Item: Send;
    /// The capability's error, which each refusal here becomes.
    type Error: From<ContentError> + From<DbErr> + Send;
    /// Which way the organisers' list runs.
    const ORDER: Order = Order::NewestFirst;

    fn db(&self) -> &DatabaseConnection;

    /// Rows as shown, read further all at once (one query for all, not one a row).
    fn show(
        &self,
        rows: Vec<Row<Self>>,
    ) -> impl Future<Output = Result<Vec<Self::Item>, DbErr>> + Send;

    /// A row an organiser may act on with at least `role` (see [`find_for`]).
    fn find_for(
        &self,
        access: &Access,
        reference: &PublicRef,
        role: Role,
    ) -> impl Future<Output = Result<Row<Self>, ContentError>> + Send
    where
        Uuid: Into<<<Self::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType>,
    {
        find_for::<Self::Entity>(self.db(), access, reference, role)
    }

    /// One row as shown.
    fn one(&self, row: Row<Self>) -> impl Future<Output = Result<Self::Item, Self::Error>> + Send {
        async move {
            self.show(vec![row])
                .await?
                .pop()
                .ok_or_else(|| ContentError::NotFound(<Self::Entity as Owned>::NOUN).into())
        }
    }

    /// One page of the content of the organiser's organisations, in [`Self::ORDER`].
    fn list(
        &self,
        access: &Access,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> impl Future<Output = Result<Page<Self::Item>, Self::Error>> + Send {
        async move {
            Ok(
                list::<Self::Entity, _, _>(self.db(), access, Self::ORDER, limit, cursor, |rows| {
                    self.show(rows)
                })
                .await?,
            )
        }
    }

    /// Change a row an organiser may change: the fields petitions and fundraisers
    /// share, and its kind's own, which `own` checks and sets. Every refusal is
    /// named in one answer with those `refused` before; nothing is written unless
    /// all are good, and a slug another row has is refused. The row as shown.
    fn change_row<C: AsksCommon + Send>(
        &self,
        access: &Access,
        reference: &PublicRef,
        mut changes: C,
        refused: Vec<InvalidField>,
        own: impl FnOnce(C, &Row<Self>, &mut Checks, &mut Active<Self>) + Send,
    ) -> impl Future<Output = Result<Self::Item, Self::Error>> + Send
    where
        Self::Entity: Lifecycle,
        Row<Self>: IntoActiveModel<Active<Self>>,
        Active<Self>: InCampaign + sea_orm::ActiveModelBehavior + Send,
        Uuid: Into<<<Self::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType>,
    {
        async move {
            let row = self.find_for(access, reference, Role::Organiser).await?;
            let owner = <Self::Entity as Owned>::owner(&row);
            let mut checks = Checks::from(refused);
            let common = changes.common_change(&mut checks, self.db(), owner).await?;
            let slug = common.slug.clone();
            let mut active = row.clone().into_active_model();
            active.set_common(common);
            own(changes, &row, &mut checks, &mut active);
            checks.finish().map_err(ContentError::from)?;
            active.set(
                <Self::Entity as Lifecycle>::UPDATED_AT,
                chrono::Utc::now().into(),
            );
            let row = active
                .update(self.db())
                .await
                .map_err(|e| slug_refusal(e, slug))?;
            self.one(row).await
        }
    }

    /// Move a row an organiser may change to the status `to` (see [`move_to`]): the
    /// row as shown, and whether it moved (what the public sees changed).
    fn move_row(
        &self,
        access: &Access,
        reference: &PublicRef,
        to: <Self::Entity as Lifecycle>::Status,
        refusal: impl FnOnce(<Self::Entity as Lifecycle>::Status) -> Option<Self::Error> + Send,
    ) -> impl Future<Output = Result<(Self::Item, bool), Self::Error>> + Send
    where
        Self::Entity: Lifecycle,
        Row<Self>: IntoActiveModel<<Self::Entity as EntityTrait>::ActiveModel>,
        <Self::Entity as EntityTrait>::ActiveModel: Send,
        Uuid: Into<<<Self::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType>,
    {
        async move {
            let row = self.find_for(access, reference, Role::Organiser).await?;
            let (row, moved) = move_to::<Self::Entity, _>(self.db(), row, to, refusal).await?;
            Ok((self.one(row).await?, moved))
        }
    }

    /// One row, for a member of its organisation.
    fn get(
        &self,
        access: &Access,
        reference: &PublicRef,
    ) -> impl Future<Output = Result<Self::Item, Self::Error>> + Send
    where
        Uuid: Into<<<Self::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType>,
    {
        async move {
            let row = self.find_for(access, reference, Role::Viewer).await?;
            self.one(row).await
        }
    }
}

/// Every invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct Invalid(pub Vec<InvalidField>);

/// The most characters a title of content may have.
pub const TITLE_MAX: usize = 200;

/// Gathers every invalid field of a request, so one answer names them all.
#[derive(Debug, Default)]
pub struct Checks(Vec<InvalidField>);

/// Refusals found before the checks, while reading what was typed.
impl From<Vec<InvalidField>> for Checks {
    fn from(refused: Vec<InvalidField>) -> Self {
        Self(refused)
    }
}

impl Checks {
    /// The value, or `None` with its refusal noted.
    pub fn check<T>(&mut self, result: Result<T, InvalidField>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    /// Note a refusal.
    pub fn note(&mut self, refusal: InvalidField) {
        self.0.push(refusal);
    }

    /// Note a refusal found by hand.
    pub fn refuse(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(InvalidField::new(field, message));
    }

    /// The new value of a field that cannot be cleared, as `parse` reads it: `None`
    /// to keep it, or when refused.
    pub fn required<T, U>(
        &mut self,
        field: &str,
        change: Change<T>,
        parse: impl FnOnce(T) -> Result<U, InvalidField>,
    ) -> Option<U> {
        let value = self.check(change.required(field))??;
        self.check(parse(value))
    }

    /// The new text of a field that may be blank (clearing it blanks it): `None` to
    /// keep it, or when refused.
    pub fn text(&mut self, field: &str, change: Change<String>, max: usize) -> Option<String> {
        let text = change.optional()?;
        self.check(optional_text(
            field,
            text.as_deref().unwrap_or_default(),
            max,
        ))
    }

    /// The text of a field that may be blank, as asked when content is made.
    pub fn optional_text(&mut self, field: &str, raw: &str, max: usize) -> Option<String> {
        self.check(optional_text(field, raw, max))
    }

    /// The campaign new content is asked to be part of, by slug: `Some(None)` for
    /// none, `None` when the organisation has no campaign of that slug.
    pub async fn campaign(
        &mut self,
        db: &impl ConnectionTrait,
        organisation_id: Uuid,
        asked: Option<&str>,
    ) -> Result<Option<Option<Uuid>>, DbErr> {
        Ok(match asked {
            Some(slug) => self
                .check(campaign_in(db, organisation_id, slug).await?)
                .map(Some),
            None => Some(None),
        })
    }

    /// The change asked to the fields petitions and fundraisers share; the campaign
    /// must be one of the organisation's.
    pub async fn common_change(
        &mut self,
        db: &impl ConnectionTrait,
        organisation_id: Uuid,
        slug: Change<String>,
        title: Change<String>,
        language: Change<String>,
        campaign: Change<String>,
    ) -> Result<CommonChange, DbErr> {
        Ok(CommonChange {
            slug: self.required("slug", slug, |s| Slug::parse(&s)),
            title: self.title_change(title),
            language: self.language_change(language),
            campaign_id: self.campaign_change(db, organisation_id, campaign).await?,
        })
    }

    /// The new campaign of content: `None` to keep it, or when refused; `Some(None)`
    /// to take it out of its campaign.
    pub async fn campaign_change(
        &mut self,
        db: &impl ConnectionTrait,
        organisation_id: Uuid,
        change: Change<String>,
    ) -> Result<Option<Option<Uuid>>, DbErr> {
        match change.optional() {
            Some(asked) => self.campaign(db, organisation_id, asked.as_deref()).await,
            None => Ok(None),
        }
    }

    /// The title of content: required, at most [`TITLE_MAX`] characters.
    pub fn title(&mut self, raw: &str) -> Option<String> {
        self.check(required_text("title", raw, TITLE_MAX))
    }

    /// The new title of content: `None` to keep it, or when refused.
    pub fn title_change(&mut self, change: Change<String>) -> Option<String> {
        self.required("title", change, |title| {
            required_text("title", &title, TITLE_MAX)
        })
    }

    /// The slug asked for, if any.
    pub fn slug(&mut self, asked: Option<&str>) -> Option<Option<Slug>> {
        self.check(asked.map(Slug::parse).transpose())
    }

    /// The language asked for content: English when left out.
    pub fn language(&mut self, asked: Option<&str>) -> Option<Language> {
        self.check(Language::parse(asked.unwrap_or("en")))
    }

    /// The new language of content: `None` to keep it, or when refused; cleared,
    /// English.
    pub fn language_change(&mut self, change: Change<String>) -> Option<Language> {
        match change.optional()? {
            Some(language) => self.check(Language::parse(&language)),
            None => Some(Language::english()),
        }
    }

    pub fn is_clean(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` when nothing was refused: `value` is made of checked parts, each
    /// `None` only when its check refused it.
    pub fn done<T>(self, value: Option<T>) -> Result<T, Invalid> {
        match (self.finish(), value) {
            (Ok(()), Some(value)) => Ok(value),
            (Err(invalid), _) => Err(invalid),
            (Ok(()), None) => unreachable!("a part is missing only when its check refused it"),
        }
    }

    /// `Ok` when nothing was refused.
    pub fn finish(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.0))
        }
    }
}

/// What a change asks of one field: leave it, set it, or clear it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
    Clear,
}

impl<T> Change<T> {
    /// The new value of a field that cannot be cleared: `None` to keep it.
    pub fn required(self, field: &str) -> Result<Option<T>, InvalidField> {
        match self {
            Self::Keep => Ok(None),
            Self::Set(value) => Ok(Some(value)),
            Self::Clear => Err(InvalidField::new(field, "cannot be removed")),
        }
    }

    /// The new value of a field that may be cleared: `None` to keep it,
    /// `Some(None)` to clear it.
    pub fn optional(self) -> Option<Option<T>> {
        match self {
            Self::Keep => None,
            Self::Set(value) => Some(Some(value)),
            Self::Clear => Some(None),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Change<U> {
        match self {
            Self::Keep => Change::Keep,
            Self::Set(value) => Change::Set(f(value)),
            Self::Clear => Change::Clear,
        }
    }
}

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// A checked page size: 1 to 200, 50 unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u64);

impl Limit {
    pub fn parse(raw: Option<u64>) -> Result<Self, InvalidField> {
        match raw {
            None => Ok(Self(DEFAULT_LIMIT)),
            Some(n @ 1..=MAX_LIMIT) => Ok(Self(n)),
            Some(_) => Err(InvalidField::new("limit", "must be from 1 to 200")),
        }
    }

    /// A page size chosen in code: `n`, kept within 1 to 200.
    pub const fn up_to(n: u64) -> Self {
        Self(if n == 0 {
            1
        } else if n > MAX_LIMIT {
            MAX_LIMIT
        } else {
            n
        })
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self(DEFAULT_LIMIT)
    }
}

/// Where a list resumes: after the last row of the page before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(Uuid);

impl Cursor {
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        Uuid::parse_str(raw)
            .map(Self)
            .map_err(|_| InvalidField::new("cursor", "is not a cursor from this list"))
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// One page of a list, and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }

    /// The same page, its rows read further by `read` all at once (one query for the
    /// page, not one a row).
    pub async fn read<U, E, F>(self, read: impl FnOnce(Vec<T>) -> F) -> Result<Page<U>, E>
    where
        F: Future<Output = Result<Vec<U>, E>>,
    {
        Ok(Page {
            items: read(self.items).await?,
            next: self.next,
        })
    }
}

/// Which way a list runs through its ids (UUIDv7, so by creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

/// The ids of the content of `E` these organisations own, as a subquery (`… IN
/// (SELECT id FROM petitions WHERE organisation_id IN (…))`).
pub fn ids_owned_by<E: Owned>(organisations: &[Uuid]) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(E::ID)
        .from(E::default())
        .and_where(E::OWNER.is_in(organisations.to_vec()))
        .to_owned()
}

/// The content of the organiser's organisations.
pub fn of_organisations<E: Owned>(access: &Access) -> Select<E> {
    E::find().filter(E::OWNER.is_in(access.organisation_ids()))
}

/// One page of the content of the organiser's organisations, by id in `order`.
pub async fn list_owned<E: Owned>(
    db: &impl ConnectionTrait,
    access: &Access,
    order: Order,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Page<E::Model>, DbErr> {
    page(db, of_organisations::<E>(access), order, limit, cursor).await
}

/// An organisation's content of `E`, newest first, for its members: another's is
/// not found, as if it did not exist (the console's lists, one organisation at a
/// time however many the organiser belongs to).
pub fn of_organisation<E: Owned>(
    access: &Access,
    organisation_id: Uuid,
) -> Result<Select<E>, ContentError> {
    if access.role_in(organisation_id).is_none() {
        return Err(ContentError::NotFound(E::NOUN));
    }
    Ok(E::find()
        .filter(E::OWNER.eq(organisation_id))
        .order_by_desc(E::ID))
}

/// The id of an organisation's campaign, named by its slug; a refusal of the field
/// `campaign` when it has none of that slug. Petitions, fundraisers and events are
/// each part of at most one campaign of their own organisation.
pub async fn campaign_in(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    slug: &str,
) -> Result<Result<Uuid, InvalidField>, DbErr> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::Slug.eq(slug))
        .filter(campaign::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .map(|c| c.id)
        .ok_or_else(|| {
            InvalidField::new(
                "campaign",
                format!("no campaign {slug:?} in this organisation"),
            )
        }))
}

/// One page of the content of the organiser's organisations, by id in `order`, its
/// rows read further by `read` all at once (with the slugs they refer to, totals …).
pub async fn list<E, T, F>(
    db: &impl ConnectionTrait,
    access: &Access,
    order: Order,
    limit: Limit,
    cursor: Option<Cursor>,
    read: impl FnOnce(Vec<E::Model>) -> F,
) -> Result<Page<T>, DbErr>
where
    E: Owned,
    F: Future<Output = Result<Vec<T>, DbErr>>,
{
    list_owned::<E>(db, access, order, limit, cursor)
        .await?
        .read(read)
        .await
}

/// `query` in `order` by id, as [`page`] runs through it.
fn ordered<E: Paged>(query: Select<E>, order: Order) -> Select<E> {
    match order {
        Order::OldestFirst => query.order_by_asc(E::ID),
        Order::NewestFirst => query.order_by_desc(E::ID),
    }
}

/// Every row of `query`, by id in `order`: what [`page`] gives a page at a time, all
/// at once (for a spreadsheet).
pub async fn all<E: Paged>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    order: Order,
) -> Result<Vec<E::Model>, DbErr> {
    ordered(query, order).all(db).await
}

/// One page of `query`, by id in `order`: one row more than a page is read to learn
/// whether another follows.
pub async fn page<E: Paged>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    order: Order,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Page<E::Model>, DbErr> {
    let id = E::ID;
    let mut query = ordered(query, order).limit(limit.get() + 1);
    if let Some(Cursor(after)) = cursor {
        query = query.filter(match order {
            Order::OldestFirst => id.gt(after),
            Order::NewestFirst => id.lt(after),
        });
    }
    let mut rows = query.all(db).await?;
    let more = rows.len() as u64 > limit.get();
    rows.truncate(limit.get() as usize);
    let next = if more {
        rows.last().map(|row| Cursor(E::row_id(row)))
    } else {
        None
    };
    Ok(Page { items: rows, next })
}

/// Rows by their ids, in one query: what rows that name others by id (an RSVP its
/// supporter, a signature its petition) are shown with.
pub async fn by_id<E: Paged>(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, E::Model>, DbErr> {
    let ids = distinct(ids);
    Ok(E::find()
        .filter(E::ID.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (E::row_id(&row), row))
        .collect())
}

/// Each id once, for an `IN` list.
fn distinct(ids: impl IntoIterator<Item = Uuid>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The slugs of rows of `E`, by id, in one query of those two columns only: lists
/// and feeds name each row's organisation and campaign, whose other columns (a
/// campaign's description) they do not show.
pub async fn slugs<E: Slugged>(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, DbErr> {
    let ids = distinct(ids);
    let pairs: Vec<(Uuid, String)> = E::find()
        .select_only()
        .column(E::ID)
        .column(E::SLUG)
        .filter(E::ID.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(pairs.into_iter().collect())
}

/// The slug of one row of `E` (blank when there is none).
pub async fn slug_of<E: Slugged>(db: &impl ConnectionTrait, id: Uuid) -> Result<String, DbErr> {
    Ok(slugs::<E>(db, [id]).await?.remove(&id).unwrap_or_default())
}

/// Content with the slug of the organisation that owns it.
#[derive(Debug, Clone)]
pub struct InOrganisation<T> {
    pub item: T,
    pub organisation: String,
}

/// Each row with its owner's slug, in one query for all of them.
pub async fn with_owners<E: Owned>(
    db: &impl ConnectionTrait,
    rows: Vec<E::Model>,
) -> Result<Vec<InOrganisation<E::Model>>, DbErr> {
    let slugs = self::slugs::<organisation::Entity>(db, rows.iter().map(E::owner)).await?;
    Ok(rows
        .into_iter()
        .map(|row| InOrganisation {
            // Every row has its owner (a foreign key): the default is never used.
            organisation: slugs.get(&E::owner(&row)).cloned().unwrap_or_default(),
            item: row,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Refusal;

    #[test]
    fn checks_name_every_refused_field_once_each() {
        let mut checks = Checks::default();
        let title = checks.title("  ");
        let slug = checks.slug(Some("Not A Slug"));
        let language = checks.language(Some("not a language"));
        let kept = checks.text("description", Change::Keep, 10);

        assert_eq!((title, slug, language, kept), (None, None, None, None));
        let Err(Invalid(refused)) = checks.finish() else {
            panic!("three fields were refused");
        };
        let fields: Vec<&str> = refused.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["title", "slug", "language"]);
        assert_eq!(refused[0].refusal, Refusal::Required);
    }

    #[test]
    fn a_change_keeps_sets_or_clears_and_a_required_field_cannot_be_cleared() {
        assert_eq!(Change::<String>::Keep.required("title"), Ok(None));
        assert_eq!(
            Change::Set("Film night".to_owned()).required("title"),
            Ok(Some("Film night".to_owned()))
        );
        let refused = Change::<String>::Clear.required("title").unwrap_err();
        assert_eq!(
            (refused.field.as_str(), refused.message.as_str()),
            ("title", "cannot be removed")
        );
        assert_eq!(Change::<String>::Clear.optional(), Some(None));
        assert_eq!(Change::<String>::Keep.optional(), None);

        let mut checks = Checks::default();
        assert_eq!(
            checks.text("description", Change::Clear, 10),
            Some(String::new())
        );
        assert_eq!(
            checks.language_change(Change::Clear),
            Some(Language::english())
        );
        assert!(
            checks
                .text("description", Change::Set("x".repeat(11)), 10)
                .is_none()
        );
        let Err(Invalid(refused)) = checks.finish() else {
            panic!("the long description was refused");
        };
        assert_eq!(refused[0].refusal, Refusal::TooLong { max: 10 });
    }

    #[test]
    fn a_cursor_is_an_id_and_a_limit_is_one_to_two_hundred() {
        let id = Uuid::now_v7();
        assert_eq!(
            Cursor::parse(&id.to_string()).unwrap().to_string(),
            id.to_string()
        );
        assert_eq!(Cursor::parse("page-2").unwrap_err().field, "cursor");

        assert_eq!(Limit::parse(None).unwrap().get(), DEFAULT_LIMIT);
        assert_eq!(Limit::parse(Some(200)).unwrap().get(), 200);
        assert!(Limit::parse(Some(0)).is_err());
        assert!(Limit::parse(Some(201)).is_err());
        assert_eq!(Limit::up_to(0).get(), 1);
        assert_eq!(Limit::up_to(10_000).get(), MAX_LIMIT);
    }
}
