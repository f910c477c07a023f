//! The `turnout` command line: migrations, bootstrapping an organisation, tokens.

use crate::helpers::{assert_success, fresh_database, last_line, run_turnout, spawn_app};

#[tokio::test]
async fn migrate_applies_the_migrations_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(dir.path()).await;

    let output = run_turnout(&database_url, &dir.path().join("mail"), &["migrate"]).await;

    assert_success(&output);
}

#[tokio::test]
async fn migrate_on_a_migrated_database_exits_zero() {
    let app = spawn_app().await;

    assert_success(&app.turnout(&["migrate"]).await);
}

#[tokio::test]
async fn bootstrap_prints_the_owners_token_alone_on_the_last_line() {
    let app = spawn_app().await;

    let output = app
        .turnout(&[
            "admin",
            "bootstrap",
            "--org-slug",
            "hands-off-venezuela",
            "--org-name",
            "Hands Off Venezuela",
            "--timezone",
            "Europe/London",
            "--email",
            "ana@hov.example.org",
        ])
        .await;

    assert_success(&output);
    let token = last_line(&output);
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "{token:?}"
    );
    let me = app.get("/api/v1/me", &token).await;
    let me = me.expect(200);
    assert_eq!(me["email"], "ana@hov.example.org");
    assert_eq!(me["memberships"][0]["organisation"], "hands-off-venezuela");
    assert_eq!(me["memberships"][0]["role"], "owner");
}

#[tokio::test]
async fn bootstrap_sets_the_organisations_zone() {
    let app = spawn_app().await;
    let token = app
        .bootstrap_org(
            "sbq",
            "Société Bolivarienne du Québec",
            "America/Toronto",
            "luc@sbq.example.org",
        )
        .await;

    let mut body = crate::helpers::meeting("Réunion");
    body.as_object_mut().unwrap().remove("timezone");
    let event = app.create_event(&token, body).await;

    assert_eq!(event["timezone"], "America/Toronto");
}

#[tokio::test]
async fn bootstrap_refuses_a_zone_that_is_not_iana() {
    let app = spawn_app().await;

    let output = app
        .turnout(&[
            "admin",
            "bootstrap",
            "--org-slug",
            "mars",
            "--org-name",
            "Mars",
            "--timezone",
            "Mars/Olympus",
            "--email",
            "a@mars.example.org",
        ])
        .await;

    assert!(!output.status.success(), "bootstrap accepted Mars/Olympus");
}

/// Bootstrap named only the first bad argument; it names every one.
#[tokio::test]
async fn bootstrap_names_every_bad_argument() {
    let app = spawn_app().await;

    let output = app
        .turnout(&[
            "admin",
            "bootstrap",
            "--org-slug",
            "Not A Slug",
            "--org-name",
            "Mars",
            "--timezone",
            "Mars/Olympus",
            "--email",
            "not an address",
        ])
        .await;

    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    for field in ["slug", "timezone", "email"] {
        assert!(said.contains(&format!("{field}:")), "{field}: {said}");
    }
}

#[tokio::test]
async fn create_token_prints_a_new_working_token() {
    let app = spawn_app().await;
    let first = app
        .bootstrap_org(
            "circle",
            "Louis Riel Bolivarian Circle",
            "America/Toronto",
            "ana@circle.example.org",
        )
        .await;

    let output = app
        .turnout(&["admin", "create-token", "--email", "ana@circle.example.org"])
        .await;

    assert_success(&output);
    let second = last_line(&output);
    assert!(!second.is_empty() && second != first, "{second:?}");
    assert_eq!(
        app.get("/api/v1/me", &second).await.expect(200)["email"],
        "ana@circle.example.org"
    );
    app.get("/api/v1/me", &first).await.expect(200);
}

#[tokio::test]
async fn create_token_for_an_unknown_organiser_fails() {
    let app = spawn_app().await;

    let output = app
        .turnout(&["admin", "create-token", "--email", "nobody@example.org"])
        .await;

    assert!(
        !output.status.success(),
        "a token was made for nobody: {}",
        last_line(&output)
    );
}
