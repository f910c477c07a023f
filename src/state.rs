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
    /// Public petitions as last read, trusted for a second: a viral petition's page
    /// is read far more often than it changes.
    pub public_petitions: Arc<crate::petitions::published::PublicPetitions>,
    /// Signatures are written in groups, one transaction for all those waiting.
    pub signatures: crate::petitions::intake::Intake,
    /// Supporters' RSVPs are placed in groups, one lock of the event for all those
    /// waiting.
    pub rsvps: crate::rsvps::service::Intake,
    /// The events RSVPs go to, as last read.
    pub rsvp_events: Arc<crate::rsvps::service::EventIds>,
    /// Whose word on the client's address is believed.
    pub proxies: TrustedProxies,
    /// What `/metrics` asks for, when set.
    pub metrics_token: Option<Arc<str>>,
}
