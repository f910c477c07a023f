//! Fundraisers and their donations in the organiser console: the list, the form
//! with money typed as people write it, publish, close and open again; donations a
//! page at a time with totals per currency, the CSV, a gift recorded by hand (with a
//! receipt or not), refunds (online ones through the fake Stripe); roles and other
//! organisations' ids.

use reqwest::Method;
use serde_json::{Value, json};

use crate::console::{Browser, PASSWORD, error_beside, owner_signed_in};
use crate::helpers::{TestApp, id_of, items, spawn_app};
use crate::pages::{Page, text_of};
use crate::stripe::{FakeStripe, Session, acknowledged, spawn_app_with_stripe};

fn gbp(amount: i64) -> Value {
    json!({ "amount": amount, "currency": "GBP" })
}

/// A fundraiser of the organisation `token` owns, through the API, published.
async fn open_fundraiser(app: &TestApp, token: &str, title: &str) -> String {
    let draft = app
        .post_json(
            "/api/v1/fundraisers",
            token,
            &json!({ "title": title, "goal": gbp(500_000) }),
        )
        .await;
    let id = id_of(draft.expect(201)).to_owned();
    app.post_json(
        &format!("/api/v1/fundraisers/{id}/publish"),
        token,
        &json!({}),
    )
    .await
    .expect(200);
    id
}

/// The fundraiser as the API shows it to its organisers.
async fn fundraiser(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/fundraisers/{id}"), token)
        .await
        .expect(200)
        .clone()
}

/// Every donation to a fundraiser, as the API shows them.
async fn donations(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    items(
        app.get(
            &format!("/api/v1/fundraisers/{id}/donations?limit=200"),
            token,
        )
        .await
        .expect(200),
    )
}

/// A cash gift through the API; its id.
async fn cash_gift(app: &TestApp, token: &str, fundraiser: &str, amount: i64) -> String {
    let gift = app
        .post_json(
            &format!("/api/v1/fundraisers/{fundraiser}/donations"),
            token,
            &json!({
                "amount": gbp(amount),
                "method": "cash",
                "received_at": "2026-11-20T18:00:00Z",
                "send_receipt": false,
            }),
        )
        .await;
    id_of(gift.expect(201)).to_owned()
}

/// The totals a donations page shows, by currency, in order.
fn totals(page: &Page) -> Vec<(String, String)> {
    page.all("#totals li")
        .into_iter()
        .map(|li| {
            (
                li.attr("data-currency").unwrap_or_default().to_owned(),
                text_of(li),
            )
        })
        .collect()
}

/// The text of each row of the donations list.
fn rows(page: &Page) -> Vec<String> {
    page.all("table.list tbody tr")
        .into_iter()
        .map(text_of)
        .collect()
}

// --- fundraisers --------------------------------------------------------------------------

