//! Petitions in the organiser console: the list, the form with every field of the
//! contract and a preview of the text, publish, close, deliver; the signatures
//! page (search, status, CSVs, a hidden comment, invalidating one signature or a
//! batch named by a filter, and undoing it) with the count kept exact, under
//! concurrent organisers too; roles and other organisations' petitions.
//!
//! Viewers are answered 403 on the signatures page and its CSVs: every row there
//! is somebody's name and address.

use serde_json::{Value, json};

use crate::console::{Browser, PASSWORD, error_beside, owner_signed_in};
use crate::helpers::{TestApp, id_of, items, name_of, spawn_app, with};
use crate::pages::{Page, confirmation_path, open, public_count, submit, text_of};

/// The fields of the new-petition form.
fn tenants() -> Vec<(&'static str, &'static str)> {
    vec![
        ("title", "Stop the eviction of the Kensington tenants"),
        ("target", "Toronto City Council"),
        ("body", "The landlord wants them out by **March**."),
        ("language", "en"),
        ("campaign", ""),
        ("slug", ""),
        ("goal", "500"),
        ("closes_at", "2038-03-01T12:00"),
        ("require_confirmation", "yes"),
        ("fields.affiliation", "optional"),
        ("fields.postal_code", "off"),
        ("fields.country", "required"),
        ("fields.comment", "optional"),
    ]
}

/// Change some fields of a form.
fn changed<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value,
            None => fields.push((name, value)),
        }
    }
    fields
}

/// Create a petition through the form; its id.
async fn create(browser: &Browser<'_>, fields: &[(&str, &str)]) -> String {
    let made = browser.submit("/admin/circle/petitions/new", fields).await;
    made.expect(303);
    let location = made.location().to_owned();
    assert!(location.ends_with("?saved=1"), "{location}");
    location
        .strip_prefix("/admin/circle/petitions/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("not a petition page: {location}"))
        .to_owned()
}

async fn petition(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/petitions/{id}"), token)
        .await
        .expect(200)
        .clone()
}

/// A petition open for signatures, made through the API.
async fn open_petition(app: &TestApp, token: &str, extra: Value) -> Value {
    app.published_petition(
        token,
        with(
            json!({"title": "Free the press", "target": "The Ministry"}),
            extra,
        ),
    )
    .await
}

/// Sign through the public API.
async fn sign(app: &TestApp, petition: &Value, email: &str, extra: Value) {
    let reply = app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/public/petitions/{}/signatures", id_of(petition)),
            None,
            Some(&with(
                json!({ "email": email, "name": name_of(email) }),
                extra,
            )),
            None,
        )
        .await;
    assert!(reply.status.is_success(), "{} {}", reply.status, reply.text);
}

/// Follow the confirmation link emailed to `email` (through the API that the
/// confirmation page calls); its status.
async fn confirm(app: &TestApp, email: &str) -> u16 {
    app.deliver_emails().await;
    let path = confirmation_path(app, email);
    let token = path.rsplit('/').next().unwrap().to_owned();
    app.send(
        reqwest::Method::POST,
        "/api/v1/public/signatures/confirm",
        None,
        Some(&json!({ "token": token })),
        None,
    )
    .await
    .status
    .as_u16()
}

/// Every signature of a petition, as the API lists them.
async fn signatures(app: &TestApp, token: &str, petition: &str) -> Vec<Value> {
    items(
        app.get(
            &format!("/api/v1/petitions/{petition}/signatures?limit=200"),
            token,
        )
        .await
        .expect(200),
    )
}

/// The petition's count as stored, and the confirmed signatures as listed: they
/// must agree.
async fn count_agrees(app: &TestApp, token: &str, petition: &str) -> i64 {
    let stored = petition_count(app, token, petition).await;
    let confirmed = signatures(app, token, petition)
        .await
        .iter()
        .filter(|s| s["status"] == "confirmed")
        .count();
    assert_eq!(stored, confirmed as i64, "the count is the confirmed ones");
    stored
}

async fn petition_count(app: &TestApp, token: &str, id: &str) -> i64 {
    petition(app, token, id).await["signature_count"]
        .as_i64()
        .unwrap()
}

/// The id of the signature of `email` (as the API lists it).
async fn signature_of(app: &TestApp, token: &str, petition: &str, email: &str) -> String {
    signatures(app, token, petition)
        .await
        .into_iter()
        .find(|s| s["email"] == email)
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no signature of {email}"))
}

fn names(page: &Page) -> Vec<String> {
    page.all("#signatures tbody tr td.person")
        .into_iter()
        .map(|td| text_of(td).split(' ').next().unwrap_or("").to_owned())
        .collect()
}

fn base(id: &str) -> String {
    format!("/admin/circle/petitions/{id}/signatures")
}

// --- the petition -------------------------------------------------------------------------

