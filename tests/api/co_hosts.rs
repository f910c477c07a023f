//! Co-hosting: an organisation is shown as hosting an event, fed it, and given its
//! attendees only once its own organisers accept.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of, items, meeting, spawn_app, with};

/// A published Toronto film night of `lrbc` naming `hov` as a co-host.
async fn film_night_naming_hov(app: &TestApp, lrbc: &str) -> Value {
    app.published_event(
        lrbc,
        with(meeting("Film night"), json!({ "hosts": ["hov"] })),
    )
    .await
}

async fn hov_feed(app: &TestApp) -> String {
    let reply = app.get_public("/organisations/hov/calendar.ics").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.text
}

fn hosts(event: &Value) -> Vec<&str> {
    event["hosts"]
        .as_array()
        .expect("an event with hosts")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[tokio::test]
async fn an_organisation_named_as_co_host_is_shown_nowhere_until_it_accepts() {
    let app = spawn_app().await;
    let lrbc = app.owner_of("lrbc").await;
    let hov = app.owner_of("hov").await;

    let event = film_night_naming_hov(&app, &lrbc).await;

    let public = app
        .get_public(&format!("/api/v1/public/events/{}", id_of(&event)))
        .await;
    assert_eq!(hosts(public.expect(200)), ["lrbc"]);
    assert_eq!(hosts(&event), ["lrbc"]);
    assert_eq!(event["invited_hosts"], json!(["hov"]));
    assert!(
        public.body.get("invited_hosts").is_none(),
        "the public learns nothing of an invitation: {}",
        public.text
    );
    assert!(app.public_titles("?organisation=hov").await.is_empty());
    assert!(!hov_feed(&app).await.contains("SUMMARY:Film night"));

    let accepted = app.accept_hosting(&hov, id_of(&event), "hov").await;

    assert_eq!(hosts(accepted.expect(200)), ["lrbc", "hov"]);
    let public = app
        .get_public(&format!("/api/v1/public/events/{}", id_of(&event)))
        .await;
    assert_eq!(hosts(public.expect(200)), ["lrbc", "hov"]);
    assert_eq!(app.public_titles("?organisation=hov").await, ["Film night"]);
    // The feed was built (and cached) before the answer: accepting rebuilds it.
    assert!(hov_feed(&app).await.contains("SUMMARY:Film night"));
}

#[tokio::test]
async fn an_invited_co_host_sees_no_attendee_until_it_accepts() {
    let app = spawn_app().await;
    let lrbc = app.owner_of("lrbc").await;
    let hov = app.owner_of("hov").await;
    let event = film_night_naming_hov(&app, &lrbc).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let attendees = format!("/api/v1/events/{}/rsvps", id_of(&event));
    let search = |token: String| {
        let app = &app;
        async move {
            items(
                app.get_with_query(
                    "/api/v1/supporters",
                    Some(&token),
                    &[("email", "ana@example.org")],
                )
                .await
                .expect(200),
            )
        }
    };

    app.get(&attendees, &hov).await.expect_problem(403);
    let csv = app.get_accepting(&attendees, &hov, "text/csv").await;
    csv.expect(403);
    assert!(!csv.text.contains("ana@example.org"), "{}", csv.text);
    assert!(search(hov.clone()).await.is_empty());

    app.accept_hosting(&hov, id_of(&event), "hov")
        .await
        .expect(200);

    let seen = app.attendees(&hov, id_of(&event)).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["email"], "ana@example.org");
    assert_eq!(search(hov).await.len(), 1);
}

