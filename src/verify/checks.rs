//! The checks of SPEC section 5 on one returned form, each with its fixed id, the method
//! that decided it and the reason.
//!
//! A form is read once ([`crate::verify::returned`]), then each check looks at what it needs: the field
//! values, the digital signatures and what is drawn inside each signature box
//! ([`crate::pdf::marks`]), and the revisions ([`crate::verify::integrity`]). The principle throughout: a
//! check holds only on positive evidence. Anything formtool cannot read or cannot be sure of
//! makes the check fail, with a detail that says so, because a form wrongly called ready is
//! bounced by Microsoft and costs the customer days.
//!
//! ```
//! let pdf = formtool::form::template::blank_form();
//! let report = formtool::verify::checks::verify_bytes("blank.pdf", &pdf, &Default::default());
//! assert_eq!(report.status.as_str(), "not_ready");
//! assert!(report.checks.iter().any(|c| c.id == "signature.customer" && !c.ok));
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use lopdf::Document;

use crate::form::{FieldKind, FormModel, Party, Rect, Role, SignatureBox, layout};
use crate::input::{Transfer, is_email, normalize_guid, phone_problem};
use crate::pdf::Lookup;
use crate::pdf::marks::{self, Kind, MARK_ANNOTATIONS, counts_as_mark_in, fraction_inside, is_box_outline};
pub use crate::pdf::sha256_hex;
use crate::pdf::{FormField, is_ticked};
use crate::verify::VerifyOptions;
use crate::verify::appearance::{Fonts, Shown, need_appearances, same_comparable, shown_text_with};
use crate::verify::integrity;
use crate::verify::render::{self, PageView};
use crate::verify::report::{Check, CustomerSummary, FormReport, Method, Source, Status};
use crate::verify::returned::{DigitalSignature, Returned};
use crate::verify::scan::Crop;
use crate::verify::scan::ink::Verdict;
use crate::verify::{evidence, pixels};

/// Verify one returned form held in memory. `file` is how the report names it.
pub fn verify_bytes(file: &str, bytes: &[u8], options: &VerifyOptions) -> FormReport {
    let form = match Returned::open(bytes, options.trust.as_ref()) {
        Ok(f) => f,
        Err(why) => return FormReport::error(file, &sha256_hex(bytes), &why),
    };
    let mut report = FormReport {
        file: file.to_string(),
        sha256: form.sha256.clone(),
        status: Status::NotReady,
        source: Some(Source::Digital),
        subscriptions: Vec::new(),
        customer: None,
        checks: Vec::new(),
        error: None,
        form: None,
    };
    let model = match form_model(form.fields(), form.latest(), options) {
        Ok(model) => with_signature_widgets(model, &form),
        Err(why) => return FormReport::error(file, &form.sha256, &why),
    };
    let model = model.as_ref();
    if !model.embedded {
        report.form = Some(model.description.clone());
    }
    let values = Values::of(model, form.fields(), form.latest());
    if values.by_role.is_empty() && form.fields().is_empty() && looks_scanned(form.latest()) {
        crate::verify::scan::fill_report(&mut report, form.latest(), options);
        report.conclude();
        return report;
    }
    report.subscriptions = values.subscriptions().into_iter().map(|(_, s)| normalize_guid(&s).unwrap_or(s)).collect();
    report.customer = Some(CustomerSummary {
        organization: values.text(Role::Organization(Party::Customer)),
        microsoft_id: values.text(Role::MicrosoftId(Party::Customer)).map(|v| normalize_guid(&v).unwrap_or(v)),
    });
    let boxes = &model.signature_boxes;
    let pages = PageMarks::of_boxes(form.latest(), &form.first_page_content, boxes);
    // What a viewer shows of each page with a box on it (page 1 always, for the evidence).
    let mut views: BTreeMap<usize, PageView> = BTreeMap::new();
    for page in boxes.iter().map(|b| b.page).chain([1]) {
        views.entry(page).or_insert_with(|| {
            let view = PageView::new(form.bytes, form.latest(), page);
            let on_page = boxes.iter().filter(|b| b.page == page).map(|b| b.rect.normalized());
            match on_page.reduce(|a, b| Rect::new(a.x1.min(b.x1), a.y1.min(b.y1), a.x2.max(b.x2), a.y2.max(b.y2))) {
                Some(union) => view.judging(union),
                None => view,
            }
        });
    }
    for party in Party::ALL {
        report.checks.push(signature_check(party, boxes, &form.signatures, &pages, &views, form.signatures.len()));
    }
    one_signer_per_party(&mut report.checks, boxes, &form.signatures);
    report.checks.extend(admin_checks(&values));
    for party in Party::ALL {
        report.checks.push(id_check(party, &values));
    }
    report.checks.push(subscriptions_check(&values));
    report.checks.push(attest_check(Role::ResellerRelationship, "attest.reseller_relationship", &values));
    report.checks.push(attest_check(Role::CustomerAgreement, "attest.customer_agreement", &values));
    let box_list: Vec<(usize, Rect)> = boxes.iter().map(|b| (b.page, b.rect)).collect();
    let rules = integrity::check(&form, &box_list);
    let mut integrity = integrity_check(&rules);
    let mut crops = Vec::new();
    // The second line: what the reviewer sees outside the fields that may change must be what
    // was signed. Run when the object rules pass, and for the evidence of a failure.
    if !form.signatures.is_empty() && (rules.ok() || options.evidence.is_some()) {
        match pixels::compare(&form, &box_list, !rules.ok()) {
            Ok(Some(change)) => {
                if rules.ok() {
                    integrity.ok = false;
                    integrity.detail = change.describe();
                }
                if let Some(image) = change.side_by_side {
                    crops.push(Crop { id: "integrity".into(), image });
                }
            }
            Ok(None) => {}
            Err(why) if rules.ok() => {
                integrity.ok = false;
                integrity.detail =
                    format!("the pages could not be rendered to compare them with what was signed: {why}");
            }
            Err(_) => {}
        }
    }
    if let Some(evidence) = &options.evidence {
        crops.extend(evidence::crops(&views, model));
        if let Err(why) = crate::verify::scan::write_evidence(file, &crops, evidence) {
            eprintln!("warning: {file}: evidence not written: {why}");
        }
    }
    if form.latest().was_encrypted() {
        // Opened with the empty user password, as any viewer does; signatures cover the
        // encrypted bytes as written, which is what is hashed.
        integrity.detail.push_str("; the file is encrypted with an empty password (opened without one)");
    }
    report.checks.push(integrity);
    if let Some(expected) = &options.expect {
        report.checks.push(expect_check(&values, expected));
    }
    report.conclude();
    report
}

