//! Feed benchmarks (not tests): the time to render a feed of 100, 1,000 and 10,000
//! events, and the time to build one from the database. Run with `cargo bench
//! --bench feeds`; the figures go in BENCHMARKS.md. Feeds under load (cached, 304,
//! while changing) are `cargo bench --bench load -- feed`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at the first surprise"
)]

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use entity::values::{RsvpMode, Visibility};
use sea_orm::{ActiveValue::Set, EntityTrait};
use turnout::{
    app::App,
    calendar::{CalendarEvent, FeedMeta, Method, render},
    config::Config,
    domain::{Country, EventTimes, Language, Place, TimeZone},
    events::model::{EventKind, EventStatus},
    organisations::service::NewOrganisation,
};

const ZONES: [&str; 5] = [
    "America/Toronto",
    "America/Caracas",
    "Europe/London",
    "America/Montreal",
    "America/Tegucigalpa",
];

fn times(i: usize) -> EventTimes {
    let zone = TimeZone::parse(ZONES[i % ZONES.len()]).unwrap();
    let day =
        NaiveDate::from_ymd_opt(2038, 1, 1).unwrap() + chrono::Duration::days((i % 700) as i64);
    let start = format!("{day}T{:02}:00", 9 + i % 10);
    let end = format!("{day}T{:02}:30", 10 + i % 10);
    EventTimes::parse(&start, &end, false, zone).unwrap()
}

fn synthetic(n: usize) -> Vec<CalendarEvent> {
    (0..n)
        .map(|i| CalendarEvent {
            id: uuid::Uuid::now_v7(),
            parent_id: None,
            title: format!("Public meeting {i}: solidarity, workers' control; and more"),
            summary: "Report-back from the delegation, with films and food.".into(),
            description:
                "Workers at **occupied factories** tell how they run production.\n\nFree entry."
                    .into(),
            kind: EventKind::PublicMeeting,
            times: times(i),
            place: Place {
                venue: Some("Conway Hall".into()),
                address: Some("25 Red Lion Square".into()),
                locality: Some("London".into()),
                country: Country::parse("GB").ok(),
                latitude: Some(51.52),
                longitude: Some(-0.1186),
                ..Place::default()
            },
            online_url: None,
            url: format!("https://turnout.example/events/public-meeting-{i}"),
            organiser_name: "Hands Off Venezuela".into(),
            organiser_email: "noreply@turnout.example".into(),
            status: EventStatus::Published,
            cancel_reason: None,
            sequence: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        })
        .collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn bench_render() {
    let meta = FeedMeta {
        name: "Bench".into(),
        method: Method::Publish,
        subscribed: true,
    };
    println!("render (in memory, {} zones):", ZONES.len());
    for n in [100, 1_000, 10_000] {
        let events = synthetic(n);
        let bytes = render(&events, &meta).len();
        let samples = (0..7)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(render(&events, &meta));
                t.elapsed()
            })
            .collect();
        println!(
            "  {n:>6} events: {:>8.2} ms median of 7, {} KiB",
            median(samples).as_secs_f64() * 1e3,
            bytes / 1024
        );
    }
}

async fn seed(app: &App, n: usize) {
    let db = app.db();
    let new = NewOrganisation::parse(
        "hov",
        "Hands Off Venezuela",
        "Europe/London",
        "bench@example.org",
    )
    .unwrap();
    app.organisations().bootstrap(new).await.unwrap();
    let org = entity::organisation::Entity::find()
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let now = Utc::now();
    let rows: Vec<entity::event::ActiveModel> = (0..n)
        .map(|i| {
            let t = times(i);
            entity::event::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                organisation_id: Set(org.id),
                campaign_id: Set(None),
                slug: Set(format!("public-meeting-{i}")),
                kind: Set(EventKind::PublicMeeting),
                title: Set(format!(
                    "Public meeting {i}: solidarity, workers' control; and more"
                )),
                summary: Set("Report-back from the delegation.".into()),
                description: Set(
                    "Workers at **occupied factories** tell how they run production.".into(),
                ),
                language: Set(Language::english()),
                timezone: Set(t.zone()),
                starts_at: Set(t.starts_at_text()),
                ends_at: Set(t.ends_at_text()),
                all_day: Set(false),
                starts_at_utc: Set(t.starts_utc()),
                ends_at_utc: Set(t.ends_utc()),
                venue: Set(Some("Conway Hall".into())),
                address: Set(None),
                locality: Set(Some("London".into())),
                region: Set(None),
                postal_code: Set(None),
                country: Set(Country::parse("GB").ok()),
                latitude: Set(None),
                longitude: Set(None),
                online_url: Set(None),
                parent_id: Set(None),
                capacity: Set(None),
                waitlist: Set(false),
                rsvp_mode: Set(RsvpMode::Open),
                rsvp_closes_at: Set(None),
                status: Set(EventStatus::Published),
                visibility: Set(Visibility::Public),
                sequence: Set(0),
                going_count: Set(0),
                waitlist_count: Set(0),
                cancel_reason: Set(None),
                cancelled_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
        })
        .collect();
    for chunk in rows.chunks(500) {
        entity::event::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    turnout::db::content_changed(db).await.unwrap();
}

/// The first request for the site feed: query, render, hash and gzip.
async fn bench_http() {
    for n in [1_000, 10_000] {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            database_url: format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
            bind: "127.0.0.1:0".into(),
            run_worker: false,
            ..Config::default()
        };
        let app = App::build(config).await.unwrap();
        seed(&app, n).await;
        let url = format!("http://127.0.0.1:{}/calendar.ics", app.port());
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::new();
        let t = Instant::now();
        let first = client.get(&url).send().await.unwrap();
        let size = first.bytes().await.unwrap().len();
        println!(
            "feed of {n} events from SQLite: first (uncached) request {:.1} ms, {} KiB",
            t.elapsed().as_secs_f64() * 1e3,
            size / 1024
        );
    }
}

fn main() {
    turnout::telemetry::init("off", std::io::sink);
    bench_render();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench_http());
}
