//! The sync round trip (`POST /api/sync`), sans HTTP: a device's documents merged into the
//! agency record in one transaction, each change checked against its author's rights
//! (`shared::authority`), the inspector's documents the device lacks, and the briefcase delta.
//! **Invariant:** a refused request or a killed server changes nothing (one transaction with
//! the request id, so a replay is refused).

use milkshed_shared::authority::{self, Acting};
use milkshed_shared::document::automerge::ActorId;
use milkshed_shared::document::Status;
use milkshed_shared::sync::{
    self, DocOutcome, DocReply, ErrorCode, SyncError, SyncRequest, SyncResponse,
};

use crate::db::{self, Db, DeviceAuth};
use crate::service::{ServiceError, ServiceResult};

/// The user a device acts for, as the accounts know them.
pub fn acting(device: &DeviceAuth) -> Acting<'_> {
    Acting {
        user_id: device.user_id.as_str(),
        name: &device.user_name,
        role: device.role,
        agency: &device.agency_id,
    }
}

pub fn sync(
    db: &Db,
    server_actor: &ActorId,
    device: &DeviceAuth,
    req: SyncRequest,
) -> ServiceResult<SyncResponse> {
    let device_actor = ActorId::try_from(device.actor.as_str()).map_err(ServiceError::internal)?;
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    if !db::first_use_of_request(&tx, device.device_id.as_str(), &req.request_id.to_string())? {
        return Err(ServiceError::new(
            ErrorCode::Replayed,
            "this request was already received; send a new one",
        ));
    }
    // the offered documents' locks, all at once and in order (another instance may be merging
    // some of them now)
    db::lock_documents(&tx, &req.docs.iter().map(|o| o.id).collect::<Vec<_>>())?;
    let mut replies = Vec::with_capacity(req.docs.len());
    let mut offered = Vec::with_capacity(req.docs.len());
    for offer in &req.docs {
        if offered.contains(&offer.id) {
            return Err(ServiceError::bad_request(format!(
                "inspection {} offered twice",
                offer.id
            )));
        }
        offered.push(offer.id);
        let device_heads = sync::heads_from_bytes(&offer.heads)
            .map_err(|e| ServiceError::bad_request(e.to_string()))?;
        let stored = db::load_doc(&tx, &offer.id, server_actor)?;
        let mut old = None;
        if let Some(s) = &stored {
            if s.agency_id != device.agency_id {
                return Err(ServiceError::new(
                    ErrorCode::NotFound,
                    format!("no inspection {} in your agency", offer.id),
                ));
            }
            // a device sees its own user's inspections; a reviewer's sees those it reviews
            if s.inspector_id != device.user_id && !device.role.reviews() {
                replies.push(rejected(offer.id, "no such inspection of yours".into()));
                continue;
            }
            old = Some(s.doc.read().map_err(ServiceError::internal)?);
        }
        let merged = sync::merge_offer(
            stored.as_ref().map(|s| &s.doc),
            offer,
            std::slice::from_ref(&device_actor),
            server_actor.clone(),
        );
        let outcome = match merged {
            Err(SyncError::ForgedActor(a)) => {
                return Err(ServiceError::new(
                    ErrorCode::ForgedActor,
                    format!(
                        "inspection {}: changes by actor {a} are not this device's",
                        offer.id
                    ),
                ));
            }
            Err(SyncError::Malformed(m)) => {
                return Err(ServiceError::bad_request(format!(
                    "inspection {}: {m}",
                    offer.id
                )))
            }
            Err(e) => Err(e.to_string()),
            Ok(mut m) => {
                let view = m.doc.read().map_err(ServiceError::internal)?;
                if view.header.id != offer.id {
                    return Err(ServiceError::bad_request(format!(
                        "offer {} carries inspection {}",
                        offer.id, view.header.id
                    )));
                }
                if stored.is_none() && view.header.agency != device.agency_id {
                    return Err(ServiceError::new(
                        ErrorCode::OtherAgency,
                        format!(
                            "inspection {} belongs to agency {}, not yours",
                            offer.id, view.header.agency
                        ),
                    ));
                }
                // who may write which part: the one rule, in shared (the device applies it too)
                let authorized = match authority::authorize(old.as_ref(), &view, &acting(device)) {
                    Err(r) => Err(r.to_string()),
                    Ok(()) => match evaluator_may(&tx, device, &view)?
                        .and(report_of_a_shipper(&tx, device, &view)?)
                    {
                        Ok(()) => {
                            crate::service::samplers::register_typed_sampler(&tx, device, &view)?
                        }
                        refused => refused,
                    },
                };
                match authorized {
                    Err(refusal) => Err(refusal),
                    Ok(()) => {
                        if m.changed {
                            db::store_doc(&tx, &device.agency_id, &mut m.doc)?;
                            crate::service::audit(
                                &tx,
                                &device.caller(),
                                if old.is_none() {
                                    "inspection.created"
                                } else {
                                    "inspection.synced"
                                },
                                view.header.subject.id.as_str(),
                                format!(
                                    "{} inspection {} of {}: {}",
                                    view.header.kind.as_str().replace('_', " "),
                                    offer.id,
                                    view.header.subject.name,
                                    view.status.as_str()
                                ),
                            )?;
                            // an inspection sent in moves its facility's due date: the devices'
                            // reference data follows in the same transaction
                            let sent_in = old.as_ref().map(|o| o.status) != Some(view.status)
                                && matches!(
                                    view.status,
                                    Status::Submitted | Status::Accepted | Status::Returned
                                );
                            if sent_in {
                                crate::service::publish::publish_reference(
                                    &tx,
                                    &device.agency_id,
                                    view.header.subject.id.as_str(),
                                )?;
                            }
                        }
                        Ok(m)
                    }
                }
            }
        };
        replies.push(match outcome {
            Ok(mut m) => DocReply {
                id: offer.id,
                outcome: if m.missing_base {
                    DocOutcome::SendAll
                } else {
                    DocOutcome::Merged
                },
                changes: sync::reply_changes(&mut m.doc, &device_heads),
                heads: sync::heads_to_bytes(&m.doc.automerge().get_heads()),
            },
            Err(reason) => rejected(offer.id, reason),
        });
    }
    // the inspector's own inspections this device does not hold yet
    for id in db::docs_of_inspector(&tx, &device.agency_id, device.user_id.as_str())? {
        if offered.contains(&id) {
            continue;
        }
        if let Some(mut s) = db::load_doc(&tx, &id, server_actor)? {
            replies.push(DocReply {
                id,
                outcome: DocOutcome::Merged,
                changes: s.doc.save(),
                heads: sync::heads_to_bytes(&s.doc.automerge().get_heads()),
            });
        }
    }
    let version = db::reference_version(&tx, &device.agency_id)?;
    // a device from another server's past (a version ahead of ours) gets everything again
    let reference = if req.reference_version < version {
        Some(db::reference_delta(
            &tx,
            &device.agency_id,
            req.reference_version,
        )?)
    } else if req.reference_version > version {
        Some(db::reference_delta(&tx, &device.agency_id, 0)?)
    } else {
        None
    };
    // an IMS rating's announced farms reach its own officer's devices only: an inspector who
    // knew them could prepare those farms before the rating officer came
    let reference = reference.map(|mut delta| {
        delta.records.retain(|r| {
            r.kind != milkshed_shared::briefcase::RATINGS
                || rating_officer(&r.data).as_deref() == Some(device.user_id.as_str())
        });
        delta
    });
    tx.commit()?;
    Ok(SyncResponse {
        protocol: sync::PROTOCOL_VERSION,
        docs: replies,
        reference,
        reference_version: version,
    })
}

