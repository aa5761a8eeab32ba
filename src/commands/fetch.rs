//! `formtool fetch`: download the official transfer form archive, unzip it safely and keep the
//! form PDF in a cache under its SHA-256.
//!
//! The official archive is the one thing formtool takes from the network, and it cannot be
//! relied on (the link may be retired, the machine offline, the file replaced), so every step
//! treats the download as hostile input and fails with one clear reason:
//!
//! 1. **Download** ([`download`]): reqwest blocking over rustls, with a connect timeout, a read
//!    timeout (per read, so a stalled server fails quickly), an overall deadline (so a server
//!    trickling one byte at a time also fails), at most [`MAX_REDIRECTS`] redirects and never
//!    from `https` down to `http`, and a size cap checked twice: against `Content-Length`
//!    before reading and against the bytes actually received while streaming.
//! 2. **Pin** (optional): with an expected SHA-256 of the *archive*, a different digest is an
//!    error before anything is unzipped or cached.
//! 3. **Unzip** ([`extract_form`]): in memory, nothing but the chosen PDF ever reaches the disk,
//!    and under a name derived from its digest, never from the archive. An archive with an
//!    absolute path, a `..` component, a symbolic link or an encrypted entry is refused as a
//!    whole. The total uncompressed size and each entry's compression ratio are capped, both
//!    from the headers and again while reading (a lying header gets no further than the cap).
//! 4. **Pick the form**: the single `*.pdf` entry; with several, the one whose catalog has an
//!    `/AcroForm`; otherwise an error that lists the candidates.
//! 5. **Cache** ([`store_in_cache`]): `<cache>/<pdf-sha256>.pdf`, written atomically. Fetching
//!    the same archive again leaves the file untouched; a cached file whose bytes no longer
//!    match its name is rewritten. A failure at any step leaves the cache as it was.
//!
//! On success the command prints three lines to stdout, for scripts:
//!
//! ```text
//! /home/me/.cache/formtool/6f1c…e2.pdf
//! sha256 6f1c…e2
//! archive-sha256 91ab…07
//! ```
//!
//! (the cached PDF, its SHA-256, and the SHA-256 of the downloaded archive, which is the value
//! to pass to `--sha256` to pin it). Progress and notes go to stderr. On failure the command
//! exits 1 with one line naming the URL and the reason; `fill` never needs the network and
//! keeps using the embedded form.
//!
//! ```no_run
//! use formtool::commands::fetch::{fetch, FetchOptions, OFFICIAL_URL};
//!
//! let mut options = FetchOptions::new(OFFICIAL_URL, "/tmp/formtool-cache");
//! options.expected_sha256 = None; // or Some(formtool::commands::fetch::parse_sha256("91ab…")?)
//! let fetched = fetch(&options)?;
//! println!("{} sha256 {}", fetched.path.display(), fetched.pdf_sha256);
//! # Ok::<(), formtool::commands::fetch::FetchError>(())
//! ```

use std::fs;
use std::io::{self, Cursor, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};
use zip::ZipArchive;

use crate::error::{CommandResult, Failure, Outcome};
use clap::Args;

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Address of the official form archive (a zip).
    #[arg(long, default_value = crate::commands::fetch::OFFICIAL_URL)]
    pub url: String,
    /// Expected SHA-256 of the archive, in hex; a different digest is an error and nothing is cached.
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// Cache directory (default: the user's cache directory, under `formtool`).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Largest archive to download, in megabytes.
    #[arg(long, value_name = "MB", default_value_t = 50)]
    pub max_size_mb: u64,
}

/// Where Microsoft publishes the official transfer form archive (SPEC section 2).
pub const OFFICIAL_URL: &str = "https://assets.windowsphone.com/5222c408-e546-4e01-b72a-2ec7d4c43d57/CSP_Subscription_Transfer_Form_Azure_InvariantCulture_Default.zip";

