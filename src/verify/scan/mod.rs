//! The scanned-form reader: a form printed, signed in ink and scanned back to PDF (one picture
//! per page, any order, a few degrees of skew or upside down, 150–600 dpi, colour, grey or
//! bi-level) read into the checks of SPEC section 5.
//!
//! Per page: decode the picture to grey ([`raster`]), even out uneven lighting ([`levels`]),
//! find the four registration marks and fit the page transform ([`align`]), read the QR page code in its box (rqrr on an upright,
//! resampled crop), and measure the ink inside each signature box, checkbox and admin field
//! the form has on that page ([`ink`]).
//!
//! Which form: a page is tried as each form in turn until its code reads — the embedded form
//! (one frame for every page), then each `--profile`'s pages that `fill --form` stamped with
//! marks and a code (each page its own size and mark positions). The code says which page it
//! is and must sit in that page's code box; the boxes come from that form's model, page by
//! page, so a foreign form with its signatures on page 2 is read from page 2.
//!
//! The page code supplies what handwriting cannot be trusted for: the Microsoft IDs, both
//! admin contacts, the subscription count, and which page of which form this is. A page whose code cannot be read makes the form not ready: without it formtool
//! cannot tell the page belongs to this transfer.
//!
//! Assembling the pages: a page without marks that carries nothing (a duplex scan's back
//! side, [`levels::is_blank`]) is skipped and named. A page in the scan twice is accepted when
//! the copies agree — each copy is measured and must read the same in every box — and refused
//! when they differ, for then they are different sheets.
//!
//! With `--evidence DIR`, every box is written as an upright PNG crop, as formtool saw it, so a
//! person can check an "uncertain" verdict in seconds.
//!
//! ```no_run
//! let pdf = std::fs::read("returned/fabrikam-scan.pdf").unwrap();
//! let report = formtool::verify::checks::verify_bytes("fabrikam-scan.pdf", &pdf, &Default::default());
//! for check in &report.checks {
//!     println!("{} {} {}", check.id, check.ok, check.detail);
//! }
//! ```

pub mod align;
pub mod ink;
pub mod levels;
pub mod qr;
pub mod raster;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lopdf::Document;

use crate::form::code::{
    KEY_CURRENT_PARTNER_ADMIN, KEY_CURRENT_PARTNER_ID, KEY_CUSTOMER_ID, KEY_CUSTOMER_ORGANIZATION,
    KEY_NEW_PARTNER_ADMIN, KEY_NEW_PARTNER_ID, KEY_SUBSCRIPTION_IDS, KEY_SUBSCRIPTIONS, PageCode, transfer_digest,
};
use crate::form::{CodePlace, FieldKind, FormModel, Party, Rect, Role};
use crate::input::{Transfer, is_email, normalize_guid, phone_problem};
use crate::verify::VerifyOptions;
use crate::verify::report::{Check, CustomerSummary, FormReport, Method, Source};
use align::Transform;
use ink::Verdict;
use qr::CodeRead;
use raster::Gray;

/// Most pages read from one scan: a form with 1,000 subscriptions has 18.
pub const MAX_PAGES: usize = 40;

/// `--evidence DIR`: where crops go, and whether existing crops may be replaced.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub dir: PathBuf,
    pub force: bool,
    /// File stems that more than one form of the batch has (`a/form.pdf`, `b/form.pdf`).
    /// Crops are named by stem, so those forms get none: one form's crops under a name that
    /// also means another form would show a reviewer the wrong paper.
    pub shared_stems: std::collections::BTreeSet<String>,
}

/// The file stem a form's evidence crops are named by.
pub fn evidence_stem(file: &str) -> String {
    Path::new(file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "form".into())
}

/// One upright crop of a box, named by the check it supports.
#[derive(Debug, Clone)]
pub struct Crop {
    pub id: String,
    pub image: Gray,
}

/// Everything read from a scan.
#[derive(Debug, Clone)]
pub struct ScanReading {
    pub checks: Vec<Check>,
    pub customer_id: Option<String>,
    /// The customer's organization and the subscription IDs, from the page codes (layout 2)
    /// or, for codes printed before they carried them, from the `--expect` transfer whose
    /// digest the code carries.
    pub organization: Option<String>,
    pub subscriptions: Vec<String>,
    pub crops: Vec<Crop>,
    /// The foreign form the scan was read as (its profile's description); `None` for the
    /// embedded form.
    pub form: Option<String>,
}

/// Fill `report` (already named and hashed) from the scanned document, and write the evidence
/// crops if asked to.
pub fn fill_report(report: &mut FormReport, doc: &Document, options: &VerifyOptions) {
    let reading = read(doc, options.expect.as_deref(), &options.forms);
    report.source = Some(Source::Scanned);
    report.customer =
        Some(CustomerSummary { organization: reading.organization.clone(), microsoft_id: reading.customer_id.clone() });
    report.subscriptions = reading.subscriptions.clone();
    if reading.form.is_some() {
        report.form = reading.form.clone();
    }
    report.checks = reading.checks;
    if let Some(evidence) = &options.evidence
        && let Err(why) = write_evidence(&report.file, &reading.crops, evidence)
    {
        eprintln!("warning: {}: evidence not written: {why}", report.file);
    }
}

