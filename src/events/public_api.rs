//! HTTP endpoints anyone may read: published events and campaigns.

use chrono::{DateTime, Utc};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{model::*, service};
use crate::campaigns::model::PublicCampaign;
use crate::http::{
    ApiTags, Problems,
    page::Limit,
    problem::{NotFound, Unprocessable},
};
use crate::state::AppState;

pub struct PublicApi {
    pub state: AppState,
}

#[OpenApi(tag = "ApiTags::Public")]
impl PublicApi {
    /// Published public events that have not ended by `from`, soonest first.
    #[allow(clippy::too_many_arguments)] // one argument per documented query parameter
    #[oai(path = "/public/events", method = "get")]
    async fn events(
        &self,
        /// Events ending after this instant (RFC 3339); default now.
        from: Query<Option<DateTime<Utc>>>,
        /// Events starting before this instant (RFC 3339).
        to: Query<Option<DateTime<Utc>>>,
        kind: Query<Option<EventKind>>,
        /// An organisation's slug: its own events and those it co-hosts.
        organisation: Query<Option<String>>,
        /// A campaign's slug.
        campaign: Query<Option<String>>,
        /// ISO 3166-1 alpha-2.
        country: Query<Option<String>>,
        /// A town or city, in any case.
        locality: Query<Option<String>>,
        #[oai(default)] limit: Query<Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<EventPage>, Problems<Unprocessable>> {
        let filter = service::PublicFilter {
            from: from.0,
            to: to.0,
            kind: kind.0,
            organisation: organisation.0,
            campaign: campaign.0,
            country: country.0,
            locality: locality.0,
        };
        let cursor = cursor
            .as_deref()
            .map(service::PublicCursor::parse)
            .transpose()?;
        let page = self
            .state
            .events
            .public_list(filter, *limit, cursor)
            .await?;
        Ok(Json(EventPage {
            items: Event::all(page.items, &self.state.site.public_url),
            next_cursor: page.next.map(|c| c.to_string()),
        }))
    }

    /// A published (or cancelled) event by id or slug.
    #[oai(path = "/public/events/:id_or_slug", method = "get")]
    async fn event(&self, id_or_slug: Path<String>) -> Result<Json<Event>, Problems<NotFound>> {
        let id = crate::http::content::reference::<entity::event::Entity>(&id_or_slug)?;
        let event = self.state.events.public_get(&id).await?;
        Ok(Json(Event::of(event, &self.state.site.public_url)))
    }

    /// A campaign by id or slug, with its published events.
    #[oai(path = "/public/campaigns/:id_or_slug", method = "get")]
    async fn campaign(
        &self,
        id_or_slug: Path<String>,
    ) -> Result<Json<PublicCampaign>, Problems<NotFound>> {
        let reference = crate::http::content::reference::<entity::campaign::Entity>(&id_or_slug)?;
        let campaign = self.state.campaigns.public(&reference).await?;
        let id = campaign.item.id;
        let events = self.state.events.public_of_campaign(id).await?;
        let events = Event::all(events, &self.state.site.public_url);
        let petitions = self.state.petitions.open_in_campaign(id).await?;
        let petitions =
            crate::petitions::model::Petition::all(&petitions, &self.state.site.public_url);
        let fundraisers = crate::fundraisers::model::views(
            self.state.fundraisers.open_in_campaign(id).await?,
            &self.state.site.public_url,
        );
        Ok(Json(PublicCampaign {
            campaign: campaign.into(),
            events,
            petitions,
            fundraisers,
        }))
    }
}
