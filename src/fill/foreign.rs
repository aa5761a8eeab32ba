//! Filling a foreign form (the official one once fetched, or any other AcroForm or flat PDF)
//! through its profile ([`crate::form::profile`]): values into the fields the profile names,
//! or drawn into its boxes on a form without fields.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

use crate::error::Failure;
use crate::fill::{FieldValue, role_values, text_appearance};
use crate::form::code::{CODE_IMAGE, PageCode};
use crate::form::font;
use crate::form::layout::{FieldKind, Rect};
use crate::form::profile::{Profile, propose_detailed, role_of};
use crate::form::stamp::{self, MARK_SIZE, PageStamp};
use crate::form::template::compressed_stream;
use crate::input::Transfer;
/// Depth limit when following `/Parent` links for inherited page resources.
const MAX_PAGE_TREE_DEPTH: usize = 32;

use crate::pdf::{FormField, checkbox_on_state, form_fields, get, load_pdf, num, text_string};

/// Fill a foreign form: `profile` says where each value of `transfer` goes. Every other part
/// of the document is kept as it was.
///
/// Text fields get `/V` and an appearance stream in formtool's embedded font (so Greek and
/// Cyrillic names show even where the form's own font lacks them); the font is added to the
/// form's `/DR` and the filled fields' `/DA` point at it, so a viewer that regenerates
/// appearances (the form may say `NeedAppearances`) uses a font that has the glyphs.
/// `NeedAppearances` is dropped only when no field relies on it any more (viewers that
/// honour it redraw checkboxes badly). Checkboxes are set to
/// their own "on" state, read from the widget's `/AP /N`. Boxes of a form without fields are
/// drawn into the page after its content.
pub fn fill_foreign(pdf_bytes: &[u8], profile: &Profile, transfer: &Transfer) -> Result<Vec<u8>, String> {
    let doc = load_pdf(pdf_bytes)?;
    fill_document(doc, profile, transfer, true)
}

/// Check `profile` against a form: the profile is valid, places every required role, and
/// each mapped field exists with a type that can take the role's value.
pub fn check_profile(doc: &Document, profile: &Profile) -> Result<(), String> {
    profile.validate()?;
    let missing = profile.missing_required();
    if !missing.is_empty() {
        return Err(format!("the profile maps no field or box to required role(s): {}", missing.join(", ")));
    }
    let fields = form_fields(doc);
    let by_name: HashMap<&str, &FormField> = fields.iter().map(|f| (f.name.as_str(), f)).collect();
    for (key, name) in &profile.fields {
        let role = role_of(key)?;
        let Some(field) = by_name.get(name.as_str()) else {
            return Err(format!("the profile maps {key} to field '{name}', which the form does not have"));
        };
        let ok = match role.kind() {
            FieldKind::Text => field.kind == Some(FieldKind::Text),
            FieldKind::Checkbox => field.kind == Some(FieldKind::Checkbox),
            // Signature roles are never filled; any field may mark where one goes.
            FieldKind::Signature => true,
        };
        if !ok {
            return Err(format!(
                "the profile maps {key} (a {} value) to field '{name}', which is a /{} field",
                if role.kind() == FieldKind::Checkbox { "checkbox" } else { "text" },
                if field.field_type.is_empty() { "?" } else { &field.field_type }
            ));
        }
    }
    let pages = doc.get_pages().len();
    for (key, b) in &profile.boxes {
        if b.page > pages {
            return Err(format!("[boxes] {key}: page {} but the form has {pages} page(s)", b.page));
        }
    }
    Ok(())
}

/// Whether the transfer's subscriptions fit the form.
pub fn check_capacity(profile: &Profile, transfer: &Transfer) -> Result<(), String> {
    let fits = profile.subscription_capacity();
    let n = transfer.subscriptions.len();
    if n > fits {
        return Err(format!(
            "the form has room for {fits} subscription(s) (subscriptions.1 to subscriptions.{fits}) but the \
             transfer lists {n}; split it into transfers of at most {fits} subscriptions"
        ));
    }
    Ok(())
}

