//! Small PDF building blocks shared by the stages: number and string syntax for content
//! streams, text strings (PDF 32000-1 7.9.2), Flate compression, and reading the interactive
//! form (AcroForm, PDF 32000-1 12.7) of any PDF: each terminal field with its fully qualified
//! name, type, widgets, page, rectangle and value.
//!
//! ```
//! use formtool::pdf::{decode_text_string, text_string};
//! let obj = text_string("Jürgen Weiß");
//! let bytes = obj.as_str().unwrap();
//! assert_eq!(decode_text_string(bytes), "Jürgen Weiß");
//! ```
//!
//! [`revisions`] reads a file's revisions fast; [`limits`] bounds what parsing may cost;
//! [`marks`] says what a page paints and where.
//! This layer uses nothing of formtool's above it.

pub mod date;
pub mod limits;
pub mod marks;
pub mod revisions;
pub mod sniff;
pub mod structure;
pub mod view;

use std::collections::BTreeMap;

use foldhash::{HashSet, HashSetExt};
use std::path::Path;

use lopdf::{Dictionary, Document, Object, ObjectId, StringFormat};
use sha2::{Digest, Sha256};

use crate::error::Failure;
use view::Objects;

/// An axis-aligned rectangle `[x1 y1 x2 y2]`, as PDF writes `/Rect`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl Rect {
    pub const fn new(x1: f32, y1: f32, x2: f32, y2: f32) -> Rect {
        Rect { x1, y1, x2, y2 }
    }
    pub fn width(&self) -> f32 {
        self.x2 - self.x1
    }
    pub fn height(&self) -> f32 {
        self.y2 - self.y1
    }
    pub fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.x1 && x <= self.x2 && y >= self.y1 && y <= self.y2
    }
    /// The rectangle with its corners in order, whatever order they were given in.
    pub fn normalized(&self) -> Rect {
        Rect::new(self.x1.min(self.x2), self.y1.min(self.y2), self.x1.max(self.x2), self.y1.max(self.y2))
    }
    pub fn intersects(&self, other: &Rect) -> bool {
        self.x1 < other.x2 && other.x1 < self.x2 && self.y1 < other.y2 && other.y1 < self.y2
    }
}

/// The PDF field type (`/FT`): `Tx`, `Btn` or `Sig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Checkbox,
    Signature,
}

impl FieldKind {
    pub fn pdf_name(self) -> &'static str {
        match self {
            FieldKind::Text => "Tx",
            FieldKind::Checkbox => "Btn",
            FieldKind::Signature => "Sig",
        }
    }
}

/// A page's `/MediaBox`, inherited through `/Parent` as viewers do.
pub fn page_media_box<D: Objects + ?Sized>(doc: &D, page: ObjectId) -> Option<Rect> {
    let mut id = page;
    for _ in 0..32 {
        let dict = doc.get_dictionary(id).ok()?;
        if let Some(r) = get(doc, dict, b"MediaBox").and_then(|m| crate::pdf::rect_from(doc, m)) {
            return Some(r.normalized());
        }
        id = dict.find(b"Parent")?.as_reference().ok()?;
    }
    None
}

/// The "on" appearance state of a checkbox widget: the name in `/AP /N` other than `Off`.
pub fn checkbox_on_state<D: Objects + ?Sized>(doc: &D, widget: ObjectId) -> Option<Vec<u8>> {
    let d = doc.get_dictionary(widget).ok()?;
    let ap = get(doc, d, b"AP")?.as_dict().ok()?;
    let normal = get(doc, ap, b"N")?.as_dict().ok()?;
    normal.iter().map(|(k, _)| k).find(|k| k.as_slice() != b"Off").cloned()
}

/// The hex SHA-256 of a file's bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Flate-compress `bytes` (deterministic: same input, same output). miniz_oxide is called
/// directly, not through flate2, whose backend another crate may switch (hayro enables
/// zlib-rs): the blank form's bytes, and so its committed SHA-256, must not depend on that.
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, 6)
}

/// A number as content-stream syntax: at most two decimals, no trailing zeros.
pub fn num(v: f32) -> String {
    let rounded = (v * 100.0).round() / 100.0;
    if rounded == rounded.trunc() {
        format!("{}", rounded as i64)
    } else {
        let s = format!("{rounded:.2}");
        s.trim_end_matches('0').to_string()
    }
}

