//! Events as organisers keep them: drafts, changes, publishing, cancelling, itineraries,
//! slugs and the iCalendar sequence.

use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of, meeting, spawn_app, titles, with};

fn place(locality: &str) -> Value {
    json!({
        "venue": "Community hall",
        "address": "1 Main Street",
        "locality": locality,
        "region": "ON",
        "postal_code": "M5V 1A1",
        "country": "CA",
        "latitude": 43.65,
        "longitude": -79.38,
    })
}

async fn a_published_meeting(app: &TestApp, token: &str) -> Value {
    app.published_event(token, meeting("Public meeting on sanctions"))
        .await
}

// --- creating and reading --------------------------------------------------------

#[tokio::test]
async fn a_new_event_is_a_draft_of_the_organisers_organisation() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let reply = app
        .post_json("/api/v1/events", &token, &meeting("Public meeting"))
        .await;

    let event = reply.expect(201);
    assert_eq!(event["status"], "draft");
    assert_eq!(event["organisation"], "circle");
    assert_eq!(event["kind"], "public_meeting");
    assert_eq!(event["title"], "Public meeting");
    assert_eq!(event["timezone"], "America/Toronto");
    assert_eq!(event["sequence"], 0);
    assert_eq!(event["going_count"], 0);
    assert_eq!(event["waitlist_count"], 0);
    assert_eq!(event["parent_id"], Value::Null);
    assert_eq!(event["visibility"], "public");
    assert_eq!(event["rsvp_mode"], "open");
    assert_eq!(event["all_day"], false);
    assert!(event["id"].is_string() && event["slug"].is_string());
}

#[tokio::test]
async fn a_new_event_carries_every_field_the_organiser_gave() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.create_campaign(
        &token,
        json!({ "title": "Solidarity", "slug": "solidarity" }),
    )
    .await;
    let body = with(
        meeting("Screening: The Revolution Will Not Be Televised"),
        json!({
            "kind": "screening",
            "campaign": "solidarity",
            "summary": "Film and discussion",
            "description": "**Free** entry",
            "language": "es",
            "location": place("Toronto"),
            "online_url": "https://meet.example.org/screening",
            "capacity": 80,
            "waitlist": true,
            "rsvp_mode": "approval",
            "visibility": "unlisted",
        }),
    );

    let event = app.create_event(&token, body).await;

    assert_eq!(event["kind"], "screening");
    assert_eq!(event["campaign"], "solidarity");
    assert_eq!(event["summary"], "Film and discussion");
    assert_eq!(event["description"], "**Free** entry");
    assert_eq!(event["language"], "es");
    assert_eq!(event["location"]["locality"], "Toronto");
    assert_eq!(event["location"]["country"], "CA");
    assert_eq!(event["online_url"], "https://meet.example.org/screening");
    assert_eq!(event["capacity"], 80);
    assert_eq!(event["waitlist"], true);
    assert_eq!(event["rsvp_mode"], "approval");
    assert_eq!(event["visibility"], "unlisted");
}

#[tokio::test]
async fn an_event_takes_its_organisations_zone_when_none_is_given() {
    let app = spawn_app().await;
    let token = app
        .bootstrap_org(
            "hov",
            "Hands Off Venezuela",
            "Europe/London",
            "ana@hov.example.org",
        )
        .await;
    let mut body = meeting("Meeting in London");
    body.as_object_mut().unwrap().remove("timezone");

    let event = app.create_event(&token, body).await;

    assert_eq!(event["timezone"], "Europe/London");
    assert_eq!(event["starts_at_utc"], "2038-02-10T19:00:00Z");
}

#[tokio::test]
async fn an_event_naming_an_unknown_campaign_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(meeting("Orphan"), json!({ "campaign": "no-such-campaign" })),
    )
    .await
    .expect_invalid("campaign");
}

#[tokio::test]
async fn an_event_can_be_read_back_by_its_organiser() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let created = app.create_event(&token, meeting("Public meeting")).await;

    let event = app.event(&token, id_of(&created)).await;

    assert_eq!(event, created);
}

#[tokio::test]
async fn an_unknown_event_is_not_found() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.get(
        "/api/v1/events/0190f3a1-0000-7000-8000-000000000000",
        &token,
    )
    .await
    .expect_problem(404);
}

// --- the organiser's list ------------------------------------------------------------

