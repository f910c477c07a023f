//! What the HTTP benchmarks share: a fresh database and percentiles.

use std::time::Duration;

use sea_orm::ConnectionTrait;

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
            format!("{url}{separator}options=-c%20search_path%3D{schema}")
        }
        _ => format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
    }
}

/// The `p` quantile of sorted latencies.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}