/// Write each crop as `<dir>/<form-file-stem>.<check-id>.png`, atomically.
pub fn write_evidence(file: &str, crops: &[Crop], evidence: &Evidence) -> Result<(), String> {
    let stem = evidence_stem(file);
    if evidence.shared_stems.contains(&stem) {
        return Err(format!("another form of this batch is also named {stem}; rename one to get its crops"));
    }
    for crop in crops {
        let path = evidence.dir.join(format!("{stem}.{}.png", crop.id));
        let png = crop.image.png()?;
        crate::output::write_atomic(&path, &png, evidence.force).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// One page of the scan, as far as it could be read.
struct PageScan {
    /// 1-based position in the PDF.
    index: usize,
    /// Which of the forms tried (0: the embedded form, then each `--profile`'s) the page's
    /// code was read through, or the unread page was aligned as.
    form: usize,
    code: Option<PageCode>,
    /// Why the page, or its code, could not be read.
    problem: Option<String>,
    /// The picture and its transform, kept only for a page that may be page 1 (its code
    /// unread).
    aligned: Option<Aligned>,
    /// A page that carries nothing (a duplex scan's back side): skipped.
    blank: bool,
    /// The boxes of this page, measured as soon as its code is read (a scan may hold a page
    /// more than once; the pictures are not kept).
    measured: Option<PageBoxes>,
}

struct Aligned {
    img: Gray,
    t: Transform,
    black: u8,
    paper: u8,
}

/// How a page was placed, without its picture: the transform and the ink and paper levels.
struct Fit {
    t: Transform,
    black: u8,
    paper: u8,
}

/// One way a scanned page may be laid out: the page frame (size and registration marks) of
/// one form's page, and the places its code may sit on it.
struct Layout<'a> {
    /// Index into the forms tried.
    form: usize,
    frame: align::Frame,
    places: Vec<&'a CodePlace>,
}

/// Every layout a scanned page may have: the embedded form's (one frame for all its pages),
/// then each foreign form's pages that `fill` stamped with marks and a code.
fn layouts<'a>(forms: &[&'a FormModel]) -> Vec<Layout<'a>> {
    let mut out = Vec::new();
    for (form, model) in forms.iter().enumerate() {
        if model.embedded {
            out.push(Layout { form, frame: align::Frame::embedded(), places: model.code_places.iter().collect() });
            continue;
        }
        for place in &model.code_places {
            let (Some(marks), Some(size)) =
                (place.marks, place.page.checked_sub(1).and_then(|i| model.page_sizes.get(i)))
            else {
                continue;
            };
            out.push(Layout { form, frame: align::Frame::stamped(*size, marks), places: vec![place] });
        }
    }
    out
}

/// Whether a code saying it is page `page` belongs in `place` of a form: the embedded
/// form's continuation pages share one place.
fn code_fits(place: &CodePlace, page: usize, embedded: bool) -> bool {
    if embedded { (page == 1) == (place.page == 1) } else { page == place.page }
}

/// Read every page of a scan and build the checks. `profiles` are the foreign forms the scan
/// may be a return of (besides the embedded form, always tried first).
pub fn read(doc: &Document, expect: Option<&[Transfer]>, profiles: &[FormModel]) -> ScanReading {
    let forms: Vec<&FormModel> = std::iter::once(FormModel::embedded()).chain(profiles.iter()).collect();
    let layouts = layouts(&forms);
    let page_ids: Vec<lopdf::ObjectId> = doc.get_pages().values().copied().collect();
    let mut pages = Vec::new();
    // The layouts in the order they are tried: after a page's code reads, the next page is
    // likeliest the next page of the same form, so that layout goes first (the embedded
    // form's pages share one); a scan of the embedded form keeps it first throughout.
    let mut order: Vec<&Layout> = layouts.iter().collect();
    for (i, id) in page_ids.iter().enumerate().take(MAX_PAGES) {
        let mut page = scan_page(doc, *id, i + 1, &order, &forms);
        if let Some(code) = &page.code {
            let next = |l: &Layout| {
                let same_form = l.form == page.form;
                let next_page = l.places.iter().any(|p| code_fits(p, code.page + 1, forms[l.form].embedded));
                (!same_form, !next_page)
            };
            order.sort_by_key(|l| next(l));
            // Pictures are large: keep only what the page's boxes need.
            page.measured = page.aligned.take().map(|a| measure_page(forms[page.form], code.page, &a));
        }
        pages.push(page);
    }
    let too_many = page_ids.len() > MAX_PAGES;
    build(pages, too_many, expect, &forms)
}

/// Decode one page, then align it and read its code as each layout in turn until a code reads.
fn scan_page(
    doc: &Document,
    page_id: lopdf::ObjectId,
    index: usize,
    layouts: &[&Layout],
    forms: &[&FormModel],
) -> PageScan {
    let fail = |why: String| PageScan {
        index,
        form: 0,
        code: None,
        problem: Some(why),
        aligned: None,
        blank: false,
        measured: None,
    };
    let mut img = match raster::page_image(doc, page_id) {
        Ok(img) => img,
        Err(why) => return fail(why),
    };
    // An unevenly lit page (a flatbed's lid left open) is evened out before marks and ink are
    // looked for; an evenly lit one is left as it is.
    levels::flatten(&mut img);
    // The first layout whose marks were found, kept for a page whose code reads in none: its
    // boxes are still worth measuring and showing.
    let mut unread: Option<(usize, Fit, bool)> = None;
    let mut first_error = None;
    for layout in layouts {
        let placement = match align::locate(&img, &layout.frame) {
            Ok(p) => p,
            Err(why) => {
                first_error.get_or_insert(why);
                continue;
            }
        };
        let (black, paper) = (placement.black, placement.paper);
        match read_code(&img, placement, layout, forms[layout.form].embedded) {
            Ok((code, t)) => {
                return PageScan {
                    index,
                    form: layout.form,
                    code: Some(code),
                    problem: None,
                    aligned: Some(Aligned { img, t, black, paper }),
                    blank: false,
                    measured: None,
                };
            }
            Err((t, turned)) => {
                // A code read turned says more than one not found at all.
                if unread.as_ref().is_none_or(|(_, _, was_turned)| turned && !was_turned) {
                    unread = Some((layout.form, Fit { t, black, paper }, turned));
                }
            }
        }
    }
    match unread {
        Some((form, Fit { t, black, paper }, turned)) => PageScan {
            index,
            form,
            code: None,
            problem: Some(if turned {
                "the page code reads in a different orientation from the registration marks".to_string()
            } else {
                "the page code could not be read".to_string()
            }),
            aligned: Some(Aligned { img, t, black, paper }),
            blank: false,
            measured: None,
        },
        None if levels::is_blank(&img) => PageScan { blank: true, ..fail("the page is blank".into()) },
        None => fail(first_error.unwrap_or_else(|| "no registration marks found".into())),
    }
}

