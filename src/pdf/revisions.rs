//! Loading the documents a returned form was at each of its revisions, fast.
//!
//! A signed form is its original plus one incremental update per party (PDF 32000-1 7.5.6):
//! each update appends the objects it changed and a cross-reference section that points at
//! them and back (`/Prev`) at the sections before. The verifier needs the document as it was
//! at every signed revision, and loading each revision's prefix of the file with lopdf parses
//! every object again for each one, which is most of the time `verify` spends on a form.
//!
//! This module reads the cross-reference sections itself and parses each object once, at its
//! offset, whichever revisions include it: the revisions share the parsed objects, and the
//! offsets say which objects a revision changed. It builds ordinary [`lopdf::Document`]s, and
//! for an earlier revision read against a later one, only what differs
//! ([`RevisionReader::changes`], read through [`crate::pdf::view::View`]).
//!
//! It handles well-formed files only: classic cross-reference tables and cross-reference
//! streams, direct or indirect stream lengths, unencrypted. Anything else — object streams,
//! hybrid files, an object that is not where its section says, a stream whose length does not
//! end at `endstream`, a syntax it does not read exactly as lopdf does — is
//! [`Unsupported`], and the caller loads that revision with lopdf's lenient reader instead.
//! So this is only ever a faster route to the same document: `tests/revisions.rs` checks that
//! every document it builds equals lopdf's, for every revision of every fixture and for
//! thousands of mutated files.
//!
//! ```
//! let pdf = formtool::form::template::blank_form();
//! let mut reader = formtool::pdf::revisions::RevisionReader::new(&pdf);
//! let doc = reader.document_at(pdf.len()).unwrap();
//! assert_eq!(doc.get_pages().len(), 1);
//! ```

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};

use crate::pdf::Lookup;
use crate::pdf::limits::{MAX_OBJECTS, MAX_STRUCTURE_STREAM_BYTES};
use crate::pdf::view::{Changes, Objects, View};

/// This reader cannot load the revision exactly; load it with lopdf instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub &'static str);

type Result<T> = std::result::Result<T, Unsupported>;

/// Where a revision's cross-reference data puts an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// In use at this byte offset, with this generation.
    At(usize, u16),
    Free,
}

/// One revision's merged cross-reference data: object number → location, and its trailer.
#[derive(Debug, Clone)]
pub struct XrefMap {
    pub entries: BTreeMap<u32, Location>,
    pub trailer: Dictionary,
}

/// Reads the revisions of one file, sharing parsed objects between them.
pub struct RevisionReader<'a> {
    bytes: &'a [u8],
    /// Objects parsed so far, by the offset of their `N G obj` header.
    parsed: HashMap<usize, Parsed>,
    /// Cross-reference sections read so far, by offset.
    sections: HashMap<usize, Section>,
    /// The parsers' scratch space, handed from one object's parser to the next.
    scratch: Scratch,
}

/// An object as parsed at one offset, with what its reading depended on beyond its own bytes,
/// so that it is reused only for revisions that would read it the same way.
struct Parsed {
    id: ObjectId,
    /// `None` once [`RevisionReader::last_document`] has moved it into its document (what it
    /// depended on stays, for the revisions read against that document).
    object: Option<Object>,
    /// Offset just past it (`endobj` and the space after).
    end: usize,
    /// An indirect `/Length`: the object that gave it and where the revision had that object.
    length_from: Option<(u32, Location)>,
}

#[derive(Clone)]
struct Section {
    entries: Vec<(u32, Location)>,
    trailer: Dictionary,
    prev: Option<usize>,
}

/// Deepest nesting of arrays and dictionaries read here; lopdf's own limit is higher, so
/// nothing this reader accepts is something lopdf refuses.
const MAX_DEPTH: usize = 64;
/// Most sections followed through `/Prev`.
const MAX_SECTIONS: usize = 256;

