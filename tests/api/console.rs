//! The organiser console (`/admin`, API.md "Organiser console"): getting in (sign-in,
//! logout, the one-time link, first-run setup), sessions, the organisation's
//! settings and members, and the organiser's own account.

use sea_orm::EntityTrait;
use serde_json::json;

use crate::helpers::{TestApp, assert_success, spawn_app, spawn_app_configured, token_of};
use crate::pages::{Page, open, open_with, submit, submit_with, text_of};

pub const PASSWORD: &str = "correct horse battery";

/// An organiser in a browser: the session cookie the console gave them.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookie: String,
    language: &'a str,
}

impl<'a> Browser<'a> {
    /// Sign in through the form; the session it set.
    pub async fn sign_in(app: &'a TestApp, email: &str, password: &str) -> Self {
        let answer = submit(
            app,
            "/admin/login",
            &[("email", email), ("password", password)],
        )
        .await;
        answer.expect(303);
        Self::from_answer(app, &answer)
    }

    /// The browser of whoever `answer` signed in.
    #[track_caller]
    pub fn from_answer(app: &'a TestApp, answer: &Page) -> Self {
        let cookie = session_cookie(answer)
            .unwrap_or_else(|| panic!("no session cookie set: {:?}", answer.headers));
        Self {
            app,
            cookie,
            language: "en",
        }
    }

    pub fn in_language(mut self, language: &'a str) -> Self {
        self.language = language;
        self
    }

    fn headers(&self) -> Vec<(&str, String)> {
        vec![
            ("Cookie", format!("turnout_session={}", self.cookie)),
            ("Accept-Language", self.language.to_owned()),
        ]
    }

    pub async fn open(&self, path: &str) -> Page {
        let headers = self.headers();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        open_with(self.app, path, &headers).await
    }

    /// Post a form from the console's own pages (with their `Origin`).
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut headers = self.headers();
        headers.push(("Origin", self.app.address.clone()));
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        submit_with(self.app, path, fields, &headers).await
    }
}

