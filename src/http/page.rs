//! List paging: `?limit=` (default 50, at most 200) and an opaque `?cursor=`.

use uuid::Uuid;

use crate::domain::InvalidField;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// A checked page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u64);

impl Limit {
    pub fn parse(raw: Option<u64>) -> Result<Self, InvalidField> {
        match raw {
            None => Ok(Self(DEFAULT_LIMIT)),
            Some(n @ 1..=MAX_LIMIT) => Ok(Self(n)),
            Some(_) => Err(InvalidField::new("limit", "must be from 1 to 200")),
        }
    }

    /// A page size chosen in code: `n`, kept within 1 to 200.
    pub const fn up_to(n: u64) -> Self {
        Self(if n == 0 {
            1
        } else if n > MAX_LIMIT {
            MAX_LIMIT
        } else {
            n
        })
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// The row a `?cursor=` names: a cursor is the id of the last row of a page.
pub fn cursor_id(cursor: Option<&str>) -> Result<Option<Uuid>, InvalidField> {
    cursor
        .map(|c| {
            Uuid::parse_str(c)
                .map_err(|_| InvalidField::new("cursor", "is not a cursor from this list"))
        })
        .transpose()
}

/// Keep `limit` of the rows fetched (one more than a page is fetched to learn whether
/// another page follows) and make the cursor of the next page from the last row kept.
pub fn split_page<T>(
    mut rows: Vec<T>,
    limit: Limit,
    cursor: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as u64 > limit.get();
    rows.truncate(limit.get() as usize);
    let next = if more { rows.last().map(cursor) } else { None };
    (rows, next)
}
