//! The facility registry's rules (requirements.md F-M4, F-M5, F-M17, F-S1): what kinds of
//! facility an agency keeps, how often each is inspected, how a permit's status may change,
//! and how long signed records are kept.

use chrono::{Months, NaiveDate};

/// A facility in the registry. Shippers are what the IMS List lists; farms belong to one of
/// them (a BTU, or a plant's attached supply); haulers hold permits from any State.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FacilityKind {
    Btu,
    MilkPlant,
    ReceivingStation,
    TransferStation,
    AsepticPlant,
    CondensedDryPlant,
    DairyFarm,
    Hauler,
}

impl FacilityKind {
    pub const ALL: [FacilityKind; 8] = [
        FacilityKind::Btu,
        FacilityKind::MilkPlant,
        FacilityKind::ReceivingStation,
        FacilityKind::TransferStation,
        FacilityKind::AsepticPlant,
        FacilityKind::CondensedDryPlant,
        FacilityKind::DairyFarm,
        FacilityKind::Hauler,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FacilityKind::Btu => "btu",
            FacilityKind::MilkPlant => "milk_plant",
            FacilityKind::ReceivingStation => "receiving_station",
            FacilityKind::TransferStation => "transfer_station",
            FacilityKind::AsepticPlant => "aseptic_plant",
            FacilityKind::CondensedDryPlant => "condensed_dry_plant",
            FacilityKind::DairyFarm => "dairy_farm",
            FacilityKind::Hauler => "hauler",
        }
    }

    pub fn parse(s: &str) -> Option<FacilityKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the IMS List lists this kind (a farm is listed through its BTU or plant; a
    /// hauler is not listed).
    pub fn is_shipper(self) -> bool {
        !matches!(self, FacilityKind::DairyFarm | FacilityKind::Hauler)
    }

    /// Whether farms may be attached to it: a BTU, or a plant's attached supply (seed 003
    /// L107-117).
    pub fn takes_farms(self) -> bool {
        matches!(
            self,
            FacilityKind::Btu | FacilityKind::MilkPlant | FacilityKind::CondensedDryPlant
        )
    }

    /// The routine frequency in months: farms every 6 (or their Appendix P category, T-A1);
    /// milk plants and receiving stations every 3 (T-A3, MMSR L8289-8298); transfer stations
    /// and aseptic plants every 6 (T-A4); hauler/samplers evaluated every 24 (T-A9,
    /// L8675-8681). A BTU is not inspected as such: its farms are.
    pub fn routine_months(self) -> Option<u32> {
        match self {
            FacilityKind::DairyFarm => Some(6),
            FacilityKind::MilkPlant
            | FacilityKind::ReceivingStation
            | FacilityKind::CondensedDryPlant => Some(3),
            FacilityKind::TransferStation | FacilityKind::AsepticPlant => Some(6),
            FacilityKind::Hauler => Some(24),
            FacilityKind::Btu => None,
        }
    }

    /// The MMSR lines of [`Self::routine_months`].
    pub fn routine_source(self) -> &'static str {
        match self {
            FacilityKind::DairyFarm => "MMSR L7987-7996",
            FacilityKind::MilkPlant
            | FacilityKind::ReceivingStation
            | FacilityKind::CondensedDryPlant => "MMSR L8289-8298",
            FacilityKind::TransferStation | FacilityKind::AsepticPlant => "MMSR L8289-8299",
            FacilityKind::Hauler => "MMSR L8675-8681",
            FacilityKind::Btu => "",
        }
    }
}

/// The status of a permit (requirements.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PermitStatus {
    Issued,
    Temporary,
    Suspended,
    Reinstated,
    Revoked,
    Expired,
}

