//! The supervisor's desk for the registry: a new facility with its permit, a bulk import of
//! facilities from CSV with a preview, a farm's move between listings (the 40 % warning shown
//! before it is saved) and its inspector's assignment. Each form calls the same service as the
//! API (`service::registers`), with the signed-in user as the caller.

use super::*;
use crate::http::web::WebForm;
use crate::service::registers as svc;
use milkshed_shared::registry::FacilityKind;
use serde_json::{json, Value};

/// Who keeps the registry on the pages (the services check it again).
pub(super) fn keeps_registry(s: &WebSession) -> bool {
    matches!(
        s.role,
        crate::service::auth::Role::Supervisor | crate::service::auth::Role::Admin
    )
}

/// The listings a farm may ship in (the kinds `FacilityKind::takes_farms` names).
pub(super) fn listings_of(conn: &crate::db::Conn, agency: &str) -> PageResult<Vec<reg::Facility>> {
    let kinds: Vec<&str> = FacilityKind::ALL
        .into_iter()
        .filter(|k| k.takes_farms())
        .map(FacilityKind::as_str)
        .collect();
    Ok(reg::facilities_of_kinds(conn, agency, &kinds)?)
}

fn facility_form(
    s: &WebSession,
    listings: &[reg::Facility],
    f: &WebForm,
    error: Option<&str>,
) -> Markup {
    let v = |k: &str| f.get(k).unwrap_or_default().to_string();
    html! {
        @if let Some(e) = error { p.error role="alert" #form-error { (e) } }
        form method="post" action="/review/facilities/new" #new-facility {
            (csrf_field(s))
            div.grid {
                label { "Kind" select name="kind" {
                    @for k in FacilityKind::ALL { option value=(k.as_str()) selected[v("kind") == k.as_str()] { (k.as_str().replace('_', " ")) } }
                } }
                label { "Name" input name="name" value=(v("name")) required maxlength="120"; }
                label { "Producer / IMS number" input name="number" value=(v("number")) maxlength="40"; }
                label { "Permitting State" input name="permit_state" value=(v("permit_state")) maxlength="2" placeholder="home State"; }
                label { "Pounds daily" input name="pounds_daily" value=(v("pounds_daily")) inputmode="numeric"; }
                label { "Permit number" input name="permit_number" value=(v("permit_number")) maxlength="40"; }
                label { "Permit issued on" input name="permit_issued_on" type="date" value=(v("permit_issued_on")); }
                label { "Ships in (farms)" select name="listing" {
                    option value="" { "—" }
                    @for l in listings { option value=(l.id) selected[v("listing") == l.id] { (l.name) } }
                } }
                label { "Id (optional)" input name="id" value=(v("id")) maxlength="64" pattern="[A-Za-z0-9._-]+"; }
            }
            p { button type="submit" { "Add to the registry" } }
        }
    }
}

/// The form's fields as the registry's JSON input.
fn facility_json(f: &WebForm) -> PageResult<Value> {
    let mut v = serde_json::Map::new();
    for k in ["id", "kind", "name", "number", "permit_state", "listing"] {
        if let Some(x) = f.text(k) {
            v.insert(k.into(), json!(x));
        }
    }
    if !v.contains_key("name") {
        v.insert("name".into(), json!(""));
    }
    if let Some(p) = f.text("pounds_daily") {
        let n: i64 = p.replace(',', "").parse().map_err(|_| {
            PageError::new(StatusCode::BAD_REQUEST, "Pounds daily: a whole number.")
        })?;
        v.insert("pounds_daily".into(), json!(n));
    }
    match (f.text("permit_number"), f.text("permit_issued_on")) {
        (None, None) => {}
        (Some(n), Some(on)) => {
            v.insert("permit".into(), json!({"number": n, "issued_on": on}));
        }
        _ => {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "A permit needs its number and its date of issue.",
            ))
        }
    }
    Ok(Value::Object(v))
}

/// `GET /review/facilities/new`.
pub async fn new_facility(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let listings = listings_of(&conn, &s.agency_id)?;
        drop(conn);
        let body = html! {
            p.muted { "A farm, plant, station, BTU or hauler with its permit. Or " a href="/review/facilities/import" { "import many from CSV" } "." }
            (facility_form(&s, &listings, &WebForm(vec![("kind".into(), "dairy_farm".into())]), None))
        };
        Ok(page(&s, "New facility", body))
    })
    .await
}

