//! `Idempotency-Key`: a retried create answers as the first time and creates nothing new.

use serde_json::json;

use crate::helpers::{items, meeting, spawn_app};

#[tokio::test]
async fn a_retried_event_create_returns_the_first_event() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let body = meeting("Public meeting");

    let first = app
        .post_json_once("/api/v1/events", &token, "key-1", &body)
        .await;
    let again = app
        .post_json_once("/api/v1/events", &token, "key-1", &body)
        .await;

    let first = first.expect(201);
    let again = again.expect(201);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["slug"], first["slug"]);
}

#[tokio::test]
async fn a_retried_event_create_creates_nothing_new() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let body = meeting("Public meeting");

    app.post_json_once("/api/v1/events", &token, "key-1", &body)
        .await
        .expect(201);
    app.post_json_once("/api/v1/events", &token, "key-1", &body)
        .await
        .expect(201);

    assert_eq!(app.organiser_events(&token, "").await.len(), 1);
}

#[tokio::test]
async fn reusing_a_key_for_a_different_body_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json_once(
        "/api/v1/events",
        &token,
        "key-1",
        &meeting("Public meeting"),
    )
    .await
    .expect(201);
    let reply = app
        .post_json_once(
            "/api/v1/events",
            &token,
            "key-1",
            &meeting("Another meeting"),
        )
        .await;

    reply.expect_problem(422);
    assert_eq!(app.organiser_events(&token, "").await.len(), 1);
}

#[tokio::test]
async fn different_keys_create_different_events() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let body = meeting("Public meeting");

    let first = app
        .post_json_once("/api/v1/events", &token, "key-1", &body)
        .await;
    let second = app
        .post_json_once("/api/v1/events", &token, "key-2", &body)
        .await;

    assert_ne!(first.expect(201)["id"], second.expect(201)["id"]);
    assert_eq!(app.organiser_events(&token, "").await.len(), 2);
}

#[tokio::test]
async fn a_retried_campaign_create_returns_the_first_campaign() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let body = json!({ "title": "Solidarity" });

    let first = app
        .post_json_once("/api/v1/campaigns", &token, "campaign-1", &body)
        .await;
    let again = app
        .post_json_once("/api/v1/campaigns", &token, "campaign-1", &body)
        .await;

    assert_eq!(again.expect(201)["id"], first.expect(201)["id"]);
    let listed = app.get("/api/v1/campaigns", &token).await;
    assert_eq!(items(listed.expect(200)).len(), 1);
}

#[tokio::test]
async fn another_organisations_key_is_not_shared() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let body = meeting("Public meeting");

    let circles = app
        .post_json_once("/api/v1/events", &circle, "key-1", &body)
        .await;
    let quebecs = app
        .post_json_once("/api/v1/events", &quebec, "key-1", &body)
        .await;

    assert_ne!(circles.expect(201)["id"], quebecs.expect(201)["id"]);
    assert_eq!(quebecs.body["organisation"], "quebec");
}

#[tokio::test]
async fn a_refused_create_is_refused_again_with_its_key() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let body = json!({ "kind": "public_meeting", "title": "Bad zone", "timezone": "Mars/Olympus",
                       "starts_at": "2027-02-10T19:00", "ends_at": "2027-02-10T21:00" });

    app.post_json_once("/api/v1/events", &token, "key-1", &body)
        .await
        .expect_invalid("timezone");
    app.post_json_once("/api/v1/events", &token, "key-1", &body)
        .await
        .expect_invalid("timezone");

    assert!(app.organiser_events(&token, "").await.is_empty());
}

#[tokio::test]
async fn retries_sent_while_the_first_is_running_wait_for_its_answer() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let body = meeting("Public meeting");

    let replies = futures_util::future::join_all(
        (0..8).map(|_| app.post_json_once("/api/v1/events", &token, "key-1", &body)),
    )
    .await;

    let ids: Vec<_> = replies
        .iter()
        .map(|reply| reply.expect(201)["id"].clone())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(app.organiser_events(&token, "").await.len(), 1);
}
