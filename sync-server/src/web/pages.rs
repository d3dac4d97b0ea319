//! The review pages' handlers: the queue, an inspection with its review, a photo, the board of
//! what is overdue or breached, the registry's facilities and the listing register.

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use milkshed_shared::catalog::Catalog;
use milkshed_shared::document::{Integrity, ItemState, Person, Review, Status};
use milkshed_shared::register::{self, Standing};
use serde::Deserialize;

use uuid::Uuid;

use super::{check_csrf, csrf_field, page, run, PageError, PageResult};
use crate::db::web::{self as wdb, QueueFilter, WebSession};
use crate::db::{self, registry as reg};
use crate::server::AppState;
use milkshed_shared::authority::{self, Acting, Refusal};

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

fn parse_id(id: &str) -> PageResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| PageError::not_found("inspection"))
}

/// A user's name as the agency's accounts have it (never as a document typed it).
fn account_name<'a>(people: &'a [(String, String, String)], id: &str) -> &'a str {
    people
        .iter()
        .find(|(uid, _, _)| uid == id)
        .map_or("(no such account)", |(_, name, _)| name.as_str())
}

fn describe_actor(
    actor: &str,
    devices: &[(String, String, String)],
    people: &[(String, String, String)],
    state: &AppState,
) -> String {
    let server = &state.server_actor;
    if let Some((_, device, user)) = devices.iter().find(|(a, _, _)| a == actor) {
        return format!("{user} on {device}");
    }
    if let Some((_, name, _)) = people
        .iter()
        .find(|(id, _, _)| state.web_actor(id).to_hex_string() == actor)
    {
        return format!("{name} on the review pages");
    }
    if server.to_hex_string() == actor {
        return "the agency server".into();
    }
    format!("unknown actor {}", actor.get(..8).unwrap_or(actor))
}

/// `GET /review/inspections/{id}`: findings by item with debits, notes, photos, GPS and times,
/// signatures and their verification, the document's history by user and device, conflicts,
/// reviews so far, and the review form.
pub async fn inspection(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Html<String>> {
    let uuid = parse_id(&id)?;
    run(move || {
        let conn = reader(&state)?;
        let row = wdb::inspection(&conn, &s.agency_id, &id)?.ok_or_else(|| PageError::not_found("inspection"))?;
        let mut stored = db::load_doc(&conn, &uuid, &state.server_actor)?.ok_or_else(|| PageError::not_found("inspection"))?;
        if stored.agency_id != s.agency_id {
            return Err(PageError::not_found("inspection"));
        }
        let devices = wdb::device_actors(&conn, &s.agency_id)?;
        let people = wdb::users(&conn, &s.agency_id)?;
        drop(conn);
        let ins = stored.doc.read().map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let history = stored.doc.history();
        let conflicts = stored.doc.conflicts();
        let catalog = Catalog::builtin(&ins.header.catalog).ok();
        let form = catalog.map(|c| if ins.header.subject.kind.items() == milkshed_shared::document::ItemSet::Farm { &c.farm } else { &c.plant });
        let label = |item: &str| {
            form.and_then(|f| f.column_for_id(item).and_then(|i| f.columns.get(i)))
                .map(|c| (c.label.clone(), c.weight))
                .unwrap_or_default()
        };
        let own = stored.inspector_id == s.user_id;
        let may_review = ins.status == Status::Submitted && s.role.reviews() && !own;
        let title = format!("{} — {}", ins.header.subject.name, day(&row.started_at));
        let body = html! {
            div.grid {
                div { "Kind: " (ins.header.kind.as_str().replace('_', " ")) }
                div { "Inspector: " (account_name(&people, &ins.header.inspector.id)) }
                div { "Permit: " (ins.header.subject.permit.clone().unwrap_or_default()) }
                div { "Status: " (status_pill(ins.status.as_str())) }
                div { "Started: " (when(&ins.header.started_at)) }
                div { "Ended: " (ins.ended_at.map(|d| when(&d)).unwrap_or_else(|| "—".into())) }
                div { "GPS: " @if let Some(g) = &ins.gps { (g.lat) ", " (g.lon) @if let Some(a) = &g.accuracy_m { " (±" (a) " m)" } } @else { "—" } }
                div { "Pounds daily: " (ins.pounds_sold_daily.or(ins.pounds_processed_daily).map(|p| p.to_string()).unwrap_or_else(|| "—".into())) }
                div { "Total Debits: " strong #total-debits { (row.total_debits.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) } }
                div { "Catalog: " (ins.header.catalog) }
            }
            h2 { "Signatures" }
            @match &ins.integrity {
                Integrity::Tampered { .. } => p.tampered #integrity { "TAMPERED: the content no longer matches what the inspector signed." },
                Integrity::Intact => p.ok #integrity { "Verified: the content is what the inspector signed." },
                Integrity::Unsigned => p.muted #integrity { "Not signed yet." },
            }
            table {
                thead { tr { th { "Role" } th { "Name" } th { "Signed at" } th { "Content hash" } } }
                tbody { @for sig in &ins.signatures { tr { td { (sig.role.as_str()) } td { (sig.name) } td { (when(&sig.signed_at)) } td.muted { (sig.content_hash.get(..16).unwrap_or(&sig.content_hash)) "…" } } } }
            }
            h2 { "Findings" }
            table #findings {
                thead { tr { th { "Item" } th { "" } th { "Finding" } th { "Debit" } th { "Products" } th { "Note" } } }
                tbody {
                    @for f in &ins.findings {
                        @let (text, weight) = label(&f.item);
                        tr {
                            td { strong { (f.item) } }
                            td { (text) }
                            @match &f.state {
                                ItemState::Violated { points, products } => {
                                    td.breach { "violated" }
                                    td { (points.or(weight).map(|p| p.to_string()).unwrap_or_default()) }
                                    td { (products.join(", ")) }
                                }
                                other => { td { (other.name().replace('_', " ")) } td {} td {} }
                            }
                            td { (f.note) }
                        }
                    }
                }
            }
            @if !ins.notes.is_empty() { h2 { "Notes" } p { (ins.notes) } }
            h2 { "Photos (" (ins.photos.len()) ")" }
            div.photos {
                @for p in &ins.photos {
                    figure {
                        a href={"/review/photos/" (p.hash)} target="_blank" { img src={"/review/photos/" (p.hash) "/thumb"} alt=(p.caption) loading="lazy"; }
                        figcaption { @if let Some(i) = &p.item { strong { (i) } " " } (p.caption) br; span.muted { (p.taken_at.map(|t| when(&t)).unwrap_or_default()) } }
                    }
                }
            }
            @if !conflicts.is_empty() {
                h2.breach { "Conflicting values (" (conflicts.len()) ")" }
                ul { @for c in &conflicts { li { (c.path) ": " (c.values.join(" / ")) } } }
            }
            @if !ins.reviews.is_empty() {
                h2 { "Reviews" }
                @for r in &ins.reviews {
                    div.review {
                        strong { (if r.accepted { "Accepted" } else { "Returned" }) } " by " (account_name(&people, &r.by.id)) " on " (when(&r.at))
                        @if !r.comment.is_empty() { p { (r.comment) } }
                        @if !r.item_comments.is_empty() { ul { @for (item, c) in &r.item_comments { li { strong { (item) } ": " (c) } } } }
                    }
                }
            }
            @if may_review {
                form.review #review method="post" action={"/review/inspections/" (id) "/review"} {
                    (csrf_field(&s))
                    h2 { "Review" }
                    label { "Comment for the inspector" textarea name="comment" {} }
                    @for f in ins.violations() {
                        label { "On item " (f.item) input name={"item:" (f.item)} placeholder="what to amend"; }
                    }
                    div.actions {
                        button.accept type="submit" name="decision" value="accept" { "Accept" }
                        button.return type="submit" name="decision" value="return" { "Return with comments" }
                    }
                }
            } @else if ins.status == Status::Submitted && own {
                p.muted { "You inspected this one: another supervisor or rating officer reviews it." }
            }
            h2 { "History" }
            table #history {
                thead { tr { th { "When" } th { "Who" } th { "What" } } }
                tbody {
                    @for (actor, t, message) in &history {
                        tr {
                            td { (chrono::DateTime::from_timestamp_millis(*t).map(|d| when(&d.fixed_offset())).unwrap_or_default()) }
                            td { (describe_actor(actor, &devices, &people, &state)) }
                            td { (message) }
                        }
                    }
                }
            }
        };
        Ok(page(&s, &title, body))
    })
    .await
}