/// One mebibyte; `--max-size-mb` counts in these.
const MIB: u64 = 1024 * 1024;
/// Default largest archive accepted (the official one is well under 1 MB).
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 50 * MIB;
/// Default largest total of uncompressed bytes read out of the archive.
pub const DEFAULT_MAX_UNCOMPRESSED_BYTES: u64 = 200 * MIB;
/// Default largest compression ratio of one entry (uncompressed : compressed).
pub const DEFAULT_MAX_COMPRESSION_RATIO: u64 = 200;
/// Most redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;
/// Most entries an archive may list; the official one has a handful.
const MAX_ENTRIES: usize = 10_000;
/// Entries this small are never refused for their ratio: a tiny, highly repetitive file is
/// harmless, and the ratio of a few bytes says nothing.
const RATIO_FLOOR_BYTES: u64 = 64 * 1024;
/// `%PDF-` must appear this early (PDF 32000-1 §7.5.2 asks for byte 0; readers allow junk).
const PDF_HEADER_WINDOW: usize = 1024;

/// Limits applied while unzipping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Largest total of uncompressed bytes, declared or read.
    pub max_uncompressed_bytes: u64,
    /// Largest uncompressed : compressed ratio of one entry (entries under 64 KiB are exempt).
    pub max_compression_ratio: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_uncompressed_bytes: DEFAULT_MAX_UNCOMPRESSED_BYTES,
            max_compression_ratio: DEFAULT_MAX_COMPRESSION_RATIO,
        }
    }
}

/// Everything [`fetch`] needs; [`FetchOptions::new`] fills in the defaults.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Address of the archive (`http` or `https`).
    pub url: String,
    /// Expected SHA-256 of the archive; a different digest is an error and nothing is cached.
    pub expected_sha256: Option<[u8; 32]>,
    /// Directory holding `<pdf-sha256>.pdf`; created if missing.
    pub cache_dir: PathBuf,
    /// Largest archive accepted, in bytes.
    pub max_download_bytes: u64,
    /// Unzip limits.
    pub limits: ArchiveLimits,
    /// Longest wait for the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for the response headers and for each read of the body.
    pub read_timeout: Duration,
    /// Longest time the whole download may take.
    pub total_timeout: Duration,
    /// Show a progress bar on stderr (the command turns it on only when stderr is a terminal).
    pub progress: bool,
}

impl FetchOptions {
    /// Options with the defaults: 50 MiB download cap, 200 MiB uncompressed, 200:1 ratio,
    /// 15 s to connect, 30 s per read, 10 minutes in all, no pin, no progress bar.
    pub fn new(url: impl Into<String>, cache_dir: impl Into<PathBuf>) -> Self {
        FetchOptions {
            url: url.into(),
            expected_sha256: None,
            cache_dir: cache_dir.into(),
            max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
            limits: ArchiveLimits::default(),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(600),
            progress: false,
        }
    }
}

/// What a successful [`fetch`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The cached form: `<cache_dir>/<pdf_sha256>.pdf`.
    pub path: PathBuf,
    /// SHA-256 of the form PDF, lower-case hex.
    pub pdf_sha256: String,
    /// SHA-256 of the downloaded archive, lower-case hex (the value `--sha256` pins).
    pub archive_sha256: String,
    /// Name of the archive entry the form came from.
    pub entry: String,
    /// True when the cache already held this exact form and nothing was written.
    pub already_cached: bool,
}

/// The form found in an archive by [`extract_form`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedForm {
    /// Name of the archive entry.
    pub entry: String,
    /// The PDF bytes.
    pub pdf: Vec<u8>,
}

