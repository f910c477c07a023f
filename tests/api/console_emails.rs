//! The organisation's outbox in the organiser console: failed and waiting emails
//! with their recipient, kind, attempts and why; retrying one or all of them, which
//! the worker then sends through the harness's SMTP server; what viewers see; and
//! the dashboard's word on emails waiting too long.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

use crate::console::{Browser, PASSWORD, owner_signed_in};
use crate::helpers::{TestApp, id_of, meeting, spawn_app};
use crate::pages::{Page, text_of};

/// A published event of the organisation `token` owns; its id.
async fn event(app: &TestApp, token: &str) -> String {
    let event = app
        .published_event(
            token,
            crate::helpers::with(meeting("Film night"), json!({ "capacity": 50 })),
        )
        .await;
    id_of(&event).to_owned()
}

/// An RSVP whose confirmation email is queued to `email`.
async fn rsvp(app: &TestApp, event: &str, email: &str) {
    app.rsvp(event, email, json!({ "name": "Someone" }))
        .await
        .expect(201);
}

/// The recipients of the rows of a section of the emails page.
fn recipients(page: &Page, section: &str) -> Vec<String> {
    page.all(&format!("#{section} tbody td.recipient"))
        .into_iter()
        .map(text_of)
        .collect()
}

#[tokio::test]
async fn organisers_see_failed_and_waiting_emails_and_a_retry_sends_one_again() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token).await;
    app.smtp.refuse("bounce@example.org");
    rsvp(&app, &id, "bounce@example.org").await;
    app.deliver_emails().await;
    rsvp(&app, &id, "ana@example.org").await;

    let page = browser.open("/admin/circle/emails").await;
    page.expect_html(200);
    assert_eq!(text_of(page.one("#count-failed")), "1");
    assert!(text_of(page.one("#count-waiting")).starts_with('1'));
    assert_eq!(recipients(&page, "failed"), ["Someone bounce@example.org"]);
    assert_eq!(recipients(&page, "waiting"), ["Someone ana@example.org"]);
    let row = page.one("#failed tbody tr");
    let row_text = text_of(row);
    assert!(row_text.contains("RSVP confirmation"), "{row_text}");
    assert_eq!(text_of(page.one("#failed td.attempts")), "1 attempt");
    assert!(text_of(page.one("#failed td.why")).contains("550"));
    let email = row.attr("data-id").unwrap().to_owned();

    // The server took the address back; the refusal had suppressed it, so the
    // organiser writes to it again before retrying.
    app.smtp.accept("bounce@example.org");
    browser
        .submit(
            "/admin/circle/emails/suppressed/lift",
            &[("address", "bounce@example.org")],
        )
        .await
        .expect(303);
    let retried = browser
        .submit(&format!("/admin/circle/emails/{email}/retry"), &[])
        .await;
    retried.expect(303);
    assert_eq!(retried.location(), "/admin/circle/emails?retried=1");
    let after = browser.open(retried.location()).await;
    assert_eq!(
        text_of(after.one(".notice")),
        "1 email put back in the queue."
    );
    assert_eq!(text_of(after.one("#count-failed")), "0");
    assert!(recipients(&after, "waiting").contains(&"Someone bounce@example.org".to_owned()));

    let round = app.deliver_emails().await;
    assert_eq!(round.sent, 2, "{round:?}");
    let received = app.smtp.to("bounce@example.org");
    assert_eq!(received.len(), 1);
    assert!(
        received[0].subject().contains("Film night"),
        "{}",
        received[0].subject()
    );
    let done = browser.open("/admin/circle/emails").await;
    assert!(done.first("#all-sent").is_some(), "{}", done.text);

    // Retried twice (another tab): said, not an error.
    let again = browser
        .submit(&format!("/admin/circle/emails/{email}/retry"), &[])
        .await;
    again.expect(303);
    let gone = browser.open(again.location()).await;
    assert!(text_of(gone.one(".notice")).contains("not failed any more"));
    assert_eq!(app.deliver_emails().await.sent, 0);
}

#[tokio::test]
async fn retry_all_puts_every_failed_email_back_and_the_worker_sends_them() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token).await;
    for bounce in ["a@example.org", "b@example.org", "c@example.org"] {
        app.smtp.refuse(bounce);
        rsvp(&app, &id, bounce).await;
    }
    rsvp(&app, &id, "fine@example.org").await;
    let round = app.deliver_emails().await;
    assert_eq!((round.failed, round.sent), (3, 1), "{round:?}");
    let page = browser.open("/admin/circle/emails").await;
    assert_eq!(recipients(&page, "failed").len(), 3);
    assert_eq!(
        text_of(page.one("#kinds")),
        "RSVP confirmation: 3 failed, 0 waiting"
    );

    for bounce in ["a@example.org", "b@example.org"] {
        app.smtp.accept(bounce);
        browser
            .submit(
                "/admin/circle/emails/suppressed/lift",
                &[("address", bounce)],
            )
            .await
            .expect(303);
    }
    let retried = browser.submit("/admin/circle/emails/retry", &[]).await;
    retried.expect(303);
    assert_eq!(retried.location(), "/admin/circle/emails?retried=3");
    assert_eq!(
        text_of(browser.open(retried.location()).await.one(".notice")),
        "3 emails put back in the queue."
    );

    let round = app.deliver_emails().await;
    assert_eq!((round.sent, round.failed), (2, 1), "{round:?}");
    assert_eq!(app.smtp.to("a@example.org").len(), 1);
    assert_eq!(app.smtp.to("b@example.org").len(), 1);
    assert_eq!(
        app.smtp.to("fine@example.org").len(),
        1,
        "sent once, not again"
    );
    let after = browser.open("/admin/circle/emails").await;
    assert_eq!(recipients(&after, "failed"), ["Someone c@example.org"]);
}

