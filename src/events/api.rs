//! HTTP endpoints of events, organiser side.

use poem_openapi::{
    ApiResponse,
    param::{Path, Query},
    payload::Json,
};

use super::{model::*, service};
use crate::access::Access;
use crate::domain::PublicRef;
use crate::http::{
    ApiError, ApiTags, BearerAuth, Problems,
    auth::authenticate,
    content::{cursor, named, organiser_api},
    page::Limit,
    problem::{Conflict, Forbidden, IdempotencyKey, NotFound, Unauthorized, Unprocessable},
};
use crate::state::AppState;
use entity::event;

impl From<service::EventError> for ApiError {
    fn from(e: service::EventError) -> Self {
        use service::EventError;
        match e {
            EventError::Content(e) => e.into(),
            EventError::NotInvited => ApiError::not_found(e.to_string()),
            EventError::NotDraft | EventError::AlreadyCancelled | EventError::NotPublished => {
                ApiError::conflict(e.to_string())
            }
        }
    }
}

pub struct EventsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
pub enum EventCreated {
    /// The new draft.
    #[oai(status = 201)]
    Created(Json<Event>),
}

#[derive(ApiResponse)]
pub enum HostingDeclined {
    /// The event no longer names your organisation as a host.
    #[oai(status = 204)]
    Declined,
}

#[derive(ApiResponse)]
pub enum EventDeleted {
    /// The draft is gone.
    #[oai(status = 204)]
    Deleted,
}

impl EventsApi {
    /// The organiser, and the event the path names.
    async fn named(&self, auth: &BearerAuth, id: &str) -> Result<(Access, PublicRef), ApiError> {
        named::<event::Entity>(&self.state.db, auth, id).await
    }

    fn view(&self, event: service::Event) -> Event {
        Event::of(event, &self.state.site.public_url)
    }
}

organiser_api! {
    EventsApi, "ApiTags::Events", events of event::Entity, shown as Event => Event::of;

    /// Create an event. It starts as a draft that only your organisation sees.
    create "/events" (NewEvent) -> EventCreated;

    {
        /// The events of your organisations, newest first.
        #[oai(path = "/events", method = "get")]
        async fn list(
            &self,
            auth: BearerAuth,
            status: Query<Option<EventStatus>>,
            kind: Query<Option<EventKind>>,
            /// A campaign's slug.
            campaign: Query<Option<String>>,
            #[oai(default)] limit: Query<Limit>,
            cursor: Query<Option<String>>,
        ) -> Result<Json<EventPage>, Problems<(Unauthorized, Unprocessable)>> {
            let access = authenticate(&self.state.db, &auth).await?;
            let filter = service::OwnFilter {
                status: status.0,
                kind: kind.0,
                campaign: campaign.0,
            };
            let cursor = self::cursor(cursor.as_deref())?;
            let page = self
                .state
                .events
                .list(&access, filter, *limit, cursor)
                .await?;
            Ok(Json(EventPage::from(page.map(|e| self.view(e)))))
        }
    }

    /// One event of your organisation (or one it co-hosts).
    get "/events/:id";

    /// Change an event. Changing a published event's time or place raises its `sequence`.
    change "/events/:id" (EventPatch);

    {
        /// Delete a draft. Published events are cancelled instead (409).
        #[oai(path = "/events/:id", method = "delete")]
        async fn delete(
            &self,
            auth: BearerAuth,
            id: Path<String>,
        ) -> Result<EventDeleted, Problems<(Unauthorized, Forbidden, NotFound, Conflict)>> {
            let (access, id) = self.named(&auth, &id).await?;
            self.state.events.delete(&access, &id).await?;
            Ok(EventDeleted::Deleted)
        }
    }

    /// Publish a draft: public events appear in the public list and feeds.
    act publish "/events/:id/publish";

    /// Cancel a published event; it stays visible as cancelled.
    act cancel "/events/:id/cancel" (CancelRequest);

    {
        /// Accept to co-host an event another organisation named you in. Until you do,
        /// the event does not show your organisation as a host, is not in your feed or
        /// in the public list filtered by your organisation, and you see none of its
        /// attendees. For the owners and organisers of the co-hosting organisation.
        #[oai(path = "/events/:id/hosts/:organisation/accept", method = "post")]
        async fn accept_hosting(
            &self,
            auth: BearerAuth,
            id: Path<String>,
            /// Your organisation's slug.
            organisation: Path<String>,
        ) -> Result<Json<Event>, Problems<(IdempotencyKey, Unauthorized, Forbidden, NotFound)>> {
            let (access, id) = self.named(&auth, &id).await?;
            let event = self
                .state
                .events
                .accept_hosting(&access, &id, &organisation)
                .await?;
            Ok(Json(self.view(event)))
        }

        /// Decline to co-host an event, or stop co-hosting one you accepted: it no longer
        /// names your organisation.
        #[oai(path = "/events/:id/hosts/:organisation/decline", method = "post")]
        async fn decline_hosting(
            &self,
            auth: BearerAuth,
            id: Path<String>,
            /// Your organisation's slug.
            organisation: Path<String>,
        ) -> Result<HostingDeclined, Problems<(IdempotencyKey, Unauthorized, Forbidden, NotFound)>>
        {
            let (access, id) = self.named(&auth, &id).await?;
            self.state
                .events
                .decline_hosting(&access, &id, &organisation)
                .await?;
            Ok(HostingDeclined::Declined)
        }
    }
}
