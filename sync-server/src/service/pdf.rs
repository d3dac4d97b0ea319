//! Printable forms as PDF (the 2359k, 2359L and 2359i of the review pages): a title, lines of
//! text and tables, laid out on US Letter pages in the standard Helvetica (no font files), new
//! pages as they fill. Text is encoded as WinAnsi; characters outside it print as `?`.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

const WIDTH: f32 = 612.0;
const HEIGHT: f32 = 792.0;
const MARGIN: f32 = 48.0;
const LINE: f32 = 14.0;

/// What a document is made of.
pub enum Block {
    Title(String),
    Heading(String),
    Text(String),
    /// Column headers, rows, and each column's share of the width (summing to 1).
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
        widths: Vec<f32>,
    },
}

fn winansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '—' | '–' => b'-',
            '≥' => b'>',
            '≤' => b'<',
            '’' | '‘' => b'\'',
            '“' | '”' => b'"',
            '…' => b'.',
            _ => b'?',
        })
        .collect()
}

/// Cuts `s` to what fits in `width` points at `size` (Helvetica averages ~0.5 em a
/// character; a conservative cut, marked with "..").
fn fit(s: &str, width: f32, size: f32) -> String {
    let max = ((width / (size * 0.52)) as usize).max(3);
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 2).collect();
        t.push_str("..");
        t
    }
}

struct Writer {
    pages: Vec<Content>,
    y: f32,
}

impl Writer {
    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    fn room(&mut self, needed: f32) {
        if self.pages.is_empty() || self.y - needed < MARGIN {
            self.pages.push(Content::new());
            self.y = HEIGHT - MARGIN;
        }
    }

    fn text(&mut self, x: f32, font: &[u8], size: f32, s: &str) {
        let y = self.y;
        let c = self.page();
        c.begin_text();
        c.set_font(Name(font), size);
        c.next_line(x, y);
        c.show(Str(&winansi(s)));
        c.end_text();
    }

    fn rule(&mut self) {
        let y = self.y + 3.0;
        let c = self.page();
        c.set_line_width(0.5);
        c.move_to(MARGIN, y);
        c.line_to(WIDTH - MARGIN, y);
        c.stroke();
    }
}

/// Lays the blocks out and returns the PDF's bytes.
pub fn render(title: &str, blocks: &[Block]) -> Vec<u8> {
    let mut w = Writer {
        pages: Vec::new(),
        y: HEIGHT - MARGIN,
    };
    let usable = WIDTH - 2.0 * MARGIN;
    for b in blocks {
        match b {
            Block::Title(t) => {
                w.room(2.0 * LINE);
                w.y -= 4.0;
                w.text(MARGIN, b"F2", 15.0, &fit(t, usable, 15.0));
                w.y -= LINE * 1.6;
            }
            Block::Heading(t) => {
                w.room(2.0 * LINE);
                w.y -= 4.0;
                w.text(MARGIN, b"F2", 11.0, &fit(t, usable, 11.0));
                w.y -= LINE * 1.2;
            }
            Block::Text(t) => {
                // wrap on spaces at the usable width
                let max = (usable / (10.0 * 0.5)) as usize;
                let mut line = String::new();
                let mut lines = Vec::new();
                for word in t.split_whitespace() {
                    if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
                        lines.push(std::mem::take(&mut line));
                    }
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(word);
                }
                lines.push(line);
                for l in lines {
                    w.room(LINE);
                    w.text(MARGIN, b"F1", 10.0, &l);
                    w.y -= LINE;
                }
            }
            Block::Table {
                headers,
                rows,
                widths,
            } => {
                let xs: Vec<f32> = widths
                    .iter()
                    .scan(MARGIN, |x, share| {
                        let at = *x;
                        *x += share * usable;
                        Some(at)
                    })
                    .collect();
                let header = |w: &mut Writer| {
                    w.room(2.0 * LINE);
                    for (i, h) in headers.iter().enumerate() {
                        let col = widths.get(i).copied().unwrap_or(0.1) * usable;
                        w.text(
                            xs.get(i).copied().unwrap_or(MARGIN),
                            b"F2",
                            9.0,
                            &fit(h, col, 9.0),
                        );
                    }
                    w.y -= 4.0;
                    w.rule();
                    w.y -= LINE - 4.0;
                };
                header(&mut w);
                for row in rows {
                    if w.y - LINE < MARGIN {
                        header(&mut w);
                    }
                    for (i, cell) in row.iter().enumerate() {
                        let col = widths.get(i).copied().unwrap_or(0.1) * usable;
                        w.text(
                            xs.get(i).copied().unwrap_or(MARGIN),
                            b"F1",
                            9.0,
                            &fit(cell, col, 9.0),
                        );
                    }
                    w.y -= LINE - 2.0;
                }
                w.y -= LINE / 2.0;
            }
        }
    }
    // page numbers
    let n = w.pages.len().max(1);
    if w.pages.is_empty() {
        w.pages.push(Content::new());
    }
    for (i, c) in w.pages.iter_mut().enumerate() {
        c.begin_text();
        c.set_font(Name(b"F1"), 8.0);
        c.next_line(MARGIN, MARGIN / 2.0);
        c.show(Str(&winansi(&format!(
            "{title} - page {} of {n} - Milkshed",
            i + 1
        ))));
        c.end_text();
    }

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let mut next = 5;
    let ids: Vec<(Ref, Ref)> = (0..n)
        .map(|_| {
            let ids = (Ref::new(next), Ref::new(next + 1));
            next += 2;
            ids
        })
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(ids.iter().map(|(p, _)| *p))
        .count(n as i32);
    for (page, content) in &ids {
        let mut p = pdf.page(*page);
        p.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        p.parent(tree);
        p.contents(*content);
        let mut res = p.resources();
        let mut fonts = res.fonts();
        fonts.pair(Name(b"F1"), regular);
        fonts.pair(Name(b"F2"), bold);
    }
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for ((_, content), c) in ids.iter().zip(w.pages) {
        pdf.stream(*content, &c.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_table_makes_several_pages_of_valid_pdf() {
        let rows: Vec<Vec<String>> = (0..120)
            .map(|i| vec![format!("Farm {i}"), format!("{}", i % 40), "5".into()])
            .collect();
        let bytes = render(
            "FORM 2359k",
            &[
                Block::Title("FORM FDA 2359k — Great Cows BTU".into()),
                Block::Text("Sanitation compliance rating 91 (91.3888…)".into()),
                Block::Table {
                    headers: vec!["Farm".into(), "cwt".into(), "Total Debits".into()],
                    rows,
                    widths: vec![0.6, 0.2, 0.2],
                },
            ],
        );
        let text = String::from_utf8_lossy(&bytes);
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(text.trim_end().ends_with("%%EOF"));
        assert!(text.contains("/Count 3"), "120 rows take three pages");
        assert!(text.contains("Helvetica-Bold"));
        assert_eq!(winansi("× — é ≥ 漢"), b"\xd7 - \xe9 > ?");
    }
}
