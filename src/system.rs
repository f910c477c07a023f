//! Liveness and readiness, for load balancers and orchestrators.

use poem::{IntoResponse, handler, http::StatusCode, web::Data};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// 200 while the process runs.
#[handler]
pub fn healthz() -> &'static str {
    "ok"
}

/// 200 only when the database answers and every migration is applied.
#[handler]
pub async fn readyz(db: Data<&DatabaseConnection>) -> impl IntoResponse {
    let answers = db.execute_unprepared("SELECT 1").await.is_ok();
    let migrated = crate::db::migrations_applied(&db).await.unwrap_or(false);
    if answers && migrated {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}
