//! The error type every command returns, and how it maps to the exit codes of SPEC section 2.
//!
//! Two kinds of failure matter to a user's script: the invocation was wrong (exit 2: bad flag,
//! missing or invalid input file) or the work ran and the answer is no (exit 1). Every message
//! names the file, the place and the reason, because the person reading it has to act on it.
//!
//! ```
//! use formtool::error::Failure;
//! let e = Failure::usage("transfer.toml: customer.microsoft_id: not a GUID");
//! assert_eq!(e.exit_code(), 2);
//! ```

use std::fmt;

/// Why a command did not succeed, with the exit code the binary returns for it.
#[derive(Debug)]
pub enum Failure {
    /// The invocation is wrong: unknown flag, missing or invalid input file (exit 2).
    Usage(String),
    /// The work ran but the answer is no, or it could not complete (exit 1).
    No(String),
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::Usage(message.into())
    }

    pub fn no(message: impl Into<String>) -> Self {
        Failure::No(message.into())
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::No(_) => 1,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) | Failure::No(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Failure {}

/// The outcome of a command that ran: success (exit 0) or a "no" that is not an error,
/// such as `verify` finding a form that is not ready (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Yes,
    No,
}

pub type CommandResult = Result<Outcome, Failure>;
