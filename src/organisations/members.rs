//! An organisation's members and settings: who holds which role, and the name, zone,
//! language and contact address of the organisation. Owners change them; an
//! organisation always keeps one owner, even when two owners demote each other at
//! the same moment.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::service::{OrganisationError, Organisations};
use crate::access::{Access, Role};
use crate::content::{Checks, Invalid};
use crate::domain::{Email, InvalidField, Locale, TimeZone, required_text};
use entity::values::ApplicationNotices;
use entity::{membership, organisation, organiser};

const NAME_MAX: usize = 200;

/// One member of an organisation.
#[derive(Debug, Clone)]
pub struct Member {
    pub organiser_id: Uuid,
    pub email: Email,
    pub name: Option<String>,
    pub role: Role,
    /// False until an invited organiser has set a password.
    pub active: bool,
    pub since: DateTime<Utc>,
}

/// An organisation's settings, as an owner types them.
#[derive(Debug, Clone)]
pub struct Settings {
    pub name: String,
    pub timezone: TimeZone,
    pub language: Locale,
    pub contact_email: Option<Email>,
    pub application_notices: ApplicationNotices,
}

impl Settings {
    /// Every bad field is named. An empty contact address is none.
    pub fn parse(
        name: &str,
        timezone: &str,
        language: &str,
        contact_email: &str,
        application_notices: &str,
    ) -> Result<Self, Invalid> {
        let mut checks = Checks::default();
        let name = checks.check(required_text("name", name, NAME_MAX));
        let timezone = checks.check(TimeZone::parse(timezone));
        let language = checks.check(
            Locale::parse(language)
                .map_err(|_| InvalidField::new("language", "must be one of en, es, fr")),
        );
        let contact_email = match contact_email.trim() {
            "" => Some(None),
            given => checks
                .check(Email::parse(given).map_err(|e| InvalidField {
                    field: "contact_email".into(),
                    ..e
                }))
                .map(Some),
        };
        let application_notices = checks.check(
            ApplicationNotices::parse(application_notices)
                .ok_or_else(|| InvalidField::new("application_notices", "must be each or daily")),
        );
        let parts = (|| {
            Some((
                name?,
                timezone?,
                language?,
                contact_email?,
                application_notices?,
            ))
        })();
        let (name, timezone, language, contact_email, application_notices) = checks.done(parts)?;
        Ok(Self {
            name,
            timezone,
            language,
            contact_email,
            application_notices,
        })
    }
}

impl Organisations {
    /// An organisation the organiser belongs to, with their role in it. One they do
    /// not belong to is as unknown as one that does not exist.
    pub async fn of_member(
        &self,
        access: &Access,
        slug: &str,
    ) -> Result<(organisation::Model, Role), OrganisationError> {
        let unknown = || OrganisationError::NoSuchOrganisation(slug.to_owned());
        let org = self.by_slug(slug).await?.ok_or_else(unknown)?;
        let role = access.role_in(org.id).ok_or_else(unknown)?;
        Ok((org, role))
    }

    /// The members of an organisation the organiser belongs to, owners first.
    pub async fn members(
        &self,
        access: &Access,
        slug: &str,
    ) -> Result<Vec<Member>, OrganisationError> {
        let (org, _) = self.of_member(access, slug).await?;
        let rows = membership::Entity::find()
            .filter(membership::Column::OrganisationId.eq(org.id))
            .order_by_asc(membership::Column::CreatedAt)
            .all(self.db())
            .await?;
        let people = organiser::Entity::find()
            .filter(organiser::Column::Id.is_in(rows.iter().map(|m| m.organiser_id)))
            .all(self.db())
            .await?;
        let mut members: Vec<Member> = rows
            .into_iter()
            .filter_map(|m| {
                let o = people.iter().find(|o| o.id == m.organiser_id)?.clone();
                Some(Member {
                    organiser_id: o.id,
                    email: o.email,
                    name: o.name,
                    role: m.role,
                    active: o.password_hash.is_some(),
                    since: m.created_at,
                })
            })
            .collect();
        members.sort_by_key(|m| std::cmp::Reverse(m.role));
        Ok(members)
    }

