//! IMS listing decisions (MMSR Section F, seed 002): eligibility, the earliest rating date and
//! expiry, withdrawal triggers, HACCP Critical Listing Elements (FORM 2359m), aseptic ACLEs
//! (FORM 2359p), the hauler/samplers a rating must account for, and checks of the FORM 2359i
//! report data.

use chrono::NaiveDate;

use crate::calendar;
use crate::reference::Edition;

/// What is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShipperKind {
    Btu,
    MilkPlant,
    ReceivingStation,
    TransferStation,
    /// Single-service container manufacturer (listing minimum 80, seed 002 L35, L52).
    SingleService,
}

impl ShipperKind {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "btu" => ShipperKind::Btu,
            "milk_plant" => ShipperKind::MilkPlant,
            "receiving_station" => ShipperKind::ReceivingStation,
            "transfer_station" => ShipperKind::TransferStation,
            "single_service" => ShipperKind::SingleService,
            _ => return None,
        })
    }

    /// The sanitation rating needed to be listed: 90 for plants and stations (L1124-1130), 80
    /// for single-service manufacturers; none stated for a BTU (A28: a BTU under 90 is
    /// re-rated on request and its receivers lose their listing).
    pub fn minimum(self) -> Option<u32> {
        match self {
            ShipperKind::Btu => None,
            ShipperKind::SingleService => Some(80),
            _ => Some(90),
        }
    }
}

/// A raw-milk source of a listed shipper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub listed: bool,
    pub sanitation_rating: u32,
    /// The source's enforcement ratings, oldest first.
    pub enforcement_history: Vec<u32>,
    /// How many months its enforcement rating has been below 90 (0 when not).
    pub months_enforcement_below_90: u32,
}

/// Why a listing must or may end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Sanitation rating below the listing minimum.
    BelowMinimum { rating: u32, minimum: u32 },
    /// Milk received from an unlisted source: immediate withdrawal (L1015-1017, L1202-1205).
    UnlistedSource(String),
    /// Milk received from a source rated below 90: immediate withdrawal (L1238-1241, L1267-1270).
    SourceBelow90(String),
    /// A source whose enforcement rating has been below 90 for more than six months, or twice
    /// in a row: immediate withdrawal (L973-978, L1019-1024, L1272-1277).
    SourceEnforcementBelow90(String),
    /// A HACCP Critical Listing Element marked on FORM 2359m: grounds to deny or withdraw
    /// ("may", L581-606; AMB-16).
    CriticalListingElement(String),
    /// An aseptic Critical Listing Element not in compliance on FORM 2359p: the listing shall be
    /// immediately denied or withdrawn (L695-700).
    AsepticCriticalListingElement(String),
}

impl Trigger {
    /// Whether the MMSR makes the withdrawal mandatory ("shall"/"immediately") rather than
    /// discretionary ("may").
    pub fn mandatory(&self) -> bool {
        !matches!(self, Trigger::CriticalListingElement(_))
    }

    pub fn describe(&self) -> String {
        match self {
            Trigger::BelowMinimum { rating, minimum } => format!("sanitation rating {rating} is below the listing minimum of {minimum} (MMSR L1124-1130)"),
            Trigger::UnlistedSource(s) => format!("receives milk from {s}, which is not listed: withdraw immediately (MMSR L1202-1205)"),
            Trigger::SourceBelow90(s) => format!("receives milk from {s}, rated below 90: withdraw immediately (MMSR L1238-1241, L1267-1270)"),
            Trigger::SourceEnforcementBelow90(s) => format!("uses milk from {s}, whose enforcement rating has been below 90 for over six months or twice in a row: withdraw immediately (MMSR L973-978)"),
            Trigger::CriticalListingElement(e) => format!("HACCP Critical Listing Element {e} marked: grounds to deny or withdraw the listing (MMSR L581-606)"),
            Trigger::AsepticCriticalListingElement(e) => format!("aseptic Critical Listing Element {e} not in compliance: deny or withdraw the listing immediately (MMSR L695-700)"),
        }
    }
}

