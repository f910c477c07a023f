//! Value types parsed once at the edge: once built, they hold only valid values.

mod country;
mod email;
mod event_times;
mod language;
mod locale;
mod money;
mod slug;
mod timezone;

pub use country::Country;
pub use email::Email;
pub use event_times::{EventTimes, Schedule};
pub use language::Language;
pub use locale::Locale;
pub use money::{Currency, Money, decimal_text};
pub use slug::Slug;
pub use timezone::TimeZone;

/// One field that failed to parse: an entry of a 422 problem's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidField {
    pub field: String,
    pub message: String,
}

impl InvalidField {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
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

/// Trim a required text field and check its length in characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, InvalidField> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(InvalidField::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// As `required_text`, for a field that may be left empty.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<String, InvalidField> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(InvalidField::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(text.to_owned())
}
