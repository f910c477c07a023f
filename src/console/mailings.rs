//! An organisation's mailings in the console (issue 19, point 2): the list, newest
//! first with how each went; a draft written per language for an audience, its
//! text previewed as the emails render it, a test sent to the organiser; sent now
//! or at a time typed in the organisation's zone; cancelled, deleted.
//!
//! What a mailing may be, and who is in its audience, is `mailings`' business, as
//! for the API: this module reads forms and shows pages. Viewers see the list and
//! each mailing (a mailing holds no supporter's data) and change nothing.

use chrono::Utc;
use poem::{FromRequest, Request, RequestBody, Response, handler, http::StatusCode, web::Query};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::emails::{day_in, moment};
use super::held::{Edited, Form, Here, InHand, Needs, Org, Write, done, notice, refused, then};
use super::petitions::instant_in;
use super::{Answer, Console, Current, Fields, stop};
use crate::content::{ContentError, Cursor, Invalid, Limit};
use crate::domain::{InvalidField, Locale, Refusal};
use crate::events::listing::{Listing, When};
use crate::mailings::{
    Audience, AudienceAsked, Mailing, MailingChanges, MailingError, NewMailing, PerLanguage,
    audience::ATTENDEE_STATUSES, per_language,
};
use crate::pages::{markdown::to_safe_html, see_other};
use crate::state::AppState;
use crate::words::say;

/// Mailings shown on one page of the list.
const PAGE: u64 = 50;

/// The kinds of audience, in the order the form offers them.
const KINDS: [&str; 4] = [
    "subscribers",
    "event_attendees",
    "petition_signers",
    "donors",
];

/// The notices a mailing's page shows after a form that succeeded, by the flag in
/// its query.
const DONE: [&str; 5] = ["saved", "tested", "sent", "scheduled", "cancelled"];

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    cursor: String,
}

/// `GET /admin/{org}/mailings`: the organisation's mailings, newest first.
#[handler]
pub async fn list(req: &Request, org: Org<'_>, query: Query<ListQuery>) -> Answer {
    let (state, console, current) = org.into_parts();
    let cursor = Cursor::parse(&query.cursor).ok();
    let page = state
        .mailings
        .list(
            console.access(),
            Some(&current.model.slug),
            Limit::up_to(PAGE),
            cursor,
        )
        .await
        .map_err(|e| refused(&console, state, &e))?;
    let choices = Choices::of(&console, state, &current).await?;
    let rows: Vec<Value> = page
        .items
        .iter()
        .map(|m| {
            json!({
                "id": m.row.id.to_string(),
                "subject": m.letters.versions()[0].subject,
                "status": m.row.status.as_str(),
                "send_at": m.row.send_at.map(|at| moment(&console, &current, at)),
                "audience": choices.words(&console, &m.audience),
                "started": started(m),
                "figures": figures(m),
            })
        })
        .collect();
    let context = json!({
        "mailings": rows,
        "next": page.next.map(|c| c.to_string()),
        "first_page": cursor.is_none(),
        "notice": super::flag(req, "deleted")
            .then(|| say(console.locale, "console.mailing.done_deleted", &[])),
    });
    Ok(console.render(state, Some(&current), StatusCode::OK, "mailings", context))
}

/// `GET /admin/{org}/mailings/new`: the form for a new mailing.
#[handler]
pub async fn new_page(org: Org<'_, Write>) -> Answer {
    let (state, console, current) = org.into_parts();
    let values = json!({
        "audience.kind": "subscribers",
        "audience.statuses": ["going"],
    });
    let choices = Choices::of(&console, state, &current).await?;
    let form = Form::shown(values, json!({}));
    let page = Page::new(&console, state, &current, &choices);
    Ok(page.form(None, form, None))
}

