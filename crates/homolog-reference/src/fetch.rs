//! Getting a source file onto local disk: a local path is used in place; an http(s) URL is
//! streamed into a cache folder, resumed after an interruption and checksummed.
//!
//! A download goes to `<cache>/<name>.part` and is renamed to `<cache>/<name>` only once complete
//! (and, when a SHA-256 is given, verified), so a file without `.part` is always whole and is
//! reused by later calls. `<name>` is the last URL path segment prefixed with 12 hex digits of
//! the URL's SHA-256, so two URLs ending in the same file name (`nodes.dmp`) never collide.
//! An interrupted transfer leaves the `.part`; the next attempt (within the same call, up to
//! [`FetchOptions::attempts`], or a later call) asks for the rest with `Range: bytes=<n>-` and
//! appends on `206 Partial Content`, or starts over when the server answers `200`.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::ReferenceError;

/// A source resolved to a local file, with its content hash and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    pub size: u64,
}

/// Knobs for [`fetch_with`].
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// How many requests one call may make before giving up (each resumes the `.part`).
    pub attempts: u32,
    /// Connect and per-read timeout.
    pub timeout: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            attempts: 3,
            timeout: Duration::from_secs(60),
        }
    }
}

/// True for `http://` and `https://` locations.
pub fn is_url(location: &str) -> bool {
    let l = location.trim_start().as_bytes();
    let has = |prefix: &str| {
        l.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
    };
    has("http://") || has("https://")
}

/// Resolve `source` to a local file: a local path is returned as is (error if it does not
/// exist); a URL is downloaded into `cache_dir` (see the module docs). With `expected_sha256`
/// the content is verified (a mismatching download is removed).
pub fn fetch(
    source: &str,
    cache_dir: &Path,
    expected_sha256: Option<&str>,
) -> Result<PathBuf, ReferenceError> {
    fetch_with(source, cache_dir, expected_sha256, &FetchOptions::default()).map(|f| f.path)
}

/// [`fetch`] with options, also returning the SHA-256 and size (which the build records).
pub fn fetch_with(
    source: &str,
    cache_dir: &Path,
    expected_sha256: Option<&str>,
    options: &FetchOptions,
) -> Result<Fetched, ReferenceError> {
    let expected = expected_sha256.map(|h| h.trim().to_ascii_lowercase());
    if !is_url(source) {
        let path = PathBuf::from(source.strip_prefix("file://").unwrap_or(source));
        if !path.is_file() {
            return Err(ReferenceError::SourceNotFound { path });
        }
        let (sha256, size) = hash_file(&path)?;
        if let Some(exp) = expected {
            if exp != sha256 {
                return Err(ReferenceError::ChecksumMismatch {
                    location: path.display().to_string(),
                    expected: exp,
                    actual: sha256,
                    removed: "",
                });
            }
        }
        return Ok(Fetched { path, sha256, size });
    }
    download(source.trim(), cache_dir, expected.as_deref(), options)
}

/// The cache file name for a URL: `<12 hex of sha256(url)>-<last path segment>`.
pub fn cache_name(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    let last = without_query
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let clean: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = if clean.is_empty() || clean.contains("//") || clean.starts_with('.') {
        format!("download{clean}")
    } else {
        clean
    };
    let h = hex::encode(Sha256::digest(url.as_bytes()));
    format!("{}-{clean}", &h[..12])
}

