//! What a file that is not a PDF is, by its first bytes, so that `verify` can say how to
//! proceed ("a JPEG image: convert it to PDF, e.g. with img2pdf") instead of only "not a PDF".
//!
//! ```
//! assert_eq!(formtool::pdf::sniff::not_a_pdf(b""), Some("an empty file".to_string()));
//! assert!(formtool::pdf::sniff::not_a_pdf(b"\xFF\xD8\xFF\xE0").unwrap().starts_with("a JPEG image"));
//! assert_eq!(formtool::pdf::sniff::not_a_pdf(b"%PDF-1.7"), None);
//! ```

/// Why `bytes` are not a PDF and what to do, when their kind is recognised; `None` for a PDF
/// (a `%PDF-` header in the first kilobyte) or anything not recognised.
pub fn not_a_pdf(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return None;
    }
    let image =
        |what: &str| Some(format!("{what} image, not a PDF: convert it to PDF, e.g. with img2pdf, then verify that"));
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Some(if bytes.is_empty() { "an empty file".into() } else { "a file of blank space only".into() });
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return image("a PNG");
    }
    if head.starts_with(b"\xFF\xD8\xFF") {
        return image("a JPEG");
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return image("a TIFF");
    }
    if head.starts_with(b"GIF8") {
        return image("a GIF");
    }
    if head.starts_with(b"PK\x03\x04") {
        let office = bytes.windows(5).take(4096).any(|w| w == b"word/")
            || bytes.windows(9).take(4096).any(|w| w == b"[Content_");
        return Some(if office {
            "an Office document (DOCX or similar), not a PDF: export or print it to PDF, then verify that".into()
        } else {
            "a ZIP archive, not a PDF: unpack it and verify the PDFs inside".into()
        });
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Some("an old Office document (DOC/XLS), not a PDF: export or print it to PDF, then verify that".into());
    }
    None
}
