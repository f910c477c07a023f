//! Links that act without a login (an RSVP's manage link, a supporter's own feed) are
//! kept only as hashes (issue 15, point 12): a copy of the database opens nobody's
//! RSVP or calendar, while every link a supporter was sent keeps working.

use migration::{Migrator, MigratorTrait};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, JsonValue, Statement};
use serde_json::json;

use crate::helpers::*;
use crate::pages::{hall_event, path_of};

/// Every row of every table of the app's database, as text.
async fn everything_stored(app: &TestApp) -> String {
    let db = app.database().await;
    let backend = db.get_database_backend();
    let tables = match backend {
        DbBackend::Sqlite => "SELECT name AS name FROM sqlite_master WHERE type = 'table'",
        _ => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema()"
        }
    };
    let mut all = String::new();
    for table in JsonValue::find_by_statement(Statement::from_string(backend, tables))
        .all(&db)
        .await
        .expect("the tables are listed")
    {
        let name = table["name"].as_str().expect("a table name").to_owned();
        let rows = JsonValue::find_by_statement(Statement::from_string(
            backend,
            format!("SELECT * FROM \"{name}\""),
        ))
        .all(&db)
        .await
        .unwrap_or_else(|e| panic!("{name} is read: {e}"));
        all.push_str(&format!("{name}: {}\n", json!(rows)));
    }
    let _ = db.close().await;
    all
}

fn secret_in(link: &str) -> &str {
    link.trim_end_matches("/calendar.ics")
        .rsplit('/')
        .next()
        .expect("a token")
}

#[tokio::test]
async fn a_copy_of_the_database_opens_no_rsvp_and_no_feed() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    let answered = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    let answered = manage_token(&answered);
    let feed = app.feed_link("ana@example.org").await;
    // Asked again, the link goes to her address: a second one, minted for it.
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(202);
    let emailed = app
        .emailed_link("ana@example.org", "http://127.0.0.1/rsvps/")
        .await;
    let emailed = secret_in(&emailed).to_owned();
    assert_ne!(answered, emailed, "each message mints its own link");

    // Every link Ana was given opens her RSVP or her calendar.
    for link in [&answered, &emailed] {
        let seen = app
            .get_public(&format!("/api/v1/public/rsvps/{link}"))
            .await;
        assert_eq!(seen.expect(200)["status"], "going");
    }
    let calendar = app.get_public(&path_of(&feed)).await;
    assert_eq!(calendar.status, 200, "{}", calendar.text);
    assert!(calendar.text.contains("Film night"), "{}", calendar.text);

    // None of them is anywhere in the database, the sent email's record included.
    let stored = everything_stored(&app).await;
    assert!(
        stored.contains("ana@example.org"),
        "the dump reads the tables"
    );
    assert_absent(
        &stored,
        &[answered.as_str(), emailed.as_str(), secret_in(&feed)],
    );

    // Cancelled and placed again by whoever typed her address: every link she had
    // stops working; the new RSVP's link works.
    let cancelled = app
        .send(
            Method::DELETE,
            &format!("/api/v1/public/rsvps/{emailed}"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(cancelled.status, 204, "{}", cancelled.text);
    let again = app
        .rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201)
        .clone();
    for link in [&answered, &emailed] {
        app.get_public(&format!("/api/v1/public/rsvps/{link}"))
            .await
            .expect_problem(404);
    }
    app.get_public(&format!("/api/v1/public/rsvps/{}", manage_token(&again)))
        .await
        .expect(200);
}

#[tokio::test]
async fn links_sent_before_they_were_hashed_still_work() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = hall_event(&app, &token, "Film night", json!({})).await;
    app.rsvp(id_of(&event), "ana@example.org", json!({}))
        .await
        .expect(201);

    // The database as it was before: plaintext tokens in the rows, as emails
    // already sent carry them.
    let db = app.database().await;
    let migrations = Migrator::migrations();
    let hashing = migrations
        .iter()
        .position(|m| m.name() == "m20261206_000015_hashed_links")
        .expect("the hashing migration");
    let steps = u32::try_from(migrations.len() - hashing).unwrap();
    Migrator::down(&db, Some(steps))
        .await
        .expect("back to before the hashing");
    let old_manage = "a1".repeat(32);
    let old_feed = "f2".repeat(32);
    for statement in [
        format!("UPDATE rsvps SET manage_token = '{old_manage}'"),
        format!("UPDATE supporters SET feed_token = '{old_feed}'"),
    ] {
        db.execute_unprepared(&statement)
            .await
            .expect("old tokens set");
    }
    Migrator::up(&db, None).await.expect("migrated again");
    let _ = db.close().await;

    let seen = app
        .get_public(&format!("/api/v1/public/rsvps/{old_manage}"))
        .await;
    assert_eq!(seen.expect(200)["status"], "going");
    let calendar = app
        .get_public(&format!("/feeds/{old_feed}/calendar.ics"))
        .await;
    assert_eq!(calendar.status, 200, "{}", calendar.text);
    assert!(calendar.text.contains("Film night"), "{}", calendar.text);
    let stored = everything_stored(&app).await;
    for secret in [&old_manage, &old_feed] {
        assert!(!stored.contains(secret.as_str()), "{secret} is stored");
    }
}

#[tokio::test]
async fn a_link_secret_set_by_the_operator_is_not_kept_in_the_database() {
    let app = spawn_app().await;
    let db = app.database().await;
    let stored = || async {
        entity::setting::Entity::find_by_id("link_secret".to_owned())
            .one(&db)
            .await
            .expect("settings are read")
    };
    // Unset, a key is generated once and kept in the database (API.md).
    assert!(stored().await.is_some());

    let config = turnout::config::Config {
        database_url: app.database_url.clone(),
        secret: Some("the operator's own key".into()),
        ..Default::default()
    };
    let site = turnout::app::site(&config, &db)
        .await
        .expect("the site is set up");
    assert_eq!(&*site.secret, "the operator's own key");
    // A copy of the database made from now on holds no key that signs links.
    assert!(
        stored().await.is_none(),
        "the generated key is still stored"
    );
    let _ = db.close().await;
}