/// `POST /admin/{org}/mailings/new`: write a draft, then its page; with `_preview`
/// the form again with each language as the emails will show it.
#[handler]
pub async fn create(org: Org<'_, Write>, form: MailingForm) -> Answer {
    let (state, console, current) = org.into_parts();
    let choices = Choices::of(&console, state, &current).await?;
    let page = Page::new(&console, state, &current, &choices);
    if form.previewing() {
        let shown = Form::shown(form.typed(), json!({}));
        return Ok(page.form(None, shown, Some(form.preview())));
    }
    let asked = form.asked();
    let new = NewMailing {
        organisation: Some(current.model.slug.clone()),
        audience: asked.audience,
        subject: asked.subject,
        body: asked.body,
        reply_to: asked.reply_to,
    };
    match state.mailings.create(console.access(), new).await {
        Ok(made) => Ok(done(&current, &made, "saved")),
        Err(e) => {
            let again = Form::refused(form.typed(), refused_fields(&console, state, &form, e)?);
            Ok(page.form(None, again, None))
        }
    }
}

/// `GET /admin/{org}/mailings/{id}`: the mailing, whom it reaches, how it went,
/// and for a draft its form and the ways to send it.
#[handler]
pub async fn show(req: &Request, hand: InHand<'_, Mailing>) -> Answer {
    let (state, console, current, mailing) = hand.into_parts();
    let choices = Choices::of(&console, state, &current).await?;
    let email = console.signed.organiser.email.to_string();
    let said = notice(
        req,
        &console,
        Mailing::WORDS,
        Mailing::DONE,
        &[("email", email.into())],
    );
    let page = Page::new(&console, state, &current, &choices);
    Ok(page.form(Some(&mailing), Form::after(values_of(&mailing), said), None))
}

/// `POST /admin/{org}/mailings/{id}`: save a draft (every field is sent); with
/// `_preview` the form again with each language rendered, nothing saved.
#[handler]
pub async fn save(hand: InHand<'_, Mailing, Write>, form: MailingForm) -> Answer {
    let (state, console, current, mailing) = hand.into_parts();
    let choices = Choices::of(&console, state, &current).await?;
    let page = Page::new(&console, state, &current, &choices);
    if form.previewing() {
        let shown = Form::shown(form.typed(), json!({}));
        return Ok(page.form(Some(&mailing), shown, Some(form.preview())));
    }
    let asked = form.asked();
    let changes = MailingChanges {
        audience: Some(asked.audience),
        subject: Some(asked.subject),
        body: Some(asked.body),
        reply_to: Some(asked.reply_to),
    };
    match state
        .mailings
        .change(console.access(), mailing.row.id, changes)
        .await
    {
        Ok(saved) => Ok(done(&current, &saved, "saved")),
        Err(e) => {
            let again = match Mailing::not_now(&console, &e) {
                Some(why) => Form::conflict(values_of(&mailing), why),
                None => Form::refused(form.typed(), refused_fields(&console, state, &form, e)?),
            };
            Ok(page.form(Some(&mailing), again, None))
        }
    }
}

/// `POST /admin/{org}/mailings/{id}/test`: the mailing as it stands, once per
/// language written, to the signed-in organiser's own address (a test is never a
/// way to write to anyone else).
#[handler]
pub async fn test(hand: InHand<'_, Mailing, Write>) -> Answer {
    let email = hand.console.signed.organiser.email.to_string();
    let id = hand.item.row.id;
    hand.act("tested", async |s, a, _| {
        s.mailings.send_test(a, id, &email).await
    })
    .await
}

