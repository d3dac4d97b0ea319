//! Conflicting values: two devices that set one field differently while apart leave both
//! values in the merged document. Each value is shown with who set it and when; a supervisor
//! (or the inspector) resolves the field by writing the chosen value again, a change whose
//! dependencies include every conflicting one, so every device that merges it agrees.

use automerge::transaction::Transactable;
use automerge::{ObjId, ReadDoc, Value, ROOT};
use chrono::{DateTime, FixedOffset};

use super::model::Conflict;
use super::{commit, DocumentError, InspectionDoc, Result};

/// One of a conflict's values: what, by which actor (hex), and when (milliseconds, the change's
/// time as the device recorded it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictValue {
    pub value: String,
    pub actor: String,
    pub at_millis: i64,
}

/// A conflicting field with every value and its setter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictDetail {
    pub path: String,
    /// The value shown now (Automerge's winner) first.
    pub values: Vec<ConflictValue>,
    /// Whether the values are plain values a resolution may write (not text or objects).
    pub resolvable: bool,
}

impl InspectionDoc {
    /// The object and property a conflict path names (`volume/pounds_sold_daily`,
    /// `points/8`).
    fn locate(&self, path: &str) -> Result<(ObjId, automerge::Prop)> {
        let mut obj = ROOT;
        let parts: Vec<&str> = path.split('/').collect();
        let (last, walk) = parts
            .split_last()
            .ok_or_else(|| DocumentError::Workflow(format!("no field {path}")))?;
        let prop_of = |obj: &ObjId, p: &str| -> automerge::Prop {
            match (self.doc.object_type(obj), p.parse::<usize>()) {
                (Ok(automerge::ObjType::List), Ok(i)) => automerge::Prop::from(i),
                _ => automerge::Prop::from(p),
            }
        };
        for p in walk {
            let prop = prop_of(&obj, p);
            obj = match self.doc.get(&obj, prop)? {
                Some((Value::Object(_), id)) => id,
                _ => return Err(DocumentError::Workflow(format!("no field {path}"))),
            };
        }
        let prop = prop_of(&obj, last);
        Ok((obj, prop))
    }

    fn setter(&mut self, id: &ObjId) -> (String, i64) {
        let automerge::ObjId::Id(counter, actor, _) = id else {
            return (String::new(), 0);
        };
        let at = self
            .doc
            .get_changes(&[])
            .iter()
            .find(|c| {
                c.actor_id() == actor
                    && c.start_op().get() <= *counter
                    && *counter < c.start_op().get() + c.len() as u64
            })
            .map(|c| c.timestamp())
            .unwrap_or(0);
        (actor.to_hex_string(), at)
    }

    /// Every conflicting field with its values and their setters.
    pub fn conflict_details(&mut self) -> Vec<ConflictDetail> {
        let mut out = Vec::new();
        for Conflict { path, .. } in self.conflicts() {
            let Ok((obj, prop)) = self.locate(&path) else {
                continue;
            };
            let all: Vec<(String, bool, ObjId)> = self
                .doc
                .get_all(&obj, prop)
                .unwrap_or_default()
                .iter()
                .rev()
                .map(|(v, id)| {
                    (
                        self.render(v, id),
                        matches!(v, Value::Scalar(_)),
                        id.clone(),
                    )
                })
                .collect();
            let resolvable = all.iter().all(|(_, scalar, _)| *scalar);
            let mut values = Vec::new();
            for (value, _, id) in all {
                let (actor, at_millis) = self.setter(&id);
                values.push(ConflictValue {
                    value,
                    actor,
                    at_millis,
                });
            }
            out.push(ConflictDetail {
                path,
                values,
                resolvable,
            });
        }
        out
    }

    /// Resolves the conflict at `path` with its value number `choice` (of
    /// [`conflict_details`](Self::conflict_details)' order): writes it again as one change.
    /// Answers whether the document's content changed (the choice was not the value shown), so
    /// the caller can refuse that on a signed inspection.
    pub fn resolve_conflict(
        &mut self,
        path: &str,
        choice: usize,
        now: &DateTime<FixedOffset>,
    ) -> Result<bool> {
        let (obj, prop) = self.locate(path)?;
        let all = self.doc.get_all(&obj, prop.clone())?;
        if all.len() < 2 {
            return Err(DocumentError::Workflow(format!(
                "{path} holds one value: nothing to resolve"
            )));
        }
        let ordered: Vec<_> = all.iter().rev().collect();
        let (value, _) = ordered
            .get(choice)
            .ok_or_else(|| DocumentError::Workflow(format!("{path} has no value {choice}")))?;
        let Value::Scalar(s) = value else {
            return Err(DocumentError::Workflow(format!(
                "{path} holds text or a group of fields: return the inspection so its inspector resolves it"
            )));
        };
        let scalar = s.as_ref().clone();
        let changes = choice != 0;
        // the shown value may be confirmed on a locked inspection (nothing signed changes);
        // another value only while the inspection may be edited
        if changes {
            self.editable()?;
        }
        match prop {
            automerge::Prop::Map(k) => self.doc.put(&obj, k, scalar)?,
            automerge::Prop::Seq(i) => self.doc.put(&obj, i, scalar)?,
        }
        commit(&mut self.doc, &format!("resolved conflict: {path}"), now);
        Ok(changes)
    }
}