/// Why a fetch failed. The messages are reasons only; the caller adds the URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("not a usable http(s) address: {reason}")]
    InvalidUrl { reason: String },
    #[error("--sha256 must be 64 hexadecimal digits, got {value:?}")]
    InvalidSha256 { value: String },
    #[error("cannot set up the HTTP client: {reason}")]
    Client { reason: String },
    #[error("the host name could not be resolved ({reason})")]
    Dns { reason: String },
    #[error("the connection was refused (nothing is listening there)")]
    ConnectionRefused { reason: String },
    #[error("cannot connect: {reason}")]
    Connect { reason: String },
    #[error("timed out after {} s while {phase}", after.as_secs_f32())]
    Timeout { phase: &'static str, after: Duration },
    #[error("redirect refused: {reason}")]
    Redirect { reason: String },
    #[error("the server answered HTTP {code}{}", prefixed(" ", reason))]
    Status { code: u16, reason: String },
    #[error("the archive is larger than the limit of {}{}", size(*limit), announced(declared))]
    TooLarge { limit: u64, declared: Option<u64> },
    #[error("the download stopped after {received}{} bytes{}", of_expected(expected), prefixed(": ", reason))]
    Truncated { received: u64, expected: Option<u64>, reason: String },
    #[error("the download failed: {reason}")]
    Network { reason: String },
    #[error("the archive's SHA-256 is {actual}, not the expected {expected}; nothing was cached")]
    DigestMismatch { expected: String, actual: String },
    #[error("the download is not a zip archive ({reason})")]
    NotZip { reason: String },
    #[error("the archive lists {count} entries, more than the limit of {limit}")]
    TooManyEntries { count: usize, limit: usize },
    #[error("the archive entry {entry:?} is refused: {reason}")]
    UnsafeEntry { entry: String, reason: &'static str },
    #[error("the archive expands to more than the limit of {}", size(*limit))]
    TooMuchData { limit: u64 },
    #[error("the archive entry {entry:?} expands more than {limit}:1 (a decompression bomb?)")]
    CompressionRatio { entry: String, limit: u64 },
    #[error("the archive entry {entry:?} is damaged: {reason}")]
    CorruptEntry { entry: String, reason: String },
    #[error("the archive holds no PDF (entries: {})", list(entries))]
    NoPdf { entries: Vec<String> },
    #[error("the archive entry {entry:?} is not a PDF")]
    NotPdf { entry: String },
    #[error("the archive holds several PDFs and none has a form (/AcroForm): {}", list(candidates))]
    NoAcroForm { candidates: Vec<String> },
    #[error(
        "the archive holds several PDFs with a form (/AcroForm), cannot tell which is the transfer form: {}",
        list(candidates)
    )]
    Ambiguous { candidates: Vec<String> },
    #[error("cache: {reason}")]
    Cache { reason: String },
}

/// `text` behind `prefix`, or nothing when `text` is empty.
fn prefixed(prefix: &str, text: &str) -> String {
    if text.is_empty() { String::new() } else { format!("{prefix}{text}") }
}

fn of_expected(expected: &Option<u64>) -> String {
    expected.map(|e| format!(" of {e}")).unwrap_or_default()
}

fn announced(declared: &Option<u64>) -> String {
    declared.map(|d| format!(" (the server announces {d} bytes)")).unwrap_or_default()
}

/// A byte count for a message: whole mebibytes as such, anything else in bytes.
fn size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) { format!("{} MiB", bytes / MIB) } else { format!("{bytes} bytes") }
}

/// Entry names for a one-line message: quoted (so control characters are escaped), at most ten.
fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    let mut shown: Vec<String> = names.iter().take(10).map(|n| format!("{n:?}")).collect();
    if names.len() > 10 {
        shown.push(format!("and {} more", names.len() - 10));
    }
    shown.join(", ")
}

/// The default cache directory: the platform's user cache directory, under `formtool`.
pub fn default_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("formtool"))
}

/// Parse a SHA-256 written as exactly 64 hex digits (either case).
pub fn parse_sha256(text: &str) -> Result<[u8; 32], FetchError> {
    let invalid = || FetchError::InvalidSha256 { value: text.chars().take(80).collect() };
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return Err(invalid());
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let hi = hex_value(pair[0]).ok_or_else(invalid)?;
        let lo = hex_value(pair[1]).ok_or_else(invalid)?;
        *slot = (hi << 4) | lo;
    }
    Ok(out)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Lower-case hex of bytes.
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Download, check, unzip, pick the form and cache it. See the module documentation.
pub fn fetch(options: &FetchOptions) -> Result<Fetched, FetchError> {
    let archive = download(options)?;
    let archive_digest: [u8; 32] = Sha256::digest(&archive).into();
    if let Some(expected) = options.expected_sha256
        && expected != archive_digest
    {
        return Err(FetchError::DigestMismatch { expected: to_hex(&expected), actual: to_hex(&archive_digest) });
    }
    let form = extract_form(&archive, &options.limits)?;
    // The archive may be tens of megabytes; the form is all that is needed from here on.
    drop(archive);
    let (path, pdf_sha256, already_cached) = store_in_cache(&options.cache_dir, &form.pdf)?;
    Ok(Fetched { path, pdf_sha256, archive_sha256: to_hex(&archive_digest), entry: form.entry, already_cached })
}

