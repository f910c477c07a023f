//! The application: the database, the routes and the listener, built from a `Config`.

use std::sync::Arc;

use poem::{
    EndpointExt, Route, Server, get,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
};
use poem_openapi::{OpenApi, OpenApiService};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use crate::{
    calendar::feed,
    campaigns::api::CampaignsApi,
    config::Config,
    consent::api::ConsentsApi,
    email::{Site, api::EmailsApi, delivery::Delivery, render::Renderer, transport::Transport},
    events::{api::EventsApi, public_api::PublicApi},
    fundraisers::{api::FundraisersApi, public_api::PublicFundraiserApi},
    http::{
        allow::{AllowedMethods, add_allow},
        client::{TrustedProxies, resolve},
        edge::{HeaderDeadline, limit_body},
        guard::guard,
        problem::catch_all,
    },
    jobs::Worker,
    mailings::api::MailingsApi,
    organisations::api::OrganisationsApi,
    pages,
    petitions::{api::PetitionsApi, public_api::PublicPetitionApi},
    rsvps::{api::RsvpsApi, public_api::PublicRsvpApi},
    state::AppState,
    supporters::api::SupportersApi,
    system,
};
use entity::setting;

/// A built application, bound to its port and ready to serve.
pub struct App {
    port: u16,
    acceptor: HeaderDeadline<TcpAcceptor>,
    idle_timeout: std::time::Duration,
    routes: poem::endpoint::BoxEndpoint<'static>,
    state: AppState,
    worker: Worker,
    run_worker: bool,
}

impl App {
    /// Connect, migrate, and bind the listener (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = crate::db::connect(&config.database_url).await?;
        crate::db::migrate(&db).await?;
        let site = site(&config, &db).await?;
        // One set of templates and words, parsed once, for the pages and the worker.
        let renderer = Arc::new(Renderer::new());
        let worker = worker(&config, db.clone(), site.clone(), renderer.clone())?;
        let rsvps = crate::rsvps::Rsvps::new(db.clone(), site.clone());
        let state = AppState {
            campaigns: crate::campaigns::Campaigns::new(db.clone()),
            organisations: crate::organisations::Organisations::new(db.clone(), site.clone()),
            sessions: crate::organisations::Sessions::new(db.clone()),
            supporters: crate::supporters::Supporters::new(db.clone()),
            consents: crate::consent::Consents::new(db.clone(), site.clone()),
            stats: crate::stats::Stats::new(db.clone()),
            mailings: crate::mailings::Mailings::new(db.clone(), site.clone()),
            petitions: crate::petitions::Petitions::new(db.clone(), site.clone()),
            fundraisers: crate::fundraisers::Fundraisers::new(
                db.clone(),
                site.clone(),
                crate::payments::Payments::from_config(&config)?,
            ),
            events: crate::events::Events::new(db.clone(), Arc::new(rsvps.clone())),
            rsvps,
            db,
            site,
            renderer,
            limits: Arc::new(crate::http::limit::Limiters::new(&config.limits)),
            proxies: TrustedProxies::new(&config.trusted_proxies),
            metrics_token: config.metrics_token.clone().map(Into::into),
            feedback_token: config.feedback_token.clone().map(Into::into),
            feeds: Arc::default(),
        };
        let acceptor = TcpListener::bind(config.bind.as_str())
            .into_acceptor()
            .await?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .unwrap_or_default();
        Ok(Self {
            port,
            acceptor: HeaderDeadline::new(acceptor, config.timeouts.headers),
            idle_timeout: config.timeouts.idle,
            routes: routes(state.clone(), config.timeouts.body),
            state,
            worker,
            run_worker: config.run_worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// Where links point and what signs them.
    pub fn site(&self) -> &Site {
        &self.state.site
    }

    /// Organisations, organisers and their tokens (the command line's and the
    /// benchmarks' way in).
    pub fn organisations(&self) -> &crate::organisations::Organisations {
        &self.state.organisations
    }

    /// The background jobs of this deployment (tests run its rounds by hand).
    pub fn worker(&self) -> &Worker {
        &self.worker
    }

    /// Serve until SIGINT or SIGTERM, then finish the requests in flight. With
    /// `TURNOUT_WORKER` on, the background jobs run beside the server and finish
    /// their round before the process exits.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(port = self.port, "serving");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let jobs = self.run_worker.then(|| {
            let mut stopped = stopped.clone();
            tokio::spawn(self.worker.clone().run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            }))
        });
        let served = Server::new_with_acceptor(self.acceptor)
            .idle_timeout(self.idle_timeout)
            .run_with_graceful_shutdown(
                self.routes,
                shutdown_signal(),
                Some(std::time::Duration::from_secs(30)),
            )
            .await;
        let _ = stop.send(true);
        if let Some(jobs) = jobs {
            let _ = jobs.await;
        }
        served
    }
}

