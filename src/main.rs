//! The `formtool` binary: parse arguments, run the command, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use formtool::cli::{self, Cli};
use formtool::error::Outcome;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's C option API (`mimalloc.h`), linked through the mimalloc crate.
#[cfg(target_os = "linux")]
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}
/// `mi_option_arena_eager_commit` in mimalloc v3's `mi_option_e` (the crate's default; the
/// `libmimalloc-sys` bindings do not name it). Should a later mimalloc renumber it, the cost is
/// the old memory behaviour, not a wrong result.
#[cfg(target_os = "linux")]
const MI_OPTION_ARENA_EAGER_COMMIT: std::ffi::c_int = 4;
/// `mi_option_purge_delay`, likewise (checked: `MIMALLOC_PURGE_DELAY` sets this option).
#[cfg(target_os = "linux")]
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Commit arena memory as it is used, not the whole arena up front: on Linux mimalloc
/// otherwise commits eagerly and keeps what a worker freed resident, which took a batch of
/// 10,000 forms to 150 MB. And give freed memory back after 100 ms, not mimalloc v3's second:
/// the batch's peak then stays near 65 MB (it swung between 59 and 93 MB with how the two
/// workers' rendering overlapped) for about 3 % more time. Run from `.init_array`, before the
/// Rust runtime allocates the first arena (from `main` it would be too late). Linux only:
/// `.init_array` is ELF's.
#[cfg(target_os = "linux")]
extern "C" fn allocator_options() {
    // SAFETY: plain setters of process-wide options, before any thread exists.
    unsafe {
        mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        mi_option_set(MI_OPTION_PURGE_DELAY, 100);
    }
}
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static ALLOCATOR_OPTIONS: extern "C" fn() = allocator_options;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli::run(cli) {
        Ok(Outcome::Yes) => ExitCode::SUCCESS,
        Ok(Outcome::No) => ExitCode::from(1),
        Err(failure) => {
            eprintln!("formtool: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}
