//! The emails supporters and organisers receive, read off a real SMTP server: what
//! they say and in which language, the calendar entries they carry, the links in
//! them, and how the outbox delivers them once each, through refusals and outages.

use std::{net::TcpListener, process::Command, time::Duration};

use chrono::Utc;
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::smtp::{Received, SmtpServer};

const CHECKER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/tools/ical-check/ical-check"
);

/// Run the calendar checker on files or feed URLs; panics with its report unless
/// every check passes.
async fn ical_check(args: Vec<String>) {
    let output = tokio::task::spawn_blocking(move || {
        Command::new(CHECKER)
            .args(&args)
            .output()
            .expect("ical-check runs")
    })
    .await
    .expect("ical-check finishes");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "ical-check failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains(" passed, 0 failed"), "{report}");
}

/// The value of an iCalendar property (`SEQUENCE`, `METHOD`…), its first occurrence.
fn ics_property(ics: &str, name: &str) -> Option<String> {
    ics.replace("\r\n ", "").lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        let key = key.split(';').next().unwrap_or(key);
        (key == name).then(|| value.trim().to_owned())
    })
}

/// The one email to `address`; panics when there is none or more than one.
#[track_caller]
fn only_email_to(smtp: &SmtpServer, address: &str) -> Received {
    let emails = smtp.to(address);
    assert_eq!(
        emails.len(),
        1,
        "expected one email to {address}, got {}: {:?}",
        emails.len(),
        emails.iter().map(Received::subject).collect::<Vec<_>>()
    );
    emails[0].clone()
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

/// The path of a link in an email (they are made for `http://127.0.0.1`), to ask the
/// test's app for it.
fn path_of(link: &str) -> &str {
    link.strip_prefix("http://127.0.0.1")
        .unwrap_or_else(|| panic!("{link} is not a link of this site"))
}

/// A published Toronto meeting starting `hours` from now, for two hours.
async fn meeting_in_hours(app: &TestApp, token: &str, title: &str, hours: i64) -> Value {
    let toronto = chrono_tz::America::Toronto;
    let starts = (Utc::now() + chrono::Duration::hours(hours)).with_timezone(&toronto);
    let ends = starts + chrono::Duration::hours(2);
    let format = "%Y-%m-%dT%H:%M";
    app.published_event(
        token,
        event_at(
            title,
            "public_meeting",
            "America/Toronto",
            &starts.format(format).to_string(),
            &ends.format(format).to_string(),
        ),
    )
    .await
}

/// Make every RSVP look as if it had been made `days` ago: before the 24-hour window
/// of an event that starts soon.
async fn backdate_rsvps(app: &TestApp, days: i64) {
    let db = app.database().await;
    entity::rsvp::Entity::update_many()
        .col_expr(
            entity::rsvp::Column::CreatedAt,
            Expr::value(Utc::now() - chrono::Duration::days(days)),
        )
        .exec(&db)
        .await
        .expect("RSVPs backdated");
    let _ = db.close().await;
}

/// An app whose SMTP server is not up yet: its port refuses connections.
struct MailServerDown {
    app: TestApp,
    port: u16,
}

impl MailServerDown {
    async fn spawn() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("a bound address").port();
        drop(listener);
        // The harness' own server stays unused: the app is pointed at `port`.
        let app = spawn_app_with(SmtpServer::start(), format!("smtp://127.0.0.1:{port}")).await;
        Self { app, port }
    }

    /// The mail server comes up where the app has been looking.
    fn bring_up(&self) -> SmtpServer {
        let listener =
            TcpListener::bind(("127.0.0.1", self.port)).expect("the mail server's port again");
        SmtpServer::start_on(listener)
    }
}

/// Wait out the longest backoff of the test retry policy (80 ms).
async fn wait_past_backoff() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

// --- the going email ------------------------------------------------------------------

#[tokio::test]
async fn a_confirmation_comes_from_turnout_with_a_message_id_of_its_own() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    assert_eq!(email.envelope_to, vec!["ana@example.org"]);
    assert_eq!(
        email.header("From").as_deref(),
        Some("Turnout <noreply@localhost>")
    );
    let message_id = email.header("Message-ID").expect("a Message-ID");
    let id = message_id
        .strip_prefix('<')
        .and_then(|m| m.strip_suffix("@localhost>"))
        .unwrap_or_else(|| panic!("Message-ID {message_id} is not <uuid@localhost>"));
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{message_id}");
}

#[tokio::test]
async fn the_message_id_is_fixed_when_the_email_is_queued() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);

    let queued = app.outbox(&token, "pending").await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["recipient"], "ana@example.org");
    assert_eq!(queued[0]["template"], "rsvp_going");
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    assert_eq!(
        email.header("Message-ID").as_deref(),
        queued[0]["message_id"].as_str()
    );
    let sent = app.outbox(&token, "sent").await;
    assert_eq!(sent[0]["message_id"], queued[0]["message_id"]);
    assert!(sent[0]["sent_at"].is_string(), "{sent:?}");
}

#[tokio::test]
async fn the_going_email_attaches_the_event_with_its_uid_and_sequence() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    let (method, ics) = email.calendar().expect("an .ics attachment");
    assert_eq!(method, "PUBLISH");
    assert_eq!(ics_property(&ics, "METHOD").as_deref(), Some("PUBLISH"));
    assert_eq!(
        ics_property(&ics, "UID"),
        Some(format!("{}@turnout", id_of(&event)))
    );
    assert_eq!(ics_property(&ics, "SEQUENCE").as_deref(), Some("0"));
}

#[tokio::test]
async fn a_confirmation_after_a_change_carries_the_events_current_sequence() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.patch_event(
        &token,
        id_of(&event),
        json!({ "starts_at": "2038-02-11T19:00", "ends_at": "2038-02-11T21:00" }),
    )
    .await
    .expect(200);
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let (_, ics) = only_email_to(&app.smtp, "ana@example.org")
        .calendar()
        .expect("an .ics attachment");
    assert_eq!(ics_property(&ics, "SEQUENCE").as_deref(), Some("1"));
}

