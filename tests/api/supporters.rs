//! Supporters: one per address, seen only by the organisations they acted for,
//! exported and erased on request.

use serde_json::{Value, json};

use crate::helpers::*;

// --- helpers of this file ---------------------------------------------------------

/// The supporters the organiser finds under `email`.
async fn find(app: &TestApp, token: &str, email: &str) -> Vec<Value> {
    items(
        app.get_with_query("/api/v1/supporters", Some(token), &[("email", email)])
            .await
            .expect(200),
    )
}

/// The one supporter the organiser finds under `email`, with their RSVPs.
async fn supporter(app: &TestApp, token: &str, email: &str) -> Value {
    let found = find(app, token, email).await;
    assert_eq!(found.len(), 1, "one supporter for {email}: {found:?}");
    app.get(&format!("/api/v1/supporters/{}", id_of(&found[0])), token)
        .await
        .expect(200)
        .clone()
}

/// The organiser erases the one supporter they find under `email`.
async fn erase(app: &TestApp, token: &str, email: &str) {
    let found = find(app, token, email).await;
    assert_eq!(found.len(), 1, "one supporter for {email}: {found:?}");
    app.delete(&format!("/api/v1/supporters/{}", id_of(&found[0])), token)
        .await
        .expect(204);
}

/// The titles of the events a supporter's RSVPs are for.
fn rsvp_titles(supporter: &Value) -> Vec<Value> {
    supporter["rsvps"]
        .as_array()
        .expect("a supporter with rsvps")
        .iter()
        .map(|r| r["event_title"].clone())
        .collect()
}

/// An organisation's published meeting.
async fn meeting_of(app: &TestApp, token: &str, title: &str) -> Value {
    app.published_event(token, meeting(title)).await
}

// --- finding supporters ---------------------------------------------------------------

#[tokio::test]
async fn an_organiser_finds_a_supporter_by_address_whatever_its_capitals() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_of(&app, &token, "Film night").await;
    app.rsvp(
        id_of(&event),
        "Ana@Example.org",
        json!({ "locale": "es", "subscribe": true }),
    )
    .await
    .expect(201);

    let found = find(&app, &token, "ana@EXAMPLE.org").await;

    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["email"], "Ana@Example.org");
    assert_eq!(found[0]["name"], "Ana");
    assert_eq!(found[0]["locale"], "es");
    // Asked for, but an RSVP proves nothing about who owns the address.
    assert_eq!(found[0]["subscribed"], false);
}

#[tokio::test]
async fn one_address_is_one_supporter_across_events() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let film = meeting_of(&app, &token, "Film night").await;
    let forum = meeting_of(&app, &token, "Housing forum").await;
    app.rsvp(id_of(&film), "Ana@Example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(id_of(&forum), "ana@example.org", json!({ "guests": 1 }))
        .await
        .expect(201);

    let ana = supporter(&app, &token, "ana@example.org").await;

    assert_eq!(rsvp_titles(&ana), ["Film night", "Housing forum"]);
}

#[tokio::test]
async fn a_supporter_shows_what_they_answered_to_each_event() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 1, "waitlist": true }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(id_of(&event), "ben@example.org", json!({ "guests": 2 }))
        .await
        .expect(201);

    let ben = supporter(&app, &token, "ben@example.org").await;

    let rsvp = &ben["rsvps"][0];
    assert_eq!(rsvp["event_id"], event["id"]);
    assert_eq!(rsvp["event_slug"], event["slug"]);
    assert_eq!(rsvp["starts_at_utc"], event["starts_at_utc"]);
    assert_eq!(rsvp["status"], "waitlisted");
    assert_eq!(rsvp["guests"], 2);
    assert!(rsvp["checked_in_at"].is_null());
}

#[tokio::test]
async fn another_organisations_supporters_stay_out_of_sight() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let stranger = app.owner_of("hov").await;
    let event = meeting_of(&app, &token, "Film night").await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let ana = find(&app, &token, "ana@example.org").await;

    assert!(find(&app, &stranger, "ana@example.org").await.is_empty());
    for path in ["", "/export"] {
        app.get(
            &format!("/api/v1/supporters/{}{path}", id_of(&ana[0])),
            &stranger,
        )
        .await
        .expect_problem(404);
    }
}

