//! Roles from the page: foreign forms whose field names say nothing (`Text1`, `Check Box1`,
//! `Signature1`, no tooltips), known only by the labels printed beside their fields, and their
//! print-only copies without fields (fixtures/foreign/transfer-*, made by
//! make_official_like.py and re-printed through cairo by make.sh, with the truth of every
//! field and box in `<form>.truth.toml`).

mod common;

use std::collections::BTreeMap;

use formtool::fill::{FieldValue, role_values};
use formtool::form::page_text::read_pages;
use formtool::form::profile::{self, BoxSpec, Profile};
use formtool::input;
use formtool::pdf::{Rect, form_fields};
use lopdf::Document;

use common::{Dir, repo};

/// The two forms with fields; each has a flat copy `<stem>-flat`.
const FORMS: [&str; 2] = ["fixtures/foreign/transfer-letter", "fixtures/foreign/transfer-a4"];

struct Truth {
    /// Field name → role key ("" when the field carries no role).
    fields: BTreeMap<String, String>,
    /// Role key → where it is written on the flat copy.
    boxes: BTreeMap<String, BoxSpec>,
}

fn truth(stem: &str) -> Truth {
    let text = std::fs::read_to_string(repo(&format!("{stem}.truth.toml"))).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let fields =
        table["fields"].as_table().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
    let boxes = table["boxes"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().try_into::<BoxSpec>().unwrap()))
        .collect();
    Truth { fields, boxes }
}

fn doc(path: &str) -> Document {
    Document::load(repo(path)).unwrap()
}

fn committed(path: &str) -> Profile {
    Profile::from_toml(&std::fs::read_to_string(repo(path)).unwrap()).unwrap()
}

fn overlap(a: Rect, b: Rect) -> f32 {
    let w = (a.x2.min(b.x2) - a.x1.max(b.x1)).max(0.0);
    let h = (a.y2.min(b.y2) - a.y1.max(b.y1)).max(0.0);
    let inter = w * h;
    inter / (a.width() * a.height() + b.width() * b.height() - inter)
}

#[test]
fn the_fixtures_are_what_the_issue_describes() {
    for stem in FORMS {
        let d = doc(&format!("{stem}.pdf"));
        let fields = form_fields(&d);
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert!(
            names.iter().all(|n| n.starts_with("Text") || n.starts_with("Check Box") || n.starts_with("Signature"))
        );
        assert!(fields.iter().all(|f| f.id.and_then(|id| d.get_dictionary(id).ok()).is_some_and(|d| !d.has(b"TU"))));
        assert_eq!(fields.iter().filter(|f| f.field_type == "Sig").count(), 3, "{stem}");
        assert_eq!(fields.iter().filter(|f| f.field_type == "Btn").count(), 2, "{stem}");
        assert_eq!(d.get_pages().len(), 2, "{stem}");
        // The same labels in three sections.
        let pages = read_pages(&d);
        for label in ["Company name", "Microsoft ID", "Admin email"] {
            let n = pages.iter().flat_map(|p| &p.lines).filter(|l| l.text == label).count();
            assert_eq!(n, 3, "{stem}: {label}");
        }
        assert!(form_fields(&doc(&format!("{stem}-flat.pdf"))).is_empty());
    }
    // One US Letter, one A4.
    let size = |p: &str| committed(p).page_sizes[0];
    assert_eq!(size("fixtures/foreign/transfer-letter.profile.toml"), [612.0, 792.0]);
    assert_eq!(size("fixtures/foreign/transfer-a4.profile.toml"), [595.28, 841.89]);
}

#[test]
fn every_role_is_proposed_from_the_printed_labels_and_none_wrongly() {
    for stem in FORMS {
        let truth = truth(stem);
        let (proposed, unmapped) = profile::propose(&doc(&format!("{stem}.pdf")));
        assert!(unmapped.is_empty(), "{stem}: {unmapped:?}");
        let by_field: BTreeMap<&str, &str> = proposed.fields.iter().map(|(r, f)| (f.as_str(), r.as_str())).collect();
        for (field, role) in &truth.fields {
            let got = by_field.get(field.as_str()).copied().unwrap_or("");
            assert_eq!(got, role, "{stem}: field {field}");
        }
        // Nothing proposed for a field the truth does not know.
        assert!(by_field.keys().all(|f| truth.fields.contains_key(*f)), "{stem}");
        assert!(proposed.boxes.is_empty());
        let roles = truth.fields.values().filter(|r| !r.is_empty()).count();
        assert_eq!(proposed.fields.len(), roles, "{stem}");
    }
}

#[test]
fn a_flat_copy_gets_a_box_wherever_a_person_writes() {
    // Each flat copy as ReportLab wrote it and as cairo re-prints it (pdftocairo: other font
    // subsets and ToUnicode maps, a flipped CTM).
    for (stem, flat) in FORMS.iter().flat_map(|s| [(s, format!("{s}-flat")), (s, format!("{s}-flat-cairo"))]) {
        let truth = truth(stem);
        let (proposed, unmapped) = profile::propose(&doc(&format!("{flat}.pdf")));
        assert!(unmapped.is_empty(), "{flat}: {unmapped:?}");
        assert!(proposed.fields.is_empty());
        for (role, want) in &truth.boxes {
            let got = proposed.boxes.get(role).unwrap_or_else(|| panic!("{flat}: no box for {role}"));
            assert_eq!(got.page, want.page, "{flat}: {role}");
            let close = got.rect.iter().zip(want.rect).all(|(a, b)| (a - b).abs() <= 4.0);
            assert!(close || overlap(got.rect(), want.rect()) >= 0.6, "{flat}: {role}: {got:?} against {want:?}");
        }
        let extra: Vec<&String> = proposed.boxes.keys().filter(|k| !truth.boxes.contains_key(*k)).collect();
        assert!(extra.is_empty(), "{flat}: boxes for roles the form does not have: {extra:?}");
        // The signature boxes are where a hand signs: at least 2 in wide, half an inch high.
        for party in ["current_partner", "customer", "new_partner"] {
            let b = proposed.boxes[&format!("signature.{party}")].rect();
            assert!(b.width() >= 144.0 && b.height() >= 36.0, "{flat}: signature.{party} {b:?}");
        }
    }
}

