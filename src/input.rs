//! Transfers from JSON, TOML or CSV (SPEC section 3), checked against every rule before
//! anything is written.
//!
//! All three formats are first turned into the same JSON-shaped tree, then deserialised into
//! one raw type and validated once, so a rule cannot hold for one format and not another.
//! Every broken rule is reported, not only the first, each with where it is: the file, the row
//! (CSV) or entry (`[2]` in a JSON array, `transfer[2]` in TOML), the key path, and the reason.
//!
//! ```
//! use formtool::input::{parse_str, Format};
//! let toml = r#"
//! subscriptions = ["{3F2B8C1E-7D4A-4E6B-9A0C-5B1D2E3F4A5B}"]
//! [current_partner]
//! organization = "Contoso"
//! microsoft_id = "8f0b2c9e-6a51-4f3b-9d2e-3c7a1b5e4d21"
//! address = "1 Harbour Way"
//! admin = { name = "Aoife Byrne", email = "aoife@contoso.example", phone = "+353 1 555 0142" }
//! [customer]
//! organization = "Fabrikam"
//! microsoft_id = "0c7d2a9f-1e3b-4c5d-8e6f-7a8b9c0d1e2f"
//! "#;
//! let loaded = parse_str(toml, Format::Toml, "t.toml", false).unwrap();
//! assert_eq!(loaded.transfers[0].subscriptions[0], "3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b");
//! assert!(!loaded.warnings.is_empty()); // no new partner yet: allowed, with a warning
//! ```

use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::form::font;

/// One validated transfer. IDs are lower-case hyphenated GUIDs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    pub subscriptions: Vec<String>,
    pub current_partner: Partner,
    pub customer: Customer,
    pub new_partner: Option<Partner>,
    pub attestations: Attestations,
    pub signers: Signers,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partner {
    pub organization: String,
    pub microsoft_id: String,
    pub address: String,
    pub admin: Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Admin {
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub organization: String,
    pub microsoft_id: String,
    pub domain: Option<String>,
}

/// Boxes are ticked only when the input states them true.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Attestations {
    pub reseller_relationship: bool,
    pub customer_agreement: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Signers {
    pub current_partner: Option<Signer>,
    pub customer: Option<Signer>,
    pub new_partner: Option<Signer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signer {
    pub name: String,
    pub title: Option<String>,
}

/// The file formats formtool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Toml,
    Csv,
}

impl Format {
    /// The format of a path, by extension; `-` is JSON on stdin.
    pub fn of(path: &Path) -> Option<Format> {
        if path.as_os_str() == "-" {
            return Some(Format::Json);
        }
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Transfers read from one input, with the warnings to show the user.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub transfers: Vec<Transfer>,
    pub warnings: Vec<String>,
}

/// Everything wrong with an input, one line per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub problems: Vec<String>,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

impl std::error::Error for InputError {}

impl From<InputError> for crate::error::Failure {
    fn from(e: InputError) -> Self {
        let n = e.problems.len();
        let head = if n == 1 { "1 problem in the input".to_string() } else { format!("{n} problems in the input") };
        crate::error::Failure::usage(format!("{head}:\n  {}", e.problems.join("\n  ")))
    }
}

/// Largest input file formtool reads (a CSV of many thousand transfers fits comfortably).
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Read and validate the transfers in `path` (`-` for JSON on stdin).
pub fn load(path: &Path, strict: bool) -> Result<Loaded, InputError> {
    let source = path.display().to_string();
    let one = |m: String| InputError { problems: vec![m] };
    let format = Format::of(path).ok_or_else(|| {
        one(format!("{source}: unknown input format (expected a .json, .toml or .csv file, or - for JSON on stdin)"))
    })?;
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().take(MAX_INPUT_BYTES + 1).read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_string(&mut text))
    };
    read.map_err(|e| one(format!("{source}: cannot read: {e}")))?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(one(format!("{source}: larger than {} MB", MAX_INPUT_BYTES / (1024 * 1024))));
    }
    parse_str(&text, format, &source, strict)
}

