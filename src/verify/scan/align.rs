//! Where the form lies in a scanned picture: the four solid registration marks of
//! [`crate::form::layout::registration_marks`], found on a small copy of the page and refined on the
//! full one, give the transform from form points to pixels.
//!
//! With all four marks the transform is a perspective one (a homography, exact through the four
//! marks), so a phone photo of a sheet on a desk — tilted, a little keystone — reads like a
//! flatbed scan. It must still be nearly a similarity everywhere on the page: at the corners and
//! the middle, equal scale both ways (±5 %), square angles, not mirrored, and a scale that varies
//! across the page by at most [`MAX_KEYSTONE`]; and an affine fit through the same marks must come
//! within [`MAX_PERSPECTIVE_PT`], so four blobs that merely lie near the corners do not pass.
//! A scanner's slightly different horizontal and vertical resolution fits the same way.
//!
//! With only three marks (a staple across one, a corner torn off) or two (the page shifted so
//! that a side is cut off by the scanner's edge) the marks give an affine or a similarity fit
//! that nothing else checks. [`Placement::marks`] says so, and the reader ([`super`]) adds the
//! page code's three finder patterns, found where that fit puts them (their places on the page
//! are known), and fits again with [`refit`]; a page whose code cannot be found that way is
//! unreadable, never guessed.
//!
//! The four marks are symmetric under a half turn, so every fit comes with its upside-down
//! twin; the page code (which is off-centre, and which rqrr reads with its own orientation)
//! decides between them.

use crate::form::layout::{MARK_SIZE, PAGE_HEIGHT, PAGE_WIDTH, Rect, registration_marks};

use super::raster::Gray;

/// Form points (PDF user space, y up) → image pixels (y down), a projective transform:
/// `u = (m[0]·x + m[1]·y + m[2]) / w`, `v = (m[3]·x + m[4]·y + m[5]) / w` with
/// `w = m[6]·x + m[7]·y + m[8]` (`m[6] = m[7] = 0`, `m[8] = 1` for an affine one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform {
    pub m: [f32; 9],
}

impl Transform {
    /// The affine transform `u = a[0]·x + a[1]·y + a[2]`, `v = a[3]·x + a[4]·y + a[5]`.
    pub fn affine(a: [f32; 6]) -> Transform {
        Transform { m: [a[0], a[1], a[2], a[3], a[4], a[5], 0.0, 0.0, 1.0] }
    }

    #[inline]
    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let m = &self.m;
        let w = m[6] * x + m[7] * y + m[8];
        ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
    }

    /// The same placement on a copy of the picture reduced by `k`.
    pub fn reduced(&self, k: f32) -> Transform {
        let mut m = self.m;
        m[..6].iter_mut().for_each(|v| *v /= k);
        Transform { m }
    }

    /// Pixels per point along the form's x and y axes at `(x, y)`: `[du/dx, du/dy, dv/dx, dv/dy]`.
    pub fn jacobian(&self, x: f32, y: f32) -> [f32; 4] {
        let m = &self.m;
        let w = m[6] * x + m[7] * y + m[8];
        let (u, v) = self.apply(x, y);
        [(m[0] - u * m[6]) / w, (m[1] - u * m[7]) / w, (m[3] - v * m[6]) / w, (m[4] - v * m[7]) / w]
    }

    /// Pixels per point in the middle of the page.
    pub fn scale(&self) -> f32 {
        let j = self.jacobian(PAGE_WIDTH / 2.0, PAGE_HEIGHT / 2.0);
        (j[0] * j[3] - j[1] * j[2]).abs().sqrt()
    }

    /// Rotation of the page in the picture, degrees in (-180, 180]: 0 upright, 180 upside down.
    pub fn angle(&self) -> f32 {
        let j = self.jacobian(PAGE_WIDTH / 2.0, PAGE_HEIGHT / 2.0);
        j[2].atan2(j[0]).to_degrees()
    }
}

/// What alignment must know of a form's page: its size (points) and where its four
/// registration marks are (lower-left corners of `MARK_SIZE` squares: bottom-left,
/// bottom-right, top-left, top-right). The embedded form's is [`Frame::embedded`]; a foreign
/// form's comes from the marks `fill --form` stamps (its profile's `[[page_code]]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub width: f32,
    pub height: f32,
    pub marks: [(f32, f32); 4],
}

impl Frame {
    /// The embedded form's pages (every page has the same marks).
    pub fn embedded() -> Frame {
        Frame { width: PAGE_WIDTH, height: PAGE_HEIGHT, marks: registration_marks() }
    }