#[tokio::test]
async fn a_new_petition_takes_every_field_previews_its_text_and_is_stored_as_the_api_says() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;

    let blank = browser.open("/admin/circle/petitions/new").await;
    blank.expect_html(200);
    for field in [
        "title",
        "target",
        "body",
        "goal",
        "closes_at",
        "fields.affiliation",
        "fields.comment",
    ] {
        let id = blank.field(field).attr("id").unwrap().to_owned();
        assert_eq!(
            blank.all(&format!("label[for=\"{id}\"]")).len(),
            1,
            "{field} has a label"
        );
    }
    assert_eq!(blank.value_of("fields.comment"), "off");

    // The preview shows the text as supporters will read it, and saves nothing.
    let mut fields = tenants();
    fields.push(("_preview", "yes"));
    let preview = browser.submit("/admin/circle/petitions/new", &fields).await;
    preview.expect_html(200);
    assert_eq!(text_of(preview.one("#preview .prose strong")), "March");
    assert_eq!(
        preview.value_of("body"),
        "The landlord wants them out by **March**."
    );
    assert!(
        items(app.get("/api/v1/petitions", &token).await.expect(200)).is_empty(),
        "a preview saves nothing"
    );

    let id = create(&browser, &tenants()).await;
    let made = petition(&app, &token, &id).await;
    assert_eq!(made["status"], "draft");
    assert_eq!(made["target"], "Toronto City Council");
    assert_eq!(made["goal"], 500);
    // Noon in Toronto on 1 March is 17:00 UTC.
    assert_eq!(made["closes_at"], "2038-03-01T17:00:00Z");
    assert_eq!(made["require_confirmation"], true);
    assert_eq!(
        made["fields"],
        json!({"affiliation": "optional", "postal_code": "off", "country": "required", "comment": "optional"})
    );
    let page = browser
        .open(&format!("/admin/circle/petitions/{id}?saved=1"))
        .await;
    page.expect_html(200);
    assert!(page.visible_text().contains("Saved."));
    assert_eq!(page.value_of("closes_at"), "2038-03-01T12:00");
    assert_eq!(page.value_of("fields.country"), "required");
}

#[tokio::test]
async fn a_refused_petition_names_each_bad_field_and_makes_nothing() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;

    let fields = changed(
        tenants(),
        &[
            ("title", ""),
            ("target", ""),
            ("goal", "lots"),
            ("closes_at", "2038-03-14T02:30"),
        ],
    );
    let refused = browser.submit("/admin/circle/petitions/new", &fields).await;
    refused.expect_html(422);
    error_beside(&refused, "goal");
    assert!(error_beside(&refused, "closes_at").contains("clocks skip"));
    assert_eq!(refused.value_of("goal"), "lots");

    // With the form's own fields mended, the service names the rest.
    let fields = changed(
        tenants(),
        &[
            ("title", ""),
            ("target", ""),
            ("goal", "0"),
            ("slug", "Not a slug!"),
        ],
    );
    let refused = browser.submit("/admin/circle/petitions/new", &fields).await;
    refused.expect_html(422);
    for field in ["title", "target", "goal", "slug"] {
        error_beside(&refused, field);
    }
    assert_eq!(refused.value_of("target"), "");
    assert_eq!(
        refused.value_of("body"),
        "The landlord wants them out by **March**."
    );
    assert!(items(app.get("/api/v1/petitions", &token).await.expect(200)).is_empty());

    // A slug another petition has is told beside the slug.
    create(&browser, &changed(tenants(), &[("slug", "tenants")])).await;
    let taken = browser
        .submit(
            "/admin/circle/petitions/new",
            &changed(tenants(), &[("slug", "tenants")]),
        )
        .await;
    taken.expect_html(422);
    assert!(error_beside(&taken, "slug").contains("Another page"));
}