    /// Give a member another role (owners only). The last owner stays one.
    pub async fn change_role(
        &self,
        access: &Access,
        slug: &str,
        organiser_id: Uuid,
        role: Role,
    ) -> Result<Member, OrganisationError> {
        self.reshape(access, slug, organiser_id, Some(role)).await?;
        self.members(access, slug)
            .await?
            .into_iter()
            .find(|m| m.organiser_id == organiser_id)
            .ok_or(OrganisationError::NoSuchMember)
    }

    /// Take a member out of an organisation (owners only). The last owner stays.
    pub async fn remove_member(
        &self,
        access: &Access,
        slug: &str,
        organiser_id: Uuid,
    ) -> Result<(), OrganisationError> {
        self.reshape(access, slug, organiser_id, None).await
    }

    /// Give a member a new role, or none (they leave), in one transaction that
    /// refuses to take away the last owner.
    async fn reshape(
        &self,
        access: &Access,
        slug: &str,
        organiser_id: Uuid,
        role: Option<Role>,
    ) -> Result<(), OrganisationError> {
        let org = self.owned(access, slug).await?;
        let txn = crate::db::begin_write(self.db()).await?;
        let key = (org.id, organiser_id);
        let member = membership::Entity::find_by_id(key)
            .one(&txn.txn)
            .await?
            .ok_or(OrganisationError::NoSuchMember)?;
        if member.role == Role::Owner && role != Some(Role::Owner) {
            keep_an_owner(&txn.txn, org.id).await?;
        }
        match role {
            Some(role) => {
                let mut changed: membership::ActiveModel = member.into();
                changed.role = Set(role);
                changed.update(&txn.txn).await?;
            }
            None => {
                membership::Entity::delete_by_id(key).exec(&txn.txn).await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Change an organisation's settings (owners only).
    pub async fn change_settings(
        &self,
        access: &Access,
        slug: &str,
        settings: Settings,
    ) -> Result<organisation::Model, OrganisationError> {
        let org = self.owned(access, slug).await?;
        let mut active: organisation::ActiveModel = org.into();
        active.name = Set(settings.name);
        active.timezone = Set(settings.timezone);
        active.language = Set(settings.language);
        active.contact_email = Set(settings.contact_email);
        active.application_notices = Set(settings.application_notices);
        Ok(active.update(self.db()).await?)
    }

    /// An organisation of which the organiser is an owner; to anyone else who
    /// belongs to it, a refusal, and to others, unknown.
    async fn owned(
        &self,
        access: &Access,
        slug: &str,
    ) -> Result<organisation::Model, OrganisationError> {
        match self.of_member(access, slug).await? {
            (org, Role::Owner) => Ok(org),
            (org, _) => Err(OrganisationError::NotOwner(org.slug)),
        }
    }
}

/// Hold the organisation's row until the transaction ends: changes to its owners
/// take turns, so two owners demoting each other cannot leave none.
async fn hold(db: &impl ConnectionTrait, organisation_id: Uuid) -> Result<(), DbErr> {
    organisation::Entity::update_many()
        .col_expr(
            organisation::Column::Name,
            Expr::col(organisation::Column::Name),
        )
        .filter(organisation::Column::Id.eq(organisation_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Refuse to take away an owner when they are the last one. The organisation's
/// row is held first, so that the count is still true at commit.
pub(super) async fn keep_an_owner(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<(), OrganisationError> {
    use sea_orm::PaginatorTrait;
    hold(db, organisation_id).await?;
    let owners = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(organisation_id))
        .filter(membership::Column::Role.eq(Role::Owner))
        .count(db)
        .await?;
    if owners <= 1 {
        return Err(OrganisationError::LastOwner);
    }
    Ok(())
}