#[test]
fn the_committed_profiles_are_the_proposals() {
    for stem in FORMS {
        for name in [stem.to_string(), format!("{stem}-flat")] {
            let (proposed, _) = profile::propose(&doc(&format!("{name}.pdf")));
            let written = committed(&format!("{name}.profile.toml"));
            assert_eq!(written.fields, proposed.fields, "{name}");
            assert_eq!(written.boxes, proposed.boxes, "{name}");
            let blank = std::fs::read(repo(&format!("{name}.pdf"))).unwrap();
            assert_eq!(written.blank_sha256.as_deref(), Some(formtool::pdf::sha256_hex(&blank).as_str()), "{name}");
        }
    }
}

#[test]
fn cli_inspect_writes_the_complete_proposal() {
    let dir = Dir::new();
    for stem in FORMS {
        for name in [stem.to_string(), format!("{stem}-flat")] {
            let out = dir.path("p.toml");
            let assert = dir
                .formtool()
                .arg("inspect")
                .arg(repo(&format!("{name}.pdf")))
                .arg("--profile-out")
                .arg(&out)
                .arg("--force")
                .assert()
                .code(0);
            let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
            assert!(!stderr.contains("unmapped"), "{name}: {stderr}");
            let written = Profile::from_toml(&std::fs::read_to_string(&out).unwrap()).unwrap();
            let want = committed(&format!("{name}.profile.toml"));
            assert_eq!((written.fields, written.boxes), (want.fields, want.boxes), "{name}");
        }
    }
}

fn transfer() -> input::Transfer {
    input::load(&repo("fixtures/transfer.toml"), false).unwrap().transfers.remove(0)
}

#[test]
fn cli_fill_with_the_proposal_puts_every_value_in_its_field() {
    let dir = Dir::new();
    let t = transfer();
    for stem in FORMS {
        let out = dir.path("filled.pdf");
        dir.formtool()
            .arg("fill")
            .arg(repo("fixtures/transfer.toml"))
            .arg("--form")
            .arg(repo(&format!("{stem}.pdf")))
            .arg("--profile")
            .arg(repo(&format!("{stem}.profile.toml")))
            .arg("-o")
            .arg(&out)
            .arg("--force")
            .assert()
            .code(0);
        let filled = Document::load(&out).unwrap();
        let values: BTreeMap<String, Option<String>> =
            form_fields(&filled).into_iter().map(|f| (f.name, f.value)).collect();
        let truth = truth(stem);
        let role_field: BTreeMap<&str, &str> =
            truth.fields.iter().filter(|(_, r)| !r.is_empty()).map(|(f, r)| (r.as_str(), f.as_str())).collect();
        let mut checked = 0;
        for (role, value) in role_values(&t) {
            let Some(field) = role_field.get(role.key().as_str()) else { continue };
            let got = values[*field].clone();
            match value {
                FieldValue::Text(text) if text.is_empty() => continue,
                FieldValue::Text(text) => assert_eq!(got.as_deref(), Some(text.as_str()), "{stem}: {role:?}"),
                FieldValue::Checked(on) => assert_eq!(formtool::pdf::is_ticked(got.as_deref()), on, "{stem}: {role:?}"),
            }
            checked += 1;
        }
        // Both admins, three organizations and IDs, addresses, domain, two subscriptions,
        // two attestations, three signers' names and titles.
        assert!(checked >= 24, "{stem}: only {checked} values checked");
        // The fields no role belongs to stay empty.
        for (field, role) in &truth.fields {
            if role.is_empty() {
                assert_eq!(values[field], None, "{stem}: {field}");
            }
        }
    }
}

#[test]
fn cli_fill_with_the_proposal_draws_every_value_in_its_box_on_the_flat_copy() {
    let dir = Dir::new();
    let t = transfer();
    for stem in FORMS {
        let flat = format!("{stem}-flat");
        let out = dir.path("filled.pdf");
        dir.formtool()
            .arg("fill")
            .arg(repo("fixtures/transfer.toml"))
            .arg("--form")
            .arg(repo(&format!("{flat}.pdf")))
            .arg("--profile")
            .arg(repo(&format!("{flat}.profile.toml")))
            .arg("-o")
            .arg(&out)
            .arg("--force")
            .assert()
            .code(0);
        let pages = read_pages(&Document::load(&out).unwrap());
        let truth = truth(stem);
        let mut checked = 0;
        for (role, value) in role_values(&t) {
            let FieldValue::Text(text) = value else { continue };
            let Some(b) = truth.boxes.get(&role.key()) else { continue };
            if text.is_empty() {
                continue;
            }
            let r = b.rect();
            let page = &pages[b.page - 1];
            let inside = page
                .lines
                .iter()
                .any(|l| l.text == text && l.x1 >= r.x1 - 1.0 && l.x1 < r.x2 && l.y >= r.y1 - 1.0 && l.y < r.y2);
            assert!(inside, "{flat}: {} not drawn inside {:?}", role.key(), b);
            checked += 1;
        }
        assert!(checked >= 22, "{flat}: only {checked} values checked");
    }
}
