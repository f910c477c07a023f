//! The pages supporters see (issue 7): the home page, an event with its RSVP form, a
//! petition with its sign form, a fundraiser with its donate form. Read as a browser
//! reads them (parsed with html5ever), posted as a browser posts them (form-encoded,
//! with its `Origin`), and checked for what a supporter would see: the content in its
//! language and zone, errors next to the field with what was typed kept, no script
//! from anyone's Markdown, previews for shared links, and one small stylesheet.

use reqwest::header::HeaderMap;
use scraper::{ElementRef, Html, Selector};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::stripe::spawn_app_with_stripe;

/// The site's public URL in tests (no port: links are rewritten to the app's address).
pub const PUBLIC_URL: &str = "http://127.0.0.1";
const EVIL: &str = "https://evil.example";

// --- a page, as a browser gets it -----------------------------------------------------------

/// One answer, parsed as a browser parses HTML.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub doc: Html,
}

impl Page {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        let doc = Html::parse_document(&text);
        Self {
            status,
            headers,
            text,
            doc,
        }
    }

    /// Assert the status, showing the page when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.text
        );
        self
    }

    /// Assert an HTML page with this status.
    #[track_caller]
    pub fn expect_html(&self, status: u16) -> &Self {
        self.expect(status);
        assert!(
            self.content_type().starts_with("text/html"),
            "a page should be text/html, was {:?}",
            self.content_type()
        );
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The `Location` of a redirect.
    #[track_caller]
    pub fn location(&self) -> &str {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location on a {}: {:?}", self.status, self.headers))
    }

    /// Every element matching `css`, in document order.
    pub fn all(&self, css: &str) -> Vec<ElementRef<'_>> {
        let selector = Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e:?}"));
        self.doc.select(&selector).collect()
    }

    pub fn first(&self, css: &str) -> Option<ElementRef<'_>> {
        self.all(css).into_iter().next()
    }

    /// The one element matching `css`.
    #[track_caller]
    pub fn one(&self, css: &str) -> ElementRef<'_> {
        let found = self.all(css);
        assert_eq!(
            found.len(),
            1,
            "expected one {css}, found {}: {}",
            found.len(),
            self.text
        );
        found[0]
    }

    /// What a reader sees: the body's text without scripts and styles, whitespace
    /// collapsed, typographic apostrophes made plain.
    pub fn visible_text(&self) -> String {
        self.first("body").map(text_of).unwrap_or_default()
    }

    /// `<html lang>`.
    pub fn lang(&self) -> String {
        self.first("html")
            .and_then(|h| h.attr("lang"))
            .unwrap_or_default()
            .to_owned()
    }

    /// The text of the one `<h1>`.
    #[track_caller]
    pub fn h1(&self) -> String {
        text_of(self.one("h1"))
    }

    /// The texts of the `<h2>`s.
    pub fn h2s(&self) -> Vec<String> {
        self.all("h2").into_iter().map(text_of).collect()
    }

    /// The `content` of `<meta property=key>` or `<meta name=key>`.
    pub fn meta(&self, key: &str) -> Option<String> {
        self.first(&format!("meta[property=\"{key}\"], meta[name=\"{key}\"]"))
            .and_then(|m| m.attr("content"))
            .map(str::to_owned)
    }

    /// The form control (`input`, `select`, `textarea`) named `name`.
    #[track_caller]
    pub fn field(&self, name: &str) -> ElementRef<'_> {
        self.fields(name)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no field named {name:?} on the page: {}", self.text))
    }

    pub fn fields(&self, name: &str) -> Vec<ElementRef<'_>> {
        self.all(&format!(
            "input[name=\"{name}\"], select[name=\"{name}\"], textarea[name=\"{name}\"]"
        ))
    }

    pub fn has_field(&self, name: &str) -> bool {
        !self.fields(name).is_empty()
    }

    /// What a field shows: an input's `value`, a textarea's text, a select's chosen option.
    #[track_caller]
    pub fn value_of(&self, name: &str) -> String {
        let field = self.field(name);
        match field.value().name() {
            "textarea" => field.text().collect(),
            "select" => {
                let selected = Selector::parse("option[selected]").unwrap();
                field
                    .select(&selected)
                    .next()
                    .and_then(|o| o.attr("value"))
                    .unwrap_or_default()
                    .to_owned()
            }
            _ => field.attr("value").unwrap_or_default().to_owned(),
        }
    }

    /// The `href`s of every link.
    pub fn hrefs(&self) -> Vec<String> {
        self.all("a[href]")
            .into_iter()
            .filter_map(|a| a.attr("href").map(str::to_owned))
            .collect()
    }

    /// Whether some link's `href` satisfies `test`.
    pub fn links_to(&self, test: impl Fn(&str) -> bool) -> bool {
        self.hrefs().iter().any(|h| test(h))
    }

    /// The JSON of every `<script type="application/ld+json">`.
    #[track_caller]
    pub fn json_ld(&self) -> Vec<Value> {
        self.all("script[type=\"application/ld+json\"]")
            .into_iter()
            .map(|s| {
                let raw: String = s.text().collect();
                serde_json::from_str(&raw)
                    .unwrap_or_else(|e| panic!("JSON-LD that does not parse ({e}): {raw}"))
            })
            .collect()
    }

    /// The text of the list item (or card) holding a link whose text contains `title`.
    #[track_caller]
    pub fn item_text(&self, title: &str) -> String {
        let link = self
            .all("a")
            .into_iter()
            .find(|a| text_of(*a).contains(title))
            .unwrap_or_else(|| panic!("no link to {title:?}: {}", self.text));
        link.ancestors()
            .filter_map(ElementRef::wrap)
            .find(|e| {
                matches!(
                    e.value().name(),
                    "li" | "article" | "tr" | "section" | "div"
                )
            })
            .map_or_else(|| text_of(link), text_of)
    }

    /// The `<progress>` inside the item holding `title`, else the page's first one:
    /// its `value` out of `max`.
    #[track_caller]
    pub fn progress(&self) -> (f64, f64) {
        let bar = self
            .first("progress")
            .unwrap_or_else(|| panic!("no <progress> on the page: {}", self.text));
        let number = |name: &str| -> f64 {
            bar.attr(name)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("<progress> without a numeric {name}: {}", bar.html()))
        };
        (number("value"), number("max"))
    }
}