#[tokio::test]
async fn a_petition_is_edited_published_closed_and_delivered_with_its_count_kept() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = create(
        &browser,
        &changed(tenants(), &[("require_confirmation", "")]),
    )
    .await;
    let page = format!("/admin/circle/petitions/{id}");

    let saved = browser
        .submit(
            &page,
            &changed(
                tenants(),
                &[
                    ("title", "Keep the Kensington tenants home"),
                    ("goal", ""),
                    ("closes_at", ""),
                    ("require_confirmation", ""),
                    ("fields.country", "off"),
                ],
            ),
        )
        .await;
    saved.expect(303);
    let stored = petition(&app, &token, &id).await;
    assert_eq!(stored["title"], "Keep the Kensington tenants home");
    assert_eq!(stored["goal"], Value::Null, "an emptied goal is cleared");
    assert_eq!(stored["closes_at"], Value::Null);
    assert_eq!(stored["fields"]["country"], "off");

    // A draft cannot be closed: the page says why.
    let refused = browser.submit(&format!("{page}/close"), &[]).await;
    refused.expect_html(409);
    assert!(refused.visible_text().contains("publish it first"));

    browser
        .submit(&format!("{page}/publish"), &[])
        .await
        .expect(303);
    let published = browser.open(&format!("{page}?published=1")).await;
    assert!(published.visible_text().contains("taking signatures"));
    let url = format!(
        "http://127.0.0.1/petitions/{}",
        stored["slug"].as_str().unwrap()
    );
    assert!(published.hrefs().contains(&url), "links its public page");
    let petition_json = petition(&app, &token, &id).await;
    for n in 0..3 {
        sign(
            &app,
            &petition_json,
            &format!("signer{n}@example.org"),
            json!({}),
        )
        .await;
    }

    browser
        .submit(&format!("{page}/close"), &[])
        .await
        .expect(303);
    assert_eq!(petition(&app, &token, &id).await["status"], "closed");
    let reopen = browser.submit(&format!("{page}/publish"), &[]).await;
    reopen.expect_html(409);
    assert!(reopen.visible_text().contains("cannot open again"));

    // A delivery date the form cannot read is told beside it.
    let refused = browser
        .submit(
            &format!("{page}/deliver"),
            &[
                ("delivered_at", "soon"),
                ("method", "By hand"),
                ("note", ""),
            ],
        )
        .await;
    refused.expect_html(422);
    error_beside(&refused, "delivered_at");
    assert_eq!(refused.value_of("method"), "By hand");

    let delivered = browser
        .submit(
            &format!("{page}/deliver"),
            &[
                ("delivered_at", "2038-02-10T15:30"),
                ("method", "By hand at City Hall"),
                ("note", "Received by the clerk."),
            ],
        )
        .await;
    delivered.expect(303);
    let stored = petition(&app, &token, &id).await;
    assert_eq!(stored["status"], "delivered");
    assert_eq!(stored["delivered_at"], "2038-02-10T20:30:00Z");
    assert_eq!(
        stored["delivery_note"],
        "By hand at City Hall — Received by the clerk."
    );
    let shown = browser.open(&format!("{page}?delivered=1")).await;
    let delivery = text_of(shown.one("#delivery"));
    assert!(
        delivery.contains("2038-02-10 15:30") && delivery.contains("with 3 signatures"),
        "{delivery}"
    );

    // What was handed over stays as it was.
    let one = signature_of(&app, &token, &id, "signer0@example.org").await;
    let kept = browser
        .submit(&format!("{}/{one}/invalidate", base(&id)), &[])
        .await;
    kept.expect_html(409);
    assert!(kept.visible_text().contains("stay as handed over"));
    assert_eq!(count_agrees(&app, &token, &id).await, 3);
}

#[tokio::test]
async fn the_list_shows_each_petitions_count_by_status_and_campaign() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    app.create_campaign(&token, json!({"title": "Housing", "slug": "housing"}))
        .await;
    let open = open_petition(
        &app,
        &token,
        json!({"title": "Open one", "goal": 100, "campaign": "housing", "require_confirmation": false}),
    )
    .await;
    sign(&app, &open, "ana@example.org", json!({})).await;
    app.post_json(
        "/api/v1/petitions",
        &token,
        &json!({"title": "Draft one", "target": "Council"}),
    )
    .await
    .expect(201);

    let all = browser.open("/admin/circle/petitions").await;
    all.expect_html(200);
    let text = all.visible_text();
    assert!(
        text.contains("Open one") && text.contains("Draft one"),
        "{text}"
    );
    assert!(text.contains("1 / 100"), "count against goal: {text}");

    let drafts = browser.open("/admin/circle/petitions?status=draft").await;
    assert!(drafts.visible_text().contains("Draft one"));
    assert!(!drafts.visible_text().contains("Open one"));
    let housing = browser
        .open("/admin/circle/petitions?campaign=housing")
        .await;
    assert!(housing.visible_text().contains("Open one"));
    assert!(!housing.visible_text().contains("Draft one"));
    let unknown = browser.open("/admin/circle/petitions?campaign=nope").await;
    assert!(unknown.visible_text().contains("No petitions here."));
}

