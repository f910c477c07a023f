//! The rules of organisations and organisers. Passwords are Argon2id hashes; tokens
//! are kept only as SHA-256 hashes (see `http::auth`).

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use super::password::{self, NewPassword};
use crate::access::{Access, Role};
use crate::domain::{Email, InvalidField, Locale, Slug, TimeZone, required_text};
use crate::email::{
    Site,
    outbox::{self, OutgoingEmail},
    render::Template,
};
use crate::http::page::{Limit, cursor_id, split_page};
use crate::tokens::{hash_token, new_token};
pub use entity::values::LinkPurpose;
use entity::{api_token, invitation, membership, organisation, organiser, organiser_link};

const INVITATION_DAYS: i64 = 14;
/// How long a password-reset link works (once).
const RESET_MINUTES: i64 = 60;
/// How long a console sign-in link from the command line works (once).
const SIGN_IN_HOURS: i64 = 24;

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
    #[error("this link is unknown, used or expired")]
    NoSuchLink,
    #[error("no such token of yours")]
    NoSuchToken,
    #[error(transparent)]
    Hashing(#[from] password::HashError),
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
            | OrganisationError::NoSuchInvitation
            | OrganisationError::NoSuchLink
            | OrganisationError::NoSuchToken => ApiError::not_found(e.to_string()),
            OrganisationError::BadCredentials => ApiError::unauthorized(e.to_string()),
            OrganisationError::NotOwner(_) => ApiError::forbidden(e.to_string()),
            OrganisationError::Db(e) => ApiError::internal(&e),
            OrganisationError::Hashing(e) => ApiError::internal(&e),
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
        timezone: Set(new.timezone),
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
        role: Set(Role::Owner),
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

/// Check an organiser's password and hand out a new token. A wrong password and an
/// unknown address read the same, and take as long.
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
    let verified = password::verify(password, stored).await;
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

/// What an invitation did.
pub struct Invitation {
    pub organiser: organiser::Model,
    /// True when the address had no account: a link to set a password went to it.
    pub invited: bool,
}

/// Give someone a role in an organisation (owners only). Someone new gets an
/// invitation by email to set a password; someone with an account (with a password
/// or not yet) simply gains the role and is told by email. The link only ever goes
/// to the address: whoever invites never holds a way into the account.
#[tracing::instrument(skip_all, fields(organisation = organisation_slug))]
pub async fn invite(
    db: &DatabaseConnection,
    access: &Access,
    organisation_slug: &str,
    email: &Email,
    role: Role,
    site: &Site,
) -> Result<Invitation, OrganisationError> {
    let org = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(organisation_slug))
        .one(db)
        .await?
        .ok_or_else(|| OrganisationError::NoSuchOrganisation(organisation_slug.into()))?;
    if !access.can(org.id, Role::Owner) {
        return Err(OrganisationError::NotOwner(org.slug));
    }
    let inviter = organiser::Entity::find_by_id(access.organiser_id)
        .one(db)
        .await?
        .map(|o| o.name.unwrap_or_else(|| o.email.to_string()))
        .unwrap_or_default();
    let txn = db.begin().await?;
    let now = Utc::now();
    let (organiser, is_new) = match find_organiser(&txn, email).await? {
        Some(found) => (found, false),
        None => (create_organiser(&txn, email).await?, true),
    };
    let existing = membership::Entity::find_by_id((org.id, organiser.id))
        .one(&txn)
        .await?;
    let mut member = membership::ActiveModel {
        organisation_id: Set(org.id),
        organiser_id: Set(organiser.id),
        role: Set(role),
        created_at: Set(now),
    };
    if existing.is_some() {
        member.created_at = sea_orm::ActiveValue::NotSet;
        member.update(&txn).await?;
    } else {
        member.insert(&txn).await?;
    }
    let mut context = serde_json::json!({
        "organisation_name": org.name,
        "role_label": role.as_str(),
        "inviter": inviter,
    });
    let template = if is_new {
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
        context["invitation_url"] = format!("{}/invitations/{token}", site.public_url).into();
        Template::OrganiserInvitation
    } else {
        context["sign_in_url"] = format!("{}/admin/login", site.public_url).into();
        Template::OrganiserAdded
    };
    let email = OutgoingEmail {
        to_address: organiser.email.to_string(),
        to_name: organiser.name.clone().unwrap_or_default(),
        template,
        locale: Locale::En,
        context,
        calendar: None,
        unsubscribe_url: None,
        organisation_id: Some(org.id),
    };
    outbox::enqueue(&txn, site, [email]).await?;
    txn.commit().await?;
    Ok(Invitation {
        organiser,
        invited: is_new,
    })
}

/// The address and organisation of an open invitation, for its page. None once the
/// invitee has a password.
pub async fn invitation_details(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<(String, String)>, DbErr> {
    let Some(invitation) = open_invitation(db, token).await? else {
        return Ok(None);
    };
    let Some(organiser) = organiser::Entity::find_by_id(invitation.organiser_id)
        .one(db)
        .await?
        .filter(|o| o.password_hash.is_none())
    else {
        return Ok(None);
    };
    let organisation = organisation::Entity::find_by_id(invitation.organisation_id)
        .one(db)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(Some((organiser.email.to_string(), organisation)))
}

async fn open_invitation(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<invitation::Model>, DbErr> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
        .filter(|i| i.accepted_at.is_none() && i.expires_at > Utc::now()))
}

