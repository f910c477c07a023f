//! Whom a mailing goes to. Consent decides, except for an event's attendees, who
//! may be written to about the event they are coming to:
//!
//! - `subscribers`: everyone whose consent to the organisation is in force;
//! - `event_attendees`: the RSVPs of one of its events, by status;
//! - `petition_signers`, `donors`: those among a petition's confirmed signers, or a
//!   fundraiser's donors, whose consent to the organisation is in force.
//!
//! Never an erased supporter nor a suppressed address, and each address once. One
//! query each, joined in the database, so that a list of 100,000 is read in one go
//! and counted without being read.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult,
    sea_query::{Alias, Expr, Func, Query, SelectStatement},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::content::Checks;
use crate::domain::{InvalidField, Locale, PublicRef};
use entity::values::{ConsentStatus, DonationStatus, RsvpStatus, SignatureState};
use entity::{
    consent, donation, event, fundraiser, mailing, petition, rsvp, signature, supporter,
    suppression,
};

/// An audience as asked, before its event, petition or fundraiser is found.
#[derive(Debug, Clone, Default)]
pub struct AudienceAsked {
    pub kind: String,
    pub event: Option<String>,
    pub statuses: Option<Vec<String>>,
    pub petition: Option<String>,
    pub fundraiser: Option<String>,
}

/// Whom a mailing goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Subscribers,
    EventAttendees {
        event: Uuid,
        statuses: Vec<RsvpStatus>,
    },
    PetitionSigners {
        petition: Uuid,
    },
    Donors {
        fundraiser: Uuid,
    },
}

/// The statuses of attendees a mailing may be written to.
pub const ATTENDEE_STATUSES: [RsvpStatus; 3] = [
    RsvpStatus::Going,
    RsvpStatus::Waitlisted,
    RsvpStatus::PendingApproval,
];

impl Audience {
    /// The name of its kind, as the API writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Subscribers => "subscribers",
            Self::EventAttendees { .. } => "event_attendees",
            Self::PetitionSigners { .. } => "petition_signers",
            Self::Donors { .. } => "donors",
        }
    }

    pub fn to_json(&self) -> String {
        let mut value = json!({ "kind": self.kind() });
        match self {
            Self::Subscribers => {}
            Self::EventAttendees { event, statuses } => {
                value["event"] = json!(event);
                value["statuses"] = json!(statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>());
            }
            Self::PetitionSigners { petition } => value["petition"] = json!(petition),
            Self::Donors { fundraiser } => value["fundraiser"] = json!(fundraiser),
        }
        value.to_string()
    }

    /// As stored. A row is written only from a resolved audience; should one ever
    /// not read, it reaches nobody rather than everybody.
    pub fn of_row(row: &mailing::Model) -> Self {
        let value: Value = serde_json::from_str(&row.audience).unwrap_or_default();
        let id = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .and_then(|s| Uuid::parse_str(s).ok())
                .unwrap_or_default()
        };
        match value.get("kind").and_then(Value::as_str) {
            Some("subscribers") => Self::Subscribers,
            Some("petition_signers") => Self::PetitionSigners {
                petition: id("petition"),
            },
            Some("donors") => Self::Donors {
                fundraiser: id("fundraiser"),
            },
            _ => Self::EventAttendees {
                event: id("event"),
                statuses: value
                    .get("statuses")
                    .and_then(Value::as_array)
                    .map(|all| {
                        all.iter()
                            .filter_map(Value::as_str)
                            .filter_map(RsvpStatus::parse)
                            .collect()
                    })
                    .unwrap_or_default(),
            },
        }
    }
}

