//! An event's attendees and its door in the organiser console: the list by status
//! with counts against capacity, approve and decline (one or several), adding
//! someone, the CSV; the door's search, check-in and undo, walk-ins, two doors at
//! once; roles and other organisations' ids.

use serde_json::{Value, json};

use crate::console::{Browser, PASSWORD, error_beside, owner_signed_in};
use crate::helpers::{TestApp, id_of, meeting, spawn_app, with};
use crate::pages::{Page, text_of};

/// A published event of `circle` with these RSVP settings; its id.
async fn event(app: &TestApp, token: &str, settings: Value) -> String {
    let event = app
        .published_event(token, with(meeting("Film night"), settings))
        .await;
    id_of(&event).to_owned()
}

/// A supporter's RSVP through the public API; its id.
async fn rsvp(app: &TestApp, event: &str, email: &str, name: &str, guests: i64) -> String {
    let answer = app
        .rsvp(event, email, json!({ "name": name, "guests": guests }))
        .await;
    id_of(answer.expect(201)).to_owned()
}

/// The names listed under a status on the attendees page.
fn names_under(page: &Page, status: &str) -> Vec<String> {
    page.all(&format!("#status-{status} tbody td.person"))
        .into_iter()
        .map(text_of)
        .collect()
}

/// The names the door lists.
fn door_names(page: &Page) -> Vec<String> {
    page.all(".door-list li .person")
        .into_iter()
        .map(text_of)
        .collect()
}

fn arrivals(page: &Page) -> String {
    text_of(page.one("#arrivals"))
}

/// The statuses of an event's RSVPs through the API, by name.
async fn statuses(app: &TestApp, token: &str, event: &str) -> Vec<(String, String)> {
    let list = app
        .get(&format!("/api/v1/events/{event}/rsvps?limit=100"), token)
        .await;
    let mut seen: Vec<(String, String)> = list.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    seen
}

fn subjects_to(app: &TestApp, address: &str) -> Vec<String> {
    app.smtp.to(address).iter().map(|m| m.subject()).collect()
}

#[tokio::test]
async fn attendees_are_listed_by_status_with_guests_and_counts_against_capacity() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token, json!({ "capacity": 3, "waitlist": true })).await;
    rsvp(&app, &id, "ana@example.org", "Ana García", 1).await;
    rsvp(&app, &id, "bo@example.org", "Bo", 0).await;
    rsvp(&app, &id, "cy@example.org", "Cy", 0).await;

    let page = browser
        .open(&format!("/admin/circle/events/{id}/attendees"))
        .await;
    page.expect_html(200);
    assert_eq!(
        text_of(page.one("#count-going")),
        "3 of 3 seats · people: 2, guests: 1"
    );
    assert_eq!(
        text_of(page.one("#count-waitlisted")),
        "people: 1, guests: 0"
    );
    let going = names_under(&page, "going");
    assert_eq!(going.len(), 2, "{going:?}");
    assert!(going[0].starts_with("Ana García") && going[0].contains("ana@example.org"));
    assert_eq!(names_under(&page, "waitlisted"), ["Cy cy@example.org"]);
    assert!(names_under(&page, "pending_approval").is_empty());
    assert!(page.links_to(|href| href == format!("/admin/circle/events/{id}/attendees.csv")));
    assert!(page.links_to(|href| href == format!("/admin/circle/events/{id}/door")));
}

