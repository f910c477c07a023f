//! HTTP endpoints of RSVPs for supporters: RSVP, and the manage link.

use poem_openapi::{ApiResponse, OpenApi, param::Path, payload::Json};

use super::{model::*, service};
use crate::events::model::Event;
use crate::http::{
    ApiError, ApiTags, Problems,
    client::ClientAddr,
    content::reference,
    problem::{Conflict, JsonBody, NotFound, SupporterAction},
};
use crate::state::AppState;

pub struct PublicRsvpApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
pub enum RsvpTaken {
    /// A new RSVP.
    #[oai(status = 201)]
    Created(Json<Rsvp>),
    /// This address had already answered: nothing changed, and its manage link was
    /// emailed to it (never answered here).
    #[oai(status = 202)]
    AlreadyAnswered(Json<RsvpRepeat>),
}

#[derive(ApiResponse)]
pub enum RsvpCancelled {
    /// Cancelled; the seats went to the waitlist.
    #[oai(status = 204)]
    Cancelled,
}

#[OpenApi(tag = "ApiTags::Public")]
impl PublicRsvpApi {
    /// RSVP to a published event. The answer is `going`, `waitlisted` (when full and
    /// the event keeps a waitlist) or `pending_approval`; full without a waitlist is
    /// 409. The same address again changes nothing: 202, and its link goes to it by
    /// email. 429 with `Retry-After` when a client or an address RSVPs too often.
    #[oai(path = "/public/events/:id/rsvps", method = "post")]
    async fn rsvp(
        &self,
        request: &poem::Request,
        id: Path<String>,
        req: Json<RsvpRequest>,
    ) -> Result<RsvpTaken, SupporterAction> {
        let form = RsvpForm::try_from(req.0).map_err(ApiError::invalid)?;
        self.state
            .limits
            .rsvp
            .check_address(ClientAddr::of(request), &form.email)
            .map_err(ApiError::too_many)?;
        let event = reference::<entity::event::Entity>(&id)?;
        let taken = self.state.rsvps.take(&event, form).await?;
        Ok(match taken {
            service::Taken::Created(rsvp) | service::Taken::Changed(rsvp) => {
                RsvpTaken::Created(Json(Rsvp::of(rsvp, &self.state.site.public_url)))
            }
            service::Taken::AlreadyAnswered(status) => {
                RsvpTaken::AlreadyAnswered(Json(RsvpRepeat { status }))
            }
        })
    }

    /// An RSVP, by the token in its manage link.
    #[oai(path = "/public/rsvps/:token", method = "get")]
    async fn get(&self, token: Path<String>) -> Result<Json<ManagedRsvp>, Problems<NotFound>> {
        let managed = self.state.rsvps.managed(&token).await?;
        let locale = managed.rsvp.row.locale.map(|l| l.to_string());
        let event = self.state.events.shown(managed.event).await?;
        let url = &self.state.site.public_url;
        Ok(Json(ManagedRsvp {
            rsvp: Rsvp::of(managed.rsvp, url),
            locale,
            event: Event::of(event, url),
        }))
    }

    /// Change the number of guests. More than the free seats allow is 409, and the
    /// RSVP stays as it was.
    #[oai(path = "/public/rsvps/:token", method = "patch")]
    async fn change(
        &self,
        token: Path<String>,
        req: Json<RsvpChange>,
    ) -> Result<Json<Rsvp>, Problems<(JsonBody, NotFound, Conflict)>> {
        let rsvp = self.state.rsvps.change_guests(&token, req.0.guests).await?;
        Ok(Json(Rsvp::of(rsvp, &self.state.site.public_url)))
    }

    /// Cancel the RSVP; its seats go to the first on the waitlist whose party fits.
    #[oai(path = "/public/rsvps/:token", method = "delete")]
    async fn cancel(
        &self,
        token: Path<String>,
    ) -> Result<RsvpCancelled, Problems<(NotFound, Conflict)>> {
        self.state.rsvps.cancel(&token).await?;
        Ok(RsvpCancelled::Cancelled)
    }
}
