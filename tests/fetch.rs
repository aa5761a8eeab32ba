//! `formtool fetch` against real HTTP servers on 127.0.0.1 that each test starts for itself,
//! serving archives built at test time. Nothing here touches the internet.

use std::fs;
use std::io::{Cursor, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use formtool::commands::fetch::{self, ArchiveLimits, FetchError, FetchOptions};
use lopdf::{Document, Object, Stream, dictionary};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 server: every connection is handed to `handler` with the request path.

fn serve<F>(handler: F) -> String
where
    F: Fn(&mut TcpStream, &str) + Send + Sync + Clone + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let handler = handler.clone();
            thread::spawn(move || {
                let path = read_request_path(&mut stream);
                handler(&mut stream, &path);
            });
        }
    });
    format!("http://{addr}")
}

/// Read the request head (up to the blank line) and return the path of its first line.
fn read_request_path(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    let head = String::from_utf8_lossy(&head);
    head.split_whitespace().nth(1).unwrap_or("/").to_string()
}

fn respond(stream: &mut TcpStream, status: &str, extra_headers: &str, body: &[u8]) {
    let head =
        format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n", body.len());
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

/// A server that answers every request with `body` as a zip; returns the archive's URL.
fn serve_archive(body: Vec<u8>) -> String {
    let base = serve(move |s, _| respond(s, "200 OK", "Content-Type: application/zip\r\n", &body));
    format!("{base}/form.zip")
}

fn serve_status(status: &'static str) -> String {
    let base = serve(move |s, _| respond(s, status, "", b"nope"));
    format!("{base}/form.zip")
}

/// A URL on a port where nothing listens.
fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{addr}/form.zip")
}

// ---------------------------------------------------------------------------------------------
// Test archives.

