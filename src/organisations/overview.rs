//! What needs an organiser's attention in each of their organisations, for the
//! console's first page: applications waiting for approval, emails that failed,
//! drafts not yet published, mailings not yet sent.

use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Query};

use super::service::Organisations;
use crate::access::{Access, Membership};
use crate::content;
use entity::values::{EmailStatus, MailingStatus, RsvpStatus};
use entity::{event, fundraiser, mailing, outbox_email, petition, rsvp};

/// One organisation's open matters.
#[derive(Debug, Clone)]
pub struct Needs {
    pub membership: Membership,
    /// RSVPs to its approval events that wait for a yes or a no.
    pub applications: u64,
    /// Emails about its content that could not be delivered.
    pub failed_emails: u64,
    /// Events, petitions and fundraisers still drafts.
    pub drafts: u64,
    /// Mailings written and not yet sent.
    pub mailing_drafts: u64,
    /// When its oldest email still waiting to be sent was queued.
    pub oldest_waiting: Option<chrono::DateTime<chrono::Utc>>,
}

impl Organisations {
    /// What needs the organiser in each organisation they belong to, by name.
    pub async fn needs(&self, access: &Access) -> Result<Vec<Needs>, DbErr> {
        let db = self.db();
        let mut all = Vec::with_capacity(access.memberships.len());
        for membership in &access.memberships {
            let id = membership.organisation_id;
            let events_of_org = Query::select()
                .column(event::Column::Id)
                .from(event::Entity)
                .and_where(event::Column::OrganisationId.eq(id))
                .to_owned();
            let applications = rsvp::Entity::find()
                .filter(rsvp::Column::Status.eq(RsvpStatus::PendingApproval))
                .filter(rsvp::Column::EventId.in_subquery(events_of_org))
                .count(db)
                .await?;
            let failed_emails = outbox_email::Entity::find()
                .filter(outbox_email::Column::OrganisationId.eq(id))
                .filter(outbox_email::Column::Status.eq(EmailStatus::Failed))
                .count(db)
                .await?;
            let drafts = content::drafts::<event::Entity>(id).count(db).await?
                + content::drafts::<petition::Entity>(id).count(db).await?
                + content::drafts::<fundraiser::Entity>(id).count(db).await?;
            let mailing_drafts = mailing::Entity::find()
                .filter(mailing::Column::OrganisationId.eq(id))
                .filter(mailing::Column::Status.eq(MailingStatus::Draft))
                .count(db)
                .await?;
            let oldest_waiting = crate::email::outbox::oldest_waiting(db, id).await?;
            all.push(Needs {
                membership: membership.clone(),
                applications,
                failed_emails,
                drafts,
                mailing_drafts,
                oldest_waiting,
            });
        }
        all.sort_by(|a, b| a.membership.name.cmp(&b.membership.name));
        Ok(all)
    }
}
