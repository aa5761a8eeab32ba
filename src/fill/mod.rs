//! Filling the form: each transfer value goes into its field with an appearance stream, so
//! every viewer shows it, including those that ignore `NeedAppearances` (PDF 32000-1
//! 12.7.3.3); every page gets its page code; `--flatten` turns filled fields into page content.
//!
//! A transfer is first turned into values by role ([`role_values`]); the embedded form maps
//! each role to its field by name. Filling starts from the in-memory blank form (built once
//! per process and cloned) rather than parsing a file, which is what makes thousands of forms
//! per second possible.
//!
//! ```
//! use formtool::{fill, input};
//! let loaded = input::load("fixtures/transfer.toml".as_ref(), false).unwrap();
//! let pdf = fill::fill_embedded(&loaded.transfers[0], &fill::FillOptions::default());
//! assert!(pdf.starts_with(b"%PDF-1.7"));
//! ```

pub mod foreign;

use std::collections::HashSet;

use lopdf::{Dictionary, Object, ObjectId, Stream, dictionary};
use sha2::Digest;

use crate::form::FormModel;
use crate::form::code::PageCode;
use crate::form::font;
use crate::form::layout::{self, FieldKind, Party, Role};
use crate::form::template::{self, BuiltForm};
use crate::input::{self, Transfer};
use crate::pdf::{num, text_string};

/// How to fill.
#[derive(Debug, Clone, Copy, Default)]
pub struct FillOptions {
    /// Draw filled values into the page content and drop their fields.
    pub flatten: bool,
}

/// A value to put into a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    Checked(bool),
}

/// Every value the transfer gives, by role. Roles without a value (a missing new partner,
/// signer or date) are left out: their fields stay blank.
pub fn role_values(t: &Transfer) -> Vec<(Role, FieldValue)> {
    let mut v = Vec::new();
    let text = |s: &str| FieldValue::Text(s.to_string());
    let partner = |party: Party, p: &input::Partner, v: &mut Vec<(Role, FieldValue)>| {
        v.push((Role::Organization(party), text(&p.organization)));
        v.push((Role::MicrosoftId(party), text(&p.microsoft_id)));
        v.push((Role::Address(party), text(&p.address)));
        v.push((Role::AdminName(party), text(&p.admin.name)));
        v.push((Role::AdminEmail(party), text(&p.admin.email)));
        v.push((Role::AdminPhone(party), text(&p.admin.phone)));
    };
    partner(Party::CurrentPartner, &t.current_partner, &mut v);
    if let Some(np) = &t.new_partner {
        partner(Party::NewPartner, np, &mut v);
    }
    v.push((Role::Organization(Party::Customer), text(&t.customer.organization)));
    v.push((Role::MicrosoftId(Party::Customer), text(&t.customer.microsoft_id)));
    if let Some(d) = &t.customer.domain {
        v.push((Role::Domain, text(d)));
    }
    for (i, s) in t.subscriptions.iter().enumerate() {
        v.push((Role::Subscription(i + 1), text(s)));
    }
    v.push((Role::ResellerRelationship, FieldValue::Checked(t.attestations.reseller_relationship)));
    v.push((Role::CustomerAgreement, FieldValue::Checked(t.attestations.customer_agreement)));
    let signers = [
        (Party::CurrentPartner, &t.signers.current_partner),
        (Party::Customer, &t.signers.customer),
        (Party::NewPartner, &t.signers.new_partner),
    ];
    for (party, signer) in signers {
        if let Some(s) = signer {
            v.push((Role::SignerName(party), text(&s.name)));
            if let Some(title) = &s.title {
                v.push((Role::SignerTitle(party), text(title)));
            }
        }
    }
    v
}

