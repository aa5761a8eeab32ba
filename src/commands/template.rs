//! `formtool template`: write the embedded blank form to a file or standard output.

use std::path::PathBuf;

use clap::Args;

use crate::error::{CommandResult, Outcome};
use crate::form::template::blank_form;

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Where to write the blank form (default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
}

/// `formtool template`: write the blank form to a file or stdout.
pub fn run(args: &TemplateArgs) -> CommandResult {
    let bytes = blank_form();
    match &args.output {
        Some(path) if !crate::output::is_stdout(path) => {
            crate::output::write_atomic(path, &bytes, args.force)?;
            eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
        }
        _ => crate::output::write_pdf_to_stdout(&bytes)?,
    }
    Ok(Outcome::Yes)
}
