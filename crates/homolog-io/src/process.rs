//! Facts about the running process that benchmarks report.

/// Peak resident set size of this process in KiB (Linux `VmHWM` in `/proc/self/status`);
/// `None` where the kernel does not report it.
///
/// ```
/// if let Some(kib) = homolog_io::process::peak_rss_kib() {
///     assert!(kib > 0);
/// }
/// ```
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// [`peak_rss_kib`] in MiB, NaN when unknown (for tables that print a float).
pub fn peak_rss_mib() -> f64 {
    peak_rss_kib().map_or(f64::NAN, |kib| kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_peak_on_linux() {
        if cfg!(target_os = "linux") {
            let kib = super::peak_rss_kib().expect("VmHWM on Linux");
            assert!(kib > 100, "{kib}");
            // The peak only grows (other test threads allocate meanwhile).
            assert!(super::peak_rss_mib() >= kib as f64 / 1024.0);
        }
    }
}