/// A literal string `( … )` for a standard 14 font with WinAnsi encoding. Characters outside
/// Latin-1 become `?`: only the form's own fixed labels are written this way.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '·' => out.push_str("\\267"),
            '–' => out.push_str("\\226"),
            c if (' '..='~').contains(&c) => out.push(c),
            c if (c as u32) >= 0xA0 && (c as u32) <= 0xFF => out.push_str(&format!("\\{:03o}", c as u32)),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// A PDF text string: plain bytes when the text is printable ASCII, else UTF-16BE with a BOM.
pub fn text_string(text: &str) -> Object {
    if text.chars().all(|c| (' '..='~').contains(&c)) {
        Object::String(text.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// Decode a PDF text string: UTF-16BE with BOM, UTF-8 with BOM, else PDFDocEncoding (read as
/// Latin-1, which agrees with it on every character a form value uses).
pub fn decode_text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(rest).into_owned()
    } else if bytes.is_ascii() {
        String::from_utf8(bytes.to_vec()).unwrap_or_default()
    } else {
        bytes.iter().map(|b| char::from(*b)).collect()
    }
}

/// A rectangle as a PDF array.
pub fn rect_object(r: &Rect) -> Object {
    Object::Array(vec![r.x1.into(), r.y1.into(), r.x2.into(), r.y2.into()])
}

/// Read a number (integer or real) from an object.
pub fn number(obj: &Object) -> Option<f32> {
    match obj {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

/// Read a `/Rect`-style array, resolving references.
pub fn rect_from<D: Objects + ?Sized>(doc: &D, obj: &Object) -> Option<Rect> {
    let arr = resolve(doc, obj).as_array().ok()?;
    if arr.len() != 4 {
        return None;
    }
    let v: Vec<f32> = arr.iter().filter_map(|o| number(resolve(doc, o))).collect();
    (v.len() == 4).then(|| Rect::new(v[0], v[1], v[2], v[3]).normalized())
}

/// Follow a reference (one level is all PDF allows for values; chains are broken files).
pub fn resolve<'a, D: Objects + ?Sized>(doc: &'a D, obj: &'a Object) -> &'a Object {
    match obj {
        Object::Reference(id) => doc.resolved(*id).unwrap_or(&Object::Null),
        other => other,
    }
}

/// A dictionary entry, resolved; `None` when absent or null.
pub fn get<'a, D: Objects + ?Sized>(doc: &'a D, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    match dict.find(key).map(|o| resolve(doc, o)) {
        None | Some(Object::Null) => None,
        some => some,
    }
}

/// Several entries of a dictionary, resolved as [`get`] resolves them, in one pass over it:
/// cheaper than a hashed lookup per key for the handful of keys a field is read for.
pub fn get_all<'a, D: Objects + ?Sized, const N: usize>(
    doc: &'a D,
    dict: &'a Dictionary,
    keys: [&[u8]; N],
) -> [Option<&'a Object>; N] {
    let mut found = [None; N];
    for (key, value) in dict.iter() {
        if let Some(i) = keys.iter().position(|k| *k == key.as_slice()) {
            found[i] = match resolve(doc, value) {
                Object::Null => None,
                object => Some(object),
            };
        }
    }
    found
}

/// Dictionary lookups by linear search, which for the few entries of a PDF dictionary beats
/// lopdf's hashed [`Dictionary::get`] (SipHash of the key, then a probe) and builds no error
/// message when the key is absent. Same answers: a dictionary's keys are unique.
pub trait Lookup {
    /// The value under `key`, if any.
    fn find(&self, key: &[u8]) -> Option<&Object>;

    /// [`Self::find`] with lopdf's error for an absent key, for chains of lopdf calls.
    #[inline]
    fn lookup(&self, key: &[u8]) -> lopdf::Result<&Object> {
        self.find(key).ok_or(lopdf::Error::DictKey(String::new()))
    }

    /// Whether `/Type` is the name `name` ([`Dictionary::has_type`], without its error
    /// allocation when there is no `/Type`).
    fn is_type(&self, name: &[u8]) -> bool {
        matches!(self.find(b"Type"), Some(Object::Name(t)) if t == name)
    }
}

/// Above this many entries the hashed lookup wins.
const LINEAR_LOOKUP_MAX: usize = 16;

impl Lookup for Dictionary {
    #[inline]
    fn find(&self, key: &[u8]) -> Option<&Object> {
        if self.len() <= LINEAR_LOOKUP_MAX {
            // The first byte first: most keys differ there, and comparing whole slices is a
            // call into the C library for each key.
            let first = key.first();
            self.iter().find(|(k, _)| k.first() == first && k.as_slice() == key).map(|(_, v)| v)
        } else {
            self.get(key).ok()
        }
    }
}

/// One terminal field of an AcroForm.
#[derive(Debug, Clone, PartialEq)]
pub struct FormField {
    /// Fully qualified name (partial names joined with `.`).
    pub name: String,
    /// `None` for a field type formtool does not handle (choice lists, push buttons).
    pub kind: Option<FieldKind>,
    /// The raw `/FT` name, e.g. `Tx`, `Btn`, `Ch`, `Sig`.
    pub field_type: String,
    /// The field dictionary's object id (`None` when it is a direct object).
    pub id: Option<ObjectId>,
    /// Its widget annotations: object id (if indirect), 1-based page, rectangle.
    pub widgets: Vec<Widget>,
    /// The value: text for `Tx`, `"Yes"`/`"Off"`-style state for `Btn`, `"signed"` for a `Sig`
    /// with a value; `None` when empty.
    pub value: Option<String>,
}

/// One widget annotation of a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Widget {
    pub id: Option<ObjectId>,
    pub page: Option<usize>,
    pub rect: Option<Rect>,
}

