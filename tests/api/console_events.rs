//! Events in the organiser console: the list, the form with wall times in the
//! event's zone, children, publish, cancel, duplicate, delete; roles and other
//! organisations' events.

use serde_json::{Value, json};

use crate::console::{Browser, PASSWORD, error_beside, owner_signed_in};
use crate::helpers::{event_at, id_of, meeting, spawn_app, with};
use crate::pages::{Page, text_of};

/// The fields of the new-event form for a screening in Caracas.
fn screening() -> Vec<(&'static str, &'static str)> {
    vec![
        ("kind", "screening"),
        ("title", "La Revolución no será transmitida"),
        ("summary", "Film and discussion"),
        ("description", "A *documentary* of April 2002."),
        ("language", "es"),
        ("timezone", "America/Caracas"),
        ("starts_at", "2038-03-04T19:00"),
        ("ends_at", "2038-03-04T21:30"),
        ("location.venue", "Casa de la Cultura"),
        ("location.locality", "Caracas"),
        ("location.country", "ve"),
        ("online_url", ""),
        ("capacity", "40"),
        ("waitlist", "yes"),
        ("rsvp_mode", "open"),
        ("rsvp_closes_at", ""),
        ("visibility", "public"),
        ("hosts", ""),
        ("slug", ""),
    ]
}

/// Create an event through the form; the id its page is at.
async fn create(browser: &Browser<'_>, fields: &[(&str, &str)]) -> String {
    let made = browser.submit("/admin/circle/events/new", fields).await;
    made.expect(303);
    let location = made.location().to_owned();
    let id = location
        .strip_prefix("/admin/circle/events/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("not an event page: {location}"))
        .to_owned();
    assert!(location.ends_with("?saved=1"), "{location}");
    id
}

fn titles(page: &Page) -> Vec<String> {
    page.all("table.list tbody tr td:first-child a")
        .into_iter()
        .map(text_of)
        .collect()
}

#[tokio::test]
async fn a_new_event_is_typed_in_its_own_zone_and_stored_as_the_api_says() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;

    let blank = browser.open("/admin/circle/events/new").await;
    blank.expect_html(200);
    assert_eq!(
        blank.value_of("timezone"),
        "America/Toronto",
        "the organisation's zone"
    );
    for field in [
        "kind",
        "title",
        "starts_at",
        "ends_at",
        "location.venue",
        "capacity",
        "rsvp_mode",
        "visibility",
    ] {
        let id = blank.field(field).attr("id").unwrap().to_owned();
        assert_eq!(
            blank.all(&format!("label[for=\"{id}\"]")).len(),
            1,
            "{field} has a label"
        );
    }

    let id = create(&browser, &screening()).await;

    let event = app.event(&token, &id).await;
    assert_eq!(event["status"], "draft");
    assert_eq!(event["timezone"], "America/Caracas");
    assert_eq!(event["starts_at"], "2038-03-04T19:00:00");
    assert_eq!(event["starts_at_utc"], "2038-03-04T23:00:00Z");
    assert_eq!(event["location"]["country"], "VE");
    assert_eq!(event["capacity"], 40);
    assert_eq!(event["waitlist"], true);
    assert_eq!(event["language"], "es");
    let page = browser
        .open(&format!("/admin/circle/events/{id}?saved=1"))
        .await;
    page.expect_html(200);
    assert!(page.visible_text().contains("Saved."));
    assert_eq!(page.value_of("starts_at"), "2038-03-04T19:00");
    assert_eq!(page.value_of("location.venue"), "Casa de la Cultura");
    assert!(
        page.hrefs().iter().any(|h| h.ends_with(".ics")),
        "the .ics link"
    );
}

#[tokio::test]
async fn a_time_the_clocks_skip_is_named_beside_its_field() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;
    let mut fields = screening();
    for (name, value) in &mut fields {
        match *name {
            "timezone" => *value = "America/Toronto",
            "starts_at" => *value = "2038-03-14T02:30",
            "ends_at" => *value = "2038-03-14T04:00",
            _ => {}
        }
    }

    let refused = browser.submit("/admin/circle/events/new", &fields).await;

    refused.expect_html(422);
    assert!(error_beside(&refused, "starts_at").contains("clocks skip"));
    assert_eq!(refused.value_of("starts_at"), "2038-03-14T02:30");
    assert_eq!(
        refused.value_of("title"),
        "La Revolución no será transmitida"
    );
}

