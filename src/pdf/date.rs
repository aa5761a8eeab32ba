//! PDF dates (PDF 32000-1 7.9.4, `D:YYYYMMDDHHmmSSOHH'mm'`) written as ISO 8601, so that every
//! signing time in a report reads the same way whether it came from the CMS `signingTime` or a
//! signature dictionary's `/M`.
//!
//! ```
//! use formtool::pdf::date::iso8601;
//! assert_eq!(iso8601("D:20250305143000Z").as_deref(), Some("2025-03-05T14:30:00Z"));
//! assert_eq!(iso8601("D:20250305143000+01'00'").as_deref(), Some("2025-03-05T14:30:00+01:00"));
//! assert_eq!(iso8601("D:2025").as_deref(), Some("2025-01-01T00:00:00Z"));
//! assert_eq!(iso8601("yesterday"), None);
//! ```

/// `text` as ISO 8601 if it is a PDF date; `None` otherwise. Missing fields take their
/// defaults (month and day 1, time 0, UTC), as the specification says.
pub fn iso8601(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t.strip_prefix("D:").unwrap_or(t);
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() < 4 || digits.len() > 14 || !digits.len().is_multiple_of(2) {
        return None;
    }
    let field = |from: usize, default: u32| -> u32 {
        digits.get(from..from + 2).and_then(|s| s.parse().ok()).unwrap_or(default)
    };
    let year: u32 = digits[..4].parse().ok()?;
    let (month, day, hour, minute, second) = (field(4, 1), field(6, 1), field(8, 0), field(10, 0), field(12, 0));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let rest = &t[digits.len()..];
    let zone = match rest.chars().next() {
        None | Some('Z') => "Z".to_string(),
        Some(sign @ ('+' | '-')) => {
            let z: String = rest[1..].chars().filter(|c| c.is_ascii_digit()).collect();
            let hh: u32 = z.get(..2)?.parse().ok()?;
            let mm: u32 = z.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
            if hh > 23 || mm > 59 {
                return None;
            }
            format!("{sign}{hh:02}:{mm:02}")
        }
        _ => return None,
    };
    Some(format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{zone}"))
}
