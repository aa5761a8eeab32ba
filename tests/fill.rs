//! `formtool fill`, `template`, `inspect` and `guide` through the real binary and the library.

mod common;

use common::{Dir, field_values, repo};
use formtool::input::{self, Format, parse_str};
use predicates::prelude::*;

const TRANSFER_TOML: &str = include_str!("../fixtures/transfer.toml");

#[test]
fn fills_every_value_of_the_fixture_into_its_spec_field() {
    let dir = Dir::new();
    dir.formtool()
        .args(["fill", repo("fixtures/transfer.toml").to_str().unwrap(), "-o", "out.pdf"])
        .assert()
        .success()
        .stdout(predicate::str::contains("out.pdf"));
    let values = field_values(&dir.read("out.pdf"));
    let expect = [
        ("CurrentPartner_Organization", "Contoso Cloud Services Ltd"),
        ("CurrentPartner_MicrosoftId", "8f0b2c9e-6a51-4f3b-9d2e-3c7a1b5e4d21"),
        ("CurrentPartner_Address", "1 Harbour Way, Dublin D02 X285, Ireland"),
        ("CurrentPartner_AdminName", "Aoife Ní Bhriain"),
        ("CurrentPartner_AdminEmail", "aoife.nibhriain@contoso.example"),
        ("CurrentPartner_AdminPhone", "+353 1 555 0142"),
        ("Customer_Organization", "Φαμπρίκαμ Α.Ε."),
        ("Customer_MicrosoftId", "0c7d2a9f-1e3b-4c5d-8e6f-7a8b9c0d1e2f"),
        ("Customer_Domain", "fabrikam.onmicrosoft.com"),
        ("NewPartner_Organization", "Northwind Traders GmbH"),
        ("NewPartner_Address", "Hauptstraße 5, 80331 München, Germany"),
        ("NewPartner_AdminName", "Jürgen Weiß"),
        ("Subscription_1", "3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b"),
        // Braces and upper case in the input come back as a plain lower-case GUID.
        ("Subscription_2", "a1b2c3d4-e5f6-4789-8abc-def012345678"),
        ("NewPartner_ResellerRelationship", "Yes"),
        ("Customer_AgreementAccepted", "Yes"),
        ("Customer_SignerName", "Ελένη Παπαδοπούλου"),
        ("Customer_SignerTitle", "Διευθύντρια Πληροφορικής"),
        ("NewPartner_SignerTitle", "Geschäftsführer"),
    ];
    for (name, value) in expect {
        assert_eq!(values.get(name), Some(&Some(value.to_string())), "{name}");
    }
    for blank in ["Subscription_3", "Subscription_10", "CurrentPartner_SignDate", "Customer_Signature"] {
        assert_eq!(values.get(blank), Some(&None), "{blank} should stay blank");
    }
}

#[test]
fn every_text_value_has_an_appearance_stream_in_the_embedded_font() {
    let t = &parse_str(TRANSFER_TOML, Format::Toml, "t.toml", true).unwrap().transfers[0];
    let pdf = formtool::fill::fill_embedded(t, &Default::default());
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let (hex, _) = formtool::form::font::embedded().encode("Jürgen Weiß", 9.0);
    let field = formtool::pdf::form_fields(&doc).into_iter().find(|f| f.name == "NewPartner_AdminName").unwrap();
    let widget = doc.get_dictionary(field.id.unwrap()).unwrap();
    let ap = widget.get(b"AP").unwrap().as_dict().unwrap().get(b"N").unwrap().as_reference().unwrap();
    let stream = doc.get_object(ap).unwrap().as_stream().unwrap();
    let content = String::from_utf8(stream.decompressed_content().unwrap_or(stream.content.clone())).unwrap();
    assert!(content.contains(&hex), "appearance {content} lacks {hex}");
}

#[test]
fn json_toml_and_csv_give_the_same_transfer_and_the_same_bytes() {
    let from = |p: &str| input::load(&repo(p), true).unwrap().transfers;
    let (t, j, c) = (from("fixtures/transfer.toml"), from("fixtures/transfer.json"), from("fixtures/transfer.csv"));
    assert_eq!(t, j);
    assert_eq!(t, c);
    let fill = |x: &input::Transfer| formtool::fill::fill_embedded(x, &Default::default());
    assert_eq!(fill(&t[0]), fill(&c[0]));
}