/// `POST /admin/{org}/mailings/{id}/send` (field `at`, a wall time in the
/// organisation's zone; now when empty). A time typed must be to come: one past
/// would send at once, which is not what scheduling asked for.
#[handler]
pub async fn send(hand: InHand<'_, Mailing, Write>, form: Fields) -> Answer {
    let (state, console, current, mailing) = hand.parts();
    let at = match form.get("at").trim() {
        "" => Ok(None),
        raw => match instant_in(raw, current.model.timezone, "at") {
            Ok(at) if at > Utc::now() => Ok(Some(at)),
            Ok(_) => Err("at_past"),
            Err(field) if matches!(field.refusal, Refusal::Skipped) => Err("at_skipped"),
            Err(_) => Err("at_unreadable"),
        },
    };
    let at = match at {
        Ok(at) => at,
        Err(why) => {
            let choices = Choices::of(console, state, current).await?;
            let message = say(
                console.locale,
                &format!("console.mailing.error_{why}"),
                &[("zone", current.model.timezone.to_string().into())],
            );
            // The stored mailing with the time as typed: the rest of its form was
            // not sent with the schedule.
            let mut values = values_of(mailing);
            values["at"] = form.get("at").into();
            let refused = Form::refused(values, json!({ "at": message, "_schedule": true }));
            let page = Page::new(console, state, current, &choices);
            return Ok(page.form(Some(mailing), refused, None));
        }
    };
    let flag = if at.is_some() { "scheduled" } else { "sent" };
    let sent = state
        .mailings
        .send(console.access(), mailing.row.id, at)
        .await;
    then(&hand, sent.map(|_| hand.done(flag))).await
}

/// `POST /admin/{org}/mailings/{id}/cancel`: a scheduled mailing, or one sending.
#[handler]
pub async fn cancel(hand: InHand<'_, Mailing, Write>) -> Answer {
    let id = hand.item.row.id;
    hand.act("cancelled", async |s, a, _| s.mailings.cancel(a, id).await)
        .await
}

/// `POST /admin/{org}/mailings/{id}/delete`: a draft only.
#[handler]
pub async fn delete(hand: InHand<'_, Mailing, Write>) -> Answer {
    let deleted = hand
        .state
        .mailings
        .delete(hand.console.access(), hand.item.row.id)
        .await;
    let listed = format!("{}?deleted=1", hand.section());
    then(&hand, deleted.map(|()| see_other(&listed))).await
}

/// Sending a mailing sent, changing one that went is refused for its state: the
/// mailing's page is shown again, as it stands now, saying why.
impl Edited for Mailing {
    const WORDS: &'static str = "console.mailing";
    const DONE: &'static [&'static str] = &DONE;

    fn values(&self, _: &Current) -> Value {
        values_of(self)
    }

    async fn form_page(at: Here<'_>, mailing: Option<&Mailing>, form: Form) -> Answer {
        let (state, console, current) = at.parts();
        let choices = Choices::of(console, state, current).await?;
        Ok(Page::new(console, state, current, &choices).form(mailing, form, None))
    }

    fn not_now(console: &Console, e: &MailingError) -> Option<String> {
        let MailingError::NotNow(why) = e else {
            return None;
        };
        let key = format!("console.mailing.refused_{}", why.code());
        Some(say(console.locale, &key, &[]))
    }

    async fn again<R: Needs>(hand: &InHand<'_, Mailing, R>, why: String) -> Answer {
        let (state, console, _, mailing) = hand.parts();
        // Another click may have moved it on since.
        let fresh = state
            .mailings
            .get(console.access(), mailing.row.id)
            .await
            .map_err(|e| refused(console, state, &e))?;
        let form = Form::conflict(values_of(&fresh), why);
        Self::form_page(hand.at(), Some(&fresh), form).await
    }
}

// --- the form -----------------------------------------------------------------------------

/// A mailing's form as typed: [`Fields`], and the statuses ticked, which are many
/// under one name (`audience.statuses`), as the API's list is.
pub struct MailingForm {
    fields: Fields,
    statuses: Vec<String>,
}

/// Read leniently, as [`Fields`] is: a body that is not a form is an empty form.
impl<'a> FromRequest<'a> for MailingForm {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let pairs = poem::web::Form::<Vec<(String, String)>>::from_request(req, body)
            .await
            .map(|f| f.0)
            .unwrap_or_default();
        let statuses = pairs
            .iter()
            .filter(|(name, _)| name == "audience.statuses")
            .map(|(_, value)| value.clone())
            .collect();
        Ok(Self {
            fields: Fields(pairs.into_iter().collect()),
            statuses,
        })
    }
}