    /// A page of `(width, height)` with marks stamped at `marks` (as a profile records them).
    pub fn stamped(size: (f32, f32), marks: [[f32; 2]; 4]) -> Frame {
        Frame { width: size.0, height: size.1, marks: marks.map(|[x, y]| (x, y)) }
    }

    /// Centres of the four marks, clockwise from the top left as the page is read.
    fn mark_centres(&self) -> [(f32, f32); 4] {
        let h = MARK_SIZE / 2.0;
        let [bl, br, tl, tr] = self.marks;
        [(tl.0 + h, tl.1 + h), (tr.0 + h, tr.1 + h), (br.0 + h, br.1 + h), (bl.0 + h, bl.1 + h)]
    }
}

/// A form point and the pixel it was found at.
pub type Pair = ((f32, f32), (f32, f32));

/// The best coarse fit so far.
struct Best {
    /// How many marks it uses, and how far it is from what a page can look like (lower is better).
    marks: usize,
    err: f32,
    /// Small-copy centres per image quadrant (`None`: no mark used there), and the quarter turns.
    pts: [Option<(f32, f32)>; 4],
    turn: usize,
}

/// What the marks say about a page.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The page the marks were looked for as.
    pub frame: Frame,
    /// The fit as found, and its upside-down twin.
    pub fits: [Transform; 2],
    /// The marks each fit was made from (form point, pixel).
    pub pairs: [Vec<Pair>; 2],
    /// How many of the four marks were found: below four the fits still need the page code's
    /// finder patterns ([`refit`]) before anything is measured with them.
    pub marks: usize,
    /// Grey level of solid print (inside the marks) and of blank paper.
    pub black: u8,
    pub paper: u8,
    /// A copy of the page reduced by `factor` (for quick looks such as code-box density).
    pub small: Gray,
    pub factor: usize,
}

/// Target resolution of the small copy: about 0.8 pixel per point, so a mark is ~11 pixels.
const SMALL_PX_PER_PT: f32 = 0.8;
/// Most the scale may vary across the page (a phone photo's keystone; a flatbed has none).
pub const MAX_KEYSTONE: f32 = 0.15;
/// Most (points) the four marks may be from the best affine fit: what perspective explains.
pub const MAX_PERSPECTIVE_PT: f32 = 12.0;
/// Most (points) marks and finder patterns may be from a fit made without all four marks.
const MAX_PARTIAL_PT: f32 = 3.0;

