//! RSVPs: seats, guests, the waitlist, approval, the manage link, and who sees
//! attendees.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_supporter_who_rsvps_gets_a_confirmation_with_the_event_attached() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10, "waitlist": true }))
        .await;
    let reply = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 2 }))
        .await;
    let rsvp = reply.expect(201);
    assert_eq!(rsvp["status"], "going");
    assert!(
        rsvp["manage_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1/rsvps/")
    );

    let round = app.deliver_emails().await;
    assert_eq!(round.sent, 1, "{round:?}");
    let email = app.smtp.last_to("ana@example.org");
    assert!(
        email.subject().contains("Film night"),
        "{}",
        email.subject()
    );
    let (method, ics) = email.calendar().expect("an .ics attachment");
    assert_eq!(method, "PUBLISH");
    assert!(
        ics.contains(&format!("UID:{}@turnout", id_of(&event))),
        "{ics}"
    );
    assert!(email.text().contains("19:00"), "{}", email.text());
    assert!(email.text().contains("EST"), "{}", email.text());
    let event = app.event(&token, id_of(&event)).await;
    assert_eq!(event["going_count"], 3);
}

// --- seats and the waitlist ---------------------------------------------------------

#[tokio::test]
async fn a_full_event_puts_the_next_supporter_on_the_waitlist() {
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
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(1)));
    app.deliver_emails().await;
    assert_eq!(
        subjects_to(&app, "ben@example.org"),
        ["You’re on the waitlist for Film night"]
    );
}

#[tokio::test]
async fn a_full_event_without_a_waitlist_turns_the_next_supporter_away() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": false }))
        .await;

    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let ben = app.rsvp(id_of(&event), "ben@example.org", json!({})).await;

    ben.expect_problem(409);
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
    assert_eq!(app.attendees(&token, id_of(&event)).await.len(), 1);
}

#[tokio::test]
async fn an_event_needing_approval_holds_the_rsvp_for_the_organisers() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10, "rsvp_mode": "approval" }))
        .await;

    let ana = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;

    assert_eq!(ana.expect(201)["status"], "pending_approval");
    assert_eq!(seats(&app, &token, &event).await, (json!(0), json!(0)));
    app.deliver_emails().await;
    assert_eq!(
        subjects_to(&app, "ana@example.org"),
        ["Request received: Film night"]
    );
}

#[tokio::test]
async fn rsvping_again_from_the_same_address_changes_nothing_and_emails_the_link_instead() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10, "waitlist": true }))
        .await;
    let first = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    app.deliver_emails().await;

    let again = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await;

    assert_eq!(again.expect(202), &json!({ "status": "going" }));
    assert!(
        !again.text.contains(&manage_token(&first)) && !again.text.contains("/feeds/"),
        "the repeat hands out a link: {}",
        again.text
    );
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
    assert_eq!(app.attendees(&token, id_of(&event)).await.len(), 1);
    app.deliver_emails().await;
    let told = app.smtp.last_to("ana@example.org");
    assert_eq!(told.subject(), "Your RSVP to Film night");
    // A link of its own (links are kept hashed, so each email mints one) that
    // opens Ana's RSVP as it was.
    let seen = app.rsvp_by_last_link("ana@example.org", &first).await;
    assert_eq!(
        (&seen["status"], &seen["guests"]),
        (&json!("going"), &json!(0))
    );
}

#[tokio::test]
async fn the_same_address_in_other_capitals_is_the_same_rsvp() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "Ana@Example.org", json!({}))
        .await
        .expect(201);

    let again = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;

    assert_eq!(again.expect(202)["status"], "going");
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
}

/// An organisation with a film night Ana Pérez is going to and an assembly she is
/// not: its token and the two events.
async fn ana_going_to_the_film(app: &TestApp) -> (String, Value, Value) {
    let token = app.owner_of("lrbc").await;
    let film = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let meeting = app
        .published_event(&token, meeting("Solidarity assembly"))
        .await;
    app.rsvp(
        id_of(&film),
        "ana@example.org",
        json!({ "name": "Ana Pérez" }),
    )
    .await
    .expect(201);
    (token, film, meeting)
}

#[tokio::test]
async fn an_rsvp_with_someones_address_never_renames_them() {
    let app = spawn_app().await;
    let (token, film, meeting) = ana_going_to_the_film(&app).await;

    app.rsvp(
        id_of(&film),
        "ana@example.org",
        json!({ "name": "Mallory" }),
    )
    .await
    .expect(202);
    app.rsvp(
        id_of(&meeting),
        "ana@example.org",
        json!({ "name": "Mallory" }),
    )
    .await
    .expect(201);

    // Each RSVP shows the name given with it; the supporter keeps hers.
    let name_at = |event: &Value| {
        let event = id_of(event).to_owned();
        let app = &app;
        let token = &token;
        async move { app.attendees(token, &event).await[0]["name"].clone() }
    };
    assert_eq!(name_at(&film).await, "Ana Pérez");
    assert_eq!(name_at(&meeting).await, "Mallory");
    let found = app
        .get_with_query(
            "/api/v1/supporters",
            Some(&token),
            &[("email", "ana@example.org")],
        )
        .await;
    assert_eq!(items(found.expect(200))[0]["name"], "Ana Pérez");
}

