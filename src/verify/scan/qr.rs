//! Reading the page code on a scan.
//!
//! Two readers, both ending in rqrr's decoder (format information, unmasking, Reed–Solomon):
//!
//! 1. [`sample_grid`]: formtool drew this code itself, so it knows where every module is — the
//!    code fills the top-left `size × size` square of the code box with a four-module quiet
//!    zone ([`crate::form::code::PageCode::image`]). With the page transform from the registration
//!    marks, the three finder patterns are looked for within a module or so of where they must
//!    be, and every module is sampled at its centre. This works on soft 150 dpi scans where a
//!    general detector cannot find the finder patterns (about 2.7 pixels per module).
//! 2. rqrr's own detector on an upright crop, as a fallback; it also reports the code's own
//!    orientation, which must agree with the page transform.
//!
//! Either way the code's text must parse as a [`PageCode`]; Reed–Solomon makes a misread
//! module turn into a failure, never into another valid code.
//!
//! For a page found by fewer than four registration marks, [`finder_pairs`] gives the three
//! finder patterns as points to fit the page by (their places on the page are known).

use crate::form::code::PageCode;
use crate::pdf::Rect;

use super::align::{self, Pair, Transform};
use super::raster::Gray;

/// Centres of the top-left, top-right and bottom-left finder patterns, in form points.
type Finders = [(f32, f32); 3];

/// What reading the code in one place gave.
pub enum CodeRead {
    Found(PageCode),
    /// A code was read, but upside down relative to the page transform.
    Turned,
    None,
}

/// Read the page code in `code_box` of the page placed by `t`.
pub fn read(img: &Gray, t: &Transform, code_box: &Rect) -> CodeRead {
    if let Some(code) = sample_grid(img, t, code_box) {
        return CodeRead::Found(code);
    }
    detect(img, t, code_box)
}

/// Grey level at form point `(x, y)`.
#[inline]
fn at(img: &Gray, t: &Transform, x: f32, y: f32) -> f32 {
    let (u, v) = t.apply(x, y);
    align::bilinear(img, u, v) as f32
}

/// The 7 × 7 finder pattern: dark ring, light ring, dark 3 × 3 centre.
fn finder_dark(i: i32, j: i32) -> bool {
    let d = i.abs().max(j.abs());
    d == 3 || d <= 1
}

/// Sample the module grid where formtool drew it and decode it.
pub fn sample_grid(img: &Gray, t: &Transform, code_box: &Rect) -> Option<PageCode> {
    let size = code_box.width().min(code_box.height());
    let candidates = versions(img, t, code_box);
    for retries in [false, true] {
        for (_, v, found) in &candidates {
            if let Some(code) = sample_version(img, t, size, *v, found, retries) {
                return Some(code);
            }
        }
    }
    None
}

/// The finder patterns as points for fitting the page: for each version that has all three
/// where `t` expects them (best first), their centres as drawn paired with the pixels they
/// were found at. For a page placed by fewer than four registration marks.
pub fn finder_pairs(img: &Gray, t: &Transform, code_box: &Rect) -> Vec<Vec<Pair>> {
    let size = code_box.width().min(code_box.height());
    versions(img, t, code_box)
        .into_iter()
        .map(|(_, v, found)| {
            let drawn = drawn_finders(code_box.x1, code_box.y2, size, v);
            drawn.iter().zip(&found).map(|(d, (x, y))| (*d, t.apply(*x, *y))).collect()
        })
        .collect()
}

/// The versions whose three finder patterns are found near where `t` puts them, with the
/// found centres (form points), clearest first.
fn versions(img: &Gray, t: &Transform, code_box: &Rect) -> Vec<(f32, usize, Finders)> {
    let size = code_box.width().min(code_box.height());
    let (left, top) = (code_box.x1, code_box.y2);
    // The version, from how wide the dark part of the code is: the code spans `w` modules of
    // `size / (w + 8)` points. Measured on a coarse upright crop of the box.
    let r = 2.0;
    let crop = align::resample(img, t, &Rect::new(left, top - size, left + size, top), r);
    let thr = align::otsu(&crop.data);
    let (mut x1, mut x2) = (crop.width, 0usize);
    for y in 0..crop.height {
        let row = &crop.data[y * crop.width..(y + 1) * crop.width];
        if let Some(first) = row.iter().position(|v| *v <= thr) {
            x1 = x1.min(first);
        }
        if let Some(last) = row.iter().rposition(|v| *v <= thr) {
            x2 = x2.max(last);
        }
    }
    if x2 <= x1 {
        return Vec::new();
    }
    let dark_width = ((x2 - x1 + 1) as f32 / r).min(size - 1.0);
    let estimate = 8.0 * dark_width / (size - dark_width);
    let version = ((estimate - 17.0) / 4.0).round() as i32;
    // Each candidate version places the finder patterns differently. The estimate above is
    // fragile: the quiet zone is only four modules a side, so a bi-level scan whose dark
    // modules spread reads up to three versions too high (seen: 77 for 65) — and the finder
    // search, which allows ±1.5 modules, still finds "finders" for it, clearest of all. So
    // every candidate is first sampled once (cheap), then all of them again with the retries
    // (failed decodes are the expensive part, and only unreadable codes get there).
    let mut candidates: Vec<(f32, usize, Finders)> = (version - 4..=version + 2)
        .filter(|v| (1..=40).contains(v))
        .filter_map(|v| finders(img, t, left, top, size, v as usize).map(|(score, found)| (score, v as usize, found)))
        .collect();
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
    candidates
}

