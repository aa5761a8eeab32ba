//! What a reviewer sees, through the renderer: drawn signatures are judged on the rendered box
//! (the rendering attacks and their controls in `fixtures/returned/render/`, made and checked
//! with poppler by `make_render_fixtures.py`, are rows of `fixtures/returned/expected.tsv` and
//! run through the binary in `tests/verify.rs`), and `--evidence` writes rendered crops for
//! digital and drawn forms and the side-by-side picture of an integrity failure.

mod common;

use common::{Dir, repo};
use formtool::verify::render::{PageView, judge_signature};
use formtool::verify::scan::ink::Verdict;

/// Dark pixels (grey < 128) in the middle 60 % of a PNG crop.
fn dark_in_middle(path: &std::path::Path) -> usize {
    common::dark_pixels_inside(path, 5, 5, 128)
}

fn customer_box_verdict(file: &str) -> Verdict {
    let bytes = std::fs::read(repo(file)).unwrap();
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    let view = PageView::new(&bytes, &doc, 1);
    let bx = formtool::form::FormModel::embedded().signature_box(formtool::form::Party::Customer).unwrap().rect;
    view.drawn_signature(&bx, &[]).unwrap().0
}

#[test]
fn the_rendered_box_decides_whether_a_drawn_signature_is_there() {
    assert_eq!(customer_box_verdict("fixtures/returned/ink-all.pdf"), Verdict::Marked);
    assert_eq!(customer_box_verdict("fixtures/returned/render/separation-full.pdf"), Verdict::Marked);
    assert_eq!(customer_box_verdict("fixtures/returned/render/ink-inklist-relative.pdf"), Verdict::Marked);
    for attack in ["white-cover", "clip-corners", "softmask-hides", "ocg-off", "ink-oc-off", "ink-covered-by-square"] {
        let v = customer_box_verdict(&format!("fixtures/returned/render/{attack}.pdf"));
        assert_ne!(v, Verdict::Marked, "{attack}");
    }
    // The blank form's box is paper.
    let blank = formtool::form::template::blank_form();
    let doc = lopdf::Document::load_mem(&blank).unwrap();
    let view = PageView::new(&blank, &doc, 1);
    let bx = formtool::form::FormModel::embedded().signature_boxes[0].rect;
    let (verdict, ink) = view.drawn_signature(&bx, &[]).unwrap();
    assert_eq!(verdict, Verdict::Blank, "{ink:?}");
    let img = view.crop(&bx, 2.0).unwrap();
    assert_eq!(judge_signature(&img, 2.0).0, Verdict::Blank);
}

