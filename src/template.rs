//! The embedded blank transfer form, built from [`crate::layout`] with lopdf.
//!
//! Each page is one content stream that draws the static form — headings, labels, thin boxes
//! around text fields, heavy empty boxes for signatures, the four registration marks — and an
//! AcroForm (PDF 32000-1 12.7) whose fields carry exactly the names of SPEC section 4. The
//! output has no dates and no random ids, so the same code always produces the same bytes.
//!
//! Why lopdf alone and not printpdf for the static page: the page is a few hundred drawing
//! operators that the layout already describes, the form needs fields, widgets and fonts that
//! printpdf does not model, and byte-for-byte determinism is easiest when one writer owns the
//! whole object graph.
//!
//! ```
//! let a = formtool::template::blank_form();
//! let b = formtool::template::blank_form();
//! assert_eq!(a, b);
//! assert!(a.starts_with(b"%PDF-1.7"));
//! ```

use std::collections::BTreeMap;
use std::sync::OnceLock;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};
use sha2::{Digest, Sha256};

use crate::cli::TemplateArgs;
use crate::error::{CommandResult, Outcome};
use crate::font;
use crate::layout::{self, FieldKind, FieldSpec, PageSpec, Rect};
use crate::pdf::{deflate, literal, num, rect_object};

/// The default appearance of text fields: the embedded font, 9 pt, black.
pub const DEFAULT_APPEARANCE: &str = "/FtV 9 Tf 0 g";

/// A form under construction: the document and where its parts are.
#[derive(Clone)]
pub struct BuiltForm {
    pub doc: Document,
    /// Field name → the object id of its (merged field and widget) dictionary.
    pub fields: BTreeMap<String, ObjectId>,
    /// Page object ids, in order.
    pub pages: Vec<ObjectId>,
    /// The layout each page was built from.
    pub specs: Vec<PageSpec>,
    pub font_id: ObjectId,
    pub acroform_id: ObjectId,
}

/// Builds a form with the given pages. The blank template is `build(&[layout::first_page()])`.
pub fn build(specs: &[PageSpec]) -> BuiltForm {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font_id = font::embedded().add_to(&mut doc);
    let helvetica = doc.add_object(standard_font("Helvetica"));
    let helvetica_bold = doc.add_object(standard_font("Helvetica-Bold"));
    let page_resources = Object::Dictionary(dictionary! {
        "Font" => dictionary! { "F1" => helvetica, "F2" => helvetica_bold },
        "ProcSet" => vec![Object::Name(b"PDF".to_vec()), Object::Name(b"Text".to_vec())],
    });
    let check_on = doc.add_object(checkbox_appearance(true));
    let check_off = doc.add_object(checkbox_appearance(false));
    let acroform_id = doc.new_object_id();

    let mut fields = BTreeMap::new();
    let mut field_refs = Vec::new();
    let mut pages = Vec::new();
    for spec in specs {
        let page_id = doc.new_object_id();
        let contents = doc.add_object(compressed_stream(dictionary! {}, &page_content(spec)));
        let mut annots = Vec::new();
        for field in &spec.fields {
            let dict = field_dictionary(field, page_id, check_on, check_off);
            let id = doc.add_object(dict);
            if field.kind == FieldKind::Signature {
                let ap = doc.add_object(empty_appearance(&field.rect));
                if let Ok(d) = doc.get_dictionary_mut(id) {
                    d.set("AP", dictionary! { "N" => ap });
                }
            }
            annots.push(Object::Reference(id));
            field_refs.push(Object::Reference(id));
            fields.insert(field.name.clone(), id);
        }
        doc.objects.insert(
            page_id,
            Object::Dictionary(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "MediaBox" => vec![0.into(), 0.into(), layout::PAGE_WIDTH.into(), layout::PAGE_HEIGHT.into()],
                // Each page has its own resources: a filled page adds its own code image.
                "Resources" => page_resources.clone(),
                "Contents" => contents,
                "Annots" => annots,
            }),
        );
        pages.push(page_id);
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => pages.iter().map(|p| Object::Reference(*p)).collect::<Vec<_>>(),
            "Count" => pages.len() as i64,
        }),
    );
    doc.objects.insert(
        acroform_id,
        Object::Dictionary(dictionary! {
            "Fields" => field_refs,
            "DR" => dictionary! { "Font" => dictionary! { font::RESOURCE_NAME => font_id, "Helv" => helvetica } },
            "DA" => Object::string_literal(DEFAULT_APPEARANCE),
        }),
    );
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
        "AcroForm" => acroform_id,
    });
    let info = doc.add_object(dictionary! {
        "Title" => Object::string_literal("Azure subscription transfer between CSP partners"),
        "Producer" => Object::string_literal(concat!("formtool ", env!("CARGO_PKG_VERSION"))),
    });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    BuiltForm { doc, fields, pages, specs: specs.to_vec(), font_id, acroform_id }
}

