//! HTTP endpoints of the outbox, for organisers: which emails failed, and sending
//! one again.

use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::outbox::{self, Status};
use crate::http::{
    ApiError, ApiTags, BearerAuth, Problems,
    auth::authenticate,
    content, instant,
    page::Limit,
    problem::{Forbidden, IdempotencyKey, NotFound, Unauthorized, Unprocessable},
};
use crate::state::AppState;
use entity::outbox_email;

pub struct EmailsApi {
    pub state: AppState,
}

/// An email sent (or to be sent) for one of your organisations.
#[derive(Object, Debug, Clone)]
pub struct Email {
    pub id: String,
    pub recipient: String,
    pub template: String,
    pub locale: String,
    pub status: Status,
    pub attempts: i32,
    /// Why the last attempt failed.
    #[oai(nullable)]
    pub last_error: Option<String>,
    pub message_id: String,
    pub created_at: String,
    pub next_attempt_at: String,
    #[oai(nullable)]
    pub sent_at: Option<String>,
}

content::page_body!(EmailPage of Email);

#[OpenApi(tag = "ApiTags::Emails")]
impl EmailsApi {
    /// Emails of your organisations in one state, newest first: `?status=failed`
    /// lists those that could not be delivered after every retry.
    #[oai(path = "/emails", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        status: Query<Option<Status>>,
        #[oai(default)] limit: Query<Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<EmailPage>, Problems<(Unauthorized, Forbidden, Unprocessable)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let cursor = content::cursor(cursor.as_deref())?;
        // Recipients are personal data: viewers see none.
        let organisations = access.personal_data_organisations()?;
        let status = status.0.unwrap_or(Status::Failed);
        let db = &self.state.db;
        let page = outbox::list(db, organisations, status, *limit, cursor).await?;
        Ok(Json(EmailPage::from(page)))
    }

    /// Send a failed email again: it goes back to the queue with fresh attempts.
    #[oai(path = "/emails/:id/retry", method = "post")]
    async fn retry(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Email>, Problems<(IdempotencyKey, Unauthorized, Forbidden, NotFound)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        // Recipients are personal data: viewers see none.
        let organisations = access.personal_data_organisations()?;
        let row = outbox::retry(&self.state.db, organisations, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("no such failed email"))?;
        Ok(Json(row.into()))
    }
}

impl From<outbox_email::Model> for Email {
    fn from(e: outbox_email::Model) -> Self {
        Self {
            id: e.id.to_string(),
            recipient: e.recipient,
            template: e.template,
            locale: e.locale.to_string(),
            status: e.status,
            attempts: e.attempts,
            last_error: e.last_error,
            message_id: e.message_id,
            created_at: instant(e.created_at),
            next_attempt_at: instant(e.next_attempt_at),
            sent_at: e.sent_at.map(instant),
        }
    }
}
