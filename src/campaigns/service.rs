//! The rules of campaigns: one organisation owns each; slugs are unique.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use crate::access::{Access, Role};
use crate::content::{self, Change, Checks, ContentError, InOrganisation, Order, Service};
use crate::domain::{PublicRef, Slug};
use entity::campaign;
pub use entity::values::CampaignStatus;

/// A campaign, with the slug of its organisation.
pub type Campaign = InOrganisation<campaign::Model>;

/// Why a campaign could not be read or changed.
pub type CampaignError = ContentError;

const DESCRIPTION_MAX: usize = 20_000;

/// A campaign to start, as asked.
#[derive(Debug, Clone, Default)]
pub struct NewCampaign {
    /// The owning organisation's slug; may be left out by an organiser of only one.
    pub organisation: Option<String>,
    /// Made from the title when left out.
    pub slug: Option<String>,
    pub title: String,
    pub description: String,
    pub status: Option<CampaignStatus>,
}

/// Changes to a campaign, field by field.
#[derive(Debug, Clone, Default)]
pub struct CampaignChanges {
    pub slug: Change<String>,
    pub title: Change<String>,
    pub description: Change<String>,
    pub status: Change<CampaignStatus>,
}

/// Campaigns: the banner events, petitions and appeals gather under.
#[derive(Clone)]
pub struct Campaigns {
    db: DatabaseConnection,
}

impl Campaigns {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn create(
        &self,
        access: &Access,
        new: NewCampaign,
    ) -> Result<Campaign, CampaignError> {
        let member = access.writable(new.organisation.as_deref())?;
        let mut checks = Checks::default();
        let title = checks.title(&new.title);
        let description = checks.optional_text("description", &new.description, DESCRIPTION_MAX);
        let slug = checks.slug(new.slug.as_deref());
        let ((title, description), slug) = checks.done(title.zip(description).zip(slug))?;
        let now = Utc::now();
        let row = content::insert_with_slug(&self.db, slug, &title, |slug| campaign::ActiveModel {
            id: Set(Uuid::now_v7()),
            organisation_id: Set(member.organisation_id),
            slug: Set(slug.to_string()),
            title: Set(title.clone()),
            description: Set(description.clone()),
            status: Set(new.status.unwrap_or(CampaignStatus::Active)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await?;
        Ok(InOrganisation {
            item: row,
            organisation: member.slug.clone(),
        })
    }

    /// Change a campaign; fields left as they are stay so.
    pub async fn change(
        &self,
        access: &Access,
        campaign: &PublicRef,
        changes: CampaignChanges,
    ) -> Result<Campaign, CampaignError> {
        let mut checks = Checks::default();
        let slug = checks.required("slug", changes.slug, |s| Slug::parse(&s));
        let title = checks.title_change(changes.title);
        let description = checks.text("description", changes.description, DESCRIPTION_MAX);
        let status = checks.check(changes.status.required("status")).flatten();
        checks.finish()?;

        let row = self.find_for(access, campaign, Role::Organiser).await?;
        let mut active: campaign::ActiveModel = row.into();
        if let Some(title) = title {
            active.title = Set(title);
        }
        if let Some(description) = description {
            active.description = Set(description);
        }
        if let Some(status) = status {
            active.status = Set(status);
        }
        if let Some(slug) = &slug {
            active.slug = Set(slug.to_string());
        }
        active.updated_at = Set(Utc::now());
        let row = active
            .update(&self.db)
            .await
            .map_err(|e| content::slug_refusal(e, slug))?;
        crate::db::content_changed(&self.db).await?;
        self.one(row).await
    }

    /// A campaign by id or slug, for anyone.
    pub async fn public(&self, campaign: &PublicRef) -> Result<Campaign, CampaignError> {
        let row = content::find::<campaign::Entity>(&self.db, campaign)
            .await?
            .ok_or(ContentError::NotFound("campaign"))?;
        self.one(row).await
    }
}

impl content::Service for Campaigns {
    type Entity = campaign::Entity;
    type Item = Campaign;
    type Error = CampaignError;
    /// Campaigns have always been listed oldest first.
    const ORDER: Order = Order::OldestFirst;

    fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Each campaign with the slug of its organisation.
    async fn show(&self, rows: Vec<campaign::Model>) -> Result<Vec<Campaign>, DbErr> {
        content::with_owners::<campaign::Entity>(&self.db, rows).await
    }
}

/// A campaign by its slug.
pub async fn by_slug(
    db: &DatabaseConnection,
    slug: &str,
) -> Result<Option<campaign::Model>, DbErr> {
    campaign::Entity::find()
        .filter(campaign::Column::Slug.eq(slug))
        .one(db)
        .await
}

impl Campaigns {
    /// An organisation's campaigns, active first, then by title (for a choice in
    /// the console, where its members are known already).
    pub async fn of_organisation(
        &self,
        organisation_id: uuid::Uuid,
    ) -> Result<Vec<campaign::Model>, DbErr> {
        use sea_orm::QueryOrder;
        campaign::Entity::find()
            .filter(campaign::Column::OrganisationId.eq(organisation_id))
            .order_by_asc(campaign::Column::Status)
            .order_by_asc(campaign::Column::Title)
            .all(&self.db)
            .await
    }
}
