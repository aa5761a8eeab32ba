//! The fast revision reader (`formtool::pdf::revisions`) against lopdf: whenever the fast reader
//! builds a document for a revision, lopdf's own load of that revision's bytes must give the
//! same objects and the same catalog, for every revision of every committed PDF and for
//! thousands of mutated ones. The fast reader may decline a file (lopdf then loads it), but
//! it may never read one differently: the verifier's verdicts rest on these documents.

mod common;

use common::{Rng, repo};
use formtool::pdf::revisions::{RevisionReader, Unsupported};
use formtool::pdf::view::{Objects, View};
use formtool::verify::returned::revision_ends;
use lopdf::{Document, Object};

fn pdfs_under(dir: &str, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(repo(dir)) else { return };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            pdfs_under(&path.strip_prefix(repo("")).unwrap().to_string_lossy(), out);
        } else if path.extension().is_some_and(|e| e == "pdf") {
            out.push(path);
        }
    }
}

fn same_object(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => x.dict == y.dict && x.content == y.content,
        _ => a == b,
    }
}

/// `Err` describes the first difference.
fn compare(fast: &Document, slow: &Document) -> Result<(), String> {
    let fast_ids: Vec<_> = fast.objects.keys().collect();
    let slow_ids: Vec<_> = slow.objects.keys().collect();
    if fast_ids != slow_ids {
        let only_fast: Vec<_> = fast_ids.iter().filter(|id| !slow_ids.contains(id)).collect();
        let only_slow: Vec<_> = slow_ids.iter().filter(|id| !fast_ids.contains(id)).collect();
        return Err(format!("objects differ: only fast {only_fast:?}, only lopdf {only_slow:?}"));
    }
    for (id, object) in &fast.objects {
        if !same_object(object, &slow.objects[id]) {
            return Err(format!("object {id:?} differs:\n fast {object:?}\n lopdf {:?}", slow.objects[id]));
        }
    }
    for key in [b"Root".as_slice(), b"Info"] {
        if fast.trailer.get(key).ok() != slow.trailer.get(key).ok() {
            return Err(format!(
                "trailer /{} differs: fast {:?}, lopdf {:?}",
                String::from_utf8_lossy(key),
                fast.trailer,
                slow.trailer
            ));
        }
    }
    if fast.version != slow.version {
        return Err(format!("version {} vs {}", fast.version, slow.version));
    }
    Ok(())
}

/// Compares every revision of `pdf`; returns how many the fast reader built.
fn check_file(name: &str, pdf: &[u8]) -> usize {
    let mut reader = RevisionReader::new(pdf);
    let mut built = 0;
    for end in revision_ends(pdf) {
        let Ok(fast) = reader.document_at(end) else { continue };
        built += 1;
        let slow = Document::load_mem(&pdf[..end])
            .unwrap_or_else(|e| panic!("{name} revision ending at {end}: fast reader built it, lopdf says {e}"));
        if let Err(why) = compare(&fast, &slow) {
            panic!("{name} revision ending at {end}: {why}");
        }
    }
    built
}

/// `Err` describes the first way `view` reads otherwise than `whole`, the same revision as a
/// document of its own.
fn compare_view(view: &View, whole: &Document) -> Result<(), String> {
    let ids: Vec<_> = whole.objects.keys().copied().collect();
    if view.ids() != ids {
        return Err(format!("object ids differ: view {:?}, document {ids:?}", view.ids()));
    }
    if view.count() != whole.objects.len() {
        return Err(format!("count {} vs {}", view.count(), whole.objects.len()));
    }
    for (id, object) in &whole.objects {
        if view.stored(*id) != Some(object) {
            return Err(format!("object {id:?} differs"));
        }
        if view.get_object(*id).ok() != whole.get_object(*id).ok() {
            return Err(format!("object {id:?} dereferences otherwise"));
        }
    }
    if view.trailer() != &whole.trailer {
        return Err("trailers differ".into());
    }
    if view.get_pages() != whole.get_pages() {
        return Err(format!("pages differ: view {:?}, document {:?}", view.get_pages(), whole.get_pages()));
    }
    for page in whole.get_pages().values() {
        if view.get_page_contents(*page) != whole.get_page_contents(*page) {
            return Err(format!("the contents of page {page:?} differ"));
        }
    }
    if formtool::pdf::form_fields(view) != formtool::pdf::form_fields(whole) {
        return Err("form fields differ".into());
    }
    Ok(())
}