#[tokio::test]
async fn viewers_read_petitions_change_nothing_and_see_no_signatures() {
    let app = spawn_app().await;
    let (token, _) = owner_signed_in(&app).await;
    app.member(&token, "circle", "vic@example.org", "viewer")
        .await;
    let viewer = Browser::sign_in(&app, "vic@example.org", PASSWORD).await;
    let ours = open_petition(&app, &token, json!({"require_confirmation": false})).await;
    sign(
        &app,
        &ours,
        "ana@example.org",
        json!({"comment": "Yes", "public": true}),
    )
    .await;
    let id = id_of(&ours).to_owned();
    let sid = signature_of(&app, &token, &id, "ana@example.org").await;

    let list = viewer.open("/admin/circle/petitions").await;
    list.expect_html(200);
    assert!(list.visible_text().contains("Free the press"));
    assert!(!list.links_to(|h| h.ends_with("/petitions/new")));
    let page = viewer.open(&format!("/admin/circle/petitions/{id}")).await;
    page.expect_html(200);
    assert!(!page.has_field("title"), "a viewer sees no form");
    assert!(!page.visible_text().contains("ana@example.org"));
    assert!(!page.links_to(|h| h.contains("/signatures")));

    for path in [
        base(&id),
        format!("{}.csv", base(&id)),
        format!("/admin/circle/petitions/{id}/delivery.csv"),
        format!("{}/invalidate?email_domain=example.org", base(&id)),
        "/admin/circle/petitions/new".to_owned(),
    ] {
        let refused = viewer.open(&path).await;
        refused.expect_html(403);
        assert!(!refused.text.contains("ana@example.org"), "{path}");
    }
    for path in [
        format!("/admin/circle/petitions/{id}"),
        format!("/admin/circle/petitions/{id}/publish"),
        format!("/admin/circle/petitions/{id}/close"),
        format!("/admin/circle/petitions/{id}/deliver"),
        format!("{}/{sid}/invalidate", base(&id)),
        format!("{}/{sid}/comment", base(&id)),
        format!("{}/invalidate", base(&id)),
        format!("{}/undo", base(&id)),
        "/admin/circle/petitions/new".to_owned(),
    ] {
        viewer
            .submit(
                &path,
                &[("title", "Hijacked"), ("email_domain", "example.org")],
            )
            .await
            .expect_html(403);
    }
    let after = petition(&app, &token, &id).await;
    assert_eq!(after["title"], "Free the press");
    assert_eq!(after["status"], "open");
    assert_eq!(after["signature_count"], 1);
}

#[tokio::test]
async fn another_organisations_petitions_and_signatures_are_not_found() {
    let app = spawn_app().await;
    let (_, browser) = owner_signed_in(&app).await;
    let other = app.owner_of("other").await;
    let theirs = open_petition(&app, &other, json!({"require_confirmation": false})).await;
    sign(&app, &theirs, "bo@example.org", json!({})).await;
    let id = id_of(&theirs).to_owned();
    let sid = signature_of(&app, &other, &id, "bo@example.org").await;

    for path in [
        format!("/admin/circle/petitions/{id}"),
        base(&id),
        format!("{}.csv", base(&id)),
        format!("/admin/circle/petitions/{id}/delivery.csv"),
        format!("/admin/other/petitions/{id}"),
        "/admin/other/petitions".to_owned(),
        "/admin/circle/petitions/not-an-id".to_owned(),
    ] {
        let answer = browser.open(&path).await;
        answer.expect_html(404);
        assert!(!answer.text.contains("bo@example.org"), "{path}");
    }
    for path in [
        format!("/admin/circle/petitions/{id}"),
        format!("/admin/circle/petitions/{id}/close"),
        format!("{}/{sid}/invalidate", base(&id)),
        format!("{}/invalidate", base(&id)),
    ] {
        browser
            .submit(
                &path,
                &[("title", "Ours now"), ("email_domain", "example.org")],
            )
            .await
            .expect_html(404);
    }
    assert_eq!(petition(&app, &other, &id).await["status"], "open");
    assert_eq!(petition_count(&app, &other, &id).await, 1);
}

// --- signatures -------------------------------------------------------------------------

#[tokio::test]
async fn signatures_are_searched_filtered_paged_and_exported_with_their_source() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let petition = open_petition(&app, &token, json!({"require_confirmation": true})).await;
    let id = id_of(&petition).to_owned();
    let slug = petition["slug"].as_str().unwrap().to_owned();

    // A supporter led by a link with `?source=` carries it into the form.
    let page = open(&app, &format!("/petitions/{slug}?source=newsletter")).await;
    page.expect_html(200);
    assert_eq!(page.value_of("source"), "newsletter");
    submit(
        &app,
        &format!("/petitions/{slug}"),
        &[
            ("name", "Ana Ortega"),
            ("email", "ana@example.org"),
            ("source", "newsletter"),
        ],
    )
    .await
    .expect(303);
    // A source that does not fit a link is dropped, not refused.
    let long = "x".repeat(101);
    submit(
        &app,
        &format!("/petitions/{slug}"),
        &[
            ("name", "Bo Li"),
            ("email", "bo@example.org"),
            ("source", &long),
        ],
    )
    .await
    .expect(303);
    // The API takes it too, and refuses one too long or with a control character.
    sign(
        &app,
        &petition,
        "cy@example.net",
        json!({"source": "partner"}),
    )
    .await;
    for bad in [json!("x".repeat(101)), json!("a\nb")] {
        let reply = app
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/public/petitions/{id}/signatures"),
                None,
                Some(&json!({"email": "dee@example.org", "name": "Dee", "source": bad})),
                None,
            )
            .await;
        reply.expect_invalid("source");
    }
    assert_eq!(confirm(&app, "ana@example.org").await, 200);

    let all = browser.open(&base(&id)).await;
    all.expect_html(200);
    assert_eq!(names(&all), ["Ana", "Bo", "Cy"]);
    assert!(all.visible_text().contains("newsletter"));
    let found = browser.open(&format!("{}?q=EXAMPLE.NET", base(&id))).await;
    assert_eq!(names(&found), ["Cy"]);
    let found = browser.open(&format!("{}?q=ortega", base(&id))).await;
    assert_eq!(names(&found), ["Ana"]);
    let confirmed = browser
        .open(&format!("{}?status=confirmed", base(&id)))
        .await;
    assert_eq!(names(&confirmed), ["Ana"]);
    let pending = browser.open(&format!("{}?status=pending", base(&id))).await;
    assert_eq!(names(&pending), ["Bo", "Cy"]);

    let csv = browser.open(&format!("{}.csv", base(&id))).await;
    csv.expect(200);
    assert!(csv.content_type().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(lines[0].ends_with(",source"), "{}", lines[0]);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("\"Ana Ortega\",\"ana@example.org\"")
                && l.ends_with(",\"newsletter\"")),
        "{}",
        csv.text
    );
    let delivery = browser
        .open(&format!("/admin/circle/petitions/{id}/delivery.csv"))
        .await;
    delivery.expect(200);
    assert!(delivery.text.contains("Ana Ortega"));
    assert!(
        !delivery.text.contains('@'),
        "no addresses: {}",
        delivery.text
    );
    assert!(
        !delivery.text.contains("Bo Li"),
        "only confirmed signatures"
    );
}

