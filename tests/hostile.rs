//! Hostile and broken returned forms (SPEC section 6): thousands of PDFs mutated at test time
//! from the committed fixtures with a small seeded generator — truncated, bytes flipped,
//! cross-reference offsets broken, `%%EOF`s duplicated, revisions whose `/Prev` point at each
//! other — plus crafted attacks: deep nesting, Flate bombs, giant images. None may panic; each
//! gets a verdict or a clear error; none derived from a form that is not ready comes out
//! ready; and no change inside what a signature covers leaves a signed form ready.
//!
//! The same generators feed a folder run through the real binary at the end.

mod common;

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};

use common::{Dir, Rng, repo};
use formtool::verify::checks::verify_bytes;
use formtool::verify::report::{FormReport, Status};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Ready and digitally signed: changes inside a signed byte range must make them not ready.
/// Every other source is not ready as committed: no mutation may make it ready.
const SIGNED_READY: &[&str] = &["fixtures/returned/seq-pyhanko.pdf", "fixtures/returned/mixed-algorithms.pdf"];
const SOURCES: &[(&str, [usize; 4])] = &[
    ("fixtures/returned/base/full.pdf", [40, 80, 20, 10]),
    ("fixtures/returned/base/cp-only.pdf", [80, 170, 40, 12]),
    ("fixtures/returned/base/no-agreement.pdf", [20, 40, 10, 6]),
    ("fixtures/signatures/unsigned.pdf", [90, 200, 40, 12]),
    ("fixtures/returned/missing-customer.pdf", [12, 30, 8, 6]),
    ("fixtures/returned/seq-pyhanko.pdf", [10, 34, 8, 6]),
    ("fixtures/returned/mixed-algorithms.pdf", [4, 12, 4, 3]),
];

/// The `/ByteRange` gaps (the `/Contents` strings) of a file, from its bytes.
fn signature_gaps(pdf: &[u8]) -> Vec<(usize, usize)> {
    let mut gaps = Vec::new();
    let key = b"/ByteRange";
    let mut i = 0;
    while let Some(p) = pdf[i..].windows(key.len()).position(|w| w == key) {
        let start = i + p + key.len();
        let end = (start + 80).min(pdf.len());
        let text = String::from_utf8_lossy(&pdf[start..end]);
        let inner = text.split(['[', ']']).nth(1).unwrap_or("");
        let n: Vec<usize> = inner.split_whitespace().filter_map(|t| t.parse().ok()).collect();
        if n.len() == 4 {
            gaps.push((n[1], n[2]));
        }
        i = start;
    }
    gaps
}

/// What a mutated file came from, and so what it may become.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Origin {
    /// From a form that is not ready: must not come out ready.
    NotReady,
    /// A signed ready form changed inside a signed byte range: must not come out ready.
    SignedChanged,
    /// Anything else (changes after the last signature, unsigned ready forms, crafted files):
    /// any verdict, but no panic.
    Any,
}

struct Case {
    name: String,
    bytes: Vec<u8>,
    origin: Origin,
}

fn case(name: impl Into<String>, bytes: Vec<u8>, origin: Origin) -> Case {
    Case { name: name.into(), bytes, origin }
}

/// Byte positions of the digits of every classic cross-reference entry and `startxref`/`/Prev`
/// number.
fn offset_digits(pdf: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, w) in pdf.windows(18).enumerate() {
        // "0000012345 00000 n"
        if w[..10].iter().all(u8::is_ascii_digit) && w[10] == b' ' && w[16] == b' ' && w[17] == b'n' {
            out.extend(i..i + 10);
        }
    }
    for key in [b"startxref".as_slice(), b"/Prev"] {
        let mut i = 0;
        while let Some(p) = pdf[i..].windows(key.len()).position(|w| w == key) {
            let mut j = i + p + key.len();
            while j < pdf.len() && pdf[j].is_ascii_whitespace() {
                j += 1;
            }
            while j < pdf.len() && pdf[j].is_ascii_digit() {
                out.push(j);
                j += 1;
            }
            i += p + key.len();
        }
    }
    out
}

/// Positions outside every signature's `/Contents` gap: inside what the last signature covers.
fn signed_positions(pdf: &[u8], rng: &mut Rng, n: usize) -> Vec<usize> {
    let gaps = signature_gaps(pdf);
    let mut out = Vec::new();
    while out.len() < n {
        let p = rng.below(pdf.len());
        if !gaps.iter().any(|(a, b)| p >= *a && p < *b) {
            out.push(p);
        }
    }
    out
}