/// Parse and validate transfers from text.
pub fn parse_str(text: &str, format: Format, source: &str, strict: bool) -> Result<Loaded, InputError> {
    let entries = match format {
        Format::Json => json_entries(text, source)?,
        Format::Toml => toml_entries(text, source)?,
        Format::Csv => csv_entries(text, source)?,
    };
    if entries.is_empty() {
        return Err(InputError { problems: vec![format!("{source}: no transfers found")] });
    }
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut transfers = Vec::new();
    for (place, value) in entries {
        let at = if place.is_empty() { format!("{source}: ") } else { format!("{source}: {place}: ") };
        match serde_path_to_error::deserialize::<_, RawTransfer>(value) {
            Err(e) => {
                let path = e.path().to_string();
                let path = if path == "." { String::new() } else { format!("{path}: ") };
                problems.push(format!("{at}{path}{}", e.into_inner()));
            }
            Ok(raw) => {
                let mut v = Validator { at: &at, problems: Vec::new(), warnings: Vec::new(), strict };
                let t = v.transfer(raw);
                problems.extend(v.problems);
                warnings.extend(v.warnings);
                if let Some(t) = t {
                    transfers.push(t);
                }
            }
        }
    }
    if problems.is_empty() { Ok(Loaded { transfers, warnings }) } else { Err(InputError { problems }) }
}

// ---- Raw shapes, as the user wrote them --------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransfer {
    subscriptions: Option<Vec<String>>,
    current_partner: Option<RawPartner>,
    customer: Option<RawCustomer>,
    new_partner: Option<RawPartner>,
    attestations: Option<RawAttestations>,
    signers: Option<RawSigners>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPartner {
    organization: Option<String>,
    microsoft_id: Option<String>,
    address: Option<String>,
    admin: Option<RawAdmin>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustomer {
    organization: Option<String>,
    microsoft_id: Option<String>,
    domain: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttestations {
    reseller_relationship: Option<bool>,
    customer_agreement: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigners {
    current_partner: Option<RawSigner>,
    customer: Option<RawSigner>,
    new_partner: Option<RawSigner>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigner {
    name: Option<String>,
    title: Option<String>,
}

// ---- Formats into entries -----------------------------------------------------------------

type Entries = Vec<(String, Value)>;

fn json_entries(text: &str, source: &str) -> Result<Entries, InputError> {
    let value: Value = serde_json::from_str(text).map_err(|e| InputError {
        problems: vec![format!("{source}: line {}, column {}: invalid JSON: {e}", e.line(), e.column())],
    })?;
    Ok(match value {
        Value::Array(items) => items.into_iter().enumerate().map(|(i, v)| (format!("[{}]", i + 1), v)).collect(),
        other => vec![(String::new(), other)],
    })
}

fn toml_entries(text: &str, source: &str) -> Result<Entries, InputError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let place = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: ")
            })
            .unwrap_or_default();
        InputError { problems: vec![format!("{source}: {place}invalid TOML: {}", e.message())] }
    })?;
    let value = serde_json::to_value(&table)
        .map_err(|e| InputError { problems: vec![format!("{source}: cannot read TOML: {e}")] })?;
    match value {
        Value::Object(mut map) if map.contains_key("transfer") => {
            let many = map.remove("transfer");
            if !map.is_empty() {
                let keys: Vec<&String> = map.keys().collect();
                return Err(InputError {
                    problems: vec![format!(
                        "{source}: a file of [[transfer]] tables cannot also have top-level keys {keys:?}"
                    )],
                });
            }
            match many {
                Some(Value::Array(items)) => {
                    Ok(items.into_iter().enumerate().map(|(i, v)| (format!("transfer[{}]", i + 1), v)).collect())
                }
                _ => Err(InputError { problems: vec![format!("{source}: `transfer` must be [[transfer]] tables")] }),
            }
        }
        other => Ok(vec![(String::new(), other)]),
    }
}

/// The delimiter of a CSV file, from its header line: `,`, `;` (the spreadsheet default in
/// French and German locales) or tab, whichever separates the most names there. Header names
/// never contain any of them, so the count is unambiguous.
fn csv_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (header.bytes().filter(|b| b == d).count(), *d == b','))
        .unwrap_or(b',')
}