#[tokio::test]
async fn each_organisation_sees_only_the_rsvps_made_to_its_own_events() {
    let app = spawn_app().await;
    let lrbc = app.owner_of("lrbc").await;
    let hov = app.owner_of("hov").await;
    let film = meeting_of(&app, &lrbc, "Film night").await;
    let forum = meeting_of(&app, &hov, "Housing forum").await;
    app.rsvp(id_of(&film), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(id_of(&forum), "ana@example.org", json!({}))
        .await
        .expect(201);

    let seen_by_lrbc = supporter(&app, &lrbc, "ana@example.org").await;
    let seen_by_hov = supporter(&app, &hov, "ana@example.org").await;

    assert_eq!(seen_by_lrbc["id"], seen_by_hov["id"]);
    assert_eq!(rsvp_titles(&seen_by_lrbc), ["Film night"]);
    assert_eq!(rsvp_titles(&seen_by_hov), ["Housing forum"]);
}

#[tokio::test]
async fn a_co_hosting_organisation_finds_the_supporters_of_the_shared_event() {
    let app = spawn_app().await;
    let lrbc = app.owner_of("lrbc").await;
    let hov = app.owner_of("hov").await;
    let event = app
        .published_event(
            &lrbc,
            with(meeting("Film night"), json!({ "hosts": ["hov"] })),
        )
        .await;
    app.accept_hosting(&hov, id_of(&event), "hov")
        .await
        .expect(200);
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);

    let ana = supporter(&app, &hov, "ana@example.org").await;

    assert_eq!(rsvp_titles(&ana), ["Film night"]);
}

#[tokio::test]
async fn a_viewer_sees_no_supporters() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let viewer = app
        .member(&token, "lrbc", "vera@example.org", "viewer")
        .await;
    let event = meeting_of(&app, &token, "Film night").await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let ana = find(&app, &token, "ana@example.org").await;
    let ana = id_of(&ana[0]);

    app.get("/api/v1/supporters", &viewer)
        .await
        .expect_problem(403);
    for path in ["", "/export"] {
        let reply = app
            .get(&format!("/api/v1/supporters/{ana}{path}"), &viewer)
            .await;
        reply.expect_problem(403);
        assert!(!reply.text.contains("ana@example.org"), "{}", reply.text);
    }
    app.delete(&format!("/api/v1/supporters/{ana}"), &viewer)
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn an_unknown_supporter_is_not_found() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;

    app.get(
        "/api/v1/supporters/0190d4a5-0000-7000-8000-000000000000",
        &token,
    )
    .await
    .expect_problem(404);
}

#[tokio::test]
async fn the_supporter_list_comes_in_pages_newest_first() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_of(&app, &token, "Film night").await;
    for email in ["ana@example.org", "ben@example.org", "cara@example.org"] {
        app.rsvp(id_of(&event), email, json!({})).await.expect(201);
    }

    let first = app
        .get_with_query("/api/v1/supporters", Some(&token), &[("limit", "2")])
        .await
        .expect(200)
        .clone();
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = app
        .get_with_query(
            "/api/v1/supporters",
            Some(&token),
            &[("limit", "2"), ("cursor", cursor)],
        )
        .await
        .expect(200)
        .clone();

    let names =
        |page: &Value| -> Vec<Value> { items(page).iter().map(|s| s["name"].clone()).collect() };
    assert_eq!(names(&first), ["Cara", "Ben"]);
    assert_eq!(names(&second), ["Ana"]);
    assert!(second["next_cursor"].is_null());
}

// --- export -----------------------------------------------------------------------------

#[tokio::test]
async fn exporting_a_supporter_gives_a_file_of_everything_held_about_them() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_of(&app, &token, "Film night").await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "guests": 1 }))
        .await
        .expect(201);
    app.deliver_emails().await;
    let ana = find(&app, &token, "ana@example.org").await;

    let export = app
        .get(
            &format!("/api/v1/supporters/{}/export", id_of(&ana[0])),
            &token,
        )
        .await;

    let body = export.expect(200);
    let disposition = export.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(body["email"], "ana@example.org");
    assert_eq!(body["name"], "Ana");
    assert_eq!(rsvp_titles(body), ["Film night"]);
    assert_eq!(body["rsvps"][0]["guests"], 1);
    let emails = body["emails"].as_array().expect("the emails sent");
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0]["template"], "rsvp_going");
    assert_eq!(emails[0]["status"], "sent");
    assert!(emails[0]["sent_at"].is_string());
    assert!(body["exported_at"].is_string());
}