#[tokio::test]
async fn the_organiser_list_shows_drafts_and_published_events() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.create_event(&token, meeting("Draft meeting")).await;
    app.published_event(&token, meeting("Published meeting"))
        .await;

    let mut listed = titles(&app.organiser_events(&token, "").await);

    listed.sort();
    assert_eq!(listed, ["Draft meeting", "Published meeting"]);
}

#[tokio::test]
async fn the_organiser_list_filters_by_status() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.create_event(&token, meeting("Draft meeting")).await;
    app.published_event(&token, meeting("Published meeting"))
        .await;

    assert_eq!(
        titles(&app.organiser_events(&token, "?status=draft").await),
        ["Draft meeting"]
    );
    assert_eq!(
        titles(&app.organiser_events(&token, "?status=published").await),
        ["Published meeting"]
    );
}

#[tokio::test]
async fn the_organiser_list_filters_by_kind() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.create_event(&token, meeting("Meeting")).await;
    app.create_event(
        &token,
        with(meeting("Workshop"), json!({ "kind": "workshop" })),
    )
    .await;

    assert_eq!(
        titles(&app.organiser_events(&token, "?kind=workshop").await),
        ["Workshop"]
    );
}

#[tokio::test]
async fn the_organiser_list_filters_by_campaign() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.create_campaign(
        &token,
        json!({ "title": "Solidarity", "slug": "solidarity" }),
    )
    .await;
    app.create_event(
        &token,
        with(
            meeting("In the campaign"),
            json!({ "campaign": "solidarity" }),
        ),
    )
    .await;
    app.create_event(&token, meeting("Outside it")).await;

    assert_eq!(
        titles(&app.organiser_events(&token, "?campaign=solidarity").await),
        ["In the campaign"]
    );
}

#[tokio::test]
async fn the_organiser_list_never_shows_another_organisations_events() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    app.create_event(&circle, meeting("Circle's draft")).await;
    app.published_event(&circle, meeting("Circle's published"))
        .await;
    app.create_event(&quebec, meeting("Quebec's draft")).await;

    assert_eq!(
        titles(&app.organiser_events(&quebec, "").await),
        ["Quebec's draft"]
    );
}

// --- another organisation's events -------------------------------------------------

#[tokio::test]
async fn another_organisations_draft_cannot_be_read() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let draft = app.create_event(&circle, meeting("Circle's draft")).await;

    app.get(&format!("/api/v1/events/{}", id_of(&draft)), &quebec)
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn another_organisations_event_cannot_be_changed() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let draft = app.create_event(&circle, meeting("Circle's draft")).await;

    app.patch_event(&quebec, id_of(&draft), json!({ "title": "Taken over" }))
        .await
        .expect_problem(403);
    assert_eq!(
        app.event(&circle, id_of(&draft)).await["title"],
        "Circle's draft"
    );
}

#[tokio::test]
async fn another_organisations_event_cannot_be_deleted() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let draft = app.create_event(&circle, meeting("Circle's draft")).await;

    app.delete(&format!("/api/v1/events/{}", id_of(&draft)), &quebec)
        .await
        .expect_problem(403);
    app.event(&circle, id_of(&draft)).await;
}

#[tokio::test]
async fn another_organisations_event_cannot_be_published() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let draft = app.create_event(&circle, meeting("Circle's draft")).await;

    app.post_json(
        &format!("/api/v1/events/{}/publish", id_of(&draft)),
        &quebec,
        &json!({}),
    )
    .await
    .expect_problem(403);
    assert_eq!(app.event(&circle, id_of(&draft)).await["status"], "draft");
}

#[tokio::test]
async fn another_organisations_event_cannot_be_cancelled() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let event = a_published_meeting(&app, &circle).await;

    app.cancel(&quebec, id_of(&event), "sabotage")
        .await
        .expect_problem(403);
    assert_eq!(
        app.event(&circle, id_of(&event)).await["status"],
        "published"
    );
}

// --- changing ------------------------------------------------------------------------

#[tokio::test]
async fn patching_an_event_changes_only_what_is_given() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let draft = app
        .create_event(
            &token,
            with(
                meeting("Public meeting"),
                json!({ "summary": "On sanctions" }),
            ),
        )
        .await;

    let reply = app
        .patch_event(
            &token,
            id_of(&draft),
            json!({ "title": "Public meeting on sanctions" }),
        )
        .await;

    let patched = reply.expect(200);
    assert_eq!(patched["title"], "Public meeting on sanctions");
    assert_eq!(patched["summary"], "On sanctions");
    assert_eq!(patched["starts_at"], draft["starts_at"]);
    assert_eq!(patched["slug"], draft["slug"]);
    assert_eq!(
        app.event(&token, id_of(&draft)).await["title"],
        "Public meeting on sanctions"
    );
}

