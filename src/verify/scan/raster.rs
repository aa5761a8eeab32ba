//! The picture behind a scanned page: find the page's image XObject and decode it to 8-bit
//! grey, whatever the scanner wrote — JPEG (`DCTDecode`), raw samples (`FlateDecode`, grey,
//! RGB, CMYK, indexed, 1 to 16 bits, PNG predictors) or bi-level fax (`CCITTFaxDecode` group 4).
//!
//! Every size is checked against [`MAX_PIXELS`] before anything is allocated for it, and
//! compressed data is inflated only up to the size the image can need, so a hostile file
//! (a decompression bomb, a 100 000 × 100 000 JPEG header) costs an error, not the machine.

use std::io::Read;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use crate::pdf::Lookup;
use crate::pdf::{get, resolve};

/// Largest image formtool decodes: 60 megapixels, a Letter page at 900 dpi.
pub const MAX_PIXELS: u64 = 60_000_000;

/// An 8-bit grey image, row by row, 0 = black.
#[derive(Clone, Debug)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl Gray {
    /// The pixel at `(x, y)`; outside the image the paper is white.
    #[inline]
    pub fn at(&self, x: isize, y: isize) -> u8 {
        if x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
            return 255;
        }
        self.data[y as usize * self.width + x as usize]
    }

    /// A white image of `width × height`, after checking the size against [`MAX_PIXELS`].
    pub fn white(width: usize, height: usize) -> Result<Gray, String> {
        check_size(width as u64, height as u64)?;
        Ok(Gray { width, height, data: vec![255; width * height] })
    }

    /// The image as PNG bytes (for evidence crops).
    pub fn png(&self) -> Result<Vec<u8>, String> {
        let mut out = std::io::Cursor::new(Vec::new());
        let img = image::GrayImage::from_raw(self.width as u32, self.height as u32, self.data.clone())
            .ok_or("crop has inconsistent size")?;
        img.write_to(&mut out, image::ImageFormat::Png).map_err(|e| format!("cannot encode PNG: {e}"))?;
        Ok(out.into_inner())
    }
}

