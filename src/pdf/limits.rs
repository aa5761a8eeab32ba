//! The bounds that keep `verify` safe on hostile files (SPEC section 6): every returned PDF is
//! read within a fixed amount of memory and work, and a file that goes over a bound gets
//! `status: error` with a sentence that names the bound, instead of exhausting the machine.
//!
//! | bound | value | what happens over it |
//! | --- | --- | --- |
//! | [`crate::commands::verify::MAX_FILE_BYTES`] | 100 MB | "larger than 100 MB", the file is not read |
//! | [`MAX_STRUCTURE_STREAM_BYTES`] | 16 MB | an object or cross-reference stream that inflates further: "… decompresses to more than 16 MB" |
//! | [`MAX_CONTENT_BYTES`] | 4 MB | a page's content, or one Form XObject, that inflates further: "… decompresses to more than 4 MB" |
//! | [`MAX_OBJECTS`] | 500,000 | "more than 500000 objects" |
//! | [`MAX_PAGES`] | 1,000 | "more than 1000 pages" |
//! | [`MAX_SIGNATURES`] | 16 | "more than 16 signed signature fields" |
//! | [`MAX_NESTING_DEPTH`] | 100 | lopdf's parser stops at this depth of nested arrays and dictionaries, so a deeply nested object is never recursed into: the object does not load and the form is judged without it |
//! | [`MAX_IMAGE_PIXELS`] | 64 megapixels | an image XObject claiming more: "an image of W × H pixels …" ([`image_pixels_ok`]) |
//! | [`crate::commands::verify::FILE_TIME_LIMIT`] | 60 s | "took longer than 60 s to check" |
//!
//! Content streams are interpreted with an operation budget as well ([`crate::pdf::marks`]), and at
//! most [`crate::verify::returned::MAX_REVISIONS`] revisions are examined. A real transfer form is
//! about 100 KB with some 200 objects, 1–2 pages, 3 signatures and images of at most
//! 5,100 × 6,600 pixels (a Letter page scanned at 600 dpi), so every bound is far above what
//! a genuine form needs.
//!
//! ```
//! use formtool::pdf::limits::{image_pixels_ok, load_pdf_bounded};
//! assert!(image_pixels_ok(5100, 6600));
//! assert!(!image_pixels_ok(100_000, 100_000));
//! let doc = load_pdf_bounded(&formtool::form::template::blank_form()).unwrap();
//! assert!(formtool::pdf::limits::check_document(&doc).is_ok());
//! ```

use lopdf::{Document, LoadOptions, Object, ObjectId, Stream};

