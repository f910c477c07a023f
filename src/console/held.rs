//! What the console's pages about an organisation, or about one thing of it,
//! share: the organisation and the item their path names, read by extractors so a
//! handler starts with what it is about and the role it needs; a refusal of a
//! capability as the page that says so; a form shown again, or the 303 after it.
//!
//! An item of another organisation reads as one that does not exist (404), as the
//! organisations themselves do.

use std::future::Future;
use std::marker::PhantomData;

use poem::{FromRequest, Request, RequestBody, Response, http::StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Console, Current, state_of, stop};
use crate::access::{Access, Role};
use crate::campaigns::{Campaign, CampaignError};
use crate::content::{ContentError, Service as _};
use crate::domain::PublicRef;
use crate::events::{EventError, service::Event};
use crate::fundraisers::service::{Fundraiser, FundraiserError};
use crate::mailings::{Mailing, MailingError};
use crate::pages::{self, see_other};
use crate::petitions::{PetitionError, service::Petition};
use crate::state::AppState;
use crate::supporters::service::{SupporterError, SupporterRecord};
use crate::words::say;

/// The least role a handler needs in the organisation of its path.
pub trait Needs: Send + Sync {
    const ROLE: Role;
}

/// Any member may look (what they see depends on their role).
pub struct Look;

/// A form that changes something: viewers are answered with a 403 page.
pub struct Write;

/// What only an owner may do (the organisation's settings and members).
pub struct Own;

impl Needs for Look {
    const ROLE: Role = Role::Viewer;
}

impl Needs for Write {
    const ROLE: Role = Role::Organiser;
}

impl Needs for Own {
    const ROLE: Role = Role::Owner;
}

/// The organisation of a console path (`/admin/{org}/…`) and who is asking, with
/// at least the role `R` there; with the service's state, which every page uses.
pub struct Org<'a, R: Needs = Look> {
    pub state: &'a AppState,
    pub console: Console,
    pub current: Current,
    need: PhantomData<R>,
}

impl<'a, R: Needs> Org<'a, R> {
    /// The service's state, who is asking, and the organisation.
    pub fn into_parts(self) -> (&'a AppState, Console, Current) {
        (self.state, self.console, self.current)
    }
}

impl<'a, R: Needs> FromRequest<'a> for Org<'a, R> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let console = Console::from_request(req, body).await?;
        let state = state_of(req)?;
        let slug = req.raw_path_param("org").unwrap_or_default();
        let current = console.organisation_as(state, slug, R::ROLE).await?;
        Ok(Self {
            state,
            console,
            current,
            need: PhantomData,
        })
    }
}

/// A kind of organisation-owned content the console has pages for, under
/// `/admin/{org}/{SECTION}/{id}`.
pub trait Held: Sized + Send {
    /// The capability's refusal.
    type Error: Refused + Send;
    /// The console section its pages are in.
    const SECTION: &'static str;

    /// The item with this id, when it is the organisation's; any other is the
    /// capability's "not found".
    fn read(
        state: &AppState,
        access: &Access,
        organisation: Uuid,
        id: Uuid,
    ) -> impl Future<Output = Result<Self, Self::Error>> + Send;

    fn id(&self) -> Uuid;
}

/// An item of the organisation by the id in its path (`/admin/{org}/{section}/{id}`),
/// the organisation, and who is asking with at least the role `R` there.
pub struct InHand<'a, T, R: Needs = Look> {
    pub state: &'a AppState,
    pub console: Console,
    pub current: Current,
    pub item: T,
    need: PhantomData<R>,
}

impl<'a, T: Held, R: Needs> FromRequest<'a> for InHand<'a, T, R> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let (state, console, current) = Org::<R>::from_request(req, body).await?.into_parts();
        let id = console.id(state, req.raw_path_param("id").unwrap_or_default())?;
        let item = T::read(state, console.access(), current.model.id, id)
            .await
            .map_err(|e| refused(&console, state, &e))?;
        Ok(Self {
            state,
            console,
            current,
            item,
            need: PhantomData,
        })
    }
}

