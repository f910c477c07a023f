//! Donations: gifts recorded by organisers, gifts paid on Stripe Checkout, what
//! Stripe's webhooks tell us about each payment, refunds, and the receipt.
//!
//! Every change of a donation's status is one conditional update (`… WHERE status IN
//! (…)`), so two deliveries of news about one payment, in any order and in any number
//! of processes, make one change and send one receipt.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Select, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::service::{
    Amount, DonationMethod, DonationStatus, Frequency, FundraiserError, FundraiserStatus,
    Fundraisers, find_public,
};
use crate::access::{Access, Role};
use crate::content::{
    self, Checks, ContentError, Cursor, Invalid, Limit, Order, Page, Service as _,
};
use crate::domain::{
    Currency, Email, InvalidField, Locale, Money, PublicRef, Refusal, optional_text, required_text,
};
use crate::email::{
    Site, links,
    outbox::{self, OutgoingEmail},
    render::{Template, money_text},
};
use crate::payments::{
    Checkout, StripeError,
    webhook::{DonationRef, Event, News},
};
use crate::supporters::service::{self as supporters, Person};
use entity::{donation, fundraiser, organisation, stripe_event, supporter};

/// What the links to the pages after Checkout are signed for.
const DONATION_PAGE: &str = "donation";

/// A gift that came in by hand, as asked.
#[derive(Debug, Clone)]
pub struct OfflineGift {
    /// In any currency.
    pub amount: Amount,
    pub method: DonationMethod,
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub received_at: DateTime<Utc>,
    pub note: Option<String>,
    pub anonymous: bool,
    /// Email a receipt to the donor's address.
    pub send_receipt: bool,
    /// `en`, `es` or `fr`: the receipt's language.
    pub locale: Option<String>,
}

/// A gift from a supporter to be paid online, as asked.
#[derive(Debug, Clone)]
pub struct Gift {
    /// In the fundraiser's currency.
    pub amount: Amount,
    pub email: String,
    pub name: String,
    pub anonymous: bool,
    pub message: Option<String>,
    pub frequency: Frequency,
    /// `en`, `es` or `fr`: the language of the checkout page and the receipt.
    pub locale: Option<String>,
    /// The opt-in box, ticked.
    pub subscribe: bool,
    /// Where the donor came from (`newsletter`), kept with the consent they give.
    pub source: Option<String>,
}

/// A donation, with its donor's address where one is known.
#[derive(Debug, Clone)]
pub struct Donation {
    pub row: donation::Model,
    pub donor_email: Option<String>,
}

/// A pending donation and where its donor pays.
#[derive(Debug, Clone)]
pub struct Started {
    pub id: Uuid,
    pub checkout_url: String,
}

/// A gift as the public sees it.
#[derive(Debug, Clone)]
pub struct PublicGift {
    /// None for anonymous donors and gifts recorded by hand.
    pub name: Option<String>,
    /// What was given, less what was given back.
    pub amount: i64,
    pub currency: Currency,
    pub message: Option<String>,
    pub donated_at: DateTime<Utc>,
}

/// A text field that may be left out or blank.
fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, InvalidField> {
    value
        .map(|v| optional_text(field, v, max))
        .transpose()
        .map(|v| v.filter(|v| !v.is_empty()))
}

/// A gift from the donation form, checked against nothing but itself.
#[derive(Debug, Clone)]
pub struct DonateForm {
    pub amount: Money,
    pub email: Email,
    pub name: String,
    pub anonymous: bool,
    pub message: Option<String>,
    pub frequency: Frequency,
    pub locale: Option<Locale>,
    /// Asks to hear from the fundraiser's organisation.
    pub subscribe: bool,
    pub source: Option<String>,
}

