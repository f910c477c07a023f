//! Petitions: organisers draft, open, close and deliver them; supporters sign once
//! each, confirm from an email, and are counted exactly, even when they all sign at
//! once; organisers take the signatures to the target without anyone's address.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use sea_orm::{EntityTrait, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::smtp::Received;

const TITLE: &str = "Stop the attacks against CLEP-CEDEP";
const TARGET: &str = "the Mexican Secretariat of the Interior";
const CONFIRM_LINK: &str = "http://127.0.0.1/signatures/confirm/";

/// Every optional field asked for, none required.
fn all_fields_optional() -> Value {
    json!({ "fields": {
        "affiliation": "optional",
        "postal_code": "optional",
        "country": "optional",
        "comment": "optional",
    }})
}

// --- helpers of this file ---------------------------------------------------------

/// A draft of the organiser's organisation: a title and a target, with `extra` set.
async fn draft(app: &TestApp, token: &str, extra: Value) -> Value {
    let body = with(json!({ "title": TITLE, "target": TARGET }), extra);
    app.post_json("/api/v1/petitions", token, &body)
        .await
        .expect(201)
        .clone()
}

async fn publish(app: &TestApp, token: &str, petition: &Value) -> Value {
    app.post_json(
        &format!("/api/v1/petitions/{}/publish", id_of(petition)),
        token,
        &json!({}),
    )
    .await
    .expect(200)
    .clone()
}

/// A petition open for signatures.
async fn open_petition(app: &TestApp, token: &str, extra: Value) -> Value {
    let draft = draft(app, token, extra).await;
    publish(app, token, &draft).await
}

/// `POST /api/v1/petitions/{id}/{action}` as the organiser; the whole reply.
async fn act(app: &TestApp, token: &str, petition: &Value, action: &str, body: Value) -> Reply {
    app.post_json(
        &format!("/api/v1/petitions/{}/{action}", id_of(petition)),
        token,
        &body,
    )
    .await
}

/// A supporter signs `petition` (an id or slug), with `extra` fields set.
pub async fn sign(app: &TestApp, petition: &str, email: &str, extra: Value) -> Reply {
    let body = with(json!({ "email": email, "name": name_of(email) }), extra);
    app.send(
        Method::POST,
        &format!("/api/v1/public/petitions/{petition}/signatures"),
        None,
        Some(&body),
        None,
    )
    .await
}

/// Every address signs `petition` at once, each with `extra` set; the replies in
/// order.
async fn sign_all(
    app: &TestApp,
    petition: &Value,
    addresses: &[String],
    extra: Value,
) -> Vec<Reply> {
    futures_util::future::join_all(
        addresses
            .iter()
            .map(|email| sign(app, id_of(petition), email, extra.clone())),
    )
    .await
}

/// The path of the confirmation link in the last email to `address`.
#[track_caller]
fn confirm_path(app: &TestApp, address: &str) -> String {
    let text = app.smtp.last_to(address).text();
    let start = text
        .find(CONFIRM_LINK)
        .unwrap_or_else(|| panic!("no confirmation link in:\n{text}"));
    let link = text[start..].split_whitespace().next().unwrap_or_default();
    link.strip_prefix("http://127.0.0.1")
        .unwrap_or_default()
        .to_owned()
}

/// The token at the end of a confirmation link.
fn token_in(path: &str) -> String {
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

/// `POST /api/v1/public/signatures/confirm`; the whole reply.
async fn confirm(app: &TestApp, token: &str) -> Reply {
    app.send(
        Method::POST,
        "/api/v1/public/signatures/confirm",
        None,
        Some(&json!({ "token": token })),
        None,
    )
    .await
}

/// The confirmation link emailed to `address`, followed through the API.
async fn confirm_from_email(app: &TestApp, address: &str) -> Reply {
    app.deliver_emails().await;
    let path = confirm_path(app, address);
    confirm(app, &token_in(&path)).await
}

/// A supporter signs, reads the email and confirms: their signature counts.
async fn sign_and_confirm(app: &TestApp, petition: &Value, email: &str, extra: Value) {
    sign(app, id_of(petition), email, extra).await.expect(202);
    confirm_from_email(app, email).await.expect(200);
}

/// The petition as the public sees it.
async fn public_petition(app: &TestApp, petition: &str) -> Value {
    app.get_public(&format!("/api/v1/public/petitions/{petition}"))
        .await
        .expect(200)
        .clone()
}

/// The count the public sees.
async fn public_count(app: &TestApp, petition: &Value) -> i64 {
    public_petition(app, id_of(petition)).await["signature_count"]
        .as_i64()
        .expect("a signature_count")
}

/// Every signature, as the organiser sees them (first page of 200).
async fn signatures(app: &TestApp, token: &str, petition: &Value) -> Vec<Value> {
    items(
        app.get(
            &format!("/api/v1/petitions/{}/signatures?limit=200", id_of(petition)),
            token,
        )
        .await
        .expect(200),
    )
}

/// The one signature of `email` among the petition's signatures.
async fn signature_of(app: &TestApp, token: &str, petition: &Value, email: &str) -> Value {
    signatures(app, token, petition)
        .await
        .into_iter()
        .find(|s| s["email"] == email)
        .unwrap_or_else(|| panic!("no signature from {email}"))
}

/// The public signers (first page of 200).
async fn signers(app: &TestApp, petition: &Value) -> Vec<Value> {
    items(
        app.get_public(&format!(
            "/api/v1/public/petitions/{}/signers?limit=200",
            id_of(petition)
        ))
        .await
        .expect(200),
    )
}

/// The supporters an organiser finds under `email`.
async fn supporters_named(app: &TestApp, token: &str, email: &str) -> Vec<Value> {
    items(
        app.get_with_query("/api/v1/supporters", Some(token), &[("email", email)])
            .await
            .expect(200),
    )
}

fn subjects(emails: &[Received]) -> Vec<String> {
    emails.iter().map(Received::subject).collect()
}

/// Set `column` of every signature to `when`, as if time had passed.
async fn set_on_signatures(app: &TestApp, column: entity::signature::Column, when: DateTime<Utc>) {
    let db = app.database().await;
    entity::signature::Entity::update_many()
        .col_expr(column, Expr::value(when))
        .exec(&db)
        .await
        .expect("signatures changed");
    let _ = db.close().await;
}

/// Every petition's closing time, set to `when` as if it had come.
async fn set_closes_at(app: &TestApp, when: DateTime<Utc>) {
    let db = app.database().await;
    entity::petition::Entity::update_many()
        .col_expr(entity::petition::Column::ClosesAt, Expr::value(Some(when)))
        .exec(&db)
        .await
        .expect("petitions changed");
    let _ = db.close().await;
}

/// One CSV cell and whether it was written in double quotes.
#[derive(Debug, Clone, PartialEq)]
struct Cell {
    value: String,
    quoted: bool,
}

/// The rows of an RFC 4180 text (quoted cells, doubled quotes, CRLF or LF).
fn csv_rows(text: &str) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = Cell {
        value: String::new(),
        quoted: false,
    };
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_quotes, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.value.push('"');
            }
            (true, '"') => in_quotes = false,
            (true, c) => cell.value.push(c),
            (false, '"') => {
                in_quotes = true;
                cell.quoted = true;
            }
            (false, ',') => row.push(std::mem::replace(
                &mut cell,
                Cell {
                    value: String::new(),
                    quoted: false,
                },
            )),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::replace(
                    &mut cell,
                    Cell {
                        value: String::new(),
                        quoted: false,
                    },
                ));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.value.push(c),
        }
    }
    if !cell.value.is_empty() || cell.quoted || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

fn values(row: &[Cell]) -> Vec<&str> {
    row.iter().map(|c| c.value.as_str()).collect()
}