/// A one-page PDF, with an empty `/AcroForm` when `with_form`; `marker` makes the bytes unique.
fn pdf(marker: &str, with_form: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let content_id = doc.add_object(Stream::new(dictionary! {}, format!("% {marker}\n").into_bytes()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        "Contents" => content_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    if with_form {
        let form_id = doc.add_object(dictionary! { "Fields" => Vec::<Object>::new() });
        catalog.set("AcroForm", form_id);
    }
    let catalog_id = doc.add_object(catalog);
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save test PDF");
    out
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(*name, options).expect("start entry");
        writer.write_all(bytes).expect("write entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

/// The usual archive: a readme and the form.
fn good_archive() -> (Vec<u8>, Vec<u8>) {
    let form = pdf("official form", true);
    let archive =
        zip_of(&[("Readme.txt", b"Fill in the form.".as_slice()), ("CSP_Subscription_Transfer_Form.pdf", &form)]);
    (archive, form)
}

/// Replace every occurrence of `from` with `to` (same length) in the archive bytes: how the
/// tests forge entry names that a well-behaved writer would not produce.
fn patch(mut bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut found = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            found += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(found >= 2, "expected the name in the local and central headers");
    bytes
}

/// `size` zeros behind a PDF header, deflated: a small archive that expands enormously.
fn bomb(size: usize) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // Best compression: how far level 1 squeezes zeros depends on flate2's backend (zlib-rs,
    // enabled by hayro, gives far less than miniz_oxide), and a bomb must be a bomb.
    let options =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).compression_level(Some(9));
    writer.start_file("form.pdf", options).expect("start");
    writer.write_all(b"%PDF-1.7\n").expect("write");
    let zeros = vec![0u8; 1024 * 1024];
    let mut left = size;
    while left > 0 {
        let n = left.min(zeros.len());
        writer.write_all(&zeros[..n]).expect("write");
        left -= n;
    }
    writer.finish().expect("finish").into_inner()
}

/// Overwrite the uncompressed-size field of the single entry in both headers
/// (APPNOTE 4.3.7 local header offset 22, 4.3.12 central header offset 24).
fn lie_about_size(mut archive: Vec<u8>, size: u32) -> Vec<u8> {
    let local = find(&archive, b"PK\x03\x04").expect("local header");
    archive[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    let central = find(&archive, b"PK\x01\x02").expect("central header");
    archive[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
    archive
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn options(url: &str, cache: &Path) -> FetchOptions {
    let mut options = FetchOptions::new(url, cache);
    options.connect_timeout = Duration::from_secs(2);
    options.read_timeout = Duration::from_secs(1);
    options.total_timeout = Duration::from_secs(20);
    options
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<PathBuf> = entries.map(|e| e.expect("dir entry").path()).collect();
    names.sort();
    names
}

fn fetch_err(url: &str) -> (FetchError, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let err = fetch::fetch(&options(url, &cache)).expect_err("fetch should fail");
    assert!(!cache.exists(), "a failed fetch created the cache: {err}");
    (err, dir)
}

// ---------------------------------------------------------------------------------------------
// Library API.

#[test]
fn good_archive_is_cached_under_the_pdf_digest_and_a_second_fetch_changes_nothing() {
    let (archive, form) = good_archive();
    let url = serve_archive(archive.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");

    let first = fetch::fetch(&options(&url, &cache)).expect("first fetch");
    assert_eq!(first.pdf_sha256, sha256_hex(&form));
    assert_eq!(first.archive_sha256, sha256_hex(&archive));
    assert_eq!(first.entry, "CSP_Subscription_Transfer_Form.pdf");
    assert_eq!(first.path, cache.join(format!("{}.pdf", first.pdf_sha256)));
    assert!(!first.already_cached);
    assert_eq!(fs::read(&first.path).expect("cached form"), form);
    assert_eq!(listing(&cache), vec![first.path.clone()]);
    let mtime = fs::metadata(&first.path).and_then(|m| m.modified()).expect("mtime");

    thread::sleep(Duration::from_millis(20));
    let second = fetch::fetch(&options(&url, &cache)).expect("second fetch");
    assert!(second.already_cached);
    assert_eq!(second.path, first.path);
    assert_eq!(fs::read(&second.path).expect("cached form"), form);
    assert_eq!(fs::metadata(&second.path).and_then(|m| m.modified()).expect("mtime"), mtime);
    assert_eq!(listing(&cache), vec![first.path]);
}

#[test]
fn a_damaged_cached_file_is_rewritten() {
    let (archive, form) = good_archive();
    let url = serve_archive(archive);
    let dir = tempfile::tempdir().expect("tempdir");
    let first = fetch::fetch(&options(&url, dir.path())).expect("fetch");
    fs::write(&first.path, b"%PDF-1.7 damaged").expect("damage the cache");

    let again = fetch::fetch(&options(&url, dir.path())).expect("fetch again");
    assert!(!again.already_cached);
    assert_eq!(fs::read(&again.path).expect("cached form"), form);
    assert_eq!(listing(dir.path()), vec![again.path]);
}

#[test]
fn matching_sha256_pin_is_accepted() {
    let (archive, _) = good_archive();
    let url = serve_archive(archive.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = options(&url, dir.path());
    opts.expected_sha256 = Some(fetch::parse_sha256(&sha256_hex(&archive)).expect("hex"));
    assert!(fetch::fetch(&opts).is_ok());
}

#[test]
fn wrong_sha256_pin_is_an_error_and_the_cache_stays_empty() {
    let (archive, _) = good_archive();
    let url = serve_archive(archive.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = options(&url, dir.path());
    opts.expected_sha256 = Some([0x11; 32]);
    let err = fetch::fetch(&opts).expect_err("pinned digest differs");
    match &err {
        FetchError::DigestMismatch { expected, actual } => {
            assert_eq!(expected, &"11".repeat(32));
            assert_eq!(actual, &sha256_hex(&archive));
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn http_404_and_500_are_errors() {
    let (err, _dir) = fetch_err(&serve_status("404 Not Found"));
    assert!(matches!(err, FetchError::Status { code: 404, .. }), "{err}");
    assert!(err.to_string().contains("HTTP 404 Not Found"), "{err}");
    let (err, _dir) = fetch_err(&serve_status("500 Internal Server Error"));
    assert!(matches!(err, FetchError::Status { code: 500, .. }), "{err}");
}

#[test]
fn a_server_that_never_answers_fails_by_read_timeout() {
    let base = serve(|_, _| thread::sleep(Duration::from_secs(15)));
    let started = Instant::now();
    let (err, _dir) = fetch_err(&format!("{base}/form.zip"));
    assert!(matches!(err, FetchError::Timeout { phase: "waiting for the response", .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn a_server_that_stalls_mid_body_fails_by_read_timeout() {
    let base = serve(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nPK\x03\x04");
        let _ = s.flush();
        thread::sleep(Duration::from_secs(15));
    });
    let started = Instant::now();
    let (err, _dir) = fetch_err(&format!("{base}/form.zip"));
    assert!(matches!(err, FetchError::Timeout { phase: "reading the archive", .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn a_body_shorter_than_its_content_length_is_truncated() {
    let (archive, _) = good_archive();
    let base = serve(move |s, _| {
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", archive.len() + 500);
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(&archive);
        // Returning closes the connection 500 bytes early.
    });
    let (err, _dir) = fetch_err(&format!("{base}/form.zip"));
    assert!(matches!(err, FetchError::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("stopped after"), "{err}");
}

#[test]
fn size_cap_applies_to_content_length_and_to_a_body_without_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let announced = serve(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\n");
    });
    let mut opts = options(&format!("{announced}/form.zip"), dir.path());
    opts.max_download_bytes = 1024 * 1024;
    let err = fetch::fetch(&opts).expect_err("announced too large");
    assert!(matches!(err, FetchError::TooLarge { declared: Some(2097152), .. }), "{err}");
    assert!(err.to_string().contains("limit of 1 MiB"), "{err}");

    // No Content-Length: the body runs until the connection closes, and must be counted.
    let streamed = serve(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..32 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    opts.url = format!("{streamed}/form.zip");
    let err = fetch::fetch(&opts).expect_err("streamed too large");
    assert!(matches!(err, FetchError::TooLarge { declared: None, .. }), "{err}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn redirects_are_followed_but_not_forever() {
    let (archive, form) = good_archive();
    let base = serve(move |s, path| match path {
        "/form.zip" => respond(s, "200 OK", "", &archive),
        "/moved" => respond(s, "302 Found", "Location: /form.zip\r\n", b""),
        _ => respond(s, "302 Found", "Location: /loop\r\n", b""),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let fetched = fetch::fetch(&options(&format!("{base}/moved"), dir.path())).expect("one hop");
    assert_eq!(fs::read(fetched.path).expect("cached"), form);

    let (err, _dir) = fetch_err(&format!("{base}/loop"));
    assert!(matches!(err, FetchError::Redirect { .. }), "{err}");
    assert!(err.to_string().contains("more than 5 redirects"), "{err}");
}

#[test]
fn connection_refused_is_an_error() {
    let (err, _dir) = fetch_err(&refused_url());
    assert!(matches!(err, FetchError::ConnectionRefused { .. }), "{err}");
}

#[test]
fn not_a_zip_is_an_error() {
    let (err, _dir) = fetch_err(&serve_archive(b"<html>Page moved</html>".to_vec()));
    assert!(matches!(err, FetchError::NotZip { .. }), "{err}");
}

#[test]
fn zip_slip_entries_are_refused() {
    let form = pdf("slip", true);
    // `xx` is swapped for `..` after writing, in both the local and the central header.
    let dotdot = patch(zip_of(&[("xx/evil.pdf", form.as_slice())]), b"xx/evil.pdf", b"../evil.pdf");
    let (err, _dir) = fetch_err(&serve_archive(dotdot));
    match &err {
        FetchError::UnsafeEntry { entry, .. } => assert_eq!(entry, "../evil.pdf"),
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains(".."), "{err}");

    let absolute = patch(zip_of(&[("x/tmp/evil.pdf", form.as_slice())]), b"x/tmp/evil.pdf", b"//tmp/evil.pdf");
    let (err, _dir) = fetch_err(&serve_archive(absolute));
    assert!(matches!(err, FetchError::UnsafeEntry { reason: "an absolute path", .. }), "{err}");
}

#[test]
fn symlink_entries_are_refused() {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer.add_symlink("form.pdf", "/etc/passwd", SimpleFileOptions::default()).expect("symlink entry");
    let archive = writer.finish().expect("finish").into_inner();
    let (err, _dir) = fetch_err(&serve_archive(archive));
    assert!(matches!(err, FetchError::UnsafeEntry { reason: "a symbolic link", .. }), "{err}");
}

#[test]
fn a_zip_bomb_is_refused_quickly() {
    let archive = bomb(30 * 1024 * 1024);
    assert!(archive.len() < 1024 * 1024, "the bomb should be small");
    let started = Instant::now();
    let (err, _dir) = fetch_err(&serve_archive(archive));
    assert!(matches!(err, FetchError::CompressionRatio { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_bomb_whose_header_lies_about_its_size_is_caught_while_reading() {
    // The header claims 100 kB, under every limit; the data expands to 30 MB.
    let archive = lie_about_size(bomb(30 * 1024 * 1024), 100_000);
    let started = Instant::now();
    let (err, _dir) = fetch_err(&serve_archive(archive));
    assert!(matches!(err, FetchError::CorruptEntry { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn total_uncompressed_size_is_capped() {
    let big = pdf(&"x".repeat(300_000), true);
    let archive = zip_of(&[("form.pdf", big.as_slice())]);
    let limits = ArchiveLimits { max_uncompressed_bytes: 100_000, ..ArchiveLimits::default() };
    let err = fetch::extract_form(&archive, &limits).expect_err("over the total cap");
    assert!(matches!(err, FetchError::TooMuchData { limit: 100_000 }), "{err}");
    assert!(err.to_string().ends_with("limit of 100000 bytes"), "{err}");
}

#[test]
fn a_zip_without_a_pdf_is_an_error_listing_its_entries() {
    let archive = zip_of(&[("Readme.txt", b"hello".as_slice()), ("form.docx", b"PK")]);
    let (err, _dir) = fetch_err(&serve_archive(archive));
    assert!(matches!(err, FetchError::NoPdf { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("\"Readme.txt\"") && message.contains("\"form.docx\""));
}

#[test]
fn a_pdf_entry_that_is_not_a_pdf_is_an_error() {
    let archive = zip_of(&[("form.pdf", b"<html>not really</html>".as_slice())]);
    let (err, _dir) = fetch_err(&serve_archive(archive));
    assert!(matches!(err, FetchError::NotPdf { .. }), "{err}");
}

#[test]
fn of_several_pdfs_the_one_with_an_acroform_is_picked() {
    let form = pdf("the form", true);
    let instructions = pdf("instructions", false);
    let archive = zip_of(&[("Instructions.pdf", instructions.as_slice()), ("Form/Transfer.PDF", form.as_slice())]);
    let dir = tempfile::tempdir().expect("tempdir");
    let fetched = fetch::fetch(&options(&serve_archive(archive), dir.path())).expect("fetch");
    assert_eq!(fetched.entry, "Form/Transfer.PDF");
    assert_eq!(fs::read(fetched.path).expect("cached"), form);
}

#[test]
fn two_pdfs_with_an_acroform_is_an_error_listing_both() {
    let archive = zip_of(&[
        ("a.pdf", pdf("a", true).as_slice()),
        ("b.pdf", pdf("b", true).as_slice()),
        ("c.pdf", pdf("c", false).as_slice()),
    ]);
    let (err, _dir) = fetch_err(&serve_archive(archive));
    match &err {
        FetchError::Ambiguous { candidates } => assert_eq!(candidates, &["a.pdf", "b.pdf"]),
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("\"a.pdf\", \"b.pdf\""), "{err}");
}

#[test]
fn several_pdfs_without_an_acroform_is_an_error() {
    let archive = zip_of(&[("a.pdf", pdf("a", false).as_slice()), ("b.pdf", pdf("b", false).as_slice())]);
    let err = fetch::extract_form(&archive, &ArchiveLimits::default()).expect_err("no form");
    assert!(matches!(err, FetchError::NoAcroForm { .. }), "{err}");
}

#[test]
fn a_cache_path_that_is_a_file_is_an_error_and_is_left_alone() {
    let (archive, _) = good_archive();
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("cache");
    fs::write(&blocker, b"not a directory").expect("write");
    let err = fetch::fetch(&options(&serve_archive(archive), &blocker)).expect_err("no cache");
    assert!(matches!(err, FetchError::Cache { .. }), "{err}");
    assert_eq!(fs::read(&blocker).expect("read"), b"not a directory");
    assert_eq!(listing(dir.path()), vec![blocker]);
}

#[test]
fn invalid_urls_are_refused_before_any_network() {
    let dir = tempfile::tempdir().expect("tempdir");
    for url in ["not a url", "ftp://127.0.0.1/form.zip", "file:///etc/passwd"] {
        let err = fetch::fetch(&options(url, dir.path())).expect_err(url);
        assert!(matches!(err, FetchError::InvalidUrl { .. }), "{url}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// The real binary.

fn formtool() -> Command {
    let mut cmd = Command::cargo_bin("formtool").expect("the formtool binary");
    // Requests go to 127.0.0.1; a proxy from the environment must not intercept them.
    for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn binary_prints_path_and_digests_on_success() {
    let (archive, form) = good_archive();
    let url = serve_archive(archive.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let output =
        formtool().args(["fetch", "--url", &url, "--cache-dir"]).arg(dir.path()).output().expect("run formtool");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8 stdout");
    let lines: Vec<&str> = stdout.lines().collect();
    let pdf_hex = sha256_hex(&form);
    let path = dir.path().join(format!("{pdf_hex}.pdf"));
    let profile = dir.path().join(format!("{pdf_hex}.profile.toml"));
    assert_eq!(
        lines,
        [
            path.display().to_string(),
            format!("sha256 {pdf_hex}"),
            format!("archive-sha256 {}", sha256_hex(&archive)),
            format!("profile {}", profile.display()),
        ]
    );
    // The proposed profile sits next to the form and records the form's digest.
    let proposed = formtool::form::profile::Profile::from_toml(&fs::read_to_string(&profile).unwrap()).unwrap();
    assert_eq!(proposed.blank_sha256.as_deref(), Some(pdf_hex.as_str()));
    assert_eq!(fs::read(&path).expect("cached"), form);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("stored in the cache"), "{stderr}");

    // Again, pinned this time: same output, nothing rewritten.
    let mtime = fs::metadata(&path).and_then(|m| m.modified()).expect("mtime");
    formtool()
        .args(["fetch", "--url", &url, "--sha256", &sha256_hex(&archive), "--cache-dir"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(stdout.clone())
        .stderr(predicates::str::contains("already in the cache, unchanged"));
    assert_eq!(fs::metadata(&path).and_then(|m| m.modified()).expect("mtime"), mtime);
}

/// Run a fetch expected to fail with exit 1 and return its one stderr line.
fn binary_failure(url: &str, extra: &[&str]) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = formtool()
        .args(["fetch", "--url", url, "--cache-dir"])
        .arg(dir.path())
        .args(extra)
        .output()
        .expect("run formtool");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).expect("utf-8 stderr");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(url), "{stderr}");
    assert!(stderr.contains("embedded form"), "{stderr}");
    assert!(listing(dir.path()).is_empty(), "a failure wrote to the cache");
    (stderr, dir)
}

#[test]
fn binary_reports_http_errors_on_one_line_with_exit_1() {
    let url = serve_status("404 Not Found");
    let (stderr, _dir) = binary_failure(&url, &[]);
    assert!(stderr.starts_with("formtool: fetch "), "{stderr}");
    assert!(stderr.contains("HTTP 404"), "{stderr}");
}

#[test]
fn binary_reports_connection_refused_with_exit_1() {
    let url = refused_url();
    let (stderr, _dir) = binary_failure(&url, &[]);
    assert!(stderr.contains("refused"), "{stderr}");
}

#[test]
fn binary_reports_a_wrong_pin_and_caches_nothing() {
    let (archive, _) = good_archive();
    let url = serve_archive(archive);
    let wrong = "ab".repeat(32);
    let (stderr, _dir) = binary_failure(&url, &["--sha256", &wrong]);
    assert!(stderr.contains(&format!("not the expected {wrong}")), "{stderr}");
}

#[test]
fn binary_reports_a_zip_slip_archive_with_exit_1() {
    let form = pdf("slip", true);
    let archive = patch(zip_of(&[("xx/evil.pdf", form.as_slice())]), b"xx/", b"../");
    let (stderr, dir) = binary_failure(&serve_archive(archive), &[]);
    assert!(stderr.contains("\"../evil.pdf\""), "{stderr}");
    assert!(!dir.path().parent().expect("parent").join("evil.pdf").exists());
}

#[test]
fn binary_rejects_a_malformed_sha256_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    for bad in ["abc", &"g".repeat(64), &"a".repeat(65)] {
        formtool()
            .args(["fetch", "--url", &refused_url(), "--sha256", bad, "--cache-dir"])
            .arg(dir.path())
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains("--sha256 must be 64 hexadecimal digits"));
    }
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn binary_rejects_a_malformed_url_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    formtool()
        .args(["fetch", "--url", "no scheme here", "--cache-dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no scheme here"));
}
