//! A fake Stripe inside the test harness: a real HTTP server on a local port that
//! checks what Stripe checks (the key, the form encoding, Checkout's rules, the
//! idempotency of retried requests) and answers as Stripe does, keeping every
//! request for tests to read. And the other direction: webhook events built and
//! signed as Stripe builds and signs them.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use hmac::{Hmac, Mac};
use poem::{
    Request, Response, Server,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use crate::helpers::{Reply, TestApp, spawn_app_configured};

/// The secret key the app is configured with and the fake expects.
pub const SECRET_KEY: &str = "sk_test_51TurnoutFakeStripeKey";
/// The webhook signing secret the app is configured with.
pub const WEBHOOK_SECRET: &str = "whsec_turnout_test_secret";
/// The API version of the events the fake builds.
pub const API_VERSION: &str = "2025-03-31.basil";

/// The app with Stripe configured to talk to a fresh fake, and that fake.
pub async fn spawn_app_with_stripe() -> (TestApp, FakeStripe) {
    spawn_app_with_stripe_and(|_| {}).await
}

/// As `spawn_app_with_stripe`, with the configuration changed further by `adjust`
/// after Stripe's settings are put in (to unset the webhook secret, say).
pub async fn spawn_app_with_stripe_and(
    adjust: impl FnOnce(&mut turnout::config::Config),
) -> (TestApp, FakeStripe) {
    let fake = FakeStripe::start(SECRET_KEY).await;
    let url = fake.url();
    let app = spawn_app_configured(move |config| {
        config.stripe_secret_key = Some(SECRET_KEY.into());
        config.stripe_webhook_secret = Some(WEBHOOK_SECRET.into());
        config.stripe_api_base = url;
        adjust(config);
    })
    .await;
    (app, fake)
}

// --- what the fake receives ---------------------------------------------------------

/// A form as sent: its pairs in order, names unescaped (`metadata[donation_id]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    pub fn parse(body: &str) -> Self {
        Self(
            url::form_urlencoded::parse(body.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The (first) value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`; panics, showing the form, when it is missing.
    #[track_caller]
    pub fn field(&self, name: &str) -> &str {
        self.get(name)
            .unwrap_or_else(|| panic!("no {name:?} in the form {:?}", self.0))
    }

    /// Whether any field's name is `prefix` or starts with `prefix[`.
    pub fn has(&self, prefix: &str) -> bool {
        self.0
            .iter()
            .any(|(k, _)| k == prefix || k.starts_with(&format!("{prefix}[")))
    }

    /// The pairs whose names start with `prefix[`, keyed by the rest
    /// (`metadata` gives `{"donation_id": ...}`).
    pub fn map_of(&self, prefix: &str) -> Map<String, Value> {
        let start = format!("{prefix}[");
        self.0
            .iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(&start)?.strip_suffix(']')?;
                (!rest.contains('[')).then(|| (rest.to_owned(), Value::String(v.clone())))
            })
            .collect()
    }

    fn sorted(&self) -> Vec<(String, String)> {
        let mut pairs = self.0.clone();
        pairs.sort();
        pairs
    }
}

/// One request the fake received, and what it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
    pub form: Form,
    pub status: u16,
    pub answer: Value,
}

impl Recorded {
    #[track_caller]
    pub fn field(&self, name: &str) -> &str {
        self.form.field(name)
    }
}

/// A Checkout Session the fake created: what it answered, and the form it came from.
#[derive(Debug, Clone)]
pub struct Session {
    pub body: Value,
    pub form: Form,
}

// --- the server -----------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Stored {
    method: String,
    path: String,
    form: Vec<(String, String)>,
    status: u16,
    answer: Value,
}

#[derive(Default)]
struct State {
    key: String,
    failing: Option<u16>,
    requests: Vec<Recorded>,
    sessions: Vec<Session>,
    idempotent: HashMap<String, Stored>,
    /// Amount refunded so far, by payment intent.
    refunded: HashMap<String, i64>,
}

/// The fake Stripe of one test.
#[derive(Clone)]
pub struct FakeStripe {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl FakeStripe {
    /// A fake on a free local port that accepts `key`.
    pub async fn start(key: &str) -> Self {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("a free port for the fake Stripe");
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .expect("a local port");
        let state = Arc::new(Mutex::new(State {
            key: key.to_owned(),
            ..State::default()
        }));
        let shared = state.clone();
        let endpoint = poem::endpoint::make(move |request: Request| {
            let state = shared.clone();
            async move { answer(&state, request).await }
        });
        tokio::spawn(Server::new_with_acceptor(acceptor).run(endpoint));
        Self { port, state }
    }

    /// `http://127.0.0.1:{port}`: what `TURNOUT_STRIPE_API_BASE` is set to.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// From now on answer every request with this status (500: Stripe's `api_error`;
    /// 402: a `card_error`; 429: `rate_limit`), before looking at it, as when Stripe
    /// fails before its API starts (so nothing is kept for the idempotency key).
    pub fn fail_with(&self, status: u16) {
        self.state.lock().unwrap().failing = Some(status);
    }

    /// Answer normally again.
    pub fn recover(&self) {
        self.state.lock().unwrap().failing = None;
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The requests received for `path` (`/v1/refunds`).
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// The form of the `i`th request.
    #[track_caller]
    pub fn form_of(&self, i: usize) -> Form {
        self.requests()
            .get(i)
            .unwrap_or_else(|| panic!("no request {i} at the fake Stripe"))
            .form
            .clone()
    }

    /// Every Checkout Session created, in order (a replay creates none).
    pub fn sessions(&self) -> Vec<Session> {
        self.state.lock().unwrap().sessions.clone()
    }

    /// The session created for this donation (by `metadata[donation_id]`).
    #[track_caller]
    pub fn session_for(&self, donation_id: &str) -> Session {
        let sessions = self.sessions();
        let found: Vec<Session> = sessions
            .iter()
            .filter(|s| s.donation_id() == Some(donation_id))
            .cloned()
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one Checkout Session for donation {donation_id}, found {}: {:?}",
            found.len(),
            sessions.iter().map(|s| &s.body).collect::<Vec<_>>()
        );
        found.into_iter().next().unwrap()
    }
}

fn random_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..24].to_owned()
}

fn json_response(status: u16, body: &Value) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .content_type("application/json")
        .header("Request-Id", format!("req_{}", random_id()))
        .body(body.to_string())
}

fn stripe_error(kind: &str, message: &str, param: Option<&str>, code: Option<&str>) -> Value {
    let mut error = json!({ "type": kind, "message": message });
    if let Some(param) = param {
        error["param"] = json!(param);
    }
    if let Some(code) = code {
        error["code"] = json!(code);
    }
    json!({ "error": error })
}

fn invalid(message: impl AsRef<str>, param: &str) -> (u16, Value) {
    (
        400,
        stripe_error(
            "invalid_request_error",
            message.as_ref(),
            Some(param),
            Some("parameter_invalid"),
        ),
    )
}

fn missing(param: &str) -> (u16, Value) {
    (
        400,
        stripe_error(
            "invalid_request_error",
            &format!("Missing required param: {param}."),
            Some(param),
            Some("parameter_missing"),
        ),
    )
}

/// `sk_test_****abcd`, as Stripe shows a key it refuses.
fn redacted(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let head: String = key.chars().take(8).collect();
    format!("{head}****{tail}")
}

async fn answer(state: &Mutex<State>, mut request: Request) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let header = |name: &str| request.header(name).map(str::to_owned);
    let authorization = header("authorization");
    let idempotency_key = header("idempotency-key");
    let content_type = header("content-type");
    let raw = request.take_body().into_string().await.unwrap_or_default();
    let form = Form::parse(&raw);

    let mut state = state.lock().unwrap();
    let (status, body, replayed) = respond(
        &mut state,
        &method,
        &path,
        authorization.as_deref(),
        idempotency_key.as_deref(),
        content_type.as_deref(),
        &form,
    );
    state.requests.push(Recorded {
        method,
        path,
        authorization,
        idempotency_key,
        content_type,
        form,
        status,
        answer: body.clone(),
    });
    drop(state);
    let mut response = json_response(status, &body);
    if replayed {
        response
            .headers_mut()
            .insert("Idempotent-Replayed", "true".parse().unwrap());
    }
    response
}