/// Module centre `(i, j)` (i to the right, j down) of a `version` code as drawn in the
/// `size`-point square whose top-left corner is `(left, top)`, in form points.
fn module_centre(left: f32, top: f32, size: f32, version: usize, i: f32, j: f32) -> (f32, f32) {
    let m = size / (17 + 4 * version + 8) as f32;
    (left + (4.0 + i + 0.5) * m, top - (4.0 + j + 0.5) * m)
}

/// Where the top-left, top-right and bottom-left finder centres are drawn.
fn drawn_finders(left: f32, top: f32, size: f32, version: usize) -> Finders {
    let far = (17 + 4 * version - 4) as f32;
    [(3.0, 3.0), (far, 3.0), (3.0, far)].map(|(i, j)| module_centre(left, top, size, version, i, j))
}

/// The three finder-pattern centres (form points) for `version`, with the weakest one's
/// contrast; `None` when one is not there.
fn finders(img: &Gray, t: &Transform, left: f32, top: f32, size: f32, version: usize) -> Option<(f32, Finders)> {
    let m = size / (17 + 4 * version + 8) as f32;
    // Find each finder pattern within ±1.5 modules of where it should be: the offset whose
    // samples best separate the pattern's dark modules from its light ones.
    let mut found = [(0f32, 0f32); 3];
    let mut weakest = f32::MAX;
    for (k, (nx, ny)) in drawn_finders(left, top, size, version).into_iter().enumerate() {
        // (score, dx, dy, mean dark, mean light)
        let mut best = (f32::MIN, 0.0, 0.0, 0.0, 255.0);
        let steps = 6;
        for sy in -steps..=steps {
            for sx in -steps..=steps {
                let (dx, dy) = (sx as f32 * 0.25 * m, sy as f32 * 0.25 * m);
                let (mut dark, mut light, mut nd, mut nl) = (0f32, 0f32, 0f32, 0f32);
                for j in -4i32..=4 {
                    for i in -4i32..=4 {
                        let g = at(img, t, nx + dx + i as f32 * m, ny + dy - j as f32 * m);
                        if i.abs().max(j.abs()) == 4 || !finder_dark(i, j) {
                            light += g;
                            nl += 1.0;
                        } else {
                            dark += g;
                            nd += 1.0;
                        }
                    }
                }
                let score = light / nl - dark / nd;
                if score > best.0 {
                    best = (score, dx, dy, dark / nd, light / nl);
                }
            }
        }
        if best.0 < 40.0 {
            return None; // no finder pattern here: not this version, or no code
        }
        weakest = weakest.min(best.0);
        // Refine to a fraction of a module: the darkness-weighted centre of the solid 3 × 3
        // core (the light ring around it keeps the window clean).
        let (cx, cy) = (nx + best.1, ny + best.2);
        let (mut sw, mut sx, mut sy) = (0f32, 0f32, 0f32);
        let thr = (best.3 + best.4) / 2.0;
        for j in -6i32..=6 {
            for i in -6i32..=6 {
                let (x, y) = (cx + i as f32 * m / 4.0, cy + j as f32 * m / 4.0);
                let wgt = (thr - at(img, t, x, y)).max(0.0);
                sw += wgt;
                sx += wgt * x;
                sy += wgt * y;
            }
        }
        found[k] = if sw > 0.0 { (sx / sw, sy / sw) } else { (cx, cy) };
    }
    Some((weakest, found))
}