/// Fill the embedded form for one transfer and return the PDF bytes.
pub fn fill_embedded(transfer: &Transfer, options: &FillOptions) -> Vec<u8> {
    let n = transfer.subscriptions.len();
    if n <= layout::SUBSCRIPTIONS_ON_FIRST_PAGE && !options.flatten {
        return fill_as_update(transfer);
    }
    let mut form = if n <= layout::SUBSCRIPTIONS_ON_FIRST_PAGE {
        template::blank_built().clone()
    } else {
        template::build(&layout::pages_for(n))
    };
    fill_form(&mut form, transfer);
    if options.flatten {
        flatten(&mut form);
    }
    let seed = serde_json::to_vec(transfer).unwrap_or_default();
    template::save(&mut form, &seed)
}

/// The blank form's bytes and the document parsed back from them (so that its cross-reference
/// offsets are known), made once per process.
fn blank_on_disk() -> &'static (Vec<u8>, lopdf::Document) {
    static BLANK: std::sync::OnceLock<(Vec<u8>, lopdf::Document)> = std::sync::OnceLock::new();
    BLANK.get_or_init(|| {
        let bytes = template::blank_form();
        // SAFETY-style note: these are our own template's bytes, checked by the tests; a parse
        // failure is a build defect, not user input.
        let doc = lopdf::Document::load_mem(&bytes).expect("the embedded blank form parses");
        (bytes, doc)
    })
}

/// The common case — one page, not flattened — written as an incremental update of the blank
/// form (PDF 32000-1 7.5.6): the blank form's bytes unchanged, then only the filled fields,
/// their appearances and the page code. Copying the blank bytes instead of re-serialising every
/// object is what lets formtool fill thousands of forms per second.
fn fill_as_update(transfer: &Transfer) -> Vec<u8> {
    let (bytes, blank_doc) = blank_on_disk();
    let built = template::blank_built();
    let mut doc = lopdf::Document::new_from_prev(blank_doc);
    // Copy-on-write: the objects this fill changes start as copies of the blank form's.
    let values = role_values(transfer);
    let mut changed: Vec<ObjectId> = built.pages.clone();
    let model = FormModel::embedded();
    changed.extend(
        values.iter().filter_map(|(role, _)| model.field_of(*role).and_then(|name| built.fields.get(&name).copied())),
    );
    for id in changed {
        if let Ok(obj) = blank_doc.get_object(id) {
            doc.objects.insert(id, obj.clone());
        }
    }
    let mut form = BuiltForm {
        doc,
        fields: built.fields.clone(),
        pages: built.pages.clone(),
        specs: built.specs.clone(),
        font_id: built.font_id,
        acroform_id: built.acroform_id,
    };
    fill_form(&mut form, transfer);
    let digest = sha2::Sha256::digest(serde_json::to_vec(transfer).unwrap_or_default());
    let id = Object::String(digest[..16].to_vec(), lopdf::StringFormat::Hexadecimal);
    let first_id = blank_doc.trailer.get(b"ID").ok().and_then(|i| i.as_array().ok()).and_then(|a| a.first()).cloned();
    // The first file identifier stays the original's; the second changes with each update.
    form.doc.trailer.set("ID", vec![first_id.unwrap_or(id.clone()), id]);
    // The update's cross-reference section takes the form of the previous one (a classic
    // table); only that property of the "previous document" argument is used when saving.
    let mut previous = lopdf::Document::new();
    previous.reference_table.cross_reference_type = blank_doc.reference_table.cross_reference_type;
    let mut update = lopdf::IncrementalDocument::create_from(bytes.clone(), previous);
    update.new_document = form.doc;
    let mut out = Vec::with_capacity(bytes.len() + 16 * 1024);
    // Writing into a Vec fails only on allocation failure, which aborts anyway.
    let _ = update.save_to(&mut out);
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}

