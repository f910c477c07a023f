//! Giving online: a supporter is sent to Stripe Checkout, Stripe's signed webhooks
//! turn the gift into money counted once (however often and in whatever order they
//! come), a receipt follows, refunds give it back, and monthly gifts renew; all
//! against a fake Stripe that checks what the real one checks.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::smtp::Received;
use crate::stripe::{
    self, FakeStripe, SECRET_KEY, Session, WEBHOOK_SECRET, acknowledged, deliver, event, event_id,
    new_event, now, post_webhook, sign, signature, spawn_app_with_stripe,
    spawn_app_with_stripe_and,
};

const TITLE: &str = "Strike fund for the Peñarroya miners";
const DONOR: &str = "ana@example.org";
const PUBLIC_URL: &str = "http://127.0.0.1";

fn gbp(amount: i64) -> Value {
    json!({ "amount": amount, "currency": "GBP" })
}

/// A gift of £25 from `email`, with `extra` fields set.
fn gift(email: &str, extra: Value) -> Value {
    with(
        json!({ "amount": gbp(2500), "email": email, "name": name_of(email) }),
        extra,
    )
}

// --- helpers of this file ---------------------------------------------------------

/// An app talking to a fake Stripe, an organiser of `hov`, and an open fundraiser.
struct Setup {
    app: TestApp,
    fake: FakeStripe,
    token: String,
    fundraiser: Value,
}

impl Setup {
    async fn new() -> Self {
        let (app, fake) = spawn_app_with_stripe().await;
        Self::on(app, fake, json!({})).await
    }

    async fn on(app: TestApp, fake: FakeStripe, extra: Value) -> Self {
        let token = app.owner_of("hov").await;
        let fundraiser = open_fundraiser(&app, &token, extra).await;
        Self {
            app,
            fake,
            token,
            fundraiser,
        }
    }

    fn slug(&self) -> &str {
        self.fundraiser["slug"].as_str().expect("a slug")
    }

    /// A supporter gives through the public API; the whole reply.
    async fn donate(&self, body: &Value) -> Reply {
        donate(&self.app, self.slug(), body).await
    }

    /// A supporter gives £25 (with `extra`); the donation's id and its session.
    async fn give(&self, email: &str, extra: Value) -> (String, Session) {
        let reply = self.donate(&gift(email, extra)).await;
        let id = id_of(reply.expect(201)).to_owned();
        let session = self.fake.session_for(&id);
        (id, session)
    }

    /// Every donation, as the organiser sees them.
    async fn donations(&self) -> Vec<Value> {
        items(
            self.app
                .get(
                    &format!(
                        "/api/v1/fundraisers/{}/donations?limit=200",
                        id_of(&self.fundraiser)
                    ),
                    &self.token,
                )
                .await
                .expect(200),
        )
    }

    /// The donation `id` as the organiser sees it.
    async fn donation(&self, id: &str) -> Value {
        self.donations()
            .await
            .into_iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("no donation {id} in the organiser's list"))
    }

    async fn status_of(&self, id: &str) -> String {
        self.donation(id).await["status"]
            .as_str()
            .expect("a status")
            .to_owned()
    }

    /// The fundraiser as the public sees it.
    async fn public(&self) -> Value {
        self.app
            .get_public(&format!("/api/v1/public/fundraisers/{}", self.slug()))
            .await
            .expect(200)
            .clone()
    }

    /// What the public sees raised, and from how many donors.
    async fn raised(&self) -> (Value, i64) {
        let public = self.public().await;
        (
            public["raised"].clone(),
            public["donor_count"].as_i64().expect("a donor_count"),
        )
    }

    /// The public list of donors (first page of 200).
    async fn donors(&self) -> Vec<Value> {
        items(
            self.app
                .get_public(&format!(
                    "/api/v1/public/fundraisers/{}/donors?limit=200",
                    self.slug()
                ))
                .await
                .expect(200),
        )
    }

    /// `POST /api/v1/donations/{id}/refund` as the organiser, with no body.
    async fn refund(&self, id: &str) -> Reply {
        self.app
            .send(
                Method::POST,
                &format!("/api/v1/donations/{id}/refund"),
                Some(&self.token),
                None,
                None,
            )
            .await
    }

    /// The emails that reached `address`, once the worker has run.
    async fn emails_to(&self, address: &str) -> Vec<Received> {
        self.app.deliver_emails().await;
        self.app.smtp.to(address)
    }
}

async fn open_fundraiser(app: &TestApp, token: &str, extra: Value) -> Value {
    let body = with(json!({ "title": TITLE, "goal": gbp(500_000) }), extra);
    let draft = app
        .post_json("/api/v1/fundraisers", token, &body)
        .await
        .expect(201)
        .clone();
    publish(app, token, &draft).await
}

async fn publish(app: &TestApp, token: &str, fundraiser: &Value) -> Value {
    app.post_json(
        &format!("/api/v1/fundraisers/{}/publish", id_of(fundraiser)),
        token,
        &json!({}),
    )
    .await
    .expect(200)
    .clone()
}

/// `POST /api/v1/public/fundraisers/{fundraiser}/donations`; the whole reply.
async fn donate(app: &TestApp, fundraiser: &str, body: &Value) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/public/fundraisers/{fundraiser}/donations"),
        None,
        Some(body),
        None,
    )
    .await
}

/// As `donate`, with an `Idempotency-Key`.
async fn donate_once(app: &TestApp, fundraiser: &str, key: &str, body: &Value) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/public/fundraisers/{fundraiser}/donations"),
        None,
        Some(body),
        Some(key),
    )
    .await
}

/// Stripe tells the app the checkout was paid.
async fn pay(app: &TestApp, session: &Session) {
    acknowledged(app, "checkout.session.completed", session.completed()).await;
}

fn subjects(emails: &[Received]) -> Vec<String> {
    emails.iter().map(Received::subject).collect()
}