/// Set a first password from an invitation link, and sign in. An invitation never
/// sets the password of an account that has one.
pub async fn accept_invitation(
    db: &DatabaseConnection,
    token: &str,
    password: &str,
    name: Option<&str>,
) -> Result<String, OrganisationError> {
    let password = NewPassword::parse(password)?;
    let name = name.map(|n| required_text("name", n, 200)).transpose()?;
    let invitation = open_invitation(db, token)
        .await?
        .ok_or(OrganisationError::NoSuchInvitation)?;
    let hash = password::hash(&password).await?;
    let txn = db.begin().await?;
    // Only while the account has no password: one invitation wins a race with
    // another, and one opened after a reset does nothing.
    let set = organiser::Entity::update_many()
        .col_expr(organiser::Column::PasswordHash, Expr::value(Some(hash)))
        .filter(organiser::Column::Id.eq(invitation.organiser_id))
        .filter(organiser::Column::PasswordHash.is_null())
        .exec(&txn)
        .await?;
    if set.rows_affected != 1 {
        return Err(OrganisationError::NoSuchInvitation);
    }
    if let Some(name) = name {
        organiser::Entity::update_many()
            .col_expr(organiser::Column::Name, Expr::value(Some(name)))
            .filter(organiser::Column::Id.eq(invitation.organiser_id))
            .exec(&txn)
            .await?;
    }
    end_other_ways_in(&txn, invitation.organiser_id).await?;
    let token = issue_token(&txn, invitation.organiser_id).await?;
    txn.commit().await?;
    Ok(token)
}

