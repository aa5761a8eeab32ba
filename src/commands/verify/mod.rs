//! `formtool verify`: check returned forms — files, or folders searched recursively for
//! `*.pdf` — and say for each whether it is ready to upload, and why not.
//!
//! Files are checked in parallel on `--jobs N` long-lived workers ([`workers`]), each
//! file on its own, so one broken or hostile file never stops the batch: an unreadable file,
//! or one that makes a check panic, gets `status: error` with the reason. Only one file's
//! bytes are held per worker at a time, and the report keeps the order of the sorted input
//! list, so the same folder always gives the same report.
//!
//! Time: a file that takes longer than [`FILE_TIME_LIMIT`] gets `status: error` ("took longer
//! than 60 s") and the batch goes on on a new worker; the late check runs on in the background
//! until it ends by itself (every loop in the checks is bounded, see [`crate::pdf::limits`]) and
//! its result is dropped; at most [`MAX_LATE_THREADS`] may run on at once, which bounds the
//! memory they hold. Panics inside a check are caught and reported without the default panic
//! message on stderr.
//!
//! ```no_run
//! // formtool verify returned/ --format csv --report monday.csv --ready-dir upload/
//! ```

pub mod workers;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::IsTerminal;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{CommandResult, Failure, Outcome};
use crate::form::FormModel;
use crate::form::profile::Profile;
use crate::output::{sanitize_file_stem, write_atomic};
use crate::verify::VerifyOptions;
use crate::verify::checks::{sha256_hex, verify_bytes};
use crate::verify::report::{self, FormReport, Status};
use crate::verify::signature::TrustAnchors;
use clap::Args;

use crate::commands::verify::workers::check_files;
pub use crate::commands::verify::workers::verify_file_within;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Returned forms: PDF files, or folders searched recursively for *.pdf.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format (default: from the --report extension, else text on a terminal and JSON
    /// when piped). `html` is one self-contained page with the evidence crops.
    #[arg(long, value_enum)]
    pub format: Option<crate::verify::report::Format>,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Transfer input the forms must match: IDs, organizations and admin emails.
    #[arg(long, value_name = "INPUT")]
    pub expect: Option<PathBuf>,
    /// Copy each ready form here (never moves originals), with a SHA256SUMS file.
    #[arg(long, value_name = "DIR")]
    pub ready_dir: Option<PathBuf>,
    /// Write a PNG crop of every signature box, admin row and checkbox here, named
    /// `<form-file-stem>.<check-id>.png` (the HTML report embeds them).
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// PEM certificates signers must chain to.
    #[arg(long, value_name = "PEM")]
    pub trust: Option<PathBuf>,
    /// Profile (TOML) of a foreign form returned files may be fills of; may be given several
    /// times, each file is matched to the profile of its form.
    #[arg(long, value_name = "FILE")]
    pub profile: Vec<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Overwrite an existing --report file, evidence crops, or ready-dir files with other content.
    #[arg(long)]
    pub force: bool,
}

/// Largest file `verify` reads; bigger ones are reported as errors without being read.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// How deep folders are searched.
const MAX_DEPTH: usize = 32;

/// The evidence stems (`--evidence` names crops `<stem>.<check>.png`) that more than one of
/// `files` has: those forms get no crops rather than crops another form may overwrite.
fn shared_stems(files: &[PathBuf]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut shared = BTreeSet::new();
    for f in files {
        let stem = crate::verify::scan::evidence_stem(&f.to_string_lossy());
        if !seen.insert(stem.clone()) {
            shared.insert(stem);
        }
    }
    shared
}

/// Expand the command-line paths: files as given, folders searched for `*.pdf` (any case),
/// symbolic links to folders not followed. Sorted within each folder.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Failure::usage(format!("{}: cannot read: {e}", p.display())))?;
        if meta.is_dir() {
            let before = out.len();
            let mut others = 0;
            walk(p, 0, &mut out, &mut others);
            if out.len() == before {
                let skipped = match others {
                    0 => String::new(),
                    n => format!(" ({n} other file(s) skipped: only *.pdf files are verified)"),
                };
                eprintln!("warning: {}: no PDF files found{skipped}", p.display());
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, others: &mut usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("warning: {}: cannot list this folder", dir.display());
        return;
    };
    // Each entry's own type comes with the listing (no system call per file on the usual
    // file systems); only a symbolic link is followed, to see what it points at.
    let mut entries: Vec<(PathBuf, Option<std::fs::FileType>)> =
        entries.filter_map(|e| e.ok().map(|e| (e.path(), e.file_type().ok()))).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, kind) in entries {
        let Some(kind) = kind.or_else(|| std::fs::symlink_metadata(&path).ok().map(|m| m.file_type())) else {
            continue;
        };
        if kind.is_dir() {
            walk(&path, depth + 1, out, others);
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
            && (kind.is_file() || kind.is_symlink() && std::fs::metadata(&path).is_ok_and(|m| m.is_file()))
        {
            out.push(path);
        } else {
            *others += 1;
        }
    }
}

