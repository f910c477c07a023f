//! Liveness, readiness and the API's own description.

use crate::helpers::{reply, spawn_app, spawn_app_configured};

#[tokio::test]
async fn healthz_answers_while_the_process_runs() {
    let app = spawn_app().await;
    app.get_public("/healthz").await.expect(200);
}

#[tokio::test]
async fn readyz_answers_once_the_database_is_migrated() {
    let app = spawn_app().await;
    app.get_public("/readyz").await.expect(200);
}

#[tokio::test]
async fn the_openapi_document_is_openapi_3() {
    let app = spawn_app().await;
    let reply = app.get_public("/api/openapi.json").await;
    let document = reply.expect(200);
    let version = document["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with('3'), "openapi version {version:?}");
}

#[tokio::test]
async fn the_openapi_document_describes_events_campaigns_and_me() {
    let app = spawn_app().await;
    let reply = app.get_public("/api/openapi.json").await;
    let paths: Vec<&String> = reply.expect(200)["paths"]
        .as_object()
        .expect("a paths object")
        .keys()
        .collect();
    for wanted in ["/events", "/public/events/", "/campaigns", "/me"] {
        assert!(
            paths.iter().any(|p| p.contains(wanted)),
            "no path containing {wanted:?} in {paths:?}"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_describes_rsvps_supporters_and_emails() {
    let app = spawn_app().await;
    let reply = app.get_public("/api/openapi.json").await;
    let paths = &reply.expect(200)["paths"];
    for (path, method) in [
        ("/public/events/{id}/rsvps", "post"),
        ("/public/rsvps/{token}", "patch"),
        ("/rsvps/{id}/check-in", "post"),
        ("/supporters/{id}/export", "get"),
        ("/emails", "get"),
    ] {
        assert!(paths[path][method].is_object(), "no {method} {path}");
    }
    // The attendee list answers JSON or CSV: one 200 with both media types.
    let content = &paths["/events/{id}/rsvps"]["get"]["responses"]["200"]["content"];
    let types: Vec<&String> = content.as_object().unwrap().keys().collect();
    assert!(
        types.iter().any(|t| t.starts_with("application/json"))
            && types.iter().any(|t| t.starts_with("text/csv")),
        "{types:?}"
    );
}

#[tokio::test]
async fn the_api_docs_are_an_html_page() {
    let app = spawn_app().await;
    let reply = app.get_public("/api/docs").await;
    reply.expect(200);
    assert!(
        reply.content_type().starts_with("text/html"),
        "{}",
        reply.content_type()
    );
    assert!(
        reply.text.to_lowercase().contains("<html"),
        "{}",
        reply.text
    );
}

/// One sample's value from a Prometheus text body.
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_rsvps_and_the_outbox() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = app
        .event_with_seats(&token, serde_json::json!({ "capacity": 10 }))
        .await;
    let id = event["id"].as_str().unwrap();
    let before = app.get_public("/metrics").await;
    let rsvps_before = sample(&before.text, "turnout_rsvps_total").unwrap_or(0.0);

    app.rsvp(id, "ana@example.org", serde_json::json!({}))
        .await
        .expect(201);
    let metrics = app.get_public("/metrics").await;

    metrics.expect(200);
    assert!(
        metrics
            .content_type()
            .starts_with("text/plain; version=0.0.4"),
        "{}",
        metrics.content_type()
    );
    let body = &metrics.text;
    // The route's pattern, not the event's id: one series per route.
    let series = "turnout_http_requests_total{route=\"/api/v1/public/events/:param0/rsvps\",method=\"POST\",status=\"201\"}";
    assert!(
        sample(body, series).is_some_and(|n| n >= 1.0),
        "no {series} in\n{body}"
    );
    assert!(!body.contains(id), "an id in a label:\n{body}");
    assert!(body.contains("turnout_http_request_duration_seconds_bucket{"));
    // Other tests in this process take RSVPs too: at least ours was counted.
    assert!(sample(body, "turnout_rsvps_total").unwrap_or(0.0) >= rsvps_before + 1.0);
    // The going email waits in this app's outbox until a worker sends it.
    assert_eq!(sample(body, "turnout_outbox_pending_emails"), Some(1.0));
    assert!(sample(body, "turnout_outbox_oldest_pending_age_seconds").is_some());

    app.deliver_emails().await;
    let after = app.get_public("/metrics").await;
    assert_eq!(
        sample(&after.text, "turnout_outbox_pending_emails"),
        Some(0.0)
    );
}

#[tokio::test]
async fn metrics_ask_for_their_token_when_one_is_set() {
    let app = spawn_app_configured(|config| config.metrics_token = Some("scrape-me".into())).await;

    let anonymous = app.get_public("/metrics").await;
    let wrong = app.get("/metrics", "guess").await;
    let right = app.get("/metrics", "scrape-me").await;

    anonymous.expect_problem(401);
    wrong.expect_problem(401);
    right.expect(200);
    assert!(right.text.contains("turnout_outbox_pending_emails"));
}

#[tokio::test]
async fn without_a_token_metrics_answer_only_clients_on_this_machine() {
    let app = spawn_app_configured(|config| {
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;

    let from_afar = reply(
        app.client
            .get(app.url("/metrics"))
            .header("X-Forwarded-For", "203.0.113.7"),
    )
    .await;
    let from_here = app.get_public("/metrics").await;

    from_afar.expect_problem(403);
    from_here.expect(200);
}

#[tokio::test]
async fn made_up_methods_share_one_label() {
    let app = spawn_app().await;
    for i in 0..5 {
        let method = reqwest::Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
        let _ = app.client.request(method, app.url("/healthz")).send().await;
    }

    let metrics = app.get_public("/metrics").await;

    assert!(!metrics.text.contains("BREW"), "{}", metrics.text);
    assert!(
        metrics.text.contains("method=\"other\""),
        "{}",
        metrics.text
    );
}
