//! Integrity by pixels: the second line behind the object rules of [`crate::verify::integrity`].
//!
//! For each signed revision, the pages as signed and the pages of the final file are rendered
//! ([`crate::verify::render`]) and compared outside the regions the parties may still change: the
//! signature boxes, and the widgets (as placed at that signature) of the fields that were
//! blank, unticked or unsigned then. Any other pixel that differs beyond anti-aliasing means
//! the reviewer sees something the signers did not sign; the detail names the page and the
//! region, and `--evidence` gets the signed and the final rendering of it side by side.
//!
//! Rendering costs (a Letter page is tens of milliseconds), so it is spent only when it can
//! find something. A signed revision is compared only if some object changed after it that
//! could paint outside the allowed regions. Only objects that existed at the signature and
//! changed are looked at (a new object paints only through one that refers to it). One cannot
//! paint elsewhere when it is: a signature value
//! (`/ByteRange`); a field or widget dictionary that already existed at the signature with the
//! same `/Rect`, `/F`, `/OC` and page (its appearance is clipped to its rectangle, so it paints
//! only there); an appearance stream of such a widget; the catalog with the same `/Pages` and
//! `/OCProperties`; the AcroForm dictionary; metadata and validation data that no page uses as
//! its content. Everything else (page objects, content streams and resources, annotation
//! arrays, new annotations or widgets, a moved widget, a freed object, a file the fast reader
//! could not map) triggers the comparison. The normal fill-and-sign sequence touches only
//! the first kind, so a well-formed form is never rendered here.

use std::collections::BTreeSet;

use lopdf::{Document, Object, ObjectId};

use crate::pdf::Lookup;
use crate::pdf::revisions::Location;
use crate::pdf::view::Objects;
use crate::pdf::{FieldKind, Rect};
use crate::pdf::{get, is_ticked};
use crate::verify::render::Renderer;
use crate::verify::returned::{Returned, Revision, relocated};
use crate::verify::scan::raster::Gray;

/// Pixels per point for the comparison: 1 (72 dpi) shows any change a reader could make out
/// on screen at 100 %, at a quarter of the cost of 144 dpi.
const COMPARE_PX_PER_PT: f32 = 1.0;
/// Pixels per point of the evidence crops.
const EVIDENCE_PX_PER_PT: f32 = 2.0;
/// Grey levels two renderings may differ by at one pixel and still be the same picture.
const TOLERANCE: u8 = 48;
/// Differing pixels tolerated (isolated anti-aliasing seams); more is a change.
const MAX_STRAY_PIXELS: usize = 4;
/// How far a signature field added after a signature may reach past its box's edge, in points.
const NEW_SIGNATURE_TOLERANCE: f32 = 6.0;

/// Margin around an allowed region, in points: a widget's border and its anti-aliased edge.
const ALLOWED_MARGIN: f32 = 2.0;

/// A visible change after a signature.
pub struct PixelChange {
    /// 1-based number of the signed revision, and the field of its signature.
    pub revision: usize,
    pub field: String,
    pub page: usize,
    /// The bounding box of the differing pixels, in page space (points).
    pub region: Rect,
    /// The region as signed and as it is now, side by side, for `--evidence`.
    pub side_by_side: Option<Gray>,
}

impl PixelChange {
    pub fn describe(&self) -> String {
        format!(
            "page {} looks different from what {} signed (revision {}) outside the fields that may change, \
             in the region x {:.0}-{:.0}, y {:.0}-{:.0} pt",
            self.page, self.field, self.revision, self.region.x1, self.region.x2, self.region.y1, self.region.y2
        )
    }
}

