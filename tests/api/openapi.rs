//! The OpenAPI document tells the truth: what may be null says so, each operation
//! lists the error statuses it can answer and no others, and real answers fit the
//! schemas it gives them. (Schemathesis checks the same against a demo server in
//! `.ci/run`; these tests keep the points it found.)

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of, meeting, spawn_app, with};

async fn document(app: &TestApp) -> Value {
    app.get_public("/api/openapi.json")
        .await
        .expect(200)
        .clone()
}

/// The statuses an operation documents, in order.
fn statuses(document: &Value, path: &str, method: &str) -> Vec<String> {
    let responses = document["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("no {method} {path} in the document"));
    responses.keys().cloned().collect()
}

fn property<'a>(document: &'a Value, schema: &str, field: &str) -> &'a Value {
    let property = &document["components"]["schemas"][schema]["properties"][field];
    assert!(property.is_object(), "no {schema}.{field} in the document");
    property
}

#[tokio::test]
async fn optional_fields_answered_as_null_are_documented_as_nullable() {
    let app = spawn_app().await;
    let document = document(&app).await;

    for (schema, field) in [
        ("EventPage", "next_cursor"),
        ("Event", "capacity"),
        ("Event", "campaign"),
        ("Event", "location"),
        ("Location", "postal_code"),
        ("Donation", "donor_email"),
        ("DonationPage", "next_cursor"),
        // A request may send null for what it may leave out.
        ("NewEvent", "capacity"),
    ] {
        assert_eq!(
            property(&document, schema, field)["nullable"],
            json!(true),
            "{schema}.{field} is not nullable"
        );
    }
    // Fields that are never null do not say they may be.
    assert!(property(&document, "Event", "title")["nullable"].is_null());
}

#[tokio::test]
async fn an_operation_documents_only_the_error_statuses_it_can_answer() {
    let app = spawn_app().await;
    let document = document(&app).await;

    // Who am I: a token, nothing else can go wrong but the URL or our side.
    assert_eq!(
        statuses(&document, "/me", "get"),
        ["200", "400", "401", "500"]
    );
    // A public read needs no token and changes no state.
    assert_eq!(
        statuses(&document, "/public/events/{id_or_slug}", "get"),
        ["200", "400", "404", "500"]
    );
    let organiser_read = statuses(&document, "/events/{id}", "get");
    for absent in ["409", "413", "415", "429", "502", "503"] {
        assert!(
            !organiser_read.iter().any(|s| s == absent),
            "GET /events/{{id}} lists {absent}: {organiser_read:?}"
        );
    }
}

#[tokio::test]
async fn operations_taking_json_document_what_the_body_may_be_refused_with() {
    let app = spawn_app().await;
    let document = document(&app).await;

    let mut with_bodies = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            if operation["requestBody"].is_null() {
                continue;
            }
            with_bodies += 1;
            let listed = statuses(&document, path, method);
            for wanted in ["400", "408", "413", "415", "422"] {
                assert!(
                    listed.iter().any(|s| s == wanted),
                    "{method} {path} does not list {wanted}: {listed:?}"
                );
            }
        }
    }
    assert!(
        with_bodies > 10,
        "only {with_bodies} operations take a body"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_documented_415() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let reply = app
        .send_raw(
            Method::POST,
            "/api/v1/events",
            Some(&token),
            "text/plain",
            "a meeting",
        )
        .await;

    reply.expect_problem(415);
    assert!(statuses(&document(&app).await, "/events", "post").contains(&"415".to_owned()));
}

#[tokio::test]
async fn only_rate_limited_operations_document_429_with_retry_after() {
    let app = spawn_app().await;
    let document = document(&app).await;

    let mut limited = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let response = &operation["responses"]["429"];
            if response.is_object() {
                assert!(
                    response["headers"]["Retry-After"].is_object(),
                    "{method} {path}: {response}"
                );
                limited.push(format!("{method} {path}"));
            }
        }
    }
    limited.sort();
    assert_eq!(
        limited,
        [
            "post /auth/login",
            "post /auth/password-reset",
            "post /public/events/{id}/rsvps",
            "post /public/fundraisers/{id}/donations",
            "post /public/organisations/{slug}/subscribers",
            "post /public/petitions/{id}/signatures",
        ]
    );
}

#[tokio::test]
async fn only_operations_that_reach_the_payment_provider_document_502_and_503() {
    let app = spawn_app().await;
    let document = document(&app).await;

    let mut reaching = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = &operation["responses"];
            if responses["502"].is_object() || responses["503"].is_object() {
                reaching.push(format!("{method} {path}"));
            }
        }
    }
    reaching.sort();
    assert_eq!(
        reaching,
        [
            "post /donations/{id}/refund",
            "post /public/fundraisers/{id}/donations"
        ]
    );
}

