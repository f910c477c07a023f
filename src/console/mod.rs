//! The organiser console at `/admin`: server-rendered pages in the organiser's
//! language, every form working without JavaScript. A form that succeeds answers
//! 303 (POST/redirect/GET); one refused shows again with what was typed and each
//! message beside its field.
//!
//! Who is asking is a session cookie (`turnout_session`, see
//! `organisations::sessions`); what they may touch is the same [`Access`] the JSON
//! API checks, so a page never decides a rule the API would decide otherwise. An
//! organisation the organiser does not belong to answers 404, as if it did not
//! exist.
//!
//! Handlers answer `poem::Result<Response>`: a refusal is the page that says so,
//! carried as an error so that `?` ends the handler; [`routes`] turns every error
//! back into its page, so none reaches the API's problem+json catch-all.

use poem::{
    Endpoint, EndpointExt, FromRequest, Request, RequestBody, Response, Route, get,
    http::StatusCode, web::Path,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::access::{Access, Role};
use crate::campaigns::Campaign;
use crate::domain::{InvalidField, Locale};
use crate::events::service::Event;
use crate::fundraisers::service::Fundraiser;
use crate::http::headers::PagePolicy;
use crate::organisations::{OrganisationError, Signed};
use crate::pages::{self, field_message, visitor_locale};
use crate::petitions::service::Petition;
use crate::state::AppState;
use entity::organisation;

pub mod account;
pub mod attendees;
pub mod campaigns;
pub mod charts;
pub mod door;
pub mod emails;
pub mod events;
pub mod fundraisers;
pub mod held;
pub mod home;
pub mod mailings;
pub mod organisation_pages;
pub mod password_reset;
pub mod petitions;
pub mod sign_in;
pub mod signatures;
pub mod stats;
pub mod supporters;
pub mod suppressed;

/// The cookie that holds a console session's token.
pub const COOKIE: &str = "turnout_session";
/// A short-lived cookie that carries a secret shown once (a new API token) from a
/// form to the page it redirects to, so that it is never in a URL or the database.
const SHOWN_ONCE: &str = "turnout_shown_once";

/// What a console page answers: the page, or the page of a refusal.
pub type Answer = poem::Result<Response>;

/// A response that ends a handler early (a 404 page, a redirect to sign in).
pub fn stop(response: Response) -> poem::Error {
    poem::Error::from_response(response)
}

/// The console's routes, to nest under `/admin`.
pub fn routes() -> impl Endpoint<Output = Response> {
    Route::new()
        .at("/", get(home::dashboard))
        .at("/login", get(sign_in::login_page).post(sign_in::login))
        .at("/logout", poem::post(sign_in::logout))
        .at(
            "/sign-in/:token",
            get(sign_in::link_page).post(sign_in::use_link),
        )
        .at("/setup", get(sign_in::setup_page).post(sign_in::setup))
        .at(
            "/password-reset",
            get(password_reset::ask).post(password_reset::send),
        )
        .at(
            "/password-reset/:token",
            get(password_reset::choose).post(password_reset::set),
        )
        .at("/account", get(account::page))
        .at("/account/language", poem::post(account::language))
        .at("/account/password", poem::post(account::password))
        .at("/account/tokens", poem::post(account::create_token))
        .at(
            "/account/tokens/:id/revoke",
            poem::post(account::revoke_token),
        )
        .at("/:org/events", get(events::list))
        .at(
            "/:org/events/new",
            get(events::new_page).post(held::create::<Event>::default()),
        )
        .at(
            "/:org/events/:id",
            get(held::show::<Event>::default()).post(held::save::<Event>::default()),
        )
        .at("/:org/events/:id/preview", get(events::preview))
        .at("/:org/events/:id/publish", poem::post(events::publish))
        .at("/:org/events/:id/cancel", poem::post(events::cancel))
        .at("/:org/events/:id/duplicate", poem::post(events::duplicate))
        .at("/:org/events/:id/delete", poem::post(events::delete))
        .at("/:org/events/:id/attendees", get(attendees::page))
        .at("/:org/events/:id/attendees.csv", get(attendees::csv))
        .at("/:org/events/:id/attendees/add", poem::post(attendees::add))
        .at(
            "/:org/events/:id/attendees/decide",
            poem::post(attendees::decide),
        )
        .at("/:org/events/:id/door", get(door::page))
        .at("/:org/events/:id/door/check-in", poem::post(door::check_in))
        .at("/:org/events/:id/door/undo", poem::post(door::undo))
        .at("/:org/events/:id/door/walk-in", poem::post(door::walk_in))
        // Campaigns, petitions and their signatures (issue 18).
        .at("/:org/campaigns", get(campaigns::list))
        .at(
            "/:org/campaigns/new",
            get(campaigns::new_page).post(held::create::<Campaign>::default()),
        )
        .at(
            "/:org/campaigns/:id",
            get(held::show::<Campaign>::default()).post(held::save::<Campaign>::default()),
        )
        .at(
            "/:org/campaigns/:id/archive",
            poem::post(campaigns::archive),
        )
        .at(
            "/:org/campaigns/:id/activate",
            poem::post(campaigns::activate),
        )
        .at("/:org/petitions", get(petitions::list))
        .at(
            "/:org/petitions/new",
            get(petitions::new_page).post(held::create::<Petition>::default()),
        )
        .at(
            "/:org/petitions/:id",
            get(held::show::<Petition>::default()).post(held::save::<Petition>::default()),
        )
        .at(
            "/:org/petitions/:id/publish",
            poem::post(petitions::publish),
        )
        .at("/:org/petitions/:id/close", poem::post(petitions::close))
        .at(
            "/:org/petitions/:id/deliver",
            poem::post(petitions::deliver),
        )
        .at("/:org/petitions/:id/signatures", get(signatures::page))
        .at("/:org/petitions/:id/signatures.csv", get(signatures::csv))
        .at(
            "/:org/petitions/:id/delivery.csv",
            get(signatures::delivery),
        )
        .at(
            "/:org/petitions/:id/signatures/invalidate",
            get(signatures::preview).post(signatures::invalidate_matching),
        )
        .at(
            "/:org/petitions/:id/signatures/undo",
            poem::post(signatures::undo),
        )
        .at(
            "/:org/petitions/:id/signatures/:sid/comment",
            poem::post(signatures::comment),
        )
        .at(
            "/:org/petitions/:id/signatures/:sid/invalidate",
            poem::post(signatures::invalidate_one),
        )
        .at(
            "/:org/settings",
            get(organisation_pages::settings_page).post(organisation_pages::settings),
        )
        .at(
            "/:org/members",
            get(organisation_pages::members_page).post(organisation_pages::invite),
        )
        .at(
            "/:org/members/:id/role",
            poem::post(organisation_pages::change_role),
        )
        .at(
            "/:org/members/:id/remove",
            poem::post(organisation_pages::remove),
        )
        .at("/:org/emails/suppressed", get(suppressed::page))
        .at("/:org/emails/suppressed/lift", poem::post(suppressed::lift))
        // Fundraisers, their donations, and the organisation's outbox.
        .at("/:org/fundraisers", get(fundraisers::list))
        .at(
            "/:org/fundraisers/new",
            get(fundraisers::new_page).post(held::create::<Fundraiser>::default()),
        )
        .at(
            "/:org/fundraisers/:id",
            get(held::show::<Fundraiser>::default()).post(held::save::<Fundraiser>::default()),
        )
        .at(
            "/:org/fundraisers/:id/publish",
            poem::post(fundraisers::publish),
        )
        .at(
            "/:org/fundraisers/:id/close",
            poem::post(fundraisers::close),
        )
        .at(
            "/:org/fundraisers/:id/donations",
            get(fundraisers::donations).post(fundraisers::record),
        )
        .at("/:org/fundraisers/:id/donations.csv", get(fundraisers::csv))
        .at(
            "/:org/fundraisers/:id/donations/:donation/refund",
            get(fundraisers::refund_page).post(fundraisers::refund),
        )
        .at("/:org/emails", get(emails::page))
        .at("/:org/emails/retry", poem::post(emails::retry_all))
        .at("/:org/emails/:id/retry", poem::post(emails::retry))
        // Figures and supporters (issue 18, helper sup).
        .at("/:org/stats", get(stats::page))
        .at("/:org/supporters", get(supporters::list))
        .at("/:org/supporters/:id", get(supporters::show))
        .at("/:org/supporters/:id/export", get(supporters::export))
        .at(
            "/:org/supporters/:id/erase",
            get(supporters::erase_page).post(supporters::erase),
        )
        // Mailings (issue 19, point 2).
        .at("/:org/mailings", get(mailings::list))
        .at(
            "/:org/mailings/new",
            get(mailings::new_page).post(mailings::create),
        )
        .at(
            "/:org/mailings/:id",
            get(mailings::show).post(mailings::save),
        )
        .at("/:org/mailings/:id/test", poem::post(mailings::test))
        .at("/:org/mailings/:id/send", poem::post(mailings::send))
        .at("/:org/mailings/:id/cancel", poem::post(mailings::cancel))
        .at("/:org/mailings/:id/delete", poem::post(mailings::delete))
        .catch_all_error(|e: poem::Error| async move { e.into_response() })
}

/// The organiser behind a console request, and the language of their pages. A
/// request without a live session is sent to sign in, and back here after.
pub struct Console {
    pub signed: Signed,
    pub locale: Locale,
}

impl<'a> FromRequest<'a> for Console {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let state = state_of(req)?;
        let locale = visitor_locale(req, None);
        let resumed = match session_token(req) {
            Some(token) => state.sessions.resume(&token).await,
            None => Ok(None),
        };
        match resumed {
            Ok(Some(signed)) => Ok(Self {
                locale: signed.organiser.locale.unwrap_or(locale),
                signed,
            }),
            Ok(None) => Err(stop(to_sign_in(req))),
            Err(e) => Err(stop(pages::failure(state, locale, &e))),
        }
    }
}