impl FormField {
    /// The first widget's page and rectangle, the usual case of one widget per field.
    pub fn first_widget(&self) -> Option<&Widget> {
        self.widgets.first()
    }
}

/// Maximum depth of the field tree: PDF sets none, but a cycle or a hostile file must end.
const MAX_FIELD_DEPTH: usize = 32;

/// Every terminal field of the document's AcroForm, in tree order. A PDF without an AcroForm
/// gives an empty list.
pub fn form_fields<D: Objects + ?Sized>(doc: &D) -> Vec<FormField> {
    let mut page_of = PageIndex::default();
    for (number, page_id) in doc.get_pages() {
        page_of.by_page.insert(page_id, number as usize);
        if let Ok(page) = doc.get_dictionary(page_id)
            && let Some(Object::Array(annots)) = get(doc, page, b"Annots")
        {
            for a in annots {
                if let Object::Reference(id) = a {
                    page_of.by_annot.insert(*id, number as usize);
                }
            }
        }
    }
    let Some(fields) = doc
        .catalog()
        .ok()
        .and_then(|c| get(doc, c, b"AcroForm"))
        .and_then(|a| a.as_dict().ok())
        .and_then(|a| get(doc, a, b"Fields"))
        .and_then(|f| f.as_array().ok())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen = HashSet::with_capacity(2 * fields.len());
    for f in fields {
        walk_field(doc, f, "", None, 0, &page_of, &mut seen, &mut out);
    }
    out
}

/// Page numbers by annotation and by page object, computed once per document: looking pages
/// up per widget would be quadratic in a hostile file with many of both.
#[derive(Default)]
struct PageIndex {
    by_annot: BTreeMap<ObjectId, usize>,
    by_page: BTreeMap<ObjectId, usize>,
}