#[tokio::test]
async fn the_attached_calendar_entry_passes_the_calendar_checker() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let (_, ics) = only_email_to(&app.smtp, "ana@example.org")
        .calendar()
        .expect("an .ics attachment");
    let file = app.dir.path().join("film-night.ics");
    std::fs::write(&file, ics).expect("the attachment written out");
    ical_check(vec![
        "--expect-events".into(),
        "1".into(),
        "--expect-tz".into(),
        "America/Toronto".into(),
        file.display().to_string(),
    ])
    .await;
}

#[tokio::test]
async fn the_time_reads_in_the_events_zone_with_its_abbreviation() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    let when = "Wednesday 10 February 2038, 19:00–21:00 EST";
    assert!(email.text().contains(when), "{}", email.text());
    assert!(email.html().contains(when), "{}", email.html());
}

#[tokio::test]
async fn a_caracas_event_shows_its_offset_for_want_of_an_abbreviation() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .published_event(
            &token,
            event_at(
                "Encuentro comunal",
                "public_meeting",
                "America/Caracas",
                "2038-03-06T18:00",
                "2038-03-06T20:00",
            ),
        )
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let text = only_email_to(&app.smtp, "ana@example.org").text();
    assert!(
        text.contains("Saturday 6 March 2038, 18:00–20:00 UTC-04"),
        "{text}"
    );
}

#[tokio::test]
async fn a_summer_event_reads_in_daylight_time() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .published_event(
            &token,
            event_at(
                "Picnic for Palestine",
                "social",
                "America/Toronto",
                "2038-07-10T12:00",
                "2038-07-10T16:00",
            ),
        )
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let text = only_email_to(&app.smtp, "ana@example.org").text();
    assert!(
        text.contains("Saturday 10 July 2038, 12:00–16:00 EDT"),
        "{text}"
    );
}

// --- the other RSVP emails ------------------------------------------------------------

#[tokio::test]
async fn a_supporter_on_the_waitlist_is_told_so_without_a_calendar_entry() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let ben = app.rsvp(id_of(&event), "ben@example.org", json!({})).await;
    assert_eq!(ben.expect(201)["status"], "waitlisted");
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ben@example.org");
    assert_eq!(email.subject(), "You’re on the waitlist for Film night");
    assert!(email.text().contains("waitlist"), "{}", email.text());
    assert!(email.calendar().is_none(), "{}", email.raw_text());
}

#[tokio::test]
async fn a_request_to_an_approval_event_is_acknowledged_without_a_calendar_entry() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "rsvp_mode": "approval" }))
        .await;
    let ana = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    assert_eq!(ana.expect(201)["status"], "pending_approval");
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    assert_eq!(email.subject(), "Request received: Film night");
    assert!(email.calendar().is_none(), "{}", email.raw_text());
}

#[tokio::test]
async fn an_approved_supporter_gets_their_place_confirmed_with_the_event_attached() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "rsvp_mode": "approval" }))
        .await;
    let ana = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    let rsvp_id = id_of(ana.expect(201)).to_owned();
    app.deliver_emails().await;

    app.send(
        Method::POST,
        &format!("/api/v1/rsvps/{rsvp_id}/approve"),
        Some(&token),
        None,
        None,
    )
    .await
    .expect(200);
    app.deliver_emails().await;

    let email = app.smtp.last_to("ana@example.org");
    assert_eq!(email.subject(), "Your place is confirmed: Film night");
    let (method, ics) = email.calendar().expect("an .ics attachment");
    assert_eq!(method, "PUBLISH");
    assert_eq!(
        ics_property(&ics, "UID"),
        Some(format!("{}@turnout", id_of(&event)))
    );
}

#[tokio::test]
async fn a_declined_supporter_is_told_kindly_without_a_calendar_entry() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "rsvp_mode": "approval" }))
        .await;
    let ana = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    let rsvp_id = id_of(ana.expect(201)).to_owned();
    app.deliver_emails().await;

    app.send(
        Method::POST,
        &format!("/api/v1/rsvps/{rsvp_id}/decline"),
        Some(&token),
        None,
        None,
    )
    .await
    .expect(200);
    app.deliver_emails().await;

    let email = app.smtp.last_to("ana@example.org");
    assert_eq!(email.subject(), "About your request for Film night");
    assert!(email.calendar().is_none(), "{}", email.raw_text());
}

#[tokio::test]
async fn the_first_on_the_waitlist_is_told_with_the_event_attached_when_a_seat_frees_up() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    let ana = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    let ana_token = manage_token(ana.expect(201));
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    app.send(
        Method::DELETE,
        &format!("/api/v1/public/rsvps/{ana_token}"),
        None,
        None,
        None,
    )
    .await;
    app.deliver_emails().await;

    let emails = app.smtp.to("ben@example.org");
    assert_eq!(emails.len(), 2, "a waitlist email, then the promotion");
    let promoted = &emails[1];
    assert_eq!(
        promoted.subject(),
        "A place opened up: you’re going to Film night"
    );
    let (method, ics) = promoted.calendar().expect("an .ics attachment");
    assert_eq!(method, "PUBLISH");
    assert_eq!(
        ics_property(&ics, "UID"),
        Some(format!("{}@turnout", id_of(&event)))
    );
}

// --- language -------------------------------------------------------------------------

#[tokio::test]
async fn a_supporter_who_asks_for_spanish_reads_spanish() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "locale": "es" }))
        .await
        .expect(201);
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    assert_eq!(email.subject(), "Asistencia confirmada: Film night");
    let text = email.text();
    assert!(text.contains("Hola, Ana:"), "{text}");
    assert!(
        text.contains("Cuándo: miércoles 10 de febrero de 2038, 19:00–21:00 EST"),
        "{text}"
    );
    assert!(!text.contains("When:"), "{text}");
    assert!(email.html().contains("miércoles"), "{}", email.html());
}

#[tokio::test]
async fn a_supporter_who_asks_for_french_reads_french() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "locale": "fr" }))
        .await
        .expect(201);
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    assert_eq!(email.subject(), "Inscription confirmée\u{a0}: Film night");
    let text = email.text();
    assert!(text.contains("Bonjour Ana,"), "{text}");
    assert!(
        text.contains("Quand\u{a0}: mercredi 10 février 2038, 19:00–21:00 EST"),
        "{text}"
    );
    assert!(email.html().contains("mercredi"), "{}", email.html());
}

