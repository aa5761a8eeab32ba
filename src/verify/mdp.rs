//! Certification (DocMDP) and field locks (FieldMDP), PDF 32000-1 12.8.2.2–12.8.2.4.
//!
//! A certification signature is the one the catalog's `/Perms /DocMDP` names; its signature
//! reference (`/Reference`, `/TransformMethod /DocMDP`) says what may change after it:
//! `/P 1` nothing at all, `/P 2` (the default) filling in fields and signing, `/P 3` that and
//! annotations. Validation data and document timestamps are allowed at every level (PDF 2.0
//! 12.8.2.2.2). A FieldMDP signature reference (or the signed field's `/Lock`) names fields
//! (`/Action /All`, `/Include` or `/Exclude` with `/Fields`) whose values must never change
//! after that signature.
//!
//! [`crate::verify::integrity`] judges each later revision with these on top of its own rules.

use std::collections::BTreeMap;

use lopdf::{Dictionary, Document, Object};

use crate::pdf::Lookup;
use crate::pdf::{decode_text_string, get, resolve};
use crate::verify::returned::Returned;
use crate::verify::rules::Rule;

/// The certification signature of a form.
#[derive(Debug, Clone)]
pub struct Certification {
    /// Index into [`Returned::revisions`] of the revision it covers.
    pub revision: usize,
    /// The DocMDP permission level, 1–3.
    pub p: i64,
    /// Its signature field and signer, for messages.
    pub field: String,
    pub signer: String,
}

impl Certification {
    /// What about a later step breaks this certification, if anything: the rules that
    /// approved the step, how many signatures (not document timestamps) it added, and whether
    /// it added annotations or page content.
    pub fn broken_by(&self, applied: &[Rule], signatures: usize, annotated: bool, content: bool) -> Option<String> {
        let who = if self.signer.is_empty() { String::new() } else { format!(" by {}", self.signer) };
        let mut what: Vec<&str> = Vec::new();
        match self.p {
            1 => {
                if signatures > 0 {
                    what.push("a signature was added");
                }
                if applied.iter().any(|r| matches!(r, Rule::FillBlankField | Rule::TickBox)) {
                    what.push("fields were filled in");
                }
                if annotated {
                    what.push("an annotation was added");
                }
                if content {
                    what.push("page content was added");
                }
            }
            2 => {
                if annotated {
                    what.push("an annotation was added");
                }
                if content {
                    what.push("page content was added");
                }
            }
            _ => {
                if content {
                    what.push("page content was added");
                }
            }
        }
        if what.is_empty() {
            return None;
        }
        let allows = match self.p {
            1 => "no changes",
            2 => "only filling in fields and signing",
            _ => "only filling in fields, signing and annotations",
        };
        Some(format!(
            "the certification in {}{who} (DocMDP P={}) allows {allows}, but after it {}",
            self.field,
            self.p,
            what.join(" and ")
        ))
    }
}

/// The signature dictionary in the signature field named `field`, as the form is now.
fn signature_dict<'d>(form: &'d Returned, field: &str) -> Option<(&'d Dictionary, &'d Dictionary)> {
    let doc = form.latest();
    let f = form.fields().iter().find(|f| f.name == field)?;
    let field_dict = doc.get_dictionary(f.id?).ok()?;
    let sig = get(doc, field_dict, b"V")?.as_dict().ok()?;
    Some((field_dict, sig))
}

/// The `/TransformParams` of the signature references of `sig` with this transform method.
fn transform_params<'d>(doc: &'d Document, sig: &'d Dictionary, method: &[u8]) -> Vec<&'d Dictionary> {
    let Some(Object::Array(refs)) = get(doc, sig, b"Reference") else { return Vec::new() };
    refs.iter()
        .filter_map(|r| resolve(doc, r).as_dict().ok())
        .filter(|r| get(doc, r, b"TransformMethod").and_then(|m| m.as_name().ok()) == Some(method))
        .filter_map(|r| get(doc, r, b"TransformParams").and_then(|p| p.as_dict().ok()))
        .collect()
}

/// The form's certification, when the catalog names one that is among its signatures.
pub fn certification(form: &Returned) -> Option<Certification> {
    let doc = form.latest();
    let perms = get(doc, doc.catalog().ok()?, b"Perms")?.as_dict().ok()?;
    let Object::Reference(target) = perms.find(b"DocMDP")? else { return None };
    let target = *target;
    for s in &form.signatures {
        let Some(revision) = s.revision else { continue };
        let Some(f) = form.fields().iter().find(|f| f.name == s.field) else { continue };
        let Some(field_dict) = f.id.and_then(|id| doc.get_dictionary(id).ok()) else { continue };
        if field_dict.find(b"V") != Some(&Object::Reference(target)) {
            continue;
        }
        let sig = doc.get_dictionary(target).ok()?;
        // PDF 32000-1 Table 254: P defaults to 2; a value outside 1–3 is read as the strictest.
        let p = match transform_params(doc, sig, b"DocMDP").first() {
            Some(params) => match get(doc, params, b"P").and_then(|p| p.as_i64().ok()) {
                None => 2,
                Some(p @ 1..=3) => p,
                Some(_) => 1,
            },
            None => 2,
        };
        return Some(Certification { revision, p, field: s.field.clone(), signer: s.verdict.signer.clone() });
    }
    None
}

/// A FieldMDP lock: which fields, set by the signature in `field` covering `revision`.
#[derive(Debug, Clone)]
pub struct Lock {
    pub revision: usize,
    pub field: String,
    pub action: Vec<u8>,
    pub fields: Vec<String>,
}

impl Lock {
    fn covers(&self, name: &str) -> bool {
        let listed = self.fields.iter().any(|f| f == name || name.starts_with(&format!("{f}.")));
        match self.action.as_slice() {
            b"Include" => listed,
            b"Exclude" => !listed,
            _ => true,
        }
    }
}

/// The FieldMDP locks of the form's signatures (signature references and `/Lock`).
pub fn locks(form: &Returned) -> Vec<Lock> {
    let doc = form.latest();
    let mut out = Vec::new();
    for s in &form.signatures {
        let Some(revision) = s.revision else { continue };
        let Some((field_dict, sig)) = signature_dict(form, &s.field) else { continue };
        let mut params = transform_params(doc, sig, b"FieldMDP");
        if let Some(lock) = get(doc, field_dict, b"Lock").and_then(|l| l.as_dict().ok()) {
            params.push(lock);
        }
        for p in params {
            let action = get(doc, p, b"Action").and_then(|a| a.as_name().ok()).unwrap_or(b"All").to_vec();
            let fields = match get(doc, p, b"Fields") {
                Some(Object::Array(a)) => {
                    a.iter().filter_map(|f| resolve(doc, f).as_str().ok()).map(decode_text_string).collect()
                }
                _ => Vec::new(),
            };
            out.push(Lock { revision, field: s.field.clone(), action, fields });
        }
    }
    out
}

/// The fields locked before the step from revision `prev` (an index into
/// [`Returned::revisions`]): field name → what locked it, for messages.
pub fn field_locks(form: &Returned, locks: &[Lock], prev: usize) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(revision) = form.revisions.get(prev) else { return out };
    for lock in locks.iter().filter(|l| l.revision <= prev) {
        for f in &revision.fields {
            if f.name != lock.field && lock.covers(&f.name) {
                out.entry(f.name.clone()).or_insert_with(|| format!("the signature in {}", lock.field));
            }
        }
    }
    out
}
