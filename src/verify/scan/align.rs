//! Where the form lies in a scanned picture: the four solid registration marks of
//! [`crate::form::layout::registration_marks`], found on a small copy of the page and refined on the
//! full one, give the transform from form points to pixels.
//!
//! The fit is affine (least squares over the four marks) so that a scanner's slightly different
//! horizontal and vertical resolution does not push boxes off; it is then required to be nearly
//! a similarity — equal scale both ways (±5 %), square angles, not mirrored — which is what a
//! sheet on a flatbed or through a feeder can do: any offset, any scale, a few degrees of skew,
//! upside down. The four marks are symmetric under a half turn, so every fit comes with its
//! upside-down twin; the page code (which is off-centre, and which rqrr reads with its own
//! orientation) decides between them.

use crate::form::layout::{MARK_SIZE, PAGE_HEIGHT, PAGE_WIDTH, Rect, registration_marks};

use super::raster::Gray;

/// Form points (PDF user space, y up) → image pixels (y down):
/// `u = m[0]·x + m[1]·y + m[2]`, `v = m[3]·x + m[4]·y + m[5]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    pub m: [f32; 6],
}

impl Affine {
    #[inline]
    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let m = &self.m;
        (m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5])
    }

    /// Pixels per point.
    pub fn scale(&self) -> f32 {
        (self.m[0] * self.m[4] - self.m[1] * self.m[3]).abs().sqrt()
    }

    /// Rotation of the page in the picture, degrees in (-180, 180]: 0 upright, 180 upside down.
    pub fn angle(&self) -> f32 {
        self.m[3].atan2(self.m[0]).to_degrees()
    }
}

/// Centres of the four marks in form points, clockwise from the top left as the page is read.
fn mark_centres() -> [(f32, f32); 4] {
    let h = MARK_SIZE / 2.0;
    let [bl, br, tl, tr] = registration_marks();
    [(tl.0 + h, tl.1 + h), (tr.0 + h, tr.1 + h), (br.0 + h, br.1 + h), (bl.0 + h, bl.1 + h)]
}

/// A form point and the pixel it was found at.
pub type Pair = ((f32, f32), (f32, f32));
/// The best coarse fit so far: error, transform, mark centres, quarter turns.
type Best = (f32, Affine, [(f32, f32); 4], usize);

/// What the marks say about a page.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The fit as found, and its upside-down twin.
    pub fits: [Affine; 2],
    /// Grey level of solid print (inside the marks) and of blank paper.
    pub black: u8,
    pub paper: u8,
    /// A copy of the page reduced by `factor` (for quick looks such as code-box density).
    pub small: Gray,
    pub factor: usize,
}

/// Target resolution of the small copy: about 0.8 pixel per point, so a mark is ~11 pixels.
const SMALL_PX_PER_PT: f32 = 0.8;