/// `POST /review/facilities/new`: adds the facility (`service::registers::add_facility`); a
/// refusal shows the form again with what was typed and the reason.
pub async fn add_facility(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    run(move || {
        let attempt = facility_json(&form).and_then(|v| {
            crate::service::registry::FacilityInput::from_json(&v)
                .map_err(|e| PageError::new(StatusCode::BAD_REQUEST, e))
        });
        let outcome = attempt.and_then(|input| {
            svc::add_facility(&state.db, &s.caller(), input).map_err(PageError::from)
        });
        match outcome {
            Ok(v) => {
                let id = v["id"].as_str().unwrap_or_default().to_string();
                Ok(Redirect::to(&format!("/review/facilities/{id}?added=1")).into_response())
            }
            Err(PageError(status, message)) => {
                let conn = reader(&state)?;
                let listings = listings_of(&conn, &s.agency_id)?;
                drop(conn);
                let body = facility_form(&s, &listings, &form, Some(&message));
                Ok((status, page(&s, "New facility", body)).into_response())
            }
        }
    })
    .await
}

fn import_form(s: &WebSession) -> Markup {
    html! {
        form method="post" action="/review/facilities/import" enctype="multipart/form-data" #import-form {
            (csrf_field(s))
            input type="hidden" name="step" value="preview";
            label { "CSV file" input type="file" name="csv" accept=".csv,text/csv"; }
            p.muted { "Columns (any order, with a header): " code { (svc::COLUMNS.join(", ")) } ". Kind defaults to dairy_farm." }
            p { button type="submit" { "Check the file" } }
        }
    }
}

/// `GET /review/facilities/import`.
pub async fn import_page(Extension(s): Extension<WebSession>) -> PageResult<Html<String>> {
    Ok(page(&s, "Import facilities", import_form(&s)))
}

/// `POST /review/facilities/import`: `step=preview` checks every row (the import's own path,
/// rolled back) and shows what it would add or every line and field at fault; `step=import`
/// writes the file, all rows or none.
pub async fn import_facilities(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let write = form.get("step") == Some("import");
    let text = form.get("csv").unwrap_or_default().to_string();
    run(move || {
        let o = svc::import_facilities(&state.db, &s.caller(), &text, write)?;
        if o.written {
            let body = html! {
                p.ok #import-done { (o.rows.len()) " facilities imported." }
                p { a href="/review/facilities" { "See the registry" } }
            };
            return Ok(page(&s, "Import facilities", body).into_response());
        }
        let status = if o.problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
        let body = html! {
            @if o.problems.is_empty() {
                p.ok #import-ready { (o.rows.len()) " rows are good. Nothing is written until you import them." }
                form method="post" action="/review/facilities/import" enctype="multipart/form-data" {
                    (csrf_field(&s))
                    input type="hidden" name="step" value="import";
                    textarea name="csv" hidden { (text) }
                    p { button type="submit" #import-confirm { "Import " (o.rows.len()) " facilities" } }
                }
            } @else {
                p.error role="alert" #import-refused { "Nothing was imported: " (o.problems.len()) " problem" @if o.problems.len() != 1 { "s" } " in the file. Mend them and check it again." }
                table #import-problems {
                    thead { tr { th { "Line" } th { "Field" } th { "Problem" } } }
                    tbody { @for p in &o.problems { tr { td { (p.line) } td { (p.field) } td { (p.message) } } } }
                }
                (import_form(&s))
            }
            h2 { "Rows checked (" (o.rows.len()) ")" }
            table #import-rows {
                thead { tr { th { "Line" } th { "Id" } th { "Name" } th { "Kind" } th { "Warnings" } } }
                tbody { @for r in o.rows.iter().take(500) { tr {
                    td { (r.line) } td { (r.id) } td { (r.name) } td { (r.kind.replace('_', " ")) }
                    td { @for w in &r.warnings { span.breach { (w) } } }
                } } }
            }
        };
        Ok((status, page(&s, "Import facilities", body)).into_response())
    })
    .await
}

