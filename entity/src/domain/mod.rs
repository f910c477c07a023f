//! Value types parsed once at the edge: once built, they hold only valid values.

mod country;
mod email;
mod event_times;
mod language;
mod locale;
mod money;
mod place;
mod slug;
mod timezone;

pub use country::Country;
pub use email::{Email, SupporterEmail};
pub use event_times::{EventTimes, Schedule};
pub use language::Language;
pub use locale::Locale;
pub use money::{Currency, Money, decimal_text};
pub use place::Place;
pub use slug::{PublicRef, Slug};
pub use timezone::TimeZone;

/// Stored as the text `parse` reads: a column of one of these holds a valid value
/// or its row fails to load.
macro_rules! stored_as_text {
    ($($name:ty),+) => {$(
        impl std::str::FromStr for $name {
            type Err = InvalidField;

            fn from_str(raw: &str) -> Result<Self, InvalidField> {
                Self::parse(raw)
            }
        }
    )+};
}

stored_as_text!(Country, Currency, Language, Locale, TimeZone);

/// One field that failed to parse: an entry of a 422 problem's `errors`.
///
/// `message` is the API's English sentence; `refusal` is what pages choose their
/// words by, in the visitor's language, so no page reads the English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidField {
    pub field: String,
    pub message: String,
    pub refusal: Refusal,
}

/// The kind of a field's refusal, stable whatever its message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Left empty, or left out, where a value is needed.
    Required,
    /// Longer than `max` characters.
    TooLong { max: usize },
    /// Holds a control character.
    Control,
    /// Not a value of the field's kind (an address, an amount, a date…): what kind
    /// is told by the field's name.
    Invalid,
    /// A wall time the clocks skip in the zone given (a daylight-saving gap).
    Skipped,
    /// Out of order with another field it goes with (a minimum above its maximum,
    /// the end of a window before its start).
    OutOfOrder,
    /// A time still to come where only a past one can be (a gift received).
    Future,
}

impl Refusal {
    /// The refusal's stable name.
    pub fn code(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::TooLong { .. } => "too_long",
            Self::Control => "control",
            Self::Invalid => "invalid",
            Self::Skipped => "skipped",
            Self::OutOfOrder => "out_of_order",
            Self::Future => "future",
        }
    }
}

impl InvalidField {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            refusal: Refusal::Invalid,
        }
    }

    /// A field left empty or out, told in `message` ("must not be empty").
    pub fn required(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            refusal: Refusal::Required,
            ..Self::new(field, message)
        }
    }

    /// A field longer than `max` characters.
    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        Self {
            refusal: Refusal::TooLong { max },
            ..Self::new(field, format!("must be at most {max} characters"))
        }
    }

    /// A field holding a control character.
    pub fn control(field: impl Into<String>) -> Self {
        Self {
            refusal: Refusal::Control,
            ..Self::new(field, CONTROL_MESSAGE)
        }
    }

    /// A refusal of this kind (a field out of order with another, a time to come).
    pub fn because(self, refusal: Refusal) -> Self {
        Self { refusal, ..self }
    }

    /// The same problem, reported under another field name (a value type does not
    /// know which field of a request it was read from).
    pub fn at(self, field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            ..self
        }
    }
}

/// A C0 control character other than tab, line feed and carriage return. Text never
/// needs one, and PostgreSQL refuses NUL outright: stored, it would fail the write
/// (and every write grouped with it) on one database and not the other.
pub fn is_refused_control(c: char) -> bool {
    c < ' ' && !matches!(c, '\t' | '\n' | '\r')
}

/// What a field holding a refused control character is told.
pub const CONTROL_MESSAGE: &str = "must not contain control characters";

fn refuse_controls(field: &str, text: &str) -> Result<(), InvalidField> {
    if text.chars().any(is_refused_control) {
        return Err(InvalidField::control(field));
    }
    Ok(())
}

/// Trim a required text field and check its length in characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, InvalidField> {
    refuse_controls(field, raw)?;
    let text = raw.trim();
    if text.is_empty() {
        return Err(InvalidField::required(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(InvalidField::too_long(field, max));
    }
    Ok(text.to_owned())
}

/// As `required_text`, for a field that may be left empty.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<String, InvalidField> {
    refuse_controls(field, raw)?;
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(InvalidField::too_long(field, max));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_a_control_character_is_refused_naming_its_field() {
        for raw in ["Ana\0Ortega", "\u{1}", "Ana\u{1b}[31m", "a\u{1f}"] {
            let error = required_text("name", raw, 200).unwrap_err();
            assert_eq!(error, InvalidField::control("name"), "{raw:?}");
            assert_eq!(error.message, CONTROL_MESSAGE);
            assert!(optional_text("comment", raw, 200).is_err(), "{raw:?}");
        }
        assert_eq!(
            optional_text("comment", "One\r\n\tTwo", 200).unwrap(),
            "One\r\n\tTwo"
        );
    }
}
