//! Any text through the transfer-input parser, as JSON, TOML and CSV: problems come back as
//! `Err`, never as a panic.
#![no_main]

use formtool::input::{Format, parse_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in [Format::Json, Format::Toml, Format::Csv] {
        for strict in [false, true] {
            let _ = parse_str(text, format, "fuzz", strict);
        }
    }
});
