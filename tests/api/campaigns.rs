//! Campaigns: what organisers start, name and archive, and what the public sees.

use serde_json::json;

use crate::helpers::{id_of, items, meeting, spawn_app, titles, with};

#[tokio::test]
async fn a_new_campaign_belongs_to_the_organisers_organisation_and_is_active() {
    let app = spawn_app().await;
    let token = app.owner_of("hands-off-venezuela").await;

    let reply = app
        .post_json(
            "/api/v1/campaigns",
            &token,
            &json!({ "title": "Hands off Venezuela", "description": "Against sanctions." }),
        )
        .await;

    let campaign = reply.expect(201);
    assert!(campaign["id"].is_string());
    assert_eq!(campaign["organisation"], "hands-off-venezuela");
    assert_eq!(campaign["title"], "Hands off Venezuela");
    assert_eq!(campaign["description"], "Against sanctions.");
    assert_eq!(campaign["status"], "active");
    assert_eq!(campaign["slug"], "hands-off-venezuela");
}

#[tokio::test]
async fn a_campaign_can_be_read_back_by_its_id() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let campaign = app
        .create_campaign(&token, json!({ "title": "Solidarity" }))
        .await;

    let reply = app
        .get(&format!("/api/v1/campaigns/{}", id_of(&campaign)), &token)
        .await;

    assert_eq!(reply.expect(200), &campaign);
}

#[tokio::test]
async fn patching_a_campaign_changes_only_what_is_given() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let campaign = app
        .create_campaign(
            &token,
            json!({ "title": "Solidarity", "description": "Why we organise." }),
        )
        .await;

    let reply = app
        .patch_json(
            &format!("/api/v1/campaigns/{}", id_of(&campaign)),
            &token,
            &json!({ "title": "Solidarity now" }),
        )
        .await;

    let patched = reply.expect(200);
    assert_eq!(patched["title"], "Solidarity now");
    assert_eq!(patched["description"], "Why we organise.");
    assert_eq!(patched["slug"], campaign["slug"]);
}

#[tokio::test]
async fn a_campaign_can_be_archived() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let campaign = app
        .create_campaign(&token, json!({ "title": "Solidarity" }))
        .await;

    let reply = app
        .patch_json(
            &format!("/api/v1/campaigns/{}", id_of(&campaign)),
            &token,
            &json!({ "status": "archived" }),
        )
        .await;

    assert_eq!(reply.expect(200)["status"], "archived");
}

#[tokio::test]
async fn an_unknown_campaign_status_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let campaign = app
        .create_campaign(&token, json!({ "title": "Solidarity" }))
        .await;

    app.patch_json(
        &format!("/api/v1/campaigns/{}", id_of(&campaign)),
        &token,
        &json!({ "status": "paused" }),
    )
    .await
    .expect_problem(422);
}

#[tokio::test]
async fn the_campaign_list_shows_only_your_own_organisations_campaigns() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    app.create_campaign(&circle, json!({ "title": "Circle's campaign" }))
        .await;
    app.create_campaign(&quebec, json!({ "title": "Quebec's campaign" }))
        .await;

    let reply = app.get("/api/v1/campaigns", &circle).await;

    assert_eq!(titles(&items(reply.expect(200))), ["Circle's campaign"]);
}

#[tokio::test]
async fn another_organisations_campaign_cannot_be_read() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let campaign = app
        .create_campaign(&circle, json!({ "title": "Circle's campaign" }))
        .await;

    app.get(&format!("/api/v1/campaigns/{}", id_of(&campaign)), &quebec)
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn another_organisations_campaign_cannot_be_changed() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let campaign = app
        .create_campaign(&circle, json!({ "title": "Circle's campaign" }))
        .await;

    app.patch_json(
        &format!("/api/v1/campaigns/{}", id_of(&campaign)),
        &quebec,
        &json!({ "title": "Taken over" }),
    )
    .await
    .expect_problem(403);
    let unchanged = app
        .get(&format!("/api/v1/campaigns/{}", id_of(&campaign)), &circle)
        .await;
    assert_eq!(unchanged.expect(200)["title"], "Circle's campaign");
}

