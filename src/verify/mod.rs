//! The verify pipeline: from the bytes of one returned form to its report.
//!
//! [`returned`] splits the file into revisions and verifies each digital signature
//! ([`signature`]); [`crate::pdf::marks`] and [`appearance`] say what a page paints and what a field
//! shows; [`integrity`] judges every change made after a signature; [`checks`] runs the checks
//! of SPEC section 5 on the [`crate::form::FormModel`] of the form; scanned paper copies go
//! through [`scan`]; [`report`] writes the verdicts.
//!
//! This layer may use [`crate::form`], [`crate::pdf`], [`crate::input`] and
//! [`crate::output`]; it never uses a command. Folders, batches and `--ready-dir` are the
//! `verify` command's ([`crate::commands::verify`]).

pub mod appearance;
pub mod checks;
pub mod dss;
pub mod evidence;
pub mod integrity;
pub mod mdp;
pub mod pixels;
pub mod render;
pub mod report;
pub mod returned;
pub mod rules;
pub mod scan;
pub mod signature;

pub use checks::verify_bytes;

use crate::form::FormModel;
use crate::input::Transfer;
use crate::verify::signature::TrustAnchors;

/// What `verify` was asked to compare and trust.
#[derive(Default)]
pub struct VerifyOptions {
    /// `--trust PEM`: signers must chain to these.
    pub trust: Option<TrustAnchors>,
    /// `--expect INPUT`: the transfers the forms should carry.
    pub expect: Option<Vec<Transfer>>,
    /// `--evidence DIR`: where the box crops of scanned forms are written.
    pub evidence: Option<scan::Evidence>,
    /// `--profile FILE`: the foreign forms returned files may be fills of.
    pub forms: Vec<FormModel>,
}