#[tokio::test]
async fn a_refused_event_names_each_bad_field_and_makes_nothing() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let mut fields = screening();
    for (name, value) in &mut fields {
        match *name {
            "title" => *value = "",
            "ends_at" => *value = "2038-03-04T18:00",
            "location.country" => *value = "Venezuela",
            "capacity" => *value = "lots",
            _ => {}
        }
    }
    fields.push(("location.latitude", "north"));
    fields.push(("location.longitude", "-79.4"));
    fields.push(("rsvp_closes_at", "soon"));

    let refused = browser.submit("/admin/circle/events/new", &fields).await;

    // In one answer: the values that mean nothing and what the service refuses.
    refused.expect_html(422);
    assert_eq!(
        error_beside(&refused, "capacity"),
        "Enter the number of places, a whole number from 1 to 1000000, or leave it empty for no limit."
    );
    assert_eq!(refused.value_of("capacity"), "lots");
    for field in [
        "location.latitude",
        "rsvp_closes_at",
        "title",
        "ends_at",
        "location.country",
    ] {
        assert!(
            refused.first(&format!("[id=\"{field}-error\"]")).is_some(),
            "no error beside {field}: {}",
            refused.text
        );
    }
    assert_eq!(refused.value_of("location.latitude"), "north");
    assert!(app.organiser_events(&token, "").await.is_empty());
}

#[tokio::test]
async fn the_list_shows_upcoming_drafts_and_past_with_filters() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    app.create_campaign(&token, json!({"title": "Solidarity", "slug": "solidarity"}))
        .await;
    app.published_event(&token, meeting("Assembly")).await;
    app.published_event(
        &token,
        with(
            meeting("Campaign meeting"),
            json!({"campaign": "solidarity"}),
        ),
    )
    .await;
    app.create_event(&token, meeting("Draft meeting")).await;
    app.published_event(
        &token,
        event_at(
            "Old screening",
            "screening",
            "America/Toronto",
            "2020-01-10T19:00",
            "2020-01-10T21:00",
        ),
    )
    .await;

    let upcoming = browser.open("/admin/circle/events").await;
    upcoming.expect_html(200);
    let mut shown = titles(&upcoming);
    shown.sort();
    assert_eq!(shown, ["Assembly", "Campaign meeting"]);
    assert_eq!(
        titles(&browser.open("/admin/circle/events?shown=drafts").await),
        ["Draft meeting"]
    );
    assert_eq!(
        titles(&browser.open("/admin/circle/events?shown=past").await),
        ["Old screening"]
    );
    assert_eq!(
        titles(
            &browser
                .open("/admin/circle/events?shown=upcoming&campaign=solidarity")
                .await
        ),
        ["Campaign meeting"]
    );
    assert!(
        titles(
            &browser
                .open("/admin/circle/events?shown=past&kind=workshop")
                .await
        )
        .is_empty()
    );
    assert_eq!(
        titles(
            &browser
                .open("/admin/circle/events?shown=past&kind=screening")
                .await
        ),
        ["Old screening"]
    );
}

#[tokio::test]
async fn a_workshop_is_made_from_its_forum_and_listed_on_it() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let forum = app
        .create_event(
            &token,
            with(meeting("Forum"), json!({"timezone": "America/Caracas"})),
        )
        .await;
    let forum_id = id_of(&forum).to_owned();

    let form = browser
        .open(&format!("/admin/circle/events/new?parent={forum_id}"))
        .await;
    form.expect_html(200);
    assert_eq!(form.value_of("kind"), "workshop");
    assert_eq!(
        form.value_of("timezone"),
        "America/Caracas",
        "the forum's zone"
    );
    assert_eq!(form.value_of("parent_id"), forum_id);
    let fields: Vec<(String, String)> = [
        "kind",
        "title",
        "timezone",
        "starts_at",
        "ends_at",
        "parent_id",
        "rsvp_mode",
        "visibility",
        "language",
    ]
    .iter()
    .map(|name| {
        let value = if *name == "title" {
            "Workshop on media".to_owned()
        } else {
            form.value_of(name)
        };
        ((*name).to_owned(), value)
    })
    .collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let child = create(&browser, &fields).await;

    assert_eq!(
        app.event(&token, &child).await["parent_id"],
        Value::from(forum_id.clone())
    );
    let parent_page = browser
        .open(&format!("/admin/circle/events/{forum_id}"))
        .await;
    assert!(parent_page.visible_text().contains("Workshop on media"));
}