impl<'a> RevisionReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        RevisionReader { bytes, parsed: HashMap::new(), sections: HashMap::new(), scratch: Scratch::default() }
    }

    /// The cross-reference data of the revision that ends at `end` (just past its `%%EOF`).
    pub fn xref_at(&mut self, end: usize) -> Result<XrefMap> {
        let mut offset = Some(startxref(self.bytes.get(..end).ok_or(Unsupported("revision end past the file"))?)?);
        let mut entries: BTreeMap<u32, Location> = BTreeMap::new();
        let mut trailer = None;
        let mut seen = HashSet::new();
        while let Some(at) = offset {
            if !seen.insert(at) || seen.len() > MAX_SECTIONS {
                return Err(Unsupported("the /Prev chain loops"));
            }
            if at >= end {
                return Err(Unsupported("a cross-reference section lies after its revision"));
            }
            let section = self.section(at)?;
            for (number, location) in &section.entries {
                entries.entry(*number).or_insert(*location);
            }
            if entries.len() > MAX_OBJECTS {
                return Err(Unsupported("too many objects"));
            }
            if trailer.is_none() {
                trailer = Some(section.trailer.clone());
            }
            offset = section.prev;
        }
        let mut trailer = trailer.ok_or(Unsupported("no cross-reference section"))?;
        trailer.remove(b"Prev");
        if trailer.has(b"Encrypt") {
            return Err(Unsupported("encrypted"));
        }
        // lopdf searches further for a catalog when the trailer names none.
        if !matches!(trailer.lookup(b"Root"), Ok(Object::Reference(_))) {
            return Err(Unsupported("the trailer names no catalog"));
        }
        Ok(XrefMap { entries, trailer })
    }

    /// The document as it was at the revision that ends at `end`.
    pub fn document_at(&mut self, end: usize) -> Result<Document> {
        let xref = self.xref_at(end)?;
        self.document(&xref, end)
    }

    /// The document described by `xref`, the cross-reference data of the revision ending at
    /// `end`.
    pub fn document(&mut self, xref: &XrefMap, end: usize) -> Result<Document> {
        self.build(xref, end, false)
    }

    /// [`Self::document`], moving the parsed objects out of the reader instead of copying
    /// them: for the last document wanted from this file.
    pub fn last_document(&mut self, xref: &XrefMap, end: usize) -> Result<Document> {
        self.build(xref, end, true)
    }

    fn build(&mut self, xref: &XrefMap, end: usize, take: bool) -> Result<Document> {
        // Sized once: growing the map would move every parsed object each time.
        self.parsed.reserve(xref.entries.len());
        let mut doc = Document::new();
        doc.version = header_version(self.bytes)?;
        for (&number, location) in &xref.entries {
            let Location::At(offset, generation) = *location else { continue };
            self.object_in(number, generation, offset, xref, end)?;
            let parsed = self.parsed.get_mut(&offset).ok_or(Unsupported("object read twice"))?;
            let object = match take {
                false => parsed.object.clone(),
                true => parsed.object.take(),
            };
            doc.objects.insert((number, generation), object.ok_or(Unsupported("object read twice"))?);
        }
        doc.trailer = xref.trailer.clone();
        doc.max_id = doc.objects.keys().next_back().map_or(0, |id| id.0);
        page_tree_loads(&doc)?;
        Ok(doc)
    }

    /// The revision described by `xref` (ending at `end`) as its differences from `base`, the
    /// document this reader built from the cross-reference data `base_locations`: only the
    /// objects the two put at different places are read (an object at the same offset is the
    /// same object), so a signed state costs what changed after it, not a copy of the whole.
    /// Declined, like [`Self::document`], for anything that revision would not read exactly.
    ///
    /// An object of its own that none of `later` (the cross-reference data of revisions still
    /// to be read this way) puts at the same place is moved out of the reader, not copied.
    pub fn changes(
        &mut self,
        xref: &XrefMap,
        end: usize,
        base: &Document,
        base_locations: &BTreeMap<u32, Location>,
        later: &[&BTreeMap<u32, Location>],
    ) -> Result<Changes> {
        let mut objects = BTreeMap::new();
        let mut count = 0;
        // Both maps are ordered by number: walked side by side, each entry is matched with
        // the base's entry for the same number without a lookup.
        let mut base_entries = base_locations.iter().peekable();
        for (&number, location) in &xref.entries {
            // The base's objects numbered below this one that this revision lacks.
            while let Some((&base_number, base_location)) = base_entries.next_if(|(n, _)| **n < number) {
                if let Location::At(_, generation) = *base_location {
                    objects.insert((base_number, generation), None);
                }
            }
            let base_location = base_entries.next_if(|(n, _)| **n == number).map(|(_, l)| l);
            let Location::At(offset, generation) = *location else {
                if let Some(&Location::At(_, base_generation)) = base_location {
                    objects.insert((number, base_generation), None);
                }
                continue;
            };
            count += 1;
            if base_location == Some(location) {
                // The base read this very object, so its header and kind were checked then;
                // what depends on the revision (its end, an indirect length) is checked here.
                self.shared_object_fits(offset, xref, end)?;
                continue;
            }
            if let Some(&Location::At(_, base_generation)) = base_location
                && base_generation != generation
            {
                objects.insert((number, base_generation), None);
            }
            self.object_in(number, generation, offset, xref, end)?;
            let shared_later = later.iter().any(|entries| entries.get(&number) == Some(location));
            let parsed = self.parsed.get_mut(&offset).ok_or(Unsupported("object read twice"))?;
            let own = if shared_later { parsed.object.clone() } else { parsed.object.take() };
            objects.insert((number, generation), Some(own.ok_or(Unsupported("object read twice"))?));
        }
        for (&base_number, base_location) in base_entries {
            if let Location::At(_, generation) = *base_location {
                objects.insert((base_number, generation), None);
            }
        }
        let changes = Changes { objects, trailer: xref.trailer.clone(), count };
        page_tree_loads(&View::Changed { base, changes: &changes })?;
        Ok(changes)
    }

    /// Parse (once) the object that `xref` puts at `offset` as `number generation`, and check
    /// that the revision ending at `end` reads it so.
    fn object_in(&mut self, number: u32, generation: u16, offset: usize, xref: &XrefMap, end: usize) -> Result<()> {
        if offset >= end {
            return Err(Unsupported("an object lies after its revision"));
        }
        let parsed = self.object_at(offset, xref, end)?;
        if parsed.id != (number, generation) {
            return Err(Unsupported("an object is not where its cross-reference entry says"));
        }
        // lopdf unpacks every object stream it meets into the document.
        if let Some(Object::Stream(stream)) = &parsed.object
            && stream.dict.is_type(b"ObjStm")
        {
            return Err(Unsupported("object streams"));
        }
        Ok(())
    }

    /// For an object the base document read at `offset`: whether the revision described by
    /// `xref` and ending at `end` reads it the same way ([`Self::object_in`]'s checks that
    /// depend on the revision).
    fn shared_object_fits(&self, offset: usize, xref: &XrefMap, end: usize) -> Result<()> {
        if offset >= end {
            return Err(Unsupported("an object lies after its revision"));
        }
        self.parsed.get(&offset).ok_or(Unsupported("object read twice"))?.fits(xref, end)
    }

    fn section(&mut self, at: usize) -> Result<&Section> {
        if !self.sections.contains_key(&at) {
            let section = self.read_section(at)?;
            self.sections.insert(at, section);
        }
        Ok(&self.sections[&at])
    }

    fn read_section(&mut self, at: usize) -> Result<Section> {
        let bytes = self.bytes;
        if bytes[at..].starts_with(b"xref") {
            return read_table(bytes, at);
        }
        // A cross-reference stream: an indirect object whose stream lists the entries.
        let mut parser = Parser::new(bytes, at);
        let (id, object) = parser.indirect_object(&mut |_| None)?;
        let Object::Stream(stream) = object else { return Err(Unsupported("startxref points at no section")) };
        // The stream is also an object of the document (its section usually lists it).
        let parsed = Parsed { id, object: Some(Object::Stream(stream.clone())), end: parser.pos, length_from: None };
        self.parsed.insert(at, parsed);
        if stream.dict.lookup(b"Type").and_then(Object::as_name).ok() != Some(b"XRef".as_slice()) {
            return Err(Unsupported("startxref points at no section"));
        }
        if stream.dict.has(b"Encrypt") {
            return Err(Unsupported("encrypted"));
        }
        let data = crate::pdf::limits::decoded(&stream, MAX_STRUCTURE_STREAM_BYTES)
            .map_err(|_| Unsupported("a cross-reference stream does not decode"))?;
        let entries = xref_stream_entries(&stream.dict, &data)?;
        let prev = prev_offset(&stream.dict)?;
        let mut trailer = stream.dict;
        trailer.remove(b"Prev");
        Ok(Section { entries, trailer, prev })
    }

    /// The object whose header is at `offset`, parsed once per file and reused for every
    /// revision that reads it the same way. An indirect `/Length` is resolved through `xref`;
    /// a revision in which that length is another object, or which ends before the object
    /// does, is declined rather than given the object as another revision read it.
    fn object_at(&mut self, offset: usize, xref: &XrefMap, end: usize) -> Result<&Parsed> {
        if !self.parsed.contains_key(&offset) {
            let bytes = self.bytes;
            let mut length_from = None;
            let mut length_of = |id: ObjectId| -> Option<usize> {
                let location = xref.entries.get(&id.0).copied()?;
                let Location::At(at, generation) = location else { return None };
                if at >= end || at == offset || generation != id.1 {
                    return None;
                }
                match (Parser::new(bytes, at)).indirect_object(&mut |_| None) {
                    Ok((got, Object::Integer(n))) if got == id && n >= 0 => {
                        length_from = Some((id.0, location));
                        Some(n as usize)
                    }
                    _ => None,
                }
            };
            let mut parser = Parser::with_scratch(bytes, offset, std::mem::take(&mut self.scratch));
            let read = parser.indirect_object(&mut length_of);
            self.scratch = parser.take_scratch();
            let (id, object) = read?;
            let parsed = Parsed { id, object: Some(object), end: parser.pos, length_from };
            self.parsed.insert(offset, parsed);
        }
        let parsed = &self.parsed[&offset];
        parsed.fits(xref, end)?;
        Ok(parsed)
    }
}

impl Parsed {
    /// Whether the revision described by `xref` and ending at `end` reads this object as it
    /// was read: it ends within the revision, and an indirect `/Length` is the same object.
    fn fits(&self, xref: &XrefMap, end: usize) -> Result<()> {
        if self.end > end {
            return Err(Unsupported("an object runs past its revision"));
        }
        if let Some((number, location)) = self.length_from
            && xref.entries.get(&number) != Some(&location)
        {
            return Err(Unsupported("a stream's indirect /Length differs between revisions"));
        }
        Ok(())
    }
}

