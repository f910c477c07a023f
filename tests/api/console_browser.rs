//! The organiser console in a real browser (headless Chromium, as in `browser.rs`):
//! the organiser's day walked through its pages, every console page checked with
//! axe-core (no `serious` or `critical` violation), and a screenshot of each at a
//! phone's and a desktop's width into `target/screenshots/console/`.
//!
//! axe-core comes from npm, installed once under `target/axe/` (`npm install --prefix
//! target/axe axe-core@4`). Without npm, or without Chromium, these tests say they skip
//! and pass, unless `TURNOUT_BROWSER_TESTS=required`, when they fail.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    sync::OnceLock,
};

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::browser::{Browser, HEIGHT, WIDTH, say, screenshot_dir, submit_of_form_with};
use crate::console::{PASSWORD, set_password};
use crate::helpers::*;

/// A desktop's window.
const DESKTOP: (u32, u32) = (1280, 900);

fn required() -> bool {
    std::env::var("TURNOUT_BROWSER_TESTS").as_deref() == Ok("required")
}

/// Where the build keeps its files: `target/` (or `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    screenshot_dir()
        .parent()
        .map(PathBuf::from)
        .expect("the target directory")
}

// --- axe-core -----------------------------------------------------------------------------------

/// axe-core's script, installed with npm the first time; `None` (after saying so) when
/// npm is missing or cannot reach its registry, unless `TURNOUT_BROWSER_TESTS=required`.
pub(crate) fn axe_source() -> Option<&'static str> {
    static SOURCE: OnceLock<Result<String, String>> = OnceLock::new();
    let source = SOURCE.get_or_init(|| {
        let prefix = target_dir().join("axe");
        let script = prefix.join("node_modules/axe-core/axe.min.js");
        if !script.is_file() {
            std::fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
            let installed = Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--fetch-retries=1",
                    "--fetch-timeout=30000",
                    "--prefix",
                ])
                .arg(&prefix)
                .arg("axe-core@4")
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("npm does not run ({e}): install Node.js and npm"))?;
            if !installed.status.success() {
                return Err(format!(
                    "npm install axe-core@4 failed: {}",
                    String::from_utf8_lossy(&installed.stderr)
                ));
            }
        }
        std::fs::read_to_string(&script).map_err(|e| format!("{}: {e}", script.display()))
    });
    match source {
        Ok(source) => Some(source),
        Err(why) if required() => panic!("TURNOUT_BROWSER_TESTS=required, but {why}"),
        Err(why) => {
            say(&format!("skipping the axe-core checks: {why}"));
            None
        }
    }
}

/// axe-core's `serious` and `critical` violations on the page in the browser, one line
/// each with the elements at fault.
async fn violations(browser: &Browser, axe: &str) -> Vec<String> {
    browser
        .client
        .execute(&format!("{axe}\n;return typeof window.axe;"), vec![])
        .await
        .expect("axe-core loads into the page");
    let found = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(n => ({ target: n.target.join(' '),
                     summary: n.failureSummary })) }))))
               .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    found
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|n| {
                    format!(
                        "\n      {}: {}",
                        n["target"].as_str().unwrap_or(""),
                        n["summary"].as_str().unwrap_or("").replace('\n', " ")
                    )
                })
                .collect();
            format!(
                "{} ({}): {}{}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                nodes.concat()
            )
        })
        .collect()
}

// --- screenshots --------------------------------------------------------------------------------

/// A full-page screenshot at `width`, into `target/screenshots/console/{name}.png`; the
/// window goes back to a phone's after.
async fn screenshot_at(browser: &Browser, width: u32, height: u32, name: &str) {
    let client = &browser.client;
    client
        .set_window_size(width, height)
        .await
        .expect("the window takes the width");
    let mut grown = height;
    for _ in 0..4 {
        let sizes = client
            .execute(
                "return [document.documentElement.scrollHeight, window.innerHeight];",
                vec![],
            )
            .await
            .expect("the page's height");
        let number = |v: &Value| u32::try_from(v.as_u64().unwrap_or(0)).unwrap_or(0);
        let (page, viewport) = (number(&sizes[0]), number(&sizes[1]));
        if viewport >= page || grown >= 12_000 {
            break;
        }
        grown = (grown + page - viewport).min(12_000);
        client
            .set_window_size(width, grown)
            .await
            .expect("the window grows to the page");
    }
    let png = client.screenshot().await.expect("a screenshot");
    client
        .set_window_size(WIDTH, HEIGHT)
        .await
        .expect("the window goes back to a phone's");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let dir = screenshot_dir().join("console");
    std::fs::create_dir_all(&dir).expect("the screenshot directory");
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).expect("the screenshot is written");
    say(&format!("screenshot: {}", path.display()));
}