/// The value of the `turnout_session` cookie an answer sets.
fn session_cookie(answer: &Page) -> Option<String> {
    set_cookies(answer)
        .into_iter()
        .find_map(|line| {
            line.strip_prefix("turnout_session=")
                .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
        .filter(|value| !value.is_empty())
}

pub fn set_cookies(answer: &Page) -> Vec<String> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// The owner of `circle` with a password: an API token, and signed in.
pub async fn owner_signed_in(app: &TestApp) -> (String, Browser<'_>) {
    app.owner_of("circle").await;
    set_password(app, "owner@circle.example.org").await;
    let token = token_of(&app.login("owner@circle.example.org", PASSWORD).await);
    let browser = Browser::sign_in(app, "owner@circle.example.org", PASSWORD).await;
    (token, browser)
}

pub async fn set_password(app: &TestApp, email: &str) {
    let output = app
        .turnout_with_input(&["admin", "set-password", "--email", email], PASSWORD)
        .await;
    assert_success(&output);
}

/// The error beside a field of a form shown again.
#[track_caller]
pub fn error_beside(page: &Page, field: &str) -> String {
    // By attribute: a field named `goal.amount` would read as a class in `#…`.
    let selector = format!("[id=\"{field}-error\"]");
    page.first(&selector)
        .map(text_of)
        .unwrap_or_else(|| panic!("no error beside {field}: {}", page.text))
}

// --- signing in -------------------------------------------------------------------------

#[tokio::test]
async fn signing_in_sets_a_session_cookie_that_opens_the_dashboard() {
    let app = spawn_app().await;
    app.owner_of("circle").await;
    set_password(&app, "owner@circle.example.org").await;

    let form = open(&app, "/admin/login").await;
    form.expect_html(200);
    assert!(form.has_field("email") && form.has_field("password"));

    let answer = submit(
        &app,
        "/admin/login",
        &[
            ("email", "Owner@Circle.example.org"),
            ("password", PASSWORD),
        ],
    )
    .await;
    answer.expect(303);
    assert_eq!(answer.location(), "/admin");
    let line = set_cookies(&answer)
        .into_iter()
        .find(|l| l.starts_with("turnout_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/admin", "Max-Age=1209600"] {
        assert!(line.contains(flag), "{flag} missing: {line}");
    }
    assert!(
        !line.contains("Secure"),
        "plain http has no Secure cookie: {line}"
    );

    let browser = Browser::from_answer(&app, &answer);
    let dashboard = browser.open("/admin").await;
    dashboard.expect_html(200);
    assert!(
        dashboard.visible_text().contains("The circle group"),
        "{}",
        dashboard.text
    );
}

#[tokio::test]
async fn the_session_is_kept_only_hashed() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;

    let db = app.database().await;
    let rows = entity::console_session::Entity::find()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].token_hash, browser.cookie);
    assert!(!rows[0].token_hash.contains(&browser.cookie));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_read_the_same() {
    let app = spawn_app().await;
    app.owner_of("circle").await;
    set_password(&app, "owner@circle.example.org").await;

    let wrong = submit(
        &app,
        "/admin/login",
        &[
            ("email", "owner@circle.example.org"),
            ("password", "not the password"),
        ],
    )
    .await;
    let unknown = submit(
        &app,
        "/admin/login",
        &[
            ("email", "nobody@circle.example.org"),
            ("password", "not the password"),
        ],
    )
    .await;

    wrong.expect_html(401);
    unknown.expect_html(401);
    assert!(session_cookie(&wrong).is_none() && session_cookie(&unknown).is_none());
    let message = |page: &Page| text_of(page.one(".form-error"));
    assert_eq!(message(&wrong), message(&unknown));
    assert_eq!(wrong.value_of("email"), "owner@circle.example.org");
    assert_eq!(
        wrong.value_of("password"),
        "",
        "a password is never shown again"
    );
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_address() {
    let app = spawn_app_configured(|config| {
        config.limits.login = turnout::config::Quota::new(100, 2);
    })
    .await;
    app.owner_of("circle").await;
    set_password(&app, "owner@circle.example.org").await;
    let attempt = || {
        submit(
            &app,
            "/admin/login",
            &[
                ("email", "owner@circle.example.org"),
                ("password", "guess guess guess"),
            ],
        )
    };

    attempt().await.expect(401);
    attempt().await.expect(401);
    let refused = attempt().await;

    refused.expect_html(429);
    assert!(refused.header("retry-after").is_some());
    // Even the right password waits.
    let right = submit(
        &app,
        "/admin/login",
        &[
            ("email", "owner@circle.example.org"),
            ("password", PASSWORD),
        ],
    )
    .await;
    right.expect(429);
}

#[tokio::test]
async fn a_console_page_without_a_session_sends_to_sign_in_and_back() {
    let app = spawn_app().await;
    app.owner_of("circle").await;
    set_password(&app, "owner@circle.example.org").await;

    let away = open(&app, "/admin/circle/members").await;
    away.expect(303);
    assert_eq!(
        away.location(),
        "/admin/login?next=%2Fadmin%2Fcircle%2Fmembers"
    );
    let form = open(&app, away.location()).await;
    assert_eq!(form.value_of("next"), "/admin/circle/members");

    let back = submit(
        &app,
        "/admin/login",
        &[
            ("email", "owner@circle.example.org"),
            ("password", PASSWORD),
            ("next", "/admin/circle/members"),
        ],
    )
    .await;
    assert_eq!(back.location(), "/admin/circle/members");

    for elsewhere in [
        "https://evil.example/admin",
        "//evil.example/admin",
        "/events/x",
    ] {
        let answer = submit(
            &app,
            "/admin/login",
            &[
                ("email", "owner@circle.example.org"),
                ("password", PASSWORD),
                ("next", elsewhere),
            ],
        )
        .await;
        assert_eq!(answer.location(), "/admin", "{elsewhere}");
    }
}

#[tokio::test]
async fn a_forged_cookie_opens_nothing() {
    let app = spawn_app().await;
    app.owner_of("circle").await;

    let page = open_with(&app, "/admin", &[("Cookie", "turnout_session=ses_forged")]).await;

    page.expect(303);
    assert_eq!(page.location(), "/admin/login");
}

#[tokio::test]
async fn logout_ends_the_session_in_the_database_too() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;

    let out = browser.submit("/admin/logout", &[]).await;

    out.expect(303);
    assert_eq!(out.location(), "/admin/login");
    assert!(
        set_cookies(&out)
            .iter()
            .any(|l| l.starts_with("turnout_session=;") && l.contains("Max-Age=0"))
    );
    // The cookie's value, replayed, opens nothing.
    assert_eq!(browser.open("/admin").await.status, 303);
}

#[tokio::test]
async fn a_session_unused_for_fourteen_days_ends() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;
    browser.open("/admin").await.expect(200);

    let db = app.database().await;
    let long_ago = chrono::Utc::now() - chrono::Duration::days(14) - chrono::Duration::minutes(1);
    entity::console_session::Entity::update_many()
        .col_expr(
            entity::console_session::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(long_ago),
        )
        .exec(&db)
        .await
        .unwrap();

    assert_eq!(browser.open("/admin").await.status, 303);
    // Signing in again clears the ended session's row away.
    Browser::sign_in(&app, "owner@circle.example.org", PASSWORD).await;
    let rows = entity::console_session::Entity::find()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].last_seen_at > long_ago);
}

