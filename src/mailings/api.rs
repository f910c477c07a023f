//! HTTP endpoints of mailings.

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Object, param::Path, payload::Json};
use uuid::Uuid;

use super::{
    Audience, AudienceAsked, Mailing, MailingChanges, MailingError, MailingStatus, NewMailing,
    PerLanguage,
};
use crate::access::Access;
use crate::http::{
    ApiError, ApiTags, BearerAuth, Problems,
    auth::authenticate,
    content::{organiser_api, page_body, same_fields},
    instant,
    problem::{
        ActOnOne, ActOnOneWith, CreateOne, Forbidden, NotFound, PatchOne, ReadOne, Unauthorized,
    },
};
use crate::state::AppState;

impl From<MailingError> for ApiError {
    fn from(e: MailingError) -> Self {
        match e {
            MailingError::Content(e) => e.into(),
            MailingError::NotNow(_) => ApiError::conflict(e.to_string()),
        }
    }
}

pub struct MailingsApi {
    pub state: AppState,
}

/// Text in each language a mailing is written in.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields, skip_serializing_if_is_none)]
pub struct Texts {
    pub en: Option<String>,
    pub es: Option<String>,
    pub fr: Option<String>,
}

same_fields!(Texts => PerLanguage { en, es, fr });

/// Whom a mailing goes to.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields, skip_serializing_if_is_none)]
pub struct AudienceBody {
    /// `subscribers`, `event_attendees`, `petition_signers` or `donors`.
    pub kind: String,
    /// For `event_attendees`: the event's id or slug.
    pub event: Option<String>,
    /// For `event_attendees`: which of `going`, `waitlisted`, `pending_approval`
    /// (`going` when left out).
    pub statuses: Option<Vec<String>>,
    /// For `petition_signers`: the petition's id or slug.
    pub petition: Option<String>,
    /// For `donors`: the fundraiser's id or slug.
    pub fundraiser: Option<String>,
}

same_fields!(AudienceBody => AudienceAsked {
    kind,
    event,
    statuses,
    petition,
    fundraiser,
});

impl From<&Audience> for AudienceBody {
    fn from(a: &Audience) -> Self {
        let mut body = Self {
            kind: a.kind().into(),
            event: None,
            statuses: None,
            petition: None,
            fundraiser: None,
        };
        match a {
            Audience::Subscribers => {}
            Audience::EventAttendees { event, statuses } => {
                body.event = Some(event.to_string());
                body.statuses = Some(statuses.iter().map(|s| s.as_str().into()).collect());
            }
            Audience::PetitionSigners { petition } => body.petition = Some(petition.to_string()),
            Audience::Donors { fundraiser } => body.fundraiser = Some(fundraiser.to_string()),
        }
        body
    }
}

/// A mailing to write.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct NewMailingBody {
    /// The organisation's slug; may be left out by an organiser of only one.
    pub organisation: Option<String>,
    pub audience: AudienceBody,
    /// The subject in each language written (one line).
    pub subject: Texts,
    /// The body in each language written, in Markdown.
    pub body: Texts,
    /// Where replies go, instead of the organisation's contact address.
    #[oai(nullable)]
    pub reply_to: Option<String>,
}

/// Changes to a draft; what is left out stays.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
pub struct MailingPatch {
    pub audience: Option<AudienceBody>,
    /// Replaces every language's subject.
    pub subject: Option<Texts>,
    /// Replaces every language's body.
    pub body: Option<Texts>,
    /// `null` or empty: the organisation's contact address again.
    #[oai(nullable)]
    pub reply_to: poem_openapi::types::MaybeUndefined<String>,
}

/// A mailing and how it went.
#[derive(Object, Debug, Clone)]
#[oai(rename = "Mailing")]
pub struct MailingBody {
    pub id: Uuid,
    /// The organisation's slug.
    pub organisation: String,
    pub audience: AudienceBody,
    pub subject: Texts,
    pub body: Texts,
    #[oai(nullable)]
    pub reply_to: Option<String>,
    pub status: MailingStatus,
    /// When a scheduled mailing goes out.
    #[oai(nullable)]
    pub send_at: Option<String>,
    /// How many it reaches: for a draft or a scheduled mailing, counted now; once
    /// queued, how many it was queued for.
    pub recipients: u64,
    pub sent: u64,
    pub failed: u64,
    /// Reported back as undeliverable or as abuse.
    pub bounced: u64,
    /// Recipients who unsubscribed through its link.
    pub unsubscribed: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Mailing> for MailingBody {
    fn from(m: Mailing) -> Self {
        let mut subject = Texts::default();
        let mut body = Texts::default();
        for version in m.letters.versions() {
            let (s, b) = match version.locale {
                crate::domain::Locale::En => (&mut subject.en, &mut body.en),
                crate::domain::Locale::Es => (&mut subject.es, &mut body.es),
                crate::domain::Locale::Fr => (&mut subject.fr, &mut body.fr),
            };
            *s = Some(version.subject.clone());
            *b = Some(version.body.clone());
        }
        Self {
            id: m.row.id,
            organisation: m.organisation,
            audience: (&m.audience).into(),
            subject,
            body,
            reply_to: m.row.reply_to,
            status: m.row.status,
            send_at: m.row.send_at.map(instant),
            recipients: m.figures.recipients,
            sent: m.figures.sent,
            failed: m.figures.failed,
            bounced: m.figures.bounced,
            unsubscribed: m.figures.unsubscribed,
            created_at: instant(m.row.created_at),
            updated_at: instant(m.row.updated_at),
        }
    }
}

page_body!(
    /// A page of mailings, newest first.
    MailingPage of MailingBody
);

/// A test to send.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct TestRequest {
    /// A member's address: tests go to the organisation's own people only.
    pub email: String,
}

