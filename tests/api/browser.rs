//! The pages in a real browser: headless Chromium driven through chromedriver
//! (WebDriver), as a supporter on a phone uses them. RSVP and cancel, sign and
//! confirm a petition, start a donation; and a full-page screenshot of each page type
//! into `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them these tests say they
//! skip and pass, unless `TURNOUT_BROWSER_TESTS=required` (as in CI), when they fail.

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::Once,
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::{
    attendee, cash_gift, confirmation_path, donations, hall_event, open_fundraiser, open_petition,
    path_of, public_count, slug_of,
};
use crate::stripe::{acknowledged, spawn_app_with_stripe};

/// How long a page may take to come (Chromium on a busy two-core machine).
pub(crate) const WAIT: Duration = Duration::from_secs(30);
/// A phone's screen.
pub(crate) const WIDTH: u32 = 414;
pub(crate) const HEIGHT: u32 = 896;

// --- the browser --------------------------------------------------------------------------------

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn chromedriver() -> Option<PathBuf> {
    on_path("chromedriver").or_else(|| {
        let debian = Path::new("/usr/bin/chromedriver");
        debian.is_file().then(|| debian.to_owned())
    })
}

fn chromium() -> Option<PathBuf> {
    let debian = Path::new("/usr/bin/chromium");
    if debian.is_file() {
        return Some(debian.to_owned());
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(on_path)
}

/// A line on the test process' stderr that the harness does not capture, so a plain
/// `cargo test` shows it.
pub(crate) fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

static SKIPPING: Once = Once::new();

/// Where screenshots go: `target/screenshots/` (or under `CARGO_TARGET_DIR`).
pub(crate) fn screenshot_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("target"));
    let target = if target.is_relative() {
        manifest.join(target)
    } else {
        target
    };
    target.join("screenshots")
}

/// Headless Chromium behind its own chromedriver, for one test. Both go when it ends,
/// passing or not.
pub(crate) struct Browser {
    pub(crate) client: Client,
    driver_port: u16,
    session: Option<String>,
    _driver: KillOnDrop,
}

impl Browser {
    /// A browser; `None` (after saying so) when Chromium is not installed, unless
    /// `TURNOUT_BROWSER_TESTS=required`.
    pub(crate) async fn start() -> Option<Self> {
        let (driver, chromium) = match (chromedriver(), chromium()) {
            (Some(driver), Some(chromium)) => (driver, chromium),
            (driver, _) => {
                let missing = if driver.is_none() {
                    "chromedriver"
                } else {
                    "chromium"
                };
                let why = format!("{missing} not found (install chromium and chromium-driver)");
                if std::env::var("TURNOUT_BROWSER_TESTS").as_deref() == Ok("required") {
                    panic!("TURNOUT_BROWSER_TESTS=required, but {why}");
                }
                SKIPPING.call_once(|| say(&format!("skipping browser tests: {why}")));
                return None;
            }
        };
        let port = free_port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", driver.display()));
        let mut process = KillOnDrop(child);
        let webdriver = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = process.0.try_wait() {
                panic!("chromedriver exited early: {status}");
            }
            if let Ok(reply) = http.get(format!("{webdriver}/status")).send().await
                && reply.status().is_success()
            {
                break;
            }
            assert!(
                started.elapsed() < WAIT,
                "chromedriver did not answer within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    format!("--window-size={WIDTH},{HEIGHT}"),
                    // Offline machines: no background calls to Google's services.
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-quic",
                ],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .unwrap_or_else(|e| panic!("no Chromium session from chromedriver: {e}"));
        let session = client.session_id().await.ok().flatten();
        Some(Self {
            client,
            driver_port: port,
            session,
            _driver: process,
        })
    }

