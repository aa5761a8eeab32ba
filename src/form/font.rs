//! The embedded font: a Latin/Greek/Cyrillic subset of DejaVu Sans (`assets/fonts/`, made by
//! `assets/fonts/make-subset.sh`, licence beside it), and how form values are written with it.
//!
//! Values are shown with a composite (Type0) font, encoding `Identity-H`: each character is
//! written as its two-byte glyph id, and a `ToUnicode` map lets text extraction (`pdftotext`,
//! copy and paste, screen readers) turn the glyphs back into characters. PDF 32000-1:2008
//! section 9.7 describes composite fonts, section 9.10.3 the `ToUnicode` map.
//!
//! ```
//! let font = formtool::form::font::embedded();
//! assert!(font.unsupported_chars("Jürgen Weiß, Ελένη, Алексей").is_empty());
//! assert_eq!(font.unsupported_chars("東京"), vec!['東', '京']);
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

use crate::pdf::deflate;

/// The font file embedded in every form.
pub static FONT_FILE: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-LGC.ttf");
/// [`FONT_FILE`] as every form stores it: [`crate::pdf::deflate`] of it, committed rather
/// than computed so that no process spends its first form compressing 88 KB (about 19
/// million instructions, as much as verifying a three-signature form). A unit test checks it
/// is still exactly that deflate, and rewrites it when asked (see the test).
static FONT_FILE_DEFLATED: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-LGC.ttf.zlib");
/// The resource name of the value font in `/DR` and in every appearance stream.
pub const RESOURCE_NAME: &str = "FtV";
/// PostScript name with a subset tag (PDF 32000-1 9.6.4): the font is not the full DejaVu Sans.
const BASE_FONT: &str = "FTLGCS+DejaVuSans";

/// Glyph metrics and the character map of the embedded font, read once.
pub struct EmbeddedFont {
    units_per_em: f32,
    glyphs: HashMap<char, u16>,
    advances: Vec<u16>,
    ascender: i16,
    descender: i16,
    cap_height: i16,
    bbox: [i16; 4],
}

/// The embedded font, parsed on first use.
pub fn embedded() -> &'static EmbeddedFont {
    static FONT: OnceLock<EmbeddedFont> = OnceLock::new();
    FONT.get_or_init(|| {
        // SAFETY-style note: FONT_FILE is a committed asset checked by the tests below; a parse
        // failure here is a build defect, not user input, so panicking is the right signal.
        let face = ttf_parser::Face::parse(FONT_FILE, 0).expect("the embedded font parses");
        let mut glyphs = HashMap::new();
        if let Some(cmap) = face.tables().cmap {
            for sub in cmap.subtables.into_iter().filter(|s| s.is_unicode()) {
                sub.codepoints(|cp| {
                    if let (Some(c), Some(g)) = (char::from_u32(cp), sub.glyph_index(cp)) {
                        glyphs.entry(c).or_insert(g.0);
                    }
                });
            }
        }
        let advances =
            (0..face.number_of_glyphs()).map(|g| face.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap_or(0)).collect();
        let bb = face.global_bounding_box();
        EmbeddedFont {
            units_per_em: f32::from(face.units_per_em()),
            glyphs,
            advances,
            ascender: face.ascender(),
            descender: face.descender(),
            cap_height: face.capital_height().unwrap_or(face.ascender()),
            bbox: [bb.x_min, bb.y_min, bb.x_max, bb.y_max],
        }
    })
}

impl EmbeddedFont {
    /// Characters of `text` the font cannot print, in order of appearance, without repeats.
    pub fn unsupported_chars(&self, text: &str) -> Vec<char> {
        let mut missing = Vec::new();
        for c in text.chars() {
            if !self.glyphs.contains_key(&c) && !missing.contains(&c) {
                missing.push(c);
            }
        }
        missing
    }

    /// The glyph ids of `text` as the hex string a content stream shows with `Tj`, and the
    /// width of the text at `size` points. Characters the font lacks (validation rejects them
    /// before filling) are drawn as the `.notdef` box rather than silently dropped.
    pub fn encode(&self, text: &str, size: f32) -> (String, f32) {
        let mut hex = String::with_capacity(text.len() * 4 + 2);
        let mut units = 0u32;
        hex.push('<');
        for c in text.chars() {
            let g = self.glyphs.get(&c).copied().unwrap_or(0);
            units += u32::from(self.advances.get(usize::from(g)).copied().unwrap_or(0));
            for shift in [12, 8, 4, 0] {
                hex.push(char::from(b"0123456789ABCDEF"[usize::from((g >> shift) & 0xF)]));
            }
        }
        hex.push('>');
        (hex, units as f32 * size / self.units_per_em)
    }

    /// Advance width of glyph `g`, in thousandths of the font size.
    pub fn glyph_width(&self, g: u16) -> f32 {
        f32::from(self.advances.get(usize::from(g)).copied().unwrap_or(0)) * 1000.0 / self.units_per_em
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        self.encode(text, size).1
    }