/// The model of the form `fields` belong to: the embedded form when its fields are formtool's,
/// else the `--profile` whose fields the form has (its blank pages must still be drawn, or
/// the file is "not a fill" of it), else a flat form's profile whose blank pages it draws. A
/// fillable form that is none of these is an error that says what the form is and how to
/// proceed, never a list of failed checks. Any other PDF without fields (a scan, a flattened
/// copy) is read as the embedded form.
pub fn form_model<'a>(
    fields: &[FormField],
    doc: &Document,
    options: &'a VerifyOptions,
) -> Result<&'a FormModel, String> {
    let embedded = FormModel::embedded();
    if fields.is_empty() {
        // A flat foreign form is known by its pages: they still draw its blank pages.
        let flat = options.forms.iter().find(|m| !m.page_content.is_empty() && m.not_a_fill(doc).is_none());
        return Ok(flat.unwrap_or(embedded));
    }
    let names = || fields.iter().map(|f| f.name.as_str());
    let ours = embedded.recognised(names());
    if ours > 0 && ours * 2 >= fields.len() {
        return Ok(embedded);
    }
    // The profile that explains the most fields, as long as it finds every field it maps; or a
    // flat form's profile (it maps no field) whose pages the file still draws, the fields being
    // signature fields added by the signers.
    let present: std::collections::HashSet<&str> = names().collect();
    let best = options
        .forms
        .iter()
        .filter(|m| m.places.values().filter_map(|p| p.field.as_deref()).all(|f| present.contains(f)))
        .max_by_key(|m| m.recognised(names()));
    if let Some(model) = best.filter(|m| m.recognised(names()) > 0) {
        // Its fields are there; its pages must be too (flat profiles below are chosen by them).
        return match model.not_a_fill(doc) {
            Some(why) => Err(format!("not a fill of {} (the form of its profile): {why}", model.description)),
            None => Ok(model),
        };
    }
    let flat = options.forms.iter().find(|m| {
        m.places.values().all(|p| p.field.is_none()) && !m.page_content.is_empty() && m.not_a_fill(doc).is_none()
    });
    if let Some(model) = flat {
        return Ok(model);
    }
    let profiles = if options.forms.is_empty() {
        "pass the profile of its form with --profile FILE".to_string()
    } else {
        format!("none of the {} profile(s) given with --profile describes it; pass the right one", options.forms.len())
    };
    Err(format!(
        "a PDF form that is not formtool's transfer form ({} field(s), {ours} of them formtool's); {profiles} \
         (write one with `formtool inspect FORM.pdf --profile-out FORM.profile.toml`)",
        fields.len()
    ))
}

