//! Campaigns in the organiser console: the list (active, archived), the form that
//! starts and edits one, archiving and making active again, and each campaign's
//! page with its events, petitions and fundraisers and their figures; roles and
//! other organisations' campaigns.

use serde_json::{Value, json};

use crate::console::{Browser, PASSWORD, error_beside, owner_signed_in};
use crate::helpers::{TestApp, id_of, meeting, spawn_app, with};
use crate::pages::{Page, open_fundraiser, text_of};

async fn campaign(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/campaigns/{id}"), token)
        .await
        .expect(200)
        .clone()
}

/// Start a campaign through the form; its id.
async fn create(browser: &Browser<'_>, title: &str, slug: &str) -> String {
    let made = browser
        .submit(
            "/admin/circle/campaigns/new",
            &[("title", title), ("slug", slug), ("description", "")],
        )
        .await;
    made.expect(303);
    let location = made.location().to_owned();
    assert!(location.ends_with("?saved=1"), "{location}");
    location
        .strip_prefix("/admin/circle/campaigns/")
        .and_then(|rest| rest.split('?').next())
        .unwrap()
        .to_owned()
}

fn listed(page: &Page, status: &str) -> Vec<String> {
    page.all(&format!("#campaigns-{status} li a"))
        .into_iter()
        .map(text_of)
        .collect()
}

#[tokio::test]
async fn a_campaign_is_started_edited_archived_and_made_active_again() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;

    let blank = browser.open("/admin/circle/campaigns/new").await;
    blank.expect_html(200);
    assert_eq!(blank.all("label[for=\"title\"]").len(), 1);
    let id = create(&browser, "Housing for all", "").await;
    let made = campaign(&app, &token, &id).await;
    assert_eq!(made["slug"], "housing-for-all");
    assert_eq!(made["status"], "active");

    let saved = browser
        .submit(
            &format!("/admin/circle/campaigns/{id}"),
            &[
                ("title", "Homes for all"),
                ("slug", "homes"),
                ("description", "A *roof* for everyone."),
            ],
        )
        .await;
    saved.expect(303);
    let page = browser.open(saved.location()).await;
    assert!(page.visible_text().contains("Saved."));
    assert_eq!(page.value_of("slug"), "homes");
    let stored = campaign(&app, &token, &id).await;
    assert_eq!(stored["title"], "Homes for all");
    assert_eq!(stored["description"], "A *roof* for everyone.");

    let list = browser.open("/admin/circle/campaigns").await;
    assert_eq!(listed(&list, "active"), ["Homes for all"]);
    assert!(listed(&list, "archived").is_empty());

    browser
        .submit(&format!("/admin/circle/campaigns/{id}/archive"), &[])
        .await
        .expect(303);
    assert_eq!(campaign(&app, &token, &id).await["status"], "archived");
    let list = browser.open("/admin/circle/campaigns").await;
    assert!(listed(&list, "active").is_empty());
    assert_eq!(listed(&list, "archived"), ["Homes for all"]);

    let again = browser
        .submit(&format!("/admin/circle/campaigns/{id}/activate"), &[])
        .await;
    again.expect(303);
    assert!(
        browser
            .open(again.location())
            .await
            .visible_text()
            .contains("Active again.")
    );
    assert_eq!(campaign(&app, &token, &id).await["status"], "active");
}