/// What a form asks for, in the service's terms.
struct Asked {
    audience: AudienceAsked,
    subject: PerLanguage,
    body: PerLanguage,
    reply_to: Option<String>,
}

impl MailingForm {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name)
    }

    /// Whether the form asks to see its text rendered rather than to be saved.
    fn previewing(&self) -> bool {
        !self.get("_preview").is_empty()
    }

    /// The audience as chosen: only the part its kind reads (the form shows every
    /// kind's choices, without a script to hide the others).
    fn asked(&self) -> Asked {
        let kind = self.get("audience.kind").trim().to_owned();
        let part = |of_kind: &str, name: &str| {
            (kind == of_kind).then(|| self.get(&format!("audience.{name}")).to_owned())
        };
        let per_language = |part: &str| {
            let text = |locale: Locale| {
                Some(self.get(&format!("{part}.{}", locale.as_str())))
                    .filter(|t| !t.trim().is_empty())
                    .map(str::to_owned)
            };
            PerLanguage {
                en: text(Locale::En),
                es: text(Locale::Es),
                fr: text(Locale::Fr),
            }
        };
        Asked {
            audience: AudienceAsked {
                event: part("event_attendees", "event"),
                statuses: (kind == "event_attendees").then(|| self.statuses.clone()),
                petition: part("petition_signers", "petition"),
                fundraiser: part("donors", "fundraiser"),
                kind,
            },
            subject: per_language("subject"),
            body: per_language("body"),
            reply_to: Some(self.get("reply_to").trim().to_owned()).filter(|r| !r.is_empty()),
        }
    }

    /// The fields as typed, to show the form again (the statuses as a list).
    fn typed(&self) -> Value {
        let mut values = self.fields.typed();
        values["audience.statuses"] = json!(self.statuses);
        values
    }

    /// Each language something is written in, its subject and its body rendered
    /// by the renderer the emails use.
    fn preview(&self) -> Vec<Value> {
        Locale::ALL
            .into_iter()
            .filter_map(|locale| {
                let subject = self.get(&format!("subject.{}", locale.as_str())).trim();
                let body = self.get(&format!("body.{}", locale.as_str()));
                if subject.is_empty() && body.trim().is_empty() {
                    return None;
                }
                Some(version(locale, subject, body))
            })
            .collect()
    }
}

/// One language's version as shown: its language's name, subject and body as HTML.
fn version(locale: Locale, subject: &str, body: &str) -> Value {
    json!({
        "locale": locale.as_str(),
        "language": say(locale, "language.name", &[]),
        "subject": subject,
        "html": to_safe_html(body).to_string(),
    })
}

/// What a stored mailing's form shows.
fn values_of(mailing: &Mailing) -> Value {
    let subject = per_language(&mailing.row.subject);
    let body = per_language(&mailing.row.body);
    let mut values = json!({
        "audience.kind": mailing.audience.kind(),
        "audience.statuses": ["going"],
        "reply_to": mailing.row.reply_to,
    });
    for locale in Locale::ALL {
        let code = locale.as_str();
        let pick = |p: &PerLanguage| match locale {
            Locale::En => p.en.clone(),
            Locale::Es => p.es.clone(),
            Locale::Fr => p.fr.clone(),
        };
        values[format!("subject.{code}")] = pick(&subject).into();
        values[format!("body.{code}")] = pick(&body).into();
    }
    match &mailing.audience {
        Audience::Subscribers => {}
        Audience::EventAttendees { event, statuses } => {
            values["audience.event"] = event.to_string().into();
            values["audience.statuses"] = statuses.iter().map(|s| s.as_str()).collect();
        }
        Audience::PetitionSigners { petition } => {
            values["audience.petition"] = petition.to_string().into();
        }
        Audience::Donors { fundraiser } => {
            values["audience.fundraiser"] = fundraiser.to_string().into();
        }
    }
    values
}

