//! The service floor: what the agency server does, one module per capability, with no HTTP
//! types and no SQL of its own (statements are `db`'s). The HTTP floor above calls these; they
//! call `db` below and the rules of `shared`.
//!
//! - [`auth`]: roles, argon2 passwords, device tokens, sign-in throttling.
//! - [`registry`]: entering facilities, permits and listings; agency settings.
//! - [`publish`]: the devices' briefcase, bumped by every change that alters it.
//! - [`board`]: what is overdue or breached (the tablets' work lists are the same function).
//! - [`lab`]: laboratory CSVs checked whole-or-nothing and judged against the standards.
//! - [`sampling`]: who may evaluate samplers; [`samplers`]: each sampler's history card,
//!   repeat violations, the annual notice and FORM 2359j Section C from the record.
//! - [`ims`]: an IMS rating opened behind its gates, its draw fixed by a seed kept here,
//!   announced day by day.
//! - [`ratings`]: each BTU's 2359k and plant's 2359L from the synced rating visits.
//! - [`blob`], [`photo`], [`pdf`]: photo storage, decoding, and PDF rendering.
//! - [`demo`]: the demo agency of `serve --demo`; [`rate`]: `milkshed-server rate`.

pub mod assignments;
pub mod auth;
pub mod blob;
pub mod board;
pub mod conflicts;
pub mod demo;
pub mod error;
pub mod ims;
pub mod lab;
pub mod letters;
pub mod office;
pub mod outbox;
pub mod pdf;
pub mod photo;
pub mod photos;
pub mod publish;
pub mod rate;
pub mod ratings;
pub mod registers;
pub mod registry;
pub mod review;
pub mod samplers;
pub mod sampling;
pub mod sync;

pub use error::{ServiceError, ServiceResult};

/// Records a change in the audit log, in the change's own transaction (`db::desk::audit`).
pub fn audit(
    conn: &crate::db::Conn,
    caller: &crate::db::Caller,
    action: &str,
    subject: &str,
    detail: impl AsRef<str>,
) -> ServiceResult<()> {
    crate::db::desk::audit(conn, caller, action, subject, detail.as_ref())?;
    Ok(())
}