#[tokio::test]
async fn a_fundraiser_is_made_with_money_typed_as_people_write_it_and_opened_closed_and_opened_again()
 {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;

    let empty = browser.open("/admin/circle/fundraisers").await;
    empty.expect_html(200);
    assert!(empty.visible_text().contains("No fundraisers yet."));
    let form = browser.open("/admin/circle/fundraisers/new").await;
    form.expect_html(200);
    for field in [
        "title",
        "description",
        "language",
        "slug",
        "goal.amount",
        "goal.currency",
        "suggested_amounts",
        "min_amount",
        "max_amount",
    ] {
        assert!(form.has_field(field), "{field}");
    }

    let created = browser
        .submit(
            "/admin/circle/fundraisers/new",
            &[
                ("title", "Strike fund"),
                ("description", "For the *miners*."),
                ("language", "es"),
                ("slug", ""),
                ("goal.amount", "1.234,50"),
                ("goal.currency", "gbp"),
                ("suggested_amounts", "10, 25, 50"),
                ("min_amount", "2,50"),
                ("max_amount", ""),
            ],
        )
        .await;
    created.expect(303);
    let location = created.location().to_owned();
    let id = location
        .strip_prefix("/admin/circle/fundraisers/")
        .and_then(|rest| rest.strip_suffix("?saved=1"))
        .unwrap_or_else(|| panic!("{location}"))
        .to_owned();
    let stored = fundraiser(&app, &token, &id).await;
    assert_eq!(stored["goal"], gbp(123_450));
    assert_eq!(stored["suggested_amounts"], json!([1000, 2500, 5000]));
    assert_eq!(stored["status"], "draft");
    assert_eq!(stored["organisation"], "circle");

    let page = browser.open(&location).await;
    page.expect_html(200);
    assert_eq!(text_of(page.one(".notice")), "Saved.");
    assert_eq!(page.value_of("goal.amount"), "1234.50");
    assert_eq!(page.value_of("goal.currency"), "GBP");
    assert_eq!(page.value_of("suggested_amounts"), "10, 25, 50");
    assert_eq!(page.value_of("min_amount"), "2.50");
    assert_eq!(page.value_of("language"), "es");
    assert!(
        page.first("#public-page").is_none(),
        "a draft has no public page"
    );

    let base = format!("/admin/circle/fundraisers/{id}");
    let published = browser.submit(&format!("{base}/publish"), &[]).await;
    published.expect(303);
    assert_eq!(published.location(), format!("{base}?published=1"));
    assert_eq!(fundraiser(&app, &token, &id).await["status"], "open");
    let open = browser.open(published.location()).await;
    let slug = stored["slug"].as_str().unwrap();
    assert_eq!(
        open.one("#public-page").attr("href"),
        Some(format!("http://127.0.0.1/fundraisers/{slug}").as_str())
    );

    let closed = browser.submit(&format!("{base}/close"), &[]).await;
    closed.expect(303);
    assert_eq!(fundraiser(&app, &token, &id).await["status"], "closed");
    let closed_page = browser.open(closed.location()).await;
    assert!(text_of(closed_page.one(".notice")).starts_with("Closed"));
    assert_eq!(text_of(closed_page.one("#status")), "Closed");

    let reopened = browser.submit(&format!("{base}/publish"), &[]).await;
    reopened.expect(303);
    assert_eq!(reopened.location(), format!("{base}?reopened=1"));
    assert_eq!(fundraiser(&app, &token, &id).await["status"], "open");
    assert_eq!(
        text_of(browser.open(reopened.location()).await.one(".notice")),
        "Open again: supporters can give online."
    );

    let list = browser.open("/admin/circle/fundraisers").await;
    let row = list.one(&format!("tr[data-id=\"{id}\"]"));
    let row = text_of(row);
    assert!(row.contains("Strike fund"), "{row}");
    assert!(row.contains("0.00 GBP of 1,234.50 GBP"), "{row}");
    assert!(row.contains("Open"), "{row}");
}

#[tokio::test]
async fn a_refused_fundraiser_form_keeps_what_was_typed_with_each_message_beside_its_field() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;

    let refused = browser
        .submit(
            "/admin/circle/fundraisers/new",
            &[
                ("title", "Strike fund"),
                ("slug", "Not A Slug!"),
                ("goal.amount", "lots"),
                ("goal.currency", "XYZ"),
                ("suggested_amounts", "10,25,50"),
            ],
        )
        .await;
    refused.expect_html(422);
    // The service's word on the other fields comes with it.
    error_beside(&refused, "slug");
    assert_eq!(refused.value_of("slug"), "Not A Slug!");
    assert_eq!(
        error_beside(&refused, "goal.amount"),
        "Enter an amount such as 12.50 or 12,50."
    );
    assert!(error_beside(&refused, "goal.currency").contains("ISO 4217"));
    assert!(error_beside(&refused, "suggested_amounts").contains("separated by spaces"));
    assert_eq!(refused.value_of("title"), "Strike fund");
    assert_eq!(refused.value_of("goal.amount"), "lots");
    assert_eq!(refused.value_of("goal.currency"), "XYZ");
    assert_eq!(refused.value_of("suggested_amounts"), "10,25,50");

    // The money right, the service's own checks speak.
    let untitled = browser
        .submit(
            "/admin/circle/fundraisers/new",
            &[
                ("title", " "),
                ("goal.amount", "500"),
                ("goal.currency", "EUR"),
                ("min_amount", "50"),
                ("max_amount", "10"),
            ],
        )
        .await;
    untitled.expect_html(422);
    assert_eq!(error_beside(&untitled, "title"), "This field is required.");
    assert_eq!(
        error_beside(&untitled, "min_amount"),
        "The least a gift may be must not be more than the most."
    );
    assert_eq!(untitled.value_of("goal.amount"), "500");
    let listed = items(app.get("/api/v1/fundraisers", &token).await.expect(200));
    assert!(listed.is_empty(), "nothing made: {listed:?}");
}