/// The desk's forms on a facility's page: move a farm, assign its inspector.
pub(super) fn facility_forms(
    s: &WebSession,
    f: &reg::Facility,
    permit: Option<&reg::Permit>,
    contact: Option<&str>,
    listings: &[reg::Facility],
    users: &[crate::db::desk::UserRow],
    assigned: &[crate::db::desk::Assignment],
) -> Markup {
    if !keeps_registry(s) {
        return html! {};
    }
    let current = assigned.first();
    html! {
        @if let Some(p) = permit {
            h2 { "Change the permit's status" }
            p.muted { "An enforcement action below records the action and its letter; this form records a status alone (issued, expired, …)." }
            form method="post" action={"/review/permits/" (p.id) "/status"} #permit-form .filters {
                (csrf_field(s))
                label { "Status" select name="status" {
                    @for st in milkshed_shared::registry::PermitStatus::ALL { @if st.as_str() != p.status { option value=(st.as_str()) { (st.as_str()) } } }
                } }
                label { "Effective" input type="date" name="effective_on" required; }
                label { "Reason" input name="reason" required; }
                button type="submit" { "Change" }
            }
        }
        @if f.kind == FacilityKind::DairyFarm.as_str() {
            h2 { "Appendix P category" }
            form method="post" action={"/review/facilities/" (f.id) "/appendix-p"} #appendix-p-form .filters {
                (csrf_field(s))
                label { "Inspected every" select name="category" {
                    @for m in [12, 6, 4, 3] { option value=(m) selected[m == 6] { (m) " months" } }
                } }
                label { "From its re-categorization on" input type="date" name="effective_on" required; }
                button type="submit" { "Record" }
            }
        }
        h2 { "Name" }
        form method="post" action={"/review/facilities/" (f.id) "/name"} #name-form .filters {
            (csrf_field(s))
            label { "Name" input name="name" value=(f.name) required maxlength="120"; }
            button type="submit" { "Rename" }
        }
        h2 { "Permit holder's e-mail" }
        form method="post" action={"/review/facilities/" (f.id) "/contact"} #contact-form .filters {
            (csrf_field(s))
            label { "Letters go to" input type="email" name="email" value=(contact.unwrap_or_default()); }
            button type="submit" { "Save" }
        }
        h2 { "Volume" }
        form method="post" action={"/review/facilities/" (f.id) "/pounds"} #pounds-form .filters {
            (csrf_field(s))
            label { "Pounds daily" input name="pounds_daily" inputmode="numeric" value=(f.pounds_daily.map(|p| p.to_string()).unwrap_or_default()) required; }
            label { "Effective" input type="date" name="effective_on" required; }
            button type="submit" { "Record" }
        }
        h2 { "Assignment" }
        p #assigned { @match current.and_then(|a| a.user_name.as_ref()) {
            Some(n) => { "Assigned to " strong { (n) } } ,
            None => { "Not assigned." }
        } }
        form method="post" action={"/review/facilities/" (f.id) "/assign"} #assign-form .filters {
            (csrf_field(s))
            label { "Inspector" select name="user" {
                option value="" { "— nobody —" }
                @for (id, name, role, _) in users { @if role == "sanitarian" || role == "supervisor" {
                    option value=(id) selected[current.and_then(|a| a.user_id.as_deref()) == Some(id.as_str())] { (name) }
                } }
            } }
            label { "Reason" input name="reason" required placeholder="e.g. route change"; }
            button type="submit" { "Assign" }
        }
        @if assigned.len() > 1 || current.is_some() {
            table #assignment-history { thead { tr { th { "Since" } th { "Inspector" } th { "By" } th { "Reason" } } }
                tbody { @for a in assigned { tr { td { (day(&a.assigned_at)) } td { (a.user_name.clone().unwrap_or_else(|| "nobody".into())) } td { (a.assigned_by) } td { (a.reason) } } } } }
        }
        @if f.kind == FacilityKind::DairyFarm.as_str() {
            h2 { "Move to another listing" }
            p.muted { "A farm ships in one listing only; it leaves the one it is in." }
            form method="post" action={"/review/facilities/" (f.id) "/move"} #move-form .filters {
                (csrf_field(s))
                label { "Listing" select name="listing" {
                    @for l in listings { @if f.listing.as_deref() != Some(l.id.as_str()) { option value=(l.id) { (l.name) } } }
                } }
                label { "Effective" input type="date" name="effective_on" required; }
                button type="submit" name="step" value="preview" { "Check the move" }
            }
        }
    }
}

/// `POST /review/facilities/{id}/move`: `step=preview` shows the move's warnings before it is
/// saved; `step=move` saves it.
pub async fn move_farm(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let write = form.get("step") == Some("move");
    let listing = form.text("listing").unwrap_or_default();
    let on: NaiveDate = form
        .text("effective_on")
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| {
            PageError::new(StatusCode::BAD_REQUEST, "Effective: the date of the move.")
        })?;
    run(move || {
        let m = svc::ListingMoveIn::new(listing.clone(), on);
        let v = svc::move_farm(&state.db, &s.caller(), id.clone(), m, write)?;
        if write {
            return Ok(Redirect::to(&format!("/review/facilities/{id}")).into_response());
        }
        let warnings: Vec<String> = v["warnings"].as_array().into_iter().flatten().filter_map(|w| w.as_str().map(str::to_string)).collect();
        let body = html! {
            p #move-summary { "The farm leaves " strong { (v["left"].as_str().unwrap_or("no listing")) } " and ships in " strong { (listing) } " from " (on) "." }
            @if warnings.is_empty() { p.ok { "No warning." } }
            @for w in &warnings { p.breach.move-warning { (w) } }
            form method="post" action={"/review/facilities/" (id) "/move"} {
                (csrf_field(&s))
                input type="hidden" name="listing" value=(listing);
                input type="hidden" name="effective_on" value=(on);
                button type="submit" name="step" value="move" #move-confirm { "Move the farm" }
                " " a href={"/review/facilities/" (id)} { "Cancel" }
            }
        };
        Ok(page(&s, "Move a farm", body).into_response())
    })
    .await
}

