//! Writing outputs safely: atomically (temporary file in the target directory, then rename),
//! never over an existing file unless the user said `--force`, and with file names that are
//! safe on every platform.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("form.pdf");
//! formtool::output::write_atomic(&path, b"%PDF-1.7", false).unwrap();
//! assert!(formtool::output::write_atomic(&path, b"again", false).is_err());
//! ```

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::Failure;

/// Write `bytes` to `path` atomically. Refuses to replace an existing file unless `force`.
///
/// The temporary file lives in the target directory so that the final rename never crosses a
/// file system; a reader sees either the old file, no file, or the complete new one.
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<(), Failure> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Failure::usage(format!("{}: the directory {} does not exist", path.display(), dir.display())));
    }
    if !force && path.exists() {
        return Err(Failure::usage(format!("{}: already exists (use --force to overwrite)", path.display())));
    }
    // Every message names the output the user asked for, never the temporary file, and exits 2:
    // the work was done but the place given cannot take it.
    let cannot = |e: &std::io::Error| Failure::usage(format!("{}: cannot write: {}", path.display(), io_reason(e)));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".formtool-").suffix(".tmp");
    // Outputs are shared (a colleague opens them on the same drive): created as any tool
    // creates a file, 0666 less the umask, which the kernel applies; not tempfile's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = {
        // Created and registered under one lock, so an interrupt never misses a file.
        let mut in_flight = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
        let tmp = builder.tempfile_in(&dir).map_err(|e| cannot(&e))?;
        in_flight.push(tmp.path().to_path_buf());
        tmp
    };
    let tmp_path = tmp.path().to_path_buf();
    let unregister = || IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| p != &tmp_path);
    if let Err(e) = tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all()) {
        drop(tmp);
        unregister();
        return Err(cannot(&e));
    }
    if std::env::var_os("FORMTOOL_TEST_HOOK").is_some_and(|h| h == "slow-write") {
        // Hidden hook for the interrupt test: hold the temporary file a while.
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let result = if force {
        tmp.persist(path).map(|_| ())
    } else {
        // persist_noclobber closes the race between our exists() check and the rename.
        tmp.persist_noclobber(path).map(|_| ())
    };
    // On failure the PersistError (holding the file) is dropped below, removing the file.
    unregister();
    result.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::usage(format!("{}: already exists (use --force to overwrite)", path.display()))
        } else {
            cannot(&e.error)
        }
    })
}

/// Temporary files being written right now, removed if the user interrupts (Ctrl-C): the
/// destructors that normally remove them do not run when the process is stopped.
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Install, once, the Ctrl-C (SIGINT, SIGTERM) handler: remove every temporary file being
/// written, say so, and exit 130. Files already renamed into place are complete and stay.
pub fn clean_up_on_interrupt() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Failing to install the handler (another one is set) only loses the clean-up.
        let _ = ctrlc::set_handler(|| {
            let in_flight = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
            for p in in_flight.iter() {
                let _ = std::fs::remove_file(p);
            }
            eprintln!("formtool: interrupted; outputs not yet complete were removed");
            // Exit while holding the lock: no thread can start another temporary file.
            std::process::exit(130);
        });
    });
}

/// The reason of an I/O error in words, without the path some libraries add to it.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
        None => e.kind().to_string(),
    }
}

/// Whether an output path means standard output (`-o -`).
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Write a PDF to standard output. Refused on a terminal, where binary would garble the
/// screen; a pipe closed early by the reader (`template | head`) ends quietly.
pub fn write_pdf_to_stdout(bytes: &[u8]) -> Result<(), Failure> {
    stdout_takes_pdf()?;
    write_stdout(bytes)
}

/// Refuse (exit 2) when standard output is a terminal, before any work is done.
pub fn stdout_takes_pdf() -> Result<(), Failure> {
    if std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "standard output is a terminal: not writing a PDF there; use -o FILE (or redirect: > form.pdf)",
        ));
    }
    Ok(())
}

/// Write to standard output; a reader that closed the pipe early is not an error (the
/// `print!` macros would panic there).
pub fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::no(format!("cannot write to standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// Make a string safe as (part of) a file name: transliterated to ASCII first (deunicode:
/// `Société Générale` → `Societe Generale`, `Φαμπρίκαμ` → `Phamprikam`), then ASCII letters,
/// digits, `-`, `_` and `.` kept, runs of anything else collapsed into one `-`, at most `max`
/// characters, never empty.
pub fn sanitize_file_stem(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in deunicode::deunicode(text).chars() {
        let c = if c.is_ascii_alphanumeric() || c == '_' || c == '.' { Some(c) } else { None };
        match c {
            Some(c) => out.push(c),
            None if !out.ends_with('-') && !out.is_empty() => out.push('-'),
            None => {}
        }
    }
    let trimmed: String = out.trim_matches(|c| c == '-' || c == '.').chars().take(max).collect();
    let trimmed = trimmed.trim_end_matches(['-', '.']).to_string();
    if trimmed.is_empty() { "form".to_string() } else { trimmed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_keeps_safe_characters_and_collapses_the_rest() {
        assert_eq!(sanitize_file_stem("Fabrikam Ltd / Düsseldorf", 64), "Fabrikam-Ltd-Dusseldorf");
        assert_eq!(sanitize_file_stem("../../etc/passwd", 64), "etc-passwd");
        assert_eq!(sanitize_file_stem("Ωμέγα", 64), "Omega");
        assert_eq!(sanitize_file_stem("Société Générale (encodé)", 64), "Societe-Generale-encode");
        assert_eq!(sanitize_file_stem("😀", 64), "grinning");
        assert_eq!(sanitize_file_stem("\u{0}", 64), "form");
        assert_eq!(sanitize_file_stem("abcdef", 3), "abc");
    }

    #[test]
    fn refuses_to_overwrite_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pdf");
        write_atomic(&path, b"one", false).unwrap();
        let err = write_atomic(&path, b"two", false).unwrap_err();
        assert!(err.to_string().contains("already exists"));
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write_atomic(&path, b"two", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
    }
}
