//! An inspection on the review pages: findings, photos, signatures, history, and the review
//! that accepts or returns it; its photos and their thumbnails.

use super::*;
use crate::service::review;

/// An evaluation's outcome as the page prints it.
pub(super) fn outcome_text(o: Option<milkshed_shared::sampling::Outcome>) -> String {
    use milkshed_shared::sampling::Outcome;
    match o {
        Some(Outcome::Satisfactory) => "Satisfactory".into(),
        Some(Outcome::Unsatisfactory { reevaluate_by }) => {
            format!("Unsatisfactory: re-evaluation due by {reevaluate_by}")
        }
        None => "not recorded".into(),
    }
}

pub(super) fn parse_id(id: &str) -> PageResult<milkshed_shared::ids::InspectionId> {
    id.parse::<milkshed_shared::ids::InspectionId>()
        .map_err(|_| PageError::not_found("inspection"))
}

/// A user's name as the agency's accounts have it (never as a document typed it).
pub(super) fn account_name<'a>(people: &'a [(String, String, String)], id: &str) -> &'a str {
    people
        .iter()
        .find(|(uid, _, _)| uid == id)
        .map_or("(no such account)", |(_, name, _)| name.as_str())
}

pub(super) fn describe_actor(
    actor: &str,
    devices: &[(String, String, String)],
    people: &[(String, String, String)],
    state: &AppState,
) -> String {
    let server = &state.server_actor;
    if let Some((_, device, user)) = devices.iter().find(|(a, _, _)| a == actor) {
        return format!("{user} on {device}");
    }
    if let Some((_, name, _)) = people
        .iter()
        .find(|(id, _, _)| state.web_actor(id).to_hex_string() == actor)
    {
        return format!("{name} on the review pages");
    }
    if server.to_hex_string() == actor {
        return "the agency server".into();
    }
    format!("unknown actor {}", actor.get(..8).unwrap_or(actor))
}