/// The deterministic mutations of the committed fixtures.
fn mutations() -> Vec<Case> {
    let mut rng = Rng(0x5EED_F0F0);
    let mut cases = Vec::new();
    // (fixture, counts of truncations, flips, xref edits, %%EOF edits). Signed forms cost
    // most to verify in a debug build (RSA and ECDSA), so they get fewer.
    let sources: Vec<(&str, [usize; 4])> = SOURCES.to_vec();
    for (path, [truncations, flips, xrefs, eofs]) in sources {
        let signed = SIGNED_READY.contains(&path);
        let pdf = fixture(path);
        let origin = if signed { Origin::SignedChanged } else { Origin::NotReady };
        let short = path.rsplit('/').next().unwrap_or(path);
        // Truncated at many offsets (the last signature covers up to the end of the file).
        for k in 0..truncations {
            let at = if k < 8 { k * 7 } else { rng.below(pdf.len()) };
            cases.push(case(format!("{short} truncated at {at}"), pdf[..at].to_vec(), origin));
        }
        // One to eight bytes flipped, inside the signed ranges for a signed form.
        for k in 0..flips {
            let mut m = pdf.clone();
            let count = 1 + k % 8;
            let positions = if signed {
                signed_positions(&pdf, &mut rng, count)
            } else {
                (0..count).map(|_| rng.below(pdf.len())).collect()
            };
            for p in &positions {
                m[*p] ^= 1 + (rng.next() % 255) as u8;
            }
            cases.push(case(format!("{short} flipped at {positions:?}"), m, origin));
        }
        // Cross-reference offsets broken.
        let digits = offset_digits(&pdf);
        for _ in 0..xrefs {
            let mut m = pdf.clone();
            let mut changed = Vec::new();
            for _ in 0..1 + rng.below(4) {
                let p = digits[rng.below(digits.len())];
                let new = b'0' + (rng.next() % 10) as u8;
                if m[p] != new {
                    m[p] = new;
                    changed.push(p);
                }
            }
            if changed.is_empty() {
                continue;
            }
            cases.push(case(format!("{short} xref digits changed at {changed:?}"), m, origin));
        }
        // `%%EOF` markers inserted (inside signed ranges for a signed form) or appended.
        for k in 0..eofs {
            let mut m = pdf.clone();
            if k < eofs * 2 / 3 {
                let at = if signed { signed_positions(&pdf, &mut rng, 1)[0] } else { rng.below(pdf.len()) };
                m.splice(at..at, b"\n%%EOF\n".iter().copied());
                cases.push(case(format!("{short} %%EOF inserted at {at}"), m, origin));
            } else {
                for _ in 0..k {
                    m.extend_from_slice(b"%%EOF\n");
                }
                let o = if signed { Origin::Any } else { origin };
                cases.push(case(format!("{short} {k} %%EOFs appended"), m, o));
            }
        }
        // Updates whose /Prev points at themselves or at each other.
        for (name, m) in prev_loops(&pdf) {
            let o = if signed { Origin::Any } else { origin };
            cases.push(case(format!("{short} {name}"), m, o));
        }
        // Deep nesting appended as an update.
        for (name, m) in nested_updates(&pdf) {
            let o = if signed { Origin::Any } else { origin };
            cases.push(case(format!("{short} {name}"), m, o));
        }
    }
    cases
}

/// `startxref` offset of the last section.
fn last_startxref(pdf: &[u8]) -> usize {
    let key = b"startxref";
    let p = pdf.windows(key.len()).rposition(|w| w == key).expect("startxref");
    let text = String::from_utf8_lossy(&pdf[p + key.len()..(p + key.len() + 24).min(pdf.len())]).into_owned();
    text.split_whitespace().next().and_then(|t| t.parse().ok()).expect("startxref offset")
}

/// An incremental update (PDF 32000-1 7.5.6) with one new object, a classic xref section and
/// a trailer whose `/Prev` is `prev` (or the previous section when `None`).
fn append_update(pdf: &[u8], object: &[u8], number: u32, root: &str, prev: Option<usize>) -> Vec<u8> {
    let mut m = pdf.to_vec();
    if !m.ends_with(b"\n") {
        m.push(b'\n');
    }
    let obj_at = m.len();
    m.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
    m.extend_from_slice(object);
    m.extend_from_slice(b"\nendobj\n");
    let xref_at = m.len();
    let prev = prev.unwrap_or_else(|| last_startxref(pdf));
    m.extend_from_slice(
        format!(
            "xref\n{number} 1\n{obj_at:010} 00000 n \ntrailer\n<< /Size {} /Root {root} /Prev {prev} >>\nstartxref\n{xref_at}\n%%EOF\n",
            number + 1
        )
        .as_bytes(),
    );
    m
}

