//! Foreign transfer forms: filling a PDF that is not formtool's embedded form, such as the
//! official Microsoft form once fetched or a distributor's own, whose fields have other names.
//!
//! A **profile** (TOML) says, for each role of SPEC section 4 (written as [`Role::key`]), which
//! field of that form carries it. A form with no fields at all (a flat PDF meant for printing)
//! gets boxes instead: a page and a rectangle in PDF points, and filling draws the value there.
//!
//! ```toml
//! description = "Contoso Distribution transfer request v3"
//!
//! [fields]
//! "current_partner.organization" = "Current Partner Organization Name"
//! "customer.microsoft_id" = "Text12"
//! "subscriptions.1" = "SubscriptionId1"
//! "attestations.reseller_relationship" = "chkReseller"
//!
//! [boxes]   # only for forms without fields
//! "customer.organization" = { page = 1, rect = [72, 600, 300, 616] }
//! ```
//!
//! [`propose`] writes a first profile by recognising field names and tooltips (see
//! [`propose`] for the rules); `formtool inspect FORM --profile-out FILE` saves it for review.
//! [`fill_foreign`] fills any form with a profile:
//!
//! ```
//! use formtool::{input, profile};
//! // formtool's own blank form is also "a form with fields": propose recognises every name.
//! let pdf = formtool::template::blank_form();
//! let doc = lopdf::Document::load_mem(&pdf).unwrap();
//! let (proposed, unmapped) = profile::propose(&doc);
//! assert!(unmapped.is_empty());
//! assert_eq!(proposed.fields["customer.microsoft_id"], "Customer_MicrosoftId");
//!
//! let loaded = input::load("fixtures/transfer.toml".as_ref(), false).unwrap();
//! let filled = profile::fill_foreign(&pdf, &proposed, &loaded.transfers[0]).unwrap();
//! let doc = lopdf::Document::load_mem(&filled).unwrap();
//! let fields = formtool::pdf::form_fields(&doc);
//! let id = fields.iter().find(|f| f.name == "Customer_MicrosoftId").unwrap();
//! assert_eq!(id.value.as_deref(), Some("0c7d2a9f-1e3b-4c5d-8e6f-7a8b9c0d1e2f"));
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};
use serde::{Deserialize, Serialize};

use crate::error::Failure;
use crate::fill::{FieldValue, role_values, text_appearance};
use crate::font;
use crate::input::Transfer;
use crate::layout::{FieldKind, Party, Rect, Role};
use crate::pdf::{FormField, decode_text_string, form_fields, get, num, text_string};
use crate::template::compressed_stream;

/// Largest profile file formtool reads.
const MAX_PROFILE_BYTES: u64 = 1024 * 1024;
/// Depth limit when following `/Parent` links for inherited page resources.
const MAX_PAGE_TREE_DEPTH: usize = 32;

/// Where the values of one form go: role key → field name, or role key → box.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Free text naming the form the profile is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Role key (e.g. `customer.microsoft_id`) → fully qualified field name.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Role key → where to draw the value on a form without fields.
    #[serde(default)]
    pub boxes: BTreeMap<String, BoxSpec>,
}

/// A place on a page: 1-based page number and `[x1, y1, x2, y2]` in PDF points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxSpec {
    pub page: usize,
    pub rect: [f32; 4],
}

impl BoxSpec {
    fn rect(&self) -> Rect {
        Rect::new(self.rect[0], self.rect[1], self.rect[2], self.rect[3]).normalized()
    }
}

/// The roles a transfer form must carry for Microsoft to act on it: who the current partner is
/// and how support reaches its admin, whose subscription moves, and at least one subscription.
pub fn required_roles() -> Vec<Role> {
    let cp = Party::CurrentPartner;
    vec![
        Role::Organization(cp),
        Role::MicrosoftId(cp),
        Role::AdminName(cp),
        Role::AdminEmail(cp),
        Role::AdminPhone(cp),
        Role::Organization(Party::Customer),
        Role::MicrosoftId(Party::Customer),
        Role::Subscription(1),
    ]
}

impl Profile {
    /// Parse and check a profile.
    pub fn from_toml(text: &str) -> Result<Profile, String> {
        let profile: Profile = toml::from_str(text).map_err(|e| format!("not a valid profile: {}", e.message()))?;
        profile.validate()?;
        Ok(profile)
    }

