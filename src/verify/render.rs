//! What a reviewer sees: regions of a page rasterised by `hayro` (pure Rust), the judge of
//! "visible" for drawn signatures and the source of the `--evidence` crops of digital forms.
//!
//! hayro draws the page content and the annotations a viewer shows: it reads each annotation's
//! normal appearance (`/AP /N`, by `/AS` for state dictionaries), skips `/F` Hidden and NoView,
//! honours optional content in the default configuration on marked content (`BDC /OC`) and on
//! XObjects, soft masks, clipping (text clip included), Separation/DeviceN/Indexed colour and
//! blend modes. It does not honour `/OC` on an annotation: this module decides that itself
//! ([`annotation_oc`]) and hides an annotation whose group is off by default before
//! rendering (a copy of the document with the annotation flagged Hidden). When the state
//! cannot be told (a membership dictionary, a broken reference), the region is rendered both
//! ways and a caller asking "is there ink?" must get the same answer from both.
//!
//! Only the region asked for is rasterised: the whole content stream is still interpreted,
//! but paths outside the target are culled, so a signature box costs a fraction of a page.
//!
//! Rendering never panics into the caller: a panic inside the renderer (a hostile file) is
//! caught and reported as a rendering failure, which no check reads as "signed".

use std::panic::{AssertUnwindSafe, catch_unwind};

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_syntax::Pdf;
use hayro::kurbo::{Affine, Rect as KRect};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::vello_cpu::{Pixmap, RasterizerSettings, RenderContext, Resources, TargetInit};
use hayro::{RenderCache, RenderSettings, render_into};
use lopdf::{Document, Object, ObjectId};

use crate::pdf::Lookup;
use crate::pdf::Rect;
use crate::pdf::{get, rect_from, resolve};
use crate::verify::scan::ink::{Ink, Verdict, measure, signature, threshold_at};
use crate::verify::scan::raster::Gray;

/// Pixels per point for judging a box: 2 (144 dpi) resolves a 0.5 pt pen line while keeping
/// a signature box (about 230 × 45 pt) near 40,000 pixels.
pub const PX_PER_PT: f32 = 2.0;

/// Largest region rendered, in pixels per side: a bound on memory for a hostile rectangle.
const MAX_SIDE: f32 = 4000.0;

/// Whether an annotation's optional-content group shows it in the default configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcState {
    /// No `/OC`, or a group that is on.
    Shown,
    /// A group that is off by default.
    Hidden,
    /// A membership dictionary or a reference formtool cannot evaluate.
    Unknown,
}

/// One annotation on a page as the renderer's caller needs it.
#[derive(Debug, Clone)]
pub struct PageAnnotation {
    pub id: Option<ObjectId>,
    pub subtype: String,
    pub rect: Option<Rect>,
    pub has_appearance: bool,
    pub oc: OcState,
}

/// The annotations of page `page_id` with their `/Rect` and optional-content state.
pub fn page_annotations(doc: &Document, page_id: ObjectId) -> Vec<PageAnnotation> {
    let Some(Object::Array(annots)) = doc.get_dictionary(page_id).ok().and_then(|p| get(doc, p, b"Annots")) else {
        return Vec::new();
    };
    let config = OcConfig::of(doc);
    annots
        .iter()
        .filter_map(|a| {
            let dict = resolve(doc, a).as_dict().ok()?;
            let subtype = get(doc, dict, b"Subtype")
                .and_then(|s| s.as_name().ok())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .unwrap_or_default();
            Some(PageAnnotation {
                id: a.as_reference().ok(),
                subtype,
                rect: dict.find(b"Rect").and_then(|r| rect_from(doc, r)),
                has_appearance: get(doc, dict, b"AP").is_some(),
                oc: annotation_oc(doc, dict, &config),
            })
        })
        .collect()
}

/// The default optional-content configuration (`/OCProperties /D`): which groups are off.
struct OcConfig {
    base_off: bool,
    on: Vec<ObjectId>,
    off: Vec<ObjectId>,
}