fn root_ref(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("fixture loads");
    let (n, g) = doc.trailer.get(b"Root").and_then(|r| r.as_reference()).expect("root");
    format!("{n} {g} R")
}

fn prev_loops(pdf: &[u8]) -> Vec<(String, Vec<u8>)> {
    let root = root_ref(pdf);
    let n = lopdf::Document::load_mem(pdf).map(|d| d.max_id + 1).unwrap_or(1000);
    let mut out = Vec::new();
    // /Prev pointing at its own section: the section starts where the update's xref begins.
    let obj = b"<< /Producer (loop) >>".as_slice();
    let probe = append_update(pdf, obj, n, &root, Some(0));
    let own = last_startxref(&probe);
    out.push(("update whose /Prev is itself".to_string(), append_update(pdf, obj, n, &root, Some(own))));
    // Two updates pointing at each other.
    let first = append_update(pdf, obj, n, &root, None);
    let first_xref = last_startxref(&first);
    let second = append_update(&first, obj, n + 1, &root, Some(first_xref));
    let second_xref = last_startxref(&second);
    let mut looped = second.clone();
    let needle = format!("/Prev {}", last_startxref(pdf));
    if let Some(p) = looped.windows(needle.len()).position(|w| w == needle.as_bytes()) {
        let replacement = format!("/Prev {second_xref:0width$}", width = needle.len() - 6);
        if replacement.len() == needle.len() {
            looped.splice(p..p + needle.len(), replacement.bytes());
        }
    }
    out.push(("two updates whose /Prev point at each other".to_string(), looped));
    // /Prev past the end of the file.
    out.push((
        "update whose /Prev is past the end".to_string(),
        append_update(pdf, obj, n, &root, Some(usize::MAX >> 8)),
    ));
    out
}

fn nested_updates(pdf: &[u8]) -> Vec<(String, Vec<u8>)> {
    let root = root_ref(pdf);
    let n = lopdf::Document::load_mem(pdf).map(|d| d.max_id + 1).unwrap_or(1000);
    let deep = 100_000;
    let arrays = [b"[".repeat(deep), b"]".repeat(deep)].concat();
    let dicts = [b"<< /A ".repeat(deep), b">>".repeat(deep)].concat();
    // The catalog itself replaced by a deeply nested one.
    let catalog = [b"<< /Type /Catalog /Deep ".to_vec(), arrays.clone(), b" >>".to_vec()].concat();
    let (root_n, _) = root.split_once(' ').unwrap_or(("1", ""));
    let root_n: u32 = root_n.parse().unwrap_or(1);
    vec![
        ("update adding 100,000 nested arrays".into(), append_update(pdf, &arrays, n, &root, None)),
        ("update adding 100,000 nested dictionaries".into(), append_update(pdf, &dicts, n, &root, None)),
        (
            "update replacing the catalog by a deeply nested one".into(),
            append_update(pdf, &catalog, root_n, &root, None),
        ),
    ]
}

// ---- Crafted files ------------------------------------------------------------------------

/// A one-page PDF with a classic cross-reference table: object 1 the catalog, 2 the page
/// tree, 3 the page (`page_extra` added to its dictionary), then `objects` from 4 on.
fn crafted(page_extra: &str, objects: &[Vec<u8>]) -> Vec<u8> {
    let mut all = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {page_extra} >>").into_bytes(),
    ];
    all.extend_from_slice(objects);
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in all.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", all.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", all.len() + 1).as_bytes(),
    );
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut v = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    v.extend_from_slice(data);
    v.extend_from_slice(b"\nendstream");
    v
}

