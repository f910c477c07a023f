//! Supporters in the console (`/admin/{org}/supporters`): search by name or address
//! among this organisation's supporters only, a supporter's record, their data as a
//! file, erasure after typing their address; viewers refused, other organisations'
//! supporters not found.

use chrono::Utc;
use serde_json::{Value, json};

use crate::console::{Browser, PASSWORD, error_beside};
use crate::console_stats::{caracas_owner, event, fundraiser, gift, petition, signed_at};
use crate::helpers::{TestApp, id_of, items, spawn_app};
use crate::pages::{Page, text_of};

/// `circle` and `other`, and their supporters:
/// - circle: Ana Ortega (RSVP), Émile Zola (RSVP), Ben (signature), Carla (gift);
/// - other: Dora (signature), and Ana, who signed its petition as "Zelda Hidden".
struct Seeded {
    circle: String,
    other: String,
    event: Value,
}

async fn seeded(app: &TestApp) -> (Seeded, Browser<'_>) {
    let (circle, browser) = caracas_owner(app).await;
    let other = app.owner_of("other").await;
    let event = event(app, &circle, "Assembly", 40).await;
    app.rsvp(
        id_of(&event),
        "ana@example.org",
        json!({ "name": "Ana Ortega", "guests": 1 }),
    )
    .await
    .expect(201);
    app.rsvp(
        id_of(&event),
        "emile@example.org",
        json!({ "name": "Émile Zola" }),
    )
    .await
    .expect(201);
    let ours = petition(app, &circle, "Save the library").await;
    signed_at(app, &ours, "ben@example.org", "Ben Okafor", Utc::now()).await;
    let appeal = fundraiser(app, &circle, "Bus fares").await;
    gift(
        app,
        &circle,
        &appeal,
        1250,
        "GBP",
        Utc::now(),
        json!({ "donor_name": "Carla Núñez", "donor_email": "carla@example.org" }),
    )
    .await;
    let theirs = petition(app, &other, "Their petition").await;
    signed_at(app, &theirs, "dora@example.org", "Dora", Utc::now()).await;
    signed_at(app, &theirs, "ana@example.org", "Zelda Hidden", Utc::now()).await;
    (
        Seeded {
            circle,
            other,
            event,
        },
        browser,
    )
}

/// A supporter's id, as an organisation's API token sees them.
async fn supporter_id(app: &TestApp, token: &str, email: &str) -> String {
    let found = app
        .get(&format!("/api/v1/supporters?email={email}"), token)
        .await;
    items(found.expect(200))
        .first()
        .and_then(|s| s["id"].as_str())
        .unwrap_or_else(|| panic!("no supporter {email}: {}", found.text))
        .to_owned()
}

/// The addresses the search lists, in order.
fn listed(page: &Page) -> Vec<String> {
    page.all("table#supporters tbody tr td:nth-child(2)")
        .into_iter()
        .map(text_of)
        .collect()
}

async fn search(browser: &Browser<'_>, q: &str) -> Page {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", q)
        .finish();
    browser
        .open(&format!("/admin/circle/supporters?{query}"))
        .await
}

#[tokio::test]
async fn supporters_are_found_by_name_or_address_among_the_organisations_own() {
    let app = spawn_app().await;
    let (_, browser) = seeded(&app).await;

    let all = browser.open("/admin/circle/supporters").await;
    all.expect_html(200);
    assert_eq!(all.one("form[role=search]").attr("method"), Some("get"));
    assert_eq!(all.field("q").attr("type"), Some("search"));
    // Newest first; Dora acted for another organisation only.
    assert_eq!(
        listed(&all),
        vec![
            "carla@example.org",
            "ben@example.org",
            "emile@example.org",
            "ana@example.org"
        ]
    );
    assert!(all.visible_text().contains("Ana Ortega"));

    for (q, expected) in [
        ("ANA", vec!["ana@example.org"]),
        ("ortega", vec!["ana@example.org"]),
        ("Émile", vec!["emile@example.org"]),
        ("mile", vec!["emile@example.org"]),
        ("okafor", vec!["ben@example.org"]),
        ("Núñez", vec!["carla@example.org"]),
        ("Ben@Example.org", vec!["ben@example.org"]),
        ("carla@", vec!["carla@example.org"]),
        // Another organisation's supporter, and a name given only to it.
        ("dora", vec![]),
        ("Zelda", vec![]),
        // LIKE's wildcards are only characters here.
        ("%", vec![]),
        ("_", vec![]),
    ] {
        let page = search(&browser, q).await;
        page.expect_html(200);
        assert_eq!(listed(&page), expected, "searching {q:?}");
        assert_eq!(page.value_of("q"), q, "the search as typed");
        if expected.is_empty() {
            assert!(
                page.one("#no-supporters")
                    .text()
                    .any(|t| t.contains("Nobody matches")),
                "{}",
                page.text
            );
        }
    }

    // A search too long for anyone's name: said beside the field.
    let long = search(&browser, &"a".repeat(201)).await;
    long.expect_html(422);
    assert!(error_beside(&long, "q").contains("200"), "{}", long.text);
}

