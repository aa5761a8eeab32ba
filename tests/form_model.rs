//! The form model through the binary: a foreign form is checked through its profile, never as
//! if it were the embedded form, and without a profile it is an error that says what to pass.

mod common;

use common::{Dir, failing_checks, repo};
use formtool::form::profile::Profile;
use formtool::form::{FormModel, Party, Role};
use lopdf::{Document, Object, Stream, dictionary};

const DISTRIBUTOR: &str = "fixtures/foreign/distributor-acroform";

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

/// The committed distributor profile, plus signature boxes at the bottom of its page (the
/// form has no signature fields: its parties sign on the paper below the last section).
fn profile_with_signature_boxes(dir: &Dir) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(repo(&format!("{DISTRIBUTOR}.profile.toml"))).unwrap();
    text.push_str(
        "\n[boxes]\n\
         \"signature.current_partner\" = { page = 1, rect = [40, 40, 210, 95] }\n\
         \"signature.customer\" = { page = 1, rect = [220, 40, 390, 95] }\n\
         \"signature.new_partner\" = { page = 1, rect = [400, 40, 570, 95] }\n",
    );
    dir.write("distributor.profile.toml", text)
}

/// Add a visible Ink annotation (with its appearance) across `rect` to page 1.
fn draw_ink(pdf: &[u8], rect: [f32; 4]) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).unwrap();
    let [x1, y1, x2, y2] = rect;
    let (w, h) = (x2 - x1, y2 - y1);
    let pts = [(0.1, 0.3), (0.3, 0.8), (0.5, 0.2), (0.7, 0.7), (0.9, 0.4)];
    let mut ops = String::from("0 0 0.6 RG 1.5 w 1 J 1 j\n");
    for (i, (fx, fy)) in pts.iter().enumerate() {
        ops.push_str(&format!("{} {} {}\n", fx * w, fy * h, if i == 0 { "m" } else { "l" }));
    }
    ops.push_str("S\n");
    let ink: Vec<Object> = pts.iter().flat_map(|(fx, fy)| [(x1 + fx * w).into(), (y1 + fy * h).into()]).collect();
    let ap = doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), w.into(), h.into()] },
        ops.into_bytes(),
    ));
    let annot = doc.add_object(dictionary! {
        "Type" => "Annot", "Subtype" => "Ink", "F" => 4,
        "Rect" => vec![x1.into(), y1.into(), x2.into(), y2.into()],
        "InkList" => vec![Object::Array(ink)],
        "C" => vec![0.into(), 0.into(), Object::Real(0.6)],
        "AP" => dictionary! { "N" => ap },
    });
    let page = *doc.get_pages().get(&1).unwrap();
    let page_dict = doc.get_dictionary_mut(page).unwrap();
    let mut annots = page_dict.get(b"Annots").ok().and_then(|a| a.as_array().ok()).cloned().unwrap_or_default();
    annots.push(annot.into());
    page_dict.set("Annots", annots);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn a_foreign_form_without_its_profile_is_an_error_that_says_to_pass_one() {
    let dir = Dir::new();
    let out = dir
        .formtool()
        .args(["verify", "--format", "json"])
        .arg(repo(&format!("{DISTRIBUTOR}.pdf")))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    assert_eq!(report["status"], "error", "{report}");
    assert!(report["checks"].as_array().is_none_or(|c| c.is_empty()), "no list of failed checks: {report}");
    let why = report["error"].as_str().unwrap();
    assert!(why.contains("not formtool's transfer form"), "{why}");
    assert!(why.contains("--profile"), "{why}");
    let fields = Document::load(repo(&format!("{DISTRIBUTOR}.pdf"))).map(|d| formtool::pdf::form_fields(&d).len());
    assert!(why.contains(&format!("({} field(s)", fields.unwrap())), "{why}");
}