#[tokio::test]
async fn the_manage_link_of_a_new_rsvp_shows_nothing_about_whose_address_it_is() {
    let app = spawn_app().await;
    let (_, film, meeting) = ana_going_to_the_film(&app).await;

    let mallorys = app
        .rsvp(
            id_of(&meeting),
            "ana@example.org",
            json!({ "name": "Mallory" }),
        )
        .await
        .expect(201)
        .clone();

    let seen = app
        .get_public(&format!("/api/v1/public/rsvps/{}", manage_token(&mallorys)))
        .await;
    seen.expect(200);
    assert_absent(
        &seen.text,
        &["Ana Pérez", "/feeds/", "Film night", id_of(&film)],
    );
}

#[tokio::test]
async fn a_supporter_may_rsvp_by_the_events_slug() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    let slug = event["slug"].as_str().unwrap();

    let ana = app.rsvp(slug, "ana@example.org", json!({})).await;

    assert_eq!(ana.expect(201)["event_id"], event["id"]);
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
}

#[tokio::test]
async fn a_supporter_who_cancelled_may_rsvp_again() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let first = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    cancel_rsvp(&app, &first).await.expect(204);

    let again = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await;

    let again = again.expect(201);
    assert_eq!(
        (&again["id"], &again["status"]),
        (&first["id"], &json!("going"))
    );
    assert_ne!(
        manage_token(again),
        manage_token(&first),
        "placed again, the RSVP gets a new link"
    );
    app.get_public(&format!("/api/v1/public/rsvps/{}", manage_token(&first)))
        .await
        .expect_problem(404);
    assert_eq!(seats(&app, &token, &event).await, (json!(2), json!(0)));
}

#[tokio::test]
async fn guests_take_seats_like_the_supporter_who_brings_them() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 4, "waitlist": false }))
        .await;

    app.rsvp(id_of(&event), "ana@example.org", json!({ "guests": 2 }))
        .await
        .expect(201);
    // One seat left: Ben and his friend do not fit, Cara alone does.
    app.rsvp(id_of(&event), "ben@example.org", json!({ "guests": 1 }))
        .await
        .expect_problem(409);
    let cara = app.rsvp(id_of(&event), "cara@example.org", json!({})).await;

    assert_eq!(cara.expect(201)["status"], "going");
    assert_eq!(seats(&app, &token, &event).await, (json!(4), json!(0)));
}

#[tokio::test]
async fn a_party_too_large_for_the_seats_left_waits_in_full() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 4, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "guests": 2 }))
        .await
        .expect(201);

    let ben = app
        .rsvp(id_of(&event), "ben@example.org", json!({ "guests": 1 }))
        .await;

    assert_eq!(ben.expect(201)["status"], "waitlisted");
    assert_eq!(seats(&app, &token, &event).await, (json!(3), json!(2)));
}

#[tokio::test]
async fn asking_again_for_more_guests_leaves_the_rsvp_as_it_was() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 3, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await
        .expect(201);

    let more = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 3 }))
        .await;

    more.expect(202);
    let ana = &app.attendees(&token, id_of(&event)).await[0];
    assert_eq!(
        (&ana["status"], &ana["guests"]),
        (&json!("going"), &json!(1))
    );
    assert_eq!(seats(&app, &token, &event).await, (json!(2), json!(0)));
}

// --- when RSVPs are refused -----------------------------------------------------------

#[tokio::test]
async fn a_draft_event_takes_no_rsvps() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let draft = app.create_event(&token, meeting("Film night")).await;

    let reply = app.rsvp(id_of(&draft), "ana@example.org", json!({})).await;

    reply.expect_problem(404);
}

#[tokio::test]
async fn an_unknown_event_takes_no_rsvps() {
    let app = spawn_app().await;

    let reply = app
        .rsvp("no-such-event", "ana@example.org", json!({}))
        .await;

    reply.expect_problem(404);
}

#[tokio::test]
async fn a_cancelled_event_takes_no_rsvps() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    app.cancel(&token, id_of(&event), "The hall flooded")
        .await
        .expect(200);

    let reply = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;

    reply.expect_problem(409);
}

#[tokio::test]
async fn rsvps_close_at_the_events_deadline() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "rsvp_closes_at": "2026-01-01T00:00:00Z" }))
        .await;

    let reply = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;

    reply.expect_problem(409);
    assert_eq!(seats(&app, &token, &event).await, (json!(0), json!(0)));
}

#[tokio::test]
async fn an_event_that_has_ended_takes_no_rsvps() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let past = event_at(
        "Last winter's meeting",
        "public_meeting",
        "America/Toronto",
        "2025-02-10T19:00",
        "2025-02-10T21:00",
    );
    let event = app.published_event(&token, past).await;

    let reply = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;

    reply.expect_problem(409);
}

#[tokio::test]
async fn twenty_guests_are_the_most_one_supporter_may_bring() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;

    app.rsvp(id_of(&event), "ana@example.org", json!({ "guests": 21 }))
        .await
        .expect_invalid("guests");
    app.rsvp(id_of(&event), "ben@example.org", json!({ "guests": -1 }))
        .await
        .expect_invalid("guests");
    let twenty = app
        .rsvp(id_of(&event), "cara@example.org", json!({ "guests": 20 }))
        .await;

    assert_eq!(twenty.expect(201)["guests"], 20);
    assert_eq!(seats(&app, &token, &event).await, (json!(21), json!(0)));
}

