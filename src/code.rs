//! The page code: a QR code printed on every page of a filled form that ties a scanned page
//! back to its transfer without OCR.
//!
//! It carries the form version, the page number and page count, a digest of every filled
//! value (so pages of different transfers are never mixed up), and on page 1 the values the
//! checks need: the three Microsoft IDs, both admin contacts and the subscription count.
//! The payload is plain UTF-8 text, one `KEY=value` item per line, so a person with any QR
//! reader can see what it says.
//!
//! ```
//! use formtool::code::PageCode;
//! let code = PageCode { page: 2, pages: 3, digest: "0123456789abcdef".into(), values: vec![] };
//! let text = code.encode();
//! assert_eq!(PageCode::decode(&text).unwrap(), code);
//! ```

use qrcode::{EcLevel, QrCode};
use sha2::{Digest, Sha256};

use crate::input::Transfer;
use crate::layout::{FORM_VERSION, Rect};
use crate::pdf::num;

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
            let mut push = |k: &str, v: &str| values.push((k.to_string(), v.to_string()));
            push("current_partner.microsoft_id", &transfer.current_partner.microsoft_id);
            push("customer.microsoft_id", &transfer.customer.microsoft_id);
            let a = &transfer.current_partner.admin;
            push("current_partner.admin", &format!("{}|{}|{}", a.name, a.email, a.phone));
            if let Some(np) = &transfer.new_partner {
                push("new_partner.microsoft_id", &np.microsoft_id);
                let a = &np.admin;
                push("new_partner.admin", &format!("{}|{}|{}", a.name, a.email, a.phone));
            }
            push("subscriptions", &transfer.subscriptions.len().to_string());
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
        let values = lines
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(PageCode { page: page.parse().ok()?, pages: pages.parse().ok()?, digest, values })
    }

    /// Content-stream operators that draw this code as black squares filling `area`.
    pub fn draw(&self, area: &Rect) -> String {
        let Ok(code) = QrCode::with_error_correction_level(self.encode().as_bytes(), EcLevel::M)
            .or_else(|_| QrCode::with_error_correction_level(self.encode().as_bytes(), EcLevel::L))
        else {
            return String::new();
        };
        let width = code.width();
        let colors = code.to_colors();
        // A two-module quiet zone inside the box; the page around it is blank too.
        let module = area.width().min(area.height()) / (width as f32 + 4.0);
        let x0 = area.x1 + 2.0 * module;
        let y_top = area.y2 - 2.0 * module;
        let mut s = String::from("q 0 g\n");
        for row in 0..width {
            let mut col = 0;
            while col < width {
                if colors[row * width + col] == qrcode::Color::Dark {
                    let start = col;
                    while col < width && colors[row * width + col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    let x = x0 + start as f32 * module;
                    let y = y_top - (row as f32 + 1.0) * module;
                    s.push_str(&format!(
                        "{} {} {} {} re\n",
                        num(x),
                        num(y),
                        num((col - start) as f32 * module),
                        num(module)
                    ));
                } else {
                    col += 1;
                }
            }
        }
        s.push_str("f Q\n");
        s
    }
}

/// First 16 hex digits of the SHA-256 of the transfer as canonical JSON.
pub fn transfer_digest(transfer: &Transfer) -> String {
    let json = serde_json::to_vec(transfer).unwrap_or_default();
    let d = Sha256::digest(&json);
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}