/// The visible text of an element: scripts, styles and templates left out, whitespace
/// collapsed, `’` read as `'` and non-breaking spaces as spaces.
pub fn text_of(element: ElementRef<'_>) -> String {
    fn walk(element: ElementRef<'_>, out: &mut String) {
        for child in element.children() {
            if let Some(text) = child.value().as_text() {
                out.push_str(text);
            } else if let Some(child) = ElementRef::wrap(child) {
                if matches!(
                    child.value().name(),
                    "script" | "style" | "template" | "head"
                ) {
                    continue;
                }
                walk(child, out);
                out.push(' ');
            }
        }
    }
    let mut raw = String::new();
    walk(element, &mut raw);
    raw.replace(['\u{2019}', '\u{2018}'], "'")
        .replace(['\u{a0}', '\u{202f}'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The element right after `element` (text between them skipped).
pub fn next_element(element: ElementRef<'_>) -> Option<ElementRef<'_>> {
    element.next_siblings().find_map(ElementRef::wrap)
}

// --- requests ---------------------------------------------------------------------------------

/// `GET path` with these headers.
pub async fn open_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Page {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Page::from(request.send().await.expect("the app answers")).await
}

/// `GET path`, as a browser without language preferences asks.
pub async fn open(app: &TestApp, path: &str) -> Page {
    open_with(app, path, &[]).await
}

/// POST a form with exactly these headers (none added).
pub async fn submit_with(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Page {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Page::from(request.send().await.expect("the app answers")).await
}

/// POST a form as a browser on the page itself does: with the page's `Origin`.
pub async fn submit(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
    let origin = app.address.clone();
    submit_with(app, path, fields, &[("Origin", &origin)]).await
}

/// Follow a redirect's `Location` (relative, or under the public URL).
pub async fn follow(app: &TestApp, redirect: &Page) -> Page {
    let location = redirect.location();
    open(app, location.strip_prefix(PUBLIC_URL).unwrap_or(location)).await
}

/// `link` (under the public URL, without a port) as a path of the app.
#[track_caller]
pub fn path_of(link: &str) -> String {
    link.strip_prefix(PUBLIC_URL)
        .filter(|rest| rest.starts_with('/'))
        .unwrap_or_else(|| panic!("{link} is not a link of this site"))
        .to_owned()
}

// --- what the tests make ------------------------------------------------------------------------

/// A meeting in Toronto next February, 19:00–21:00 EST, at the Steelworkers Hall.
pub fn hall_meeting(title: &str) -> Value {
    with(
        meeting(title),
        json!({
            "summary": "Screening and discussion, all welcome",
            "location": {
                "venue": "Steelworkers Hall",
                "address": "25 Cecil Street",
                "locality": "Toronto",
                "country": "CA",
            },
        }),
    )
}

pub fn slug_of(object: &Value) -> &str {
    object["slug"].as_str().expect("an object with a slug")
}

/// A published event with `extra` set over a hall meeting; the event.
pub async fn hall_event(app: &TestApp, token: &str, title: &str, extra: Value) -> Value {
    app.published_event(token, with(hall_meeting(title), extra))
        .await
}

pub async fn open_petition(app: &TestApp, token: &str, body: Value) -> Value {
    let draft = app
        .post_json(
            "/api/v1/petitions",
            token,
            &with(
                json!({
                    "title": "Stop the eviction of the Kensington tenants",
                    "target": "Toronto City Council",
                    "body": "The landlord wants them out by March.",
                }),
                body,
            ),
        )
        .await
        .expect(201)
        .clone();
    app.post_json(
        &format!("/api/v1/petitions/{}/publish", id_of(&draft)),
        token,
        &json!({}),
    )
    .await
    .expect(200)
    .clone()
}

/// A signature through the public API (counted at once when the petition asks no
/// confirmation).
async fn api_sign(app: &TestApp, petition: &Value, email: &str, extra: Value) {
    let reply = app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/public/petitions/{}/signatures", id_of(petition)),
            None,
            Some(&with(
                json!({ "email": email, "name": name_of(email) }),
                extra,
            )),
            None,
        )
        .await;
    assert!(
        reply.status.is_success(),
        "signing failed: {} {}",
        reply.status,
        reply.text
    );
}

/// The organiser's list of signatures.
async fn signatures(app: &TestApp, token: &str, petition: &Value) -> Vec<Value> {
    items(
        app.get(
            &format!("/api/v1/petitions/{}/signatures?limit=200", id_of(petition)),
            token,
        )
        .await
        .expect(200),
    )
}

/// What the public API counts.
pub async fn public_count(app: &TestApp, petition: &Value) -> i64 {
    app.get_public(&format!("/api/v1/public/petitions/{}", id_of(petition)))
        .await
        .expect(200)["signature_count"]
        .as_i64()
        .expect("a signature_count")
}

/// The confirmation link in the last email to `address`, as a path of the app.
#[track_caller]
pub fn confirmation_path(app: &TestApp, address: &str) -> String {
    let text = app.smtp.last_to(address).text();
    let start = text
        .find(&format!("{PUBLIC_URL}/signatures/confirm/"))
        .unwrap_or_else(|| panic!("no confirmation link in:\n{text}"));
    let link = text[start..].split_whitespace().next().unwrap_or_default();
    path_of(link)
}

fn gbp(amount: i64) -> Value {
    json!({ "amount": amount, "currency": "GBP" })
}

/// An open fundraiser with a goal of £100 (suggesting £10, £25, £50 and £100).
pub async fn open_fundraiser(app: &TestApp, token: &str, extra: Value) -> Value {
    let draft = app
        .post_json(
            "/api/v1/fundraisers",
            token,
            &with(
                json!({ "title": "Kensington tenants' legal fund", "goal": gbp(10_000) }),
                extra,
            ),
        )
        .await
        .expect(201)
        .clone();
    app.post_json(
        &format!("/api/v1/fundraisers/{}/publish", id_of(&draft)),
        token,
        &json!({}),
    )
    .await
    .expect(200)
    .clone()
}

/// £25 handed over in cash.
pub async fn cash_gift(app: &TestApp, token: &str, fundraiser: &Value) {
    app.post_json(
        &format!("/api/v1/fundraisers/{}/donations", id_of(fundraiser)),
        token,
        &json!({
            "amount": gbp(2500),
            "method": "cash",
            "received_at": "2026-11-20T18:00:00Z",
            "send_receipt": false,
        }),
    )
    .await
    .expect(201);
}

pub async fn donations(app: &TestApp, token: &str, fundraiser: &Value) -> Vec<Value> {
    items(
        app.get(
            &format!(
                "/api/v1/fundraisers/{}/donations?limit=200",
                id_of(fundraiser)
            ),
            token,
        )
        .await
        .expect(200),
    )
}

/// The attendee `email` as the organiser sees them, if they are on the list.
pub async fn attendee(app: &TestApp, token: &str, event: &Value, email: &str) -> Option<Value> {
    app.attendees(token, id_of(event))
        .await
        .into_iter()
        .find(|a| a["email"] == email)
}

fn rsvp_fields<'a>(name: &'a str, email: &'a str, guests: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("name", name), ("email", email), ("guests", guests)]
}

// --- the home page ------------------------------------------------------------------------------

#[tokio::test]
async fn the_home_page_lists_upcoming_public_events_with_kind_local_time_and_place() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    app.create_event(&token, hall_meeting("Secret planning"))
        .await;
    hall_event(
        &app,
        &token,
        "Unlisted gathering",
        json!({ "visibility": "unlisted" }),
    )
    .await;
    hall_event(
        &app,
        &token,
        "Last year's meeting",
        json!({ "starts_at": "2025-03-10T19:00", "ends_at": "2025-03-10T21:00" }),
    )
    .await;

    let page = open(&app, "/").await;

    page.expect_html(200);
    assert_eq!(page.lang(), "en");
    let text = page.visible_text();
    for hidden in [
        "Secret planning",
        "Unlisted gathering",
        "Last year's meeting",
    ] {
        assert!(
            !text.contains(hidden),
            "the home page shows {hidden:?}: {text}"
        );
    }
    assert!(
        page.links_to(|h| h.ends_with(&format!("/events/{}", slug_of(&event)))),
        "no link to the event's page: {:?}",
        page.hrefs()
    );
    let item = page.item_text("Film night");
    assert!(
        item.to_lowercase().contains("public meeting"),
        "the kind, in words: {item}"
    );
    assert!(
        !text.contains("public_meeting"),
        "a stored value shown: {text}"
    );
    assert!(item.contains("19:00"), "the local time: {item}");
    assert!(item.contains("EST"), "the zone's abbreviation: {item}");
    assert!(item.contains("Steelworkers Hall"), "the place: {item}");
    assert!(!text.contains("No events found"), "{text}");
}

#[tokio::test]
async fn an_empty_site_says_no_events_found() {
    let app = spawn_app().await;

    let page = open(&app, "/").await;

    page.expect_html(200);
    assert!(
        page.visible_text().contains("No events found"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn the_home_page_lists_open_petitions_with_their_counts() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(
        &app,
        &token,
        json!({ "require_confirmation": false, "goal": 100 }),
    )
    .await;
    for email in ["ana@example.org", "ben@example.org", "carla@example.org"] {
        api_sign(&app, &petition, email, json!({})).await;
    }
    app.post_json(
        "/api/v1/petitions",
        &token,
        &json!({ "title": "A draft petition", "target": "Nobody yet" }),
    )
    .await
    .expect(201);
    let closed = open_petition(&app, &token, json!({ "title": "A closed petition" })).await;
    app.post_json(
        &format!("/api/v1/petitions/{}/close", id_of(&closed)),
        &token,
        &json!({}),
    )
    .await
    .expect(200);

    let page = open(&app, "/").await;

    page.expect_html(200);
    let item = page.item_text("Stop the eviction of the Kensington tenants");
    assert!(item.contains('3'), "the count: {item}");
    assert!(
        page.links_to(|h| h.ends_with(&format!("/petitions/{}", slug_of(&petition)))),
        "{:?}",
        page.hrefs()
    );
    let text = page.visible_text();
    assert!(!text.contains("A draft petition"), "{text}");
    assert!(!text.contains("A closed petition"), "{text}");
}

#[tokio::test]
async fn the_home_page_lists_open_fundraisers_with_their_progress() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;
    cash_gift(&app, &token, &fundraiser).await;
    app.post_json(
        "/api/v1/fundraisers",
        &token,
        &json!({ "title": "A draft fundraiser", "goal": gbp(10_000) }),
    )
    .await
    .expect(201);

    let page = open(&app, "/").await;

    page.expect_html(200);
    let item = page.item_text("Kensington tenants' legal fund");
    assert!(item.contains("25.00 GBP"), "raised: {item}");
    assert!(item.contains("100.00 GBP"), "of the goal: {item}");
    assert_eq!(page.progress(), (25.0, 100.0));
    assert!(
        page.links_to(|h| h.ends_with(&format!("/fundraisers/{}", slug_of(&fundraiser)))),
        "{:?}",
        page.hrefs()
    );
    assert!(!page.visible_text().contains("A draft fundraiser"));
}

#[tokio::test]
async fn the_home_page_speaks_the_language_asked_for_in_the_address() {
    let app = spawn_app().await;

    let english = open(&app, "/").await;
    let spanish = open(&app, "/?lang=es").await;

    spanish.expect_html(200);
    assert_eq!(spanish.lang(), "es");
    assert!(
        spanish.visible_text().contains("No se encontraron eventos"),
        "{}",
        spanish.text
    );
    assert!(!english.h2s().is_empty(), "no sections: {}", english.text);
    assert_ne!(english.h2s(), spanish.h2s(), "headings left in English");
}

#[tokio::test]
async fn the_home_page_follows_the_browsers_languages() {
    let app = spawn_app().await;

    let french = open_with(
        &app,
        "/",
        &[("Accept-Language", "de-DE,de;q=0.9,fr-CA;q=0.8,en;q=0.5")],
    )
    .await;
    let asked = open_with(&app, "/?lang=es", &[("Accept-Language", "fr")]).await;

    french.expect_html(200);
    assert_eq!(french.lang(), "fr");
    assert!(
        french.visible_text().contains("Aucun événement trouvé"),
        "{}",
        french.text
    );
    assert_eq!(asked.lang(), "es", "?lang= wins over Accept-Language");
}

// --- an event's page ----------------------------------------------------------------------------

#[tokio::test]
async fn an_event_page_shows_the_event_in_its_zone_with_calendar_links() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({ "capacity": 40 })).await;
    let slug = slug_of(&event);

    let page = open(&app, &format!("/events/{slug}")).await;

    page.expect_html(200);
    assert_eq!(page.h1(), "Film night");
    assert_eq!(page.lang(), "en");
    let text = page.visible_text();
    assert!(text.contains("19:00"), "{text}");
    assert!(text.contains("EST"), "{text}");
    assert!(text.contains("Steelworkers Hall"), "{text}");
    assert!(
        page.links_to(|h| h.ends_with(&format!("/events/{slug}.ics"))),
        "no .ics link: {:?}",
        page.hrefs()
    );
    assert!(
        page.links_to(|h| h.starts_with("webcal://")),
        "no webcal:// link: {:?}",
        page.hrefs()
    );
    assert!(
        page.links_to(|h| h.starts_with("https://calendar.google.com/")),
        "no Google Calendar link: {:?}",
        page.hrefs()
    );
    for field in ["name", "email", "guests"] {
        assert!(page.has_field(field), "no {field} in the RSVP form");
    }
    let by_id = open(&app, &format!("/events/{}", id_of(&event))).await;
    by_id.expect_html(200);
    assert_eq!(by_id.h1(), "Film night");
    let ics = app.get_public(&format!("/events/{slug}.ics")).await;
    ics.expect(200);
    assert!(
        ics.content_type().starts_with("text/calendar"),
        "{}",
        ics.content_type()
    );
}

#[tokio::test]
async fn an_event_page_speaks_the_events_language() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let english = hall_event(&app, &token, "Film night", json!({})).await;
    let spanish = hall_event(&app, &token, "Noche de cine", json!({ "language": "es" })).await;
    let french = hall_event(&app, &token, "Soirée cinéma", json!({ "language": "fr" })).await;

    let english = open(&app, &format!("/events/{}", slug_of(&english))).await;
    let spanish = open(&app, &format!("/events/{}", slug_of(&spanish))).await;
    let french = open(&app, &format!("/events/{}", slug_of(&french))).await;

    assert_eq!(english.lang(), "en");
    assert_eq!(spanish.lang(), "es");
    assert_eq!(french.lang(), "fr");
    let button = |page: &Page| text_of(page.one("form button[type=\"submit\"]"));
    assert_ne!(
        button(&english),
        button(&spanish),
        "the button left in English"
    );
    assert_ne!(
        button(&english),
        button(&french),
        "the button left in English"
    );
}

