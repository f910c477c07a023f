//! What the console's pages about an organisation, or about one thing of it,
//! share: the organisation and the item their path names, read by extractors so a
//! handler starts with what it is about and the role it needs; a refusal of a
//! capability as the page that says so; a form shown again, or the 303 after it.
//!
//! A kind the console edits ([`Edited`]: events, petitions, fundraisers, campaigns,
//! mailings) says how its page is drawn and what its state refuses; one whose form
//! reads field by field ([`Made`]) is shown, made and saved by the generic
//! handlers [`show`], [`create`] and [`save`], so its module holds only what is its
//! own: its form's fields, its page, its actions.
//!
//! An item of another organisation reads as one that does not exist (404), as the
//! organisations themselves do.

use std::future::Future;
use std::marker::PhantomData;

use poem::{FromRequest, Request, RequestBody, Response, handler, http::StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Answer, Console, Current, Fields, state_of, stop};
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

    /// Where a page of the organisation is drawn.
    pub fn at(&self) -> Here<'_> {
        Here::of(self.state, &self.console, &self.current)
    }
}

/// What every page of an organisation is drawn with: the service's state, who is
/// asking (their access and language), and the organisation.
#[derive(Clone, Copy)]
pub struct Here<'a> {
    pub state: &'a AppState,
    pub console: &'a Console,
    pub current: &'a Current,
}

impl<'a> Here<'a> {
    pub fn of(state: &'a AppState, console: &'a Console, current: &'a Current) -> Self {
        Self {
            state,
            console,
            current,
        }
    }

    /// The service's state, who is asking, and the organisation.
    pub fn parts(self) -> (&'a AppState, &'a Console, &'a Current) {
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

    /// The item with this id, when it is the organisation's; another's is refused
    /// (`forbidden`, which the console answers as not found, 404).
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

    /// Where a page of the item is drawn.
    pub fn at(&self) -> Here<'_> {
        Here::of(self.state, &self.console, &self.current)
    }

    /// Where this item's console pages are.
    pub fn path(&self) -> String {
        format!("{}/{}", self.section(), self.item.id())
    }

    /// The item as its service names it.
    pub fn reference(&self) -> PublicRef {
        PublicRef::Id(self.item.id())
    }

    /// 303 to the item's page, whose notice says what was done (`?published=1`).
    pub fn done(&self, flag: &str) -> Response {
        done(&self.current, &self.item, flag)
    }
}

/// A kind the console edits on a page of its own: its form, what the page says
/// after a form, and what it does when an action is refused for the item's state.
pub trait Edited: Held + Sync {
    /// Where its words are (`console.event`), its notices among them.
    const WORDS: &'static str;
    /// The notices its page may show, by the flag the 303 after a form came with.
    const DONE: &'static [&'static str];

    /// Its fields as the form shows them.
    fn values(&self, current: &Current) -> Value;

    /// Its page with `form`, or the new one's page when there is no item yet.
    fn form_page(
        at: Here<'_>,
        item: Option<&Self>,
        form: Form,
    ) -> impl Future<Output = Answer> + Send;

    /// What a refused form says beside each field.
    fn refusals(console: &Console, state: &AppState, e: &Self::Error) -> poem::Result<Value> {
        field_refusals(console, state, e)
    }

    /// The organiser's words for a refusal of the item's state (publishing a
    /// cancelled event); `None` for any other refusal, which has a page of its own.
    fn not_now(_console: &Console, _e: &Self::Error) -> Option<String> {
        None
    }

    /// The item's page again (409), saying why above it.
    fn again<R: Needs>(
        hand: &InHand<'_, Self, R>,
        why: String,
    ) -> impl Future<Output = Answer> + Send {
        async move {
            let form = Form::conflict(hand.item.values(&hand.current), why);
            Self::form_page(hand.at(), Some(&hand.item), form).await
        }
    }
}

impl<T: Edited, R: Needs> InHand<'_, T, R> {
    /// Do `action` to the item, as the one asking (it is given the state, their
    /// access and the item's reference); then 303 to the item's page saying what was
    /// done (`?{flag}=1`), or its page again saying why not.
    pub async fn act<V>(
        &self,
        flag: &str,
        action: impl AsyncFnOnce(&AppState, &Access, &PublicRef) -> Result<V, T::Error>,
    ) -> Answer {
        let acted = action(self.state, self.console.access(), &self.reference()).await;
        then(self, acted.map(|_| self.done(flag))).await
    }
}

/// After an action on the item in hand: where it leads (most often
/// [`InHand::done`]), or the item's page again saying why not.
pub async fn then<T: Edited, R: Needs>(
    hand: &InHand<'_, T, R>,
    result: Result<Response, T::Error>,
) -> Answer {
    match result {
        Ok(next) => Ok(next),
        Err(e) => match T::not_now(&hand.console, &e) {
            Some(why) => T::again(hand, why).await,
            None => Err(refused(&hand.console, hand.state, &e)),
        },
    }
}

