//! A returned form as the verifier sees it: the file split into its revisions (the original
//! and each incremental update, PDF 32000-1 7.5.6), the document as it is now and, for each
//! signed revision, the document as it was then ([`Returned::view`]: usually its differences
//! from the latest one, see [`crate::pdf::view`]), and the digital signatures found in it with
//! their cryptographic verdicts.
//!
//! A signature covers "the file as it was when signed": the bytes up to the end of one
//! revision. Keeping every revision lets [`crate::verify::integrity`] compare what each later update
//! changed against what was signed.
//!
//! ```
//! let pdf = formtool::form::template::blank_form();
//! let form = formtool::verify::returned::Returned::open(&pdf, None).unwrap();
//! assert_eq!(form.revisions.len(), 1);
//! assert!(form.signatures.is_empty());
//! ```

use std::collections::BTreeMap;

use lopdf::{Document, Object, ObjectId};

use crate::pdf::load_pdf;
use crate::pdf::revisions::{Location, RevisionReader, XrefMap};
use crate::pdf::view::{Changes, View};
use crate::pdf::{FieldKind, Rect};
use crate::pdf::{FormField, form_fields, get, resolve};
use crate::verify::signature::{self, Certificates, PrefixHashes, SignatureInput, SignatureVerdict, TrustAnchors};

/// One revision: where it ends in the file and the document as of then.
pub struct Revision {
    /// Offset just past this revision's `%%EOF` and its end-of-line.
    pub end: usize,
    /// 1-based position among all the file's revisions, for messages.
    pub number: usize,
    /// The document as of then; read it through [`Returned::view`].
    pub state: State,
    /// Its form fields ([`form_fields`]), read once.
    pub fields: Vec<FormField>,
    /// Where this revision's cross-reference data puts each object, when the fast reader
    /// ([`crate::pdf::revisions`]) loaded it: two revisions that put an object at the same offset
    /// hold the same object.
    pub locations: Option<BTreeMap<u32, Location>>,
}

impl Revision {
    /// Objects of `self` that `earlier` also has but at another place, when both
    /// revisions were loaded by the fast reader (`None` otherwise).
    pub fn moved_since(&self, earlier: &Revision) -> Option<Vec<ObjectId>> {
        let (now, before) = (self.locations.as_ref()?, earlier.locations.as_ref()?);
        Some(
            relocated(now, before)
                .filter_map(|(number, location)| match location {
                    Location::At(_, generation) => Some((number, generation)),
                    Location::Free => None,
                })
                .collect(),
        )
    }
}

/// The entries of `now` whose object `before` also has, at another location, in order: the
/// two ordered maps walked side by side.
pub fn relocated<'m>(
    now: &'m BTreeMap<u32, Location>,
    before: &'m BTreeMap<u32, Location>,
) -> impl Iterator<Item = (u32, Location)> + 'm {
    let mut old = before.iter().peekable();
    now.iter().filter_map(move |(number, location)| {
        while old.next_if(|(n, _)| *n < number).is_some() {}
        match old.peek() {
            Some((n, was)) if *n == number && *was != location => Some((*number, *location)),
            _ => None,
        }
    })
}

/// How a revision's document is held.
pub enum State {
    /// The document as it is now ([`Returned::latest`]).
    Latest,
    /// Its differences from the document as it is now, when the fast reader read both.
    Changed(Changes),
    /// A document of its own (read by lopdf, when the fast reader declined the file). Boxed:
    /// a lopdf document is several times the size of the other variants.
    Whole(Box<Document>),
}

impl State {
    /// The document this state holds, read against `latest` (the document as it is now).
    fn view<'a>(&'a self, latest: &'a Document) -> View<'a> {
        match self {
            State::Changed(changes) => View::Changed { base: latest, changes },
            State::Whole(doc) => View::Whole(doc),
            State::Latest => View::Whole(latest),
        }
    }
}

/// One digital signature of the form.
#[derive(Debug, Clone)]
pub struct DigitalSignature {
    /// Name of the signature field that holds it.
    pub field: String,
    /// Page (1-based) and rectangle of its widget, where it shows.
    pub page: Option<usize>,
    pub rect: Option<Rect>,
    pub verdict: SignatureVerdict,
    /// Index into [`Returned::revisions`] of the revision this signature covers, when its
    /// byte range ends exactly at a revision's end.
    pub revision: Option<usize>,
    /// The signing time: the CMS signing-time attribute, else the signature dictionary's `/M`.
    pub time: Option<String>,
    /// `/SubFilter` without the slash (`ETSI.RFC3161` for a document timestamp).
    pub sub_filter: String,
}

impl DigitalSignature {
    /// A document timestamp (PAdES long-term step): it attests when, not who.
    pub fn is_document_timestamp(&self) -> bool {
        self.sub_filter == "ETSI.RFC3161"
    }
}