/// A stream as [`Stream::new`] makes it (its `/Length` set to the content's length, so an
/// indirect length reads as the number), replacing the value in place rather than through a
/// hashed insert with a freshly allocated key.
fn stream_of(mut dict: Dictionary, content: Vec<u8>) -> Object {
    let length = Object::Integer(content.len() as i64);
    match dict.iter_mut().find(|(key, _)| key.as_slice() == b"Length") {
        Some((_, value)) => *value = length,
        None => dict.set("Length", length),
    }
    Object::Stream(Stream { dict, content, allows_compression: true, start_position: None })
}

/// lopdf rebuilds the cross-reference data by scanning when the page tree does not load, so
/// such a revision is left to it.
fn page_tree_loads<D: Objects + ?Sized>(doc: &D) -> Result<()> {
    let kids = doc
        .catalog()
        .and_then(|c| c.lookup(b"Pages"))
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_dictionary(id))
        .and_then(|pages| pages.lookup(b"Kids"));
    match kids {
        Ok(Object::Array(_)) => Ok(()),
        _ => Err(Unsupported("the page tree does not load")),
    }
}

/// The operations of a content stream (page content, form XObject, appearance), as lopdf's
/// `Content::decode` gives them: read here when the stream is plain operands and operators
/// from start to end, else by lopdf (comments, inline images, anything it reads leniently).
/// `None` when neither can read it.
pub fn content_operations(bytes: &[u8]) -> Option<Operations<'_>> {
    plain_content_operations(bytes).or_else(|| Content::decode(bytes).ok().map(|c| Operations::Decoded(c.operations)))
}

/// A content stream's operations. Read here, they are held flat — every operand in one vector,
/// each operation its operator (borrowed from the stream) and its range of operands — which
/// costs no allocation per operation; read by lopdf, as lopdf gives them.
pub enum Operations<'a> {
    Flat { operations: Vec<(&'a str, std::ops::Range<usize>)>, operands: Vec<Object> },
    Decoded(Vec<Operation>),
}

/// One operation: its operator and its operands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Op<'o> {
    pub operator: &'o str,
    pub operands: &'o [Object],
}

impl Operations<'_> {
    pub fn len(&self) -> usize {
        match self {
            Operations::Flat { operations, .. } => operations.len(),
            Operations::Decoded(operations) => operations.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The operation at `index`, in stream order.
    pub fn get(&self, index: usize) -> Option<Op<'_>> {
        match self {
            Operations::Flat { operations, operands } => {
                let (operator, range) = operations.get(index)?;
                Some(Op { operator, operands: &operands[range.clone()] })
            }
            Operations::Decoded(operations) => {
                let op = operations.get(index)?;
                Some(Op { operator: &op.operator, operands: &op.operands })
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Op<'_>> {
        (0..self.len()).map_while(|i| self.get(i))
    }
}

fn is_operator_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'*' | b'\'' | b'"')
}

fn plain_content_operations(bytes: &[u8]) -> Option<Operations<'_>> {
    let mut p = Parser::new(bytes, 0);
    let mut operations = Vec::new();
    let mut operands = Vec::new();
    let mut first = 0;
    p.skip_whitespace();
    while let Some(c) = p.peek() {
        if c.is_ascii_alphabetic() || matches!(c, b'*' | b'\'' | b'"') {
            let run = p.rest().iter().take_while(|c| is_operator_byte(**c)).count();
            let word = &bytes[p.pos..p.pos + run];
            match word {
                b"null" => operands.push(Object::Null),
                b"true" => operands.push(Object::Boolean(true)),
                b"false" => operands.push(Object::Boolean(false)),
                // Inline images, and words lopdf would split ("nullx"), are left to lopdf.
                b"BI" | b"ID" | b"EI" => return None,
                _ if word.starts_with(b"null") || word.starts_with(b"true") || word.starts_with(b"false") => {
                    return None;
                }
                _ => {
                    operations.push((std::str::from_utf8(word).ok()?, first..operands.len()));
                    first = operands.len();
                }
            }
            p.pos += run;
        } else {
            // Numbers are never references here; arrays and dictionaries read as objects.
            let operand = match c {
                b'0'..=b'9' | b'+' | b'-' | b'.' => p.number().ok()?.into_object(),
                b'/' | b'(' | b'<' | b'[' => p.direct(1).ok()?,
                _ => return None,
            };
            operands.push(operand);
        }
        p.skip_whitespace();
    }
    (first == operands.len()).then_some(Operations::Flat { operations, operands })
}

/// The offset `startxref` gives at the very end of `bytes` (a revision ending in `%%EOF`).
fn startxref(bytes: &[u8]) -> Result<usize> {
    let trimmed = trim_end(bytes);
    let Some(before_eof) = trimmed.strip_suffix(b"%%EOF") else {
        return Err(Unsupported("the revision does not end with %%EOF"));
    };
    let before_eof = trim_end(before_eof);
    let digits = before_eof.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let number = &before_eof[before_eof.len() - digits..];
    let before_number = trim_end(&before_eof[..before_eof.len() - digits]);
    if digits == 0 || digits > 15 || !before_number.ends_with(b"startxref") {
        return Err(Unsupported("no startxref before %%EOF"));
    }
    let offset = std::str::from_utf8(number).ok().and_then(|s| s.parse::<usize>().ok());
    offset.filter(|o| *o < bytes.len()).ok_or(Unsupported("startxref points outside the file"))
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|b| !is_whitespace(*b)).map_or(0, |p| p + 1);
    &bytes[..end]
}

/// The version in the `%PDF-x.y` header, which must open the file.
fn header_version(bytes: &[u8]) -> Result<String> {
    let rest = bytes.strip_prefix(b"%PDF-").ok_or(Unsupported("the file does not start with %PDF-"))?;
    let version: Vec<u8> = rest.iter().copied().take_while(|c| c.is_ascii_digit() || *c == b'.').collect();
    let after = &rest[version.len()..];
    // lopdf skips other bytes on the header line; only a clean header is read here.
    if !matches!(after.first(), Some(b'\r' | b'\n')) {
        return Err(Unsupported("unusual header line"));
    }
    Ok(String::from_utf8_lossy(&version).into_owned())
}

fn prev_offset(trailer: &Dictionary) -> Result<Option<usize>> {
    match trailer.lookup(b"Prev") {
        Err(_) => Ok(None),
        Ok(Object::Integer(n)) if *n >= 0 => Ok(Some(*n as usize)),
        Ok(_) => Err(Unsupported("/Prev is not an offset")),
    }
}

