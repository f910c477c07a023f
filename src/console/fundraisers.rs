//! An organisation's fundraisers in the console: the list (status, raised against
//! the goal, donors), the form that creates and edits every field of the contract
//! with money typed as people write it, publish, close and open again; and each
//! fundraiser's donations: the list a page at a time, totals per currency, the CSV
//! of the API, recording a gift that came in by hand, and refunds.
//!
//! The form's fields carry the API's names (`goal.amount`, `goal.currency`); what
//! they mean is decided by `fundraisers::service`, as for the API. Amounts are typed
//! in major units (`12.50`, `12,50`, `1.234,50`) and become minor units here, in the
//! currency typed beside them.

use chrono::{NaiveDateTime, TimeZone as _, Utc};
use poem::{Request, handler, http::StatusCode, web::Query};
use serde::Deserialize;
use serde_json::{Value, json};

use super::held::{
    Edited, Form, Here, InHand, Made, Needs, Org, Write, field_refusals, notice, refused,
};
use super::{Answer, Console, Current, Fields, attachment};
use crate::content::{Change, ContentError, Cursor, Invalid, Limit};
use crate::domain::{Currency, InvalidField, Money, PublicRef, Refusal, decimal_text};
use crate::email::render::amount_text;
use crate::fundraisers::donations::{Donation, OfflineGift};
use crate::fundraisers::service::{
    Amount, DonationMethod, DonationStatus, Fundraiser, FundraiserChanges, FundraiserError,
    FundraiserStatus, NewFundraiser,
};
use crate::pages::see_other;
use crate::state::AppState;
use crate::stats::Period;
use crate::words::say;

/// Donations shown on one page of the list.
const PAGE: u64 = 50;

/// The ways a gift comes in by hand (online gifts come through Stripe only).
const BY_HAND: [DonationMethod; 4] = [
    DonationMethod::Cash,
    DonationMethod::BankTransfer,
    DonationMethod::Cheque,
    DonationMethod::Other,
];

// --- the list and the form ----------------------------------------------------------------

/// `GET /admin/{org}/fundraisers`: the organisation's fundraisers, newest first.
#[handler]
pub async fn list(org: Org<'_>) -> Answer {
    let (state, console, current) = org.into_parts();
    let all = state
        .fundraisers
        .of_organisation(console.access(), current.model.id)
        .await
        .map_err(|e| refused(&console, state, &e))?;
    let rows: Vec<Value> = all.iter().map(|f| summary(f, &console)).collect();
    let context = json!({ "fundraisers": rows });
    Ok(console.render(
        state,
        Some(&current),
        StatusCode::OK,
        "fundraisers",
        context,
    ))
}

/// A fundraiser as the list and its pages' headings show it.
pub(super) fn summary(f: &Fundraiser, console: &Console) -> Value {
    let row = &f.row;
    let locale = console.locale;
    let percent = if row.goal_amount > 0 {
        (i128::from(f.raised) * 100 / i128::from(row.goal_amount)).clamp(0, 100)
    } else {
        0
    };
    json!({
        "id": row.id.to_string(),
        "title": row.title,
        "slug": row.slug,
        "status": row.status.as_str(),
        "raised": amount_text(f.raised, row.currency, locale),
        "goal": amount_text(row.goal_amount, row.currency, locale),
        "percent": percent,
        "raised_other": f.raised_other.iter().map(|(c, n)| amount_text(*n, *c, locale)).collect::<Vec<_>>(),
        "donors": f.donors,
        "currency": row.currency.code(),
    })
}

/// `GET /admin/{org}/fundraisers/new`: the form for a new fundraiser, in the
/// organisation's language.
#[handler]
pub async fn new_page(org: Org<'_, Write>) -> Answer {
    let values = json!({ "language": org.current.model.language.as_str() });
    let form = Form::shown(values, json!({}));
    Fundraiser::form_page(org.at(), None, form).await
}

