//! The report the producer or operator keeps: items violated with their debits and notes, the
//! Total Debits, general notes, photos, signatures and the reinspection date — as a PDF the app
//! writes itself (text in the standard Helvetica fonts, photos embedded as their JPEG bytes).

use milkshed_shared::document::{item_text, Inspection, ItemState, SubjectKind};
use milkshed_shared::rating::inspection::inspection_debits;

/// A photo for the report: its JPEG bytes and pixel size.
pub struct ReportPhoto {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub caption: String,
}

/// Text that fits the PDF standard fonts (WinAnsi): ASCII as is, Latin-1 as octal escapes,
/// typographic marks replaced.
fn pdf_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '—' | '–' | '−' => out.push('-'),
            '·' | '•' => out.push('-'),
            '×' => out.push('x'),
            '✓' => out.push('v'),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            c if (c as u32) < 0x80 && !c.is_control() => out.push(c),
            c if (0xA0..=0xFF).contains(&(c as u32)) => {
                out.push_str(&format!("\\{:03o}", c as u32))
            }
            _ => out.push('?'),
        }
    }
    out
}

fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The lines of the report (also what the app shows).
pub fn report_lines(i: &Inspection) -> Vec<(bool, String)> {
    let mut l: Vec<(bool, String)> = Vec::new();
    let kind = match i.header.subject.kind {
        SubjectKind::Farm => "Dairy farm inspection report (FORM 2359a items)",
        SubjectKind::Hauler => "Bulk milk hauler/sampler evaluation",
        _ => "Milk plant inspection report (FORM 2359 items)",
    };
    l.push((true, kind.to_string()));
    l.push((
        false,
        format!(
            "{} - permit {} - producer {}",
            i.header.subject.name,
            i.header.subject.permit.clone().unwrap_or_default(),
            i.header.subject.producer_number.clone().unwrap_or_default()
        ),
    ));
    l.push((
        false,
        format!(
            "Inspected {} by {} ({})",
            i.header.started_at.format("%Y-%m-%d %H:%M %:z"),
            i.header.inspector.name,
            i.header.agency
        ),
    ));
    if let Some(p) = i.pounds_sold_daily {
        l.push((false, format!("Pounds sold daily: {p}")));
    }
    if let Some(p) = i.pounds_processed_daily {
        l.push((false, format!("Pounds processed daily: {p}")));
    }
    for (product, pounds) in &i.products {
        l.push((false, format!("Product: {product} - {pounds} lb daily")));
    }
    l.push((false, String::new()));
    let violations: Vec<_> = i.violations().collect();
    l.push((true, format!("Items violated: {}", violations.len())));
    for f in &violations {
        let (label, weight) = item_text(&i.header.catalog, i.header.subject.kind.items(), &f.item)
            .unwrap_or_default();
        let debit = match &f.state {
            ItemState::Violated {
                points: Some(p), ..
            } => *p,
            _ => weight,
        };
        l.push((
            false,
            format!("Item {} - {} - debit {}", f.item, label, debit),
        ));
        if !f.note.is_empty() {
            for w in wrap(&f.note, 86) {
                l.push((false, format!("      {w}")));
            }
        }
    }
    if let Some(d) = inspection_debits(i) {
        l.push((true, format!("Total Debits: {}", d.total)));
        for (product, debits) in &d.products {
            l.push((false, format!("Debits against {product} only: {debits}")));
        }
    }
    if !i.notes.is_empty() {
        l.push((false, String::new()));
        l.push((true, "Notes".into()));
        for w in wrap(&i.notes, 90) {
            l.push((false, w));
        }
    }
    l.push((false, String::new()));
    if !violations.is_empty() {
        let base = i.ended_at.unwrap_or(i.header.started_at);
        l.push((
            true,
            format!(
                "Reinspection due by {}",
                milkshed_shared::calendar::reinspection_due(base.date_naive()).format("%Y-%m-%d")
            ),
        ));
    }
    l.push((true, "Signatures".into()));
    for s in &i.signatures {
        l.push((
            false,
            format!(
                "{}: {}, {}",
                s.role.as_str(),
                s.name,
                s.signed_at.format("%Y-%m-%d %H:%M")
            ),
        ));
    }
    if i.signatures.is_empty() {
        l.push((false, "not signed yet".into()));
    }
    l
}

