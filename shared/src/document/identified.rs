//! A rating officer's farm visit names the bulk milk hauler/samplers identified from at least
//! the previous 30 days of the farm's records (weight tickets), by permit and issuing State —
//! the population FORM 2359j Section C counts (MMSR L281-287; `sampling::records`). Part of the
//! signed content. Keyed by `sampling::records::sampler_id_for_permit`, so the same hauler named
//! twice, however the permit was written, is one entry.

use super::*;
use crate::sampling::records::{sampler_id_for_permit, IdentifiedSampler};

impl InspectionDoc {
    fn identified_map(&mut self) -> Result<ObjId> {
        self.editable()?;
        let view = self.read()?;
        if view.header.kind != InspectionKind::RatingVisitFarm {
            return Err(DocumentError::Workflow(
                "hauler/samplers are identified at a rating officer's farm visit".into(),
            ));
        }
        match self.obj(&ROOT, keys::HAULERS_IDENTIFIED) {
            Ok(m) => Ok(m),
            Err(_) => Ok(self
                .doc
                .put_object(ROOT, keys::HAULERS_IDENTIFIED, ObjType::Map)?),
        }
    }

    /// Records a hauler/sampler identified from the farm's records: the issuing State (two
    /// letters) and permit number are required; a name helps the office find the record.
    pub fn identify_hauler(
        &mut self,
        h: &IdentifiedSampler,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        let (state, permit) = h.key();
        if state.len() != 2 || !state.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(DocumentError::Workflow(format!(
                "the permit's issuing State is its two-letter code (WI, MN), not \"{}\"",
                h.state.trim()
            )));
        }
        if permit.is_empty() || permit.chars().count() > 40 {
            return Err(DocumentError::Workflow(
                "give the hauler/sampler's permit number as the records show it (at most 40 characters)"
                    .into(),
            ));
        }
        let name = h.name.trim();
        if name.chars().count() > 120 {
            return Err(DocumentError::Workflow(
                "the hauler/sampler's name is at most 120 characters".into(),
            ));
        }
        let m = self.identified_map()?;
        let entry =
            self.doc
                .put_object(&m, sampler_id_for_permit(&state, &permit), ObjType::Map)?;
        self.doc.put(&entry, "state", state.as_str())?;
        self.doc.put(&entry, "permit", h.permit.trim())?;
        self.doc.put(&entry, "name", name)?;
        commit(&mut self.doc, "hauler/sampler identified", now);
        Ok(())
    }

    /// Removes a hauler/sampler named by mistake.
    pub fn unidentify_hauler(
        &mut self,
        state: &str,
        permit: &str,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        let m = self.identified_map()?;
        self.doc.delete(&m, sampler_id_for_permit(state, permit))?;
        commit(&mut self.doc, "hauler/sampler removed", now);
        Ok(())
    }

    pub(super) fn haulers_identified(&self) -> Vec<IdentifiedSampler> {
        let Ok(m) = self.obj(&ROOT, keys::HAULERS_IDENTIFIED) else {
            return Vec::new();
        };
        self.doc
            .keys(&m)
            .filter_map(|k| {
                let e = self.obj(&m, &k).ok()?;
                Some(IdentifiedSampler {
                    state: self.str_at(&e, "state")?,
                    permit: self.str_at(&e, "permit")?,
                    name: self.str_at(&e, "name").unwrap_or_default(),
                })
            })
            .collect()
    }
}
