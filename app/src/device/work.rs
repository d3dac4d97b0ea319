//! The work a facility owes, read from the device's briefcase (`shared::briefcase`'s typed
//! records) with the rules the agency's board applies: the work list is the tablet's view of the
//! same functions.

use chrono::NaiveDate;
use milkshed_shared::briefcase::{self, FacilityRecord, LabLedgerRecord};

use super::store::{Store, StoreError};

/// The facilities of one briefcase table (`briefcase::FARMS`, `PLANTS`, `HAULERS`); a record
/// the device cannot read is left out (the next full sync replaces it).
pub fn facilities(store: &Store, table: &str) -> Result<Vec<FacilityRecord>, StoreError> {
    Ok(store
        .references(table)?
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

/// A facility's next routine inspection, as the board computes it.
pub fn routine_due(record: &FacilityRecord, table: &str) -> Option<NaiveDate> {
    record.routine_due(table).map(|r| r.due)
}

/// What a farm's lab ledger calls for on `today`, as the board judges it.
pub fn lab_warning(store: &Store, farm: &str, today: NaiveDate) -> Option<String> {
    let v = store.reference(briefcase::LAB_LEDGERS, farm).ok()??;
    serde_json::from_value::<LabLedgerRecord>(v)
        .ok()?
        .warning(today)
}

/// Today on the agency's calendar (its time zone, from the briefcase): the day the board's
/// deadlines run on. Before the first sync, the device's own date.
pub fn agency_today(store: &Store) -> NaiveDate {
    let now = chrono::Utc::now();
    store
        .references(briefcase::AGENCY)
        .ok()
        .and_then(|rows| rows.into_iter().next())
        .and_then(|v| serde_json::from_value::<briefcase::AgencyRecord>(v).ok())
        .map_or_else(|| chrono::Local::now().date_naive(), |a| a.today(now))
}