/// [`fill_foreign`] on a parsed document; `page_code` stamps formtool's page code and
/// registration marks (see [`crate::form::stamp`]).
pub fn fill_document(
    mut doc: Document,
    profile: &Profile,
    transfer: &Transfer,
    page_code: bool,
) -> Result<Vec<u8>, String> {
    check_profile(&doc, profile)?;
    check_capacity(profile, transfer)?;
    // Planned on the blank form, before any value is drawn: the same places `inspect` records.
    let stamps = if !page_code {
        Vec::new()
    } else if profile.page_code.is_empty() {
        stamp::plan(&doc)
    } else {
        profile.page_code.clone()
    };
    let fields = form_fields(&doc);
    let by_name: HashMap<&str, &FormField> = fields.iter().map(|f| (f.name.as_str(), f)).collect();
    let mut font: Option<ObjectId> = None;
    let mut dr_name: Option<String> = None;
    let mut draws: BTreeMap<usize, Vec<(Rect, FieldValue)>> = BTreeMap::new();
    for (role, value) in role_values(transfer) {
        let key = role.key();
        if let FieldValue::Text(t) = &value
            && t.is_empty()
        {
            continue;
        }
        if let Some(name) = profile.fields.get(&key) {
            let Some(field) = by_name.get(name.as_str()) else {
                continue;
            };
            match &value {
                FieldValue::Text(text) => {
                    let font_id = *font.get_or_insert_with(|| font::embedded().add_to(&mut doc));
                    let resource = match &dr_name {
                        Some(n) => n.clone(),
                        None => {
                            let n = add_font_to_form(&mut doc, font_id)?;
                            dr_name = Some(n.clone());
                            n
                        }
                    };
                    fill_text(&mut doc, field, text, font_id, &resource)?;
                }
                FieldValue::Checked(on) => fill_checkbox(&mut doc, field, *on)?,
            }
        } else if let Some(b) = profile.boxes.get(&key) {
            draws.entry(b.page).or_default().push((b.rect(), value));
        }
    }
    if !draws.is_empty() {
        let font_id = *font.get_or_insert_with(|| font::embedded().add_to(&mut doc));
        draw_boxes(&mut doc, &draws, font_id)?;
    }
    stamp_pages(&mut doc, &stamps, transfer)?;
    settle_need_appearances(&mut doc);
    let mut out = Vec::with_capacity(pdf_size_hint(&doc));
    doc.save_to(&mut out).map_err(|e| format!("cannot write the filled PDF: {e}"))?;
    Ok(out)
}

fn pdf_size_hint(doc: &Document) -> usize {
    doc.objects.len().saturating_mul(256).min(64 << 20)
}

/// Drop `NeedAppearances` once every field with a value has an appearance on each widget.
///
/// Viewers that honour the flag (poppler, for one) regenerate appearances from `/DA` and
/// `/MK`, and do it badly for checkboxes whose `/MK /CA` names a ZapfDingbats glyph: the tick
/// formtool set disappears. When every valued field has its own appearance the flag has no
/// work left to do; when some field still relies on it (a value without appearance that the
/// form shipped with), it stays.
fn settle_need_appearances(doc: &mut Document) {
    let Some(acro_id) = doc.catalog().ok().and_then(|c| c.get(b"AcroForm").ok()).and_then(|a| a.as_reference().ok())
    else {
        return;
    };
    let flagged = doc
        .get_dictionary(acro_id)
        .ok()
        .and_then(|a| a.get(b"NeedAppearances").ok())
        .and_then(|v| v.as_bool().ok())
        .unwrap_or(false);
    if !flagged {
        return;
    }
    let all_have_appearances = form_fields(doc).iter().filter(|f| f.value.is_some()).all(|f| {
        f.widgets
            .iter()
            .all(|w| w.id.and_then(|id| doc.get_dictionary(id).ok()).is_some_and(|d| get(doc, d, b"AP").is_some()))
    });
    if all_have_appearances && let Ok(acro) = doc.get_dictionary_mut(acro_id) {
        acro.remove(b"NeedAppearances");
    }
}