#[tokio::test]
async fn without_a_locale_the_email_follows_the_events_language() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .published_event(
            &token,
            with(meeting("Noche de cine"), json!({ "language": "es" })),
        )
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    assert_eq!(email.subject(), "Asistencia confirmada: Noche de cine");
}

#[tokio::test]
async fn the_supporters_locale_wins_over_the_events_language() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .published_event(
            &token,
            with(meeting("Noche de cine"), json!({ "language": "es" })),
        )
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "locale": "fr" }))
        .await
        .expect(201);
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    assert_eq!(
        email.subject(),
        "Inscription confirmée\u{a0}: Noche de cine"
    );
}

#[tokio::test]
async fn a_supporters_language_carries_over_to_their_next_rsvp() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let first = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let second = app
        .published_event(&token, meeting("Solidarity assembly"))
        .await;
    app.rsvp(id_of(&first), "ana@example.org", json!({ "locale": "es" }))
        .await
        .expect(201);
    app.rsvp(id_of(&second), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let subjects: Vec<String> = app
        .smtp
        .to("ana@example.org")
        .iter()
        .map(Received::subject)
        .collect();
    assert!(
        subjects.contains(&"Asistencia confirmada: Solidarity assembly".to_owned()),
        "{subjects:?}"
    );
}

// --- the personal feed ----------------------------------------------------------------

#[tokio::test]
async fn rsvp_emails_link_the_supporters_personal_feed() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let ana = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    assert!(
        ana.expect(201).get("feed_url").is_none(),
        "the feed is only ever in the supporter's emails: {}",
        ana.text
    );
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    let feed_url = link_in(&email.text(), "http://127.0.0.1/feeds/");
    assert!(feed_url.ends_with("/calendar.ics"), "{feed_url}");
    assert!(
        unescaped(&email.html()).contains(&feed_url),
        "{}",
        email.html()
    );
}

#[tokio::test]
async fn the_personal_feed_lists_what_the_supporter_is_going_to_but_not_where_they_wait() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let film = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let workshop = app
        .published_event(
            &token,
            with(
                meeting("Banner workshop"),
                json!({ "capacity": 1, "waitlist": true }),
            ),
        )
        .await;
    app.rsvp(id_of(&workshop), "ben@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(id_of(&film), "ana@example.org", json!({}))
        .await
        .expect(201);
    let feed_url = app.feed_link("ana@example.org").await;
    let waiting = app
        .rsvp(id_of(&workshop), "ana@example.org", json!({}))
        .await;
    assert_eq!(waiting.expect(201)["status"], "waitlisted");

    let feed = app.get_public(path_of(&feed_url)).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    assert!(
        feed.content_type().starts_with("text/calendar"),
        "{}",
        feed.content_type()
    );
    let cache_control = feed
        .headers
        .get("Cache-Control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(cache_control.contains("private"), "{cache_control:?}");
    assert!(
        feed.text.contains(&format!("UID:{}@turnout", id_of(&film))),
        "{}",
        feed.text
    );
    assert!(
        !feed.text.contains(id_of(&workshop)),
        "the waitlisted workshop is in the feed:\n{}",
        feed.text
    );
    ical_check(vec![
        "--expect-events".into(),
        "1".into(),
        "--expect-tz".into(),
        "America/Toronto".into(),
        app.url(path_of(&feed_url)),
    ])
    .await;
}

#[tokio::test]
async fn an_unknown_personal_feed_is_not_found() {
    let app = spawn_app().await;
    let reply = app.get_public("/feeds/nobodys-token/calendar.ics").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
}

// --- changes and cancellations --------------------------------------------------------

#[tokio::test]
async fn moving_an_event_sends_attendees_a_calendar_entry_with_a_higher_sequence() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let moved = app
        .patch_event(
            &token,
            id_of(&event),
            json!({ "starts_at": "2038-02-11T19:00", "ends_at": "2038-02-11T21:00" }),
        )
        .await;
    assert_eq!(moved.expect(200)["sequence"], 1);
    app.deliver_emails().await;

    let email = app.smtp.last_to("ana@example.org");
    assert_eq!(email.subject(), "Time or place changed: Film night");
    let text = email.text();
    assert!(
        text.contains("When: Thursday 11 February 2038, 19:00–21:00 EST"),
        "{text}"
    );
    assert!(
        text.contains("When: Wednesday 10 February 2038, 19:00–21:00 EST"),
        "the previous time is shown too: {text}"
    );
    let (method, ics) = email.calendar().expect("an .ics attachment");
    assert_eq!(method, "PUBLISH");
    assert_eq!(ics_property(&ics, "SEQUENCE").as_deref(), Some("1"));
    assert_eq!(
        ics_property(&ics, "UID"),
        Some(format!("{}@turnout", id_of(&event)))
    );
}

#[tokio::test]
async fn a_new_place_is_news_to_attendees_too() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    app.patch_event(
        &token,
        id_of(&event),
        json!({ "location": { "venue": "Steelworkers Hall", "locality": "Toronto", "country": "CA" } }),
    )
    .await
    .expect(200);
    app.deliver_emails().await;

    let email = app.smtp.last_to("ana@example.org");
    assert_eq!(email.subject(), "Time or place changed: Film night");
    assert!(
        email.text().contains("Steelworkers Hall"),
        "{}",
        email.text()
    );
}

#[tokio::test]
async fn those_waiting_or_awaiting_approval_hear_of_a_change_without_a_calendar_entry() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(
            &token,
            json!({ "capacity": 1, "waitlist": true, "rsvp_mode": "approval" }),
        )
        .await;
    let mut ids = Vec::new();
    for supporter in ["ana@example.org", "ben@example.org", "cleo@example.org"] {
        let reply = app.rsvp(id_of(&event), supporter, json!({})).await;
        ids.push(id_of(reply.expect(201)).to_owned());
    }
    for (id, status) in ids.iter().zip(["going", "waitlisted"]) {
        let approved = app
            .send(
                Method::POST,
                &format!("/api/v1/rsvps/{id}/approve"),
                Some(&token),
                None,
                None,
            )
            .await;
        assert_eq!(approved.expect(200)["status"], status);
    }
    app.deliver_emails().await;

    app.patch_event(
        &token,
        id_of(&event),
        json!({ "starts_at": "2038-02-11T19:00", "ends_at": "2038-02-11T21:00" }),
    )
    .await
    .expect(200);
    app.deliver_emails().await;

    let going = app.smtp.last_to("ana@example.org");
    assert_eq!(going.subject(), "Time or place changed: Film night");
    assert!(going.calendar().is_some(), "ana is going");
    for waiting in ["ben@example.org", "cleo@example.org"] {
        let email = app.smtp.last_to(waiting);
        assert_eq!(email.subject(), "Time or place changed: Film night");
        assert!(
            email.calendar().is_none(),
            "{waiting} is not going, so gets no calendar entry"
        );
    }
}

