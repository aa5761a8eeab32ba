//! What a field actually shows. Microsoft's reviewers see a field's appearance stream, not its
//! `/V` value: a field whose value is set but whose appearance is empty or says something else
//! would pass a check on values alone and then be bounced. This module reads the text an
//! appearance stream paints (PDF 32000-1 12.5.5 and 12.7.3.3), decoding it through the font's
//! encoding or `ToUnicode` map, so the checks can compare it with the value.
//!
//! ```
//! use formtool::verify::appearance::{Shown, shown_text};
//! let pdf = formtool::form::template::blank_form();
//! let doc = lopdf::Document::load_mem(&pdf).unwrap();
//! let field = formtool::pdf::form_fields(&doc).into_iter().find(|f| f.name == "Customer_Domain").unwrap();
//! assert_eq!(shown_text(&doc, field.id.unwrap()), Shown::Nothing);
//! ```

use foldhash::HashMap;

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::pdf::{Lookup, get, resolve};

/// The text an appearance shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// No appearance, or one that paints no text.
    Nothing,
    /// The text painted, decoded.
    Text(String),
    /// Only part of the text is visible: the rest is drawn beyond the appearance's `/BBox` or
    /// clip (a value too long for its box). Holds the visible part.
    Cut(String),
    /// Text is painted but its encoding cannot be read.
    Unreadable,
}

/// Font encodings read so far, by font object: parsing a `ToUnicode` map is costly and every
/// field of a form uses the same font.
#[derive(Default)]
pub struct Fonts<'a> {
    cache: HashMap<ObjectId, Option<Decoder<'a>>>,
}

enum Decoder<'a> {
    /// formtool's own embedded font, decoded from its glyph map.
    Embedded,
    Other(lopdf::Encoding<'a>),
}

impl<'a> Fonts<'a> {
    fn decode(
        &mut self,
        doc: &'a Document,
        font_ref: Option<ObjectId>,
        font: &'a Dictionary,
        s: &[u8],
    ) -> Option<String> {
        let make = || read_decoder(doc, font);
        let decoder = match font_ref {
            Some(id) => self.cache.entry(id).or_insert_with(make).as_ref()?,
            None => {
                // A direct font dictionary: not cached (rare).
                return match make()? {
                    Decoder::Embedded => crate::form::font::embedded().decode_glyphs(s),
                    Decoder::Other(e) => Document::decode_text(&e, s).ok(),
                };
            }
        };
        match decoder {
            Decoder::Embedded => crate::form::font::embedded().decode_glyphs(s),
            Decoder::Other(e) => Document::decode_text(e, s).ok(),
        }
    }
}

impl<'a> Fonts<'a> {
    /// The decoded characters of `s` with each one's advance width in text space units (1/1000
    /// of the font size), where the font's metrics are known: formtool's own font, or a simple
    /// font with `/Widths`. `None` when they are not (then positions cannot be followed).
    fn glyphs(
        &mut self,
        doc: &'a Document,
        font_ref: Option<ObjectId>,
        font: &'a Dictionary,
        s: &[u8],
    ) -> Option<Vec<(Glyph, f32)>> {
        let embedded = crate::form::font::embedded();
        // Whether the font is formtool's own compares its 48 KB font file: once per font
        // object (the cache `decode` fills too), not once per string shown.
        let is_embedded = match font_ref {
            Some(id) => {
                matches!(self.cache.entry(id).or_insert_with(|| read_decoder(doc, font)), Some(Decoder::Embedded))
            }
            None => embedded.is_this_font(doc, font),
        };
        if is_embedded {
            return s
                .chunks(2)
                .map(|p| {
                    let g = u16::from_be_bytes([p[0], *p.get(1)?]);
                    Some((Glyph::Char(embedded.decode_glyph(g)?), embedded.glyph_width(g)))
                })
                .collect();
        }
        let subtype = get(doc, font, b"Subtype").and_then(|o| o.as_name().ok());
        if subtype == Some(b"Type0".as_slice()) {
            return None;
        }
        let widths = get(doc, font, b"Widths").and_then(|w| w.as_array().ok())?;
        let first = get(doc, font, b"FirstChar").and_then(|f| f.as_i64().ok())?;
        s.iter()
            .map(|b| {
                let w = usize::try_from(i64::from(*b) - first)
                    .ok()
                    .and_then(|i| widths.get(i))
                    .and_then(|w| crate::pdf::number(resolve(doc, w)))
                    .unwrap_or(0.0);
                Some((Glyph::Text(self.decode(doc, font_ref, font, &[*b])?), w))
            })
            .collect()
    }
}

