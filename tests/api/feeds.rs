//! Calendar feeds as subscribers' clients read them: every feed passes the
//! calendar checker (Python icalendar, vobject/Radicale, ical.js, RFC 5545 rules).

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{DemoServer, TestApp, event_at, id_of, spawn_app, with};

const CHECKER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/tools/ical-check/ical-check"
);

/// Run the calendar checker on feeds; panics with its report unless every check passes.
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

async fn feed(app: &TestApp, path: &str) -> String {
    let reply = app.get_public(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
    assert_eq!(reply.content_type(), "text/calendar; charset=utf-8");
    reply.text
}

/// The VEVENT blocks of a feed, unfolded.
fn vevents(ics: &str) -> Vec<String> {
    let unfolded = ics.replace("\r\n ", "");
    unfolded
        .split("BEGIN:VEVENT\r\n")
        .skip(1)
        .map(|block| block.split("END:VEVENT").next().unwrap_or("").to_owned())
        .collect()
}

fn vevent_for<'a>(events: &'a [String], summary_start: &str) -> &'a str {
    events
        .iter()
        .find(|e| e.contains(&format!("SUMMARY:{summary_start}")))
        .unwrap_or_else(|| panic!("no event {summary_start:?} in {events:#?}"))
}

fn property<'a>(vevent: &'a str, name: &str) -> Option<&'a str> {
    vevent
        .split("\r\n")
        .find(|line| line.starts_with(&format!("{name}:")) || line.starts_with(&format!("{name};")))
}

/// An organisation in London, with its owner's token.
async fn hands_off_venezuela(app: &TestApp) -> String {
    app.bootstrap_org(
        "hov",
        "Hands Off Venezuela",
        "Europe/London",
        "hov@example.org",
    )
    .await
}

/// A public meeting in London between two wall times.
fn london_meeting(title: &str, starts_at: &str, ends_at: &str) -> Value {
    event_at(title, "public_meeting", "Europe/London", starts_at, ends_at)
}

struct Dataset {
    token: String,
    cancelled_id: String,
}

/// Events that test every corner of a feed: both sides of Toronto's DST changes,
/// Caracas, London, an all-day delegation with an itinerary item, a cancelled
/// event, an online-only event, and text full of what breaks naive writers.
async fn dataset(app: &TestApp) -> Dataset {
    let token = app
        .bootstrap_org(
            "louis-riel",
            "Louis Riel Bolivarian Circle",
            "America/Toronto",
            "circle@example.org",
        )
        .await;
    app.create_campaign(
        &token,
        json!({ "slug": "solidarity", "title": "Solidarity" }),
    )
    .await;
    let in_campaign = |body: Value| with(body, json!({ "campaign": "solidarity" }));
    for (title, start, end) in [
        (
            "Vigil before spring forward",
            "2038-03-13T20:00",
            "2038-03-14T04:00",
        ),
        (
            "Meeting after spring forward",
            "2038-03-15T19:00",
            "2038-03-15T21:00",
        ),
        (
            "Rally before fall back",
            "2038-10-30T19:00",
            "2038-10-30T21:00",
        ),
        (
            "Rally after fall back",
            "2038-11-08T19:00",
            "2038-11-08T21:00",
        ),
        (
            "Late meeting in the fold",
            "2038-11-07T00:30",
            "2038-11-07T01:30",
        ),
    ] {
        app.published_event(
            &token,
            in_campaign(event_at(
                title,
                "public_meeting",
                "America/Toronto",
                start,
                end,
            )),
        )
        .await;
    }
    app.published_event(
        &token,
        with(
            event_at("Asamblea en Caracas", "public_meeting", "America/Caracas", "2038-01-15T18:00", "2038-01-15T20:30"),
            json!({ "language": "es", "location": { "venue": "Teatro Teresa Carreño", "locality": "Caracas", "country": "VE", "latitude": 10.5006, "longitude": -66.8996 } }),
        ),
    )
    .await;
    app.published_event(
        &token,
        london_meeting(
            "Report-back in London",
            "2038-01-20T19:00",
            "2038-01-20T21:00",
        ),
    )
    .await;
    let delegation = app
        .published_event(
            &token,
            in_campaign(json!({
                "kind": "delegation", "title": "Delegation to Caracas", "timezone": "America/Caracas",
                "all_day": true, "starts_at": "2038-02-01", "ends_at": "2038-02-08",
                "rsvp_mode": "approval", "capacity": 20,
            })),
        )
        .await;
    app.published_event(
        &token,
        with(
            event_at("Visit to an occupied factory in Maracay", "delegation", "America/Caracas", "2038-02-03T09:00", "2038-02-03T15:00"),
            json!({ "parent_id": id_of(&delegation), "location": { "locality": "Maracay", "country": "VE" } }),
        ),
    )
    .await;
    let cancelled = app
        .published_event(
            &token,
            event_at(
                "Screening called off",
                "screening",
                "America/Toronto",
                "2038-01-22T19:00",
                "2038-01-22T21:00",
            ),
        )
        .await;
    app.cancel(
        &token,
        id_of(&cancelled),
        "The hall flooded; we will announce a new date.",
    )
    .await
    .expect(200);
    app.published_event(
        &token,
        with(
            event_at(
                "Online teach-in",
                "workshop",
                "Europe/London",
                "2038-01-25T18:00",
                "2038-01-25T19:30",
            ),
            json!({ "online_url": "https://meet.example.org/teach-in" }),
        ),
    )
    .await;
    app.published_event(
        &token,
        with(
            event_at(
                "Films, talks; food & music\r\nSTATUS:CANCELLED",
                "social",
                "America/Toronto",
                "2038-01-30T18:00",
                "2038-01-30T23:00",
            ),
            json!({
                "summary": "Ça va être très bien 🎉, promise; really",
                "description": "Line one,\nline two; with a backslash \\ and é à ü\r\nX-INJECTED:yes\n\n**Bold** [link](https://example.org/a,b)",
                "location": { "venue": "Hall, Room 2; upstairs", "address": "100 Queen St W", "locality": "Toronto", "country": "CA" },
            }),
        ),
    )
    .await;
    Dataset {
        token,
        cancelled_id: id_of(&cancelled).to_owned(),
    }
}