impl DonateForm {
    pub fn parse(gift: Gift) -> Result<Self, Invalid> {
        let mut checks = Checks::default();
        let amount = checks.check(gift.amount.parse("amount"));
        let email = checks.check(Email::parse(&gift.email).map_err(|e| e.at("email")));
        let name = checks.check(
            required_text("name", &gift.name, 200).map(|n| crate::email::message::one_line(&n)),
        );
        let message = checks.check(optional("message", gift.message.as_deref(), 1_000));
        let locale = checks.check(gift.locale.as_deref().map(Locale::parse).transpose());
        let source = checks.check(
            gift.source
                .as_deref()
                .map(crate::petitions::review::Source::parse)
                .transpose()
                .map(Option::flatten),
        );
        let (((((amount, email), name), message), locale), source) = checks.done(
            amount
                .zip(email)
                .zip(name)
                .zip(message)
                .zip(locale)
                .zip(source),
        )?;
        Ok(Self {
            amount,
            email,
            name,
            anonymous: gift.anonymous,
            message,
            frequency: gift.frequency,
            locale,
            subscribe: gift.subscribe,
            source: source.map(|s| s.as_ref().to_owned()),
        })
    }

    /// The fundraiser's own rules: its currency and its limits, and Stripe's.
    fn fit(&self, fundraiser: &fundraiser::Model) -> Result<(), InvalidField> {
        let amount = self.amount;
        if amount.currency() != fundraiser.currency {
            return Err(InvalidField::new(
                "amount.currency",
                format!("this fundraiser takes {}", fundraiser.currency),
            ));
        }
        let shown = |minor: i64| {
            Money::new(minor, amount.currency())
                .map_or_else(|_| minor.to_string(), |m| m.to_string())
        };
        if amount.minor() < fundraiser.min_amount {
            return Err(InvalidField::new(
                "amount.amount",
                format!("must be at least {}", shown(fundraiser.min_amount)),
            ));
        }
        if amount.minor() > fundraiser.max_amount {
            return Err(InvalidField::new(
                "amount.amount",
                format!("must be at most {}", shown(fundraiser.max_amount)),
            ));
        }
        // Stripe takes three-decimal currencies (KWD, BHD…) in tens of the minor unit.
        if amount.currency().exponent() == 3 && amount.minor() % 10 != 0 {
            return Err(InvalidField::new(
                "amount.amount",
                "must be a multiple of 10 in a three-decimal currency",
            ));
        }
        Ok(())
    }
}