/// What one glyph shows: a character of formtool's own font (no allocation for each), or the
/// text another font's encoding gives.
enum Glyph {
    Char(char),
    Text(String),
}

impl Glyph {
    fn is_space(&self) -> bool {
        match self {
            Glyph::Char(c) => *c == ' ',
            Glyph::Text(t) => t == " ",
        }
    }

    /// Nothing but white space (`str::trim` empties it).
    fn is_blank(&self) -> bool {
        match self {
            Glyph::Char(c) => c.is_whitespace(),
            Glyph::Text(t) => t.trim().is_empty(),
        }
    }

    fn push_to(&self, text: &mut String) {
        match self {
            Glyph::Char(c) => text.push(*c),
            Glyph::Text(t) => text.push_str(t),
        }
    }
}

/// How the font dictionary `font` decodes strings; `None` when its encoding cannot be read.
fn read_decoder<'a>(doc: &'a Document, font: &'a Dictionary) -> Option<Decoder<'a>> {
    if crate::form::font::embedded().is_this_font(doc, font) {
        Some(Decoder::Embedded)
    } else {
        font.get_font_encoding(doc).ok().map(Decoder::Other)
    }
}

/// An affine matrix `[a b c d e f]` (PDF 32000-1 8.3.4).
type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m` then `n`: the product m × n.
fn concat(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// Exactly `N` numeric operands (others are skipped), or `None`.
fn numbers<const N: usize>(operands: &[Object]) -> Option<[f32; N]> {
    let mut out = [0.0; N];
    let mut count = 0;
    for value in operands.iter().filter_map(crate::pdf::number) {
        *out.get_mut(count)? = value;
        count += 1;
    }
    (count == N).then_some(out)
}

/// The text the normal appearance of the widget `id` shows.
pub fn shown_text(doc: &Document, id: ObjectId) -> Shown {
    shown_text_with(doc, id, &mut Fonts::default())
}

/// [`shown_text`], reusing fonts already read.
pub fn shown_text_with<'a>(doc: &'a Document, id: ObjectId, fonts: &mut Fonts<'a>) -> Shown {
    let Ok(widget) = doc.get_dictionary(id) else { return Shown::Nothing };
    let Some(normal) = get(doc, widget, b"AP").and_then(|ap| ap.as_dict().ok()).and_then(|ap| get(doc, ap, b"N"))
    else {
        return Shown::Nothing;
    };
    let Ok(stream) = normal.as_stream() else {
        // A dictionary of states is a checkbox's; a text field has one stream.
        return Shown::Unreadable;
    };
    let Some(bytes) = crate::pdf::limits::content_stream(stream) else { return Shown::Unreadable };
    let Some(operations) = crate::pdf::revisions::content_operations(&bytes) else { return Shown::Unreadable };
    let resources: Option<&Dictionary> =
        get(doc, &stream.dict, b"Resources").and_then(|r| r.as_dict().ok()).or_else(|| {
            doc.catalog()
                .ok()
                .and_then(|c| get(doc, c, b"AcroForm"))
                .and_then(|a| a.as_dict().ok())
                .and_then(|a| get(doc, a, b"DR"))
                .and_then(|d| d.as_dict().ok())
        });
    // Where text may show: the form's /BBox, narrowed by every clip in force. Text drawn
    // beyond it is not seen by a reviewer, so it does not count as shown.
    let bbox = get(doc, &stream.dict, b"BBox")
        .and_then(|b| b.as_array().ok())
        .and_then(|a| numbers::<4>(a))
        .map(|[x1, y1, x2, y2]| [x1.min(x2), y1.min(y2), x1.max(x2), y1.max(y2)]);
    let mut text = String::new();
    let mut cut = false;
    let mut font: Option<(Option<ObjectId>, &Dictionary)> = None;
    let mut painted_any = false;
    let (mut ctm, mut visible) = (IDENTITY, bbox);
    let mut saved: Vec<(Matrix, Option<[f32; 4]>)> = Vec::new();
    let mut pending_clip: Option<[f32; 4]> = None;
    let mut last_rect: Option<[f32; 4]> = None;
    let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
    let (mut size, mut char_spacing, mut word_spacing, mut scale, mut leading) =
        (0.0f32, 0.0f32, 0.0f32, 1.0f32, 0.0f32);
    for op in operations.iter() {
        match op.operator {
            "q" if saved.len() < 64 => saved.push((ctm, visible)),
            "Q" => {
                if let Some((m, v)) = saved.pop() {
                    (ctm, visible) = (m, v);
                }
            }
            "cm" => {
                if let Some(m) = numbers::<6>(op.operands) {
                    ctm = concat(&m, &ctm);
                }
            }
            "re" => {
                last_rect = numbers::<4>(op.operands).map(|[x, y, w, h]| {
                    let corners =
                        [apply(&ctm, x, y), apply(&ctm, x + w, y), apply(&ctm, x, y + h), apply(&ctm, x + w, y + h)];
                    let xs = corners.map(|c| c.0);
                    let ys = corners.map(|c| c.1);
                    let min = |v: [f32; 4]| v.iter().copied().fold(f32::INFINITY, f32::min);
                    let max = |v: [f32; 4]| v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    [min(xs), min(ys), max(xs), max(ys)]
                });
            }
            "W" | "W*" => pending_clip = last_rect,
            "n" | "f" | "F" | "f*" | "S" | "s" | "B" | "B*" | "b" | "b*" => {
                if let Some(c) = pending_clip.take() {
                    visible = Some(match visible {
                        Some(v) => [v[0].max(c[0]), v[1].max(c[1]), v[2].min(c[2]), v[3].min(c[3])],
                        None => c,
                    });
                }
                last_rect = None;
            }
            "BT" => (tm, tlm) = (IDENTITY, IDENTITY),
            "Tc" => char_spacing = numbers::<1>(op.operands).map_or(char_spacing, |[v]| v),
            "Tw" => word_spacing = numbers::<1>(op.operands).map_or(word_spacing, |[v]| v),
            "Tz" => scale = numbers::<1>(op.operands).map_or(scale, |[v]| v / 100.0),
            "TL" => leading = numbers::<1>(op.operands).map_or(leading, |[v]| v),
            "Td" | "TD" => {
                if let Some([x, y]) = numbers::<2>(op.operands) {
                    if op.operator == "TD" {
                        leading = -y;
                    }
                    tlm = concat(&[1.0, 0.0, 0.0, 1.0, x, y], &tlm);
                    tm = tlm;
                }
            }
            "Tm" => {
                if let Some(m) = numbers::<6>(op.operands) {
                    (tm, tlm) = (m, m);
                }
            }
            "T*" => {
                tlm = concat(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                tm = tlm;
            }
            "Tf" => {
                size = op.operands.get(1).and_then(crate::pdf::number).unwrap_or(size);
                font = op.operands.first().and_then(|n| n.as_name().ok()).and_then(|name| {
                    let fonts = resources.and_then(|r| get(doc, r, b"Font")).and_then(|f| f.as_dict().ok())?;
                    let entry = fonts.find(name)?;
                    let dict = resolve(doc, entry).as_dict().ok()?;
                    Some((entry.as_reference().ok(), dict))
                });
            }
            "Tj" | "TJ" | "'" | "\"" => {
                if matches!(op.operator, "'" | "\"") {
                    tlm = concat(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                    tm = tlm;
                }
                // Strings, and the TJ adjustments between them (thousandths of the size).
                let mut pieces: Vec<Result<&[u8], f32>> = Vec::new();
                for o in op.operands {
                    match o {
                        Object::String(s, _) => pieces.push(Ok(s.as_slice())),
                        Object::Array(a) if op.operator == "TJ" => {
                            for e in a {
                                match e {
                                    Object::String(s, _) => pieces.push(Ok(s.as_slice())),
                                    other => {
                                        if let Some(n) = crate::pdf::number(other) {
                                            pieces.push(Err(n));
                                        }
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                for piece in pieces {
                    let s = match piece {
                        Ok(s) => s,
                        Err(adjust) => {
                            tm = concat(&[1.0, 0.0, 0.0, 1.0, -adjust / 1000.0 * size * scale, 0.0], &tm);
                            continue;
                        }
                    };
                    painted_any = true;
                    let Some((font_ref, dict)) = font else { return Shown::Unreadable };
                    let Some(glyphs) = fonts.glyphs(doc, font_ref, dict, s) else {
                        // No metrics: the text counts as shown, as before positions were followed.
                        match fonts.decode(doc, font_ref, dict, s) {
                            Some(t) => text.push_str(&t),
                            None => return Shown::Unreadable,
                        }
                        continue;
                    };
                    for (glyph, w) in glyphs {
                        let spacing = char_spacing + if glyph.is_space() { word_spacing } else { 0.0 };
                        let advance = (w / 1000.0 * size + spacing) * scale;
                        let m = concat(&tm, &ctm);
                        let (x0, y0) = apply(&m, 0.0, 0.0);
                        let (x1, _) = apply(&m, w / 1000.0 * size * scale, 0.0);
                        let (_, ym) = apply(&m, 0.0, size * 0.35);
                        let inside = visible.is_none_or(|v| {
                            const SLACK: f32 = 0.5;
                            x0.min(x1) >= v[0] - SLACK
                                && x0.max(x1) <= v[2] + SLACK
                                && y0.min(ym) >= v[1] - size * 0.3
                                && ym.max(y0) <= v[3] + SLACK
                        });
                        if inside {
                            glyph.push_to(&mut text);
                        } else if !glyph.is_blank() {
                            cut = true;
                        }
                        tm = concat(&[1.0, 0.0, 0.0, 1.0, advance, 0.0], &tm);
                    }
                }
            }
            _ => {}
        }
    }
    if !painted_any || text.trim().is_empty() {
        Shown::Nothing
    } else if cut {
        Shown::Cut(text)
    } else {
        Shown::Text(text)
    }
}

/// Text with all whitespace removed and lower-cased, for comparing what is shown with a value.
pub fn comparable(text: &str) -> String {
    comparable_chars(text).collect()
}

/// Whether `a` and `b` are the same text once made [`comparable`] (compared as they are read,
/// without building either: every text field of every form is compared).
pub fn same_comparable(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        // The usual case, byte by byte. `char::is_whitespace` on ASCII is 0x09-0x0D and the
        // space (`u8::is_ascii_whitespace` leaves out 0x0B).
        return ascii_comparable(a).eq(ascii_comparable(b));
    }
    comparable_chars(a).eq(comparable_chars(b))
}

fn ascii_comparable(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.bytes().filter(|c| !matches!(c, b' ' | 0x09..=0x0D)).map(|c| c.to_ascii_lowercase())
}

fn comparable_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase)
}

/// Whether the form asks viewers to regenerate appearances from values.
pub fn need_appearances(doc: &Document) -> bool {
    doc.catalog()
        .ok()
        .and_then(|c| get(doc, c, b"AcroForm"))
        .and_then(|a| a.as_dict().ok())
        .and_then(|a| get(doc, a, b"NeedAppearances"))
        .and_then(|n| resolve(doc, n).as_bool().ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_comparison_agrees_with_the_general_one() {
        let texts = ["Aoife Ni", "aoife\tni", "AOIFE\x0bNI", "aoife\x1cni", "a b", "ab", "", " ", "Jürgen", "JÜRGEN"];
        for a in texts {
            for b in texts {
                assert_eq!(same_comparable(a, b), comparable(a) == comparable(b), "{a:?} vs {b:?}");
            }
        }
    }
}
