//! What every request meets before any route (issue 15): a size limit on every
//! body, deadlines for headers, bodies and idle connections, and the client's
//! address, believed from a proxy only when the proxy is ours.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Read from a raw connection until the server answers or closes it (or `limit`
/// passes: then `None`).
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&seen).into_owned())
}

async fn short_timeouts() -> TestApp {
    spawn_app_configured(|config| {
        config.timeouts.headers = Duration::from_secs(1);
        config.timeouts.body = Duration::from_secs(1);
        config.timeouts.idle = Duration::from_secs(2);
    })
    .await
}

// --- bodies -------------------------------------------------------------------------

#[tokio::test]
async fn a_page_form_over_a_mebibyte_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    let slug = event["slug"].as_str().unwrap();
    let huge = format!(
        "name=Ana&email=ana%40example.org&junk={}",
        "a".repeat(2 << 20)
    );

    let refused = app
        .send_raw(
            reqwest::Method::POST,
            &format!("/events/{slug}"),
            None,
            "application/x-www-form-urlencoded",
            huge,
        )
        .await;

    refused.expect_problem(413);
    assert_eq!(app.attendees(&token, id_of(&event)).await.len(), 0);
    app.get_public(&format!("/events/{slug}")).await.expect(200);
}

#[tokio::test]
async fn a_chunked_body_that_grows_past_the_limit_is_refused() {
    let app = spawn_app().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    let slug = event["slug"].as_str().unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let head = format!(
        "POST /events/{slug} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "a".repeat(64 * 1024));
    // 2 MiB in 64 KiB chunks; the server may stop reading (and close) midway.
    for _ in 0..32 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;

    let answer = read_until_closed(&mut stream, Duration::from_secs(20))
        .await
        .unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.200}");
}

#[tokio::test]
async fn a_webhook_body_over_the_limit_is_refused() {
    let app = spawn_app().await;

    let refused = app
        .send_raw(
            reqwest::Method::POST,
            "/webhooks/stripe",
            None,
            "application/json",
            vec![b' '; 3 << 20],
        )
        .await;

    refused.expect_problem(413);
}

// --- deadlines ----------------------------------------------------------------------

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = short_timeouts().await;
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    // One header line every 300 ms keeps the connection busy, never done.
    let drip = async {
        for i in 0..100 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if stream
                .write_all(format!("X-Drip-{i}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                return true;
            }
        }
        false
    };

    let cut_off = tokio::time::timeout(Duration::from_secs(15), drip).await;

    assert!(
        matches!(cut_off, Ok(true)),
        "the server kept a connection whose headers never ended"
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let app = short_timeouts().await;
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();

    let closed = read_until_closed(&mut stream, Duration::from_secs(15)).await;

    assert_eq!(
        closed.as_deref(),
        Some(""),
        "the idle connection stayed open"
    );
}

#[tokio::test]
async fn a_body_that_stalls_is_answered_408() {
    let app = short_timeouts().await;
    let token = app.owner_of("lrbc").await;
    let event = app.event_with_seats(&token, json!({})).await;
    let slug = event["slug"].as_str().unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let head = format!(
        "POST /events/{slug} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\r\nname=Ana"
    );
    stream.write_all(head.as_bytes()).await.unwrap();

    let answer = read_until_closed(&mut stream, Duration::from_secs(15))
        .await
        .unwrap_or_default();

    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:.300}");
}

#[tokio::test]
async fn a_slow_but_steady_keep_alive_client_is_served_request_after_request() {
    // Wide margins either side of the pause, so a busy machine cannot tip it over.
    let app = spawn_app_configured(|config| {
        config.timeouts.headers = Duration::from_secs(1);
        config.timeouts.idle = Duration::from_secs(6);
    })
    .await;
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();

    for request in 0..3 {
        if request > 0 {
            // Twice the header deadline, a third of the idle timeout.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    }
}

// --- the client's address -----------------------------------------------------------

fn signing(email: &str) -> serde_json::Value {
    json!({ "email": email, "name": "Ana" })
}

async fn petition_with_limit(per_client: u32, trust_loopback: bool) -> (TestApp, String) {
    let app = spawn_app_configured(|config| {
        config.limits.sign = turnout::config::Quota::new(per_client, 1000);
        if trust_loopback {
            config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        }
    })
    .await;
    let token = app.owner_of("lrbc").await;
    let petition = app
        .published_petition(
            &token,
            json!({ "title": "Free them all", "target": "the consulate" }),
        )
        .await;
    let path = format!("/api/v1/public/petitions/{}/signatures", id_of(&petition));
    (app, path)
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_quota() {
    let (app, path) = petition_with_limit(2, true).await;

    for i in 0..2 {
        app.post_json_via_proxy(&path, "203.0.113.7", &signing(&format!("a{i}@example.org")))
            .await
            .expect(202);
    }
    app.post_json_via_proxy(&path, "203.0.113.7", &signing("a9@example.org"))
        .await
        .expect_problem(429);

    app.post_json_via_proxy(&path, "198.51.100.20", &signing("b@example.org"))
        .await
        .expect(202);
}

#[tokio::test]
async fn without_trusted_proxies_a_forged_forwarded_for_changes_nothing() {
    let (app, path) = petition_with_limit(2, false).await;

    for (i, forged) in ["203.0.113.1", "203.0.113.2"].into_iter().enumerate() {
        app.post_json_via_proxy(&path, forged, &signing(&format!("a{i}@example.org")))
            .await
            .expect(202);
    }

    app.post_json_via_proxy(&path, "203.0.113.3", &signing("c@example.org"))
        .await
        .expect_problem(429);
}

#[tokio::test]
async fn a_client_cannot_dodge_its_quota_by_prepending_addresses() {
    let (app, path) = petition_with_limit(1, true).await;
    app.post_json_via_proxy(&path, "203.0.113.7", &signing("a@example.org"))
        .await
        .expect(202);

    // The proxy appends the real client after whatever the client sent.
    app.post_json_via_proxy(&path, "192.0.2.1, 203.0.113.7", &signing("b@example.org"))
        .await
        .expect_problem(429);
}

#[tokio::test]
async fn every_address_of_one_ipv6_64_shares_one_quota() {
    let (app, path) = petition_with_limit(1, true).await;
    app.post_json_via_proxy(&path, "2001:db8:7:1::1", &signing("a@example.org"))
        .await
        .expect(202);

    app.post_json_via_proxy(&path, "2001:db8:7:1:ffff::9", &signing("b@example.org"))
        .await
        .expect_problem(429);
    app.post_json_via_proxy(&path, "2001:db8:7:2::1", &signing("c@example.org"))
        .await
        .expect(202);
}