/// `POST /review/inspections/{id}/review`: accept, or return with comments overall and per
/// finding. The review is an Automerge change by the reviewer's own actor, merged into the
/// stored document and its projection in one transaction; the inspector's device gets it on
/// its next sync.
pub async fn review(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    check_csrf(&s, get("csrf"))?;
    if !s.role.reviews() {
        return Err(PageError::forbidden(
            "Only a supervisor or rating officer reviews inspections.",
        ));
    }
    let accepted = match get("decision") {
        Some("accept") => true,
        Some("return") => false,
        _ => {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "Choose Accept or Return.",
            ))
        }
    };
    let comment = get("comment").unwrap_or_default().trim().to_string();
    let item_comments: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("item:")?.to_string(), v.trim().to_string())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let uuid = parse_id(&id)?;
    run(move || {
        let mut conn = state.db.write()?;
        if wdb::inspection(&conn, &s.agency_id, &id)?.is_none() {
            return Err(PageError::not_found("inspection"));
        }
        let actor = state.web_actor(&s.user_id);
        let mut stored = db::load_doc(&conn, &uuid, &actor)?
            .ok_or_else(|| PageError::not_found("inspection"))?;
        if stored.agency_id != s.agency_id {
            return Err(PageError::not_found("inspection"));
        }
        let known = stored
            .doc
            .read()
            .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        if let Some((item, _)) = item_comments
            .iter()
            .find(|(i, _)| !known.findings.iter().any(|f| &f.item == i))
        {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                format!("Item {item} is not among this inspection's findings."),
            ));
        }
        let at = Utc::now().fixed_offset();
        stored
            .doc
            .review(&Review {
                by: Person {
                    id: s.user_id.clone(),
                    name: s.user_name.clone(),
                },
                at,
                accepted,
                comment,
                item_comments,
            })
            .map_err(|e| PageError::new(StatusCode::CONFLICT, e.to_string()))?;
        let after = stored
            .doc
            .read()
            .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        // the same rule a device's change meets in sync
        let by = Acting {
            user_id: &s.user_id,
            name: &s.user_name,
            role: s.role,
            agency: &s.agency_id,
        };
        match authority::authorize(Some(&known), &after, &by) {
            Ok(()) => {}
            Err(Refusal::OwnReview) => {
                return Err(PageError::forbidden(
                    "You inspected this one: another supervisor or rating officer reviews it.",
                ))
            }
            Err(r) => return Err(PageError::forbidden(format!("Not saved: {r}."))),
        }
        let tx = conn.transaction().map_err(db::DbError::from)?;
        db::store_doc(&tx, &s.agency_id, &mut stored.doc)?;
        tx.commit().map_err(db::DbError::from)?;
        Ok(Redirect::to(&format!("/review/inspections/{id}")).into_response())
    })
    .await
}

