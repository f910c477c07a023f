//! Organisations, their organisers and roles: invitations, login, `/me`, and who may
//! do what.

use serde_json::json;

use crate::helpers::{id_of, meeting, spawn_app, token_of};

#[tokio::test]
async fn the_bootstrapped_owner_sees_themselves_and_their_organisation_on_me() {
    let app = spawn_app().await;
    let token = app
        .bootstrap_org(
            "hands-off-venezuela",
            "Hands Off Venezuela",
            "Europe/London",
            "ana@hov.example.org",
        )
        .await;

    let me = app.get("/api/v1/me", &token).await;

    let me = me.expect(200);
    assert_eq!(me["email"], "ana@hov.example.org");
    assert!(me["id"].is_string());
    assert_eq!(
        me["memberships"],
        json!([{ "organisation": "hands-off-venezuela", "name": "Hands Off Venezuela", "role": "owner" }])
    );
}

#[tokio::test]
async fn an_owner_invites_an_organiser_whose_link_goes_to_them_by_email_only() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;

    let invited = app
        .invite(&owner, "circle", "ben@example.org", "organiser")
        .await;

    let answer = invited.expect(201);
    assert_eq!(answer["email"], "ben@example.org");
    assert_eq!(answer["role"], "organiser");
    assert_eq!(answer["organisation"], "circle");
    assert_eq!(answer["invited"], true);
    assert!(answer["organiser_id"].is_string());
    assert!(
        !invited.text.contains("/invitations/"),
        "the answer holds the link: {}",
        invited.text
    );
    let url = app
        .emailed_link("ben@example.org", "http://127.0.0.1/invitations/")
        .await;
    assert!(
        url.len() > "http://127.0.0.1/invitations/".len() + 32,
        "{url}"
    );
}

#[tokio::test]
async fn an_accepted_invitation_gives_a_token_for_the_new_organiser() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    app.invite(&owner, "circle", "ben@example.org", "organiser")
        .await
        .expect(201);
    let url = app
        .emailed_link("ben@example.org", "http://127.0.0.1/invitations/")
        .await;

    let token = token_of(&app.accept(&url, "correct horse battery").await);

    let me = app.get("/api/v1/me", &token).await;
    let me = me.expect(200);
    assert_eq!(me["email"], "ben@example.org");
    assert_eq!(me["memberships"][0]["organisation"], "circle");
    assert_eq!(me["memberships"][0]["role"], "organiser");
}

#[tokio::test]
async fn an_organiser_logs_in_with_the_password_they_chose() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    app.member(&owner, "circle", "ben@example.org", "organiser")
        .await;

    let token = token_of(&app.login("ben@example.org", "correct horse battery").await);

    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.expect(200)["email"], "ben@example.org");
}

#[tokio::test]
async fn logging_in_with_the_wrong_password_is_refused() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    app.member(&owner, "circle", "ben@example.org", "organiser")
        .await;

    app.login("ben@example.org", "incorrect horse battery")
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn logging_in_as_nobody_is_refused() {
    let app = spawn_app().await;

    app.login("nobody@example.org", "correct horse battery")
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn an_invitation_cannot_be_accepted_twice() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    app.invite(&owner, "circle", "ben@example.org", "organiser")
        .await
        .expect(201);
    let url = app
        .emailed_link("ben@example.org", "http://127.0.0.1/invitations/")
        .await;
    app.accept(&url, "correct horse battery").await.expect(201);

    app.accept(&url, "another long password")
        .await
        .expect_problem(404);
}

#[tokio::test]
async fn an_unknown_invitation_is_not_found() {
    let app = spawn_app().await;

    app.accept(
        "http://127.0.0.1/invitations/no-such-invitation",
        "correct horse battery",
    )
    .await
    .expect_problem(404);
}

#[tokio::test]
async fn a_password_shorter_than_ten_characters_is_refused() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    app.invite(&owner, "circle", "ben@example.org", "organiser")
        .await
        .expect(201);
    let url = app
        .emailed_link("ben@example.org", "http://127.0.0.1/invitations/")
        .await;

    app.accept(&url, "short").await.expect_problem(422);
}

#[tokio::test]
async fn an_organiser_who_already_has_a_password_is_added_and_told_without_a_link() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    app.member(&circle, "circle", "ben@example.org", "organiser")
        .await;

    let invited = app
        .invite(&quebec, "quebec", "ben@example.org", "viewer")
        .await;

    assert_eq!(invited.expect(201)["invited"], false);
    app.deliver_emails().await;
    let told = app.smtp.last_to("ben@example.org");
    assert_eq!(
        told.subject(),
        "You can now help run The quebec group on Turnout"
    );
    assert!(!told.text().contains("/invitations/"), "{}", told.text());
}

