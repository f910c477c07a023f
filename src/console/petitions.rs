//! An organisation's petitions in the console: the list (by status and campaign),
//! the form that creates and edits every field of the contract with a preview of
//! the text as supporters will read it, publish, close and deliver.
//!
//! Times are typed as wall times in the organisation's zone. What a petition may
//! be is decided by `petitions::service`, as for the API. The signatures of a
//! petition are in `console::signatures`.

use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};
use poem::{handler, http::StatusCode, web::Query};
use serde::Deserialize;
use serde_json::{Value, json};

use super::held::{Edited, Form, Here, InHand, Made, Org, Write, refused, then};
use super::{Answer, Console, Current, Fields};
use crate::content::{Change, ContentError, Invalid};
use crate::domain::{InvalidField, PublicRef, TimeZone};
use crate::pages::markdown::to_safe_html;
use crate::petitions::PetitionError;
use crate::petitions::service::NotNow;
use crate::petitions::service::{
    Delivery, FieldRule, FieldRules, NewPetition, Petition, PetitionChanges, PetitionStatus,
    page_url,
};
use crate::state::AppState;
use crate::stats::Period;
use crate::words::say;

/// The fields a petition may ask signers for, by their form names.
const ASKED: [&str; 4] = ["affiliation", "postal_code", "country", "comment"];

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    campaign: String,
}

/// `GET /admin/{org}/petitions`: the organisation's petitions, newest first.
#[handler]
pub async fn list(org: Org<'_>, query: Query<ListQuery>) -> Answer {
    let (state, console, current) = org.into_parts();
    let campaigns = console.campaigns(state, &current).await?;
    let status = PetitionStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == query.status);
    let campaign = campaigns.iter().find(|c| c.slug == query.campaign);
    // A campaign asked for that is not the organisation's has no petitions.
    let unknown_campaign = !query.campaign.is_empty() && campaign.is_none();
    let petitions = if unknown_campaign {
        Vec::new()
    } else {
        state
            .petitions
            .of_organisation(
                console.access(),
                current.model.id,
                status,
                campaign.map(|c| c.id),
            )
            .await
            .map_err(|e| refused(&console, state, &e))?
    };
    let rows: Vec<Value> = petitions.iter().map(row_of).collect();
    let context = json!({
        "petitions": rows,
        "status": query.status,
        "campaign": query.campaign,
        "statuses": status_choice(&console),
        "campaigns": campaigns.iter().map(|c| [c.slug.clone(), c.title.clone()]).collect::<Vec<_>>(),
    });
    Ok(console.render(state, Some(&current), StatusCode::OK, "petitions", context))
}

/// A petition as a row of a list.
pub(super) fn row_of(p: &Petition) -> Value {
    json!({
        "id": p.item.id.to_string(),
        "title": p.item.title,
        "status": p.status().as_str(),
        "signature_count": p.item.signature_count,
        "goal": p.item.goal,
        "campaign": p.campaign,
    })
}

/// `GET /admin/{org}/petitions/new`: the form for a new petition.
#[handler]
pub async fn new_page(org: Org<'_, Write>) -> Answer {
    let (state, console, current) = org.into_parts();
    let mut values = json!({
        "language": current.model.language.as_str(),
        "require_confirmation": "yes",
    });
    for field in ASKED {
        values[format!("fields.{field}")] = "off".into();
    }
    let form = Form::shown(values, json!({}));
    form_page(&console, state, &current, None, form, None).await
}

/// `POST /admin/{org}/petitions/{id}/publish`.
#[handler]
pub async fn publish(hand: InHand<'_, Petition, Write>) -> Answer {
    hand.act("published", async |s, a, p| s.petitions.publish(a, p).await)
        .await
}

/// `POST /admin/{org}/petitions/{id}/close`.
#[handler]
pub async fn close(hand: InHand<'_, Petition, Write>) -> Answer {
    hand.act("closed", async |s, a, p| s.petitions.close(a, p).await)
        .await
}