/// Find what an audience names, within the organisation; each refusal is noted in
/// `checks` under `audience.…`.
pub async fn resolve(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    asked: &AudienceAsked,
    checks: &mut Checks,
) -> Result<Option<Audience>, DbErr> {
    match asked.kind.as_str() {
        "subscribers" => Ok(Some(Audience::Subscribers)),
        "event_attendees" => {
            let event = named::<event::Entity>(db, organisation_id, &asked.event, checks).await?;
            let statuses = match &asked.statuses {
                None => Some(vec![RsvpStatus::Going]),
                Some(asked) => {
                    let mut statuses = Vec::new();
                    for raw in asked {
                        match RsvpStatus::parse(raw).filter(|s| ATTENDEE_STATUSES.contains(s)) {
                            Some(s) if !statuses.contains(&s) => statuses.push(s),
                            Some(_) => {}
                            None => checks.note(InvalidField::new(
                                "audience.statuses",
                                "each must be one of going, waitlisted, pending_approval",
                            )),
                        }
                    }
                    if asked.is_empty() {
                        checks.note(InvalidField::required(
                            "audience.statuses",
                            "name at least one status",
                        ));
                    }
                    Some(statuses).filter(|s| !s.is_empty())
                }
            };
            Ok(event
                .zip(statuses)
                .map(|(event, statuses)| Audience::EventAttendees { event, statuses }))
        }
        "petition_signers" => {
            Ok(
                named::<petition::Entity>(db, organisation_id, &asked.petition, checks)
                    .await?
                    .map(|petition| Audience::PetitionSigners { petition }),
            )
        }
        "donors" => Ok(
            named::<fundraiser::Entity>(db, organisation_id, &asked.fundraiser, checks)
                .await?
                .map(|fundraiser| Audience::Donors { fundraiser }),
        ),
        _ => {
            checks.note(InvalidField::new(
                "audience.kind",
                "must be one of subscribers, event_attendees, petition_signers, donors",
            ));
            Ok(None)
        }
    }
}

/// The id of the organisation's event, petition or fundraiser named by id or slug
/// in the field `audience.{noun}`.
async fn named<E>(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    raw: &Option<String>,
    checks: &mut Checks,
) -> Result<Option<Uuid>, DbErr>
where
    E: crate::content::Owned,
    Uuid: Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
{
    let field = &format!("audience.{}", E::NOUN);
    let Some(raw) = raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
        checks.note(InvalidField::required(field, "must not be empty"));
        return Ok(None);
    };
    let found = match PublicRef::parse(raw) {
        Some(reference) => crate::content::find::<E>(db, &reference).await?,
        None => None,
    };
    match found {
        Some(row) if E::owner(&row) == organisation_id => Ok(Some(E::row_id(&row))),
        _ => {
            checks.note(InvalidField::new(
                field,
                format!("no such {} in this organisation", E::NOUN),
            ));
            Ok(None)
        }
    }
}

/// One person a mailing goes to.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub supporter_id: Uuid,
    pub email: String,
    pub name: String,
    /// Their choice, else the language they consented (or RSVPed) in.
    pub locale: Option<Locale>,
}

/// A recipient as read.
#[derive(FromQueryResult)]
struct Row {
    supporter_id: Uuid,
    email: String,
    name: String,
    chosen: Option<String>,
    asked_in: Option<String>,
}