#[allow(clippy::too_many_arguments)]
fn walk_field<D: Objects + ?Sized>(
    doc: &D,
    obj: &Object,
    parent_name: &str,
    inherited_ft: Option<&[u8]>,
    depth: usize,
    page_of: &PageIndex,
    seen: &mut HashSet<ObjectId>,
    out: &mut Vec<FormField>,
) {
    if depth > MAX_FIELD_DEPTH {
        return;
    }
    let id = obj.as_reference().ok();
    if let Some(id) = id
        && !seen.insert(id)
    {
        return;
    }
    let Ok(dict) = resolve(doc, obj).as_dict() else {
        return;
    };
    let [t, ft, kids, ff, v] = get_all(doc, dict, [b"T", b"FT", b"Kids", b"Ff", b"V"]);
    let partial = t.and_then(|t| t.as_str().ok()).map(decode_text_string);
    let name = match partial {
        Some(p) if parent_name.is_empty() => p,
        Some(p) => format!("{parent_name}.{p}"),
        None => parent_name.to_string(),
    };
    let ft = ft.and_then(|o| o.as_name().ok()).or(inherited_ft);
    // Kids that carry a /T are fields; kids without are this field's widgets.
    let kids: &[Object] = match kids {
        Some(Object::Array(k)) => k,
        _ => &[],
    };
    let is_field = |k: &Object| resolve(doc, k).as_dict().is_ok_and(|d| d.find(b"T").is_some());
    if kids.iter().any(is_field) {
        for k in kids.iter().filter(|k| is_field(k)) {
            walk_field(doc, k, &name, ft, depth + 1, page_of, seen, out);
        }
        return;
    }
    let mut widgets = Vec::new();
    let widget_objs = if kids.is_empty() { std::slice::from_ref(obj) } else { kids };
    for w in widget_objs {
        let wid = w.as_reference().ok();
        let Ok(wd) = resolve(doc, w).as_dict() else {
            continue;
        };
        let page = wid.and_then(|i| page_of.by_annot.get(&i).copied()).or_else(|| {
            let p = wd.find(b"P")?.as_reference().ok()?;
            page_of.by_page.get(&p).copied()
        });
        let rect = wd.find(b"Rect").and_then(|r| rect_from(doc, r));
        widgets.push(Widget { id: wid, page, rect });
    }
    let field_type = ft.map(|f| String::from_utf8_lossy(f).into_owned()).unwrap_or_default();
    let flags = ff.and_then(|o| o.as_i64().ok()).unwrap_or(0);
    let kind = match field_type.as_str() {
        "Tx" => Some(FieldKind::Text),
        // Push buttons (bit 17) and radio groups (bit 16) are not checkboxes.
        "Btn" if flags & ((1 << 16) | (1 << 15)) == 0 => Some(FieldKind::Checkbox),
        "Sig" => Some(FieldKind::Signature),
        _ => None,
    };
    let value = match v {
        Some(Object::String(bytes, _)) => Some(decode_text_string(bytes)).filter(|s| !s.is_empty()),
        Some(Object::Name(n)) => Some(String::from_utf8_lossy(n).into_owned()),
        Some(Object::Dictionary(_)) if kind == Some(FieldKind::Signature) => Some("signed".to_string()),
        _ => None,
    };
    out.push(FormField { name, kind, field_type, id, widgets, value });
}

/// Whether a checkbox value means ticked: any state other than `Off`.
pub fn is_ticked(value: Option<&str>) -> bool {
    matches!(value, Some(v) if v != "Off" && !v.is_empty())
}

/// Largest PDF formtool opens as a form (for `inspect`, `fill --form`, profiles).
pub const MAX_PDF_BYTES: u64 = 256 * 1024 * 1024;

/// Open a PDF from disk with a clear error naming the file and the reason.
pub fn open_pdf(path: &Path) -> Result<(Vec<u8>, Document), Failure> {
    let meta = std::fs::metadata(path).map_err(|e| Failure::usage(format!("{}: cannot read: {e}", path.display())))?;
    if meta.len() > MAX_PDF_BYTES {
        return Err(Failure::usage(format!("{}: larger than {} MB", path.display(), MAX_PDF_BYTES >> 20)));
    }
    let bytes = std::fs::read(path).map_err(|e| Failure::usage(format!("{}: cannot read: {e}", path.display())))?;
    let doc = load_pdf(&bytes).map_err(|why| Failure::usage(format!("{}: {why}", path.display())))?;
    Ok((bytes, doc))
}

/// Parse PDF bytes, with the reason in words when that fails, within the bounds of
/// [`limits`].
pub fn load_pdf(bytes: &[u8]) -> Result<Document, String> {
    if !bytes.starts_with(b"%PDF-") && !bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
        return Err("not a PDF file (no %PDF- header)".to_string());
    }
    limits::load_pdf_bounded(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_exact() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(0.333), "0.33");
        assert_eq!(num(-3.0), "-3");
    }

    #[test]
    fn literals_escape_delimiters() {
        assert_eq!(literal("a(b)c\\"), "(a\\(b\\)c\\\\)");
        assert_eq!(literal("page · 1"), "(page \\267 1)");
    }

    #[test]
    fn text_strings_round_trip() {
        for s in ["plain", "Ελένη Παπαδοπούλου", "Алексей", "Weiß"] {
            let o = text_string(s);
            assert_eq!(decode_text_string(o.as_str().unwrap()), s);
        }
    }
}