/// The refused fields of a form, each in the organiser's words; any other refusal
/// ends the handler.
fn refused_fields(
    console: &Console,
    state: &AppState,
    form: &MailingForm,
    e: MailingError,
) -> poem::Result<Value> {
    match e {
        MailingError::Content(ContentError::Invalid(Invalid(fields))) => {
            Ok(field_messages(console, form, &fields))
        }
        e => Err(refused(console, state, &e)),
    }
}

/// Each refused field's message, in words that say what the form wants where the
/// generic ones would not ("this field is required" beside a body, when it is
/// the subject typed for its language that asks for it).
fn field_messages(console: &Console, form: &MailingForm, fields: &[InvalidField]) -> Value {
    let mut errors = console.messages(fields);
    let nothing_written = Locale::ALL.into_iter().all(|l| {
        form.get(&format!("subject.{}", l.as_str()))
            .trim()
            .is_empty()
            && form.get(&format!("body.{}", l.as_str())).trim().is_empty()
    });
    for field in fields {
        let name = field.field.as_str();
        let required = matches!(field.refusal, Refusal::Required);
        let key = match name.split_once('.') {
            _ if name == "subject.en" && required && nothing_written => "nothing_written",
            Some(("body", _)) if required && form.get(name).trim().is_empty() => "body_needed",
            Some(("subject", _)) if required && form.get(name).trim().is_empty() => {
                "subject_needed"
            }
            Some(("audience", "kind")) => "choose_kind",
            Some(("audience", "event")) => "choose_event",
            Some(("audience", "petition")) => "choose_petition",
            Some(("audience", "fundraiser")) => "choose_fundraiser",
            Some(("audience", "statuses")) => "choose_statuses",
            _ if name == "reply_to" => {
                errors[name] = say(console.locale, "error.email", &[]).into();
                continue;
            }
            _ => continue,
        };
        errors[name] = say(console.locale, &format!("console.mailing.error_{key}"), &[]).into();
    }
    errors
}

// --- the page -----------------------------------------------------------------------------

/// What every showing of a mailing's page needs: who asks, the organisation, and
/// what an audience may name.
struct Page<'a> {
    console: &'a Console,
    state: &'a AppState,
    current: &'a Current,
    choices: &'a Choices,
}

impl<'a> Page<'a> {
    fn new(
        console: &'a Console,
        state: &'a AppState,
        current: &'a Current,
        choices: &'a Choices,
    ) -> Self {
        Self {
            console,
            state,
            current,
            choices,
        }
    }

    /// The mailing's page (or the new-mailing page): its form, and for a mailing
    /// that exists its audience, figures and actions.
    fn form(&self, mailing: Option<&Mailing>, form: Form, preview: Option<Vec<Value>>) -> Response {
        let Self {
            console,
            state,
            current,
            choices,
        } = *self;
        let kinds = console.choices("console.mailing.kind_", KINDS);
        let statuses = console.choices(
            "console.mailing.rsvp_",
            ATTENDEE_STATUSES.map(|s| s.as_str()),
        );
        let mut context = json!({
            "values": form.values,
            "errors": form.errors,
            "kinds": kinds,
            "statuses": statuses,
            "events": choices.events,
            "petitions": choices.petitions,
            "fundraisers": choices.fundraisers,
            "languages": super::language_choice(),
            "timezone": current.model.timezone.to_string(),
            "preview": preview,
        });
        if let Some(m) = mailing {
            context["mailing"] = json!({
                "id": m.row.id.to_string(),
                "status": m.row.status.as_str(),
                "subject": m.letters.versions()[0].subject,
                "audience": choices.words(console, &m.audience),
                "reply_to": m.row.reply_to,
                "send_at": m.row.send_at.map(|at| moment(console, current, at)),
                "started": started(m),
                "figures": figures(m),
                "versions": m.letters.versions().iter().map(|v| version(v.locale, &v.subject, &v.body)).collect::<Vec<_>>(),
            });
        }
        let template = if mailing.is_some() {
            "mailing"
        } else {
            "mailing_new"
        };
        console.render(state, Some(current), form.status, template, context)
    }
}

