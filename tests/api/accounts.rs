//! Organisers' accounts as an attacker tries them (issue 15): invitations that hand
//! out nothing, passwords whose setting ends every other way in, tokens that expire
//! and can be revoked, password resets by email, and limits on guessing.

use chrono::{Duration, Utc};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::{follow, open, open_with, path_of, submit, submit_with, text_of};

const INVITATIONS: &str = "http://127.0.0.1/invitations/";
const RESETS: &str = "http://127.0.0.1/admin/password-reset/";

async fn ask_reset(app: &TestApp, email: &str) -> Reply {
    app.send(
        Method::POST,
        "/api/v1/auth/password-reset",
        None,
        Some(&json!({ "email": email })),
        None,
    )
    .await
}

/// Circle's owner, who has made Ben (`correct horse battery`) an organiser: the
/// owner's token.
async fn ben_joins_circle(app: &TestApp) -> String {
    let owner = app.owner_of("circle").await;
    app.member(&owner, "circle", "ben@example.org", "organiser")
        .await;
    owner
}

/// Ask for a reset of `email`: the link emailed to it.
async fn reset_link(app: &TestApp, email: &str) -> String {
    ask_reset(app, email).await.expect(202);
    app.emailed_link(email, RESETS).await
}

/// Ask for a reset of `email` and set `password` through the emailed link.
async fn reset_password(app: &TestApp, email: &str, password: &str) -> Reply {
    let link = reset_link(app, email).await;
    set_through(app, &link, password).await
}

async fn set_through(app: &TestApp, link: &str, password: &str) -> Reply {
    reply(
        app.client
            .post(app.url(&path_of(link)))
            .form(&[("password", password)]),
    )
    .await
}

/// A new password taken through a link: 303 to the page that says so.
#[track_caller]
fn assert_password_set(reply: &Reply) {
    assert_eq!(reply.status, 303, "{}", reply.text);
    assert_eq!(
        reply.headers.get("location").and_then(|v| v.to_str().ok()),
        Some("/admin/password-reset?done=1")
    );
}

async fn me(app: &TestApp, token: &str) -> Reply {
    app.get("/api/v1/me", token).await
}

fn memberships(me: &Value) -> Vec<String> {
    let mut slugs: Vec<String> = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organisation"].as_str().unwrap().to_owned())
        .collect();
    slugs.sort();
    slugs
}

// --- invitations ------------------------------------------------------------------

#[tokio::test]
async fn inviting_an_owner_who_has_no_password_adds_them_and_hands_out_nothing_that_sets_one() {
    let app = spawn_app().await;
    // `admin bootstrap` makes owners without a password.
    let ana = app.owner_of("circle").await;
    let mallory = app.owner_of("rival").await;

    let invited = app
        .invite(&mallory, "rival", "owner@circle.example.org", "viewer")
        .await;

    assert_eq!(invited.expect(201)["invited"], false);
    assert!(
        !invited.text.contains("/invitations/"),
        "the answer holds a link: {}",
        invited.text
    );
    app.deliver_emails().await;
    let told = app.smtp.to("owner@circle.example.org");
    assert_eq!(told.len(), 1, "told once that they were added");
    assert!(
        !told[0].text().contains("/invitations/"),
        "{}",
        told[0].text()
    );
    assert_eq!(
        memberships(me(&app, &ana).await.expect(200)),
        ["circle", "rival"]
    );
}

#[tokio::test]
async fn an_invitation_can_set_no_password_once_one_is_set() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    app.invite(&owner, "circle", "ben@example.org", "organiser")
        .await
        .expect(201);
    let invitation = app.emailed_link("ben@example.org", INVITATIONS).await;
    assert_password_set(&reset_password(&app, "ben@example.org", "ben's own passphrase").await);

    app.accept(&invitation, "mallory's password")
        .await
        .expect_problem(404);
    app.get_public(invitation.trim_start_matches("http://127.0.0.1"))
        .await
        .expect(404);
    token_of(&app.login("ben@example.org", "ben's own passphrase").await);
    app.login("ben@example.org", "mallory's password")
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn a_second_organisation_inviting_someone_not_yet_signed_up_sends_no_second_link() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    app.invite(&circle, "circle", "ben@example.org", "organiser")
        .await
        .expect(201);

    let again = app
        .invite(&quebec, "quebec", "ben@example.org", "viewer")
        .await;

    assert_eq!(again.expect(201)["invited"], false);
    app.deliver_emails().await;
    let links: Vec<String> = app
        .smtp
        .to("ben@example.org")
        .iter()
        .filter(|m| m.text().contains(INVITATIONS))
        .map(|m| link_in(&m.text(), INVITATIONS))
        .collect();
    assert_eq!(links.len(), 1, "{links:?}");
}

