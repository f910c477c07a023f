//! The test harness: a real `App` on a fresh database, and helpers that speak the
//! HTTP contract the way an organiser or a supporter would.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, ExitStatus, Output, Stdio},
    sync::Once,
    time::Duration,
};

use reqwest::{Method, StatusCode, header::HeaderMap};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tempfile::TempDir;
use turnout::{
    app::App,
    config::RetryPolicy,
    config::{Config, Quota, RateLimits},
    jobs::{Round, Worker},
};

use crate::smtp::SmtpServer;

/// A running Turnout on its own database.
pub struct TestApp {
    /// `http://127.0.0.1:{port}`.
    pub address: String,
    #[allow(dead_code, reason = "for tests that speak to the socket directly")]
    pub port: u16,
    /// The database the app (and the `turnout` binary run by the tests) uses.
    pub database_url: String,
    pub client: reqwest::Client,
    /// Holds the SQLite file and the mail directory; removed when the test ends.
    pub dir: TempDir,
    /// The SMTP server the app sends to.
    pub smtp: SmtpServer,
    /// The app's background jobs; tests run its rounds with `deliver_emails`.
    pub worker: Worker,
}

/// What came back from one request.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON; `Value::Null` when it is not JSON.
    pub body: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Assert the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {}: {}",
            self.status,
            self.text
        );
        &self.body
    }

    /// Assert an RFC 7807 problem with this status.
    #[track_caller]
    pub fn expect_problem(&self, status: u16) -> &Value {
        self.expect(status);
        self.assert_is_problem();
        &self.body
    }

    /// Assert an RFC 7807 problem of any of these statuses (for junk whose exact
    /// refusal the contract leaves open, as long as it is not a 5xx).
    #[track_caller]
    pub fn expect_problem_among(&self, statuses: &[u16]) -> &Value {
        assert!(
            statuses.contains(&self.status.as_u16()),
            "expected one of {statuses:?}, got {}: {}",
            self.status,
            self.text
        );
        self.assert_is_problem();
        &self.body
    }

    #[track_caller]
    fn assert_is_problem(&self) {
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "a {} should be application/problem+json, was {:?}: {}",
            self.status,
            self.content_type(),
            self.text
        );
        let body = &self.body;
        for key in ["type", "title", "detail"] {
            assert!(
                body[key].is_string(),
                "problem without a string `{key}`: {}",
                self.text
            );
        }
        assert_eq!(
            body["status"].as_u64(),
            Some(u64::from(self.status.as_u16())),
            "problem `status` should repeat the HTTP status: {}",
            self.text
        );
    }

    /// The fields named in a 422 problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Assert a 422 problem whose `errors` names `field`.
    #[track_caller]
    pub fn expect_invalid(&self, field: &str) {
        self.expect_problem(422);
        let fields = self.error_fields();
        assert!(
            fields.iter().any(|f| f == field),
            "expected `errors` to name {field:?}, named {fields:?}: {}",
            self.text
        );
    }
}

static TELEMETRY: Once = Once::new();

/// Start the real app on a fresh database, sending to a fresh SMTP server.
/// `TEST_LOG=1` shows its logs.
pub async fn spawn_app() -> TestApp {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    spawn_app_with(smtp, url).await
}

/// Retries a test can wait for: milliseconds instead of minutes.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        first_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(80),
        lease: Duration::from_secs(60),
    }
}

/// As `spawn_app`, with the rate limits on signing set (per client a minute, per
/// address an hour); `spawn_app` has none, as all tests come from 127.0.0.1.
pub async fn spawn_app_with_limits(per_client: u32, per_email: u32) -> TestApp {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    spawn(smtp, url, per_client, per_email, |_| {}).await
}

/// As `spawn_app`, with the SMTP URL given (a port where no server listens yet,
/// say) and the harness' server to read.
pub async fn spawn_app_with(smtp: SmtpServer, smtp_url: String) -> TestApp {
    spawn(smtp, smtp_url, 0, 0, |_| {}).await
}

/// As `spawn_app`, with the configuration changed by `adjust` (Stripe's settings, say).
pub async fn spawn_app_configured(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    spawn(smtp, url, 0, 0, adjust).await
}