/// Put the transfer's values and the page codes into a form.
fn fill_form(form: &mut BuiltForm, transfer: &Transfer) {
    for (role, value) in role_values(transfer) {
        let field = FormModel::embedded().field_of(role);
        if let Some(id) = field.and_then(|name| form.fields.get(&name).copied()) {
            set_field(form, id, &value);
        }
    }
    let pages = form.pages.len();
    for (index, page_id) in form.pages.clone().into_iter().enumerate() {
        let on_page = crate::form::code::embedded_page_subscriptions(index + 1, transfer.subscriptions.len());
        let area = form.specs[index].code_box;
        let code = PageCode::for_page(transfer, index + 1, pages, on_page, area.width().min(area.height()));
        if let Some((image, ops)) = code.image(&area) {
            let image_id = form.doc.add_object(image);
            if let Some(resources) = page_resources_mut(form, page_id) {
                let mut xobjects =
                    resources.get(b"XObject").ok().and_then(|x| x.as_dict().ok()).cloned().unwrap_or_default();
                xobjects.set(crate::form::code::CODE_IMAGE, image_id);
                resources.set("XObject", xobjects);
            }
            append_page_content(form, page_id, ops.into_bytes());
        }
    }
}

/// Set one field's value and appearance.
pub fn set_field(form: &mut BuiltForm, id: ObjectId, value: &FieldValue) {
    let Ok(rect) =
        form.doc.get_dictionary(id).map(|d| d.get(b"Rect").ok().and_then(|r| crate::pdf::rect_from(&form.doc, r)))
    else {
        return;
    };
    match value {
        FieldValue::Text(text) => {
            let rect = rect.unwrap_or(layout::Rect::new(0.0, 0.0, 100.0, 15.0));
            let ap = text_appearance(text, rect.width(), rect.height(), form.font_id);
            let ap_id = form.doc.add_object(ap);
            if let Ok(d) = form.doc.get_dictionary_mut(id) {
                d.set("V", text_string(text));
                d.set("AP", dictionary! { "N" => ap_id });
            }
        }
        FieldValue::Checked(on) => {
            let state = if *on { "Yes" } else { "Off" };
            if let Ok(d) = form.doc.get_dictionary_mut(id) {
                d.set("V", state);
                d.set("AS", state);
            }
        }
    }
}

/// A text field's normal appearance (PDF 32000-1 12.7.3.3): the value in the embedded font,
/// left-aligned, vertically centred, laid out by [`crate::form::fit`] (shrunk down to 6 pt, then on
/// two lines). A value that cannot fit is refused before filling ([`too_long`]); should one
/// reach here anyway it is drawn at the minimum size and clipped, and `verify` says so.
pub fn text_appearance(text: &str, width: f32, height: f32, font_id: ObjectId) -> Stream {
    let f = font::embedded();
    let fitted = crate::form::fit::fit(text, width, height)
        .unwrap_or(crate::form::fit::Fitted { size: crate::form::fit::MIN_SIZE, lines: vec![text.to_string()] });
    let size = fitted.size;
    let mut shown = String::new();
    if let [line] = fitted.lines.as_slice() {
        let (hex, _) = f.encode(line, size);
        let baseline = ((height - size * 0.72) / 2.0).max(1.0);
        shown = format!("2 {} Td {hex} Tj", num(baseline));
    } else {
        // Two lines centred as a block: the first baseline one leading above the second.
        let second = ((height - size * 1.72) / 2.0).max(1.0 + size * 0.24);
        for (i, line) in fitted.lines.iter().enumerate() {
            let (hex, _) = f.encode(line, size);
            let y = second + size * (fitted.lines.len() - 1 - i) as f32;
            shown.push_str(&format!("{}1 0 0 1 2 {} Tm {hex} Tj", if i > 0 { " " } else { "" }, num(y)));
        }
    }
    let content = format!(
        "/Tx BMC\nq 1 1 {} {} re W n\nBT /{} {} Tf 0 g {shown} ET\nQ\nEMC\n",
        num(width - 2.0),
        num(height - 2.0),
        font::RESOURCE_NAME,
        num(size),
    );
    Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), width.into(), height.into()],
            "Resources" => font::resource_dictionary(font_id),
        },
        content.into_bytes(),
    )
}

