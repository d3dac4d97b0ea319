//! The devices' briefcase: the typed records of the agency's reference data the server
//! publishes and each device keeps (`sync::ReferenceDelta` carries them as JSON), with the rules
//! a sanitarian needs at the farm gate with no signal — the routine due date and the lab
//! ledger's warning — computed by the same functions the agency's board uses.

use crate::ids::FacilityId;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::AppendixP;
use crate::ledger::{self, LedgerAction};
use crate::registry::FacilityKind;
use crate::workload::{self, RoutineDue};

/// The reference table of farms.
pub const FARMS: &str = "farm";
/// The reference table of plants and stations.
pub const PLANTS: &str = "plant";
/// The reference table of BTUs (the shippers of raw milk for pasteurization a rating report
/// is of).
pub const BTUS: &str = "btu";
/// The reference table of open IMS ratings, each sent to its own rating officer's devices only:
/// the farms the agency record has announced so far, never the draw's order or seed before it
/// is revealed.
pub const RATINGS: &str = "ims_rating";
/// The reference table of hauler/samplers.
pub const HAULERS: &str = "hauler";
/// The reference table of farms' lab ledgers.
pub const LAB_LEDGERS: &str = "lab_results";
/// The reference table of the agency itself (one record).
pub const AGENCY: &str = "agency";
/// The reference table of sampler evaluators' credentials (one record per evaluator).
pub const EVALUATORS: &str = "evaluator";

/// An evaluator's SSO certificate and delegation, so a device can tell at the pick-up whether
/// its user may evaluate (`sampling::may_evaluate`, the server's check too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluatorRecord {
    pub user_id: crate::ids::UserId,
    pub credentials: crate::sampling::EvaluatorCredentials,
}

/// What a device needs of its agency: the time zone every deadline runs on (DR-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyRecord {
    pub id: String,
    /// An IANA time zone (`America/Chicago`).
    pub time_zone: String,
}

impl AgencyRecord {
    /// The agency's civil date at `now` ([`crate::calendar::civil_date`]): the day the board
    /// runs on, whatever the device's own clock zone (UTC when the name is not known).
    pub fn today(&self, now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
        let zone = crate::calendar::time_zone(&self.time_zone).unwrap_or(chrono_tz::UTC);
        crate::calendar::civil_date(now, zone)
    }
}

/// A facility a device may visit: a farm, a plant or station, or a hauler/sampler.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityRecord {
    pub id: FacilityId,
    pub name: String,
    /// The registry kind (`dairy_farm`, `milk_plant`, `hauler`, …).
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub producer_number: Option<String>,
    #[serde(default)]
    pub permit: Option<String>,
    #[serde(default)]
    pub permit_status: Option<String>,
    /// The State that issued a hauler's permit.
    #[serde(default)]
    pub permit_state: Option<String>,
    #[serde(default)]
    pub pounds_sold_daily: Option<i64>,
    /// The BTU (or plant) a farm ships in, by name.
    #[serde(default)]
    pub btu: Option<String>,
    /// The latest inspection (a hauler/sampler's evaluation), synced or recorded.
    #[serde(default, alias = "last_evaluation")]
    pub last_inspection: Option<NaiveDate>,
    /// When the facility entered the registry (the routine clock's start before any inspection).
    #[serde(default)]
    pub registered_on: Option<NaiveDate>,
    /// A farm's Appendix P category in months, and when it was set.
    #[serde(default)]
    pub appendix_p: Option<u32>,
    #[serde(default)]
    pub recategorized_on: Option<NaiveDate>,
    /// Appendix N: a drug residue positive holds the producer's milk until a negative result.
    #[serde(default)]
    pub shipping_hold: bool,
    /// Enforcement actions still open, with what they require and by when.
    #[serde(default)]
    pub open_actions: Vec<OpenAction>,
    /// The violations the last inspection sent in found, to check at the farm gate.
    #[serde(default)]
    pub last_violations: Vec<LastViolation>,
    /// A hauler/sampler whose latest evaluation was unsatisfactory: the re-evaluation date.
    #[serde(default)]
    pub reevaluate_by: Option<NaiveDate>,
    /// Inspections of this facility whose reinspection is owed, as the agency record knows them
    /// (`calendar::reinspections_owed` over every device's inspections).
    #[serde(default)]
    pub reinspections_owed: Vec<ReinspectionOwed>,
    /// The inspector the office assigned the facility to (user id and name), if any.
    #[serde(default)]
    pub assigned_to: Option<String>,
    #[serde(default)]
    pub assigned_name: Option<String>,
}

