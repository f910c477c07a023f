//! What supporters see without a token: the public list, its filters and pages, and
//! single events by id or slug.

use serde_json::{Value, json};

use crate::helpers::{event_at, id_of, items, meeting, spawn_app, titles, with};

fn in_place(locality: &str, country: &str) -> Value {
    json!({ "location": { "venue": "Hall", "locality": locality, "country": country } })
}

/// A meeting on `day` (2038-MM-DD), 19:00 to 21:00 in Toronto.
fn meeting_on(title: &str, day: &str) -> Value {
    event_at(
        title,
        "public_meeting",
        "America/Toronto",
        &format!("{day}T19:00"),
        &format!("{day}T21:00"),
    )
}

#[tokio::test]
async fn a_published_public_event_is_in_the_public_list() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = app.published_event(&token, meeting("Public meeting")).await;

    let page = app.public_events_page("").await;

    let listed = items(&page);
    assert_eq!(titles(&listed), ["Public meeting"]);
    assert_eq!(listed[0]["id"], event["id"]);
    assert_eq!(listed[0]["status"], "published");
    assert_eq!(listed[0]["organisation"], "circle");
    assert_eq!(page["next_cursor"], Value::Null);
}

#[tokio::test]
async fn the_public_list_needs_no_token_and_is_empty_without_events() {
    let app = spawn_app().await;

    let page = app.public_events_page("").await;

    assert_eq!(page, json!({ "items": [], "next_cursor": null }));
}

#[tokio::test]
async fn drafts_are_not_in_the_public_list() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.create_event(&token, meeting("Draft meeting")).await;

    assert!(app.public_titles("").await.is_empty());
}

#[tokio::test]
async fn unlisted_events_are_not_in_the_public_list() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(
        &token,
        with(
            meeting("Unlisted meeting"),
            json!({ "visibility": "unlisted" }),
        ),
    )
    .await;

    assert!(app.public_titles("").await.is_empty());
}

#[tokio::test]
async fn cancelled_events_leave_the_public_list() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = app
        .published_event(&token, meeting("Cancelled meeting"))
        .await;
    app.cancel(&token, id_of(&event), "The hall flooded")
        .await
        .expect(200);

    assert!(app.public_titles("").await.is_empty());
}

#[tokio::test]
async fn past_events_are_not_in_the_default_public_list() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(&token, meeting_on("Last year's meeting", "2025-03-10"))
        .await;
    app.published_event(&token, meeting_on("Next year's meeting", "2038-03-10"))
        .await;

    assert_eq!(app.public_titles("").await, ["Next year's meeting"]);
}

#[tokio::test]
async fn the_public_list_is_ordered_by_start() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(&token, meeting_on("Third", "2038-05-01"))
        .await;
    app.published_event(&token, meeting_on("First", "2038-01-15"))
        .await;
    app.published_event(&token, meeting_on("Second", "2038-03-01"))
        .await;

    assert_eq!(app.public_titles("").await, ["First", "Second", "Third"]);
}

#[tokio::test]
async fn the_public_list_orders_by_instant_across_zones() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    // 19:00 in Toronto is 00:00Z the next day; 20:00 in London is 20:00Z.
    app.published_event(
        &token,
        event_at(
            "Toronto",
            "public_meeting",
            "America/Toronto",
            "2038-01-15T19:00",
            "2038-01-15T21:00",
        ),
    )
    .await;
    app.published_event(
        &token,
        event_at(
            "London",
            "public_meeting",
            "Europe/London",
            "2038-01-15T20:00",
            "2038-01-15T22:00",
        ),
    )
    .await;

    assert_eq!(app.public_titles("").await, ["London", "Toronto"]);
}

#[tokio::test]
async fn the_public_list_starts_from_the_given_instant() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(&token, meeting_on("January", "2038-01-15"))
        .await;
    app.published_event(&token, meeting_on("March", "2038-03-15"))
        .await;

    assert_eq!(
        app.public_titles("?from=2038-02-01T00:00:00Z").await,
        ["March"]
    );
}

#[tokio::test]
async fn the_public_list_can_look_into_the_past() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(&token, meeting_on("Last year's meeting", "2025-03-10"))
        .await;

    assert_eq!(
        app.public_titles("?from=2025-01-01T00:00:00Z").await,
        ["Last year's meeting"]
    );
}

