//! Rate limits on what the public may do without an account (sign, RSVP) and on
//! getting into one (login, password reset): per client address, so one machine
//! cannot flood a petition or guess passwords, and per email address, so nobody is
//! buried in emails and no account is guessed at from many machines. Kept in memory
//! by each server (`governor`'s GCRA): with N servers a client may get N times the
//! quota, which still stops a flood.

use std::{net::IpAddr, num::NonZeroU32, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock};

use super::client::ClientAddr;
use crate::config::{self, RateLimits};

/// One limiter per action that has a quota.
pub struct Limiters {
    pub sign: Limits,
    pub rsvp: Limits,
    pub login: Limits,
    pub password_reset: Limits,
}

impl Limiters {
    pub fn new(limits: &RateLimits) -> Self {
        let of = |q: config::Quota| Limits::new(q.per_client_a_minute, q.per_address_an_hour);
        Self {
            sign: of(limits.sign),
            rsvp: of(limits.rsvp),
            login: of(limits.login),
            password_reset: of(limits.password_reset),
        }
    }
}

/// The key an address typed into a form is limited by: its folded form when it is
/// an address at all (`ana+1@` and `ana+2@` are one mailbox), else the text as typed
/// (so junk is limited too).
pub fn address_key(raw: &str) -> String {
    crate::domain::Email::parse(raw).map_or_else(|_| raw.trim().to_lowercase(), |e| e.folded_key())
}

/// Keys kept before forgetting those whose quota is whole again.
const TIDY_ABOVE: usize = 100_000;

pub struct Limits {
    by_client: Option<DefaultKeyedRateLimiter<IpAddr>>,
    by_email: Option<DefaultKeyedRateLimiter<String>>,
}

impl Limits {
    /// `per_client` actions a minute from one address, `per_email` an hour for one
    /// email address; 0 turns a limit off.
    pub fn new(per_client: u32, per_email: u32) -> Self {
        Self {
            by_client: NonZeroU32::new(per_client)
                .map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n))),
            by_email: NonZeroU32::new(per_email)
                .map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_hour(n))),
        }
    }

    /// Take one action for this client and address, or learn how long to wait.
    /// As `check`, for an address: keyed by its folded form, as [`address_key`] is.
    pub fn check_address(
        &self,
        client: Option<ClientAddr>,
        email: &crate::domain::Email,
    ) -> Result<(), Duration> {
        self.check(client, &email.folded_key())
    }

    pub fn check(&self, client: Option<ClientAddr>, email_key: &str) -> Result<(), Duration> {
        if let (Some(limiter), Some(client)) = (&self.by_client, client) {
            tidy(limiter);
            limiter
                .check_key(&client.limit_key())
                .map_err(|not_until| not_until.wait_time_from(limiter_clock().now()))?;
        }
        if let Some(limiter) = &self.by_email {
            tidy(limiter);
            limiter
                .check_key(&email_key.to_owned())
                .map_err(|not_until| not_until.wait_time_from(limiter_clock().now()))?;
        }
        Ok(())
    }
}

fn limiter_clock() -> governor::clock::DefaultClock {
    governor::clock::DefaultClock::default()
}

fn tidy<K: std::hash::Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>) {
    if limiter.len() > TIDY_ABOVE {
        limiter.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_its_quota_waits() {
        let limits = Limits::new(2, 0);
        let client = Some(ClientAddr(IpAddr::from([10, 0, 0, 1])));
        assert!(limits.check(client, "a@example.org").is_ok());
        assert!(limits.check(client, "b@example.org").is_ok());
        let wait = limits.check(client, "c@example.org").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(
            limits
                .check(
                    Some(ClientAddr(IpAddr::from([10, 0, 0, 2]))),
                    "d@example.org"
                )
                .is_ok()
        );
    }

    #[test]
    fn every_address_of_one_ipv6_64_shares_a_quota() {
        let limits = Limits::new(1, 0);
        let at = |s: &str| Some(ClientAddr(s.parse().unwrap()));
        assert!(limits.check(at("2001:db8:0:1::1"), "a@example.org").is_ok());
        assert!(
            limits
                .check(at("2001:db8:0:1::2"), "a@example.org")
                .is_err()
        );
        assert!(limits.check(at("2001:db8:0:2::1"), "a@example.org").is_ok());
    }

    #[test]
    fn one_address_past_its_quota_waits_whatever_the_client() {
        let limits = Limits::new(0, 1);
        assert!(limits.check(None, "a@example.org").is_ok());
        assert!(limits.check(None, "a@example.org").is_err());
        assert!(limits.check(None, "b@example.org").is_ok());
    }
}
