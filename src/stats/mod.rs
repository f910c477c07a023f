//! The figures behind the console's charts: signatures, RSVPs and gifts a day, in
//! the organisation's (or the event's) time zone.
//!
//! Each chart is one query, aggregated by the database. Signatures and places
//! taken are counted by local day: the days' first instants are worked out here,
//! with the zone's rules (its daylight saving included), and sent as a list of
//! ranges; for each, the database counts the rows in it through the index that
//! leads to the time (`(petition_id, status, confirmed_at)` for signatures), with
//! no sort of the rows. Money, which is summed per currency, is summed by the UTC
//! hour instead (which SQLite and PostgreSQL both give as text, `YYYY-MM-DD HH` or
//! with a `T`), the hours folded into local days here; a zone whose offset is not
//! a whole number of hours (India, Nepal, Newfoundland) sees a gift in the hour
//! that straddles its midnight counted on the day the hour began.
//!
//! Counts are not personal data: every member of an organisation, viewers too,
//! may see them.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, Query},
};

use crate::access::{Access, Role};
use crate::content::{self, ContentError};
use crate::domain::{Currency, PublicRef};
use crate::fundraisers::service::{joined, net_sums};
use entity::{
    donation, event, fundraiser, organisation, petition, rsvp, signature,
    values::{DonationStatus, RsvpStatus, SignatureState},
};
use uuid::Uuid;

/// Why figures could not be had: no such content, not the organiser's, or the
/// database.
pub type StatsError = ContentError;

/// How far back the organisation's charts look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Days30,
    Days90,
    Days365,
}

impl Period {
    pub const ALL: [Self; 3] = [Self::Days30, Self::Days90, Self::Days365];

    pub fn days(self) -> u32 {
        match self {
            Self::Days30 => 30,
            Self::Days90 => 90,
            Self::Days365 => 365,
        }
    }

    /// The period of a number of days as typed (`?days=90`); any other is none.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.days().to_string() == raw.trim())
    }
}

/// A value a day over consecutive local days, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Daily {
    pub days: Vec<NaiveDate>,
    pub values: Vec<i64>,
    /// What came before the first day: where a running total starts.
    pub before: i64,
}

impl Daily {
    /// The values of the days of `span`, after `before`.
    fn over(span: &Span, values: Vec<i64>, before: i64) -> Self {
        Self {
            days: span.days.clone(),
            values,
            before,
        }
    }
}

/// Money a day per source (`None`: not known), one value per day.
pub type Sources = Vec<(Option<String>, Vec<i64>)>;

/// Money a day over consecutive local days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoneyDaily {
    pub days: Vec<NaiveDate>,
    /// By currency code's order; each source's values are one per day.
    pub currencies: Vec<(Currency, Sources)>,
}

/// An event's places taken over time, and its capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Going {
    /// Places taken (people going and their guests) a day, by when they answered.
    pub daily: Daily,
    pub capacity: Option<i64>,
}

/// What an organisation's supporters did lately.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recent {
    /// Confirmed signatures on its petitions.
    pub signatures: i64,
    /// RSVPs going to its events.
    pub rsvps: i64,
    /// Gifts that went through to its fundraisers.
    pub gifts: i64,
}

/// Consecutive local days in a zone, and the UTC instants they span.
#[derive(Debug, Clone)]
pub struct Span {
    tz: Tz,
    days: Vec<NaiveDate>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
}

impl Span {
    /// From `first` to `last`, both included (`last` before `first`: `first` alone).
    pub fn between(tz: Tz, first: NaiveDate, last: NaiveDate) -> Self {
        let last = last.max(first);
        let mut days = Vec::new();
        let mut day = first;
        while day <= last {
            days.push(day);
            match day.checked_add_days(Days::new(1)) {
                Some(next) => day = next,
                None => break,
            }
        }
        let after = last.checked_add_days(Days::new(1)).unwrap_or(last);
        Self {
            tz,
            since: start_of(tz, first),
            until: start_of(tz, after),
            days,
        }
    }