/// HTML with the entities the templates write (`&#x2f;` for `/`…) read back.
fn unescaped(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The path of a link under the app's public URL.
#[track_caller]
fn path_of(link: &str) -> String {
    link.strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{link} is not under {PUBLIC_URL}"))
        .to_owned()
}

// --- sending a supporter to Checkout ----------------------------------------------------

#[tokio::test]
async fn a_donation_sends_the_donor_to_stripe_checkout() {
    let s = Setup::new().await;

    let reply = s.donate(&gift(DONOR, json!({}))).await;

    let body = reply.expect(201);
    let id = id_of(body).to_owned();
    assert_eq!(body["status"], "pending");
    let keys: Vec<&String> = body.as_object().expect("an object").keys().collect();
    assert_eq!(keys.len(), 3, "{body}");
    let requests = s.fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/checkout/sessions");
    assert_eq!(request.status, 200, "Stripe refused it: {}", request.answer);
    assert_eq!(
        request.authorization.as_deref(),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    assert!(
        request
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")),
        "{:?}",
        request.content_type
    );
    assert_eq!(
        request.idempotency_key.as_deref(),
        Some(format!("checkout-{id}").as_str())
    );
    let session = s.fake.session_for(&id);
    assert_eq!(body["checkout_url"], session.url());
    assert!(session.url().starts_with("https://checkout.stripe.com/"));

    let form = &s.fake.form_of(0);
    assert_eq!(form.field("mode"), "payment");
    assert_eq!(form.field("line_items[0][price_data][currency]"), "gbp");
    assert_eq!(form.field("line_items[0][price_data][unit_amount]"), "2500");
    assert_eq!(form.field("line_items[0][quantity]"), "1");
    assert_eq!(
        form.field("line_items[0][price_data][product_data][name]"),
        TITLE
    );
    assert_eq!(form.field("metadata[donation_id]"), id);
    assert_eq!(form.field("metadata[fundraiser_id]"), id_of(&s.fundraiser));
    assert_eq!(form.field("client_reference_id"), id);
    assert_eq!(form.field("payment_intent_data[metadata][donation_id]"), id);
    assert_eq!(form.field("customer_email"), DONOR);
    assert_eq!(form.field("submit_type"), "donate");
    assert_eq!(form.field("locale"), "en");
    assert!(!form.has("subscription_data"), "{form:?}");
    assert!(
        !form.has("line_items[0][price_data][recurring]"),
        "{form:?}"
    );

    let thanks = form.field("success_url");
    let cancelled = form.field("cancel_url");
    let token = thanks
        .strip_prefix(&format!("{PUBLIC_URL}/donations/"))
        .and_then(|rest| rest.strip_suffix("/thanks"))
        .unwrap_or_else(|| panic!("success_url {thanks}"));
    assert!(!token.is_empty() && !token.contains('/'), "{thanks}");
    assert_eq!(
        cancelled,
        format!("{PUBLIC_URL}/donations/{token}/cancelled")
    );
}

#[tokio::test]
async fn a_monthly_donation_starts_a_subscription() {
    let s = Setup::new().await;

    let reply = s
        .donate(&gift(DONOR, json!({ "frequency": "monthly" })))
        .await;

    let id = id_of(reply.expect(201)).to_owned();
    assert_eq!(reply.body["status"], "pending");
    let session = s.fake.session_for(&id);
    assert_eq!(reply.body["checkout_url"], session.url());
    let form = &session.form;
    assert_eq!(form.field("mode"), "subscription");
    assert_eq!(
        form.field("line_items[0][price_data][recurring][interval]"),
        "month"
    );
    assert_eq!(form.field("line_items[0][price_data][unit_amount]"), "2500");
    assert_eq!(form.field("line_items[0][price_data][currency]"), "gbp");
    assert_eq!(form.field("subscription_data[metadata][donation_id]"), id);
    assert_eq!(form.field("metadata[donation_id]"), id);
    assert!(!form.has("submit_type"), "{form:?}");
    assert!(!form.has("payment_intent_data"), "{form:?}");
    let donation = s.donation(&id).await;
    assert_eq!(donation["frequency"], "monthly");
    assert_eq!(donation["method"], "online");
}

#[tokio::test]
async fn a_pending_donation_does_not_count() {
    let s = Setup::new().await;

    let (id, _) = s.give(DONOR, json!({ "message": "Solidarity!" })).await;

    assert_eq!(s.raised().await, (gbp(0), 0));
    assert!(s.donors().await.is_empty());
    let donation = s.donation(&id).await;
    assert_eq!(donation["status"], "pending");
    assert_eq!(donation["method"], "online");
    assert_eq!(donation["frequency"], "one_time");
    assert_eq!(donation["amount"], gbp(2500));
    assert_eq!(donation["refunded_amount"], 0);
    assert_eq!(donation["donor_email"], DONOR);
    assert_eq!(donation["donor_name"], "Ana");
    assert_eq!(donation["message"], "Solidarity!");
    assert_eq!(donation["fundraiser_id"], s.fundraiser["id"]);
    assert_eq!(donation["received_at"], Value::Null);
    assert!(s.emails_to(DONOR).await.is_empty());
}

#[tokio::test]
async fn a_currency_code_in_lower_case_is_accepted() {
    let s = Setup::new().await;

    let reply = s
        .donate(&gift(
            DONOR,
            json!({ "amount": { "amount": 2500, "currency": "gbp" } }),
        ))
        .await;

    let id = id_of(reply.expect(201)).to_owned();
    assert_eq!(s.donation(&id).await["amount"], gbp(2500));
}

// --- Stripe's webhooks ----------------------------------------------------------------

#[tokio::test]
async fn a_paid_checkout_counts_the_gift_and_sends_a_receipt() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;

    let reply = deliver(
        &s.app,
        &new_event("checkout.session.completed", session.completed()),
    )
    .await;

    assert_eq!(reply.expect(200), &json!({ "received": true }));
    let donation = s.donation(&id).await;
    assert_eq!(donation["status"], "succeeded");
    assert!(donation["received_at"].is_string(), "{donation}");
    assert_eq!(donation["failure_reason"], Value::Null);
    assert_eq!(s.raised().await, (gbp(2500), 1));
    let emails = s.emails_to(DONOR).await;
    assert_eq!(emails.len(), 1, "{:?}", subjects(&emails));
    let receipt = &emails[0];
    assert_eq!(
        receipt.subject(),
        format!("Receipt for your donation to {TITLE}")
    );
    let text = receipt.text();
    assert!(text.contains("25.00 GBP"), "{text}");
    assert!(
        text.contains(&id),
        "the reference is the donation id:\n{text}"
    );
    assert!(
        text.contains(&format!("{PUBLIC_URL}/fundraisers/{}", s.slug())),
        "{text}"
    );
    assert!(text.contains("The hov group"), "{text}");
    assert!(receipt.html().contains("25.00 GBP"), "{}", receipt.html());
}

#[tokio::test]
async fn a_receipt_is_in_the_donors_language() {
    let s = Setup::new().await;
    let (_, es) = s.give("rosa@example.org", json!({ "locale": "es" })).await;
    let (_, fr) = s
        .give("louise@example.org", json!({ "locale": "fr" }))
        .await;
    assert_eq!(es.form.field("locale"), "es");
    assert_eq!(fr.form.field("locale"), "fr");

    pay(&s.app, &es).await;
    pay(&s.app, &fr).await;

    let spanish = s.emails_to("rosa@example.org").await;
    assert_eq!(spanish.len(), 1, "{:?}", subjects(&spanish));
    assert_eq!(
        spanish[0].subject(),
        format!("Recibo de tu donación a {TITLE}")
    );
    assert!(
        spanish[0].text().contains("25,00 GBP"),
        "{}",
        spanish[0].text()
    );
    let french = s.app.smtp.to("louise@example.org");
    assert_eq!(french.len(), 1, "{:?}", subjects(&french));
    assert_eq!(
        french[0].subject(),
        format!("Reçu pour votre don à {TITLE}")
    );
    assert!(
        french[0].text().contains("25,00 GBP"),
        "{}",
        french[0].text()
    );
}

#[tokio::test]
async fn the_same_event_delivered_again_counts_once() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    let payload = new_event("checkout.session.completed", session.completed());

    for _ in 0..3 {
        deliver(&s.app, &payload).await.expect(200);
    }

    assert_eq!(s.status_of(&id).await, "succeeded");
    assert_eq!(s.raised().await, (gbp(2500), 1));
    assert_eq!(s.emails_to(DONOR).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_event_delivered_ten_times_at_once_counts_once() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    let payload = new_event("checkout.session.completed", session.completed());
    let header = sign(WEBHOOK_SECRET, &payload, now());

    let replies = futures_util::future::join_all(
        (0..10).map(|_| post_webhook(&s.app, &payload, Some(&header))),
    )
    .await;

    for reply in &replies {
        reply.expect(200);
    }
    assert_eq!(s.status_of(&id).await, "succeeded");
    assert_eq!(s.raised().await, (gbp(2500), 1));
    let emails = s.emails_to(DONOR).await;
    assert_eq!(emails.len(), 1, "{:?}", subjects(&emails));
}

#[tokio::test]
async fn a_completed_event_under_a_new_id_does_not_count_the_gift_twice() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;

    pay(&s.app, &session).await;
    pay(&s.app, &session).await;

    assert_eq!(s.status_of(&id).await, "succeeded");
    assert_eq!(s.raised().await, (gbp(2500), 1));
    assert_eq!(s.emails_to(DONOR).await.len(), 1);
}

