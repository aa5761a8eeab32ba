//! What a partner's operations team meets (issue 13): values shown whole, the `review` status,
//! file names and permissions, report formats and messages — through the real binary.

mod common;

use common::{Dir, repo};
use predicates::prelude::*;
use serde_json::Value;

const TRANSFER_TOML: &str = include_str!("../fixtures/transfer.toml");
const LONG_EMAIL: &str = "subscription.transfers.operations.team@contoso-cloud-services-emea.example.com";

fn failing(v: &Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn check<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}"))
}

#[test]
fn a_long_email_is_filled_whole_and_verify_sees_it_whole() {
    assert!(LONG_EMAIL.len() >= 78);
    let dir = Dir::new();
    dir.write("t.toml", TRANSFER_TOML.replace("aoife.nibhriain@contoso.example", LONG_EMAIL));
    dir.formtool().args(["fill", "t.toml", "-o", "f.pdf"]).assert().success();
    let doc = lopdf::Document::load_mem(&dir.read("f.pdf")).unwrap();
    let field = formtool::pdf::form_fields(&doc).into_iter().find(|f| f.name == "CurrentPartner_AdminEmail").unwrap();
    match formtool::verify::appearance::shown_text(&doc, field.id.unwrap()) {
        formtool::verify::appearance::Shown::Text(t) => {
            assert_eq!(formtool::verify::appearance::comparable(&t), LONG_EMAIL)
        }
        other => panic!("the email is not shown whole: {other:?}"),
    }
    // Every line drawn fits inside the box at a readable size.
    let widget = doc.get_dictionary(field.id.unwrap()).unwrap();
    let ap = widget.get(b"AP").unwrap().as_dict().unwrap().get(b"N").unwrap().as_reference().unwrap();
    let stream = doc.get_object(ap).unwrap().as_stream().unwrap();
    let bbox_w = stream.dict.get(b"BBox").unwrap().as_array().unwrap()[2].as_float().unwrap();
    let content =
        lopdf::content::Content::decode(&stream.decompressed_content().unwrap_or(stream.content.clone())).unwrap();
    let mut size = 0.0;
    let mut lines = Vec::new();
    for op in content.operations {
        match op.operator.as_str() {
            "Tf" => size = op.operands[1].as_float().unwrap(),
            "Tj" => {
                let text = formtool::form::font::embedded().decode_glyphs(op.operands[0].as_str().unwrap()).unwrap();
                assert!(size >= 6.0, "drawn at {size} pt");
                assert!(
                    formtool::form::font::embedded().width(&text, size) + 2.0 <= bbox_w - 1.0,
                    "{text:?} overflows"
                );
                lines.push(text);
            }
            _ => {}
        }
    }
    assert_eq!(lines.concat(), LONG_EMAIL);
    let out = dir.formtool().args(["verify", "f.pdf", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(check(&v, "admin.current_partner")["ok"], true, "{v}");
}

#[test]
fn a_value_that_cannot_fit_is_refused_naming_field_length_and_most_that_fits() {
    let dir = Dir::new();
    // 160 characters: within the input's limits, but more than two lines of the admin name box.
    let long = format!("Aoife {}", "Ní Bhriain-Ó Súilleabháin ".repeat(6));
    assert!(long.trim().chars().count() < 200);
    dir.write(
        "t.toml",
        TRANSFER_TOML.replace("name = \"Aoife Ní Bhriain\", email", &format!("name = \"{}\", email", long.trim())),
    );
    dir.formtool()
        .args(["fill", "t.toml", "-o", "f.pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("CurrentPartner_AdminName"))
        .stderr(predicate::str::contains(format!("{} characters long", long.trim().chars().count())))
        .stderr(predicate::str::contains("at most"));
    assert!(!dir.path("f.pdf").exists());
}

/// A form filled the way formtool used to fill it: the value at 5 pt, clipped to its box, so
/// its tail is drawn outside the box and never seen.
#[test]
fn verify_treats_text_drawn_beyond_the_box_as_not_shown() {
    let dir = Dir::new();
    dir.formtool().args(["fill", repo("fixtures/transfer.toml").to_str().unwrap(), "-o", "f.pdf"]).assert().success();
    let mut doc = lopdf::Document::load_mem(&dir.read("f.pdf")).unwrap();
    let field = formtool::pdf::form_fields(&doc).into_iter().find(|f| f.name == "CurrentPartner_AdminEmail").unwrap();
    let id = field.id.unwrap();
    let widget = doc.get_dictionary(id).unwrap().clone();
    let ap = widget.get(b"AP").unwrap().as_dict().unwrap().get(b"N").unwrap().as_reference().unwrap();
    let long = format!("aoife.nibhriain.and.the.whole.operations.team@{}", "contoso-cloud-services-emea.example");
    let (hex, w) = formtool::form::font::embedded().encode(&long, 5.0);
    let stream = doc.get_object_mut(ap).unwrap().as_stream_mut().unwrap();
    let bbox_w = stream.dict.get(b"BBox").unwrap().as_array().unwrap()[2].as_float().unwrap();
    assert!(w > bbox_w, "the test value must overflow its box");
    let content = format!("/Tx BMC\nq 1 1 {} 13 re W n\nBT /FtV 5 Tf 0 g 2 5 Td {hex} Tj ET\nQ\nEMC\n", bbox_w - 2.0);
    stream.dict.remove(b"Filter");
    stream.set_content(content.into_bytes());
    doc.get_dictionary_mut(id).unwrap().set("V", lopdf::Object::string_literal(long.as_str()));
    doc.save(dir.path("cut.pdf")).unwrap();
    let out =
        dir.formtool().args(["verify", "cut.pdf", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let admin = check(&v, "admin.current_partner");
    assert_eq!(admin["ok"], false, "{v}");
    assert!(admin["detail"].as_str().unwrap().contains("cut off"), "{admin}");
    assert!(failing(&v).contains(&"admin.current_partner".to_string()));
}

/// Item 2: a scan whose new partner wrote its details by hand is neither ready nor "missing".
#[test]
fn a_scan_completed_by_hand_is_review_counted_exit_1_and_never_copied() {
    let dir = Dir::new();
    let form = repo("fixtures/scans/review-new-partner-by-hand.pdf");
    let out =
        dir.formtool().arg("verify").arg(&form).args(["--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["status"], "review", "{v}");
    assert!(failing(&v).is_empty(), "{v}");
    let id = check(&v, "id.new_partner");
    assert_eq!(id["method"], "handwriting");
    assert!(id["detail"].as_str().unwrap().contains("refill the form with the new partner's details"), "{id}");
    assert!(!id["detail"].as_str().unwrap().contains("missing"), "{id}");
    assert_eq!(check(&v, "admin.new_partner")["method"], "handwriting");

    dir.write("in/by-hand.pdf", std::fs::read(&form).unwrap());
    dir.write("in/ready.pdf", std::fs::read(repo("fixtures/scans/signed-300-gray.pdf")).unwrap());
    let out = dir
        .formtool()
        .args(["verify", "in", "--format", "json", "--ready-dir", "upload"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["summary"], serde_json::json!({"ready": 1, "review": 1, "not_ready": 0, "error": 0}));
    let copied: Vec<String> =
        std::fs::read_dir(dir.path("upload")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(copied.len(), 3, "{copied:?}"); // the ready form, SHA256SUMS and SUBSCRIPTIONS
    let sums = String::from_utf8(dir.read("upload/SHA256SUMS")).unwrap();
    assert!(!sums.contains(&formtool::verify::checks::sha256_hex(&std::fs::read(&form).unwrap())), "{sums}");
    dir.formtool()
        .args(["verify", "in", "--format", "text"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REVIEW     in/by-hand.pdf"))
        .stdout(predicate::str::contains("2 form(s): 1 ready, 1 to review, 0 not ready, 0 could not be read"));
}

/// Run `formtool ARGS` in `dir` with its standard output on a pseudo-terminal; returns the exit
/// code, what it wrote on the terminal and its stderr.
fn on_a_terminal(dir: &Dir, args: &[&str]) -> (Option<i32>, Vec<u8>, String) {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the integers we pass; the null pointers
    // are allowed (no name, default terminal settings and size).
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: both descriptors were just opened by openpty and are owned by nobody else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let bin = assert_cmd::cargo::cargo_bin("formtool");
    let child = std::process::Command::new(bin)
        .current_dir(dir.tmp.path())
        .args(args)
        .stdout(std::process::Stdio::from(slave))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let mut screen = Vec::new();
    // The terminal's buffer is readable until empty (then EIO, as the slave is closed).
    let mut master = std::fs::File::from(master);
    let _ = master.read_to_end(&mut screen);
    (out.status.code(), screen, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Item 8: `-o -` is standard output; binary is never dumped on a terminal; a closed pipe
/// ends quietly.
#[test]
fn dash_is_standard_output_and_terminals_get_no_binary() {
    let dir = Dir::new();
    let out =
        dir.formtool().args(["fill", repo("fixtures/transfer.toml").to_str().unwrap(), "-o", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.starts_with(b"%PDF-"), "no PDF on stdout");
    assert!(!dir.path("-").exists(), "a file named - was written");
    let out = dir.formtool().args(["template", "-o", "-"]).output().unwrap();
    assert!(out.status.success() && out.stdout.starts_with(b"%PDF-"));
    assert!(!dir.path("-").exists());

    let (code, screen, stderr) = on_a_terminal(&dir, &["template"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("-o FILE"), "{stderr}");
    assert!(!screen.windows(5).any(|w| w == b"%PDF-"), "binary was written to the terminal");
    let (code, _, stderr) = on_a_terminal(&dir, &["fill", repo("fixtures/transfer.toml").to_str().unwrap(), "-o", "-"]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn a_pipe_closed_by_the_reader_ends_quietly() {
    let dir = Dir::new();
    let bin = assert_cmd::cargo::cargo_bin("formtool");
    for args in [vec!["template"], vec!["guide", repo("fixtures/transfer.toml").to_str().unwrap()]] {
        let mut child = std::process::Command::new(&bin)
            .current_dir(dir.tmp.path())
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end at once, as `| head -c0` would, before formtool writes.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
    }
}

/// Item 9: the report's format comes from its extension unless `--format` says otherwise, and
/// its folder is created.
#[test]
fn report_format_follows_the_extension_and_its_folder_is_created() {
    let dir = Dir::new();
    let form = repo("fixtures/returned/missing-customer.pdf");
    for (name, starts) in [("out/week/r.csv", "file,status"), ("out/r.json", "{"), ("out/r.txt", "NOT READY")] {
        dir.formtool().arg("verify").arg(&form).args(["--report", name]).assert().code(1);
        let text = String::from_utf8(dir.read(name)).unwrap();
        assert!(text.starts_with(starts), "{name}: {text}");
    }
    dir.formtool().arg("verify").arg(&form).args(["--report", "out/forced.csv", "--format", "json"]).assert().code(1);
    assert!(dir.read("out/forced.csv").starts_with(b"{"));
}

/// Item 10: a folder that cannot take the output is named (not the temporary file), exit 2.
#[test]
fn an_unwritable_report_or_ready_dir_names_the_output_and_exits_2() {
    let dir = Dir::new();
    let form = repo("fixtures/returned/seq-pyhanko.pdf");
    // /proc takes no new files, even for root (the tests may run as root, for whom a chmod
    // 0555 folder is writable).
    let out = dir.formtool().arg("verify").arg(&form).args(["--report", "/proc/week.json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/proc/week.json: cannot write"), "{stderr}");
    assert!(!stderr.contains(".formtool-"), "{stderr}");
    let out =
        dir.formtool().arg("verify").arg(&form).args(["--ready-dir", "/proc", "--format", "json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains(".formtool-"), "{stderr}");
    assert!(stderr.contains("/proc/"), "{stderr}");
}

/// Item 5: outputs are created 0666 less the umask (the test process's umask is inherited).
#[cfg(unix)]
#[test]
fn outputs_get_the_usual_permissions() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: umask only swaps the process's mask; read it back by setting it again.
    let umask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    };
    let expected = 0o666 & !(umask as u32);
    let dir = Dir::new();
    dir.formtool().args(["fill", repo("fixtures/transfer.toml").to_str().unwrap(), "-o", "f.pdf"]).assert().success();
    dir.formtool().args(["template", "-o", "t.pdf"]).assert().success();
    dir.formtool()
        .arg("verify")
        .arg(repo("fixtures/returned/seq-pyhanko.pdf"))
        .args(["--report", "r.json", "--ready-dir", "up"])
        .assert()
        .success();
    let copied: Vec<std::path::PathBuf> =
        std::fs::read_dir(dir.path("up")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(copied.len(), 3); // the copy, SHA256SUMS and SUBSCRIPTIONS
    for p in [dir.path("f.pdf"), dir.path("t.pdf"), dir.path("r.json")].into_iter().chain(copied) {
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, expected, "{}: {mode:o}", p.display());
    }
    assert_ne!(expected, 0o600, "umask {umask:o} makes this test unable to fail");
}

/// Item 6: non-ASCII names are transliterated in file names, not dropped.
#[test]
fn file_names_transliterate_greek_and_accents() {
    let dir = Dir::new();
    dir.formtool().args(["fill", repo("fixtures/transfer.toml").to_str().unwrap()]).assert().success();
    // Φαμπρίκαμ Α.Ε.
    assert!(dir.path("Phamprikam-A.E_3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b.pdf").is_file());
    dir.write("t.toml", TRANSFER_TOML.replace("Φαμπρίκαμ Α.Ε.", "Société Générale (encodé)"));
    dir.formtool()
        .args(["fill", "t.toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Societe-Generale-encode_3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b.pdf"));
    // Ready copies are named the same way.
    dir.formtool()
        .arg("verify")
        .arg(repo("fixtures/returned/seq-pyhanko.pdf"))
        .args(["--ready-dir", "up"])
        .assert()
        .success();
    assert!(dir.path("up/Phamprikam-A.E_3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b.pdf").is_file());
}

/// A CSV batch of `n` transfers built from the first row of fixtures/batch.csv, each with its
/// own subscription.
fn batch_csv(n: usize) -> String {
    let text = std::fs::read_to_string(repo("fixtures/batch.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let row = lines.nth(1).unwrap(); // {11111111-…-555555555501}, one subscription
    let mut out = format!("{header}\n");
    for i in 0..n {
        out.push_str(
            &row.replace("{11111111-2222-4333-8444-555555555501}", &format!("11111111-2222-4333-8444-{i:012}")),
        );
        out.push('\n');
    }
    out
}

/// Item 7: Ctrl-C leaves no temporary files, paths already written were printed, and
/// `--skip-existing` resumes.
#[cfg(unix)]
#[test]
fn an_interrupted_batch_leaves_no_temporary_files_and_resumes() {
    use std::io::BufRead;
    let dir = Dir::new();
    dir.write("batch.csv", batch_csv(12));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("formtool"))
        .current_dir(dir.tmp.path())
        .args(["fill", "batch.csv", "--out-dir", "out"])
        .env("FORMTOOL_TEST_HOOK", "slow-write")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a path printed before the batch ends").unwrap();
    // SAFETY: kill sends SIGINT to our own child, whose pid we hold.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let mut printed = vec![first];
    printed.extend(lines.map_while(Result::ok));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let names: Vec<String> =
        std::fs::read_dir(dir.path("out")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "temporary files left: {names:?}");
    assert!(names.len() < 12, "the batch was not interrupted: {names:?}");
    for p in &printed {
        assert!(dir.path(p).is_file(), "{p} printed but not there");
    }
    // Resume: the rest is written, what exists is left alone.
    let out = dir.formtool().args(["fill", "batch.csv", "--out-dir", "out", "--skip-existing"]).assert().success();
    let out = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(out.lines().count(), 12 - names.len());
    assert_eq!(std::fs::read_dir(dir.path("out")).unwrap().count(), 12);
}

/// Item 15: every signing time is ISO 8601, also one taken from a PDF date (`/M`).
#[test]
fn signing_times_are_all_iso_8601() {
    let dir = Dir::new();
    let out = dir
        .formtool()
        .arg("verify")
        .arg(repo("fixtures/returned/seq-pyhanko.pdf"))
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    for id in ["signature.current_partner", "signature.customer", "signature.new_partner"] {
        let detail = check(&v, id)["detail"].as_str().unwrap().to_string();
        assert!(!detail.contains("D:"), "{id}: {detail}");
        let at = detail.split(" at ").nth(1).unwrap_or_default();
        let stamp = at.split(' ').next().unwrap_or_default();
        assert!(stamp.len() == 20 && &stamp[4..5] == "-" && &stamp[10..11] == "T", "{id}: {detail}");
    }
    assert!(check(&v, "signature.new_partner")["detail"].as_str().unwrap().contains("2025-03-05T14:30:00Z"));
}

/// Item 16: grammar of the reasons.
#[test]
fn reasons_read_as_english() {
    let dir = Dir::new();
    dir.formtool()
        .arg("verify")
        .arg(repo("fixtures/returned/ink-strikeout-after-signing.pdf"))
        .args(["--format", "text"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("an Ink annotation"))
        .stdout(predicate::str::contains("a Ink").not());
    dir.formtool()
        .args(["fill", repo("fixtures/transfer.toml").to_str().unwrap(), "--flatten", "-o", "flat.pdf"])
        .assert()
        .success();
    dir.formtool()
        .args(["verify", "flat.pdf", "--format", "text"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("has no the").not());
}

/// Item 12: "is not a GUID" says why.
#[test]
fn a_bad_guid_says_why() {
    let dir = Dir::new();
    let cases = [
        (
            "8f0b2c9e-6a51-4f3b-9d2e-3c7a1b5e4d21",
            "8f0b2c9e-6a51-4f3b-9d2e-3c7a1b5e4d2",
            "it has 35 characters, a GUID has 36",
        ),
        (
            "8f0b2c9e-6a51-4f3b-9d2e-3c7a1b5e4d21",
            "8f0b2c9e-6a51-4f3b-9d2e-3c7a1b5e4g21",
            "'g' at character 34 is not a hex digit",
        ),
        ("8f0b2c9e-6a51-4f3b-9d2e-3c7a1b5e4d21", "8f0b2c9e 6a51-4f3b-9d2e-3c7a1b5e4d21", "character 9 should be '-'"),
    ];
    for (good, bad, why) in cases {
        dir.write("t.toml", TRANSFER_TOML.replace(good, bad));
        dir.formtool()
            .args(["fill", "t.toml", "-o", "f.pdf"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("current_partner.microsoft_id: \"{bad}\" is not a GUID: ")))
            .stderr(predicate::str::contains(why));
    }
}

/// Item 17: CSV reports say why, also for files that could not be read.
#[test]
fn csv_reports_carry_the_reasons() {
    let dir = Dir::new();
    for f in ["missing-customer.pdf", "not-a-pdf.pdf"] {
        dir.write(&format!("in/{f}"), std::fs::read(repo(&format!("fixtures/returned/{f}"))).unwrap());
    }
    let out = dir.formtool().args(["verify", "in", "--format", "csv"]).assert().code(1).get_output().stdout.clone();
    let mut rows = csv::Reader::from_reader(out.as_slice());
    assert_eq!(rows.headers().unwrap().iter().next_back(), Some("reasons"));
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert!(rows[0][5].contains("signature.customer: no signature in the Customer box"), "{:?}", rows[0]);
    assert_eq!(&rows[1][1], "error");
    assert!(!rows[1][5].is_empty(), "{:?}", rows[1]);
}

/// Item 14: one reason shared by many checks is said once.
#[test]
fn a_reason_shared_by_many_checks_is_said_once() {
    let dir = Dir::new();
    let out = dir
        .formtool()
        .arg("verify")
        .arg(repo("fixtures/scans/not-a-form.pdf"))
        .args(["--format", "text"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches("page 1 of the form is not in the scan").count(), 1, "{text}");
    assert!(text.contains("signature.current_partner, signature.customer"), "{text}");
}

/// Item 13: files that are not PDFs are named for what they are, with how to proceed; a folder
/// with no PDFs says how many other files it skipped.
#[test]
fn non_pdfs_say_what_they_are_and_how_to_proceed() {
    let dir = Dir::new();
    dir.write("in/scan.pdf", b"\xFF\xD8\xFF\xE0\0\x10JFIF\0rest of a jpeg");
    dir.write("in/photo.pdf", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    dir.write("in/empty.pdf", b"");
    dir.write("in/letter.pdf", b"PK\x03\x04\x14\0\0\0[Content_Types].xml word/document.xml");
    let out = dir.formtool().args(["verify", "in", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let error = |name: &str| -> String {
        let f = v["forms"].as_array().unwrap().iter().find(|f| f["file"] == format!("in/{name}")).unwrap();
        assert_eq!(f["status"], "error");
        f["error"].as_str().unwrap().to_string()
    };
    assert!(error("scan.pdf").starts_with("a JPEG image") && error("scan.pdf").contains("img2pdf"));
    assert!(error("photo.pdf").starts_with("a PNG image"));
    assert_eq!(error("empty.pdf"), "an empty file");
    assert!(error("letter.pdf").contains("DOCX"), "{}", error("letter.pdf"));

    dir.write("docs/a.docx", b"x");
    dir.write("docs/b.png", b"x");
    dir.formtool()
        .args(["verify", "docs"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2 other file(s) skipped"));
}

/// Item 11: a `;`-separated CSV (French and German spreadsheets) or a tab-separated one reads
/// like a comma-separated one.
#[test]
fn semicolon_and_tab_separated_csv_are_read() {
    let dir = Dir::new();
    let text = std::fs::read_to_string(repo("fixtures/batch.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    for (name, delim) in [("semi.csv", b';'), ("tab.csv", b'\t')] {
        let mut w = csv::WriterBuilder::new().delimiter(delim).from_writer(Vec::new());
        w.write_record(rdr.headers().unwrap()).unwrap();
        for r in csv::Reader::from_reader(text.as_bytes()).records() {
            w.write_record(&r.unwrap()).unwrap();
        }
        dir.write(name, w.into_inner().unwrap());
        let out_dir = format!("out-{name}");
        dir.formtool().args(["fill", name, "--out-dir", &out_dir]).assert().success();
        assert_eq!(std::fs::read_dir(dir.path(&out_dir)).unwrap().count(), 4, "{name}");
    }
}

/// Item 11: a misspelt column is reported once, from the header, not once for every row.
#[test]
fn a_bad_csv_header_is_reported_once() {
    let dir = Dir::new();
    let text = std::fs::read_to_string(repo("fixtures/batch.csv")).unwrap();
    let rows = text.lines().count() - 1;
    assert!(rows >= 3, "the fixture batch has several rows");
    let misspelt = text.replacen("customer.organization", "customer.organisation", 1);
    dir.write("bad.csv", misspelt.as_bytes());
    let out = dir.formtool().args(["fill", "bad.csv", "--out-dir", "out"]).assert().code(2).get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("unknown field").count(), 1, "{stderr}");
    assert!(stderr.contains("header, column 8 (\"customer.organisation\")"), "{stderr}");
    assert!(!stderr.contains("row 2"), "{stderr}");
    assert!(!dir.path("out").exists());
}

/// Item 19: `guide` on a batch file takes `--row N`.
#[test]
fn guide_picks_one_transfer_of_a_batch_with_row() {
    let dir = Dir::new();
    let batch = repo("fixtures/batch.csv");
    dir.formtool().arg("guide").arg(&batch).assert().code(2).stderr(predicate::str::contains("--row N"));
    dir.formtool()
        .arg("guide")
        .arg(&batch)
        .args(["--row", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains("11111111-2222-4333-8444-555555555503"));
    dir.formtool().arg("guide").arg(&batch).args(["--row", "99"]).assert().code(2);
}

/// Item 18 (fill): two transfers of one batch listing the same subscription are warned about.
#[test]
fn fill_warns_when_two_transfers_share_a_subscription() {
    let dir = Dir::new();
    // Rows 1 and 2 of the fixture batch both list …555555555501.
    dir.formtool()
        .args(["fill", repo("fixtures/batch.csv").to_str().unwrap(), "--out-dir", "out"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "subscription 11111111-2222-4333-8444-555555555501 is in transfer 1 and transfer 2",
        ));
}

/// Item 18 (verify): `--ready-dir` warns about a subscription already in another ready form,
/// also when that form was copied by an earlier run, once per subscription, and not again
/// when the same forms are verified again.
#[test]
fn ready_dir_warns_once_per_subscription_across_runs() {
    let dir = Dir::new();
    let subscriptions = ["3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b", "a1b2c3d4-e5f6-4789-8abc-def012345678"];
    for f in ["seq-pyhanko.pdf", "ink-all.pdf", "stamp-and-vector.pdf"] {
        dir.write(&format!("in/{f}"), std::fs::read(repo(&format!("fixtures/returned/{f}"))).unwrap());
    }
    let run = |files: &[&str]| {
        let out = dir
            .formtool()
            .arg("verify")
            .args(files.iter().map(|f| format!("in/{f}")))
            .args(["--ready-dir", "up", "--format", "json"])
            .assert()
            .success()
            .get_output()
            .clone();
        String::from_utf8(out.stderr).unwrap()
    };
    // Monday: one form, nothing to warn about.
    let first = run(&["seq-pyhanko.pdf"]);
    assert!(!first.contains("warning"), "{first}");
    let index = String::from_utf8(dir.read("up/SUBSCRIPTIONS")).unwrap();
    for s in subscriptions {
        assert!(index.contains(s), "{index}");
    }
    // Tuesday: another ready form of the same transfer; the first is only in the ready folder.
    let second = run(&["ink-all.pdf"]);
    for s in subscriptions {
        assert_eq!(second.matches(&format!("subscription {s} is in two ready forms")).count(), 1, "{second}");
    }
    assert!(
        second.contains("up/Phamprikam-A.E_3f2b8c1e-7d4a-4e6b-9a0c-5b1d2e3f4a5b.pdf and in/ink-all.pdf"),
        "{second}"
    );
    // Wednesday: all again plus a third; only the third is new, each subscription warned once.
    let third = run(&["seq-pyhanko.pdf", "ink-all.pdf", "stamp-and-vector.pdf"]);
    for s in subscriptions {
        assert_eq!(third.matches(&format!("subscription {s} is in two ready forms")).count(), 1, "{third}");
    }
    assert!(third.contains("and in/stamp-and-vector.pdf"), "{third}");
    // Thursday: nothing new, nothing to say.
    let fourth = run(&["seq-pyhanko.pdf", "ink-all.pdf", "stamp-and-vector.pdf"]);
    assert!(!fourth.contains("warning"), "{fourth}");
}