fn download(
    url: &str,
    cache_dir: &Path,
    expected: Option<&str>,
    options: &FetchOptions,
) -> Result<Fetched, ReferenceError> {
    let name = cache_name(url);
    let done = cache_dir.join(&name);
    let part = cache_dir.join(format!("{name}.part"));

    if done.is_file() {
        let (sha256, size) = hash_file(&done)?;
        match expected {
            Some(exp) if exp != sha256 => {
                // The config now asks for different content: fetch again rather than fail on a
                // stale cache entry.
                tracing::warn!(
                    "cached {} has sha256 {sha256}, expected {exp}; downloading {url} again",
                    done.display()
                );
                fs::remove_file(&done).map_err(|e| ReferenceError::io("removing", &done, e))?;
            }
            _ => {
                tracing::info!("reusing downloaded {} for {url}", done.display());
                return Ok(Fetched {
                    path: done,
                    sha256,
                    size,
                });
            }
        }
    }
    fs::create_dir_all(cache_dir).map_err(|e| ReferenceError::io("creating", cache_dir, e))?;

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Ranges refer to the bytes as stored; transparent decompression would break resume.
        .accept_encoding(ureq::config::AutoHeaderValue::None)
        .timeout_connect(Some(options.timeout))
        .timeout_recv_response(Some(options.timeout))
        .timeout_per_read(Some(options.timeout))
        .build()
        .into();

    let mut last_error = String::from("no attempt made");
    for attempt in 1..=options.attempts.max(1) {
        match attempt_download(&agent, url, &part) {
            Ok(()) => {
                last_error.clear();
                break;
            }
            Err(Attempt::Fatal(e)) => return Err(e),
            Err(Attempt::Retry(msg)) => {
                tracing::warn!("download of {url} interrupted (attempt {attempt}): {msg}");
                last_error = msg;
            }
        }
    }
    if !last_error.is_empty() {
        return Err(ReferenceError::Download {
            url: url.to_string(),
            message: format!(
                "{last_error} (after {} attempts; the partial file {} is kept and the next run \
                 resumes it)",
                options.attempts.max(1),
                part.display()
            ),
        });
    }

    let (sha256, size) = hash_file(&part)?;
    if let Some(exp) = expected {
        if exp != sha256 {
            let _ = fs::remove_file(&part);
            return Err(ReferenceError::ChecksumMismatch {
                location: url.to_string(),
                expected: exp.to_string(),
                actual: sha256,
                removed: " (the downloaded file was removed)",
            });
        }
    }
    fs::rename(&part, &done).map_err(|e| ReferenceError::io("renaming", &part, e))?;
    tracing::info!("downloaded {url} -> {} ({size} bytes)", done.display());
    Ok(Fetched {
        path: done,
        sha256,
        size,
    })
}

enum Attempt {
    /// Worth retrying (connection dropped, timeout, 5xx).
    Retry(String),
    /// Not worth retrying (404, disk error).
    Fatal(ReferenceError),
}

fn attempt_download(agent: &ureq::Agent, url: &str, part: &Path) -> Result<(), Attempt> {
    use homolog_io::download::{resume_into, TransferError};
    resume_into(agent.get(url), part).map_err(|e| match e {
        TransferError::Retry(message) => Attempt::Retry(message),
        TransferError::Status(s) => Attempt::Fatal(ReferenceError::Download {
            url: url.to_string(),
            message: format!("HTTP status {s}; check the URL"),
        }),
        TransferError::Io { what, source } => {
            Attempt::Fatal(ReferenceError::io(what, part, source))
        }
    })
}

/// SHA-256 (lower-case hex) and size of a file.
pub fn hash_file(path: &Path) -> Result<(String, u64), ReferenceError> {
    let mut h = Sha256::new();
    let size = read_chunks(path, 1 << 16, |chunk| h.update(chunk))?;
    Ok((hex::encode(h.finalize()), size))
}

/// Reads a file sequentially in chunks of up to `chunk_size` bytes, passing each to `f`;
/// returns the file's size. Used to hash files without holding them in memory.
pub(crate) fn read_chunks(
    path: &Path,
    chunk_size: usize,
    mut f: impl FnMut(&[u8]),
) -> Result<u64, ReferenceError> {
    let mut file = File::open(path).map_err(|e| ReferenceError::io("opening", path, e))?;
    let mut buf = vec![0u8; chunk_size];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| ReferenceError::io("reading", path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        f(&buf[..n]);
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ranges() {
        assert!(is_url("https://x.org/a") && is_url("HTTP://x/a") && is_url("http://x"));
        assert!(!is_url("/tmp/http://x") && !is_url("http:/x") && !is_url("ftp://x"));
        let n = cache_name("https://ftp.ncbi.nih.gov/pub/taxonomy/nodes.dmp?x=1");
        assert!(
            n.ends_with("-nodes.dmp") && n.len() == 13 + "nodes.dmp".len(),
            "{n}"
        );
        assert_ne!(n, cache_name("https://other.org/nodes.dmp"));
        assert!(cache_name("https://x.org/").ends_with("-x.org"));
    }

    #[test]
    fn local_paths() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        fs::write(&p, b"abc").unwrap();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let got = fetch_with(
            p.to_str().unwrap(),
            dir.path(),
            Some(abc),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(
            (got.path, got.sha256.as_str(), got.size),
            (p.clone(), abc, 3)
        );
        let err = fetch(p.to_str().unwrap(), dir.path(), Some(&"0".repeat(64))).unwrap_err();
        assert!(
            matches!(err, ReferenceError::ChecksumMismatch { .. }),
            "{err}"
        );
        assert!(p.exists(), "a local file is never removed");
        let missing = dir.path().join("nope.fa");
        let err = fetch(missing.to_str().unwrap(), dir.path(), None).unwrap_err();
        assert!(err.to_string().contains("nope.fa"), "{err}");
    }
}
