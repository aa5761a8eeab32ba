//! The page code: a QR code printed on every page of a filled form that ties a scanned page
//! back to its transfer without OCR.
//!
//! It carries the form version, the page number and page count, a digest of every filled
//! value (so pages of different transfers are never mixed up), and on page 1 the values the
//! checks need: the Microsoft IDs, both admin contacts and the subscription count.
//! The payload is plain UTF-8 text, one `KEY=value` item per line, so a person with any QR
//! reader can see what it says.
//!
//! ```
//! use formtool::form::code::PageCode;
//! let code = PageCode { page: 2, pages: 3, digest: "0123456789abcdef".into(), values: vec![] };
//! let text = code.encode();
//! assert_eq!(PageCode::decode(&text).unwrap(), code);
//! ```

use qrcode::bits::Bits;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel, Version};
use sha2::{Digest, Sha256};

use crate::form::layout::{FORM_VERSION, Rect};
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
    /// `(key, value)` pairs; keys are role keys such as `customer.microsoft_id`.
    pub values: Vec<(String, String)>,
}

impl PageCode {
    /// The code of page `page` of `pages` for `transfer`.
    pub fn for_page(transfer: &Transfer, page: usize, pages: usize) -> PageCode {
        let mut values = Vec::new();
        if page == 1 {
            let mut push = |k: &str, v: String| values.push((k.to_string(), v));
            let admin = |a: &crate::input::Admin| format!("{}|{}|{}", a.name, a.email, a.phone);
            push(KEY_CURRENT_PARTNER_ID, compact_guid(&transfer.current_partner.microsoft_id));
            push(KEY_CUSTOMER_ID, compact_guid(&transfer.customer.microsoft_id));
            push(KEY_CURRENT_PARTNER_ADMIN, admin(&transfer.current_partner.admin));
            if let Some(np) = &transfer.new_partner {
                push(KEY_NEW_PARTNER_ID, compact_guid(&np.microsoft_id));
                push(KEY_NEW_PARTNER_ADMIN, admin(&np.admin));
            }
            push(KEY_SUBSCRIPTIONS, transfer.subscriptions.len().to_string());
        }
        PageCode { page, pages, digest: transfer_digest(transfer), values }
    }

    pub fn encode(&self) -> String {
        let mut s = format!("FT{FORM_VERSION} {}/{} {}\n", self.page, self.pages, self.digest);
        for (k, v) in &self.values {
            // Keys never contain '=' or newlines; values never contain newlines (validated text).
            s.push_str(&format!("{k}={}\n", v.replace('\n', " ")));
        }
        s
    }

    pub fn decode(text: &str) -> Option<PageCode> {
        let mut lines = text.lines();
        let head = lines.next()?;
        let mut parts = head.split(' ');
        if parts.next()? != format!("FT{FORM_VERSION}") {
            return None;
        }
        let (page, pages) = parts.next()?.split_once('/')?;
        let digest = parts.next()?.to_string();
        let values = lines.filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Some(PageCode { page: page.parse().ok()?, pages: pages.parse().ok()?, digest, values })
    }

    /// The code as a 1-bit image mask (PDF 32000-1 8.9.6.2), one sample per module with a
    /// four-module quiet zone, and the operators that paint it black filling `area`.
    ///
    /// An image mask rather than one rectangle per module: thousands of path operators cost
    /// milliseconds to write and compress, the mask is a few hundred bytes.
    pub fn image(&self, area: &Rect) -> Option<(Stream, String)> {
        let (width, colors) = qr_modules(self.encode().as_bytes())?;
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

// Payload keys, short because every byte makes the code denser. GUIDs are written as 32 hex
// digits without hyphens; admins as `name|email|phone`.
pub const KEY_CURRENT_PARTNER_ID: &str = "cp";
pub const KEY_CUSTOMER_ID: &str = "cu";
pub const KEY_NEW_PARTNER_ID: &str = "np";
pub const KEY_CURRENT_PARTNER_ADMIN: &str = "cpa";
pub const KEY_NEW_PARTNER_ADMIN: &str = "npa";
pub const KEY_SUBSCRIPTIONS: &str = "n";

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
