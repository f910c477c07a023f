//! Organisers hear of applications to their approval events (issue 17): an email
//! each as they come, or one digest a day, as the organisation's owners chose.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::console::owner_signed_in;
use crate::helpers::{TestApp, id_of, meeting, spawn_app, with};
use crate::smtp::Received;

/// The emails to `address` about applications: those linking to an attendees page.
fn notices(app: &TestApp, address: &str) -> Vec<Received> {
    app.smtp
        .to(address)
        .into_iter()
        .filter(|m| m.text().contains("/attendees"))
        .collect()
}

/// An owner of `circle`, an organiser reading French and a viewer.
async fn circle_with_members(app: &TestApp) -> String {
    let owner = app.owner_of("circle").await;
    app.member(&owner, "circle", "ines@circle.example.org", "organiser")
        .await;
    app.member(&owner, "circle", "val@circle.example.org", "viewer")
        .await;
    let db = app.database().await;
    let ines = entity::organiser::Entity::find()
        .filter(entity::organiser::Column::EmailKey.eq("ines@circle.example.org"))
        .one(&db)
        .await
        .unwrap()
        .expect("Inès is an organiser");
    let mut ines: entity::organiser::ActiveModel = ines.into();
    ines.locale = Set(Some(entity::domain::Locale::Fr));
    ines.update(&db).await.unwrap();
    owner
}

async fn approval_event(app: &TestApp, token: &str) -> String {
    let event = app
        .published_event(
            token,
            with(
                meeting("Film night"),
                json!({ "capacity": 10, "rsvp_mode": "approval" }),
            ),
        )
        .await;
    id_of(&event).to_owned()
}

#[tokio::test]
async fn an_application_emails_owners_and_organisers_in_their_language_but_not_viewers() {
    let app = spawn_app().await;
    let owner = circle_with_members(&app).await;
    let other = app.owner_of("other").await;
    let event = approval_event(&app, &owner).await;
    app.published_event(&other, meeting("Other night")).await;

    let ana = app
        .rsvp(&event, "ana@example.org", json!({ "guests": 2 }))
        .await;
    assert_eq!(ana.expect(201)["status"], "pending_approval");
    app.deliver_emails().await;

    let attendees = format!("http://127.0.0.1/admin/circle/events/{event}/attendees");
    let to_owner = notices(&app, "owner@circle.example.org");
    assert_eq!(to_owner.len(), 1);
    assert_eq!(to_owner[0].subject(), "New application: Ana for Film night");
    assert!(!to_owner[0].subject().contains("ana@example.org"));
    let text = to_owner[0].text();
    assert!(
        text.contains("Ana has asked to come to Film night with 2 guests"),
        "{text}"
    );
    assert!(text.contains(&attendees), "{text}");
    // The same link as a button (HTML escapes its slashes).
    let html = to_owner[0].html().replace("&#x2f;", "/");
    assert!(html.contains(&attendees), "{html}");

    let to_ines = notices(&app, "ines@circle.example.org");
    assert_eq!(to_ines.len(), 1);
    assert_eq!(
        to_ines[0].subject(),
        "Nouvelle demande\u{a0}: Ana pour Film night"
    );
    assert!(
        to_ines[0].text().contains("avec 2 invités"),
        "{}",
        to_ines[0].text()
    );
    assert!(to_ines[0].text().contains(&attendees));

    assert!(notices(&app, "val@circle.example.org").is_empty());
    assert!(notices(&app, "owner@other.example.org").is_empty());
    // The applicant still hears their request was received.
    assert_eq!(app.smtp.to("ana@example.org").len(), 1);
}

#[tokio::test]
async fn an_rsvp_to_an_open_event_emails_no_organiser() {
    let app = spawn_app().await;
    let owner = circle_with_members(&app).await;
    let event = app
        .event_with_seats(&owner, json!({ "capacity": 10 }))
        .await;

    let ana = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    assert_eq!(ana.expect(201)["status"], "going");
    app.deliver_emails().await;

    assert!(notices(&app, "owner@circle.example.org").is_empty());
    assert!(notices(&app, "ines@circle.example.org").is_empty());
    assert_eq!(app.smtp.to("ana@example.org").len(), 1);
}

#[tokio::test]
async fn with_a_daily_digest_the_days_applications_come_in_one_email_once() {
    let app = spawn_app().await;
    let (owner, browser) = owner_signed_in(&app).await;
    app.member(&owner, "circle", "val@circle.example.org", "viewer")
        .await;
    let other = app.owner_of("other").await;
    let saved = browser
        .submit(
            "/admin/circle/settings",
            &[
                ("name", "The circle group"),
                ("timezone", "America/Toronto"),
                ("language", "en"),
                ("contact_email", ""),
                ("application_notices", "daily"),
            ],
        )
        .await;
    saved.expect(303);
    let event = approval_event(&app, &owner).await;
    let elsewhere = approval_event(&app, &other).await;

    app.rsvp(&event, "ana@example.org", json!({ "guests": 1 }))
        .await
        .expect(201);
    app.rsvp(&event, "ben@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(&elsewhere, "cleo@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    // Nothing at once: the day is not over.
    assert!(notices(&app, "owner@circle.example.org").is_empty());
    // The other organisation hears of each as it comes, and only of its own.
    let to_other = notices(&app, "owner@other.example.org");
    assert_eq!(to_other.len(), 1);
    assert!(to_other[0].subject().contains("Cleo"));

    let tomorrow = Utc::now() + Duration::days(1);
    let queued = app.worker.queue_digests(tomorrow).await.unwrap();
    assert_eq!(queued, 1, "one digest, to the owner (not the viewer)");
    app.deliver_emails().await;
    let digest = notices(&app, "owner@circle.example.org");
    assert_eq!(digest.len(), 1);
    assert_eq!(
        digest[0].subject(),
        "2 applications awaiting approval at The circle group"
    );
    let text = digest[0].text();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    assert!(lines.contains(&"- Ana, with 1 guest"), "{text}");
    assert!(lines.contains(&"- Ben"), "{text}");
    assert!(!text.contains("Cleo"), "{text}");
    assert!(
        text.contains(&format!(
            "http://127.0.0.1/admin/circle/events/{event}/attendees"
        )),
        "{text}"
    );
    assert!(notices(&app, "val@circle.example.org").is_empty());
    assert_eq!(notices(&app, "owner@other.example.org").len(), 1);

    // The same day again, as a second worker would: nothing new.
    assert_eq!(app.worker.queue_digests(tomorrow).await.unwrap(), 0);
    app.deliver_emails().await;
    assert_eq!(notices(&app, "owner@circle.example.org").len(), 1);
}
