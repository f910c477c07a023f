//! Random bearer secrets (API tokens, RSVP and manage links) and their stored form.

use sha2::{Digest, Sha256};

/// The stored form of a token: its SHA-256. Tokens are random, so a fast hash is
/// enough; a leaked table gives nobody a usable token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token of 256 bits, and its hash.
pub fn new_token(prefix: &str) -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = format!("{prefix}{}", hex::encode(bytes));
    let hash = hash_token(&token);
    (token, hash)
}