/// Whether a mailing has begun to go out, so that how it went is worth showing.
fn started(mailing: &Mailing) -> bool {
    mailing.row.started_at.is_some()
}

fn figures(mailing: &Mailing) -> Value {
    let f = mailing.figures;
    json!({
        "recipients": f.recipients,
        "sent": f.sent,
        "failed": f.failed,
        "waiting": f.waiting,
        "bounced": f.bounced,
        "unsubscribed": f.unsubscribed,
    })
}

/// What an audience may name, each as `[id, title]`: the organisation's events
/// (upcoming, drafts, past), petitions and fundraisers.
struct Choices {
    events: Vec<[String; 2]>,
    petitions: Vec<[String; 2]>,
    fundraisers: Vec<[String; 2]>,
}

impl Choices {
    async fn of(console: &Console, state: &AppState, current: &Current) -> poem::Result<Self> {
        let failed = |e: &dyn std::fmt::Display| stop(console.failure(state, e));
        let id = current.model.id;
        let mut events = Vec::new();
        for when in [When::Upcoming, When::Drafts, When::Past] {
            let listing = Listing {
                when,
                ..Listing::default()
            };
            let found = state
                .events
                .of_organisation(console.access(), id, &listing)
                .await
                .map_err(|e| failed(&e))?;
            events.extend(found.into_iter().map(|e| {
                [
                    e.row.id.to_string(),
                    format!(
                        "{} ({})",
                        e.row.title,
                        day_in(e.row.starts_at_utc, current, console.locale)
                    ),
                ]
            }));
        }
        let petitions = state
            .petitions
            .of_organisation(console.access(), id, None, None)
            .await
            .map_err(|e| failed(&e))?
            .into_iter()
            .map(|p| [p.item.id.to_string(), p.item.title])
            .collect();
        let fundraisers = state
            .fundraisers
            .of_organisation(console.access(), id)
            .await
            .map_err(|e| failed(&e))?
            .into_iter()
            .map(|f| [f.row.id.to_string(), f.row.title])
            .collect();
        Ok(Self {
            events,
            petitions,
            fundraisers,
        })
    }

    /// An audience in words: "Subscribers", "Attendees of …: going, waitlisted".
    fn words(&self, console: &Console, audience: &Audience) -> String {
        let locale = console.locale;
        let title = |among: &[[String; 2]], id: &Uuid| {
            among
                .iter()
                .find(|[key, _]| *key == id.to_string())
                .map_or_else(
                    || say(locale, "console.mailing.gone", &[]),
                    |[_, title]| title.clone(),
                )
        };
        match audience {
            Audience::Subscribers => say(locale, "console.mailing.to_subscribers", &[]),
            Audience::EventAttendees { event, statuses } => {
                let statuses: Vec<String> = statuses
                    .iter()
                    .map(|s| say(locale, &format!("console.mailing.rsvp_{}", s.as_str()), &[]))
                    .collect();
                say(
                    locale,
                    "console.mailing.to_attendees",
                    &[
                        ("event", title(&self.events, event).into()),
                        ("statuses", statuses.join(", ").into()),
                    ],
                )
            }
            Audience::PetitionSigners { petition } => say(
                locale,
                "console.mailing.to_signers",
                &[("petition", title(&self.petitions, petition).into())],
            ),
            Audience::Donors { fundraiser } => say(
                locale,
                "console.mailing.to_donors",
                &[("fundraiser", title(&self.fundraisers, fundraiser).into())],
            ),
        }
    }
}
