//! Consent kept per organisation, with its provenance (issue 19, points 1 and 5):
//! given on a form, active only once a link we emailed is followed, seen only by
//! the organisation it was given to, listed in the supporter's export.

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, id_of, items, spawn_app};
use crate::pages::{open, open_petition, path_of, submit};
use crate::petitions::sign;

pub(crate) const CONFIRM_LINK: &str = "http://127.0.0.1/subscriptions/confirm/";

/// Every email `address` received, once the outbox is delivered, holds no link to
/// confirm a subscription: nothing was asked for them.
async fn assert_no_confirmation_link_to(app: &TestApp, address: &str) {
    app.deliver_emails().await;
    assert!(
        app.smtp
            .to(address)
            .iter()
            .all(|e| !e.text().contains(CONFIRM_LINK)),
        "a confirmation link went to {address}"
    );
}

/// `POST /api/v1/public/organisations/{slug}/subscribers` (the "Join us" form).
pub(crate) async fn join(app: &TestApp, slug: &str, body: Value) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/public/organisations/{slug}/subscribers"),
        None,
        Some(&body),
        None,
    )
    .await
}

/// The organisation's subscribers as `token` sees them.
async fn subscribers(app: &TestApp, token: &str, slug: &str) -> Vec<Value> {
    items(
        app.get(&format!("/api/v1/organisations/{slug}/subscribers"), token)
            .await
            .expect(200),
    )
}

fn emails_of(list: &[Value]) -> Vec<&str> {
    list.iter().map(|s| s["email"].as_str().unwrap()).collect()
}

/// The confirmation link emailed to `address`, opened and its button clicked; the
/// page after the click.
pub(crate) async fn confirm_subscription(app: &TestApp, address: &str) -> crate::pages::Page {
    let link = app.emailed_link(address, CONFIRM_LINK).await;
    let path = path_of(&link);
    let shown = open(app, &path).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown.text.contains("Confirm my subscription"),
        "{}",
        shown.text
    );
    submit(app, &path, &[]).await
}

/// The supporter `email` as `token`'s organisations know them: their id.
async fn supporter_id(app: &TestApp, token: &str, email: &str) -> String {
    let found = app
        .get_with_query("/api/v1/supporters", Some(token), &[("email", email)])
        .await;
    id_of(&items(found.expect(200))[0]).to_owned()
}

async fn export(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/supporters/{id}/export"), token)
        .await
        .expect(200)
        .clone()
}

/// A petition signed and confirmed by `email` (without asking to hear more unless
/// `extra` says so), so that its organisation knows them.
async fn signed_and_confirmed(app: &TestApp, token: &str, email: &str, extra: Value) {
    let petition = open_petition(app, token, json!({})).await;
    sign(app, id_of(&petition), email, extra).await.expect(202);
    let link = app
        .emailed_link(email, "http://127.0.0.1/signatures/confirm/")
        .await;
    let confirmed = submit(app, &path_of(&link), &[]).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
}

#[tokio::test]
async fn joining_counts_only_once_the_emailed_link_is_followed() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;

    join(
        &app,
        "lrbc",
        json!({ "email": "ana@example.org", "name": "Ana" }),
    )
    .await
    .expect(202);
    assert!(subscribers(&app, &token, "lrbc").await.is_empty());

    // Opening the link (as a mail scanner does) confirms nothing.
    let link = app.emailed_link("ana@example.org", CONFIRM_LINK).await;
    let shown = open(&app, &path_of(&link)).await;
    assert!(shown.text.contains("The lrbc group"), "{}", shown.text);
    assert!(subscribers(&app, &token, "lrbc").await.is_empty());

    let done = submit(&app, &path_of(&link), &[]).await;
    assert_eq!(done.status, 200);
    assert!(done.text.contains("You are subscribed"), "{}", done.text);
    let list = subscribers(&app, &token, "lrbc").await;
    assert_eq!(emails_of(&list), ["ana@example.org"]);
    assert_eq!(list[0]["form"], "join");
    assert_eq!(
        list[0]["words"],
        "Send me news from The lrbc group by email"
    );
    assert!(list[0]["confirmed_at"].is_string());
}

