//! HTTP endpoints of petitions, organiser side.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Header, Path, Query},
    payload::{Json, PlainText},
};

use super::{model::*, review, service};
use crate::access::Access;
use crate::content::Service as _;
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
use crate::petitions::PetitionError;
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

#[derive(ApiResponse)]
pub enum CommentChanged {
    /// Done: the public signers list shows the comment, or no longer does.
    #[oai(status = 204)]
    Done,
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

    /// Invalidate spam: one signature by id, or every one a filter names (an
    /// address domain, a time window of signing, a source), confirmed or waiting,
    /// as one batch that `.../signatures/undo` puts back. The count goes down by
    /// the confirmed ones, exactly, however many organisers act at once. A
    /// delivered petition's signatures stay as handed over (409).
    #[oai(path = "/petitions/:id/signatures/invalidate", method = "post")]
    async fn invalidate(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        req: Json<InvalidateRequest>,
    ) -> Result<Json<Invalidated>, ActOnOneWith> {
        let (access, petition) = self.named(&auth, &id).await?;
        let petitions = &self.state.petitions;
        let asked = req.0;
        let filter = || {
            let mut checks = crate::content::Checks::default();
            let domain = asked
                .email_domain
                .as_ref()
                .and_then(|d| checks.check(review::EmailDomain::parse(d.as_ref())));
            let source = asked
                .source
                .as_ref()
                .and_then(|s| checks.check(review::Source::parse(s.as_ref())).flatten());
            checks.finish()?;
            review::SignatureFilter::new(domain, asked.from, asked.until, source)
        };
        if let Some(signature) = &asked.signature {
            let named_too = asked.email_domain.is_some()
                || asked.from.is_some()
                || asked.until.is_some()
                || asked.source.is_some();
            if named_too || asked.dry_run {
                return Err(ApiError::from(crate::domain::InvalidField::new(
                    "signature",
                    "names one signature: not with a filter or a dry run",
                ))
                .into());
            }
            let signature = uuid::Uuid::parse_str(signature.as_ref()).map_err(|_| {
                ApiError::from(crate::domain::InvalidField::new(
                    "signature",
                    "is not a signature's id",
                ))
            })?;
            let done = petitions
                .invalidate_one(&access, &petition, signature)
                .await?;
            return Ok(Json(done.into()));
        }
        let filter = filter().map_err(PetitionError::from)?;
        if asked.dry_run {
            let matching = petitions
                .count_matching(&access, &petition, &filter)
                .await?;
            let now = petitions
                .get(&access, &petition)
                .await?
                .item
                .signature_count;
            return Ok(Json(Invalidated {
                batch: None,
                signatures: matching.signatures,
                counted: matching.counted,
                signature_count: i64::from(now) - i64::try_from(matching.counted).unwrap_or(0),
            }));
        }
        let done = petitions
            .invalidate_matching(&access, &petition, &filter)
            .await?;
        Ok(Json(done.into()))
    }

    /// Put back the signatures of an invalidated batch as they were (the
    /// confirmed ones count again); undoing twice changes nothing.
    #[oai(path = "/petitions/:id/signatures/undo", method = "post")]
    async fn undo_invalidation(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        req: Json<UndoRequest>,
    ) -> Result<Json<Invalidated>, ActOnOneWith> {
        let (access, petition) = self.named(&auth, &id).await?;
        let batch = uuid::Uuid::parse_str(req.0.batch.as_ref()).map_err(|_| {
            ApiError::from(crate::domain::InvalidField::new(
                "batch",
                "is not a batch an invalidation answered",
            ))
        })?;
        let done = self
            .state
            .petitions
            .undo_invalidation(&access, &petition, batch)
            .await?;
        Ok(Json(done.into()))
    }

    /// Hide a signature's comment from the public signers (the signature and its
    /// name stay), or show it again.
    #[oai(path = "/petitions/:id/signatures/:signature/comment", method = "post")]
    async fn comment(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        signature: Path<String>,
        req: Json<CommentVisibility>,
    ) -> Result<CommentChanged, ActOnOneWith> {
        let (access, petition) = self.named(&auth, &id).await?;
        let signature = uuid::Uuid::parse_str(&signature)
            .map_err(|_| ApiError::not_found("no such signature".to_owned()))?;
        self.state
            .petitions
            .hide_comment(&access, &petition, signature, req.0.hidden)
            .await?;
        Ok(CommentChanged::Done)
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