#[tokio::test]
async fn a_place_can_be_cleared_with_null() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let draft = app
        .create_event(
            &token,
            with(
                meeting("Public meeting"),
                json!({ "location": place("Toronto") }),
            ),
        )
        .await;

    let reply = app
        .patch_event(
            &token,
            id_of(&draft),
            json!({ "location": null, "online_url": "https://meet.example.org/x" }),
        )
        .await;

    let patched = reply.expect(200);
    assert_eq!(patched["location"], Value::Null);
    assert_eq!(patched["online_url"], "https://meet.example.org/x");
}

// --- deleting --------------------------------------------------------------------

#[tokio::test]
async fn a_deleted_draft_is_gone() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let draft = app.create_event(&token, meeting("Draft meeting")).await;

    let reply = app
        .delete(&format!("/api/v1/events/{}", id_of(&draft)), &token)
        .await;

    reply.expect(204);
    app.get(&format!("/api/v1/events/{}", id_of(&draft)), &token)
        .await
        .expect_problem(404);
    assert!(app.organiser_events(&token, "").await.is_empty());
}

#[tokio::test]
async fn a_published_event_cannot_be_deleted() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = a_published_meeting(&app, &token).await;

    app.delete(&format!("/api/v1/events/{}", id_of(&event)), &token)
        .await
        .expect_problem(409);
    assert_eq!(
        app.event(&token, id_of(&event)).await["status"],
        "published"
    );
}

// --- publishing and cancelling -----------------------------------------------------

#[tokio::test]
async fn publishing_a_draft_makes_it_published() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let draft = app.create_event(&token, meeting("Public meeting")).await;

    let reply = app
        .post_json(
            &format!("/api/v1/events/{}/publish", id_of(&draft)),
            &token,
            &json!({}),
        )
        .await;

    assert_eq!(reply.expect(200)["status"], "published");
    assert_eq!(
        app.event(&token, id_of(&draft)).await["status"],
        "published"
    );
}

#[tokio::test]
async fn cancelling_a_published_event_marks_it_cancelled() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = a_published_meeting(&app, &token).await;

    let reply = app.cancel(&token, id_of(&event), "The hall flooded").await;

    assert_eq!(reply.expect(200)["status"], "cancelled");
    assert_eq!(
        app.event(&token, id_of(&event)).await["status"],
        "cancelled"
    );
}

#[tokio::test]
async fn cancelling_a_draft_is_a_conflict() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let draft = app.create_event(&token, meeting("Draft meeting")).await;

    app.cancel(&token, id_of(&draft), "Never mind")
        .await
        .expect_problem(409);
    assert_eq!(app.event(&token, id_of(&draft)).await["status"], "draft");
}

// --- itineraries: parents and children -----------------------------------------------

#[tokio::test]
async fn a_workshop_sits_inside_a_forum() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let forum = app
        .create_event(&token, with(meeting("Forum"), json!({ "kind": "other" })))
        .await;

    let workshop = app
        .create_event(
            &token,
            with(
                meeting("Workshop"),
                json!({ "kind": "workshop", "parent_id": id_of(&forum) }),
            ),
        )
        .await;

    assert_eq!(workshop["parent_id"], forum["id"]);
}

#[tokio::test]
async fn a_parent_of_another_organisation_is_refused() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let forum = app.create_event(&circle, meeting("Circle's forum")).await;

    app.post_json(
        "/api/v1/events",
        &quebec,
        &with(
            meeting("Quebec's workshop"),
            json!({ "kind": "workshop", "parent_id": id_of(&forum) }),
        ),
    )
    .await
    .expect_invalid("parent_id");
}

#[tokio::test]
async fn an_unknown_parent_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(
            meeting("Workshop"),
            json!({ "parent_id": "0190f3a1-0000-7000-8000-000000000000" }),
        ),
    )
    .await
    .expect_invalid("parent_id");
}

#[tokio::test]
async fn a_parent_that_is_not_an_id_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(meeting("Workshop"), json!({ "parent_id": "the-forum" })),
    )
    .await
    .expect_invalid("parent_id");
}

