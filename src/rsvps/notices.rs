//! Organisers hear of applications to their approval events: an email each as it
//! comes, or one a day listing the day's, as the organisation chose
//! (`organisations.application_notices`). Owners and organisers are told; viewers,
//! who see no personal data, are not. Each organiser reads it in their own language,
//! else the organisation's.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, sea_query::OnConflict, sea_query::Query,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::service::{RsvpStatus, attendee_name};
use crate::content;
use crate::domain::Locale;
use crate::email::{
    Site,
    event::EventMail,
    outbox::{self, OutgoingEmail},
    render::Template,
};
use crate::stats::start_of;
use entity::values::{ApplicationNotices, EventStatus, Role};
use entity::{application_digest, event, membership, organisation, organiser, rsvp, supporter};

/// One application, as the organisers read it.
#[derive(Debug, Clone)]
pub struct Application {
    pub name: String,
    pub guests: i32,
}

/// Where an event's organisers see its applications and approve them.
pub fn attendees_url(site: &Site, organisation: &organisation::Model, event_id: Uuid) -> String {
    format!(
        "{}/admin/{}/events/{event_id}/attendees",
        site.public_url, organisation.slug
    )
}

/// The emails telling the organisers of `event` of these new applications to it:
/// one each per organiser when their organisation hears of each (none when it
/// chose a daily digest). Queued by the caller in the transaction that placed them.
pub async fn application_received(
    conn: &impl ConnectionTrait,
    site: &Site,
    event: &event::Model,
    applications: &[Application],
) -> Result<Vec<OutgoingEmail>, DbErr> {
    if applications.is_empty() {
        return Ok(Vec::new());
    }
    let Some(organisation) = organisation::Entity::find_by_id(event.organisation_id)
        .one(conn)
        .await?
    else {
        return Ok(Vec::new());
    };
    if organisation.application_notices != ApplicationNotices::Each {
        return Ok(Vec::new());
    }
    let mail = EventMail {
        event,
        organisation_name: &organisation.name,
        site,
    };
    let url = attendees_url(site, &organisation, event.id);
    let mut emails = Vec::new();
    for person in told(conn, organisation.id).await? {
        let locale = locale_of(&person, &organisation);
        for application in applications {
            emails.push(OutgoingEmail {
                to_address: person.email.to_string(),
                to_name: person.name.clone().unwrap_or_default(),
                template: Template::ApplicationReceived,
                locale,
                context: json!({
                    "event": mail.context(locale),
                    "applicant": {
                        "name": application.name,
                        "guests": application.guests,
                    },
                    "attendees_url": url,
                    "organisation_name": organisation.name,
                }),
                calendar: None,
                unsubscribe_url: None,
                organisation_id: Some(organisation.id),
            });
        }
    }
    Ok(emails)
}

/// The organisation's owners and organisers (not its viewers).
async fn told(
    conn: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<Vec<organiser::Model>, DbErr> {
    let members: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(organisation_id))
        .filter(membership::Column::Role.is_in([Role::Organiser, Role::Owner]))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.organiser_id)
        .collect();
    organiser::Entity::find()
        .filter(organiser::Column::Id.is_in(members))
        .order_by_asc(organiser::Column::EmailKey)
        .all(conn)
        .await
}

/// The organiser's language, else the organisation's.
fn locale_of(person: &organiser::Model, organisation: &organisation::Model) -> Locale {
    person.locale.unwrap_or(organisation.language)
}