#[tokio::test]
async fn an_event_is_edited_published_duplicated_and_cancelled_with_its_attendees_told() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = create(&browser, &screening()).await;
    let page = format!("/admin/circle/events/{id}");

    let mut fields = screening();
    for (name, value) in &mut fields {
        match *name {
            "title" => *value = "The screening, moved",
            "capacity" => *value = "",
            "slug" => *value = "the-screening",
            _ => {}
        }
    }
    browser.submit(&page, &fields).await.expect(303);
    let saved = app.event(&token, &id).await;
    assert_eq!(saved["title"], "The screening, moved");
    assert_eq!(saved["capacity"], Value::Null, "an emptied field clears it");

    let published = browser.submit(&format!("{page}/publish"), &[]).await;
    published.expect(303);
    assert_eq!(app.event(&token, &id).await["status"], "published");
    app.rsvp("the-screening", "ana@example.org", json!({}))
        .await
        .expect(201);

    let copy = browser.submit(&format!("{page}/duplicate"), &[]).await;
    copy.expect(303);
    let copy_id = copy
        .location()
        .split('/')
        .nth(4)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(copy_id, id);
    let copied = app.event(&token, &copy_id).await;
    assert_eq!(copied["status"], "draft");
    assert_eq!(copied["title"], "The screening, moved");
    assert_ne!(copied["slug"], "the-screening");

    let cancelled = browser
        .submit(&format!("{page}/cancel"), &[("reason", "The hall flooded")])
        .await;
    cancelled.expect(303);
    assert_eq!(app.event(&token, &id).await["status"], "cancelled");
    app.deliver_emails().await;
    let told = app.smtp.last_to("ana@example.org");
    assert!(told.text().contains("The hall flooded"), "{}", told.text());

    let again = browser.submit(&format!("{page}/publish"), &[]).await;
    again.expect_html(409);
    let deleted = browser.submit(&format!("{page}/delete"), &[]).await;
    deleted.expect_html(409);
    browser
        .submit(&format!("/admin/circle/events/{copy_id}/delete"), &[])
        .await
        .expect(303);
    app.get(&format!("/api/v1/events/{copy_id}"), &token)
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn viewers_read_events_and_other_organisations_events_are_not_found() {
    let app = spawn_app().await;
    let (token, owner) = owner_signed_in(&app).await;
    app.member(&token, "circle", "vic@example.org", "viewer")
        .await;
    let other = app.owner_of("other").await;
    let ours = id_of(&app.create_event(&token, meeting("Ours")).await).to_owned();
    let theirs = id_of(&app.create_event(&other, meeting("Theirs")).await).to_owned();
    let viewer = Browser::sign_in(&app, "vic@example.org", PASSWORD).await;

    let read = viewer.open(&format!("/admin/circle/events/{ours}")).await;
    read.expect_html(200);
    assert!(!read.has_field("title"), "a viewer sees no form");
    viewer
        .open("/admin/circle/events/new")
        .await
        .expect_html(403);
    viewer
        .submit(&format!("/admin/circle/events/{ours}/publish"), &[])
        .await
        .expect_html(403);
    viewer
        .submit("/admin/circle/events/new", &screening())
        .await
        .expect_html(403);
    assert_eq!(app.event(&token, &ours).await["status"], "draft");

    viewer
        .open(&format!("/admin/circle/events/{theirs}"))
        .await
        .expect_html(404);
    viewer
        .open(&format!("/admin/other/events/{theirs}"))
        .await
        .expect_html(404);
    viewer
        .open("/admin/circle/events/not-an-id")
        .await
        .expect_html(404);
    owner
        .submit(&format!("/admin/circle/events/{theirs}/publish"), &[])
        .await
        .expect_html(404);
    assert_eq!(app.event(&other, &theirs).await["status"], "draft");
}

#[tokio::test]
async fn a_draft_is_previewed_as_supporters_will_see_it() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let other = app.owner_of("other").await;
    let draft = app
        .create_event(&token, meeting("Assembly in the hall"))
        .await;
    let theirs = app.create_event(&other, meeting("Their draft")).await;
    let id = id_of(&draft);

    let preview = browser
        .open(&format!("/admin/circle/events/{id}/preview"))
        .await;

    preview.expect_html(200);
    assert_eq!(preview.h1(), "Assembly in the hall");
    assert!(
        preview.has_field("email"),
        "the RSVP form as supporters will have it"
    );
    crate::pages::open(
        &app,
        &format!("/events/{}", draft["slug"].as_str().unwrap()),
    )
    .await
    .expect(404);
    browser
        .open(&format!("/admin/circle/events/{}/preview", id_of(&theirs)))
        .await
        .expect_html(404);
}