#[tokio::test]
async fn a_change_email_without_a_calendar_entry_promises_none() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    app.patch_event(
        &token,
        id_of(&event),
        json!({ "starts_at": "2038-02-11T19:00", "ends_at": "2038-02-11T21:00" }),
    )
    .await
    .expect(200);
    app.deliver_emails().await;

    let email = app.smtp.last_to("ben@example.org");
    assert!(email.calendar().is_none());
    assert!(!email.text().contains(".ics"), "{}", email.text());
    assert!(!email.html().contains(".ics"), "{}", email.html());
}

#[tokio::test]
async fn a_new_title_alone_sends_no_email_and_keeps_the_sequence() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let renamed = app
        .patch_event(
            &token,
            id_of(&event),
            json!({ "title": "Film night: Tierra y Libertad" }),
        )
        .await;
    assert_eq!(renamed.expect(200)["sequence"], 0);
    let round = app.deliver_emails().await;

    assert_eq!(round.sent, 0, "{round:?}");
    assert_eq!(app.smtp.to("ana@example.org").len(), 1);
}

#[tokio::test]
async fn cancelling_an_event_tells_attendees_why_with_a_cancelling_calendar_entry() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    app.cancel(&token, id_of(&event), "The hall flooded overnight")
        .await
        .expect(200);
    app.deliver_emails().await;

    let email = app.smtp.last_to("ana@example.org");
    assert_eq!(email.subject(), "Cancelled: Film night");
    assert!(
        email.text().contains("The hall flooded overnight"),
        "{}",
        email.text()
    );
    let (method, ics) = email.calendar().expect("an .ics attachment");
    assert_eq!(method, "CANCEL");
    assert_eq!(ics_property(&ics, "METHOD").as_deref(), Some("CANCEL"));
    assert_eq!(ics_property(&ics, "STATUS").as_deref(), Some("CANCELLED"));
    assert_eq!(ics_property(&ics, "SEQUENCE").as_deref(), Some("1"));
    assert_eq!(
        ics_property(&ics, "UID"),
        Some(format!("{}@turnout", id_of(&event)))
    );
}

#[tokio::test]
async fn a_cancellation_reaches_the_waitlist_without_a_calendar_entry() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    app.cancel(&token, id_of(&event), "The hall flooded overnight")
        .await
        .expect(200);
    app.deliver_emails().await;

    let email = app.smtp.last_to("ben@example.org");
    assert_eq!(email.subject(), "Cancelled: Film night");
    assert!(email.calendar().is_none(), "{}", email.raw_text());
}

#[tokio::test]
async fn a_cancellation_email_without_a_calendar_entry_promises_none() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    app.cancel(&token, id_of(&event), "The hall flooded overnight")
        .await
        .expect(200);
    app.deliver_emails().await;

    let email = app.smtp.last_to("ben@example.org");
    assert!(email.calendar().is_none());
    assert!(!email.text().contains(".ics"), "{}", email.text());
}

#[tokio::test]
async fn a_cancelled_event_stays_in_the_personal_feed_struck_out() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let feed_url = app.feed_link("ana@example.org").await;

    app.cancel(&token, id_of(&event), "The hall flooded overnight")
        .await
        .expect(200);

    let feed = app.get_public(path_of(&feed_url)).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    assert_eq!(
        ics_property(&feed.text, "STATUS").as_deref(),
        Some("CANCELLED")
    );
    assert_eq!(ics_property(&feed.text, "SEQUENCE").as_deref(), Some("1"));
}

#[tokio::test]
async fn a_supporter_who_cancelled_their_rsvp_hears_nothing_of_the_events_cancellation() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let ana = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    let ana_token = manage_token(ana.expect(201));
    app.send(
        Method::DELETE,
        &format!("/api/v1/public/rsvps/{ana_token}"),
        None,
        None,
        None,
    )
    .await;
    app.deliver_emails().await;
    let before = app.smtp.to("ana@example.org").len();

    app.cancel(&token, id_of(&event), "The hall flooded overnight")
        .await
        .expect(200);
    app.deliver_emails().await;

    assert_eq!(app.smtp.to("ana@example.org").len(), before);
}

#[tokio::test]
async fn a_spanish_speaker_reads_of_the_cancellation_in_spanish() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "locale": "es" }))
        .await
        .expect(201);
    app.deliver_emails().await;

    app.cancel(&token, id_of(&event), "Se inundó el local")
        .await
        .expect(200);
    app.deliver_emails().await;

    let email = app.smtp.last_to("ana@example.org");
    assert_eq!(email.subject(), "Evento cancelado: Film night");
    assert!(
        email.text().contains("Motivo: Se inundó el local"),
        "{}",
        email.text()
    );
}

// --- reminders ------------------------------------------------------------------------

#[tokio::test]
async fn a_supporter_who_rsvpd_days_ago_is_reminded_once_the_day_before() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_in_hours(&app, &token, "Picket planning", 2).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    backdate_rsvps(&app, 3).await;

    let round = app.deliver_emails().await;
    assert_eq!((round.reminders, round.sent), (1, 1), "{round:?}");
    let again = app.deliver_emails().await;
    assert_eq!((again.reminders, again.sent), (0, 0), "{again:?}");

    let reminders: Vec<Received> = app
        .smtp
        .to("ana@example.org")
        .into_iter()
        .filter(|e| e.subject() == "Tomorrow: Picket planning")
        .collect();
    assert_eq!(reminders.len(), 1);
}

