//! The `integrity` check: nothing that was signed has changed since.
//!
//! Each digital signature must verify and cover its whole revision. Then every revision after
//! the first signed one is compared with the one before it, and each difference must be
//! approved by one of these named rules — what the signing parties legitimately do in turn:
//!
//! - [`Rule::FillBlankField`]: a field that was blank at the last signature gets a value and
//!   an appearance (the new partner fills its part; signer names, titles and dates).
//! - [`Rule::TickBox`]: an attestation box that was unticked at the last signature is ticked.
//! - [`Rule::AddSignature`]: a signature value goes into an empty signature field, with its
//!   appearance; new signature fields may be added where they cover no other field.
//! - [`Rule::DrawInSignatureBox`]: ink, stamps, images or drawings added inside a signature box
//!   (as annotations or as appended page content).
//! - [`Rule::ValidationData`]: the document security store (`/DSS`), metadata and the
//!   document information dictionary.
//!
//! Everything else — any other changed object, a page added or removed, content or an
//! annotation outside the signature boxes, a value present at a signature that changes — fails
//! the check, and the detail names what changed. This is pyHanko's approach (a policy of
//! explicit rules over the objects each revision touches), with formtool's own rules.
//!
//! ```
//! use formtool::verify::integrity::Rule;
//! assert_eq!(Rule::TickBox.to_string(), "tick an attestation box");
//! ```

use std::collections::{BTreeMap, BTreeSet};

use foldhash::HashSet;

use lopdf::{Dictionary, Object, ObjectId};

use crate::pdf::Lookup;
use crate::pdf::marks::{self, fraction_inside};
use crate::pdf::view::Objects;
use crate::pdf::{FieldKind, Rect};
use crate::pdf::{FormField, get, is_ticked, rect_from, resolve};
use crate::verify::mdp;
use crate::verify::returned::Returned;
pub use crate::verify::rules::Rule;

/// The outcome of the integrity check.
#[derive(Debug, Clone, Default)]
pub struct Integrity {
    /// What was wrong, one sentence each; empty when the check holds.
    pub problems: Vec<String>,
    /// Rules that approved changes, for the detail of a passing check.
    pub applied: Vec<Rule>,
    /// Number of digital signatures examined.
    pub signatures: usize,
}

