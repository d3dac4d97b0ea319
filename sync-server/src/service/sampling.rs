//! Sampling surveillance records (MMSR L8630-8712): an evaluator's FDA SSO certificate, the
//! comparison evaluations that earn a delegation (computed by `shared::sampling::delegation`
//! and recorded when earned), and the check every hauler/sampler evaluation sent in meets —
//! only a certified SSO or a properly delegated official evaluates (`sampling::may_evaluate`,
//! the device's check too, over the briefcase's evaluator records).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use milkshed_shared::authority::Role;
use milkshed_shared::briefcase;
use milkshed_shared::sampling::{
    self, Comparison, Delegation, DelegationRound, EvaluatingAs, EvaluatorCredentials, Mark,
    SamplerKind,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::{self, sampling as sdb, Caller, Db};
use crate::service::{ServiceError, ServiceResult};

/// The office keeps the records of who may evaluate.
fn office(device: &Caller) -> ServiceResult<()> {
    if matches!(device.role, Role::Supervisor | Role::Admin) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only a supervisor or an administrator records sampling surveillance authority",
        ))
    }
}

/// An evaluator's credentials as the record holds them now.
pub fn credentials(conn: &crate::db::Conn, user: &str) -> ServiceResult<EvaluatorCredentials> {
    Ok(EvaluatorCredentials {
        sso_certified_on: sdb::latest_sso_certificate(conn, user)?,
        delegation: sdb::latest_delegation(conn, user)?.map(|(granted_on, valid_until)| {
            Delegation {
                granted_on,
                valid_until,
            }
        }),
    })
}

/// Republishes an evaluator's record to the devices' briefcase.
pub fn publish(conn: &crate::db::Conn, agency: &str, user: &str) -> ServiceResult<()> {
    let record = briefcase::EvaluatorRecord {
        user_id: user.into(),
        credentials: credentials(conn, user)?,
    };
    let data = serde_json::to_value(&record).map_err(ServiceError::internal)?;
    db::put_reference(conn, agency, briefcase::EVALUATORS, user, &data)?;
    Ok(())
}

