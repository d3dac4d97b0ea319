//! The agency record's projection of a document: the relational rows (inspection, findings,
//! photos, signatures, reviews, a hauler/sampler evaluation's pick-up, a rating visit's
//! haulers identified) rewritten from the document each time it is stored, so a query never
//! reads the Automerge bytes; and the back-fill when a new projection table arrives.

use super::sql::{params, Conn, Tx};
use milkshed_shared::document::{Inspection, InspectionDoc, ItemState};

use super::{now, DbError, Result};

/// Projects again the stored documents of `kinds` (a new projection table's back-fill), in
/// one transaction.
pub(super) fn reproject(conn: &mut Conn, kinds: &[&str]) -> Result<()> {
    let actor = milkshed_shared::document::automerge::ActorId::random();
    let tx = conn.transaction()?;
    let rows: Vec<(String, Vec<u8>)> = {
        let mut stmt = tx.prepare(
            "SELECT d.agency_id, d.snapshot FROM documents d JOIN inspections i ON i.id = d.id
             WHERE i.kind IN (SELECT value FROM json_each(?1))",
        )?;
        let kinds = serde_json::to_string(kinds).map_err(|e| DbError::Damaged(e.to_string()))?;
        let rows = stmt.query_map([kinds], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    let now = now();
    for (agency, snapshot) in rows {
        let doc = InspectionDoc::load(&snapshot, actor.clone())
            .map_err(|e| DbError::Damaged(e.to_string()))?;
        let i = doc.read().map_err(|e| DbError::Damaged(e.to_string()))?;
        project(&tx, &agency, &i, &now)?;
    }
    tx.commit()?;
    Ok(())
}

/// Records how many fields of a document hold conflicting values.
pub(super) fn set_conflicts(tx: &Tx<'_>, id: &str, n: usize) -> Result<()> {
    tx.execute(
        "UPDATE inspections SET conflicts = ?2 WHERE id = ?1",
        params![id, n as i64],
    )?;
    Ok(())
}

/// Counts the conflicting fields of every stored document (once, when the conflict queue's
/// schema is applied to an older record).
pub(super) fn recount_conflicts(conn: &mut Conn) -> Result<()> {
    let actor = milkshed_shared::document::automerge::ActorId::random();
    let tx = conn.transaction()?;
    let rows: Vec<(String, Vec<u8>)> = {
        let mut stmt = tx.prepare("SELECT id, snapshot FROM documents")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    for (id, snapshot) in rows {
        let doc = InspectionDoc::load(&snapshot, actor.clone())
            .map_err(|e| DbError::Damaged(e.to_string()))?;
        set_conflicts(&tx, &id, doc.conflicts().len())?;
    }
    tx.commit()?;
    Ok(())
}

/// What the record shows for a user id that no account of the agency has: never the name a
/// document typed.
const UNKNOWN_USER: &str = "(no such account)";

pub(super) fn project(tx: &Tx<'_>, agency: &str, i: &Inspection, now: &str) -> Result<()> {
    let id = i.header.id.to_string();
    for table in [
        "findings",
        "inspection_photos",
        "signatures",
        "reviews",
        "evaluation_pickups",
        "haulers_identified",
    ] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE inspection_id = ?1"),
            [&id],
        )?;
    }
    let integrity = match &i.integrity {
        milkshed_shared::document::Integrity::Unsigned => "unsigned",
        milkshed_shared::document::Integrity::Intact => "intact",
        milkshed_shared::document::Integrity::Tampered { .. } => "tampered",
    };
    tx.execute(
        "INSERT INTO inspections (id, agency_id, kind, subject_kind, subject_id, subject_name, permit, inspector_id, inspector_name,
            status, integrity, started_at, ended_at, violations, total_debits, pounds_daily, updated_at, follows)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
            COALESCE((SELECT name FROM users WHERE id = ?8 AND agency_id = ?2), ?9),
            ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT(id) DO UPDATE SET subject_name = excluded.subject_name, permit = excluded.permit, status = excluded.status,
            integrity = excluded.integrity, ended_at = excluded.ended_at, violations = excluded.violations,
            total_debits = excluded.total_debits, pounds_daily = excluded.pounds_daily, updated_at = excluded.updated_at",
        params![
            id,
            agency,
            i.header.kind.as_str(),
            i.header.subject.kind.as_str(),
            i.header.subject.id.as_str(),
            i.header.subject.name,
            i.header.subject.permit,
            i.header.inspector.id.as_str(),
            UNKNOWN_USER,
            i.status.as_str(),
            integrity,
            i.header.started_at.to_rfc3339(),
            i.ended_at.map(|t| t.to_rfc3339()),
            i.violations().count() as i64,
            // the one Total Debits of an inspection (farm line, or the whole-plant line)
            milkshed_shared::rating::inspection::inspection_debits(i).map(|d| d.total),
            i.pounds_sold_daily.or(i.pounds_processed_daily).map(|p| p as i64),
            now,
            i.header.follows.map(|f| f.to_string()),
        ],
    )?;
    let reevaluate_by = match i.pickup.as_ref().and_then(|p| p.outcome) {
        Some(milkshed_shared::sampling::Outcome::Unsatisfactory { reevaluate_by }) => {
            Some(reevaluate_by.to_string())
        }
        _ => None,
    };
    tx.execute(
        "UPDATE inspections SET reevaluate_by = ?2 WHERE id = ?1",
        params![id, reevaluate_by],
    )?;
    if let Some(p) = &i.pickup {
        let outcome = p.outcome.map(|o| match o {
            milkshed_shared::sampling::Outcome::Satisfactory => "satisfactory",
            milkshed_shared::sampling::Outcome::Unsatisfactory { .. } => "unsatisfactory",
        });
        tx.execute(
            "INSERT INTO evaluation_pickups (inspection_id, producer, tank_truck, permit_state, milk_temperature_f, sample_id, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, p.producer, p.tank_truck, p.permit_state, p.milk_temperature_f, p.sample_id, outcome],
        )?;
    }
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO haulers_identified (inspection_id, state, permit, name) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (inspection_id, state, permit) DO UPDATE SET name = excluded.name",
        )?;
        for h in &i.haulers_identified {
            stmt.execute(params![id, h.state, h.permit, h.name])?;
        }
    }
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO findings (inspection_id, item, state, points, products, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for f in &i.findings {
            let (points, products) = match &f.state {
                ItemState::Violated { points, products } => (*points, Some(products.join("\n"))),
                _ => (None, None),
            };
            stmt.execute(params![
                id,
                f.item,
                f.state.name(),
                points,
                products,
                f.note
            ])?;
        }
    }
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO inspection_photos (inspection_id, hash, item, caption, taken_at, width, height) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for p in &i.photos {
            stmt.execute(params![
                id,
                p.hash,
                p.item,
                p.caption,
                p.taken_at.map(|t| t.to_rfc3339()),
                p.width,
                p.height
            ])?;
        }
    }
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO signatures (inspection_id, seq, role, name, signed_at, content_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (n, s) in i.signatures.iter().enumerate() {
            stmt.execute(params![
                id,
                n as i64,
                s.role.as_str(),
                s.name,
                s.signed_at.to_rfc3339(),
                s.content_hash
            ])?;
        }
    }
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO reviews (inspection_id, seq, by_id, by_name, at, accepted, comment)
             VALUES (?1, ?2, ?3, COALESCE((SELECT name FROM users WHERE id = ?3 AND agency_id = ?8), ?4), ?5, ?6, ?7)",
        )?;
        for (n, r) in i.reviews.iter().enumerate() {
            stmt.execute(params![
                id,
                n as i64,
                r.by.id.as_str(),
                UNKNOWN_USER,
                r.at.to_rfc3339(),
                r.accepted,
                r.comment,
                agency
            ])?;
        }
    }
    Ok(())
}
