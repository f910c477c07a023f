//! A mailing to 5,000 supporters in three languages (issue 19, point 6): each
//! address receives it exactly once, in its language, with a one-click unsubscribe
//! that works; a second worker process delivering at the same time and the SMTP
//! server going away in the middle change nothing.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter},
    net::{TcpListener, TcpStream},
};

use crate::consent::one_click_unsubscribe;
use crate::helpers::*;
use crate::mailings::{Consenting, seed_consenting};
use entity::domain::Locale;

const PEOPLE: usize = 5_000;

/// The sender of the emails the `turnout worker` process delivers.
const SECOND_WORKER_FROM: &str = "Turnout <noreply@worker.localhost>";

const SUBJECTS: [(Locale, &str); 3] = [
    (Locale::En, "The strike fund needs you"),
    (Locale::Es, "El fondo de huelga te necesita"),
    (Locale::Fr, "La caisse de grève a besoin de toi"),
];

/// A mail relay between the app and the test's SMTP server that the test can take
/// down and bring back, as a mail server restarting or a network outage does.
///
/// Down, it takes no new session, and ends the ones open at the next command, or
/// before the final `.` of a message being sent (so that message never arrives).
/// It never cuts between that `.` and the server's answer: a message the server took
/// whose answer is lost is a duplicate no sender can avoid (RFC 5321 §6.1, which
/// is why the final reply should come fast), and not what this test is about.
struct Relay {
    port: u16,
    to: Arc<AtomicU16>,
    down: Arc<AtomicBool>,
    /// Sessions refused or ended while down.
    cut: Arc<AtomicUsize>,
}

impl Relay {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = listener.local_addr().expect("a bound address").port();
        let relay = Self {
            port,
            to: Arc::new(AtomicU16::new(0)),
            down: Arc::new(AtomicBool::new(false)),
            cut: Arc::new(AtomicUsize::new(0)),
        };
        let (to, down, cut) = (relay.to.clone(), relay.down.clone(), relay.cut.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if down.load(Ordering::SeqCst) {
                    cut.fetch_add(1, Ordering::SeqCst);
                    drop(client);
                    continue;
                }
                let port = to.load(Ordering::SeqCst);
                tokio::spawn(Self::session(client, port, down.clone(), cut.clone()));
            }
        });
        relay
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Relay to the SMTP server on `port` from now on.
    fn forward_to(&self, port: u16) {
        self.to.store(port, Ordering::SeqCst);
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn cut(&self) -> usize {
        self.cut.load(Ordering::SeqCst)
    }

    async fn session(
        client: TcpStream,
        port: u16,
        down: Arc<AtomicBool>,
        cut: Arc<AtomicUsize>,
    ) -> std::io::Result<()> {
        let server = TcpStream::connect(("127.0.0.1", port)).await?;
        client.set_nodelay(true)?;
        server.set_nodelay(true)?;
        let (client_read, mut client_write) = client.into_split();
        let (mut server_read, server_write) = server.into_split();
        // The server's answers go back as they come, until the server ends the session.
        let answers =
            tokio::spawn(async move { tokio::io::copy(&mut server_read, &mut client_write).await });
        let mut commands = BufReader::new(client_read);
        let mut to_server = BufWriter::new(server_write);
        let mut in_data = false;
        let mut line = Vec::new();
        loop {
            line.clear();
            if commands.read_until(b'\n', &mut line).await? == 0 {
                break;
            }
            let end_of_data = in_data && line.as_slice() == b".\r\n";
            if down.load(Ordering::SeqCst) && (!in_data || end_of_data) {
                cut.fetch_add(1, Ordering::SeqCst);
                break;
            }
            if end_of_data {
                in_data = false;
            } else if !in_data && line.eq_ignore_ascii_case(b"DATA\r\n") {
                in_data = true;
            }
            to_server.write_all(&line).await?;
            if commands.buffer().is_empty() {
                to_server.flush().await?;
            }
        }
        // The server sees the client gone and ends the session; its last answers
        // (if any) still go back, then the client sees the connection close.
        to_server.flush().await?;
        to_server.into_inner().shutdown().await?;
        let _ = answers.await;
        Ok(())
    }
}

