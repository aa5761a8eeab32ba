//! The form: what a transfer form is, wherever it comes from.
//!
//! [`layout`] places every field of formtool's embedded form; [`template`] builds its blank
//! PDF with the [`font`]; [`code`] is the QR page code that ties a page to its transfer;
//! [`profile`] describes a foreign form (the official one included) by role, proposed from
//! field names and from what the page prints ([`page_text`] reads it with positions,
//! [`labels`] matches labels and headings to fields and writing spaces). Both end in one
//! [`FormModel`], the only description of a form that `fill` and `verify` use.
//!
//! This layer may use [`crate::pdf`], [`crate::input`] and [`crate::output`]; it never uses
//! a pipeline ([`crate::fill`], [`crate::verify`]) or a command.

pub mod code;
pub mod fit;
pub mod font;
pub mod labels;
pub mod layout;
pub mod page_text;
pub mod profile;
pub mod stamp;
pub mod template;
pub mod vocabulary;

pub use crate::pdf::{FieldKind, Rect};
pub use layout::{Party, Role};

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use crate::form::profile::{PageContent, Profile};

/// Where one role of the transfer lives on a form.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The field that carries it, on a form with fields.
    pub field: Option<String>,
    /// 1-based page, when known.
    pub page: Option<usize>,
    /// Its rectangle on that page in points, when known (always for a box of a flat form).
    pub rect: Option<Rect>,
    pub kind: FieldKind,
}

/// One party's signature box: where that party signs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignatureBox {
    pub party: Party,
    /// 1-based page.
    pub page: usize,
    pub rect: Rect,
}

/// Where the page code sits on one kind of page, with printed lines near it that confirm a
/// scan's orientation (`(x1, x2, y)`, horizontal rules).
#[derive(Debug, Clone, PartialEq)]
pub struct CodePlace {
    /// The 1-based page whose code sits here; on the embedded form, 2 stands for every
    /// continuation page (they share one layout).
    pub page: usize,
    pub code_box: Rect,
    pub rules: Vec<(f32, f32, f32)>,
    /// Where `fill` stamped the registration marks on this page of a foreign form (lower-left
    /// corners: bottom-left, bottom-right, top-left, top-right); `None` on the embedded form,
    /// whose marks are printed at the same places on every page.
    pub marks: Option<[[f32; 2]; 4]>,
}

/// Everything `fill` and `verify` know about a form: which roles it has and where each lives
/// (a field name, or a page and rectangle), the size of each page, the signature boxes, the
/// "on" state of each checkbox, and the blank form's SHA-256.
///
/// The embedded form's layout makes one ([`FormModel::embedded`]); a profile makes one for any
/// other form ([`FormModel::from_profile`]). No check reads an embedded field name or the
/// embedded layout directly: a check asks the model.
///
/// ```
/// use formtool::form::FormModel;
/// use formtool::form::layout::{Party, Role};
/// let form = FormModel::embedded();
/// assert_eq!(form.role_of_field("Customer_MicrosoftId"), Some(Role::MicrosoftId(Party::Customer)));
/// assert_eq!(form.signature_boxes.len(), 3);
/// assert!(form.signature_boxes.iter().all(|b| b.rect.width() >= 216.0 && b.rect.height() >= 54.0));
/// ```
#[derive(Debug, Clone)]
pub struct FormModel {
    /// How reports name the form.
    pub description: String,
    /// Whether this is formtool's own embedded form.
    pub embedded: bool,
    /// Hex SHA-256 of the blank form's bytes, when a profile records it (see
    /// [`FormModel::blank_digest`], which also knows the embedded form's).
    blank_sha256: Option<String>,
    /// `(width, height)` in points of each page of the blank form.
    pub page_sizes: Vec<(f32, f32)>,
    /// Every role the form has, and where.
    pub places: BTreeMap<Role, Place>,
    pub signature_boxes: Vec<SignatureBox>,
    /// What each blank page draws (foreign forms whose profile records it).
    pub page_content: Vec<PageContent>,
    /// Checkbox role → the name of its "on" appearance state.
    pub checkbox_on: BTreeMap<Role, String>,
    /// Where formtool's page code is: for the embedded form on its first page, then on a
    /// continuation page; for a foreign form, where `fill` stamps it on each page.
    pub code_places: Vec<CodePlace>,
    /// Field name → role, the reverse of `places`.
    by_field: HashMap<String, Role>,
    /// Subscription fields past those in `places` follow the embedded naming
    /// (`Subscription_11`, … on continuation pages).
    open_subscriptions: bool,
}