#[tokio::test]
async fn a_co_host_that_declines_or_leaves_is_dropped_from_the_event() {
    let app = spawn_app().await;
    let lrbc = app.owner_of("lrbc").await;
    let hov = app.owner_of("hov").await;
    let event = film_night_naming_hov(&app, &lrbc).await;
    app.accept_hosting(&hov, id_of(&event), "hov")
        .await
        .expect(200);
    assert!(hov_feed(&app).await.contains("SUMMARY:Film night"));

    app.decline_hosting(&hov, id_of(&event), "hov")
        .await
        .expect(204);

    let seen = app.event(&lrbc, id_of(&event)).await;
    assert_eq!(hosts(&seen), ["lrbc"]);
    assert_eq!(seen["invited_hosts"], json!([]));
    assert!(app.public_titles("?organisation=hov").await.is_empty());
    assert!(!hov_feed(&app).await.contains("SUMMARY:Film night"));
    app.get(&format!("/api/v1/events/{}/rsvps", id_of(&event)), &hov)
        .await
        .expect_problem(403);
    // There is nothing left to answer.
    app.accept_hosting(&hov, id_of(&event), "hov")
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn only_the_co_hosts_own_organisers_may_accept_for_it() {
    let app = spawn_app().await;
    let lrbc = app.owner_of("lrbc").await;
    let hov = app.owner_of("hov").await;
    let hov_viewer = app.member(&hov, "hov", "vera@example.org", "viewer").await;
    let stranger = app.owner_of("sbq").await;
    let event = film_night_naming_hov(&app, &lrbc).await;

    app.accept_hosting(&lrbc, id_of(&event), "hov")
        .await
        .expect_problem(403);
    app.accept_hosting(&hov_viewer, id_of(&event), "hov")
        .await
        .expect_problem(403);
    app.accept_hosting(&stranger, id_of(&event), "hov")
        .await
        .expect_problem(403);
    // An organisation that was never named has no invitation to accept.
    app.accept_hosting(&stranger, id_of(&event), "sbq")
        .await
        .expect_problem(404);

    let public = app
        .get_public(&format!("/api/v1/public/events/{}", id_of(&event)))
        .await;
    assert_eq!(hosts(public.expect(200)), ["lrbc"]);
}

#[tokio::test]
async fn an_organiser_of_both_organisations_co_hosts_at_once() {
    let app = spawn_app().await;
    let lrbc = app.owner_of("lrbc").await;
    let hov = app.owner_of("hov").await;
    // Olga organises both, and names hov on an event of lrbc.
    let both = app
        .member(&lrbc, "lrbc", "olga@example.org", "organiser")
        .await;
    app.invite(&hov, "hov", "olga@example.org", "organiser")
        .await
        .expect(201);

    let event = app
        .published_event(
            &both,
            with(
                meeting("Film night"),
                json!({ "organisation": "lrbc", "hosts": ["hov"] }),
            ),
        )
        .await;

    assert_eq!(hosts(&event), ["lrbc", "hov"]);
    assert_eq!(app.public_titles("?organisation=hov").await, ["Film night"]);
}

#[tokio::test]
async fn a_change_to_the_event_keeps_the_co_hosts_answers() {
    let app = spawn_app().await;
    let lrbc = app.owner_of("lrbc").await;
    let hov = app.owner_of("hov").await;
    app.owner_of("sbq").await;
    let event = app
        .published_event(
            &lrbc,
            with(meeting("Film night"), json!({ "hosts": ["hov", "sbq"] })),
        )
        .await;
    app.accept_hosting(&hov, id_of(&event), "hov")
        .await
        .expect(200);

    let renamed = app
        .patch_event(&lrbc, id_of(&event), json!({ "title": "Film and talk" }))
        .await;
    assert_eq!(hosts(renamed.expect(200)), ["lrbc", "hov"]);
    assert_eq!(renamed.body["invited_hosts"], json!(["sbq"]));

    let reordered = app
        .patch_event(&lrbc, id_of(&event), json!({ "hosts": ["sbq", "hov"] }))
        .await;
    assert_eq!(hosts(reordered.expect(200)), ["lrbc", "hov"]);
    assert_eq!(reordered.body["invited_hosts"], json!(["sbq"]));
}