/// Find the marks of a page laid out as `frame` and fit the transform.
pub fn locate(img: &Gray, frame: &Frame) -> Result<Placement, String> {
    let est = ((img.width * img.height) as f32 / (frame.width * frame.height)).sqrt();
    if est < 1.0 {
        return Err(format!("the scan is too small ({} × {} pixels) to read", img.width, img.height));
    }
    let factor = ((est / SMALL_PX_PER_PT).floor() as usize).max(1);
    let small = downscale(img, factor);
    let threshold = otsu(&small.data);
    let paper = percentile(&small.data, 0.6);
    let mark_px = MARK_SIZE * est / factor as f32;
    let candidates = mark_candidates(&small, threshold, mark_px);
    if candidates.len() < 2 {
        return Err(format!(
            "only {} of the 4 registration marks found (is this the formtool form, and is the whole page scanned?)",
            candidates.len()
        ));
    }
    // Up to three candidates per quadrant, nearest the corner first.
    let (w, h) = (small.width as f32, small.height as f32);
    let corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let mut quadrants: [Vec<(f32, f32)>; 4] = Default::default();
    for &(x, y) in &candidates {
        let q = match (x < w / 2.0, y < h / 2.0) {
            (true, true) => 0,
            (false, true) => 1,
            (false, false) => 2,
            (true, false) => 3,
        };
        quadrants[q].push((x, y));
    }
    for (q, list) in quadrants.iter_mut().enumerate() {
        let (cx, cy) = corners[q];
        list.sort_by(|a, b| {
            let da = (a.0 - cx).powi(2) + (a.1 - cy).powi(2);
            let db = (b.0 - cx).powi(2) + (b.1 - cy).powi(2);
            da.total_cmp(&db)
        });
        list.truncate(3);
    }
    // Each quadrant contributes one of its candidates or none (a mark hidden by a staple, or cut
    // off): the most marks that fit win, the best fit among those.
    let options: Vec<Vec<Option<(f32, f32)>>> =
        quadrants.iter().map(|q| q.iter().copied().map(Some).chain([None]).collect()).collect();
    let form = frame.mark_centres();
    let k = factor as f32;
    let mut best: Option<Best> = None;
    for a in &options[0] {
        for b in &options[1] {
            for c in &options[2] {
                for d in &options[3] {
                    let pts = [*a, *b, *c, *d];
                    let marks = pts.iter().flatten().count();
                    if marks < 2 || best.as_ref().is_some_and(|b| b.marks > marks) {
                        continue;
                    }
                    // Image quadrant i holds form corner (i + r) % 4: r = 0 upright, 2 upside down,
                    // 1 and 3 a quarter turn (fitted too; a portrait page fails them on aspect).
                    for turn in 0..4 {
                        let pairs: Vec<Pair> = (0..4)
                            .filter_map(|i| pts[i].map(|(x, y)| (form[(i + turn) % 4], (x * k, y * k))))
                            .collect();
                        let Some(err) = coarse_error(&pairs, frame, est, k) else { continue };
                        if best.as_ref().is_none_or(|b| marks > b.marks || err < b.err) {
                            best = Some(Best { marks, err, pts, turn });
                        }
                    }
                }
            }
        }
    }
    let Some(Best { marks, pts, turn, .. }) = best else {
        return Err(if quadrants.iter().filter(|q| !q.is_empty()).count() < 2 {
            "a registration mark is missing near three corners of the scan (is the whole page scanned?)".into()
        } else {
            "the registration marks do not form the form's rectangle (page skewed more than a few degrees, \
             mirrored, or not the formtool form)"
                .into()
        });
    };
    // Refine every mark on the full-resolution page and fit again.
    let mark_full = MARK_SIZE * est;
    let mut refined = [None; 4];
    let mut black_sum = 0u64;
    let mut black_n = 0u64;
    for (i, p) in pts.iter().enumerate() {
        let Some((x, y)) = p else { continue };
        let (c, b, n) = refine(img, ((x + 0.5) * k, (y + 0.5) * k), mark_full, threshold);
        refined[i] = Some(c);
        black_sum += b;
        black_n += n;
    }
    let black = black_sum.checked_div(black_n).unwrap_or(0) as u8;
    let mut fits = Vec::new();
    let mut pair_sets = Vec::new();
    // The assignment the coarse fit chose, and its half-turn twin (equally good on marks alone).
    for rr in [turn, (turn + 2) % 4] {
        let pairs: Vec<Pair> = (0..4).filter_map(|i| refined[i].map(|c| (form[(i + rr) % 4], c))).collect();
        fits.push(fine_fit(&pairs, frame)?);
        pair_sets.push(pairs);
    }
    let twin = pair_sets.pop().unwrap_or_default();
    let first = pair_sets.pop().unwrap_or_default();
    Ok(Placement { frame: *frame, fits: [fits[0], fits[1]], pairs: [first, twin], marks, black, paper, small, factor })
}

/// How far the marks of one assignment (small-copy pixels scaled by `k` back to the picture)
/// are from a page, or `None` when they cannot be one. Four marks: points off the best affine
/// fit (what keystone explains is allowed). Three: how far the exact affine fit is from a
/// similarity. Two: how far the similarity's scale is from the picture's (`est`).
fn coarse_error(pairs: &[Pair], frame: &Frame, est: f32, k: f32) -> Option<f32> {
    match pairs.len() {
        4 => {
            let fit = fit_affine(pairs)?;
            validate(&fit, frame).ok()?;
            let err = residual(&fit, pairs) / fit.scale();
            // The coarse centres are good to a small-copy pixel or two.
            (err <= MAX_PERSPECTIVE_PT + 2.0 * k / fit.scale()).then_some(err)
        }
        3 => {
            let fit = fit_affine(pairs)?;
            validate(&fit, frame).ok()?;
            let j = fit.jacobian(0.0, 0.0);
            let (lx, ly) = (j[0].hypot(j[2]), j[1].hypot(j[3]));
            Some((lx / ly - 1.0).abs() + ((j[0] * j[1] + j[2] * j[3]) / (lx * ly)).abs())
        }
        _ => {
            let fit = fit_similarity(pairs)?;
            validate(&fit, frame).ok()?;
            let ratio = fit.scale() / est;
            (0.75..=1.33).contains(&ratio).then_some((ratio - 1.0).abs())
        }
    }
}

/// The transform through the refined marks: a homography through four (checked against an
/// affine fit), an affine one through three, a similarity through two.
fn fine_fit(pairs: &[Pair], frame: &Frame) -> Result<Transform, String> {
    let fit = match pairs.len() {
        4 => {
            let affine = fit_affine(pairs).ok_or("the registration marks cannot be fitted")?;
            validate(&affine, frame)?;
            let e = residual(&affine, pairs) / affine.scale();
            if e > MAX_PERSPECTIVE_PT {
                return Err(format!("the registration marks are {e:.1} pt away from where the form has them"));
            }
            fit_homography(pairs)
        }
        3 => fit_affine(pairs),
        _ => fit_similarity(pairs),
    };
    let fit = fit.ok_or("the registration marks cannot be fitted")?;
    validate(&fit, frame)?;
    Ok(fit)
}

