//! The named rules for what a later revision may do after a signature. [`crate::verify::integrity`]
//! applies them; certification permissions ([`crate::verify::mdp`]) are stated in their terms.

use std::fmt;

/// The changes allowed after a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    FillBlankField,
    TickBox,
    AddSignature,
    DrawInSignatureBox,
    ValidationData,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::FillBlankField => "fill a field that was blank",
            Rule::TickBox => "tick an attestation box",
            Rule::AddSignature => "add a signature",
            Rule::DrawInSignatureBox => "draw inside a signature box",
            Rule::ValidationData => "add validation data",
        })
    }
}