/// Read the code of a page placed as `layout`: the code and the fit it was read with, or the
/// likeliest fit and whether a code read only in another orientation.
fn read_code(
    img: &Gray,
    placement: align::Placement,
    layout: &Layout,
    embedded: bool,
) -> Result<(PageCode, Transform), (Transform, bool)> {
    // Which orientation and which page kind puts a code where a code is: a QR code is about
    // half dark, anything else on the form far less. Try the likeliest first.
    let thr = ink::threshold(placement.black, placement.paper);
    // The rules under the headings are a second cue, one that does not need the code: along
    // them nearly every point is dark when the orientation and page kind are right.
    let mut tries: Vec<(f32, usize, &CodePlace)> = Vec::new();
    for (k, fit) in placement.fits.iter().enumerate() {
        let small_fit = fit.reduced(placement.factor as f32);
        for place in &layout.places {
            let crop = align::resample(&placement.small, &small_fit, &place.code_box, 0.5);
            let dark = crop.data.iter().filter(|v| **v < thr).count() as f32 / crop.data.len().max(1) as f32;
            tries.push((dark + rules_dark(img, fit, &place.rules, placement.black, placement.paper), k, place));
        }
    }
    tries.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut turned = false;
    for (_, k, place) in &tries {
        let (read, fit) = if placement.marks < 4 {
            read_partial(img, &placement, *k, &place.code_box)
        } else {
            (qr::read(img, &placement.fits[*k], &place.code_box), placement.fits[*k])
        };
        match read {
            // The code must be the one this place holds: page 1's place has page 1's code.
            CodeRead::Found(code) if code_fits(place, code.page, embedded) => return Ok((code, fit)),
            CodeRead::Found(_) | CodeRead::None => {}
            CodeRead::Turned => turned = true,
        }
    }
    let t = tries.first().map(|(_, k, _)| placement.fits[*k]).unwrap_or(placement.fits[0]);
    Err((t, turned))
}

/// Read the code of a page placed by fewer than four registration marks (fit `k` of the
/// placement): fit the page again with the code's three finder patterns, found where the marks
/// put them (for each QR version that has them there, clearest first), and read the code with
/// that fit, which is returned. Without the code nothing confirms the marks' fit.
fn read_partial(img: &Gray, placement: &align::Placement, k: usize, code_box: &Rect) -> (CodeRead, Transform) {
    let fit = &placement.fits[k];
    let mut result = (CodeRead::None, *fit);
    for finders in qr::finder_pairs(img, fit, code_box) {
        let Ok(refit) = align::refit(&placement.pairs[k], &finders, &placement.frame) else { continue };
        match qr::read(img, &refit, code_box) {
            CodeRead::Found(code) => return (CodeRead::Found(code), refit),
            CodeRead::Turned => result = (CodeRead::Turned, refit),
            CodeRead::None => {}
        }
    }
    result
}

/// The fraction of points along the printed heading rules (thin grey lines) that are dark.
fn rules_dark(img: &Gray, t: &Transform, rules: &[(f32, f32, f32)], black: u8, paper: u8) -> f32 {
    // The rules are 35 % grey: halfway between that and the paper counts as printed.
    let grey = black as f32 + 0.65 * (paper as f32 - black as f32);
    let thr = (grey + paper as f32) / 2.0;
    let (mut hit, mut n) = (0usize, 0usize);
    for (x1, x2, y) in rules {
        let mut x = x1 + 4.0;
        while x < x2 - 4.0 {
            // The darkest of a few points across the line: alignment is good to about a point.
            let darkest = [-1.0f32, -0.5, 0.0, 0.5, 1.0]
                .iter()
                .map(|d| {
                    let (u, v) = t.apply(x, y + d);
                    img.at(u.round() as isize, v.round() as isize)
                })
                .min()
                .unwrap_or(255);
            hit += usize::from((darkest as f32) < thr);
            n += 1;
            x += 4.0;
        }
    }
    if n == 0 { 0.0 } else { hit as f32 / n as f32 }
}

/// Margins (points) between a box's edge and where ink is measured: past the printed outline
/// (1.2 pt signature lines, 0.8 pt checkboxes, 0.5 pt grey text fields) and a point or so of
/// alignment error.
const SIGNATURE_INSET: f32 = 3.0;
const CHECKBOX_INSET: f32 = 1.2;
const TEXT_INSET: f32 = 1.5;
/// How far towards the paper a signature's strokes may be on the second, fainter look.
const FAINT_SIGNATURE: f32 = 0.8;
/// Paper shown around each box in the evidence crops.
const CROP_MARGIN: f32 = 6.0;

/// The boxes of one page (or, merged, of every page of a form), measured.
struct PageBoxes {
    signatures: BTreeMap<Party, (Verdict, ink::Ink)>,
    checkboxes: BTreeMap<&'static str, (Verdict, ink::Ink)>,
    /// Per admin party: verdicts for name, email, phone.
    admin_boxes: BTreeMap<Party, [Verdict; 3]>,
    /// Handwriting in the new partner's Microsoft ID box (step 4 of the procedure: the new
    /// partner completes its part by hand).
    new_partner_id_box: Option<Verdict>,
    crops: Vec<Crop>,
}

fn grow(r: &Rect, m: f32) -> Rect {
    Rect::new(r.x1 - m, r.y1 - m, r.x2 + m, r.y2 + m)
}

/// The interior of `field` (inset) in the pixels of a crop of `crop_rect` at `r` px/pt.
fn interior(crop_rect: &Rect, field: &Rect, inset: f32, r: f32) -> (usize, usize, usize, usize) {
    let x0 = ((field.x1 + inset - crop_rect.x1) * r).round().max(0.0) as usize;
    let x1 = ((field.x2 - inset - crop_rect.x1) * r).round().max(0.0) as usize;
    let y0 = ((crop_rect.y2 - (field.y2 - inset)) * r).round().max(0.0) as usize;
    let y1 = ((crop_rect.y2 - (field.y1 + inset)) * r).round().max(0.0) as usize;
    (x0, y0, x1, y1)
}