/// `GET /review/inspections/{id}`: findings by item with debits, notes, photos, GPS and times,
/// signatures and their verification, the document's history by user and device, conflicts,
/// reviews so far, and the review form.
pub async fn inspection(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
) -> PageResult<Html<String>> {
    let uuid = parse_id(&id)?;
    run(move || {
        let conn = reader(&state)?;
        let row = wdb::inspection(&conn, &s.agency_id, &id)?.ok_or_else(|| PageError::not_found("inspection"))?;
        let mut stored = db::load_doc(&conn, &uuid, &state.server_actor)?.ok_or_else(|| PageError::not_found("inspection"))?;
        if stored.agency_id != s.agency_id {
            return Err(PageError::not_found("inspection"));
        }
        let devices = wdb::device_actors(&conn, &s.agency_id)?;
        let people = wdb::users(&conn, &s.agency_id)?;
        drop(conn);
        let ins = stored.doc.read().map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let history = stored.doc.history();
        let conflicts = stored.doc.conflicts();
        // the item's text on the inspection's own form (a hauler/sampler's evaluation list too)
        let label = |item: &str| {
            milkshed_shared::document::item_text(&ins.header.catalog, ins.header.subject.kind.items(), item)
                .map(|(text, points)| (text, Some(points).filter(|p| *p > 0)))
                .unwrap_or_default()
        };
        let own = stored.inspector_id == s.user_id;
        let may_review = ins.status == Status::Submitted && s.role.reviews() && !own;
        let title = format!("{} — {}", ins.header.subject.name, day(&row.started_at));
        let body = html! {
            div.grid {
                div { "Kind: " (ins.header.kind.as_str().replace('_', " ")) }
                div { "Inspector: " (account_name(&people, ins.header.inspector.id.as_str())) }
                div { "Permit: " (ins.header.subject.permit.clone().unwrap_or_default()) }
                div { "Status: " (status_pill(ins.status.as_str())) }
                div { "Started: " (when(&ins.header.started_at)) }
                div { "Ended: " (ins.ended_at.map(|d| when(&d)).unwrap_or_else(|| "—".into())) }
                div { "GPS: " @if let Some(g) = &ins.gps { (g.lat) ", " (g.lon) @if let Some(a) = &g.accuracy_m { " (±" (a) " m)" } } @else { "—" } }
                @for l in &ins.locations {
                    div.location id={"location-" (l.moment.as_str())} {
                        "GPS when " (l.moment.as_str()) ": "
                        @if let Some(g) = &l.fix { (g.lat) ", " (g.lon) @if let Some(a) = &g.accuracy_m { " (±" (a) " m)" } } @else { "no fix (" (l.no_fix) ")" }
                        " · " (when(&l.at))
                    }
                }
                @if let Some(pickup) = &ins.pickup {
                    div #pickup {
                        @for f in milkshed_shared::document::PickupField::ALL {
                            @if !pickup.get(f).is_empty() { div { (f.label()) ": " (pickup.get(f)) } }
                        }
                        div #outcome { "Outcome: " (outcome_text(pickup.outcome)) }
                    }
                }
                @if let Some(p) = ins.pounds_sold_daily { div { "Pounds sold daily: " (p) } }
                @if let Some(p) = ins.pounds_processed_daily { div #pounds-processed { "Pounds processed daily: " (p) } }
                @if ins.pounds_sold_daily.is_none() && ins.pounds_processed_daily.is_none() { div { "Pounds daily: —" } }
                @if !ins.products.is_empty() {
                    div #products { "Products: " (ins.products.iter().map(|(n, p)| format!("{n} ({p} lb daily)")).collect::<Vec<_>>().join(", ")) }
                }
                div { "Total Debits: " strong #total-debits { (row.total_debits.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) } }
                div { "Catalog: " (ins.header.catalog) }
            }
            h2 { "Signatures" }
            @match &ins.integrity {
                Integrity::Tampered { .. } => p.tampered #integrity { "TAMPERED: the content no longer matches what the inspector signed." },
                Integrity::Intact => p.ok #integrity { "Verified: the content is what the inspector signed." },
                Integrity::Unsigned => p.muted #integrity { "Not signed yet." },
            }
            table {
                thead { tr { th { "Role" } th { "Name" } th { "Signed at" } th { "Signature" } th { "Content hash" } } }
                tbody { @for sig in &ins.signatures { tr {
                    td { (sig.role.as_str()) } td { (sig.name) } td { (when(&sig.signed_at)) }
                    td { @if sig.strokes.trim().is_empty() { span.muted { "not drawn" } } @else {
                        // the stroke as drawn on the pad (CSS pixels of a pad up to 430 × 160)
                        svg.signature viewBox="0 0 430 160" width="215" height="80" role="img" aria-label={"signature of " (sig.name)} {
                            path d=(sig.strokes) stroke="black" stroke-width="3" fill="none" {}
                        }
                    } }
                    td.muted { (sig.content_hash.get(..16).unwrap_or(&sig.content_hash)) "…" }
                } } }
            }
            @if !ins.deliveries.is_empty() {
                h2 { "The report to the producer" }
                ul #deliveries { @for d in &ins.deliveries { li { "Report " (d.how.as_str()) " to " (d.to) " · " (when(&d.at)) } } }
            }
            h2 { "Findings" }
            table #findings {
                thead { tr { th { "Item" } th { "" } th { "Finding" } th { "Debit" } th { "Products" } th { "Note" } } }
                tbody {
                    @for f in &ins.findings {
                        @let (text, weight) = label(&f.item);
                        tr {
                            td { strong { (f.item) } }
                            td { (text) }
                            @match &f.state {
                                ItemState::Violated { points, products } => {
                                    td.breach { "violated" }
                                    td { (points.or(weight).map(|p| p.to_string()).unwrap_or_default()) }
                                    td { (products.join(", ")) }
                                }
                                other => { td { (other.name().replace('_', " ")) } td {} td {} }
                            }
                            td { (f.note) }
                        }
                    }
                }
            }
            @if !ins.notes.is_empty() { h2 { "Notes" } p { (ins.notes) } }
            h2 { "Photos (" (ins.photos.len()) ")" }
            div.photos {
                @for p in &ins.photos {
                    figure {
                        a href={"/review/photos/" (p.hash)} target="_blank" { img src={"/review/photos/" (p.hash) "/thumb"} alt=(p.caption) loading="lazy"; }
                        figcaption { @if let Some(i) = &p.item { strong { (i) } " " } (p.caption) br; span.muted { (p.taken_at.map(|t| when(&t)).unwrap_or_default()) } }
                    }
                }
            }
            @if !conflicts.is_empty() {
                h2.breach { "Conflicting values (" (conflicts.len()) ")" }
                ul { @for c in &conflicts { li { (c.path) ": " (c.values.join(" / ")) } } }
            }
            @if !ins.reviews.is_empty() {
                h2 { "Reviews" }
                @for r in &ins.reviews {
                    div.review {
                        strong { (if r.accepted { "Accepted" } else { "Returned" }) } " by " (account_name(&people, r.by.id.as_str())) " on " (when(&r.at))
                        @if !r.comment.is_empty() { p { (r.comment) } }
                        @if !r.item_comments.is_empty() { ul { @for (item, c) in &r.item_comments { li { strong { (item) } ": " (c) } } } }
                    }
                }
            }
            @if may_review {
                form.review #review method="post" action={"/review/inspections/" (id) "/review"} {
                    (csrf_field(&s))
                    h2 { "Review" }
                    label { "Comment for the inspector" textarea name="comment" {} }
                    @for f in ins.violations() {
                        label { "On item " (f.item) input name={"item:" (f.item)} placeholder="what to amend"; }
                    }
                    div.actions {
                        button.accept type="submit" name="decision" value="accept" { "Accept" }
                        button.return type="submit" name="decision" value="return" { "Return with comments" }
                    }
                }
            } @else if ins.status == Status::Submitted && own {
                p.muted { "You inspected this one: another supervisor or rating officer reviews it." }
            }
            h2 { "History" }
            table #history {
                thead { tr { th { "When" } th { "Who" } th { "What" } } }
                tbody {
                    @for (actor, t, message) in &history {
                        tr {
                            td { (chrono::DateTime::from_timestamp_millis(*t).map(|d| when(&d.fixed_offset())).unwrap_or_default()) }
                            td { (describe_actor(actor, &devices, &people, &state)) }
                            td { (message) }
                        }
                    }
                }
            }
        };
        Ok(page(&s, &title, body))
    })
    .await
}