/// `POST /admin/{org}/fundraisers/{id}/publish`: open a draft for donations, or a
/// closed fundraiser again (the service's `move_to` opens either, with the same
/// rules, as the API's `publish` does).
#[handler]
pub async fn publish(hand: InHand<'_, Fundraiser, Write>) -> Answer {
    let flag = if hand.item.row.status == FundraiserStatus::Closed {
        "reopened"
    } else {
        "published"
    };
    let open = FundraiserStatus::Open;
    hand.act(flag, async |s, a, f| {
        s.fundraisers.move_to(a, f, open).await
    })
    .await
}

/// `POST /admin/{org}/fundraisers/{id}/close`: no more online donations; gifts by
/// hand may still be recorded.
#[handler]
pub async fn close(hand: InHand<'_, Fundraiser, Write>) -> Answer {
    let closed = FundraiserStatus::Closed;
    hand.act("closed", async |s, a, f| {
        s.fundraisers.move_to(a, f, closed).await
    })
    .await
}

impl Made for Fundraiser {
    async fn create(at: Here<'_>, form: &Fields) -> Result<Fundraiser, FundraiserError> {
        let (new, refused) = new_fundraiser(form, at.current);
        let fundraisers = &at.state.fundraisers;
        let created = fundraisers
            .create_noting(at.console.access(), new, refused.clone())
            .await;
        and_refused(created, refused, &MONEY)
    }

    async fn change(
        at: Here<'_>,
        fundraiser: &Fundraiser,
        form: &Fields,
    ) -> Result<Fundraiser, FundraiserError> {
        let (changes, refused) = changes(form, fundraiser);
        let reference = PublicRef::Id(fundraiser.row.id);
        let fundraisers = &at.state.fundraisers;
        let changed = fundraisers
            .change_noting(at.console.access(), &reference, changes, refused.clone())
            .await;
        and_refused(changed, refused, &MONEY)
    }
}

impl Edited for Fundraiser {
    const WORDS: &'static str = "console.fundraiser";
    const DONE: &'static [&'static str] = &["saved", "published", "closed", "reopened"];

    fn values(&self, _: &Current) -> Value {
        values_of(self)
    }

    /// The fundraiser's page: its form, and for one that exists its totals, links and
    /// actions.
    async fn form_page(at: Here<'_>, fundraiser: Option<&Fundraiser>, form: Form) -> Answer {
        let (state, console, current) = at.parts();
        let campaigns = console.campaign_choice(state, current).await?;
        let mut context = json!({
            "values": form.values,
            "errors": form.errors,
            "campaigns": campaigns,
            "languages": super::language_choice(),
        });
        let template = match fundraiser {
            Some(f) => {
                let mut view = summary(f, console);
                view["url"] =
                    format!("{}/fundraisers/{}", state.site.public_url, f.row.slug).into();
                context["fundraiser"] = view;
                // Money a day of the last 90 days, per currency (see `stats`): the page
                // stands without it should it fail.
                match state
                    .stats
                    .money_by_day(console.access(), &PublicRef::Id(f.row.id), Period::Days90)
                    .await
                {
                    Ok(money) => {
                        context["money_charts"] =
                            super::charts::money(console.locale, "money", &money).into();
                    }
                    Err(e) => tracing::warn!(error = %e, "the fundraiser's chart failed"),
                }
                "fundraiser"
            }
            None => "fundraiser_new",
        };
        Ok(console.render(state, Some(current), form.status, template, context))
    }

    fn refusals(console: &Console, state: &AppState, e: &FundraiserError) -> poem::Result<Value> {
        refused_fields(console, state, e)
    }

    /// Closing a fundraiser never opened.
    fn not_now(console: &Console, e: &FundraiserError) -> Option<String> {
        matches!(e, FundraiserError::WrongState(_))
            .then(|| say(console.locale, "console.fundraiser.not_open_yet", &[]))
    }
}