/// Retries that ride out a few seconds' outage without giving up: the harness'
/// quick ones give up after four attempts within a quarter of a second.
fn patient_retries() -> turnout::config::RetryPolicy {
    turnout::config::RetryPolicy {
        max_attempts: 30,
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(500),
        lease: Duration::from_secs(60),
    }
}

fn address(i: usize) -> String {
    format!("s{i:04}@example.org")
}

/// The language `i` reads in: a third each, half of them chosen by the supporter
/// and half from the form they consented on.
fn locale_of(i: usize) -> Locale {
    SUBJECTS[i % 3].0
}

fn subject_of(locale: Locale) -> &'static str {
    SUBJECTS
        .iter()
        .find(|(l, _)| *l == locale)
        .map(|(_, s)| *s)
        .unwrap_or_default()
}

/// Poll `check` until it holds; panics naming `what` after `limit`.
async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mailing_to_5000_arrives_once_each_in_their_language_through_two_workers_and_an_outage() {
    let started = Instant::now();
    let relay = Relay::start().await;
    let relay_url = relay.url();
    let app = spawn_app_configured(|config| {
        config.smtp_url = Some(relay_url);
        config.retry = patient_retries();
    })
    .await;
    relay.forward_to(app.smtp.port);
    let token = app.owner_of("lrbc").await;

    let people: Vec<Consenting> = (0..PEOPLE)
        .map(|i| Consenting {
            email: address(i),
            locale: (i % 2 == 0).then(|| locale_of(i)),
            // Those who chose a language consented on a form in another.
            consent_locale: if i % 2 == 0 {
                locale_of(i + 1)
            } else {
                locale_of(i)
            },
        })
        .collect();
    let db = app.database().await;
    seed_consenting(&db, "lrbc", &people).await;
    let seeded = started.elapsed();

    let subject: serde_json::Map<String, Value> = SUBJECTS
        .iter()
        .map(|(l, s)| (l.as_str().to_owned(), json!(s)))
        .collect();
    let body: serde_json::Map<String, Value> = SUBJECTS
        .iter()
        .map(|(l, s)| (l.as_str().to_owned(), json!(format!("**{s}** ({l})."))))
        .collect();
    let made = app
        .post_json(
            "/api/v1/mailings",
            &token,
            &json!({
                "organisation": "lrbc",
                "audience": { "kind": "subscribers" },
                "subject": subject,
                "body": body,
            }),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(made["recipients"], PEOPLE, "{made}");
    let id = id_of(&made).to_owned();

    // A `turnout worker` process and the app's own worker deliver side by side. The
    // process signs its emails with another sender, so the test can tell that both
    // took part.
    let mut second_worker = KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_turnout"))
            .arg("worker")
            .env("TURNOUT_DATABASE_URL", &app.database_url)
            .env("TURNOUT_PUBLIC_URL", "http://127.0.0.1")
            .env("TURNOUT_SMTP_URL", relay.url())
            .env("TURNOUT_MAIL_RATE", "0")
            .env("TURNOUT_MAIL_FROM", SECOND_WORKER_FROM)
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("turnout worker starts"),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = {
        let (worker, stop) = (app.worker.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                worker.run_once().await.expect("a worker round");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    let sending = app
        .post_json(&format!("/api/v1/mailings/{id}/send"), &token, &json!({}))
        .await
        .expect(200)
        .clone();
    assert_eq!(sending["status"], "sending", "{sending}");
    let sent_at = Instant::now();

    // The mail server goes away a third of the way through, for two seconds.
    eventually(
        "a third of the mailing delivered",
        Duration::from_secs(30),
        || async { app.smtp.count() >= PEOPLE / 3 },
    )
    .await;
    relay.set_down(true);
    let before_outage = app.smtp.count();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during_outage = app.smtp.count() - before_outage;
    relay.set_down(false);
    assert!(relay.cut() > 0, "the outage cut no session");

    // What failed in the outage is retried: the app's worker after a fraction of a
    // second, the worker process (default policy) after half a minute, which the
    // test does not wait for: it moves those retries to now.
    eventually(
        "all 5,000 delivered and the outbox drained",
        Duration::from_secs(45),
        || async {
            entity::outbox_email::Entity::update_many()
                .col_expr(
                    entity::outbox_email::Column::NextAttemptAt,
                    Expr::value(Utc::now()),
                )
                .filter(entity::outbox_email::Column::Status.eq("pending"))
                .filter(entity::outbox_email::Column::NextAttemptAt.gt(Utc::now()))
                .exec(&db)
                .await
                .expect("retries moved to now");
            app.smtp.count() >= PEOPLE
                && turnout::email::delivery::pending(&db)
                    .await
                    .expect("the outbox reads")
                    == 0
        },
    )
    .await;
    let delivered_in = sent_at.elapsed();
    // Give a second delivery the time to show itself.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    rounds.await.expect("the app's worker ran without error");
    assert!(
        second_worker.0.try_wait().expect("a process").is_none(),
        "the worker process kept running through the outage"
    );

    let retried = entity::outbox_email::Entity::find()
        .filter(entity::outbox_email::Column::Attempts.gt(1))
        .count(&db)
        .await
        .expect("the outbox reads");
    assert!(retried > 0, "the outage failed no send");

    // Exactly one email each, in their language.
    let received = app.smtp.all();
    let mut by_recipient: HashMap<String, Vec<usize>> = HashMap::new();
    for (n, email) in received.iter().enumerate() {
        for to in &email.envelope_to {
            by_recipient.entry(to.to_lowercase()).or_default().push(n);
        }
    }
    let twice: Vec<&String> = by_recipient
        .iter()
        .filter(|(_, n)| n.len() > 1)
        .map(|(to, _)| to)
        .collect();
    assert!(
        twice.is_empty(),
        "{} received it twice: {twice:?}",
        twice.len()
    );
    let missing: Vec<String> = (0..PEOPLE)
        .map(address)
        .filter(|a| !by_recipient.contains_key(a))
        .collect();
    assert!(
        missing.is_empty(),
        "{} never received it: {missing:?}",
        missing.len()
    );
    assert_eq!(received.len(), PEOPLE, "nobody else was written to");
    let mut wrong_language = Vec::new();
    for i in 0..PEOPLE {
        let email = &received[by_recipient[&address(i)][0]];
        let expected = subject_of(locale_of(i));
        if email.subject() != expected {
            wrong_language.push((address(i), email.subject(), expected));
        }
    }
    assert!(
        wrong_language.is_empty(),
        "{} in the wrong language, first: {:?}",
        wrong_language.len(),
        wrong_language.first()
    );

    let path = format!("/api/v1/mailings/{id}");
    eventually(
        "the mailing reported sent",
        Duration::from_secs(10),
        || async { app.get(&path, &token).await.expect(200)["status"] == "sent" },
    )
    .await;
    let done = app.get(&path, &token).await.expect(200).clone();
    assert_eq!(
        (&done["recipients"], &done["sent"], &done["failed"]),
        (&json!(PEOPLE), &json!(PEOPLE), &json!(0)),
        "{done}"
    );

    // Both workers delivered their share.
    let by_second = received
        .iter()
        .filter(|e| e.header("From").as_deref() == Some(SECOND_WORKER_FROM))
        .count();
    assert!(
        by_second > 0 && by_second < PEOPLE,
        "the worker process delivered {by_second} of {PEOPLE}"
    );

    // One click unsubscribes, whichever language it came in.
    for i in [0, 1, 2, 4_999] {
        let email = &received[by_recipient[&address(i)][0]];
        let link = email
            .header("List-Unsubscribe")
            .expect("List-Unsubscribe")
            .trim_matches(['<', '>'])
            .to_owned();
        one_click_unsubscribe(&app, &link).await.expect(200);
    }
    let after = app
        .get(&format!("/api/v1/mailings/{id}"), &token)
        .await
        .expect(200)
        .clone();
    assert_eq!(after["unsubscribed"], 4, "{after}");
    let next = app
        .post_json(
            "/api/v1/mailings",
            &token,
            &json!({
                "organisation": "lrbc",
                "audience": { "kind": "subscribers" },
                "subject": { "en": "Next" },
                "body": { "en": "Next." },
            }),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(next["recipients"], PEOPLE - 4, "{next}");

    println!(
        "{PEOPLE} recipients: seeded in {:.1} s, delivered in {:.1} s through a {} s \
         outage ({during_outage} arrived during it, {} sessions cut, {retried} emails \
         retried), {by_second} by the worker process, whole test {:.1} s",
        seeded.as_secs_f64(),
        delivered_in.as_secs_f64(),
        2,
        relay.cut(),
        started.elapsed().as_secs_f64(),
    );
    let _ = db.close().await;
}
