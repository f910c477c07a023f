//! The rules of fundraisers: who may change them, the limits on a gift, and totals
//! summed from the donations themselves, so they are exact whatever happened to
//! each gift (refunds, erasure, a webhook told twice).

use std::collections::HashMap;

use chrono::Utc;
use poem_openapi::types::MaybeUndefined;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::model::*;
use crate::access::{Access, AccessError, Role};
use crate::db::{free_slug, is_unique_violation};
use crate::domain::{Currency, InvalidField, Language, Money, Slug, optional_text, required_text};
use crate::http::{
    ApiError, Text, instant,
    money::MoneyBody,
    page::{Limit, cursor_id, split_page},
};
use crate::payments::StripeError;
use entity::{donation, fundraiser};

/// The most one online gift may be: Stripe charges at most eight digits.
pub const STRIPE_MAX_AMOUNT: i64 = 99_999_999;
/// Suggested amounts a form can show.
const MAX_SUGGESTIONS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum FundraiserError {
    #[error("invalid request")]
    Invalid(Vec<InvalidField>),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("no such fundraiser")]
    NotFound,
    #[error("no such donation")]
    NoSuchDonation,
    #[error("this belongs to another organisation")]
    Forbidden,
    #[error("the slug {0:?} is taken")]
    SlugTaken(String),
    #[error("this fundraiser is closed")]
    Closed,
    #[error("{0}")]
    WrongState(&'static str),
    #[error("online payments are not configured on this server")]
    PaymentsOff,
    #[error("the payment provider failed; nothing was charged")]
    Provider(#[from] StripeError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<InvalidField> for FundraiserError {
    fn from(e: InvalidField) -> Self {
        Self::Invalid(vec![e])
    }
}

impl From<Vec<InvalidField>> for FundraiserError {
    fn from(e: Vec<InvalidField>) -> Self {
        Self::Invalid(e)
    }
}

impl From<FundraiserError> for ApiError {
    fn from(e: FundraiserError) -> Self {
        match e {
            FundraiserError::Invalid(fields) => ApiError::invalid(fields),
            FundraiserError::Access(a) => a.into(),
            FundraiserError::NotFound | FundraiserError::NoSuchDonation => {
                ApiError::not_found(e.to_string())
            }
            FundraiserError::Forbidden => ApiError::forbidden(e.to_string()),
            FundraiserError::SlugTaken(_)
            | FundraiserError::Closed
            | FundraiserError::WrongState(_) => ApiError::conflict(e.to_string()),
            FundraiserError::PaymentsOff => ApiError::unavailable(e.to_string()),
            FundraiserError::Provider(cause) => {
                tracing::warn!(error = %cause, "Stripe call failed");
                ApiError::bad_gateway("the payment provider failed; nothing was charged")
            }
            FundraiserError::Db(e) => ApiError::internal(&e),
        }
    }
}

/// What one online gift may be, in minor units of the goal's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Limits {
    min: i64,
    max: i64,
    suggested: Vec<i64>,
}

impl Limits {
    /// One major unit at least; 10, 25, 50 and 100 major units suggested.
    fn default_for(currency: Currency) -> Self {
        let unit = 10_i64.pow(currency.exponent());
        Self {
            min: unit,
            max: STRIPE_MAX_AMOUNT,
            suggested: [10, 25, 50, 100]
                .into_iter()
                .map(|n| n * unit)
                .filter(|n| *n <= STRIPE_MAX_AMOUNT)
                .collect(),
        }
    }

