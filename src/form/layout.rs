//! The embedded transfer form as data: every field of SPEC section 4 with its exact name, type,
//! role, page and box, plus the static drawing (headings, labels, registration marks) around
//! them. The template writer, the filler and the scan reader all read this one description, so
//! a box is where the checks look for it by construction.
//!
//! Coordinates are PDF user space in points (1/72 in), origin at the bottom left of a US Letter
//! page (612 × 792). All content stays inside x ∈ [28, 584] so that the page prints on A4
//! (595 pt wide) at 100 % without clipping.
//!
//! ```
//! use formtool::form::layout::{self, Role, Party};
//! let page1 = layout::first_page();
//! let sig = page1.field("Customer_Signature").unwrap();
//! assert_eq!(sig.role, Role::Signature(Party::Customer));
//! assert!(sig.rect.width() >= 216.0 && sig.rect.height() >= 54.0); // 3 in × 0.75 in
//! ```

use std::fmt;

pub use crate::pdf::{FieldKind, Rect};

/// US Letter, in points.
pub const PAGE_WIDTH: f32 = 612.0;
pub const PAGE_HEIGHT: f32 = 792.0;
/// Subscriptions printed on page 1; more go on continuation pages.
pub const SUBSCRIPTIONS_ON_FIRST_PAGE: usize = 10;
/// Subscriptions on one continuation page (two columns).
pub const SUBSCRIPTIONS_PER_CONTINUATION_PAGE: usize = 60;
/// Version of the embedded form, carried in the page code so a scan names the layout it used.
pub const FORM_VERSION: u32 = 1;
/// Side of the solid square registration marks.
pub const MARK_SIZE: f32 = 14.0;

/// The three parties that sign the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    CurrentPartner,
    Customer,
    NewPartner,
}

impl Party {
    pub const ALL: [Party; 3] = [Party::CurrentPartner, Party::Customer, Party::NewPartner];

    /// The prefix of this party's field names: `CurrentPartner`, `Customer`, `NewPartner`.
    pub fn field_prefix(self) -> &'static str {
        match self {
            Party::CurrentPartner => "CurrentPartner",
            Party::Customer => "Customer",
            Party::NewPartner => "NewPartner",
        }
    }

    /// The key of this party in input files and check ids: `current_partner`, ...
    pub fn key(self) -> &'static str {
        match self {
            Party::CurrentPartner => "current_partner",
            Party::Customer => "customer",
            Party::NewPartner => "new_partner",
        }
    }

    /// How the party is named to a person.
    pub fn title(self) -> &'static str {
        match self {
            Party::CurrentPartner => "Current partner",
            Party::Customer => "Customer",
            Party::NewPartner => "New partner",
        }
    }
}

/// What a field means to the transfer. Its string form (see [`Role::key`]) is the key path of
/// the same value in the input, and is what `inspect` prints and profiles map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Organization(Party),
    MicrosoftId(Party),
    /// Postal address (partners only).
    Address(Party),
    /// The customer's tenant domain.
    Domain,
    AdminName(Party),
    AdminEmail(Party),
    AdminPhone(Party),
    /// The n-th subscription, counted from 1.
    Subscription(usize),
    ResellerRelationship,
    CustomerAgreement,
    SignerName(Party),
    SignerTitle(Party),
    SignDate(Party),
    Signature(Party),
}

impl Role {
    /// The key path of this role, e.g. `current_partner.admin.email`, `subscriptions.3`,
    /// `attestations.customer_agreement`, `signers.customer.title`, `signature.customer`.
    pub fn key(&self) -> String {
        match self {
            Role::Organization(p) => format!("{}.organization", p.key()),
            Role::MicrosoftId(p) => format!("{}.microsoft_id", p.key()),
            Role::Address(p) => format!("{}.address", p.key()),
            Role::Domain => "customer.domain".to_string(),
            Role::AdminName(p) => format!("{}.admin.name", p.key()),
            Role::AdminEmail(p) => format!("{}.admin.email", p.key()),
            Role::AdminPhone(p) => format!("{}.admin.phone", p.key()),
            Role::Subscription(n) => format!("subscriptions.{n}"),
            Role::ResellerRelationship => "attestations.reseller_relationship".to_string(),
            Role::CustomerAgreement => "attestations.customer_agreement".to_string(),
            Role::SignerName(p) => format!("signers.{}.name", p.key()),
            Role::SignerTitle(p) => format!("signers.{}.title", p.key()),
            Role::SignDate(p) => format!("signers.{}.date", p.key()),
            Role::Signature(p) => format!("signature.{}", p.key()),
        }
    }

