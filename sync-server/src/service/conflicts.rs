//! The conflict queue: inspections whose merged documents hold fields two devices set
//! differently. A supervisor sees every value with who set it and when, and picks one — an
//! Automerge change by the supervisor's own review actor (`shared::document` writes it) that
//! reaches the devices on their next sync — or returns the inspection to be resolved by its
//! inspector. Choosing a value other than the one shown changes the content, which only an
//! inspection still open to edits allows (the shared rule); a signed one is returned instead.

use std::collections::HashMap;

use chrono::Utc;
use milkshed_shared::document::automerge::ActorId;
use milkshed_shared::document::ConflictDetail;
use milkshed_shared::ids::InspectionId;

use crate::db::{self, Caller, Db};
use crate::service::{audit, publish, ServiceError, ServiceResult};

/// The agency's inspections with conflicting values, newest first.
pub fn queue(conn: &crate::db::Conn, agency: &str) -> ServiceResult<Vec<(db::web::QueueRow, i64)>> {
    Ok(db::web::conflicted(conn, agency, 500)?)
}

/// Who wrote with each actor of the agency: its devices' users, and the review pages' actors
/// of its users (`web_actor`), by hex.
pub fn actor_names(
    conn: &crate::db::Conn,
    agency: &str,
    web_actor: &dyn Fn(&str) -> ActorId,
) -> ServiceResult<HashMap<String, String>> {
    let mut names: HashMap<String, String> = db::web::device_actors(conn, agency)?
        .into_iter()
        .map(|(actor, device, user)| (actor, format!("{user} ({device})")))
        .collect();
    for (id, name, _, _) in db::desk::users(conn, agency)? {
        names.insert(
            web_actor(&id).to_hex_string(),
            format!("{name} (review pages)"),
        );
    }
    Ok(names)
}

/// An inspection's conflicts with every value's setter.
pub fn details(
    db: &Db,
    agency: &str,
    id: InspectionId,
    actor: &ActorId,
) -> ServiceResult<(milkshed_shared::document::Inspection, Vec<ConflictDetail>)> {
    let conn = db.read()?;
    let mut stored = db::load_doc(&conn, &id, actor)?
        .filter(|s| s.agency_id == agency)
        .ok_or_else(|| ServiceError::not_found("inspection"))?;
    let view = stored.doc.read().map_err(ServiceError::internal)?;
    Ok((view, stored.doc.conflict_details()))
}

/// Resolves one conflicting field with the value numbered `choice`, as `caller` writing with
/// `actor` (the caller's review actor).
pub fn resolve(
    db: &Db,
    actor: &ActorId,
    caller: &Caller,
    id: InspectionId,
    path: &str,
    choice: usize,
) -> ServiceResult<()> {
    if !caller.role.reviews() {
        return Err(ServiceError::forbidden(
            "only a supervisor or a rating officer resolves another's conflicting values",
        ));
    }
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let mut stored = db::load_doc_for_update(&tx, &id, actor)?
        .filter(|s| s.agency_id == caller.agency_id)
        .ok_or_else(|| ServiceError::not_found("inspection"))?;
    let details = stored.doc.conflict_details();
    let field = details.iter().find(|c| c.path == path).ok_or_else(|| {
        ServiceError::conflict(format!("{path} holds no conflicting values (any more)"))
    })?;
    let chosen = field
        .values
        .get(choice)
        .map(|v| v.value.clone())
        .ok_or_else(|| ServiceError::bad_request(format!("{path} has no value number {choice}")))?;
    stored
        .doc
        .resolve_conflict(path, choice, &Utc::now().fixed_offset())
        .map_err(|e| ServiceError::conflict(e.to_string()))?;
    let view = stored.doc.read().map_err(ServiceError::internal)?;
    db::store_doc(&tx, &caller.agency_id, &mut stored.doc)?;
    publish::publish_reference(&tx, &caller.agency_id, view.header.subject.id.as_str())?;
    audit(
        &tx,
        caller,
        "inspection.conflict_resolved",
        view.header.subject.id.as_str(),
        format!(
            "{path} of inspection {id} ({}) set to {chosen} (from {})",
            view.header.subject.name,
            field
                .values
                .iter()
                .map(|v| v.value.as_str())
                .collect::<Vec<_>>()
                .join(" / ")
        ),
    )?;
    tx.commit()?;
    Ok(())
}
