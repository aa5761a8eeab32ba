//! The long-lived workers that check a batch of files for `formtool verify`.
//!
//! Each of `jobs` threads takes the next file from a shared counter, checks it and hands the
//! report back, for the whole batch. A thread per file (as before) cost more than checking a
//! small form: with mimalloc every new thread gets a new heap, so a second core made a folder
//! slower and doubled its memory.
//!
//! The supervisor (the calling thread) keeps the per-file time limit: it knows when each
//! worker started its current file, and a worker that is still on it after `limit` is
//! *abandoned* — the file gets `status: error` ("took longer than … s"), and a new worker
//! takes the abandoned one's place, so the batch never waits for it. Stable Rust cannot stop
//! a thread, so the abandoned worker runs on until its check ends by itself (every loop in the
//! checks is bounded, see [`crate::pdf::limits`]); then its result is dropped and it exits. At most
//! [`MAX_LATE_THREADS`] such late checks run at once in the process, which bounds the memory
//! they hold: while that many run, no replacement starts, and if no worker is left and none
//! of the late ones ends within one time limit, the files not yet checked get `status: error`
//! ("not checked: …") instead of the batch waiting without end.
//!
//! A panic inside a check is caught by [`verify_file`] and becomes the file's error, without
//! the default panic message on stderr; a worker that dies anyway (a panic outside the check)
//! is noticed by the supervisor, which reports its file and replaces it.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use formtool::verify::VerifyOptions;
//! let files = vec!["a.pdf".into(), "b.pdf".into()];
//! let reports = formtool::commands::verify::workers::check_files(&files, &Arc::new(VerifyOptions::default()), 2, Duration::from_secs(60), |_| {});
//! assert_eq!(reports.len(), 2);
//! ```

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

use crate::commands::verify::{MAX_LATE_THREADS, verify_file};
use crate::verify::VerifyOptions;
use crate::verify::report::FormReport;

/// Stack of each worker: room for lopdf's bounded recursion in a debug build.
const WORKER_STACK_BYTES: usize = 16 * 1024 * 1024;

/// Abandoned workers still running their check, in the whole process.
static LATE: Mutex<usize> = Mutex::new(0);

/// What the supervisor knows of one worker, shared with it.
#[derive(Default)]
struct Slot {
    /// The file the worker is checking (its index) and since when.
    current: Option<(usize, Instant)>,
    /// Set by the supervisor when the current file ran past the limit: its report is no
    /// longer wanted, and the worker exits when the check ends.
    abandoned: bool,
}

/// Messages from workers to the supervisor.
enum Message {
    /// A file's report.
    Done(usize, FormReport),
    /// An abandoned worker's check ended (a slot for a late check is free again).
    LateEnded,
    /// The worker ended: no more files, or it died (its slot says on which file).
    Exited(usize),
}

