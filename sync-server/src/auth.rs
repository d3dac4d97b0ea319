//! Users, roles, passwords and device tokens. Passwords are hashed with argon2; a device token
//! is 32 random bytes, given to the device once and stored only as its SHA-256.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Sanitarian,
    HaulerSamplerEvaluator,
    RatingOfficer,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Sanitarian,
        Role::HaulerSamplerEvaluator,
        Role::RatingOfficer,
        Role::Supervisor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sanitarian => "sanitarian",
            Role::HaulerSamplerEvaluator => "hauler_sampler_evaluator",
            Role::RatingOfficer => "rating_officer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Who reviews (accepts or returns) submitted inspections.
    pub fn reviews(self) -> bool {
        matches!(self, Role::Supervisor | Role::RatingOfficer)
    }

    /// Who records inspections in the field.
    pub fn inspects(self) -> bool {
        matches!(
            self,
            Role::Sanitarian
                | Role::HaulerSamplerEvaluator
                | Role::RatingOfficer
                | Role::Supervisor
        )
    }
}

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
    fn tokens_are_random_and_stored_hashed() {
        let a = new_token();
        assert_ne!(a, new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