// --- webhooks nobody signed -------------------------------------------------------------

/// The webhook is refused as a 400 problem, and the gift is as it was: pending,
/// uncounted, no receipt; and the genuine event (same id) still works afterwards.
async fn refused_then_genuine(s: &Setup, id: &str, payload: &str, header: Option<&str>) {
    post_webhook(&s.app, payload, header)
        .await
        .expect_problem(400);
    assert_eq!(s.status_of(id).await, "pending");
    assert_eq!(s.raised().await, (gbp(0), 0));
    assert!(s.emails_to(DONOR).await.is_empty());
}

/// The properly signed event with id `event_id` is accepted and counts.
async fn genuine_counts(s: &Setup, id: &str, event_id: &str, session: &Session) {
    let payload = event(event_id, "checkout.session.completed", session.completed());
    deliver(&s.app, &payload).await.expect(200);
    assert_eq!(s.status_of(id).await, "succeeded");
    assert_eq!(s.raised().await, (gbp(2500), 1));
}

#[tokio::test]
async fn a_webhook_signed_with_another_secret_is_refused() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    let event_id = event_id();
    let payload = event(&event_id, "checkout.session.completed", session.completed());

    let header = sign("whsec_someone_else", &payload, now());
    refused_then_genuine(&s, &id, &payload, Some(&header)).await;

    genuine_counts(&s, &id, &event_id, &session).await;
}

#[tokio::test]
async fn a_webhook_whose_body_was_changed_is_refused() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    let event_id = event_id();
    let signed = event(
        &event_id,
        "checkout.session.completed",
        session.completed_unpaid(),
    );
    let header = sign(WEBHOOK_SECRET, &signed, now());
    let tampered = signed.replace("\"unpaid\"", "\"paid\"");
    assert_ne!(tampered, signed);

    refused_then_genuine(&s, &id, &tampered, Some(&header)).await;

    genuine_counts(&s, &id, &event_id, &session).await;
}

#[tokio::test]
async fn a_webhook_without_a_signature_is_refused() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    let event_id = event_id();
    let payload = event(&event_id, "checkout.session.completed", session.completed());

    refused_then_genuine(&s, &id, &payload, None).await;
    refused_then_genuine(&s, &id, &payload, Some("")).await;
    refused_then_genuine(&s, &id, &payload, Some("nonsense")).await;
    let bare = format!("v1={}", signature(WEBHOOK_SECRET, &payload, now()));
    refused_then_genuine(&s, &id, &payload, Some(&bare)).await;

    genuine_counts(&s, &id, &event_id, &session).await;
}

#[tokio::test]
async fn a_webhook_signed_six_minutes_ago_is_refused() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    let event_id = event_id();
    let payload = event(&event_id, "checkout.session.completed", session.completed());

    let header = sign(WEBHOOK_SECRET, &payload, now() - 360);
    refused_then_genuine(&s, &id, &payload, Some(&header)).await;

    genuine_counts(&s, &id, &event_id, &session).await;
}

#[tokio::test]
async fn a_webhook_signed_six_minutes_ahead_is_refused() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    let event_id = event_id();
    let payload = event(&event_id, "checkout.session.completed", session.completed());

    let header = sign(WEBHOOK_SECRET, &payload, now() + 360);
    refused_then_genuine(&s, &id, &payload, Some(&header)).await;

    genuine_counts(&s, &id, &event_id, &session).await;
}

#[tokio::test]
async fn a_webhook_signed_a_minute_ago_is_accepted() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    let payload = new_event("checkout.session.completed", session.completed());

    let header = sign(WEBHOOK_SECRET, &payload, now() - 60);
    post_webhook(&s.app, &payload, Some(&header))
        .await
        .expect(200);

    assert_eq!(s.status_of(&id).await, "succeeded");
}

