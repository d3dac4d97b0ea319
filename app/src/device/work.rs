//! The work a facility owes, read from the device's reference data with the rules the agency's
//! board applies (`shared::workload`): the work list is the tablet's view of the same function.

use chrono::NaiveDate;
use milkshed_shared::calendar;
use milkshed_shared::registry::FacilityKind;
use milkshed_shared::workload;

/// A facility's next routine inspection from its reference data: the one rule the agency's
/// board applies (`shared::workload::routine_due`), counted from the last inspection, or from
/// the registration when there is none.
pub fn routine_due_of(kind: FacilityKind, reference: &serde_json::Value) -> Option<NaiveDate> {
    let date = |k: &str| {
        reference
            .get(k)
            .and_then(|d| d.as_str())
            .and_then(|d| d.get(..10))
            .and_then(|d| d.parse::<NaiveDate>().ok())
    };
    let from = date("last_inspection")
        .or_else(|| date("last_evaluation"))
        .or_else(|| date("registered_on"))?;
    let category = reference
        .get("appendix_p")
        .and_then(|c| c.as_u64())
        .and_then(calendar::AppendixP::from_months)
        .map(|c| (c, date("recategorized_on")));
    workload::routine_due(kind, from, category).map(|r| r.due)
}

/// What the lab ledger calls for at a farm on `today`, judged from its published series with
/// `shared::ledger::action_after` (the board's rule): the worst over every standard, as a
/// line for the work list (`None` when nothing is owed).
pub fn lab_warning(lab: &serde_json::Value, today: NaiveDate) -> Option<String> {
    use milkshed_shared::ledger::{action_after, LedgerAction};
    let series = lab.get("series")?.as_object()?;
    let mut worst: Option<(u8, String)> = None;
    for (standard, results) in series {
        let results: Vec<(NaiveDate, bool)> = results
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| {
                        let d = r.get("date")?.as_str()?.parse().ok()?;
                        Some((d, r.get("over")?.as_bool()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (rank, text) = match action_after(&results, today) {
            LedgerAction::None => continue,
            LedgerAction::WarningLetter { .. } => {
                (1, format!("{standard}: 2 of last 4 over, written notice"))
            }
            LedgerAction::Suspension => (2, format!("{standard}: 3 of last 5 over, suspension")),
        };
        if worst.as_ref().is_none_or(|(r, _)| rank > *r) {
            worst = Some((rank, text));
        }
    }
    worst.map(|(_, t)| t)
}