#[tokio::test]
async fn an_rsvp_without_a_usable_address_names_the_email() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;

    let reply = app
        .rsvp(id_of(&event), "ana at example.org", json!({}))
        .await;

    reply.expect_invalid("email");
}

#[tokio::test]
async fn an_rsvp_in_a_language_turnout_does_not_speak_names_the_locale() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;

    let reply = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "locale": "de" }))
        .await;

    reply.expect_invalid("locale");
}

#[tokio::test]
async fn an_rsvp_with_a_misspelt_field_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;

    let reply = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guest": 2 }))
        .await;

    reply.expect_problem(422);
    assert_eq!(seats(&app, &token, &event).await, (json!(0), json!(0)));
}

// --- the manage link --------------------------------------------------------------------

#[tokio::test]
async fn the_manage_link_shows_the_rsvp_and_its_event() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let rsvp = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await
        .expect(201)
        .clone();

    let seen = managed(&app, &rsvp).await;

    assert_eq!(seen["id"], rsvp["id"]);
    assert!(seen.get("name").is_none(), "{seen}");
    assert_eq!(seen["status"], "going");
    assert_eq!(seen["guests"], 1);
    assert_eq!(seen["event"]["id"], event["id"]);
    assert_eq!(seen["event"]["title"], "Film night");
}

#[tokio::test]
async fn a_supporter_brings_more_guests_through_the_manage_link() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let rsvp = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();

    let changed = change_guests(&app, &rsvp, 3).await;

    let changed = changed.expect(200);
    assert_eq!(
        (&changed["status"], &changed["guests"]),
        (&json!("going"), &json!(3))
    );
    assert_eq!(seats(&app, &token, &event).await, (json!(4), json!(0)));
}

#[tokio::test]
async fn more_guests_than_the_free_seats_through_the_manage_link_changes_nothing() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 4, "waitlist": true }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await
        .expect(201)
        .clone();
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);

    let more = change_guests(&app, &ana, 3).await;

    more.expect_problem(409);
    let seen = managed(&app, &ana).await;
    assert_eq!(
        (&seen["status"], &seen["guests"]),
        (&json!("going"), &json!(1))
    );
    assert_eq!(seats(&app, &token, &event).await, (json!(3), json!(0)));
}

#[tokio::test]
async fn the_manage_link_allows_no_more_than_twenty_guests() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();

    change_guests(&app, &ana, 21).await.expect_invalid("guests");

    assert_eq!(managed(&app, &ana).await["guests"], 0);
}

#[tokio::test]
async fn cancelling_through_the_manage_link_gives_the_seat_to_the_waitlist() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    let ben = app
        .rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    app.deliver_emails().await;

    cancel_rsvp(&app, &ana).await.expect(204);

    assert_eq!(managed(&app, &ana).await["status"], "cancelled");
    assert_eq!(managed(&app, &ben).await["status"], "going");
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
    app.deliver_emails().await;
    assert_eq!(
        subjects_to(&app, "ben@example.org"),
        [
            "You’re on the waitlist for Film night",
            "A place opened up: you’re going to Film night"
        ]
    );
}

#[tokio::test]
async fn a_waitlisted_supporter_who_cancels_leaves_the_waitlist() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let ben = app
        .rsvp(id_of(&event), "ben@example.org", json!({ "guests": 2 }))
        .await
        .expect(201)
        .clone();

    cancel_rsvp(&app, &ben).await.expect(204);

    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
    assert_eq!(
        status_of(&app, &token, &event, "ben@example.org").await,
        "cancelled"
    );
}

#[tokio::test]
async fn cancelling_twice_frees_the_seats_once() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 2 }))
        .await
        .expect(201)
        .clone();
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);

    cancel_rsvp(&app, &ana).await.expect(204);
    cancel_rsvp(&app, &ana).await.expect(204);

    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
}

#[tokio::test]
async fn an_unknown_manage_link_is_not_found() {
    let app = spawn_app().await;
    let nobody = json!({ "manage_url": format!("http://127.0.0.1/rsvps/{}", "0".repeat(64)) });

    app.get_public(&format!("/api/v1/public/rsvps/{}", manage_token(&nobody)))
        .await
        .expect_problem(404);
    change_guests(&app, &nobody, 1).await.expect_problem(404);
    cancel_rsvp(&app, &nobody).await.expect_problem(404);
}

#[tokio::test]
async fn each_rsvp_gets_its_own_manage_link_that_says_nothing_about_the_supporter() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    let ana = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    let ben = app.rsvp(id_of(&event), "ben@example.org", json!({})).await;

    let ana = manage_token(ana.expect(201));
    let ben = manage_token(ben.expect(201));

    assert_ne!(ana, ben);
    for token in [&ana, &ben] {
        assert_eq!(token.len(), 64, "{token}");
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{token}");
        assert!(!token.to_lowercase().contains("ana"), "{token}");
        assert!(!token.to_lowercase().contains("ben"), "{token}");
    }
}

// --- who gets freed seats ---------------------------------------------------------------

