//! `verify --format html`: one self-contained page a person can open from a shared drive.
//!
//! The page holds a summary of the counts, a filter by status, and one card per form with its
//! status, every check with its reason, the signer, algorithm and time of each digital
//! signature, and the evidence crops of `--evidence DIR` inline as `data:` URIs. Nothing is
//! fetched: styles are inline, the filter is CSS only (radio buttons and sibling selectors, so
//! it works with scripts disabled), and a Content-Security-Policy forbids every network load.
//!
//! The markup is written with [`maud`], which escapes every interpolated value: file names,
//! organizations and check details come from the returned PDFs and may hold `<script>` or
//! quotes; none of them is ever pasted into the page unescaped.
//!
//! ```
//! use formtool::verify::report::{html, FormReport};
//! let page = html::page(&[FormReport::error("<b>.pdf", "00", "not a PDF file")], None);
//! assert!(page.contains("&lt;b&gt;.pdf") && !page.contains("<b>.pdf"));
//! ```

use std::path::Path;

use base64::Engine;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{FormReport, Method, Source, Status, Summary};

/// The page's styles: cards in a column, the status as a coloured badge, and the filter.
/// `#show-<status>:checked ~ main .card:not(.<status>)` hides the other cards.
const STYLE: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:60em;padding:0 1em;color:#222}\
h1{font-size:1.5em;margin:0 0 .5em}\
.summary{display:flex;gap:1em;flex-wrap:wrap;margin:0 0 1em;padding:0;list-style:none}\
.summary li{padding:.4em .8em;border-radius:.4em;background:#f2f2f2}\
.summary b{font-size:1.3em}\
input.filter{position:absolute;opacity:0}\
.filters label{display:inline-block;margin:0 .4em .8em 0;padding:.3em .8em;border:1px solid #999;border-radius:1em;cursor:pointer}\
#show-all:checked~.filters label[for=show-all],#show-ready:checked~.filters label[for=show-ready],\
#show-review:checked~.filters label[for=show-review],#show-not_ready:checked~.filters label[for=show-not_ready],\
#show-error:checked~.filters label[for=show-error]{background:#222;color:#fff}\
#show-ready:checked~main .card:not(.ready),#show-review:checked~main .card:not(.review),\
#show-not_ready:checked~main .card:not(.not_ready),#show-error:checked~main .card:not(.error){display:none}\
.card{border:1px solid #ccc;border-left:.5em solid #999;border-radius:.4em;padding:.8em 1em;margin:0 0 1em}\
.card.ready{border-left-color:#2e7d32}.card.review{border-left-color:#ef6c00}\
.card.not_ready{border-left-color:#c62828}.card.error{border-left-color:#6a1b9a}\
.card h2{font-size:1.05em;margin:0 0 .4em;word-break:break-all}\
.status{display:inline-block;padding:.1em .6em;border-radius:.3em;color:#fff;font-weight:600;margin-right:.5em}\
.status.ready{background:#2e7d32}.status.review{background:#ef6c00}\
.status.not_ready{background:#c62828}.status.error{background:#6a1b9a}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.4em 0}dt{color:#666}dd{margin:0;word-break:break-all}\
table{border-collapse:collapse;width:100%;margin:.4em 0}th,td{text-align:left;vertical-align:top;padding:.2em .5em;border-bottom:1px solid #eee}\
tr.fail td{background:#fdecea}td.ok{width:1.5em}\
.evidence{display:flex;flex-wrap:wrap;gap:.8em;margin:.4em 0}\
figure{margin:0}figure img{max-width:28em;border:1px solid #ccc;display:block}figcaption{color:#666;font-size:.9em}\
.sha{color:#888;font-size:.85em}.note{color:#8a4b00}";

/// Restrict the page to itself: no network, only inline styles and `data:` images.
const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/// The whole page for `reports`. With `evidence`, the crops `verify --evidence DIR` wrote for
/// each form (`<file-stem>.<check-id>.png`) are embedded in its card.
pub fn page(reports: &[FormReport], evidence: Option<&Path>) -> String {
    let mut summary = Summary::default();
    reports.iter().for_each(|r| summary.add(r.status));
    let filters = [
        ("all", "All", summary.total()),
        (Status::Ready.as_str(), "Ready", summary.ready),
        (Status::Review.as_str(), "To review", summary.review),
        (Status::NotReady.as_str(), "Not ready", summary.not_ready),
        (Status::Error.as_str(), "Could not be read", summary.error),
    ];
    // Crops are named by file stem: forms sharing one (same name, different folders) would
    // show each other's, so theirs are left out and the card says why.
    let mut stems: std::collections::HashMap<Option<String>, usize> = std::collections::HashMap::new();
    reports.iter().for_each(|r| *stems.entry(stem(r)).or_default() += 1);
    let evidence_of = |r: &FormReport| evidence.map(|dir| (stems[&stem(r)] == 1).then_some(dir));
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "formtool verify: " (summary.text()) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "Returned transfer forms" }
                ul.summary {
                    @for (key, label, n) in &filters[1..] {
                        li.(key) { b { (n) } " " (label.to_lowercase()) }
                    }
                    li { b { (summary.total()) } " in all" }
                }
                @for (i, (key, _, _)) in filters.iter().enumerate() {
                    input.filter type="radio" name="show" id=(format!("show-{key}")) checked[i == 0];
                }
                nav.filters {
                    @for (key, label, n) in &filters {
                        label for=(format!("show-{key}")) { (label) " (" (n) ")" }
                    }
                }
                main {
                    @for r in reports { (card(r, evidence_of(r))) }
                }
            }
        }
    };
    markup.into_string() + "\n"
}

/// One form's card. `evidence` is `Some(None)` when the crops cannot be told apart from
/// another form's.
fn card(r: &FormReport, evidence: Option<Option<&Path>>) -> Markup {
    let status = r.status.as_str();
    let signatures: Vec<(&str, Signed)> = r
        .checks
        .iter()
        .filter(|c| c.ok && c.method == Method::Digital)
        .filter_map(|c| Some((c.id.strip_prefix("signature.")?, Signed::parse(&c.detail)?)))
        .collect();
    let crops = evidence.flatten().map(|dir| crops_of(r, dir)).unwrap_or_default();
    html! {
        article.card.(status) data-status=(status) {
            h2 { span.status.(status) { (status_label(r.status)) } (r.file) }
            dl {
                @if let Some(source) = r.source {
                    dt { "Returned as" } dd { (match source { Source::Digital => "digital PDF", Source::Scanned => "scan" }) }
                }
                @if let Some(form) = &r.form { dt { "Form" } dd { (form) } }
                @if let Some(c) = &r.customer {
                    dt { "Customer" }
                    dd {
                        (c.organization.as_deref().unwrap_or("(not named)"))
                        @if let Some(id) = &c.microsoft_id { " · " (id) }
                    }
                }
                @if !r.subscriptions.is_empty() {
                    dt { "Subscriptions" } dd { (r.subscriptions.join(", ")) }
                }
                @if let Some(e) = &r.error { dt { "Error" } dd.error { (e) } }
                @if !r.sha256.is_empty() { dt { "SHA-256" } dd.sha { (r.sha256) } }
            }
            @if !signatures.is_empty() {
                table.signatures {
                    thead { tr { th { "Digital signature" } th { "Signer" } th { "Algorithm" } th { "Signed at" } } }
                    tbody {
                        @for (box_, s) in &signatures {
                            tr { td { (box_) } td { (s.signer) } td { (s.algorithm) } td { (s.time.unwrap_or("(no time)")) } }
                        }
                    }
                }
            }
            @if !r.checks.is_empty() {
                table.checks {
                    thead { tr { th {} th { "Check" } th { "How" } th { "Reason" } } }
                    tbody {
                        @for c in &r.checks {
                            tr.(if c.ok { "pass" } else { "fail" }) {
                                td.ok { (if c.ok { "✔" } else { "✘" }) }
                                td { (c.id) }
                                td { (method_label(c.method)) }
                                td { (c.detail) }
                            }
                        }
                    }
                }
            }
            @if evidence == Some(None) {
                p.note { "Evidence crops not shown: another form in this report has the same file name, and the crops are named by it." }
            }
            @if !crops.is_empty() {
                div.evidence {
                    @for (id, uri) in &crops {
                        figure {
                            img src=(uri) alt=(format!("evidence for {id}"));
                            figcaption { (id) }
                        }
                    }
                }
            }
        }
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Ready => "ready",
        Status::Review => "review",
        Status::NotReady => "not ready",
        Status::Error => "error",
    }
}

fn method_label(m: Method) -> &'static str {
    match m {
        Method::Digital => "digital",
        Method::Drawn => "drawn",
        Method::Ink => "ink",
        Method::Field => "field",
        Method::Code => "code",
        Method::Handwriting => "handwriting",
    }
}

/// A valid digital signature as its check describes it: `signed by SIGNER[ at TIME] (ALGORITHMS)`
/// (written by `verify::checks`).
#[derive(Debug, PartialEq)]
struct Signed<'a> {
    signer: &'a str,
    time: Option<&'a str>,
    algorithm: &'a str,
}

impl<'a> Signed<'a> {
    fn parse(detail: &'a str) -> Option<Signed<'a>> {
        let rest = detail.strip_prefix("signed by ")?.strip_suffix(')')?;
        let (who_when, algorithm) = rest.rsplit_once(" (")?;
        // A signer's name may itself contain " at "; the time is the last one, an ISO date.
        let (signer, time) = match who_when.rsplit_once(" at ") {
            Some((who, when)) if when.starts_with(|c: char| c.is_ascii_digit()) => (who, Some(when)),
            _ => (who_when, None),
        };
        Some(Signed { signer, time, algorithm })
    }
}

/// The file stem the evidence crops of `r` are named by.
fn stem(r: &FormReport) -> Option<String> {
    Some(crate::verify::scan::evidence_stem(&r.file))
}

/// The evidence crops written for `r`: one per check id (and the integrity comparison), as
/// `data:` URIs, in the order of the checks. Files that are missing or not PNGs are skipped.
fn crops_of(r: &FormReport, dir: &Path) -> Vec<(String, String)> {
    let Some(stem) = stem(r) else { return Vec::new() };
    let mut ids: Vec<&str> = r.checks.iter().map(|c| c.id.as_str()).collect();
    if !ids.contains(&"integrity") {
        ids.push("integrity");
    }
    ids.into_iter()
        .filter_map(|id| {
            let png = std::fs::read(dir.join(format!("{stem}.{id}.png"))).ok()?;
            png.starts_with(b"\x89PNG\r\n\x1a\n").then(|| {
                (
                    id.to_string(),
                    format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_signature_detail_checks_writes() {
        let s = Signed::parse("signed by Ana at Home (Contoso) at 2025-03-03T09:00:00Z (RSA-PSS, SHA-384)").unwrap();
        assert_eq!(
            s,
            Signed {
                signer: "Ana at Home (Contoso)",
                time: Some("2025-03-03T09:00:00Z"),
                algorithm: "RSA-PSS, SHA-384"
            }
        );
        let s = Signed::parse("signed by Ana (ECDSA P-256, SHA-256; weak)").unwrap();
        assert_eq!((s.signer, s.time), ("Ana", None));
        assert!(Signed::parse("no signature in the Customer box").is_none());
    }
}