impl Integrity {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// How far a drawing may stray over a signature box's edge and still be "in" it.
const BOX_TOLERANCE: f32 = 6.0;

/// Check a returned form. `boxes` are the signature boxes (page, rectangle) of its layout.
pub fn check(form: &Returned, boxes: &[(usize, Rect)]) -> Integrity {
    let mut result = Integrity { signatures: form.signatures.len(), ..Default::default() };
    for sig in &form.signatures {
        let v = &sig.verdict;
        if !(v.byte_range_ok && v.intact && v.valid) {
            let who = if v.signer.is_empty() { String::new() } else { format!(" by {}", v.signer) };
            result.problems.push(format!(
                "the signature in {}{who} does not verify: {}",
                sig.field,
                v.problems.join("; ")
            ));
        } else if sig.revision.is_none() {
            result.problems.push(format!(
                "the signature in {} does not cover a whole revision of the file (it covers {} bytes)",
                sig.field, v.signed_len
            ));
        }
    }
    let signed: Vec<usize> = form.signatures.iter().filter_map(|s| s.revision).collect();
    let Some(&first) = signed.iter().min() else {
        return result;
    };
    let certification = mdp::certification(form);
    let locks = mdp::locks(form);
    if form.trailing_garbage {
        result.problems.push("there are bytes after the last end-of-file marker that no revision accounts for".into());
    }
    for i in first + 1..form.revisions.len() {
        let last_signed = signed.iter().copied().filter(|r| *r < i).max().unwrap_or(first);
        let locked = locked_fields(&form.revisions[last_signed].fields);
        let (before, after) = (&form.revisions[i - 1], &form.revisions[i]);
        let (prev, next) = (form.view(i - 1), form.view(i));
        let mut diff = Diff {
            prev: &prev,
            next: &next,
            prev_fields: &before.fields,
            next_fields: &after.fields,
            moved: after.moved_since(before).map(|ids| ids.into_iter().collect()),
            locked: &locked,
            boxes,
            revisions: (form.revisions[i - 1].number + 1, form.revisions[i].number),
            problems: Vec::new(),
            applied: Vec::new(),
            explained: HashSet::with_capacity_and_hasher(64, Default::default()),
            annotated: false,
            content_added: false,
            field_locks: &mdp::field_locks(form, &locks, i - 1),
        };
        diff.run();
        if let Some(cert) = &certification
            && cert.revision < i
        {
            let added_signatures =
                form.signatures.iter().filter(|s| s.revision == Some(i) && !s.is_document_timestamp()).count();
            if let Some(broken) = cert.broken_by(&diff.applied, added_signatures, diff.annotated, diff.content_added) {
                diff.problem(broken);
            }
        }
        result.problems.extend(diff.problems);
        for rule in diff.applied {
            if !result.applied.contains(&rule) {
                result.applied.push(rule);
            }
        }
    }
    result
}

/// The fields that had a value at a signature (an unticked box counts as empty), by name.
fn locked_fields(fields: &[FormField]) -> BTreeSet<&str> {
    fields
        .iter()
        .filter(|f| f.value.as_ref().is_some_and(|v| f.kind != Some(FieldKind::Checkbox) || is_ticked(Some(v))))
        .map(|f| f.name.as_str())
        .collect()
}

struct Diff<'a> {
    prev: &'a dyn Objects,
    next: &'a dyn Objects,
    prev_fields: &'a [FormField],
    next_fields: &'a [FormField],
    /// The objects of `next` that `prev` has at another place in the file, when known: the
    /// others are the same bytes, so only these can have changed.
    moved: Option<BTreeSet<ObjectId>>,
    locked: &'a BTreeSet<&'a str>,
    boxes: &'a [(usize, Rect)],
    /// The 1-based revisions whose net change is being judged, for messages.
    revisions: (usize, usize),
    problems: Vec<String>,
    applied: Vec<Rule>,
    /// Objects whose changes a semantic comparison has judged.
    explained: HashSet<ObjectId>,
    /// Annotations other than widgets were added (certification P=2 forbids that).
    annotated: bool,
    /// Page content was appended (no certification level allows that).
    content_added: bool,
    /// Field names locked by a FieldMDP signature before these revisions, with what locked them.
    field_locks: &'a BTreeMap<String, String>,
}

/// Same value, ignoring where in the file it was read from and how numbers are written
/// (signers rewrite `340` as `340.0` when they update a widget).
fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => same_dict(&x.dict, &y.dict) && x.content == y.content,
        (Object::Dictionary(x), Object::Dictionary(y)) => same_dict(x, y),
        (Object::Array(x), Object::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Object::Integer(_) | Object::Real(_), Object::Integer(_) | Object::Real(_)) => {
            match (crate::pdf::number(a), crate::pdf::number(b)) {
                (Some(x), Some(y)) => (x - y).abs() < 1e-3,
                _ => false,
            }
        }
        (Object::String(x, _), Object::String(y, _)) => x == y,
        _ => a == b,
    }
}

fn same_dict(a: &Dictionary, b: &Dictionary) -> bool {
    a.len() == b.len() && a.iter().all(|(k, v)| b.find(k).is_some_and(|w| same(v, w)))
}

fn name(k: &[u8]) -> String {
    String::from_utf8_lossy(k).into_owned()
}

