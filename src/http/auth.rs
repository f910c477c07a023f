//! Who is asking: API tokens, and the roles an organiser holds.

use chrono::Utc;
use poem_openapi::{SecurityScheme, auth::Bearer};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ApiError;
use entity::{api_token, membership, organisation};

/// An organiser's API token, sent as `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub struct BearerAuth(pub Bearer);

pub use entity::values::Role;

/// One membership of the organiser making a request.
#[derive(Debug, Clone)]
pub struct Membership {
    pub organisation_id: Uuid,
    pub slug: String,
    pub name: String,
    pub role: Role,
}

/// The organiser behind a request and what they may touch.
#[derive(Debug, Clone)]
pub struct Access {
    pub organiser_id: Uuid,
    pub memberships: Vec<Membership>,
}

impl Access {
    pub fn role_in(&self, organisation_id: Uuid) -> Option<Role> {
        self.memberships
            .iter()
            .find(|m| m.organisation_id == organisation_id)
            .map(|m| m.role)
    }

    /// May this organiser act with at least `role` in the organisation?
    pub fn can(&self, organisation_id: Uuid, role: Role) -> bool {
        self.role_in(organisation_id).is_some_and(|r| r >= role)
    }

    /// The organisation new content goes to: the one named, or the only one the
    /// organiser may write to. Viewers may write nowhere.
    pub fn writable(&self, named: Option<&str>) -> Result<&Membership, AccessError> {
        match named {
            Some(slug) => self
                .memberships
                .iter()
                .find(|m| m.slug == slug && m.role >= Role::Organiser)
                .ok_or_else(|| AccessError::Forbidden(slug.to_owned())),
            None => {
                let mut writable = self
                    .memberships
                    .iter()
                    .filter(|m| m.role >= Role::Organiser);
                match (writable.next(), writable.next()) {
                    (Some(one), None) => Ok(one),
                    (None, _) => Err(AccessError::ReadOnly),
                    (Some(_), Some(_)) => Err(AccessError::Ambiguous),
                }
            }
        }
    }

    /// The organisations whose supporters' personal data this organiser may see:
    /// those where they are an organiser or owner. Viewers see none.
    pub fn personal_data_organisations(&self) -> Result<Vec<Uuid>, AccessError> {
        let ids: Vec<Uuid> = self
            .memberships
            .iter()
            .filter(|m| m.role >= Role::Organiser)
            .map(|m| m.organisation_id)
            .collect();
        if ids.is_empty() {
            return Err(AccessError::NoPersonalData);
        }
        Ok(ids)
    }

    pub fn organisation_ids(&self) -> Vec<Uuid> {
        self.memberships.iter().map(|m| m.organisation_id).collect()
    }
}

/// Why an organiser may not act where they asked to.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("you may not change the content of {0:?}")]
    Forbidden(String),
    #[error("your role lets you read, not change, content")]
    ReadOnly,
    #[error("you belong to several organisations: name one in `organisation`")]
    Ambiguous,
    #[error("your role does not let you see supporters' personal data")]
    NoPersonalData,
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

/// The stored form of a token: its SHA-256. Tokens are random, so a fast hash is
/// enough; a leaked table gives nobody a usable token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token of 256 bits, and its hash.
pub fn new_token(prefix: &str) -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = format!("{prefix}{}", hex::encode(bytes));
    let hash = hash_token(&token);
    (token, hash)
}

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
    access_of(db, token.organiser_id).await
}

/// The memberships of an organiser.
pub async fn access_of(db: &DatabaseConnection, organiser_id: Uuid) -> Result<Access, ApiError> {
    let rows = membership::Entity::find()
        .filter(membership::Column::OrganiserId.eq(organiser_id))
        .all(db)
        .await?;
    let organisations = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(rows.iter().map(|m| m.organisation_id)))
        .all(db)
        .await?;
    let memberships = rows
        .into_iter()
        .filter_map(|m| {
            let org = organisations.iter().find(|o| o.id == m.organisation_id)?;
            Some(Membership {
                organisation_id: org.id,
                slug: org.slug.clone(),
                name: org.name.clone(),
                role: m.role,
            })
        })
        .collect();
    Ok(Access {
        organiser_id,
        memberships,
    })
}