/// A classic `xref` table with its `trailer` dictionary.
fn read_table(bytes: &[u8], at: usize) -> Result<Section> {
    let mut p = Parser::new(bytes, at + 4);
    let mut entries = Vec::new();
    loop {
        p.skip_whitespace();
        if p.rest().starts_with(b"trailer") {
            p.pos += 7;
            break;
        }
        let first = p.unsigned().ok_or(Unsupported("malformed xref subsection"))?;
        p.skip_spaces_only();
        let count = p.unsigned().ok_or(Unsupported("malformed xref subsection"))?;
        p.skip_line_end()?;
        if count > MAX_OBJECTS as u64 || first > u32::MAX as u64 {
            return Err(Unsupported("malformed xref subsection"));
        }
        for k in 0..count {
            // nnnnnnnnnn ggggg n<eol>: 20 bytes (19 with a bare end of line).
            let line = bytes.get(p.pos..p.pos + 18).ok_or(Unsupported("truncated xref table"))?;
            let offset = digits_value(&line[0..10]).ok_or(Unsupported("malformed xref entry"))?;
            let generation = digits_value(&line[11..16]).ok_or(Unsupported("malformed xref entry"))?;
            if line[10] != b' ' || line[16] != b' ' {
                return Err(Unsupported("malformed xref entry"));
            }
            let number = u32::try_from(first + k).map_err(|_| Unsupported("malformed xref entry"))?;
            let generation = u16::try_from(generation).map_err(|_| Unsupported("malformed xref entry"))?;
            let location = match line[17] {
                b'n' => Location::At(offset as usize, generation),
                b'f' => Location::Free,
                _ => return Err(Unsupported("malformed xref entry")),
            };
            entries.push((number, location));
            p.pos += 18;
            match p.rest() {
                [b' ', b'\r' | b'\n', ..] | [b'\r', b'\n', ..] => p.pos += 2,
                [b'\n' | b'\r', ..] => p.pos += 1,
                _ => return Err(Unsupported("malformed xref entry")),
            }
        }
    }
    p.skip_space();
    let trailer = match p.object(0)? {
        Object::Dictionary(d) => d,
        _ => return Err(Unsupported("the trailer is not a dictionary")),
    };
    if trailer.has(b"XRefStm") {
        return Err(Unsupported("hybrid cross-reference file"));
    }
    let prev = prev_offset(&trailer)?;
    // An object a section lists twice keeps its first entry: the merge in `xref_at` keeps the
    // first it meets.
    Ok(Section { entries, trailer, prev })
}

/// The entries of a cross-reference stream (PDF 32000-1 7.5.8): `/W` field widths, `/Index`
/// subsections (default `[0 Size]`). Entries of type 2 (in an object stream) are not read
/// here.
fn xref_stream_entries(dict: &Dictionary, data: &[u8]) -> Result<Vec<(u32, Location)>> {
    let bad = Unsupported("malformed cross-reference stream");
    let widths: Vec<usize> = match dict.lookup(b"W") {
        Ok(Object::Array(w)) if w.len() == 3 => w
            .iter()
            .map(|o| o.as_i64().ok().and_then(|v| usize::try_from(v).ok()).filter(|v| *v <= 8))
            .collect::<Option<Vec<_>>>()
            .ok_or(bad.clone())?,
        _ => return Err(bad),
    };
    let size = match dict.lookup(b"Size") {
        Ok(Object::Integer(n)) if *n >= 0 && *n <= MAX_OBJECTS as i64 => *n as u64,
        _ => return Err(bad),
    };
    let index: Vec<u64> = match dict.lookup(b"Index") {
        Err(_) => vec![0, size],
        Ok(Object::Array(a)) if a.len() % 2 == 0 => a
            .iter()
            .map(|o| o.as_i64().ok().and_then(|v| u64::try_from(v).ok()))
            .collect::<Option<Vec<_>>>()
            .ok_or(bad.clone())?,
        _ => return Err(bad),
    };
    let row = widths.iter().sum::<usize>();
    if row == 0 {
        return Err(bad);
    }
    let field = |bytes: &[u8]| bytes.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b));
    let mut rows = data.chunks_exact(row);
    let mut entries = Vec::new();
    for pair in index.chunks(2) {
        let (first, count) = (pair[0], pair[1]);
        if count > MAX_OBJECTS as u64 || first > u32::MAX as u64 || first + count > u32::MAX as u64 {
            return Err(bad);
        }
        for k in 0..count {
            let r = rows.next().ok_or(bad.clone())?;
            let (t, rest) = r.split_at(widths[0]);
            let (f2, f3) = rest.split_at(widths[1]);
            let kind = if widths[0] == 0 { 1 } else { field(t) };
            let number = (first + k) as u32;
            let location = match kind {
                0 => Location::Free,
                1 => {
                    let generation = u16::try_from(field(f3)).map_err(|_| bad.clone())?;
                    Location::At(usize::try_from(field(f2)).map_err(|_| bad.clone())?, generation)
                }
                2 => return Err(Unsupported("object streams")),
                _ => Location::Free, // reserved types are null references (7.5.8.3)
            };
            entries.push((number, location));
        }
    }
    Ok(entries)
}

/// The value of the run of decimal digits at `at` (`None` if it overflows, or if there is no
/// digit there) and the offset just past the run.
fn digits_from(bytes: &[u8], at: usize) -> (Option<u64>, usize) {
    let rest = bytes.get(at..).unwrap_or(&[]);
    let run = digit_run(rest);
    let value = match rest.first_chunk::<8>() {
        Some(chunk) if (1..8).contains(&run) => Some(eight_digits_value(u64::from_le_bytes(*chunk), run)),
        _ => digits_value(&rest[..run]),
    };
    (value, at + run)
}

/// How many decimal digits `bytes` starts with.
fn digit_run(bytes: &[u8]) -> usize {
    match bytes.first_chunk::<8>() {
        Some(chunk) => match digit_run8(u64::from_le_bytes(*chunk)) {
            8 => bytes.iter().take_while(|c| c.is_ascii_digit()).count(),
            run => run,
        },
        None => bytes.iter().take_while(|c| c.is_ascii_digit()).count(),
    }
}

/// How many of the eight bytes of `x` (byte `i` the `i`th) are digits before the first that
/// is not, with no branch per byte: numbers are most of what a form's fonts hold, and a loop
/// that stops at a different length each time keeps the processor guessing.
fn digit_run8(x: u64) -> usize {
    // A byte of 0x80 or more can carry into the bytes after it, but those come after a byte
    // that is not a digit, so the first such byte is still found.
    let not_digit = !bytes_in_range(x, b'0', b'9') & HIGH;
    (not_digit.trailing_zeros() / 8) as usize
}

/// The value of the first `run` (1 to 7) bytes of `x`, all digits, most significant first.
fn eight_digits_value(x: u64, run: usize) -> u64 {
    // The digits moved to the top, below them zeros: leading zeros of an eight-digit number.
    let digits = (x.wrapping_sub(0x3030_3030_3030_3030)) << (8 * (8 - run));
    let pairs = (digits.wrapping_mul(10 * 256 + 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100 * 65_536 + 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    quads.wrapping_mul(10_000 * (1 << 32) + 1) >> 32
}

/// The decimal `whole.fraction` (digits only) as `f32`, exactly as parsing its text gives it,
/// when it has at most seven digits in all (most reals in a PDF: coordinates, widths): the
/// digits then make an integer below 2^24 and the divisor a power of ten below 2^24, both
/// exact in `f32`, so one correctly rounded division is the correctly rounded value.
fn short_decimal(whole: &[u8], fraction: &[u8]) -> Option<f32> {
    const POWERS_OF_TEN: [f32; 8] = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7];
    if whole.len() + fraction.len() > 7 {
        return None;
    }
    let digits =
        whole.iter().chain(fraction).try_fold(0u32, |v, d| d.is_ascii_digit().then(|| v * 10 + u32::from(d - b'0')))?;
    Some(digits as f32 / POWERS_OF_TEN[fraction.len()])
}

fn digits_value(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    // Nineteen digits always fit in a u64: no overflow check on each step, which would
    // make every digit wait for the last (numbers are most of what a form's fonts hold).
    if digits.len() <= 19 {
        return digits.iter().try_fold(0u64, |v, d| d.is_ascii_digit().then(|| v * 10 + u64::from(d - b'0')));
    }
    digits.iter().try_fold(0u64, |v, d| {
        if d.is_ascii_digit() { v.checked_mul(10)?.checked_add(u64::from(d - b'0')) } else { None }
    })
}

const fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\0' | b'\x0c')
}

