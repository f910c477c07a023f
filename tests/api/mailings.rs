//! Mailings (issue 19, points 2 and 3): an organiser writes to those who consented
//! to hear from the organisation (or to an event's attendees), sees how many it will
//! reach, tries it on themselves, sends it now or later, and follows what became of
//! it; each supporter reads it in their language, with a one-click unsubscribe that
//! ends their consent to that organisation only.

use reqwest::Method;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::Expr,
};
use serde_json::{Value, json};

use crate::consent::{confirm_subscription, join, one_click_unsubscribe};
use crate::helpers::*;
use crate::mail_feedback::{TOKEN as FEEDBACK_TOKEN, dsn, post_feedback};
use crate::pages::{open_fundraiser, open_petition, path_of, submit};
use crate::petitions::sign;
use crate::smtp::Received;
use entity::domain::{Email, Locale};

const SUBJECT_EN: &str = "News from the picket line";
const SUBJECT_ES: &str = "Noticias del piquete";
const SUBJECT_FR: &str = "Nouvelles du piquet";

/// An app that takes bounce reports (for the `bounced` figure).
async fn spawn() -> TestApp {
    spawn_app_configured(|config| config.feedback_token = Some(FEEDBACK_TOKEN.into())).await
}

/// A mailing of `organisation` to `audience`, written in English and Spanish.
fn letter(organisation: &str, audience: Value) -> Value {
    json!({
        "organisation": organisation,
        "audience": audience,
        "subject": { "en": SUBJECT_EN, "es": SUBJECT_ES },
        "body": {
            "en": "Dear friends,\n\nThe strike holds: **day 12**.",
            "es": "Queridos amigos:\n\nLa huelga sigue: **día 12**.",
        },
    })
}

fn subscribers() -> Value {
    json!({ "kind": "subscribers" })
}

/// `POST /api/v1/mailings`; the reply.
async fn create(app: &TestApp, token: &str, body: &Value) -> Reply {
    app.post_json("/api/v1/mailings", token, body).await
}

/// A draft made from `body`, which must be accepted.
async fn draft(app: &TestApp, token: &str, body: Value) -> Value {
    create(app, token, &body).await.expect(201).clone()
}

async fn mailing(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/mailings/{id}"), token)
        .await
        .expect(200)
        .clone()
}

/// `POST /api/v1/mailings/{id}/{action}` with `body`; the reply.
async fn act(app: &TestApp, token: &str, id: &str, action: &str, body: Value) -> Reply {
    app.post_json(&format!("/api/v1/mailings/{id}/{action}"), token, &body)
        .await
}

/// Send the mailing now; it must be accepted.
async fn send_now(app: &TestApp, token: &str, id: &str) -> Value {
    act(app, token, id, "send", json!({}))
        .await
        .expect(200)
        .clone()
}

/// How many the draft `body` would reach now.
async fn reach(app: &TestApp, token: &str, organisation: &str, audience: Value) -> i64 {
    let made = draft(app, token, letter(organisation, audience)).await;
    made["recipients"]
        .as_i64()
        .unwrap_or_else(|| panic!("recipients is a number: {made}"))
}

/// The figures a mailing reports, in one tuple to compare.
fn figures(mailing: &Value) -> (Value, Value, Value, Value, Value) {
    (
        mailing["recipients"].clone(),
        mailing["sent"].clone(),
        mailing["failed"].clone(),
        mailing["bounced"].clone(),
        mailing["unsubscribed"].clone(),
    )
}

/// The emails of a mailing (by any of its subjects) that `address` received.
fn letters_to(app: &TestApp, address: &str) -> Vec<Received> {
    app.smtp
        .to(address)
        .into_iter()
        .filter(|e| is_letter(&e.subject()))
        .collect()
}

fn is_letter(subject: &str) -> bool {
    [SUBJECT_EN, SUBJECT_ES, SUBJECT_FR]
        .iter()
        .any(|s| subject.ends_with(s))
}

/// Everyone who received a mailing's email, sorted.
fn letter_recipients(app: &TestApp) -> Vec<String> {
    let mut to: Vec<String> = app
        .smtp
        .all()
        .into_iter()
        .filter(|e| is_letter(&e.subject()))
        .flat_map(|e| e.envelope_to)
        .collect();
    to.sort();
    to
}

/// `email` joins `slug`'s list and follows the emailed link.
async fn subscribed(app: &TestApp, slug: &str, email: &str) {
    join(app, slug, json!({ "email": email, "name": name_of(email) }))
        .await
        .expect(202);
    confirm_subscription(app, email).await;
}

/// The one-click unsubscribe URL of an email, from its `List-Unsubscribe` header.
fn unsubscribe_url(email: &Received) -> String {
    let header = email
        .header("List-Unsubscribe")
        .unwrap_or_else(|| panic!("no List-Unsubscribe in:\n{}", email.header_block()));
    header.trim().trim_matches(['<', '>']).to_owned()
}

/// The address in an email's `Reply-To` (whatever name goes with it).
fn reply_to(email: &Received) -> String {
    let header = email.header("Reply-To").unwrap_or_default();
    match (header.rfind('<'), header.rfind('>')) {
        (Some(start), Some(end)) if start < end => header[start + 1..end].to_owned(),
        _ => header.trim().to_owned(),
    }
}

/// The organisation's row, as a test sets up what the console's settings page sets.
async fn set_organisation(app: &TestApp, slug: &str, language: Locale, contact: Option<&str>) {
    let db = app.database().await;
    entity::organisation::Entity::update_many()
        .col_expr(
            entity::organisation::Column::Language,
            Expr::value(language),
        )
        .col_expr(
            entity::organisation::Column::ContactEmail,
            Expr::value(contact.map(|c| Email::parse(c).expect("a contact address"))),
        )
        .filter(entity::organisation::Column::Slug.eq(slug))
        .exec(&db)
        .await
        .expect("the organisation's settings changed");
    let _ = db.close().await;
}

/// Someone to seed straight into the database with an active consent.
pub(crate) struct Consenting {
    pub email: String,
    /// The language the supporter chose, if any.
    pub locale: Option<Locale>,
    /// The language of the form they consented on.
    pub consent_locale: Locale,
}