#[tokio::test]
async fn every_feed_of_the_test_dataset_passes_the_calendar_checker() {
    let app = spawn_app().await;
    let data = dataset(&app).await;
    let one = app
        .get(
            &format!("/api/v1/events/{}", data.cancelled_id),
            &data.token,
        )
        .await;
    let slug = one.expect(200)["slug"].as_str().unwrap().to_owned();
    ical_check(vec![
        "--radicale".into(),
        "--expect-events".into(),
        "12".into(),
        "--expect-tz".into(),
        "America/Toronto".into(),
        "--expect-tz".into(),
        "America/Caracas".into(),
        "--expect-tz".into(),
        "Europe/London".into(),
        app.url("/calendar.ics"),
    ])
    .await;
    ical_check(vec![
        "--radicale".into(),
        app.url("/organisations/louis-riel/calendar.ics"),
        app.url("/campaigns/solidarity/calendar.ics"),
        app.url(&format!("/events/{slug}.ics")),
    ])
    .await;
}

#[tokio::test]
async fn text_is_escaped_so_no_title_or_description_can_add_a_property() {
    let app = spawn_app().await;
    dataset(&app).await;
    let ics = feed(&app, "/calendar.ics").await;
    assert!(!ics.contains("\r\nX-INJECTED"), "{ics}");
    let events = vevents(&ics);
    let party = vevent_for(&events, "Films");
    assert_eq!(
        property(party, "SUMMARY"),
        Some("SUMMARY:Films\\, talks\\; food & music\\nSTATUS:CANCELLED")
    );
    assert_eq!(property(party, "STATUS"), Some("STATUS:CONFIRMED"));
    assert_eq!(
        property(party, "LOCATION"),
        Some("LOCATION:Hall\\, Room 2\\; upstairs\\, 100 Queen St W\\, Toronto\\, CA")
    );
    let description = property(party, "DESCRIPTION").unwrap();
    assert!(
        description.contains("Ça va être très bien 🎉\\, promise\\; really"),
        "{description}"
    );
    assert!(
        description.contains("backslash \\\\ and é à ü"),
        "{description}"
    );
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "a line of {} octets: {line}", line.len());
    }
}