#[tokio::test]
async fn the_search_goes_a_page_at_a_time() {
    let app = spawn_app().await;
    let (circle, browser) = caracas_owner(&app).await;
    let ours = petition(&app, &circle, "Save the library").await;
    for n in 0..52 {
        let email = format!("signer{n}@example.org");
        crate::petitions::sign(&app, id_of(&ours), &email, json!({}))
            .await
            .expect(201);
    }
    let first = search(&browser, "signer").await;
    first.expect_html(200);
    assert_eq!(listed(&first).len(), 50);
    let more = first
        .one("a[href*=\"cursor=\"]")
        .attr("href")
        .unwrap()
        .to_owned();
    assert!(more.contains("q=signer"), "{more}");
    let second = browser.open(&more).await;
    second.expect_html(200);
    assert_eq!(
        listed(&second),
        vec!["signer1@example.org", "signer0@example.org"]
    );
    assert!(second.first("a[href*=\"cursor=\"]").is_none());
}

#[tokio::test]
async fn a_supporters_record_shows_what_they_did_with_this_organisation_only() {
    let app = spawn_app().await;
    let (seeded, browser) = seeded(&app).await;
    let ana = supporter_id(&app, &seeded.circle, "ana@example.org").await;

    let page = browser
        .open(&format!("/admin/circle/supporters/{ana}"))
        .await;
    page.expect_html(200);
    assert_eq!(page.h1(), "Ana Ortega");
    assert_eq!(
        page.one("#email").text().collect::<String>(),
        "ana@example.org"
    );
    let rsvps = text_of(page.one("#rsvps"));
    assert!(
        rsvps.contains("Assembly") && rsvps.contains("Going") && rsvps.contains("1 guest"),
        "{rsvps}"
    );
    assert!(page.links_to(|href| href == format!("/admin/circle/events/{}", id_of(&seeded.event))));
    assert_eq!(text_of(page.one("#consent")), "No");
    // What she told another organisation is not this one's to see.
    assert!(!page.text.contains("Zelda"), "{}", page.text);
    assert!(!page.text.contains("Their petition"));
    assert!(page.links_to(|href| href == format!("/admin/circle/supporters/{ana}/export")));

    let carla = supporter_id(&app, &seeded.circle, "carla@example.org").await;
    let given = browser
        .open(&format!("/admin/circle/supporters/{carla}"))
        .await;
    given.expect_html(200);
    let gifts = text_of(given.one("#donations"));
    assert!(
        gifts.contains("Bus fares: 12.50 GBP") && gifts.contains("received"),
        "{gifts}"
    );

    // Another organisation's supporter, and no supporter at all: not found.
    let dora = supporter_id(&app, &seeded.other, "dora@example.org").await;
    browser
        .open(&format!("/admin/circle/supporters/{dora}"))
        .await
        .expect_html(404);
    browser
        .open(&format!("/admin/circle/supporters/{dora}/export"))
        .await
        .expect_html(404);
    browser
        .open("/admin/circle/supporters/not-an-id")
        .await
        .expect_html(404);
    // Nor through an organisation they do not belong to.
    browser
        .open(&format!("/admin/other/supporters/{ana}"))
        .await
        .expect_html(404);
}

