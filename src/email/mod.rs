//! Email: written to the outbox in the transaction of what caused it, delivered by the
//! worker through a transport (SMTP or `.eml` files), rendered from `templates/email`
//! in the supporter's language.

pub mod api;
pub mod delivery;
pub mod event;
pub mod feedback;
pub mod links;
pub mod message;
pub mod outbox;
pub mod render;
pub mod suppression;
pub mod transport;
pub mod webhook;

use std::sync::Arc;

/// What emails, links and calendar entries need to know about this deployment.
#[derive(Clone)]
pub struct Site {
    /// `TURNOUT_PUBLIC_URL` without a trailing slash.
    pub public_url: Arc<str>,
    /// The key for signed links.
    pub secret: Arc<str>,
    /// The address part of `TURNOUT_MAIL_FROM` (the ORGANIZER of calendar entries,
    /// and the domain of Message-IDs).
    pub mail_from_address: Arc<str>,
}

impl std::fmt::Debug for Site {
    /// Without the secret: a `Debug` in a log line or a panic must not sign links.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("public_url", &self.public_url)
            .field("secret", &"***")
            .field("mail_from_address", &self.mail_from_address)
            .finish()
    }
}

impl Site {
    /// The domain Message-IDs are made in: the sender's.
    pub fn mail_domain(&self) -> &str {
        self.mail_from_address
            .rsplit_once('@')
            .map_or("turnout.invalid", |(_, domain)| domain)
    }
}