use crate::pdf::Lookup;

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
/// which bound the document is over; `Ok` holds the first page's decoded content (empty
/// without pages), which the checks read next.
pub fn check_document(doc: &Document) -> Result<Vec<u8>, String> {
    if doc.objects.len() > MAX_OBJECTS {
        return Err(format!("more than {MAX_OBJECTS} objects: refusing to analyse"));
    }
    let pages = doc.get_pages();
    if pages.len() > MAX_PAGES {
        return Err(format!("more than {MAX_PAGES} pages: refusing to analyse"));
    }
    let mut first_page = Vec::new();
    for (number, id) in &pages {
        let content = page_content(doc, *id).map_err(|why| format!("page {number}: {why}"))?;
        if *number == 1 {
            first_page = content;
        }
    }
    for object in doc.objects.values() {
        let Object::Stream(s) = object else { continue };
        if s.dict.lookup(b"Subtype").and_then(|t| t.as_name()).ok() != Some(b"Image".as_slice()) {
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
    Ok(first_page)
}

/// The decoded content of a page (its streams joined, each followed by a newline, as lopdf
/// joins them), at most [`MAX_CONTENT_BYTES`]. A stream that does not decode counts as its
/// raw bytes.
pub fn page_content(doc: &Document, page_id: ObjectId) -> Result<Vec<u8>, String> {
    let exceeded =
        || format!("its content decompresses to more than {} MB (a decompression bomb?)", MAX_CONTENT_BYTES / MB);
    let mut content = Vec::new();
    for id in doc.get_page_contents(page_id) {
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else { continue };
        let remaining = MAX_CONTENT_BYTES.saturating_sub(content.len());
        match decoded(stream, remaining) {
            Ok(data) => content.extend_from_slice(&data),
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => return Err(exceeded()),
            Err(_) if stream.content.len() <= remaining => content.extend_from_slice(&stream.content),
            Err(_) => return Err(exceeded()),
        }
        content.push(b'\n');
    }
    Ok(content)
}

/// A content stream (page content or Form XObject) decoded with the [`MAX_CONTENT_BYTES`]
/// bound. A stream whose filters cannot be decoded gives its raw bytes (which then do not
/// parse as content, and so never count as harmless); one over the bound gives `None`.
pub fn content_stream(stream: &Stream) -> Option<Vec<u8>> {
    match decoded(stream, MAX_CONTENT_BYTES) {
        Ok(bytes) => Some(bytes),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => None,
        Err(_) if stream.content.len() <= MAX_CONTENT_BYTES => Some(stream.content.clone()),
        Err(_) => None,
    }
}

/// A stream's data with its filters undone, at most `limit` bytes, exactly as lopdf's
/// `decompressed_content_with_limit` gives it. A plain Flate stream (the common case: page
/// content, appearances) goes through one inflater kept for the thread, because setting up
/// an inflater costs more than inflating a small appearance stream; anything else, and any
/// Flate data that does not inflate cleanly, is left to lopdf.
pub fn decoded(stream: &Stream, limit: usize) -> lopdf::Result<Vec<u8>> {
    let flate = match stream.dict.lookup(b"Filter") {
        Ok(Object::Name(name)) => name == b"FlateDecode",
        Ok(Object::Array(filters)) => filters.len() == 1 && filters[0].as_name().ok() == Some(b"FlateDecode"),
        _ => false,
    };
    let predictor = match stream.dict.lookup(b"DecodeParms") {
        Err(_) => Some(None),
        // PNG predictors, as cross-reference streams use them; the rest is left to lopdf.
        Ok(Object::Dictionary(params)) => png_predictor(params).map(Some),
        Ok(_) => None,
    };
    if flate
        && let Some(predictor) = predictor
        && let Some(data) = inflate(&stream.content, limit)
    {
        match predictor {
            None => return Ok(data),
            Some((bpp, bytes_per_row)) if bytes_per_row <= limit => {
                if let Ok(rows) = lopdf::filters::png::decode_frame(&data, bpp, bytes_per_row) {
                    return Ok(rows);
                }
            }
            Some(_) => {}
        }
    }
    stream.decompressed_content_with_limit(limit)
}

/// (bytes per pixel, bytes per row) of a PNG predictor (`/Predictor` 10–15), computed as
/// lopdf does; `None` for any other predictor or an unusual row size.
fn png_predictor(params: &lopdf::Dictionary) -> Option<(usize, usize)> {
    let predictor = params.lookup(b"Predictor").and_then(Object::as_i64).unwrap_or(1);
    if !(10..=15).contains(&predictor) {
        return None;
    }
    let sample = |key: &[u8], default: i64| params.get(key).and_then(Object::as_i64).unwrap_or(default);
    let (columns, colors, bits) = (sample(b"Columns", 1), sample(b"Colors", 1), sample(b"BitsPerComponent", 8));
    // Only ordinary values: lopdf's own rules for zero, negative or huge ones stay with it.
    if !(1..=1 << 16).contains(&columns) || !(1..=4).contains(&colors) || ![1, 2, 4, 8, 16].contains(&bits) {
        return None;
    }
    let (columns, colors, bits) = (columns as usize, colors as usize, bits as usize);
    Some(((colors * bits).div_ceil(8), (columns * colors * bits).div_ceil(8)))
}

/// A complete zlib stream inflated, or `None` (truncated, corrupt, or over `limit`).
fn inflate(input: &[u8], limit: usize) -> Option<Vec<u8>> {
    use flate2::{Decompress, FlushDecompress, Status};
    thread_local! {
        static INFLATER: std::cell::RefCell<Decompress> = std::cell::RefCell::new(Decompress::new(true));
    }
    INFLATER.with(|cell| {
        let mut inflater = cell.borrow_mut();
        inflater.reset(true);
        let mut out = Vec::with_capacity(input.len().saturating_mul(4).max(256).min(limit.saturating_add(1)));
        loop {
            let (read, written) = (inflater.total_in() as usize, out.len());
            let status = inflater.decompress_vec(input.get(read..)?, &mut out, FlushDecompress::None).ok()?;
            if out.len() > limit {
                return None;
            }
            if status == Status::StreamEnd {
                return Some(out);
            }
            if out.len() == out.capacity() {
                // Doubling: the output may pass the limit by at most its own size before the
                // check above stops it.
                out.reserve(out.len().max(4096));
            } else if inflater.total_in() as usize == read && out.len() == written {
                return None; // no progress with room to write: the input ended early
            }
        }
    })
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
    fn plain_flate_decodes_as_lopdf_decodes_it() {
        let text: Vec<u8> = (0..50_000u32).flat_map(|i| format!("{i} 0 0 RG ").into_bytes()).collect();
        let mut s = Stream::new(lopdf::Dictionary::new(), crate::pdf::deflate(&text));
        s.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        assert_eq!(decoded(&s, usize::MAX).unwrap(), text);
        assert_eq!(inflate(&s.content, text.len()).as_deref(), Some(text.as_slice()));
        assert_eq!(inflate(&s.content, text.len() - 1), None);
        assert_eq!(inflate(&s.content, 10), None);
        assert_eq!(inflate(&s.content, 0), None);
        // Truncated or corrupt data is left to lopdf, which may salvage a prefix.
        let cut = &s.content[..s.content.len() / 2];
        assert_eq!(inflate(cut, usize::MAX), None);
        let mut truncated = s.clone();
        truncated.content = cut.to_vec();
        assert_eq!(decoded(&truncated, usize::MAX).ok(), truncated.decompressed_content().ok());
    }

    #[test]
    fn png_predicted_flate_decodes_as_lopdf_decodes_it() {
        // Rows of 5 bytes, each row with one of the five PNG filter types.
        let mut raw = Vec::new();
        for row in 0..40u8 {
            raw.push(row % 5);
            raw.extend((0..5).map(|i| row.wrapping_mul(37).wrapping_add(i * 11)));
        }
        let params = lopdf::dictionary! { "Predictor" => 12, "Columns" => 5 };
        let mut s = Stream::new(lopdf::Dictionary::new(), crate::pdf::deflate(&raw));
        s.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        s.dict.set("DecodeParms", Object::Dictionary(params));
        assert_eq!(decoded(&s, usize::MAX).unwrap(), s.decompressed_content().unwrap());
        assert_eq!(decoded(&s, usize::MAX).unwrap().len(), 200);
        // A predictor lopdf reads by rules of its own stays with lopdf.
        s.dict.set("DecodeParms", Object::Dictionary(lopdf::dictionary! { "Predictor" => 12, "Columns" => 0 }));
        assert_eq!(decoded(&s, usize::MAX).ok(), s.decompressed_content().ok());
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
