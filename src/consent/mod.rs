//! Consent to hear from an organisation, kept per organisation with its provenance
//! (issue 19, points 1 and 5). Ticking a box asks ([`ask`], `pending`); the consent
//! takes effect only once the address is proven by a link we emailed
//! ([`confirm_for`], `active`): a confirmed signature, or the "confirm your
//! subscription" email. Unsubscribing ends it for that organisation only
//! ([`Consents::withdraw`]). Nothing here reads `supporters.subscribed`, the retired
//! global flag (see the migration `m20261206_000022_consents`).

pub mod api;
pub mod pages;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::access::{Access, AccessError, Role};
use crate::content::{self, ContentError, through_content};
use crate::domain::{Email, InvalidField, Locale, required_text};
use crate::email::{
    Site, links,
    outbox::{self, OutgoingEmail},
    render::Template,
};
use crate::supporters::service::{Person, upsert};
use crate::words::say;
pub use entity::values::{ConsentForm, ConsentStatus};
use entity::{consent, organisation, supporter};

/// What a subscription confirmation link is signed for.
const CONFIRM: &str = "confirm-subscription";

/// The most characters the words beside a box may have (as the column holds).
pub const WORDS_MAX: usize = 1000;

/// Why consent could not be asked, confirmed or shown.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    /// Invalid fields, no such organisation, no right to see personal data.
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error("this confirmation link is not valid")]
    NoSuchLink,
}

through_content!(ConsentError);

impl ConsentError {
    /// A stable name for the kind of refusal, for pages to choose their words by.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Content(e) => e.code(),
            Self::NoSuchLink => "no_such_link",
        }
    }
}

/// The exact sentence shown beside an opt-in box: one line, not empty, at most
/// [`WORDS_MAX`] characters. What the supporter agreed to is these words, so they
/// are kept as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentWords(String);

impl ConsentWords {
    pub fn new(text: &str) -> Result<Self, InvalidField> {
        let text = required_text("words", text, WORDS_MAX)?;
        if text.contains(['\r', '\n']) {
            return Err(InvalidField::control("words"));
        }
        Ok(Self(text))
    }