/// A new donation row: what every gift starts with.
fn new_row(
    fundraiser: &fundraiser::Model,
    supporter: Option<Uuid>,
    amount: Money,
    now: DateTime<Utc>,
) -> donation::ActiveModel {
    donation::ActiveModel {
        id: Set(Uuid::now_v7()),
        fundraiser_id: Set(fundraiser.id),
        supporter_id: Set(supporter),
        parent_id: Set(None),
        amount: Set(amount.minor()),
        currency: Set(amount.currency()),
        refunded_amount: Set(0),
        note: Set(None),
        message: Set(None),
        failure_reason: Set(None),
        stripe_session_id: Set(None),
        stripe_payment_intent: Set(None),
        stripe_subscription: Set(None),
        stripe_invoice: Set(None),
        received_at: Set(None),
        refunded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

impl Fundraisers {
    /// Record a gift that came in by hand, in any currency and whatever the
    /// fundraiser's status; it counts at once. With a donor address, a receipt is sent
    /// unless the organiser says not to.
    pub async fn record_offline(
        &self,
        access: &Access,
        fundraiser: &PublicRef,
        gift: OfflineGift,
    ) -> Result<Donation, FundraiserError> {
        let mut checks = Checks::default();
        let amount = checks.check(gift.amount.parse("amount"));
        let name = checks.check(
            optional("donor_name", gift.donor_name.as_deref(), 200)
                .map(|n| n.map(|n| crate::email::message::one_line(&n))),
        );
        let email = checks.check(
            gift.donor_email
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(|e| Email::parse(e).map_err(|e| e.at("donor_email")))
                .transpose(),
        );
        let note = checks.check(optional("note", gift.note.as_deref(), 5_000));
        let locale = checks.check(gift.locale.as_deref().map(Locale::parse).transpose());
        if gift.received_at > Utc::now() + Duration::days(1) {
            checks.note(
                InvalidField::new("received_at", "is in the future").because(Refusal::Future),
            );
        }
        let ((((amount, name), email), note), locale) =
            checks.done(amount.zip(name).zip(email).zip(note).zip(locale))?;
        let fundraiser = self.find_for(access, fundraiser, Role::Organiser).await?;
        let now = Utc::now();
        let txn = crate::db::begin_write(&self.db).await?;
        let supporter = match &email {
            Some(email) => Some(
                supporters::upsert(
                    &txn.txn,
                    &Person {
                        email: email.clone(),
                        name: name.clone().unwrap_or_default(),
                        locale,
                    },
                )
                .await?,
            ),
            None => None,
        };
        let row = donation::ActiveModel {
            method: Set(gift.method),
            frequency: Set(Frequency::OneTime),
            status: Set(DonationStatus::Succeeded),
            donor_name: Set(name),
            anonymous: Set(gift.anonymous),
            note: Set(note),
            locale: Set(locale),
            received_at: Set(Some(gift.received_at)),
            ..new_row(&fundraiser, supporter.as_ref().map(|s| s.id), amount, now)
        }
        .insert(&txn.txn)
        .await?;
        if let Some(supporter) = &supporter
            && gift.send_receipt
        {
            let receipt = Receipts::load(&txn.txn, &fundraiser, &self.site)
                .await?
                .receipt(&row, supporter);
            outbox::enqueue(&txn.txn, &self.site, [receipt]).await?;
        }
        txn.commit().await?;
        Ok(Donation {
            row,
            donor_email: supporter.map(|s| s.email.to_string()),
        })
    }

    /// Start an online gift: a pending donation, then a Stripe Checkout session for it.
    /// The donation is stored before Stripe is called, so a payment can never arrive
    /// for a donation we do not have; if Stripe fails, the donation is marked failed.
    #[tracing::instrument(skip_all, fields(fundraiser = ?fundraiser))]
    pub async fn start(
        &self,
        fundraiser: &PublicRef,
        form: DonateForm,
    ) -> Result<Started, FundraiserError> {
        let db = &self.db;
        let fundraiser = find_public(db, fundraiser).await?;
        if fundraiser.status != FundraiserStatus::Open {
            return Err(FundraiserError::Closed);
        }
        form.fit(&fundraiser)?;
        let stripe = self
            .payments
            .stripe
            .as_ref()
            .ok_or(FundraiserError::PaymentsOff)?;
        let now = Utc::now();
        let locale = form
            .locale
            .unwrap_or_else(|| Locale::choose(None, &fundraiser.language));
        let txn = crate::db::begin_write(db).await?;
        let supporter = supporters::upsert(
            &txn.txn,
            &Person {
                email: form.email.clone(),
                name: form.name.clone(),
                locale: form.locale,
            },
        )
        .await?;
        let row = donation::ActiveModel {
            method: Set(DonationMethod::Online),
            frequency: Set(form.frequency),
            status: Set(DonationStatus::Pending),
            donor_name: Set(Some(form.name.clone())),
            anonymous: Set(form.anonymous),
            message: Set(form.message.clone()),
            locale: Set(form.locale),
            ..new_row(&fundraiser, Some(supporter.id), form.amount, now)
        }
        .insert(&txn.txn)
        .await?;
        // The box ticked asks to hear from the organisation; paying proves no
        // address, so a link to confirm is emailed (in the same transaction).
        if form.subscribe
            && let Some(organisation) =
                entity::organisation::Entity::find_by_id(fundraiser.organisation_id)
                    .one(&txn.txn)
                    .await?
        {
            let asked = crate::consent::Ask {
                words: crate::consent::ConsentWords::of_box(
                    locale,
                    "consent.box",
                    &organisation.name,
                ),
                form: crate::consent::ConsentForm::Donation,
                source: form.source.clone(),
                locale,
            };
            crate::consent::ask_and_email(
                &txn.txn,
                &self.site,
                &organisation,
                &supporter,
                &asked,
                now,
            )
            .await?;
        }
        txn.commit().await?;
        let id = row.id;

        let site = &self.site;
        let token = links::sign(&site.secret, DONATION_PAGE, id);
        let checkout = Checkout {
            donation_id: id,
            fundraiser_id: fundraiser.id,
            title: &fundraiser.title,
            amount: form.amount,
            monthly: form.frequency == Frequency::Monthly,
            email: form.email.as_ref(),
            locale,
            success_url: format!("{}/donations/{token}/thanks", site.public_url),
            cancel_url: format!("{}/donations/{token}/cancelled", site.public_url),
        };
        let session = match stripe.create_checkout(&checkout).await {
            Ok(session) => session,
            Err(e) => {
                fail(db, id, "the payment page could not be opened").await?;
                return Err(e.into());
            }
        };
        let _turn = crate::db::write_turn(db).await;
        donation::Entity::update_many()
            .col_expr(
                donation::Column::StripeSessionId,
                Expr::value(Some(session.id)),
            )
            .col_expr(donation::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(donation::Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(Started {
            id,
            checkout_url: session.url,
        })
    }
}

async fn fail(db: &DatabaseConnection, id: Uuid, reason: &str) -> Result<(), DbErr> {
    let _turn = crate::db::write_turn(db).await;
    donation::Entity::update_many()
        .col_expr(
            donation::Column::Status,
            Expr::value(DonationStatus::Failed),
        )
        .col_expr(donation::Column::FailureReason, Expr::value(Some(reason)))
        .col_expr(donation::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(donation::Column::Id.eq(id))
        .filter(donation::Column::Status.eq(DonationStatus::Pending))
        .exec(db)
        .await
        .map(|_| ())
}

/// What became of a webhook event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Applied,
    /// This event id was handled before.
    Repeated,
    /// Not about a donation we know.
    Ignored,
}

impl Fundraisers {
    /// Act on one verified Stripe event, once: the event id is recorded in the same
    /// transaction as what it changes.
    #[tracing::instrument(skip_all, fields(event = %event.id, kind = %event.kind))]
    pub async fn apply(&self, event: Event) -> Result<Handled, FundraiserError> {
        let txn = crate::db::begin_write(&self.db).await?;
        let first_time = stripe_event::Entity::insert(stripe_event::ActiveModel {
            id: Set(event.id.clone()),
            kind: Set(event.kind.clone()),
            received_at: Set(Utc::now()),
        })
        .on_conflict(crate::db::keep_existing([stripe_event::Column::Id]))
        .exec_without_returning(&txn.txn)
        .await?;
        if first_time == 0 {
            return Ok(Handled::Repeated);
        }
        let handled = news(&txn.txn, &self.site, event.news).await?;
        txn.commit().await?;
        Ok(handled)
    }
}

async fn news(
    conn: &impl ConnectionTrait,
    site: &Site,
    news: News,
) -> Result<Handled, FundraiserError> {
    let now = Utc::now();
    match news {
        News::Ignored => Ok(Handled::Ignored),
        News::Paid { donation, amount } => {
            let Some(row) = find_by_ref(conn, &donation).await? else {
                return Ok(Handled::Ignored);
            };
            let mut update = with_stripe_ids(donation::Entity::update_many(), &donation);
            // What Stripe took is what was given.
            if let Some(amount) = amount.filter(|a| *a > 0 && *a != row.amount) {
                tracing::warn!(donation = %row.id, ours = row.amount, stripe = amount, "amounts differ");
                update = update.col_expr(donation::Column::Amount, Expr::value(amount));
            }
            if mark_paid(conn, row.id, update, now).await? {
                send_receipt(conn, site, row.id).await?;
            } else {
                remember_ids(conn, row.id, &donation).await?;
            }
            Ok(Handled::Applied)
        }
        News::Processing { donation } => {
            let Some(row) = find_by_ref(conn, &donation).await? else {
                return Ok(Handled::Ignored);
            };
            remember_ids(conn, row.id, &donation).await?;
            Ok(Handled::Applied)
        }
        News::Failed { donation, reason } => {
            let Some(row) = find_by_ref(conn, &donation).await? else {
                return Ok(Handled::Ignored);
            };
            with_stripe_ids(donation::Entity::update_many(), &donation)
                .col_expr(
                    donation::Column::Status,
                    Expr::value(DonationStatus::Failed),
                )
                .col_expr(donation::Column::FailureReason, Expr::value(Some(reason)))
                .col_expr(donation::Column::UpdatedAt, Expr::value(now))
                .filter(donation::Column::Id.eq(row.id))
                .filter(donation::Column::Status.eq(DonationStatus::Pending))
                .exec(conn)
                .await?;
            Ok(Handled::Applied)
        }
        News::Refunded {
            donation,
            amount_refunded,
            full,
        } => {
            let Some(row) = find_by_ref(conn, &donation).await? else {
                return Ok(Handled::Ignored);
            };
            mark_refunded(conn, &row, (!full).then_some(amount_refunded), now).await?;
            Ok(Handled::Applied)
        }
        News::InvoicePaid {
            donation,
            invoice,
            first,
            amount,
            currency,
            payment_intent,
        } => {
            let Some(gift) = find_by_ref(conn, &donation).await? else {
                return Ok(Handled::Ignored);
            };
            if first {
                let update = with_stripe_ids(donation::Entity::update_many(), &donation);
                if mark_paid(conn, gift.id, update, now).await? {
                    send_receipt(conn, site, gift.id).await?;
                }
                return Ok(Handled::Applied);
            }
            // A renewal is in its subscription's currency (Stripe names it in lower
            // case). One Stripe says is another was not charged as we recorded the
            // gift: record what Stripe says, and tell the operator.
            let currency = match Currency::parse(&currency) {
                Ok(c) => c,
                Err(_) => {
                    tracing::error!(%currency, donation = %gift.id, "renewal in a currency we do not know; recorded in the gift's");
                    gift.currency
                }
            };
            if currency != gift.currency {
                tracing::warn!(%currency, donation = %gift.id, "renewal in another currency than its first gift");
            }
            // A later month: a donation of its own, once per invoice.
            let id = Uuid::now_v7();
            let renewal = donation::ActiveModel {
                id: Set(id),
                parent_id: Set(Some(gift.id)),
                amount: Set(amount),
                currency: Set(currency),
                refunded_amount: Set(0),
                status: Set(DonationStatus::Succeeded),
                note: Set(None),
                failure_reason: Set(None),
                stripe_session_id: Set(None),
                stripe_payment_intent: Set(payment_intent),
                stripe_subscription: Set(gift
                    .stripe_subscription
                    .clone()
                    .or(donation.subscription)),
                stripe_invoice: Set(Some(invoice)),
                received_at: Set(Some(now)),
                refunded_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..donation::ActiveModel::from(gift)
            };
            let inserted = donation::Entity::insert(renewal)
                .on_conflict(crate::db::keep_existing([donation::Column::StripeInvoice]))
                .exec_without_returning(conn)
                .await?;
            if inserted == 1 {
                send_receipt(conn, site, id).await?;
            }
            Ok(Handled::Applied)
        }
    }
}

/// Mark a pending or failed donation paid, with `update`'s other changes: whether
/// this changed it (news of a payment may come twice).
async fn mark_paid(
    conn: &impl ConnectionTrait,
    id: Uuid,
    update: sea_orm::UpdateMany<donation::Entity>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = update
        .col_expr(
            donation::Column::Status,
            Expr::value(DonationStatus::Succeeded),
        )
        .col_expr(
            donation::Column::FailureReason,
            Expr::value(Option::<String>::None),
        )
        .col_expr(donation::Column::ReceivedAt, Expr::value(Some(now)))
        .col_expr(donation::Column::UpdatedAt, Expr::value(now))
        .filter(donation::Column::Id.eq(id))
        .filter(donation::Column::Status.is_in([
            DonationStatus::Pending.as_str(),
            DonationStatus::Failed.as_str(),
        ]))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Keep the Stripe ids an event names, where we do not have them yet.
fn with_stripe_ids(
    mut update: sea_orm::UpdateMany<donation::Entity>,
    r: &DonationRef,
) -> sea_orm::UpdateMany<donation::Entity> {
    let keep = |column: donation::Column, value: &Option<String>| {
        value.clone().map(|v| {
            (
                column,
                Expr::expr(sea_orm::sea_query::Func::coalesce([
                    Expr::col(column),
                    Expr::value(v),
                ])),
            )
        })
    };
    for (column, value) in [
        keep(donation::Column::StripePaymentIntent, &r.payment_intent),
        keep(donation::Column::StripeSubscription, &r.subscription),
    ]
    .into_iter()
    .flatten()
    {
        update = update.col_expr(column, value);
    }
    update
}

async fn remember_ids(conn: &impl ConnectionTrait, id: Uuid, r: &DonationRef) -> Result<(), DbErr> {
    if r.payment_intent.is_none() && r.subscription.is_none() {
        return Ok(());
    }
    with_stripe_ids(donation::Entity::update_many(), r)
        .filter(donation::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// The donation an event names: by our id, else by the Stripe ids we kept.
async fn find_by_ref(
    conn: &impl ConnectionTrait,
    r: &DonationRef,
) -> Result<Option<donation::Model>, DbErr> {
    if let Some(id) = r.id
        && let Some(row) = donation::Entity::find_by_id(id).one(conn).await?
    {
        return Ok(Some(row));
    }
    let by = |column: donation::Column, value: &Option<String>| {
        value.clone().map(|v| {
            donation::Entity::find()
                .filter(column.eq(v))
                .order_by_asc(donation::Column::Id)
        })
    };
    for query in [
        by(donation::Column::StripeSessionId, &r.session),
        by(donation::Column::StripePaymentIntent, &r.payment_intent),
        by(donation::Column::StripeSubscription, &r.subscription),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(row) = query.one(conn).await? {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

/// Give back all of a succeeded donation (`partial` None), or record how much of it
/// was given back so far. A refund never turns back.
async fn mark_refunded(
    conn: &impl ConnectionTrait,
    row: &donation::Model,
    partial: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let update = match partial {
        Some(refunded) if refunded < row.amount => donation::Entity::update_many()
            .col_expr(
                donation::Column::RefundedAmount,
                Expr::value(refunded.max(0)),
            )
            .col_expr(donation::Column::UpdatedAt, Expr::value(now))
            .filter(donation::Column::Status.eq(DonationStatus::Succeeded)),
        _ => donation::Entity::update_many()
            .col_expr(
                donation::Column::Status,
                Expr::value(DonationStatus::Refunded),
            )
            .col_expr(
                donation::Column::RefundedAmount,
                Expr::col(donation::Column::Amount),
            )
            .col_expr(donation::Column::RefundedAt, Expr::value(Some(now)))
            .col_expr(donation::Column::UpdatedAt, Expr::value(now))
            .filter(donation::Column::Status.is_in([
                DonationStatus::Succeeded.as_str(),
                DonationStatus::Pending.as_str(),
            ])),
    };
    let changed = update
        .filter(donation::Column::Id.eq(row.id))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

impl Fundraisers {
    /// Refund a succeeded donation in full: through Stripe for an online one, then
    /// recorded. Refunding again answers the refunded donation and calls nobody.
    #[tracing::instrument(skip_all, fields(donation = %id))]
    pub async fn refund(&self, access: &Access, id: Uuid) -> Result<Donation, FundraiserError> {
        let db = &self.db;
        let no_such = || ContentError::NotFound("donation");
        let row = donation::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(no_such)?;
        let fundraiser = fundraiser::Entity::find_by_id(row.fundraiser_id)
            .one(db)
            .await?
            .ok_or_else(no_such)?;
        content::may::<fundraiser::Entity>(access, fundraiser.organisation_id, Role::Organiser)?;
        match row.status {
            DonationStatus::Refunded => return self.one_donation(row).await,
            DonationStatus::Succeeded => {}
            _ => {
                return Err(FundraiserError::WrongState(
                    "only a succeeded donation can be refunded",
                ));
            }
        }
        if row.method == DonationMethod::Online {
            let stripe = self
                .payments
                .stripe
                .as_ref()
                .ok_or(FundraiserError::PaymentsOff)?;
            let intent = row.stripe_payment_intent.as_deref().ok_or(FundraiserError::WrongState(
                "Stripe has not told us which payment this was yet; refund it from Stripe's dashboard",
            ))?;
            match stripe.refund(intent, row.id).await {
                Ok(()) => {}
                // Refunded already (from Stripe's dashboard, say): record it.
                Err(StripeError::Refused {
                    code: Some(code), ..
                }) if code == "charge_already_refunded" => {}
                Err(e) => return Err(e.into()),
            }
        }
        {
            let _turn = crate::db::write_turn(db).await;
            mark_refunded(db, &row, None, Utc::now()).await?;
        }
        let row = donation::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(no_such)?;
        self.one_donation(row).await
    }

    /// One donation to this fundraiser, for its organisers; a donation to another
    /// fundraiser is not found.
    pub async fn donation_to(
        &self,
        access: &Access,
        fundraiser_id: Uuid,
        id: Uuid,
    ) -> Result<Donation, FundraiserError> {
        let query = self
            .donations_to(access, &PublicRef::Id(fundraiser_id))
            .await?;
        let row = query
            .filter(donation::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .ok_or(ContentError::NotFound("donation"))?;
        self.one_donation(row).await
    }

    /// A page of a fundraiser's donations for its organisers, oldest first.
    pub async fn donations(
        &self,
        access: &Access,
        fundraiser: &PublicRef,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<Donation>, FundraiserError> {
        let query = self.donations_to(access, fundraiser).await?;
        let page = content::page(&self.db, query, Order::OldestFirst, limit, cursor).await?;
        Ok(page.read(|rows| with_emails(&self.db, rows)).await?)
    }

    /// Every donation to a fundraiser, oldest first (for a spreadsheet).
    pub async fn all_donations(
        &self,
        access: &Access,
        fundraiser: &PublicRef,
    ) -> Result<Vec<Donation>, FundraiserError> {
        let query = self.donations_to(access, fundraiser).await?;
        let rows = content::all(&self.db, query, Order::OldestFirst).await?;
        Ok(with_emails(&self.db, rows).await?)
    }

    /// The donations to a fundraiser, for its organisers.
    async fn donations_to(
        &self,
        access: &Access,
        fundraiser: &PublicRef,
    ) -> Result<Select<donation::Entity>, ContentError> {
        let fundraiser = self.find_for(access, fundraiser, Role::Organiser).await?;
        Ok(donation::Entity::find().filter(donation::Column::FundraiserId.eq(fundraiser.id)))
    }

    /// Succeeded gifts as the public sees them, newest first: a name only where the
    /// donor gave it online and did not ask to stay anonymous; never an address.
    pub async fn donors(
        &self,
        fundraiser: &PublicRef,
        limit: Limit,
        cursor: Option<Cursor>,
    ) -> Result<Page<PublicGift>, FundraiserError> {
        let fundraiser = find_public(&self.db, fundraiser).await?;
        let query = donation::Entity::find()
            .filter(donation::Column::FundraiserId.eq(fundraiser.id))
            .filter(donation::Column::Status.eq(DonationStatus::Succeeded));
        let page = content::page(&self.db, query, Order::NewestFirst, limit, cursor).await?;
        Ok(page.map(|d| {
            let named = d.method == DonationMethod::Online && !d.anonymous;
            PublicGift {
                name: d.donor_name.filter(|n| named && !n.is_empty()),
                amount: d.amount - d.refunded_amount,
                currency: d.currency,
                message: d.message,
                donated_at: d.received_at.unwrap_or(d.created_at),
            }
        }))
    }

    async fn one_donation(&self, row: donation::Model) -> Result<Donation, FundraiserError> {
        with_emails(&self.db, vec![row])
            .await?
            .pop()
            .ok_or_else(|| ContentError::NotFound("donation").into())
    }

    /// What the pages after Checkout show about a donation, if the link is good.
    pub async fn after_checkout(&self, token: &str) -> Result<Option<AfterCheckout>, DbErr> {
        let site = &self.site;
        let Some((row, fundraiser)) = links::linked::<donation::Entity, fundraiser::Entity>(
            &self.db,
            &site.secret,
            DONATION_PAGE,
            token,
            |row| row.fundraiser_id,
        )
        .await?
        else {
            return Ok(None);
        };
        let locale = Locale::choose(row.locale, &fundraiser.language);
        let amount = Money::new(row.amount, row.currency)
            .map_or_else(|_| row.amount.to_string(), |m| money_text(m, locale));
        Ok(Some(AfterCheckout {
            locale: locale.as_str(),
            fundraiser_url: format!("{}/fundraisers/{}", site.public_url, fundraiser.slug),
            title: fundraiser.title,
            amount,
            status: row.status.as_str(),
            monthly: row.frequency == Frequency::Monthly,
            donor_name: row.donor_name.unwrap_or_default(),
        }))
    }
}

async fn with_emails(
    db: &impl ConnectionTrait,
    rows: Vec<donation::Model>,
) -> Result<Vec<Donation>, DbErr> {
    let emails = supporters::emails_of(db, rows.iter().filter_map(|d| d.supporter_id)).await?;
    Ok(rows
        .into_iter()
        .map(|row| Donation {
            donor_email: row.supporter_id.and_then(|id| emails.get(&id).cloned()),
            row,
        })
        .collect())
}

async fn send_receipt(conn: &impl ConnectionTrait, site: &Site, id: Uuid) -> Result<(), DbErr> {
    let Some(row) = donation::Entity::find_by_id(id).one(conn).await? else {
        return Ok(());
    };
    let (Some(fundraiser), Some(supporter)) = (
        fundraiser::Entity::find_by_id(row.fundraiser_id)
            .one(conn)
            .await?,
        match row.supporter_id {
            Some(s) => supporter::Entity::find_by_id(s).one(conn).await?,
            None => None,
        },
    ) else {
        return Ok(());
    };
    if supporter.email.known().is_none() {
        return Ok(());
    }
    let receipt = Receipts::load(conn, &fundraiser, site)
        .await?
        .receipt(&row, &supporter);
    outbox::enqueue(conn, site, [receipt]).await.map(|_| ())
}

/// Receipts for the gifts to one fundraiser.
struct Receipts<'a> {
    fundraiser: &'a fundraiser::Model,
    organisation_name: String,
    site: &'a Site,
}

impl<'a> Receipts<'a> {
    async fn load(
        conn: &impl ConnectionTrait,
        fundraiser: &'a fundraiser::Model,
        site: &'a Site,
    ) -> Result<Self, DbErr> {
        let organisation_name = organisation::Entity::find_by_id(fundraiser.organisation_id)
            .one(conn)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        Ok(Self {
            fundraiser,
            organisation_name,
            site,
        })
    }

    fn receipt(&self, row: &donation::Model, supporter: &supporter::Model) -> OutgoingEmail {
        let locale = Locale::choose(row.locale.or(supporter.locale), &self.fundraiser.language);
        let f = self.fundraiser;
        let amount = Money::new(row.amount, row.currency).map_or_else(
            |_| format!("{} {}", row.amount, row.currency),
            |m| money_text(m, locale),
        );
        let received = row.received_at.unwrap_or(row.created_at);
        OutgoingEmail {
            to_address: supporter.email.to_string(),
            to_name: row
                .donor_name
                .clone()
                .unwrap_or_else(|| supporter.name.clone()),
            template: Template::DonationReceipt,
            locale,
            context: json!({
                "fundraiser": {
                    "title": f.title,
                    "url": format!("{}/fundraisers/{}", self.site.public_url, f.slug),
                    "organisation": self.organisation_name,
                },
                "donation": {
                    "amount": amount,
                    "date": crate::email::render::date_text(received, locale),
                    "method": row.method,
                    "monthly": row.frequency == Frequency::Monthly,
                    "renewal": row.parent_id.is_some(),
                    "reference": row.id.to_string(),
                    "message": row.message,
                },
            }),
            calendar: None,
            unsubscribe_url: None,
            organisation_id: Some(f.organisation_id),
        }
    }
}

/// What the pages after Checkout show about a donation, if the link is good.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AfterCheckout {
    pub locale: &'static str,
    pub title: String,
    pub fundraiser_url: String,
    pub amount: String,
    pub status: &'static str,
    pub monthly: bool,
    pub donor_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gift_names_every_bad_field() {
        let gift = Gift {
            amount: Amount::new(0, "GBP"),
            email: "not an address".into(),
            name: " ".into(),
            anonymous: false,
            message: None,
            frequency: Frequency::OneTime,
            locale: Some("xx".into()),
            subscribe: false,
            source: Some("news\u{7}letter".into()),
        };
        let fields: Vec<String> = DonateForm::parse(gift)
            .unwrap_err()
            .0
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields.len(), 5, "{fields:?}");
        for field in ["amount.amount", "email", "name", "source"] {
            assert!(fields.iter().any(|f| f == field), "{fields:?}");
        }
    }
}