impl Console {
    pub fn access(&self) -> &Access {
        &self.signed.access
    }

    /// An organisation of the organiser's, by the slug in the path; any other is a
    /// 404 page.
    pub async fn organisation(&self, state: &AppState, slug: &str) -> poem::Result<Current> {
        match state.organisations.of_member(self.access(), slug).await {
            Ok((model, role)) => Ok(Current { model, role }),
            Err(OrganisationError::NoSuchOrganisation(_)) => {
                Err(stop(pages::not_found(state, self.locale)))
            }
            Err(e) => Err(stop(self.failure(state, &e))),
        }
    }

    /// An organisation of the organiser's in which they hold at least `role`; one
    /// they belong to with a lesser role is a 403 page saying so.
    pub async fn organisation_as(
        &self,
        state: &AppState,
        slug: &str,
        role: Role,
    ) -> poem::Result<Current> {
        let current = self.organisation(state, slug).await?;
        if current.role < role {
            return Err(stop(self.render(
                state,
                Some(&current),
                StatusCode::FORBIDDEN,
                "forbidden",
                json!({}),
            )));
        }
        Ok(current)
    }

    /// A console page with what every console page shows: who is signed in, their
    /// organisations to switch between, and the one in hand.
    pub fn render(
        &self,
        state: &AppState,
        current: Option<&Current>,
        status: StatusCode,
        template: &str,
        context: Value,
    ) -> Response {
        self.render_with(state, current, status, template, context, PagePolicy::Site)
    }