/// A CSV's rows as maps from its header's names to the values.
fn records(rows: &[Vec<Cell>]) -> Vec<std::collections::HashMap<String, String>> {
    let header = values(&rows[0]);
    rows[1..]
        .iter()
        .map(|row| {
            header
                .iter()
                .zip(row)
                .map(|(k, c)| ((*k).to_owned(), c.value.clone()))
                .collect()
        })
        .collect()
}

// --- organisers draft petitions -------------------------------------------------------

#[tokio::test]
async fn a_new_petition_is_a_draft_with_the_usual_defaults() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;

    let petition = draft(&app, &token, json!({})).await;

    assert_eq!(petition["status"], "draft");
    assert_eq!(petition["organisation"], "hov");
    assert_eq!(petition["title"], TITLE);
    assert_eq!(petition["target"], TARGET);
    assert_eq!(petition["language"], "en");
    assert_eq!(petition["require_confirmation"], true);
    assert_eq!(
        petition["fields"],
        json!({ "affiliation": "off", "postal_code": "off", "country": "off", "comment": "off" })
    );
    assert_eq!(petition["signature_count"], 0);
    assert_eq!(petition["goal"], Value::Null);
    assert_eq!(petition["closes_at"], Value::Null);
    assert_eq!(petition["campaign"], Value::Null);
    assert_eq!(petition["delivered_at"], Value::Null);
    let slug = petition["slug"].as_str().expect("a slug");
    assert!(slug.starts_with("stop-the-attacks"), "{slug}");
    assert!(
        petition["url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/petitions/{slug}"))),
        "{petition}"
    );
    assert!(uuid::Uuid::parse_str(id_of(&petition)).is_ok());
}

#[tokio::test]
async fn a_petition_keeps_everything_its_organiser_sets() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let campaign = app
        .create_campaign(&token, json!({ "title": "Solidarity with Mexico" }))
        .await;

    let petition = draft(
        &app,
        &token,
        json!({
            "organisation": "hov",
            "campaign": campaign["slug"],
            "slug": "clep-cedep",
            "body": "The **CLEP-CEDEP** has been attacked.",
            "language": "es",
            "goal": 5000,
            "closes_at": "2041-03-01T12:00:00Z",
            "require_confirmation": false,
            "fields": { "affiliation": "optional", "country": "required" },
        }),
    )
    .await;

    assert_eq!(petition["campaign"], campaign["slug"]);
    assert_eq!(petition["slug"], "clep-cedep");
    assert_eq!(petition["body"], "The **CLEP-CEDEP** has been attacked.");
    assert_eq!(petition["language"], "es");
    assert_eq!(petition["goal"], 5000);
    assert_eq!(petition["closes_at"], "2041-03-01T12:00:00Z");
    assert_eq!(petition["require_confirmation"], false);
    assert_eq!(
        petition["fields"],
        json!({ "affiliation": "optional", "postal_code": "off", "country": "required", "comment": "off" })
    );
    let fetched = app
        .get(&format!("/api/v1/petitions/{}", id_of(&petition)), &token)
        .await;
    assert_eq!(fetched.expect(200), &petition);
}

#[tokio::test]
async fn a_goal_must_be_more_than_nothing() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;

    for goal in [0, -10] {
        app.post_json(
            "/api/v1/petitions",
            &token,
            &json!({ "title": TITLE, "target": TARGET, "goal": goal }),
        )
        .await
        .expect_invalid("goal");
    }
}

#[tokio::test]
async fn a_closing_time_must_be_an_instant() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;

    app.post_json(
        "/api/v1/petitions",
        &token,
        &json!({ "title": TITLE, "target": TARGET, "closes_at": "next Friday" }),
    )
    .await
    .expect_problem_among(&[400, 422]);
}

#[tokio::test]
async fn a_misspelt_field_in_a_new_petition_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;

    app.post_json(
        "/api/v1/petitions",
        &token,
        &json!({ "title": TITLE, "target": TARGET, "goals": 100 }),
    )
    .await
    .expect_problem(422);
}

#[tokio::test]
async fn a_slug_already_taken_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    draft(&app, &token, json!({ "slug": "clep-cedep" })).await;

    app.post_json(
        "/api/v1/petitions",
        &token,
        &json!({ "title": "Another", "target": TARGET, "slug": "clep-cedep" }),
    )
    .await
    .expect_problem(409);
}

#[tokio::test]
async fn the_same_idempotency_key_creates_one_petition() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let body = json!({ "title": TITLE, "target": TARGET });

    let first = app
        .post_json_once("/api/v1/petitions", &token, "clep-1", &body)
        .await;
    let again = app
        .post_json_once("/api/v1/petitions", &token, "clep-1", &body)
        .await;

    assert_eq!(again.expect(201), first.expect(201));
    let listed = items(app.get("/api/v1/petitions", &token).await.expect(200));
    assert_eq!(listed.len(), 1, "{listed:?}");
}

#[tokio::test]
async fn nobody_lists_petitions_without_a_token() {
    let app = spawn_app().await;

    app.send(Method::GET, "/api/v1/petitions", None, None, None)
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn an_organiser_lists_their_petitions_a_page_at_a_time() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let mut made = HashSet::new();
    for title in ["First", "Second", "Third"] {
        made.insert(id_of(&draft(&app, &token, json!({ "title": title })).await).to_owned());
    }

    let first = app.get("/api/v1/petitions?limit=2", &token).await;
    let first = first.expect(200);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = app
        .get_with_query(
            "/api/v1/petitions",
            Some(&token),
            &[("limit", "2"), ("cursor", cursor)],
        )
        .await;
    let second = second.expect(200);

    assert_eq!(items(first).len(), 2);
    assert_eq!(items(second).len(), 1);
    assert_eq!(second["next_cursor"], Value::Null);
    let listed: HashSet<String> = items(first)
        .iter()
        .chain(items(second).iter())
        .map(|p| id_of(p).to_owned())
        .collect();
    assert_eq!(listed, made);
}

#[tokio::test]
async fn an_organiser_does_not_see_another_organisations_petitions() {
    let app = spawn_app().await;
    let hov = app.owner_of("hov").await;
    let lrbc = app.owner_of("lrbc").await;
    draft(&app, &lrbc, json!({ "title": "Theirs" })).await;
    let ours = draft(&app, &hov, json!({ "title": "Ours" })).await;

    let listed = items(app.get("/api/v1/petitions", &hov).await.expect(200));

    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(id_of(&listed[0]), id_of(&ours));
}

#[tokio::test]
async fn an_organiser_changes_a_petitions_wording_and_goal() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = draft(&app, &token, json!({ "goal": 1000 })).await;

    let changed = app
        .patch_json(
            &format!("/api/v1/petitions/{}", id_of(&petition)),
            &token,
            &json!({ "title": "Protect CLEP-CEDEP", "goal": 5000, "target": "SEGOB" }),
        )
        .await;

    let changed = changed.expect(200);
    assert_eq!(changed["title"], "Protect CLEP-CEDEP");
    assert_eq!(changed["target"], "SEGOB");
    assert_eq!(changed["goal"], 5000);
    assert_eq!(changed["body"], petition["body"]);
    let fetched = app
        .get(&format!("/api/v1/petitions/{}", id_of(&petition)), &token)
        .await;
    assert_eq!(fetched.expect(200)["title"], "Protect CLEP-CEDEP");
}