#[tokio::test]
async fn an_organiser_of_two_organisations_sees_both_memberships() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let ben = app
        .member(&circle, "circle", "ben@example.org", "organiser")
        .await;
    app.invite(&quebec, "quebec", "ben@example.org", "viewer")
        .await
        .expect(201);

    let me = app.get("/api/v1/me", &ben).await;

    let mut memberships: Vec<(String, String)> = me.expect(200)["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["organisation"].as_str().unwrap().into(),
                m["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    memberships.sort();
    assert_eq!(
        memberships,
        [
            ("circle".into(), "organiser".into()),
            ("quebec".into(), "viewer".into())
        ]
    );
}

#[tokio::test]
async fn an_organiser_of_two_organisations_must_say_which_one_an_event_belongs_to() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let ben = app
        .member(&circle, "circle", "ben@example.org", "organiser")
        .await;
    app.invite(&quebec, "quebec", "ben@example.org", "organiser")
        .await
        .expect(201);

    app.post_json("/api/v1/events", &ben, &meeting("Which group?"))
        .await
        .expect_invalid("organisation");
}

#[tokio::test]
async fn an_organiser_of_two_organisations_creates_an_event_in_the_one_named() {
    let app = spawn_app().await;
    let circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;
    let ben = app
        .member(&circle, "circle", "ben@example.org", "organiser")
        .await;
    app.invite(&quebec, "quebec", "ben@example.org", "organiser")
        .await
        .expect(201);

    let mut body = meeting("In Quebec");
    body["organisation"] = json!("quebec");
    let event = app.create_event(&ben, body).await;

    assert_eq!(event["organisation"], "quebec");
}

#[tokio::test]
async fn only_an_owner_can_invite_members() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let organiser = app
        .member(&owner, "circle", "ben@example.org", "organiser")
        .await;

    app.invite(&organiser, "circle", "cleo@example.org", "organiser")
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn an_owner_cannot_invite_members_into_another_organisation() {
    let app = spawn_app().await;
    let _circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;

    app.invite(&quebec, "circle", "cleo@example.org", "owner")
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn an_organiser_cannot_create_events_in_an_organisation_they_do_not_belong_to() {
    let app = spawn_app().await;
    let _circle = app.owner_of("circle").await;
    let quebec = app.owner_of("quebec").await;

    let mut body = meeting("Not ours");
    body["organisation"] = json!("circle");
    app.post_json("/api/v1/events", &quebec, &body)
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn a_viewer_reads_the_organisations_events() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let viewer = app
        .member(&owner, "circle", "vera@example.org", "viewer")
        .await;
    let draft = app.create_event(&owner, meeting("Draft meeting")).await;

    app.get(&format!("/api/v1/events/{}", id_of(&draft)), &viewer)
        .await
        .expect(200);
    assert_eq!(app.organiser_events(&viewer, "").await.len(), 1);
}

#[tokio::test]
async fn a_viewer_cannot_create_an_event() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let viewer = app
        .member(&owner, "circle", "vera@example.org", "viewer")
        .await;

    app.post_json("/api/v1/events", &viewer, &meeting("Viewer's meeting"))
        .await
        .expect_problem(403);
}

#[tokio::test]
async fn a_viewer_cannot_change_an_event() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let viewer = app
        .member(&owner, "circle", "vera@example.org", "viewer")
        .await;
    let draft = app.create_event(&owner, meeting("Draft meeting")).await;

    app.patch_event(&viewer, id_of(&draft), json!({ "title": "Renamed" }))
        .await
        .expect_problem(403);
    assert_eq!(
        app.event(&owner, id_of(&draft)).await["title"],
        "Draft meeting"
    );
}

#[tokio::test]
async fn a_viewer_cannot_publish_an_event() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let viewer = app
        .member(&owner, "circle", "vera@example.org", "viewer")
        .await;
    let draft = app.create_event(&owner, meeting("Draft meeting")).await;

    app.post_json(
        &format!("/api/v1/events/{}/publish", id_of(&draft)),
        &viewer,
        &json!({}),
    )
    .await
    .expect_problem(403);
}

#[tokio::test]
async fn a_viewer_cannot_create_a_campaign() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let viewer = app
        .member(&owner, "circle", "vera@example.org", "viewer")
        .await;

    app.post_json(
        "/api/v1/campaigns",
        &viewer,
        &json!({ "title": "Viewer's campaign" }),
    )
    .await
    .expect_problem(403);
}

#[tokio::test]
async fn a_viewer_cannot_change_a_campaign() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;
    let viewer = app
        .member(&owner, "circle", "vera@example.org", "viewer")
        .await;
    let campaign = app
        .create_campaign(&owner, json!({ "title": "Solidarity" }))
        .await;

    app.patch_json(
        &format!("/api/v1/campaigns/{}", id_of(&campaign)),
        &viewer,
        &json!({ "title": "Renamed" }),
    )
    .await
    .expect_problem(403);
}

#[tokio::test]
async fn an_invitation_to_a_role_that_does_not_exist_is_refused() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;

    app.invite(&owner, "circle", "ben@example.org", "admin")
        .await
        .expect_problem(422);
}

#[tokio::test]
async fn an_invitation_to_an_address_that_is_not_an_email_is_refused() {
    let app = spawn_app().await;
    let owner = app.owner_of("circle").await;

    app.invite(&owner, "circle", "not an email", "organiser")
        .await
        .expect_invalid("email");
}