#[tokio::test]
async fn the_public_list_stops_at_the_given_instant() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(&token, meeting_on("January", "2038-01-15"))
        .await;
    app.published_event(&token, meeting_on("March", "2038-03-15"))
        .await;

    assert_eq!(
        app.public_titles("?to=2038-02-01T00:00:00Z").await,
        ["January"]
    );
}

#[tokio::test]
async fn the_public_list_filters_by_kind() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(&token, meeting("Meeting")).await;
    app.published_event(
        &token,
        with(meeting("Screening"), json!({ "kind": "screening" })),
    )
    .await;

    assert_eq!(app.public_titles("?kind=screening").await, ["Screening"]);
}

#[tokio::test]
async fn the_public_list_filters_by_organisation() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    app.published_event(&circle, meeting("Circle's meeting"))
        .await;
    app.published_event(&quebec, meeting("Quebec's meeting"))
        .await;

    assert_eq!(
        app.public_titles("?organisation=quebec").await,
        ["Quebec's meeting"]
    );
}

#[tokio::test]
async fn the_public_list_filters_by_campaign() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.create_campaign(
        &token,
        json!({ "title": "Solidarity", "slug": "solidarity" }),
    )
    .await;
    app.published_event(
        &token,
        with(
            meeting("In the campaign"),
            json!({ "campaign": "solidarity" }),
        ),
    )
    .await;
    app.published_event(&token, meeting("Outside it")).await;

    assert_eq!(
        app.public_titles("?campaign=solidarity").await,
        ["In the campaign"]
    );
}

#[tokio::test]
async fn the_public_list_filters_by_country() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(
        &token,
        with(meeting("In Caracas"), in_place("Caracas", "VE")),
    )
    .await;
    app.published_event(
        &token,
        with(meeting("In Toronto"), in_place("Toronto", "CA")),
    )
    .await;

    assert_eq!(app.public_titles("?country=VE").await, ["In Caracas"]);
}

#[tokio::test]
async fn the_public_list_filters_by_locality() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(
        &token,
        with(meeting("In Montreal"), in_place("Montreal", "CA")),
    )
    .await;
    app.published_event(
        &token,
        with(meeting("In Toronto"), in_place("Toronto", "CA")),
    )
    .await;

    assert_eq!(
        app.public_titles("?locality=Montreal").await,
        ["In Montreal"]
    );
}

#[tokio::test]
async fn the_public_list_comes_in_pages_linked_by_cursors() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    for (title, day) in [
        ("One", "2038-01-01"),
        ("Two", "2038-01-02"),
        ("Three", "2038-01-03"),
        ("Four", "2038-01-04"),
        ("Five", "2038-01-05"),
    ] {
        app.published_event(&token, meeting_on(title, day)).await;
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut page_sizes = Vec::new();
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(c) = cursor.as_deref() {
            query.push(("cursor", c));
        }
        let reply = app.public_events_with(&query).await;
        let page = reply.expect(200).clone();
        let listed = items(&page);
        page_sizes.push(listed.len());
        seen.extend(titles(&listed));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(page_sizes.len() < 10, "the cursors never end");
    }

    assert_eq!(page_sizes, [2, 2, 1]);
    assert_eq!(seen, ["One", "Two", "Three", "Four", "Five"]);
}

#[tokio::test]
async fn a_limit_of_zero_is_refused() {
    let app = spawn_app().await;

    app.get_public("/api/v1/public/events?limit=0")
        .await
        .expect_invalid("limit");
}

#[tokio::test]
async fn a_limit_over_two_hundred_is_refused() {
    let app = spawn_app().await;

    app.get_public("/api/v1/public/events?limit=201")
        .await
        .expect_invalid("limit");
}

#[tokio::test]
async fn a_limit_of_two_hundred_is_accepted() {
    let app = spawn_app().await;

    app.get_public("/api/v1/public/events?limit=200")
        .await
        .expect(200);
}

#[tokio::test]
async fn a_published_event_is_shown_by_id_and_by_slug() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = app
        .published_event(
            &token,
            with(
                meeting("Public meeting"),
                json!({ "slug": "public-meeting" }),
            ),
        )
        .await;

    let by_id = app
        .get_public(&format!("/api/v1/public/events/{}", id_of(&event)))
        .await;
    let by_slug = app.get_public("/api/v1/public/events/public-meeting").await;

    assert_eq!(by_id.expect(200)["title"], "Public meeting");
    assert_eq!(by_slug.expect(200)["id"], event["id"]);
}

