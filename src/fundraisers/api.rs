//! HTTP endpoints of fundraisers and donations, organiser side.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    donations,
    model::*,
    service::{FundraiserError, FundraiserStatus},
};
use crate::access::Access;
use crate::content::{ContentError, Service as _};
use crate::domain::{PublicRef, decimal_text};
use crate::http::{
    ApiError, ApiTags, BearerAuth, Problems,
    auth::authenticate,
    content::{cursor, named, reference},
    csv::{JsonOrCsv, Sheet, wants_csv},
    instant,
    page::Limit,
    problem::{
        ActOnOne, ActOnOneWith, BadGateway, Conflict, CreateOne, Forbidden, IdempotencyKey,
        ListOfOne, NotFound, PatchOne, ReadOne, Unauthorized, Unavailable, Unprocessable,
    },
};
use crate::state::AppState;
use entity::fundraiser;

impl From<FundraiserError> for ApiError {
    fn from(e: FundraiserError) -> Self {
        match e {
            FundraiserError::Content(e) => e.into(),
            FundraiserError::Closed | FundraiserError::WrongState(_) => {
                ApiError::conflict(e.to_string())
            }
            FundraiserError::PaymentsOff => ApiError::unavailable(e.to_string()),
            FundraiserError::Provider(cause) => {
                tracing::warn!(error = %cause, "Stripe call failed");
                ApiError::bad_gateway("the payment provider failed; nothing was charged")
            }
        }
    }
}

/// The fundraiser a path names by id or slug.
pub(super) fn fundraiser_ref(raw: &str) -> Result<PublicRef, ContentError> {
    reference::<fundraiser::Entity>(raw)
}

pub struct FundraisersApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
pub enum FundraiserCreated {
    /// The new draft.
    #[oai(status = 201)]
    Created(Json<Fundraiser>),
}

#[derive(ApiResponse)]
pub enum DonationRecorded {
    /// The gift, counted at once.
    #[oai(status = 201)]
    Created(Json<Donation>),
}

impl FundraisersApi {
    /// The organiser, and the fundraiser the path names.
    async fn named(&self, auth: &BearerAuth, id: &str) -> Result<(Access, PublicRef), ApiError> {
        named::<fundraiser::Entity>(&self.state.db, auth, id).await
    }

    fn view(&self, f: super::service::Fundraiser) -> Json<Fundraiser> {
        Json(Fundraiser::view(f, &self.state.site.public_url))
    }

    /// Publish or close a fundraiser.
    async fn move_to(
        &self,
        auth: BearerAuth,
        id: &str,
        status: FundraiserStatus,
    ) -> Result<Json<Fundraiser>, ActOnOne> {
        let (access, id) = self.named(&auth, id).await?;
        let fundraiser = self.state.fundraisers.move_to(&access, &id, status).await?;
        Ok(self.view(fundraiser))
    }
}

