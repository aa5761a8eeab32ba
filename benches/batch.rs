//! Batch benchmark (SPEC section 7): `formtool verify` on a folder of 10,000 forms, through the
//! release binary, measuring wall time, peak memory of the process (`ru_maxrss`) and CPU use
//! (user + system time over wall time; 200 % is both cores busy), both from `wait4`.
//!
//! Run with `cargo bench --bench batch` (`BATCH_FORMS=N` for another folder size). Targets:
//! peak memory at most 100 MB (reports included), both cores busy. The folder mixes forms filled by formtool and
//! not signed (not ready) with copies of the digitally signed fixtures (ready and not), the
//! way a Monday-morning folder of returns looks.

#[path = "support/child.rs"]
mod child;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use formtool::fill::{FillOptions, fill_embedded};
use formtool::input::{Format, parse_str};

const SIGNED: &[&str] = &[
    "fixtures/returned/seq-pyhanko.pdf",
    "fixtures/returned/mixed-algorithms.pdf",
    "fixtures/returned/pdfsig-all.pdf",
    "fixtures/returned/missing-customer.pdf",
    "fixtures/returned/changed-subscription-after-signing.pdf",
    "fixtures/returned/ink-all.pdf",
];

fn main() {
    let count: usize = std::env::var("BATCH_FORMS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temporary directory");
    let forms = dir.path().join("returned");
    std::fs::create_dir_all(&forms).expect("folder");

    let toml = std::fs::read_to_string(root.join("fixtures/transfer.toml")).expect("fixture");
    let transfer = parse_str(&toml, Format::Toml, "transfer.toml", true).expect("fixture parses").transfers.remove(0);
    let signed: Vec<Vec<u8>> = SIGNED.iter().map(|p| std::fs::read(root.join(p)).expect("fixture")).collect();
    let started = Instant::now();
    let mut bytes = 0usize;
    for i in 0..count {
        // Three in five filled and unsigned, two in five signed copies.
        let pdf = if i % 5 < 3 {
            let mut t = transfer.clone();
            t.subscriptions = vec![format!("{:08x}-0000-4000-8000-{:012x}", i, i)];
            fill_embedded(&t, &FillOptions::default())
        } else {
            signed[i % signed.len()].clone()
        };
        bytes += pdf.len();
        std::fs::write(forms.join(format!("form-{i:05}.pdf")), &pdf).expect("write");
    }
    println!("folder: {count} forms, {} MB, made in {:.1?}", bytes >> 20, started.elapsed());

    let binary = env!("CARGO_BIN_EXE_formtool");
    let report = dir.path().join("out.csv");
    let started = Instant::now();
    let running = Command::new(binary)
        .arg("verify")
        .arg(&forms)
        .args(["--format", "csv", "--report"])
        .arg(&report)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run formtool");
    let usage = child::wait_measured(running, started);
    let (wall, peak_kb, status) = (usage.wall, usage.peak_kb, usage.success);
    let rows = std::fs::read_to_string(&report).map(|r| r.lines().count().saturating_sub(1)).unwrap_or(0);
    assert_eq!(rows, count, "one row per form (exited successfully: {status})");
    let cpu = usage.cpu.as_secs_f64();
    println!(
        "verify: {count} forms in {:.2} s ({:.0} forms/s), peak memory {:.1} MB, CPU {:.0} % (user+sys {:.1} s)",
        wall.as_secs_f64(),
        count as f64 / wall.as_secs_f64(),
        peak_kb as f64 / 1024.0,
        100.0 * cpu / wall.as_secs_f64(),
        cpu
    );
    println!(
        "targets: peak memory <= 100 MB: {}; both cores busy (~200 %)",
        if peak_kb <= 100 * 1024 { "met" } else { "NOT met" }
    );
}
