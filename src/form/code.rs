//! The page code: a QR code printed on every page of a filled form that ties a scanned page
//! back to its transfer without OCR.
//!
//! It carries the form version, the page number and page count, a digest of every filled
//! value (so pages of different transfers are never mixed up), the IDs of the subscriptions
//! printed on that page, and on page 1 the values the checks and the report need: the
//! Microsoft IDs, both admin contacts, the customer's organization and the subscription count.
//!
//! Two payload layouts, told apart by the first line (always ASCII:
//! `FT<form version>[/2] <page>/<pages> <digest>`):
//! - layout 1 (`FT1 …`, forms filled before subscriptions were carried): one `KEY=value` text
//!   item per line. Still decoded, because forms already printed carry it.
//! - layout 2 (`FT1/2 …`, written now): after the first line, binary items
//!   `[key length][key][kind][value length, 2 bytes big-endian][value]`, where a GUID list
//!   (`kind` 1) is 16 bytes per GUID instead of 32 hex digits: ten subscriptions cost 160
//!   bytes, which keeps page 1's code small enough to read in a 150 dpi scan.
//!
//! In memory every value is text either way: GUIDs as 32 hex digits, lists comma-separated.
//!
//! ```
//! use formtool::form::code::PageCode;
//! let code = PageCode {
//!     page: 2,
//!     pages: 3,
//!     digest: "0123456789abcdef".into(),
//!     values: vec![("s".into(), "0123456789abcdef0123456789abcdef".into())],
//! };
//! assert_eq!(PageCode::decode(&code.encode()).unwrap(), code);
//! ```

use qrcode::bits::Bits;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel, Version};
use sha2::{Digest, Sha256};

use crate::form::layout::{FORM_VERSION, Rect, SUBSCRIPTIONS_ON_FIRST_PAGE, SUBSCRIPTIONS_PER_CONTINUATION_PAGE};
use crate::input::Transfer;
use crate::pdf::num;
use lopdf::{Stream, dictionary};

/// The decoded content of one page's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCode {
    pub page: usize,
    pub pages: usize,
    /// First 16 hex digits of the SHA-256 of the transfer's values.
    pub digest: String,
    /// `(key, value)` pairs; keys are the short `KEY_*` names below.
    pub values: Vec<(String, String)>,
}

/// Marks layout 2 in the first line (after `FT<form version>`).
const LAYOUT_2: &str = "/2";
/// Item kinds of layout 2.
const KIND_TEXT: u8 = 0;
const KIND_GUIDS: u8 = 1;

impl PageCode {
    /// The code of page `page` of `pages` for `transfer`, to be printed `side` points wide. It
    /// carries the subscriptions `transfer.subscriptions[on_page]` (those printed on that
    /// page) and, on page 1, the customer's organization — each only while the code stays
    /// within [`max_readable_version`] for that size (what the checks need always goes in).
    pub fn for_page(
        transfer: &Transfer,
        page: usize,
        pages: usize,
        on_page: std::ops::Range<usize>,
        side: f32,
    ) -> PageCode {
        let max_version = max_readable_version(side);
        let mut code = PageCode { page, pages, digest: transfer_digest(transfer), values: Vec::new() };
        let mut push = |k: &str, v: String| code.values.push((k.to_string(), v));
        if page == 1 {
            let admin = |a: &crate::input::Admin| format!("{}|{}|{}", a.name, a.email, a.phone);
            push(KEY_CURRENT_PARTNER_ID, compact_guid(&transfer.current_partner.microsoft_id));
            push(KEY_CUSTOMER_ID, compact_guid(&transfer.customer.microsoft_id));
            push(KEY_CURRENT_PARTNER_ADMIN, admin(&transfer.current_partner.admin));
            if let Some(np) = &transfer.new_partner {
                push(KEY_NEW_PARTNER_ID, compact_guid(&np.microsoft_id));
                push(KEY_NEW_PARTNER_ADMIN, admin(&np.admin));
            }
            push(KEY_SUBSCRIPTIONS, transfer.subscriptions.len().to_string());
            code.push_if_readable(KEY_CUSTOMER_ORGANIZATION, transfer.customer.organization.clone(), max_version);
        }
        let ids: Vec<String> =
            transfer.subscriptions.get(on_page).unwrap_or_default().iter().map(|s| compact_guid(s)).collect();
        if !ids.is_empty() {
            code.push_if_readable(KEY_SUBSCRIPTION_IDS, ids.join(","), max_version);
        }
        code
    }

