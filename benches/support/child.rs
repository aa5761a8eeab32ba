//! Running the release binary as a child process and measuring it the way the kernel does:
//! wall time until it exits, and its peak resident memory and CPU time from `wait4`'s
//! resource usage. Nothing polls the child while it runs, so the measurement takes no CPU
//! from the run it measures (sampling `/proc` every few milliseconds from a second thread
//! competed with a run that keeps both cores busy, and rounded its end up to the next sample).

use std::process::Child;
use std::time::{Duration, Instant};

/// What one run of a child cost.
pub struct Usage {
    pub wall: Duration,
    /// Peak resident memory (`ru_maxrss`), in KB.
    pub peak_kb: u64,
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Whether it exited with status 0.
    pub success: bool,
}

/// Wait for `child` (started at `started`) to exit and say what it cost. It is reaped here,
/// by `wait4`, so std's handle is consumed.
pub fn wait_measured(child: Child, started: Instant) -> Usage {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain data that wait4 fills; an all-zero value is valid to pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unreaped child; `status` and `usage` outlive the call.
        let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if got == pid {
            break;
        }
        let interrupted = std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted;
        assert!(got == -1 && interrupted, "wait4 on the child failed: {}", std::io::Error::last_os_error());
    }
    let wall = started.elapsed();
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Usage {
        wall,
        peak_kb: usage.ru_maxrss as u64,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    }
}
