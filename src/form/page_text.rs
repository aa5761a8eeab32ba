//! What a page shows, with positions: its lines of text and the rules and rectangles it draws.
//!
//! [`read_pages`] interprets each page's content stream just far enough to know where things
//! land (PDF 1.7 sections 8.4 graphics state, 8.5 paths, 9.3-9.4 text state and text objects):
//! the current transformation matrix (`cm`, `q`/`Q`), the text matrices (`BT`, `Tm`, `Td`,
//! `TD`, `T*`, `'`, `"`), the text state (`Tf`, `TL`, `Tz`, `Tc`, `Tw`, `Ts`), text showing
//! (`Tj`, `TJ`, `'`, `"`) decoded through the font's encoding (standard, WinAnsi, MacRoman,
//! `/Differences`) or its `ToUnicode` CMap, and path construction (`re`, `m`, `l`, `h`) up to
//! the painting operator. Form XObjects are followed a few levels deep.
//!
//! It is used to read a foreign form's printed labels ([`crate::form::labels`]); nothing here
//! judges what a reviewer sees (that is the verify pipeline's renderer).
//!
//! ```
//! let pdf = formtool::form::template::blank_form();
//! let doc = lopdf::Document::load_mem(&pdf).unwrap();
//! let pages = formtool::form::page_text::read_pages(&doc);
//! assert!(pages[0].lines.iter().any(|l| l.text.contains("Customer")));
//! ```

use std::collections::HashMap;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId};

use crate::pdf::{Rect, get, number};

/// How deep Form XObjects are followed (a cycle or a hostile nest must end).
const MAX_XOBJECT_DEPTH: usize = 4;
/// At most this many text pieces and path pieces are kept per page.
const MAX_ITEMS: usize = 20_000;
/// At most this many bytes of Form XObject content are interpreted per page, however often
/// the page draws them: a small page painting one large XObject a thousand times must end.
const MAX_XOBJECT_BYTES: usize = 16 * 1024 * 1024;

/// One line of text as printed: a run of glyphs on one baseline in one style.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    /// Left end and baseline, in default user space (points).
    pub x1: f32,
    pub y: f32,
    /// Right end (from the font's widths; estimated when the font gives none).
    pub x2: f32,
    /// The font size as it lands on the page (text matrix and CTM applied).
    pub size: f32,
    /// Set in a bold face (by name, weight or flags), or drawn with fill and stroke.
    pub bold: bool,
    pub text: String,
}

/// A straight stroked or filled segment, e.g. a rule to write on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl Segment {
    /// A horizontal segment, left to right.
    pub fn horizontal(&self) -> Option<(f32, f32, f32)> {
        ((self.y1 - self.y2).abs() < 1.0).then(|| (self.x1.min(self.x2), self.x1.max(self.x2), self.y1))
    }
}

/// What is printed on one page, as [`read_pages`] found it: text lines, rectangles and rules.
#[derive(Debug, Clone, Default)]
pub struct PrintedPage {
    /// 1-based page number.
    pub page: usize,
    pub lines: Vec<TextLine>,
    /// Painted rectangles (`re`), normalised.
    pub rects: Vec<Rect>,
    /// Painted straight segments (`m` … `l`), and thin filled rectangles read as rules.
    pub segments: Vec<Segment>,
}

/// Read every page of `doc`. A page whose content cannot be read gives an empty page.
pub fn read_pages(doc: &Document) -> Vec<PrintedPage> {
    doc.get_pages()
        .into_iter()
        .map(|(n, id)| {
            let mut page = PrintedPage { page: n as usize, ..Default::default() };
            let mut reader =
                Reader { doc, pieces: Vec::new(), page: &mut page, fonts: HashMap::new(), xobject_bytes: 0 };
            if let Ok(data) = crate::pdf::limits::page_content(doc, id) {
                let resources = page_resources(doc, id);
                reader.run(&data, resources, Matrix::IDENTITY, 0);
            }
            let pieces = std::mem::take(&mut reader.pieces);
            page.lines = join_lines(pieces);
            page
        })
        .collect()
}

