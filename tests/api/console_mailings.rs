//! Mailings in the organiser console (issue 19, point 2): a draft written for an
//! audience in several languages, refused beside the field at fault in the page's
//! language, previewed as the emails render it, edited; the count it reaches; a
//! test to the organiser alone; sent now and delivered, its figures shown while it
//! sends and after; scheduled at a wall time in the organisation's zone and
//! cancelled; deleted; viewers who read and change nothing; another organisation's
//! mailing not found.

use serde_json::{Value, json};

use crate::console::{Browser, PASSWORD, error_beside, owner_signed_in};
use crate::helpers::{TestApp, id_of, items, meeting, spawn_app};
use crate::pages::{Page, text_of};

const OWNER: &str = "owner@circle.example.org";

/// A published event of `circle` with these people going; the event.
pub(crate) async fn film_night(app: &TestApp, token: &str, going: &[&str]) -> Value {
    let event = app.published_event(token, meeting("Film night")).await;
    for email in going {
        let answered = app.rsvp(id_of(&event), email, json!({})).await;
        assert!(answered.status.is_success(), "{}", answered.text);
    }
    // Their RSVP confirmations go out now, so that what arrives later is ours.
    app.deliver_emails().await;
    event
}

/// The new-mailing form for the attendees of `event`, in English and Spanish.
fn letter(event: &str) -> Vec<(String, String)> {
    [
        ("audience.kind", "event_attendees"),
        ("audience.event", event),
        ("audience.statuses", "going"),
        ("subject.en", "Doors open at 7"),
        ("body.en", "Bring a **friend**."),
        ("subject.es", "Abrimos a las 7"),
        ("body.es", "Trae a un **amigo**."),
        ("subject.fr", ""),
        ("body.fr", ""),
        ("reply_to", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A form with some fields changed.
fn changed(mut fields: Vec<(String, String)>, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => (*value).clone_into(&mut field.1),
            None => fields.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    fields
}

fn borrowed(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Write a draft through the form; its id.
async fn create(browser: &Browser<'_>, fields: &[(String, String)]) -> String {
    let made = browser
        .submit("/admin/circle/mailings/new", &borrowed(fields))
        .await;
    made.expect(303);
    let location = made.location().to_owned();
    assert!(location.ends_with("?saved=1"), "{location}");
    location
        .strip_prefix("/admin/circle/mailings/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("not a mailing's page: {location}"))
        .to_owned()
}

async fn mailing(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/mailings/{id}"), token)
        .await
        .expect(200)
        .clone()
}

fn page_of(id: &str) -> String {
    format!("/admin/circle/mailings/{id}")
}

/// The emails `address` received with this subject.
fn received(app: &TestApp, address: &str, subject: &str) -> usize {
    app.smtp
        .to(address)
        .iter()
        .filter(|m| m.subject() == subject)
        .count()
}

fn figure(page: &Page, name: &str) -> String {
    text_of(page.one(&format!("#figure-{name}")))
}

/// The forms of a page that act on mailings (the sign-out form is every page's).
fn mailing_forms(page: &Page) -> usize {
    page.all("form[action*=\"/mailings\"]").len()
}

#[tokio::test]
async fn a_mailing_is_refused_beside_its_field_previewed_created_and_edited() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let event = film_night(&app, &token, &["ana@example.org", "ben@example.org"]).await;
    let event_id = id_of(&event).to_owned();

    let blank = browser.open("/admin/circle/mailings/new").await;
    blank.expect_html(200);
    for field in ["subject.en", "body.es", "audience.event", "reply_to"] {
        let id = blank.field(field).attr("id").unwrap().to_owned();
        assert_eq!(
            blank.all(&format!("label[for=\"{id}\"]")).len(),
            1,
            "{field} has a label"
        );
    }
    assert!(
        blank.visible_text().contains("Film night"),
        "the organisation's events are offered"
    );
    let nav = browser.open("/admin/circle/events").await;
    assert!(
        nav.links_to(|h| h == "/admin/circle/mailings"),
        "in the nav"
    );

    // A subject without its text is told beside the text, in the page's language,
    // with what was typed kept.
    let half = changed(letter(&event_id), &[("body.es", "")]);
    let refused = browser
        .submit("/admin/circle/mailings/new", &borrowed(&half))
        .await;
    refused.expect_html(422);
    assert!(
        error_beside(&refused, "body.es").contains("Write the text in this language too"),
        "{}",
        refused.text
    );
    assert_eq!(refused.value_of("subject.es"), "Abrimos a las 7");
    assert_eq!(refused.value_of("body.en"), "Bring a **friend**.");
    let spanish = Browser::sign_in(&app, OWNER, PASSWORD)
        .await
        .in_language("es");
    let refused = spanish
        .submit("/admin/circle/mailings/new", &borrowed(&half))
        .await;
    refused.expect_html(422);
    assert!(
        error_beside(&refused, "body.es").contains("Escribe también el texto"),
        "{}",
        refused.text
    );
    // An event's attendees with no status ticked, and a reply address that is not
    // one.
    let no_status: Vec<(String, String)> = changed(letter(&event_id), &[("reply_to", "nope")])
        .into_iter()
        .filter(|(k, _)| k != "audience.statuses")
        .collect();
    let refused = browser
        .submit("/admin/circle/mailings/new", &borrowed(&no_status))
        .await;
    refused.expect_html(422);
    assert!(error_beside(&refused, "audience.statuses").contains("Tick at least one"));
    assert!(error_beside(&refused, "reply_to").contains("email address"));
    assert!(items(app.get("/api/v1/mailings", &token).await.expect(200)).is_empty());

    // The preview shows each language as the emails render it, and saves nothing.
    let preview = browser
        .submit(
            "/admin/circle/mailings/new",
            &borrowed(&changed(letter(&event_id), &[("_preview", "yes")])),
        )
        .await;
    preview.expect_html(200);
    assert_eq!(text_of(preview.one("#preview-en .prose strong")), "friend");
    assert_eq!(text_of(preview.one("#preview-es .prose strong")), "amigo");
    assert!(
        preview.first("#preview-fr").is_none(),
        "nothing written in French"
    );
    assert_eq!(preview.value_of("body.es"), "Trae a un **amigo**.");
    assert!(items(app.get("/api/v1/mailings", &token).await.expect(200)).is_empty());

    let id = create(&browser, &letter(&event_id)).await;
    let made = mailing(&app, &token, &id).await;
    assert_eq!(made["status"], "draft");
    assert_eq!(
        made["subject"],
        json!({"en": "Doors open at 7", "es": "Abrimos a las 7"})
    );
    assert_eq!(made["audience"]["kind"], "event_attendees");
    assert_eq!(made["audience"]["statuses"], json!(["going"]));

    // Its page says how many it reaches, before anything is sent.
    let page = browser.open(&format!("{}?saved=1", page_of(&id))).await;
    page.expect_html(200);
    assert!(page.visible_text().contains("Saved."));
    assert_eq!(
        text_of(page.one("#reaches")),
        "This mailing reaches 2 people."
    );
    assert!(page.visible_text().contains("Send to 2 people"));
    assert_eq!(page.value_of("subject.es"), "Abrimos a las 7");
    assert!(text_of(page.one("#audience")).contains("Film night"));

    // Edited: English only now, to those waitlisted too, replies to another
    // address.
    let mut edited = changed(
        letter(&event_id),
        &[
            ("subject.en", "Doors open at 6"),
            ("subject.es", ""),
            ("body.es", ""),
            ("reply_to", "team@circle.example.org"),
        ],
    );
    edited.push(("audience.statuses".into(), "waitlisted".into()));
    browser
        .submit(&page_of(&id), &borrowed(&edited))
        .await
        .expect(303);
    let stored = mailing(&app, &token, &id).await;
    assert_eq!(
        stored["audience"]["statuses"],
        json!(["going", "waitlisted"])
    );
    assert_eq!(stored["subject"], json!({"en": "Doors open at 6"}));
    assert_eq!(stored["reply_to"], "team@circle.example.org");

    // The list shows it with its audience in words and whom it reaches.
    let list = browser.open("/admin/circle/mailings").await;
    list.expect_html(200);
    let row = text_of(list.one("#mailings tbody tr"));
    assert!(row.contains("Doors open at 6"), "{row}");
    assert!(row.contains("Draft"), "{row}");
    assert!(
        row.contains("Attendees of Film night (10 February 2038): going, on the waitlist"),
        "{row}"
    );
    assert_eq!(text_of(list.one("#mailings td.recipients")), "2");
}

#[tokio::test]
async fn a_test_goes_to_the_organiser_alone_and_sending_delivers_with_figures() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let event = film_night(&app, &token, &["ana@example.org", "ben@example.org"]).await;
    let id = create(&browser, &letter(id_of(&event))).await;

    let tested = browser.submit(&format!("{}/test", page_of(&id)), &[]).await;
    tested.expect(303);
    assert!(tested.location().ends_with("?tested=1"));
    let page = browser.open(tested.location()).await;
    assert!(
        page.visible_text()
            .contains("Test sent to owner@circle.example.org."),
        "{}",
        page.visible_text()
    );
    app.deliver_emails().await;
    // One per language written, marked as a test, and to nobody else.
    assert_eq!(received(&app, OWNER, "[Test] Doors open at 7"), 1);
    assert_eq!(received(&app, OWNER, "[Prueba] Abrimos a las 7"), 1);
    for attendee in ["ana@example.org", "ben@example.org"] {
        assert!(
            app.smtp
                .to(attendee)
                .iter()
                .all(|m| !m.subject().contains("Doors open")),
            "{attendee} got the test"
        );
    }
    assert_eq!(mailing(&app, &token, &id).await["status"], "draft");

    let sent = browser
        .submit(&format!("{}/send", page_of(&id)), &[("at", "")])
        .await;
    sent.expect(303);
    assert!(sent.location().ends_with("?sent=1"));
    // While it sends: its figures so far, and a plain link to see them move.
    let sending = browser.open(sent.location()).await;
    sending.expect_html(200);
    assert_eq!(text_of(sending.one("#status")), "Sending");
    assert_eq!(figure(&sending, "recipients"), "2");
    assert_eq!(figure(&sending, "waiting"), "2");
    assert_eq!(figure(&sending, "sent"), "0");
    assert!(sending.links_to(|h| h == page_of(&id)), "a Refresh link");
    assert!(!sending.has_field("subject.en"), "no longer editable");

    app.deliver_emails().await;
    assert_eq!(received(&app, "ana@example.org", "Doors open at 7"), 1);
    assert_eq!(received(&app, "ben@example.org", "Doors open at 7"), 1);
    assert_eq!(received(&app, OWNER, "Doors open at 7"), 0);

    let done = browser.open(&page_of(&id)).await;
    assert_eq!(text_of(done.one("#status")), "Sent");
    assert_eq!(figure(&done, "sent"), "2");
    assert_eq!(figure(&done, "failed"), "0");
    assert_eq!(figure(&done, "waiting"), "0");
    assert_eq!(figure(&done, "bounced"), "0");
    assert_eq!(figure(&done, "unsubscribed"), "0");
    assert!(
        !done.links_to(|h| h == page_of(&id)),
        "nothing left to refresh"
    );
    assert_eq!(text_of(done.one("#version-en .prose strong")), "friend");
    let list = browser.open("/admin/circle/mailings").await;
    assert_eq!(
        text_of(list.one("#mailings td.figures")),
        "2 sent, 0 failed, 0 bounced, 0 unsubscribed"
    );

    // Sent once: sending again is refused in words.
    let again = browser
        .submit(&format!("{}/send", page_of(&id)), &[("at", "")])
        .await;
    again.expect_html(409);
    assert!(again.visible_text().contains("sent or cancelled already"));
    app.deliver_emails().await;
    assert_eq!(received(&app, "ana@example.org", "Doors open at 7"), 1);
}

#[tokio::test]
async fn a_mailing_is_scheduled_in_the_organisations_zone_cancelled_or_deleted() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let event = film_night(&app, &token, &["ana@example.org"]).await;
    let id = create(&browser, &letter(id_of(&event))).await;
    let send = format!("{}/send", page_of(&id));

    // 2:30 on 14 March 2038 does not happen in Toronto; a time past is not to come.
    let skipped = browser.submit(&send, &[("at", "2038-03-14T02:30")]).await;
    skipped.expect_html(422);
    assert!(error_beside(&skipped, "at").contains("clocks skip"));
    assert_eq!(skipped.value_of("at"), "2038-03-14T02:30");
    let past = browser.submit(&send, &[("at", "2020-01-01T10:00")]).await;
    past.expect_html(422);
    assert!(error_beside(&past, "at").contains("time to come"));
    assert_eq!(mailing(&app, &token, &id).await["status"], "draft");

    let scheduled = browser.submit(&send, &[("at", "2038-03-01T12:00")]).await;
    scheduled.expect(303);
    let stored = mailing(&app, &token, &id).await;
    assert_eq!(stored["status"], "scheduled");
    // Noon in Toronto on 1 March is 17:00 UTC.
    assert_eq!(stored["send_at"], "2038-03-01T17:00:00Z");
    let page = browser.open(scheduled.location()).await;
    assert!(page.visible_text().contains("Scheduled."));
    assert!(text_of(page.one("#send-at")).contains("12:00 EST"));
    assert!(!page.has_field("subject.en"), "only a draft is edited");
    assert!(page.visible_text().contains("Send to 1 person"));

    let cancelled = browser
        .submit(&format!("{}/cancel", page_of(&id)), &[])
        .await;
    cancelled.expect(303);
    assert_eq!(mailing(&app, &token, &id).await["status"], "cancelled");
    let page = browser.open(cancelled.location()).await;
    assert!(
        page.visible_text()
            .contains("Cancelled: nothing more of it will be sent.")
    );
    let again = browser
        .submit(&format!("{}/cancel", page_of(&id)), &[])
        .await;
    again.expect_html(409);
    assert!(again.visible_text().contains("nothing left to cancel"));
    let edit = browser
        .submit(&page_of(&id), &borrowed(&letter(id_of(&event))))
        .await;
    edit.expect_html(409);
    assert!(edit.visible_text().contains("Only a draft can be changed"));

    // A draft is deleted; the list says so.
    let draft = create(&browser, &letter(id_of(&event))).await;
    let deleted = browser
        .submit(&format!("{}/delete", page_of(&draft)), &[])
        .await;
    deleted.expect(303);
    assert_eq!(deleted.location(), "/admin/circle/mailings?deleted=1");
    let list = browser.open(deleted.location()).await;
    assert!(list.visible_text().contains("The draft was deleted."));
    assert_eq!(list.all("#mailings tbody tr").len(), 1);
    app.get(&format!("/api/v1/mailings/{draft}"), &token)
        .await
        .expect_problem(404);
    app.deliver_emails().await;
    assert_eq!(received(&app, "ana@example.org", "Doors open at 7"), 0);
}

#[tokio::test]
async fn viewers_read_mailings_and_change_nothing() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let event = film_night(&app, &token, &["ana@example.org"]).await;
    let id = create(&browser, &letter(id_of(&event))).await;
    app.member(&token, "circle", "vic@example.org", "viewer")
        .await;
    let viewer = Browser::sign_in(&app, "vic@example.org", PASSWORD).await;

    let list = viewer.open("/admin/circle/mailings").await;
    list.expect_html(200);
    assert!(list.visible_text().contains("Doors open at 7"));
    assert!(!list.links_to(|h| h.ends_with("/mailings/new")));
    let page = viewer.open(&page_of(&id)).await;
    page.expect_html(200);
    assert_eq!(mailing_forms(&page), 0, "a viewer sees no form");
    assert_eq!(text_of(page.one("#version-en .prose strong")), "friend");
    viewer
        .open("/admin/circle/mailings/new")
        .await
        .expect_html(403);

    for action in ["", "/test", "/send", "/cancel", "/delete"] {
        viewer
            .submit(
                &format!("{}{action}", page_of(&id)),
                &borrowed(&letter(id_of(&event))),
            )
            .await
            .expect_html(403);
    }
    viewer
        .submit(
            "/admin/circle/mailings/new",
            &borrowed(&letter(id_of(&event))),
        )
        .await
        .expect_html(403);
    app.deliver_emails().await;
    assert!(
        app.smtp
            .to("vic@example.org")
            .iter()
            .all(|m| !m.subject().contains("Doors"))
    );
    assert_eq!(mailing(&app, &token, &id).await["status"], "draft");
    assert_eq!(
        items(app.get("/api/v1/mailings", &token).await.expect(200)).len(),
        1
    );
}

#[tokio::test]
async fn another_organisations_mailing_is_not_found() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;
    let other = app.owner_of("other").await;
    let theirs = app
        .post_json(
            "/api/v1/mailings",
            &other,
            &json!({
                "organisation": "other",
                "audience": {"kind": "subscribers"},
                "subject": {"en": "Their news"},
                "body": {"en": "Theirs."},
            }),
        )
        .await;
    let id = id_of(theirs.expect(201)).to_owned();

    for path in [
        format!("/admin/circle/mailings/{id}"),
        format!("/admin/other/mailings/{id}"),
        "/admin/circle/mailings/not-an-id".to_owned(),
    ] {
        let page = browser.open(&path).await;
        page.expect_html(404);
        assert!(!page.text.contains("Their news"), "{path}");
    }
    for action in ["", "/test", "/send", "/cancel", "/delete"] {
        browser
            .submit(&format!("/admin/circle/mailings/{id}{action}"), &[])
            .await
            .expect_html(404);
    }
    let list = browser.open("/admin/circle/mailings").await;
    assert!(!list.visible_text().contains("Their news"));
    assert_eq!(
        mailing(&app, &other, &id).await["status"],
        "draft",
        "nothing done to it"
    );
}