/// Measure the boxes `model` places on page `page`, on its aligned picture.
fn measure_page(model: &FormModel, page: usize, a: &Aligned) -> PageBoxes {
    let mut out = PageBoxes {
        signatures: BTreeMap::new(),
        checkboxes: BTreeMap::new(),
        admin_boxes: BTreeMap::new(),
        new_partner_id_box: None,
        crops: Vec::new(),
    };
    // `share`: how far towards the paper ink may be. Checkboxes take fainter ink (a quick
    // thin tick) than signatures, where a grey smudge must not pass for strokes.
    let threshold = |share: f32, crop: &Gray| {
        // Paper is judged around the box itself: scans darken unevenly across a page.
        let paper = align::percentile(&crop.data, 0.7).max(a.paper.saturating_sub(40));
        ink::threshold_at(a.black, paper, share)
    };
    let measure = |rect: &Rect, r: f32, inset: f32, share: f32, crop: &Gray, crop_rect: &Rect| {
        ink::measure(crop, interior(crop_rect, rect, inset, r), r, threshold(share, crop))
    };
    for (role, place) in &model.places {
        let (Some(rect), true) = (place.rect, place.page == Some(page)) else { continue };
        match place.kind {
            FieldKind::Signature => {
                let Role::Signature(party) = *role else { continue };
                let r = 3.0;
                let crop_rect = grow(&rect, CROP_MARGIN);
                let crop = align::resample(&a.img, &a.t, &crop_rect, r);
                let mut found = measure(&rect, r, SIGNATURE_INSET, 0.6, &crop, &crop_rect);
                let mut verdict = ink::signature(&found);
                if verdict != Verdict::Marked {
                    // A light pen (a blue gel pen is about 143 on 255) drawn thin at 200 dpi
                    // or less reads fainter still: look again for fainter strokes, which count
                    // only if they too have a signature's shape (a smudge stays a blob).
                    let faint = measure(&rect, r, SIGNATURE_INSET, FAINT_SIGNATURE, &crop, &crop_rect);
                    if ink::signature(&faint) == Verdict::Marked {
                        (found, verdict) = (faint, Verdict::Marked);
                    }
                }
                out.signatures.insert(party, (verdict, found));
                out.crops.push(Crop { id: format!("signature.{}", party.key()), image: crop });
            }
            FieldKind::Checkbox => {
                let id = attest_id(*role);
                let r = 4.0;
                let crop_rect = grow(&rect, CROP_MARGIN);
                let crop = align::resample(&a.img, &a.t, &crop_rect, r);
                let found = measure(&rect, r, CHECKBOX_INSET, 0.75, &crop, &crop_rect);
                let mut verdict = ink::checkbox(&found);
                if verdict != Verdict::Marked
                    && ink::filled(&crop, interior(&crop_rect, &rect, CHECKBOX_INSET, r), threshold(0.6, &crop))
                {
                    // Ticked by filling the box in: solid at the darker, signature level of
                    // ink (a grey thumb print is not), and covering most of it (a dot does not).
                    verdict = Verdict::Marked;
                }
                out.checkboxes.insert(id, (verdict, found));
                out.crops.push(Crop { id: id.to_string(), image: crop });
            }
            FieldKind::Text => {}
        }
    }
    for party in [Party::CurrentPartner, Party::NewPartner] {
        let rects: Vec<Rect> = [Role::AdminName(party), Role::AdminEmail(party), Role::AdminPhone(party)]
            .iter()
            .filter_map(|role| model.places.get(role).filter(|p| p.page == Some(page)).and_then(|p| p.rect))
            .collect();
        if rects.len() != 3 {
            continue;
        }
        let row = Rect::new(
            rects.iter().map(|r| r.x1).fold(f32::MAX, f32::min),
            rects.iter().map(|r| r.y1).fold(f32::MAX, f32::min),
            rects.iter().map(|r| r.x2).fold(f32::MIN, f32::max),
            rects.iter().map(|r| r.y2).fold(f32::MIN, f32::max),
        );
        let r = 3.0;
        let crop_rect = grow(&row, CROP_MARGIN);
        let crop = align::resample(&a.img, &a.t, &crop_rect, r);
        let verdicts = [0, 1, 2].map(|i| ink::text(&measure(&rects[i], r, TEXT_INSET, 0.6, &crop, &crop_rect)));
        out.admin_boxes.insert(party, verdicts);
        out.crops.push(Crop { id: format!("admin.{}", party.key()), image: crop });
    }
    if let Some(rect) =
        model.places.get(&Role::MicrosoftId(Party::NewPartner)).filter(|p| p.page == Some(page)).and_then(|p| p.rect)
    {
        let r = 3.0;
        let crop_rect = grow(&rect, CROP_MARGIN);
        let crop = align::resample(&a.img, &a.t, &crop_rect, r);
        out.new_partner_id_box = Some(ink::text(&measure(&rect, r, TEXT_INSET, 0.6, &crop, &crop_rect)));
        out.crops.push(Crop { id: "id.new_partner".to_string(), image: crop });
    }
    out
}

impl PageBoxes {
    /// Add the boxes of another page of the same form.
    fn merge(&mut self, other: PageBoxes) {
        self.signatures.extend(other.signatures);
        self.checkboxes.extend(other.checkboxes);
        self.admin_boxes.extend(other.admin_boxes);
        self.new_partner_id_box = self.new_partner_id_box.or(other.new_partner_id_box);
        self.crops.extend(other.crops);
    }
}

fn attest_id(role: Role) -> &'static str {
    match role {
        Role::ResellerRelationship => "attest.reseller_relationship",
        _ => "attest.customer_agreement",
    }
}

fn code_value<'a>(code: &'a PageCode, key: &str) -> Option<&'a str> {
    code.values.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

/// A GUID from the code's 32 hex digits (or a hyphenated one), hyphenated and lower case.
fn code_guid(v: &str) -> Option<String> {
    let v = v.trim();
    if v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit()) {
        return normalize_guid(&format!("{}-{}-{}-{}-{}", &v[..8], &v[8..12], &v[12..16], &v[16..20], &v[20..]));
    }
    normalize_guid(v)
}