const fn is_delimiter(c: u8) -> bool {
    matches!(c, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn is_regular(c: u8) -> bool {
    REGULAR[usize::from(c)]
}

/// [`is_regular`] by byte, worked out once: names are scanned a byte at a time.
const REGULAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = !is_whitespace(c as u8) && !is_delimiter(c as u8);
        c += 1;
    }
    table
};

/// A cursor over the file that reads PDF objects (PDF 32000-1 7.3) exactly as lopdf's parser
/// does, or gives up.
struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Array elements being read, shared by nested arrays, so each array is allocated once
    /// at its final size (a font's width array has over a thousand numbers).
    scratch: Vec<Object>,
    /// Dictionary entries being read, shared the same way: a dictionary is built at its final
    /// size from them, with no allocation of its own for gathering (objects are 120 bytes, so
    /// a fresh gathering vector per dictionary was most of the bytes the reader allocated).
    entries: Entries,
    /// Numbers at the start of an array being read, shared the same way.
    numbers: Vec<Number>,
    /// Whether the scratch space goes back to the thread when the parser is dropped.
    scratch_from_thread: bool,
}

/// A number or a reference as read. With [`Unreadable`] it is sixteen bytes, returned in
/// registers: returned through memory (as an `Object` in a `Result`), each element of a long
/// array was written in pieces and read back whole, which stalls the processor.
#[derive(Clone, Copy)]
enum Number {
    Integer(i64),
    Real(f32),
    Reference(ObjectId),
}

/// What reading a number gives.
type NumberRead = std::result::Result<Number, Unreadable>;
const _: () = assert!(std::mem::size_of::<NumberRead>() <= 16, "a number read must fit in two registers");

/// Why a number could not be read.
#[derive(Clone, Copy)]
enum Unreadable {
    Number,
    /// lopdf drops a stray '-' inside the fraction; such numbers are left to it.
    Unusual,
    OutOfRange,
}

impl Unreadable {
    fn text(self) -> &'static str {
        match self {
            Unreadable::Number => "unreadable number",
            Unreadable::Unusual => "unusual number",
            Unreadable::OutOfRange => "integer out of range",
        }
    }
}

impl Number {
    #[inline]
    fn into_object(self) -> Object {
        match self {
            Number::Integer(n) => Object::Integer(n),
            Number::Real(x) => Object::Real(x),
            Number::Reference(id) => Object::Reference(id),
        }
    }

    /// A number read, as an object or as the reason it is declined.
    #[inline]
    fn object(read: NumberRead) -> Result<Object> {
        read.map(Number::into_object).map_err(|reason| Unsupported(reason.text()))
    }
}

/// Dictionary entries in reading order.
type Entries = Vec<(Vec<u8>, Object)>;

/// The scratch space of a parser: array elements, dictionary entries and leading numbers.
#[derive(Default)]
struct Scratch {
    objects: Vec<Object>,
    entries: Entries,
    numbers: Vec<Number>,
}

impl Scratch {
    /// Each buffer of `self` or `other`, whichever has grown more, emptied.
    fn larger(self, other: Scratch) -> Scratch {
        fn larger<T>(a: Vec<T>, b: Vec<T>) -> Vec<T> {
            let mut kept = if a.capacity() >= b.capacity() { a } else { b };
            kept.clear();
            kept
        }
        Scratch {
            objects: larger(self.objects, other.objects),
            entries: larger(self.entries, other.entries),
            numbers: larger(self.numbers, other.numbers),
        }
    }
}

thread_local! {
    /// The scratch space, kept for the thread's next parser: a large array grows it once,
    /// not once per file.
    static SCRATCH: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        if self.scratch_from_thread {
            let own = self.take_scratch();
            SCRATCH.with(|s| s.set(Some(s.take().unwrap_or_default().larger(own))));
        }
    }
}

impl<'a> Parser<'a> {
    /// A parser at `pos`, with the thread's scratch space (given back when it is dropped).
    fn new(bytes: &'a [u8], pos: usize) -> Self {
        let mut parser = Parser::with_scratch(bytes, pos, SCRATCH.with(|s| s.take()).unwrap_or_default());
        parser.scratch_from_thread = true;
        parser
    }

    /// A parser at `pos` with the caller's scratch space, to be taken back with
    /// [`Self::take_scratch`]: for a reader that parses object after object.
    fn with_scratch(bytes: &'a [u8], pos: usize, scratch: Scratch) -> Self {
        let Scratch { objects, entries, numbers } = scratch;
        Parser { bytes, pos, scratch: objects, entries, numbers, scratch_from_thread: false }
    }

    fn take_scratch(&mut self) -> Scratch {
        let mut scratch = Scratch {
            objects: std::mem::take(&mut self.scratch),
            entries: std::mem::take(&mut self.entries),
            numbers: std::mem::take(&mut self.numbers),
        };
        // Emptied, in case a failed read left something behind.
        scratch.objects.clear();
        scratch.entries.clear();
        scratch.numbers.clear();
        scratch
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or(&[])
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(is_whitespace) {
            self.pos += 1;
        }
    }