/// The FORM 2359m elements that are Critical Listing Elements (marked ** on the form; the seed's
/// example, L6743-7148).
pub const CRITICAL_LISTING_ELEMENTS: &[&str] =
    &["1A", "2A", "4B", "6C", "7D", "8F", "10A", "10B", "12C"];

/// The listing of a shipper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub eligible: bool,
    pub earliest_rating_date: NaiveDate,
    pub expiry: NaiveDate,
    pub triggers: Vec<Trigger>,
}

/// What a listing decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingInput {
    pub kind: ShipperKind,
    /// First days of the ratings that count (farm and plant; not the enforcement rating,
    /// L1176-1177).
    pub rating_dates: Vec<NaiveDate>,
    /// The shipper's own sanitation rating (plant or BTU).
    pub sanitation_rating: Option<u32>,
    pub enforcement_rating: u32,
    pub sources: Vec<Source>,
    pub haccp_marked: Vec<String>,
    pub aseptic_noncompliant: Vec<String>,
}

/// Decides a listing.
pub fn decide(input: &ListingInput) -> Option<Listing> {
    let earliest = *input.rating_dates.iter().min()?;
    let mut triggers = Vec::new();
    if let (Some(min), Some(r)) = (input.kind.minimum(), input.sanitation_rating) {
        if r < min {
            triggers.push(Trigger::BelowMinimum {
                rating: r,
                minimum: min,
            });
        }
    }
    for s in &input.sources {
        if !s.listed {
            triggers.push(Trigger::UnlistedSource(s.name.clone()));
        } else if s.sanitation_rating < 90 {
            triggers.push(Trigger::SourceBelow90(s.name.clone()));
        }
        let twice = s.enforcement_history.len() >= 2
            && s.enforcement_history[s.enforcement_history.len() - 2..]
                .iter()
                .all(|er| *er < 90);
        if s.months_enforcement_below_90 > 6 || twice {
            triggers.push(Trigger::SourceEnforcementBelow90(s.name.clone()));
        }
    }
    for e in &input.haccp_marked {
        if CRITICAL_LISTING_ELEMENTS.contains(&e.as_str()) {
            triggers.push(Trigger::CriticalListingElement(e.clone()));
        }
    }
    for e in &input.aseptic_noncompliant {
        triggers.push(Trigger::AsepticCriticalListingElement(e.clone()));
    }
    Some(Listing {
        eligible: !triggers.iter().any(Trigger::mandatory),
        earliest_rating_date: earliest,
        expiry: calendar::listing_expiry(earliest, input.enforcement_rating),
        triggers,
    })
}