#[tokio::test]
async fn two_events_cannot_be_each_others_parent() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let a = app.create_event(&token, meeting("A")).await;
    let b = app
        .create_event(
            &token,
            with(meeting("B"), json!({ "parent_id": id_of(&a) })),
        )
        .await;

    app.patch_event(&token, id_of(&a), json!({ "parent_id": id_of(&b) }))
        .await
        .expect_invalid("parent_id");
    assert_eq!(app.event(&token, id_of(&a)).await["parent_id"], Value::Null);
}

#[tokio::test]
async fn an_event_cannot_be_its_own_parent() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let a = app.create_event(&token, meeting("A")).await;

    app.patch_event(&token, id_of(&a), json!({ "parent_id": id_of(&a) }))
        .await
        .expect_invalid("parent_id");
}

#[tokio::test]
async fn a_longer_cycle_of_parents_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let a = app.create_event(&token, meeting("A")).await;
    let b = app
        .create_event(
            &token,
            with(meeting("B"), json!({ "parent_id": id_of(&a) })),
        )
        .await;
    let c = app
        .create_event(
            &token,
            with(meeting("C"), json!({ "parent_id": id_of(&b) })),
        )
        .await;

    app.patch_event(&token, id_of(&a), json!({ "parent_id": id_of(&c) }))
        .await
        .expect_invalid("parent_id");
}

// --- slugs ---------------------------------------------------------------------------

#[tokio::test]
async fn an_event_slug_is_the_ascii_form_of_its_title() {
    let app = spawn_app().await;
    let token = app.owner_of("quebec").await;

    let event = app
        .create_event(&token, meeting("Société Bolivarienne du Québec"))
        .await;

    let slug = event["slug"].as_str().unwrap();
    assert!(slug.starts_with("societe-bolivarienne"), "{slug}");
    assert!(slug.is_ascii(), "{slug}");
}

#[tokio::test]
async fn two_events_with_the_same_title_get_different_slugs() {
    let app = spawn_app().await;
    let token = app.owner_of("quebec").await;

    let first = app
        .create_event(&token, meeting("Société Bolivarienne du Québec"))
        .await;
    let second = app
        .create_event(&token, meeting("Société Bolivarienne du Québec"))
        .await;

    assert_ne!(first["slug"], second["slug"]);
}

#[tokio::test]
async fn an_explicit_event_slug_is_kept() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let event = app
        .create_event(
            &token,
            with(meeting("Meeting"), json!({ "slug": "meeting-2038" })),
        )
        .await;

    assert_eq!(event["slug"], "meeting-2038");
}

#[tokio::test]
async fn an_explicit_event_slug_that_is_taken_is_a_conflict() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    app.create_event(
        &circle,
        with(meeting("Meeting"), json!({ "slug": "the-meeting" })),
    )
    .await;

    app.post_json(
        "/api/v1/events",
        &quebec,
        &with(meeting("Another"), json!({ "slug": "the-meeting" })),
    )
    .await
    .expect_problem(409);
}

#[tokio::test]
async fn renaming_an_event_to_a_taken_slug_is_a_conflict() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.create_event(
        &token,
        with(meeting("Meeting"), json!({ "slug": "the-meeting" })),
    )
    .await;
    let other = app.create_event(&token, meeting("Another")).await;

    app.patch_event(&token, id_of(&other), json!({ "slug": "the-meeting" }))
        .await
        .expect_problem(409);
}

#[tokio::test]
async fn an_explicit_event_slug_that_is_not_a_slug_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    app.post_json(
        "/api/v1/events",
        &token,
        &with(meeting("Meeting"), json!({ "slug": "Not A Slug!" })),
    )
    .await
    .expect_invalid("slug");
}

// --- the iCalendar sequence ---------------------------------------------------------

#[tokio::test]
async fn a_new_event_starts_at_sequence_zero() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let event = app.create_event(&token, meeting("Meeting")).await;

    assert_eq!(event["sequence"], 0);
}

#[tokio::test]
async fn moving_a_draft_leaves_the_sequence_at_zero() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let draft = app.create_event(&token, meeting("Meeting")).await;

    let reply = app
        .patch_event(
            &token,
            id_of(&draft),
            json!({ "starts_at": "2038-02-11T19:00", "ends_at": "2038-02-11T21:00" }),
        )
        .await;

    assert_eq!(reply.expect(200)["sequence"], 0);
}