/// An affine matrix `[a b c d e f]` as PDF writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn translate(x: f32, y: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, x, y])
    }

    /// `self × other`: first `self`, then `other` (PDF's row-vector convention).
    fn then(&self, o: &Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [oa, ob, oc, od, oe, of] = o.0;
        Matrix([
            a * oa + b * oc,
            a * ob + b * od,
            c * oa + d * oc,
            c * ob + d * od,
            e * oa + f * oc + oe,
            e * ob + f * od + of,
        ])
    }

    fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (x * a + y * c + e, x * b + y * d + f)
    }

    /// How much the matrix scales a vertical distance.
    fn vertical_scale(&self) -> f32 {
        self.0[2].hypot(self.0[3])
    }
}

/// A font as far as positions and text need it.
struct Font<'a> {
    encoding: Option<Encoding<'a>>,
    /// Glyph widths (thousandths of an em) from `/FirstChar`.
    widths: Option<(u32, Vec<f32>)>,
    /// Composite (Type0) font: two-byte codes.
    two_byte: bool,
    bold: bool,
}

impl Font<'_> {
    fn load<'a>(doc: &'a Document, dict: &'a Dictionary) -> Font<'a> {
        let encoding = dict.get_font_encoding_with_limit(doc, crate::pdf::limits::MAX_CONTENT_BYTES).ok();
        let widths = get(doc, dict, b"Widths").and_then(|w| w.as_array().ok()).map(|w| {
            let first = get(doc, dict, b"FirstChar").and_then(number).unwrap_or(0.0).max(0.0) as u32;
            (first, w.iter().map(|o| number(crate::pdf::resolve(doc, o)).unwrap_or(0.0)).collect())
        });
        let subtype = get(doc, dict, b"Subtype").and_then(|s| s.as_name().ok()).unwrap_or(b"");
        let base = get(doc, dict, b"BaseFont").and_then(|s| s.as_name().ok()).unwrap_or(b"");
        let base = String::from_utf8_lossy(base).to_lowercase();
        // A subset's name is "ABCDEF+Real-Name"; the style words are in the real name.
        let name = base.split_once('+').map(|(_, n)| n).unwrap_or(&base);
        let descriptor = get(doc, dict, b"FontDescriptor").and_then(|d| d.as_dict().ok()).or_else(|| {
            // A composite font keeps its descriptor in its descendant.
            get(doc, dict, b"DescendantFonts")
                .and_then(|d| d.as_array().ok())
                .and_then(|a| a.first())
                .and_then(|o| crate::pdf::resolve(doc, o).as_dict().ok())
                .and_then(|d| get(doc, d, b"FontDescriptor"))
                .and_then(|d| d.as_dict().ok())
        });
        let weight = descriptor.and_then(|d| get(doc, d, b"FontWeight")).and_then(number).unwrap_or(400.0);
        let flags = descriptor.and_then(|d| get(doc, d, b"Flags")).and_then(number).unwrap_or(0.0) as u32;
        let bold = ["bold", "black", "heavy", "semibold", "demi"].iter().any(|w| name.contains(w))
            || weight >= 600.0
            || flags & (1 << 18) != 0;
        Font { encoding, widths, two_byte: subtype == b"Type0", bold }
    }

    /// The width of one code in text space units (ems), 0.5 when the font does not say.
    fn width(&self, code: u32) -> f32 {
        match &self.widths {
            Some((first, w)) => code.checked_sub(*first).and_then(|i| w.get(i as usize)).map(|w| w / 1000.0),
            None => None,
        }
        .filter(|w| *w > 0.0)
        .unwrap_or(0.5)
    }
}

/// The parts of the graphics state that place things.
#[derive(Clone)]
struct State {
    ctm: Matrix,
    font: Option<Vec<u8>>,
    size: f32,
    char_space: f32,
    word_space: f32,
    scale: f32,
    leading: f32,
    rise: f32,
    render_mode: i64,
}