/// Supporters with an active, confirmed consent to `organisation` (by slug), written
/// straight into the database a few hundred at a time, as if each had joined and
/// followed the link: for tests about thousands of recipients, not about joining.
pub(crate) async fn seed_consenting(
    db: &DatabaseConnection,
    organisation: &str,
    people: &[Consenting],
) {
    let org = entity::organisation::Entity::find()
        .filter(entity::organisation::Column::Slug.eq(organisation))
        .one(db)
        .await
        .expect("the organisations table reads")
        .expect("the organisation exists");
    let now = chrono::Utc::now();
    for chunk in people.chunks(500) {
        let mut supporters = Vec::with_capacity(chunk.len());
        let mut consents = Vec::with_capacity(chunk.len());
        for person in chunk {
            let id = uuid::Uuid::now_v7();
            let email = Email::parse(&person.email).expect("a valid address");
            supporters.push(entity::supporter::ActiveModel {
                id: Set(id),
                email_key: Set(person.email.to_lowercase()),
                email: Set(email.into()),
                name: Set(name_of(&person.email)),
                locale: Set(person.locale),
                subscribed: Set(false),
                unsubscribed_at: Set(None),
                feed_token: Set(id.to_string()),
                erased_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
            consents.push(entity::consent::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                organisation_id: Set(org.id),
                supporter_id: Set(id),
                status: Set(entity::values::ConsentStatus::Active),
                words: Set(format!("Send me news from {} by email", org.name)),
                form: Set(entity::values::ConsentForm::Join),
                source: Set(None),
                locale: Set(person.consent_locale),
                asked_at: Set(now),
                confirmed_at: Set(Some(now)),
                withdrawn_at: Set(None),
            });
        }
        let txn = db.begin().await.expect("a transaction");
        entity::supporter::Entity::insert_many(supporters)
            .exec(&txn)
            .await
            .expect("supporters seeded");
        entity::consent::Entity::insert_many(consents)
            .exec(&txn)
            .await
            .expect("consents seeded");
        txn.commit().await.expect("the seed committed");
    }
}

// --- drafts --------------------------------------------------------------------------------

#[tokio::test]
async fn a_draft_says_how_many_it_would_reach_and_sends_nothing() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    subscribed(&app, "lrbc", "ana@example.org").await;
    subscribed(&app, "lrbc", "bo@example.org").await;
    // Asked, never confirmed: not counted.
    join(&app, "lrbc", json!({ "email": "cy@example.org" }))
        .await
        .expect(202);

    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    assert_eq!(made["status"], "draft", "{made}");
    assert_eq!(made["organisation"], "lrbc");
    assert_eq!(made["audience"]["kind"], "subscribers");
    assert_eq!(made["subject"]["en"], SUBJECT_EN);
    assert_eq!(made["subject"]["es"], SUBJECT_ES);
    assert!(made["subject"]["fr"].is_null(), "{made}");
    assert_eq!(
        made["body"]["es"],
        "Queridos amigos:\n\nLa huelga sigue: **día 12**."
    );
    assert_eq!(made["reply_to"], Value::Null);
    assert_eq!(made["send_at"], Value::Null);
    assert_eq!(
        figures(&made),
        (json!(2), json!(0), json!(0), json!(0), json!(0))
    );
    assert!(
        made["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert!(made["updated_at"].is_string());

    // Read back as made; and the count follows the audience as it grows.
    let id = id_of(&made).to_owned();
    let read = mailing(&app, &token, &id).await;
    assert_eq!(read["subject"], made["subject"]);
    subscribed(&app, "lrbc", "dee@example.org").await;
    assert_eq!(mailing(&app, &token, &id).await["recipients"], 3);

    app.deliver_emails().await;
    assert_eq!(letter_recipients(&app), Vec::<String>::new());

    let listed = items(
        app.get("/api/v1/mailings?organisation=lrbc", &token)
            .await
            .expect(200),
    );
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(id_of(&listed[0]), id);
}

#[tokio::test]
async fn a_draft_is_refused_naming_each_bad_field() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    let base = letter("lrbc", subscribers());

    // A language with a subject needs a body, and the reverse.
    let mut no_body = base.clone();
    no_body["body"] = json!({ "en": "Dear friends" });
    create(&app, &token, &no_body)
        .await
        .expect_invalid("body.es");
    let mut no_subject = base.clone();
    no_subject["body"]["fr"] = json!("Chers amis");
    create(&app, &token, &no_subject)
        .await
        .expect_invalid("subject.fr");
    // At least one language.
    let mut nothing = base.clone();
    nothing["subject"] = json!({});
    nothing["body"] = json!({});
    let refused = create(&app, &token, &nothing).await;
    refused.expect_problem(422);
    assert!(!refused.error_fields().is_empty(), "{}", refused.text);
    // A blank subject is no subject.
    let mut blank = base.clone();
    blank["subject"]["en"] = json!("   ");
    create(&app, &token, &blank)
        .await
        .expect_invalid("subject.en");

    // A subject is one line: no header smuggled in after it.
    let mut two_lines = base.clone();
    two_lines["subject"]["en"] = json!("Hello\r\nBcc: everyone@example.org");
    create(&app, &token, &two_lines)
        .await
        .expect_invalid("subject.en");
    let mut too_long = base.clone();
    too_long["body"]["es"] = json!("a".repeat(100_001));
    create(&app, &token, &too_long)
        .await
        .expect_invalid("body.es");

    let mut bad_reply_to = base.clone();
    bad_reply_to["reply_to"] = json!("not an address");
    create(&app, &token, &bad_reply_to)
        .await
        .expect_invalid("reply_to");
    let mut typo = base.clone();
    typo["subjet"] = json!({ "en": "x" });
    create(&app, &token, &typo).await.expect_problem(422);

    let event = app.event_with_seats(&token, json!({})).await;
    let bad_status = letter(
        "lrbc",
        json!({ "kind": "event_attendees", "event": id_of(&event), "statuses": ["cancelled"] }),
    );
    create(&app, &token, &bad_status).await.expect_problem(422);
    let no_such_event = letter(
        "lrbc",
        json!({ "kind": "event_attendees", "event": "no-such-event" }),
    );
    create(&app, &token, &no_such_event)
        .await
        .expect_problem_among(&[404, 422]);
    let strange_kind = letter("lrbc", json!({ "kind": "everyone" }));
    create(&app, &token, &strange_kind)
        .await
        .expect_problem_among(&[400, 422]);

    // Nothing was made.
    let listed = items(
        app.get("/api/v1/mailings?organisation=lrbc", &token)
            .await
            .expect(200),
    );
    assert_eq!(listed, Vec::<Value>::new());
}

#[tokio::test]
async fn only_a_draft_is_changed_or_deleted() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    subscribed(&app, "lrbc", "ana@example.org").await;
    let event = app.event_with_seats(&token, json!({})).await;
    for email in ["bo@example.org", "cy@example.org"] {
        app.rsvp(id_of(&event), email, json!({})).await.expect(201);
    }
    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    let id = id_of(&made).to_owned();
    let path = format!("/api/v1/mailings/{id}");

    let changed = app
        .patch_json(
            &path,
            &token,
            &json!({
                "subject": { "en": "Day 13" },
                "body": { "en": "Still out." },
                "audience": { "kind": "event_attendees", "event": id_of(&event) },
                "reply_to": "press@lrbc.example.org",
            }),
        )
        .await;
    let changed = changed.expect(200);
    assert_eq!(changed["subject"], json!({ "en": "Day 13" }), "{changed}");
    assert_eq!(changed["reply_to"], "press@lrbc.example.org");
    assert_eq!(changed["recipients"], 2, "the event's two attendees");
    assert_eq!(mailing(&app, &token, &id).await["subject"]["en"], "Day 13");
    // A change is checked as a new draft is.
    app.patch_json(&path, &token, &json!({ "body": { "en": "x", "fr": "y" } }))
        .await
        .expect_invalid("subject.fr");

    // Deleted, it is gone.
    let other = draft(&app, &token, letter("lrbc", subscribers())).await;
    let other_path = format!("/api/v1/mailings/{}", id_of(&other));
    app.delete(&other_path, &token).await.expect(204);
    app.get(&other_path, &token).await.expect_problem(404);

    // Once sent, it stays as it went.
    send_now(&app, &token, &id).await;
    app.patch_json(
        &path,
        &token,
        &json!({ "subject": { "en": "Too late" }, "body": { "en": "x" } }),
    )
    .await
    .expect_problem(409);
    app.delete(&path, &token).await.expect_problem(409);
    act(&app, &token, &id, "send", json!({}))
        .await
        .expect_problem(409);
    app.deliver_emails().await;
    assert_eq!(mailing(&app, &token, &id).await["subject"]["en"], "Day 13");
    app.delete(&path, &token).await.expect_problem(409);
    act(&app, &token, &id, "cancel", json!({}))
        .await
        .expect_problem(409);
}