    /// The last `n` days in the zone, today included.
    pub fn ending_today(tz: Tz, n: u32, now: DateTime<Utc>) -> Self {
        let today = now.with_timezone(&tz).date_naive();
        let first = today
            .checked_sub_days(Days::new(u64::from(n.max(1)) - 1))
            .unwrap_or(today);
        Self::between(tz, first, today)
    }

    /// Counts by UTC hour, folded into these days.
    pub fn fold(&self, hours: impl IntoIterator<Item = Hour>) -> Vec<i64> {
        let mut values = vec![0i64; self.days.len()];
        let Some(first) = self.days.first().copied() else {
            return values;
        };
        for (hour, n) in hours {
            let day = hour.with_timezone(&self.tz).date_naive();
            let index = (day - first).num_days();
            if let Some(v) = usize::try_from(index).ok().and_then(|i| values.get_mut(i)) {
                *v = v.saturating_add(n);
            }
        }
        values
    }

    pub fn days(&self) -> &[NaiveDate] {
        &self.days
    }

    /// The first instant of each day, and the end of the last: a day is
    /// `bounds[i]..bounds[i + 1]`.
    pub fn bounds(&self) -> Vec<DateTime<Utc>> {
        let mut bounds: Vec<DateTime<Utc>> = self
            .days
            .iter()
            .map(|day| start_of(self.tz, *day))
            .collect();
        bounds.push(self.until);
        bounds
    }
}

/// The first instant of a local day (midnight, or the first hour after it that
/// exists when daylight saving skips midnight): where a chart's day, or a digest's,
/// begins.
pub(crate) fn start_of(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    (0..24)
        .filter_map(|h| day.and_hms_opt(h, 0, 0))
        .find_map(|local| tz.from_local_datetime(&local).earliest())
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |at| at.with_timezone(&Utc),
        )
}

/// A count (or sum) in the UTC hour that begins at an instant.
type Hour = (DateTime<Utc>, i64);

/// SQL for the UTC hour of a timestamp column, as `YYYY-MM-DD HH` on both
/// databases.
fn hour_of(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')")
        }
        // SQLite holds an instant as text, always in UTC here (`DateTime<Utc>` is
        // written `2026-12-06T17:29:05.123+00:00`), so its hour is its first 13
        // characters: a cut, several times cheaper than `strftime`'s parse of every
        // row.
        _ => format!("substr({column}, 1, 13)"),
    }
}

/// The hour `hour_of` wrote (`T` or a space between the day and the hour).
fn parse_hour(text: &str) -> Option<DateTime<Utc>> {
    let text = text.replacen('T', " ", 1);
    NaiveDateTime::parse_from_str(&format!("{text}:00"), "%Y-%m-%d %H:%M")
        .ok()
        .map(|at| at.and_utc())
}

/// The most sources a breakdown names; the rest are summed as "others".
pub const SOURCES_SHOWN: usize = 8;

/// Figures for charts, as the members of an organisation see them.
#[derive(Clone)]
pub struct Stats {
    db: DatabaseConnection,
}

impl Stats {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// A petition's confirmed signatures a day over `period`, in its
    /// organisation's zone, by when each was confirmed.
    pub async fn signatures_by_day(
        &self,
        access: &Access,
        petition: &PublicRef,
        period: Period,
    ) -> Result<Daily, StatsError> {
        let petition =
            content::find_for::<petition::Entity>(&self.db, access, petition, Role::Viewer).await?;
        let tz = self.zone_of(petition.organisation_id).await?;
        let span = Span::ending_today(tz, period.days(), Utc::now());
        // One more range, before the first day, so that a running total against
        // the goal starts from the signatures already there.
        let mut bounds = vec![DateTime::UNIX_EPOCH];
        bounds.extend(span.bounds());
        let scope = Condition::all().add(signature::Column::PetitionId.eq(petition.id));
        let mut values = self.per_range::<signature::Entity>(scope, &bounds).await?;
        let before = if values.is_empty() {
            0
        } else {
            values.remove(0)
        };
        Ok(Daily::over(&span, values, before))
    }

