//! Instruction-count driver for A/B comparisons under callgrind (not committed).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("verify");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let bytes = std::fs::read("fixtures/returned/seq-pyhanko.pdf").unwrap();
    let t = formtool::input::load("fixtures/transfer.toml".as_ref(), false).unwrap().transfers.remove(0);
    let mut total = 0usize;
    for _ in 0..n {
        if what == "verify" {
            let r = formtool::verify::checks::verify_bytes("f.pdf", &bytes, &Default::default());
            total += r.checks.len();
        } else {
            total += formtool::fill::fill_embedded(&t, &Default::default()).len();
        }
    }
    println!("{total}");
}
