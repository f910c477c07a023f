//! Configuration: every `TURNOUT_*` variable, read once at start.

use std::{fmt, path::PathBuf};

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
    /// Signatures a minute from one client address (0: no limit). Not read from the
    /// environment; load tests turn it off.
    pub sign_limit_per_client: u32,
    /// Signatures an hour for one email address (0: no limit).
    pub sign_limit_per_email: u32,
    /// How email delivery is retried. Not read from the environment: the defaults
    /// suit every deployment, and tests shorten them.
    pub retry: crate::email::worker::RetryPolicy,
}

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
            retry: crate::email::worker::RetryPolicy::default(),
            sign_limit_per_client: 60,
            sign_limit_per_email: 10,
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
            sign_limit_per_client: defaults.sign_limit_per_client,
            sign_limit_per_email: defaults.sign_limit_per_email,
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
            .field("retry", &self.retry)
            .finish()
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
    fn debug_hides_secrets_and_passwords() {
        let config = Config {
            smtp_url: Some("smtps://user:hunter2@mail.example.org".into()),
            secret: Some("s3cret".into()),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