    /// Where a petition's signatures confirmed over `period` came from (the
    /// `?source=` of the link that led to the form), most first; `None` for those
    /// that came with none. At most [`SOURCES_SHOWN`] sources, the rest summed as
    /// one `Some("")` ("others").
    pub async fn signature_sources(
        &self,
        access: &Access,
        petition: &PublicRef,
        period: Period,
    ) -> Result<Vec<(Option<String>, i64)>, StatsError> {
        use sea_orm::sea_query::ExprTrait as _;
        let petition =
            content::find_for::<petition::Entity>(&self.db, access, petition, Role::Viewer).await?;
        let tz = self.zone_of(petition.organisation_id).await?;
        let span = Span::ending_today(tz, period.days(), Utc::now());
        let mut counts: Vec<(Option<String>, i64)> = signature::Entity::find()
            .select_only()
            .column(signature::Column::Source)
            .column_as(Expr::col(signature::Column::Id).count(), "n")
            .filter(signature::Column::PetitionId.eq(petition.id))
            .filter(signature::Column::Status.eq(SignatureState::Confirmed))
            .filter(signature::Column::ConfirmedAt.gte(span.since))
            .filter(signature::Column::ConfirmedAt.lt(span.until))
            .group_by(signature::Column::Source)
            .into_tuple()
            .all(&self.db)
            .await?;
        // Most first; on a tie, a source named before none given.
        counts.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| a.0.is_none().cmp(&b.0.is_none()))
                .then_with(|| a.0.cmp(&b.0))
        });
        if counts.len() > SOURCES_SHOWN {
            let others: i64 = counts.drain(SOURCES_SHOWN - 1..).map(|(_, n)| n).sum();
            counts.push((Some(String::new()), others));
        }
        Ok(counts)
    }

    /// Confirmed signatures a day over `span` among those `scope` selects.
    pub async fn signatures_in(&self, scope: Condition, span: &Span) -> Result<Daily, StatsError> {
        let values = self
            .per_range::<signature::Entity>(scope, &span.bounds())
            .await?;
        Ok(Daily::over(span, values, 0))
    }

    /// An event's places taken a day (by when each RSVP going was made), from the
    /// day it was created to today or the day it starts, whichever comes first (at
    /// most a year), in the event's zone; and its capacity.
    pub async fn going_over_time(
        &self,
        access: &Access,
        event: &PublicRef,
    ) -> Result<Going, StatsError> {
        let event =
            content::find_for::<event::Entity>(&self.db, access, event, Role::Viewer).await?;
        let tz = event.timezone.tz();
        let now = Utc::now();
        let last = now.min(event.starts_at_utc).with_timezone(&tz).date_naive();
        let created = event.created_at.with_timezone(&tz).date_naive();
        let year_ago = last.checked_sub_days(Days::new(364)).unwrap_or(last);
        let span = Span::between(tz, created.max(year_ago), last);
        // RSVPs from before the span (an event older than a year) are where its
        // running total starts, those after it (once the event began) count on its
        // last day, so that it ends at the places taken: two more ranges, either
        // side.
        let mut bounds = vec![DateTime::UNIX_EPOCH];
        bounds.extend(span.bounds());
        bounds.push(far_future());
        let scope = Condition::all().add(rsvp::Column::EventId.eq(event.id));
        let ranges = self.per_range::<rsvp::Entity>(scope, &bounds).await?;
        let (earlier, rest) = ranges.split_first().unwrap_or((&0, &[]));
        let (later, within) = rest.split_last().unwrap_or((&0, &[]));
        let mut values = within.to_vec();
        if let Some(last) = values.last_mut() {
            *last = last.saturating_add(*later);
        }
        Ok(Going {
            daily: Daily::over(&span, values, *earlier),
            capacity: event.capacity.map(i64::from),
        })
    }

    /// A fundraiser's gifts a day over `period`, per currency, less refunds.
    pub async fn money_by_day(
        &self,
        access: &Access,
        fundraiser: &PublicRef,
        period: Period,
    ) -> Result<MoneyDaily, StatsError> {
        let fundraiser =
            content::find_for::<fundraiser::Entity>(&self.db, access, fundraiser, Role::Viewer)
                .await?;
        let tz = self.zone_of(fundraiser.organisation_id).await?;
        let span = Span::ending_today(tz, period.days(), Utc::now());
        self.money_in(
            Condition::all().add(donation::Column::FundraiserId.eq(fundraiser.id)),
            &span,
        )
        .await
    }

    /// An organisation's confirmed signatures a day over `period`.
    pub async fn organisation_signatures(
        &self,
        access: &Access,
        organisation: &organisation::Model,
        period: Period,
    ) -> Result<Daily, StatsError> {
        self.organisation_daily::<signature::Entity>(access, organisation, period)
            .await
    }

    /// Places taken at an organisation's events a day over `period`, by when each
    /// RSVP going was made.
    pub async fn organisation_rsvps(
        &self,
        access: &Access,
        organisation: &organisation::Model,
        period: Period,
    ) -> Result<Daily, StatsError> {
        self.organisation_daily::<rsvp::Entity>(access, organisation, period)
            .await
    }

    /// What counts in `E` of an organisation's content, a day over `period`.
    async fn organisation_daily<E: Counted>(
        &self,
        access: &Access,
        organisation: &organisation::Model,
        period: Period,
    ) -> Result<Daily, StatsError> {
        let span = member_span(access, organisation, period)?;
        let scope = E::of_organisation(organisation.id);
        let values = self.per_range::<E>(scope, &span.bounds()).await?;
        Ok(Daily::over(&span, values, 0))
    }

    /// Money given to an organisation's fundraisers a day over `period`.
    pub async fn organisation_money(
        &self,
        access: &Access,
        organisation: &organisation::Model,
        period: Period,
    ) -> Result<MoneyDaily, StatsError> {
        let span = member_span(access, organisation, period)?;
        let fundraisers = content::ids_owned_by::<fundraiser::Entity>(&[organisation.id]);
        self.money_in(
            Condition::all().add(donation::Column::FundraiserId.in_subquery(fundraisers)),
            &span,
        )
        .await
    }

    /// What an organisation's supporters did in the last 30 days.
    pub async fn recent(
        &self,
        access: &Access,
        organisation: &organisation::Model,
    ) -> Result<Recent, StatsError> {
        use sea_orm::sea_query::ExprTrait as _;
        if !access.can(organisation.id, Role::Viewer) {
            return Err(ContentError::NotFound("organisation"));
        }
        let since = Utc::now() - chrono::Duration::days(30);
        let fundraisers = content::ids_owned_by::<fundraiser::Entity>(&[organisation.id]);
        let signatures = count_since::<signature::Entity>(&self.db, organisation.id, since).await?;
        let rsvps = count_since::<rsvp::Entity>(&self.db, organisation.id, since).await?;
        let gifts = count::<donation::Entity>(
            &self.db,
            Condition::all()
                .add(donation::Column::FundraiserId.in_subquery(fundraisers))
                .add(donation::Column::Status.eq(DonationStatus::Succeeded))
                .add(Expr::cust("COALESCE(received_at, created_at)").gte(since)),
        )
        .await?;
        Ok(Recent {
            signatures,
            rsvps,
            gifts,
        })
    }

    /// Gifts that went through, less refunds, a day over `span`, per currency.
    async fn money_in(&self, scope: Condition, span: &Span) -> Result<MoneyDaily, StatsError> {
        use sea_orm::sea_query::ExprTrait as _;
        let backend = self.db.get_database_backend();
        let when = "COALESCE(received_at, created_at)";
        let hour = hour_of(backend, when);
        let rows: Vec<(Currency, String, i64, i64)> = net_sums(
            donation::Entity::find()
                .select_only()
                .column(donation::Column::Currency)
                .column_as(Expr::cust(hour.clone()), "hour"),
        )
        .filter(scope)
        .filter(donation::Column::Status.eq(DonationStatus::Succeeded))
        .filter(Expr::cust(when).gte(span.since))
        .filter(Expr::cust(when).lt(span.until))
        .group_by(donation::Column::Currency)
        .group_by(Expr::cust(hour))
        .into_tuple()
        .all(&self.db)
        .await?;
        let mut by_currency: BTreeMap<&'static str, (Currency, Vec<Hour>)> = BTreeMap::new();
        for (currency, hour, billions, rest) in rows {
            let Some(hour) = parse_hour(&hour) else {
                continue;
            };
            by_currency
                .entry(currency.code())
                .or_insert_with(|| (currency, Vec::new()))
                .1
                .push((hour, joined(billions, rest)));
        }
        Ok(MoneyDaily {
            days: span.days.clone(),
            currencies: by_currency
                .into_values()
                .map(|(currency, hours)| (currency, vec![(None, span.fold(hours))]))
                .collect(),
        })
    }

    /// What the rows of `E` that count among those `scope` selects count for, in
    /// each range `bounds[i]..bounds[i + 1]` of the instant they count at, in one
    /// query: the ranges are a `VALUES` list, and each is counted by a subquery that
    /// walks the index to that column; 0 for a range with none.
    async fn per_range<E: Counted>(
        &self,
        scope: Condition,
        bounds: &[DateTime<Utc>],
    ) -> Result<Vec<i64>, DbErr> {
        let (column, total) = (E::WHEN, E::TOTAL);
        use sea_orm::QueryTrait as _;
        use sea_orm::sea_query::{Alias, ExprTrait as _, SubQueryStatement, ValueTuple};
        let ranges = bounds.len().saturating_sub(1);
        if ranges == 0 {
            return Ok(Vec::new());
        }
        let b = Alias::new("b");
        // `VALUES` names its columns `column1`, `column2`… on both databases.
        let (index, from, to) = (
            Expr::col((b.clone(), Alias::new("column1"))),
            Expr::col((b.clone(), Alias::new("column2"))),
            Expr::col((b.clone(), Alias::new("column3"))),
        );
        let within = E::find()
            .select_only()
            .column_as(
                Expr::cust(format!("CAST(COALESCE({total}, 0) AS BIGINT)")),
                "n",
            )
            .filter(E::counts())
            .filter(scope)
            .filter(Expr::col((E::default(), column)).gte(from))
            .filter(Expr::col((E::default(), column)).lt(to))
            .into_query();
        let rows = (0..ranges).map(|i| {
            ValueTuple::Three(
                i64::try_from(i).unwrap_or(i64::MAX).into(),
                bounds[i].into(),
                bounds[i + 1].into(),
            )
        });
        let query = Query::select()
            .expr(index)
            .expr_as(
                Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(within))),
                Alias::new("n"),
            )
            .from_values(rows, b)
            .to_owned();
        let statement = self.db.get_database_backend().build(&query);
        let mut values = vec![0i64; ranges];
        for row in self.db.query_all_raw(statement).await? {
            let i: i64 = row.try_get_by_index(0)?;
            let n: i64 = row.try_get_by_index(1)?;
            if let Some(v) = usize::try_from(i).ok().and_then(|i| values.get_mut(i)) {
                *v = n;
            }
        }
        Ok(values)
    }

    async fn zone_of(&self, organisation: Uuid) -> Result<Tz, StatsError> {
        let org = organisation::Entity::find_by_id(organisation)
            .one(&self.db)
            .await?
            .ok_or(ContentError::NotFound("organisation"))?;
        Ok(org.timezone.tz())
    }
}

