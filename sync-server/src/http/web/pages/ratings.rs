//! The 2359k and 2359L computed from the synced rating visits, the 2359i, their PDFs, and the
//! listing register.

use super::*;
use crate::http::web::WebForm;

/// `GET /review/ratings/{shipper}`: the shipper's FORM 2359k (a BTU, from its farms' synced
/// rating visits) or FORM 2359L (a plant or station, from its latest rating visit), computed
/// by the shared engine, laid out to print.
pub(super) fn compute_sheet(
    state: &AppState,
    s: &WebSession,
    id: &str,
) -> PageResult<(reg::Facility, Option<crate::service::ratings::Computed>)> {
    let conn = reader(state)?;
    let f =
        reg::facility(&conn, &s.agency_id, id)?.ok_or_else(|| PageError::not_found("shipper"))?;
    let computed = match milkshed_shared::registry::FacilityKind::parse(&f.kind) {
        Some(milkshed_shared::registry::FacilityKind::Btu) => {
            crate::service::ratings::btu_2359k(&conn, &state.server_actor, &s.agency_id, &f)?
        }
        Some(k) if k.is_shipper() => {
            crate::service::ratings::plant_2359l(&conn, &state.server_actor, &s.agency_id, &f)?
        }
        _ => return Err(PageError::not_found("shipper")),
    };
    Ok((f, computed))
}

/// The shipper's rating report beside its computed worksheet (the page's and the PDF's).
fn report_of(
    state: &AppState,
    s: &WebSession,
    f: &reg::Facility,
    sheet: Option<&crate::service::ratings::Computed>,
) -> PageResult<Option<crate::service::ratings::Report>> {
    Ok(crate::service::ratings::rating_report(
        &reader(state)?,
        &state.server_actor,
        &s.agency_id,
        f,
        sheet,
    )?)
}

pub(super) fn num(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(t) => t.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The worksheet's rows as `(headers, rows, totals)`, the same for the page and the PDF.
pub(super) fn sheet_table(r: &serde_json::Value) -> (Vec<String>, Vec<Vec<String>>, Vec<String>) {
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
        let report = report_of(&state, &s, &f, computed.as_ref())?;
        let c = computed.ok_or_else(|| PageError::not_found("rating of this shipper"))?;
        use crate::service::pdf::Block;
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
                if !c.lab.is_empty() {
                    blocks.push(Block::Heading(
                        "Laboratory credits from the lab ledger".into(),
                    ));
                    blocks.push(Block::Table {
                        headers: lab_headers().iter().map(|h| h.to_string()).collect(),
                        rows: lab_rows(&c.lab),
                        widths: vec![0.25, 0.17, 0.1, 0.38, 0.1],
                    });
                }
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
        if let Some(r) = &report {
            blocks.extend(report_blocks(r));
        }
        let (draw, listing) = draw_and_listing(&state, &s, &f.id)?;
        if let Some(d) = &draw {
            blocks.push(Block::Heading("The draw".into()));
            blocks.push(Block::Table {
                headers: vec!["".into(), "".into()],
                rows: draw_lines(d).into_iter().map(|(l, v)| vec![l, v]).collect(),
                widths: vec![0.35, 0.65],
            });
        }
        if let Some(l) = &listing {
            blocks.push(Block::Heading("Listing".into()));
            blocks.push(Block::Text(format!(
                "Sanitation compliance rating {}, enforcement rating {}, rated {}, expires {}.",
                l.sanitation_rating
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "-".into()),
                l.enforcement_rating,
                l.rating_dates.join(", "),
                l.expiry
            )));
        }
        let bytes = crate::service::pdf::render(&format!("FORM {} {}", c.form, f.name), &blocks);
        Ok(pdf_response(&format!("{}-{}.pdf", c.form, f.id), bytes))
    })
    .await
}

/// The shipper's latest IMS rating (as the session's user may see it) and its current listing.
fn draw_and_listing(
    state: &AppState,
    s: &WebSession,
    shipper: &str,
) -> PageResult<(Option<serde_json::Value>, Option<reg::ListingRating>)> {
    let conn = reader(state)?;
    let draw = crate::service::ims::latest_of_shipper(&conn, &s.caller(), shipper)?;
    let listing = reg::listing_ratings(&conn, &s.agency_id, None)?
        .into_iter()
        .find(|l| l.shipper_id == shipper);
    Ok((draw, listing))
}