#[tokio::test]
async fn signatures_come_a_page_at_a_time() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let petition = open_petition(&app, &token, json!({"require_confirmation": false})).await;
    let id = id_of(&petition).to_owned();
    for n in 0..55 {
        sign(&app, &petition, &format!("p{n:02}@example.org"), json!({})).await;
    }
    let first = browser.open(&base(&id)).await;
    assert_eq!(names(&first).len(), 50);
    let next = first.one("a[rel=next]").attr("href").unwrap().to_owned();
    let second = browser.open(&next).await;
    second.expect_html(200);
    assert_eq!(names(&second).len(), 5);
    assert!(second.first("a[rel=next]").is_none());
}

#[tokio::test]
async fn a_hidden_comment_leaves_the_public_signers_and_may_come_back() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let petition = open_petition(
        &app,
        &token,
        json!({"require_confirmation": false, "fields": {"comment": "optional"}}),
    )
    .await;
    let id = id_of(&petition).to_owned();
    let slug = petition["slug"].as_str().unwrap().to_owned();
    sign(
        &app,
        &petition,
        "troll@example.org",
        json!({"public": true, "comment": "Buy cheap watches"}),
    )
    .await;
    let sid = signature_of(&app, &token, &id, "troll@example.org").await;
    let public_comment = async || {
        app.get_public(&format!("/api/v1/public/petitions/{slug}/signers"))
            .await
            .expect(200)["items"][0]["comment"]
            .clone()
    };
    assert_eq!(public_comment().await, "Buy cheap watches");

    let hidden = browser
        .submit(
            &format!("{}/{sid}/comment", base(&id)),
            &[("hidden", "yes")],
        )
        .await;
    hidden.expect(303);
    assert_eq!(public_comment().await, Value::Null);
    let page = open(&app, &format!("/petitions/{slug}")).await;
    assert!(page.visible_text().contains("Troll"), "the name stays");
    assert!(!page.text.contains("cheap watches"));
    let shown = browser.open(hidden.location()).await;
    assert!(shown.visible_text().contains("hidden from the public"));
    assert_eq!(count_agrees(&app, &token, &id).await, 1, "the count stays");

    browser
        .submit(&format!("{}/{sid}/comment", base(&id)), &[("hidden", "no")])
        .await
        .expect(303);
    assert_eq!(public_comment().await, "Buy cheap watches");
}