#[tokio::test]
async fn an_export_holds_only_what_the_organisation_itself_holds() {
    let app = spawn_app().await;
    let lrbc = app.owner_of("lrbc").await;
    let hov = app.owner_of("hov").await;
    let film = meeting_of(&app, &lrbc, "Film night").await;
    let forum = meeting_of(&app, &hov, "Housing forum").await;
    app.rsvp(id_of(&film), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(id_of(&forum), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    let ana = find(&app, &hov, "ana@example.org").await;

    let export = app
        .get(
            &format!("/api/v1/supporters/{}/export", id_of(&ana[0])),
            &hov,
        )
        .await;

    let body = export.expect(200);
    assert_eq!(rsvp_titles(body), ["Housing forum"]);
    assert_eq!(body["emails"].as_array().map(Vec::len), Some(1), "{body}");
}

// --- erasure ------------------------------------------------------------------------------

#[tokio::test]
async fn erasing_a_supporter_forgets_their_name_and_address() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_of(&app, &token, "Film night").await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let ana = find(&app, &token, "ana@example.org").await;
    let path = format!("/api/v1/supporters/{}", id_of(&ana[0]));

    app.delete(&path, &token).await.expect(204);

    app.get(&path, &token).await.expect_problem(404);
    assert!(find(&app, &token, "ana@example.org").await.is_empty());
    let everyone = app.get("/api/v1/supporters", &token).await;
    assert!(
        !everyone.text.contains("ana@example.org"),
        "{}",
        everyone.text
    );
}

#[tokio::test]
async fn erasing_a_supporter_keeps_their_seats_counted() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10 }))
        .await;
    app.rsvp(id_of(&event), "ana@example.org", json!({ "guests": 2 }))
        .await
        .expect(201);
    erase(&app, &token, "ana@example.org").await;

    assert_eq!(app.event(&token, id_of(&event)).await["going_count"], 3);
    let attendees = app.attendees(&token, id_of(&event)).await;
    assert_eq!(attendees.len(), 1);
    let seat = &attendees[0];
    assert_eq!((&seat["name"], &seat["email"]), (&json!(""), &json!("")));
    assert_eq!(
        (&seat["status"], &seat["guests"]),
        (&json!("going"), &json!(2))
    );
}

#[tokio::test]
async fn erasing_a_supporter_drops_the_emails_not_yet_sent_to_them() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = meeting_of(&app, &token, "Film night").await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    erase(&app, &token, "ana@example.org").await;
    app.deliver_emails().await;

    assert!(app.smtp.to("ana@example.org").is_empty());
}

#[tokio::test]
async fn another_organisation_cannot_erase_a_supporter_it_never_met() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let stranger = app.owner_of("hov").await;
    let event = meeting_of(&app, &token, "Film night").await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    let ana = find(&app, &token, "ana@example.org").await;
    let path = format!("/api/v1/supporters/{}", id_of(&ana[0]));

    app.delete(&path, &stranger).await.expect_problem(404);

    assert_eq!(app.get(&path, &token).await.expect(200)["name"], "Ana");
}

// --- another organisation's supporters (issue 15) ------------------------------------------

/// `token`'s organiser adds `email` at the door of `event`, with `name`.
async fn add_at_the_door(app: &TestApp, token: &str, event: &Value, email: &str, name: &str) {
    app.post_json(
        &format!("/api/v1/events/{}/rsvps", id_of(event)),
        token,
        &json!({ "email": email, "name": name }),
    )
    .await
    .expect(201);
}

/// Ana RSVPs to the Toronto circle's film night and signs its petition; the rival
/// group then adds her address at the door of its own meeting.
async fn ana_claimed_by_a_rival(app: &TestApp) -> (String, String, Value, Value) {
    let lrbc = app.owner_of("lrbc").await;
    let rival = app.owner_of("rival").await;
    let film = meeting_of(app, &lrbc, "Film night").await;
    app.rsvp(
        id_of(&film),
        "ana@example.org",
        json!({ "name": "Ana Pérez" }),
    )
    .await
    .expect(201);
    let petition = app
        .published_petition(
            &lrbc,
            json!({ "title": "Free them", "target": "the consulate", "require_confirmation": false }),
        )
        .await;
    app.post_json(
        &format!("/api/v1/public/petitions/{}/signatures", id_of(&petition)),
        "",
        &json!({ "email": "ana@example.org", "name": "Ana Pérez", "comment": "Solidarity" }),
    )
    .await
    .expect(201);
    let bait = meeting_of(app, &rival, "Open evening").await;
    add_at_the_door(app, &rival, &bait, "ana@example.org", "Mallory").await;
    (lrbc, rival, film, bait)
}