/// The draw's lines: how it was made, what was announced, and the seed once revealed.
fn draw_lines(d: &serde_json::Value) -> Vec<(String, String)> {
    let farms = |v: &serde_json::Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|f| num(&f["name"]))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let mut out = vec![
        (
            "Opened".into(),
            format!("{} ({})", num(&d["opened_on"]), num(&d["method_described"])),
        ),
        ("Producer list dated".into(), num(&d["producers_listed_on"])),
        ("Separated by the 40 % rule".into(), farms(&d["separated"])),
        (
            "TABLE 1: farms to rate".into(),
            format!("{} of {}", num(&d["to_rate"]), num(&d["remaining"])),
        ),
        ("Farms announced".into(), farms(&d["announced"])),
        ("Left to announce".into(), num(&d["left_to_announce"])),
        ("Seed's commitment (SHA-256)".into(), num(&d["commitment"])),
    ];
    match &d["seed"] {
        serde_json::Value::Null => out.push((
            "Seed".into(),
            "kept by the agency record until every farm is announced".into(),
        )),
        seed => out.push((
            "Seed".into(),
            format!(
                "{} — {}",
                num(seed),
                if d["verified"].as_bool() == Some(true) {
                    "the draw recomputes from it"
                } else {
                    "DOES NOT recompute the draw"
                }
            ),
        )),
    }
    out
}

fn draw_section(d: &serde_json::Value) -> Markup {
    html! {
        h2 { "The draw" }
        table #draw { tbody { @for (label, v) in draw_lines(d) { tr { th { (label) } td { (v) } } } } }
    }
}