#[test]
fn a_filled_foreign_form_is_checked_through_its_profile() {
    let dir = Dir::new();
    let profile = profile_with_signature_boxes(&dir);
    dir.formtool()
        .args(["fill"])
        .arg(repo("fixtures/transfer.toml"))
        .args(["-o", "filled.pdf", "--form"])
        .arg(repo(&format!("{DISTRIBUTOR}.pdf")))
        .arg("--profile")
        .arg(&profile)
        .assert()
        .success();
    let run = |file: &str| {
        let out =
            dir.formtool().args(["verify", file, "--format", "json", "--profile"]).arg(&profile).output().unwrap();
        json(&out.stdout)
    };
    let report = run("filled.pdf");
    assert_eq!(report["status"], "not_ready", "{report}");
    // Values are read from the profile's fields, not the embedded names.
    assert_eq!(report["customer"]["microsoft_id"], "0c7d2a9f-1e3b-4c5d-8e6f-7a8b9c0d1e2f", "{report}");
    let failing = failing_checks(&report);
    assert!(!failing.contains(&"id.customer".to_string()), "{failing:?}");
    assert!(!failing.contains(&"admin.current_partner".to_string()), "{failing:?}");
    for party in ["current_partner", "customer", "new_partner"] {
        let check = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == format!("signature.{party}"));
        let detail = check.unwrap()["detail"].as_str().unwrap();
        assert!(detail.starts_with("no signature in the"), "{detail}");
        assert!(!detail.contains("typed name"), "{detail}");
    }

    // Drawn into the profile's boxes, the three signatures count.
    let mut pdf = dir.read("filled.pdf");
    for rect in [[50.0, 50.0, 200.0, 90.0], [230.0, 50.0, 380.0, 90.0], [410.0, 50.0, 560.0, 90.0]] {
        pdf = draw_ink(&pdf, rect);
    }
    dir.write("signed.pdf", &pdf);
    let report = run("signed.pdf");
    let failing = failing_checks(&report);
    for party in ["current_partner", "customer", "new_partner"] {
        assert!(!failing.contains(&format!("signature.{party}")), "{failing:?} {report}");
    }
    // Drawn outside every box, they do not.
    let mut pdf = dir.read("filled.pdf");
    pdf = draw_ink(&pdf, [230.0, 300.0, 380.0, 340.0]);
    dir.write("outside.pdf", &pdf);
    assert!(failing_checks(&run("outside.pdf")).contains(&"signature.customer".to_string()));
}

#[test]
fn inspect_records_what_verify_needs_and_the_model_reads_it_back() {
    let dir = Dir::new();
    let blank = dir.path("blank.pdf");
    dir.formtool().args(["template", "-o"]).arg(&blank).assert().success();
    dir.formtool().args(["inspect", "blank.pdf", "--profile-out", "p.toml"]).assert().success();
    let profile = Profile::from_toml(&String::from_utf8(dir.read("p.toml")).unwrap()).unwrap();
    assert_eq!(profile.blank_sha256.as_deref(), Some(formtool::pdf::sha256_hex(&dir.read("blank.pdf")).as_str()));
    assert_eq!(profile.page_sizes, vec![[612.0, 792.0]]);
    let model = FormModel::from_profile(&profile);
    let embedded = FormModel::embedded();
    // The proposal for formtool's own form describes it exactly as the layout does.
    for party in Party::ALL {
        let (a, b) = (model.signature_box(party).unwrap(), embedded.signature_box(party).unwrap());
        assert_eq!((a.page, a.rect), (b.page, b.rect), "{party:?}");
    }
    assert_eq!(model.checkbox_on.get(&Role::CustomerAgreement).map(String::as_str), Some("Yes"));
    assert_eq!(model.role_of_field("Customer_MicrosoftId"), Some(Role::MicrosoftId(Party::Customer)));
    assert_eq!(model.blank_digest(), embedded.blank_digest());
}

#[test]
fn a_returned_file_whose_pages_differ_from_the_profiles_blank_form_is_not_a_fill_of_it() {
    let dir = Dir::new();
    let blank = std::fs::read(repo(&format!("{DISTRIBUTOR}.pdf"))).unwrap();
    dir.write("blank.pdf", &blank);
    dir.formtool().args(["inspect", "blank.pdf", "--profile-out", "p.toml"]).assert().code(predicates::ord::ge(0));
    let profile = Profile::from_toml(&String::from_utf8(dir.read("p.toml")).unwrap()).unwrap();
    assert_eq!(profile.page_content.len(), 1, "the blank page's content is recorded");
    dir.formtool()
        .args(["fill"])
        .arg(repo("fixtures/transfer.toml"))
        .args(["-o", "filled.pdf", "--form", "blank.pdf", "--profile", "p.toml"])
        .assert()
        .success();
    let verify = |file: &str| {
        json(&dir.formtool().args(["verify", file, "--format", "json", "--profile", "p.toml"]).output().unwrap().stdout)
    };
    let report = verify("filled.pdf");
    assert_eq!(report["status"], "not_ready", "{report}");
    assert_eq!(report["form"], "proposed for blank.pdf", "the report names the form: {report}");

    // The same fields on a page that prints something else: not this form.
    let mut doc = Document::load_mem(&dir.read("filled.pdf")).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    let content = doc.get_page_content(page);
    let altered = String::from_utf8_lossy(&content).replacen("Customer", "Cuztomer", 1).into_bytes();
    assert_ne!(altered, content);
    doc.change_page_content(page, altered).unwrap();
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    dir.write("other.pdf", &out);
    let report = verify("other.pdf");
    assert_eq!(report["status"], "error", "{report}");
    let why = report["error"].as_str().unwrap();
    assert!(why.contains("not a fill of proposed for blank.pdf") && why.contains("page 1"), "{why}");
}