#[tokio::test]
async fn approving_and_declining_one_or_several_tells_each_supporter() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(
        &app,
        &token,
        json!({ "capacity": 10, "rsvp_mode": "approval" }),
    )
    .await;
    let ana = rsvp(&app, &id, "ana@example.org", "Ana", 1).await;
    let bo = rsvp(&app, &id, "bo@example.org", "Bo", 0).await;
    let cy = rsvp(&app, &id, "cy@example.org", "Cy", 0).await;
    let di = rsvp(&app, &id, "di@example.org", "Di", 0).await;
    app.deliver_emails().await;
    let decide = format!("/admin/circle/events/{id}/attendees/decide");

    let pending = browser
        .open(&format!("/admin/circle/events/{id}/attendees"))
        .await;
    assert_eq!(names_under(&pending, "pending_approval").len(), 4);

    // One click on a row's own button, even with other rows ticked.
    let one = browser
        .submit(
            &decide,
            &[("rsvp", bo.as_str()), ("one", &format!("approve:{ana}"))],
        )
        .await;
    one.expect(303);
    assert_eq!(
        one.location(),
        format!("/admin/circle/events/{id}/attendees?approved=1")
    );
    let shown = browser.open(one.location()).await;
    assert_eq!(
        text_of(shown.one(".notice")),
        "Approved. They have been told by email."
    );
    assert_eq!(
        text_of(shown.one("#count-going")),
        "2 of 10 seats · people: 1, guests: 1"
    );

    // Several at once: those ticked.
    browser
        .submit(
            &decide,
            &[
                ("rsvp", bo.as_str()),
                ("rsvp", cy.as_str()),
                ("action", "decline"),
            ],
        )
        .await
        .expect(303);
    browser
        .submit(&decide, &[("one", &format!("decline:{di}"))])
        .await
        .expect(303);
    assert_eq!(
        statuses(&app, &token, &id).await,
        [
            ("Ana".to_owned(), "going".to_owned()),
            ("Bo".to_owned(), "declined".to_owned()),
            ("Cy".to_owned(), "declined".to_owned()),
            ("Di".to_owned(), "declined".to_owned()),
        ]
    );
    app.deliver_emails().await;
    assert_eq!(
        subjects_to(&app, "ana@example.org").last().unwrap(),
        "Your place is confirmed: Film night"
    );
    let to_bo = subjects_to(&app, "bo@example.org");
    assert_eq!(to_bo.len(), 2, "{to_bo:?}");
    assert_eq!(subjects_to(&app, "cy@example.org").len(), 2);

    // A cancelled RSVP cannot be declined: said above the list.
    let refused = browser
        .submit(&decide, &[("one", &format!("approve:{bo}"))])
        .await;
    refused.expect_html(409);
    assert_eq!(
        text_of(refused.one(".form-error")),
        "This RSVP can no longer be changed that way."
    );
    browser
        .submit(&decide, &[("one", "approve:not-an-id")])
        .await
        .expect_html(404);
}

#[tokio::test]
async fn someone_added_by_hand_gets_a_seat_while_one_is_left() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token, json!({ "capacity": 2 })).await;
    let add = format!("/admin/circle/events/{id}/attendees/add");

    let added = browser
        .submit(
            &add,
            &[
                ("name", "Ana"),
                ("email", "ana@example.org"),
                ("guests", "1"),
            ],
        )
        .await;
    added.expect(303);
    let page = browser.open(added.location()).await;
    assert_eq!(text_of(page.one(".notice")), "Added.");
    assert_eq!(names_under(&page, "going"), ["Ana ana@example.org"]);
    assert_eq!(
        text_of(page.one("#count-going")),
        "2 of 2 seats · people: 1, guests: 1"
    );

    let full = browser
        .submit(
            &add,
            &[("name", "Bo"), ("email", "bo@example.org"), ("guests", "0")],
        )
        .await;
    full.expect_html(409);
    assert_eq!(
        text_of(full.one(".form-error")),
        "The event is full: there is no seat left for them."
    );
    assert_eq!(full.value_of("name"), "Bo", "what was typed is kept");

    let bad = browser
        .submit(&add, &[("name", ""), ("email", "bo@"), ("guests", "x")])
        .await;
    bad.expect_html(422);
    assert!(!error_beside(&bad, "email").is_empty());
    assert!(!error_beside(&bad, "guests").is_empty());
    assert_eq!(
        statuses(&app, &token, &id).await,
        [("Ana".to_owned(), "going".to_owned())]
    );
    app.deliver_emails().await;
    assert_eq!(
        subjects_to(&app, "ana@example.org"),
        ["You’re going to Film night"]
    );
}

#[tokio::test]
async fn the_csv_has_what_the_apis_export_has() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token, json!({})).await;
    rsvp(&app, &id, "ana@example.org", "=Ana", 2).await;
    rsvp(&app, &id, "bo@example.org", "Bo, \"the\" bold", 0).await;

    let csv = browser
        .open(&format!("/admin/circle/events/{id}/attendees.csv"))
        .await;
    csv.expect(200);
    assert!(
        csv.content_type().starts_with("text/csv"),
        "{}",
        csv.content_type()
    );
    assert!(
        csv.header("content-disposition")
            .is_some_and(|d| d.contains("attachment") && d.contains(".csv"))
    );
    let api = app
        .client
        .get(app.url(&format!("/api/v1/events/{id}/rsvps")))
        .bearer_auth(&token)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.text, api);
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "name,email,status,guests,locale,checked_in_at,created_at"
    );
    assert!(lines[1].starts_with("\"'=Ana\",\"ana@example.org\",\"going\",\"2\""));
    assert!(lines[2].starts_with("\"Bo, \"\"the\"\" bold\""));
}