#[tokio::test]
async fn the_confirmation_email_and_page_speak_the_language_asked_for() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    join(
        &app,
        "lrbc",
        json!({ "email": "ana@example.org", "locale": "es" }),
    )
    .await
    .expect(202);
    app.deliver_emails().await;
    let email = app.smtp.last_to("ana@example.org");
    assert!(
        email
            .text()
            .contains("Pediste recibir noticias de The lrbc group"),
        "{}",
        email.text()
    );
    let link = app.emailed_link("ana@example.org", CONFIRM_LINK).await;
    let done = submit(&app, &path_of(&link), &[]).await;
    assert!(done.text.contains("Estás suscrito"), "{}", done.text);
    let list = subscribers(&app, &token, "lrbc").await;
    assert_eq!(
        list[0]["words"],
        "Envíenme noticias de The lrbc group por correo electrónico"
    );
}

#[tokio::test]
async fn consent_given_to_one_organisation_is_invisible_to_another() {
    let app = spawn_app().await;
    let a = app.owner_of("lrbc").await;
    let b = app.owner_of("hov").await;
    // Ana is known to both: she signed a petition of each.
    signed_and_confirmed(&app, &b, "ana@example.org", json!({})).await;
    join(&app, "lrbc", json!({ "email": "ana@example.org" }))
        .await
        .expect(202);
    confirm_subscription(&app, "ana@example.org").await;

    assert_eq!(
        emails_of(&subscribers(&app, &a, "lrbc").await),
        ["ana@example.org"]
    );
    assert!(subscribers(&app, &b, "hov").await.is_empty());

    // B's record of her says nothing of A's consent.
    let id = supporter_id(&app, &b, "ana@example.org").await;
    let seen_by_b = app
        .get(&format!("/api/v1/supporters/{id}"), &b)
        .await
        .expect(200)
        .clone();
    assert_eq!(seen_by_b["subscribed"], false);
    assert_eq!(export(&app, &b, &id).await["consents"], json!([]));

    // A's export lists it, with its provenance.
    signed_and_confirmed(&app, &a, "ana@example.org", json!({})).await;
    let exported = export(&app, &a, &id).await;
    let consents = exported["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 1, "{exported}");
    assert_eq!(consents[0]["organisation"], "The lrbc group");
    assert_eq!(consents[0]["status"], "active");
    assert_eq!(consents[0]["form"], "join");
    assert!(consents[0]["asked_at"].is_string());
}

#[tokio::test]
async fn a_signatures_consent_counts_once_confirmed_with_its_words_form_and_source() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "subscribe": true, "source": "newsletter" }),
    )
    .await
    .expect(202);
    // Nobody who did not confirm is counted.
    assert!(subscribers(&app, &token, "lrbc").await.is_empty());

    let link = app
        .emailed_link("ana@example.org", "http://127.0.0.1/signatures/confirm/")
        .await;
    submit(&app, &path_of(&link), &[]).await;
    let list = subscribers(&app, &token, "lrbc").await;
    assert_eq!(emails_of(&list), ["ana@example.org"]);
    assert_eq!(list[0]["form"], "signature");
    assert_eq!(list[0]["source"], "newsletter");
    assert_eq!(
        list[0]["words"],
        "Keep me updated about this campaign by email"
    );
}

#[tokio::test]
async fn a_box_ticked_on_a_petition_without_confirmation_asks_and_counts_once_the_link_is_followed()
{
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({ "require_confirmation": false })).await;
    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "subscribe": true, "source": "radio" }),
    )
    .await
    .expect(201);
    // The signature counts at once; the consent waits for the address.
    assert!(subscribers(&app, &token, "lrbc").await.is_empty());

    confirm_subscription(&app, "ana@example.org").await;
    let list = subscribers(&app, &token, "lrbc").await;
    assert_eq!(emails_of(&list), ["ana@example.org"]);
    assert_eq!(list[0]["form"], "signature");
    assert_eq!(list[0]["source"], "radio");
}

#[tokio::test]
async fn a_signature_without_the_box_ticked_gives_no_consent() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    signed_and_confirmed(&app, &token, "ana@example.org", json!({})).await;
    assert!(subscribers(&app, &token, "lrbc").await.is_empty());
}