    fn skip_spaces_only(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn skip_line_end(&mut self) -> Result<()> {
        self.skip_spaces_only();
        match self.rest() {
            [b'\r', b'\n', ..] => self.pos += 2,
            [b'\r' | b'\n', ..] => self.pos += 1,
            _ => return Err(Unsupported("expected an end of line")),
        }
        Ok(())
    }

    /// White space and comments.
    fn skip_space(&mut self) {
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'%') {
                return;
            }
            while self.peek().is_some_and(|c| c != b'\r' && c != b'\n') {
                self.pos += 1;
            }
        }
    }

    fn unsigned(&mut self) -> Option<u64> {
        let (value, end) = digits_from(self.bytes, self.pos);
        let value = value?;
        self.pos = end;
        Some(value)
    }

    fn keyword(&mut self, word: &[u8]) -> bool {
        if self.rest().starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    /// `N G obj`, the object, optional `endobj`. `length_of` supplies the value of an
    /// indirect `/Length`.
    fn indirect_object(&mut self, length_of: &mut dyn FnMut(ObjectId) -> Option<usize>) -> Result<(ObjectId, Object)> {
        let id = self.object_header()?;
        let object = if self.rest().starts_with(b"<<") {
            let dict = self.dictionary(0)?;
            let before_keyword = self.pos;
            self.skip_space();
            if self.keyword(b"stream") {
                self.skip_spaces_only();
                match self.rest() {
                    [b'\r', b'\n', ..] => self.pos += 2,
                    [b'\r' | b'\n', ..] => self.pos += 1,
                    _ => return Err(Unsupported("no end of line after stream")),
                }
                let length = match dict.lookup(b"Length") {
                    Ok(Object::Integer(n)) if *n >= 0 => *n as usize,
                    Ok(Object::Reference(r)) => length_of(*r).ok_or(Unsupported("indirect /Length"))?,
                    _ => return Err(Unsupported("a stream without a usable /Length")),
                };
                let start = self.pos;
                let data_end = start.checked_add(length).filter(|e| *e <= self.bytes.len());
                let data_end = data_end.ok_or(Unsupported("a stream runs past the end of the file"))?;
                self.pos = data_end;
                match self.rest() {
                    [b'\r', b'\n', ..] => self.pos += 2,
                    [b'\r' | b'\n', ..] => self.pos += 1,
                    _ => {}
                }
                if !self.keyword(b"endstream") {
                    return Err(Unsupported("a stream's /Length does not end at endstream"));
                }
                stream_of(dict, self.bytes[start..data_end].to_vec())
            } else {
                self.pos = before_keyword;
                Object::Dictionary(dict)
            }
        } else {
            self.direct(0)?
        };
        self.skip_space();
        // The cursor stops after `endobj`: what follows (even a comment that reads `%%EOF`)
        // is not part of the object.
        self.keyword(b"endobj");
        Ok((id, object))
    }

    fn object_header(&mut self) -> Result<ObjectId> {
        let bad = Unsupported("no object header where one should be");
        self.skip_space();
        let number = self.unsigned().and_then(|n| u32::try_from(n).ok()).ok_or(bad.clone())?;
        self.skip_space();
        let generation = self.unsigned().and_then(|n| u16::try_from(n).ok()).ok_or(bad.clone())?;
        self.skip_space();
        if !self.keyword(b"obj") {
            return Err(bad);
        }
        self.skip_space();
        Ok((number, generation))
    }

    /// A direct object and the space after it.
    fn object(&mut self, depth: usize) -> Result<Object> {
        let object = self.direct(depth)?;
        self.skip_space();
        Ok(object)
    }

    /// An element of an array or a dictionary value: [`Self::direct`], with the commonest
    /// kinds read straight here (large arrays of numbers are most of some objects).
    #[inline]
    fn item(&mut self, depth: usize) -> Result<Object> {
        match self.peek() {
            Some(b'0'..=b'9') => Number::object(self.number_or_reference()),
            Some(b'/') => Ok(Object::Name(self.name())),
            _ => self.direct(depth),
        }
    }

    fn direct(&mut self, depth: usize) -> Result<Object> {
        if depth >= MAX_DEPTH {
            return Err(Unsupported("nested too deeply"));
        }
        match self.peek() {
            Some(b'n') if self.keyword(b"null") => Ok(Object::Null),
            Some(b't') if self.keyword(b"true") => Ok(Object::Boolean(true)),
            Some(b'f') if self.keyword(b"false") => Ok(Object::Boolean(false)),
            Some(b'0'..=b'9') => Number::object(self.number_or_reference()),
            Some(b'+' | b'-' | b'.') => Number::object(self.number()),
            Some(b'/') => Ok(Object::Name(self.name())),
            Some(b'(') => Ok(Object::String(self.literal_string()?, StringFormat::Literal)),
            Some(b'<') if self.rest().starts_with(b"<<") => Ok(Object::Dictionary(self.dictionary(depth)?)),
            Some(b'<') => self.hex_string(),
            Some(b'[') => {
                self.pos += 1;
                self.skip_space();
                let result = self.array_items(depth);
                self.pos += usize::from(result.is_ok());
                result.map(Object::Array)
            }
            _ => Err(Unsupported("unreadable object")),
        }
    }

    /// The elements of an array, up to (not past) its `]`. Leading numbers are gathered as
    /// [`Number`]s and written out once, in place: most long arrays (a font's widths) are
    /// numbers only, and gathering 120-byte objects to copy them again cost twice as much.
    fn array_items(&mut self, depth: usize) -> Result<Vec<Object>> {
        let (base, number_base) = (self.scratch.len(), self.numbers.len());
        if let Err(e) = self.gather_items(depth, number_base) {
            self.scratch.truncate(base);
            self.numbers.truncate(number_base);
            return Err(e);
        }
        if self.scratch.len() == base {
            return Ok(self.numbers.drain(number_base..).map(Number::into_object).collect());
        }
        Ok(self.scratch.split_off(base))
    }

    fn gather_items(&mut self, depth: usize, number_base: usize) -> Result<()> {
        let mut numbers_only = true;
        loop {
            match self.peek() {
                Some(b']') => return Ok(()),
                Some(b'0'..=b'9') if numbers_only => match self.number_or_reference() {
                    Ok(number) => self.numbers.push(number),
                    Err(reason) => return Err(Unsupported(reason.text())),
                },
                _ => {
                    if numbers_only {
                        // Not numbers only after all: what was gathered goes first.
                        numbers_only = false;
                        let numbers = self.numbers.drain(number_base..).map(Number::into_object);
                        self.scratch.extend(numbers);
                    }
                    let item = self.item(depth + 1)?;
                    self.scratch.push(item);
                }
            }
            self.skip_space();
        }
    }

    fn dictionary(&mut self, depth: usize) -> Result<Dictionary> {
        self.pos += 2; // <<
        self.skip_space();
        // Entries are gathered first so the map is allocated once, at its final size.
        let base = self.entries.len();
        while self.peek() == Some(b'/') {
            let key = self.name();
            self.skip_space();
            let value = match self.item(depth + 1) {
                Ok(value) => value,
                Err(e) => {
                    self.entries.truncate(base);
                    return Err(e);
                }
            };
            self.skip_space();
            self.entries.push((key, value));
        }
        if !self.keyword(b">>") {
            self.entries.truncate(base);
            return Err(Unsupported("unreadable dictionary"));
        }
        let mut dict = Dictionary::new();
        // Reserved from the exact length; a repeated key keeps its first place and its last
        // value, as in lopdf.
        dict.as_hashmap_mut().extend(self.entries.drain(base..));
        Ok(dict)
    }

    /// `N G R`, or a number. Tried in lopdf's order: reference, real, integer.
    #[inline(always)]
    fn number_or_reference(&mut self) -> NumberRead {
        let bytes = self.bytes;
        let (first, digits_end) = digits_from(bytes, self.pos);
        if bytes.get(digits_end) == Some(&b'.') {
            return self.number();
        }
        self.pos = digits_end;
        // Only a second number followed by R makes a reference: look for it before reading
        // any value, since most numbers (array elements) are followed by another number.
        if let Some(number) = first.and_then(|n| u32::try_from(n).ok()) {
            self.skip_space();
            let generation_start = self.pos;
            let generation_digits = digit_run(self.rest());
            if generation_digits > 0 {
                self.pos += generation_digits;
                self.skip_space();
                if self.peek() == Some(b'R')
                    && let Some(generation) =
                        digits_value(&bytes[generation_start..generation_start + generation_digits])
                            .and_then(|g| u16::try_from(g).ok())
                {
                    self.pos += 1;
                    return Ok(Number::Reference((number, generation)));
                }
            }
            // Not a reference: stop after the space that follows the number, which every
            // caller skips next anyway.
            self.pos = generation_start;
        }
        match first.and_then(|v| i64::try_from(v).ok()) {
            Some(n) => Ok(Number::Integer(n)),
            None => Err(Unreadable::OutOfRange),
        }
    }

    /// An integer or a real, as lopdf reads them (`f32` for reals).
    fn number(&mut self) -> NumberRead {
        let start = self.pos;
        let negative = match self.peek() {
            Some(b'-') => {
                self.pos += 1;
                true
            }
            Some(b'+') => {
                self.pos += 1;
                false
            }
            _ => false,
        };
        let digits_start = self.pos;
        let int_digits = digit_run(self.rest());
        self.pos += int_digits;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let fraction = digit_run(self.rest());
            self.pos += fraction;
            if int_digits == 0 && fraction == 0 {
                return Err(Unreadable::Number);
            }
            // lopdf drops a stray '-' inside the fraction; such numbers are left to it.
            if self.peek() == Some(b'-') {
                return Err(Unreadable::Unusual);
            }
            let (whole, fraction) =
                (&self.bytes[digits_start..][..int_digits], &self.bytes[self.pos - fraction..self.pos]);
            if let Some(x) = short_decimal(whole, fraction) {
                return Ok(Number::Real(if negative { -x } else { x }));
            }
            let text = std::str::from_utf8(&self.bytes[start..self.pos]).ok();
            return match text.and_then(|t| t.parse::<f32>().ok()) {
                Some(x) => Ok(Number::Real(x)),
                None => Err(Unreadable::Number),
            };
        }
        let Some(magnitude) = digits_value(&self.bytes[digits_start..self.pos]) else {
            return Err(Unreadable::Number);
        };
        let value = if negative { 0i64.checked_sub_unsigned(magnitude) } else { i64::try_from(magnitude).ok() };
        value.map(Number::Integer).ok_or(Unreadable::OutOfRange)
    }

    /// `/Name` with `#xx` escapes; a `#` not followed by two hex digits ends the name.
    fn name(&mut self) -> Vec<u8> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let run = self.rest().iter().position(|&c| c == b'#' || !is_regular(c)).unwrap_or(self.rest().len());
            out.extend_from_slice(&self.rest()[..run]);
            self.pos += run;
            match self.rest() {
                [b'#', h, l, ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    out.push(HEX_DIGIT[usize::from(*h)] << 4 | HEX_DIGIT[usize::from(*l)]);
                    self.pos += 3;
                }
                _ => return out,
            }
        }
    }

    fn literal_string(&mut self) -> Result<Vec<u8>> {
        self.pos += 1; // (
        let mut out = Vec::new();
        let mut depth = 0usize;
        loop {
            // Copy the run of ordinary bytes at once.
            let run = self.rest().iter().position(|c| matches!(c, b'(' | b')' | b'\\' | b'\r' | b'\n'));
            let Some(run) = run else { return Err(Unsupported("unterminated string")) };
            out.extend_from_slice(&self.rest()[..run]);
            self.pos += run;
            let c = self.bytes[self.pos];
            self.pos += 1;
            match c {
                b'(' => {
                    depth += 1;
                    if depth > 64 {
                        return Err(Unsupported("string nested too deeply"));
                    }
                    out.push(c);
                }
                b')' if depth == 0 => return Ok(out),
                b')' => {
                    depth -= 1;
                    out.push(c);
                }
                b'\r' => {
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                b'\n' => out.push(b'\n'),
                _ => {
                    // A backslash escape.
                    let Some(e) = self.peek() else { return Err(Unsupported("unterminated string")) };
                    self.pos += 1;
                    match e {
                        b'0'..=b'7' => {
                            let mut value = u16::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        value = value * 8 + u16::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(value as u8);
                        }
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(b'\x08'),
                        b'f' => out.push(b'\x0c'),
                        other => out.push(other),
                    }
                }
            }
        }
    }

    fn hex_string(&mut self) -> Result<Object> {
        let body_start = self.pos + 1; // after <
        let length = memchr::memchr(b'>', &self.rest()[1..]).ok_or(Unsupported("unterminated hex string"))?;
        let out =
            hex_body(&self.bytes[body_start..body_start + length]).map_err(|_| Unsupported("unreadable hex string"))?;
        self.pos = body_start + length + 1;
        Ok(Object::String(out, StringFormat::Hexadecimal))
    }
}

