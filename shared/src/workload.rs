//! The routine work a facility owes: one mapping from a registry kind to what is inspected,
//! and one due date, for the tablet's work list and the agency's board alike (they are two
//! views of [`routine_due`]).

use chrono::NaiveDate;

use crate::calendar::{self, AppendixP};
use crate::document::SubjectKind;
use crate::registry::FacilityKind;

/// What a routine visit of a registry kind inspects (`None`: a BTU, whose farms are inspected).
pub fn subject_of(kind: FacilityKind) -> Option<SubjectKind> {
    match kind {
        FacilityKind::DairyFarm => Some(SubjectKind::Farm),
        FacilityKind::MilkPlant | FacilityKind::AsepticPlant | FacilityKind::CondensedDryPlant => {
            Some(SubjectKind::Plant)
        }
        FacilityKind::ReceivingStation => Some(SubjectKind::ReceivingStation),
        FacilityKind::TransferStation => Some(SubjectKind::TransferStation),
        FacilityKind::Hauler => Some(SubjectKind::Hauler),
        FacilityKind::Btu => None,
    }
}

/// A facility's next routine inspection (or evaluation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutineDue {
    /// The last day it is on time: the end of the month in which it falls due.
    pub due: NaiveDate,
    /// The interval that applied (the kind's, or the farm's Appendix P category).
    pub months: u32,
    /// The rule, with its MMSR lines, for the person reading it.
    pub rule: String,
}

impl RoutineDue {
    /// Whether it is overdue on `today`.
    pub fn overdue_on(&self, today: NaiveDate) -> bool {
        today > self.due
    }
}

/// When a facility of `kind`, last inspected (or registered) on `from`, is next due: every
/// [`FacilityKind::routine_months`], or a farm's Appendix P category (re-categorized on the date
/// given, if any), met through the end of the month it falls due in (MMSR L837-839).
pub fn routine_due(
    kind: FacilityKind,
    from: NaiveDate,
    appendix_p: Option<(AppendixP, Option<NaiveDate>)>,
) -> Option<RoutineDue> {
    let months = kind.routine_months()?;
    let category = appendix_p.filter(|_| kind == FacilityKind::DairyFarm);
    let (due, months, source) = match category {
        Some((c, on)) => (
            calendar::appendix_p_due(from, c, on),
            c.months(),
            "Appendix P, MMSR L868-881",
        ),
        None => (
            calendar::deadline(from, months),
            months,
            kind.routine_source(),
        ),
    };
    Some(RoutineDue {
        due,
        months,
        rule: format!(
            "every {months} months ({source}), met through the end of the month it falls due (MMSR L837-839)"
        ),
    })
}

/// The work a facility owes next: [`routine_due`], or — for a hauler/sampler whose latest
/// evaluation was unsatisfactory — the re-evaluation date when sooner (MMSR L8710). The board
/// and the tablet's work list both call this.
pub fn work_due(
    kind: FacilityKind,
    from: NaiveDate,
    appendix_p: Option<(AppendixP, Option<NaiveDate>)>,
    reevaluate_by: Option<NaiveDate>,
) -> Option<RoutineDue> {
    let routine = routine_due(kind, from, appendix_p)?;
    match reevaluate_by {
        Some(r) if kind == FacilityKind::Hauler && r < routine.due => Some(RoutineDue {
            due: r,
            months: routine.months,
            rule: format!(
                "re-evaluation after an unsatisfactory evaluation, due by {r} (MMSR L8710); then {}",
                routine.rule
            ),
        }),
        _ => Some(routine),
    }
}

/// The order of a work list: the user's own assignments first, then the most overdue, then by
/// name. The tablet's work list sorts by it; the board shows each facility's assignee.
pub fn work_order<'a>(
    assigned_to: Option<&str>,
    me: Option<&str>,
    due: Option<NaiveDate>,
    name: &'a str,
) -> (bool, NaiveDate, &'a str) {
    let mine = matches!((assigned_to, me), (Some(a), Some(m)) if a == m);
    (!mine, due.unwrap_or(NaiveDate::MIN), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_users_assignments_come_first() {
        let mut list = [
            ("a", None, Some(d("2026-01-01"))),
            ("b", Some("sam"), Some(d("2026-06-01"))),
            ("c", Some("lee"), None),
            ("d", Some("sam"), Some(d("2026-03-01"))),
        ];
        list.sort_by_key(|(n, a, due)| work_order(*a, Some("sam"), *due, n));
        let names: Vec<&str> = list.iter().map(|x| x.0).collect();
        assert_eq!(names, ["d", "b", "c", "a"]);
    }

    #[test]
    fn each_kind_has_one_interval_and_one_subject() {
        for (kind, months) in [
            (FacilityKind::DairyFarm, 6),
            (FacilityKind::MilkPlant, 3),
            (FacilityKind::ReceivingStation, 3),
            (FacilityKind::TransferStation, 6),
            (FacilityKind::AsepticPlant, 6),
            (FacilityKind::Hauler, 24),
        ] {
            let r = routine_due(kind, d("2026-05-14"), None).unwrap();
            assert_eq!(r.months, months, "{kind:?}");
            assert!(subject_of(kind).is_some());
        }
        assert_eq!(routine_due(FacilityKind::Btu, d("2026-05-14"), None), None);
        assert_eq!(
            subject_of(FacilityKind::AsepticPlant),
            Some(SubjectKind::Plant)
        );
        // six months from May 14 is November 14: on time through November 30
        let farm = routine_due(FacilityKind::DairyFarm, d("2026-05-14"), None).unwrap();
        assert_eq!(farm.due, d("2026-11-30"));
        assert!(!farm.overdue_on(d("2026-11-30")) && farm.overdue_on(d("2026-12-01")));
        // an Appendix P farm goes by its category; other kinds ignore one
        let p = Some((AppendixP::Months3, Some(d("2026-01-01"))));
        assert_eq!(
            routine_due(FacilityKind::DairyFarm, d("2026-05-14"), p)
                .unwrap()
                .months,
            3
        );
        assert_eq!(
            routine_due(FacilityKind::MilkPlant, d("2026-05-14"), p)
                .unwrap()
                .months,
            3
        );
        assert_eq!(
            routine_due(FacilityKind::Hauler, d("2026-05-14"), p)
                .unwrap()
                .months,
            24
        );
    }
}