#[tokio::test]
async fn a_delegation_shows_its_itinerary() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let delegation = app
        .published_event(
            &token,
            event_at(
                "Delegation to Caracas",
                "delegation",
                "America/Caracas",
                "2038-03-01T09:00",
                "2038-03-07T18:00",
            ),
        )
        .await;
    let child = |title: &str, day: &str| {
        with(
            event_at(
                title,
                "other",
                "America/Caracas",
                &format!("2038-03-{day}T10:00"),
                &format!("2038-03-{day}T12:00"),
            ),
            json!({ "parent_id": id_of(&delegation) }),
        )
    };
    let visit = app
        .published_event(&token, child("Visit to the Alcasa workers' council", "02"))
        .await;
    app.published_event(&token, child("Meeting with the Comuna El Maizal", "04"))
        .await;
    app.create_event(&token, child("Not yet decided", "05"))
        .await;

    let page = open(&app, &format!("/events/{}", slug_of(&delegation))).await;

    page.expect_html(200);
    assert!(
        page.h2s().iter().any(|h| h == "Itinerary"),
        "{:?}",
        page.h2s()
    );
    let text = page.visible_text();
    assert!(
        text.contains("Visit to the Alcasa workers' council"),
        "{text}"
    );
    assert!(text.contains("Meeting with the Comuna El Maizal"), "{text}");
    assert!(!text.contains("Not yet decided"), "a draft shown: {text}");
    assert!(
        page.links_to(|h| h.ends_with(&format!("/events/{}", slug_of(&visit)))),
        "{:?}",
        page.hrefs()
    );
    let visit_page = open(&app, &format!("/events/{}", slug_of(&visit))).await;
    assert!(
        visit_page.links_to(|h| h.ends_with(&format!("/events/{}", slug_of(&delegation)))),
        "an itinerary item links back to its delegation: {:?}",
        visit_page.hrefs()
    );
}

#[tokio::test]
async fn a_forum_shows_its_workshops() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let forum = app
        .published_event(
            &token,
            event_at(
                "People's Social Forum",
                "other",
                "America/Toronto",
                "2038-05-15T09:00",
                "2038-05-16T18:00",
            ),
        )
        .await;
    for (title, hour) in [("Organising tenants", "10"), ("Media for movements", "14")] {
        app.published_event(
            &token,
            with(
                event_at(
                    title,
                    "workshop",
                    "America/Toronto",
                    &format!("2038-05-15T{hour}:00"),
                    &format!("2038-05-15T{hour}:45"),
                ),
                json!({ "parent_id": id_of(&forum) }),
            ),
        )
        .await;
    }

    let page = open(&app, &format!("/events/{}", slug_of(&forum))).await;

    page.expect_html(200);
    assert!(
        page.h2s().iter().any(|h| h == "Workshops"),
        "{:?}",
        page.h2s()
    );
    let text = page.visible_text();
    assert!(text.contains("Organising tenants"), "{text}");
    assert!(text.contains("Media for movements"), "{text}");
}

#[tokio::test]
async fn a_cancelled_event_shows_why_and_takes_no_rsvps() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    app.cancel(&token, id_of(&event), "The hall flooded")
        .await
        .expect(200);
    let path = format!("/events/{}", slug_of(&event));

    let page = open(&app, &path).await;

    page.expect_html(200);
    assert!(
        page.visible_text().contains("The hall flooded"),
        "{}",
        page.text
    );
    assert!(
        !page.has_field("email"),
        "an RSVP form on a cancelled event"
    );
    assert!(
        page.all("form[method=\"post\"]").is_empty(),
        "{}",
        page.text
    );
    let refused = submit(&app, &path, &rsvp_fields("Ana", "ana@example.org", "0")).await;
    refused.expect_html(409);
    refused.one(".form-error");
    assert!(
        attendee(&app, &token, &event, "ana@example.org")
            .await
            .is_none()
    );
}

#[tokio::test]
async fn a_draft_or_unknown_event_is_a_not_found_page() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let draft = app
        .create_event(&token, hall_meeting("Secret planning"))
        .await;

    for path in [
        format!("/events/{}", slug_of(&draft)),
        format!("/events/{}", id_of(&draft)),
        "/events/no-such-event".to_owned(),
    ] {
        let page = open(&app, &path).await;
        page.expect_html(404);
        assert!(!page.text.contains("Secret planning"), "{}", page.text);
    }
}

// --- RSVP from the event's page ------------------------------------------------------------------

#[tokio::test]
async fn an_rsvp_from_the_page_leads_to_the_manage_page_and_an_email() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({ "capacity": 40 })).await;

    let reply = submit(
        &app,
        &format!("/events/{}", slug_of(&event)),
        &rsvp_fields("Ana Gómez", "ana@example.org", "1"),
    )
    .await;

    reply.expect(303);
    let location = reply.location();
    let token_part = location
        .strip_prefix("/rsvps/")
        .and_then(|rest| rest.strip_suffix("?done=rsvp"))
        .unwrap_or_else(|| panic!("Location {location}"));
    assert!(
        !token_part.is_empty() && !token_part.contains('/'),
        "{location}"
    );
    let manage = follow(&app, &reply).await;
    manage.expect_html(200);
    let text = manage.visible_text();
    assert!(text.contains("You're going"), "{text}");
    assert!(text.contains("Film night"), "{text}");
    let ana = attendee(&app, &token, &event, "ana@example.org")
        .await
        .expect("Ana on the attendee list");
    assert_eq!(ana["status"], "going");
    assert_eq!(ana["guests"], 1);
    assert_eq!(ana["name"], "Ana Gómez");
    app.deliver_emails().await;
    let emails = app.smtp.to("ana@example.org");
    assert_eq!(emails.len(), 1, "one confirmation email");
    assert!(
        emails[0].subject().contains("Film night"),
        "{}",
        emails[0].subject()
    );
}

