//! Stripe, spoken over its HTTP API: Checkout sessions for donations, refunds, and
//! the webhooks that tell us how each payment went. No Stripe SDK: the two calls we
//! make are form posts, and an SDK would pull in every API Stripe has.

pub mod webhook;

use std::time::Duration;

use uuid::Uuid;

use crate::domain::{Locale, Money};

/// Stripe's API, with the secret key of one account.
#[derive(Clone)]
pub struct Stripe {
    http: reqwest::Client,
    secret_key: String,
    api_base: String,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    #[error("Stripe could not be reached: {0}")]
    Unreachable(#[from] reqwest::Error),
    /// Stripe answered with an error object.
    #[error("Stripe refused ({status}): {message}")]
    Refused {
        status: u16,
        code: Option<String>,
        message: String,
    },
    #[error("Stripe's answer lacked {0}")]
    Malformed(&'static str),
}

/// A new Checkout session for one donation.
#[derive(Debug)]
pub struct Checkout<'a> {
    pub donation_id: Uuid,
    pub fundraiser_id: Uuid,
    /// Shown on Stripe's page as what is paid for.
    pub title: &'a str,
    pub amount: Money,
    pub monthly: bool,
    pub email: &'a str,
    pub locale: Locale,
    pub success_url: String,
    pub cancel_url: String,
}

/// A Checkout session Stripe made.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    /// Where the donor pays.
    pub url: String,
}

impl Stripe {
    pub fn new(secret_key: &str, api_base: &str) -> reqwest::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            http,
            secret_key: secret_key.to_owned(),
            api_base: api_base.trim_end_matches('/').to_owned(),
        })
    }

    /// Open a Checkout session: `payment` mode for one gift, `subscription` with a
    /// monthly price for a monthly one. The donation's id travels in the metadata of
    /// the session and of the payment or subscription, so every webhook names it.
    pub async fn create_checkout(&self, c: &Checkout<'_>) -> Result<Session, StripeError> {
        let id = c.donation_id.to_string();
        let mut form: Vec<(&str, String)> = vec![
            (
                "mode",
                if c.monthly { "subscription" } else { "payment" }.into(),
            ),
            ("success_url", c.success_url.clone()),
            ("cancel_url", c.cancel_url.clone()),
            ("client_reference_id", id.clone()),
            ("customer_email", c.email.to_owned()),
            ("locale", c.locale.as_str().into()),
            ("line_items[0][quantity]", "1".into()),
            (
                "line_items[0][price_data][currency]",
                c.amount.currency().code().to_ascii_lowercase(),
            ),
            (
                "line_items[0][price_data][unit_amount]",
                c.amount.minor().to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]",
                c.title.to_owned(),
            ),
            ("metadata[donation_id]", id.clone()),
            ("metadata[fundraiser_id]", c.fundraiser_id.to_string()),
        ];
        if c.monthly {
            form.push((
                "line_items[0][price_data][recurring][interval]",
                "month".into(),
            ));
            form.push(("subscription_data[metadata][donation_id]", id.clone()));
        } else {
            form.push(("payment_intent_data[metadata][donation_id]", id.clone()));
            form.push(("submit_type", "donate".into()));
        }
        let session = self
            .post("/v1/checkout/sessions", &format!("checkout-{id}"), &form)
            .await?;
        let field = |name: &'static str| {
            session[name]
                .as_str()
                .map(str::to_owned)
                .ok_or(StripeError::Malformed(name))
        };
        Ok(Session {
            id: field("id")?,
            url: field("url")?,
        })
    }

    /// Give back the whole payment. Refunding twice is refused by Stripe as
    /// `charge_already_refunded`, which callers take as done.
    pub async fn refund(&self, payment_intent: &str, donation_id: Uuid) -> Result<(), StripeError> {
        let form = [
            ("payment_intent", payment_intent.to_owned()),
            ("metadata[donation_id]", donation_id.to_string()),
        ];
        self.post("/v1/refunds", &format!("refund-{donation_id}"), &form)
            .await
            .map(|_| ())
    }

    /// One form post; Stripe's idempotency key makes a retried call create nothing twice.
    async fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        form: &[(&str, String)],
    ) -> Result<serde_json::Value, StripeError> {
        let response = self
            .http
            .post(format!("{}{path}", self.api_base))
            .bearer_auth(&self.secret_key)
            .header("Idempotency-Key", idempotency_key)
            .form(form)
            .send()
            .await?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        if status.is_success() {
            return Ok(body);
        }
        let error = &body["error"];
        Err(StripeError::Refused {
            status: status.as_u16(),
            code: error["code"].as_str().map(str::to_owned),
            message: error["message"].as_str().unwrap_or("no message").to_owned(),
        })
    }
}

/// What this deployment has of Stripe: the API key to take payments, the secret
/// that proves webhooks are Stripe's. Either may be missing.
#[derive(Clone, Default)]
pub struct Payments {
    pub stripe: Option<Stripe>,
    pub webhook_secret: Option<std::sync::Arc<str>>,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments")
            .field("stripe", &self.stripe)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

impl Payments {
    pub fn from_config(config: &crate::config::Config) -> reqwest::Result<Self> {
        Ok(Self {
            stripe: config
                .stripe_secret_key
                .as_deref()
                .map(|key| Stripe::new(key, &config.stripe_api_base))
                .transpose()?,
            webhook_secret: config.stripe_webhook_secret.as_deref().map(Into::into),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_key_and_no_webhook_secret() {
        let payments = Payments {
            stripe: Stripe::new("sk_live_hunter2", "https://api.stripe.com").ok(),
            webhook_secret: Some("whsec_s3cret".into()),
        };
        let site = crate::email::Site {
            public_url: "https://turnout.example".into(),
            secret: "link-s3cret".into(),
            mail_from_address: "noreply@turnout.example".into(),
        };
        let shown = format!("{payments:?} {site:?}");
        for secret in ["hunter2", "whsec_s3cret", "link-s3cret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("https://turnout.example"), "{shown}");
    }
}