    /// Read a profile file; the error names the file.
    pub fn load(path: &Path) -> Result<Profile, Failure> {
        let fail = |why: String| Failure::usage(format!("{}: {why}", path.display()));
        let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        if meta.len() > MAX_PROFILE_BYTES {
            return Err(fail("larger than 1 MB; not a profile".to_string()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        Profile::from_toml(&text).map_err(fail)
    }

    /// Every key is a role, no role is both a field and a box, no field carries two roles,
    /// and every box is a real rectangle on a real page number.
    pub fn validate(&self) -> Result<(), String> {
        let mut used: HashMap<&str, &str> = HashMap::new();
        for (key, field) in &self.fields {
            role_of(key)?;
            if let Some(other) = used.insert(field.as_str(), key.as_str()) {
                return Err(format!("field '{field}' is mapped twice ({other} and {key}); one field holds one value"));
            }
            if self.boxes.contains_key(key) {
                return Err(format!("{key} is both in [fields] and in [boxes]; keep one"));
            }
        }
        for (key, b) in &self.boxes {
            role_of(key)?;
            let r = b.rect();
            if b.page == 0 {
                return Err(format!("[boxes] {key}: pages are counted from 1"));
            }
            if !b.rect.iter().all(|v| v.is_finite()) || r.width() < 1.0 || r.height() < 1.0 {
                return Err(format!("[boxes] {key}: rect must be [x1, y1, x2, y2] with a non-empty area"));
            }
        }
        Ok(())
    }

    /// Whether the profile places `role` somewhere.
    pub fn maps(&self, role: &Role) -> bool {
        let key = role.key();
        self.fields.contains_key(&key) || self.boxes.contains_key(&key)
    }

    /// Required roles (see [`required_roles`]) the profile does not place, as keys.
    pub fn missing_required(&self) -> Vec<String> {
        required_roles().into_iter().filter(|r| !self.maps(r)).map(|r| r.key()).collect()
    }

    /// How many subscriptions the form takes: `subscriptions.1`, `.2`, … without a gap.
    pub fn subscription_capacity(&self) -> usize {
        (1..).take_while(|n| self.maps(&Role::Subscription(*n))).count()
    }

    /// The profile as TOML, in form order (not alphabetical) so that a reviewer reads it like
    /// the form; `notes` (role key → text) become end-of-line comments, and the roles no field
    /// was found for are listed as comments to fill in by hand.
    pub fn to_toml(&self, notes: &BTreeMap<String, String>) -> String {
        self.to_toml_for(notes, false)
    }

    /// [`Profile::to_toml`]; for a form without fields (`flat`) the roles still to place are
    /// suggested as `[boxes]` entries rather than field names.
    pub fn to_toml_for(&self, notes: &BTreeMap<String, String>, flat: bool) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = String::from(
            "# formtool profile: which field of this form carries each role of the transfer.\n\
             # Keys are roles (SPEC section 4); values are field names as `formtool inspect` prints them.\n\
             # Forms without fields use [boxes]: \"role\" = { page = 1, rect = [x1, y1, x2, y2] } in points.\n",
        );
        if let Some(d) = &self.description {
            out.push_str(&format!("description = {}\n", q(d)));
        }
        let mut roles = Role::all_fixed();
        let subs: BTreeSet<usize> = self
            .fields
            .keys()
            .chain(self.boxes.keys())
            .filter_map(|k| match Role::from_key(k) {
                Some(Role::Subscription(n)) => Some(n),
                _ => None,
            })
            .collect();
        let last_sub = subs.last().copied().unwrap_or(1);
        // Subscriptions sit where the form has them: after the customer's roles.
        let at = roles.iter().position(|r| *r == Role::Domain).map(|i| i + 1).unwrap_or(roles.len());
        roles.splice(at..at, (1..=last_sub).map(Role::Subscription));
        let mut missing = Vec::new();
        out.push_str("\n[fields]\n");
        for role in &roles {
            let key = role.key();
            match self.fields.get(&key) {
                Some(field) => {
                    let note = notes.get(&key).map(|n| format!("  # {n}")).unwrap_or_default();
                    out.push_str(&format!("{} = {}{note}\n", q(&key), q(field)));
                }
                None if !self.boxes.contains_key(&key) => missing.push(key),
                None => {}
            }
        }
        if !self.boxes.is_empty() {
            out.push_str("\n[boxes]\n");
            for role in &roles {
                let key = role.key();
                if let Some(b) = self.boxes.get(&key) {
                    let r = b.rect;
                    out.push_str(&format!(
                        "{} = {{ page = {}, rect = [{}, {}, {}, {}] }}\n",
                        q(&key),
                        b.page,
                        num(r[0]),
                        num(r[1]),
                        num(r[2]),
                        num(r[3])
                    ));
                }
            }
        }
        if !missing.is_empty() {
            if flat {
                out.push_str(
                    "\n# This form has no fields: move the roles below into [boxes], with page and rectangle.\n",
                );
            } else {
                out.push_str(
                    "\n# Not found on this form (required ones must be added before `fill` accepts the profile):\n",
                );
            }
            let required: HashSet<String> = required_roles().iter().map(Role::key).collect();
            for key in missing {
                let tag = if required.contains(&key) { "  # REQUIRED" } else { "" };
                let placeholder = if flat { "{ page = 1, rect = [x1, y1, x2, y2] }" } else { "\"\"" };
                out.push_str(&format!("# {} = {placeholder}{tag}\n", q(&key)));
            }
        }
        out
    }
}

fn role_of(key: &str) -> Result<Role, String> {
    Role::from_key(key).ok_or_else(|| {
        format!(
            "'{key}' is not a role (roles look like current_partner.admin.email, subscriptions.1, signature.customer)"
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Proposal: recognising fields by name and tooltip.
// ---------------------------------------------------------------------------------------------

/// A proposed profile with the reasons behind it.
#[derive(Debug, Clone, Default)]
pub struct Proposal {
    pub profile: Profile,
    /// Required roles no field was recognised for.
    pub unmapped: Vec<String>,
    /// Role key → the text the field was recognised by (name, and tooltip if any).
    pub notes: BTreeMap<String, String>,
}

/// Propose a profile for `doc` from its field names and tooltips; returns the profile and the
/// required roles left unmapped. See [`propose_detailed`] for the rules.
pub fn propose(doc: &Document) -> (Profile, Vec<String>) {
    let p = propose_detailed(doc);
    (p.profile, p.unmapped)
}

/// One field as the recogniser sees it.
struct Candidate {
    name: String,
    kind: Option<FieldKind>,
    /// Field name and tooltip (`/TU`), each recognised on its own.
    texts: Vec<String>,
    /// Reading order: page, then top to bottom, then left to right.
    order: (usize, i64, i64, usize),
}

/// What a role slot is before subscriptions are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    Fixed(Role),
    /// A subscription field, with the number its own text gives, if any.
    Subscription(Option<usize>),
}

/// Propose a profile, keeping the text each field was recognised by.
///
/// How fields are recognised:
///
/// 1. Each field's name and its tooltip (`/TU`, what many forms show as the label) are read
///    separately. A name of formtool's own form (`Customer_MicrosoftId`) is taken as is.
/// 2. Text is normalised: camelCase and digit runs split (`CustomerTenantId1` →
///    `customer tenant id 1`), lower-cased, punctuation and `_` become spaces, `e-mail` →
///    `email`. Words are reduced to concepts through synonym lists (`mpn`, `microsoft`,
///    `tenant` → an ID qualifier; `losing`, `current`, `existing` → current partner; `gaining`,
///    `new` → new partner; `client` → customer; `company`, `organisation` → organization …).
/// 3. The party comes from the party words; a bare `partner` leans to the current partner
///    (score 3) over the new one (score 1), so a form that says "Partner admin e-mail" once
///    gets the current partner, and a second such field the new partner.
/// 4. The attribute comes from the first rule that matches, in this order: subscription,
///    domain, email, phone, date, title, address, an ID (`id` with `microsoft`/`mpn`/
///    `tenant` or a party), a name with `admin`/`contact` (admin name) or `signer`/`signatory`
///    (signer name), organization, and last a bare "Customer Name" (organization, weaker).
///    Checkboxes only take the two attestations (`relationship`; `agreement`/`mca`), signature
///    fields only `signature.<party>`, text fields only text roles.
/// 5. Subscriptions are numbered by the number in their own text (`SubscriptionId3`; a form
///    that counts from 0 is shifted to 1), the others in reading order after them.
/// 6. Every (field, role) pair is scored; pairs are taken best first, each field and each role
///    at most once, ties going to the field earlier in reading order. So a field is never
///    mapped to two roles, nor two fields to one role.
pub fn propose_detailed(doc: &Document) -> Proposal {
    let candidates = candidates(doc);
    // (score, candidate index, slot)
    let mut scored: Vec<(i32, usize, Slot, usize)> = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let mut best: HashMap<Slot, (i32, usize)> = HashMap::new();
        if let Some(role) = Role::from_field_name(&c.name)
            && kind_fits(role, c.kind)
        {
            best.insert(Slot::Fixed(role), (100, 0));
        }
        for (t, text) in c.texts.iter().enumerate() {
            let concepts = Concepts::of(text);
            for (slot, score) in slots_for(&concepts, c.kind) {
                let e = best.entry(slot).or_insert((score, t));
                if score > e.0 {
                    *e = (score, t);
                }
            }
        }
        for (slot, (score, t)) in best {
            scored.push((score, i, slot, t));
        }
    }
    number_subscriptions(&mut scored, &candidates);
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(candidates[a.1].order.cmp(&candidates[b.1].order))
            .then(slot_order(&a.2).cmp(&slot_order(&b.2)))
    });
    let mut proposal = Proposal::default();
    let mut taken_fields = HashSet::new();
    for (_, i, slot, t) in scored {
        let Slot::Fixed(role) = slot else { continue };
        let key = role.key();
        if taken_fields.contains(&i) || proposal.profile.fields.contains_key(&key) {
            continue;
        }
        taken_fields.insert(i);
        let c = &candidates[i];
        proposal.profile.fields.insert(key.clone(), c.name.clone());
        let by = c.texts.get(t).filter(|text| **text != c.name);
        if let Some(text) = by {
            proposal.notes.insert(key, format!("tooltip: {text}"));
        }
    }
    proposal.unmapped = proposal.profile.missing_required();
    proposal
}

fn slot_order(slot: &Slot) -> (usize, Option<Role>) {
    match slot {
        Slot::Fixed(r) => (0, Some(*r)),
        Slot::Subscription(_) => (1, None),
    }
}

fn kind_fits(role: Role, kind: Option<FieldKind>) -> bool {
    kind == Some(role.kind())
}

/// The fields of `doc` with their tooltips, in reading order.
fn candidates(doc: &Document) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = form_fields(doc)
        .into_iter()
        .enumerate()
        .map(|(index, f)| {
            let tooltip =
                f.id.and_then(|id| doc.get_dictionary(id).ok())
                    .and_then(|d| get(doc, d, b"TU"))
                    .and_then(|o| o.as_str().ok())
                    .map(decode_text_string)
                    .filter(|t| !t.trim().is_empty());
            let w = f.first_widget();
            let page = w.and_then(|w| w.page).unwrap_or(usize::MAX);
            let (top, left) = w.and_then(|w| w.rect).map(|r| (-(r.y2 as i64), r.x1 as i64)).unwrap_or((0, 0));
            let mut texts = vec![f.name.clone()];
            texts.extend(tooltip);
            Candidate { name: f.name, kind: f.kind, texts, order: (page, top, left, index) }
        })
        .collect();
    out.sort_by_key(|c| c.order);
    out
}

/// Give each subscription slot its number: its own, shifted if the form counts from 0, else
/// the next free one in reading order.
fn number_subscriptions(scored: &mut [(i32, usize, Slot, usize)], candidates: &[Candidate]) {
    let mut subs: Vec<usize> = Vec::new(); // indexes into `scored`
    for (k, s) in scored.iter().enumerate() {
        if matches!(s.2, Slot::Subscription(_)) {
            subs.push(k);
        }
    }
    subs.sort_by_key(|k| candidates[scored[*k].1].order);
    let explicit: Vec<usize> = subs
        .iter()
        .filter_map(|k| match scored[*k].2 {
            Slot::Subscription(n) => n,
            _ => None,
        })
        .collect();
    let shift = usize::from(explicit.contains(&0));
    let mut used = HashSet::new();
    let mut pending = Vec::new();
    for k in subs {
        match scored[k].2 {
            Slot::Subscription(Some(n)) if n + shift >= 1 && used.insert(n + shift) => {
                scored[k].2 = Slot::Fixed(Role::Subscription(n + shift));
            }
            _ => pending.push(k),
        }
    }
    let mut next = 1;
    for k in pending {
        while used.contains(&next) {
            next += 1;
        }
        used.insert(next);
        scored[k].2 = Slot::Fixed(Role::Subscription(next));
    }
}

/// The concepts a label or field name speaks of, and the number in it if any.
#[derive(Debug, Default)]
struct Concepts {
    words: HashSet<&'static str>,
    number: Option<usize>,
}

impl Concepts {
    fn of(text: &str) -> Concepts {
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

    fn has(&self, w: &str) -> bool {
        self.words.contains(w)
    }
}

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
fn concepts_of(word: &str) -> &'static [&'static str] {
    match word {
        "current" | "existing" | "old" | "losing" | "outgoing" | "previous" | "transferring" | "releasing"
        | "incumbent" => &["cur"],
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
        "signature" | "sign" | "sig" => &["signature"],
        "title" | "position" | "job" | "designation" => &["title"],
        "date" | "dated" => &["date"],
        _ => &[],
    }
}

/// The role slots a text may stand for, with scores (see [`propose_detailed`]).
fn slots_for(c: &Concepts, kind: Option<FieldKind>) -> Vec<(Slot, i32)> {
    let parties: Vec<(Party, i32)> = if c.has("new") {
        vec![(Party::NewPartner, 5)]
    } else if c.has("cur") {
        vec![(Party::CurrentPartner, 5)]
    } else if c.has("customer") || c.has("tenant") {
        vec![(Party::Customer, 5)]
    } else if c.has("partner") {
        vec![(Party::CurrentPartner, 3), (Party::NewPartner, 1)]
    } else {
        Vec::new()
    };
    let partners: Vec<(Party, i32)> = parties.iter().copied().filter(|(p, _)| *p != Party::Customer).collect();
    let each = |list: &[(Party, i32)], base: i32, make: fn(Party) -> Role| -> Vec<(Slot, i32)> {
        list.iter().map(|(p, s)| (Slot::Fixed(make(*p)), base + s)).collect()
    };
    match kind {
        Some(FieldKind::Checkbox) => {
            if c.has("relationship") {
                vec![(Slot::Fixed(Role::ResellerRelationship), 15)]
            } else if c.has("agreement") {
                vec![(Slot::Fixed(Role::CustomerAgreement), 15)]
            } else {
                Vec::new()
            }
        }
        Some(FieldKind::Signature) => each(&parties, 10, Role::Signature),
        Some(FieldKind::Text) => {
            let signer = c.has("signer") || c.has("signature");
            if c.has("subscription") {
                vec![(Slot::Subscription(c.number), 12)]
            } else if c.has("domain") {
                if parties.is_empty() || c.has("customer") {
                    vec![(Slot::Fixed(Role::Domain), 10 + if c.has("customer") { 5 } else { 0 })]
                } else {
                    Vec::new()
                }
            } else if c.has("email") {
                each(&partners, 10, Role::AdminEmail)
            } else if c.has("phone") {
                each(&partners, 10, Role::AdminPhone)
            } else if c.has("date") {
                each(&parties, 10, Role::SignDate)
            } else if c.has("title") {
                each(&parties, 10, Role::SignerTitle)
            } else if c.has("address") {
                each(&partners, 10, Role::Address)
            } else if (c.has("id") && (c.has("ms") || !parties.is_empty())) || (c.has("ms") && c.has("partner")) {
                let bonus = if c.has("ms") || c.has("tenant") { 2 } else { 0 };
                if parties.is_empty() && c.has("tenant") {
                    vec![(Slot::Fixed(Role::MicrosoftId(Party::Customer)), 12)]
                } else {
                    each(&parties, 10 + bonus, Role::MicrosoftId)
                }
            } else if c.has("name") && c.has("admin") {
                each(&partners, 10, Role::AdminName)
            } else if c.has("name") && signer {
                each(&parties, 10, Role::SignerName)
            } else if c.has("org") && !c.has("admin") && !signer {
                each(&parties, 10, Role::Organization)
            } else if c.has("name") && !c.has("admin") && !signer {
                // "Customer Name", "Partner name": on a transfer form, the organization.
                each(&parties, 6, Role::Organization)
            } else {
                Vec::new()
            }
        }
        None => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Filling.
// ---------------------------------------------------------------------------------------------

/// Fill a foreign form: `profile` says where each value of `transfer` goes. Every other part
/// of the document is kept as it was.
///
/// Text fields get `/V` and an appearance stream in formtool's embedded font (so Greek and
/// Cyrillic names show even where the form's own font lacks them); the font is added to the
/// form's `/DR` and the filled fields' `/DA` point at it, so a viewer that regenerates
/// appearances (the form may say `NeedAppearances`) uses a font that has the glyphs.
/// `NeedAppearances` is dropped only when no field relies on it any more (viewers that
/// honour it redraw checkboxes badly). Checkboxes are set to
/// their own "on" state, read from the widget's `/AP /N`. Boxes of a form without fields are
/// drawn into the page after its content.
pub fn fill_foreign(pdf_bytes: &[u8], profile: &Profile, transfer: &Transfer) -> Result<Vec<u8>, String> {
    let doc = crate::inspect::load_pdf(pdf_bytes)?;
    fill_document(doc, profile, transfer)
}

/// Check `profile` against a form: the profile is valid, places every required role, and
/// each mapped field exists with a type that can take the role's value.
pub fn check_profile(doc: &Document, profile: &Profile) -> Result<(), String> {
    profile.validate()?;
    let missing = profile.missing_required();
    if !missing.is_empty() {
        return Err(format!("the profile maps no field or box to required role(s): {}", missing.join(", ")));
    }
    let fields = form_fields(doc);
    let by_name: HashMap<&str, &FormField> = fields.iter().map(|f| (f.name.as_str(), f)).collect();
    for (key, name) in &profile.fields {
        let role = role_of(key)?;
        let Some(field) = by_name.get(name.as_str()) else {
            return Err(format!("the profile maps {key} to field '{name}', which the form does not have"));
        };
        let ok = match role.kind() {
            FieldKind::Text => field.kind == Some(FieldKind::Text),
            FieldKind::Checkbox => field.kind == Some(FieldKind::Checkbox),
            // Signature roles are never filled; any field may mark where one goes.
            FieldKind::Signature => true,
        };
        if !ok {
            return Err(format!(
                "the profile maps {key} (a {} value) to field '{name}', which is a /{} field",
                if role.kind() == FieldKind::Checkbox { "checkbox" } else { "text" },
                if field.field_type.is_empty() { "?" } else { &field.field_type }
            ));
        }
    }
    let pages = doc.get_pages().len();
    for (key, b) in &profile.boxes {
        if b.page > pages {
            return Err(format!("[boxes] {key}: page {} but the form has {pages} page(s)", b.page));
        }
    }
    Ok(())
}

/// Whether the transfer's subscriptions fit the form.
pub fn check_capacity(profile: &Profile, transfer: &Transfer) -> Result<(), String> {
    let fits = profile.subscription_capacity();
    let n = transfer.subscriptions.len();
    if n > fits {
        return Err(format!(
            "the form has room for {fits} subscription(s) (subscriptions.1 to subscriptions.{fits}) but the \
             transfer lists {n}; split it into transfers of at most {fits} subscriptions"
        ));
    }
    Ok(())
}

/// [`fill_foreign`] on a parsed document.
pub fn fill_document(mut doc: Document, profile: &Profile, transfer: &Transfer) -> Result<Vec<u8>, String> {
    check_profile(&doc, profile)?;
    check_capacity(profile, transfer)?;
    let fields = form_fields(&doc);
    let by_name: HashMap<&str, &FormField> = fields.iter().map(|f| (f.name.as_str(), f)).collect();
    let mut font: Option<ObjectId> = None;
    let mut dr_name: Option<String> = None;
    let mut draws: BTreeMap<usize, Vec<(Rect, FieldValue)>> = BTreeMap::new();
    for (role, value) in role_values(transfer) {
        let key = role.key();
        if let FieldValue::Text(t) = &value
            && t.is_empty()
        {
            continue;
        }
        if let Some(name) = profile.fields.get(&key) {
            let Some(field) = by_name.get(name.as_str()) else {
                continue;
            };
            match &value {
                FieldValue::Text(text) => {
                    let font_id = *font.get_or_insert_with(|| font::embedded().add_to(&mut doc));
                    let resource = match &dr_name {
                        Some(n) => n.clone(),
                        None => {
                            let n = add_font_to_form(&mut doc, font_id)?;
                            dr_name = Some(n.clone());
                            n
                        }
                    };
                    fill_text(&mut doc, field, text, font_id, &resource)?;
                }
                FieldValue::Checked(on) => fill_checkbox(&mut doc, field, *on)?,
            }
        } else if let Some(b) = profile.boxes.get(&key) {
            draws.entry(b.page).or_default().push((b.rect(), value));
        }
    }
    if !draws.is_empty() {
        let font_id = *font.get_or_insert_with(|| font::embedded().add_to(&mut doc));
        draw_boxes(&mut doc, &draws, font_id)?;
    }
    settle_need_appearances(&mut doc);
    let mut out = Vec::with_capacity(pdf_size_hint(&doc));
    doc.save_to(&mut out).map_err(|e| format!("cannot write the filled PDF: {e}"))?;
    Ok(out)
}

fn pdf_size_hint(doc: &Document) -> usize {
    doc.objects.len().saturating_mul(256).min(64 << 20)
}

/// Drop `NeedAppearances` once every field with a value has an appearance on each widget.
///
/// Viewers that honour the flag (poppler, for one) regenerate appearances from `/DA` and
/// `/MK`, and do it badly for checkboxes whose `/MK /CA` names a ZapfDingbats glyph: the tick
/// formtool set disappears. When every valued field has its own appearance the flag has no
/// work left to do; when some field still relies on it (a value without appearance that the
/// form shipped with), it stays.
fn settle_need_appearances(doc: &mut Document) {
    let Some(acro_id) = doc.catalog().ok().and_then(|c| c.get(b"AcroForm").ok()).and_then(|a| a.as_reference().ok())
    else {
        return;
    };
    let flagged = doc
        .get_dictionary(acro_id)
        .ok()
        .and_then(|a| a.get(b"NeedAppearances").ok())
        .and_then(|v| v.as_bool().ok())
        .unwrap_or(false);
    if !flagged {
        return;
    }
    let all_have_appearances = form_fields(doc).iter().filter(|f| f.value.is_some()).all(|f| {
        f.widgets
            .iter()
            .all(|w| w.id.and_then(|id| doc.get_dictionary(id).ok()).is_some_and(|d| get(doc, d, b"AP").is_some()))
    });
    if all_have_appearances && let Ok(acro) = doc.get_dictionary_mut(acro_id) {
        acro.remove(b"NeedAppearances");
    }
}

/// The dictionary under `key` of the object `owner`, made indirect if it was direct (or
/// created if absent), so that it can be changed in place by id.
fn indirect_dict(doc: &mut Document, owner: ObjectId, key: &[u8]) -> Result<ObjectId, String> {
    let current =
        doc.get_dictionary(owner).map_err(|e| format!("broken PDF object {owner:?}: {e}"))?.get(key).ok().cloned();
    let dict = match current {
        Some(Object::Reference(id)) => match doc.get_object(id) {
            Ok(Object::Dictionary(_)) => return Ok(id),
            _ => {
                return Err(format!("/{} of object {owner:?} is not a dictionary", String::from_utf8_lossy(key)));
            }
        },
        Some(Object::Dictionary(d)) => d,
        None | Some(Object::Null) => Dictionary::new(),
        Some(_) => {
            return Err(format!("/{} of object {owner:?} is not a dictionary", String::from_utf8_lossy(key)));
        }
    };
    let id = doc.add_object(dict);
    if let Ok(d) = doc.get_dictionary_mut(owner) {
        d.set(key.to_vec(), Object::Reference(id));
    }
    Ok(id)
}

/// Put the font into a `/Font` resource dictionary under a name not used there yet.
fn add_font_resource(doc: &mut Document, fonts_id: ObjectId, font_id: ObjectId) -> Result<String, String> {
    let fonts = doc.get_dictionary_mut(fonts_id).map_err(|e| format!("broken font resources: {e}"))?;
    let mut name = font::RESOURCE_NAME.to_string();
    let mut k = 1;
    loop {
        match fonts.get(name.as_bytes()) {
            Ok(Object::Reference(id)) if *id == font_id => return Ok(name),
            Ok(_) => {
                name = format!("{}{k}", font::RESOURCE_NAME);
                k += 1;
            }
            Err(_) => break,
        }
    }
    fonts.set(name.clone(), Object::Reference(font_id));
    Ok(name)
}

/// Add the value font to the AcroForm's default resources (`/DR`); returns its name there.
fn add_font_to_form(doc: &mut Document, font_id: ObjectId) -> Result<String, String> {
    let catalog = doc.trailer.get(b"Root").ok().and_then(|r| r.as_reference().ok()).ok_or("the PDF has no catalog")?;
    let acro = indirect_dict(doc, catalog, b"AcroForm")?;
    let dr = indirect_dict(doc, acro, b"DR")?;
    let fonts = indirect_dict(doc, dr, b"Font")?;
    add_font_resource(doc, fonts, font_id)
}

/// The object id of each widget of a field; a widget written as a direct object cannot be
/// given an appearance in place, so it is an error rather than a silently unfilled box.
fn widget_ids(field: &FormField) -> Result<Vec<ObjectId>, String> {
    let ids: Option<Vec<ObjectId>> = field.widgets.iter().map(|w| w.id).collect();
    match ids {
        Some(ids) if !ids.is_empty() && field.id.is_some() => Ok(ids),
        _ => Err(format!("field '{}' is written in a way formtool cannot fill (direct objects)", field.name)),
    }
}

fn fill_text(
    doc: &mut Document,
    field: &FormField,
    text: &str,
    font_id: ObjectId,
    resource: &str,
) -> Result<(), String> {
    let ids = widget_ids(field)?;
    let field_id = field.id.ok_or("unreachable: checked by widget_ids")?;
    let max_len = doc.get_dictionary(field_id).ok().and_then(|d| get(doc, d, b"MaxLen")).and_then(|o| o.as_i64().ok());
    if let Some(max) = max_len
        && max >= 0
        && text.chars().count() as i64 > max
    {
        return Err(format!(
            "field '{}' takes at most {max} characters; the value '{text}' has {}",
            field.name,
            text.chars().count()
        ));
    }
    let da = format!("/{resource} 9 Tf 0 g");
    for (w, wid) in field.widgets.iter().zip(ids) {
        let rect = w.rect.unwrap_or(Rect::new(0.0, 0.0, 100.0, 15.0));
        if let Err(e) = crate::fit::fit(text, rect.width().max(1.0), rect.height().max(1.0)) {
            return Err(format!("field '{}': {}", field.name, e.describe()));
        }
        let ap = doc.add_object(text_appearance(text, rect.width().max(1.0), rect.height().max(1.0), font_id));
        if let Ok(d) = doc.get_dictionary_mut(wid) {
            d.set("AP", dictionary! { "N" => ap });
            if d.has(b"DA") {
                d.set("DA", Object::string_literal(da.as_str()));
            }
        }
    }
    if let Ok(d) = doc.get_dictionary_mut(field_id) {
        d.set("V", text_string(text));
        d.set("DA", Object::string_literal(da.as_str()));
    }
    Ok(())
}

/// The "on" appearance state of a checkbox widget: the name in `/AP /N` other than `Off`.
fn on_state(doc: &Document, widget: ObjectId) -> Option<Vec<u8>> {
    let d = doc.get_dictionary(widget).ok()?;
    let ap = get(doc, d, b"AP")?.as_dict().ok()?;
    let normal = get(doc, ap, b"N")?.as_dict().ok()?;
    normal.iter().map(|(k, _)| k).find(|k| k.as_slice() != b"Off").cloned()
}

fn has_state(doc: &Document, widget: ObjectId, state: &[u8]) -> bool {
    doc.get_dictionary(widget)
        .ok()
        .and_then(|d| get(doc, d, b"AP"))
        .and_then(|ap| ap.as_dict().ok())
        .and_then(|ap| get(doc, ap, b"N"))
        .and_then(|n| n.as_dict().ok())
        .is_some_and(|n| n.has(state))
}

fn fill_checkbox(doc: &mut Document, field: &FormField, on: bool) -> Result<(), String> {
    let ids = widget_ids(field)?;
    let field_id = field.id.ok_or("unreachable: checked by widget_ids")?;
    let mut state = ids.iter().find_map(|w| on_state(doc, *w));
    if state.is_none() && on {
        // A checkbox without appearances: give it ours, so the tick shows in every viewer.
        for (w, wid) in field.widgets.iter().zip(&ids) {
            let rect = w.rect.unwrap_or(Rect::new(0.0, 0.0, 10.0, 10.0));
            let yes = doc.add_object(appearance(rect, tick_ops(0.0, 0.0, rect.width(), rect.height())));
            let off = doc.add_object(appearance(rect, String::new()));
            if let Ok(d) = doc.get_dictionary_mut(*wid) {
                d.set("AP", dictionary! { "N" => dictionary! { "Yes" => yes, "Off" => off } });
            }
        }
        state = Some(b"Yes".to_vec());
    }
    let value = if on { state.unwrap_or_else(|| b"Yes".to_vec()) } else { b"Off".to_vec() };
    for wid in &ids {
        let shown = if has_state(doc, *wid, &value) { value.clone() } else { b"Off".to_vec() };
        if let Ok(d) = doc.get_dictionary_mut(*wid) {
            d.set("AS", Object::Name(shown));
        }
    }
    if let Ok(d) = doc.get_dictionary_mut(field_id) {
        d.set("V", Object::Name(value));
    }
    Ok(())
}

fn appearance(rect: Rect, ops: String) -> Stream {
    Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), rect.width().into(), rect.height().into()],
        },
        ops.into_bytes(),
    )
}

