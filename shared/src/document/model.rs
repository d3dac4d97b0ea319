//! The typed view of an inspection: plain Rust values read from (and written to) the
//! Automerge document by [`super::InspectionDoc`].

pub use crate::ids::{FacilityId, InspectionId, UserId};
use chrono::{DateTime, FixedOffset};

/// What kind of visit a document records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InspectionKind {
    /// Routine dairy farm inspection (FORM 2359a items).
    RoutineFarm,
    /// Milk plant, receiving station or transfer station inspection (FORM 2359 items).
    Plant,
    /// Bulk milk hauler/sampler evaluation (sampling procedure items).
    HaulerSampler,
    /// A rating officer's farm visit feeding a FORM 2359k worksheet.
    RatingVisitFarm,
    /// A rating officer's plant or station visit feeding a FORM 2359L worksheet.
    RatingVisitPlant,
    /// A reinspection following up an earlier inspection (of the same subject's items).
    Reinspection,
    /// A rating officer's rating report of a shipper: FORM 2359j Section A (the report of the
    /// milk sanitation rating) and Section B (the enforcement methods, Parts I-III), with no
    /// findings of its own (MMSR L797-1067).
    RatingReport,
}

impl InspectionKind {
    pub const ALL: [InspectionKind; 7] = [
        InspectionKind::RoutineFarm,
        InspectionKind::Plant,
        InspectionKind::HaulerSampler,
        InspectionKind::RatingVisitFarm,
        InspectionKind::RatingVisitPlant,
        InspectionKind::Reinspection,
        InspectionKind::RatingReport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InspectionKind::RoutineFarm => "routine_farm",
            InspectionKind::Plant => "plant",
            InspectionKind::HaulerSampler => "hauler_sampler",
            InspectionKind::RatingVisitFarm => "rating_visit_farm",
            InspectionKind::RatingVisitPlant => "rating_visit_plant",
            InspectionKind::Reinspection => "reinspection",
            InspectionKind::RatingReport => "rating_report",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the document records a visit to its subject (every kind but the rating report,
    /// which reports on a shipper's rating): only visits count as the subject's last
    /// inspection.
    pub fn is_visit(self) -> bool {
        self != InspectionKind::RatingReport
    }
}

/// What is inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    Farm,
    Plant,
    ReceivingStation,
    TransferStation,
    Hauler,
    /// A bulk tank unit: the shipper a rating report of raw milk for pasteurization is of.
    Btu,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 6] = [
        SubjectKind::Farm,
        SubjectKind::Plant,
        SubjectKind::ReceivingStation,
        SubjectKind::TransferStation,
        SubjectKind::Hauler,
        SubjectKind::Btu,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Farm => "farm",
            SubjectKind::Plant => "plant",
            SubjectKind::ReceivingStation => "receiving_station",
            SubjectKind::TransferStation => "transfer_station",
            SubjectKind::Hauler => "hauler",
            SubjectKind::Btu => "btu",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Which item catalog a subject is inspected against.
    pub fn items(self) -> ItemSet {
        match self {
            // a BTU's farms are inspected on the farm items (its rating report has none)
            SubjectKind::Farm | SubjectKind::Btu => ItemSet::Farm,
            SubjectKind::Plant | SubjectKind::ReceivingStation | SubjectKind::TransferStation => {
                ItemSet::Plant
            }
            SubjectKind::Hauler => ItemSet::HaulerSampler,
        }
    }
}

/// The item list a document's findings are drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSet {
    Farm,
    Plant,
    HaulerSampler,
}

/// The farm, plant, station or hauler inspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub kind: SubjectKind,
    /// The agency record's id of the facility or person.
    pub id: FacilityId,
    pub name: String,
    pub permit: Option<String>,
    pub producer_number: Option<String>,
}

/// A user: inspector, reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: UserId,
    pub name: String,
}

/// What a new document starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub id: InspectionId,
    pub kind: InspectionKind,
    pub agency: String,
    pub subject: Subject,
    pub inspector: Person,
    /// The catalog the findings are recorded against (e.g. `pmo-2011`).
    pub catalog: String,
    /// When the visit started, with the device's UTC offset.
    pub started_at: DateTime<FixedOffset>,
    /// The inspection a reinspection follows up.
    pub follows: Option<InspectionId>,
}

/// An item's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemState {
    InCompliance,
    /// Violated, with the points debited (2 or 5 for a variable item) and, on a plant, the
    /// products the debit is limited to (partial debit).
    Violated {
        points: Option<u32>,
        products: Vec<String>,
    },
    NotApplicable,
    NotObserved,
}

impl ItemState {
    pub fn name(&self) -> &'static str {
        match self {
            ItemState::InCompliance => "in_compliance",
            ItemState::Violated { .. } => "violated",
            ItemState::NotApplicable => "not_applicable",
            ItemState::NotObserved => "not_observed",
        }
    }
}

/// One item or sub-item of the form as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub item: String,
    pub state: ItemState,
    pub note: String,
}

/// A GPS fix, decimal degrees kept as written (never a float in the signed content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpsFix {
    pub lat: String,
    pub lon: String,
    pub accuracy_m: Option<String>,
}

/// When in an inspection the device's position is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LocationMoment {
    /// The inspection was started.
    Started,
    /// The inspector signed.
    Signed,
}

