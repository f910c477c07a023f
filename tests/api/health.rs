//! Liveness, readiness and the API's own description.

use crate::helpers::spawn_app;

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