#[tokio::test]
async fn freed_seats_go_to_the_waitlist_in_order_of_arrival() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 3, "waitlist": true }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 2 }))
        .await
        .expect(201)
        .clone();
    for (email, guests) in [
        ("ben@example.org", 1),
        ("cara@example.org", 0),
        ("dan@example.org", 0),
    ] {
        let waiting = app
            .rsvp(id_of(&event), email, json!({ "guests": guests }))
            .await;
        assert_eq!(waiting.expect(201)["status"], "waitlisted");
    }

    cancel_rsvp(&app, &ana).await.expect(204);

    // Ben came first and his party of two fits; Cara takes the last seat.
    assert_eq!(
        status_of(&app, &token, &event, "ben@example.org").await,
        "going"
    );
    assert_eq!(
        status_of(&app, &token, &event, "cara@example.org").await,
        "going"
    );
    assert_eq!(
        status_of(&app, &token, &event, "dan@example.org").await,
        "waitlisted"
    );
    assert_eq!(seats(&app, &token, &event).await, (json!(3), json!(1)));
}

#[tokio::test]
async fn a_larger_party_keeps_waiting_while_a_smaller_one_behind_it_takes_the_seat_that_fits() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 2, "waitlist": true }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await
        .expect(201)
        .clone();
    app.rsvp(id_of(&event), "ben@example.org", json!({ "guests": 1 }))
        .await
        .expect(201);
    app.rsvp(id_of(&event), "cara@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;

    // Ana's friend cannot come after all: one seat frees up.
    change_guests(&app, &ana, 0).await.expect(200);

    assert_eq!(
        status_of(&app, &token, &event, "ben@example.org").await,
        "waitlisted"
    );
    assert_eq!(
        status_of(&app, &token, &event, "cara@example.org").await,
        "going"
    );
    assert_eq!(seats(&app, &token, &event).await, (json!(2), json!(2)));
    app.deliver_emails().await;
    assert_eq!(
        subjects_to(&app, "cara@example.org"),
        [
            "You’re on the waitlist for Film night",
            "A place opened up: you’re going to Film night"
        ]
    );
    assert_eq!(
        subjects_to(&app, "ben@example.org"),
        ["You’re on the waitlist for Film night"]
    );
}

#[tokio::test]
async fn changing_guests_while_waiting_keeps_ones_place_in_line() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 2, "waitlist": true }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await
        .expect(201)
        .clone();
    let ben = app
        .rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    app.rsvp(id_of(&event), "cara@example.org", json!({}))
        .await
        .expect(201);

    // Ben will bring a friend; he is still ahead of Cara when seats free up.
    let ben = change_guests(&app, &ben, 1).await;
    assert_eq!(ben.expect(200)["status"], "waitlisted");
    cancel_rsvp(&app, &ana).await.expect(204);

    assert_eq!(
        status_of(&app, &token, &event, "ben@example.org").await,
        "going"
    );
    assert_eq!(
        status_of(&app, &token, &event, "cara@example.org").await,
        "waitlisted"
    );
    assert_eq!(seats(&app, &token, &event).await, (json!(2), json!(1)));
}

#[tokio::test]
async fn raising_the_capacity_gives_the_new_seats_to_the_waitlist() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    for email in ["ana@example.org", "ben@example.org", "cara@example.org"] {
        app.rsvp(id_of(&event), email, json!({})).await.expect(201);
    }
    app.deliver_emails().await;

    app.patch_event(&token, id_of(&event), json!({ "capacity": 2 }))
        .await
        .expect(200);

    assert_eq!(
        status_of(&app, &token, &event, "ben@example.org").await,
        "going"
    );
    assert_eq!(
        status_of(&app, &token, &event, "cara@example.org").await,
        "waitlisted"
    );
    assert_eq!(seats(&app, &token, &event).await, (json!(2), json!(1)));
    app.deliver_emails().await;
    assert_eq!(
        subjects_to(&app, "ben@example.org"),
        [
            "You’re on the waitlist for Film night",
            "A place opened up: you’re going to Film night"
        ]
    );
}

#[tokio::test]
async fn lifting_the_capacity_lets_the_whole_waitlist_in() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(id_of(&event), "ben@example.org", json!({ "guests": 3 }))
        .await
        .expect(201);

    app.patch_event(&token, id_of(&event), json!({ "capacity": null }))
        .await
        .expect(200);

    assert_eq!(
        status_of(&app, &token, &event, "ben@example.org").await,
        "going"
    );
    assert_eq!(seats(&app, &token, &event).await, (json!(5), json!(0)));
}

// --- approval, decline and check-in -------------------------------------------------------

#[tokio::test]
async fn approving_a_request_gives_the_supporter_their_seat() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10, "rsvp_mode": "approval" }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await
        .expect(201)
        .clone();
    app.deliver_emails().await;

    let approved = decide(&app, &token, &ana, "approve").await;

    assert_eq!(approved.expect(200)["status"], "going");
    assert_eq!(seats(&app, &token, &event).await, (json!(2), json!(0)));
    app.deliver_emails().await;
    assert_eq!(
        subjects_to(&app, "ana@example.org"),
        [
            "Request received: Film night",
            "Your place is confirmed: Film night"
        ]
    );
    let (method, _) = app
        .smtp
        .last_to("ana@example.org")
        .calendar()
        .expect("the approval carries the event");
    assert_eq!(method, "PUBLISH");
}