/// The page in the browser, photographed at both widths and checked with axe-core
/// (when there is axe); the problems found, named by page.
pub(crate) async fn look_at(browser: &Browser, axe: Option<&str>, name: &str) -> Vec<String> {
    screenshot_at(browser, WIDTH, HEIGHT, &format!("{name}-phone")).await;
    screenshot_at(browser, DESKTOP.0, DESKTOP.1, &format!("{name}-desktop")).await;
    let Some(axe) = axe else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (width, height) in [(WIDTH, HEIGHT), DESKTOP] {
        browser
            .client
            .set_window_size(width, height)
            .await
            .expect("the window takes the width");
        for v in violations(browser, axe).await {
            let line = format!("{name}: {v}");
            if !found.contains(&line) {
                found.push(line);
            }
        }
    }
    browser
        .client
        .set_window_size(WIDTH, HEIGHT)
        .await
        .expect("the window goes back to a phone's");
    found
}

// --- doing things in the browser ----------------------------------------------------------------

/// Set a field's value as a script does: for a `<select>` or a `datetime-local` input,
/// whose typing differs from browser to browser.
async fn set_value(browser: &Browser, id: &str, value: &str) {
    browser.find(Locator::Id(id)).await;
    browser
        .client
        .execute(
            "const field = document.getElementById(arguments[0]);
             field.value = arguments[1];
             field.dispatchEvent(new Event('change', { bubbles: true }));
             return field.value;",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap_or_else(|e| panic!("setting #{id}: {e}"));
}

/// Click the submit button of the form posting to a path ending in `action`.
async fn press(browser: &Browser, action: &str) {
    browser
        .click(&format!(
            "//form[substring(@action, string-length(@action) - string-length('{action}') + 1) = '{action}']//button[@type='submit']"
        ))
        .await;
}

/// The id in an event's console address, `/admin/{org}/events/{id}`.
fn event_id(url: &url::Url) -> String {
    url.path()
        .rsplit('/')
        .next()
        .expect("an id in the address")
        .to_owned()
}

/// The event's page after its form was sent: its id.
async fn landed_on_event(browser: &Browser, org: &str) -> String {
    let prefix = format!("/admin/{org}/events/");
    let url = browser
        .wait_for_url("the event's page", |u| {
            u.path().starts_with(&prefix) && !u.path().ends_with("/new")
        })
        .await;
    event_id(&url)
}

/// Fill the new-event form: a kind, a title, tomorrow evening in the organisation's zone.
async fn fill_event(browser: &Browser, kind: &str, title: &str, day: &str) {
    set_value(browser, "kind", kind).await;
    browser.fill("title", title).await;
    set_value(browser, "starts_at", &format!("{day}T18:30")).await;
    set_value(browser, "ends_at", &format!("{day}T21:00")).await;
    browser
        .fill("location.venue", "Trinity-St. Paul's Centre")
        .await;
}

/// A day some weeks ahead, as `datetime-local` wants it.
fn a_day_ahead(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// A supporter RSVPs on the public page: the manage page they land on.
async fn rsvp_in_browser(browser: &Browser, app: &TestApp, slug: &str, name: &str, email: &str) {
    browser.goto(&app.url(&format!("/events/{slug}"))).await;
    browser.fill("name", name).await;
    browser.fill("email", email).await;
    browser.click(&submit_of_form_with("email")).await;
    browser
        .wait_for_url("the manage page", |u| u.path().starts_with("/rsvps/"))
        .await;
}

// --- the organiser's day ------------------------------------------------------------------------

#[tokio::test]
async fn an_organiser_sets_up_turnout_and_runs_an_event_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;

    // First run: the setup form, then the dashboard, signed in.
    browser.goto(&app.url("/admin/setup")).await;
    browser.wait_for("Set up Turnout").await;
    browser
        .fill("org_name", "Toronto Venezuela Solidarity")
        .await;
    browser.fill("org_slug", "tvs").await;
    set_value(&browser, "timezone", "America/Toronto").await;
    browser.fill("email", "ana@example.org").await;
    browser.fill("password", PASSWORD).await;
    browser.click(&submit_of_form_with("org_slug")).await;
    browser
        .wait_for_url("the dashboard", |u| u.path() == "/admin")
        .await;
    browser.wait_for("Toronto Venezuela Solidarity").await;
    let token = token_of(&app.login("ana@example.org", PASSWORD).await);

    // A screening, from the events list's new-event form.
    browser.goto(&app.url("/admin/tvs/events/new")).await;
    fill_event(
        &browser,
        "screening",
        "Film night: La Revolución",
        &a_day_ahead(20),
    )
    .await;
    browser.click(&submit_of_form_with("title")).await;
    let screening = landed_on_event(&browser, "tvs").await;
    browser.wait_for("Film night: La Revolución").await;

    // Its workshop, through the link on its page.
    browser
        .click("//a[contains(@href, '/events/new?parent=')][contains(., 'Add a workshop')]")
        .await;
    browser.wait_for("Film night: La Revolución").await;
    fill_event(&browser, "workshop", "Making a banner", &a_day_ahead(20)).await;
    set_value(&browser, "rsvp_mode", "approval").await;
    browser.fill("capacity", "12").await;
    browser.click(&submit_of_form_with("title")).await;
    let workshop = landed_on_event(&browser, "tvs").await;
    assert_ne!(workshop, screening);
    let shown = app.event(&token, &workshop).await;
    assert_eq!(shown["parent_id"], screening.as_str(), "{shown}");
    assert_eq!(shown["rsvp_mode"], "approval", "{shown}");
    assert_eq!(shown["kind"], "workshop", "{shown}");

    // Publish both: the screening's page shows its workshop.
    for id in [&workshop, &screening] {
        browser
            .goto(&app.url(&format!("/admin/tvs/events/{id}")))
            .await;
        press(&browser, &format!("/events/{id}/publish")).await;
        browser.wait_for("Published: supporters can see it").await;
    }
    let text = browser.text().await;
    assert!(text.contains("Making a banner"), "{text}");

    // A supporter RSVPs to the screening; another applies for the workshop.
    let screening_event = app.event(&token, &screening).await;
    let workshop_event = app.event(&token, &workshop).await;
    rsvp_in_browser(
        &browser,
        &app,
        screening_event["slug"].as_str().unwrap(),
        "Luis Pérez",
        "luis@example.org",
    )
    .await;
    browser.wait_for("You're going").await;
    rsvp_in_browser(
        &browser,
        &app,
        workshop_event["slug"].as_str().unwrap(),
        "Marta Ruiz",
        "marta@example.org",
    )
    .await;
    browser.wait_for("Your request was sent").await;

    // The organiser approves her on the workshop's attendees page.
    browser
        .goto(&app.url(&format!("/admin/tvs/events/{workshop}/attendees")))
        .await;
    browser.wait_for("Marta Ruiz").await;
    browser
        .click("//button[@name='one' and starts-with(@value, 'approve:')]")
        .await;
    browser
        .wait_for("Approved. They have been told by email.")
        .await;
    let marta = app
        .attendees(&token, &workshop)
        .await
        .into_iter()
        .find(|a| a["email"] == "marta@example.org")
        .expect("Marta on the list");
    assert_eq!(marta["status"], "going", "{marta}");
    browser
        .goto(&app.url(&format!("/admin/tvs/events/{workshop}")))
        .await;
    let text = browser.wait_for("Going").await;
    assert!(text.contains("1 / 12"), "one going of twelve:\n{text}");

    // At the door, on a phone: Luis arrives.
    browser
        .goto(&app.url(&format!("/admin/tvs/events/{screening}")))
        .await;
    browser
        .click("//a[substring(@href, string-length(@href) - 4) = '/door']")
        .await;
    browser.wait_for("0 arrived of 1 expected").await;
    check_in_at_door(&browser, "Luis").await;
    let luis = app
        .attendees(&token, &screening)
        .await
        .into_iter()
        .find(|a| a["email"] == "luis@example.org")
        .expect("Luis on the list");
    assert!(luis["checked_in_at"].is_string(), "{luis}");

    // Rain: the screening is cancelled, with the reason its page shows.
    browser
        .goto(&app.url(&format!("/admin/tvs/events/{screening}")))
        .await;
    browser
        .fill("reason", "The hall flooded; we will find another date.")
        .await;
    press(&browser, &format!("/events/{screening}/cancel")).await;
    browser.wait_for("Cancelled: everyone who RSVPed").await;
    browser
        .wait_for("Cancelled: The hall flooded; we will find another date.")
        .await;
    let cancelled = app.event(&token, &screening).await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    browser.finish().await;
}

#[tokio::test]
async fn an_organiser_signs_in_with_the_one_time_link_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    app.owner_of("circle").await;
    let path = app.sign_in_path("owner@circle.example.org").await;

    browser.goto(&app.url(&path)).await;
    browser.wait_for("owner@circle.example.org").await;
    browser.click("//form//button[@type='submit']").await;
    browser
        .wait_for_url("the dashboard", |u| u.path() == "/admin")
        .await;
    browser.wait_for("The circle group").await;

    // Used once: the link is gone, the session stays.
    browser.goto(&app.url(&path)).await;
    let text = browser.text().await;
    assert!(!text.contains("owner@circle.example.org"), "{text}");
    browser.goto(&app.url("/admin/circle/events")).await;
    browser.wait_for("The circle group").await;
    browser.finish().await;
}