/// Reads every earlier revision of `pdf` as its changes from the latest one (as the verifier
/// does) and compares that with the revision read as a document of its own; returns how many
/// revisions were read as changes.
fn check_views(name: &str, pdf: &[u8]) -> usize {
    let ends = revision_ends(pdf);
    let Some((&last, earlier)) = ends.split_last() else { return 0 };
    let mut reader = RevisionReader::new(pdf);
    let Ok(base_xref) = reader.xref_at(last) else { return 0 };
    let Ok(base) = reader.last_document(&base_xref, last) else { return 0 };
    let mut read = 0;
    let xrefs: Vec<_> = earlier.iter().map(|&end| reader.xref_at(end).ok()).collect();
    for (i, &end) in earlier.iter().enumerate() {
        let Some(xref) = &xrefs[i] else { continue };
        // As the verifier reads them: oldest first, each moving out what no later one shares.
        let later: Vec<_> = xrefs[i + 1..].iter().flatten().map(|x| &x.entries).collect();
        let changes = match reader.changes(xref, end, &base, &base_xref.entries, &later) {
            Ok(changes) => changes,
            // Moving objects out must never leave a later revision without one.
            Err(Unsupported(reason)) => {
                assert_ne!(reason, "object read twice", "{name} revision ending at {end}");
                continue;
            }
        };
        read += 1;
        let whole = RevisionReader::new(pdf)
            .document_at(end)
            .unwrap_or_else(|e| panic!("{name} revision ending at {end}: read as changes, declined whole ({e:?})"));
        if let Err(why) = compare_view(&View::Changed { base: &base, changes: &changes }, &whole) {
            panic!("{name} revision ending at {end}, read as changes: {why}");
        }
    }
    read
}

#[test]
fn every_committed_pdf_reads_as_lopdf_reads_it() {
    let mut paths = Vec::new();
    pdfs_under("fixtures", &mut paths);
    assert!(paths.len() > 60, "found only {} fixtures", paths.len());
    let mut built = 0;
    for path in &paths {
        let pdf = std::fs::read(path).unwrap();
        built += check_file(&path.display().to_string(), &pdf);
    }
    assert!(built > 100, "the fast reader built only {built} revisions");
}

/// What the verifier reads of a signed state — the final document with that revision's
/// differences laid over it — is that revision, object for object and page for page.
#[test]
fn every_earlier_revision_reads_the_same_as_changes_from_the_latest() {
    let mut paths = Vec::new();
    pdfs_under("fixtures", &mut paths);
    let mut read = 0;
    for path in &paths {
        let pdf = std::fs::read(path).unwrap();
        read += check_views(&path.display().to_string(), &pdf);
    }
    assert!(read > 60, "only {read} revisions were read as changes");
}

#[test]
fn signed_forms_take_the_fast_route_for_every_revision() {
    for name in ["seq-pyhanko.pdf", "mixed-algorithms.pdf", "pdfsig-all.pdf"] {
        let pdf = std::fs::read(repo(&format!("fixtures/returned/{name}"))).unwrap();
        let revisions = revision_ends(&pdf).len();
        assert_eq!(check_file(name, &pdf), revisions, "{name}");
    }
}