#[tokio::test]
async fn editing_saves_every_field_and_a_new_currency_brings_its_own_limits() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = open_fundraiser(&app, &token, "Strike fund").await;
    let base = format!("/admin/circle/fundraisers/{id}");
    let page = browser.open(&base).await;
    assert_eq!(page.value_of("goal.amount"), "5000");
    assert_eq!(page.value_of("suggested_amounts"), "10, 25, 50, 100");
    assert_eq!(page.value_of("min_amount"), "1");

    // The limits sent back as they were shown, in pounds: yen get yen's defaults.
    let saved = browser
        .submit(
            &base,
            &[
                ("title", "Fondo de huelga"),
                ("description", "Para **los mineros**."),
                ("language", "es"),
                ("slug", "fondo-de-huelga"),
                ("goal.amount", "1.000.000"),
                ("goal.currency", "JPY"),
                ("suggested_amounts", &page.value_of("suggested_amounts")),
                ("min_amount", &page.value_of("min_amount")),
                ("max_amount", &page.value_of("max_amount")),
            ],
        )
        .await;
    saved.expect(303);
    assert_eq!(saved.location(), format!("{base}?saved=1"));
    let stored = fundraiser(&app, &token, &id).await;
    assert_eq!(stored["title"], "Fondo de huelga");
    assert_eq!(stored["slug"], "fondo-de-huelga");
    assert_eq!(
        stored["goal"],
        json!({ "amount": 1_000_000, "currency": "JPY" })
    );
    assert_eq!(stored["suggested_amounts"], json!([10, 25, 50, 100]));

    // Suggested amounts emptied: none offered.
    let page = browser.open(&base).await;
    let mut fields: Vec<(String, String)> = [
        "title",
        "description",
        "language",
        "slug",
        "goal.amount",
        "goal.currency",
        "min_amount",
        "max_amount",
    ]
    .into_iter()
    .map(|f| (f.to_owned(), page.value_of(f)))
    .collect();
    fields.push(("suggested_amounts".into(), String::new()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    browser.submit(&base, &fields).await.expect(303);
    assert_eq!(
        fundraiser(&app, &token, &id).await["suggested_amounts"],
        json!([])
    );

    // A taken address is told beside its field.
    let other = open_fundraiser(&app, &token, "Another").await;
    let slug = fundraiser(&app, &token, &other).await["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut taken = fields.clone();
    for (k, v) in &mut taken {
        if *k == "slug" {
            *v = slug.as_str();
        }
    }
    let refused = browser.submit(&base, &taken).await;
    refused.expect_html(422);
    assert!(error_beside(&refused, "slug").contains("already"));
    assert_eq!(refused.value_of("slug"), slug);

    // Money that means nothing and a blank title: both told in one answer, and
    // nothing saved.
    let mut bad = fields.clone();
    for (k, v) in &mut bad {
        match *k {
            "title" => *v = "",
            "goal.amount" => *v = "lots",
            _ => {}
        }
    }
    let refused = browser.submit(&base, &bad).await;
    refused.expect_html(422);
    assert!(!error_beside(&refused, "goal.amount").is_empty());
    assert!(!error_beside(&refused, "title").is_empty());
    assert_eq!(refused.value_of("goal.amount"), "lots");
    let stored = fundraiser(&app, &token, &id).await;
    assert_eq!(stored["title"], "Fondo de huelga");
    assert_eq!(stored["goal"]["amount"], 1_000_000);
}

// --- donations ----------------------------------------------------------------------------

#[tokio::test]
async fn gifts_by_hand_in_any_currency_count_in_exact_totals_per_currency_with_a_receipt_if_asked()
{
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = open_fundraiser(&app, &token, "Strike fund").await;
    let base = format!("/admin/circle/fundraisers/{id}/donations");

    let form = browser.open(&base).await;
    form.expect_html(200);
    assert_eq!(form.value_of("amount.currency"), "GBP");
    assert_eq!(form.value_of("method"), "cash");
    assert!(!form.value_of("received_at").is_empty(), "now, by default");
    assert_eq!(
        totals(&form),
        [(
            "GBP".to_owned(),
            "0.00 GBP (the goal's currency: goal 5,000.00 GBP)".to_owned()
        )]
    );

    let recorded = browser
        .submit(
            &base,
            &[
                ("amount.amount", "1.234,50"),
                ("amount.currency", "ves"),
                ("method", "cash"),
                ("donor_name", "Rosa Pérez"),
                ("donor_email", "rosa@example.org"),
                ("received_at", "2026-11-20T18:00"),
                ("note", "At the screening"),
                ("send_receipt", "yes"),
            ],
        )
        .await;
    recorded.expect(303);
    assert_eq!(recorded.location(), format!("{base}?recorded=1"));
    for (amount, method, email, receipt) in [
        ("12,50", "bank_transfer", "", false),
        ("7.25", "cheque", "bo@example.org", false),
        ("0,25", "other", "cy@example.org", true),
    ] {
        let mut fields = vec![
            ("amount.amount", amount),
            ("amount.currency", "GBP"),
            ("method", method),
            ("donor_email", email),
            ("received_at", ""),
        ];
        if receipt {
            fields.push(("send_receipt", "yes"));
        }
        browser.submit(&base, &fields).await.expect(303);
    }
    // One refunded gift counts for nothing.
    let refunded = cash_gift(&app, &token, &id, 10_000).await;
    app.send(
        Method::POST,
        &format!("/api/v1/donations/{refunded}/refund"),
        Some(&token),
        None,
        None,
    )
    .await
    .expect(200);

    app.deliver_emails().await;
    assert_eq!(app.smtp.to("rosa@example.org").len(), 1, "a receipt");
    assert!(app.smtp.to("bo@example.org").is_empty(), "no receipt asked");
    assert_eq!(app.smtp.to("cy@example.org").len(), 1);
    let receipt = app.smtp.last_to("rosa@example.org").text();
    assert!(receipt.contains("1,234.50 VES"), "{receipt}");

    let page = browser.open(recorded.location()).await;
    page.expect_html(200);
    assert_eq!(text_of(page.one(".notice")), "Gift recorded.");
    assert_eq!(
        totals(&page),
        [
            (
                "GBP".to_owned(),
                "20.00 GBP (the goal's currency: goal 5,000.00 GBP)".to_owned()
            ),
            ("VES".to_owned(), "1,234.50 VES".to_owned()),
        ]
    );
    assert_eq!(text_of(page.one("#donors")), "4");
    let rows = rows(&page);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(
        rows[0].contains("Rosa Pérez")
            && rows[0].contains("rosa@example.org")
            && rows[0].contains("1,234.50 VES")
            && rows[0].contains("Cash")
            && rows[0].contains("At the screening")
            && rows[0].contains("20 November 2026"),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains("Bank transfer") && rows[1].contains("No name"));
    assert!(rows[4].contains("Refunded"), "{}", rows[4]);

    let stored = donations(&app, &token, &id).await;
    let rosa = &stored[0];
    assert_eq!(
        rosa["amount"],
        json!({ "amount": 123_450, "currency": "VES" })
    );
    assert_eq!(rosa["method"], "cash");
    // 18:00 in Toronto, where the organisation is.
    assert_eq!(rosa["received_at"], "2026-11-20T23:00:00Z");
    assert_eq!(rosa["note"], "At the screening");
    let api = fundraiser(&app, &token, &id).await;
    assert_eq!(api["raised"], gbp(2000));
    assert_eq!(
        api["raised_other"],
        json!([{ "amount": 123_450, "currency": "VES" }])
    );

    let csv = browser.open(&format!("{base}.csv")).await;
    csv.expect(200);
    assert!(csv.content_type().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(lines[0].starts_with("id,created_at,received_at,status,method"));
    assert_eq!(lines.len(), 6, "{}", csv.text);
    assert!(
        lines[1].contains(
            r#","1234.50","VES","0.00","Rosa Pérez","rosa@example.org","no","","At the screening""#
        ),
        "{}",
        lines[1]
    );
}

#[tokio::test]
async fn a_refused_gift_keeps_what_was_typed_with_each_message_beside_its_field() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = open_fundraiser(&app, &token, "Strike fund").await;
    let base = format!("/admin/circle/fundraisers/{id}/donations");

    let refused = browser
        .submit(
            &base,
            &[
                ("amount.amount", "lots"),
                ("amount.currency", "XYZ"),
                ("method", ""),
                ("donor_name", "Rosa"),
                ("donor_email", "rosa at home"),
                ("note", "kept"),
            ],
        )
        .await;
    refused.expect_html(422);
    assert!(error_beside(&refused, "donor_email").contains("name@example.org"));
    assert_eq!(refused.value_of("donor_email"), "rosa at home");
    assert_eq!(
        error_beside(&refused, "amount.amount"),
        "Enter an amount such as 12.50 or 12,50."
    );
    assert!(error_beside(&refused, "amount.currency").contains("ISO 4217"));
    assert_eq!(error_beside(&refused, "method"), "This field is required.");
    assert_eq!(refused.value_of("amount.amount"), "lots");
    assert_eq!(refused.value_of("donor_name"), "Rosa");
    assert_eq!(refused.value_of("note"), "kept");
    assert_eq!(
        refused.field("amount.amount").attr("aria-describedby"),
        Some("amount.amount-error")
    );

    let bad_email = browser
        .submit(
            &base,
            &[
                ("amount.amount", "10"),
                ("amount.currency", "GBP"),
                ("method", "cheque"),
                ("donor_email", "not an address"),
                ("received_at", "2099-01-01T10:00"),
            ],
        )
        .await;
    bad_email.expect_html(422);
    assert!(error_beside(&bad_email, "donor_email").contains("name@example.org"));
    assert_eq!(
        error_beside(&bad_email, "received_at"),
        "This date is in the future."
    );
    assert_eq!(bad_email.value_of("method"), "cheque");

    // An online gift cannot be typed in by hand.
    let online = browser
        .submit(
            &base,
            &[
                ("amount.amount", "10"),
                ("amount.currency", "GBP"),
                ("method", "online"),
            ],
        )
        .await;
    online.expect_html(422);
    assert_eq!(error_beside(&online, "method"), "This field is required.");
    assert!(donations(&app, &token, &id).await.is_empty());
}

#[tokio::test]
async fn donations_come_a_page_at_a_time() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = open_fundraiser(&app, &token, "Strike fund").await;
    for n in 1..=53 {
        cash_gift(&app, &token, &id, 100 * n).await;
    }
    let base = format!("/admin/circle/fundraisers/{id}/donations");

    let first = browser.open(&base).await;
    assert_eq!(rows(&first).len(), 50);
    assert!(rows(&first)[0].contains("1.00 GBP"));
    let next = first.one("a[rel=next]").attr("href").unwrap().to_owned();
    let second = browser.open(&next).await;
    second.expect_html(200);
    let rest = rows(&second);
    assert_eq!(rest.len(), 3, "{rest:?}");
    assert!(rest[2].contains("53.00 GBP"), "{rest:?}");
    assert!(second.first("a[rel=next]").is_none());
    // Every gift counts in the total, whichever page it is on: 1 + 2 + … + 53 pounds.
    assert_eq!(
        totals(&second)[0].1,
        "1,431.00 GBP (the goal's currency: goal 5,000.00 GBP)"
    );
}

// --- refunds ------------------------------------------------------------------------------

/// A supporter gives £25 online and pays; the donation's id and its Checkout session.
async fn paid_online(app: &TestApp, fake: &FakeStripe, fundraiser: &str) -> (String, Session) {
    let (id, session) = given_online(app, fake, fundraiser, "ana@example.org").await;
    acknowledged(app, "checkout.session.completed", session.completed()).await;
    (id, session)
}

/// A supporter starts giving £25 online (not paid yet).
async fn given_online(
    app: &TestApp,
    fake: &FakeStripe,
    fundraiser: &str,
    email: &str,
) -> (String, Session) {
    let reply = app
        .send(
            Method::POST,
            &format!("/api/v1/public/fundraisers/{fundraiser}/donations"),
            None,
            Some(&json!({ "amount": gbp(2500), "email": email, "name": "Ana" })),
            None,
        )
        .await;
    let id = id_of(reply.expect(201)).to_owned();
    let session = fake.session_for(&id);
    (id, session)
}

#[tokio::test]
async fn an_online_gift_is_refunded_through_stripe_once_and_refused_twice() {
    let (app, fake) = spawn_app_with_stripe().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = open_fundraiser(&app, &token, "Strike fund").await;
    let (gift, session) = paid_online(&app, &fake, &id).await;
    let base = format!("/admin/circle/fundraisers/{id}");
    let refund = format!("{base}/donations/{gift}/refund");

    let list = browser.open(&format!("{base}/donations")).await;
    assert!(list.links_to(|href| href == refund));
    let confirm = browser.open(&refund).await;
    confirm.expect_html(200);
    assert_eq!(text_of(confirm.one("#amount")), "25.00 GBP");
    assert!(confirm.visible_text().contains("through Stripe"));
    assert!(
        fake.requests_to("/v1/refunds").is_empty(),
        "asking is not refunding"
    );

    let done = browser.submit(&refund, &[]).await;
    done.expect(303);
    assert_eq!(done.location(), format!("{base}/donations?refunded=1"));
    let calls = fake.requests_to("/v1/refunds");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].status, 200, "Stripe refused: {}", calls[0].answer);
    assert_eq!(calls[0].field("payment_intent"), session.payment_intent());
    assert_eq!(calls[0].field("metadata[donation_id]"), gift);
    let after = browser.open(done.location()).await;
    assert_eq!(text_of(after.one(".notice")), "Refunded.");
    assert_eq!(
        totals(&after)[0].1,
        "0.00 GBP (the goal's currency: goal 5,000.00 GBP)"
    );
    let stored = donations(&app, &token, &id).await;
    assert_eq!(stored[0]["status"], "refunded");
    assert_eq!(stored[0]["refunded_amount"], 2500);

    let twice = browser.submit(&refund, &[]).await;
    twice.expect_html(409);
    assert_eq!(
        text_of(twice.one("#refused")),
        "This gift has already been refunded."
    );
    assert_eq!(
        fake.requests_to("/v1/refunds").len(),
        1,
        "Stripe asked once"
    );
    assert!(twice.first("form[action$=\"/refund\"]").is_none());
}