/// A returned form, opened.
pub struct Returned<'a> {
    pub bytes: &'a [u8],
    /// The file's SHA-256, in hex.
    pub sha256: String,
    /// The signed revisions, oldest first, then the document as it is now (the only one when
    /// nothing is signed). Other revisions are not loaded: anything may change before the
    /// first signature, and between two signed states only the net change matters.
    pub revisions: Vec<Revision>,
    pub signatures: Vec<DigitalSignature>,
    /// Non-whitespace bytes after the last `%%EOF`, which no revision accounts for.
    pub trailing_garbage: bool,
    /// Page 1's content as it is now, decoded (its streams joined).
    pub first_page_content: Vec<u8>,
    latest: Document,
}

/// Offsets just past each `%%EOF` marker and the end-of-line after it.
pub fn revision_ends(bytes: &[u8]) -> Vec<usize> {
    memchr::memmem::find_iter(bytes, b"%%EOF")
        .map(|at| {
            let mut end = at + 5;
            if bytes.get(end) == Some(&b'\r') {
                end += 1;
            }
            if bytes.get(end) == Some(&b'\n') {
                end += 1;
            }
            end
        })
        .collect()
}

/// At most this many revisions are examined: a real form has one per party and a few fills.
pub const MAX_REVISIONS: usize = 64;

impl<'a> Returned<'a> {
    /// Read the file, its revisions and its signatures. `Err` carries the reason the file
    /// cannot be read as a PDF at all.
    pub fn open(bytes: &'a [u8], trust: Option<&TrustAnchors>) -> Result<Returned<'a>, String> {
        let ends = revision_ends(bytes);
        let last_end = ends.last().copied().unwrap_or(bytes.len());
        let trailing_garbage = bytes[last_end.min(bytes.len())..].iter().any(|b| !b.is_ascii_whitespace() && *b != 0);
        if ends.len() > MAX_REVISIONS {
            return Err(format!("{} revisions (more than {MAX_REVISIONS}): refusing to analyse", ends.len()));
        }
        // Each revision is loaded by the fast reader when it can, else by lopdf (which also
        // repairs damaged files); both give the same document for the files the fast reader
        // accepts (tests/revisions.rs).
        let mut reader = RevisionReader::new(bytes);
        let fast_latest = if trailing_garbage || ends.is_empty() {
            None
        } else {
            // The latest section must read as written: lopdf would rebuild a damaged one by
            // scanning the file and so reach a verdict on a document nobody wrote.
            crate::pdf::structure::read_latest(&mut reader, last_end).map_err(|reason| {
                format!("the file's last cross-reference section cannot be read as written: {reason}")
            })?
        };
        let (latest, latest_locations) = match fast_latest {
            Some((doc, locations)) => (doc, Some(locations)),
            None => (load_pdf(bytes)?, None),
        };
        let first_page_content = crate::pdf::limits::check_document(&latest)?;
        // Signatures are read from the document as it is now; only the revisions from the
        // first signed one on matter to the integrity rules, so earlier ones are not loaded.
        let fields = form_fields(&latest);
        let signed: Vec<&FormField> =
            fields.iter().filter(|f| f.kind == Some(FieldKind::Signature) && f.value.is_some()).collect();
        if signed.len() > crate::pdf::limits::MAX_SIGNATURES {
            return Err(format!(
                "{} signed signature fields (more than {}): refusing to analyse",
                signed.len(),
                crate::pdf::limits::MAX_SIGNATURES
            ));
        }
        let found: Vec<(&FormField, SignatureInput, Option<String>)> =
            signed.into_iter().filter_map(|f| read_signature(bytes, &latest, f, &ends)).collect();
        // One pass of SHA-256 over the file serves every signature and the file's own hash.
        let gap_starts: Vec<usize> =
            found.iter().filter_map(|(_, input, _)| usize::try_from(*input.byte_range.get(1)?).ok()).collect();
        let hashes = PrefixHashes::new(bytes, &gap_starts);
        let certificates = Certificates::default();
        let sha256 = hashes.file_hex();
        let mut signatures: Vec<DigitalSignature> = found
            .into_iter()
            .map(|(field, input, m)| {
                let verdict = signature::verify_with(&input, trust, Some(&hashes), Some(&certificates));
                let widget = field.first_widget();
                DigitalSignature {
                    field: field.name.clone(),
                    page: widget.and_then(|w| w.page),
                    rect: widget.and_then(|w| w.rect),
                    // `/M` is a PDF date; reports give every time as ISO 8601.
                    time: verdict
                        .signing_time
                        .clone()
                        .or_else(|| m.map(|m| crate::pdf::date::iso8601(&m).unwrap_or(m))),
                    sub_filter: input.sub_filter.clone(),
                    verdict,
                    revision: None,
                }
            })
            .collect();
        let signed_ends: Vec<usize> = signatures.iter().map(|s| s.verdict.signed_len).filter(|l| *l > 0).collect();
        // Only the states that were signed are needed: the integrity rules compare each
        // signed state with the next one (and the last with the file as it is now), so
        // unsigned updates in between are judged by their net effect.
        let wanted: Vec<(usize, usize)> = ends[..ends.len().saturating_sub(1)]
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, end)| signed_ends.contains(end))
            .collect();
        let mut revisions = Vec::new();
        let mut xrefs: Vec<Option<XrefMap>> = wanted.iter().map(|&(_, end)| reader.xref_at(end).ok()).collect();
        for (i, &(k, end)) in wanted.iter().enumerate() {
            let number = k + 1;
            let xref = xrefs[i].take();
            let later: Vec<&BTreeMap<u32, Location>> = xrefs[i + 1..].iter().flatten().map(|x| &x.entries).collect();
            // Read against the latest document when it was read fast too: then the two share
            // every object they put at the same place. Otherwise a document of its own, moving
            // the parsed objects into the last one wanted.
            let fast = xref.and_then(|xref| {
                let state = match &latest_locations {
                    Some(base) => State::Changed(reader.changes(&xref, end, &latest, base, &later).ok()?),
                    None if i + 1 == wanted.len() => State::Whole(Box::new(reader.last_document(&xref, end).ok()?)),
                    None => State::Whole(Box::new(reader.document(&xref, end).ok()?)),
                };
                Some((state, xref.entries))
            });
            let (state, locations) = match fast {
                Some((state, entries)) => (state, Some(entries)),
                // (A "%%EOF" inside a stream is not a revision end; such a prefix does not load.)
                None => match crate::pdf::limits::load_pdf_bounded(&bytes[..end]) {
                    Ok(doc) => (State::Whole(Box::new(doc)), None),
                    Err(_) => continue,
                },
            };
            let fields = form_fields(&state.view(&latest));
            revisions.push(Revision { end, number, state, fields, locations });
        }
        revisions.push(Revision {
            end: last_end,
            number: ends.len().max(1),
            state: State::Latest,
            fields,
            locations: latest_locations,
        });
        for sig in &mut signatures {
            sig.revision = revisions.iter().position(|r| r.end == sig.verdict.signed_len && sig.verdict.signed_len > 0);
        }
        Ok(Returned { bytes, sha256, revisions, signatures, trailing_garbage, first_page_content, latest })
    }

    /// The document as it is now.
    pub fn latest(&self) -> &Document {
        &self.latest
    }

    /// The document as of revision `index` (into [`Self::revisions`]).
    pub fn view(&self, index: usize) -> View<'_> {
        match self.revisions.get(index) {
            Some(revision) => revision.state.view(&self.latest),
            None => View::Whole(&self.latest),
        }
    }

    /// The form fields as they are now.
    pub fn fields(&self) -> &[FormField] {
        &self.revisions[self.revisions.len() - 1].fields
    }
}

