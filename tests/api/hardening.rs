//! What an attacker finds on the public surface (issue 15, point 12), tried as they
//! would try it: caches flooded with made-up filters and spellings, Markdown built to
//! be slow, unlisted events looked for through their parent, pages framed or
//! sniffed, and a page that fails.

use futures_util::StreamExt;
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

    for (path, status) in [
        ("/".to_owned(), 200),
        (format!("/events/{}", slug_of(&event)), 200),
        (format!("/petitions/{}", slug_of(&petition)), 200),
        (format!("/rsvps/{}", manage_token(&rsvp)), 200),
        ("/admin/password-reset".to_owned(), 200),
        ("/events/no-such-event".to_owned(), 404),
    ] {
        let page = open(&app, &path).await;
        assert_eq!(page.status, status, "{path}");
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

// --- the public petition cache ---------------------------------------------------------

/// Send `paths` eight at a time (as a scripted client would, without taking all
/// day); each answer must be one of `statuses`.
async fn flood(app: &TestApp, paths: Vec<String>, statuses: &[u16]) {
    futures_util::stream::iter(paths)
        .map(|path| async move {
            let reply = app.get_public(&path).await;
            (path, reply)
        })
        .buffer_unordered(8)
        .for_each(|(path, reply)| {
            assert!(
                statuses.contains(&reply.status.as_u16()),
                "{path}: {} {}",
                reply.status,
                reply.text
            );
            std::future::ready(())
        })
        .await;
}

/// A gauge of this server's `/metrics` (asked from loopback, which needs no token).
async fn gauge(app: &TestApp, series: &str) -> f64 {
    let metrics = app.get_public("/metrics").await;
    assert_eq!(metrics.status, 200, "{}", metrics.text);
    metrics
        .text
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in {}", metrics.text))
}

/// `id` with its hex digits in upper or lower case as the bits of `n` say.
fn spelled(id: &str, n: u32) -> String {
    id.chars()
        .filter(|c| *c != '-')
        .enumerate()
        .map(|(i, c)| {
            if n >> (i % 32) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

#[tokio::test]
async fn spellings_of_a_petitions_id_and_junk_take_no_more_room_than_the_petition() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let petition = open_petition(&app, &token, json!({})).await;
    let id = id_of(&petition).to_owned();
    let by_slug = app
        .get_public(&format!("/api/v1/public/petitions/{}", slug_of(&petition)))
        .await;
    assert_eq!(by_slug.expect(200)["id"], id.as_str());

    // Every spelling a UUID may take names the petition.
    let spellings: Vec<String> = (1..=30_u32)
        .map(|n| {
            let simple = spelled(&id, n.wrapping_mul(2_654_435_761));
            let hyphenated = format!(
                "{}-{}-{}-{}-{}",
                &simple[..8],
                &simple[8..12],
                &simple[12..16],
                &simple[16..20],
                &simple[20..]
            );
            let path = match n % 3 {
                0 => simple,
                1 => format!("urn:uuid:{hyphenated}"),
                _ => hyphenated,
            };
            format!("/api/v1/public/petitions/{path}")
        })
        .collect();
    let one = app.get_public(&spellings[0]).await;
    assert_eq!(one.expect(200)["id"], id.as_str(), "{}", spellings[0]);
    flood(&app, spellings, &[200]).await;
    // And what names nothing at all.
    let junk: Vec<String> = (0..30)
        .map(|n| match n % 3 {
            0 => format!("/api/v1/public/petitions/no-such-petition-{n}"),
            1 => format!(
                "/api/v1/public/petitions/{}",
                slug_of(&petition).to_uppercase()
            ),
            _ => format!("/api/v1/public/petitions/junk%20{n}"),
        })
        .collect();
    flood(&app, junk, &[404]).await;

    assert_eq!(
        gauge(&app, "turnout_cache_entries{cache=\"public_petitions\"}").await,
        1.0,
        "one petition, held once"
    );
    assert_eq!(
        gauge(&app, "turnout_cache_entries{cache=\"petition_slugs\"}").await,
        1.0,
        "its one slug"
    );
}

// --- the feed cache --------------------------------------------------------------------

fn x_cache(reply: &Reply) -> &str {
    reply
        .headers
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn made_up_feed_filters_never_push_the_feeds_subscribers_poll_out_of_the_cache() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    hall_event(&app, &token, "Film night", json!({})).await;
    let subscribed = [
        "/calendar.ics",
        "/organisations/circle/calendar.ics",
        "/calendar.ics?locality=Toronto",
    ];
    for path in subscribed {
        let first = app.get_public(path).await;
        assert_eq!(first.status, 200, "{path}: {}", first.text);
        assert_eq!(x_cache(&first), "miss", "{path}");
        assert!(first.text.contains("Film night"), "{path}: {}", first.text);
    }

    // More than the most feeds of any kind kept (1,024), so a cache that held them
    // with the subscribed feeds would have to let one of those go.
    let junk: Vec<String> = (0..1100)
        .map(|n| match n % 5 {
            0 => format!("/calendar.ics?locality=x{n}"),
            1 => format!("/calendar.ics?organisation=group-{n}"),
            2 => format!("/calendar.ics?campaign=campaign-{n}"),
            3 => format!("/calendar.ics?country=Q{n}"),
            _ => format!("/calendar.ics?kind=workshop&locality=Toronto{n}"),
        })
        .collect();
    flood(&app, junk, &[200]).await;

    for path in subscribed {
        let again = app.get_public(path).await;
        assert_eq!(again.status, 200, "{path}: {}", again.text);
        assert_eq!(x_cache(&again), "hit", "{path} was rebuilt");
    }
}

// --- costly Markdown -------------------------------------------------------------------

#[tokio::test]
async fn a_description_built_to_be_slow_is_shown_and_rendered_once() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    // Within the 50,000 characters a description may have: a quote in a quote
    // 40,000 deep, then raw HTML 1,500 deep. Seconds to sanitise as it was written,
    // each time the page was shown.
    let marker = format!("Marker {}", uuid::Uuid::new_v4().simple());
    let description = format!(
        "{} {marker}\n\n{}the end",
        ">".repeat(40_000),
        "<div>".repeat(1_500)
    );
    let event = hall_event(
        &app,
        &token,
        "Film night",
        json!({ "description": description }),
    )
    .await;
    let path = format!("/events/{}", slug_of(&event));

    let first = open(&app, &path).await;
    first.expect_html(200);
    assert!(first.visible_text().contains(&marker));
    let rendering = turnout::pages::markdown::rendering_of(&description)
        .expect("the description's HTML is kept");

    let second = open(&app, &path).await;
    second.expect_html(200);
    assert!(second.visible_text().contains(&marker));
    assert_eq!(
        turnout::pages::markdown::rendering_of(&description),
        Some(rendering),
        "the second view rendered the description again"
    );
}
