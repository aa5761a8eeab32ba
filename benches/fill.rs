//! Fill benchmark (SPEC section 7): single-subscription transfers filled in process on one
//! thread, forms per second as the median of several rounds, and the output size.
//!
//! Run with `cargo bench --bench fill`. Target: at least 2,000 forms/s, output at most 200 KB.

use std::time::Instant;

use formtool::fill::{FillOptions, fill_embedded};
use formtool::input::{Format, parse_str};

/// The binary's allocator, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let toml = include_str!("../fixtures/transfer.toml").replace("  \"{A1B2C3D4-E5F6-4789-8ABC-DEF012345678}\",\n", "");
    let transfer = parse_str(&toml, Format::Toml, "transfer.toml", true).expect("fixture parses").transfers.remove(0);
    assert_eq!(transfer.subscriptions.len(), 1);
    let options = FillOptions::default();
    // Warm up: builds the in-memory blank form and the font tables once.
    let size = fill_embedded(&transfer, &options).len();
    let per_round = 500;
    let mut rates = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let mut total = 0usize;
        for _ in 0..per_round {
            total += std::hint::black_box(fill_embedded(std::hint::black_box(&transfer), &options)).len();
        }
        assert!(total > 0);
        rates.push(per_round as f64 / start.elapsed().as_secs_f64());
    }
    if std::env::var_os("FILL_PARTS").is_some() {
        let t = Instant::now();
        for _ in 0..200 {
            std::hint::black_box(formtool::form::template::blank_built().clone());
        }
        println!("clone: {:?}", t.elapsed() / 200);
        let t = Instant::now();
        let code = formtool::form::code::PageCode::for_page(
            &transfer,
            1,
            1,
            0..transfer.subscriptions.len(),
            formtool::form::code::EMBEDDED_CODE_SIDE,
        );
        let area = formtool::form::layout::first_page().code_box;
        for _ in 0..200 {
            std::hint::black_box(code.image(&area));
        }
        println!("qr draw: {:?}", t.elapsed() / 200);
        let t = Instant::now();
        for _ in 0..200 {
            std::hint::black_box(formtool::form::code::qr_modules(&code.encode()));
        }
        println!("qr modules: {:?} ({} bytes)", t.elapsed() / 200, code.encode().len());
        let t = Instant::now();
        for _ in 0..200 {
            let mut f = formtool::form::template::blank_built().clone();
            std::hint::black_box(formtool::form::template::save(&mut f, b"x"));
        }
        println!("clone+save: {:?}", t.elapsed() / 200);
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    let median = rates[rates.len() / 2];
    println!(
        "fill: median {median:.0} forms/s on one thread (min {:.0}, max {:.0}); output {size} bytes ({:.1} KB)",
        rates[0],
        rates[rates.len() - 1],
        size as f64 / 1024.0
    );
    println!(
        "target: >= 2000 forms/s, <= 200 KB: {}",
        if median >= 2000.0 && size <= 200 * 1024 { "met" } else { "NOT met" }
    );
}

#[allow(dead_code)]
fn profile_parts() {}