/// Stripe's answer to one request: its status, body, and whether it was replayed.
fn respond(
    state: &mut State,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    idempotency_key: Option<&str>,
    content_type: Option<&str>,
    form: &Form,
) -> (u16, Value, bool) {
    if let Some(status) = state.failing {
        let body = match status {
            402 => stripe_error(
                "card_error",
                "Your card was declined.",
                None,
                Some("card_declined"),
            ),
            429 => stripe_error(
                "invalid_request_error",
                "Too many requests hit the API too quickly.",
                None,
                Some("rate_limit"),
            ),
            _ => stripe_error("api_error", "An unknown error occurred", None, None),
        };
        return (status, body, false);
    }

    match authorization.and_then(|a| a.strip_prefix("Bearer ")) {
        None => {
            return (
                401,
                stripe_error(
                    "invalid_request_error",
                    "You did not provide an API key. You need to provide your API key in the \
                     Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
                     YOUR_SECRET_KEY').",
                    None,
                    None,
                ),
                false,
            );
        }
        Some(key) if key != state.key => {
            return (
                401,
                stripe_error(
                    "invalid_request_error",
                    &format!("Invalid API Key provided: {}", redacted(key)),
                    None,
                    Some("api_key_invalid"),
                ),
                false,
            );
        }
        Some(_) => {}
    }

    let known = matches!(
        (method, path),
        ("POST", "/v1/checkout/sessions") | ("POST", "/v1/refunds")
    );
    if !known {
        return (
            404,
            stripe_error(
                "invalid_request_error",
                &format!(
                    "Unrecognized request URL ({method}: {path}). Please see \
                     https://stripe.com/docs or we can help at https://support.stripe.com/."
                ),
                None,
                None,
            ),
            false,
        );
    }

    let form_encoded = content_type.is_some_and(|c| {
        c.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    if !form_encoded {
        return (
            400,
            stripe_error(
                "invalid_request_error",
                &format!(
                    "Invalid request: the body must be application/x-www-form-urlencoded, \
                     not {:?}.",
                    content_type.unwrap_or("")
                ),
                None,
                None,
            ),
            false,
        );
    }

    if let Some(key) = idempotency_key {
        if key.is_empty() || key.len() > 255 {
            return (
                400,
                stripe_error(
                    "idempotency_error",
                    "Idempotency-Key must be between 1 and 255 characters long.",
                    None,
                    None,
                ),
                false,
            );
        }
        if let Some(stored) = state.idempotent.get(key) {
            if stored.method == method && stored.path == path && stored.form == form.sorted() {
                return (stored.status, stored.answer.clone(), true);
            }
            return (
                400,
                stripe_error(
                    "idempotency_error",
                    &format!(
                        "Keys for idempotent requests can only be used with the same parameters \
                         they were first used with. Try using a key other than '{key}' if you \
                         meant to execute a different request."
                    ),
                    None,
                    None,
                ),
                false,
            );
        }
    }

    let result = match path {
        "/v1/checkout/sessions" => create_session(state, form),
        _ => create_refund(state, form),
    };
    let (status, body) = match result {
        Ok(body) => (200, body),
        Err((status, body)) => {
            // Stripe keeps no result for a request refused before its endpoint ran.
            return (status, body, false);
        }
    };
    if let Some(key) = idempotency_key {
        state.idempotent.insert(
            key.to_owned(),
            Stored {
                method: method.to_owned(),
                path: path.to_owned(),
                form: form.sorted(),
                status,
                answer: body.clone(),
            },
        );
    }
    (status, body, false)
}

/// Top-level and nested parameters Stripe knows for a Checkout Session (a subset,
/// wide enough for any integration; anything else is an unknown parameter).
const SESSION_PARAMS: &[&str] = &[
    "after_expiration",
    "allow_promotion_codes",
    "automatic_tax",
    "billing_address_collection",
    "cancel_url",
    "client_reference_id",
    "consent_collection",
    "currency",
    "custom_fields",
    "custom_text",
    "customer",
    "customer_creation",
    "customer_email",
    "customer_update",
    "discounts",
    "expand",
    "expires_at",
    "invoice_creation",
    "line_items",
    "locale",
    "metadata",
    "mode",
    "payment_intent_data",
    "payment_method_configuration",
    "payment_method_options",
    "payment_method_types",
    "phone_number_collection",
    "redirect_on_completion",
    "return_url",
    "saved_payment_method_options",
    "setup_intent_data",
    "shipping_address_collection",
    "shipping_options",
    "submit_type",
    "subscription_data",
    "success_url",
    "tax_id_collection",
    "ui_mode",
];

const LINE_ITEM_PARAMS: &[&str] = &[
    "adjustable_quantity",
    "dynamic_tax_rates",
    "price",
    "price_data",
    "quantity",
    "tax_rates",
];

const PRICE_DATA_PARAMS: &[&str] = &[
    "currency",
    "product",
    "product_data",
    "recurring",
    "tax_behavior",
    "unit_amount",
    "unit_amount_decimal",
];

const PRODUCT_DATA_PARAMS: &[&str] = &["description", "images", "metadata", "name", "tax_code"];

const RECURRING_PARAMS: &[&str] = &["interval", "interval_count"];

const PAYMENT_INTENT_DATA_PARAMS: &[&str] = &[
    "application_fee_amount",
    "capture_method",
    "description",
    "metadata",
    "on_behalf_of",
    "receipt_email",
    "setup_future_usage",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "transfer_data",
    "transfer_group",
];

const SUBSCRIPTION_DATA_PARAMS: &[&str] = &[
    "application_fee_percent",
    "billing_cycle_anchor",
    "default_tax_rates",
    "description",
    "invoice_settings",
    "metadata",
    "on_behalf_of",
    "proration_behavior",
    "transfer_data",
    "trial_end",
    "trial_period_days",
    "trial_settings",
];

const LOCALES: &[&str] = &[
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr",
    "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt",
    "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
];

/// The segments of a form name: `line_items[0][price_data][currency]` gives
/// `["line_items", "0", "price_data", "currency"]`; `None` when it is malformed.
fn segments(name: &str) -> Option<Vec<&str>> {
    let (head, mut rest) = match name.find('[') {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    };
    let mut out = vec![head];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        out.push(&inner[..end]);
        rest = &inner[end + 1..];
    }
    Some(out)
}

/// The first parameter of the form Stripe does not know for a Checkout Session.
fn unknown_session_param(form: &Form) -> Option<String> {
    for (name, _) in &form.0 {
        let Some(parts) = segments(name) else {
            return Some(name.clone());
        };
        let known = match parts.as_slice() {
            [top] => SESSION_PARAMS.contains(top),
            ["metadata", _] => true,
            ["line_items", index, rest @ ..] if index.parse::<usize>().is_ok() => match rest {
                [p] => LINE_ITEM_PARAMS.contains(p) && *p != "price_data",
                ["price_data", p] => PRICE_DATA_PARAMS.contains(p),
                ["price_data", "product_data", p] => PRODUCT_DATA_PARAMS.contains(p),
                ["price_data", "product_data", "metadata", _] => true,
                ["price_data", "recurring", p] => RECURRING_PARAMS.contains(p),
                ["tax_rates" | "dynamic_tax_rates", _] => true,
                ["adjustable_quantity", _] => true,
                _ => false,
            },
            ["payment_intent_data", "metadata", _] | ["subscription_data", "metadata", _] => true,
            ["payment_intent_data", p] => {
                PAYMENT_INTENT_DATA_PARAMS.contains(p) && *p != "metadata"
            }
            ["subscription_data", p] => SUBSCRIPTION_DATA_PARAMS.contains(p) && *p != "metadata",
            [top, ..] => {
                // Other nested parameters of known hashes (automatic_tax[enabled]…).
                SESSION_PARAMS.contains(top)
                    && !matches!(
                        *top,
                        "line_items" | "metadata" | "payment_intent_data" | "subscription_data"
                    )
            }
            [] => false,
        };
        if !known {
            return Some(name.clone());
        }
    }
    None
}

fn check_metadata(form: &Form, prefix: &str) -> Result<(), (u16, Value)> {
    let map = form.map_of(prefix);
    if map.len() > 50 {
        return Err(invalid("Metadata can have up to 50 keys.", prefix));
    }
    for (key, value) in &map {
        let param = format!("{prefix}[{key}]");
        if key.chars().count() > 40 {
            return Err(invalid(
                format!("Metadata keys can have up to 40 characters; {key:?} is too long."),
                &param,
            ));
        }
        if value.as_str().unwrap_or_default().chars().count() > 500 {
            return Err(invalid(
                "Metadata values can have up to 500 characters.",
                &param,
            ));
        }
    }
    Ok(())
}

fn is_absolute_http_url(value: &str) -> bool {
    url::Url::parse(value)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// The minimum charge Stripe accepts in a currency, where the tests need one.
fn minimum_charge(currency: &str) -> Option<i64> {
    match currency {
        "usd" | "eur" | "cad" | "aud" | "chf" | "nzd" => Some(50),
        "gbp" => Some(30),
        _ => None,
    }
}

fn create_session(state: &mut State, form: &Form) -> Result<Value, (u16, Value)> {
    if let Some(name) = unknown_session_param(form) {
        return Err((
            400,
            stripe_error(
                "invalid_request_error",
                &format!("Received unknown parameter: {name}"),
                Some(&name),
                Some("parameter_unknown"),
            ),
        ));
    }
    let mode = form.get("mode").ok_or_else(|| missing("mode"))?;
    if !matches!(mode, "payment" | "subscription") {
        return Err(invalid(
            format!("Invalid mode: must be one of payment, setup, or subscription; got {mode:?}"),
            "mode",
        ));
    }
    for param in ["success_url", "cancel_url"] {
        let value = form.get(param).ok_or_else(|| missing(param))?;
        if !is_absolute_http_url(value) {
            return Err(invalid(format!("Not a valid URL: {value:?}"), param));
        }
    }
    if let Some(locale) = form.get("locale")
        && !LOCALES.contains(&locale)
    {
        return Err(invalid(
            format!("Invalid locale: {locale:?} is not a supported locale."),
            "locale",
        ));
    }
    if let Some(email) = form.get("customer_email")
        && !email.contains('@')
    {
        return Err(invalid(
            format!("Invalid email address: {email}"),
            "customer_email",
        ));
    }
    if let Some(reference) = form.get("client_reference_id")
        && (reference.is_empty() || reference.chars().count() > 200)
    {
        return Err(invalid(
            "client_reference_id must be between 1 and 200 characters.",
            "client_reference_id",
        ));
    }

    let currency_param = "line_items[0][price_data][currency]";
    let amount_param = "line_items[0][price_data][unit_amount]";
    let quantity_param = "line_items[0][quantity]";
    let name_param = "line_items[0][price_data][product_data][name]";
    let interval_param = "line_items[0][price_data][recurring][interval]";
    if !form.has("line_items") {
        return Err(missing("line_items"));
    }
    if form.has("line_items[1]") {
        return Err(invalid(
            "The fake Stripe expects one line item.",
            "line_items[1]",
        ));
    }
    let currency = form
        .get(currency_param)
        .ok_or_else(|| missing(currency_param))?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(invalid(
            format!(
                "Invalid currency: {currency}. Stripe currently supports these currencies: usd, eur, gbp, ..."
            ),
            currency_param,
        ));
    }
    let raw_amount = form
        .get(amount_param)
        .ok_or_else(|| missing(amount_param))?;
    let unit_amount: i64 = raw_amount
        .parse()
        .map_err(|_| invalid(format!("Invalid integer: {raw_amount}"), amount_param))?;
    if unit_amount <= 0 {
        return Err(invalid(
            "This value must be greater than or equal to 1.",
            amount_param,
        ));
    }
    if unit_amount > 99_999_999 {
        return Err(invalid(
            "Amount must be no more than 999,999.99",
            amount_param,
        ));
    }
    if let Some(minimum) = minimum_charge(currency)
        && unit_amount < minimum
    {
        return Err(invalid(
            format!(
                "The Checkout Session's total amount due must add up to at least {minimum} \
                 (in the smallest unit of {currency})."
            ),
            amount_param,
        ));
    }
    let raw_quantity = form
        .get(quantity_param)
        .ok_or_else(|| missing(quantity_param))?;
    let quantity: i64 = raw_quantity
        .parse()
        .map_err(|_| invalid(format!("Invalid integer: {raw_quantity}"), quantity_param))?;
    if quantity < 1 {
        return Err(invalid(
            "This value must be greater than or equal to 1.",
            quantity_param,
        ));
    }
    let name = form.get(name_param).ok_or_else(|| missing(name_param))?;
    if name.trim().is_empty() {
        return Err(invalid("A product needs a name.", name_param));
    }

    match mode {
        "subscription" => {
            let interval = form.get(interval_param).ok_or_else(|| {
                invalid(
                    "You must provide at least one recurring price in `subscription` mode \
                     when using prices.",
                    "line_items",
                )
            })?;
            if !matches!(interval, "day" | "week" | "month" | "year") {
                return Err(invalid(
                    format!(
                        "Invalid interval: must be one of day, month, week, or year; got {interval:?}"
                    ),
                    interval_param,
                ));
            }
            if form.has("payment_intent_data") {
                return Err(invalid(
                    "You can not pass `payment_intent_data` in `subscription` mode.",
                    "payment_intent_data",
                ));
            }
            if form.has("submit_type") {
                return Err(invalid(
                    "`submit_type` can only be used in `payment` mode.",
                    "submit_type",
                ));
            }
        }
        _ => {
            if form.has("line_items[0][price_data][recurring]") {
                return Err(invalid(
                    "You specified `payment` mode but passed a recurring price. Either switch \
                     to `subscription` mode or use only one-time prices.",
                    "line_items",
                ));
            }
            if form.has("subscription_data") {
                return Err(invalid(
                    "You can not pass `subscription_data` in `payment` mode.",
                    "subscription_data",
                ));
            }
            if let Some(submit) = form.get("submit_type")
                && !matches!(submit, "auto" | "book" | "donate" | "pay" | "subscribe")
            {
                return Err(invalid(
                    format!("Invalid submit_type: {submit:?}"),
                    "submit_type",
                ));
            }
        }
    }
    for prefix in [
        "metadata",
        "payment_intent_data[metadata]",
        "subscription_data[metadata]",
    ] {
        check_metadata(form, prefix)?;
    }

    let random = random_id();
    let id = format!("cs_test_{random}");
    let now = chrono::Utc::now().timestamp();
    let body = json!({
        "id": id,
        "object": "checkout.session",
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
        "mode": mode,
        "status": "open",
        "payment_status": "unpaid",
        "client_reference_id": form.get("client_reference_id"),
        "customer_email": form.get("customer_email"),
        "customer": null,
        "locale": form.get("locale"),
        "metadata": form.map_of("metadata"),
        "amount_subtotal": unit_amount * quantity,
        "amount_total": unit_amount * quantity,
        "currency": currency,
        "success_url": form.get("success_url"),
        "cancel_url": form.get("cancel_url"),
        "submit_type": form.get("submit_type"),
        "payment_intent": null,
        "subscription": null,
        "created": now,
        "expires_at": now + 24 * 3600,
        "livemode": false,
    });
    state.sessions.push(Session {
        body: body.clone(),
        form: form.clone(),
    });
    Ok(body)
}

/// The session a payment intent or charge of the fake belongs to: `pi_{random}` or
/// `pi_{random}_{invoice}` (see `Session::payment_intent`).
fn session_of<'a>(state: &'a State, id: &str, prefix: &str) -> Option<&'a Session> {
    let rest = id.strip_prefix(prefix)?;
    let random = rest.split('_').next()?;
    state.sessions.iter().find(|s| s.random() == random)
}