/// The page code image stamped on page `n` of `pdf`, decoded with an independent QR reader.
fn stamped_code(pdf: &[u8], n: u32) -> formtool::form::code::PageCode {
    let doc = Document::load_mem(pdf).unwrap();
    let page = *doc.get_pages().get(&n).unwrap();
    let resources = doc.get_page_resources(page).unwrap();
    let dict = match resources.0 {
        Some(d) => d.clone(),
        None => doc.get_dictionary(resources.1[0]).unwrap().clone(),
    };
    let xobjects = match dict.get(b"XObject").unwrap() {
        Object::Reference(r) => doc.get_dictionary(*r).unwrap().clone(),
        o => o.as_dict().unwrap().clone(),
    };
    let id = xobjects.get(b"PageCode").unwrap().as_reference().unwrap();
    let stream = doc.get_object(id).unwrap().as_stream().unwrap();
    let img = formtool::verify::scan::raster::decode_image(&doc, stream).unwrap();
    let scale = 4;
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(img.width * scale, img.height * scale, |x, y| {
        img.data[(y / scale) * img.width + x / scale]
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the stamped image");
    let mut payload = Vec::new();
    grids[0].decode_to(&mut payload).unwrap();
    formtool::form::code::PageCode::decode(&payload).unwrap()
}

/// Word boxes poppler's pdftotext found on each page of a committed form (fixtures/foreign/words.py).
fn poppler_words(stem: &str) -> Vec<(u32, formtool::pdf::Rect)> {
    let text = std::fs::read_to_string(repo(&format!("{stem}.words.tsv"))).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let n = |i: usize| c[i].parse::<f32>().unwrap();
            (c[0].parse().unwrap(), formtool::pdf::Rect::new(n(1), n(2), n(3), n(4)))
        })
        .collect()
}

#[test]
fn fill_stamps_the_page_code_and_marks_on_a_foreign_form_where_its_page_is_empty() {
    for stem in
        ["fixtures/foreign/distributor-acroform", "fixtures/foreign/reseller-form", "fixtures/foreign/flat-print"]
    {
        let doc = Document::load(repo(&format!("{stem}.pdf"))).unwrap();
        let words = poppler_words(stem);
        assert!(words.len() > 20, "{stem}");
        for stamp in formtool::form::stamp::plan(&doc) {
            let code = stamp.code_box().unwrap_or_else(|| panic!("{stem}: room for the code"));
            let marks = stamp.marks.unwrap_or_else(|| panic!("{stem}: room for the marks"));
            let page = *doc.get_pages().get(&(stamp.page as u32)).unwrap();
            // Nothing poppler sees as text, no drawing and no annotation is under the stamp.
            let (content, resources) = formtool::pdf::marks::page_content(&doc, page);
            let mut taken: Vec<formtool::pdf::Rect> =
                formtool::pdf::marks::painted_in_content(&doc, &content, resources.as_ref())
                    .into_iter()
                    .filter(|p| p.kind != formtool::pdf::marks::Kind::Text)
                    .map(|p| p.bbox)
                    .collect();
            taken.extend(formtool::pdf::marks::annotations(&doc, page).into_iter().filter_map(|a| a.bbox));
            taken.extend(words.iter().filter(|(p, _)| *p as usize == stamp.page).map(|(_, r)| *r));
            let stamped: Vec<formtool::pdf::Rect> = std::iter::once(code)
                .chain(marks.iter().map(|[x, y]| formtool::pdf::Rect::new(*x, *y, x + 14.0, y + 14.0)))
                .collect();
            for t in &taken {
                for s in &stamped {
                    assert!(!t.normalized().intersects(s), "{stem} page {}: {t:?} under {s:?}", stamp.page);
                }
            }
            // And everything stamped is at least 18 pt inside the page, where printers print.
            let media = formtool::pdf::page_media_box(&doc, page).unwrap();
            for s in &stamped {
                assert!(s.x1 >= media.x1 + 18.0 && s.y1 >= media.y1 + 18.0, "{stem}: {s:?}");
                assert!(s.x2 <= media.x2 - 18.0 && s.y2 <= media.y2 - 18.0, "{stem}: {s:?}");
            }
        }
    }
    let dir = Dir::new();
    let blank = std::fs::read(repo(&format!("{DISTRIBUTOR}.pdf"))).unwrap();
    let marks = formtool::form::stamp::plan(&Document::load_mem(&blank).unwrap())[0].marks.unwrap();
    dir.write("blank.pdf", &blank);
    dir.formtool()
        .args(["fill"])
        .arg(repo("fixtures/transfer.toml"))
        .args(["-o", "filled.pdf", "--form", "blank.pdf", "--profile"])
        .arg(repo(&format!("{DISTRIBUTOR}.profile.toml")))
        .assert()
        .success();
    let code = stamped_code(&dir.read("filled.pdf"), 1);
    assert_eq!((code.page, code.pages), (1, 1));
    let customer = code.values.iter().find(|(k, _)| k == "cu").map(|(_, v)| v.as_str());
    assert_eq!(customer, Some("0c7d2a9f1e3b4c5d8e6f7a8b9c0d1e2f"));
    // The marks are painted, after the form's own content (which is left intact).
    let filled = Document::load_mem(&dir.read("filled.pdf")).unwrap();
    let content = filled.get_page_content(*filled.get_pages().get(&1).unwrap());
    let text = String::from_utf8_lossy(&content);
    let [x, y] = marks[0];
    assert!(text.contains(&format!("{} {} 14 14 re f", formtool::pdf::num(x), formtool::pdf::num(y))), "{text}");

    // --no-page-code stamps nothing.
    dir.formtool()
        .args(["fill"])
        .arg(repo("fixtures/transfer.toml"))
        .args(["-o", "plain.pdf", "--no-page-code", "--form", "blank.pdf", "--profile"])
        .arg(repo(&format!("{DISTRIBUTOR}.profile.toml")))
        .assert()
        .success();
    let plain = Document::load_mem(&dir.read("plain.pdf")).unwrap();
    let text = String::from_utf8_lossy(&plain.get_page_content(*plain.get_pages().get(&1).unwrap())).into_owned();
    assert!(!text.contains("/PageCode Do"), "{text}");
}

