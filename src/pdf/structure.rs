//! Whether a returned form's latest cross-reference section can be read as it is written.
//!
//! lopdf repairs a damaged file by scanning it for objects, and a verdict on the repaired
//! document is a verdict on a document that no viewer shows the same way (qpdf and pdfsig
//! refuse such files). So before the latest revision is judged, its cross-reference chain is
//! read exactly: the `/Prev` chain must not loop, the trailer must name a catalog that the
//! cross-reference data has, every object must be where its section says, and the catalog's
//! page tree must resolve. A file that fails is `status: error` with the reason.
//!
//! Only damage is refused. Syntax the fast reader ([`crate::pdf::revisions`]) does not handle
//! (object streams, hybrid files, unusual headers, ...) is left to lopdf as before.

use std::collections::BTreeMap;

use lopdf::{Document, Object};

use crate::pdf::Lookup;
use crate::pdf::revisions::{Location, RevisionReader, Unsupported};

/// The fast reader's reasons that mean the file is damaged, not merely unusual.
const DAMAGE: &[&str] = &[
    "the /Prev chain loops",
    "the trailer names no catalog",
    "an object is not where its cross-reference entry says",
    "no object header where one should be",
    "the page tree does not load",
    "startxref points at no section",
    "startxref points outside the file",
    "a cross-reference section lies after its revision",
    "an object lies after its revision",
];

/// A document and where its cross-reference data puts each object.
pub type Loaded = (Document, BTreeMap<u32, Location>);

/// The document as of the revision ending at `end` (the file's last) and where its
/// cross-reference data puts each object, read by the fast reader; `Ok(None)` when that reader
/// does not handle the file (the caller loads it with lopdf); `Err` with the reason when the
/// section is damaged.
pub fn read_latest(reader: &mut RevisionReader, end: usize) -> Result<Option<Loaded>, String> {
    let fallback = |Unsupported(reason): Unsupported| {
        if DAMAGE.contains(&reason) { Err(reason.to_string()) } else { Ok(None) }
    };
    let xref = match reader.xref_at(end) {
        Ok(xref) => xref,
        Err(e) => return fallback(e),
    };
    if let Ok(Object::Reference((number, generation))) = xref.trailer.lookup(b"Root") {
        let root = format!("the trailer's /Root is {number} {generation} R");
        match xref.entries.get(number) {
            Some(Location::At(_, g)) if g == generation => {}
            Some(Location::At(..)) => return Err(format!("{root}, another generation than the section has")),
            Some(Location::Free) => return Err(format!("{root}, an object marked free")),
            None => return Err(format!("{root}, an object the cross-reference data does not have")),
        }
    }
    // The latest document takes the parsed objects: the signed states are read as their
    // differences from it ([`RevisionReader::changes`]).
    match reader.last_document(&xref, end) {
        Ok(doc) => Ok(Some((doc, xref.entries))),
        Err(e) => fallback(e),
    }
}