/// Find the marks and fit the transform.
pub fn locate(img: &Gray) -> Result<Placement, String> {
    let est = ((img.width * img.height) as f32 / (PAGE_WIDTH * PAGE_HEIGHT)).sqrt();
    if est < 1.0 {
        return Err(format!("the scan is too small ({} × {} pixels) to read", img.width, img.height));
    }
    let factor = ((est / SMALL_PX_PER_PT).floor() as usize).max(1);
    let small = downscale(img, factor);
    let threshold = otsu(&small.data);
    let paper = percentile(&small.data, 0.6);
    let mark_px = MARK_SIZE * est / factor as f32;
    let candidates = mark_candidates(&small, threshold, mark_px);
    if candidates.len() < 4 {
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
        if list.is_empty() {
            return Err(
                "a registration mark is missing near one corner of the scan (is the whole page scanned?)".into()
            );
        }
    }
    let form = mark_centres();
    let mut best: Option<Best> = None;
    for a in &quadrants[0] {
        for b in &quadrants[1] {
            for c in &quadrants[2] {
                for d in &quadrants[3] {
                    let pts = [*a, *b, *c, *d];
                    // Image quadrant i holds form corner (i + r) % 4: r = 0 upright, 2 upside down,
                    // 1 and 3 a quarter turn (fitted too; a portrait page fails them on aspect).
                    for r in 0..4 {
                        let pairs: Vec<Pair> = (0..4)
                            .map(|i| {
                                let (x, y) = pts[i];
                                (form[(i + r) % 4], (x * factor as f32, y * factor as f32))
                            })
                            .collect();
                        let Some(fit) = fit_affine(&pairs) else { continue };
                        if validate(&fit).is_err() {
                            continue;
                        }
                        let err = residual(&fit, &pairs) / fit.scale();
                        if best.as_ref().is_none_or(|(e, ..)| err < *e) {
                            best = Some((err, fit, pts, r));
                        }
                    }
                }
            }
        }
    }
    let Some((err, coarse, pts, turn)) = best else {
        return Err("the registration marks do not form the form's rectangle (page skewed more than a few degrees, \
                    mirrored, or not the formtool form)"
            .into());
    };
    // Coarse error is in small-copy pixels; allow a few points before refinement.
    if err > 6.0 + 2.0 * factor as f32 / coarse.scale() {
        return Err(format!("the registration marks are {err:.1} pt away from where the form has them"));
    }
    // Refine every mark on the full-resolution page and fit again.
    let mark_full = MARK_SIZE * coarse.scale();
    let mut refined = Vec::with_capacity(4);
    let mut black_sum = 0u64;
    let mut black_n = 0u64;
    for &(x, y) in &pts {
        let centre = ((x + 0.5) * factor as f32, (y + 0.5) * factor as f32);
        let (c, b, n) = refine(img, centre, mark_full, threshold);
        refined.push(c);
        black_sum += b;
        black_n += n;
    }
    let black = black_sum.checked_div(black_n).unwrap_or(0) as u8;
    let mut fits = Vec::new();
    // The assignment the coarse fit chose, and its half-turn twin (equally good on marks alone).
    for rr in [turn, (turn + 2) % 4] {
        let pairs: Vec<Pair> = (0..4).map(|i| (form[(i + rr) % 4], refined[i])).collect();
        let fit = fit_affine(&pairs).ok_or("the registration marks cannot be fitted")?;
        validate(&fit)?;
        let e = residual(&fit, &pairs) / fit.scale();
        if e > 4.0 {
            return Err(format!("the registration marks are {e:.1} pt away from where the form has them"));
        }
        fits.push(fit);
    }
    Ok(Placement { fits: [fits[0], fits[1]], black, paper, small, factor })
}

/// Only transforms a real scan can produce: same scale both ways, square, not mirrored, and
/// a plausible size (the page fills at least a third of the picture's width).
fn validate(fit: &Affine) -> Result<(), String> {
    let m = &fit.m;
    let ex = (m[0], m[3]);
    let ey = (m[1], m[4]);
    let lx = (ex.0 * ex.0 + ex.1 * ex.1).sqrt();
    let ly = (ey.0 * ey.0 + ey.1 * ey.1).sqrt();
    if lx < 0.3 || ly < 0.3 {
        return Err("the form is too small in the scan".into());
    }
    let ratio = lx / ly;
    if !(0.95..=1.05).contains(&ratio) {
        return Err(format!("the scan is stretched {:.0} % more one way than the other", (ratio - 1.0).abs() * 100.0));
    }
    let cos = (ex.0 * ey.0 + ex.1 * ey.1) / (lx * ly);
    if cos.abs() > 0.05 {
        return Err("the scan is sheared".into());
    }
    // PDF y goes up and image y goes down: an unmirrored page has a negative determinant.
    if m[0] * m[4] - m[1] * m[3] >= 0.0 {
        return Err("the scan is mirrored".into());
    }
    Ok(())
}