/// `POST /admin/{org}/petitions/{id}/deliver` (fields `delivered_at`, a wall time
/// in the organisation's zone, now when empty; `method`, how it was handed over;
/// `note`). The API takes `delivered_at` and `note` only, so how it was handed
/// over opens the note.
#[handler]
pub async fn deliver(hand: InHand<'_, Petition, Write>, form: Fields) -> Answer {
    let (state, console, current, petition) = hand.parts();
    let delivered_at = match form.get("delivered_at").trim() {
        "" => Ok(None),
        raw => instant_in(raw, current.model.timezone, "delivered_at").map(Some),
    };
    let method = form.get("method").trim();
    let note = form.get("note").trim();
    let note = match (method.is_empty(), note.is_empty()) {
        (true, true) => None,
        (false, true) => Some(method.to_owned()),
        (true, false) => Some(note.to_owned()),
        (false, false) => Some(format!("{method} — {note}")),
    };
    let delivered = match delivered_at {
        Ok(delivered_at) => {
            state
                .petitions
                .deliver(
                    console.access(),
                    &PublicRef::Id(petition.item.id),
                    Delivery {
                        delivered_at,
                        note: note.clone(),
                    },
                )
                .await
        }
        Err(field) => Err(Invalid(vec![field]).into()),
    };
    match delivered {
        Err(PetitionError::Content(ContentError::Invalid(invalid))) => {
            let mut errors = console.messages(&invalid.0);
            // The method is written into the note: a note too long is told there.
            if errors.get("note").is_some() && note.is_some() && form.get("note").is_empty() {
                errors["method"] = errors["note"].clone();
            }
            errors["_deliver"] = true.into();
            let mut again = Form::refused(form.typed(), errors);
            if let (Value::Object(typed), Value::Object(values)) =
                (&mut again.values, values_of(petition, current))
            {
                for (k, v) in values {
                    typed.entry(k).or_insert(v);
                }
            }
            form_page(console, state, current, Some(petition), again, None).await
        }
        delivered => then(&hand, delivered.map(|_| hand.done("delivered"))).await,
    }
}

impl Made for Petition {
    async fn create(at: Here<'_>, form: &Fields) -> Result<Petition, PetitionError> {
        let new = new_petition(form, at.current)?;
        at.state.petitions.create(at.console.access(), new).await
    }

    async fn change(
        at: Here<'_>,
        petition: &Petition,
        form: &Fields,
    ) -> Result<Petition, PetitionError> {
        let changes = changes(form, at.current)?;
        let reference = PublicRef::Id(petition.item.id);
        let petitions = &at.state.petitions;
        petitions
            .change(at.console.access(), &reference, changes)
            .await
    }

    /// With `_preview`, the text rendered by the pages' own renderer.
    async fn preview(at: Here<'_>, petition: Option<&Petition>, form: &Fields) -> Option<Answer> {
        if form.get("_preview").is_empty() {
            return None;
        }
        let html = to_safe_html(form.get("body")).to_string();
        let shown = Form::shown(form.typed(), json!({}));
        let (state, console, current) = at.parts();
        Some(form_page(console, state, current, petition, shown, Some(html)).await)
    }
}

impl Edited for Petition {
    const WORDS: &'static str = "console.petition";
    const DONE: &'static [&'static str] = &["saved", "published", "closed", "delivered"];

    fn values(&self, current: &Current) -> Value {
        values_of(self, current)
    }

    async fn form_page(at: Here<'_>, petition: Option<&Petition>, form: Form) -> Answer {
        let (state, console, current) = at.parts();
        form_page(console, state, current, petition, form, None).await
    }

    /// Publishing a closed petition, delivering a draft.
    fn not_now(console: &Console, e: &PetitionError) -> Option<String> {
        match e {
            PetitionError::WrongState(why) => Some(wrong_state(console, *why)),
            _ => None,
        }
    }
}