#[tokio::test]
async fn a_reminder_carries_a_one_click_unsubscribe() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_in_hours(&app, &token, "Picket planning", 2).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    backdate_rsvps(&app, 3).await;
    app.deliver_emails().await;

    let reminder = app.smtp.last_to("ana@example.org");
    assert_eq!(reminder.subject(), "Tomorrow: Picket planning");
    let unsubscribe = reminder
        .header("List-Unsubscribe")
        .expect("List-Unsubscribe");
    assert!(
        unsubscribe.starts_with("<http://127.0.0.1/unsubscribe/") && unsubscribe.ends_with('>'),
        "{unsubscribe}"
    );
    assert_eq!(
        reminder.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let link = unsubscribe.trim_matches(['<', '>']);
    assert!(reminder.text().contains(link), "{}", reminder.text());
}

#[tokio::test]
async fn a_confirmation_carries_no_unsubscribe_link() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "ana@example.org");
    assert_eq!(email.header("List-Unsubscribe"), None);
}

#[tokio::test]
async fn someone_who_rsvps_on_the_day_gets_no_reminder() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_in_hours(&app, &token, "Picket planning", 2).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);

    let round = app.deliver_emails().await;

    assert_eq!((round.reminders, round.sent), (0, 1), "{round:?}");
    assert_eq!(
        only_email_to(&app.smtp, "ana@example.org").subject(),
        "You’re going to Picket planning"
    );
}

#[tokio::test]
async fn nobody_is_reminded_of_an_event_more_than_a_day_away() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_in_hours(&app, &token, "Picket planning", 30).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    backdate_rsvps(&app, 3).await;

    let round = app.deliver_emails().await;

    assert_eq!(round.reminders, 0, "{round:?}");
}

#[tokio::test]
async fn only_those_going_are_reminded() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_in_hours(&app, &token, "Picket planning", 2).await;
    app.patch_event(
        &token,
        id_of(&event),
        json!({ "capacity": 1, "waitlist": true }),
    )
    .await
    .expect(200);
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let ben = app.rsvp(id_of(&event), "ben@example.org", json!({})).await;
    assert_eq!(ben.expect(201)["status"], "waitlisted");
    app.deliver_emails().await;
    backdate_rsvps(&app, 3).await;

    let round = app.deliver_emails().await;

    assert_eq!(round.reminders, 1, "{round:?}");
    assert_eq!(
        app.smtp.last_to("ana@example.org").subject(),
        "Tomorrow: Picket planning"
    );
    assert_eq!(
        app.smtp.to("ben@example.org").len(),
        1,
        "only the waitlist email"
    );
}

#[tokio::test]
async fn nobody_is_reminded_of_a_cancelled_event() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_in_hours(&app, &token, "Picket planning", 2).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.cancel(&token, id_of(&event), "Called off")
        .await
        .expect(200);
    app.deliver_emails().await;
    backdate_rsvps(&app, 3).await;

    let round = app.deliver_emails().await;

    assert_eq!(round.reminders, 0, "{round:?}");
}

#[tokio::test]
async fn a_spanish_speaker_is_reminded_in_spanish() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_in_hours(&app, &token, "Piquete", 2).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "locale": "es" }))
        .await
        .expect(201);
    app.deliver_emails().await;
    backdate_rsvps(&app, 3).await;
    app.deliver_emails().await;

    assert_eq!(
        app.smtp.last_to("ana@example.org").subject(),
        "Mañana: Piquete"
    );
}

#[tokio::test]
async fn two_workers_at_once_send_one_reminder() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_in_hours(&app, &token, "Picket planning", 2).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    backdate_rsvps(&app, 3).await;

    let other = app.worker.clone();
    let (first, second) = tokio::join!(app.worker.run_once(), other.run_once());
    let (first, second) = (
        first.expect("a worker round"),
        second.expect("a worker round"),
    );

    assert_eq!(
        first.reminders + second.reminders,
        1,
        "{first:?} {second:?}"
    );
    assert_eq!(first.sent + second.sent, 1, "{first:?} {second:?}");
    let reminders = app
        .smtp
        .to("ana@example.org")
        .into_iter()
        .filter(|e| e.subject() == "Tomorrow: Picket planning")
        .count();
    assert_eq!(reminders, 1);
}

// --- unsubscribing --------------------------------------------------------------------

/// A supporter reminded of an event starting in two hours; their unsubscribe link.
pub(crate) async fn reminded(app: &TestApp, token: &str, email: &str) -> String {
    let event = meeting_in_hours(app, token, "Picket planning", 2).await;
    app.rsvp(id_of(&event), email, json!({})).await.expect(201);
    app.deliver_emails().await;
    backdate_rsvps(app, 3).await;
    app.deliver_emails().await;
    let reminder = app.smtp.last_to(email);
    assert_eq!(reminder.subject(), "Tomorrow: Picket planning");
    reminder
        .header("List-Unsubscribe")
        .expect("List-Unsubscribe")
        .trim_matches(['<', '>'])
        .to_owned()
}

/// What organisers see of a supporter.
async fn supporter(app: &TestApp, token: &str, email: &str) -> Value {
    let found = app
        .get_with_query("/api/v1/supporters", Some(token), &[("email", email)])
        .await;
    let found = items(found.expect(200));
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

async fn one_click_unsubscribe(app: &TestApp, link: &str) -> Reply {
    app.send_raw(
        Method::POST,
        path_of(link),
        None,
        "application/x-www-form-urlencoded",
        "List-Unsubscribe=One-Click",
    )
    .await
}

#[tokio::test]
async fn opening_the_unsubscribe_link_shows_a_form_and_unsubscribes_nobody() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let link = reminded(&app, &token, "ana@example.org").await;

    let page = app.get_public(path_of(&link)).await;

    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.content_type().starts_with("text/html"),
        "{}",
        page.content_type()
    );
    assert!(page.text.contains("<form method=\"post\""), "{}", page.text);
    assert!(
        supporter(&app, &token, "ana@example.org").await["unsubscribed_at"].is_null(),
        "a GET must not unsubscribe"
    );
}