#[tokio::test]
async fn null_clears_a_petitions_goal_closing_time_and_campaign() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let campaign = app
        .create_campaign(&token, json!({ "title": "Solidarity with Mexico" }))
        .await;
    let petition = draft(
        &app,
        &token,
        json!({ "goal": 5000, "closes_at": "2041-03-01T12:00:00Z", "campaign": campaign["slug"] }),
    )
    .await;

    let cleared = app
        .patch_json(
            &format!("/api/v1/petitions/{}", id_of(&petition)),
            &token,
            &json!({ "goal": null, "closes_at": null, "campaign": null }),
        )
        .await;

    let cleared = cleared.expect(200);
    assert_eq!(cleared["goal"], Value::Null);
    assert_eq!(cleared["closes_at"], Value::Null);
    assert_eq!(cleared["campaign"], Value::Null);
    assert_eq!(cleared["title"], TITLE, "what was not named stays");
}

#[tokio::test]
async fn a_misspelt_field_in_a_change_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = draft(&app, &token, json!({})).await;

    app.patch_json(
        &format!("/api/v1/petitions/{}", id_of(&petition)),
        &token,
        &json!({ "titel": "Protect CLEP-CEDEP" }),
    )
    .await
    .expect_problem(422);

    let fetched = app
        .get(&format!("/api/v1/petitions/{}", id_of(&petition)), &token)
        .await;
    assert_eq!(fetched.expect(200)["title"], TITLE);
}

#[tokio::test]
async fn another_organisation_cannot_read_a_petition() {
    let app = spawn_app().await;
    let hov = app.owner_of("hov").await;
    let lrbc = app.owner_of("lrbc").await;
    let petition = draft(&app, &hov, json!({})).await;

    app.get(&format!("/api/v1/petitions/{}", id_of(&petition)), &lrbc)
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn another_organisation_cannot_change_a_petition() {
    let app = spawn_app().await;
    let hov = app.owner_of("hov").await;
    let lrbc = app.owner_of("lrbc").await;
    let petition = draft(&app, &hov, json!({})).await;

    app.patch_json(
        &format!("/api/v1/petitions/{}", id_of(&petition)),
        &lrbc,
        &json!({ "title": "Hijacked" }),
    )
    .await
    .expect_problem(403);

    let fetched = app
        .get(&format!("/api/v1/petitions/{}", id_of(&petition)), &hov)
        .await;
    assert_eq!(fetched.expect(200)["title"], TITLE);
}

#[tokio::test]
async fn a_viewer_cannot_change_a_petition() {
    let app = spawn_app().await;
    let owner = app.owner_of("hov").await;
    let viewer = app
        .member(&owner, "hov", "vera@example.org", "viewer")
        .await;
    let petition = draft(&app, &owner, json!({})).await;

    app.patch_json(
        &format!("/api/v1/petitions/{}", id_of(&petition)),
        &viewer,
        &json!({ "title": "Changed by a viewer" }),
    )
    .await
    .expect_problem(403);
}

// --- a petition's life: draft, open, closed, delivered --------------------------------

#[tokio::test]
async fn a_draft_is_not_public() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = draft(&app, &token, json!({ "slug": "clep-cedep" })).await;

    for reference in [id_of(&petition), "clep-cedep"] {
        app.get_public(&format!("/api/v1/public/petitions/{reference}"))
            .await
            .expect_problem(404);
    }
}

#[tokio::test]
async fn publishing_a_draft_opens_it_to_the_public_by_id_or_slug() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = draft(&app, &token, json!({ "slug": "clep-cedep" })).await;

    let opened = publish(&app, &token, &petition).await;

    assert_eq!(opened["status"], "open");
    for reference in [id_of(&petition), "clep-cedep"] {
        let public = public_petition(&app, reference).await;
        assert_eq!(public["title"], TITLE);
        assert_eq!(public["status"], "open");
        assert_eq!(public["signature_count"], 0);
    }
}

#[tokio::test]
async fn a_draft_cannot_be_signed() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = draft(&app, &token, json!({})).await;

    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn closing_a_petition_stops_the_signatures() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;

    let closed = act(&app, &token, &petition, "close", json!({})).await;

    assert_eq!(closed.expect(200)["status"], "closed");
    assert_eq!(
        public_petition(&app, id_of(&petition)).await["status"],
        "closed"
    );
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect_problem(409);
}

#[tokio::test]
async fn a_draft_cannot_be_closed() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = draft(&app, &token, json!({})).await;

    act(&app, &token, &petition, "close", json!({}))
        .await
        .expect_problem(409);
}

#[tokio::test]
async fn delivering_a_petition_records_when_and_how() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;

    let delivered = act(
        &app,
        &token,
        &petition,
        "deliver",
        json!({
            "delivered_at": "2026-12-01T15:30:00Z",
            "note": "Handed in at the Mexican consulate in Toronto",
        }),
    )
    .await;

    let delivered = delivered.expect(200);
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(delivered["delivered_at"], "2026-12-01T15:30:00Z");
    assert_eq!(
        delivered["delivery_note"],
        "Handed in at the Mexican consulate in Toronto"
    );
    assert_eq!(
        public_petition(&app, id_of(&petition)).await["status"],
        "delivered"
    );
}

#[tokio::test]
async fn a_draft_cannot_be_delivered() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = draft(&app, &token, json!({})).await;

    act(&app, &token, &petition, "deliver", json!({}))
        .await
        .expect_problem(409);
}

#[tokio::test]
async fn a_delivered_petition_takes_no_more_signatures() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    act(&app, &token, &petition, "deliver", json!({}))
        .await
        .expect(200);

    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect_problem(409);
}

#[tokio::test]
async fn an_open_petition_past_its_closing_time_shows_closed() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let closes_at = (Utc::now() + Duration::days(1)).to_rfc3339();
    let petition = open_petition(&app, &token, json!({ "closes_at": closes_at })).await;

    set_closes_at(&app, Utc::now() - Duration::minutes(1)).await;

    let seen = app
        .get(&format!("/api/v1/petitions/{}", id_of(&petition)), &token)
        .await;
    assert_eq!(seen.expect(200)["status"], "closed");
    assert_eq!(
        public_petition(&app, id_of(&petition)).await["status"],
        "closed"
    );
}

#[tokio::test]
async fn an_open_petition_past_its_closing_time_takes_no_signatures() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let closes_at = (Utc::now() + Duration::days(1)).to_rfc3339();
    let petition = open_petition(&app, &token, json!({ "closes_at": closes_at })).await;

    set_closes_at(&app, Utc::now() - Duration::minutes(1)).await;

    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect_problem(409);
    assert!(signatures(&app, &token, &petition).await.is_empty());
}

// --- signing --------------------------------------------------------------------------

#[tokio::test]
async fn a_signature_waits_for_its_confirmation_by_email() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;

    let signed = sign(&app, id_of(&petition), "ana@example.org", json!({})).await;

    assert_eq!(
        signed.expect(202),
        &json!({ "status": "pending_confirmation" })
    );
    assert_eq!(public_count(&app, &petition).await, 0);
    app.deliver_emails().await;
    let email = app.smtp.last_to("ana@example.org");
    assert_eq!(email.subject(), format!("Confirm your signature: {TITLE}"));
    assert!(email.text().contains(CONFIRM_LINK), "{}", email.text());
}

#[tokio::test]
async fn a_supporter_may_sign_by_the_petitions_slug() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({ "slug": "clep-cedep" })).await;

    sign(&app, "clep-cedep", "ana@example.org", json!({}))
        .await
        .expect(202);

    assert_eq!(signatures(&app, &token, &petition).await.len(), 1);
}

#[tokio::test]
async fn without_confirmation_a_signature_counts_at_once_and_is_thanked() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({ "require_confirmation": false })).await;

    let signed = sign(&app, id_of(&petition), "ana@example.org", json!({})).await;

    assert_eq!(signed.expect(201), &json!({ "status": "confirmed" }));
    assert_eq!(public_count(&app, &petition).await, 1);
    app.deliver_emails().await;
    let emails = app.smtp.to("ana@example.org");
    assert_eq!(
        subjects(&emails),
        vec![format!("Thank you for signing: {TITLE}")]
    );
}