/// A fit made without all four marks, made again with `extra` points (the page code's finder
/// patterns, found where the first fit put them), least squares, every point within
/// [`MAX_PARTIAL_PT`] of it. Affine when three marks span the page both ways; with two, which
/// span it one way only, a similarity: the finders lie close together, and the scale across
/// would otherwise rest on them alone (a few tenths of a point between finders 80 pt apart
/// become 2 pt or more at the far edge).
pub fn refit(marks: &[Pair], extra: &[Pair], frame: &Frame) -> Result<Transform, String> {
    let all: Vec<Pair> = marks.iter().chain(extra).copied().collect();
    let fit = if marks.len() >= 3 { fit_affine(&all) } else { fit_similarity(&all) };
    let fit = fit.ok_or("the registration marks and the page code cannot be fitted")?;
    validate(&fit, frame)?;
    let e = residual(&fit, &all) / fit.scale();
    if e > MAX_PARTIAL_PT {
        return Err(format!(
            "the registration marks and the page code's finder patterns are {e:.1} pt away from where the form has them"
        ));
    }
    Ok(fit)
}

/// Only transforms a real scan or photo can produce. At the page's corners and middle: the same
/// scale both ways, square, not mirrored, and a plausible size (the page fills at least a third
/// of the picture's width); and across the page a scale that varies by at most [`MAX_KEYSTONE`].
fn validate(fit: &Transform, frame: &Frame) -> Result<(), String> {
    let (w, h) = (frame.width, frame.height);
    let points = [(0.0, 0.0), (w, 0.0), (0.0, h), (w, h), (w / 2.0, h / 2.0)];
    let (mut smallest, mut largest) = (f32::MAX, 0f32);
    for (x, y) in points {
        let m = &fit.m;
        if m[6] * x + m[7] * y + m[8] <= 0.0 {
            return Err("the registration marks do not form the form's rectangle".into());
        }
        let j = fit.jacobian(x, y);
        let (lx, ly) = (j[0].hypot(j[2]), j[1].hypot(j[3]));
        if lx < 0.3 || ly < 0.3 {
            return Err("the form is too small in the scan".into());
        }
        let ratio = lx / ly;
        if !(0.95..=1.05).contains(&ratio) {
            return Err(format!(
                "the scan is stretched {:.0} % more one way than the other",
                (ratio - 1.0).abs() * 100.0
            ));
        }
        if ((j[0] * j[1] + j[2] * j[3]) / (lx * ly)).abs() > 0.05 {
            return Err("the scan is sheared".into());
        }
        // PDF y goes up and image y goes down: an unmirrored page has a negative determinant.
        if j[0] * j[3] - j[1] * j[2] >= 0.0 {
            return Err("the scan is mirrored".into());
        }
        smallest = smallest.min(lx.min(ly));
        largest = largest.max(lx.max(ly));
    }
    if largest / smallest > 1.0 + MAX_KEYSTONE {
        return Err(format!(
            "the page is seen at too steep an angle (its scale varies {:.0} % across it)",
            (largest / smallest - 1.0) * 100.0
        ));
    }
    Ok(())
}

fn residual(fit: &Transform, pairs: &[Pair]) -> f32 {
    pairs
        .iter()
        .map(|((x, y), (u, v))| {
            let (pu, pv) = fit.apply(*x, *y);
            ((pu - u).powi(2) + (pv - v).powi(2)).sqrt()
        })
        .fold(0.0, f32::max)
}

/// Coordinates are divided by this before fitting, so the normal equations stay well conditioned.
const NORM: f64 = 1000.0;

