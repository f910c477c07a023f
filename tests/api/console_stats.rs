//! The organisation's figures in the console (`/admin/{org}/stats`, the dashboard's
//! glance, the event page's chart): what the charts' tables say for seeded
//! signatures, RSVPs and gifts, counted on the organisation's local days; the period
//! form; roles. And the new pages in a real browser: axe-core and screenshots.

use chrono::{DateTime, Days, NaiveDate, TimeZone as _, Utc};
use chrono_tz::America::Caracas;
use fantoccini::Locator;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::console::{Browser, PASSWORD, set_password};
use crate::helpers::{TestApp, id_of, items, spawn_app, token_of, with};
use crate::pages::{Page, text_of};

const OWNER: &str = "owner@circle.example.org";

/// `circle`, in Caracas (UTC−4 all year), with its owner signed in; their API token.
pub async fn caracas_owner(app: &TestApp) -> (String, Browser<'_>) {
    app.bootstrap_org("circle", "Circle", "America/Caracas", OWNER)
        .await;
    set_password(app, OWNER).await;
    let token = token_of(&app.login(OWNER, PASSWORD).await);
    (token, Browser::sign_in(app, OWNER, PASSWORD).await)
}

/// An instant given as a wall time in Caracas.
fn caracas(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Caracas
        .from_local_datetime(&day.and_hms_opt(hour, minute, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn today_in_caracas() -> NaiveDate {
    Utc::now().with_timezone(&Caracas).date_naive()
}

/// A petition that counts a signature at once.
pub async fn petition(app: &TestApp, token: &str, title: &str) -> Value {
    app.published_petition(
        token,
        json!({ "title": title, "target": "the council", "require_confirmation": false }),
    )
    .await
}

/// `email` signs `petition`, confirmed at `when`.
pub async fn signed_at(
    app: &TestApp,
    petition: &Value,
    email: &str,
    name: &str,
    when: DateTime<Utc>,
) {
    crate::petitions::sign(app, id_of(petition), email, json!({ "name": name }))
        .await
        .expect(201);
    let db = app.database().await;
    entity::signature::Entity::update_many()
        .col_expr(
            entity::signature::Column::ConfirmedAt,
            Expr::value(Some(when)),
        )
        .filter(
            entity::signature::Column::PetitionId
                .eq(uuid::Uuid::parse_str(id_of(petition)).unwrap()),
        )
        .filter(entity::signature::Column::EmailKey.eq(email.to_lowercase()))
        .exec(&db)
        .await
        .expect("the signature's time is set");
    let _ = db.close().await;
}

/// A fundraiser open for gifts, in pounds.
pub async fn fundraiser(app: &TestApp, token: &str, title: &str) -> Value {
    let draft = app
        .post_json(
            "/api/v1/fundraisers",
            token,
            &json!({ "title": title, "goal": { "amount": 500_000, "currency": "GBP" } }),
        )
        .await
        .expect(201)
        .clone();
    app.post_json(
        &format!("/api/v1/fundraisers/{}/publish", id_of(&draft)),
        token,
        &json!({}),
    )
    .await
    .expect(200)
    .clone()
}

/// A gift received in cash at `when`; the donation.
pub async fn gift(
    app: &TestApp,
    token: &str,
    fundraiser: &Value,
    amount: i64,
    currency: &str,
    when: DateTime<Utc>,
    extra: Value,
) -> Value {
    app.post_json(
        &format!("/api/v1/fundraisers/{}/donations", id_of(fundraiser)),
        token,
        &with(
            json!({
                "amount": { "amount": amount, "currency": currency },
                "method": "cash",
                "received_at": when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
            extra,
        ),
    )
    .await
    .expect(201)
    .clone()
}

/// A published event in Caracas, some weeks ahead, with a capacity.
pub async fn event(app: &TestApp, token: &str, title: &str, capacity: i64) -> Value {
    let day = today_in_caracas() + Days::new(20);
    app.published_event(
        token,
        json!({
            "kind": "screening",
            "title": title,
            "timezone": "America/Caracas",
            "starts_at": format!("{day}T18:30:00"),
            "ends_at": format!("{day}T21:00:00"),
            "capacity": capacity,
            "location": { "venue": "Casa de la Cultura" },
        }),
    )
    .await
}

/// The rows of a chart's table: each row's cells as shown.
fn table_of(page: &Page, chart: &str) -> Vec<Vec<String>> {
    page.all(&format!("figure#{chart} table tbody tr"))
        .into_iter()
        .map(|row| {
            row.children()
                .filter_map(scraper::ElementRef::wrap)
                .map(text_of)
                .collect()
        })
        .collect()
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[tokio::test]
async fn the_figures_count_on_the_organisations_local_days() {
    let app = spawn_app().await;
    let (token, browser) = caracas_owner(&app).await;
    let today = today_in_caracas();
    let first = today - Days::new(3);
    let second = today - Days::new(2);

    let made = petition(&app, &token, "Save the library").await;
    signed_at(&app, &made, "ana@example.org", "Ana", caracas(first, 10, 0)).await;
    signed_at(&app, &made, "ben@example.org", "Ben", caracas(first, 15, 0)).await;
    // 23:30 in Caracas is 03:30 UTC the next day: it belongs to the local day.
    signed_at(
        &app,
        &made,
        "carla@example.org",
        "Carla",
        caracas(first, 23, 30),
    )
    .await;
    signed_at(
        &app,
        &made,
        "dora@example.org",
        "Dora",
        caracas(second, 12, 0),
    )
    .await;
    // Another organisation's signature on the same day counts for it, not here.
    let other = app.owner_of("other").await;
    let theirs = petition(&app, &other, "Theirs").await;
    signed_at(
        &app,
        &theirs,
        "eve@example.org",
        "Eve",
        caracas(first, 12, 0),
    )
    .await;

    let meeting = event(&app, &token, "Assembly", 10).await;
    app.rsvp(id_of(&meeting), "ana@example.org", json!({ "guests": 1 }))
        .await
        .expect(201);
    app.rsvp(id_of(&meeting), "ben@example.org", json!({}))
        .await
        .expect(201);

    let appeal = fundraiser(&app, &token, "Bus fares").await;
    gift(
        &app,
        &token,
        &appeal,
        1250,
        "GBP",
        caracas(first, 12, 0),
        json!({}),
    )
    .await;
    gift(
        &app,
        &token,
        &appeal,
        500,
        "EUR",
        caracas(second, 23, 0),
        json!({}),
    )
    .await;

    let page = browser.open("/admin/circle/stats?days=30").await;
    page.expect_html(200);
    assert_eq!(
        table_of(&page, "signatures"),
        vec![
            vec![day(first), "3".to_owned()],
            vec![day(second), "1".to_owned()]
        ],
        "{}",
        page.text
    );
    assert_eq!(
        table_of(&page, "rsvps"),
        vec![vec![day(today), "3".to_owned()]],
        "Ana and her guest, and Ben"
    );
    assert_eq!(
        table_of(&page, "money-eur"),
        vec![vec![day(second), "5.00 EUR".to_owned()]]
    );
    assert_eq!(
        table_of(&page, "money-gbp"),
        vec![vec![day(first), "12.50 GBP".to_owned()]]
    );
    let text = page.visible_text();
    assert!(
        text.contains("In the last 30 days: 4 confirmed signatures, 2 RSVPs going, 2 gifts."),
        "{text}"
    );
    // Each drawing is named for assistive technology, and has no NaN in it.
    let svg = page.one("figure#signatures svg");
    assert_eq!(svg.attr("role"), Some("img"));
    assert_eq!(
        svg.attr("aria-labelledby"),
        Some("signatures-title signatures-desc")
    );
    assert!(!page.text.contains("NaN"));
    // Four bars' worth of drawing for two days: two bars.
    assert_eq!(page.all("figure#signatures svg rect").len(), 2);

    // The dashboard: the same counts, a small chart, and the way to all figures.
    let home = browser.open("/admin").await;
    home.expect_html(200);
    assert!(
        home.visible_text()
            .contains("In the last 30 days: 4 confirmed signatures, 2 RSVPs going, 2 gifts."),
        "{}",
        home.text
    );
    assert_eq!(home.all("figure#glance-circle svg[role=img]").len(), 1);
    assert!(home.links_to(|href| href == "/admin/circle/stats"));

    // The event's page: places taken against its capacity.
    let shown = browser
        .open(&format!("/admin/circle/events/{}", id_of(&meeting)))
        .await;
    shown.expect_html(200);
    assert_eq!(
        table_of(&shown, "going"),
        vec![vec![day(today), "3".to_owned(), "3".to_owned()]]
    );
    assert!(
        shown.visible_text().contains("Capacity 10"),
        "{}",
        shown.text
    );
    assert_eq!(shown.all("figure#going line.limit").len(), 1);
}

#[tokio::test]
async fn the_period_is_chosen_with_a_get_form() {
    let app = spawn_app().await;
    let (token, browser) = caracas_owner(&app).await;
    let made = petition(&app, &token, "Save the library").await;
    let long_ago = today_in_caracas() - Days::new(100);
    signed_at(
        &app,
        &made,
        "ana@example.org",
        "Ana",
        caracas(long_ago, 12, 0),
    )
    .await;

    let default = browser.open("/admin/circle/stats").await;
    default.expect_html(200);
    let form = default.one("form[method=get][action=\"/admin/circle/stats\"]");
    assert!(
        form.select(&scraper::Selector::parse("select[name=days]").unwrap())
            .next()
            .is_some()
    );
    assert_eq!(default.one("option[selected]").attr("value"), Some("90"));
    assert!(table_of(&default, "signatures").is_empty());
    assert!(default.visible_text().contains("Nothing yet"));

    let year = browser.open("/admin/circle/stats?days=365").await;
    year.expect_html(200);
    assert_eq!(year.one("option[selected]").attr("value"), Some("365"));
    assert_eq!(
        table_of(&year, "signatures"),
        vec![vec![day(long_ago), "1".to_owned()]]
    );

    // A period not offered is the default one.
    let odd = browser.open("/admin/circle/stats?days=7").await;
    odd.expect_html(200);
    assert_eq!(odd.one("option[selected]").attr("value"), Some("90"));

    // In Spanish.
    let es = Browser::sign_in(&app, OWNER, PASSWORD)
        .await
        .in_language("es");
    let cifras = es.open("/admin/circle/stats").await;
    cifras.expect_html(200);
    assert_eq!(cifras.h1(), "Cifras");
}

#[tokio::test]
async fn every_member_sees_the_figures_and_no_one_elses() {
    let app = spawn_app().await;
    let (token, _) = caracas_owner(&app).await;
    let made = petition(&app, &token, "Save the library").await;
    signed_at(&app, &made, "ana@example.org", "Ana", Utc::now()).await;
    app.member(&token, "circle", "viewer@example.org", "viewer")
        .await;
    let viewer = Browser::sign_in(&app, "viewer@example.org", PASSWORD).await;

    // Counts are not personal data: a viewer sees them.
    let page = viewer.open("/admin/circle/stats").await;
    page.expect_html(200);
    assert_eq!(
        table_of(&page, "signatures"),
        vec![vec![day(today_in_caracas()), "1".to_owned()]]
    );
    assert!(!page.text.contains("ana@example.org"));

    // Another organisation's figures do not exist for them.
    app.owner_of("other").await;
    viewer.open("/admin/other/stats").await.expect_html(404);
}

// --- in a real browser: axe-core and screenshots ----------------------------------------------

#[tokio::test]
async fn the_figures_and_supporters_pages_pass_axe_and_are_photographed() {
    use crate::console_browser::{axe_source, look_at, sign_in};
    let Some(chromium) = crate::browser::Browser::start().await else {
        return;
    };
    let axe = axe_source();
    let app = spawn_app().await;
    let (token, _) = caracas_owner(&app).await;
    let today = today_in_caracas();
    let made = petition(&app, &token, "Save the library").await;
    for (n, email) in ["ana@example.org", "ben@example.org", "carla@example.org"]
        .iter()
        .enumerate()
    {
        let when = caracas(today - Days::new(n as u64 * 3), 12, 0);
        signed_at(&app, &made, email, &crate::helpers::name_of(email), when).await;
    }
    let meeting = event(&app, &token, "Assembly", 10).await;
    app.rsvp(
        id_of(&meeting),
        "ana@example.org",
        json!({ "name": "Ana Ortega" }),
    )
    .await
    .expect(201);
    let appeal = fundraiser(&app, &token, "Bus fares").await;
    gift(
        &app,
        &token,
        &appeal,
        1250,
        "GBP",
        caracas(today, 9, 0),
        json!({}),
    )
    .await;
    let ana = items(
        app.get("/api/v1/supporters?email=ana@example.org", &token)
            .await
            .expect(200),
    )[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    sign_in(&chromium, &app, OWNER).await;
    let mut found = Vec::new();
    found.extend(look_at(&chromium, axe, "dashboard_glance").await);
    let pages = [
        ("stats", "/admin/circle/stats".to_owned()),
        ("stats_year", "/admin/circle/stats?days=365".to_owned()),
        (
            "event_chart",
            format!("/admin/circle/events/{}", id_of(&meeting)),
        ),
        ("supporters", "/admin/circle/supporters".to_owned()),
        (
            "supporters_search",
            "/admin/circle/supporters?q=ana".to_owned(),
        ),
        (
            "supporters_none",
            "/admin/circle/supporters?q=nobody".to_owned(),
        ),
        ("supporter", format!("/admin/circle/supporters/{ana}")),
        (
            "supporter_erase",
            format!("/admin/circle/supporters/{ana}/erase"),
        ),
    ];
    for (name, path) in &pages {
        chromium.goto(&app.url(path)).await;
        chromium.find(Locator::Css("main h1, h1")).await;
        found.extend(look_at(&chromium, axe, name).await);
    }
    // The numbers beside a chart, open.
    chromium.goto(&app.url("/admin/circle/stats")).await;
    chromium.click("//figure[@id='signatures']//summary").await;
    chromium.find(Locator::Css("figure#signatures table")).await;
    found.extend(look_at(&chromium, axe, "stats_numbers").await);
    // The erasure refused: the error beside the field.
    chromium
        .goto(&app.url(&format!("/admin/circle/supporters/{ana}/erase")))
        .await;
    chromium.fill("email", "someone@example.org").await;
    chromium
        .click("//form[contains(@action, '/erase')]//button[@type='submit']")
        .await;
    chromium.find(Locator::Css(".field-error")).await;
    found.extend(look_at(&chromium, axe, "supporter_erase_refused").await);

    assert!(
        found.is_empty(),
        "axe-core finds {} serious or critical problem(s):\n  {}",
        found.len(),
        found.join("\n  ")
    );
    chromium.finish().await;
}

#[tokio::test]
async fn a_petitions_page_and_a_fundraisers_page_chart_their_own_days() {
    let app = spawn_app().await;
    let (token, browser) = caracas_owner(&app).await;
    let today = today_in_caracas();
    let first = today - Days::new(5);

    let made = petition(&app, &token, "Save the library").await;
    signed_at(&app, &made, "ana@example.org", "Ana", caracas(first, 9, 0)).await;
    signed_at(
        &app,
        &made,
        "ben@example.org",
        "Ben",
        caracas(first, 23, 30),
    )
    .await;
    let other = petition(&app, &token, "Another").await;
    signed_at(&app, &other, "cy@example.org", "Cy", caracas(first, 9, 0)).await;

    // No source known yet: no breakdown.
    let page = browser
        .open(&format!("/admin/circle/petitions/{}", id_of(&made)))
        .await;
    assert!(page.first("table.sources").is_none());
    for (email, source) in [
        ("dee@example.org", "newsletter"),
        ("eli@example.org", "newsletter"),
        ("fay@example.org", "mastodon"),
    ] {
        crate::petitions::sign(
            &app,
            id_of(&made),
            email,
            json!({ "name": "Someone", "source": source }),
        )
        .await
        .expect(201);
    }

    let page = browser
        .open(&format!("/admin/circle/petitions/{}", id_of(&made)))
        .await;
    page.expect_html(200);
    assert_eq!(page.h2s()[0], "Confirmed signatures a day");
    let sources: Vec<Vec<String>> = page
        .all("table.sources tbody tr")
        .into_iter()
        .map(|row| {
            row.children()
                .filter_map(scraper::ElementRef::wrap)
                .map(text_of)
                .collect()
        })
        .collect();
    assert_eq!(
        sources,
        [
            ["newsletter", "2", "40%"],
            ["No source given", "2", "40%"],
            ["mastodon", "1", "20%"],
        ],
        "most first"
    );
    let rows = table_of(&page, "signatures");
    assert_eq!(rows.len(), 2, "two days with signatures: {rows:?}");
    assert_eq!(rows[0][0], day(first));
    assert_eq!(rows[0][1], "2", "this petition's alone: {rows:?}");
    assert_eq!(rows[1][0], day(today));
    assert_eq!(rows[1][1], "3");

    let fund = fundraiser(&app, &token, "Strike fund").await;
    gift(
        &app,
        &token,
        &fund,
        2_500,
        "GBP",
        caracas(first, 10, 0),
        json!({}),
    )
    .await;
    gift(
        &app,
        &token,
        &fund,
        1_000_000,
        "VES",
        caracas(first, 11, 0),
        json!({}),
    )
    .await;
    let page = browser
        .open(&format!("/admin/circle/fundraisers/{}", id_of(&fund)))
        .await;
    page.expect_html(200);
    let charts: Vec<String> = page
        .all("figure")
        .into_iter()
        .filter_map(|f| f.value().attr("id").map(str::to_owned))
        .collect();
    assert_eq!(charts, ["money-gbp", "money-ves"], "one chart per currency");
    let gbp = table_of(&page, "money-gbp");
    assert_eq!(gbp.len(), 1, "{gbp:?}");
    assert_eq!(gbp[0][0], day(first));
    assert!(gbp[0][1].contains("25.00"), "{gbp:?}");
}
