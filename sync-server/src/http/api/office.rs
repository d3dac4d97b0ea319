//! The office's work over the API: laboratory results (CSV or one by hand) and enforcement
//! actions with their deadlines.

use super::*;

/// `POST /api/lab-results`: a CSV of official results from an approved laboratory, imported
/// whole or refused whole with every line and field at fault; the answer lists the ledger's
/// actions now due (written notices with their resample window, suspensions).
pub(super) async fn import_lab(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ServiceResult<Response> {
    office(&device, "laboratory results")?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ServiceError::bad_request("the file is not UTF-8 text"))?;
    match crate::service::lab::parse(&text) {
        Ok(rows) => record_lab_results(state, device, rows).await,
        Err(problems) => Ok(csv_refusal(&problems)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LabEntry {
    lab_number: String,
    sample_date: String,
    subject_id: String,
    standard: String,
    value: String,
    #[serde(default)]
    procedure: Option<String>,
}

/// `POST /api/lab-results/entry`: one result entered by hand (JSON), checked as a CSV line is.
pub(super) async fn enter_lab(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ServiceResult<Response> {
    office(&device, "laboratory results")?;
    let e: LabEntry = serde_json::from_slice(&body)
        .map_err(|err| ServiceError::bad_request(format!("laboratory result: {err}")))?;
    let fields = [
        e.lab_number.as_str(),
        &e.sample_date,
        &e.subject_id,
        &e.standard,
        &e.value,
        e.procedure.as_deref().unwrap_or_default(),
    ];
    match crate::service::lab::check_row(1, &fields) {
        Ok(row) => record_lab_results(state, device, vec![row]).await,
        Err(problems) => Ok(csv_refusal(&problems)),
    }
}

/// Checks checked rows against the agency's register of laboratories, judges each against
/// its subject's standard, stores them all or none, and answers with the ledger's actions due.
pub(super) async fn record_lab_results(
    state: Arc<AppState>,
    device: DeviceAuth,
    mut rows: Vec<db::LabRow>,
) -> ServiceResult<Response> {
    blocking(move || {
        let mut conn = state.db.write()?;
        let labs = db::registry::laboratories(&conn, &device.agency_id)?;
        let edition = milkshed_shared::reference::Edition::builtin(
            &db::registry::agency_settings(&conn, &device.agency_id)?.reference_edition,
        )
        .map_err(ServiceError::internal)?;
        if let Err(problems) = crate::service::lab::check_laboratories(&mut rows, &labs, edition) {
            return Ok(csv_refusal(&problems));
        }
        let farms: std::collections::HashSet<String> = db::registry::facilities(&conn, &device.agency_id)?
            .into_iter()
            .filter(|f| f.kind == "dairy_farm")
            .map(|f| f.id)
            .collect();
        crate::service::lab::judge(&mut rows, |s| farms.contains(s));
        let import_id = db::import_lab_results(&mut conn, &device.agency_id, &rows)?;
        let mut keys: Vec<(String, String)> = rows.iter().map(|r| (r.subject_id.clone(), r.standard.clone())).collect();
        keys.sort();
        keys.dedup();
        // the devices' briefcase follows the ledger
        let mut subjects: Vec<&String> = keys.iter().map(|(s, _)| s).collect();
        subjects.dedup();
        for subject in subjects {
            crate::service::publish::publish_lab_ledger(&conn, &device.agency_id, subject)?;
        }
        let today = db::registry::agency_today(&conn, &device.agency_id)?;
        let mut actions = Vec::new();
        for (subject, standard) in keys {
            let history = crate::service::lab::history(&conn, &device.agency_id, &subject, &standard)?;
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
        Ok(Json(json!({"imported": rows.len(), "import_id": import_id, "actions": actions})).into_response())
    })
    .await
}

/// A refused CSV: 422 with every line and field at fault; nothing was imported.
pub(super) fn csv_refusal(problems: &[crate::service::lab::CsvProblem]) -> Response {
    let list: Vec<serde_json::Value> = problems
        .iter()
        .map(|p| json!({"line": p.line, "field": p.field, "message": p.message}))
        .collect();
    let first = problems
        .first()
        .map(|p| format!("line {}, {}: {}", p.line, p.field, p.message))
        .unwrap_or_default();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"error": ErrorCode::InvalidCsv.as_str(), "message": format!("nothing was imported; {first}"), "problems": list})),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ActionIn {
    subject_id: String,
    kind: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    issued_on: chrono::NaiveDate,
    cause: String,
    #[serde(default)]
    amends: Option<String>,
}

/// The office's work — laboratory results, enforcement actions — is a supervisor's or an
/// administrator's; `what` names it in the refusal.
pub(super) fn office(device: &DeviceAuth, what: &str) -> ServiceResult<()> {
    if matches!(device.role, auth::Role::Supervisor | auth::Role::Admin) {
        Ok(())
    } else {
        Err(ServiceError::new(
            ErrorCode::Forbidden,
            format!("only a supervisor or an administrator records {what}"),
        ))
    }
}

/// `POST /api/actions`: records an enforcement action with its deadline (append-only; an
/// amendment names the action it amends).
pub(super) async fn add_action(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    office(&device, "enforcement actions")?;
    let a: ActionIn = serde_json::from_slice(&body)
        .map_err(|e| ServiceError::bad_request(format!("action: {e}")))?;
    let kind = milkshed_shared::ledger::ActionKind::parse(&a.kind).ok_or_else(|| {
        ServiceError::bad_request("kind is one of warning_letter, intent_to_suspend, suspension, reinstatement_inspection, revocation, hearing")
    })?;
    if a.cause.trim().is_empty() {
        return Err(ServiceError::bad_request(
            "link the action to its cause (a finding or a lab result)",
        ));
    }
    blocking(move || {
        let conn = state.db.write()?;
        if let Some(amended) = &a.amends {
            if !db::action_exists(&conn, &device.agency_id, amended)? {
                return Err(ServiceError::new(
                    ErrorCode::NotFound,
                    "no such action to amend in your agency",
                ));
            }
        }
        let due_on = kind.deadline(a.issued_on);
        let id = db::add_action(
            &conn,
            &device.agency_id,
            &db::NewAction {
                subject_id: &a.subject_id,
                kind: kind.as_str(),
                issued_on: a.issued_on,
                due_on,
                cause: &a.cause,
                issued_by: &device.user_id,
                amends: a.amends.as_deref(),
            },
        )?;
        // the farm gate sees what is owed
        crate::service::publish::publish_reference(&conn, &device.agency_id, &a.subject_id)?;
        Ok(Json(
            json!({"id": id, "due_on": due_on.map(|d| d.to_string())}),
        ))
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct CompleteIn {
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    on: chrono::NaiveDate,
}

/// `POST /api/actions/{id}/complete`: what the action required was done on a date.
pub(super) async fn complete_action(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    body: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    office(&device, "enforcement actions")?;
    let c: CompleteIn = serde_json::from_slice(&body)
        .map_err(|e| ServiceError::bad_request(format!("completion: {e}")))?;
    blocking(move || {
        let conn = state.db.write()?;
        if !db::action_exists(&conn, &device.agency_id, &id)? {
            return Err(ServiceError::new(
                ErrorCode::NotFound,
                "no such action in your agency",
            ));
        }
        db::complete_action(&conn, &id, c.on, &device.user_id)?;
        if let Some(subject) = db::action_subject(&conn, &id)? {
            crate::service::publish::publish_reference(&conn, &device.agency_id, &subject)?;
        }
        Ok(Json(json!({"id": id, "completed_on": c.on.to_string()})))
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct OverdueQuery {
    #[serde(default, deserialize_with = "milkshed_shared::calendar::de_opt_date")]
    today: Option<chrono::NaiveDate>,
}

/// `GET /api/actions/overdue[?today=YYYY-MM-DD]`: actions past their deadline, not done.
pub(super) async fn overdue_actions(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    ApiQuery(q): ApiQuery<OverdueQuery>,
) -> ServiceResult<Json<serde_json::Value>> {
    blocking(move || {
        let conn = state.db.write()?;
        let today = match q.today {
            Some(d) => d,
            None => db::registry::agency_today(&conn, &device.agency_id)?,
        };
        let list: Vec<serde_json::Value> = db::overdue_actions(&conn, &device.agency_id, today)?
            .into_iter()
            .map(|(id, subject, kind, issued, due)| json!({"id": id, "subject_id": subject, "kind": kind, "issued_on": issued, "due_on": due}))
            .collect();
        Ok(Json(json!({"today": today.to_string(), "overdue": list})))
    })
    .await
}
