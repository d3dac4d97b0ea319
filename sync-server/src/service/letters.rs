//! Enforcement letters: each action's letter drafted from the agency's current template for
//! its kind (`shared::letters`; the built-in one is version 0), approved by a supervisor, dated,
//! printed as a PDF stored with the action (append-only), and e-mailed to the permit holder
//! when an address is given.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use milkshed_shared::ledger::ActionKind;
use milkshed_shared::letters;
use serde_json::{json, Value};

use crate::db::{self, desk, registry as reg, Caller, Db};
use crate::service::office::office;
use crate::service::pdf::{self, Block};
use crate::service::{audit, outbox, ServiceError, ServiceResult};

/// An action kind's template: the agency's latest version, or the built-in one (version 0).
pub fn template_for(
    conn: &crate::db::Conn,
    agency: &str,
    kind: ActionKind,
) -> ServiceResult<desk::Template> {
    if let Some(t) = desk::template(conn, agency, kind.as_str())? {
        return Ok(t);
    }
    let (subject, body) = letters::builtin(kind);
    Ok(desk::Template {
        kind: kind.as_str().into(),
        version: 0,
        subject: subject.into(),
        body,
        created_by: "Milkshed".into(),
        created_at: String::new(),
    })
}

pub fn parse_kind(kind: &str) -> ServiceResult<ActionKind> {
    ActionKind::parse(kind).ok_or_else(|| {
        ServiceError::bad_request(format!(
            "kind is one of {}",
            ActionKind::ALL.map(|k| k.as_str()).join(", ")
        ))
    })
}

/// Saves a new version of the agency's template for an action kind.
pub fn save_template(
    db: &Db,
    caller: &Caller,
    kind: &str,
    subject: &str,
    body: &str,
) -> ServiceResult<i64> {
    office(caller, "letter templates")?;
    let kind = parse_kind(kind)?;
    letters::check(subject, body).map_err(|e| ServiceError::bad_request(e.to_string()))?;
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let v = desk::add_template(
        &tx,
        &caller.agency_id,
        kind.as_str(),
        subject.trim(),
        body,
        caller.user_id.as_str(),
    )?;
    audit(
        &tx,
        caller,
        "letter.template",
        kind.as_str(),
        format!("{} template version {v} saved", kind.label()),
    )?;
    tx.commit()?;
    Ok(v)
}

/// The merge values of an action's letter; `approved_by` and `dated_on` stay as their fields
/// until the approval fills them.
fn values(
    conn: &crate::db::Conn,
    agency: &str,
    action: &desk::ActionRow,
    findings: &str,
) -> ServiceResult<BTreeMap<&'static str, String>> {
    let kind = parse_kind(&action.kind)?;
    let f = reg::facility(conn, agency, &action.subject_id)?
        .ok_or_else(|| ServiceError::not_found("facility"))?;
    let permit = reg::permits_of(conn, &action.subject_id)?.pop();
    let mut v = BTreeMap::new();
    v.insert(
        "agency",
        db::agency_name(conn, agency)?.unwrap_or_else(|| agency.to_string()),
    );
    v.insert("facility", f.name.clone());
    v.insert("facility_number", f.number.clone().unwrap_or_default());
    v.insert(
        "permit",
        permit
            .as_ref()
            .map(|p| p.number.clone())
            .unwrap_or_default(),
    );
    v.insert(
        "permit_state",
        permit
            .as_ref()
            .map(|p| p.issuing_state.clone())
            .unwrap_or_default(),
    );
    v.insert("action", kind.label().to_string());
    v.insert("issued_on", action.issued_on.clone());
    v.insert(
        "due_on",
        action.due_on.clone().unwrap_or_else(|| "—".into()),
    );
    let findings = findings.trim();
    v.insert(
        "findings",
        if findings.is_empty() {
            action.cause.clone()
        } else {
            findings.to_string()
        },
    );
    v.insert("rule_cited", kind.rule_cited().to_string());
    v.insert("approved_by", "{{approved_by}}".into());
    v.insert("dated_on", "{{dated_on}}".into());
    Ok(v)
}