    /// Parse a key written by [`Role::key`].
    pub fn from_key(key: &str) -> Option<Role> {
        if let Some(n) = key.strip_prefix("subscriptions.") {
            return n.parse().ok().filter(|n| *n >= 1).map(Role::Subscription);
        }
        Role::all_fixed().into_iter().find(|r| r.key() == key)
    }

    /// Every role except subscriptions, in form order.
    pub fn all_fixed() -> Vec<Role> {
        let mut roles = Vec::new();
        for p in [Party::CurrentPartner, Party::Customer, Party::NewPartner] {
            roles.push(Role::Organization(p));
            roles.push(Role::MicrosoftId(p));
            if p == Party::Customer {
                roles.push(Role::Domain);
            } else {
                roles.push(Role::Address(p));
                roles.push(Role::AdminName(p));
                roles.push(Role::AdminEmail(p));
                roles.push(Role::AdminPhone(p));
            }
        }
        roles.push(Role::ResellerRelationship);
        roles.push(Role::CustomerAgreement);
        for p in Party::ALL {
            roles.push(Role::SignerName(p));
            roles.push(Role::SignerTitle(p));
            roles.push(Role::SignDate(p));
            roles.push(Role::Signature(p));
        }
        roles
    }

    /// The field name of this role on the embedded form (SPEC section 4).
    pub fn field_name(&self) -> String {
        match self {
            Role::Organization(p) => format!("{}_Organization", p.field_prefix()),
            Role::MicrosoftId(p) => format!("{}_MicrosoftId", p.field_prefix()),
            Role::Address(p) => format!("{}_Address", p.field_prefix()),
            Role::Domain => "Customer_Domain".to_string(),
            Role::AdminName(p) => format!("{}_AdminName", p.field_prefix()),
            Role::AdminEmail(p) => format!("{}_AdminEmail", p.field_prefix()),
            Role::AdminPhone(p) => format!("{}_AdminPhone", p.field_prefix()),
            Role::Subscription(n) => format!("Subscription_{n}"),
            Role::ResellerRelationship => "NewPartner_ResellerRelationship".to_string(),
            Role::CustomerAgreement => "Customer_AgreementAccepted".to_string(),
            Role::SignerName(p) => format!("{}_SignerName", p.field_prefix()),
            Role::SignerTitle(p) => format!("{}_SignerTitle", p.field_prefix()),
            Role::SignDate(p) => format!("{}_SignDate", p.field_prefix()),
            Role::Signature(p) => format!("{}_Signature", p.field_prefix()),
        }
    }

    /// The role of an embedded-form field name, if it is one.
    pub fn from_field_name(name: &str) -> Option<Role> {
        if let Some(n) = name.strip_prefix("Subscription_") {
            return n.parse().ok().filter(|n| *n >= 1).map(Role::Subscription);
        }
        // Called for every field of every verified form: the names are built once.
        static FIXED: std::sync::OnceLock<std::collections::HashMap<String, Role>> = std::sync::OnceLock::new();
        FIXED.get_or_init(|| Role::all_fixed().into_iter().map(|r| (r.field_name(), r)).collect()).get(name).copied()
    }

    pub fn kind(&self) -> FieldKind {
        match self {
            Role::ResellerRelationship | Role::CustomerAgreement => FieldKind::Checkbox,
            Role::Signature(_) => FieldKind::Signature,
            _ => FieldKind::Text,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// One field of the embedded form.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    pub name: String,
    pub role: Role,
    pub kind: FieldKind,
    pub rect: Rect,
    /// The printed label next to or above the box.
    pub label: String,
}

/// Static text drawn on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub bold: bool,
    pub text: String,
}

/// One page of the form: what is printed and where the fields are.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSpec {
    /// 1-based page number.
    pub number: usize,
    pub labels: Vec<Label>,
    /// Thin horizontal rules under section headings: `(x1, x2, y)`.
    pub rules: Vec<(f32, f32, f32)>,
    pub fields: Vec<FieldSpec>,
    /// Where the filled form prints its machine-readable page code.
    pub code_box: Rect,
}