#[tokio::test]
async fn joining_answers_the_same_whoever_the_address_belongs_to() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    join(&app, "lrbc", json!({ "email": "ana@example.org" }))
        .await
        .expect(202);
    confirm_subscription(&app, "ana@example.org").await;

    let subscribed = join(&app, "lrbc", json!({ "email": "ana@example.org" })).await;
    let stranger = join(&app, "lrbc", json!({ "email": "ben@example.org" })).await;
    assert_eq!(subscribed.status, stranger.status);
    assert_eq!(subscribed.status, 202);
    assert_eq!(subscribed.body, stranger.body);
    // Asking again does not undo the consent in force.
    assert_eq!(
        emails_of(&subscribers(&app, &token, "lrbc").await),
        ["ana@example.org"]
    );
}

#[tokio::test]
async fn joining_refuses_bad_fields_and_unknown_organisations() {
    let app = spawn_app().await;
    app.owner_of("lrbc").await;
    join(&app, "lrbc", json!({ "email": "not an address" }))
        .await
        .expect_invalid("email");
    join(
        &app,
        "lrbc",
        json!({ "email": "ana@example.org", "locale": "xx" }),
    )
    .await
    .expect_invalid("locale");
    join(
        &app,
        "lrbc",
        json!({ "email": "ana@example.org", "name": "a".repeat(201) }),
    )
    .await
    .expect_invalid("name");
    join(&app, "nobody", json!({ "email": "ana@example.org" }))
        .await
        .expect_problem(404);
    // Nothing was sent to anyone.
    app.deliver_emails().await;
    assert!(app.smtp.to("ana@example.org").is_empty());
}

#[tokio::test]
async fn only_organisers_of_the_organisation_see_its_subscribers() {
    let app = spawn_app().await;
    let owner = app.owner_of("lrbc").await;
    let stranger = app.owner_of("hov").await;
    let viewer = app
        .member(&owner, "lrbc", "vera@example.org", "viewer")
        .await;
    app.get("/api/v1/organisations/lrbc/subscribers", &viewer)
        .await
        .expect_problem(403);
    app.get("/api/v1/organisations/lrbc/subscribers", &stranger)
        .await
        .expect_problem(404);
    app.get_public("/api/v1/organisations/lrbc/subscribers")
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn subscribers_come_as_csv_when_asked() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    join(
        &app,
        "lrbc",
        json!({ "email": "ana@example.org", "name": "Ana" }),
    )
    .await
    .expect(202);
    join(&app, "lrbc", json!({ "email": "ben@example.org" }))
        .await
        .expect(202);
    confirm_subscription(&app, "ana@example.org").await;
    let csv = app
        .get_accepting("/api/v1/organisations/lrbc/subscribers", &token, "text/csv")
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.text);
    assert!(
        lines[1].contains("\"ana@example.org\",\"Ana\""),
        "{}",
        csv.text
    );
    assert!(!csv.text.contains("ben@example.org"));
}

/// The old global flag is not read as consent (see the migration): a supporter
/// marked `subscribed` before consents existed is nobody's subscriber.
#[tokio::test]
async fn the_old_global_flag_gives_no_consent() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    signed_and_confirmed(&app, &token, "ana@example.org", json!({})).await;
    let db = app.database().await;
    db.execute_unprepared("UPDATE supporters SET subscribed = TRUE")
        .await
        .unwrap();

    assert!(subscribers(&app, &token, "lrbc").await.is_empty());
    let id = supporter_id(&app, &token, "ana@example.org").await;
    let record = app
        .get(&format!("/api/v1/supporters/{id}"), &token)
        .await
        .expect(200)
        .clone();
    assert_eq!(record["subscribed"], false);
    assert_eq!(export(&app, &token, &id).await["consents"], json!([]));
}

#[tokio::test]
async fn a_forged_confirmation_link_finds_nothing() {
    let app = spawn_app().await;
    app.owner_of("lrbc").await;
    let page = open(&app, "/subscriptions/confirm/not-a-token").await;
    assert_eq!(page.status, 404);
    let page = submit(&app, "/subscriptions/confirm/not-a-token", &[]).await;
    assert_eq!(page.status, 404);
}

