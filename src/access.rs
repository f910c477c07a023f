//! Who may do what: the organisations an organiser belongs to and their role in each.
//! Every capability checks its content against an [`Access`]; how one is proven (an
//! API token, a console session) is the HTTP layer's business.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use entity::{membership, organisation};

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

impl AccessError {
    /// A stable name for the refusal, for pages to choose their words by.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "forbidden",
            Self::ReadOnly => "read_only",
            Self::Ambiguous => "ambiguous",
            Self::NoPersonalData => "no_personal_data",
        }
    }
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

    /// The same organiser acting within one of their organisations only (a console
    /// page about that organisation): what the others hold is out of its reach.
    pub fn within(&self, organisation_id: Uuid) -> Self {
        Self {
            organiser_id: self.organiser_id,
            memberships: self
                .memberships
                .iter()
                .filter(|m| m.organisation_id == organisation_id)
                .cloned()
                .collect(),
        }
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

/// The memberships of an organiser.
pub async fn access_of(db: &impl ConnectionTrait, organiser_id: Uuid) -> Result<Access, DbErr> {
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
