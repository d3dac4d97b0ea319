//! Who inspects what: the office assigns farms, plants and haulers to inspectors (append-only,
//! the latest counts). The assignment reaches the devices' briefcase, where each work list
//! puts its user's assignments first (`shared::workload::work_order`); reassigning a facility
//! with an inspection still open records that inspection in the audit log.

use crate::db::{self, desk, registry as reg, Caller, Db};
use crate::service::auth::Role;
use crate::service::{audit, publish, ServiceError, ServiceResult};

/// Assigns a facility to an inspector of the agency (`None`: to nobody).
pub fn assign(
    db: &Db,
    caller: &Caller,
    facility: &str,
    user: Option<&str>,
    reason: &str,
) -> ServiceResult<()> {
    if !matches!(caller.role, Role::Supervisor | Role::Admin) {
        return Err(ServiceError::forbidden(
            "only a supervisor or an administrator assigns work",
        ));
    }
    if reason.trim().is_empty() {
        return Err(ServiceError::bad_request(
            "reason: say why the work is (re)assigned",
        ));
    }
    let agency = &caller.agency_id;
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let f =
        reg::facility(&tx, agency, facility)?.ok_or_else(|| ServiceError::not_found("facility"))?;
    let to = match user {
        None => None,
        Some(u) => Some(
            desk::users(&tx, agency)?
                .into_iter()
                .find(|x| x.0 == u)
                .filter(|x| matches!(x.2.as_str(), "sanitarian" | "supervisor"))
                .ok_or_else(|| ServiceError::not_found("inspector"))?,
        ),
    };
    let before = desk::assignment_history(&tx, agency, facility)?
        .into_iter()
        .next();
    if before.as_ref().and_then(|a| a.user_id.as_deref()) == to.as_ref().map(|u| u.0.as_str()) {
        return Err(ServiceError::conflict(format!(
            "{} is assigned so already",
            f.name
        )));
    }
    desk::assign(
        &tx,
        agency,
        facility,
        to.as_ref().map(|u| u.0.as_str()),
        caller.user_id.as_str(),
        reason.trim(),
    )?;
    let from = before
        .and_then(|a| a.user_name)
        .unwrap_or_else(|| "nobody".into());
    let to_name = to
        .as_ref()
        .map(|u| u.1.clone())
        .unwrap_or_else(|| "nobody".into());
    audit(
        &tx,
        caller,
        "facility.assigned",
        facility,
        format!("{}: {from} → {to_name}: {}", f.name, reason.trim()),
    )?;
    // an inspection still open (draft or returned) moves with the facility: say so
    for (id, status, inspector) in db::web::open_inspections_of(&tx, agency, facility)? {
        audit(
            &tx,
            caller,
            "inspection.reassigned",
            facility,
            format!(
                "open inspection {id} ({status}) by {inspector} of {}: the facility is now {to_name}'s",
                f.name
            ),
        )?;
    }
    publish::publish_reference(&tx, agency, facility)?;
    tx.commit()?;
    Ok(())
}
