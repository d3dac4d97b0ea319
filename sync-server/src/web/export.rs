//! CSV exports of the review pages: every finding of the agency's inspections, and the queue
//! as filtered. Fields are quoted by the `csv` crate, so commas and quotes in notes survive.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::pages::QueueQuery;
use super::{run, PageError, PageResult};
use crate::db::web::{self as wdb, WebSession};
use crate::server::AppState;

/// The most queue rows one export holds.
pub const MAX_EXPORT_ROWS: i64 = 100_000;

fn csv_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn failed(e: impl std::fmt::Display) -> PageError {
    PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// `GET /review/export/findings.csv`
pub async fn findings(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> PageResult<Response> {
    run(move || {
        let conn = state.db.lock().map_err(failed)?;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "inspection_id",
            "started_at",
            "subject",
            "inspector",
            "status",
            "item",
            "finding",
            "points",
            "note",
        ])
        .map_err(failed)?;
        let mut err = None;
        wdb::export_findings(
            &conn,
            &s.agency_id,
            |(id, at, subject, inspector, status, item, state, points, note)| {
                let points = points.map(|p| p.to_string()).unwrap_or_default();
                if let Err(e) = w.write_record([
                    &id, &at, &subject, &inspector, &status, &item, &state, &points, &note,
                ]) {
                    err.get_or_insert(e);
                }
            },
        )?;
        if let Some(e) = err {
            return Err(failed(e));
        }
        Ok(csv_response(
            "findings.csv",
            w.into_inner().map_err(failed)?,
        ))
    })
    .await
}

/// `GET /review/export/inspections.csv?<queue filters>`
pub async fn inspections(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Query(q): Query<QueueQuery>,
) -> PageResult<Response> {
    let f = q.filter();
    run(move || {
        let conn = state.db.lock().map_err(failed)?;
        let rows = wdb::queue(&conn, &s.agency_id, &f, MAX_EXPORT_ROWS, 0)?;
        drop(conn);
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "inspection_id",
            "started_at",
            "kind",
            "subject_id",
            "subject",
            "permit",
            "inspector",
            "status",
            "signature",
            "violations",
            "total_debits",
        ])
        .map_err(failed)?;
        for r in rows {
            w.write_record([
                r.id,
                r.started_at,
                r.kind,
                r.subject_id,
                r.subject_name,
                r.permit.unwrap_or_default(),
                r.inspector_name,
                r.status,
                r.integrity,
                r.violations.to_string(),
                r.total_debits.map(|d| d.to_string()).unwrap_or_default(),
            ])
            .map_err(failed)?;
        }
        Ok(csv_response(
            "inspections.csv",
            w.into_inner().map_err(failed)?,
        ))
    })
    .await
}