    /// [`Console::render`], for a page that a script of ours enhances (`policy`).
    pub fn render_with(
        &self,
        state: &AppState,
        current: Option<&Current>,
        status: StatusCode,
        template: &str,
        mut context: Value,
        policy: PagePolicy,
    ) -> Response {
        let organiser = &self.signed.organiser;
        let shared = json!({
            "locale": self.locale.as_str(),
            "me": {
                "email": organiser.email.to_string(),
                "name": organiser.name,
            },
            "organisations": self.signed.access.memberships.iter().map(|m| json!({
                "slug": m.slug,
                "name": m.name,
                "role": m.role.as_str(),
            })).collect::<Vec<_>>(),
            "org": current.map(Current::view),
        });
        if let (Value::Object(context), Value::Object(shared)) = (&mut context, shared) {
            for (key, value) in shared {
                context.entry(key).or_insert(value);
            }
        }
        pages::page_with_policy(
            state,
            status,
            &format!("admin/{template}"),
            &context,
            policy,
        )
    }

    /// The 404 page, as for anything the organiser may not see: what is not
    /// theirs reads as what does not exist.
    pub fn not_found(&self, state: &AppState) -> poem::Error {
        stop(pages::not_found(state, self.locale))
    }

    /// The 403 page, for a capability's refusal of a role too low for what was
    /// asked (the organisation is theirs, so it may be named).
    pub fn forbidden(&self, state: &AppState) -> Response {
        pages::page(
            state,
            StatusCode::FORBIDDEN,
            "admin/forbidden",
            &json!({ "locale": self.locale.as_str() }),
        )
    }

