//! What every endpoint may use: the database, the site, and each capability's
//! shared parts, built once by `App::build`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{email::Site, email::render::Renderer, http::client::TrustedProxies};

/// What every endpoint may use.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub campaigns: crate::campaigns::Campaigns,
    pub organisations: crate::organisations::Organisations,
    /// Console sessions of organisers signed in in a browser.
    pub sessions: crate::organisations::Sessions,
    pub supporters: crate::supporters::Supporters,
    /// Consent to hear from each organisation, with its provenance.
    pub consents: crate::consent::Consents,
    pub events: crate::events::Events,
    /// RSVPs, placed in groups: one lock of the event for all those waiting.
    pub rsvps: crate::rsvps::Rsvps,
    /// Where links point and what signs them.
    pub site: Site,
    /// The email and page templates.
    pub renderer: Arc<Renderer>,
    /// Rate limits on signing, RSVPs, login and password resets.
    pub limits: Arc<crate::http::limit::Limiters>,
    /// Rendered calendar feeds.
    pub feeds: Arc<crate::calendar::cache::FeedCache>,
    /// Fundraisers and donations, with Stripe where configured.
    pub fundraisers: crate::fundraisers::Fundraisers,
    /// Petitions and their signatures, with the public ones as last read.
    pub petitions: crate::petitions::Petitions,
    /// Whose word on the client's address is believed.
    pub proxies: TrustedProxies,
    /// What `/metrics` asks for, when set.
    pub metrics_token: Option<Arc<str>>,
    /// What `/webhooks/mail-feedback` asks for; unset, it answers 503.
    pub feedback_token: Option<Arc<str>>,
    /// Figures for the console's charts.
    pub stats: crate::stats::Stats,
    /// Mailings: writing, counting, sending.
    pub mailings: crate::mailings::Mailings,
}
