//! How a filled value is laid out in its box so that it is always shown whole (SPEC section 6):
//! at the largest size up to 9 pt that fits on one line, down to a readable minimum of 6 pt;
//! then on two lines where the box is tall enough; otherwise refused, never cut off.
//!
//! Microsoft contacts the admin at the email printed on the form, so a value that silently
//! loses its tail (`…@contoso-cloud-services-emea.e`) is worse than a refusal.
//!
//! ```
//! use formtool::form::fit::{fit, MIN_SIZE};
//! let short = fit("Fabrikam Ltd", 190.0, 15.0).unwrap();
//! assert_eq!(short.lines.len(), 1);
//! let long = "a".repeat(400);
//! let err = fit(&long, 190.0, 15.0).unwrap_err();
//! assert!(err.fits < 400 && err.size == MIN_SIZE);
//! ```

use crate::form::font;

/// The smallest size a value is printed at.
pub const MIN_SIZE: f32 = 6.0;
/// The size a value is printed at when it fits.
pub const MAX_SIZE: f32 = 9.0;
/// Space kept free left and right of the text, inside the box.
pub const PAD_X: f32 = 2.0;
/// The clip rectangle of an appearance is the box less this margin on every side.
pub const CLIP: f32 = 1.0;
/// Vertical extent of a line of text, as a multiple of its size (the font's ascent above the
/// baseline plus its descent below it, rounded up).
const LINE_EXTENT: f32 = 0.96;
/// Distance between the baselines of two lines, as a multiple of the size.
const LEADING: f32 = 1.0;

/// A value laid out in its box: the size and the lines (one or two).
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub size: f32,
    pub lines: Vec<String>,
}

/// A value that cannot be shown whole in its box even at [`MIN_SIZE`].
#[derive(Debug, Clone, PartialEq)]
pub struct TooLong {
    /// Characters in the value.
    pub chars: usize,
    /// The most characters of this value that fit (at [`MIN_SIZE`], on two lines if the box
    /// allows two).
    pub fits: usize,
    /// Lines the box holds at the minimum size.
    pub lines: usize,
    pub size: f32,
}

impl TooLong {
    /// The reason, for a message that starts with the field's name.
    pub fn describe(&self) -> String {
        let how = if self.lines > 1 { format!("on {} lines ", self.lines) } else { String::new() };
        format!(
            "the value is {} characters long and would be cut off; at most {} of its characters fit in this box {how}at {} pt",
            self.chars, self.fits, self.size
        )
    }
}

fn width(text: &str, size: f32) -> f32 {
    font::embedded().width(text, size)
}

/// The largest size (in half points, from [`MAX_SIZE`] down to [`MIN_SIZE`]) at which `lines`
/// lines fit the height of a box.
fn sizes_for(lines: usize, height: f32) -> impl Iterator<Item = f32> {
    let usable = height - 2.0 * CLIP;
    let extent = move |s: f32| s * (LINE_EXTENT + LEADING * (lines as f32 - 1.0));
    let mut top = MAX_SIZE.min(height * 0.7);
    if lines > 1 {
        top = MAX_SIZE.min(usable / (LINE_EXTENT + LEADING * (lines as f32 - 1.0)));
    }
    let top = (top * 2.0).floor() / 2.0;
    let steps = ((top - MIN_SIZE) * 2.0).max(-1.0) as i32;
    (0..=steps).map(move |k| top - k as f32 * 0.5).filter(move |s| *s >= MIN_SIZE && extent(*s) <= usable + 0.01)
}

/// Lay out `text` in a box `width` × `height` points. See the module documentation.
pub fn fit(text: &str, width_pt: f32, height: f32) -> Result<Fitted, TooLong> {
    let avail = width_pt - 2.0 * PAD_X;
    // One line: the largest size that fits, never below the minimum.
    let mut size = MAX_SIZE.min(height * 0.7);
    while size > MIN_SIZE && width(text, size) > avail {
        size -= 0.5;
    }
    let size = size.max(MIN_SIZE);
    if width(text, size) <= avail {
        return Ok(Fitted { size, lines: vec![text.to_string()] });
    }
    for s in sizes_for(2, height) {
        if let Some((a, b)) = split_in_two(text, s, avail) {
            return Ok(Fitted { size: s, lines: vec![a, b] });
        }
    }
    let two = sizes_for(2, height).next().is_some();
    let chars: Vec<char> = text.chars().collect();
    let prefix_fits = |n: usize, lines: usize| {
        let prefix: String = chars[..n].iter().collect();
        if lines == 1 { width(&prefix, MIN_SIZE) <= avail } else { split_in_two(&prefix, MIN_SIZE, avail).is_some() }
    };
    let lines = if two { 2 } else { 1 };
    // Longest prefix that fits: fitting is monotonic in the prefix length.
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if prefix_fits(mid, lines) { lo = mid } else { hi = mid - 1 }
    }
    Err(TooLong { chars: chars.len(), fits: lo, lines, size: MIN_SIZE })
}

/// Split `text` into two lines that each fit `avail` at `size`: after the last space or
/// punctuation (`@ - . , /`) that leaves a first line that fits, else after the last character
/// that does. Spaces at the break are dropped; nothing else is.
fn split_in_two(text: &str, size: f32, avail: f32) -> Option<(String, String)> {
    let chars: Vec<char> = text.chars().collect();
    // The longest first line that fits.
    let mut n = 0;
    while n < chars.len() && width(&chars[..=n].iter().collect::<String>(), size) <= avail {
        n += 1;
    }
    if n == 0 {
        return None;
    }
    if n == chars.len() {
        return Some((text.to_string(), String::new()));
    }
    let natural =
        (1..=n).rev().find(|&k| matches!(chars[k - 1], ' ' | '@' | '-' | '.' | ',' | '/')).filter(|&k| k * 2 >= n);
    for cut in natural.into_iter().chain(std::iter::once(n)) {
        let first: String = chars[..cut].iter().collect::<String>().trim_end().to_string();
        let second: String = chars[cut..].iter().collect::<String>().trim_start().to_string();
        if width(&second, size) <= avail {
            return Some((first, second));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_stay_on_one_line_at_nine_points() {
        let f = fit("Fabrikam Ltd", 190.0, 15.0).unwrap();
        assert_eq!(f, Fitted { size: 9.0, lines: vec!["Fabrikam Ltd".into()] });
    }

    #[test]
    fn a_long_email_goes_on_two_lines_whole() {
        let email = "operations.team.lead.for.transfers@contoso-cloud-services-emea.example.com";
        let f = fit(email, 192.0, 15.0).unwrap();
        assert_eq!(f.lines.len(), 2);
        assert!(f.size >= MIN_SIZE);
        assert_eq!(f.lines.concat(), email);
        assert!(f.lines.iter().all(|l| width(l, f.size) <= 188.0));
    }

    #[test]
    fn refuses_with_the_most_that_fits() {
        let long = "x".repeat(300);
        let e = fit(&long, 192.0, 15.0).unwrap_err();
        assert_eq!(e.chars, 300);
        assert_eq!(e.lines, 2);
        assert!(fit(&"x".repeat(e.fits), 192.0, 15.0).is_ok());
        assert!(fit(&"x".repeat(e.fits + 1), 192.0, 15.0).is_err());
    }
}