    /// Add an item the checks do not need, unless it would make the code too dense to read.
    fn push_if_readable(&mut self, key: &str, value: String, max_version: i16) {
        self.values.push((key.to_string(), value));
        if !fits_version(&self.encode(), max_version) {
            self.values.pop();
        }
    }

    /// The payload, in layout 2.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("FT{FORM_VERSION}{LAYOUT_2} {}/{} {}\n", self.page, self.pages, self.digest).into_bytes();
        for (k, v) in &self.values {
            // Only the ID keys hold GUIDs; other text that happens to be 32 hex digits stays text.
            let guids = [KEY_CURRENT_PARTNER_ID, KEY_CUSTOMER_ID, KEY_NEW_PARTNER_ID, KEY_SUBSCRIPTION_IDS]
                .contains(&k.as_str())
                .then(|| guid_bytes(v))
                .flatten();
            let (kind, bytes) = match guids {
                Some(b) => (KIND_GUIDS, b),
                None => (KIND_TEXT, v.as_bytes().to_vec()),
            };
            // Keys are short constants; values are validated input, far below 64 KiB, but a
            // longer one is cut at a character (or GUID) boundary rather than corrupting the layout.
            let mut len = bytes.len().min(u16::MAX as usize);
            if kind == KIND_GUIDS {
                len -= len % 16;
            }
            while kind == KIND_TEXT && !v.is_char_boundary(len) {
                len -= 1;
            }
            out.push(k.len().min(255) as u8);
            out.extend_from_slice(&k.as_bytes()[..k.len().min(255)]);
            out.push(kind);
            out.extend_from_slice(&(len as u16).to_be_bytes());
            out.extend_from_slice(&bytes[..len]);
        }
        out
    }

    /// Read a payload of either layout; `None` for anything else (another QR code, a misread).
    pub fn decode(payload: &[u8]) -> Option<PageCode> {
        let newline = payload.iter().position(|b| *b == b'\n').unwrap_or(payload.len());
        let head = std::str::from_utf8(&payload[..newline]).ok()?;
        let body = payload.get(newline + 1..).unwrap_or_default();
        let mut parts = head.split(' ');
        let tag = parts.next()?;
        let text_tag = format!("FT{FORM_VERSION}");
        let layout_2 = match tag.strip_prefix(&text_tag)? {
            "" => false,
            LAYOUT_2 => true,
            _ => return None,
        };
        let (page, pages) = parts.next()?.split_once('/')?;
        let digest = parts.next().filter(|d| d.len() == 16 && d.bytes().all(|b| b.is_ascii_hexdigit()))?.to_string();
        let values = if layout_2 { decode_items(body)? } else { decode_text_items(body)? };
        Some(PageCode { page: page.parse().ok()?, pages: pages.parse().ok()?, digest, values })
    }

    /// The code as a 1-bit image mask (PDF 32000-1 8.9.6.2), one sample per module with a
    /// four-module quiet zone, and the operators that paint it black filling `area`.
    ///
    /// An image mask rather than one rectangle per module: thousands of path operators cost
    /// milliseconds to write and compress, the mask is a few hundred bytes.
    pub fn image(&self, area: &Rect) -> Option<(Stream, String)> {
        let (width, colors) = qr_modules(&self.encode())?;
        let side = width + 8;
        let row_bytes = side.div_ceil(8);
        // Sample 0 paints (the default /Decode [0 1]), so rows start all light (1 bits).
        let mut data = vec![0xFFu8; row_bytes * side];
        for y in 0..width {
            for x in 0..width {
                if colors[y * width + x] == Color::Dark {
                    let (px, py) = (x + 4, y + 4);
                    data[py * row_bytes + px / 8] &= !(0x80 >> (px % 8));
                }
            }
        }
        let stream = Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Image",
                "Width" => side as i64,
                "Height" => side as i64,
                "ImageMask" => true,
                "BitsPerComponent" => 1,
                "Interpolate" => false,
            },
            data,
        );
        let size = area.width().min(area.height());
        let ops = format!(
            "q 0 g {} 0 0 {} {} {} cm /{CODE_IMAGE} Do Q\n",
            num(size),
            num(size),
            num(area.x1),
            num(area.y2 - size)
        );
        Some((stream, ops))
    }
}