/// The published event's sequence, and what it becomes after `patch`.
async fn sequence_across(app: &TestApp, token: &str, patch: Value) -> (i64, i64) {
    let event = a_published_meeting(app, token).await;
    let before = event["sequence"].as_i64().unwrap();
    let reply = app.patch_event(token, id_of(&event), patch).await;
    let after = reply.expect(200)["sequence"].as_i64().unwrap();
    assert_eq!(app.event(token, id_of(&event)).await["sequence"], after);
    (before, after)
}

#[tokio::test]
async fn moving_a_published_event_bumps_the_sequence_by_one() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let (before, after) = sequence_across(
        &app,
        &token,
        json!({ "starts_at": "2038-02-11T19:00", "ends_at": "2038-02-11T21:00" }),
    )
    .await;

    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn ending_a_published_event_later_bumps_the_sequence_by_one() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let (before, after) =
        sequence_across(&app, &token, json!({ "ends_at": "2038-02-10T22:00" })).await;

    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn changing_a_published_events_place_bumps_the_sequence_by_one() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let (before, after) =
        sequence_across(&app, &token, json!({ "location": place("Hamilton") })).await;

    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn changing_a_published_events_online_link_bumps_the_sequence_by_one() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let (before, after) = sequence_across(
        &app,
        &token,
        json!({ "online_url": "https://meet.example.org/new-room" }),
    )
    .await;

    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn retitling_a_published_event_leaves_the_sequence_alone() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let (before, after) = sequence_across(&app, &token, json!({ "title": "A better title" })).await;

    assert_eq!(after, before);
}

#[tokio::test]
async fn giving_a_published_event_its_own_time_again_leaves_the_sequence_alone() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let (before, after) = sequence_across(
        &app,
        &token,
        json!({ "starts_at": "2038-02-10T19:00:00", "ends_at": "2038-02-10T21:00" }),
    )
    .await;

    assert_eq!(after, before);
}

#[tokio::test]
async fn cancelling_a_published_event_bumps_the_sequence_by_one() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = a_published_meeting(&app, &token).await;

    let cancelled = app.cancel(&token, id_of(&event), "The hall flooded").await;

    assert_eq!(
        cancelled.expect(200)["sequence"].as_i64().unwrap(),
        event["sequence"].as_i64().unwrap() + 1
    );
}

#[tokio::test]
async fn each_change_to_a_published_event_bumps_the_sequence_once() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = a_published_meeting(&app, &token).await;
    let id = id_of(&event);
    let start = event["sequence"].as_i64().unwrap();

    app.patch_event(&token, id, json!({ "starts_at": "2038-02-10T18:30" }))
        .await
        .expect(200);
    app.patch_event(&token, id, json!({ "title": "Renamed" }))
        .await
        .expect(200);
    app.patch_event(&token, id, json!({ "location": place("Ottawa") }))
        .await
        .expect(200);
    let cancelled = app.cancel(&token, id, "Snowstorm").await;

    assert_eq!(
        cancelled.expect(200)["sequence"].as_i64().unwrap(),
        start + 3
    );
}

#[tokio::test]
async fn a_workshop_can_leave_its_forum() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let forum = app.create_event(&token, meeting("Forum")).await;
    let workshop = app
        .create_event(
            &token,
            with(
                meeting("Workshop"),
                json!({ "kind": "workshop", "parent_id": id_of(&forum) }),
            ),
        )
        .await;

    let reply = app
        .patch_event(&token, id_of(&workshop), json!({ "parent_id": null }))
        .await;

    assert_eq!(reply.expect(200)["parent_id"], Value::Null);
}

#[tokio::test]
async fn an_event_cannot_join_another_organisations_campaign() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    app.create_campaign(
        &circle,
        json!({ "title": "Circle's campaign", "slug": "circles-campaign" }),
    )
    .await;

    app.post_json(
        "/api/v1/events",
        &quebec,
        &with(
            meeting("Quebec's meeting"),
            json!({ "campaign": "circles-campaign" }),
        ),
    )
    .await
    .expect_invalid("campaign");
}

#[tokio::test]
async fn an_event_cannot_be_published_by_patching_its_status() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let draft = app.create_event(&token, meeting("Draft meeting")).await;

    app.patch_event(&token, id_of(&draft), json!({ "status": "published" }))
        .await
        .expect_problem(422);
    assert_eq!(app.event(&token, id_of(&draft)).await["status"], "draft");
}