#[tokio::test]
async fn one_right_signature_among_several_is_enough() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    let payload = new_event("checkout.session.completed", session.completed());
    let t = now();
    // As while a secret is rolled: Stripe signs with the old and the new.
    let header = format!(
        "t={t},v1={},v1={},v0={}",
        signature("whsec_the_old_one", &payload, t),
        signature(WEBHOOK_SECRET, &payload, t),
        "6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
    );

    post_webhook(&s.app, &payload, Some(&header))
        .await
        .expect(200);

    assert_eq!(s.status_of(&id).await, "succeeded");
    assert_eq!(s.raised().await, (gbp(2500), 1));
}

#[tokio::test]
async fn webhooks_are_refused_while_no_secret_is_set() {
    let (app, fake) = spawn_app_with_stripe_and(|config| config.stripe_webhook_secret = None).await;
    let s = Setup::on(app, fake, json!({})).await;
    let (id, session) = s.give(DONOR, json!({})).await;

    let reply = deliver(
        &s.app,
        &new_event("checkout.session.completed", session.completed()),
    )
    .await;

    reply.expect_problem(503);
    assert_eq!(s.status_of(&id).await, "pending");
    assert_eq!(s.raised().await, (gbp(0), 0));
}

#[tokio::test]
async fn events_about_nothing_of_ours_are_acknowledged_and_ignored() {
    let s = Setup::new().await;
    let (id, _) = s.give(DONOR, json!({})).await;
    let stranger = uuid::Uuid::now_v7().to_string();

    acknowledged(
        &s.app,
        "customer.created",
        json!({ "id": "cus_123", "object": "customer", "email": DONOR }),
    )
    .await;
    acknowledged(
        &s.app,
        "checkout.session.completed",
        json!({
            "id": "cs_test_someone_elses",
            "object": "checkout.session",
            "mode": "payment",
            "status": "complete",
            "payment_status": "paid",
            "client_reference_id": stranger,
            "metadata": { "donation_id": stranger },
            "payment_intent": "pi_someone_elses",
            "subscription": null,
            "amount_total": 2500,
            "currency": "gbp",
        }),
    )
    .await;

    assert_eq!(s.status_of(&id).await, "pending");
    assert_eq!(s.raised().await, (gbp(0), 0));
    assert_eq!(s.donations().await.len(), 1);
}

// --- payments that take time, fail or expire ---------------------------------------------

#[tokio::test]
async fn a_payment_still_being_confirmed_counts_once_it_is() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;

    acknowledged(
        &s.app,
        "checkout.session.completed",
        session.completed_unpaid(),
    )
    .await;

    assert_eq!(s.status_of(&id).await, "pending");
    assert_eq!(s.raised().await, (gbp(0), 0));
    assert!(s.emails_to(DONOR).await.is_empty());

    acknowledged(
        &s.app,
        "checkout.session.async_payment_succeeded",
        session.completed(),
    )
    .await;

    assert_eq!(s.status_of(&id).await, "succeeded");
    assert_eq!(s.raised().await, (gbp(2500), 1));
    let emails = s.emails_to(DONOR).await;
    assert_eq!(emails.len(), 1, "{:?}", subjects(&emails));
}

#[tokio::test]
async fn a_payment_that_fails_to_confirm_fails_the_gift() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    acknowledged(
        &s.app,
        "checkout.session.completed",
        session.completed_unpaid(),
    )
    .await;

    acknowledged(
        &s.app,
        "checkout.session.async_payment_failed",
        session.completed_unpaid(),
    )
    .await;

    assert_eq!(s.status_of(&id).await, "failed");
    assert_eq!(s.raised().await, (gbp(0), 0));
    assert!(s.donors().await.is_empty());
    assert!(s.emails_to(DONOR).await.is_empty());
}

#[tokio::test]
async fn an_abandoned_checkout_expires_and_fails_the_gift() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;

    acknowledged(&s.app, "checkout.session.expired", session.expired()).await;

    let donation = s.donation(&id).await;
    assert_eq!(donation["status"], "failed");
    assert_eq!(donation["failure_reason"], "expired");
    assert_eq!(s.raised().await, (gbp(0), 0));
    assert!(s.donors().await.is_empty());
    assert!(s.emails_to(DONOR).await.is_empty());
}

#[tokio::test]
async fn a_declined_card_fails_the_gift_until_another_card_pays() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;

    acknowledged(
        &s.app,
        "payment_intent.payment_failed",
        session.payment_failed("Your card was declined."),
    )
    .await;

    let donation = s.donation(&id).await;
    assert_eq!(donation["status"], "failed");
    assert!(donation["failure_reason"].is_string(), "{donation}");
    assert_eq!(s.raised().await, (gbp(0), 0));

    // The supporter tries another card on the same Checkout page, and it goes through.
    pay(&s.app, &session).await;

    let donation = s.donation(&id).await;
    assert_eq!(donation["status"], "succeeded");
    assert_eq!(s.raised().await, (gbp(2500), 1));
    assert_eq!(s.emails_to(DONOR).await.len(), 1);
}

// --- refunds -----------------------------------------------------------------------------

#[tokio::test]
async fn a_refund_made_in_stripe_gives_the_gift_back() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    pay(&s.app, &session).await;

    acknowledged(&s.app, "charge.refunded", session.charge_refunded(2500)).await;

    let donation = s.donation(&id).await;
    assert_eq!(donation["status"], "refunded");
    assert_eq!(donation["refunded_amount"], 2500);
    assert!(donation["refunded_at"].is_string(), "{donation}");
    assert_eq!(s.raised().await, (gbp(0), 0));
    assert!(s.donors().await.is_empty());

    // A late or repeated completion never brings a refunded gift back.
    pay(&s.app, &session).await;
    assert_eq!(s.status_of(&id).await, "refunded");
    assert_eq!(s.raised().await, (gbp(0), 0));
}

#[tokio::test]
async fn a_partial_refund_counts_what_is_left() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    pay(&s.app, &session).await;

    acknowledged(&s.app, "charge.refunded", session.charge_refunded(1000)).await;

    let donation = s.donation(&id).await;
    assert_eq!(donation["status"], "succeeded");
    assert_eq!(donation["refunded_amount"], 1000);
    assert_eq!(s.raised().await, (gbp(1500), 1));

    acknowledged(&s.app, "charge.refunded", session.charge_refunded(2500)).await;

    let donation = s.donation(&id).await;
    assert_eq!(donation["status"], "refunded");
    assert_eq!(donation["refunded_amount"], 2500);
    assert_eq!(s.raised().await, (gbp(0), 0));
}