/// The OpenAPI description of every JSON endpoint.
pub fn api_service(state: &AppState) -> OpenApiService<impl OpenApi + use<>, ()> {
    // Each capability's API is its endpoints over the one shared state.
    macro_rules! over_state {
        ($($api:ident),* $(,)?) => { ($($api { state: state.clone() },)*) };
    }
    OpenApiService::new(
        over_state!(
            OrganisationsApi,
            CampaignsApi,
            EventsApi,
            RsvpsApi,
            SupportersApi,
            ConsentsApi,
            EmailsApi,
            MailingsApi,
            PetitionsApi,
            FundraisersApi,
            PublicApi,
            PublicRsvpApi,
            PublicPetitionApi,
            PublicFundraiserApi,
        ),
        "Turnout",
        env!("CARGO_PKG_VERSION"),
    )
    .description("Campaigns, events, petitions and fundraising for solidarity groups.")
    .server("/api/v1")
}

fn routes(
    state: AppState,
    body_timeout: std::time::Duration,
) -> poem::endpoint::BoxEndpoint<'static> {
    let api = api_service(&state);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    let allowed = AllowedMethods::from_document(&api.spec());
    let db = state.db.clone();
    let api = api
        .around(move |endpoint, req| guard(endpoint, req, db.clone()))
        .around(move |endpoint, req| add_allow(endpoint, req, allowed.clone()));
    let public_url: Arc<str> = state.site.public_url.clone();
    let proxies = state.proxies.clone();
    Route::new()
        .at("/healthz", system::healthz)
        .at("/calendar.ics", get(feed::site))
        .at(
            "/organisations/:slug/calendar.ics",
            get(feed::of_organisation),
        )
        .at("/campaigns/:slug/calendar.ics", get(feed::of_campaign))
        .at("/", get(pages::public::home))
        .at("/assets/turnout.css", get(pages::public::stylesheet))
        .at("/assets/door.js", get(pages::public::door_script))
        .at(
            "/events/:name",
            get(pages::public::show_event).post(same_origin(pages::public::rsvp, &public_url)),
        )
        .at(
            "/petitions/:name",
            get(pages::public::show_petition).post(same_origin(pages::public::sign, &public_url)),
        )
        .at(
            "/fundraisers/:name",
            get(pages::public::show_fundraiser)
                .post(same_origin(pages::public::donate, &public_url)),
        )
        .at(
            "/o/:name",
            get(pages::public::show_organisation)
                .post(same_origin(pages::public::join, &public_url)),
        )
        .at("/feeds/:token/calendar.ics", get(feed::personal))
        .at(
            "/unsubscribe/:token",
            get(pages::unsubscribe_page).post(pages::unsubscribe),
        )
        .at(
            "/rsvps/:token",
            get(pages::rsvp_page).post(same_origin(pages::change_rsvp, &public_url)),
        )
        .at(
            "/signatures/confirm/:token",
            get(pages::confirm_page).post(same_origin(pages::confirm_signature, &public_url)),
        )
        .at(
            "/subscriptions/confirm/:token",
            get(crate::consent::pages::confirm_page)
                .post(same_origin(crate::consent::pages::confirm, &public_url)),
        )
        .at("/donations/:token/thanks", get(pages::donation_thanks))
        .at(
            "/donations/:token/cancelled",
            get(pages::donation_cancelled),
        )
        .at(
            "/webhooks/stripe",
            poem::post(crate::fundraisers::webhook::stripe),
        )
        .at(
            "/webhooks/mail-feedback",
            poem::post(crate::email::webhook::mail_feedback),
        )
        .at(
            "/invitations/:token",
            get(pages::invitation_page).post(same_origin(pages::accept_invitation, &public_url)),
        )
        .nest("/admin", same_origin(crate::console::routes(), &public_url))
        .at("/readyz", system::readyz)
        .at("/metrics", get(crate::system::metrics))
        .at("/api/openapi.json", spec)
        .nest("/api/docs", docs)
        .nest("/api/v1", api)
        .data(state.db.clone())
        .data(state)
        .catch_all_error(catch_all)
        .around(move |endpoint, req| limit_body(endpoint, req, body_timeout))
        .around(crate::http::controls::refuse_in_url)
        .around(move |endpoint, req| {
            let proxies = proxies.clone();
            async move { resolve(endpoint, req, &proxies).await }
        })
        .around(crate::metrics::measure)
        .around(crate::http::headers::protect)
        .boxed()
}

