//! A deployment of several processes on one database: two `turnout serve` and a
//! `turnout worker` keep capacity, signatures, reminders and email delivery right
//! between them, and each stops gracefully on SIGTERM: a server finishes the request
//! in flight, a worker hands back the emails it claimed.

use std::{
    collections::HashSet,
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

use crate::helpers::*;
use crate::smtp::Received;

/// Poll `check` until it holds; panics naming `what` after `limit`.
async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Wait until `count` emails with this subject have arrived.
async fn wait_for_subject(app: &TestApp, subject: &str, count: usize) {
    eventually(
        &format!("{count} emails \u{201c}{subject}\u{201d}"),
        Duration::from_secs(15),
        || async { with_subject(&app.smtp.all(), subject) >= count },
    )
    .await;
}

fn with_subject(emails: &[Received], subject: &str) -> usize {
    emails.iter().filter(|e| e.subject() == subject).count()
}

/// The subjects of every email to `address`, in the order they arrived.
fn subjects_to(app: &TestApp, address: &str) -> Vec<String> {
    app.smtp.to(address).iter().map(Received::subject).collect()
}

/// A supporter's POST to `base` (either server); the status and the JSON body.
async fn post_to(app: &TestApp, base: &str, path: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{base}{path}"))
        .json(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON body");
    (status, body)
}

/// A published Toronto meeting starting `hours` from now, with these RSVP settings.
async fn meeting_in_hours(
    app: &TestApp,
    token: &str,
    title: &str,
    hours: i64,
    settings: Value,
) -> Value {
    let toronto = chrono_tz::America::Toronto;
    let starts = (Utc::now() + chrono::Duration::hours(hours)).with_timezone(&toronto);
    let ends = starts + chrono::Duration::hours(2);
    let format = "%Y-%m-%dT%H:%M";
    let event = event_at(
        title,
        "public_meeting",
        "America/Toronto",
        &starts.format(format).to_string(),
        &ends.format(format).to_string(),
    );
    app.published_event(token, with(event, settings)).await
}

/// Make an event's RSVPs look as if they had been made `days` ago, before the
/// 24-hour window of an event that starts soon.
async fn backdate_rsvps_of(app: &TestApp, event: &str, days: i64) {
    let event = uuid::Uuid::parse_str(event).expect("an event id");
    let db = app.database().await;
    entity::rsvp::Entity::update_many()
        .col_expr(
            entity::rsvp::Column::CreatedAt,
            Expr::value(Utc::now() - chrono::Duration::days(days)),
        )
        .filter(entity::rsvp::Column::EventId.eq(event))
        .exec(&db)
        .await
        .expect("RSVPs backdated");
    let _ = db.close().await;
}

/// Two server processes (the test's app and `turnout serve`) and a `turnout worker`
/// on one database, as a deployment behind a load balancer runs them. Supporters'
/// requests land on either server; only the worker process sends email.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_and_a_worker_on_one_database_keep_seats_signatures_reminders_and_emails_right()
{
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let other = app.another_server().await;
    let _worker = app.worker_process();
    let servers = [app.address.clone(), other.address.clone()];

    // (a) 90 people RSVP at once to 30 seats, half through each server.
    let film = app
        .event_with_seats(&token, json!({ "capacity": 30, "waitlist": true }))
        .await;
    let path = format!("/api/v1/public/events/{}/rsvps", id_of(&film));
    let attendees: Vec<String> = (0..90).map(|i| format!("film{i}@example.org")).collect();
    let replies = futures_util::future::join_all(attendees.iter().enumerate().map(|(i, email)| {
        let body = json!({ "email": email, "name": name_of(email) });
        let (app, base, path) = (&app, &servers[i % 2], &path);
        async move { post_to(app, base, path, &body).await }
    }))
    .await;
    let mut going = Vec::new();
    let mut waitlisted = Vec::new();
    for (email, (status, body)) in attendees.iter().zip(&replies) {
        assert_eq!(*status, 201, "RSVP of {email}: {body}");
        match body["status"].as_str() {
            Some("going") => going.push(email.clone()),
            Some("waitlisted") => waitlisted.push(email.clone()),
            other => panic!("RSVP of {email} is {other:?}: {body}"),
        }
    }
    assert_eq!(
        (going.len(), waitlisted.len()),
        (30, 60),
        "30 seats, none oversold"
    );
    let film = app.event(&token, id_of(&film)).await;
    assert_eq!(
        (&film["going_count"], &film["waitlist_count"]),
        (&json!(30), &json!(60))
    );
    wait_for_subject(&app, "You’re going to Film night", 30).await;
    wait_for_subject(&app, "You’re on the waitlist for Film night", 60).await;

    // (b) Three people sign one petition eight times each, however they type their
    // address, through both servers at once.
    let petition = app
        .published_petition(
            &token,
            json!({ "title": "Free the Inveval workers", "target": "The ministry" }),
        )
        .await;
    let petition = id_of(&petition);
    let path = format!("/api/v1/public/petitions/{petition}/signatures");
    let spellings = |local: &str| {
        [
            format!("{local}@example.org"),
            format!("{}@Example.org", name_of(local)),
            format!("{}@EXAMPLE.ORG", local.to_uppercase()),
        ]
    };
    let signers = ["ana", "ben", "cai"];
    let attempts: Vec<String> = (0..8)
        .flat_map(|round| signers.map(|local| spellings(local)[round % 3].clone()))
        .collect();
    let replies = futures_util::future::join_all(attempts.iter().enumerate().map(|(i, email)| {
        let body = json!({ "email": email, "name": name_of(email) });
        let (app, base, path) = (&app, &servers[i % 2], &path);
        async move { post_to(app, base, path, &body).await }
    }))
    .await;
    for (email, (status, body)) in attempts.iter().zip(&replies) {
        assert_eq!(*status, 202, "signature of {email}: {body}");
        assert_eq!(body["status"], "pending_confirmation", "{email}: {body}");
    }
    let signatures = items(
        app.get(&format!("/api/v1/petitions/{petition}/signatures"), &token)
            .await
            .expect(200),
    );
    let signed: HashSet<String> = signatures
        .iter()
        .map(|s| s["email"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    assert_eq!(signatures.len(), 3, "one signature each: {signatures:?}");
    assert_eq!(
        signed,
        signers.iter().map(|s| format!("{s}@example.org")).collect()
    );
    let confirm = "Confirm your signature: Free the Inveval workers";
    wait_for_subject(&app, confirm, 3).await;

    // (c) An event tomorrow morning, RSVP'd to days ago: the worker reminds those
    // going, while a second worker process joins (a rolling deploy overlaps them).
    let picket = meeting_in_hours(
        &app,
        &token,
        "Picket planning",
        2,
        json!({ "capacity": 3, "waitlist": true }),
    )
    .await;
    let path = format!("/api/v1/public/events/{}/rsvps", id_of(&picket));
    let mut reminded = Vec::new();
    let mut not_reminded = Vec::new();
    for i in 0..4 {
        let email = format!("early{i}@example.org");
        let body = json!({ "email": email, "name": name_of(&email) });
        let (status, reply) = post_to(&app, &servers[i % 2], &path, &body).await;
        assert_eq!(status, 201, "{reply}");
        match reply["status"].as_str() {
            Some("going") => reminded.push(email),
            _ => not_reminded.push(email),
        }
    }
    assert_eq!((reminded.len(), not_reminded.len()), (3, 1));
    wait_for_subject(&app, "You’re going to Picket planning", 3).await;
    wait_for_subject(&app, "You’re on the waitlist for Picket planning", 1).await;
    let _second_worker = app.worker_process();
    backdate_rsvps_of(&app, id_of(&picket), 3).await;
    wait_for_subject(&app, "Tomorrow: Picket planning", 3).await;

    // Give a double delivery (or a second reminder) the time to show itself.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    for email in &going {
        assert_eq!(subjects_to(&app, email), ["You’re going to Film night"]);
    }
    for email in &waitlisted {
        assert_eq!(
            subjects_to(&app, email),
            ["You’re on the waitlist for Film night"]
        );
    }
    for local in signers {
        assert_eq!(
            subjects_to(&app, &format!("{local}@example.org")),
            [confirm],
            "one confirmation email to {local}"
        );
    }
    for email in &reminded {
        assert_eq!(
            subjects_to(&app, email),
            [
                "You’re going to Picket planning",
                "Tomorrow: Picket planning"
            ]
        );
    }
    for email in &not_reminded {
        assert_eq!(
            subjects_to(&app, email),
            ["You’re on the waitlist for Picket planning"]
        );
    }
    assert_eq!(app.smtp.all().len(), 90 + 3 + 4 + 3, "no email sent twice");
    for status in ["pending", "sending", "failed"] {
        assert_eq!(
            app.outbox(&token, status).await,
            Vec::<Value>::new(),
            "{status}"
        );
    }
}

/// Read from `stream` into `buf` until it holds `marker`, for up to 10 s.
async fn read_until_marker(stream: &mut TcpStream, buf: &mut Vec<u8>, marker: &[u8]) {
    let read = async {
        while !buf.windows(marker.len()).any(|w| w == marker) {
            let mut chunk = [0u8; 1024];
            let n = stream.read(&mut chunk).await.expect("the connection reads");
            assert!(
                n > 0,
                "closed before {marker:?}: {}",
                String::from_utf8_lossy(buf)
            );
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the server answers within 10 s");
}

/// Whether a new connection to `port` gets `GET /healthz` answered: `false` when the
/// connection is refused, or closed or reset without an answer. A slow answer
/// counts as served (the server may just be busy).
async fn serves_new_connections(port: u16) -> bool {
    let exchange = async {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
            return false;
        };
        let request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if stream.write_all(request).await.is_err() {
            return false;
        }
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        answer.starts_with(b"HTTP/1.1 200")
    };
    tokio::time::timeout(Duration::from_secs(3), exchange)
        .await
        .unwrap_or(true)
}

/// A supporter is half-way through sending their signature when the server is told
/// to stop: it stops taking new connections, but reads the rest of the request,
/// records the signature, answers as always, and then exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_a_server_finishes_the_request_in_flight_and_takes_no_new_ones() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = app
        .published_petition(
            &token,
            json!({ "title": "Free them", "target": "The ministry", "require_confirmation": false }),
        )
        .await;
    let petition = id_of(&petition);
    let mut server = app.server_process().await;

    let body = serde_json::to_vec(&json!({ "email": "ana@example.org", "name": "Ana" }))
        .expect("a JSON body");
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .expect("the server accepts a connection");
    let head = format!(
        "POST /api/v1/public/petitions/{petition}/signatures HTTP/1.1\r\n\
         Host: 127.0.0.1:{}\r\n\
         Content-Type: application/json\r\n\
         Content-Length: {}\r\n\
         Expect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        server.port,
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("the headers are sent");
    // `100 Continue` comes once the handler reads the body: the request is in flight.
    let mut answer = Vec::new();
    read_until_marker(&mut stream, &mut answer, b"\r\n\r\n").await;
    assert!(
        answer.starts_with(b"HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    stream
        .write_all(first_half)
        .await
        .expect("half the body is sent");

    server.process.terminate();
    eventually(
        "the stopping server refuses new connections",
        Duration::from_secs(10),
        || async { !serves_new_connections(server.port).await },
    )
    .await;
    // Give a server that dropped the request in flight the time to show it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream
        .write_all(second_half)
        .await
        .expect("the rest of the body is sent");

    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .expect("the response within 10 s")
        .expect("the response is read");
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let json_start = response.find('{').expect("a JSON body");
    let reply: Value =
        serde_json::from_str(response[json_start..].trim_end()).expect("a JSON body");
    assert_eq!(reply["status"], "confirmed", "{response}");

    let exit = server.process.exit_within(Duration::from_secs(10)).await;
    assert!(
        exit.is_some_and(|s| s.success()),
        "the server should exit cleanly within 10 s: {exit:?}"
    );
    let signatures = items(
        app.get(&format!("/api/v1/petitions/{petition}/signatures"), &token)
            .await
            .expect(200),
    );
    assert_eq!(signatures.len(), 1, "{signatures:?}");
    assert_eq!(signatures[0]["email"], "ana@example.org");
    assert_eq!(signatures[0]["status"], "confirmed");
    let public = app
        .get_public(&format!("/api/v1/public/petitions/{petition}"))
        .await;
    assert_eq!(public.expect(200)["signature_count"], 1);
}

/// An SMTP server that takes each message and never says whether it accepted it:
/// every send into it stays in flight.
struct Tarpit {
    port: u16,
    /// Messages received in full and left unanswered.
    held: Arc<AtomicUsize>,
}

impl Tarpit {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = listener.local_addr().expect("a bound address").port();
        let held = Arc::new(AtomicUsize::new(0));
        let counter = held.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(Self::session(socket, counter.clone()));
            }
        });
        Self { port, held }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    async fn session(socket: TcpStream, held: Arc<AtomicUsize>) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut read = BufReader::new(read);
        write.write_all(b"220 tarpit.test ESMTP\r\n").await?;
        let mut in_data = false;
        let mut line = Vec::new();
        loop {
            line.clear();
            if read.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end();
            if in_data {
                if text == "." {
                    held.fetch_add(1, Ordering::SeqCst);
                    // Never answer; keep the connection open until the client leaves.
                    while read.read_until(b'\n', &mut line).await? > 0 {}
                    return Ok(());
                }
                continue;
            }
            let verb = text
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250 tarpit.test\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 End data with <CR><LF>.<CR><LF>\r\n"
                }
                "QUIT" => b"221 Bye\r\n",
                _ => b"250 OK\r\n",
            };
            write.write_all(reply).await?;
            if verb == "QUIT" {
                return Ok(());
            }
        }
    }
}