// --- setting a password -------------------------------------------------------------

#[tokio::test]
async fn setting_a_password_ends_every_other_token() {
    let app = spawn_app().await;
    let (_, from_invitation, from_login) = ben_with_two_tokens(&app).await;
    let from_cli = last_line(
        &app.turnout(&["admin", "create-token", "--email", "ben@example.org"])
            .await,
    );

    assert_password_set(&reset_password(&app, "ben@example.org", "a brand new passphrase").await);

    for token in [&from_invitation, &from_login, &from_cli] {
        me(&app, token).await.expect_problem(401);
    }
    let fresh = token_of(&app.login("ben@example.org", "a brand new passphrase").await);
    me(&app, &fresh).await.expect(200);
}

#[tokio::test]
async fn a_reset_link_works_once_and_ends_the_other_reset_links() {
    let app = spawn_app().await;
    ben_joins_circle(&app).await;
    let first = reset_link(&app, "ben@example.org").await;
    let second = reset_link(&app, "ben@example.org").await;
    assert_ne!(first, second);

    let form = app.get_public(&path_of(&second)).await;
    form.expect(200);
    assert!(form.text.contains("ben@example.org"), "{}", form.text);
    assert_password_set(&set_through(&app, &second, "a brand new passphrase").await);

    set_through(&app, &second, "someone else's password")
        .await
        .expect(404);
    set_through(&app, &first, "someone else's password")
        .await
        .expect(404);
    token_of(&app.login("ben@example.org", "a brand new passphrase").await);
}

#[tokio::test]
async fn a_reset_link_stops_working_after_an_hour() {
    let app = spawn_app().await;
    ben_joins_circle(&app).await;
    let link = reset_link(&app, "ben@example.org").await;
    let db = app.database().await;
    entity::organiser_link::Entity::update_many()
        .col_expr(
            entity::organiser_link::Column::ExpiresAt,
            Expr::value(Utc::now() - Duration::minutes(1)),
        )
        .exec(&db)
        .await
        .unwrap();

    set_through(&app, &link, "a brand new passphrase")
        .await
        .expect(404);
    token_of(&app.login("ben@example.org", "correct horse battery").await);
}

#[tokio::test]
async fn the_reset_page_asks_for_an_address_and_says_the_same_whatever_it_is() {
    let app = spawn_app().await;
    app.owner_of("circle").await;

    let form = open(&app, "/admin/password-reset").await;
    form.expect_html(200);
    assert_eq!(form.field("email").attr("type"), Some("email"));

    let known = submit(
        &app,
        "/admin/password-reset",
        &[("email", "owner@circle.example.org")],
    )
    .await;
    let unknown = submit(
        &app,
        "/admin/password-reset",
        &[("email", "nobody@example.org")],
    )
    .await;
    for answer in [&known, &unknown] {
        answer.expect(303);
        assert_eq!(answer.location(), "/admin/password-reset?sent=1");
    }
    let sent = follow(&app, &known).await;
    sent.expect_html(200);
    assert!(
        sent.visible_text().contains("Check your email"),
        "{}",
        sent.text
    );
    app.deliver_emails().await;
    assert!(app.smtp.to("nobody@example.org").is_empty());
    let link = app.emailed_link("owner@circle.example.org", RESETS).await;

    // Through the link, a new password; then the page that says it is set.
    let set = set_through(&app, &link, "the owner's passphrase").await;
    assert_password_set(&set);
    let done = open(&app, "/admin/password-reset?done=1").await;
    assert!(
        done.visible_text().contains("Your new password is set"),
        "{}",
        done.text
    );
    token_of(
        &app.login("owner@circle.example.org", "the owner's passphrase")
            .await,
    );
}