    /// The id in a console path (`/admin/{org}/petitions/{id}`); anything else is
    /// the 404 page.
    pub fn id(&self, state: &AppState, text: &str) -> poem::Result<uuid::Uuid> {
        uuid::Uuid::parse_str(text.trim()).map_err(|_| self.not_found(state))
    }

    /// A page that failed on our side, in the organiser's language.
    pub fn failure(&self, state: &AppState, e: &dyn std::fmt::Display) -> Response {
        pages::failure(state, self.locale, e)
    }

    /// A select's options: each of `values` with its words `{prefix}{value}` in
    /// the organiser's language, as `[value, words]`.
    pub fn choices<'v>(
        &self,
        prefix: &str,
        values: impl IntoIterator<Item = &'v str>,
    ) -> Vec<[String; 2]> {
        values
            .into_iter()
            .map(|v| {
                let words = crate::words::say(self.locale, &format!("{prefix}{v}"), &[]);
                [v.to_owned(), words]
            })
            .collect()
    }

    /// The organisation's campaigns, active and archived.
    pub async fn campaigns(
        &self,
        state: &AppState,
        current: &Current,
    ) -> poem::Result<Vec<entity::campaign::Model>> {
        state
            .campaigns
            .of_organisation(current.model.id)
            .await
            .map_err(|e| stop(self.failure(state, &e)))
    }

    /// The organisation's campaigns as a select's `[slug, title]` options.
    pub async fn campaign_choice(
        &self,
        state: &AppState,
        current: &Current,
    ) -> poem::Result<Vec<[String; 2]>> {
        let campaigns = self.campaigns(state, current).await?;
        Ok(campaigns.into_iter().map(|c| [c.slug, c.title]).collect())
    }

    /// Each refused field's message in the organiser's language, by field name.
    pub fn messages(&self, fields: &[InvalidField]) -> Value {
        messages(fields, self.locale)
    }
}

/// The organisation a console page is about, and the organiser's role in it.
pub struct Current {
    pub model: organisation::Model,
    pub role: Role,
}

impl Current {
    pub fn can_write(&self) -> bool {
        self.role >= Role::Organiser
    }

    pub fn is_owner(&self) -> bool {
        self.role == Role::Owner
    }

    fn view(&self) -> Value {
        json!({
            "slug": self.model.slug,
            "name": self.model.name,
            "role": self.role.as_str(),
            "can_write": self.can_write(),
            "is_owner": self.is_owner(),
        })
    }
}

/// Each refused field's message in `locale`, by field name (the first per field).
pub fn messages(fields: &[InvalidField], locale: Locale) -> Value {
    let mut map = serde_json::Map::new();
    for field in fields {
        map.entry(field.field.clone())
            .or_insert_with(|| field_message(field, locale).into());
    }
    Value::Object(map)
}