/// A worker stopped while its SMTP server hangs on five sends gives up on them
/// within its grace period and hands them back: the emails are pending again, with
/// no attempt counted and no claim left, so the next worker sends them at once
/// instead of after the lease, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_a_worker_releases_the_emails_it_claimed_for_the_next_worker() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 50 }))
        .await;
    let people: Vec<String> = (0..5).map(|i| format!("held{i}@example.org")).collect();
    for email in &people {
        app.rsvp(id_of(&event), email, json!({})).await.expect(201);
    }
    let queued: HashSet<String> = app
        .outbox(&token, "pending")
        .await
        .iter()
        .map(|e| id_of(e).to_owned())
        .collect();
    assert_eq!(queued.len(), 5);

    let tarpit = Tarpit::start().await;
    let mut worker = app.worker_process_sending_to(&tarpit.url());
    eventually(
        "the worker sends five emails into the tarpit",
        Duration::from_secs(15),
        || async { tarpit.held() == 5 },
    )
    .await;
    let sending = app.outbox(&token, "sending").await;
    assert_eq!(sending.len(), 5, "claimed while in flight: {sending:?}");

    worker.terminate();
    let exit = worker.exit_within(Duration::from_secs(15)).await;
    assert!(
        exit.is_some_and(|s| s.success()),
        "the worker should exit cleanly within 15 s of SIGTERM: {exit:?}"
    );

    assert_eq!(app.outbox(&token, "sending").await, Vec::<Value>::new());
    let pending = app.outbox(&token, "pending").await;
    let released: HashSet<String> = pending.iter().map(|e| id_of(e).to_owned()).collect();
    assert_eq!(released, queued, "every claimed email is pending again");
    for email in &pending {
        assert_eq!(
            email["attempts"], 0,
            "an unfinished send is no attempt: {email}"
        );
    }
    let db = app.database().await;
    let rows = entity::outbox_email::Entity::find()
        .all(&db)
        .await
        .expect("the outbox reads");
    let _ = db.close().await;
    assert_eq!(rows.len(), 5);
    for row in &rows {
        assert_eq!(row.status.as_str(), "pending", "{row:?}");
        assert_eq!(row.locked_until, None, "no claim left behind: {row:?}");
    }

    let _next = app.worker_process();
    wait_for_subject(&app, "You’re going to Film night", 5).await;
    // Give a double delivery the time to show itself.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for email in &people {
        assert_eq!(subjects_to(&app, email), ["You’re going to Film night"]);
    }
    assert_eq!(app.smtp.all().len(), 5);
    assert_eq!(app.outbox(&token, "sent").await.len(), 5);
}
