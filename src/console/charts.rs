//! Charts drawn on the server: SVG with no script, whose numbers are also given as
//! a table beside it (`templates/pages/admin/_chart.html.j2`), so that a screen
//! reader, a printout and a phone all get them.
//!
//! Pure code: the figures come from `crate::stats` (days already in the
//! organisation's zone), the words from the catalogue. A page includes a chart
//! with the macro:
//!
//! ```jinja
//! {% from "pages/admin/_chart.html.j2" import chart %}{{ chart(signatures_chart) }}
//! ```
//!
//! where `signatures_chart` is the [`Value`] of [`signatures`], [`capacity`] or one
//! of [`money`]'s.

use std::fmt::Write as _;

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::domain::{Currency, Locale};
use crate::stats::{Daily, MoneyDaily};
use crate::words::say;

/// The drawing's own units; the browser scales it to the width it has (a phone's
/// 320 pixels too: the text stays at least 11 pixels high).
const WIDTH: f64 = 400.0;
const HEIGHT: f64 = 200.0;
/// The plot inside the drawing: room below for the dates.
const LEFT: f64 = 4.0;
const RIGHT: f64 = 396.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 176.0;
const FONT: f64 = 14.0;

/// Colours of the series, each at least 4.5:1 against white (and the text on the
/// white of the page), so that bars and lines stay visible for low vision.
const PALETTE: [&str; 4] = ["#1d4ed8", "#b45309", "#15803d", "#7e22ce"];
/// The goal or capacity line.
const LIMIT: &str = "#b91c1c";
const TEXT: &str = "#3f3f46";
const GRID: &str = "#d4d4d8";

/// What a chart's values count: people, or money in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Money(Currency),
}

/// How the values are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A bar a day, the series stacked.
    Bars,
    /// The running total of all series, as a line (against a goal or capacity).
    RunningTotal,
}

/// One series: a value per day of the chart's days.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub values: Vec<i64>,
}

/// A horizontal line at a value: a petition's goal, an event's capacity.
#[derive(Debug, Clone)]
pub struct Limit {
    pub label: String,
    pub value: i64,
}

/// A chart of days, ready to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Unique in its page: the ids of its title and description derive from it.
    pub id: String,
    pub title: String,
    pub description: String,
    pub locale: Locale,
    pub unit: Unit,
    pub mark: Mark,
    pub days: Vec<NaiveDate>,
    pub series: Vec<Series>,
    pub limit: Option<Limit>,
    /// Where a running total starts (what came before the first day).
    pub start: i64,
}

impl Chart {
    /// The total of all series on each day.
    fn totals(&self) -> Vec<i64> {
        (0..self.days.len())
            .map(|i| {
                self.series
                    .iter()
                    .map(|s| s.values.get(i).copied().unwrap_or(0))
                    .fold(0i64, i64::saturating_add)
            })
            .collect()
    }

    /// The running total of [`Chart::totals`].
    fn running(&self) -> Vec<i64> {
        self.totals()
            .into_iter()
            .scan(self.start, |sum, v| {
                *sum = sum.saturating_add(v);
                Some(*sum)
            })
            .collect()
    }

    /// Nothing to draw: every value zero, and no running total carried in.
    pub fn is_empty(&self) -> bool {
        (self.mark == Mark::Bars || self.start == 0) && self.totals().iter().all(|v| *v == 0)
    }

    fn value_text(&self, v: i64) -> String {
        match self.unit {
            Unit::Count => count_text(v, self.locale),
            Unit::Money(currency) => crate::email::render::amount_text(v, currency, self.locale),
        }
    }

