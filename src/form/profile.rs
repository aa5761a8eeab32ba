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
//! [`propose`] writes a first profile by recognising field names, tooltips and the labels
//! printed beside each field, or on a form without fields its writing spaces (see
//! [`propose_detailed`] for the rules); `formtool inspect FORM --profile-out FILE` saves it
//! for review.
//! [`fill_foreign`] fills any form with a profile:
//!
//! ```
//! use formtool::{form::profile, input};
//! // formtool's own blank form is also "a form with fields": propose recognises every name.
//! let pdf = formtool::form::template::blank_form();
//! let doc = lopdf::Document::load_mem(&pdf).unwrap();
//! let (proposed, unmapped) = profile::propose(&doc);
//! assert!(unmapped.is_empty());
//! assert_eq!(proposed.fields["customer.microsoft_id"], "Customer_MicrosoftId");
//!
//! let loaded = input::load("fixtures/transfer.toml".as_ref(), false).unwrap();
//! let filled = formtool::fill::foreign::fill_foreign(&pdf, &proposed, &loaded.transfers[0]).unwrap();
//! let doc = lopdf::Document::load_mem(&filled).unwrap();
//! let fields = formtool::pdf::form_fields(&doc);
//! let id = fields.iter().find(|f| f.name == "Customer_MicrosoftId").unwrap();
//! assert_eq!(id.value.as_deref(), Some("0c7d2a9f-1e3b-4c5d-8e6f-7a8b9c0d1e2f"));
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use lopdf::Document;
use serde::{Deserialize, Serialize};

use crate::error::Failure;
use crate::form::labels::PageLabels;
use crate::form::layout::{FieldKind, Party, Rect, Role};
pub use crate::form::vocabulary::{Concepts, concepts_of, names_party, section_words, tokens};
use crate::pdf::{FormField, decode_text_string, form_fields, get, num};

/// Largest profile file formtool reads.
const MAX_PROFILE_BYTES: u64 = 1024 * 1024;

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
    /// Hex SHA-256 of the blank form the profile was written for (`inspect --profile-out`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blank_sha256: Option<String>,
    /// `[width, height]` in points of each page of the blank form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page_sizes: Vec<[f32; 2]>,
    /// Role key → where the widget of its field sits on the blank form (page and rectangle):
    /// the signature boxes and the places a scan is read at.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub widgets: BTreeMap<String, BoxSpec>,
    /// Each blank page's content (decoded, trailing white space trimmed): its SHA-256 and
    /// length. A returned file is a fill of this form only if each of its pages still draws it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page_content: Vec<PageContent>,
    /// Where `fill` stamps formtool's page code and registration marks on each page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page_code: Vec<crate::form::stamp::PageStamp>,
    /// Checkbox role key → the name of its "on" appearance state (default `Yes`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checkbox_on: BTreeMap<String, String>,
}

/// What a blank page draws, as a digest: see [`Profile::page_content`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageContent {
    pub sha256: String,
    pub length: usize,
}

impl PageContent {
    /// The digest of a page's decoded content.
    pub fn of(content: &[u8]) -> PageContent {
        let trimmed = content.trim_ascii_end();
        PageContent { sha256: crate::pdf::sha256_hex(trimmed), length: trimmed.len() }
    }

    /// Whether `content` (a page of a filled copy) still draws this blank content: it appears
    /// whole near the start (filling may wrap it in `q … Q` and add content after it).
    pub fn drawn_by(&self, content: &[u8]) -> bool {
        (0..=32).any(|start| {
            content.get(start..start + self.length).is_some_and(|s| crate::pdf::sha256_hex(s) == self.sha256)
        })
    }
}

/// A place on a page: 1-based page number and `[x1, y1, x2, y2]` in PDF points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxSpec {
    pub page: usize,
    pub rect: [f32; 4],
}