/// The bytes of a hex string's digits (between `<` and `>`): white space skipped, an odd
/// final digit followed by an implicit 0 (PDF 32000-1 7.3.4.3). `Err` gives the index of a
/// byte that is neither.
pub(crate) fn hex_body(body: &[u8]) -> std::result::Result<Vec<u8>, usize> {
    // The common case, digits with no white space, sixteen at a time into a buffer sized
    // once; the rest (from the first white space on) a digit at a time.
    let mut out = vec![0u8; body.len() / 2];
    let mut done = 0;
    for (digits, bytes) in body.chunks_exact(16).zip(out.chunks_exact_mut(8)) {
        let (low, high) = (u64_at(&digits[..8]), u64_at(&digits[8..]));
        // A signature's zero padding, often a third of its /Contents: the bytes are zero already.
        if low == ZEROS && high == ZEROS {
            done += 1;
            continue;
        }
        let (Some(low), Some(high)) = (hex8(low), hex8(high)) else { break };
        bytes[..4].copy_from_slice(&low);
        bytes[4..].copy_from_slice(&high);
        done += 1;
    }
    out.truncate(done * 8);
    let mut high: Option<u8> = None;
    for (i, &c) in body.iter().enumerate().skip(done * 16) {
        match HEX_DIGIT[usize::from(c)] {
            v if v < 16 => match high.take() {
                None => high = Some(v),
                Some(h) => out.push(h << 4 | v),
            },
            HEX_WHITE => {}
            _ => return Err(i),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    Ok(out)
}

/// Every byte 1, and every byte's high bit: the masks of the eight-bytes-at-once (SWAR) tests.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` set where that byte is in `lo..=hi`, and clear elsewhere,
/// for bytes below 0x80 (a larger byte may carry into the ones after it).
fn bytes_in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least = x.wrapping_add(ONES * u64::from(0x80 - lo));
    let at_most = !x.wrapping_add(ONES * u64::from(0x7F - hi));
    at_least & at_most & HIGH
}

/// Eight '0' digits.
const ZEROS: u64 = u64::from_le_bytes(*b"00000000");

/// Eight bytes as a little-endian `u64` (byte `i` of the slice is byte `i` of the value).
fn u64_at(eight: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(eight);
    u64::from_le_bytes(bytes)
}

/// Eight hex digits (byte `i` of `x` the `i`th) as four bytes, or `None` if any is not a
/// digit: every byte at once (SWAR), since a signature's `/Contents` is kilobytes of them.
fn hex8(x: u64) -> Option<[u8; 4]> {
    // No byte carries into the next, since every byte is below 0x80 once this test passes.
    if x & HIGH != 0 {
        return None;
    }
    // `| 0x20` lower-cases A-F (and maps nothing else into a-f).
    if (bytes_in_range(x, b'0', b'9') | bytes_in_range(x | (ONES * 0x20), b'a', b'f')) != HIGH {
        return None;
    }
    // A digit's value is its low four bits, plus nine for a letter (bit 6 set).
    let nibbles = (x & (ONES * 0x0F)) + ((x >> 6) & ONES) * 9;
    let pairs = (nibbles << 4) | (nibbles >> 8);
    Some([pairs as u8, (pairs >> 16) as u8, (pairs >> 32) as u8, (pairs >> 48) as u8])
}

/// Hex digit values by byte; [`HEX_WHITE`] for PDF white space, 0xFF for anything else.
pub(crate) const HEX_DIGIT: [u8; 256] = {
    let mut table = [BAD; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            b' ' | b'\t' | b'\n' | b'\r' | b'\0' | b'\x0c' => HEX_WHITE,
            _ => BAD,
        };
        c += 1;
    }
    table
};
pub(crate) const HEX_WHITE: u8 = 0xFE;
const BAD: u8 = 0xFF;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Object> {
        let mut p = Parser::new(text.as_bytes(), 0);
        p.object(0)
    }

    #[test]
    fn eight_hex_digits_at_once_read_as_one_at_a_time() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        // Digits mostly; the bytes just outside each digit range, and any byte at all, now
        // and then, so that most chunks are all digits and many have one stranger.
        let digits = b"0123456789abcdefABCDEF";
        let near = b"/:@G`g \x7f\x80\xff\xb0\xc6";
        for _ in 0..50_000 {
            let chunk: [u8; 8] = std::array::from_fn(|_| {
                let r = next();
                match r % 16 {
                    0 => near[(r >> 8) as usize % near.len()],
                    1 => (r >> 8) as u8,
                    _ => digits[(r >> 8) as usize % digits.len()],
                }
            });
            let scalar: Option<[u8; 4]> = {
                let v: [u8; 8] = std::array::from_fn(|i| HEX_DIGIT[usize::from(chunk[i])]);
                (v.iter().all(|d| *d < 16)).then(|| std::array::from_fn(|j| v[2 * j] << 4 | v[2 * j + 1]))
            };
            assert_eq!(hex8(u64::from_le_bytes(chunk)), scalar, "{chunk:?}");
        }
    }

    /// A small xorshift generator: the randomised tests below are the same on every run.
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    #[test]
    fn hex_strings_read_sixteen_digits_at_once_as_one_at_a_time() {
        // The reference: a digit at a time, white space skipped, a lone last digit padded.
        fn one_at_a_time(body: &[u8]) -> std::result::Result<Vec<u8>, usize> {
            let mut values = Vec::new();
            for (i, &c) in body.iter().enumerate() {
                match HEX_DIGIT[usize::from(c)] {
                    v if v < 16 => values.push(v),
                    HEX_WHITE => {}
                    _ => return Err(i),
                }
            }
            Ok(values.chunks(2).map(|p| p[0] << 4 | p.get(1).copied().unwrap_or(0)).collect())
        }
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            // Runs of '0' (a signature's padding) and of any digit, now and then a space or a
            // byte that is no digit, at any length and any alignment.
            let len = (next() % 90) as usize;
            let mut body = Vec::with_capacity(len);
            while body.len() < len {
                let r = next();
                let run = 1 + (r >> 8) as usize % 20;
                let byte = match r % 23 {
                    0 => b' ',
                    1 => (r >> 16) as u8,
                    2..=8 => b'0',
                    _ => b"0123456789abcdefABCDEF"[(r >> 16) as usize % 22],
                };
                body.extend(std::iter::repeat_n(byte, run.min(len - body.len())));
            }
            assert_eq!(hex_body(&body), one_at_a_time(&body), "{:?}", String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn digit_runs_read_eight_at_once_as_one_at_a_time() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..50_000 {
            // A run of 0 to 24 digits (past what a u64 holds), then bytes that are mostly
            // digits or just outside their range.
            let r = next();
            let run = (r % 25) as usize;
            let mut bytes: Vec<u8> = (0..run).map(|i| b'0' + ((r >> (i % 60)) % 10) as u8).collect();
            let others = [b' ', b'/', b':', b'.', b']', 0x80, 0xB0, 0xFF, b'R', b'5', b'0', b'9'];
            let tail = next();
            bytes.extend((0..9).map(|i| match (tail >> (6 * i)) & 63 {
                0..=11 => others[((tail >> (6 * i)) & 63) as usize],
                k => (k as u8).wrapping_mul(37).wrapping_add((r >> 32) as u8),
            }));
            let at = (r >> 48) as usize % 3;
            let mut file = b"xx".to_vec();
            file.truncate(at);
            file.extend_from_slice(&bytes);
            let digits = file[at..].iter().take_while(|c| c.is_ascii_digit()).count();
            let value = (digits > 0)
                .then(|| {
                    file[at..at + digits]
                        .iter()
                        .try_fold(0u64, |v, d| v.checked_mul(10)?.checked_add(u64::from(d - b'0')))
                })
                .flatten();
            assert_eq!(digits_from(&file, at), (value, at + digits), "{:?}", String::from_utf8_lossy(&file));
            assert_eq!(digit_run(&file[at..]), digits);
        }
    }

    #[test]
    fn short_reals_read_as_parsing_their_text_reads_them() {
        let mut next = xorshift(0x5851_F42D_4C95_7F2D);
        for _ in 0..200_000 {
            let r = next();
            let (whole_len, fraction_len) = ((r % 9) as usize, ((r >> 4) % 10) as usize);
            let digit = |i: usize| b'0' + ((r >> (8 + (i * 5) % 48)) % 10) as u8;
            let whole: Vec<u8> = (0..whole_len).map(digit).collect();
            let fraction: Vec<u8> = (0..fraction_len).map(|i| digit(i + 11)).collect();
            if whole.is_empty() && fraction.is_empty() {
                continue;
            }
            let sign = ["", "-", "+"][(r >> 60) as usize % 3];
            let text = format!("{sign}{}.{}", String::from_utf8_lossy(&whole), String::from_utf8_lossy(&fraction));
            let parsed = text.parse::<f32>().unwrap();
            if let Some(x) = short_decimal(&whole, &fraction) {
                assert_eq!((if sign == "-" { -x } else { x }).to_bits(), parsed.to_bits(), "{text}");
            }
            assert_eq!(parse(&text).unwrap(), Object::Real(parsed), "{text}");
        }
        // Seven digits take the short way; eight do not.
        assert!(short_decimal(b"1234", b"567").is_some() && short_decimal(b"1234", b"5678").is_none());
    }

    #[test]
    fn reads_objects_as_lopdf_does() {
        assert_eq!(parse("12 0 R").unwrap(), Object::Reference((12, 0)));
        assert_eq!(parse("12 0").unwrap(), Object::Integer(12));
        assert_eq!(parse("-.5").unwrap(), Object::Real(-0.5));
        assert_eq!(parse("3.").unwrap(), Object::Real(3.0));
        assert_eq!(parse("+7").unwrap(), Object::Integer(7));
        assert_eq!(parse("/A#20B").unwrap(), Object::Name(b"A B".to_vec()));
        assert_eq!(
            parse("(a\\(b\\)\\101\\\nc\r\nd)").unwrap(),
            Object::String(b"a(b)Ac\nd".to_vec(), StringFormat::Literal)
        );
        assert_eq!(parse("<41 4>").unwrap(), Object::String(b"A@".to_vec(), StringFormat::Hexadecimal));
        let Object::Dictionary(d) = parse("<</A [1 2 0 R /N] /B<</C null>>>>").unwrap() else { panic!() };
        assert_eq!(
            d.lookup(b"A").unwrap(),
            &Object::Array(vec![Object::Integer(1), Object::Reference((2, 0)), Object::Name(b"N".to_vec())])
        );
        assert!(parse("[1 2").is_err());
        let plain =
            plain_content_operations(b"q BT /F1 12 Tf 1 0 0 1 10 10 Tm <4142> Tj [(a) -5 (b)] TJ ET 0 0 m 9 9 l S Q");
        let plain = plain.unwrap();
        let operators: Vec<&str> = plain.iter().map(|o| o.operator).collect();
        assert_eq!(operators, ["q", "BT", "Tf", "Tm", "Tj", "TJ", "ET", "m", "l", "S", "Q"]);
        let tf = plain.get(2).unwrap();
        assert_eq!(tf.operands, [Object::Name(b"F1".to_vec()), Object::Integer(12)]);
        assert!(plain.get(0).unwrap().operands.is_empty() && plain.get(11).is_none());
        // Left to lopdf: comments, inline images, operands without an operator.
        assert!(plain_content_operations(b"q % note\n Q").is_none());
        assert!(plain_content_operations(b"BI /W 1 /H 1 ID x EI").is_none());
        assert!(plain_content_operations(b"q 1 2").is_none());
        assert!(parse("99999999999999999999").is_err());
        assert!(parse(&"[".repeat(200)).is_err());
    }
}