/// Download `options.url` into memory, within the size cap and the timeouts.
pub fn download(options: &FetchOptions) -> Result<Vec<u8>, FetchError> {
    let url = reqwest::Url::parse(&options.url).map_err(|e| FetchError::InvalidUrl { reason: e.to_string() })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(FetchError::InvalidUrl { reason: format!("the scheme {:?} is not http or https", url.scheme()) });
    }
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(options.connect_timeout)
        // In the blocking client this bounds the wait for the response headers and each
        // separate read of the body: it is a read timeout, not a limit on the whole transfer.
        .timeout(options.read_timeout)
        .redirect(redirect_policy())
        .user_agent(concat!("formtool/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FetchError::Client { reason: root_cause(&e) })?;
    let started = Instant::now();
    let response = client.get(url).send().map_err(|e| classify_send_error(&e, options))?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            code: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
        });
    }
    let declared = response.content_length();
    if let Some(length) = declared
        && length > options.max_download_bytes
    {
        return Err(FetchError::TooLarge { limit: options.max_download_bytes, declared: Some(length) });
    }
    let progress = if options.progress {
        let bar = ProgressBar::with_draw_target(declared, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message("downloading");
        bar
    } else {
        ProgressBar::hidden()
    };
    let result = read_body(response, declared, started, options, &progress);
    progress.finish_and_clear();
    result
}

/// Stream the body, counting bytes against the cap and the clock against the deadline.
fn read_body(
    mut response: reqwest::blocking::Response,
    declared: Option<u64>,
    started: Instant,
    options: &FetchOptions,
    progress: &ProgressBar,
) -> Result<Vec<u8>, FetchError> {
    let limit = options.max_download_bytes;
    // Content-Length was checked against the cap, so this allocation is bounded.
    let capacity = declared.unwrap_or(0).min(limit).min(usize::MAX as u64) as usize;
    let mut body = Vec::with_capacity(capacity);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if started.elapsed() > options.total_timeout {
            return Err(FetchError::Timeout {
                phase: "downloading (overall time limit)",
                after: options.total_timeout,
            });
        }
        let n = match response.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(classify_read_error(&e, body.len() as u64, declared, options));
            }
        };
        if body.len() as u64 + n as u64 > limit {
            return Err(FetchError::TooLarge { limit, declared: None });
        }
        body.extend_from_slice(&chunk[..n]);
        progress.set_position(body.len() as u64);
    }
    // hyper already fails a body shorter than its Content-Length; this is the belt to its braces.
    if let Some(expected) = declared
        && body.len() as u64 != expected
    {
        return Err(FetchError::Truncated {
            received: body.len() as u64,
            expected: Some(expected),
            reason: String::new(),
        });
    }
    Ok(body)
}

/// At most [`MAX_REDIRECTS`] hops, and never from https to plain http: a downgrade would let
/// anyone on the path replace the form.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            let message = format!("more than {MAX_REDIRECTS} redirects");
            attempt.error(message)
        } else if attempt.url().scheme() != "https" && attempt.previous().iter().any(|u| u.scheme() == "https") {
            attempt.error("a redirect from https to plain http")
        } else {
            attempt.follow()
        }
    })
}

/// Sort an error from `send()` (connecting, TLS, redirects, waiting for headers) into a reason.
fn classify_send_error(error: &reqwest::Error, options: &FetchOptions) -> FetchError {
    let reason = root_cause(error);
    if error.is_redirect() {
        return FetchError::Redirect { reason };
    }
    if error.is_timeout() {
        return if error.is_connect() {
            FetchError::Timeout { phase: "connecting", after: options.connect_timeout }
        } else {
            FetchError::Timeout { phase: "waiting for the response", after: options.read_timeout }
        };
    }
    if chain_has_io_kind(error, io::ErrorKind::ConnectionRefused) {
        return FetchError::ConnectionRefused { reason };
    }
    if error.is_connect() {
        // hyper-util reports resolver failures as a ConnectError whose message is "dns error";
        // there is no typed way to ask, so the message is the signal.
        if chain_messages(error).iter().any(|m| m.starts_with("dns error")) {
            return FetchError::Dns { reason };
        }
        return FetchError::Connect { reason };
    }
    FetchError::Network { reason }
}