#[tokio::test]
async fn the_reset_page_shows_a_malformed_address_again_beside_its_field() {
    let app = spawn_app().await;

    let refused = submit(
        &app,
        "/admin/password-reset",
        &[("email", "owner at circle")],
    )
    .await;

    refused.expect_html(422);
    assert_eq!(refused.value_of("email"), "owner at circle");
    assert_eq!(
        refused.field("email").attr("aria-describedby"),
        Some("email-error")
    );
    let error = text_of(refused.one("#email-error"));
    assert!(error.contains("name@example.org"), "{error}");
}

#[tokio::test]
async fn the_reset_page_is_rate_limited_per_address() {
    let app = limited_app((0, 0), (0, 2)).await;
    for _ in 0..2 {
        submit(
            &app,
            "/admin/password-reset",
            &[("email", "ana@example.org")],
        )
        .await
        .expect(303);
    }

    let refused = submit(
        &app,
        "/admin/password-reset",
        &[("email", "Ana@Example.org")],
    )
    .await;

    refused.expect_html(429);
    assert!(
        refused.header("retry-after").is_some(),
        "{:?}",
        refused.headers
    );
    assert!(
        refused.visible_text().contains("Too many attempts"),
        "{}",
        refused.text
    );
    assert_eq!(refused.value_of("email"), "Ana@Example.org");
    // Another address from the same client is still served: the limit is Ana's.
    submit(
        &app,
        "/admin/password-reset",
        &[("email", "ben@example.org")],
    )
    .await
    .expect(303);
}

#[tokio::test]
async fn a_password_reset_answers_the_same_whatever_the_address_and_mails_only_accounts() {
    let app = spawn_app().await;
    app.owner_of("circle").await;

    let known = ask_reset(&app, "owner@circle.example.org").await;
    let unknown = ask_reset(&app, "nobody@example.org").await;
    // Not even an address: no account either, and the same answer.
    let malformed = ask_reset(&app, "owner at circle").await;

    assert_eq!(known.expect(202), unknown.expect(202));
    assert_eq!(known.body, malformed.expect(202).clone());
    app.deliver_emails().await;
    assert!(app.smtp.to("nobody@example.org").is_empty());
    let email = app.smtp.last_to("owner@circle.example.org");
    assert_eq!(email.subject(), "Set a new Turnout password");
    // An owner made by `admin bootstrap` has no password yet: a reset sets the first.
    let link = link_in(&email.text(), RESETS);
    assert_password_set(&set_through(&app, &link, "the owner's passphrase").await);
    token_of(
        &app.login("owner@circle.example.org", "the owner's passphrase")
            .await,
    );
}

#[tokio::test]
async fn a_short_or_huge_new_password_shows_the_form_again_and_keeps_the_link() {
    let app = spawn_app().await;
    app.owner_of("circle").await;
    ask_reset(&app, "owner@circle.example.org")
        .await
        .expect(202);
    let link = app.emailed_link("owner@circle.example.org", RESETS).await;

    let short = set_through(&app, &link, "short").await;
    assert_eq!(short.status, 422);
    assert!(
        short.text.contains("at least 10 characters"),
        "{}",
        short.text
    );
    let huge = set_through(&app, &link, &"x".repeat(257)).await;
    assert_eq!(huge.status, 422);
    assert!(
        huge.text.contains("at most 256 characters"),
        "{}",
        huge.text
    );

    assert_password_set(&set_through(&app, &link, "the owner's passphrase").await);
}

#[tokio::test]
async fn an_invitation_refuses_a_password_over_256_characters() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    app.invite(&owner, "circle", "ben@example.org", "organiser")
        .await
        .expect(201);
    let invitation = app.emailed_link("ben@example.org", INVITATIONS).await;

    app.accept(&invitation, &"x".repeat(257))
        .await
        .expect_invalid("password");
}

