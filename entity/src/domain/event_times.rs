//! When an event happens: wall-clock times in its own zone, and the instants they
//! mean. Converting once, here, is what keeps a Toronto meeting at 19:00 on both
//! sides of a daylight-saving change.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone as _, Utc};

use super::{InvalidField, TimeZone};

const DATE: &str = "%Y-%m-%d";
const DATE_TIME: &str = "%Y-%m-%dT%H:%M:%S";

/// The organiser's times as they gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// From one wall-clock time to another.
    Timed {
        start: NaiveDateTime,
        end: NaiveDateTime,
    },
    /// Whole days, `last` included (a delegation from 28 Nov to 5 Dec).
    AllDay { first: NaiveDate, last: NaiveDate },
}

/// A schedule in a zone, with the UTC instants it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTimes {
    schedule: Schedule,
    zone: TimeZone,
    starts_utc: DateTime<Utc>,
    ends_utc: DateTime<Utc>,
}

impl EventTimes {
    /// Parse `starts_at` / `ends_at` as given in a request: `YYYY-MM-DDTHH:MM[:SS]`,
    /// or `YYYY-MM-DD` for an all-day event.
    pub fn parse(
        starts_at: &str,
        ends_at: &str,
        all_day: bool,
        zone: TimeZone,
    ) -> Result<Self, InvalidField> {
        let schedule = if all_day {
            Schedule::AllDay {
                first: parse_date("starts_at", starts_at)?,
                last: parse_date("ends_at", ends_at)?,
            }
        } else {
            Schedule::Timed {
                start: parse_wall_time("starts_at", starts_at)?,
                end: parse_wall_time("ends_at", ends_at)?,
            }
        };
        Self::new(schedule, zone)
    }

    /// Resolve a schedule in a zone. A wall time the clocks skip (a DST gap) is
    /// refused; one they pass twice (a DST fold) means the earlier instant, the one
    /// people reach first.
    pub fn new(schedule: Schedule, zone: TimeZone) -> Result<Self, InvalidField> {
        let (starts_utc, ends_utc) = match schedule {
            Schedule::Timed { start, end } => {
                let starts = to_utc("starts_at", start, zone)?;
                let ends = to_utc("ends_at", end, zone)?;
                if ends <= starts {
                    return Err(InvalidField::new("ends_at", "must be after starts_at"));
                }
                (starts, ends)
            }
            Schedule::AllDay { first, last } => {
                if last < first {
                    return Err(InvalidField::new(
                        "ends_at",
                        "the last day must not be before the first",
                    ));
                }
                let day_after = last
                    .succ_opt()
                    .ok_or_else(|| InvalidField::new("ends_at", "is out of range"))?;
                (
                    start_of_day("starts_at", first, zone)?,
                    start_of_day("ends_at", day_after, zone)?,
                )
            }
        };
        Ok(Self {
            schedule,
            zone,
            starts_utc,
            ends_utc,
        })
    }

    /// Read back what the database keeps (written by `starts_at_text` / `ends_at_text`).
    pub fn from_stored(
        starts_at: &str,
        ends_at: &str,
        all_day: bool,
        zone: TimeZone,
    ) -> Result<Self, InvalidField> {
        Self::parse(starts_at, ends_at, all_day, zone)
    }

    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    pub fn zone(&self) -> TimeZone {
        self.zone
    }

    pub fn all_day(&self) -> bool {
        matches!(self.schedule, Schedule::AllDay { .. })
    }

    pub fn starts_utc(&self) -> DateTime<Utc> {
        self.starts_utc
    }

    /// The end instant; for all-day events, the start of the day after the last.
    pub fn ends_utc(&self) -> DateTime<Utc> {
        self.ends_utc
    }

    /// `YYYY-MM-DDTHH:MM:SS`, or `YYYY-MM-DD` for an all-day event.
    pub fn starts_at_text(&self) -> String {
        match self.schedule {
            Schedule::Timed { start, .. } => start.format(DATE_TIME).to_string(),
            Schedule::AllDay { first, .. } => first.format(DATE).to_string(),
        }
    }

    /// As `starts_at_text`; for an all-day event, the last day.
    pub fn ends_at_text(&self) -> String {
        match self.schedule {
            Schedule::Timed { end, .. } => end.format(DATE_TIME).to_string(),
            Schedule::AllDay { last, .. } => last.format(DATE).to_string(),
        }
    }
}

fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, InvalidField> {
    NaiveDate::parse_from_str(raw, DATE)
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or_else(|| InvalidField::new(field, "an all-day event takes a date YYYY-MM-DD"))
}

fn parse_wall_time(field: &str, raw: &str) -> Result<NaiveDateTime, InvalidField> {
    let parsed = match raw.len() {
        16 => NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M"),
        19 => NaiveDateTime::parse_from_str(raw, DATE_TIME),
        _ => NaiveDateTime::parse_from_str("", DATE_TIME),
    };
    parsed.map_err(|_| {
        InvalidField::new(
            field,
            "expected a wall-clock time YYYY-MM-DDTHH:MM[:SS] without offset \
             (the zone is given in timezone); an all-day event takes dates",
        )
    })
}

