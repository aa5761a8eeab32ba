//! Command-line arguments: every subcommand and flag is defined here once, with its help text
//! and an example, and dispatched to the library module that does the work.
//!
//! `main.rs` only parses, calls [`run`], prints the message of a [`Failure`] and exits with its
//! code. Keeping the flag definitions in one place keeps `--help` and the README in step.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::error::CommandResult;

/// Prepare and check CSP Azure subscription transfer forms.
#[derive(Debug, Parser)]
#[command(name = "formtool", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download the official transfer form archive, unzip it safely and cache the form PDF.
    #[command(after_help = "Example:\n  formtool fetch --cache-dir ./cache\n  \
                            formtool fetch --sha256 <archive-sha256 printed by an earlier fetch>")]
    Fetch(FetchArgs),
    /// Write the embedded blank transfer form.
    #[command(after_help = "Example:\n  formtool template -o blank-transfer-form.pdf")]
    Template(TemplateArgs),
    /// List a PDF's form fields: name, type, page, rectangle, value and role.
    #[command(after_help = "Example:\n  formtool inspect returned/fabrikam.pdf --json\n  \
                            formtool inspect official.pdf --profile-out official.profile.toml")]
    Inspect(InspectArgs),
    /// Fill the transfer form from JSON, TOML or CSV input.
    #[command(after_help = "Examples:\n  formtool fill fixtures/transfer.toml -o fabrikam.pdf\n  \
                            formtool fill transfers.csv --out-dir filled/\n  \
                            formtool fill fixtures/transfer.toml --form official.pdf --profile official.profile.toml")]
    Fill(FillArgs),
    /// Check returned forms: ready to upload, or what is missing.
    #[command(after_help = "Examples:\n  formtool verify returned/fabrikam.pdf\n  \
                            formtool verify returned/ --format csv --report monday.csv --ready-dir upload/\n  \
                            formtool verify returned/ --expect transfers.csv --trust partner-ca.pem")]
    Verify(VerifyArgs),
    /// Print the six transfer steps for one transfer, with its values filled in.
    #[command(
        after_help = "Examples:\n  formtool guide fixtures/transfer.toml\n  formtool guide fixtures/batch.csv --row 3"
    )]
    Guide(GuideArgs),
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Address of the official form archive (a zip).
    #[arg(long, default_value = crate::fetch::OFFICIAL_URL)]
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

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Where to write the blank form (default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The PDF to inspect.
    #[arg(value_name = "FORM.pdf")]
    pub form: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write the proposed profile (TOML) for this form, to review and pass to `fill --profile`.
    #[arg(long, value_name = "FILE")]
    pub profile_out: Option<PathBuf>,
    /// Overwrite an existing --profile-out file.
    #[arg(long, requires = "profile_out")]
    pub force: bool,
}

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
    /// Profile (TOML) mapping the roles of the transfer form to the fields of `--form`.
    #[arg(long, value_name = "FILE", requires = "form")]
    pub profile: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Returned forms: PDF files, or folders searched recursively for *.pdf.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format (default: text on a terminal, JSON when piped).
    #[arg(long, value_enum)]
    pub format: Option<crate::report::Format>,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Transfer input the forms must match: IDs, organizations and admin emails.
    #[arg(long, value_name = "INPUT")]
    pub expect: Option<PathBuf>,
    /// Copy each ready form here (never moves originals), with a SHA256SUMS file.
    #[arg(long, value_name = "DIR")]
    pub ready_dir: Option<PathBuf>,
    /// Write a PNG crop of every signature box, admin row and checkbox of scanned forms here,
    /// named `<form-file-stem>.<check-id>.png`.
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// PEM certificates signers must chain to.
    #[arg(long, value_name = "PEM")]
    pub trust: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Overwrite an existing --report file, evidence crops, or ready-dir files with other content.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct GuideArgs {
    /// Transfer input: .json, .toml or .csv; `-` reads JSON from stdin.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Which transfer of a batch file, from 1 (in CSV, the first data row is 1).
    #[arg(long, value_name = "N")]
    pub row: Option<usize>,
}

/// Run one parsed command.
pub fn run(cli: Cli) -> CommandResult {
    crate::output::clean_up_on_interrupt();
    match cli.command {
        Command::Fetch(args) => crate::fetch::run(&args),
        Command::Template(args) => crate::template::run(&args),
        Command::Inspect(args) => crate::inspect::run(&args),
        Command::Fill(args) => crate::fill::run(&args),
        Command::Verify(args) => crate::verify::run(&args),
        Command::Guide(args) => crate::guide::run(&args),
    }
}