/// The audience now, a page at a time: up to `limit` supporters after the one
/// with id `after`, by id, each once. Read a page at a time, a list of 100,000
/// never sits in memory whole.
pub async fn recipients(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    audience: &Audience,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Recipient>, DbErr> {
    let mut query = reached(organisation_id, audience);
    // Paged by the column the query is driven by: the consents' index holds them
    // by organisation then supporter, so a page reads a page, where ordering by
    // the supporters' own id would sort the whole audience for each one.
    let by = match audience {
        Audience::EventAttendees { .. } => Expr::col((supporter::Entity, supporter::Column::Id)),
        _ => Expr::col((consent::Entity, consent::Column::SupporterId)),
    };
    if let Some(after) = after {
        query.and_where(by.clone().gt(after));
    }
    query.order_by_expr(by, sea_orm::Order::Asc).limit(limit);
    query
        .expr_as(
            Expr::col((supporter::Entity, supporter::Column::Id)),
            Alias::new("supporter_id"),
        )
        .column((supporter::Entity, supporter::Column::Email))
        .column((supporter::Entity, supporter::Column::Name))
        .expr_as(
            Expr::col((supporter::Entity, supporter::Column::Locale)),
            Alias::new("chosen"),
        );
    match audience {
        Audience::EventAttendees { .. } => query.expr_as(
            Expr::col((rsvp::Entity, rsvp::Column::Locale)),
            Alias::new("asked_in"),
        ),
        _ => query.expr_as(
            Expr::col((consent::Entity, consent::Column::Locale)),
            Alias::new("asked_in"),
        ),
    };
    let statement = db.get_database_backend().build(&query);
    let rows = Row::find_by_statement(statement).all(db).await?;
    // A supporter is one address (their `email_key` is unique), and rows come by
    // supporter: a repeat (two RSVPs of one person) follows its first.
    let mut last: Option<Uuid> = None;
    Ok(rows
        .into_iter()
        .filter(|row| last.replace(row.supporter_id) != Some(row.supporter_id))
        .map(|row| Recipient {
            supporter_id: row.supporter_id,
            email: row.email,
            name: row.name,
            locale: [row.chosen, row.asked_in]
                .into_iter()
                .flatten()
                .find_map(|raw| Locale::parse(&raw).ok()),
        })
        .collect())
}

/// How many the audience reaches now.
pub async fn count(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    audience: &Audience,
) -> Result<u64, DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let mut query = reached(organisation_id, audience);
    query.expr_as(
        Func::count_distinct(Expr::col((supporter::Entity, supporter::Column::EmailKey))),
        Alias::new("n"),
    );
    let statement = db.get_database_backend().build(&query);
    Ok(Count::find_by_statement(statement)
        .one(db)
        .await?
        .map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
}

/// The supporters an audience reaches, joined with what gives their language; the
/// caller picks the columns.
fn reached(organisation_id: Uuid, audience: &Audience) -> SelectStatement {
    let mut query = Query::select();
    query
        .from(supporter::Entity)
        .and_where(Expr::col((supporter::Entity, supporter::Column::ErasedAt)).is_null())
        .and_where(
            Expr::col((supporter::Entity, supporter::Column::EmailKey)).not_in_subquery(
                Query::select()
                    .column(suppression::Column::Address)
                    .from(suppression::Entity)
                    .to_owned(),
            ),
        );
    let consenting = |query: &mut SelectStatement| {
        query
            .inner_join(
                consent::Entity,
                Expr::col((consent::Entity, consent::Column::SupporterId))
                    .equals((supporter::Entity, supporter::Column::Id)),
            )
            .and_where(
                Expr::col((consent::Entity, consent::Column::OrganisationId)).eq(organisation_id),
            )
            .and_where(
                Expr::col((consent::Entity, consent::Column::Status)).eq(ConsentStatus::Active),
            );
    };
    match audience {
        Audience::Subscribers => consenting(&mut query),
        Audience::EventAttendees { event, statuses } => {
            query
                .inner_join(
                    rsvp::Entity,
                    Expr::col((rsvp::Entity, rsvp::Column::SupporterId))
                        .equals((supporter::Entity, supporter::Column::Id)),
                )
                .and_where(Expr::col((rsvp::Entity, rsvp::Column::EventId)).eq(*event))
                .and_where(
                    Expr::col((rsvp::Entity, rsvp::Column::Status)).is_in(statuses.iter().copied()),
                );
        }
        Audience::PetitionSigners { petition } => {
            let signers = Condition::all()
                .add(signature::Column::PetitionId.eq(*petition))
                .add(signature::Column::Status.eq(SignatureState::Confirmed));
            consenting(&mut query);
            among::<signature::Entity>(&mut query, signature::Column::SupporterId, signers);
        }
        Audience::Donors { fundraiser } => {
            // A gift recorded by hand may have no supporter.
            let donors = Condition::all()
                .add(donation::Column::FundraiserId.eq(*fundraiser))
                .add(donation::Column::Status.eq(DonationStatus::Succeeded))
                .add(donation::Column::SupporterId.is_not_null());
            consenting(&mut query);
            among::<donation::Entity>(&mut query, donation::Column::SupporterId, donors);
        }
    }
    query
}

/// Narrow `query` to the supporters of the rows of `E` that `rows` selects (the
/// signers of a petition, the donors to a fundraiser); `column` names each one's.
fn among<E: EntityTrait>(query: &mut SelectStatement, column: E::Column, rows: Condition) {
    query.and_where(
        Expr::col((supporter::Entity, supporter::Column::Id)).in_subquery(
            Query::select()
                .column(column)
                .from(E::default())
                .cond_where(rows)
                .to_owned(),
        ),
    );
}