#[tokio::test]
async fn a_sign_in_link_used_twice_at_once_signs_in_once() {
    let app = spawn_app().await;
    app.owner_of("circle").await;
    let path = app.sign_in_path("owner@circle.example.org").await;

    let (a, b) = tokio::join!(submit(&app, &path, &[]), submit(&app, &path, &[]));

    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 404]);
    let db = app.database().await;
    assert_eq!(
        entity::console_session::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn setting_a_password_ends_every_console_session() {
    let app = spawn_app().await;
    let (_, laptop) = owner_signed_in(&app).await;
    let phone = Browser::sign_in(&app, "owner@circle.example.org", PASSWORD).await;

    set_password(&app, "owner@circle.example.org").await;

    assert_eq!(laptop.open("/admin").await.status, 303);
    assert_eq!(phone.open("/admin").await.status, 303);
}

#[tokio::test]
async fn a_cookie_is_secure_when_the_site_is_https() {
    let app = spawn_app_configured(|config| {
        config.public_url = "https://turnout.example".into();
    })
    .await;
    app.owner_of("circle").await;
    set_password(&app, "owner@circle.example.org").await;

    let answer = submit_with(
        &app,
        "/admin/login",
        &[
            ("email", "owner@circle.example.org"),
            ("password", PASSWORD),
        ],
        &[("Origin", "https://turnout.example")],
    )
    .await;

    answer.expect(303);
    let line = set_cookies(&answer).join("\n");
    assert!(line.contains("; Secure"), "{line}");
}

#[tokio::test]
async fn a_console_form_posted_from_another_site_is_refused() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;

    let forged = submit_with(
        &app,
        "/admin/logout",
        &[],
        &[
            ("Cookie", &format!("turnout_session={}", browser.cookie)),
            ("Origin", "https://evil.example"),
        ],
    )
    .await;

    forged.expect(403);
    browser.open("/admin").await.expect(200);
}

// --- the one-time link and first run -------------------------------------------------------

#[tokio::test]
async fn the_sign_in_link_signs_in_once_with_its_button_not_by_being_opened() {
    let app = spawn_app().await;
    app.owner_of("circle").await;
    let path = app.sign_in_path("owner@circle.example.org").await;

    let shown = open(&app, &path).await;
    shown.expect_html(200);
    assert!(
        session_cookie(&shown).is_none(),
        "opening the link signs nobody in"
    );
    assert!(shown.visible_text().contains("owner@circle.example.org"));
    // A scanner opening it again changes nothing.
    open(&app, &path).await.expect(200);

    let used = submit(&app, &path, &[]).await;
    used.expect(303);
    assert_eq!(used.location(), "/admin");
    let browser = Browser::from_answer(&app, &used);
    browser.open("/admin").await.expect(200);

    open(&app, &path).await.expect(404);
    submit(&app, &path, &[]).await.expect(404);
    open(&app, "/admin/sign-in/not-a-token").await.expect(404);
}

