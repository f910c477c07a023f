//! Configuration: every `TURNOUT_*` variable, read once at start.

use std::{fmt, path::PathBuf, time::Duration};

use url::Url;

/// What the service needs to run. `from_env` is the only reader of the environment;
/// tests build it by value.
#[derive(Clone)]
pub struct Config {
    /// `TURNOUT_DATABASE_URL`: a SQLite file (`sqlite://turnout.db?mode=rwc`) or `postgres://…`.
    pub database_url: String,
    /// `TURNOUT_BIND`: the listen address; port 0 picks a free one.
    pub bind: String,
    /// `TURNOUT_PUBLIC_URL`: base of every link in emails, pages and feeds, without a trailing `/`.
    pub public_url: String,
    /// `TURNOUT_SMTP_URL`: where to send email; unset writes `.eml` files to `mail_dir`.
    pub smtp_url: Option<String>,
    /// `TURNOUT_MAIL_DIR`: where `.eml` files go when there is no SMTP server.
    pub mail_dir: PathBuf,
    /// `TURNOUT_MAIL_FROM`: the sender of every email.
    pub mail_from: String,
    /// `TURNOUT_SECRET`: key for signed links; unset, one is generated and kept in the database.
    pub secret: Option<String>,
    /// `TURNOUT_STRIPE_SECRET_KEY`: enables online donations.
    pub stripe_secret_key: Option<String>,
    /// `TURNOUT_STRIPE_WEBHOOK_SECRET`: verifies Stripe's webhooks.
    pub stripe_webhook_secret: Option<String>,
    /// `TURNOUT_STRIPE_API_BASE`: Stripe's API, or a stand-in for tests.
    pub stripe_api_base: String,
    /// `TURNOUT_WORKER`: run the background jobs inside `serve`.
    pub run_worker: bool,
    /// `TURNOUT_TRUSTED_PROXIES`: reverse proxies whose `X-Forwarded-For` / `Forwarded`
    /// is believed for the client's address.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `TURNOUT_RATE_LIMITS`: how often one client or one address may act without an
    /// account (`sign=60/10,rsvp=20/10,login=10/20,password_reset=5/5`).
    pub limits: RateLimits,
    /// `TURNOUT_METRICS_TOKEN`: the bearer token `/metrics` asks for; unset, it answers
    /// loopback clients only.
    pub metrics_token: Option<String>,
    /// `TURNOUT_FEEDBACK_TOKEN`: the bearer token of `POST /webhooks/mail-feedback`
    /// (bounces and complaints); unset, that endpoint answers 503.
    pub feedback_token: Option<String>,
    /// How long a client may take over a request's headers and body, and how long a
    /// connection may idle. Not read from the environment; tests shorten them.
    pub timeouts: crate::http::edge::Timeouts,
    /// How email delivery is retried. Not read from the environment: the defaults
    /// suit every deployment, and tests shorten them.
    pub retry: RetryPolicy,
    /// `TURNOUT_MAIL_RATE`: at most this many emails a second leave each worker (`0`:
    /// no limit). Mail providers cap senders' rates; a mailing to thousands must
    /// not trip the cap and get the organisation's mail refused.
    pub mail_rate: Option<std::num::NonZeroU32>,
}

/// The default of `TURNOUT_MAIL_RATE`: within what small providers allow.
pub const MAIL_RATE: u32 = 50;

impl Default for Config {
    /// The defaults of the contract.
    fn default() -> Self {
        Self {
            database_url: "sqlite://turnout.db?mode=rwc".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            smtp_url: None,
            mail_dir: PathBuf::from("./mail"),
            mail_from: "Turnout <noreply@localhost>".into(),
            secret: None,
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: "https://api.stripe.com".into(),
            run_worker: true,
            retry: RetryPolicy::default(),
            trusted_proxies: Vec::new(),
            limits: RateLimits::default(),
            metrics_token: None,
            feedback_token: None,
            timeouts: crate::http::edge::Timeouts::default(),
            mail_rate: std::num::NonZeroU32::new(MAIL_RATE),
        }
    }
}