// --- trying it out ---------------------------------------------------------------------------

#[tokio::test]
async fn a_test_goes_only_to_a_member_once_for_each_language_written() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    app.owner_of("hov").await;
    subscribed(&app, "lrbc", "ana@example.org").await;
    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    let id = id_of(&made).to_owned();

    act(
        &app,
        &token,
        &id,
        "test",
        json!({ "email": "owner@lrbc.example.org" }),
    )
    .await
    .expect(202);
    app.deliver_emails().await;
    let mut subjects: Vec<String> = app
        .smtp
        .to("owner@lrbc.example.org")
        .iter()
        .map(Received::subject)
        .filter(|s| is_letter(s))
        .collect();
    subjects.sort();
    // Marked as a test, in each version's language.
    assert_eq!(
        subjects,
        [
            format!("[Prueba] {SUBJECT_ES}"),
            format!("[Test] {SUBJECT_EN}")
        ]
    );

    // Not to a subscriber, nor to a member of another organisation, nor to anyone.
    for stranger in ["ana@example.org", "owner@hov.example.org", "x@example.org"] {
        act(&app, &token, &id, "test", json!({ "email": stranger }))
            .await
            .expect_invalid("email");
    }
    app.deliver_emails().await;
    assert_eq!(
        letter_recipients(&app),
        ["owner@lrbc.example.org", "owner@lrbc.example.org"]
    );
    // A test is no sending.
    let after = mailing(&app, &token, &id).await;
    assert_eq!(after["status"], "draft");
    assert_eq!(after["sent"], 0);
}

// --- sending -----------------------------------------------------------------------------------

#[tokio::test]
async fn sent_now_each_recipient_gets_it_once_and_the_mailing_says_so() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    let people = ["ana@example.org", "bo@example.org", "cy@example.org"];
    for email in people {
        subscribed(&app, "lrbc", email).await;
    }
    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    let id = id_of(&made).to_owned();

    let sending = send_now(&app, &token, &id).await;
    assert_eq!(sending["status"], "sending", "{sending}");
    assert_eq!(sending["recipients"], 3);
    app.deliver_emails().await;
    app.deliver_emails().await;

    assert_eq!(letter_recipients(&app), people);
    let sent = mailing(&app, &token, &id).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(
        figures(&sent),
        (json!(3), json!(3), json!(0), json!(0), json!(0))
    );
    // Someone who joins afterwards gets nothing of it.
    subscribed(&app, "lrbc", "dee@example.org").await;
    app.deliver_emails().await;
    assert!(letters_to(&app, "dee@example.org").is_empty());
}

#[tokio::test]
async fn a_scheduled_mailing_goes_when_it_is_due_and_not_before() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    subscribed(&app, "lrbc", "ana@example.org").await;
    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    let id = id_of(&made).to_owned();

    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let scheduled = act(&app, &token, &id, "send", json!({ "at": at_text }))
        .await
        .expect(200)
        .clone();
    assert_eq!(scheduled["status"], "scheduled", "{scheduled}");
    let send_at = scheduled["send_at"].as_str().expect("a send_at");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(send_at).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&at_text).unwrap()
    );
    // A scheduled mailing is no longer a draft to change.
    app.patch_json(
        &format!("/api/v1/mailings/{id}"),
        &token,
        &json!({ "subject": { "en": "x", "es": "y" } }),
    )
    .await
    .expect_problem(409);

    app.deliver_emails().await;
    assert!(letters_to(&app, "ana@example.org").is_empty(), "not yet");
    assert_eq!(mailing(&app, &token, &id).await["status"], "scheduled");

    let wait = (at - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(300)).await;
    app.deliver_emails().await;
    app.deliver_emails().await;
    assert_eq!(letters_to(&app, "ana@example.org").len(), 1);
    let sent = mailing(&app, &token, &id).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(sent["sent"], 1);
}

