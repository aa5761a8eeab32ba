//! The verdict on a returned form and how it is written: JSON (SPEC section 5), one text line
//! per form for a person, CSV for a spreadsheet, or one HTML page to look at ([`html`]).
//!
//! A form is `ready` only when every check holds; the report lists every check with its fixed
//! id, whether it holds, how it was decided and why, so that "not ready" always comes with the
//! reason a person can act on.
//!
//! ```
//! use formtool::verify::report::{Check, FormReport, Method};
//! let mut r = FormReport::error("a.pdf", "00", "not a PDF file");
//! assert_eq!(r.status.as_str(), "error");
//! r.checks.push(Check::new("integrity", true, Method::Digital, "no signatures"));
//! assert!(r.text_line().starts_with("ERROR"));
//! ```

pub mod html;

use serde::Serialize;

/// The answer for one form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ready,
    /// Every check holds, but at least one only through handwriting a person must confirm.
    Review,
    NotReady,
    Error,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Ready => "ready",
            Status::Review => "review",
            Status::NotReady => "not_ready",
            Status::Error => "error",
        }
    }
}

/// Whether the form came back as a digital PDF or as a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Digital,
    Scanned,
}

/// How a check was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Digital,
    Drawn,
    Ink,
    Field,
    Code,
    Handwriting,
}

/// One check of SPEC section 5.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: String,
    pub ok: bool,
    pub method: Method,
    pub detail: String,
}

impl Check {
    pub fn new(id: impl Into<String>, ok: bool, method: Method, detail: impl Into<String>) -> Check {
        Check { id: id.into(), ok, method, detail: detail.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerSummary {
    pub organization: Option<String>,
    pub microsoft_id: Option<String>,
}

/// The report for one form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormReport {
    pub file: String,
    pub sha256: String,
    pub status: Status,
    pub source: Option<Source>,
    pub subscriptions: Vec<String>,
    pub customer: Option<CustomerSummary>,
    pub checks: Vec<Check>,
    pub error: Option<String>,
    /// The foreign form the file was checked as (its profile's description); absent for the
    /// embedded form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
}

impl FormReport {
    /// A file that could not be read.
    pub fn error(file: &str, sha256: &str, reason: &str) -> FormReport {
        FormReport {
            file: file.to_string(),
            sha256: sha256.to_string(),
            status: Status::Error,
            source: None,
            subscriptions: Vec::new(),
            customer: None,
            checks: Vec::new(),
            error: Some(reason.to_string()),
            form: None,
        }
    }

    /// Set the status from the checks: ready only if there are checks and all hold.
    pub fn conclude(&mut self) {
        if self.status != Status::Error {
            self.status = if !self.checks.is_empty() && self.checks.iter().all(|c| c.ok) {
                if self.checks.iter().any(|c| c.method == Method::Handwriting) { Status::Review } else { Status::Ready }
            } else {
                Status::NotReady
            };
        }
    }

    pub fn failed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    /// One line for a person: status, file, and what is missing.
    pub fn text_line(&self) -> String {
        match self.status {
            Status::Ready => {
                let customer = self.customer.as_ref();
                let who = customer
                    .and_then(|c| c.organization.clone().or_else(|| c.microsoft_id.clone()))
                    .unwrap_or_else(|| "customer not named".into());
                let scanned = if self.source == Some(Source::Scanned) { "scanned; " } else { "" };
                let subs = match self.subscriptions.len() {
                    0 => String::new(),
                    n => format!("; {n} subscription(s)"),
                };
                format!("READY      {}  ({scanned}{who}{subs})", self.file)
            }
            Status::Review => {
                let reasons: Vec<String> = self
                    .checks
                    .iter()
                    .filter(|c| c.method == Method::Handwriting)
                    .map(|c| format!("{}: {}", c.id, c.detail))
                    .collect();
                format!("REVIEW     {}  {}", self.file, reasons.join("; "))
            }
            Status::NotReady => {
                let reasons = grouped_reasons(self.failed());
                format!("NOT READY  {}  {}", self.file, reasons.join("; "))
            }
            Status::Error => format!("ERROR      {}  {}", self.file, self.error.as_deref().unwrap_or("unreadable")),
        }
    }

    /// The CSV row: `file,status,subscriptions,customer,failed_checks,reasons`. The reasons
    /// are each failing check's `id: detail` (for `review`, the checks a person must confirm),
    /// or why the file could not be read.
    pub fn csv_row(&self) -> [String; 6] {
        let failed: Vec<&str> = self.failed().map(|c| c.id.as_str()).collect();
        let reasons: Vec<String> = match self.status {
            Status::Error => vec![self.error.clone().unwrap_or_else(|| "unreadable".into())],
            Status::Review => self
                .checks
                .iter()
                .filter(|c| c.method == Method::Handwriting)
                .map(|c| format!("{}: {}", c.id, c.detail))
                .collect(),
            _ => grouped_reasons(self.failed()),
        };
        [
            self.file.clone(),
            self.status.as_str().to_string(),
            self.subscriptions.join(";"),
            self.customer.as_ref().and_then(|c| c.organization.clone()).unwrap_or_default(),
            if self.status == Status::Error { "error".to_string() } else { failed.join(";") },
            reasons.join("; "),
        ]
    }
}

/// `id: detail` per failing check, with checks that fail for the same reason (a scan whose
/// page 1 cannot be read fails twelve checks with one reason) named together, reason once.
fn grouped_reasons<'a>(failed: impl Iterator<Item = &'a Check>) -> Vec<String> {
    let mut groups: Vec<(Vec<&str>, &str)> = Vec::new();
    for c in failed {
        match groups.iter_mut().find(|(_, d)| *d == c.detail) {
            Some((ids, _)) => ids.push(&c.id),
            None => groups.push((vec![&c.id], &c.detail)),
        }
    }
    groups.into_iter().map(|(ids, detail)| format!("{}: {detail}", ids.join(", "))).collect()
}

/// Counts over a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ready: usize,
    pub review: usize,
    pub not_ready: usize,
    pub error: usize,
}