    /// The drawing: `role="img"`, named by its `<title>` and described by its
    /// `<desc>`. Every text in it is escaped.
    pub fn svg(&self) -> String {
        let id = escape(&self.id);
        let mut out = String::with_capacity(4096 + self.days.len() * 96);
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="system-ui, sans-serif" font-size="{FONT}"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
            escape(&self.title),
            escape(&self.description),
        );
        if self.is_empty() || self.days.is_empty() {
            let _ = write!(
                out,
                r#"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="{GRID}"/><text x="{}" y="{}" text-anchor="middle" fill="{TEXT}">{}</text></svg>"#,
                RIGHT - LEFT,
                BOTTOM - TOP,
                WIDTH / 2.0,
                (TOP + BOTTOM) / 2.0,
                escape(&say(self.locale, "console.charts.empty", &[])),
            );
            return out;
        }
        let drawn = match self.mark {
            Mark::Bars => self.totals(),
            Mark::RunningTotal => self.running(),
        };
        let highest = drawn.iter().copied().max().unwrap_or(0);
        let top = nice_ceiling(highest.max(self.limit.as_ref().map_or(0, |l| l.value)));
        let y = |v: i64| BOTTOM - scale(v, top);
        // Grid lines at zero, half (when a whole number) and the top, each labelled
        // just above it.
        let half = (top % 2 == 0).then_some(top / 2);
        for tick in [Some(0), half, Some(top)].into_iter().flatten() {
            let at = y(tick);
            let _ = write!(
                out,
                r#"<line x1="{LEFT}" x2="{RIGHT}" y1="{at:.1}" y2="{at:.1}" stroke="{GRID}"/>"#
            );
            if tick > 0 {
                let _ = write!(
                    out,
                    r#"<text x="{}" y="{:.1}" fill="{TEXT}">{}</text>"#,
                    LEFT + 2.0,
                    at - 3.0,
                    escape(&self.value_text(tick)),
                );
            }
        }
        let step = (RIGHT - LEFT) / self.days.len() as f64;
        match self.mark {
            Mark::Bars => {
                // A small gap between bars while they are wide enough to show one.
                let gap = if step > 4.0 { step * 0.2 } else { 0.0 };
                for i in 0..self.days.len() {
                    let mut base = 0i64;
                    for (n, series) in self.series.iter().enumerate() {
                        let v = series.values.get(i).copied().unwrap_or(0);
                        if v <= 0 {
                            continue;
                        }
                        let (from, to) = (y(base), y(base.saturating_add(v)));
                        base = base.saturating_add(v);
                        let _ = write!(
                            out,
                            r#"<rect x="{:.2}" y="{to:.2}" width="{:.2}" height="{:.2}" fill="{}"/>"#,
                            LEFT + step * i as f64 + gap / 2.0,
                            step - gap,
                            from - to,
                            PALETTE[n % PALETTE.len()],
                        );
                    }
                }
            }
            Mark::RunningTotal => {
                let mut points = String::new();
                for (i, v) in drawn.iter().enumerate() {
                    // Each day's total at the end of its day.
                    let x = LEFT + step * (i as f64 + 1.0);
                    if i == 0 {
                        let _ = write!(points, "{LEFT:.2},{:.2} ", y(self.start));
                    }
                    let _ = write!(points, "{x:.2},{:.2} ", y(*v));
                }
                let _ = write!(
                    out,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="3" stroke-linejoin="round"/>"#,
                    points.trim_end(),
                    PALETTE[0],
                );
            }
        }
        if let Some(limit) = &self.limit {
            let at = y(limit.value);
            let _ = write!(
                out,
                r#"<line class="limit" x1="{LEFT}" x2="{RIGHT}" y1="{at:.1}" y2="{at:.1}" stroke="{LIMIT}" stroke-width="2" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" text-anchor="end" fill="{LIMIT}">{}</text>"#,
                RIGHT - 2.0,
                // Below the line when it is the top of the chart, else above it.
                if at - TOP < FONT + 2.0 {
                    at + FONT + 2.0
                } else {
                    at - 4.0
                },
                escape(&format!("{} {}", limit.label, self.value_text(limit.value))),
            );
        }
        // The first and the last day under the plot.
        let (first, last) = (self.days[0], self.days[self.days.len() - 1]);
        let _ = write!(
            out,
            r#"<text x="{LEFT}" y="{:.1}" fill="{TEXT}">{}</text>"#,
            HEIGHT - 6.0,
            escape(&day_text(first, self.locale)),
        );
        if last != first {
            let _ = write!(
                out,
                r#"<text x="{RIGHT}" y="{:.1}" text-anchor="end" fill="{TEXT}">{}</text>"#,
                HEIGHT - 6.0,
                escape(&day_text(last, self.locale)),
            );
        }
        out.push_str("</svg>");
        out
    }

    /// The chart for the macro: the drawing, its legend, and its numbers as a
    /// table (the days with something on them; a running total beside a day's
    /// figures when the chart draws one).
    pub fn view(&self) -> Value {
        let several = self.series.len() > 1;
        let mut head = vec![say(self.locale, "console.charts.day", &[])];
        head.extend(self.series.iter().map(|s| s.label.clone()));
        if several {
            head.push(say(self.locale, "console.charts.day_total", &[]));
        }
        if self.mark == Mark::RunningTotal {
            head.push(say(self.locale, "console.charts.running_total", &[]));
        }
        let totals = self.totals();
        let running = self.running();
        let rows: Vec<Vec<String>> = self
            .days
            .iter()
            .enumerate()
            .filter(|(i, _)| totals[*i] != 0)
            .map(|(i, day)| {
                let mut row = vec![day.format("%Y-%m-%d").to_string()];
                row.extend(
                    self.series
                        .iter()
                        .map(|s| self.value_text(s.values.get(i).copied().unwrap_or(0))),
                );
                if several {
                    row.push(self.value_text(totals[i]));
                }
                if self.mark == Mark::RunningTotal {
                    row.push(self.value_text(running[i]));
                }
                row
            })
            .collect();
        json!({
            "id": self.id,
            "title": self.title,
            "svg": self.svg(),
            "empty": self.is_empty(),
            "legend": if several || self.limit.is_some() {
                let mut legend: Vec<Value> = self.series.iter().enumerate().map(|(n, s)| json!({
                    "label": s.label, "colour": PALETTE[n % PALETTE.len()], "dashed": false,
                })).collect();
                if let Some(limit) = &self.limit {
                    legend.push(json!({
                        "label": format!("{} {}", limit.label, self.value_text(limit.value)),
                        "colour": LIMIT,
                        "dashed": true,
                    }));
                }
                legend
            } else {
                Vec::new()
            },
            "head": head,
            "rows": rows,
            "total": self.value_text(running.last().copied().unwrap_or(0)),
        })
    }
}

