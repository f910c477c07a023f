//! Bounces and complaints (issue 19, point 4): `POST /webhooks/mail-feedback` takes
//! RFC 3464 delivery status notifications and RFC 5965 abuse reports; a permanent
//! failure, a complaint, three temporary failures in 30 days or a 5xx from our own
//! SMTP server suppress the address, and the outbox sends it nothing more.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

pub(crate) const TOKEN: &str = "feedback-t0ken";

async fn app_with_feedback() -> TestApp {
    spawn_app_configured(|config| config.feedback_token = Some(TOKEN.into())).await
}

/// `POST /webhooks/mail-feedback` with this body and bearer token.
pub(crate) async fn post_feedback(app: &TestApp, body: &str, token: Option<&str>) -> Reply {
    let mut request = app
        .client
        .post(app.url("/webhooks/mail-feedback"))
        .header(reqwest::header::CONTENT_TYPE, "message/rfc822")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the app answers");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a readable body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        body,
    }
}

/// A DSN as a receiving server writes it, about the email with `message_id`.
pub(crate) fn dsn(address: &str, action: &str, status: &str, message_id: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.example.net\r\n\
         To: noreply@localhost\r\n\
         Subject: Delivery Status Notification\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\
         \r\n\
         --r\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         Your message could not be delivered.\r\n\
         --r\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mx.example.net\r\n\
         \r\n\
         Final-Recipient: rfc822; {address}\r\n\
         Action: {action}\r\n\
         Status: {status}\r\n\
         Diagnostic-Code: smtp; {status} mailbox says no\r\n\
         --r\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         Message-ID: {message_id}\r\n\
         Subject: You're going\r\n\
         --r--\r\n"
    )
}

/// An abuse report (ARF) about an email sent to `to`.
fn complaint(to: &str) -> String {
    format!(
        "From: fbl@isp.example\r\n\
         Subject: Abuse report\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=feedback-report; boundary=\"f\"\r\n\
         \r\n\
         --f\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         This is an email abuse report.\r\n\
         --f\r\n\
         Content-Type: message/feedback-report\r\n\
         \r\n\
         Feedback-Type: abuse\r\n\
         User-Agent: FBL/1.0\r\n\
         Version: 1\r\n\
         \r\n\
         --f\r\n\
         Content-Type: message/rfc822\r\n\
         \r\n\
         From: Turnout <noreply@localhost>\r\n\
         To: {to}\r\n\
         Subject: You're going\r\n\
         \r\n\
         See you there.\r\n\
         --f--\r\n"
    )
}

/// An event that takes RSVPs, and its id.
async fn event(app: &TestApp, token: &str) -> String {
    let event = app.event_with_seats(token, json!({ "capacity": 50 })).await;
    id_of(&event).to_owned()
}

