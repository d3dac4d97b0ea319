//! Signing in on the device without a connection: enrollment keeps an argon2 hash of the
//! user's password on the device; a sign-in opens a session for a working day.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};

use super::store::{Store, StoreError};

/// How long a sign-in lasts.
pub const SESSION_HOURS: i64 = 12;

/// Keeps the hash of the password the user enrolled with.
pub fn remember_password(store: &mut Store, password: &str) -> Result<(), StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    if let Ok(hash) = Argon2::default().hash_password(password.as_bytes(), &salt) {
        store.set_setting("offline_password", &hash.to_string())?;
    }
    Ok(())
}

/// Whether a session is open at `now`.
pub fn signed_in(store: &Store, now: DateTime<Utc>) -> bool {
    store
        .setting("session_until")
        .ok()
        .flatten()
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .is_some_and(|until| until > now)
}

/// Opens a session if the password matches the enrolled one; works with no connection.
pub fn sign_in(store: &mut Store, password: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let Some(hash) = store.setting("offline_password")? else {
        return Ok(false);
    };
    let ok = PasswordHash::new(&hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    if ok {
        open_session(store, now)?;
    }
    Ok(ok)
}

/// Opens a session (after enrollment, which checked the password with the server).
pub fn open_session(store: &mut Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    store.set_setting(
        "session_until",
        &(now + Duration::hours(SESSION_HOURS)).to_rfc3339(),
    )
}

/// Ends the session.
pub fn sign_out(store: &mut Store) -> Result<(), StoreError> {
    store.set_setting("session_until", "1970-01-01T00:00:00+00:00")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_offline_with_the_enrolled_password() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("d.db")).unwrap();
        let now = Utc::now();
        assert!(
            !sign_in(&mut s, "anything", now).unwrap(),
            "nothing enrolled"
        );
        remember_password(&mut s, "milkshed-demo").unwrap();
        assert!(!signed_in(&s, now));
        assert!(!sign_in(&mut s, "wrong", now).unwrap());
        assert!(sign_in(&mut s, "milkshed-demo", now).unwrap());
        assert!(signed_in(&s, now));
        assert!(
            !signed_in(&s, now + Duration::hours(SESSION_HOURS + 1)),
            "a session lasts a working day"
        );
        sign_out(&mut s).unwrap();
        assert!(!signed_in(&s, now));
    }
}