#[tokio::test]
async fn declining_a_request_tells_the_supporter_in_other_words() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10, "rsvp_mode": "approval" }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    let ben = app
        .rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    app.deliver_emails().await;

    decide(&app, &token, &ana, "approve").await.expect(200);
    let declined = decide(&app, &token, &ben, "decline").await;

    assert_eq!(declined.expect(200)["status"], "declined");
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
    app.deliver_emails().await;
    let approval = app.smtp.last_to("ana@example.org");
    let refusal = app.smtp.last_to("ben@example.org");
    assert_eq!(refusal.subject(), "About your request for Film night");
    assert_ne!(refusal.subject(), approval.subject());
    assert!(refusal.calendar().is_none(), "no seat, no calendar entry");
}

#[tokio::test]
async fn approving_when_the_event_is_full_puts_the_supporter_on_the_waitlist() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(
            &token,
            json!({ "capacity": 1, "waitlist": true, "rsvp_mode": "approval" }),
        )
        .await;
    add_at_door(&app, &token, &event, "ana@example.org", json!({}))
        .await
        .expect(201);
    let ben = app
        .rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    app.deliver_emails().await;

    let approved = decide(&app, &token, &ben, "approve").await;

    assert_eq!(approved.expect(200)["status"], "waitlisted");
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(1)));
    app.deliver_emails().await;
    assert_eq!(
        subjects_to(&app, "ben@example.org"),
        [
            "Request received: Film night",
            "You’re on the waitlist for Film night"
        ]
    );
}

#[tokio::test]
async fn approving_when_the_event_is_full_without_a_waitlist_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "rsvp_mode": "approval" }))
        .await;
    add_at_door(&app, &token, &event, "ana@example.org", json!({}))
        .await
        .expect(201);
    let ben = app
        .rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201)
        .clone();

    decide(&app, &token, &ben, "approve")
        .await
        .expect_problem(409);

    assert_eq!(managed(&app, &ben).await["status"], "pending_approval");
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
}

#[tokio::test]
async fn declining_someone_going_gives_their_seats_to_the_waitlist() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);

    decide(&app, &token, &ana, "decline").await.expect(200);

    assert_eq!(
        status_of(&app, &token, &event, "ben@example.org").await,
        "going"
    );
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
}

#[tokio::test]
async fn a_declined_supporter_rsvping_again_stays_declined() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "rsvp_mode": "approval" }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    decide(&app, &token, &ana, "decline").await.expect(200);

    let again = app.rsvp(id_of(&event), "ANA@example.org", json!({})).await;

    assert_eq!(again.expect(202)["status"], "declined");
    assert_eq!(managed(&app, &ana).await["status"], "declined");
}

#[tokio::test]
async fn a_declined_rsvp_cannot_be_approved() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "rsvp_mode": "approval" }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    decide(&app, &token, &ana, "decline").await.expect(200);

    decide(&app, &token, &ana, "approve")
        .await
        .expect_problem(409);

    assert_eq!(seats(&app, &token, &event).await, (json!(0), json!(0)));
}

#[tokio::test]
async fn a_request_the_supporter_cancelled_can_be_neither_approved_nor_declined() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "rsvp_mode": "approval" }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    cancel_rsvp(&app, &ana).await.expect(204);

    decide(&app, &token, &ana, "approve")
        .await
        .expect_problem(409);
    decide(&app, &token, &ana, "decline")
        .await
        .expect_problem(409);

    assert_eq!(managed(&app, &ana).await["status"], "cancelled");
}

#[tokio::test]
async fn checking_in_marks_the_attendee_as_arrived_once() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    assert!(app.attendees(&token, id_of(&event)).await[0]["checked_in_at"].is_null());

    let first = decide(&app, &token, &ana, "check-in").await;
    let second = decide(&app, &token, &ana, "check-in").await;

    let arrived = first.expect(200)["checked_in_at"].clone();
    assert!(arrived.is_string(), "{arrived}");
    assert_eq!(second.expect(200)["checked_in_at"], arrived);
    assert_eq!(
        app.attendees(&token, id_of(&event)).await[0]["checked_in_at"],
        arrived
    );
}

#[tokio::test]
async fn only_someone_going_can_be_checked_in() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let ben = app
        .rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201)
        .clone();

    decide(&app, &token, &ben, "check-in")
        .await
        .expect_problem(409);

    assert_eq!(
        status_of(&app, &token, &event, "ben@example.org").await,
        "waitlisted"
    );
}

#[tokio::test]
async fn an_organiser_adds_someone_at_the_door_already_checked_in() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;

    let added = add_at_door(
        &app,
        &token,
        &event,
        "ana@example.org",
        json!({ "guests": 1, "checked_in": true }),
    )
    .await;

    assert_eq!(added.expect(201)["status"], "going");
    let ana = &app.attendees(&token, id_of(&event)).await[0];
    assert_eq!(ana["name"], "Ana");
    assert!(ana["checked_in_at"].is_string(), "{ana}");
    assert_eq!(seats(&app, &token, &event).await, (json!(2), json!(0)));
}

#[tokio::test]
async fn someone_added_at_the_door_needs_no_approval() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "rsvp_mode": "approval" }))
        .await;

    let added = add_at_door(&app, &token, &event, "ana@example.org", json!({})).await;

    assert_eq!(added.expect(201)["status"], "going");
}

#[tokio::test]
async fn the_door_stays_open_after_rsvps_close() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "rsvp_closes_at": "2026-01-01T00:00:00Z" }))
        .await;

    let added = add_at_door(&app, &token, &event, "ana@example.org", json!({})).await;

    assert_eq!(added.expect(201)["status"], "going");
}