/// Check `files` on `jobs` long-lived workers (at least one), each file within `limit`, and
/// return the reports in the order of `files`. `done` is called once per report as it
/// arrives (progress). Never panics on any file; see the module documentation.
pub fn check_files(
    files: &[PathBuf],
    options: &Arc<VerifyOptions>,
    jobs: usize,
    limit: Duration,
    mut done: impl FnMut(&FormReport),
) -> Vec<FormReport> {
    install_quiet_panic_hook();
    let files: Arc<[PathBuf]> = files.into();
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel::<Message>();
    let mut reports: Vec<Option<FormReport>> = (0..files.len()).map(|_| None).collect();
    let mut remaining = files.len();
    let mut finish = |index: usize, report: FormReport, reports: &mut [Option<FormReport>]| {
        if let Some(entry) = reports.get_mut(index)
            && entry.is_none()
        {
            done(&report);
            *entry = Some(report);
            return true;
        }
        false
    };
    // Live (not abandoned) workers by id; an abandoned or exited one is taken out.
    let mut live: Vec<(usize, Arc<Mutex<Slot>>)> = Vec::new();
    let mut ids = 0usize;
    let wanted = jobs.max(1).min(files.len());
    // Since when no worker has been alive while files remained (waiting for a late slot).
    let mut starved_since: Option<Instant> = None;

    while remaining > 0 {
        // Start workers up to `wanted`, unless too many late checks run on.
        while live.len() < wanted && next.load(Ordering::Acquire) < files.len() && late_count() < MAX_LATE_THREADS {
            let slot = Arc::new(Mutex::new(Slot::default()));
            let id = ids;
            ids += 1;
            let (f, n, o, s, t) =
                (Arc::clone(&files), Arc::clone(&next), Arc::clone(options), Arc::clone(&slot), tx.clone());
            let spawned = std::thread::Builder::new()
                .name("formtool-check".into())
                .stack_size(WORKER_STACK_BYTES)
                .spawn(move || work(id, &f, &n, &o, &s, &t));
            if spawned.is_err() {
                break;
            }
            live.push((id, slot));
        }
        if live.is_empty() {
            let index = next.load(Ordering::Acquire);
            if index >= files.len() {
                // Every file was taken, yet reports are missing: cannot happen, as each taken
                // file is reported by its worker or by the supervisor; guard against a hang.
                break;
            }
            if late_count() < MAX_LATE_THREADS {
                // No thread could be started: check here, without the time limit.
                if let Some(index) = take(&next, files.len()) {
                    let report = verify_file(&files[index], options);
                    if finish(index, report, &mut reports) {
                        remaining -= 1;
                    }
                }
                continue;
            }
            let since = *starved_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= limit {
                // Nobody to check the rest: say so for each file left, never wait on.
                while let Some(index) = take(&next, files.len()) {
                    let report = FormReport::error(
                        &files[index].display().to_string(),
                        "",
                        &format!(
                            "not checked: {MAX_LATE_THREADS} earlier files are still being checked past the time limit"
                        ),
                    );
                    if finish(index, report, &mut reports) {
                        remaining -= 1;
                    }
                }
                continue;
            }
            // Wait for a late check to end (or the starvation limit).
            match rx.recv_timeout(limit.saturating_sub(since.elapsed())) {
                Ok(message) => handle(message, &mut live, &mut reports, &mut remaining, &files, &mut finish),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            continue;
        }
        starved_since = None;

        // Wait for a message, at most until the earliest deadline of a running check.
        let now = Instant::now();
        let earliest = live
            .iter()
            .filter_map(|(_, slot)| lock(slot).current.map(|(_, since)| since + limit))
            .min()
            .unwrap_or(now + limit);
        match rx.recv_timeout(earliest.saturating_duration_since(now)) {
            Ok(message) => handle(message, &mut live, &mut reports, &mut remaining, &files, &mut finish),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        // Abandon every worker whose current file is over the limit.
        let now = Instant::now();
        live.retain(|(_, slot)| {
            let mut slot = lock(slot);
            match slot.current {
                Some((index, since)) if now.duration_since(since) >= limit => {
                    slot.abandoned = true;
                    *LATE.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                    let report = FormReport::error(
                        &files[index].display().to_string(),
                        "",
                        &format!("took longer than {} s to check; skipped", limit.as_secs_f64()),
                    );
                    if finish(index, report, &mut reports) {
                        remaining -= 1;
                    }
                    false
                }
                _ => true,
            }
        });
    }
    // Live workers find the counter at the end and exit by themselves; abandoned ones exit
    // when their check ends. Nobody is joined, so a stalled check never holds the batch.
    reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|| {
                FormReport::error(
                    &files[i].display().to_string(),
                    "",
                    "formtool failed on this file (an internal error; please report it with the file)",
                )
            })
        })
        .collect()
}

/// Act on one message from a worker.
fn handle(
    message: Message,
    live: &mut Vec<(usize, Arc<Mutex<Slot>>)>,
    reports: &mut [Option<FormReport>],
    remaining: &mut usize,
    files: &[PathBuf],
    finish: &mut impl FnMut(usize, FormReport, &mut [Option<FormReport>]) -> bool,
) {
    match message {
        Message::Done(index, report) => {
            if finish(index, report, reports) {
                *remaining -= 1;
            }
        }
        Message::LateEnded => {}
        Message::Exited(id) => {
            let Some(at) = live.iter().position(|(i, _)| *i == id) else { return };
            let (_, slot) = live.swap_remove(at);
            // A worker that exits while on a file died on it (a panic outside the check).
            if let Some((index, _)) = lock(&slot).current {
                let report = FormReport::error(
                    &files[index].display().to_string(),
                    "",
                    "formtool failed on this file (an internal error; please report it with the file)",
                );
                if finish(index, report, reports) {
                    *remaining -= 1;
                }
            }
        }
    }
}