#[tokio::test]
async fn times_carry_their_zone_and_all_day_events_end_the_day_after() {
    let app = spawn_app().await;
    dataset(&app).await;
    let events = vevents(&feed(&app, "/calendar.ics").await);
    let after = vevent_for(&events, "Rally after fall back");
    assert_eq!(
        property(after, "DTSTART"),
        Some("DTSTART;TZID=America/Toronto:20381108T190000")
    );
    let delegation = vevent_for(&events, "Delegation to Caracas");
    assert_eq!(
        property(delegation, "DTSTART"),
        Some("DTSTART;VALUE=DATE:20380201")
    );
    assert_eq!(
        property(delegation, "DTEND"),
        Some("DTEND;VALUE=DATE:20380209")
    );
    let visit = vevent_for(&events, "Visit to an occupied factory");
    let uid = property(delegation, "UID")
        .unwrap()
        .trim_start_matches("UID:");
    assert_eq!(
        property(visit, "RELATED-TO"),
        Some(format!("RELATED-TO;RELTYPE=PARENT:{uid}").as_str())
    );
    let online = vevent_for(&events, "Online teach-in");
    assert_eq!(
        property(online, "LOCATION"),
        Some("LOCATION:https://meet.example.org/teach-in")
    );
    let caracas = vevent_for(&events, "Asamblea en Caracas");
    assert_eq!(property(caracas, "GEO"), Some("GEO:10.500600;-66.899600"));
    assert_eq!(
        property(caracas, "CATEGORIES"),
        Some("CATEGORIES:Public meeting")
    );
}

#[tokio::test]
async fn a_cancelled_event_stays_in_the_feed_struck_out_with_a_higher_sequence() {
    let app = spawn_app().await;
    let data = dataset(&app).await;
    let events = vevents(&feed(&app, "/calendar.ics").await);
    let cancelled = vevent_for(&events, "Screening called off");
    assert_eq!(property(cancelled, "STATUS"), Some("STATUS:CANCELLED"));
    assert_eq!(property(cancelled, "SEQUENCE"), Some("SEQUENCE:1"));
    let json = app
        .get(
            &format!("/api/v1/events/{}", data.cancelled_id),
            &data.token,
        )
        .await;
    assert_eq!(json.expect(200)["sequence"], 1);
}

#[tokio::test]
async fn an_event_keeps_its_uid_when_its_title_slug_and_time_change() {
    let app = spawn_app().await;
    let token = hands_off_venezuela(&app).await;
    let event = app
        .published_event(
            &token,
            london_meeting("Public meeting", "2038-01-20T19:00", "2038-01-20T21:00"),
        )
        .await;
    let before = vevents(&feed(&app, "/calendar.ics").await);
    let uid = property(&before[0], "UID").unwrap().to_owned();
    assert_eq!(property(&before[0], "SEQUENCE"), Some("SEQUENCE:0"));
    app.patch_event(
        &token,
        id_of(&event),
        json!({ "title": "Public meeting (moved)", "slug": "public-meeting-moved", "starts_at": "2038-01-21T19:00", "ends_at": "2038-01-21T21:00" }),
    )
    .await
    .expect(200);
    let after = vevents(&feed(&app, "/calendar.ics").await);
    assert_eq!(after.len(), 1);
    assert_eq!(property(&after[0], "UID"), Some(uid.as_str()));
    assert_eq!(property(&after[0], "SEQUENCE"), Some("SEQUENCE:1"));
    assert_eq!(
        property(&after[0], "DTSTART"),
        Some("DTSTART;TZID=Europe/London:20380121T190000")
    );
}