#[tokio::test]
async fn an_rsvp_from_the_page_with_an_address_that_answered_says_a_link_was_emailed() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({ "capacity": 40 })).await;
    let first = app
        .rsvp(
            id_of(&event),
            "ana@example.org",
            json!({ "name": "Ana Gómez" }),
        )
        .await
        .expect(201)
        .clone();
    app.deliver_emails().await;

    let reply = submit(
        &app,
        &format!("/events/{}", slug_of(&event)),
        &rsvp_fields("Mallory", "ana@example.org", "3"),
    )
    .await;

    reply.expect(303);
    assert_eq!(
        reply.location(),
        format!("/events/{}?rsvp=emailed", slug_of(&event))
    );
    let page = follow(&app, &reply).await;
    page.expect_html(200);
    let text = page.visible_text();
    assert!(text.contains("We have emailed it a link"), "{text}");
    assert!(!page.text.contains(&manage_token(&first)), "{}", page.text);
    // Nor any other way into an RSVP.
    assert!(!page.text.contains("/rsvps/"), "{}", page.text);
    let ana = attendee(&app, &token, &event, "ana@example.org")
        .await
        .expect("Ana on the attendee list");
    assert_eq!(
        (&ana["name"], &ana["guests"]),
        (&json!("Ana Gómez"), &json!(0))
    );
    app.deliver_emails().await;
    // A link of its own (links are kept hashed, so each email mints one) that
    // opens Ana's RSVP as it was.
    let seen = app.rsvp_by_last_link("ana@example.org", &first).await;
    assert_eq!(
        (&seen["status"], &seen["guests"]),
        (&json!("going"), &json!(0))
    );
}

#[tokio::test]
async fn an_rsvp_beyond_capacity_lands_on_the_waitlist_banner() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(
        &app,
        &token,
        "Film night",
        json!({ "capacity": 1, "waitlist": true }),
    )
    .await;
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);

    let reply = submit(
        &app,
        &format!("/events/{}", slug_of(&event)),
        &rsvp_fields("Ana", "ana@example.org", "0"),
    )
    .await;

    reply.expect(303);
    let manage = follow(&app, &reply).await;
    assert!(
        manage.visible_text().contains("You're on the waitlist"),
        "{}",
        manage.visible_text()
    );
}

#[tokio::test]
async fn an_invalid_address_comes_back_on_the_form_with_what_was_typed() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;

    let page = submit(
        &app,
        &format!("/events/{}", slug_of(&event)),
        &rsvp_fields("Ana Gómez", "ana-at-example.org", "2"),
    )
    .await;

    page.expect_html(422);
    assert_eq!(page.h1(), "Film night");
    assert_eq!(page.value_of("name"), "Ana Gómez");
    assert_eq!(page.value_of("email"), "ana-at-example.org");
    assert_eq!(page.value_of("guests"), "2");
    let email = page.field("email");
    assert_eq!(email.attr("aria-invalid"), Some("true"), "{}", email.html());
    assert_eq!(email.attr("aria-describedby"), Some("email-error"));
    let error = page.one(".field-error");
    assert_eq!(error.attr("id"), Some("email-error"));
    assert!(!text_of(error).is_empty(), "an empty message");
    assert_eq!(
        next_element(email).map(|e| e.html()),
        Some(error.html()),
        "the message right after the field"
    );
    assert_eq!(page.field("name").attr("aria-invalid"), None);
    assert!(app.attendees(&token, id_of(&event)).await.is_empty());
}

#[tokio::test]
async fn a_full_event_without_a_waitlist_says_so_on_the_page() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(
        &app,
        &token,
        "Film night",
        json!({ "capacity": 1, "waitlist": false }),
    )
    .await;
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);

    let page = submit(
        &app,
        &format!("/events/{}", slug_of(&event)),
        &rsvp_fields("Ana", "ana@example.org", "0"),
    )
    .await;

    page.expect_html(409);
    let error = page.one(".form-error");
    assert_eq!(error.attr("role"), Some("alert"));
    assert!(!text_of(error).is_empty());
    assert!(
        attendee(&app, &token, &event, "ana@example.org")
            .await
            .is_none()
    );
}

// --- the origin check against CSRF -----------------------------------------------------------------

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    let path = format!("/events/{}", slug_of(&event));
    let fields = rsvp_fields("Ana", "ana@example.org", "0");
    let referer = format!("{EVIL}/trap.html");

    for headers in [
        vec![("Origin", EVIL)],
        vec![("Sec-Fetch-Site", "cross-site")],
        vec![("Referer", referer.as_str())],
        vec![("Origin", "null")],
    ] {
        let page = submit_with(&app, &path, &fields, &headers).await;
        assert_eq!(
            page.status, 403,
            "{headers:?} was let through: {}",
            page.text
        );
        assert!(
            page.content_type().starts_with("text/html"),
            "{}",
            page.content_type()
        );
    }

    assert!(
        attendee(&app, &token, &event, "ana@example.org")
            .await
            .is_none()
    );
    app.deliver_emails().await;
    assert!(app.smtp.all().is_empty());
}

#[tokio::test]
async fn a_form_posted_from_the_site_itself_is_accepted() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    let path = format!("/events/{}", slug_of(&event));
    let own = app.address.clone();
    let referer = format!("{own}{path}");

    let cases = [
        ("ana@example.org", vec![("Origin", own.as_str())]),
        (
            "ben@example.org",
            vec![("Origin", own.as_str()), ("Sec-Fetch-Site", "same-origin")],
        ),
        ("carla@example.org", vec![("Origin", PUBLIC_URL)]),
        ("dan@example.org", vec![("Referer", referer.as_str())]),
        ("eve@example.org", vec![]),
    ];
    for (email, headers) in &cases {
        let page = submit_with(&app, &path, &rsvp_fields("Someone", email, "0"), headers).await;
        assert_eq!(page.status, 303, "{headers:?} was refused: {}", page.text);
    }

    assert_eq!(
        app.attendees(&token, id_of(&event)).await.len(),
        cases.len()
    );
}

#[tokio::test]
async fn every_page_form_checks_the_origin() {
    let (app, fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    let rsvp = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await;
    let manage = manage_token(rsvp.expect(201));
    let petition = open_petition(&app, &token, json!({})).await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;
    let foreign = [("Origin", EVIL)];

    let cancel = submit_with(
        &app,
        &format!("/rsvps/{manage}"),
        &[("action", "cancel")],
        &foreign,
    )
    .await;
    let sign = submit_with(
        &app,
        &format!("/petitions/{}", slug_of(&petition)),
        &[("name", "Ben"), ("email", "ben@example.org")],
        &foreign,
    )
    .await;
    let donate = submit_with(
        &app,
        &format!("/fundraisers/{}", slug_of(&fundraiser)),
        &[
            ("amount", "2500"),
            ("frequency", "one_time"),
            ("name", "Carla"),
            ("email", "carla@example.org"),
        ],
        &foreign,
    )
    .await;

    for (what, page) in [("cancel", &cancel), ("sign", &sign), ("donate", &donate)] {
        assert_eq!(page.status, 403, "{what} from another site: {}", page.text);
    }
    let ana = attendee(&app, &token, &event, "ana@example.org")
        .await
        .expect("Ana");
    assert_eq!(ana["status"], "going", "cancelled from another site");
    assert!(signatures(&app, &token, &petition).await.is_empty());
    assert!(fake.sessions().is_empty(), "a checkout from another site");
}

#[tokio::test]
async fn one_click_unsubscribe_needs_no_origin() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let ana = crate::emails::reminded(&app, &token, "ana@example.org").await;
    let ben = crate::emails::reminded(&app, &token, "ben@example.org").await;
    let one_click = [("List-Unsubscribe", "One-Click")];

    let from_a_mail_server = submit_with(&app, &path_of(&ana), &one_click, &[]).await;
    let from_webmail = submit_with(
        &app,
        &path_of(&ben),
        &one_click,
        &[("Origin", "https://mail.example")],
    )
    .await;

    from_a_mail_server.expect_html(200);
    from_webmail.expect_html(200);
    for email in ["ana@example.org", "ben@example.org"] {
        let found = items(
            app.get_with_query("/api/v1/supporters", Some(&token), &[("email", email)])
                .await
                .expect(200),
        );
        assert!(
            found[0]["unsubscribed_at"].is_string(),
            "{email} still subscribed: {found:?}"
        );
    }
}