#[tokio::test]
async fn every_field_the_petition_requires_must_be_given() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(
        &app,
        &token,
        json!({ "fields": { "affiliation": "required", "country": "required" } }),
    )
    .await;

    let refused = sign(&app, id_of(&petition), "ana@example.org", json!({})).await;

    refused.expect_invalid("affiliation");
    refused.expect_invalid("country");
    assert!(signatures(&app, &token, &petition).await.is_empty());
}

#[tokio::test]
async fn fields_the_petition_does_not_ask_for_are_not_kept() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;

    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({
            "affiliation": "CUPE Local 3903",
            "postal_code": "M5V 2T6",
            "country": "CA",
            "comment": "In solidarity",
        }),
    )
    .await
    .expect(202);

    let signature = signature_of(&app, &token, &petition, "ana@example.org").await;
    for field in ["affiliation", "postal_code", "country", "comment"] {
        assert_eq!(signature[field], Value::Null, "{field}: {signature}");
    }
}

#[tokio::test]
async fn a_country_must_be_a_country_code() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, all_fields_optional()).await;

    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "country": "Atlantis" }),
    )
    .await
    .expect_invalid("country");
}

#[tokio::test]
async fn a_signature_needs_an_email_address_that_works() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;

    for email in ["", "ana.example.org", "ana@"] {
        sign(&app, id_of(&petition), email, json!({ "name": "Ana" }))
            .await
            .expect_invalid("email");
    }
    assert!(signatures(&app, &token, &petition).await.is_empty());
}

#[tokio::test]
async fn a_signature_needs_a_name() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;

    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "name": "  " }),
    )
    .await
    .expect_invalid("name");
}

#[tokio::test]
async fn emails_come_only_in_the_languages_turnout_writes() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;

    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "locale": "de" }),
    )
    .await
    .expect_invalid("locale");
}

#[tokio::test]
async fn a_misspelt_field_in_a_signature_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;

    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "publik": true }),
    )
    .await
    .expect_problem(422);
    assert!(signatures(&app, &token, &petition).await.is_empty());
}

#[tokio::test]
async fn signing_again_under_another_spelling_of_the_address_adds_nothing() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    let first = sign(&app, id_of(&petition), "ana@example.org", json!({})).await;

    for again in ["ana@example.org", "ANA@EXAMPLE.ORG", "Ana+x@Example.org"] {
        let reply = sign(&app, id_of(&petition), again, json!({})).await;
        assert_eq!(reply.status, first.status, "{again}: {}", reply.text);
        assert_eq!(reply.body, first.body, "{again}");
    }

    assert_eq!(signatures(&app, &token, &petition).await.len(), 1);
}

#[tokio::test]
async fn signing_again_answers_the_same_once_the_signature_is_confirmed() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    let first = sign(&app, id_of(&petition), "ana@example.org", json!({})).await;
    confirm_from_email(&app, "ana@example.org")
        .await
        .expect(200);

    let again = sign(&app, id_of(&petition), "Ana+again@example.org", json!({})).await;

    assert_eq!(again.status, first.status, "{}", again.text);
    assert_eq!(again.body, first.body);
    assert_eq!(public_count(&app, &petition).await, 1);
}

#[tokio::test]
async fn signing_again_within_the_hour_sends_no_second_email() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    app.deliver_emails().await;

    sign(&app, id_of(&petition), "Ana@Example.org", json!({}))
        .await
        .expect(202);
    app.deliver_emails().await;

    assert_eq!(app.smtp.all().len(), 1, "{:?}", subjects(&app.smtp.all()));
}

#[tokio::test]
async fn signing_again_after_an_hour_sends_the_confirmation_again() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    app.deliver_emails().await;
    set_on_signatures(
        &app,
        entity::signature::Column::ConfirmationSentAt,
        Utc::now() - Duration::hours(2),
    )
    .await;

    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    app.deliver_emails().await;

    let emails = app.smtp.to("ana@example.org");
    assert_eq!(emails.len(), 2, "{:?}", subjects(&emails));
    assert!(emails[1].subject().starts_with("Confirm your signature"));
    assert!(emails[1].text().contains(CONFIRM_LINK));
    assert_eq!(signatures(&app, &token, &petition).await.len(), 1);
}

#[tokio::test]
async fn signing_again_a_petition_without_confirmation_counts_once() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({ "require_confirmation": false })).await;
    let first = sign(&app, id_of(&petition), "ana@example.org", json!({})).await;

    let again = sign(&app, id_of(&petition), "Ana+x@Example.org", json!({})).await;

    assert_eq!(again.status, first.status, "{}", again.text);
    assert_eq!(again.body, first.body);
    assert_eq!(public_count(&app, &petition).await, 1);
    app.deliver_emails().await;
    assert_eq!(app.smtp.all().len(), 1, "{:?}", subjects(&app.smtp.all()));
}

#[tokio::test]
async fn a_robot_filling_the_hidden_field_is_answered_as_a_person_and_forgotten() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    let person = sign(&app, id_of(&petition), "ana@example.org", json!({})).await;

    let robot = sign(
        &app,
        id_of(&petition),
        "bot@example.org",
        json!({ "website": "http://spam.example" }),
    )
    .await;

    assert_eq!(robot.status, person.status, "{}", robot.text);
    assert_eq!(robot.body, person.body);
    let kept = signatures(&app, &token, &petition).await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["email"], "ana@example.org");
    assert!(
        supporters_named(&app, &token, "bot@example.org")
            .await
            .is_empty()
    );
    app.deliver_emails().await;
    assert!(app.smtp.to("bot@example.org").is_empty());
}

#[tokio::test]
async fn a_robot_is_not_counted_where_signatures_count_at_once() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({ "require_confirmation": false })).await;

    let robot = sign(
        &app,
        id_of(&petition),
        "bot@example.org",
        json!({ "website": "http://spam.example" }),
    )
    .await;

    assert_eq!(robot.expect(201), &json!({ "status": "confirmed" }));
    assert_eq!(public_count(&app, &petition).await, 0);
    app.deliver_emails().await;
    assert!(app.smtp.all().is_empty());
}

// --- rate limits ----------------------------------------------------------------------

#[tokio::test]
async fn a_client_signing_too_often_is_told_when_to_come_back() {
    let app = spawn_app_with_limits(2, 1000).await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    for email in ["ana@example.org", "ben@example.org"] {
        sign(&app, id_of(&petition), email, json!({}))
            .await
            .expect(202);
    }

    let refused = sign(&app, id_of(&petition), "carla@example.org", json!({})).await;

    refused.expect_problem(429);
    let retry_after: u64 = refused
        .headers
        .get("Retry-After")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no whole-seconds Retry-After: {:?}", refused.headers));
    assert!(retry_after >= 1, "Retry-After: {retry_after}");
    assert_eq!(signatures(&app, &token, &petition).await.len(), 2);
}

#[tokio::test]
async fn one_address_signing_too_often_is_told_when_to_come_back() {
    let app = spawn_app_with_limits(1000, 2).await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    let other = open_petition(&app, &token, json!({ "title": "Free the press" })).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    sign(&app, id_of(&other), "Ana@Example.org", json!({}))
        .await
        .expect(202);

    let refused = sign(&app, id_of(&petition), "ana+again@example.org", json!({})).await;

    refused.expect_problem(429);
    let retry_after: u64 = refused
        .headers
        .get("Retry-After")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no whole-seconds Retry-After: {:?}", refused.headers));
    assert!(retry_after >= 1, "Retry-After: {retry_after}");
    sign(&app, id_of(&petition), "ben@example.org", json!({}))
        .await
        .expect(202);
}

// --- confirming -----------------------------------------------------------------------

