//! A rating report's entries (FORM 2359j Sections A and B, `crate::rating::report`): one
//! Automerge map from an entry's path to its value as JSON text, so two devices filling in
//! different items of one report converge item by item. Part of the signed content; written by
//! the rating officer while the report is a draft (or returned), like any content.

use super::*;

/// The longest entry path ([`crate::rating::report`]'s paths are far shorter).
pub const MAX_REPORT_PATH: usize = 64;
/// The longest entry value: the recommendations of the rating officer, as JSON text.
pub const MAX_REPORT_VALUE: usize = 8000;
/// The most entries a report holds (Sections A and B have well under two hundred).
pub const MAX_REPORT_ENTRIES: usize = 500;

/// Whether `path` is an entry path: `a/recommendations`, `part_i/3/number`.
pub fn well_formed_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= MAX_REPORT_PATH
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '/'))
}

impl InspectionDoc {
    fn report_map(&mut self) -> Result<ObjId> {
        self.editable()?;
        if self.read()?.header.kind != InspectionKind::RatingReport {
            return Err(DocumentError::Workflow(
                "FORM 2359j entries belong to a rating report".into(),
            ));
        }
        match self.obj(&ROOT, keys::REPORT) {
            Ok(m) => Ok(m),
            Err(_) => Ok(self.doc.put_object(ROOT, keys::REPORT, ObjType::Map)?),
        }
    }

    /// Records one entry of the report: `path` as [`crate::rating::report::entry_path`] makes
    /// it, `value` any JSON value (`null` clears the entry).
    pub fn set_report_entry(
        &mut self,
        path: &str,
        value: &serde_json::Value,
        now: &DateTime<FixedOffset>,
    ) -> Result<()> {
        if !well_formed_path(path) {
            return Err(DocumentError::Workflow(format!(
                "\"{path}\" is not a FORM 2359j entry"
            )));
        }
        let text = value.to_string();
        if text.len() > MAX_REPORT_VALUE {
            return Err(DocumentError::Workflow(format!(
                "a FORM 2359j entry is at most {MAX_REPORT_VALUE} characters"
            )));
        }
        let m = self.report_map()?;
        if value.is_null() {
            self.doc.delete(&m, path)?;
        } else {
            self.doc.put(&m, path, text)?;
        }
        commit(&mut self.doc, &format!("2359j {path}"), now);
        Ok(())
    }

    pub(super) fn report_entries(&self) -> BTreeMap<String, String> {
        let Ok(m) = self.obj(&ROOT, keys::REPORT) else {
            return BTreeMap::new();
        };
        self.doc
            .keys(&m)
            .filter_map(|k| Some((k.clone(), self.str_at(&m, &k)?)))
            .collect()
    }
}
