//! HTTP endpoints of supporters, for organisers who may see personal data.

use poem_openapi::{ApiResponse, param::Path, payload::Json};
use uuid::Uuid;

use super::model::*;
use crate::http::{
    ApiTags, BearerAuth, auth::authenticate, content::organiser_api, problem::ReadOne,
};
use crate::state::AppState;

pub struct SupportersApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
pub enum Exported {
    /// Everything your organisations hold about the supporter, as a JSON file.
    #[oai(status = 200)]
    Export(
        Json<SupporterExport>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[derive(ApiResponse)]
pub enum Erased {
    /// Their personal data is gone; their seats and counts stay, anonymous.
    #[oai(status = 204)]
    Erased,
}

organiser_api! {
    SupportersApi, "ApiTags::Supporters", supporters;

    /// Supporters who acted for your organisations, newest first; `email` finds one.
    list "/supporters" -> SupporterPage, by
        /// An address, compared without regard to case.
        email;

    {
        /// A supporter with their RSVPs to your organisations' events.
        #[oai(path = "/supporters/:id", method = "get")]
        async fn get(
            &self,
            auth: BearerAuth,
            id: Path<Uuid>,
        ) -> Result<Json<SupporterDetail>, ReadOne> {
            let access = authenticate(&self.state.db, &auth).await?;
            Ok(Json(self.state.supporters.get(&access, id.0).await?.into()))
        }

        /// Everything your organisations hold about a supporter (a subject access request).
        #[oai(path = "/supporters/:id/export", method = "get")]
        async fn export(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Exported, ReadOne> {
            let access = authenticate(&self.state.db, &auth).await?;
            let export = self.state.supporters.export(&access, id.0).await?.into();
            let disposition = format!("attachment; filename=\"supporter-{}.json\"", id.0);
            Ok(Exported::Export(Json(export), disposition))
        }

        /// Erase a supporter's personal data. RSVP counts and totals stay as they were.
        #[oai(path = "/supporters/:id", method = "delete")]
        async fn erase(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Erased, ReadOne> {
            let access = authenticate(&self.state.db, &auth).await?;
            self.state.supporters.erase(&access, id.0).await?;
            Ok(Erased::Erased)
        }
    }
}