    fn scaled(&self, v: i16) -> i64 {
        // (Advance widths are u16 and go through `width_array`; metrics here are i16.)
        (f32::from(v) * 1000.0 / self.units_per_em).round() as i64
    }

    /// Adds the Type0 font and everything it needs to `doc`; returns the font's object id.
    pub fn add_to(&self, doc: &mut Document) -> ObjectId {
        let mut file = Stream::new(
            dictionary! { "Length1" => FONT_FILE.len() as i64, "Filter" => "FlateDecode" },
            compressed_font_file().to_vec(),
        );
        file.allows_compression = false;
        let file_id = doc.add_object(file);
        let descriptor_id = doc.add_object(dictionary! {
            "Type" => "FontDescriptor",
            "FontName" => Object::Name(BASE_FONT.as_bytes().to_vec()),
            "Flags" => 32,
            "FontBBox" => self.bbox.iter().map(|v| Object::Integer(self.scaled(*v))).collect::<Vec<_>>(),
            "ItalicAngle" => 0,
            "Ascent" => self.scaled(self.ascender),
            "Descent" => self.scaled(self.descender),
            "CapHeight" => self.scaled(self.cap_height),
            "StemV" => 80,
            "FontFile2" => file_id,
        });
        let (default_width, widths) = self.width_array();
        let cid_font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "CIDFontType2",
            "BaseFont" => Object::Name(BASE_FONT.as_bytes().to_vec()),
            "CIDSystemInfo" => dictionary! {
                "Registry" => Object::string_literal("Adobe"),
                "Ordering" => Object::string_literal("Identity"),
                "Supplement" => 0,
            },
            "FontDescriptor" => descriptor_id,
            "DW" => default_width,
            "W" => widths,
            "CIDToGIDMap" => "Identity",
        });
        let mut to_unicode =
            Stream::new(dictionary! { "Filter" => "FlateDecode" }, deflate(self.to_unicode_cmap().as_bytes()));
        to_unicode.allows_compression = false;
        let to_unicode_id = doc.add_object(to_unicode);
        doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => Object::Name(BASE_FONT.as_bytes().to_vec()),
            "Encoding" => "Identity-H",
            "DescendantFonts" => vec![Object::Reference(cid_font_id)],
            "ToUnicode" => to_unicode_id,
        })
    }

    /// Glyph widths as `/DW` and a compact `/W` array (PDF 32000-1 9.7.4.3): glyphs with the
    /// most common width are left to `/DW`, runs of equal widths become `first last width`, the
    /// rest `first [w1 w2 …]`. Every reader parses this array, so its size matters: written
    /// naively it is thousands of numbers.
    fn width_array(&self) -> (i64, Vec<Object>) {
        let widths: Vec<i64> =
            self.advances.iter().map(|a| (f32::from(*a) * 1000.0 / self.units_per_em).round() as i64).collect();
        let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
        for w in &widths {
            *counts.entry(*w).or_default() += 1;
        }
        let default = counts.iter().max_by_key(|(w, n)| (**n, -**w)).map(|(w, _)| *w).unwrap_or(1000);
        let mut out = Vec::new();
        let mut g = 0;
        while g < widths.len() {
            if widths[g] == default {
                g += 1;
                continue;
            }
            let run = widths[g..].iter().take_while(|w| **w == widths[g]).count();
            if run >= 3 {
                out.extend([
                    Object::Integer(g as i64),
                    Object::Integer((g + run - 1) as i64),
                    Object::Integer(widths[g]),
                ]);
                g += run;
                continue;
            }
            // A list of differing widths, ended by a default width or the start of a run.
            let start = g;
            let mut list = Vec::new();
            while g < widths.len() && widths[g] != default {
                let ahead = widths[g..].iter().take_while(|w| **w == widths[g]).count();
                if ahead >= 3 {
                    break;
                }
                list.push(Object::Integer(widths[g]));
                g += 1;
            }
            out.push(Object::Integer(start as i64));
            out.push(Object::Array(list));
        }
        (default, out)
    }

    /// The `ToUnicode` CMap (PDF 32000-1 9.10.3): glyph id → character, lowest code point wins.
    fn to_unicode_cmap(&self) -> String {
        let mut by_glyph: BTreeMap<u16, char> = BTreeMap::new();
        for (c, g) in &self.glyphs {
            by_glyph.entry(*g).or_insert(*c);
        }
        let entries: Vec<(u16, char)> = by_glyph.into_iter().collect();
        let mut out = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        for chunk in entries.chunks(100) {
            out.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (g, c) in chunk {
                let mut units = [0u16; 2];
                let hex: String = c.encode_utf16(&mut units).iter().map(|u| format!("{u:04X}")).collect();
                out.push_str(&format!("<{g:04X}> <{hex}>\n"));
            }
            out.push_str("endbfchar\n");
        }
        out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        out
    }
}

/// The embedded font file as it is stored in every form (Flate-compressed).
pub fn compressed_font_file() -> &'static [u8] {
    FONT_FILE_DEFLATED
}

