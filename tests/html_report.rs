//! `verify --format html` (issue 13 item 21) through the real binary: the page's structure
//! read back with an HTML parser — one card per form with the status the JSON report gives,
//! every check, the digital signatures' details, the evidence crops inline — and that nothing
//! taken from a PDF reaches the page unescaped. (`.ci/run` also opens the page in Chromium.)

mod common;

use base64::Engine;
use common::{Dir, repo};
use serde_json::Value;
use tl::{HTMLTag, Parser, VDom};

/// The elements of `dom` that match `selector`.
fn all<'a>(dom: &'a VDom<'a>, selector: &str) -> Vec<&'a HTMLTag<'a>> {
    let parser = dom.parser();
    dom.query_selector(selector).expect("a valid selector").filter_map(|h| h.get(parser)?.as_tag()).collect()
}

/// The elements inside `tag` that match `selector`.
fn within<'a>(tag: &'a HTMLTag<'a>, parser: &'a Parser<'a>, selector: &str) -> Vec<&'a HTMLTag<'a>> {
    tag.query_selector(parser, selector).expect("a valid selector").filter_map(|h| h.get(parser)?.as_tag()).collect()
}

/// The body rows of the table `selector` inside `tag` (none without that table).
fn rows_of<'a>(tag: &'a HTMLTag<'a>, parser: &'a Parser<'a>, selector: &str) -> Vec<&'a HTMLTag<'a>> {
    within(tag, parser, selector)
        .first()
        .map(|t| within(t, parser, "tbody"))
        .and_then(|b| b.first().map(|b| within(b, parser, "tr")))
        .unwrap_or_default()
}

/// `s` as the page's source writes it (the parser leaves entities as they are).
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn attr(tag: &HTMLTag, name: &str) -> Option<String> {
    tag.attributes().get(name).flatten().map(|b| b.as_utf8_str().into_owned())
}

fn text(tag: &HTMLTag, parser: &Parser) -> String {
    tag.inner_text(parser).into_owned()
}

/// A folder with one form of each status.
fn folder(dir: &Dir) {
    for (from, to) in [
        ("fixtures/returned/mixed-algorithms.pdf", "in/a-signed.pdf"),
        ("fixtures/scans/review-new-partner-by-hand.pdf", "in/b-scan.pdf"),
        ("fixtures/returned/missing-customer.pdf", "in/c-missing.pdf"),
        ("fixtures/returned/not-a-pdf.pdf", "in/d-broken.pdf"),
    ] {
        dir.write(to, std::fs::read(repo(from)).unwrap());
    }
}