#[tokio::test]
async fn adding_someones_address_at_your_door_neither_renames_them_nor_shows_their_name() {
    let app = spawn_app().await;
    let (lrbc, rival, film, bait) = ana_claimed_by_a_rival(&app).await;

    assert_eq!(
        supporter(&app, &lrbc, "ana@example.org").await["name"],
        "Ana Pérez"
    );
    assert_eq!(
        app.attendees(&lrbc, id_of(&film)).await[0]["name"],
        "Ana Pérez"
    );
    let theirs = app.attendees(&rival, id_of(&bait)).await;
    assert_eq!(theirs[0]["name"], "Mallory");
    let seen_by_rival = app
        .get(
            &format!(
                "/api/v1/supporters/{}",
                id_of(&find(&app, &rival, "ana@example.org").await[0])
            ),
            &rival,
        )
        .await;
    // It answers (the rival did gather Mallory's RSVP), and holds only what it gathered.
    assert_eq!(seen_by_rival.expect(200)["name"], "Mallory");
    assert_absent(
        &seen_by_rival.text,
        &["Ana Pérez", "Film night", "Free them", "Solidarity"],
    );
}

#[tokio::test]
async fn an_organisation_erasing_a_supporter_others_hold_erases_only_its_own_part() {
    let app = spawn_app().await;
    let (lrbc, rival, film, bait) = ana_claimed_by_a_rival(&app).await;
    erase(&app, &rival, "ana@example.org").await;

    let ana = supporter(&app, &lrbc, "ana@example.org").await;
    assert_eq!(ana["name"], "Ana Pérez");
    assert_eq!(rsvp_titles(&ana), ["Film night"]);
    assert_eq!(ana["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.attendees(&lrbc, id_of(&film)).await[0]["email"],
        "ana@example.org"
    );
    assert!(find(&app, &rival, "ana@example.org").await.is_empty());
    let seat = &app.attendees(&rival, id_of(&bait)).await[0];
    assert_eq!((&seat["name"], &seat["email"]), (&json!(""), &json!("")));
    assert_eq!(app.event(&rival, id_of(&bait)).await["going_count"], 1);
}

#[tokio::test]
async fn erasing_a_supporter_nobody_else_holds_erases_them_everywhere() {
    let app = spawn_app().await;
    let lrbc = app.owner_of("lrbc").await;
    let film = meeting_of(&app, &lrbc, "Film night").await;
    let rsvp = app
        .rsvp(
            id_of(&film),
            "ana@example.org",
            json!({ "name": "Ana Pérez" }),
        )
        .await
        .expect(201)
        .clone();
    erase(&app, &lrbc, "ana@example.org").await;

    let seat = &app.attendees(&lrbc, id_of(&film)).await[0];
    assert_eq!((&seat["name"], &seat["email"]), (&json!(""), &json!("")));
    // The manage link she (or anyone who saw it) held stops working.
    app.get_public(&format!("/api/v1/public/rsvps/{}", manage_token(&rsvp)))
        .await
        .expect_problem(404);
    // A new action with her address starts a new supporter.
    app.rsvp(
        id_of(&meeting_of(&app, &lrbc, "Assembly").await),
        "ana@example.org",
        json!({}),
    )
    .await
    .expect(201);
    assert_eq!(
        supporter(&app, &lrbc, "ana@example.org").await["name"],
        "Ana"
    );
}

#[tokio::test]
async fn erasing_a_donor_forgets_the_organisers_note_and_the_stored_answer_naming_them() {
    let app = spawn_app().await;
    let hov = app.owner_of("hov").await;
    let draft = app
        .post_json(
            "/api/v1/fundraisers",
            &hov,
            &json!({ "title": "Fighting fund", "goal": { "amount": 500_000, "currency": "GBP" } }),
        )
        .await
        .expect(201)
        .clone();
    let gift = json!({
        "amount": { "amount": 2500, "currency": "GBP" },
        "method": "cash",
        "donor_name": "Ana Pérez",
        "donor_email": "ana@example.org",
        "received_at": "2026-12-01T18:00:00Z",
        "note": "Ana Pérez gave at the stall, lives on Dundas St",
    });
    let path = format!("/api/v1/fundraisers/{}/donations", id_of(&draft));
    let first = app
        .post_json_once(&path, &hov, "gift-1", &gift)
        .await
        .expect(201)
        .clone();
    erase(&app, &hov, "ana@example.org").await;

    let donations = app.get(&path, &hov).await;
    donations.expect(200);
    assert_absent(&donations.text, &["Ana Pérez", "Dundas", "ana@example.org"]);
    // The same request again no longer replays an answer holding her address.
    let replay = app.post_json_once(&path, &hov, "gift-1", &gift).await;
    assert!(
        replay.headers.get("idempotent-replayed").is_none(),
        "{:?}",
        replay.headers
    );
    // It is taken afresh: a new gift, not the first one's stored answer.
    assert_ne!(id_of(replay.expect(201)), id_of(&first));
}
