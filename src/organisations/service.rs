//! The rules of organisations and organisers. Passwords are Argon2id hashes; tokens
//! are kept only as SHA-256 hashes (see `http::auth`).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, SqlErr, TransactionTrait,
    sea_query::Expr,
};
use uuid::Uuid;

use super::password::{self, NewPassword, PasswordRefusal};
use crate::access::{Access, Role};
use crate::content::{self, Checks, Cursor, Invalid, Limit, Order, Page};
use crate::domain::{Email, InvalidField, Locale, Slug, TimeZone, required_text};
use crate::email::{
    Site,
    outbox::{self, OutgoingEmail},
    render::Template,
};
use crate::tokens::{hash_token, new_token};
pub use entity::values::{ApplicationNotices, LinkPurpose};
use entity::{
    api_token, console_session, invitation, membership, organisation, organiser, organiser_link,
};

const INVITATION_DAYS: i64 = 14;
/// How long a password-reset link works (once).
const RESET_MINUTES: i64 = 60;
/// How long a console sign-in link from the command line works (once).
const SIGN_IN_HOURS: i64 = 24;
const NAME_MAX: usize = 200;

/// Why an organisation, an organiser's account or a token could not be read or
/// changed. The HTTP layer gives each its status; pages choose words by `code()`.
#[derive(Debug, thiserror::Error)]
pub enum OrganisationError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
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
    #[error("no such member of this organisation")]
    NoSuchMember,
    #[error("an organisation keeps at least one owner: make someone else an owner first")]
    LastOwner,
    #[error(transparent)]
    Hashing(#[from] password::HashError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<InvalidField> for OrganisationError {
    fn from(e: InvalidField) -> Self {
        Self::Invalid(Invalid(vec![e]))
    }
}

impl From<PasswordRefusal> for OrganisationError {
    fn from(e: PasswordRefusal) -> Self {
        InvalidField::from(e).into()
    }
}

impl OrganisationError {
    /// A stable name for the kind of refusal, for pages to choose their words by.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::SlugTaken(_) => "slug_taken",
            Self::NoSuchOrganisation(_) => "no_such_organisation",
            Self::NoSuchOrganiser => "no_such_organiser",
            Self::BadCredentials => "bad_credentials",
            Self::NotOwner(_) => "not_owner",
            Self::NoSuchInvitation => "no_such_invitation",
            Self::NoSuchLink => "no_such_link",
            Self::NoSuchToken => "no_such_token",
            Self::NoSuchMember => "no_such_member",
            Self::LastOwner => "last_owner",
            Self::Hashing(_) | Self::Db(_) => "internal",
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
    /// Every bad field is named, not only the first.
    pub fn parse(slug: &str, name: &str, timezone: &str, email: &str) -> Result<Self, Invalid> {
        let mut checks = Checks::default();
        let slug = checks.check(Slug::parse(slug));
        let name = checks.check(required_text("name", name, NAME_MAX));
        let timezone = checks.check(TimeZone::parse(timezone));
        let owner_email = checks.check(Email::parse(email));
        let (((slug, name), timezone), owner_email) =
            checks.done(slug.zip(name).zip(timezone).zip(owner_email))?;
        Ok(Self {
            slug,
            name,
            timezone,
            owner_email,
        })
    }
}

/// What an invitation did.
pub struct Invitation {
    pub organiser: organiser::Model,
    /// The organisation's slug.
    pub organisation: String,
    pub role: Role,
    /// True when the address had no account: a link to set a password went to it.
    pub invited: bool,
}

/// An invitation still open, for its page.
pub struct OpenInvitation {
    pub email: Email,
    pub organisation_name: String,
}

/// Accepting an invitation, as asked.
#[derive(Debug, Clone, Default)]
pub struct Acceptance {
    /// 10 to 256 characters.
    pub password: String,
    pub name: Option<String>,
}

/// Organisations, their organisers, roles, tokens, passwords and invitations.
#[derive(Clone)]
pub struct Organisations {
    db: DatabaseConnection,
    site: Site,
}

impl Organisations {
    pub(super) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

impl Organisations {
    pub fn new(db: DatabaseConnection, site: Site) -> Self {
        Self { db, site }
    }

