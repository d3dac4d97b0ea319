//! A supervisor's or rating officer's review of an inspection: accept, or return with comments
//! overall and per finding. The review is an Automerge change by the reviewer's own actor,
//! checked by the same rule a device's change meets in sync (`shared::authority::authorize`),
//! merged into the stored document and its projection in one transaction; the devices'
//! briefcase follows (the facility's last inspection and reinspections owed), and the
//! inspector's device gets the review on its next sync.

use chrono::Utc;
use milkshed_shared::authority::{self, Acting, Refusal};
use milkshed_shared::document::automerge::ActorId;
use milkshed_shared::document::{Person, Review};

use crate::db::{self, Db};
use crate::service::{publish, ServiceError, ServiceResult};

/// What the reviewer decided.
pub struct Decision {
    pub accepted: bool,
    pub comment: String,
    /// `(item, comment)`, each item among the inspection's findings.
    pub item_comments: Vec<(String, String)>,
}

/// Records `decision` on inspection `id` of the reviewer's agency, as `actor`.
pub fn review(
    db: &Db,
    actor: &ActorId,
    caller: &db::Caller,
    reviewer: &Acting<'_>,
    id: milkshed_shared::ids::InspectionId,
    decision: Decision,
) -> ServiceResult<()> {
    if !reviewer.role.reviews() {
        return Err(ServiceError::forbidden(
            "Only a supervisor or rating officer reviews inspections.",
        ));
    }
    let mut conn = db.write()?;
    let tx = conn.transaction().map_err(db::DbError::from)?;
    let mut stored = db::load_doc_for_update(&tx, &id, actor)?
        .filter(|s| s.agency_id == reviewer.agency)
        .ok_or_else(|| ServiceError::not_found("inspection"))?;
    let known = stored.doc.read().map_err(ServiceError::internal)?;
    if let Some((item, _)) = decision
        .item_comments
        .iter()
        .find(|(i, _)| !known.findings.iter().any(|f| &f.item == i))
    {
        return Err(ServiceError::bad_request(format!(
            "Item {item} is not among this inspection's findings."
        )));
    }
    stored
        .doc
        .review(&Review {
            by: Person {
                id: reviewer.user_id.to_string().into(),
                name: reviewer.name.to_string(),
            },
            at: Utc::now().fixed_offset(),
            accepted: decision.accepted,
            comment: decision.comment,
            item_comments: decision.item_comments,
        })
        .map_err(|e| ServiceError::conflict(e.to_string()))?;
    let after = stored.doc.read().map_err(ServiceError::internal)?;
    match authority::authorize(Some(&known), &after, reviewer) {
        Ok(()) => {}
        Err(Refusal::OwnReview) => {
            return Err(ServiceError::forbidden(
                "You inspected this one: another supervisor or rating officer reviews it.",
            ))
        }
        Err(r) => return Err(ServiceError::forbidden(format!("Not saved: {r}."))),
    }
    db::store_doc(&tx, reviewer.agency, &mut stored.doc)?;
    // an accepted or returned inspection changes what the devices' work lists owe
    publish::publish_reference(&tx, reviewer.agency, after.header.subject.id.as_str())?;
    let what = if decision.accepted {
        "accepted"
    } else {
        "returned"
    };
    crate::service::audit(
        &tx,
        caller,
        &format!("inspection.{what}"),
        after.header.subject.id.as_str(),
        format!(
            "{} inspection of {} by {} ({}) {what}",
            after.header.kind.as_str().replace('_', " "),
            after.header.subject.name,
            after.header.inspector.name,
            id
        ),
    )?;
    if !decision.accepted {
        // the inspector hears of it before the next sync
        crate::service::outbox::returned_inspection(
            &tx,
            reviewer.agency,
            &after,
            &id.to_string(),
            reviewer.name,
        )?;
    }
    tx.commit().map_err(db::DbError::from)?;
    Ok(())
}