#[tokio::test]
async fn one_signature_invalidated_leaves_the_count_and_undo_puts_it_back() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let petition = open_petition(&app, &token, json!({"require_confirmation": false})).await;
    let id = id_of(&petition).to_owned();
    sign(&app, &petition, "ana@example.org", json!({})).await;
    sign(&app, &petition, "spam@example.org", json!({})).await;
    let sid = signature_of(&app, &token, &id, "spam@example.org").await;

    let done = browser
        .submit(&format!("{}/{sid}/invalidate", base(&id)), &[])
        .await;
    done.expect(303);
    assert_eq!(count_agrees(&app, &token, &id).await, 1);
    assert_eq!(public_count(&app, &petition).await, 1);
    let page = browser.open(done.location()).await;
    assert!(page.visible_text().contains("1 signature invalidated."));
    let invalidated = browser
        .open(&format!("{}?status=invalidated", base(&id)))
        .await;
    assert_eq!(names(&invalidated), ["Spam"]);

    // Twice is refused, and the count does not move again.
    let again = browser
        .submit(&format!("{}/{sid}/invalidate", base(&id)), &[])
        .await;
    again.expect_html(409);
    assert!(again.visible_text().contains("invalidated already"));
    assert_eq!(count_agrees(&app, &token, &id).await, 1);

    // Signing again with the address does not bring it back.
    sign(&app, &petition, "spam@example.org", json!({})).await;
    assert_eq!(count_agrees(&app, &token, &id).await, 1);

    let batch = page
        .first("p.notice + form[action$=\"/undo\"] input[name=batch]")
        .unwrap()
        .attr("value")
        .unwrap()
        .to_owned();
    let undone = browser
        .submit(&format!("{}/undo", base(&id)), &[("batch", &batch)])
        .await;
    undone.expect(303);
    assert!(
        browser
            .open(undone.location())
            .await
            .visible_text()
            .contains("1 signature put back.")
    );
    assert_eq!(count_agrees(&app, &token, &id).await, 2);
    // Undoing twice changes nothing.
    browser
        .submit(&format!("{}/undo", base(&id)), &[("batch", &batch)])
        .await
        .expect(303);
    assert_eq!(count_agrees(&app, &token, &id).await, 2);
}

#[tokio::test]
async fn a_filter_is_counted_before_it_invalidates_and_its_batch_is_undone() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let counted = open_petition(&app, &token, json!({"require_confirmation": true})).await;
    let id = id_of(&counted).to_owned();
    for email in [
        "a@spam.example",
        "b@spam.example",
        "c@spam.example",
        "d@spam.example",
        "ana@example.org",
        "bo@example.org",
    ] {
        sign(&app, &counted, email, json!({})).await;
    }
    // All but d@spam.example confirm.
    for email in [
        "a@spam.example",
        "b@spam.example",
        "c@spam.example",
        "ana@example.org",
        "bo@example.org",
    ] {
        assert_eq!(confirm(&app, email).await, 200);
    }
    assert_eq!(count_agrees(&app, &token, &id).await, 5);

    let preview = browser
        .open(&format!(
            "{}/invalidate?email_domain=%40Spam.Example&from=&until=&source=",
            base(&id)
        ))
        .await;
    preview.expect_html(200);
    assert_eq!(
        text_of(preview.one("#matching")),
        "4 signatures match, 3 of them counted."
    );
    assert!(preview.visible_text().contains("from 5 to 2"));
    assert_eq!(
        count_agrees(&app, &token, &id).await,
        5,
        "counting changes nothing"
    );

    let form = preview.one("form[method=post][action$=\"/invalidate\"]");
    let fields: Vec<(String, String)> = preview
        .all("form[method=post][action$=\"/invalidate\"] input[type=hidden]")
        .into_iter()
        .map(|i| {
            (
                i.attr("name").unwrap().to_owned(),
                i.attr("value").unwrap_or("").to_owned(),
            )
        })
        .collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = browser.submit(form.attr("action").unwrap(), &fields).await;
    done.expect(303);
    assert_eq!(count_agrees(&app, &token, &id).await, 2);
    assert_eq!(public_count(&app, &counted).await, 2);
    let page = browser.open(done.location()).await;
    assert!(page.visible_text().contains("4 signatures invalidated."));

    // The unconfirmed one can no longer be confirmed into the count.
    assert_eq!(confirm(&app, "d@spam.example").await, 409);
    assert_eq!(count_agrees(&app, &token, &id).await, 2);

    // A second filter names nothing left to invalidate.
    let nothing = browser
        .open(&format!(
            "{}/invalidate?email_domain=spam.example",
            base(&id)
        ))
        .await;
    assert_eq!(
        text_of(nothing.one("#matching")),
        "0 signatures match, 0 of them counted."
    );

    // The batch is listed, and undone: the confirmed ones count again, the
    // unconfirmed one waits again.
    let batch = page
        .one("#batches ~ ul input[name=batch]")
        .attr("value")
        .unwrap()
        .to_owned();
    browser
        .submit(&format!("{}/undo", base(&id)), &[("batch", &batch)])
        .await
        .expect(303);
    assert_eq!(count_agrees(&app, &token, &id).await, 5);
    let statuses: Vec<Value> = signatures(&app, &token, &id)
        .await
        .into_iter()
        .filter(|s| s["email"] == "d@spam.example")
        .map(|s| s["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("pending")]);
}

#[tokio::test]
async fn a_filter_by_source_and_time_window_names_only_those() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let petition = open_petition(&app, &token, json!({"require_confirmation": false})).await;
    let id = id_of(&petition).to_owned();
    sign(
        &app,
        &petition,
        "a@example.org",
        json!({"source": "bot-farm"}),
    )
    .await;
    sign(
        &app,
        &petition,
        "b@example.org",
        json!({"source": "bot-farm"}),
    )
    .await;
    sign(
        &app,
        &petition,
        "c@example.org",
        json!({"source": "newsletter"}),
    )
    .await;

    let by_source = browser
        .open(&format!("{}/invalidate?source=bot-farm", base(&id)))
        .await;
    assert_eq!(
        text_of(by_source.one("#matching")),
        "2 signatures match, 2 of them counted."
    );
    // A window that ended before anyone signed names nobody; one around now names all.
    let before = browser
        .open(&format!(
            "{}/invalidate?from=2020-01-01T00:00&until=2020-01-02T00:00",
            base(&id)
        ))
        .await;
    assert_eq!(
        text_of(before.one("#matching")),
        "0 signatures match, 0 of them counted."
    );
    let around = browser
        .open(&format!(
            "{}/invalidate?from=2020-01-01T00:00&until=2099-01-01T00:00&source=bot-farm",
            base(&id)
        ))
        .await;
    assert_eq!(
        text_of(around.one("#matching")),
        "2 signatures match, 2 of them counted."
    );
    browser
        .submit(
            &format!("{}/invalidate", base(&id)),
            &[
                ("source", "bot-farm"),
                ("email_domain", ""),
                ("from", ""),
                ("until", ""),
            ],
        )
        .await
        .expect(303);
    assert_eq!(count_agrees(&app, &token, &id).await, 1);
}