/// A petition's confirmed signatures a day; against its goal, as a running total,
/// when it has one.
pub fn signatures(locale: Locale, id: &str, daily: &Daily, goal: Option<i64>) -> Value {
    let label = say(locale, "console.charts.signatures", &[]);
    let total: i64 = daily.values.iter().sum::<i64>() + daily.before;
    let chart = Chart {
        id: id.to_owned(),
        title: say(locale, "console.charts.signatures_title", &[]),
        description: say(
            locale,
            "console.charts.signatures_desc",
            &[
                ("n", total.into()),
                ("days", daily.days.len().into()),
                ("goal", goal.into()),
            ],
        ),
        locale,
        unit: Unit::Count,
        mark: if goal.is_some() {
            Mark::RunningTotal
        } else {
            Mark::Bars
        },
        days: daily.days.clone(),
        series: vec![Series {
            label,
            values: daily.values.clone(),
        }],
        limit: goal.map(|value| Limit {
            label: say(locale, "console.charts.goal", &[]),
            value,
        }),
        start: if goal.is_some() { daily.before } else { 0 },
    };
    chart.view()
}

/// Where something came from, by source, as rows a page shows with a bar each:
/// `{label, count, percent}` (a bar's width is its share of the largest).
pub fn sources(locale: Locale, counts: &[(Option<String>, i64)]) -> Vec<Value> {
    let largest = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let total: i64 = counts.iter().map(|(_, n)| *n).sum::<i64>().max(1);
    counts
        .iter()
        .map(|(source, n)| {
            let label = match source.as_deref() {
                None => say(locale, "console.charts.source_none", &[]),
                Some("") => say(locale, "console.charts.source_others", &[]),
                Some(source) => source.to_owned(),
            };
            json!({
                "label": label,
                "count": count_text(*n, locale),
                "share": n * 100 / total,
                "width": n * 100 / largest,
            })
        })
        .collect()
}

/// An event's places taken over time (people going and their guests), against its
/// capacity when it has one.
pub fn capacity(locale: Locale, id: &str, daily: &Daily, capacity: Option<i64>) -> Value {
    let total: i64 = daily.values.iter().sum::<i64>() + daily.before;
    let chart = Chart {
        id: id.to_owned(),
        title: say(locale, "console.charts.going_title", &[]),
        description: say(
            locale,
            "console.charts.going_desc",
            &[("n", total.into()), ("capacity", capacity.into())],
        ),
        locale,
        unit: Unit::Count,
        mark: Mark::RunningTotal,
        days: daily.days.clone(),
        series: vec![Series {
            label: say(locale, "console.charts.going", &[]),
            values: daily.values.clone(),
        }],
        limit: capacity.map(|value| Limit {
            label: say(locale, "console.charts.capacity", &[]),
            value,
        }),
        start: daily.before,
    };
    chart.view()
}

