//! One module per subcommand: its arguments (a clap `Args` struct, with the help text users
//! see) and its `run`, which reads files, calls the pipelines and writes results.
//!
//! Commands are the top layer: they may use every other module, and nothing but [`crate::cli`]
//! uses them. What two commands share (loading a PDF, writing outputs) lives in the layer it
//! belongs to ([`crate::pdf`], [`crate::output`]), never in one of the commands.

pub mod fetch;
pub mod fill;
pub mod guide;
pub mod inspect;
pub mod template;
pub mod verify;