/// Returned copies of a foreign form — filled by formtool, signed by pyHanko, drawn on,
/// changed after signing — give their verdicts through `verify --profile`
/// (fixtures/foreign/make_returned.py made them and the table).
#[test]
fn returned_foreign_forms_give_their_expected_verdicts_through_their_profile() {
    let rows = common::expected_table("fixtures/foreign/returned/expected.tsv");
    assert!(rows.len() >= 5, "{} rows", rows.len());
    assert!(rows.iter().any(|r| r.status == "ready") && rows.iter().any(|r| r.failing == ["integrity"]));
    let wrong = common::rows_that_differ(&rows);
    assert!(wrong.is_empty(), "{} of {} rows differ:\n{}", wrong.len(), rows.len(), wrong.join("\n"));
}

/// A printed, signed and scanned return of a two-page foreign form (signatures and checkboxes
/// on page 2) is read through its profile's stamped page codes and marks; without the profile
/// the codes are not found and it is never ready.
#[test]
fn a_scanned_foreign_form_is_read_through_its_profile_and_names_missing_pages() {
    let dir = Dir::new();
    let scan = repo("fixtures/foreign/returned/transfer-letter-scan.pdf");
    let profile = repo("fixtures/foreign/transfer-letter.profile.toml");
    let verify = |args: &[&std::path::Path], code: i32| {
        let mut cmd = dir.formtool();
        cmd.args(["verify", "--format", "json"]).args(args);
        json(&cmd.assert().code(code).get_output().stdout.clone())
    };
    let report = verify(&[&scan, "--profile".as_ref(), &profile], 0);
    assert_eq!(report["status"], "ready", "{report}");
    assert_eq!(report["source"], "scanned", "{report}");
    let description = Profile::load(&profile).unwrap().description.unwrap();
    assert_eq!(report["form"], description.as_str(), "{report}");

    let report = verify(&[&scan], 1);
    assert_eq!(report["status"], "not_ready", "{report}");
    let integrity = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "integrity").unwrap();
    assert!(integrity["detail"].as_str().unwrap().contains("--profile"), "{integrity}");

    let half = repo("fixtures/foreign/returned/transfer-letter-scan-page2-missing.pdf");
    let report = verify(&[&half, "--profile".as_ref(), &profile], 1);
    let customer = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "signature.customer").unwrap();
    assert!(customer["detail"].as_str().unwrap().contains("page 2 of the form is not in the scan"), "{customer}");
}
