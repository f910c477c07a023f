//! The rules of petitions: who may change them, when they take signatures, one
//! signature per person, double opt-in, and the count kept exact with each
//! confirmation.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use poem_openapi::types::MaybeUndefined;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::model::*;
use crate::access::{Access, AccessError, Role};
use crate::db::{free_slug, is_unique_violation};
use crate::domain::{
    Country, Email, InvalidField, Language, Locale, Slug, optional_text, required_text,
};
use crate::email::{
    Site, links,
    outbox::{self, OutgoingEmail},
    render::Template,
};
use crate::http::{
    ApiError, instant,
    page::{Limit, cursor_id, split_page},
};
use crate::supporters::service as supporters;
use entity::values::SignatureState;
use entity::{campaign, petition, signature, supporter};

/// How long a confirmation link works.
pub const CONFIRM_WITHIN: Duration = Duration::days(7);
/// The least time between two confirmation emails for one signature.
pub const RESEND_AFTER: Duration = Duration::hours(1);
/// What confirmation links are signed for.
const CONFIRM: &str = "confirm-signature";

/// Changes this process made to what the public sees of petitions (a count, a
/// status, a text): public reads cached for a moment are read again after one.
pub static PUBLIC_CHANGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn public_changed() {
    PUBLIC_CHANGES.fetch_add(1, std::sync::atomic::Ordering::Release);
}

