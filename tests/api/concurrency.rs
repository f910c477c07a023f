//! Many people at once: capacity, duplicates and email delivery hold when requests
//! and workers race, in one process and across processes sharing the database.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// 200 supporters (some with guests) RSVP at once to an event of 50 seats, through
/// two server processes when `servers` is 2.
async fn two_hundred_rsvps_for_fifty_seats(servers: usize) {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 50, "waitlist": true }))
        .await;
    let other = if servers == 2 {
        Some(app.another_server().await)
    } else {
        None
    };
    let path = format!("/api/v1/public/events/{}/rsvps", id_of(&event));
    let requests = (0..200).map(|i| {
        let address = match (&other, i % 2) {
            (Some(other), 1) => other.address.clone(),
            _ => app.address.clone(),
        };
        let body = json!({
            "email": format!("supporter{i}@example.org"),
            "name": format!("Supporter {i}"),
            "guests": i % 3,
        });
        let client = app.client.clone();
        let url = format!("{address}{path}");
        async move {
            let response = client.post(url).json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body)
        }
    });
    let replies = futures_util::future::join_all(requests).await;

    let mut going_seats = 0;
    let mut waitlisted_seats = 0;
    for (i, (status, body)) in replies.iter().enumerate() {
        assert_eq!(*status, 201, "RSVP {i}: {body}");
        let seats = 1 + body["guests"].as_i64().unwrap();
        match body["status"].as_str().unwrap() {
            "going" => going_seats += seats,
            "waitlisted" => waitlisted_seats += seats,
            other => panic!("RSVP {i} is {other}"),
        }
    }
    assert_eq!(going_seats, 50, "every seat taken, none oversold");
    let event = app.event(&token, id_of(&event)).await;
    assert_eq!(event["going_count"], 50);
    assert_eq!(event["waitlist_count"], waitlisted_seats);

    let listed = app
        .get(
            &format!("/api/v1/events/{}/rsvps?limit=200", id_of(&event)),
            &token,
        )
        .await;
    let attendees = items(listed.expect(200));
    assert_eq!(attendees.len(), 200);
    let listed_going: i64 = attendees
        .iter()
        .filter(|a| a["status"] == "going")
        .map(|a| 1 + a["guests"].as_i64().unwrap())
        .sum();
    assert_eq!(listed_going, 50);

    // Every RSVP queued its confirmation with it: 200 emails, one each.
    let round = app.deliver_emails().await;
    assert_eq!(round.sent, 200, "{round:?}");
    let recipients: HashSet<String> = app
        .smtp
        .all()
        .iter()
        .flat_map(|m| m.envelope_to.clone())
        .collect();
    assert_eq!(recipients.len(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_simultaneous_rsvps_never_oversell_fifty_seats() {
    two_hundred_rsvps_for_fifty_seats(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_on_one_database_never_oversell_either() {
    two_hundred_rsvps_for_fifty_seats(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_address_sent_twenty_times_at_once_takes_one_seat() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 50, "waitlist": false }))
        .await;
    let requests = (0..20).map(|i| {
        // The same person, however they type their address.
        let email = if i % 2 == 0 {
            "Ana@Example.org"
        } else {
            "ana@example.org"
        };
        app.rsvp(id_of(&event), email, json!({ "guests": 1 }))
    });
    let replies = futures_util::future::join_all(requests).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let repeated = replies.iter().filter(|r| r.status == 202).count();
    assert_eq!((created, repeated), (1, 19), "{replies:?}");
    let links: Vec<&str> = replies
        .iter()
        .filter_map(|r| r.body["manage_url"].as_str())
        .collect();
    assert_eq!(links.len(), 1, "one RSVP, its link answered once");
    let event = app.event(&token, id_of(&event)).await;
    assert_eq!(event["going_count"], 2, "one seat and one guest");
    let supporters = app
        .get("/api/v1/supporters?email=ANA@example.org", &token)
        .await;
    assert_eq!(items(supporters.expect(200)).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_worker_processes_deliver_each_email_exactly_once() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 500 }))
        .await;
    for i in 0..120 {
        app.rsvp(id_of(&event), &format!("s{i}@example.org"), json!({}))
            .await
            .expect(201);
    }
    let _first = app.worker_process();
    let _second = app.worker_process();
    let received = app.smtp.wait_for(120).await;
    // Give a double delivery the time to show itself.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let received_now = app.smtp.all();
    assert_eq!(received_now.len(), 120, "no email sent twice");
    let ids: HashSet<String> = received.iter().map(|m| m.message_id()).collect();
    assert_eq!(ids.len(), 120);
    let reply = app
        .send(
            Method::GET,
            "/api/v1/emails?status=pending",
            Some(&token),
            None,
            None,
        )
        .await;
    assert!(items(reply.expect(200)).is_empty());
}