/// One worker: check files until none is left, too many late checks run on, or the
/// supervisor abandons it.
fn work(
    id: usize,
    files: &[PathBuf],
    next: &AtomicUsize,
    options: &VerifyOptions,
    slot: &Mutex<Slot>,
    tx: &Sender<Message>,
) {
    QUIET_PANICS.with(|q| q.set(true));
    // Tells the supervisor this worker is gone, however it ends (a panic included).
    struct Farewell<'a>(usize, &'a Sender<Message>);
    impl Drop for Farewell<'_> {
        fn drop(&mut self) {
            let _ = self.1.send(Message::Exited(self.0));
        }
    }
    let _farewell = Farewell(id, tx);
    loop {
        // Take the next file under the slot's lock, so the supervisor always sees which file
        // this worker is on.
        let index = {
            let mut s = lock(slot);
            // As many late checks as allowed run on: start nothing new (the supervisor starts
            // a worker again when one of them ends).
            if late_count() >= MAX_LATE_THREADS {
                s.current = None;
                return;
            }
            let Some(index) = take(next, files.len()) else {
                s.current = None;
                return;
            };
            s.current = Some((index, Instant::now()));
            index
        };
        let report = verify_file(&files[index], options);
        let mut s = lock(slot);
        if s.abandoned {
            // Late: the file was reported already; free the late slot and leave.
            drop(s);
            let mut late = LATE.lock().unwrap_or_else(|e| e.into_inner());
            *late = late.saturating_sub(1);
            drop(late);
            let _ = tx.send(Message::LateEnded);
            return;
        }
        s.current = None;
        drop(s);
        let _ = tx.send(Message::Done(index, report));
    }
}

/// The next file's index, if any is left.
fn take(next: &AtomicUsize, len: usize) -> Option<usize> {
    let index = next.fetch_add(1, Ordering::AcqRel);
    if index < len {
        Some(index)
    } else {
        // Keep the counter from growing on after the end.
        next.store(len, Ordering::Release);
        None
    }
}

fn late_count() -> usize {
    *LATE.lock().unwrap_or_else(|e| e.into_inner())
}

fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|e| e.into_inner())
}

/// [`verify_file`] for one file on a worker of its own, waiting at most `limit` for it.
pub fn verify_file_within(path: &Path, options: &Arc<VerifyOptions>, limit: Duration) -> FormReport {
    let files = [path.to_path_buf()];
    check_files(&files, options, 1, limit, |_| {}).pop().unwrap_or_else(|| {
        FormReport::error(&path.display().to_string(), "", "formtool failed on this file (an internal error)")
    })
}

thread_local! {
    /// Set on worker threads: their panics are caught and reported, not printed.
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Replace the panic hook, once, by one that stays silent on worker threads (the panic is
/// caught and becomes the file's error) and defers to the previous hook everywhere else.
fn install_quiet_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_keep_the_order_of_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> = (0..7).map(|i| dir.path().join(format!("f{i}.pdf"))).collect();
        for (i, f) in files.iter().enumerate() {
            std::fs::write(f, vec![b'x'; i]).unwrap();
        }
        let mut seen = 0;
        let reports =
            check_files(&files, &Arc::new(VerifyOptions::default()), 3, Duration::from_secs(60), |_| seen += 1);
        assert_eq!(seen, 7);
        let names: Vec<String> = reports.iter().map(|r| r.file.clone()).collect();
        let expected: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        assert_eq!(names, expected);
        assert!(reports.iter().all(|r| r.status == crate::verify::report::Status::Error));
    }

    #[test]
    fn take_stops_at_the_end() {
        let next = AtomicUsize::new(0);
        assert_eq!(take(&next, 2), Some(0));
        assert_eq!(take(&next, 2), Some(1));
        assert_eq!(take(&next, 2), None);
        assert_eq!(take(&next, 2), None);
        assert_eq!(next.load(Ordering::Relaxed), 2);
    }
}