#[tokio::test]
async fn a_cancelled_mailing_sends_what_was_not_yet_sent_to_nobody() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    for email in ["ana@example.org", "bo@example.org"] {
        subscribed(&app, "lrbc", email).await;
    }
    // Scheduled, then cancelled before it is due.
    let later = draft(&app, &token, letter("lrbc", subscribers())).await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    act(&app, &token, id_of(&later), "send", json!({ "at": at }))
        .await
        .expect(200);
    let cancelled = act(&app, &token, id_of(&later), "cancel", json!({}))
        .await
        .expect(200)
        .clone();
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");

    // Queued now, then cancelled before the worker came round.
    let now = draft(&app, &token, letter("lrbc", subscribers())).await;
    send_now(&app, &token, id_of(&now)).await;
    let cancelled = act(&app, &token, id_of(&now), "cancel", json!({}))
        .await
        .expect(200)
        .clone();
    assert_eq!(cancelled["status"], "cancelled");

    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    app.deliver_emails().await;
    app.deliver_emails().await;
    assert_eq!(letter_recipients(&app), Vec::<String>::new());
    for id in [id_of(&later), id_of(&now)] {
        let read = mailing(&app, &token, id).await;
        assert_eq!(read["status"], "cancelled", "{read}");
        assert_eq!(read["sent"], 0);
        // Cancelled stays cancelled.
        act(&app, &token, id, "send", json!({}))
            .await
            .expect_problem(409);
    }
    // The outbox shows no failure for what was called off.
    assert_eq!(app.outbox(&token, "failed").await, Vec::<Value>::new());
}

#[tokio::test]
async fn the_figures_count_what_was_sent_failed_bounced_and_unsubscribed() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    let people = [
        "ana@example.org",
        "bo@example.org",
        "cy@example.org",
        "dee@example.org",
    ];
    for email in people {
        subscribed(&app, "lrbc", email).await;
    }
    // Dee's server refuses her mail for good.
    app.smtp.refuse("dee@example.org");
    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    let id = id_of(&made).to_owned();
    send_now(&app, &token, &id).await;
    app.deliver_emails().await;
    app.deliver_emails().await;
    assert_eq!(
        figures(&mailing(&app, &token, &id).await),
        (json!(4), json!(3), json!(1), json!(0), json!(0))
    );

    // Bo's mail server bounces it later.
    let to_bo = letters_to(&app, "bo@example.org");
    assert_eq!(to_bo.len(), 1);
    let report = dsn(
        "bo@example.org",
        "failed",
        "5.1.1",
        &format!("<{}>", to_bo[0].message_id()),
    );
    post_feedback(&app, &report, Some(FEEDBACK_TOKEN))
        .await
        .expect(200);
    // Cy unsubscribes from it, in one click.
    let to_cy = letters_to(&app, "cy@example.org");
    one_click_unsubscribe(&app, &unsubscribe_url(&to_cy[0]))
        .await
        .expect(200);

    let read = mailing(&app, &token, &id).await;
    assert_eq!(read["status"], "sent", "{read}");
    assert_eq!(
        figures(&read),
        (json!(4), json!(3), json!(1), json!(1), json!(1))
    );
    // The next mailing reaches only Ana: Bo and Dee are suppressed, Cy left.
    assert_eq!(reach(&app, &token, "lrbc", subscribers()).await, 1);
}

// --- who may -------------------------------------------------------------------------------------

#[tokio::test]
async fn only_the_organisations_organisers_see_and_send_its_mailings() {
    let app = spawn().await;
    let owner = app.owner_of("lrbc").await;
    let stranger = app.owner_of("hov").await;
    let viewer = app
        .member(&owner, "lrbc", "vera@example.org", "viewer")
        .await;
    subscribed(&app, "lrbc", "ana@example.org").await;
    let made = draft(&app, &owner, letter("lrbc", subscribers())).await;
    let id = id_of(&made).to_owned();
    let path = format!("/api/v1/mailings/{id}");
    let change = json!({ "subject": { "en": "Hijacked" }, "body": { "en": "x" } });
    let test = json!({ "email": "owner@hov.example.org" });

    // Another organisation's organiser: it does not exist.
    app.get(&path, &stranger).await.expect_problem(404);
    app.patch_json(&path, &stranger, &change)
        .await
        .expect_problem(404);
    app.delete(&path, &stranger).await.expect_problem(404);
    for (action, body) in [
        ("send", json!({})),
        ("test", test.clone()),
        ("cancel", json!({})),
    ] {
        act(&app, &stranger, &id, action, body)
            .await
            .expect_problem(404);
    }
    create(&app, &stranger, &letter("lrbc", subscribers()))
        .await
        .expect_problem_among(&[403, 404]);
    let theirs = app
        .get("/api/v1/mailings?organisation=hov", &stranger)
        .await;
    assert_eq!(items(theirs.expect(200)), Vec::<Value>::new());
    app.get("/api/v1/mailings?organisation=lrbc", &stranger)
        .await
        .expect_problem_among(&[403, 404]);

    // A viewer reads, and changes nothing.
    assert_eq!(mailing(&app, &viewer, &id).await["status"], "draft");
    create(&app, &viewer, &letter("lrbc", subscribers()))
        .await
        .expect_problem(403);
    app.patch_json(&path, &viewer, &change)
        .await
        .expect_problem(403);
    app.delete(&path, &viewer).await.expect_problem(403);
    for (action, body) in [
        ("send", json!({})),
        ("test", json!({ "email": "vera@example.org" })),
        ("cancel", json!({})),
    ] {
        act(&app, &viewer, &id, action, body)
            .await
            .expect_problem(403);
    }

    // Nobody signed in.
    app.get_public(&path).await.expect_problem(401);
    app.get_public("/api/v1/mailings?organisation=lrbc")
        .await
        .expect_problem(401);
    app.send(
        Method::POST,
        &format!("{path}/send"),
        None,
        Some(&json!({})),
        None,
    )
    .await
    .expect_problem(401);
    app.send(
        Method::POST,
        "/api/v1/mailings",
        None,
        Some(&letter("lrbc", subscribers())),
        None,
    )
    .await
    .expect_problem(401);

    app.deliver_emails().await;
    assert_eq!(letter_recipients(&app), Vec::<String>::new());
    let read = mailing(&app, &owner, &id).await;
    assert_eq!(read["status"], "draft");
    assert_eq!(read["subject"]["en"], SUBJECT_EN);
}