/// A tick mark inside the box at `(x, y)` of size `w` × `h`: two strokes, like a pen's.
pub fn tick_ops(x: f32, y: f32, w: f32, h: f32) -> String {
    let lw = (w.min(h) * 0.12).clamp(0.6, 2.5);
    format!(
        "q 0 G {} w 1 J 1 j {} {} m {} {} l {} {} l S Q\n",
        num(lw),
        num(x + w * 0.18),
        num(y + h * 0.52),
        num(x + w * 0.40),
        num(y + h * 0.22),
        num(x + w * 0.84),
        num(y + h * 0.82)
    )
}

/// The content that draws `text` in `rect` with the font named `font_name` in the page's
/// resources: left-aligned, vertically centred, shrunk (down to 5 pt) to fit, clipped.
pub fn text_ops(text: &str, rect: Rect, font_name: &str) -> String {
    let f = font::embedded();
    let (w, h) = (rect.width(), rect.height());
    let mut size: f32 = 9.0_f32.min(h * 0.7);
    while size > 5.0 && f.width(text, size) > w - 4.0 {
        size -= 0.5;
    }
    let (hex, _) = f.encode(text, size);
    let baseline = rect.y1 + ((h - size * 0.72) / 2.0).max(1.0);
    format!(
        "q {} {} {} {} re W n BT /{font_name} {} Tf 0 g {} {} Td {hex} Tj ET Q\n",
        num(rect.x1),
        num(rect.y1),
        num(w),
        num(h),
        num(size),
        num(rect.x1 + 2.0),
        num(baseline)
    )
}