/// The dictionary under `key` of the object `owner`, made indirect if it was direct (or
/// created if absent), so that it can be changed in place by id.
/// Stamp the page code and registration marks on each page, where `stamps` places them.
fn stamp_pages(doc: &mut Document, stamps: &[PageStamp], transfer: &Transfer) -> Result<(), String> {
    let pages = doc.get_pages();
    for s in stamps {
        let Some(page_id) = u32::try_from(s.page).ok().and_then(|n| pages.get(&n).copied()) else { continue };
        let mut ops = String::new();
        if let Some(corners) = s.marks {
            ops.push_str("q 0 g\n");
            for [x, y] in corners {
                ops.push_str(&format!("{} {} {} {} re f\n", num(x), num(y), num(MARK_SIZE), num(MARK_SIZE)));
            }
            ops.push_str("Q\n");
        }
        if let Some(area) = s.code_box() {
            // A foreign form's subscription boxes are few; page 1's code carries them all.
            let on_page = if s.page == 1 { 0..transfer.subscriptions.len() } else { 0..0 };
            let code = PageCode::for_page(transfer, s.page, pages.len(), on_page, area.width().min(area.height()));
            if let Some((image, code_ops)) = code.image(&area) {
                own_resources(doc, page_id);
                let resources = indirect_dict(doc, page_id, b"Resources")?;
                let xobjects = indirect_dict(doc, resources, b"XObject")?;
                let image_id = doc.add_object(image);
                if let Ok(d) = doc.get_dictionary_mut(xobjects) {
                    d.set(CODE_IMAGE, image_id);
                }
                ops.push_str(&code_ops);
            }
        }
        if !ops.is_empty() {
            append_isolated(doc, page_id, ops.as_bytes());
        }
    }
    Ok(())
}

/// Give a page its own `/Resources` (a copy of the inherited ones) so that adding to them
/// changes no other page.
fn own_resources(doc: &mut Document, page_id: ObjectId) {
    let has_own = doc.get_dictionary(page_id).map(|d| d.has(b"Resources")).unwrap_or(false);
    if !has_own {
        let inherited = inherited_resources(doc, page_id).unwrap_or_default();
        let id = doc.add_object(inherited);
        if let Ok(p) = doc.get_dictionary_mut(page_id) {
            p.set("Resources", id);
        }
    }
}

/// Append `ops` to a page after its content, which is wrapped in `q … Q` so that whatever
/// graphics state it leaves behind does not move or recolour what is appended.
fn append_isolated(doc: &mut Document, page_id: ObjectId, ops: &[u8]) {
    let existing = doc.get_dictionary(page_id).ok().and_then(|p| p.get(b"Contents").ok()).cloned();
    let mut list = match existing {
        Some(Object::Array(a)) => a,
        Some(Object::Reference(r)) => match doc.get_object(r) {
            Ok(Object::Array(a)) => a.clone(),
            _ => vec![Object::Reference(r)],
        },
        _ => Vec::new(),
    };
    let open = doc.add_object(Stream::new(Dictionary::new(), b"q\n".to_vec()));
    let close = doc.add_object(Stream::new(Dictionary::new(), b"Q\n".to_vec()));
    let ours = doc.add_object(compressed_stream(Dictionary::new(), ops));
    list.insert(0, Object::Reference(open));
    list.push(Object::Reference(close));
    list.push(Object::Reference(ours));
    if let Ok(p) = doc.get_dictionary_mut(page_id) {
        p.set("Contents", list);
    }
}