#[tokio::test]
async fn viewers_see_counts_by_kind_and_no_address_and_retry_nothing() {
    let app = spawn_app().await;
    let (token, _) = owner_signed_in(&app).await;
    app.member(&token, "circle", "vic@example.org", "viewer")
        .await;
    let viewer = Browser::sign_in(&app, "vic@example.org", PASSWORD).await;
    let id = event(&app, &token).await;
    app.smtp.refuse("bounce@example.org");
    rsvp(&app, &id, "bounce@example.org").await;
    app.deliver_emails().await;
    let failed = app.outbox(&token, "failed").await;
    let email = id_of(&failed[0]).to_owned();

    let page = viewer.open("/admin/circle/emails").await;
    page.expect_html(200);
    assert_eq!(text_of(page.one("#count-failed")), "1");
    assert_eq!(
        text_of(page.one("#kinds")),
        "RSVP confirmation: 1 failed, 0 waiting"
    );
    assert!(page.first("#no-personal-data").is_some());
    assert!(!page.text.contains("bounce@example.org"));
    assert!(!page.text.contains("550"), "nor why, which may name them");
    assert!(page.first("form[action$=\"/retry\"]").is_none());

    for path in [
        format!("/admin/circle/emails/{email}/retry"),
        "/admin/circle/emails/retry".to_owned(),
    ] {
        viewer.submit(&path, &[]).await.expect_html(403);
    }
    assert_eq!(app.outbox(&token, "failed").await.len(), 1);
    assert_eq!(app.deliver_emails().await.sent, 0);
}

#[tokio::test]
async fn another_organisations_emails_are_not_found_nor_retried() {
    let app = spawn_app().await;
    let (_, owner) = owner_signed_in(&app).await;
    let other = app.owner_of("other").await;
    let id = event(&app, &other).await;
    app.smtp.refuse("bounce@example.org");
    rsvp(&app, &id, "bounce@example.org").await;
    app.deliver_emails().await;
    let theirs = id_of(&app.outbox(&other, "failed").await[0]).to_owned();

    owner.open("/admin/other/emails").await.expect_html(404);
    let ours = owner.open("/admin/circle/emails").await;
    assert!(!ours.text.contains("bounce@example.org"));
    owner
        .submit(&format!("/admin/circle/emails/{theirs}/retry"), &[])
        .await
        .expect_html(404);
    owner
        .submit("/admin/circle/emails/not-an-id/retry", &[])
        .await
        .expect_html(404);
    let all = owner.submit("/admin/circle/emails/retry", &[]).await;
    assert_eq!(all.location(), "/admin/circle/emails?retried=0");
    assert_eq!(app.outbox(&other, "failed").await.len(), 1);
}

#[tokio::test]
async fn the_dashboard_says_how_long_emails_have_waited_and_links_failed_ones() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token).await;
    app.smtp.refuse("bounce@example.org");
    rsvp(&app, &id, "bounce@example.org").await;
    app.deliver_emails().await;
    rsvp(&app, &id, "ana@example.org").await;

    // A fresh email waiting is nothing to worry about.
    let fresh = browser.open("/admin").await;
    fresh.expect_html(200);
    assert!(!fresh.visible_text().contains("Emails are waiting"));
    let failed = fresh
        .all("a[href=\"/admin/circle/emails\"]")
        .into_iter()
        .map(text_of)
        .collect::<Vec<_>>();
    assert_eq!(failed, ["1 email could not be delivered"]);

    // The worker has been down for two hours.
    let db = app.database().await;
    entity::outbox_email::Entity::update_many()
        .col_expr(
            entity::outbox_email::Column::CreatedAt,
            Expr::value(Utc::now() - Duration::minutes(125)),
        )
        .filter(entity::outbox_email::Column::Recipient.eq("ana@example.org"))
        .exec(&db)
        .await
        .unwrap();
    let late = browser.open("/admin").await;
    let links = late
        .all("a[href=\"/admin/circle/emails\"]")
        .into_iter()
        .map(text_of)
        .collect::<Vec<_>>();
    assert_eq!(
        links,
        [
            "1 email could not be delivered",
            "Emails are waiting: the oldest for 2 hours"
        ]
    );
    let page = browser.open("/admin/circle/emails").await;
    assert!(text_of(page.one("#count-waiting")).contains("the oldest for 2 hours"));
}