fn to_utc(field: &str, wall: NaiveDateTime, zone: TimeZone) -> Result<DateTime<Utc>, InvalidField> {
    match zone.tz().from_local_datetime(&wall) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Ok(earlier.with_timezone(&Utc)),
        LocalResult::None => Err(InvalidField {
            refusal: super::Refusal::Skipped,
            ..InvalidField::new(
                field,
                format!(
                    "{} does not exist in {zone}: the clocks skip it (daylight saving time)",
                    wall.format("%Y-%m-%d %H:%M")
                ),
            )
        }),
    }
}

/// Midnight in the zone, or the first instant of the day where midnight is skipped.
fn start_of_day(
    field: &str,
    day: NaiveDate,
    zone: TimeZone,
) -> Result<DateTime<Utc>, InvalidField> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // Some zones once changed their clocks at midnight; the day then starts later.
    (0..=2)
        .find_map(|hour| to_utc(field, midnight + Duration::hours(hour), zone).ok())
        .ok_or_else(|| InvalidField::new(field, "has no start in this zone"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).unwrap()
    }

    fn utc(t: &EventTimes) -> (String, String) {
        (t.starts_utc().to_rfc3339(), t.ends_utc().to_rfc3339())
    }

    #[test]
    fn toronto_evenings_either_side_of_the_november_change_keep_their_wall_time() {
        let before = EventTimes::parse(
            "2026-10-31T19:00",
            "2026-10-31T21:00",
            false,
            zone("America/Toronto"),
        )
        .unwrap();
        let after = EventTimes::parse(
            "2026-11-02T19:00",
            "2026-11-02T21:00",
            false,
            zone("America/Toronto"),
        )
        .unwrap();
        assert_eq!(utc(&before).0, "2026-10-31T23:00:00+00:00");
        assert_eq!(utc(&after).0, "2026-11-03T00:00:00+00:00");
    }

    #[test]
    fn a_wall_time_in_the_spring_gap_is_refused_on_its_field() {
        let err = EventTimes::parse(
            "2027-03-14T02:30",
            "2027-03-14T04:00",
            false,
            zone("America/Toronto"),
        )
        .unwrap_err();
        assert_eq!(err.field, "starts_at");
    }

    #[test]
    fn a_wall_time_in_the_autumn_fold_takes_the_earlier_instant() {
        let t = EventTimes::parse(
            "2026-11-01T01:30",
            "2026-11-01T03:00",
            false,
            zone("America/Toronto"),
        )
        .unwrap();
        assert_eq!(utc(&t).0, "2026-11-01T05:30:00+00:00");
    }

    #[test]
    fn caracas_has_no_daylight_saving() {
        let t = EventTimes::parse(
            "2026-12-05T18:00:00",
            "2026-12-05T20:00:00",
            false,
            zone("America/Caracas"),
        )
        .unwrap();
        assert_eq!(
            utc(&t),
            (
                "2026-12-05T22:00:00+00:00".into(),
                "2026-12-06T00:00:00+00:00".into()
            )
        );
    }

    #[test]
    fn all_day_events_end_at_the_start_of_the_day_after_the_last() {
        let t =
            EventTimes::parse("2026-11-28", "2026-12-05", true, zone("America/Caracas")).unwrap();
        assert_eq!(
            utc(&t),
            (
                "2026-11-28T04:00:00+00:00".into(),
                "2026-12-06T04:00:00+00:00".into()
            )
        );
        assert_eq!(
            (t.starts_at_text(), t.ends_at_text()),
            ("2026-11-28".into(), "2026-12-05".into())
        );
    }

    #[test]
    fn an_end_before_the_start_is_refused_on_ends_at() {
        let err = EventTimes::parse(
            "2026-12-05T18:00",
            "2026-12-05T17:00",
            false,
            zone("Europe/London"),
        )
        .unwrap_err();
        assert_eq!(err.field, "ends_at");
        let err =
            EventTimes::parse("2026-12-05", "2026-12-04", true, zone("Europe/London")).unwrap_err();
        assert_eq!(err.field, "ends_at");
    }

    #[test]
    fn offsets_and_mixed_forms_are_refused() {
        let london = zone("Europe/London");
        assert!(EventTimes::parse("2026-12-05T18:00Z", "2026-12-05T19:00", false, london).is_err());
        assert!(
            EventTimes::parse("2026-12-05T18:00+01:00", "2026-12-05T19:00", false, london).is_err()
        );
        assert!(EventTimes::parse("2026-12-05", "2026-12-06", false, london).is_err());
        assert!(EventTimes::parse("2026-12-05T18:00", "2026-12-06T18:00", true, london).is_err());
    }

    #[test]
    fn stored_text_reads_back_the_same() {
        let t = EventTimes::parse(
            "2026-11-02T19:00",
            "2026-11-02T21:30",
            false,
            zone("America/Toronto"),
        )
        .unwrap();
        let back = EventTimes::from_stored(
            &t.starts_at_text(),
            &t.ends_at_text(),
            false,
            zone("America/Toronto"),
        )
        .unwrap();
        assert_eq!(t, back);
    }
}