#[tokio::test]
async fn setup_makes_the_first_organisation_and_its_owner_then_closes() {
    let app = spawn_app().await;

    let form = open(&app, "/admin/setup").await;
    form.expect_html(200);
    for field in ["org_name", "org_slug", "timezone", "email", "password"] {
        assert!(form.has_field(field), "{field}");
    }

    let done = submit(
        &app,
        "/admin/setup",
        &[
            ("org_name", "Toronto Venezuela Solidarity"),
            ("org_slug", "tvs"),
            ("timezone", "America/Toronto"),
            ("email", "ana@example.org"),
            ("password", PASSWORD),
        ],
    )
    .await;

    done.expect(303);
    let browser = Browser::from_answer(&app, &done);
    let dashboard = browser.open("/admin").await;
    assert!(
        dashboard
            .visible_text()
            .contains("Toronto Venezuela Solidarity")
    );
    // The owner's password works, through the API as well.
    token_of(&app.login("ana@example.org", PASSWORD).await);
    open(&app, "/admin/setup").await.expect(404);
    let again = submit(
        &app,
        "/admin/setup",
        &[
            ("org_name", "Another"),
            ("org_slug", "another"),
            ("timezone", "UTC"),
            ("email", "eve@example.org"),
            ("password", PASSWORD),
        ],
    )
    .await;
    again.expect(404);
    assert!(
        app.login("eve@example.org", PASSWORD)
            .await
            .status
            .is_client_error()
    );
}

#[tokio::test]
async fn setup_names_each_bad_field_and_keeps_what_was_typed() {
    let app = spawn_app().await;

    let refused = submit(
        &app,
        "/admin/setup",
        &[
            ("org_name", ""),
            ("org_slug", "Not A Slug"),
            ("timezone", "Mars/Olympus"),
            ("email", "ana@"),
            ("password", "short"),
        ],
    )
    .await;

    refused.expect_html(422);
    for field in ["org_name", "org_slug", "timezone", "email", "password"] {
        error_beside(&refused, field);
    }
    assert_eq!(refused.value_of("org_slug"), "Not A Slug");
    assert_eq!(refused.value_of("email"), "ana@");
    assert_eq!(refused.value_of("password"), "");
    // Nothing was made.
    open(&app, "/admin/setup").await.expect(200);
}

#[tokio::test]
async fn setup_is_closed_once_an_organisation_exists() {
    let app = spawn_app().await;
    app.owner_of("circle").await;

    open(&app, "/admin/setup").await.expect(404);
}

#[tokio::test]
async fn two_setups_at_once_make_one_organisation() {
    let app = spawn_app().await;
    let setup = |slug: &'static str| {
        let app = &app;
        async move {
            submit(
                app,
                "/admin/setup",
                &[
                    ("org_name", slug),
                    ("org_slug", slug),
                    ("timezone", "UTC"),
                    ("email", &format!("{slug}@example.org")),
                    ("password", PASSWORD),
                ],
            )
            .await
            .status
        }
    };

    let (a, b) = tokio::join!(setup("first"), setup("second"));

    let mut statuses = [a, b];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 404]);
    let db = app.database().await;
    assert_eq!(
        entity::organisation::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .len(),
        1
    );
}

// --- the organisation ------------------------------------------------------------------------

#[tokio::test]
async fn an_owner_changes_the_settings_and_sees_them_saved() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;

    let form = browser.open("/admin/circle/settings").await;
    form.expect_html(200);
    assert_eq!(form.value_of("timezone"), "America/Toronto");

    let saved = browser
        .submit(
            "/admin/circle/settings",
            &[
                ("name", "Toronto Circle"),
                ("timezone", "America/Caracas"),
                ("language", "es"),
                ("contact_email", "hola@circle.example.org"),
                ("application_notices", "daily"),
            ],
        )
        .await;

    saved.expect(303);
    let shown = browser.open(saved.location()).await;
    assert!(shown.visible_text().contains("Saved."));
    assert_eq!(shown.value_of("name"), "Toronto Circle");
    assert_eq!(shown.value_of("timezone"), "America/Caracas");
    assert_eq!(shown.value_of("language"), "es");
    assert_eq!(shown.value_of("contact_email"), "hola@circle.example.org");
    assert_eq!(shown.value_of("application_notices"), "daily");
}

#[tokio::test]
async fn settings_refused_show_each_message_beside_its_field() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;

    let refused = browser
        .submit(
            "/admin/circle/settings",
            &[
                ("name", ""),
                ("timezone", "Mars/Olympus"),
                ("language", "de"),
                ("contact_email", "not an address"),
                ("application_notices", "weekly"),
            ],
        )
        .await;

    refused.expect_html(422);
    for field in [
        "name",
        "timezone",
        "language",
        "contact_email",
        "application_notices",
    ] {
        error_beside(&refused, field);
    }
    assert_eq!(refused.value_of("contact_email"), "not an address");
    let kept = browser.open("/admin/circle/settings").await;
    assert_eq!(kept.value_of("name"), "The circle group");
}