#[tokio::test]
async fn one_click_unsubscribes_the_supporter() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let link = reminded(&app, &token, "ana@example.org").await;

    let reply = one_click_unsubscribe(&app, &link).await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply.text.contains("You are unsubscribed"),
        "{}",
        reply.text
    );
    let ana = supporter(&app, &token, "ana@example.org").await;
    assert!(ana["unsubscribed_at"].is_string(), "{ana}");
}

#[tokio::test]
async fn an_unsubscribed_supporter_gets_no_more_reminders_but_still_their_confirmations() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let link = reminded(&app, &token, "ana@example.org").await;
    one_click_unsubscribe(&app, &link).await.expect(200);
    let before = app.smtp.to("ana@example.org").len();

    let next = meeting_in_hours(&app, &token, "Strike committee", 3).await;
    app.rsvp(id_of(&next), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    backdate_rsvps(&app, 3).await;
    let round = app.deliver_emails().await;

    assert_eq!(round.reminders, 0, "{round:?}");
    let after = app.smtp.to("ana@example.org");
    assert_eq!(after.len(), before + 1, "only the confirmation");
    assert_eq!(
        after.last().unwrap().subject(),
        "You’re going to Strike committee"
    );
}

#[tokio::test]
async fn the_unsubscribe_page_speaks_the_supporters_language() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_in_hours(&app, &token, "Piquete", 2).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "locale": "es" }))
        .await
        .expect(201);
    app.deliver_emails().await;
    backdate_rsvps(&app, 3).await;
    app.deliver_emails().await;
    let link = app
        .smtp
        .last_to("ana@example.org")
        .header("List-Unsubscribe")
        .expect("List-Unsubscribe")
        .trim_matches(['<', '>'])
        .to_owned();

    let page = app.get_public(path_of(&link)).await;
    assert!(page.text.contains("¿Darse de baja?"), "{}", page.text);
    let done = one_click_unsubscribe(&app, &link).await;
    assert!(done.text.contains("Se ha dado de baja"), "{}", done.text);
}

#[tokio::test]
async fn a_tampered_unsubscribe_link_is_not_found() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let link = reminded(&app, &token, "ana@example.org").await;
    let last = link.chars().last().unwrap();
    let other = if last == '0' { '1' } else { '0' };
    let tampered = format!("{}{other}", &link[..link.len() - 1]);

    assert_eq!(
        app.get_public(path_of(&tampered)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        one_click_unsubscribe(&app, &tampered).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(supporter(&app, &token, "ana@example.org").await["unsubscribed_at"].is_null());
}

// --- header injection -----------------------------------------------------------------

#[tokio::test]
async fn a_line_break_in_a_title_adds_no_header_and_no_recipient() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .published_event(&token, meeting("Film\r\nBcc: evil@example.org"))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let round = app.deliver_emails().await;
    assert_eq!(round.sent, 1, "{round:?}");

    assert_only_to_ana(&app.smtp);
}

#[tokio::test]
async fn a_line_break_in_a_supporters_name_adds_no_header_and_no_recipient() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(
        id_of(&event),
        "ana@example.org",
        json!({ "name": "Ana\r\nBcc: evil@example.org" }),
    )
    .await
    .expect(201);
    let round = app.deliver_emails().await;
    assert_eq!(round.sent, 1, "{round:?}");

    assert_only_to_ana(&app.smtp);
}

/// The server received one message, for ana alone, with no Bcc header.
#[track_caller]
fn assert_only_to_ana(smtp: &SmtpServer) {
    let all = smtp.all();
    assert_eq!(all.len(), 1);
    let email = &all[0];
    assert_eq!(email.envelope_to, vec!["ana@example.org"]);
    let headers = email.header_block();
    assert!(
        !headers
            .split("\r\n")
            .any(|line| line.to_ascii_lowercase().starts_with("bcc:")),
        "{headers}"
    );
    assert!(smtp.to("evil@example.org").is_empty());
}

// --- failures and retries -------------------------------------------------------------

#[tokio::test]
async fn an_address_the_server_refuses_is_marked_failed_at_once() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    app.smtp.refuse("bounce@example.org");
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "bounce@example.org", json!({}))
        .await
        .expect(201);

    let round = app.deliver_emails().await;

    assert_eq!(
        (round.failed, round.retrying, round.sent),
        (1, 0, 0),
        "{round:?}"
    );
}

#[tokio::test]
async fn organisers_see_failed_emails_with_why_they_failed() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    app.smtp.refuse("bounce@example.org");
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "bounce@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    let page = app.get("/api/v1/emails?status=failed", &token).await;
    let page = page.expect(200);
    assert!(page["next_cursor"].is_null(), "{page}");
    let failed = items(page);
    assert_eq!(failed.len(), 1, "{failed:?}");
    let email = &failed[0];
    assert!(email["id"].is_string(), "{email}");
    assert_eq!(email["recipient"], "bounce@example.org");
    assert_eq!(email["template"], "rsvp_going");
    assert_eq!(email["status"], "failed");
    assert_eq!(email["attempts"], 1);
    assert!(
        email["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("550") && !e.contains("bounce@example.org")),
        "the error says why, without the address (it goes when the supporter is erased): {email}"
    );
    assert!(
        email["message_id"]
            .as_str()
            .is_some_and(|m| m.ends_with("@localhost>")),
        "{email}"
    );
    assert!(
        email["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{email}"
    );
    assert!(email["next_attempt_at"].is_string(), "{email}");
    assert!(email["sent_at"].is_null(), "{email}");
}

#[tokio::test]
async fn an_organiser_puts_a_failed_email_back_in_the_queue() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    app.smtp.refuse("bounce@example.org");
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "bounce@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    let failed = app.outbox(&token, "failed").await;
    let id = id_of(&failed[0]).to_owned();

    let retried = app
        .send(
            Method::POST,
            &format!("/api/v1/emails/{id}/retry"),
            Some(&token),
            None,
            None,
        )
        .await;

    let retried = retried.expect(200);
    assert_eq!(retried["status"], "pending");
    assert_eq!(retried["id"], id.as_str());
    assert_eq!(retried["message_id"], failed[0]["message_id"]);
    assert!(app.outbox(&token, "failed").await.is_empty());
    let round = app.deliver_emails().await;
    assert_eq!(
        round.failed, 1,
        "tried again (and refused again): {round:?}"
    );
}