impl PageSpec {
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Lower-left corners of the four solid registration marks, the same on every page:
/// bottom-left, bottom-right, top-left, top-right.
pub fn registration_marks() -> [(f32, f32); 4] {
    let (lo, hi_x, hi_y) = (28.0, PAGE_WIDTH - 28.0 - MARK_SIZE, PAGE_HEIGHT - 28.0 - MARK_SIZE);
    [(lo, lo), (hi_x, lo), (lo, hi_y), (hi_x, hi_y)]
}

const LEFT: f32 = 40.0;
const RIGHT: f32 = 572.0;
const FIELD_HEIGHT: f32 = 15.0;
const ROW: f32 = 26.0;
const SUB_ROW: f32 = 17.0;
const HEADING: f32 = 16.0;
const GAP: f32 = 4.0;

/// Builds a page top-down with a cursor, so the layout reads like the form.
struct PageBuilder {
    page: PageSpec,
    y: f32,
}

impl PageBuilder {
    fn new(number: usize, title: &str, subtitle: &str) -> PageBuilder {
        let mut page = PageSpec {
            number,
            labels: Vec::new(),
            rules: Vec::new(),
            fields: Vec::new(),
            code_box: Rect::new(0.0, 0.0, 0.0, 0.0),
        };
        let top = 740.0;
        page.labels.push(Label { x: LEFT, y: top - 15.0, size: 14.0, bold: true, text: title.to_string() });
        page.labels.push(Label { x: LEFT, y: top - 30.0, size: 7.5, bold: false, text: subtitle.to_string() });
        PageBuilder { page, y: top - 38.0 }
    }

    fn heading(&mut self, text: &str) {
        let baseline = self.y - 11.0;
        self.page.labels.push(Label { x: LEFT, y: baseline, size: 9.5, bold: true, text: text.to_string() });
        self.page.rules.push((LEFT, RIGHT, baseline - 3.0));
        self.y -= HEADING;
    }

    /// A row of text fields with their labels above them: `(role, label, x1, x2)`.
    fn text_row(&mut self, cells: &[(Role, &str, f32, f32)]) {
        for (role, label, x1, x2) in cells {
            self.page.labels.push(Label { x: *x1, y: self.y - 7.0, size: 6.5, bold: false, text: label.to_string() });
            self.add_field(*role, label, Rect::new(*x1, self.y - 9.0 - FIELD_HEIGHT, *x2, self.y - 9.0));
        }
        self.y -= ROW;
    }

    fn add_field(&mut self, role: Role, label: &str, rect: Rect) {
        self.page.fields.push(FieldSpec {
            name: role.field_name(),
            role,
            kind: role.kind(),
            rect,
            label: label.to_string(),
        });
    }

    fn party_rows(&mut self, party: Party) {
        let (p, n) = (party, party.title());
        self.text_row(&[
            (Role::Organization(p), "Organization name", LEFT, 372.0),
            (Role::MicrosoftId(p), "Microsoft ID (Partner Center)", 380.0, RIGHT),
        ]);
        self.text_row(&[(Role::Address(p), "Address", LEFT, RIGHT)]);
        let admin = format!("{n} admin: name");
        self.text_row(&[
            (Role::AdminName(p), admin.as_str(), LEFT, 220.0),
            (Role::AdminEmail(p), "Admin email", 228.0, 420.0),
            (Role::AdminPhone(p), "Admin phone", 428.0, RIGHT),
        ]);
    }

    /// Subscription boxes in two columns, `rows` deep, numbered from `first`.
    fn subscription_columns(&mut self, first: usize, count: usize, rows: usize) {
        let top = self.y;
        for i in 0..count {
            let (col, row) = (i / rows, i % rows);
            let n = first + i;
            let x = LEFT + col as f32 * 218.0;
            let y_top = top - row as f32 * SUB_ROW;
            self.page.labels.push(Label { x, y: y_top - 12.0, size: 7.0, bold: false, text: format!("{n}.") });
            self.add_field(
                Role::Subscription(n),
                &format!("Subscription {n}"),
                Rect::new(x + 16.0, y_top - 15.0, x + 210.0, y_top - 1.0),
            );
        }
        self.y = top - rows as f32 * SUB_ROW;
    }