/// `POST /review/permits/{id}/status`: a status change alone (`service::registers::permit_status`).
pub async fn permit_status(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let v = json!({
        "status": form.text("status").unwrap_or_default(),
        "effective_on": form.text("effective_on").unwrap_or_default(),
        "reason": form.text("reason").unwrap_or_default(),
    });
    run(move || {
        let input: svc::PermitStatusIn = crate::http::web::service_input(v)?;
        let conn = reader(&state)?;
        let facility = reg::permit(&conn, &s.agency_id, &id)?
            .map(|p| p.facility_id)
            .ok_or_else(|| PageError::not_found("permit"))?;
        drop(conn);
        svc::permit_status(&state.db, &s.caller(), id, input)?;
        Ok(Redirect::to(&format!("/review/facilities/{facility}")).into_response())
    })
    .await
}

/// `POST /review/facilities/{id}/pounds`: the facility's daily pounds from a date.
pub async fn set_pounds(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let pounds: i64 = form
        .text("pounds_daily")
        .and_then(|p| p.replace(',', "").parse().ok())
        .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, "Pounds daily: a whole number."))?;
    let v = json!({"pounds_daily": pounds, "effective_on": form.text("effective_on").unwrap_or_default()});
    run(move || {
        let input: svc::PoundsIn = crate::http::web::service_input(v)?;
        svc::set_pounds(&state.db, &s.caller(), id.clone(), input)?;
        Ok(Redirect::to(&format!("/review/facilities/{id}")).into_response())
    })
    .await
}

/// `POST /review/facilities/{id}/appendix-p`: a farm's performance-based category.
pub async fn set_appendix_p(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let category: u32 = form
        .text("category")
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| {
            PageError::new(StatusCode::BAD_REQUEST, "Category: 12, 6, 4 or 3 months.")
        })?;
    let v = json!({"category": category, "effective_on": form.text("effective_on").unwrap_or_default()});
    run(move || {
        let input: svc::AppendixPIn = crate::http::web::service_input(v)?;
        svc::set_appendix_p(&state.db, &s.caller(), id.clone(), input)?;
        Ok(Redirect::to(&format!("/review/facilities/{id}")).into_response())
    })
    .await
}

/// `POST /review/lab/laboratories`: a laboratory's approval (a new record each time).
pub async fn add_laboratory(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let v = json!({
        "lab_number": form.text("lab_number").unwrap_or_default(),
        "name": form.text("name").unwrap_or_default(),
        "classification": form.text("classification").unwrap_or_default(),
        "approved_until": form.text("approved_until").unwrap_or_default(),
    });
    run(move || {
        let input: svc::LaboratoryIn = crate::http::web::service_input(v)?;
        svc::add_laboratory(&state.db, &s.caller(), input)?;
        Ok(Redirect::to("/review/lab").into_response())
    })
    .await
}

/// `POST /review/facilities/{id}/name`: a new name (its history keeps the old one).
pub async fn rename(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let name = form.get("name").unwrap_or_default().to_string();
    run(move || {
        svc::rename(&state.db, &s.caller(), &id, &name)?;
        Ok(Redirect::to(&format!("/review/facilities/{id}")).into_response())
    })
    .await
}

/// `POST /review/facilities/{id}/contact`: the permit holder's e-mail address.
pub async fn set_contact(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let email = form.text("email");
    run(move || {
        svc::set_contact_email(&state.db, &s.caller(), &id, email.as_deref())?;
        Ok(Redirect::to(&format!("/review/facilities/{id}")).into_response())
    })
    .await
}

/// `POST /review/facilities/{id}/assign`.
pub async fn assign(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let user = form.text("user");
    let reason = form.text("reason").unwrap_or_default();
    run(move || {
        crate::service::assignments::assign(&state.db, &s.caller(), &id, user.as_deref(), &reason)?;
        Ok(Redirect::to(&format!("/review/facilities/{id}")).into_response())
    })
    .await
}
