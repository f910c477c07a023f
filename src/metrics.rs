//! `GET /metrics`: what a Prometheus server scrapes. Requests by route and status
//! and their latencies, signatures and RSVPs taken, and the outbox: how many emails
//! wait and how long the oldest has waited.
//!
//! The counters live in one process-wide registry, as a Prometheus client's usually
//! do: each server counts what it served, and Prometheus sums the servers.

use std::sync::LazyLock;
use std::time::Instant;

use poem::{
    Endpoint, IntoResponse, PathPattern, Request, Response, Result, handler, http::StatusCode,
    web::Data,
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

use crate::app::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route's pattern (`/api/v1/public/petitions/:id/signatures`), never the
    /// path itself, so that ids do not make a series each.
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// Every metric this process keeps.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    /// Signatures taken (new ones; repeats of an address are not counted).
    pub signatures: Counter,
    /// RSVPs taken or changed by supporters.
    pub rsvps: Counter,
}

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("turnout");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 1 ms to about 8 s.
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                0.001, 2.0, 14,
            ))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            latency.clone(),
        );
        let signatures = Counter::default();
        registry.register(
            "signatures",
            "Petition signatures taken",
            signatures.clone(),
        );
        let rsvps = Counter::default();
        registry.register("rsvps", "RSVPs taken from supporters", rsvps.clone());
        Self {
            registry,
            requests,
            latency,
            signatures,
            rsvps,
        }
    }

    fn observe(&self, route: &str, method: &str, status: StatusCode, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }
}

/// Who may read the figures: the holder of the token when there is one, else a
/// client on this machine.
fn allowed(req: &Request, token: Option<&str>) -> std::result::Result<(), crate::http::Problem> {
    use sha2::{Digest, Sha256};
    match token {
        Some(token) => {
            let given = req
                .header("authorization")
                .and_then(|h| h.strip_prefix("Bearer "))
                .unwrap_or_default();
            // Compared as digests, so the time taken says nothing about the token.
            if Sha256::digest(given.as_bytes()) == Sha256::digest(token.as_bytes()) {
                Ok(())
            } else {
                Err(crate::http::Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "/metrics needs the bearer token of TURNOUT_METRICS_TOKEN",
                ))
            }
        }
        None if crate::http::client::ClientAddr::of(req).is_some_and(|c| c.0.is_loopback()) => {
            Ok(())
        }
        None => Err(crate::http::Problem::new(
            StatusCode::FORBIDDEN,
            "/metrics answers loopback clients only unless TURNOUT_METRICS_TOKEN is set",
        )),
    }
}

/// Count and time every request, labelled by the route that answered it.
pub async fn measure<E: Endpoint>(endpoint: E, req: Request) -> Result<Response> {
    let started = Instant::now();
    // A label per method anyone can make up would grow the registry without end.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let response = match endpoint.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let route = response
        .data::<PathPattern>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.0.to_string());
    METRICS.observe(
        &route,
        &method,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    Ok(response)
}

/// `GET /metrics`: the Prometheus text format. The outbox figures are read from
/// the database at each scrape (so every server reports the shared outbox) and
/// written beside the registry's, as gauges of this scrape alone.
///
/// With `TURNOUT_METRICS_TOKEN` set it asks for that bearer token; without it, it
/// answers loopback clients only (a Prometheus beside the server), since the
/// figures tell an outsider how a campaign is going.
#[handler]
pub async fn scrape(req: &Request, Data(state): Data<&AppState>) -> Response {
    if let Err(refusal) = allowed(req, state.metrics_token.as_deref()) {
        return refusal.into_response();
    }
    let (pending, oldest) = match crate::email::outbox::backlog(&state.db).await {
        Ok(backlog) => backlog,
        Err(e) => {
            tracing::error!(error = %e, "outbox backlog for /metrics");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let mut body = String::new();
    if let Err(e) = encode(&mut body, &METRICS.registry) {
        tracing::error!(error = %e, "encoding metrics");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let (feeds, filtered_feeds) = state.feeds.held();
    let (petitions, petition_slugs) = state.public_petitions.held();
    let outbox = format!(
        "# HELP turnout_outbox_pending_emails Emails waiting in the outbox (pending or being sent).\n\
         # TYPE turnout_outbox_pending_emails gauge\n\
         turnout_outbox_pending_emails {pending}\n\
         # HELP turnout_outbox_oldest_pending_age_seconds How long the oldest waiting email has waited.\n\
         # TYPE turnout_outbox_oldest_pending_age_seconds gauge\n\
         turnout_outbox_oldest_pending_age_seconds {}\n\
         # HELP turnout_cache_entries What this server's caches hold, current or not.\n\
         # TYPE turnout_cache_entries gauge\n\
         turnout_cache_entries{{cache=\"feeds\"}} {feeds}\n\
         turnout_cache_entries{{cache=\"filtered_feeds\"}} {filtered_feeds}\n\
         turnout_cache_entries{{cache=\"public_petitions\"}} {petitions}\n\
         turnout_cache_entries{{cache=\"petition_slugs\"}} {petition_slugs}\n\
         turnout_cache_entries{{cache=\"rendered_markdown\"}} {}\n",
        oldest.unwrap_or(0),
        crate::pages::markdown::held(),
    );
    // The OpenMetrics encoder ends with `# EOF`; the Prometheus text format has no
    // end marker, so the outbox lines go where it was.
    let body = body.strip_suffix("# EOF\n").unwrap_or(&body).to_owned() + &outbox;
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}