/// Sort an error while reading the body: a timeout, or a body that ended early.
fn classify_read_error(error: &io::Error, received: u64, declared: Option<u64>, options: &FetchOptions) -> FetchError {
    let timed_out = error.kind() == io::ErrorKind::TimedOut
        || error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout);
    if timed_out {
        return FetchError::Timeout { phase: "reading the archive", after: options.read_timeout };
    }
    FetchError::Truncated { received, expected: declared, reason: root_cause(error) }
}

/// Every message along an error's source chain, outermost first.
fn chain_messages(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut messages = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        messages.push(e.to_string());
        source = e.source();
    }
    messages
}

fn chain_has_io_kind(error: &(dyn std::error::Error + 'static), kind: io::ErrorKind) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if e.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == kind) {
            return true;
        }
        current = e.source();
    }
    false
}

/// The innermost message of an error chain, on one line: the outer layers of reqwest's errors
/// repeat the URL, which the caller prints anyway.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let messages = chain_messages(error);
    let last = messages.last().map(String::as_str).unwrap_or("unknown error");
    one_line(last)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Find the transfer form in a zip archive held in memory, within `limits`.
///
/// Nothing is written anywhere; the caller decides where the returned bytes go.
pub fn extract_form(archive: &[u8], limits: &ArchiveLimits) -> Result<ExtractedForm, FetchError> {
    let mut zip =
        ZipArchive::new(Cursor::new(archive)).map_err(|e| FetchError::NotZip { reason: one_line(&e.to_string()) })?;
    if zip.len() > MAX_ENTRIES {
        return Err(FetchError::TooManyEntries { count: zip.len(), limit: MAX_ENTRIES });
    }

    // First pass, headers only: refuse the archive as a whole if any entry is unsafe or
    // announces more than the limits, before a single byte is decompressed.
    let mut names = Vec::new();
    let mut pdfs: Vec<(usize, String)> = Vec::new();
    let mut declared_total: u64 = 0;
    for index in 0..zip.len() {
        let entry = zip
            .by_index_data(index)
            .map_err(|e| FetchError::CorruptEntry { entry: format!("#{index}"), reason: one_line(&e.to_string()) })?;
        let name = match entry.name() {
            Ok(name) => name.into_owned(),
            Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
        };
        let unsafe_entry = |reason| FetchError::UnsafeEntry { entry: name.clone(), reason };
        if let Err(reason) = check_entry_name(entry.name_raw()) {
            return Err(unsafe_entry(reason));
        }
        // The zip crate's own check, in case its idea of a path differs from ours.
        if entry.enclosed_name().is_none() {
            return Err(unsafe_entry("a path that leaves the extraction directory"));
        }
        if entry.is_symlink() {
            return Err(unsafe_entry("a symbolic link"));
        }
        if entry.encrypted() {
            return Err(unsafe_entry("encrypted"));
        }
        if entry.is_dir() {
            continue;
        }
        declared_total = declared_total.saturating_add(entry.size());
        if declared_total > limits.max_uncompressed_bytes {
            return Err(FetchError::TooMuchData { limit: limits.max_uncompressed_bytes });
        }
        if entry.size() > ratio_cap(entry.compressed_size(), limits) {
            return Err(FetchError::CompressionRatio { entry: name, limit: limits.max_compression_ratio });
        }
        if name.to_ascii_lowercase().ends_with(".pdf") {
            pdfs.push((index, name.clone()));
        }
        names.push(name);
    }

    // Second pass: decompress only the PDF candidates, with the caps enforced on what is
    // actually read.
    let mut budget = limits.max_uncompressed_bytes;
    match pdfs.as_slice() {
        [] => Err(FetchError::NoPdf { entries: names }),
        [(index, name)] => {
            let pdf = read_entry(&mut zip, *index, name, &mut budget, limits)?;
            if !looks_like_pdf(&pdf) {
                return Err(FetchError::NotPdf { entry: name.clone() });
            }
            Ok(ExtractedForm { entry: name.clone(), pdf })
        }
        several => {
            let mut with_form = Vec::new();
            for (index, name) in several {
                let pdf = read_entry(&mut zip, *index, name, &mut budget, limits)?;
                // Keep only the forms: the others are not needed and may be large.
                if looks_like_pdf(&pdf) && has_acroform(&pdf) {
                    with_form.push(ExtractedForm { entry: name.clone(), pdf });
                }
            }
            match with_form.len() {
                0 => Err(FetchError::NoAcroForm { candidates: several.iter().map(|(_, n)| n.clone()).collect() }),
                1 => Ok(with_form.remove(0)),
                _ => Err(FetchError::Ambiguous { candidates: with_form.into_iter().map(|f| f.entry).collect() }),
            }
        }
    }
}