/// A profile written by hand may name the signature fields without recording where their
/// widgets sit. Their boxes are then taken from the oldest revision loaded (the first signed
/// one, or the file itself): where the field was when the first party signed.
fn with_signature_widgets<'a>(model: &'a FormModel, form: &Returned) -> Cow<'a, FormModel> {
    let unplaced: Vec<(Role, String)> = model
        .places
        .iter()
        .filter(|(role, place)| matches!(role, Role::Signature(_)) && place.rect.is_none())
        .filter_map(|(role, place)| Some((*role, place.field.clone()?)))
        .collect();
    let Some(oldest) = form.revisions.first() else { return Cow::Borrowed(model) };
    if unplaced.is_empty() {
        return Cow::Borrowed(model);
    }
    let mut owned = model.clone();
    for (role, name) in unplaced {
        let widget = oldest.fields.iter().find(|f| f.name == name).and_then(|f| f.first_widget());
        if let (Role::Signature(party), Some(w)) = (role, widget)
            && let (Some(page), Some(rect)) = (w.page, w.rect)
        {
            owned.place_signature(party, page, rect.normalized());
        }
    }
    Cow::Owned(owned)
}

/// Field values by role (through the form's model), and whether each is shown as it is stored.
struct Values {
    by_role: BTreeMap<Role, Option<String>>,
    kinds: BTreeMap<Role, Option<FieldKind>>,
    /// Text fields whose appearance does not show their value: role → why.
    not_shown: BTreeMap<Role, String>,
}

impl Values {
    fn of(model: &FormModel, fields: &[FormField], doc: &Document) -> Values {
        let mut by_role = BTreeMap::new();
        let mut kinds = BTreeMap::new();
        let mut not_shown = BTreeMap::new();
        let regenerate = need_appearances(doc);
        let mut fonts = Fonts::default();
        for f in fields {
            let Some(role) = model.role_of_field(&f.name) else { continue };
            let mut value = f.value.clone().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
            let widget = f.first_widget().and_then(|w| w.id).or(f.id);
            if f.kind == Some(FieldKind::Checkbox) {
                // A box is ticked only if its value and its shown state (/AS) both say so.
                let shown_state = widget
                    .and_then(|w| doc.get_dictionary(w).ok())
                    .and_then(|d| d.find(b"AS"))
                    .and_then(|a| a.as_name().ok())
                    .map(|a| String::from_utf8_lossy(a).into_owned());
                if shown_state.as_deref().is_some_and(|s| !is_ticked(Some(s))) {
                    value = Some("Off".into());
                }
            } else if f.kind == Some(FieldKind::Text)
                && let (Some(v), Some(w)) = (&value, widget)
            {
                match shown_text_with(doc, w, &mut fonts) {
                    Shown::Text(t) if !same_comparable(&t, v) => {
                        not_shown.insert(role, format!("{} shows {:?} but its value is {v:?}", f.name, t.trim()));
                    }
                    Shown::Cut(t) => {
                        not_shown.insert(
                            role,
                            format!(
                                "{} is cut off: it shows only {:?} of {v:?}, the rest is drawn outside its box",
                                f.name,
                                t.trim()
                            ),
                        );
                    }
                    Shown::Nothing if !regenerate => {
                        not_shown.insert(role, format!("{} has a value but shows nothing (no appearance)", f.name));
                    }
                    _ => {}
                }
            }
            by_role.insert(role, value);
            kinds.insert(role, f.kind);
        }
        let mut values = Values { by_role, kinds, not_shown };
        values.read_boxes(model, doc, !fields.is_empty());
        values
    }

