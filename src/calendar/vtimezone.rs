//! VTIMEZONE components built from the IANA rules that chrono-tz carries. Each
//! component lists every offset change between the first and last event that uses
//! it, as explicit observances: what the client reads is exactly what the IANA
//! database says, including past changes such as Caracas' move from -04:30 to -04:00.

use chrono::{DateTime, Duration, Offset, TimeZone as _, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use ics::components::{Component, Property};

/// The longest span a VTIMEZONE covers; past it, events are rare and clients fall
/// back to their own database for the zone's name.
const MAX_SPAN_DAYS: i64 = 366 * 20;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observance {
    utc_offset: i32,
    daylight: bool,
    name: String,
}

fn observance_at(tz: Tz, t: DateTime<Utc>) -> Observance {
    let offset = tz.offset_from_utc_datetime(&t.naive_utc());
    Observance {
        utc_offset: offset.fix().local_minus_utc(),
        daylight: offset.dst_offset().num_seconds() != 0,
        name: offset.abbreviation().unwrap_or_default().to_owned(),
    }
}

/// The VTIMEZONE for `tz` valid from `from` to `to`.
pub fn vtimezone(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Component<'static> {
    let start = from - Duration::days(7);
    let end = (to + Duration::days(7)).min(start + Duration::days(MAX_SPAN_DAYS));
    let mut component = Component::new("VTIMEZONE");
    component.add_property(Property::new("TZID", tz.name()));

    let first = observance_at(tz, start);
    component.add_component(observance(&first, &first, start));
    let mut current = first;
    let mut t = start;
    while t < end {
        let next = t + Duration::days(1);
        let there = observance_at(tz, next);
        if there != current {
            let change = first_instant_of(tz, t, next, &there);
            component.add_component(observance(&current, &there, change));
            current = there;
        }
        t = next;
    }
    component
}

/// Binary search for the instant the zone starts to use `target`, to the second.
fn first_instant_of(
    tz: Tz,
    mut before: DateTime<Utc>,
    mut after: DateTime<Utc>,
    target: &Observance,
) -> DateTime<Utc> {
    while after - before > Duration::seconds(1) {
        let mid = before + (after - before) / 2;
        if observance_at(tz, mid) == *target {
            after = mid;
        } else {
            before = mid;
        }
    }
    after
}

/// A STANDARD or DAYLIGHT sub-component: the change to `to` at `at`, written in the
/// wall time of the offset in force before it, as RFC 5545 asks.
fn observance(from: &Observance, to: &Observance, at: DateTime<Utc>) -> Component<'static> {
    let local = at.naive_utc() + Duration::seconds(i64::from(from.utc_offset));
    let mut c = Component::new(if to.daylight { "DAYLIGHT" } else { "STANDARD" });
    c.add_property(Property::new(
        "DTSTART",
        local.format("%Y%m%dT%H%M%S").to_string(),
    ));
    c.add_property(Property::new("TZOFFSETFROM", offset_text(from.utc_offset)));
    c.add_property(Property::new("TZOFFSETTO", offset_text(to.utc_offset)));
    if !to.name.is_empty() {
        c.add_property(Property::new("TZNAME", super::text::escape(&to.name)));
    }
    c
}

/// `-0400`, or `-043000` when the offset has seconds.
fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The VTIMEZONE for events from one day to another, each from midnight UTC.
    fn render(tz: Tz, from: &str, to: &str) -> String {
        let day = |day: &str| {
            DateTime::parse_from_rfc3339(&format!("{day}T00:00:00Z"))
                .unwrap()
                .with_timezone(&Utc)
        };
        vtimezone(tz, day(from), day(to)).to_string()
    }

    #[test]
    fn toronto_lists_the_november_change_at_two_in_the_morning() {
        let text = render(chrono_tz::America::Toronto, "2026-10-20", "2026-11-20");
        assert!(text.contains("BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST"), "{text}");
        assert!(text.contains("BEGIN:DAYLIGHT\r\nDTSTART:"), "{text}");
    }

    #[test]
    fn caracas_shows_its_2016_move_to_minus_four() {
        let text = render(chrono_tz::America::Caracas, "2016-04-01", "2016-06-01");
        assert!(
            text.contains("TZOFFSETFROM:-0430\r\nTZOFFSETTO:-0400"),
            "{text}"
        );
    }

    #[test]
    fn offsets_with_seconds_keep_them() {
        assert_eq!(offset_text(-16200), "-0430");
        assert_eq!(offset_text(3600), "+0100");
        assert_eq!(offset_text(-17762), "-045602");
    }
}