    /// The words of a form's box in a language, from the catalogue: what the page
    /// showed. A catalogue sentence always fits.
    pub fn of_box(locale: Locale, key: &str, organisation: &str) -> Self {
        Self(say(locale, key, &[("organisation", organisation.into())]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A box ticked: the words beside it, on which form, from where, in what language.
#[derive(Debug, Clone)]
pub struct Ask {
    pub words: ConsentWords,
    pub form: ConsentForm,
    /// The `?source=` the supporter came with (already checked by the form).
    pub source: Option<String>,
    pub locale: Locale,
}

/// Someone filling in an organisation's "Join us" form.
#[derive(Debug, Clone)]
pub struct JoinForm {
    pub email: Email,
    pub name: String,
    pub locale: Option<Locale>,
    /// The `?source=` the page was opened with (the form carries it along).
    pub source: Option<String>,
}

impl JoinForm {
    /// Every bad field at once.
    pub fn parse(
        email: &str,
        name: Option<&str>,
        locale: Option<&str>,
    ) -> Result<Self, Vec<InvalidField>> {
        let mut checks = content::Checks::default();
        let email = checks.check(Email::parse(email).map_err(|e| e.at("email")));
        let name = checks.check(
            crate::domain::optional_text("name", name.unwrap_or(""), 200)
                .map(|n| crate::email::message::one_line(&n)),
        );
        let locale = checks.check(locale.map(Locale::parse).transpose());
        let ((email, name), locale) = checks
            .done(email.zip(name).zip(locale))
            .map_err(|invalid| invalid.0)?;
        Ok(Self {
            email,
            name,
            locale,
            source: None,
        })
    }
}

/// A consent as an organisation holds it, with the organisation named.
#[derive(Debug, Clone)]
pub struct HeldConsent {
    pub consent: consent::Model,
    pub organisation: String,
}

/// A supporter who consented to hear from an organisation.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub consent: consent::Model,
    pub supporter: supporter::Model,
}

/// What the confirmation page shows before the click.
#[derive(Debug, Clone)]
pub struct Confirmation {
    pub organisation: String,
    pub locale: Locale,
    pub confirmed: bool,
}

/// Record a box ticked for `organisation`: a `pending` consent with these words. A
/// consent already `active` stays as it was given (its words and date are what the
/// supporter agreed to); a `withdrawn` one is asked again, unless it was withdrawn
/// after `now` (the time the box was ticked). Returns the row in force.
pub async fn ask(
    conn: &impl ConnectionTrait,
    organisation_id: Uuid,
    supporter_id: Uuid,
    asked: &Ask,
    now: DateTime<Utc>,
) -> Result<consent::Model, DbErr> {
    let held = consent::Entity::find()
        .filter(consent::Column::OrganisationId.eq(organisation_id))
        .filter(consent::Column::SupporterId.eq(supporter_id))
        .one(conn)
        .await?;
    match held {
        Some(row) if row.status == ConsentStatus::Active => Ok(row),
        // Unsubscribing after this box was ticked (a signature confirmed late) is
        // the supporter's last word.
        Some(row) if row.withdrawn_at.is_some_and(|at| at > now) => Ok(row),
        Some(row) => {
            let mut active: consent::ActiveModel = row.into();
            active.status = Set(ConsentStatus::Pending);
            active.words = Set(asked.words.0.clone());
            active.form = Set(asked.form);
            active.source = Set(asked.source.clone());
            active.locale = Set(asked.locale);
            active.asked_at = Set(now);
            active.confirmed_at = Set(None);
            active.withdrawn_at = Set(None);
            active.update(conn).await
        }
        None => {
            consent::ActiveModel {
                id: Set(Uuid::now_v7()),
                organisation_id: Set(organisation_id),
                supporter_id: Set(supporter_id),
                status: Set(ConsentStatus::Pending),
                words: Set(asked.words.0.clone()),
                form: Set(asked.form),
                source: Set(asked.source.clone()),
                locale: Set(asked.locale),
                asked_at: Set(now),
                confirmed_at: Set(None),
                withdrawn_at: Set(None),
            }
            .insert(conn)
            .await
        }
    }
}

/// The supporter's address is proven (they clicked a link we emailed): their
/// pending consent to `organisation` takes effect. True if one did.
pub async fn confirm_for(
    conn: &impl ConnectionTrait,
    supporter_id: Uuid,
    organisation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let pending = consent::Column::Status.eq(ConsentStatus::Pending);
    let to = (ConsentStatus::Active, consent::Column::ConfirmedAt, now);
    move_consent(conn, organisation_id, supporter_id, pending, to).await
}

/// Move a supporter's consent to an organisation, when it stands as `from` says,
/// to a status, noting the instant in the column that keeps it: true if it
/// moved.
async fn move_consent(
    conn: &impl ConnectionTrait,
    organisation_id: Uuid,
    supporter_id: Uuid,
    from: sea_orm::sea_query::SimpleExpr,
    (status, noted_in, at): (ConsentStatus, consent::Column, DateTime<Utc>),
) -> Result<bool, DbErr> {
    let done = consent::Entity::update_many()
        .col_expr(
            consent::Column::Status,
            sea_orm::sea_query::Expr::value(status.as_str()),
        )
        .col_expr(noted_in, sea_orm::sea_query::Expr::value(at))
        .filter(consent::Column::OrganisationId.eq(organisation_id))
        .filter(consent::Column::SupporterId.eq(supporter_id))
        .filter(from)
        .exec(conn)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Every consent a supporter gave to these organisations, named, oldest first.
pub async fn held_by(
    conn: &impl ConnectionTrait,
    organisations: &[Uuid],
    supporter_id: Uuid,
) -> Result<Vec<HeldConsent>, DbErr> {
    let rows = consent::Entity::find()
        .filter(consent::Column::SupporterId.eq(supporter_id))
        .filter(consent::Column::OrganisationId.is_in(organisations.to_vec()))
        .order_by_asc(consent::Column::AskedAt)
        .all(conn)
        .await?;
    let mut held = Vec::with_capacity(rows.len());
    for row in rows {
        let name = organisation::Entity::find_by_id(row.organisation_id)
            .one(conn)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        held.push(HeldConsent {
            consent: row,
            organisation: name,
        });
    }
    Ok(held)
}

/// Which of these supporters hold an active consent to one of these organisations.
pub async fn consenting(
    conn: &impl ConnectionTrait,
    organisations: &[Uuid],
    supporters: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashSet<Uuid>, DbErr> {
    Ok(consent::Entity::find()
        .filter(consent::Column::SupporterId.is_in(supporters))
        .filter(consent::Column::OrganisationId.is_in(organisations.to_vec()))
        .filter(consent::Column::Status.eq(ConsentStatus::Active))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| row.supporter_id)
        .collect())
}

/// The "confirm your subscription" email for a pending consent.
pub fn confirm_email(
    site: &Site,
    row: &consent::Model,
    supporter: &supporter::Model,
    organisation: &organisation::Model,
) -> OutgoingEmail {
    let token = links::sign(&site.secret, CONFIRM, row.id);
    OutgoingEmail {
        to_address: supporter.email.to_string(),
        to_name: supporter.name.clone(),
        template: Template::SubscriptionConfirm,
        locale: row.locale,
        context: json!({
            "recipient_name": supporter.name,
            "organisation_name": organisation.name,
            "confirm_url": format!("{}/subscriptions/confirm/{token}", site.public_url),
        }),
        calendar: None,
        unsubscribe_url: None,
        organisation_id: Some(organisation.id),
    }
}

/// The unsubscribe link of an email sent for `organisation`: it ends the
/// supporter's consent to that organisation only (and, as every unsubscribe link
/// always did, their reminders). `/unsubscribe/{organisation}_{signed supporter}`,
/// the signature covering both.
pub fn organisation_unsubscribe_url(site: &Site, organisation: Uuid, supporter: Uuid) -> String {
    format!(
        "{}/unsubscribe/{organisation}_{}",
        site.public_url,
        links::sign(&site.secret, &unsubscribe_purpose(organisation), supporter)
    )
}

fn unsubscribe_purpose(organisation: Uuid) -> String {
    format!("unsubscribe-from:{organisation}")
}

/// Whom an unsubscribe token names: the supporter, and the organisation whose
/// email carried it (none for a link made before consent was kept per
/// organisation, which still works).
pub fn unsubscribe_target(site: &Site, token: &str) -> Option<(Option<Uuid>, Uuid)> {
    match token.split_once('_') {
        Some((organisation, signed)) => {
            let organisation = Uuid::parse_str(organisation).ok()?;
            let supporter =
                links::verify(&site.secret, &unsubscribe_purpose(organisation), signed)?;
            Some((Some(organisation), supporter))
        }
        None => links::unsubscribe_token(site, token).map(|supporter| (None, supporter)),
    }
}

/// A box ticked on a form whose address nobody has proven yet (an RSVP, the "Join
/// us" form): the consent is asked, and unless one is already in force, an email
/// with a link to confirm goes to the address. Only that click makes it count.
pub async fn ask_and_email(
    conn: &impl ConnectionTrait,
    site: &Site,
    organisation: &organisation::Model,
    supporter: &supporter::Model,
    asked: &Ask,
    now: DateTime<Utc>,
) -> Result<consent::Model, DbErr> {
    let row = ask(conn, organisation.id, supporter.id, asked, now).await?;
    if row.status == ConsentStatus::Pending {
        outbox::enqueue(
            conn,
            site,
            [confirm_email(site, &row, supporter, organisation)],
        )
        .await?;
    }
    Ok(row)
}

/// An RSVP with its box ticked: ask to hear from the event's organisation, with the
/// words the event page shows beside the box, and email a link to confirm.
pub async fn ask_after_rsvp(
    db: &DatabaseConnection,
    site: &Site,
    organisation_id: Uuid,
    email: &Email,
    locale: Option<Locale>,
    source: Option<String>,
) -> Result<(), DbErr> {
    let Some(organisation) = organisation::Entity::find_by_id(organisation_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let Some(supporter) = supporter::Entity::find()
        .filter(supporter::Column::EmailKey.eq(email.key()))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let locale = locale.unwrap_or(organisation.language);
    let asked = Ask {
        words: ConsentWords::of_box(locale, "consent.box", &organisation.name),
        form: ConsentForm::Rsvp,
        source,
        locale,
    };
    let txn = db.begin().await?;
    ask_and_email(&txn, site, &organisation, &supporter, &asked, Utc::now()).await?;
    txn.commit().await
}

/// Consents, as supporters give them and organisations see them.
#[derive(Clone)]
pub struct Consents {
    db: DatabaseConnection,
    site: Site,
}

impl Consents {
    pub fn new(db: DatabaseConnection, site: Site) -> Self {
        Self { db, site }
    }

    /// The "Join us" form: ask to hear from the organisation, and email a link to
    /// confirm. The caller learns nothing of whether the address was known or
    /// already subscribed: an active consent is left as it is and nothing is sent.
    #[tracing::instrument(skip_all)]
    pub async fn join(&self, slug: &str, form: JoinForm) -> Result<(), ConsentError> {
        let organisation = organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(slug))
            .one(&self.db)
            .await?
            .ok_or(ContentError::NotFound("organisation"))?;
        let locale = form.locale.unwrap_or(organisation.language);
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let supporter = upsert(
            &txn,
            &Person {
                email: form.email,
                name: form.name,
                locale: form.locale,
            },
        )
        .await?;
        let asked = Ask {
            words: ConsentWords::of_box(locale, "consent.box", &organisation.name),
            form: ConsentForm::Join,
            source: form.source,
            locale,
        };
        ask_and_email(&txn, &self.site, &organisation, &supporter, &asked, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// What the confirmation page shows before the click, if the link is good.
    pub async fn confirmation(&self, token: &str) -> Result<Option<Confirmation>, DbErr> {
        let Some((row, organisation)) = links::linked::<consent::Entity, organisation::Entity>(
            &self.db,
            &self.site.secret,
            CONFIRM,
            token,
            |row| row.organisation_id,
        )
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(Confirmation {
            organisation: organisation.name,
            locale: row.locale,
            confirmed: row.status == ConsentStatus::Active,
        }))
    }

    /// The click on the emailed link: the consent takes effect. Again changes
    /// nothing; a withdrawn consent stays withdrawn (the supporter's last word).
    #[tracing::instrument(skip_all)]
    pub async fn confirm(&self, token: &str) -> Result<Confirmation, ConsentError> {
        let id =
            links::verify(&self.site.secret, CONFIRM, token).ok_or(ConsentError::NoSuchLink)?;
        let row = consent::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(ConsentError::NoSuchLink)?;
        confirm_for(&self.db, row.supporter_id, row.organisation_id, Utc::now()).await?;
        self.confirmation(token)
            .await?
            .ok_or(ConsentError::NoSuchLink)
    }

    /// The organisation's name, for the page that says whom one unsubscribes from.
    pub async fn organisation_name(&self, organisation_id: Uuid) -> Result<Option<String>, DbErr> {
        Ok(organisation::Entity::find_by_id(organisation_id)
            .one(&self.db)
            .await?
            .map(|o| o.name))
    }

    /// Unsubscribing from one organisation: its consent ends; others stand.
    pub async fn withdraw(&self, organisation_id: Uuid, supporter_id: Uuid) -> Result<bool, DbErr> {
        let standing = consent::Column::Status.ne(ConsentStatus::Withdrawn);
        let to = (
            ConsentStatus::Withdrawn,
            consent::Column::WithdrawnAt,
            Utc::now(),
        );
        move_consent(&self.db, organisation_id, supporter_id, standing, to).await
    }

    /// Who may be written to for an organisation: active consents only, oldest
    /// first. Organisers and owners; viewers see no personal data.
    pub async fn subscribers(
        &self,
        access: &Access,
        slug: &str,
    ) -> Result<(organisation::Model, Vec<Subscriber>), ConsentError> {
        let organisation = self.organisation_of(access, slug)?;
        let organisation = organisation::Entity::find_by_id(organisation)
            .one(&self.db)
            .await?
            .ok_or(ContentError::NotFound("organisation"))?;
        let consents = consent::Entity::find()
            .filter(consent::Column::OrganisationId.eq(organisation.id))
            .filter(consent::Column::Status.eq(ConsentStatus::Active))
            .order_by_asc(consent::Column::ConfirmedAt)
            .all(&self.db)
            .await?;
        let mut people: std::collections::HashMap<Uuid, supporter::Model> =
            supporter::Entity::find()
                .filter(supporter::Column::Id.is_in(consents.iter().map(|c| c.supporter_id)))
                .filter(supporter::Column::ErasedAt.is_null())
                .all(&self.db)
                .await?
                .into_iter()
                .map(|s| (s.id, s))
                .collect();
        let subscribers = consents
            .into_iter()
            .filter_map(|consent| {
                let supporter = people.remove(&consent.supporter_id)?;
                Some(Subscriber { consent, supporter })
            })
            .collect();
        Ok((organisation, subscribers))
    }

    /// The organisation named, if the organiser belongs to it (else 404) and may see
    /// personal data in it (else 403).
    fn organisation_of(&self, access: &Access, slug: &str) -> Result<Uuid, ConsentError> {
        let membership = access
            .memberships
            .iter()
            .find(|m| m.slug == slug)
            .ok_or(ContentError::NotFound("organisation"))?;
        if membership.role < Role::Organiser {
            return Err(AccessError::NoPersonalData.into());
        }
        Ok(membership.organisation_id)
    }
}