#[tokio::test]
async fn the_page_size_documents_its_bounds_and_default() {
    let app = spawn_app().await;
    let document = document(&app).await;

    let limit = document["paths"]["/public/events"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("a limit parameter")["schema"]
        .clone();
    assert_eq!(limit["minimum"].as_f64(), Some(1.0));
    assert_eq!(limit["maximum"].as_f64(), Some(200.0));
    assert_eq!(limit["default"], json!(50));
}

#[tokio::test]
async fn a_list_whose_last_page_has_no_cursor_fits_its_documented_schema() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    // No capacity, no campaign, no place: the nulls an answer carries.
    app.published_event(&token, meeting("Open meeting")).await;
    let document = document(&app).await;

    let reply = app.get_public("/api/v1/public/events").await;

    let page = reply.expect(200);
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["items"][0]["capacity"], Value::Null);
    assert_fits(&document, "/public/events", "get", 200, page);
}

#[tokio::test]
async fn an_organisers_event_and_a_refusal_fit_their_documented_schemas() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;
    let event = app
        .create_event(
            &token,
            with(meeting("Meeting"), json!({ "capacity": null })),
        )
        .await;
    let document = document(&app).await;

    let found = app
        .get(&format!("/api/v1/events/{}", id_of(&event)), &token)
        .await;
    let missing = app.get("/api/v1/events/no-such-event", &token).await;

    assert_fits(&document, "/events/{id}", "get", 200, found.expect(200));
    assert_fits(
        &document,
        "/events/{id}",
        "get",
        404,
        missing.expect_problem(404),
    );
}

/// Assert that `value` fits the schema the document gives this operation's answer.
#[track_caller]
fn assert_fits(document: &Value, path: &str, method: &str, status: u16, value: &Value) {
    let response = &document["paths"][path][method]["responses"][status.to_string()];
    let content = response["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} documents no {status}"));
    let schema = content
        .iter()
        .find(|(media, _)| media.contains("json"))
        .map(|(_, c)| &c["schema"])
        .unwrap_or_else(|| panic!("{method} {path} {status} has no JSON schema"));
    let mut errors = Vec::new();
    check(document, schema, value, "$", &mut errors);
    assert!(
        errors.is_empty(),
        "{method} {path} {status}:\n{}",
        errors.join("\n")
    );
}

/// The part of OpenAPI 3.0's schema language our document uses: `$ref`, `allOf`,
/// `nullable`, `type`, `enum`, `properties`, `required` and `items`. A schema using
/// more is reported, not passed.
fn check(document: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        let target = &document["components"]["schemas"][name];
        return check(document, target, value, at, errors);
    }
    if value.is_null() {
        if schema["nullable"] != json!(true) {
            errors.push(format!("{at} is null but not nullable: {schema}"));
        }
        return;
    }
    for keyword in ["oneOf", "anyOf", "not"] {
        if schema.get(keyword).is_some() {
            errors.push(format!(
                "{at}: this check does not read `{keyword}`: {schema}"
            ));
            return;
        }
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        check(document, part, value, at, errors);
    }
    let fits = match schema["type"].as_str() {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        Some(other) => {
            errors.push(format!("{at}: unknown type {other:?}"));
            return;
        }
        None => true,
    };
    if !fits {
        errors.push(format!("{at} = {value} is not of type {}", schema["type"]));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        errors.push(format!("{at} = {value} is not one of {allowed:?}"));
    }
    for required in schema["required"].as_array().into_iter().flatten() {
        let name = required.as_str().unwrap_or_default();
        if value.get(name).is_none() {
            errors.push(format!("{at}.{name} is required and missing"));
        }
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object())
    {
        for (name, field) in object {
            match properties.get(name) {
                Some(property) => check(document, property, field, &format!("{at}.{name}"), errors),
                None => errors.push(format!("{at}.{name} is not in the schema")),
            }
        }
    }
    if let Some(items) = value.as_array() {
        for (i, item) in items.iter().enumerate() {
            check(
                document,
                &schema["items"],
                item,
                &format!("{at}[{i}]"),
                errors,
            );
        }
    }
}

#[tokio::test]
async fn a_method_a_path_does_not_take_is_a_405_naming_those_it_does() {
    let app = spawn_app().await;
    let token = app.owner_of("circle").await;

    let reply = app
        .send(
            Method::PUT,
            "/api/v1/events/some-event",
            Some(&token),
            None,
            None,
        )
        .await;

    reply.expect_problem(405);
    let allow = reply.headers.get("allow").map(|v| v.to_str().unwrap());
    assert_eq!(allow, Some("DELETE, GET, HEAD, PATCH"));
}
