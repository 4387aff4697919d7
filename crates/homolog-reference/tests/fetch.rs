//! `fetch` against a small HTTP/1.1 server on loopback that honours `Range` and can be told to
//! drop a response midway: proves resume, restart, checksum handling and cache reuse.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;

use homolog_reference::fetch::{cache_name, fetch, fetch_with, FetchOptions};
use homolog_reference::ReferenceError;
use sha2::{Digest, Sha256};

const SIZE: usize = 300_000;
const DROP_AT: usize = 100_000;

fn payload() -> Vec<u8> {
    (0..SIZE)
        .map(|i| ((i * 31 + i / 977) % 251) as u8)
        .collect()
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[derive(Default)]
struct State {
    /// (path, Range header) of every request.
    requests: Vec<(String, Option<String>)>,
    /// Drop the next N responses to /data.bin after DROP_AT body bytes.
    drops_left: usize,
}

struct Server {
    base: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    fn start(drops: usize) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            drops_left: drops,
            ..Default::default()
        }));
        let st = state.clone();
        thread::spawn(move || {
            let data = payload();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                handle(stream, &data, &st);
            }
        });
        Server { base, state }
    }

    fn requests(&self) -> Vec<(String, Option<String>)> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn handle(mut stream: TcpStream, data: &[u8], state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            }
        }
    }
    let drop_now = {
        let mut s = state.lock().unwrap();
        s.requests.push((path.clone(), range.clone()));
        let d = path == "/data.bin" && s.drops_left > 0;
        if d {
            s.drops_left -= 1;
        }
        d
    };
    let honour_range = path == "/data.bin";
    match path.as_str() {
        "/data.bin" | "/norange.bin" => {
            let start = range
                .as_deref()
                .filter(|_| honour_range)
                .and_then(|r| r.strip_prefix("bytes="))
                .and_then(|r| r.strip_suffix('-'))
                .and_then(|n| n.parse::<usize>().ok());
            let (head, body) = match start {
                Some(s) if s < data.len() => (
                    format!(
                        "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: \
                         bytes {}-{}/{}\r\nConnection: close\r\n\r\n",
                        data.len() - s,
                        s,
                        data.len() - 1,
                        data.len()
                    ),
                    &data[s..],
                ),
                Some(_) => (
                    "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\nConnection: \
                     close\r\n\r\n"
                        .to_string(),
                    &data[..0],
                ),
                None => (
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        data.len()
                    ),
                    data,
                ),
            };
            let _ = stream.write_all(head.as_bytes());
            let body = if drop_now {
                &body[..DROP_AT.min(body.len())]
            } else {
                body
            };
            let _ = stream.write_all(body);
        }
        _ => {
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
            );
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

fn one_attempt() -> FetchOptions {
    FetchOptions {
        attempts: 1,
        ..Default::default()
    }
}

fn part_of(cache: &Path, url: &str) -> std::path::PathBuf {
    cache.join(format!("{}.part", cache_name(url)))
}

#[test]
fn resumes_within_one_call_after_a_dropped_connection() {
    let server = Server::start(1);
    let cache = tempfile::tempdir().unwrap();
    let url = format!("{}/data.bin", server.base);
    let data = payload();
    let got = fetch_with(
        &url,
        cache.path(),
        Some(&sha(&data)),
        &FetchOptions::default(),
    )
    .unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), data);
    assert_eq!(got.size, SIZE as u64);
    assert_eq!(got.sha256, sha(&data));
    assert!(!part_of(cache.path(), &url).exists());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[0].1, None);
    assert_eq!(
        reqs[1].1.as_deref(),
        Some(format!("bytes={DROP_AT}-").as_str())
    );
}

#[test]
fn resumes_a_part_file_left_by_an_earlier_run_and_then_reuses_the_download() {
    let server = Server::start(1);
    let cache = tempfile::tempdir().unwrap();
    let url = format!("{}/data.bin", server.base);
    let data = payload();

    let err = fetch_with(&url, cache.path(), None, &one_attempt()).unwrap_err();
    assert!(matches!(err, ReferenceError::Download { .. }), "{err}");
    assert!(err.to_string().contains(&url), "{err}");
    let part = part_of(cache.path(), &url);
    assert_eq!(std::fs::metadata(&part).unwrap().len(), DROP_AT as u64);

    let path = fetch(&url, cache.path(), Some(&sha(&data))).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data);
    assert!(!part.exists());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].1.as_deref(), Some("bytes=100000-"));

    // A completed download is reused without asking the server.
    let again = fetch(&url, cache.path(), None).unwrap();
    assert_eq!(again, path);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn restarts_when_the_server_ignores_the_range() {
    let server = Server::start(0);
    let cache = tempfile::tempdir().unwrap();
    let url = format!("{}/norange.bin", server.base);
    // A stale partial file with wrong bytes: a 200 answer must replace it, not be appended.
    std::fs::write(part_of(cache.path(), &url), vec![0xffu8; 5000]).unwrap();
    let data = payload();
    let path = fetch(&url, cache.path(), Some(&sha(&data))).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data);
    assert_eq!(server.requests()[0].1.as_deref(), Some("bytes=5000-"));
}

#[test]
fn checksum_mismatch_names_both_hashes_and_removes_the_file() {
    let server = Server::start(0);
    let cache = tempfile::tempdir().unwrap();
    let url = format!("{}/data.bin", server.base);
    let wrong = "0".repeat(64);
    let err = fetch(&url, cache.path(), Some(&wrong)).unwrap_err();
    let msg = err.to_string();
    match &err {
        ReferenceError::ChecksumMismatch {
            location,
            expected,
            actual,
            ..
        } => {
            assert_eq!(location, &url);
            assert_eq!(expected, &wrong);
            assert_eq!(actual, &sha(&payload()));
        }
        other => panic!("expected a checksum mismatch, got {other}"),
    }
    assert!(msg.contains(&url) && msg.contains(&wrong), "{msg}");
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
}

#[test]
fn http_errors_name_the_url_and_status() {
    let server = Server::start(0);
    let cache = tempfile::tempdir().unwrap();
    let url = format!("{}/missing.obo", server.base);
    let err = fetch(&url, cache.path(), None).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&url) && msg.contains("404"), "{msg}");
    assert_eq!(server.requests().len(), 1, "a 404 is not retried");
}