impl PermitStatus {
    pub const ALL: [PermitStatus; 6] = [
        PermitStatus::Issued,
        PermitStatus::Temporary,
        PermitStatus::Suspended,
        PermitStatus::Reinstated,
        PermitStatus::Revoked,
        PermitStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PermitStatus::Issued => "issued",
            PermitStatus::Temporary => "temporary",
            PermitStatus::Suspended => "suspended",
            PermitStatus::Reinstated => "reinstated",
            PermitStatus::Revoked => "revoked",
            PermitStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<PermitStatus> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether milk may be sold as Grade "A" under this status: not while suspended (nor under
    /// a monetary penalty in lieu, MMSR L8150-8151, L8181-8183), revoked or expired.
    pub fn grade_a_sale_allowed(self) -> bool {
        matches!(
            self,
            PermitStatus::Issued | PermitStatus::Temporary | PermitStatus::Reinstated
        )
    }

    /// Whether a permit may go from `self` to `next`. A revoked permit stays revoked (a new
    /// permit is issued after a new inspection, L8137); a suspended one is reinstated, or
    /// revoked after repeated suspensions (L8162); a temporary one follows a notice of
    /// correction (L8168-8171).
    pub fn may_become(self, next: PermitStatus) -> bool {
        use PermitStatus::*;
        match (self, next) {
            (Revoked, _) => false,
            (a, b) if a == b => false,
            (Suspended, Reinstated | Temporary | Revoked | Expired) => true,
            (Suspended, _) => false,
            (_, Reinstated) => false,
            (Expired, Issued) => true,
            (Expired, _) => false,
            _ => true,
        }
    }
}

/// The retention floor: farm and plant inspection reports and equipment tests are kept at least
/// 24 months (MMSR L8240-8242, L8566-8568; requirements.md T-K1, T-K2).
pub const RETENTION_MONTHS: u32 = 24;

/// The first day a record dated `recorded_on` may be purged, given an agency's retention (never
/// below [`RETENTION_MONTHS`]).
pub fn purgeable_from(recorded_on: NaiveDate, agency_months: u32) -> NaiveDate {
    let months = agency_months.max(RETENTION_MONTHS);
    recorded_on
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The producers of a BTU of five or more that ship 40 % or more of its volume and must become
/// their own BTU before the draw (MMSR L276-279): the registry's warning, by the same rule
/// TABLE 1 applies ([`crate::rating::table1::forty_percent_producers`]).
pub fn forty_percent_warning(farms: &[(String, u64)]) -> Vec<&str> {
    let pounds: Vec<u64> = farms.iter().map(|(_, p)| *p).collect();
    crate::rating::table1::forty_percent_producers(&pounds)
        .into_iter()
        .filter_map(|i| farms.get(i).map(|(id, _)| id.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn kinds_round_trip_and_frequencies_follow_the_mmsr() {
        for k in FacilityKind::ALL {
            assert_eq!(FacilityKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(FacilityKind::MilkPlant.routine_months(), Some(3));
        assert_eq!(FacilityKind::ReceivingStation.routine_months(), Some(3));
        assert_eq!(FacilityKind::TransferStation.routine_months(), Some(6));
        assert_eq!(FacilityKind::AsepticPlant.routine_months(), Some(6));
        assert_eq!(FacilityKind::DairyFarm.routine_months(), Some(6));
        assert!(FacilityKind::Btu.takes_farms());
        assert!(!FacilityKind::ReceivingStation.takes_farms());
        assert!(!FacilityKind::Hauler.is_shipper());
    }

    #[test]
    fn permit_status_changes() {
        use PermitStatus::*;
        assert!(Issued.may_become(Suspended));
        assert!(Suspended.may_become(Reinstated));
        assert!(Suspended.may_become(Revoked));
        assert!(
            !Suspended.may_become(Issued),
            "a suspension ends in reinstatement"
        );
        assert!(!Issued.may_become(Reinstated), "nothing to reinstate");
        assert!(
            !Revoked.may_become(Issued),
            "a revoked permit stays revoked"
        );
        assert!(!Issued.may_become(Issued));
        assert!(!Suspended.grade_a_sale_allowed());
        assert!(Reinstated.grade_a_sale_allowed());
    }

    #[test]
    fn retention_is_at_least_24_months_across_month_ends_and_leap_days() {
        assert_eq!(purgeable_from(d("2024-02-29"), 0), d("2026-02-28"));
        assert_eq!(purgeable_from(d("2025-08-31"), 12), d("2027-08-31"));
        assert_eq!(purgeable_from(d("2025-01-31"), 60), d("2030-01-31"));
    }

    #[test]
    fn forty_percent_warning_names_the_producer() {
        let farms: Vec<(String, u64)> =
            [("a", 100), ("b", 100), ("c", 100), ("d", 100), ("e", 600)]
                .iter()
                .map(|(n, p)| (n.to_string(), *p))
                .collect();
        assert_eq!(forty_percent_warning(&farms), ["e"]);
        assert!(
            forty_percent_warning(&farms[..4]).is_empty(),
            "fewer than five producers"
        );
    }
}