#[tokio::test]
async fn the_door_still_counts_the_seats() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({ "capacity": 1 })).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);

    let added = add_at_door(&app, &token, &event, "ben@example.org", json!({})).await;

    added.expect_problem(409);
    assert_eq!(seats(&app, &token, &event).await, (json!(1), json!(0)));
}

#[tokio::test]
async fn an_organiser_of_another_organisation_cannot_decide_on_an_rsvp() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let stranger = app.owner_of("hov").await;
    let event = app
        .event_with_seats(&token, json!({ "rsvp_mode": "approval" }))
        .await;
    let ana = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();

    for decision in ["approve", "decline", "check-in"] {
        decide(&app, &stranger, &ana, decision)
            .await
            .expect_problem(403);
    }
    assert_eq!(managed(&app, &ana).await["status"], "pending_approval");
}

#[tokio::test]
async fn an_organiser_of_another_organisation_cannot_add_someone_at_the_door() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let stranger = app.owner_of("hov").await;
    let event = app.event_with_seats(&token, json!({})).await;

    let added = add_at_door(&app, &stranger, &event, "ana@example.org", json!({})).await;

    added.expect_problem(403);
    assert_eq!(seats(&app, &token, &event).await, (json!(0), json!(0)));
}

#[tokio::test]
async fn deciding_on_an_unknown_rsvp_finds_nothing() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let nobody = json!({ "id": "0190d4a5-0000-7000-8000-000000000000" });

    for decision in ["approve", "decline", "check-in"] {
        decide(&app, &token, &nobody, decision)
            .await
            .expect_problem(404);
    }
}

// --- who sees the attendees ----------------------------------------------------------------

#[tokio::test]
async fn the_organisers_see_who_is_coming() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 2, "waitlist": true }))
        .await;
    app.rsvp(
        id_of(&event),
        "ana@example.org",
        json!({ "guests": 1, "locale": "es" }),
    )
    .await
    .expect(201);
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);

    let attendees = app.attendees(&token, id_of(&event)).await;

    let seen: Vec<_> = attendees
        .iter()
        .map(|a| {
            (
                a["name"].clone(),
                a["email"].clone(),
                a["status"].clone(),
                a["guests"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                json!("Ana"),
                json!("ana@example.org"),
                json!("going"),
                json!(1)
            ),
            (
                json!("Ben"),
                json!("ben@example.org"),
                json!("waitlisted"),
                json!(0)
            ),
        ]
    );
    assert_eq!(attendees[0]["locale"], "es");
    assert!(attendees[1]["waitlisted_at"].is_string());
}

#[tokio::test]
async fn the_attendee_list_comes_in_pages() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    for email in ["ana@example.org", "ben@example.org", "cara@example.org"] {
        app.rsvp(id_of(&event), email, json!({})).await.expect(201);
    }
    let path = format!("/api/v1/events/{}/rsvps", id_of(&event));

    let first = app
        .get_with_query(&path, Some(&token), &[("limit", "2")])
        .await
        .expect(200)
        .clone();
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = app
        .get_with_query(&path, Some(&token), &[("limit", "2"), ("cursor", cursor)])
        .await
        .expect(200)
        .clone();

    let names =
        |page: &Value| -> Vec<Value> { items(page).iter().map(|a| a["name"].clone()).collect() };
    assert_eq!(names(&first), ["Ana", "Ben"]);
    assert_eq!(names(&second), ["Cara"]);
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn a_co_hosting_organisations_organisers_see_the_attendees() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let hov_owner = app.owner_of("hov").await;
    let hov_organiser = app
        .member(&hov_owner, "hov", "olga@example.org", "organiser")
        .await;
    let event = app
        .published_event(
            &token,
            with(meeting("Film night"), json!({ "hosts": ["hov"] })),
        )
        .await;
    app.accept_hosting(&hov_organiser, id_of(&event), "hov")
        .await
        .expect(200);
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);

    let attendees = app.attendees(&hov_organiser, id_of(&event)).await;

    assert_eq!(attendees.len(), 1);
    assert_eq!(attendees[0]["email"], "ana@example.org");
}

#[tokio::test]
async fn another_organisation_cannot_see_the_attendees() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let stranger = app.owner_of("hov").await;
    let event = app.event_with_seats(&token, json!({})).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let path = format!("/api/v1/events/{}/rsvps", id_of(&event));

    app.get(&path, &stranger).await.expect_problem(403);
    let csv = app.get_accepting(&path, &stranger, "text/csv").await;
    csv.expect(403);
    assert!(!csv.text.contains("ana@example.org"), "{}", csv.text);
}

#[tokio::test]
async fn a_viewer_cannot_see_the_attendees() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let viewer = app
        .member(&token, "lrbc", "vera@example.org", "viewer")
        .await;
    let event = app.event_with_seats(&token, json!({})).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);

    let reply = app
        .get(&format!("/api/v1/events/{}/rsvps", id_of(&event)), &viewer)
        .await;

    reply.expect_problem(403);
    assert!(!reply.text.contains("ana@example.org"), "{}", reply.text);
}

