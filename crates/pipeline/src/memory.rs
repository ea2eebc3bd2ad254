//! This process's memory, as Linux reports it in `/proc`: what each stage's log line and the
//! benchmarks quote.

use std::path::Path;

/// Resets the process's peak-RSS counter (Linux; ignored elsewhere).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A memory figure of this process from `/proc/self/status` (`VmHWM:` peak since the last
/// reset, `VmRSS:` now), MiB; NaN where there is no such file.
pub fn status_mib(key: &str) -> f64 {
    process_status_mib(Path::new("/proc/self/status"), key)
}

/// A memory figure (`key`, e.g. `VmHWM:`) from a `/proc/<pid>/status` file, MiB; NaN when the
/// file or the key is missing.
pub fn process_status_mib(status: &Path, key: &str) -> f64 {
    std::fs::read_to_string(status)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}