/// The referrer policy a page sets for what is sent from it: its `<meta name="referrer">`,
/// else its `Referrer-Policy` header (the last policy named), else the browsers' default.
fn referrer_policy(page: &Page) -> String {
    const KNOWN: [&str; 8] = [
        "no-referrer",
        "no-referrer-when-downgrade",
        "same-origin",
        "origin",
        "strict-origin",
        "origin-when-cross-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    ];
    let meta = page
        .first("meta[name=\"referrer\"]")
        .and_then(|m| m.attr("content"))
        .map(str::to_owned);
    let header = page.header("referrer-policy").map(str::to_owned);
    meta.into_iter()
        .chain(header)
        .find_map(|policy| {
            policy
                .split(',')
                .map(|p| p.trim().to_ascii_lowercase())
                .rfind(|p| KNOWN.contains(&p.as_str()))
        })
        .unwrap_or_else(|| "strict-origin-when-cross-origin".to_owned())
}

/// The headers a browser sends when a form on `page` (at `path` of the app) is
/// submitted to the same site, as the Fetch standard has it: `Origin` is `null` under
/// `no-referrer`, and `Referer` follows the policy.
fn browser_headers(app: &TestApp, path: &str, page: &Page) -> Vec<(String, String)> {
    let policy = referrer_policy(page);
    let origin = if policy == "no-referrer" {
        "null".to_owned()
    } else {
        app.address.clone()
    };
    let mut headers = vec![
        ("Origin".to_owned(), origin),
        ("Sec-Fetch-Site".to_owned(), "same-origin".to_owned()),
        ("Sec-Fetch-Mode".to_owned(), "navigate".to_owned()),
    ];
    match policy.as_str() {
        "no-referrer" => {}
        "origin" | "strict-origin" => {
            headers.push(("Referer".to_owned(), format!("{}/", app.address)));
        }
        _ => headers.push(("Referer".to_owned(), app.url(path))),
    }
    headers
}

/// Open `path`, then post its form with `fields` and what a browser adds.
async fn post_from_the_page(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
    let page = open(app, path).await;
    page.expect_html(200);
    let headers = browser_headers(app, path, &page);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    submit_with(app, path, fields, &headers).await
}

#[track_caller]
fn assert_let_through(what: &str, page: &Page) {
    assert_eq!(
        page.status, 303,
        "{what}: a browser's post from our own page refused (the page's referrer policy \
         makes browsers send `Origin: null`?): {}",
        page.text
    );
}

#[tokio::test]
async fn a_browser_posting_a_pages_own_form_is_let_through() {
    let (app, fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    let petition = open_petition(&app, &token, json!({})).await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;

    let rsvp = post_from_the_page(
        &app,
        &format!("/events/{}", slug_of(&event)),
        &rsvp_fields("Ana", "ana@example.org", "0"),
    )
    .await;
    let sign = post_from_the_page(
        &app,
        &format!("/petitions/{}", slug_of(&petition)),
        &[("name", "Ben"), ("email", "ben@example.org")],
    )
    .await;
    let donate = post_from_the_page(
        &app,
        &format!("/fundraisers/{}", slug_of(&fundraiser)),
        &[
            ("amount", "2500"),
            ("frequency", "one_time"),
            ("name", "Carla"),
            ("email", "carla@example.org"),
        ],
    )
    .await;
    for (what, page) in [("RSVP", &rsvp), ("sign", &sign), ("donate", &donate)] {
        assert_let_through(what, page);
    }
    let manage = rsvp.location().to_owned();
    let manage = manage.split('?').next().unwrap_or_default().to_owned();
    let change = post_from_the_page(&app, &manage, &[("action", "change"), ("guests", "2")]).await;
    assert_let_through("change the RSVP", &change);
    app.deliver_emails().await;
    let confirm_link = confirmation_path(&app, "ben@example.org");
    let confirm = post_from_the_page(&app, &confirm_link, &[]).await;

    confirm.expect_html(200);
    assert_eq!(public_count(&app, &petition).await, 1);
    assert_eq!(fake.sessions().len(), 1);
    let ana = attendee(&app, &token, &event, "ana@example.org")
        .await
        .expect("Ana");
    assert_eq!(ana["guests"], 2);
}

// --- a petition's page ----------------------------------------------------------------------------

/// Affiliation not asked, postal code required, country and comment optional.
fn some_fields() -> Value {
    json!({ "fields": {
        "affiliation": "off",
        "postal_code": "required",
        "country": "optional",
        "comment": "optional",
    }})
}

#[tokio::test]
async fn a_petition_page_shows_its_count_progress_target_and_only_the_fields_asked_for() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(
        &app,
        &token,
        with(
            some_fields(),
            json!({ "require_confirmation": false, "goal": 50 }),
        ),
    )
    .await;
    for email in ["ana@example.org", "ben@example.org"] {
        api_sign(&app, &petition, email, json!({ "postal_code": "M5T 1N1" })).await;
    }

    let page = open(&app, &format!("/petitions/{}", slug_of(&petition))).await;

    page.expect_html(200);
    assert_eq!(page.h1(), "Stop the eviction of the Kensington tenants");
    let text = page.visible_text();
    assert!(text.contains("Toronto City Council"), "the target: {text}");
    assert!(
        text.contains("The landlord wants them out by March."),
        "{text}"
    );
    assert!(text.contains('2'), "the count: {text}");
    assert_eq!(page.progress(), (4.0, 100.0));
    assert!(!page.has_field("affiliation"), "a field that is off");
    assert!(
        page.field("postal_code").attr("required").is_some(),
        "{}",
        page.field("postal_code").html()
    );
    assert!(page.field("country").attr("required").is_none());
    assert!(page.field("comment").attr("required").is_none());
    for field in ["name", "email", "public", "subscribe"] {
        assert!(page.has_field(field), "no {field}");
    }
    let honeypot = page.field("website");
    assert_eq!(honeypot.attr("tabindex"), Some("-1"));
    assert_eq!(honeypot.attr("autocomplete"), Some("off"));
    let wrapper = honeypot
        .ancestors()
        .filter_map(ElementRef::wrap)
        .find(|e| {
            e.value()
                .has_class("hp", scraper::CaseSensitivity::CaseSensitive)
        })
        .expect("the honeypot inside .hp");
    assert_eq!(wrapper.attr("aria-hidden"), Some("true"));
}

#[tokio::test]
async fn signing_from_the_page_asks_the_signer_to_check_their_inbox() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({})).await;
    let path = format!("/petitions/{}", slug_of(&petition));

    let reply = submit(
        &app,
        &path,
        &[("name", "Ana Gómez"), ("email", "ana@example.org")],
    )
    .await;

    reply.expect(303);
    assert_eq!(reply.location(), format!("{path}?signed=pending"));
    let page = follow(&app, &reply).await;
    page.expect_html(200);
    assert!(
        page.visible_text().to_lowercase().contains("inbox"),
        "no check-your-inbox banner: {}",
        page.visible_text()
    );
    let plain = open(&app, &path).await;
    assert!(
        !plain.visible_text().to_lowercase().contains("inbox"),
        "the banner without signing"
    );
    app.deliver_emails().await;
    let confirm = confirmation_path(&app, "ana@example.org");
    assert!(confirm.starts_with("/signatures/confirm/"), "{confirm}");
    let signed = signatures(&app, &token, &petition).await;
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0]["status"], "pending");
    assert_eq!(signed[0]["name"], "Ana Gómez");
}

#[tokio::test]
async fn signing_a_petition_without_confirmation_counts_at_once() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({ "require_confirmation": false })).await;
    let path = format!("/petitions/{}", slug_of(&petition));

    let reply = submit(
        &app,
        &path,
        &[
            ("name", "Ana"),
            ("email", "ana@example.org"),
            ("public", "yes"),
        ],
    )
    .await;

    reply.expect(303);
    assert_eq!(reply.location(), format!("{path}?signed=confirmed"));
    assert_eq!(public_count(&app, &petition).await, 1);
    let page = follow(&app, &reply).await;
    page.expect_html(200);
    assert!(page.visible_text().contains("Ana"), "a public signer");
}

#[tokio::test]
async fn a_robot_filling_the_honeypot_is_thanked_and_ignored() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({})).await;
    let path = format!("/petitions/{}", slug_of(&petition));

    let reply = submit(
        &app,
        &path,
        &[
            ("name", "Robot"),
            ("email", "bot@example.org"),
            ("website", "http://spam.example"),
        ],
    )
    .await;

    reply.expect(303);
    let location = reply.location();
    assert!(
        location == format!("{path}?signed=pending")
            || location == format!("{path}?signed=confirmed"),
        "a robot can tell: {location}"
    );
    assert!(signatures(&app, &token, &petition).await.is_empty());
    assert_eq!(public_count(&app, &petition).await, 0);
    app.deliver_emails().await;
    assert!(app.smtp.all().is_empty(), "an email to a robot's address");
}

