//! The rules of fundraisers: who may change them, the limits on a gift, and totals
//! summed from the donations themselves, so they are exact whatever happened to
//! each gift (refunds, erasure, a webhook told twice).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, sea_query::Expr,
};
use uuid::Uuid;

use crate::access::Access;
use crate::content::{self, Change, Checks, ContentError, Invalid, Limit, Service};
use crate::domain::{Currency, InvalidField, Money, PublicRef, Refusal};
use crate::email::Site;
use crate::payments::{Payments, StripeError};
pub use entity::values::{DonationMethod, DonationStatus, Frequency, FundraiserStatus};
use entity::{donation, fundraiser};

/// The most one online gift may be: Stripe charges at most eight digits.
pub const STRIPE_MAX_AMOUNT: i64 = 99_999_999;
/// Suggested amounts a form can show.
const MAX_SUGGESTIONS: usize = 8;
const DESCRIPTION_MAX: usize = 50_000;

/// Why a fundraiser or a donation could not be read, changed or paid.
#[derive(Debug, thiserror::Error)]
pub enum FundraiserError {
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error("this fundraiser is closed")]
    Closed,
    #[error("{0}")]
    WrongState(&'static str),
    #[error("online payments are not configured on this server")]
    PaymentsOff,
    #[error("the payment provider failed; nothing was charged")]
    Provider(#[from] StripeError),
}

impl FundraiserError {
    /// A stable name for the kind of refusal, for pages to choose their words by.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Content(e) => e.code(),
            Self::Closed => "closed",
            Self::WrongState(_) => "wrong_state",
            Self::PaymentsOff => "payments",
            Self::Provider(_) => "provider",
        }
    }

    /// The fields refused, when that is what this is.
    pub fn invalid_fields(&self) -> Option<&[InvalidField]> {
        match self {
            Self::Content(ContentError::Invalid(Invalid(fields))) => Some(fields),
            _ => None,
        }
    }
}

content::through_content!(FundraiserError);

/// An amount as asked: minor units and a currency code, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub minor: i64,
    pub currency: String,
}

impl Amount {
    pub fn new(minor: i64, currency: impl Into<String>) -> Self {
        Self {
            minor,
            currency: currency.into(),
        }
    }

    /// A positive amount in a known currency; a refusal names `{field}.currency` or
    /// `{field}.amount`.
    pub fn parse(&self, field: &str) -> Result<Money, InvalidField> {
        let currency =
            Currency::parse(&self.currency).map_err(|e| e.at(format!("{field}.currency")))?;
        Money::new(self.minor, currency).map_err(|e| e.at(format!("{field}.amount")))
    }
}

