//! HTTP endpoints of RSVPs for organisers: attendees, the door, approval, check-in.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Header, Path, Query},
    payload::{Json, Payload, PlainText},
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
};
use uuid::Uuid;

use super::{model::*, service};
use crate::app::AppState;
use crate::http::{ApiError, ApiTags, BearerAuth, auth::authenticate, page::Limit};

pub struct RsvpsApi {
    pub state: AppState,
}

/// An event's attendees: a page as JSON, or every attendee as CSV. Written out by
/// hand because the derive gives each variant its own entry under one status, which
/// OpenAPI cannot hold; here one `200` lists both media types.
pub enum Attendees {
    Json(AttendeePage),
    Csv { body: String, filename: String },
}

impl poem::IntoResponse for Attendees {
    fn into_response(self) -> poem::Response {
        match self {
            Self::Json(page) => Json(page).into_response(),
            Self::Csv { body, filename } => poem::Response::builder()
                .content_type("text/csv; charset=utf-8")
                .header(
                    "Content-Disposition",
                    format!("attachment; filename=\"{filename}\""),
                )
                .body(body),
        }
    }
}

impl poem_openapi::ApiResponse for Attendees {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "A page of attendees as JSON; every attendee as CSV when \
                              asked for with `Accept: text/csv`.",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: <Json<AttendeePage> as Payload>::schema_ref(),
                    },
                    MetaMediaType {
                        content_type: "text/csv; charset=utf-8",
                        schema: <PlainText<String> as Payload>::schema_ref(),
                    },
                ],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        <Json<AttendeePage> as Payload>::register(registry);
    }
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
        limit: Query<Option<u64>>,
        cursor: Query<Option<String>>,
    ) -> Result<Attendees, ApiError> {
        let access = authenticate(&self.state.db, &auth).await?;
        let wants_csv = accept
            .as_deref()
            .is_some_and(|a| a.to_ascii_lowercase().contains("text/csv"));
        if wants_csv {
            let (items, _) = service::attendees(&self.state.db, &access, &id, None, None).await?;
            // The path is the event's id or slug: ASCII without quotes.
            let filename = format!("attendees-{}.csv", id.0.replace(['"', '\\'], ""));
            return Ok(Attendees::Csv {
                body: csv(&items),
                filename,
            });
        }
        let limit = Limit::parse(limit.0)?;
        let (items, next_cursor) =
            service::attendees(&self.state.db, &access, &id, Some(limit), cursor.as_deref())
                .await?;
        Ok(Attendees::Json(AttendeePage { items, next_cursor }))
    }

    /// Add someone to the event (at the door, or by phone): no deadline or approval
    /// step applies, capacity does.
    #[oai(path = "/events/:id/rsvps", method = "post")]
    async fn add(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        req: Json<DoorRsvpRequest>,
    ) -> Result<DoorRsvp, ApiError> {
        let access = authenticate(&self.state.db, &auth).await?;
        let r = req.0;
        let form = RsvpForm::parse(&r.email, &r.name, r.guests, r.locale.as_deref(), false)
            .map_err(ApiError::invalid)?;
        let (rsvp, created) = service::add(
            &self.state.db,
            &self.state.site,
            &access,
            &id,
            form,
            r.checked_in.unwrap_or(false),
        )
        .await?;
        Ok(if created {
            DoorRsvp::Created(Json(rsvp))
        } else {
            DoorRsvp::Updated(Json(rsvp))
        })
    }

    /// Approve an RSVP awaiting approval: it goes if seats are free, else joins the
    /// waitlist (409 when full without one).
    #[oai(path = "/rsvps/:id/approve", method = "post")]
    async fn approve(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<Attendee>, ApiError> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(
            service::approve(&self.state.db, &self.state.site, &access, id.0).await?,
        ))
    }

    /// Decline an RSVP; seats it held go to the waitlist.
    #[oai(path = "/rsvps/:id/decline", method = "post")]
    async fn decline(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<Attendee>, ApiError> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(
            service::decline(&self.state.db, &self.state.site, &access, id.0).await?,
        ))
    }

    /// Check someone in at the door.
    #[oai(path = "/rsvps/:id/check-in", method = "post")]
    async fn check_in(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<Attendee>, ApiError> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(
            service::check_in(&self.state.db, &self.state.site, &access, id.0).await?,
        ))
    }
}

/// Attendees as CSV (RFC 4180).
fn csv(items: &[Attendee]) -> String {
    let mut out = String::from("name,email,status,guests,locale,checked_in_at,created_at\r\n");
    for a in items {
        let row = [
            a.name.as_str(),
            a.email.as_str(),
            a.status.as_str(),
            &a.guests.to_string(),
            a.locale.as_deref().unwrap_or(""),
            a.checked_in_at.as_deref().unwrap_or(""),
            &a.created_at,
        ]
        .map(crate::http::csv::cell)
        .join(",");
        out.push_str(&row);
        out.push_str("\r\n");
    }
    out
}