/// Find someone at the door by name and check them in, as on a phone.
async fn check_in_at_door(browser: &Browser, name: &str) {
    browser.fill("q", &name.to_lowercase()).await;
    browser.click(&submit_of_form_with("q")).await;
    browser
        .wait_for_url("the search", |u| {
            u.query().is_some_and(|q| q.contains("q="))
        })
        .await;
    browser.wait_for(name).await;
    browser
        .click(&format!(
            "//li[contains(., '{name}')]//form[contains(@action, '/door/check-in')]//button"
        ))
        .await;
    browser.wait_for("Checked in.").await;
}

/// At the door on a phone: the organiser checks people in as they come, undoes a
/// mistake, and adds a walk-in.
#[tokio::test]
async fn at_the_door_on_a_phone() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    app.owner_of("circle").await;
    set_password(&app, "owner@circle.example.org").await;
    let token = token_of(&app.login("owner@circle.example.org", PASSWORD).await);
    let event = app
        .published_event(
            &token,
            json!({
                "kind": "public_meeting",
                "title": "Tenants' assembly",
                "timezone": "America/Toronto",
                "starts_at": format!("{}T18:30:00", a_day_ahead(3)),
                "ends_at": format!("{}T20:30:00", a_day_ahead(3)),
                "location": { "venue": "Parkdale library" },
            }),
        )
        .await;
    for (name, email) in [
        ("Ana Gómez", "ana@example.org"),
        ("Bo Chen", "bo@example.org"),
    ] {
        app.rsvp(id_of(&event), email, json!({ "name": name }))
            .await
            .expect(201);
    }

    browser
        .client
        .set_window_size(WIDTH, HEIGHT)
        .await
        .expect("a phone's window");
    sign_in(&browser, &app, "owner@circle.example.org").await;
    browser
        .goto(&app.url(&format!("/admin/circle/events/{}/door", id_of(&event))))
        .await;
    browser.wait_for("0 arrived of 2 expected").await;
    check_in_at_door(&browser, "Ana Gómez").await;
    browser.wait_for("1 arrived of 2 expected").await;
    screenshot_at(&browser, WIDTH, HEIGHT, "door_checked_in-phone").await;

    // Bo was checked in by mistake: undone.
    check_in_at_door(&browser, "Bo Chen").await;
    browser.wait_for("2 arrived of 2 expected").await;
    browser
        .click("//li[contains(., 'Bo Chen')]//form[contains(@action, '/door/undo')]//button")
        .await;
    browser.wait_for("Check-in undone.").await;
    browser.wait_for("1 arrived of 2 expected").await;

    // Someone who did not RSVP comes in.
    browser.fill("name", "Dee Walker").await;
    browser.fill("email", "dee@example.org").await;
    browser.click(&submit_of_form_with("guests")).await;
    browser.wait_for("Added and checked in.").await;

    let attendees = app.attendees(&token, id_of(&event)).await;
    let arrived = |email: &str| {
        attendees
            .iter()
            .find(|a| a["email"] == email)
            .unwrap_or_else(|| panic!("{email} on the list: {attendees:?}"))["checked_in_at"]
            .is_string()
    };
    assert!(arrived("ana@example.org"));
    assert!(!arrived("bo@example.org"));
    assert!(arrived("dee@example.org"));
    browser.finish().await;
}