/// What verifying the signature in `field` needs, and its `/M` time; `None` when the field's
/// value is not a signature dictionary.
fn read_signature<'f, 'b>(
    bytes: &'b [u8],
    doc: &Document,
    field: &'f FormField,
    ends: &[usize],
) -> Option<(&'f FormField, SignatureInput<'b>, Option<String>)> {
    let field_dict = doc.get_dictionary(field.id?).ok()?;
    let sig = get(doc, field_dict, b"V")?.as_dict().ok()?;
    let byte_range: Vec<i64> = match get(doc, sig, b"ByteRange") {
        Some(Object::Array(a)) => {
            let v: Vec<i64> = a.iter().filter_map(|o| resolve(doc, o).as_i64().ok()).collect();
            if v.len() == a.len() { v } else { Vec::new() }
        }
        _ => Vec::new(),
    };
    let contents = match get(doc, sig, b"Contents") {
        Some(Object::String(s, _)) => s.clone(),
        _ => Vec::new(),
    };
    let sub_filter = get(doc, sig, b"SubFilter")
        .and_then(|s| s.as_name().ok())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default();
    // The revision that wrote this signature ends at the first revision end after the gap.
    let gap_start = byte_range.get(1).copied().and_then(|a| usize::try_from(a).ok());
    let revision_end = gap_start.and_then(|a| ends.iter().copied().find(|e| *e > a));
    let m = get(doc, sig, b"M").and_then(|m| m.as_str().ok()).map(crate::pdf::decode_text_string);
    Some((field, SignatureInput { file: bytes, byte_range, contents, sub_filter, revision_end }, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relocated_finds_what_a_lookup_per_entry_finds() {
        let mut seed = 0x2545_F491_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..200 {
            let mut map = || -> BTreeMap<u32, Location> {
                (0..next(40))
                    .map(|_| {
                        let location = if next(5) == 0 { Location::Free } else { Location::At(next(4) as usize, 0) };
                        (next(30) as u32, location)
                    })
                    .collect()
            };
            let (now, before) = (map(), map());
            let naive: Vec<(u32, Location)> = now
                .iter()
                .filter(|(n, l)| before.get(*n).is_some_and(|old| old != *l))
                .map(|(n, l)| (*n, *l))
                .collect();
            assert_eq!(relocated(&now, &before).collect::<Vec<_>>(), naive);
        }
    }
}
