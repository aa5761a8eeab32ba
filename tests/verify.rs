//! `formtool verify` on the returned-form fixtures: every row of
//! `fixtures/returned/expected.tsv` (made by `fixtures/returned/make.sh` with pyHanko, poppler's
//! pdfsig and crafted attacks) must give exactly its status and failing check ids, through
//! the real binary.

mod common;

use common::{Dir, repo};
use predicates::prelude::*;
use serde_json::Value;

fn table() -> Vec<common::Row> {
    common::expected_table("fixtures/returned/expected.tsv")
}

#[test]
fn every_returned_fixture_gives_its_expected_status_and_failing_checks() {
    let rows = table();
    assert!(rows.len() >= 40, "the table has {} rows", rows.len());
    let wrong = common::rows_that_differ(&rows);
    assert!(wrong.is_empty(), "{} of {} rows differ:\n{}", wrong.len(), rows.len(), wrong.join("\n"));
}

/// The worst bug is a form called ready after it was altered: every fixture whose note says it
/// was changed after signing, tampered or forged must fail `integrity` or a signature check.
#[test]
fn no_fixture_altered_after_signing_is_ever_ready() {
    let options = formtool::verify::VerifyOptions::default();
    let mut altered = 0;
    for row in table() {
        let n = row.note.to_lowercase();
        let is_attack = [
            "after signing",
            "tamper",
            "mismatch",
            "not cms",
            "bytera",
            "transplant",
            "overlay",
            "strikeout",
            "countersigned",
        ]
        .iter()
        .any(|w| n.contains(w) || row.file.contains(w));
        if !is_attack {
            continue;
        }
        altered += 1;
        let bytes = std::fs::read(repo(&row.file)).unwrap();
        let report = formtool::verify::checks::verify_bytes(&row.file, &bytes, &options);
        assert_ne!(
            report.status,
            formtool::verify::report::Status::Ready,
            "{} ({}) was called ready",
            row.file,
            row.note
        );
    }
    assert!(altered >= 8, "only {altered} altered fixtures found");
}

#[test]
fn a_folder_gives_one_row_per_file_a_summary_and_exit_1() {
    let dir = Dir::new();
    for f in ["seq-pyhanko.pdf", "missing-customer.pdf", "not-a-pdf.pdf"] {
        dir.write(&format!("in/{f}"), std::fs::read(repo(&format!("fixtures/returned/{f}"))).unwrap());
    }
    let out = dir.formtool().args(["verify", "in", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["summary"], serde_json::json!({"ready": 1, "review": 0, "not_ready": 1, "error": 1}));
    let files: Vec<&str> = v["forms"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["in/missing-customer.pdf", "in/not-a-pdf.pdf", "in/seq-pyhanko.pdf"]);

    dir.formtool()
        .args(["verify", "in", "--format", "text"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "NOT READY  in/missing-customer.pdf  signature.customer: no signature in the Customer box",
        ))
        .stdout(predicate::str::contains("3 form(s): 1 ready, 1 not ready, 1 could not be read"));
    let csv = dir.formtool().args(["verify", "in", "--format", "csv"]).assert().code(1).get_output().stdout.clone();
    let csv = String::from_utf8(csv).unwrap();
    // Issue 13 item 17: a reasons column.
    assert!(csv.starts_with("file,status,subscriptions,customer,failed_checks,reasons\n"), "{csv}");
    assert!(csv.contains("in/missing-customer.pdf,not_ready,3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b;"), "{csv}");
}

#[test]
fn ready_dir_holds_exactly_the_ready_forms_byte_for_byte() {
    let dir = Dir::new();
    for f in ["seq-pyhanko.pdf", "ink-all.pdf", "missing-customer.pdf", "truncated.pdf"] {
        dir.write(&format!("in/{f}"), std::fs::read(repo(&format!("fixtures/returned/{f}"))).unwrap());
    }
    dir.formtool().args(["verify", "in", "--ready-dir", "upload", "--format", "csv"]).assert().code(1);
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path("upload")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&"SHA256SUMS".to_string()));
    assert!(names.contains(&"SUBSCRIPTIONS".to_string()));
    let sums = String::from_utf8(dir.read("upload/SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 2, "{sums}");
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").unwrap();
        let copied = dir.read(&format!("upload/{name}"));
        assert_eq!(formtool::verify::checks::sha256_hex(&copied), hash);
        let original = ["seq-pyhanko.pdf", "ink-all.pdf"].iter().any(|f| dir.read(&format!("in/{f}")) == copied);
        assert!(original, "{name} is not byte-identical to a ready input");
    }
    // The inputs are untouched.
    assert_eq!(
        dir.read("in/missing-customer.pdf"),
        std::fs::read(repo("fixtures/returned/missing-customer.pdf")).unwrap()
    );
}

#[test]
fn expect_compares_ids_organizations_and_emails() {
    let dir = Dir::new();
    let form = repo("fixtures/returned/seq-pyhanko.pdf");
    let input = repo("fixtures/returned/base/full.toml");
    dir.formtool().arg("verify").arg(&form).arg("--expect").arg(&input).args(["--format", "json"]).assert().success();
    let other = std::fs::read_to_string(&input).unwrap().replace("Northwind Traders GmbH", "Southwind Traders GmbH");
    dir.write("other.toml", other);
    dir.formtool()
        .arg("verify")
        .arg(&form)
        .args(["--expect", "other.toml", "--format", "text"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "expect: new partner organization is \"Northwind Traders GmbH\", expected \"Southwind Traders GmbH\"",
        ));
}

