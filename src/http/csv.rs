//! CSV cells that a spreadsheet cannot mistake for a formula.

/// One CSV cell, quoted (RFC 4180). A value a spreadsheet would run as a formula
/// (one starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
/// apostrophe, as OWASP advises: a name like `=HYPERLINK(…)` stays a name.
pub fn cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// A CSV document (RFC 4180: quoted cells, CRLF line ends) built row by row: the
/// one writer every export uses, so each guards formulas the same way.
pub struct Sheet(String);

impl Sheet {
    /// A sheet with its header row.
    pub fn new(header: &[&str]) -> Self {
        let mut out = header.join(",");
        out.push_str("\r\n");
        Self(out)
    }

    pub fn row<const N: usize>(&mut self, cells: [&str; N]) {
        self.0.push_str(&cells.map(cell).join(","));
        self.0.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.0
    }
}

/// An answer that is a page as JSON, or every row as CSV when the client sends
/// `Accept: text/csv`. Written out by hand because poem-openapi's derive gives each
/// variant its own entry under one status, which OpenAPI cannot hold; here one
/// `200` lists both media types.
pub enum JsonOrCsv<T> {
    Json(T),
    Csv { body: String, filename: String },
}

impl<T> JsonOrCsv<T> {
    /// Every row as a CSV file named after what it lists and the id or slug the
    /// path gave: `attendees-spring-rally.csv`.
    pub fn csv(what: &str, id: &str, body: String) -> Self {
        let filename = format!("{what}-{}.csv", file_stem(id));
        Self::Csv { body, filename }
    }
}

/// Whether an `Accept` header asks for CSV.
pub fn wants_csv(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.to_ascii_lowercase().contains("text/csv"))
}

/// A file name from an id or slug taken from a path: no quotes or backslashes.
fn file_stem(id: &str) -> String {
    id.replace(['"', '\\'], "")
}

impl<T: poem_openapi::types::ToJSON + Send> poem::IntoResponse for JsonOrCsv<T> {
    fn into_response(self) -> poem::Response {
        match self {
            Self::Json(page) => poem_openapi::payload::Json(page).into_response(),
            Self::Csv { body, filename } => poem::Response::builder()
                .content_type("text/csv; charset=utf-8")
                .header(
                    "Content-Disposition",
                    format!("attachment; filename=\"{filename}\""),
                )
                .body(body),
        }
    }
}

impl<T: poem_openapi::types::ToJSON + Send> poem_openapi::ApiResponse for JsonOrCsv<T> {
    fn meta() -> poem_openapi::registry::MetaResponses {
        use poem_openapi::{
            payload::{Json, Payload, PlainText},
            registry::{MetaMediaType, MetaResponse, MetaResponses},
        };
        MetaResponses {
            responses: vec![MetaResponse {
                description: "A page as JSON; every row as CSV when asked for with \
                              `Accept: text/csv`.",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: <Json<T> as Payload>::schema_ref(),
                    },
                    MetaMediaType {
                        content_type: "text/csv; charset=utf-8",
                        schema: <PlainText<String> as Payload>::schema_ref(),
                    },
                ],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        use poem_openapi::payload::{Json, Payload};
        <Json<T> as Payload>::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_are_defused_and_quotes_doubled() {
        assert_eq!(cell("Ana"), "\"Ana\"");
        assert_eq!(cell("=1+1"), "\"'=1+1\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("-2"), "\"'-2\"");
        assert_eq!(cell("say \"hi\", ok"), "\"say \"\"hi\"\", ok\"");
    }
}