    fn check(
        min: i64,
        max: i64,
        suggested: Vec<i64>,
        errors: &mut Vec<InvalidField>,
    ) -> Option<Self> {
        let before = errors.len();
        if min < 1 {
            errors.push(InvalidField::new("min_amount", "must be at least 1"));
        }
        if max > STRIPE_MAX_AMOUNT {
            errors.push(InvalidField::new(
                "max_amount",
                format!("must be at most {STRIPE_MAX_AMOUNT}, the largest payment Stripe takes"),
            ));
        }
        if min > max {
            errors.push(InvalidField::new(
                "min_amount",
                "must not be more than max_amount",
            ));
        }
        let mut suggested = suggested;
        suggested.sort_unstable();
        suggested.dedup();
        if suggested.len() > MAX_SUGGESTIONS {
            errors.push(InvalidField::new(
                "suggested_amounts",
                format!("at most {MAX_SUGGESTIONS}"),
            ));
        }
        if suggested.iter().any(|a| *a < min || *a > max) {
            errors.push(InvalidField::new(
                "suggested_amounts",
                "each must be between min_amount and max_amount",
            ));
        }
        (errors.len() == before).then_some(Self {
            min,
            max,
            suggested,
        })
    }

    fn of(row: &fundraiser::Model) -> Self {
        Self {
            min: row.min_amount,
            max: row.max_amount,
            suggested: serde_json::from_str(&row.suggested_amounts).unwrap_or_default(),
        }
    }
}

/// The goal: a positive amount, no larger than any amount may be.
fn check_goal(goal: &crate::http::money::MoneyInput) -> Result<Money, Vec<InvalidField>> {
    goal.parse("goal")
}

async fn campaign_in(
    db: &DatabaseConnection,
    organisation_id: Uuid,
    slug: &str,
) -> Result<Uuid, FundraiserError> {
    crate::campaigns::service::by_slug(db, slug)
        .await?
        .filter(|c| c.organisation_id == organisation_id)
        .map(|c| c.id)
        .ok_or_else(|| {
            InvalidField::new(
                "campaign",
                format!("no campaign {slug:?} in this organisation"),
            )
            .into()
        })
}

