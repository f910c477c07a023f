//! Load generator (not a test): drives a release build over loopback with a fixed
//! number of clients for a fixed time and prints, one line a measurement, the
//! throughput and p50/p95/p99 latency of what supporters and calendar apps do most:
//!
//! - `signatures`: petition signatures, each with its confirmation email queued;
//! - `rsvps`: RSVPs to an event whose capacity the run overflows into its waitlist;
//! - `events`: the public event list;
//! - `feed`: the site-wide feed, cached (gzipped 200), unchanged (304), and read
//!   while an organiser changes an event every 100 ms;
//! - `petition`: the public petition with its count;
//! - `emails`: the worker draining a queue of emails to a local SMTP server.
//!
//! `cargo bench --bench load` runs them all; `cargo bench --bench load -- signatures
//! rsvps` the ones named. `TURNOUT_BENCH_CONCURRENCY` (32) and `TURNOUT_BENCH_SECONDS`
//! (10) set the clients and the time of each measurement; `TURNOUT_BENCH_EMAILS`
//! (4000) the emails the worker drains; `TURNOUT_BENCH_DATABASE_URL=postgres://…`
//! runs on a fresh PostgreSQL schema instead of a SQLite file. Each scenario checks
//! what it measured (no seat oversold, one email a signature, each email delivered
//! once) and stops at the first surprise. The figures go in BENCHMARKS.md.
//!
//! Each scenario starts its own app, as `turnout serve` would, on its own runtime of
//! two worker threads in its own OS thread, apart from the load generator's runtime:
//! otherwise the clients' tasks would queue among the server's and be measured as
//! its latency.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at the first surprise"
)]

use std::{
    collections::HashMap,
    net::TcpListener,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use entity::values::RsvpStatus;
use futures_util::StreamExt;
use mailin_embedded::{Handler, SslConfig, response};
use reqwest::header::{ACCEPT_ENCODING, ETAG, IF_NONE_MATCH};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use turnout::{app::App, config::Config, jobs::Worker, organisations::service::NewOrganisation};
mod common;

use common::{drive, report};

/// Seats of the RSVP scenario's event: far fewer than any run asks for (RSVPs
/// bring up to two guests), so most of the run meets a full event and its waitlist.
const CAPACITY: usize = 500;
/// Published events behind the public list and the feed: a busy group's year.
const EVENTS: usize = 1_000;
/// Confirmed signatures behind the public petition's count.
const PETITION_SIGNERS: usize = 500;
/// Clients that seed data (not measured).
const SEEDERS: usize = 8;

const SCENARIOS: [&str; 6] = [
    "signatures",
    "rsvps",
    "events",
    "feed",
    "petition",
    "emails",
];

/// What every scenario is run with.
struct Settings {
    concurrency: usize,
    duration: Duration,
    emails: usize,
}

impl Settings {
    fn from_env() -> Self {
        fn number(name: &str, default: usize) -> usize {
            match std::env::var(name) {
                Ok(v) if !v.is_empty() => v
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}: expected a whole number, got {v:?}")),
                _ => default,
            }
        }
        Self {
            concurrency: number("TURNOUT_BENCH_CONCURRENCY", 32).max(1),
            duration: Duration::from_secs(number("TURNOUT_BENCH_SECONDS", 10) as u64),
            emails: number("TURNOUT_BENCH_EMAILS", 4_000),
        }
    }
}

/// What the server's thread hands back once the app is up.
struct Started {
    base: String,
    token: String,
    backend: &'static str,
    db: DatabaseConnection,
    worker: Worker,
    runtime: tokio::runtime::Handle,
}