/// A kind whose form is read here, field by field, as its service's request; its
/// pages then need no handlers of their own for showing, making and saving one.
pub trait Made: Edited {
    /// One made as the form asks, by the one asking.
    fn create(
        at: Here<'_>,
        form: &Fields,
    ) -> impl Future<Output = Result<Self, Self::Error>> + Send;

    /// `item` changed as the form asks. Every field is sent, so an empty optional
    /// field clears it.
    fn change(
        at: Here<'_>,
        item: &Self,
        form: &Fields,
    ) -> impl Future<Output = Result<Self, Self::Error>> + Send;

    /// The form again with its text as supporters will read it, nothing saved, when
    /// the form asked for that rather than to be saved; `None` otherwise.
    fn preview(
        _at: Here<'_>,
        _item: Option<&Self>,
        _form: &Fields,
    ) -> impl Future<Output = Option<Answer>> + Send {
        async { None }
    }
}

/// `GET /admin/{org}/{section}/{id}`: the item's page, its form as it stands, and
/// what the form before did.
#[handler]
pub async fn show<T: Edited>(req: &Request, hand: InHand<'_, T>) -> Answer {
    let said = notice(req, &hand.console, T::WORDS, T::DONE, &[]);
    let form = Form::after(hand.item.values(&hand.current), said);
    T::form_page(hand.at(), Some(&hand.item), form).await
}

/// The organisation of the path, for an organiser to make a `T` in. [`create`]
/// takes it rather than [`Org`] because a generic handler's kind must be named by
/// one of its extractors: poem calls it with those alone.
pub struct ToMake<'a, T> {
    pub org: Org<'a, Write>,
    kind: PhantomData<T>,
}

impl<'a, T: Send> FromRequest<'a> for ToMake<'a, T> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self {
            org: Org::from_request(req, body).await?,
            kind: PhantomData,
        })
    }
}

/// `POST /admin/{org}/{section}/new`: make one, then its page.
#[handler]
pub async fn create<T: Made>(to: ToMake<'_, T>, form: Fields) -> Answer {
    let org = to.org;
    if let Some(shown) = T::preview(org.at(), None, &form).await {
        return shown;
    }
    let made = T::create(org.at(), &form).await;
    saved(org.at(), None, form.typed(), made).await
}

/// `POST /admin/{org}/{section}/{id}`: save the form.
#[handler]
pub async fn save<T: Made>(hand: InHand<'_, T, Write>, form: Fields) -> Answer {
    if let Some(shown) = T::preview(hand.at(), Some(&hand.item), &form).await {
        return shown;
    }
    let changed = T::change(hand.at(), &hand.item, &form).await;
    saved(hand.at(), Some(&hand.item), form.typed(), changed).await
}

/// After a form that makes an item or changes `before`: 303 to the item saved, or
/// the form again (422) with what was typed and each refusal beside its field.
pub async fn saved<T: Edited>(
    at: Here<'_>,
    before: Option<&T>,
    typed: Value,
    result: Result<T, T::Error>,
) -> Answer {
    match result {
        Ok(item) => Ok(done(at.current, &item, "saved")),
        Err(e) => {
            let again = Form::refused(typed, T::refusals(at.console, at.state, &e)?);
            T::form_page(at, before, again).await
        }
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

/// [`Held`] for each kind: its error, its section, how its service reads one by id,
/// and the id it answers to. Each is read with the access narrowed to the organisation
/// of the path, so another organisation's item is refused as not its own (404), even
/// for an organiser of both.
macro_rules! held {
    ($($kind:ty: $error:ty, $section:literal,
       |$state:ident, $access:ident, $id:ident| $read:expr, |$it:ident| $own:expr;)+) => {$(
        impl Held for $kind {
            type Error = $error;
            const SECTION: &'static str = $section;

            async fn read(
                state: &AppState,
                access: &Access,
                organisation: Uuid,
                id: Uuid,
            ) -> Result<Self, $error> {
                let ($state, $access, $id) = (state, &access.within(organisation), id);
                $read.await
            }

            fn id(&self) -> Uuid {
                let $it = self;
                $own
            }
        }
    )+};
}

held! {
    Campaign: CampaignError, "campaigns",
        |s, a, id| s.campaigns.get(a, &PublicRef::Id(id)), |c| c.item.id;
    Petition: PetitionError, "petitions",
        |s, a, id| s.petitions.get(a, &PublicRef::Id(id)), |p| p.item.id;
    Fundraiser: FundraiserError, "fundraisers",
        |s, a, id| s.fundraisers.get(a, &PublicRef::Id(id)), |f| f.row.id;
    Mailing: MailingError, "mailings", |s, a, id| s.mailings.get(a, id), |m| m.row.id;
    Event: EventError, "events",
        |s, a, id| s.events.get(a, &PublicRef::Id(id)), |e| e.row.id;
    // A supporter, with what the organisation holds of them.
    SupporterRecord: SupporterError, "supporters",
        |s, a, id| s.supporters.get(a, id), |r| r.supporter.row.id;
}
