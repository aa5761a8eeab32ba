//! `formtool template`: write the embedded blank form to a file or standard output.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::error::{CommandResult, Failure, Outcome};
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
        Some(path) => {
            crate::output::write_atomic(path, &bytes, args.force)?;
            eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)
                .and_then(|()| out.flush())
                .map_err(|e| Failure::no(format!("cannot write to stdout: {e}")))?;
        }
    }
    Ok(Outcome::Yes)
}