#[test]
fn more_than_ten_subscriptions_add_a_continuation_page() {
    let subs: Vec<String> = (1..=25).map(|i| format!("\"00000000-0000-4000-8000-{i:012}\"")).collect();
    let toml = TRANSFER_TOML.replacen(
        "subscriptions = [\n  \"3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b\",\n  \"{A1B2C3D4-E5F6-4789-8ABC-DEF012345678}\",\n]",
        &format!("subscriptions = [{}]", subs.join(", ")),
        1,
    );
    let t = &parse_str(&toml, Format::Toml, "t.toml", true).unwrap().transfers[0];
    assert_eq!(t.subscriptions.len(), 25);
    let pdf = formtool::fill::fill_embedded(t, &Default::default());
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    assert_eq!(doc.get_pages().len(), 2);
    let fields = formtool::pdf::form_fields(&doc);
    for n in 1..=25 {
        let f = fields.iter().find(|f| f.name == format!("Subscription_{n}")).unwrap();
        assert_eq!(f.value.as_deref(), Some(format!("00000000-0000-4000-8000-{n:012}").as_str()));
        assert_eq!(f.widgets[0].page, Some(if n <= 10 { 1 } else { 2 }), "Subscription_{n}");
    }
    assert!(fields.iter().all(|f| f.name != "Subscription_26"));
}

#[test]
fn batch_writes_one_form_per_transfer_with_collisions_resolved() {
    let dir = Dir::new();
    dir.formtool()
        .args(["fill", repo("fixtures/batch.csv").to_str().unwrap(), "--out-dir", "filled"])
        .assert()
        .success()
        .stderr(predicate::str::contains("row 5: new_partner: missing"));
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path("filled")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Fabrikam-Ltd_11111111-2222-4333-8444-555555555501-2.pdf",
            "Fabrikam-Ltd_11111111-2222-4333-8444-555555555501.pdf",
            "Tailspin-Toys_11111111-2222-4333-8444-555555555503.pdf",
            // Issue 13 item 6: "Wingtip Toys Ρωσία", the Greek transliterated.
            "Wingtip-Toys-Rosia_11111111-2222-4333-8444-555555555504.pdf",
        ]
    );
    let wingtip = field_values(&dir.read("filled/Wingtip-Toys-Rosia_11111111-2222-4333-8444-555555555504.pdf"));
    assert_eq!(wingtip["NewPartner_Organization"], None);
    assert_eq!(wingtip["Customer_Organization"].as_deref(), Some("Wingtip Toys Ρωσία"));
}

