//! Permits and enforcement on the desk: an action of any kind the MMSR names recorded from a
//! facility's page (with the permit change it brings), the agency's actions, each action's
//! letters (drafted from the agency's versioned template, approved by a supervisor, printed as
//! the PDF stored with the approval), and the templates' editor.

use super::*;
use crate::db::desk;
use crate::http::web::WebForm;
use crate::service::{letters, office};
use milkshed_shared::ledger::ActionKind;

/// The enforcement form on a facility's page.
pub(super) fn action_form(s: &WebSession, f: &reg::Facility, today: NaiveDate) -> Markup {
    if !super::desk::keeps_registry(s) {
        return html! {};
    }
    html! {
        h2 { "Record an enforcement action" }
        form method="post" action={"/review/facilities/" (f.id) "/actions"} #action-form {
            (csrf_field(s))
            div.grid {
                label { "Action" select name="kind" {
                    @for k in ActionKind::ALL { option value=(k.as_str()) { (k.label()) } }
                } }
                label { "Issued on" input type="date" name="issued_on" value=(today) required; }
                label { "Cause (finding or lab result)" input name="cause" required; }
                label { "Permit holder's e-mail, if not the one on record" input type="email" name="recipient"; }
            }
            label { "Findings stated in the letter" textarea name="findings" {} }
            p { button type="submit" { "Record the action and draft its letter" } }
        }
    }
}

/// `POST /review/facilities/{id}/actions`: `service::office::add_action` with the signed-in
/// user as the caller; the action's page shows its letter to approve.
pub async fn add_action(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let issued_on: NaiveDate = form
        .text("issued_on")
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, "Issued on: the action's date."))?;
    let a = office::ActionIn {
        subject_id: id,
        kind: form.text("kind").unwrap_or_default(),
        issued_on,
        cause: form.text("cause").unwrap_or_default(),
        amends: None,
        findings: form.text("findings").unwrap_or_default(),
        recipient: form.text("recipient"),
        lab_standard: form.text("lab_standard"),
    };
    run(move || {
        let v = office::add_action(&state.db, &s.caller(), a)?;
        let action = v["id"].as_str().unwrap_or_default().to_string();
        Ok(Redirect::to(&format!("/review/actions/{action}")).into_response())
    })
    .await
}

/// `GET /review/actions`: the agency's enforcement actions, newest first.
pub async fn actions(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let list = desk::actions(&conn, &s.agency_id, None, 500)?;
        drop(conn);
        let body = html! {
            p { a href="/review/templates" { "Letter templates" } }
            table #actions {
                thead { tr { th { "Issued" } th { "Facility" } th { "Action" } th { "Due" } th { "Done" } th { "By" } th { "Cause" } } }
                tbody { @for a in &list { tr {
                    td { a href={"/review/actions/" (a.id)} { (a.issued_on) } }
                    td { a href={"/review/facilities/" (a.subject_id)} { (a.subject_name) } }
                    td { (ActionKind::parse(&a.kind).map(|k| k.label()).unwrap_or(&a.kind)) }
                    td { (a.due_on.clone().unwrap_or_default()) }
                    td { (a.completed_on.clone().unwrap_or_default()) }
                    td { (a.issued_by) } td { (a.cause) }
                } } }
            }
        };
        Ok(page(&s, "Enforcement actions", body))
    })
    .await
}

/// `GET /review/actions/{id}`: an action with its letters.
pub async fn action(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let a = desk::action(&conn, &s.agency_id, &id)?.ok_or_else(|| PageError::not_found("enforcement action"))?;
        let letters = desk::letters_of(&conn, &s.agency_id, &id)?;
        drop(conn);
        let kind = ActionKind::parse(&a.kind);
        let approver = super::desk::keeps_registry(&s);
        let body = html! {
            div.grid #action {
                div { "Facility: " a href={"/review/facilities/" (a.subject_id)} { (a.subject_name) } }
                div { "Action: " strong { (kind.map(|k| k.label()).unwrap_or(&a.kind)) } }
                div { "Issued: " (a.issued_on) " by " (a.issued_by) }
                div { "Due: " (a.due_on.clone().unwrap_or_else(|| "—".into())) }
                div { "Cause: " (a.cause) }
                @if let Some(k) = kind { div { "Rule: " (k.rule_cited()) } }
            }
            @for l in &letters {
                section.review.letter {
                    h2 { (l.subject) }
                    p.muted { "Drafted by " (l.drafted_by) " " (day(&l.drafted_at)) " from template version " (l.template_version)
                        @if let Some(r) = &l.recipient { " · to " (r) } }
                    pre style="white-space:pre-wrap;font:inherit" { (l.body) }
                    @match (&l.approved_at, &l.dated_on) {
                        (Some(_), Some(dated)) => {
                            p.ok.approved { "Approved by " (l.approved_by.clone().unwrap_or_default()) ", dated " (dated) ". "
                                a.letter-pdf href={"/review/letters/" (l.id) "/pdf"} { "Print the letter (PDF)" } }
                        }
                        _ => {
                            @if approver {
                                form method="post" action={"/review/letters/" (l.id) "/approve"} {
                                    (csrf_field(&s))
                                    button.accept type="submit" { "Approve, date and send" }
                                }
                            } @else { p.muted { "Awaiting a supervisor's approval." } }
                        }
                    }
                }
            }
            @if approver {
                h2 { "Draft another letter" }
                form method="post" action={"/review/actions/" (a.id) "/letters"} {
                    (csrf_field(&s))
                    label { "Permit holder's e-mail" input type="email" name="recipient"; }
                    label { "Findings" textarea name="findings" {} }
                    button type="submit" { "Draft from the current template" }
                }
            }
        };
        Ok(page(&s, "Enforcement action", body))
    })
    .await
}