/// A hauler/sampler evaluation its evaluator signs or sends in: only a certified SSO or a
/// properly delegated official evaluates (`shared::sampling::may_evaluate`, on the day the
/// evaluation started) — the device checks the same before it starts one.
fn evaluator_may(
    tx: &crate::db::Tx<'_>,
    device: &DeviceAuth,
    view: &milkshed_shared::document::Inspection,
) -> ServiceResult<Result<(), String>> {
    use milkshed_shared::document::InspectionKind;
    if view.header.kind != InspectionKind::HaulerSampler
        || view.status == Status::Draft
        || view.header.inspector.id != device.user_id
    {
        return Ok(Ok(()));
    }
    let on = view.header.started_at.date_naive();
    Ok(crate::service::sampling::check_evaluator(tx, device.user_id.as_str(), on)?.map(|_| ()))
}

/// A rating report is of a shipper of the agency's registry — a BTU as a BTU, a plant or
/// station as itself — so its figures can reach that shipper's listing and no other.
fn report_of_a_shipper(
    tx: &crate::db::Tx<'_>,
    device: &DeviceAuth,
    view: &milkshed_shared::document::Inspection,
) -> ServiceResult<Result<(), String>> {
    use milkshed_shared::document::InspectionKind;
    use milkshed_shared::registry::FacilityKind;
    if view.header.kind != InspectionKind::RatingReport {
        return Ok(Ok(()));
    }
    let subject = &view.header.subject;
    let facility = db::registry::facility(tx, &device.agency_id, subject.id.as_str())?;
    let fits = facility
        .as_ref()
        .and_then(|f| FacilityKind::parse(&f.kind))
        .and_then(milkshed_shared::rating::report::report_subject)
        == Some(subject.kind);
    Ok(if fits {
        Ok(())
    } else {
        Err(format!(
            "a rating report is of a shipper in your agency's registry; {} ({}) is not one",
            subject.id,
            subject.kind.as_str()
        ))
    })
}

/// The officer a published rating is for (a record that does not read goes to no one).
fn rating_officer(data: &str) -> Option<String> {
    serde_json::from_str::<milkshed_shared::briefcase::RatingRecord>(data)
        .ok()
        .map(|r| r.officer_id)
}

/// A refused offer: the server's copy is unchanged.
pub fn rejected(id: milkshed_shared::ids::InspectionId, reason: String) -> DocReply {
    DocReply {
        id,
        outcome: DocOutcome::Rejected(reason),
        changes: Vec::new(),
        heads: Vec::new(),
    }
}
