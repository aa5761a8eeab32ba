//! Verifies one file in a loop, for profiling: `cargo run --release --example verify_loop -- FILE N`.
//! Prints the time per form, and with `COUNT` set (which costs time) the allocations per form.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);
/// Counting is on only when asked for: its atomic counters cost a tenth of the time.
static COUNTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(new_size, Ordering::Relaxed);
        }
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: verify_loop FILE [N]");
    let n: usize = args.next().map(|n| n.parse().expect("N")).unwrap_or(1000);
    let bytes = std::fs::read(&path).expect("read");
    let font = std::time::Instant::now();
    std::hint::black_box(formtool::form::font::embedded());
    eprintln!("embedded font ready in {:?}", font.elapsed());
    let options = formtool::verify::VerifyOptions::default();
    let before = (ALLOCATIONS.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed));
    let threads: usize = std::env::var("THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(1);
    let counting = std::env::var_os("COUNT").is_some();
    COUNTING.store(counting, Ordering::Relaxed);
    let start = std::time::Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let read = std::env::var_os("READ").is_some();
                let first = std::env::var_os("FIRST").is_some();
                for i in 0..n {
                    let t = std::time::Instant::now();
                    if read {
                        let fresh = std::fs::read(&path).expect("read");
                        std::hint::black_box(formtool::verify::checks::verify_bytes(&path, &fresh, &options));
                    } else {
                        std::hint::black_box(formtool::verify::checks::verify_bytes(&path, &bytes, &options));
                    }
                    if first && i < 8 {
                        eprintln!("  form {i}: {:?}", t.elapsed());
                    }
                }
            });
        }
    });
    let per = start.elapsed().as_secs_f64() / n as f64;
    let allocations = (ALLOCATIONS.load(Ordering::Relaxed) - before.0) / n;
    let bytes_allocated = (BYTES.load(Ordering::Relaxed) - before.1) / n;
    eprintln!("{:.3} ms per form, {:.0} forms/s per thread", per * 1000.0, 1.0 / per);
    if counting {
        eprintln!("{allocations} allocations, {} KB allocated per form", bytes_allocated / 1024);
    }
}