/// A zlib stream that inflates to `zeros` zero bytes, written directly (one literal, then
/// length-258 distance-1 copies with the fixed Huffman code), so a 1 GB bomb costs
/// milliseconds to build in a debug build. About 1,000 : 1.
fn zlib_zeros(zeros: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let mut rev = 0;
            for i in 0..len {
                rev |= ((code >> i) & 1) << (len - 1 - i);
            }
            self.put(rev, len);
        }
    }
    let mut b = Bits { out: vec![0x78, 0x01], acc: 0, n: 0 };
    b.put(1, 1); // final block
    b.put(1, 2); // fixed Huffman
    b.code(0x30, 8); // literal 0
    let mut left = zeros - 1;
    let pair = |b: &mut Bits| {
        b.code(0b1100_0101, 8); // length code 285 = 258
        b.code(0, 5); // distance code 0 = 1
    };
    // After the 3 header bits, the literal and one pair, output is byte-aligned (24 bits),
    // and every 8 pairs take exactly 13 bytes: build one group, then repeat it.
    if left >= 258 * 9 {
        pair(&mut b);
        left -= 258;
        let start = b.out.len();
        for _ in 0..8 {
            pair(&mut b);
        }
        left -= 258 * 8;
        let group = b.out[start..].to_vec();
        let groups = left / (258 * 8);
        b.out.reserve(groups * group.len());
        for _ in 0..groups {
            b.out.extend_from_slice(&group);
        }
        left -= groups * 258 * 8;
    }
    while left >= 258 {
        pair(&mut b);
        left -= 258;
    }
    for _ in 0..left {
        b.code(0x30, 8);
    }
    b.code(0, 7); // end of block (256)
    if b.n > 0 {
        b.put(0, 8 - b.n);
    }
    let (a, s) = (1u64, zeros as u64 % 65521);
    b.out.extend_from_slice(&(((s << 16) | a) as u32).to_be_bytes());
    b.out
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

const GB: usize = 1 << 30;

fn crafted_cases() -> Vec<Case> {
    let bomb = zlib_zeros(GB);
    let double = deflate(&bomb);
    let drawing = b"0 0 m 100 100 l S".to_vec();
    let mut v = vec![
        case(
            "Flate bomb: 1 GB page content",
            crafted("/Contents 4 0 R", &[stream("/Filter /FlateDecode", &bomb)]),
            Origin::Any,
        ),
        case(
            "Flate bomb: 1 GB page content, deflated twice",
            crafted("/Contents 4 0 R", &[stream("/Filter [/FlateDecode /FlateDecode]", &double)]),
            Origin::Any,
        ),
        case(
            "Flate bomb: 1 GB Form XObject",
            crafted(
                "/Contents 4 0 R /Resources << /XObject << /F 5 0 R >> >>",
                &[
                    stream("", b"/F Do"),
                    stream("/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Filter /FlateDecode", &bomb),
                ],
            ),
            Origin::Any,
        ),
        case(
            "Flate bomb: 1 GB object stream",
            crafted(
                "/Contents 4 0 R",
                &[
                    stream("", &drawing),
                    stream("/Type /ObjStm /N 1 /First 4 /Filter [/FlateDecode /FlateDecode]", &double),
                ],
            ),
            Origin::Any,
        ),
        case(
            "image XObject claiming 100000 x 100000 pixels",
            crafted(
                "/Contents 4 0 R /Resources << /XObject << /Im 5 0 R >> >>",
                &[
                    stream("", b"q 100 0 0 100 0 0 cm /Im Do Q"),
                    stream(
                        "/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray /BitsPerComponent 8",
                        b"\0",
                    ),
                ],
            ),
            Origin::Any,
        ),
        case(
            "one Form XObject drawn 100,000 times",
            crafted(
                "/Contents 4 0 R /Resources << /XObject << /F 5 0 R >> >>",
                &[
                    stream("", &b"/F Do\n".repeat(100_000)),
                    stream("/Type /XObject /Subtype /Form /BBox [0 0 10 10]", &b"0 0 m 1 1 l S\n".repeat(20_000)),
                ],
            ),
            Origin::Any,
        ),
        case(
            "100,000 nested arrays in the content",
            crafted("/Contents 4 0 R", &[stream("", &[b"[".repeat(100_000), b"] TJ".to_vec()].concat())]),
            Origin::Any,
        ),
        case(
            "100,000 nested q in the content",
            crafted("/Contents 4 0 R", &[stream("", &b"q ".repeat(100_000))]),
            Origin::Any,
        ),
        case(
            "100,000 nested arrays in an object",
            crafted("", &[[b"[".repeat(100_000), b"]".repeat(100_000)].concat()]),
            Origin::Any,
        ),
        case(
            "100,000 nested dictionaries in the page",
            crafted(&format!("/X {}{}", "<< /A ".repeat(100_000), ">>".repeat(100_000)), &[]),
            Origin::Any,
        ),
        case(
            "100,000 nested strings",
            crafted("", &[[b"(".repeat(100_000), b")".repeat(100_000)].concat()]),
            Origin::Any,
        ),
        case(
            "page tree that is its own kid",
            {
                let mut p = crafted("", &[]);
                let from = b"/Kids [3 0 R]";
                if let Some(i) = p.windows(from.len()).position(|w| w == from) {
                    p.splice(i..i + from.len(), b"/Kids [2 0 R]".iter().copied());
                }
                p
            },
            Origin::Any,
        ),
        case("2,000 %%EOF markers", [b"%PDF-1.7\n".to_vec(), b"%%EOF\n".repeat(2000)].concat(), Origin::Any),
        case("empty", Vec::new(), Origin::Any),
        case("header only", b"%PDF-1.7\n".to_vec(), Origin::Any),
        case("not a PDF", b"Dear partner, please find the form attached.".to_vec(), Origin::Any),
    ];
    // A real ready form with a bomb appended inside the customer's box, as an update: the
    // page's content grows, which would be allowed if it were small and readable.
    let ready = fixture("fixtures/returned/ink-all.pdf");
    v.push(case("ready form with a content bomb appended", bomb_update(&ready, &bomb), Origin::Any));
    let signed = fixture("fixtures/returned/seq-pyhanko.pdf");
    v.push(case("signed form with a content bomb appended", bomb_update(&signed, &bomb), Origin::Any));
    v
}