/// A running app, its owner's token, and the way to run work on its runtime.
struct Server {
    base: String,
    token: String,
    backend: &'static str,
    db: DatabaseConnection,
    worker: Worker,
    runtime: tokio::runtime::Handle,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Server {
    /// A fresh database and app (rate limits off: one load generator on one address
    /// would meet them at once; the worker off: scenarios start it when they mean to).
    async fn start(smtp_url: Option<String>) -> Self {
        let (ready, started) = tokio::sync::oneshot::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("server-worker")
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let dir = tempfile::tempdir().unwrap();
                    let database_url = common::database_url(dir.path()).await;
                    let config = Config {
                        database_url: database_url.clone(),
                        bind: "127.0.0.1:0".into(),
                        smtp_url,
                        mail_dir: dir.path().join("mail"),
                        run_worker: false,
                        limits: turnout::config::RateLimits::OFF,
                        ..Config::default()
                    };
                    let app = App::build(config).await.unwrap();
                    let token = app
                        .organisations()
                        .bootstrap(
                            NewOrganisation::parse(
                                "hov",
                                "Hands Off Venezuela",
                                "Europe/London",
                                "owner@example.org",
                            )
                            .unwrap(),
                        )
                        .await
                        .unwrap();
                    let db = app.db().clone();
                    let _ = ready.send(Started {
                        base: format!("http://127.0.0.1:{}", app.port()),
                        token,
                        backend: common::backend(&database_url),
                        db: db.clone(),
                        worker: app.worker().clone(),
                        runtime: tokio::runtime::Handle::current(),
                    });
                    let serving = tokio::spawn(app.run_until_stopped());
                    let _ = stopped.await;
                    serving.abort();
                    let _ = serving.await;
                    db.close().await.unwrap();
                    common::drop_database(&database_url).await;
                });
            })
            .unwrap();
        let Started {
            base,
            token,
            backend,
            db,
            worker,
            runtime,
        } = started.await.unwrap();
        Self {
            base,
            token,
            backend,
            db,
            worker,
            runtime,
            stop,
            thread,
        }
    }

    /// Run `work` on the server's runtime (database checks, the email worker), where
    /// its connection pool lives.
    async fn on_server<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> T {
        self.runtime.spawn(work).await.unwrap()
    }

    async fn pending_emails(&self) -> u64 {
        let db = self.db.clone();
        self.on_server(async move { turnout::email::delivery::pending(&db).await.unwrap() })
            .await
    }

    /// Stop serving, drop the database, and wait for the server's thread to end.
    async fn stop(self) {
        let Self {
            stop,
            thread,
            db,
            worker,
            ..
        } = self;
        // The server closes its pool; nothing here should hold a connection.
        drop((db, worker));
        let _ = stop.send(());
        tokio::task::spawn_blocking(move || thread.join().unwrap())
            .await
            .unwrap();
    }

    /// POST `body` as the organiser; the answer's JSON.
    async fn post(&self, client: &reqwest::Client, path: &str, body: &Value) -> Value {
        answer(
            client
                .post(format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// POST without a body as the organiser (publishing).
    async fn publish(&self, client: &reqwest::Client, path: &str) {
        answer(
            client
                .post(format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap(),
        )
        .await;
    }

    /// A published petition; its id.
    async fn petition(&self, client: &reqwest::Client, require_confirmation: bool) -> String {
        let petition = self
            .post(
                client,
                "/api/v1/petitions",
                &json!({
                    "title": "Revoke Article 50", "target": "the House of Commons",
                    "body": "We call on the government to revoke Article 50.",
                    "require_confirmation": require_confirmation,
                    "fields": { "country": "optional", "comment": "optional" },
                }),
            )
            .await;
        let id = petition["id"].as_str().unwrap().to_owned();
        self.publish(client, &format!("/api/v1/petitions/{id}/publish"))
            .await;
        id
    }

    /// A published event, the `i`th of a season; its id.
    async fn event(&self, client: &reqwest::Client, i: usize, capacity: Option<usize>) -> String {
        const ZONES: [&str; 5] = [
            "America/Toronto",
            "America/Caracas",
            "Europe/London",
            "America/Montreal",
            "America/Tegucigalpa",
        ];
        const KINDS: [&str; 4] = ["screening", "workshop", "public_meeting", "social"];
        let day = chrono::Utc::now().date_naive() + chrono::Days::new(7 + (i % 365) as u64);
        let event = self
            .post(
                client,
                "/api/v1/events",
                &json!({
                    "kind": KINDS[i % KINDS.len()],
                    "title": format!("Public meeting {i}: solidarity with the occupied factories"),
                    "summary": "Report-back from the delegation, with films and food.",
                    "description": "Workers at **occupied factories** tell how they run production.\n\nFree entry.",
                    "timezone": ZONES[i % ZONES.len()],
                    "starts_at": format!("{day}T{:02}:00", 9 + i % 10),
                    "ends_at": format!("{day}T{:02}:30", 10 + i % 10),
                    "location": {
                        "venue": "Conway Hall", "address": "25 Red Lion Square",
                        "locality": "London", "country": "GB",
                    },
                    "capacity": capacity,
                    "waitlist": capacity.is_some(),
                }),
            )
            .await;
        let id = event["id"].as_str().unwrap().to_owned();
        self.publish(client, &format!("/api/v1/events/{id}/publish"))
            .await;
        id
    }

    /// `n` published events, made over the API.
    async fn events(&self, n: usize) -> Vec<String> {
        let client = common::client(SEEDERS);
        futures_util::stream::iter(0..n)
            .map(|i| self.event(&client, i, None))
            .buffer_unordered(SEEDERS)
            .collect()
            .await
    }
}

/// The JSON of a successful answer; anything else stops the benchmark.
async fn answer(response: reqwest::Response) -> Value {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// `total` signatures of petition `id`, `signer{i}@example.org`, before a
/// measurement (not measured).
async fn sign(base: &str, id: &str, total: usize) {
    let client = common::client(SEEDERS);
    let url = format!("{base}/api/v1/public/petitions/{id}/signatures");
    futures_util::stream::iter(0..total)
        .map(|i| {
            let request = client.post(&url).json(&signature(i));
            async move { answer(request.send().await.unwrap()).await }
        })
        .buffer_unordered(SEEDERS)
        .collect::<Vec<_>>()
        .await;
}

fn signature(i: usize) -> Value {
    json!({
        "email": format!("signer{i}@example.org"),
        "name": format!("Signer {i}"),
        "country": "GB",
        "public": i.is_multiple_of(2),
    })
}

async fn signatures(settings: &Settings) {
    let server = Server::start(None).await;
    let client = common::client(1);
    let id = server.petition(&client, true).await;
    let url = format!("{}/api/v1/public/petitions/{id}/signatures", server.base);
    let signed = drive(
        settings.concurrency,
        settings.duration,
        move |client, i| client.post(&url).json(&signature(i)).send(),
        // 202: pending confirmation, the email queued.
        &[202],
    )
    .await;
    report("signatures", server.backend, settings.concurrency, &signed);
    let petition = uuid::Uuid::parse_str(&id).unwrap();
    let db = server.db.clone();
    let rows = server
        .on_server(async move {
            entity::signature::Entity::find()
                .filter(entity::signature::Column::PetitionId.eq(petition))
                .count(&db)
                .await
                .unwrap()
        })
        .await;
    let queued = server.pending_emails().await;
    println!(
        "signatures: {} accepted, {rows} signatures, {queued} emails queued",
        signed.count
    );
    assert_eq!(rows as usize, signed.count, "one signature per 202");
    assert_eq!(queued as usize, signed.count, "one email per signature");
    server.stop().await;
}

async fn rsvps(settings: &Settings) {
    let server = Server::start(None).await;
    let client = common::client(1);
    let id = server.event(&client, 0, Some(CAPACITY)).await;
    let url = format!("{}/api/v1/public/events/{id}/rsvps", server.base);
    let answered = drive(
        settings.concurrency,
        settings.duration,
        move |client, i| {
            client
                .post(&url)
                .json(&json!({
                    "email": format!("supporter{i}@example.org"),
                    "name": format!("Supporter {i}"),
                    "guests": i % 3,
                }))
                .send()
        },
        // 201 going or waitlisted (each email is new, so never the 200 of a
        // second answer); a 409 would mean the waitlist was refused.
        &[200, 201],
    )
    .await;
    report("rsvps", server.backend, settings.concurrency, &answered);
    let event = uuid::Uuid::parse_str(&id).unwrap();
    let db = server.db.clone();
    let rows = server
        .on_server(async move {
            entity::rsvp::Entity::find()
                .filter(entity::rsvp::Column::EventId.eq(event))
                .all(&db)
                .await
                .unwrap()
        })
        .await;
    let going: usize = rows
        .iter()
        .filter(|r| r.status == RsvpStatus::Going)
        .map(|r| 1 + r.guests as usize)
        .sum();
    let waitlisted = rows
        .iter()
        .filter(|r| r.status == RsvpStatus::Waitlisted)
        .count();
    let shown = answer(
        client
            .get(format!("{}/api/v1/public/events/{id}", server.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let queued = server.pending_emails().await;
    println!(
        "rsvps: {} RSVPs, {going} going of capacity {CAPACITY}, {waitlisted} waitlisted, \
         {} oversold, {queued} emails queued",
        rows.len(),
        going.saturating_sub(CAPACITY),
    );
    assert_eq!(rows.len(), answered.count, "one RSVP per answer");
    assert!(going <= CAPACITY, "{going} seats going of {CAPACITY}");
    assert!(
        waitlisted > 0,
        "the run never filled the event: raise TURNOUT_BENCH_SECONDS"
    );
    assert_eq!(
        shown["going_count"], going,
        "the event shows the seats taken"
    );
    assert_eq!(queued as usize, answered.count, "one email per RSVP");
    server.stop().await;
}

async fn events(settings: &Settings) {
    let server = Server::start(None).await;
    server.events(EVENTS).await;
    let url = format!("{}/api/v1/public/events", server.base);
    let page = answer(common::client(1).get(&url).send().await.unwrap()).await;
    let listed = page["items"].as_array().unwrap().len();
    let listing = drive(
        settings.concurrency,
        settings.duration,
        move |client, _| client.get(&url).send(),
        &[200],
    )
    .await;
    report("events", server.backend, settings.concurrency, &listing);
    println!("events: {EVENTS} published, {listed} a page");
    assert_eq!(listed, 50, "the default page is full");
    server.stop().await;
}

async fn feed(settings: &Settings) {
    let server = Server::start(None).await;
    let ids = server.events(EVENTS).await;
    let url = format!("{}/calendar.ics", server.base);
    let client = common::client(1);
    let first = client
        .get(&url)
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()[ETAG].to_str().unwrap().to_owned();
    let size = first.bytes().await.unwrap().len();

    let get = url.clone();
    let cached = drive(
        settings.concurrency,
        settings.duration,
        move |client, _| client.get(&get).header(ACCEPT_ENCODING, "gzip").send(),
        &[200],
    )
    .await;
    report("feed-gzip", server.backend, settings.concurrency, &cached);

    let get = url.clone();
    let tag = etag.clone();
    let unchanged = drive(
        settings.concurrency,
        settings.duration,
        move |client, _| {
            client
                .get(&get)
                .header(ACCEPT_ENCODING, "gzip")
                .header(IF_NONE_MATCH, &tag)
                .send()
        },
        &[304],
    )
    .await;
    report("feed-304", server.backend, settings.concurrency, &unchanged);

    // An organiser renames events every 100 ms while calendar apps poll with the
    // last ETag any of them saw: 304 until the feed changes, then one 200 each
    // until the new ETag is known.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let writing = writing.clone();
        let client = client.clone();
        let base = server.base.clone();
        let token = server.token.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            // An organiser waits for each change to be saved: when one takes longer
            // than 100 ms, the next follows at once rather than in a burst.
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut saved = Vec::new();
            while writing.load(Ordering::Relaxed) {
                tick.tick().await;
                let changes = saved.len();
                let id = &ids[changes % ids.len()];
                let title = format!("Renamed meeting {changes}");
                let sent = Instant::now();
                answer(
                    client
                        .patch(format!("{base}/api/v1/events/{id}"))
                        .bearer_auth(&token)
                        .json(&json!({ "title": title }))
                        .send()
                        .await
                        .unwrap(),
                )
                .await;
                saved.push(sent.elapsed());
            }
            saved
        })
    };
    let latest = Arc::new(Mutex::new(etag));
    let rebuilt = Arc::new(AtomicUsize::new(0));
    let get = url.clone();
    let (tag, misses) = (latest.clone(), rebuilt.clone());
    let reading = drive(
        settings.concurrency,
        settings.duration,
        move |client, _| {
            let request = client
                .get(&get)
                .header(ACCEPT_ENCODING, "gzip")
                .header(IF_NONE_MATCH, tag.lock().unwrap().as_str());
            let (tag, misses) = (tag.clone(), misses.clone());
            async move {
                let response = request.send().await?;
                if response
                    .headers()
                    .get("x-cache")
                    .is_some_and(|v| v == "miss")
                {
                    misses.fetch_add(1, Ordering::Relaxed);
                }
                if response.status() == 200 {
                    *tag.lock().unwrap() = response.headers()[ETAG].to_str().unwrap().to_owned();
                }
                Ok::<_, reqwest::Error>(response)
            }
        },
        &[200, 304],
    )
    .await;
    writing.store(false, Ordering::Relaxed);
    let mut saved = writer.await.unwrap();
    saved.sort_unstable();
    let changes = saved.len();
    report(
        "feed-changing",
        server.backend,
        settings.concurrency,
        &reading,
    );
    // The feed trusts its version for a second; after that the last change shows.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let text = client
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("\r\n ", "");
    let last = format!("Renamed meeting {}", changes - 1);
    println!(
        "feed: {EVENTS} events, {} KiB gzipped, {changes} changes while reading \
         (PATCH p50 {:.2} ms, max {:.2} ms), {} rebuilt, every read 200 or 304, \
         last change shown: {}",
        size / 1024,
        common::percentile(&saved, 0.5).as_secs_f64() * 1e3,
        saved[changes - 1].as_secs_f64() * 1e3,
        rebuilt.load(Ordering::Relaxed),
        text.contains(&last),
    );
    assert!(text.contains(&last), "the feed shows {last:?}");
    server.stop().await;
}

async fn petition(settings: &Settings) {
    let server = Server::start(None).await;
    let client = common::client(1);
    let id = server.petition(&client, false).await;
    sign(&server.base, &id, PETITION_SIGNERS).await;
    let url = format!("{}/api/v1/public/petitions/{id}", server.base);
    let get = url.clone();
    let read = drive(
        settings.concurrency,
        settings.duration,
        move |client, _| client.get(&get).send(),
        &[200],
    )
    .await;
    report("petition", server.backend, settings.concurrency, &read);
    let shown = answer(client.get(&url).send().await.unwrap()).await;
    println!(
        "petition: signature_count {} of {PETITION_SIGNERS} signed",
        shown["signature_count"]
    );
    assert_eq!(shown["signature_count"], PETITION_SIGNERS);
    server.stop().await;
}

/// An SMTP server that counts each message by recipient, and keeps nothing else.
#[derive(Clone, Default)]
struct CountingSmtp {
    by_recipient: Arc<Mutex<HashMap<String, usize>>>,
    delivered: Arc<AtomicUsize>,
    to: Vec<String>,
}

impl Handler for CountingSmtp {
    fn rcpt(&mut self, to: &str) -> mailin_embedded::Response {
        self.to.push(to.trim_matches(['<', '>']).to_owned());
        response::OK
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        let mut counts = self.by_recipient.lock().unwrap();
        for to in self.to.drain(..) {
            *counts.entry(to).or_insert(0) += 1;
        }
        self.delivered.fetch_add(1, Ordering::Relaxed);
        response::OK
    }
}

fn start_smtp() -> (String, CountingSmtp) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let counter = CountingSmtp::default();
    let mut server = mailin_embedded::Server::new(counter.clone());
    server
        .with_name("bench")
        .with_ssl(SslConfig::None)
        .unwrap()
        // More threads than the worker keeps connections, so none waits here.
        .with_num_threads(16)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (format!("smtp://127.0.0.1:{port}"), counter)
}

async fn emails(settings: &Settings) {
    let (smtp_url, smtp) = start_smtp();
    let server = Server::start(Some(smtp_url)).await;
    let client = common::client(1);
    let id = server.petition(&client, true).await;
    let total = settings.emails;
    sign(&server.base, &id, total).await;
    assert_eq!(server.pending_emails().await as usize, total);

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = server.worker.clone();
    let started = Instant::now();
    let working = server.runtime.spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let limit = Duration::from_secs(60) + Duration::from_millis(50 * total as u64);
    while smtp.delivered.load(Ordering::Relaxed) < total {
        assert!(
            started.elapsed() < limit,
            "{} of {total} delivered after {limit:?}",
            smtp.delivered.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delivered_in = started.elapsed();
    // Drained once the worker has recorded the last as sent.
    while server.pending_emails().await > 0 {
        assert!(started.elapsed() < limit, "the outbox never emptied");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let drained_in = started.elapsed();
    // A duplicate would come from a lease lapsing; give it a moment to show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(());
    working.await.unwrap();

    let pool = turnout::email::transport::POOL_SIZE;
    println!(
        "emails {} c={pool} {:.1}s: {total} delivered, {:.0}/s, all arrived in {:.2} s, outbox drained in {:.2} s",
        server.backend,
        drained_in.as_secs_f64(),
        total as f64 / drained_in.as_secs_f64(),
        delivered_in.as_secs_f64(),
        drained_in.as_secs_f64(),
    );
    let counts = smtp.by_recipient.lock().unwrap().clone();
    let twice = counts.values().filter(|&&n| n > 1).count();
    let missing = (0..total)
        .filter(|i| !counts.contains_key(&format!("signer{i}@example.org")))
        .count();
    let delivered = smtp.delivered.load(Ordering::Relaxed);
    println!(
        "emails: {total} queued, {delivered} delivered, {missing} missing, {twice} twice, {} pending",
        server.pending_emails().await
    );
    assert_eq!(delivered, total, "every queued email delivered");
    assert_eq!(missing, 0, "every signer has their email");
    assert_eq!(twice, 0, "no email twice");
    server.stop().await;
}

/// Scenario names from the command line, ignoring the flags cargo adds (`--bench`).
fn chosen() -> Vec<String> {
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for name in &named {
        assert!(
            SCENARIOS.contains(&name.as_str()),
            "unknown scenario {name:?}: expected some of {SCENARIOS:?}"
        );
    }
    if named.is_empty() {
        SCENARIOS.iter().map(|s| (*s).to_owned()).collect()
    } else {
        named
    }
}

async fn bench(settings: Settings, scenarios: Vec<String>) {
    for scenario in scenarios {
        match scenario.as_str() {
            "signatures" => signatures(&settings).await,
            "rsvps" => rsvps(&settings).await,
            "events" => events(&settings).await,
            "feed" => feed(&settings).await,
            "petition" => petition(&settings).await,
            "emails" => emails(&settings).await,
            _ => unreachable!("checked by chosen()"),
        }
    }
}

fn main() {
    turnout::telemetry::init("off", std::io::sink);
    let scenarios = chosen();
    let settings = Settings::from_env();
    // The load generator's own runtime, as many threads as the server's.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load")
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench(settings, scenarios));
    // Servers and clients share this process, so its peak is an upper bound on what
    // one server held under these loads.
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:").map(|kb| kb.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown".into());
    println!("peak resident memory of this process (servers and clients): {peak}");
}