/// A piece of text as shown by one operator.
struct Piece {
    x1: f32,
    y: f32,
    x2: f32,
    size: f32,
    bold: bool,
    text: String,
}

struct Reader<'a, 'p> {
    doc: &'a Document,
    pieces: Vec<Piece>,
    page: &'p mut PrintedPage,
    fonts: HashMap<(usize, Vec<u8>), Font<'a>>,
    /// Form XObject content interpreted so far on this page.
    xobject_bytes: usize,
}

impl<'a> Reader<'a, '_> {
    fn run(&mut self, data: &[u8], resources: Option<&'a Dictionary>, base: Matrix, depth: usize) {
        let Ok(content) = Content::decode(data) else { return };
        let doc = self.doc;
        let fonts = resources.and_then(|r| get(doc, r, b"Font")).and_then(|f| f.as_dict().ok());
        let xobjects = resources.and_then(|r| get(doc, r, b"XObject")).and_then(|x| x.as_dict().ok());
        let mut st = State {
            ctm: base,
            font: None,
            size: 0.0,
            char_space: 0.0,
            word_space: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
            render_mode: 0,
        };
        let mut stack: Vec<State> = Vec::new();
        let mut tm = Matrix::IDENTITY;
        let mut tlm = Matrix::IDENTITY;
        // The path under construction: rectangles, segments, and the current point.
        let mut path_rects: Vec<Rect> = Vec::new();
        let mut path_segments: Vec<Segment> = Vec::new();
        let mut point: Option<(f32, f32)> = None;
        let mut start: Option<(f32, f32)> = None;
        let font_key = resources.map(|r| r as *const Dictionary as usize).unwrap_or(0);
        for op in &content.operations {
            if self.pieces.len() + self.page.rects.len() + self.page.segments.len() > MAX_ITEMS {
                return;
            }
            let n = |i: usize| op.operands.get(i).and_then(number).unwrap_or(0.0);
            match op.operator.as_str() {
                "q" if stack.len() < 64 => stack.push(st.clone()),
                "Q" => {
                    if let Some(s) = stack.pop() {
                        st = s;
                    }
                }
                "cm" => st.ctm = Matrix([n(0), n(1), n(2), n(3), n(4), n(5)]).then(&st.ctm),
                "BT" => {
                    tm = Matrix::IDENTITY;
                    tlm = Matrix::IDENTITY;
                }
                "Tf" => {
                    st.font = op.operands.first().and_then(|o| o.as_name().ok()).map(<[u8]>::to_vec);
                    st.size = n(1);
                    if let (Some(name), Some(fonts)) = (&st.font, fonts) {
                        let key = (font_key, name.clone());
                        if !self.fonts.contains_key(&key)
                            && let Some(dict) = get(doc, fonts, name).and_then(|f| f.as_dict().ok())
                        {
                            self.fonts.insert(key, Font::load(doc, dict));
                        }
                    }
                }
                "Tc" => st.char_space = n(0),
                "Tw" => st.word_space = n(0),
                "Tz" => st.scale = n(0) / 100.0,
                "TL" => st.leading = n(0),
                "Ts" => st.rise = n(0),
                "Tr" => st.render_mode = n(0) as i64,
                "Td" => {
                    tlm = Matrix::translate(n(0), n(1)).then(&tlm);
                    tm = tlm;
                }
                "TD" => {
                    st.leading = -n(1);
                    tlm = Matrix::translate(n(0), n(1)).then(&tlm);
                    tm = tlm;
                }
                "Tm" => {
                    tlm = Matrix([n(0), n(1), n(2), n(3), n(4), n(5)]);
                    tm = tlm;
                }
                "T*" => {
                    tlm = Matrix::translate(0.0, -st.leading).then(&tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" | "TJ" => {
                    if op.operator == "'" || op.operator == "\"" {
                        if op.operator == "\"" {
                            st.word_space = n(0);
                            st.char_space = n(1);
                        }
                        tlm = Matrix::translate(0.0, -st.leading).then(&tlm);
                        tm = tlm;
                    }
                    let font = st.font.as_ref().and_then(|name| self.fonts.get(&(font_key, name.clone())));
                    let Some(font) = font else { continue };
                    let items: Vec<&Object> = match op.operator.as_str() {
                        "TJ" => op.operands.first().and_then(|a| a.as_array().ok()).map(|a| a.iter().collect()),
                        _ => op.operands.last().map(|o| vec![o]),
                    }
                    .unwrap_or_default();
                    let origin = Matrix([st.size * st.scale, 0.0, 0.0, st.size, 0.0, st.rise]).then(&tm).then(&st.ctm);
                    let (x1, y) = origin.apply(0.0, 0.0);
                    let size = origin.vertical_scale();
                    let mut text = String::new();
                    for item in items {
                        match item {
                            Object::String(bytes, _) => {
                                let decoded = font
                                    .encoding
                                    .as_ref()
                                    .and_then(|e| Document::decode_text(e, bytes).ok())
                                    .unwrap_or_else(|| bytes.iter().map(|b| char::from(*b)).collect());
                                text.push_str(&decoded);
                                let advance = advance(font, bytes, &st);
                                tm = Matrix::translate(advance, 0.0).then(&tm);
                            }
                            other => {
                                let adjust = number(other).unwrap_or(0.0);
                                // A wide negative kern is how some writers space words.
                                if adjust < -250.0 && !text.ends_with(' ') {
                                    text.push(' ');
                                }
                                tm = Matrix::translate(-adjust / 1000.0 * st.size * st.scale, 0.0).then(&tm);
                            }
                        }
                    }
                    let end = Matrix([st.size * st.scale, 0.0, 0.0, st.size, 0.0, st.rise]).then(&tm).then(&st.ctm);
                    let (x2, _) = end.apply(0.0, 0.0);
                    let text = text.replace(['\u{0}', '\u{fffd}'], "");
                    if !text.trim().is_empty() && size > 0.5 && st.render_mode != 3 && st.render_mode != 7 {
                        self.pieces.push(Piece {
                            x1: x1.min(x2),
                            y,
                            x2: x1.max(x2),
                            size,
                            bold: font.bold || st.render_mode == 2,
                            text,
                        });
                    }
                }
                "m" => {
                    let p = st.ctm.apply(n(0), n(1));
                    point = Some(p);
                    start = Some(p);
                }
                "l" => {
                    let p = st.ctm.apply(n(0), n(1));
                    if let Some(from) = point {
                        path_segments.push(Segment { x1: from.0, y1: from.1, x2: p.0, y2: p.1 });
                    }
                    point = Some(p);
                }
                "h" => {
                    if let (Some(from), Some(to)) = (point, start) {
                        path_segments.push(Segment { x1: from.0, y1: from.1, x2: to.0, y2: to.1 });
                    }
                    point = start;
                }
                "re" => {
                    let (x, y, w, h) = (n(0), n(1), n(2), n(3));
                    let corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)].map(|(a, b)| st.ctm.apply(a, b));
                    let xs = corners.map(|c| c.0);
                    let ys = corners.map(|c| c.1);
                    let min = |v: [f32; 4]| v.iter().copied().fold(f32::INFINITY, f32::min);
                    let max = |v: [f32; 4]| v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    path_rects.push(Rect::new(min(xs), min(ys), max(xs), max(ys)));
                    point = Some(st.ctm.apply(x, y));
                    start = point;
                }
                "S" | "s" | "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => {
                    for r in path_rects.drain(..) {
                        if r.height() <= 2.5 && r.width() > 10.0 {
                            // A thin filled bar is drawn as a rule.
                            let y = (r.y1 + r.y2) / 2.0;
                            self.page.segments.push(Segment { x1: r.x1, y1: y, x2: r.x2, y2: y });
                        } else if r.width() > 1.0 && r.height() > 1.0 {
                            self.page.rects.push(r);
                        }
                    }
                    self.page.segments.append(&mut path_segments);
                    point = None;
                }
                "n" => {
                    path_rects.clear();
                    path_segments.clear();
                    point = None;
                }
                "Do" if depth < MAX_XOBJECT_DEPTH => {
                    let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else { continue };
                    let Some(Object::Stream(stream)) = xobjects.and_then(|x| get(doc, x, name)) else { continue };
                    if stream.dict.get(b"Subtype").and_then(|s| s.as_name()).ok() != Some(b"Form") {
                        continue;
                    }
                    let matrix = stream
                        .dict
                        .get(b"Matrix")
                        .ok()
                        .and_then(|m| m.as_array().ok())
                        .filter(|m| m.len() == 6)
                        .map(|m| {
                            let v: Vec<f32> = m.iter().map(|o| number(o).unwrap_or(0.0)).collect();
                            Matrix([v[0], v[1], v[2], v[3], v[4], v[5]])
                        })
                        .unwrap_or(Matrix::IDENTITY);
                    let inner = get(doc, &stream.dict, b"Resources").and_then(|r| r.as_dict().ok()).or(resources);
                    if let Some(data) = crate::pdf::limits::content_stream(stream) {
                        self.xobject_bytes += data.len();
                        if self.xobject_bytes > MAX_XOBJECT_BYTES {
                            return;
                        }
                        self.run(&data, inner, matrix.then(&st.ctm), depth + 1);
                    }
                }
                _ => {}
            }
        }
    }
}