/// The report as PDF bytes (Letter pages).
/// PDF path operators drawing a signature's SVG path data (`M x y L x y …`, CSS pixels, y
/// down) scaled to fit the box whose top left corner is (`x`, `top`), in PDF points (y up).
fn stroke_ops(strokes: &str, x: f64, top: f64, w: f64, h: f64) -> String {
    let mut points: Vec<(bool, f64, f64)> = Vec::new();
    let mut tokens = strokes.split_whitespace();
    while let Some(t) = tokens.next() {
        let (cmd, first) = t.split_at(t.chars().next().map_or(0, char::len_utf8));
        let Some(second) = tokens.next() else { break };
        let (Ok(px), Ok(py)) = (first.parse::<f64>(), second.parse::<f64>()) else {
            continue;
        };
        if px.is_finite() && py.is_finite() {
            points.push((cmd == "M", px, py));
        }
    }
    if points.is_empty() {
        return String::new();
    }
    let (min_x, max_x) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let (min_y, max_y) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.2), b.max(p.2)));
    let scale = (w / (max_x - min_x).max(1.0)).min(h / (max_y - min_y).max(1.0));
    let mut ops = String::from("q 1.2 w 1 J 1 j 0 0 0 RG\n");
    for (n, (moveto, px, py)) in points.iter().enumerate() {
        let op = if *moveto || n == 0 { "m" } else { "l" };
        ops.push_str(&format!(
            "{:.1} {:.1} {op}\n",
            x + (px - min_x) * scale,
            top - (py - min_y) * scale
        ));
    }
    ops.push_str("S Q\n");
    ops
}

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] super::StoreError),
    #[error("the report could not be written: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes the report of `i`, with its photos (thumbnails, captioned with their finding) and the
/// drawn signatures, into `dir`; returns the file's path.
pub fn save_report(
    store: &super::Store,
    i: &Inspection,
    dir: &std::path::Path,
) -> Result<std::path::PathBuf, ReportError> {
    let mut photos = Vec::new();
    for p in &i.photos {
        let Some(jpeg) = store.thumbnail(&p.hash)? else {
            continue;
        };
        let Ok((width, height)) = image::ImageReader::new(std::io::Cursor::new(&jpeg))
            .with_guessed_format()
            .map_err(|_| ())
            .and_then(|r| r.into_dimensions().map_err(|_| ()))
        else {
            continue;
        };
        let caption = match (&p.item, p.caption.trim()) {
            (Some(item), "") => format!("item {item}"),
            (Some(item), c) => format!("item {item}: {c}"),
            (None, c) => c.to_string(),
        };
        photos.push(ReportPhoto {
            jpeg,
            width,
            height,
            caption,
        });
    }
    let pdf = report_pdf(i, &photos);
    let name: String = i
        .header
        .subject
        .name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!(
        "{name}-{}-{}.pdf",
        i.header.started_at.format("%Y-%m-%d"),
        &i.header.id.as_uuid().simple().to_string()[..8]
    ));
    let aside = path.with_extension("pdf.part");
    std::fs::write(&aside, &pdf)?;
    std::fs::rename(&aside, &path)?;
    Ok(path)
}