/// Accepting an invitation named only its first bad field (the password); it names
/// every one, as every other form does, and the invitation stays open.
#[tokio::test]
async fn accepting_an_invitation_names_every_bad_field() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    app.invite(&owner, "circle", "ben@example.org", "organiser")
        .await
        .expect(201);
    let invitation = app.emailed_link("ben@example.org", INVITATIONS).await;
    let token = invitation.rsplit('/').next().unwrap_or_default();

    let refused = app
        .send(
            Method::POST,
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            Some(&json!({ "password": "short", "name": "x".repeat(201) })),
            None,
        )
        .await;

    refused.expect_invalid("password");
    refused.expect_invalid("name");
    app.accept(&invitation, "ben's passphrase")
        .await
        .expect(201);
}

#[tokio::test]
async fn logging_in_with_a_megabyte_password_is_a_plain_401() {
    let app = spawn_app().await;
    ben_joins_circle(&app).await;

    app.login("ben@example.org", &"x".repeat(900_000))
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn many_logins_at_once_are_each_answered() {
    let app = spawn_app().await;
    ben_joins_circle(&app).await;

    let app = &app;
    let attempts = (0..24).map(|i| {
        let password = if i == 0 {
            "correct horse battery".to_owned()
        } else {
            format!("guess number {i}")
        };
        async move {
            app.login("ben@example.org", &password)
                .await
                .status
                .as_u16()
        }
    });
    let mut statuses = futures_util::future::join_all(attempts).await;
    statuses.sort_unstable();

    assert_eq!(statuses[0], 201);
    assert!(statuses[1..].iter().all(|s| *s == 401), "{statuses:?}");
}

// --- the command line ---------------------------------------------------------------

/// `turnout admin set-password --email E`, the password typed on stdin.
async fn set_password_by_cli(app: &TestApp, email: &str, typed: &str) -> std::process::Output {
    app.turnout_with_input(
        &["admin", "set-password", "--email", email],
        &format!("{typed}\n"),
    )
    .await
}

#[tokio::test]
async fn admin_set_password_reads_the_password_from_stdin_and_ends_the_other_tokens() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;

    let set = set_password_by_cli(&app, "owner@circle.example.org", "the owner's passphrase").await;

    assert_success(&set);
    me(&app, &owner).await.expect_problem(401);
    token_of(
        &app.login("owner@circle.example.org", "the owner's passphrase")
            .await,
    );
}

#[tokio::test]
async fn admin_set_password_refuses_a_short_password_and_an_unknown_address() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;

    let short = set_password_by_cli(&app, "owner@circle.example.org", "short").await;
    let nobody = set_password_by_cli(&app, "nobody@example.org", "a long enough password").await;

    assert!(!short.status.success());
    let said = String::from_utf8_lossy(&short.stderr);
    assert!(said.contains("at least 10 characters"), "{said}");
    assert!(!nobody.status.success());
    let said = String::from_utf8_lossy(&nobody.stderr);
    assert!(
        said.contains("no organiser with that email address"),
        "{said}"
    );
    me(&app, &owner).await.expect(200);
}

#[tokio::test]
async fn admin_sign_in_link_prints_a_console_link_alone_on_the_last_line() {
    let app = spawn_app().await;
    app.owner_of("circle").await;

    let printed = app
        .turnout(&[
            "admin",
            "sign-in-link",
            "--email",
            "owner@circle.example.org",
        ])
        .await;
    let nobody = app
        .turnout(&["admin", "sign-in-link", "--email", "nobody@example.org"])
        .await;

    assert_success(&printed);
    let link = last_line(&printed);
    assert!(link.starts_with("http://"), "{link}");
    let token = link
        .split("/admin/sign-in/")
        .nth(1)
        .unwrap_or_else(|| panic!("not a sign-in link: {link}"));
    assert!(token.len() >= 64, "{token}");
    assert!(!nobody.status.success());
}

// --- tokens ---------------------------------------------------------------------------