fn csv_entries(text: &str, source: &str) -> Result<Entries, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(csv_delimiter(text))
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| InputError { problems: vec![format!("{source}: cannot read the CSV header: {e}")] })?
        .clone();
    let header_problems = csv_header_problems(&headers, source);
    if !header_problems.is_empty() {
        // Reported here, once, rather than once for every row that carries the column.
        return Err(InputError { problems: header_problems });
    }
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (i, record) in reader.records().enumerate() {
        // Row numbers as a spreadsheet shows them: the header is row 1.
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{source}: row {row}: {e}"));
                continue;
            }
        };
        let mut root = Map::new();
        for (key, cell) in headers.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let value = csv_cell_value(key, cell).map_err(|m| format!("{source}: row {row}: {key}: {m}"));
            match value {
                Ok(v) => {
                    if let Err(m) = insert_path(&mut root, key, v) {
                        problems.push(format!("{source}: row {row}: {key}: {m}"));
                    }
                }
                Err(m) => problems.push(m),
            }
        }
        entries.push((format!("row {row}"), Value::Object(root)));
    }
    if problems.is_empty() { Ok(entries) } else { Err(InputError { problems }) }
}

/// The header's columns that no transfer has, each named once with its column number.
///
/// Each column is tried alone, with a placeholder value of its kind, against the same
/// [`RawTransfer`] shape the rows are read into, so the header is judged by exactly the rules
/// the rows are, without a second list of the valid column names.
fn csv_header_problems(headers: &csv::StringRecord, source: &str) -> Vec<String> {
    let mut problems = Vec::new();
    // An unnamed column (a trailing delimiter) is judged by the rows: only a value under it is wrong.
    for (i, key) in headers.iter().enumerate().filter(|(_, k)| !k.is_empty()) {
        let mut root = Map::new();
        let placeholder = if key.starts_with("attestations.") { "true" } else { "x" };
        let probe = csv_cell_value(key, placeholder).and_then(|v| insert_path(&mut root, key, v)).and_then(|()| {
            serde_path_to_error::deserialize::<_, RawTransfer>(Value::Object(root))
                .map(drop)
                .map_err(|e| e.into_inner().to_string())
        });
        if let Err(m) = probe {
            problems.push(format!("{source}: header, column {} ({key:?}): {m}", i + 1));
        }
    }
    problems
}

fn csv_cell_value(key: &str, cell: &str) -> Result<Value, String> {
    if key == "subscriptions" {
        return Ok(Value::Array(
            cell.split(';').map(str::trim).filter(|s| !s.is_empty()).map(|s| Value::String(s.to_string())).collect(),
        ));
    }
    if key.starts_with("attestations.") {
        return match cell.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "x" => Ok(Value::Bool(true)),
            "false" | "no" | "n" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("{cell:?} is not true or false")),
        };
    }
    Ok(Value::String(cell.to_string()))
}

fn insert_path(root: &mut Map<String, Value>, dotted: &str, value: Value) -> Result<(), String> {
    let parts: Vec<&str> = dotted.split('.').collect();
    let mut node = root;
    for part in &parts[..parts.len() - 1] {
        let entry = node.entry(part.to_string()).or_insert_with(|| Value::Object(Map::new()));
        node = entry.as_object_mut().ok_or_else(|| format!("column conflicts with column {part}"))?;
    }
    node.insert(parts[parts.len() - 1].to_string(), value);
    Ok(())
}

// ---- Validation ---------------------------------------------------------------------------

struct Validator<'a> {
    at: &'a str,
    problems: Vec<String>,
    warnings: Vec<String>,
    strict: bool,
}