    fn checkbox_line(&mut self, role: Role, text: &str) {
        let y_top = self.y;
        self.add_field(role, text, Rect::new(LEFT + 2.0, y_top - 13.0, LEFT + 13.0, y_top - 2.0));
        self.page.labels.push(Label {
            x: LEFT + 20.0,
            y: y_top - 10.5,
            size: 8.0,
            bold: false,
            text: text.to_string(),
        });
        self.y -= 16.0;
    }

    fn signature_block(&mut self, party: Party) {
        let top = self.y;
        self.page.labels.push(Label {
            x: LEFT,
            y: top - 8.0,
            size: 7.5,
            bold: true,
            text: format!("{} signature (sign inside the box)", party.title()),
        });
        let box_top = top - 11.0;
        self.add_field(
            Role::Signature(party),
            &format!("{} signature", party.title()),
            Rect::new(LEFT, box_top - 56.0, LEFT + 232.0, box_top),
        );
        let rows = [
            (Role::SignerName(party), "Printed name"),
            (Role::SignerTitle(party), "Title"),
            (Role::SignDate(party), "Date"),
        ];
        for (i, (role, label)) in rows.into_iter().enumerate() {
            let row_top = box_top - i as f32 * 19.5;
            self.page.labels.push(Label {
                x: 290.0,
                y: row_top - 11.0,
                size: 7.0,
                bold: false,
                text: label.to_string(),
            });
            self.add_field(role, label, Rect::new(340.0, row_top - 16.0, RIGHT, row_top - 1.0));
        }
        self.y = box_top - 56.0 - 6.0;
    }

    fn gap(&mut self) {
        self.y -= GAP;
    }

