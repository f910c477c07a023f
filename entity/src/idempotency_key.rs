//! The first response given to a create carrying an `Idempotency-Key`.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// SHA-256 of who asked (the bearer token, or nobody), the path and the key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope_key: String,
    /// SHA-256 of the request body, to tell a retry from a different request.
    pub request_hash: String,
    /// None while the first request is still being handled.
    pub status: Option<i32>,
    pub content_type: Option<String>,
    pub body: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
