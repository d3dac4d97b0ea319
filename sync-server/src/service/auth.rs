//! Users, roles, passwords and device tokens. Passwords are hashed with argon2; a device token
//! is 32 random bytes, given to the device once and stored only as its SHA-256.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub use milkshed_shared::authority::Role;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes a password with argon2 and a random salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches a stored argon2 hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Failed sign-ins an account may have within [`throttle_window`] before each further one
/// waits.
pub const ACCOUNT_FREE_FAILURES: i64 = 5;
/// Failed sign-ins one client address may have (over any accounts) before it waits.
pub const ADDRESS_FREE_FAILURES: i64 = 20;
/// The longest wait.
pub const MAX_LOCK_SECONDS: i64 = 15 * 60;

/// How long failures are remembered.
pub fn throttle_window() -> chrono::Duration {
    chrono::Duration::minutes(15)
}

/// The throttling keys of a sign-in: the account (first) and the client's address.
pub fn throttle_keys(agency: &str, username: &str, addr: Option<std::net::IpAddr>) -> Vec<String> {
    let mut keys = vec![format!(
        "account:{}:{}",
        agency.trim().to_lowercase(),
        username.trim().to_lowercase()
    )];
    if let Some(a) = addr {
        keys.push(format!("address:{a}"));
    }
    keys
}

/// How long a key with `failures` failed attempts is locked: nothing within its allowance,
/// then 1 s, doubling with each further failure, at most [`MAX_LOCK_SECONDS`].
pub fn backoff(key: &str, failures: i64) -> Option<chrono::Duration> {
    let free = if key.starts_with("address:") {
        ADDRESS_FREE_FAILURES
    } else {
        ACCOUNT_FREE_FAILURES
    };
    let over = failures - free;
    if over <= 0 {
        return None;
    }
    let secs = 1i64
        .checked_shl(u32::try_from(over - 1).unwrap_or(u32::MAX).min(62))
        .unwrap_or(MAX_LOCK_SECONDS)
        .min(MAX_LOCK_SECONDS);
    Some(chrono::Duration::seconds(secs))
}

/// A hash to verify against when the user is unknown, so that an unknown user name takes as
/// long to refuse as a wrong password (user names cannot be told apart by timing).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_token()).unwrap_or_default())
}

/// A new random device token (64 hex characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    milkshed_shared::document::sha256_hex(&bytes)
}

/// What is stored of a token.
pub fn token_hash(token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"milkshed-device-token:");
    h.update(token.as_bytes());
    milkshed_shared::document::sha256_hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_when_right() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn backoff_doubles_after_the_allowance_and_stops_at_its_ceiling() {
        let account = "account:demo:ann";
        assert_eq!(backoff(account, ACCOUNT_FREE_FAILURES), None);
        assert_eq!(
            backoff(account, ACCOUNT_FREE_FAILURES + 1),
            Some(chrono::Duration::seconds(1))
        );
        assert_eq!(
            backoff(account, ACCOUNT_FREE_FAILURES + 4),
            Some(chrono::Duration::seconds(8))
        );
        assert_eq!(
            backoff(account, i64::MAX),
            Some(chrono::Duration::seconds(MAX_LOCK_SECONDS))
        );
        assert_eq!(
            backoff("address:127.0.0.1", ACCOUNT_FREE_FAILURES + 1),
            None
        );
        assert!(!verify_password("x", dummy_hash()));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = new_token();
        assert_ne!(a, new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