/// `POST` the one-click unsubscribe of RFC 8058 to `link`.
pub(crate) async fn one_click_unsubscribe(app: &TestApp, link: &str) -> Reply {
    app.send_raw(
        Method::POST,
        &path_of(link),
        None,
        "application/x-www-form-urlencoded",
        "List-Unsubscribe=One-Click",
    )
    .await
}

#[tokio::test]
async fn unsubscribing_from_one_organisations_email_leaves_the_others_consent() {
    let app = spawn_app().await;
    let a = app.owner_of("lrbc").await;
    let b = app.owner_of("hov").await;
    for slug in ["lrbc", "hov"] {
        join(&app, slug, json!({ "email": "ana@example.org" }))
            .await
            .expect(202);
        confirm_subscription(&app, "ana@example.org").await;
    }
    assert_eq!(subscribers(&app, &a, "lrbc").await.len(), 1);
    assert_eq!(subscribers(&app, &b, "hov").await.len(), 1);

    // A reminder of an lrbc event carries lrbc's unsubscribe link.
    let link = crate::emails::reminded(&app, &a, "ana@example.org").await;
    let page = open(&app, &path_of(&link)).await;
    assert!(
        page.text
            .contains("You will no longer hear from The lrbc group by email."),
        "{}",
        page.text
    );
    let done = one_click_unsubscribe(&app, &link).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert!(
        done.text
            .contains("You will no longer hear from The lrbc group."),
        "{}",
        done.text
    );

    assert!(subscribers(&app, &a, "lrbc").await.is_empty());
    assert_eq!(
        emails_of(&subscribers(&app, &b, "hov").await),
        ["ana@example.org"]
    );
    let id = supporter_id(&app, &a, "ana@example.org").await;
    let exported = export(&app, &a, &id).await;
    assert_eq!(exported["consents"][0]["status"], "withdrawn", "{exported}");
    assert!(exported["consents"][0]["withdrawn_at"].is_string());
}

/// A signature confirmed after its signer unsubscribed from the organisation
/// does not bring the consent back: the later word stands.
#[tokio::test]
async fn a_withdrawal_after_the_box_was_ticked_stands() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "subscribe": true }),
    )
    .await
    .expect(202);
    let confirm = app
        .emailed_link("ana@example.org", "http://127.0.0.1/signatures/confirm/")
        .await;
    // She unsubscribes from a reminder of the same organisation first.
    join(&app, "lrbc", json!({ "email": "ana@example.org" }))
        .await
        .expect(202);
    let link = crate::emails::reminded(&app, &token, "ana@example.org").await;
    one_click_unsubscribe(&app, &link).await.expect(200);

    submit(&app, &path_of(&confirm), &[]).await;
    assert!(subscribers(&app, &token, "lrbc").await.is_empty());
}

/// "Join us" is limited as signing is: an address asked for too often is refused
/// (so the form cannot be used to flood someone's inbox).
#[tokio::test]
async fn one_address_joining_too_often_is_told_when_to_come_back() {
    let app = crate::helpers::spawn_app_with_limits(1000, 2).await;
    app.owner_of("lrbc").await;
    for _ in 0..2 {
        join(&app, "lrbc", json!({ "email": "ana@example.org" }))
            .await
            .expect(202);
    }
    let refused = join(&app, "lrbc", json!({ "email": "Ana@Example.org" })).await;
    refused.expect_problem(429);
    assert!(refused.headers.get("Retry-After").is_some());
}

