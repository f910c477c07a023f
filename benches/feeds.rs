//! Feed benchmarks (not tests): the time to render a feed of 100, 1,000 and 10,000
//! events, the time to build one from the database, and the requests per second a
//! cached feed answers (200 and 304). Run with `cargo bench --bench feeds`; the
//! figures go in BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at the first surprise"
)]

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait};
use turnout::{
    app::App,
    calendar::{CalendarEvent, FeedMeta, Method, render},
    config::Config,
    domain::{EventTimes, TimeZone},
    events::model::{EventKind, EventStatus, Location},
    organisations::service::{NewOrganisation, bootstrap},
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
        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() + chrono::Duration::days((i % 700) as i64);
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
            location: Some(Location {
                venue: Some("Conway Hall".into()),
                address: Some("25 Red Lion Square".into()),
                locality: Some("London".into()),
                country: Some("GB".into()),
                latitude: Some(51.52),
                longitude: Some(-0.1186),
                ..Location::default()
            }),
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
    bootstrap(db, new).await.unwrap();
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
                kind: Set("public_meeting".into()),
                title: Set(format!(
                    "Public meeting {i}: solidarity, workers' control; and more"
                )),
                summary: Set("Report-back from the delegation.".into()),
                description: Set(
                    "Workers at **occupied factories** tell how they run production.".into(),
                ),
                language: Set("en".into()),
                timezone: Set(t.zone().to_string()),
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
                country: Set(Some("GB".into())),
                latitude: Set(None),
                longitude: Set(None),
                online_url: Set(None),
                parent_id: Set(None),
                capacity: Set(None),
                waitlist: Set(false),
                rsvp_mode: Set("open".into()),
                rsvp_closes_at: Set(None),
                status: Set("published".into()),
                visibility: Set("public".into()),
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

/// Requests per second and latency percentiles of GET `url` from `concurrency` clients for `secs`.
async fn load(
    url: &str,
    headers: &[(&'static str, String)],
    concurrency: usize,
    secs: u64,
) -> (f64, Duration, Duration) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let url = url.to_owned();
            let headers = headers.to_vec();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let mut req = client.get(&url);
                    for (name, value) in &headers {
                        req = req.header(*name, value);
                    }
                    let resp = req.send().await.unwrap();
                    let _ = resp.bytes().await.unwrap();
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort();
    let rps = all.len() as f64 / secs as f64;
    (rps, all[all.len() / 2], all[all.len() * 99 / 100])
}

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
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let size = first.bytes().await.unwrap().len();
        println!(
            "feed of {n} events from SQLite: first (uncached) request {:.1} ms, {} KiB",
            t.elapsed().as_secs_f64() * 1e3,
            size / 1024
        );
        if n == 1_000 {
            let (rps, p50, p99) = load(&url, &[], 32, 5).await;
            println!(
                "  cached 200: {rps:>8.0} req/s, p50 {:.2} ms, p99 {:.2} ms (32 clients, 5 s)",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
            let gzip = [("Accept-Encoding", "gzip".to_owned())];
            let zipped = client.get(&url).headers(
                [(reqwest::header::ACCEPT_ENCODING, "gzip".parse().unwrap())]
                    .into_iter()
                    .collect(),
            );
            let zipped_size = zipped.send().await.unwrap().bytes().await.unwrap().len();
            let (rps, p50, p99) = load(&url, &gzip, 32, 5).await;
            println!(
                "  cached 200 gzipped ({} KiB): {rps:>8.0} req/s, p50 {:.2} ms, p99 {:.2} ms (32 clients, 5 s)",
                zipped_size / 1024,
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
            let (rps, p50, p99) = load(&url, &[("If-None-Match", etag.clone())], 32, 5).await;
            println!(
                "  cached 304: {rps:>8.0} req/s, p50 {:.2} ms, p99 {:.2} ms (32 clients, 5 s)",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
        }
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
