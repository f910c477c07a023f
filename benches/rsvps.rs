//! RSVP and email benchmarks (not tests): RSVPs per second over HTTP with their
//! confirmation emails queued, on an event whose capacity is enforced, then emails
//! per second delivered by the worker to a local SMTP server. Run with
//! `cargo bench --bench rsvps`; set `TURNOUT_BENCH_DATABASE_URL=postgres://…` to
//! measure PostgreSQL instead of a SQLite file. The figures go in BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at the first surprise"
)]

use std::{
    net::TcpListener,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use mailin_embedded::{Handler, Server, SslConfig, response};
use serde_json::{Value, json};
mod common;

use common::{database_url, percentile};
use turnout::{
    app::App,
    config::Config,
    organisations::service::{NewOrganisation, bootstrap},
};

/// Counts what it accepts, and keeps nothing.
#[derive(Clone, Default)]
struct CountingSmtp(Arc<AtomicUsize>);

impl Handler for CountingSmtp {
    fn data_end(&mut self) -> mailin_embedded::Response {
        self.0.fetch_add(1, Ordering::Relaxed);
        response::OK
    }
}

fn start_smtp() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let counter = CountingSmtp::default();
    let count = counter.0.clone();
    let mut server = Server::new(counter);
    server
        .with_name("bench")
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_num_threads(16)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (format!("smtp://127.0.0.1:{port}"), count)
}

async fn rsvps(
    base: &str,
    event: &str,
    total: usize,
    concurrency: usize,
) -> (Duration, Vec<Duration>, usize) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let next = next.clone();
            let url = format!("{base}/api/v1/public/events/{event}/rsvps");
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut going = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return (latencies, going);
                    }
                    let body = json!({
                        "email": format!("supporter{i}@example.org"),
                        "name": format!("Supporter {i}"),
                        "guests": i % 3,
                    });
                    let sent = Instant::now();
                    let response = client.post(&url).json(&body).send().await.unwrap();
                    assert_eq!(response.status().as_u16(), 201);
                    let answer: Value = response.json().await.unwrap();
                    latencies.push(sent.elapsed());
                    if answer["status"] == "going" {
                        going += 1 + i % 3;
                    }
                }
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    let mut going = 0;
    for task in tasks {
        let (l, g) = task.await.unwrap();
        latencies.extend(l);
        going += g;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    (elapsed, latencies, going)
}

async fn bench() {
    const RSVPS: usize = 4_000;
    const CONCURRENCY: usize = 32;
    const CAPACITY: usize = 2_000;
    let dir = tempfile::tempdir().unwrap();
    let (smtp_url, delivered) = start_smtp();
    let database_url = database_url(dir.path()).await;
    let backend = if database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let config = Config {
        database_url,
        bind: "127.0.0.1:0".into(),
        smtp_url: Some(smtp_url),
        run_worker: false,
        ..Config::default()
    };
    let app = App::build(config).await.unwrap();
    let token = bootstrap(
        app.db(),
        NewOrganisation::parse("lrbc", "LRBC", "America/Toronto", "owner@example.org").unwrap(),
    )
    .await
    .unwrap();
    let worker = app.worker().clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let event: Value = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(&token)
        .json(&json!({
            "kind": "screening", "title": "Premiere", "timezone": "America/Toronto",
            "starts_at": "2027-03-01T19:00", "ends_at": "2027-03-01T21:00",
            "capacity": CAPACITY, "waitlist": true,
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = event["id"].as_str().unwrap().to_owned();
    client
        .post(format!("{base}/api/v1/events/{id}/publish"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    let (elapsed, latencies, going) = rsvps(&base, &id, RSVPS, CONCURRENCY).await;
    assert_eq!(going, CAPACITY, "every seat taken, none oversold");
    println!(
        "{backend}: {RSVPS} RSVPs (capacity {CAPACITY}, with guests), {CONCURRENCY} clients: \
         {:.0} RSVPs/s, p50 {:.1} ms, p99 {:.1} ms",
        RSVPS as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );

    let started = Instant::now();
    let round = worker.run_once().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(round.sent, RSVPS);
    assert_eq!(delivered.load(Ordering::Relaxed), RSVPS);
    println!(
        "{backend}: {} emails rendered and delivered over SMTP (pool of 8): {:.0} emails/s",
        round.sent,
        round.sent as f64 / elapsed.as_secs_f64()
    );
}

fn main() {
    turnout::telemetry::init("off", std::io::sink);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench());
}
