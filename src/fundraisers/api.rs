//! HTTP endpoints of fundraisers and donations, organiser side.

use poem_openapi::{ApiResponse, param::Path, payload::Json};
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
    content::{named, organiser_api, reference},
    csv::Sheet,
    instant,
    problem::{
        ActOnOneWith, BadGateway, Conflict, Forbidden, IdempotencyKey, NotFound, Unauthorized,
        Unavailable,
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
}

organiser_api! {
    FundraisersApi, "ApiTags::Fundraisers", fundraisers of fundraiser::Entity,
        shown as Fundraiser => Fundraiser::view;

    /// Create a fundraiser. It starts as a draft that only your organisation sees.
    create "/fundraisers" (NewFundraiser) -> FundraiserCreated;

    /// The fundraisers of your organisations, newest first.
    list "/fundraisers" -> FundraiserPage;

    get "/fundraisers/:id";

    /// Change a fundraiser; `null` clears an optional field.
    change "/fundraisers/:id" (FundraiserPatch);

    /// Open a fundraiser for donations (a closed one opens again).
    act publish "/fundraisers/:id/publish" => move_to(FundraiserStatus::Open);

    /// Stop taking online donations; gifts by hand may still be recorded.
    act close "/fundraisers/:id/close" => move_to(FundraiserStatus::Closed);

    {
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
    }

    /// Every donation, whatever its status, oldest first: JSON pages, or all of them
    /// as CSV with `Accept: text/csv`.
    sheet donations "/fundraisers/:id/donations" -> DonationPage,
        from donations, all_donations as "donations" by donations_csv;

    {
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