    fn finish(mut self, total_pages: Option<usize>) -> PageSpec {
        let footer = match total_pages {
            Some(n) => format!("formtool transfer form v{FORM_VERSION} · page {} of {n}", self.page.number),
            None => format!("formtool transfer form v{FORM_VERSION} · page {}", self.page.number),
        };
        self.page.labels.push(Label { x: LEFT + 20.0, y: 32.0, size: 6.5, bold: false, text: footer });
        self.page
    }
}

/// Page 1 of the embedded form: every field of SPEC section 4 with subscriptions 1 to 10.
pub fn first_page() -> PageSpec {
    first_page_of(None)
}

/// Page 1, with a footer that says how many pages the filled form has.
pub fn first_page_of(total_pages: Option<usize>) -> PageSpec {
    let mut b = PageBuilder::new(
        1,
        "Azure subscription transfer between CSP partners",
        "Completed by the current partner, then the customer and the new partner. Microsoft support calls both \
         partner admins to confirm. All three parties sign.",
    );
    b.heading("1. Current partner");
    b.party_rows(Party::CurrentPartner);
    b.gap();
    b.heading("2. Customer");
    b.text_row(&[
        (Role::Organization(Party::Customer), "Organization name", LEFT, 220.0),
        (Role::MicrosoftId(Party::Customer), "Customer Microsoft ID (tenant)", 228.0, 420.0),
        (Role::Domain, "Domain", 428.0, RIGHT),
    ]);
    b.gap();
    b.heading("3. Azure subscription IDs to transfer");
    let code_top = b.y;
    b.subscription_columns(1, SUBSCRIPTIONS_ON_FIRST_PAGE, 5);
    b.page.code_box = Rect::new(RIGHT - 96.0, code_top - 97.0, RIGHT, code_top - 1.0);
    b.y = b.y.min(code_top - 97.0);
    b.gap();
    b.heading("4. New partner");
    b.party_rows(Party::NewPartner);
    b.gap();
    b.heading("5. Attestations (tick only if true)");
    b.checkbox_line(Role::ResellerRelationship, "The new partner has a reseller relationship with the customer.");
    b.checkbox_line(Role::CustomerAgreement, "The customer has accepted the Microsoft Customer Agreement.");
    b.gap();
    b.heading("6. Signatures");
    for party in Party::ALL {
        b.signature_block(party);
    }
    b.finish(total_pages)
}

/// A continuation page carrying subscriptions `first ..= first + count - 1`.
pub fn continuation_page(number: usize, first: usize, count: usize, total_pages: usize) -> PageSpec {
    let count = count.min(SUBSCRIPTIONS_PER_CONTINUATION_PAGE);
    let mut b = PageBuilder::new(
        number,
        "Azure subscription transfer: more subscription IDs",
        "Continuation of section 3. This page belongs to the form whose page 1 carries the same code.",
    );
    b.heading("3. Azure subscription IDs to transfer (continued)");
    let code_top = b.y;
    b.subscription_columns(first, count, SUBSCRIPTIONS_PER_CONTINUATION_PAGE / 2);
    b.page.code_box = Rect::new(RIGHT - 96.0, code_top - 97.0, RIGHT, code_top - 1.0);
    b.finish(Some(total_pages))
}

/// The number (1-based) of the first subscription printed on continuation page `page` (≥ 2):
/// ten on page 1, then sixty on each continuation page.
pub fn first_subscription_on_page(page: usize) -> usize {
    SUBSCRIPTIONS_ON_FIRST_PAGE + 1 + page.saturating_sub(2) * SUBSCRIPTIONS_PER_CONTINUATION_PAGE
}

/// All pages of a form carrying `subscriptions` subscriptions (at least page 1).
pub fn pages_for(subscriptions: usize) -> Vec<PageSpec> {
    let extra = subscriptions.saturating_sub(SUBSCRIPTIONS_ON_FIRST_PAGE);
    let continuation = extra.div_ceil(SUBSCRIPTIONS_PER_CONTINUATION_PAGE);
    let total = 1 + continuation;
    let mut pages = vec![first_page_of(if total > 1 { Some(total) } else { None })];
    for k in 0..continuation {
        let first = first_subscription_on_page(2 + k);
        let count = (subscriptions + 1 - first).min(SUBSCRIPTIONS_PER_CONTINUATION_PAGE);
        pages.push(continuation_page(2 + k, first, count, total));
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_page_has_every_field_of_the_spec_exactly_once() {
        let page = first_page();
        let mut names: Vec<&str> = page.fields.iter().map(|f| f.name.as_str()).collect();
        names.sort();
        let mut expected: Vec<String> = Role::all_fixed().iter().map(|r| r.field_name()).collect();
        expected.extend((1..=10).map(|n| format!("Subscription_{n}")));
        expected.sort();
        assert_eq!(names, expected.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn nothing_overlaps_and_everything_is_printable_on_a4() {
        for page in pages_for(75) {
            let rects: Vec<Rect> = page.fields.iter().map(|f| f.rect).chain(std::iter::once(page.code_box)).collect();
            for (i, a) in rects.iter().enumerate() {
                assert!(a.x1 >= 36.0 && a.x2 <= 576.0 && a.y1 >= 48.0 && a.y2 <= 745.0, "{a:?}");
                for b in &rects[i + 1..] {
                    assert!(!a.intersects(b), "{a:?} overlaps {b:?} on page {}", page.number);
                }
            }
        }
    }

    #[test]
    fn signature_boxes_are_large_enough_to_sign_by_hand() {
        for party in Party::ALL {
            let page = first_page();
            let f = page.field(&Role::Signature(party).field_name()).unwrap();
            assert!(f.rect.width() >= 216.0 && f.rect.height() >= 54.0);
        }
    }

    #[test]
    fn continuation_pages_number_subscriptions_on() {
        let pages = pages_for(75);
        assert_eq!(pages.len(), 3);
        assert!(pages[1].field("Subscription_11").is_some());
        assert!(pages[1].field("Subscription_70").is_some());
        assert!(pages[2].field("Subscription_71").is_some());
        assert!(pages[2].field("Subscription_75").is_some());
        assert!(pages[2].field("Subscription_76").is_none());
    }

    #[test]
    fn role_keys_round_trip() {
        for role in Role::all_fixed().into_iter().chain([Role::Subscription(12)]) {
            assert_eq!(Role::from_key(&role.key()), Some(role));
            assert_eq!(Role::from_field_name(&role.field_name()), Some(role));
        }
    }
}
