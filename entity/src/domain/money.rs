//! Money: an integer number of a currency's minor units, never a float. The
//! currency is an ISO 4217 code, and knows its exponent (JPY 0, GBP 2, KWD 3), from
//! the `iso_currency` crate's copy of the standard's table.

use std::fmt;

use super::InvalidField;

/// An ISO 4217 currency that has minor units (funds and metals do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sea_orm::DeriveValueType)]
#[sea_orm(value_type = "String")]
pub struct Currency {
    iso: iso_currency::Currency,
    exponent: u32,
}

impl Currency {
    /// A code such as `GBP`, in any case.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let code = raw.trim().to_ascii_uppercase();
        let iso = iso_currency::Currency::from_code(&code).ok_or_else(|| {
            InvalidField::new(
                "currency",
                format!("{raw:?} is not an ISO 4217 currency code"),
            )
        })?;
        let exponent = iso.exponent().ok_or_else(|| {
            InvalidField::new("currency", format!("{code} is not a currency to give in"))
        })?;
        Ok(Self {
            iso,
            exponent: u32::from(exponent),
        })
    }

    pub fn code(self) -> &'static str {
        self.iso.code()
    }

    /// Digits after the decimal point: 0 for JPY, 2 for GBP, 3 for KWD.
    pub fn exponent(self) -> u32 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A positive amount in a currency's minor units: `{"amount": 2500, "currency": "GBP"}`
/// is £25.00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// The most any amount may be: 10^15 minor units. No gift or goal comes near it
    /// in a currency worth having (ten trillion pounds), yet it leaves room for those
    /// whose units are worth little (10^15 Iranian rials is a few million dollars).
    /// Totals of such amounts stay exact far beyond any real appeal (9,000 gifts
    /// at the cap fit in an `i64`), and past that they saturate instead of failing.
    pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

    /// An amount greater than zero and at most [`Money::MAX_MINOR`].
    pub fn new(minor: i64, currency: Currency) -> Result<Self, InvalidField> {
        if minor <= 0 {
            return Err(InvalidField::new("amount", "must be greater than zero"));
        }
        if minor > Self::MAX_MINOR {
            return Err(InvalidField::new(
                "amount",
                format!("must be at most {} minor units", Self::MAX_MINOR),
            ));
        }
        Ok(Self { minor, currency })
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// The amount with its decimal point, without grouping: `25.00`, `1000`, `1.500`.
    pub fn decimal(self) -> String {
        decimal_text(self.minor, self.currency)
    }

    /// An amount as people type it, in major units: `12.50`, `12,50` or `12` of
    /// GBP is 1250 minor units. More decimals than the currency has are refused.
    pub fn parse_decimal(raw: &str, currency: Currency) -> Result<Self, InvalidField> {
        let invalid = || InvalidField::new("amount", "must be an amount such as 12.50");
        let text = raw.trim().replace(',', ".");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let exponent = currency.exponent() as usize;
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > exponent {
            return Err(invalid());
        }
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let fraction: i64 = format!("{fraction:0<exponent$}").parse().unwrap_or(0);
        let minor = whole
            .checked_mul(10_i64.pow(currency.exponent()))
            .and_then(|m| m.checked_add(fraction))
            .ok_or_else(invalid)?;
        Self::new(minor, currency)
    }

    /// As [`Money::parse_decimal`], the thousands also grouped as people write them
    /// and as the console shows amounts: `1,234.50`, `1.234,50`, `1 234,50`. With a
    /// dot and a comma both, the last one is the decimal point; groups after the
    /// first must be of three digits, so `12 50` or `1.23,50` is no amount.
    pub fn parse_typed(raw: &str, currency: Currency) -> Result<Self, InvalidField> {
        let invalid = || InvalidField::new("amount", "must be an amount such as 12.50");
        let text = raw.trim();
        let marks = text.matches(['.', ',']).count();
        let both = text.contains('.') && text.contains(',');
        // One mark, or the last of a dot and a comma, is the decimal point; a mark
        // repeated alone only groups ("1.234.567").
        let (whole, fraction) = match text.rfind(['.', ',']) {
            Some(at) if both || marks == 1 => {
                let point = &text[at..=at];
                if text[..at].contains(point) {
                    return Err(invalid());
                }
                (&text[..at], &text[at + 1..])
            }
            _ => (text, ""),
        };
        let groups: Vec<&str> = whole.split(['.', ',', ' ', '\u{a0}', '\u{202f}']).collect();
        if groups.len() > 1
            && !((1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3))
        {
            return Err(invalid());
        }
        Self::parse_decimal(&format!("{}.{fraction}", groups.concat()), currency)
    }
}

