//! Stripe's webhooks: the signature that proves an event came from Stripe, and
//! what each event we act on says about a donation.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use uuid::Uuid;

/// How far an event's timestamp may be from our clock, as Stripe's libraries allow.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadSignature {
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    #[error("the Stripe-Signature timestamp is more than five minutes away")]
    Stale,
    #[error("no signature in Stripe-Signature matches the payload")]
    Mismatch,
}

/// Check `Stripe-Signature` (`t=…,v1=…[,v1=…]`): one `v1` must be the HMAC-SHA256,
/// keyed with the endpoint's secret, of `{t}.{payload}`, compared in constant time,
/// and `t` within five minutes of `now`.
pub fn verify(secret: &str, header: &str, payload: &[u8], now: i64) -> Result<(), BadSignature> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) if timestamp.is_none() => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(BadSignature::Malformed)?;
    if signatures.is_empty() {
        return Err(BadSignature::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(BadSignature::Stale);
    }
    let mac = |signature: &[u8]| {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        mac.verify_slice(signature).is_ok()
    };
    if signatures.iter().any(|s| mac(s)) {
        Ok(())
    } else {
        Err(BadSignature::Mismatch)
    }
}

/// An event, once its signature checked out.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub news: News,
}

/// How Stripe names the donation an event is about: our id from the metadata,
/// else one of its own ids we kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DonationRef {
    pub id: Option<Uuid>,
    pub session: Option<String>,
    pub payment_intent: Option<String>,
    pub subscription: Option<String>,
}

/// What an event tells us about a donation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum News {
    /// The money was taken.
    Paid {
        donation: DonationRef,
        amount: Option<i64>,
    },
    /// Checkout finished but the payment method settles later (a bank debit).
    Processing { donation: DonationRef },
    /// The payment failed or the session expired; nothing was taken.
    Failed {
        donation: DonationRef,
        reason: String,
    },
    /// Some or all of the payment was given back.
    Refunded {
        donation: DonationRef,
        amount_refunded: i64,
        full: bool,
    },
    /// A monthly gift's invoice was paid: its first payment, or a later one.
    InvoicePaid {
        donation: DonationRef,
        invoice: String,
        first: bool,
        amount: i64,
        currency: String,
        payment_intent: Option<String>,
    },
    /// Nothing we act on.
    Ignored,
}

#[derive(Debug, thiserror::Error)]
#[error("the event is not Stripe's JSON: {0}")]
pub struct BadEvent(String);

