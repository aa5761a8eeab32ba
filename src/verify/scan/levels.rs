//! Pixel levels before anything is looked for: an evenly lit page, and whether a page is blank.
//!
//! A flatbed scanned with its lid open (or a page photographed under a lamp) is lit unevenly:
//! the paper at one corner can be 40 % darker than at the other, darker than the registration
//! marks' threshold there, or than the ink threshold of a box. [`flatten`] estimates the paper's
//! brightness over the page — the bright end of each block of about 16 points, then the
//! brightest of each block's neighbours, so that a block filled by a mark, a blot or the page
//! code still takes the paper around it — and divides it out (illumination multiplies what the
//! paper reflects). An evenly lit page, nearly every scan, is left as it is: a page is
//! flattened only when its paper varies by more than [`UNEVEN`].
//!
//! [`is_blank`] tells a duplex scanner's empty back side (paper, noise, a speck or two) from a
//! page that holds anything at all.

use super::raster::Gray;

/// Paper brightness varying by more than this share over the page is uneven lighting.
pub const UNEVEN: f32 = 0.12;

/// Blocks across the longer side of the page (about 16 pt each on a Letter page).
const BLOCKS: usize = 48;

/// The paper's brightness per block of `block` pixels (`gw × gh` blocks): a high percentile of
/// each block, then the brightest of the 3 × 3 blocks around it.
fn paper_grid(img: &Gray, block: usize) -> (Vec<f32>, usize, usize) {
    let (gw, gh) = (img.width.div_ceil(block), img.height.div_ceil(block));
    let mut grid = vec![0f32; gw * gh];
    // About 12 × 12 samples a block are plenty for a percentile, and keep this pass a few per
    // cent of reading an evenly lit page.
    let step = (block / 12).max(1);
    let mut hist = [0u32; 256];
    for by in 0..gh {
        for bx in 0..gw {
            hist.iter_mut().for_each(|h| *h = 0);
            let mut n = 0u32;
            for y in (by * block..((by + 1) * block).min(img.height)).step_by(step) {
                let row = &img.data[y * img.width..(y + 1) * img.width];
                for v in row[bx * block..((bx + 1) * block).min(img.width)].iter().step_by(step) {
                    hist[*v as usize] += 1;
                    n += 1;
                }
            }
            // The 85th percentile: paper, even where a third of the block is print.
            let target = n * 85 / 100;
            let mut acc = 0;
            let mut level = 255;
            for (i, h) in hist.iter().enumerate() {
                acc += h;
                if acc > target {
                    level = i;
                    break;
                }
            }
            grid[by * gw + bx] = level as f32;
        }
    }
    let mut out = grid.clone();
    for by in 0..gh {
        for bx in 0..gw {
            let mut best = 0f32;
            for y in by.saturating_sub(1)..(by + 2).min(gh) {
                for x in bx.saturating_sub(1)..(bx + 2).min(gw) {
                    best = best.max(grid[y * gw + x]);
                }
            }
            out[by * gw + bx] = best;
        }
    }
    (out, gw, gh)
}