pub fn report_pdf(i: &Inspection, photos: &[ReportPhoto]) -> Vec<u8> {
    const TOP: i32 = 742;
    const BOTTOM: i32 = 60;
    let lines = report_lines(i);
    // pages of text
    let mut pages: Vec<String> = Vec::new();
    let mut content = String::new();
    let mut y = TOP;
    for (bold, text) in &lines {
        if y < BOTTOM {
            pages.push(std::mem::take(&mut content));
            y = TOP;
        }
        let font = if *bold { "F2" } else { "F1" };
        content.push_str(&format!(
            "BT /{font} 11 Tf 50 {y} Td ({}) Tj ET\n",
            pdf_text(text)
        ));
        y -= 16;
    }
    // the drawn signatures, each in a 240 × 70 pt box under its signer's name
    for sig in i.signatures.iter().filter(|s| !s.strokes.trim().is_empty()) {
        if y < BOTTOM + 100 {
            pages.push(std::mem::take(&mut content));
            y = TOP;
        }
        y -= 6;
        content.push_str(&format!(
            "BT /F1 9 Tf 50 {y} Td ({}) Tj ET\n",
            pdf_text(&format!("Signed ({}): {}", sig.role.as_str(), sig.name))
        ));
        y -= 6;
        content.push_str(&stroke_ops(&sig.strokes, 50.0, f64::from(y), 240.0, 70.0));
        y -= 80;
    }
    // photos, three to a row, 160 pt wide
    let mut images: Vec<(usize, &ReportPhoto)> = Vec::new();
    if !photos.is_empty() {
        y -= 10;
        if y < BOTTOM + 140 {
            pages.push(std::mem::take(&mut content));
            y = TOP;
        }
        content.push_str(&format!("BT /F2 11 Tf 50 {y} Td (Photos) Tj ET\n"));
        y -= 14;
        for (n, p) in photos.iter().enumerate() {
            let w = 160.0f64;
            let h = w * f64::from(p.height.max(1)) / f64::from(p.width.max(1));
            let col = n % 3;
            if col == 0 && n > 0 {
                y -= 150;
            }
            if f64::from(y) - h < f64::from(BOTTOM) {
                pages.push(std::mem::take(&mut content));
                y = TOP;
            }
            let x = 50 + col as i32 * 170;
            let page = pages.len();
            images.push((page, p));
            content.push_str(&format!(
                "q {w:.1} 0 0 {h:.1} {x} {:.1} cm /Im{} Do Q\n",
                f64::from(y) - h,
                images.len()
            ));
            if !p.caption.is_empty() {
                content.push_str(&format!(
                    "BT /F1 8 Tf {x} {:.1} Td ({}) Tj ET\n",
                    f64::from(y) - h - 10.0,
                    pdf_text(&p.caption)
                ));
            }
        }
    }
    pages.push(content);

    // objects: 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, then per page (page, content),
    // then images
    let page_count = pages.len();
    let first_image = 5 + 2 * page_count;
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let kids: Vec<String> = (0..page_count)
        .map(|p| format!("{} 0 R", 5 + 2 * p))
        .collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {page_count} >>",
            kids.join(" ")
        )
        .into_bytes(),
    );
    objects.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    objects.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    for (p, text) in pages.iter().enumerate() {
        let xobjects: Vec<String> = images
            .iter()
            .enumerate()
            .filter(|(_, (page, _))| *page == p)
            .map(|(k, _)| format!("/Im{} {} 0 R", k + 1, first_image + k))
            .collect();
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> /XObject << {} >> >> /Contents {} 0 R >>",
                xobjects.join(" "),
                6 + 2 * p
            )
            .into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", text.len()).into_bytes();
        stream.extend_from_slice(text.as_bytes());
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    for (_, p) in &images {
        let mut obj = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
            p.width,
            p.height,
            p.jpeg.len()
        )
        .into_bytes();
        obj.extend_from_slice(&p.jpeg);
        obj.extend_from_slice(b"\nendstream");
        objects.push(obj);
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (n, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", n + 1).as_bytes());
        out.extend_from_slice(obj);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::photos::tests::jpeg;
    use chrono::TimeZone;
    use milkshed_shared::document::automerge::ActorId;
    use milkshed_shared::document::{
        Header, InspectionDoc, InspectionKind, Person, SignerRole, Subject,
    };

    fn inspection() -> Inspection {
        let t = chrono::FixedOffset::west_opt(6 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
            .unwrap();
        let mut d = InspectionDoc::create(
            ActorId::from([1u8; 16]),
            &Header {
                id: milkshed_shared::ids::InspectionId::from_u128(9),
                kind: InspectionKind::RoutineFarm,
                agency: "demo".into(),
                subject: Subject {
                    kind: SubjectKind::Farm,
                    id: "f".into(),
                    name: "Roy Harris (Dairy)".into(),
                    permit: Some("FP-1001".into()),
                    producer_number: Some("55-0101".into()),
                },
                inspector: Person {
                    id: "u".into(),
                    name: "Ann Lindqvist".into(),
                },
                catalog: "pmo-2011".into(),
                started_at: t,
                follows: None,
            },
        )
        .unwrap();
        d.set_finding(
            "8",
            &ItemState::Violated {
                points: Some(5),
                products: vec![],
            },
            &t,
        )
        .unwrap();
        d.set_finding(
            "3",
            &ItemState::Violated {
                points: None,
                products: vec![],
            },
            &t,
        )
        .unwrap();
        d.set_item_note(
            "3",
            "Feed sacks stored in the milking barn — moved during the visit.",
            &t,
        )
        .unwrap();
        d.set_pounds_sold_daily(1700, &t).unwrap();
        d.sign(
            SignerRole::Inspector,
            "Ann Lindqvist",
            "M10 20 L60 80 L110 20 M120 50 L200 50",
            &t,
        )
        .unwrap();
        d.read().unwrap()
    }

    #[test]
    fn the_report_names_each_violation_its_debit_and_the_reinspection() {
        let lines: Vec<String> = report_lines(&inspection())
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        let text = lines.join("\n");
        assert!(
            text.contains("Item 3 - Milking barn, stable or parlor cleanliness - debit 3"),
            "{text}"
        );
        assert!(
            text.contains("Item 8 - Water supply (2 minor or 5 major, Appendix B) - debit 5"),
            "{text}"
        );
        assert!(text.contains("Total Debits: 8"), "{text}");
        assert!(text.contains("Reinspection due by 2026-12-24"), "{text}");
        assert!(text.contains("inspector: Ann Lindqvist"), "{text}");
    }

    #[test]
    fn the_drawn_signature_is_printed_scaled_into_its_box() {
        let text = String::from_utf8_lossy(&report_pdf(&inspection(), &[])).to_string();
        assert!(
            text.contains("(Signed \\(inspector\\): Ann Lindqvist) Tj"),
            "{text}"
        );
        let ops = stroke_ops(
            "M10 20 L60 80 L110 20 M120 50 L200 50",
            50.0,
            500.0,
            240.0,
            70.0,
        );
        // two strokes: two move-tos, three line-tos, scaled to the box's height (60 px → 70 pt)
        assert_eq!(ops.matches(" m\n").count(), 2, "{ops}");
        assert_eq!(ops.matches(" l\n").count(), 3, "{ops}");
        assert!(ops.starts_with("q ") && ops.ends_with("S Q\n"));
        assert!(
            ops.contains("50.0 500.0 m"),
            "the top left point is the box's corner: {ops}"
        );
        assert!(
            ops.contains("430.0 l"),
            "the lowest point is 70 pt below: {ops}"
        );
        // garbage is skipped, never a panic
        assert_eq!(stroke_ops("M x y L", 0.0, 0.0, 10.0, 10.0), "");
        assert_eq!(stroke_ops("", 0.0, 0.0, 10.0, 10.0), "");
    }

    #[test]
    fn the_pdf_is_well_formed_with_text_and_photos() {
        let img = image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([x as u8, y as u8, 90]));
        let photos: Vec<ReportPhoto> = (0..4)
            .map(|n| ReportPhoto {
                jpeg: jpeg(&img),
                width: 320,
                height: 240,
                caption: format!("item 3 ({n})"),
            })
            .collect();
        let pdf = report_pdf(&inspection(), &photos);
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("(Item 3 - Milking barn, stable or parlor cleanliness - debit 3) Tj"));
        assert!(
            text.contains("Roy Harris \\(Dairy\\)"),
            "parentheses are escaped"
        );
        assert_eq!(text.matches("/Subtype /Image").count(), 4);
        // every xref offset points at its object
        let xref_at: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let table = &text[xref_at..];
        for (n, line) in table
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .enumerate()
        {
            let off: usize = line[..10].parse().unwrap();
            assert!(
                pdf[off..].starts_with(format!("{} 0 obj", n + 1).as_bytes()),
                "object {}",
                n + 1
            );
        }
    }
}