/// Compare every signed revision with the final file where an object changed that could paint
/// outside the allowed regions. `boxes` are the signature boxes (page, rectangle).
/// With `always`, every signed revision is compared (for the evidence of a failure the object
/// rules found).
pub fn compare(form: &Returned, boxes: &[(usize, Rect)], always: bool) -> Result<Option<PixelChange>, String> {
    let Some(last) = form.revisions.last() else { return Ok(None) };
    let mut signed: Vec<(usize, String)> =
        form.signatures.iter().filter_map(|s| Some((s.revision?, s.field.clone()))).collect();
    signed.sort();
    let mut now: Option<Renderer> = None;
    let mut finals = None;
    for (index, field) in signed {
        let Some(rev) = form.revisions.get(index) else { continue };
        if index + 1 >= form.revisions.len() || !(always || may_paint_elsewhere(form, index, &mut finals)) {
            continue;
        }
        if now.is_none() {
            now = Some(Renderer::of_bytes(form.bytes.to_vec())?);
        }
        let Some(now) = now.as_ref() else { continue };
        let bytes = form.bytes.get(..rev.end).ok_or("a signed revision ends past the file")?;
        let then = Renderer::of_bytes(bytes.to_vec())?;
        let allowed = allowed_regions(rev, last, boxes);
        if let Some(change) = compare_pages(&then, now, &allowed, rev.number, &field)? {
            return Ok(Some(change));
        }
    }
    Ok(None)
}

/// Signed revisions (1-based numbers) whose pages [`compare`] would render: those after
/// which some object changed that could paint outside the allowed regions.
pub fn revisions_to_render(form: &Returned) -> Vec<usize> {
    let count = form.revisions.len();
    let mut finals = None;
    let mut out: Vec<usize> = form
        .signatures
        .iter()
        .filter_map(|s| s.revision)
        .filter(|i| i + 1 < count && may_paint_elsewhere(form, *i, &mut finals))
        .filter_map(|i| form.revisions.get(i))
        .map(|rev| rev.number)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn compare_pages(
    then: &Renderer,
    now: &Renderer,
    allowed: &[(usize, Rect)],
    revision: usize,
    field: &str,
) -> Result<Option<PixelChange>, String> {
    let change = |page: usize, region: Rect| PixelChange {
        revision,
        field: field.to_string(),
        page,
        region,
        side_by_side: side_by_side(then, now, page, &region),
    };
    for page in 1..=then.page_count().max(now.page_count()) {
        let (Some(a), Some(b)) = (then.page_rect(page), now.page_rect(page)) else {
            let r = then.page_rect(page).or(now.page_rect(page)).unwrap_or(Rect::new(0.0, 0.0, 612.0, 792.0));
            return Ok(Some(change(page, r)));
        };
        if a != b {
            return Ok(Some(change(page, b)));
        }
        let s = COMPARE_PX_PER_PT;
        let (img_then, img_now) = (then.region(page, &a, s)?, now.region(page, &a, s)?);
        let (w, h) = (img_then.width, img_then.height);
        let mut mask = vec![false; w * h];
        for (_, r) in allowed.iter().filter(|(p, _)| *p == page) {
            let grown =
                Rect::new(r.x1 - ALLOWED_MARGIN, r.y1 - ALLOWED_MARGIN, r.x2 + ALLOWED_MARGIN, r.y2 + ALLOWED_MARGIN);
            if let Some([x0, y0, x1, y1]) = now.pixel_rect(page, &a, &grown, s) {
                for y in y0..y1.min(h) {
                    mask[y * w + x0.min(w)..y * w + x1.min(w)].iter_mut().for_each(|m| *m = true);
                }
            }
        }
        let (mut n, mut bx) = (0usize, [usize::MAX, usize::MAX, 0, 0]);
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                if !mask[i] && img_then.data[i].abs_diff(img_now.data[i]) > TOLERANCE {
                    n += 1;
                    bx = [bx[0].min(x), bx[1].min(y), bx[2].max(x + 1), bx[3].max(y + 1)];
                }
            }
        }
        if n > MAX_STRAY_PIXELS {
            // Pixel rows run down from the top of the visible area.
            let region = Rect::new(
                a.x1 + bx[0] as f32 / s,
                a.y2 - bx[3] as f32 / s,
                a.x1 + bx[2] as f32 / s,
                a.y2 - bx[1] as f32 / s,
            );
            return Ok(Some(change(page, region)));
        }
    }
    Ok(None)
}