/// One person signing through two server processes at once, however they type their
/// address: one signature, one confirmation email, and the same answer everywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_person_signing_through_two_servers_at_once_signs_once() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = app
        .published_petition(
            &token,
            json!({ "title": "Free the Inveval workers", "target": "The ministry" }),
        )
        .await;
    let petition = id_of(&petition).to_owned();
    let other = app.another_server().await;
    let client = reqwest::Client::new();
    let requests = (0..20).map(|i| {
        let base = if i % 2 == 0 {
            &app.address
        } else {
            &other.address
        };
        let email = [
            "ana@example.org",
            "Ana@Example.org",
            "ana+petition@example.org",
        ][i % 3];
        client
            .post(format!(
                "{base}/api/v1/public/petitions/{petition}/signatures"
            ))
            .json(&json!({ "email": email, "name": "Ana" }))
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| r.expect("an answer").status().as_u16())
        .collect();

    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    let signatures = app
        .get(&format!("/api/v1/petitions/{petition}/signatures"), &token)
        .await;
    assert_eq!(items(signatures.expect(200)).len(), 1, "one signature");
    app.deliver_emails().await;
    // Sent to whichever spelling came first: one email in all.
    assert_eq!(app.smtp.all().len(), 1, "one confirmation email");
}

/// A server keeps a public petition in memory for a moment: a signature counted
/// through another server shows in its count within seconds, and one counted
/// through itself at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petitions_public_count_follows_signatures_taken_by_another_server() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let petition = app
        .published_petition(
            &token,
            json!({ "title": "Free them", "target": "The ministry", "require_confirmation": false }),
        )
        .await;
    let petition = id_of(&petition).to_owned();
    let count = || async {
        app.get_public(&format!("/api/v1/public/petitions/{petition}"))
            .await
            .expect(200)["signature_count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(count().await, 0);
    let sign = |base: String, email: &'static str| {
        let client = app.client.clone();
        let url = format!("{base}/api/v1/public/petitions/{petition}/signatures");
        async move {
            client
                .post(url)
                .json(&json!({ "email": email, "name": "Ana" }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };

    assert_eq!(sign(app.address.clone(), "ana@example.org").await, 201);
    assert_eq!(
        count().await,
        1,
        "this server's own signature shows at once"
    );

    let other = app.another_server().await;
    assert_eq!(sign(other.address.clone(), "bea@example.org").await, 201);
    let started = std::time::Instant::now();
    while count().await != 2 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "the count never showed the other server's signature"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// RSVPs arriving together are placed together (one lock of the event for all those
/// waiting); one refused for want of seats must still leave nothing behind, not
/// even a supporter record.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_at_once_for_ten_seats_without_a_waitlist_keep_only_those_placed() {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10, "waitlist": false }))
        .await;
    let people: Vec<String> = (0..30).map(|i| format!("crowd{i}@example.org")).collect();

    let replies = futures_util::future::join_all(
        people
            .iter()
            .map(|email| app.rsvp(id_of(&event), email, json!({}))),
    )
    .await;

    let placed: Vec<&String> = people
        .iter()
        .zip(&replies)
        .filter(|(_, r)| r.status == 201)
        .map(|(email, _)| email)
        .collect();
    let refused = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!((placed.len(), refused), (10, 20), "{replies:?}");
    let event = app.event(&token, id_of(&event)).await;
    assert_eq!(event["going_count"], 10);
    let db = app.database().await;
    let kept = entity::supporter::Entity::find()
        .filter(entity::supporter::Column::EmailKey.like("crowd%"))
        .count(&db)
        .await
        .expect("supporters counted");
    let _ = db.close().await;
    assert_eq!(kept, 10, "only those placed are supporters");
    app.deliver_emails().await;
    let mut told: Vec<String> = app
        .smtp
        .all()
        .iter()
        .flat_map(|e| e.envelope_to.clone())
        .collect();
    told.sort();
    let mut expected: Vec<String> = placed.into_iter().cloned().collect();
    expected.sort();
    assert_eq!(
        told, expected,
        "one email to each placed, none to the refused"
    );
}