#[tokio::test]
async fn a_public_event_shows_its_times_in_its_zone_and_in_utc() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(
        &token,
        with(
            event_at(
                "Caracas meeting",
                "public_meeting",
                "America/Caracas",
                "2026-12-05T18:00",
                "2026-12-05T20:00",
            ),
            json!({ "slug": "caracas-meeting" }),
        ),
    )
    .await;

    let reply = app
        .get_public("/api/v1/public/events/caracas-meeting")
        .await;

    let event = reply.expect(200);
    assert_eq!(event["starts_at"], "2026-12-05T18:00:00");
    assert_eq!(event["timezone"], "America/Caracas");
    assert_eq!(event["starts_at_utc"], "2026-12-05T22:00:00Z");
}

#[tokio::test]
async fn a_draft_is_not_found_by_id() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let draft = app.create_event(&token, meeting("Draft meeting")).await;

    app.get_public(&format!("/api/v1/public/events/{}", id_of(&draft)))
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn a_draft_is_not_found_by_slug() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.create_event(
        &token,
        with(meeting("Draft meeting"), json!({ "slug": "draft-meeting" })),
    )
    .await;

    app.get_public("/api/v1/public/events/draft-meeting")
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn an_unlisted_event_is_shown_to_whoever_has_its_link() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = app
        .published_event(
            &token,
            with(
                meeting("Unlisted meeting"),
                json!({ "visibility": "unlisted" }),
            ),
        )
        .await;

    let reply = app
        .get_public(&format!("/api/v1/public/events/{}", id_of(&event)))
        .await;

    assert_eq!(reply.expect(200)["visibility"], "unlisted");
}

#[tokio::test]
async fn a_cancelled_event_is_still_shown_as_cancelled() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = app
        .published_event(&token, meeting("Cancelled meeting"))
        .await;
    app.cancel(&token, id_of(&event), "The hall flooded")
        .await
        .expect(200);

    let reply = app
        .get_public(&format!("/api/v1/public/events/{}", id_of(&event)))
        .await;

    assert_eq!(reply.expect(200)["status"], "cancelled");
}

#[tokio::test]
async fn an_unknown_public_event_is_not_found() {
    let app = spawn_app().await;

    app.get_public("/api/v1/public/events/no-such-event")
        .await
        .expect_problem(404);
    app.get_public("/api/v1/public/events/0190f3a1-0000-7000-8000-000000000000")
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn an_event_under_way_at_from_is_still_listed() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    app.published_event(
        &token,
        event_at(
            "Evening",
            "public_meeting",
            "Europe/London",
            "2038-02-10T19:00",
            "2038-02-10T21:00",
        ),
    )
    .await;

    assert_eq!(
        app.public_titles("?from=2038-02-10T20:00:00Z").await,
        ["Evening"]
    );
    assert!(
        app.public_titles("?from=2038-02-10T21:30:00Z")
            .await
            .is_empty()
    );
}

/// Every title on every page of the public list for `filters`, `limit` at a time.
async fn every_public_title(
    app: &crate::helpers::TestApp,
    filters: &[(&str, &str)],
    limit: &str,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let mut query = filters.to_vec();
        query.push(("limit", limit));
        if let Some(c) = cursor.as_deref() {
            query.push(("cursor", c));
        }
        let reply = app.public_events_with(&query).await;
        let page = reply.expect(200).clone();
        seen.extend(titles(&items(&page)));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
    }
    panic!("the cursors never end");
}

#[tokio::test]
async fn paging_through_events_that_start_together_shows_each_once() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    for n in 1..=5 {
        app.published_event(&token, meeting(&format!("Meeting {n}")))
            .await;
    }

    let mut seen = every_public_title(&app, &[], "2").await;

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

#[tokio::test]
async fn paging_keeps_the_filters() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    for (title, kind, day) in [
        ("Screening 1", "screening", "2038-01-01"),
        ("Meeting 1", "public_meeting", "2038-01-02"),
        ("Screening 2", "screening", "2038-01-03"),
        ("Meeting 2", "public_meeting", "2038-01-04"),
        ("Screening 3", "screening", "2038-01-05"),
    ] {
        app.published_event(
            &token,
            with(meeting_on(title, day), json!({ "kind": kind })),
        )
        .await;
    }

    let seen = every_public_title(&app, &[("kind", "screening")], "2").await;

    assert_eq!(seen, ["Screening 1", "Screening 2", "Screening 3"]);
}