#[tokio::test]
async fn the_attendees_download_as_a_spreadsheet() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    app.rsvp(
        id_of(&event),
        "ana@example.org",
        json!({ "guests": 2, "locale": "fr" }),
    )
    .await
    .expect(201);

    let csv = app
        .get_accepting(
            &format!("/api/v1/events/{}/rsvps", id_of(&event)),
            &token,
            "text/csv",
        )
        .await;

    csv.expect(200);
    assert!(
        csv.content_type().starts_with("text/csv"),
        "{}",
        csv.content_type()
    );
    let disposition = csv.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "name,email,status,guests,locale,checked_in_at,created_at"
    );
    assert!(
        lines[1].starts_with(r#""Ana","ana@example.org","going","2","fr","","#),
        "{}",
        lines[1]
    );
    assert_eq!(lines.len(), 2, "{}", csv.text);
}

#[tokio::test]
async fn the_spreadsheet_holds_every_attendee_not_just_one_page() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    for n in 1..=51 {
        app.rsvp(id_of(&event), &format!("fan{n}@example.org"), json!({}))
            .await
            .expect(201);
    }

    let csv = app
        .get_accepting(
            &format!("/api/v1/events/{}/rsvps", id_of(&event)),
            &token,
            "text/csv",
        )
        .await;

    assert_eq!(csv.text.lines().count(), 1 + 51, "{}", csv.text);
}

#[tokio::test]
async fn a_name_that_looks_like_a_formula_stays_text_in_the_spreadsheet() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    app.rsvp(
        id_of(&event),
        "eve@example.org",
        json!({ "name": "=HYPERLINK(\"http://evil.example\")" }),
    )
    .await
    .expect(201);
    app.rsvp(id_of(&event), "-ben@example.org", json!({ "name": "+Ben" }))
        .await
        .expect(201);

    let csv = app
        .get_accepting(
            &format!("/api/v1/events/{}/rsvps", id_of(&event)),
            &token,
            "text/csv",
        )
        .await;

    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(
        lines[1].starts_with(r#""'=HYPERLINK(""http://evil.example"")","eve@example.org","#),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with(r#""'+Ben","'-ben@example.org","going","#),
        "{}",
        lines[2]
    );
}

// --- rate limits ----------------------------------------------------------------------

