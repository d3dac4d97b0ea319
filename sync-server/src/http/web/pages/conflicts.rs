//! The conflict queue on the desk: inspections whose merged documents hold conflicting values;
//! each field with every value, who set it and when; pick one (`service::conflicts::resolve`)
//! or return the inspection to its inspector.

use super::*;
use crate::http::web::WebForm;
use crate::service::conflicts;

/// `GET /review/conflicts`.
pub async fn queue(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
) -> PageResult<Html<String>> {
    run(move || {
        let conn = reader(&state)?;
        let rows = conflicts::queue(&conn, &s.agency_id)?;
        drop(conn);
        let body = html! {
            @if rows.is_empty() { p.muted #no-conflicts { "No inspection holds conflicting values." } }
            @else {
                table #conflicts {
                    thead { tr { th { "Inspection" } th { "Facility" } th { "Inspector" } th { "Status" } th { "Fields in conflict" } } }
                    tbody { @for (r, n) in &rows { tr {
                        td { a href={"/review/conflicts/" (r.id)} { (day(&r.started_at)) " " (r.kind.replace('_', " ")) } }
                        td { (r.subject_name) } td { (r.inspector_name) } td { (status_pill(&r.status)) } td { (n) }
                    } } }
                }
            }
        };
        Ok(page(&s, "Conflicting values", body))
    })
    .await
}

fn millis(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "unknown time".into())
}

/// `GET /review/conflicts/{id}`.
pub async fn inspection(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Html<String>> {
    let uuid = super::inspection::parse_id(&id)?;
    run(move || {
        let actor = state.web_actor(&s.user_id);
        let (view, details) = conflicts::details(&state.db, &s.agency_id, uuid, &actor)?;
        let conn = reader(&state)?;
        let st = state.clone();
        let names = conflicts::actor_names(&conn, &s.agency_id, &|u| st.web_actor(u))?;
        drop(conn);
        let who = |a: &str| names.get(a).cloned().unwrap_or_else(|| format!("actor {}", a.chars().take(12).collect::<String>()));
        let body = html! {
            p { a href={"/review/inspections/" (id)} { (view.header.subject.name) " — " (view.header.kind.as_str().replace('_', " ")) " by " (view.header.inspector.name) } " · " (status_pill(view.status.as_str())) }
            @if !view.status.editable() { p.muted { "This inspection is " (view.status.as_str()) ": the value shown may be confirmed; choosing another changes what was signed, so return it for its inspector to resolve." } }
            @if details.is_empty() { p.ok #resolved { "No conflicting values remain." } }
            @for c in &details {
                section.review.conflict data-path=(c.path) {
                    h2 { code { (c.path) } }
                    form method="post" action={"/review/conflicts/" (id)} {
                        (csrf_field(&s))
                        input type="hidden" name="path" value=(c.path);
                        table { thead { tr { th {} th { "Value" } th { "Set by" } th { "When" } } }
                            tbody { @for (n, v) in c.values.iter().enumerate() { tr {
                                td { input type="radio" name="choice" value=(n) required checked[n == 0] disabled[!c.resolvable]; }
                                td { strong { (v.value) } @if n == 0 { span.muted { " (shown now)" } } }
                                td { (who(&v.actor)) } td { (millis(v.at_millis)) }
                            } } } }
                        @if c.resolvable { p { button.accept type="submit" { "Keep the chosen value" } } }
                        @else { p.muted { "Text or grouped fields: return the inspection so its inspector resolves it." } }
                    }
                }
            }
            @if view.status == milkshed_shared::document::Status::Submitted {
                form.review method="post" action={"/review/inspections/" (id) "/review"} {
                    (csrf_field(&s))
                    input type="hidden" name="decision" value="return";
                    input type="hidden" name="comment" value={"Resolve the conflicting values: " (details.iter().map(|c| c.path.as_str()).collect::<Vec<_>>().join(", "))};
                    button.return type="submit" { "Return to the inspector to resolve" }
                }
            }
        };
        Ok(page(&s, "Resolve conflicting values", body))
    })
    .await
}

/// `POST /review/conflicts/{id}`: keep one value of one field.
pub async fn resolve(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    form: WebForm,
) -> PageResult<Response> {
    check_csrf(&s, form.csrf())?;
    let uuid = super::inspection::parse_id(&id)?;
    let path = form.text("path").unwrap_or_default();
    let choice: usize = form
        .text("choice")
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, "Choose the value to keep."))?;
    run(move || {
        let actor = state.web_actor(&s.user_id);
        conflicts::resolve(&state.db, &actor, &s.caller(), uuid, &path, choice)?;
        Ok(Redirect::to(&format!("/review/conflicts/{id}")).into_response())
    })
    .await
}