/// Sample the modules of a `version` code whose finder centres are `found`, and decode.
fn sample_version(
    img: &Gray,
    t: &Transform,
    size: f32,
    version: usize,
    found: &Finders,
    retries: bool,
) -> Option<PageCode> {
    let w = 17 + 4 * version;
    let m = size / (w + 8) as f32;
    // Grey level of one module: the mean of a few points around its centre.
    let module = |x: f32, y: f32| {
        let q = 0.2 * m;
        (at(img, t, x, y)
            + at(img, t, x - q, y - q)
            + at(img, t, x + q, y - q)
            + at(img, t, x - q, y + q)
            + at(img, t, x + q, y + q))
            / 5.0
    };
    // Module centre (i, j) from the three found finder centres.
    let span = (w - 7) as f32;
    let (tl, tr, bl) = (found[0], found[1], found[2]);
    let ex = ((tr.0 - tl.0) / span, (tr.1 - tl.1) / span);
    let ey = ((bl.0 - tl.0) / span, (bl.1 - tl.1) / span);
    let centre = |i: usize, j: usize| {
        let (di, dj) = (i as f32 - 3.0, j as f32 - 3.0);
        (tl.0 + di * ex.0 + dj * ey.0, tl.1 + di * ex.1 + dj * ey.1)
    };
    // Sample every module; on a decoding failure try again a little off (a residual shift of
    // a fifth of a module, which bi-level scans with jagged edges can have) and with the
    // threshold moved. Reed–Solomon rejects wrong readings, so retrying cannot misread.
    let q = 0.2;
    let shifts = [(0.0, 0.0), (q, 0.0), (-q, 0.0), (0.0, q), (0.0, -q), (q, q), (-q, -q), (q, -q), (-q, q)];
    let mut grey = vec![0f32; w * w];
    let mut centre_grey = vec![0f32; w * w];
    let mut lightest = vec![0f32; w * w];
    let shifts = if retries { &shifts[..] } else { &shifts[..1] };
    for (si, (sx, sy)) in shifts.iter().enumerate() {
        for j in 0..w {
            for i in 0..w {
                let (x, y) = centre(i, j);
                let (x, y) = (x + sx * ex.0 + sy * ey.0, y + sx * ex.1 + sy * ey.1);
                grey[j * w + i] = module(x, y);
                centre_grey[j * w + i] = at(img, t, x, y);
            }
        }
        // The mean of five points reads soft scans; the centre alone reads bi-level scans whose
        // thresholding ate into the light modules.
        let thresholds: &[f32] = if si == 0 && retries { &[0.0, -25.0, 25.0, 50.0] } else { &[0.0] };
        for values in [&grey, &centre_grey] {
            if let Some(code) = decode_values(values, w, thresholds) {
                return Some(code);
            }
        }
        if !retries {
            continue;
        }
        // Bi-level scans thresholded dark (or printed with ink spread) shrink a light module to
        // a dot that a sample a little off its centre misses: the lightest of a few points
        // around the centre finds it, while a dark module stays dark all over.
        for (k, d) in [0.22f32, 0.33].iter().enumerate() {
            if si > 0 && k > 0 {
                break;
            }
            for j in 0..w {
                for i in 0..w {
                    let (x, y) = centre(i, j);
                    let (x, y) = (x + sx * ex.0 + sy * ey.0, y + sx * ex.1 + sy * ey.1);
                    let q = d * m;
                    let mut best = at(img, t, x, y);
                    for (ox, oy) in [(-q, 0.0), (q, 0.0), (0.0, -q), (0.0, q), (-q, -q), (q, q), (q, -q), (-q, q)] {
                        best = best.max(at(img, t, x + ox, y + oy));
                    }
                    lightest[j * w + i] = best;
                }
            }
            if let Some(code) = decode_values(&lightest, w, thresholds) {
                return Some(code);
            }
        }
    }
    None
}

/// Threshold module grey levels (Otsu, moved by each of `offsets`) and decode.
fn decode_values(values: &[f32], w: usize, offsets: &[f32]) -> Option<PageCode> {
    let bytes: Vec<u8> = values.iter().map(|g| g.clamp(0.0, 255.0) as u8).collect();
    let otsu = align::otsu(&bytes) as f32;
    for d in offsets {
        let thr = otsu + d;
        let grid = rqrr::SimpleGrid::from_func(w, |x, y| values[y * w + x] <= thr);
        let mut payload = Vec::new();
        // The payload is bytes, not always UTF-8 (layout 2 of the page code).
        if rqrr::Grid::new(grid).decode_to(&mut payload).is_ok() {
            return PageCode::decode(&payload);
        }
    }
    None
}

/// rqrr's detector on an upright crop of the box (with some margin).
fn detect(img: &Gray, t: &Transform, code_box: &Rect) -> CodeRead {
    let margin = 8.0;
    let rect = Rect::new(code_box.x1 - margin, code_box.y1 - margin, code_box.x2 + margin, code_box.y2 + margin);
    let mut result = CodeRead::None;
    // rqrr's own adaptive threshold loses the finder patterns of a dense code on a soft scan,
    // while one global (Otsu) threshold over the crop — a QR code is half dark — holds them.
    for r in [4.0, 6.0] {
        let crop = align::resample(img, t, &rect, r);
        let (w, h) = (crop.width, crop.height);
        let thr = align::otsu(&crop.data);
        let mut prepared = rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| crop.data[y * w + x] <= thr);
        for grid in prepared.detect_grids() {
            let mut payload = Vec::new();
            if grid.decode_to(&mut payload).is_err() {
                continue;
            }
            let Some(code) = PageCode::decode(&payload) else { continue };
            // rqrr lists the code's own top-left corner first: upright means it is top-left here.
            let tl = grid.bounds[0];
            let cx = grid.bounds.iter().map(|p| p.x).sum::<i32>() / 4;
            let cy = grid.bounds.iter().map(|p| p.y).sum::<i32>() / 4;
            if tl.x < cx && tl.y < cy {
                return CodeRead::Found(code);
            }
            result = CodeRead::Turned;
        }
    }
    result
}