impl LocationMoment {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationMoment::Started => "started",
            LocationMoment::Signed => "signed",
        }
    }

    pub fn parse(s: &str) -> Option<LocationMoment> {
        match s {
            "started" => Some(LocationMoment::Started),
            "signed" => Some(LocationMoment::Signed),
            _ => None,
        }
    }
}

/// Where the device was at a moment of the inspection, or why it could not tell ("no fix": the
/// permission was refused, the fix timed out, the device has no GPS). A missing fix never
/// blocks the work; it is recorded as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRecord {
    pub moment: LocationMoment,
    /// When the fix was taken (or given up on).
    pub at: DateTime<FixedOffset>,
    pub fix: Option<GpsFix>,
    /// Why there is no fix (empty when there is one).
    pub no_fix: String,
}

/// How the report reached the producer or operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMethod {
    Printed,
    Shared,
    Emailed,
    Shown,
}

impl DeliveryMethod {
    pub const ALL: [DeliveryMethod; 4] = [
        DeliveryMethod::Printed,
        DeliveryMethod::Shared,
        DeliveryMethod::Emailed,
        DeliveryMethod::Shown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMethod::Printed => "printed",
            DeliveryMethod::Shared => "shared",
            DeliveryMethod::Emailed => "emailed",
            DeliveryMethod::Shown => "shown",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryMethod> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The report handed to the producer or operator, after signing: how, when, to whom. Not part
/// of the signed content (it happens after the signature); only ever added, by the inspector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDelivery {
    pub how: DeliveryMethod,
    pub at: DateTime<FixedOffset>,
    pub to: String,
}

/// A photo stored on the device by content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRef {
    /// SHA-256 of the stored JPEG, lower-case hex.
    pub hash: String,
    pub item: Option<String>,
    pub caption: String,
    pub taken_at: Option<DateTime<FixedOffset>>,
    pub width: u32,
    pub height: u32,
    pub gps: Option<GpsFix>,
}

/// Where the document is in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    Signed,
    Submitted,
    Accepted,
    Returned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Signed => "signed",
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Status::Draft,
            Status::Signed,
            Status::Submitted,
            Status::Accepted,
            Status::Returned,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether findings may be changed: a draft, or a returned inspection being amended.
    pub fn editable(self) -> bool {
        matches!(self, Status::Draft | Status::Returned)
    }
}

/// Who signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerRole {
    /// The inspector's sign-off: locks the content.
    Inspector,
    /// The producer's or operator's acknowledgement of the report.
    Acknowledgement,
}

impl SignerRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SignerRole::Inspector => "inspector",
            SignerRole::Acknowledgement => "acknowledgement",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inspector" => Some(SignerRole::Inspector),
            "acknowledgement" => Some(SignerRole::Acknowledgement),
            _ => None,
        }
    }
}

/// A signature over the content as it stood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub role: SignerRole,
    pub name: String,
    pub signed_at: DateTime<FixedOffset>,
    /// SHA-256 of the signed content ([`super::InspectionDoc::content_hash`]).
    pub content_hash: String,
    /// The drawn signature as SVG path data.
    pub strokes: String,
}

/// A supervisor's or rating officer's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub by: Person,
    pub at: DateTime<FixedOffset>,
    pub accepted: bool,
    pub comment: String,
    /// Comments on single findings: `(item, comment)`.
    pub item_comments: Vec<(String, String)>,
}

/// Whether the signed content still matches its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// Not signed yet (or returned for amendment).
    Unsigned,
    /// The content is what the inspector signed.
    Intact,
    /// The content changed after signing: the signed hash and the hash of what is there now.
    Tampered { signed: String, now: String },
}

/// A field that two devices set differently: every value Automerge kept, winner first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Path in the document, e.g. `states/8` or `volume/pounds_sold_daily`.
    pub path: String,
    pub values: Vec<String>,
}

/// The whole inspection as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub header: Header,
    pub ended_at: Option<DateTime<FixedOffset>>,
    pub gps: Option<GpsFix>,
    /// The device's position when the inspection started and when it was signed.
    pub locations: Vec<LocationRecord>,
    pub status: Status,
    /// Findings in catalog order.
    pub findings: Vec<Finding>,
    pub notes: String,
    pub photos: Vec<PhotoRef>,
    pub pounds_sold_daily: Option<u64>,
    pub pounds_processed_daily: Option<u64>,
    /// Products and their daily pounds (plants).
    pub products: Vec<(String, u64)>,
    /// Rating visits: the random-selection seed the farm was drawn with.
    pub selection_seed: Option<u64>,
    /// A hauler/sampler evaluation's pick-up record and outcome.
    pub pickup: Option<super::evaluation::Pickup>,
    /// A rating visit's hauler/samplers identified from at least 30 days of the farm's records.
    pub haulers_identified: Vec<crate::sampling::records::IdentifiedSampler>,
    /// A rating report's entries: FORM 2359j Section A's fields and Section B's items, by
    /// path (`crate::rating::report`), each value JSON text.
    pub report: std::collections::BTreeMap<String, String>,
    pub signatures: Vec<Signature>,
    /// How the report reached the producer, in the order it did.
    pub deliveries: Vec<ReportDelivery>,
    pub reviews: Vec<Review>,
    pub integrity: Integrity,
}

impl Inspection {
    /// The findings marked violated.
    pub fn violations(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| matches!(f.state, ItemState::Violated { .. }))
    }
}