    /// An organisation by its slug.
    pub async fn by_slug(&self, slug: &str) -> Result<Option<organisation::Model>, DbErr> {
        organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(slug))
            .one(&self.db)
            .await
    }

    /// Create an organisation and its owner (or make an existing organiser its owner),
    /// and return a new API token for the owner.
    #[tracing::instrument(skip_all, fields(slug = %new.slug))]
    pub async fn bootstrap(&self, new: NewOrganisation) -> Result<String, OrganisationError> {
        let txn = self.db.begin().await?;
        let owner = found(&txn, new).await?;
        let token = issue_token(&txn, owner.id).await?;
        txn.commit().await?;
        Ok(token)
    }

    /// A new API token for an existing organiser (`turnout admin create-token`).
    pub async fn create_token(&self, email: &Email) -> Result<String, OrganisationError> {
        let organiser = self.organiser(email).await?;
        issue_token(&self.db, organiser.id).await
    }

    /// A new API token for the organiser asking, with the name they give it (the
    /// console's token page).
    pub async fn named_token(
        &self,
        access: &Access,
        name: Option<String>,
    ) -> Result<String, OrganisationError> {
        issue_named_token(&self.db, access.organiser_id, name).await
    }

    /// Check an organiser's password and hand out a new token. A wrong password and
    /// an unknown address read the same, and take as long.
    pub async fn login(&self, email: &str, password: &str) -> Result<String, OrganisationError> {
        let organiser = check_password(&self.db, email, password).await?;
        issue_token(&self.db, organiser.id).await
    }

    /// The organiser behind a request (`GET /me`; their memberships are in `access`).
    pub async fn me(&self, access: &Access) -> Result<organiser::Model, OrganisationError> {
        organiser::Entity::find_by_id(access.organiser_id)
            .one(&self.db)
            .await?
            .ok_or(OrganisationError::NoSuchOrganiser)
    }