#[derive(Debug, thiserror::Error)]
pub enum PetitionError {
    #[error("invalid petition")]
    Invalid(Vec<InvalidField>),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("no such petition")]
    NotFound,
    #[error("this petition belongs to another organisation")]
    Forbidden,
    #[error("the slug {0:?} is taken")]
    SlugTaken(String),
    #[error("this petition is not taking signatures")]
    Closed,
    #[error("{0}")]
    WrongState(&'static str),
    #[error("this confirmation link is not valid")]
    NoSuchLink,
    #[error("this confirmation link has expired; sign again to get a new one")]
    LinkExpired,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<InvalidField> for PetitionError {
    fn from(e: InvalidField) -> Self {
        Self::Invalid(vec![e])
    }
}

impl From<PetitionError> for ApiError {
    fn from(e: PetitionError) -> Self {
        match e {
            PetitionError::Invalid(fields) => ApiError::invalid(fields),
            PetitionError::Access(a) => a.into(),
            PetitionError::NotFound | PetitionError::NoSuchLink => {
                ApiError::not_found(e.to_string())
            }
            PetitionError::Forbidden => ApiError::forbidden(e.to_string()),
            PetitionError::SlugTaken(_)
            | PetitionError::Closed
            | PetitionError::WrongState(_)
            | PetitionError::LinkExpired => ApiError::conflict(e.to_string()),
            PetitionError::Db(e) => ApiError::internal(&e),
        }
    }
}

/// The status a petition shows: an open one whose `closes_at` passed is closed.
pub(super) fn status_at(row: &petition::Model, now: DateTime<Utc>) -> PetitionStatus {
    match row.status {
        PetitionStatus::Open if row.closes_at.is_some_and(|at| at <= now) => PetitionStatus::Closed,
        status => status,
    }
}

fn fields_of(row: &petition::Model) -> PetitionFields {
    PetitionFields {
        affiliation: row.field_affiliation,
        postal_code: row.field_postal_code,
        country: row.field_country,
        comment: row.field_comment,
    }
}

fn check_goal(goal: Option<i64>) -> Result<Option<i32>, InvalidField> {
    goal.map(|g| {
        i32::try_from(g)
            .ok()
            .filter(|g| *g > 0)
            .ok_or_else(|| InvalidField::new("goal", "must be a positive number"))
    })
    .transpose()
}

async fn campaign_in(
    db: &DatabaseConnection,
    organisation_id: Uuid,
    slug: Option<&str>,
) -> Result<Option<Uuid>, PetitionError> {
    let Some(slug) = slug else { return Ok(None) };
    campaign::Entity::find()
        .filter(campaign::Column::Slug.eq(slug))
        .filter(campaign::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .map(|c| Some(c.id))
        .ok_or_else(|| {
            InvalidField::new(
                "campaign",
                format!("no campaign {slug:?} in this organisation"),
            )
            .into()
        })
}

/// Create a petition; it starts as a draft.
pub async fn create(
    db: &DatabaseConnection,
    access: &Access,
    new: NewPetition,
    public_url: &str,
) -> Result<Petition, PetitionError> {
    let member = access.writable(new.organisation.as_deref())?;
    let mut errors = Vec::new();
    let title = required_text("title", &new.title, 200)
        .map_err(|e| errors.push(e))
        .ok();
    let target = required_text("target", &new.target, 300)
        .map_err(|e| errors.push(e))
        .ok();
    let body = optional_text("body", &new.body, 50_000)
        .map_err(|e| errors.push(e))
        .ok();
    let language = Language::parse(new.language.as_deref().unwrap_or("en"))
        .map_err(|e| errors.push(e.at("language")))
        .ok();
    let goal = check_goal(new.goal).map_err(|e| errors.push(e)).ok();
    let explicit = new
        .slug
        .as_deref()
        .map(|s| Slug::parse(s).map_err(|e| e.at("slug")))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(title), Some(target), Some(body), Some(language), Some(goal), Some(explicit)) =
        (title, target, body, language, goal, explicit)
    else {
        return Err(PetitionError::Invalid(errors));
    };
    let campaign_id = campaign_in(db, member.organisation_id, new.campaign.as_deref()).await?;
    let fields = new.fields.unwrap_or_default();
    let now = Utc::now();
    for _attempt in 0..5 {
        let slug = match &explicit {
            Some(slug) => slug.clone(),
            None => {
                let base = Slug::from_title(&title, "petition");
                free_slug::<petition::Entity>(db, petition::Column::Slug, &base).await?
            }
        };
        let row = petition::ActiveModel {
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
        };
        match row.insert(db).await {
            Ok(model) => return one_view(db, model, public_url).await,
            Err(e) if is_unique_violation(&e) && explicit.is_none() => continue,
            Err(e) if is_unique_violation(&e) => {
                return Err(PetitionError::SlugTaken(slug.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(PetitionError::SlugTaken(
        Slug::from_title(&title, "petition").to_string(),
    ))
}

/// The petitions of the organiser's organisations, newest first.
pub async fn list(
    db: &DatabaseConnection,
    access: &Access,
    limit: Limit,
    cursor: Option<&str>,
    public_url: &str,
) -> Result<(Vec<Petition>, Option<String>), PetitionError> {
    let mut query = petition::Entity::find()
        .filter(petition::Column::OrganisationId.is_in(access.organisation_ids()))
        .order_by_desc(petition::Column::Id)
        .limit(limit.get() + 1);
    if let Some(before) = cursor_id(cursor)? {
        query = query.filter(petition::Column::Id.lt(before));
    }
    let rows = query.all(db).await?;
    let (rows, next) = split_page(rows, limit, |p| p.id.to_string());
    Ok((views(db, rows, public_url).await?, next))
}

pub async fn get(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    public_url: &str,
) -> Result<Petition, PetitionError> {
    let row = find_for(db, access, id, Role::Viewer).await?;
    one_view(db, row, public_url).await
}

/// Change a petition. Its signature settings may change while it is open; its
/// count never changes here.
pub async fn patch(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    patch: PetitionPatch,
    public_url: &str,
) -> Result<Petition, PetitionError> {
    let row = find_for(db, access, id, Role::Organiser).await?;
    let mut active: petition::ActiveModel = row.clone().into();
    let mut errors = Vec::new();
    let mut explicit_slug = None;
    match patch.slug {
        MaybeUndefined::Value(slug) => match Slug::parse(&slug) {
            Ok(slug) => {
                active.slug = Set(slug.to_string());
                explicit_slug = Some(slug.to_string());
            }
            Err(e) => errors.push(e.at("slug")),
        },
        MaybeUndefined::Null => errors.push(InvalidField::new("slug", "cannot be removed")),
        MaybeUndefined::Undefined => {}
    }
    let text = |field: &str, value: MaybeUndefined<crate::http::Text>, max: usize| match value {
        MaybeUndefined::Value(v) => Some(required_text(field, &v, max)),
        MaybeUndefined::Null => Some(Err(InvalidField::new(field, "cannot be removed"))),
        MaybeUndefined::Undefined => None,
    };
    match text("title", patch.title, 200) {
        Some(Ok(v)) => active.title = Set(v),
        Some(Err(e)) => errors.push(e),
        None => {}
    }
    match text("target", patch.target, 300) {
        Some(Ok(v)) => active.target = Set(v),
        Some(Err(e)) => errors.push(e),
        None => {}
    }
    match patch.body {
        MaybeUndefined::Value(v) => match optional_text("body", &v, 50_000) {
            Ok(v) => active.body = Set(v),
            Err(e) => errors.push(e),
        },
        MaybeUndefined::Null => active.body = Set(String::new()),
        MaybeUndefined::Undefined => {}
    }
    match patch.language {
        MaybeUndefined::Value(v) => match Language::parse(&v) {
            Ok(l) => active.language = Set(l),
            Err(e) => errors.push(e.at("language")),
        },
        MaybeUndefined::Null => active.language = Set(Language::english()),
        MaybeUndefined::Undefined => {}
    }
    match patch.goal {
        MaybeUndefined::Value(g) => match check_goal(Some(g)) {
            Ok(g) => active.goal = Set(g),
            Err(e) => errors.push(e),
        },
        MaybeUndefined::Null => active.goal = Set(None),
        MaybeUndefined::Undefined => {}
    }
    match patch.closes_at {
        MaybeUndefined::Value(at) => active.closes_at = Set(Some(at)),
        MaybeUndefined::Null => active.closes_at = Set(None),
        MaybeUndefined::Undefined => {}
    }
    if let MaybeUndefined::Value(required) = patch.require_confirmation {
        active.require_confirmation = Set(required);
    }
    if let MaybeUndefined::Value(fields) = patch.fields {
        active.field_affiliation = Set(fields.affiliation);
        active.field_postal_code = Set(fields.postal_code);
        active.field_country = Set(fields.country);
        active.field_comment = Set(fields.comment);
    }
    match patch.campaign {
        MaybeUndefined::Value(slug) => {
            match campaign_in(db, row.organisation_id, Some(&slug)).await {
                Ok(id) => active.campaign_id = Set(id),
                Err(PetitionError::Invalid(mut e)) => errors.append(&mut e),
                Err(e) => return Err(e),
            }
        }
        MaybeUndefined::Null => active.campaign_id = Set(None),
        MaybeUndefined::Undefined => {}
    }
    if !errors.is_empty() {
        return Err(PetitionError::Invalid(errors));
    }
    active.updated_at = Set(Utc::now());
    let updated = match active.update(db).await {
        Ok(model) => model,
        Err(e) if is_unique_violation(&e) => {
            return Err(PetitionError::SlugTaken(explicit_slug.unwrap_or_default()));
        }
        Err(e) => return Err(e.into()),
    };
    public_changed();
    one_view(db, updated, public_url).await
}

/// Open a draft for signatures. Publishing twice changes nothing.
pub async fn publish(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    public_url: &str,
) -> Result<Petition, PetitionError> {
    let row = find_for(db, access, id, Role::Organiser).await?;
    let row = match row.status {
        PetitionStatus::Draft => set_status(db, row, PetitionStatus::Open).await?,
        PetitionStatus::Open => row,
        _ => {
            return Err(PetitionError::WrongState(
                "a closed petition cannot open again",
            ));
        }
    };
    one_view(db, row, public_url).await
}

/// Stop taking signatures. Closing twice changes nothing.
pub async fn close(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    public_url: &str,
) -> Result<Petition, PetitionError> {
    let row = find_for(db, access, id, Role::Organiser).await?;
    let row = match row.status {
        PetitionStatus::Open => set_status(db, row, PetitionStatus::Closed).await?,
        PetitionStatus::Closed => row,
        PetitionStatus::Draft => {
            return Err(PetitionError::WrongState(
                "a draft cannot be closed; publish it first",
            ));
        }
        _ => return Err(PetitionError::WrongState("this petition was delivered")),
    };
    one_view(db, row, public_url).await
}

/// Record that the petition was handed to its target; it takes no more signatures.
pub async fn deliver(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    request: DeliverRequest,
    public_url: &str,
) -> Result<Petition, PetitionError> {
    let note = request
        .note
        .as_deref()
        .map(|n| optional_text("note", n, 5_000))
        .transpose()?
        .filter(|n| !n.is_empty());
    let row = find_for(db, access, id, Role::Organiser).await?;
    if row.status == PetitionStatus::Draft {
        return Err(PetitionError::WrongState("a draft cannot be delivered"));
    }
    let delivered_at = request.delivered_at.unwrap_or_else(Utc::now);
    let mut active: petition::ActiveModel = row.into();
    active.status = Set(PetitionStatus::Delivered);
    active.delivered_at = Set(Some(delivered_at));
    active.delivery_note = Set(note);
    active.updated_at = Set(Utc::now());
    let row = active.update(db).await?;
    public_changed();
    one_view(db, row, public_url).await
}

async fn set_status(
    db: &DatabaseConnection,
    row: petition::Model,
    status: PetitionStatus,
) -> Result<petition::Model, DbErr> {
    let mut active: petition::ActiveModel = row.into();
    active.status = Set(status);
    active.updated_at = Set(Utc::now());
    let row = active.update(db).await?;
    public_changed();
    Ok(row)
}

/// A published petition (any but a draft): its row and its organisation's name,
/// which signing reads, and what the public sees.
#[derive(Debug, Clone)]
pub struct Published {
    pub row: std::sync::Arc<petition::Model>,
    pub organisation_name: std::sync::Arc<str>,
    pub view: Petition,
}

pub async fn public_get(
    db: &DatabaseConnection,
    id_or_slug: &str,
    public_url: &str,
) -> Result<Published, PetitionError> {
    let row = find_public(db, id_or_slug).await?;
    Ok(Published {
        row: std::sync::Arc::new(row.clone()),
        organisation_name: organisation_name(db, &row).await?.into(),
        view: one_view(db, row, public_url).await?,
    })
}

async fn find_public(
    db: &impl ConnectionTrait,
    id_or_slug: &str,
) -> Result<petition::Model, PetitionError> {
    find(db, id_or_slug)
        .await?
        .filter(|p| p.status != PetitionStatus::Draft)
        .ok_or(PetitionError::NotFound)
}

/// A campaign's petitions open for signatures, newest first.
pub async fn open_in_campaign(
    db: &DatabaseConnection,
    campaign_id: Uuid,
    public_url: &str,
) -> Result<Vec<Petition>, DbErr> {
    let now = Utc::now();
    let rows = petition::Entity::find()
        .filter(petition::Column::CampaignId.eq(campaign_id))
        .filter(petition::Column::Status.eq(PetitionStatus::Open))
        .order_by_desc(petition::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|p| status_at(p, now) == PetitionStatus::Open)
        .collect();
    views(db, rows, public_url).await
}

/// Petitions open for signatures anywhere, newest first (for the home page).
pub async fn open(
    db: &DatabaseConnection,
    limit: u64,
    public_url: &str,
) -> Result<Vec<Petition>, DbErr> {
    let now = Utc::now();
    let rows = petition::Entity::find()
        .filter(petition::Column::Status.eq(PetitionStatus::Open))
        .filter(
            sea_orm::Condition::any()
                .add(petition::Column::ClosesAt.is_null())
                .add(petition::Column::ClosesAt.gt(now)),
        )
        .order_by_desc(petition::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    views(db, rows, public_url).await
}

/// Confirmed signers who chose to be shown, newest first.
pub async fn public_signers(
    db: &DatabaseConnection,
    id_or_slug: &str,
    limit: Limit,
    cursor: Option<&str>,
) -> Result<(Vec<PublicSigner>, Option<String>), PetitionError> {
    let petition = find_public(db, id_or_slug).await?;
    let mut query = signature::Entity::find()
        .filter(signature::Column::PetitionId.eq(petition.id))
        .filter(signature::Column::Status.eq(SignatureState::Confirmed))
        .filter(signature::Column::Public.eq(true))
        .order_by_desc(signature::Column::Id)
        .limit(limit.get() + 1);
    if let Some(before) = cursor_id(cursor)? {
        query = query.filter(signature::Column::Id.lt(before));
    }
    let rows = query.all(db).await?;
    let (rows, next) = split_page(rows, limit, |s| s.id.to_string());
    Ok((
        rows.into_iter()
            .map(|s| PublicSigner {
                name: s.name,
                locality: s.locality,
                country: s.country.map(|c| c.to_string()),
                affiliation: s.affiliation,
                comment: s.comment,
                signed_at: instant(s.confirmed_at.unwrap_or(s.created_at)),
            })
            .collect(),
        next,
    ))
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
    /// The hidden field was filled in: a robot.
    pub robot: bool,
}

impl SignForm {
    /// Check what does not depend on the petition.
    pub fn parse(r: SignRequest) -> Result<Self, Vec<InvalidField>> {
        let mut errors = Vec::new();
        let mut keep = |e: InvalidField| errors.push(e);
        let email = Email::parse(&r.email).map_err(|e| keep(e.at("email"))).ok();
        let name = required_text("name", &r.name, 200)
            .map(|n| crate::email::message::one_line(&n))
            .map_err(&mut keep)
            .ok();
        let optional = |field: &str, value: Option<crate::http::Text>, max: usize| {
            value
                .map(|v| optional_text(field, &v, max))
                .transpose()
                .map(|v| v.filter(|v| !v.is_empty()))
        };
        let affiliation = optional("affiliation", r.affiliation, 200)
            .map_err(&mut keep)
            .ok();
        let postal_code = optional("postal_code", r.postal_code, 20)
            .map_err(&mut keep)
            .ok();
        let locality = optional("locality", r.locality, 100)
            .map_err(&mut keep)
            .ok();
        let comment = optional("comment", r.comment, 2_000)
            .map_err(&mut keep)
            .ok();
        let country = r
            .country
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .map(|c| Country::parse(c).map_err(|e| e.at("country")))
            .transpose()
            .map_err(&mut keep)
            .ok();
        let locale = r
            .locale
            .as_deref()
            .map(Locale::parse)
            .transpose()
            .map_err(&mut keep)
            .ok();
        match (
            email,
            name,
            affiliation,
            postal_code,
            locality,
            comment,
            country,
            locale,
        ) {
            (
                Some(email),
                Some(name),
                Some(affiliation),
                Some(postal_code),
                Some(locality),
                Some(comment),
                Some(country),
                Some(locale),
            ) if errors.is_empty() => Ok(Self {
                email,
                name,
                affiliation,
                postal_code,
                locality,
                country,
                comment,
                public: r.public.unwrap_or(false),
                subscribe: r.subscribe.unwrap_or(false),
                locale,
                robot: r.website.is_some_and(|w| !w.trim().is_empty()),
            }),
            _ => Err(errors),
        }
    }

    /// Check the fields this petition asks for, and drop those it does not.
    fn fit(mut self, fields: PetitionFields) -> Result<Self, PetitionError> {
        let mut errors = Vec::new();
        let mut rule = |field: &str, rule: FieldRule, present: bool| match rule {
            FieldRule::Required if !present => {
                errors.push(InvalidField::new(field, "this petition asks for it"));
                false
            }
            FieldRule::Off => false,
            _ => true,
        };
        if !rule(
            "affiliation",
            fields.affiliation,
            self.affiliation.is_some(),
        ) {
            self.affiliation = None;
        }
        if !rule(
            "postal_code",
            fields.postal_code,
            self.postal_code.is_some(),
        ) {
            self.postal_code = None;
        }
        if !rule("country", fields.country, self.country.is_some()) {
            self.country = None;
        }
        if !rule("comment", fields.comment, self.comment.is_some()) {
            self.comment = None;
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(PetitionError::Invalid(errors))
        }
    }
}

/// Sign a petition. Whether or not this person had signed before, the answer is
/// the same, so nobody learns who has signed: `pending_confirmation` (an email
/// with a link is on its way, at most one an hour) or, when the petition needs no
/// confirmation, `confirmed`. `published` is as read at most a second ago; the
/// writer checks in its transaction that the petition is still open.
#[tracing::instrument(skip_all, fields(petition = %published.row.id))]
pub async fn sign(
    intake: &super::intake::Intake,
    published: &Published,
    form: SignForm,
) -> Result<SignatureStatus, PetitionError> {
    let now = Utc::now();
    let petition = &published.row;
    if status_at(petition, now) != PetitionStatus::Open {
        return Err(PetitionError::Closed);
    }
    let form = form.fit(fields_of(petition))?;
    let answer = if petition.require_confirmation {
        SignatureStatus::PendingConfirmation
    } else {
        SignatureStatus::Confirmed
    };
    if form.robot {
        // Answer as to a person; keep nothing.
        return Ok(answer);
    }
    let taken = intake
        .write(super::intake::Signing {
            petition: petition.clone(),
            organisation_name: published.organisation_name.clone(),
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

/// Confirm a signature from the emailed link. Confirming again changes nothing.
#[tracing::instrument(skip_all)]
pub async fn confirm(
    db: &DatabaseConnection,
    site: &Site,
    token: &str,
) -> Result<i32, PetitionError> {
    let id = links::verify(&site.secret, CONFIRM, token).ok_or(PetitionError::NoSuchLink)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
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
    // The address is proven now: the consent its signer gave takes effect (unless
    // they have since unsubscribed, which stands).
    if row.subscribe && !supporter.subscribed && supporter.unsubscribed_at.is_none() {
        supporter::Entity::update_many()
            .col_expr(supporter::Column::Subscribed, Expr::value(true))
            .filter(supporter::Column::Id.eq(supporter.id))
            .exec(&txn.txn)
            .await?;
    }
    let mail = PetitionMail::load(&txn.txn, &petition, site).await?;
    outbox::enqueue(&txn.txn, site, [mail.thanks(&row, &supporter, count)]).await?;
    txn.commit().await?;
    public_changed();
    Ok(count)
}

/// Unconfirmed signatures past their week: marked expired, what they said
/// dropped (the address key stays, so signing again starts afresh). They never
/// counted.
pub async fn expire_unconfirmed(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let _turn = crate::db::write_turn(db).await;
    let expired = signature::Entity::update_many()
        .col_expr(
            signature::Column::Status,
            Expr::value(SignatureState::Expired),
        )
        .col_expr(signature::Column::Name, Expr::value(""))
        .col_expr(
            signature::Column::Country,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            signature::Column::Affiliation,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            signature::Column::PostalCode,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            signature::Column::Locality,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            signature::Column::Comment,
            Expr::value(Option::<String>::None),
        )
        .filter(signature::Column::Status.eq(SignatureState::Pending))
        .filter(signature::Column::ExpiresAt.lte(now))
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
                "url": format!("{}/petitions/{}", self.site.public_url, p.slug),
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

/// A petition's signatures, for its organisers: every status, oldest first.
pub async fn signatures(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    limit: Option<Limit>,
    cursor: Option<&str>,
) -> Result<(Vec<SignatureRecord>, Option<String>), PetitionError> {
    let petition = find_for(db, access, id, Role::Organiser).await?;
    let mut query = signature::Entity::find()
        .filter(signature::Column::PetitionId.eq(petition.id))
        .order_by_asc(signature::Column::Id);
    if let Some(limit) = limit {
        query = query.limit(limit.get() + 1);
    }
    if let Some(after) = cursor_id(cursor)? {
        query = query.filter(signature::Column::Id.gt(after));
    }
    let rows = query.all(db).await?;
    let (rows, next) = match limit {
        Some(limit) => split_page(rows, limit, |s| s.id.to_string()),
        None => (rows, None),
    };
    let emails = supporters::emails_of(db, rows.iter().map(|s| s.supporter_id)).await?;
    Ok((
        rows.into_iter()
            .map(|s| SignatureRecord {
                id: s.id.to_string(),
                supporter_id: s.supporter_id.to_string(),
                email: emails.get(&s.supporter_id).cloned().unwrap_or_default(),
                name: s.name,
                affiliation: s.affiliation,
                postal_code: s.postal_code,
                locality: s.locality,
                country: s.country.map(|c| c.to_string()),
                comment: s.comment,
                public: s.public,
                status: s.status,
                created_at: instant(s.created_at),
                confirmed_at: s.confirmed_at.map(instant),
            })
            .collect(),
        next,
    ))
}

/// The confirmed signatures as handed to the target: no addresses.
pub async fn delivery(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
) -> Result<(petition::Model, Vec<signature::Model>), PetitionError> {
    let petition = find_for(db, access, id, Role::Organiser).await?;
    let rows = signature::Entity::find()
        .filter(signature::Column::PetitionId.eq(petition.id))
        .filter(signature::Column::Status.eq(SignatureState::Confirmed))
        .order_by_asc(signature::Column::ConfirmedAt)
        .all(db)
        .await?;
    Ok((petition, rows))
}

async fn find(
    db: &impl ConnectionTrait,
    id_or_slug: &str,
) -> Result<Option<petition::Model>, DbErr> {
    crate::db::find_by_id_or_slug::<petition::Entity>(db, petition::Column::Slug, id_or_slug).await
}

async fn find_for(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    role: Role,
) -> Result<petition::Model, PetitionError> {
    let row = find(db, id).await?.ok_or(PetitionError::NotFound)?;
    match access.role_in(row.organisation_id) {
        Some(r) if r >= role => Ok(row),
        Some(_) => Err(AccessError::ReadOnly.into()),
        None => Err(PetitionError::Forbidden),
    }
}

async fn one_view(
    db: &DatabaseConnection,
    row: petition::Model,
    public_url: &str,
) -> Result<Petition, PetitionError> {
    views(db, vec![row], public_url)
        .await?
        .pop()
        .ok_or(PetitionError::NotFound)
}

async fn views(
    db: &DatabaseConnection,
    rows: Vec<petition::Model>,
    public_url: &str,
) -> Result<Vec<Petition>, DbErr> {
    let orgs =
        crate::content::organisation_slugs(db, rows.iter().map(|p| p.organisation_id)).await?;
    let campaigns: HashMap<Uuid, String> = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(rows.iter().filter_map(|p| p.campaign_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.slug))
        .collect();
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|p| Petition {
            id: p.id.to_string(),
            url: format!("{public_url}/petitions/{}", p.slug),
            organisation: orgs.get(&p.organisation_id).cloned().unwrap_or_default(),
            campaign: p.campaign_id.and_then(|id| campaigns.get(&id).cloned()),
            status: status_at(&p, now),
            fields: fields_of(&p),
            slug: p.slug,
            title: p.title,
            target: p.target,
            body: p.body,
            language: p.language.to_string(),
            goal: p.goal,
            closes_at: p.closes_at.map(instant),
            require_confirmation: p.require_confirmation,
            signature_count: p.signature_count,
            delivered_at: p.delivered_at.map(instant),
            delivery_note: p.delivery_note,
            created_at: instant(p.created_at),
            updated_at: instant(p.updated_at),
        })
        .collect())
}

/// What the confirmation page shows before the click: the petition's title and
/// the signer's language, if the link is good.
pub async fn confirmation_details(
    db: &DatabaseConnection,
    site: &Site,
    token: &str,
) -> Result<Option<(String, Locale, bool)>, DbErr> {
    let Some(id) = links::verify(&site.secret, CONFIRM, token) else {
        return Ok(None);
    };
    let Some(row) = signature::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let Some(petition) = petition::Entity::find_by_id(row.petition_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let locale = Locale::choose(row.locale, &petition.language);
    Ok(Some((
        petition.title,
        locale,
        row.status == SignatureState::Confirmed,
    )))
}
