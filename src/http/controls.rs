//! Control characters in a request's path or query string are refused before any
//! route sees them: `/api/v1/public/events/a%00b` would otherwise reach PostgreSQL,
//! which cannot store or compare NUL, and fail there (a 500) while SQLite answers.

use poem::{Endpoint, IntoResponse, Request, Response, Result, http::StatusCode};

use super::Problem;

/// Answer 400 to a request whose percent-decoded path or query holds a control
/// character that no text may hold (`domain::is_refused_control`).
pub async fn refuse_in_url<E: Endpoint>(endpoint: E, req: Request) -> Result<Response> {
    let uri = req.uri();
    if holds_control(uri.path()) {
        return Ok(refused("path"));
    }
    if uri.query().is_some_and(holds_control) {
        return Ok(refused("query string"));
    }
    endpoint.call(req).await.map(IntoResponse::into_response)
}

fn holds_control(encoded: &str) -> bool {
    percent_encoding::percent_decode_str(encoded)
        .any(|byte| crate::domain::is_refused_control(char::from(byte)))
}

fn refused(part: &str) -> Response {
    Problem::new(
        StatusCode::BAD_REQUEST,
        format!("the {part} must not contain control characters"),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_control_characters_are_found_and_others_are_not() {
        for bad in ["/events/a%00b", "locality=a%00b", "x=%1B", "%01"] {
            assert!(holds_control(bad), "{bad}");
        }
        for fine in [
            "/events/caf%C3%A9",
            "q=a%09b%0A",
            "locality=Montr%C3%A9al",
            "%",
            "%zz",
        ] {
            assert!(!holds_control(fine), "{fine}");
        }
    }
}