#[tokio::test]
async fn an_organiser_refunds_an_online_gift_through_stripe_once() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    pay(&s.app, &session).await;

    let reply = s.refund(&id).await;

    let refunded = reply.expect(200).clone();
    assert_eq!(refunded["id"], id);
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(refunded["refunded_amount"], 2500);
    assert!(refunded["refunded_at"].is_string(), "{refunded}");
    let calls = s.fake.requests_to("/v1/refunds");
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(
        call.status, 200,
        "Stripe refused the refund: {}",
        call.answer
    );
    assert_eq!(call.field("payment_intent"), session.payment_intent());
    assert_eq!(call.field("metadata[donation_id]"), id);
    assert_eq!(
        call.idempotency_key.as_deref(),
        Some(format!("refund-{id}").as_str())
    );
    assert_eq!(
        call.authorization.as_deref(),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    assert_eq!(s.raised().await, (gbp(0), 0));

    let again = s.refund(&id).await;

    assert_eq!(again.expect(200), &refunded);
    assert_eq!(s.fake.requests_to("/v1/refunds").len(), 1);

    // Stripe then tells the app about the refund it made.
    acknowledged(&s.app, "charge.refunded", session.charge_refunded(2500)).await;
    let donation = s.donation(&id).await;
    assert_eq!(donation["status"], "refunded");
    assert_eq!(donation["refunded_amount"], 2500);
    assert_eq!(s.raised().await, (gbp(0), 0));
}

#[tokio::test]
async fn a_gift_not_yet_paid_cannot_be_refunded() {
    let s = Setup::new().await;
    let (pending, _) = s.give(DONOR, json!({})).await;
    let (failed, session) = s.give("rosa@example.org", json!({})).await;
    acknowledged(&s.app, "checkout.session.expired", session.expired()).await;

    s.refund(&pending).await.expect_problem(409);
    s.refund(&failed).await.expect_problem(409);

    assert_eq!(s.status_of(&pending).await, "pending");
    assert_eq!(s.status_of(&failed).await, "failed");
    assert!(s.fake.requests_to("/v1/refunds").is_empty());
}

#[tokio::test]
async fn a_refund_stripe_fails_leaves_the_gift_and_can_be_tried_again() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    pay(&s.app, &session).await;
    s.fake.fail_with(500);

    let reply = s.refund(&id).await;

    reply.expect_problem(502);
    assert!(!reply.text.contains(SECRET_KEY), "{}", reply.text);
    let donation = s.donation(&id).await;
    assert_eq!(donation["status"], "succeeded");
    assert_eq!(donation["refunded_amount"], 0);
    assert_eq!(s.raised().await, (gbp(2500), 1));

    s.fake.recover();
    s.refund(&id).await.expect(200);

    assert_eq!(s.status_of(&id).await, "refunded");
    assert_eq!(s.raised().await, (gbp(0), 0));
}

#[tokio::test]
async fn a_refund_stripe_declines_is_a_bad_gateway() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    pay(&s.app, &session).await;
    s.fake.fail_with(402);

    s.refund(&id).await.expect_problem(502);

    assert_eq!(s.status_of(&id).await, "succeeded");
}

// --- monthly gifts ---------------------------------------------------------------------------

#[tokio::test]
async fn a_monthly_gift_renews_as_a_new_donation_each_month() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({ "frequency": "monthly" })).await;

    pay(&s.app, &session).await;
    acknowledged(
        &s.app,
        "invoice.paid",
        session.invoice_paid(0, "subscription_create"),
    )
    .await;

    let donations = s.donations().await;
    assert_eq!(donations.len(), 1, "{donations:?}");
    assert_eq!(donations[0]["status"], "succeeded");
    assert_eq!(donations[0]["frequency"], "monthly");
    assert_eq!(s.raised().await, (gbp(2500), 1));
    assert_eq!(s.emails_to(DONOR).await.len(), 1);

    let next_month = session.invoice_paid(1, "subscription_cycle");
    acknowledged(&s.app, "invoice.paid", next_month.clone()).await;

    let donations = s.donations().await;
    assert_eq!(donations.len(), 2, "{donations:?}");
    let renewal = donations.iter().find(|d| d["id"] != id).expect("a renewal");
    assert_eq!(renewal["parent_id"], id);
    assert_eq!(renewal["status"], "succeeded");
    assert_eq!(renewal["frequency"], "monthly");
    assert_eq!(renewal["method"], "online");
    assert_eq!(renewal["amount"], gbp(2500));
    assert_eq!(renewal["donor_email"], DONOR);
    assert!(renewal["received_at"].is_string(), "{renewal}");
    assert_eq!(s.raised().await, (gbp(5000), 1));
    let emails = s.emails_to(DONOR).await;
    assert_eq!(emails.len(), 2, "{:?}", subjects(&emails));
    assert!(
        emails[1].text().contains(id_of(renewal)),
        "{}",
        emails[1].text()
    );

    // Stripe sends the same invoice again, as a new event.
    acknowledged(&s.app, "invoice.paid", next_month).await;

    assert_eq!(s.donations().await.len(), 2);
    assert_eq!(s.raised().await, (gbp(5000), 1));
    assert_eq!(s.emails_to(DONOR).await.len(), 2);
}

#[tokio::test]
async fn a_first_invoice_paid_before_the_checkout_completes_counts_once() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({ "frequency": "monthly" })).await;

    acknowledged(
        &s.app,
        "invoice.paid",
        session.invoice_paid(0, "subscription_create"),
    )
    .await;
    pay(&s.app, &session).await;

    let donations = s.donations().await;
    assert_eq!(donations.len(), 1, "{donations:?}");
    assert_eq!(donations[0]["id"], id);
    assert_eq!(donations[0]["status"], "succeeded");
    assert_eq!(s.raised().await, (gbp(2500), 1));
    assert_eq!(s.emails_to(DONOR).await.len(), 1);
}

// --- what the public sees ----------------------------------------------------------------------