/// `POST /review/inspections/{id}/review`: accept, or return with comments overall and per
/// finding. The review is an Automerge change by the reviewer's own actor, merged into the
/// stored document and its projection in one transaction; the inspector's device gets it on
/// its next sync.
pub async fn review(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    check_csrf(&s, get("csrf"))?;
    let accepted = match get("decision") {
        Some("accept") => true,
        Some("return") => false,
        _ => {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "Choose Accept or Return.",
            ))
        }
    };
    let comment = get("comment").unwrap_or_default().trim().to_string();
    let item_comments: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("item:")?.to_string(), v.trim().to_string())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let uuid = parse_id(&id)?;
    run(move || {
        let actor = state.web_actor(&s.user_id);
        let by = Acting {
            user_id: &s.user_id,
            name: &s.user_name,
            role: s.role,
            agency: &s.agency_id,
        };
        let decision = review::Decision {
            accepted,
            comment,
            item_comments,
        };
        review::review(&state.db, &actor, &s.caller(), &by, uuid, decision)?;
        Ok(Redirect::to(&format!("/review/inspections/{id}")).into_response())
    })
    .await
}

/// A stored photo or thumbnail: a JPEG the browser may keep (its address is its hash).
fn jpeg_response(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /review/photos/{hash}`: a photo of the agency's inspections.
pub async fn photo(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(hash): Path<String>,
) -> PageResult<Response> {
    run(move || {
        agency_photo(&state, &s, &hash)?;
        let bytes = state
            .blobs
            .get(&hash)
            .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .ok_or_else(|| PageError::not_found("photo"))?;
        Ok(jpeg_response(bytes))
    })
    .await
}

/// Refuses a photo hash that is malformed, or not of a stored photo of the signed-in agency's
/// inspections (another agency's photo is "not found", as is a guess).
pub(super) fn agency_photo(state: &AppState, s: &WebSession, hash: &str) -> PageResult<()> {
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PageError::not_found("photo"));
    }
    let conn = reader(state)?;
    if !db::photo_referenced(&conn, &s.agency_id, hash)?
        || !db::photo_stored(&conn, &s.agency_id, hash)?
    {
        return Err(PageError::not_found("photo"));
    }
    Ok(())
}

/// Longest side of a review page's thumbnail.
pub const THUMBNAIL_PX: u32 = milkshed_shared::photo::THUMB_SIDE;

/// A thumbnail of a stored photo (JPEG), made once and kept in the blob store under a key
/// derived from the photo's hash.
pub(super) fn thumbnail(state: &AppState, hash: &str) -> PageResult<Vec<u8>> {
    let key = milkshed_shared::document::sha256_hex(
        format!("thumbnail:{THUMBNAIL_PX}:{hash}").as_bytes(),
    );
    let io = |e: std::io::Error| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    if let Some(t) = state.blobs.get(&key).map_err(io)? {
        return Ok(t);
    }
    let full = state
        .blobs
        .get(hash)
        .map_err(io)?
        .ok_or_else(|| PageError::not_found("photo"))?;
    // decoded within the same limits as an upload, however the bytes got there
    let img = crate::service::photo::decode_stored(&full).map_err(|e| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the stored photo does not decode: {e}"),
        )
    })?;
    let small = img.thumbnail(THUMBNAIL_PX, THUMBNAIL_PX).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75)
        .encode_image(&small)
        .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    state.blobs.put(&key, &out).map_err(io)?;
    Ok(out)
}

/// `GET /review/photos/{hash}/thumb`: the photo's thumbnail.
pub async fn photo_thumbnail(
    State(state): State<Arc<AppState>>,
    Extension(s): Extension<WebSession>,
    Path(hash): Path<String>,
) -> PageResult<Response> {
    run(move || {
        agency_photo(&state, &s, &hash)?;
        let bytes = thumbnail(&state, &hash)?;
        Ok(jpeg_response(bytes))
    })
    .await
}