#[tokio::test]
async fn opening_the_confirmation_link_shows_a_button_and_confirms_nothing() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    app.deliver_emails().await;
    let link = confirm_path(&app, "ana@example.org");

    let page = app.get_public(&link).await;

    page.expect(200);
    assert!(
        page.content_type().starts_with("text/html"),
        "{:?}",
        page.headers
    );
    assert!(page.text.contains("<form"), "{}", page.text);
    assert!(page.text.contains("<button"), "{}", page.text);
    assert!(page.text.contains(TITLE), "{}", page.text);
    assert_eq!(public_count(&app, &petition).await, 0);
    let signature = signature_of(&app, &token, &petition, "ana@example.org").await;
    assert_eq!(signature["status"], "pending");
}

#[tokio::test]
async fn the_button_on_the_confirmation_page_confirms_the_signature() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    app.deliver_emails().await;
    let link = confirm_path(&app, "ana@example.org");

    let page = app
        .send_raw(
            Method::POST,
            &link,
            None,
            "application/x-www-form-urlencoded",
            "",
        )
        .await;

    page.expect(200);
    assert!(
        page.content_type().starts_with("text/html"),
        "{:?}",
        page.headers
    );
    assert!(page.text.contains("Thank you"), "{}", page.text);
    assert_eq!(public_count(&app, &petition).await, 1);
    let signature = signature_of(&app, &token, &petition, "ana@example.org").await;
    assert_eq!(signature["status"], "confirmed");
}

#[tokio::test]
async fn confirming_through_the_api_counts_the_signature() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);

    let confirmed = confirm_from_email(&app, "ana@example.org").await;

    assert_eq!(
        confirmed.expect(200),
        &json!({ "status": "confirmed", "signature_count": 1 })
    );
    assert_eq!(public_count(&app, &petition).await, 1);
}

#[tokio::test]
async fn confirming_twice_counts_once() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    let first = confirm_from_email(&app, "ana@example.org").await;

    let again = confirm(&app, &token_in(&confirm_path(&app, "ana@example.org"))).await;

    assert_eq!(again.expect(200), first.expect(200));
    assert_eq!(again.body["signature_count"], 1);
    assert_eq!(public_count(&app, &petition).await, 1);
    app.deliver_emails().await;
    let thanks = app
        .smtp
        .to("ana@example.org")
        .iter()
        .filter(|e| e.subject().starts_with("Thank you"))
        .count();
    assert_eq!(thanks, 1, "one thank-you, however often they confirm");
}

#[tokio::test]
async fn a_confirmation_token_never_sent_is_not_found() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    app.deliver_emails().await;
    let real = token_in(&confirm_path(&app, "ana@example.org"));
    let (id, mac) = real.split_once('.').expect("a token of id and signature");
    let flipped = if mac.starts_with('0') { "1" } else { "0" };
    let forged = format!("{id}.{flipped}{}", &mac[1..]);

    for token in ["nonsense", forged.as_str()] {
        confirm(&app, token).await.expect_problem(404);
    }
    assert_eq!(public_count(&app, &petition).await, 0);
}

#[tokio::test]
async fn a_confirmed_signer_is_thanked_by_email() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign_and_confirm(&app, &petition, "ana@example.org", json!({})).await;

    app.deliver_emails().await;

    let thanks = app.smtp.last_to("ana@example.org");
    assert_eq!(thanks.subject(), format!("Thank you for signing: {TITLE}"));
    assert!(
        thanks.text().contains("1 person has signed"),
        "{}",
        thanks.text()
    );
    assert!(thanks.text().contains(TARGET), "{}", thanks.text());
}

#[tokio::test]
async fn a_signer_who_asks_for_spanish_gets_spanish_emails() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;

    sign_and_confirm(
        &app,
        &petition,
        "ana@example.org",
        json!({ "locale": "es" }),
    )
    .await;
    app.deliver_emails().await;

    let emails = app.smtp.to("ana@example.org");
    assert_eq!(
        subjects(&emails),
        vec![
            format!("Confirma tu firma: {TITLE}"),
            format!("Gracias por firmar: {TITLE}"),
        ]
    );
}

#[tokio::test]
async fn a_french_petition_writes_to_its_signers_in_french() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({ "language": "fr" })).await;

    sign_and_confirm(&app, &petition, "ana@example.org", json!({})).await;
    app.deliver_emails().await;

    let emails = app.smtp.to("ana@example.org");
    assert_eq!(
        subjects(&emails),
        vec![
            format!("Confirmez votre signature\u{a0}: {TITLE}"),
            format!("Merci d’avoir signé\u{a0}: {TITLE}"),
        ]
    );
}

#[tokio::test]
async fn the_signers_language_wins_over_the_petitions() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({ "language": "fr" })).await;

    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "locale": "es" }),
    )
    .await
    .expect(202);
    app.deliver_emails().await;

    assert_eq!(
        app.smtp.last_to("ana@example.org").subject(),
        format!("Confirma tu firma: {TITLE}")
    );
}

// --- unconfirmed signatures expire ----------------------------------------------------

#[tokio::test]
async fn a_confirmation_link_older_than_a_week_no_longer_confirms() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    app.deliver_emails().await;
    set_on_signatures(
        &app,
        entity::signature::Column::ExpiresAt,
        Utc::now() - Duration::hours(1),
    )
    .await;

    let late = confirm(&app, &token_in(&confirm_path(&app, "ana@example.org"))).await;

    late.expect_problem(409);
    assert_eq!(public_count(&app, &petition).await, 0);
}

#[tokio::test]
async fn the_worker_marks_unconfirmed_signatures_expired_after_a_week() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    set_on_signatures(
        &app,
        entity::signature::Column::ExpiresAt,
        Utc::now() - Duration::hours(1),
    )
    .await;

    app.deliver_emails().await;

    let signature = signature_of(&app, &token, &petition, "ana@example.org").await;
    assert_eq!(signature["status"], "expired");
    assert_eq!(signature["confirmed_at"], Value::Null);
    assert_eq!(public_count(&app, &petition).await, 0);
}

#[tokio::test]
async fn signing_again_after_expiry_starts_afresh() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    app.deliver_emails().await;
    set_on_signatures(
        &app,
        entity::signature::Column::ExpiresAt,
        Utc::now() - Duration::hours(1),
    )
    .await;
    app.deliver_emails().await;

    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);
    let confirmed = confirm_from_email(&app, "ana@example.org").await;

    let emails = app.smtp.to("ana@example.org");
    assert_eq!(emails.len(), 2, "{:?}", subjects(&emails));
    assert_eq!(confirmed.expect(200)["signature_count"], 1);
    let kept = signatures(&app, &token, &petition).await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["status"], "confirmed");
}

// --- what organisers see --------------------------------------------------------------

#[tokio::test]
async fn organisers_see_every_signature_with_its_status() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, all_fields_optional()).await;
    sign_and_confirm(
        &app,
        &petition,
        "ana@example.org",
        json!({
            "name": "Ana Ortega",
            "affiliation": "CUPE Local 3903",
            "postal_code": "M5V 2T6",
            "locality": "Toronto",
            "country": "CA",
            "comment": "In solidarity",
            "public": true,
        }),
    )
    .await;
    sign(&app, id_of(&petition), "ben@example.org", json!({}))
        .await
        .expect(202);

    let ana = signature_of(&app, &token, &petition, "ana@example.org").await;
    let ben = signature_of(&app, &token, &petition, "ben@example.org").await;

    assert_eq!(ana["name"], "Ana Ortega");
    assert_eq!(ana["affiliation"], "CUPE Local 3903");
    assert_eq!(ana["postal_code"], "M5V 2T6");
    assert_eq!(ana["locality"], "Toronto");
    assert_eq!(ana["country"], "CA");
    assert_eq!(ana["comment"], "In solidarity");
    assert_eq!(ana["public"], true);
    assert_eq!(ana["status"], "confirmed");
    assert!(ana["confirmed_at"].is_string(), "{ana}");
    assert!(ana["created_at"].is_string(), "{ana}");
    assert!(ana["supporter_id"].is_string(), "{ana}");
    assert_eq!(ben["status"], "pending");
    assert_eq!(ben["public"], false);
    assert_eq!(ben["confirmed_at"], Value::Null);
}