#[tokio::test]
async fn an_anonymous_donor_is_never_named_in_public() {
    let s = Setup::new().await;
    let (_, hidden) = s
        .give(
            "rosa@example.org",
            json!({ "name": "Rosa Luxemburg", "anonymous": true, "message": "Venceremos" }),
        )
        .await;
    let (_, named) = s
        .give(
            "clara@example.org",
            json!({ "name": "Clara Zetkin", "amount": gbp(5000) }),
        )
        .await;
    pay(&s.app, &hidden).await;
    pay(&s.app, &named).await;

    let donors = s.donors().await;

    assert_eq!(donors.len(), 2, "{donors:?}");
    let anonymous = donors
        .iter()
        .find(|d| d["amount"] == gbp(2500))
        .expect("the anonymous gift");
    assert_eq!(anonymous["name"], Value::Null);
    let clara = donors
        .iter()
        .find(|d| d["amount"] == gbp(5000))
        .expect("Clara's gift");
    assert_eq!(clara["name"], "Clara Zetkin");
    let surfaces = [
        s.app
            .get_public(&format!("/api/v1/public/fundraisers/{}/donors", s.slug()))
            .await,
        s.app
            .get_public(&format!("/api/v1/public/fundraisers/{}", s.slug()))
            .await,
        s.app
            .get_public(&format!(
                "/api/v1/public/fundraisers/{}",
                id_of(&s.fundraiser)
            ))
            .await,
    ];
    for reply in &surfaces {
        reply.expect(200);
        assert_names_nobody_secret(&reply.text);
    }
    assert_eq!(s.raised().await, (gbp(7500), 2));
}

#[tokio::test]
async fn the_fundraisers_page_never_names_an_anonymous_donor() {
    let s = Setup::new().await;
    let (_, hidden) = s
        .give(
            "rosa@example.org",
            json!({ "name": "Rosa Luxemburg", "anonymous": true }),
        )
        .await;
    let (_, named) = s
        .give("clara@example.org", json!({ "name": "Clara Zetkin" }))
        .await;
    pay(&s.app, &hidden).await;
    pay(&s.app, &named).await;

    let page = s
        .app
        .get_public(&format!("/fundraisers/{}", s.slug()))
        .await;

    page.expect(200);
    assert!(
        page.content_type().starts_with("text/html"),
        "{}",
        page.content_type()
    );
    assert_names_nobody_secret(&page.text);
    assert!(
        page.text.contains("Clara Zetkin"),
        "the donor who gave their name is thanked by it: {}",
        page.text
    );
    assert!(
        page.text.contains("Anonymous"),
        "the anonymous gift is listed as such: {}",
        page.text
    );
}

/// Neither the anonymous donor's name nor anyone's address is in `text`.
#[track_caller]
fn assert_names_nobody_secret(text: &str) {
    assert_absent(
        text,
        &["Rosa", "Luxemburg", "rosa@example.org", "clara@example.org"],
    );
}

// --- Idempotency-Key --------------------------------------------------------------------------

