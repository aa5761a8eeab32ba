//! The form: what a transfer form is, wherever it comes from.
//!
//! [`layout`] places every field of formtool's embedded form; [`template`] builds its blank
//! PDF with the [`font`]; [`code`] is the QR page code that ties a page to its transfer;
//! [`profile`] describes a foreign form (the official one included) by role. Both end in one
//! [`FormModel`], the only description of a form that `fill` and `verify` use.
//!
//! This layer may use [`crate::pdf`], [`crate::input`] and [`crate::output`]; it never uses
//! a pipeline ([`crate::fill`], [`crate::verify`]) or a command.

pub mod code;
pub mod font;
pub mod layout;
pub mod profile;
pub mod template;
