//! formtool: prepare and check the paper form that moves an Azure subscription from one
//! CSP partner to another.
//!
//! The pipeline, one module per stage:
//!
//! - [`input`]: transfers from JSON, TOML or CSV, validated with the place of every problem;
//! - [`layout`]: the embedded form: every field, its role and its box on the page;
//! - [`font`]: the embedded Latin/Greek/Cyrillic font and how text is encoded with it;
//! - [`template`]: the blank form PDF, built from the layout, byte-for-byte reproducible;
//! - [`code`]: the QR page code that ties a scanned page to its transfer;
//! - [`fill`]: values into fields, with appearance streams and the page code;
//! - [`inspect`]: what fields a PDF has and which role each plays;
//! - [`fetch`]: the official form archive, downloaded and unzipped safely;
//! - [`profile`]: foreign forms: which field carries each role, proposed and filled;
//! - [`guide`]: the six steps of the transfer for one transfer;
//! - [`returned`]: a returned form's revisions and digital signatures;
//! - [`scan`]: scanned paper forms: alignment, page code, ink in the boxes;
//! - [`signature`]: cryptographic verification of one PDF signature (CMS);
//! - [`marks`]: what a page paints and where (drawn signatures, added content);
//! - [`integrity`]: the named rules for what may change after a signature;
//! - [`appearance`]: what a field's appearance actually shows;
//! - [`checks`]: the checks of a returned form; [`report`]: how verdicts are written;
//! - [`verify`]: the `verify` command over files and folders; [`limits`]: the bounds that keep
//!   it safe on hostile files;
//! - [`output`]: atomic writes that never overwrite without `--force`.

pub mod appearance;
pub mod checks;
pub mod cli;
pub mod code;
pub mod error;
pub mod evidence;
pub mod fetch;
pub mod fill;
pub mod font;
pub mod guide;
pub mod input;
pub mod inspect;
pub mod integrity;
pub mod layout;
pub mod limits;
pub mod marks;
pub mod output;
pub mod pdf;
pub mod pixels;
pub mod profile;
pub mod render;
pub mod report;
pub mod returned;
pub mod revisions;
pub mod scan;
pub mod signature;
pub mod template;
pub mod verify;