    /// The values of a form without fields: the text printed inside each role's box, or for a
    /// checkbox, a mark drawn inside it. Text counts only where the page also paints visible
    /// text (not white, not clipped away, not invisible), so a value must be seen to count.
    /// The same, in a form that has fields (`has_fields`: a flattened form keeps its signature
    /// fields), for a role whose field the file no longer has: `fill --flatten` prints the
    /// values where the fields were, and the form is judged on that. (A file with no field at
    /// all is a print-only form or a scan, read by its own rules.)
    fn read_boxes(&mut self, model: &FormModel, doc: &Document, has_fields: bool) {
        let boxed: Vec<(Role, usize, Rect)> = model
            .places
            .iter()
            .filter(|(role, place)| {
                (place.field.is_none() || (has_fields && !self.by_role.contains_key(role)))
                    && !matches!(role, Role::Signature(_))
            })
            .filter_map(|(role, place)| Some((*role, place.page?, place.rect?)))
            .chain(self.flattened_continuation_boxes(model, doc, has_fields))
            .collect();
        if boxed.is_empty() {
            return;
        }
        let texts = crate::form::page_text::read_pages(doc);
        let pages = doc.get_pages();
        let mut painted: BTreeMap<usize, Vec<marks::Painted>> = BTreeMap::new();
        for (role, page, rect) in boxed {
            let shown = painted.entry(page).or_insert_with(|| {
                let Some(id) = pages.get(&(page as u32)) else { return Vec::new() };
                let (content, resources) = marks::page_content(doc, *id);
                marks::painted_in_content(doc, &content, resources.as_ref())
            });
            let kind = role.kind();
            let value = if kind == FieldKind::Checkbox {
                let ticked = shown.iter().any(|m| {
                    m.certainly_visible()
                        && fraction_inside(&m.bbox, &rect) >= 0.8
                        && !marks::is_box_outline(&m.bbox, &rect)
                        && m.bbox.width().max(m.bbox.height()) >= rect.width().min(rect.height()) * 0.3
                });
                Some(if ticked { "Yes" } else { "Off" }.to_string())
            } else {
                let lines: Vec<&str> = texts
                    .iter()
                    .filter(|p| p.page == page)
                    .flat_map(|p| &p.lines)
                    .filter(|l| {
                        let line = Rect::new(l.x1, l.y, l.x2, l.y + l.size * 0.7);
                        rect.contains((l.x1 + l.x2) / 2.0, l.y + l.size * 0.3)
                            && shown
                                .iter()
                                .any(|m| m.kind == Kind::Text && m.certainly_visible() && m.bbox.intersects(&line))
                    })
                    .map(|l| l.text.as_str())
                    .collect();
                Some(join_lines(role, &lines)).filter(|t| !t.trim().is_empty())
            };
            self.by_role.insert(role, value);
            self.kinds.insert(role, Some(kind));
        }
    }

    /// The subscription boxes of a flattened embedded form's continuation pages (the model
    /// places page 1 only; a filled form's continuation fields are found by name, a flattened
    /// one's only where the layout prints them: up to sixty per page).
    fn flattened_continuation_boxes(
        &self,
        model: &FormModel,
        doc: &Document,
        has_fields: bool,
    ) -> Vec<(Role, usize, Rect)> {
        let pages = doc.get_pages().len();
        let has_subscription_field = self.by_role.keys().any(|r| matches!(r, Role::Subscription(_)));
        if !has_fields || !model.embedded || pages < 2 || has_subscription_field {
            return Vec::new();
        }
        (2..=pages.min(crate::verify::scan::MAX_PAGES))
            .flat_map(|page| {
                let first = layout::first_subscription_on_page(page);
                let spec = layout::continuation_page(page, first, layout::SUBSCRIPTIONS_PER_CONTINUATION_PAGE, pages);
                spec.fields
                    .into_iter()
                    .filter(|f| matches!(f.role, Role::Subscription(_)))
                    .map(move |f| (f.role, page, f.rect))
            })
            .collect()
    }

    /// Why the value of `role` would not be seen as stored, if it would not.
    fn display_problem(&self, role: Role) -> Option<&String> {
        self.not_shown.get(&role)
    }

    fn text(&self, role: Role) -> Option<String> {
        if self.kinds.get(&role).copied().flatten() != Some(FieldKind::Text) {
            return None;
        }
        self.by_role.get(&role).cloned().flatten()
    }

    fn has_field(&self, role: Role) -> bool {
        self.by_role.contains_key(&role)
    }