/// A page's form endpoint that refuses posts from other sites (CSRF).
fn same_origin<E: poem::Endpoint + 'static>(
    endpoint: E,
    public_url: &Arc<str>,
) -> impl poem::Endpoint + use<E> {
    let public_url = public_url.clone();
    endpoint.around(move |endpoint, req| {
        let public_url = public_url.clone();
        async move { pages::origin::guard(endpoint, req, &public_url).await }
    })
}

/// `noreply@example.org` from `Turnout <noreply@example.org>`.
fn address_of(mailbox: &str) -> String {
    match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(start), Some(end)) if start < end => mailbox[start + 1..end].trim().to_owned(),
        _ => mailbox.trim().to_owned(),
    }
}

/// Where links point and what signs them, for this deployment.
pub async fn site(config: &Config, db: &DatabaseConnection) -> anyhow::Result<Site> {
    let secret = match &config.secret {
        Some(secret) => {
            // Kept outside the database, the key is not in a copy of it: a copy
            // made from now on cannot sign links, so the one generated earlier goes.
            setting::Entity::delete_by_id(LINK_SECRET.to_owned())
                .exec(db)
                .await?;
            secret.clone()
        }
        None => stored_secret(db).await?,
    };
    Ok(Site {
        public_url: config.public_url.trim_end_matches('/').into(),
        secret: secret.into(),
        mail_from_address: address_of(&config.mail_from).into(),
    })
}

/// The background jobs, with the transport the configuration names.
pub fn worker(
    config: &Config,
    db: DatabaseConnection,
    site: Site,
    renderer: Arc<Renderer>,
) -> anyhow::Result<Worker> {
    let transport = Transport::new(config.smtp_url.as_deref(), &config.mail_dir)?;
    let delivery = Delivery::new(
        db.clone(),
        transport,
        renderer,
        config.sender()?,
        config.retry.clone(),
        config.mail_rate,
    );
    Ok(Worker::new(db, site, delivery))
}

/// Where the link secret is kept when `TURNOUT_SECRET` is unset.
const LINK_SECRET: &str = "link_secret";

/// The link secret kept in the database, made on first start.
async fn stored_secret(db: &DatabaseConnection) -> anyhow::Result<String> {
    const KEY: &str = LINK_SECRET;
    if let Some(row) = setting::Entity::find_by_id(KEY.to_owned()).one(db).await? {
        return Ok(row.value);
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let row = setting::ActiveModel {
        key: Set(KEY.into()),
        value: Set(secret),
    };
    // Two processes starting at once: one insert wins and both read it back.
    let _ = setting::Entity::insert(row).exec(db).await;
    setting::Entity::find_by_id(KEY.to_owned())
        .one(db)
        .await?
        .map(|r| r.value)
        .ok_or_else(|| anyhow::anyhow!("the link secret could not be stored"))
}

/// SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