#[tokio::test]
async fn a_supporters_data_downloads_as_the_apis_export() {
    let app = spawn_app().await;
    let (seeded, browser) = seeded(&app).await;
    let ana = supporter_id(&app, &seeded.circle, "ana@example.org").await;

    let file = browser
        .open(&format!("/admin/circle/supporters/{ana}/export"))
        .await;
    file.expect(200);
    assert!(file.content_type().starts_with("application/json"));
    assert_eq!(
        file.header("content-disposition"),
        Some(format!("attachment; filename=\"supporter-{ana}.json\"").as_str())
    );
    let body: Value = serde_json::from_str(&file.text).unwrap();
    assert_eq!(body["email"], "ana@example.org");
    assert_eq!(body["name"], "Ana Ortega");
    assert_eq!(body["rsvps"].as_array().unwrap().len(), 1);
    assert_eq!(body["rsvps"][0]["event_title"], "Assembly");
    // Only this organisation's: not her signature on the other's petition.
    assert_eq!(body["signatures"], json!([]));
    assert!(body["exported_at"].is_string());
}

#[tokio::test]
async fn erasing_asks_for_the_address_then_erases_as_the_api_does() {
    let app = spawn_app().await;
    let (seeded, browser) = seeded(&app).await;
    let ana = supporter_id(&app, &seeded.circle, "ana@example.org").await;
    let path = format!("/admin/circle/supporters/{ana}/erase");

    let confirm = browser.open(&path).await;
    confirm.expect_html(200);
    assert!(confirm.has_field("email"));
    assert!(
        confirm
            .visible_text()
            .contains("1 RSVPs, 0 signatures and 0 gifts"),
        "{}",
        confirm.text
    );

    // The wrong address: the form again, the reason beside the field, nothing erased.
    let wrong = browser.submit(&path, &[("email", "ben@example.org")]).await;
    wrong.expect_html(422);
    assert!(error_beside(&wrong, "email").contains("not their address"));
    assert_eq!(wrong.value_of("email"), "ben@example.org");
    let empty = browser.submit(&path, &[]).await;
    empty.expect_html(422);
    assert!(error_beside(&empty, "email").contains("not their address"));
    assert_eq!(
        supporter_id(&app, &seeded.circle, "ana@example.org").await,
        ana
    );

    // Typed as she wrote it, in any case: erased.
    let done = browser
        .submit(&path, &[("email", " ANA@example.org ")])
        .await;
    done.expect(303);
    assert_eq!(done.location(), "/admin/circle/supporters?erased=1");
    let list = browser.open(done.location()).await;
    list.expect_html(200);
    assert!(
        list.one("[role=status]")
            .text()
            .any(|t| t.contains("Erased"))
    );
    assert!(!listed(&list).contains(&"ana@example.org".to_owned()));
    browser
        .open(&format!("/admin/circle/supporters/{ana}"))
        .await
        .expect_html(404);
    let api = app
        .get("/api/v1/supporters?email=ana@example.org", &seeded.circle)
        .await;
    assert!(items(api.expect(200)).is_empty());
    // Her seat stays, anonymous.
    let event = app.event(&seeded.circle, id_of(&seeded.event)).await;
    assert_eq!(event["going_count"], 3, "{event}");
    // What she gave the other organisation is theirs: still there for them.
    assert_eq!(
        supporter_id(&app, &seeded.other, "ana@example.org").await,
        ana
    );
}

#[tokio::test]
async fn a_viewer_sees_no_supporter_and_erases_no_one() {
    let app = spawn_app().await;
    let (seeded, _) = seeded(&app).await;
    let ana = supporter_id(&app, &seeded.circle, "ana@example.org").await;
    app.member(&seeded.circle, "circle", "viewer@example.org", "viewer")
        .await;
    let viewer = Browser::sign_in(&app, "viewer@example.org", PASSWORD).await;

    for path in [
        "/admin/circle/supporters".to_owned(),
        "/admin/circle/supporters?q=ana".to_owned(),
        format!("/admin/circle/supporters/{ana}"),
        format!("/admin/circle/supporters/{ana}/export"),
        format!("/admin/circle/supporters/{ana}/erase"),
    ] {
        let page = viewer.open(&path).await;
        page.expect_html(403);
        assert!(
            !page.text.contains("ana@example.org"),
            "{path}: {}",
            page.text
        );
    }
    viewer
        .submit(
            &format!("/admin/circle/supporters/{ana}/erase"),
            &[("email", "ana@example.org")],
        )
        .await
        .expect_html(403);
    assert_eq!(
        supporter_id(&app, &seeded.circle, "ana@example.org").await,
        ana
    );
}