/// Gifts a day, a chart per currency (amounts in different currencies do not
/// add up), stacked by source when sources are known.
pub fn money(locale: Locale, id: &str, money: &MoneyDaily) -> Vec<Value> {
    money
        .currencies
        .iter()
        .map(|(currency, sources)| {
            let unit = Unit::Money(*currency);
            let total: i64 = sources
                .iter()
                .flat_map(|(_, values)| values.iter())
                .fold(0i64, |a, b| a.saturating_add(*b));
            let chart = Chart {
                id: format!("{id}-{}", currency.code().to_ascii_lowercase()),
                title: say(
                    locale,
                    "console.charts.money_title",
                    &[("currency", currency.code().into())],
                ),
                description: say(
                    locale,
                    "console.charts.money_desc",
                    &[
                        (
                            "total",
                            crate::email::render::amount_text(total, *currency, locale).into(),
                        ),
                        ("days", money.days.len().into()),
                    ],
                ),
                locale,
                unit,
                mark: Mark::Bars,
                days: money.days.clone(),
                series: sources
                    .iter()
                    .map(|(source, values)| Series {
                        label: source
                            .clone()
                            .unwrap_or_else(|| say(locale, "console.charts.gifts", &[])),
                        values: values.clone(),
                    })
                    .collect(),
                limit: None,
                start: 0,
            };
            chart.view()
        })
        .collect()
}

/// The share of the plot's height a value takes, `top` being the whole height.
fn scale(v: i64, top: i64) -> f64 {
    if top <= 0 {
        return 0.0;
    }
    (v.max(0) as f64 / top as f64) * (BOTTOM - TOP)
}

/// The smallest of 1, 2, 5 × 10ⁿ at least `v` (and at least 1, so that a chart
/// of zeros still has a scale and never divides by zero).
pub fn nice_ceiling(v: i64) -> i64 {
    let mut base: i64 = 1;
    loop {
        for m in [1i64, 2, 5] {
            let candidate = base.saturating_mul(m);
            if candidate >= v || candidate == i64::MAX {
                return candidate;
            }
        }
        base = base.saturating_mul(10);
    }
}

/// A count as the reader writes numbers: 1,234 · 12 345 · 1 234.
pub fn count_text(n: i64, locale: Locale) -> String {
    let digits = n.to_string();
    match locale {
        Locale::En => crate::words::group_digits(&digits, ","),
        // Spanish groups from five digits only.
        Locale::Es if digits.trim_start_matches('-').len() < 5 => digits,
        Locale::Es => crate::words::group_digits(&digits, "\u{a0}"),
        Locale::Fr => crate::words::group_digits(&digits, "\u{202f}"),
    }
}

/// A day, short: "6 Dec", "6 dic", "6 déc.".
fn day_text(day: NaiveDate, locale: Locale) -> String {
    let chrono_locale = match locale {
        Locale::En => chrono::Locale::en_GB,
        Locale::Es => chrono::Locale::es_ES,
        Locale::Fr => chrono::Locale::fr_FR,
    };
    day.format_localized("%-d %b", chrono_locale).to_string()
}