/// `GET /review/photos/{hash}`: a photo of the agency's inspections.
pub async fn photo(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(hash): Path<String>,
) -> PageResult<Response> {
    run(move || {
        agency_photo(&state, &s, &hash)?;
        let bytes = state
            .blobs
            .get(&hash)
            .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .ok_or_else(|| PageError::not_found("photo"))?;
        Ok((
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
            ],
            bytes,
        )
            .into_response())
    })
    .await
}

/// Refuses a photo hash that is malformed, or not of a stored photo of the signed-in agency's
/// inspections (another agency's photo is "not found", as is a guess).
fn agency_photo(state: &AppState, s: &WebSession, hash: &str) -> PageResult<()> {
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PageError::not_found("photo"));
    }
    let conn = reader(state)?;
    if !db::photo_referenced(&conn, &s.agency_id, hash)?
        || !db::photo_stored(&conn, &s.agency_id, hash)?
    {
        return Err(PageError::not_found("photo"));
    }
    Ok(())
}

/// Longest side of a review page's thumbnail.
pub const THUMBNAIL_PX: u32 = milkshed_shared::photo::THUMB_SIDE;

/// A thumbnail of a stored photo (JPEG), made once and kept in the blob store under a key
/// derived from the photo's hash.
fn thumbnail(state: &AppState, hash: &str) -> PageResult<Vec<u8>> {
    let key = milkshed_shared::document::sha256_hex(
        format!("thumbnail:{THUMBNAIL_PX}:{hash}").as_bytes(),
    );
    let io = |e: std::io::Error| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    if let Some(t) = state.blobs.get(&key).map_err(io)? {
        return Ok(t);
    }
    let full = state
        .blobs
        .get(hash)
        .map_err(io)?
        .ok_or_else(|| PageError::not_found("photo"))?;
    // decoded within the same limits as an upload, however the bytes got there
    let img = crate::photo::decode_stored(&full).map_err(|e| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the stored photo does not decode: {e}"),
        )
    })?;
    let small = img.thumbnail(THUMBNAIL_PX, THUMBNAIL_PX).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75)
        .encode_image(&small)
        .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    state.blobs.put(&key, &out).map_err(io)?;
    Ok(out)
}

/// `GET /review/photos/{hash}/thumb`: the photo's thumbnail.
pub async fn photo_thumbnail(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(hash): Path<String>,
) -> PageResult<Response> {
    run(move || {
        agency_photo(&state, &s, &hash)?;
        let bytes = thumbnail(&state, &hash)?;
        Ok((
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
            ],
            bytes,
        )
            .into_response())
    })
    .await
}

#[derive(Deserialize)]
pub struct DayQuery {
    #[serde(default, deserialize_with = "milkshed_shared::calendar::de_opt_date")]
    today: Option<NaiveDate>,
}

/// The most rows one section of the board shows (the most overdue first); the API lists all.
pub const BOARD_ROWS: usize = 200;

fn more_rows(n: usize) -> Markup {
    html! {
        @if n > BOARD_ROWS {
            p.muted { "Showing the first " (BOARD_ROWS) " of " (n) "; " code { "GET /api/board" } " lists them all." }
        }
    }
}