fn create_refund(state: &mut State, form: &Form) -> Result<Value, (u16, Value)> {
    const KNOWN: &[&str] = &[
        "amount",
        "charge",
        "instructions_email",
        "metadata",
        "origin",
        "payment_intent",
        "reason",
        "refund_application_fee",
        "reverse_transfer",
        "expand",
    ];
    for (name, _) in &form.0 {
        let top = segments(name)
            .and_then(|s| s.first().copied())
            .unwrap_or("");
        let nested_ok = top == "metadata" || !name.contains('[');
        if !KNOWN.contains(&top) || !nested_ok {
            return Err((
                400,
                stripe_error(
                    "invalid_request_error",
                    &format!("Received unknown parameter: {name}"),
                    Some(name),
                    Some("parameter_unknown"),
                ),
            ));
        }
    }
    check_metadata(form, "metadata")?;
    if let Some(reason) = form.get("reason")
        && !matches!(reason, "duplicate" | "fraudulent" | "requested_by_customer")
    {
        return Err(invalid(format!("Invalid reason: {reason:?}"), "reason"));
    }
    let (payment_intent, session) = match (form.get("payment_intent"), form.get("charge")) {
        (Some(pi), _) => {
            if !pi.starts_with("pi_") {
                return Err(invalid(
                    format!("Invalid payment_intent: {pi}"),
                    "payment_intent",
                ));
            }
            let session = session_of(state, pi, "pi_").ok_or_else(|| {
                (
                    400,
                    stripe_error(
                        "invalid_request_error",
                        &format!("No such payment_intent: '{pi}'"),
                        Some("payment_intent"),
                        Some("resource_missing"),
                    ),
                )
            })?;
            (pi.to_owned(), session.clone())
        }
        (None, Some(charge)) => {
            let session = session_of(state, charge, "ch_").ok_or_else(|| {
                (
                    400,
                    stripe_error(
                        "invalid_request_error",
                        &format!("No such charge: '{charge}'"),
                        Some("charge"),
                        Some("resource_missing"),
                    ),
                )
            })?;
            let pi = format!("pi_{}", charge.trim_start_matches("ch_"));
            (pi, session.clone())
        }
        (None, None) => {
            return Err((
                400,
                stripe_error(
                    "invalid_request_error",
                    "One of the following params should be provided for this request: \
                     payment_intent or charge.",
                    None,
                    Some("parameter_missing"),
                ),
            ));
        }
    };
    let total = session.amount();
    let already = state.refunded.get(&payment_intent).copied().unwrap_or(0);
    let charge = format!("ch_{}", payment_intent.trim_start_matches("pi_"));
    if already >= total {
        return Err((
            400,
            stripe_error(
                "invalid_request_error",
                &format!("Charge {charge} has already been refunded."),
                None,
                Some("charge_already_refunded"),
            ),
        ));
    }
    let amount = match form.get("amount") {
        None => total - already,
        Some(raw) => {
            let amount: i64 = raw
                .parse()
                .map_err(|_| invalid(format!("Invalid integer: {raw}"), "amount"))?;
            if amount < 1 || amount > total - already {
                return Err(invalid(
                    format!(
                        "Refund amount ({amount}) is greater than unrefunded amount on charge ({})",
                        total - already
                    ),
                    "amount",
                ));
            }
            amount
        }
    };
    state
        .refunded
        .insert(payment_intent.clone(), already + amount);
    Ok(json!({
        "id": format!("re_{}", random_id()),
        "object": "refund",
        "status": "succeeded",
        "payment_intent": payment_intent,
        "charge": charge,
        "amount": amount,
        "currency": session.currency(),
        "metadata": form.map_of("metadata"),
        "reason": form.get("reason"),
        "created": chrono::Utc::now().timestamp(),
    }))
}