/// Every value of `transfer` that cannot be shown whole in its box of the embedded form:
/// `field name: reason`, in field order.
pub fn too_long(transfer: &Transfer) -> Vec<String> {
    let pages = layout::pages_for(transfer.subscriptions.len());
    let mut problems = Vec::new();
    for (role, value) in role_values(transfer) {
        let FieldValue::Text(text) = value else { continue };
        let name = role.field_name();
        let Some(field) = pages.iter().find_map(|p| p.field(&name)) else { continue };
        if let Err(e) = crate::form::fit::fit(&text, field.rect.width(), field.rect.height()) {
            problems.push(format!("{name}: {}", e.describe()));
        }
    }
    problems
}

/// A page's own resource dictionary (each page of the embedded form has a direct one).
fn page_resources_mut(form: &mut BuiltForm, page_id: ObjectId) -> Option<&mut Dictionary> {
    form.doc.get_dictionary_mut(page_id).ok()?.get_mut(b"Resources").ok()?.as_dict_mut().ok()
}

/// Add a content stream after a page's existing content.
fn append_page_content(form: &mut BuiltForm, page_id: ObjectId, content: Vec<u8>) {
    let stream_id = form.doc.add_object(template::compressed_stream(Dictionary::new(), &content));
    if let Ok(page) = form.doc.get_dictionary_mut(page_id) {
        let existing = page.get(b"Contents").ok().cloned();
        let mut list = match existing {
            Some(Object::Array(a)) => a,
            Some(other) => vec![other],
            None => Vec::new(),
        };
        list.push(Object::Reference(stream_id));
        page.set("Contents", list);
    }
}

/// Draw each filled text field and checkbox into its page and remove the field; signature
/// fields stay so that the form can still be signed.
fn flatten(form: &mut BuiltForm) {
    let specs = form.specs.clone();
    let mut removed: HashSet<ObjectId> = HashSet::new();
    for (index, spec) in specs.iter().enumerate() {
        let page_id = form.pages[index];
        let mut xobjects = Dictionary::new();
        let mut content = String::new();
        for field in &spec.fields {
            if field.kind == FieldKind::Signature {
                continue;
            }
            let Some(id) = form.fields.get(&field.name).copied() else {
                continue;
            };
            let appearance = form.doc.get_dictionary(id).ok().and_then(|d| {
                let ap = d.get(b"AP").ok()?.as_dict().ok()?.get(b"N").ok()?;
                match ap {
                    Object::Reference(r) => Some(*r),
                    Object::Dictionary(states) => {
                        let state = d.get(b"AS").ok()?.as_name().ok()?;
                        states.get(state).ok()?.as_reference().ok()
                    }
                    _ => None,
                }
            });
            if let Some(ap) = appearance {
                let name = format!("Fl{}", xobjects.len() + 1);
                content.push_str(&format!("q 1 0 0 1 {} {} cm /{name} Do Q\n", num(field.rect.x1), num(field.rect.y1)));
                xobjects.set(name, ap);
            }
            removed.insert(id);
        }
        if let Some(resources) = page_resources_mut(form, page_id) {
            let mut all = resources.get(b"XObject").ok().and_then(|x| x.as_dict().ok()).cloned().unwrap_or_default();
            all.extend(&xobjects);
            resources.set("XObject", all);
        }
        append_page_content(form, page_id, content.into_bytes());
        if let Ok(page) = form.doc.get_dictionary_mut(page_id)
            && let Ok(Object::Array(annots)) = page.get_mut(b"Annots")
        {
            annots.retain(|a| a.as_reference().map(|r| !removed.contains(&r)).unwrap_or(true));
        }
    }
    if let Ok(acro) = form.doc.get_dictionary_mut(form.acroform_id)
        && let Ok(Object::Array(fields)) = acro.get_mut(b"Fields")
    {
        fields.retain(|f| f.as_reference().map(|r| !removed.contains(&r)).unwrap_or(true));
    }
    for id in removed {
        form.doc.objects.remove(&id);
    }
    form.fields.retain(|_, id| form.doc.objects.contains_key(id));
}
