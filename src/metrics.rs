//! What a Prometheus server scrapes from `GET /metrics` (see `system::metrics`):
//! requests by route and status and their latencies, signatures and RSVPs taken.
//!
//! The counters live in one process-wide registry, as a Prometheus client's usually
//! do: each server counts what it served, and Prometheus sums the servers.

use std::sync::LazyLock;
use std::time::Instant;

use poem::{Endpoint, IntoResponse, PathPattern, Request, Response, Result, http::StatusCode};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

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

    /// Every figure, in the OpenMetrics text format.
    pub fn encode(&self, out: &mut String) -> std::fmt::Result {
        encode(out, &self.registry)
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
