//! Is there handwriting in a box? Measured on the upright crop of the box (see
//! [`super::align::resample`]), inside the printed outline, with two thresholds and an
//! "uncertain" zone between them: only clear evidence counts as signed or ticked, only a
//! clean box counts as blank, and everything in between fails its check with a request for a
//! human look — a form wrongly called ready costs days, one wrongly held back costs a glance.
//!
//! Ink is what is darker than [`threshold`], a level between the page's solid black (measured
//! in the registration marks) and the paper around the box, so grey paper, blue ballpoint and
//! JPEG noise are judged against the same page. Specks smaller than half a point are noise.
//! Rows and columns next to the box edge that are dark across most of the box are the printed
//! outline seen slightly off (scanner skew, paper stretch), not ink, and are ignored.

use super::raster::Gray;

/// What a box holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Clear handwriting (a signature, a tick, written text).
    Marked,
    /// Nothing but paper.
    Blank,
    /// Some ink, but not enough to be sure: a dot, a smudge, a stray line.
    Uncertain,
}

/// Measurements of the ink inside a box, in points and fractions of the box.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ink {
    /// Ink pixels (after dropping specks) over the box's pixels.
    pub fraction: f32,
    /// Width and height of the bounding box of all ink, as fractions of the box.
    pub span_x: f32,
    pub span_y: f32,
    /// Largest extent (width or height) of one connected stroke, in points.
    pub longest_stroke: f32,
    /// Extent of the second longest stroke, in points (0 with fewer than two).
    pub second_stroke: f32,
    /// Ink pixels over the area of the ink's bounding box: low for pen strokes, high for a
    /// smudge, a blot or a filled rectangle.
    pub solidity: f32,
    pub strokes: usize,
}

/// The grey level separating ink from paper: 60 % of the way from solid black to the paper.
pub fn threshold(black: u8, paper: u8) -> u8 {
    threshold_at(black, paper, 0.6)
}

/// The level `share` of the way from solid black to the paper.
pub fn threshold_at(black: u8, paper: u8, share: f32) -> u8 {
    let (b, p) = (black as f32, paper.max(black.saturating_add(40)) as f32);
    (b + share * (p - b)).clamp(0.0, 254.0) as u8
}

/// Measure the ink in `crop[x0..x1, y0..y1]` (the box interior), `r` pixels per point.
pub fn measure(crop: &Gray, interior: (usize, usize, usize, usize), r: f32, threshold: u8) -> Ink {
    let (x0, y0, x1, y1) = interior;
    let (x1, y1) = (x1.min(crop.width), y1.min(crop.height));
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return Ink::default();
    }
    let (w, h) = (x1 - x0, y1 - y0);
    let mut mask: Vec<bool> = Vec::with_capacity(w * h);
    for y in y0..y1 {
        mask.extend(crop.data[y * crop.width + x0..y * crop.width + x1].iter().map(|v| *v < threshold));
    }
    // The printed outline, when it shows inside the interior: a row or column near the edge
    // that is dark over more than half the box.
    let band = ((2.5 * r) as usize).max(1);
    for y in (0..band.min(h)).chain(h.saturating_sub(band)..h) {
        let row = &mut mask[y * w..(y + 1) * w];
        if row.iter().filter(|d| **d).count() * 2 > w {
            row.iter_mut().for_each(|d| *d = false);
        }
    }
    for x in (0..band.min(w)).chain(w.saturating_sub(band)..w) {
        if (0..h).filter(|y| mask[y * w + x]).count() * 2 > h {
            (0..h).for_each(|y| mask[y * w + x] = false);
        }
    }
    // Connected strokes (8-neighbours); specks under ~0.5 pt² are scanner noise.
    let min_area = ((0.5 * r * r) as usize).max(3);
    let mut seen = vec![false; w * h];
    let mut stack = Vec::new();
    let (mut ink, mut strokes, mut longest, mut second) = (0usize, 0usize, 0usize, 0usize);
    let (mut bx1, mut by1, mut bx2, mut by2) = (w, h, 0usize, 0usize);
    for start in 0..w * h {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut cx1, mut cy1, mut cx2, mut cy2, mut n) = (w, h, 0usize, 0usize, 0usize);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            cx1 = cx1.min(x);
            cx2 = cx2.max(x);
            cy1 = cy1.min(y);
            cy2 = cy2.max(y);
            n += 1;
            for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    let (nx, ny) = (x as isize + dx, y as isize + dy);
                    if nx < 0 || ny < 0 || nx as usize >= w || ny as usize >= h {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if mask[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        if n < min_area {
            continue;
        }
        ink += n;
        strokes += 1;
        let extent = (cx2 - cx1 + 1).max(cy2 - cy1 + 1);
        if extent > longest {
            second = longest;
            longest = extent;
        } else {
            second = second.max(extent);
        }
        bx1 = bx1.min(cx1);
        by1 = by1.min(cy1);
        bx2 = bx2.max(cx2);
        by2 = by2.max(cy2);
    }
    if strokes == 0 {
        return Ink::default();
    }
    let (sw, sh) = ((bx2 - bx1 + 1) as f32, (by2 - by1 + 1) as f32);
    Ink {
        fraction: ink as f32 / (w * h) as f32,
        span_x: sw / w as f32,
        span_y: sh / h as f32,
        longest_stroke: longest as f32 / r,
        second_stroke: second as f32 / r,
        solidity: ink as f32 / (sw * sh),
        strokes,
    }
}

