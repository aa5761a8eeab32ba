//! Foreign transfer forms (fixtures/foreign, rebuilt by fixtures/foreign/make.sh): forms made by
//! tools other than formtool, with field names unlike formtool's own: a ReportLab AcroForm, a
//! LibreOffice Writer export, and a flat print-only PDF filled through boxes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use formtool::fill::foreign;
use formtool::fill::{FieldValue, role_values};
use formtool::form::layout::Role;
use formtool::form::profile::{self, Profile};
use formtool::input::{self, Transfer};
use formtool::pdf::form_fields;
use lopdf::{Document, Object};

const DISTRIBUTOR: &str = "fixtures/foreign/distributor-acroform";
const RESELLER: &str = "fixtures/foreign/reseller-form";
const FLAT: &str = "fixtures/foreign/flat-print";

fn pdf(stem: &str) -> PathBuf {
    PathBuf::from(format!("{stem}.pdf"))
}

fn profile_path(stem: &str) -> PathBuf {
    PathBuf::from(format!("{stem}.profile.toml"))
}

fn load_doc(stem: &str) -> Document {
    Document::load(pdf(stem)).unwrap()
}

fn committed_profile(stem: &str) -> Profile {
    Profile::from_toml(&std::fs::read_to_string(profile_path(stem)).unwrap()).unwrap()
}

fn transfer() -> Transfer {
    input::load(Path::new("fixtures/transfer.toml"), false).unwrap().transfers.remove(0)
}

fn values_by_key(t: &Transfer) -> BTreeMap<String, FieldValue> {
    role_values(t).into_iter().map(|(r, v)| (r.key(), v)).collect()
}

fn field_values(bytes: &[u8]) -> BTreeMap<String, Option<String>> {
    let doc = Document::load_mem(bytes).unwrap();
    form_fields(&doc).into_iter().map(|f| (f.name, f.value)).collect()
}

/// The "on" state a checkbox field's widget offers in `/AP /N`.
fn on_state(doc: &Document, field: &str) -> String {
    let f = form_fields(doc).into_iter().find(|f| f.name == field).unwrap();
    let w = doc.get_dictionary(f.widgets[0].id.unwrap()).unwrap();
    let ap = w.get(b"AP").unwrap().as_dict().unwrap();
    let n = match ap.get(b"N").unwrap() {
        Object::Reference(r) => doc.get_dictionary(*r).unwrap(),
        o => o.as_dict().unwrap(),
    };
    n.iter().map(|(k, _)| String::from_utf8_lossy(k).into_owned()).find(|k| k != "Off").unwrap()
}

fn assert_maps(p: &Profile, expected: &[(&str, &str)]) {
    for (role, field) in expected {
        assert_eq!(p.fields.get(*role).map(String::as_str), Some(*field), "role {role}");
    }
}

// ----- propose -------------------------------------------------------------------------------

#[test]
fn proposes_the_distributor_form_by_names_and_tooltips() {
    let (p, unmapped) = profile::propose(&load_doc(DISTRIBUTOR));
    assert!(unmapped.is_empty(), "{unmapped:?}");
    assert_maps(
        &p,
        &[
            ("current_partner.organization", "Current Partner Organization Name"),
            ("current_partner.microsoft_id", "Current Partner MPN ID"),
            ("current_partner.admin.name", "Partner admin name"),
            ("current_partner.admin.email", "Partner admin e-mail"),
            ("current_partner.admin.phone", "Partner admin phone"),
            ("customer.organization", "Customer Company Name"),
            // An opaque name, recognised by its tooltip.
            ("customer.microsoft_id", "fld_07"),
            ("customer.domain", "Customer Primary Domain"),
            ("subscriptions.1", "SubscriptionId1"),
            ("subscriptions.4", "SubscriptionId4"),
            ("subscriptions.5", "SubscriptionId5"),
            ("new_partner.microsoft_id", "New CSP partner MPN ID"),
            ("new_partner.admin.email", "New partner admin e-mail"),
            ("attestations.reseller_relationship", "chkResellerRelationship"),
            ("attestations.customer_agreement", "chkMCA"),
            ("signers.customer.title", "Customer signatory title"),
        ],
    );
    assert_eq!(p.subscription_capacity(), 5);
    // The committed profile is the proposal, reviewed: they agree field for field.
    assert_eq!(p.fields, committed_profile(DISTRIBUTOR).fields);
}