#[tokio::test]
async fn the_same_idempotency_key_makes_one_draft() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    let body = letter("lrbc", subscribers());
    let first = app
        .post_json_once("/api/v1/mailings", &token, "mailing-1", &body)
        .await
        .expect(201)
        .clone();
    let again = app
        .post_json_once("/api/v1/mailings", &token, "mailing-1", &body)
        .await
        .expect(201)
        .clone();
    assert_eq!(id_of(&first), id_of(&again));
    let listed = items(
        app.get("/api/v1/mailings?organisation=lrbc", &token)
            .await
            .expect(200),
    );
    assert_eq!(listed.len(), 1);
}

// --- audiences -----------------------------------------------------------------------------------

/// `email` signs `petition`, ticking the box if `subscribe`, and follows the
/// emailed link to confirm the signature.
async fn signed(app: &TestApp, petition: &Value, email: &str, subscribe: bool) {
    sign(
        app,
        id_of(petition),
        email,
        json!({ "subscribe": subscribe }),
    )
    .await
    .expect(202);
    let link = app
        .emailed_link(email, "http://127.0.0.1/signatures/confirm/")
        .await;
    let confirmed = submit(app, &path_of(&link), &[]).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
}

/// The supporter `email` as `token`'s organisation knows them: their id.
async fn supporter_id(app: &TestApp, token: &str, email: &str) -> String {
    let found = app
        .get_with_query("/api/v1/supporters", Some(token), &[("email", email)])
        .await;
    id_of(&items(found.expect(200))[0]).to_owned()
}

/// Send `audience`'s mailing now and deliver it; who received it.
async fn sent_to(app: &TestApp, token: &str, organisation: &str, audience: Value) -> Vec<String> {
    let made = draft(app, token, letter(organisation, audience)).await;
    send_now(app, token, id_of(&made)).await;
    app.deliver_emails().await;
    app.deliver_emails().await;
    letter_recipients(app)
}

#[tokio::test]
async fn consent_given_to_one_organisation_reaches_nobody_through_another() {
    let app = spawn().await;
    let a = app.owner_of("lrbc").await;
    let b = app.owner_of("hov").await;
    subscribed(&app, "lrbc", "ana@example.org").await;
    subscribed(&app, "hov", "ben@example.org").await;
    // Both signed B's petition; only Ben asked to hear from B (before).
    let petition = open_petition(&app, &b, json!({})).await;
    signed(&app, &petition, "ana@example.org", false).await;
    signed(&app, &petition, "ben@example.org", false).await;

    assert_eq!(reach(&app, &a, "lrbc", subscribers()).await, 1);
    assert_eq!(reach(&app, &b, "hov", subscribers()).await, 1);
    let signers = json!({ "kind": "petition_signers", "petition": id_of(&petition) });
    assert_eq!(reach(&app, &b, "hov", signers.clone()).await, 1);
    assert_eq!(sent_to(&app, &b, "hov", signers).await, ["ben@example.org"]);
}

#[tokio::test]
async fn a_consent_not_yet_confirmed_reaches_nobody() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    subscribed(&app, "lrbc", "ana@example.org").await;
    // Cy asked to join and never followed the link.
    join(&app, "lrbc", json!({ "email": "cy@example.org" }))
        .await
        .expect(202);
    // Dee ticked the box on a signature she never confirmed.
    let petition = open_petition(&app, &token, json!({})).await;
    sign(
        &app,
        id_of(&petition),
        "dee@example.org",
        json!({ "subscribe": true }),
    )
    .await
    .expect(202);
    app.deliver_emails().await;

    let signers = json!({ "kind": "petition_signers", "petition": id_of(&petition) });
    assert_eq!(reach(&app, &token, "lrbc", signers).await, 0);
    assert_eq!(reach(&app, &token, "lrbc", subscribers()).await, 1);
    assert_eq!(
        sent_to(&app, &token, "lrbc", subscribers()).await,
        ["ana@example.org"]
    );
}

#[tokio::test]
async fn petition_signers_are_the_signers_who_consented() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({})).await;
    let other = open_petition(&app, &token, json!({ "title": "Another petition" })).await;
    // Signed and asked to hear more: in.
    signed(&app, &petition, "ana@example.org", true).await;
    // Signed without the box: out.
    signed(&app, &petition, "ben@example.org", false).await;
    // Subscribed, but never signed this one: out.
    subscribed(&app, "lrbc", "cy@example.org").await;
    signed(&app, &other, "dee@example.org", true).await;

    // By slug as well as by id.
    let signers = json!({ "kind": "petition_signers", "petition": petition["slug"] });
    assert_eq!(reach(&app, &token, "lrbc", signers.clone()).await, 1);
    assert_eq!(
        sent_to(&app, &token, "lrbc", signers).await,
        ["ana@example.org"]
    );
}

#[tokio::test]
async fn donors_are_the_donors_who_consented() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    let fundraiser = open_fundraiser(&app, &token, json!({})).await;
    let other = open_fundraiser(&app, &token, json!({ "title": "Another fund" })).await;
    let gift = |email: &str| {
        json!({
            "amount": { "amount": 2500, "currency": "GBP" },
            "method": "cash",
            "donor_name": name_of(email),
            "donor_email": email,
            "received_at": "2026-11-20T18:00:00Z",
            "send_receipt": false,
        })
    };
    for (fund, email) in [
        (&fundraiser, "ana@example.org"),
        (&fundraiser, "ben@example.org"),
        (&other, "dee@example.org"),
    ] {
        app.post_json(
            &format!("/api/v1/fundraisers/{}/donations", id_of(fund)),
            &token,
            &gift(email),
        )
        .await
        .expect(201);
    }
    // Ana and Dee asked to hear more, Cy too but gave nothing; Ben did not.
    for email in ["ana@example.org", "cy@example.org", "dee@example.org"] {
        subscribed(&app, "lrbc", email).await;
    }

    let donors = json!({ "kind": "donors", "fundraiser": id_of(&fundraiser) });
    assert_eq!(reach(&app, &token, "lrbc", donors.clone()).await, 1);
    assert_eq!(
        sent_to(&app, &token, "lrbc", donors).await,
        ["ana@example.org"]
    );
}

