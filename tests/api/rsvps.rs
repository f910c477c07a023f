//! RSVPs: seats, guests, the waitlist, approval, the manage link, and who sees
//! attendees.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_supporter_who_rsvps_gets_a_confirmation_with_the_event_attached() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app
        .event_with_seats(&token, json!({ "capacity": 10, "waitlist": true }))
        .await;
    let reply = app
        .rsvp(id_of(&event), "ana@example.org", json!({ "guests": 2 }))
        .await;
    let rsvp = reply.expect(201);
    assert_eq!(rsvp["status"], "going");
    assert!(rsvp["manage_url"].as_str().unwrap().starts_with("http://127.0.0.1/rsvps/"));

    let round = app.deliver_emails().await;
    assert_eq!(round.sent, 1, "{round:?}");
    let email = app.smtp.last_to("ana@example.org");
    assert!(email.subject().contains("Film night"), "{}", email.subject());
    let (method, ics) = email.calendar().expect("an .ics attachment");
    assert_eq!(method, "PUBLISH");
    assert!(
        ics.contains(&format!("UID:{}@turnout", id_of(&event))),
        "{ics}"
    );
    assert!(email.text().contains("19:00"), "{}", email.text());
    assert!(email.text().contains("EST"), "{}", email.text());
    let event = app.event(&token, id_of(&event)).await;
    assert_eq!(event["going_count"], 3);
}