/// Build every check from the pages read, as boxes of the form page 1 was read as.
fn build(mut pages: Vec<PageScan>, too_many: bool, expect: Option<&[Transfer]>, forms: &[&FormModel]) -> ScanReading {
    let code1: Option<PageCode> = pages.iter().filter_map(|p| p.code.clone()).find(|c| c.page == 1);
    // Every copy of a page must show the same handwriting; the first is the one read.
    let copies = page_copies(&pages);
    // Page 1's picture: the (first) page whose code says 1, else (when no code says 1) the one
    // aligned page whose code could not be read — its boxes are still worth measuring and
    // showing.
    let page1_at = pages.iter().position(|p| p.code.as_ref().is_some_and(|c| c.page == 1)).or_else(|| {
        let unread: Vec<usize> =
            pages.iter().enumerate().filter(|(_, p)| p.code.is_none() && p.aligned.is_some()).map(|(i, _)| i).collect();
        (code1.is_none() && unread.len() == 1).then(|| unread[0])
    });
    // The form the scan is a return of: the one its page 1 (else any page) was read as.
    let form = page1_at.or_else(|| pages.iter().position(|p| p.code.is_some())).map(|i| pages[i].form).unwrap_or(0);
    let model = forms[form];
    let page1 = match page1_at {
        Some(i) => pages[i].measured.take().or_else(|| pages[i].aligned.as_ref().map(|a| measure_page(model, 1, a))),
        None => None,
    };
    let page1_scan = page1_at.map(|i| &pages[i]);
    let page1_note = match (page1_scan, &code1) {
        (Some(_), Some(_)) => String::new(),
        (Some(p), None) => {
            format!(" (page {} of the scan, taken as page 1 although its code could not be read)", p.index)
        }
        _ => String::new(),
    };
    // A foreign form may have boxes on later pages (signatures and checkboxes on page 2): add
    // the first copy of each.
    let mut boxes = page1;
    let mut merged = vec![1];
    for page in pages.iter_mut().filter(|p| p.form == form) {
        let Some(n) = page.code.as_ref().map(|c| c.page) else { continue };
        if merged.contains(&n) {
            continue;
        }
        merged.push(n);
        if let Some(more) = page.measured.take() {
            match &mut boxes {
                Some(b) => b.merge(more),
                None => boxes = Some(more),
            }
        }
    }
    let page1 = boxes;
    let no_page = |n: usize| match pages.iter().find(|p| p.code.is_none() && !p.blank) {
        Some(p) => format!(
            "page {n} of the form is not in the scan or could not be read (page {} of the scan: {})",
            p.index,
            p.problem.as_deref().unwrap_or("unreadable")
        ),
        None => format!("page {n} of the form is not in the scan"),
    };
    let no_page1 = || no_page(1);
    // The page a role's box is on, to say which page is missing when its box was not read.
    let page_of = |role: Role| model.places.get(&role).and_then(|p| p.page).unwrap_or(1);

    let mut checks = Vec::new();
    for party in Party::ALL {
        let id = format!("signature.{}", party.key());
        let title = party.title();
        let check = match page1.as_ref().and_then(|p| p.signatures.get(&party)) {
            None => Check::new(id, false, Method::Ink, no_page(page_of(Role::Signature(party)))),
            Some((Verdict::Marked, i)) => Check::new(
                id,
                true,
                Method::Ink,
                format!(
                    "handwriting in the {title} box (ink across {:.0} % of its width){page1_note}",
                    i.span_x * 100.0
                ),
            ),
            Some((Verdict::Blank, _)) => {
                Check::new(id, false, Method::Ink, format!("no signature in the {title} box{page1_note}"))
            }
            Some((Verdict::Uncertain, i)) => Check::new(
                id,
                false,
                Method::Ink,
                format!(
                    "some ink in the {title} box but not enough to be a signature (ink across {:.0} % of its width: a dot, \
                     smudge or stray line?); needs a human look at the evidence{page1_note}",
                    i.span_x * 100.0
                ),
            ),
        };
        checks.push(check);
    }
    checks.extend(admin_checks(code1.as_ref(), page1.as_ref(), &no_page1));
    let id_parties = [
        (Party::CurrentPartner, KEY_CURRENT_PARTNER_ID),
        (Party::Customer, KEY_CUSTOMER_ID),
        (Party::NewPartner, KEY_NEW_PARTNER_ID),
    ];
    let mut customer_id = None;
    for (party, key) in id_parties {
        let id = format!("id.{}", party.key());
        let check = match &code1 {
            None => Check::new(id, false, Method::Code, no_page1()),
            Some(code) => match code_value(code, key) {
                None if party == Party::NewPartner => {
                    new_partner_id_by_hand(page1.as_ref().and_then(|p| p.new_partner_id_box))
                }
                None => Check::new(
                    id,
                    false,
                    Method::Code,
                    format!(
                        "{} Microsoft ID missing (not in the page code: it was blank when the form was filled)",
                        party.title()
                    ),
                ),
                Some(v) => match code_guid(v) {
                    Some(g) => {
                        if party == Party::Customer {
                            customer_id = Some(g.clone());
                        }
                        Check::new(id, true, Method::Code, g)
                    }
                    None => Check::new(
                        id,
                        false,
                        Method::Code,
                        format!("{} Microsoft ID {v:?} in the page code is not a GUID", party.title()),
                    ),
                },
            },
        };
        checks.push(check);
    }
    let subscription_count =
        code1.as_ref().and_then(|c| code_value(c, KEY_SUBSCRIPTIONS)).and_then(|n| n.parse::<usize>().ok());
    checks.push(match (&code1, subscription_count) {
        (None, _) => Check::new("id.subscriptions", false, Method::Code, no_page1()),
        (Some(_), Some(n)) if n >= 1 => Check::new(
            "id.subscriptions",
            true,
            Method::Code,
            format!("{n} subscription(s), per the page code (their IDs were checked when the form was filled)"),
        ),
        (Some(_), _) => Check::new("id.subscriptions", false, Method::Code, "the page code carries no subscription"),
    });
    for role in [Role::ResellerRelationship, Role::CustomerAgreement] {
        let id = attest_id(role);
        let what = if role == Role::ResellerRelationship {
            "the reseller relationship box"
        } else {
            "the customer agreement box"
        };
        let check = match page1.as_ref().and_then(|p| p.checkboxes.get(id)) {
            None => Check::new(id, false, Method::Ink, no_page(page_of(role))),
            Some((Verdict::Marked, _)) => Check::new(id, true, Method::Ink, format!("{what} is marked{page1_note}")),
            Some((Verdict::Blank, _)) => {
                Check::new(id, false, Method::Ink, format!("{what} is not ticked{page1_note}"))
            }
            Some((Verdict::Uncertain, _)) => Check::new(
                id,
                false,
                Method::Ink,
                format!("{what} holds a little ink but no clear tick; needs a human look at the evidence{page1_note}"),
            ),
        };
        checks.push(check);
    }
    checks.push(integrity_check(&pages, too_many, subscription_count, &copies, forms, model));
    if let Some(expected) = expect {
        checks.push(expect_check(code1.as_ref(), expected));
    }
    let (organization, subscriptions) = transfer_named(&pages, code1.as_ref(), expect);
    ScanReading {
        checks,
        customer_id,
        organization,
        subscriptions,
        crops: page1.map(|p| p.crops).unwrap_or_default(),
        form: (!model.embedded).then(|| model.description.clone()),
    }
}