/// Longest one file may take to check before it is reported as an error. A genuine form takes
/// a few milliseconds; the hidden `FORMTOOL_FILE_TIME_LIMIT_SECS` variable changes it (tests).
pub const FILE_TIME_LIMIT: Duration = Duration::from_secs(60);
/// Most checks that may run on past their time limit at once (each holds at most one file).
pub const MAX_LATE_THREADS: usize = 4;

/// The time limit in force: [`FILE_TIME_LIMIT`] unless the hidden variable says otherwise.
pub fn file_time_limit() -> Duration {
    std::env::var("FORMTOOL_FILE_TIME_LIMIT_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(FILE_TIME_LIMIT)
}

/// A hidden hook for tests of the isolation: `FORMTOOL_TEST_HOOK=panic:NAME` panics, and
/// `sleep:NAME` sleeps for an hour, while checking a file whose path contains `NAME`.
fn test_hook(label: &str) {
    let Some(hook) = std::env::var_os("FORMTOOL_TEST_HOOK") else { return };
    let hook = hook.to_string_lossy();
    match hook.split_once(':') {
        Some(("panic", name)) if !name.is_empty() && label.contains(name) => panic!("test hook: panic on {label}"),
        Some(("sleep", name)) if !name.is_empty() && label.contains(name) => {
            std::thread::sleep(Duration::from_secs(3600))
        }
        _ => {}
    }
}

/// Verify one file from disk, never panicking.
pub fn verify_file(path: &Path, options: &VerifyOptions) -> FormReport {
    let label = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return FormReport::error(&label, "", &format!("larger than {} MB", MAX_FILE_BYTES >> 20));
        }
        Err(e) => return FormReport::error(&label, "", &format!("cannot read: {e}")),
        _ => {}
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return FormReport::error(&label, "", &format!("cannot read: {e}")),
    };
    if let Some(what) = crate::pdf::sniff::not_a_pdf(&bytes) {
        return FormReport::error(&label, &sha256_hex(&bytes), &what);
    }
    match catch_unwind(AssertUnwindSafe(|| {
        test_hook(&label);
        verify_bytes(&label, &bytes, options)
    })) {
        Ok(report) => report,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            FormReport::error(
                &label,
                &sha256_hex(&bytes),
                &format!("formtool failed on this file (an internal error: {what}; please report it with the file)"),
            )
        }
    }
}

/// `formtool verify`.
pub fn run(args: &VerifyArgs) -> CommandResult {
    let trust = match &args.trust {
        Some(p) => {
            let pem = std::fs::read(p).map_err(|e| Failure::usage(format!("{}: cannot read: {e}", p.display())))?;
            Some(TrustAnchors::from_pem(&pem).map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?)
        }
        None => None,
    };
    let expect = match &args.expect {
        Some(p) => Some(crate::input::load(p, false)?.transfers),
        None => None,
    };
    let mut evidence = match &args.evidence {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::usage(format!("{}: cannot create: {e}", dir.display())))?;
            Some(crate::verify::scan::Evidence { dir: dir.clone(), force: args.force, ..Default::default() })
        }
        None => None,
    };
    let mut forms = Vec::new();
    for path in &args.profile {
        forms.push(FormModel::from_profile(&Profile::load(path)?));
    }
    let limit = file_time_limit();
    let files = expand_paths(&args.paths)?;
    if files.is_empty() {
        return Err(Failure::usage("no PDF files to verify"));
    }
    if let Some(evidence) = evidence.as_mut() {
        evidence.shared_stems = shared_stems(&files);
    }
    let options = Arc::new(VerifyOptions { trust, expect, evidence, forms });
    let single = args.paths.len() == 1 && files.len() == 1 && !args.paths[0].is_dir();
    let progress = if std::io::stderr().is_terminal() && files.len() > 1 {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} forms {elapsed_precise}")
                .unwrap_or(ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let jobs =
        args.jobs.filter(|&n| n > 0).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let reports = check_files(&files, &options, jobs, limit, |_| progress.inc(1));
    progress.finish_and_clear();

    let format = args.format.or_else(|| args.report.as_deref().and_then(report::Format::from_extension)).unwrap_or(
        if args.report.is_none() && std::io::stdout().is_terminal() {
            report::Format::Text
        } else {
            report::Format::Json
        },
    );
    let rendered = report::render(&reports, format, single, args.evidence.as_deref());
    match &args.report {
        Some(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    Failure::usage(format!("{}: cannot create: {}", parent.display(), crate::output::io_reason(&e)))
                })?;
            }
            write_atomic(path, rendered.as_bytes(), args.force)?;
            let mut summary = report::Summary::default();
            reports.iter().for_each(|r| summary.add(r.status));
            eprintln!("{} (report in {})", summary.text(), path.display());
        }
        None => crate::output::write_stdout(rendered.as_bytes())?,
    }
    if let Some(dir) = &args.ready_dir {
        copy_ready(&reports, dir, args.force)?;
    }
    Ok(if reports.iter().all(|r| r.status == Status::Ready) { Outcome::Yes } else { Outcome::No })
}