#[test]
fn the_html_report_has_a_card_per_form_with_its_checks_signatures_and_evidence() {
    let dir = Dir::new();
    folder(&dir);
    let json = dir.formtool().args(["verify", "in", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let json: Value = serde_json::from_slice(&json).unwrap();
    let forms = json["forms"].as_array().unwrap();
    // The format comes from the extension; the folder is created.
    dir.formtool().args(["verify", "in", "--evidence", "ev", "--report", "out/week.html"]).assert().code(1);
    let page = String::from_utf8(dir.read("out/week.html")).unwrap();
    let dom = tl::parse(&page, tl::ParserOptions::default()).unwrap();
    let parser = dom.parser();

    // Self-contained: a policy that forbids every load but inline styles and data: images,
    // and no reference to anything outside the page.
    let csp = all(&dom, "meta[http-equiv=Content-Security-Policy]");
    assert_eq!(csp.len(), 1);
    assert!(attr(csp[0], "content").unwrap().starts_with("default-src 'none'"));
    assert!(all(&dom, "script").is_empty() && all(&dom, "link").is_empty());

    // The summary and the filter: one radio button and label per status, and "all".
    let summary = text(all(&dom, "ul.summary")[0], parser);
    for part in ["1 ready", "1 to review", "1 not ready", "1 could not be read", "4 in all"] {
        assert!(summary.contains(part), "{summary}");
    }
    let radios = all(&dom, "input.filter");
    assert_eq!(radios.len(), 5);
    for r in &radios {
        let id = attr(r, "id").unwrap();
        assert_eq!(all(&dom, &format!("label[for={id}]")).len(), 1, "{id}");
    }

    // One card per form, in order, with the JSON report's status and every check.
    let cards = all(&dom, "article.card");
    assert_eq!(cards.len(), forms.len());
    for (card, form) in cards.iter().zip(forms) {
        let status = form["status"].as_str().unwrap();
        assert_eq!(attr(card, "data-status").as_deref(), Some(status));
        assert!(text(within(card, parser, "h2")[0], parser).contains(form["file"].as_str().unwrap()));
        let rows = rows_of(card, parser, "table.checks");
        let checks = form["checks"].as_array().unwrap();
        assert_eq!(rows.len(), checks.len(), "{status}");
        for (row, check) in rows.iter().zip(checks) {
            let row = text(row, parser);
            assert!(row.contains(check["id"].as_str().unwrap()), "{row}");
            assert!(row.contains(&escaped(check["detail"].as_str().unwrap())), "{row}");
        }
        if status == "error" {
            assert!(text(card, parser).contains(&escaped(form["error"].as_str().unwrap())));
        }
    }

    // The signed form lists each signature's signer, algorithm and time.
    let signed = rows_of(cards[0], parser, "table.signatures");
    assert_eq!(signed.len(), 3);
    let rows: Vec<String> = signed.iter().map(|r| text(r, parser)).collect();
    assert!(
        rows.iter().any(|r| r.contains("Eleni Papadopoulou")
            && r.contains("ECDSA P-256")
            && r.contains("2025-03-07T11:15:00Z"))
    );
    assert!(rows.iter().any(|r| r.contains("Juergen Weiss") && r.contains("RSA-PSS, SHA-384")));

    // The evidence crops of the digital form and of the scan are inline PNGs; the forms that
    // could not be checked have none.
    for (i, want) in [(0, "signature.customer"), (1, "id.new_partner")] {
        let images = within(cards[i], parser, "img");
        assert!(images.len() >= 7, "card {i}: {} images", images.len());
        let captions: Vec<String> = within(cards[i], parser, "figcaption").iter().map(|c| text(c, parser)).collect();
        assert!(captions.iter().any(|c| c == want), "{captions:?}");
        for img in images {
            let src = attr(img, "src").unwrap();
            let b64 = src.strip_prefix("data:image/png;base64,").expect("an inline PNG");
            let png = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        }
    }
    assert!(within(cards[3], parser, "img").is_empty());
}

/// Values and file names from a PDF are text on the page, never markup.
#[test]
fn everything_taken_from_the_pdf_is_escaped() {
    let dir = Dir::new();
    let hostile = r#"<script>alert("x")</script> & <img src=x onerror=alert(1)>"#;
    let toml = include_str!("../fixtures/transfer.toml")
        .replace(r#"organization = "Φαμπρίκαμ Α.Ε.""#, &format!("organization = '{hostile}'"));
    assert!(toml.contains("<script>"));
    dir.write("t.toml", toml);
    let name = "in/<b onmouseover=alert(2)>x.pdf";
    std::fs::create_dir_all(dir.path("in")).unwrap();
    dir.formtool().args(["fill", "t.toml", "-o", name]).assert().success();
    let out = dir.formtool().args(["verify", "in", "--format", "html"]).assert().code(1).get_output().stdout.clone();
    let page = String::from_utf8(out).unwrap();
    let dom = tl::parse(&page, tl::ParserOptions::default()).unwrap();
    let parser = dom.parser();
    assert!(all(&dom, "script").is_empty());
    assert!(all(&dom, "b[onmouseover]").is_empty());
    assert!(all(&dom, "img").is_empty());
    assert!(!page.contains("<script") && !page.contains("<img") && !page.contains("<b "));
    let cards = all(&dom, "article.card");
    assert_eq!(cards.len(), 1);
    let shown = text(cards[0], parser);
    assert!(shown.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img"), "{shown}");
    assert!(shown.contains("&lt;b onmouseover=alert(2)&gt;x.pdf"), "{shown}");
}

/// Crops are named by file stem: two forms of one report with the same name never show each
/// other's crops, in the page or on disk.
#[test]
fn forms_sharing_a_file_name_do_not_share_crops() {
    let dir = Dir::new();
    dir.write("a/form.pdf", std::fs::read(repo("fixtures/returned/mixed-algorithms.pdf")).unwrap());
    dir.write("b/form.pdf", std::fs::read(repo("fixtures/scans/signed-300-gray.pdf")).unwrap());
    dir.write("c/other.pdf", std::fs::read(repo("fixtures/returned/mixed-algorithms.pdf")).unwrap());
    let out =
        dir.formtool().args(["verify", "a", "b", "c", "--evidence", "ev", "--report", "r.html"]).assert().success();
    // On disk too: no crop named `form.*` (it would be one form's paper under both names),
    // a warning naming the clash, and the other form's crops as usual.
    let written: Vec<String> = std::fs::read_dir(dir.path("ev"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!written.iter().any(|n| n.starts_with("form.")), "{written:?}");
    assert!(written.iter().any(|n| n.starts_with("other.")), "{written:?}");
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("also named form"), "{stderr}");
    let page = String::from_utf8(dir.read("r.html")).unwrap();
    let dom = tl::parse(&page, tl::ParserOptions::default()).unwrap();
    let parser = dom.parser();
    let cards = all(&dom, "article.card");
    assert_eq!(cards.len(), 3);
    for card in &cards[..2] {
        assert!(within(card, parser, "img").is_empty());
        assert!(text(card, parser).contains("same file name"));
    }
    assert!(!within(cards[2], parser, "img").is_empty());
}

/// `--format html` wins over the extension, and `.htm` is HTML too.
#[test]
fn html_follows_the_flag_and_the_extension() {
    let dir = Dir::new();
    let form = repo("fixtures/returned/missing-customer.pdf");
    dir.formtool().arg("verify").arg(&form).args(["--report", "r.htm"]).assert().code(1);
    assert!(dir.read("r.htm").starts_with(b"<!DOCTYPE html>"));
    dir.formtool().arg("verify").arg(&form).args(["--report", "r.json", "--format", "html"]).assert().code(1);
    assert!(dir.read("r.json").starts_with(b"<!DOCTYPE html>"));
}
