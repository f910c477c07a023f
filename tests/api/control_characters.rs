//! Control characters (NUL above all) in what a client sends: refused with a clear
//! 4xx on SQLite and PostgreSQL alike, never a 500, and never at the cost of the
//! valid requests written beside them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, id_of, meeting, spawn_app, with};
use crate::pages::submit;

/// An open petition of `hov` that counts signatures at once.
async fn open_petition(app: &TestApp) -> Value {
    let token = app.owner_of("hov").await;
    app.published_petition(
        &token,
        json!({
            "title": "Lift the sanctions on Venezuela",
            "target": "the Foreign Secretary",
            "require_confirmation": false,
            "fields": { "comment": "optional" },
        }),
    )
    .await
}

async fn sign(app: &TestApp, petition: &Value, email: &str, name: &str) -> Reply {
    crate::petitions::sign(app, id_of(petition), email, json!({ "name": name })).await
}

#[tokio::test]
async fn a_nul_in_a_signature_name_is_refused() {
    let app = spawn_app().await;
    let petition = open_petition(&app).await;

    let reply = sign(&app, &petition, "ana@example.org", "Ana\u{0}Ortega").await;

    let problem = reply.expect_problem(422);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("control characters"),
        "{}",
        reply.text
    );
    let count = app
        .get_public(&format!("/api/v1/public/petitions/{}", id_of(&petition)))
        .await;
    assert_eq!(count.expect(200)["signature_count"], 0);
}

#[tokio::test]
async fn a_nul_typed_into_the_petition_pages_form_is_refused_beside_its_field() {
    let app = spawn_app().await;
    let petition = open_petition(&app).await;
    let path = format!("/petitions/{}", petition["slug"].as_str().unwrap());

    for (field, name, comment) in [
        ("name", "Ana\u{0}Ortega", ""),
        ("comment", "Ana Ortega", "Solidarity\u{0}"),
    ] {
        let page = submit(
            &app,
            &path,
            &[
                ("email", "ana@example.org"),
                ("name", name),
                ("comment", comment),
            ],
        )
        .await;

        assert_eq!(page.status, 422, "{field}: {}", page.text);
        assert!(
            page.text.contains("must not contain control characters"),
            "{field}: {}",
            page.text
        );
    }
    let count = app
        .get_public(&format!("/api/v1/public/petitions/{}", id_of(&petition)))
        .await;
    assert_eq!(count.expect(200)["signature_count"], 0);
}

#[tokio::test]
async fn a_nul_in_an_events_text_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;

    app.post_json("/api/v1/events", &token, &meeting("Film\u{0}night"))
        .await
        .expect_problem(422);
    // A field outside the JSON string type's reach is named in `errors`.
    app.post_json(
        "/api/v1/events",
        &token,
        &with(
            meeting("Film night"),
            json!({ "location": { "venue": "Hall\u{0}" } }),
        ),
    )
    .await
    .expect_invalid("location.venue");
    let event = app.create_event(&token, meeting("Film night")).await;
    app.patch_event(&token, id_of(&event), json!({ "summary": "\u{1b}[31m" }))
        .await
        .expect_problem(422);

    assert_eq!(app.event(&token, id_of(&event)).await["summary"], "");
}

#[tokio::test]
async fn a_nul_in_a_path_is_a_bad_request() {
    let app = spawn_app().await;

    for path in [
        "/api/v1/public/events/a%00b",
        "/api/v1/public/petitions/a%00b",
        "/events/a%00b",
        "/events/a%00b.ics",
        "/organisations/a%00b/calendar.ics",
    ] {
        app.get_public(path).await.expect_problem(400);
    }
}

#[tokio::test]
async fn a_nul_in_a_query_is_a_bad_request() {
    let app = spawn_app().await;

    for path in [
        "/api/v1/public/events?locality=a%00b",
        "/api/v1/public/events?organisation=a%00b",
        "/calendar.ics?locality=a%00b",
        "/?lang=a%00b",
    ] {
        app.get_public(path).await.expect_problem(400);
    }
    // Characters text may hold still pass.
    app.get_public("/api/v1/public/events?locality=Montr%C3%A9al")
        .await
        .expect(200);
}

#[tokio::test]
async fn signatures_sent_with_a_nul_one_are_all_counted() {
    let app = spawn_app().await;
    let petition = open_petition(&app).await;
    let addresses: Vec<String> = (0..24).map(|i| format!("signer{i}@example.org")).collect();

    let nul_path = format!("/api/v1/public/petitions/{}/signatures", id_of(&petition));
    let nul_body = json!({
        "email": "nul@example.org",
        "name": "Ana Ortega",
        "comment": "Solidarity\u{0}",
    });

    let (valid, refused) = tokio::join!(
        futures_util::future::join_all(addresses.iter().map(|email| sign(
            &app,
            &petition,
            email,
            "Ana Ortega"
        ))),
        app.send(Method::POST, &nul_path, None, Some(&nul_body), None),
    );

    refused.expect_problem(422);
    for reply in &valid {
        reply.expect(201);
    }
    let count = app
        .get_public(&format!("/api/v1/public/petitions/{}", id_of(&petition)))
        .await;
    assert_eq!(count.expect(200)["signature_count"], 24);
}