#[tokio::test]
async fn drafts_and_unlisted_events_stay_out_of_feeds() {
    let app = spawn_app().await;
    let token = hands_off_venezuela(&app).await;
    app.create_event(
        &token,
        london_meeting("Draft meeting", "2038-01-20T19:00", "2038-01-20T21:00"),
    )
    .await;
    let unlisted = app
        .published_event(
            &token,
            with(
                london_meeting("Unlisted meeting", "2038-01-21T19:00", "2038-01-21T21:00"),
                json!({ "visibility": "unlisted" }),
            ),
        )
        .await;
    let ics = feed(&app, "/calendar.ics").await;
    assert!(vevents(&ics).is_empty(), "{ics}");
    let ics = feed(&app, "/organisations/hov/calendar.ics").await;
    assert!(vevents(&ics).is_empty(), "{ics}");
    // An unlisted event still has its own file, for those who have the link.
    let own = feed(
        &app,
        &format!("/events/{}.ics", unlisted["slug"].as_str().unwrap()),
    )
    .await;
    assert_eq!(vevents(&own).len(), 1);
    let draft = app.get_public("/events/draft-meeting.ics").await;
    assert_eq!(draft.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_ended_event_leaves_the_site_feed_but_stays_in_its_organisations_feed() {
    let app = spawn_app().await;
    let token = hands_off_venezuela(&app).await;
    app.published_event(
        &token,
        london_meeting(
            "Last week's meeting",
            "2026-11-16T19:00",
            "2026-11-16T21:00",
        ),
    )
    .await;
    app.published_event(
        &token,
        london_meeting(
            "Last year's meeting",
            "2025-11-16T19:00",
            "2025-11-16T21:00",
        ),
    )
    .await;
    assert!(vevents(&feed(&app, "/calendar.ics").await).is_empty());
    let org = vevents(&feed(&app, "/organisations/hov/calendar.ics").await);
    assert_eq!(org.len(), 1, "{org:#?}");
    assert!(org[0].contains("SUMMARY:Last week's meeting"));
}

#[tokio::test]
async fn a_feed_answers_304_until_its_content_changes() {
    let app = spawn_app().await;
    let token = hands_off_venezuela(&app).await;
    let event = app
        .published_event(
            &token,
            london_meeting("Public meeting", "2038-01-20T19:00", "2038-01-20T21:00"),
        )
        .await;
    let first = app.get_public("/calendar.ics").await;
    assert_eq!(first.headers["x-cache"], "miss");
    let again = app.get_public("/calendar.ics").await;
    assert_eq!(
        again.headers["x-cache"], "hit",
        "an unchanged feed is not rebuilt"
    );
    assert_eq!(again.text, first.text);
    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    let last_modified = first.headers["last-modified"].to_str().unwrap().to_owned();

    let conditional = |header: &'static str, value: String| {
        let request = app
            .client
            .get(app.url("/calendar.ics"))
            .header(header, value);
        async move { request.send().await.unwrap() }
    };
    assert_eq!(
        conditional("If-None-Match", etag.clone()).await.status(),
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        conditional("If-Modified-Since", last_modified.clone())
            .await
            .status(),
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        conditional("If-None-Match", "\"something-else\"".into())
            .await
            .status(),
        StatusCode::OK
    );

    app.patch_event(
        &token,
        id_of(&event),
        json!({ "title": "Public meeting: new speakers" }),
    )
    .await
    .expect(200);
    let changed = conditional("If-None-Match", etag.clone()).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(
        changed.headers()["x-cache"],
        "miss",
        "a change rebuilds the feed"
    );
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    assert!(
        changed
            .text()
            .await
            .unwrap()
            .contains("SUMMARY:Public meeting: new speakers")
    );
}

#[tokio::test]
async fn the_site_feed_takes_the_public_lists_filters() {
    let app = spawn_app().await;
    dataset(&app).await;
    let screenings = vevents(&feed(&app, "/calendar.ics?kind=screening").await);
    assert_eq!(screenings.len(), 1);
    let venezuela = vevents(&feed(&app, "/calendar.ics?country=ve").await);
    assert_eq!(venezuela.len(), 2, "{venezuela:#?}");
    let bad = app.get_public("/calendar.ics?kind=picnic").await;
    assert_eq!(bad.status.as_u16(), 422);
}

#[tokio::test]
async fn the_event_json_links_the_calendar_file_a_subscription_and_google() {
    let app = spawn_app().await;
    let token = hands_off_venezuela(&app).await;
    let event = app
        .published_event(
            &token,
            london_meeting("Public meeting", "2038-01-20T19:00", "2038-01-20T21:00"),
        )
        .await;
    let public = app
        .get_public(&format!("/api/v1/public/events/{}", id_of(&event)))
        .await;
    let body = public.expect(200);
    assert_eq!(
        body["ics_url"],
        "http://127.0.0.1/events/public-meeting.ics"
    );
    assert_eq!(
        body["webcal_url"],
        "webcal://127.0.0.1/organisations/hov/calendar.ics"
    );
    let google = body["google_calendar_url"].as_str().unwrap();
    assert!(
        google.starts_with("https://calendar.google.com/calendar/render?action=TEMPLATE"),
        "{google}"
    );
    assert!(
        google.contains("dates=20380120T190000Z%2F20380120T210000Z"),
        "{google}"
    );
    // The file the link names is there.
    assert_eq!(
        vevents(&feed(&app, "/events/public-meeting.ics").await).len(),
        1
    );
}

#[tokio::test]
async fn the_demo_feeds_pass_the_calendar_checker() {
    let demo = DemoServer::start().await;
    let url = |path: &str| format!("{}{path}", demo.address);
    ical_check(vec![
        "--radicale".into(),
        url("/calendar.ics"),
        url("/organisations/hands-off-venezuela/calendar.ics"),
        url("/organisations/societe-bolivarienne-du-quebec/calendar.ics"),
        url("/organisations/louis-riel-bolivarian-circle/calendar.ics"),
        url("/campaigns/hands-off-venezuela/calendar.ics"),
        url("/events/delegation-to-caracas.ics"),
    ])
    .await;
}

#[tokio::test]
async fn a_cancelled_event_leaves_the_feeds_thirty_days_after_its_cancellation() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let app = spawn_app().await;
    let token = hands_off_venezuela(&app).await;
    let event = app
        .published_event(
            &token,
            london_meeting("Called off", "2038-06-20T19:00", "2038-06-20T21:00"),
        )
        .await;
    app.cancel(&token, id_of(&event), "").await.expect(200);
    assert_eq!(vevents(&feed(&app, "/calendar.ics").await).len(), 1);

    // Move the cancellation 31 days into the past, as time would.
    let db = turnout::db::connect(&app.database_url).await.unwrap();
    let id = uuid::Uuid::parse_str(id_of(&event)).unwrap();
    let row = entity::event::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let mut row: entity::event::ActiveModel = row.into();
    row.cancelled_at = Set(Some(chrono::Utc::now() - chrono::Duration::days(31)));
    row.update(&db).await.unwrap();
    turnout::db::content_changed(&db).await.unwrap();

    assert!(vevents(&feed(&app, "/calendar.ics").await).is_empty());
    assert!(vevents(&feed(&app, "/organisations/hov/calendar.ics").await).is_empty());
    // Its own file still says it is cancelled, for anyone holding the link.
    let own = feed(&app, &format!("/events/{}.ics", id_of(&event))).await;
    assert!(own.contains("STATUS:CANCELLED"));
}

