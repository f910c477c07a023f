//! The guard in front of every API endpoint: it reads the body once, refuses what is
//! not JSON at all (400) or too large (413), and makes creates idempotent: a `POST`
//! with an `Idempotency-Key` already seen from the same caller on the same path gets
//! the first answer again (waiting for it if the first is still running), and
//! nothing is created twice.

use std::sync::Arc;

use chrono::Utc;
use poem::{Endpoint, IntoResponse, Request, Response, http::Method, http::StatusCode};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, SqlErr,
};
use sha2::{Digest, Sha256};

use super::edge::{MAX_BODY, too_large};
use super::problem::{Problem, catch_all};
use entity::idempotency_key;

const KEY_HEADER: &str = "idempotency-key";
/// How long a retry waits for the answer of the request that holds its key: longer
/// than the slowest call we make (Stripe's, 30 s at most).
const IN_FLIGHT_WAIT: std::time::Duration = std::time::Duration::from_secs(35);
const IN_FLIGHT_POLL: std::time::Duration = std::time::Duration::from_millis(25);
/// How long a key is remembered: a client retries within minutes, not days, and
/// stored answers may hold personal data.
const KEY_HOURS: i64 = 24;

/// Forget keys older than [`KEY_HOURS`] (the worker does this every few minutes).
pub async fn forget_old_keys(
    db: &DatabaseConnection,
    now: chrono::DateTime<Utc>,
) -> Result<u64, DbErr> {
    let _turn = crate::db::write_turn(db).await;
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(now - chrono::Duration::hours(KEY_HOURS)))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn guard<E: Endpoint>(
    endpoint: Arc<E>,
    mut req: Request,
    db: DatabaseConnection,
) -> poem::Result<Response> {
    let is_json = req
        .content_type()
        .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
    let body = match req.take_body().into_bytes_limit(MAX_BODY).await {
        Ok(body) => body,
        // `edge::limit_body` has refused such a body already, where it runs first.
        Err(_) => return Ok(too_large()),
    };
    if is_json
        && !body.is_empty()
        && let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body)
    {
        return Ok(Problem::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid JSON: {e}"),
        )
        .into_response());
    }
    let key = (req.method() == Method::POST)
        .then(|| req.header(KEY_HEADER).map(str::to_owned))
        .flatten();
    let Some(key) = key else {
        req.set_body(body);
        return call(&endpoint, req).await;
    };
    if key.is_empty() || key.len() > 255 {
        return Ok(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency-Key must be 1 to 255 characters",
        )
        .into_response());
    }

    // Whose key it is: the token's holder, or, without a token, the client's
    // address. Anonymous callers must not share one space of keys, or one could
    // replay another's answer (and the manage link in it) by guessing the key. The
    // public endpoints take no token, so there an `Authorization` header names
    // nobody: any two clients could send the same one.
    // (Paths here are below `/api/v1`.)
    let public = req.uri().path().starts_with("/public/");
    let caller = match req.header("authorization") {
        Some(auth) if !public => auth.to_owned(),
        _ => super::client::ClientAddr::of(&req)
            .map(|c| format!("client {}", c.limit_key()))
            .unwrap_or_default(),
    };
    let scope = {
        let mut h = Sha256::new();
        for part in [caller.as_str(), req.uri().path(), &key] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    };
    let request_hash = hex::encode(Sha256::digest(&body));
    // A retry that arrives while the first request is still being handled (a client
    // that timed out on a slow payment provider) waits for the first answer.
    let deadline = tokio::time::Instant::now() + IN_FLIGHT_WAIT;
    loop {
        match claim(&db, &scope, &request_hash).await {
            Ok(Claim::Ours) => break,
            Ok(Claim::Released) => {}
            Ok(Claim::Answered(row))
                if row.status.is_none()
                    && row.request_hash == request_hash
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(IN_FLIGHT_POLL).await;
            }
            Ok(Claim::Answered(row)) => return Ok(replay(row, &request_hash)),
            Err(e) => {
                tracing::error!(error = %e, "idempotency key store failed");
                return Ok(
                    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
                        .into_response(),
                );
            }
        }
    }

    req.set_body(body);
    let response = call(&endpoint, req).await?;
    let status = response.status();
    let content_type = response.content_type().map(str::to_owned);
    let (parts, body) = response.into_parts();
    let bytes = body.into_bytes().await.unwrap_or_default();
    let stored = if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        // A failure on our side, or "wait and retry", is not an answer: let the
        // retry try again (a stored 429 would be replayed for ever).
        idempotency_key::Entity::delete_by_id(scope)
            .exec(&db)
            .await
            .map(|_| ())
    } else {
        idempotency_key::Entity::update(idempotency_key::ActiveModel {
            scope_key: Set(scope),
            status: Set(Some(i32::from(status.as_u16()))),
            content_type: Set(content_type),
            body: Set(Some(String::from_utf8_lossy(&bytes).into_owned())),
            ..Default::default()
        })
        .exec(&db)
        .await
        .map(|_| ())
    };
    if let Err(e) = stored {
        tracing::error!(error = %e, "could not store the idempotent answer");
    }
    Ok(Response::from_parts(parts, bytes.into()))
}

async fn call<E: Endpoint>(endpoint: &Arc<E>, req: Request) -> poem::Result<Response> {
    Ok(match endpoint.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => catch_all(e).await,
    })
}

enum Claim {
    /// This request is the first with its key: handle it.
    Ours,
    /// Another request took the key first.
    Answered(idempotency_key::Model),
    /// The request that held the key failed and let it go: try again.
    Released,
}

/// Take the key by inserting it; the primary key makes exactly one request win.
async fn claim(db: &DatabaseConnection, scope: &str, request_hash: &str) -> Result<Claim, DbErr> {
    let row = idempotency_key::ActiveModel {
        scope_key: Set(scope.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status: Set(None),
        content_type: Set(None),
        body: Set(None),
        created_at: Set(Utc::now()),
    };
    match idempotency_key::Entity::insert(row).exec(db).await {
        Ok(_) => Ok(Claim::Ours),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            let found = idempotency_key::Entity::find_by_id(scope.to_owned())
                .one(db)
                .await?;
            match found {
                // Past its time but not yet forgotten by the worker: forget it now.
                Some(old) if old.created_at < Utc::now() - chrono::Duration::hours(KEY_HOURS) => {
                    idempotency_key::Entity::delete_by_id(old.scope_key)
                        .exec(db)
                        .await?;
                    Ok(Claim::Released)
                }
                Some(row) => Ok(Claim::Answered(row)),
                None => Ok(Claim::Released),
            }
        }
        Err(e) => Err(e),
    }
}

fn replay(row: idempotency_key::Model, request_hash: &str) -> Response {
    if row.request_hash != request_hash {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "this Idempotency-Key was used with a different body; use a new key for a new request",
        )
        .into_response();
    }
    let (Some(status), Some(body)) = (row.status, row.body) else {
        return Problem::new(
            StatusCode::CONFLICT,
            "a request with this Idempotency-Key is still being handled; retry shortly",
        )
        .into_response();
    };
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = Response::builder()
        .status(status)
        .header("Idempotent-Replayed", "true");
    if let Some(ct) = row.content_type {
        response = response.content_type(ct);
    }
    response.body(body)
}