impl BoxSpec {
    pub fn rect(&self) -> Rect {
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
        for key in self.widgets.keys().chain(self.checkbox_on.keys()) {
            role_of(key)?;
        }
        if self.page_sizes.iter().flatten().any(|v| !v.is_finite() || *v <= 0.0) {
            return Err("page_sizes must be [width, height] pairs of positive numbers".to_string());
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
        if let Some(digest) = &self.blank_sha256 {
            out.push_str(&format!(
                "# The blank form this profile describes, and its pages (points).\nblank_sha256 = {}\n",
                q(digest)
            ));
        }
        if !self.page_sizes.is_empty() {
            let sizes: Vec<String> =
                self.page_sizes.iter().map(|s| format!("[{}, {}]", num(s[0]), num(s[1]))).collect();
            out.push_str(&format!("page_sizes = [{}]\n", sizes.join(", ")));
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
                    let note = notes.get(&key).map(|n| format!("  # {n}")).unwrap_or_default();
                    out.push_str(&format!("{} = {}{note}\n", q(&key), box_toml(b)));
                }
            }
        }
        if !self.page_content.is_empty() {
            out.push_str(
                "\n# What each blank page draws: a returned file must still draw it to be a fill of this form.\n",
            );
            for page in &self.page_content {
                out.push_str(&format!("[[page_content]]\nsha256 = {}\nlength = {}\n", q(&page.sha256), page.length));
            }
        }
        if !self.page_code.is_empty() {
            out.push_str("\n# Where `fill` stamps the page code and the four registration marks (points).\n");
            for s in &self.page_code {
                out.push_str(&format!("[[page_code]]\npage = {}\n", s.page));
                if let Some(m) = s.marks {
                    let corners: Vec<String> = m.iter().map(|[x, y]| format!("[{}, {}]", num(*x), num(*y))).collect();
                    out.push_str(&format!("marks = [{}]\n", corners.join(", ")));
                }
                if let Some(r) = s.code {
                    out.push_str(&format!("code = [{}, {}, {}, {}]\n", num(r[0]), num(r[1]), num(r[2]), num(r[3])));
                }
            }
        }
        if !self.widgets.is_empty() {
            out.push_str(
                "\n# Where each field's widget sits on the blank form (signature boxes, scan reading).\n[widgets]\n",
            );
            for role in &roles {
                let key = role.key();
                if let Some(b) = self.widgets.get(&key) {
                    out.push_str(&format!("{} = {}\n", q(&key), box_toml(b)));
                }
            }
        }
        if !self.checkbox_on.is_empty() {
            out.push_str("\n[checkbox_on]\n");
            for (key, state) in &self.checkbox_on {
                out.push_str(&format!("{} = {}\n", q(key), q(state)));
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

/// A box as an inline TOML table.
fn box_toml(b: &BoxSpec) -> String {
    let r = b.rect;
    format!("{{ page = {}, rect = [{}, {}, {}, {}] }}", b.page, num(r[0]), num(r[1]), num(r[2]), num(r[3]))
}

pub fn role_of(key: &str) -> Result<Role, String> {
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

/// One field (or, on a form without fields, one writing space) as the recogniser sees it.
struct Candidate {
    name: String,
    kind: Option<FieldKind>,
    /// Field name and tooltip (`/TU`), each recognised on its own.
    texts: Vec<String>,
    /// What the page prints beside it: label and section heading (see [`crate::form::labels`]).
    page_text: Option<String>,
    /// The writing space itself, on a form without fields: proposed as a box.
    place: Option<BoxSpec>,
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
/// 1. Each field's name, its tooltip (`/TU`) and what the page prints beside it are read
///    separately. A name of formtool's own form (`Customer_MicrosoftId`) is taken as is. The
///    page text ([`crate::form::labels`]) is the label to the field's left or just above it,
///    after the party words of its section heading ("Microsoft ID" under "Section 2.
///    Customer" reads "customer Microsoft ID"); for a checkbox, the sentence after it; for a
///    signature field whose label and heading name no party, the nearest line that does.
///    It scores one point more than the same reading of a name or tooltip: a field named
///    `Text7` is known by its label alone, and where name and label disagree the label wins.
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
/// 7. A form without fields gets `[boxes]` the same way: each writing space the page draws
///    (the rule or rectangle by a label, else the free space after the label, the
///    square before an attestation sentence, the rectangle by "Signature") is a candidate,
///    read by its label and heading.
pub fn propose_detailed(doc: &Document) -> Proposal {
    let page = PageLabels::read(doc);
    let mut candidates = candidates(doc);
    if candidates.is_empty() {
        candidates = spot_candidates(&page);
    } else if page.has_text() {
        describe_candidates(doc, &page, &mut candidates);
    }
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
        // The printed label counts like a name or tooltip, and one point more: where the name
        // and the page disagree, a reviewer reads the page.
        if let Some(text) = &c.page_text {
            let t = c.texts.len();
            for (slot, score) in slots_for(&Concepts::of(text), c.kind) {
                let e = best.entry(slot).or_insert((score + 1, t));
                if score + 1 > e.0 {
                    *e = (score + 1, t);
                } else if score + 1 == e.0 {
                    e.0 += 1;
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
        let c = &candidates[i];
        if proposal.profile.boxes.contains_key(&key) {
            continue;
        }
        taken_fields.insert(i);
        if let Some(place) = c.place {
            proposal.profile.boxes.insert(key.clone(), place);
            if let Some(text) = &c.page_text {
                proposal.notes.insert(key, format!("label: {text}"));
            }
            continue;
        }
        proposal.profile.fields.insert(key.clone(), c.name.clone());
        if t == c.texts.len() {
            if let Some(text) = &c.page_text {
                proposal.notes.insert(key, format!("label: {text}"));
            }
        } else if let Some(text) = c.texts.get(t).filter(|text| **text != c.name) {
            proposal.notes.insert(key, format!("tooltip: {text}"));
        }
    }
    proposal.unmapped = proposal.profile.missing_required();
    record_geometry(doc, &mut proposal.profile);
    proposal
}

/// Record what verifying needs besides field names: each page's size, where each mapped
/// field's widget sits, and each checkbox's "on" state.
pub fn record_geometry(doc: &Document, profile: &mut Profile) {
    profile.page_code = crate::form::stamp::plan(doc);
    profile.page_content = doc
        .get_pages()
        .values()
        .map(|id| PageContent::of(&crate::pdf::limits::page_content(doc, *id).unwrap_or_default()))
        .collect();
    profile.page_sizes = doc
        .get_pages()
        .values()
        .map(|id| {
            let media = crate::pdf::page_media_box(doc, *id).unwrap_or(Rect::new(0.0, 0.0, 612.0, 792.0));
            [media.width(), media.height()]
        })
        .collect();
    let fields = form_fields(doc);
    let by_name: HashMap<&str, &FormField> = fields.iter().map(|f| (f.name.as_str(), f)).collect();
    profile.widgets.clear();
    profile.checkbox_on.clear();
    for (key, name) in &profile.fields {
        let Some(field) = by_name.get(name.as_str()) else { continue };
        let Some(widget) = field.first_widget() else { continue };
        if let (Some(page), Some(r)) = (widget.page, widget.rect) {
            profile.widgets.insert(key.clone(), BoxSpec { page, rect: [r.x1, r.y1, r.x2, r.y2] });
        }
        if field.kind == Some(FieldKind::Checkbox)
            && let Some(on) = widget
                .id
                .and_then(|id| crate::pdf::checkbox_on_state(doc, id))
                .map(|s| String::from_utf8_lossy(&s).into_owned())
        {
            profile.checkbox_on.insert(key.clone(), on);
        }
    }
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
            Candidate {
                name: f.name,
                kind: f.kind,
                texts,
                page_text: None,
                place: None,
                order: (page, top, left, index),
            }
        })
        .collect();
    out.sort_by_key(|c| c.order);
    out
}

/// Give each field what the page prints beside its widget.
fn describe_candidates(doc: &Document, page: &PageLabels, candidates: &mut [Candidate]) {
    let fields = form_fields(doc);
    let by_name: HashMap<&str, &FormField> = fields.iter().map(|f| (f.name.as_str(), f)).collect();
    for c in candidates {
        let Some(w) = by_name.get(c.name.as_str()).and_then(|f| f.first_widget()) else { continue };
        if let (Some(p), Some(r)) = (w.page, w.rect) {
            c.page_text = page.describe(p, r.normalized(), c.kind);
        }
    }
}

/// A form without fields: each writing space the page draws is a candidate for a box.
fn spot_candidates(page: &PageLabels) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = page
        .writing_spaces()
        .into_iter()
        .enumerate()
        .map(|(index, s)| Candidate {
            name: String::new(),
            kind: Some(s.kind),
            texts: Vec::new(),
            page_text: Some(s.text),
            // To the hundredth of a point, as the profile writes it: what is proposed is what
            // is saved.
            place: Some(BoxSpec { page: s.page, rect: [s.rect.x1, s.rect.y1, s.rect.x2, s.rect.y2].map(hundredths) }),
            order: (s.page, -(s.rect.y2 as i64), s.rect.x1 as i64, index),
        })
        .collect();
    out.sort_by_key(|c| c.order);
    out
}

fn hundredths(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
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

/// Field name → role key, as proposed: what `inspect` shows for a foreign form.
pub fn field_roles(doc: &Document) -> HashMap<String, String> {
    let (profile, _) = propose(doc);
    profile.fields.into_iter().map(|(role, field)| (field, role)).collect()
}

/// The proposal for the blank form `doc` (whose bytes are `blank`, named `name`), and the
/// profile as TOML with the digest of the blank form.
pub fn proposal_toml(doc: &Document, blank: &[u8], name: &str) -> (Proposal, String) {
    let mut proposal = propose_detailed(doc);
    proposal.profile.blank_sha256 = Some(crate::pdf::sha256_hex(blank));
    proposal.profile.description = Some(format!("proposed for {name}"));
    let flat = form_fields(doc).is_empty();
    let text = proposal.profile.to_toml_for(&proposal.notes, flat);
    (proposal, text)
}

/// `inspect --profile-out FILE`: write the proposed profile and report unmapped required roles
/// on stderr. Returns whether every required role was mapped.
pub fn write_proposal(doc: &Document, blank: &[u8], form: &Path, out: &Path, force: bool) -> Result<bool, Failure> {
    let name = form.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (proposal, text) = proposal_toml(doc, blank, &name);
    let flat = form_fields(doc).is_empty();
    crate::output::write_atomic(out, text.as_bytes(), force)?;
    let mapped = proposal.profile.fields.len() + proposal.profile.boxes.len();
    eprintln!("wrote {} ({mapped} roles mapped); review it before filling", out.display());
    if flat {
        eprintln!(
            "{}: the form has no fields; its writing spaces were proposed as [boxes] from the printed labels",
            form.display()
        );
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