/// Which transfer the scan is: the customer's organization and the subscription IDs the page
/// codes carry (each page its own, in page order), else — for codes printed before they
/// carried them — those of the expected transfer with the code's digest.
fn transfer_named(
    pages: &[PageScan],
    code1: Option<&PageCode>,
    expect: Option<&[Transfer]>,
) -> (Option<String>, Vec<String>) {
    let mut codes: Vec<&PageCode> = pages.iter().filter_map(|p| p.code.as_ref()).collect();
    codes.sort_by_key(|c| c.page);
    codes.dedup_by_key(|c| c.page);
    let carried: Vec<String> = codes
        .iter()
        .filter_map(|c| code_value(c, KEY_SUBSCRIPTION_IDS))
        .flat_map(|list| list.split(','))
        .filter_map(code_guid)
        .collect();
    // Only the whole list names the transfer: a page missing from the scan, or a continuation
    // page too full to carry its IDs, leaves it incomplete, and a partial list would pass for
    // the whole one.
    let count = code1.and_then(|c| code_value(c, KEY_SUBSCRIPTIONS)).and_then(|n| n.parse::<usize>().ok());
    let mut subscriptions = if count == Some(carried.len()) { carried } else { Vec::new() };
    let mut organization = code1.and_then(|c| code_value(c, KEY_CUSTOMER_ORGANIZATION)).map(str::to_string);
    let matching = code1.and_then(|c| expect?.iter().find(|t| transfer_digest(t) == c.digest));
    if let Some(t) = matching {
        organization.get_or_insert_with(|| t.customer.organization.clone());
        subscriptions = t.subscriptions.clone();
    }
    (organization, subscriptions)
}

/// What a person must do about a value written by hand on paper.
const HANDWRITING_TODO: &str = "confirm it from the evidence crop (--evidence), or refill the form with the new \
     partner's details so that the page code carries them";

/// `id.new_partner` when the form was filled without the new partner: on paper the new partner
/// writes its Microsoft ID by hand (step 4 of the procedure). A GUID cannot be read reliably
/// from handwriting, so handwriting in the box holds only for a person to confirm.
fn new_partner_id_by_hand(found: Option<Verdict>) -> Check {
    let id = "id.new_partner";
    match found {
        Some(Verdict::Marked) => Check::new(
            id,
            true,
            Method::Handwriting,
            format!("New partner Microsoft ID handwritten in its box (not in the page code): {HANDWRITING_TODO}"),
        ),
        Some(Verdict::Uncertain) => Check::new(
            id,
            false,
            Method::Handwriting,
            format!(
                "New partner Microsoft ID: not in the page code, and its box holds only a little ink; {HANDWRITING_TODO}"
            ),
        ),
        Some(Verdict::Blank) | None => Check::new(
            id,
            false,
            Method::Handwriting,
            "New partner Microsoft ID: not in the page code (blank when the form was filled) and not written in its \
             box; the new partner writes it by hand (step 4), or refill the form with the new partner's details",
        ),
    }
}