#[tokio::test]
async fn an_events_attendees_are_reached_by_their_status_without_consent() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    let stranger = app.owner_of("hov").await;
    let event = app
        .event_with_seats(
            &token,
            json!({ "capacity": 1, "waitlist": true, "rsvp_mode": "approval" }),
        )
        .await;
    let rsvps = format!("/api/v1/events/{}/rsvps", id_of(&event));
    // Ana is added by the organisers (going), Ben waits for approval, Cy is approved
    // onto the waitlist, Dee is declined.
    app.post_json(
        &rsvps,
        &token,
        &json!({ "email": "ana@example.org", "name": "Ana" }),
    )
    .await
    .expect(201);
    app.rsvp(id_of(&event), "ben@example.org", json!({}))
        .await
        .expect(201);
    for (email, decision) in [
        ("cy@example.org", "approve"),
        ("dee@example.org", "decline"),
    ] {
        let rsvp = app
            .rsvp(id_of(&event), email, json!({}))
            .await
            .expect(201)
            .clone();
        app.send(
            Method::POST,
            &format!("/api/v1/rsvps/{}/{decision}", id_of(&rsvp)),
            Some(&token),
            None,
            None,
        )
        .await
        .expect(200);
    }
    app.deliver_emails().await;
    let attendees = |statuses: Option<Value>| {
        let mut audience = json!({ "kind": "event_attendees", "event": event["slug"] });
        if let Some(statuses) = statuses {
            audience["statuses"] = statuses;
        }
        audience
    };

    assert_eq!(reach(&app, &token, "lrbc", attendees(None)).await, 1);
    assert_eq!(
        reach(&app, &token, "lrbc", attendees(Some(json!(["waitlisted"])))).await,
        1
    );
    assert_eq!(
        reach(
            &app,
            &token,
            "lrbc",
            attendees(Some(json!(["pending_approval"])))
        )
        .await,
        1
    );
    let everyone = attendees(Some(json!(["going", "waitlisted", "pending_approval"])));
    assert_eq!(reach(&app, &token, "lrbc", everyone.clone()).await, 3);
    // Another organisation cannot write to this event's attendees.
    let theirs = letter(
        "hov",
        json!({ "kind": "event_attendees", "event": id_of(&event) }),
    );
    create(&app, &stranger, &theirs)
        .await
        .expect_problem_among(&[403, 404, 422]);

    assert_eq!(
        sent_to(&app, &token, "lrbc", everyone).await,
        ["ana@example.org", "ben@example.org", "cy@example.org"]
    );
}

#[tokio::test]
async fn never_an_erased_supporter_nor_a_suppressed_address() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    for email in ["ana@example.org", "bo@example.org", "cy@example.org"] {
        subscribed(&app, "lrbc", email).await;
    }
    let event = app.event_with_seats(&token, json!({})).await;
    for email in ["ana@example.org", "bo@example.org", "cy@example.org"] {
        app.rsvp(id_of(&event), email, json!({})).await.expect(201);
    }
    app.deliver_emails().await;
    // Bo asked to be erased; Cy's address bounced for good.
    let bo = supporter_id(&app, &token, "bo@example.org").await;
    app.delete(&format!("/api/v1/supporters/{bo}"), &token)
        .await
        .expect(204);
    let to_cy = app.smtp.last_to("cy@example.org");
    post_feedback(
        &app,
        &dsn(
            "cy@example.org",
            "failed",
            "5.1.1",
            &format!("<{}>", to_cy.message_id()),
        ),
        Some(FEEDBACK_TOKEN),
    )
    .await
    .expect(200);

    let attendees = json!({ "kind": "event_attendees", "event": id_of(&event) });
    assert_eq!(reach(&app, &token, "lrbc", subscribers()).await, 1);
    assert_eq!(reach(&app, &token, "lrbc", attendees.clone()).await, 1);
    assert_eq!(
        sent_to(&app, &token, "lrbc", attendees).await,
        ["ana@example.org"]
    );
}

// --- the email ---------------------------------------------------------------------------------