/// Bytes flipped, replaced by PDF syntax characters, deleted or duplicated, anywhere in the
/// file: each mutant the fast reader accepts must read as lopdf reads it.
#[test]
fn mutated_files_read_as_lopdf_reads_them_or_are_declined() {
    const SYNTAX: &[u8] = b"()<>[]{}/%#\\ \r\n\t0123456789.+-RnobjstreamendxrefEOF";
    let mut rng = Rng(0xD1FF_5EED);
    let mut accepted = 0;
    let mut total = 0;
    for name in ["seq-pyhanko.pdf", "base/cp-only.pdf", "pdfsig-all.pdf", "ink-all.pdf"] {
        let pdf = std::fs::read(repo(&format!("fixtures/returned/{name}"))).unwrap();
        for k in 0..400 {
            let mut m = pdf.clone();
            for _ in 0..1 + k % 4 {
                let at = rng.below(m.len());
                match rng.below(4) {
                    0 => m[at] ^= 1 << rng.below(8),
                    1 => m[at] = SYNTAX[rng.below(SYNTAX.len())],
                    2 => {
                        m.remove(at);
                    }
                    _ => m.insert(at, m[at]),
                }
            }
            total += 1;
            if check_file(&format!("{name} mutant {k}"), &m) > 0 {
                accepted += 1;
            }
            check_views(&format!("{name} mutant {k}"), &m);
        }
    }
    // Changes in stream data or strings still read; inserted or deleted bytes move every
    // offset after them, and such files are declined.
    assert!(accepted * 4 > total, "only {accepted} of {total} mutants were read at all");
}

/// `content_operations` must give exactly lopdf's `Content::decode` result (or fail where it
/// fails) for `content`.
fn check_content(what: &str, content: &[u8]) {
    let ours = formtool::pdf::revisions::content_operations(content);
    let lopdf = lopdf::content::Content::decode(content).map(|c| c.operations);
    match (ours, lopdf) {
        (Some(a), Ok(b)) => {
            assert_eq!(a.len(), b.len(), "{what}: operation count");
            for (x, y) in a.iter().zip(&b) {
                assert!(x.operator == y.operator && x.operands == y.operands.as_slice(), "{what}: {x:?} vs {y:?}");
            }
        }
        (None, Err(_)) => {}
        (a, b) => panic!("{what}: ours {:?}, lopdf {:?}", a.map(|o| o.len()), b.map(|o| o.len())),
    }
}

/// Every stream of every committed PDF read as content (page content, appearances, form
/// XObjects, and streams that are not content at all), then mutated page content.
#[test]
fn content_streams_decode_as_lopdf_decodes_them() {
    let mut paths = Vec::new();
    pdfs_under("fixtures", &mut paths);
    let mut samples: Vec<Vec<u8>> = Vec::new();
    let mut checked = 0;
    for path in &paths {
        let Ok(doc) = Document::load_mem(&std::fs::read(path).unwrap()) else { continue };
        for (id, object) in &doc.objects {
            let Object::Stream(stream) = object else { continue };
            let Ok(content) = stream.decompressed_content() else { continue };
            if content.len() > 1 << 20 {
                continue;
            }
            check_content(&format!("{} object {id:?}", path.display()), &content);
            checked += 1;
            if samples.len() < 40 && stream.dict.get(b"Subtype").is_err() && content.len() > 200 {
                samples.push(content);
            }
        }
    }
    assert!(checked > 1000, "only {checked} streams");
    const SYNTAX: &[u8] = b"()<>[]{}/%#\\ \r\n\t0123456789.+-RnulltruefalseBIEIDTjq*'\"";
    let mut rng = Rng(0xC0_47E7);
    for (k, sample) in samples.iter().enumerate() {
        for m in 0..100 {
            let mut content = sample.clone();
            for _ in 0..1 + m % 3 {
                let at = rng.below(content.len());
                content[at] = SYNTAX[rng.below(SYNTAX.len())];
            }
            check_content(&format!("sample {k} mutant {m}"), &content);
        }
    }
}

