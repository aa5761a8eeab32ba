//! The words of transfer forms: how a field name, tooltip or printed label is split into
//! words, and which concept (a party, an attribute, an ID qualifier) each word stands for.
//! Both the profile proposal ([`crate::form::profile`]) and the reading of printed labels
//! ([`crate::form::labels`]) speak this vocabulary.

use std::collections::HashSet;

/// Split a field name or label into lower-case words: camelCase, digits, punctuation and `_`
/// all separate words; `e-mail` and `e mail` become `email`.
pub fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut spaced = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 {
            let p = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (c.is_uppercase() && (p.is_lowercase() || (p.is_uppercase() && next_lower)))
                || (c.is_ascii_digit() && p.is_alphabetic())
                || (c.is_alphabetic() && p.is_ascii_digit());
            if boundary {
                spaced.push(' ');
            }
        }
        spaced.push(c);
    }
    let words: Vec<String> = spaced
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        if words[i] == "e" && words.get(i + 1).is_some_and(|w| w == "mail") {
            out.push("email".to_string());
            i += 2;
        } else {
            out.push(words[i].clone());
            i += 1;
        }
    }
    out
}

/// Synonym lists: each word maps to the concepts it stands for.
pub fn concepts_of(word: &str) -> &'static [&'static str] {
    match word {
        "current" | "existing" | "old" | "losing" | "outgoing" | "previous" | "transferring" | "releasing"
        | "incumbent" | "record" => &["cur"],
        "new" | "gaining" | "receiving" | "incoming" | "destination" | "acquiring" | "future" => &["new"],
        "partner" | "csp" | "reseller" | "provider" | "distributor" => &["partner"],
        "customer" | "client" | "enduser" => &["customer"],
        "tenant" | "directory" | "aad" | "entra" => &["tenant"],
        "tenantid" => &["tenant", "id"],
        "organization" | "organisation" | "org" | "company" | "business" | "legal" | "entity" | "firm" => &["org"],
        "id" | "identifier" | "guid" | "uuid" => &["id"],
        "microsoft" | "mpn" | "pgid" | "ms" | "center" | "centre" => &["ms"],
        "mpnid" | "msid" | "pgiid" => &["ms", "id"],
        "address" | "street" | "postal" | "addr" => &["address"],
        "domain" | "onmicrosoft" => &["domain"],
        "admin" | "administrator" | "contact" | "representative" => &["admin"],
        "name" => &["name"],
        "email" | "mail" => &["email"],
        "phone" | "telephone" | "tel" | "mobile" | "cell" => &["phone"],
        "subscription" | "subscriptions" | "subs" | "sub" => &["subscription"],
        "relationship" => &["relationship"],
        "agreement" | "mca" => &["agreement"],
        "signer" | "signatory" | "printed" | "print" | "signed" | "authorized" | "authorised" => &["signer"],
        "signature" | "signatures" | "sign" | "sig" => &["signature"],
        "title" | "position" | "job" | "designation" => &["title"],
        "date" | "dated" => &["date"],
        _ => &[],
    }
}

/// The concepts a label or field name speaks of, and the number in it if any.
#[derive(Debug, Default)]
pub struct Concepts {
    pub words: HashSet<&'static str>,
    pub number: Option<usize>,
}

impl Concepts {
    pub fn of(text: &str) -> Concepts {
        let mut c = Concepts::default();
        let tokens = tokens(text);
        for t in &tokens {
            if c.number.is_none() && t.len() <= 3 && t.chars().all(|ch| ch.is_ascii_digit()) {
                c.number = t.parse().ok();
            }
            c.words.extend(concepts_of(t).iter().copied());
        }
        c
    }

    pub fn has(&self, w: &str) -> bool {
        self.words.contains(w)
    }
}

/// The words of a heading that say whose section it is (party words) or that it is the
/// signing section.
pub fn section_words(text: &str) -> Vec<String> {
    let keep = ["cur", "new", "customer", "partner", "tenant", "signature", "signer"];
    tokens(text).into_iter().filter(|t| concepts_of(t).iter().any(|c| keep.contains(c))).collect()
}

/// Whether `text` names a party of the transfer (current or new partner, customer).
pub fn names_party(text: &str) -> bool {
    let c = Concepts::of(text);
    c.has("cur") || c.has("new") || c.has("customer") || c.has("partner")
}