/// Copy each ready form into `dir` under a name from customer and first subscription, and
/// record its digest in `dir/SHA256SUMS`. Inputs are read again and copied only if their
/// digest is still the one that was verified; they are never moved or changed.
pub fn copy_ready(reports: &[FormReport], dir: &Path, force: bool) -> Result<(), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| Failure::usage(format!("{}: cannot create: {e}", dir.display())))?;
    let sums_path = dir.join("SHA256SUMS");
    let mut sums: BTreeMap<String, String> = std::fs::read_to_string(&sums_path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(h, n)| (n.to_string(), h.to_string())))
        .collect();
    // Which ready copy holds each subscription, from earlier runs (`SUBSCRIPTIONS`) and this
    // one: a subscription in two different ready forms would be moved twice.
    let index_path = dir.join(SUBSCRIPTION_INDEX);
    let mut index: BTreeSet<(String, String)> = std::fs::read_to_string(&index_path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(s, n)| (s.to_string(), n.to_string())))
        // An entry whose copy is no longer listed (removed by hand) no longer counts.
        .filter(|(_, n)| sums.contains_key(n))
        .collect();
    // Subscription → the (digest, place) of every ready form holding it.
    let mut holders: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (s, n) in &index {
        holders.entry(s.clone()).or_default().push((sums[n].clone(), dir.join(n).display().to_string()));
    }
    let already_copied: BTreeSet<String> = sums.values().cloned().collect();
    let mut warned: BTreeSet<String> = BTreeSet::new();
    let mut by_digest: HashMap<String, String> = HashMap::new();
    for r in reports.iter().filter(|r| r.status == Status::Ready) {
        if let Some(first) = by_digest.get(&r.sha256) {
            eprintln!("warning: {} is the same file as {first}; copied once", r.file);
            continue;
        }
        by_digest.insert(r.sha256.clone(), r.file.clone());
        for s in &r.subscriptions {
            let held = holders.entry(s.clone()).or_default();
            // A form copied by an earlier run was warned about then; each subscription once.
            let other = held.iter().find(|(digest, _)| *digest != r.sha256);
            if let Some((_, other)) = other.filter(|_| !already_copied.contains(&r.sha256) && !warned.contains(s)) {
                eprintln!("warning: subscription {s} is in two ready forms: {other} and {}", r.file);
                warned.insert(s.clone());
            }
            held.push((r.sha256.clone(), r.file.clone()));
        }
        let customer = r.customer.as_ref().and_then(|c| c.organization.clone()).unwrap_or_else(|| "form".into());
        let stem = format!(
            "{}_{}",
            sanitize_file_stem(&customer, 48),
            r.subscriptions.first().map(String::as_str).unwrap_or("no-subscription")
        );
        let bytes =
            std::fs::read(&r.file).map_err(|e| Failure::usage(format!("{}: cannot read again: {e}", r.file)))?;
        if sha256_hex(&bytes) != r.sha256 {
            eprintln!("warning: {} changed while it was being verified; not copied", r.file);
            continue;
        }
        let mut name = format!("{stem}.pdf");
        let mut k = 2;
        loop {
            let target = dir.join(&name);
            match std::fs::read(&target) {
                Ok(existing) if sha256_hex(&existing) == r.sha256 => break,
                Ok(_) if !force => {
                    name = format!("{stem}-{k}.pdf");
                    k += 1;
                }
                _ => {
                    write_atomic(&target, &bytes, force)?;
                    break;
                }
            }
        }
        // A copy replaced under --force no longer holds what it held.
        index.retain(|(_, n)| *n != name);
        index.extend(r.subscriptions.iter().map(|s| (s.clone(), name.clone())));
        sums.insert(name, r.sha256.clone());
    }
    let text: String = sums.iter().map(|(n, h)| format!("{h}  {n}\n")).collect();
    write_atomic(&sums_path, text.as_bytes(), true)?;
    let text: String = index.iter().map(|(s, n)| format!("{s}  {n}\n")).collect();
    write_atomic(&index_path, text.as_bytes(), true)
}

/// The ready folder's index of subscriptions: one `<subscription>  <copy>` line per
/// subscription of each ready copy, read back by later runs to warn about a subscription
/// already in another ready form.
pub const SUBSCRIPTION_INDEX: &str = "SUBSCRIPTIONS";
