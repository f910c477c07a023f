//! When events happen: wall-clock times in IANA zones, the UTC instants they mean,
//! daylight-saving gaps and folds, and all-day events.

use serde_json::json;

use crate::helpers::{TestApp, event_at, id_of, spawn_app, with};

async fn organiser(app: &TestApp) -> String {
    app.owner_of("louis-riel-bolivarian-circle").await
}

async fn meeting_in(
    app: &TestApp,
    token: &str,
    timezone: &str,
    starts_at: &str,
    ends_at: &str,
) -> serde_json::Value {
    app.create_event(
        token,
        event_at("Meeting", "public_meeting", timezone, starts_at, ends_at),
    )
    .await
}

#[tokio::test]
async fn wall_times_come_back_with_seconds_and_their_zone() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    let event = meeting_in(
        &app,
        &token,
        "America/Caracas",
        "2026-11-28T19:00",
        "2026-11-28T21:30",
    )
    .await;

    assert_eq!(event["starts_at"], "2026-11-28T19:00:00");
    assert_eq!(event["ends_at"], "2026-11-28T21:30:00");
    assert_eq!(event["timezone"], "America/Caracas");
    assert_eq!(event["all_day"], false);
}

#[tokio::test]
async fn a_toronto_evening_before_the_november_change_is_four_hours_behind_utc() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    let event = meeting_in(
        &app,
        &token,
        "America/Toronto",
        "2026-10-31T19:00",
        "2026-10-31T21:00",
    )
    .await;

    assert_eq!(event["starts_at_utc"], "2026-10-31T23:00:00Z");
    assert_eq!(event["ends_at_utc"], "2026-11-01T01:00:00Z");
}

#[tokio::test]
async fn a_toronto_evening_after_the_november_change_is_five_hours_behind_utc() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    let event = meeting_in(
        &app,
        &token,
        "America/Toronto",
        "2026-11-02T19:00",
        "2026-11-02T21:00",
    )
    .await;

    assert_eq!(event["starts_at_utc"], "2026-11-03T00:00:00Z");
    assert_eq!(event["ends_at_utc"], "2026-11-03T02:00:00Z");
}

#[tokio::test]
async fn an_ambiguous_toronto_wall_time_takes_the_earlier_instant() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    let event = meeting_in(
        &app,
        &token,
        "America/Toronto",
        "2026-11-01T01:30",
        "2026-11-01T03:00",
    )
    .await;

    assert_eq!(event["starts_at_utc"], "2026-11-01T05:30:00Z");
    assert_eq!(event["starts_at"], "2026-11-01T01:30:00");
}

#[tokio::test]
async fn a_wall_time_the_clocks_skip_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    app.post_json(
        "/api/v1/events",
        &token,
        &event_at(
            "Meeting",
            "public_meeting",
            "America/Toronto",
            "2038-03-14T02:30",
            "2038-03-14T04:00",
        ),
    )
    .await
    .expect_invalid("starts_at");
}

#[tokio::test]
async fn an_end_the_clocks_skip_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    app.post_json(
        "/api/v1/events",
        &token,
        &event_at(
            "Meeting",
            "public_meeting",
            "America/Toronto",
            "2038-03-14T00:30",
            "2038-03-14T02:15",
        ),
    )
    .await
    .expect_invalid("ends_at");
}

#[tokio::test]
async fn caracas_is_four_hours_behind_utc_all_year() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    let december = meeting_in(
        &app,
        &token,
        "America/Caracas",
        "2026-12-05T18:00",
        "2026-12-05T20:00",
    )
    .await;
    let july = meeting_in(
        &app,
        &token,
        "America/Caracas",
        "2038-07-05T18:00",
        "2038-07-05T20:00",
    )
    .await;

    assert_eq!(december["starts_at_utc"], "2026-12-05T22:00:00Z");
    assert_eq!(july["starts_at_utc"], "2038-07-05T22:00:00Z");
}

#[tokio::test]
async fn london_in_winter_is_utc() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    let event = meeting_in(
        &app,
        &token,
        "Europe/London",
        "2026-12-10T19:00",
        "2026-12-10T21:00",
    )
    .await;

    assert_eq!(event["starts_at_utc"], "2026-12-10T19:00:00Z");
    assert_eq!(event["ends_at_utc"], "2026-12-10T21:00:00Z");
}

#[tokio::test]
async fn london_in_summer_is_an_hour_ahead_of_utc() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    let event = meeting_in(
        &app,
        &token,
        "Europe/London",
        "2038-07-10T19:00",
        "2038-07-10T21:00",
    )
    .await;

    assert_eq!(event["starts_at_utc"], "2038-07-10T18:00:00Z");
}

#[tokio::test]
async fn an_all_day_delegation_runs_to_the_end_of_its_last_day() {
    let app = spawn_app().await;
    let token = organiser(&app).await;
    let body = with(
        event_at(
            "Delegation to Venezuela",
            "delegation",
            "America/Caracas",
            "2026-11-28",
            "2026-12-05",
        ),
        json!({ "all_day": true }),
    );

    let event = app.create_event(&token, body).await;

    assert_eq!(event["all_day"], true);
    assert_eq!(event["starts_at"], "2026-11-28");
    assert_eq!(event["ends_at"], "2026-12-05");
    assert_eq!(event["starts_at_utc"], "2026-11-28T04:00:00Z");
    assert_eq!(event["ends_at_utc"], "2026-12-06T04:00:00Z");
}