/// `GET /review/board`: everything overdue or breached, each with its rule.
pub async fn board(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Query(q): Query<DayQuery>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let today = match q.today {
            Some(d) => d,
            None => reg::agency_today(&conn, &s.agency_id)?,
        };
        let b = crate::board::board(&conn, &s.agency_id, today, None)?;
        drop(conn);
        let fac = |id: &str, name: &str| html! { a href={"/review/facilities/" (id)} { (name) } };
        let body = html! {
            p.muted { "As of " (b.today) ". Every line names the rule that puts it here." }
            @if b.is_empty() { p.ok { "Nothing is overdue or breached." } }
            @if !b.overdue_inspections.is_empty() {
                h2 #overdue-inspections { "Routine inspections overdue (" (b.overdue_inspections.len()) ")" }
                (more_rows(b.overdue_inspections.len()))
                table { thead { tr { th { "Facility" } th { "Kind" } th { "Last" } th { "Was due by" } th { "Rule" } } }
                    tbody { @for i in b.overdue_inspections.iter().take(BOARD_ROWS) { tr { td { (fac(&i.facility_id, &i.name)) } td { (i.kind.replace('_', " ")) } td { (i.last.clone().unwrap_or_else(|| "never".into())) } td.breach { (i.due) } td.muted { (i.rule) } } } } }
            }
            @if !b.reinspections.is_empty() {
                h2 #reinspections { "Reinspections past due (" (b.reinspections.len()) ")" }
                (more_rows(b.reinspections.len()))
                table { thead { tr { th { "Facility" } th { "Inspection" } th { "Was due by" } } }
                    tbody { @for r in b.reinspections.iter().take(BOARD_ROWS) { tr { td { (fac(&r.facility_id, &r.name)) } td { a href={"/review/inspections/" (r.inspection_id)} { (r.inspected_on) } } td.breach { (r.due) } } } } }
                p.muted { "Due " (milkshed_shared::calendar::REINSPECTION_DAYS) " days after a violation-finding inspection: the agency's default (the PMO's intervals are not in the seeds)." }
            }
            @if !b.overdue_actions.is_empty() {
                h2 #overdue-actions { "Enforcement actions past their deadline (" (b.overdue_actions.len()) ")" }
                (more_rows(b.overdue_actions.len()))
                table { thead { tr { th { "Facility" } th { "Action" } th { "Issued" } th { "Due" } } }
                    tbody { @for a in b.overdue_actions.iter().take(BOARD_ROWS) { tr { td { (fac(&a.subject_id, &a.subject)) } td { (a.kind.replace('_', " ")) } td { (a.issued_on) } td.breach { (a.due_on) } } } } }
            }
            @if !b.lab_breaches.is_empty() {
                h2 #lab-breaches { "Laboratory ledger (" (b.lab_breaches.len()) ")" }
                (more_rows(b.lab_breaches.len()))
                table { thead { tr { th { "Facility" } th { "Standard" } th { "Owed" } th { "Since" } th { "Rule" } } }
                    tbody { @for l in b.lab_breaches.iter().take(BOARD_ROWS) { tr { td { (fac(&l.subject_id, &l.subject)) } td { (l.standard.replace('_', " ")) } td.breach { (l.breach.replace('_', " ")) } td { (l.since) } td.muted { (l.detail) } } } } }
            }
            @if !b.residue.is_empty() {
                h2 #residue { "Drug residue (Appendix N) (" (b.residue.len()) ")" }
                (more_rows(b.residue.len()))
                table { thead { tr { th { "Producer" } th { "Sampled" } th { "Notices owed" } th { "Shipping" } th { "Disposition report" } th { "In 12 months" } } }
                    tbody { @for r in b.residue.iter().take(BOARD_ROWS) { tr {
                        td { (fac(&r.producer_id, &r.producer)) } td { (r.sampled_on) }
                        td.breach { (r.notices_due.join(", ").replace('_', " ")) }
                        td { @if r.on_hold { span.breach { "held until negative" } } @else { "released" } }
                        td { @if r.disposition_missing { span.breach { "missing" } } @else { "on file" } }
                        td { (r.repeats_in_12_months) }
                    } } } }
            }
            @if !b.listings.is_empty() {
                h2 #listings { "IMS listings (" (b.listings.len()) ")" }
                (more_rows(b.listings.len()))
                table { thead { tr { th { "Shipper" } th { "Expiry" } th { "What is owed" } } }
                    tbody { @for l in b.listings.iter().take(BOARD_ROWS) { tr { td { (fac(&l.shipper_id, &l.shipper)) } td { (l.expiry) } td { ul { @for p in &l.problems { li { (p) } } } } } } } }
            }
            @if !b.suspended_permits.is_empty() {
                h2 #permits { "Permits under which milk is not Grade \"A\" (" (b.suspended_permits.len()) ")" }
                (more_rows(b.suspended_permits.len()))
                table { thead { tr { th { "Facility" } th { "Permit" } th { "Status" } th { "Since" } } }
                    tbody { @for p in b.suspended_permits.iter().take(BOARD_ROWS) { tr { td { (fac(&p.facility_id, &p.facility)) } td { (p.permit) } td.breach { (p.status) } td { (p.since) } } } } }
            }
        };
        Ok(page(&s, "Overdue & breached", body))
    })
    .await
}

/// `GET /review/facilities`: the registry.
pub async fn facilities(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let list = reg::facilities(&conn, &s.agency_id)?;
        let mut permits = reg::permits_by_facility(&conn, &s.agency_id)?;
        let rows: Vec<_> = list
            .into_iter()
            .map(|f| {
                let permit = permits.remove(&f.id).and_then(|mut p| p.pop());
                (f, permit)
            })
            .collect();
        drop(conn);
        let body = html! {
            table #facilities {
                thead { tr { th { "Name" } th { "Kind" } th { "Number" } th { "Permit" } th { "Status" } th { "Listing" } } }
                tbody { @for (f, p) in &rows { tr {
                    td { a href={"/review/facilities/" (f.id)} { (f.name) } }
                    td { (f.kind.replace('_', " ")) } td { (f.number.clone().unwrap_or_default()) }
                    td { @if let Some(p) = p { (p.number) " (" (p.issuing_state) ")" } }
                    td { @if let Some(p) = p { @if p.status == "suspended" || p.status == "revoked" { span.breach { (p.status) } } @else { (p.status) } } }
                    td { @if let Some(l) = &f.listing { a href={"/review/facilities/" (l)} { (l) } } }
                } } }
            }
        };
        Ok(page(&s, "Farms, plants, haulers", body))
    })
    .await
}