/// Layout 1's items: `KEY=value` lines.
fn decode_text_items(body: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(body).ok()?;
    Some(text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

/// Layout 2's items; `None` if they do not parse exactly to the end.
fn decode_items(mut body: &[u8]) -> Option<Vec<(String, String)>> {
    let mut values = Vec::new();
    while !body.is_empty() {
        let key_len = *body.first()? as usize;
        let key = std::str::from_utf8(body.get(1..1 + key_len)?).ok()?.to_string();
        body = &body[1 + key_len..];
        let (kind, len) = (*body.first()?, u16::from_be_bytes([*body.get(1)?, *body.get(2)?]) as usize);
        let value = body.get(3..3 + len)?;
        body = &body[3 + len..];
        let value = match kind {
            KIND_TEXT => std::str::from_utf8(value).ok()?.to_string(),
            KIND_GUIDS if len % 16 == 0 => value
                .chunks(16)
                .map(|g| g.iter().map(|b| format!("{b:02x}")).collect::<String>())
                .collect::<Vec<_>>()
                .join(","),
            _ => return None,
        };
        values.push((key, value));
    }
    Some(values)
}

/// A comma-separated list of 32-hex-digit GUIDs as 16 bytes each; `None` for any other text.
fn guid_bytes(v: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for g in v.split(',') {
        if g.len() != 32 || !g.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        for pair in g.as_bytes().chunks(2) {
            out.push(u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?);
        }
    }
    Some(out)
}

/// Which of a transfer's subscriptions the embedded form prints on page `page` (1-based): the
/// first ten on page 1, then sixty on each continuation page.
pub fn embedded_page_subscriptions(page: usize, count: usize) -> std::ops::Range<usize> {
    if page <= 1 {
        return 0..SUBSCRIPTIONS_ON_FIRST_PAGE.min(count);
    }
    let start = (crate::form::layout::first_subscription_on_page(page) - 1).min(count);
    start..(start + SUBSCRIPTIONS_PER_CONTINUATION_PAGE).min(count)
}

/// The densest code formtool makes larger for the report's sake. The embedded form prints its
/// codes 96 pt wide: version 16 is 81 modules plus the quiet zone, 2.25 pixels per module in a
/// 150 dpi scan (3.0 at 200 dpi), which the scan reader still resolves through colour JPEG
/// q30 (fixtures `named-*`; and 9 of 9 trial scans of `fixtures/transfer.json` with ten
/// subscriptions, version 16, at 150 dpi q30–q40 and ±5°), while version 19 (page 1 with
/// 70-character emails and ten IDs) is not. So ten IDs fit on page 1 with ordinary values,
/// and about twenty on a continuation page; a page with more carries none of them (a scan then
/// lists no IDs rather than some; `verify --expect` supplies them).
pub const MAX_READABLE_VERSION: i16 = 16;

/// Side of the embedded form's codes, in points, for which [`MAX_READABLE_VERSION`] holds.
pub const EMBEDDED_CODE_SIDE: f32 = 96.0;

/// The densest version worth making for a code printed `side` points wide: the same module
/// size as [`MAX_READABLE_VERSION`] at [`EMBEDDED_CODE_SIDE`] (a foreign form's stamped code
/// may be as small as 60 pt, where that is version 7).
pub fn max_readable_version(side: f32) -> i16 {
    // Modules across, quiet zone (8) included, of the densest embedded code.
    let across = (17 + 4 * MAX_READABLE_VERSION + 8) as f32;
    let modules = (across * side / EMBEDDED_CODE_SIDE).floor() as i16 - 8;
    ((modules - 17) / 4).clamp(1, MAX_READABLE_VERSION)
}

/// Whether `data` fits a QR code of `version` (error correction M).
fn fits_version(data: &[u8], version: i16) -> bool {
    let mut bits = Bits::new(Version::Normal(version));
    bits.push_byte_data(data).is_ok() && bits.push_terminator(EcLevel::M).is_ok()
}

// Payload keys, short because every byte makes the code denser. GUIDs are held as 32 hex
// digits without hyphens (16 bytes each in layout 2); admins as `name|email|phone`.
pub const KEY_CURRENT_PARTNER_ID: &str = "cp";
pub const KEY_CUSTOMER_ID: &str = "cu";
pub const KEY_NEW_PARTNER_ID: &str = "np";
pub const KEY_CURRENT_PARTNER_ADMIN: &str = "cpa";
pub const KEY_NEW_PARTNER_ADMIN: &str = "npa";
pub const KEY_SUBSCRIPTIONS: &str = "n";
/// The IDs of the subscriptions printed on the page (layout 2), comma-separated.
pub const KEY_SUBSCRIPTION_IDS: &str = "s";
/// The customer's organization (page 1, layout 2).
pub const KEY_CUSTOMER_ORGANIZATION: &str = "co";

/// A GUID as 32 hex digits.
pub fn compact_guid(guid: &str) -> String {
    guid.replace('-', "")
}

/// Resource name of the page code image on every page.
pub const CODE_IMAGE: &str = "PageCode";

/// The modules of a QR code (error correction M) for `data`, row by row.
///
/// Why not `QrCode::new`: it scores all eight mask patterns to pick the best, which costs
/// milliseconds per code and would cap filling at a few hundred forms per second. One fixed
/// mask (diagonal lines) reads just as well for text payloads like ours; rqrr and phone
/// readers decode any mask.
pub fn qr_modules(data: &[u8]) -> Option<(usize, Vec<Color>)> {
    for v in 1..=40 {
        let version = Version::Normal(v);
        let mut bits = Bits::new(version);
        if bits.push_byte_data(data).is_err() || bits.push_terminator(EcLevel::M).is_err() {
            continue;
        }
        let (encoded, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M).ok()?;
        let mut canvas = Canvas::new(version, EcLevel::M);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&encoded, &ec);
        canvas.apply_mask(MaskPattern::DiagonalLines);
        return Some((version.width() as usize, canvas.into_colors()));
    }
    None
}

/// First 16 hex digits of the SHA-256 of the transfer as canonical JSON.
pub fn transfer_digest(transfer: &Transfer) -> String {
    let json = serde_json::to_vec(transfer).unwrap_or_default();
    let d = Sha256::digest(&json);
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(subscriptions: usize) -> Transfer {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/transfer.json")).unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["subscriptions"] =
            (0..subscriptions).map(|i| format!("{:08x}-2222-4333-8444-{:012x}", i + 1, i * 7919)).collect();
        let text = value.to_string();
        crate::input::parse_str(&text, crate::input::Format::Json, "t.json", false).unwrap().transfers.remove(0)
    }

    fn version(code: &PageCode) -> usize {
        (qr_modules(&code.encode()).unwrap().0 - 17) / 4
    }

    #[test]
    fn layout_1_codes_already_printed_still_decode() {
        let text = "FT1 1/2 0123456789abcdef\ncu=0c7d2a9f1e3b4c5d8e6f7a8b9c0d1e2f\nn=15\n";
        let code = PageCode::decode(text.as_bytes()).unwrap();
        assert_eq!((code.page, code.pages, code.digest.as_str()), (1, 2, "0123456789abcdef"));
        assert_eq!(code.values[1], ("n".to_string(), "15".to_string()));
    }

    #[test]
    fn layout_2_carries_guids_as_16_bytes_and_round_trips() {
        let t = transfer(12);
        let code = PageCode::for_page(&t, 1, 2, embedded_page_subscriptions(1, 12), EMBEDDED_CODE_SIDE);
        let bytes = code.encode();
        assert!(bytes.starts_with(b"FT1/2 1/2 "));
        assert_eq!(PageCode::decode(&bytes).unwrap(), code);
        let carried = code.values.iter().find(|(k, _)| k == KEY_SUBSCRIPTION_IDS).unwrap();
        assert_eq!(carried.1.split(',').count(), 10);
        // Ten GUIDs cost 160 bytes, not 320 hex digits.
        let text_size: usize = code.values.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        assert!(bytes.len() + 100 < text_size + 30, "{} bytes vs {text_size} as text", bytes.len());
        let page2 = PageCode::for_page(&t, 2, 2, embedded_page_subscriptions(2, 12), EMBEDDED_CODE_SIDE);
        assert_eq!(PageCode::decode(&page2.encode()).unwrap().values, page2.values);
        assert_eq!(page2.values.len(), 1);
        // An organization that looks like hex digits is text, and comes back as written.
        let mut hexy = t.clone();
        hexy.customer.organization = "0123456789ABCDEF0123456789ABCDEF".into();
        let code = PageCode::for_page(&hexy, 1, 2, 0..0, EMBEDDED_CODE_SIDE);
        assert_eq!(PageCode::decode(&code.encode()).unwrap(), code);
    }

    #[test]
    fn a_damaged_payload_is_refused() {
        let bytes = PageCode::for_page(&transfer(3), 1, 1, 0..3, EMBEDDED_CODE_SIDE).encode();
        for cut in [bytes.len() - 1, bytes.len() - 20, 12] {
            assert_eq!(PageCode::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        assert_eq!(PageCode::decode(b"FT9/2 1/1 00\n"), None);
        assert_eq!(PageCode::decode(b"FT1/3 1/1 00\n"), None);
    }

    /// The printed code stays readable at 150 dpi: what is carried for the report (the
    /// organization, the subscription IDs) never takes a code past version 16; a continuation
    /// page of twenty IDs carries them, one of sixty carries none; page 1 with long values
    /// drops the IDs, not what the checks need.
    #[test]
    fn codes_stay_within_the_version_a_150_dpi_scan_resolves() {
        let t = transfer(70);
        let page1 = PageCode::for_page(&t, 1, 2, embedded_page_subscriptions(1, 70), EMBEDDED_CODE_SIDE);
        assert!(version(&page1) <= MAX_READABLE_VERSION as usize, "page 1: version {}", version(&page1));
        let t30 = transfer(30);
        let page2 = PageCode::for_page(&t30, 2, 2, embedded_page_subscriptions(2, 30), EMBEDDED_CODE_SIDE);
        assert!(version(&page2) <= MAX_READABLE_VERSION as usize, "page 2: version {}", version(&page2));
        assert!(page2.values.iter().any(|(k, v)| k == KEY_SUBSCRIPTION_IDS && v.split(',').count() == 20));
        let full = PageCode::for_page(&t, 2, 2, embedded_page_subscriptions(2, 70), EMBEDDED_CODE_SIDE);
        assert!(full.values.is_empty(), "{full:?}");
        let mut long = transfer(10);
        long.current_partner.admin.email = format!("{}@contoso-cloud-services-emea.example", "a".repeat(40));
        let code = PageCode::for_page(&long, 1, 1, 0..10, EMBEDDED_CODE_SIDE);
        assert!(code.values.iter().any(|(k, _)| k == KEY_CURRENT_PARTNER_ADMIN));
        assert!(!code.values.iter().any(|(k, _)| k == KEY_SUBSCRIPTION_IDS));
        // A foreign form's smaller stamped code keeps the same module size.
        assert_eq!(max_readable_version(EMBEDDED_CODE_SIDE), MAX_READABLE_VERSION);
        assert_eq!(max_readable_version(60.0), 7);
        let small = PageCode::for_page(&transfer(10), 1, 1, 0..10, 60.0);
        assert!(!small.values.iter().any(|(k, _)| k == KEY_SUBSCRIPTION_IDS));
        assert!(small.values.iter().any(|(k, _)| k == KEY_CURRENT_PARTNER_ADMIN));
    }
}