/// A setting that cannot be used, named so the operator can fix it.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl Config {
    /// Read the environment, apply the defaults and check each value once.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// As `from_env`, with the environment given as a function (for tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let config = Self {
            database_url: get("TURNOUT_DATABASE_URL").unwrap_or(defaults.database_url),
            bind: get("TURNOUT_BIND").unwrap_or(defaults.bind),
            public_url: get("TURNOUT_PUBLIC_URL")
                .unwrap_or(defaults.public_url)
                .trim_end_matches('/')
                .to_owned(),
            smtp_url: get("TURNOUT_SMTP_URL"),
            mail_dir: get("TURNOUT_MAIL_DIR").map_or(defaults.mail_dir, PathBuf::from),
            mail_from: get("TURNOUT_MAIL_FROM").unwrap_or(defaults.mail_from),
            secret: get("TURNOUT_SECRET"),
            stripe_secret_key: get("TURNOUT_STRIPE_SECRET_KEY"),
            stripe_webhook_secret: get("TURNOUT_STRIPE_WEBHOOK_SECRET"),
            stripe_api_base: get("TURNOUT_STRIPE_API_BASE").unwrap_or(defaults.stripe_api_base),
            run_worker: match get("TURNOUT_WORKER").as_deref() {
                None => true,
                Some("true" | "1" | "yes") => true,
                Some("false" | "0" | "no") => false,
                Some(other) => {
                    return Err(ConfigError {
                        variable: "TURNOUT_WORKER",
                        message: format!("expected true or false, got {other:?}"),
                    });
                }
            },
            retry: defaults.retry,
            trusted_proxies: match get("TURNOUT_TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(list) => parse_networks(&list).map_err(|message| ConfigError {
                    variable: "TURNOUT_TRUSTED_PROXIES",
                    message,
                })?,
            },
            limits: match get("TURNOUT_RATE_LIMITS") {
                None => defaults.limits,
                Some(spec) => RateLimits::parse(&spec).map_err(|message| ConfigError {
                    variable: "TURNOUT_RATE_LIMITS",
                    message,
                })?,
            },
            metrics_token: get("TURNOUT_METRICS_TOKEN"),
            feedback_token: get("TURNOUT_FEEDBACK_TOKEN"),
            timeouts: defaults.timeouts,
            mail_rate: match get("TURNOUT_MAIL_RATE") {
                None => defaults.mail_rate,
                Some(rate) => {
                    std::num::NonZeroU32::new(rate.trim().parse().map_err(|_| ConfigError {
                        variable: "TURNOUT_MAIL_RATE",
                        message: format!("expected emails a second (0: no limit), got {rate:?}"),
                    })?)
                }
            },
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let url = |variable, value: &str| {
            Url::parse(value).map_err(|e| ConfigError {
                variable,
                message: format!("not a URL ({e})"),
            })
        };
        let db = url("TURNOUT_DATABASE_URL", &self.database_url)?;
        if !matches!(db.scheme(), "sqlite" | "postgres" | "postgresql") {
            return Err(ConfigError {
                variable: "TURNOUT_DATABASE_URL",
                message: "expected sqlite://… or postgres://…".into(),
            });
        }
        url("TURNOUT_PUBLIC_URL", &self.public_url)?;
        url("TURNOUT_STRIPE_API_BASE", &self.stripe_api_base)?;
        if let Some(smtp) = &self.smtp_url {
            url("TURNOUT_SMTP_URL", smtp)?;
        }
        self.sender()?;
        self.bind
            .parse::<std::net::SocketAddr>()
            .map_err(|e| ConfigError {
                variable: "TURNOUT_BIND",
                message: format!("not an address like 127.0.0.1:8080 ({e})"),
            })?;
        Ok(())
    }
}

impl Config {
    /// `TURNOUT_MAIL_FROM` as a mailbox.
    pub fn sender(&self) -> Result<lettre::message::Mailbox, ConfigError> {
        self.mail_from.parse().map_err(|e| ConfigError {
            variable: "TURNOUT_MAIL_FROM",
            message: format!("not a mailbox like `Turnout <noreply@example.org>` ({e})"),
        })
    }
}

/// How often one client address (a minute) and one email address (an hour) may act.
/// 0 turns that side off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub per_client_a_minute: u32,
    pub per_address_an_hour: u32,
}

impl Quota {
    pub const OFF: Self = Self::new(0, 0);

    pub const fn new(per_client_a_minute: u32, per_address_an_hour: u32) -> Self {
        Self {
            per_client_a_minute,
            per_address_an_hour,
        }
    }
}

/// The rate limits on what can be done without an account, or to get one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Signing a petition.
    pub sign: Quota,
    /// RSVPs from the public (each one emails its address).
    pub rsvp: Quota,
    /// Organisers' sign-in: a wrong password costs an Argon2 hash.
    pub login: Quota,
    /// Asking for a password-reset email.
    pub password_reset: Quota,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            sign: Quota::new(60, 10),
            rsvp: Quota::new(20, 10),
            login: Quota::new(10, 20),
            password_reset: Quota::new(5, 5),
        }
    }
}

impl RateLimits {
    /// No limit at all (load tests, and test suites whose requests all come from
    /// 127.0.0.1).
    pub const OFF: Self = Self {
        sign: Quota::OFF,
        rsvp: Quota::OFF,
        login: Quota::OFF,
        password_reset: Quota::OFF,
    };