#[tokio::test]
async fn signatures_come_a_page_at_a_time() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    for email in ["ana@example.org", "ben@example.org", "carla@example.org"] {
        sign(&app, id_of(&petition), email, json!({}))
            .await
            .expect(202);
    }
    let path = format!("/api/v1/petitions/{}/signatures", id_of(&petition));

    let first = app
        .get_with_query(&path, Some(&token), &[("limit", "2")])
        .await;
    let first = first.expect(200);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = app
        .get_with_query(&path, Some(&token), &[("limit", "2"), ("cursor", cursor)])
        .await;
    let second = second.expect(200);

    let emails: HashSet<String> = items(first)
        .iter()
        .chain(items(second).iter())
        .map(|s| s["email"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(items(first).len(), 2);
    assert_eq!(items(second).len(), 1);
    assert_eq!(second["next_cursor"], Value::Null);
    assert_eq!(emails.len(), 3, "{emails:?}");
}

#[tokio::test]
async fn signatures_download_as_csv_with_every_cell_quoted() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, all_fields_optional()).await;
    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "name": "Ortega, Ana \"la Güera\"", "locality": "Toronto", "country": "CA" }),
    )
    .await
    .expect(202);

    let csv = app
        .get_accepting(
            &format!("/api/v1/petitions/{}/signatures", id_of(&petition)),
            &token,
            "text/csv",
        )
        .await;

    csv.expect(200);
    assert!(
        csv.content_type().starts_with("text/csv"),
        "{:?}",
        csv.headers
    );
    let rows = csv_rows(&csv.text);
    assert_eq!(
        values(&rows[0]),
        vec![
            "name",
            "email",
            "affiliation",
            "postal_code",
            "locality",
            "country",
            "comment",
            "public",
            "status",
            "created_at",
            "confirmed_at",
            "source"
        ]
    );
    assert_eq!(rows.len(), 2, "{}", csv.text);
    assert!(
        rows[1].iter().all(|c| c.quoted),
        "every cell quoted: {}",
        csv.text
    );
    let ana = &records(&rows)[0];
    assert_eq!(ana["name"], "Ortega, Ana \"la Güera\"");
    assert_eq!(ana["email"], "ana@example.org");
    assert_eq!(ana["locality"], "Toronto");
    assert_eq!(ana["country"], "CA");
    assert_eq!(ana["status"], "pending");
    assert_eq!(ana["confirmed_at"], "");
    assert_eq!(ana["source"], "", "signed with no `?source=`");
}

#[tokio::test]
async fn a_formula_typed_into_a_signature_stays_text_in_the_csv() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, all_fields_optional()).await;
    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({
            "name": "=HYPERLINK(\"http://evil.example\",\"Ana\")",
            "affiliation": "+Union",
            "locality": "-1",
            "comment": "@SUM(A1:A9)",
        }),
    )
    .await
    .expect(202);

    let csv = app
        .get_accepting(
            &format!("/api/v1/petitions/{}/signatures", id_of(&petition)),
            &token,
            "text/csv",
        )
        .await;

    csv.expect(200);
    let ana = &records(&csv_rows(&csv.text))[0];
    assert_eq!(ana["name"], "'=HYPERLINK(\"http://evil.example\",\"Ana\")");
    assert_eq!(ana["affiliation"], "'+Union");
    assert_eq!(ana["locality"], "'-1");
    assert_eq!(ana["comment"], "'@SUM(A1:A9)");
}

#[tokio::test]
async fn a_viewer_cannot_see_who_signed() {
    let app = spawn_app().await;
    let owner = app.owner_of("hov").await;
    let viewer = app
        .member(&owner, "hov", "vera@example.org", "viewer")
        .await;
    let petition = open_petition(&app, &owner, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);

    app.get(
        &format!("/api/v1/petitions/{}/signatures", id_of(&petition)),
        &viewer,
    )
    .await
    .expect_problem(403);
}

#[tokio::test]
async fn another_organisation_cannot_see_who_signed() {
    let app = spawn_app().await;
    let hov = app.owner_of("hov").await;
    let lrbc = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &hov, json!({})).await;
    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);

    app.get(
        &format!("/api/v1/petitions/{}/signatures", id_of(&petition)),
        &lrbc,
    )
    .await
    .expect_problem(403);
}

#[tokio::test]
async fn the_delivery_csv_lists_confirmed_signers_without_their_addresses() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, all_fields_optional()).await;
    sign_and_confirm(
        &app,
        &petition,
        "ana@example.org",
        json!({
            "name": "Ana Ortega",
            "affiliation": "CUPE Local 3903",
            "postal_code": "M5V 2T6",
            "locality": "Toronto",
            "country": "CA",
            "comment": "In solidarity",
        }),
    )
    .await;
    sign(
        &app,
        id_of(&petition),
        "ben@example.org",
        json!({ "name": "Ben Pending" }),
    )
    .await
    .expect(202);
    let confirmed_at =
        signature_of(&app, &token, &petition, "ana@example.org").await["confirmed_at"]
            .as_str()
            .expect("a confirmation time")
            .to_owned();

    let csv = app
        .get(
            &format!("/api/v1/petitions/{}/delivery.csv", id_of(&petition)),
            &token,
        )
        .await;

    csv.expect(200);
    assert!(
        csv.content_type().starts_with("text/csv"),
        "{:?}",
        csv.headers
    );
    let disposition = csv
        .headers
        .get("Content-Disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(disposition.starts_with("attachment"), "{disposition:?}");
    let rows = csv_rows(&csv.text);
    assert_eq!(
        values(&rows[0]),
        vec![
            "name",
            "affiliation",
            "locality",
            "country",
            "comment",
            "signed_on"
        ]
    );
    assert_eq!(
        rows[1..].iter().map(|r| values(r)).collect::<Vec<_>>(),
        vec![vec![
            "Ana Ortega",
            "CUPE Local 3903",
            "Toronto",
            "CA",
            "In solidarity",
            &confirmed_at[..10],
        ]],
        "only the confirmed signature: {}",
        csv.text
    );
    assert!(!csv.text.contains('@'), "no email address: {}", csv.text);
    assert!(!csv.text.contains("M5V"), "no postal code: {}", csv.text);
}

// --- what the public sees -------------------------------------------------------------

#[tokio::test]
async fn the_public_count_includes_only_confirmed_signatures() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign_and_confirm(&app, &petition, "ana@example.org", json!({})).await;
    sign(&app, id_of(&petition), "ben@example.org", json!({}))
        .await
        .expect(202);

    assert_eq!(public_count(&app, &petition).await, 1);
    let organisers_view = app
        .get(&format!("/api/v1/petitions/{}", id_of(&petition)), &token)
        .await;
    assert_eq!(organisers_view.expect(200)["signature_count"], 1);
}