impl Event {
    pub fn parse(payload: &[u8]) -> Result<Self, BadEvent> {
        let event: Value = serde_json::from_slice(payload).map_err(|e| BadEvent(e.to_string()))?;
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let id = text(&event["id"]).ok_or_else(|| BadEvent("no id".into()))?;
        let kind = text(&event["type"]).ok_or_else(|| BadEvent("no type".into()))?;
        let object = &event["data"]["object"];
        Ok(Self {
            news: News::of(&kind, object),
            id,
            kind,
        })
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// An id field that may be a string or an expanded object with an `id`.
fn id_of(v: &Value) -> Option<String> {
    text(v).or_else(|| text(&v["id"]))
}

fn donation_id(metadata: &Value) -> Option<Uuid> {
    metadata["donation_id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
}

impl News {
    fn of(kind: &str, o: &Value) -> Self {
        let session = || DonationRef {
            id: donation_id(&o["metadata"]).or_else(|| {
                o["client_reference_id"]
                    .as_str()
                    .and_then(|s| Uuid::parse_str(s).ok())
            }),
            session: text(&o["id"]),
            payment_intent: id_of(&o["payment_intent"]),
            subscription: id_of(&o["subscription"]),
        };
        let by_intent = |intent: Option<String>| DonationRef {
            id: donation_id(&o["metadata"]),
            payment_intent: intent,
            ..DonationRef::default()
        };
        match kind {
            "checkout.session.completed" => match o["payment_status"].as_str() {
                Some("paid" | "no_payment_required") => Self::Paid {
                    donation: session(),
                    amount: o["amount_total"].as_i64(),
                },
                _ => Self::Processing {
                    donation: session(),
                },
            },
            "checkout.session.async_payment_succeeded" => Self::Paid {
                donation: session(),
                amount: o["amount_total"].as_i64(),
            },
            "checkout.session.async_payment_failed" => Self::Failed {
                donation: session(),
                reason: "the payment did not go through".into(),
            },
            "checkout.session.expired" => Self::Failed {
                donation: session(),
                reason: "expired".into(),
            },
            "payment_intent.payment_failed" => Self::Failed {
                donation: by_intent(text(&o["id"])),
                reason: text(&o["last_payment_error"]["message"])
                    .unwrap_or_else(|| "the payment failed".into()),
            },
            "charge.refunded" => {
                let amount = o["amount"].as_i64().unwrap_or(0);
                let refunded = o["amount_refunded"].as_i64().unwrap_or(0);
                Self::Refunded {
                    donation: by_intent(id_of(&o["payment_intent"])),
                    amount_refunded: refunded,
                    full: o["refunded"].as_bool().unwrap_or(false) || refunded >= amount,
                }
            }
            "invoice.paid" | "invoice.payment_succeeded" => {
                // The subscription and its metadata moved under `parent` in Stripe's
                // 2025 API versions; older versions keep them at the top.
                let parent = &o["parent"]["subscription_details"];
                let subscription =
                    id_of(&parent["subscription"]).or_else(|| id_of(&o["subscription"]));
                let id = donation_id(&parent["metadata"])
                    .or_else(|| donation_id(&o["subscription_details"]["metadata"]));
                let (Some(invoice), Some(amount), Some(currency)) = (
                    text(&o["id"]),
                    o["amount_paid"].as_i64(),
                    text(&o["currency"]),
                ) else {
                    return Self::Ignored;
                };
                if subscription.is_none() && id.is_none() {
                    return Self::Ignored;
                }
                Self::InvoicePaid {
                    donation: DonationRef {
                        id,
                        subscription,
                        ..DonationRef::default()
                    },
                    first: o["billing_reason"].as_str() == Some("subscription_create"),
                    invoice,
                    amount,
                    currency,
                    payment_intent: id_of(&o["payment_intent"])
                        .or_else(|| id_of(&o["payments"]["data"][0]["payment"]["payment_intent"])),
                }
            }
            _ => Self::Ignored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, payload: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{payload}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn a_signature_stripe_made_is_accepted_within_five_minutes() {
        let payload = r#"{"id":"evt_1"}"#;
        let header = format!("t=1000,v1={},v0=deadbeef", sign("whsec_x", 1000, payload));
        assert_eq!(
            verify("whsec_x", &header, payload.as_bytes(), 1000 + 300),
            Ok(())
        );
        assert_eq!(
            verify("whsec_x", &header, payload.as_bytes(), 1000 + 301),
            Err(BadSignature::Stale)
        );
        assert_eq!(
            verify("whsec_y", &header, payload.as_bytes(), 1000),
            Err(BadSignature::Mismatch)
        );
        assert_eq!(
            verify("whsec_x", &header, br#"{"id":"evt_2"}"#, 1000),
            Err(BadSignature::Mismatch)
        );
        assert_eq!(
            verify("whsec_x", "t=1000", payload.as_bytes(), 1000),
            Err(BadSignature::Malformed)
        );
    }

    #[test]
    fn any_of_several_v1_signatures_may_match() {
        let payload = "{}";
        let header = format!("t=5,v1=00ff,v1={}", sign("s", 5, payload));
        assert_eq!(verify("s", &header, payload.as_bytes(), 5), Ok(()));
    }

    #[test]
    fn invoices_name_their_gift_in_either_api_shape() {
        let id = Uuid::now_v7();
        let new_shape = serde_json::json!({
            "id": "in_1", "amount_paid": 500, "currency": "gbp", "billing_reason": "subscription_cycle",
            "parent": {"subscription_details": {"subscription": "sub_1", "metadata": {"donation_id": id.to_string()}}}
        });
        let old_shape = serde_json::json!({
            "id": "in_1", "amount_paid": 500, "currency": "gbp", "billing_reason": "subscription_cycle",
            "subscription": "sub_1", "subscription_details": {"metadata": {"donation_id": id.to_string()}}
        });
        for invoice in [new_shape, old_shape] {
            let News::InvoicePaid {
                donation, first, ..
            } = News::of("invoice.paid", &invoice)
            else {
                panic!("not an invoice: {invoice}");
            };
            assert_eq!(donation.id, Some(id));
            assert_eq!(donation.subscription.as_deref(), Some("sub_1"));
            assert!(!first);
        }
    }
}
