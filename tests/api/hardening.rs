//! What an attacker finds on the public surface (issue 15, point 12), tried as they
//! would try it: caches flooded with made-up filters and spellings, Markdown built to
//! be slow, unlisted events looked for through their parent, pages framed or
//! sniffed, and a page that fails.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::{Page, hall_event, hall_meeting, open, open_petition, slug_of, text_of};

// --- headers ---------------------------------------------------------------------------

fn header<'a>(page: &'a Page, name: &str) -> &'a str {
    page.header(name)
        .unwrap_or_else(|| panic!("no {name} header: {:?}", page.headers))
}

/// The directives of a `Content-Security-Policy`, by name.
fn directives(policy: &str) -> Vec<(String, String)> {
    policy
        .split(';')
        .filter_map(|d| {
            let d = d.trim();
            let (name, value) = d.split_once(' ').unwrap_or((d, ""));
            (!name.is_empty()).then(|| (name.to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect()
}

#[track_caller]
fn assert_protected_page(path: &str, page: &Page) {
    let policy = directives(header(page, "content-security-policy"));
    let value = |name: &str| {
        policy
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{path}: no {name} in {policy:?}"))
    };
    assert_eq!(value("default-src"), "'self'", "{path}");
    assert_eq!(value("frame-ancestors"), "'none'", "{path}");
    assert_eq!(value("base-uri"), "'none'", "{path}");
    assert!(value("form-action").starts_with("'self'"), "{path}");
    assert_eq!(value("script-src"), "'none'", "{path}: pages run no script");
    for source in policy.iter().map(|(_, v)| v) {
        assert!(!source.contains("unsafe"), "{path}: {policy:?}");
    }
    assert_eq!(header(page, "x-frame-options"), "DENY", "{path}");
    assert_eq!(header(page, "x-content-type-options"), "nosniff", "{path}");
    assert_eq!(header(page, "referrer-policy"), "same-origin", "{path}");
}

#[tokio::test]
async fn every_page_refuses_framing_scripts_and_sniffing() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    let petition = open_petition(&app, &token, json!({})).await;
    let rsvp = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();

    for path in [
        "/".to_owned(),
        format!("/events/{}", slug_of(&event)),
        format!("/petitions/{}", slug_of(&petition)),
        format!("/rsvps/{}", manage_token(&rsvp)),
        "/events/no-such-event".to_owned(),
    ] {
        let page = open(&app, &path).await;
        assert!(page.status == 200 || page.status == 404, "{path}");
        assert_protected_page(&path, &page);
    }

    // Every answer, not only pages, says what it is and forbids guessing.
    for path in [
        "/api/v1/public/events",
        "/calendar.ics",
        "/api/v1/nothing-here",
    ] {
        let reply = open(&app, path).await;
        assert_eq!(
            header(&reply, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
    }

    // The API's viewer runs its own scripts: framed by nobody, and still working.
    let docs = open(&app, "/api/docs").await;
    docs.expect_html(200);
    assert!(docs.text.contains("SwaggerUIBundle"), "{}", docs.text);
    assert_eq!(
        header(&docs, "content-security-policy"),
        "frame-ancestors 'none'"
    );
    assert_eq!(header(&docs, "x-content-type-options"), "nosniff");
}

// --- a page that fails -----------------------------------------------------------------

#[tokio::test]
async fn a_page_that_fails_says_something_went_wrong_in_the_readers_language() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    hall_event(&app, &token, "Film night", json!({})).await;
    // The home page lists fundraisers: take their table away under it.
    app.database()
        .await
        .execute_unprepared("ALTER TABLE fundraisers RENAME TO fundraisers_gone")
        .await
        .expect("the table is renamed");

    for (lang, words) in [
        ("en", "Something went wrong"),
        ("es", "Algo salió mal"),
        ("fr", "Une erreur s'est produite"),
    ] {
        let page = open(&app, &format!("/?lang={lang}")).await;
        page.expect_html(500);
        assert_eq!(page.lang(), lang);
        let title = page.first("title").map(text_of);
        assert_eq!(title.as_deref(), Some(words), "{}", page.text);
        assert_eq!(page.h1(), words);
        let text = page.visible_text().to_lowercase();
        for internal in [
            "not found",
            "fundraisers_gone",
            "sqlite",
            "postgres",
            "no such table",
            "relation",
            "query",
        ] {
            assert!(!text.contains(internal), "{internal:?} shown: {text}");
        }
    }
}
// --- unlisted parts of an event --------------------------------------------------------

#[tokio::test]
async fn a_public_event_never_lists_its_unlisted_parts() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let forum = hall_event(&app, &token, "People's Forum", json!({})).await;
    let part = |title: &str, visibility: &str, parent: &Value| {
        with(
            hall_meeting(title),
            json!({ "kind": "workshop", "parent_id": id_of(parent), "visibility": visibility }),
        )
    };
    app.published_event(&token, part("Organising tenants", "public", &forum))
        .await;
    let hidden = app
        .published_event(
            &token,
            part("Security for the delegation", "unlisted", &forum),
        )
        .await;

    let page = open(&app, &format!("/events/{}", slug_of(&forum))).await;
    page.expect_html(200);
    let text = page.visible_text();
    assert!(text.contains("Organising tenants"), "{text}");
    assert!(!text.contains("Security for the delegation"), "{text}");
    assert!(
        !page.links_to(|h| h.contains(slug_of(&hidden)) || h.contains(id_of(&hidden))),
        "{:?}",
        page.hrefs()
    );
    let json = app
        .get_public(&format!("/api/v1/public/events/{}", slug_of(&forum)))
        .await;
    assert!(
        !json
            .expect(200)
            .to_string()
            .contains("Security for the delegation"),
        "{}",
        json.text
    );

    // An unlisted event, seen only by those given its link, lists its unlisted parts.
    let retreat = hall_event(
        &app,
        &token,
        "Organisers' retreat",
        json!({ "visibility": "unlisted" }),
    )
    .await;
    app.published_event(&token, part("Planning session", "unlisted", &retreat))
        .await;
    let page = open(&app, &format!("/events/{}", slug_of(&retreat))).await;
    assert!(page.visible_text().contains("Planning session"));
}