impl OcConfig {
    fn of(doc: &Document) -> OcConfig {
        let d = doc
            .catalog()
            .ok()
            .and_then(|c| get(doc, c, b"OCProperties"))
            .and_then(|p| p.as_dict().ok())
            .and_then(|p| get(doc, p, b"D"))
            .and_then(|d| d.as_dict().ok());
        let ids = |key: &[u8]| -> Vec<ObjectId> {
            d.and_then(|d| get(doc, d, key))
                .and_then(|a| a.as_array().ok())
                .map(|a| a.iter().filter_map(|o| o.as_reference().ok()).collect())
                .unwrap_or_default()
        };
        let base_off = d.and_then(|d| get(doc, d, b"BaseState")).and_then(|b| b.as_name().ok()) == Some(&b"OFF"[..]);
        OcConfig { base_off, on: ids(b"ON"), off: ids(b"OFF") }
    }

    fn group_on(&self, id: ObjectId) -> bool {
        if self.off.contains(&id) { false } else { !self.base_off || self.on.contains(&id) }
    }
}

/// The optional-content state of an annotation dictionary: a direct group reference is read
/// against the default configuration; anything else is [`OcState::Unknown`].
fn annotation_oc(doc: &Document, dict: &lopdf::Dictionary, config: &OcConfig) -> OcState {
    let Ok(oc) = dict.lookup(b"OC") else { return OcState::Shown };
    let Ok(id) = oc.as_reference() else { return OcState::Unknown };
    let Ok(group) = doc.get_dictionary(id) else { return OcState::Unknown };
    match group.lookup(b"Type").and_then(|t| t.as_name()) {
        Ok(b"OCG") if config.group_on(id) => OcState::Shown,
        Ok(b"OCG") => OcState::Hidden,
        _ => OcState::Unknown,
    }
}

/// A document ready to render: the bytes as hayro reads them, and the annotations it must not
/// draw (hidden by optional content, which hayro ignores on annotations).
pub struct Renderer {
    pdf: Pdf,
}

impl Renderer {
    /// Open `bytes` for rendering, hiding the annotations `hide` (object ids in `doc`, the
    /// same document parsed by lopdf). Hiding re-serialises the document, so it is done only
    /// when there is something to hide.
    pub fn open(bytes: &[u8], doc: &Document, hide: &[ObjectId]) -> Result<Renderer, String> {
        Renderer::of_bytes(if hide.is_empty() { bytes.to_vec() } else { with_hidden(doc, hide)? })
    }

    /// Render a file's bytes as they are.
    pub fn of_bytes(data: Vec<u8>) -> Result<Renderer, String> {
        let pdf = Pdf::new(data).map_err(|e| format!("the renderer cannot open the file ({e:?})"))?;
        Ok(Renderer { pdf })
    }

    /// Number of pages the renderer sees.
    pub fn page_count(&self) -> usize {
        self.pdf.pages().len()
    }

    /// The visible area of page `page` (its crop box within the media box) in page space.
    pub fn page_rect(&self, page: usize) -> Option<Rect> {
        let p = self.pdf.pages().get(page.checked_sub(1)?)?;
        let b = p.intersected_crop_box();
        Some(Rect::new(b.x0 as f32, b.y0 as f32, b.x1 as f32, b.y1 as f32))
    }