/// Drafts an action's letter from the current template, in the caller's transaction.
pub fn draft_in(
    tx: &crate::db::Tx<'_>,
    caller: &Caller,
    action_id: &str,
    findings: &str,
    recipient: Option<&str>,
) -> ServiceResult<String> {
    let agency = &caller.agency_id;
    let action = desk::action(tx, agency, action_id)?
        .ok_or_else(|| ServiceError::not_found("enforcement action"))?;
    if let Some(r) = recipient {
        outbox::check_address(r).map_err(ServiceError::bad_request)?;
    }
    // the permit holder's address on record when the action names none
    let on_record = crate::service::registers::contact_email(tx, &action.subject_id)?;
    let recipient = recipient.or(on_record.as_deref());
    let kind = parse_kind(&action.kind)?;
    let t = template_for(tx, agency, kind)?;
    let v = values(tx, agency, &action, findings)?;
    let bad = |e: letters::TemplateError| ServiceError::conflict(format!("the template: {e}"));
    let subject = letters::merge(&t.subject, &v).map_err(bad)?;
    let body = letters::merge(&t.body, &v).map_err(bad)?;
    let id = desk::add_letter(
        tx,
        agency,
        &desk::NewLetter {
            action_id,
            template_version: t.version,
            recipient: recipient.map(str::trim),
            subject: &subject,
            body: &body,
            by: caller.user_id.as_str(),
        },
    )?;
    audit(
        tx,
        caller,
        "letter.drafted",
        &action.subject_id,
        format!(
            "{} letter for {} (template version {})",
            kind.label(),
            action.subject_name,
            t.version
        ),
    )?;
    Ok(id)
}

/// Drafts another letter for an action (after the template changed, or to another address).
pub fn draft(
    db: &Db,
    caller: &Caller,
    action_id: &str,
    findings: &str,
    recipient: Option<&str>,
) -> ServiceResult<String> {
    office(caller, "enforcement letters")?;
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let id = draft_in(&tx, caller, action_id, findings, recipient)?;
    tx.commit()?;
    Ok(id)
}

/// The letter's text as approved: the approver and the date filled in.
pub fn final_text(l: &desk::Letter, approved_by: &str, dated_on: NaiveDate) -> (String, String) {
    let mut v = BTreeMap::new();
    v.insert("approved_by", approved_by.to_string());
    v.insert("dated_on", dated_on.to_string());
    // the draft's other fields are merged already; what is left is these two
    let fill = |s: &str| letters::merge(s, &v).unwrap_or_else(|_| s.to_string());
    (fill(&l.subject), fill(&l.body))
}

pub fn letter_pdf(subject: &str, body: &str) -> Vec<u8> {
    let mut blocks = vec![Block::Title(subject.to_string())];
    blocks.extend(body.lines().map(|l| Block::Text(l.to_string())));
    pdf::render(subject, &blocks)
}

/// Approves a letter: a supervisor's (or an administrator's), dated the agency's today; its
/// PDF is stored with the approval and, when the letter has a recipient, queued to be e-mailed.
pub fn approve(db: &Db, caller: &Caller, letter_id: &str) -> ServiceResult<Value> {
    if !matches!(
        caller.role,
        crate::service::auth::Role::Supervisor | crate::service::auth::Role::Admin
    ) {
        return Err(ServiceError::forbidden(
            "only a supervisor or an administrator approves a letter",
        ));
    }
    let agency = &caller.agency_id;
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    let l =
        desk::letter(&tx, agency, letter_id)?.ok_or_else(|| ServiceError::not_found("letter"))?;
    if l.approved_at.is_some() {
        return Err(ServiceError::conflict("this letter is approved already"));
    }
    let today = reg::agency_today(&tx, agency)?;
    let (subject, body) = final_text(&l, &caller.user_name, today);
    let pdf = letter_pdf(&subject, &body);
    desk::approve_letter(
        &tx,
        letter_id,
        caller.user_id.as_str(),
        &today.to_string(),
        &pdf,
    )?;
    let action = desk::action(&tx, agency, &l.action_id)?
        .ok_or_else(|| ServiceError::internal("letter without its action"))?;
    if let Some(to) = &l.recipient {
        desk::queue_mail(
            &tx,
            agency,
            &desk::NewMail {
                kind: "letter",
                recipient: to,
                subject: &subject,
                body: &format!("{body}\n\n(The signed letter is attached as a PDF.)"),
                attachment: Some((
                    &format!(
                        "letter-{}.pdf",
                        letter_id.chars().take(8).collect::<String>()
                    ),
                    &pdf,
                )),
                about: letter_id,
            },
        )?;
    }
    audit(
        &tx,
        caller,
        "letter.approved",
        &action.subject_id,
        format!(
            "{} letter for {} approved, dated {today}{}",
            action.kind.replace('_', " "),
            action.subject_name,
            l.recipient
                .as_ref()
                .map(|r| format!(", e-mailed to {r}"))
                .unwrap_or_default()
        ),
    )?;
    tx.commit()?;
    Ok(json!({"id": letter_id, "dated_on": today.to_string()}))
}