#[tokio::test]
async fn only_owners_change_settings_and_strangers_find_nothing() {
    let app = spawn_app().await;
    let (owner, _) = owner_signed_in(&app).await;
    app.member(&owner, "circle", "vic@example.org", "viewer")
        .await;
    app.member(&owner, "circle", "olga@example.org", "organiser")
        .await;
    app.owner_of("other").await;
    let viewer = Browser::sign_in(&app, "vic@example.org", PASSWORD).await;
    let organiser = Browser::sign_in(&app, "olga@example.org", PASSWORD).await;

    let read_only = viewer.open("/admin/circle/settings").await;
    read_only.expect_html(200);
    assert!(!read_only.has_field("name"), "a viewer sees no form");
    assert!(read_only.visible_text().contains("The circle group"));
    let change = [
        ("name", "Taken over"),
        ("timezone", "UTC"),
        ("language", "en"),
        ("contact_email", ""),
        ("application_notices", "each"),
    ];
    organiser
        .submit("/admin/circle/settings", &change)
        .await
        .expect_html(403);
    viewer
        .submit("/admin/circle/settings", &change)
        .await
        .expect_html(403);
    viewer.open("/admin/other/settings").await.expect_html(404);
    viewer
        .submit("/admin/other/settings", &change)
        .await
        .expect_html(404);
    viewer.open("/admin/nowhere/members").await.expect_html(404);
    let db = app.database().await;
    let names: Vec<String> = entity::organisation::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert!(!names.contains(&"Taken over".to_owned()), "{names:?}");
}

#[tokio::test]
async fn an_owner_invites_changes_and_removes_members_from_the_console() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;

    let invited = browser
        .submit(
            "/admin/circle/members",
            &[("email", "ben@example.org"), ("role", "organiser")],
        )
        .await;
    invited.expect(303);
    let link = app
        .emailed_link("ben@example.org", "http://127.0.0.1/invitations/")
        .await;
    assert!(!link.is_empty());
    let page = browser.open("/admin/circle/members").await;
    assert!(page.visible_text().contains("ben@example.org"));
    let ben_id = member_id(&app, "ben@example.org").await;

    browser
        .submit(
            &format!("/admin/circle/members/{ben_id}/role"),
            &[("role", "viewer")],
        )
        .await
        .expect(303);
    let page = browser.open("/admin/circle/members").await;
    let select = page.one(&format!("select#role-{ben_id}"));
    let chosen = select
        .select(&scraper::Selector::parse("option[selected]").unwrap())
        .next()
        .and_then(|o| o.attr("value"));
    assert_eq!(chosen, Some("viewer"));

    browser
        .submit(&format!("/admin/circle/members/{ben_id}/remove"), &[])
        .await
        .expect(303);
    let page = browser.open("/admin/circle/members").await;
    assert!(!page.visible_text().contains("ben@example.org"));
}

#[tokio::test]
async fn an_invitation_with_a_bad_address_is_shown_again_beside_it() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;

    let refused = browser
        .submit(
            "/admin/circle/members",
            &[("email", "ben@"), ("role", "organiser")],
        )
        .await;

    refused.expect_html(422);
    error_beside(&refused, "email");
    assert_eq!(refused.value_of("email"), "ben@");
}

#[tokio::test]
async fn the_last_owner_stays_an_owner() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;
    let me = member_id(&app, "owner@circle.example.org").await;

    let demoted = browser
        .submit(
            &format!("/admin/circle/members/{me}/role"),
            &[("role", "viewer")],
        )
        .await;
    let removed = browser
        .submit(&format!("/admin/circle/members/{me}/remove"), &[])
        .await;

    demoted.expect_html(409);
    removed.expect_html(409);
    assert!(demoted.visible_text().contains("at least one owner"));
    browser.open("/admin/circle/settings").await.expect(200);
}