#[tokio::test]
async fn a_gift_not_paid_is_not_refunded_and_one_by_hand_is_without_stripe() {
    let (app, fake) = spawn_app_with_stripe().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = open_fundraiser(&app, &token, "Strike fund").await;
    let (pending, _) = given_online(&app, &fake, &id, "bo@example.org").await;
    let base = format!("/admin/circle/fundraisers/{id}/donations");

    let refused = browser
        .submit(&format!("{base}/{pending}/refund"), &[])
        .await;
    refused.expect_html(409);
    assert!(text_of(refused.one("#refused")).contains("was not paid"));
    let shown = browser.open(&format!("{base}/{pending}/refund")).await;
    assert!(shown.first("#refused").is_some());
    assert!(shown.first("form[action$=\"/refund\"]").is_none());

    let cash = cash_gift(&app, &token, &id, 1500).await;
    let confirm = browser.open(&format!("{base}/{cash}/refund")).await;
    assert!(
        confirm
            .visible_text()
            .contains("Give the money back yourself")
    );
    browser
        .submit(&format!("{base}/{cash}/refund"), &[])
        .await
        .expect(303);
    assert!(fake.requests_to("/v1/refunds").is_empty());
    let stored = donations(&app, &token, &id).await;
    let status = |gift: &str| {
        stored
            .iter()
            .find(|d| d["id"] == gift)
            .map(|d| d["status"].clone())
    };
    assert_eq!(status(&pending), Some(json!("pending")));
    assert_eq!(status(&cash), Some(json!("refunded")));
}