/// An update that adds a bomb stream to page 1's content.
fn bomb_update(pdf: &[u8], bomb: &[u8]) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(pdf).expect("fixture loads");
    let page_id = *doc.get_pages().get(&1).expect("page 1");
    let mut page = doc.get_dictionary(page_id).expect("page").clone();
    let mut contents: Vec<lopdf::Object> = match page.get(b"Contents") {
        Ok(lopdf::Object::Array(a)) => a.clone(),
        Ok(o) => vec![o.clone()],
        Err(_) => Vec::new(),
    };
    let n = doc.max_id + 1;
    contents.push(lopdf::Object::Reference((n, 0)));
    page.set("Contents", lopdf::Object::Array(contents));
    let mut page_bytes = Vec::new();
    lopdf::Writer::write_object(&mut page_bytes, &lopdf::Object::Dictionary(page)).expect("write");
    let root = root_ref(pdf);
    let mut m = append_update(pdf, &stream("/Filter /FlateDecode", bomb), n, &root, None);
    let prev = last_startxref(&m);
    m = append_update(&m, &page_bytes, page_id.0, &root, Some(prev));
    m
}

/// Verify every case on two threads; return the reports, failing on any panic.
fn verify_all(cases: &[Case]) -> Vec<FormReport> {
    let half = cases.len().div_ceil(2);
    let run = |chunk: &[Case]| -> Vec<Result<FormReport, String>> {
        chunk
            .iter()
            .map(|c| {
                catch_unwind(AssertUnwindSafe(|| verify_bytes(&c.name, &c.bytes, &Default::default())))
                    .map_err(|_| format!("PANIC on {}", c.name))
            })
            .collect()
    };
    let results: Vec<Result<FormReport, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(half.max(1))
            .map(|chunk| {
                std::thread::Builder::new().stack_size(16 << 20).spawn_scoped(s, move || run(chunk)).expect("thread")
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker")).collect()
    });
    let panics: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(panics.is_empty(), "{} panics: {panics:#?}", panics.len());
    results.into_iter().map(|r| r.expect("checked")).collect()
}