/// A signature: strokes spread over a quarter of the box's width and some of its height, not a
/// solid blot. A dot, a smudge, a short line or a strip of the box outline is not one.
pub fn signature(ink: &Ink) -> Verdict {
    if ink.strokes == 0 || (ink.fraction < 0.0005 && ink.longest_stroke < 3.0) {
        Verdict::Blank
    } else if ink.span_x >= 0.25
        && ink.span_y >= 0.15
        && ink.fraction >= 0.003
        && ink.longest_stroke >= 10.0
        && ink.solidity <= 0.45
    {
        Verdict::Marked
    } else {
        Verdict::Uncertain
    }
}

/// A tick or cross in a checkbox: strokes over a good part of the box, not a blot or a dot
/// (a pen dot is at most about 4 pt across and solid; a tick crosses most of the box).
pub fn checkbox(ink: &Ink) -> Verdict {
    if ink.strokes == 0 || ink.fraction < 0.01 {
        Verdict::Blank
    } else if ink.fraction >= 0.05
        && ink.span_x.max(ink.span_y) >= 0.45
        && ink.span_x.min(ink.span_y) >= 0.2
        && ink.longest_stroke >= 5.0
        && ink.solidity <= 0.6
    {
        Verdict::Marked
    } else if ink.fraction >= 0.08
        && ink.span_x.max(ink.span_y) >= 0.75
        && ink.span_x.min(ink.span_y) >= 0.5
        && ink.longest_stroke >= 3.5
        && ink.second_stroke >= 2.5
        && ink.solidity <= 0.35
    {
        // A tick that runs over the printed outline is cut where the outline is removed (and
        // a thin one on a bi-level scan breaks up): two or more real pieces, each points long,
        // spread over most of the box and far from solid. A dot (one solid blob under 4 pt)
        // or a dot with scanner specks (under a point) cannot look like this.
        Verdict::Marked
    } else {
        Verdict::Uncertain
    }
}

/// A checkbox filled in solid (a 7 pt square in an 11 pt box): the middle of the interior —
/// the central 60 % each way — is nearly all ink darker than `threshold`. [`measure`] cannot
/// tell: the square's edges run along the outline and are dropped as outline seen off. A
/// pen dot (at most about 4 pt across) covers under half of the middle, and the printed
/// outline none of it.
pub fn filled(crop: &Gray, interior: (usize, usize, usize, usize), threshold: u8) -> bool {
    let (x0, y0, x1, y1) = interior;
    let (x1, y1) = (x1.min(crop.width), y1.min(crop.height));
    if x1 <= x0 + 4 || y1 <= y0 + 4 {
        return false;
    }
    let (mx, my) = ((x1 - x0) / 5, (y1 - y0) / 5);
    let (mut dark, mut n) = (0usize, 0usize);
    for y in y0 + my..y1 - my {
        let row = &crop.data[y * crop.width + x0 + mx..y * crop.width + x1 - mx];
        dark += row.iter().filter(|v| **v < threshold).count();
        n += row.len();
    }
    n > 0 && dark * 100 >= n * 85
}