impl FormModel {
    /// The embedded form, from its layout (page 1; continuation pages add subscriptions only).
    pub fn embedded() -> &'static FormModel {
        // Laying out the page costs more than a whole check of a form; it never changes.
        static MODEL: OnceLock<FormModel> = OnceLock::new();
        MODEL.get_or_init(|| {
            let first = layout::first_page();
            let next = layout::continuation_page(2, layout::SUBSCRIPTIONS_ON_FIRST_PAGE + 1, 1, 2);
            let mut places = BTreeMap::new();
            let mut checkbox_on = BTreeMap::new();
            let mut signature_boxes = Vec::new();
            for f in &first.fields {
                places.insert(
                    f.role,
                    Place { field: Some(f.name.clone()), page: Some(1), rect: Some(f.rect), kind: f.kind },
                );
                match (f.kind, f.role) {
                    (FieldKind::Checkbox, role) => {
                        checkbox_on.insert(role, template::CHECKBOX_ON.to_string());
                    }
                    (FieldKind::Signature, Role::Signature(party)) => {
                        signature_boxes.push(SignatureBox { party, page: 1, rect: f.rect });
                    }
                    _ => {}
                }
            }
            let by_field = places.iter().filter_map(|(r, p)| p.field.clone().map(|f| (f, *r))).collect();
            FormModel {
                description: "formtool's embedded transfer form".to_string(),
                embedded: true,
                // Computed on demand: building the blank form to hash it costs more than
                // checking a form, and only some commands need it.
                blank_sha256: None,
                page_sizes: vec![(layout::PAGE_WIDTH, layout::PAGE_HEIGHT)],
                page_content: Vec::new(),
                places,
                signature_boxes,
                checkbox_on,
                code_places: vec![
                    CodePlace { page: 1, code_box: first.code_box, rules: first.rules.clone(), marks: None },
                    CodePlace { page: 2, code_box: next.code_box, rules: next.rules.clone(), marks: None },
                ],
                by_field,
                open_subscriptions: true,
            }
        })
    }

    /// A foreign form described by its profile. Roles in `[fields]` live in those fields (their
    /// rectangles, where the profile records them under `[widgets]`); roles in `[boxes]` are
    /// drawn at a page and rectangle. Signature boxes come from the signature roles' boxes, or
    /// the recorded rectangles of the signature fields.
    pub fn from_profile(profile: &Profile) -> FormModel {
        let mut places = BTreeMap::new();
        for (key, field) in &profile.fields {
            let Some(role) = Role::from_key(key) else { continue };
            let at = profile.widgets.get(key);
            places.insert(
                role,
                Place {
                    field: Some(field.clone()),
                    page: at.map(|b| b.page),
                    rect: at.map(|b| b.rect()),
                    kind: role.kind(),
                },
            );
        }
        for (key, b) in &profile.boxes {
            let Some(role) = Role::from_key(key) else { continue };
            places.insert(role, Place { field: None, page: Some(b.page), rect: Some(b.rect()), kind: role.kind() });
        }
        let signature_boxes = Party::ALL
            .iter()
            .filter_map(|party| {
                let place = places.get(&Role::Signature(*party))?;
                Some(SignatureBox { party: *party, page: place.page?, rect: place.rect? })
            })
            .collect();
        let checkbox_on = places
            .keys()
            .filter(|r| r.kind() == FieldKind::Checkbox)
            .map(|r| (*r, profile.checkbox_on.get(&r.key()).cloned().unwrap_or_else(|| "Yes".to_string())))
            .collect();
        let by_field = places.iter().filter_map(|(r, p)| p.field.clone().map(|f| (f, *r))).collect();
        FormModel {
            description: profile.description.clone().unwrap_or_else(|| "a form described by a profile".to_string()),
            embedded: false,
            blank_sha256: profile.blank_sha256.clone(),
            page_sizes: profile.page_sizes.iter().map(|s| (s[0], s[1])).collect(),
            page_content: profile.page_content.clone(),
            places,
            signature_boxes,
            checkbox_on,
            code_places: profile
                .page_code
                .iter()
                .filter_map(|s| {
                    Some(CodePlace { page: s.page, code_box: s.code_box()?, rules: Vec::new(), marks: s.marks })
                })
                .collect(),
            by_field,
            open_subscriptions: false,
        }
    }

    /// Hex SHA-256 of the blank form's bytes, when known.
    pub fn blank_digest(&self) -> Option<&str> {
        if self.embedded { Some(template::blank_sha256()) } else { self.blank_sha256.as_deref() }
    }

    /// The role a field of this form carries, if any.
    pub fn role_of_field(&self, name: &str) -> Option<Role> {
        if let Some(role) = self.by_field.get(name) {
            return Some(*role);
        }
        if self.open_subscriptions {
            return match Role::from_field_name(name) {
                Some(Role::Subscription(n)) => Some(Role::Subscription(n)),
                _ => None,
            };
        }
        None
    }

    /// The field that carries `role`, if the form has one.
    pub fn field_of(&self, role: Role) -> Option<String> {
        if let Some(place) = self.places.get(&role) {
            return place.field.clone();
        }
        match role {
            Role::Subscription(_) if self.open_subscriptions => Some(role.field_name()),
            _ => None,
        }
    }

    /// Whether the form has a place for `role`.
    pub fn has(&self, role: Role) -> bool {
        self.places.contains_key(&role) || matches!(role, Role::Subscription(_) if self.open_subscriptions)
    }

    /// The signature box of `party`, if the form has one.
    pub fn signature_box(&self, party: Party) -> Option<&SignatureBox> {
        self.signature_boxes.iter().find(|b| b.party == party)
    }

    /// Place `party`'s signature box (and its field's widget) at `page` and `rect`.
    pub fn place_signature(&mut self, party: Party, page: usize, rect: Rect) {
        if let Some(place) = self.places.get_mut(&Role::Signature(party)) {
            place.page = Some(page);
            place.rect = Some(rect);
        }
        self.signature_boxes.retain(|b| b.party != party);
        self.signature_boxes.push(SignatureBox { party, page, rect });
    }

    /// Why `doc` is not a fill of this form, if it is not: one of its pages no longer draws
    /// what the blank page drew (or the page count or sizes differ).
    pub fn not_a_fill(&self, doc: &lopdf::Document) -> Option<String> {
        if self.page_content.is_empty() {
            return None;
        }
        let pages = doc.get_pages();
        if pages.len() < self.page_content.len() {
            return Some(format!("it has {} page(s), the form {}", pages.len(), self.page_content.len()));
        }
        for (n, blank) in self.page_content.iter().enumerate() {
            let Some(id) = pages.get(&(n as u32 + 1)) else { continue };
            let content = crate::pdf::limits::page_content(doc, *id).unwrap_or_default();
            if !blank.drawn_by(&content) {
                return Some(format!("page {} does not draw what the blank form's page {} draws", n + 1, n + 1));
            }
        }
        None
    }

    /// How many pages a filled copy carrying `subscriptions` subscriptions has.
    pub fn pages_for(&self, subscriptions: usize) -> usize {
        if self.embedded { layout::pages_for(subscriptions).len() } else { self.page_sizes.len().max(1) }
    }

    /// How many of `names` (a PDF's field names) this form has a role for.
    pub fn recognised<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> usize {
        names.into_iter().filter(|n| self.role_of_field(n).is_some()).count()
    }
}