/// `GET /review/facilities/{id}`: a facility's history, permits, inspections, open violations
/// and what is overdue or breached for it.
pub async fn facility(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let f = reg::facility(&conn, &s.agency_id, &id)?.ok_or_else(|| PageError::not_found("facility"))?;
        let permits = reg::permits_of(&conn, &id)?;
        let history = reg::facility_events(&conn, &id)?;
        let members = reg::members(&conn, &id)?;
        let warnings = crate::record::listing_warnings(&conn, &members, &id)?;
        let inspections = wdb::inspections_of(&conn, &s.agency_id, &id, 20)?;
        let open = match inspections.iter().find(|i| i.status != "draft") {
            Some(i) => wdb::findings(&conn, &i.id)?.into_iter().filter(|f| f.1 == "violated").collect(),
            None => Vec::new(),
        };
        let today = reg::agency_today(&conn, &s.agency_id)?;
        let b = crate::board::board(&conn, &s.agency_id, today, Some(&id))?;
        drop(conn);
        let due: Vec<String> = b.overdue_inspections.iter().filter(|i| i.facility_id == id).map(|i| format!("routine inspection overdue since {}", i.due))
            .chain(b.reinspections.iter().map(|r| format!("reinspection of {} {} {}", r.inspected_on, if r.overdue { "was due by" } else { "due by" }, r.due)))
            .chain(b.overdue_actions.iter().filter(|a| a.subject_id == id).map(|a| format!("{} due {}", a.kind.replace('_', " "), a.due_on)))
            .chain(b.lab_breaches.iter().filter(|l| l.subject_id == id).map(|l| format!("{}: {}", l.standard.replace('_', " "), l.detail)))
            .collect();
        let body = html! {
            div.grid {
                div { "Kind: " (f.kind.replace('_', " ")) }
                div { "Number: " (f.number.clone().unwrap_or_default()) }
                div { "Permitting State: " (f.permit_state) }
                div { "Pounds daily: " (f.pounds_daily.map(|p| p.to_string()).unwrap_or_default()) }
                @if let Some(l) = &f.listing { div { "Ships in: " a href={"/review/facilities/" (l)} { (l) } } }
            }
            @for w in &warnings { p.breach { (w) } }
            @if !due.is_empty() { h2 { "Due, overdue or breached" } ul #due { @for d in &due { li.breach { (d) } } } }
            h2 { "Open violations (latest inspection)" }
            @if open.is_empty() { p.muted { "None." } } @else { ul { @for (item, _, points, _, note) in &open { li { strong { (item) } @if let Some(p) = points { " (" (p) " points)" } " " (note) } } } }
            h2 { "Permits" }
            @for p in &permits {
                p { strong { (p.number) } " issued by " (p.issuing_state) " — now " (p.status) }
                table { thead { tr { th { "Effective" } th { "Status" } th { "Reason" } th { "Recorded" } } }
                    tbody { @for e in &p.history { tr { td { (e.effective_on) } td { (e.status) } td { (e.reason) } td.muted { (day(&e.recorded_at)) } } } } }
            }
            @if !members.is_empty() {
                h2 { "Farms (" (members.len()) ")" }
                table { thead { tr { th { "Farm" } th { "Producer" } th { "Pounds daily" } } }
                    tbody { @for m in &members { tr { td { a href={"/review/facilities/" (m.id)} { (m.name) } } td { (m.number.clone().unwrap_or_default()) } td { (m.pounds_daily.map(|p| p.to_string()).unwrap_or_default()) } } } } }
            }
            h2 { "Inspections" }
            table { thead { tr { th { "Started" } th { "Inspector" } th { "Violations" } th { "Status" } } }
                tbody { @for i in &inspections { tr { td { a href={"/review/inspections/" (i.id)} { (day(&i.started_at)) } } td { (i.inspector_name) } td { (i.violations) } td { (status_pill(&i.status)) } } } } }
            h2 { "History" }
            table { thead { tr { th { "Effective" } th { "Event" } th { "Value" } th { "Recorded" } } }
                tbody { @for e in &history { tr { td { (e.effective_on) } td { (e.event.replace('_', " ")) } td { (e.value.clone().unwrap_or_default()) } td.muted { (day(&e.recorded_at)) } } } } }
        };
        Ok(page(&s, &f.name, body))
    })
    .await
}

/// `GET /review/ratings/{shipper}`: the shipper's FORM 2359k (a BTU, from its farms' synced
/// rating visits) or FORM 2359L (a plant or station, from its latest rating visit), computed
/// by the shared engine, laid out to print.
fn compute_sheet(
    state: &AppState,
    s: &WebSession,
    id: &str,
) -> PageResult<(reg::Facility, Option<crate::ratings::Computed>)> {
    let conn = reader(state)?;
    let f =
        reg::facility(&conn, &s.agency_id, id)?.ok_or_else(|| PageError::not_found("shipper"))?;
    let computed = match milkshed_shared::registry::FacilityKind::parse(&f.kind) {
        Some(milkshed_shared::registry::FacilityKind::Btu) => {
            crate::ratings::btu_2359k(&conn, &state.server_actor, &s.agency_id, &f)?
        }
        Some(k) if k.is_shipper() => {
            crate::ratings::plant_2359l(&conn, &state.server_actor, &s.agency_id, &f)?
        }
        _ => return Err(PageError::not_found("shipper")),
    };
    Ok((f, computed))
}

