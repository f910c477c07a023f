//! HTTP endpoints of RSVPs for organisers: attendees, the door, approval, check-in.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{model::*, service};
use crate::http::{
    ApiError, ApiTags, BearerAuth, Problems,
    auth::authenticate,
    csv::{JsonOrCsv, Sheet, file_stem, wants_csv},
    page::Limit,
    problem::{ActOnOne, ActOnOneWith, Forbidden, NotFound, Unauthorized, Unprocessable},
};
use crate::state::AppState;

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

#[OpenApi(tag = "ApiTags::Events")]
impl RsvpsApi {
    /// The event's attendees, for its organisers and co-hosts. JSON pages, or every
    /// attendee as CSV with `Accept: text/csv`.
    #[oai(path = "/events/:id/rsvps", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
        limit: Query<Option<Limit>>,
        cursor: Query<Option<String>>,
    ) -> Result<JsonOrCsv<AttendeePage>, Problems<(Unauthorized, Forbidden, NotFound, Unprocessable)>>
    {
        let access = authenticate(&self.state.db, &auth).await?;
        if wants_csv(accept.as_deref()) {
            let (items, _) = service::attendees(&self.state.db, &access, &id, None, None).await?;
            return Ok(JsonOrCsv::Csv {
                body: csv(&items),
                filename: format!("attendees-{}.csv", file_stem(&id)),
            });
        }
        let limit = limit.0.unwrap_or_default();
        let (items, next_cursor) =
            service::attendees(&self.state.db, &access, &id, Some(limit), cursor.as_deref())
                .await?;
        Ok(JsonOrCsv::Json(AttendeePage { items, next_cursor }))
    }

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
        let r = req.0;
        let form = RsvpForm::parse(&r.email, &r.name, r.guests, r.locale.as_deref(), false)
            .map_err(ApiError::invalid)?;
        let taken = service::add(
            &self.state.db,
            &self.state.site,
            &access,
            &id,
            form,
            r.checked_in.unwrap_or(false),
        )
        .await?;
        Ok(match taken {
            service::Taken::Created(rsvp) => DoorRsvp::Created(Json(rsvp)),
            service::Taken::Changed(rsvp) => DoorRsvp::Updated(Json(rsvp)),
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
        Ok(Json(
            service::approve(&self.state.db, &self.state.site, &access, id.0).await?,
        ))
    }

    /// Decline an RSVP; seats it held go to the waitlist.
    #[oai(path = "/rsvps/:id/decline", method = "post")]
    async fn decline(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<Attendee>, ActOnOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(
            service::decline(&self.state.db, &self.state.site, &access, id.0).await?,
        ))
    }

    /// Check someone in at the door.
    #[oai(path = "/rsvps/:id/check-in", method = "post")]
    async fn check_in(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<Attendee>, ActOnOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(
            service::check_in(&self.state.db, &self.state.site, &access, id.0).await?,
        ))
    }
}

/// Attendees as CSV (RFC 4180).
fn csv(items: &[Attendee]) -> String {
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
        sheet.row([
            a.name.as_str(),
            a.email.as_str(),
            a.status.as_str(),
            &a.guests.to_string(),
            a.locale.as_deref().unwrap_or(""),
            a.checked_in_at.as_deref().unwrap_or(""),
            &a.created_at,
        ]);
    }
    sheet.finish()
}
