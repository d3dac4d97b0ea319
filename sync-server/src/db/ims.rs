//! The IMS rating record's statements: SRO certificates, gate overrides, the ratings opened
//! (population, draw, commitment and seed, fixed by the migration's triggers), each day's
//! announced farms and each replacement — and the reads the gates need from the rest of the
//! record. Append-only except a rating's one reveal of its seed.

use chrono::NaiveDate;
use uuid::Uuid;

use super::sql::{params, Conn, OptionalExtension, Tx};
use super::{now, DbError, Result};

fn date(s: &str) -> Result<NaiveDate> {
    s.parse()
        .map_err(|e: chrono::ParseError| DbError::Damaged(format!("date {s}: {e}")))
}

fn json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| DbError::Damaged(format!("{what}: {e}")))
}

pub fn add_sro_certificate(
    conn: &Conn,
    agency: &str,
    user: &str,
    issued_on: NaiveDate,
    categories: &[String],
    by: &str,
) -> Result<String> {
    let id = Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO sro_certificates (id, agency_id, user_id, issued_on, categories, recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, agency, user, issued_on.to_string(), categories.join(","), by, now()],
    )?;
    Ok(id)
}

/// The user's latest SRO certificate: the day it was issued and its categories.
pub fn sro_certificate(
    conn: &Conn,
    agency: &str,
    user: &str,
) -> Result<Option<(NaiveDate, Vec<String>)>> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT issued_on, categories FROM sro_certificates WHERE agency_id = ?1 AND user_id = ?2
             ORDER BY issued_on DESC, recorded_at DESC LIMIT 1",
            params![agency, user],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(d, c)| {
        Ok((
            date(&d)?,
            c.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ))
    })
    .transpose()
}

/// A recorded override of a gate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OverrideRow {
    pub id: String,
    pub gate: String,
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[allow(clippy::too_many_arguments)]
pub fn add_override(
    conn: &Conn,
    agency: &str,
    shipper: &str,
    officer: &str,
    gate: &str,
    reason: &str,
    by: &str,
) -> Result<String> {
    let id = Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO rating_overrides (id, agency_id, shipper_id, officer_id, gate, reason, recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, agency, shipper, officer, gate, reason, by, now()],
    )?;
    Ok(id)
}

