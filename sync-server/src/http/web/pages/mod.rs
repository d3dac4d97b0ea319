//! The review pages' handlers: the queue, an inspection with its review, a photo, the board of
//! what is overdue or breached, the registry's facilities and the listing register.

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use chrono::NaiveDate;
use maud::{html, Markup};
use milkshed_shared::document::{Integrity, ItemState, Status};
use milkshed_shared::register::{self, Standing};
use serde::Deserialize;

use super::{check_csrf, csrf_field, page, run, PageError, PageResult};
use crate::db::web::{self as wdb, QueueFilter, WebSession};
use crate::db::{self, registry as reg};
use crate::http::server::AppState;
use milkshed_shared::authority::Acting;

mod audit;
mod conflicts;
mod desk;
mod enforcement;
mod inspection;
mod lab;
mod ratings;
mod registry;
mod residue;
mod samplers;

pub use audit::{audit_log, outbox, set_email, AuditQuery};
pub use desk::{
    add_facility, add_laboratory, assign, import_facilities, import_page, move_farm, new_facility,
    permit_status, rename, set_appendix_p, set_contact, set_pounds,
};
pub use enforcement::{
    action, actions, add_action, approve_letter, draft_letter, letter_pdf, save_template, template,
    templates,
};
pub use inspection::*;
pub use ratings::*;
pub use registry::*;
pub use samplers::{samplers_notice, samplers_notice_pdf, YearQuery};
/// The conflict queue's handlers.
pub mod conflict_pages {
    pub use super::conflicts::{inspection, queue, resolve};
}
/// Appendix N's and the 2359o's handlers.
pub mod residue_pages {
    pub use super::residue::{add_residue, listing_event, residue, residue_step};
}
/// The laboratory's handlers.
pub mod lab_pages {
    pub use super::lab::{entry, import, lab_page, ledger};
}

/// Rows a queue page shows.
pub const PAGE_ROWS: i64 = 50;
/// The last queue page anyone may ask for (5 million inspections).
pub const MAX_PAGE: i64 = 100_000;

/// A reader of the agency record: pages never wait for a sync or an upload.
fn reader(state: &AppState) -> PageResult<db::Conn> {
    Ok(state.db.read()?)
}

fn status_pill(status: &str) -> Markup {
    html! { span class={"pill " (status)} { (status) } }
}

fn day(ts: &str) -> &str {
    ts.get(..10).unwrap_or(ts)
}

/// A time as a reviewer reads it: to the minute, with its offset.
fn when(t: &chrono::DateTime<chrono::FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M %:z").to_string()
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    inspector: Option<String>,
    subject: Option<String>,
    status: Option<String>,
    violations: Option<String>,
    kind: Option<String>,
    page: Option<i64>,
}

impl QueueQuery {
    pub fn filter(&self) -> QueueFilter {
        let some = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        QueueFilter {
            inspector: some(&self.inspector),
            subject: some(&self.subject),
            status: some(&self.status),
            min_violations: some(&self.violations).and_then(|v| v.parse().ok()),
            kind: some(&self.kind),
        }
    }
}

fn query_string(f: &QueueFilter) -> String {
    let mut parts = Vec::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{k}={}", urlencode(v)));
        }
    };
    put("inspector", &f.inspector);
    put("subject", &f.subject);
    put("status", &f.status);
    put("violations", &f.min_violations.map(|v| v.to_string()));
    put("kind", &f.kind);
    parts.join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /review`: the queue, newest first, with filters and counts per status.
pub async fn queue(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Query(q): Query<QueueQuery>,
) -> PageResult<Html<String>> {
    let f = q.filter();
    let page_no = q.page.unwrap_or(0).max(0);
    if page_no > MAX_PAGE {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            format!("There are no more than {MAX_PAGE} pages."),
        ));
    }
    run(move || {
        let conn = reader(&state)?;
        let rows = wdb::queue(&conn, &s.agency_id, &f, PAGE_ROWS + 1, page_no * PAGE_ROWS)?;
        let counts = wdb::status_counts(&conn, &s.agency_id)?;
        let people = wdb::users(&conn, &s.agency_id)?;
        drop(conn);
        let more = rows.len() as i64 > PAGE_ROWS;
        let qs = query_string(&f);
        let body = html! {
            div.counts {
                @for (status, n) in &counts {
                    a href={"/review?status=" (status)} { (status_pill(status)) " " strong { (n) } }
                }
                a href="/review" { "all" }
            }
            form.filters method="get" action="/review" {
                label { "Inspector"
                    select name="inspector" {
                        option value="" { "anyone" }
                        @for (id, name, _) in &people {
                            option value=(id) selected[f.inspector.as_deref() == Some(id.as_str())] { (name) }
                        }
                    }
                }
                label { "Farm or plant" input name="subject" value=(f.subject.clone().unwrap_or_default()) placeholder="name or id"; }
                label { "Status"
                    select name="status" {
                        option value="" { "any" }
                        @for st in ["submitted", "returned", "accepted", "signed", "draft"] {
                            option value=(st) selected[f.status.as_deref() == Some(st)] { (st) }
                        }
                    }
                }
                label { "Kind"
                    select name="kind" {
                        option value="" { "any" }
                        @for k in milkshed_shared::document::InspectionKind::ALL {
                            option value=(k.as_str()) selected[f.kind.as_deref() == Some(k.as_str())] { (k.as_str().replace('_', " ")) }
                        }
                    }
                }
                label { "Violations at least" input name="violations" type="number" min="0" value=(f.min_violations.map(|v| v.to_string()).unwrap_or_default()); }
                button type="submit" { "Filter" }
                a href={"/review/export/inspections.csv?" (qs)} { "CSV of these" }
                a href="/review/export/findings.csv" { "CSV of all findings" }
            }
            @if rows.is_empty() {
                p.muted { "No inspections match." }
            } @else {
                table #queue {
                    thead { tr { th { "Started" } th { "Farm / plant" } th { "Kind" } th { "Inspector" } th { "Violations" } th { "Total Debits" } th { "Status" } th { "Signature" } } }
                    tbody {
                        @for r in rows.iter().take(PAGE_ROWS as usize) {
                            tr {
                                td { (day(&r.started_at)) }
                                td { a href={"/review/inspections/" (r.id)} { (r.subject_name) } " " span.muted { (r.permit.clone().unwrap_or_default()) } }
                                td { (r.kind.replace('_', " ")) }
                                td { (r.inspector_name) }
                                td { (r.violations) }
                                td { (r.total_debits.map(|d| d.to_string()).unwrap_or_default()) }
                                td { (status_pill(&r.status)) }
                                td { @if r.integrity == "tampered" { span.tampered { "TAMPERED" } } @else { (r.integrity) } }
                            }
                        }
                    }
                }
                p {
                    @if page_no > 0 { a href={"/review?" (qs) "&page=" (page_no - 1)} { "← newer" } " " }
                    @if more { a href={"/review?" (qs) "&page=" (page_no + 1)} { "older →" } }
                }
            }
        };
        Ok(page(&s, "Review queue", body))
    })
    .await
}