/// Least squares: the unknowns minimising Σ (row · p − rhs)², by the normal equations and
/// Gaussian elimination with partial pivoting; `None` when they are not determined.
fn least_squares<const N: usize>(rows: &[([f64; N], f64)]) -> Option<[f64; N]> {
    let mut a = [[0f64; N]; N];
    let mut b = [0f64; N];
    for (r, rhs) in rows {
        for (i, ri) in r.iter().enumerate() {
            for (aij, rj) in a[i].iter_mut().zip(r) {
                *aij += ri * rj;
            }
            b[i] += ri * rhs;
        }
    }
    for col in 0..N {
        let pivot = (col..N).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for r in col + 1..N {
            let f = a[r][col] / a[col][col];
            let (upper, lower) = a.split_at_mut(r);
            for (x, y) in lower[0][col..].iter_mut().zip(&upper[col][col..]) {
                *x -= f * y;
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = [0f64; N];
    for i in (0..N).rev() {
        let s: f64 = (i + 1..N).map(|j| a[i][j] * x[j]).sum();
        x[i] = (b[i] - s) / a[i][i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Normalised coordinates of a pair.
fn norm(((x, y), (u, v)): &Pair) -> (f64, f64, f64, f64) {
    (*x as f64 / NORM, *y as f64 / NORM, *u as f64 / NORM, *v as f64 / NORM)
}

/// Least-squares affine fit of `form point → pixel` pairs (at least three, not collinear).
pub fn fit_affine(pairs: &[Pair]) -> Option<Transform> {
    let rows = |pick_v: bool| -> Vec<([f64; 3], f64)> {
        pairs
            .iter()
            .map(|p| {
                let (x, y, u, v) = norm(p);
                ([x, y, 1.0], if pick_v { v } else { u })
            })
            .collect()
    };
    let pu = least_squares(&rows(false))?;
    let pv = least_squares(&rows(true))?;
    let a = [pu[0], pu[1], pu[2] * NORM, pv[0], pv[1], pv[2] * NORM];
    Some(Transform::affine(a.map(|v| v as f32)))
}

/// Least-squares fit of a similarity that turns PDF's y-up into the picture's y-down
/// (`u = a·x + b·y + c`, `v = b·x − a·y + d`), from two pairs or more.
fn fit_similarity(pairs: &[Pair]) -> Option<Transform> {
    let mut rows = Vec::with_capacity(2 * pairs.len());
    for p in pairs {
        let (x, y, u, v) = norm(p);
        rows.push(([x, y, 1.0, 0.0], u));
        rows.push(([-y, x, 0.0, 1.0], v));
    }
    let [a, b, c, d] = least_squares(&rows)?;
    Some(Transform::affine([a, b, c * NORM, b, -a, d * NORM].map(|v| v as f32)))
}

/// Least-squares homography (exact through four pairs, no three collinear).
fn fit_homography(pairs: &[Pair]) -> Option<Transform> {
    let mut rows = Vec::with_capacity(2 * pairs.len());
    for p in pairs {
        let (x, y, u, v) = norm(p);
        rows.push(([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y], u));
        rows.push(([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y], v));
    }
    let h = least_squares(&rows)?;
    // Back from normalised coordinates: u = (h0·x + h1·y + h2·N) / (h6·x/N + h7·y/N + 1).
    let m = [h[0], h[1], h[2] * NORM, h[3], h[4], h[5] * NORM, h[6] / NORM, h[7] / NORM, 1.0];
    let m = m.map(|v| v as f32);
    m.iter().all(|v| v.is_finite()).then_some(Transform { m })
}

/// The picture reduced by `k` in both directions, each pixel the mean of a k × k block.
pub fn downscale(img: &Gray, k: usize) -> Gray {
    let k = k.max(1);
    let (w, h) = (img.width / k, img.height / k);
    if w == 0 || h == 0 {
        // A picture narrower than one block (a sliver, not a page): one pixel of its mean, so
        // that nothing is found in it rather than reading past its rows.
        let mean = img.data.iter().map(|v| *v as u64).sum::<u64>() / img.data.len().max(1) as u64;
        return Gray { width: 1, height: 1, data: vec![mean as u8] };
    }
    let mut sums = vec![0u32; w];
    let mut data = Vec::with_capacity(w * h);
    for by in 0..h {
        sums.iter_mut().for_each(|s| *s = 0);
        for y in by * k..((by + 1) * k).min(img.height) {
            let row = &img.data[y * img.width..y * img.width + w * k];
            for (s, chunk) in sums.iter_mut().zip(row.chunks_exact(k)) {
                *s += chunk.iter().map(|v| *v as u32).sum::<u32>();
            }
        }
        let n = (k * k) as u32;
        data.extend(sums.iter().map(|s| (s / n) as u8));
    }
    Gray { width: w, height: h, data }
}

/// Otsu's threshold of a grey histogram: the split that best separates ink from paper.
pub fn otsu(data: &[u8]) -> u8 {
    let mut hist = [0u64; 256];
    data.iter().for_each(|v| hist[*v as usize] += 1);
    let total = data.len() as f64;
    let sum_all: f64 = hist.iter().enumerate().map(|(i, n)| i as f64 * *n as f64).sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0f64, 0f64, -1f64, 128u8);
    for (t, n) in hist.iter().enumerate() {
        w0 += *n as f64;
        if w0 == 0.0 {
            continue;
        }
        let w1 = total - w0;
        if w1 == 0.0 {
            break;
        }
        sum0 += t as f64 * *n as f64;
        let (m0, m1) = (sum0 / w0, (sum_all - sum0) / w1);
        let between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

/// The value below which `q` (0–1) of the pixels lie.
pub fn percentile(data: &[u8], q: f32) -> u8 {
    let mut hist = [0u64; 256];
    data.iter().for_each(|v| hist[*v as usize] += 1);
    let target = (data.len() as f32 * q) as u64;
    let mut acc = 0;
    for (i, n) in hist.iter().enumerate() {
        acc += n;
        if acc > target {
            return i as u8;
        }
    }
    255
}

/// Centres (small-copy pixels) of solid dark squares about `side` pixels wide.
fn mark_candidates(small: &Gray, threshold: u8, side: f32) -> Vec<(f32, f32)> {
    let (w, h) = (small.width, small.height);
    let dark: Vec<bool> = small.data.iter().map(|v| *v <= threshold).collect();
    let mut seen = vec![false; w * h];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !dark[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut x1, mut y1, mut x2, mut y2, mut n, mut sx, mut sy) = (w, h, 0, 0, 0usize, 0usize, 0usize);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            x1 = x1.min(x);
            x2 = x2.max(x);
            y1 = y1.min(y);
            y2 = y2.max(y);
            n += 1;
            sx += x;
            sy += y;
            let mut push = |j: usize| {
                if dark[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                push(i - 1);
            }
            if x + 1 < w {
                push(i + 1);
            }
            if y > 0 {
                push(i - w);
            }
            if y + 1 < h {
                push(i + w);
            }
        }
        let (bw, bh) = ((x2 - x1 + 1) as f32, (y2 - y1 + 1) as f32);
        let fill = n as f32 / (bw * bh);
        let size_ok = (0.6 * side..=1.6 * side).contains(&bw) && (0.6 * side..=1.6 * side).contains(&bh);
        let square = (bw - bh).abs() <= 0.35 * bw.max(bh);
        if size_ok && square && fill >= 0.7 {
            out.push((sx as f32 / n as f32, sy as f32 / n as f32));
        }
    }
    out
}

/// The darkness-weighted centre of the mark near `centre` on the full picture, with the sum
/// and count of the grey levels in its solid core (for the page's black level).
fn refine(img: &Gray, centre: (f32, f32), side: f32, threshold: u8) -> ((f32, f32), u64, u64) {
    let half = (0.8 * side).ceil() as isize;
    let (cx, cy) = (centre.0.round() as isize, centre.1.round() as isize);
    let (mut sw, mut sx, mut sy) = (0f64, 0f64, 0f64);
    for y in cy - half..=cy + half {
        for x in cx - half..=cx + half {
            let v = img.at(x, y);
            if v < threshold {
                let wgt = (threshold - v) as f64;
                sw += wgt;
                sx += wgt * (x as f64 + 0.5);
                sy += wgt * (y as f64 + 0.5);
            }
        }
    }
    let c = if sw > 0.0 { ((sx / sw) as f32, (sy / sw) as f32) } else { centre };
    let core = (0.25 * side) as isize;
    let (mut sum, mut n) = (0u64, 0u64);
    for y in c.1 as isize - core..=c.1 as isize + core {
        for x in c.0 as isize - core..=c.0 as isize + core {
            sum += img.at(x, y) as u64;
            n += 1;
        }
    }
    (c, sum, n)
}

/// Sample `rect` (form points) of the picture into an upright image at `r` pixels per point:
/// the page as the form was drawn, whatever the skew, scale or orientation of the scan.
/// Bilinear when the picture is about as fine as the output, the mean of a block when it is
/// much finer (a 600 dpi page read at 3 pixels per point), so noise does not alias into ink.
pub fn resample(img: &Gray, t: &Transform, rect: &Rect, r: f32) -> Gray {
    let w = ((rect.width() * r).round() as usize).clamp(1, 8192);
    let h = ((rect.height() * r).round() as usize).clamp(1, 8192);
    let mut data = vec![255u8; w * h];
    let ratio = t.scale() / r;
    let block = if ratio >= 1.75 { ratio.round() as isize } else { 1 };
    for j in 0..h {
        let y = rect.y2 - (j as f32 + 0.5) / r;
        let x0 = rect.x1 + 0.5 / r;
        // Along a row, equal steps between exact points every `SEGMENT` pixels: exact for an
        // affine transform and within a hundredth of a pixel for a photo's keystone, without
        // a division per pixel.
        let row = &mut data[j * w..(j + 1) * w];
        for (k, segment) in row.chunks_mut(SEGMENT).enumerate() {
            let start = x0 + (k * SEGMENT) as f32 / r;
            let (mut u, mut v) = t.apply(start, y);
            let (u1, v1) = t.apply(start + SEGMENT as f32 / r, y);
            let (du, dv) = ((u1 - u) / SEGMENT as f32, (v1 - v) / SEGMENT as f32);
            for px in segment.iter_mut() {
                *px = if block > 1 { block_mean(img, u, v, block) } else { bilinear(img, u, v) };
                u += du;
                v += dv;
            }
        }
    }
    Gray { width: w, height: h, data }
}

/// Output pixels between exactly transformed points in [`resample`].
const SEGMENT: usize = 64;

/// `floor` without a libm call (the default x86-64 target has no rounding instruction), for
/// the coordinates a page can have.
#[inline]
fn floor_i(v: f32) -> isize {
    (v + 65536.0) as isize - 65536
}

/// Bilinear sample at pixel coordinates `(u, v)` (pixel centres at +0.5); paper outside.
#[inline]
pub fn bilinear(img: &Gray, u: f32, v: f32) -> u8 {
    let (fu, fv) = (u - 0.5, v - 0.5);
    let (x0, y0) = (floor_i(fu), floor_i(fv));
    let (ax, ay) = (fu - x0 as f32, fv - y0 as f32);
    let (p00, p10, p01, p11) = if x0 >= 0 && y0 >= 0 && (x0 as usize) + 1 < img.width && (y0 as usize) + 1 < img.height
    {
        let i = y0 as usize * img.width + x0 as usize;
        let d = &img.data;
        (d[i] as f32, d[i + 1] as f32, d[i + img.width] as f32, d[i + img.width + 1] as f32)
    } else {
        let p = |x, y| img.at(x, y) as f32;
        (p(x0, y0), p(x0 + 1, y0), p(x0, y0 + 1), p(x0 + 1, y0 + 1))
    };
    let top = p00 + (p10 - p00) * ax;
    let bottom = p01 + (p11 - p01) * ax;
    (top + (bottom - top) * ay + 0.5).clamp(0.0, 255.0) as u8
}

#[inline]
fn block_mean(img: &Gray, u: f32, v: f32, k: isize) -> u8 {
    let half = k as f32 / 2.0;
    let (x0, y0) = (floor_i(u - half + 0.5), floor_i(v - half + 0.5));
    let mut sum = 0u32;
    for y in y0..y0 + k {
        if y >= 0 && (y as usize) < img.height && x0 >= 0 && ((x0 + k) as usize) <= img.width {
            let start = y as usize * img.width + x0 as usize;
            sum += img.data[start..start + k as usize].iter().map(|v| *v as u32).sum::<u32>();
        } else {
            for x in x0..x0 + k {
                sum += img.at(x, y) as u32;
            }
        }
    }
    (sum / (k * k) as u32) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_a_rotated_scaled_page_and_its_twin() {
        // Draw the four marks of a page at 2 px/pt rotated by 3°, then find them.
        let (s, a) = (2.0f32, 3f32.to_radians());
        let t = Transform::affine([s * a.cos(), s * a.sin(), 40.0, s * a.sin(), -s * a.cos(), 1600.0]);
        let img = page_with_marks(&t, &[]);
        let p = locate(&img, &Frame::embedded()).unwrap();
        // The marks alone cannot tell a page from its half turn: both fits come back.
        let upright = p.fits.iter().find(|f| f.angle().abs() < 90.0).unwrap();
        let twin = p.fits.iter().find(|f| f.angle().abs() > 90.0).unwrap();
        let (u, v) = upright.apply(300.0, 400.0);
        let (eu, ev) = t.apply(300.0, 400.0);
        assert!((u - eu).abs() < 1.5 && (v - ev).abs() < 1.5, "{u},{v} vs {eu},{ev}");
        assert!((upright.angle() - 3.0).abs() < 0.5);
        assert!((twin.angle().abs() - 177.0).abs() < 0.5);
    }

    fn locate_embedded(img: &Gray) -> Result<Placement, String> {
        locate(img, &Frame::embedded())
    }

    /// A white picture with the marks drawn through `t`, except those whose index (in
    /// `registration_marks` order) is in `skip`.
    fn page_with_marks(t: &Transform, skip: &[usize]) -> Gray {
        draw_marks(t, &Frame::embedded(), skip)
    }

    fn draw_marks(t: &Transform, frame: &Frame, skip: &[usize]) -> Gray {
        let (w, h) = t.apply(frame.width, 0.0);
        let mut img = Gray::white(w as usize + 40, h as usize + 40).unwrap();
        for (k, (x, y)) in frame.marks.into_iter().enumerate() {
            if skip.contains(&k) {
                continue;
            }
            for i in 0..56 {
                for j in 0..56 {
                    let (u, v) = t.apply(x + i as f32 / 4.0, y + j as f32 / 4.0);
                    let (u, v) = (u as usize, v as usize);
                    if u < img.width && v < img.height {
                        img.data[v * img.width + u] = 0;
                    }
                }
            }
        }
        img
    }

    #[test]
    fn fits_a_photo_in_perspective_through_the_four_marks() {
        // 2 px/pt with the top of the page drawn in: a keystone no affine fit explains.
        let page = [(0.0, 0.0), (PAGE_WIDTH, 0.0), (0.0, PAGE_HEIGHT), (PAGE_WIDTH, PAGE_HEIGHT)];
        let photo = [(60.0, 1640.0), (1284.0, 1640.0), (90.0, 56.0), (1254.0, 66.0)];
        let pairs: Vec<Pair> = page.into_iter().zip(photo).collect();
        let t = fit_homography(&pairs).unwrap();
        let affine = fit_affine(&pairs).unwrap();
        assert!(residual(&affine, &pairs) > 10.0, "the test needs real perspective");
        let p = locate_embedded(&page_with_marks(&t, &[])).unwrap();
        assert_eq!(p.marks, 4);
        let upright = p.fits.iter().find(|f| f.angle().abs() < 90.0).unwrap();
        for (x, y) in [(300.0, 400.0), (80.0, 700.0), (550.0, 60.0)] {
            let (u, v) = upright.apply(x, y);
            let (eu, ev) = t.apply(x, y);
            assert!((u - eu).abs() < 1.5 && (v - ev).abs() < 1.5, "at {x},{y}: {u},{v} vs {eu},{ev}");
        }
    }

    #[test]
    fn three_or_two_marks_give_a_fit_that_waits_for_the_code() {
        let t = Transform::affine([2.0, 0.0, 40.0, 0.0, -2.0, 1620.0]);
        // The top-left mark stapled over: three marks, an affine fit through them.
        let p = locate_embedded(&page_with_marks(&t, &[2])).unwrap();
        assert_eq!(p.marks, 3);
        assert_eq!(p.pairs[0].len(), 3);
        let upright = p.fits.iter().find(|f| f.angle().abs() < 90.0).unwrap();
        let (u, v) = upright.apply(306.0, 396.0);
        assert!((u - 652.0).abs() < 1.5 && (v - 828.0).abs() < 1.5, "{u},{v}");
        // Both top marks cut off: a similarity through the bottom two.
        let p = locate_embedded(&page_with_marks(&t, &[2, 3])).unwrap();
        assert_eq!(p.marks, 2);
        // A fit with the finder patterns must agree with the marks.
        let marks = &p.pairs[0];
        let far: Vec<Pair> = vec![((300.0, 400.0), (0.0, 0.0))];
        assert!(refit(marks, &far, &Frame::embedded()).is_err());
        let near: Vec<Pair> = [(300.0, 400.0), (320.0, 400.0)].iter().map(|&(x, y)| ((x, y), t.apply(x, y))).collect();
        let frame = Frame::embedded();
        assert!(refit(marks, &near, &frame).is_ok() || refit(&p.pairs[1], &near, &frame).is_ok());
    }

    #[test]
    fn a_foreign_a4_page_is_located_by_the_marks_its_profile_records() {
        // The marks `fill --form` stamps on an A4 page (fixtures/foreign/transfer-a4.profile.toml).
        let frame = Frame::stamped((595.28, 841.89), [[28.0, 28.0], [553.28, 28.0], [28.0, 799.89], [553.28, 799.89]]);
        let t = Transform::affine([2.0, 0.0, 20.0, 0.0, -2.0, 1700.0]);
        let img = draw_marks(&t, &frame, &[]);
        let p = locate(&img, &frame).unwrap();
        assert_eq!(p.marks, 4);
        let upright = p.fits.iter().find(|f| f.angle().abs() < 90.0).unwrap();
        let (u, v) = upright.apply(500.0, 100.0);
        assert!((u - 1020.0).abs() < 1.5 && (v - 1500.0).abs() < 1.5, "{u},{v}");
        // Read as a Letter page of the embedded form, the same marks are not where its are.
        let wrong = locate(&img, &Frame::embedded()).map(|p| p.fits.map(|f| f.apply(500.0, 100.0)));
        assert!(
            wrong.is_err() || wrong.unwrap().iter().all(|(u, v)| (u - 1020.0).abs() > 3.0 || (v - 1500.0).abs() > 3.0)
        );
    }

    #[test]
    fn a_blank_picture_has_no_marks() {
        let img = Gray::white(1224, 1584).unwrap();
        assert!(locate(&img, &Frame::embedded()).unwrap_err().contains("registration marks"));
    }
}
