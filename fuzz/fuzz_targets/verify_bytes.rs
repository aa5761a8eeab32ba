//! Any bytes through the whole verification of a returned form: it must return a report,
//! never panic, within the bounds of `formtool::pdf::limits`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = formtool::verify::checks::verify_bytes("fuzz.pdf", data, &Default::default());
    // A form is ready only with every check holding.
    if report.status == formtool::verify::report::Status::Ready {
        assert!(report.checks.iter().all(|c| c.ok));
    }
});