/// When to send.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
pub struct SendRequest {
    /// A time to come, to schedule it; left out (or past), it is sent now.
    #[oai(nullable)]
    pub at: Option<DateTime<Utc>>,
}

/// How many test emails were queued.
#[derive(Object, Debug, Clone)]
pub struct TestQueued {
    /// One per language the mailing is written in.
    pub emails: u64,
}

#[derive(ApiResponse)]
pub enum MailingCreated {
    /// The new draft.
    #[oai(status = 201)]
    Created(Json<MailingBody>),
}

#[derive(ApiResponse)]
pub enum MailingDeleted {
    /// The draft is gone.
    #[oai(status = 204)]
    Deleted,
}

#[derive(ApiResponse)]
pub enum TestSent {
    /// Queued: one email per language, to that address.
    #[oai(status = 202)]
    Accepted(Json<TestQueued>),
}

organiser_api! {
    MailingsApi, "ApiTags::Mailings", mailings;

    {
        /// Write a mailing. It starts as a draft; its `recipients` tell how many the
        /// audience reaches now.
        #[oai(path = "/mailings", method = "post")]
        async fn create(
            &self,
            auth: BearerAuth,
            req: Json<NewMailingBody>,
        ) -> Result<MailingCreated, CreateOne> {
            let access = authenticate(&self.state.db, &auth).await?;
            let req = req.0;
            let new = NewMailing {
                organisation: req.organisation,
                audience: req.audience.into(),
                subject: req.subject.into(),
                body: req.body.into(),
                reply_to: req.reply_to,
            };
            let mailing = self.state.mailings.create(&access, new).await?;
            Ok(MailingCreated::Created(Json(mailing.into())))
        }
    }

    /// The mailings of your organisations, or of one, newest first.
    list "/mailings" -> MailingPage, by
        /// An organisation's slug.
        organisation;

    {
        /// One mailing, with its figures as they stand.
        #[oai(path = "/mailings/:id", method = "get")]
        async fn get(&self, auth: BearerAuth, id: Path<String>) -> Result<Json<MailingBody>, ReadOne> {
            let (access, id) = self.named(&auth, &id).await?;
            Ok(Json(self.state.mailings.get(&access, id).await?.into()))
        }

        /// Change a draft.
        #[oai(path = "/mailings/:id", method = "patch")]
        async fn patch(
            &self,
            auth: BearerAuth,
            id: Path<String>,
            req: Json<MailingPatch>,
        ) -> Result<Json<MailingBody>, PatchOne> {
            let (access, id) = self.named(&auth, &id).await?;
            let req = req.0;
            let changes = MailingChanges {
                audience: req.audience.map(Into::into),
                subject: req.subject.map(Into::into),
                body: req.body.map(Into::into),
                reply_to: match req.reply_to {
                    poem_openapi::types::MaybeUndefined::Undefined => None,
                    poem_openapi::types::MaybeUndefined::Null => Some(None),
                    poem_openapi::types::MaybeUndefined::Value(v) => Some(Some(v)),
                },
            };
            let mailing = self.state.mailings.change(&access, id, changes).await?;
            Ok(Json(mailing.into()))
        }

        /// Delete a draft.
        #[oai(path = "/mailings/:id", method = "delete")]
        async fn delete(
            &self,
            auth: BearerAuth,
            id: Path<String>,
        ) -> Result<
            MailingDeleted,
            Problems<(
                Unauthorized,
                Forbidden,
                NotFound,
                crate::http::problem::Conflict,
            )>,
        > {
            let (access, id) = self.named(&auth, &id).await?;
            self.state.mailings.delete(&access, id).await?;
            Ok(MailingDeleted::Deleted)
        }

        /// Send the mailing as it stands to a member of its organisation, once in each
        /// language, marked as a test.
        #[oai(path = "/mailings/:id/test", method = "post")]
        async fn test(
            &self,
            auth: BearerAuth,
            id: Path<String>,
            req: Json<TestRequest>,
        ) -> Result<TestSent, ActOnOneWith> {
            let (access, id) = self.named(&auth, &id).await?;
            let emails = self
                .state
                .mailings
                .send_test(&access, id, &req.0.email)
                .await?;
            Ok(TestSent::Accepted(Json(TestQueued {
                emails: emails as u64,
            })))
        }

        /// Send now, or schedule at `at`.
        #[oai(path = "/mailings/:id/send", method = "post")]
        async fn send(
            &self,
            auth: BearerAuth,
            id: Path<String>,
            req: Json<Option<SendRequest>>,
        ) -> Result<Json<MailingBody>, ActOnOneWith> {
            let (access, id) = self.named(&auth, &id).await?;
            let at = req.0.and_then(|r| r.at);
            Ok(Json(
                self.state.mailings.send(&access, id, at).await?.into(),
            ))
        }

        /// Stop a scheduled mailing, or the rest of one sending.
        #[oai(path = "/mailings/:id/cancel", method = "post")]
        async fn cancel(
            &self,
            auth: BearerAuth,
            id: Path<String>,
        ) -> Result<Json<MailingBody>, ActOnOne> {
            let (access, id) = self.named(&auth, &id).await?;
            Ok(Json(self.state.mailings.cancel(&access, id).await?.into()))
        }
    }
}

impl MailingsApi {
    /// The organiser, and the mailing the path names: a path that is no id names
    /// nothing.
    async fn named(&self, auth: &BearerAuth, raw: &str) -> Result<(Access, Uuid), ApiError> {
        let access = authenticate(&self.state.db, auth).await?;
        let id = Uuid::parse_str(raw.trim()).map_err(|_| ApiError::not_found("no such mailing"))?;
        Ok((access, id))
    }
}