fn check_verdicts(cases: &[Case], reports: &[FormReport]) {
    let mut wrong = Vec::new();
    for (c, r) in cases.iter().zip(reports) {
        if r.status == Status::Error {
            let why = r.error.as_deref().unwrap_or("");
            if why.trim().is_empty() {
                wrong.push(format!("{}: error without a reason", c.name));
            }
        }
        if r.status == Status::Ready && c.origin != Origin::Any {
            wrong.push(format!("{}: ready, but derived from {:?}", c.name, c.origin));
        }
        if r.status == Status::Ready && !r.checks.iter().all(|k| k.ok) {
            wrong.push(format!("{}: ready with a failing check", c.name));
        }
    }
    assert!(wrong.is_empty(), "{} wrong verdicts:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn a_thousand_mutated_forms_never_panic_and_never_turn_ready() {
    let started = std::time::Instant::now();
    let cases = mutations();
    assert!(cases.len() >= 1000, "only {} mutations", cases.len());
    let reports = verify_all(&cases);
    check_verdicts(&cases, &reports);
    let count = |s: Status| reports.iter().filter(|r| r.status == s).count();
    eprintln!(
        "{} mutated forms in {:.1?}: {} ready, {} not ready, {} errors",
        cases.len(),
        started.elapsed(),
        count(Status::Ready),
        count(Status::NotReady),
        count(Status::Error)
    );
}

#[test]
fn crafted_attacks_get_a_clear_error_or_a_verdict() {
    let cases = crafted_cases();
    let started = std::time::Instant::now();
    let reports = verify_all(&cases);
    check_verdicts(&cases, &reports);
    let by_name = |n: &str| {
        let i = cases.iter().position(|c| c.name == n).unwrap_or_else(|| panic!("no case {n}"));
        &reports[i]
    };
    for name in [
        "Flate bomb: 1 GB page content",
        "Flate bomb: 1 GB page content, deflated twice",
        "Flate bomb: 1 GB object stream",
    ] {
        let r = by_name(name);
        assert_eq!(r.status, Status::Error, "{name}: {r:?}");
        assert!(r.error.as_deref().unwrap_or("").contains("decompresses to more than"), "{name}: {:?}", r.error);
    }
    let image = by_name("image XObject claiming 100000 x 100000 pixels");
    assert!(image.error.as_deref().unwrap_or("").contains("100000 × 100000 pixels"), "{:?}", image.error);
    for name in ["ready form with a content bomb appended", "signed form with a content bomb appended"] {
        let r = by_name(name);
        assert_ne!(r.status, Status::Ready, "{name}");
    }
    for (c, r) in cases.iter().zip(&reports) {
        eprintln!("{}: {} {}", c.name, r.status.as_str(), r.error.as_deref().unwrap_or(""));
    }
    eprintln!("{} crafted files in {:.1?}", cases.len(), started.elapsed());
}

#[test]
fn encrypted_forms_open_only_with_the_empty_password() {
    let r = verify_bytes("e.pdf", &fixture("fixtures/returned/encrypted.pdf"), &Default::default());
    assert_eq!(r.error.as_deref(), Some("encrypted (needs a password)"));
    // Encrypted with an empty user password: opened and verified like any viewer shows it,
    // and said so.
    let r = verify_bytes("e.pdf", &fixture("fixtures/hostile/encrypted-empty-password.pdf"), &Default::default());
    assert_eq!(r.status, Status::Ready, "{r:?}");
    let integrity = r.checks.iter().find(|c| c.id == "integrity").expect("integrity");
    assert!(integrity.detail.contains("encrypted with an empty password"), "{}", integrity.detail);
    // Re-encrypting a signed form rewrites every signed byte: the signatures no longer verify.
    let r =
        verify_bytes("e.pdf", &fixture("fixtures/hostile/encrypted-empty-password-signed.pdf"), &Default::default());
    assert_eq!(r.status, Status::NotReady);
}

/// Every file in `fixtures/hostile/` (crashes found by fuzzing, and crafted files) replays
/// without a panic, and none is ready unless its name says so.
#[test]
fn committed_hostile_fixtures_replay() {
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(repo("fixtures/hostile")).expect("fixtures/hostile") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "pdf") {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let origin =
                if name.contains("ready") || name.starts_with("encrypted") { Origin::Any } else { Origin::NotReady };
            cases.push(case(name, std::fs::read(&path).expect("read"), origin));
        }
    }
    let reports = verify_all(&cases);
    check_verdicts(&cases, &reports);
}

// ---- Through the binary ---------------------------------------------------------------------