#[tokio::test]
async fn a_signature_missing_what_is_required_comes_back_with_the_values_kept() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, some_fields()).await;

    let page = submit(
        &app,
        &format!("/petitions/{}", slug_of(&petition)),
        &[
            ("name", ""),
            ("email", "ana@example.org"),
            ("postal_code", ""),
            ("country", "CA"),
            ("comment", "Housing is a right"),
            ("public", "yes"),
        ],
    )
    .await;

    page.expect_html(422);
    assert_eq!(page.value_of("email"), "ana@example.org");
    assert_eq!(page.value_of("comment"), "Housing is a right");
    assert!(
        page.field("public").attr("checked").is_some(),
        "the box ticked stays ticked"
    );
    for field in ["name", "postal_code"] {
        let input = page.field(field);
        assert_eq!(input.attr("aria-invalid"), Some("true"), "{}", input.html());
        let error = page.one(&format!("#{field}-error"));
        assert!(
            error
                .value()
                .has_class("field-error", scraper::CaseSensitivity::CaseSensitive)
        );
        assert_eq!(next_element(input).map(|e| e.html()), Some(error.html()));
    }
    assert!(signatures(&app, &token, &petition).await.is_empty());
}

#[tokio::test]
async fn signing_too_often_from_the_page_is_told_when_to_come_back() {
    let app = spawn_app_with_limits(2, 1000).await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({})).await;
    let path = format!("/petitions/{}", slug_of(&petition));
    for email in ["ana@example.org", "ben@example.org"] {
        submit(&app, &path, &[("name", "Someone"), ("email", email)])
            .await
            .expect(303);
    }

    let page = submit(
        &app,
        &path,
        &[("name", "Carla"), ("email", "carla@example.org")],
    )
    .await;

    page.expect_html(429);
    let retry_after: u64 = page
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no whole-seconds Retry-After: {:?}", page.headers));
    assert!(retry_after >= 1, "Retry-After: {retry_after}");
    page.one(".form-error");
    assert_eq!(page.value_of("email"), "carla@example.org");
    assert_eq!(signatures(&app, &token, &petition).await.len(), 2);
}

#[tokio::test]
async fn a_closed_petition_takes_no_signature_from_the_page() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({})).await;
    app.post_json(
        &format!("/api/v1/petitions/{}/close", id_of(&petition)),
        &token,
        &json!({}),
    )
    .await
    .expect(200);

    let page = submit(
        &app,
        &format!("/petitions/{}", slug_of(&petition)),
        &[("name", "Ana"), ("email", "ana@example.org")],
    )
    .await;

    page.expect_html(409);
    page.one(".form-error");
    assert!(signatures(&app, &token, &petition).await.is_empty());
}

// --- a fundraiser's page ----------------------------------------------------------------------------