/// The event page offers the box, off by default, in the page's words; ticked, the
/// RSVP asks, and only the emailed link makes it count.
#[tokio::test]
async fn an_rsvp_with_the_box_ticked_counts_once_the_emailed_link_is_followed() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .published_event(&token, crate::helpers::meeting("Film night"))
        .await;
    let path = format!("/events/{}", event["slug"].as_str().unwrap());
    let page = open(&app, &format!("{path}?source=flyer")).await;
    assert_eq!(
        page.value_of("source"),
        "flyer",
        "the page carries its source"
    );
    let box_html = "<input id=\"subscribe\" name=\"subscribe\" type=\"checkbox\" value=\"yes\">";
    assert!(page.text.contains(box_html), "{}", page.text);
    assert!(
        page.text
            .contains("Send me news from The lrbc group by email")
    );

    let done = submit(
        &app,
        &path,
        &[
            ("locale", "en"),
            ("name", "Ana"),
            ("email", "ana@example.org"),
            ("guests", "0"),
            ("subscribe", "yes"),
            ("source", "flyer"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.text);
    // Nobody who did not confirm is counted.
    assert!(subscribers(&app, &token, "lrbc").await.is_empty());
    confirm_subscription(&app, "ana@example.org").await;
    let list = subscribers(&app, &token, "lrbc").await;
    assert_eq!(emails_of(&list), ["ana@example.org"]);
    assert_eq!(list[0]["form"], "rsvp");
    assert_eq!(list[0]["source"], "flyer");

    // Without the box ticked, an RSVP asks nothing.
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);
    assert_no_confirmation_link_to(&app, "ben@example.org").await;
}

/// A gift with the box ticked asks, but paying proves no address: only the
/// emailed link makes the consent count.
#[tokio::test]
async fn a_donation_with_the_box_ticked_counts_once_the_emailed_link_is_followed() {
    let (app, _fake) = crate::stripe::spawn_app_with_stripe().await;
    let token = app.owner_of("hov").await;
    let fundraiser = crate::pages::open_fundraiser(&app, &token, json!({})).await;
    // The page offers the box, off by default.
    let page = open(
        &app,
        &format!("/fundraisers/{}", fundraiser["slug"].as_str().unwrap()),
    )
    .await;
    assert!(
        page.text.contains(
            "<input id=\"subscribe\" name=\"subscribe\" type=\"checkbox\" value=\"yes\">"
        ),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("Send me news from The hov group by email")
    );

    let gift = |email: &str, subscribe: bool| {
        json!({
            "amount": { "amount": 2500, "currency": "GBP" },
            "email": email, "name": "Ana", "subscribe": subscribe, "source": "newsletter",
        })
    };
    let path = format!(
        "/api/v1/public/fundraisers/{}/donations",
        id_of(&fundraiser)
    );
    for (email, subscribe) in [("ana@example.org", true), ("ben@example.org", false)] {
        app.send(
            Method::POST,
            &path,
            None,
            Some(&gift(email, subscribe)),
            None,
        )
        .await
        .expect(201);
    }
    assert!(subscribers(&app, &token, "hov").await.is_empty());
    confirm_subscription(&app, "ana@example.org").await;
    let list = subscribers(&app, &token, "hov").await;
    assert_eq!(emails_of(&list), ["ana@example.org"]);
    assert_eq!(list[0]["form"], "donation");
    assert_eq!(list[0]["source"], "newsletter");
    assert_no_confirmation_link_to(&app, "ben@example.org").await;
}

/// Joining alone makes someone a supporter of the organisation: its organisers
/// find them, export their consent and erase it; another organisation's consent
/// stays with the address.
#[tokio::test]
async fn a_supporter_who_only_joined_is_found_exported_and_erased() {
    let app = spawn_app().await;
    let a = app.owner_of("lrbc").await;
    let b = app.owner_of("hov").await;
    for slug in ["lrbc", "hov"] {
        join(&app, slug, json!({ "email": "ana@example.org" }))
            .await
            .expect(202);
        confirm_subscription(&app, "ana@example.org").await;
    }
    let id = supporter_id(&app, &a, "ana@example.org").await;
    let exported = export(&app, &a, &id).await;
    assert_eq!(
        exported["consents"].as_array().unwrap().len(),
        1,
        "{exported}"
    );

    app.delete(&format!("/api/v1/supporters/{id}"), &a)
        .await
        .expect(204);
    assert!(subscribers(&app, &a, "lrbc").await.is_empty());
    assert_eq!(
        emails_of(&subscribers(&app, &b, "hov").await),
        ["ana@example.org"]
    );
}

