//! What the HTTP benchmarks share: a fresh database, a load driver and percentiles.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::ConnectionTrait;

/// The text `database_url` puts before the schema it made.
const SEARCH_PATH: &str = "options=-c%20search_path%3D";

/// A new PostgreSQL schema when `TURNOUT_BENCH_DATABASE_URL` is set, else a SQLite
/// file in `dir`.
pub async fn database_url(dir: &std::path::Path) -> String {
    match std::env::var("TURNOUT_BENCH_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
            let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
            db.execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                .await
                .unwrap();
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}{SEARCH_PATH}{schema}")
        }
        _ => format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
    }
}

/// Drop the PostgreSQL schema `database_url` made, so repeated runs leave nothing
/// behind; a SQLite file goes with its directory.
pub async fn drop_database(url: &str) {
    let Some((prefix, schema)) = url.rsplit_once(SEARCH_PATH) else {
        return;
    };
    let base = &prefix[..prefix.len() - 1];
    let db = sea_orm::Database::connect(base).await.unwrap();
    db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .await
        .unwrap();
    db.close().await.unwrap();
}

/// How reports name the database behind `url`.
pub fn backend(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
}

/// The `p` quantile of sorted latencies.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// An HTTP client that keeps a connection for each of `concurrency` clients, so a
/// run measures requests, not connection set-up. Built without reqwest's `gzip`
/// feature, it never spends the load generator's time inflating what it asked
/// gzipped.
///
/// reqwest rather than hyper by hand: it is hyper's HTTP/1 client plus a pool,
/// already a dependency, and its few microseconds a request are small beside the
/// server's half millisecond at best; a hand-rolled hyper loop would save little
/// and add a connection manager to maintain.
pub fn client(concurrency: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .build()
        .unwrap()
}

/// What one `drive` saw.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Requests answered (every one with an accepted status).
    pub count: usize,
    /// From the first request sent to the last answer read.
    pub elapsed: Duration,
    /// One a request, sent to body read, sorted.
    pub latencies: Vec<Duration>,
    /// Answers by status.
    pub statuses: BTreeMap<u16, usize>,
}

impl Measurement {
    pub fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }
}

/// `concurrency` clients each send one request at a time, made by `request(client,
/// i)` (`i` counts requests across clients, for unique emails), until `duration`
/// has passed; every answer's body is read. A status outside `accept` stops the
/// benchmark with the body, since figures from a failing server mean nothing.
///
/// `request` returns the response future rather than a request builder so a
/// scenario can keep state across answers (a feed reader's ETag) at no cost to
/// the others: `move |c, _| c.get(&url).send()`.
pub async fn drive<F, Fut>(
    concurrency: usize,
    duration: Duration,
    request: F,
    accept: &[u16],
) -> Measurement
where
    F: Fn(&reqwest::Client, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
{
    let client = client(concurrency);
    let request = Arc::new(request);
    let accept: Arc<[u16]> = accept.into();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let request = request.clone();
            let accept = accept.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut statuses = BTreeMap::new();
                while started.elapsed() < duration {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    let response = request(&client, i).await.unwrap();
                    let status = response.status().as_u16();
                    let body = response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                    assert!(
                        accept.contains(&status),
                        "request {i} answered {status}, expected one of {accept:?}: {}",
                        String::from_utf8_lossy(&body)
                    );
                    *statuses.entry(status).or_insert(0) += 1;
                }
                (latencies, statuses)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut statuses = BTreeMap::new();
    for task in tasks {
        let (l, s) = task.await.unwrap();
        latencies.extend(l);
        for (status, n) in s {
            *statuses.entry(status).or_insert(0) += n;
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Measurement {
        count: latencies.len(),
        elapsed,
        latencies,
        statuses,
    }
}

/// One line a measurement, in a fixed form to grep and compare:
/// `signatures sqlite c=32 10.0s: 7512 ok, 751/s, p50 41.20 ms, p95 70.10 ms, p99 89.00 ms [202: 7512]`.
pub fn report(name: &str, backend: &str, concurrency: usize, m: &Measurement) {
    assert!(m.count > 0, "{name}: no request was answered");
    let ms = |p| percentile(&m.latencies, p).as_secs_f64() * 1e3;
    let statuses = m
        .statuses
        .iter()
        .map(|(status, n)| format!("{status}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "{name} {backend} c={concurrency} {:.1}s: {} ok, {:.0}/s, p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms [{statuses}]",
        m.elapsed.as_secs_f64(),
        m.count,
        m.per_second(),
        ms(0.50),
        ms(0.95),
        ms(0.99),
    );
}