#[tokio::test]
async fn the_public_signers_are_those_who_confirmed_and_chose_to_be_shown() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, all_fields_optional()).await;
    sign_and_confirm(
        &app,
        &petition,
        "ana@example.org",
        json!({
            "name": "Ana Ortega",
            "affiliation": "CUPE Local 3903",
            "locality": "Toronto",
            "country": "CA",
            "comment": "In solidarity",
            "public": true,
        }),
    )
    .await;
    sign_and_confirm(
        &app,
        &petition,
        "ben@example.org",
        json!({ "public": false }),
    )
    .await;
    sign(
        &app,
        id_of(&petition),
        "carla@example.org",
        json!({ "public": true }),
    )
    .await
    .expect(202);

    let shown = signers(&app, &petition).await;

    assert_eq!(shown.len(), 1, "{shown:?}");
    let ana = &shown[0];
    assert_eq!(ana["name"], "Ana Ortega");
    assert_eq!(ana["affiliation"], "CUPE Local 3903");
    assert_eq!(ana["locality"], "Toronto");
    assert_eq!(ana["country"], "CA");
    assert_eq!(ana["comment"], "In solidarity");
    assert!(ana["signed_at"].is_string(), "{ana}");
    assert!(ana.get("email").is_none(), "{ana}");
    assert!(!ana.to_string().contains("example.org"), "{ana}");
}

// --- supporters -----------------------------------------------------------------------

#[tokio::test]
async fn a_signer_becomes_a_supporter_of_the_petitions_organisation() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;

    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "name": "Ana Ortega" }),
    )
    .await
    .expect(202);

    let found = supporters_named(&app, &token, "ana@example.org").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["name"], "Ana Ortega");
    let signature = signature_of(&app, &token, &petition, "ana@example.org").await;
    assert_eq!(signature["supporter_id"], found[0]["id"]);
}

#[tokio::test]
async fn a_signer_is_no_supporter_of_other_organisations() {
    let app = spawn_app().await;
    let hov = app.owner_of("hov").await;
    let lrbc = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &hov, json!({})).await;

    sign(&app, id_of(&petition), "ana@example.org", json!({}))
        .await
        .expect(202);

    assert!(
        supporters_named(&app, &lrbc, "ana@example.org")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_supporters_record_shows_the_petitions_they_signed() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign_and_confirm(&app, &petition, "ana@example.org", json!({})).await;
    let found = supporters_named(&app, &token, "ana@example.org").await;

    let record = app
        .get(&format!("/api/v1/supporters/{}", id_of(&found[0])), &token)
        .await;

    let signed = record.expect(200)["signatures"]
        .as_array()
        .unwrap_or_else(|| panic!("no signatures in {}", record.text))
        .clone();
    assert_eq!(signed.len(), 1, "{signed:?}");
    assert!(
        signed[0].to_string().contains(id_of(&petition)) || signed[0].to_string().contains(TITLE),
        "{}",
        signed[0]
    );
}

#[tokio::test]
async fn a_supporters_export_holds_what_they_wrote_on_petitions() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, all_fields_optional()).await;
    sign_and_confirm(
        &app,
        &petition,
        "ana@example.org",
        json!({ "comment": "In solidarity from Toronto" }),
    )
    .await;
    let found = supporters_named(&app, &token, "ana@example.org").await;

    let export = app
        .get(
            &format!("/api/v1/supporters/{}/export", id_of(&found[0])),
            &token,
        )
        .await;

    export.expect(200);
    assert!(
        export.text.contains("In solidarity from Toronto"),
        "{}",
        export.text
    );
}

#[tokio::test]
async fn erasing_a_signer_keeps_the_count_but_takes_them_off_the_public_list() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign_and_confirm(
        &app,
        &petition,
        "ana@example.org",
        json!({ "name": "Ana Ortega", "locality": "Toronto", "public": true }),
    )
    .await;
    let found = supporters_named(&app, &token, "ana@example.org").await;

    app.delete(&format!("/api/v1/supporters/{}", id_of(&found[0])), &token)
        .await
        .expect(204);

    assert_eq!(public_count(&app, &petition).await, 1);
    let shown = signers(&app, &petition).await;
    assert!(
        !shown.iter().any(|s| s.to_string().contains("Ana Ortega")),
        "{shown:?}"
    );
}

#[tokio::test]
async fn erasing_a_signer_takes_their_name_out_of_the_delivery() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, all_fields_optional()).await;
    sign_and_confirm(
        &app,
        &petition,
        "ana@example.org",
        json!({ "name": "Ana Ortega", "affiliation": "CUPE Local 3903" }),
    )
    .await;
    let found = supporters_named(&app, &token, "ana@example.org").await;

    app.delete(&format!("/api/v1/supporters/{}", id_of(&found[0])), &token)
        .await
        .expect(204);

    let csv = app
        .get(
            &format!("/api/v1/petitions/{}/delivery.csv", id_of(&petition)),
            &token,
        )
        .await;
    csv.expect(200);
    assert!(!csv.text.contains("Ana Ortega"), "{}", csv.text);
    assert!(!csv.text.contains("CUPE"), "{}", csv.text);
}

// --- many at once ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_signatures_at_once_from_one_person_make_one() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    let addresses: Vec<String> = (0..20)
        .map(|i| match i % 4 {
            0 => "ana@example.org".to_owned(),
            1 => format!("Ana+{i}@Example.org"),
            2 => "ANA@EXAMPLE.ORG".to_owned(),
            _ => format!("ana+news{i}@example.org"),
        })
        .collect();

    let replies = sign_all(&app, &petition, &addresses, json!({ "name": "Ana" })).await;

    for (email, reply) in addresses.iter().zip(&replies) {
        assert_eq!(reply.status, replies[0].status, "{email}: {}", reply.text);
        assert_eq!(reply.body, replies[0].body, "{email}");
    }
    replies[0].expect(202);
    assert_eq!(signatures(&app, &token, &petition).await.len(), 1);
    app.deliver_emails().await;
    assert_eq!(app.smtp.all().len(), 1, "{:?}", subjects(&app.smtp.all()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_people_signing_at_once_are_all_counted() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({ "require_confirmation": false })).await;
    let addresses: Vec<String> = (0..100).map(|i| format!("signer{i}@example.org")).collect();

    let replies = sign_all(&app, &petition, &addresses, json!({})).await;

    for (email, reply) in addresses.iter().zip(&replies) {
        assert_eq!(
            reply.expect(201),
            &json!({ "status": "confirmed" }),
            "{email}"
        );
    }
    assert_eq!(public_count(&app, &petition).await, 100);
    app.deliver_emails().await;
    let thanked: HashSet<String> = app
        .smtp
        .all()
        .iter()
        .filter(|e| e.subject().starts_with("Thank you for signing"))
        .flat_map(|e| e.envelope_to.clone())
        .collect();
    assert_eq!(app.smtp.all().len(), 100);
    assert_eq!(thanked, addresses.into_iter().collect::<HashSet<_>>());
}

/// Signatures arriving together are written together (one transaction for all those
/// waiting); each signer must still be told the count as it stood after their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signers_at_once_are_each_told_a_different_count() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({ "require_confirmation": false })).await;
    sign(&app, id_of(&petition), "first@example.org", json!({}))
        .await
        .expect(201);
    let addresses: Vec<String> = (0..60).map(|i| format!("crowd{i}@example.org")).collect();

    sign_all(&app, &petition, &addresses, json!({}))
        .await
        .iter()
        .for_each(|reply| {
            reply.expect(201);
        });

    app.deliver_emails().await;
    let mut told: Vec<u32> = app
        .smtp
        .all()
        .iter()
        .filter(|e| e.envelope_to.iter().any(|to| to.starts_with("crowd")))
        .map(|e| {
            let text = e.text();
            let (count, _) = text
                .split_once(" people have signed")
                .unwrap_or_else(|| panic!("a count in {text}"));
            let digits = count.split_whitespace().last().unwrap_or_default();
            digits
                .parse()
                .unwrap_or_else(|_| panic!("{digits:?} in {text}"))
        })
        .collect();
    told.sort_unstable();
    assert_eq!(told, (2..=61).collect::<Vec<u32>>());
    assert_eq!(public_count(&app, &petition).await, 61);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn people_signing_twice_at_once_among_others_sign_once_each() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(&app, id_of(&petition), "early0@example.org", json!({}))
        .await
        .expect(202);
    // Forty people, each twice, and one who had signed already, all at once.
    let addresses: Vec<String> = (0..80)
        .map(|i| format!("early{}@example.org", i % 40))
        .collect();

    let replies = sign_all(&app, &petition, &addresses, json!({})).await;

    for (email, reply) in addresses.iter().zip(&replies) {
        assert_eq!(
            reply.expect(202),
            &json!({ "status": "pending_confirmation" }),
            "{email}"
        );
    }
    assert_eq!(signatures(&app, &token, &petition).await.len(), 40);
    app.deliver_emails().await;
    let mut confirmations: Vec<String> = app
        .smtp
        .all()
        .iter()
        .flat_map(|e| e.envelope_to.clone())
        .collect();
    confirmations.sort();
    let mut expected: Vec<String> = (0..40).map(|i| format!("early{i}@example.org")).collect();
    expected.sort();
    assert_eq!(confirmations, expected, "one confirmation each");
}

