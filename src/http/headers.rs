//! What every answer tells a browser about itself: never guess its type
//! (`nosniff`), and, for HTML, never show it inside another site's frame. A page
//! of ours sets its own, narrower `Content-Security-Policy` ([`page_policy`]);
//! other HTML (the API's viewer at `/api/docs`, which runs its own inline scripts)
//! only gets the framing rule.

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, header},
};

/// The policy of an HTML answer that set none: no framing, nothing else narrowed.
const FRAMING_ONLY: &str = "frame-ancestors 'none'";

/// The policy of our own pages: no script runs (the JSON-LD of event pages is a
/// data block, which no policy blocks), styles and everything else from this site
/// alone, images also from any https site (organisers' Markdown may show a
/// poster), forms post only here, nothing frames the page, and no `<base>` can
/// move its links.
pub fn page_policy(policy: PagePolicy) -> &'static str {
    match policy {
        PagePolicy::Site => {
            "default-src 'self'; script-src 'none'; object-src 'none'; \
             img-src 'self' https:; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'"
        }
        // The donate form is answered with a redirect to Stripe Checkout, and
        // browsers hold a form's redirects to `form-action` too.
        PagePolicy::SiteThenPayments => {
            "default-src 'self'; script-src 'none'; object-src 'none'; \
             img-src 'self' https:; form-action 'self' https:; frame-ancestors 'none'; \
             base-uri 'none'"
        }
        // A console page that a script of ours enhances (search as you type at the
        // door): only scripts served from this site, never inline ones.
        PagePolicy::SiteWithOwnScript => {
            "default-src 'self'; script-src 'self'; object-src 'none'; \
             img-src 'self' https:; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'"
        }
    }
}

/// What a page may do beyond showing itself: where its forms may lead, whether a
/// script of ours runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagePolicy {
    /// Forms post only to this site; no script.
    Site,
    /// Forms post to this site, which may send the browser on to a payment
    /// provider (https); no script.
    SiteThenPayments,
    /// Forms post only to this site; scripts served by this site run.
    SiteWithOwnScript,
}

/// Add `X-Content-Type-Options: nosniff` to every answer, and to HTML that set no
/// policy of its own `Content-Security-Policy: frame-ancestors 'none'` and
/// `X-Frame-Options: DENY` (for browsers that predate `frame-ancestors`). Errors
/// are answered here, so they carry the headers too.
pub async fn protect<E: Endpoint>(endpoint: E, req: Request) -> Result<Response> {
    let mut response = match endpoint.call(req).await {
        Ok(answer) => answer.into_response(),
        Err(error) => error.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html {
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(FRAMING_ONLY),
            );
        }
        if !headers.contains_key(header::X_FRAME_OPTIONS) {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
    }
    Ok(response)
}