    /// End the session (Chromium quits); chromedriver goes on drop.
    pub(crate) async fn finish(mut self) {
        if self.client.clone().close().await.is_ok() {
            self.session = None;
        }
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    pub(crate) async fn url(&self) -> url::Url {
        self.client.current_url().await.expect("the current URL")
    }

    /// What the page shows, as the reader sees it (`’` read as `'`).
    pub(crate) async fn text(&self) -> String {
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
            .expect("the page's text");
        text.as_str()
            .unwrap_or_default()
            .replace(['\u{2019}', '\u{2018}'], "'")
            .replace(['\u{a0}', '\u{202f}'], " ")
    }

    /// Wait until the page's text satisfies `test`; the text.
    pub(crate) async fn wait_for_text(&self, what: &str, test: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let text = self.text().await;
            if test(&text) {
                return text;
            }
            if started.elapsed() > WAIT {
                panic!(
                    "waited {WAIT:?} for {what} at {}; the page says:\n{text}",
                    self.url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait until the page shows `needle`.
    pub(crate) async fn wait_for(&self, needle: &str) -> String {
        self.wait_for_text(needle, |t| t.contains(needle)).await
    }

    /// Wait until the address satisfies `test`; the address.
    pub(crate) async fn wait_for_url(
        &self,
        what: &str,
        test: impl Fn(&url::Url) -> bool,
    ) -> url::Url {
        let started = Instant::now();
        loop {
            let url = self.url().await;
            if test(&url) {
                return url;
            }
            if started.elapsed() > WAIT {
                panic!(
                    "waited {WAIT:?} for {what}; the browser is at {url}, showing:\n{}",
                    self.text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn find(&self, locator: Locator<'_>) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(locator)
            .await
            .unwrap_or_else(|e| panic!("no {locator:?} on the page: {e}"))
    }

    /// Type `value` into the field with this id, replacing what was there.
    pub(crate) async fn fill(&self, id: &str, value: &str) {
        let field = self.find(Locator::Id(id)).await;
        field.clear().await.expect("the field clears");
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("typing into #{id}: {e}"));
    }

    /// Click what the XPath finds.
    pub(crate) async fn click(&self, xpath: &str) {
        self.find(Locator::XPath(xpath))
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {xpath}: {e}"));
    }

    /// Choose a radio button as a person does: by clicking its label.
    async fn choose(&self, name: &str, value: &str) {
        let radio = self
            .find(Locator::Css(&format!(
                "input[type=\"radio\"][name=\"{name}\"][value=\"{value}\"]"
            )))
            .await;
        let id = radio
            .attr("id")
            .await
            .expect("the radio's id")
            .unwrap_or_else(|| panic!("the {name}={value} radio has no id"));
        self.click(&format!("//label[@for='{id}']")).await;
        assert!(
            radio.is_selected().await.expect("the radio's state"),
            "clicking the label did not choose {name}={value}"
        );
    }

    /// A screenshot of the whole page at a phone's width, into `target/screenshots/`.
    async fn screenshot(&self, name: &str) -> PathBuf {
        // Grow the window until the viewport holds the page (the browser's own chrome
        // takes some of the window's height, more than `outerHeight` admits).
        let mut height = HEIGHT;
        for _ in 0..4 {
            let sizes = self
                .client
                .execute(
                    "return [document.documentElement.scrollHeight, window.innerHeight];",
                    vec![],
                )
                .await
                .expect("the page's height");
            let number = |v: &Value| u32::try_from(v.as_u64().unwrap_or(0)).unwrap_or(0);
            let (page, viewport) = (number(&sizes[0]), number(&sizes[1]));
            if viewport >= page || height >= 12_000 {
                break;
            }
            height = (height + page - viewport).min(12_000);
            self.client
                .set_window_size(WIDTH, height)
                .await
                .expect("the window grows to the page");
        }
        let png = self.client.screenshot().await.expect("a screenshot");
        self.client
            .set_window_size(WIDTH, HEIGHT)
            .await
            .expect("the window shrinks back");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is written");
        say(&format!("screenshot: {}", path.display()));
        path
    }
}

impl Drop for Browser {
    /// When a test fails half-way: end the WebDriver session over a plain socket so
    /// chromedriver quits Chromium, before chromedriver itself is killed.
    fn drop(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.driver_port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                stream,
                "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.driver_port
            );
            let mut reply = Vec::new();
            let _ = stream.read_to_end(&mut reply);
        }
    }
}

/// The XPath of the submit button of the form holding the field `name`.
pub(crate) fn submit_of_form_with(name: &str) -> String {
    format!("//form[.//*[@name='{name}']]//button[@type='submit']")
}

// --- the tests ----------------------------------------------------------------------------------

#[tokio::test]
async fn a_supporter_rsvps_and_cancels_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = hall_event(&app, &token, "Film night", json!({ "capacity": 40 })).await;

    browser
        .goto(&app.url(&format!("/events/{}", slug_of(&event))))
        .await;
    browser.wait_for("Film night").await;
    browser.screenshot("event").await;
    browser.fill("name", "Ana Gómez").await;
    browser.fill("email", "ana@example.org").await;
    browser.fill("guests", "1").await;
    browser.click(&submit_of_form_with("email")).await;

    let url = browser
        .wait_for_url("the manage page", |u| u.path().starts_with("/rsvps/"))
        .await;
    assert_eq!(url.port(), Some(app.port), "{url}");
    assert_eq!(url.query(), Some("done=rsvp"), "{url}");
    let text = browser.wait_for("You're going").await;
    assert!(text.contains("Film night"), "{text}");
    browser.screenshot("manage_rsvp").await;
    let ana = attendee(&app, &token, &event, "ana@example.org")
        .await
        .expect("Ana on the attendee list");
    assert_eq!(ana["status"], "going");
    assert_eq!(ana["guests"], 1);

    browser
        .click("//form[.//input[@name='action' and @value='cancel']]//button[@type='submit']")
        .await;

    browser.wait_for("Your RSVP is cancelled").await;
    browser.screenshot("manage_rsvp_cancelled").await;
    let ana = attendee(&app, &token, &event, "ana@example.org")
        .await
        .expect("Ana still on the list");
    assert_eq!(ana["status"], "cancelled");
    browser.finish().await;
}

#[tokio::test]
async fn a_supporter_signs_and_confirms_a_petition_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({})).await;

    browser
        .goto(&app.url(&format!("/petitions/{}", slug_of(&petition))))
        .await;
    browser
        .wait_for("Stop the eviction of the Kensington tenants")
        .await;
    browser.screenshot("petition").await;
    browser.fill("name", "Ana Gómez").await;
    browser.fill("email", "ana@example.org").await;
    browser.click(&submit_of_form_with("email")).await;

    browser
        .wait_for_url("the petition, signed", |u| {
            u.query() == Some("signed=pending")
        })
        .await;
    browser
        .wait_for_text("the check-your-inbox banner", |t| {
            t.to_lowercase().contains("inbox")
        })
        .await;
    browser.screenshot("petition_signed").await;
    assert_eq!(public_count(&app, &petition).await, 0);

    app.deliver_emails().await;
    let link = confirmation_path(&app, "ana@example.org");
    browser.goto(&app.url(&link)).await;
    browser.find(Locator::Css("button[type=\"submit\"]")).await;
    browser.screenshot("confirm").await;
    browser.click("//button[@type='submit']").await;

    browser.wait_for("Thank you").await;
    browser.screenshot("confirm_thanks").await;
    assert_eq!(public_count(&app, &petition).await, 1);
    browser.finish().await;
}

#[tokio::test]
async fn a_supporter_starts_a_donation_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (app, fake) = spawn_app_with_stripe().await;
    let token = app.owner_of("lrbc").await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;
    cash_gift(&app, &token, &fundraiser).await;

    browser
        .goto(&app.url(&format!("/fundraisers/{}", slug_of(&fundraiser))))
        .await;
    browser.wait_for("Kensington tenants' legal fund").await;
    browser.screenshot("fundraiser").await;
    // £25 is chosen to start with: choose £50.
    browser.choose("amount", "5000").await;
    browser.fill("name", "Ana Gómez").await;
    browser.fill("email", "ana@example.org").await;
    browser.click(&submit_of_form_with("email")).await;

    // Stripe's Checkout is on the internet, which this machine may not reach: what
    // matters is that the browser was sent there with the right session.
    let started = Instant::now();
    while fake.sessions().is_empty() {
        assert!(started.elapsed() < WAIT, "no Checkout session was made");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let session = fake.sessions()[0].clone();
    browser
        .wait_for_url("Stripe Checkout", |u| {
            u.host_str() == Some("checkout.stripe.com")
        })
        .await;
    assert_eq!(
        session.form.field("line_items[0][price_data][unit_amount]"),
        "5000"
    );
    assert_eq!(session.form.field("customer_email"), "ana@example.org");
    let gifts = donations(&app, &token, &fundraiser).await;
    let online: Vec<&Value> = gifts.iter().filter(|d| d["method"] == "online").collect();
    assert_eq!(online.len(), 1, "{gifts:?}");
    assert_eq!(online[0]["status"], "pending");
    assert_eq!(online[0]["donor_name"], "Ana Gómez");

    // Back from a paid Checkout, as Stripe sends the donor.
    acknowledged(&app, "checkout.session.completed", session.completed()).await;
    browser
        .goto(&app.url(&path_of(session.form.field("success_url"))))
        .await;
    browser.wait_for("50.00").await;
    browser.screenshot("donation_thanks").await;
    browser
        .goto(&app.url(&path_of(session.form.field("cancel_url"))))
        .await;
    browser
        .find(Locator::Css(&format!(
            "a[href$=\"/fundraisers/{}\"]",
            slug_of(&fundraiser)
        )))
        .await;
    browser.screenshot("donation_cancelled").await;
    browser.finish().await;
}

#[tokio::test]
async fn the_home_and_unsubscribe_pages_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    hall_event(&app, &token, "Film night", json!({})).await;
    open_petition(&app, &token, json!({ "goal": 1000 })).await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;
    cash_gift(&app, &token, &fundraiser).await;

    browser.goto(&app.url("/")).await;
    let text = browser.wait_for("Film night").await;
    for shown in [
        "Stop the eviction of the Kensington tenants",
        "Kensington tenants' legal fund",
        "25.00 GBP",
    ] {
        assert!(
            text.contains(shown),
            "{shown:?} not on the home page:\n{text}"
        );
    }
    browser.screenshot("home").await;

    browser.goto(&app.url("/o/lrbc")).await;
    let text = browser.wait_for("Join us").await;
    assert!(text.contains("Film night"), "{text}");
    browser.screenshot("organisation").await;

    let link = crate::emails::reminded(&app, &token, "ana@example.org").await;
    browser.goto(&app.url(&path_of(&link))).await;
    browser.find(Locator::Css("button[type=\"submit\"]")).await;
    browser.screenshot("unsubscribe").await;
    browser.click("//button[@type='submit']").await;
    browser.wait_for("You are unsubscribed").await;
    browser.screenshot("unsubscribed").await;
    let found = items(
        app.get_with_query(
            "/api/v1/supporters",
            Some(&token),
            &[("email", "ana@example.org")],
        )
        .await
        .expect(200),
    );
    assert!(found[0]["unsubscribed_at"].is_string(), "{found:?}");
    browser.finish().await;
}