/// The region as signed (left) and as it is now (right), with a grey rule between them.
fn side_by_side(then: &Renderer, now: &Renderer, page: usize, region: &Rect) -> Option<Gray> {
    let pad = 6.0;
    let r = Rect::new(region.x1 - pad, region.y1 - pad, region.x2 + pad, region.y2 + pad);
    let s = EVIDENCE_PX_PER_PT;
    let (a, b) = (then.region(page, &r, s).ok()?, now.region(page, &r, s).ok()?);
    if (a.width, a.height) != (b.width, b.height) {
        return None;
    }
    let gap = 8;
    let (w, h) = (a.width * 2 + gap, a.height);
    let mut out = Gray::white(w, h).ok()?;
    for y in 0..h {
        out.data[y * w..y * w + a.width].copy_from_slice(&a.data[y * a.width..(y + 1) * a.width]);
        out.data[y * w + a.width + gap..(y + 1) * w].copy_from_slice(&b.data[y * b.width..(y + 1) * b.width]);
        out.data[y * w + a.width + gap / 2] = 128;
    }
    Some(out)
}

/// Where the parties may still change the look after signature `rev`: the signature boxes, the
/// widgets (as placed then) of fields that were blank, unticked or unsigned, and the widgets
/// of signature fields added since that lie within a signature box (a signer's stamp may
/// overlap its own box's edge by a few points; anywhere else it is a change like any other).
fn allowed_regions(rev: &Revision, last: &Revision, boxes: &[(usize, Rect)]) -> Vec<(usize, Rect)> {
    let mut out = boxes.to_vec();
    let in_a_box = |page: usize, r: &Rect| {
        let r = r.normalized();
        boxes.iter().any(|(p, b)| {
            *p == page
                && r.x1 >= b.x1 - NEW_SIGNATURE_TOLERANCE
                && r.y1 >= b.y1 - NEW_SIGNATURE_TOLERANCE
                && r.x2 <= b.x2 + NEW_SIGNATURE_TOLERANCE
                && r.y2 <= b.y2 + NEW_SIGNATURE_TOLERANCE
        })
    };
    for f in last.fields.iter().filter(|f| f.field_type == "Sig") {
        if !rev.fields.iter().any(|old| old.name == f.name) {
            let placed = f.widgets.iter().filter_map(|w| Some((w.page?, w.rect?)));
            out.extend(placed.filter(|(page, r)| in_a_box(*page, r)));
        }
    }
    for f in &rev.fields {
        let open = match f.kind {
            Some(FieldKind::Checkbox) => !is_ticked(f.value.as_deref()),
            _ => f.value.as_deref().is_none_or(|v| v.trim().is_empty()),
        } || f.field_type == "Sig";
        if open {
            out.extend(f.widgets.iter().filter_map(|w| Some((w.page?, w.rect?))));
        }
    }
    out
}

/// What [`may_paint_elsewhere`] needs of the final document, worked out once per form.
struct FinalPages {
    /// Every page's content streams.
    contents: Vec<ObjectId>,
    /// The objects reachable from the pages' resources and content.
    on_pages: BTreeSet<ObjectId>,
}

impl FinalPages {
    fn of(new: &Document) -> FinalPages {
        let page_roots: Vec<&Object> = new
            .get_pages()
            .values()
            .filter_map(|p| new.get_dictionary(*p).ok())
            .flat_map(|p| [p.find(b"Resources"), p.find(b"Contents")])
            .flatten()
            .collect();
        FinalPages { contents: page_contents(new), on_pages: reachable(new, page_roots) }
    }
}

