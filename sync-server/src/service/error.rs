//! What a service refuses or fails with: a shared [`ErrorCode`] and a message for the user.
//! The HTTP floor turns it into a status and a JSON body (`http::respond`); nothing here knows
//! of HTTP.

use milkshed_shared::sync::ErrorCode;

/// A refusal or failure.
#[derive(Debug, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ServiceError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds to wait before trying again (throttled sign-ins).
    pub retry_after: Option<u64>,
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ServiceError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Too many failed attempts: wait `seconds`.
    pub fn throttled(seconds: u64) -> Self {
        ServiceError {
            retry_after: Some(seconds),
            ..Self::new(
                ErrorCode::Throttled,
                format!("too many failed sign-ins; try again in {seconds} s"),
            )
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// `what` is not in the caller's agency (another agency's is "not found" too).
    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorCode::NotFound,
            format!("no such {what} in your agency"),
        )
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        // the detail goes to the server log, not to the client
        eprintln!("milkshed-server: internal error: {e}");
        Self::new(ErrorCode::Internal, "the server failed; try again")
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

impl From<crate::db::DbError> for ServiceError {
    fn from(e: crate::db::DbError) -> Self {
        ServiceError::internal(e)
    }
}

impl From<crate::db::SqlError> for ServiceError {
    fn from(e: crate::db::SqlError) -> Self {
        ServiceError::internal(e)
    }
}