#[tokio::test]
async fn members_through_the_api_list_change_and_keep_an_owner() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let ben = app
        .member(&owner, "circle", "ben@example.org", "organiser")
        .await;
    let other = app.owner_of("other").await;
    let ben_id = member_id(&app, "ben@example.org").await;
    let owner_id = member_id(&app, "owner@circle.example.org").await;

    let listed = app.get("/api/v1/organisations/circle/members", &ben).await;
    let members = listed.expect(200).as_array().unwrap().clone();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["role"], "owner");
    assert_eq!(members[1]["email"], "ben@example.org");
    app.get("/api/v1/organisations/circle/members", &other)
        .await
        .expect_problem(404);

    let path = format!("/api/v1/organisations/circle/members/{ben_id}");
    app.patch_json(&path, &ben, &json!({"role": "owner"}))
        .await
        .expect_problem(403);
    let changed = app
        .patch_json(&path, &owner, &json!({"role": "owner"}))
        .await;
    assert_eq!(changed.expect(200)["role"], "owner");
    // Two owners now: the first may step down, but then Ben cannot.
    let first = format!("/api/v1/organisations/circle/members/{owner_id}");
    app.patch_json(&first, &ben, &json!({"role": "viewer"}))
        .await
        .expect(200);
    app.patch_json(&path, &ben, &json!({"role": "viewer"}))
        .await
        .expect_problem(409);
    app.delete(&path, &ben).await.expect_problem(409);
    app.delete(&first, &ben).await.expect(204);
    app.delete(&first, &ben).await.expect_problem(404);
    app.delete("/api/v1/organisations/circle/members/not-an-id", &ben)
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let ben = app
        .member(&owner, "circle", "ben@example.org", "owner")
        .await;
    let ben_id = member_id(&app, "ben@example.org").await;
    let owner_id = member_id(&app, "owner@circle.example.org").await;

    let demote = json!({"role": "viewer"});
    let bens = format!("/api/v1/organisations/circle/members/{ben_id}");
    let owners = format!("/api/v1/organisations/circle/members/{owner_id}");
    let (a, b) = tokio::join!(
        app.patch_json(&bens, &owner, &demote),
        app.patch_json(&owners, &ben, &demote),
    );

    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    // The loser is refused as the last owner (409), or, when the winner was done
    // before it was even read, as no owner any more (403).
    assert!(matches!(statuses, [200, 403 | 409]), "{statuses:?}");
    let owners = owners_of(&app, "circle").await;
    assert_eq!(owners, 1);
}

#[tokio::test]
async fn inviting_the_last_owner_to_a_lesser_role_is_refused() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;

    let answer = app
        .invite(&owner, "circle", "owner@circle.example.org", "viewer")
        .await;

    answer.expect_problem(409);
    assert_eq!(owners_of(&app, "circle").await, 1);
}

async fn member_id(app: &TestApp, email: &str) -> String {
    let db = app.database().await;
    entity::organiser::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.email.to_string() == email)
        .unwrap_or_else(|| panic!("no organiser {email}"))
        .id
        .to_string()
}

async fn owners_of(app: &TestApp, slug: &str) -> usize {
    let db = app.database().await;
    let org = entity::organisation::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.slug == slug)
        .unwrap();
    entity::membership::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.organisation_id == org.id && m.role == entity::values::Role::Owner)
        .count()
}

// --- the organiser's account -------------------------------------------------------------------

#[tokio::test]
async fn a_token_made_in_the_console_is_shown_once_and_works() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;

    let made = browser
        .submit("/admin/account/tokens", &[("name", "laptop")])
        .await;
    made.expect(303);
    assert_eq!(made.location(), "/admin/account");
    assert!(!made.location().contains("tok_"), "never in a URL");
    let carried = set_cookies(&made)
        .into_iter()
        .find(|l| l.starts_with("turnout_shown_once="))
        .unwrap();
    let token = carried
        .strip_prefix("turnout_shown_once=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(carried.contains("HttpOnly") && carried.contains("Max-Age=60"));

    let cookies = format!(
        "turnout_session={}; turnout_shown_once={token}",
        browser.cookie
    );
    let shown = open_with(&app, "/admin/account", &[("Cookie", &cookies)]).await;
    shown.expect_html(200);
    assert_eq!(text_of(shown.one("code.secret")), token);
    assert!(
        set_cookies(&shown)
            .iter()
            .any(|l| l.starts_with("turnout_shown_once=;"))
    );
    assert!(shown.visible_text().contains("laptop"));
    app.get("/api/v1/me", &token).await.expect(200);
    let again = browser.open("/admin/account").await;
    assert!(again.first("code.secret").is_none());
    let db = app.database().await;
    let stored = entity::api_token::Entity::find().all(&db).await.unwrap();
    assert!(stored.iter().all(|t| t.token_hash != token));

    let id = stored
        .iter()
        .find(|t| t.name.as_deref() == Some("laptop"))
        .unwrap()
        .id;
    browser
        .submit(&format!("/admin/account/tokens/{id}/revoke"), &[])
        .await
        .expect(303);
    app.get("/api/v1/me", &token).await.expect_problem(401);
}