fn indirect_dict(doc: &mut Document, owner: ObjectId, key: &[u8]) -> Result<ObjectId, String> {
    let current =
        doc.get_dictionary(owner).map_err(|e| format!("broken PDF object {owner:?}: {e}"))?.get(key).ok().cloned();
    let dict = match current {
        Some(Object::Reference(id)) => match doc.get_object(id) {
            Ok(Object::Dictionary(_)) => return Ok(id),
            _ => {
                return Err(format!("/{} of object {owner:?} is not a dictionary", String::from_utf8_lossy(key)));
            }
        },
        Some(Object::Dictionary(d)) => d,
        None | Some(Object::Null) => Dictionary::new(),
        Some(_) => {
            return Err(format!("/{} of object {owner:?} is not a dictionary", String::from_utf8_lossy(key)));
        }
    };
    let id = doc.add_object(dict);
    if let Ok(d) = doc.get_dictionary_mut(owner) {
        d.set(key.to_vec(), Object::Reference(id));
    }
    Ok(id)
}

/// Put the font into a `/Font` resource dictionary under a name not used there yet.
fn add_font_resource(doc: &mut Document, fonts_id: ObjectId, font_id: ObjectId) -> Result<String, String> {
    let fonts = doc.get_dictionary_mut(fonts_id).map_err(|e| format!("broken font resources: {e}"))?;
    let mut name = font::RESOURCE_NAME.to_string();
    let mut k = 1;
    loop {
        match fonts.get(name.as_bytes()) {
            Ok(Object::Reference(id)) if *id == font_id => return Ok(name),
            Ok(_) => {
                name = format!("{}{k}", font::RESOURCE_NAME);
                k += 1;
            }
            Err(_) => break,
        }
    }
    fonts.set(name.clone(), Object::Reference(font_id));
    Ok(name)
}

/// Add the value font to the AcroForm's default resources (`/DR`); returns its name there.
fn add_font_to_form(doc: &mut Document, font_id: ObjectId) -> Result<String, String> {
    let catalog = doc.trailer.get(b"Root").ok().and_then(|r| r.as_reference().ok()).ok_or("the PDF has no catalog")?;
    let acro = indirect_dict(doc, catalog, b"AcroForm")?;
    let dr = indirect_dict(doc, acro, b"DR")?;
    let fonts = indirect_dict(doc, dr, b"Font")?;
    add_font_resource(doc, fonts, font_id)
}

/// The object id of each widget of a field; a widget written as a direct object cannot be
/// given an appearance in place, so it is an error rather than a silently unfilled box.
fn widget_ids(field: &FormField) -> Result<Vec<ObjectId>, String> {
    let ids: Option<Vec<ObjectId>> = field.widgets.iter().map(|w| w.id).collect();
    match ids {
        Some(ids) if !ids.is_empty() && field.id.is_some() => Ok(ids),
        _ => Err(format!("field '{}' is written in a way formtool cannot fill (direct objects)", field.name)),
    }
}

fn fill_text(
    doc: &mut Document,
    field: &FormField,
    text: &str,
    font_id: ObjectId,
    resource: &str,
) -> Result<(), String> {
    let ids = widget_ids(field)?;
    let field_id = field.id.ok_or("unreachable: checked by widget_ids")?;
    let max_len = doc.get_dictionary(field_id).ok().and_then(|d| get(doc, d, b"MaxLen")).and_then(|o| o.as_i64().ok());
    if let Some(max) = max_len
        && max >= 0
        && text.chars().count() as i64 > max
    {
        return Err(format!(
            "field '{}' takes at most {max} characters; the value '{text}' has {}",
            field.name,
            text.chars().count()
        ));
    }
    let da = format!("/{resource} 9 Tf 0 g");
    for (w, wid) in field.widgets.iter().zip(ids) {
        let rect = w.rect.unwrap_or(Rect::new(0.0, 0.0, 100.0, 15.0));
        if let Err(e) = crate::form::fit::fit(text, rect.width().max(1.0), rect.height().max(1.0)) {
            return Err(format!("field '{}': {}", field.name, e.describe()));
        }
        let ap = doc.add_object(text_appearance(text, rect.width().max(1.0), rect.height().max(1.0), font_id));
        if let Ok(d) = doc.get_dictionary_mut(wid) {
            d.set("AP", dictionary! { "N" => ap });
            if d.has(b"DA") {
                d.set("DA", Object::string_literal(da.as_str()));
            }
        }
    }
    if let Ok(d) = doc.get_dictionary_mut(field_id) {
        d.set("V", text_string(text));
        d.set("DA", Object::string_literal(da.as_str()));
    }
    Ok(())
}

