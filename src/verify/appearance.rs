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

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::pdf::{get, resolve};

/// The text an appearance shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// No appearance, or one that paints no text.
    Nothing,
    /// The text painted, decoded.
    Text(String),
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
        let make = || {
            if crate::form::font::embedded().is_this_font(doc, font) {
                Some(Decoder::Embedded)
            } else {
                font.get_font_encoding(doc).ok().map(Decoder::Other)
            }
        };
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
    let mut text = String::new();
    let mut font: Option<(Option<ObjectId>, &Dictionary)> = None;
    let mut painted_any = false;
    for op in &operations {
        match op.operator.as_str() {
            "Tf" => {
                font = op.operands.first().and_then(|n| n.as_name().ok()).and_then(|name| {
                    let fonts = resources.and_then(|r| get(doc, r, b"Font")).and_then(|f| f.as_dict().ok())?;
                    let entry = fonts.get(name).ok()?;
                    let dict = resolve(doc, entry).as_dict().ok()?;
                    Some((entry.as_reference().ok(), dict))
                });
            }
            "Tj" | "TJ" | "'" | "\"" => {
                let strings: Vec<&[u8]> = op
                    .operands
                    .iter()
                    .flat_map(|o| match o {
                        Object::String(s, _) => vec![s.as_slice()],
                        Object::Array(a) => a
                            .iter()
                            .filter_map(|e| if let Object::String(s, _) = e { Some(s.as_slice()) } else { None })
                            .collect(),
                        _ => Vec::new(),
                    })
                    .collect();
                for s in strings {
                    painted_any = true;
                    let Some((font_ref, dict)) = font else { return Shown::Unreadable };
                    match fonts.decode(doc, font_ref, dict, s) {
                        Some(t) => text.push_str(&t),
                        None => return Shown::Unreadable,
                    }
                }
            }
            _ => {}
        }
    }
    if !painted_any || text.trim().is_empty() { Shown::Nothing } else { Shown::Text(text) }
}

/// Text with all whitespace removed and lower-cased, for comparing what is shown with a value.
pub fn comparable(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
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