impl Validator<'_> {
    fn problem(&mut self, key: &str, message: impl fmt::Display) {
        self.problems.push(format!("{}{key}: {message}", self.at));
    }

    fn missing_section(&mut self, key: &str, consequence: &str) {
        if self.strict {
            self.problem(key, format!("missing (required with --strict); {consequence}"));
        } else {
            self.warnings.push(format!("{}{key}: missing; {consequence}", self.at));
        }
    }

    fn transfer(&mut self, raw: RawTransfer) -> Option<Transfer> {
        let subscriptions = self.subscriptions(raw.subscriptions);
        let current_partner = match raw.current_partner {
            Some(p) => self.partner("current_partner", p),
            None => {
                self.problem("current_partner", "missing");
                None
            }
        };
        let customer = match raw.customer {
            Some(c) => self.customer(c),
            None => {
                self.problem("customer", "missing");
                None
            }
        };
        let new_partner = match raw.new_partner {
            Some(p) => self.partner("new_partner", p),
            None => {
                self.missing_section("new_partner", "its fields stay blank for the new partner to complete");
                None
            }
        };
        if let (Some(cp), Some(np)) = (&current_partner, &new_partner)
            && cp.admin.email.eq_ignore_ascii_case(&np.admin.email)
        {
            self.problem(
                "new_partner.admin.email",
                format!(
                    "{:?} is also the current partner admin's email; the two admins must be different people",
                    np.admin.email
                ),
            );
        }
        let attestations = match raw.attestations {
            Some(a) => Attestations {
                reseller_relationship: a.reseller_relationship.unwrap_or(false),
                customer_agreement: a.customer_agreement.unwrap_or(false),
            },
            None => {
                self.missing_section("attestations", "both boxes stay unticked");
                Attestations::default()
            }
        };
        let signers = match raw.signers {
            Some(s) => Signers {
                current_partner: self.signer("signers.current_partner", s.current_partner),
                customer: self.signer("signers.customer", s.customer),
                new_partner: self.signer("signers.new_partner", s.new_partner),
            },
            None => {
                self.missing_section("signers", "printed names and titles stay blank");
                Signers::default()
            }
        };
        Some(Transfer {
            subscriptions: subscriptions?,
            current_partner: current_partner?,
            customer: customer?,
            new_partner,
            attestations,
            signers,
        })
    }

    fn subscriptions(&mut self, raw: Option<Vec<String>>) -> Option<Vec<String>> {
        let Some(raw) = raw else {
            self.problem("subscriptions", "missing (at least one subscription ID)");
            return None;
        };
        if raw.is_empty() {
            self.problem("subscriptions", "empty (at least one subscription ID)");
            return None;
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut ok = true;
        for (i, s) in raw.iter().enumerate() {
            let key = format!("subscriptions[{}]", i + 1);
            match normalize_guid(s) {
                Some(g) => {
                    if !seen.insert(g.clone()) {
                        self.problem(&key, format!("{g} is listed twice"));
                        ok = false;
                    }
                    out.push(g);
                }
                None => {
                    self.problem(&key, format!("{s:?} {}", guid_problem(s)));
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    fn text(&mut self, key: &str, value: Option<String>) -> Option<String> {
        let value = value.map(|v| v.trim().to_string()).unwrap_or_default();
        if value.is_empty() {
            self.problem(key, "missing");
            return None;
        }
        self.printable(key, &value).then_some(value)
    }

    fn printable(&mut self, key: &str, value: &str) -> bool {
        if value.chars().count() > 200 {
            self.problem(key, "longer than 200 characters");
            return false;
        }
        let missing = font::embedded().unsupported_chars(value);
        if missing.is_empty() {
            return true;
        }
        let list: Vec<String> = missing.iter().map(|c| format!("{c:?} (U+{:04X})", *c as u32)).collect();
        self.problem(key, format!("the form's font cannot print {}", list.join(", ")));
        false
    }

    fn guid(&mut self, key: &str, value: Option<String>) -> Option<String> {
        let value = value.unwrap_or_default();
        if value.trim().is_empty() {
            self.problem(key, "missing");
            return None;
        }
        let g = normalize_guid(&value);
        if g.is_none() {
            self.problem(key, format!("{value:?} {}", guid_problem(&value)));
        }
        g
    }

    fn partner(&mut self, key: &str, raw: RawPartner) -> Option<Partner> {
        let organization = self.text(&format!("{key}.organization"), raw.organization);
        let microsoft_id = self.guid(&format!("{key}.microsoft_id"), raw.microsoft_id);
        let address = self.text(&format!("{key}.address"), raw.address);
        let admin = match raw.admin {
            Some(a) => self.admin(&format!("{key}.admin"), a),
            None => {
                self.problem(&format!("{key}.admin"), "missing (name, email and phone of the partner admin)");
                None
            }
        };
        Some(Partner { organization: organization?, microsoft_id: microsoft_id?, address: address?, admin: admin? })
    }

    fn admin(&mut self, key: &str, raw: RawAdmin) -> Option<Admin> {
        let name = self.text(&format!("{key}.name"), raw.name);
        let email = self.text(&format!("{key}.email"), raw.email);
        let email = email.and_then(|e| {
            if is_email(&e) {
                Some(e)
            } else {
                self.problem(
                    &format!("{key}.email"),
                    format!("{e:?} is not an email address (expected local@domain.tld)"),
                );
                None
            }
        });
        let phone = self.text(&format!("{key}.phone"), raw.phone);
        let phone = phone.and_then(|p| match phone_problem(&p) {
            None => Some(p),
            Some(why) => {
                self.problem(&format!("{key}.phone"), format!("{p:?} {why}"));
                None
            }
        });
        Some(Admin { name: name?, email: email?, phone: phone? })
    }

    fn customer(&mut self, raw: RawCustomer) -> Option<Customer> {
        let organization = self.text("customer.organization", raw.organization);
        let microsoft_id = self.guid("customer.microsoft_id", raw.microsoft_id);
        let domain = match raw.domain.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()) {
            Some(d) if is_domain(&d) => Some(d),
            Some(d) => {
                self.problem("customer.domain", format!("{d:?} is not a domain name (e.g. fabrikam.onmicrosoft.com)"));
                None
            }
            None => None,
        };
        Some(Customer { organization: organization?, microsoft_id: microsoft_id?, domain })
    }

    fn signer(&mut self, key: &str, raw: Option<RawSigner>) -> Option<Signer> {
        let raw = raw?;
        let name = self.text(&format!("{key}.name"), raw.name)?;
        let title = raw.title.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if let Some(t) = &title
            && !self.printable(&format!("{key}.title"), t)
        {
            return None;
        }
        Some(Signer { name, title })
    }
}

/// A GUID in any case, with or without braces, written back lower-case and hyphenated.
pub fn normalize_guid(text: &str) -> Option<String> {
    let t = text.trim();
    let inner = t.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(t);
    // Only the hyphenated 8-4-4-4-12 form: a bare 32-digit string is too easy to mistype.
    if inner.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(inner).ok().map(|u| u.hyphenated().to_string())
}

/// Why `text` is not a GUID, in words a person can fix it with: its length, or the first
/// character that does not belong and its position (1-based, after any braces).
pub fn guid_problem(text: &str) -> String {
    let t = text.trim();
    let inner = t.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(t);
    let n = inner.chars().count();
    for (i, c) in inner.chars().enumerate() {
        let dash = matches!(i, 8 | 13 | 18 | 23);
        if i >= 36 {
            break;
        }
        if dash && c != '-' {
            return format!(
                "is not a GUID: character {} should be '-', not {c:?} (expected 8-4-4-4-12 hex digits)",
                i + 1
            );
        }
        if !dash && !c.is_ascii_hexdigit() {
            return format!("is not a GUID: {c:?} at character {} is not a hex digit (0-9, a-f)", i + 1);
        }
    }
    if n != 36 {
        return format!("is not a GUID: it has {n} characters, a GUID has 36 (8-4-4-4-12 hex digits with hyphens)");
    }
    "is not a GUID".to_string()
}

/// `local@domain.tld`: one `@`, no spaces, a dotted domain whose last label is letters.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && is_domain(domain)
        && text.parse::<email_address::EmailAddress>().is_ok()
        && !text.chars().any(char::is_whitespace)
}

/// A dotted DNS name whose top-level label is at least two letters.
pub fn is_domain(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()))
}

