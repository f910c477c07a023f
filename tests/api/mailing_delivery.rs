//! How the outbox carries a mailing (issue 19, point 3): behind the emails an
//! action causes, at the configured rate, and through an SMTP server that is away
//! without giving up on the queue.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::mailings::{Consenting, seed_consenting};
use crate::smtp::SmtpServer;

/// `n` supporters of `slug` with a confirmed consent, written straight to the
/// database: the mailing is under test here, not the "Join us" form.
async fn subscribers(app: &TestApp, slug: &str, n: usize) -> Vec<String> {
    let addresses: Vec<String> = (0..n)
        .map(|i| format!("sub{i}@{slug}.example.org"))
        .collect();
    let people: Vec<Consenting> = addresses
        .iter()
        .map(|email| Consenting {
            email: email.clone(),
            locale: None,
            consent_locale: entity::domain::Locale::En,
        })
        .collect();
    let db = app.database().await;
    seed_consenting(&db, slug, &people).await;
    let _ = db.close().await;
    addresses
}

async fn mailing_to_subscribers(app: &TestApp, token: &str, slug: &str) -> Value {
    let created = app
        .post_json(
            "/api/v1/mailings",
            token,
            &json!({
                "organisation": slug,
                "audience": { "kind": "subscribers" },
                "subject": { "en": "News" },
                "body": { "en": "We handed in **3,214** signatures." },
            }),
        )
        .await;
    created.expect(201).clone()
}

async fn send_now(app: &TestApp, token: &str, mailing: &Value) -> Value {
    let path = format!("/api/v1/mailings/{}/send", id_of(mailing));
    app.post_json(&path, token, &json!({}))
        .await
        .expect(200)
        .clone()
}

async fn waiting(app: &TestApp) -> u64 {
    let db = app.database().await;
    let n = entity::outbox_email::Entity::find()
        .filter(entity::outbox_email::Column::Status.is_in([
            entity::values::EmailStatus::Pending,
            entity::values::EmailStatus::Sending,
        ]))
        .count(&db)
        .await
        .unwrap();
    let _ = db.close().await;
    n
}

#[tokio::test]
async fn a_confirmation_queued_behind_a_mailing_goes_out_first() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    subscribers(&app, "lrbc", 300).await;
    let mailing = mailing_to_subscribers(&app, &token, "lrbc").await;
    assert_eq!(send_now(&app, &token, &mailing).await["status"], "sending");
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "late@example.org", json!({}))
        .await
        .expect(201);

    app.deliver_emails().await;

    let received = app.smtp.all();
    assert_eq!(received.len(), 301);
    let at = received
        .iter()
        .position(|m| m.envelope_to.iter().any(|to| to == "late@example.org"))
        .expect("the confirmation arrived");
    // The first batch claimed takes it, ahead of the 300 queued before it.
    assert!(at < 64, "the confirmation was message {at} of 301");
}

#[tokio::test]
async fn the_worker_sends_no_faster_than_the_rate_set() {
    let app = spawn_app_configured(|config| {
        config.mail_rate = std::num::NonZeroU32::new(20);
    })
    .await;
    let token = app.owner_of("lrbc").await;
    subscribers(&app, "lrbc", 30).await;
    let mailing = mailing_to_subscribers(&app, &token, "lrbc").await;
    send_now(&app, &token, &mailing).await;

    let started = Instant::now();
    let round = app.deliver_emails().await;
    let took = started.elapsed();

    assert_eq!(round.sent, 30);
    // 30 emails at 20 a second: the first at once, the last 29 ticks of 50 ms later.
    assert!(
        took >= Duration::from_millis(29 * 50),
        "30 emails left in {took:?}"
    );
    assert_eq!(app.smtp.all().len(), 30);
}

#[tokio::test]
async fn a_mail_server_that_is_away_costs_a_few_emails_one_attempt_and_the_rest_none() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let app = spawn_app_with(SmtpServer::start(), format!("smtp://127.0.0.1:{port}")).await;
    let token = app.owner_of("lrbc").await;
    subscribers(&app, "lrbc", 200).await;
    let mailing = mailing_to_subscribers(&app, &token, "lrbc").await;
    send_now(&app, &token, &mailing).await;

    let round = app.deliver_emails().await;

    assert_eq!((round.sent, round.failed), (0, 0), "{round:?}");
    // What was under way when the server was found away: at most one per
    // connection the worker opens at once. The rest were not tried.
    assert!(
        (1..=8).contains(&round.retrying),
        "{round:?}: the whole queue was tried against a server that is away"
    );
    let db = app.database().await;
    let untried = entity::outbox_email::Entity::find()
        .filter(entity::outbox_email::Column::Attempts.eq(0))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(untried, 200 - round.retrying as u64);
    let suppressed = entity::suppression::Entity::find()
        .count(&db)
        .await
        .unwrap();
    assert_eq!(
        suppressed, 0,
        "nobody's address is to blame for a server away"
    );
    let _ = db.close().await;

    // The server comes back: everyone gets the mailing once.
    let smtp = SmtpServer::start_on(TcpListener::bind(("127.0.0.1", port)).unwrap());
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.deliver_emails().await;
        if waiting(&app).await == 0 {
            break;
        }
    }
    assert_eq!(smtp.all().len(), 200);
    let mut to: Vec<String> = smtp
        .all()
        .iter()
        .flat_map(|m| m.envelope_to.clone())
        .collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 200);
}

#[tokio::test]
async fn a_mailing_whose_queueing_stopped_half_way_is_queued_by_the_next_round_once_each() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    // More than one page of recipients (2,000 a page).
    let addresses = subscribers(&app, "lrbc", 2_300).await;
    let mailing = mailing_to_subscribers(&app, &token, "lrbc").await;
    // As a server that died just after taking the mailing to send leaves it.
    let db = app.database().await;
    let id = Uuid::parse_str(id_of(&mailing)).unwrap();
    entity::mailing::Entity::update_many()
        .col_expr(
            entity::mailing::Column::Status,
            sea_orm::sea_query::Expr::value(entity::values::MailingStatus::Sending),
        )
        .filter(entity::mailing::Column::Id.eq(id))
        .exec(&db)
        .await
        .unwrap();
    let _ = db.close().await;

    // Two workers at once: each page is queued by one of them.
    let other = app.worker.clone();
    let (first, second) = tokio::join!(app.worker.run_once(), other.run_once());
    first.unwrap();
    second.unwrap();
    app.deliver_emails().await;

    let received = app.smtp.all();
    assert_eq!(received.len(), 2_300);
    let mut to: Vec<String> = received
        .iter()
        .flat_map(|m| m.envelope_to.clone())
        .collect();
    to.sort();
    to.dedup();
    let mut expected = addresses.clone();
    expected.sort();
    assert_eq!(to, expected);
    let shown = app
        .get(&format!("/api/v1/mailings/{id}"), &token)
        .await
        .expect(200)
        .clone();
    assert_eq!(shown["status"], "sent", "{shown}");
    assert_eq!(
        (shown["recipients"].as_u64(), shown["sent"].as_u64()),
        (Some(2_300), Some(2_300))
    );
}
