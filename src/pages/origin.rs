//! The check that a form was posted from our own pages (CSRF). Public forms carry no
//! session to steal, but a forged post could still RSVP, sign or cancel in a
//! visitor's name from another site. Browsers say where a post comes from (`Origin`
//! on every cross-site POST, `Sec-Fetch-Site`), so a post from another origin is
//! refused; a request with neither header is not a browser's, and anything it could
//! do it could do directly.

use poem::{Endpoint, IntoResponse, Request, Response, Result, http::Method, http::StatusCode};

/// Whether a post is from our own pages: `public_url`'s origin, or the origin of the
/// `Host` it was sent to.
pub fn same_origin(req: &Request, public_url: &str) -> bool {
    if req.header("sec-fetch-site") == Some("cross-site") {
        return false;
    }
    let claimed = req
        .header("origin")
        .filter(|o| *o != "null")
        .map(str::to_owned)
        .or_else(|| req.header("referer").and_then(origin_of));
    let Some(claimed) = claimed else {
        return req.header("origin").is_none();
    };
    let ours = origin_of(public_url);
    let host = req.header("host").map(|h| format!("http://{h}"));
    let host_tls = req.header("host").map(|h| format!("https://{h}"));
    [ours, host, host_tls]
        .into_iter()
        .flatten()
        .any(|o| o.eq_ignore_ascii_case(&claimed))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Refuse page posts from other origins with a 403 before they reach a handler.
pub async fn guard<E: Endpoint>(endpoint: E, req: Request, public_url: &str) -> Result<Response> {
    if req.method() == Method::POST && !same_origin(&req, public_url) {
        return Ok((
            StatusCode::FORBIDDEN,
            poem::web::Html(
                "<!doctype html><html lang=\"en\"><title>Forbidden</title>\
                 <h1>This form was sent from another site</h1>\
                 <p>Please use the form on our own page.</p></html>",
            ),
        )
            .into_response());
    }
    endpoint.call(req).await.map(IntoResponse::into_response)
}