/// The most an entry of `compressed` bytes may expand to under the ratio limit.
fn ratio_cap(compressed: u64, limits: &ArchiveLimits) -> u64 {
    compressed.saturating_mul(limits.max_compression_ratio).max(RATIO_FLOOR_BYTES)
}

/// Refuse names that would escape a directory if anyone ever extracted them: absolute paths
/// (Unix, Windows drive or UNC), `..` components, NUL bytes. Both separators count, because
/// archives made on Windows use `\`.
fn check_entry_name(raw: &[u8]) -> Result<(), &'static str> {
    if raw.is_empty() {
        return Err("an empty name");
    }
    if raw.contains(&0) {
        return Err("a NUL byte in the name");
    }
    if raw[0] == b'/' || raw[0] == b'\\' {
        return Err("an absolute path");
    }
    if raw.len() >= 2 && raw[0].is_ascii_alphabetic() && raw[1] == b':' {
        return Err("an absolute path (drive letter)");
    }
    if raw.split(|&b| b == b'/' || b == b'\\').any(|c| c == b"..") {
        return Err("a `..` path component");
    }
    Ok(())
}

/// Decompress one entry, reading at most one byte past the smallest of: the bytes its header
/// declares, its ratio cap, and what is left of the total budget. The extra byte is how a
/// lying header is caught without ever holding more than the cap.
fn read_entry(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    index: usize,
    name: &str,
    budget: &mut u64,
    limits: &ArchiveLimits,
) -> Result<Vec<u8>, FetchError> {
    let corrupt = |reason: String| FetchError::CorruptEntry { entry: name.to_string(), reason: one_line(&reason) };
    let mut file = zip.by_index(index).map_err(|e| corrupt(e.to_string()))?;
    let declared = file.size();
    let by_ratio = ratio_cap(file.compressed_size(), limits);
    let cap = declared.min(by_ratio).min(*budget);
    let mut out = Vec::with_capacity(cap.min(16 * MIB) as usize);
    (&mut file).take(cap.saturating_add(1)).read_to_end(&mut out).map_err(|e| corrupt(e.to_string()))?;
    let read = out.len() as u64;
    if read > cap {
        return Err(if read > *budget {
            FetchError::TooMuchData { limit: limits.max_uncompressed_bytes }
        } else if read > by_ratio {
            FetchError::CompressionRatio { entry: name.to_string(), limit: limits.max_compression_ratio }
        } else {
            corrupt(format!("it expands to more than the {declared} bytes its header declares"))
        });
    }
    if read < declared {
        return Err(corrupt(format!("it holds {read} bytes, its header declares {declared}")));
    }
    *budget -= read;
    Ok(out)
}

fn looks_like_pdf(bytes: &[u8]) -> bool {
    let window = &bytes[..bytes.len().min(PDF_HEADER_WINDOW)];
    window.windows(5).any(|w| w == b"%PDF-")
}

/// Does the document catalog have an `/AcroForm` dictionary (PDF 32000-1 §12.7.2)?
fn has_acroform(pdf: &[u8]) -> bool {
    // lopdf parses untrusted bytes here; a panic inside it must not take the command down, so
    // it counts as "not a readable form" like any other parse failure.
    let parsed = std::panic::catch_unwind(|| lopdf::Document::load_mem(pdf));
    let Ok(Ok(document)) = parsed else {
        return false;
    };
    let Ok(catalog) = document.catalog() else {
        return false;
    };
    let Ok(acroform) = catalog.get(b"AcroForm") else {
        return false;
    };
    matches!(document.dereference(acroform), Ok((_, lopdf::Object::Dictionary(_))))
}