#[tokio::test]
async fn a_mailing_to_nobody_says_so_in_the_organisers_language() {
    let app = spawn_app().await;
    let (token, _) = owner_signed_in(&app).await;
    let spanish = Browser::sign_in(&app, OWNER, PASSWORD)
        .await
        .in_language("es");
    let fields = [
        ("audience.kind", "subscribers"),
        ("subject.es", "Noticias"),
        ("body.es", "Hola."),
    ];
    let made = spanish.submit("/admin/circle/mailings/new", &fields).await;
    made.expect(303);
    let page = spanish.open(made.location()).await;
    page.expect_html(200);
    assert_eq!(
        text_of(page.one("#reaches")),
        "Este envío llega a 0 personas."
    );
    assert!(
        page.visible_text()
            .contains("Todavía no hay nadie en este público")
    );
    assert!(!page.visible_text().contains("Enviar a"), "no send button");

    let id = made
        .location()
        .trim_start_matches("/admin/circle/mailings/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let refused = spanish
        .submit(&format!("{}/send", page_of(&id)), &[("at", "")])
        .await;
    refused.expect_html(409);
    assert!(
        refused
            .visible_text()
            .contains("No hay nadie en el público de este envío"),
        "{}",
        refused.text
    );
    assert_eq!(mailing(&app, &token, &id).await["status"], "draft");
}

#[tokio::test]
async fn the_dashboard_tells_of_mailings_written_and_not_yet_sent() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let before = browser.open("/admin").await;
    assert!(
        !before.visible_text().contains("not yet sent"),
        "{}",
        before.text
    );

    app.post_json(
        "/api/v1/mailings",
        &token,
        &json!({
            "organisation": "circle",
            "audience": { "kind": "subscribers" },
            "subject": { "en": "News" },
            "body": { "en": "Soon." },
        }),
    )
    .await
    .expect(201);

    let after = browser.open("/admin").await;
    assert!(
        after
            .visible_text()
            .contains("1 mailing written and not yet sent"),
        "{}",
        after.text
    );
    assert!(after.links_to(|href| href == "/admin/circle/mailings"));
}