#[tokio::test]
async fn a_refused_campaign_names_each_bad_field() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    create(&browser, "Housing", "housing").await;

    let refused = browser
        .submit(
            "/admin/circle/campaigns/new",
            &[
                ("title", ""),
                ("slug", "Not a slug!"),
                ("description", "Kept"),
            ],
        )
        .await;
    refused.expect_html(422);
    error_beside(&refused, "title");
    error_beside(&refused, "slug");
    assert_eq!(refused.value_of("slug"), "Not a slug!");

    let taken = browser
        .submit(
            "/admin/circle/campaigns/new",
            &[("title", "Again"), ("slug", "housing"), ("description", "")],
        )
        .await;
    taken.expect_html(422);
    assert!(error_beside(&taken, "slug").contains("Another page"));

    let id = create(&browser, "Second", "second").await;
    let refused = browser
        .submit(
            &format!("/admin/circle/campaigns/{id}"),
            &[("title", ""), ("slug", "second"), ("description", "")],
        )
        .await;
    refused.expect_html(422);
    error_beside(&refused, "title");
    assert_eq!(campaign(&app, &token, &id).await["title"], "Second");
    let campaigns = app
        .get("/api/v1/campaigns", &token)
        .await
        .expect(200)
        .clone();
    assert_eq!(campaigns["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_campaigns_page_shows_what_gathers_under_it_with_its_figures() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let made = app
        .create_campaign(&token, json!({"title": "Solidarity", "slug": "solidarity"}))
        .await;
    let id = id_of(&made).to_owned();
    let event = app
        .published_event(
            &token,
            with(
                meeting("Assembly"),
                json!({"campaign": "solidarity", "capacity": 40}),
            ),
        )
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    app.create_event(
        &token,
        with(meeting("Draft meeting"), json!({"campaign": "solidarity"})),
    )
    .await;
    app.create_event(&token, meeting("Elsewhere")).await;
    let petition = app
        .published_petition(
            &token,
            json!({"title": "Free them", "target": "The Ministry", "goal": 100,
                   "campaign": "solidarity", "require_confirmation": false}),
        )
        .await;
    app.send(
        reqwest::Method::POST,
        &format!("/api/v1/public/petitions/{}/signatures", id_of(&petition)),
        None,
        Some(&json!({"email": "bo@example.org", "name": "Bo"})),
        None,
    )
    .await;
    let fundraiser = open_fundraiser(&app, &token, json!({"campaign": "solidarity"})).await;
    app.post_json(
        &format!("/api/v1/fundraisers/{}/donations", id_of(&fundraiser)),
        &token,
        &json!({"amount": {"amount": 2500, "currency": "GBP"}, "method": "cash",
                "donor_name": "Cy", "received_at": "2026-12-01T10:00:00Z"}),
    )
    .await
    .expect(201);

    let page = browser.open(&format!("/admin/circle/campaigns/{id}")).await;
    page.expect_html(200);
    let events = text_of(page.one("#campaign-events"));
    assert!(
        events.contains("Assembly") && events.contains("1 / 40"),
        "{events}"
    );
    assert!(events.contains("Draft meeting"), "{events}");
    assert!(!events.contains("Elsewhere"), "{events}");
    let petitions = text_of(page.one("#campaign-petitions"));
    assert!(
        petitions.contains("Free them") && petitions.contains("1 / 100"),
        "{petitions}"
    );
    let fundraisers = text_of(page.one("#campaign-fundraisers"));
    assert!(
        fundraisers.contains("25.00 GBP / 100.00 GBP"),
        "raised of the goal: {fundraisers}"
    );
    assert!(
        page.links_to(|h| h == format!("/admin/circle/petitions/{}", id_of(&petition))),
        "links the petition's page"
    );
}

#[tokio::test]
async fn viewers_read_campaigns_and_other_organisations_campaigns_are_not_found() {
    let app = spawn_app().await;
    let (token, _) = owner_signed_in(&app).await;
    app.member(&token, "circle", "vic@example.org", "viewer")
        .await;
    let viewer = Browser::sign_in(&app, "vic@example.org", PASSWORD).await;
    let ours = id_of(
        &app.create_campaign(&token, json!({"title": "Ours", "slug": "ours"}))
            .await,
    )
    .to_owned();
    let other = app.owner_of("other").await;
    let theirs = id_of(
        &app.create_campaign(&other, json!({"title": "Theirs", "slug": "theirs"}))
            .await,
    )
    .to_owned();

    let list = viewer.open("/admin/circle/campaigns").await;
    list.expect_html(200);
    assert_eq!(listed(&list, "active"), ["Ours"]);
    assert!(!list.links_to(|h| h.ends_with("/campaigns/new")));
    let page = viewer
        .open(&format!("/admin/circle/campaigns/{ours}"))
        .await;
    page.expect_html(200);
    assert!(!page.has_field("title"), "a viewer sees no form");
    viewer
        .open("/admin/circle/campaigns/new")
        .await
        .expect_html(403);
    for path in [
        format!("/admin/circle/campaigns/{ours}"),
        format!("/admin/circle/campaigns/{ours}/archive"),
        "/admin/circle/campaigns/new".to_owned(),
    ] {
        viewer
            .submit(&path, &[("title", "Hijacked"), ("slug", "hijacked")])
            .await
            .expect_html(403);
    }
    let stored = campaign(&app, &token, &ours).await;
    assert_eq!(stored["title"], "Ours");
    assert_eq!(stored["status"], "active");

    for path in [
        format!("/admin/circle/campaigns/{theirs}"),
        format!("/admin/other/campaigns/{theirs}"),
        "/admin/circle/campaigns/nope".to_owned(),
    ] {
        viewer.open(&path).await.expect_html(404);
    }
    let browser = Browser::sign_in(&app, "owner@circle.example.org", PASSWORD).await;
    browser
        .submit(&format!("/admin/circle/campaigns/{theirs}/archive"), &[])
        .await
        .expect_html(404);
    assert_eq!(campaign(&app, &other, &theirs).await["status"], "active");
}