    /// Where `rect` (page space) falls, in pixels `(x0, y0, x1, y1)` (end exclusive, clamped
    /// to the image), in the rendering of `region` of `page` at `px_per_pt` ([`Self::region`]).
    pub fn pixel_rect(&self, page: usize, region: &Rect, rect: &Rect, px_per_pt: f32) -> Option<[usize; 4]> {
        let p = self.pdf.pages().get(page.checked_sub(1)?)?;
        let initial = p.initial_transform(true).to_kurbo();
        let k = |r: &Rect| KRect::new(r.x1 as f64, r.y1 as f64, r.x2 as f64, r.y2 as f64);
        let origin = initial.transform_rect_bbox(k(&region.normalized()));
        let t = Affine::scale(px_per_pt as f64) * Affine::translate((-origin.x0, -origin.y0)) * initial;
        let (w, h) = (origin.width() * px_per_pt as f64, origin.height() * px_per_pt as f64);
        let b = t.transform_rect_bbox(k(&rect.normalized()));
        let clamp = |v: f64, max: f64| v.clamp(0.0, max.round()) as usize;
        Some([clamp(b.x0.floor(), w), clamp(b.y0.floor(), h), clamp(b.x1.ceil(), w), clamp(b.y1.ceil(), h)])
    }

    /// Render `rect` (page space, points) of page `page` (1-based) at `px_per_pt`, on white.
    pub fn region(&self, page: usize, rect: &Rect, px_per_pt: f32) -> Result<Gray, String> {
        let rect = rect.normalized();
        let (w, h) = ((rect.width() * px_per_pt).round(), (rect.height() * px_per_pt).round());
        if !(w >= 1.0 && h >= 1.0 && w <= MAX_SIDE && h <= MAX_SIDE) {
            return Err(format!("region {rect:?} cannot be rendered at {px_per_pt} px/pt"));
        }
        let (w, h) = (w as u16, h as u16);
        let pages = self.pdf.pages();
        let page_obj = page
            .checked_sub(1)
            .and_then(|i| pages.get(i))
            .ok_or_else(|| format!("the renderer finds no page {page}"))?;
        let pixmap = catch_unwind(AssertUnwindSafe(|| {
            let initial = page_obj.initial_transform(true).to_kurbo();
            let target = KRect::new(rect.x1 as f64, rect.y1 as f64, rect.x2 as f64, rect.y2 as f64);
            let on_device = initial.transform_rect_bbox(target);
            let transform =
                Affine::scale(px_per_pt as f64) * Affine::translate((-on_device.x0, -on_device.y0)) * initial;
            let cache = RenderCache::new();
            let mut ctx = RenderContext::new(w, h);
            render_into(
                page_obj,
                &cache,
                &InterpreterSettings::default(),
                &RenderSettings::default(),
                &mut ctx,
                transform,
            );
            ctx.flush();
            let mut pixmap = Pixmap::new(w, h);
            ctx.render_with(
                &mut pixmap,
                &mut Resources::default(),
                RasterizerSettings { target_init: TargetInit::Clear(WHITE), ..Default::default() },
            );
            pixmap
        }))
        .map_err(|_| format!("the renderer failed on page {page}"))?;
        let data =
            pixmap.data().iter().map(|p| ((p.r as u32 * 77 + p.g as u32 * 150 + p.b as u32 * 29) >> 8) as u8).collect();
        Ok(Gray { width: w as usize, height: h as usize, data })
    }
}

/// Page 1 of a returned form as the signature checks look at it: its annotations, and the
/// renderers (one, or two when an annotation's optional content cannot be evaluated), opened
/// on first use so that a form whose boxes hold only digital signatures is never rendered.
pub struct PageView<'a> {
    bytes: &'a [u8],
    doc: &'a Document,
    pub page: usize,
    pub annotations: Vec<PageAnnotation>,
    renderers: std::cell::OnceCell<Result<Vec<Renderer>, String>>,
    /// A region holding every box that will be judged (see [`PageView::judging`]), rendered
    /// once per renderer: each render interprets the whole page, so one render for three
    /// boxes costs a third of three.
    judged: Option<Rect>,
    judged_renders: std::cell::OnceCell<Vec<Result<Gray, String>>>,
}