#[tokio::test]
async fn a_retried_donation_is_one_donation_and_one_checkout() {
    let s = Setup::new().await;
    let body = gift(DONOR, json!({}));

    let mut replies = Vec::new();
    for _ in 0..5 {
        replies.push(donate_once(&s.app, s.slug(), "gift-1", &body).await);
    }

    let first = replies[0].expect(201);
    for reply in &replies[1..] {
        assert_eq!(reply.expect(201), first);
        assert_eq!(
            reply
                .headers
                .get("idempotent-replayed")
                .and_then(|v| v.to_str().ok()),
            Some("true")
        );
    }
    assert_eq!(s.fake.requests_to("/v1/checkout/sessions").len(), 1);
    assert_eq!(s.fake.sessions().len(), 1);
    let donations = s.donations().await;
    assert_eq!(donations.len(), 1, "{donations:?}");
    assert_eq!(donations[0]["id"], first["id"]);
    assert_eq!(donations[0]["status"], "pending");

    // The key again with another amount is refused, and makes nothing.
    donate_once(
        &s.app,
        s.slug(),
        "gift-1",
        &gift(DONOR, json!({ "amount": gbp(5000) })),
    )
    .await
    .expect_problem(422);
    assert_eq!(s.donations().await.len(), 1);
    assert_eq!(s.fake.sessions().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_donation_retried_at_once_is_one_donation_and_one_checkout() {
    let s = Setup::new().await;
    let body = gift(DONOR, json!({}));

    let replies = futures_util::future::join_all(
        (0..5).map(|_| donate_once(&s.app, s.slug(), "gift-1", &body)),
    )
    .await;

    let first = replies[0].expect(201);
    for reply in &replies {
        assert_eq!(reply.expect(201), first);
    }
    assert_eq!(s.fake.requests_to("/v1/checkout/sessions").len(), 1);
    let donations = s.donations().await;
    assert_eq!(donations.len(), 1, "{donations:?}");
    assert_eq!(donations[0]["status"], "pending");
}

// --- refusals -----------------------------------------------------------------------------------

#[tokio::test]
async fn a_gift_in_another_currency_is_refused() {
    let s = Setup::new().await;

    s.donate(&gift(
        DONOR,
        json!({ "amount": { "amount": 2500, "currency": "EUR" } }),
    ))
    .await
    .expect_invalid("amount.currency");
    s.donate(&gift(
        DONOR,
        json!({ "amount": { "amount": 2500, "currency": "ZZZ" } }),
    ))
    .await
    .expect_invalid("amount.currency");

    assert!(s.fake.requests().is_empty());
    assert!(s.donations().await.is_empty());
}

#[tokio::test]
async fn a_gift_outside_the_fundraisers_limits_is_refused() {
    let (app, fake) = spawn_app_with_stripe().await;
    let s = Setup::on(
        app,
        fake,
        json!({ "min_amount": 500, "max_amount": 100_000, "suggested_amounts": [500, 1000] }),
    )
    .await;

    for amount in [0, -100, 499, 100_001] {
        s.donate(&gift(DONOR, json!({ "amount": gbp(amount) })))
            .await
            .expect_invalid("amount.amount");
    }
    assert!(s.fake.requests().is_empty());
    assert!(s.donations().await.is_empty());

    for amount in [500, 100_000] {
        s.donate(&gift(DONOR, json!({ "amount": gbp(amount) })))
            .await
            .expect(201);
    }
    assert_eq!(s.donations().await.len(), 2);
}

#[tokio::test]
async fn a_gift_above_the_default_maximum_is_refused() {
    let s = Setup::new().await;

    s.donate(&gift(DONOR, json!({ "amount": gbp(100_000_000) })))
        .await
        .expect_invalid("amount.amount");
    s.donate(&gift(DONOR, json!({ "amount": gbp(50) })))
        .await
        .expect_invalid("amount.amount");

    assert!(s.fake.requests().is_empty());
}

#[tokio::test]
async fn a_donor_needs_an_email_and_a_name() {
    let s = Setup::new().await;

    s.donate(&gift("not-an-email", json!({})))
        .await
        .expect_invalid("email");
    s.donate(&json!({ "amount": gbp(2500), "email": DONOR }))
        .await
        .expect_invalid("name");

    assert!(s.fake.requests().is_empty());
    assert!(s.donations().await.is_empty());
}

#[tokio::test]
async fn a_misspelt_field_in_a_gift_is_refused() {
    let s = Setup::new().await;

    s.donate(&gift(DONOR, json!({ "anonymus": true })))
        .await
        .expect_problem(422);
    s.donate(&gift(DONOR, json!({ "frequency": "weekly" })))
        .await
        .expect_problem(422);

    assert!(s.fake.requests().is_empty());
    assert!(s.donations().await.is_empty());
}

#[tokio::test]
async fn a_closed_fundraiser_takes_no_gifts() {
    let s = Setup::new().await;
    s.app
        .post_json(
            &format!("/api/v1/fundraisers/{}/close", id_of(&s.fundraiser)),
            &s.token,
            &json!({}),
        )
        .await
        .expect(200);

    s.donate(&gift(DONOR, json!({}))).await.expect_problem(409);

    assert!(s.fake.requests().is_empty());
    assert!(s.donations().await.is_empty());
}

#[tokio::test]
async fn a_draft_or_unknown_fundraiser_is_not_found() {
    let s = Setup::new().await;
    let draft = s
        .app
        .post_json(
            "/api/v1/fundraisers",
            &s.token,
            &json!({ "title": "Not yet", "goal": gbp(100_000) }),
        )
        .await
        .expect(201)
        .clone();

    for fundraiser in [
        id_of(&draft),
        draft["slug"].as_str().expect("a slug"),
        "no-such-fundraiser",
        &uuid::Uuid::now_v7().to_string(),
    ] {
        donate(&s.app, fundraiser, &gift(DONOR, json!({})))
            .await
            .expect_problem(404);
    }
    assert!(s.fake.requests().is_empty());
}

// --- when Stripe is not there ------------------------------------------------------------------

#[tokio::test]
async fn without_stripe_configured_nobody_can_give_online() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;

    let reply = donate(&app, id_of(&fundraiser), &gift(DONOR, json!({}))).await;

    reply.expect_problem(503);
    let donations = app
        .get(
            &format!("/api/v1/fundraisers/{}/donations", id_of(&fundraiser)),
            &token,
        )
        .await;
    assert!(items(donations.expect(200)).is_empty());
}

#[tokio::test]
async fn a_stripe_error_is_a_bad_gateway_and_the_gift_fails() {
    let s = Setup::new().await;
    s.fake.fail_with(500);

    let reply = s.donate(&gift(DONOR, json!({}))).await;

    reply.expect_problem(502);
    // Turnout may retry a 500 (under the same key), as Stripe advises; never more.
    let requests = s.fake.requests();
    assert!(!requests.is_empty(), "Turnout never called Stripe");
    assert!(
        requests.iter().all(|r| r.path == "/v1/checkout/sessions"
            && r.idempotency_key == requests[0].idempotency_key),
        "{requests:?}"
    );
    let donations = s.donations().await;
    assert_eq!(donations.len(), 1, "{donations:?}");
    assert_eq!(donations[0]["status"], "failed");
    assert_eq!(s.raised().await, (gbp(0), 0));
    assert!(s.emails_to(DONOR).await.is_empty());
}

#[tokio::test]
async fn a_wrong_stripe_key_is_a_bad_gateway_that_does_not_leak_the_key() {
    let fake = FakeStripe::start(SECRET_KEY).await;
    let url = fake.url();
    let app = spawn_app_configured(move |config| {
        config.stripe_secret_key = Some("sk_test_revoked_key_0000".into());
        config.stripe_webhook_secret = Some(WEBHOOK_SECRET.into());
        config.stripe_api_base = url;
    })
    .await;
    let s = Setup::on(app, fake, json!({})).await;

    let reply = s.donate(&gift(DONOR, json!({}))).await;

    reply.expect_problem(502);
    assert!(!reply.text.contains("sk_test"), "{}", reply.text);
    let requests = s.fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, 401);
    assert_eq!(s.donations().await[0]["status"], "failed");
}

// --- many at once ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_gifts_paid_at_once_are_all_counted() {
    let s = Setup::new().await;
    let mut sessions = Vec::new();
    let mut total = 0;
    for i in 0..30 {
        let amount = 1000 + 100 * i;
        total += amount;
        let (_, session) = s
            .give(
                &format!("donor{i}@example.org"),
                json!({ "amount": gbp(amount) }),
            )
            .await;
        sessions.push(session);
    }
    let payloads: Vec<String> = sessions
        .iter()
        .map(|session| new_event("checkout.session.completed", session.completed()))
        .collect();

    let replies =
        futures_util::future::join_all(payloads.iter().map(|payload| deliver(&s.app, payload)))
            .await;

    for reply in &replies {
        reply.expect(200);
    }
    assert_eq!(s.raised().await, (gbp(total), 30));
    let donations = s.donations().await;
    assert_eq!(donations.len(), 30);
    assert!(
        donations.iter().all(|d| d["status"] == "succeeded"),
        "{donations:?}"
    );
    assert_eq!(s.donors().await.len(), 30);
    s.app.deliver_emails().await;
    assert_eq!(s.app.smtp.all().len(), 30);
}

// --- back from Checkout ------------------------------------------------------------------------

#[tokio::test]
async fn the_donor_comes_back_to_a_thank_you_page() {
    let s = Setup::new().await;
    let (_, session) = s.give(DONOR, json!({})).await;
    let thanks = path_of(session.form.field("success_url"));

    let page = s.app.get_public(&thanks).await;

    page.expect(200);
    assert!(
        page.content_type().starts_with("text/html"),
        "{}",
        page.content_type()
    );
    assert!(page.text.contains("25.00"), "{}", page.text);

    pay(&s.app, &session).await;
    let page = s.app.get_public(&thanks).await;
    page.expect(200);
    assert!(page.text.contains("25.00"), "{}", page.text);
}