#[tokio::test]
async fn a_filter_refused_is_named_beside_its_field_and_changes_nothing() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let petition = open_petition(&app, &token, json!({"require_confirmation": false})).await;
    let id = id_of(&petition).to_owned();
    sign(&app, &petition, "a@example.org", json!({})).await;

    let empty = browser
        .submit(
            &format!("{}/invalidate", base(&id)),
            &[
                ("email_domain", ""),
                ("from", ""),
                ("until", ""),
                ("source", ""),
            ],
        )
        .await;
    empty.expect_html(422);
    assert!(error_beside(&empty, "email_domain").contains("Name a domain"));
    let bad = browser
        .open(&format!(
            "{}/invalidate?email_domain=not%20a%20domain&from=yesterday&until=",
            base(&id)
        ))
        .await;
    bad.expect_html(422);
    assert!(error_beside(&bad, "email_domain").contains("such as example.org"));
    error_beside(&bad, "from");
    assert_eq!(bad.value_of("email_domain"), "not a domain");
    let backwards = browser
        .open(&format!(
            "{}/invalidate?from=2038-01-02T00:00&until=2038-01-01T00:00",
            base(&id)
        ))
        .await;
    backwards.expect_html(422);
    assert!(error_beside(&backwards, "until").contains("end after"));
    assert_eq!(count_agrees(&app, &token, &id).await, 1);
}