fn admin_checks(code1: Option<&PageCode>, page1: Option<&PageBoxes>, no_page1: &dyn Fn() -> String) -> Vec<Check> {
    let key = |p: Party| if p == Party::CurrentPartner { KEY_CURRENT_PARTNER_ADMIN } else { KEY_NEW_PARTNER_ADMIN };
    let parse = |p: Party| -> Option<(String, String, String)> {
        let v = code_value(code1?, key(p))?;
        let mut parts = v.splitn(3, '|').map(|s| s.trim().to_string());
        Some((parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next().unwrap_or_default()))
    };
    let emails: Vec<Option<String>> = [Party::CurrentPartner, Party::NewPartner]
        .iter()
        .map(|p| parse(*p).map(|(_, e, _)| e).filter(|e| !e.is_empty()))
        .collect();
    let same_email = matches!((&emails[0], &emails[1]), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
    [Party::CurrentPartner, Party::NewPartner]
        .into_iter()
        .map(|p| {
            let id = format!("admin.{}", p.key());
            let title = p.title();
            let Some(code1) = code1 else {
                return Check::new(id, false, Method::Code, no_page1());
            };
            let _ = code1;
            match parse(p) {
                Some((name, email, phone)) => {
                    let mut problems = Vec::new();
                    if name.is_empty() {
                        problems.push("name missing".to_string());
                    }
                    if email.is_empty() {
                        problems.push("email missing".to_string());
                    } else if !is_email(&email) {
                        problems.push(format!("email {email:?} is not valid"));
                    }
                    if phone.is_empty() {
                        problems.push("phone missing".to_string());
                    } else if let Some(why) = phone_problem(&phone) {
                        problems.push(format!("phone {phone:?} {why}"));
                    }
                    if same_email {
                        problems.push("both admins have the same email; they must be different people".into());
                    }
                    if problems.is_empty() {
                        Check::new(id, true, Method::Code, format!("{name} <{email}>, {phone}"))
                    } else {
                        Check::new(
                            id,
                            false,
                            Method::Code,
                            format!("{title} admin (page code): {}", problems.join(", ")),
                        )
                    }
                }
                None => {
                    // Blank when the form was filled: whoever completed it wrote it by hand.
                    let Some(boxes) = page1.and_then(|pg| pg.admin_boxes.get(&p)) else {
                        return Check::new(
                            id,
                            false,
                            Method::Handwriting,
                            format!("{title} admin: not in the page code"),
                        );
                    };
                    let names = ["name", "email", "phone"];
                    let empty: Vec<&str> = (0..3).filter(|i| boxes[*i] != Verdict::Marked).map(|i| names[i]).collect();
                    if empty.is_empty() {
                        Check::new(
                            id,
                            true,
                            Method::Handwriting,
                            format!(
                                "{title} admin handwritten in the name, email and phone boxes (not in the page code): \
                                 needs a human look at the evidence; {HANDWRITING_TODO}"
                            ),
                        )
                    } else {
                        Check::new(
                            id,
                            false,
                            Method::Handwriting,
                            format!(
                                "{title} admin: not in the page code, and the {} box(es) hold no clear handwriting",
                                empty.join(", ")
                            ),
                        )
                    }
                }
            }
        })
        .collect()
}

/// Pages read more than once (the same sheet scanned twice): per page of the form with
/// copies, how their handwriting differs from the first copy's (empty when every box reads
/// the same).
fn page_copies(pages: &[PageScan]) -> BTreeMap<usize, Vec<String>> {
    let mut by_page: BTreeMap<usize, Vec<(usize, &PageBoxes)>> = BTreeMap::new();
    for p in pages {
        if let (Some(code), Some(m)) = (&p.code, &p.measured) {
            by_page.entry(code.page).or_default().push((p.index, m));
        }
    }
    let mut out = BTreeMap::new();
    for (n, copies) in by_page.into_iter().filter(|(_, c)| c.len() > 1) {
        let (first_at, first) = copies[0];
        let mut differences = Vec::new();
        for (at, other) in &copies[1..] {
            differences.extend(page_differences(first, other).into_iter().map(|(name, there, here)| {
                format!("the {name} holds {there} on page {first_at} of the scan and {here} on page {at}")
            }));
        }
        out.insert(n, differences);
    }
    out
}

/// How two readings of a page differ: per box that differs, its name and what each holds.
/// Only handwriting against no clear handwriting counts: two scans of one sheet can read a
/// faint speck once as a little ink and once as nothing, and no check turns on that.
fn page_differences(a: &PageBoxes, b: &PageBoxes) -> Vec<(String, String, String)> {
    fn what(v: Verdict) -> &'static str {
        match v {
            Verdict::Marked => "handwriting",
            Verdict::Blank | Verdict::Uncertain => "no clear handwriting",
        }
    }
    let mut out = Vec::new();
    let differ = |out: &mut Vec<_>, name: String, va: Verdict, vb: Verdict| {
        if (va == Verdict::Marked) != (vb == Verdict::Marked) {
            out.push((name, what(va).to_string(), what(vb).to_string()));
        }
    };
    for (party, (va, ia)) in &a.signatures {
        let Some((vb, ib)) = b.signatures.get(party) else { continue };
        differ(&mut out, format!("{} signature box", party.title()), *va, *vb);
        // Both signed, but not the same strokes: a sheet signed twice, not scanned twice. A
        // second scan of one sheet moves a signature's extent by a few per cent at most.
        if *va == Verdict::Marked
            && *vb == Verdict::Marked
            && ((ia.span_x - ib.span_x).abs() > SAME_SPAN || (ia.span_y - ib.span_y).abs() > SAME_SPAN)
        {
            let across =
                |i: &ink::Ink| format!("handwriting across {:.0} × {:.0} % of it", i.span_x * 100.0, i.span_y * 100.0);
            out.push((format!("{} signature box", party.title()), across(ia), across(ib)));
        }
    }
    for (id, (va, _)) in &a.checkboxes {
        if let Some((vb, _)) = b.checkboxes.get(id) {
            differ(&mut out, format!("{id} box"), *va, *vb);
        }
    }
    for (party, va) in &a.admin_boxes {
        if let Some(vb) = b.admin_boxes.get(party) {
            for (i, field) in ["name", "email", "phone"].iter().enumerate() {
                differ(&mut out, format!("{} admin {field} box", party.title()), va[i], vb[i]);
            }
        }
    }
    if let (Some(va), Some(vb)) = (a.new_partner_id_box, b.new_partner_id_box) {
        differ(&mut out, "New partner Microsoft ID box".into(), va, vb);
    }
    out
}

/// Two signatures differing in extent by more than this share of the box are different
/// strokes.
const SAME_SPAN: f32 = 0.15;