    fn subscriptions(&self) -> Vec<(usize, String)> {
        self.by_role
            .iter()
            .filter_map(|(r, v)| match (r, v) {
                (Role::Subscription(n), Some(v)) if self.kinds.get(r).copied().flatten() == Some(FieldKind::Text) => {
                    Some((*n, v.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

/// One value from the lines printed in its box. `fill` puts a value that does not fit on one
/// line on two (`src/form/fit.rs`), breaking after a space (dropped), after `@ - . , /`, or
/// anywhere in a long word. Emails, IDs and domains have no spaces, so their lines join
/// directly; other text joins with a space unless the break followed `@ - /`.
fn join_lines(role: Role, lines: &[&str]) -> String {
    let spaceless = matches!(role, Role::AdminEmail(_) | Role::MicrosoftId(_) | Role::Subscription(_) | Role::Domain);
    let mut out = String::new();
    for line in lines.iter().map(|l| l.trim()) {
        if !out.is_empty() && !spaceless && !out.ends_with(['@', '-', '/']) {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// What is painted and annotated on one page, read once for all the boxes on it.
#[derive(Default)]
struct PageMarks {
    painted: Vec<marks::Painted>,
    annotations: Vec<marks::Annotation>,
}

impl PageMarks {
    /// The pages of `doc` that hold a signature box, by 1-based number; page 1's decoded
    /// content is `first_content`.
    fn of_boxes(doc: &Document, first_content: &[u8], boxes: &[SignatureBox]) -> BTreeMap<usize, PageMarks> {
        let pages = doc.get_pages();
        let mut out = BTreeMap::new();
        for b in boxes {
            if out.contains_key(&b.page) {
                continue;
            }
            let Some(page_id) = pages.get(&(b.page as u32)).copied() else {
                out.insert(b.page, PageMarks::default());
                continue;
            };
            let resources = marks::page_resources(doc, page_id);
            let painted = if b.page == 1 {
                marks::painted_in_content(doc, first_content, resources.as_ref())
            } else {
                let (content, resources) = marks::page_content(doc, page_id);
                marks::painted_in_content(doc, &content, resources.as_ref())
            };
            out.insert(b.page, PageMarks { painted, annotations: marks::annotations(doc, page_id) });
        }
        out
    }
}

/// Whether two rectangles share some area.
fn overlaps(a: &Rect, b: &Rect) -> bool {
    a.x1.max(b.x1) < a.x2.min(b.x2) && a.y1.max(b.y1) < a.y2.min(b.y2)
}

fn in_box(rect: &Rect, bx: &Rect) -> bool {
    rect.width() > 0.0
        && rect.height() > 0.0
        && fraction_inside(rect, bx) >= 0.6
        && bx.contains((rect.x1 + rect.x2) / 2.0, (rect.y1 + rect.y2) / 2.0)
}

fn signature_check(
    party: Party,
    boxes: &[SignatureBox],
    signatures: &[DigitalSignature],
    pages: &BTreeMap<usize, PageMarks>,
    views: &BTreeMap<usize, PageView>,
    digital_count: usize,
) -> Check {
    let id = format!("signature.{}", party.key());
    let title = party.title();
    let Some(sig_box) = boxes.iter().find(|b| b.party == party) else {
        return Check::new(id, false, Method::Drawn, format!("the form has no {title} signature box"));
    };
    let bx = &sig_box.rect;
    let empty = PageMarks::default();
    let page1 = pages.get(&sig_box.page).unwrap_or(&empty);
    let Some(view) = views.get(&sig_box.page) else {
        return Check::new(id, false, Method::Drawn, format!("the {title} box is on a page the file does not have"));
    };
    let here: Vec<&DigitalSignature> =
        signatures.iter().filter(|s| s.page == Some(sig_box.page) && s.rect.is_some_and(|r| in_box(&r, bx))).collect();
    if let Some(bad) = here.iter().find(|s| !s.verdict.ok()) {
        let v = &bad.verdict;
        let why = if v.trusted == Some(false) && v.byte_range_ok && v.intact && v.valid {
            format!("signer {} does not chain to the trusted certificates", v.signer)
        } else {
            v.problems.join("; ")
        };
        return Check::new(
            id,
            false,
            Method::Digital,
            format!("the signature in the {title} box does not verify: {why}"),
        );
    }
    if let Some(good) = here.first() {
        let v = &good.verdict;
        let when = good.time.as_deref().map(|t| format!(" at {t}")).unwrap_or_default();
        let weak = if v.weak { "; weak" } else { "" };
        return Check::new(
            id,
            true,
            Method::Digital,
            format!("signed by {}{when} ({}, {}{weak})", v.signer, v.signature_algorithm, v.digest_algorithm),
        );
    }
    // The interpreter is the fast first pass: with nothing at all drawn over the box (no
    // annotation whose strokes or rectangle reach into it, no paint but the printed outline),
    // there is nothing to render. Whatever it finds, only the rendered box can say "signed".
    let annotation = page1.annotations.iter().find(|a| {
        a.visible
            && MARK_ANNOTATIONS.contains(&a.subtype.as_bytes())
            && a.bbox.is_some_and(|b| counts_as_mark_in(&b, bx))
    });
    let drawing =
        page1.painted.iter().find(|m| m.kind != Kind::Text && m.certainly_visible() && counts_as_mark_in(&m.bbox, bx));
    // Typed text (FreeText, widgets' field text, text runs) is not a mark; larger than a dot.
    let not_typed = |subtype: &str| !matches!(subtype, "FreeText" | "Widget" | "Popup");
    let big = |r: &Rect| r.width().max(r.height()) >= marks::MIN_MARK_EXTENT;
    let candidate = annotation.is_some()
        || drawing.is_some()
        || view
            .annotations
            .iter()
            .any(|a| a.has_appearance && not_typed(&a.subtype) && a.rect.is_some_and(|r| big(&r) && overlaps(&r, bx)))
        || page1
            .annotations
            .iter()
            .any(|a| not_typed(&a.subtype) && a.bbox.is_some_and(|b| big(&b) && overlaps(&b, bx)))
        || page1
            .painted
            .iter()
            .any(|m| m.kind != Kind::Text && big(&m.bbox) && overlaps(&m.bbox, bx) && !is_box_outline(&m.bbox, bx));
    if candidate {
        let method = if digital_count > 0 { Method::Digital } else { Method::Drawn };
        let typed: Vec<Rect> = page1
            .painted
            .iter()
            .filter(|m| m.kind == Kind::Text)
            .map(|m| m.bbox)
            .chain(view.annotations.iter().filter(|a| a.subtype == "FreeText").filter_map(|a| a.rect))
            .filter(|r| overlaps(r, bx))
            .collect();
        match view.drawn_signature(bx, &typed) {
            Ok((Verdict::Marked, ink)) => {
                let what = match (annotation, drawing) {
                    (Some(a), _) => format!("{} annotation drawn in the {title} box", a.subtype),
                    (None, Some(m)) if m.kind == Kind::Image => format!("an image in the {title} box"),
                    _ => format!("a drawing in the {title} box"),
                };
                return Check::new(
                    id,
                    true,
                    Method::Drawn,
                    format!("{what} ({})", render::describe(Verdict::Marked, &ink)),
                );
            }
            Ok((verdict, ink)) => {
                return Check::new(
                    id,
                    false,
                    method,
                    format!(
                        "no signature in the {title} box: something is drawn there, but {}",
                        render::describe(verdict, &ink)
                    ),
                );
            }
            Err(why) => {
                return Check::new(
                    id,
                    false,
                    method,
                    format!("no signature in the {title} box: what is drawn there could not be rendered ({why})"),
                );
            }
        }
    }
    let typed = page1.annotations.iter().any(|a| a.subtype == "FreeText" && a.bbox.is_some_and(|b| in_box(&b, bx)))
        || page1.painted.iter().any(|m| m.kind == Kind::Text && in_box(&m.bbox, bx));
    let method = if digital_count > 0 { Method::Digital } else { Method::Drawn };
    let detail = if typed {
        format!("no signature in the {title} box (a typed name is not a signature)")
    } else {
        format!("no signature in the {title} box")
    };
    Check::new(id, false, method, detail)
}

/// Three signatures by one certificate are one party's, not three: the second box signed by
/// the same signer as an earlier box fails.
fn one_signer_per_party(checks: &mut [Check], boxes: &[SignatureBox], signatures: &[DigitalSignature]) {
    let mut seen: Vec<(String, Party)> = Vec::new();
    for SignatureBox { party, page, rect } in boxes {
        let Some(sig) = signatures.iter().find(|s| s.page == Some(*page) && s.rect.is_some_and(|r| in_box(&r, rect)))
        else {
            continue;
        };
        let signer = sig.verdict.signer.clone();
        if signer.is_empty() {
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == signer) {
            let id = format!("signature.{}", party.key());
            if let Some(c) = checks.iter_mut().find(|c| c.id == id && c.ok) {
                c.ok = false;
                c.detail = format!(
                    "the {} box is signed by {signer}, who also signed the {} box: each party signs for itself",
                    party.title(),
                    first.title()
                );
            }
        } else {
            seen.push((signer, *party));
        }
    }
}

fn admin_checks(values: &Values) -> Vec<Check> {
    let email = |p: Party| values.text(Role::AdminEmail(p));
    let same_email = match (email(Party::CurrentPartner), email(Party::NewPartner)) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(&b),
        _ => false,
    };
    [Party::CurrentPartner, Party::NewPartner]
        .into_iter()
        .map(|p| {
            let mut missing = Vec::new();
            let name = values.text(Role::AdminName(p));
            if name.is_none() {
                missing.push("name missing".to_string());
            }
            match values.text(Role::AdminEmail(p)) {
                None => missing.push("email missing".into()),
                Some(e) if !is_email(&e) => missing.push(format!("email {e:?} is not valid")),
                _ => {}
            }
            match values.text(Role::AdminPhone(p)) {
                None => missing.push("phone missing".into()),
                Some(ph) => {
                    if let Some(why) = phone_problem(&ph) {
                        missing.push(format!("phone {ph:?} {why}"));
                    }
                }
            }
            for role in [Role::AdminName(p), Role::AdminEmail(p), Role::AdminPhone(p)] {
                if let Some(why) = values.display_problem(role) {
                    missing.push(why.clone());
                }
            }
            if same_email {
                missing.push("both admins have the same email; they must be different people".into());
            }
            let id = format!("admin.{}", p.key());
            if missing.is_empty() {
                let detail = format!(
                    "{} <{}>, {}",
                    name.unwrap_or_default(),
                    values.text(Role::AdminEmail(p)).unwrap_or_default(),
                    values.text(Role::AdminPhone(p)).unwrap_or_default()
                );
                Check::new(id, true, Method::Field, detail)
            } else {
                Check::new(id, false, Method::Field, format!("{} admin: {}", p.title(), missing.join(", ")))
            }
        })
        .collect()
}

fn id_check(party: Party, values: &Values) -> Check {
    let id = format!("id.{}", party.key());
    let role = Role::MicrosoftId(party);
    match values.text(role) {
        None => Check::new(id, false, Method::Field, format!("{} Microsoft ID missing", party.title())),
        Some(v) => match normalize_guid(&v) {
            Some(_) if values.display_problem(role).is_some() => {
                Check::new(id, false, Method::Field, values.display_problem(role).cloned().unwrap_or_default())
            }
            Some(g) => Check::new(id, true, Method::Field, g),
            None => Check::new(id, false, Method::Field, format!("{} Microsoft ID {v:?} is not a GUID", party.title())),
        },
    }
}

fn subscriptions_check(values: &Values) -> Check {
    let subs = values.subscriptions();
    if subs.is_empty() {
        return Check::new("id.subscriptions", false, Method::Field, "no subscription ID");
    }
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (n, s) in &subs {
        if let Some(why) = values.display_problem(Role::Subscription(*n)) {
            problems.push(why.clone());
        }
        match normalize_guid(s) {
            None => problems.push(format!("subscription {n} {s:?} is not a GUID")),
            Some(g) => {
                if !seen.insert(g.clone()) {
                    problems.push(format!("subscription {g} is listed twice"));
                }
            }
        }
    }
    if problems.is_empty() {
        Check::new("id.subscriptions", true, Method::Field, format!("{} subscription(s)", subs.len()))
    } else {
        Check::new("id.subscriptions", false, Method::Field, problems.join("; "))
    }
}

fn attest_check(role: Role, id: &str, values: &Values) -> Check {
    let what = match role {
        Role::ResellerRelationship => "the reseller relationship box",
        _ => "the customer agreement box",
    };
    if !values.has_field(role) {
        return Check::new(id, false, Method::Field, format!("the form has no {}", what.trim_start_matches("the ")));
    }
    let ticked = values.kinds.get(&role).copied().flatten() == Some(FieldKind::Checkbox)
        && is_ticked(values.by_role.get(&role).cloned().flatten().as_deref());
    if ticked {
        Check::new(id, true, Method::Field, format!("{what} is ticked"))
    } else {
        Check::new(id, false, Method::Field, format!("{what} is not ticked"))
    }
}

fn integrity_check(result: &integrity::Integrity) -> Check {
    if !result.ok() {
        return Check::new("integrity", false, Method::Digital, result.problems.join("; "));
    }
    let detail = match result.signatures {
        0 => "no digital signatures: nothing signed to change".to_string(),
        n => {
            let rules: Vec<String> = result.applied.iter().map(|r| r.to_string()).collect();
            if rules.is_empty() {
                format!("{n} digital signature(s) cover the file; nothing changed after signing")
            } else {
                format!("{n} digital signature(s) cover their revisions; later revisions only: {}", rules.join(", "))
            }
        }
    };
    Check::new("integrity", true, Method::Digital, detail)
}

fn expect_check(values: &Values, expected: &[Transfer]) -> Check {
    let subs: Vec<String> =
        values.subscriptions().into_iter().map(|(_, s)| normalize_guid(&s).unwrap_or(s.to_lowercase())).collect();
    let Some(t) = expected.iter().find(|t| subs.first().is_some_and(|s| t.subscriptions.contains(s))) else {
        return Check::new("expect", false, Method::Field, "no transfer in the expected input has these subscriptions");
    };
    let mut diffs = Vec::new();
    let mut cmp = |label: &str, role: Role, want: Option<&str>, guid: bool| {
        let got = values.text(role);
        let got_norm =
            got.as_deref().map(|g| if guid { normalize_guid(g).unwrap_or(g.to_string()) } else { g.to_string() });
        let equal = match (got_norm.as_deref(), want) {
            (Some(g), Some(w)) => {
                if guid || label.ends_with("email") {
                    g.eq_ignore_ascii_case(w)
                } else {
                    g == w
                }
            }
            (None, None) => true,
            _ => false,
        };
        if !equal {
            diffs.push(format!("{label} is {:?}, expected {:?}", got.unwrap_or_default(), want.unwrap_or("")));
        }
    };
    let cp = &t.current_partner;
    cmp("current partner Microsoft ID", Role::MicrosoftId(Party::CurrentPartner), Some(&cp.microsoft_id), true);
    cmp("current partner organization", Role::Organization(Party::CurrentPartner), Some(&cp.organization), false);
    cmp("current partner admin email", Role::AdminEmail(Party::CurrentPartner), Some(&cp.admin.email), false);
    cmp("customer Microsoft ID", Role::MicrosoftId(Party::Customer), Some(&t.customer.microsoft_id), true);
    cmp("customer organization", Role::Organization(Party::Customer), Some(&t.customer.organization), false);
    if let Some(np) = &t.new_partner {
        cmp("new partner Microsoft ID", Role::MicrosoftId(Party::NewPartner), Some(&np.microsoft_id), true);
        cmp("new partner organization", Role::Organization(Party::NewPartner), Some(&np.organization), false);
        cmp("new partner admin email", Role::AdminEmail(Party::NewPartner), Some(&np.admin.email), false);
    }
    let want: HashSet<&String> = t.subscriptions.iter().collect();
    let got: HashSet<&String> = subs.iter().collect();
    if want != got {
        diffs.push(format!("subscriptions are {subs:?}, expected {:?}", t.subscriptions));
    }
    if diffs.is_empty() {
        Check::new("expect", true, Method::Field, "IDs, organizations and admin emails match the expected input")
    } else {
        Check::new("expect", false, Method::Field, diffs.join("; "))
    }
}

/// A PDF with no form fields whose pages are only images: a scan. Invisible text (the OCR
/// layer many scanners add, text render mode 3) does not make a page any less a scan.
fn looks_scanned(doc: &Document) -> bool {
    let pages = doc.get_pages();
    !pages.is_empty()
        && pages.values().all(|id| {
            let (content, resources) = marks::page_content(doc, *id);
            let painted = marks::painted_in_content(doc, &content, resources.as_ref());
            let shown: Vec<&marks::Painted> = painted.iter().filter(|m| m.visible != Some(false)).collect();
            shown.iter().any(|m| m.kind == Kind::Image) && shown.iter().all(|m| m.kind == Kind::Image)
        })
}
