//! A petition's chart (not a test): 365 days of a petition of 100,000 confirmed
//! signatures, as its console page draws it: the query (grouped by UTC hour in the
//! database), the fold into the organisation's local days, the SVG and its table
//! (`stats::Stats::signatures_by_day`, then `console::charts::signatures`). Issue
//! 18 asks for under 50 ms. Run with `cargo bench --bench charts`; on PostgreSQL
//! with `TURNOUT_BENCH_DATABASE_URL` (see `benches/common`). The figures go in
//! BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at the first surprise"
)]

#[allow(dead_code, reason = "the load driver is for the load benchmark")]
mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;
use turnout::{
    app::App,
    config::Config,
    domain::{Email, Locale, PublicRef},
    organisations::service::NewOrganisation,
    stats::{Period, Stats},
};
use uuid::Uuid;

/// Signatures on the petition, spread over the last year.
const SIGNATURES: usize = 100_000;
/// Charts timed.
const RUNS: usize = 50;
/// Rows per insert (SQLite takes at most 32,766 values in a statement).
const BATCH: usize = 1_000;

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
    let email = "charts@example.org";
    let new =
        NewOrganisation::parse("hov", "Hands Off Venezuela", "America/Caracas", email).unwrap();
    app.organisations().bootstrap(new).await.unwrap();
    let token = app
        .organisations()
        .create_token(&Email::parse(email).unwrap())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();

    // A published petition, through the API.
    let petition: serde_json::Value = client
        .post(format!("{base}/api/v1/petitions"))
        .bearer_auth(&token)
        .json(&json!({ "title": "Hands off", "target": "the government", "goal": 150_000 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = petition["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{petition}"))
        .to_owned();
    let published = client
        .post(format!("{base}/api/v1/petitions/{id}/publish"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);
    let petition_id = Uuid::parse_str(&id).unwrap();

    // 100,000 confirmed signatures written straight to the database (the API would
    // take an hour), spread over the last 365 days at every hour; one supporter
    // behind them, since the chart never reads supporters.
    let t = Instant::now();
    let now = Utc::now();
    let supporter = Uuid::now_v7();
    entity::supporter::Entity::insert(entity::supporter::ActiveModel {
        id: Set(supporter),
        email_key: Set("signer@example.org".into()),
        email: Set(turnout::domain::SupporterEmail::Known(
            Email::parse("signer@example.org").unwrap(),
        )),
        name: Set("Signer".into()),
        locale: Set(None),
        subscribed: Set(false),
        unsubscribed_at: Set(None),
        feed_token: Set(supporter.to_string()),
        erased_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&db)
    .await
    .unwrap();
    // Within 364 days, so that all fall on the 365 local days the chart shows.
    let year = 364 * 24 * 3600;
    for start in (0..SIGNATURES).step_by(BATCH) {
        let rows = (start..(start + BATCH).min(SIGNATURES)).map(|i| {
            let ago = (i as i64 * 7919) % year;
            let at = now - chrono::Duration::seconds(ago);
            entity::signature::ActiveModel {
                id: Set(Uuid::now_v7()),
                petition_id: Set(petition_id),
                supporter_id: Set(supporter),
                email_key: Set(format!("signer{i}@example.org")),
                name: Set(format!("Signer {i}")),
                affiliation: Set(None),
                postal_code: Set(None),
                locality: Set(None),
                country: Set(None),
                comment: Set(None),
                public: Set(false),
                status: Set(entity::values::SignatureState::Confirmed),
                locale: Set(None),
                confirmation_sent_at: Set(at),
                expires_at: Set(at),
                confirmed_at: Set(Some(at)),
                subscribe: Set(false),
                source: Set(None),
                comment_hidden: Set(false),
                invalidated_at: Set(None),
                invalidation_batch: Set(None),
                created_at: Set(at),
            }
        });
        entity::signature::Entity::insert_many(rows)
            .exec(&db)
            .await
            .unwrap();
    }
    println!(
        "{SIGNATURES} signatures written in {:.1} s ({backend})",
        t.elapsed().as_secs_f64()
    );
    // As autovacuum leaves a table after a bulk write: the visibility map set (so
    // an index-only scan need not visit the rows) and the planner's statistics.
    if backend == "postgres" {
        db.execute_unprepared("VACUUM ANALYZE signatures")
            .await
            .unwrap();
    }

    let organiser = entity::organiser::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let access = turnout::access::access_of(&db, organiser.id).await.unwrap();
    let stats = Stats::new(db.clone());
    let reference = PublicRef::Id(petition_id);
    let mut samples: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut bytes = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let daily = stats
            .signatures_by_day(&access, &reference, Period::Days365)
            .await
            .unwrap();
        let chart =
            turnout::console::charts::signatures(Locale::En, "signatures", &daily, Some(150_000));
        samples.push(t.elapsed());
        let total: i64 = daily.values.iter().sum::<i64>() + daily.before;
        assert_eq!(total, SIGNATURES as i64, "every signature on the chart");
        assert_eq!(daily.days.len(), 365);
        bytes = chart["svg"].as_str().unwrap().len();
    }
    samples.sort();
    println!(
        "365-day chart of {SIGNATURES} signatures, {RUNS} runs ({backend}, SVG {bytes} bytes): \
         p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms",
        common::percentile(&samples, 0.5).as_secs_f64() * 1e3,
        common::percentile(&samples, 0.95).as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
    );
    common::drop_database(&database_url).await;
}