/// A state refusal in the organiser's words, by the service's reason.
pub(super) fn wrong_state(console: &Console, why: NotNow) -> String {
    let key = match why {
        NotNow::ClosedCannotReopen => "reopen",
        NotNow::DraftCannotClose => "close_draft",
        NotNow::DraftCannotDeliver => "deliver_draft",
        NotNow::Delivered | NotNow::DeliveredSignaturesStay => "delivered",
        NotNow::InvalidatedAlready => "invalidated_already",
        NotNow::Expired => "expired",
    };
    say(
        console.locale,
        &format!("console.petition.refused_{key}"),
        &[],
    )
}

// --- the form -----------------------------------------------------------------------------

/// The petition's page (or the new-petition page): its form, and for a petition
/// that exists its figures, links and actions.
async fn form_page(
    console: &Console,
    state: &AppState,
    current: &Current,
    petition: Option<&Petition>,
    form: Form,
    preview_html: Option<String>,
) -> Answer {
    let campaigns = console.campaign_choice(state, current).await?;
    let rules = console.choices("console.petition.rule_", FieldRule::ALL.map(|r| r.as_str()));
    let mut context = json!({
        "values": form.values,
        "errors": form.errors,
        "campaigns": campaigns,
        "languages": super::language_choice(),
        "rules": rules,
        "asked": ASKED,
        "timezone": current.model.timezone.to_string(),
        "preview_html": preview_html,
    });
    if let Some(p) = petition {
        let row = &p.item;
        let zone = current.model.timezone.tz();
        context["petition"] = json!({
            "id": row.id.to_string(),
            "title": row.title,
            "status": p.status().as_str(),
            "signature_count": row.signature_count,
            "goal": row.goal,
            "url": page_url(&state.site.public_url, &row.slug),
            "delivered_on": row.delivered_at.map(|t| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()),
            "delivery_note": row.delivery_note,
            "now": Utc::now().with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string(),
        });
        // Signatures per day of the last 90 days against the goal (see `stats`):
        // the page stands without it should it fail.
        match state
            .stats
            .signatures_by_day(console.access(), &PublicRef::Id(row.id), Period::Days90)
            .await
        {
            Ok(daily) => {
                context["signatures_chart"] = super::charts::signatures(
                    console.locale,
                    "signatures",
                    &daily,
                    row.goal.map(i64::from),
                );
            }
            Err(e) => tracing::warn!(error = %e, "the petition's chart failed"),
        }
        match state
            .stats
            .signature_sources(console.access(), &PublicRef::Id(row.id), Period::Days90)
            .await
        {
            Ok(counts) if counts.iter().any(|(source, _)| source.is_some()) => {
                context["sources"] = super::charts::sources(console.locale, &counts).into();
            }
            // No source known: nothing to break down.
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the petition's sources failed"),
        }
    }
    let template = if petition.is_some() {
        "petition"
    } else {
        "petition_new"
    };
    Ok(console.render(state, Some(current), form.status, template, context))
}

/// What a petition's form shows: its stored values, `closes_at` in the
/// organisation's zone.
fn values_of(petition: &Petition, current: &Current) -> Value {
    let row = &petition.item;
    let zone = current.model.timezone.tz();
    let mut values = json!({
        "title": row.title,
        "slug": row.slug,
        "target": row.target,
        "body": row.body,
        "language": row.language.to_string(),
        "campaign": petition.campaign,
        "goal": row.goal.map(|g| g.to_string()),
        "closes_at": row.closes_at.map(|t| t.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()),
        "require_confirmation": if row.require_confirmation { "yes" } else { "" },
    });
    for (field, rule) in petition.fields().named() {
        values[format!("fields.{field}")] = rule.as_str().into();
    }
    values
}

/// The fields of a form that are not plain text, read or named as refused.
struct Typed {
    goal: Option<i64>,
    closes_at: Option<DateTime<Utc>>,
    fields: FieldRules,
}

