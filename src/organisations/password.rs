//! Organisers' passwords: Argon2id, hashed at most one per core at a time.
//!
//! Each hash takes 19 MiB and a core for a while. Unbounded, two dozen logins at
//! once took a server from 67 to 507 MB; queued behind a semaphore as wide as the
//! machine, they cost time, not memory. A stranger's address is checked against a
//! stand-in hash made once, so a wrong address takes as long as a wrong password.

use std::sync::LazyLock;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;

use crate::domain::InvalidField;

/// Long enough to resist guessing when written as a phrase.
pub const MIN_CHARS: usize = 10;
/// Long enough for any passphrase or manager; short enough that nobody makes us
/// hash a megabyte.
pub const MAX_CHARS: usize = 256;

/// A password someone chose: between [`MIN_CHARS`] and [`MAX_CHARS`] characters.
#[derive(Clone)]
pub struct NewPassword(String);

/// Why a chosen password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRefusal {
    #[error("must be at least {MIN_CHARS} characters")]
    TooShort,
    #[error("must be at most {MAX_CHARS} characters")]
    TooLong,
}

impl PasswordRefusal {
    /// A stable name for the refusal, for pages to choose their words by.
    pub fn code(self) -> &'static str {
        match self {
            Self::TooShort => "password_short",
            Self::TooLong => "password_long",
        }
    }
}

impl From<PasswordRefusal> for InvalidField {
    fn from(e: PasswordRefusal) -> Self {
        InvalidField::new("password", e.to_string())
    }
}

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, PasswordRefusal> {
        let n = raw.chars().count();
        if n < MIN_CHARS {
            return Err(PasswordRefusal::TooShort);
        }
        if n > MAX_CHARS {
            return Err(PasswordRefusal::TooLong);
        }
        Ok(Self(raw.to_owned()))
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
});

/// Made on first use, then reused: a hash nobody's password matches.
static STAND_IN: LazyLock<String> =
    LazyLock::new(|| argon2_hash("not the password of anyone").unwrap_or_default());

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hash a new password (for storing).
pub async fn hash(password: &NewPassword) -> Result<String, HashError> {
    let password = password.0.clone();
    on_a_core(move || argon2_hash(&password).map_err(|e| HashError(e.to_string())))
        .await
        .and_then(|r| r)
}

/// Does `password` match `stored`? With no stored hash (no such account, or none
/// set yet), the stand-in is checked all the same and the answer is no. A password
/// longer than anyone may set is no at once, without hashing.
pub async fn verify(password: &str, stored: Option<String>) -> bool {
    if password.chars().count() > MAX_CHARS {
        return false;
    }
    let password = password.to_owned();
    on_a_core(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| STAND_IN.clone());
        let matches = PasswordHash::new(&stored).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        known && matches
    })
    .await
    .unwrap_or(false)
}

/// Run `work` on the blocking pool once a core is free for it.
async fn on_a_core<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| HashError(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HashError(e.to_string()))
}

fn argon2_hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_between_ten_and_256_characters() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("correct horse").is_ok());
        assert!(NewPassword::parse(&"ñ".repeat(256)).is_ok());
        assert!(NewPassword::parse(&"a".repeat(257)).is_err());
    }

    #[test]
    fn debug_never_shows_a_password() {
        let p = NewPassword::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let p = NewPassword::parse("correct horse battery").unwrap();
        let stored = hash(&p).await.unwrap();
        assert!(verify("correct horse battery", Some(stored.clone())).await);
        assert!(!verify("incorrect horse battery", Some(stored)).await);
        assert!(!verify("not the password of anyone", None).await);
    }
}