/// Any number of minor units (zero too) with the currency's decimal point:
/// `25.00`, `1000`, `1.500`, `0.00`.
pub fn decimal_text(minor: i64, currency: Currency) -> String {
    let exponent = currency.exponent();
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10_i64.pow(exponent);
    let sign = if minor < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:0width$}",
        (minor / scale).abs(),
        (minor % scale).abs(),
        width = exponent as usize
    )
}

impl fmt::Display for Money {
    /// `25.00 GBP`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_typed_in_major_units_become_minor_units() {
        let gbp = Currency::parse("GBP").unwrap();
        for (typed, minor) in [
            ("12.50", 1250),
            ("12,5", 1250),
            ("12", 1200),
            ("12.", 1200),
            (" 0.07 ", 7),
        ] {
            assert_eq!(
                Money::parse_decimal(typed, gbp).unwrap().minor(),
                minor,
                "{typed}"
            );
        }
        for bad in ["", "abc", "12.505", "-3", "1e3", "0", ".5", "1.2.3"] {
            assert!(Money::parse_decimal(bad, gbp).is_err(), "{bad}");
        }
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse_decimal("1000", jpy).unwrap().minor(), 1000);
        assert!(Money::parse_decimal("10.5", jpy).is_err());
    }

    #[test]
    fn amounts_typed_with_grouped_thousands_are_read() {
        let gbp = Currency::parse("GBP").unwrap();
        for (typed, minor) in [
            ("1,234.50", 123_450),
            ("1.234,50", 123_450),
            ("1 234,50", 123_450),
            ("1\u{202f}234,50", 123_450),
            ("1.234.567", 123_456_700),
            ("12,50", 1250),
            ("12", 1200),
        ] {
            assert_eq!(
                Money::parse_typed(typed, gbp).unwrap().minor(),
                minor,
                "{typed}"
            );
        }
        for bad in [
            "",
            "lots",
            "12 50",
            "1.23,50",
            "1,2,3",
            "1.2.3",
            "12.505",
            "1,234.5.0",
            "-3",
        ] {
            assert!(Money::parse_typed(bad, gbp).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_currency_knows_its_minor_unit() {
        for (code, exponent) in [("JPY", 0), ("GBP", 2), ("KWD", 3), ("VES", 2), ("cad", 2)] {
            assert_eq!(
                Currency::parse(code).unwrap().exponent(),
                exponent,
                "{code}"
            );
        }
    }

    #[test]
    fn unknown_codes_and_funds_are_refused() {
        for bad in ["XXX1", "ZZZ", "", "XAU"] {
            let error = Currency::parse(bad).unwrap_err();
            assert_eq!(error.field, "currency", "{bad}");
        }
    }

    #[test]
    fn amounts_are_positive_minor_units_shown_with_their_exponent() {
        let gbp = Currency::parse("GBP").unwrap();
        assert_eq!(Money::new(2500, gbp).unwrap().to_string(), "25.00 GBP");
        assert_eq!(Money::new(7, gbp).unwrap().decimal(), "0.07");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::new(1000, jpy).unwrap().to_string(), "1000 JPY");
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(Money::new(1500, kwd).unwrap().decimal(), "1.500");
        assert!(Money::new(0, gbp).is_err());
        assert_eq!(decimal_text(0, gbp), "0.00");
        assert!(Money::new(-5, gbp).is_err());
    }

    #[test]
    fn no_amount_is_larger_than_the_cap() {
        let gbp = Currency::parse("GBP").unwrap();
        assert!(Money::new(Money::MAX_MINOR, gbp).is_ok());
        for too_much in [Money::MAX_MINOR + 1, 9_000_000_000_000_000_000, i64::MAX] {
            let error = Money::new(too_much, gbp).unwrap_err();
            assert_eq!(error.field, "amount", "{too_much}");
        }
        assert!(Money::parse_decimal("10000000000000.01", gbp).is_err());
    }
}