// --- sessions, and the events Stripe sends about them ------------------------------

impl Session {
    pub fn id(&self) -> &str {
        self.body["id"].as_str().expect("a session id")
    }

    /// The random part of the id, shared by the payment intent, charge and
    /// subscription the fake makes up for this session.
    pub fn random(&self) -> &str {
        self.id().trim_start_matches("cs_test_")
    }

    pub fn url(&self) -> &str {
        self.body["url"].as_str().expect("a session url")
    }

    pub fn mode(&self) -> &str {
        self.body["mode"].as_str().expect("a mode")
    }

    pub fn amount(&self) -> i64 {
        self.body["amount_total"].as_i64().expect("an amount_total")
    }

    pub fn currency(&self) -> &str {
        self.body["currency"].as_str().expect("a currency")
    }

    /// `metadata[donation_id]`, if the session has one.
    pub fn donation_id(&self) -> Option<&str> {
        self.body["metadata"]["donation_id"].as_str()
    }

    /// The payment intent of a one-time payment (`pi_{random}`).
    pub fn payment_intent(&self) -> String {
        format!("pi_{}", self.random())
    }

    /// The charge of a one-time payment (`ch_{random}`).
    pub fn charge(&self) -> String {
        format!("ch_{}", self.random())
    }

    /// The subscription of a monthly gift (`sub_{random}`).
    pub fn subscription(&self) -> String {
        format!("sub_{}", self.random())
    }

