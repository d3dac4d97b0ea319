//! The agency record's registers: the facility registry with permits and their dated,
//! attributed status history; the register of approved laboratories; Appendix N drug residue
//! events and their notifications; the IMS listing register with its 2359o permissions and
//! withdrawal tasks. Rules come from `shared` (`registry`, `ledger`, `residue`, `listing`,
//! `register`, `reference`); each operation checks the caller's role and input, scopes to the
//! caller's agency, stores through `db::registry` in one transaction and republishes what the
//! devices' briefcase holds. `http::registers` is only their routes.

use chrono::NaiveDate;
use milkshed_shared::ledger::{self, Reinstatement};
use milkshed_shared::listing::{self, ListingInput, ShipperKind, Source};
use milkshed_shared::reference::Edition;
use milkshed_shared::register;
use milkshed_shared::registry::{FacilityKind, PermitStatus};
use milkshed_shared::residue;
use milkshed_shared::sync::ErrorCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::{registry as reg, Caller, Db};
use crate::service::auth::Role;
use crate::service::publish::publish_reference;
use crate::service::registry::*;
use crate::service::{audit, ServiceError, ServiceResult};

mod facilities;
mod import;
mod listings;
mod residue_events;

pub use facilities::*;
pub use import::*;
pub use listings::*;
pub use residue_events::*;

/// A text field of a request's `detail` object, trimmed; `None` when missing or blank.
pub fn detail_text<'a>(detail: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    detail
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

pub fn allow(device: &Caller, roles: &[Role], what: &str) -> ServiceResult<()> {
    if roles.contains(&device.role) {
        Ok(())
    } else {
        Err(ServiceError::new(
            ErrorCode::Forbidden,
            format!("your role may not {what}"),
        ))
    }
}

fn not_found(what: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::NotFound,
        format!("no such {what} in your agency"),
    )
}

fn conflict(message: impl Into<String>) -> ServiceError {
    ServiceError::new(ErrorCode::Conflict, message)
}

/// The registry's office: supervisors and administrators keep it.
const OFFICE: &[Role] = &[Role::Supervisor, Role::Admin];
/// The Rating Agency keeps the listing register: rating officers and administrators.
const RATING: &[Role] = &[Role::RatingOfficer, Role::Admin];
/// Who records drug residue events and their notifications.
const RESIDUE: &[Role] = &[Role::Sanitarian, Role::Supervisor, Role::Admin];