/// Serialises a built form, with a file identifier derived from its content (PDF 32000-1
/// 14.4) so that identical forms get identical bytes and different forms different ids.
pub fn save(form: &mut BuiltForm, id_seed: &[u8]) -> Vec<u8> {
    let digest = Sha256::digest(id_seed);
    let id = Object::String(digest[..16].to_vec(), lopdf::StringFormat::Hexadecimal);
    form.doc.trailer.set("ID", vec![id.clone(), id]);
    let mut out = Vec::with_capacity(160 * 1024);
    // Writing into a Vec fails only on allocation failure, which aborts anyway.
    let _ = form.doc.save_to(&mut out);
    // End with an end-of-line after %%EOF (PDF 32000-1 7.5.5): incremental signers such as
    // poppler append their update right after the last byte.
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}

/// The blank embedded form (one page), built once per process.
pub fn blank_built() -> &'static BuiltForm {
    static FORM: OnceLock<BuiltForm> = OnceLock::new();
    FORM.get_or_init(|| build(&[layout::first_page()]))
}

/// The bytes of the blank embedded form.
pub fn blank_form() -> Vec<u8> {
    let mut form = blank_built().clone();
    save(&mut form, b"formtool blank transfer form v1")
}

/// `formtool template`: write the blank form to a file or stdout.
pub fn run(args: &TemplateArgs) -> CommandResult {
    let bytes = blank_form();
    match &args.output {
        Some(path) if !crate::output::is_stdout(path) => {
            crate::output::write_atomic(path, &bytes, args.force)?;
            eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
        }
        _ => crate::output::write_pdf_to_stdout(&bytes)?,
    }
    Ok(Outcome::Yes)
}

fn standard_font(name: &str) -> Dictionary {
    dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => Object::Name(name.as_bytes().to_vec()),
        "Encoding" => "WinAnsiEncoding",
    }
}

/// The static drawing of one page.
fn page_content(spec: &PageSpec) -> Vec<u8> {
    let mut s = String::with_capacity(8 * 1024);
    // Registration marks: solid squares, found first when a scan is aligned.
    s.push_str("q 0 g\n");
    for (x, y) in layout::registration_marks() {
        s.push_str(&format!("{} {} {} {} re f\n", num(x), num(y), num(layout::MARK_SIZE), num(layout::MARK_SIZE)));
    }
    s.push_str("Q\n");
    // Rules under headings.
    s.push_str("q 0.35 G 0.6 w\n");
    for (x1, x2, y) in &spec.rules {
        s.push_str(&format!("{} {} m {} {} l S\n", num(*x1), num(*y), num(*x2), num(*y)));
    }
    s.push_str("Q\n");
    // Field boxes: light for text, firm for checkboxes, heavy for signatures. Nothing is ever
    // printed inside a signature box, so any ink found there on a scan is the signer's.
    for field in &spec.fields {
        let r = field.rect;
        let (grey, width) = match field.kind {
            FieldKind::Text => ("0.6", "0.5"),
            FieldKind::Checkbox => ("0", "0.8"),
            FieldKind::Signature => ("0", "1.2"),
        };
        s.push_str(&format!(
            "q {grey} G {width} w {} {} {} {} re S Q\n",
            num(r.x1),
            num(r.y1),
            num(r.width()),
            num(r.height())
        ));
    }
    s.push_str("BT 0 g\n");
    for label in &spec.labels {
        let font = if label.bold { "F2" } else { "F1" };
        s.push_str(&format!(
            "/{font} {} Tf 1 0 0 1 {} {} Tm {} Tj\n",
            num(label.size),
            num(label.x),
            num(label.y),
            literal(&label.text)
        ));
    }
    s.push_str("ET\n");
    s.into_bytes()
}

