//! A mailing to 100,000 (not a test): issue 19 asks that sending it queue every email
//! in under 10 s, that a `turnout worker` deliver at least 2,000 emails a second to
//! an SMTP server that takes everything, and that neither the server nor the worker
//! hold more than 150 MB resident at their peak.
//!
//! The release binary runs as a deployment runs it: `turnout serve` (its worker
//! off) takes the organiser's `POST /api/v1/mailings/{id}/send`, then a `turnout
//! worker` process (`TURNOUT_MAIL_RATE=0`) delivers to an SMTP sink in this process.
//! The recipients, each with an active consent, are written straight into the
//! database first. Run with `cargo bench --bench mailing`; on PostgreSQL with
//! `TURNOUT_BENCH_DATABASE_URL` (see `benches/common`); `TURNOUT_BENCH_RECIPIENTS`
//! (100000) for a smaller run. It checks what it measured (every recipient
//! received exactly one email, the mailing reports them sent) and stops at the
//! first surprise. The figures go in BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at the first surprise"
)]

#[allow(dead_code, reason = "the load driver is for the load benchmark")]
mod common;

use std::{
    collections::HashMap,
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use entity::{
    domain::{Email, Locale},
    values::{ConsentForm, ConsentStatus},
};
use mailin_embedded::{Handler, SslConfig, response};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use serde_json::{Value, json};

/// Recipients of the mailing, unless `TURNOUT_BENCH_RECIPIENTS` says otherwise.
const RECIPIENTS: usize = 100_000;
/// Rows written per statement while seeding.
const SEED_CHUNK: usize = 1_000;

const SUBJECTS: [(Locale, &str); 3] = [
    (Locale::En, "The strike fund needs you"),
    (Locale::Es, "El fondo de huelga te necesita"),
    (Locale::Fr, "La caisse de grève a besoin de toi"),
];

fn address(i: usize) -> String {
    format!("r{i}@example.org")
}

fn main() {
    turnout::telemetry::init("off", std::io::sink);
    let recipients = match std::env::var("TURNOUT_BENCH_RECIPIENTS") {
        Ok(v) if !v.is_empty() => v
            .parse()
            .unwrap_or_else(|_| panic!("TURNOUT_BENCH_RECIPIENTS: a whole number, not {v:?}")),
        _ => RECIPIENTS,
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(recipients));
}

/// A `turnout` process, killed when dropped.
struct Process(Child);

impl Process {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_turnout"));
        command
            .args(args)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        Self(command.spawn().expect("the turnout binary starts"))
    }

    /// Its peak resident memory so far (`VmHWM`), in KiB.
    fn peak_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id()))
            .expect("/proc/PID/status reads");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("a VmHWM line")
    }

    fn assert_running(&mut self, what: &str) {
        if let Some(status) = self.0.try_wait().unwrap() {
            panic!("{what} exited: {status}");
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An SMTP server that takes every message, counts it by recipient and keeps nothing.
#[derive(Clone, Default)]
struct Sink {
    by_recipient: Arc<Mutex<HashMap<String, u32>>>,
    delivered: Arc<AtomicUsize>,
    first: Arc<OnceLock<Instant>>,
    last: Arc<Mutex<Option<Instant>>>,
    to: Vec<String>,
}

impl Handler for Sink {
    fn rcpt(&mut self, to: &str) -> mailin_embedded::Response {
        self.to.push(to.trim_matches(['<', '>']).to_owned());
        response::OK
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        let now = Instant::now();
        let _ = self.first.set(now);
        *self.last.lock().unwrap() = Some(now);
        let mut counts = self.by_recipient.lock().unwrap();
        for to in self.to.drain(..) {
            *counts.entry(to).or_insert(0) += 1;
        }
        self.delivered.fetch_add(1, Ordering::Relaxed);
        response::OK
    }
}

impl Sink {
    fn start() -> (String, Self) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = Self::default();
        let mut server = mailin_embedded::Server::new(sink.clone());
        server
            .with_name("sink")
            .with_ssl(SslConfig::None)
            .unwrap()
            // More threads than a worker keeps connections, so none waits here.
            .with_num_threads(16)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        (format!("smtp://127.0.0.1:{port}"), sink)
    }

    fn delivered(&self) -> usize {
        self.delivered.load(Ordering::Relaxed)
    }
}

/// `recipients` supporters with an active consent to `organisation`, as if each had
/// joined and followed the emailed link; a third each in English, Spanish, French.
async fn seed(db: &DatabaseConnection, organisation: &str, recipients: usize) {
    let org = entity::organisation::Entity::find()
        .filter(entity::organisation::Column::Slug.eq(organisation))
        .one(db)
        .await
        .unwrap()
        .expect("the organisation exists");
    let now = chrono::Utc::now();
    let indices: Vec<usize> = (0..recipients).collect();
    for chunk in indices.chunks(SEED_CHUNK) {
        let mut supporters = Vec::with_capacity(chunk.len());
        let mut consents = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let id = uuid::Uuid::now_v7();
            let email = address(i);
            let locale = SUBJECTS[i % 3].0;
            supporters.push(entity::supporter::ActiveModel {
                id: Set(id),
                email_key: Set(email.clone()),
                email: Set(Email::parse(&email).unwrap().into()),
                name: Set(format!("Recipient {i}")),
                locale: Set((i % 2 == 0).then_some(locale)),
                subscribed: Set(false),
                unsubscribed_at: Set(None),
                feed_token: Set(id.to_string()),
                erased_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
            consents.push(entity::consent::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                organisation_id: Set(org.id),
                supporter_id: Set(id),
                status: Set(ConsentStatus::Active),
                words: Set(format!("Send me news from {} by email", org.name)),
                form: Set(ConsentForm::Join),
                source: Set(None),
                locale: Set(locale),
                asked_at: Set(now),
                confirmed_at: Set(Some(now)),
                withdrawn_at: Set(None),
            });
        }
        let txn = db.begin().await.unwrap();
        entity::supporter::Entity::insert_many(supporters)
            .exec(&txn)
            .await
            .unwrap();
        entity::consent::Entity::insert_many(consents)
            .exec(&txn)
            .await
            .unwrap();
        txn.commit().await.unwrap();
    }
}

async fn outbox_rows(db: &DatabaseConnection) -> u64 {
    entity::outbox_email::Entity::find()
        .count(db)
        .await
        .unwrap()
}

async fn answer(response: reqwest::Response, expected: u16) -> Value {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(status, expected, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Wait until `done` holds, polling every `every`; panics naming `what` after `limit`.
async fn wait_until<F, Fut>(what: &str, limit: Duration, every: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(every).await;
    }
}

fn mb(kib: u64) -> String {
    format!("{kib} KiB = {:.0} MB", kib as f64 * 1024.0 / 1e6)
}

async fn run(recipients: usize) {
    let dir = tempfile::tempdir().unwrap();
    let database_url = common::database_url(dir.path()).await;
    let backend = common::backend(&database_url);
    let mail_dir = dir.path().join("mail");
    let mail_dir = mail_dir.to_str().unwrap();

    // The organisation, made as an operator makes it (this also migrates).
    let bootstrap = Command::new(env!("CARGO_BIN_EXE_turnout"))
        .args([
            "admin",
            "bootstrap",
            "--org-slug",
            "hov",
            "--org-name",
            "Hands Off Venezuela",
            "--timezone",
            "Europe/London",
            "--email",
            "owner@example.org",
        ])
        .env("TURNOUT_DATABASE_URL", &database_url)
        .env("TURNOUT_MAIL_DIR", mail_dir)
        .env("TURNOUT_WORKER", "false")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        bootstrap.status.success(),
        "{}",
        String::from_utf8_lossy(&bootstrap.stderr)
    );
    let token = String::from_utf8_lossy(&bootstrap.stdout)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .to_owned();

    let db = sea_orm::Database::connect(database_url.as_str())
        .await
        .unwrap();
    let t = Instant::now();
    seed(&db, "hov", recipients).await;
    println!(
        "mailing {backend}: {recipients} consenting recipients seeded in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let (smtp_url, sink) = Sink::start();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let bind = format!("127.0.0.1:{port}");
    let mut server = Process::start(
        &["serve"],
        &[
            ("TURNOUT_DATABASE_URL", &database_url),
            ("TURNOUT_BIND", &bind),
            ("TURNOUT_PUBLIC_URL", &base),
            ("TURNOUT_WORKER", "false"),
            ("TURNOUT_SMTP_URL", &smtp_url),
            ("TURNOUT_MAIL_DIR", mail_dir),
        ],
    );
    let client = reqwest::Client::new();
    let ready = format!("{base}/readyz");
    wait_until(
        "turnout serve ready",
        Duration::from_secs(60),
        Duration::from_millis(50),
        || async {
            client
                .get(&ready)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        },
    )
    .await;
    server.assert_running("turnout serve");
    let server_idle = server.peak_kib();

    let subject: serde_json::Map<String, Value> = SUBJECTS
        .iter()
        .map(|(l, s)| (l.as_str().to_owned(), json!(s)))
        .collect();
    let body: serde_json::Map<String, Value> = SUBJECTS
        .iter()
        .map(|(l, s)| {
            (
                l.as_str().to_owned(),
                json!(format!(
                    "**{s}.**\n\nThe workers of the Inveval valve factory have been out for \
                     twelve weeks. [Give to the strike fund](https://example.org/give) ({l})."
                )),
            )
        })
        .collect();
    let t = Instant::now();
    let draft = answer(
        client
            .post(format!("{base}/api/v1/mailings"))
            .bearer_auth(&token)
            .json(&json!({
                "organisation": "hov",
                "audience": { "kind": "subscribers" },
                "subject": subject,
                "body": body,
            }))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let drafted_in = t.elapsed();
    let server_after_draft = server.peak_kib();
    assert_eq!(draft["recipients"], recipients, "{draft}");
    let id = draft["id"].as_str().unwrap().to_owned();

    // (a) From the organiser's click to every email in the outbox.
    let before = outbox_rows(&db).await;
    let t = Instant::now();
    let sending = answer(
        client
            .post(format!("{base}/api/v1/mailings/{id}/send"))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let answered_in = t.elapsed();
    assert_eq!(sending["status"], "sending", "{sending}");
    wait_until(
        "every email in the outbox",
        Duration::from_secs(120),
        Duration::from_millis(20),
        || async { outbox_rows(&db).await - before >= recipients as u64 },
    )
    .await;
    let queued_in = t.elapsed();
    let server_after_send = server.peak_kib();
    println!(
        "mailing {backend}: draft counted {recipients} in {:.2} s; send answered in {:.2} s, \
         all {recipients} emails in the outbox {:.2} s after the click (target < 10 s)",
        drafted_in.as_secs_f64(),
        answered_in.as_secs_f64(),
        queued_in.as_secs_f64(),
    );

    // (b) A worker process drains the outbox to the sink.
    let t = Instant::now();
    let mut worker = Process::start(
        &["worker"],
        &[
            ("TURNOUT_DATABASE_URL", &database_url),
            ("TURNOUT_PUBLIC_URL", &base),
            ("TURNOUT_SMTP_URL", &smtp_url),
            ("TURNOUT_MAIL_DIR", mail_dir),
            ("TURNOUT_MAIL_RATE", "0"),
        ],
    );
    let limit = Duration::from_secs(60) + Duration::from_millis(recipients as u64 * 10);
    let mut last_report = Instant::now();
    wait_until(
        "every email delivered",
        limit,
        Duration::from_millis(10),
        || {
            if last_report.elapsed() > Duration::from_secs(10) {
                println!("  … {} delivered", sink.delivered());
                last_report = Instant::now();
            }
            let delivered = sink.delivered();
            async move { delivered >= recipients }
        },
    )
    .await;
    let delivered_in = t.elapsed();
    wait_until(
        "the outbox drained",
        Duration::from_secs(60),
        Duration::from_millis(20),
        || async { turnout::email::delivery::pending(&db).await.unwrap() == 0 },
    )
    .await;
    let drained_in = t.elapsed();
    worker.assert_running("turnout worker");
    let first = *sink.first.get().unwrap();
    let last = sink.last.lock().unwrap().unwrap();
    let streaming = last.duration_since(first);
    println!(
        "mailing {backend}: worker delivered {recipients} in {:.2} s from its start \
         ({:.0}/s; {:.0}/s from the first email to the last), outbox drained at {:.2} s \
         (target ≥ 2,000/s)",
        delivered_in.as_secs_f64(),
        recipients as f64 / delivered_in.as_secs_f64(),
        (recipients.saturating_sub(1)) as f64 / streaming.as_secs_f64().max(1e-9),
        drained_in.as_secs_f64(),
    );

    // A duplicate would come from a lease lapsing; give it a moment to show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counts = sink.by_recipient.lock().unwrap().clone();
    let twice = counts.values().filter(|&&n| n > 1).count();
    let missing = (0..recipients)
        .filter(|&i| !counts.contains_key(&address(i)))
        .count();
    let delivered = sink.delivered();
    println!("mailing {backend}: {delivered} delivered, {missing} missing, {twice} twice");

    // (c) Peak resident memory of each process.
    let server_peak = server.peak_kib();
    let worker_peak = worker.peak_kib();
    println!(
        "mailing {backend}: peak resident memory: server {}, worker {} (target < 150 MB each); \
         the server's peak once ready {}, after the draft's count {}, after the send {}",
        mb(server_peak),
        mb(worker_peak),
        mb(server_idle),
        mb(server_after_draft),
        mb(server_after_send),
    );

    let done = answer(
        client
            .get(format!("{base}/api/v1/mailings/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    println!(
        "mailing {backend}: status {}, recipients {}, sent {}, failed {}",
        done["status"], done["recipients"], done["sent"], done["failed"]
    );
    assert_eq!(delivered, recipients, "every email delivered, none more");
    assert_eq!(missing, 0, "every recipient has their email");
    assert_eq!(twice, 0, "no email twice");
    assert_eq!(done["sent"], recipients, "{done}");

    drop(worker);
    drop(server);
    db.close().await.unwrap();
    common::drop_database(&database_url).await;
}

/// A free local port, for `turnout serve` to bind.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