#[tokio::test]
async fn a_client_that_accepts_gzip_gets_the_feed_gzipped_with_its_own_etag() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    app.published_event(&token, crate::helpers::meeting("Public meeting"))
        .await;
    let plain = app.get_public("/calendar.ics").await;
    let gzip_request = || {
        app.client
            .get(app.url("/calendar.ics"))
            .header("Accept-Encoding", "br;q=0.9, gzip")
    };

    let zipped = gzip_request().send().await.unwrap();

    assert_eq!(zipped.status(), StatusCode::OK);
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["vary"], "Accept-Encoding");
    assert_eq!(plain.headers["vary"], "Accept-Encoding");
    assert!(plain.headers.get("content-encoding").is_none());
    let etag = zipped.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(etag, plain.headers["etag"].to_str().unwrap());
    let bytes = zipped.bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
        .unwrap();
    assert_eq!(text, plain.text, "the same feed once unzipped");
    assert!(bytes.len() < plain.text.len());
    // Either representation's ETag names this version.
    let again = gzip_request()
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let refused = app
        .client
        .get(app.url("/calendar.ics"))
        .header("Accept-Encoding", "gzip;q=0")
        .send()
        .await
        .unwrap();
    assert!(refused.headers().get("content-encoding").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_through_another_server_reaches_this_servers_feed_within_seconds() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .published_event(&token, crate::helpers::meeting("Public meeting"))
        .await;
    assert!(
        feed(&app, "/calendar.ics")
            .await
            .contains("SUMMARY:Public meeting")
    );
    let other = app.another_server().await;

    app.client
        .patch(format!("{}/api/v1/events/{}", other.address, id_of(&event)))
        .bearer_auth(&token)
        .json(&json!({ "title": "Picket at the consulate" }))
        .send()
        .await
        .unwrap();

    // This server trusts the content version it read for a second at most.
    let started = std::time::Instant::now();
    loop {
        if feed(&app, "/calendar.ics")
            .await
            .contains("SUMMARY:Picket at the consulate")
        {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "the feed still shows the old title"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