/// The rating officer's controls of the draw: open a rating (behind its gates), announce
/// today's farms, reveal the seed when every farm is announced. The services decide; a refusal
/// is shown with the lines it names.
fn draw_forms(s: &WebSession, shipper: &str, draw: Option<&serde_json::Value>) -> Markup {
    let officer = s.role == milkshed_shared::authority::Role::RatingOfficer;
    let open = draw.filter(|d| d["seed"].is_null());
    html! {
        @if officer {
            @match open {
                None => {
                    form method="post" action={"/review/ratings/" (shipper) "/open"} #open-rating .filters {
                        (csrf_field(s))
                        label { "Draw by" select name="method" {
                            option value="shuffle" selected { "random selection" }
                            option value="interval" { "interval from a random start" }
                        } }
                        button type="submit" { "Open an IMS rating" }
                    }
                }
                Some(d) => {
                    @let left = d["left_to_announce"].as_u64().unwrap_or(0);
                    @if left > 0 {
                        form method="post" action={"/review/ratings/" (shipper) "/announce"} #announce-day .filters {
                            (csrf_field(s))
                            input type="hidden" name="rating" value=(num(&d["id"]));
                            label { "Farms for today" input type="number" name="farms" min="1" max=(left) value=(left.min(4)) required; }
                            button type="submit" { "Announce today's farms" }
                        }
                    } @else {
                        form method="post" action={"/review/ratings/" (shipper) "/reveal"} #reveal-seed .filters {
                            (csrf_field(s))
                            input type="hidden" name="rating" value=(num(&d["id"]));
                            button type="submit" { "Close the draw and reveal its seed" }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /review/ratings/{shipper}/open`, `/announce`, `/reveal`: the draw's controls, through
/// the same services as `POST /api/ratings`, `/days` and `/reveal`.
pub async fn rating_draw_action(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path((shipper, action)): Path<(String, String)>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let rating = form.text("rating").unwrap_or_default();
    let farms = form
        .text("farms")
        .and_then(|f| f.trim().parse::<usize>().ok());
    let method = form.text("method");
    run(move || {
        use crate::service::ims;
        let caller = s.caller();
        match action.as_str() {
            "open" => {
                ims::open(
                    &state.db,
                    &caller,
                    ims::OpenIn {
                        shipper_id: shipper.clone(),
                        method,
                    },
                )?;
            }
            "announce" => {
                let farms = farms.ok_or_else(|| {
                    PageError::new(StatusCode::BAD_REQUEST, "Farms for today: a number.")
                })?;
                ims::announce_day(&state.db, &caller, &rating, ims::DayIn { farms })?;
            }
            "reveal" => {
                ims::reveal(&state.db, &caller, &rating)?;
            }
            _ => return Err(PageError::not_found("action")),
        }
        Ok(Redirect::to(&format!("/review/ratings/{shipper}")).into_response())
    })
    .await
}

/// Section A's lines of a rating report: the fields the rating officer wrote, then the summary
/// of rating results computed from the rating (never typed).
fn section_a_lines(r: &crate::service::ratings::Report) -> Vec<(String, String)> {
    use milkshed_shared::rating::report;
    let mut out: Vec<(String, String)> = vec![
        ("Rated by".into(), r.officer.clone()),
        ("As of".into(), r.rating_date.to_string()),
    ];
    out.extend(
        report::SECTION_A
            .iter()
            .map(|(key, label)| (label.to_string(), report::section_a_field(&r.entries, key))),
    );
    out.extend(
        r.summary
            .lines()
            .into_iter()
            .map(|(label, v)| (label.to_string(), v)),
    );
    out
}

/// FORM 2359j of the rating, as the tablet signed it: Section A and Section B's rating.
fn report_section(r: &crate::service::ratings::Report) -> Markup {
    html! {
        h2 { "FORM FDA 2359j — milk sanitation rating report" }
        p.muted { "Report " a href={"/review/inspections/" (r.id)} { (r.id) } " · " (r.status.as_str()) }
        h3 { "Section A. Report of the milk sanitation rating" }
        table #section-a { tbody { @for (label, v) in section_a_lines(r) { tr { th { (label) } td { (v) } } } } }
        h3 { "Section B. Report of enforcement methods" }
        @match &r.enforcement {
            Ok(v) => { p { "Enforcement rating: " strong #enforcement-rating { (num(&v["enforcement_rating"])) } " (" (num(&v["enforcement_rating_unrounded"])) ")" } }
            Err(problems) => {
                p.breach { "Section B is not complete:" }
                ul { @for p in problems { li { (p) } } }
            }
        }
    }
}

fn report_blocks(r: &crate::service::ratings::Report) -> Vec<crate::service::pdf::Block> {
    use crate::service::pdf::Block;
    let mut blocks = vec![
        Block::Heading("FORM FDA 2359j - Section A. Report of the milk sanitation rating".into()),
        Block::Table {
            headers: vec!["".into(), "".into()],
            rows: section_a_lines(r)
                .into_iter()
                .map(|(l, v)| vec![l, v])
                .collect(),
            widths: vec![0.45, 0.55],
        },
        Block::Heading("Section B. Report of enforcement methods".into()),
    ];
    match &r.enforcement {
        Ok(v) => blocks.push(Block::Text(format!(
            "Enforcement rating: {} ({})",
            num(&v["enforcement_rating"]),
            num(&v["enforcement_rating_unrounded"])
        ))),
        Err(problems) => {
            blocks.push(Block::Text("Section B is not complete:".into()));
            blocks.extend(problems.iter().map(|p| Block::Text(p.clone())));
        }
    }
    blocks
}

fn lab_headers() -> [&'static str; 5] {
    ["Farm", "Standard", "Column", "Last four results", "Credit"]
}

/// The lab credits as rows, the same for the page and the PDF.
fn lab_rows(lab: &[crate::service::ratings::LabCredit]) -> Vec<Vec<String>> {
    lab.iter()
        .map(|l| {
            let results = if l.last_four.is_empty() {
                "none in the ledger".to_string()
            } else {
                l.last_four
                    .iter()
                    .map(|(d, over)| format!("{d}{}", if *over { " over" } else { "" }))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let credit = match (l.debited, l.required_number_met) {
                (false, _) => "credited",
                (true, false) => "debited: too few samples",
                (true, true) => "debited",
            };
            vec![
                l.farm.clone(),
                l.standard.replace('_', " "),
                l.column.clone(),
                results,
                credit.to_string(),
            ]
        })
        .collect()
}

pub(super) fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"{}\"",
                    crate::http::web::safe_filename(name)
                ),
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
        let report = report_of(&state, &s, &f, computed.as_ref())?;
        let Some(c) = computed else {
            let (draw, _) = draw_and_listing(&state, &s, &f.id)?;
            let body = html! {
                p.muted { "No rating visits of " (f.name) " have been synced yet." }
                @if let Some(d) = &draw { (draw_section(d)) }
                (draw_forms(&s, &f.id, draw.as_ref()))
                @if let Some(r) = &report { (report_section(r)) }
            };
            return Ok(page(&s, &format!("{} — no rating yet", f.name), body));
        };
        let table = c.result.as_ref().ok().map(sheet_table);
        let (draw, listing) = draw_and_listing(&state, &s, &f.id)?;
        let section_c = if c.form == "2359k" {
            let visits: Vec<String> = c.visits.iter().map(|v| v.to_string()).collect();
            Some(crate::service::samplers::section_c(
                &reader(&state)?,
                &s.agency_id,
                &visits,
                c.rating_date,
            )?)
        } else {
            None
        };
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
                    @if !c.lab.is_empty() {
                        h2 { "Laboratory credits from the lab ledger" }
                        table #lab-credits {
                            thead { tr { @for h in lab_headers() { th { (h) } } } }
                            tbody { @for row in lab_rows(&c.lab) { tr { @for x in row { td { (x) } } } } }
                        }
                        p.muted { "Credited when no more than 2 of the last 4 results exceed the standard, the last is within it and the required number was examined in the month of the rating and the six before (MMSR L320-334); a permit under six months is credited on its last result." }
                    }
                    p.muted { "Computed by the same engine as milkshed-server rate and the field app (MMSR L284-394, L455-790). Print this page for the rating file." }
                }
            }
            h2 { "Rating visits" }
            ul { @for v in &c.visits { li { a href={"/review/inspections/" (v)} { (v) } } } }
            @if let Some(r) = &section_c { (super::samplers::section_c(r)) }
            @if let Some(r) = &report { (report_section(r)) } @else {
                p.muted { "No FORM 2359j of this rating has been signed on a tablet yet." }
            }
            @if let Some(d) = &draw { (draw_section(d)) }
            (draw_forms(&s, &f.id, draw.as_ref()))
            h2 { "Listing" }
            @match &listing {
                Some(l) => {
                    table #listing { tbody {
                        tr { th { "Sanitation compliance rating" } td { (l.sanitation_rating.map(|v| v.to_string()).unwrap_or_default()) } }
                        tr { th { "Enforcement rating" } td { (l.enforcement_rating) } }
                        tr { th { "Rating date(s)" } td { (l.rating_dates.join(", ")) } }
                        tr { th { "Expires" } td { (l.expiry) } }
                    } }
                    p { a href={"/review/listings/" (l.id) "/2359i"} { "FORM 2359i" } }
                }
                None => { p.muted { "Not in the listing register yet." } }
            }
        };
        Ok(page(&s, &format!("FORM {} — {}", c.form, c.shipper), body))
    })
    .await
}

/// The FORM 2359i of a listing rating: its items as `(item, label, value)`, and what the check
/// against the rating's reference edition finds.
pub(super) struct Form2359i {
    shipper: reg::Facility,
    fields: Vec<(String, String, String)>,
    problems: Vec<String>,
}

pub(super) fn form_2359i(
    state: &AppState,
    s: &WebSession,
    rating_id: &str,
) -> PageResult<Form2359i> {
    use milkshed_shared::listing::{check_2359i, Report2359i};
    use milkshed_shared::registry::FacilityKind;
    let conn = reader(state)?;
    let r = reg::listing_ratings(&conn, &s.agency_id, Some(rating_id))?
        .pop()
        .ok_or_else(|| PageError::not_found("listing rating"))?;
    let f = reg::facility(&conn, &s.agency_id, &r.shipper_id)?
        .ok_or_else(|| PageError::not_found("shipper"))?;
    let fk = FacilityKind::parse(&f.kind).ok_or_else(|| PageError::not_found("shipper"))?;
    let kind = crate::service::registry::shipper_kind(fk)
        .ok_or_else(|| PageError::not_found("shipper"))?;
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
        let rated =
            crate::service::ratings::btu_2359k(&conn, &state.server_actor, &s.agency_id, &f)?
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
        use crate::service::pdf::Block;
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
        let bytes =
            crate::service::pdf::render(&format!("FORM 2359i {}", form.shipper.name), &blocks);
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
                        td {
                            @let sent = r.events.iter().any(|e| e.event == "permission_sent");
                            @let received = r.events.iter().any(|e| e.event == "permission_received");
                            @if received { span.ok { "received" } } @else if sent { "sent" } @else { span.breach { "not sent" } }
                            @for e in r.events.iter().filter(|e| e.event.starts_with("permission")) { div.muted { (e.event.replace("permission_", "")) " " (e.on_date) " by " (e.by_user) } }
                            (super::residue::permission_forms(&s, &r.id, sent, received))
                        }
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
