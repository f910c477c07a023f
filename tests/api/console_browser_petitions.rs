//! A petition's life in the console, in a real browser (as `console_browser.rs`):
//! a campaign started, a petition written with its preview, published, signed by
//! a supporter on the public page who confirms by the emailed link, a spam
//! signature invalidated, and the petition delivered. Every new page is checked
//! with axe-core (no `serious` or `critical` violation) and photographed at a
//! phone's and a desktop's width into `target/screenshots/console/`.

use fantoccini::Locator;
use serde_json::json;

use crate::browser::{Browser, submit_of_form_with};
use crate::console::{PASSWORD, set_password};
use crate::console_browser::{axe_source, look_at, press, set_value, sign_in};
use crate::helpers::*;
use crate::pages::confirmation_path;

/// The button that sends a form holding `name`, not its preview button.
fn send_of_form_with(name: &str) -> String {
    format!("//form[.//*[@name='{name}']]//button[@type='submit' and not(@name)]")
}

#[tokio::test]
async fn an_organiser_runs_a_petition_from_draft_to_delivery_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let axe = axe_source();
    let app = spawn_app().await;
    let mut found = Vec::new();
    app.owner_of("circle").await;
    set_password(&app, "owner@circle.example.org").await;
    let token = token_of(&app.login("owner@circle.example.org", PASSWORD).await);
    sign_in(&browser, &app, "owner@circle.example.org").await;

    // A campaign to gather the petition under.
    browser.goto(&app.url("/admin/circle/campaigns")).await;
    browser.find(Locator::Css("h1")).await;
    found.extend(look_at(&browser, axe, "campaigns").await);
    browser.goto(&app.url("/admin/circle/campaigns/new")).await;
    browser.find(Locator::Id("title")).await;
    found.extend(look_at(&browser, axe, "campaign_new").await);
    browser.fill("title", "Housing for all").await;
    browser.click(&submit_of_form_with("title")).await;
    browser
        .wait_for_url("the campaign's page", |u| {
            u.path().starts_with("/admin/circle/campaigns/") && !u.path().ends_with("/new")
        })
        .await;
    browser.wait_for("Saved.").await;
    let campaign_page = browser.url().await.path().to_owned();

    // The petition, its text previewed as supporters will read it.
    browser.goto(&app.url("/admin/circle/petitions/new")).await;
    browser.find(Locator::Id("title")).await;
    found.extend(look_at(&browser, axe, "petition_new").await);
    browser
        .fill("title", "Stop the eviction of the Kensington tenants")
        .await;
    browser.fill("target", "Toronto City Council").await;
    browser
        .fill("body", "The landlord wants them out by **March**.")
        .await;
    set_value(&browser, "campaign", "housing-for-all").await;
    set_value(&browser, "fields.comment", "optional").await;
    browser.click("//button[@name='_preview']").await;
    browser.find(Locator::Css("#preview strong")).await;
    found.extend(look_at(&browser, axe, "petition_preview").await);
    browser.click(&send_of_form_with("title")).await;
    let url = browser
        .wait_for_url("the petition's page", |u| {
            u.path().starts_with("/admin/circle/petitions/") && !u.path().ends_with("/new")
        })
        .await;
    let id = url
        .path()
        .rsplit('/')
        .next()
        .expect("the petition's id")
        .to_owned();
    browser.wait_for("Saved.").await;
    found.extend(look_at(&browser, axe, "petition_draft").await);
    press(&browser, "/publish").await;
    browser.wait_for("taking signatures").await;
    found.extend(look_at(&browser, axe, "petition").await);
    let petition = app
        .get(&format!("/api/v1/petitions/{id}"), &token)
        .await
        .expect(200)
        .clone();
    let slug = petition["slug"].as_str().expect("a slug").to_owned();

    // A supporter signs on the public page, come from a newsletter, and confirms
    // by the emailed link.
    browser
        .goto(&app.url(&format!("/petitions/{slug}?source=newsletter")))
        .await;
    browser.fill("name", "Ana Ortega").await;
    browser.fill("email", "ana@example.org").await;
    browser.fill("comment", "They are our neighbours.").await;
    browser.click(&submit_of_form_with("email")).await;
    browser
        .wait_for_url("the thanks", |u| {
            u.query().is_some_and(|q| q.contains("signed=pending"))
        })
        .await;
    app.deliver_emails().await;
    browser
        .goto(&app.url(&confirmation_path(&app, "ana@example.org")))
        .await;
    browser.click("//form//button[@type='submit']").await;
    browser.wait_for("1 person has signed").await;

    // A robot signs too, and confirms.
    for email in ["bot1@spam.example", "bot2@spam.example"] {
        app.send(
            reqwest::Method::POST,
            &format!("/api/v1/public/petitions/{id}/signatures"),
            None,
            Some(&json!({"email": email, "name": "Cheap Watches", "comment": "Buy now"})),
            None,
        )
        .await;
        app.deliver_emails().await;
        let confirm = confirmation_path(&app, email);
        app.send(
            reqwest::Method::POST,
            "/api/v1/public/signatures/confirm",
            None,
            Some(&json!({"token": confirm.rsplit('/').next().expect("a token")})),
            None,
        )
        .await;
    }
    let count = async || {
        app.get(&format!("/api/v1/petitions/{id}"), &token)
            .await
            .expect(200)["signature_count"]
            .as_i64()
            .expect("a count")
    };
    assert_eq!(count().await, 3);

    // The organiser finds the spam: one invalidated by its own button, the other
    // by its address's domain after the count.
    let signatures = format!("/admin/circle/petitions/{id}/signatures");
    browser.goto(&app.url(&signatures)).await;
    browser.wait_for("newsletter").await;
    found.extend(look_at(&browser, axe, "signatures").await);
    browser
        .click("//tr[.//td[contains(., 'bot1@spam.example')]]//form[contains(@action, '/invalidate')]//button")
        .await;
    browser.wait_for("1 signature invalidated.").await;
    found.extend(look_at(&browser, axe, "signatures_invalidated").await);
    assert_eq!(count().await, 2);

    browser
        .goto(&app.url(&format!("{signatures}/invalidate?email_domain=nope")))
        .await;
    browser.find(Locator::Css(".field-error")).await;
    found.extend(look_at(&browser, axe, "signatures_invalidate_errors").await);
    browser
        .goto(&app.url(&format!(
            "{signatures}/invalidate?email_domain=spam.example"
        )))
        .await;
    browser
        .wait_for("1 signature matches, 1 of them counted.")
        .await;
    found.extend(look_at(&browser, axe, "signatures_invalidate").await);
    browser
        .click("//form[contains(@action, '/invalidate')]//button[contains(@class, 'danger')]")
        .await;
    browser.wait_for("1 signature invalidated.").await;
    assert_eq!(count().await, 1);

    // Delivered, by hand, with the count that was handed over.
    browser
        .goto(&app.url(&format!("/admin/circle/petitions/{id}")))
        .await;
    set_value(&browser, "delivered_at", "2038-02-10T15:30").await;
    browser.fill("method", "By hand at City Hall").await;
    press(&browser, "/deliver").await;
    browser.wait_for("Delivery recorded.").await;
    browser.wait_for("with 1 signature").await;
    found.extend(look_at(&browser, axe, "petition_delivered").await);
    let delivered = app
        .get(&format!("/api/v1/petitions/{id}"), &token)
        .await
        .expect(200)
        .clone();
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(delivered["delivery_note"], "By hand at City Hall");
    assert_eq!(delivered["signature_count"], 1);

    browser.goto(&app.url("/admin/circle/petitions")).await;
    browser.find(Locator::Css("h1")).await;
    found.extend(look_at(&browser, axe, "petitions").await);
    browser.goto(&app.url(&campaign_page)).await;
    browser.wait_for("Stop the eviction").await;
    found.extend(look_at(&browser, axe, "campaign").await);

    assert!(
        found.is_empty(),
        "axe-core finds {} serious or critical problem(s):\n  {}",
        found.len(),
        found.join("\n  ")
    );
    browser.finish().await;
}