#[tokio::test]
async fn viewers_see_counts_and_no_one_and_change_nothing() {
    let app = spawn_app().await;
    let (token, _) = owner_signed_in(&app).await;
    app.member(&token, "circle", "vic@example.org", "viewer")
        .await;
    let viewer = Browser::sign_in(&app, "vic@example.org", PASSWORD).await;
    let id = event(&app, &token, json!({ "capacity": 5 })).await;
    let ana = rsvp(&app, &id, "ana@example.org", "Ana", 1).await;
    let base = format!("/admin/circle/events/{id}");

    let page = viewer.open(&format!("{base}/attendees")).await;
    page.expect_html(200);
    assert_eq!(
        text_of(page.one("#count-going")),
        "2 of 5 seats · people: 1, guests: 1"
    );
    assert!(page.first("#no-personal-data").is_some());
    assert!(!page.text.contains("ana@example.org") && !page.text.contains("Ana"));
    assert!(!page.has_field("email"), "no form to add someone");

    let door = viewer.open(&format!("{base}/door?q=ana")).await;
    door.expect_html(200);
    assert_eq!(arrivals(&door), "0 arrived of 2 expected · capacity 5");
    assert!(!door.text.contains("Ana"));

    viewer
        .open(&format!("{base}/attendees.csv"))
        .await
        .expect_html(403);
    for (path, fields) in [
        ("attendees/decide", vec![("one", format!("decline:{ana}"))]),
        (
            "attendees/add",
            vec![("name", "Vi".into()), ("email", "vi@example.org".into())],
        ),
        ("door/check-in", vec![("rsvp", ana.clone())]),
        ("door/undo", vec![("rsvp", ana.clone())]),
        (
            "door/walk-in",
            vec![("name", "Vi".into()), ("email", "vi@example.org".into())],
        ),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        viewer
            .submit(&format!("{base}/{path}"), &fields)
            .await
            .expect_html(403);
    }
    assert_eq!(
        statuses(&app, &token, &id).await,
        [("Ana".to_owned(), "going".to_owned())]
    );
    let after = viewer.open(&format!("{base}/door")).await;
    assert_eq!(arrivals(&after), "0 arrived of 2 expected · capacity 5");
}

#[tokio::test]
async fn another_organisations_events_and_rsvps_are_not_found() {
    let app = spawn_app().await;
    let (token, owner) = owner_signed_in(&app).await;
    let other = app.owner_of("other").await;
    let ours = event(&app, &token, json!({})).await;
    let theirs = app.published_event(&other, meeting("Theirs")).await;
    let theirs = id_of(&theirs).to_owned();
    let their_rsvp = rsvp(&app, &theirs, "ana@example.org", "Ana", 0).await;

    for path in [
        format!("/admin/circle/events/{theirs}/attendees"),
        format!("/admin/circle/events/{theirs}/attendees.csv"),
        format!("/admin/circle/events/{theirs}/door"),
        format!("/admin/other/events/{theirs}/attendees"),
        format!("/admin/other/events/{theirs}/door"),
        "/admin/circle/events/not-an-id/door".to_owned(),
    ] {
        owner.open(&path).await.expect_html(404);
    }
    // Their RSVP through our event's forms.
    let base = format!("/admin/circle/events/{ours}");
    owner
        .submit(
            &format!("{base}/attendees/decide"),
            &[("one", &format!("decline:{their_rsvp}"))],
        )
        .await
        .expect_html(404);
    owner
        .submit(&format!("{base}/door/check-in"), &[("rsvp", &their_rsvp)])
        .await
        .expect_html(404);
    owner
        .submit(
            &format!("/admin/circle/events/{theirs}/door/walk-in"),
            &[("name", "Bo"), ("email", "bo@example.org")],
        )
        .await
        .expect_html(404);
    assert_eq!(
        statuses(&app, &other, &theirs).await,
        [("Ana".to_owned(), "going".to_owned())]
    );
}

#[tokio::test]
async fn the_door_finds_names_without_their_accents_and_accents_without_the_names() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token, json!({ "capacity": 10 })).await;
    rsvp(&app, &id, "emile@example.org", "Émile Zola", 0).await;
    rsvp(&app, &id, "ana@example.org", "Ana García", 0).await;
    rsvp(&app, &id, "jo@example.org", "Jo Straße", 0).await;
    rsvp(&app, &id, "mo@example.org", "Mo Emilio", 0).await;
    let door = format!("/admin/circle/events/{id}/door");

    for (q, expected) in [
        ("emile", vec!["Émile Zola"]),
        ("ÉMILE", vec!["Émile Zola"]),
        ("Émile", vec!["Émile Zola"]),
        ("emil", vec!["Émile Zola", "Mo Emilio"]),
        ("garcia", vec!["Ana García"]),
        ("GARCÍA", vec!["Ana García"]),
        ("strasse", vec!["Jo Straße"]),
    ] {
        let q_in_url: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let found = browser.open(&format!("{door}?q={q_in_url}")).await;
        assert_eq!(door_names(&found), expected, "{q}");
    }
}