    /// The `n`th invoice of the subscription (0: the first, paid at checkout).
    pub fn invoice_id(&self, n: usize) -> String {
        format!("in_{}_{n}", self.random())
    }

    /// The payment intent of the `n`th invoice.
    pub fn invoice_payment_intent(&self, n: usize) -> String {
        format!("pi_{}_{n}", self.random())
    }

    /// The session as `checkout.session.*` events carry it, with this `status` and
    /// `payment_status`.
    pub fn with_status(&self, status: &str, payment_status: &str) -> Value {
        let mut object = self.body.clone();
        let subscription = self.mode() == "subscription";
        let started = status == "complete";
        object["status"] = json!(status);
        object["payment_status"] = json!(payment_status);
        object["url"] = Value::Null;
        object["payment_intent"] = if started && !subscription {
            json!(self.payment_intent())
        } else {
            Value::Null
        };
        object["subscription"] = if started && subscription {
            json!(self.subscription())
        } else {
            Value::Null
        };
        object["invoice"] = if started && subscription {
            json!(self.invoice_id(0))
        } else {
            Value::Null
        };
        if started {
            object["customer"] = json!(format!("cus_{}", self.random()));
            object["customer_details"] = json!({
                "email": self.body["customer_email"],
                "name": null,
            });
        }
        object
    }