// --- roles and other organisations ---------------------------------------------------------

#[tokio::test]
async fn viewers_see_totals_and_no_donor_and_change_nothing() {
    let app = spawn_app().await;
    let (token, _) = owner_signed_in(&app).await;
    app.member(&token, "circle", "vic@example.org", "viewer")
        .await;
    let viewer = Browser::sign_in(&app, "vic@example.org", PASSWORD).await;
    let id = open_fundraiser(&app, &token, "Strike fund").await;
    app.post_json(
        &format!("/api/v1/fundraisers/{id}/donations"),
        &token,
        &json!({
            "amount": gbp(2500), "method": "cash", "received_at": "2026-11-20T18:00:00Z",
            "donor_name": "Rosa Pérez", "donor_email": "rosa@example.org", "note": "secret",
            "send_receipt": false,
        }),
    )
    .await
    .expect(201);
    let gift = id_of(&donations(&app, &token, &id).await[0]).to_owned();
    let base = format!("/admin/circle/fundraisers/{id}");

    let list = viewer.open("/admin/circle/fundraisers").await;
    list.expect_html(200);
    assert!(list.visible_text().contains("25.00 GBP of 5,000.00 GBP"));
    assert!(!list.links_to(|href| href.ends_with("/fundraisers/new")));
    let page = viewer.open(&base).await;
    page.expect_html(200);
    assert!(!page.has_field("title"), "no form");
    assert!(page.first("form[action$=\"/close\"]").is_none());
    let gifts = viewer.open(&format!("{base}/donations")).await;
    gifts.expect_html(200);
    assert_eq!(
        totals(&gifts)[0].1,
        "25.00 GBP (the goal's currency: goal 5,000.00 GBP)"
    );
    assert!(gifts.first("#no-personal-data").is_some());
    for private in ["Rosa", "rosa@example.org", "secret"] {
        assert!(!gifts.text.contains(private), "{private}");
    }
    assert!(!gifts.has_field("amount.amount"));

    viewer
        .open(&format!("{base}/donations.csv"))
        .await
        .expect_html(403);
    viewer
        .open(&format!("{base}/donations/{gift}/refund"))
        .await
        .expect_html(403);
    viewer
        .open("/admin/circle/fundraisers/new")
        .await
        .expect_html(403);
    for (path, fields) in [
        (
            "/admin/circle/fundraisers/new".to_owned(),
            vec![
                ("title", "Mine"),
                ("goal.amount", "5"),
                ("goal.currency", "GBP"),
            ],
        ),
        (
            base.clone(),
            vec![
                ("title", "Mine"),
                ("goal.amount", "5"),
                ("goal.currency", "GBP"),
            ],
        ),
        (format!("{base}/publish"), vec![]),
        (format!("{base}/close"), vec![]),
        (
            format!("{base}/donations"),
            vec![
                ("amount.amount", "5"),
                ("amount.currency", "GBP"),
                ("method", "cash"),
            ],
        ),
        (format!("{base}/donations/{gift}/refund"), vec![]),
    ] {
        viewer.submit(&path, &fields).await.expect_html(403);
    }
    let stored = fundraiser(&app, &token, &id).await;
    assert_eq!(
        (stored["title"].as_str(), stored["status"].as_str()),
        (Some("Strike fund"), Some("open"))
    );
    let gifts = donations(&app, &token, &id).await;
    assert_eq!(gifts.len(), 1);
    assert_eq!(gifts[0]["status"], "succeeded");
}