/// Text for SVG (XML) and HTML alike.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: usize) -> Vec<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
        (0..n)
            .map(|i| first + chrono::Days::new(i as u64))
            .collect()
    }

    fn chart(values: Vec<i64>, mark: Mark, limit: Option<i64>) -> Chart {
        Chart {
            id: "c".into(),
            title: "Signatures <a day>".into(),
            description: "Fish & chips".into(),
            locale: Locale::En,
            unit: Unit::Count,
            mark,
            days: days(values.len()),
            series: vec![Series {
                label: "Signatures".into(),
                values,
            }],
            limit: limit.map(|value| Limit {
                label: "Goal".into(),
                value,
            }),
            start: 0,
        }
    }

    /// The value of `attribute` in each element `<tag …>` of the drawing.
    fn attributes(svg: &str, tag: &str, attribute: &str) -> Vec<f64> {
        svg.split(&format!("<{tag} "))
            .skip(1)
            .filter_map(|element| {
                let element = element.split('>').next()?;
                let start = element.find(&format!(" {attribute}=\""))? + attribute.len() + 3;
                let rest = &element[start..];
                rest[..rest.find('"')?].parse().ok()
            })
            .collect()
    }

    #[test]
    fn bars_are_as_high_as_their_numbers() {
        let svg = chart(vec![1, 2, 0, 4], Mark::Bars, None).svg();
        let heights = attributes(&svg, "rect", "height");
        // Three bars (a zero draws none), the scale topping at 5.
        assert_eq!(heights.len(), 3, "{svg}");
        let whole = BOTTOM - TOP;
        for (height, value) in heights.iter().zip([1.0, 2.0, 4.0]) {
            assert!(
                (height - whole * value / 5.0).abs() < 0.01,
                "{height} for {value}"
            );
        }
        // Each bar stands on the axis.
        for (y, height) in attributes(&svg, "rect", "y")
            .iter()
            .zip(attributes(&svg, "rect", "height"))
        {
            assert!((y + height - BOTTOM).abs() < 0.01);
        }
    }

    #[test]
    fn the_goal_line_is_at_the_goal() {
        let svg = chart(vec![10, 30, 20], Mark::RunningTotal, Some(100)).svg();
        let limit = svg
            .split("<line class=\"limit\" ")
            .nth(1)
            .and_then(|l| l.split('>').next())
            .unwrap_or_default();
        let y1 = attributes(&format!("<line {limit}>"), "line", "y1");
        // The scale tops at the goal (100): the line is at the top of the plot.
        assert_eq!(y1, vec![TOP]);
        // The running total ends at 60: 60% of the way up.
        let points = svg
            .split("points=\"")
            .nth(1)
            .and_then(|p| p.split('"').next())
            .unwrap_or_default();
        let last_y: f64 = points
            .split(' ')
            .next_back()
            .and_then(|p| p.split(',').nth(1))
            .and_then(|y| y.parse().ok())
            .unwrap_or_default();
        assert!(
            (last_y - (BOTTOM - (BOTTOM - TOP) * 0.6)).abs() < 0.01,
            "{points}"
        );
        assert!(svg.contains("Goal 100"));
    }

    #[test]
    fn an_empty_series_draws_an_empty_state() {
        for values in [vec![], vec![0, 0, 0]] {
            let svg = chart(values, Mark::Bars, None).svg();
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
            assert!(svg.contains("Nothing yet"), "{svg}");
            assert!(attributes(&svg, "rect", "height").len() == 1);
        }
        let svg = chart(vec![0, 0], Mark::RunningTotal, Some(0)).svg();
        assert!(!svg.contains("NaN"), "{svg}");
    }

    #[test]
    fn text_is_escaped_and_named_for_assistive_technology() {
        let svg = chart(vec![1], Mark::Bars, None).svg();
        assert!(svg.contains(r#"role="img" aria-labelledby="c-title c-desc""#));
        assert!(svg.contains(r#"<title id="c-title">Signatures &lt;a day&gt;</title>"#));
        assert!(svg.contains(r#"<desc id="c-desc">Fish &amp; chips</desc>"#));
        assert!(svg.contains(r#"viewBox="0 0 400 200""#));
    }

    #[test]
    fn the_table_holds_the_days_with_numbers() {
        let view = chart(vec![3, 0, 1], Mark::RunningTotal, Some(5)).view();
        let rows: Vec<Vec<String>> =
            serde_json::from_value(view["rows"].clone()).unwrap_or_default();
        assert_eq!(
            rows,
            vec![
                vec!["2026-11-01".to_owned(), "3".into(), "3".into()],
                vec!["2026-11-03".to_owned(), "1".into(), "4".into()],
            ]
        );
    }

    #[test]
    fn a_running_total_starts_from_what_came_before() {
        let mut carried = chart(vec![0, 2], Mark::RunningTotal, Some(10));
        carried.start = 5;
        assert!(!carried.is_empty());
        let rows: Vec<Vec<String>> =
            serde_json::from_value(carried.view()["rows"].clone()).unwrap_or_default();
        assert_eq!(
            rows,
            vec![vec!["2026-11-02".to_owned(), "2".into(), "7".into()]]
        );
        assert!(
            carried
                .svg()
                .contains(&format!("{LEFT:.2},{:.2} ", BOTTOM - (BOTTOM - TOP) * 0.5))
        );
    }

    #[test]
    fn stacked_series_reach_their_sum() {
        let mut stacked = chart(vec![2, 0], Mark::Bars, None);
        stacked.series.push(Series {
            label: "Email".into(),
            values: vec![3, 5],
        });
        let svg = stacked.svg();
        let heights = attributes(&svg, "rect", "height");
        let whole = BOTTOM - TOP;
        // Day one: 2 and 3 stacked; day two: 5; on a scale of 5.
        assert_eq!(heights.len(), 3);
        assert!((heights[0] + heights[1] - whole).abs() < 0.01);
        assert!((heights[2] - whole).abs() < 0.01);
    }

    #[test]
    fn scales_are_round() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(101), 200);
        assert_eq!(nice_ceiling(i64::MAX), i64::MAX);
    }
}
