//! What a page paints, and where: the reading of content streams and annotations that both
//! the signature checks ("is there a drawn mark in the Customer box?") and the integrity rules
//! ("did a later revision paint anything outside the signature boxes?") rely on.
//!
//! Content streams are interpreted just far enough to know the bounding box of every painted
//! path, image and text run in page space: the current transformation matrix (`cm`, `q`/`Q`,
//! Form XObject `/Matrix`, PDF 32000-1 8.3–8.4), clipping, and whether the paint can be seen
//! (white colour, zero opacity, invisible text render mode). Annotations are read from their
//! `/Rect`, or their `/InkList` for ink.
//!
//! The two uses err on opposite sides, on purpose: a mark only counts as a signature when it is
//! certainly visible ([`Painted::certainly_visible`]), while any paint at all, visible or not,
//! counts as a change to the page.
//!
//! ```
//! use formtool::pdf::marks::{painted_in_content, Kind};
//! let doc = lopdf::Document::with_version("1.7");
//! let painted = painted_in_content(&doc, b"q 2 0 0 2 10 10 cm 0 0 5 5 re f Q", None);
//! assert_eq!(painted.len(), 1);
//! assert_eq!(painted[0].kind, Kind::Path);
//! assert_eq!((painted[0].bbox.x1, painted[0].bbox.x2), (10.0, 20.0));
//! ```

use lopdf::{Dictionary, Document, Object};

use crate::pdf::Lookup;
use crate::pdf::Rect;
use crate::pdf::view::Objects;
use crate::pdf::{get, number, rect_from, resolve};

/// What was painted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Path,
    Image,
    Text,
}

/// One painted object, in page coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Painted {
    pub kind: Kind,
    pub bbox: Rect,
    /// `Some(true)` when the paint is known to be visible (non-white colour, not transparent,
    /// not clipped away); `Some(false)` when known invisible; `None` when formtool cannot tell
    /// (pattern colours, unknown colour spaces).
    pub visible: Option<bool>,
}

impl Painted {
    pub fn certainly_visible(&self) -> bool {
        self.visible == Some(true)
    }
}

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn concat(m: &Matrix, ctm: &Matrix) -> Matrix {
    [
        m[0] * ctm[0] + m[1] * ctm[2],
        m[0] * ctm[1] + m[1] * ctm[3],
        m[2] * ctm[0] + m[3] * ctm[2],
        m[2] * ctm[1] + m[3] * ctm[3],
        m[4] * ctm[0] + m[5] * ctm[2] + ctm[4],
        m[4] * ctm[1] + m[5] * ctm[3] + ctm[5],
    ]
}

fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
}

#[derive(Debug, Clone)]
struct GraphicsState {
    ctm: Matrix,
    fill: Option<bool>,
    stroke: Option<bool>,
    transparent: bool,
    clip: Option<Rect>,
    font_size: f32,
    leading: f32,
    render_mode: i64,
}

impl Default for GraphicsState {
    fn default() -> Self {
        // Default colour is black (visible).
        GraphicsState {
            ctm: IDENTITY,
            fill: Some(true),
            stroke: Some(true),
            transparent: false,
            clip: None,
            font_size: 12.0,
            leading: 0.0,
            render_mode: 0,
        }
    }
}

/// How deep Form XObjects may nest before the rest is treated as unreadable.
const MAX_XOBJECT_DEPTH: usize = 8;
/// Operations read per content stream: a bound on time for hostile streams.
const MAX_OPERATIONS: usize = 200_000;

/// Everything painted by `content` with `resources`, in page space.
pub fn painted_in_content<D: Objects + ?Sized>(
    doc: &D,
    content: &[u8],
    resources: Option<&Dictionary>,
) -> Vec<Painted> {
    let mut out = Vec::new();
    let mut budget = MAX_OPERATIONS;
    interpret(doc, content, resources, GraphicsState::default(), 0, &mut budget, &mut out);
    out
}

