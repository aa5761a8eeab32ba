//! The long-lived workers of `formtool verify` on a folder (`src/workers.rs`): a stalled file
//! costs its worker, which is replaced; at most four checks run on past the time limit, and
//! when no worker is left the files not yet checked are reported instead of the batch
//! waiting for the stalled ones.

mod common;

use common::{Dir, repo};

#[test]
fn stalled_files_cost_their_workers_and_never_block_the_batch() {
    let dir = Dir::new();
    let form = std::fs::read(repo("fixtures/returned/ink-all.pdf")).expect("fixture");
    dir.write("in/a.pdf", &form);
    for i in 1..=6 {
        dir.write(&format!("in/stalls-{i}.pdf"), &form);
    }
    dir.write("in/z.pdf", &form);
    let started = std::time::Instant::now();
    let out = dir
        .formtool()
        .args(["verify", "in", "--format", "json", "--jobs", "2"])
        .env("FORMTOOL_TEST_HOOK", "sleep:stalls-")
        .env("FORMTOOL_FILE_TIME_LIMIT_SECS", "1")
        .output()
        .expect("run");
    // Rounds of stalled files (two workers each), then one limit of waiting for a free slot:
    // a few seconds, far from the hour the stalled checks sleep.
    assert!(started.elapsed().as_secs() < 30, "the batch waited for the stalled files");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let forms = json["forms"].as_array().expect("forms");
    assert_eq!(forms.len(), 8, "{json}");
    assert!(forms[0]["file"].as_str().is_some_and(|f| f.ends_with("a.pdf")), "{json}");
    assert_eq!(forms[0]["status"], "ready", "{json}");
    let error = |f: &serde_json::Value| f["error"].as_str().unwrap_or("").to_string();
    let late = forms.iter().filter(|f| error(f) == "took longer than 1 s to check; skipped").count();
    let unchecked = forms.iter().filter(|f| error(f).starts_with("not checked: 4 earlier files")).count();
    // No file starts while four late checks run on; with two workers a fifth may already have
    // started when the fourth goes late. The files left find no worker.
    assert!((4..=5).contains(&late), "{json}");
    assert_eq!(late + unchecked, 7, "{json}");
    assert_eq!(forms[7]["status"], "error", "{json}");
}

#[test]
fn a_folder_on_several_workers_gives_the_same_report_as_one() {
    let dir = Dir::new();
    let names = ["seq-pyhanko.pdf", "mixed-algorithms.pdf", "missing-customer.pdf", "ink-all.pdf"];
    for (i, name) in names.iter().cycle().take(12).enumerate() {
        dir.write(
            &format!("in/{i:02}-{name}"),
            std::fs::read(repo(&format!("fixtures/returned/{name}"))).expect("fixture"),
        );
    }
    dir.write("in/broken.pdf", b"%PDF-1.7 nothing else");
    let run = |jobs: &str| {
        let out = dir.formtool().args(["verify", "in", "--format", "csv", "--jobs", jobs]).output().expect("run");
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let one = run("1");
    assert_eq!(one.lines().count(), 14, "{one}");
    assert_eq!(run("3"), one);
    assert_eq!(run("32"), one);
}