    /// `checkout.session.completed` (or `async_payment_succeeded`): paid.
    pub fn completed(&self) -> Value {
        self.with_status("complete", "paid")
    }

    /// `checkout.session.completed` for a payment still being confirmed (a bank debit).
    pub fn completed_unpaid(&self) -> Value {
        self.with_status("complete", "unpaid")
    }

    /// `checkout.session.expired`.
    pub fn expired(&self) -> Value {
        self.with_status("expired", "unpaid")
    }

    /// The metadata the payment intent carries (`payment_intent_data[metadata]`).
    fn payment_intent_metadata(&self) -> Map<String, Value> {
        self.form.map_of("payment_intent_data[metadata]")
    }

    /// The metadata the subscription carries (`subscription_data[metadata]`).
    fn subscription_metadata(&self) -> Map<String, Value> {
        self.form.map_of("subscription_data[metadata]")
    }

    /// The payment intent of `payment_intent.payment_failed`.
    pub fn payment_failed(&self, message: &str) -> Value {
        json!({
            "id": self.payment_intent(),
            "object": "payment_intent",
            "amount": self.amount(),
            "currency": self.currency(),
            "status": "requires_payment_method",
            "metadata": self.payment_intent_metadata(),
            "last_payment_error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": message,
            },
            "created": chrono::Utc::now().timestamp(),
            "livemode": false,
        })
    }

    /// The charge of `charge.refunded`, with `amount_refunded` refunded so far.
    pub fn charge_refunded(&self, amount_refunded: i64) -> Value {
        json!({
            "id": self.charge(),
            "object": "charge",
            "amount": self.amount(),
            "amount_captured": self.amount(),
            "amount_refunded": amount_refunded,
            "currency": self.currency(),
            "paid": true,
            "captured": true,
            "refunded": amount_refunded >= self.amount(),
            "status": "succeeded",
            "payment_intent": self.payment_intent(),
            "metadata": self.payment_intent_metadata(),
            "created": chrono::Utc::now().timestamp(),
            "livemode": false,
        })
    }

    /// The `n`th invoice of a monthly gift, paid: `invoice.paid` with
    /// `billing_reason` `subscription_create` (n = 0) or `subscription_cycle`. It
    /// carries the subscription both where API versions before 2025-03-31 put it
    /// (`subscription`, `subscription_details`) and where later ones do (`parent`).
    pub fn invoice_paid(&self, n: usize, billing_reason: &str) -> Value {
        let metadata = Value::Object(self.subscription_metadata());
        let now = chrono::Utc::now().timestamp();
        let month = 30 * 24 * 3600;
        let start = now + (n as i64) * month;
        json!({
            "id": self.invoice_id(n),
            "object": "invoice",
            "billing_reason": billing_reason,
            "status": "paid",
            "paid": true,
            "amount_due": self.amount(),
            "amount_paid": self.amount(),
            "amount_remaining": 0,
            "total": self.amount(),
            "currency": self.currency(),
            "customer": format!("cus_{}", self.random()),
            "customer_email": self.body["customer_email"],
            "payment_intent": self.invoice_payment_intent(n),
            "subscription": self.subscription(),
            "subscription_details": { "metadata": metadata },
            "parent": {
                "type": "subscription_details",
                "quote_details": null,
                "subscription_details": {
                    "subscription": self.subscription(),
                    "metadata": metadata,
                },
            },
            "lines": {
                "object": "list",
                "data": [{
                    "object": "line_item",
                    "amount": self.amount(),
                    "currency": self.currency(),
                    "period": { "start": start, "end": start + month },
                }],
                "has_more": false,
            },
            "period_start": start,
            "period_end": start + month,
            "created": now,
            "livemode": false,
        })
    }
}