#[test]
fn proposes_the_libreoffice_form_by_camel_case_names_and_help_text() {
    let (p, unmapped) = profile::propose(&load_doc(RESELLER));
    assert!(unmapped.is_empty(), "{unmapped:?}");
    assert_maps(
        &p,
        &[
            ("current_partner.organization", "CurrentCspName"),
            ("current_partner.microsoft_id", "CurrentCspMicrosoftId"),
            ("current_partner.admin.name", "CurrentCspAdminName"),
            ("current_partner.admin.email", "CurrentCspAdminEmail"),
            ("current_partner.admin.phone", "CurrentCspAdminTel"),
            ("customer.organization", "CustomerName"),
            ("customer.microsoft_id", "CustomerTenantId"),
            // Text1 … Text4 say what they are only in their help text (/TU).
            ("subscriptions.1", "Text1"),
            ("subscriptions.2", "Text2"),
            ("subscriptions.4", "Text4"),
            ("new_partner.organization", "GainingPartnerName"),
            ("new_partner.microsoft_id", "GainingPartnerMpnId"),
            ("new_partner.admin.name", "GainingPartnerContactName"),
            ("attestations.reseller_relationship", "ResellerRelationshipConfirmed"),
            ("attestations.customer_agreement", "McaAccepted"),
            ("signers.customer.name", "CustomerSignerName"),
        ],
    );
    assert_eq!(p.subscription_capacity(), 4);
    assert_eq!(p.fields, committed_profile(RESELLER).fields);
}

#[test]
fn a_flat_form_gets_the_boxes_of_its_printed_labels() {
    // The committed profile was measured by hand; the proposal reads the same boxes from the
    // labels and rectangles the page prints.
    let (p, unmapped) = profile::propose(&load_doc(FLAT));
    assert!(p.fields.is_empty());
    assert!(unmapped.is_empty(), "{unmapped:?}");
    assert_eq!(p.boxes, committed_profile(FLAT).boxes);
}

#[test]
fn formtools_own_form_is_recognised_too() {
    let doc = Document::load_mem(&formtool::form::template::blank_form()).unwrap();
    let (p, unmapped) = profile::propose(&doc);
    assert!(unmapped.is_empty());
    assert_eq!(p.fields.len(), Role::all_fixed().len() + 10);
    for (key, field) in &p.fields {
        assert_eq!(Role::from_key(key).unwrap().field_name(), *field);
    }
}

// ----- fill_foreign --------------------------------------------------------------------------

/// Every value of the transfer is in the field the profile names; nothing else got a value.
fn check_filled(stem: &str) {
    let t = transfer();
    let profile = committed_profile(stem);
    let blank = std::fs::read(pdf(stem)).unwrap();
    let out = foreign::fill_foreign(&blank, &profile, &t).unwrap();
    let values = field_values(&out);
    let expected = values_by_key(&t);
    let blank_doc = Document::load_mem(&blank).unwrap();
    for (key, field) in &profile.fields {
        let got = values.get(field).unwrap_or_else(|| panic!("{field} missing from output"));
        match expected.get(key) {
            Some(FieldValue::Text(text)) => {
                assert_eq!(got.as_deref(), Some(text.as_str()), "{key} → {field}")
            }
            Some(FieldValue::Checked(true)) => {
                assert_eq!(got.as_deref(), Some(on_state(&blank_doc, field).as_str()), "{key} → {field}")
            }
            Some(FieldValue::Checked(false)) => assert_eq!(got.as_deref(), Some("Off")),
            // Roles the transfer has no value for (subscriptions 3…, dates) stay blank.
            None => assert!(got.is_none() || got.as_deref() == Some("Off"), "{key} → {field}: {got:?}"),
        }
    }
    // Every filled text field shows its value in the embedded font through its appearance.
    let doc = Document::load_mem(&out).unwrap();
    let font = formtool::form::font::embedded();
    for f in form_fields(&doc) {
        let Some(FieldValue::Text(text)) =
            profile.fields.iter().find(|(_, name)| **name == f.name).and_then(|(key, _)| expected.get(key))
        else {
            continue;
        };
        let w = doc.get_dictionary(f.widgets[0].id.unwrap()).unwrap();
        let ap = w.get(b"AP").unwrap().as_dict().unwrap().get(b"N").unwrap().as_reference().unwrap();
        let stream = doc.get_object(ap).unwrap().as_stream().unwrap();
        let content = String::from_utf8_lossy(&stream.content).into_owned();
        let (hex, _) = font.encode(text, 5.0);
        assert!(content.contains(&hex), "{}: appearance lacks {hex}", f.name);
    }
}