#[tokio::test]
async fn another_organisers_token_cannot_be_revoked_from_the_console() {
    let app = spawn_app().await;
    let (owner, browser) = owner_signed_in(&app).await;
    let ben = app
        .member(&owner, "circle", "ben@example.org", "organiser")
        .await;
    let db = app.database().await;
    let bens = entity::api_token::Entity::find().all(&db).await.unwrap();
    let ben_id = member_id(&app, "ben@example.org").await;
    let bens = bens
        .iter()
        .find(|t| t.organiser_id.to_string() == ben_id)
        .unwrap();

    browser
        .submit(&format!("/admin/account/tokens/{}/revoke", bens.id), &[])
        .await
        .expect_html(404);

    app.get("/api/v1/me", &ben).await.expect(200);
}

#[tokio::test]
async fn changing_the_password_in_the_console_ends_every_other_way_in() {
    let app = spawn_app().await;
    let (api_token, browser) = owner_signed_in(&app).await;
    let phone = Browser::sign_in(&app, "owner@circle.example.org", PASSWORD).await;

    let wrong = browser
        .submit(
            "/admin/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    wrong.expect_html(422);
    error_beside(&wrong, "current_password");
    let short = browser
        .submit(
            "/admin/account/password",
            &[("current_password", PASSWORD), ("new_password", "short")],
        )
        .await;
    short.expect_html(422);
    error_beside(&short, "new_password");

    let changed = browser
        .submit(
            "/admin/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;

    changed.expect(303);
    let here = Browser::from_answer(&app, &changed);
    let page = here.open(changed.location()).await;
    page.expect(200);
    assert!(page.visible_text().contains("Your password is changed"));
    assert_eq!(
        browser.open("/admin").await.status,
        303,
        "the old cookie ends"
    );
    assert_eq!(phone.open("/admin").await.status, 303);
    app.get("/api/v1/me", &api_token).await.expect_problem(401);
    token_of(
        &app.login("owner@circle.example.org", "a brand new passphrase")
            .await,
    );
}

#[tokio::test]
async fn the_console_speaks_the_organisers_language() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;

    let spanish = open_with(&app, "/admin/login", &[("Accept-Language", "es")]).await;
    assert_eq!(spanish.lang(), "es");
    assert_eq!(spanish.h1(), "Entrar en Turnout");

    browser
        .submit("/admin/account/language", &[("language", "fr")])
        .await
        .expect(303);
    let french = browser.in_language("es").open("/admin").await;
    assert_eq!(
        french.lang(),
        "fr",
        "a chosen language wins over the browser's"
    );
    assert_eq!(french.h1(), "Tableau de bord");
}

#[tokio::test]
async fn the_dashboard_counts_what_waits_in_each_organisation() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    app.create_event(&token, crate::helpers::meeting("A draft"))
        .await;
    let approval = crate::helpers::with(
        crate::helpers::meeting("Delegation briefing"),
        json!({"rsvp_mode": "approval"}),
    );
    let event = app.published_event(&token, approval).await;
    let slug = event["slug"].as_str().unwrap();
    app.rsvp(slug, "ana@example.org", json!({}))
        .await
        .expect(201);
    app.rsvp(slug, "ben@example.org", json!({}))
        .await
        .expect(201);
    app.owner_of("other").await;

    let dashboard = browser.open("/admin").await;

    dashboard.expect_html(200);
    let circle = text_of(dashboard.one("li.card"));
    assert!(
        circle.contains("2 applications waiting for approval"),
        "{circle}"
    );
    assert!(circle.contains("1 draft not yet published"), "{circle}");
    assert!(
        !dashboard.visible_text().contains("The other group"),
        "only their own"
    );
}