/// Whether some object changed between signed revision `index` (into [`Returned::revisions`])
/// and the final file that could paint outside the allowed regions (see the module doc for the
/// rule). `finals` keeps [`FinalPages`] from one signed revision to the next.
fn may_paint_elsewhere(form: &Returned, index: usize, finals: &mut Option<FinalPages>) -> bool {
    let (Some(rev), Some(last)) = (form.revisions.get(index), form.revisions.last()) else { return true };
    let (Some(before), Some(after)) = (rev.locations.as_ref(), last.locations.as_ref()) else {
        return true;
    };
    // New objects cannot paint by themselves: only through an object that refers to them
    // (a page, its resources, its annotation list, a widget), and that one then changed.
    let changed: Vec<u32> = relocated(after, before).map(|(number, _)| number).collect();
    if changed.is_empty() {
        return false;
    }
    // Freed in the final file, or gone from its map.
    if before.keys().any(|n| !after.contains_key(n)) {
        return true;
    }
    let (old, new) = (&form.view(index), form.latest());
    let FinalPages { contents: final_contents, on_pages } = finals.get_or_insert_with(|| FinalPages::of(new));
    let contents = page_contents(old).into_iter().chain(final_contents.iter().copied()).collect::<BTreeSet<_>>();
    let kept_widgets = kept_widgets(old, new, rev, last);
    // What the kept widgets' appearances use (fonts, resources) paints only inside those
    // widgets, unless a page's own content uses it too.
    let ap_roots: Vec<Object> =
        kept_widgets.iter().flat_map(|w| appearance_streams(new, *w)).map(Object::Reference).collect();
    let appearances: BTreeSet<ObjectId> =
        reachable(new, ap_roots.iter().collect()).into_iter().filter(|id| !on_pages.contains(id)).collect();
    let acroform = new.catalog().ok().and_then(|c| c.find(b"AcroForm")).and_then(|a| a.as_reference().ok());
    let may_paint = |number: u32| {
        let Some(Location::At(_, generation)) = after.get(&number) else { return true };
        let id = (number, *generation);
        if contents.contains(&id) {
            return true;
        }
        match new.get_object(id) {
            Ok(Object::Dictionary(d)) => {
                let kind = d.lookup(b"Type").and_then(|t| t.as_name()).ok();
                if d.find(b"ByteRange").is_some() || Some(id) == acroform || kept_widgets.contains(&id) {
                    false
                } else if matches!(kind, Some(b"Catalog")) {
                    let same = |key: &[u8]| old.catalog().ok().and_then(|c| c.find(key)) == d.find(key);
                    !(same(b"Pages") && same(b"OCProperties"))
                } else {
                    // Validation data (DSS, VRI) and the info dictionary paint nothing.
                    !d.iter().all(|(k, _)| VALIDATION_KEYS.contains(&k.as_slice()) || is_vri_key(k))
                }
            }
            Ok(Object::Stream(st)) => {
                // A drawing stream is harmless only as the appearance of a kept widget; a bare
                // data stream (a certificate, an OCSP response, a CRL) or metadata paints nothing.
                let kind = st.dict.lookup(b"Type").and_then(|t| t.as_name()).ok();
                let bare = st.dict.iter().all(|(k, _)| matches!(k.as_slice(), b"Length" | b"Filter" | b"DecodeParms"));
                !(appearances.contains(&id)
                    || matches!(kind, Some(b"XRef") | Some(b"ObjStm") | Some(b"Metadata"))
                    || bare)
            }
            Ok(Object::Array(_)) | Err(_) => true,
            Ok(_) => false,
        }
    };
    // Nor can an object that nothing in the final file refers to: a viewer draws only what it
    // reaches from the trailer. (poppler's signer, for one, rewrites the appearance it replaces
    // under a new generation and leaves it orphaned.) Worked out only for an object that
    // could otherwise paint, which the usual fill-and-sign sequence never has.
    let mut referenced: Option<Option<BTreeSet<u32>>> = None;
    changed.into_iter().any(|number| {
        may_paint(number)
            && referenced.get_or_insert_with(|| referenced_numbers(new)).as_ref().is_none_or(|r| r.contains(&number))
    })
}

/// Keys of the dictionaries that carry validation data or document information only.
const VALIDATION_KEYS: &[&[u8]] = &[
    b"Type",
    b"Certs",
    b"OCSPs",
    b"CRLs",
    b"VRI",
    b"Cert",
    b"OCSP",
    b"CRL",
    b"TU",
    b"TS",
    b"Title",
    b"Author",
    b"Subject",
    b"Keywords",
    b"Creator",
    b"Producer",
    b"CreationDate",
    b"ModDate",
    b"Trapped",
];

/// A `/VRI` key: the hex SHA-1 of a signature value.
fn is_vri_key(key: &[u8]) -> bool {
    key.len() == 40 && key.iter().all(u8::is_ascii_hexdigit)
}