#[test]
fn fills_the_distributor_form() {
    check_filled(DISTRIBUTOR);
}

#[test]
fn fills_the_libreoffice_form_with_its_own_checkbox_states() {
    check_filled(RESELLER);
    let out = foreign::fill_foreign(&std::fs::read(pdf(RESELLER)).unwrap(), &committed_profile(RESELLER), &transfer())
        .unwrap();
    let values = field_values(&out);
    // LibreOffice names the on-state after the control's value, not `Yes`.
    assert_eq!(values["ResellerRelationshipConfirmed"].as_deref(), Some("Agreed"));
    assert_eq!(values["McaAccepted"].as_deref(), Some("Accepted"));
    let doc = Document::load_mem(&out).unwrap();
    let acro = doc.catalog().unwrap().get(b"AcroForm").unwrap().as_reference().unwrap();
    let acro = doc.get_dictionary(acro).unwrap();
    // Our font is in /DR so a viewer regenerating appearances can still print Greek names.
    let dr = match acro.get(b"DR").unwrap() {
        Object::Reference(r) => doc.get_dictionary(*r).unwrap(),
        o => o.as_dict().unwrap(),
    };
    let fonts = match dr.get(b"Font").unwrap() {
        Object::Reference(r) => doc.get_dictionary(*r).unwrap(),
        o => o.as_dict().unwrap(),
    };
    assert!(fonts.has(formtool::form::font::RESOURCE_NAME.as_bytes()));
}

#[test]
fn fill_keeps_the_rest_of_the_document() {
    for stem in [DISTRIBUTOR, RESELLER, FLAT] {
        let blank = std::fs::read(pdf(stem)).unwrap();
        let before = Document::load_mem(&blank).unwrap();
        let out = foreign::fill_foreign(&blank, &committed_profile(stem), &transfer()).unwrap();
        let after = Document::load_mem(&out).unwrap();
        assert_eq!(before.get_pages().len(), after.get_pages().len(), "{stem}");
        let names = |d: &Document| form_fields(d).into_iter().map(|f| f.name).collect::<Vec<_>>();
        assert_eq!(names(&before), names(&after), "{stem}");
        for (n, page) in before.get_pages() {
            let old = before.get_page_content(page);
            let new = after.get_page_content(after.get_pages()[&n]);
            let at = new.windows(old.len()).position(|w| w == old.as_slice());
            assert!(at.is_some(), "{stem}: page {n} content changed");
        }
        assert_eq!(blank, std::fs::read(pdf(stem)).unwrap(), "input untouched");
    }
}

#[test]
fn fills_the_flat_form_by_drawing_into_its_boxes() {
    let t = transfer();
    let profile = committed_profile(FLAT);
    let out = foreign::fill_foreign(&std::fs::read(pdf(FLAT)).unwrap(), &profile, &t).unwrap();
    let doc = Document::load_mem(&out).unwrap();
    let page = doc.get_pages()[&1];
    let content = String::from_utf8_lossy(&doc.get_page_content(page)).into_owned();
    let font = formtool::form::font::embedded();
    let values = values_by_key(&t);
    for key in profile.boxes.keys() {
        match values.get(key) {
            Some(FieldValue::Text(text)) => {
                let (hex, _) = font.encode(text, 9.0);
                assert!(content.contains(&hex), "{key}: {hex} not drawn");
            }
            Some(FieldValue::Checked(on)) => {
                let b = profile.boxes[key];
                let tick = foreign::tick_ops(b.rect[0], b.rect[1], b.rect[2] - b.rect[0], b.rect[3] - b.rect[1]);
                assert_eq!(content.contains(tick.trim()), *on, "{key}");
            }
            None => {}
        }
    }
    // The font the values use is in the page's resources under the name the content uses.
    let resources = match doc.get_dictionary(page).unwrap().get(b"Resources").unwrap() {
        Object::Reference(r) => doc.get_dictionary(*r).unwrap(),
        o => o.as_dict().unwrap(),
    };
    let fonts = match resources.get(b"Font").unwrap() {
        Object::Reference(r) => doc.get_dictionary(*r).unwrap(),
        o => o.as_dict().unwrap(),
    };
    assert!(fonts.has(b"FtV"));
    assert!(content.contains("/FtV "));
    // Still a form without fields.
    assert!(form_fields(&doc).is_empty());
}

