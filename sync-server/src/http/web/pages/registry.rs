//! The board of what is overdue or breached, and the registry's facilities.

use super::*;

#[derive(Deserialize)]
pub struct DayQuery {
    #[serde(default, deserialize_with = "milkshed_shared::calendar::de_opt_date")]
    today: Option<NaiveDate>,
}

/// The most rows one section of the board shows (the most overdue first); the API lists all.
pub const BOARD_ROWS: usize = 200;

pub(super) fn more_rows(n: usize) -> Markup {
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
        let b = crate::service::board::board(&conn, &s.agency_id, today, None)?;
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
            @if !b.sampler_actions_owed.is_empty() {
                h2 #sampler-actions { "Hauler/samplers: repeat violations awaiting action (" (b.sampler_actions_owed.len()) ")" }
                (more_rows(b.sampler_actions_owed.len()))
                table { thead { tr { th { "Hauler/sampler" } th { "Evaluation" } th { "Repeated" } th { "Rule" } } }
                    tbody { @for a in b.sampler_actions_owed.iter().take(BOARD_ROWS) { tr {
                        td { (fac(&a.facility_id, &a.sampler)) }
                        td { a href={"/review/inspections/" (a.evaluation_id)} { (a.evaluated_on) } }
                        td.breach { @if a.items.is_empty() { "unsatisfactory twice" } @else { "items " (a.items.join(", ")) } }
                        td.muted { (a.rule) }
                    } } } }
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
            @if super::desk::keeps_registry(&s) {
                p.actions { a href="/review/facilities/new" { "New facility" } " · " a href="/review/facilities/import" { "Import from CSV" } }
            }
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
        let warnings = crate::service::registry::listing_warnings(&conn, &members, &id)?;
        let inspections = wdb::inspections_of(&conn, &s.agency_id, &id, 20)?;
        let open = match inspections.iter().find(|i| i.status != "draft") {
            Some(i) => wdb::findings(&conn, &i.id)?.into_iter().filter(|f| f.1 == "violated").collect(),
            None => Vec::new(),
        };
        let today = reg::agency_today(&conn, &s.agency_id)?;
        let b = crate::service::board::board(&conn, &s.agency_id, today, Some(&id))?;
        let listings = super::desk::listings_of(&conn, &s.agency_id)?;
        let users = crate::db::desk::users(&conn, &s.agency_id)?;
        let contact = crate::service::registers::contact_email(&conn, &id)?;
        let assigned = crate::db::desk::assignment_history(&conn, &s.agency_id, &id)?;
        let actions = crate::db::desk::actions(&conn, &s.agency_id, Some(&id), 50)?;
        let card = if f.kind == milkshed_shared::registry::FacilityKind::Hauler.as_str() {
            Some(crate::service::samplers::history_card(&conn, &s.agency_id, &f)?)
        } else {
            None
        };
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
            @if !actions.is_empty() {
                h2 { "Enforcement actions" }
                table #facility-actions { thead { tr { th { "Issued" } th { "Action" } th { "Due" } th { "Cause" } } }
                    tbody { @for a in &actions { tr {
                        td { a href={"/review/actions/" (a.id)} { (a.issued_on) } }
                        td { (milkshed_shared::ledger::ActionKind::parse(&a.kind).map(|k| k.label()).unwrap_or(&a.kind)) }
                        td { (a.due_on.clone().unwrap_or_default()) } td { (a.cause) }
                    } } } }
            }
            (super::enforcement::action_form(&s, &f, today))
            (super::desk::facility_forms(&s, &f, permits.last(), contact.as_deref(), &listings, &users, &assigned))
            @if f.kind == "dairy_farm" { p { a href={"/review/lab/" (f.id)} { "Laboratory ledger" } } }
            @if let Some(card) = &card { (super::samplers::history_card(card)) }
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
