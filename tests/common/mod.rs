//! A tiny harness over the real binary: a fresh temporary directory per test, files created
//! in it, `formtool` run inside it, and helpers to read back what it wrote.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir { tmp: tempfile::tempdir().expect("temporary directory") }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// `formtool ARGS…`, run in this directory.
    pub fn formtool(&self) -> Command {
        let mut cmd = Command::cargo_bin("formtool").expect("the formtool binary");
        cmd.current_dir(self.tmp.path());
        cmd
    }
}

/// The repository's root, to reach committed fixtures.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Field name → value of a PDF, read back with the library.
pub fn field_values(pdf: &[u8]) -> std::collections::BTreeMap<String, Option<String>> {
    let doc = lopdf::Document::load_mem(pdf).expect("a readable PDF");
    formtool::pdf::form_fields(&doc).into_iter().map(|f| (f.name, f.value)).collect()
}

/// One row of an `expected.tsv` fixture table: `file  status  failing  options  note`.
pub struct Row {
    pub file: String,
    pub status: String,
    /// Failing check ids, sorted.
    pub failing: Vec<String>,
    /// Extra `verify` flags; paths under `fixtures/` made absolute.
    pub options: Vec<String>,
    pub note: String,
}

/// Read a fixture table (tab-separated, header line first; `-` means none).
pub fn expected_table(path: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert!(cols.len() >= 4, "bad row {l}");
            let list = |s: &str, sep: char| -> Vec<String> {
                if s == "-" { Vec::new() } else { s.split(sep).map(str::to_string).collect() }
            };
            let mut failing = list(cols[2], ',');
            failing.sort();
            let options = list(cols[3], ' ')
                .into_iter()
                .map(|o| if o.starts_with("fixtures/") { repo(&o).display().to_string() } else { o })
                .collect();
            Row {
                file: cols[0].to_string(),
                status: cols[1].to_string(),
                failing,
                options,
                note: cols.get(4).unwrap_or(&"").to_string(),
            }
        })
        .collect()
}

/// Verify each row's file through the binary (with its options) and describe every row whose
/// status, failing checks or exit code differ from the table's.
pub fn rows_that_differ(rows: &[Row]) -> Vec<String> {
    let dir = Dir::new();
    let mut wrong = Vec::new();
    for row in rows {
        let out = dir
            .formtool()
            .arg("verify")
            .arg(repo(&row.file))
            .args(&row.options)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let expected_code = if row.status == "ready" { 0 } else { 1 };
        let report: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => {
                wrong.push(format!("{}: no JSON report ({e})", row.file));
                continue;
            }
        };
        let failing = failing_checks(&report);
        let status = report["status"].as_str().unwrap_or_default();
        if status != row.status
            || (row.status != "error" && failing != row.failing)
            || out.status.code() != Some(expected_code)
        {
            wrong.push(format!(
                "{} {:?} ({}): expected {} {:?}, got {status} {failing:?} exit {:?}",
                row.file,
                row.options,
                row.note,
                row.status,
                row.failing,
                out.status.code()
            ));
        }
    }
    wrong
}

/// The ids of the checks that fail in a JSON report, sorted.
pub fn failing_checks(report: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = report["checks"]
        .as_array()
        .map(|checks| {
            checks.iter().filter(|c| c["ok"] == false).filter_map(|c| c["id"].as_str().map(str::to_string)).collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// SplitMix64: a tiny seeded generator, so every run makes the same mutated files.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Dark pixels (grey below `threshold`) of a PNG crop, leaving out a margin of `1/margin_x` of
/// its width and `1/margin_y` of its height on each side (the printed box outline and the
/// context around it), so what is counted is what lies inside the box.
pub fn dark_pixels_inside(png: &Path, margin_x: u32, margin_y: u32, threshold: u8) -> usize {
    let img = image::open(png).unwrap_or_else(|e| panic!("{}: {e}", png.display())).into_luma8();
    let (w, h) = img.dimensions();
    let (mx, my) = (w / margin_x, h / margin_y);
    (my..h - my)
        .flat_map(|y| (mx..w - mx).map(move |x| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y)[0] < threshold)
        .count()
}