/// Put `pdf` in `cache_dir` as `<sha256>.pdf`. Returns the path, the hex digest, and whether
/// the cache already held exactly these bytes (then nothing is written).
pub fn store_in_cache(cache_dir: &Path, pdf: &[u8]) -> Result<(PathBuf, String, bool), FetchError> {
    let digest = to_hex(&Sha256::digest(pdf));
    let path = cache_dir.join(format!("{digest}.pdf"));
    match cached_state(&path, &digest, pdf.len() as u64) {
        Cached::Intact => return Ok((path, digest, true)),
        Cached::Damaged => {
            // Same name, other bytes: someone or something changed the file. Its name promises
            // this digest, so replace it.
            crate::output::write_atomic(&path, pdf, true)
                .map_err(|e| FetchError::Cache { reason: one_line(&e.to_string()) })?;
            return Ok((path, digest, false));
        }
        Cached::Missing => {}
    }
    let created = !cache_dir.exists();
    fs::create_dir_all(cache_dir)
        .map_err(|e| FetchError::Cache { reason: format!("cannot create {}: {e}", cache_dir.display()) })?;
    match crate::output::write_atomic(&path, pdf, false) {
        Ok(()) => Ok((path, digest, false)),
        // Another formtool may have stored the same form meanwhile; if so, that is success.
        Err(_) if cached_state(&path, &digest, pdf.len() as u64) == Cached::Intact => Ok((path, digest, true)),
        Err(e) => {
            if created {
                // Leave the cache as it was: only removes the directory if it is still empty.
                let _ = fs::remove_dir(cache_dir);
            }
            Err(FetchError::Cache { reason: one_line(&e.to_string()) })
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Cached {
    Missing,
    Intact,
    Damaged,
}

fn cached_state(path: &Path, digest: &str, len: u64) -> Cached {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Cached::Missing;
    };
    // A symlink or anything but a plain file of the right size is not what we wrote.
    if !meta.is_file() || meta.len() != len {
        return Cached::Damaged;
    }
    match fs::read(path) {
        Ok(bytes) if to_hex(&Sha256::digest(&bytes)) == digest => Cached::Intact,
        _ => Cached::Damaged,
    }
}

/// Show a URL without its password, if it carries one.
fn display_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => one_line(url),
    }
}

/// Propose a profile for the fetched form and keep it next to it as `<digest>.profile.toml`,
/// so that `fetch` → `fill --form` → `verify --profile` needs no hand-written profile when the
/// proposal is complete. An existing profile (perhaps reviewed by hand) is never replaced. A
/// form formtool cannot propose for is no reason to fail the fetch: it says so and goes on.
fn write_profile_next_to(fetched: &Fetched) -> Option<PathBuf> {
    let path = fetched.path.with_extension("profile.toml");
    if path.exists() {
        eprintln!("formtool: keeping the existing profile {}", path.display());
        return Some(path);
    }
    let proposed = std::fs::read(&fetched.path).map_err(|e| e.to_string()).and_then(|bytes| {
        let doc = crate::pdf::load_pdf(&bytes)?;
        Ok(crate::form::profile::proposal_toml(&doc, &bytes, &fetched.entry))
    });
    match proposed {
        Ok((proposal, text)) => match crate::output::write_atomic(&path, text.as_bytes(), false) {
            Ok(()) => {
                let missing = if proposal.unmapped.is_empty() {
                    "every required role mapped".to_string()
                } else {
                    format!("unmapped required role(s): {}; complete them by hand", proposal.unmapped.join(", "))
                };
                eprintln!("formtool: proposed profile {} ({missing}); review it", path.display());
                Some(path)
            }
            Err(e) => {
                eprintln!("formtool: could not write a proposed profile: {e}");
                None
            }
        },
        Err(why) => {
            eprintln!("formtool: no profile proposed for the form: {why}");
            None
        }
    }
}

