//! The bounds that keep `verify` safe on hostile files (SPEC section 6): every returned PDF is
//! read within a fixed amount of memory and work, and a file that goes over a bound gets
//! `status: error` with a sentence that names the bound, instead of exhausting the machine.
//!
//! | bound | value | what happens over it |
//! | --- | --- | --- |
//! | [`crate::verify::MAX_FILE_BYTES`] | 100 MB | "larger than 100 MB", the file is not read |
//! | [`MAX_STRUCTURE_STREAM_BYTES`] | 16 MB | an object or cross-reference stream that inflates further: "… decompresses to more than 16 MB" |
//! | [`MAX_CONTENT_BYTES`] | 4 MB | a page's content, or one Form XObject, that inflates further: "… decompresses to more than 4 MB" |
//! | [`MAX_OBJECTS`] | 500,000 | "more than 500000 objects" |
//! | [`MAX_PAGES`] | 1,000 | "more than 1000 pages" |
//! | [`MAX_SIGNATURES`] | 16 | "more than 16 signed signature fields" |
//! | [`MAX_NESTING_DEPTH`] | 100 | lopdf's parser stops at this depth of nested arrays and dictionaries, so a deeply nested object is never recursed into: the object does not load and the form is judged without it |
//! | [`MAX_IMAGE_PIXELS`] | 64 megapixels | an image XObject claiming more: "an image of W × H pixels …" ([`image_pixels_ok`]) |
//! | [`crate::verify::FILE_TIME_LIMIT`] | 60 s | "took longer than 60 s to check" |
//!
//! Content streams are interpreted with an operation budget as well ([`crate::marks`]), and at
//! most [`crate::returned::MAX_REVISIONS`] revisions are examined. A real transfer form is
//! about 100 KB with some 200 objects, 1–2 pages, 3 signatures and images of at most
//! 5,100 × 6,600 pixels (a Letter page scanned at 600 dpi), so every bound is far above what
//! a genuine form needs.
//!
//! ```
//! use formtool::limits::{image_pixels_ok, load_pdf_bounded};
//! assert!(image_pixels_ok(5100, 6600));
//! assert!(!image_pixels_ok(100_000, 100_000));
//! let doc = load_pdf_bounded(&formtool::template::blank_form()).unwrap();
//! assert!(formtool::limits::check_document(&doc).is_ok());
//! ```

use lopdf::{Document, LoadOptions, Object, ObjectId, Stream};

/// Most bytes an object stream or cross-reference stream may inflate to while a PDF is loaded.
pub const MAX_STRUCTURE_STREAM_BYTES: usize = 16 * 1024 * 1024;
/// Most bytes a page's content (all its streams together), or one Form XObject, may inflate
/// to. Decoded content is held as parsed operations, several times its size, so this is
/// kept well below the memory target.
pub const MAX_CONTENT_BYTES: usize = 4 * 1024 * 1024;
/// Most objects a returned form may have.
pub const MAX_OBJECTS: usize = 500_000;
/// Most pages a returned form may have.
pub const MAX_PAGES: usize = 1_000;
/// Most signed signature fields that are verified; each costs a CMS verification.
pub const MAX_SIGNATURES: usize = 16;
/// Depth of nested arrays and dictionaries at which lopdf's parser gives up on an object
/// (`lopdf::reader::MAX_NESTING_DEPTH`; its recursion never goes deeper, so no input can
/// overflow the stack). Tested with 100,000 levels in `tests/hostile.rs`.
pub const MAX_NESTING_DEPTH: usize = 100;
/// Most pixels (width × height) of one image: a Letter or A4 page at 600 dpi is about
/// 35 megapixels.
pub const MAX_IMAGE_PIXELS: u64 = 64_000_000;

const MB: usize = 1024 * 1024;

/// Whether an image of `width` × `height` pixels may be decoded (the scan reader decodes
/// images; a header may claim any size).
pub fn image_pixels_ok(width: u64, height: u64) -> bool {
    width > 0 && height > 0 && width.checked_mul(height).is_some_and(|p| p <= MAX_IMAGE_PIXELS)
}

