//! HTTP endpoints of RSVPs for organisers: attendees, the door, approval, check-in.

use poem_openapi::{ApiResponse, param::Path, payload::Json};
use uuid::Uuid;

use super::{model::*, service};
use crate::http::{
    ApiError, ApiTags, BearerAuth,
    auth::authenticate,
    content::{organiser_api, reference},
    csv::Sheet,
    instant,
    problem::{ActOnOne, ActOnOneWith},
};
use crate::state::AppState;
use entity::event;

impl From<service::RsvpError> for ApiError {
    fn from(e: service::RsvpError) -> Self {
        use service::RsvpError;
        match e {
            RsvpError::Invalid(fields) => ApiError::invalid(fields),
            RsvpError::NoSuchEvent | RsvpError::NotFound => ApiError::not_found(e.to_string()),
            RsvpError::Forbidden => ApiError::forbidden(e.to_string()),
            RsvpError::Full
            | RsvpError::NotEnoughSeats(_)
            | RsvpError::Closed
            | RsvpError::EventCancelled
            | RsvpError::NotPublished
            | RsvpError::Declined
            | RsvpError::WrongState(_) => ApiError::conflict(e.to_string()),
            RsvpError::Db(e) => ApiError::internal(&e),
        }
    }
}

pub struct RsvpsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
pub enum DoorRsvp {
    #[oai(status = 201)]
    Created(Json<Rsvp>),
    /// They had already answered: that RSVP was changed.
    #[oai(status = 200)]
    Updated(Json<Rsvp>),
}

organiser_api! {
    RsvpsApi, "ApiTags::Events", rsvps of event::Entity;

    /// The event's attendees, for its organisers and co-hosts. JSON pages, or every
    /// attendee as CSV with `Accept: text/csv`.
    sheet list "/events/:id/rsvps" -> AttendeePage,
        from attendees, all_attendees as "attendees" by csv;

    {
        /// Add someone to the event (at the door, or by phone): no deadline or approval
        /// step applies, capacity does.
        #[oai(path = "/events/:id/rsvps", method = "post")]
        async fn add(
            &self,
            auth: BearerAuth,
            id: Path<String>,
            req: Json<DoorRsvpRequest>,
        ) -> Result<DoorRsvp, ActOnOneWith> {
            let access = authenticate(&self.state.db, &auth).await?;
            let form = RsvpForm::try_from(&req.0).map_err(ApiError::invalid)?;
            let event = reference::<event::Entity>(&id)?;
            let checked_in = req.0.checked_in.unwrap_or(false);
            let taken = self
                .state
                .rsvps
                .add(&access, &event, form, checked_in)
                .await?;
            let url = &self.state.site.public_url;
            Ok(match taken {
                service::Taken::Created(rsvp) => DoorRsvp::Created(Json(Rsvp::of(rsvp, url))),
                service::Taken::Changed(rsvp) => DoorRsvp::Updated(Json(Rsvp::of(rsvp, url))),
                service::Taken::AlreadyAnswered(_) => {
                    return Err(ApiError::internal(&service::RsvpError::WrongState(
                        "an organiser's RSVP is never a repeat",
                    ))
                    .into());
                }
            })
        }

        /// Approve an RSVP awaiting approval: it goes if seats are free, else joins the
        /// waitlist (409 when full without one).
        #[oai(path = "/rsvps/:id/approve", method = "post")]
        async fn approve(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<Attendee>, ActOnOne> {
            let access = authenticate(&self.state.db, &auth).await?;
            Ok(Json(self.state.rsvps.approve(&access, id.0).await?.into()))
        }

        /// Decline an RSVP; seats it held go to the waitlist.
        #[oai(path = "/rsvps/:id/decline", method = "post")]
        async fn decline(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<Attendee>, ActOnOne> {
            let access = authenticate(&self.state.db, &auth).await?;
            Ok(Json(self.state.rsvps.decline(&access, id.0).await?.into()))
        }

        /// Check someone in at the door.
        #[oai(path = "/rsvps/:id/check-in", method = "post")]
        async fn check_in(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<Attendee>, ActOnOne> {
            let access = authenticate(&self.state.db, &auth).await?;
            Ok(Json(self.state.rsvps.check_in(&access, id.0).await?.into()))
        }
    }
}

/// Attendees as CSV (RFC 4180).
pub fn csv(items: &[service::Attendee]) -> String {
    let mut sheet = Sheet::new(&[
        "name",
        "email",
        "status",
        "guests",
        "locale",
        "checked_in_at",
        "created_at",
    ]);
    for a in items {
        let row = &a.row;
        sheet.row([
            a.name.as_str(),
            a.email.as_str(),
            row.status.as_str(),
            &row.guests.to_string(),
            row.locale.map(|l| l.to_string()).as_deref().unwrap_or(""),
            row.checked_in_at.map(instant).as_deref().unwrap_or(""),
            &instant(row.created_at),
        ]);
    }
    sheet.finish()
}