fn integrity_check(
    pages: &[PageScan],
    too_many: bool,
    subscriptions: Option<usize>,
    copies: &BTreeMap<usize, Vec<String>>,
    forms: &[&FormModel],
    model: &FormModel,
) -> Check {
    let mut problems = Vec::new();
    // What was accepted but is worth saying: blank back sides, pages scanned twice.
    let mut notes = Vec::new();
    if too_many {
        problems.push(format!("the scan has more than {MAX_PAGES} pages; only the first {MAX_PAGES} were read"));
    }
    let blank: Vec<String> = pages.iter().filter(|p| p.blank).map(|p| p.index.to_string()).collect();
    if !blank.is_empty() {
        notes.push(format!(
            "page(s) {} of the scan are blank (back sides of a duplex scan?) and were skipped",
            blank.join(", ")
        ));
    }
    for p in pages.iter().filter(|p| p.code.is_none() && !p.blank) {
        problems.push(format!("page {} of the scan: {}", p.index, p.problem.as_deref().unwrap_or("unreadable")));
    }
    let codes: Vec<(usize, &PageCode)> = pages.iter().filter_map(|p| p.code.as_ref().map(|c| (p.index, c))).collect();
    if codes.is_empty() {
        problems.push("no page code could be read, so the pages cannot be tied to a transfer".into());
        if forms.len() == 1 {
            // Only the embedded form was tried: a foreign form's code sits where its profile says.
            problems.push("if this is a scan of a foreign form, pass its profile with --profile FILE".into());
        }
        problems.extend(notes);
        return Check::new("integrity", false, Method::Code, problems.join("; "));
    }
    let mut digests: Vec<&str> = codes.iter().map(|(_, c)| c.digest.as_str()).collect();
    digests.sort();
    digests.dedup();
    if digests.len() > 1 {
        problems
            .push(format!("the pages come from different forms (their codes carry digests {})", digests.join(", ")));
    }
    let mut read_as: Vec<&str> =
        pages.iter().filter(|p| p.code.is_some()).map(|p| forms[p.form].description.as_str()).collect();
    read_as.sort();
    read_as.dedup();
    if read_as.len() > 1 {
        problems.push(format!("the pages are of different forms ({})", read_as.join("; ")));
    }
    let mut totals: Vec<usize> = codes.iter().map(|(_, c)| c.pages).collect();
    totals.sort();
    totals.dedup();
    if totals.len() > 1 {
        problems.push(format!("the page codes disagree on the page count ({totals:?})"));
    }
    let total = totals.iter().copied().max().unwrap_or(0);
    for n in 1..=total {
        let count = codes.iter().filter(|(_, c)| c.page == n).count();
        if count == 0 {
            problems.push(format!("page {n} of {total} is missing"));
        } else if count > 1 {
            let at: Vec<String> = codes.iter().filter(|(_, c)| c.page == n).map(|(i, _)| i.to_string()).collect();
            let twice =
                format!("page {n} of {total} is in the scan {count} times (pages {} of the scan)", at.join(", "));
            match copies.get(&n) {
                Some(differences) if !differences.is_empty() => problems.push(format!(
                    "{twice} and the copies differ, so they are different sheets: {}",
                    differences.join("; ")
                )),
                // The copies read the same in every box (a page without boxes carries no
                // handwriting), and their codes (digest, page number) are the same.
                _ => notes.push(format!("{twice}: identical copies, the first is read")),
            }
        }
    }
    for (index, c) in &codes {
        if c.page == 0 || c.page > total {
            problems.push(format!("page {index} of the scan says it is page {} of {}", c.page, c.pages));
        }
    }
    if let Some(n) = subscriptions {
        let need = model.pages_for(n);
        if need != total {
            problems.push(format!("the code says {n} subscription(s), which take {need} page(s), not {total}"));
        }
    }
    if !problems.is_empty() {
        problems.extend(notes);
        return Check::new("integrity", false, Method::Code, problems.join("; "));
    }
    // The order pages came in, each counted at its first copy.
    let mut first_copies: Vec<usize> = Vec::new();
    for (_, c) in &codes {
        if !first_copies.contains(&c.page) {
            first_copies.push(c.page);
        }
    }
    let order: Vec<String> = first_copies.iter().map(|p| p.to_string()).collect();
    let in_order = first_copies.iter().enumerate().all(|(i, p)| *p == i + 1);
    let order_note = if in_order { String::new() } else { format!(" (scanned in the order {})", order.join(", ")) };
    let notes = notes.iter().map(|n| format!("; {n}")).collect::<String>();
    Check::new(
        "integrity",
        true,
        Method::Code,
        format!(
            "all {total} page(s) present and every page code read; they agree on the form digest {} and the page count{order_note}{notes}",
            digests[0]
        ),
    )
}

fn expect_check(code1: Option<&PageCode>, expected: &[Transfer]) -> Check {
    let Some(code) = code1 else {
        return Check::new(
            "expect",
            false,
            Method::Code,
            "page 1's code could not be read, so the form cannot be compared",
        );
    };
    if let Some(t) = expected.iter().find(|t| transfer_digest(t) == code.digest) {
        return Check::new(
            "expect",
            true,
            Method::Code,
            format!(
                "the page code's digest equals that of the expected transfer for {}: every filled value is as expected",
                t.customer.organization
            ),
        );
    }
    let cu = code_value(code, KEY_CUSTOMER_ID).and_then(code_guid);
    let Some(t) = expected.iter().find(|t| cu.is_some() && normalize_guid(&t.customer.microsoft_id) == cu) else {
        return Check::new(
            "expect",
            false,
            Method::Code,
            "no transfer in the expected input has this form's digest or customer Microsoft ID",
        );
    };
    let mut diffs = Vec::new();
    let mut cmp = |label: &str, got: Option<String>, want: &str| {
        if !got.as_deref().is_some_and(|g| g.eq_ignore_ascii_case(want)) {
            diffs.push(format!("{label} is {:?}, expected {want:?}", got.unwrap_or_default()));
        }
    };
    let guid = |k: &str| code_value(code, k).and_then(code_guid);
    let admin_email = |k: &str| code_value(code, k).and_then(|v| v.split('|').nth(1)).map(|e| e.trim().to_string());
    cmp(
        "current partner Microsoft ID",
        guid(KEY_CURRENT_PARTNER_ID),
        &normalize_guid(&t.current_partner.microsoft_id).unwrap_or_default(),
    );
    cmp("current partner admin email", admin_email(KEY_CURRENT_PARTNER_ADMIN), &t.current_partner.admin.email);
    if let Some(np) = &t.new_partner {
        cmp(
            "new partner Microsoft ID",
            guid(KEY_NEW_PARTNER_ID),
            &normalize_guid(&np.microsoft_id).unwrap_or_default(),
        );
        cmp("new partner admin email", admin_email(KEY_NEW_PARTNER_ADMIN), &np.admin.email);
    }
    diffs.push(
        "the page code's digest differs from the expected transfer's, so some filled value (organization, address, \
         subscription, signer…) differs"
            .into(),
    );
    Check::new("expect", false, Method::Code, diffs.join("; "))
}