/// The failed emails' recipients and why they failed.
async fn failed(app: &TestApp, token: &str) -> Vec<(String, String)> {
    app.outbox(token, "failed")
        .await
        .iter()
        .map(|e| {
            (
                e["recipient"].as_str().unwrap_or_default().to_owned(),
                e["last_error"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_permanent_bounce_stops_every_email_to_that_address() {
    let app = app_with_feedback().await;
    let token = app.owner_of("lrbc").await;
    let first = event(&app, &token).await;
    app.rsvp(&first, "Ana@Example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    let sent = app.smtp.last_to("Ana@Example.org");

    // The receiving server bounced it: the report names the email we sent.
    let reply = post_feedback(
        &app,
        &dsn(
            "ana@example.org",
            "failed",
            "5.1.1",
            &format!("<{}>", sent.message_id()),
        ),
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        reply.expect(200),
        &json!({"reports": 1, "suppressed": 1, "ignored": 0})
    );

    // Nothing more goes to her; the organisers see why.
    let second = event(&app, &token).await;
    app.rsvp(&second, "ana@example.org", json!({}))
        .await
        .expect(201);
    let round = app.deliver_emails().await;
    assert_eq!((round.sent, round.failed), (0, 1), "{round:?}");
    assert_eq!(app.smtp.to("ana@example.org").len(), 1, "only the first");
    assert_eq!(
        failed(&app, &token).await,
        [(
            // As she first typed it: the supporter's address.
            "Ana@Example.org".to_owned(),
            "not sent: the address is suppressed (bounced)".to_owned()
        )]
    );
    // Others still get theirs.
    app.rsvp(&second, "bo@example.org", json!({}))
        .await
        .expect(201);
    assert_eq!(app.deliver_emails().await.sent, 1);

    // The same report again changes nothing.
    let again = post_feedback(
        &app,
        &dsn(
            "ana@example.org",
            "failed",
            "5.1.1",
            &format!("<{}>", sent.message_id()),
        ),
        Some(TOKEN),
    )
    .await;
    assert_eq!(again.expect(200)["suppressed"], 0);
}

#[tokio::test]
async fn a_complaint_suppresses_the_address_it_was_sent_to() {
    let app = app_with_feedback().await;
    let token = app.owner_of("lrbc").await;
    let id = event(&app, &token).await;
    app.rsvp(&id, "dee@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let reply = post_feedback(&app, &complaint("Dee <DEE@example.org>"), Some(TOKEN)).await;
    assert_eq!(reply.expect(200)["suppressed"], 1);

    app.cancel(&token, &id, "The hall is flooded")
        .await
        .expect(200);
    app.deliver_emails().await;
    assert_eq!(
        app.smtp.to("dee@example.org").len(),
        1,
        "not the cancellation"
    );
    assert_eq!(
        failed(&app, &token).await[0].1,
        "not sent: the address is suppressed (complained)"
    );
}

#[tokio::test]
async fn three_temporary_failures_in_thirty_days_suppress_and_two_do_not() {
    let app = app_with_feedback().await;
    let token = app.owner_of("lrbc").await;
    let id = event(&app, &token).await;
    for address in ["bo@example.org", "cy@example.org"] {
        app.rsvp(&id, address, json!({})).await.expect(201);
    }
    app.deliver_emails().await;
    let delayed = |address: &str| dsn(address, "delayed", "4.2.2", "<unknown@elsewhere>");

    for _ in 0..2 {
        let reply = post_feedback(&app, &delayed("cy@example.org"), Some(TOKEN)).await;
        assert_eq!(reply.expect(200)["suppressed"], 0);
    }
    for expected in [0, 0, 1] {
        let reply = post_feedback(&app, &delayed("bo@example.org"), Some(TOKEN)).await;
        assert_eq!(reply.expect(200)["suppressed"], expected);
    }

    app.cancel(&token, &id, "Postponed").await.expect(200);
    app.deliver_emails().await;
    assert_eq!(
        app.smtp.to("cy@example.org").len(),
        2,
        "two delays: still written to"
    );
    assert_eq!(app.smtp.to("bo@example.org").len(), 1);
    assert_eq!(
        failed(&app, &token).await,
        [(
            "bo@example.org".to_owned(),
            "not sent: the address is suppressed (repeated_failures)".to_owned()
        )]
    );
}

#[tokio::test]
async fn temporary_failures_older_than_thirty_days_do_not_count() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = app_with_feedback().await;
    let token = app.owner_of("lrbc").await;
    let id = event(&app, &token).await;
    app.rsvp(&id, "bo@example.org", json!({})).await.expect(201);
    app.deliver_emails().await;
    let delayed = dsn("bo@example.org", "failed", "4.4.7", "<x@y>");
    for _ in 0..2 {
        post_feedback(&app, &delayed, Some(TOKEN)).await.expect(200);
    }
    // Those two were 31 days ago.
    let db = app.database().await;
    let backend = db.get_database_backend();
    let old = (chrono::Utc::now() - chrono::Duration::days(31)).into();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DatabaseBackend::Postgres => "UPDATE delivery_failures SET created_at = $1",
            _ => "UPDATE delivery_failures SET created_at = ?",
        },
        [old],
    ))
    .await
    .expect("moved back in time");

    let reply = post_feedback(&app, &delayed, Some(TOKEN)).await;
    assert_eq!(reply.expect(200)["suppressed"], 0);
}

#[tokio::test]
async fn an_address_our_own_server_refuses_is_suppressed() {
    let app = app_with_feedback().await;
    let token = app.owner_of("lrbc").await;
    app.smtp.refuse("gone@example.org");
    let first = event(&app, &token).await;
    app.rsvp(&first, "gone@example.org", json!({}))
        .await
        .expect(201);
    let round = app.deliver_emails().await;
    assert_eq!(round.failed, 1);

    let second = event(&app, &token).await;
    app.rsvp(&second, "gone@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    let failures = failed(&app, &token).await;
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures.iter().any(|(_, why)| why.contains("550")),
        "{failures:?}"
    );
    assert!(
        failures
            .iter()
            .any(|(_, why)| why == "not sent: the address is suppressed (rejected)"),
        "{failures:?}"
    );
}

#[tokio::test]
async fn the_webhook_answers_only_its_token_and_only_to_reports() {
    let unset = spawn_app().await;
    post_feedback(&unset, &complaint("a@example.org"), Some(TOKEN))
        .await
        .expect_problem(503);

    let app = app_with_feedback().await;
    let token = app.owner_of("lrbc").await;
    let id = event(&app, &token).await;
    app.rsvp(&id, "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    let report = complaint("ana@example.org");

    post_feedback(&app, &report, None).await.expect_problem(401);
    post_feedback(&app, &report, Some("wrong"))
        .await
        .expect_problem(401);
    post_feedback(&app, &report, Some(&token))
        .await
        .expect_problem(401);
    for junk in [
        "",
        "not a message at all",
        "Subject: hi\r\n\r\nJust a letter.\r\n",
        "\u{0}\u{1}\u{2}",
    ] {
        post_feedback(&app, junk, Some(TOKEN))
            .await
            .expect_problem(422);
    }
    let huge = format!("{report}{}", "x".repeat(2 * 1024 * 1024));
    let reply = post_feedback(&app, &huge, Some(TOKEN)).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text
    );

    // None of that suppressed anyone: Ana is still written to.
    app.cancel(&token, &id, "Postponed").await.expect(200);
    app.deliver_emails().await;
    assert_eq!(app.smtp.to("ana@example.org").len(), 2);
}

#[tokio::test]
async fn a_report_about_an_address_we_never_wrote_to_suppresses_nobody() {
    let app = app_with_feedback().await;
    let reply = post_feedback(
        &app,
        &dsn("stranger@example.org", "failed", "5.1.1", "<nope@nowhere>"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        reply.expect(200),
        &json!({"reports": 1, "suppressed": 0, "ignored": 1})
    );
}

// --- the console ---------------------------------------------------------------------------

#[tokio::test]
async fn organisers_see_the_addresses_no_longer_written_to_and_may_write_again() {
    use crate::console::{Browser, owner_signed_in};
    use crate::pages::text_of;
    let app = app_with_feedback().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token).await;
    for address in ["ana@example.org", "dee@example.org", "bo@example.org"] {
        app.rsvp(&id, address, json!({})).await.expect(201);
    }
    app.deliver_emails().await;
    post_feedback(
        &app,
        &dsn("ana@example.org", "failed", "5.1.1", "<x@y>"),
        Some(TOKEN),
    )
    .await
    .expect(200);
    post_feedback(&app, &complaint("dee@example.org"), Some(TOKEN))
        .await
        .expect(200);
    let path = "/admin/circle/emails/suppressed";

    let page = browser.open(path).await;
    page.expect_html(200);
    let rows: Vec<String> = page.all("tbody tr").into_iter().map(text_of).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().any(|r| r.contains("ana@example.org")
        && r.contains("Bounced: the address does not exist")
        && r.contains("5.1.1")));
    assert!(rows.iter().any(|r| r.contains("dee@example.org")
        && r.contains("Reported as abuse by its reader")));
    assert!(!page.text.contains("bo@example.org"));
    // A complaint is the reader's to take back: no button for it.
    assert_eq!(page.all("form[action$='/lift']").len(), 1);

    let lifted = browser
        .submit(&format!("{path}/lift"), &[("address", "ana@example.org")])
        .await;
    lifted.expect(303);
    assert_eq!(lifted.location(), format!("{path}?lifted=1"));
    let after = browser.open(lifted.location()).await;
    assert_eq!(
        text_of(after.one(".notice")),
        "Emails will go to this address again."
    );
    assert!(!after.text.contains("ana@example.org"));
    browser
        .submit(&format!("{path}/lift"), &[("address", "dee@example.org")])
        .await
        .expect_html(404);

    app.cancel(&token, &id, "Postponed").await.expect(200);
    app.deliver_emails().await;
    assert_eq!(app.smtp.to("ana@example.org").len(), 2, "written to again");
    assert_eq!(app.smtp.to("dee@example.org").len(), 1);

    // In Spanish, too.
    let es = Browser::sign_in(&app, "owner@circle.example.org", crate::console::PASSWORD)
        .await
        .in_language("es");
    let page = es.open(path).await;
    assert!(
        page.text
            .contains("Denunciado como abuso por su destinatario")
    );
}

#[tokio::test]
async fn viewers_and_other_organisations_see_no_suppressed_address() {
    use crate::console::{Browser, PASSWORD, owner_signed_in, set_password};
    let app = app_with_feedback().await;
    let (token, _) = owner_signed_in(&app).await;
    app.member(&token, "circle", "vic@example.org", "viewer")
        .await;
    let viewer = Browser::sign_in(&app, "vic@example.org", PASSWORD).await;
    let id = event(&app, &token).await;
    app.rsvp(&id, "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    post_feedback(
        &app,
        &dsn("ana@example.org", "failed", "5.1.1", "<x@y>"),
        Some(TOKEN),
    )
    .await
    .expect(200);

    let page = viewer.open("/admin/circle/emails/suppressed").await;
    page.expect_html(200);
    assert!(page.text.contains("1 addresses."), "{}", page.text);
    assert!(!page.text.contains("ana@example.org"));
    viewer
        .submit(
            "/admin/circle/emails/suppressed/lift",
            &[("address", "ana@example.org")],
        )
        .await
        .expect_html(403);

    // Another organisation never wrote to her: it sees nothing and lifts nothing.
    app.owner_of("other").await;
    set_password(&app, "owner@other.example.org").await;
    let other = Browser::sign_in(&app, "owner@other.example.org", PASSWORD).await;
    let theirs = other.open("/admin/other/emails/suppressed").await;
    theirs.expect_html(200);
    assert!(!theirs.text.contains("ana@example.org"));
    other
        .submit(
            "/admin/other/emails/suppressed/lift",
            &[("address", "ana@example.org")],
        )
        .await
        .expect_html(404);
    other
        .open("/admin/circle/emails/suppressed")
        .await
        .expect_html(404);
    let still = Browser::sign_in(&app, "owner@circle.example.org", PASSWORD)
        .await
        .open("/admin/circle/emails/suppressed")
        .await;
    assert!(still.text.contains("ana@example.org"));
}