// --- webhooks -------------------------------------------------------------------------

/// A fresh event id (`evt_...`).
pub fn event_id() -> String {
    format!("evt_{}", random_id())
}

/// An event as Stripe sends it.
pub fn event(id: &str, kind: &str, object: Value) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": chrono::Utc::now().timestamp(),
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
        "data": { "object": object },
    })
    .to_string()
}

/// An event with a fresh id.
pub fn new_event(kind: &str, object: Value) -> String {
    event(&event_id(), kind, object)
}

/// The hex HMAC-SHA256 of `{timestamp}.{payload}` under `secret`.
pub fn signature(secret: &str, payload: &str, timestamp: i64) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Stripe's `Stripe-Signature` header: `t={timestamp},v1={signature}`.
pub fn sign(secret: &str, payload: &str, timestamp: i64) -> String {
    format!("t={timestamp},v1={}", signature(secret, payload, timestamp))
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `POST /webhooks/stripe` with this body, and `Stripe-Signature` when given.
pub async fn post_webhook(app: &TestApp, payload: &str, header: Option<&str>) -> Reply {
    let mut request = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )
        .header(
            reqwest::header::USER_AGENT,
            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        )
        .body(payload.to_owned());
    if let Some(header) = header {
        request = request.header("Stripe-Signature", header);
    }
    let response = request.send().await.expect("the app answers");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a readable body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        body,
    }
}

/// Deliver `payload` as Stripe would: signed now with the app's webhook secret.
pub async fn deliver(app: &TestApp, payload: &str) -> Reply {
    let header = sign(WEBHOOK_SECRET, payload, now());
    post_webhook(app, payload, Some(&header)).await
}

/// Deliver a new event of `kind` about `object`; it must be acknowledged.
pub async fn acknowledged(app: &TestApp, kind: &str, object: Value) {
    let payload = new_event(kind, object);
    let reply = deliver(app, &payload).await;
    assert_eq!(
        reply.status.as_u16(),
        200,
        "Stripe's {kind} event was not acknowledged: {}",
        reply.text
    );
}
