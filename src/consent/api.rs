//! HTTP endpoints of consent: the "Join us" form anyone may post, and the list of
//! an organisation's subscribers for its organisers.

use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path},
    payload::Json,
};

use super::{ConsentError, ConsentForm, ConsentStatus, HeldConsent, JoinForm, Subscriber};
use crate::http::{
    ApiError, ApiTags, BearerAuth, Problems,
    auth::authenticate,
    client::ClientAddr,
    csv::{JsonOrCsv, Sheet, wants_csv},
    instant,
    problem::{Forbidden, NotFound, SupporterAction, Unauthorized},
};
use crate::state::AppState;

impl From<ConsentError> for ApiError {
    fn from(e: ConsentError) -> Self {
        match e {
            ConsentError::Content(e) => e.into(),
            ConsentError::NoSuchLink => ApiError::not_found(e.to_string()),
        }
    }
}

pub struct ConsentsApi {
    pub state: AppState,
}

/// Someone asking to hear from an organisation (its "Join us" form).
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct JoinRequest {
    pub email: String,
    #[oai(nullable)]
    pub name: Option<String>,
    /// `en`, `es` or `fr`: the language of the emails.
    #[oai(nullable)]
    pub locale: Option<String>,
}

/// What the "Join us" form answers, whoever the address belongs to.
#[derive(Object, Debug, Clone)]
pub struct Joined {
    /// Always `pending_confirmation`: an email with a link to confirm is on its way
    /// unless the address already confirmed (which this answer never tells).
    pub status: String,
}

#[derive(ApiResponse)]
pub enum JoinAnswer {
    /// Asked; it takes effect once the emailed link is followed.
    #[oai(status = 202)]
    Accepted(Json<Joined>),
}

/// A consent, with its provenance.
#[derive(Object, Debug, Clone)]
pub struct ConsentView {
    /// The organisation's name.
    pub organisation: String,
    pub status: ConsentStatus,
    /// The exact sentence shown beside the box, in the page's language.
    pub words: String,
    pub form: ConsentForm,
    #[oai(nullable)]
    pub source: Option<String>,
    pub locale: String,
    pub asked_at: String,
    #[oai(nullable)]
    pub confirmed_at: Option<String>,
    #[oai(nullable)]
    pub withdrawn_at: Option<String>,
}

impl From<HeldConsent> for ConsentView {
    fn from(held: HeldConsent) -> Self {
        let c = held.consent;
        Self {
            organisation: held.organisation,
            status: c.status,
            words: c.words,
            form: c.form,
            source: c.source,
            locale: c.locale.as_str().to_owned(),
            asked_at: instant(c.asked_at),
            confirmed_at: c.confirmed_at.map(instant),
            withdrawn_at: c.withdrawn_at.map(instant),
        }
    }
}

/// Someone who consented to hear from the organisation.
#[derive(Object, Debug, Clone)]
pub struct SubscriberView {
    pub supporter_id: uuid::Uuid,
    pub email: String,
    pub name: String,
    #[oai(nullable)]
    pub locale: Option<String>,
    /// The exact sentence they agreed to.
    pub words: String,
    pub form: ConsentForm,
    #[oai(nullable)]
    pub source: Option<String>,
    pub asked_at: String,
    #[oai(nullable)]
    pub confirmed_at: Option<String>,
}

impl From<Subscriber> for SubscriberView {
    fn from(s: Subscriber) -> Self {
        Self {
            supporter_id: s.supporter.id,
            email: s.supporter.email.to_string(),
            name: s.supporter.name,
            locale: s.supporter.locale.map(|l| l.as_str().to_owned()),
            words: s.consent.words,
            form: s.consent.form,
            source: s.consent.source,
            asked_at: instant(s.consent.asked_at),
            confirmed_at: s.consent.confirmed_at.map(instant),
        }
    }
}

/// An organisation's subscribers.
#[derive(Object, Debug, Clone)]
pub struct SubscriberList {
    pub items: Vec<SubscriberView>,
}

fn csv(items: &[SubscriberView]) -> String {
    let mut sheet = Sheet::new(&[
        "email",
        "name",
        "locale",
        "words",
        "form",
        "source",
        "asked_at",
        "confirmed_at",
    ]);
    for s in items {
        sheet.row([
            s.email.as_str(),
            &s.name,
            s.locale.as_deref().unwrap_or(""),
            &s.words,
            s.form.as_str(),
            s.source.as_deref().unwrap_or(""),
            &s.asked_at,
            s.confirmed_at.as_deref().unwrap_or(""),
        ]);
    }
    sheet.finish()
}

#[OpenApi]
impl ConsentsApi {
    /// Ask to hear from an organisation by email (its "Join us" form). The answer is
    /// the same whether or not the address is known or already subscribed; an email
    /// with a link to confirm is sent unless it already was confirmed. 429 with
    /// `Retry-After` when a client or an address asks too often.
    #[oai(
        path = "/public/organisations/:slug/subscribers",
        method = "post",
        tag = "ApiTags::Public"
    )]
    async fn join(
        &self,
        request: &poem::Request,
        slug: Path<String>,
        req: Json<JoinRequest>,
    ) -> Result<JoinAnswer, SupporterAction> {
        let form = JoinForm::parse(&req.email, req.name.as_deref(), req.locale.as_deref())
            .map_err(ApiError::invalid)?;
        self.state
            .limits
            .sign
            .check_address(ClientAddr::of(request), &form.email)
            .map_err(ApiError::too_many)?;
        self.state.consents.join(&slug, form).await?;
        Ok(JoinAnswer::Accepted(Json(Joined {
            status: "pending_confirmation".into(),
        })))
    }

    /// Those who consented to hear from the organisation and confirmed their
    /// address (organisers and owners; viewers see no personal data). JSON, or CSV
    /// with `Accept: text/csv`.
    #[oai(
        path = "/organisations/:slug/subscribers",
        method = "get",
        tag = "ApiTags::Organisations"
    )]
    async fn subscribers(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> Result<JsonOrCsv<SubscriberList>, Problems<(Unauthorized, Forbidden, NotFound)>> {
        let access = authenticate(&self.state.db, &auth).await?;
        let (_, subscribers) = self.state.consents.subscribers(&access, &slug).await?;
        let items: Vec<SubscriberView> = subscribers.into_iter().map(Into::into).collect();
        if wants_csv(accept.as_deref()) {
            return Ok(JsonOrCsv::csv("subscribers", &slug, csv(&items)));
        }
        Ok(JsonOrCsv::Json(SubscriberList { items }))
    }
}