/// The resource dictionary a page uses, inherited through `/Parent` when the page has none.
fn inherited_resources(doc: &Document, page: ObjectId) -> Option<Dictionary> {
    let mut node = page;
    for _ in 0..MAX_PAGE_TREE_DEPTH {
        let d = doc.get_dictionary(node).ok()?;
        if let Some(r) = get(doc, d, b"Resources") {
            return r.as_dict().ok().cloned();
        }
        node = d.get(b"Parent").ok()?.as_reference().ok()?;
    }
    None
}

/// Draw the values of a form without fields: one content stream per page after the page's
/// own, which is wrapped in `q … Q` so that whatever state it leaves does not move ours.
fn draw_boxes(
    doc: &mut Document,
    draws: &BTreeMap<usize, Vec<(Rect, FieldValue)>>,
    font_id: ObjectId,
) -> Result<(), String> {
    let pages = doc.get_pages();
    for (page_no, items) in draws {
        let page_id = u32::try_from(*page_no)
            .ok()
            .and_then(|n| pages.get(&n).copied())
            .ok_or_else(|| format!("box on page {page_no}, but the form has {} page(s)", pages.len()))?;
        let has_own = doc.get_dictionary(page_id).map(|d| d.has(b"Resources")).unwrap_or(false);
        if !has_own {
            let inherited = inherited_resources(doc, page_id).unwrap_or_default();
            let id = doc.add_object(inherited);
            if let Ok(p) = doc.get_dictionary_mut(page_id) {
                p.set("Resources", id);
            }
        }
        let resources = indirect_dict(doc, page_id, b"Resources")?;
        let fonts = indirect_dict(doc, resources, b"Font")?;
        let font_name = add_font_resource(doc, fonts, font_id)?;
        let mut ops = String::new();
        for (rect, value) in items {
            match value {
                FieldValue::Text(t) => ops.push_str(&text_ops(t, *rect, &font_name)),
                FieldValue::Checked(true) => ops.push_str(&tick_ops(rect.x1, rect.y1, rect.width(), rect.height())),
                FieldValue::Checked(false) => {}
            }
        }
        let existing = doc.get_dictionary(page_id).ok().and_then(|p| p.get(b"Contents").ok()).cloned();
        let mut list = match existing {
            Some(Object::Array(a)) => a,
            Some(Object::Reference(r)) => match doc.get_object(r) {
                Ok(Object::Array(a)) => a.clone(),
                _ => vec![Object::Reference(r)],
            },
            _ => Vec::new(),
        };
        let open = doc.add_object(Stream::new(Dictionary::new(), b"q\n".to_vec()));
        let close = doc.add_object(Stream::new(Dictionary::new(), b"Q\n".to_vec()));
        let ours = doc.add_object(compressed_stream(Dictionary::new(), ops.as_bytes()));
        list.insert(0, Object::Reference(open));
        list.push(Object::Reference(close));
        list.push(Object::Reference(ours));
        if let Ok(p) = doc.get_dictionary_mut(page_id) {
            p.set("Contents", list);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The command side: `fill --form` and `inspect --profile-out`.
// ---------------------------------------------------------------------------------------------

/// A foreign form opened for `fill --form`, with the profile it is filled by.
pub struct ForeignForm {
    doc: Document,
    profile: Profile,
}

impl ForeignForm {
    /// Open `form` with the profile at `profile` or, without one, the proposed profile.
    /// Every problem with the form or profile is a usage error (exit 2) naming the file and the
    /// role, found before anything is written.
    pub fn open(form: &Path, profile: Option<&Path>, flatten: bool) -> Result<ForeignForm, Failure> {
        if flatten {
            return Err(Failure::usage("--flatten works only with the embedded form, not with --form"));
        }
        let (_, doc) = crate::inspect::open_pdf(form)?;
        let profile = match profile {
            Some(path) => {
                let p = Profile::load(path)?;
                check_profile(&doc, &p)
                    .map_err(|why| Failure::usage(format!("{} (for {}): {why}", path.display(), form.display())))?;
                p
            }
            None => {
                let proposal = propose_detailed(&doc);
                if !proposal.unmapped.is_empty() {
                    return Err(Failure::usage(format!(
                        "{}: no field recognised for required role(s) {}; write a profile with \
                         `formtool inspect {} --profile-out profile.toml`, complete it, and pass --profile",
                        form.display(),
                        proposal.unmapped.join(", "),
                        form.display()
                    )));
                }
                check_profile(&doc, &proposal.profile)
                    .map_err(|why| Failure::usage(format!("{}: {why}", form.display())))?;
                proposal.profile
            }
        };
        Ok(ForeignForm { doc, profile })
    }

    /// Check that every transfer fits the form, before anything is written.
    pub fn check(&self, transfers: &[Transfer]) -> Result<(), Failure> {
        let many = transfers.len() > 1;
        for (i, t) in transfers.iter().enumerate() {
            check_capacity(&self.profile, t).map_err(|why| {
                if many { Failure::usage(format!("transfer {}: {why}", i + 1)) } else { Failure::usage(why) }
            })?;
        }
        Ok(())
    }

    /// Fill the form for one transfer.
    pub fn fill(&self, transfer: &Transfer) -> Result<Vec<u8>, String> {
        fill_document(self.doc.clone(), &self.profile, transfer)
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }
}

/// Field name → role key, as proposed: what `inspect` shows for a foreign form.
pub fn field_roles(doc: &Document) -> HashMap<String, String> {
    let (profile, _) = propose(doc);
    profile.fields.into_iter().map(|(role, field)| (field, role)).collect()
}

/// `inspect --profile-out FILE`: write the proposed profile and report unmapped required roles
/// on stderr. Returns whether every required role was mapped.
pub fn write_proposal(doc: &Document, form: &Path, out: &Path, force: bool) -> Result<bool, Failure> {
    let mut proposal = propose_detailed(doc);
    proposal.profile.description = form.file_name().map(|n| format!("proposed for {}", n.to_string_lossy()));
    let flat = form_fields(doc).is_empty();
    let text = proposal.profile.to_toml_for(&proposal.notes, flat);
    crate::output::write_atomic(out, text.as_bytes(), force)?;
    eprintln!("wrote {} ({} roles mapped); review it before filling", out.display(), proposal.profile.fields.len());
    if flat {
        eprintln!("{}: the form has no fields; give each role a [boxes] entry by hand", form.display());
    }
    for key in &proposal.unmapped {
        eprintln!("unmapped required role: {key}");
    }
    Ok(proposal.unmapped.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_camel_case_digits_and_punctuation() {
        assert_eq!(tokens("CustomerTenantId"), ["customer", "tenant", "id"]);
        assert_eq!(tokens("SubscriptionId1"), ["subscription", "id", "1"]);
        assert_eq!(tokens("New CSP partner MPN ID"), ["new", "csp", "partner", "mpn", "id"]);
        assert_eq!(tokens("MPNId"), ["mpn", "id"]);
        assert_eq!(tokens("Partner admin e-mail"), ["partner", "admin", "email"]);
        assert_eq!(tokens("current_partner.admin.eMail"), ["current", "partner", "admin", "email"]);
    }

    fn best(text: &str, kind: FieldKind) -> Option<Slot> {
        let mut s = slots_for(&Concepts::of(text), Some(kind));
        s.sort_by_key(|s| std::cmp::Reverse(s.1));
        s.first().map(|s| s.0)
    }

    #[test]
    fn labels_map_to_roles() {
        use Party::*;
        let t = FieldKind::Text;
        let cases = [
            ("Customer Microsoft ID", Role::MicrosoftId(Customer)),
            ("CustomerTenantId", Role::MicrosoftId(Customer)),
            ("Partner admin e-mail", Role::AdminEmail(CurrentPartner)),
            ("Current Partner Organization Name", Role::Organization(CurrentPartner)),
            ("New CSP partner MPN ID", Role::MicrosoftId(NewPartner)),
            ("GainingPartnerContactPhone", Role::AdminPhone(NewPartner)),
            ("Customer Name", Role::Organization(Customer)),
            ("Customer signatory title", Role::SignerTitle(Customer)),
            ("Date signed (current partner)", Role::SignDate(CurrentPartner)),
            ("Customer primary domain", Role::Domain),
        ];
        for (text, role) in cases {
            assert_eq!(best(text, t), Some(Slot::Fixed(role)), "{text}");
        }
        assert_eq!(best("Subscription ID", t), Some(Slot::Subscription(None)));
        assert_eq!(best("SubscriptionId3", t), Some(Slot::Subscription(Some(3))));
        assert_eq!(best("chkResellerRelationship", FieldKind::Checkbox), Some(Slot::Fixed(Role::ResellerRelationship)));
        assert_eq!(best("Customer Microsoft ID", FieldKind::Checkbox), None);
    }

    #[test]
    fn profiles_are_validated() {
        assert!(Profile::from_toml("[fields]\n\"customer.microsoft_id\" = \"A\"\n").is_ok());
        let e = Profile::from_toml("[fields]\n\"customer.shoe_size\" = \"A\"\n").unwrap_err();
        assert!(e.contains("customer.shoe_size"), "{e}");
        let e = Profile::from_toml("[fields]\n\"customer.microsoft_id\" = \"A\"\n\"customer.organization\" = \"A\"\n")
            .unwrap_err();
        assert!(e.contains("mapped twice"), "{e}");
        let e = Profile::from_toml("[boxes]\n\"customer.organization\" = { page = 0, rect = [1, 1, 50, 20] }\n")
            .unwrap_err();
        assert!(e.contains("counted from 1"), "{e}");
        assert!(Profile::from_toml("[fieldz]\n").is_err());
        assert!(Profile::from_toml("not toml at all [").is_err());
    }

    #[test]
    fn toml_round_trips_in_form_order() {
        let mut p = Profile::default();
        p.fields.insert("subscriptions.2".into(), "S2".into());
        p.fields.insert("subscriptions.1".into(), "S \"one\"".into());
        p.fields.insert("current_partner.organization".into(), "Org".into());
        p.boxes.insert("customer.organization".into(), BoxSpec { page: 1, rect: [1.0, 2.0, 30.5, 20.0] });
        let text = p.to_toml(&BTreeMap::new());
        assert_eq!(Profile::from_toml(&text).unwrap(), p);
        assert!(text.find("current_partner.organization").unwrap() < text.find("subscriptions.1").unwrap());
        assert!(text.contains("# \"customer.microsoft_id\" = \"\"  # REQUIRED"));
    }
}