/// Divide the paper's uneven brightness out of `img`, in place, so the paper is as bright
/// everywhere as it is where it is brightest. Returns whether the page was uneven (and so
/// changed). Bi-level and evenly lit pages are left alone.
pub fn flatten(img: &mut Gray) -> bool {
    let block = (img.width.max(img.height) / BLOCKS).max(4);
    let (grid, gw, gh) = paper_grid(img, block);
    // The brightest and the darkest paper, ignoring the odd block at the page's edge.
    let mut sorted = grid.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let (low, high) = (sorted[sorted.len() / 100], sorted[sorted.len() - 1 - sorted.len() / 100]);
    if high < 64.0 || low >= high * (1.0 - UNEVEN) {
        return false;
    }
    // Gain per block, never below 1 and never more than 4 (a block darker than a quarter of the
    // paper is not paper), bilinear between block centres: first down the rows of block
    // centres, then along each pixel row with weights worked out once per column.
    let gain: Vec<f32> = grid.iter().map(|p| (high / p.max(high / 4.0)).max(1.0)).collect();
    let half = block as f32 / 2.0;
    let place = |i: usize, n: usize| -> (usize, f32) {
        let f = ((i as f32 + 0.5 - half) / block as f32).max(0.0);
        let i0 = (f as usize).min(n - 1);
        (i0, if i0 + 1 < n { f - i0 as f32 } else { 0.0 })
    };
    // Per pixel column: its weight towards the next block centre (of 65,536); per block
    // column: the run of pixel columns that lie after its centre (or before the first).
    let mut weights = vec![0i32; img.width];
    let mut segments: Vec<(usize, usize, usize)> = Vec::with_capacity(gw); // block, x0, x1
    for (x, w) in weights.iter_mut().enumerate() {
        let (bx, t) = place(x, gw);
        *w = (t * 65536.0) as i32;
        match segments.last_mut() {
            Some(last) if last.0 == bx => last.2 = x + 1,
            _ => segments.push((bx, x, x + 1)),
        }
    }
    let mut centres = vec![0i32; gw + 1];
    let mut row_gain = vec![0u32; img.width];
    for y in 0..img.height {
        let (y0, ty) = place(y, gh);
        let y1 = (y0 + 1).min(gh - 1);
        for (bx, c) in centres.iter_mut().enumerate().take(gw) {
            let (g0, g1) = (gain[y0 * gw + bx], gain[y1 * gw + bx]);
            // 8.8 fixed point: a gain of at most 4, in 1/256 steps.
            *c = ((g0 + (g1 - g0) * ty) * 256.0) as i32;
        }
        centres[gw] = centres[gw - 1];
        for &(bx, x0, x1) in &segments {
            // 8.16 fixed point; a gain is at most 4 (1,024 in 8.8), so i32 holds every step.
            let (a, d) = (centres[bx] * 256, centres[bx + 1] - centres[bx]);
            for (g, w) in row_gain[x0..x1].iter_mut().zip(&weights[x0..x1]) {
                *g = (a + ((d * *w) >> 8)).max(0) as u32;
            }
        }
        let row = &mut img.data[y * img.width..(y + 1) * img.width];
        for (v, g) in row.iter_mut().zip(&row_gain) {
            *v = ((*v as u32 * g) >> 16).min(255) as u8;
        }
    }
    true
}

/// A page that carries nothing: on a copy reduced to about a pixel per point, almost no pixel
/// is clearly darker than the paper (a duplex scanner's empty back side, with its noise and
/// perhaps a speck of dust). A page with a word, a mark or a line on it is not blank.
pub fn is_blank(img: &Gray) -> bool {
    let k = (img.width.max(img.height) / 800).max(1);
    let small = super::align::downscale(img, k);
    let paper = super::align::percentile(&small.data, 0.6);
    if paper < 128 {
        return false;
    }
    let dark_below = paper.saturating_sub(48);
    let dark = small.data.iter().filter(|v| **v < dark_below).count();
    // At most 1 in 20,000 pixels: dust, a staple hole, never a word of print.
    dark * 20_000 <= small.data.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of paper at `paper`, darkening by `depth` towards the bottom left, with a
    /// black square at `(x, y)`.
    fn shaded(w: usize, h: usize, paper: f32, depth: f32) -> Gray {
        let mut img = Gray::white(w, h).unwrap();
        for y in 0..h {
            for x in 0..w {
                let d = ((x as f32).powi(2) + ((h - y) as f32).powi(2)).sqrt() / (w.max(h) as f32);
                let light = 1.0 - depth * (1.0 - d).clamp(0.0, 1.0);
                img.data[y * w + x] = (paper * light) as u8;
            }
        }
        img
    }

    #[test]
    fn an_evenly_lit_page_is_left_alone() {
        let mut img = shaded(400, 500, 245.0, 0.0);
        img.data[250 * 400 + 200] = 10;
        let before = img.data.clone();
        assert!(!flatten(&mut img));
        assert_eq!(img.data, before);
    }

    #[test]
    fn a_dark_corner_is_lifted_and_print_stays_dark() {
        let mut img = shaded(400, 500, 245.0, 0.4);
        for y in 470..480 {
            for x in 10..20 {
                img.data[y * 400 + x] = (img.data[y * 400 + x] as f32 * 0.1) as u8;
            }
        }
        assert!(img.data[495 * 400 + 5] < 160);
        assert!(flatten(&mut img));
        assert!(img.data[495 * 400 + 5] > 225, "{}", img.data[495 * 400 + 5]);
        assert!(img.data[10] > 235);
        assert!(img.data[475 * 400 + 15] < 40, "{}", img.data[475 * 400 + 15]);
    }

    #[test]
    fn a_blank_back_side_is_blank_and_a_word_is_not() {
        let mut img = shaded(800, 1000, 240.0, 0.0);
        // Scanner noise and one speck of dust.
        for (i, v) in img.data.iter_mut().enumerate() {
            *v = v.saturating_sub((i * 7919 % 13) as u8);
        }
        img.data[500 * 800 + 400] = 30;
        assert!(is_blank(&img));
        for y in 100..104 {
            for x in 100..300 {
                img.data[y * 800 + x] = 20;
            }
        }
        assert!(!is_blank(&img));
    }
}
