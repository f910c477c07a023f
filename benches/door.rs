//! The door page (not a test): a search by name over an event of 2,000 attendees,
//! as a phone at the entrance asks for it (`GET /admin/{org}/events/{id}/door?q=`,
//! signed in, the whole page rendered). Issue 17 asks for under 20 ms. Run with
//! `cargo bench --bench door`; on PostgreSQL with `TURNOUT_BENCH_DATABASE_URL`
//! (see `benches/common`). The figures go in BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at the first surprise"
)]

#[allow(dead_code, reason = "the load driver is for the load benchmark")]
mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use turnout::{
    app::App, config::Config, domain::Email, organisations::password::NewPassword,
    organisations::service::NewOrganisation,
};

/// Attendees of the event.
const ATTENDEES: usize = 2_000;
/// Searches timed for each kind of query.
const SEARCHES: usize = 200;

const FIRST: [&str; 10] = [
    "Ana",
    "María José",
    "Bongani",
    "Chloé",
    "Dmitri",
    "Émile",
    "Fatima",
    "Gustavo",
    "Hana",
    "Ignacio",
];
const LAST: [&str; 10] = [
    "García", "Nkosi", "Okafor", "Lefebvre", "Ivanova", "Pérez", "Smith", "Rossi", "Tanaka",
    "Álvarez",
];

/// The query of the `i`th search of a kind.
type Query = Box<dyn Fn(usize) -> String>;

fn name(i: usize) -> String {
    format!("{} {} {i}", FIRST[i % 10], LAST[(i / 10) % 10])
}

fn main() {
    turnout::telemetry::init("off", std::io::sink);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = common::database_url(dir.path()).await;
    let backend = common::backend(&database_url);
    let config = Config {
        database_url: database_url.clone(),
        bind: "127.0.0.1:0".into(),
        run_worker: false,
        ..Config::default()
    };
    let app = App::build(config).await.unwrap();
    let email = "door@example.org";
    let new = NewOrganisation::parse("hov", "Hands Off Venezuela", "Europe/London", email).unwrap();
    app.organisations().bootstrap(new).await.unwrap();
    app.organisations()
        .set_password(
            &Email::parse(email).unwrap(),
            &NewPassword::parse("correct horse battery").unwrap(),
        )
        .await
        .unwrap();
    // A password ends every token before it: the API's token comes after.
    let token = app
        .organisations()
        .create_token(&Email::parse(email).unwrap())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // A published meeting with room for everyone.
    let event: serde_json::Value = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(&token)
        .json(&json!({
            "kind": "public_meeting", "title": "Report-back", "timezone": "Europe/London",
            "starts_at": "2038-02-10T19:00", "ends_at": "2038-02-10T21:00",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = event["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{event}"))
        .to_owned();
    let published = client
        .post(format!("{base}/api/v1/events/{id}/publish"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);

    // 2,000 attendees, added as organisers add them, a tenth checked in.
    let t = Instant::now();
    for i in 0..ATTENDEES {
        let added = client
            .post(format!("{base}/api/v1/events/{id}/rsvps"))
            .bearer_auth(&token)
            .json(&json!({
                "email": format!("person{i}@example.org"), "name": name(i),
                "guests": i % 3, "checked_in": i % 10 == 0,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), 201, "{}", added.text().await.unwrap());
    }
    println!(
        "{ATTENDEES} attendees added in {:.1} s ({backend})",
        t.elapsed().as_secs_f64()
    );

    // Signed in as a browser is.
    let signed = client
        .post(format!("{base}/admin/login"))
        .header("Origin", &base)
        .form(&[("email", email), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let cookie = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("turnout_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let door = format!("{base}/admin/hov/events/{id}/door");
    // What a door is asked: a first name, part of a surname in other case, a
    // name with its number (one person), nobody, and the whole list.
    let queries: [(&str, Query, usize); 5] = [
        (
            "first name (200 match, 50 shown)",
            Box::new(|i| FIRST[i % 10].to_owned()),
            50,
        ),
        (
            "part of a surname, upper case",
            Box::new(|i| {
                LAST[i % 10]
                    .chars()
                    .skip(1)
                    .take(3)
                    .collect::<String>()
                    .to_uppercase()
            }),
            50,
        ),
        (
            "one person by name and number",
            Box::new(|i| name(i * 7 % ATTENDEES)),
            1,
        ),
        ("nobody", Box::new(|i| format!("zz{i}")), 0),
        (
            "no query (first 50 by name)",
            Box::new(|_| String::new()),
            50,
        ),
    ];
    println!("door search over {ATTENDEES} attendees, {SEARCHES} searches each ({backend}):");
    for (what, query, shown) in queries {
        let mut samples: Vec<Duration> = Vec::with_capacity(SEARCHES);
        for i in 0..SEARCHES {
            let q = query(i);
            let t = Instant::now();
            let page = client
                .get(&door)
                .query(&[("q", q.as_str())])
                .header("Cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), 200);
            let body = page.text().await.unwrap();
            samples.push(t.elapsed());
            let listed = body.matches("<li data-id=").count();
            if shown == 1 {
                assert!(listed >= 1, "{q}: nobody found");
            } else {
                assert_eq!(listed, shown, "{q}");
            }
        }
        samples.sort();
        println!(
            "  {what:<36} p50 {:>6.2} ms  p95 {:>6.2} ms  max {:>6.2} ms",
            common::percentile(&samples, 0.5).as_secs_f64() * 1e3,
            common::percentile(&samples, 0.95).as_secs_f64() * 1e3,
            samples[samples.len() - 1].as_secs_f64() * 1e3,
        );
    }
    common::drop_database(&database_url).await;
}