/// A violation of the last inspection: its item and the inspector's note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastViolation {
    pub item: String,
    #[serde(default)]
    pub note: String,
}

/// An inspection whose reinspection is owed, and by when (`calendar::reinspection_due`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReinspectionOwed {
    pub inspection: crate::ids::InspectionId,
    pub due: NaiveDate,
}

/// An enforcement action not yet completed, as the farm gate needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenAction {
    /// `warning_letter`, `suspension`, … (`ledger::ActionKind`).
    pub kind: String,
    pub issued_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
}

impl FacilityRecord {
    /// The registry kind; a record of the farms or haulers table without one is of that kind.
    pub fn facility_kind(&self, table: &str) -> Option<FacilityKind> {
        FacilityKind::parse(&self.kind).or(match table {
            FARMS => Some(FacilityKind::DairyFarm),
            HAULERS => Some(FacilityKind::Hauler),
            _ => None,
        })
    }

    /// The next routine inspection: [`workload::routine_due`] from the last inspection, or from
    /// the registration when there is none — what the board computes for the same facility.
    pub fn routine_due(&self, table: &str) -> Option<RoutineDue> {
        let kind = self.facility_kind(table)?;
        let from = self.last_inspection.or(self.registered_on)?;
        let category = self
            .appendix_p
            .and_then(|m| AppendixP::from_months(u64::from(m)))
            .map(|c| (c, self.recategorized_on));
        workload::work_due(kind, from, category, self.reevaluate_by)
    }
}

/// An IMS rating as its officer's tablet holds it: what the agency record has announced of the
/// draw (MMSR L255-257: one day's farms at a time), the commitment to the seed, and the seed
/// once revealed. The tablet rates the farms announced here and draws none of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingRecord {
    pub id: String,
    pub shipper_id: String,
    pub officer_id: String,
    #[serde(default)]
    pub opened_on: Option<NaiveDate>,
    #[serde(default)]
    pub method: String,
    /// TABLE 1's number of farms to rate.
    #[serde(default)]
    pub to_rate: usize,
    #[serde(default)]
    pub commitment: String,
    /// The farms announced so far, replacements applied, in the order announced.
    #[serde(default)]
    pub announced: Vec<AnnouncedFarm>,
    #[serde(default)]
    pub left_to_announce: usize,
    #[serde(default)]
    pub seed: Option<String>,
}

/// A farm the rating's draw announced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncedFarm {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// One official result of a farm's ledger, as the rules read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabPoint {
    pub date: NaiveDate,
    /// Over the standard it is judged by.
    pub over: bool,
}

/// A farm's lab ledger: of each standard, the daily results a device needs at the farm gate and
/// for a rating ([`LabLedgerRecord::kept`]), and when the farm's permit was issued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabLedgerRecord {
    pub farm: FacilityId,
    pub series: BTreeMap<String, Vec<LabPoint>>,
    /// The farm's permit was issued on (a permit under six months is credited without the
    /// required number of samples, MMSR L330–334).
    #[serde(default)]
    pub permit_issued: Option<NaiveDate>,
}

/// Results a device keeps of a standard besides those of the rating window: enough for "the
/// last four" and the ledger's "3 of the last 5" whenever they reach back further.
const KEPT_LAST: usize = 9;