#[tokio::test]
async fn a_fundraiser_page_shows_progress_and_suggested_amounts() {
    let (app, _fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;
    cash_gift(&app, &token, &fundraiser).await;

    let page = open(&app, &format!("/fundraisers/{}", slug_of(&fundraiser))).await;

    page.expect_html(200);
    assert_eq!(page.h1(), "Kensington tenants' legal fund");
    let text = page.visible_text();
    assert!(text.contains("25.00 GBP"), "raised: {text}");
    assert!(text.contains("100.00 GBP"), "the goal: {text}");
    assert_eq!(page.progress(), (25.0, 100.0));
    let radios: Vec<&str> = page
        .all("input[type=\"radio\"][name=\"amount\"]")
        .into_iter()
        .filter_map(|r| r.attr("value"))
        .collect();
    assert_eq!(radios, ["1000", "2500", "5000", "10000", "other"]);
    for field in [
        "other_amount",
        "frequency",
        "name",
        "email",
        "anonymous",
        "message",
    ] {
        assert!(page.has_field(field), "no {field}");
    }
}

#[tokio::test]
async fn donating_a_suggested_amount_sends_the_donor_to_checkout() {
    let (app, fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;

    let reply = submit(
        &app,
        &format!("/fundraisers/{}", slug_of(&fundraiser)),
        &[
            ("amount", "2500"),
            ("other_amount", ""),
            ("frequency", "one_time"),
            ("name", "Ana Gómez"),
            ("email", "ana@example.org"),
            ("message", "Solidarity"),
        ],
    )
    .await;

    reply.expect(303);
    let sessions = fake.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(reply.location(), sessions[0].url());
    let form = &sessions[0].form;
    assert_eq!(form.field("line_items[0][price_data][unit_amount]"), "2500");
    assert_eq!(form.field("line_items[0][price_data][currency]"), "gbp");
    assert_eq!(form.field("mode"), "payment");
    assert_eq!(form.field("customer_email"), "ana@example.org");
    let gifts = donations(&app, &token, &fundraiser).await;
    assert_eq!(gifts.len(), 1);
    assert_eq!(gifts[0]["status"], "pending");
    assert_eq!(gifts[0]["donor_name"], "Ana Gómez");
    assert_eq!(gifts[0]["message"], "Solidarity");
}

#[tokio::test]
async fn another_amount_is_read_in_pounds_and_pence() {
    let (app, fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;

    let reply = submit(
        &app,
        &format!("/fundraisers/{}", slug_of(&fundraiser)),
        &[
            ("amount", "other"),
            ("other_amount", "12.50"),
            ("frequency", "monthly"),
            ("name", "Ana"),
            ("email", "ana@example.org"),
        ],
    )
    .await;

    reply.expect(303);
    let sessions = fake.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        sessions[0]
            .form
            .field("line_items[0][price_data][unit_amount]"),
        "1250"
    );
    assert_eq!(sessions[0].form.field("mode"), "subscription");
}

#[tokio::test]
async fn an_amount_that_is_not_a_number_comes_back_next_to_the_field() {
    let (app, fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;

    let page = submit(
        &app,
        &format!("/fundraisers/{}", slug_of(&fundraiser)),
        &[
            ("amount", "other"),
            ("other_amount", "abc"),
            ("frequency", "one_time"),
            ("name", "Ana Gómez"),
            ("email", "ana@example.org"),
            ("anonymous", "yes"),
        ],
    )
    .await;

    page.expect_html(422);
    let input = page.field("other_amount");
    assert_eq!(input.attr("value"), Some("abc"));
    assert_eq!(input.attr("aria-invalid"), Some("true"));
    assert_eq!(input.attr("aria-describedby"), Some("other_amount-error"));
    let error = page.one(".field-error");
    assert_eq!(error.attr("id"), Some("other_amount-error"));
    assert_eq!(next_element(input).map(|e| e.html()), Some(error.html()));
    assert_eq!(page.value_of("name"), "Ana Gómez");
    assert_eq!(page.value_of("email"), "ana@example.org");
    assert!(page.field("anonymous").attr("checked").is_some());
    let other = page
        .all("input[type=\"radio\"][name=\"amount\"][value=\"other\"]")
        .into_iter()
        .next()
        .expect("the other-amount radio");
    assert!(other.attr("checked").is_some(), "the choice is kept");
    assert!(fake.sessions().is_empty());
    assert!(donations(&app, &token, &fundraiser).await.is_empty());
}

#[tokio::test]
async fn without_stripe_the_page_takes_no_gifts_and_says_so() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;
    let path = format!("/fundraisers/{}", slug_of(&fundraiser));

    let page = open(&app, &path).await;
    let refused = submit(
        &app,
        &path,
        &[
            ("amount", "2500"),
            ("frequency", "one_time"),
            ("name", "Ana"),
            ("email", "ana@example.org"),
        ],
    )
    .await;

    page.expect_html(200);
    assert_eq!(page.h1(), "Kensington tenants' legal fund");
    assert!(
        !page.has_field("amount"),
        "a donate form with nowhere to send it"
    );
    assert!(page.all("form[method=\"post\"]").is_empty());
    refused.expect_html(503);
    refused.one(".form-error");
    assert!(donations(&app, &token, &fundraiser).await.is_empty());
}

// --- Markdown, sanitised ----------------------------------------------------------------------------

const HOSTILE_MARKDOWN: &str = "Come **bold** and [read the report](https://example.org/report).\n\n\
<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n";

/// The Markdown rendered (bold, the link) and nothing that runs: no script but the
/// JSON-LD, no event handler, no `javascript:` URL; and none of the hostile text left
/// anywhere in the page (a preview's description included).
#[track_caller]
fn assert_rendered_and_harmless(path: &str, page: &Page) {
    page.expect_html(200);
    assert!(
        page.all("strong").iter().any(|s| text_of(*s) == "bold"),
        "{path}: no <strong>bold</strong>: {}",
        page.text
    );
    assert!(
        page.links_to(|h| h == "https://example.org/report"),
        "{path}: the link is lost: {:?}",
        page.hrefs()
    );
    for script in page.all("script") {
        assert_eq!(
            script.attr("type"),
            Some("application/ld+json"),
            "{path}: a script that runs: {}",
            script.html()
        );
    }
    for element in page.all("*") {
        for (name, value) in element.value().attrs() {
            let name = name.to_lowercase();
            assert!(
                !name.starts_with("on"),
                "{path}: an event handler: {}",
                element.html()
            );
            if matches!(
                name.as_str(),
                "href" | "src" | "action" | "formaction" | "srcset"
            ) {
                assert!(
                    !value.trim().to_lowercase().starts_with("javascript:"),
                    "{path}: a javascript: URL: {}",
                    element.html()
                );
            }
        }
    }
    let lower = page.text.to_lowercase();
    let scripts = lower.matches("<script").count();
    let data = lower
        .matches("<script type=\"application/ld+json\">")
        .count();
    assert_eq!(
        scripts, data,
        "{path}: a <script> beside the JSON-LD: {}",
        page.text
    );
    for hostile in ["onerror", "javascript:"] {
        let lines: Vec<&str> = page
            .text
            .lines()
            .filter(|l| l.to_lowercase().contains(hostile))
            .collect();
        assert!(
            lines.is_empty(),
            "{path}: {hostile:?} left in the page's text: {lines:#?}"
        );
    }
}

#[tokio::test]
async fn markdown_from_organisers_is_rendered_and_nothing_in_it_runs() {
    let (app, _fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(
        &app,
        &token,
        "Film night",
        json!({ "description": HOSTILE_MARKDOWN }),
    )
    .await;
    let petition = open_petition(&app, &token, json!({ "body": HOSTILE_MARKDOWN })).await;
    let fundraiser =
        open_fundraiser(&app, &token, json!({ "description": HOSTILE_MARKDOWN })).await;

    for path in [
        format!("/events/{}", slug_of(&event)),
        format!("/petitions/{}", slug_of(&petition)),
        format!("/fundraisers/{}", slug_of(&fundraiser)),
    ] {
        let page = open(&app, &path).await;
        assert_rendered_and_harmless(&path, &page);
    }
}

#[tokio::test]
async fn a_signers_comment_is_shown_as_text() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(
        &app,
        &token,
        json!({ "require_confirmation": false, "fields": { "comment": "optional" } }),
    )
    .await;
    api_sign(
        &app,
        &petition,
        "ana@example.org",
        json!({ "public": true, "comment": "<script>alert(1)</script> <b onmouseover=alert(2)>hi</b>" }),
    )
    .await;

    let page = open(&app, &format!("/petitions/{}", slug_of(&petition))).await;

    page.expect_html(200);
    assert!(
        page.visible_text().contains("<script>alert(1)</script>"),
        "the comment, as written: {}",
        page.visible_text()
    );
    assert!(
        page.all("script")
            .iter()
            .all(|s| s.attr("type") == Some("application/ld+json"))
    );
    assert!(page.all("[onmouseover]").is_empty(), "{}", page.text);
}

// --- previews: Open Graph, Twitter, JSON-LD ------------------------------------------------------

#[tokio::test]
async fn every_public_page_has_open_graph_and_twitter_card_tags() {
    let (app, _fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    let petition = open_petition(&app, &token, json!({})).await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;
    let pages = [
        ("/".to_owned(), None),
        (format!("/events/{}", slug_of(&event)), Some("Film night")),
        (
            format!("/petitions/{}", slug_of(&petition)),
            Some("Stop the eviction of the Kensington tenants"),
        ),
        (
            format!("/fundraisers/{}", slug_of(&fundraiser)),
            Some("Kensington tenants' legal fund"),
        ),
    ];

    for (path, title) in pages {
        let page = open(&app, &path).await;
        page.expect_html(200);
        for key in ["og:title", "og:description", "og:url", "twitter:card"] {
            let content = page.meta(key).unwrap_or_default();
            assert!(
                !content.trim().is_empty(),
                "{path}: no {key}: {}",
                page.text
            );
        }
        let url = page.meta("og:url").unwrap_or_default();
        assert_eq!(
            url.trim_end_matches('/'),
            format!("{PUBLIC_URL}{path}").trim_end_matches('/'),
            "{path}: og:url"
        );
        let canonical = page.one("link[rel=\"canonical\"]");
        assert_eq!(canonical.attr("href"), Some(url.as_str()), "{path}");
        if let Some(title) = title {
            assert_eq!(page.meta("og:title").as_deref(), Some(title), "{path}");
        }
    }
}

#[tokio::test]
async fn an_event_page_describes_the_event_for_search_engines() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let winter = hall_event(&app, &token, "Film night", json!({})).await;
    let summer = hall_event(
        &app,
        &token,
        "Picnic in the park",
        json!({ "kind": "social", "starts_at": "2038-07-10T12:00", "ends_at": "2038-07-10T15:00" }),
    )
    .await;

    let page = open(&app, &format!("/events/{}", slug_of(&winter))).await;
    let summer = open(&app, &format!("/events/{}", slug_of(&summer))).await;

    page.expect_html(200);
    let data = page.json_ld();
    assert_eq!(data.len(), 1, "{data:?}");
    let event = &data[0];
    assert_eq!(event["@type"], "Event", "{event}");
    assert_eq!(event["name"], "Film night");
    let start = event["startDate"].as_str().expect("a startDate");
    assert!(
        start.starts_with("2038-02-10T19:00") && start.ends_with("-05:00"),
        "the start with Toronto's winter offset: {start}"
    );
    assert!(!event["location"].is_null(), "{event}");
    assert!(
        event["location"].to_string().contains("Steelworkers Hall"),
        "{event}"
    );
    assert_eq!(event["eventStatus"], "https://schema.org/EventScheduled");
    let start = summer.json_ld()[0]["startDate"]
        .as_str()
        .expect("a startDate")
        .to_owned();
    assert!(
        start.starts_with("2038-07-10T12:00") && start.ends_with("-04:00"),
        "the start with Toronto's summer offset: {start}"
    );
}

#[tokio::test]
async fn a_cancelled_events_data_says_it_is_cancelled() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    app.cancel(&token, id_of(&event), "The hall flooded")
        .await
        .expect(200);

    let page = open(&app, &format!("/events/{}", slug_of(&event))).await;

    assert_eq!(
        page.json_ld()[0]["eventStatus"],
        "https://schema.org/EventCancelled"
    );
}

#[tokio::test]
async fn a_title_cannot_break_out_of_the_json_ld() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    // `</script>` would end the element; `<!--<script>` would make the parser skip the
    // real `</script>` (the "double escaped" state) and swallow the rest of the page.
    let title = "Film night</script><script>alert(1)</script> <!--<script>";
    let event = hall_event(&app, &token, title, json!({})).await;

    let page = open(&app, &format!("/events/{}", slug_of(&event))).await;

    page.expect_html(200);
    let scripts = page.all("script");
    assert_eq!(scripts.len(), 1, "{}", page.text);
    let data = page.json_ld();
    assert_eq!(data[0]["name"], title);
    assert_eq!(page.h1(), title);
}

// --- light pages ---------------------------------------------------------------------------------------

/// One stylesheet, ours; no script, font or anything else fetched from elsewhere.
#[track_caller]
fn assert_light(path: &str, page: &Page) {
    assert!(
        page.all("script[src]").is_empty(),
        "{path}: a script fetched: {}",
        page.text
    );
    assert!(page.all("iframe").is_empty(), "{path}: an iframe");
    let stylesheets = page.all("link[rel~=\"stylesheet\"]");
    assert_eq!(stylesheets.len(), 1, "{path}: {}", page.text);
    let href = stylesheets[0].attr("href").unwrap_or_default();
    assert!(
        href == "/assets/turnout.css" || href.starts_with("/assets/turnout.css?"),
        "{path}: the stylesheet is {href}"
    );
    for link in page.all("link[href]") {
        let rel = link.attr("rel").unwrap_or_default();
        let href = link.attr("href").unwrap_or_default();
        if rel == "canonical" || rel == "alternate" {
            continue;
        }
        assert!(
            !href.starts_with("http:") && !href.starts_with("https:") && !href.starts_with("//"),
            "{path}: fetched from elsewhere: {}",
            link.html()
        );
    }
    for element in page.all("img[src], source[src], video[src], audio[src]") {
        let src = element.attr("src").unwrap_or_default();
        assert!(
            !src.starts_with("http") && !src.starts_with("//"),
            "{path}: a tracker? {}",
            element.html()
        );
    }
    for style in page.all("style") {
        let css: String = style.text().collect();
        assert!(
            !css.contains("@import") && !css.contains("url("),
            "{path}: inline CSS fetching: {css}"
        );
    }
    let viewport = page
        .first("meta[name=\"viewport\"]")
        .and_then(|m| m.attr("content"))
        .unwrap_or_default();
    assert!(
        viewport.contains("width=device-width"),
        "{path}: not sized for a phone: {viewport:?}"
    );
}

