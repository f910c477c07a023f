//! Who is asking: API tokens, and the roles an organiser holds.

use chrono::Utc;
use poem_openapi::{SecurityScheme, auth::Bearer};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};

use super::ApiError;
use entity::api_token;

use crate::access::{Access, AccessError, access_of};
use crate::tokens::hash_token;

/// An organiser's API token, sent as `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub struct BearerAuth(pub Bearer);

/// A token nobody has used for this long stops working: a forgotten token in an old
/// script or a lost laptop should not open supporters' data for ever.
const TOKEN_IDLE_DAYS: i64 = 90;

/// Is a token, last used (or made) at `last`, still good at `now`?
fn token_alive(last: chrono::DateTime<Utc>, now: chrono::DateTime<Utc>) -> bool {
    now - last < chrono::Duration::days(TOKEN_IDLE_DAYS)
}

/// Find the organiser a bearer token belongs to, with their memberships. A token
/// unused for 90 days no longer works.
pub async fn authenticate(db: &DatabaseConnection, auth: &BearerAuth) -> Result<Access, ApiError> {
    let hash = hash_token(&auth.0.token);
    let now = Utc::now();
    let token = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash))
        .one(db)
        .await?
        .filter(|t| token_alive(t.last_used_at.unwrap_or(t.created_at), now))
        .ok_or_else(|| ApiError::unauthorized("this API token is not valid"))?;
    // Written at most once an hour per token: a write per request would cost more
    // than the request, and the 90 days do not need the minute.
    if token
        .last_used_at
        .is_none_or(|last| now - last > chrono::Duration::hours(1))
    {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(Some(now)))
            .filter(api_token::Column::Id.eq(token.id))
            .exec(db)
            .await?;
    }
    Ok(access_of(db, token.organiser_id).await?)
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Ambiguous => {
                crate::domain::InvalidField::new("organisation", e.to_string()).into()
            }
            _ => ApiError::forbidden(e.to_string()),
        }
    }
}

/// Whether a request carries `Authorization: Bearer <token>` of a deployment's own
/// secret (`/metrics`, the mail feedback webhook). Compared as digests, so the
/// time taken says nothing about the token.
pub fn bears(req: &poem::Request, token: &str) -> bool {
    use sha2::{Digest, Sha256};
    let given = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    Sha256::digest(given.as_bytes()) == Sha256::digest(token.as_bytes())
}