// --- the demo -------------------------------------------------------------------------

#[tokio::test]
async fn the_demo_has_an_open_petition_for_clep_cedep() {
    let demo = DemoServer::start().await;

    let response = demo
        .client
        .get(format!(
            "{}/api/v1/public/petitions/stop-the-attacks-against-clep-cedep",
            demo.address
        ))
        .send()
        .await
        .expect("the demo answers");

    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let petition: Value = response.json().await.expect("a JSON petition");
    assert_eq!(petition["title"], "Stop the attacks against CLEP-CEDEP");
    assert_eq!(petition["status"], "open");
    assert!(
        petition["target"]
            .as_str()
            .is_some_and(|t| t.contains("Mexican")),
        "{petition}"
    );
}

#[tokio::test]
async fn a_public_campaign_lists_its_open_petitions_only() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    app.create_campaign(
        &token,
        json!({ "slug": "solidarity", "title": "Solidarity" }),
    )
    .await;
    let open = open_petition(
        &app,
        &token,
        json!({ "campaign": "solidarity", "title": "Open one" }),
    )
    .await;
    draft(
        &app,
        &token,
        json!({ "campaign": "solidarity", "title": "Still a draft" }),
    )
    .await;
    let closed = open_petition(
        &app,
        &token,
        json!({ "campaign": "solidarity", "title": "Closed one" }),
    )
    .await;
    act(&app, &token, &closed, "close", json!({}))
        .await
        .expect(200);

    let campaign = app.get_public("/api/v1/public/campaigns/solidarity").await;
    let petitions = campaign.expect(200)["petitions"]
        .as_array()
        .unwrap()
        .clone();
    let titles: Vec<&str> = petitions
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Open one"]);
    assert_eq!(petitions[0]["id"], open["id"]);
}

// --- consent (issue 15) -------------------------------------------------------------------

/// Whether the organiser's record of `email` says they agreed to hear from it.
async fn subscribed(app: &TestApp, token: &str, email: &str) -> Value {
    let found = app
        .get_with_query("/api/v1/supporters", Some(token), &[("email", email)])
        .await;
    items(found.expect(200))[0]["subscribed"].clone()
}

#[tokio::test]
async fn asking_to_hear_more_takes_effect_only_once_the_address_is_confirmed() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "subscribe": true }),
    )
    .await
    .expect(202);

    assert_eq!(subscribed(&app, &token, "ana@example.org").await, false);

    confirm_from_email(&app, "ana@example.org")
        .await
        .expect(200);
    assert_eq!(subscribed(&app, &token, "ana@example.org").await, true);
}

/// Consent needs a confirmed address, and only a followed emailed link confirms one:
/// an RSVP, or a signature a petition counts at once (`require_confirmation: false`),
/// proves only that someone typed the address.
#[tokio::test]
async fn an_rsvp_or_a_signature_counted_unconfirmed_records_no_consent_for_its_address() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let open_to_all = open_petition(&app, &token, json!({ "require_confirmation": false })).await;
    let event = app.published_event(&token, meeting("Film night")).await;

    app.rsvp(
        id_of(&event),
        "ana@example.org",
        json!({ "subscribe": true }),
    )
    .await
    .expect(201);
    sign(
        &app,
        id_of(&open_to_all),
        "ben@example.org",
        json!({ "subscribe": true }),
    )
    .await
    .expect(201);

    assert_eq!(subscribed(&app, &token, "ana@example.org").await, false);
    assert_eq!(subscribed(&app, &token, "ben@example.org").await, false);
}

/// Erasure reaches a signature waiting for its link: the link no longer counts it,
/// no thank-you goes anywhere, and no wish to hear from the organisation stays.
#[tokio::test]
async fn a_signature_an_erased_supporter_left_unconfirmed_can_no_longer_be_confirmed() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(&app, &token, json!({})).await;
    sign(
        &app,
        id_of(&petition),
        "ana@example.org",
        json!({ "subscribe": true }),
    )
    .await
    .expect(202);
    app.deliver_emails().await;
    let path = confirm_path(&app, "ana@example.org");
    let ana = supporters_named(&app, &token, "ana@example.org").await;
    app.delete(&format!("/api/v1/supporters/{}", id_of(&ana[0])), &token)
        .await
        .expect(204);

    confirm(&app, &token_in(&path)).await.expect_problem(409);

    app.deliver_emails().await;
    assert_eq!(public_count(&app, &petition).await, 0);
    assert_eq!(
        app.smtp.to("ana@example.org").len(),
        1,
        "only the link went"
    );
    use sea_orm::EntityTrait;
    let kept = entity::signature::Entity::find()
        .all(&app.database().await)
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert!(!kept[0].subscribe);
    assert_eq!(kept[0].status, entity::values::SignatureState::Expired);
}

#[tokio::test]
async fn a_new_petition_with_several_bad_fields_is_told_of_each() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;

    let reply = app
        .post_json(
            "/api/v1/petitions",
            &token,
            &json!({ "title": " ", "target": TARGET, "goal": 0, "campaign": "no-such-campaign" }),
        )
        .await;

    reply.expect_problem(422);
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(fields, ["campaign", "goal", "title"]);
}

#[tokio::test]
async fn a_petitions_confirmation_setting_and_fields_cannot_be_cleared() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = draft(&app, &token, json!({ "require_confirmation": false })).await;
    let path = format!("/api/v1/petitions/{}", id_of(&petition));

    let refused = app
        .patch_json(
            &path,
            &token,
            &json!({ "require_confirmation": null, "fields": null, "title": null }),
        )
        .await;

    refused.expect_problem(422);
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(fields, ["fields", "require_confirmation", "title"]);
    assert_eq!(app.get(&path, &token).await.expect(200), &petition);
}

#[tokio::test]
async fn a_taken_slug_is_named_as_it_was_asked_for() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    draft(&app, &token, json!({ "slug": "clep-cedep" })).await;

    let reply = app
        .post_json(
            "/api/v1/petitions",
            &token,
            &json!({ "title": "Another", "target": TARGET, "slug": "clep-cedep" }),
        )
        .await;

    let problem = reply.expect_problem(409);
    assert_eq!(problem["detail"], "the slug \"clep-cedep\" is taken");
}

#[tokio::test]
async fn a_refused_signature_names_the_petitions_own_fields_with_the_rest() {
    let app = spawn_app().await;
    let token = app.owner_of("hov").await;
    let petition = open_petition(
        &app,
        &token,
        json!({ "fields": { "affiliation": "required", "country": "optional" } }),
    )
    .await;

    let refused = sign(
        &app,
        id_of(&petition),
        "not an address",
        json!({ "country": "ZZZ" }),
    )
    .await;

    refused.expect_problem(422);
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(fields, ["affiliation", "country", "email"]);
    assert!(signatures(&app, &token, &petition).await.is_empty());
}
