//! Folder benchmark: the release binary on a folder of 200 copies of a three-signature form
//! (`fixtures/returned/seq-pyhanko.pdf`), `verify DIR --format json`, with `--jobs 1` and with
//! the default (one worker per core), against poppler's `pdfsig` run over the same files on
//! every core (one process per file, as many at once as there are cores) in the same run.
//! The three are interleaved round by round so that the load of a shared machine falls on
//! all of them alike; each figure is the median of the rounds.
//!
//! Run with `cargo bench --bench folder` (`FOLDER_FORMS=N`, `FOLDER_ROUNDS=N` to change the
//! folder size and the number of rounds). Targets: default `--jobs` wall time at most 0.6 ×
//! the `--jobs 1` time (on 2 cores), and at least 10 × faster than pdfsig on every core.
//! Where `pdfsig` is not installed, that comparison is skipped with a message.

#[path = "support/child.rs"]
mod child;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn main() {
    let count: usize = std::env::var("FOLDER_FORMS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let rounds: usize = std::env::var("FOLDER_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let form = std::fs::read(root.join("fixtures/returned/seq-pyhanko.pdf")).expect("fixture");
    let dir = tempfile::tempdir().expect("temporary directory");
    let forms = dir.path().join("returned");
    std::fs::create_dir_all(&forms).expect("folder");
    let files: Vec<PathBuf> = (0..count)
        .map(|i| {
            let path = forms.join(format!("form-{i:03}.pdf"));
            std::fs::write(&path, &form).expect("write");
            path
        })
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let pdfsig = Command::new("pdfsig").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !pdfsig {
        println!("pdfsig is not installed (poppler-utils): the comparison with it is skipped");
    }
    println!(
        "folder: {count} copies of seq-pyhanko.pdf ({} KB each), {cores} cores, {rounds} rounds",
        form.len() / 1024
    );

    let (mut one, mut all, mut poppler) = (Vec::new(), Vec::new(), Vec::new());
    let (mut one_peak, mut all_peak) = (Vec::new(), Vec::new());
    let (mut one_cpu, mut all_cpu) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let usage = formtool(&forms, Some(1), count);
        one.push(usage.wall);
        one_peak.push(usage.peak_kb);
        one_cpu.push(usage.cpu);
        let usage = formtool(&forms, None, count);
        all.push(usage.wall);
        all_peak.push(usage.peak_kb);
        all_cpu.push(usage.cpu);
        if pdfsig {
            poppler.push(pdfsig_on_every_core(&files, cores));
        }
    }
    let (one, all) = (median(one), median(all));
    println!(
        "formtool --jobs 1:       median {:.3} s ({:.0} forms/s), CPU {:.3} s, peak memory {:.1} MB",
        one.as_secs_f64(),
        count as f64 / one.as_secs_f64(),
        median(one_cpu).as_secs_f64(),
        median(one_peak) as f64 / 1024.0
    );
    println!(
        "formtool default --jobs: median {:.3} s ({:.0} forms/s), CPU {:.3} s, peak memory {:.1} MB; {:.2} × the --jobs 1 time (target <= 0.6 on 2 cores): {}",
        all.as_secs_f64(),
        count as f64 / all.as_secs_f64(),
        median(all_cpu).as_secs_f64(),
        median(all_peak) as f64 / 1024.0,
        all.as_secs_f64() / one.as_secs_f64(),
        if all.as_secs_f64() <= 0.6 * one.as_secs_f64() { "met" } else { "NOT met" }
    );
    if pdfsig {
        let poppler = median(poppler);
        let ratio = poppler.as_secs_f64() / all.as_secs_f64();
        println!(
            "pdfsig on {cores} cores:       median {:.3} s; formtool is {ratio:.1} × faster (target >= 10): {}",
            poppler.as_secs_f64(),
            if ratio >= 10.0 { "met" } else { "NOT met" }
        );
    }
}

/// What one run of `formtool verify DIR --format json` cost.
fn formtool(forms: &Path, jobs: Option<usize>, count: usize) -> child::Usage {
    let mut command = Command::new(env!("CARGO_BIN_EXE_formtool"));
    command.arg("verify").arg(forms).args(["--format", "json"]);
    if let Some(jobs) = jobs {
        command.args(["--jobs", &jobs.to_string()]);
    }
    let started = Instant::now();
    let mut running = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("run formtool");
    // Read the report on a thread while this one waits for the exit.
    let stdout = running.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut { stdout }, &mut out).expect("report");
        out
    });
    let usage = child::wait_measured(running, started);
    let out = reader.join().expect("report");
    assert!(usage.success, "every copy is ready: formtool failed");
    let report: serde_json::Value = serde_json::from_slice(&out).expect("json report");
    assert_eq!(report["summary"]["ready"], count, "every copy is ready");
    usage
}

/// Wall time of `pdfsig FILE` over all files, `cores` processes at a time.
fn pdfsig_on_every_core(files: &[PathBuf], cores: usize) -> Duration {
    let queue = Mutex::new(files.iter());
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..cores {
            s.spawn(|| {
                loop {
                    let Some(file) = queue.lock().unwrap_or_else(|e| e.into_inner()).next() else { break };
                    let out = Command::new("pdfsig").arg(file).output().expect("run pdfsig");
                    // pdfsig checks all three signatures; it must have found them.
                    assert_eq!(
                        String::from_utf8_lossy(&out.stdout).matches("Signature #").count(),
                        3,
                        "pdfsig on {}",
                        file.display()
                    );
                }
            });
        }
    });
    started.elapsed()
}

fn median<T: Ord + Copy>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}