/// An amount as it is typed back into a form: `10`, `12.50`, `1000` (no grouping,
/// and whole amounts without their zeros).
fn typed_amount(minor: i64, currency: Currency) -> String {
    let text = decimal_text(minor, currency);
    match text.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole.to_owned(),
        _ => text,
    }
}

/// Amounts as the suggested-amounts field shows them: `10, 25, 50`.
fn typed_amounts(amounts: &[i64], currency: Currency) -> String {
    amounts
        .iter()
        .map(|a| typed_amount(*a, currency))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a fundraiser's form shows: its stored values, amounts in major units.
fn values_of(f: &Fundraiser) -> Value {
    let row = &f.row;
    let currency = row.currency;
    json!({
        "title": row.title,
        "slug": row.slug,
        "description": row.description,
        "language": row.language.to_string(),
        "campaign": f.campaign,
        "goal.amount": typed_amount(row.goal_amount, currency),
        "goal.currency": currency.code(),
        "suggested_amounts": typed_amounts(&f.limits.suggested, currency),
        "min_amount": typed_amount(f.limits.min, currency),
        "max_amount": typed_amount(f.limits.max, currency),
    })
}

/// An amount typed in a form (`12.50`, `12,50`, `1.234,50`, `1,234.50`) in minor
/// units of `currency`; refused under `field`. Without a currency to read it in,
/// it is only checked to look like an amount at all.
fn amount_in(raw: &str, currency: Option<Currency>, field: &str) -> Result<i64, InvalidField> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(InvalidField::required(field, "is required"));
    }
    let in_currency = |currency: Currency| {
        Money::parse_typed(raw, currency)
            .map(Money::minor)
            .map_err(|e| e.at(field))
    };
    match currency {
        Some(currency) => in_currency(currency),
        // Any amount of a three-decimal currency has the shape of every amount.
        None => Currency::parse("KWD").map_or(Ok(0), in_currency),
    }
}

/// An optional amount: empty is none.
fn optional_amount(
    raw: &str,
    currency: Option<Currency>,
    field: &str,
) -> Result<Option<i64>, InvalidField> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        amount_in(raw, currency, field).map(Some)
    }
}

/// Amounts typed in one field: separated by spaces or semicolons, a comma followed
/// by a space counting as a space (`10, 25, 50`, `12,50 25`); empty is none.
fn amounts_in(
    raw: &str,
    currency: Option<Currency>,
    field: &str,
) -> Result<Vec<i64>, InvalidField> {
    raw.split([';', ' ', '\t', '\n', '\r'])
        .map(|part| part.trim().trim_end_matches(','))
        .filter(|part| !part.is_empty())
        .map(|part| amount_in(part, currency, field))
        .collect()
}

/// The money fields of a fundraiser's form, read or named as refused.
#[derive(Default)]
struct Typed {
    goal: Option<Amount>,
    suggested: Option<Vec<i64>>,
    min: Option<i64>,
    max: Option<i64>,
}

/// Read the money fields. For a fundraiser whose currency changes, a limit left as
/// it was shown (in the old currency) is left to the service, which gives the new
/// currency its defaults.
fn typed(form: &Fields, stored: Option<&Fundraiser>) -> Result<Typed, Vec<InvalidField>> {
    let mut refused = Vec::new();
    let currency = match form.get("goal.currency").trim() {
        "" => {
            refused.push(InvalidField::required("goal.currency", "is required"));
            None
        }
        raw => match Currency::parse(raw) {
            Ok(c) => Some(c),
            Err(e) => {
                refused.push(e.at("goal.currency"));
                None
            }
        },
    };
    let goal = match amount_in(form.get("goal.amount"), currency, "goal.amount") {
        Ok(minor) => currency.map(|c| Amount::new(minor, c.code())),
        Err(e) => {
            refused.push(e);
            None
        }
    };
    let shown = stored.map(values_of).unwrap_or_default();
    let kept = |name: &str| {
        stored.is_some_and(|f| Some(f.row.currency) != currency)
            && shown[name].as_str() == Some(form.get(name).trim())
    };
    let mut limit = |name: &str| {
        if kept(name) {
            return None;
        }
        match optional_amount(form.get(name), currency, name) {
            Ok(minor) => minor,
            Err(e) => {
                refused.push(e);
                None
            }
        }
    };
    let min = limit("min_amount");
    let max = limit("max_amount");
    let suggested = if kept("suggested_amounts") {
        None
    } else {
        match amounts_in(form.get("suggested_amounts"), currency, "suggested_amounts") {
            Ok(amounts) => Some(amounts),
            Err(e) => {
                refused.push(e);
                None
            }
        }
    };
    if !refused.is_empty() {
        return Err(refused);
    }
    Ok(Typed {
        goal,
        suggested,
        min,
        max,
    })
}