fn num(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(t) => t.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The worksheet's rows as `(headers, rows, totals)`, the same for the page and the PDF.
fn sheet_table(r: &serde_json::Value) -> (Vec<String>, Vec<Vec<String>>, Vec<String>) {
    let h = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    if let Some(farms) = r["farms"].as_array() {
        (
            h(&["Farm", "cwt", "Total Debits", "cwt x Debits"]),
            farms
                .iter()
                .map(|f| {
                    vec![
                        num(&f["name"]),
                        num(&f["cwt"]),
                        num(&f["total_debits"]),
                        num(&f["cwt_x_debits"]),
                    ]
                })
                .collect(),
            vec![
                "Totals".into(),
                num(&r["total_cwt"]),
                num(&r["total_debits"]),
                num(&r["total_cwt_x_debits"]),
            ],
        )
    } else {
        let rows = r["rows"].as_array().cloned().unwrap_or_default();
        (
            h(&["Line", "", "cwt", "Total Debits", "cwt x Debits"]),
            rows.iter()
                .map(|x| {
                    vec![
                        num(&x["name"]),
                        num(&x["kind"]),
                        num(&x["cwt"]),
                        num(&x["total_debits"]),
                        num(&x["product"]),
                    ]
                })
                .collect(),
            vec![
                "Totals".into(),
                String::new(),
                num(&r["total_cwt"]),
                num(&r["total_debits"]),
                num(&r["total_product"]),
            ],
        )
    }
}

/// `GET /review/ratings/{shipper}/pdf`: the same worksheet as a PDF for the rating file.
pub async fn rating_sheet_pdf(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Response> {
    run(move || {
        let (f, computed) = compute_sheet(&state, &s, &id)?;
        let c = computed.ok_or_else(|| PageError::not_found("rating of this shipper"))?;
        use crate::pdf::Block;
        let mut blocks = vec![
            Block::Title(format!("FORM FDA {} - {}", c.form, c.shipper)),
            Block::Text(format!(
                "Rating date {}; {} rating visit(s).",
                c.rating_date,
                c.visits.len()
            )),
        ];
        match &c.result {
            Ok(r) => {
                blocks.push(Block::Heading(format!(
                    "Sanitation compliance rating: {} ({})",
                    num(&r["rating"]),
                    num(&r["rating_unrounded"])
                )));
                let (headers, mut rows, totals) = sheet_table(r);
                rows.push(totals);
                let widths = if headers.len() == 4 {
                    vec![0.55, 0.15, 0.15, 0.15]
                } else {
                    vec![0.4, 0.15, 0.15, 0.15, 0.15]
                };
                blocks.push(Block::Table {
                    headers,
                    rows,
                    widths,
                });
                if let Some(min) = c.table1_minimum {
                    blocks.push(Block::Text(format!(
                        "TABLE 1: {min} of {} farms to rate; {} rated.",
                        c.farms_in_listing,
                        c.visits.len()
                    )));
                }
            }
            Err(problems) => {
                blocks.push(Block::Heading(
                    "The visits do not make a worksheet yet".into(),
                ));
                for p in problems {
                    blocks.push(Block::Text(p.clone()));
                }
            }
        }
        let bytes = crate::pdf::render(&format!("FORM {} {}", c.form, f.name), &blocks);
        Ok(pdf_response(&format!("{}-{}.pdf", c.form, f.id), bytes))
    })
    .await
}

fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", super::safe_filename(name)),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub async fn rating_sheet(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Html<String>> {
    run(move || {
        let (f, computed) = compute_sheet(&state, &s, &id)?;
        let Some(c) = computed else {
            let body = html! { p.muted { "No rating visits of " (f.name) " have been synced yet." } };
            return Ok(page(&s, &format!("{} — no rating yet", f.name), body));
        };
        let table = c.result.as_ref().ok().map(sheet_table);
        let body = html! {
            p { a href={"/review/ratings/" (id) "/pdf"} { "PDF for the rating file" } }
            div.grid {
                div { "Form: FDA " (c.form) }
                div { "Shipper: " (c.shipper) }
                div { "Rating date: " (c.rating_date) }
                div { "Visits: " (c.visits.len()) }
                @if let Some(min) = c.table1_minimum {
                    div { "TABLE 1: " (min) " of " (c.farms_in_listing) " farms" @if (c.visits.len() as u32) < min { " " span.breach { "— too few farms rated" } } }
                }
            }
            @match &c.result {
                Err(problems) => {
                    p.breach { "The visits do not make a worksheet yet:" }
                    ul { @for p in problems { li { (p) } } }
                }
                Ok(r) => {
                    p { "Sanitation compliance rating: " strong #rating { (num(&r["rating"])) } " (" (num(&r["rating_unrounded"])) ")" }
                    @if let Some((headers, rows, totals)) = &table {
                        table #sheet {
                            thead { tr { @for h in headers { th { (h) } } } }
                            tbody { @for row in rows { tr { @for c in row { td { (c) } } } } }
                            tfoot { tr { @for t in totals { th { (t) } } } }
                        }
                    }
                    @if let Some(w) = r["warnings"].as_array() { @for x in w { p.breach { (num(x)) } } }
                    p.muted { "Computed by the same engine as milkshed-server rate and the field app (MMSR L284-394, L455-790). Print this page for the rating file." }
                }
            }
            h2 { "Rating visits" }
            ul { @for v in &c.visits { li { a href={"/review/inspections/" (v)} { (v) } } } }
        };
        Ok(page(&s, &format!("FORM {} — {}", c.form, c.shipper), body))
    })
    .await
}

/// The FORM 2359i of a listing rating: its items as `(item, label, value)`, and what the check
/// against the rating's reference edition finds.
struct Form2359i {
    shipper: reg::Facility,
    fields: Vec<(String, String, String)>,
    problems: Vec<String>,
}

fn form_2359i(state: &AppState, s: &WebSession, rating_id: &str) -> PageResult<Form2359i> {
    use milkshed_shared::listing::{check_2359i, Report2359i};
    use milkshed_shared::registry::FacilityKind;
    let conn = reader(state)?;
    let r = reg::listing_ratings(&conn, &s.agency_id, Some(rating_id))?
        .pop()
        .ok_or_else(|| PageError::not_found("listing rating"))?;
    let f = reg::facility(&conn, &s.agency_id, &r.shipper_id)?
        .ok_or_else(|| PageError::not_found("shipper"))?;
    let fk = FacilityKind::parse(&f.kind).ok_or_else(|| PageError::not_found("shipper"))?;
    let kind = crate::record::shipper_kind(fk).ok_or_else(|| PageError::not_found("shipper"))?;
    let settings = reg::agency_settings(&conn, &s.agency_id)?;
    let edition = milkshed_shared::reference::Edition::builtin(&r.reference_edition)
        .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let state_fips = settings
        .home_state
        .as_deref()
        .and_then(|st| edition.fips.iter().find(|x| x.state == st))
        .map(|x| x.code.clone())
        .unwrap_or_default();
    let btu = fk == FacilityKind::Btu;
    let (farms, inspected) = if btu {
        let farms = reg::members(&conn, &f.id)?.len() as u32;
        let rated = crate::ratings::btu_2359k(&conn, &state.server_actor, &s.agency_id, &f)?
            .map(|c| c.visits.len() as u32);
        (Some(farms), rated)
    } else {
        (None, None)
    };
    drop(conn);
    let scr = r.sanitation_rating.map(|v| v.clamp(0, 100) as u32);
    let report = Report2359i {
        kind,
        state_fips: state_fips.clone(),
        shipper_number: f.number.clone().unwrap_or_default(),
        plant_code: None,
        name: f.name.clone(),
        farms,
        farms_inspected: inspected,
        raw_milk_rating: if btu { scr } else { None },
        plant_rating: if btu { None } else { scr },
        enforcement_rating: r.enforcement_rating.clamp(0, 100) as u32,
        earliest_rating_date: r
            .earliest_rating_date
            .parse()
            .map_err(|_| PageError::not_found("listing rating"))?,
        expiry: r
            .expiry
            .parse()
            .map_err(|_| PageError::not_found("listing rating"))?,
        product_codes: r.product_codes.clone(),
    };
    let problems = check_2359i(&report, edition);
    let opt = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_else(|| "-".into());
    let permission = if r.events.iter().any(|e| e.event == "permission_received") {
        "Yes"
    } else {
        "No"
    };
    let fields = vec![
        ("1", "Name of shipper", report.name.clone()),
        (
            "-",
            "State (FIPS)",
            format!(
                "{} ({})",
                settings.home_state.clone().unwrap_or_default(),
                state_fips
            ),
        ),
        ("5", "Plant or BTU #", report.shipper_number.clone()),
        (
            "6",
            "Product codes",
            report
                .product_codes
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("7", "Dairy farms: rating %", opt(report.raw_milk_rating)),
        (
            "7",
            "Dairy farms: total number / number inspected",
            format!("{} / {}", opt(report.farms), opt(report.farms_inspected)),
        ),
        ("7", "Milk plant: rating %", opt(report.plant_rating)),
        (
            "7",
            "Enforcement rating",
            report.enforcement_rating.to_string(),
        ),
        ("7", "Date(s) of rating", r.rating_dates.join(", ")),
        (
            "7",
            "Earliest rating date",
            report.earliest_rating_date.to_string(),
        ),
        ("7", "Expiration rating date", report.expiry.to_string()),
        (
            "9",
            "Permission letter (2359o) transmitted",
            permission.to_string(),
        ),
        ("-", "Reference edition", edition.title.clone()),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c))
    .collect();
    Ok(Form2359i {
        shipper: f,
        fields,
        problems,
    })
}

/// `GET /review/listings/{rating}/2359i`: the FORM 2359i data for submission, checked.
pub async fn form_2359i_page(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Html<String>> {
    run(move || {
        let form = form_2359i(&state, &s, &id)?;
        let body = html! {
            p { a href={"/review/listings/" (id) "/2359i/pdf"} { "PDF" } }
            @if form.problems.is_empty() { p.ok #check { "Checked: the data meets the form's rules." } }
            @else { p.breach #check { "Not ready to submit:" } ul { @for p in &form.problems { li.breach { (p) } } } }
            table #form-2359i {
                thead { tr { th { "Item" } th { "" } th { "Value" } } }
                tbody { @for (item, label, value) in &form.fields { tr { td { (item) } td { (label) } td { strong { (value) } } } } }
            }
            p.muted { "Plant, RS and TS ratings are not published; the enforcement rating and a BTU's raw milk rating are (Procedures L228)." }
        };
        Ok(page(&s, &format!("FORM 2359i — {}", form.shipper.name), body))
    })
    .await
}

/// `GET /review/listings/{rating}/2359i/pdf`
pub async fn form_2359i_pdf(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Response> {
    run(move || {
        use crate::pdf::Block;
        let form = form_2359i(&state, &s, &id)?;
        let mut blocks = vec![
            Block::Title(format!("FORM FDA 2359i - {}", form.shipper.name)),
            Block::Text("Interstate Milk Shipper's Report".into()),
            Block::Table {
                headers: vec!["Item".into(), "".into(), "Value".into()],
                rows: form
                    .fields
                    .iter()
                    .map(|(a, b, c)| vec![a.clone(), b.clone(), c.clone()])
                    .collect(),
                widths: vec![0.08, 0.47, 0.45],
            },
        ];
        if !form.problems.is_empty() {
            blocks.push(Block::Heading("Not ready to submit".into()));
            for p in &form.problems {
                blocks.push(Block::Text(p.clone()));
            }
        }
        let bytes = crate::pdf::render(&format!("FORM 2359i {}", form.shipper.name), &blocks);
        Ok(pdf_response(
            &format!("2359i-{}.pdf", form.shipper.id),
            bytes,
        ))
    })
    .await
}

/// `GET /review/listings`: the listing register, each shipper's current rating, its expiry and
/// standing, and the FORM 2359i data for submission.
pub async fn listings(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let ratings = reg::listing_ratings(&conn, &s.agency_id, None)?;
        let shippers: Vec<reg::Facility> = reg::facilities(&conn, &s.agency_id)?
            .into_iter()
            .filter(|f| milkshed_shared::registry::FacilityKind::parse(&f.kind).is_some_and(|k| k.is_shipper()))
            .collect();
        let mut rows = Vec::new();
        for r in ratings {
            let shipper = reg::facility(&conn, &s.agency_id, &r.shipper_id)?;
            rows.push((r, shipper));
        }
        let today = reg::agency_today(&conn, &s.agency_id)?;
        drop(conn);
        let body = html! {
            @if rows.is_empty() { p.muted { "No ratings in the register yet." } }
            table #listings {
                thead { tr { th { "Shipper" } th { "IMS #" } th { "Products" } th { "Sanitation" } th { "Enforcement" } th { "Earliest rating" } th { "Expires" } th { "Standing" } th { "2359o" } th { "2359i" } } }
                tbody { @for (r, f) in &rows {
                    @let standing = r.expiry.parse::<NaiveDate>().map(|e| register::standing(e, today)).ok();
                    tr {
                        td { a href={"/review/facilities/" (r.shipper_id)} { (f.as_ref().map(|f| f.name.clone()).unwrap_or_default()) } }
                        td { (f.as_ref().and_then(|f| f.number.clone()).unwrap_or_default()) }
                        td { (r.product_codes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")) }
                        td { (r.sanitation_rating.map(|v| v.to_string()).unwrap_or_default()) }
                        td { @if r.enforcement_rating < 90 { span.breach { (r.enforcement_rating) } } @else { (r.enforcement_rating) } }
                        td { (r.earliest_rating_date) }
                        td { (r.expiry) }
                        td { @match standing { Some(Standing::Current) => span.ok { "listed" }, Some(Standing::ExpiresSoon { days_left }) => span.breach { "expires in " (days_left) " days" }, Some(Standing::Expired) => span.breach { "expired" }, None => {} } }
                        td { @if r.events.iter().any(|e| e.event == "permission_received") { span.ok { "received" } } @else if r.events.iter().any(|e| e.event == "permission_sent") { "sent" } @else { span.breach { "not sent" } } }
                        td { a href={"/review/listings/" (r.id) "/2359i"} { "2359i" } }
                    }
                } }
            }
            p.muted { "Published on the IMS List: the enforcement rating and a BTU's raw milk rating; plant and station ratings are not printed (Procedures L228)." }
            p { a href="/review/export/ratings.csv" { "CSV of the register" } }
            h2 { "Sanitation ratings from synced rating visits" }
            ul #sheets { @for f in &shippers { li { a href={"/review/ratings/" (f.id)} { (f.name) } " — FORM " (if f.kind == "btu" { "2359k" } else { "2359L" }) " (" a href={"/review/ratings/" (f.id) "/pdf"} { "PDF" } ")" } } }
        };
        Ok(page(&s, "Ratings & listings", body))
    })
    .await
}