impl<'a> PageView<'a> {
    pub fn new(bytes: &'a [u8], doc: &'a Document, page: usize) -> PageView<'a> {
        let annotations = doc.get_pages().get(&(page as u32)).map(|id| page_annotations(doc, *id)).unwrap_or_default();
        PageView {
            bytes,
            doc,
            page,
            annotations,
            renderers: std::cell::OnceCell::new(),
            judged: None,
            judged_renders: std::cell::OnceCell::new(),
        }
    }

    /// Render `region` (which holds every box [`PageView::drawn_signature`] will judge) once,
    /// and judge each box on its part of that picture.
    pub fn judging(mut self, region: Rect) -> PageView<'a> {
        self.judged = Some(region.normalized());
        self
    }

    /// `bx` as renderer `i` shows it: cut from the shared render when it holds the box.
    fn box_image(&self, i: usize, renderer: &Renderer, bx: &Rect) -> Result<Gray, String> {
        let b = bx.normalized();
        let Some(region) = self.judged.filter(|u| u.x1 <= b.x1 && u.y1 <= b.y1 && u.x2 >= b.x2 && u.y2 >= b.y2) else {
            return renderer.region(self.page, bx, PX_PER_PT);
        };
        let renders = self.judged_renders.get_or_init(|| {
            self.renderers()
                .map(|all| all.iter().map(|r| r.region(self.page, &region, PX_PER_PT)).collect())
                .unwrap_or_default()
        });
        let whole = match renders.get(i) {
            Some(Ok(img)) => img,
            _ => return renderer.region(self.page, bx, PX_PER_PT),
        };
        let Some([x0, y0, x1, y1]) = renderer.pixel_rect(self.page, &region, &b, PX_PER_PT) else {
            return renderer.region(self.page, bx, PX_PER_PT);
        };
        let (x1, y1) = (x1.min(whole.width), y1.min(whole.height));
        if x1 <= x0 || y1 <= y0 {
            return renderer.region(self.page, bx, PX_PER_PT);
        }
        let mut data = Vec::with_capacity((x1 - x0) * (y1 - y0));
        for y in y0..y1 {
            data.extend_from_slice(&whole.data[y * whole.width + x0..y * whole.width + x1]);
        }
        Ok(Gray { width: x1 - x0, height: y1 - y0, data })
    }

    /// The renderers: the page as a viewer shows it by default and, when some annotation's
    /// optional content is unknown, the page without those annotations too.
    fn renderers(&self) -> Result<&[Renderer], String> {
        let made = self.renderers.get_or_init(|| {
            let ids = |s: OcState| -> Vec<ObjectId> {
                self.annotations.iter().filter(|a| a.oc == s).filter_map(|a| a.id).collect()
            };
            let hidden = ids(OcState::Hidden);
            let mut out = vec![Renderer::open(self.bytes, self.doc, &hidden)?];
            let unknown = ids(OcState::Unknown);
            if !unknown.is_empty() {
                let both: Vec<ObjectId> = hidden.iter().chain(&unknown).copied().collect();
                out.push(Renderer::open(self.bytes, self.doc, &both)?);
            }
            Ok(out)
        });
        made.as_deref().map_err(Clone::clone)
    }

    /// `rect` as the viewer shows it by default.
    pub fn crop(&self, rect: &Rect, px_per_pt: f32) -> Result<Gray, String> {
        self.renderers()?[0].region(self.page, rect, px_per_pt)
    }

    /// What the rendered box `bx` holds, judged as the scan reader judges a signature box:
    /// strokes across its width and height, not a dot, not a solid blot. With two renderings
    /// (unknown optional content) the box must hold a signature in both; the worse one is
    /// returned.
    ///
    /// `typed` are the places of typed text (text runs, FreeText annotations): a typed name is
    /// never a signature, so those pixels are painted back to paper before measuring.
    pub fn drawn_signature(&self, bx: &Rect, typed: &[Rect]) -> Result<(Verdict, Ink), String> {
        let mut worst: Option<(Verdict, Ink)> = None;
        for (i, renderer) in self.renderers()?.iter().enumerate() {
            let mut img = self.box_image(i, renderer, bx)?;
            for t in typed {
                let grown = Rect::new(t.x1 - 1.0, t.y1 - 1.0, t.x2 + 1.0, t.y2 + 1.0);
                if let Some([x0, y0, x1, y1]) = renderer.pixel_rect(self.page, bx, &grown, PX_PER_PT) {
                    for y in y0..y1.min(img.height) {
                        img.data[y * img.width + x0.min(img.width)..y * img.width + x1.min(img.width)].fill(255);
                    }
                }
            }
            let judged = judge_signature(&img, PX_PER_PT);
            if worst.is_none_or(|(v, _)| v == Verdict::Marked) {
                worst = Some(judged);
            }
        }
        worst.ok_or_else(|| "nothing rendered".to_string())
    }
}