fn optional(form: &Fields, name: &str) -> Option<String> {
    Some(form.get(name).trim().to_owned()).filter(|v| !v.is_empty())
}

/// The fields of a new fundraiser's form that hold money.
const MONEY: [&str; 4] = ["goal", "suggested_amounts", "min_amount", "max_amount"];

/// A new fundraiser from the form, in the organisation in hand (no suggested
/// amounts typed: the currency's defaults), and the money fields refused here. With
/// any refused, the service is told so (`create_noting`): it names them with what
/// it makes of the other fields, and makes nothing.
fn new_fundraiser(form: &Fields, current: &Current) -> (NewFundraiser, Vec<InvalidField>) {
    let (typed, refused) = match typed(form, None) {
        Ok(typed) => (Some(typed), Vec::new()),
        Err(refused) => (None, refused),
    };
    let new = NewFundraiser {
        organisation: Some(current.model.slug.clone()),
        campaign: optional(form, "campaign"),
        slug: optional(form, "slug"),
        title: form.get("title").to_owned(),
        description: form.get("description").to_owned(),
        language: optional(form, "language"),
        goal: typed.as_ref().and_then(|t| t.goal.clone()),
        suggested_amounts: typed
            .as_ref()
            .and_then(|t| t.suggested.clone())
            .filter(|s| !s.is_empty()),
        min_amount: typed.as_ref().and_then(|t| t.min),
        max_amount: typed.as_ref().and_then(|t| t.max),
    };
    (new, refused)
}

