//! The rules of campaigns: one organisation owns each; slugs are unique.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::model::{Campaign, CampaignPatch, CampaignStatus, NewCampaign};
use crate::db::{free_slug, is_unique_violation};
use crate::domain::{InvalidField, Slug, optional_text, required_text};
use crate::http::{
    Access, ApiError, Role,
    auth::AccessError,
    instant,
    page::{Limit, cursor_id, split_page},
};
use entity::{campaign, organisation};

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("{0}")]
    Invalid(#[from] InvalidField),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("no such campaign")]
    NotFound,
    #[error("this campaign belongs to another organisation")]
    Forbidden,
    #[error("the slug {0:?} is taken")]
    SlugTaken(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<CampaignError> for ApiError {
    fn from(e: CampaignError) -> Self {
        match e {
            CampaignError::Invalid(f) => f.into(),
            CampaignError::Access(a) => a.into(),
            CampaignError::NotFound => ApiError::not_found(e.to_string()),
            CampaignError::Forbidden => ApiError::forbidden(e.to_string()),
            CampaignError::SlugTaken(_) => ApiError::conflict(e.to_string()),
            CampaignError::Db(e) => ApiError::internal(&e),
        }
    }
}

pub async fn create(
    db: &DatabaseConnection,
    access: &Access,
    new: NewCampaign,
) -> Result<Campaign, CampaignError> {
    let member = access.writable(new.organisation.as_deref())?;
    let title = required_text("title", &new.title, 200)?;
    let description = optional_text("description", &new.description, 20_000)?;
    let explicit = new.slug.as_deref().map(Slug::parse).transpose()?;
    let now = Utc::now();
    for _attempt in 0..5 {
        let slug = match &explicit {
            Some(slug) => slug.clone(),
            None => {
                let base = Slug::from_title(&title, "campaign");
                free_slug::<campaign::Entity>(db, campaign::Column::Slug, &base).await?
            }
        };
        let row = campaign::ActiveModel {
            id: Set(Uuid::now_v7()),
            organisation_id: Set(member.organisation_id),
            slug: Set(slug.to_string()),
            title: Set(title.clone()),
            description: Set(description.clone()),
            status: Set(new.status.unwrap_or(CampaignStatus::Active)),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match row.insert(db).await {
            Ok(model) => return Ok(view(model, member.slug.clone())),
            Err(e) if is_unique_violation(&e) && explicit.is_none() => continue,
            Err(e) if is_unique_violation(&e) => {
                return Err(CampaignError::SlugTaken(slug.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(CampaignError::SlugTaken(
        Slug::from_title(&title, "campaign").to_string(),
    ))
}

/// The campaigns of every organisation the organiser belongs to, oldest first.
pub async fn list(
    db: &DatabaseConnection,
    access: &Access,
    limit: Limit,
    cursor: Option<&str>,
) -> Result<(Vec<Campaign>, Option<String>), CampaignError> {
    let mut query = campaign::Entity::find()
        .filter(campaign::Column::OrganisationId.is_in(access.organisation_ids()))
        .order_by_asc(campaign::Column::Id)
        .limit(limit.get() + 1);
    if let Some(after) = cursor_id(cursor)? {
        query = query.filter(campaign::Column::Id.gt(after));
    }
    let rows = query.all(db).await?;
    let (rows, next) = split_page(rows, limit, |c| c.id.to_string());
    let slugs = organisation_slugs(db, rows.iter().map(|c| c.organisation_id)).await?;
    let items = rows
        .into_iter()
        .map(|c| {
            let org = slugs.get(&c.organisation_id).cloned().unwrap_or_default();
            view(c, org)
        })
        .collect();
    Ok((items, next))
}

/// One campaign, for a member of its organisation.
pub async fn get(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
) -> Result<Campaign, CampaignError> {
    let row = find_for(db, access, id, Role::Viewer).await?;
    let org = organisation_slug(db, row.organisation_id).await?;
    Ok(view(row, org))
}

pub async fn patch(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    patch: CampaignPatch,
) -> Result<Campaign, CampaignError> {
    let row = find_for(db, access, id, Role::Organiser).await?;
    let org = organisation_slug(db, row.organisation_id).await?;
    let mut active: campaign::ActiveModel = row.into();
    if let Some(title) = patch.title.take() {
        active.title = Set(required_text("title", &title, 200)?);
    }
    if let Some(description) = patch.description.take() {
        active.description = Set(optional_text("description", &description, 20_000)?);
    }
    if let Some(status) = patch.status.take() {
        active.status = Set(status);
    }
    let new_slug = patch.slug.take().map(|s| Slug::parse(&s)).transpose()?;
    if let Some(slug) = &new_slug {
        active.slug = Set(slug.to_string());
    }
    active.updated_at = Set(Utc::now());
    match active.update(db).await {
        Ok(model) => {
            crate::db::content_changed(db).await?;
            Ok(view(model, org))
        }
        Err(e) if is_unique_violation(&e) => Err(CampaignError::SlugTaken(
            new_slug.map(|s| s.to_string()).unwrap_or_default(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// A campaign by id or slug, for anyone.
pub async fn public_get(
    db: &DatabaseConnection,
    id_or_slug: &str,
) -> Result<Campaign, CampaignError> {
    let row = find(db, id_or_slug).await?.ok_or(CampaignError::NotFound)?;
    let org = organisation_slug(db, row.organisation_id).await?;
    Ok(view(row, org))
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

async fn find(db: &DatabaseConnection, id_or_slug: &str) -> Result<Option<campaign::Model>, DbErr> {
    crate::db::find_by_id_or_slug::<campaign::Entity>(db, campaign::Column::Slug, id_or_slug).await
}

async fn find_for(
    db: &DatabaseConnection,
    access: &Access,
    id: &str,
    role: Role,
) -> Result<campaign::Model, CampaignError> {
    let row = find(db, id).await?.ok_or(CampaignError::NotFound)?;
    match access.role_in(row.organisation_id) {
        Some(r) if r >= role => Ok(row),
        Some(_) => Err(AccessError::ReadOnly.into()),
        None => Err(CampaignError::Forbidden),
    }
}

pub(crate) async fn organisation_slug(db: &DatabaseConnection, id: Uuid) -> Result<String, DbErr> {
    Ok(organisation::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|o| o.slug)
        .unwrap_or_default())
}

pub(crate) async fn organisation_slugs(
    db: &DatabaseConnection,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, DbErr> {
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(ids.collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.slug))
        .collect())
}

fn view(c: campaign::Model, organisation: String) -> Campaign {
    Campaign {
        id: c.id.to_string(),
        slug: c.slug,
        organisation,
        title: c.title,
        description: c.description,
        status: c.status,
        created_at: instant(c.created_at),
        updated_at: instant(c.updated_at),
    }
}