fn has_state(doc: &Document, widget: ObjectId, state: &[u8]) -> bool {
    doc.get_dictionary(widget)
        .ok()
        .and_then(|d| get(doc, d, b"AP"))
        .and_then(|ap| ap.as_dict().ok())
        .and_then(|ap| get(doc, ap, b"N"))
        .and_then(|n| n.as_dict().ok())
        .is_some_and(|n| n.has(state))
}

fn fill_checkbox(doc: &mut Document, field: &FormField, on: bool) -> Result<(), String> {
    let ids = widget_ids(field)?;
    let field_id = field.id.ok_or("unreachable: checked by widget_ids")?;
    let mut state = ids.iter().find_map(|w| checkbox_on_state(doc, *w));
    if state.is_none() && on {
        // A checkbox without appearances: give it ours, so the tick shows in every viewer.
        for (w, wid) in field.widgets.iter().zip(&ids) {
            let rect = w.rect.unwrap_or(Rect::new(0.0, 0.0, 10.0, 10.0));
            let yes = doc.add_object(appearance(rect, tick_ops(0.0, 0.0, rect.width(), rect.height())));
            let off = doc.add_object(appearance(rect, String::new()));
            if let Ok(d) = doc.get_dictionary_mut(*wid) {
                d.set("AP", dictionary! { "N" => dictionary! { "Yes" => yes, "Off" => off } });
            }
        }
        state = Some(b"Yes".to_vec());
    }
    let value = if on { state.unwrap_or_else(|| b"Yes".to_vec()) } else { b"Off".to_vec() };
    for wid in &ids {
        let shown = if has_state(doc, *wid, &value) { value.clone() } else { b"Off".to_vec() };
        if let Ok(d) = doc.get_dictionary_mut(*wid) {
            d.set("AS", Object::Name(shown));
        }
    }
    if let Ok(d) = doc.get_dictionary_mut(field_id) {
        d.set("V", Object::Name(value));
    }
    Ok(())
}

fn appearance(rect: Rect, ops: String) -> Stream {
    Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), rect.width().into(), rect.height().into()],
        },
        ops.into_bytes(),
    )
}

/// A tick mark inside the box at `(x, y)` of size `w` × `h`: two strokes, like a pen's.
pub fn tick_ops(x: f32, y: f32, w: f32, h: f32) -> String {
    let lw = (w.min(h) * 0.12).clamp(0.6, 2.5);
    format!(
        "q 0 G {} w 1 J 1 j {} {} m {} {} l {} {} l S Q\n",
        num(lw),
        num(x + w * 0.18),
        num(y + h * 0.52),
        num(x + w * 0.40),
        num(y + h * 0.22),
        num(x + w * 0.84),
        num(y + h * 0.82)
    )
}

/// The content that draws `text` in `rect` with the font named `font_name` in the page's
/// resources: left-aligned, vertically centred, shrunk (down to 5 pt) to fit, clipped.
pub fn text_ops(text: &str, rect: Rect, font_name: &str) -> String {
    let f = font::embedded();
    let (w, h) = (rect.width(), rect.height());
    let mut size: f32 = 9.0_f32.min(h * 0.7);
    while size > 5.0 && f.width(text, size) > w - 4.0 {
        size -= 0.5;
    }
    let (hex, _) = f.encode(text, size);
    let baseline = rect.y1 + ((h - size * 0.72) / 2.0).max(1.0);
    format!(
        "q {} {} {} {} re W n BT /{font_name} {} Tf 0 g {} {} Td {hex} Tj ET Q\n",
        num(rect.x1),
        num(rect.y1),
        num(w),
        num(h),
        num(size),
        num(rect.x1 + 2.0),
        num(baseline)
    )
}

