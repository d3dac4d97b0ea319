//! Enforcement letters: an agency's templates with their merge fields (`{{facility}}`,
//! `{{permit}}`, …), checked when saved and merged when a letter is drafted. The built-in
//! template of each action kind is version 0; an agency's own versions follow it.

use std::collections::BTreeMap;

use crate::ledger::ActionKind;

/// The merge fields a template may use.
pub const FIELDS: [&str; 12] = [
    "agency",
    "facility",
    "facility_number",
    "permit",
    "permit_state",
    "action",
    "issued_on",
    "due_on",
    "findings",
    "rule_cited",
    "approved_by",
    "dated_on",
];

/// Longest template (subject and body together).
pub const MAX_TEMPLATE_CHARS: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown merge field {{{{{0}}}}}; the fields are {fields}", fields = FIELDS.join(", "))]
    UnknownField(String),
    #[error("a merge field opened with {{{{ is not closed with }}}}")]
    Unclosed,
    #[error("the template is empty")]
    Empty,
    #[error("the template is longer than {MAX_TEMPLATE_CHARS} characters")]
    TooLong,
}

/// The fields a template uses, in order, or why it is not a template.
pub fn fields_of(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..end].trim();
        if !FIELDS.contains(&name) {
            return Err(TemplateError::UnknownField(name.to_string()));
        }
        out.push(name.to_string());
        rest = &after[end + 2..];
    }
    Ok(out)
}

/// Checks a template's subject and body before it is saved.
pub fn check(subject: &str, body: &str) -> Result<(), TemplateError> {
    if subject.trim().is_empty() || body.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    if subject.chars().count() + body.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(TemplateError::TooLong);
    }
    fields_of(subject)?;
    fields_of(body)?;
    Ok(())
}

/// Merges `values` into a template; a field without a value prints as blank.
pub fn merge(template: &str, values: &BTreeMap<&str, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..end].trim();
        if !FIELDS.contains(&name) {
            return Err(TemplateError::UnknownField(name.to_string()));
        }
        out.push_str(values.get(name).map(String::as_str).unwrap_or(""));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The built-in template of an action kind: `(subject, body)`.
pub fn builtin(kind: ActionKind) -> (&'static str, String) {
    let what = match kind {
        ActionKind::WarningLetter => "Two of the last four samples of your milk exceeded the standard. An additional sample will be taken within 21 days of this notice, but not before 3 days. A third violation of the last five samples will lead to the suspension of your permit.",
        ActionKind::IntentToSuspend => "Your inspection disclosed a violation of the Grade \"A\" PMO that was found again on the reinspection. Unless it is corrected by {{due_on}}, your permit will be suspended.",
        ActionKind::Suspension => "Your permit is suspended. Milk produced while the permit is suspended may not be sold as Grade \"A\". To ask for reinstatement, tell us in writing that the violations are corrected.",
        ActionKind::MonetaryPenalty => "A monetary penalty is imposed in lieu of the suspension of your permit. Milk produced while the penalty is imposed may not be sold as Grade \"A\".",
        ActionKind::NoticeOfCorrection => "We received your notice that the violations are corrected. We will inspect your facility by {{due_on}}.",
        ActionKind::ReinstatementInspection => "We will make the inspection for the reinstatement of your permit by {{due_on}}.",
        ActionKind::Reinstatement => "Your permit is reinstated: your milk may again be sold as Grade \"A\".",
        ActionKind::TemporaryPermit => "A temporary permit is issued to you while the reinstatement is completed.",
        ActionKind::Revocation => "Your permit is revoked after repeated suspensions. A new permit will be issued only after a new inspection shows compliance.",
        ActionKind::Hearing => "A hearing is scheduled on the action taken on your permit. You may be heard and represented.",
        ActionKind::CourtAction => "The agency has brought a court action concerning your permit.",
    };
    (
        "{{action}}: {{facility}}, permit {{permit}}",
        format!(
            "{{{{agency}}}}\n\nDate: {{{{dated_on}}}}\n\nTo the permit holder of {{{{facility}}}} ({{{{facility_number}}}}), permit {{{{permit}}}} ({{{{permit_state}}}})\n\nRe: {{{{action}}}}, issued {{{{issued_on}}}}\n\n{what}\n\nFindings:\n{{{{findings}}}}\n\nRule cited: {{{{rule_cited}}}}\n\n{{{{approved_by}}}}\nfor the Regulatory Agency"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_merged_and_unknown_ones_refused() {
        let mut v = BTreeMap::new();
        v.insert("facility", "Wm. Long".to_string());
        v.insert("permit", "IL-4411".to_string());
        assert_eq!(
            merge("{{facility}} holds {{ permit }}; {{due_on}}.", &v).unwrap(),
            "Wm. Long holds IL-4411; ."
        );
        assert_eq!(
            check("x", "Dear {{holder}}"),
            Err(TemplateError::UnknownField("holder".into()))
        );
        assert_eq!(check("x", "Dear {{facility"), Err(TemplateError::Unclosed));
        assert_eq!(check(" ", "body"), Err(TemplateError::Empty));
    }

    #[test]
    fn every_builtin_template_is_a_valid_template() {
        for k in ActionKind::ALL {
            let (subject, body) = builtin(k);
            assert_eq!(check(subject, &body), Ok(()), "{k:?}");
            assert!(fields_of(&body)
                .unwrap()
                .contains(&"rule_cited".to_string()));
        }
    }
}