/// An instant after anything stored, as the end of an open range.
fn far_future() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MAX_UTC, |at| at.and_utc())
}

/// The days of `period` in the organisation's zone, for one of its members.
fn member_span(
    access: &Access,
    organisation: &organisation::Model,
    period: Period,
) -> Result<Span, StatsError> {
    if !access.can(organisation.id, Role::Viewer) {
        return Err(ContentError::NotFound("organisation"));
    }
    Ok(Span::ending_today(
        organisation.timezone.tz(),
        period.days(),
        Utc::now(),
    ))
}

/// What a chart counts in a table: the rows that count, the instant each counts
/// at, what the rows of a range add up to, and which are an organisation's.
trait Counted: EntityTrait {
    const WHEN: Self::Column;
    /// SQL for what the rows of a range add up to.
    const TOTAL: &'static str;

    /// The rows that count (confirmed signatures, RSVPs going).
    fn counts() -> Condition;

    /// The rows about an organisation's content.
    fn of_organisation(organisation: Uuid) -> Condition;
}

impl Counted for signature::Entity {
    const WHEN: Self::Column = signature::Column::ConfirmedAt;
    const TOTAL: &'static str = "COUNT(*)";

    fn counts() -> Condition {
        Condition::all().add(signature::Column::Status.eq(SignatureState::Confirmed))
    }