#[tokio::test]
async fn each_email_carries_one_click_unsubscribe_list_id_and_reply_to() {
    let app = spawn().await;
    let a = app.owner_of("lrbc").await;
    let b = app.owner_of("hov").await;
    set_organisation(&app, "lrbc", Locale::En, Some("hello@lrbc.example.org")).await;
    for slug in ["lrbc", "hov"] {
        subscribed(&app, slug, "ana@example.org").await;
    }
    let mut body = letter("lrbc", subscribers());
    body["body"]["en"] = json!(
        "Dear friends,\n\nThe strike holds: **day 12**.\n\n<script>alert(1)</script>\n\n[Donate](https://lrbc.example.org/give)"
    );
    let first = draft(&app, &a, body).await;
    send_now(&app, &a, id_of(&first)).await;
    app.deliver_emails().await;

    let email = letters_to(&app, "ana@example.org")
        .pop()
        .expect("the mailing");
    assert_eq!(email.subject(), SUBJECT_EN);
    assert_eq!(
        reply_to(&email),
        "hello@lrbc.example.org",
        "{}",
        email.header_block()
    );
    assert_eq!(
        email.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(
        email.header("List-Id").is_some_and(|id| !id.is_empty()),
        "{}",
        email.header_block()
    );
    let link = unsubscribe_url(&email);
    assert!(link.starts_with("http://127.0.0.1/"), "{link}");
    // Both parts, the Markdown rendered and made safe.
    let text = email.text();
    assert!(text.contains("The strike holds"), "{text}");
    let html = email.html();
    assert!(html.contains("<strong>day 12</strong>"), "{html}");
    assert!(
        html.contains("href=\"https://lrbc.example.org/give\""),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");

    // A mailing's own reply_to goes before the organisation's address.
    let mut press = letter("lrbc", subscribers());
    press["reply_to"] = json!("press@lrbc.example.org");
    let made = draft(&app, &a, press).await;
    send_now(&app, &a, id_of(&made)).await;
    app.deliver_emails().await;
    let second = letters_to(&app, "ana@example.org").pop().unwrap();
    assert_eq!(reply_to(&second), "press@lrbc.example.org");

    // One click (RFC 8058) ends her consent to LRBC, and to LRBC only.
    one_click_unsubscribe(&app, &link).await.expect(200);
    assert_eq!(reach(&app, &a, "lrbc", subscribers()).await, 0);
    assert_eq!(reach(&app, &b, "hov", subscribers()).await, 1);
    // Clicking again changes nothing and fails nothing.
    one_click_unsubscribe(&app, &link).await.expect(200);
    assert_eq!(mailing(&app, &a, id_of(&first)).await["unsubscribed"], 1);
    let read = mailing(&app, &a, id_of(&made)).await;
    assert_eq!(read["unsubscribed"], 0, "she left from the first mailing");
}

#[tokio::test]
async fn each_recipient_reads_it_in_their_language_or_the_best_written() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    set_organisation(&app, "lrbc", Locale::Es, None).await;
    let db = app.database().await;
    let person = |email: &str, locale, consent_locale| Consenting {
        email: email.into(),
        locale,
        consent_locale,
    };
    seed_consenting(
        &db,
        "lrbc",
        &[
            // Her choice goes before the form's language.
            person("ana@example.org", Some(Locale::Es), Locale::En),
            // No choice: the language of the form she consented on.
            person("ben@example.org", None, Locale::En),
            // French, not written: the organisation's language.
            person("cy@example.org", Some(Locale::Fr), Locale::Fr),
        ],
    )
    .await;
    let _ = db.close().await;
    let language_of = |app: &TestApp, email: &str| {
        let letters = letters_to(app, email);
        assert_eq!(letters.len(), 1, "one email to {email}");
        match letters[0].subject().as_str() {
            SUBJECT_EN => "en",
            SUBJECT_ES => "es",
            SUBJECT_FR => "fr",
            other => panic!("{other}"),
        }
    };

    // Written in English and Spanish; the organisation writes in Spanish.
    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    assert_eq!(made["recipients"], 3);
    send_now(&app, &token, id_of(&made)).await;
    app.deliver_emails().await;
    assert_eq!(language_of(&app, "ana@example.org"), "es");
    assert_eq!(language_of(&app, "ben@example.org"), "en");
    assert_eq!(language_of(&app, "cy@example.org"), "es");
    let ben = letters_to(&app, "ben@example.org").pop().unwrap();
    assert!(ben.text().contains("The strike holds"), "{}", ben.text());
    let ana = letters_to(&app, "ana@example.org").pop().unwrap();
    assert!(ana.text().contains("La huelga sigue"), "{}", ana.text());

    // Written in Spanish and French, the organisation writing in English: whoever
    // wants English gets the first written (Spanish).
    set_organisation(&app, "lrbc", Locale::En, None).await;
    let made = draft(
        &app,
        &token,
        json!({
            "organisation": "lrbc",
            "audience": subscribers(),
            "subject": { "es": SUBJECT_ES, "fr": SUBJECT_FR },
            "body": { "es": "La huelga sigue.", "fr": "La grève continue." },
        }),
    )
    .await;
    send_now(&app, &token, id_of(&made)).await;
    app.deliver_emails().await;
    let second = |email: &str| {
        letters_to(&app, email)
            .last()
            .map(Received::subject)
            .unwrap_or_default()
    };
    assert_eq!(second("ana@example.org"), SUBJECT_ES);
    assert_eq!(second("ben@example.org"), SUBJECT_ES);
    assert_eq!(second("cy@example.org"), SUBJECT_FR);
    let cy = letters_to(&app, "cy@example.org").pop().unwrap();
    assert!(cy.text().contains("La grève continue"), "{}", cy.text());
}

// --- racing, cancelling mid-way, changing one's mind -------------------------------------------

/// `count` supporters `{prefix}{i}@example.org`, each with an active consent to
/// `organisation`, written straight into the database.
async fn seeded(app: &TestApp, organisation: &str, prefix: &str, count: usize) -> Vec<String> {
    let people: Vec<Consenting> = (0..count)
        .map(|i| Consenting {
            email: format!("{prefix}{i}@example.org"),
            locale: None,
            consent_locale: Locale::En,
        })
        .collect();
    let db = app.database().await;
    seed_consenting(&db, organisation, &people).await;
    let _ = db.close().await;
    people.into_iter().map(|p| p.email).collect()
}

/// A `turnout worker` process sending at most `rate` emails a second (0: no limit).
fn worker_at(app: &TestApp, rate: u32) -> KillOnDrop {
    KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_turnout"))
            .arg("worker")
            .env("TURNOUT_DATABASE_URL", &app.database_url)
            .env("TURNOUT_PUBLIC_URL", "http://127.0.0.1")
            .env("TURNOUT_SMTP_URL", app.smtp.url())
            .env("TURNOUT_MAIL_RATE", rate.to_string())
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("turnout worker starts"),
    )
}