/// The service's answer to a form some fields of which were refused here first
/// (and given to it, so that it wrote nothing): every refusal, ours for those
/// fields (named in `ours_only`, or nested under them) and the service's for the
/// rest, whose words on a field it did not get as typed are not wanted.
fn and_refused<T>(
    answer: Result<T, FundraiserError>,
    ours: Vec<InvalidField>,
    ours_only: &[&str],
) -> Result<T, FundraiserError> {
    if ours.is_empty() {
        return answer;
    }
    let theirs = match answer {
        Err(FundraiserError::Content(ContentError::Invalid(Invalid(fields)))) => fields,
        // Other refusals (not found, not allowed) say more than the fields do.
        Err(e) => return Err(e),
        // Told of our refusals, the service makes nothing.
        Ok(_) => Vec::new(),
    };
    let stood_in = |field: &str| {
        ours_only.iter().any(|name| {
            field == *name
                || field
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    };
    let mut all = ours;
    all.extend(theirs.into_iter().filter(|f| !stood_in(&f.field)));
    Err(ContentError::Invalid(Invalid(all)).into())
}

/// The changes a saved form asks for: every field; an empty campaign or list of
/// suggested amounts clears it, an empty limit keeps it.
fn changes(form: &Fields, f: &Fundraiser) -> (FundraiserChanges, Vec<InvalidField>) {
    // Money that means nothing is kept as it was, and named with the rest.
    let (typed, refused) = match typed(form, Some(f)) {
        Ok(typed) => (typed, Vec::new()),
        Err(refused) => (Typed::default(), refused),
    };
    let set = |name: &str| Change::Set(form.get(name).to_owned());
    let keep_or = |value: Option<i64>| value.map_or(Change::Keep, Change::Set);
    let changes = FundraiserChanges {
        campaign: optional(form, "campaign").map_or(Change::Clear, Change::Set),
        slug: set("slug"),
        title: set("title"),
        description: set("description"),
        language: set("language"),
        goal: typed.goal.map_or(Change::Keep, Change::Set),
        suggested_amounts: match typed.suggested {
            Some(s) if s.is_empty() => Change::Clear,
            Some(s) => Change::Set(s),
            None => Change::Keep,
        },
        min_amount: keep_or(typed.min),
        max_amount: keep_or(typed.max),
    };
    (changes, refused)
}

// --- donations ----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct DonationsQuery {
    #[serde(default)]
    cursor: String,
}

/// `GET /admin/{org}/fundraisers/{id}/donations`: totals per currency; for
/// organisers, the donations a page at a time and the form for a gift by hand.
#[handler]
pub async fn donations(
    req: &Request,
    hand: InHand<'_, Fundraiser>,
    query: Query<DonationsQuery>,
) -> Answer {
    let state = hand.state;
    let flags = ["recorded", "refunded"];
    let said = notice(req, &hand.console, "console.donations", &flags, &[]);
    let cursor = Cursor::parse(&query.cursor).ok();
    let values = json!({
        "method": "cash",
        "send_receipt": "yes",
        "amount.currency": hand.item.row.currency.code(),
        "received_at": now_in(&hand.current),
    });
    let shown = Shown {
        status: StatusCode::OK,
        notice: said.into(),
        values,
        errors: json!({}),
        cursor,
    };
    donations_page(state, &hand, shown).await
}

/// What the donations page shows beside the list.
struct Shown {
    status: StatusCode,
    notice: Value,
    values: Value,
    errors: Value,
    cursor: Option<Cursor>,
}

async fn donations_page<R: Needs>(
    state: &AppState,
    hand: &InHand<'_, Fundraiser, R>,
    shown: Shown,
) -> Answer {
    let console = &hand.console;
    let f = &hand.item;
    let locale = console.locale;
    // The goal's currency first, even with nothing given in it yet.
    let mut totals = vec![json!({
        "currency": f.row.currency.code(),
        "amount": amount_text(f.raised, f.row.currency, locale),
    })];
    totals.extend(
        f.raised_other
            .iter()
            .map(|(c, n)| json!({ "currency": c.code(), "amount": amount_text(*n, *c, locale) })),
    );
    // Names, addresses and notes only for those the service shows them to.
    let (rows, next) = if hand.current.can_write() {
        let page = state
            .fundraisers
            .donations(
                console.access(),
                &hand.reference(),
                Limit::up_to(PAGE),
                shown.cursor,
            )
            .await
            .map_err(|e| refused(console, state, &e))?;
        let rows: Vec<Value> = page
            .items
            .iter()
            .map(|d| donation_row(d, console, &hand.current))
            .collect();
        (Some(rows), page.next.map(|c| c.to_string()))
    } else {
        (None, None)
    };
    let context = json!({
        "fundraiser": summary(f, console),
        "base": hand.path(),
        "totals": totals,
        "donations": rows,
        "next": next,
        "first_page": shown.cursor.is_none(),
        "methods": BY_HAND.map(|m| [m.as_str().to_owned(), say(locale, &format!("console.donations.method_{}", m.as_str()), &[])]),
        "timezone": hand.current.model.timezone.name(),
        "notice": shown.notice,
        "values": shown.values,
        "errors": shown.errors,
    });
    Ok(console.render(
        state,
        Some(&hand.current),
        shown.status,
        "donations",
        context,
    ))
}

/// One donation as a row of the list.
fn donation_row(d: &Donation, console: &Console, current: &Current) -> Value {
    let row = &d.row;
    let locale = console.locale;
    json!({
        "id": row.id.to_string(),
        "status": row.status.as_str(),
        "method": row.method.as_str(),
        "monthly": row.frequency == crate::fundraisers::service::Frequency::Monthly,
        "donor_name": row.donor_name,
        "donor_email": d.donor_email,
        "anonymous": row.anonymous,
        "amount": amount_text(row.amount, row.currency, locale),
        "refunded": (row.refunded_amount > 0).then(|| amount_text(row.refunded_amount, row.currency, locale)),
        "note": row.note,
        "message": row.message,
        "date": super::emails::day_in(row.received_at.unwrap_or(row.created_at), current, locale),
        "refundable": row.status == DonationStatus::Succeeded,
    })
}

/// Now as a `datetime-local` input shows it in the organisation's zone.
fn now_in(current: &Current) -> String {
    Utc::now()
        .with_timezone(&current.model.timezone.tz())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A gift typed in the form, as the service takes it, and the fields refused here
/// (the amount, its currency, the way it came, when). With any refused, the gift's
/// amount is a stand-in the service always refuses: asked, it still tells what it
/// makes of the other fields (the donor's address, the note), and records nothing.
fn offline_gift(form: &Fields, current: &Current) -> (OfflineGift, Vec<InvalidField>) {
    let mut refused = Vec::new();
    let currency = match Currency::parse(form.get("amount.currency")) {
        Ok(c) => Some(c),
        Err(e) => {
            refused.push(e.at("amount.currency"));
            None
        }
    };
    let minor = match amount_in(form.get("amount.amount"), currency, "amount.amount") {
        Ok(minor) => minor,
        Err(e) => {
            refused.push(e);
            0
        }
    };
    let method = DonationMethod::parse(form.get("method")).filter(|m| BY_HAND.contains(m));
    if method.is_none() {
        refused.push(InvalidField::required(
            "method",
            "must be cash, bank_transfer, cheque or other",
        ));
    }
    let received_at = match form.get("received_at").trim() {
        "" => Some(Utc::now()),
        raw => {
            let zone = current.model.timezone.tz();
            let at = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
                .ok()
                .and_then(|wall| zone.from_local_datetime(&wall).earliest());
            if at.is_none() {
                refused.push(InvalidField::new("received_at", "must be a date and time"));
            }
            at.map(|t| t.with_timezone(&Utc))
        }
    };
    // Nothing is worth less than nothing: the service refuses a zero amount.
    let amount = match currency {
        Some(currency) if refused.is_empty() => Amount::new(minor, currency.code()),
        _ => Amount::new(0, "XXX"),
    };
    let gift = OfflineGift {
        amount,
        method: method.unwrap_or(DonationMethod::Other),
        donor_name: optional(form, "donor_name"),
        donor_email: optional(form, "donor_email"),
        received_at: received_at.unwrap_or_else(Utc::now),
        note: optional(form, "note"),
        anonymous: false,
        send_receipt: form.get("send_receipt") == "yes",
        locale: None,
    };
    (gift, refused)
}

/// `POST /admin/{org}/fundraisers/{id}/donations`: record a gift that came in by
/// hand, in any currency, with a receipt to the donor if asked.
#[handler]
pub async fn record(hand: InHand<'_, Fundraiser, Write>, form: Fields) -> Answer {
    let state = hand.state;
    let console = &hand.console;
    let (gift, refused) = offline_gift(&form, &hand.current);
    let recorded = state
        .fundraisers
        .record_offline(console.access(), &hand.reference(), gift)
        .await;
    // Only the amount stood in for what was refused here: the service takes any
    // way a gift came and reads no date but the one it was given.
    let recorded = and_refused(recorded, refused, &["amount"]);
    match recorded {
        Ok(_) => Ok(see_other(&format!("{}/donations?recorded=1", hand.path()))),
        Err(e) => {
            let errors = refused_fields(console, state, &e)?;
            // The totals shown are the fundraiser's as they are.
            let shown = Shown {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                notice: Value::Null,
                values: form.typed(),
                errors,
                cursor: None,
            };
            donations_page(state, &hand, shown).await
        }
    }
}

/// `GET /admin/{org}/fundraisers/{id}/donations.csv`: every donation, with the
/// columns of the API's export. Viewers are refused (403).
#[handler]
pub async fn csv(hand: InHand<'_, Fundraiser, Write>) -> Answer {
    let state = hand.state;
    let all = state
        .fundraisers
        .all_donations(hand.console.access(), &hand.reference())
        .await
        .map_err(|e| refused(&hand.console, state, &e))?;
    let name = format!("donations-{}.csv", hand.item.row.slug);
    Ok(attachment(
        &name,
        crate::fundraisers::api::donations_csv(&all),
    ))
}

/// A donation to the fundraiser in hand, for a form; another is not found.
async fn donation_in(
    req: &Request,
    hand: &InHand<'_, Fundraiser, Write>,
    state: &AppState,
) -> poem::Result<Donation> {
    let console = &hand.console;
    let donation = console.id(state, req.raw_path_param("donation").unwrap_or_default())?;
    state
        .fundraisers
        .donation_to(console.access(), hand.item.row.id, donation)
        .await
        .map_err(|e| refused(console, state, &e))
}

/// `GET /admin/{org}/fundraisers/{id}/donations/{donation}/refund`: what a refund
/// gives back, and the button that does it.
#[handler]
pub async fn refund_page(req: &Request, hand: InHand<'_, Fundraiser, Write>) -> Answer {
    let state = hand.state;
    let donation = donation_in(req, &hand, state).await?;
    refund_form(&hand.console, state, &hand, &donation, StatusCode::OK, None)
}

fn refund_form(
    console: &Console,
    state: &AppState,
    hand: &InHand<'_, Fundraiser, Write>,
    donation: &Donation,
    status: StatusCode,
    why: Option<String>,
) -> Answer {
    // A refusal known before asking: what the service would refuse or do nothing for.
    let why = why.or_else(|| match donation.row.status {
        DonationStatus::Succeeded => None,
        DonationStatus::Refunded => Some(say(
            console.locale,
            "console.donations.already_refunded",
            &[],
        )),
        _ => Some(say(console.locale, "console.donations.not_refundable", &[])),
    });
    let context = json!({
        "fundraiser": summary(&hand.item, console),
        "base": hand.path(),
        "donation": donation_row(donation, console, &hand.current),
        "online": donation.row.method == DonationMethod::Online,
        "why": why,
    });
    Ok(console.render(state, Some(&hand.current), status, "refund", context))
}

/// `POST /admin/{org}/fundraisers/{id}/donations/{donation}/refund`: give a
/// succeeded gift back in full, through Stripe for an online one. A gift already
/// refunded or not yet paid is refused with the reason (409), Stripe not asked.
#[handler]
pub async fn refund(req: &Request, hand: InHand<'_, Fundraiser, Write>) -> Answer {
    let state = hand.state;
    let console = &hand.console;
    let donation = donation_in(req, &hand, state).await?;
    if donation.row.status != DonationStatus::Succeeded {
        return refund_form(console, state, &hand, &donation, StatusCode::CONFLICT, None);
    }
    match state
        .fundraisers
        .refund(console.access(), donation.row.id)
        .await
    {
        Ok(_) => Ok(see_other(&format!("{}/donations?refunded=1", hand.path()))),
        Err(e) => {
            let key = match e {
                FundraiserError::WrongState(_) => "not_refundable",
                FundraiserError::Provider(_) => "provider",
                FundraiserError::PaymentsOff => "payments_off",
                e => return Err(refused(console, state, &e)),
            };
            if let FundraiserError::Provider(cause) = &e {
                tracing::warn!(error = %cause, "Stripe refused or failed a refund");
            }
            let why = say(console.locale, &format!("console.donations.{key}"), &[]);
            refund_form(
                console,
                state,
                &hand,
                &donation,
                StatusCode::CONFLICT,
                Some(why),
            )
        }
    }
}

// --- shared pieces ------------------------------------------------------------------------

/// The messages of a refused form by field, in the words of these forms; any other
/// refusal ends the handler with its page.
fn refused_fields(console: &Console, state: &AppState, e: &FundraiserError) -> poem::Result<Value> {
    let locale = console.locale;
    let Some(fields) = e.invalid_fields() else {
        return field_refusals(console, state, e);
    };
    // The first refusal of each field, in these forms' own words where the shared
    // ones would only say "not valid".
    let mut messages = serde_json::Map::new();
    for field in fields {
        if messages.contains_key(&field.field) {
            continue;
        }
        let text = match own_words(field) {
            Some(key) => {
                let text = say(locale, &format!("console.fundraiser.{key}"), &[]);
                // Limits name their amounts ("must be at most 999999.99"): keep that.
                if key == "bad_amount" && field.message.starts_with("must be at") {
                    format!("{text} ({})", field.message)
                } else {
                    text
                }
            }
            None => crate::pages::field_message(field, locale),
        };
        messages.insert(field.field.clone(), text.into());
    }
    Ok(Value::Object(messages))
}

/// The words of these forms for a refusal the shared words say too little of.
fn own_words(field: &InvalidField) -> Option<&'static str> {
    let money = ["goal.amount", "amount.amount", "min_amount", "max_amount"];
    Some(match (field.refusal, field.field.as_str()) {
        (Refusal::OutOfOrder, f) if money.contains(&f) => "min_over_max",
        (Refusal::Future, "received_at") => "received_future",
        (Refusal::Invalid, f) if money.contains(&f) => "bad_amount",
        (Refusal::Invalid, "goal.currency" | "amount.currency") => "bad_currency",
        (Refusal::Invalid, "suggested_amounts") => "bad_suggested",
        (Refusal::Invalid, "method") => "bad_method",
        (Refusal::Invalid, "received_at") => "bad_received",
        (Refusal::Invalid, "donor_email") => "bad_email",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn currency(code: &str) -> Option<Currency> {
        Currency::parse(code).ok()
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        let gbp = currency("GBP");
        for (typed, minor) in [
            ("12.50", 1250),
            ("12,50", 1250),
            ("1.234,50", 123_450),
            ("1,234.50", 123_450),
            ("1 234,50", 123_450),
            ("5000", 500_000),
        ] {
            assert_eq!(amount_in(typed, gbp, "goal.amount"), Ok(minor), "{typed}");
        }
        let refused = amount_in("lots", gbp, "amount.amount").unwrap_err();
        assert_eq!(refused.field, "amount.amount");
        assert_eq!(
            amount_in("", gbp, "goal.amount").unwrap_err().refusal,
            Refusal::Required
        );
        // Without a currency, still refused when it is no amount at all.
        assert!(amount_in("lots", None, "amount.amount").is_err());
        assert!(amount_in("12,50", None, "amount.amount").is_ok());
    }

    #[test]
    fn suggested_amounts_are_split_on_spaces_and_semicolons() {
        let gbp = currency("GBP");
        assert_eq!(
            amounts_in("10, 25, 50", gbp, "s"),
            Ok(vec![1000, 2500, 5000])
        );
        assert_eq!(
            amounts_in("12,50 25;7", gbp, "s"),
            Ok(vec![1250, 2500, 700])
        );
        assert_eq!(amounts_in("  ", gbp, "s"), Ok(vec![]));
        assert!(amounts_in("10,25,50", gbp, "s").is_err());
        let gbp = gbp.unwrap();
        assert_eq!(typed_amounts(&[1000, 1250], gbp), "10, 12.50");
    }
}