/// Checks the data of a FORM 2359i Interstate Milk Shipper's Report against the reference
/// edition the agency uses; each problem names its field (the form's instructions, MMSR
/// L2293-2334: the name in 34 characters with "(RS)"/"(TR)" for a station, the Plant/BTU # in
/// at most 5 digits, product codes of the edition).
pub fn check_2359i(report: &Report2359i, edition: &Edition) -> Vec<String> {
    let mut problems = Vec::new();
    if edition.state_of_fips(&report.state_fips).is_none() {
        problems.push(format!(
            "state_fips: \"{}\" is not a FIPS code of {}",
            report.state_fips, edition.title
        ));
    }
    let n = report.shipper_number.trim();
    if n.is_empty() || n.len() > 5 || !n.chars().all(|c| c.is_ascii_digit()) {
        problems.push(format!(
            "shipper_number: the Plant or BTU # is 1 to 5 digits, not \"{n}\""
        ));
    }
    if let Some(code) = &report.plant_code {
        if let Some(p) = edition.check_plant_code(code) {
            problems.push(format!("plant_code: {p}"));
        }
    }
    let len = report.name.chars().count();
    if report.name.trim().is_empty() || len > 34 {
        problems.push(format!("name: 1 to 34 characters and spaces, not {len}"));
    }
    let station_mark = match report.kind {
        ShipperKind::ReceivingStation => Some(["(RS)", "Receiving Station"]),
        ShipperKind::TransferStation => Some(["(TR)", "Transfer Station"]),
        _ => None,
    };
    if let Some(marks) = station_mark {
        if !marks.iter().any(|m| report.name.contains(m)) {
            problems.push(format!(
                "name: a station's name carries \"{}\" or \"{}\"",
                marks[0], marks[1]
            ));
        }
    }
    for (field, r) in [
        ("raw_milk_rating", report.raw_milk_rating),
        ("plant_rating", report.plant_rating),
        ("enforcement_rating", Some(report.enforcement_rating)),
    ] {
        if r.is_some_and(|r| r > 100) {
            problems.push(format!("{field}: a rating is 0 to 100"));
        }
    }
    if report.product_codes.is_empty() {
        problems.push("product_codes: at least one".into());
    }
    for p in edition.check_product_codes(&report.product_codes, report.kind == ShipperKind::Btu) {
        problems.push(format!("product_codes: {p}"));
    }
    if let (Some(total), Some(inspected)) = (report.farms, report.farms_inspected) {
        match crate::rating::table1::min_farms_to_rate(total) {
            Some(min) if inspected < min => problems.push(format!(
                "farms_inspected: {inspected} is fewer than TABLE 1's {min} for {total} farms"
            )),
            None if total > 0 => problems.push(format!("farms: {total} is beyond TABLE 1")),
            _ => {}
        }
        if inspected > total {
            problems.push("farms_inspected: more than the farms".into());
        }
    }
    if report.expiry
        != calendar::listing_expiry(report.earliest_rating_date, report.enforcement_rating)
    {
        problems.push(format!(
            "expiry: {} does not follow from the earliest rating date {} and enforcement rating {} (expected {})",
            report.expiry,
            report.earliest_rating_date,
            report.enforcement_rating,
            calendar::listing_expiry(report.earliest_rating_date, report.enforcement_rating)
        ));
    }
    problems
}