/// The shared state, which every route has.
fn state_of(req: &Request) -> poem::Result<&AppState> {
    req.data::<AppState>()
        .ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))
}

/// A cookie's value, from the request's `Cookie` headers.
fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The console session's token a request carries.
pub fn session_token(req: &Request) -> Option<String> {
    cookie(req, COOKIE)
}

/// 303 to the sign-in page, coming back to this page after (only to a console
/// path: the way back is never another site).
fn to_sign_in(req: &Request) -> Response {
    // The path as asked, `/admin` included (the nested route sees it without).
    let asked = req.original_uri();
    let back = asked.path_and_query().map_or("/admin", |p| p.as_str());
    if req.method() == poem::http::Method::GET && back != "/admin" && back != "/admin/" {
        let next: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
        pages::see_other(&format!("/admin/login?next={next}"))
    } else {
        pages::see_other("/admin/login")
    }
}

/// Where to go after signing in: a console path asked for, else the dashboard.
pub fn next_or_home(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/admin")
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

/// The `Set-Cookie` value that keeps a session in this browser.
fn session_cookie(state: &AppState, token: &str) -> String {
    let max_age = crate::organisations::sessions::IDLE_DAYS * 24 * 60 * 60;
    cookie_line(state, COOKIE, token, max_age, "/admin")
}

/// The `Set-Cookie` value that forgets the session.
fn ended_cookie(state: &AppState) -> String {
    cookie_line(state, COOKIE, "", 0, "/admin")
}

fn cookie_line(state: &AppState, name: &str, value: &str, max_age: i64, path: &str) -> String {
    let secure = if state.site.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// 303 to `location` with a new session in this browser.
pub fn signed_in(state: &AppState, token: &str, location: &str) -> Response {
    let mut response = pages::see_other(location);
    if let Ok(value) = session_cookie(state, token).parse() {
        response
            .headers_mut()
            .append(poem::http::header::SET_COOKIE, value);
    }
    response
}

/// Add a `Set-Cookie` line to a response.
fn with_cookie(mut response: Response, line: &str) -> Response {
    if let Ok(value) = line.parse() {
        response
            .headers_mut()
            .append(poem::http::header::SET_COOKIE, value);
    }
    response
}

/// A console form: its fields as typed, read leniently (a missing field is empty)
/// so that a form with a field left out is told so beside it, not with a 400.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(pub std::collections::HashMap<String, String>);

impl Fields {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    /// The fields as typed, to show the form again.
    pub fn typed(&self) -> Value {
        serde_json::to_value(&self.0).unwrap_or_default()
    }
}

/// Read a form body into [`Fields`]; a body that is not a form is an empty form.
impl<'a> FromRequest<'a> for Fields {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let form = poem::web::Form::<Vec<(String, String)>>::from_request(req, body).await;
        Ok(Self(
            form.map(|f| f.0.into_iter().collect()).unwrap_or_default(),
        ))
    }
}

/// A CSV to download; `name` is made of a slug (letters, digits and hyphens),
/// safe in a file name.
pub fn attachment(name: &str, body: String) -> Response {
    Response::builder()
        .content_type("text/csv; charset=utf-8")
        .header(
            poem::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .body(body)
}

/// The ids in a path, such as `/admin/{org}/members/{id}`.
pub type OrgAnd<T> = Path<(String, T)>;

/// A value of the page context that a template may print.
pub fn context(value: impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// The IANA zones a time-zone picker offers, by name.
pub fn timezones() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    names.sort_unstable();
    names
}

/// The languages a console picker offers, as `[code, its own name]`.
pub fn language_choice() -> Vec<[String; 2]> {
    Locale::ALL
        .iter()
        .map(|l| {
            [
                l.as_str().to_owned(),
                crate::words::say(*l, "language.name", &[]),
            ]
        })
        .collect()
}

/// Whether the page was reached after a form that succeeded (`?saved=1`,
/// `?invited=1`): its query names the flag.
pub fn flag(req: &Request, name: &str) -> bool {
    req.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some(name))
    })
}
