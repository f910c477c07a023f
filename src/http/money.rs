//! Money as the contract writes it: `{"amount": 2500, "currency": "GBP"}`.

use poem_openapi::Object;

use super::Text;
use crate::domain::{Currency, Money};

/// An amount in a currency's minor units (ISO 4217 exponent: JPY 0, GBP 2, KWD 3).
#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[oai(rename = "Money")]
pub struct MoneyBody {
    pub amount: i64,
    /// ISO 4217 code, upper-case.
    pub currency: String,
}

impl MoneyBody {
    /// Any amount, zero included (a total before the first gift).
    pub fn of(minor: i64, currency: Currency) -> Self {
        Self {
            amount: minor,
            currency: currency.code().to_owned(),
        }
    }
}

impl From<Money> for MoneyBody {
    fn from(money: Money) -> Self {
        Self::of(money.minor(), money.currency())
    }
}

/// An amount sent to us; the service checks it (`fundraisers::service::Amount`).
#[derive(Object, Debug, Clone)]
#[oai(rename = "MoneyInput", deny_unknown_fields)]
pub struct MoneyInput {
    /// In minor units: 2500 is £25.00, 1000 is ¥1000.
    pub amount: i64,
    /// ISO 4217 code, in any case.
    pub currency: Text,
}