async fn spawn(
    smtp: SmtpServer,
    smtp_url: String,
    per_client: u32,
    per_email: u32,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    TELEMETRY.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            turnout::telemetry::init("debug", std::io::stdout);
        } else {
            turnout::telemetry::init("off", std::io::sink);
        }
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database_url = fresh_database(dir.path()).await;
    let mut config = Config {
        database_url: database_url.clone(),
        bind: "127.0.0.1:0".into(),
        public_url: "http://127.0.0.1".into(),
        mail_dir: dir.path().join("mail"),
        smtp_url: Some(smtp_url),
        run_worker: false,
        retry: quick_retries(),
        // Tests send as fast as the server takes; the throttle has its own test.
        mail_rate: None,
        limits: RateLimits {
            sign: Quota::new(per_client, per_email),
            ..RateLimits::OFF
        },
        ..Default::default()
    };
    adjust(&mut config);
    let app = App::build(config).await.expect("the app builds");
    let port = app.port();
    let worker = app.worker().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        database_url,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client"),
        dir,
        smtp,
        worker,
    }
}

/// A new, empty database: a PostgreSQL schema of its own when
/// `TURNOUT_TEST_DATABASE_URL` is set, else a SQLite file in `dir`.
pub async fn fresh_database(dir: &Path) -> String {
    match std::env::var("TURNOUT_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let db = sea_orm::Database::connect(url.as_str())
                .await
                .expect("TURNOUT_TEST_DATABASE_URL answers");
            db.execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                .await
                .expect("a fresh schema");
            let _ = db.close().await;
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}options=-c%20search_path%3D{schema}")
        }
        _ => format!("sqlite://{}/turnout.db?mode=rwc", dir.display()),
    }
}

/// Run the `turnout` binary with its database (and mail directory) set, off the
/// async runtime so the app keeps answering meanwhile.
pub async fn run_turnout(database_url: &str, mail_dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_turnout"));
    command
        .args(args)
        .env("TURNOUT_DATABASE_URL", database_url)
        .env("TURNOUT_MAIL_DIR", mail_dir)
        .env("TURNOUT_WORKER", "false")
        .env_remove("RUST_LOG");
    tokio::task::spawn_blocking(move || command.output().expect("the turnout binary runs"))
        .await
        .expect("the turnout binary finishes")
}

/// As `run_turnout`, with `input` on its stdin.
pub async fn run_turnout_with_input(
    database_url: &str,
    mail_dir: &Path,
    args: &[&str],
    input: &str,
) -> Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_turnout"));
    command
        .args(args)
        .env("TURNOUT_DATABASE_URL", database_url)
        .env("TURNOUT_MAIL_DIR", mail_dir)
        .env("TURNOUT_WORKER", "false")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let input = input.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("the turnout binary runs");
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .expect("stdin takes the input");
        }
        child
            .wait_with_output()
            .expect("the turnout binary finishes")
    })
    .await
    .expect("the turnout binary finishes")
}

/// The last non-empty line of a command's stdout.
pub fn last_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_owned()
}