/// Why a phone number is not acceptable, or `None` when it is: at least 7 digits, and only
/// digits, spaces and `+ - ( ) . /`.
pub fn phone_problem(text: &str) -> Option<&'static str> {
    if text.chars().any(|c| !(c.is_ascii_digit() || " +-().//".contains(c))) {
        return Some("is not a phone number (only digits, spaces and + - ( ) . / allowed)");
    }
    if text.chars().filter(char::is_ascii_digit).count() < 7 {
        return Some("has fewer than 7 digits");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_accept_braces_and_case_and_come_back_lower_case() {
        assert_eq!(
            normalize_guid("{3F2B8C1E-7D4A-4E6B-9A0C-5B1D2E3F4A5B}").as_deref(),
            Some("3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b")
        );
        assert_eq!(normalize_guid("3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5"), None);
        assert_eq!(normalize_guid("3f2b8c1e7d4a4e6b9a0c5b1d2e3f4a5b"), None);
        assert_eq!(normalize_guid("zf2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b"), None);
    }

    #[test]
    fn emails_need_a_dotted_domain() {
        assert!(is_email("j.weiss@northwind.example"));
        assert!(!is_email("j.weiss@northwind"));
        assert!(!is_email("@northwind.example"));
        assert!(!is_email("j weiss@northwind.example"));
        assert!(!is_email("jweiss.northwind.example"));
    }

    #[test]
    fn phones_need_seven_digits() {
        assert_eq!(phone_problem("+49 89 555 0199"), None);
        assert!(phone_problem("555-01").is_some());
        assert!(phone_problem("call me 5550199").is_some());
    }
}