#[test]
fn evidence_is_written_for_digital_and_drawn_forms() {
    let dir = Dir::new();
    let out = dir
        .formtool()
        .arg("verify")
        .arg(repo("fixtures/returned/seq-pyhanko.pdf"))
        .arg(repo("fixtures/returned/ink-all.pdf"))
        .args(["--evidence", "ev", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let ev = dir.path("ev");
    for form in ["seq-pyhanko", "ink-all"] {
        for id in [
            "signature.current_partner",
            "signature.customer",
            "signature.new_partner",
            "admin.current_partner",
            "admin.new_partner",
            "attest.reseller_relationship",
            "attest.customer_agreement",
        ] {
            assert!(ev.join(format!("{form}.{id}.png")).is_file(), "no crop {form}.{id}");
        }
        // Printed admin details and a tick show.
        assert!(dark_in_middle(&ev.join(format!("{form}.admin.new_partner.png"))) > 50, "{form}");
        assert!(dark_in_middle(&ev.join(format!("{form}.attest.customer_agreement.png"))) > 5, "{form}");
    }
    // The drawn form's box shows the strokes.
    assert!(dark_in_middle(&ev.join("ink-all.signature.customer.png")) > 100);
}

#[test]
fn a_visible_change_after_signing_fails_integrity_and_shows_side_by_side() {
    let dir = Dir::new();
    let out = dir
        .formtool()
        .arg("verify")
        .arg(repo("fixtures/returned/render/signature-widget-covers-attestation.pdf"))
        .args(["--evidence", "ev", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let integrity = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == "integrity").unwrap();
    assert_eq!(integrity["ok"], false);
    let detail = integrity["detail"].as_str().unwrap();
    assert!(detail.contains("page 1"), "{detail}");
    let side = dir.path("ev/signature-widget-covers-attestation.integrity.png");
    let img = image::open(&side).unwrap().to_luma8();
    // Signed on the left, now on the right: the two halves differ.
    let (w, h) = img.dimensions();
    let half = (w - 8) / 2;
    let differ = (0..h)
        .flat_map(|y| (0..half).map(move |x| (x, y)))
        .filter(|(x, y)| img.get_pixel(*x, *y).0[0].abs_diff(img.get_pixel(x + half + 8, *y).0[0]) > 48)
        .count();
    assert!(differ > 50, "{differ} pixels differ");
}

#[test]
fn the_normal_fill_and_sign_sequence_is_never_rendered_for_integrity() {
    let open = |file: &str| std::fs::read(repo(file)).unwrap();
    // pdfsig-all.pdf is signed by poppler, which rewrites each replaced signature appearance
    // under a new generation and leaves it orphaned: nothing refers to it, so it cannot show.
    for file in ["seq-pyhanko.pdf", "mixed-algorithms.pdf", "dss-after-signing.pdf", "ecdsa-p384.pdf", "pdfsig-all.pdf"]
    {
        let bytes = open(&format!("fixtures/returned/{file}"));
        let form = formtool::verify::returned::Returned::open(&bytes, None).unwrap();
        assert_eq!(formtool::verify::pixels::revisions_to_render(&form), Vec::<usize>::new(), "{file}");
    }
    // A new widget after all signed: every signed revision is compared.
    let bytes = open("fixtures/returned/render/signature-widget-covers-attestation.pdf");
    let form = formtool::verify::returned::Returned::open(&bytes, None).unwrap();
    assert_eq!(formtool::verify::pixels::revisions_to_render(&form).len(), 3);
}

/// `pdf` with one incremental update that rewrites object `number` at `generation` (a classic
/// cross-reference section pointing back at the file's last one).
fn rewrite_object(pdf: &[u8], number: u32, generation: u16, body: &str) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let (root, size) = (doc.trailer.get(b"Root").unwrap().as_reference().unwrap(), doc.max_id + 1);
    let text = String::from_utf8_lossy(pdf);
    let tail = &text[text.rfind("startxref").unwrap() + 9..];
    let prev: usize = tail.split_whitespace().next().unwrap().parse().unwrap();
    let mut out = pdf.to_vec();
    let at = out.len();
    out.extend_from_slice(format!("{number} {generation} obj\n{body}\nendobj\n").as_bytes());
    let xref = out.len();
    out.extend_from_slice(
        format!(
            "xref\n{number} 1\n{at:010} {generation:05} n \ntrailer\n<< /Size {size} /Root {} {} R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n",
            root.0, root.1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn page_content_rewritten_under_a_new_generation_is_never_ready() {
    // (An object nothing refers to, rewritten that way, is what poppler's signer leaves:
    // `pdfsig-all.pdf` in the test above, never rendered.)
    let pdf = std::fs::read(repo("fixtures/returned/seq-pyhanko.pdf")).unwrap();
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let page = doc.get_pages()[&1];
    let content = match doc.get_dictionary(page).unwrap().get(b"Contents").unwrap() {
        lopdf::Object::Array(parts) => parts[0].as_reference().unwrap(),
        other => other.as_reference().unwrap(),
    };
    let black = "<< /Length 24 >>\nstream\n0 g 0 0 612 792 re f\nendstream";
    let options = formtool::verify::VerifyOptions::default();
    // The page's content, blacked out under generation 1 while the page still names `N 0 R`:
    // some viewers resolve by number and would show it. Never ready.
    let stale = rewrite_object(&pdf, content.0, 1, black);
    let report = formtool::verify::checks::verify_bytes("stale.pdf", &stale, &options);
    assert_eq!(report.status.as_str(), "not_ready");
    assert!(report.checks.iter().any(|c| c.id == "integrity" && !c.ok), "{:?}", report.checks);
}
