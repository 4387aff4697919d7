//! Resumable HTTP downloads into a partial file (feature `http`): the one place that speaks
//! `Range`, shared by the reference fetcher and the Hugging Face Hub client.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use ureq::typestate::WithoutBody;
use ureq::RequestBuilder;

/// Why a transfer into a partial file stopped.
#[derive(Debug)]
pub enum TransferError {
    /// Worth another try: the connection dropped, the server answered 5xx, 408 or 429, or it
    /// did not continue where the partial file ends (then the partial file was removed).
    Retry(String),
    /// The server refused the request with this status (404, 401, ...): retrying will not help.
    Status(u16),
    /// The partial file could not be opened, written or synced.
    Io {
        /// What was being done (`opening`, `creating`, `writing`).
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

/// GETs `request` into `part`, resuming from `part`'s current length with a `Range` request.
///
/// The body is appended only when the server answers 206 from exactly that byte; a 200 (range
/// ignored) starts the file over, and a 416 or a resume from another byte removes it and asks
/// for a retry. Compression is turned off (`Accept-Encoding: identity`) so that byte offsets
/// are those of the stored file. On a dropped connection `part` keeps what arrived.
pub fn resume_into(request: RequestBuilder<WithoutBody>, part: &Path) -> Result<(), TransferError> {
    let io = |what: &'static str| move |source| TransferError::Io { what, source };
    let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let mut request = request.header("Accept-Encoding", "identity");
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let mut response = request
        .call()
        .map_err(|e| TransferError::Retry(e.to_string()))?;
    let mut file = match response.status().as_u16() {
        206 if have > 0 => {
            let start = response
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(content_range_start);
            if start != Some(have) {
                let _ = std::fs::remove_file(part);
                return Err(TransferError::Retry(format!(
                    "the server resumed at byte {start:?}, not {have}; starting over"
                )));
            }
            OpenOptions::new()
                .append(true)
                .open(part)
                .map_err(io("opening"))?
        }
        200 => File::create(part).map_err(io("creating"))?,
        416 if have > 0 => {
            // The partial file is not a prefix the server recognises (the file changed).
            let _ = std::fs::remove_file(part);
            return Err(TransferError::Retry(
                "range not satisfiable; starting over".into(),
            ));
        }
        s if s >= 500 || s == 408 || s == 429 => {
            return Err(TransferError::Retry(format!("HTTP status {s}")))
        }
        s => return Err(TransferError::Status(s)),
    };
    let mut reader = response.body_mut().as_reader();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = file.flush();
                return Err(TransferError::Retry(format!("transfer interrupted: {e}")));
            }
        };
        file.write_all(&buf[..n]).map_err(io("writing"))?;
    }
    file.sync_all().map_err(io("writing"))
}

/// `bytes 100-199/200` -> 100.
pub fn content_range_start(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    rest.split('-').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_start_parses_the_first_byte() {
        assert_eq!(content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(content_range_start(" bytes 0-0/*"), Some(0));
        assert_eq!(content_range_start("items 1-2/3"), None);
    }
}