#[OpenApi(tag = "ApiTags::Fundraisers")]
impl FundraisersApi {
    /// Create a fundraiser. It starts as a draft that only your organisation sees.
    #[oai(path = "/fundraisers", method = "post")]
    async fn create(
        &self,
        auth: BearerAuth,
        req: Json<NewFundraiser>,
    ) -> Result<FundraiserCreated, CreateOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        let fundraiser = self.state.fundraisers.create(&access, req.0.into()).await?;
        Ok(FundraiserCreated::Created(self.view(fundraiser)))
    }

    /// The fundraisers of your organisations, newest first.
    #[oai(path = "/fundraisers", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        #[oai(default)] limit: Query<Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<FundraiserPage>, Problems<(Unauthorized, Unprocessable)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let cursor = self::cursor(cursor.as_deref())?;
        let page = self.state.fundraisers.list(&access, *limit, cursor).await?;
        Ok(Json(FundraiserPage::of(page, &self.state.site.public_url)))
    }

    #[oai(path = "/fundraisers/:id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<String>) -> Result<Json<Fundraiser>, ReadOne> {
        let (access, id) = self.named(&auth, &id).await?;
        Ok(self.view(self.state.fundraisers.get(&access, &id).await?))
    }

    /// Change a fundraiser; `null` clears an optional field.
    #[oai(path = "/fundraisers/:id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        req: Json<FundraiserPatch>,
    ) -> Result<Json<Fundraiser>, PatchOne> {
        let (access, id) = self.named(&auth, &id).await?;
        let fundraiser = self
            .state
            .fundraisers
            .change(&access, &id, req.0.into())
            .await?;
        Ok(self.view(fundraiser))
    }

    /// Open a fundraiser for donations (a closed one opens again).
    #[oai(path = "/fundraisers/:id/publish", method = "post")]
    async fn publish(
        &self,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<Json<Fundraiser>, ActOnOne> {
        self.move_to(auth, &id, FundraiserStatus::Open).await
    }

    /// Stop taking online donations; gifts by hand may still be recorded.
    #[oai(path = "/fundraisers/:id/close", method = "post")]
    async fn close(
        &self,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<Json<Fundraiser>, ActOnOne> {
        self.move_to(auth, &id, FundraiserStatus::Closed).await
    }

    /// Record a gift that came in by hand (cash at a screening, a bank transfer), in
    /// any currency. A receipt goes to `donor_email` unless `send_receipt` is false.
    #[oai(path = "/fundraisers/:id/donations", method = "post")]
    async fn record(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        req: Json<OfflineDonation>,
    ) -> Result<DonationRecorded, ActOnOneWith> {
        let (access, id) = self.named(&auth, &id).await?;
        let donation = self
            .state
            .fundraisers
            .record_offline(&access, &id, req.0.into())
            .await?;
        Ok(DonationRecorded::Created(Json(donation.into())))
    }

    /// Every donation, whatever its status, oldest first: JSON pages, or all of them
    /// as CSV with `Accept: text/csv`.
    #[oai(path = "/fundraisers/:id/donations", method = "get")]
    async fn donations(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
        #[oai(default)] limit: Query<Limit>,
        cursor: Query<Option<String>>,
    ) -> Result<JsonOrCsv<DonationPage>, ListOfOne> {
        let (access, fundraiser) = self.named(&auth, &id).await?;
        let fundraisers = &self.state.fundraisers;
        if wants_csv(accept.as_deref()) {
            let items = fundraisers.all_donations(&access, &fundraiser).await?;
            return Ok(JsonOrCsv::csv("donations", &id, donations_csv(&items)));
        }
        let cursor = self::cursor(cursor.as_deref())?;
        let page = fundraisers
            .donations(&access, &fundraiser, *limit, cursor)
            .await?;
        Ok(JsonOrCsv::Json(page.into()))
    }

    /// Refund a succeeded donation in full (through Stripe for an online one).
    /// Refunding again answers the same.
    #[oai(path = "/donations/:id/refund", method = "post")]
    async fn refund(
        &self,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<
        Json<Donation>,
        Problems<(
            IdempotencyKey,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            BadGateway,
            Unavailable,
        )>,
    > {
        let access = authenticate(&self.state.db, &auth).await?;
        let id = Uuid::parse_str(&id).map_err(|_| ContentError::NotFound("donation"))?;
        let donation = self.state.fundraisers.refund(&access, id).await?;
        Ok(Json(donation.into()))
    }
}

/// Every donation, one row each; amounts with their decimal point ("25.00", "1000").
pub(crate) fn donations_csv(items: &[donations::Donation]) -> String {
    let mut sheet = Sheet::new(&[
        "id",
        "created_at",
        "received_at",
        "status",
        "method",
        "frequency",
        "amount",
        "currency",
        "refunded_amount",
        "donor_name",
        "donor_email",
        "anonymous",
        "message",
        "note",
    ]);
    for d in items {
        let row = &d.row;
        let currency = row.currency;
        sheet.row([
            row.id.to_string().as_str(),
            &instant(row.created_at),
            &row.received_at.map(instant).unwrap_or_default(),
            row.status.as_str(),
            row.method.as_str(),
            row.frequency.as_str(),
            &decimal_text(row.amount, currency),
            currency.code(),
            &decimal_text(row.refunded_amount, currency),
            row.donor_name.as_deref().unwrap_or(""),
            d.donor_email.as_deref().unwrap_or(""),
            if row.anonymous { "yes" } else { "no" },
            row.message.as_deref().unwrap_or(""),
            row.note.as_deref().unwrap_or(""),
        ]);
    }
    sheet.finish()
}