/// How far showing `bytes` moves the text matrix, in unscaled text space (PDF 9.4.4).
fn advance(font: &Font, bytes: &[u8], st: &State) -> f32 {
    let mut total = 0.0;
    if font.two_byte {
        for pair in bytes.chunks(2) {
            let code = pair.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            total += (font.width(code) * st.size + st.char_space) * st.scale;
        }
    } else {
        for &b in bytes {
            let word = if b == b' ' { st.word_space } else { 0.0 };
            total += (font.width(u32::from(b)) * st.size + st.char_space + word) * st.scale;
        }
    }
    total
}

/// The resources of a page, inherited through `/Parent` as viewers do.
fn page_resources(doc: &Document, page: ObjectId) -> Option<&Dictionary> {
    let mut id = page;
    for _ in 0..32 {
        let dict = doc.get_dictionary(id).ok()?;
        if let Some(r) = get(doc, dict, b"Resources").and_then(|r| r.as_dict().ok()) {
            return Some(r);
        }
        id = dict.get(b"Parent").ok()?.as_reference().ok()?;
    }
    None
}

/// Join the pieces shown one by one into printed lines: same baseline, same style, and close
/// enough that a reader sees one run of words.
fn join_lines(mut pieces: Vec<Piece>) -> Vec<TextLine> {
    pieces.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x1.total_cmp(&b.x1)));
    // Group by baseline first (pieces within a fifth of their size), then left to right.
    let mut rows: Vec<Vec<Piece>> = Vec::new();
    for p in pieces {
        match rows.last_mut() {
            Some(row) if (row[0].y - p.y).abs() <= 0.2 * row[0].size.max(p.size) => row.push(p),
            _ => rows.push(vec![p]),
        }
    }
    let mut out = Vec::new();
    for mut row in rows {
        row.sort_by(|a, b| a.x1.total_cmp(&b.x1));
        let mut current: Option<TextLine> = None;
        for p in row {
            if let Some(line) = current.as_mut() {
                let gap = p.x1 - line.x2;
                if line.bold == p.bold && (line.size - p.size).abs() < 0.5 && gap < 0.8 * p.size && gap > -p.size {
                    if gap > 0.15 * p.size && !line.text.ends_with(' ') && !p.text.starts_with(' ') {
                        line.text.push(' ');
                    }
                    line.text.push_str(&p.text);
                    line.x2 = line.x2.max(p.x2);
                    continue;
                }
            }
            out.extend(current.take());
            current = Some(TextLine { x1: p.x1, y: p.y, x2: p.x2, size: p.size, bold: p.bold, text: p.text });
        }
        out.extend(current);
    }
    for line in &mut out {
        line.text = line.text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(x1: f32, y: f32, x2: f32, text: &str) -> Piece {
        Piece { x1, y, x2, size: 10.0, bold: false, text: text.to_string() }
    }

    #[test]
    fn pieces_on_one_baseline_join_into_a_line() {
        let lines = join_lines(vec![
            piece(60.0, 700.0, 90.0, "name"),
            piece(20.0, 700.5, 57.0, "Company"),
            piece(300.0, 700.0, 340.0, "Microsoft"),
            piece(20.0, 680.0, 50.0, "Next"),
        ]);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Company name", "Microsoft", "Next"]);
    }

    /// A one-page document drawing `content`, with a font F1 (WinAnsi, no widths) and a Form
    /// XObject X1 that draws itself twice.
    fn doc_with(content: &[u8]) -> Document {
        use lopdf::{Stream, dictionary};
        let mut doc = Document::with_version("1.7");
        let pages = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica-Bold", "Encoding" => "WinAnsiEncoding",
        });
        let xobject = doc.new_object_id();
        let x_res =
            dictionary! { "XObject" => dictionary! { "X1" => xobject }, "Font" => dictionary! { "F1" => font } };
        let x_stream = Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 9.into(), 9.into()], "Resources" => x_res.clone() },
            b"/X1 Do /X1 Do BT /F1 9 Tf (loop) Tj ET".to_vec(),
        );
        doc.objects.insert(xobject, Object::Stream(x_stream));
        let contents = doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages, "Contents" => contents, "Resources" => x_res,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        });
        doc.objects.insert(
            pages,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
        doc.trailer.set("Root", catalog);
        doc
    }

    #[test]
    fn text_rules_and_boxes_are_placed_through_the_matrices() {
        let doc = doc_with(
            b"q 2 0 0 2 10 20 cm BT /F1 9 Tf 1 0 0 1 30 40 Tm (Company ) Tj [(na) -300 (me)] TJ ET Q               0.5 w 100 100 m 300 100 l S 50 50 12 12 re S 1 1 1 rg 0 0 612 2 re f",
        );
        let page = &read_pages(&doc)[0];
        let line = page.lines.iter().find(|l| l.text.starts_with("Company")).unwrap();
        assert_eq!(line.text, "Company na me");
        assert_eq!((line.x1, line.y, line.size), (70.0, 100.0, 18.0));
        assert!(line.bold);
        assert!(page.segments.iter().any(|s| s.horizontal() == Some((100.0, 300.0, 100.0))));
        assert!(page.segments.iter().any(|s| s.horizontal() == Some((0.0, 612.0, 1.0))));
        assert_eq!(page.rects, [Rect::new(50.0, 50.0, 62.0, 62.0)]);
        // The self-drawing XObject ends at the depth limit.
        let looped = read_pages(&doc_with(b"/X1 Do"));
        assert!(looped[0].lines.iter().all(|l| l.text.contains("loop")));
    }

    #[test]
    fn malformed_content_reads_without_panicking() {
        for content in [
            &b"Q Q Q ET BT Tj TJ ' \" cm 1 2 cm Tf /F9 Tf (x) Tj re m l h S"[..],
            b"BT /F1 1e38 Tf 1e38 0 0 1e38 1e38 1e38 Tm (overflow) Tj [(a) 1e38 (b)] TJ ET",
            b"BT /F1 9 Tf 0 0 0 0 0 0 Tm (flat) Tj 3 Tr (invisible) Tj ET /Nope Do /F1 Do",
            b"\xff\xfe garbage ((( [[ << >> ",
            b"",
        ] {
            let _ = read_pages(&doc_with(content));
        }
    }

    #[test]
    fn matrices_compose_in_pdf_order() {
        let scale = Matrix([2.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
        let moved = Matrix::translate(10.0, 5.0).then(&scale);
        assert_eq!(moved.apply(1.0, 1.0), (22.0, 12.0));
        assert_eq!(moved.vertical_scale(), 2.0);
    }
}