/// The overrides recorded for this shipper and officer since the shipper's last rating was
/// opened (an override serves one rating).
pub fn overrides(
    conn: &Conn,
    agency: &str,
    shipper: &str,
    officer: &str,
) -> Result<Vec<OverrideRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, o.gate, o.reason, o.recorded_by, o.recorded_at FROM rating_overrides o
         WHERE o.agency_id = ?1 AND o.shipper_id = ?2 AND o.officer_id = ?3
           AND o.recorded_at > COALESCE((SELECT MAX(opened_at) FROM ims_ratings r
                                         WHERE r.agency_id = ?1 AND r.shipper_id = ?2), '')
         ORDER BY o.recorded_at",
    )?;
    let rows = stmt.query_map(params![agency, shipper, officer], |r| {
        Ok(OverrideRow {
            id: r.get(0)?,
            gate: r.get(1)?,
            reason: r.get(2)?,
            recorded_by: r.get(3)?,
            recorded_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

/// A rating as opened, with its fixed parts as JSON.
#[derive(Debug, Clone)]
pub struct RatingRow {
    pub id: String,
    pub agency_id: String,
    pub shipper_id: String,
    pub officer_id: String,
    pub opened_on: NaiveDate,
    pub opened_at: String,
    pub method: String,
    pub producers: String,
    pub producers_listed_on: NaiveDate,
    pub shifting: String,
    pub population: String,
    pub draw: String,
    pub commitment: String,
    pub seed: String,
    pub gates: String,
    pub overrides: String,
    pub seed_revealed_at: Option<String>,
}

pub fn add_rating(tx: &Tx<'_>, r: &RatingRow) -> Result<()> {
    tx.execute(
        "INSERT INTO ims_ratings (id, agency_id, shipper_id, officer_id, opened_on, opened_at, method, producers, producers_listed_on, shifting, population, draw, commitment, seed, gates, overrides)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            r.id,
            r.agency_id,
            r.shipper_id,
            r.officer_id,
            r.opened_on.to_string(),
            r.opened_at,
            r.method,
            r.producers,
            r.producers_listed_on.to_string(),
            r.shifting,
            r.population,
            r.draw,
            r.commitment,
            r.seed,
            r.gates,
            r.overrides
        ],
    )?;
    Ok(())
}

/// A rating of the agency.
pub fn rating(conn: &Conn, agency: &str, id: &str) -> Result<Option<RatingRow>> {
    let row = conn
        .query_row(
            "SELECT id, agency_id, shipper_id, officer_id, opened_on, opened_at, method, producers, producers_listed_on, shifting, population, draw, commitment, seed, gates, overrides, seed_revealed_at
             FROM ims_ratings WHERE agency_id = ?1 AND id = ?2",
            params![agency, id],
            |r| {
                Ok((
                    [
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                        r.get(11)?,
                        r.get(12)?,
                        r.get(13)?,
                        r.get(14)?,
                        r.get(15)?,
                    ],
                    r.get::<_, Option<String>>(16)?,
                ))
            },
        )
        .optional()?;
    let Some((c, revealed)) = row else {
        return Ok(None);
    };
    let [id, agency_id, shipper_id, officer_id, opened_on, opened_at, method, producers, listed_on, shifting, population, draw, commitment, seed, gates, overrides] =
        c;
    Ok(Some(RatingRow {
        id,
        agency_id,
        shipper_id,
        officer_id,
        opened_on: date(&opened_on)?,
        opened_at,
        method,
        producers,
        producers_listed_on: date(&listed_on)?,
        shifting,
        population,
        draw,
        commitment,
        seed,
        gates,
        overrides,
        seed_revealed_at: revealed,
    }))
}

/// The ratings of a shipper (or of the agency), newest first: ids.
pub fn ratings_of(conn: &Conn, agency: &str, shipper: Option<&str>) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM ims_ratings WHERE agency_id = ?1 AND (?2 IS NULL OR shipper_id = ?2)
         ORDER BY opened_at DESC, id",
    )?;
    let rows = stmt.query_map(params![agency, shipper], |r| r.get(0))?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

/// Reveals the seed once (the migration refuses a second time).
pub fn reveal_seed(tx: &Tx<'_>, id: &str) -> Result<()> {
    tx.execute(
        "UPDATE ims_ratings SET seed_revealed_at = ?2 WHERE id = ?1 AND seed_revealed_at IS NULL",
        params![id, now()],
    )?;
    Ok(())
}

pub fn days(conn: &Conn, rating: &str) -> Result<Vec<milkshed_shared::rating::draw::Day>> {
    let mut stmt = conn.prepare_cached(
        "SELECT on_day, farms FROM rating_days WHERE rating_id = ?1 ORDER BY day_no",
    )?;
    let rows: Vec<(String, String)> = stmt
        .query_map([rating], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<super::sql::Result<_>>()?;
    rows.into_iter()
        .map(|(on, farms)| {
            Ok(milkshed_shared::rating::draw::Day {
                on: date(&on)?,
                farms: json("a day's farms", &farms)?,
            })
        })
        .collect()
}

pub fn add_day(
    tx: &Tx<'_>,
    rating: &str,
    day_no: usize,
    day: &milkshed_shared::rating::draw::Day,
    by: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO rating_days (rating_id, day_no, on_day, farms, announced_by, announced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            rating,
            day_no as i64,
            day.on.to_string(),
            serde_json::to_string(&day.farms).unwrap_or_default(),
            by,
            now()
        ],
    )?;
    Ok(())
}

pub fn replacements(
    conn: &Conn,
    rating: &str,
) -> Result<Vec<milkshed_shared::rating::draw::Replacement>> {
    let mut stmt = conn.prepare_cached(
        "SELECT replaced, by_farm, reason, on_day FROM rating_replacements WHERE rating_id = ?1
         ORDER BY recorded_at, replaced",
    )?;
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map([rating], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<super::sql::Result<_>>()?;
    rows.into_iter()
        .map(|(replaced, by, reason, on)| {
            Ok(milkshed_shared::rating::draw::Replacement {
                replaced,
                by,
                reason,
                on: date(&on)?,
            })
        })
        .collect()
}

pub fn add_replacement(
    tx: &Tx<'_>,
    rating: &str,
    r: &milkshed_shared::rating::draw::Replacement,
    by: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO rating_replacements (rating_id, replaced, by_farm, reason, on_day, recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![rating, r.replaced, r.by, r.reason, r.on.to_string(), by, now()],
    )?;
    Ok(())
}

/// The farms of a listing on a day, rebuilt from the farms' joined/left events.
pub fn members_on(conn: &Conn, shipper: &str, on: NaiveDate) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT facility_id, event, value FROM facility_events
         WHERE event IN ('joined_listing', 'left_listing') AND effective_on <= ?1
           AND facility_id IN (SELECT facility_id FROM facility_events WHERE value = ?2)
         ORDER BY effective_on, recorded_at",
    )?;
    let rows: Vec<(String, String, Option<String>)> = stmt
        .query_map(params![on.to_string(), shipper], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<super::sql::Result<_>>()?;
    let mut member = std::collections::BTreeMap::new();
    for (farm, event, value) in rows {
        let here = value.as_deref() == Some(shipper);
        match event.as_str() {
            "joined_listing" => member.insert(farm, here),
            _ if here => member.insert(farm, false),
            _ => None,
        };
    }
    Ok(member
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(f, _)| f)
        .collect())
}

/// The laboratories of the official results of these subjects since a day.
pub fn labs_used_since(
    conn: &Conn,
    agency: &str,
    subjects: &[String],
    since: NaiveDate,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT lab_number FROM lab_results
         WHERE agency_id = ?1 AND sample_date >= ?2
           AND subject_id IN (SELECT value FROM json_each(?3))
         ORDER BY lab_number",
    )?;
    let rows = stmt.query_map(
        params![
            agency,
            since.to_string(),
            serde_json::to_string(subjects).unwrap_or_default()
        ],
        |r| r.get(0),
    )?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}