#[tokio::test]
async fn another_organisations_fundraisers_and_donations_are_not_found() {
    let app = spawn_app().await;
    let (token, owner) = owner_signed_in(&app).await;
    let other = app.owner_of("other").await;
    let ours = open_fundraiser(&app, &token, "Ours").await;
    let theirs = open_fundraiser(&app, &other, "Theirs").await;
    let their_gift = cash_gift(&app, &other, &theirs, 2500).await;

    for path in [
        format!("/admin/circle/fundraisers/{theirs}"),
        format!("/admin/circle/fundraisers/{theirs}/donations"),
        format!("/admin/circle/fundraisers/{theirs}/donations.csv"),
        format!("/admin/other/fundraisers/{theirs}"),
        "/admin/other/fundraisers".to_owned(),
        format!("/admin/circle/fundraisers/{ours}/donations/{their_gift}/refund"),
        "/admin/circle/fundraisers/not-an-id".to_owned(),
        format!("/admin/circle/fundraisers/{ours}/donations/not-an-id/refund"),
    ] {
        owner.open(&path).await.expect_html(404);
    }
    for path in [
        format!("/admin/circle/fundraisers/{theirs}/close"),
        format!("/admin/circle/fundraisers/{ours}/donations/{their_gift}/refund"),
        format!("/admin/circle/fundraisers/{theirs}/donations/{their_gift}/refund"),
    ] {
        owner.submit(&path, &[]).await.expect_html(404);
    }
    owner
        .submit(
            &format!("/admin/circle/fundraisers/{theirs}/donations"),
            &[
                ("amount.amount", "5"),
                ("amount.currency", "GBP"),
                ("method", "cash"),
            ],
        )
        .await
        .expect_html(404);
    assert_eq!(fundraiser(&app, &other, &theirs).await["status"], "open");
    let gifts = donations(&app, &other, &theirs).await;
    assert_eq!(gifts.len(), 1);
    assert_eq!(gifts[0]["status"], "succeeded");
}