/// Whether a content stream could be read completely (a stream formtool cannot read is never
/// assumed harmless).
pub fn content_is_readable(content: &[u8]) -> bool {
    crate::pdf::revisions::content_operations(content).is_some()
}

fn numbers(operands: &[Object]) -> Vec<f32> {
    operands.iter().filter_map(number).collect()
}

fn is_white(components: &[f32], space: usize) -> bool {
    match space {
        1 => components[0] >= 0.999,
        3 => components.iter().all(|c| *c >= 0.999),
        4 => components.iter().all(|c| *c <= 0.001),
        _ => false,
    }
}

fn colour_visibility(operands: &[Object]) -> Option<bool> {
    let v = numbers(operands);
    if v.len() != operands.len() || !matches!(v.len(), 1 | 3 | 4) {
        return None; // a pattern name or unknown space: cannot tell
    }
    Some(!is_white(&v, v.len()))
}

fn bbox_of(points: &[(f32, f32)]) -> Option<Rect> {
    let first = points.first()?;
    let mut r = Rect::new(first.0, first.1, first.0, first.1);
    for (x, y) in points {
        r.x1 = r.x1.min(*x);
        r.y1 = r.y1.min(*y);
        r.x2 = r.x2.max(*x);
        r.y2 = r.y2.max(*y);
    }
    Some(r)
}

fn clip_to(bbox: Rect, clip: Option<Rect>) -> (Rect, bool) {
    match clip {
        None => (bbox, true),
        Some(c) => {
            let r = Rect::new(bbox.x1.max(c.x1), bbox.y1.max(c.y1), bbox.x2.min(c.x2), bbox.y2.min(c.y2));
            let nonempty = r.x1 <= r.x2 && r.y1 <= r.y2;
            (if nonempty { r } else { bbox }, nonempty)
        }
    }
}

fn emit(out: &mut Vec<Painted>, kind: Kind, bbox: Rect, paint: Option<bool>, gs: &GraphicsState) {
    let (bbox, inside_clip) = clip_to(bbox, gs.clip);
    let visible = if !inside_clip || gs.transparent || paint == Some(false) {
        Some(false)
    } else if gs.clip.is_some() {
        // Clipped to a region: what shows is only the intersection, and that is what we report.
        paint
    } else {
        paint
    };
    out.push(Painted { kind, bbox, visible });
}

fn ext_gstate_transparent<D: Objects + ?Sized>(doc: &D, resources: Option<&Dictionary>, name: &[u8]) -> bool {
    let Some(gs) = resources
        .and_then(|r| get(doc, r, b"ExtGState"))
        .and_then(|e| e.as_dict().ok())
        .and_then(|e| get(doc, e, name))
        .and_then(|g| g.as_dict().ok())
    else {
        return false;
    };
    let zero = |k: &[u8]| get(doc, gs, k).and_then(number).is_some_and(|v| v <= 0.001);
    zero(b"CA") || zero(b"ca")
}