/// A subject and a day (as stored).
pub type Dated = (String, String);

/// The days a user inspected each of these subjects (routine, plant and reinspections), and the
/// days the user issued enforcement actions against them.
pub fn duties_of(
    conn: &Conn,
    agency: &str,
    user: &str,
    subjects: &[String],
) -> Result<(Vec<Dated>, Vec<Dated>)> {
    let list = serde_json::to_string(subjects).unwrap_or_default();
    let mut stmt = conn.prepare_cached(
        "SELECT subject_id, started_at FROM inspections
         WHERE agency_id = ?1 AND inspector_id = ?2
           AND kind IN ('routine_farm', 'plant', 'reinspection')
           AND subject_id IN (SELECT value FROM json_each(?3))",
    )?;
    let inspected = stmt
        .query_map(params![agency, user, list], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<super::sql::Result<_>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT subject_id, issued_on FROM enforcement_actions
         WHERE agency_id = ?1 AND issued_by = ?2
           AND subject_id IN (SELECT value FROM json_each(?3))",
    )?;
    let enforced = stmt
        .query_map(params![agency, user, list], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<super::sql::Result<_>>()?;
    Ok((inspected, enforced))
}

/// The subjects (of these) whose latest assignment is to the user.
pub fn assigned_to(
    conn: &Conn,
    agency: &str,
    user: &str,
    subjects: &[String],
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.facility_id FROM assignments a
         WHERE a.agency_id = ?1 AND a.user_id = ?2
           AND a.facility_id IN (SELECT value FROM json_each(?3))
           AND a.id = (SELECT MAX(b.id) FROM assignments b
                       WHERE b.agency_id = a.agency_id AND b.facility_id = a.facility_id)
         ORDER BY a.facility_id",
    )?;
    let rows = stmt.query_map(
        params![
            agency,
            user,
            serde_json::to_string(subjects).unwrap_or_default()
        ],
        |r| r.get(0),
    )?;
    Ok(rows.collect::<super::sql::Result<_>>()?)
}