#[tokio::test]
async fn the_door_alone_may_run_a_script_and_only_one_of_this_site() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token, json!({})).await;
    let policy = |page: &Page| {
        page.header("content-security-policy")
            .unwrap_or_default()
            .to_owned()
    };

    let door = browser
        .open(&format!("/admin/circle/events/{id}/door"))
        .await;
    door.expect_html(200);
    assert!(
        policy(&door).contains("script-src 'self'"),
        "{}",
        policy(&door)
    );
    assert!(!policy(&door).contains("unsafe-inline"));
    assert_eq!(
        door.one("script").value().attr("src"),
        Some("/assets/door.js")
    );
    // Without the script the search is still a form that works.
    assert_eq!(
        door.one("form.door-search").value().attr("method"),
        Some("get")
    );

    let attendees = browser
        .open(&format!("/admin/circle/events/{id}/attendees"))
        .await;
    assert!(policy(&attendees).contains("script-src 'none'"));

    let script = browser.open("/assets/door.js").await;
    script.expect(200);
    assert!(script.content_type().starts_with("text/javascript"));
    assert!(script.text.contains("door-results"));
}

#[tokio::test]
async fn the_door_finds_people_by_name_in_any_case_and_checks_them_in_and_back() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token, json!({ "capacity": 10 })).await;
    let ana = rsvp(&app, &id, "ana@example.org", "Ana García", 1).await;
    rsvp(&app, &id, "bo@example.org", "Bo Banana", 0).await;
    rsvp(&app, &id, "cy@example.org", "Cy", 0).await;
    rsvp(&app, &id, "pct@example.org", "100% Pat", 0).await;
    let door = format!("/admin/circle/events/{id}/door");

    let all = browser.open(&door).await;
    all.expect_html(200);
    assert_eq!(arrivals(&all), "0 arrived of 5 expected · capacity 10");
    assert_eq!(
        door_names(&all),
        ["100% Pat", "Ana García +1", "Bo Banana", "Cy"]
    );

    for q in ["ana", "ANA", "aNa"] {
        let found = browser.open(&format!("{door}?q={q}")).await;
        assert_eq!(door_names(&found), ["Ana García +1", "Bo Banana"], "{q}");
        assert_eq!(found.value_of("q"), q);
    }
    let pct = browser.open(&format!("{door}?q=%25")).await;
    assert_eq!(door_names(&pct), ["100% Pat"], "a % is a percent sign");
    let none = browser.open(&format!("{door}?q=zed")).await;
    assert!(door_names(&none).is_empty());
    assert_eq!(
        text_of(none.one("#nobody")),
        "Nobody going is called “zed”."
    );

    let checked = browser
        .submit(
            &format!("{door}/check-in"),
            &[("rsvp", &ana), ("q", "ana g")],
        )
        .await;
    checked.expect(303);
    assert_eq!(checked.location(), format!("{door}?q=ana+g&done=in"));
    let after = browser.open(checked.location()).await;
    assert_eq!(arrivals(&after), "2 arrived of 5 expected · capacity 10");
    assert_eq!(text_of(after.one(".notice")), "Checked in.");
    assert!(
        after
            .first(&format!("li[data-id=\"{ana}\"].arrived"))
            .is_some()
    );
    assert_eq!(door_names(&after), ["Ana García +1"]);

    // Twice is once.
    browser
        .submit(&format!("{door}/check-in"), &[("rsvp", &ana)])
        .await
        .expect(303);
    assert_eq!(
        arrivals(&browser.open(&door).await),
        "2 arrived of 5 expected · capacity 10"
    );

    let undone = browser
        .submit(&format!("{door}/undo"), &[("rsvp", &ana), ("q", "")])
        .await;
    undone.expect(303);
    let after = browser.open(undone.location()).await;
    assert_eq!(text_of(after.one(".notice")), "Check-in undone.");
    assert_eq!(arrivals(&after), "0 arrived of 5 expected · capacity 10");
    assert!(
        after
            .first(&format!("li[data-id=\"{ana}\"].arrived"))
            .is_none()
    );
    // Undoing what is not checked in changes nothing.
    browser
        .submit(&format!("{door}/undo"), &[("rsvp", &ana)])
        .await
        .expect(303);
    browser
        .submit(&format!("{door}/check-in"), &[("rsvp", "nobody")])
        .await
        .expect_html(404);
}

