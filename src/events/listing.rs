//! An organisation's own events for its console: the upcoming ones soonest first,
//! drafts, past ones latest first; by kind and campaign. A small group has a few
//! hundred events at most, so a list is one query, not pages.

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::service::{EventError, EventKind, EventStatus, Events, Readers, views};
use crate::access::Access;
use crate::content::ContentError;
use entity::{campaign, event};

/// The most events one list shows.
pub const SHOWN_MAX: u64 = 500;

/// Which of an organisation's events a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum When {
    /// Published or cancelled, not yet over; soonest first.
    #[default]
    Upcoming,
    /// Not yet published; soonest first.
    Drafts,
    /// Over; latest first.
    Past,
}

impl When {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "upcoming" | "" => Some(Self::Upcoming),
            "drafts" => Some(Self::Drafts),
            "past" => Some(Self::Past),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upcoming => "upcoming",
            Self::Drafts => "drafts",
            Self::Past => "past",
        }
    }
}

/// What an organisation's list of events shows.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub when: When,
    pub kind: Option<EventKind>,
    /// A campaign of the organisation, by slug.
    pub campaign: Option<String>,
}

impl Events {
    /// The events an organisation owns, for its members.
    pub async fn of_organisation(
        &self,
        access: &Access,
        organisation_id: Uuid,
        listing: &Listing,
    ) -> Result<Vec<super::service::Event>, EventError> {
        if access.role_in(organisation_id).is_none() {
            return Err(ContentError::NotFound("event").into());
        }
        let db = self.db();
        let now = Utc::now();
        let mut query =
            event::Entity::find().filter(event::Column::OrganisationId.eq(organisation_id));
        query = match listing.when {
            When::Upcoming => query
                .filter(event::Column::Status.ne(EventStatus::Draft))
                .filter(event::Column::EndsAtUtc.gte(now))
                .order_by_asc(event::Column::StartsAtUtc),
            When::Drafts => query
                .filter(event::Column::Status.eq(EventStatus::Draft))
                .order_by_asc(event::Column::StartsAtUtc),
            When::Past => query
                .filter(event::Column::Status.ne(EventStatus::Draft))
                .filter(event::Column::EndsAtUtc.lt(now))
                .order_by_desc(event::Column::StartsAtUtc),
        };
        if let Some(kind) = listing.kind {
            query = query.filter(event::Column::Kind.eq(kind));
        }
        if let Some(slug) = &listing.campaign {
            let found = campaign::Entity::find()
                .filter(campaign::Column::OrganisationId.eq(organisation_id))
                .filter(campaign::Column::Slug.eq(slug.as_str()))
                .one(db)
                .await?;
            // An unknown campaign has no events.
            let Some(found) = found else {
                return Ok(Vec::new());
            };
            query = query.filter(event::Column::CampaignId.eq(found.id));
        }
        let rows = query.limit(SHOWN_MAX).all(db).await?;
        Ok(views(db, rows, Readers::Organisers).await?)
    }
}

impl Events {
    /// The children of an event (a forum's workshops, a delegation's stops), soonest
    /// first, for its organisers.
    pub async fn children_of(
        &self,
        access: &Access,
        parent: &event::Model,
    ) -> Result<Vec<super::service::Event>, EventError> {
        if access.role_in(parent.organisation_id).is_none() {
            return Err(ContentError::NotFound("event").into());
        }
        let db = self.db();
        let rows = event::Entity::find()
            .filter(event::Column::ParentId.eq(parent.id))
            .order_by_asc(event::Column::StartsAtUtc)
            .limit(SHOWN_MAX)
            .all(db)
            .await?;
        Ok(views(db, rows, Readers::Organisers).await?)
    }
}