async fn app_limiting_rsvps(per_client: u32, per_address: u32) -> TestApp {
    spawn_app_configured(|config| {
        config.limits.rsvp = turnout::config::Quota::new(per_client, per_address);
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await
}

async fn rsvp_from(app: &TestApp, event: &Value, client: &str, email: &str) -> Reply {
    app.post_json_via_proxy(
        &format!("/api/v1/public/events/{}/rsvps", id_of(event)),
        client,
        &json!({ "email": email, "name": name_of(email) }),
    )
    .await
}

#[tokio::test]
async fn one_client_rsvping_in_a_flood_is_slowed_down() {
    let app = app_limiting_rsvps(3, 100).await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;

    for i in 0..3 {
        rsvp_from(&app, &event, "203.0.113.7", &format!("p{i}@example.org"))
            .await
            .expect(201);
    }
    let limited = rsvp_from(&app, &event, "203.0.113.7", "p9@example.org").await;

    limited.expect_problem(429);
    assert!(limited.headers.contains_key("retry-after"));
    rsvp_from(&app, &event, "198.51.100.1", "q@example.org")
        .await
        .expect(201);
    assert_eq!(app.attendees(&token, id_of(&event)).await.len(), 4);
}

#[tokio::test]
async fn one_address_cannot_be_buried_in_rsvp_emails() {
    let app = app_limiting_rsvps(100, 2).await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;

    rsvp_from(&app, &event, "203.0.113.1", "ana@example.org")
        .await
        .expect(201);
    rsvp_from(&app, &event, "203.0.113.2", "ana@example.org")
        .await
        .expect(202);
    for client in ["203.0.113.3", "203.0.113.4", "203.0.113.5"] {
        rsvp_from(&app, &event, client, "ANA@example.org")
            .await
            .expect_problem(429);
    }
    // Tags reach the same mailbox, so they share its limit.
    rsvp_from(&app, &event, "203.0.113.6", "ana+film@example.org")
        .await
        .expect_problem(429);

    app.deliver_emails().await;
    assert_eq!(
        app.smtp.to("ana@example.org").len(),
        2,
        "one RSVP, one link"
    );
}

// --- helpers of this file ---------------------------------------------------------

/// The seats an event counts: (going, waitlisted).
async fn seats(app: &TestApp, token: &str, event: &Value) -> (Value, Value) {
    let event = app.event(token, id_of(event)).await;
    (
        event["going_count"].clone(),
        event["waitlist_count"].clone(),
    )
}

/// The subjects of every email delivered to `address`, oldest first.
fn subjects_to(app: &TestApp, address: &str) -> Vec<String> {
    app.smtp.to(address).iter().map(|m| m.subject()).collect()
}

/// An RSVP as its supporter sees it through the manage link.
async fn managed(app: &TestApp, rsvp: &Value) -> Value {
    app.get_public(&format!("/api/v1/public/rsvps/{}", manage_token(rsvp)))
        .await
        .expect(200)
        .clone()
}

async fn change_guests(app: &TestApp, rsvp: &Value, guests: i64) -> Reply {
    app.send(
        Method::PATCH,
        &format!("/api/v1/public/rsvps/{}", manage_token(rsvp)),
        None,
        Some(&json!({ "guests": guests })),
        None,
    )
    .await
}

async fn cancel_rsvp(app: &TestApp, rsvp: &Value) -> Reply {
    app.send(
        Method::DELETE,
        &format!("/api/v1/public/rsvps/{}", manage_token(rsvp)),
        None,
        None,
        None,
    )
    .await
}

/// An organiser's decision on an RSVP: `approve`, `decline` or `check-in`.
async fn decide(app: &TestApp, token: &str, rsvp: &Value, decision: &str) -> Reply {
    app.send(
        Method::POST,
        &format!("/api/v1/rsvps/{}/{decision}", id_of(rsvp)),
        Some(token),
        None,
        None,
    )
    .await
}

/// An organiser adds someone to the event at the door.
async fn add_at_door(
    app: &TestApp,
    token: &str,
    event: &Value,
    email: &str,
    extra: Value,
) -> Reply {
    let body = with(json!({ "email": email, "name": name_of(email) }), extra);
    app.post_json(
        &format!("/api/v1/events/{}/rsvps", id_of(event)),
        token,
        &body,
    )
    .await
}

/// The status of `email`'s RSVP on the organiser's attendee list.
async fn status_of(app: &TestApp, token: &str, event: &Value, email: &str) -> String {
    app.attendees(token, id_of(event))
        .await
        .into_iter()
        .find(|a| a["email"] == email)
        .unwrap_or_else(|| panic!("{email} is not on the attendee list"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

// --- the manage page behind the emails' link --------------------------------------------

/// Post the manage page's form.
async fn post_manage_form(app: &TestApp, token: &str, body: &str) -> Reply {
    app.send_raw(
        Method::POST,
        &format!("/rsvps/{token}"),
        None,
        "application/x-www-form-urlencoded",
        body.to_owned(),
    )
    .await
}

#[tokio::test]
async fn the_manage_link_opens_a_page_with_the_rsvp_and_its_forms() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let rsvp = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await;
    let manage = manage_token(rsvp.expect(201));
    let page = app.get_public(&format!("/rsvps/{manage}")).await;
    page.expect(200);
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.text.contains("<html lang=\"en\""), "{}", page.text);
    assert!(page.text.contains("Film night"));
    assert!(page.text.contains("You are going"));
    assert!(page.text.contains("19:00–21:00 EST"), "{}", page.text);
    assert!(page.text.contains("name=\"guests\""));
    assert!(page.text.contains("value=\"1\""));
}

#[tokio::test]
async fn changing_guests_from_the_page_redirects_back_and_changes_the_seats() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let rsvp = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await;
    let manage = manage_token(rsvp.expect(201));
    let reply = post_manage_form(&app, &manage, "action=change&guests=3").await;
    reply.expect(303);
    let location = reply.headers["location"].to_str().unwrap();
    assert_eq!(location, format!("/rsvps/{manage}?done=changed"));
    let page = app.get_public(location).await;
    assert!(page.text.contains("Your RSVP is updated."), "{}", page.text);
    assert_eq!(app.event(&token, id_of(&event)).await["going_count"], 4);
}

#[tokio::test]
async fn cancelling_from_the_page_frees_the_seats() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    let rsvp = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 2 }))
        .await;
    let manage = manage_token(rsvp.expect(201));
    post_manage_form(&app, &manage, "action=cancel")
        .await
        .expect(303);
    let page = app
        .get_public(&format!("/rsvps/{manage}?done=cancelled"))
        .await;
    assert!(
        page.text.contains("Your RSVP is cancelled."),
        "{}",
        page.text
    );
    assert!(
        !page.text.contains("name=\"guests\""),
        "no form left to send"
    );
    assert_eq!(app.event(&token, id_of(&event)).await["going_count"], 0);
}

#[tokio::test]
async fn asking_for_more_seats_than_are_free_keeps_the_form_with_the_reason() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({ "capacity": 3 })).await;
    let rsvp = app.rsvp(id_of(&event), "ana@example.org", json!({})).await;
    let manage = manage_token(rsvp.expect(201));
    let reply = post_manage_form(&app, &manage, "action=change&guests=5").await;
    reply.expect(409);
    assert!(
        reply.text.contains("not enough free seats"),
        "{}",
        reply.text
    );
    assert!(
        reply.text.contains("value=\"5\""),
        "the value typed is kept"
    );
    assert!(reply.text.contains("aria-invalid=\"true\""));
    assert_eq!(app.event(&token, id_of(&event)).await["going_count"], 1);
}

#[tokio::test]
async fn a_spanish_speaker_gets_the_page_in_spanish() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    let rsvp = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "locale": "es" }))
        .await;
    let manage = manage_token(rsvp.expect(201));
    let page = app.get_public(&format!("/rsvps/{manage}")).await;
    assert!(page.text.contains("<html lang=\"es\""));
    assert!(page.text.contains("Vas a asistir"), "{}", page.text);
}

#[tokio::test]
async fn an_unknown_manage_link_is_a_not_found_page() {
    let app = spawn_app().await;
    let page = app.get_public("/rsvps/0123456789abcdef").await;
    page.expect(404);
    assert!(page.content_type().starts_with("text/html"));
}

#[tokio::test]
async fn an_address_that_hides_its_direction_or_cannot_be_written_to_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;

    for email in ["ana\u{202E}gro.elpmaxe@example.org", "a..b@example.org"] {
        app.rsvp(id_of(&event), email, json!({}))
            .await
            .expect_invalid("email");
    }
    assert!(app.attendees(&token, id_of(&event)).await.is_empty());
}
