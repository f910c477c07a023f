//! Petition benchmark (not a test): signatures per second over HTTP against a
//! release build, each with its confirmation email queued, and the latency people
//! see; then the public petition (with its count) read under load. Run with
//! `cargo bench --bench signatures`; `TURNOUT_BENCH_DATABASE_URL=postgres://…`
//! measures PostgreSQL instead of a SQLite file. The figures go in BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at the first surprise"
)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};
mod common;

use common::{database_url, percentile};
use turnout::{
    app::App,
    config::Config,
    organisations::service::{NewOrganisation, bootstrap},
};

/// `concurrency` clients send requests made by `request(i)` for `duration`; the
/// count, the elapsed time and the sorted latencies.
async fn drive(
    concurrency: usize,
    duration: Duration,
    request: impl Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
    expect: u16,
) -> (usize, Duration, Vec<Duration>) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let request = Arc::new(request);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let next = next.clone();
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < duration {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    let response = request(&client, i).send().await.unwrap();
                    assert_eq!(response.status().as_u16(), expect);
                    response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    (latencies.len(), elapsed, latencies)
}

fn report(what: &str, (count, elapsed, latencies): &(usize, Duration, Vec<Duration>)) {
    println!(
        "{what}: {count} in {:.1} s: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        elapsed.as_secs_f64(),
        *count as f64 / elapsed.as_secs_f64(),
        percentile(latencies, 0.5).as_secs_f64() * 1e3,
        percentile(latencies, 0.99).as_secs_f64() * 1e3,
    );
}

async fn bench() {
    const CONCURRENCY: usize = 32;
    const DURATION: Duration = Duration::from_secs(10);
    let dir = tempfile::tempdir().unwrap();
    let database_url = database_url(dir.path()).await;
    let backend = if database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let config = Config {
        database_url,
        bind: "127.0.0.1:0".into(),
        run_worker: false,
        mail_dir: dir.path().join("mail"),
        // One load generator on one address: the limits would stop it at once.
        sign_limit_per_client: 0,
        sign_limit_per_email: 0,
        ..Config::default()
    };
    let app = App::build(config).await.unwrap();
    let token = bootstrap(
        app.db(),
        NewOrganisation::parse(
            "hov",
            "Hands Off Venezuela",
            "Europe/London",
            "o@example.org",
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let db = app.db().clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let petition: Value = client
        .post(format!("{base}/api/v1/petitions"))
        .bearer_auth(&token)
        .json(&json!({
            "title": "Revoke Article 50", "target": "the House of Commons",
            "fields": { "country": "optional", "comment": "optional" },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = petition["id"].as_str().unwrap().to_owned();
    client
        .post(format!("{base}/api/v1/petitions/{id}/publish"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    let url = format!("{base}/api/v1/public/petitions/{id}/signatures");
    let signed = drive(
        CONCURRENCY,
        DURATION,
        move |client, i| {
            client.post(&url).json(&json!({
                "email": format!("signer{i}@example.org"),
                "name": format!("Signer {i}"),
                "country": "GB",
                "public": i % 2 == 0,
            }))
        },
        202,
    )
    .await;
    report(
        &format!("{backend}: signatures (confirmation email queued), {CONCURRENCY} clients"),
        &signed,
    );
    let queued = turnout::email::worker::pending(&db).await.unwrap();
    assert_eq!(queued as usize, signed.0, "one email queued per signature");

    let url = format!("{base}/api/v1/public/petitions/{id}");
    let read = drive(
        CONCURRENCY,
        DURATION / 2,
        move |client, _| client.get(&url),
        200,
    )
    .await;
    report(
        &format!("{backend}: public petition with its count, {CONCURRENCY} clients"),
        &read,
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