/// What one online gift may be, in minor units of the goal's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub min: i64,
    pub max: i64,
    /// Amounts offered on the donation form, smallest first.
    pub suggested: Vec<i64>,
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

    /// The limits asked, or `None` with each refusal noted.
    fn check(min: i64, max: i64, mut suggested: Vec<i64>, checks: &mut Checks) -> Option<Self> {
        let mut ok = true;
        let mut refuse = |refusal: InvalidField| {
            checks.note(refusal);
            ok = false;
        };
        if min < 1 {
            refuse(InvalidField::new("min_amount", "must be at least 1"));
        }
        if max > STRIPE_MAX_AMOUNT {
            refuse(InvalidField::new(
                "max_amount",
                format!("must be at most {STRIPE_MAX_AMOUNT}, the largest payment Stripe takes"),
            ));
        }
        if min > max {
            refuse(
                InvalidField::new("min_amount", "must not be more than max_amount")
                    .because(Refusal::OutOfOrder),
            );
        }
        suggested.sort_unstable();
        suggested.dedup();
        if suggested.len() > MAX_SUGGESTIONS {
            refuse(InvalidField::new(
                "suggested_amounts",
                format!("at most {MAX_SUGGESTIONS}"),
            ));
        }
        if suggested.iter().any(|a| *a < min || *a > max) {
            refuse(InvalidField::new(
                "suggested_amounts",
                "each must be between min_amount and max_amount",
            ));
        }
        ok.then_some(Self {
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

    fn set(self, active: &mut fundraiser::ActiveModel) {
        active.min_amount = Set(self.min);
        active.max_amount = Set(self.max);
        active.suggested_amounts = Set(json_list(&self.suggested));
    }
}

fn json_list(amounts: &[i64]) -> String {
    serde_json::to_string(amounts).unwrap_or_else(|_| "[]".into())
}

/// A fundraiser to start, as asked.
#[derive(Debug, Clone, Default)]
pub struct NewFundraiser {
    /// The owning organisation's slug; may be left out by an organiser of only one.
    pub organisation: Option<String>,
    /// A campaign of the same organisation, by slug.
    pub campaign: Option<String>,
    /// Made from the title when left out.
    pub slug: Option<String>,
    pub title: String,
    pub description: String,
    /// BCP 47; `en` when left out.
    pub language: Option<String>,
    /// Required.
    pub goal: Option<Amount>,
    pub suggested_amounts: Option<Vec<i64>>,
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
}

/// Changes to a fundraiser, field by field.
#[derive(Debug, Clone, Default)]
pub struct FundraiserChanges {
    pub campaign: Change<String>,
    pub slug: Change<String>,
    pub title: Change<String>,
    pub description: Change<String>,
    pub language: Change<String>,
    pub goal: Change<Amount>,
    pub suggested_amounts: Change<Vec<i64>>,
    pub min_amount: Change<i64>,
    pub max_amount: Change<i64>,
}

content::asks_common!(FundraiserChanges);

/// A fundraiser with what its gifts add up to.
#[derive(Debug, Clone)]
pub struct Fundraiser {
    pub row: fundraiser::Model,
    /// The owning organisation's slug.
    pub organisation: String,
    /// Its campaign's slug.
    pub campaign: Option<String>,
    /// Succeeded donations in the goal's currency, less what was refunded.
    pub raised: i64,
    /// Succeeded donations in other currencies, one total each, by code.
    pub raised_other: Vec<(Currency, i64)>,
    /// People who gave: each once, however many gifts.
    pub donors: i64,
    pub limits: Limits,
}

/// Fundraisers and their donations: appeals, gifts by hand and through Stripe,
/// refunds and receipts.
#[derive(Clone)]
pub struct Fundraisers {
    pub(super) db: DatabaseConnection,
    pub(super) site: Site,
    pub(super) payments: Payments,
}

impl Fundraisers {
    pub fn new(db: DatabaseConnection, site: Site, payments: Payments) -> Self {
        Self { db, site, payments }
    }

    /// Stripe, where this deployment has it.
    pub fn payments(&self) -> &Payments {
        &self.payments
    }

    /// Whether donations can be paid online here.
    pub fn takes_payments(&self) -> bool {
        self.payments.stripe.is_some()
    }

    /// Create a fundraiser; it starts as a draft.
    pub async fn create(
        &self,
        access: &Access,
        new: NewFundraiser,
    ) -> Result<Fundraiser, FundraiserError> {
        self.create_noting(access, new, Vec::new()).await
    }

    /// [`Fundraisers::create`], for a caller that refused some fields while
    /// reading what was typed (an amount of "lots"): those are named with every
    /// other bad field in one answer, and nothing is made.
    pub async fn create_noting(
        &self,
        access: &Access,
        new: NewFundraiser,
        refused: Vec<InvalidField>,
    ) -> Result<Fundraiser, FundraiserError> {
        let member = access.writable(new.organisation.as_deref())?;
        let mut checks = Checks::from(refused);
        let title = checks.title(&new.title);
        let description = checks.optional_text("description", &new.description, DESCRIPTION_MAX);
        let language = checks.language(new.language.as_deref());
        let goal = match &new.goal {
            Some(goal) => checks.check(goal.parse("goal")),
            None => {
                checks.note(InvalidField::required("goal", "is required"));
                None
            }
        };
        let slug = checks.slug(new.slug.as_deref());
        let campaign = checks
            .campaign(&self.db, member.organisation_id, new.campaign.as_deref())
            .await?;
        let limits = goal.and_then(|goal| {
            let defaults = Limits::default_for(goal.currency());
            Limits::check(
                new.min_amount.unwrap_or(defaults.min),
                new.max_amount.unwrap_or(defaults.max),
                new.suggested_amounts.clone().unwrap_or(defaults.suggested),
                &mut checks,
            )
        });
        let parts = (|| {
            Some((
                title?,
                description?,
                language?,
                goal?,
                limits?,
                slug?,
                campaign?,
            ))
        })();
        let (title, description, language, goal, limits, slug, campaign_id) = checks.done(parts)?;
        let now = Utc::now();
        let row = content::insert_with_slug(&self.db, slug, &title, |slug| {
            let mut row = fundraiser::ActiveModel {
                id: Set(Uuid::now_v7()),
                organisation_id: Set(member.organisation_id),
                campaign_id: Set(campaign_id),
                slug: Set(slug.to_string()),
                title: Set(title.clone()),
                description: Set(description.clone()),
                language: Set(language.clone()),
                goal_amount: Set(goal.minor()),
                currency: Set(goal.currency()),
                status: Set(FundraiserStatus::Draft),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            limits.clone().set(&mut row);
            row
        })
        .await?;
        self.one(row).await
    }

    /// Change a fundraiser. A new goal currency brings that currency's default limits,
    /// unless the change sets them too.
    pub async fn change(
        &self,
        access: &Access,
        fundraiser: &PublicRef,
        changes: FundraiserChanges,
    ) -> Result<Fundraiser, FundraiserError> {
        self.change_noting(access, fundraiser, changes, Vec::new())
            .await
    }

    /// [`Fundraisers::change`], for a caller that refused some fields while
    /// reading what was typed: named with every other bad field, nothing written.
    pub async fn change_noting(
        &self,
        access: &Access,
        fundraiser: &PublicRef,
        changes: FundraiserChanges,
        refused: Vec<InvalidField>,
    ) -> Result<Fundraiser, FundraiserError> {
        self.change_row(
            access,
            fundraiser,
            changes,
            refused,
            |changes, row, checks, active| {
                if let Some(description) =
                    checks.text("description", changes.description, DESCRIPTION_MAX)
                {
                    active.description = Set(description);
                }
                let mut limits = Limits::of(row);
                if let Some(goal) = checks.required("goal", changes.goal, |g| g.parse("goal")) {
                    if goal.currency() != row.currency {
                        limits = Limits::default_for(goal.currency());
                    }
                    active.goal_amount = Set(goal.minor());
                    active.currency = Set(goal.currency());
                }
                let min = checks.check(changes.min_amount.required("min_amount"));
                let max = checks.check(changes.max_amount.required("max_amount"));
                let suggested = changes
                    .suggested_amounts
                    .optional()
                    .map_or(limits.suggested.clone(), Option::unwrap_or_default);
                if let Some(limits) = Limits::check(
                    min.flatten().unwrap_or(limits.min),
                    max.flatten().unwrap_or(limits.max),
                    suggested,
                    checks,
                ) {
                    limits.set(active);
                }
            },
        )
        .await
    }

    /// Open a fundraiser for donations (a draft, or a closed appeal opening again), or
    /// close it to online donations (an open one). Asking for its status again
    /// changes nothing; a draft cannot be closed.
    pub async fn move_to(
        &self,
        access: &Access,
        fundraiser: &PublicRef,
        status: FundraiserStatus,
    ) -> Result<Fundraiser, FundraiserError> {
        let (fundraiser, _) = self
            .move_row(access, fundraiser, status, |from| {
                (from == FundraiserStatus::Draft && status == FundraiserStatus::Closed).then_some(
                    FundraiserError::WrongState("a draft cannot be closed; publish it first"),
                )
            })
            .await?;
        Ok(fundraiser)
    }

    /// A fundraiser anyone may see: any but a draft.
    pub async fn public(&self, fundraiser: &PublicRef) -> Result<Fundraiser, FundraiserError> {
        let row = find_public(&self.db, fundraiser).await?;
        self.one(row).await
    }

    /// Fundraisers open for donations anywhere, newest first (for the home page).
    pub async fn open(&self, limit: Limit) -> Result<Vec<Fundraiser>, DbErr> {
        self.open_where(None, Some(limit)).await
    }

    /// A campaign's fundraisers open for donations, newest first.
    pub async fn open_in_campaign(&self, campaign_id: Uuid) -> Result<Vec<Fundraiser>, DbErr> {
        self.open_where(Some(campaign_id), None).await
    }

    /// Every fundraiser of a campaign, with its totals, newest first (for the
    /// campaign's page in the console; its organisation's members only).
    pub async fn in_campaign(
        &self,
        access: &Access,
        campaign: &entity::campaign::Model,
    ) -> Result<Vec<Fundraiser>, DbErr> {
        if access.role_in(campaign.organisation_id).is_none() {
            return Ok(Vec::new());
        }
        let rows = fundraiser::Entity::find()
            .filter(fundraiser::Column::CampaignId.eq(campaign.id))
            .order_by_desc(fundraiser::Column::Id)
            .all(&self.db)
            .await?;
        self.show(rows).await
    }

    async fn open_where(
        &self,
        campaign_id: Option<Uuid>,
        limit: Option<Limit>,
    ) -> Result<Vec<Fundraiser>, DbErr> {
        let mut query = fundraiser::Entity::find()
            .filter(fundraiser::Column::Status.eq(FundraiserStatus::Open))
            .order_by_desc(fundraiser::Column::Id)
            .limit(limit.map(Limit::get));
        if let Some(campaign_id) = campaign_id {
            query = query.filter(fundraiser::Column::CampaignId.eq(campaign_id));
        }
        let rows = query.all(&self.db).await?;
        self.show(rows).await
    }

    /// An organisation's fundraisers, newest first, for its members (the console's
    /// list: one organisation at a time, however many the organiser belongs to).
    pub async fn of_organisation(
        &self,
        access: &Access,
        organisation_id: Uuid,
    ) -> Result<Vec<Fundraiser>, FundraiserError> {
        let rows = content::of_organisation::<fundraiser::Entity>(access, organisation_id)?
            .all(&self.db)
            .await?;
        Ok(self.show(rows).await?)
    }
}

impl content::Service for Fundraisers {
    type Entity = fundraiser::Entity;
    type Item = Fundraiser;
    type Error = FundraiserError;

    fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Each fundraiser with its owner's and campaign's slugs and its totals.
    async fn show(&self, rows: Vec<fundraiser::Model>) -> Result<Vec<Fundraiser>, DbErr> {
        let db = &self.db;
        let orgs = content::slugs::<entity::organisation::Entity>(
            db,
            rows.iter().map(|f| f.organisation_id),
        )
        .await?;
        let campaigns = content::slugs::<entity::campaign::Entity>(
            db,
            rows.iter().filter_map(|f| f.campaign_id),
        )
        .await?;
        let ids: Vec<Uuid> = rows.iter().map(|f| f.id).collect();
        let mut totals = totals(db, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let Totals { mut raised, donors } = totals.remove(&row.id).unwrap_or_default();
                let in_goal = raised.remove(&row.currency).unwrap_or(0);
                let mut raised_other: Vec<(Currency, i64)> = raised
                    .into_iter()
                    .filter(|(_, amount)| *amount > 0)
                    .collect();
                raised_other.sort_by(|a, b| a.0.code().cmp(b.0.code()));
                Fundraiser {
                    organisation: orgs.get(&row.organisation_id).cloned().unwrap_or_default(),
                    campaign: row.campaign_id.and_then(|id| campaigns.get(&id).cloned()),
                    raised: in_goal,
                    raised_other,
                    donors,
                    limits: Limits::of(&row),
                    row,
                }
            })
            .collect())
    }
}

/// A fundraiser anyone may see: any but a draft.
pub(super) async fn find_public(
    db: &impl ConnectionTrait,
    fundraiser: &PublicRef,
) -> Result<fundraiser::Model, ContentError> {
    content::find_published::<fundraiser::Entity>(db, fundraiser).await
}

/// What the succeeded donations of some fundraisers add up to.
#[derive(Debug, Default)]
struct Totals {
    /// Per currency, less refunds.
    raised: HashMap<Currency, i64>,
    donors: i64,
}

async fn totals(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, Totals>, DbErr> {
    let succeeded = DonationStatus::Succeeded.as_str();
    let sums: Vec<(Uuid, Currency, i64, i64)> = net_sums(
        donation::Entity::find()
            .select_only()
            .column(donation::Column::FundraiserId)
            .column(donation::Column::Currency),
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

/// Where [`net_sums`] splits each amount: the sum of the quotients and the sum of
/// the remainders stay far from overflowing an `i64`.
const SPLIT: i64 = 1_000_000_000;

/// `query` with the net amounts of its gifts (less refunds) summed as two columns,
/// `billions` and `rest`, for [`joined`] to put together: how totals and charts
/// sum money.
///
/// A plain SUM of BIGINT overflows: SQLite fails the query ("integer overflow")
/// and PostgreSQL's NUMERIC sum does not fit back in a BIGINT, so one absurd
/// amount would fail every page that shows the fundraiser. Each gift is summed in
/// two parts instead, billions and the rest: neither sum can overflow before some
/// billions of rows, the same SQL runs on both databases, and Rust joins them
/// exactly, saturating a total too large for an `i64`.
pub(crate) fn net_sums(query: Select<donation::Entity>) -> Select<donation::Entity> {
    let net = "(amount - refunded_amount)";
    query
        .column_as(
            Expr::cust(format!("CAST(SUM({net} / {SPLIT}) AS BIGINT)")),
            "billions",
        )
        .column_as(
            Expr::cust(format!("CAST(SUM({net} % {SPLIT}) AS BIGINT)")),
            "rest",
        )
}

/// `billions × SPLIT + rest`, exactly, held to `0..=i64::MAX`: a total is never
/// negative (refunds never exceed their gift) and saturates rather than overflow.
pub(crate) fn joined(billions: i64, rest: i64) -> i64 {
    let total = i128::from(billions) * i128::from(SPLIT) + i128::from(rest);
    i64::try_from(total.max(0)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_names_its_part_that_is_wrong() {
        let gbp = Amount::new(2_500, "gbp").parse("goal").unwrap();
        assert_eq!((gbp.minor(), gbp.currency().code()), (2_500, "GBP"));
        assert_eq!(
            Amount::new(2_500, "XXY").parse("goal").unwrap_err().field,
            "goal.currency"
        );
        assert_eq!(
            Amount::new(0, "GBP").parse("amount").unwrap_err().field,
            "amount.amount"
        );
    }

    #[test]
    fn limits_name_every_refusal() {
        let mut checks = Checks::default();
        assert_eq!(
            Limits::check(0, STRIPE_MAX_AMOUNT + 1, vec![5; 1], &mut checks),
            None
        );
        let fields: Vec<String> = checks
            .finish()
            .unwrap_err()
            .0
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["min_amount", "max_amount"]);

        let mut checks = Checks::default();
        let limits = Limits::check(100, 1_000, vec![500, 100, 500], &mut checks).unwrap();
        assert!(checks.is_clean());
        assert_eq!(limits.suggested, [100, 500]);
    }

    #[test]
    fn each_refusal_has_its_code() {
        assert_eq!(FundraiserError::Closed.code(), "closed");
        assert_eq!(FundraiserError::PaymentsOff.code(), "payments");
        assert_eq!(
            FundraiserError::from(InvalidField::new("title", "must not be empty")).code(),
            "invalid"
        );
        assert_eq!(
            FundraiserError::from(ContentError::NotFound("fundraiser")).code(),
            "not_found"
        );
    }

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