/// Inset of the measured interior from the box edge, in points: the printed outline (1 pt)
/// and its anti-aliased fringe are not ink.
const INTERIOR_INSET: f32 = 2.0;

/// Judge a rendered signature box (`r` pixels per point) with the scan reader's measure. On a
/// rendering, paper is white and solid black is 0; ink is what is darker than three quarters
/// of the way to the paper, so any pen colour a reader can make out on white counts, and a
/// pale yellow or white-on-white stroke does not.
pub fn judge_signature(img: &Gray, r: f32) -> (Verdict, Ink) {
    let inset = (INTERIOR_INSET * r).ceil() as usize;
    let interior = (inset, inset, img.width.saturating_sub(inset), img.height.saturating_sub(inset));
    let ink = measure(img, interior, r, threshold_at(0, 255, 0.75));
    (signature(&ink), ink)
}

/// A reader's words for what a rendered box holds.
pub fn describe(verdict: Verdict, ink: &Ink) -> String {
    match verdict {
        Verdict::Blank => "the rendered box shows no ink".to_string(),
        Verdict::Uncertain => format!(
            "the rendered box shows only a mark that is not pen strokes ({} piece(s), {:.0}% of the width, {:.0}% of the height, longest {:.0} pt, {:.0}% solid)",
            ink.strokes,
            ink.span_x * 100.0,
            ink.span_y * 100.0,
            ink.longest_stroke,
            ink.solidity * 100.0
        ),
        Verdict::Marked => format!(
            "rendered: strokes across {:.0}% of the width and {:.0}% of the height",
            ink.span_x * 100.0,
            ink.span_y * 100.0
        ),
    }
}

/// `doc` re-serialised with the annotations `hide` flagged Hidden (bit 2 of `/F`).
fn with_hidden(doc: &Document, hide: &[ObjectId]) -> Result<Vec<u8>, String> {
    let mut copy = doc.clone();
    for id in hide {
        if let Ok(dict) = copy.get_dictionary_mut(*id) {
            let flags = dict.lookup(b"F").and_then(|f| f.as_i64()).unwrap_or(0);
            dict.set("F", Object::Integer(flags | 2));
        }
    }
    let mut out = Vec::new();
    copy.save_to(&mut out).map_err(|e| format!("cannot prepare the page for rendering: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_of_the_blank_form_renders_on_white() {
        let pdf = crate::form::template::blank_form();
        let doc = Document::load_mem(&pdf).unwrap();
        let r = Renderer::open(&pdf, &doc, &[]).unwrap();
        // A patch of empty margin is paper; the title line is dark.
        let margin = r.region(1, &Rect::new(300.0, 2.0, 340.0, 12.0), 2.0).unwrap();
        assert!(margin.data.iter().all(|v| *v > 250), "margin not white");
        assert_eq!((margin.width, margin.height), (80, 20));
        assert!(r.region(2, &Rect::new(0.0, 0.0, 10.0, 10.0), 2.0).is_err());
        assert!(r.region(1, &Rect::new(0.0, 0.0, 0.0, 10.0), 2.0).is_err());
    }
}