#[tokio::test]
async fn a_campaign_slug_is_the_ascii_form_of_its_title() {
    let app = spawn_app().await;
    let token = app.owner_of("quebec").await;

    let campaign = app
        .create_campaign(&token, json!({ "title": "Société Bolivarienne du Québec" }))
        .await;

    let slug = campaign["slug"].as_str().unwrap();
    assert!(slug.starts_with("societe-bolivarienne"), "{slug}");
    assert!(slug.is_ascii(), "{slug}");
}

#[tokio::test]
async fn two_campaigns_with_the_same_title_get_different_slugs() {
    let app = spawn_app().await;
    let token = app.owner_of("quebec").await;
    let body = json!({ "title": "Société Bolivarienne du Québec" });

    let first = app.create_campaign(&token, body.clone()).await;
    let second = app.create_campaign(&token, body).await;

    assert_ne!(first["slug"], second["slug"]);
}

#[tokio::test]
async fn an_explicit_campaign_slug_is_kept() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let campaign = app
        .create_campaign(
            &token,
            json!({ "title": "Solidarity", "slug": "solidarity-2038" }),
        )
        .await;

    assert_eq!(campaign["slug"], "solidarity-2038");
}

#[tokio::test]
async fn an_explicit_campaign_slug_that_is_taken_is_a_conflict() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    app.create_campaign(
        &circle,
        json!({ "title": "Solidarity", "slug": "solidarity" }),
    )
    .await;

    app.post_json(
        "/api/v1/campaigns",
        &quebec,
        &json!({ "title": "Ours", "slug": "solidarity" }),
    )
    .await
    .expect_problem(409);
}

#[tokio::test]
async fn an_explicit_campaign_slug_that_is_not_a_slug_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/campaigns",
        &token,
        &json!({ "title": "Solidarity", "slug": "Not A Slug!" }),
    )
    .await
    .expect_invalid("slug");
}

#[tokio::test]
async fn a_campaign_without_a_title_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/campaigns",
        &token,
        &json!({ "description": "No title" }),
    )
    .await
    .expect_problem(422);
}

#[tokio::test]
async fn the_public_campaign_page_shows_its_published_events_and_not_its_drafts() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let campaign = app
        .create_campaign(
            &token,
            json!({ "title": "Solidarity", "slug": "solidarity" }),
        )
        .await;
    app.published_event(
        &token,
        with(
            meeting("Published meeting"),
            json!({ "campaign": "solidarity" }),
        ),
    )
    .await;
    app.create_event(
        &token,
        with(
            meeting("Draft meeting"),
            json!({ "campaign": "solidarity" }),
        ),
    )
    .await;

    let by_slug = app.get_public("/api/v1/public/campaigns/solidarity").await;
    let by_id = app
        .get_public(&format!("/api/v1/public/campaigns/{}", id_of(&campaign)))
        .await;

    let shown = by_slug.expect(200);
    assert_eq!(shown["title"], "Solidarity");
    let events = shown["events"].as_array().expect("the campaign's events");
    assert_eq!(titles(events), ["Published meeting"]);
    assert_eq!(by_id.expect(200)["slug"], "solidarity");
}

#[tokio::test]
async fn an_unknown_public_campaign_is_not_found() {
    let app = spawn_app().await;

    app.get_public("/api/v1/public/campaigns/no-such-campaign")
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn a_new_campaign_with_several_bad_fields_is_told_of_each() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let reply = app
        .post_json(
            "/api/v1/campaigns",
            &token,
            &json!({ "title": " ", "slug": "Not A Slug!", "description": "x".repeat(20_001) }),
        )
        .await;

    reply.expect_problem(422);
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(fields, ["description", "slug", "title"]);
}

#[tokio::test]
async fn a_campaigns_title_cannot_be_cleared_but_its_description_can() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let campaign = app
        .create_campaign(
            &token,
            json!({ "title": "Solidarity", "description": "Why we organise." }),
        )
        .await;
    let path = format!("/api/v1/campaigns/{}", id_of(&campaign));

    let refused = app
        .patch_json(&path, &token, &json!({ "title": null, "slug": null }))
        .await;
    refused.expect_problem(422);
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(fields, ["slug", "title"]);
    assert_eq!(app.get(&path, &token).await.expect(200), &campaign);

    let cleared = app
        .patch_json(&path, &token, &json!({ "description": null }))
        .await;
    let cleared = cleared.expect(200);
    assert_eq!(cleared["description"], "");
    assert_eq!(cleared["title"], "Solidarity");
}