#[track_caller]
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "turnout failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl TestApp {
    /// Run the worker's rounds until nothing is due: reminders queued, emails sent.
    pub async fn deliver_emails(&self) -> Round {
        self.worker.run_once().await.expect("a worker round")
    }

    /// A supporter RSVPs to an event (by id or slug), with `extra` fields set.
    pub async fn rsvp(&self, event: &str, email: &str, extra: Value) -> Reply {
        let body = with(json!({ "email": email, "name": name_of(email) }), extra);
        self.send(
            Method::POST,
            &format!("/api/v1/public/events/{event}/rsvps"),
            None,
            Some(&body),
            None,
        )
        .await
    }

    /// A published Toronto meeting with these RSVP settings (capacity, waitlist…).
    pub async fn event_with_seats(&self, token: &str, settings: Value) -> Value {
        self.published_event(token, with(meeting("Film night"), settings))
            .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// One request; `token` `None` sends no `Authorization`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        reply(request).await
    }

    /// A request with a body sent exactly as given.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        reply(request).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None, None).await
    }

    /// A request with no token, as a supporter makes it.
    pub async fn get_public(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, None, None).await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body), None)
            .await
    }

    pub async fn post_json_once(&self, path: &str, token: &str, key: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body), Some(key))
            .await
    }

    pub async fn patch_json(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, Some(token), Some(body), None)
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(Method::DELETE, path, Some(token), None, None)
            .await
    }

    // --- organisations and organisers ---------------------------------------------

    /// `turnout admin bootstrap`: an organisation and its owner; the owner's token.
    pub async fn bootstrap_org(
        &self,
        slug: &str,
        name: &str,
        timezone: &str,
        email: &str,
    ) -> String {
        let output = self
            .turnout(&[
                "admin",
                "bootstrap",
                "--org-slug",
                slug,
                "--org-name",
                name,
                "--timezone",
                timezone,
                "--email",
                email,
            ])
            .await;
        assert_success(&output);
        let token = last_line(&output);
        assert!(!token.is_empty(), "bootstrap printed no token");
        token
    }

    /// An organisation in Toronto and its owner's token.
    pub async fn owner_of(&self, slug: &str) -> String {
        self.bootstrap_org(
            slug,
            &format!("The {slug} group"),
            "America/Toronto",
            &format!("owner@{slug}.example.org"),
        )
        .await
    }

    /// `turnout admin sign-in-link` for `email`: the path of the link it prints.
    pub async fn sign_in_path(&self, email: &str) -> String {
        let printed = self
            .turnout(&["admin", "sign-in-link", "--email", email])
            .await;
        assert_success(&printed);
        let link = last_line(&printed);
        let token = link
            .split("/admin/sign-in/")
            .nth(1)
            .unwrap_or_else(|| panic!("not a sign-in link: {link}"));
        format!("/admin/sign-in/{token}")
    }

    /// Run the `turnout` binary against this app's database.
    pub async fn turnout(&self, args: &[&str]) -> Output {
        run_turnout(&self.database_url, &self.dir.path().join("mail"), args).await
    }

    /// Run the `turnout` binary with `input` on its stdin.
    pub async fn turnout_with_input(&self, args: &[&str], input: &str) -> Output {
        run_turnout_with_input(
            &self.database_url,
            &self.dir.path().join("mail"),
            args,
            input,
        )
        .await
    }

    /// A JSON request as it reaches us through a reverse proxy that names the
    /// client in `X-Forwarded-For`.
    pub async fn post_json_via_proxy(
        &self,
        path: &str,
        forwarded_for: &str,
        body: &Value,
    ) -> Reply {
        reply(
            self.client
                .post(self.url(path))
                .header("X-Forwarded-For", forwarded_for)
                .json(body),
        )
        .await
    }

    /// Invite `email` with `role`; the whole reply.
    pub async fn invite(
        &self,
        owner_token: &str,
        organisation: &str,
        email: &str,
        role: &str,
    ) -> Reply {
        self.post_json(
            &format!("/api/v1/organisations/{organisation}/members"),
            owner_token,
            &json!({ "email": email, "role": role }),
        )
        .await
    }

    /// Accept an invitation link by its token; the whole reply.
    pub async fn accept(&self, invitation_url: &str, password: &str) -> Reply {
        let token = invitation_url.rsplit('/').next().unwrap_or_default();
        self.send(
            Method::POST,
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            Some(&json!({ "password": password, "name": "Ana Invited" })),
            None,
        )
        .await
    }

    /// A new member of `organisation` with `role`, who accepted the invitation; their token.
    pub async fn member(
        &self,
        owner_token: &str,
        organisation: &str,
        email: &str,
        role: &str,
    ) -> String {
        self.invite(owner_token, organisation, email, role)
            .await
            .expect(201);
        let url = self
            .emailed_link(email, "http://127.0.0.1/invitations/")
            .await;
        let accepted = self.accept(&url, "correct horse battery").await;
        token_of(&accepted)
    }

    /// Deliver the outbox and read the link starting `prefix` in the latest email to
    /// `address` that has one.
    pub async fn emailed_link(&self, address: &str, prefix: &str) -> String {
        self.deliver_emails().await;
        let emails = self.smtp.to(address);
        let text = emails
            .iter()
            .rev()
            .map(crate::smtp::Received::text)
            .find(|text| text.contains(prefix))
            .unwrap_or_else(|| panic!("no email to {address} has a link starting {prefix:?}"));
        link_in(&text, prefix)
    }

    /// The RSVP the manage link of the last email to `address` opens; that link is
    /// a new one, not `first`'s (each email mints its own).
    pub async fn rsvp_by_last_link(&self, address: &str, first: &Value) -> Value {
        self.deliver_emails().await;
        let told = self.smtp.last_to(address);
        let link = link_in(&told.text(), "http://127.0.0.1/rsvps/");
        assert_ne!(Some(link.as_str()), first["manage_url"].as_str());
        let token = link.rsplit('/').next().unwrap_or_default();
        self.get_public(&format!("/api/v1/public/rsvps/{token}"))
            .await
            .expect(200)
            .clone()
    }

    /// The supporter's personal feed, as linked from their emails.
    pub async fn feed_link(&self, address: &str) -> String {
        self.emailed_link(address, "http://127.0.0.1/feeds/").await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({ "email": email, "password": password })),
            None,
        )
        .await
    }

    // --- campaigns ------------------------------------------------------------------

    pub async fn create_campaign(&self, token: &str, body: Value) -> Value {
        self.post_json("/api/v1/campaigns", token, &body)
            .await
            .expect(201)
            .clone()
    }

    // --- events ---------------------------------------------------------------------

    /// Create an event; it must answer 201.
    pub async fn create_event(&self, token: &str, body: Value) -> Value {
        self.post_json("/api/v1/events", token, &body)
            .await
            .expect(201)
            .clone()
    }

    pub async fn event(&self, token: &str, id: &str) -> Value {
        self.get(&format!("/api/v1/events/{id}"), token)
            .await
            .expect(200)
            .clone()
    }

    pub async fn patch_event(&self, token: &str, id: &str, body: Value) -> Reply {
        self.patch_json(&format!("/api/v1/events/{id}"), token, &body)
            .await
    }

    pub async fn publish(&self, token: &str, id: &str) -> Value {
        self.post_json(&format!("/api/v1/events/{id}/publish"), token, &json!({}))
            .await
            .expect(200)
            .clone()
    }

    /// `organisation`'s organiser (`token`) accepts to co-host `event`; the whole reply.
    pub async fn accept_hosting(&self, token: &str, event: &str, organisation: &str) -> Reply {
        self.answer_hosting(token, event, organisation, "accept")
            .await
    }

    /// `organisation`'s organiser (`token`) declines to co-host `event`, or leaves it.
    pub async fn decline_hosting(&self, token: &str, event: &str, organisation: &str) -> Reply {
        self.answer_hosting(token, event, organisation, "decline")
            .await
    }

    async fn answer_hosting(
        &self,
        token: &str,
        event: &str,
        organisation: &str,
        answer: &str,
    ) -> Reply {
        self.post_json(
            &format!("/api/v1/events/{event}/hosts/{organisation}/{answer}"),
            token,
            &json!({}),
        )
        .await
    }

    /// Create and publish an event.
    pub async fn published_event(&self, token: &str, body: Value) -> Value {
        let draft = self.create_event(token, body).await;
        self.publish(token, id_of(&draft)).await
    }

    /// A petition open for signatures, made from `body` (a title and a target at
    /// least) and published.
    pub async fn published_petition(&self, token: &str, body: Value) -> Value {
        let draft = self
            .post_json("/api/v1/petitions", token, &body)
            .await
            .expect(201)
            .clone();
        self.post_json(
            &format!("/api/v1/petitions/{}/publish", id_of(&draft)),
            token,
            &json!({}),
        )
        .await
        .expect(200)
        .clone()
    }

    /// `GET /api/v1/emails?status=…` as `token`; the items (a first page of 200).
    pub async fn outbox(&self, token: &str, status: &str) -> Vec<Value> {
        items(
            self.get(&format!("/api/v1/emails?status={status}&limit=200"), token)
                .await
                .expect(200),
        )
    }

    /// A connection of the test's own to its database, to move time along or to
    /// look at what the API does not show.
    pub async fn database(&self) -> sea_orm::DatabaseConnection {
        sea_orm::Database::connect(self.database_url.as_str())
            .await
            .expect("the test database answers")
    }

    pub async fn cancel(&self, token: &str, id: &str, reason: &str) -> Reply {
        self.post_json(
            &format!("/api/v1/events/{id}/cancel"),
            token,
            &json!({ "reason": reason }),
        )
        .await
    }

    /// `GET /api/v1/events{query}` as the organiser; the items.
    pub async fn organiser_events(&self, token: &str, query: &str) -> Vec<Value> {
        items(
            self.get(&format!("/api/v1/events{query}"), token)
                .await
                .expect(200),
        )
    }

    /// `GET /api/v1/public/events{query}`; the whole page.
    pub async fn public_events_page(&self, query: &str) -> Value {
        self.get_public(&format!("/api/v1/public/events{query}"))
            .await
            .expect(200)
            .clone()
    }

    /// `GET path` with query pairs encoded (cursors are opaque); `token` `None` sends none.
    pub async fn get_with_query(
        &self,
        path: &str,
        token: Option<&str>,
        query: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.client.get(self.url(path)).query(query);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        reply(request).await
    }

    /// `GET /api/v1/public/events` with query pairs encoded.
    pub async fn public_events_with(&self, query: &[(&str, &str)]) -> Reply {
        self.get_with_query("/api/v1/public/events", None, query)
            .await
    }

    /// The titles on the first public page for `query`, in order.
    pub async fn public_titles(&self, query: &str) -> Vec<String> {
        titles(&items(&self.public_events_page(query).await))
    }
}

