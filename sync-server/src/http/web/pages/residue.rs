//! Appendix N and listings on the desk: drug residue events with their notifications, negative
//! results and disposition report, logged with who and when; the 2359o sent and received back
//! for each listing. The forms call `service::registers` as the API does.

use super::*;
use crate::http::web::WebForm;
use crate::service::registers as svc;
use serde_json::{json, Value};

fn text_of(v: &Value, k: &str) -> String {
    match &v[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `GET /review/residue`: the agency's drug residue events and what each still owes.
pub async fn residue(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> PageResult<Html<String>> {
    run(move || {
        let list = svc::list_residue(&state.db, &s.caller())?;
        let conn = reader(&state)?;
        let farms: Vec<reg::Facility> = reg::facilities(&conn, &s.agency_id)?.into_iter().filter(|f| f.kind == "dairy_farm").collect();
        let people = crate::db::desk::users(&conn, &s.agency_id)?;
        drop(conn);
        let who = |id: &str| people.iter().find(|u| u.0 == id).map(|u| u.1.clone()).unwrap_or_else(|| id.to_string());
        let events = list["events"].as_array().cloned().unwrap_or_default();
        let body = html! {
            h2 { "Record a positive (Appendix N)" }
            form method="post" action="/review/residue" #residue-form {
                (csrf_field(&s))
                div.grid {
                    label { "Producer" select name="producer_id" { @for f in &farms { option value=(f.id) { (f.name) } } } }
                    label { "Sampled on" input type="date" name="sampled_on" required; }
                    label { "Time" input type="time" name="time" required; }
                    label { "Tanker load (not a producer sample)" input type="checkbox" name="load" value="1"; }
                    label { "Tanker" input name="tanker"; }
                    label { "Plant" input name="plant" required; }
                    label { "Test method" input name="test_method" required; }
                    label { "Result" input name="result" required; }
                }
                button type="submit" { "Record the positive" }
            }
            h2 { "Events" }
            @for e in &events {
                @let ev = &e["event"];
                @let id = text_of(ev, "id");
                section.review.residue id={"residue-" (id)} {
                    p { strong { (text_of(ev, "producer_id")) } " · " (text_of(ev, "result")) " by " (text_of(ev, "test_method")) " · sampled " (text_of(ev, "sampled_on")) " " (text_of(ev, "sampled_at_time")) " at " (text_of(ev, "plant"))
                        @if e["may_ship"] == json!(false) { " · " span.breach { "held: do not ship" } } @else { " · " span.ok { "may ship" } } }
                    @let due = e["notices_due"].as_array().cloned().unwrap_or_default();
                    @if !due.is_empty() { p.breach.notices-due { "Notices owed: " (due.iter().filter_map(|d| d.as_str()).map(|d| d.replace('_', " ")).collect::<Vec<_>>().join(", ")) } }
                    table { thead { tr { th { "Step" } th { "At" } th { "Detail" } th { "By" } } }
                        tbody { @for st in ev["steps"].as_array().into_iter().flatten() { tr {
                            td { (text_of(st, "step")) } td { (text_of(st, "at")) } td { (st["detail"].to_string()) } td { (who(&text_of(st, "by_user"))) }
                        } } } }
                    form.filters method="post" action={"/review/residue/" (id) "/steps"} {
                        (csrf_field(&s))
                        input type="hidden" name="step" value="notified";
                        label { "Notified" select name="party" { option value="regulatory_agency" { "regulatory agency" } option value="permit_holder" { "permit holder" } } }
                        label { "How" input name="how" required placeholder="phone, e-mail, in person"; }
                        label { "When" input type="datetime-local" name="at" required; }
                        button type="submit" { "Log the notice" }
                    }
                    form.filters method="post" action={"/review/residue/" (id) "/steps"} {
                        (csrf_field(&s))
                        input type="hidden" name="step" value="negative";
                        label { "Negative on" input type="date" name="at" required; }
                        label { "Test method" input name="test_method" required; }
                        button type="submit" { "Log the negative result" }
                    }
                    form.filters method="post" action={"/review/residue/" (id) "/steps"} {
                        (csrf_field(&s))
                        input type="hidden" name="step" value="disposition";
                        @for f in svc::DISPOSITION_FIELDS { label { (f.replace('_', " ")) input name=(f) required; } }
                        label { "Signed by" input name="signed_by" required; }
                        label { "Signed at" input type="datetime-local" name="at" required; }
                        button type="submit" { "Log the disposition report" }
                    }
                }
            }
        };
        Ok(page(&s, "Drug residue (Appendix N)", body))
    })
    .await
}

/// A `datetime-local` value (no offset) as RFC 3339 in the agency's time zone.
fn local_time(conn: &crate::db::Conn, agency: &str, v: &str) -> PageResult<String> {
    if chrono::DateTime::parse_from_rfc3339(v).is_ok() {
        return Ok(v.to_string());
    }
    let naive = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "When: a date and a time."))?;
    let tz = reg::agency_settings(conn, agency)?.time_zone;
    use chrono::TimeZone;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.fixed_offset().to_rfc3339())
        .ok_or_else(|| {
            PageError::new(
                StatusCode::BAD_REQUEST,
                "When: that time does not exist in the agency's time zone.",
            )
        })
}

