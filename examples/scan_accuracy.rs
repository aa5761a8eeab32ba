//! Accuracy of the scan reader on a generated set: every scan made by
//! `fixtures/scans/make.sh --many N DIR` is verified and compared with `DIR/truth.tsv`.
//!
//! ```text
//! fixtures/scans/make.sh --many 300 /tmp/scans
//! cargo run --release --example scan_accuracy -- /tmp/scans
//! ```
//!
//! Prints the confusion counts (truth × verdict), how many failing-check lists match exactly,
//! every disagreement, and the wrong verdicts per family (the fifth column of `truth.tsv`:
//! plain scans, issue 15's office families, the geometric ones). Exits 1 if any form is wrongly
//! `ready` or more than 2 % of the forms that should be ready are not.

use std::collections::BTreeSet;
use std::path::PathBuf;

use formtool::verify::VerifyOptions;
use formtool::verify::checks::verify_bytes;
use formtool::verify::report::Status;
use rayon::prelude::*;

struct Case {
    file: PathBuf,
    ready: bool,
    failing: BTreeSet<String>,
    note: String,
    family: String,
}

/// Scans, forms that should be ready, wrongly ready, wrongly not ready.
#[derive(Default)]
struct Tally {
    scans: usize,
    should_ready: usize,
    wrongly_ready: usize,
    wrongly_not: usize,
}

impl Tally {
    fn line(&self, name: &str) -> String {
        let rate = if self.should_ready > 0 { 100.0 * self.wrongly_not as f64 / self.should_ready as f64 } else { 0.0 };
        format!(
            "{name:<16} {:6} {:8} {:14} {:11} ({rate:.1} %)",
            self.scans, self.should_ready, self.wrongly_ready, self.wrongly_not
        )
    }
}

/// Issue 15's families read by the ink and page-assembly stages.
const OFFICE: [&str; 5] = ["gel", "lid", "square", "duplex", "twice"];

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: scan_accuracy DIR...  (each DIR made by fixtures/scans/make.sh --many N DIR)");
        std::process::exit(2);
    }
    let mut cases = Vec::new();
    for dir in &dirs {
        let truth = std::fs::read_to_string(dir.join("truth.tsv")).unwrap_or_else(|e| {
            eprintln!("{}: {e}", dir.join("truth.tsv").display());
            std::process::exit(2)
        });
        for line in truth.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 4 {
                continue;
            }
            let failing = cols[2].split(',').filter(|s| *s != "-" && !s.is_empty()).map(String::from).collect();
            let family = cols.get(4).unwrap_or(&"plain").to_string();
            cases.push(Case {
                file: dir.join(cols[0]),
                ready: cols[1] == "ready",
                failing,
                note: cols[3].to_string(),
                family,
            });
        }
    }
    let options = VerifyOptions::default();
    let results: Vec<(Status, BTreeSet<String>)> = cases
        .par_iter()
        .map(|c| {
            let bytes = std::fs::read(&c.file).unwrap_or_default();
            let report = verify_bytes(&c.file.display().to_string(), &bytes, &options);
            (report.status, report.failed().map(|c| c.id.clone()).collect())
        })
        .collect();
    let mut counts = [[0usize; 3]; 2];
    let (mut exact, mut wrongly_ready, mut wrongly_not) = (0, 0, 0);
    let mut families: std::collections::BTreeMap<String, Tally> = Default::default();
    for (case, (status, failing)) in cases.iter().zip(&results) {
        let tally = families.entry(case.family.clone()).or_default();
        tally.scans += 1;
        tally.should_ready += usize::from(case.ready);
        tally.wrongly_ready += usize::from(!case.ready && *status == Status::Ready);
        tally.wrongly_not += usize::from(case.ready && *status != Status::Ready);
        let col = match status {
            Status::Ready => 0,
            Status::NotReady | Status::Review => 1,
            Status::Error => 2,
        };
        counts[usize::from(!case.ready)][col] += 1;
        if failing == &case.failing {
            exact += 1;
        }
        let wrong = match (case.ready, status) {
            (false, Status::Ready) => {
                wrongly_ready += 1;
                "WRONGLY READY"
            }
            (true, Status::NotReady | Status::Review | Status::Error) => {
                wrongly_not += 1;
                "wrongly not ready"
            }
            _ if failing != &case.failing => "other checks differ",
            _ => continue,
        };
        println!("{wrong}: {} expected {:?} got {:?} [{}]", case.file.display(), case.failing, failing, case.note);
    }
    let should_ready = counts[0].iter().sum::<usize>();
    println!("\n{} scans", cases.len());
    println!("truth \\ verdict   ready  not_ready  error");
    println!("ready            {:6} {:10} {:6}", counts[0][0], counts[0][1], counts[0][2]);
    println!("not_ready        {:6} {:10} {:6}", counts[1][0], counts[1][1], counts[1][2]);
    println!("failing checks exactly as expected: {exact}/{}", cases.len());
    let rate = if should_ready > 0 { 100.0 * wrongly_not as f64 / should_ready as f64 } else { 0.0 };
    println!("wrongly ready: {wrongly_ready}; wrongly not ready: {wrongly_not} ({rate:.1} % of the ready forms)");
    println!("\nfamily            scans    ready  wrongly ready  wrongly not");
    let mut office = Tally::default();
    for (name, t) in &families {
        println!("{}", t.line(name));
        if OFFICE.contains(&name.as_str()) {
            office.scans += t.scans;
            office.should_ready += t.should_ready;
            office.wrongly_ready += t.wrongly_ready;
            office.wrongly_not += t.wrongly_not;
        }
    }
    println!("{}", office.line("office (issue 15)"));
    if wrongly_ready > 0 || rate > 2.0 {
        std::process::exit(1);
    }
}