fn user_of_agency(conn: &crate::db::Conn, agency: &str, user: &str) -> ServiceResult<()> {
    sdb::user_role(conn, agency, user)?
        .map(|_| ())
        .ok_or_else(|| ServiceError::not_found("user"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateIn {
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    certified_on: NaiveDate,
}

/// `POST /api/evaluators/{user}/sso-certificate`: the day FDA certified the user as an SSO.
pub fn record_certificate(
    db: &Db,
    device: &Caller,
    user: String,
    c: CertificateIn,
) -> ServiceResult<Value> {
    office(device)?;
    let conn = db.write()?;
    let agency = &device.agency_id;
    user_of_agency(&conn, agency, &user)?;
    if c.certified_on > db::registry::agency_today(&conn, agency)? {
        return Err(ServiceError::bad_request(
            "certified_on: a certificate is recorded once issued, not ahead",
        ));
    }
    let tx = conn.unchecked_transaction()?;
    sdb::add_sso_certificate(&tx, agency, &user, c.certified_on, device.user_id.as_str())?;
    publish(&tx, agency, &user)?;
    crate::service::audit(
        &tx,
        device,
        "evaluator.sso_certificate",
        &user,
        format!("SSO certified on {}", c.certified_on),
    )?;
    tx.commit()?;
    evaluator_view(&conn, &user)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonIn {
    /// The certified SSO the candidate was compared with.
    sso_user_id: String,
    sampler_kind: SamplerKind,
    /// The hauler/sampler (or plant sampler) evaluated.
    sampler_id: String,
    #[serde(deserialize_with = "milkshed_shared::calendar::de_date")]
    evaluated_on: NaiveDate,
    #[serde(default = "yes")]
    routine_pickup: bool,
    sso_marks: BTreeMap<String, Mark>,
    candidate_marks: BTreeMap<String, Mark>,
    /// Whether the agency has plant samplers / industry plant samplers to compare on ("if
    /// applicable", MMSR L8654-8657).
    #[serde(default = "yes")]
    plant_samplers: bool,
    #[serde(default = "yes")]
    industry_plant_samplers: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/evaluators/{user}/comparisons`: one comparison evaluation of the candidate with
/// a certified SSO; when the comparisons since the last delegation earn one, it is recorded.
pub fn record_comparison(
    db: &Db,
    device: &Caller,
    user: String,
    c: ComparisonIn,
) -> ServiceResult<Value> {
    office(device)?;
    let conn = db.write()?;
    let agency = &device.agency_id;
    user_of_agency(&conn, agency, &user)?;
    user_of_agency(&conn, agency, &c.sso_user_id)?;
    if c.sso_user_id == user {
        return Err(ServiceError::bad_request(
            "sso_user_id: a comparison is with another evaluator, a certified SSO",
        ));
    }
    match sampling::may_evaluate(&credentials(&conn, &c.sso_user_id)?, c.evaluated_on) {
        Ok(EvaluatingAs::CertifiedSso) => {}
        _ => {
            return Err(ServiceError::bad_request(format!(
                "sso_user_id: {} held no valid SSO certificate on {} (MMSR L8636-8638)",
                c.sso_user_id, c.evaluated_on
            )))
        }
    }
    let form = c.sampler_kind.form();
    let known: Vec<&str> = form
        .marked_items()
        .into_iter()
        .map(|(_, id, _)| id)
        .collect();
    if let Some(bad) = c
        .sso_marks
        .keys()
        .chain(c.candidate_marks.keys())
        .find(|k| !known.contains(&k.as_str()))
    {
        return Err(ServiceError::bad_request(format!(
            "item {bad} is not on {}",
            form.form
        )));
    }
    if c.sso_marks.is_empty() {
        return Err(ServiceError::bad_request(
            "sso_marks: give the SSO's marking of the form",
        ));
    }
    let marks =
        |m: &BTreeMap<String, Mark>| serde_json::to_string(m).map_err(ServiceError::internal);
    let tx = conn.unchecked_transaction()?;
    sdb::add_comparison(
        &tx,
        agency,
        &sdb::NewComparison {
            user: &user,
            sso_user: &c.sso_user_id,
            sampler_kind: c.sampler_kind.as_str(),
            sampler_id: &c.sampler_id,
            evaluated_on: c.evaluated_on,
            routine_pickup: c.routine_pickup,
            sso_marks: &marks(&c.sso_marks)?,
            candidate_marks: &marks(&c.candidate_marks)?,
            by: device.user_id.as_str(),
        },
    )?;
    let previous = sdb::latest_delegation(&tx, &user)?;
    let round = DelegationRound {
        redelegation: previous.is_some(),
        plant_samplers: c.plant_samplers,
        industry_plant_samplers: c.industry_plant_samplers,
    };
    let comparisons = stored_comparisons(&tx, &user, previous.map(|p| p.0))?;
    let answer = match sampling::delegation(&comparisons, round) {
        Ok(d) => {
            sdb::add_delegation(
                &tx,
                agency,
                &user,
                d.granted_on,
                d.valid_until,
                round.redelegation,
                device.user_id.as_str(),
            )?;
            publish(&tx, agency, &user)?;
            json!({"delegation": {"granted_on": d.granted_on.to_string(), "valid_until": d.valid_until.to_string()}})
        }
        Err(still) => json!({"delegation": null, "still_needed": still}),
    };
    crate::service::audit(
        &tx,
        device,
        "evaluator.comparison",
        &user,
        format!(
            "compared with {} on {} ({})",
            c.sso_user_id, c.evaluated_on, c.sampler_id
        ),
    )?;
    tx.commit()?;
    Ok(answer)
}

fn stored_comparisons(
    conn: &crate::db::Conn,
    user: &str,
    after: Option<NaiveDate>,
) -> ServiceResult<Vec<Comparison>> {
    sdb::comparisons_after(conn, user, after)?
        .into_iter()
        .map(|(kind, on, routine_pickup, sso, candidate)| {
            let sampler = SamplerKind::ALL
                .into_iter()
                .find(|k| k.as_str() == kind)
                .ok_or_else(|| ServiceError::internal(format!("stored sampler kind {kind}")))?;
            let parse = |t: &str| -> ServiceResult<BTreeMap<String, Mark>> {
                serde_json::from_str(t).map_err(ServiceError::internal)
            };
            Ok(Comparison {
                sampler,
                on,
                routine_pickup,
                sso: parse(&sso)?,
                candidate: parse(&candidate)?,
            })
        })
        .collect()
}

fn evaluator_view(conn: &crate::db::Conn, user: &str) -> ServiceResult<Value> {
    let c = credentials(conn, user)?;
    Ok(json!({
        "user_id": user,
        "sso_certified_on": c.sso_certified_on.map(|d| d.to_string()),
        "delegation": c.delegation.map(|d| json!({"granted_on": d.granted_on.to_string(), "valid_until": d.valid_until.to_string()})),
    }))
}

/// `GET /api/evaluators/{user}`: what the record holds of the user's authority.
pub fn evaluator(db: &Db, device: &Caller, user: String) -> ServiceResult<Value> {
    let conn = db.read()?;
    user_of_agency(&conn, &device.agency_id, &user)?;
    evaluator_view(&conn, &user)
}

/// Whether `user` may evaluate samplers on `on` — the check a hauler/sampler evaluation sent
/// in meets; the refusal is the rule's sentence.
pub fn check_evaluator(
    conn: &crate::db::Conn,
    user: &str,
    on: NaiveDate,
) -> ServiceResult<Result<EvaluatingAs, String>> {
    Ok(sampling::may_evaluate(&credentials(conn, user)?, on))
}