#[tokio::test]
async fn organisers_invalidating_at_once_take_each_signature_off_the_count_once() {
    let app = spawn_app().await;
    let (token, owner) = owner_signed_in(&app).await;
    app.member(&token, "circle", "olga@example.org", "organiser")
        .await;
    let olga = Browser::sign_in(&app, "olga@example.org", PASSWORD).await;
    let petition = open_petition(&app, &token, json!({"require_confirmation": false})).await;
    let id = id_of(&petition).to_owned();
    for n in 0..8 {
        sign(&app, &petition, &format!("s{n}@spam.example"), json!({})).await;
    }
    for n in 0..4 {
        sign(&app, &petition, &format!("p{n}@example.org"), json!({})).await;
    }
    assert_eq!(count_agrees(&app, &token, &id).await, 12);

    // The same signature, by both at once: it leaves the count once.
    for n in 0..3 {
        let sid = signature_of(&app, &token, &id, &format!("s{n}@spam.example")).await;
        let path = format!("{}/{sid}/invalidate", base(&id));
        let (a, b) = tokio::join!(owner.submit(&path, &[]), olga.submit(&path, &[]));
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [303, 409], "one does it, the other is told");
    }
    assert_eq!(count_agrees(&app, &token, &id).await, 9);

    // Two batches over the same signatures at once: each leaves the count once.
    let filter = [
        ("email_domain", "spam.example"),
        ("from", ""),
        ("until", ""),
        ("source", ""),
    ];
    let path = format!("{}/invalidate", base(&id));
    let (a, b) = tokio::join!(owner.submit(&path, &filter), olga.submit(&path, &filter));
    a.expect(303);
    b.expect(303);
    assert_eq!(count_agrees(&app, &token, &id).await, 4);
    let told: Vec<u64> = [a.location(), b.location()]
        .iter()
        .map(|l| {
            l.split("invalidated=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(
        told.iter().sum::<u64>(),
        5,
        "five signatures, taken once: {told:?}"
    );

    // Undoing both batches at once puts back exactly what they took.
    let batch_of = |page: &Page| page.location().split("batch=").nth(1).unwrap().to_owned();
    let (first, second) = (batch_of(&a), batch_of(&b));
    let undo = format!("{}/undo", base(&id));
    let (first, second) = ([("batch", first.as_str())], [("batch", second.as_str())]);
    let (x, y) = tokio::join!(owner.submit(&undo, &first), olga.submit(&undo, &second));
    x.expect(303);
    y.expect(303);
    assert_eq!(count_agrees(&app, &token, &id).await, 9);
    let racing_undo = tokio::join!(owner.submit(&undo, &first), olga.submit(&undo, &first));
    racing_undo.0.expect(303);
    racing_undo.1.expect(303);
    assert_eq!(count_agrees(&app, &token, &id).await, 9);
}

// --- the same through the API -------------------------------------------------------------

#[tokio::test]
async fn the_api_invalidates_counts_first_undoes_and_hides_a_comment() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let petition = open_petition(
        &app,
        &token,
        json!({"require_confirmation": false, "fields": {"comment": "optional"}}),
    )
    .await;
    let id = id_of(&petition).to_owned();
    let slug = petition["slug"].as_str().unwrap().to_owned();
    for email in ["a@spam.example", "b@spam.example", "ana@example.org"] {
        sign(
            &app,
            &petition,
            email,
            json!({"public": true, "comment": "Hello", "source": "feed"}),
        )
        .await;
    }
    let path = format!("/api/v1/petitions/{id}/signatures/invalidate");

    let counted = app
        .post_json(
            &path,
            &token,
            &json!({"email_domain": "spam.example", "dry_run": true}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(
        counted,
        json!({"batch": null, "signatures": 2, "counted": 2, "signature_count": 1})
    );
    assert_eq!(
        count_agrees(&app, &token, &id).await,
        3,
        "a dry run changes nothing"
    );

    let done = app
        .post_json(&path, &token, &json!({"email_domain": "spam.example"}))
        .await
        .expect(200)
        .clone();
    assert_eq!(done["signatures"], 2);
    assert_eq!(done["signature_count"], 1);
    assert_eq!(count_agrees(&app, &token, &id).await, 1);
    let listed = signatures(&app, &token, &id).await;
    assert!(
        listed
            .iter()
            .filter(|s| s["email"].as_str().unwrap().ends_with("@spam.example"))
            .all(|s| s["status"] == "invalidated" && s["invalidated_at"].is_string())
    );
    assert!(listed.iter().all(|s| s["source"] == "feed"));

    let undone = app
        .post_json(
            &format!("/api/v1/petitions/{id}/signatures/undo"),
            &token,
            &json!({"batch": done["batch"]}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(undone["signatures"], 2);
    assert_eq!(undone["signature_count"], 3);
    assert_eq!(count_agrees(&app, &token, &id).await, 3);

    let one = signature_of(&app, &token, &id, "a@spam.example").await;
    app.post_json(&path, &token, &json!({"signature": one}))
        .await
        .expect(200);
    app.post_json(&path, &token, &json!({"signature": one}))
        .await
        .expect_problem(409);
    assert_eq!(count_agrees(&app, &token, &id).await, 2);

    let hide = format!("/api/v1/petitions/{id}/signatures/{one}/comment");
    let ana = signature_of(&app, &token, &id, "ana@example.org").await;
    let hide_ana = format!("/api/v1/petitions/{id}/signatures/{ana}/comment");
    let reply = app
        .post_json(&hide_ana, &token, &json!({"hidden": true}))
        .await;
    assert_eq!(reply.status.as_u16(), 204, "{}", reply.text);
    let signers = app
        .get_public(&format!("/api/v1/public/petitions/{slug}/signers"))
        .await
        .expect(200)
        .clone();
    let ana_public = items(&signers)
        .into_iter()
        .find(|s| s["name"] == "Ana")
        .unwrap();
    assert_eq!(ana_public["comment"], Value::Null);

    // Refusals: no filter, a filter with an id, a bad domain, a stranger's batch.
    for body in [
        json!({}),
        json!({"signature": one, "source": "feed"}),
        json!({"email_domain": "not a domain"}),
        json!({"source": "a\u{7}b"}),
    ] {
        app.post_json(&path, &token, &body)
            .await
            .expect_problem(422);
    }
    app.post_json(&hide, &token, &json!({"hidden": "yes"}))
        .await
        .expect_problem(422);
    assert_eq!(count_agrees(&app, &token, &id).await, 2);

    // Viewers and other organisations change nothing.
    let viewer = app
        .member(&token, "circle", "vic@example.org", "viewer")
        .await;
    app.post_json(&path, &viewer, &json!({"email_domain": "example.org"}))
        .await
        .expect_problem(403);
    let other = app.owner_of("other").await;
    app.post_json(&path, &other, &json!({"email_domain": "example.org"}))
        .await
        .expect_problem_among(&[403, 404]);
    app.post_json(&hide_ana, &other, &json!({"hidden": false}))
        .await
        .expect_problem_among(&[403, 404]);
    assert_eq!(count_agrees(&app, &token, &id).await, 2);
}
