//! Command-line arguments: the list of subcommands, each with its help example, dispatched to
//! the command module that owns its flags ([`crate::commands`]).
//!
//! `main.rs` only parses, calls [`run`], prints the message of a [`crate::error::Failure`] and
//! exits with its code. This module depends on the commands, never the reverse.

use clap::{Parser, Subcommand};

use crate::commands;
use crate::commands::fetch::FetchArgs;
use crate::commands::fill::FillArgs;
use crate::commands::guide::GuideArgs;
use crate::commands::inspect::InspectArgs;
use crate::commands::template::TemplateArgs;
use crate::commands::verify::VerifyArgs;
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
                            formtool verify returned/ --expect transfers.csv --trust partner-ca.pem\n  \
                            formtool verify returned/ --evidence crops/ --report week.html")]
    Verify(VerifyArgs),
    /// Print the six transfer steps for one transfer, with its values filled in.
    #[command(
        after_help = "Examples:\n  formtool guide fixtures/transfer.toml\n  formtool guide fixtures/batch.csv --row 3"
    )]
    Guide(GuideArgs),
}

/// Run one parsed command.
pub fn run(cli: Cli) -> CommandResult {
    crate::output::clean_up_on_interrupt();
    match cli.command {
        Command::Fetch(args) => commands::fetch::run(&args),
        Command::Template(args) => commands::template::run(&args),
        Command::Inspect(args) => commands::inspect::run(&args),
        Command::Fill(args) => commands::fill::run(&args),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Guide(args) => commands::guide::run(&args),
    }
}