/// A password was just set: every other way into the account ends (its tokens,
/// open invitations and one-time links; console sessions, once there are any, too).
async fn end_other_ways_in(db: &impl ConnectionTrait, organiser_id: Uuid) -> Result<(), DbErr> {
    let now = Utc::now();
    api_token::Entity::delete_many()
        .filter(api_token::Column::OrganiserId.eq(organiser_id))
        .exec(db)
        .await?;
    invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(Some(now)))
        .filter(invitation::Column::OrganiserId.eq(organiser_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(db)
        .await?;
    organiser_link::Entity::update_many()
        .col_expr(organiser_link::Column::UsedAt, Expr::value(Some(now)))
        .filter(organiser_link::Column::OrganiserId.eq(organiser_id))
        .filter(organiser_link::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Set an organiser's password (`turnout admin set-password`): every other way in
/// ends.
pub async fn set_password(
    db: &DatabaseConnection,
    email: &Email,
    password: &NewPassword,
) -> Result<(), OrganisationError> {
    let organiser = find_organiser(db, email)
        .await?
        .ok_or(OrganisationError::NoSuchOrganiser)?;
    let hash = password::hash(password).await?;
    let txn = db.begin().await?;
    store_password(&txn, organiser.id, hash).await?;
    txn.commit().await?;
    Ok(())
}

async fn store_password(
    db: &impl ConnectionTrait,
    organiser_id: Uuid,
    hash: String,
) -> Result<(), DbErr> {
    organiser::Entity::update_many()
        .col_expr(organiser::Column::PasswordHash, Expr::value(Some(hash)))
        .filter(organiser::Column::Id.eq(organiser_id))
        .exec(db)
        .await?;
    end_other_ways_in(db, organiser_id).await
}

/// How long a one-time link works.
fn lifetime(purpose: LinkPurpose) -> Duration {
    match purpose {
        LinkPurpose::PasswordReset => Duration::minutes(RESET_MINUTES),
        LinkPurpose::SignIn => Duration::hours(SIGN_IN_HOURS),
    }
}

async fn new_link(
    db: &impl ConnectionTrait,
    organiser_id: Uuid,
    purpose: LinkPurpose,
) -> Result<String, DbErr> {
    let (token, hash) = new_token("");
    let now = Utc::now();
    organiser_link::ActiveModel {
        id: Set(Uuid::now_v7()),
        organiser_id: Set(organiser_id),
        purpose: Set(purpose),
        token_hash: Set(hash),
        expires_at: Set(now + lifetime(purpose)),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Ask for a password reset: when the address has an account, a link valid for an
/// hour goes to it. Nothing tells the caller whether it has one.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(
    db: &DatabaseConnection,
    site: &Site,
    email: &Email,
    locale: Locale,
) -> Result<(), OrganisationError> {
    let Some(organiser) = find_organiser(db, email).await? else {
        return Ok(());
    };
    let txn = db.begin().await?;
    let token = new_link(&txn, organiser.id, LinkPurpose::PasswordReset).await?;
    let email = OutgoingEmail {
        to_address: organiser.email.to_string(),
        to_name: organiser.name.clone().unwrap_or_default(),
        template: Template::PasswordReset,
        locale,
        context: serde_json::json!({
            "reset_url": format!("{}/admin/password-reset/{token}", site.public_url),
        }),
        calendar: None,
        unsubscribe_url: None,
        organisation_id: None,
    };
    outbox::enqueue(&txn, site, [email]).await?;
    txn.commit().await?;
    Ok(())
}

/// The address a one-time link is for, while it may still be used.
pub async fn link_holder(
    db: &DatabaseConnection,
    token: &str,
    purpose: LinkPurpose,
) -> Result<Option<String>, DbErr> {
    let Some(link) = open_link(db, token, purpose).await? else {
        return Ok(None);
    };
    Ok(organiser::Entity::find_by_id(link.organiser_id)
        .one(db)
        .await?
        .map(|o| o.email.to_string()))
}

async fn open_link(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: LinkPurpose,
) -> Result<Option<organiser_link::Model>, DbErr> {
    Ok(organiser_link::Entity::find()
        .filter(organiser_link::Column::TokenHash.eq(hash_token(token)))
        .filter(organiser_link::Column::Purpose.eq(purpose))
        .one(db)
        .await?
        .filter(|l| l.used_at.is_none() && l.expires_at > Utc::now()))
}

/// Use a one-time link: it works once, the first use wins a race. Its organiser.
async fn use_link(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: LinkPurpose,
) -> Result<Uuid, OrganisationError> {
    let link = open_link(db, token, purpose)
        .await?
        .ok_or(OrganisationError::NoSuchLink)?;
    let used = organiser_link::Entity::update_many()
        .col_expr(
            organiser_link::Column::UsedAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(organiser_link::Column::Id.eq(link.id))
        .filter(organiser_link::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if used.rows_affected != 1 {
        return Err(OrganisationError::NoSuchLink);
    }
    Ok(link.organiser_id)
}

/// Set a new password with a reset link; every other way in ends.
pub async fn reset_password(
    db: &DatabaseConnection,
    token: &str,
    password: &NewPassword,
) -> Result<(), OrganisationError> {
    if open_link(db, token, LinkPurpose::PasswordReset)
        .await?
        .is_none()
    {
        return Err(OrganisationError::NoSuchLink);
    }
    let hash = password::hash(password).await?;
    let txn = db.begin().await?;
    let organiser_id = use_link(&txn, token, LinkPurpose::PasswordReset).await?;
    store_password(&txn, organiser_id, hash).await?;
    txn.commit().await?;
    Ok(())
}

/// A one-time link into the console (`turnout admin sign-in-link`).
pub async fn sign_in_link(
    db: &DatabaseConnection,
    site: &Site,
    email: &Email,
) -> Result<String, OrganisationError> {
    let organiser = find_organiser(db, email)
        .await?
        .ok_or(OrganisationError::NoSuchOrganiser)?;
    let token = new_link(db, organiser.id, LinkPurpose::SignIn).await?;
    Ok(format!("{}/admin/sign-in/{token}", site.public_url))
}

/// Use a console sign-in link; the organiser it signs in.
pub async fn use_sign_in_link(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Uuid, OrganisationError> {
    use_link(db, token, LinkPurpose::SignIn).await
}

/// The caller's own API tokens, newest first, a page at a time; the next page's
/// cursor.
pub async fn tokens(
    db: &DatabaseConnection,
    access: &Access,
    limit: Limit,
    cursor: Option<&str>,
) -> Result<(Vec<api_token::Model>, Option<String>), OrganisationError> {
    let mut query = api_token::Entity::find()
        .filter(api_token::Column::OrganiserId.eq(access.organiser_id))
        .order_by_desc(api_token::Column::Id)
        .limit(limit.get() + 1);
    if let Some(after) = cursor_id(cursor)? {
        query = query.filter(api_token::Column::Id.lt(after));
    }
    let rows = query.all(db).await?;
    Ok(split_page(rows, limit, |t| t.id.to_string()))
}

/// Revoke one of the caller's own tokens.
pub async fn revoke_token(
    db: &DatabaseConnection,
    access: &Access,
    id: Uuid,
) -> Result<(), OrganisationError> {
    let gone = api_token::Entity::delete_many()
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::OrganiserId.eq(access.organiser_id))
        .exec(db)
        .await?;
    if gone.rows_affected == 0 {
        return Err(OrganisationError::NoSuchToken);
    }
    Ok(())
}

/// Revoke the token a request was made with (logout).
pub async fn revoke_bearer(db: &DatabaseConnection, token: &str) -> Result<(), DbErr> {
    api_token::Entity::delete_many()
        .filter(api_token::Column::TokenHash.eq(hash_token(token)))
        .exec(db)
        .await?;
    Ok(())
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
    create_organiser(db, email).await
}

async fn create_organiser(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<organiser::Model, DbErr> {
    organiser::ActiveModel {
        id: Set(Uuid::now_v7()),
        email_key: Set(email.key().to_owned()),
        email: Set(email.clone()),
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
    let now = Utc::now();
    api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        organiser_id: Set(organiser_id),
        token_hash: Set(hash),
        created_at: Set(now),
        last_used_at: Set(Some(now)),
        // Tokens are not named yet; the column waits for the console's token page.
        name: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}
