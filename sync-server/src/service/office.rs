//! The office's work: laboratory results recorded into the ledger (with the actions now due)
//! and enforcement actions with their deadlines. Supervisors and administrators only.

use chrono::NaiveDate;
use milkshed_shared::sync::ErrorCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::{self, Caller, Db};
use crate::service::lab::{self, CsvProblem};
use crate::service::publish;
use crate::service::{ServiceError, ServiceResult};

/// The office's work — laboratory results, enforcement actions — is a supervisor's or an
/// administrator's; `what` names it in the refusal.
pub fn office(device: &Caller, what: &str) -> ServiceResult<()> {
    if matches!(
        device.role,
        crate::service::auth::Role::Supervisor | crate::service::auth::Role::Admin
    ) {
        Ok(())
    } else {
        Err(ServiceError::new(
            ErrorCode::Forbidden,
            format!("only a supervisor or an administrator records {what}"),
        ))
    }
}

/// Checks checked rows against the agency's register of laboratories, judges each against
/// its subject's standard, stores them all or none, and answers with the ledger's actions due.
pub fn record_lab_results(
    db: &Db,
    device: &Caller,
    mut rows: Vec<db::LabRow>,
) -> ServiceResult<Result<Value, Vec<CsvProblem>>> {
    // the check lives with the work: the API and the review pages both come through here
    office(device, "laboratory results")?;
    {
        let mut conn = db.write()?;
        let labs = db::registry::laboratories(&conn, &device.agency_id)?;
        let edition = milkshed_shared::reference::Edition::builtin(
            &db::registry::agency_settings(&conn, &device.agency_id)?.reference_edition,
        )
        .map_err(ServiceError::internal)?;
        if let Err(problems) = lab::check_laboratories(&mut rows, &labs, edition) {
            return Ok(Err(problems));
        }
        let farms: std::collections::HashSet<String> =
            db::registry::facilities(&conn, &device.agency_id)?
                .into_iter()
                .filter(|f| f.kind == "dairy_farm")
                .map(|f| f.id)
                .collect();
        lab::judge(&mut rows, |s| farms.contains(s));
        let import_id = db::import_lab_results(&mut conn, &device.agency_id, &rows)?;
        crate::service::audit(
            &conn,
            device,
            "lab.imported",
            &import_id,
            format!(
                "{} laboratory result{} imported",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" }
            ),
        )?;
        let mut keys: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.subject_id.clone(), r.standard.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        // the devices' briefcase follows the ledger
        let mut subjects: Vec<&String> = keys.iter().map(|(s, _)| s).collect();
        subjects.dedup();
        for subject in subjects {
            publish::publish_lab_ledger(&conn, &device.agency_id, subject)?;
        }
        let today = db::registry::agency_today(&conn, &device.agency_id)?;
        let mut actions = Vec::new();
        for (subject, standard) in keys {
            let history = lab::history(&conn, &device.agency_id, &subject, &standard)?;
            match milkshed_shared::ledger::action_after(&history, today) {
                milkshed_shared::ledger::LedgerAction::None => {}
                milkshed_shared::ledger::LedgerAction::WarningLetter { resample_from, resample_by } => actions.push(json!({
                    "subject_id": subject, "standard": standard, "action": "warning_letter",
                    "resample_from": resample_from.to_string(), "resample_by": resample_by.to_string(),
                })),
                milkshed_shared::ledger::LedgerAction::Suspension => actions.push(json!({
                    "subject_id": subject, "standard": standard, "action": "suspension",
                })),
            }
        }
        Ok(Ok(
            json!({"imported": rows.len(), "import_id": import_id, "actions": actions}),
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionIn {
    pub subject_id: String,
    pub kind: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    pub issued_on: chrono::NaiveDate,
    pub cause: String,
    #[serde(default)]
    pub amends: Option<String>,
    /// The findings the letter states (the cause when blank).
    #[serde(default)]
    pub findings: String,
    /// The permit holder's e-mail address: the approved letter is sent there.
    #[serde(default)]
    pub recipient: Option<String>,
    /// Reinstating after a suspension for a lab standard: the standard.
    #[serde(default)]
    pub lab_standard: Option<String>,
}

/// `POST /api/actions` (and the review pages' enforcement form): records an enforcement action
/// with its deadline (append-only; an amendment names the action it amends); an action that
/// changes the permit (suspension, reinstatement, temporary permit, revocation) changes the
/// facility's permit by the same rules as a status change; the action's letter is drafted from
/// the agency's template. All in one transaction.
pub fn add_action(db: &Db, device: &Caller, a: ActionIn) -> ServiceResult<Value> {
    office(device, "enforcement actions")?;
    let kind = crate::service::letters::parse_kind(&a.kind)?;
    if a.cause.trim().is_empty() {
        return Err(ServiceError::bad_request(
            "link the action to its cause (a finding or a lab result)",
        ));
    }
    let recipient = a
        .recipient
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let agency = &device.agency_id;
    let subject = db::registry::facility(&tx, agency, &a.subject_id)?
        .ok_or_else(|| ServiceError::new(ErrorCode::NotFound, "no such facility in your agency"))?;
    if let Some(amended) = &a.amends {
        if !db::action_exists(&tx, agency, amended)? {
            return Err(ServiceError::new(
                ErrorCode::NotFound,
                "no such action to amend in your agency",
            ));
        }
    }
    let mut permit = Value::Null;
    if let Some(next) = kind.permit_status() {
        let p = db::registry::permits_of(&tx, &a.subject_id)?
            .pop()
            .ok_or_else(|| {
                ServiceError::conflict(format!("{} holds no permit to change", subject.name))
            })?;
        permit = crate::service::registers::change_permit_in(
            &tx,
            device,
            &p.id,
            next,
            a.issued_on,
            &format!("{}: {}", kind.label(), a.cause.trim()),
            a.lab_standard.as_deref(),
        )?;
    }
    let due_on = kind.deadline(a.issued_on);
    let id = db::add_action(
        &tx,
        agency,
        &db::NewAction {
            subject_id: &a.subject_id,
            kind: kind.as_str(),
            issued_on: a.issued_on,
            due_on,
            cause: a.cause.trim(),
            issued_by: device.user_id.as_str(),
            amends: a.amends.as_deref(),
        },
    )?;
    crate::service::audit(
        &tx,
        device,
        &format!("action.{}", kind.as_str()),
        &a.subject_id,
        format!(
            "{} for {} issued {}{}: {}",
            kind.label(),
            subject.name,
            a.issued_on,
            due_on.map(|d| format!(", due {d}")).unwrap_or_default(),
            a.cause.trim()
        ),
    )?;
    let letter = crate::service::letters::draft_in(&tx, device, &id, &a.findings, recipient)?;
    // the farm gate sees what is owed
    publish::publish_reference(&tx, agency, &a.subject_id)?;
    tx.commit()?;
    Ok(
        json!({"id": id, "due_on": due_on.map(|d| d.to_string()), "letter": letter, "permit": permit}),
    )
}

#[derive(Deserialize)]
pub struct CompleteIn {
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    on: chrono::NaiveDate,
}

/// `POST /api/actions/{id}/complete`: what the action required was done on a date.
pub fn complete_action(
    db: &Db,
    device: &Caller,
    id: String,
    c: CompleteIn,
) -> ServiceResult<Value> {
    office(device, "enforcement actions")?;
    {
        let conn = db.write()?;
        if !db::action_exists(&conn, &device.agency_id, &id)? {
            return Err(ServiceError::new(
                ErrorCode::NotFound,
                "no such action in your agency",
            ));
        }
        db::complete_action(&conn, &id, c.on, device.user_id.as_str())?;
        if let Some(subject) = db::action_subject(&conn, &id)? {
            publish::publish_reference(&conn, &device.agency_id, &subject)?;
            crate::service::audit(
                &conn,
                device,
                "action.completed",
                &subject,
                format!("action {id} completed on {}", c.on),
            )?;
        }
        Ok(json!({"id": id, "completed_on": c.on.to_string()}))
    }
}

/// `GET /api/actions/overdue[?today=YYYY-MM-DD]`: actions past their deadline, not done.
pub fn overdue_actions(db: &Db, device: &Caller, today: Option<NaiveDate>) -> ServiceResult<Value> {
    {
        let conn = db.write()?;
        let today = match today {
            Some(d) => d,
            None => db::registry::agency_today(&conn, &device.agency_id)?,
        };
        let list: Vec<serde_json::Value> = db::overdue_actions(&conn, &device.agency_id, today)?
            .into_iter()
            .map(|(id, subject, kind, issued, due)| json!({"id": id, "subject_id": subject, "kind": kind, "issued_on": issued, "due_on": due}))
            .collect();
        Ok(json!({"today": today.to_string(), "overdue": list}))
    }
}