fn residual(fit: &Affine, pairs: &[Pair]) -> f32 {
    pairs
        .iter()
        .map(|((x, y), (u, v))| {
            let (pu, pv) = fit.apply(*x, *y);
            ((pu - u).powi(2) + (pv - v).powi(2)).sqrt()
        })
        .fold(0.0, f32::max)
}

/// Least-squares affine fit of `form point → pixel` pairs (at least three, not collinear).
pub fn fit_affine(pairs: &[Pair]) -> Option<Affine> {
    // Normal equations for [x y 1]·p = u and = v, solved in f64 by Cramer's rule.
    let mut s = [[0f64; 3]; 3];
    let mut bu = [0f64; 3];
    let mut bv = [0f64; 3];
    for ((x, y), (u, v)) in pairs {
        let r = [*x as f64, *y as f64, 1.0];
        for i in 0..3 {
            for j in 0..3 {
                s[i][j] += r[i] * r[j];
            }
            bu[i] += r[i] * *u as f64;
            bv[i] += r[i] * *v as f64;
        }
    }
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&s);
    if d.abs() < 1e-9 {
        return None;
    }
    let solve = |b: &[f64; 3]| {
        let mut out = [0f32; 3];
        for (k, o) in out.iter_mut().enumerate() {
            let mut m = s;
            for i in 0..3 {
                m[i][k] = b[i];
            }
            *o = (det(&m) / d) as f32;
        }
        out
    };
    let pu = solve(&bu);
    let pv = solve(&bv);
    let m = [pu[0], pu[1], pu[2], pv[0], pv[1], pv[2]];
    m.iter().all(|v| v.is_finite()).then_some(Affine { m })
}

/// The picture reduced by `k` in both directions, each pixel the mean of a k × k block.
pub fn downscale(img: &Gray, k: usize) -> Gray {
    let (w, h) = ((img.width / k).max(1), (img.height / k).max(1));
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
pub fn resample(img: &Gray, t: &Affine, rect: &Rect, r: f32) -> Gray {
    let w = ((rect.width() * r).round() as usize).clamp(1, 8192);
    let h = ((rect.height() * r).round() as usize).clamp(1, 8192);
    let mut data = vec![255u8; w * h];
    let ratio = t.scale() / r;
    let block = if ratio >= 1.75 { ratio.round() as isize } else { 1 };
    for j in 0..h {
        let y = rect.y2 - (j as f32 + 0.5) / r;
        let x0 = rect.x1 + 0.5 / r;
        let (mut u, mut v) = t.apply(x0, y);
        let (du, dv) = (t.m[0] / r, t.m[3] / r);
        let row = &mut data[j * w..(j + 1) * w];
        for px in row.iter_mut() {
            *px = if block > 1 { block_mean(img, u, v, block) } else { bilinear(img, u, v) };
            u += du;
            v += dv;
        }
    }
    Gray { width: w, height: h, data }
}

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
        let t = Affine { m: [s * a.cos(), s * a.sin(), 40.0, s * a.sin(), -s * a.cos(), 1600.0] };
        let mut img = Gray::white(1300, 1700).unwrap();
        for (x, y) in registration_marks() {
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
        let p = locate(&img).unwrap();
        // The marks alone cannot tell a page from its half turn: both fits come back.
        let upright = p.fits.iter().find(|f| f.angle().abs() < 90.0).unwrap();
        let twin = p.fits.iter().find(|f| f.angle().abs() > 90.0).unwrap();
        let (u, v) = upright.apply(300.0, 400.0);
        let (eu, ev) = t.apply(300.0, 400.0);
        assert!((u - eu).abs() < 1.5 && (v - ev).abs() < 1.5, "{u},{v} vs {eu},{ev}");
        assert!((upright.angle() - 3.0).abs() < 0.5);
        assert!((twin.angle().abs() - 177.0).abs() < 0.5);
    }

    #[test]
    fn a_blank_picture_has_no_marks() {
        let img = Gray::white(1224, 1584).unwrap();
        assert!(locate(&img).unwrap_err().contains("registration marks"));
    }
}