#[test]
fn a_hostile_folder_gives_one_row_per_file_and_copies_only_ready_forms() {
    let dir = Dir::new();
    let ready = ["fixtures/returned/seq-pyhanko.pdf", "fixtures/returned/ink-all.pdf"];
    let not_ready = ["fixtures/returned/base/full.pdf", "fixtures/returned/missing-customer.pdf"];
    for p in ready.iter().chain(&not_ready) {
        dir.write(&format!("in/{}", p.rsplit('/').next().unwrap_or(p)), fixture(p));
    }
    let signed = fixture("fixtures/returned/seq-pyhanko.pdf");
    dir.write("in/broken/truncated.pdf", &signed[..signed.len() / 2]);
    dir.write("in/broken/not-a-pdf.pdf", b"hello");
    dir.write("in/broken/empty.pdf", b"");
    dir.write("in/hostile/bomb.pdf", crafted("/Contents 4 0 R", &[stream("/Filter /FlateDecode", &zlib_zeros(GB))]));
    dir.write("in/hostile/deep.pdf", crafted("", &[[b"[".repeat(100_000), b"]".repeat(100_000)].concat()]));
    dir.write(
        "in/hostile/huge-image.pdf",
        crafted(
            "/Contents 4 0 R /Resources << /XObject << /Im 5 0 R >> >>",
            &[stream("", b"/Im Do"), stream("/Subtype /Image /Width 100000 /Height 100000 /BitsPerComponent 8", b"\0")],
        ),
    );
    dir.write("in/hostile/panics.pdf", fixture("fixtures/returned/ink-all.pdf"));
    dir.write("in/hostile/stalls.pdf", fixture("fixtures/returned/ink-all.pdf"));
    let out = dir
        .formtool()
        .args(["verify", "in", "--format", "json", "--ready-dir", "upload"])
        .env("FORMTOOL_TEST_HOOK", "panic:panics.pdf")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "panic message on stderr");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let forms = json["forms"].as_array().expect("forms");
    assert_eq!(forms.len(), 12);
    let status = |name: &str| {
        forms
            .iter()
            .find(|f| f["file"].as_str().unwrap_or("").ends_with(name))
            .map(|f| f["status"].clone())
            .unwrap_or_default()
    };
    assert_eq!(status("seq-pyhanko.pdf"), "ready");
    assert_eq!(status("ink-all.pdf"), "ready");
    assert_eq!(status("stalls.pdf"), "ready");
    for name in ["full.pdf", "missing-customer.pdf", "deep.pdf"] {
        assert_eq!(status(name), "not_ready", "{name}");
    }
    for name in ["truncated.pdf", "not-a-pdf.pdf", "empty.pdf", "bomb.pdf", "huge-image.pdf", "panics.pdf"] {
        assert_eq!(status(name), "error", "{name}");
    }
    assert_eq!(json["summary"], serde_json::json!({"ready": 3, "review": 0, "not_ready": 3, "error": 6}));
    // The ready forms, byte for byte (ink-all.pdf and stalls.pdf are the same file: one copy).
    let mut copied: Vec<Vec<u8>> = std::fs::read_dir(dir.path("upload"))
        .expect("upload")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    copied.sort();
    let mut expected: Vec<Vec<u8>> = ready.iter().map(|p| fixture(p)).collect();
    expected.sort();
    assert_eq!(copied, expected);
    assert_eq!(String::from_utf8_lossy(&dir.read("upload/SHA256SUMS")).lines().count(), 2);
}

#[test]
fn a_file_that_takes_too_long_is_an_error_and_the_batch_goes_on() {
    let dir = Dir::new();
    dir.write("in/a.pdf", fixture("fixtures/returned/ink-all.pdf"));
    dir.write("in/stalls.pdf", fixture("fixtures/returned/ink-all.pdf"));
    dir.write("in/z.pdf", fixture("fixtures/returned/base/full.pdf"));
    let started = std::time::Instant::now();
    let out = dir
        .formtool()
        .args(["verify", "in", "--format", "csv"])
        .env("FORMTOOL_TEST_HOOK", "sleep:stalls.pdf")
        .env("FORMTOOL_FILE_TIME_LIMIT_SECS", "1")
        .output()
        .expect("run");
    assert!(started.elapsed().as_secs() < 30, "the batch waited for the stalled file");
    assert_eq!(out.status.code(), Some(1));
    let csv = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[0].contains("a.pdf,ready"), "{csv}");
    assert!(rows[1].contains("stalls.pdf,error"), "{csv}");
    assert!(rows[2].contains("z.pdf,not_ready"), "{csv}");
    let json = dir
        .formtool()
        .args(["verify", "in/stalls.pdf", "--format", "json"])
        .env("FORMTOOL_TEST_HOOK", "sleep:stalls.pdf")
        .env("FORMTOOL_FILE_TIME_LIMIT_SECS", "0.5")
        .output()
        .expect("run");
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(report["error"], "took longer than 0.5 s to check; skipped");
}