#[tokio::test]
async fn an_organiser_creates_and_publishes_events() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let organiser = app
        .member(&owner, "circle", "ben@example.org", "organiser")
        .await;

    let event = app
        .published_event(&organiser, meeting("Ben's meeting"))
        .await;

    assert_eq!(event["status"], "published");
    assert_eq!(event["organisation"], "circle");
}

#[tokio::test]
async fn a_viewer_cannot_delete_a_draft() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let viewer = app
        .member(&owner, "circle", "vera@example.org", "viewer")
        .await;
    let draft = app.create_event(&owner, meeting("Draft meeting")).await;

    app.delete(&format!("/api/v1/events/{}", id_of(&draft)), &viewer)
        .await
        .expect_problem(403);
    app.event(&owner, id_of(&draft)).await;
}

#[tokio::test]
async fn moving_a_published_event_to_another_zone_bumps_the_sequence_by_one() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let (before, after) =
        sequence_across(&app, &token, json!({ "timezone": "Europe/London" })).await;

    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn the_organiser_list_pages_through_events_that_start_together() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    for n in 1..=5 {
        app.create_event(&token, meeting(&format!("Meeting {n}")))
            .await;
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut query = vec![("limit", "2")];
        query.extend(cursor.as_deref().map(|c| ("cursor", c)));
        let reply = app
            .get_with_query("/api/v1/events", Some(&token), &query)
            .await;
        let page = reply.expect(200).clone();
        seen.extend(titles(page["items"].as_array().unwrap()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }

    seen.sort();
    assert_eq!(
        seen,
        [
            "Meeting 1",
            "Meeting 2",
            "Meeting 3",
            "Meeting 4",
            "Meeting 5"
        ]
    );
}

// --- one place, one wording ------------------------------------------------------

/// The page, the confirmation email, the calendar entry and the Google Calendar link
/// all write an event's place the same way (they used to leave out different parts).
#[tokio::test]
async fn an_events_place_reads_the_same_everywhere_it_is_shown() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = app
        .published_event(
            &token,
            with(meeting("Assembly"), json!({ "location": place("Toronto") })),
        )
        .await;
    let line = "Community hall, 1 Main Street, Toronto, ON, M5V 1A1, CA";

    let page = app
        .get_public(&format!("/events/{}", event["slug"].as_str().unwrap()))
        .await;
    assert!(page.text.contains(line), "{}", page.text);

    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);
    app.deliver_emails().await;
    let email = app.smtp.last_to("ana@example.org").text();
    assert!(email.contains(&format!("Where: {line}")), "{email}");

    let ics = app
        .get_public(&format!("/events/{}.ics", id_of(&event)))
        .await
        .text
        .replace("\r\n ", "");
    let location = format!("LOCATION:{}", line.replace(',', "\\,"));
    assert!(ics.contains(&location), "{ics}");

    let google = url::Url::parse(event["google_calendar_url"].as_str().unwrap()).unwrap();
    let given = google
        .query_pairs()
        .find(|(name, _)| name == "location")
        .map(|(_, value)| value.into_owned());
    assert_eq!(given.as_deref(), Some(line));
}

#[tokio::test]
async fn a_patch_is_told_of_every_field_it_cannot_clear_and_every_bad_value() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let draft = app.create_event(&token, meeting("Draft meeting")).await;

    // Each null on a field that cannot be cleared is named, beside the other bad
    // values (it named the first null alone).
    let refused = app
        .patch_event(
            &token,
            id_of(&draft),
            json!({ "title": null, "starts_at": null, "capacity": 0 }),
        )
        .await;
    refused.expect_problem(422);
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(fields, ["capacity", "starts_at", "title"]);
    assert_eq!(app.event(&token, id_of(&draft)).await, draft);
}

#[tokio::test]
async fn a_taken_slug_is_named_as_it_was_asked_for() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.create_event(
        &token,
        with(meeting("Meeting"), json!({ "slug": "the-meeting" })),
    )
    .await;

    // The refusal quotes the slug (the shared refusal once showed the type around it).
    let refused = app
        .post_json(
            "/api/v1/events",
            &token,
            &with(meeting("Another"), json!({ "slug": "the-meeting" })),
        )
        .await;
    let problem = refused.expect_problem(409);
    assert_eq!(problem["detail"], "the slug \"the-meeting\" is taken");
}