/// The data of a FORM 2359i (front page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report2359i {
    pub kind: ShipperKind,
    pub state_fips: String,
    /// Item 5, the IMS Plant or BTU number.
    pub shipper_number: String,
    /// The State plant code `SS-NNN` printed on packages, for a plant.
    pub plant_code: Option<String>,
    pub name: String,
    pub farms: Option<u32>,
    pub farms_inspected: Option<u32>,
    pub raw_milk_rating: Option<u32>,
    pub plant_rating: Option<u32>,
    pub enforcement_rating: u32,
    pub earliest_rating_date: NaiveDate,
    pub expiry: NaiveDate,
    pub product_codes: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn source(name: &str, scr: u32) -> Source {
        Source {
            name: name.into(),
            listed: true,
            sanitation_rating: scr,
            enforcement_history: vec![92],
            months_enforcement_below_90: 0,
        }
    }

    fn input() -> ListingInput {
        ListingInput {
            kind: ShipperKind::MilkPlant,
            rating_dates: vec![d("2012-08-05"), d("2012-08-03")],
            sanitation_rating: Some(91),
            enforcement_rating: 90,
            sources: vec![
                source("ABC BTU", 91),
                source("Udderly Delightful BTU", 92),
                source("GMI Good Dairy", 90),
            ],
            haccp_marked: vec![],
            aseptic_noncompliant: vec![],
        }
    }

    /// Clean Milk Dairy (L6379-6435): eligible, earliest 8/3/2012, expires 8/2/2014.
    #[test]
    fn clean_milk_dairy_is_listed() {
        let l = decide(&input()).unwrap();
        assert!(l.eligible && l.triggers.is_empty());
        assert_eq!(l.earliest_rating_date, d("2012-08-03"));
        assert_eq!(l.expiry, d("2014-08-02"));
    }

    /// e.6 listing-decision vectors.
    #[test]
    fn withdrawal_triggers() {
        let mut i = input();
        i.sources[0].sanitation_rating = 89;
        i.sources[1].listed = false;
        i.sources[2].months_enforcement_below_90 = 7;
        let l = decide(&i).unwrap();
        assert!(!l.eligible);
        assert_eq!(l.triggers.len(), 3);
        let mut i = input();
        i.sources[0].enforcement_history = vec![88, 87];
        assert_eq!(
            decide(&i).unwrap().triggers,
            [Trigger::SourceEnforcementBelow90("ABC BTU".into())]
        );
        let mut i = input();
        i.sanitation_rating = Some(89);
        assert!(!decide(&i).unwrap().eligible);
        let mut i = input();
        i.kind = ShipperKind::SingleService;
        i.sanitation_rating = Some(85);
        assert!(decide(&i).unwrap().eligible);
    }

    #[test]
    fn haccp_cle_may_and_aseptic_acle_shall() {
        let mut i = input();
        i.haccp_marked = vec!["1C".into(), "9C".into()];
        assert!(
            decide(&i).unwrap().triggers.is_empty(),
            "not critical listing elements"
        );
        i.haccp_marked = vec!["10B".into()];
        let l = decide(&i).unwrap();
        assert!(
            l.eligible,
            "a marked CLE is grounds, not an automatic withdrawal"
        );
        assert_eq!(l.triggers.len(), 1);
        i.aseptic_noncompliant = vec!["4".into()];
        assert!(!decide(&i).unwrap().eligible);
    }

    /// H #6 remark (L4118-4126): 11 haulers from 30 days of weight tickets + a field person;
    /// 3 weekend haulers and the field person unpermitted → item 4 8/12.
    #[test]
    fn report_2359i_checks() {
        let edition = Edition::builtin(crate::reference::DEFAULT_EDITION).unwrap();
        let ok = Report2359i {
            kind: ShipperKind::MilkPlant,
            state_fips: "55".into(),
            shipper_number: "1234".into(),
            plant_code: Some("55-1234".into()),
            name: "Clean Milk Dairy".into(),
            farms: Some(120),
            farms_inspected: Some(34),
            raw_milk_rating: Some(92),
            plant_rating: Some(91),
            enforcement_rating: 90,
            earliest_rating_date: d("2012-08-03"),
            expiry: d("2014-08-02"),
            product_codes: vec![1, 2, 5],
        };
        assert!(
            check_2359i(&ok, edition).is_empty(),
            "{:?}",
            check_2359i(&ok, edition)
        );
        let bad = Report2359i {
            state_fips: "03".into(),
            farms_inspected: Some(30),
            product_codes: vec![45],
            expiry: d("2014-08-03"),
            ..ok.clone()
        };
        let p = check_2359i(&bad, edition);
        assert_eq!(p.len(), 4, "{p:?}");
        // code 41 (UF permeate) is on the 2011 form, not in the 2004 List
        let uf = Report2359i {
            product_codes: vec![41],
            ..ok.clone()
        };
        assert!(check_2359i(&uf, edition).is_empty());
        let old = Edition::builtin("ims-2004").unwrap();
        assert_eq!(check_2359i(&uf, old).len(), 1);
        // the form's own limits: 34 characters, 5 digits, the plant code, the station mark
        let long = Report2359i {
            kind: ShipperKind::ReceivingStation,
            name: "Metro Dairy Cooperative Receiving Depot".into(),
            shipper_number: "123456".into(),
            plant_code: Some("55/1234".into()),
            ..ok.clone()
        };
        let p = check_2359i(&long, edition);
        for field in ["name: 1 to 34", "shipper_number", "plant_code", "(RS)"] {
            assert!(p.iter().any(|x| x.contains(field)), "{field}: {p:?}");
        }
        let btu = Report2359i {
            kind: ShipperKind::Btu,
            product_codes: vec![1, 2],
            plant_code: None,
            ..ok
        };
        assert!(check_2359i(&btu, edition).iter().any(|p| p.contains("raw")));
    }
}