    fn of_organisation(organisation: Uuid) -> Condition {
        let petitions = content::ids_owned_by::<petition::Entity>(&[organisation]);
        Condition::all().add(signature::Column::PetitionId.in_subquery(petitions))
    }
}

/// Places taken: each RSVP going with its guests, by when it was made.
impl Counted for rsvp::Entity {
    const WHEN: Self::Column = rsvp::Column::CreatedAt;
    const TOTAL: &'static str = "SUM(1 + guests)";

    fn counts() -> Condition {
        Condition::all().add(rsvp::Column::Status.eq(RsvpStatus::Going))
    }

    fn of_organisation(organisation: Uuid) -> Condition {
        let events = content::ids_owned_by::<event::Entity>(&[organisation]);
        Condition::all().add(rsvp::Column::EventId.in_subquery(events))
    }
}

/// How many rows of `E` about an organisation's content counted since `since`.
async fn count_since<E: Counted>(
    db: &impl ConnectionTrait,
    organisation: Uuid,
    since: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let scope = Condition::all()
        .add(E::counts())
        .add(E::of_organisation(organisation))
        .add(E::WHEN.gte(since));
    count::<E>(db, scope).await
}

async fn count<E: EntityTrait>(db: &impl ConnectionTrait, filter: Condition) -> Result<i64, DbErr> {
    let n: Option<i64> = E::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(filter)
        .into_tuple()
        .one(db)
        .await?;
    Ok(n.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_fold_into_local_days() {
        let tz: Tz = "America/Caracas".parse().unwrap();
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let span = Span::between(tz, first, first + Days::new(1));
        let at = |text: &str| parse_hour(text).unwrap();
        // 03:00 UTC on the 2nd is 23:00 on the 1st in Caracas (UTC−4).
        let values = span.fold([
            (at("2026-12-01 12"), 2),
            (at("2026-12-02 03"), 1),
            (at("2026-12-02 04"), 1),
            (at("2026-12-05 04"), 9),
        ]);
        assert_eq!(values, vec![3, 1]);
        assert_eq!(span.since, at("2026-12-01 04"));
        assert_eq!(span.until, at("2026-12-03 04"));
    }

    #[test]
    fn periods_are_read_as_typed() {
        assert_eq!(Period::parse("90"), Some(Period::Days90));
        assert_eq!(Period::parse("7"), None);
        let span = Span::ending_today(chrono_tz::UTC, 30, Utc::now());
        assert_eq!(span.days().len(), 30);
    }
}
