//! `turnout serve --demo`: the demo data set a newcomer sees first.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::helpers::DemoServer;

fn by_id(events: &[Value]) -> HashMap<&str, &Value> {
    events
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e))
        .collect()
}

#[tokio::test]
async fn the_demo_lists_events_of_three_solidarity_organisations() {
    let demo = DemoServer::start().await;

    let events = demo.all_public_events().await;

    let organisations: HashSet<&str> = events
        .iter()
        .flat_map(|e| {
            let hosts = e["hosts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str);
            e["organisation"].as_str().into_iter().chain(hosts)
        })
        .collect();
    for slug in [
        "hands-off-venezuela",
        "societe-bolivarienne-du-quebec",
        "louis-riel-bolivarian-circle",
    ] {
        assert!(
            organisations.contains(slug),
            "no demo event of {slug}: {organisations:?}"
        );
    }
}

#[tokio::test]
async fn every_demo_event_is_upcoming() {
    let demo = DemoServer::start().await;
    let now = Utc::now();

    let events = demo.all_public_events().await;

    assert!(!events.is_empty(), "the demo has no public events");
    for event in &events {
        let starts: DateTime<Utc> = event["starts_at_utc"].as_str().unwrap().parse().unwrap();
        assert!(
            starts > now,
            "{} starts in the past: {starts}",
            event["title"]
        );
        assert_eq!(event["status"], "published");
    }
}

#[tokio::test]
async fn the_demo_has_a_delegation_with_its_itinerary() {
    let demo = DemoServer::start().await;

    let events = demo.all_public_events().await;

    let delegations: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "delegation")
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(!delegations.is_empty(), "no delegation in the demo");
    let itinerary = events
        .iter()
        .filter(|e| {
            e["parent_id"]
                .as_str()
                .is_some_and(|p| delegations.contains(&p))
        })
        .count();
    assert!(
        itinerary >= 2,
        "the delegation has {itinerary} itinerary items"
    );
}

#[tokio::test]
async fn the_demo_has_a_workshop_inside_a_forum() {
    let demo = DemoServer::start().await;

    let events = demo.all_public_events().await;

    let index = by_id(&events);
    let workshop_in_a_forum = events.iter().any(|e| {
        e["kind"] == "workshop"
            && e["parent_id"]
                .as_str()
                .and_then(|p| index.get(p))
                .is_some_and(|parent| parent["kind"] != "delegation")
    });
    assert!(
        workshop_in_a_forum,
        "no workshop with a (non-delegation) parent in the demo"
    );
}

#[tokio::test]
async fn every_demo_child_event_sits_within_its_parent() {
    let demo = DemoServer::start().await;

    let events = demo.all_public_events().await;

    let index = by_id(&events);
    for child in events.iter().filter(|e| e["parent_id"].is_string()) {
        let parent = index
            .get(child["parent_id"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{}'s parent is not public", child["title"]));
        let instant =
            |e: &Value, key: &str| e[key].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
        assert!(
            instant(child, "starts_at_utc") >= instant(parent, "starts_at_utc")
                && instant(child, "ends_at_utc") <= instant(parent, "ends_at_utc"),
            "{} lies outside {}",
            child["title"],
            parent["title"]
        );
    }
}

#[tokio::test]
/// The link's page (`GET /admin/sign-in/{token}`) comes with the console (issue 17);
/// this checks what the demo prints.
async fn the_demo_prints_a_sign_in_link_for_its_organiser() {
    let demo = DemoServer::start().await;

    let printed = demo.printed();

    let prefix = format!("{}/admin/sign-in/", demo.address);
    let line = printed
        .lines()
        .find(|l| l.contains(&prefix))
        .unwrap_or_else(|| panic!("no sign-in link printed: {printed:?}"));
    assert!(line.contains("organiser@example.org"), "{line}");
    let token = line.rsplit('/').next().unwrap();
    assert!(token.len() >= 64, "{line}");
}
