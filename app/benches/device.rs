//! Device-core measurements: edit-to-durable latency, opening a large inspection, its size on
//! disk, and the photo pipeline on a 12-megapixel JPEG. Prints a Markdown table.
//!
//! Run: `cargo bench -p milkshed-app --bench device`

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeZone};
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use milkshed_app::device::{process_photo, Store};
use milkshed_shared::document::{
    Header, InspectionKind, ItemState, Person, PhotoRef, Subject, SubjectKind,
};

fn t() -> DateTime<FixedOffset> {
    FixedOffset::west_opt(5 * 3600)
        .and_then(|o| o.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).single())
        .expect("a valid time")
}

fn header(n: u128) -> Header {
    Header {
        id: milkshed_shared::ids::InspectionId::from_u128(
            0x0190_0000_0000_7000_8000_0000_0000_0000 + n,
        ),
        kind: InspectionKind::RoutineFarm,
        agency: "WI-DATCP".into(),
        subject: Subject {
            kind: SubjectKind::Farm,
            id: format!("farm-{n}").into(),
            name: format!("Farm {n}"),
            permit: Some("P-1".into()),
            producer_number: Some("55-0001".into()),
        },
        inspector: Person {
            id: "u-ann".into(),
            name: "Ann".into(),
        },
        catalog: "pmo-2011".into(),
        started_at: t(),
        follows: None,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A 4000 × 3000 camera-like frame: smooth light, structure and a little sensor noise.
fn camera_frame() -> Vec<u8> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let img = RgbImage::from_fn(4000, 3000, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise = (seed % 9) as i32 - 4;
        let fx = x as f32 / 4000.0;
        let fy = y as f32 / 3000.0;
        let stripes = ((x / 40 + y / 60) % 2) as i32 * 25;
        let base = |v: f32| (v * 200.0) as i32 + stripes + noise;
        let c = |v: i32| v.clamp(0, 255) as u8;
        Rgb([c(base(fx)), c(base(fy)), c(base(1.0 - fx * fy))])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&img)
        .expect("encode the test frame");
    out
}

fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("device.db");
    let mut store = Store::open(&path).expect("open the store");

    // edit-to-durable latency: each edit committed (WAL, synchronous=FULL) before it returns
    let id = store.create_inspection(&header(1)).expect("create");
    let ids: Vec<String> = {
        let d = milkshed_shared::document::InspectionDoc::create(
            milkshed_shared::document::automerge::ActorId::random(),
            &header(99),
        )
        .expect("doc");
        d.item_ids().expect("ids")
    };
    let mut lat = Vec::new();
    for n in 0..500usize {
        let item = ids[n % ids.len()].clone();
        let start = Instant::now();
        store
            .edit(id, &t(), |d| {
                if n % 3 == 0 {
                    d.set_item_note(&item, &format!("note {n}"), &t())
                } else {
                    d.set_finding(
                        &item,
                        &if n % 2 == 0 {
                            ItemState::InCompliance
                        } else {
                            ItemState::Violated {
                                points: if item.starts_with('8') { Some(5) } else { None },
                                products: vec![],
                            }
                        },
                        &t(),
                    )
                }
            })
            .expect("edit");
        lat.push(start.elapsed());
    }
    lat.sort();

    // an inspection with 60 items, 20 photos and 500 edits
    let big = store.create_inspection(&header(2)).expect("create");
    let photo_bytes = {
        let img = RgbImage::from_fn(1600, 1200, |x, y| {
            Rgb([(x % 251) as u8, (y % 241) as u8, 128])
        });
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&img)
            .expect("encode");
        out
    };
    let base_photo = process_photo(&photo_bytes).expect("photo");
    for p in 0..20u32 {
        let mut photo = base_photo.clone();
        photo.jpeg.extend_from_slice(&p.to_le_bytes());
        photo.hash = milkshed_shared::document::sha256_hex(&photo.jpeg);
        let hash = store.put_photo(&photo).expect("photo");
        let item = ids[(p as usize * 3) % ids.len()].clone();
        store
            .edit(big, &t(), |d| {
                d.add_photo(
                    &PhotoRef {
                        hash: hash.clone(),
                        item: Some(item.clone()),
                        caption: format!("photo {p}"),
                        taken_at: Some(t()),
                        width: photo.width,
                        height: photo.height,
                        gps: None,
                    },
                    &t(),
                )
            })
            .expect("add photo");
    }
    for n in 0..480usize {
        let item = ids[n % ids.len()].clone();
        store
            .edit(big, &t(), |d| {
                if n % 4 == 0 {
                    d.set_item_note(&item, &format!("observed at stall {n}"), &t())
                } else {
                    d.set_finding(
                        &item,
                        &if n % 2 == 0 {
                            ItemState::InCompliance
                        } else {
                            ItemState::NotObserved
                        },
                        &t(),
                    )
                }
            })
            .expect("edit");
    }
    drop(store);
    let mut open = Vec::new();
    let mut findings = 0;
    for _ in 0..20 {
        let start = Instant::now();
        let mut s = Store::open(&path).expect("open");
        let i = s.inspection(big).expect("read");
        open.push(start.elapsed());
        findings = i.findings.len();
    }
    open.sort();
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let doc_bytes: i64 = conn
        .query_row(
            "SELECT length(snapshot) + coalesce((SELECT sum(length(bytes)) FROM changes WHERE doc_id = documents.id), 0) FROM documents WHERE id = ?1",
            [big.to_string()],
            |r| r.get(0),
        )
        .expect("size");
    let mut s = Store::open(&path).expect("open");
    s.compact(big).expect("compact");
    let compacted: i64 = conn
        .query_row(
            "SELECT length(snapshot) FROM documents WHERE id = ?1",
            [big.to_string()],
            |r| r.get(0),
        )
        .expect("size");

    // photo pipeline on a 12-megapixel JPEG
    let frame = camera_frame();
    let mut times = Vec::new();
    let mut out_size = 0;
    let mut thumb_size = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let p = process_photo(&frame).expect("process");
        times.push(start.elapsed());
        out_size = p.jpeg.len();
        thumb_size = p.thumb.len();
    }
    times.sort();

    println!("| measurement | result |");
    println!("|---|---|");
    println!(
        "| edit-to-durable latency, 500 edits: p50 | {} |",
        ms(percentile(&lat, 0.5))
    );
    println!(
        "| edit-to-durable latency, 500 edits: p99 | {} |",
        ms(percentile(&lat, 0.99))
    );
    println!("| open store + read inspection ({findings} findings, 20 photos, 500 edits): median of 20 | {} |", ms(percentile(&open, 0.5)));
    println!(
        "| that inspection on disk: snapshot + incremental changes | {:.1} KiB |",
        doc_bytes as f64 / 1024.0
    );
    println!(
        "| that inspection on disk after compaction | {:.1} KiB |",
        compacted as f64 / 1024.0
    );
    println!(
        "| photo pipeline, 12 MP JPEG ({:.1} MB in): median of 5 | {} |",
        frame.len() as f64 / 1e6,
        ms(percentile(&times, 0.5))
    );
    println!(
        "| stored photo (1600 × 1200, q80) / thumbnail | {:.0} KB / {:.0} KB |",
        out_size as f64 / 1000.0,
        thumb_size as f64 / 1000.0
    );
}