/// Two revisions that share a stream at one offset but give its indirect `/Length` different
/// values, both of which end at an `endstream`: lopdf reads the stream differently in each,
/// and so must the documents built here (or the fast reader must decline one of them).
#[test]
fn a_stream_whose_indirect_length_changes_is_read_per_revision() {
    fn xref(out: &mut Vec<u8>, entries: &[(u32, usize)], size: u32, prev: Option<usize>) {
        let at = out.len();
        out.extend_from_slice(b"xref\n");
        for (number, offset) in entries {
            out.extend_from_slice(format!("{number} 1\n{offset:010} 00000 n \n").as_bytes());
        }
        let prev = prev.map(|p| format!("/Prev {p}")).unwrap_or_default();
        out.extend_from_slice(
            format!("trailer\n<</Size {size}/Root 1 0 R{prev}>>\nstartxref\n{at}\n%%EOF\n").as_bytes(),
        );
    }
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let objects: [&[u8]; 5] = [
        b"1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n",
        b"2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\nendobj\n",
        b"3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]/Contents 4 0 R>>\nendobj\n",
        // 21 bytes of data, the first 5 of which are also followed by an endstream.
        b"4 0 obj\n<</Length 5 0 R>>stream\n0 0 m\nendstream\n1 1 l\nendstream\nendobj\n",
        b"5 0 obj\n21\nendobj\n",
    ];
    for (k, object) in objects.iter().enumerate() {
        offsets.push((k as u32 + 1, pdf.len()));
        pdf.extend_from_slice(object);
    }
    let first_xref = pdf.len();
    xref(&mut pdf, &offsets, 6, None);
    let length_at = pdf.len();
    pdf.extend_from_slice(b"5 0 obj\n5\nendobj\n");
    xref(&mut pdf, &[(5, length_at)], 6, Some(first_xref));

    let ends = revision_ends(&pdf);
    assert_eq!(ends.len(), 2);
    let slow: Vec<Document> = ends.iter().map(|e| Document::load_mem(&pdf[..*e]).unwrap()).collect();
    let content = |d: &Document| d.get_object((4, 0)).unwrap().as_stream().unwrap().content.clone();
    assert_eq!(content(&slow[0]), b"0 0 m\nendstream\n1 1 l");
    assert_eq!(content(&slow[1]), b"0 0 m");
    // Either order of reading, as `verify` reads the latest first.
    for order in [[0, 1], [1, 0]] {
        let mut reader = RevisionReader::new(&pdf);
        for k in order {
            if let Ok(fast) = reader.document_at(ends[k]) {
                compare(&fast, &slow[k]).unwrap_or_else(|why| panic!("revision {}: {why}", k + 1));
            }
        }
    }
    check_file("changing indirect length", &pdf);
}

/// Numbers as operands and in arrays, written every way a PDF may write them (signs, leading
/// and trailing points, long digit runs, runs that overflow, numbers next to `R`), read as
/// lopdf reads them: the parser's eight-digit and short-real paths against lopdf's own.
#[test]
fn numbers_read_as_lopdf_reads_them() {
    let mut rng = Rng(0x4E55_4D42);
    let digits =
        |rng: &mut Rng, n: usize| -> String { (0..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect() };
    for k in 0..3000 {
        let mut content = String::new();
        for _ in 0..1 + rng.below(12) {
            let sign = ["", "", "-", "+"][rng.below(4)];
            let length = [0, 1, 1, 2, 3, 4, 7, 8, 9, 19, 20, 25][rng.below(12)];
            let whole = digits(&mut rng, length);
            let (fraction_length, kind) = (rng.below(11), rng.below(4));
            let fraction = digits(&mut rng, fraction_length);
            let number = match kind {
                0 => format!("{sign}{}", if whole.is_empty() { "0".into() } else { whole }),
                1 => format!("{sign}{whole}.{fraction}"),
                2 => format!("{sign}.{fraction}0"),
                _ => format!("{sign}{whole}."),
            };
            content.push_str(&number);
            content.push_str([" ", "\n", " 0 R ", "]", " [", "  "][rng.below(6)]);
        }
        // Balanced or not, an operator at the end.
        content.push_str(" Tj");
        check_content(&format!("numbers {k}: {content:?}"), content.as_bytes());
    }
}
