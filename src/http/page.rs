//! List paging: `?limit=` (default 50, at most 200) and an opaque `?cursor=`.

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromParameter, ParseResult, ToJSON},
};

use super::text::one_value_type;
use crate::domain::InvalidField;

pub use crate::content::{DEFAULT_LIMIT, Limit, MAX_LIMIT};

// `?limit=` as a query parameter: the document shows its bounds and default, and a
// value outside them is refused (422 naming `limit`) before the handler runs.
one_value_type!(
    Limit,
    "integer(limit)",
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        minimum: Some(1.0),
        maximum: Some(MAX_LIMIT as f64),
        default: Some(DEFAULT_LIMIT.into()),
        ..MetaSchema::new_with_format("integer", "uint64")
    }))
);

/// The default a list handler's `#[oai(default)] limit: Query<Limit>` shows.
impl ToJSON for Limit {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(self.get().into())
    }
}

impl ParseFromParameter for Limit {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        let refused = |e: InvalidField| ParseError::custom(e.message);
        let n = value
            .parse::<u64>()
            .map_err(|_| refused(InvalidField::new("limit", "must be from 1 to 200")))?;
        Self::parse(Some(n)).map_err(refused)
    }
}