fn check_size(width: u64, height: u64) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err("the scanned image is empty".into());
    }
    if width.saturating_mul(height) > MAX_PIXELS {
        return Err(format!(
            "the scanned image is {width} × {height} pixels, more than the {} megapixel limit",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

/// The largest image painted on a page (directly, or inside a Form XObject one level down),
/// decoded to grey. A scanned page is one picture; anything smaller is a logo or a stamp.
pub fn page_image(doc: &Document, page_id: ObjectId) -> Result<Gray, String> {
    let resources =
        doc.get_dictionary(page_id).ok().and_then(|p| get(doc, p, b"Resources")).and_then(|r| r.as_dict().ok());
    let mut best: Option<(u64, &Stream)> = None;
    collect_images(doc, resources, 0, &mut best);
    let Some((_, stream)) = best else {
        return Err("the page has no image".into());
    };
    let img = decode_image(doc, stream)?;
    match crate::pdf::page_media_box(doc, page_id) {
        Some(page) => square_pixels(img, page.width(), page.height()),
        None => Ok(img),
    }
}

/// The picture with square pixels. A scanner makes the page the picture's size, so the page
/// gives the picture's resolution in each axis; a fax's is 200 × 100 dpi, its pixels twice as
/// tall as wide. Such a picture is stretched along its coarser axis (nearest neighbour: a fax
/// is bi-level) so that alignment and ink see the page as drawn. Resolutions within 10 % of
/// each other are left alone (the page fit absorbs them), and so are ratios beyond 4, which
/// no scanner makes: that picture does not fill its page.
fn square_pixels(img: Gray, page_width: f32, page_height: f32) -> Result<Gray, String> {
    if !(page_width >= 1.0 && page_height >= 1.0) {
        return Ok(img);
    }
    let ratio = (img.width as f32 / page_width) / (img.height as f32 / page_height);
    if (1.0 / 1.1..=1.1).contains(&ratio) || !(0.25..=4.0).contains(&ratio) {
        return Ok(img);
    }
    let (width, height) = if ratio > 1.0 {
        (img.width, (img.height as f32 * ratio).round() as usize)
    } else {
        ((img.width as f32 / ratio).round() as usize, img.height)
    };
    check_size(width as u64, height as u64)?;
    let columns: Vec<usize> = (0..width).map(|x| (x * img.width / width).min(img.width - 1)).collect();
    let mut data = Vec::with_capacity(width * height);
    for y in 0..height {
        let sy = (y * img.height / height).min(img.height - 1);
        let row = &img.data[sy * img.width..(sy + 1) * img.width];
        data.extend(columns.iter().map(|&x| row[x]));
    }
    Ok(Gray { width, height, data })
}

fn collect_images<'a>(
    doc: &'a Document,
    resources: Option<&'a Dictionary>,
    depth: usize,
    best: &mut Option<(u64, &'a Stream)>,
) {
    let Some(xobjects) = resources.and_then(|r| get(doc, r, b"XObject")).and_then(|x| x.as_dict().ok()) else {
        return;
    };
    for (_, obj) in xobjects.iter() {
        let Ok(stream) = resolve(doc, obj).as_stream() else { continue };
        match stream.dict.lookup(b"Subtype").and_then(|s| s.as_name()).unwrap_or(b"") {
            b"Image" => {
                let w = int(doc, &stream.dict, b"Width").unwrap_or(0).max(0) as u64;
                let h = int(doc, &stream.dict, b"Height").unwrap_or(0).max(0) as u64;
                let area = w.saturating_mul(h);
                if best.is_none_or(|(a, _)| area > a) {
                    *best = Some((area, stream));
                }
            }
            b"Form" if depth < 2 => {
                let inner = stream.dict.find(b"Resources").and_then(|r| resolve(doc, r).as_dict().ok());
                collect_images(doc, inner, depth + 1, best);
            }
            _ => {}
        }
    }
}

fn int(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<i64> {
    match get(doc, dict, key)? {
        Object::Integer(i) => Some(*i),
        Object::Real(r) if r.fract() == 0.0 => Some(*r as i64),
        _ => None,
    }
}

fn boolean(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<bool> {
    get(doc, dict, key).and_then(|o| o.as_bool().ok())
}

/// Filters as names, with their parameter dictionaries (absent ones empty).
fn filters(doc: &Document, dict: &Dictionary) -> Vec<(String, Dictionary)> {
    let names: Vec<String> = match get(doc, dict, b"Filter") {
        Some(Object::Name(n)) => vec![String::from_utf8_lossy(n).into_owned()],
        Some(Object::Array(a)) => a
            .iter()
            .map(|o| match resolve(doc, o) {
                Object::Name(n) => String::from_utf8_lossy(n).into_owned(),
                _ => "(not a name)".into(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let parms: Vec<Dictionary> = match get(doc, dict, b"DecodeParms").or_else(|| get(doc, dict, b"DP")) {
        Some(Object::Dictionary(d)) => vec![d.clone()],
        Some(Object::Array(a)) => a.iter().map(|o| resolve(doc, o).as_dict().cloned().unwrap_or_default()).collect(),
        _ => Vec::new(),
    };
    names.into_iter().enumerate().map(|(i, n)| (n, parms.get(i).cloned().unwrap_or_default())).collect()
}

/// How the samples of a raw image are to be read.
#[derive(Debug)]
enum Space {
    Gray,
    Rgb,
    Cmyk,
    /// The lookup table, each entry already turned to grey.
    Indexed(Vec<u8>),
}

impl Space {
    fn components(&self) -> usize {
        match self {
            Space::Gray | Space::Indexed(_) => 1,
            Space::Rgb => 3,
            Space::Cmyk => 4,
        }
    }
}

fn colour_space(doc: &Document, obj: Option<&Object>, depth: usize) -> Result<Space, String> {
    let Some(obj) = obj else { return Ok(Space::Gray) };
    match resolve(doc, obj) {
        Object::Name(n) => match n.as_slice() {
            b"DeviceGray" | b"G" | b"CalGray" => Ok(Space::Gray),
            b"DeviceRGB" | b"RGB" | b"CalRGB" => Ok(Space::Rgb),
            b"DeviceCMYK" | b"CMYK" => Ok(Space::Cmyk),
            other => Err(format!("image colour space /{} is not supported", String::from_utf8_lossy(other))),
        },
        Object::Array(a) if !a.is_empty() && depth < 3 => {
            let family = resolve(doc, &a[0]).as_name().unwrap_or(b"");
            match family {
                b"CalGray" => Ok(Space::Gray),
                b"CalRGB" | b"Lab" => Ok(Space::Rgb),
                b"ICCBased" => {
                    let n = a
                        .get(1)
                        .and_then(|s| resolve(doc, s).as_stream().ok())
                        .and_then(|s| int(doc, &s.dict, b"N"))
                        .unwrap_or(0);
                    match n {
                        1 => Ok(Space::Gray),
                        3 => Ok(Space::Rgb),
                        4 => Ok(Space::Cmyk),
                        _ => Err(format!("ICC colour space with {n} components is not supported")),
                    }
                }
                b"Indexed" | b"I" if a.len() == 4 => {
                    let base = colour_space(doc, Some(&a[1]), depth + 1)?;
                    let comps = base.components();
                    if matches!(base, Space::Indexed(_)) {
                        return Err("nested indexed colour space".into());
                    }
                    let table = match resolve(doc, &a[3]) {
                        Object::String(s, _) => s.clone(),
                        Object::Stream(s) => s.decompressed_content().unwrap_or_else(|_| s.content.clone()),
                        _ => return Err("indexed colour space without a lookup table".into()),
                    };
                    // Map each palette entry to grey once.
                    let grey: Vec<u8> = table.chunks(comps).map(|c| to_grey(&base, c)).collect();
                    Ok(Space::Indexed(grey))
                }
                other => Err(format!("image colour space /{} is not supported", String::from_utf8_lossy(other))),
            }
        }
        _ => Err("unreadable image colour space".into()),
    }
}

/// ITU-R BT.601 luma, in integers.
#[inline]
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((r as u32 * 299 + g as u32 * 587 + b as u32 * 114 + 500) / 1000) as u8
}

fn to_grey(space: &Space, c: &[u8]) -> u8 {
    match (space, c) {
        (Space::Rgb, [r, g, b, ..]) => luma(*r, *g, *b),
        (Space::Cmyk, [c, m, y, k, ..]) => {
            let f = |v: u8| ((255 - v as u32) * (255 - *k as u32) / 255) as u8;
            luma(f(*c), f(*m), f(*y))
        }
        (_, [v, ..]) => *v,
        _ => 255,
    }
}

/// Decode one image XObject to grey.
pub fn decode_image(doc: &Document, stream: &Stream) -> Result<Gray, String> {
    let dict = &stream.dict;
    let width = int(doc, dict, b"Width").filter(|w| *w > 0).ok_or("image without a valid /Width")? as u64;
    let height = int(doc, dict, b"Height").filter(|h| *h > 0).ok_or("image without a valid /Height")? as u64;
    check_size(width, height)?;
    let (w, h) = (width as usize, height as usize);
    let mask = boolean(doc, dict, b"ImageMask").unwrap_or(false);
    let invert = get(doc, dict, b"Decode")
        .and_then(|d| d.as_array().ok())
        .and_then(|a| a.first())
        .and_then(|o| crate::pdf::number(resolve(doc, o)))
        .is_some_and(|first| first > 0.5);
    let filters = filters(doc, dict);
    let mut data: std::borrow::Cow<[u8]> = std::borrow::Cow::Borrowed(&stream.content);
    for (i, (name, parms)) in filters.iter().enumerate() {
        let last = i + 1 == filters.len();
        match name.as_str() {
            "FlateDecode" | "Fl" => {
                let bpc = int(doc, dict, b"BitsPerComponent").unwrap_or(8).clamp(1, 16) as u64;
                // The most any later step can need: samples plus one predictor byte per row.
                let limit = (width * 4 * bpc).div_ceil(8).saturating_add(1).saturating_mul(height) + 4096;
                let inflated = inflate(&data, limit)?;
                data = std::borrow::Cow::Owned(unpredict(doc, parms, inflated, w)?);
            }
            "DCTDecode" | "DCT" if last => return decode_jpeg(&data, invert),
            "CCITTFaxDecode" | "CCF" if last => return decode_fax(doc, parms, &data, w, h, mask, invert),
            "DCTDecode" | "DCT" | "CCITTFaxDecode" | "CCF" => {
                return Err(format!("image filter /{name} followed by another filter is not supported"));
            }
            other => {
                return Err(format!(
                    "image filter /{other} is not supported (formtool reads DCTDecode, FlateDecode and CCITTFaxDecode scans)"
                ));
            }
        }
    }
    let (space, bpc) = if mask {
        (Space::Gray, 1)
    } else {
        let space = colour_space(doc, get(doc, dict, b"ColorSpace"), 0)?;
        let bpc = int(doc, dict, b"BitsPerComponent").unwrap_or(8);
        (space, bpc)
    };
    // An image mask paints where the sample is 0 (default /Decode [0 1]): 0 → black.
    raw_samples(&data, w, h, &space, bpc, invert)
}

/// Inflate zlib data, refusing to produce more than `limit` bytes (a decompression bomb
/// stops here instead of filling memory).
fn inflate(data: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut reader = flate2::read::ZlibDecoder::new(data).take(limit.saturating_add(1));
    match reader.read_to_end(&mut out) {
        Ok(_) => {}
        // Truncated streams are common in scans; keep what was inflated.
        Err(_) if !out.is_empty() => {}
        Err(e) => return Err(format!("cannot inflate the scanned image: {e}")),
    }
    if out.len() as u64 > limit {
        return Err("the scanned image inflates to more data than its size allows".into());
    }
    Ok(out)
}

/// Undo PNG predictors (`/Predictor` 10–15). TIFF predictor 2 is rare in scans: refused.
fn unpredict(doc: &Document, parms: &Dictionary, data: Vec<u8>, width: usize) -> Result<Vec<u8>, String> {
    let predictor = int(doc, parms, b"Predictor").unwrap_or(1);
    if predictor < 10 {
        return if predictor <= 1 { Ok(data) } else { Err(format!("Flate /Predictor {predictor} is not supported")) };
    }
    let colors = int(doc, parms, b"Colors").unwrap_or(1).clamp(1, 4) as usize;
    let bpc = int(doc, parms, b"BitsPerComponent").unwrap_or(8).clamp(1, 16) as usize;
    let columns = int(doc, parms, b"Columns").map(|c| c.max(1) as usize).unwrap_or(width);
    let bpp = (colors * bpc).div_ceil(8).max(1);
    let row = (columns * colors * bpc).div_ceil(8);
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row];
    for chunk in data.chunks(row + 1) {
        if chunk.len() < row + 1 {
            break;
        }
        let (kind, src) = (chunk[0], &chunk[1..]);
        let mut cur = src.to_vec();
        for i in 0..row {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            let add = match kind {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((a as u16 + b as u16) / 2) as u8,
                4 => {
                    let p = a as i16 + b as i16 - c as i16;
                    let (pa, pb, pc) = ((p - a as i16).abs(), (p - b as i16).abs(), (p - c as i16).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                _ => return Err(format!("PNG predictor row type {kind} is invalid")),
            };
            cur[i] = cur[i].wrapping_add(add);
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Ok(out)
}

fn raw_samples(data: &[u8], w: usize, h: usize, space: &Space, bpc: i64, invert: bool) -> Result<Gray, String> {
    if !matches!(bpc, 1 | 2 | 4 | 8 | 16) {
        return Err(format!("images with {bpc} bits per component are not supported"));
    }
    let bpc = bpc as usize;
    let comps = space.components();
    let row_bytes = (w * comps * bpc).div_ceil(8);
    if data.len() < row_bytes * h {
        return Err(format!(
            "the scanned image holds {} bytes, {} × {} pixels need {}",
            data.len(),
            w,
            h,
            row_bytes * h
        ));
    }
    let mut out = Gray::white(w, h)?;
    let max = (1u32 << bpc.min(8)) - 1;
    let mut comp = [0u8; 4];
    for y in 0..h {
        let row = &data[y * row_bytes..(y + 1) * row_bytes];
        for x in 0..w {
            for (c, slot) in comp.iter_mut().enumerate().take(comps) {
                let i = x * comps + c;
                let v = match bpc {
                    8 => row[i] as u32,
                    16 => row[2 * i] as u32,
                    _ => {
                        let bit = i * bpc;
                        ((row[bit / 8] >> (8 - bpc - bit % 8)) as u32) & max
                    }
                };
                *slot = match space {
                    Space::Indexed(_) => v.min(255) as u8,
                    _ => (v * 255 / max) as u8,
                };
            }
            let mut g = match space {
                Space::Indexed(table) => table.get(comp[0] as usize).copied().unwrap_or(255),
                _ => to_grey(space, &comp[..comps]),
            };
            if invert {
                g = 255 - g;
            }
            out.data[y * w + x] = g;
        }
    }
    Ok(out)
}

fn decode_jpeg(data: &[u8], invert: bool) -> Result<Gray, String> {
    // A colour page at 600 dpi is ~100 MB as RGB: decode YCbCr (and grey) JPEGs straight to
    // their luma channel instead, one byte a pixel, with no RGB copy in between.
    use zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions};
    let options = DecoderOptions::default()
        .set_max_width(u16::MAX as usize)
        .set_max_height(u16::MAX as usize)
        .set_strict_mode(false)
        .jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(data), options);
    decoder.decode_headers().map_err(|e| format!("cannot read the scanned JPEG: {e:?}"))?;
    let (w, h) = decoder.dimensions().ok_or("cannot read the scanned JPEG size")?;
    check_size(w as u64, h as u64)?;
    if !matches!(decoder.input_colorspace(), Some(ColorSpace::YCbCr | ColorSpace::Luma)) {
        // CMYK, YCCK or RGB-coded JPEGs (rare in scans): through RGB.
        return decode_jpeg_rgb(data, invert);
    }
    let mut grey = vec![0u8; w * h];
    decoder.decode_into(&mut grey).map_err(|e| format!("cannot decode the scanned JPEG: {e:?}"))?;
    if invert {
        grey.iter_mut().for_each(|v| *v = 255 - *v);
    }
    Ok(Gray { width: w, height: h, data: grey })
}

fn decode_jpeg_rgb(data: &[u8], invert: bool) -> Result<Gray, String> {
    use image::ImageDecoder;
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(data))
        .map_err(|e| format!("cannot read the scanned JPEG: {e}"))?;
    let (w, h) = decoder.dimensions();
    check_size(w as u64, h as u64)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4 + (16 << 20));
    decoder.set_limits(limits).map_err(|e| format!("cannot read the scanned JPEG: {e}"))?;
    let img = image::DynamicImage::from_decoder(decoder).map_err(|e| format!("cannot decode the scanned JPEG: {e}"))?;
    let mut grey = img.into_luma8();
    if invert {
        grey.iter_mut().for_each(|v| *v = 255 - *v);
    }
    Ok(Gray { width: w as usize, height: h as usize, data: grey.into_raw() })
}

fn decode_fax(
    doc: &Document,
    parms: &Dictionary,
    data: &[u8],
    w: usize,
    h: usize,
    mask: bool,
    invert: bool,
) -> Result<Gray, String> {
    let k = int(doc, parms, b"K").unwrap_or(0);
    if k >= 0 {
        return Err(format!(
            "CCITTFaxDecode with /K {k} (group 3) is not supported; formtool reads group 4 (/K -1) fax scans"
        ));
    }
    let columns = int(doc, parms, b"Columns").unwrap_or(1728);
    if columns <= 0 || columns as usize != w {
        return Err(format!("CCITTFaxDecode /Columns {columns} does not match the image width {w}"));
    }
    let black_is_1 = boolean(doc, parms, b"BlackIs1").unwrap_or(false);
    let mut out = Gray::white(w, h)?;
    let mut y = 0usize;
    // Fax runs are colours (white first); BlackIs1 says which sample value a black pel has, and
    // the sample is then read like any 1-bit grey sample (0 = dark, unless /Decode [1 0]; an
    // image mask paints sample 0). Work out once what grey a decoded black pel ends up as.
    let black_sample: u8 = if black_is_1 { 1 } else { 0 };
    let sample_dark = |s: u8| (s == 0) != invert;
    let _ = mask;
    let black_grey = if sample_dark(black_sample) { 0u8 } else { 255 };
    let white_grey = 255 - black_grey;
    if white_grey != 255 {
        out.data.iter_mut().for_each(|v| *v = white_grey);
    }
    let ok = fax::decoder::decode_g4(data.iter().copied(), w as u32, Some(h as u32), |transitions| {
        if y >= h {
            return;
        }
        let row = &mut out.data[y * w..(y + 1) * w];
        // Transitions alternate white→black→white…, starting with white at 0.
        let mut start = None;
        for (i, t) in transitions.iter().enumerate() {
            let t = (*t as usize).min(w);
            if i % 2 == 0 {
                start = Some(t);
            } else if let Some(s) = start.take() {
                row[s..t.max(s)].iter_mut().for_each(|v| *v = black_grey);
            }
        }
        if let Some(s) = start {
            row[s..].iter_mut().for_each(|v| *v = black_grey);
        }
        y += 1;
    });
    if ok.is_none() && y == 0 {
        return Err("cannot decode the CCITT group 4 scan".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fax_picture_gets_square_pixels() {
        // 200 × 100 dpi on a Letter page: 1700 × 1100 pixels, each twice as tall as wide.
        let mut img = Gray::white(1700, 1100).unwrap();
        img.data[10 * 1700 + 20] = 0;
        let square = square_pixels(img, 612.0, 792.0).unwrap();
        assert_eq!((square.width, square.height), (1700, 2200));
        assert_eq!(square.at(20, 20), 0);
        assert_eq!(square.at(20, 21), 0);
        assert_eq!(square.at(20, 22), 255);
        // A picture about as fine both ways is left alone.
        let same = square_pixels(Gray::white(1275, 1650).unwrap(), 612.0, 792.0).unwrap();
        assert_eq!((same.width, same.height), (1275, 1650));
    }

    #[test]
    fn refuses_huge_images_before_allocating() {
        let doc = Document::with_version("1.7");
        let stream = Stream::new(
            lopdf::dictionary! { "Width" => 100_000, "Height" => 100_000, "BitsPerComponent" => 8, "ColorSpace" => "DeviceGray" },
            vec![],
        );
        let err = decode_image(&doc, &stream).unwrap_err();
        assert!(err.contains("megapixel"), "{err}");
    }

    #[test]
    fn names_an_unsupported_filter() {
        let doc = Document::with_version("1.7");
        let stream = Stream::new(
            lopdf::dictionary! { "Width" => 10, "Height" => 10, "BitsPerComponent" => 8, "Filter" => "JBIG2Decode" },
            vec![0; 10],
        );
        assert!(decode_image(&doc, &stream).unwrap_err().contains("JBIG2Decode"));
    }

    #[test]
    fn reads_one_bit_grey_rows() {
        let doc = Document::with_version("1.7");
        let stream = Stream::new(
            lopdf::dictionary! { "Width" => 9, "Height" => 1, "BitsPerComponent" => 1, "ColorSpace" => "DeviceGray" },
            vec![0b0111_1111, 0b0000_0000],
        );
        let g = decode_image(&doc, &stream).unwrap();
        assert_eq!(g.data, vec![0, 255, 255, 255, 255, 255, 255, 255, 0]);
    }
}