/// Queue the daily digests due at `now`: for each organisation that chose them, on
/// its first round of each of its days, one email to each of its owners and
/// organisers listing the applications still awaiting approval that arrived since
/// the last digest and before that day began. None when there are none. A row per
/// organisation and day, written in the digest's transaction, makes each day's
/// digest once, however many workers run. The emails queued.
#[tracing::instrument(skip_all)]
pub async fn queue_application_digests(
    db: &DatabaseConnection,
    site: &Site,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let organisations = organisation::Entity::find()
        .filter(organisation::Column::ApplicationNotices.eq(ApplicationNotices::Daily))
        .all(db)
        .await?;
    let mut queued = 0;
    for organisation in organisations {
        let zone = organisation.timezone.tz();
        let today = now.with_timezone(&zone).date_naive();
        let day = today.to_string();
        let done = application_digest::Entity::find_by_id((organisation.id, day.clone()))
            .one(db)
            .await?;
        if done.is_some() {
            continue;
        }
        let until = start_of(zone, today);
        let txn = crate::db::begin_write(db).await?;
        let taken = application_digest::Entity::insert(application_digest::ActiveModel {
            organisation_id: Set(organisation.id),
            day: Set(day.clone()),
            until: Set(until),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                application_digest::Column::OrganisationId,
                application_digest::Column::Day,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn.txn)
        .await?;
        if taken == 0 {
            // Another worker queued it.
            continue;
        }
        let since = application_digest::Entity::find()
            .filter(application_digest::Column::OrganisationId.eq(organisation.id))
            .filter(application_digest::Column::Day.lt(day))
            .order_by_desc(application_digest::Column::Day)
            .one(&txn.txn)
            .await?
            .map_or(until - Duration::days(1), |last| last.until);
        let emails = digest(&txn.txn, site, &organisation, since, until).await?;
        queued += outbox::enqueue(&txn.txn, site, emails).await?;
        txn.commit().await?;
    }
    Ok(queued)
}

/// The digest of the applications to `organisation`'s published events still
/// awaiting approval that arrived in `[since, until)`, for each of its organisers.
async fn digest(
    conn: &impl ConnectionTrait,
    site: &Site,
    organisation: &organisation::Model,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<OutgoingEmail>, DbErr> {
    let its_events = Query::select()
        .column(event::Column::Id)
        .from(event::Entity)
        .and_where(event::Column::OrganisationId.eq(organisation.id))
        .and_where(event::Column::Status.eq(EventStatus::Published))
        .to_owned();
    let rows = rsvp::Entity::find()
        .filter(rsvp::Column::EventId.in_subquery(its_events))
        .filter(rsvp::Column::Status.eq(RsvpStatus::PendingApproval))
        .filter(rsvp::Column::UpdatedAt.gte(since))
        .filter(rsvp::Column::UpdatedAt.lt(until))
        .order_by_asc(rsvp::Column::UpdatedAt)
        .order_by_asc(rsvp::Column::Id)
        .all(conn)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let supporters =
        content::by_id::<supporter::Entity>(conn, rows.iter().map(|r| r.supporter_id)).await?;
    let events = event::Entity::find()
        .filter(event::Column::Id.is_in(rows.iter().map(|r| r.event_id)))
        .order_by_asc(event::Column::StartsAtUtc)
        .order_by_asc(event::Column::Id)
        .all(conn)
        .await?;
    let mut by_event: HashMap<Uuid, Vec<Application>> = HashMap::new();
    for row in &rows {
        let name = supporters
            .get(&row.supporter_id)
            .map(|s| attendee_name(row, s))
            .or_else(|| row.name.clone())
            .unwrap_or_default();
        by_event.entry(row.event_id).or_default().push(Application {
            name,
            guests: row.guests,
        });
    }
    let mut emails = Vec::new();
    for person in told(conn, organisation.id).await? {
        let locale = locale_of(&person, organisation);
        let listed: Vec<Value> = events
            .iter()
            .filter_map(|event| {
                let applications = by_event.get(&event.id)?;
                let mail = EventMail {
                    event,
                    organisation_name: &organisation.name,
                    site,
                };
                Some(json!({
                    "title": event.title,
                    "when": mail.when(locale),
                    "attendees_url": attendees_url(site, organisation, event.id),
                    "applications": applications
                        .iter()
                        .map(|a| json!({"name": a.name, "guests": a.guests}))
                        .collect::<Vec<_>>(),
                }))
            })
            .collect();
        emails.push(OutgoingEmail {
            to_address: person.email.to_string(),
            to_name: person.name.clone().unwrap_or_default(),
            template: Template::ApplicationsDigest,
            locale,
            context: json!({
                "organisation_name": organisation.name,
                "count": rows.len(),
                "events": listed,
            }),
            calendar: None,
            unsubscribe_url: None,
            organisation_id: Some(organisation.id),
        });
    }
    Ok(emails)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_day_starts_at_its_first_instant_even_when_midnight_is_skipped() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert_eq!(
            start_of(chrono_tz::America::Toronto, day).to_rfc3339(),
            "2026-12-06T05:00:00+00:00"
        );
        // Santiago skipped from 00:00 to 01:00 on 6 September 2026.
        let skipped = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        assert_eq!(
            start_of(chrono_tz::America::Santiago, skipped).to_rfc3339(),
            "2026-09-06T04:00:00+00:00"
        );
    }
}
