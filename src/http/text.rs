//! A JSON string that is a string: poem-openapi's `String` also takes numbers and
//! booleans (`"title": 42` would become "42"), which hides a client's mistake. Nor
//! does it hold control characters (`"\u0000"`), which PostgreSQL cannot store.

use std::ops::Deref;

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON},
};
use serde_json::Value;

/// A string field of a request body; anything but a JSON string is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        t.0
    }
}

/// `poem_openapi`'s `Type` for a wire type of our own that is one value (neither a list
/// nor optional): only its name in the document, its schema and any further items
/// differ from one such type to the next.
macro_rules! one_value_type {
    ($ty:ty, $name:expr, $schema:expr $(, $($more:tt)*)?) => {
        impl poem_openapi::types::Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                $schema
            }

            fn as_raw_value(&self) -> Option<&Self> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
                Box::new(std::iter::once(self))
            }

            $($($more)*)?
        }
    };
}
pub(crate) use one_value_type;

one_value_type!(
    Text,
    "string",
    MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
);

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            // `"\u0000"` is valid JSON; no field of ours wants it (see
            // `domain::is_refused_control`), so it is refused here, for every field.
            Value::String(s) if s.chars().any(crate::domain::is_refused_control) => Err(
                ParseError::custom(format!("a string {}", crate::domain::CONTROL_MESSAGE)),
            ),
            Value::String(s) => Ok(Self(s)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}