/// `POST /review/residue`.
pub async fn add_residue(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let v = json!({
        "producer_id": form.text("producer_id").unwrap_or_default(),
        "sampled_on": form.text("sampled_on").unwrap_or_default(),
        "time": form.text("time").unwrap_or_default(),
        "load": form.get("load").is_some(),
        "tanker": form.text("tanker"),
        "plant": form.text("plant").unwrap_or_default(),
        "test_method": form.text("test_method").unwrap_or_default(),
        "result": form.text("result").unwrap_or_default(),
    });
    run(move || {
        let e: svc::ResidueIn = crate::http::web::service_input(v)?;
        svc::add_residue(&state.db, &s.caller(), e)?;
        Ok(Redirect::to("/review/residue").into_response())
    })
    .await
}

/// `POST /review/residue/{id}/steps`: a notification, a negative result or the disposition.
pub async fn residue_step(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let step = form.text("step").unwrap_or_default();
    let mut detail = serde_json::Map::new();
    for (k, v) in &form.0 {
        if !matches!(k.as_str(), "csrf" | "step" | "at") && !v.trim().is_empty() {
            detail.insert(k.clone(), json!(v.trim()));
        }
    }
    let at = form.text("at").unwrap_or_default();
    run(move || {
        let at = if step == "negative" {
            at
        } else {
            let conn = reader(&state)?;
            local_time(&conn, &s.agency_id, &at)?
        };
        let st: svc::StepIn =
            crate::http::web::service_input(json!({"step": step, "at": at, "detail": detail}))?;
        svc::residue_step(&state.db, &s.caller(), id, st)?;
        Ok(Redirect::to("/review/residue").into_response())
    })
    .await
}

/// The 2359o forms of a listing on the listings page.
pub(super) fn permission_forms(
    s: &WebSession,
    listing_id: &str,
    sent: bool,
    received: bool,
) -> Markup {
    if !matches!(
        s.role,
        crate::service::auth::Role::RatingOfficer | crate::service::auth::Role::Admin
    ) || received
    {
        return html! {};
    }
    html! {
        form.filters.permission method="post" action={"/review/listings/" (listing_id) "/events"} {
            (csrf_field(s))
            @if !sent {
                input type="hidden" name="event" value="permission_sent";
                label { "2359o sent on" input type="date" name="on" required; }
                button type="submit" { "Record sent" }
            } @else {
                input type="hidden" name="event" value="permission_received";
                label { "Received on" input type="date" name="on" required; }
                label { "Signed by" input name="signed_by" required; }
                label { "Title" input name="title" required; }
                button type="submit" { "Record received" }
            }
        }
    }
}

/// `POST /review/listings/{id}/events`: the 2359o sent or received back signed.
pub async fn listing_event(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let mut detail = serde_json::Map::new();
    for k in ["signed_by", "title", "recipient"] {
        if let Some(v) = form.text(k) {
            detail.insert(k.into(), json!(v));
        }
    }
    let v = json!({"event": form.text("event").unwrap_or_default(), "on": form.text("on").unwrap_or_default(), "detail": detail});
    run(move || {
        let e: svc::ListingEventIn = crate::http::web::service_input(v)?;
        svc::listing_event(&state.db, &s.caller(), id, e)?;
        Ok(Redirect::to("/review/listings").into_response())
    })
    .await
}