impl Diff<'_> {
    fn problem(&mut self, message: impl Into<String>) {
        let (a, b) = self.revisions;
        let place = if a >= b { format!("revision {b}") } else { format!("revisions {a}-{b}") };
        let m = format!("{place}: {}", message.into());
        if !self.problems.contains(&m) {
            self.problems.push(m);
        }
    }

    fn apply(&mut self, rule: Rule) {
        if !self.applied.contains(&rule) {
            self.applied.push(rule);
        }
    }

    fn run(&mut self) {
        self.compare_catalog();
        self.compare_pages();
        self.compare_fields();
        self.check_unexplained_objects();
    }

    /// Keys of two dictionaries whose values differ (`a`'s order, then keys only `b` has).
    fn changed_keys(a: &Dictionary, b: &Dictionary) -> Vec<Vec<u8>> {
        let changed_or_removed =
            a.iter().filter(|(k, x)| b.find(k).is_none_or(|y| !same(x, y))).map(|(k, _)| k.clone());
        let added = b.iter().filter(|(k, _)| a.find(k).is_none()).map(|(k, _)| k.clone());
        changed_or_removed.chain(added).collect()
    }

    fn compare_catalog(&mut self) {
        let (Some(root_p), Some(root_n)) = (root_id(self.prev), root_id(self.next)) else {
            self.problem("the document catalog cannot be read");
            return;
        };
        self.explained.insert(root_p);
        self.explained.insert(root_n);
        let (Ok(p), Ok(n)) = (self.prev.get_dictionary(root_p), self.next.get_dictionary(root_n)) else {
            self.problem("the document catalog cannot be read");
            return;
        };
        for k in Self::changed_keys(p, n) {
            match k.as_slice() {
                b"AcroForm" => {}
                b"DSS" | b"Metadata" | b"Extensions" => self.apply(Rule::ValidationData),
                // Signers raise the declared PDF version; it changes nothing on the page.
                b"Version" => {}
                b"Pages" => self.problem("the page tree was replaced"),
                other => self.problem(format!("the document catalog's /{} changed", name(other))),
            }
        }
        // Validation data and metadata may be updated in place; the document security store
        // only with what it may hold (certificates, OCSP responses, CRLs), not with whatever
        // an earlier revision listed there (such as the page content).
        if let Ok(obj) = p.lookup(b"Metadata") {
            self.explain_reachable(self.prev, obj, 4);
        }
        for (doc, dict) in [(self.prev, p), (self.next, n)] {
            if let Ok(dss) = dict.lookup(b"DSS") {
                let mut found = crate::verify::dss::Contents::default();
                crate::verify::dss::read(doc, dss, &mut found);
                self.explained.extend(found.validation);
                if let Some(what) = found.problems.first() {
                    self.problem(format!(
                        "the document security store (/DSS) may hold only certificates, OCSP responses and CRLs, but holds {what}"
                    ));
                }
            }
        }
        if let Some(info) = self.prev.trailer().find(b"Info").and_then(|i| i.as_reference().ok()) {
            self.explained.insert(info);
        }
        self.compare_acroform(p, n);
    }

    fn explain_reachable(&mut self, doc: &dyn Objects, obj: &Object, depth: usize) {
        match obj {
            Object::Reference(id) => {
                if self.explained.insert(*id)
                    && depth > 0
                    && let Ok(o) = doc.get_object(*id)
                {
                    let o = o.clone();
                    self.explain_reachable(doc, &o, depth - 1);
                }
            }
            Object::Array(a) if depth > 0 => {
                for o in a {
                    self.explain_reachable(doc, o, depth - 1);
                }
            }
            Object::Dictionary(d) if depth > 0 => {
                for (_, o) in d.iter() {
                    self.explain_reachable(doc, o, depth - 1);
                }
            }
            Object::Stream(s) if depth > 0 => {
                for (_, o) in s.dict.iter() {
                    self.explain_reachable(doc, o, depth - 1);
                }
            }
            _ => {}
        }
    }

    fn compare_acroform(&mut self, cat_p: &Dictionary, cat_n: &Dictionary) {
        let form_p = cat_p.find(b"AcroForm");
        let form_n = cat_n.find(b"AcroForm");
        for f in [form_p, form_n].into_iter().flatten() {
            if let Object::Reference(id) = f {
                self.explained.insert(*id);
            }
        }
        fn dict<'d>(doc: &'d dyn Objects, o: Option<&'d Object>) -> Option<&'d Dictionary> {
            o.and_then(|o| resolve(doc, o).as_dict().ok())
        }
        let (Some(p), n) = (dict(self.prev, form_p), dict(self.next, form_n)) else { return };
        let Some(n) = n else {
            self.problem("the interactive form was removed");
            return;
        };
        for k in Self::changed_keys(p, n) {
            match k.as_slice() {
                b"Fields" => {
                    let refs = |d: &Dictionary, doc: &dyn Objects| -> Vec<Object> {
                        get(doc, d, b"Fields").and_then(|f| f.as_array().ok()).cloned().unwrap_or_default()
                    };
                    let (old, new) = (refs(p, self.prev), refs(n, self.next));
                    if let Some(gone) = old.iter().find(|o| !new.contains(o)) {
                        self.problem(format!("a form field ({}) was removed from the form", describe_ref(gone)));
                    }
                    if let Object::Reference(id) = p.lookup(b"Fields").unwrap_or(&Object::Null) {
                        self.explained.insert(*id);
                    }
                    // New entries must be signature fields: checked with the fields below.
                }
                b"SigFlags" => self.apply(Rule::AddSignature),
                b"DR" | b"DA" | b"NeedAppearances" => {}
                other => self.problem(format!("the interactive form's /{} changed", name(other))),
            }
        }
    }

    fn compare_pages(&mut self) {
        let (pp, np) = (self.prev.get_pages(), self.next.get_pages());
        if pp.len() != np.len() {
            self.problem(format!("pages were added or removed ({} pages, then {})", pp.len(), np.len()));
        }
        // The page tree nodes themselves may not change (that is how pages are added).
        for (number, (_, pid)) in pp.iter().enumerate() {
            let Some(nid) = np.get(&(number as u32 + 1)).copied() else { continue };
            self.compare_page(number + 1, *pid, nid);
        }
    }

    fn page_contents(doc: &dyn Objects, page: &Dictionary) -> Vec<Object> {
        match page.lookup(b"Contents") {
            Ok(Object::Array(a)) => a.clone(),
            Ok(Object::Reference(id)) => match doc.get_object(*id) {
                Ok(Object::Array(a)) => a.clone(),
                _ => vec![Object::Reference(*id)],
            },
            _ => Vec::new(),
        }
    }

    fn compare_page(&mut self, number: usize, pid: ObjectId, nid: ObjectId) {
        self.explained.insert(pid);
        self.explained.insert(nid);
        if pid != nid {
            self.problem(format!("page {number} was replaced by another page object"));
        }
        let (prev, next) = (self.prev, self.next);
        let (Ok(p), Ok(n)) = (prev.get_dictionary(pid), next.get_dictionary(nid)) else { return };
        for k in Self::changed_keys(p, n) {
            match k.as_slice() {
                b"Annots" => self.compare_annotations(number, p, n),
                b"Contents" => self.compare_contents(number, p, n),
                b"Resources" => self.compare_resources(number, p, n),
                other => self.problem(format!("page {number}: /{} changed", name(other))),
            }
        }
        // A resource dictionary held by reference may be extended in place.
        if let Ok(Object::Reference(rid)) = p.lookup(b"Resources")
            && n.find(b"Resources") == Some(&Object::Reference(*rid))
        {
            self.explained.insert(*rid);
            if let (Ok(rp), Ok(rn)) = (prev.get_dictionary(*rid), next.get_dictionary(*rid)) {
                self.compare_resource_dicts(number, rp, rn);
            }
        }
    }

    fn compare_resources(&mut self, number: usize, p: &Dictionary, n: &Dictionary) {
        let rp = p.find(b"Resources").and_then(|r| resolve(self.prev, r).as_dict().ok()).cloned().unwrap_or_default();
        let rn = n.find(b"Resources").and_then(|r| resolve(self.next, r).as_dict().ok()).cloned().unwrap_or_default();
        self.compare_resource_dicts(number, &rp, &rn);
    }

    /// Resources may gain new names (for drawings added in a signature box); existing names
    /// must keep pointing at the same objects.
    fn compare_resource_dicts(&mut self, number: usize, rp: &Dictionary, rn: &Dictionary) {
        for (category, old) in rp.iter() {
            let Some(new) = rn.find(category) else {
                self.problem(format!("page {number}: resources /{} removed", name(category)));
                continue;
            };
            if same(old, new) {
                continue;
            }
            let (Ok(od), Ok(nd)) = (resolve(self.prev, old).as_dict(), resolve(self.next, new).as_dict()) else {
                self.problem(format!("page {number}: resources /{} changed", name(category)));
                continue;
            };
            if let Object::Reference(id) = old {
                self.explained.insert(*id);
            }
            for (k, v) in od.iter() {
                if nd.find(k).is_none_or(|w| !same(v, w)) {
                    self.problem(format!("page {number}: resource /{}/{} changed", name(category), name(k)));
                }
            }
        }
    }

    fn in_some_box(&self, page: usize, bbox: &Rect) -> bool {
        self.boxes.iter().any(|(p, b)| {
            let grown =
                Rect::new(b.x1 - BOX_TOLERANCE, b.y1 - BOX_TOLERANCE, b.x2 + BOX_TOLERANCE, b.y2 + BOX_TOLERANCE);
            *p == page && fraction_inside(bbox, &grown) >= 0.999
        })
    }

    fn compare_contents(&mut self, number: usize, p: &Dictionary, n: &Dictionary) {
        let (old, new) = (Self::page_contents(self.prev, p), Self::page_contents(self.next, n));
        if let Ok(Object::Reference(id)) = p.lookup(b"Contents")
            && matches!(self.prev.get_object(*id), Ok(Object::Array(_)))
        {
            self.explained.insert(*id);
        }
        if new.len() < old.len() || new[..old.len()] != old[..] {
            self.problem(format!("page {number}: its content was replaced"));
            return;
        }
        let resources =
            n.find(b"Resources").and_then(|r| resolve(self.next, r).as_dict().ok()).cloned().unwrap_or_default();
        for added in &new[old.len()..] {
            let Ok(stream) = resolve(self.next, added).as_stream() else {
                self.problem(format!("page {number}: added content cannot be read"));
                continue;
            };
            let Some(bytes) = crate::pdf::limits::content_stream(stream) else {
                self.problem(format!("page {number}: added content is too large to read"));
                continue;
            };
            if !marks::content_is_readable(&bytes) {
                self.problem(format!("page {number}: added content cannot be read"));
                continue;
            }
            let painted = marks::painted_in_content(self.next, &bytes, Some(&resources));
            match painted.iter().find(|m| !self.in_some_box(number, &m.bbox)) {
                Some(m) => self.problem(format!(
                    "page {number}: content was added outside the signature boxes, at [{:.0} {:.0} {:.0} {:.0}]",
                    m.bbox.x1, m.bbox.y1, m.bbox.x2, m.bbox.y2
                )),
                None if !painted.is_empty() => {
                    self.content_added = true;
                    self.apply(Rule::DrawInSignatureBox)
                }
                None => {}
            }
        }
    }

    fn compare_annotations(&mut self, number: usize, p: &Dictionary, n: &Dictionary) {
        let list = |doc: &dyn Objects, d: &Dictionary| -> Vec<Object> {
            get(doc, d, b"Annots").and_then(|a| a.as_array().ok()).cloned().unwrap_or_default()
        };
        if let Ok(Object::Reference(id)) = p.lookup(b"Annots") {
            self.explained.insert(*id);
        }
        let (old, new) = (list(self.prev, p), list(self.next, n));
        if old.iter().any(|a| !new.contains(a)) {
            self.problem(format!("page {number}: an annotation was removed"));
        }
        // Widget rectangles of the fields already on the page: a new signature must not hide one.
        let widget_rects: Vec<Rect> = old
            .iter()
            .filter_map(|a| resolve(self.prev, a).as_dict().ok())
            .filter(|d| d.lookup(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Widget".as_slice()))
            .filter_map(|d| d.find(b"Rect").and_then(|r| rect_from(self.prev, r)))
            .collect();
        let empty_sigs: Vec<Rect> = self
            .prev_fields
            .iter()
            .filter(|f| f.kind == Some(FieldKind::Signature) && f.value.is_none())
            .flat_map(|f| f.widgets.iter())
            .filter(|w| w.page == Some(number))
            .filter_map(|w| w.rect)
            .collect();
        for a in new.iter().filter(|a| !old.contains(a)) {
            let Ok(d) = resolve(self.next, a).as_dict() else {
                self.problem(format!("page {number}: an unreadable annotation was added"));
                continue;
            };
            let subtype = d.lookup(b"Subtype").and_then(|s| s.as_name()).map(name).unwrap_or_default();
            let rect = d.find(b"Rect").and_then(|r| rect_from(self.next, r));
            let flags = get(self.next, d, b"F").and_then(|f| f.as_i64().ok()).unwrap_or(0);
            let invisible = rect.is_none_or(|r| r.width() <= 0.0 || r.height() <= 0.0) || flags & 0b10 != 0;
            match subtype.as_str() {
                "Widget" => {
                    // A visible new signature field must lie in a signature box, over no field
                    // but that box's own empty signature field (a stamp a little larger than
                    // its box hides nothing).
                    let over = |r: &Rect| widget_rects.iter().filter(|w| w.intersects(r)).all(|w| empty_sigs.contains(w));
                    if field_type(self.next, d).as_deref() != Some("Sig") {
                        self.problem(format!("page {number}: a new form field was added"));
                    } else if invisible {
                        self.apply(Rule::AddSignature);
                    } else if let Some(r) = rect.filter(|r| !self.in_some_box(number, r)) {
                        self.problem(format!(
                            "page {number}: a new signature field was placed outside the signature boxes, at [{:.0} {:.0} {:.0} {:.0}]",
                            r.x1, r.y1, r.x2, r.y2
                        ));
                    } else if rect.is_some_and(|r| over(&r)) {
                        self.apply(Rule::AddSignature);
                    } else {
                        self.problem(format!("page {number}: a new signature field was placed over another field"));
                    }
                }
                _ => match rect {
                    Some(r) if invisible || self.in_some_box(number, &r) => {
                        self.annotated = true;
                        self.apply(Rule::DrawInSignatureBox)
                    }
                    Some(r) => self.problem(format!(
                        "page {number}: {} {subtype} annotation was added outside the signature boxes, at [{:.0} {:.0} {:.0} {:.0}]",
                        article(&subtype),
                        r.x1, r.y1, r.x2, r.y2
                    )),
                    None => self.problem(format!("page {number}: {} {subtype} annotation without a rectangle was added", article(&subtype))),
                },
            }
        }
    }

    fn compare_fields(&mut self) {
        let old: BTreeMap<&str, &FormField> = self.prev_fields.iter().map(|f| (f.name.as_str(), f)).collect();
        let new: BTreeMap<&str, &FormField> = self.next_fields.iter().map(|f| (f.name.as_str(), f)).collect();
        for (name, f) in &new {
            if !old.contains_key(name) && f.kind != Some(FieldKind::Signature) {
                self.problem(format!("a new field {name} was added"));
            }
        }
        for (name, before) in &old {
            let Some(after) = new.get(name) else {
                self.problem(format!("the field {name} was removed"));
                continue;
            };
            self.compare_field(name, before, after);
        }
    }

    fn compare_field(&mut self, field_name: &str, before: &FormField, after: &FormField) {
        let kind = before.kind;
        let was_locked = self.locked.contains(field_name);
        let value_changed = before.value != after.value;
        let is_sig = kind == Some(FieldKind::Signature);
        if let Some(lock) = self.field_locks.get(field_name)
            && (value_changed || before.value.is_some() != after.value.is_some())
        {
            self.problem(format!("{field_name} changed after {lock} locked it (FieldMDP)"));
        }
        if value_changed {
            if is_sig {
                if before.value.is_some() {
                    self.problem(format!("the signature in {field_name} was replaced or removed"));
                } else {
                    self.apply(Rule::AddSignature);
                }
            } else if was_locked {
                self.problem(format!(
                    "{field_name} changed from {:?} to {:?} after it was signed",
                    before.value.as_deref().unwrap_or(""),
                    after.value.as_deref().unwrap_or("")
                ));
            } else if kind == Some(FieldKind::Checkbox) {
                self.apply(Rule::TickBox);
            } else {
                self.apply(Rule::FillBlankField);
            }
        }
        // Appearances may change only with a value a rule allows to change.
        let field_locked = self.field_locks.contains_key(field_name);
        let appearance_may_change = if is_sig { before.value.is_none() } else { !was_locked } && !field_locked;
        let mut dicts: Vec<(Option<ObjectId>, Option<ObjectId>)> = vec![(before.id, after.id)];
        for (w0, w1) in before.widgets.iter().zip(&after.widgets) {
            if w0.id != before.id {
                dicts.push((w0.id, w1.id));
            }
        }
        if before.widgets.len() != after.widgets.len() {
            self.problem(format!("{field_name}: widgets were added or removed"));
        }
        for (id0, id1) in dicts {
            let (Some(id0), Some(id1)) = (id0, id1) else { continue };
            self.explained.insert(id0);
            self.explained.insert(id1);
            let (prev, next) = (self.prev, self.next);
            let (Ok(d0), Ok(d1)) = (prev.get_dictionary(id0), next.get_dictionary(id1)) else {
                if prev.has(id0) && !next.has(id1) {
                    self.problem(format!("{field_name}: object {} {} R was freed after it was signed", id1.0, id1.1));
                }
                continue;
            };
            if id0 != id1 {
                self.problem(format!("{field_name} was replaced by another object"));
            }
            // Read from the same bytes, so nothing in it changed.
            let unmoved = id0 == id1 && self.moved.as_ref().is_some_and(|m| !m.contains(&id0));
            let changed = if unmoved { Vec::new() } else { Self::changed_keys(d0, d1) };
            for k in changed {
                match k.as_slice() {
                    b"V" | b"AS" => {}
                    b"AP" if appearance_may_change => {}
                    b"AP" => self.problem(format!("the appearance of {field_name} changed after it was signed")),
                    b"M" | b"SigFlags" | b"Lock" if is_sig => {}
                    other => self.problem(format!("{field_name}: /{} changed", name(other))),
                }
            }
            // Appearance streams rewritten in place count as appearance changes.
            if let Ok(ap) = d0.lookup(b"AP") {
                let mut ids = Vec::new();
                collect_refs(prev, ap, 2, &mut ids);
                for id in ids {
                    self.explained.insert(id);
                    // Unmoved means unchanged, unless it is gone (freed).
                    if self.moved.as_ref().is_some_and(|m| !m.contains(&id)) && next.has(id) {
                        continue;
                    }
                    let changed = match (prev.get_object(id), next.get_object(id)) {
                        (Ok(a), Ok(b)) => !same(a, b),
                        // Freed (marked deleted) since: the appearance is gone.
                        (Ok(_), Err(_)) => true,
                        _ => false,
                    };
                    if changed && !appearance_may_change {
                        self.problem(format!("the appearance of {field_name} changed after it was signed"));
                    }
                }
            }
        }
        // The signature dictionary, once there, is covered by its own signature.
        if is_sig
            && before.value.is_some()
            && let Some(id) = before.id
            && let Ok(d) = self.prev.get_dictionary(id)
            && let Ok(Object::Reference(v)) = d.lookup(b"V")
        {
            let (a, b) = (self.prev.get_object(*v), self.next.get_object(*v));
            let unmoved = self.moved.as_ref().is_some_and(|m| !m.contains(v));
            if let (Ok(a), Ok(b)) = (a, b)
                && !unmoved
                && !same(a, b)
            {
                self.problem(format!("the signature dictionary of {field_name} changed"));
            }
            self.explained.insert(*v);
        }
    }

    fn check_unexplained_objects(&mut self) {
        let mut changed: Vec<ObjectId> = Vec::new();
        let candidates: Vec<ObjectId> = match &self.moved {
            Some(ids) => ids.iter().copied().collect(),
            None => self.next.ids(),
        };
        for id in candidates {
            let Some(obj) = self.next.stored(id) else { continue };
            if let Ok(old) = self.prev.get_object(id)
                && !same(old, obj)
                && !self.explained.contains(&id)
            {
                let ty = obj
                    .as_dict()
                    .ok()
                    .or_else(|| obj.as_stream().ok().map(|s| &s.dict))
                    .and_then(|d| d.find(b"Type"))
                    .and_then(|t| t.as_name().ok())
                    .map(name);
                if matches!(ty.as_deref(), Some("XRef") | Some("ObjStm")) {
                    continue;
                }
                changed.push(id);
            }
        }
        for id in changed.into_iter().take(5) {
            let what = describe_object(self.prev, id);
            self.problem(format!("object {} {} R ({what}) changed after it was signed", id.0, id.1));
        }
        // Objects freed (marked deleted) since: whatever used them no longer shows them.
        let freed: Vec<ObjectId> = self
            .prev
            .ids()
            .into_iter()
            .filter(|id| {
                !self.next.has(*id) && !self.explained.contains(id) && !self.prev.stored(*id).is_some_and(is_structure)
            })
            .take(5)
            .collect();
        for id in freed {
            let what = describe_object(self.prev, id);
            self.problem(format!("object {} {} R ({what}) was freed after it was signed", id.0, id.1));
        }
    }
}

/// Cross-reference and object streams: file structure, not content.
fn is_structure(obj: &Object) -> bool {
    obj.as_stream().is_ok_and(|s| s.dict.is_type(b"XRef") || s.dict.is_type(b"ObjStm"))
}

fn root_id(doc: &dyn Objects) -> Option<ObjectId> {
    doc.trailer().find(b"Root")?.as_reference().ok()
}

fn field_type(doc: &dyn Objects, d: &Dictionary) -> Option<String> {
    let mut cur = d.clone();
    for _ in 0..32 {
        if let Some(ft) = get(doc, &cur, b"FT").and_then(|f| f.as_name().ok()) {
            return Some(name(ft));
        }
        cur = get(doc, &cur, b"Parent")?.as_dict().ok()?.clone();
    }
    None
}

fn collect_refs(doc: &dyn Objects, obj: &Object, depth: usize, out: &mut Vec<ObjectId>) {
    match obj {
        Object::Reference(id) => {
            out.push(*id);
            if depth > 0
                && let Ok(Object::Dictionary(d)) = doc.get_object(*id)
            {
                for (_, o) in d.iter() {
                    collect_refs(doc, o, depth - 1, out);
                }
            }
        }
        Object::Dictionary(d) if depth > 0 => {
            for (_, o) in d.iter() {
                collect_refs(doc, o, depth - 1, out);
            }
        }
        _ => {}
    }
}

fn describe_ref(o: &Object) -> String {
    match o {
        Object::Reference(id) => format!("object {} {} R", id.0, id.1),
        _ => "a direct field".into(),
    }
}

/// A few words saying what an object is, for messages.
fn describe_object(doc: &dyn Objects, id: ObjectId) -> String {
    for (number, page) in doc.get_pages() {
        if doc.get_page_contents(page).contains(&id) {
            return format!("content of page {number}");
        }
    }
    match doc.get_object(id) {
        Ok(Object::Stream(s)) => {
            let sub = s.dict.lookup(b"Subtype").and_then(|t| t.as_name()).map(name).unwrap_or_default();
            if sub.is_empty() { "a stream".into() } else { format!("{} {sub} stream", article(&sub)) }
        }
        Ok(Object::Dictionary(d)) => {
            let ty = d.lookup(b"Type").and_then(|t| t.as_name()).map(name).unwrap_or_default();
            let sub = d.lookup(b"Subtype").and_then(|t| t.as_name()).map(name).unwrap_or_default();
            match (ty.is_empty(), sub.is_empty()) {
                (true, true) => "a dictionary".into(),
                (false, true) => format!("{} {ty} dictionary", article(&ty)),
                _ => {
                    let words = format!("{} {sub}", if ty.is_empty() { "" } else { &ty }).trim().to_string();
                    format!("{} {words}", article(&words))
                }
            }
        }
        Ok(_) => "a value".into(),
        Err(_) => "an object".into(),
    }
}

/// "a" or "an" before a word, by its first letter ("an Ink annotation", "a Stamp").
fn article(word: &str) -> &'static str {
    if word.chars().next().is_some_and(|c| "aeiouAEIOU".contains(c)) { "an" } else { "a" }
}