#[tokio::test]
async fn a_donor_who_cancels_is_led_back_to_the_fundraiser() {
    let s = Setup::new().await;
    let (id, session) = s.give(DONOR, json!({})).await;
    let cancelled = path_of(session.form.field("cancel_url"));

    let page = s.app.get_public(&cancelled).await;

    page.expect(200);
    assert!(
        page.content_type().starts_with("text/html"),
        "{}",
        page.content_type()
    );
    assert!(
        unescaped(&page.text).contains(&format!("href=\"{PUBLIC_URL}/fundraisers/{}\"", s.slug())),
        "{}",
        page.text
    );
    assert_eq!(s.status_of(&id).await, "pending");
}

#[tokio::test]
async fn a_made_up_return_link_is_not_found() {
    let s = Setup::new().await;

    for path in [
        "/donations/not-a-token/thanks",
        "/donations/not-a-token/cancelled",
    ] {
        let page = s.app.get_public(path).await;
        page.expect(404);
    }
}

// --- the fake itself ----------------------------------------------------------------------------

/// The fake refuses what Stripe refuses, so a 201 above means Stripe would accept it.
#[tokio::test]
async fn the_fake_stripe_refuses_what_stripe_refuses() {
    let fake = FakeStripe::start(SECRET_KEY).await;
    let client = reqwest::Client::new();
    let good: Vec<(&str, String)> = vec![
        ("mode", "payment".into()),
        ("success_url", "https://example.org/thanks".into()),
        ("cancel_url", "https://example.org/cancelled".into()),
        ("line_items[0][quantity]", "1".into()),
        ("line_items[0][price_data][currency]", "gbp".into()),
        ("line_items[0][price_data][unit_amount]", "2500".into()),
        (
            "line_items[0][price_data][product_data][name]",
            "Gift".into(),
        ),
        ("metadata[donation_id]", "d-1".into()),
        ("submit_type", "donate".into()),
    ];
    let post = |form: Vec<(&'static str, String)>, key: Option<&'static str>| {
        let client = client.clone();
        let url = format!("{}/v1/checkout/sessions", fake.url());
        async move {
            let mut request = client.post(url).bearer_auth(SECRET_KEY).form(&form);
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let replayed = response.headers().contains_key("idempotent-replayed");
            let body: Value = response.json().await.unwrap();
            (status, body, replayed)
        }
    };
    let changed = |name: &'static str, value: Option<&str>| {
        let mut form: Vec<(&'static str, String)> =
            good.iter().filter(|(k, _)| *k != name).cloned().collect();
        if let Some(value) = value {
            form.push((name, value.to_owned()));
        }
        form
    };

    let (status, session, _) = post(good.clone(), Some("k1")).await;
    assert_eq!(status, 200, "{session}");
    let (status, replay, replayed) = post(good.clone(), Some("k1")).await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(replay, session);
    let (status, error, _) = post(changed("submit_type", None), Some("k1")).await;
    assert_eq!(
        (status, error["error"]["type"].as_str()),
        (400, Some("idempotency_error"))
    );

    for (name, value) in [
        ("mode", Some("donation")),
        ("mode", None),
        ("success_url", Some("/thanks")),
        ("cancel_url", None),
        ("line_items[0][price_data][currency]", Some("GBP")),
        ("line_items[0][price_data][unit_amount]", Some("29")),
        ("line_items[0][price_data][unit_amount]", Some("25.00")),
        ("line_items[0][quantity]", Some("0")),
        ("line_items[0][price_data][product_data][name]", Some("")),
        (
            "line_items[0][price_data][recurring][interval]",
            Some("month"),
        ),
        ("customer_email", Some("nobody")),
        ("metadata[donation_id]", Some(&"x".repeat(501))),
        ("colour", Some("red")),
    ] {
        let (status, error, _) = post(changed(name, value), None).await;
        assert_eq!(status, 400, "{name}={value:?} accepted: {error}");
        assert_eq!(error["error"]["type"], "invalid_request_error", "{error}");
    }
    let mut monthly = changed("mode", Some("subscription"));
    monthly.push((
        "line_items[0][price_data][recurring][interval]",
        "month".into(),
    ));
    let (status, error, _) = post(monthly.clone(), None).await;
    assert_eq!(status, 400, "submit_type in subscription mode: {error}");
    let monthly: Vec<_> = monthly
        .into_iter()
        .filter(|(k, _)| *k != "submit_type")
        .collect();
    let (status, session, _) = post(monthly, None).await;
    assert_eq!(status, 200, "{session}");

    let unauthorised = client
        .post(format!("{}/v1/checkout/sessions", fake.url()))
        .bearer_auth("sk_test_other")
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status().as_u16(), 401);
    let as_json = client
        .post(format!("{}/v1/checkout/sessions", fake.url()))
        .bearer_auth(SECRET_KEY)
        .json(&json!({ "mode": "payment" }))
        .send()
        .await
        .unwrap();
    assert_eq!(as_json.status().as_u16(), 400);

    // Refunds: once per payment intent, unless replayed under the same key.
    let first = Session {
        body: fake.sessions()[0].body.clone(),
        form: fake.sessions()[0].form.clone(),
    };
    let refund = |key: &'static str, pi: String| {
        let client = client.clone();
        let url = format!("{}/v1/refunds", fake.url());
        async move {
            let response = client
                .post(url)
                .bearer_auth(SECRET_KEY)
                .header("Idempotency-Key", key)
                .form(&[("payment_intent", pi)])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body)
        }
    };
    let (status, refunded) = refund("r1", first.payment_intent()).await;
    assert_eq!(status, 200, "{refunded}");
    assert_eq!(refunded["amount"], 2500);
    assert_eq!(refund("r1", first.payment_intent()).await, (200, refunded));
    let (status, error) = refund("r2", first.payment_intent()).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"]["code"], "charge_already_refunded");
    let (status, error) = refund("r3", "pi_unknown".into()).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"]["code"], "resource_missing");
}

/// The harness signs as Stripe does (the value computed apart, with `openssl dgst
/// -sha256 -hmac`), so a webhook the app accepts is one Stripe could have sent.
#[test]
fn the_harness_signs_as_stripe_does() {
    assert_eq!(
        stripe::sign("whsec_test", "{}", 1_614_556_800),
        "t=1614556800,v1=6bd5ebbc9cbce4fe6d9c728ba6c962ae7ec5510179f82646471f20bba89e7ffd"
    );
}
