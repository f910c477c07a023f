//! Console sessions: an organiser signed in in one browser. The cookie holds a
//! random token; the database holds only its SHA-256, so a copy of the database
//! opens nobody's session. A session ends after 14 days unused, at logout, and when
//! the organiser's password is set (every other way in ends then).

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, SqlErr, sea_query::Expr,
};
use uuid::Uuid;

use super::password::{self, NewPassword};
use super::service::{
    LinkPurpose, NewOrganisation, OrganisationError, check_password, found, store_password,
    use_link,
};
use crate::access::{Access, access_of};
use crate::content::{Checks, Invalid};
use crate::domain::Locale;
use crate::tokens::{hash_token, new_token};
use entity::{console_session, organisation, organiser, setting};

/// A session unused for this long ends.
pub const IDLE_DAYS: i64 = 14;
/// How often a session's last use is written: a write per page would cost more
/// than the page, and fourteen days do not need the minute.
const TOUCH_MINUTES: i64 = 10;
/// The row that marks the first-run setup as done: only one browser may make the
/// first organisation, even when two post the form at once.
const SETUP_DONE: &str = "console_setup_done";

/// The organiser behind a console request.
#[derive(Debug, Clone)]
pub struct Signed {
    pub organiser: organiser::Model,
    pub access: Access,
}

/// What the first-run form asks for: the first organisation and its owner.
pub struct NewSetup {
    pub organisation: NewOrganisation,
    pub password: NewPassword,
}

impl NewSetup {
    /// Every bad field is named, by the form's names (`org_name`, `org_slug`,
    /// `timezone`, `email`, `password`).
    pub fn parse(
        org_name: &str,
        org_slug: &str,
        timezone: &str,
        email: &str,
        password: &str,
    ) -> Result<Self, Invalid> {
        let mut checks = Checks::default();
        let organisation = match NewOrganisation::parse(org_slug, org_name, timezone, email) {
            Ok(parsed) => Some(parsed),
            Err(Invalid(fields)) => {
                for mut field in fields {
                    field.field = match field.field.as_str() {
                        "slug" => "org_slug".into(),
                        "name" => "org_name".into(),
                        _ => field.field,
                    };
                    checks.note(field);
                }
                None
            }
        };
        let password = checks.check(NewPassword::parse(password).map_err(Into::into));
        let (organisation, password) = checks.done(organisation.zip(password))?;
        Ok(Self {
            organisation,
            password,
        })
    }
}

/// Console sessions.
#[derive(Clone)]
pub struct Sessions {
    db: DatabaseConnection,
}

impl Sessions {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Sign in with an address and a password: a new session's token.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<String, OrganisationError> {
        let organiser = check_password(&self.db, email, password).await?;
        Ok(open(&self.db, organiser.id).await?)
    }

    /// Sign in with a one-time link of the command line; it is used up.
    pub async fn sign_in_with_link(&self, token: &str) -> Result<String, OrganisationError> {
        // A write transaction from the start: two clicks at once take turns, and the
        // second finds the link used (on SQLite a read upgraded to a write would
        // fail instead).
        let txn = crate::db::begin_write(&self.db).await?;
        let organiser_id = use_link(&txn.txn, token, LinkPurpose::SignIn).await?;
        let session = open(&txn.txn, organiser_id).await?;
        txn.commit().await?;
        Ok(session)
    }

    /// The organiser a session's token signs in, while it lasts.
    pub async fn resume(&self, token: &str) -> Result<Option<Signed>, DbErr> {
        let now = Utc::now();
        let Some(session) = console_session::Entity::find()
            .filter(console_session::Column::TokenHash.eq(hash_token(token)))
            .one(&self.db)
            .await?
            .filter(|s| now - s.last_seen_at < Duration::days(IDLE_DAYS))
        else {
            return Ok(None);
        };
        if now - session.last_seen_at > Duration::minutes(TOUCH_MINUTES) {
            console_session::Entity::update_many()
                .col_expr(console_session::Column::LastSeenAt, Expr::value(now))
                .filter(console_session::Column::Id.eq(session.id))
                .exec(&self.db)
                .await?;
        }
        let Some(organiser) = organiser::Entity::find_by_id(session.organiser_id)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let access = access_of(&self.db, organiser.id).await?;
        Ok(Some(Signed { organiser, access }))
    }

    /// End the session of this token (logout); an unknown one is already ended.
    pub async fn end(&self, token: &str) -> Result<(), DbErr> {
        super::service::forget::<console_session::Entity>(
            &self.db,
            console_session::Column::TokenHash,
            token,
        )
        .await
    }

    /// Whether the first-run setup is still open: no organisation exists yet.
    pub async fn setup_open(&self) -> Result<bool, DbErr> {
        Ok(organisation::Entity::find().count(&self.db).await? == 0)
    }

    /// Make the first organisation and its owner with a password, and sign the owner
    /// in: the session's token. None when an organisation exists already (or
    /// another browser made the first one a moment ago).
    pub async fn setup(&self, new: NewSetup) -> Result<Option<String>, OrganisationError> {
        let hash = password::hash(&new.password).await?;
        let write = crate::db::begin_write(&self.db).await?;
        let txn = &write.txn;
        let marked = setting::ActiveModel {
            key: Set(SETUP_DONE.to_owned()),
            value: Set(Utc::now().to_rfc3339()),
        }
        .insert(txn)
        .await;
        match marked {
            Ok(_) => {}
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
        if organisation::Entity::find().count(txn).await? > 0 {
            return Ok(None);
        }
        let owner = found(txn, new.organisation).await?;
        store_password(txn, owner.id, hash).await?;
        let session = open(txn, owner.id).await?;
        write.commit().await?;
        Ok(Some(session))
    }

    /// Change a signed-in organiser's password, knowing the current one. Every
    /// session and token of the account ends; this browser gets a new session (its
    /// token).
    pub async fn change_password(
        &self,
        signed: &Signed,
        current: &str,
        new: &NewPassword,
    ) -> Result<String, OrganisationError> {
        let organiser = check_password(&self.db, signed.organiser.email.as_ref(), current).await?;
        let hash = password::hash(new).await?;
        let txn = crate::db::begin_write(&self.db).await?;
        store_password(&txn.txn, organiser.id, hash).await?;
        let session = open(&txn.txn, organiser.id).await?;
        txn.commit().await?;
        Ok(session)
    }

    /// Choose the language of an organiser's console; none: their browser's.
    pub async fn set_locale(
        &self,
        organiser_id: Uuid,
        locale: Option<Locale>,
    ) -> Result<(), DbErr> {
        organiser::Entity::update_many()
            .col_expr(organiser::Column::Locale, Expr::value(locale))
            .filter(organiser::Column::Id.eq(organiser_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

/// Open a session for an organiser: its token, which only the cookie holds. Their
/// sessions that ended by lying unused go now: rows nobody can use are not kept.
async fn open(db: &impl ConnectionTrait, organiser_id: Uuid) -> Result<String, DbErr> {
    let (token, hash) = new_token("ses_");
    let now = Utc::now();
    console_session::Entity::delete_many()
        .filter(console_session::Column::OrganiserId.eq(organiser_id))
        .filter(console_session::Column::LastSeenAt.lt(now - Duration::days(IDLE_DAYS)))
        .exec(db)
        .await?;
    console_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        organiser_id: Set(organiser_id),
        token_hash: Set(hash),
        created_at: Set(now),
        last_seen_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(token)
}