#[tokio::test]
async fn only_a_failed_email_can_be_retried() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    let sent = app.outbox(&token, "sent").await;

    let retried = app
        .send(
            Method::POST,
            &format!("/api/v1/emails/{}/retry", id_of(&sent[0])),
            Some(&token),
            None,
            None,
        )
        .await;

    retried.expect_problem(404);
    assert_eq!(app.deliver_emails().await.sent, 0);
    assert_eq!(app.smtp.to("ana@example.org").len(), 1);
}

#[tokio::test]
async fn failed_emails_come_in_pages() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    for bounce in [
        "a@bounce.example.org",
        "b@bounce.example.org",
        "c@bounce.example.org",
    ] {
        app.smtp.refuse(bounce);
        app.rsvp(id_of(&event), bounce, json!({})).await.expect(201);
    }
    app.deliver_emails().await;

    let first = app
        .get("/api/v1/emails?status=failed&limit=2", &token)
        .await;
    let first = first.expect(200);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = app
        .get_with_query(
            "/api/v1/emails",
            Some(&token),
            &[("status", "failed"), ("limit", "2"), ("cursor", &cursor)],
        )
        .await;
    let second = second.expect(200);

    assert!(second["next_cursor"].is_null(), "{second}");
    let mut recipients: Vec<String> = items(first)
        .iter()
        .chain(items(second).iter())
        .map(|e| e["recipient"].as_str().unwrap().to_owned())
        .collect();
    recipients.sort();
    assert_eq!(
        recipients,
        [
            "a@bounce.example.org",
            "b@bounce.example.org",
            "c@bounce.example.org"
        ]
    );
}

#[tokio::test]
async fn the_outbox_needs_a_token() {
    let app = spawn_app().await;

    app.get_public("/api/v1/emails?status=failed")
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn two_workers_at_once_send_each_email_once() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 100 }))
        .await;
    // Eight: the harness' SMTP server serves eight connections at a time.
    let supporters: Vec<String> = (0..8).map(|i| format!("s{i}@example.org")).collect();
    for supporter in &supporters {
        app.rsvp(id_of(&event), supporter, json!({}))
            .await
            .expect(201);
    }

    let other = app.worker.clone();
    let (first, second) = tokio::join!(app.worker.run_once(), other.run_once());
    let (first, second) = (
        first.expect("a worker round"),
        second.expect("a worker round"),
    );

    assert_eq!(first.sent + second.sent, 8, "{first:?} {second:?}");
    assert_eq!(app.smtp.all().len(), 8);
    for supporter in &supporters {
        assert_eq!(app.smtp.to(supporter).len(), 1, "{supporter}");
    }
}

#[tokio::test]
async fn no_email_is_lost_or_sent_twice_while_the_mail_server_is_down() {
    let down = MailServerDown::spawn().await;
    let app = &down.app;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let supporters = ["ana@example.org", "ben@example.org", "cleo@example.org"];
    for supporter in supporters {
        app.rsvp(id_of(&event), supporter, json!({}))
            .await
            .expect(201);
    }

    let round = app.deliver_emails().await;
    assert_eq!(round.sent, 0, "{round:?}");
    assert_eq!(
        round.failed, 0,
        "a refused connection is worth retrying: {round:?}"
    );
    assert!(round.retrying >= 3, "{round:?}");
    let waiting = app.outbox(&token, "pending").await;
    assert_eq!(waiting.len(), 3, "{waiting:?}");
    assert!(
        waiting.iter().all(|e| e["last_error"].is_string()),
        "{waiting:?}"
    );

    let smtp = down.bring_up();
    let mut sent = 0;
    for _ in 0..20 {
        wait_past_backoff().await;
        sent += app.deliver_emails().await.sent;
        if sent >= 3 {
            break;
        }
    }

    assert_eq!(sent, 3);
    assert_eq!(smtp.all().len(), 3);
    for supporter in supporters {
        assert_eq!(smtp.to(supporter).len(), 1, "{supporter}");
    }
    let mut received: Vec<String> = smtp
        .all()
        .iter()
        .map(|e| e.header("Message-ID").expect("a Message-ID"))
        .collect();
    received.sort();
    received.dedup();
    assert_eq!(received.len(), 3, "{received:?}");
    let mut queued: Vec<String> = waiting
        .iter()
        .map(|e| e["message_id"].as_str().unwrap().to_owned())
        .collect();
    queued.sort();
    assert_eq!(
        received, queued,
        "the Message-ID stays the same across retries"
    );
    assert!(app.smtp.all().is_empty());
    wait_past_backoff().await;
    assert_eq!(app.deliver_emails().await.sent, 0);
    assert_eq!(smtp.all().len(), 3);
}

#[tokio::test]
async fn an_email_the_server_never_takes_fails_after_the_last_attempt() {
    let down = MailServerDown::spawn().await;
    let app = &down.app;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);

    let mut failed = 0;
    for _ in 0..30 {
        let round = app.deliver_emails().await;
        assert_eq!(round.sent, 0, "{round:?}");
        failed += round.failed;
        if failed > 0 {
            break;
        }
        wait_past_backoff().await;
    }

    assert_eq!(failed, 1);
    let listed = app.outbox(&token, "failed").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["recipient"], "ana@example.org");
    assert_eq!(listed[0]["attempts"], 4);
    assert!(listed[0]["last_error"].is_string(), "{listed:?}");
    wait_past_backoff().await;
    let round = app.deliver_emails().await;
    assert_eq!(
        (round.retrying, round.failed),
        (0, 0),
        "no attempt after the last: {round:?}"
    );
}

#[tokio::test]
async fn a_viewer_cannot_see_the_outbox() {
    let app = spawn_app().await;
    let owner = app.owner_of("lrbc").await;
    let viewer = app
        .member(&owner, "lrbc", "viewer@example.org", "viewer")
        .await;

    app.get("/api/v1/emails?status=failed", &viewer)
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn another_organisation_neither_sees_nor_retries_our_failed_emails() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let other = app.owner_of("hov").await;
    app.smtp.refuse("bounce@example.org");
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "bounce@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    let ours = app.outbox(&token, "failed").await;
    assert_eq!(ours.len(), 1);

    assert!(app.outbox(&other, "failed").await.is_empty());
    app.send(
        Method::POST,
        &format!("/api/v1/emails/{}/retry", id_of(&ours[0])),
        Some(&other),
        None,
        None,
    )
    .await
    .expect_problem(404);
    assert_eq!(app.outbox(&token, "failed").await.len(), 1);
}