/// Poll `check` until it holds; panics naming `what` after `limit`.
async fn eventually<F, Fut>(what: &str, limit: std::time::Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// How many emails with `subject` each address received.
fn received_by_address(app: &TestApp, subject: &str) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for email in app.smtp.all() {
        if email.subject() == subject {
            for to in email.envelope_to {
                *counts.entry(to).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// Cancelled while its emails are going out (a worker throttled to 20 a second):
/// what went stays sent, the rest never goes, not even what a worker had already
/// taken from the queue, and the mailing counts what went.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_while_sending_what_was_not_yet_sent_never_goes() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    seeded(&app, "lrbc", "p", 200).await;
    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    let id = id_of(&made).to_owned();
    send_now(&app, &token, &id).await;

    let _worker = worker_at(&app, 20);
    eventually(
        "the first emails out",
        std::time::Duration::from_secs(15),
        || async { app.smtp.count() >= 10 },
    )
    .await;
    let cancelled = act(&app, &token, &id, "cancel", json!({}))
        .await
        .expect(200)
        .clone();
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    let at_cancel = app.smtp.count();
    // Longer than a worker's batch (64) takes at 20 a second.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let arrived = app.smtp.count();
    assert!(
        arrived <= at_cancel + 8,
        "{} more arrived after the cancel ({at_cancel} before it)",
        arrived - at_cancel
    );
    assert!(arrived < 200);

    let read = mailing(&app, &token, &id).await;
    assert_eq!(read["status"], "cancelled", "{read}");
    assert_eq!(read["sent"], arrived, "{read}");
    assert_eq!(read["failed"], 0, "{read}");
    assert_eq!(app.outbox(&token, "failed").await, Vec::<Value>::new());
}

/// Two clicks on "send", on two servers at once: one sends, the other is told it
/// was sent already, and each recipient gets one email.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clicks_on_send_through_two_servers_send_it_once() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    let people = seeded(&app, "lrbc", "p", 300).await;
    let other = app.another_server().await;
    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    let id = id_of(&made).to_owned();

    let click = |base: String| {
        let request = app
            .client
            .post(format!("{base}/api/v1/mailings/{id}/send"))
            .bearer_auth(&token)
            .json(&json!({}));
        async move { reply(request).await }
    };
    let (first, second) = tokio::join!(click(app.address.clone()), click(other.address.clone()));
    let mut statuses = [first.status.as_u16(), second.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{}\n{}", first.text, second.text);

    app.deliver_emails().await;
    app.deliver_emails().await;
    let counts = received_by_address(&app, SUBJECT_EN);
    assert_eq!(counts.len(), people.len());
    assert!(counts.values().all(|&n| n == 1), "someone got it twice");
    let read = mailing(&app, &token, &id).await;
    assert_eq!(
        (&read["recipients"], &read["sent"]),
        (&json!(300), &json!(300))
    );
}

/// A scheduled mailing goes to whoever consents when it is due, once each, while two
/// workers (the app's and a `turnout worker` process) race to queue it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_mailing_goes_once_each_to_who_consents_when_it_is_due() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    let people = seeded(&app, "lrbc", "p", 100).await;
    // A first mailing, so that p0 has a link to leave by.
    let first = draft(&app, &token, letter("lrbc", subscribers())).await;
    send_now(&app, &token, id_of(&first)).await;
    app.deliver_emails().await;
    let to_p0 = letters_to(&app, "p0@example.org");

    let later = "Tomorrow's picket";
    let made = draft(
        &app,
        &token,
        json!({
            "organisation": "lrbc",
            "audience": subscribers(),
            "subject": { "en": later },
            "body": { "en": "Bring a flask." },
        }),
    )
    .await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    act(&app, &token, id_of(&made), "send", json!({ "at": at }))
        .await
        .expect(200);
    // p0 leaves before it is due.
    one_click_unsubscribe(&app, &unsubscribe_url(&to_p0[0]))
        .await
        .expect(200);

    let _worker = worker_at(&app, 0);
    let racing = {
        let worker = app.worker.clone();
        tokio::spawn(async move {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while std::time::Instant::now() < until {
                worker.run_once().await.expect("a worker round");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };
    eventually(
        "the scheduled mailing delivered",
        std::time::Duration::from_secs(15),
        || async { received_by_address(&app, later).len() >= 99 },
    )
    .await;
    racing.await.expect("the app's worker ran without error");
    // Give a second copy the time to show itself.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let counts = received_by_address(&app, later);
    assert_eq!(counts.get("p0@example.org"), None, "p0 had left");
    for email in &people[1..] {
        assert_eq!(counts.get(email), Some(&1), "{email}");
    }
    let read = mailing(&app, &token, id_of(&made)).await;
    assert_eq!(read["status"], "sent", "{read}");
    assert_eq!(
        (&read["recipients"], &read["sent"]),
        (&json!(99), &json!(99))
    );
}

#[tokio::test]
async fn a_forged_unsubscribe_link_ends_nothing() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    subscribed(&app, "lrbc", "ana@example.org").await;
    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    send_now(&app, &token, id_of(&made)).await;
    app.deliver_emails().await;
    let link = unsubscribe_url(&letters_to(&app, "ana@example.org")[0]);

    // The link with one character of its signature changed.
    let (path, query) = link.split_once('?').unwrap_or((&link, ""));
    let mut forged: Vec<char> = path.chars().collect();
    let last = forged.last_mut().expect("a link");
    *last = if *last == '0' { '1' } else { '0' };
    let forged: String = forged.into_iter().collect();
    let forged = if query.is_empty() {
        forged
    } else {
        format!("{forged}?{query}")
    };
    let refused = one_click_unsubscribe(&app, &forged).await;
    assert!(
        refused.status.is_client_error(),
        "{}: {}",
        refused.status,
        refused.text
    );
    assert_eq!(reach(&app, &token, "lrbc", subscribers()).await, 1);
    assert_eq!(mailing(&app, &token, id_of(&made)).await["unsubscribed"], 0);
}

/// Someone erased after the mailing was queued is not written to.
#[tokio::test]
async fn a_supporter_erased_after_sending_began_gets_nothing() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    for email in ["ana@example.org", "bo@example.org"] {
        subscribed(&app, "lrbc", email).await;
    }
    let made = draft(&app, &token, letter("lrbc", subscribers())).await;
    send_now(&app, &token, id_of(&made)).await;
    let bo = supporter_id(&app, &token, "bo@example.org").await;
    app.delete(&format!("/api/v1/supporters/{bo}"), &token)
        .await
        .expect(204);
    app.deliver_emails().await;
    app.deliver_emails().await;

    assert_eq!(letter_recipients(&app), ["ana@example.org"]);
    let read = mailing(&app, &token, id_of(&made)).await;
    assert_eq!(read["status"], "sent", "{read}");
    assert_eq!(read["sent"], 1, "{read}");
}

#[tokio::test]
async fn the_list_is_newest_first_a_page_at_a_time() {
    let app = spawn().await;
    let token = app.owner_of("lrbc").await;
    let other = app.owner_of("hov").await;
    let mut made = Vec::new();
    for n in 0..3 {
        let mut body = letter("lrbc", subscribers());
        body["subject"]["en"] = json!(format!("Bulletin {n}"));
        made.push(id_of(&draft(&app, &token, body).await).to_owned());
    }
    draft(&app, &other, letter("hov", subscribers())).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let mut query = vec![
            ("organisation", "lrbc".to_owned()),
            ("limit", "2".to_owned()),
        ];
        query.extend(cursor.take().map(|c| ("cursor", c)));
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = app
            .get_with_query("/api/v1/mailings", Some(&token), &query)
            .await;
        let page = page.expect(200);
        let listed = items(page);
        assert!(listed.len() <= 2, "{page}");
        seen.extend(listed.iter().map(|m| id_of(m).to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    made.reverse();
    assert_eq!(seen, made, "lrbc's three, newest first, each once");
}
