//! HTTP endpoints of fundraisers and donations, organiser side.

use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};

use super::{donations, model::*, service};
use crate::domain::{Currency, decimal_text};
use crate::http::{
    ApiTags, BearerAuth, Problems,
    auth::authenticate,
    csv::{JsonOrCsv, Sheet, file_stem, wants_csv},
    page::Limit,
    problem::{
        ActOnOne, ActOnOneWith, BadGateway, Conflict, CreateOne, Forbidden, IdempotencyKey,
        NotFound, PatchOne, ReadOne, Unauthorized, Unavailable, Unprocessable,
    },
};
use crate::state::AppState;

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
        let fundraiser =
            service::create(&self.state.db, &access, req.0, &self.state.site.public_url).await?;
        Ok(FundraiserCreated::Created(Json(fundraiser)))
    }

    /// The fundraisers of your organisations, newest first.
    #[oai(path = "/fundraisers", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        limit: Query<Option<Limit>>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<FundraiserPage>, Problems<(Unauthorized, Unprocessable)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let limit = limit.0.unwrap_or_default();
        let (items, next_cursor) = service::list(
            &self.state.db,
            &access,
            limit,
            cursor.as_deref(),
            &self.state.site.public_url,
        )
        .await?;
        Ok(Json(FundraiserPage { items, next_cursor }))
    }

    #[oai(path = "/fundraisers/:id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<String>) -> Result<Json<Fundraiser>, ReadOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(
            service::get(&self.state.db, &access, &id, &self.state.site.public_url).await?,
        ))
    }

    /// Change a fundraiser; `null` clears an optional field.
    #[oai(path = "/fundraisers/:id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        req: Json<FundraiserPatch>,
    ) -> Result<Json<Fundraiser>, PatchOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(
            service::patch(
                &self.state.db,
                &access,
                &id,
                req.0,
                &self.state.site.public_url,
            )
            .await?,
        ))
    }

    /// Open a fundraiser for donations (a closed one opens again).
    #[oai(path = "/fundraisers/:id/publish", method = "post")]
    async fn publish(
        &self,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<Json<Fundraiser>, ActOnOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(
            service::publish(&self.state.db, &access, &id, &self.state.site.public_url).await?,
        ))
    }

    /// Stop taking online donations; gifts by hand may still be recorded.
    #[oai(path = "/fundraisers/:id/close", method = "post")]
    async fn close(
        &self,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<Json<Fundraiser>, ActOnOne> {
        let access = authenticate(&self.state.db, &auth).await?;
        Ok(Json(
            service::close(&self.state.db, &access, &id, &self.state.site.public_url).await?,
        ))
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
        let access = authenticate(&self.state.db, &auth).await?;
        let donation =
            donations::record_offline(&self.state.db, &self.state.site, &access, &id, req.0)
                .await?;
        Ok(DonationRecorded::Created(Json(donation)))
    }

    /// Every donation, whatever its status, oldest first: JSON pages, or all of them
    /// as CSV with `Accept: text/csv`.
    #[oai(path = "/fundraisers/:id/donations", method = "get")]
    async fn donations(
        &self,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
        limit: Query<Option<Limit>>,
        cursor: Query<Option<String>>,
    ) -> Result<JsonOrCsv<DonationPage>, Problems<(Unauthorized, Forbidden, NotFound, Unprocessable)>>
    {
        let access = authenticate(&self.state.db, &auth).await?;
        if wants_csv(accept.as_deref()) {
            let (items, _) = donations::list(&self.state.db, &access, &id, None, None).await?;
            return Ok(JsonOrCsv::Csv {
                body: donations_csv(&items),
                filename: format!("donations-{}.csv", file_stem(&id)),
            });
        }
        let limit = limit.0.unwrap_or_default();
        let (items, next_cursor) =
            donations::list(&self.state.db, &access, &id, Some(limit), cursor.as_deref()).await?;
        Ok(JsonOrCsv::Json(DonationPage { items, next_cursor }))
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
        Ok(Json(
            donations::refund(
                &self.state.db,
                self.state.payments.stripe.as_ref(),
                &access,
                &id,
            )
            .await?,
        ))
    }
}

/// An amount with its decimal point, for a spreadsheet: "25.00", "1000", "1.500".
fn decimal(minor: i64, currency: &str) -> String {
    Currency::parse(currency).map_or_else(|_| minor.to_string(), |c| decimal_text(minor, c))
}

fn donations_csv(items: &[Donation]) -> String {
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
        let currency = d.amount.currency.as_str();
        sheet.row([
            d.id.as_str(),
            &d.created_at,
            d.received_at.as_deref().unwrap_or(""),
            d.status.as_str(),
            d.method.as_str(),
            d.frequency.as_str(),
            &decimal(d.amount.amount, currency),
            currency,
            &decimal(d.refunded_amount, currency),
            d.donor_name.as_deref().unwrap_or(""),
            d.donor_email.as_deref().unwrap_or(""),
            if d.anonymous { "yes" } else { "no" },
            d.message.as_deref().unwrap_or(""),
            d.note.as_deref().unwrap_or(""),
        ]);
    }
    sheet.finish()
}
