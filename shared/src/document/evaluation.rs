//! A hauler/sampler evaluation's pick-up record: the producer dairy and tank truck where the
//! hauler/sampler was observed, when, the milk temperature read and recorded, the sample taken
//! and its identity, the hauler/sampler's permit State, and the outcome — satisfactory, or
//! unsatisfactory with the date the re-evaluation is due (MMSR L8710). Part of the signed
//! content; an evaluation is signed only with its outcome.

use super::*;
use crate::sampling::Outcome;

/// One field of the pick-up record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickupField {
    /// The producer dairy (name or producer number) of the pick-up.
    Producer,
    TankTruck,
    /// The hauler/sampler's permit State (a permit from another State is accepted).
    PermitState,
    /// The milk's temperature as read, °F (a decimal).
    MilkTemperatureF,
    /// The official sample's identity (its label).
    SampleId,
}

impl PickupField {
    pub const ALL: [PickupField; 5] = [
        PickupField::Producer,
        PickupField::TankTruck,
        PickupField::PermitState,
        PickupField::MilkTemperatureF,
        PickupField::SampleId,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PickupField::Producer => "producer",
            PickupField::TankTruck => "tank_truck",
            PickupField::PermitState => "permit_state",
            PickupField::MilkTemperatureF => "milk_temperature_f",
            PickupField::SampleId => "sample_id",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PickupField::Producer => "Producer dairy",
            PickupField::TankTruck => "Tank truck",
            PickupField::PermitState => "Permit State",
            PickupField::MilkTemperatureF => "Milk temperature (°F)",
            PickupField::SampleId => "Sample identity",
        }
    }
}

/// The pick-up record as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pickup {
    pub producer: String,
    pub tank_truck: String,
    pub permit_state: String,
    pub milk_temperature_f: String,
    pub sample_id: String,
    pub outcome: Option<Outcome>,
}

impl Pickup {
    pub fn get(&self, f: PickupField) -> &str {
        match f {
            PickupField::Producer => &self.producer,
            PickupField::TankTruck => &self.tank_truck,
            PickupField::PermitState => &self.permit_state,
            PickupField::MilkTemperatureF => &self.milk_temperature_f,
            PickupField::SampleId => &self.sample_id,
        }
    }
}

const OUTCOME: &str = "outcome";
const REEVALUATE_BY: &str = "reevaluate_by";

impl InspectionDoc {
    fn evaluation_map(&mut self) -> Result<ObjId> {
        self.editable()?;
        let view = self.read()?;
        if view.header.kind != InspectionKind::HaulerSampler {
            return Err(DocumentError::Workflow(
                "only a hauler/sampler evaluation has a pick-up record".into(),
            ));
        }
        match self.obj(&ROOT, keys::EVALUATION) {
            Ok(m) => Ok(m),
            // documents made before the pick-up record existed
            Err(_) => Ok(self.doc.put_object(ROOT, keys::EVALUATION, ObjType::Map)?),
        }
    }

    /// Records one field of the pick-up (trimmed; empty clears it). A temperature must be a
    /// reading in °F.
    pub fn set_pickup(
        &mut self,
        field: PickupField,
        value: &str,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        let value = value.trim();
        if field == PickupField::MilkTemperatureF && !value.is_empty() {
            match crate::exact::parse_decimal(value) {
                Some(t)
                    if t >= crate::exact::Exact::from(-20)
                        && t <= crate::exact::Exact::from(212) => {}
                _ => {
                    return Err(DocumentError::Workflow(format!(
                        "the milk temperature is a reading in °F (e.g. 38.5), not \"{value}\""
                    )))
                }
            }
        }
        if value.chars().count() > 200 {
            return Err(DocumentError::Workflow(format!(
                "{} is at most 200 characters",
                field.label()
            )));
        }
        let m = self.evaluation_map()?;
        self.doc.put(&m, field.key(), value)?;
        commit(&mut self.doc, &format!("pick-up {}", field.key()), now);
        Ok(())
    }

    /// Records the outcome; an unsatisfactory one carries the day the re-evaluation is due, not
    /// before the evaluation started.
    pub fn set_outcome(&mut self, outcome: Outcome, now: &DateTime<FixedOffset>) -> Result<()> {
        let started = self.read()?.header.started_at.date_naive();
        if let Outcome::Unsatisfactory { reevaluate_by } = outcome {
            if reevaluate_by < started {
                return Err(DocumentError::Workflow(
                    "the re-evaluation is due after the evaluation, not before it".into(),
                ));
            }
        }
        let m = self.evaluation_map()?;
        match outcome {
            Outcome::Satisfactory => {
                self.doc.put(&m, OUTCOME, "satisfactory")?;
                self.doc.delete(&m, REEVALUATE_BY)?;
            }
            Outcome::Unsatisfactory { reevaluate_by } => {
                self.doc.put(&m, OUTCOME, "unsatisfactory")?;
                self.doc.put(&m, REEVALUATE_BY, reevaluate_by.to_string())?;
            }
        }
        commit(&mut self.doc, "outcome", now);
        Ok(())
    }

    pub(super) fn pickup(&self) -> Option<Pickup> {
        let m = self.obj(&ROOT, keys::EVALUATION).ok()?;
        let s = |k: &str| self.str_at(&m, k).unwrap_or_default();
        let outcome = match s(OUTCOME).as_str() {
            "satisfactory" => Some(Outcome::Satisfactory),
            "unsatisfactory" => s(REEVALUATE_BY)
                .parse()
                .ok()
                .map(|reevaluate_by| Outcome::Unsatisfactory { reevaluate_by }),
            _ => None,
        };
        Some(Pickup {
            producer: s(PickupField::Producer.key()),
            tank_truck: s(PickupField::TankTruck.key()),
            permit_state: s(PickupField::PermitState.key()),
            milk_temperature_f: s(PickupField::MilkTemperatureF.key()),
            sample_id: s(PickupField::SampleId.key()),
            outcome,
        })
    }
}