/// The resource dictionary a page uses, inherited through `/Parent` when the page has none.
fn inherited_resources(doc: &Document, page: ObjectId) -> Option<Dictionary> {
    let mut node = page;
    for _ in 0..MAX_PAGE_TREE_DEPTH {
        let d = doc.get_dictionary(node).ok()?;
        if let Some(r) = get(doc, d, b"Resources") {
            return r.as_dict().ok().cloned();
        }
        node = d.get(b"Parent").ok()?.as_reference().ok()?;
    }
    None
}

/// Draw the values of a form without fields: one content stream per page after the page's
/// own, which is wrapped in `q … Q` so that whatever state it leaves does not move ours.
fn draw_boxes(
    doc: &mut Document,
    draws: &BTreeMap<usize, Vec<(Rect, FieldValue)>>,
    font_id: ObjectId,
) -> Result<(), String> {
    let pages = doc.get_pages();
    for (page_no, items) in draws {
        let page_id = u32::try_from(*page_no)
            .ok()
            .and_then(|n| pages.get(&n).copied())
            .ok_or_else(|| format!("box on page {page_no}, but the form has {} page(s)", pages.len()))?;
        own_resources(doc, page_id);
        let resources = indirect_dict(doc, page_id, b"Resources")?;
        let fonts = indirect_dict(doc, resources, b"Font")?;
        let font_name = add_font_resource(doc, fonts, font_id)?;
        let mut ops = String::new();
        for (rect, value) in items {
            match value {
                FieldValue::Text(t) => ops.push_str(&text_ops(t, *rect, &font_name)),
                FieldValue::Checked(true) => ops.push_str(&tick_ops(rect.x1, rect.y1, rect.width(), rect.height())),
                FieldValue::Checked(false) => {}
            }
        }
        append_isolated(doc, page_id, ops.as_bytes());
    }
    Ok(())
}

/// A foreign form opened for `fill --form`, with the profile it is filled by.
pub struct ForeignForm {
    doc: Document,
    profile: Profile,
    /// Stamp the page code and registration marks (`fill` without `--no-page-code`).
    page_code: bool,
}

impl ForeignForm {
    /// Open `form` with the profile at `profile` or, without one, the proposed profile.
    /// Every problem with the form or profile is a usage error (exit 2) naming the file and the
    /// role, found before anything is written.
    pub fn open(form: &Path, profile: Option<&Path>, flatten: bool, page_code: bool) -> Result<ForeignForm, Failure> {
        if flatten {
            return Err(Failure::usage("--flatten works only with the embedded form, not with --form"));
        }
        let (_, doc) = crate::pdf::open_pdf(form)?;
        let profile = match profile {
            Some(path) => {
                let p = Profile::load(path)?;
                check_profile(&doc, &p)
                    .map_err(|why| Failure::usage(format!("{} (for {}): {why}", path.display(), form.display())))?;
                p
            }
            None => {
                let proposal = propose_detailed(&doc);
                if !proposal.unmapped.is_empty() {
                    return Err(Failure::usage(format!(
                        "{}: no field recognised for required role(s) {}; write a profile with \
                         `formtool inspect {} --profile-out profile.toml`, complete it, and pass --profile",
                        form.display(),
                        proposal.unmapped.join(", "),
                        form.display()
                    )));
                }
                check_profile(&doc, &proposal.profile)
                    .map_err(|why| Failure::usage(format!("{}: {why}", form.display())))?;
                proposal.profile
            }
        };
        Ok(ForeignForm { doc, profile, page_code })
    }

    /// Check that every transfer fits the form, before anything is written.
    pub fn check(&self, transfers: &[Transfer]) -> Result<(), Failure> {
        let many = transfers.len() > 1;
        for (i, t) in transfers.iter().enumerate() {
            check_capacity(&self.profile, t).map_err(|why| {
                if many { Failure::usage(format!("transfer {}: {why}", i + 1)) } else { Failure::usage(why) }
            })?;
        }
        Ok(())
    }

    /// Fill the form for one transfer.
    pub fn fill(&self, transfer: &Transfer) -> Result<Vec<u8>, String> {
        fill_document(self.doc.clone(), &self.profile, transfer, self.page_code)
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }
}