/// Create a fundraiser; it starts as a draft.
pub async fn create(
    db: &DatabaseConnection,
    access: &Access,
    new: NewFundraiser,
    public_url: &str,
) -> Result<Fundraiser, FundraiserError> {
    let member = access.writable(new.organisation.as_deref())?;
    let mut errors = Vec::new();
    let title = required_text("title", new.title.as_deref().unwrap_or_default(), 200)
        .map_err(|e| errors.push(e))
        .ok();
    let description = optional_text("description", &new.description, 50_000)
        .map_err(|e| errors.push(e))
        .ok();
    let language = Language::parse(new.language.as_deref().unwrap_or("en"))
        .map_err(|e| errors.push(e.at("language")))
        .ok();
    let goal = match &new.goal {
        Some(goal) => check_goal(goal).map_err(|mut e| errors.append(&mut e)).ok(),
        None => {
            errors.push(InvalidField::new("goal", "is required"));
            None
        }
    };
    let explicit = new
        .slug
        .as_deref()
        .map(|s| Slug::parse(s).map_err(|e| e.at("slug")))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok();
    let limits = goal.and_then(|goal| {
        let defaults = Limits::default_for(goal.currency());
        Limits::check(
            new.min_amount.unwrap_or(defaults.min),
            new.max_amount.unwrap_or(defaults.max),
            new.suggested_amounts.unwrap_or(defaults.suggested),
            &mut errors,
        )
    });
    let (Some(title), Some(description), Some(language), Some(goal), Some(explicit), Some(limits)) =
        (title, description, language, goal, explicit, limits)
    else {
        return Err(FundraiserError::Invalid(errors));
    };
    let campaign_id = match new.campaign.as_deref() {
        Some(slug) => Some(campaign_in(db, member.organisation_id, slug).await?),
        None => None,
    };
    let now = Utc::now();
    for _attempt in 0..5 {
        let slug = match &explicit {
            Some(slug) => slug.clone(),
            None => {
                let base = Slug::from_title(&title, "fundraiser");
                free_slug::<fundraiser::Entity>(db, fundraiser::Column::Slug, &base).await?
            }
        };
        let row = fundraiser::ActiveModel {
            id: Set(Uuid::now_v7()),
            organisation_id: Set(member.organisation_id),
            campaign_id: Set(campaign_id),
            slug: Set(slug.to_string()),
            title: Set(title.clone()),
            description: Set(description.clone()),
            language: Set(language.clone()),
            goal_amount: Set(goal.minor()),
            currency: Set(goal.currency()),
            suggested_amounts: Set(json_list(&limits.suggested)),
            min_amount: Set(limits.min),
            max_amount: Set(limits.max),
            status: Set(FundraiserStatus::Draft),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match row.insert(db).await {
            Ok(model) => return one_view(db, model, public_url).await,
            Err(e) if is_unique_violation(&e) && explicit.is_none() => continue,
            Err(e) if is_unique_violation(&e) => {
                return Err(FundraiserError::SlugTaken(slug.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(FundraiserError::SlugTaken(
        Slug::from_title(&title, "fundraiser").to_string(),
    ))
}

fn json_list(amounts: &[i64]) -> String {
    serde_json::to_string(amounts).unwrap_or_else(|_| "[]".into())
}

/// The fundraisers of the organiser's organisations, newest first.
pub async fn list(
    db: &DatabaseConnection,
    access: &Access,
    limit: Limit,
    cursor: Option<&str>,
    public_url: &str,
) -> Result<(Vec<Fundraiser>, Option<String>), FundraiserError> {
    let mut query = fundraiser::Entity::find()
        .filter(fundraiser::Column::OrganisationId.is_in(access.organisation_ids()))
        .order_by_desc(fundraiser::Column::Id)
        .limit(limit.get() + 1);
    if let Some(before) = cursor_id(cursor)? {
        query = query.filter(fundraiser::Column::Id.lt(before));
    }
    let rows = query.all(db).await?;
    let (rows, next) = split_page(rows, limit, |f| f.id.to_string());
    Ok((views(db, rows, public_url).await?, next))
}

pub async fn get(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    public_url: &str,
) -> Result<Fundraiser, FundraiserError> {
    let row = find_for(db, access, id, Role::Viewer).await?;
    one_view(db, row, public_url).await
}

/// Change a fundraiser. A new goal currency brings that currency's default limits,
/// unless the change sets them too.
pub async fn patch(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    patch: FundraiserPatch,
    public_url: &str,
) -> Result<Fundraiser, FundraiserError> {
    let row = find_for(db, access, id, Role::Organiser).await?;
    let mut active: fundraiser::ActiveModel = row.clone().into();
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
    match patch.title {
        MaybeUndefined::Value(v) => match required_text("title", &v, 200) {
            Ok(v) => active.title = Set(v),
            Err(e) => errors.push(e),
        },
        MaybeUndefined::Null => errors.push(InvalidField::new("title", "cannot be removed")),
        MaybeUndefined::Undefined => {}
    }
    match patch.description {
        MaybeUndefined::Value(v) => match optional_text("description", &v, 50_000) {
            Ok(v) => active.description = Set(v),
            Err(e) => errors.push(e),
        },
        MaybeUndefined::Null => active.description = Set(String::new()),
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
    let mut limits = Limits::of(&row);
    match patch.goal {
        MaybeUndefined::Value(goal) => match check_goal(&goal) {
            Ok(goal) => {
                if goal.currency() != row.currency {
                    limits = Limits::default_for(goal.currency());
                }
                active.goal_amount = Set(goal.minor());
                active.currency = Set(goal.currency());
            }
            Err(mut e) => errors.append(&mut e),
        },
        MaybeUndefined::Null => errors.push(InvalidField::new("goal", "cannot be removed")),
        MaybeUndefined::Undefined => {}
    }
    let given =
        |value: MaybeUndefined<i64>, field: &str, errors: &mut Vec<InvalidField>| match value {
            MaybeUndefined::Value(v) => Some(v),
            MaybeUndefined::Null => {
                errors.push(InvalidField::new(field, "cannot be removed"));
                None
            }
            MaybeUndefined::Undefined => None,
        };
    let min = given(patch.min_amount, "min_amount", &mut errors).unwrap_or(limits.min);
    let max = given(patch.max_amount, "max_amount", &mut errors).unwrap_or(limits.max);
    let suggested = match patch.suggested_amounts {
        MaybeUndefined::Value(v) => v,
        MaybeUndefined::Null => Vec::new(),
        MaybeUndefined::Undefined => limits.suggested.clone(),
    };
    if let Some(limits) = Limits::check(min, max, suggested, &mut errors) {
        active.min_amount = Set(limits.min);
        active.max_amount = Set(limits.max);
        active.suggested_amounts = Set(json_list(&limits.suggested));
    }
    match patch.campaign {
        MaybeUndefined::Value(slug) => match campaign_in(db, row.organisation_id, &slug).await {
            Ok(id) => active.campaign_id = Set(Some(id)),
            Err(FundraiserError::Invalid(mut e)) => errors.append(&mut e),
            Err(e) => return Err(e),
        },
        MaybeUndefined::Null => active.campaign_id = Set(None),
        MaybeUndefined::Undefined => {}
    }
    if !errors.is_empty() {
        return Err(FundraiserError::Invalid(errors));
    }
    active.updated_at = Set(Utc::now());
    let updated = match active.update(db).await {
        Ok(model) => model,
        Err(e) if is_unique_violation(&e) => {
            return Err(FundraiserError::SlugTaken(
                explicit_slug.unwrap_or_default(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    one_view(db, updated, public_url).await
}

/// Open a fundraiser for donations: a draft, or a closed appeal opening again.
pub async fn publish(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    public_url: &str,
) -> Result<Fundraiser, FundraiserError> {
    let row = find_for(db, access, id, Role::Organiser).await?;
    let row = match row.status {
        FundraiserStatus::Open => row,
        _ => set_status(db, row, FundraiserStatus::Open).await?,
    };
    one_view(db, row, public_url).await
}

/// Stop taking online donations. Closing twice changes nothing.
pub async fn close(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    public_url: &str,
) -> Result<Fundraiser, FundraiserError> {
    let row = find_for(db, access, id, Role::Organiser).await?;
    let row = match row.status {
        FundraiserStatus::Open => set_status(db, row, FundraiserStatus::Closed).await?,
        FundraiserStatus::Closed => row,
        _ => {
            return Err(FundraiserError::WrongState(
                "a draft cannot be closed; publish it first",
            ));
        }
    };
    one_view(db, row, public_url).await
}

async fn set_status(
    db: &DatabaseConnection,
    row: fundraiser::Model,
    status: FundraiserStatus,
) -> Result<fundraiser::Model, DbErr> {
    let mut active: fundraiser::ActiveModel = row.into();
    active.status = Set(status);
    active.updated_at = Set(Utc::now());
    active.update(db).await
}

/// A fundraiser anyone may see: any but a draft.
pub async fn public_get(
    db: &DatabaseConnection,
    id_or_slug: &str,
    public_url: &str,
) -> Result<Fundraiser, FundraiserError> {
    let row = find_public(db, id_or_slug).await?;
    one_view(db, row, public_url).await
}

pub(super) async fn find_public(
    db: &impl ConnectionTrait,
    id_or_slug: &str,
) -> Result<fundraiser::Model, FundraiserError> {
    find(db, id_or_slug)
        .await?
        .filter(|f| f.status != FundraiserStatus::Draft)
        .ok_or(FundraiserError::NotFound)
}

/// Fundraisers open for donations anywhere, newest first (for the home page).
pub async fn open(
    db: &DatabaseConnection,
    limit: u64,
    public_url: &str,
) -> Result<Vec<Fundraiser>, DbErr> {
    let rows = fundraiser::Entity::find()
        .filter(fundraiser::Column::Status.eq(FundraiserStatus::Open))
        .order_by_desc(fundraiser::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    views(db, rows, public_url).await
}

/// A campaign's fundraisers open for donations, newest first.
pub async fn open_in_campaign(
    db: &DatabaseConnection,
    campaign_id: Uuid,
    public_url: &str,
) -> Result<Vec<Fundraiser>, DbErr> {
    let rows = fundraiser::Entity::find()
        .filter(fundraiser::Column::CampaignId.eq(campaign_id))
        .filter(fundraiser::Column::Status.eq(FundraiserStatus::Open))
        .order_by_desc(fundraiser::Column::Id)
        .all(db)
        .await?;
    views(db, rows, public_url).await
}

async fn find(
    db: &impl ConnectionTrait,
    id_or_slug: &str,
) -> Result<Option<fundraiser::Model>, DbErr> {
    crate::db::find_by_id_or_slug::<fundraiser::Entity>(db, fundraiser::Column::Slug, id_or_slug)
        .await
}

pub(super) async fn find_for(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    role: Role,
) -> Result<fundraiser::Model, FundraiserError> {
    let row = find(db, id).await?.ok_or(FundraiserError::NotFound)?;
    check_role(access, row.organisation_id, role)?;
    Ok(row)
}

pub(super) fn check_role(
    access: &Access,
    organisation_id: Uuid,
    role: Role,
) -> Result<(), FundraiserError> {
    match access.role_in(organisation_id) {
        Some(r) if r >= role => Ok(()),
        Some(_) => Err(AccessError::ReadOnly.into()),
        None => Err(FundraiserError::Forbidden),
    }
}

pub(super) async fn one_view(
    db: &DatabaseConnection,
    row: fundraiser::Model,
    public_url: &str,
) -> Result<Fundraiser, FundraiserError> {
    views(db, vec![row], public_url)
        .await?
        .pop()
        .ok_or(FundraiserError::NotFound)
}

/// What the succeeded donations of some fundraisers add up to.
#[derive(Debug, Default)]
struct Totals {
    /// Per currency code, less refunds.
    raised: HashMap<String, i64>,
    donors: i64,
}

async fn totals(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, Totals>, DbErr> {
    let succeeded = DonationStatus::Succeeded.as_str();
    // A plain SUM of BIGINT overflows: SQLite fails the query ("integer overflow")
    // and PostgreSQL's NUMERIC sum does not fit back in a BIGINT, so one absurd
    // amount would fail every page that shows the fundraiser. Each gift is summed
    // in two parts instead, billions and the rest: neither sum can overflow before
    // some billions of rows, the same SQL runs on both databases, and Rust joins
    // them exactly, saturating a total too large for an `i64`.
    let net = "(amount - refunded_amount)";
    let sums: Vec<(Uuid, String, i64, i64)> = donation::Entity::find()
        .select_only()
        .column(donation::Column::FundraiserId)
        .column(donation::Column::Currency)
        .column_as(
            Expr::cust(format!("CAST(SUM({net} / {SPLIT}) AS BIGINT)")),
            "billions",
        )
        .column_as(
            Expr::cust(format!("CAST(SUM({net} % {SPLIT}) AS BIGINT)")),
            "rest",
        )
        .filter(donation::Column::FundraiserId.is_in(ids.iter().copied()))
        .filter(donation::Column::Status.eq(succeeded))
        .group_by(donation::Column::FundraiserId)
        .group_by(donation::Column::Currency)
        .into_tuple()
        .all(db)
        .await?;
    // A supporter counts once however many gifts; a gift without one counts alone.
    let donors: Vec<(Uuid, i64)> = donation::Entity::find()
        .select_only()
        .column(donation::Column::FundraiserId)
        .column_as(
            Expr::cust("COUNT(DISTINCT COALESCE(supporter_id, id))"),
            "donors",
        )
        .filter(donation::Column::FundraiserId.is_in(ids.iter().copied()))
        .filter(donation::Column::Status.eq(succeeded))
        .group_by(donation::Column::FundraiserId)
        .into_tuple()
        .all(db)
        .await?;
    let mut totals: HashMap<Uuid, Totals> = HashMap::new();
    for (id, currency, billions, rest) in sums {
        totals
            .entry(id)
            .or_default()
            .raised
            .insert(currency, joined(billions, rest));
    }
    for (id, count) in donors {
        totals.entry(id).or_default().donors = count;
    }
    Ok(totals)
}

/// Where `totals` splits each amount: the sum of the quotients and the sum of the
/// remainders stay far from overflowing an `i64`.
const SPLIT: i64 = 1_000_000_000;

/// `billions × SPLIT + rest`, exactly, held to `0..=i64::MAX`: a total is never
/// negative (refunds never exceed their gift) and saturates rather than overflow.
fn joined(billions: i64, rest: i64) -> i64 {
    let total = i128::from(billions) * i128::from(SPLIT) + i128::from(rest);
    i64::try_from(total.max(0)).unwrap_or(i64::MAX)
}

pub(super) async fn views(
    db: &DatabaseConnection,
    rows: Vec<fundraiser::Model>,
    public_url: &str,
) -> Result<Vec<Fundraiser>, DbErr> {
    let orgs =
        crate::content::organisation_slugs(db, rows.iter().map(|f| f.organisation_id)).await?;
    let campaigns: HashMap<Uuid, String> = entity::campaign::Entity::find()
        .filter(entity::campaign::Column::Id.is_in(rows.iter().filter_map(|f| f.campaign_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.slug))
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|f| f.id).collect();
    let mut totals = totals(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|f| {
            let Totals { mut raised, donors } = totals.remove(&f.id).unwrap_or_default();
            let in_goal = raised.remove(f.currency.code()).unwrap_or(0);
            let mut other: Vec<MoneyBody> = raised
                .into_iter()
                .filter(|(_, amount)| *amount > 0)
                .map(|(currency, amount)| MoneyBody { amount, currency })
                .collect();
            other.sort_by(|a, b| a.currency.cmp(&b.currency));
            let limits = Limits::of(&f);
            Fundraiser {
                id: f.id.to_string(),
                url: format!("{public_url}/fundraisers/{}", f.slug),
                organisation: orgs.get(&f.organisation_id).cloned().unwrap_or_default(),
                campaign: f.campaign_id.and_then(|id| campaigns.get(&id).cloned()),
                status: f.status,
                goal: MoneyBody {
                    amount: f.goal_amount,
                    currency: f.currency.to_string(),
                },
                raised: MoneyBody {
                    amount: in_goal,
                    currency: f.currency.to_string(),
                },
                raised_other: other,
                donor_count: donors,
                suggested_amounts: limits.suggested,
                min_amount: limits.min,
                max_amount: limits.max,
                slug: f.slug,
                title: f.title,
                description: f.description,
                language: f.language.to_string(),
                created_at: instant(f.created_at),
                updated_at: instant(f.updated_at),
            }
        })
        .collect())
}

/// A text field that may be left out or blank.
pub(super) fn optional(
    field: &str,
    value: Option<&Text>,
    max: usize,
) -> Result<Option<String>, InvalidField> {
    value
        .map(|v| optional_text(field, v, max))
        .transpose()
        .map(|v| v.filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_sums_join_exactly_and_saturate() {
        assert_eq!(joined(0, 0), 0);
        assert_eq!(joined(12, 345), 12 * SPLIT + 345);
        // 9.2 × 10^18, the largest i64, exactly.
        assert_eq!(joined(9_223_372_036, 854_775_807), i64::MAX);
        assert_eq!(joined(9_223_372_036, 854_775_808), i64::MAX);
        assert_eq!(joined(27_000_000_000, 0), i64::MAX);
        assert_eq!(joined(-3, 0), 0);
    }
}