#[tokio::test]
async fn every_page_is_light() {
    let (app, _fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    let rsvp = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    let manage = manage_token(rsvp.expect(201));
    let petition = open_petition(&app, &token, json!({})).await;
    api_sign(&app, &petition, "ben@example.org", json!({})).await;
    app.deliver_emails().await;
    let confirm = confirmation_path(&app, "ben@example.org");
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;

    for path in [
        "/".to_owned(),
        format!("/events/{}", slug_of(&event)),
        format!("/petitions/{}", slug_of(&petition)),
        format!("/fundraisers/{}", slug_of(&fundraiser)),
        format!("/rsvps/{manage}"),
        confirm,
        "/events/no-such-event".to_owned(),
    ] {
        let page = open(&app, &path).await;
        assert!(
            page.status == 200 || page.status == 404,
            "{path}: {}",
            page.status
        );
        assert_light(&path, &page);
    }
}

#[tokio::test]
async fn the_stylesheet_is_small_cacheable_and_self_contained() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(app.url("/assets/turnout.css"))
        .send()
        .await
        .expect("the app answers");

    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let content_type = header("content-type");
    let cache = header("cache-control");
    assert!(content_type.starts_with("text/css"), "{content_type}");
    assert!(
        !cache.is_empty() && !cache.contains("no-store"),
        "not cacheable: {cache:?}"
    );
    let css = response.text().await.expect("a body");
    assert!(css.len() < 10 * 1024, "{} bytes", css.len());
    assert!(css.contains(":focus"), "no visible focus");
    assert!(
        !css.contains("http://") && !css.contains("https://") && !css.contains("@import"),
        "the stylesheet fetches from elsewhere"
    );
}

// --- accessibility basics ---------------------------------------------------------------------------

/// One `<h1>` first, headings never skipping a level down, and every field labelled
/// (its `id` its `name`, but for radio buttons, which share a name).
#[track_caller]
fn assert_accessible(path: &str, page: &Page) {
    assert!(!page.lang().is_empty(), "{path}: no lang");
    let levels: Vec<u32> = page
        .all("h1, h2, h3, h4, h5, h6")
        .into_iter()
        .map(|h| h.value().name()[1..].parse().unwrap_or(0))
        .collect();
    assert_eq!(levels.first(), Some(&1), "{path}: headings {levels:?}");
    assert_eq!(
        levels.iter().filter(|l| **l == 1).count(),
        1,
        "{path}: headings {levels:?}"
    );
    for pair in levels.windows(2) {
        assert!(
            pair[1] <= pair[0] + 1,
            "{path}: headings skip a level: {levels:?}"
        );
    }
    let mut ids = std::collections::HashSet::new();
    for field in page.all("input, select, textarea") {
        let kind = field.attr("type").unwrap_or("text");
        if matches!(kind, "hidden" | "submit" | "button" | "reset" | "image")
            || field.attr("name") == Some("website")
        {
            continue;
        }
        let id = field
            .attr("id")
            .unwrap_or_else(|| panic!("{path}: a field without an id: {}", field.html()));
        assert!(ids.insert(id.to_owned()), "{path}: the id {id} twice");
        if kind != "radio" {
            assert_eq!(field.attr("name"), Some(id), "{path}: {}", field.html());
        }
        let label = page
            .first(&format!("label[for=\"{id}\"]"))
            .unwrap_or_else(|| panic!("{path}: no label for {id}: {}", page.text));
        assert!(
            !text_of(label).is_empty(),
            "{path}: an empty label for {id}"
        );
    }
    for button in page.all("button") {
        assert!(
            !text_of(button).is_empty(),
            "{path}: a button without words"
        );
    }
}

#[tokio::test]
async fn every_page_has_one_title_headings_in_order_and_labelled_fields() {
    let (app, _fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    let petition = open_petition(
        &app,
        &token,
        json!({ "fields": {
            "affiliation": "optional",
            "postal_code": "optional",
            "country": "optional",
            "comment": "optional",
        }}),
    )
    .await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;
    let rsvp = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    let manage = manage_token(rsvp.expect(201));

    for path in [
        "/".to_owned(),
        format!("/events/{}", slug_of(&event)),
        format!("/petitions/{}", slug_of(&petition)),
        format!("/fundraisers/{}", slug_of(&fundraiser)),
        format!("/rsvps/{manage}"),
    ] {
        let page = open(&app, &path).await;
        page.expect_html(200);
        assert_accessible(&path, &page);
    }
    let path = format!("/events/{}", slug_of(&event));
    let invalid = submit(&app, &path, &rsvp_fields("", "not-an-address", "0")).await;
    invalid.expect_html(422);
    assert_accessible("the RSVP form with errors", &invalid);
    let honeypot = open(&app, &format!("/petitions/{}", slug_of(&petition))).await;
    assert!(
        honeypot.first("label[for=\"website\"]").is_some(),
        "the honeypot's label (\"Leave this empty\") for screen readers that reach it"
    );
}

/// Every 429 says when to come back: the RSVP and donation forms as the petition's.
#[tokio::test]
async fn rsvping_or_giving_too_often_from_a_page_is_told_when_to_come_back() {
    let app = spawn_app_configured(|config| {
        config.limits.rsvp = turnout::config::Quota::new(1, 1000);
        config.limits.sign = turnout::config::Quota::new(1, 1000);
    })
    .await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;
    let rsvp_path = format!("/events/{}", slug_of(&event));
    let give_path = format!("/fundraisers/{}", slug_of(&fundraiser));
    let gift = |email| {
        vec![
            ("amount", "2500"),
            ("frequency", "one_time"),
            ("name", "Carla"),
            ("email", email),
        ]
    };
    submit(
        &app,
        &rsvp_path,
        &rsvp_fields("Ana", "ana@example.org", "0"),
    )
    .await
    .expect(303);
    // The one gift a minute allowed (this server takes none online: no matter).
    submit(&app, &give_path, &gift("carla@example.org")).await;

    let rsvp = submit(
        &app,
        &rsvp_path,
        &rsvp_fields("Ben", "ben@example.org", "0"),
    )
    .await;
    let give = submit(&app, &give_path, &gift("dora@example.org")).await;

    for (what, page) in [("rsvp", &rsvp), ("give", &give)] {
        page.expect_html(429);
        let seconds: Option<u64> = page.header("retry-after").and_then(|v| v.parse().ok());
        assert!(
            seconds.is_some_and(|s| s >= 1),
            "{what}: {:?}",
            page.headers
        );
        page.one(".form-error");
    }
    assert_eq!(app.attendees(&token, id_of(&event)).await.len(), 1);
}

#[tokio::test]
async fn a_refused_signature_is_told_in_the_petitions_language_field_by_field() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(
        &app,
        &token,
        with(some_fields(), json!({ "language": "fr" })),
    )
    .await;

    let page = submit(
        &app,
        &format!("/petitions/{}", slug_of(&petition)),
        &[
            ("name", "Ana"),
            ("email", "not an address"),
            ("postal_code", " "),
            ("country", "ZZZ"),
        ],
    )
    .await;

    page.expect_html(422);
    let said = |field: &str| text_of(page.one(&format!("#{field}-error")));
    assert_eq!(said("postal_code").trim(), "Ce champ est obligatoire.");
    assert_eq!(
        said("email").trim(),
        "Saisissez une adresse e-mail comme nom@exemple.org."
    );
    assert_eq!(
        said("country").trim(),
        "Saisissez un code pays de deux lettres comme FR."
    );
    assert!(signatures(&app, &token, &petition).await.is_empty());
}

#[tokio::test]
async fn a_field_too_long_or_holding_a_control_character_is_told_in_the_pages_language() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(
        &app,
        &token,
        with(some_fields(), json!({ "language": "es" })),
    )
    .await;
    let long_name = "A".repeat(201);

    let page = submit(
        &app,
        &format!("/petitions/{}", slug_of(&petition)),
        &[
            ("name", long_name.as_str()),
            ("email", "ana@example.org"),
            ("postal_code", "28001"),
            ("country", "ES"),
            ("comment", "Solidaridad\u{7}"),
        ],
    )
    .await;

    page.expect_html(422);
    let said = |field: &str| text_of(page.one(&format!("#{field}-error")));
    assert_eq!(said("name").trim(), "Escribe como máximo 200 caracteres.");
    assert_eq!(
        said("comment").trim(),
        "Quita los caracteres de control invisibles de este campo."
    );
    assert!(signatures(&app, &token, &petition).await.is_empty());
}