impl EmbeddedFont {
    /// The text of two-byte glyph codes shown with this font (the inverse of [`Self::encode`]).
    pub fn decode_glyphs(&self, codes: &[u8]) -> Option<String> {
        if !codes.len().is_multiple_of(2) {
            return None;
        }
        codes.chunks_exact(2).map(|p| self.decode_glyph(u16::from_be_bytes([p[0], p[1]]))).collect()
    }

    /// The character glyph `g` shows (the smallest, where several share a glyph); `None` for a
    /// glyph no character maps to.
    pub fn decode_glyph(&self, g: u16) -> Option<char> {
        // A table by glyph number: every text field of every form is decoded through it.
        static BY_GLYPH: OnceLock<Vec<Option<char>>> = OnceLock::new();
        let by_glyph = BY_GLYPH.get_or_init(|| {
            let mut table = vec![None; self.advances.len().max(1)];
            for (c, g) in &embedded().glyphs {
                if let Some(slot) = table.get_mut(usize::from(*g))
                    && slot.is_none_or(|e: char| *c < e)
                {
                    *slot = Some(*c);
                }
            }
            table
        });
        by_glyph.get(usize::from(g)).copied().flatten()
    }

    /// Whether a font dictionary is this embedded font, file and all (not merely its name).
    pub fn is_this_font(&self, doc: &Document, font: &Dictionary) -> bool {
        fn get<'a>(doc: &'a Document, d: &'a Dictionary, k: &[u8]) -> Option<&'a Object> {
            d.get(k).ok().map(|o| crate::pdf::resolve(doc, o))
        }
        let get = |d, k| get(doc, d, k);
        let file = get(font, b"BaseFont")
            .and_then(|b| b.as_name().ok())
            .filter(|b| *b == BASE_FONT.as_bytes())
            .and_then(|_| get(font, b"DescendantFonts"))
            .and_then(|d| d.as_array().ok())
            .and_then(|a| a.first())
            .and_then(|c| crate::pdf::resolve(doc, c).as_dict().ok())
            .and_then(|c| get(c, b"FontDescriptor"))
            .and_then(|d| d.as_dict().ok())
            .and_then(|d| get(d, b"FontFile2"))
            .and_then(|f| f.as_stream().ok());
        file.is_some_and(|f| f.content == compressed_font_file())
    }
}

/// A font resource dictionary naming the value font, for appearance streams and `/DR`.
pub fn resource_dictionary(font_id: ObjectId) -> Dictionary {
    dictionary! { "Font" => dictionary! { RESOURCE_NAME => font_id } }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed compressed font must be exactly what the fill would compress, or forms
    /// filled now would not be recognised as carrying formtool's font. Regenerate it with
    /// `FORMTOOL_WRITE_FONT_ASSET=1 cargo test --lib form::font` (after a font or miniz change).
    #[test]
    fn the_committed_compressed_font_is_the_font_deflated() {
        let deflated = crate::pdf::deflate(FONT_FILE);
        if std::env::var_os("FORMTOOL_WRITE_FONT_ASSET").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DejaVuSans-LGC.ttf.zlib");
            std::fs::write(path, &deflated).expect("write the compressed font");
            return;
        }
        assert!(deflated == FONT_FILE_DEFLATED, "assets/fonts/DejaVuSans-LGC.ttf.zlib is stale: regenerate it");
    }

    #[test]
    fn covers_latin_greek_and_cyrillic() {
        let f = embedded();
        assert!(f.unsupported_chars("Åsa Ørsted, Łódź, Müller, Ελληνικά, Кириллица, №").is_empty());
        assert_eq!(f.unsupported_chars("a😀b😀"), vec!['😀']);
    }

    #[test]
    fn the_width_array_gives_every_glyph_its_width() {
        let f = embedded();
        let (default, array) = f.width_array();
        let mut widths = vec![default; f.advances.len()];
        let mut i = 0;
        while i < array.len() {
            let first = array[i].as_i64().unwrap() as usize;
            match &array[i + 1] {
                Object::Array(list) => {
                    for (k, w) in list.iter().enumerate() {
                        widths[first + k] = w.as_i64().unwrap();
                    }
                    i += 2;
                }
                last => {
                    let (last, w) = (last.as_i64().unwrap() as usize, array[i + 2].as_i64().unwrap());
                    widths[first..=last].iter_mut().for_each(|x| *x = w);
                    i += 3;
                }
            }
        }
        for (g, a) in f.advances.iter().enumerate() {
            assert_eq!(widths[g], (f32::from(*a) * 1000.0 / f.units_per_em).round() as i64, "glyph {g}");
        }
        assert!(array.len() < f.advances.len() / 2, "the array should be compact: {} entries", array.len());
    }

    #[test]
    fn widths_grow_with_text_and_size() {
        let f = embedded();
        assert!(f.width("WWW", 10.0) > f.width("iii", 10.0));
        assert!((f.width("abc", 20.0) - 2.0 * f.width("abc", 10.0)).abs() < 0.01);
    }
}