/// The owner of `circle`, and Ben, its organiser, with the token his invitation gave
/// him and one from logging in on his laptop.
async fn ben_with_two_tokens(app: &TestApp) -> (String, String, String) {
    let owner = app.owner_of("circle").await;
    let ben = app
        .member(&owner, "circle", "ben@example.org", "organiser")
        .await;
    let laptop = token_of(&app.login("ben@example.org", "correct horse battery").await);
    (owner, ben, laptop)
}

#[tokio::test]
async fn an_organisers_tokens_come_in_pages_newest_first() {
    let app = spawn_app().await;
    let (_, ben, laptop) = ben_with_two_tokens(&app).await;
    let all = app.get("/api/v1/tokens", &ben).await;
    let all = items(all.expect(200));

    let first = app.get("/api/v1/tokens?limit=1", &laptop).await;
    let first = first.expect(200).clone();
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = app
        .get(&format!("/api/v1/tokens?limit=1&cursor={cursor}"), &laptop)
        .await;
    let second = second.expect(200);

    assert_eq!(all.len(), 2, "{all:?}");
    // Token ids are UUIDv7, so the newer (the laptop's) sorts after the other.
    assert!(
        all[0]["id"].as_str() > all[1]["id"].as_str(),
        "newest first: {all:?}"
    );
    assert_eq!(items(&first), all[..1]);
    assert_eq!(items(second), all[1..]);
    assert!(second["next_cursor"].is_null(), "{second}");
}

#[tokio::test]
async fn an_organiser_lists_their_own_tokens_without_their_secrets() {
    let app = spawn_app().await;
    let (owner, ben, laptop) = ben_with_two_tokens(&app).await;

    let listed = app.get("/api/v1/tokens", &ben).await;

    let page = listed.expect(200);
    assert!(page["next_cursor"].is_null(), "{page}");
    let items = items(page);
    assert_eq!(items.len(), 2, "{}", listed.text);
    for secret in [&ben, &laptop, &owner] {
        assert!(!listed.text.contains(secret.as_str()), "{}", listed.text);
    }
    assert!(
        items
            .iter()
            .all(|t| t["id"].is_string() && t["created_at"].is_string())
    );
}

#[tokio::test]
async fn an_organiser_revokes_their_own_token_and_not_anyone_elses() {
    let app = spawn_app().await;
    let (owner, ben, laptop) = ben_with_two_tokens(&app).await;
    let listed = app.get("/api/v1/tokens", &ben).await;
    let ids: Vec<String> = items(listed.expect(200))
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();

    for id in &ids {
        app.delete(&format!("/api/v1/tokens/{id}"), &owner)
            .await
            .expect_problem(404);
    }
    me(&app, &laptop).await.expect(200);
    let newest = &ids[0];
    app.delete(&format!("/api/v1/tokens/{newest}"), &ben)
        .await
        .expect(204);
    me(&app, &laptop).await.expect_problem(401);
    me(&app, &ben).await.expect(200);
}

#[tokio::test]
async fn logging_out_revokes_the_token_used_and_no_other() {
    let app = spawn_app().await;
    let (_, ben, laptop) = ben_with_two_tokens(&app).await;

    app.send(
        Method::POST,
        "/api/v1/auth/logout",
        Some(&laptop),
        None,
        None,
    )
    .await
    .expect(204);

    me(&app, &laptop).await.expect_problem(401);
    me(&app, &ben).await.expect(200);
}

#[tokio::test]
async fn a_token_unused_for_ninety_days_stops_working() {
    let app = spawn_app().await;
    let (_, stale, fresh) = ben_with_two_tokens(&app).await;
    let db = app.database().await;
    for (token, days) in [(&stale, 91), (&fresh, 89)] {
        let when = Utc::now() - Duration::days(days);
        entity::api_token::Entity::update_many()
            .col_expr(
                entity::api_token::Column::LastUsedAt,
                Expr::value(Some(when)),
            )
            .col_expr(entity::api_token::Column::CreatedAt, Expr::value(when))
            .filter(entity::api_token::Column::TokenHash.eq(sha256(token)))
            .exec(&db)
            .await
            .unwrap();
    }

    me(&app, &stale).await.expect_problem(401);
    me(&app, &fresh).await.expect(200);
    // Used just now, the fresh one has 90 days again.
    let listed = app.get("/api/v1/tokens", &fresh).await;
    let last_used = items(listed.expect(200))
        .iter()
        .filter_map(|t| t["last_used_at"].as_str().map(str::to_owned))
        .max()
        .unwrap();
    let last_used = chrono::DateTime::parse_from_rfc3339(&last_used).unwrap();
    assert!(
        Utc::now() - last_used.with_timezone(&Utc) < Duration::hours(1),
        "{last_used}"
    );
}