    /// Give someone a role in an organisation (owners only). Someone new gets an
    /// invitation by email to set a password; someone with an account (with a
    /// password or not yet) simply gains the role and is told by email. The link
    /// only ever goes to the address: whoever invites never holds a way into the
    /// account.
    #[tracing::instrument(skip_all, fields(organisation = organisation_slug))]
    pub async fn invite(
        &self,
        access: &Access,
        organisation_slug: &str,
        email: &Email,
        role: Role,
    ) -> Result<Invitation, OrganisationError> {
        let org = self
            .by_slug(organisation_slug)
            .await?
            .ok_or_else(|| OrganisationError::NoSuchOrganisation(organisation_slug.into()))?;
        if !access.can(org.id, Role::Owner) {
            return Err(OrganisationError::NotOwner(org.slug));
        }
        let inviter = organiser::Entity::find_by_id(access.organiser_id)
            .one(&self.db)
            .await?
            .map(|o| o.name.unwrap_or_else(|| o.email.to_string()))
            .unwrap_or_default();
        let write = crate::db::begin_write(&self.db).await?;
        let txn = &write.txn;
        let now = Utc::now();
        let (organiser, is_new) = match find_organiser(txn, email).await? {
            Some(found) => (found, false),
            None => (create_organiser(txn, email).await?, true),
        };
        let existing = membership::Entity::find_by_id((org.id, organiser.id))
            .one(txn)
            .await?;
        let mut member = membership::ActiveModel {
            organisation_id: Set(org.id),
            organiser_id: Set(organiser.id),
            role: Set(role),
            created_at: Set(now),
        };
        if let Some(existing) = existing {
            if existing.role == Role::Owner && role != Role::Owner {
                super::members::keep_an_owner(txn, org.id).await?;
            }
            member.created_at = sea_orm::ActiveValue::NotSet;
            member.update(txn).await?;
        } else {
            member.insert(txn).await?;
        }
        let mut context = serde_json::json!({
            "organisation_name": org.name,
            "role_label": role.as_str(),
            "inviter": inviter,
        });
        let template = if is_new {
            let token = issue_secret(txn, "inv_", |token_hash| invitation::ActiveModel {
                id: Set(Uuid::now_v7()),
                organiser_id: Set(organiser.id),
                organisation_id: Set(org.id),
                token_hash: Set(token_hash),
                expires_at: Set(now + Duration::days(INVITATION_DAYS)),
                accepted_at: Set(None),
                created_at: Set(now),
            })
            .await?;
            context["invitation_url"] = self.link(&format!("/invitations/{token}")).into();
            Template::OrganiserInvitation
        } else {
            context["sign_in_url"] = self.link("/admin/login").into();
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
        outbox::enqueue(txn, &self.site, [email]).await?;
        write.commit().await?;
        Ok(Invitation {
            organiser,
            organisation: org.slug,
            role,
            invited: is_new,
        })
    }

    /// The address and organisation of an open invitation, for its page. None once
    /// the invitee has a password.
    pub async fn invitation(&self, token: &str) -> Result<Option<OpenInvitation>, DbErr> {
        let Some(invitation) = open_invitation(&self.db, token).await? else {
            return Ok(None);
        };
        let Some(organiser) = organiser::Entity::find_by_id(invitation.organiser_id)
            .one(&self.db)
            .await?
            .filter(|o| o.password_hash.is_none())
        else {
            return Ok(None);
        };
        let organisation_name = organisation::Entity::find_by_id(invitation.organisation_id)
            .one(&self.db)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        Ok(Some(OpenInvitation {
            email: organiser.email,
            organisation_name,
        }))
    }

    /// Set a first password from an invitation link, and sign in: a new API token.
    /// An invitation never sets the password of an account that has one. Every bad
    /// field is named.
    pub async fn accept_invitation(
        &self,
        token: &str,
        acceptance: Acceptance,
    ) -> Result<String, OrganisationError> {
        let mut checks = Checks::default();
        let password =
            checks.check(NewPassword::parse(&acceptance.password).map_err(InvalidField::from));
        let name = checks.check(
            acceptance
                .name
                .as_deref()
                .map(|n| required_text("name", n, NAME_MAX))
                .transpose(),
        );
        let (password, name) = checks.done(password.zip(name))?;
        let invitation = open_invitation(&self.db, token)
            .await?
            .ok_or(OrganisationError::NoSuchInvitation)?;
        let hash = password::hash(&password).await?;
        let txn = self.db.begin().await?;
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

    /// Set an organiser's password (`turnout admin set-password`): every other way
    /// in ends.
    pub async fn set_password(
        &self,
        email: &Email,
        password: &NewPassword,
    ) -> Result<(), OrganisationError> {
        let organiser = self.organiser(email).await?;
        let hash = password::hash(password).await?;
        let txn = self.db.begin().await?;
        store_password(&txn, organiser.id, hash).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Ask for a password reset: when the address has an account, a link valid for
    /// an hour goes to it. Nothing tells the caller whether it has one.
    #[tracing::instrument(skip_all)]
    pub async fn request_password_reset(
        &self,
        email: &Email,
        locale: Locale,
    ) -> Result<(), OrganisationError> {
        let Some(organiser) = find_organiser(&self.db, email).await? else {
            return Ok(());
        };
        let txn = self.db.begin().await?;
        let token = new_link(&txn, organiser.id, LinkPurpose::PasswordReset).await?;
        let email = OutgoingEmail {
            to_address: organiser.email.to_string(),
            to_name: organiser.name.clone().unwrap_or_default(),
            template: Template::PasswordReset,
            locale,
            context: serde_json::json!({
                "reset_url": self.link(&format!("/admin/password-reset/{token}")),
            }),
            calendar: None,
            unsubscribe_url: None,
            organisation_id: None,
        };
        outbox::enqueue(&txn, &self.site, [email]).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The address a one-time link is for, while it may still be used.
    pub async fn link_holder(
        &self,
        token: &str,
        purpose: LinkPurpose,
    ) -> Result<Option<Email>, DbErr> {
        let Some(link) = open_link(&self.db, token, purpose).await? else {
            return Ok(None);
        };
        Ok(organiser::Entity::find_by_id(link.organiser_id)
            .one(&self.db)
            .await?
            .map(|o| o.email))
    }

    /// Set a new password with a reset link; every other way in ends.
    pub async fn reset_password(
        &self,
        token: &str,
        password: &NewPassword,
    ) -> Result<(), OrganisationError> {
        if open_link(&self.db, token, LinkPurpose::PasswordReset)
            .await?
            .is_none()
        {
            return Err(OrganisationError::NoSuchLink);
        }
        let hash = password::hash(password).await?;
        let txn = self.db.begin().await?;
        let organiser_id = use_link(&txn, token, LinkPurpose::PasswordReset).await?;
        store_password(&txn, organiser_id, hash).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A one-time link into the console (`turnout admin sign-in-link`).
    pub async fn sign_in_link(&self, email: &Email) -> Result<String, OrganisationError> {
        let organiser = self.organiser(email).await?;
        let token = new_link(&self.db, organiser.id, LinkPurpose::SignIn).await?;
        Ok(self.link(&format!("/admin/sign-in/{token}")))
    }

    /// Use a console sign-in link; the organiser it signs in.
    pub async fn use_sign_in_link(&self, token: &str) -> Result<Uuid, OrganisationError> {
        use_link(&self.db, token, LinkPurpose::SignIn).await
    }

    /// The caller's own API tokens, newest first, a page at a time.
    pub async fn tokens(
        &self,
        access: &Access,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<api_token::Model>, OrganisationError> {
        let query = api_token::Entity::find()
            .filter(api_token::Column::OrganiserId.eq(access.organiser_id));
        Ok(content::page(&self.db, query, Order::NewestFirst, limit, cursor).await?)
    }

    /// Revoke one of the caller's own tokens.
    pub async fn revoke_token(&self, access: &Access, id: Uuid) -> Result<(), OrganisationError> {
        let gone = api_token::Entity::delete_many()
            .filter(api_token::Column::Id.eq(id))
            .filter(api_token::Column::OrganiserId.eq(access.organiser_id))
            .exec(&self.db)
            .await?;
        if gone.rows_affected == 0 {
            return Err(OrganisationError::NoSuchToken);
        }
        Ok(())
    }

    /// Revoke the token a request was made with (logout).
    pub async fn revoke_bearer(&self, token: &str) -> Result<(), DbErr> {
        forget::<api_token::Entity>(&self.db, api_token::Column::TokenHash, token).await
    }

    /// The organiser with this address, who must have an account.
    async fn organiser(&self, email: &Email) -> Result<organiser::Model, OrganisationError> {
        find_organiser(&self.db, email)
            .await?
            .ok_or(OrganisationError::NoSuchOrganiser)
    }

    /// A link to a page of this site, for an email or the terminal.
    fn link(&self, path: &str) -> String {
        format!("{}{path}", self.site.public_url)
    }
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

/// A password was just set: every other way into the account ends (its tokens,
/// console sessions, open invitations and one-time links).
pub(super) async fn end_other_ways_in(
    db: &impl ConnectionTrait,
    organiser_id: Uuid,
) -> Result<(), DbErr> {
    let now = Utc::now();
    api_token::Entity::delete_many()
        .filter(api_token::Column::OrganiserId.eq(organiser_id))
        .exec(db)
        .await?;
    console_session::Entity::delete_many()
        .filter(console_session::Column::OrganiserId.eq(organiser_id))
        .exec(db)
        .await?;
    use_up::<invitation::Entity>(db, organiser_id, now).await?;
    use_up::<organiser_link::Entity>(db, organiser_id, now).await
}

/// A table of one-time secrets an organiser is sent: invitations, links.
trait OneTime: EntityTrait {
    const ORGANISER: Self::Column;
    /// When it was spent (used, accepted); null while it still opens something.
    const SPENT: Self::Column;
}

impl OneTime for invitation::Entity {
    const ORGANISER: Self::Column = invitation::Column::OrganiserId;
    const SPENT: Self::Column = invitation::Column::AcceptedAt;
}

impl OneTime for organiser_link::Entity {
    const ORGANISER: Self::Column = organiser_link::Column::OrganiserId;
    const SPENT: Self::Column = organiser_link::Column::UsedAt;
}

/// Spend every one-time secret of `E` an organiser still holds, as of `now`, so it
/// opens nothing any more.
async fn use_up<E: OneTime>(
    db: &impl ConnectionTrait,
    organiser_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    E::update_many()
        .col_expr(E::SPENT, Expr::value(Some(now)))
        .filter(E::ORGANISER.eq(organiser_id))
        .filter(E::SPENT.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub(super) async fn store_password(
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
    let now = Utc::now();
    issue_secret(db, "", |token_hash| organiser_link::ActiveModel {
        id: Set(Uuid::now_v7()),
        organiser_id: Set(organiser_id),
        purpose: Set(purpose),
        token_hash: Set(token_hash),
        expires_at: Set(now + lifetime(purpose)),
        used_at: Set(None),
        created_at: Set(now),
    })
    .await
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
pub(super) async fn use_link(
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

/// Create an organisation and make its owner the organiser of that address (new, or
/// existing): the organiser.
pub(super) async fn found(
    txn: &impl ConnectionTrait,
    new: NewOrganisation,
) -> Result<organiser::Model, OrganisationError> {
    let now = Utc::now();
    let org = organisation::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(new.slug.to_string()),
        name: Set(new.name),
        timezone: Set(new.timezone),
        language: Set(Locale::En),
        contact_email: Set(None),
        application_notices: Set(ApplicationNotices::Each),
        created_at: Set(now),
    };
    let org = match org.insert(txn).await {
        Ok(org) => org,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(OrganisationError::SlugTaken(new.slug.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    let owner = match find_organiser(txn, &new.owner_email).await? {
        Some(found) => found,
        None => create_organiser(txn, &new.owner_email).await?,
    };
    membership::ActiveModel {
        organisation_id: Set(org.id),
        organiser_id: Set(owner.id),
        role: Set(Role::Owner),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(owner)
}

/// The organiser of this address and password. A wrong password and an unknown
/// address read the same, and take as long: the hash is checked either way.
pub(super) async fn check_password(
    db: &impl ConnectionTrait,
    email: &str,
    password: &str,
) -> Result<organiser::Model, OrganisationError> {
    let found = match Email::parse(email) {
        Ok(email) => find_organiser(db, &email).await?,
        Err(_) => None,
    };
    let stored = found.as_ref().and_then(|o| o.password_hash.clone());
    let verified = password::verify(password, stored).await;
    found
        .filter(|_| verified)
        .ok_or(OrganisationError::BadCredentials)
}

pub(super) async fn find_organiser(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<organiser::Model>, DbErr> {
    organiser::Entity::find()
        .filter(organiser::Column::EmailKey.eq(email.key()))
        .one(db)
        .await
}

pub(super) async fn create_organiser(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<organiser::Model, DbErr> {
    organiser::ActiveModel {
        id: Set(Uuid::now_v7()),
        email_key: Set(email.key().to_owned()),
        email: Set(email.clone()),
        name: Set(None),
        password_hash: Set(None),
        locale: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

async fn issue_token(
    db: &impl ConnectionTrait,
    organiser_id: Uuid,
) -> Result<String, OrganisationError> {
    issue_named_token(db, organiser_id, None).await
}

async fn issue_named_token(
    db: &impl ConnectionTrait,
    organiser_id: Uuid,
    name: Option<String>,
) -> Result<String, OrganisationError> {
    let now = Utc::now();
    Ok(
        issue_secret(db, "tok_", |token_hash| api_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            organiser_id: Set(organiser_id),
            token_hash: Set(token_hash),
            created_at: Set(now),
            last_used_at: Set(Some(now)),
            name: Set(name),
        })
        .await?,
    )
}

/// A new secret (an invitation, a link, an API token): its hash is kept in the row
/// `row` makes of it, and the secret itself is given back to be handed over once,
/// never to be read from the database again.
async fn issue_secret<A>(
    db: &impl ConnectionTrait,
    prefix: &str,
    row: impl FnOnce(String) -> A,
) -> Result<String, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let (token, hash) = new_token(prefix);
    row(hash).insert(db).await?;
    Ok(token)
}

/// Forget a secret kept as its hash in `column` of `E` (an API token, a console
/// session): whoever holds it is signed out. An unknown one is forgotten already.
pub(super) async fn forget<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    token: &str,
) -> Result<(), DbErr> {
    E::delete_many()
        .filter(column.eq(hash_token(token)))
        .exec(db)
        .await?;
    Ok(())
}