impl LabLedgerRecord {
    /// Of a standard's daily results (oldest first), those a device keeps on `today`: every
    /// result of the lab window of a rating made within [`crate::worksheet::RATING_SPAN_DAYS`]
    /// (one month more than [`crate::rating::lab::window_start`]) and at least the last
    /// [`KEPT_LAST`] — so the tablet credits a farm's lab columns exactly as the agency record,
    /// which holds them all, does.
    pub fn kept(history: &[(NaiveDate, bool)], today: NaiveDate) -> Vec<LabPoint> {
        let from = crate::rating::lab::window_start(crate::calendar::minus_days(
            today,
            crate::worksheet::RATING_SPAN_DAYS,
        ));
        let tail = history.len().saturating_sub(KEPT_LAST);
        history
            .iter()
            .enumerate()
            .filter(|(i, (date, _))| *i >= tail || *date >= from)
            .map(|(_, (date, over))| LabPoint {
                date: *date,
                over: *over,
            })
            .collect()
    }

    /// The ledger as a rating credits it ([`crate::worksheet::farm_lab_from_ledger`]).
    pub fn ledger_lab(&self) -> crate::worksheet::LedgerLab {
        crate::worksheet::LedgerLab {
            series: self
                .series
                .iter()
                .map(|(s, points)| (s.clone(), points.iter().map(|p| (p.date, p.over)).collect()))
                .collect(),
            permit_issued: self.permit_issued,
        }
    }

    /// What the ledger calls for on `today` ([`ledger::action_after`], the board's rule), the
    /// worst over every standard, as a line for the work list.
    pub fn warning(&self, today: NaiveDate) -> Option<String> {
        let mut worst: Option<(u8, String)> = None;
        for (standard, points) in &self.series {
            let results: Vec<(NaiveDate, bool)> = points.iter().map(|p| (p.date, p.over)).collect();
            let (rank, text) = match ledger::action_after(&results, today) {
                LedgerAction::None => continue,
                LedgerAction::WarningLetter { .. } => {
                    (1, format!("{standard}: 2 of last 4 over, written notice"))
                }
                LedgerAction::Suspension => {
                    (2, format!("{standard}: 3 of last 5 over, suspension"))
                }
            };
            if worst.as_ref().is_none_or(|(r, _)| rank > *r) {
                worst = Some((rank, text));
            }
        }
        worst.map(|(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_agency_day_runs_on_its_time_zone() {
        use chrono::TimeZone;
        // 7 pm in Wisconsin on November 30 is already December 1 in UTC
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap();
        let wi = AgencyRecord {
            id: "a".into(),
            time_zone: "America/Chicago".into(),
        };
        assert_eq!(wi.today(now), d("2026-11-30"));
        let unknown = AgencyRecord {
            id: "a".into(),
            time_zone: "Mars/Olympus".into(),
        };
        assert_eq!(unknown.today(now), d("2026-12-01"));
    }

    #[test]
    fn records_read_what_older_servers_wrote_and_judge_by_the_shared_rules() {
        let hauler: FacilityRecord = serde_json::from_str(
            r#"{"id": "h", "name": "H", "permit": "P", "permit_state": "WI", "last_evaluation": "2025-03-10"}"#,
        )
        .unwrap();
        assert_eq!(hauler.facility_kind(HAULERS), Some(FacilityKind::Hauler));
        assert_eq!(hauler.routine_due(HAULERS).unwrap().due, d("2027-03-31"));
        let plant = FacilityRecord {
            kind: "aseptic_plant".into(),
            registered_on: Some(d("2026-05-02")),
            ..FacilityRecord::default()
        };
        assert_eq!(plant.routine_due(PLANTS).unwrap().due, d("2026-11-30"));
        let lab = LabLedgerRecord {
            farm: "f".into(),
            series: [(
                "bacteria".to_string(),
                vec![
                    LabPoint {
                        date: d("2026-08-01"),
                        over: false,
                    },
                    LabPoint {
                        date: d("2026-09-01"),
                        over: true,
                    },
                    LabPoint {
                        date: d("2026-10-01"),
                        over: false,
                    },
                    LabPoint {
                        date: d("2026-11-01"),
                        over: true,
                    },
                ],
            )]
            .into(),
            ..Default::default()
        };
        assert!(lab
            .warning(d("2026-11-05"))
            .unwrap()
            .contains("2 of last 4"));
    }
}