#[test]
fn strict_refuses_a_missing_new_partner_and_writes_nothing() {
    let dir = Dir::new();
    dir.formtool()
        .args(["fill", repo("fixtures/batch.csv").to_str().unwrap(), "--out-dir", "filled", "--strict"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("row 5: new_partner: missing (required with --strict)"));
    assert!(!dir.path("filled").exists() || std::fs::read_dir(dir.path("filled")).unwrap().next().is_none());
}

#[test]
fn never_overwrites_without_force() {
    let dir = Dir::new();
    dir.write("out.pdf", b"precious");
    let input = repo("fixtures/transfer.toml");
    dir.formtool()
        .args(["fill", input.to_str().unwrap(), "-o", "out.pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("out.pdf: already exists (use --force to overwrite)"));
    assert_eq!(dir.read("out.pdf"), b"precious");
    dir.formtool().args(["fill", input.to_str().unwrap(), "-o", "out.pdf", "--force"]).assert().success();
    assert!(dir.read("out.pdf").starts_with(b"%PDF-"));
    // The batch check happens before anything is written.
    dir.write("filled/Tailspin-Toys_11111111-2222-4333-8444-555555555503.pdf", b"old");
    dir.formtool()
        .args(["fill", repo("fixtures/batch.csv").to_str().unwrap(), "--out-dir", "filled"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exist"));
    assert_eq!(std::fs::read_dir(dir.path("filled")).unwrap().count(), 1);
}

/// One case per rule of SPEC section 3: (what to replace in the fixture, with what, the
/// message expected with its key path).
#[test]
fn each_validation_rule_is_reported_with_its_place() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "\"8f0b2c9e-6a51-4f3b-9d2e-3c7a1b5e4d21\"",
            "\"8f0b2c9e-6a51\"",
            "current_partner.microsoft_id: \"8f0b2c9e-6a51\" is not a GUID",
        ),
        (
            "\"0c7d2a9f-1e3b-4c5d-8e6f-7a8b9c0d1e2f\"",
            "\"not-a-guid\"",
            "customer.microsoft_id: \"not-a-guid\" is not a GUID",
        ),
        ("\"3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b\"", "\"3f2b8c1e\"", "subscriptions[1]: \"3f2b8c1e\" is not a GUID"),
        (
            "\"{A1B2C3D4-E5F6-4789-8ABC-DEF012345678}\"",
            "\"3F2B8C1E-7D4A-4E6B-9A0C-5B1D2E3F4A5B\"",
            "subscriptions[2]: 3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b is listed twice",
        ),
        (
            "j.weiss@northwind.example",
            "j.weiss@northwind",
            "new_partner.admin.email: \"j.weiss@northwind\" is not an email address",
        ),
        ("\"+49 89 555 0199\"", "\"555 01\"", "new_partner.admin.phone: \"555 01\" has fewer than 7 digits"),
        ("j.weiss@northwind.example", "Aoife.NiBhriain@contoso.example", "the two admins must be different people"),
        (
            "organization = \"Contoso",
            "organisation = \"Contoso",
            "current_partner.organisation: unknown field `organisation`",
        ),
        (
            "Northwind Traders GmbH",
            "Northwind 東京 GmbH",
            "new_partner.organization: the form's font cannot print '東' (U+6771)",
        ),
        ("aoife.nibhriain@contoso.example", "", "current_partner.admin.email: missing"),
    ];
    for (from, to, message) in cases {
        assert!(TRANSFER_TOML.contains(from), "fixture lacks {from}");
        let toml = TRANSFER_TOML.replacen(from, to, 1);
        let dir = Dir::new();
        dir.write("t.toml", &toml);
        dir.formtool()
            .args(["fill", "t.toml", "-o", "out.pdf"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("t.toml: {message}").replace("t.toml: the two", "t.toml: new_partner.admin.email: \"Aoife.NiBhriain@contoso.example\" is also the current partner admin's email; the two")));
        assert!(!dir.path("out.pdf").exists(), "nothing is written for {message}");
    }
}

#[test]
fn every_problem_is_reported_at_once_with_csv_rows_and_json_entries() {
    let csv = std::fs::read_to_string(repo("fixtures/batch.csv")).unwrap();
    let broken = csv
        .replacen("+353 1 555 0142", "12", 1)
        .replace("Tailspin Toys,0c7d2a9f-1e3b-4c5d-8e6f-7a8b9c0d1e2f", "Tailspin Toys,xyz");
    let err = parse_str(&broken, Format::Csv, "b.csv", false).unwrap_err();
    assert!(
        err.problems.contains(&"b.csv: row 2: current_partner.admin.phone: \"12\" has fewer than 7 digits".to_string()),
        "{err}"
    );
    // Issue 13 item 12: the reason says why (here the first bad character and its position).
    assert!(
        err.problems.iter().any(|p| p.starts_with("b.csv: row 4: customer.microsoft_id: \"xyz\" is not a GUID")),
        "{err}"
    );

    let json = std::fs::read_to_string(repo("fixtures/transfer.json")).unwrap();
    let many = format!("[{json}, {}]", json.replace("fabrikam.onmicrosoft.com", "fabrikam"));
    let err = parse_str(&many, Format::Json, "m.json", false).unwrap_err();
    assert_eq!(
        err.problems,
        vec!["m.json: [2]: customer.domain: \"fabrikam\" is not a domain name (e.g. fabrikam.onmicrosoft.com)"]
    );

    let toml = format!("[[transfer]]\n{}", TRANSFER_TOML.replace("[current_partner]", "[transfer.current_partner]"));
    assert!(parse_str(&toml, Format::Toml, "x.toml", false).is_err());
}

#[test]
fn toml_transfer_tables_give_many_transfers() {
    let one = TRANSFER_TOML
        .replace("[current_partner]", "[transfer.current_partner]")
        .replace("[customer]", "[transfer.customer]")
        .replace("[new_partner]", "[transfer.new_partner]")
        .replace("[attestations]", "[transfer.attestations]")
        .replace("[signers]", "[transfer.signers]")
        .replace("subscriptions = [", "[[transfer]]\nsubscriptions = [");
    let two = format!("{one}\n{}", one.replace("3f2b8c1e-7d4a", "4f2b8c1e-7d4a"));
    let loaded = parse_str(&two, Format::Toml, "two.toml", true).unwrap();
    assert_eq!(loaded.transfers.len(), 2);
    assert_eq!(loaded.transfers[1].subscriptions[0], "4f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b");
}

#[test]
fn template_bytes_are_the_same_on_every_run_and_match_the_committed_digest() {
    let dir = Dir::new();
    dir.formtool().args(["template", "-o", "a.pdf"]).assert().success();
    dir.formtool().args(["template", "-o", "b.pdf"]).assert().success();
    let (a, b) = (dir.read("a.pdf"), dir.read("b.pdf"));
    assert_eq!(a, b);
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(&a).iter().map(|b| format!("{b:02x}")).collect();
    let committed = std::fs::read_to_string(repo("fixtures/template.sha256")).unwrap();
    assert_eq!(
        digest,
        committed.split_whitespace().next().unwrap(),
        "the blank form changed: if on purpose, update fixtures/template.sha256"
    );
    dir.formtool().args(["template", "-o", "a.pdf"]).assert().code(2);
}

#[test]
fn inspect_lists_fields_with_roles() {
    let dir = Dir::new();
    dir.formtool().args(["fill", repo("fixtures/transfer.toml").to_str().unwrap(), "-o", "f.pdf"]).assert().success();
    let out = dir.formtool().args(["inspect", "f.pdf", "--json"]).assert().success().get_output().stdout.clone();
    let fields: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let sig = fields.as_array().unwrap().iter().find(|f| f["name"] == "Customer_Signature").unwrap();
    assert_eq!(sig["type"], "Sig");
    assert_eq!(sig["role"], "signature.customer");
    assert_eq!(sig["page"], 1);
    let rect = sig["rect"].as_array().unwrap();
    let (w, h) =
        (rect[2].as_f64().unwrap() - rect[0].as_f64().unwrap(), rect[3].as_f64().unwrap() - rect[1].as_f64().unwrap());
    assert!(w >= 216.0 && h >= 54.0, "signature box {w} x {h}");
    dir.formtool().args(["inspect", "f.pdf"]).assert().success().stdout(
        predicate::str::contains("Customer_MicrosoftId").and(predicate::str::contains("customer.microsoft_id")),
    );
    dir.write("junk.pdf", b"hello");
    dir.formtool()
        .args(["inspect", "junk.pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("junk.pdf: not a PDF file"));
    dir.formtool()
        .args(["inspect", "missing.pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.pdf: cannot read"));
}

#[test]
fn guide_prints_the_steps_with_this_transfers_values() {
    let dir = Dir::new();
    dir.formtool().args(["guide", repo("fixtures/transfer.toml").to_str().unwrap()]).assert().success().stdout(
        predicate::str::contains("Severity:      C - Minimal impact")
            .and(predicate::str::contains("Connect-AzAccount -Tenant fabrikam.onmicrosoft.com"))
            .and(predicate::str::contains("Login-AzureRMAccount -TenantId fabrikam.onmicrosoft.com"))
            .and(predicate::str::contains("Remove-AzRoleAssignment"))
            .and(predicate::str::contains("Jürgen Weiß <j.weiss@northwind.example>")),
    );
}

#[test]
fn bad_invocations_exit_2() {
    let dir = Dir::new();
    dir.formtool().args(["fill"]).assert().code(2);
    dir.formtool().args(["fill", "x.toml", "--bogus"]).assert().code(2);
    dir.formtool()
        .args(["fill", "missing.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.toml: cannot read"));
    dir.write("t.yaml", "a: 1");
    dir.formtool().args(["fill", "t.yaml"]).assert().code(2).stderr(predicate::str::contains("unknown input format"));
    dir.write("t.json", "{ nope");
    dir.formtool()
        .args(["fill", "t.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("t.json: line 1, column 3: invalid JSON"));
}

#[test]
fn stdin_reads_json() {
    let dir = Dir::new();
    let json = std::fs::read(repo("fixtures/transfer.json")).unwrap();
    dir.formtool().args(["fill", "-", "-o", "s.pdf"]).write_stdin(json).assert().success();
    assert_eq!(field_values(&dir.read("s.pdf"))["Customer_Domain"].as_deref(), Some("fabrikam.onmicrosoft.com"));
}

#[test]
fn flatten_moves_values_into_the_page_and_keeps_signature_fields() {
    let dir = Dir::new();
    dir.formtool()
        .args(["fill", repo("fixtures/transfer.toml").to_str().unwrap(), "-o", "flat.pdf", "--flatten"])
        .assert()
        .success();
    let values = field_values(&dir.read("flat.pdf"));
    let mut names: Vec<&String> = values.keys().collect();
    names.sort();
    assert_eq!(names, ["CurrentPartner_Signature", "Customer_Signature", "NewPartner_Signature"]);
}
