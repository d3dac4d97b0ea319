//! CSV exports of the review pages: every finding of the agency's inspections, and the queue
//! as filtered. Fields are quoted by the `csv` crate, so commas and quotes in notes survive.
//!
//! An export can be a hundred megabytes (50,000 inspections × their findings): it is streamed
//! in chunks as it is read, from its own read-only connection, so it neither sits whole in
//! memory nor holds the connection that syncs write through.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tokio::sync::mpsc;

use super::pages::QueueQuery;
use crate::db::web::{self as wdb, WebSession};
use crate::db::DbError;
use crate::http::server::AppState;

/// The most queue rows one export holds.
pub const MAX_EXPORT_ROWS: i64 = 1_000_000;
/// Bytes gathered before a chunk is sent.
const CHUNK: usize = 64 * 1024;

/// Writes CSV records into chunks sent down `tx`; stops quietly when the browser goes away.
struct ChunkWriter {
    w: csv::Writer<Vec<u8>>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    gone: bool,
}

impl ChunkWriter {
    fn record<I, T>(&mut self, fields: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        if self.gone {
            return;
        }
        let cells = fields
            .into_iter()
            .map(|f| neutralize(f.as_ref()).into_owned());
        if let Err(e) = self.w.write_record(cells) {
            self.fail(e.to_string());
            return;
        }
        if self.w.get_ref().len() >= CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let full = std::mem::replace(
            &mut self.w,
            csv::Writer::from_writer(Vec::with_capacity(CHUNK * 2)),
        );
        let buf = match full.into_inner() {
            Ok(buf) => buf,
            Err(e) => return self.fail(e.to_string()),
        };
        if !buf.is_empty() && self.tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
            self.gone = true;
        }
    }

    /// Ends the body with an error, so the download shows as failed rather than complete.
    fn fail(&mut self, message: String) {
        eprintln!("milkshed-server: export: {message}");
        let _ = self.tx.blocking_send(Err(std::io::Error::other(message)));
        self.gone = true;
    }
}

