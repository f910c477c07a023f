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
                       "starts_at": "2038-02-10T19:00", "ends_at": "2038-02-10T21:00" });

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

// --- as an attacker would try them (issue 15) -------------------------------------------

/// A JSON POST from `client` (behind our proxy) with an `Idempotency-Key`.
async fn post_from(
    app: &crate::helpers::TestApp,
    client: &str,
    path: &str,
    key: &str,
    body: &serde_json::Value,
) -> crate::helpers::Reply {
    post_from_with(app, client, path, key, body, &[]).await
}

async fn post_from_with(
    app: &crate::helpers::TestApp,
    client: &str,
    path: &str,
    key: &str,
    body: &serde_json::Value,
    headers: &[(&str, &str)],
) -> crate::helpers::Reply {
    let mut request = app
        .client
        .post(app.url(path))
        .header("X-Forwarded-For", client)
        .header("Idempotency-Key", key)
        .json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    crate::helpers::reply(request).await
}

#[tokio::test]
async fn anonymous_callers_do_not_share_one_space_of_keys() {
    let app = crate::helpers::spawn_app_configured(|config| {
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let token = app.owner_of("circle").await;
    let event = app.published_event(&token, meeting("Public meeting")).await;
    let path = format!(
        "/api/v1/public/events/{}/rsvps",
        crate::helpers::id_of(&event)
    );
    let body = json!({ "email": "ana@example.org", "name": "Ana" });
    let anas = post_from(&app, "203.0.113.7", &path, "rsvp-1", &body).await;
    let manage_url = anas.expect(201)["manage_url"].as_str().unwrap().to_owned();

    let someone_elses = post_from(&app, "198.51.100.9", &path, "rsvp-1", &body).await;

    assert_eq!(someone_elses.expect(202), &json!({ "status": "going" }));
    assert!(
        !someone_elses.text.contains(&manage_url),
        "{}",
        someone_elses.text
    );
    // Ana's own retry still gets her first answer.
    let retried = post_from(&app, "203.0.113.7", &path, "rsvp-1", &body).await;
    assert_eq!(retried.expect(201)["manage_url"], manage_url.as_str());
    // A public endpoint takes no token, so an `Authorization` header (the same junk
    // from two clients, say) joins nobody's space of keys either.
    let junk = [("Authorization", "Bearer x")];
    let first = post_from_with(&app, "203.0.113.20", &path, "rsvp-2", &body, &junk).await;
    assert_eq!(first.expect(202), &json!({ "status": "going" }));
    let other = post_from_with(&app, "198.51.100.20", &path, "rsvp-2", &body, &junk).await;
    assert_eq!(other.expect(202), &json!({ "status": "going" }));
    let bens = json!({ "email": "ben@example.org", "name": "Ben" });
    let ben = post_from_with(&app, "203.0.113.30", &path, "rsvp-3", &bens, &junk).await;
    let bens_url = ben.expect(201)["manage_url"].as_str().unwrap().to_owned();
    let copied = post_from_with(&app, "198.51.100.30", &path, "rsvp-3", &bens, &junk).await;
    assert!(!copied.text.contains(&bens_url), "{}", copied.text);
}

#[tokio::test]
async fn a_rate_limited_answer_is_never_replayed() {
    let app = crate::helpers::spawn_app_with_limits(1, 1000).await;
    let token = app.owner_of("circle").await;
    let petition = app
        .published_petition(
            &token,
            json!({ "title": "Free them", "target": "the consulate" }),
        )
        .await;
    let path = format!(
        "/api/v1/public/petitions/{}/signatures",
        crate::helpers::id_of(&petition)
    );
    app.post_json_once(
        &path,
        "",
        "first",
        &json!({ "email": "a@example.org", "name": "A" }),
    )
    .await
    .expect(202);
    let body = json!({ "email": "b@example.org", "name": "B" });
    app.post_json_once(&path, "", "second", &body)
        .await
        .expect_problem(429);

    let retried = app.post_json_once(&path, "", "second", &body).await;

    retried.expect_problem(429);
    assert!(
        retried.headers.contains_key("retry-after"),
        "{:?}",
        retried.headers
    );
    assert!(
        retried.headers.get("idempotent-replayed").is_none(),
        "a stored 429 was replayed"
    );
}

#[tokio::test]
async fn a_key_is_forgotten_after_a_day() {
    use sea_orm::{EntityTrait, sea_query::Expr};
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.post_json_once("/api/v1/events", &token, "key-1", &meeting("Monday"))
        .await
        .expect(201);
    let db = app.database().await;
    entity::idempotency_key::Entity::update_many()
        .col_expr(
            entity::idempotency_key::Column::CreatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(25)),
        )
        .exec(&db)
        .await
        .unwrap();

    let next_week = app
        .post_json_once("/api/v1/events", &token, "key-1", &meeting("Next Monday"))
        .await;

    assert_eq!(next_week.expect(201)["title"], "Next Monday");
    assert_eq!(app.organiser_events(&token, "").await.len(), 2);
}

#[tokio::test]
async fn the_worker_forgets_keys_older_than_a_day() {
    use entity::idempotency_key::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    for key in ["old", "new"] {
        app.post_json_once("/api/v1/events", &token, key, &meeting(key))
            .await
            .expect(201);
    }
    let db = app.database().await;
    let one = Entity::find().one(&db).await.unwrap().unwrap();
    Entity::update_many()
        .col_expr(
            Column::CreatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(25)),
        )
        .filter(Column::ScopeKey.eq(one.scope_key.clone()))
        .exec(&db)
        .await
        .unwrap();

    // A round run by hand runs every job (a running worker forgets keys at most
    // every ten minutes).
    app.deliver_emails().await;

    let kept = Entity::find().all(&db).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_ne!(
        kept[0].scope_key, one.scope_key,
        "the day-old key is the one gone"
    );
}