fn interpret<D: Objects + ?Sized>(
    doc: &D,
    content: &[u8],
    resources: Option<&Dictionary>,
    initial: GraphicsState,
    depth: usize,
    budget: &mut usize,
    out: &mut Vec<Painted>,
) {
    let Some(operations) = crate::pdf::revisions::content_operations(content) else { return };
    let mut gs = initial;
    let mut stack: Vec<GraphicsState> = Vec::new();
    let mut path: Vec<(f32, f32)> = Vec::new();
    let mut pending_clip = false;
    let mut current = (0.0f32, 0.0f32);
    let mut tm = IDENTITY;
    let mut tlm = IDENTITY;
    // The numeric operands of the current operation, in one vector reused for all of them
    // (a page has hundreds of operations; a vector each was a large share of its cost).
    let mut v: Vec<f32> = Vec::with_capacity(8);
    for op in operations.iter() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        v.clear();
        v.extend(op.operands.iter().filter_map(number));
        match op.operator {
            "q" if stack.len() < 256 => stack.push(gs.clone()),
            "Q" => {
                if let Some(s) = stack.pop() {
                    gs = s;
                }
            }
            "cm" if v.len() == 6 => gs.ctm = concat(&[v[0], v[1], v[2], v[3], v[4], v[5]], &gs.ctm),
            "g" | "rg" | "k" | "sc" | "scn" => gs.fill = colour_visibility(op.operands),
            "G" | "RG" | "K" | "SC" | "SCN" => gs.stroke = colour_visibility(op.operands),
            "cs" => gs.fill = None,
            "CS" => gs.stroke = None,
            "gs" => {
                if let Some(Ok(name)) = op.operands.first().map(|o| o.as_name()) {
                    gs.transparent = gs.transparent || ext_gstate_transparent(doc, resources, name);
                }
            }
            "m" if v.len() == 2 => {
                current = (v[0], v[1]);
                path.push(apply(&gs.ctm, v[0], v[1]));
            }
            "l" if v.len() == 2 => {
                current = (v[0], v[1]);
                path.push(apply(&gs.ctm, v[0], v[1]));
            }
            "c" if v.len() == 6 => {
                for i in 0..3 {
                    path.push(apply(&gs.ctm, v[2 * i], v[2 * i + 1]));
                }
                current = (v[4], v[5]);
            }
            "v" | "y" if v.len() == 4 => {
                path.push(apply(&gs.ctm, v[0], v[1]));
                path.push(apply(&gs.ctm, v[2], v[3]));
                current = (v[2], v[3]);
            }
            "re" if v.len() == 4 => {
                let (x, y, w, h) = (v[0], v[1], v[2], v[3]);
                for (px, py) in [(x, y), (x + w, y), (x, y + h), (x + w, y + h)] {
                    path.push(apply(&gs.ctm, px, py));
                }
                current = (x, y);
            }
            "h" => {}
            "W" | "W*" => pending_clip = true,
            "S" | "s" | "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" | "n" => {
                let bbox = bbox_of(&path);
                if op.operator != "n"
                    && let Some(b) = bbox
                {
                    let paint = match op.operator {
                        "S" | "s" => gs.stroke,
                        "f" | "F" | "f*" => gs.fill,
                        _ => match (gs.fill, gs.stroke) {
                            (Some(true), _) | (_, Some(true)) => Some(true),
                            (Some(false), Some(false)) => Some(false),
                            _ => None,
                        },
                    };
                    emit(out, Kind::Path, b, paint, &gs);
                }
                if pending_clip {
                    if let Some(b) = bbox {
                        gs.clip = Some(match gs.clip {
                            Some(c) => Rect::new(b.x1.max(c.x1), b.y1.max(c.y1), b.x2.min(c.x2), b.y2.min(c.y2)),
                            None => b,
                        });
                    }
                    pending_clip = false;
                }
                path.clear();
                let _ = current;
            }
            "Do" => {
                let Some(Ok(name)) = op.operands.first().map(|o| o.as_name()) else { continue };
                let Some(xobject) = resources
                    .and_then(|r| get(doc, r, b"XObject"))
                    .and_then(|x| x.as_dict().ok())
                    .and_then(|x| get(doc, x, name))
                    .and_then(|x| x.as_stream().ok())
                else {
                    continue;
                };
                let subtype = xobject.dict.lookup(b"Subtype").and_then(|s| s.as_name()).unwrap_or(b"");
                if subtype == b"Image" {
                    let corners: Vec<(f32, f32)> = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
                        .iter()
                        .map(|(x, y)| apply(&gs.ctm, *x, *y))
                        .collect();
                    if let Some(b) = bbox_of(&corners) {
                        let is_mask = xobject.dict.lookup(b"ImageMask").and_then(|m| m.as_bool()).unwrap_or(false);
                        emit(out, Kind::Image, b, if is_mask { gs.fill } else { Some(true) }, &gs);
                    }
                } else if subtype == b"Form" && depth < MAX_XOBJECT_DEPTH {
                    let matrix = xobject
                        .dict
                        .lookup(b"Matrix")
                        .ok()
                        .and_then(|m| m.as_array().ok())
                        .map(|a| a.iter().filter_map(|o| number(resolve(doc, o))).collect::<Vec<f32>>())
                        .filter(|m| m.len() == 6)
                        .map(|m| [m[0], m[1], m[2], m[3], m[4], m[5]])
                        .unwrap_or(IDENTITY);
                    let mut inner = gs.clone();
                    inner.ctm = concat(&matrix, &gs.ctm);
                    if let Some(bbox) = xobject.dict.find(b"BBox").and_then(|b| rect_from(doc, b)) {
                        let corners: Vec<(f32, f32)> =
                            [(bbox.x1, bbox.y1), (bbox.x2, bbox.y1), (bbox.x1, bbox.y2), (bbox.x2, bbox.y2)]
                                .iter()
                                .map(|(x, y)| apply(&inner.ctm, *x, *y))
                                .collect();
                        if let Some(b) = bbox_of(&corners) {
                            inner.clip = Some(match inner.clip {
                                Some(c) => Rect::new(b.x1.max(c.x1), b.y1.max(c.y1), b.x2.min(c.x2), b.y2.min(c.y2)),
                                None => b,
                            });
                        }
                    }
                    let inner_resources =
                        xobject.dict.find(b"Resources").and_then(|r| resolve(doc, r).as_dict().ok()).or(resources);
                    // A Form XObject may be drawn many times: its bytes are charged to the
                    // budget (one operation per 64 bytes) so repeated large ones end the reading.
                    if *budget == 0 {
                        return;
                    }
                    let Some(bytes) = crate::pdf::limits::content_stream(xobject) else { continue };
                    *budget = budget.saturating_sub(bytes.len() / 64);
                    interpret(doc, &bytes, inner_resources, inner, depth + 1, budget, out);
                }
            }
            "BT" => {
                tm = IDENTITY;
                tlm = IDENTITY;
            }
            "Tf" if v.len() == 1 => gs.font_size = v[0],
            "TL" if v.len() == 1 => gs.leading = v[0],
            "Tr" if v.len() == 1 => gs.render_mode = v[0] as i64,
            "Tm" if v.len() == 6 => {
                tm = [v[0], v[1], v[2], v[3], v[4], v[5]];
                tlm = tm;
            }
            "Td" | "TD" if v.len() == 2 => {
                if op.operator == "TD" {
                    gs.leading = -v[1];
                }
                tlm = concat(&[1.0, 0.0, 0.0, 1.0, v[0], v[1]], &tlm);
                tm = tlm;
            }
            "T*" => {
                tlm = concat(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                tm = tlm;
            }
            "Tj" | "TJ" | "'" | "\"" => {
                if op.operator != "Tj" && op.operator != "TJ" {
                    tlm = concat(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                }
                let chars: usize = op
                    .operands
                    .iter()
                    .map(|o| match o {
                        Object::String(s, _) => s.len(),
                        Object::Array(a) => {
                            a.iter().map(|e| if let Object::String(s, _) = e { s.len() } else { 0 }).sum()
                        }
                        _ => 0,
                    })
                    .sum();
                // Without font metrics, assume glyphs up to one em wide: over-estimating the
                // extent is the safe side for "did this paint outside the boxes".
                let width = chars as f32 * gs.font_size;
                let m = concat(&tm, &gs.ctm);
                let corners: Vec<(f32, f32)> = [
                    (0.0, -0.25 * gs.font_size),
                    (width, -0.25 * gs.font_size),
                    (0.0, gs.font_size),
                    (width, gs.font_size),
                ]
                .iter()
                .map(|(x, y)| apply(&m, *x, *y))
                .collect();
                if let Some(b) = bbox_of(&corners) {
                    let paint = if gs.render_mode == 3 || gs.render_mode == 7 { Some(false) } else { gs.fill };
                    emit(out, Kind::Text, b, paint, &gs);
                }
                tm = concat(&[1.0, 0.0, 0.0, 1.0, width, 0.0], &tm);
            }
            _ => {}
        }
    }
}

/// The content of a page (all its content streams, decoded and joined) and its resources.
/// Content over [`crate::pdf::limits::MAX_CONTENT_BYTES`] reads as empty (nothing counts as drawn).
pub fn page_content(doc: &Document, page_id: lopdf::ObjectId) -> (Vec<u8>, Option<Dictionary>) {
    let content = crate::pdf::limits::page_content(doc, page_id).unwrap_or_default();
    (content, page_resources(doc, page_id))
}

/// A page's own `/Resources` dictionary.
pub fn page_resources<D: Objects + ?Sized>(doc: &D, page_id: lopdf::ObjectId) -> Option<Dictionary> {
    doc.get_dictionary(page_id).ok().and_then(|p| get(doc, p, b"Resources")).and_then(|r| r.as_dict().ok()).cloned()
}

/// Annotation subtypes that draw or stamp: these count as a signature mark in a box.
pub const MARK_ANNOTATIONS: &[&[u8]] = &[b"Ink", b"Stamp", b"PolyLine", b"Polygon", b"Line"];

/// One annotation on a page, as far as the checks care.
#[derive(Debug, Clone)]
pub struct Annotation {
    pub id: Option<lopdf::ObjectId>,
    pub subtype: String,
    /// Where it draws: the ink strokes' bounding box for ink, else `/Rect`.
    pub bbox: Option<Rect>,
    /// Not hidden, not transparent, not white, and with something to draw.
    pub visible: bool,
}

/// The annotations of a page.
pub fn annotations<D: Objects + ?Sized>(doc: &D, page_id: lopdf::ObjectId) -> Vec<Annotation> {
    let Some(Object::Array(annots)) = doc.get_dictionary(page_id).ok().and_then(|p| get(doc, p, b"Annots")) else {
        return Vec::new();
    };
    annots
        .iter()
        .filter_map(|a| {
            let dict = resolve(doc, a).as_dict().ok()?;
            let subtype = String::from_utf8_lossy(get(doc, dict, b"Subtype")?.as_name().ok()?).into_owned();
            let rect = dict.find(b"Rect").and_then(|r| rect_from(doc, r));
            let ink = get(doc, dict, b"InkList").and_then(|l| l.as_array().ok()).map(|strokes| {
                let points: Vec<(f32, f32)> = strokes
                    .iter()
                    .filter_map(|s| resolve(doc, s).as_array().ok())
                    .flat_map(|s| {
                        s.chunks_exact(2).filter_map(|p| Some((number(&p[0])?, number(&p[1])?))).collect::<Vec<_>>()
                    })
                    .collect();
                bbox_of(&points)
            });
            let flags = get(doc, dict, b"F").and_then(|f| f.as_i64().ok()).unwrap_or(0);
            // Hidden (bit 2) or NoView (bit 6) annotations are not shown.
            let hidden = flags & (1 << 1) != 0 || flags & (1 << 5) != 0;
            let transparent = get(doc, dict, b"CA").and_then(number).is_some_and(|v| v <= 0.001);
            let white = get(doc, dict, b"C").and_then(|c| c.as_array().ok()).is_some_and(|c| {
                let v: Vec<f32> = c.iter().filter_map(number).collect();
                v.is_empty() || (v.len() == c.len() && is_white(&v, v.len()))
            });
            let has_ap = get(doc, dict, b"AP").is_some();
            let drawable = has_ap || matches!(ink, Some(Some(_))) || subtype == "Stamp";
            Some(Annotation {
                id: a.as_reference().ok(),
                bbox: ink.flatten().or(rect),
                visible: !hidden && !transparent && !white && drawable,
                subtype,
            })
        })
        .collect()
}

/// Fraction of `inner`'s area that lies inside `outer` (1.0 for a degenerate `inner` inside).
pub fn fraction_inside(inner: &Rect, outer: &Rect) -> f32 {
    let ix = (inner.x2.min(outer.x2) - inner.x1.max(outer.x1)).max(0.0);
    let iy = (inner.y2.min(outer.y2) - inner.y1.max(outer.y1)).max(0.0);
    let area = inner.width() * inner.height();
    if area <= 0.0 {
        return if outer.contains(inner.x1, inner.y1) && outer.contains(inner.x2, inner.y2) { 1.0 } else { 0.0 };
    }
    ix * iy / area
}

/// Whether a painted bounding box is the outline of `bx` itself (the printed box border).
pub fn is_box_outline(bbox: &Rect, bx: &Rect) -> bool {
    (bbox.x1 - bx.x1).abs() < 1.5
        && (bbox.y1 - bx.y1).abs() < 1.5
        && (bbox.x2 - bx.x2).abs() < 1.5
        && (bbox.y2 - bx.y2).abs() < 1.5
}

/// Smallest extent (points) for a mark to count as a signature rather than a dot or smudge.
pub const MIN_MARK_EXTENT: f32 = 12.0;

/// Whether a mark with this bounding box counts as drawn in `bx`: mostly inside it, not the
/// box outline, and larger than a dot.
pub fn counts_as_mark_in(bbox: &Rect, bx: &Rect) -> bool {
    !is_box_outline(bbox, bx)
        && bbox.width().max(bbox.height()) >= MIN_MARK_EXTENT
        && fraction_inside(bbox, bx) >= 0.6
        && bx.contains((bbox.x1 + bbox.x2) / 2.0, (bbox.y1 + bbox.y2) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paint(content: &str) -> Vec<Painted> {
        painted_in_content(&Document::with_version("1.7"), content.as_bytes(), None)
    }

    #[test]
    fn white_and_transparent_paint_is_not_visible() {
        assert_eq!(paint("1 g 0 0 10 10 re f")[0].visible, Some(false));
        assert_eq!(paint("1 1 1 RG 0 0 m 10 10 l S")[0].visible, Some(false));
        assert_eq!(paint("0 0 0 rg 0 0 10 10 re f")[0].visible, Some(true));
        assert_eq!(paint("/P0 scn 0 0 10 10 re f")[0].visible, None);
    }

    #[test]
    fn clipping_away_makes_paint_invisible() {
        let p = paint("0 0 5 5 re W n 100 100 m 120 130 l S");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].visible, Some(false));
    }

    #[test]
    fn transformations_nest() {
        let p = paint("q 1 0 0 1 100 200 cm q 2 0 0 2 0 0 cm 0 0 m 10 5 l S Q Q 0 0 m 1 1 l S");
        assert_eq!(p[0].bbox, Rect::new(100.0, 200.0, 120.0, 210.0));
        assert_eq!(p[1].bbox, Rect::new(0.0, 0.0, 1.0, 1.0));
    }

    #[test]
    fn text_is_reported_as_text() {
        let p = paint("BT /F1 10 Tf 1 0 0 1 50 60 Tm (Sam Lee) Tj ET");
        assert_eq!(p[0].kind, Kind::Text);
        assert!(p[0].bbox.contains(51.0, 61.0));
        assert_eq!(paint("BT 3 Tr /F1 10 Tf (x) Tj ET")[0].visible, Some(false));
    }

    #[test]
    fn marks_must_be_inside_and_bigger_than_a_dot() {
        let bx = Rect::new(40.0, 100.0, 272.0, 156.0);
        assert!(counts_as_mark_in(&Rect::new(60.0, 110.0, 200.0, 140.0), &bx));
        assert!(!counts_as_mark_in(&Rect::new(60.0, 110.0, 63.0, 113.0), &bx));
        assert!(!counts_as_mark_in(&Rect::new(60.0, 20.0, 200.0, 90.0), &bx));
        assert!(!counts_as_mark_in(&bx, &bx));
    }
}