/// Objects reachable by reference from `roots` (at most [`MAX_REACHABLE`]; past that the walk
/// stops, which only makes fewer objects count as harmless).
fn reachable<'a>(doc: &'a Document, roots: Vec<&'a Object>) -> BTreeSet<ObjectId> {
    walk_references(doc, roots, false).0
}

/// The numbers of the objects reachable from `doc`'s trailer, with references followed by
/// number alone (some viewers resolve `5 0 R` to object 5 whatever its generation), or `None`
/// when the walk reaches [`MAX_REACHABLE`] objects: then every object counts as reachable.
fn referenced_numbers(doc: &Document) -> Option<BTreeSet<u32>> {
    let (seen, complete) = walk_references(doc, doc.trailer.iter().map(|(_, v)| v).collect(), true);
    complete.then(|| seen.into_iter().map(|(number, _)| number).collect())
}

/// The objects reachable by reference from `roots`, and whether the walk saw them all (it stops
/// at [`MAX_REACHABLE`]). With `by_number`, a reference reaches every object of its number,
/// whatever generation it names, and the set holds `(number, 0)` for each number reached.
fn walk_references<'a>(doc: &'a Document, roots: Vec<&'a Object>, by_number: bool) -> (BTreeSet<ObjectId>, bool) {
    let mut seen = BTreeSet::new();
    let mut stack = roots;
    while let Some(obj) = stack.pop() {
        match obj {
            Object::Reference(id) => {
                let key = if by_number { (id.0, 0) } else { *id };
                if seen.contains(&key) {
                    continue;
                }
                if seen.len() >= MAX_REACHABLE {
                    return (seen, false);
                }
                seen.insert(key);
                if by_number {
                    stack.extend(doc.objects.range((id.0, 0)..=(id.0, u16::MAX)).map(|(_, o)| o));
                } else if let Ok(o) = doc.get_object(*id) {
                    stack.push(o);
                }
            }
            // Only what can hold a reference is worth a place on the stack: a font's widths
            // array alone has over a thousand numbers.
            Object::Array(a) => stack.extend(a.iter().filter(|o| may_refer(o))),
            Object::Dictionary(d) => stack.extend(d.iter().map(|(_, v)| v).filter(|o| may_refer(o))),
            Object::Stream(st) => stack.extend(st.dict.iter().map(|(_, v)| v).filter(|o| may_refer(o))),
            _ => {}
        }
    }
    (seen, true)
}

/// Whether `object` is or may hold a reference.
fn may_refer(object: &Object) -> bool {
    matches!(object, Object::Reference(_) | Object::Array(_) | Object::Dictionary(_) | Object::Stream(_))
}

/// Bound on [`reachable`]: a real form's page uses a few hundred objects.
const MAX_REACHABLE: usize = 20_000;

/// Object ids of every page's content streams.
fn page_contents(doc: &dyn Objects) -> Vec<ObjectId> {
    let mut out = Vec::new();
    for page in doc.get_pages().values() {
        let Ok(dict) = doc.get_dictionary(*page) else { continue };
        match dict.lookup(b"Contents") {
            Ok(Object::Reference(r)) => {
                out.push(*r);
                if let Ok(Object::Array(a)) = doc.get_object(*r) {
                    out.extend(a.iter().filter_map(|o| o.as_reference().ok()));
                }
            }
            Ok(Object::Array(a)) => out.extend(a.iter().filter_map(|o| o.as_reference().ok())),
            _ => {}
        }
    }
    out
}