/// `formtool fetch`: run [`fetch`] with the command-line options and report the result.
pub fn run(args: &FetchArgs) -> CommandResult {
    let expected_sha256 = match &args.sha256 {
        Some(text) => Some(parse_sha256(text).map_err(|e| Failure::usage(e.to_string()))?),
        None => None,
    };
    if args.max_size_mb == 0 {
        return Err(Failure::usage("--max-size-mb must be at least 1"));
    }
    let cache_dir = match &args.cache_dir {
        Some(dir) => dir.clone(),
        None => default_cache_dir()
            .ok_or_else(|| Failure::usage("cannot find the user's cache directory; pass --cache-dir DIR"))?,
    };
    let mut options = FetchOptions::new(args.url.clone(), cache_dir);
    options.expected_sha256 = expected_sha256;
    options.max_download_bytes = args.max_size_mb.saturating_mul(MIB);
    options.progress = io::stderr().is_terminal();

    let url = display_url(&args.url);
    let fetched = match fetch(&options) {
        Ok(fetched) => fetched,
        Err(error) => {
            let message =
                format!("fetch {url}: {error}; `formtool fill` does not need it and keeps using the embedded form");
            // A malformed --url is a wrong invocation, not a "no" from the network.
            return Err(match error {
                FetchError::InvalidUrl { .. } => Failure::usage(message),
                _ => Failure::no(message),
            });
        }
    };

    // Notes to stderr; a closed stderr is no reason to fail, so write errors are ignored.
    let mut stderr = io::stderr().lock();
    let note = if fetched.already_cached { "already in the cache, unchanged" } else { "stored in the cache" };
    let _ = writeln!(stderr, "formtool: {url}: form {:?} {note}", fetched.entry);
    if options.expected_sha256.is_none() {
        let _ = writeln!(
            stderr,
            "formtool: to insist on this exact archive next time: --sha256 {}",
            fetched.archive_sha256
        );
    }
    drop(stderr);

    let profile = write_profile_next_to(&fetched);
    let mut stdout = io::stdout().lock();
    writeln!(
        stdout,
        "{}\nsha256 {}\narchive-sha256 {}",
        fetched.path.display(),
        fetched.pdf_sha256,
        fetched.archive_sha256
    )
    .and_then(|()| match &profile {
        Some(path) => writeln!(stdout, "profile {}", path.display()),
        None => Ok(()),
    })
    .and_then(|()| stdout.flush())
    .map_err(|e| Failure::no(format!("cannot write to stdout: {e}")))?;
    Ok(Outcome::Yes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_parsing_accepts_64_hex_digits_only() {
        let hex = "00ff".repeat(16);
        assert_eq!(parse_sha256(&hex).unwrap()[..2], [0x00, 0xff]);
        assert!(parse_sha256(&hex.to_uppercase()).is_ok());
        assert!(parse_sha256(&hex[..62]).is_err());
        assert!(parse_sha256(&format!("{}zz", &hex[..62])).is_err());
        assert!(parse_sha256("é".repeat(32).as_str()).is_err());
        assert_eq!(to_hex(&parse_sha256(&hex).unwrap()), hex);
    }

    #[test]
    fn entry_names_that_escape_are_refused() {
        for bad in [
            &b"../evil.pdf"[..],
            b"/etc/evil.pdf",
            b"\\evil.pdf",
            b"C:evil.pdf",
            b"a/../../evil.pdf",
            b"a\\..\\evil.pdf",
            b"a\0.pdf",
            b"",
        ] {
            assert!(check_entry_name(bad).is_err(), "{bad:?}");
        }
        for good in [&b"form.pdf"[..], b"dir/form.pdf", b"a..b.pdf", b"./form.pdf"] {
            assert!(check_entry_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn ratio_cap_has_a_floor_for_tiny_entries() {
        let limits = ArchiveLimits::default();
        assert_eq!(ratio_cap(0, &limits), RATIO_FLOOR_BYTES);
        assert_eq!(ratio_cap(1_000_000, &limits), 200_000_000);
        assert_eq!(ratio_cap(u64::MAX, &limits), u64::MAX);
    }

    #[test]
    fn pdf_header_may_follow_a_little_junk() {
        assert!(looks_like_pdf(b"%PDF-1.7\n"));
        assert!(looks_like_pdf(b"\xef\xbb\xbf%PDF-1.4"));
        assert!(!looks_like_pdf(b"PK\x03\x04"));
        assert!(!looks_like_pdf(b""));
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(display_url("https://user:secret@example.com/a.zip"), "https://user:***@example.com/a.zip");
        assert_eq!(display_url("http://example.com/x"), "http://example.com/x");
    }
}