#[tokio::test]
async fn the_door_finds_an_accented_name_as_typed_and_by_any_part() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token, json!({})).await;
    rsvp(&app, &id, "emile@example.org", "Émile Zola", 0).await;
    rsvp(&app, &id, "jose@example.org", "María José", 0).await;
    let door = format!("/admin/circle/events/{id}/door");
    for (q, found) in [
        ("Émile", "Émile Zola"),
        ("mile", "Émile Zola"),
        ("ZOLA", "Émile Zola"),
        ("maría", "María José"),
        ("JOSÉ", "María José"),
    ] {
        let page = browser.open(&format!("{door}?q={}", urlencode(q))).await;
        assert_eq!(door_names(&page), [found], "{q}");
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn a_walk_in_is_checked_in_on_the_spot_and_a_full_event_refuses_one() {
    let app = spawn_app().await;
    let (token, browser) = owner_signed_in(&app).await;
    let id = event(&app, &token, json!({ "capacity": 3 })).await;
    rsvp(&app, &id, "ana@example.org", "Ana", 0).await;
    let door = format!("/admin/circle/events/{id}/door");

    let walked = browser
        .submit(
            &format!("{door}/walk-in"),
            &[
                ("name", "Cy Walker"),
                ("email", "cy@example.org"),
                ("guests", "1"),
            ],
        )
        .await;
    walked.expect(303);
    let after = browser.open(walked.location()).await;
    assert_eq!(text_of(after.one(".notice")), "Added and checked in.");
    assert_eq!(arrivals(&after), "2 arrived of 3 expected · capacity 3");
    assert_eq!(door_names(&after), ["Cy Walker +1"]);

    let full = browser
        .submit(
            &format!("{door}/walk-in"),
            &[("name", "Di"), ("email", "di@example.org"), ("guests", "1")],
        )
        .await;
    full.expect_html(409);
    assert_eq!(
        text_of(full.one(".form-error")),
        "The event is full: there is no seat left for them."
    );
    assert_eq!(arrivals(&full), "2 arrived of 3 expected · capacity 3");
    assert_eq!(full.value_of("name"), "Di");

    let bad = browser
        .submit(&format!("{door}/walk-in"), &[("name", ""), ("email", "")])
        .await;
    bad.expect_html(422);
    assert!(!error_beside(&bad, "name").is_empty());
}

#[tokio::test]
async fn two_doors_checking_in_at_once_keep_the_counts_exact() {
    let app = spawn_app().await;
    let (token, first) = owner_signed_in(&app).await;
    app.member(&token, "circle", "olu@example.org", "organiser")
        .await;
    let second = Browser::sign_in(&app, "olu@example.org", PASSWORD).await;
    let id = event(&app, &token, json!({ "capacity": 20 })).await;
    let ana = rsvp(&app, &id, "ana@example.org", "Ana", 2).await;
    let bo = rsvp(&app, &id, "bo@example.org", "Bo", 1).await;
    let cy = rsvp(&app, &id, "cy@example.org", "Cy", 0).await;
    let check_in = format!("/admin/circle/events/{id}/door/check-in");

    // Two people at two doors.
    let (ana_in, bo_in, cy_in) = (
        [("rsvp", ana.as_str())],
        [("rsvp", bo.as_str())],
        [("rsvp", cy.as_str())],
    );
    let (a, b) = tokio::join!(
        first.submit(&check_in, &ana_in),
        second.submit(&check_in, &bo_in),
    );
    a.expect(303);
    b.expect(303);
    // The same person at both doors.
    let (a, b) = tokio::join!(
        first.submit(&check_in, &cy_in),
        second.submit(&check_in, &cy_in),
    );
    a.expect(303);
    b.expect(303);
    // A walk-in at one door while the other takes someone's check-in back.
    let walk_in = format!("/admin/circle/events/{id}/door/walk-in");
    let undo = format!("/admin/circle/events/{id}/door/undo");
    let di = [("name", "Di"), ("email", "di@example.org")];
    let (a, b) = tokio::join!(first.submit(&walk_in, &di), second.submit(&undo, &bo_in),);
    a.expect(303);
    b.expect(303);

    let page = first.open(&format!("/admin/circle/events/{id}/door")).await;
    // Ana 3 + Cy 1 + Di 1 arrived; Bo (2) is back out.
    assert_eq!(arrivals(&page), "5 arrived of 7 expected · capacity 20");
    let listed = first
        .open(&format!("/admin/circle/events/{id}/attendees"))
        .await;
    assert_eq!(
        text_of(listed.one("#count-arrived")),
        "5 arrived of 7 expected"
    );
}
