//! Scanned forms: every fixture in `fixtures/scans/expected.tsv` (made by
//! `fixtures/scans/make.sh`: filled by formtool, rasterised by poppler, signed with random
//! strokes, skewed, scaled, blurred, JPEG / CCITT G4, wrapped by img2pdf) gives exactly its
//! status and failing check ids through the real binary, and `--evidence` writes crops that
//! show what the checks say.

mod common;

use common::{Dir, repo};
use serde_json::Value;

fn table() -> Vec<common::Row> {
    common::expected_table("fixtures/scans/expected.tsv")
}

fn verify_json(dir: &Dir, file: &str, extra: &[&str]) -> (Value, Option<i32>) {
    let out = dir.formtool().arg("verify").arg(repo(file)).args(extra).args(["--format", "json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{file}: no JSON report ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code())
}

fn failing(report: &Value) -> Vec<String> {
    common::failing_checks(report)
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}"))
}

#[test]
fn every_scan_fixture_gives_its_expected_status_and_failing_checks() {
    let rows = table();
    assert!(rows.len() >= 20, "the table has {} rows", rows.len());
    let dir = Dir::new();
    let mut wrong = Vec::new();
    for row in &rows {
        let options: Vec<&str> = row.options.iter().map(String::as_str).collect();
        let (report, code) = verify_json(&dir, &row.file, &options);
        let got = failing(&report);
        let status = report["status"].as_str().unwrap_or_default();
        let expected_code = if row.status == "ready" { 0 } else { 1 };
        if status != row.status || got != row.failing || code != Some(expected_code) || report["source"] != "scanned" {
            wrong.push(format!(
                "{} ({}): expected {} {:?}, got {status} {got:?} exit {code:?}",
                row.file, row.note, row.status, row.failing
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of {} scan fixtures wrong:\n{}", wrong.len(), rows.len(), wrong.join("\n"));
}

#[test]
fn a_ready_scan_reports_the_values_of_its_page_code_and_the_ink_it_saw() {
    let dir = Dir::new();
    let (report, _) = verify_json(&dir, "fixtures/scans/signed-300-gray.pdf", &[]);
    assert_eq!(report["status"], "ready");
    for id in ["signature.current_partner", "signature.customer", "signature.new_partner"] {
        assert_eq!(check(&report, id)["method"], "ink", "{id}");
    }
    let admin = check(&report, "admin.current_partner");
    assert_eq!(admin["method"], "code");
    assert!(admin["detail"].as_str().unwrap().contains("@contoso.example"), "{admin}");
    assert_eq!(check(&report, "id.customer")["method"], "code");
    assert_eq!(check(&report, "attest.customer_agreement")["method"], "ink");
    assert!(check(&report, "integrity")["detail"].as_str().unwrap().contains("every page code read"));
    assert!(report["customer"]["microsoft_id"].as_str().is_some_and(|s| s.len() == 36));
}

#[test]
fn a_missing_page_is_named_and_a_swapped_order_is_fine() {
    let dir = Dir::new();
    let (report, _) = verify_json(&dir, "fixtures/scans/two-pages-page2-missing.pdf", &[]);
    let integrity = check(&report, "integrity");
    assert_eq!(integrity["ok"], false);
    assert!(integrity["detail"].as_str().unwrap().contains("page 2 of 2 is missing"), "{integrity}");
    let (report, _) = verify_json(&dir, "fixtures/scans/two-pages-swapped.pdf", &[]);
    assert_eq!(report["status"], "ready");
    assert!(check(&report, "integrity")["detail"].as_str().unwrap().contains("order 2, 1"));
}

#[test]
fn blank_back_sides_are_skipped_and_a_page_scanned_twice_is_accepted_only_if_the_copies_agree() {
    let dir = Dir::new();
    let detail = |file: &str| {
        let (report, _) = verify_json(&dir, file, &[]);
        let integrity = check(&report, "integrity");
        (report["status"].as_str().unwrap_or_default().to_string(), integrity["detail"].as_str().unwrap().to_string())
    };
    let (status, text) = detail("fixtures/scans/duplex-two-pages.pdf");
    assert_eq!(status, "ready");
    assert!(text.contains("page(s) 2, 4 of the scan are blank"), "{text}");
    let (status, text) = detail("fixtures/scans/twice-identical.pdf");
    assert_eq!(status, "ready");
    assert!(text.contains("page 1 of 1 is in the scan 2 times (pages 1, 2 of the scan): identical copies"), "{text}");
    let (status, text) = detail("fixtures/scans/twice-one-unsigned.pdf");
    assert_eq!(status, "not_ready");
    assert!(
        text.contains("the copies differ") && text.contains("Customer signature box holds handwriting on page 1"),
        "{text}"
    );
}

#[test]
fn uncertain_ink_asks_for_a_human_look() {
    let dir = Dir::new();
    let (report, _) = verify_json(&dir, "fixtures/scans/dot-new-partner.pdf", &[]);
    let sig = check(&report, "signature.new_partner");
    assert_eq!(sig["ok"], false);
    assert!(sig["detail"].as_str().unwrap().contains("human look"), "{sig}");
    let (report, _) = verify_json(&dir, "fixtures/scans/handwritten-new-partner.pdf", &[]);
    let admin = check(&report, "admin.new_partner");
    assert_eq!(admin["method"], "handwriting");
    assert!(admin["detail"].as_str().unwrap().contains("human look"), "{admin}");
}

/// Dark pixels in the middle of a crop (away from the printed box outline and the margin).
fn ink_in_middle(png: &std::path::Path) -> usize {
    common::dark_pixels_inside(png, 6, 4, 110)
}

#[test]
fn evidence_crops_show_what_the_checks_say() {
    let dir = Dir::new();
    let out = dir
        .formtool()
        .arg("verify")
        .arg(repo("fixtures/scans/empty-customer.pdf"))
        .args(["--evidence", "ev", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let ev = dir.path("ev");
    let ids = [
        "signature.current_partner",
        "signature.customer",
        "signature.new_partner",
        "admin.current_partner",
        "admin.new_partner",
        "attest.reseller_relationship",
        "attest.customer_agreement",
    ];
    for id in ids {
        assert!(ev.join(format!("empty-customer.{id}.png")).is_file(), "no crop for {id}");
    }
    assert!(ink_in_middle(&ev.join("empty-customer.signature.current_partner.png")) > 100);
    assert!(ink_in_middle(&ev.join("empty-customer.signature.new_partner.png")) > 100);
    assert_eq!(ink_in_middle(&ev.join("empty-customer.signature.customer.png")), 0);
    assert!(ink_in_middle(&ev.join("empty-customer.attest.customer_agreement.png")) > 5);
    // Upright: the admin row shows printed text (dark pixels) like the form has it.
    assert!(ink_in_middle(&ev.join("empty-customer.admin.current_partner.png")) > 50);

    // An unticked box's crop has no ink inside the box.
    let out = dir
        .formtool()
        .arg("verify")
        .arg(repo("fixtures/scans/unticked-agreement.pdf"))
        .args(["--evidence", "ev", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let unticked = image::open(ev.join("unticked-agreement.attest.customer_agreement.png")).unwrap().into_luma8();
    let (w, h) = unticked.dimensions();
    // Crop = box + 6 pt at 4 px/pt; the box interior starts 6 + 1.2 pt in.
    let inset = ((6.0 + 1.2) * 4.0) as u32 + 2;
    let dark = (inset..h - inset)
        .flat_map(|y| (inset..w - inset).map(move |x| (x, y)))
        .filter(|(x, y)| unticked.get_pixel(*x, *y)[0] < 110)
        .count();
    assert_eq!(dark, 0);

    // Crops already there are not replaced without --force.
    let before = std::fs::read(ev.join("empty-customer.signature.customer.png")).unwrap();
    let out = dir
        .formtool()
        .arg("verify")
        .arg(repo("fixtures/scans/empty-customer.pdf"))
        .args(["--evidence", "ev", "--format", "json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read(ev.join("empty-customer.signature.customer.png")).unwrap(), before);
}

/// A one-page PDF whose page paints one image XObject with `dict` and `data`.
fn image_pdf(dict: lopdf::Dictionary, data: Vec<u8>) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let image_id = doc.add_object(Stream::new(dict, data));
    let content_id = doc.add_object(Stream::new(dictionary! {}, b"q 612 0 0 792 0 0 cm /Im0 Do Q".to_vec()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        "Contents" => content_id,
        "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image_id } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn hostile_or_unsupported_scans_fail_with_a_reason() {
    use lopdf::dictionary;
    let huge = image_pdf(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 200_000, "Height" => 200_000,
        "BitsPerComponent" => 8, "ColorSpace" => "DeviceGray", "Filter" => "FlateDecode" },
        vec![0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    // The document limits (src/limits.rs) refuse a giant image before the scan reader runs.
    let report = formtool::verify::checks::verify_bytes("huge.pdf", &huge, &Default::default());
    assert_eq!(report.status.as_str(), "error");
    let why = report.error.clone().unwrap_or_default();
    assert!(why.contains("200000") && why.contains("pixels"), "{why}");

    let jbig2 = image_pdf(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 100, "Height" => 100,
        "BitsPerComponent" => 1, "ColorSpace" => "DeviceGray", "Filter" => "JBIG2Decode" },
        vec![0; 64],
    );
    let report = formtool::verify::checks::verify_bytes("jbig2.pdf", &jbig2, &Default::default());
    assert_eq!(report.status.as_str(), "not_ready");
    let integrity = report.checks.iter().find(|c| c.id == "integrity").unwrap();
    assert!(integrity.detail.contains("JBIG2Decode"), "{}", integrity.detail);

    // A Flate bomb: tiny stream claiming a small image but inflating far past it.
    let bomb_raw = vec![0u8; 50_000_000];
    let bomb = formtool::pdf::deflate(&bomb_raw);
    let bomb_pdf = image_pdf(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 100, "Height" => 100,
        "BitsPerComponent" => 8, "ColorSpace" => "DeviceGray", "Filter" => "FlateDecode" },
        bomb,
    );
    let report = formtool::verify::checks::verify_bytes("bomb.pdf", &bomb_pdf, &Default::default());
    assert_eq!(report.status.as_str(), "not_ready");
    let integrity = report.checks.iter().find(|c| c.id == "integrity").unwrap();
    assert!(integrity.detail.contains("inflates"), "{}", integrity.detail);
}

/// Scanners often add an invisible OCR text layer: the page is still a scan.
#[test]
fn an_invisible_ocr_layer_does_not_stop_a_scan_being_read() {
    let original = std::fs::read(repo("fixtures/scans/signed-300-gray.pdf")).unwrap();
    let mut doc = lopdf::Document::load_mem(&original).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    doc.add_page_contents(page, b"BT 3 Tr /F9 12 Tf 72 700 Td (Azure subscription transfer) Tj ET".to_vec()).unwrap();
    let mut with_ocr = Vec::new();
    doc.save_to(&mut with_ocr).unwrap();
    let options = formtool::verify::VerifyOptions::default();
    let before = formtool::verify::checks::verify_bytes("scan.pdf", &original, &options);
    let after = formtool::verify::checks::verify_bytes("scan-ocr.pdf", &with_ocr, &options);
    assert_eq!(before.status.as_str(), "ready");
    assert_eq!(after.status.as_str(), "ready", "{:?}", after.checks.iter().filter(|c| !c.ok).collect::<Vec<_>>());
    assert_eq!(after.source, Some(formtool::verify::report::Source::Scanned));
}

fn subscriptions_of(report: &Value) -> Vec<String> {
    report["subscriptions"]
        .as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn transfer_json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(repo(&format!("fixtures/scans/{name}"))).unwrap()).unwrap()
}

fn ids(transfer: &Value) -> Vec<String> {
    transfer["subscriptions"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

/// Item 3: a scan says which transfer it is — every subscription ID (page 1's ten, then a
/// continuation page's) and the customer's organization, from the page codes, also at 150 dpi
/// colour JPEG q30 and 200 dpi bi-level.
#[test]
fn a_scan_names_its_subscriptions_and_organization_from_the_page_codes() {
    let dir = Dir::new();
    for (scan, transfer) in [
        ("named-150-colour-q30.pdf", "named-10.json"),
        ("named-200-fax.pdf", "named-10.json"),
        ("named-30-150-colour-q30.pdf", "named-30.json"),
    ] {
        let (report, code) = verify_json(&dir, &format!("fixtures/scans/{scan}"), &[]);
        let t = transfer_json(transfer);
        assert_eq!(code, Some(0), "{scan}: {report}");
        assert_eq!(subscriptions_of(&report), ids(&t), "{scan}");
        assert_eq!(report["customer"]["organization"], t["customer"]["organization"], "{scan}");
    }
    // A continuation page of sixty carries none (its code would be too dense to read): the
    // list would be incomplete, so none is claimed; --expect supplies it.
    let (report, _) = verify_json(&dir, "fixtures/scans/named-70-150-gray.pdf", &[]);
    assert_eq!(report["status"], "ready");
    assert!(subscriptions_of(&report).is_empty(), "{report}");
    assert_eq!(report["customer"]["organization"], "Fabrikam A.E.");
    let expect = repo("fixtures/scans/named-70.json");
    let (report, _) =
        verify_json(&dir, "fixtures/scans/named-70-150-gray.pdf", &["--expect", expect.to_str().unwrap()]);
    assert_eq!(subscriptions_of(&report), ids(&transfer_json("named-70.json")));
    // A page missing from the scan: no partial list either.
    let (report, _) = verify_json(&dir, "fixtures/scans/two-pages-page2-missing.pdf", &[]);
    assert!(subscriptions_of(&report).is_empty(), "{report}");
}

/// Item 3: codes printed before they carried subscriptions (the older fixtures) still decode;
/// with `--expect`, the transfer whose digest the code carries names the scan.
#[test]
fn an_older_scan_takes_its_subscriptions_from_the_expected_transfer() {
    let dir = Dir::new();
    let (report, code) = verify_json(&dir, "fixtures/scans/signed-300-gray.pdf", &[]);
    assert_eq!(code, Some(0));
    assert!(subscriptions_of(&report).is_empty(), "{report}");
    assert!(report["customer"]["organization"].is_null(), "{report}");
    let expect = repo("fixtures/scans/one.json");
    let (report, code) =
        verify_json(&dir, "fixtures/scans/signed-300-gray.pdf", &["--expect", expect.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{report}");
    let t = transfer_json("one.json");
    assert_eq!(subscriptions_of(&report), ids(&t));
    assert_eq!(report["customer"]["organization"], t["customer"]["organization"]);
}

/// Item 3: `--ready-dir` names a ready scan from its customer and first subscription.
#[test]
fn ready_dir_names_scans_from_their_page_codes() {
    let dir = Dir::new();
    let scan = repo("fixtures/scans/named-150-colour-q30.pdf");
    dir.formtool().arg("verify").arg(&scan).args(["--ready-dir", "up", "--format", "json"]).assert().success();
    let first = &ids(&transfer_json("named-10.json"))[0];
    let copy = dir.read(&format!("up/Fabrikam-A.E_{first}.pdf"));
    assert_eq!(copy, std::fs::read(&scan).unwrap());
    let names: Vec<String> =
        std::fs::read_dir(dir.path("up")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(!names.iter().any(|n| n.contains("no-subscription")), "{names:?}");
}

/// A page whose picture is a sliver (one pixel wide, or two rows high) is narrower than one
/// block of the reduced copies the blank-page test and the mark finder make: it is read as
/// "no form here", never an internal error (it read past the picture's rows once).
#[test]
fn a_sliver_of_a_picture_is_not_a_form_and_not_an_internal_error() {
    use lopdf::dictionary;
    for (w, h, ramp) in [(1u32, 3000u32, false), (2, 3000, true), (3000, 2, true), (3, 3, false)] {
        let data: Vec<u8> =
            (0..w * h).map(|i| if ramp { (120 + (i % w) * 135 / w.max(1)) as u8 } else { (i % 251) as u8 }).collect();
        let pdf = image_pdf(
            dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64,
            "BitsPerComponent" => 8, "ColorSpace" => "DeviceGray" },
            data,
        );
        let report = formtool::verify::checks::verify_bytes("sliver.pdf", &pdf, &Default::default());
        assert_eq!(report.status.as_str(), "not_ready", "{w}×{h}: {:?}", report.error);
    }
}