#[tokio::test]
async fn the_console_record_shows_each_consent_with_its_provenance() {
    use crate::console::owner_signed_in;
    use crate::pages::text_of;
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "subscribe": true, "source": "newsletter" }),
    )
    .await
    .expect(202);
    let link = app
        .emailed_link("ana@example.org", "http://127.0.0.1/signatures/confirm/")
        .await;
    submit(&app, &path_of(&link), &[]).await;
    let found = items(
        app.get("/api/v1/supporters?email=ana@example.org", &token)
            .await
            .expect(200),
    );
    let id = id_of(&found[0]).to_owned();

    let page = browser
        .open(&format!("/admin/circle/supporters/{id}"))
        .await;
    page.expect_html(200);
    let consent = text_of(page.one("#consent-1"));
    for part in [
        "Consented",
        "“Keep me updated about this campaign by email”",
        "on a signature",
        "newsletter",
        "confirmed",
    ] {
        assert!(consent.contains(part), "{part} in {consent}");
    }
    assert!(
        text_of(page.one("#consent")).starts_with("Yes"),
        "this organisation holds her active consent"
    );
}

// --- the organisation's page and its "Join us" form ----------------------------------

#[tokio::test]
async fn an_organisations_page_lists_its_own_events_and_offers_join_us_unticked() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let other = app.owner_of("hov").await;
    app.published_event(&token, crate::helpers::meeting("Our film night"))
        .await;
    app.published_event(&other, crate::helpers::meeting("Their rally"))
        .await;

    let shown = open(&app, "/o/lrbc").await;

    assert_eq!(shown.status, 200);
    assert_eq!(shown.h1(), "The lrbc group");
    let text = shown.visible_text();
    assert!(text.contains("Our film night"), "{text}");
    assert!(!text.contains("Their rally"), "{text}");
    let box_ = shown.field("subscribe");
    assert_eq!(box_.value().attr("type"), Some("checkbox"));
    assert_eq!(box_.value().attr("checked"), None, "off by default");
    assert!(
        shown.links_to(|href| href.ends_with("/organisations/lrbc/calendar.ics")),
        "the feed is linked"
    );
    assert_eq!(open(&app, "/o/nobody").await.status, 404);
}

#[tokio::test]
async fn joining_on_the_page_without_the_box_ticked_is_refused_beside_it() {
    let app = spawn_app().await;
    app.owner_of("lrbc").await;

    let refused = submit(
        &app,
        "/o/lrbc",
        &[
            ("email", "ana@example.org"),
            ("name", "Ana"),
            ("locale", "es"),
        ],
    )
    .await;

    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(
        crate::console::error_beside(&refused, "subscribe"),
        "Marca la casilla para unirte."
    );
    assert_eq!(refused.value_of("email"), "ana@example.org");
    app.deliver_emails().await;
    assert!(app.smtp.to("ana@example.org").is_empty());
}

#[tokio::test]
async fn joining_on_the_page_keeps_the_words_the_form_and_the_source_once_confirmed() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let shown = open(&app, "/o/lrbc?source=flyer&lang=fr").await;
    assert_eq!(shown.value_of("source"), "flyer");

    let sent = submit(
        &app,
        "/o/lrbc",
        &[
            ("email", "Emile@Example.org"),
            ("name", "Émile"),
            ("locale", "fr"),
            ("source", "flyer"),
            ("subscribe", "yes"),
        ],
    )
    .await;
    assert_eq!(sent.status, 303);
    let after = crate::pages::follow(&app, &sent).await;
    assert!(
        after
            .visible_text()
            .contains("Consultez votre boîte de réception"),
        "{}",
        after.text
    );
    assert!(subscribers(&app, &token, "lrbc").await.is_empty());

    confirm_subscription_fr(&app, "Emile@Example.org").await;
    let list = subscribers(&app, &token, "lrbc").await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["form"], "join");
    assert_eq!(list[0]["source"], "flyer");
    assert_eq!(list[0]["locale"], "fr");
    assert_eq!(
        list[0]["words"],
        "Envoyez-moi des nouvelles de The lrbc group par courriel"
    );
}

/// As [`confirm_subscription`], for a French speaker.
async fn confirm_subscription_fr(app: &TestApp, address: &str) {
    let link = app.emailed_link(address, CONFIRM_LINK).await;
    let done = submit(app, &path_of(&link), &[]).await;
    assert_eq!(done.status, 200, "{}", done.text);
}