fn sha256(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

// --- rate limits ------------------------------------------------------------------------

async fn limited_app(login: (u32, u32), reset: (u32, u32)) -> TestApp {
    spawn_app_configured(|config| {
        config.limits.login = turnout::config::Quota::new(login.0, login.1);
        config.limits.password_reset = turnout::config::Quota::new(reset.0, reset.1);
        // The test client stands for many clients behind our proxy.
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await
}

async fn login_from(app: &TestApp, client: &str, email: &str) -> Reply {
    app.post_json_via_proxy(
        "/api/v1/auth/login",
        client,
        &json!({ "email": email, "password": "a guessed password" }),
    )
    .await
}

#[tokio::test]
async fn one_client_guessing_passwords_is_slowed_down() {
    let app = limited_app((3, 100), (0, 0)).await;

    for _ in 0..3 {
        login_from(&app, "203.0.113.7", "ana@example.org")
            .await
            .expect_problem(401);
    }
    let limited = login_from(&app, "203.0.113.7", "ben@example.org").await;

    limited.expect_problem(429);
    let wait: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    login_from(&app, "203.0.113.8", "ana@example.org")
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn one_address_guessed_at_from_many_clients_is_slowed_down() {
    let app = limited_app((100, 2), (0, 0)).await;

    login_from(&app, "203.0.113.1", "ana@example.org")
        .await
        .expect_problem(401);
    login_from(&app, "203.0.113.2", "ANA@example.org")
        .await
        .expect_problem(401);
    let limited = login_from(&app, "203.0.113.3", "ana@example.org").await;

    limited.expect_problem(429);
    assert!(limited.headers.contains_key("retry-after"));
    login_from(&app, "203.0.113.3", "ben@example.org")
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn password_reset_requests_are_limited_per_address() {
    let app = limited_app((0, 0), (100, 2)).await;
    app.owner_of("circle").await;
    let body = json!({ "email": "owner@circle.example.org" });
    let path = "/api/v1/auth/password-reset";

    for client in ["203.0.113.1", "203.0.113.2"] {
        app.post_json_via_proxy(path, client, &body)
            .await
            .expect(202);
    }
    app.post_json_via_proxy(path, "203.0.113.3", &body)
        .await
        .expect_problem(429);

    app.deliver_emails().await;
    assert_eq!(app.smtp.to("owner@circle.example.org").len(), 2);
}

/// The console's sign-in help speaks the visitor's language (`Accept-Language`), and
/// the email it sends follows it; a language refused with `q=0` is never chosen.
#[tokio::test]
async fn the_reset_pages_and_their_email_follow_the_visitors_language() {
    let app = spawn_app().await;
    app.owner_of("circle").await;
    let spanish = [("Accept-Language", "fr;q=0, es-VE, en;q=0.5")];

    let form = open_with(&app, "/admin/password-reset", &spanish).await;
    assert_eq!(form.lang(), "es");
    submit_with(
        &app,
        "/admin/password-reset",
        &[("email", "owner@circle.example.org")],
        &spanish,
    )
    .await
    .expect(303);
    app.deliver_emails().await;
    let email = app.smtp.last_to("owner@circle.example.org");
    assert_eq!(email.subject(), "Crea una nueva contraseña de Turnout");

    let link = app.emailed_link("owner@circle.example.org", RESETS).await;
    let short = submit_with(&app, &path_of(&link), &[("password", "corta")], &spanish).await;
    short.expect_html(422);
    assert_eq!(short.lang(), "es");
    assert!(
        short.visible_text().contains("al menos 10 caracteres"),
        "{}",
        short.text
    );
}
