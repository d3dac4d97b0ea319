//! The office's work over the API: laboratory results (CSV or one by hand) and enforcement
//! actions with their deadlines; the work itself is `service::office`'s.

use super::*;
use crate::service::office;

/// `POST /api/lab-results`: a CSV of official results from an approved laboratory, imported
/// whole or refused whole with every line and field at fault; the answer lists the ledger's
/// actions now due (written notices with their resample window, suspensions).
pub(super) async fn import_lab(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ServiceResult<Response> {
    office::office(&device.caller(), "laboratory results")?;
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
    office::office(&device.caller(), "laboratory results")?;
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

/// Records checked rows (`service::office::record_lab_results`); a refusal lists every line
/// and field at fault.
async fn record_lab_results(
    state: Arc<AppState>,
    device: DeviceAuth,
    rows: Vec<db::LabRow>,
) -> ServiceResult<Response> {
    match blocking(move || office::record_lab_results(&state.db, &device.caller(), rows)).await? {
        Ok(v) => Ok(Json(v).into_response()),
        Err(problems) => Ok(csv_refusal(&problems)),
    }
}

/// `POST /api/actions`: records an enforcement action with its deadline (append-only; an
/// amendment names the action it amends).
pub(super) async fn add_action(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    body: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    office::office(&device.caller(), "enforcement actions")?;
    let a: office::ActionIn = serde_json::from_slice(&body)
        .map_err(|e| ServiceError::bad_request(format!("action: {e}")))?;
    blocking(move || office::add_action(&state.db, &device.caller(), a))
        .await
        .map(Json)
}

/// `POST /api/actions/{id}/complete`: what the action required was done on a date.
pub(super) async fn complete_action(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    Path(id): Path<String>,
    body: Bytes,
) -> ServiceResult<Json<serde_json::Value>> {
    office::office(&device.caller(), "enforcement actions")?;
    let c: office::CompleteIn = serde_json::from_slice(&body)
        .map_err(|e| ServiceError::bad_request(format!("completion: {e}")))?;
    blocking(move || office::complete_action(&state.db, &device.caller(), id, c))
        .await
        .map(Json)
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
    blocking(move || office::overdue_actions(&state.db, &device.caller(), q.today))
        .await
        .map(Json)
}