impl<'a, T: Held, R: Needs> InHand<'a, T, R> {
    /// The service's state, who is asking, the organisation and the item.
    pub fn into_parts(self) -> (&'a AppState, Console, Current, T) {
        (self.state, self.console, self.current, self.item)
    }

    /// [`InHand::into_parts`], borrowed.
    pub fn parts(&self) -> (&'a AppState, &Console, &Current, &T) {
        (self.state, &self.console, &self.current, &self.item)
    }

    /// Where the organisation's items of this kind are.
    pub fn section(&self) -> String {
        section(&self.current, T::SECTION)
    }

    /// Where this item's console pages are.
    pub fn here(&self) -> String {
        format!("{}/{}", self.section(), self.item.id())
    }
}

/// `/admin/{org}/{section}`.
pub fn section(current: &Current, section: &str) -> String {
    format!("/admin/{}/{section}", current.model.slug)
}

/// 303 to an item's page, whose notice says what was done (`?saved=1`).
pub fn done<T: Held>(current: &Current, item: &T, flag: &str) -> Response {
    see_other(&format!(
        "{}/{}?{flag}=1",
        section(current, T::SECTION),
        item.id()
    ))
}

/// A capability's refusal, as the console tells it.
pub trait Refused: std::fmt::Display {
    /// The stable name of the kind of refusal (`not_found`, `read_only`, …).
    fn code(&self) -> &'static str;

    /// The refusal shared by all content (invalid fields, a slug taken), if it is one.
    fn content(&self) -> Option<&ContentError>;
}

impl Refused for ContentError {
    fn code(&self) -> &'static str {
        ContentError::code(self)
    }

    fn content(&self) -> Option<&ContentError> {
        Some(self)
    }
}

/// [`Refused`] for a capability's error that wraps a [`ContentError`] as `Content`
/// and names its kinds with `code()`.
macro_rules! refused_through_content {
    ($($error:ty),+) => {$(
        impl Refused for $error {
            fn code(&self) -> &'static str {
                <$error>::code(self)
            }

            fn content(&self) -> Option<&ContentError> {
                match self {
                    Self::Content(e) => Some(e),
                    _ => None,
                }
            }
        }
    )+};
}

refused_through_content!(EventError, PetitionError, FundraiserError, MailingError);

/// A refusal as the page that says so, ending the handler: what is missing or
/// another organisation's is the 404 page, a role too low (to change anything, or
/// to see supporters' data) the 403 page.
pub fn refused(console: &Console, state: &AppState, e: &impl Refused) -> poem::Error {
    stop(refusal_page(console, state, e))
}

/// The page of [`refused`].
pub fn refusal_page(console: &Console, state: &AppState, e: &impl Refused) -> Response {
    match e.code() {
        "not_found" | "forbidden" => pages::not_found(state, console.locale),
        "access" | "read_only" | "no_personal_data" => console.forbidden(state),
        _ => console.failure(state, e),
    }
}

/// The message beside each refused field of a form, by field name; any other
/// refusal ends the handler with its page.
pub fn field_refusals(
    console: &Console,
    state: &AppState,
    e: &impl Refused,
) -> poem::Result<Value> {
    match e.content() {
        Some(ContentError::Invalid(invalid)) => Ok(console.messages(&invalid.0)),
        Some(ContentError::SlugTaken(_)) => Ok(json!({
            "slug": say(console.locale, "console.event.slug_taken", &[]),
        })),
        _ => Err(refused(console, state, e)),
    }
}

/// What the form before this page did, in the words `{words}.done_{flag}` of the
/// first of `flags` the query names.
pub fn notice(
    req: &Request,
    console: &Console,
    words: &str,
    flags: &[&str],
    args: &[(&str, minijinja::Value)],
) -> Option<String> {
    let flag = flags.iter().find(|flag| super::flag(req, flag))?;
    Some(say(console.locale, &format!("{words}.done_{flag}"), args))
}