fn typed(form: &Fields, zone: TimeZone) -> Result<Typed, Invalid> {
    let mut refused = Vec::new();
    let goal = match form.get("goal").trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                refused.push(InvalidField::new("goal", "must be a whole number"));
                None
            }
        },
    };
    let closes_at = match form.get("closes_at").trim() {
        "" => None,
        raw => match instant_in(raw, zone, "closes_at") {
            Ok(at) => Some(at),
            Err(field) => {
                refused.push(field);
                None
            }
        },
    };
    let mut rules = [FieldRule::Off; 4];
    for (i, field) in ASKED.iter().enumerate() {
        let name = format!("fields.{field}");
        match FieldRule::ALL
            .into_iter()
            .find(|r| r.as_str() == form.get(&name))
        {
            Some(rule) => rules[i] = rule,
            None => refused.push(InvalidField::new(name, "must be off, optional or required")),
        }
    }
    if !refused.is_empty() {
        return Err(Invalid(refused));
    }
    let [affiliation, postal_code, country, comment] = rules;
    Ok(Typed {
        goal,
        closes_at,
        fields: FieldRules {
            affiliation,
            postal_code,
            country,
            comment,
        },
    })
}

/// A wall time typed in `zone` as an instant; a time the clocks skip is named.
pub(super) fn instant_in(
    raw: &str,
    zone: TimeZone,
    field: &str,
) -> Result<DateTime<Utc>, InvalidField> {
    let wall = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| InvalidField::new(field, "must be a date and time"))?;
    match zone.tz().from_local_datetime(&wall) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            Ok(t.with_timezone(&Utc))
        }
        chrono::LocalResult::None => Err(InvalidField {
            refusal: crate::domain::Refusal::Skipped,
            ..InvalidField::new(field, "does not exist in the organisation's zone")
        }),
    }
}

/// A new petition from the form, in the organisation in hand.
fn new_petition(form: &Fields, current: &Current) -> Result<NewPetition, Invalid> {
    let typed = typed(form, current.model.timezone)?;
    let optional = |name: &str| Some(form.get(name).trim().to_owned()).filter(|v| !v.is_empty());
    Ok(NewPetition {
        organisation: Some(current.model.slug.clone()),
        campaign: optional("campaign"),
        slug: optional("slug"),
        title: form.get("title").to_owned(),
        target: form.get("target").to_owned(),
        body: form.get("body").to_owned(),
        language: optional("language"),
        goal: typed.goal,
        closes_at: typed.closes_at,
        require_confirmation: Some(form.get("require_confirmation") == "yes"),
        fields: Some(typed.fields),
    })
}

/// The changes a saved form asks for: every field, an empty optional one cleared.
fn changes(form: &Fields, current: &Current) -> Result<PetitionChanges, Invalid> {
    let typed = typed(form, current.model.timezone)?;
    let set = |name: &str| Change::Set(form.get(name).to_owned());
    Ok(PetitionChanges {
        campaign: match form.get("campaign").trim() {
            "" => Change::Clear,
            slug => Change::Set(slug.to_owned()),
        },
        // An emptied address keeps the one it has: links to it are out there.
        slug: match form.get("slug").trim() {
            "" => Change::Keep,
            slug => Change::Set(slug.to_owned()),
        },
        title: set("title"),
        target: set("target"),
        body: set("body"),
        language: set("language"),
        goal: typed.goal.map_or(Change::Clear, Change::Set),
        closes_at: typed.closes_at.map_or(Change::Clear, Change::Set),
        require_confirmation: Change::Set(form.get("require_confirmation") == "yes"),
        fields: Change::Set(typed.fields),
    })
}

fn status_choice(console: &Console) -> Vec<[String; 2]> {
    console.choices(
        "console.petition.status_",
        PetitionStatus::ALL.map(|s| s.as_str()),
    )
}