#[test]
fn bad_invocations_exit_2() {
    let dir = Dir::new();
    dir.formtool()
        .args(["verify", "nothing-here.pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing-here.pdf: cannot read"));
    dir.formtool().arg("verify").assert().code(2);
    dir.write("bad.pem", "not a certificate");
    dir.formtool()
        .arg("verify")
        .arg(repo("fixtures/returned/seq-pyhanko.pdf"))
        .args(["--trust", "bad.pem"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.pem"));
}

#[test]
fn our_own_filled_form_is_not_ready_until_signed() {
    let dir = Dir::new();
    dir.formtool().args(["fill", repo("fixtures/transfer.toml").to_str().unwrap(), "-o", "f.pdf"]).assert().success();
    let out = dir.formtool().args(["verify", "f.pdf", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let failing: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["signature.current_partner", "signature.customer", "signature.new_partner"]);
    assert_eq!(v["customer"]["microsoft_id"], "0c7d2a9f-1e3b-4c5d-8e6f-7a8b9c0d1e2f");
    assert_eq!(v["source"], "digital");
}

/// A filled form changed with lopdf, then verified through the library.
fn verify_modified(change: impl FnOnce(&mut lopdf::Document)) -> formtool::verify::report::FormReport {
    let t = &formtool::input::load(&repo("fixtures/transfer.toml"), false).unwrap().transfers[0];
    let pdf = formtool::fill::fill_embedded(t, &Default::default());
    let mut doc = lopdf::Document::load_mem(&pdf).unwrap();
    change(&mut doc);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    formtool::verify::checks::verify_bytes("modified.pdf", &out, &Default::default())
}

fn field_id(doc: &lopdf::Document, name: &str) -> lopdf::ObjectId {
    formtool::pdf::form_fields(doc).into_iter().find(|f| f.name == name).unwrap().id.unwrap()
}

fn check<'a>(report: &'a formtool::verify::report::FormReport, id: &str) -> &'a formtool::verify::report::Check {
    report.checks.iter().find(|c| c.id == id).unwrap()
}

#[test]
fn a_value_that_its_appearance_does_not_show_fails() {
    // The value says one GUID, the appearance (what a reviewer sees) shows the original one.
    let report = verify_modified(|doc| {
        let id = field_id(doc, "Customer_MicrosoftId");
        doc.get_dictionary_mut(id)
            .unwrap()
            .set("V", lopdf::Object::string_literal("11111111-2222-4333-8444-555555555555"));
    });
    let c = check(&report, "id.customer");
    assert!(!c.ok && c.detail.contains("shows \"0c7d2a9f-1e3b-4c5d-8e6f-7a8b9c0d1e2f\""), "{c:?}");

    // A value with no appearance at all is invisible in most viewers.
    let report = verify_modified(|doc| {
        let id = field_id(doc, "NewPartner_AdminPhone");
        doc.get_dictionary_mut(id).unwrap().remove(b"AP");
    });
    let c = check(&report, "admin.new_partner");
    assert!(!c.ok && c.detail.contains("shows nothing"), "{c:?}");
}

#[test]
fn a_checkbox_whose_shown_state_is_off_is_not_ticked() {
    let report = verify_modified(|doc| {
        let id = field_id(doc, "Customer_AgreementAccepted");
        doc.get_dictionary_mut(id).unwrap().set("AS", "Off");
    });
    assert!(!check(&report, "attest.customer_agreement").ok);
    assert!(check(&report, "attest.reseller_relationship").ok);
}

/// Item 4: a flattened form (`fill --flatten`) is judged on the values it prints: none is
/// called missing, an unticked box is still seen as unticked, and once signed it is ready.
#[test]
fn a_flattened_form_is_judged_on_what_it_prints() {
    let dir = Dir::new();
    let input = std::fs::read_to_string(repo("fixtures/transfer.toml")).unwrap();
    assert!(input.contains("customer_agreement    = true"));
    dir.write("t.toml", input.replace("customer_agreement    = true", "customer_agreement = false"));
    dir.formtool().args(["fill", "t.toml", "-o", "flat.pdf", "--flatten"]).assert().success();
    let out =
        dir.formtool().args(["verify", "flat.pdf", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        common::failing_checks(&v),
        ["attest.customer_agreement", "signature.current_partner", "signature.customer", "signature.new_partner"],
        "{v}"
    );
    for c in v["checks"].as_array().unwrap() {
        assert!(!c["detail"].as_str().unwrap().contains("missing"), "{c}");
        assert!(!c["detail"].as_str().unwrap().contains("has no"), "{c}");
    }
    assert_eq!(v["customer"]["organization"], "Φαμπρίκαμ Α.Ε.");
    assert_eq!(v["subscriptions"].as_array().unwrap().len(), 2);
    let admin = v["checks"].as_array().unwrap().iter().find(|c| c["id"] == "admin.current_partner").unwrap();
    assert!(admin["detail"].as_str().unwrap().contains("aoife.nibhriain@contoso.example"), "{admin}");
    // Continuation pages: every subscription is read, not only page 1's ten.
    let thirty = repo("fixtures/scans/named-30.json");
    dir.formtool().arg("fill").arg(&thirty).args(["-o", "flat30.pdf", "--flatten"]).assert().success();
    let out =
        dir.formtool().args(["verify", "flat30.pdf", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let t: Value = serde_json::from_slice(&std::fs::read(&thirty).unwrap()).unwrap();
    assert_eq!(v["subscriptions"], t["subscriptions"], "{v}");
    // Signed digitally (fixtures/returned/make_flat_fixtures.py), with --expect: ready.
    dir.formtool()
        .arg("verify")
        .arg(repo("fixtures/returned/flat-pyhanko.pdf"))
        .arg("--expect")
        .arg(repo("fixtures/returned/base/full.toml"))
        .assert()
        .success();
}