/// A cell as a spreadsheet may safely open it (OWASP, CSV injection): text that begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula, so it is prefixed
/// with a `'`; a plain number (`-3`, `+1.5`) stays a number.
pub fn neutralize(cell: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let risky = matches!(
        cell.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    let number = std::str::from_utf8(cell).is_ok_and(|s| {
        s.len() > 1
            && s[1..].bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && s.parse::<f64>().is_ok()
    });
    if risky && !number {
        let mut out = Vec::with_capacity(cell.len() + 1);
        out.push(b'\'');
        out.extend_from_slice(cell);
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Streams the CSV that `produce` writes, read from a read-only connection.
fn stream_csv(
    state: Arc<AppState>,
    name: &'static str,
    produce: impl FnOnce(&crate::db::Conn, &mut ChunkWriter) -> Result<(), DbError> + Send + 'static,
) -> Response {
    let (tx, rx) = mpsc::channel(8);
    tokio::task::spawn_blocking(move || {
        let mut out = ChunkWriter {
            w: csv::Writer::from_writer(Vec::with_capacity(CHUNK * 2)),
            tx,
            gone: false,
        };
        match state.db.read() {
            Ok(conn) => match produce(&conn, &mut out) {
                Ok(()) => out.flush(),
                Err(e) => out.fail(e.to_string()),
            },
            Err(e) => out.fail(e.to_string()),
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", super::safe_filename(name)),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// `GET /review/audit.csv[?user=&action=&subject=&from=&to=]`: the audit log as filtered,
/// newest first.
pub async fn audit(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    q: Result<Query<super::pages::AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let filter = q.map(|q| q.0).unwrap_or_default().filter();
    stream_csv(state, "audit-log.csv", move |conn, out| {
        out.record([
            "at",
            "user_id",
            "user_name",
            "role",
            "via",
            "action",
            "subject",
            "detail",
        ]);
        let rows = crate::db::desk::audit_log(conn, &s.agency_id, &filter, MAX_EXPORT_ROWS, 0)?;
        for e in &rows {
            out.record([
                &e.at,
                &e.user_id,
                &e.user_name,
                &e.role,
                &e.via,
                &e.action,
                &e.subject,
                &e.detail,
            ]);
        }
        Ok(())
    })
}

/// `GET /review/samplers/notice.csv?year=YYYY`: the annual notice of all samplers and all
/// evaluations of the year (MMSR L8682-8683), one row per evaluation and one per sampler not
/// evaluated in the year. Small (an agency's samplers), so built whole.
pub async fn samplers_notice(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Query(q): Query<super::pages::YearQuery>,
) -> Result<Response, super::PageError> {
    super::run(move || {
        use crate::service::samplers;
        let conn = state.db.read()?;
        let year = samplers::notice_year(&conn, &s.agency_id, q.year)?;
        let n = samplers::annual_notice(&conn, &s.agency_id, year)?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let failed = |e: csv::Error| {
            super::PageError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                format!("the CSV could not be written: {e}"),
            )
        };
        w.write_record(samplers::NOTICE_COLUMNS).map_err(failed)?;
        for row in samplers::notice_rows(&n) {
            w.write_record(row.iter().map(|c| neutralize(c.as_bytes()).into_owned()))
                .map_err(failed)?;
        }
        let body = w.into_inner().map_err(|e| failed(e.into_error().into()))?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"samplers-{year}.csv\""),
                ),
            ],
            body,
        )
            .into_response())
    })
    .await
}

/// `GET /review/export/findings.csv`
pub async fn findings(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> Response {
    stream_csv(state, "findings.csv", move |conn, out| {
        out.record([
            "inspection_id",
            "started_at",
            "subject",
            "inspector",
            "status",
            "item",
            "finding",
            "points",
            "note",
        ]);
        wdb::export_findings(
            conn,
            &s.agency_id,
            |(id, at, subject, inspector, status, item, state, points, note)| {
                let points = points.map(|p| p.to_string()).unwrap_or_default();
                out.record([
                    &id, &at, &subject, &inspector, &status, &item, &state, &points, &note,
                ]);
            },
        )
    })
}

/// `GET /review/export/inspections.csv?<queue filters>`
pub async fn inspections(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Query(q): Query<QueueQuery>,
) -> Response {
    let f = q.filter();
    stream_csv(state, "inspections.csv", move |conn, out| {
        out.record([
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
        ]);
        for r in wdb::queue(conn, &s.agency_id, &f, MAX_EXPORT_ROWS, 0)? {
            out.record([
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
            ]);
        }
        Ok(())
    })
}

/// `GET /review/export/ratings.csv`: the listing register — each shipper's current rating with
/// its enforcement rating, dates, expiry, standing and 2359o.
pub async fn ratings(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> Response {
    stream_csv(state, "ratings.csv", move |conn, out| {
        use crate::db::registry as reg;
        use milkshed_shared::register::{standing, Standing};
        let today = reg::agency_today(conn, &s.agency_id)?;
        out.record([
            "shipper_id",
            "shipper",
            "kind",
            "ims_number",
            "product_codes",
            "sanitation_rating",
            "enforcement_rating",
            "rating_dates",
            "earliest_rating_date",
            "expiry",
            "standing",
            "permission_2359o",
            "reference_edition",
        ]);
        for r in reg::listing_ratings(conn, &s.agency_id, None)? {
            let f = reg::facility(conn, &s.agency_id, &r.shipper_id)?;
            let standing = match r.expiry.parse().map(|e| standing(e, today)) {
                Ok(Standing::Current) => "listed".to_string(),
                Ok(Standing::ExpiresSoon { days_left }) => format!("expires in {days_left} days"),
                Ok(Standing::Expired) => "expired".to_string(),
                Err(_) => String::new(),
            };
            let permission = if r.events.iter().any(|e| e.event == "permission_received") {
                "received"
            } else if r.events.iter().any(|e| e.event == "permission_sent") {
                "sent"
            } else {
                "not sent"
            };
            out.record([
                r.shipper_id.clone(),
                f.as_ref().map(|f| f.name.clone()).unwrap_or_default(),
                f.as_ref().map(|f| f.kind.clone()).unwrap_or_default(),
                f.as_ref()
                    .and_then(|f| f.number.clone())
                    .unwrap_or_default(),
                r.product_codes
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                r.sanitation_rating
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                r.enforcement_rating.to_string(),
                r.rating_dates.join(" "),
                r.earliest_rating_date.clone(),
                r.expiry.clone(),
                standing,
                permission.to_string(),
                r.reference_edition.clone(),
            ]);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::neutralize;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        for (cell, out) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-3", "-3"),
            ("+1.5", "+1.5"),
            ("Pete Carhart", "Pete Carhart"),
            ("", ""),
        ] {
            assert_eq!(
                neutralize(cell.as_bytes()).as_ref(),
                out.as_bytes(),
                "{cell}"
            );
        }
    }
}