#[test]
fn more_subscriptions_than_the_form_holds_is_an_error_naming_the_room() {
    let mut t = transfer();
    t.subscriptions = (1..=6).map(|i| format!("00000000-0000-4000-8000-00000000000{i}")).collect();
    let err = foreign::fill_foreign(&std::fs::read(pdf(DISTRIBUTOR)).unwrap(), &committed_profile(DISTRIBUTOR), &t)
        .unwrap_err();
    assert!(err.contains("room for 5"), "{err}");
    t.subscriptions.truncate(5);
    assert!(
        foreign::fill_foreign(&std::fs::read(pdf(DISTRIBUTOR)).unwrap(), &committed_profile(DISTRIBUTOR), &t).is_ok()
    );
}

#[test]
fn profile_problems_are_errors_not_panics() {
    let blank = std::fs::read(pdf(DISTRIBUTOR)).unwrap();
    let t = transfer();
    let mut p = committed_profile(DISTRIBUTOR);
    p.fields.insert("customer.domain".into(), "No Such Field".into());
    let err = foreign::fill_foreign(&blank, &p, &t).unwrap_err();
    assert!(err.contains("No Such Field") && err.contains("customer.domain"), "{err}");

    let mut p = committed_profile(DISTRIBUTOR);
    p.fields.remove("customer.microsoft_id");
    let err = foreign::fill_foreign(&blank, &p, &t).unwrap_err();
    assert!(err.contains("customer.microsoft_id"), "{err}");

    let mut p = committed_profile(DISTRIBUTOR);
    p.fields.insert("customer.domain".into(), "chkMCA".into());
    p.fields.remove("attestations.customer_agreement");
    let err = foreign::fill_foreign(&blank, &p, &t).unwrap_err();
    assert!(err.contains("chkMCA"), "{err}");

    let mut p = committed_profile(FLAT);
    p.boxes.get_mut("subscriptions.1").unwrap().page = 9;
    assert!(foreign::fill_foreign(&std::fs::read(pdf(FLAT)).unwrap(), &p, &t).unwrap_err().contains("page 9"));

    for junk in [&b""[..], b"%PDF-1.7\n garbage", b"not a pdf", &blank[..blank.len() / 2]] {
        assert!(foreign::fill_foreign(junk, &committed_profile(DISTRIBUTOR), &t).is_err());
    }
}

// ----- through the binary --------------------------------------------------------------------

fn formtool() -> Command {
    Command::cargo_bin("formtool").unwrap()
}

#[test]
fn cli_fills_each_foreign_form_with_its_profile() {
    let dir = tempfile::tempdir().unwrap();
    for stem in [DISTRIBUTOR, RESELLER, FLAT] {
        let out = dir.path().join(format!("{}.pdf", Path::new(stem).file_name().unwrap().to_string_lossy()));
        formtool()
            .args(["fill", "fixtures/transfer.toml", "--form"])
            .arg(pdf(stem))
            .arg("--profile")
            .arg(profile_path(stem))
            .arg("-o")
            .arg(&out)
            .assert()
            .code(0);
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
    }
    // Without --profile the proposal is used.
    let out = dir.path().join("proposed.pdf");
    formtool()
        .args(["fill", "fixtures/transfer.toml", "--form"])
        .arg(pdf(RESELLER))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0);
    assert_eq!(
        field_values(&std::fs::read(&out).unwrap())["CustomerTenantId"].as_deref(),
        Some(transfer().customer.microsoft_id.as_str())
    );
}

