//! The rules of organisations and organisers. Passwords are Argon2id hashes; tokens
//! are kept only as SHA-256 hashes (see `http::auth`).

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, SqlErr, TransactionTrait,
};
use uuid::Uuid;

use crate::domain::{Email, InvalidField, Slug, TimeZone, required_text};
use crate::http::{Access, Role, auth::new_token};
use entity::{api_token, invitation, membership, organisation, organiser};

const MIN_PASSWORD: usize = 10;
const INVITATION_DAYS: i64 = 14;

#[derive(Debug, thiserror::Error)]
pub enum OrganisationError {
    #[error("{0}")]
    Invalid(#[from] InvalidField),
    #[error("the organisation slug {0:?} is taken")]
    SlugTaken(String),
    #[error("no organisation {0:?}")]
    NoSuchOrganisation(String),
    #[error("no organiser with that email address")]
    NoSuchOrganiser,
    #[error("email or password is wrong")]
    BadCredentials,
    #[error("only an owner of {0:?} may do this")]
    NotOwner(String),
    #[error("this invitation is unknown, used or expired")]
    NoSuchInvitation,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<OrganisationError> for crate::http::ApiError {
    fn from(e: OrganisationError) -> Self {
        use crate::http::ApiError;
        match e {
            OrganisationError::Invalid(f) => f.into(),
            OrganisationError::SlugTaken(_) => ApiError::conflict(e.to_string()),
            OrganisationError::NoSuchOrganisation(_)
            | OrganisationError::NoSuchOrganiser
            | OrganisationError::NoSuchInvitation => ApiError::not_found(e.to_string()),
            OrganisationError::BadCredentials => ApiError::unauthorized(e.to_string()),
            OrganisationError::NotOwner(_) => ApiError::forbidden(e.to_string()),
            OrganisationError::Db(e) => ApiError::internal(&e),
        }
    }
}

/// What `turnout admin bootstrap` asks for.
pub struct NewOrganisation {
    pub slug: Slug,
    pub name: String,
    pub timezone: TimeZone,
    pub owner_email: Email,
}

impl NewOrganisation {
    pub fn parse(
        slug: &str,
        name: &str,
        timezone: &str,
        email: &str,
    ) -> Result<Self, InvalidField> {
        Ok(Self {
            slug: Slug::parse(slug)?,
            name: required_text("name", name, 200)?,
            timezone: TimeZone::parse(timezone)?,
            owner_email: Email::parse(email)?,
        })
    }
}

/// An organisation by its slug.
pub async fn by_slug(
    db: &DatabaseConnection,
    slug: &str,
) -> Result<Option<organisation::Model>, DbErr> {
    organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(slug))
        .one(db)
        .await
}

/// Create an organisation and its owner (or make an existing organiser its owner),
/// and return a new API token for the owner.
#[tracing::instrument(skip_all, fields(slug = %new.slug))]
pub async fn bootstrap(
    db: &DatabaseConnection,
    new: NewOrganisation,
) -> Result<String, OrganisationError> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let org = organisation::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(new.slug.to_string()),
        name: Set(new.name),
        timezone: Set(new.timezone.to_string()),
        created_at: Set(now),
    };
    let org = match org.insert(&txn).await {
        Ok(org) => org,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(OrganisationError::SlugTaken(new.slug.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    let owner = find_or_create_organiser(&txn, &new.owner_email).await?;
    membership::ActiveModel {
        organisation_id: Set(org.id),
        organiser_id: Set(owner.id),
        role: Set(Role::Owner.as_str().into()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let token = issue_token(&txn, owner.id).await?;
    txn.commit().await?;
    Ok(token)
}

/// A new API token for an existing organiser (`turnout admin create-token`).
pub async fn create_token(
    db: &DatabaseConnection,
    email: &Email,
) -> Result<String, OrganisationError> {
    let organiser = find_organiser(db, email)
        .await?
        .ok_or(OrganisationError::NoSuchOrganiser)?;
    issue_token(db, organiser.id).await
}

/// Check an organiser's password and hand out a new token.
pub async fn login(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
) -> Result<String, OrganisationError> {
    let found = match Email::parse(email) {
        Ok(email) => find_organiser(db, &email).await?,
        Err(_) => None,
    };
    let stored = found.as_ref().and_then(|o| o.password_hash.clone());
    let password = password.to_owned();
    // Verify against a stand-in hash when there is no account, so that the answer
    // takes as long either way and does not tell who has an account.
    let verified = tokio::task::spawn_blocking(move || {
        let fallback = hash_password("not the password of anyone").unwrap_or_default();
        let stored = stored.unwrap_or(fallback);
        PasswordHash::new(&stored)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    match found {
        Some(organiser) if verified => issue_token(db, organiser.id).await,
        _ => Err(OrganisationError::BadCredentials),
    }
}

/// An organiser and their memberships, for `GET /me`.
pub async fn me(
    db: &DatabaseConnection,
    access: &Access,
) -> Result<organiser::Model, OrganisationError> {
    organiser::Entity::find_by_id(access.organiser_id)
        .one(db)
        .await?
        .ok_or(OrganisationError::NoSuchOrganiser)
}

/// The outcome of an invitation.
pub struct Invitation {
    pub organiser: organiser::Model,
    /// The token of the link that sets a password; none when one is set already.
    pub token: Option<String>,
}

/// Give someone a role in an organisation (owners only). A newcomer gets an
/// invitation to set a password; an existing organiser simply gains the role.
#[tracing::instrument(skip_all, fields(organisation = organisation_slug))]
pub async fn invite(
    db: &DatabaseConnection,
    access: &Access,
    organisation_slug: &str,
    email: &Email,
    role: Role,
    site: &crate::email::Site,
) -> Result<Invitation, OrganisationError> {
    let org = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(organisation_slug))
        .one(db)
        .await?
        .ok_or_else(|| OrganisationError::NoSuchOrganisation(organisation_slug.into()))?;
    if !access.can(org.id, Role::Owner) {
        return Err(OrganisationError::NotOwner(org.slug));
    }
    let txn = db.begin().await?;
    let now = Utc::now();
    let organiser = find_or_create_organiser(&txn, email).await?;
    let existing = membership::Entity::find_by_id((org.id, organiser.id))
        .one(&txn)
        .await?;
    let mut member = membership::ActiveModel {
        organisation_id: Set(org.id),
        organiser_id: Set(organiser.id),
        role: Set(role.as_str().into()),
        created_at: Set(now),
    };
    if existing.is_some() {
        member.created_at = sea_orm::ActiveValue::NotSet;
        member.update(&txn).await?;
    } else {
        member.insert(&txn).await?;
    }
    let token = if organiser.password_hash.is_none() {
        let (token, hash) = new_token("inv_");
        invitation::ActiveModel {
            id: Set(Uuid::now_v7()),
            organiser_id: Set(organiser.id),
            organisation_id: Set(org.id),
            token_hash: Set(hash),
            expires_at: Set(now + Duration::days(INVITATION_DAYS)),
            accepted_at: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let invitation_url = format!("{}/invitations/{token}", site.public_url);
        let email = crate::email::outbox::OutgoingEmail {
            to_address: organiser.email.clone(),
            to_name: organiser.name.clone().unwrap_or_default(),
            template: crate::email::render::Template::OrganiserInvitation,
            locale: crate::domain::Locale::En,
            context: serde_json::json!({
                "organisation_name": org.name,
                "role_label": role.as_str(),
                "invitation_url": invitation_url,
            }),
            calendar: None,
            unsubscribe_url: None,
            organisation_id: Some(org.id),
        };
        crate::email::outbox::enqueue(&txn, site, [email]).await?;
        Some(token)
    } else {
        None
    };
    txn.commit().await?;
    Ok(Invitation { organiser, token })
}

/// The address and organisation of an open invitation, for its page.
pub async fn invitation_details(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<(String, String)>, DbErr> {
    let Some(invitation) = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(crate::http::auth::hash_token(token)))
        .one(db)
        .await?
        .filter(|i| i.accepted_at.is_none() && i.expires_at > Utc::now())
    else {
        return Ok(None);
    };
    let email = organiser::Entity::find_by_id(invitation.organiser_id)
        .one(db)
        .await?
        .map(|o| o.email)
        .unwrap_or_default();
    let organisation = organisation::Entity::find_by_id(invitation.organisation_id)
        .one(db)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(Some((email, organisation)))
}

/// Set a password from an invitation link and sign in.
pub async fn accept_invitation(
    db: &DatabaseConnection,
    token: &str,
    password: &str,
    name: Option<&str>,
) -> Result<String, OrganisationError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(InvalidField::new("password", "must be at least 10 characters").into());
    }
    let name = name.map(|n| required_text("name", n, 200)).transpose()?;
    let invitation = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(crate::http::auth::hash_token(token)))
        .one(db)
        .await?
        .filter(|i| i.accepted_at.is_none() && i.expires_at > Utc::now())
        .ok_or(OrganisationError::NoSuchInvitation)?;
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| DbErr::Custom(format!("hashing task failed: {e}")))?
        .map_err(|e| DbErr::Custom(format!("hashing failed: {e}")))?;
    let txn = db.begin().await?;
    let mut used: invitation::ActiveModel = invitation.clone().into();
    used.accepted_at = Set(Some(Utc::now()));
    used.update(&txn).await?;
    let mut organiser: organiser::ActiveModel =
        organiser::Entity::find_by_id(invitation.organiser_id)
            .one(&txn)
            .await?
            .ok_or(OrganisationError::NoSuchInvitation)?
            .into();
    organiser.password_hash = Set(Some(hash));
    if let Some(name) = name {
        organiser.name = Set(Some(name));
    }
    organiser.update(&txn).await?;
    let token = issue_token(&txn, invitation.organiser_id).await?;
    txn.commit().await?;
    Ok(token)
}

fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

async fn find_organiser(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<organiser::Model>, DbErr> {
    organiser::Entity::find()
        .filter(organiser::Column::EmailKey.eq(email.key()))
        .one(db)
        .await
}

async fn find_or_create_organiser(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<organiser::Model, DbErr> {
    if let Some(found) = find_organiser(db, email).await? {
        return Ok(found);
    }
    organiser::ActiveModel {
        id: Set(Uuid::now_v7()),
        email_key: Set(email.key().to_owned()),
        email: Set(email.to_string()),
        name: Set(None),
        password_hash: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

async fn issue_token(
    db: &impl ConnectionTrait,
    organiser_id: Uuid,
) -> Result<String, OrganisationError> {
    let (token, hash) = new_token("tok_");
    api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        organiser_id: Set(organiser_id),
        token_hash: Set(hash),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(token)
}