impl Summary {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Ready => self.ready += 1,
            Status::Review => self.review += 1,
            Status::NotReady => self.not_ready += 1,
            Status::Error => self.error += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.ready + self.review + self.not_ready + self.error
    }

    pub fn text(&self) -> String {
        // "to review" only when there are some: most batches are digital and never have any.
        let review = if self.review > 0 { format!(", {} to review", self.review) } else { String::new() };
        format!(
            "{} form(s): {} ready{review}, {} not ready, {} could not be read",
            self.total(),
            self.ready,
            self.not_ready,
            self.error
        )
    }
}

/// The output formats of `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Csv,
    Html,
}

impl Format {
    /// The format a report file's extension names: `.json`, `.csv`, `.html`, `.txt` (text).
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "html" | "htm" => Some(Format::Html),
            "txt" | "text" => Some(Format::Text),
            _ => None,
        }
    }
}

/// Write a whole report in `format`. `single` prints a lone JSON object (one file given);
/// `evidence` is the `--evidence` folder whose crops the HTML page embeds.
pub fn render(reports: &[FormReport], format: Format, single: bool, evidence: Option<&std::path::Path>) -> String {
    let mut summary = Summary::default();
    for r in reports {
        summary.add(r.status);
    }
    match format {
        Format::Text => {
            let mut s: String = reports.iter().map(|r| r.text_line() + "\n").collect();
            s.push_str(&summary.text());
            s.push('\n');
            s
        }
        Format::Json if single && reports.len() == 1 => {
            serde_json::to_string_pretty(&reports[0]).unwrap_or_default() + "\n"
        }
        Format::Json => {
            #[derive(Serialize)]
            struct Batch<'a> {
                forms: &'a [FormReport],
                summary: Summary,
            }
            serde_json::to_string_pretty(&Batch { forms: reports, summary }).unwrap_or_default() + "\n"
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(["file", "status", "subscriptions", "customer", "failed_checks", "reasons"]);
            for r in reports {
                let _ = w.write_record(r.csv_row());
            }
            String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        Format::Html => html::page(reports, evidence),
    }
}