    /// `sign=60/10,rsvp=20/10`: each named action's quota, per client a minute /
    /// per address an hour; actions not named keep their default.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut limits = Self::default();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (action, quota) = entry
                .split_once('=')
                .ok_or_else(|| format!("expected action=CLIENT/ADDRESS, got {entry:?}"))?;
            let (client, address) = quota
                .split_once('/')
                .ok_or_else(|| format!("expected CLIENT/ADDRESS after {action}="))?;
            let number = |n: &str| {
                n.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("{n:?} in {entry:?} is not a whole number"))
            };
            let quota = Quota::new(number(client)?, number(address)?);
            match action.trim() {
                "sign" => limits.sign = quota,
                "rsvp" => limits.rsvp = quota,
                "login" => limits.login = quota,
                "password_reset" => limits.password_reset = quota,
                other => {
                    return Err(format!(
                        "unknown action {other:?} (sign, rsvp, login, password_reset)"
                    ));
                }
            }
        }
        Ok(limits)
    }
}

/// `10.0.0.0/8, 2001:db8::/32, 192.0.2.7`: networks, a bare address meaning itself.
fn parse_networks(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            n.parse::<ipnet::IpNet>()
                .or_else(|_| n.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{n:?} is not a network like 10.0.0.0/8 or an address"))
        })
        .collect()
}

/// Hide a URL's password, if it has one.
fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |s: &Option<String>| s.as_ref().map(|_| "***");
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_dir", &self.mail_dir)
            .field("mail_from", &self.mail_from)
            .field("secret", &secret(&self.secret))
            .field("stripe_secret_key", &secret(&self.stripe_secret_key))
            .field(
                "stripe_webhook_secret",
                &secret(&self.stripe_webhook_secret),
            )
            .field("stripe_api_base", &self.stripe_api_base)
            .field("run_worker", &self.run_worker)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("limits", &self.limits)
            .field("metrics_token", &secret(&self.metrics_token))
            .field("feedback_token", &secret(&self.feedback_token))
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("mail_rate", &self.mail_rate)
            .finish()
    }
}

/// How often delivery is retried, and how long a claim lasts.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts before an email is marked failed.
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles after each one.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// How long a worker holds a claimed email; past it, another worker may send it.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    /// Ten attempts over about nine hours: enough to ride out a mail server's
    /// maintenance window, short enough that an organiser learns of a failure the
    /// same day.
    fn default() -> Self {
        Self {
            max_attempts: 10,
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(2 * 60 * 60),
            lease: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait after `attempts` failures: doubling, capped, with jitter (between
    /// half and all of it) so that emails failed together do not retry together.
    pub fn delay(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let full = self
            .first_delay
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.max_delay);
        full.mul_f64(rand::random_range(0.5..=1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_contract() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.database_url, "sqlite://turnout.db?mode=rwc");
        assert_eq!(config.bind, "127.0.0.1:8080");
        assert!(config.run_worker);
    }

    #[test]
    fn a_bad_bind_address_is_named() {
        let err =
            Config::from_lookup(|k| (k == "TURNOUT_BIND").then(|| "nowhere".into())).unwrap_err();
        assert_eq!(err.variable, "TURNOUT_BIND");
    }

    #[test]
    fn trusted_proxies_are_networks_or_addresses() {
        let config = Config::from_lookup(|k| {
            (k == "TURNOUT_TRUSTED_PROXIES").then(|| "10.0.0.0/8, 192.0.2.7,2001:db8::/32".into())
        })
        .unwrap();
        let shown: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]);
        let err =
            Config::from_lookup(|k| (k == "TURNOUT_TRUSTED_PROXIES").then(|| "the proxy".into()))
                .unwrap_err();
        assert_eq!(err.variable, "TURNOUT_TRUSTED_PROXIES");
    }

    #[test]
    fn rate_limits_are_set_per_action_and_keep_their_defaults_otherwise() {
        let limits = RateLimits::parse("rsvp=5/2, login=0/0").unwrap();
        assert_eq!(limits.rsvp, Quota::new(5, 2));
        assert_eq!(limits.login, Quota::OFF);
        assert_eq!(limits.sign, RateLimits::default().sign);
        assert!(RateLimits::parse("rsvp=5").is_err());
        assert!(RateLimits::parse("vote=1/1").is_err());
        assert!(RateLimits::parse("rsvp=-1/2").is_err());
    }

    #[test]
    fn debug_hides_secrets_and_passwords() {
        let config = Config {
            smtp_url: Some("smtps://user:hunter2@mail.example.org".into()),
            secret: Some("s3cret".into()),
            metrics_token: Some("m3trics".into()),
            feedback_token: Some("f33dback".into()),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2")
                && !shown.contains("s3cret")
                && !shown.contains("m3trics")
                && !shown.contains("f33dback"),
            "{shown}"
        );
    }

    #[test]
    fn delays_double_with_jitter_up_to_the_cap() {
        let policy = RetryPolicy::default();
        for _ in 0..100 {
            let first = policy.delay(1);
            assert!(first >= Duration::from_secs(15) && first <= Duration::from_secs(30));
            let third = policy.delay(3);
            assert!(third >= Duration::from_secs(60) && third <= Duration::from_secs(120));
            assert!(policy.delay(40) <= policy.max_delay);
        }
    }
}
