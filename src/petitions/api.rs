//! HTTP endpoints of petitions, organiser side.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Header, Path, Query},
    payload::{Json, PlainText},
};

use super::{model::*, service};
use crate::access::Access;
use crate::domain::PublicRef;
use crate::http::{
    ApiError, ApiTags, BearerAuth, Problems,
    auth::authenticate,
    content::{cursor, named},
    csv::{JsonOrCsv, Sheet, wants_csv},
    page::Limit,
    problem::{
        ActOnOne, ActOnOneWith, CreateOne, ListOfOne, PatchOne, ReadOne, Unauthorized,
        Unprocessable,
    },
};
use crate::state::AppState;
use entity::petition;

pub struct PetitionsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
pub enum PetitionCreated {
    /// The new draft.
    #[oai(status = 201)]
    Created(Json<Petition>),
}

#[derive(ApiResponse)]
pub enum DeliveryCsv {
    /// The confirmed signatures as handed to the target: no email addresses.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(
        PlainText<String>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[OpenApi(tag = "ApiTags::Petitions")]
impl PetitionsApi {
    /// Create a petition. It starts as a draft that only your organisation sees.
    #[oai(path = "/petitions", method = "post")]
    async fn create(
        &self,
        auth: BearerAuth,
        req: Json<NewPetition>,
    ) -> Result<PetitionCreated, CreateOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        let petition = self.state.petitions.create(&access, req.0.into()).await?;
        Ok(PetitionCreated::Created(self.one(&petition)))
    }

    /// The petitions of your organisations, newest first.
    #[oai(path = "/petitions", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        #[oai(default)] limit: Query<Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<PetitionPage>, Problems<(Unauthorized, Unprocessable)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let cursor = self::cursor(cursor.as_deref())?;
        let page = self.state.petitions.list(&access, *limit, cursor).await?;
        Ok(Json(PetitionPage::from(
            page.map(|p| Petition::of(&p, &self.state.site.public_url)),
        )))
    }

    #[oai(path = "/petitions/:id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<String>) -> Result<Json<Petition>, ReadOne> {
        let (access, id) = self.named(&auth, &id).await?;
        Ok(self.one(&self.state.petitions.get(&access, &id).await?))
    }

    /// Change a petition; `null` clears an optional field.
    #[oai(path = "/petitions/:id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        req: Json<PetitionPatch>,
    ) -> Result<Json<Petition>, PatchOne> {
        let (access, id) = self.named(&auth, &id).await?;
        let asked = req.0.into();
        Ok(self.one(&self.state.petitions.change(&access, &id, asked).await?))
    }

    /// Open a draft for signatures.
    #[oai(path = "/petitions/:id/publish", method = "post")]
    async fn publish(
        &self,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<Json<Petition>, ActOnOne> {
        let (access, id) = self.named(&auth, &id).await?;
        Ok(self.one(&self.state.petitions.publish(&access, &id).await?))
    }

    /// Stop taking signatures.
    #[oai(path = "/petitions/:id/close", method = "post")]
    async fn close(&self, auth: BearerAuth, id: Path<String>) -> Result<Json<Petition>, ActOnOne> {
        let (access, id) = self.named(&auth, &id).await?;
        Ok(self.one(&self.state.petitions.close(&access, &id).await?))
    }

    /// Record that the petition was handed to its target.
    #[oai(path = "/petitions/:id/deliver", method = "post")]
    async fn deliver(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        req: Json<DeliverRequest>,
    ) -> Result<Json<Petition>, ActOnOneWith> {
        let (access, id) = self.named(&auth, &id).await?;
        let asked = req.0.into();
        Ok(self.one(&self.state.petitions.deliver(&access, &id, asked).await?))
    }

    /// Every signature, confirmed or not, for the organisers: JSON pages, or all of
    /// them as CSV with `Accept: text/csv`.
    #[oai(path = "/petitions/:id/signatures", method = "get")]
    async fn signatures(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
        #[oai(default)] limit: Query<Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<JsonOrCsv<SignaturePage>, ListOfOne> {
        let (access, petition) = self.named(&auth, &id).await?;
        let petitions = &self.state.petitions;
        if wants_csv(accept.as_deref()) {
            let all = petitions.all_signatures(&access, &petition).await?;
            let items: Vec<SignatureRecord> = all.into_iter().map(Into::into).collect();
            return Ok(JsonOrCsv::csv("signatures", &id, signatures_csv(&items)));
        }
        let cursor = self::cursor(cursor.as_deref())?;
        let page = petitions
            .signatures(&access, &petition, *limit, cursor)
            .await?;
        Ok(JsonOrCsv::Json(SignaturePage::from(page)))
    }

    /// What is handed to the target: each confirmed signer's name, affiliation,
    /// locality, country, comment and date; never an email address.
    #[oai(path = "/petitions/:id/delivery.csv", method = "get")]
    async fn delivery(&self, auth: BearerAuth, id: Path<String>) -> Result<DeliveryCsv, ReadOne> {
        let (access, id) = self.named(&auth, &id).await?;
        let (petition, rows) = self.state.petitions.delivery(&access, &id).await?;
        let disposition = format!("attachment; filename=\"delivery-{}.csv\"", petition.slug);
        Ok(DeliveryCsv::Csv(
            PlainText(delivery_csv(&rows)),
            disposition,
        ))
    }
}

impl PetitionsApi {
    /// The organiser, and the petition the path names.
    async fn named(&self, auth: &BearerAuth, id: &str) -> Result<(Access, PublicRef), ApiError> {
        named::<petition::Entity>(&self.state.db, auth, id).await
    }

    fn one(&self, petition: &service::Petition) -> Json<Petition> {
        Json(Petition::of(petition, &self.state.site.public_url))
    }
}

/// What is handed to the target, as a CSV sheet: no addresses.
pub fn delivery_csv(rows: &[entity::signature::Model]) -> String {
    let mut sheet = Sheet::new(&[
        "name",
        "affiliation",
        "locality",
        "country",
        "comment",
        "signed_on",
    ]);
    for s in rows {
        let signed_on = s
            .confirmed_at
            .unwrap_or(s.created_at)
            .format("%Y-%m-%d")
            .to_string();
        sheet.row([
            s.name.as_str(),
            s.affiliation.as_deref().unwrap_or(""),
            s.locality.as_deref().unwrap_or(""),
            s.country.as_ref().map_or("", AsRef::as_ref),
            s.comment.as_deref().unwrap_or(""),
            &signed_on,
        ]);
    }
    sheet.finish()
}

/// The signatures as a CSV sheet, as the API and the console export them.
pub fn signatures_csv(items: &[SignatureRecord]) -> String {
    let mut sheet = Sheet::new(&[
        "name",
        "email",
        "affiliation",
        "postal_code",
        "locality",
        "country",
        "comment",
        "public",
        "status",
        "created_at",
        "confirmed_at",
        "source",
    ]);
    for s in items {
        let public = if s.public { "yes" } else { "no" };
        sheet.row([
            s.name.as_str(),
            s.email.as_str(),
            s.affiliation.as_deref().unwrap_or(""),
            s.postal_code.as_deref().unwrap_or(""),
            s.locality.as_deref().unwrap_or(""),
            s.country.as_ref().map_or("", AsRef::as_ref),
            s.comment.as_deref().unwrap_or(""),
            public,
            s.status.as_str(),
            &s.created_at,
            s.confirmed_at.as_deref().unwrap_or(""),
            s.source.as_deref().unwrap_or(""),
        ]);
    }
    sheet.finish()
}
