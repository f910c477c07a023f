//! An IANA time zone, such as `America/Caracas`.

use std::{fmt, str::FromStr};

use super::InvalidField;

#[derive(Debug, Clone, Copy, PartialEq, Eq, sea_orm::DeriveValueType)]
#[sea_orm(value_type = "String")]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// An IANA zone name, spelt as the database spells it. Bare offsets (`+03:00`)
    /// and POSIX rules (`EST5EDT`) are refused: they carry no daylight-saving history,
    /// so calendars would show wrong times for half the year.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let invalid = || {
            InvalidField::new(
                "timezone",
                format!("{raw:?} is not an IANA time zone such as America/Caracas"),
            )
        };
        let tz = chrono_tz::Tz::from_str(raw).map_err(|_| invalid())?;
        let is_region = raw.contains('/') && !raw.starts_with("Etc/");
        if !(is_region || raw == "UTC") {
            return Err(invalid());
        }
        Ok(Self(tz))
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_regions_are_accepted() {
        for ok in [
            "America/Caracas",
            "America/Toronto",
            "America/Montreal",
            "Europe/London",
            "America/Tegucigalpa",
            "UTC",
        ] {
            assert_eq!(TimeZone::parse(ok).unwrap().name(), ok);
        }
    }

    #[test]
    fn offsets_and_posix_rules_are_refused() {
        for bad in [
            "",
            "+03:00",
            "EST5EDT",
            "EST",
            "Etc/GMT+4",
            "Mars/Olympus",
            "america/caracas",
        ] {
            let err = TimeZone::parse(bad).unwrap_err();
            assert_eq!(err.field, "timezone", "{bad}");
        }
    }
}
