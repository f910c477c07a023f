//! `GET /admin/{org}/stats`: the organisation's figures as charts (signatures,
//! places taken at events, money per currency) over a period chosen with a GET
//! form; and the small chart of the dashboard. Counts, not personal data: every
//! member sees them, viewers too.

use poem::{Request, handler, http::StatusCode};
use serde_json::{Value, json};

use super::held::Org;
use super::{Answer, Console, charts};
use crate::domain::Locale;
use crate::stats::{Period, Stats, StatsError};
use crate::words::say;
use entity::organisation;

/// The charts over `?days=` (30, 90 or 365; anything else is the default, 90).
#[handler]
pub async fn page(req: &Request, org: Org<'_>) -> Answer {
    let (state, console, current) = org.into_parts();
    let period = req
        .uri()
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(key, _)| key == "days")
                .and_then(|(_, value)| Period::parse(&value))
        })
        .unwrap_or(Period::Days90);
    let figures = figures(&state.stats, &console, &current.model, period).await;
    let context = match figures {
        Ok(context) => context,
        Err(e) => return Ok(console.failure(state, &e)),
    };
    Ok(console.render(state, Some(&current), StatusCode::OK, "stats", context))
}

async fn figures(
    stats: &Stats,
    console: &Console,
    org: &organisation::Model,
    period: Period,
) -> Result<Value, StatsError> {
    let access = console.access();
    let locale = console.locale;
    let signatures = stats.organisation_signatures(access, org, period).await?;
    let rsvps = stats.organisation_rsvps(access, org, period).await?;
    let money = stats.organisation_money(access, org, period).await?;
    let recent = stats.recent(access, org).await?;
    Ok(json!({
        "days": period.days(),
        "periods": Period::ALL.iter().map(|p| json!({
            "days": p.days(),
            "label": say(locale, "console.stats.period", &[("n", p.days().into())]),
        })).collect::<Vec<_>>(),
        "recent": recent_view(recent, locale),
        "signatures": charts::signatures(locale, "signatures", &signatures, None),
        "rsvps": rsvps_chart(locale, "rsvps", &rsvps),
        "money": charts::money(locale, "money", &money),
    }))
}

/// What the last 30 days brought, as counts written for the reader.
fn recent_view(recent: crate::stats::Recent, locale: Locale) -> Value {
    json!({
        "signatures": recent.signatures,
        "rsvps": recent.rsvps,
        "gifts": recent.gifts,
        "signatures_text": charts::count_text(recent.signatures, locale),
        "rsvps_text": charts::count_text(recent.rsvps, locale),
        "gifts_text": charts::count_text(recent.gifts, locale),
    })
}

/// Places taken at the organisation's events a day.
fn rsvps_chart(locale: Locale, id: &str, daily: &crate::stats::Daily) -> Value {
    let total: i64 = daily.values.iter().sum();
    charts::Chart {
        id: id.to_owned(),
        title: say(locale, "console.charts.rsvps_title", &[]),
        description: say(
            locale,
            "console.charts.rsvps_desc",
            &[("n", total.into()), ("days", daily.days.len().into())],
        ),
        locale,
        unit: charts::Unit::Count,
        mark: charts::Mark::Bars,
        days: daily.days.clone(),
        series: vec![charts::Series {
            label: say(locale, "console.charts.going", &[]),
            values: daily.values.clone(),
        }],
        limit: None,
        start: 0,
    }
    .view()
}

/// The dashboard's look at an organisation: its last 30 days in counts, and its
/// signatures and places taken a day, stacked, in a small chart.
pub async fn glance(
    stats: &Stats,
    console: &Console,
    org: &organisation::Model,
) -> Result<Value, StatsError> {
    let access = console.access();
    let locale = console.locale;
    let period = Period::Days30;
    let signatures = stats.organisation_signatures(access, org, period).await?;
    let rsvps = stats.organisation_rsvps(access, org, period).await?;
    let recent = stats.recent(access, org).await?;
    let chart = charts::Chart {
        id: format!("glance-{}", org.slug),
        title: say(locale, "console.stats.glance_title", &[]),
        description: say(
            locale,
            "console.stats.glance_desc",
            &[
                (
                    "signatures",
                    charts::count_text(recent.signatures, locale).into(),
                ),
                ("rsvps", charts::count_text(recent.rsvps, locale).into()),
                ("gifts", charts::count_text(recent.gifts, locale).into()),
                ("s", recent.signatures.into()),
                ("r", recent.rsvps.into()),
                ("g", recent.gifts.into()),
            ],
        ),
        locale,
        unit: charts::Unit::Count,
        mark: charts::Mark::Bars,
        days: signatures.days.clone(),
        series: vec![
            charts::Series {
                label: say(locale, "console.charts.signatures", &[]),
                values: signatures.values,
            },
            charts::Series {
                label: say(locale, "console.charts.going", &[]),
                values: rsvps.values,
            },
        ],
        limit: None,
        start: 0,
    };
    Ok(json!({ "chart": chart.view(), "recent": recent_view(recent, locale) }))
}