/// A form as its page shows it: what it holds, the message beside each field,
/// and the status the page answers with.
pub struct Form {
    pub status: StatusCode,
    pub values: Value,
    pub errors: Value,
}

impl Form {
    /// A form as it stands, as first shown.
    pub fn shown(values: Value, errors: Value) -> Self {
        Self {
            status: StatusCode::OK,
            values,
            errors,
        }
    }

    /// A form as it stands after a redirect, with the [`notice`] of what the form
    /// before did above it.
    pub fn after(values: Value, done: Option<String>) -> Self {
        let errors = match done {
            Some(done) => json!({ "_done": done }),
            None => json!({}),
        };
        Self::shown(values, errors)
    }

    /// A form sent and refused (422): what was typed, and why.
    pub fn refused(typed: Value, errors: Value) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            values: typed,
            errors,
        }
    }

    /// An action the item's state refused (409): its values, and why above them.
    pub fn conflict(values: Value, why: String) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            values,
            errors: json!({ "_form": why }),
        }
    }
}

// --- what the console holds ----------------------------------------------------------------

impl Held for Campaign {
    type Error = CampaignError;
    const SECTION: &'static str = "campaigns";

    async fn read(
        state: &AppState,
        access: &Access,
        organisation: Uuid,
        id: Uuid,
    ) -> Result<Self, CampaignError> {
        match state.campaigns.get(access, &PublicRef::Id(id)).await {
            Ok(c) if c.item.organisation_id != organisation => {
                Err(ContentError::NotFound("campaign"))
            }
            read => read,
        }
    }

    fn id(&self) -> Uuid {
        self.item.id
    }
}

impl Held for Petition {
    type Error = PetitionError;
    const SECTION: &'static str = "petitions";

    async fn read(
        state: &AppState,
        access: &Access,
        organisation: Uuid,
        id: Uuid,
    ) -> Result<Self, PetitionError> {
        match state.petitions.get(access, &PublicRef::Id(id)).await {
            Ok(p) if p.item.organisation_id != organisation => {
                Err(ContentError::NotFound("petition").into())
            }
            read => read,
        }
    }

    fn id(&self) -> Uuid {
        self.item.id
    }
}

impl Held for Fundraiser {
    type Error = FundraiserError;
    const SECTION: &'static str = "fundraisers";

    async fn read(
        state: &AppState,
        access: &Access,
        organisation: Uuid,
        id: Uuid,
    ) -> Result<Self, FundraiserError> {
        state
            .fundraisers
            .of_organisation_one(access, organisation, id)
            .await
    }

    fn id(&self) -> Uuid {
        self.row.id
    }
}

impl Held for Mailing {
    type Error = MailingError;
    const SECTION: &'static str = "mailings";

    async fn read(
        state: &AppState,
        access: &Access,
        organisation: Uuid,
        id: Uuid,
    ) -> Result<Self, MailingError> {
        match state.mailings.get(access, id).await {
            Ok(m) if m.row.organisation_id != organisation => {
                Err(ContentError::NotFound("mailing").into())
            }
            read => read,
        }
    }

    fn id(&self) -> Uuid {
        self.row.id
    }
}

impl Held for Event {
    type Error = EventError;
    const SECTION: &'static str = "events";

    async fn read(
        state: &AppState,
        access: &Access,
        organisation: Uuid,
        id: Uuid,
    ) -> Result<Self, EventError> {
        state
            .events
            .of_organisation_one(access, organisation, id)
            .await
    }

    fn id(&self) -> Uuid {
        self.row.id
    }
}

/// A supporter, with what the organisation holds of them: read within the
/// organisation only, so another's supporter is not found.
impl Held for SupporterRecord {
    type Error = SupporterError;
    const SECTION: &'static str = "supporters";

    async fn read(
        state: &AppState,
        access: &Access,
        organisation: Uuid,
        id: Uuid,
    ) -> Result<Self, SupporterError> {
        state.supporters.get(&access.within(organisation), id).await
    }

    fn id(&self) -> Uuid {
        self.supporter.row.id
    }
}