/// Sign in through the login form.
pub(crate) async fn sign_in(browser: &Browser, app: &TestApp, email: &str) {
    browser.goto(&app.url("/admin/login")).await;
    browser.fill("email", email).await;
    browser.fill("password", PASSWORD).await;
    browser.click(&submit_of_form_with("password")).await;
    browser
        .wait_for_url("the dashboard", |u| u.path() == "/admin")
        .await;
}

// --- every page: axe-core and screenshots -------------------------------------------------------

#[tokio::test]
async fn every_console_page_passes_axe_and_is_photographed() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let axe = axe_source();
    let app = spawn_app().await;
    let mut found = Vec::new();

    // Before anyone is in: setup (only while there is no organisation), the password
    // reset, the login.
    browser.goto(&app.url("/admin/setup")).await;
    browser.find(Locator::Id("org_name")).await;
    found.extend(look_at(&browser, axe, "setup").await);
    browser.click(&submit_of_form_with("org_slug")).await;
    browser.find(Locator::Css("form")).await;
    // The browser's own checks stop an empty form; the server's errors show when
    // they pass and the server refuses.
    browser.fill("org_name", "Circle").await;
    browser.fill("org_slug", "Not A Slug").await;
    browser.fill("email", "owner@circle.example.org").await;
    browser.fill("password", "short").await;
    browser
        .client
        .execute(
            "document.querySelectorAll('form').forEach(f => f.noValidate = true); return 0;",
            vec![],
        )
        .await
        .expect("the form skips the browser's checks");
    browser.click(&submit_of_form_with("org_slug")).await;
    browser.find(Locator::Css(".field-error")).await;
    found.extend(look_at(&browser, axe, "setup_errors").await);

    browser.goto(&app.url("/admin/password-reset")).await;
    browser.find(Locator::Id("email")).await;
    found.extend(look_at(&browser, axe, "password_reset").await);

    app.owner_of("circle").await;
    set_password(&app, "owner@circle.example.org").await;
    let token = token_of(&app.login("owner@circle.example.org", PASSWORD).await);
    browser.goto(&app.url("/admin/login")).await;
    browser.find(Locator::Id("password")).await;
    found.extend(look_at(&browser, axe, "login").await);
    browser.fill("email", "owner@circle.example.org").await;
    browser.fill("password", "not the password").await;
    browser.click(&submit_of_form_with("password")).await;
    browser.find(Locator::Css("[role=\"alert\"]")).await;
    found.extend(look_at(&browser, axe, "login_refused").await);

    browser.goto(&app.url("/admin/password-reset")).await;
    browser.fill("email", "owner@circle.example.org").await;
    browser.click(&submit_of_form_with("email")).await;
    browser
        .wait_for_url("the reset's next step", |u| {
            u.path() == "/admin/password-reset" && u.query().is_some()
        })
        .await;
    found.extend(look_at(&browser, axe, "password_reset_sent").await);
    let reset = app
        .emailed_link(
            "owner@circle.example.org",
            "http://127.0.0.1/admin/password-reset/",
        )
        .await;
    browser
        .goto(&app.url(&format!(
            "/admin/password-reset/{}",
            reset.rsplit('/').next().expect("a reset token")
        )))
        .await;
    browser.find(Locator::Id("password")).await;
    found.extend(look_at(&browser, axe, "password_reset_choose").await);

    let path = app.sign_in_path("owner@circle.example.org").await;
    browser.goto(&app.url(&path)).await;
    browser.wait_for("owner@circle.example.org").await;
    found.extend(look_at(&browser, axe, "sign_in_link").await);
    // The checker sees a fault when there is one: an image without a text.
    if let Some(axe) = axe {
        browser
            .client
            .execute(
                "document.querySelector('main, body').appendChild(document.createElement('img')); return 0;",
                vec![],
            )
            .await
            .expect("an image joins the page");
        let seen = violations(&browser, axe).await;
        assert!(
            seen.iter().any(|v| v.starts_with("image-alt")),
            "axe-core misses an image without alt: {seen:?}"
        );
    }

    // Signed in, with an event, its workshop, and a second organisation to switch to.
    let day = a_day_ahead(10);
    let event = app
        .published_event(
            &token,
            json!({
                "kind": "screening",
                "title": "Film night",
                "timezone": "America/Toronto",
                "starts_at": format!("{day}T18:30:00"),
                "ends_at": format!("{day}T21:00:00"),
                "capacity": 40,
                "location": { "venue": "Trinity-St. Paul's Centre" },
            }),
        )
        .await;
    let workshop = app
        .create_event(
            &token,
            json!({
                "kind": "workshop",
                "title": "Making a banner",
                "parent_id": id_of(&event),
                "timezone": "America/Toronto",
                "starts_at": format!("{day}T17:00:00"),
                "ends_at": format!("{day}T18:00:00"),
                "rsvp_mode": "approval",
            }),
        )
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "name": "Ana" }))
        .await
        .expect(201);
    sign_in(&browser, &app, "owner@circle.example.org").await;
    found.extend(look_at(&browser, axe, "dashboard").await);

    let id = id_of(&event);
    let pages = [
        ("events", "/admin/circle/events".to_owned()),
        ("event_new", "/admin/circle/events/new".to_owned()),
        ("event", format!("/admin/circle/events/{id}")),
        ("event_saved", format!("/admin/circle/events/{id}?saved=1")),
        (
            "event_draft",
            format!("/admin/circle/events/{}", id_of(&workshop)),
        ),
        (
            "event_new_workshop",
            format!("/admin/circle/events/new?parent={id}"),
        ),
        (
            "events_drafts",
            "/admin/circle/events?shown=drafts".to_owned(),
        ),
        ("attendees", format!("/admin/circle/events/{id}/attendees")),
        ("door", format!("/admin/circle/events/{id}/door")),
        (
            "door_search",
            format!("/admin/circle/events/{id}/door?q=ana"),
        ),
        ("settings", "/admin/circle/settings".to_owned()),
        ("members", "/admin/circle/members".to_owned()),
        ("account", "/admin/account".to_owned()),
    ];
    for (name, path) in &pages {
        browser.goto(&app.url(path)).await;
        browser.find(Locator::Css("main h1, h1")).await;
        found.extend(look_at(&browser, axe, name).await);
    }

    // The new-event form sent blank, past the browser's own checks: the errors.
    browser.goto(&app.url("/admin/circle/events/new")).await;
    browser.find(Locator::Id("title")).await;
    browser
        .client
        .execute(
            "document.querySelectorAll('form').forEach(f => f.noValidate = true); return 0;",
            vec![],
        )
        .await
        .expect("the form skips the browser's checks");
    browser.click(&submit_of_form_with("title")).await;
    browser.find(Locator::Css(".field-error")).await;
    found.extend(look_at(&browser, axe, "event_new_errors").await);

    assert!(
        found.is_empty(),
        "axe-core finds {} serious or critical problem(s):\n  {}",
        found.len(),
        found.join("\n  ")
    );
    browser.finish().await;
}
