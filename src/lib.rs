//! formtool: prepare and check the paper form that moves an Azure subscription from one
//! CSP partner to another.
//!
//! The source tree reads as the product does. Two pipelines share one description of the
//! form and one layer of PDF plumbing:
//!
//! - **fill**: [`input`] (transfers from JSON, TOML or CSV) → [`form`] (the form model: the
//!   embedded layout, template, font and page code, or a foreign form's profile) → [`fill`]
//!   (values into fields, with appearances and the page code) → [`output`] (atomic writes);
//! - **verify**: [`verify`] reads a returned form ([`verify::returned`]: revisions and digital
//!   signatures), looks at what is drawn and shown ([`pdf::marks`],
//!   [`verify::appearance`]), judges changes after signing ([`verify::integrity`]), runs the
//!   checks of SPEC section 5 on the [`form::FormModel`] ([`verify::checks`]) or reads a scan
//!   ([`verify::scan`]), and writes verdicts ([`verify::report`]);
//! - [`pdf`]: object helpers, the fast revision reader and the limits that keep parsing safe;
//! - [`commands`]: one module per subcommand, each owning its arguments; [`cli`] only
//!   assembles them for clap.
//!
//! Layering, enforced by review and by `shared/tools/modcycles.py` (no import cycles):
//! `commands` may use everything below it; `fill` and `verify` use `form`, `pdf`, `input`
//! and `output`; `form` uses `pdf` and `input`; `pdf` uses nothing of formtool's but
//! [`error`]-free helpers. No lower layer imports a command.

pub mod cli;
pub mod commands;
pub mod error;
pub mod fill;
pub mod form;
pub mod input;
pub mod output;
pub mod pdf;
pub mod verify;