/// `POST /review/actions/{id}/letters`: another draft from the current template.
pub async fn draft_letter(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let findings = form.text("findings").unwrap_or_default();
    let recipient = form.text("recipient");
    run(move || {
        letters::draft(&state.db, &s.caller(), &id, &findings, recipient.as_deref())?;
        Ok(Redirect::to(&format!("/review/actions/{id}")).into_response())
    })
    .await
}

/// `POST /review/letters/{id}/approve`.
pub async fn approve_letter(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    run(move || {
        letters::approve(&state.db, &s.caller(), &id)?;
        let conn = reader(&state)?;
        let l = desk::letter(&conn, &s.agency_id, &id)?
            .ok_or_else(|| PageError::not_found("letter"))?;
        Ok(Redirect::to(&format!("/review/actions/{}", l.action_id)).into_response())
    })
    .await
}

/// `GET /review/letters/{id}/pdf`: the letter as approved.
pub async fn letter_pdf(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Response> {
    run(move || {
        let conn = reader(&state)?;
        let pdf = desk::letter_pdf(&conn, &s.agency_id, &id)?
            .ok_or_else(|| PageError::not_found("approved letter"))?;
        let name = crate::http::web::safe_filename(&format!("letter-{id}.pdf"));
        Ok((
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{name}\""),
                ),
            ],
            pdf,
        )
            .into_response())
    })
    .await
}

/// `GET /review/templates`: each action kind's current template.
pub async fn templates(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let list = ActionKind::ALL
            .into_iter()
            .map(|k| letters::template_for(&conn, &s.agency_id, k).map(|t| (k, t)))
            .collect::<Result<Vec<_>, _>>()?;
        drop(conn);
        let body = html! {
            p.muted { "Merge fields: " @for f in milkshed_shared::letters::FIELDS { code { "{{" (f) "}}" } " " } }
            table #templates {
                thead { tr { th { "Action" } th { "Version" } th { "Saved" } } }
                tbody { @for (k, t) in &list { tr {
                    td { a href={"/review/templates/" (k.as_str())} { (k.label()) } }
                    td { (t.version) @if t.version == 0 { " (built in)" } }
                    td { (t.created_by) " " (day(&t.created_at)) }
                } } }
            }
        };
        Ok(page(&s, "Letter templates", body))
    })
    .await
}

fn template_editor(
    s: &WebSession,
    kind: ActionKind,
    t: &desk::Template,
    error: Option<&str>,
) -> Markup {
    html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        p.muted { "Version " (t.version) @if t.version == 0 { " (built in)" } ". Saving makes a new version; letters already drafted keep theirs." }
        form method="post" action={"/review/templates/" (kind.as_str())} #template-form {
            (csrf_field(s))
            label { "Subject" input name="subject" value=(t.subject) required style="width:100%"; }
            label { "Body" textarea name="body" rows="18" { (t.body) } }
            p { button type="submit" { "Save a new version" } }
        }
    }
}

/// `GET /review/templates/{kind}`.
pub async fn template(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(kind): Path<String>,
) -> PageResult<Html<String>> {
    let k = ActionKind::parse(&kind).ok_or_else(|| PageError::not_found("action kind"))?;
    run(move || {
        let conn = reader(&state)?;
        let t = letters::template_for(&conn, &s.agency_id, k)?;
        drop(conn);
        Ok(page(
            &s,
            &format!("Template: {}", k.label()),
            template_editor(&s, k, &t, None),
        ))
    })
    .await
}

/// `POST /review/templates/{kind}`.
pub async fn save_template(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(kind): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let k = ActionKind::parse(&kind).ok_or_else(|| PageError::not_found("action kind"))?;
    let subject = form.get("subject").unwrap_or_default().to_string();
    let body = form.get("body").unwrap_or_default().replace("\r\n", "\n");
    run(
        move || match letters::save_template(&state.db, &s.caller(), k.as_str(), &subject, &body) {
            Ok(_) => Ok(Redirect::to("/review/templates").into_response()),
            Err(e) => {
                let PageError(status, message) = PageError::from(e);
                let t = desk::Template {
                    kind: kind.clone(),
                    version: -1,
                    subject,
                    body,
                    created_by: String::new(),
                    created_at: String::new(),
                };
                Ok((
                    status,
                    page(
                        &s,
                        &format!("Template: {}", k.label()),
                        template_editor(&s, k, &t, Some(&message)),
                    ),
                )
                    .into_response())
            }
        },
    )
    .await
}
