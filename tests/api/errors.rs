//! Every refusal is an RFC 7807 problem with the status the contract names, and no
//! junk a client sends makes the server fail.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{id_of, meeting, spawn_app, with};

#[tokio::test]
async fn an_unknown_route_is_a_not_found_problem() {
    let app = spawn_app().await;

    app.get_public("/api/v1/no-such-thing")
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn an_unknown_route_outside_the_api_is_not_found() {
    let app = spawn_app().await;

    let reply = app.get_public("/no/such/page").await;

    reply.expect(404);
}

#[tokio::test]
async fn a_request_without_a_token_is_unauthorized() {
    let app = spawn_app().await;

    app.send(Method::GET, "/api/v1/me", None, None, None)
        .await
        .expect_problem(401);
    app.send(
        Method::POST,
        "/api/v1/events",
        None,
        Some(&meeting("Meeting")),
        None,
    )
    .await
    .expect_problem(401);
}

#[tokio::test]
async fn a_request_with_a_made_up_token_is_unauthorized() {
    let app = spawn_app().await;

    app.get("/api/v1/me", "not-a-real-token")
        .await
        .expect_problem(401);
    app.get("/api/v1/events", "").await.expect_problem(401);
}

#[tokio::test]
async fn a_token_sent_without_the_bearer_scheme_is_unauthorized() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let response = app
        .client
        .get(app.url("/api/v1/me"))
        .header("Authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.send_raw(
        Method::POST,
        "/api/v1/events",
        Some(&token),
        "application/json",
        "{\"title\": ",
    )
    .await
    .expect_problem(400);
}

#[tokio::test]
async fn an_unknown_field_is_refused_not_dropped() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(meeting("Meeting"), json!({ "titel": "Typo" })),
    )
    .await
    .expect_problem(422);
    assert!(app.organiser_events(&token, "").await.is_empty());
}

#[tokio::test]
async fn an_unknown_field_in_a_patch_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = app.create_event(&token, meeting("Meeting")).await;

    app.patch_event(&token, id_of(&event), json!({ "titel": "Typo" }))
        .await
        .expect_problem(422);
}

#[tokio::test]
async fn an_unknown_field_in_a_campaign_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/campaigns",
        &token,
        &json!({ "title": "Solidarity", "goal": 10 }),
    )
    .await
    .expect_problem(422);
}

#[tokio::test]
async fn an_unknown_field_in_a_login_is_refused() {
    let app = spawn_app().await;

    app.send(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(&json!({ "email": "a@example.org", "password": "correct horse battery", "remember": true })),
        None,
    )
    .await
    .expect_problem(422);
}

#[tokio::test]
async fn an_unknown_kind_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(meeting("Meeting"), json!({ "kind": "rave" })),
    )
    .await
    .expect_problem(422);
}

#[tokio::test]
async fn a_missing_title_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let mut body = meeting("Meeting");
    body.as_object_mut().unwrap().remove("title");

    app.post_json("/api/v1/events", &token, &body)
        .await
        .expect_problem(422);
}

#[tokio::test]
async fn a_title_of_the_wrong_type_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(meeting("Meeting"), json!({ "title": 42 })),
    )
    .await
    .expect_problem_among(&[400, 422]);
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    for body in [json!([1, 2, 3]), json!("meeting"), json!(null), json!(7)] {
        app.post_json("/api/v1/events", &token, &body)
            .await
            .expect_problem_among(&[400, 422]);
    }
}

#[tokio::test]
async fn an_empty_body_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.send_raw(
        Method::POST,
        "/api/v1/events",
        Some(&token),
        "application/json",
        "",
    )
    .await
    .expect_problem_among(&[400, 422]);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.send_raw(
        Method::POST,
        "/api/v1/events",
        Some(&token),
        "text/plain",
        "a meeting, please",
    )
    .await
    .expect_problem_among(&[400, 415, 422]);
}

#[tokio::test]
async fn a_huge_capacity_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    for capacity in [
        json!(99_999_999_999_999_999_999.0),
        json!(9_223_372_036_854_775_807_i64),
        json!(u64::MAX),
    ] {
        app.post_json(
            "/api/v1/events",
            &token,
            &with(meeting("Meeting"), json!({ "capacity": capacity })),
        )
        .await
        .expect_problem_among(&[400, 422]);
    }
}

#[tokio::test]
async fn a_negative_capacity_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(meeting("Meeting"), json!({ "capacity": -1 })),
    )
    .await
    .expect_invalid("capacity");
}

#[tokio::test]
async fn a_year_far_beyond_the_calendar_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(
            meeting("Meeting"),
            json!({ "starts_at": "99999-01-01T10:00", "ends_at": "99999-01-01T12:00" }),
        ),
    )
    .await
    .expect_problem(422);
}

#[tokio::test]
async fn a_country_that_is_not_iso_3166_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(
            meeting("Meeting"),
            json!({ "location": { "locality": "Caracas", "country": "Venezuela" } }),
        ),
    )
    .await
    .expect_problem(422);
}

#[tokio::test]
async fn an_enormous_title_does_not_break_the_server() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let reply = app
        .post_json(
            "/api/v1/events",
            &token,
            &with(meeting("Meeting"), json!({ "title": "x".repeat(200_000) })),
        )
        .await;

    assert!(
        reply.status.as_u16() < 500,
        "{}: {}",
        reply.status,
        reply.text
    );
}

#[tokio::test]
async fn an_event_id_that_is_not_a_uuid_is_not_found() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    for path in [
        "/api/v1/events/not-a-uuid",
        "/api/v1/events/12345",
        "/api/v1/events/%00%ff",
        "/api/v1/campaigns/not-a-uuid",
    ] {
        app.get(path, &token)
            .await
            .expect_problem_among(&[400, 404, 422]);
    }
    app.patch_event(&token, "not-a-uuid", json!({ "title": "x" }))
        .await
        .expect_problem_among(&[400, 404, 422]);
    app.delete("/api/v1/events/not-a-uuid", &token)
        .await
        .expect_problem_among(&[400, 404, 422]);
    app.post_json("/api/v1/events/not-a-uuid/publish", &token, &json!({}))
        .await
        .expect_problem_among(&[400, 404, 422]);
    for path in [
        "/api/v1/public/events/%F0%9F%98%80",
        "/api/v1/public/events/..%2F..%2Fetc",
        "/api/v1/public/campaigns/%20",
    ] {
        app.get_public(path)
            .await
            .expect_problem_among(&[400, 404, 422]);
    }
}

#[tokio::test]
async fn junk_in_the_public_list_query_is_refused() {
    let app = spawn_app().await;

    for query in [
        "?limit=abc",
        "?limit=-1",
        "?limit=99999999999999999999999",
        "?from=yesterday",
        "?to=2038-13-45T99:00:00Z",
        "?cursor=%00garbage",
        "?cursor=bm90LWEtY3Vyc29y",
        "?kind=rave",
    ] {
        let reply = app
            .get_public(&format!("/api/v1/public/events{query}"))
            .await;
        reply.expect_problem_among(&[400, 422]);
    }
}

#[tokio::test]
async fn a_method_the_route_does_not_have_is_refused_as_a_problem() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.send(
        Method::PUT,
        "/api/v1/events",
        Some(&token),
        Some(&meeting("Meeting")),
        None,
    )
    .await
    .expect_problem_among(&[404, 405]);
}

#[tokio::test]
async fn a_parent_id_of_the_wrong_shape_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(meeting("Meeting"), json!({ "parent_id": 12 })),
    )
    .await
    .expect_problem_among(&[400, 422]);
}
