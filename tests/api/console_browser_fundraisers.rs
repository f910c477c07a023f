//! Fundraisers in the organiser console, in a real browser (headless Chromium, as
//! in `console_browser.rs`): an appeal with its goal in pounds made and published, a
//! cash gift in bolívares recorded, a supporter giving online through the fake
//! Stripe (Checkout, then the webhook), that gift refunded; every new page checked
//! with axe-core (no `serious` or `critical` violation) and photographed at a
//! phone's and a desktop's width.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::Value;

use crate::browser::{Browser, WAIT, submit_of_form_with};
use crate::console::{PASSWORD, set_password};
use crate::console_browser::{axe_source, look_at, press, set_value, sign_in};
use crate::helpers::*;
use crate::stripe::{acknowledged, spawn_app_with_stripe};

#[tokio::test]
async fn an_organiser_runs_a_fundraiser_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let axe = axe_source();
    let (app, fake) = spawn_app_with_stripe().await;
    app.owner_of("circle").await;
    set_password(&app, "owner@circle.example.org").await;
    let token = token_of(&app.login("owner@circle.example.org", PASSWORD).await);
    let mut found = Vec::new();
    sign_in(&browser, &app, "owner@circle.example.org").await;

    browser.goto(&app.url("/admin/circle/fundraisers")).await;
    browser.wait_for("No fundraisers yet.").await;
    found.extend(look_at(&browser, axe, "fundraisers_none").await);

    // A fundraiser with its goal in pounds, typed as a Spanish speaker writes it.
    browser
        .goto(&app.url("/admin/circle/fundraisers/new"))
        .await;
    browser.find(Locator::Id("goal.amount")).await;
    found.extend(look_at(&browser, axe, "fundraiser_new").await);
    browser.fill("title", "Fondo de huelga").await;
    browser.fill("goal.amount", "lots").await;
    browser.fill("goal.currency", "GBP").await;
    browser.click(&submit_of_form_with("title")).await;
    browser.find(Locator::Css(".field-error")).await;
    found.extend(look_at(&browser, axe, "fundraiser_new_refused").await);
    browser.fill("goal.amount", "1.500,00").await;
    browser.fill("suggested_amounts", "10, 25, 50").await;
    browser.click(&submit_of_form_with("title")).await;
    let url = browser
        .wait_for_url("the fundraiser's page", |u| {
            u.path().starts_with("/admin/circle/fundraisers/") && !u.path().ends_with("/new")
        })
        .await;
    let id = url
        .path()
        .rsplit('/')
        .next()
        .expect("an id in the address")
        .to_owned();
    browser.wait_for("Saved.").await;
    let stored = app
        .get(&format!("/api/v1/fundraisers/{id}"), &token)
        .await
        .expect(200)
        .clone();
    assert_eq!(
        stored["goal"],
        serde_json::json!({ "amount": 150_000, "currency": "GBP" })
    );
    found.extend(look_at(&browser, axe, "fundraiser_draft").await);
    press(&browser, &format!("/fundraisers/{id}/publish")).await;
    browser
        .wait_for("Published: supporters can see it and give.")
        .await;
    found.extend(look_at(&browser, axe, "fundraiser_open").await);

    // Cash in bolívares at a screening.
    let donations = format!("/admin/circle/fundraisers/{id}/donations");
    browser.goto(&app.url(&donations)).await;
    browser.find(Locator::Id("amount.amount")).await;
    found.extend(look_at(&browser, axe, "donations_none").await);
    browser.fill("amount.amount", "1.234,50").await;
    browser.fill("amount.currency", "VES").await;
    set_value(&browser, "method", "cash").await;
    browser.fill("donor_name", "Rosa Pérez").await;
    browser.click(&submit_of_form_with("donor_name")).await;
    browser.wait_for("Gift recorded.").await;
    let text = browser.wait_for("1,234.50 VES").await;
    assert!(text.contains("Rosa Pérez"), "{text}");

    // A supporter gives £25 online: Checkout, then Stripe's word that it was paid.
    let slug = stored["slug"].as_str().expect("a slug").to_owned();
    browser
        .goto(&app.url(&format!("/fundraisers/{slug}")))
        .await;
    browser.wait_for("Fondo de huelga").await;
    browser.click("//input[@id='amount-2500']").await;
    browser.fill("name", "Ana Gómez").await;
    browser.fill("email", "ana@example.org").await;
    browser.click(&submit_of_form_with("email")).await;
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
    acknowledged(&app, "checkout.session.completed", session.completed()).await;
    // Her receipt cannot be delivered: the outbox says so.
    app.smtp.refuse("ana@example.org");
    app.deliver_emails().await;

    browser.goto(&app.url(&donations)).await;
    let text = browser.wait_for("Ana Gómez").await;
    assert!(text.contains("25.00 GBP"), "{text}");
    found.extend(look_at(&browser, axe, "donations").await);
    browser
        .click("//tr[contains(., 'Ana Gómez')]//a[contains(@href, '/refund')]")
        .await;
    browser.wait_for("through Stripe").await;
    found.extend(look_at(&browser, axe, "refund").await);
    press(&browser, "/refund").await;
    browser.wait_for("Refunded.").await;
    let refunds = fake.requests_to("/v1/refunds");
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].field("payment_intent"), session.payment_intent());
    let gifts = items(
        app.get(&format!("/api/v1/fundraisers/{id}/donations"), &token)
            .await
            .expect(200),
    );
    let online: Vec<&Value> = gifts.iter().filter(|d| d["method"] == "online").collect();
    assert_eq!(online[0]["status"], "refunded", "{gifts:?}");
    found.extend(look_at(&browser, axe, "donations_refunded").await);

    // Refused gift: the form again with the messages beside the fields.
    browser.fill("amount.amount", "lots").await;
    browser.fill("amount.currency", "XYZ").await;
    browser.click(&submit_of_form_with("donor_name")).await;
    browser.find(Locator::Css(".field-error")).await;
    found.extend(look_at(&browser, axe, "donations_refused").await);

    // The outbox, and the failed receipt sent again once her server takes it.
    browser.goto(&app.url("/admin/circle/emails")).await;
    browser.wait_for("Donation receipt").await;
    found.extend(look_at(&browser, axe, "emails").await);
    app.smtp.accept("ana@example.org");
    // The refusal suppressed her address: written to again, then retried.
    browser
        .click("//a[contains(@href, '/emails/suppressed')]")
        .await;
    browser.wait_for("ana@example.org").await;
    found.extend(look_at(&browser, axe, "suppressed").await);
    press(&browser, "/suppressed/lift").await;
    browser
        .wait_for("Emails will go to this address again.")
        .await;
    browser.goto(&app.url("/admin/circle/emails")).await;
    press(&browser, "/emails/retry").await;
    browser.wait_for("1 email put back in the queue.").await;
    app.deliver_emails().await;
    assert_eq!(app.smtp.to("ana@example.org").len(), 1);

    browser.goto(&app.url("/admin/circle/fundraisers")).await;
    browser.wait_for("Fondo de huelga").await;
    found.extend(look_at(&browser, axe, "fundraisers").await);

    assert!(
        found.is_empty(),
        "axe-core found serious or critical problems:\n{}",
        found.join("\n")
    );
    browser.finish().await;
}