#[test]
fn cli_unmapped_required_role_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(profile_path(DISTRIBUTOR)).unwrap();
    let cut: String =
        text.lines().filter(|l| !l.starts_with("\"current_partner.admin.phone\"")).collect::<Vec<_>>().join("\n");
    let profile = dir.path().join("cut.toml");
    std::fs::write(&profile, cut).unwrap();
    let out = dir.path().join("out.pdf");
    let assert = formtool()
        .args(["fill", "fixtures/transfer.toml", "--form"])
        .arg(pdf(DISTRIBUTOR))
        .arg("--profile")
        .arg(&profile)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("current_partner.admin.phone"), "{stderr}");
    assert!(!out.exists());

    // A form whose page says nothing either (the distributor form with its labels and
    // tooltips gone is not at hand; a blank page is): every required role named.
    let blank = dir.path().join("blank.pdf");
    let mut doc = lopdf::Document::with_version("1.7");
    let pages = doc.new_object_id();
    let page = doc.add_object(lopdf::dictionary! { "Type" => "Page", "Parent" => pages, "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()] });
    doc.objects.insert(
        pages,
        Object::Dictionary(lopdf::dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
    );
    let catalog = doc.add_object(lopdf::dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    doc.save(&blank).unwrap();
    let assert =
        formtool().args(["fill", "fixtures/transfer.toml", "--form"]).arg(&blank).arg("-o").arg(&out).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("customer.microsoft_id") && stderr.contains("--profile-out"), "{stderr}");
}

#[test]
fn cli_too_many_subscriptions_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("fixtures/transfer.toml").unwrap();
    let subs: Vec<String> = (1..=5).map(|i| format!("\"00000000-0000-4000-8000-00000000000{i}\"")).collect();
    let start = text.find("subscriptions = [").unwrap();
    let end = start + text[start..].find(']').unwrap() + 1;
    let input = dir.path().join("five.toml");
    std::fs::write(&input, format!("{}subscriptions = [{}]{}", &text[..start], subs.join(", "), &text[end..])).unwrap();
    let assert = formtool()
        .arg("fill")
        .arg(&input)
        .arg("--form")
        .arg(pdf(RESELLER))
        .arg("--profile")
        .arg(profile_path(RESELLER))
        .arg("-o")
        .arg(dir.path().join("out.pdf"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("room for 4"), "{stderr}");
}

#[test]
fn cli_flatten_with_a_foreign_form_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    formtool()
        .args(["fill", "fixtures/transfer.toml", "--flatten", "--form"])
        .arg(pdf(RESELLER))
        .arg("-o")
        .arg(dir.path().join("out.pdf"))
        .assert()
        .code(2);
}

#[test]
fn cli_inspect_writes_the_proposed_profile() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.toml");
    let assert = formtool().arg("inspect").arg(pdf(RESELLER)).arg("--profile-out").arg(&out).assert().code(0);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    // The table shows the proposed role of each foreign field.
    let line = stdout.lines().find(|l| l.starts_with("CustomerTenantId")).unwrap();
    assert!(line.contains("customer.microsoft_id"), "{line}");
    let written = Profile::from_toml(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written.fields, committed_profile(RESELLER).fields);
    // No overwrite without --force.
    formtool().arg("inspect").arg(pdf(RESELLER)).arg("--profile-out").arg(&out).assert().code(2);
    formtool().arg("inspect").arg(pdf(RESELLER)).arg("--profile-out").arg(&out).arg("--force").assert().code(0);

    // A flat form: its boxes proposed from the printed labels, the roles it lacks as a
    // skeleton to place by hand.
    let flat = dir.path().join("flat.toml");
    let assert = formtool().arg("inspect").arg(pdf(FLAT)).arg("--profile-out").arg(&flat).assert().code(0);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("no fields") && !stderr.contains("unmapped"), "{stderr}");
    let skeleton = std::fs::read_to_string(&flat).unwrap();
    assert!(skeleton.contains("# \"new_partner.organization\" = { page = 1, rect = [x1, y1, x2, y2] }"), "{skeleton}");
    let written = Profile::from_toml(&skeleton).unwrap();
    assert_eq!(written.boxes, committed_profile(FLAT).boxes);
}

#[test]
fn cli_inspect_json_carries_proposed_roles() {
    let assert = formtool().arg("inspect").arg(pdf(DISTRIBUTOR)).arg("--json").assert().code(0);
    let json: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let f = json.as_array().unwrap().iter().find(|f| f["name"] == "fld_07").unwrap();
    assert_eq!(f["role"], "customer.microsoft_id");
}
