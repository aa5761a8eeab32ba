//! What a document security store (`/DSS`, PDF 2.0 12.8.4.3, PAdES) holds.
//!
//! Validation data may be added after all parties signed, and the integrity rules let the
//! objects of the store change. That is only safe for what the store may hold: certificates,
//! OCSP responses and CRLs (DER-encoded streams) and VRI dictionaries of those. Anything else
//! listed there — the page content stream, an appearance — is reported, and is not treated
//! as validation data, so a later change to it is judged like any other change.
//!
//! ```
//! use lopdf::{Document, Object, Stream, dictionary};
//! let mut doc = Document::new();
//! let cert = doc.add_object(Stream::new(dictionary! {}, vec![0x30, 0x03, 0x02, 0x01, 0x05]));
//! let page = doc.add_object(Stream::new(dictionary! {}, b"BT (text) Tj ET".to_vec()));
//! let dss = Object::Dictionary(dictionary! { "Certs" => vec![Object::Reference(cert), Object::Reference(page)] });
//! let mut found = formtool::verify::dss::Contents::default();
//! formtool::verify::dss::read(&doc, &dss, &mut found);
//! assert_eq!(found.validation, vec![cert]);
//! assert_eq!(found.problems.len(), 1);
//! ```

use lopdf::{Object, ObjectId};

use crate::pdf::view::Objects;

/// The objects of a store that are validation data, and what else it holds.
#[derive(Debug, Default)]
pub struct Contents {
    /// The store's own dictionaries and arrays, and its DER streams.
    pub validation: Vec<ObjectId>,
    /// What it holds that is not validation data, a few words each.
    pub problems: Vec<String>,
}

/// Most entries looked at in one store; a real one lists a few certificates per signer.
const MAX_ENTRIES: usize = 10_000;
/// Largest DER stream decoded to check it.
const MAX_DER_BYTES: usize = 4 << 20;

/// Read the store `dss` (the catalog's `/DSS` value) of `doc` into `out`.
pub fn read<D: Objects + ?Sized>(doc: &D, dss: &Object, out: &mut Contents) {
    let Some(dict) = dictionary(doc, dss, out) else {
        out.problems.push("something other than a dictionary".into());
        return;
    };
    for (key, value) in dict.iter() {
        match key.as_slice() {
            b"Type" => {}
            b"Certs" | b"OCSPs" | b"CRLs" => list(doc, value, out),
            b"VRI" => {
                let Some(vri) = dictionary(doc, value, out) else {
                    out.problems.push("a /VRI that is not a dictionary".into());
                    continue;
                };
                for (_, entry) in vri.iter().take(MAX_ENTRIES) {
                    let Some(entry) = dictionary(doc, entry, out) else {
                        out.problems.push("a /VRI entry that is not a dictionary".into());
                        continue;
                    };
                    for (k, v) in entry.iter() {
                        match k.as_slice() {
                            b"Type" | b"TU" => {}
                            b"Cert" | b"OCSP" | b"CRL" => list(doc, v, out),
                            b"TS" => der_stream(doc, v, out),
                            other => out.problems.push(format!("a /VRI entry /{}", String::from_utf8_lossy(other))),
                        }
                    }
                }
            }
            other => out.problems.push(format!("an entry /{}", String::from_utf8_lossy(other))),
        }
    }
}

/// `obj` resolved to a dictionary, noting its id as part of the store.
fn dictionary<'d, D: Objects + ?Sized>(
    doc: &'d D,
    obj: &'d Object,
    out: &mut Contents,
) -> Option<&'d lopdf::Dictionary> {
    match obj {
        Object::Reference(id) => {
            let d = doc.get_dictionary(*id).ok()?;
            out.validation.push(*id);
            Some(d)
        }
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
}

fn list<D: Objects + ?Sized>(doc: &D, value: &Object, out: &mut Contents) {
    let items = match value {
        Object::Reference(id) => match doc.get_object(*id) {
            Ok(Object::Array(a)) => {
                out.validation.push(*id);
                a
            }
            _ => {
                out.problems.push(format!("object {} {} R where a list of DER streams belongs", id.0, id.1));
                return;
            }
        },
        Object::Array(a) => a,
        _ => {
            out.problems.push("a value where a list of DER streams belongs".into());
            return;
        }
    };
    for item in items.iter().take(MAX_ENTRIES) {
        der_stream(doc, item, out);
    }
}

/// A reference to a stream holding one DER SEQUENCE (a certificate, OCSP response, CRL or
/// timestamp token).
fn der_stream<D: Objects + ?Sized>(doc: &D, item: &Object, out: &mut Contents) {
    let Object::Reference(id) = item else {
        out.problems.push("a direct value where a DER stream belongs".into());
        return;
    };
    let ok = match doc.get_object(*id) {
        Ok(Object::Stream(s)) => crate::pdf::limits::decoded(s, MAX_DER_BYTES).is_ok_and(|b| is_der_sequence(&b)),
        _ => false,
    };
    if ok {
        out.validation.push(*id);
    } else {
        out.problems.push(format!("object {} {} R, which is not a DER certificate, OCSP response or CRL", id.0, id.1));
    }
}

/// The bytes are exactly one DER SEQUENCE (tag, definite length, that many bytes).
fn is_der_sequence(bytes: &[u8]) -> bool {
    let (Some(&0x30), Some(&first)) = (bytes.first(), bytes.get(1)) else { return false };
    let (header, length) = if first < 0x80 {
        (2, first as usize)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || bytes.len() < 2 + n {
            return false;
        }
        (2 + n, bytes[2..2 + n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize))
    };
    header.checked_add(length) == Some(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::is_der_sequence;

    #[test]
    fn der_sequences_are_recognised_by_their_exact_length() {
        assert!(is_der_sequence(&[0x30, 0x00]));
        assert!(is_der_sequence(&[0x30, 0x81, 0x01, 0x05]));
        assert!(!is_der_sequence(&[0x30, 0x02, 0x05]));
        assert!(!is_der_sequence(b"BT /F1 12 Tf (x) Tj ET"));
        assert!(!is_der_sequence(&[0x30, 0x80, 0x00, 0x00]));
    }
}