pub async fn reply(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("the app answers");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a readable body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        body,
    }
}

/// The `token` of a 201 `{token}` reply.
#[track_caller]
pub fn token_of(reply: &Reply) -> String {
    reply.expect(201)["token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

#[track_caller]
pub fn id_of(object: &Value) -> &str {
    object["id"].as_str().expect("an object with an id")
}

/// The `items` of a list page.
#[track_caller]
pub fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().expect("a page with items").clone()
}

pub fn titles(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A timed public meeting in Toronto, with no more than the contract requires.
///
/// Upcoming events in the suite are in 2038: far enough ahead that no test starts
/// failing as the calendar moves on, and a year whose calendar is 2027's (the same
/// weekdays and daylight-saving dates), which the suite first used.
pub fn meeting(title: &str) -> Value {
    json!({
        "kind": "public_meeting",
        "title": title,
        "timezone": "America/Toronto",
        "starts_at": "2038-02-10T19:00",
        "ends_at": "2038-02-10T21:00",
    })
}

/// A timed event of `kind` at the given wall times in `timezone`.
pub fn event_at(title: &str, kind: &str, timezone: &str, starts_at: &str, ends_at: &str) -> Value {
    json!({
        "kind": kind,
        "title": title,
        "timezone": timezone,
        "starts_at": starts_at,
        "ends_at": ends_at,
    })
}

/// `body` with `extra`'s fields set over it.
pub fn with(mut body: Value, extra: Value) -> Value {
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    body
}

/// A `turnout serve` process beside a test's app, on the same database.
pub struct OtherServer {
    pub address: String,
    _process: KillOnDrop,
}

/// A `turnout serve` process the test holds, to signal it and watch it exit.
pub struct ServerProcess {
    pub address: String,
    pub port: u16,
    pub process: KillOnDrop,
}

impl TestApp {
    /// Start `turnout serve` on this app's database: a second server process, as
    /// deployments run several behind a proxy.
    pub async fn another_server(&self) -> OtherServer {
        let server = self.server_process().await;
        OtherServer {
            address: server.address,
            _process: server.process,
        }
    }

    /// As `another_server`, handing over the process itself (to send it SIGTERM).
    pub async fn server_process(&self) -> ServerProcess {
        let port = free_port();
        let address = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_turnout"))
            .arg("serve")
            .env("TURNOUT_DATABASE_URL", &self.database_url)
            .env("TURNOUT_BIND", format!("127.0.0.1:{port}"))
            .env("TURNOUT_PUBLIC_URL", "http://127.0.0.1")
            .env("TURNOUT_WORKER", "false")
            .env("TURNOUT_SMTP_URL", self.smtp.url())
            // Every request of a test comes from 127.0.0.1.
            .env(
                "TURNOUT_RATE_LIMITS",
                "sign=0/0,rsvp=0/0,login=0/0,password_reset=0/0",
            )
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("turnout serve starts");
        let mut process = KillOnDrop(child);
        let ready = format!("{address}/readyz");
        for _ in 0..300 {
            if let Ok(Some(status)) = process.0.try_wait() {
                panic!("turnout serve exited early: {status}");
            }
            if let Ok(response) = self.client.get(&ready).send().await
                && response.status() == StatusCode::OK
            {
                return ServerProcess {
                    address,
                    port,
                    process,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("turnout serve was not ready within 30 s");
    }

    /// Start `turnout worker` on this app's database, sending to the test's SMTP server.
    pub fn worker_process(&self) -> KillOnDrop {
        self.worker_process_sending_to(&self.smtp.url())
    }

    /// Start `turnout worker` on this app's database, sending to `smtp_url`.
    pub fn worker_process_sending_to(&self, smtp_url: &str) -> KillOnDrop {
        let child = Command::new(env!("CARGO_BIN_EXE_turnout"))
            .arg("worker")
            .env("TURNOUT_DATABASE_URL", &self.database_url)
            .env("TURNOUT_PUBLIC_URL", "http://127.0.0.1")
            .env("TURNOUT_SMTP_URL", smtp_url)
            .env("TURNOUT_MAIL_RATE", "0")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("turnout worker starts");
        KillOnDrop(child)
    }
}

/// The first link in `text` that starts with `prefix`.
#[track_caller]
pub fn link_in(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no link starting {prefix:?} in:\n{text}"));
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// "Ana" from "ana@example.org": a name to go with a test address.
pub fn name_of(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    let mut chars = local.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The token in a manage link.
pub fn manage_token(rsvp: &Value) -> String {
    rsvp["manage_url"]
        .as_str()
        .and_then(|u| u.rsplit('/').next())
        .expect("a manage_url")
        .to_owned()
}

/// A free local port, for a process that binds it itself.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("a bound address").port()
}

/// A child process that is killed when the test ends, passing or not.
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// Send SIGTERM, as a service manager (systemd, Kubernetes) does to stop a process.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed: {status}");
    }

    /// Wait up to `limit` for the process to exit: its exit status, or `None` if it
    /// is still running.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().expect("the process can be waited on") {
                return Some(status);
            }
            if started.elapsed() >= limit {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `turnout serve --demo` on a fresh database and a free port, ready to answer.
pub struct DemoServer {
    pub address: String,
    pub client: reqwest::Client,
    _process: KillOnDrop,
    dir: TempDir,
}

impl DemoServer {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let database_url = fresh_database(dir.path()).await;
        let port = free_port();
        let address = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_turnout"))
            .args(["serve", "--demo"])
            .env("TURNOUT_DATABASE_URL", &database_url)
            .env("TURNOUT_BIND", format!("127.0.0.1:{port}"))
            .env("TURNOUT_PUBLIC_URL", &address)
            .env("TURNOUT_WORKER", "false")
            .env("TURNOUT_MAIL_DIR", dir.path().join("mail"))
            .env_remove("RUST_LOG")
            .stdout(
                std::fs::File::create(dir.path().join("stdout"))
                    .expect("a file for what the demo prints"),
            )
            .stderr(Stdio::null())
            .spawn()
            .expect("turnout serve --demo starts");
        let mut process = KillOnDrop(child);
        let client = reqwest::Client::new();
        let ready = format!("{address}/readyz");
        for _ in 0..300 {
            if let Ok(Some(status)) = process.0.try_wait() {
                panic!("turnout serve --demo exited early: {status}");
            }
            if let Ok(response) = client.get(&ready).send().await
                && response.status() == StatusCode::OK
            {
                return Self {
                    address,
                    client,
                    _process: process,
                    dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("turnout serve --demo was not ready within 30 s");
    }

    /// What the server printed on stdout so far.
    pub fn printed(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stdout")).unwrap_or_default()
    }

    /// Every event of the public list, all pages followed.
    pub async fn all_public_events(&self) -> Vec<Value> {
        let mut events = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..50 {
            let mut query = vec![("limit", "200".to_owned())];
            query.extend(cursor.take().map(|c| ("cursor", c)));
            let response = self
                .client
                .get(format!("{}/api/v1/public/events", self.address))
                .query(&query)
                .send()
                .await
                .expect("the demo answers");
            assert_eq!(response.status(), StatusCode::OK);
            let page: Value = response.json().await.expect("a JSON page");
            events.extend(items(&page));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return events,
            }
        }
        panic!("the public list never ended");
    }
}

impl TestApp {
    /// `GET path` as an organiser, asking for `accept` (`text/csv`, say).
    pub async fn get_accepting(&self, path: &str, token: &str, accept: &str) -> Reply {
        let request = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, accept);
        reply(request).await
    }

    /// The attendees of an event as its organiser sees them (first page of 200).
    pub async fn attendees(&self, token: &str, event: &str) -> Vec<Value> {
        items(
            self.get(&format!("/api/v1/events/{event}/rsvps?limit=200"), token)
                .await
                .expect(200),
        )
    }
}

/// Fail, naming it, if `text` holds any of `secrets`.
#[track_caller]
pub fn assert_absent(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} is in:\n{text}");
    }
}