/// Widget (or merged field-widget) dictionaries present at the signature and in the final
/// file, on the same page, with the same `/Rect`, `/OC` and visibility flags.
fn kept_widgets(old: &dyn Objects, new: &Document, rev: &Revision, last: &Revision) -> BTreeSet<ObjectId> {
    let mut out = BTreeSet::new();
    let before: Vec<_> = rev.fields.iter().flat_map(|f| &f.widgets).collect();
    for w in last.fields.iter().flat_map(|f| &f.widgets) {
        let Some(id) = w.id else { continue };
        let Some(then) = before.iter().find(|b| b.id == Some(id)) else { continue };
        if then.page != w.page || then.rect != w.rect {
            continue;
        }
        // Only the flags that change what a screen shows (Invisible, Hidden, NoView) count.
        let shown = |d: &lopdf::Dictionary| d.lookup(b"F").and_then(|f| f.as_i64()).unwrap_or(0) & 0b10_0011;
        let same = match (old.get_dictionary(id), new.get_dictionary(id)) {
            (Ok(a), Ok(b)) => shown(a) == shown(b) && a.find(b"OC") == b.find(b"OC"),
            // Not readable as it was: kept only if it is plainly shown now, as printed forms are.
            (_, Ok(b)) => shown(b) == 0 && b.find(b"OC").is_none(),
            _ => false,
        };
        if same {
            out.insert(id);
        }
    }
    out
}

/// The appearance streams of an annotation: `/AP /N` (and `/D`, `/R`), each a stream or a
/// dictionary of states.
fn appearance_streams(doc: &Document, annot: ObjectId) -> Vec<ObjectId> {
    let mut out = Vec::new();
    let Ok(dict) = doc.get_dictionary(annot) else { return out };
    let Some(Object::Dictionary(ap)) = get(doc, dict, b"AP") else { return out };
    for (_, entry) in ap.iter() {
        match entry {
            Object::Reference(r) => {
                out.push(*r);
                if let Ok(Object::Dictionary(states)) = doc.get_object(*r) {
                    out.extend(states.iter().filter_map(|(_, v)| v.as_reference().ok()));
                }
            }
            Object::Dictionary(states) => out.extend(states.iter().filter_map(|(_, v)| v.as_reference().ok())),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{Stream, dictionary};

    /// A catalog, a page tree with one page whose content is `5 0 R`, and the objects given.
    fn document(extra: Vec<(ObjectId, Object)>) -> Document {
        let mut doc = Document::new();
        doc.objects.insert((1, 0), Object::Dictionary(dictionary! { "Type" => "Catalog", "Pages" => (2, 0) }));
        doc.objects.insert(
            (2, 0),
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![(3, 0).into()], "Count" => 1 }),
        );
        doc.objects.insert(
            (3, 0),
            Object::Dictionary(dictionary! { "Type" => "Page", "Parent" => (2, 0), "Contents" => (5, 0) }),
        );
        for (id, object) in extra {
            doc.objects.insert(id, object);
        }
        doc.trailer.set("Root", (1, 0));
        doc
    }

    #[test]
    fn objects_count_as_referenced_by_number_and_orphans_do_not() {
        let paint = || Object::Stream(Stream::new(dictionary! {}, b"0 0 612 792 re f".to_vec()));
        // The page refers to `5 0 R`; the file has object 5 only at generation 1. A viewer that
        // resolves by number draws it, so it counts; object 6 nothing refers to.
        let doc = document(vec![((5, 1), paint()), ((6, 1), paint())]);
        let referenced = referenced_numbers(&doc).unwrap();
        assert!(referenced.contains(&5));
        assert!(!referenced.contains(&6));
        // What object 5 refers to is followed too, whatever generation the reference names.
        let doc = document(vec![
            ((5, 0), Object::Stream(Stream::new(dictionary! { "Resources" => (7, 3) }, Vec::new()))),
            ((7, 0), Object::Dictionary(dictionary! { "XObject" => dictionary! { "X" => (8, 0) } })),
            ((8, 0), paint()),
        ]);
        let referenced = referenced_numbers(&doc).unwrap();
        assert!([1, 2, 3, 5, 7, 8].iter().all(|n| referenced.contains(n)), "{referenced:?}");
    }

    #[test]
    fn a_walk_past_its_bound_counts_everything_as_referenced() {
        // A chain longer than the bound: the walk gives up rather than call the rest orphans.
        let chain: Vec<(ObjectId, Object)> = (10..10 + MAX_REACHABLE as u32 + 5)
            .map(|n| ((n, 0), Object::Dictionary(dictionary! { "Next" => (n + 1, 0) })))
            .collect();
        let mut doc = document(chain);
        doc.trailer.set("Info", (10, 0));
        assert!(referenced_numbers(&doc).is_none());
    }
}