/// Parse untrusted PDF bytes with lopdf, with the decompression bound on the streams read
/// while loading, and the reason in words when that fails. A document encrypted with the
/// empty user password is opened (lopdf decrypts it, as every viewer does without asking);
/// one that needs a password is refused.
pub fn load_pdf_bounded(bytes: &[u8]) -> Result<Document, String> {
    let options = LoadOptions { max_decompressed_size: Some(MAX_STRUCTURE_STREAM_BYTES), ..LoadOptions::default() };
    let doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => format!(
            "not a readable PDF: an object or cross-reference stream decompresses to more than {} MB \
             (a decompression bomb?)",
            MAX_STRUCTURE_STREAM_BYTES / MB
        ),
        lopdf::Error::InvalidPassword => "encrypted (needs a password)".to_string(),
        e => format!("not a readable PDF: {e}"),
    })?;
    if doc.is_encrypted() {
        return Err("encrypted (needs a password)".to_string());
    }
    if doc.objects.len() > MAX_OBJECTS {
        return Err(format!("more than {MAX_OBJECTS} objects: refusing to analyse"));
    }
    Ok(doc)
}

/// The bounds on a loaded document as a whole: pages, page content, images. `Err` says
/// which bound the document is over.
pub fn check_document(doc: &Document) -> Result<(), String> {
    if doc.objects.len() > MAX_OBJECTS {
        return Err(format!("more than {MAX_OBJECTS} objects: refusing to analyse"));
    }
    let pages = doc.get_pages();
    if pages.len() > MAX_PAGES {
        return Err(format!("more than {MAX_PAGES} pages: refusing to analyse"));
    }
    for (number, id) in &pages {
        page_content(doc, *id).map_err(|why| format!("page {number}: {why}"))?;
    }
    for object in doc.objects.values() {
        let Object::Stream(s) = object else { continue };
        if s.dict.get(b"Subtype").and_then(|t| t.as_name()).ok() != Some(b"Image".as_slice()) {
            continue;
        }
        let dim = |k: &[u8]| match s.dict.get(k) {
            Ok(Object::Integer(v)) => u64::try_from(*v).ok(),
            Ok(Object::Reference(id)) => {
                doc.get_object(*id).ok().and_then(|o| o.as_i64().ok()).map(|v| v.max(0) as u64)
            }
            _ => None,
        };
        if let (Some(w), Some(h)) = (dim(b"Width"), dim(b"Height"))
            && !image_pixels_ok(w, h)
        {
            return Err(format!(
                "an image of {w} × {h} pixels is larger than the {} megapixel limit (or empty)",
                MAX_IMAGE_PIXELS / 1_000_000
            ));
        }
    }
    Ok(())
}

/// The decoded content of a page (its streams joined), at most [`MAX_CONTENT_BYTES`].
pub fn page_content(doc: &Document, page_id: ObjectId) -> Result<Vec<u8>, String> {
    doc.get_page_content_with_limit(page_id, MAX_CONTENT_BYTES).map_err(|_| {
        format!("its content decompresses to more than {} MB (a decompression bomb?)", MAX_CONTENT_BYTES / MB)
    })
}

/// A content stream (page content or Form XObject) decoded with the [`MAX_CONTENT_BYTES`]
/// bound. A stream whose filters cannot be decoded gives its raw bytes (which then do not
/// parse as content, and so never count as harmless); one over the bound gives `None`.
pub fn content_stream(stream: &Stream) -> Option<Vec<u8>> {
    match stream.decompressed_content_with_limit(MAX_CONTENT_BYTES) {
        Ok(bytes) => Some(bytes),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => None,
        Err(_) if stream.content.len() <= MAX_CONTENT_BYTES => Some(stream.content.clone()),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_limits() {
        assert!(image_pixels_ok(1, 1));
        assert!(image_pixels_ok(7016, 9121));
        assert!(!image_pixels_ok(0, 100));
        assert!(!image_pixels_ok(100_000, 100_000));
        assert!(!image_pixels_ok(u64::MAX, u64::MAX));
    }

    #[test]
    fn a_stream_over_the_bound_is_not_decoded() {
        let zeros = vec![b' '; MAX_CONTENT_BYTES + 1];
        let mut s = Stream::new(lopdf::Dictionary::new(), crate::pdf::deflate(&zeros));
        s.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        assert_eq!(content_stream(&s), None);
        let ok = Stream::new(lopdf::Dictionary::new(), b"0 0 m".to_vec());
        assert_eq!(content_stream(&ok).as_deref(), Some(b"0 0 m".as_slice()));
    }
}
