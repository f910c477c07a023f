//! HTTP endpoints of petitions, organiser side.

use poem_openapi::{
    ApiResponse,
    param::Path,
    payload::{Json, PlainText},
};

use super::{model::*, review, service};
use crate::access::Access;
use crate::content::Service as _;
use crate::domain::PublicRef;
use crate::http::{
    ApiError, ApiTags, BearerAuth,
    content::{named, organiser_api},
    csv::Sheet,
    problem::{ActOnOneWith, ReadOne},
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

organiser_api! {
    PetitionsApi, "ApiTags::Petitions", petitions of petition::Entity,
        shown as Petition => |p, url| Petition::of(&p, url);

    /// Create a petition. It starts as a draft that only your organisation sees.
    create "/petitions" (NewPetition) -> PetitionCreated;

    /// The petitions of your organisations, newest first.
    list "/petitions" -> PetitionPage;

    get "/petitions/:id";

    /// Change a petition; `null` clears an optional field.
    change "/petitions/:id" (PetitionPatch);

    /// Open a draft for signatures.
    act publish "/petitions/:id/publish";

    /// Stop taking signatures.
    act close "/petitions/:id/close";

    /// Record that the petition was handed to its target.
    act deliver "/petitions/:id/deliver" (DeliverRequest);

    /// Every signature, confirmed or not, for the organisers: JSON pages, or all of
    /// them as CSV with `Accept: text/csv`.
    sheet signatures "/petitions/:id/signatures" -> SignaturePage,
        from signatures, all_signatures as "signatures" by every_signature;

    {
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
}

impl PetitionsApi {
    /// The organiser, and the petition the path names.
    async fn named(&self, auth: &BearerAuth, id: &str) -> Result<(Access, PublicRef), ApiError> {
        named::<petition::Entity>(&self.state.db, auth, id).await
    }
}

/// Every signature as the organisers' CSV sheet.
fn every_signature(all: &[service::Signer]) -> String {
    let items: Vec<SignatureRecord> = all.iter().cloned().map(Into::into).collect();
    signatures_csv(&items)
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