// --- invitations ----------------------------------------------------------------------

/// Invite `email` as an organiser; the link in the invitation email.
async fn invitation_link(app: &TestApp, owner: &str, email: &str) -> String {
    app.invite(owner, "lrbc", email, "organiser")
        .await
        .expect(201);
    app.deliver_emails().await;
    link_in(
        &only_email_to(&app.smtp, email).text(),
        "http://127.0.0.1/invitations/",
    )
}

#[tokio::test]
async fn an_invited_organiser_gets_a_link_to_set_their_password() {
    let app = spawn_app().await;
    let owner = app.owner_of("lrbc").await;
    let invited = app
        .invite(&owner, "lrbc", "nora@example.org", "organiser")
        .await;
    assert!(
        invited.expect(201).get("invitation_url").is_none(),
        "the link goes by email only: {}",
        invited.text
    );
    app.deliver_emails().await;

    let email = only_email_to(&app.smtp, "nora@example.org");
    assert_eq!(
        email.subject(),
        "You’re invited to help run The lrbc group on Turnout"
    );
    let url = link_in(&email.text(), "http://127.0.0.1/invitations/");
    assert!(unescaped(&email.html()).contains(&url), "{}", email.html());
}

#[tokio::test]
async fn the_invitation_link_opens_a_form_to_set_a_password() {
    let app = spawn_app().await;
    let owner = app.owner_of("lrbc").await;
    let link = invitation_link(&app, &owner, "nora@example.org").await;

    let page = app.get_public(path_of(&link)).await;

    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.content_type().starts_with("text/html"),
        "{}",
        page.content_type()
    );
    assert!(page.text.contains("<form method=\"post\""), "{}", page.text);
    assert!(page.text.contains("name=\"password\""), "{}", page.text);
    assert!(page.text.contains("nora@example.org"), "{}", page.text);
}

#[tokio::test]
async fn an_organiser_who_sets_a_password_on_the_invitation_page_can_log_in() {
    let app = spawn_app().await;
    let owner = app.owner_of("lrbc").await;
    let link = invitation_link(&app, &owner, "nora@example.org").await;

    let done = app
        .send_raw(
            Method::POST,
            path_of(&link),
            None,
            "application/x-www-form-urlencoded",
            "password=correct+horse+battery&name=Nora+Organiser",
        )
        .await;

    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("Your password is set"), "{}", done.text);
    assert!(
        done.text
            .contains("<a href=\"/admin/login\">Sign in to the console</a>"),
        "the page leads to the console: {}",
        done.text
    );
    let login = app.login("nora@example.org", "correct horse battery").await;
    assert!(login.expect(201)["token"].is_string());
    crate::console::Browser::sign_in(&app, "nora@example.org", "correct horse battery")
        .await
        .open("/admin")
        .await
        .expect_html(200);
}

#[tokio::test]
async fn a_too_short_password_on_the_invitation_page_is_refused_with_the_reason() {
    let app = spawn_app().await;
    let owner = app.owner_of("lrbc").await;
    let link = invitation_link(&app, &owner, "nora@example.org").await;

    let refused = app
        .send_raw(
            Method::POST,
            path_of(&link),
            None,
            "application/x-www-form-urlencoded",
            "password=short&name=Nora",
        )
        .await;

    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.content_type().starts_with("text/html"),
        "{}",
        refused.content_type()
    );
    assert!(
        refused.text.contains("at least 10 characters"),
        "{}",
        refused.text
    );
    assert_eq!(
        app.login("nora@example.org", "short").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_unknown_invitation_link_is_not_found() {
    let app = spawn_app().await;

    let page = app.get_public("/invitations/inv_nobody").await;

    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text);
    assert!(
        page.content_type().starts_with("text/html"),
        "{}",
        page.content_type()
    );
    assert!(
        page.text.contains("This link is not valid"),
        "{}",
        page.text
    );
}

// --- where email goes without tests driving the worker ----------------------------------

#[tokio::test]
async fn without_an_smtp_server_emails_are_written_as_eml_files() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let mail_dir = app.dir.path().join("eml");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_turnout"))
        .arg("worker")
        .env("TURNOUT_DATABASE_URL", &app.database_url)
        .env("TURNOUT_MAIL_DIR", &mail_dir)
        .env_remove("TURNOUT_SMTP_URL")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("turnout worker starts");
    let _worker = KillOnDrop(output);
    let mut files = Vec::new();
    for _ in 0..100 {
        files = std::fs::read_dir(&mail_dir)
            .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    let raw = std::fs::read(&files[0]).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(message.subject().unwrap_or_default().contains("Film night"));
    assert_eq!(
        message
            .to()
            .and_then(|to| to.first())
            .and_then(|a| a.address()),
        Some("ana@example.org")
    );
}

#[tokio::test]
async fn a_server_with_its_worker_on_delivers_by_itself() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_turnout"))
        .arg("serve")
        .env("TURNOUT_DATABASE_URL", &app.database_url)
        .env("TURNOUT_BIND", format!("127.0.0.1:{port}"))
        .env("TURNOUT_SMTP_URL", app.smtp.url())
        .env("TURNOUT_WORKER", "true")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("turnout serve starts");
    let _server = KillOnDrop(child);
    let url = format!(
        "http://127.0.0.1:{port}/api/v1/public/events/{}/rsvps",
        id_of(&event)
    );
    let mut answered = None;
    for _ in 0..100 {
        let sent = app
            .client
            .post(&url)
            .json(&json!({ "email": "ben@example.org", "name": "Ben" }))
            .send()
            .await;
        if let Ok(response) = sent {
            answered = Some(response.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered, Some(201));
    let received = app.smtp.wait_for(1).await;
    assert_eq!(received[0].envelope_to, ["ben@example.org"]);
}
