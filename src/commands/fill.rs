//! `formtool fill`: one transfer or a batch into filled PDFs, named from the customer and the
//! subscription, written atomically and never over an existing file without `--force`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use rayon::prelude::*;

use crate::error::{CommandResult, Failure, Outcome};
use crate::fill::foreign::ForeignForm;
use crate::fill::{FillOptions, fill_embedded};
use crate::input::{self, Transfer};
use crate::output::{is_stdout, sanitize_file_stem, write_atomic, write_pdf_to_stdout};

#[derive(Debug, Args)]
pub struct FillArgs {
    /// Transfer input: .json, .toml or .csv; `-` reads JSON from stdin.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Output file for a single transfer (default: named from customer and subscription).
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,
    /// Output directory: one PDF per transfer.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Turn filled fields into page content (signature fields stay signable).
    #[arg(long)]
    pub flatten: bool,
    /// Overwrite existing output files.
    #[arg(long)]
    pub force: bool,
    /// Leave output files that already exist and write only the others (to resume a batch
    /// that was interrupted).
    #[arg(long, conflicts_with = "force")]
    pub skip_existing: bool,
    /// Treat a missing new partner, attestations or signers section as an error.
    #[arg(long)]
    pub strict: bool,
    /// Fill this AcroForm PDF instead of the embedded form.
    #[arg(long, value_name = "FILE")]
    pub form: Option<PathBuf>,
    /// Do not stamp formtool's page code and registration marks on a `--form` (scanned copies
    /// of it then cannot be read automatically).
    #[arg(long, requires = "form")]
    pub no_page_code: bool,
    /// Profile (TOML) mapping the roles of the transfer form to the fields of `--form`.
    #[arg(long, value_name = "FILE", requires = "form")]
    pub profile: Option<PathBuf>,
}

/// The default file name of a filled form: customer organization and first subscription.
pub fn default_file_name(t: &Transfer) -> String {
    format!(
        "{}_{}.pdf",
        sanitize_file_stem(&t.customer.organization, 48),
        t.subscriptions.first().map(String::as_str).unwrap_or("form")
    )
}

/// File names for a batch: defaults, with `-2`, `-3`, … added where two transfers collide.
pub fn batch_file_names(transfers: &[Transfer]) -> Vec<String> {
    let mut used = HashSet::new();
    transfers
        .iter()
        .map(|t| {
            let base = default_file_name(t);
            let stem = base.trim_end_matches(".pdf").to_string();
            let mut name = base;
            let mut k = 2;
            while !used.insert(name.to_ascii_lowercase()) {
                name = format!("{stem}-{k}.pdf");
                k += 1;
            }
            name
        })
        .collect()
}

/// `formtool fill`.
pub fn run(args: &FillArgs) -> CommandResult {
    let loaded = input::load(&args.input, args.strict)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let transfers = loaded.transfers;
    // The same subscription in two transfers of one batch: two forms would move it twice.
    let mut first_seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, t) in transfers.iter().enumerate() {
        for s in &t.subscriptions {
            if let Some(j) = first_seen.insert(s.as_str(), i) {
                eprintln!(
                    "warning: {}: subscription {s} is in transfer {} and transfer {}",
                    args.input.display(),
                    j + 1,
                    i + 1
                );
            }
        }
    }
    let foreign = match &args.form {
        Some(form) => Some(ForeignForm::open(form, args.profile.as_deref(), args.flatten, !args.no_page_code)?),
        None => None,
    };
    if let Some(f) = &foreign {
        f.check(&transfers)?;
    }
    let targets: Vec<PathBuf> = match (&args.output, &args.out_dir) {
        (Some(out), None) if transfers.len() == 1 => vec![out.clone()],
        (Some(_), None) => {
            return Err(Failure::usage(format!(
                "{}: holds {} transfers; use --out-dir DIR to write one PDF each",
                args.input.display(),
                transfers.len()
            )));
        }
        (None, Some(dir)) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::usage(format!("{}: cannot create directory: {e}", dir.display())))?;
            batch_file_names(&transfers).into_iter().map(|n| dir.join(n)).collect()
        }
        (None, None) if transfers.len() == 1 => {
            vec![PathBuf::from(default_file_name(&transfers[0]))]
        }
        (None, None) => {
            return Err(Failure::usage(format!(
                "{}: holds {} transfers; use --out-dir DIR to write one PDF each",
                args.input.display(),
                transfers.len()
            )));
        }
        (Some(_), Some(_)) => {
            return Err(Failure::usage("use either -o FILE or --out-dir DIR, not both"));
        }
    };
    if targets.iter().any(|p| is_stdout(p)) {
        crate::output::stdout_takes_pdf()?;
    }
    // With --skip-existing, outputs already there (a batch interrupted earlier) are left alone.
    let skip: Vec<bool> = targets.iter().map(|p| args.skip_existing && !is_stdout(p) && p.exists()).collect();
    let skipped = skip.iter().filter(|s| **s).count();
    if skipped > 0 {
        eprintln!("{skipped} output file(s) already exist; skipped (--skip-existing)");
    }
    // Refuse before writing anything, so a batch is never half written over old files.
    if !args.force && !args.skip_existing {
        let existing: Vec<&Path> =
            targets.iter().filter(|p| !is_stdout(p) && p.exists()).map(PathBuf::as_path).collect();
        if existing.len() == 1 {
            return Err(Failure::usage(format!(
                "{}: already exists (use --force to overwrite)",
                existing[0].display()
            )));
        }
        if !existing.is_empty() {
            let list: Vec<String> = existing.iter().take(5).map(|p| p.display().to_string()).collect();
            return Err(Failure::usage(format!(
                "{} output file(s) already exist ({}{}); use --force to overwrite",
                existing.len(),
                list.join(", "),
                if existing.len() > 5 { ", …" } else { "" }
            )));
        }
    }
    if foreign.is_none() {
        let mut problems = Vec::new();
        for (i, t) in transfers.iter().enumerate() {
            let place = if transfers.len() > 1 { format!("transfer {}: ", i + 1) } else { String::new() };
            problems
                .extend(crate::fill::too_long(t).into_iter().map(|p| format!("{}: {place}{p}", args.input.display())));
        }
        if !problems.is_empty() {
            return Err(Failure::usage(problems.join("\n")));
        }
    }
    let options = FillOptions { flatten: args.flatten };
    let results: Vec<Result<(), Failure>> = transfers
        .par_iter()
        .zip(targets.par_iter())
        .zip(skip.par_iter())
        .map(|((t, path), skip)| {
            if *skip {
                return Ok(());
            }
            let bytes = match &foreign {
                Some(f) => f.fill(t).map_err(|why| Failure::no(format!("{}: {why}", path.display())))?,
                None => fill_embedded(t, &options),
            };
            if is_stdout(path) {
                write_pdf_to_stdout(&bytes)
            } else {
                write_atomic(path, &bytes, args.force)?;
                // Printed as soon as it is complete, so an interrupted batch says what it wrote.
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", path.display()).and_then(|()| out.flush());
                Ok(())
            }
        })
        .collect();
    let mut failures = Vec::new();
    for result in results {
        if let Err(e) = result {
            failures.push(e.to_string());
        }
    }
    if failures.is_empty() { Ok(Outcome::Yes) } else { Err(Failure::no(failures.join("\n"))) }
}
