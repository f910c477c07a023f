//! A mailing's life in the console, in a real browser (as `console_browser.rs`):
//! written for an event's attendees in English and Spanish, previewed, a time to
//! send refused beside its field, a test sent to the organiser, sent, and its
//! figures seen after a Refresh. Every new page is checked with axe-core (no
//! `serious` or `critical` violation) and photographed at a phone's and a
//! desktop's width into `target/screenshots/console/`.

use fantoccini::Locator;

use crate::browser::Browser;
use crate::console::{PASSWORD, set_password};
use crate::console_browser::{axe_source, look_at, press, set_value, sign_in};
use crate::console_mailings::film_night;
use crate::helpers::*;

const OWNER: &str = "owner@circle.example.org";

/// The button that sends a form holding `name`, not its preview button.
fn send_of_form_with(name: &str) -> String {
    format!("//form[.//*[@name='{name}']]//button[@type='submit' and not(@name)]")
}

#[tokio::test]
async fn an_organiser_writes_tests_and_sends_a_mailing_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let axe = axe_source();
    let app = spawn_app().await;
    let mut found = Vec::new();
    app.owner_of("circle").await;
    set_password(&app, OWNER).await;
    let token = token_of(&app.login(OWNER, PASSWORD).await);
    let event = film_night(&app, &token, &["ana@example.org", "ben@example.org"]).await;
    sign_in(&browser, &app, OWNER).await;

    browser.goto(&app.url("/admin/circle/mailings")).await;
    browser.wait_for("No mailings here yet.").await;
    found.extend(look_at(&browser, axe, "mailings_none").await);

    // Written for the event's attendees, in two languages, and previewed.
    browser.goto(&app.url("/admin/circle/mailings/new")).await;
    browser.find(Locator::Id("subject.en")).await;
    found.extend(look_at(&browser, axe, "mailing_new").await);
    browser
        .click("//label[@for='audience.kind-event_attendees']")
        .await;
    set_value(&browser, "audience.event", id_of(&event)).await;
    browser.fill("subject.en", "Doors open at 7").await;
    browser.fill("body.en", "Bring a **friend**.").await;
    browser.fill("subject.es", "Abrimos a las 7").await;
    browser.fill("body.es", "Trae a un **amigo**.").await;
    browser.click("//button[@name='_preview']").await;
    browser.find(Locator::Css("#preview-es strong")).await;
    found.extend(look_at(&browser, axe, "mailing_preview").await);
    browser.click(&send_of_form_with("subject.en")).await;
    browser
        .wait_for_url("the mailing's page", |u| {
            u.path().starts_with("/admin/circle/mailings/") && !u.path().ends_with("/new")
        })
        .await;
    browser.wait_for("This mailing reaches 2 people.").await;
    found.extend(look_at(&browser, axe, "mailing_draft").await);

    // A time past is refused beside the field.
    set_value(&browser, "at", "2020-01-01T10:00").await;
    browser
        .click("//form[contains(@class, 'schedule')]//button")
        .await;
    browser.find(Locator::Css("[id='at-error']")).await;
    found.extend(look_at(&browser, axe, "mailing_schedule_refused").await);

    press(&browser, "/test").await;
    browser
        .wait_for("Test sent to owner@circle.example.org.")
        .await;
    app.deliver_emails().await;
    assert!(
        app.smtp
            .to(OWNER)
            .iter()
            .any(|m| m.subject() == "[Test] Doors open at 7"),
        "the test arrived"
    );

    browser
        .click("//form[contains(@class, 'send-now')]//button[contains(., 'Send to 2 people')]")
        .await;
    browser.wait_for("the emails are going out").await;
    found.extend(look_at(&browser, axe, "mailing_sending").await);
    app.deliver_emails().await;
    browser.click("//a[@id='refresh']").await;
    browser
        .wait_for_url("the page refreshed", |u| u.query().is_none())
        .await;
    let sent = browser.find(Locator::Id("figure-sent")).await;
    assert_eq!(sent.text().await.expect("the figure's text"), "2");
    found.extend(look_at(&browser, axe, "mailing_sent").await);
    for attendee in ["ana@example.org", "ben@example.org"] {
        assert!(
            app.smtp
                .to(attendee)
                .iter()
                .any(|m| m.subject() == "Doors open at 7"),
            "{attendee} got it"
        );
    }

    browser.goto(&app.url("/admin/circle/mailings")).await;
    browser.wait_for("2 sent, 0 failed").await;
    found.extend(look_at(&browser, axe, "mailings").await);

    assert!(
        found.is_empty(),
        "axe-core finds {} serious or critical problem(s):\n  {}",
        found.len(),
        found.join("\n  ")
    );
    browser.finish().await;
}