fn field_dictionary(field: &FieldSpec, page: ObjectId, check_on: ObjectId, check_off: ObjectId) -> Dictionary {
    let mut d = dictionary! {
        "Type" => "Annot",
        "Subtype" => "Widget",
        "FT" => field.kind.pdf_name(),
        "T" => Object::string_literal(field.name.as_str()),
        "TU" => crate::pdf::text_string(&field.label),
        "Rect" => rect_object(&field.rect),
        "F" => 4,
        "P" => page,
    };
    match field.kind {
        FieldKind::Text => {
            d.set("DA", Object::string_literal(DEFAULT_APPEARANCE));
        }
        FieldKind::Checkbox => {
            d.set("V", "Off");
            d.set("AS", "Off");
            d.set("MK", dictionary! { "CA" => Object::string_literal("4") });
            d.set("AP", dictionary! { "N" => dictionary! { "Yes" => check_on, "Off" => check_off } });
        }
        FieldKind::Signature => {}
    }
    d
}

/// The two states of a checkbox, 11 pt square: a drawn tick for `Yes`, nothing for `Off`.
fn checkbox_appearance(on: bool) -> Stream {
    let content: &[u8] = if on { b"q 0 g 1.2 w 1 J 1 j 2.2 5.6 m 4.5 2.5 l 9 9 l S Q\n" } else { b"" };
    Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 11.into(), 11.into()] },
        content.to_vec(),
    )
}

/// An empty appearance the size of `rect`: signature widgets show nothing until signed.
fn empty_appearance(rect: &Rect) -> Stream {
    Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), rect.width().into(), rect.height().into()],
        },
        Vec::new(),
    )
}

/// Flate-compress a content stream when it is large enough to matter.
pub fn compressed_stream(dict: Dictionary, raw: &[u8]) -> Stream {
    if raw.len() < 512 {
        return Stream::new(dict, raw.to_vec());
    }
    let mut dict = dict;
    dict.set("Filter", "FlateDecode");
    let mut s = Stream::new(dict, deflate(raw));
    s.allows_compression = false;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::form_fields;

    #[test]
    fn template_is_byte_for_byte_reproducible() {
        let a = blank_form();
        let b = save(&mut build(&[layout::first_page()]), b"formtool blank transfer form v1");
        assert_eq!(a, b);
    }

    #[test]
    fn template_fields_have_spec_names_and_types() {
        let bytes = blank_form();
        let doc = Document::load_mem(&bytes).unwrap();
        let fields = form_fields(&doc);
        assert_eq!(fields.len(), layout::first_page().fields.len());
        let sig = fields.iter().find(|f| f.name == "NewPartner_Signature").unwrap();
        assert_eq!(sig.field_type, "Sig");
        let tick = fields.iter().find(|f| f.name == "Customer_AgreementAccepted").unwrap();
        assert_eq!(tick.field_type, "Btn");
        assert_eq!(tick.value.as_deref(), Some("Off"));
        assert!(fields.iter().all(|f| f.widgets[0].page == Some(1)));
    }
}