/// Written text in a one-line field.
pub fn text(ink: &Ink) -> Verdict {
    if ink.strokes == 0 || ink.fraction < 0.003 {
        Verdict::Blank
    } else if ink.fraction >= 0.01 && ink.span_x >= 0.1 && ink.longest_stroke >= 3.0 {
        Verdict::Marked
    } else {
        Verdict::Uncertain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canvas(w: usize, h: usize) -> Gray {
        Gray::white(w, h).unwrap()
    }

    fn line(img: &mut Gray, (x0, y0): (f32, f32), (x1, y1): (f32, f32), width: f32) {
        let steps = ((x1 - x0).abs().max((y1 - y0).abs()) * 2.0) as usize + 1;
        for s in 0..=steps {
            let t = s as f32 / steps as f32;
            let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
            let r = (width / 2.0).ceil() as isize;
            for dy in -r..=r {
                for dx in -r..=r {
                    let (px, py) = (x as isize + dx, y as isize + dy);
                    if px >= 0 && py >= 0 && (px as usize) < img.width && (py as usize) < img.height {
                        img.data[py as usize * img.width + px as usize] = 20;
                    }
                }
            }
        }
    }

    #[test]
    fn a_scribble_is_a_signature_a_dot_is_not() {
        let r = 3.0;
        let mut img = canvas(696, 168);
        let interior = (9, 9, 687, 159);
        assert_eq!(signature(&measure(&img, interior, r, 128)), Verdict::Blank);
        line(&mut img, (300.0, 80.0), (303.0, 83.0), 4.0);
        assert_eq!(signature(&measure(&img, interior, r, 128)), Verdict::Uncertain);
        for k in 0..8 {
            let x = 100.0 + k as f32 * 40.0;
            line(&mut img, (x, 120.0), (x + 20.0, 40.0), 2.0);
            line(&mut img, (x + 20.0, 40.0), (x + 40.0, 120.0), 2.0);
        }
        assert_eq!(signature(&measure(&img, interior, r, 128)), Verdict::Marked);
    }

    #[test]
    fn the_box_outline_seen_off_by_a_point_is_not_ink() {
        let mut img = canvas(696, 168);
        line(&mut img, (0.0, 12.0), (695.0, 12.0), 3.0);
        let ink = measure(&img, (9, 9, 687, 159), 3.0, 128);
        assert_eq!(signature(&ink), Verdict::Blank, "{ink:?}");
    }

    #[test]
    fn a_filled_blot_is_not_a_signature() {
        let mut img = canvas(696, 168);
        for y in 40..130 {
            for x in 100..400 {
                img.data[y * 696 + x] = 30;
            }
        }
        assert_eq!(signature(&measure(&img, (9, 9, 687, 159), 3.0, 128)), Verdict::Uncertain);
    }

    #[test]
    fn a_filled_square_fills_the_middle_a_dot_does_not() {
        // An 11 pt box at 4 px/pt, interior inset 1.2 pt.
        let interior = (5, 5, 39, 39);
        let mut img = canvas(44, 44);
        line(&mut img, (22.0, 22.0), (22.5, 22.5), 15.0);
        assert!(!filled(&img, interior, 128), "a 4 pt dot");
        for y in 8..36 {
            for x in 8..36 {
                img.data[y * 44 + x] = 40;
            }
        }
        assert!(filled(&img, interior, 128), "a 7 pt square");
        assert!(!filled(&img, interior, 30), "too faint for the threshold");
    }

    #[test]
    fn a_tick_cut_by_the_outline_counts_but_a_dot_with_a_fragment_does_not() {
        // Measured on a bi-level 150 dpi scan: a tick over the box edge, in three pieces.
        let cut = Ink {
            fraction: 0.16,
            span_x: 1.0,
            span_y: 0.59,
            longest_stroke: 4.0,
            second_stroke: 3.0,
            solidity: 0.28,
            strokes: 3,
        };
        assert_eq!(checkbox(&cut), Verdict::Marked);
        // The dot-in-reseller-box fixture: a dot and a piece beside it.
        let dot = Ink {
            fraction: 0.15,
            span_x: 0.5,
            span_y: 0.53,
            longest_stroke: 4.5,
            second_stroke: 4.25,
            solidity: 0.55,
            strokes: 2,
        };
        assert_eq!(checkbox(&dot), Verdict::Uncertain);
    }
}