#[tokio::test]
async fn a_one_day_all_day_event_ends_at_the_next_midnight() {
    let app = spawn_app().await;
    let token = organiser(&app).await;
    let body = with(
        event_at(
            "Day of action",
            "demonstration",
            "Europe/London",
            "2026-12-12",
            "2026-12-12",
        ),
        json!({ "all_day": true }),
    );

    let event = app.create_event(&token, body).await;

    assert_eq!(event["starts_at_utc"], "2026-12-12T00:00:00Z");
    assert_eq!(event["ends_at_utc"], "2026-12-13T00:00:00Z");
}

#[tokio::test]
async fn an_all_day_event_given_a_time_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;
    let body = with(
        event_at(
            "Delegation",
            "delegation",
            "America/Caracas",
            "2026-11-28T09:00",
            "2026-12-05T18:00",
        ),
        json!({ "all_day": true }),
    );

    let reply = app.post_json("/api/v1/events", &token, &body).await;

    reply.expect_problem(422);
    let fields = reply.error_fields();
    assert!(
        fields.iter().any(|f| f == "starts_at" || f == "ends_at"),
        "{fields:?}"
    );
}

#[tokio::test]
async fn a_timed_event_given_a_date_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    let reply = app
        .post_json(
            "/api/v1/events",
            &token,
            &event_at(
                "Meeting",
                "public_meeting",
                "America/Caracas",
                "2026-11-28",
                "2026-11-28",
            ),
        )
        .await;

    reply.expect_problem(422);
    let fields = reply.error_fields();
    assert!(
        fields.iter().any(|f| f == "starts_at" || f == "ends_at"),
        "{fields:?}"
    );
}

#[tokio::test]
async fn an_end_before_the_start_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    app.post_json(
        "/api/v1/events",
        &token,
        &event_at(
            "Meeting",
            "public_meeting",
            "America/Toronto",
            "2026-12-10T21:00",
            "2026-12-10T19:00",
        ),
    )
    .await
    .expect_invalid("ends_at");
}

#[tokio::test]
async fn an_all_day_event_ending_before_it_starts_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;
    let body = with(
        event_at(
            "Delegation",
            "delegation",
            "America/Caracas",
            "2026-12-05",
            "2026-11-28",
        ),
        json!({ "all_day": true }),
    );

    app.post_json("/api/v1/events", &token, &body)
        .await
        .expect_invalid("ends_at");
}

#[tokio::test]
async fn a_zone_that_is_not_an_iana_name_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    for zone in ["EST5", "Mars/Olympus", "+03:00"] {
        let reply = app
            .post_json(
                "/api/v1/events",
                &token,
                &event_at(
                    "Meeting",
                    "public_meeting",
                    zone,
                    "2026-12-10T19:00",
                    "2026-12-10T21:00",
                ),
            )
            .await;
        assert_eq!(reply.status.as_u16(), 422, "zone {zone:?}: {}", reply.text);
        reply.expect_invalid("timezone");
    }
}

#[tokio::test]
async fn a_time_that_is_not_a_time_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    app.post_json(
        "/api/v1/events",
        &token,
        &event_at(
            "Meeting",
            "public_meeting",
            "America/Toronto",
            "next Tuesday",
            "2026-12-10T21:00",
        ),
    )
    .await
    .expect_invalid("starts_at");
}

#[tokio::test]
async fn a_time_with_an_offset_is_refused_as_not_a_wall_time() {
    let app = spawn_app().await;
    let token = organiser(&app).await;

    app.post_json(
        "/api/v1/events",
        &token,
        &event_at(
            "Meeting",
            "public_meeting",
            "America/Toronto",
            "2026-12-10T19:00:00Z",
            "2026-12-10T21:00",
        ),
    )
    .await
    .expect_invalid("starts_at");
}

#[tokio::test]
async fn moving_an_event_to_another_zone_keeps_its_wall_time() {
    let app = spawn_app().await;
    let token = organiser(&app).await;
    let event = meeting_in(
        &app,
        &token,
        "America/Toronto",
        "2026-12-10T19:00",
        "2026-12-10T21:00",
    )
    .await;

    let reply = app
        .patch_event(
            &token,
            id_of(&event),
            json!({ "timezone": "Europe/London" }),
        )
        .await;

    let moved = reply.expect(200);
    assert_eq!(moved["starts_at"], "2026-12-10T19:00:00");
    assert_eq!(moved["starts_at_utc"], "2026-12-10T19:00:00Z");
}

#[tokio::test]
async fn patching_a_start_into_the_clocks_gap_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;
    let event = meeting_in(
        &app,
        &token,
        "America/Toronto",
        "2038-03-13T19:00",
        "2038-03-14T04:00",
    )
    .await;

    app.patch_event(
        &token,
        id_of(&event),
        json!({ "starts_at": "2038-03-14T02:30" }),
    )
    .await
    .expect_invalid("starts_at");
}

#[tokio::test]
async fn patching_the_end_before_the_start_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;
    let event = meeting_in(
        &app,
        &token,
        "America/Toronto",
        "2026-12-10T19:00",
        "2026-12-10T21:00",
    )
    .await;

    app.patch_event(
        &token,
        id_of(&event),
        json!({ "ends_at": "2026-12-10T18:00" }),
    )
    .await
    .expect_invalid("ends_at");
    assert_eq!(
        app.event(&token, id_of(&event)).await["ends_at"],
        "2026-12-10T21:00:00"
    );
}

#[tokio::test]
async fn patching_in_a_zone_that_is_not_iana_is_refused() {
    let app = spawn_app().await;
    let token = organiser(&app).await;
    let event = meeting_in(
        &app,
        &token,
        "America/Toronto",
        "2026-12-10T19:00",
        "2026-12-10T21:00",
    )
    .await;

    app.patch_event(&token, id_of(&event), json!({ "timezone": "EST5" }))
        .await
        .expect_invalid("timezone");
}
