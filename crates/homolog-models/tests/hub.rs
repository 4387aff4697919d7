//! Hub downloads (`hub::fetch`) against a loopback HTTP server that serves the committed tiny
//! checkpoints under the Hub's URL paths, with the Hub's headers: a 302 to a "CDN" path carrying
//! X-Linked-Etag / X-Linked-Size for LFS files, ETag + X-Repo-Commit for the others, Range
//! requests, X-Error-Code on 404. Nothing here reaches beyond 127.0.0.1, and every test has its
//! own server and cache folder, so they run in parallel without sharing environment variables.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use candle_core::Device;
use homolog_models::hub::{self, HubOptions, HubRepo};
use homolog_models::{LanguageModel, LoadOptions, ModelKind};
use sha2::{Digest, Sha256};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const ESM: &str = "org/tiny-esm2";
const PROT_T5: &str = "org/tiny-prot-t5";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// One file as the Hub serves it.
struct Served {
    body: Vec<u8>,
    etag: String,
    /// Served as the Hub serves LFS files: a redirect to the CDN, metadata in X-Linked-*.
    lfs: bool,
}

/// A request the server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    range: Option<String>,
    auth: Option<String>,
}

struct FakeHub {
    url: String,
    repos: Arc<HashMap<String, HashMap<String, Served>>>,
    log: Arc<Mutex<Vec<Seen>>>,
    /// How many of the next CDN downloads to cut off halfway through the body.
    cut: Arc<AtomicUsize>,
}

impl FakeHub {
    fn start() -> Self {
        let mut repos = HashMap::new();
        for (id, dir) in [(ESM, "esm2"), (PROT_T5, "prot_t5")] {
            let mut files = HashMap::new();
            for entry in std::fs::read_dir(fixtures().join(dir)).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_str().unwrap().to_string();
                if name.starts_with("reference") {
                    continue;
                }
                let body = std::fs::read(&path).unwrap();
                let sha = hex::encode(Sha256::digest(&body));
                let lfs = name.ends_with(".safetensors") || name.ends_with(".bin");
                // LFS blobs are named by their sha256, git blobs by a 40-hex sha1 (a stand-in).
                let etag = if lfs { sha } else { sha[..40].to_string() };
                files.insert(name, Served { body, etag, lfs });
            }
            repos.insert(id.to_string(), files);
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hub = FakeHub {
            url: url.clone(),
            repos: Arc::new(repos),
            log: Arc::new(Mutex::new(vec![])),
            cut: Arc::new(AtomicUsize::new(0)),
        };
        let (repos, log, cut) = (hub.repos.clone(), hub.log.clone(), hub.cut.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (repos, log, cut, url) = (repos.clone(), log.clone(), cut.clone(), url.clone());
                std::thread::spawn(move || serve(stream, &repos, &log, &cut, &url));
            }
        });
        hub
    }

    fn options(&self, cache: &Path) -> HubOptions {
        HubOptions {
            endpoint: self.url.clone(),
            cache_dir: cache.to_path_buf(),
            offline: false,
            token: None,
            timeout: Duration::from_secs(10),
            attempts: 1,
        }
    }

    fn requests(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    fn gets(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "GET")
            .collect()
    }

    fn file(&self, repo: &str, name: &str) -> &Served {
        &self.repos[repo][name]
    }
}

fn serve(
    mut stream: TcpStream,
    repos: &HashMap<String, HashMap<String, Served>>,
    log: &Mutex<Vec<Seen>>,
    cut: &AtomicUsize,
    url: &str,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let range = headers.get("range").cloned();
    log.lock().unwrap().push(Seen {
        method: method.clone(),
        path: path.clone(),
        range: range.clone(),
        auth: headers.get("authorization").cloned(),
    });
    let head = method == "HEAD";
    let mut respond = |status: &str, extra: &[(String, String)], body: &[u8], cut_at: usize| {
        let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
        for (k, v) in extra {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let _ = stream.write_all(out.as_bytes());
        if !head {
            let _ = stream.write_all(&body[..cut_at.min(body.len())]);
        }
        let _ = stream.flush();
        let _ = stream.shutdown(Shutdown::Both);
    };
    let not_found = |code: &str| vec![("X-Error-Code".to_string(), code.to_string())];

    // The CDN: content by sha256, with Range and the cut-off mode.
    if let Some(sha) = path.strip_prefix("/cdn/") {
        let Some(f) = repos
            .values()
            .flat_map(|r| r.values())
            .find(|f| f.etag == sha)
        else {
            return respond("404 Not Found", &[], b"", 0);
        };
        let start: usize = range
            .as_deref()
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let len = f.body.len();
        if start >= len && start > 0 {
            return respond("416 Range Not Satisfiable", &[], b"", 0);
        }
        let body = &f.body[start..];
        let cut_here = !head
            && cut
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        let cut_at = if cut_here { body.len() / 2 } else { body.len() };
        if start > 0 {
            let cr = format!("bytes {start}-{}/{len}", len - 1);
            return respond(
                "206 Partial Content",
                &[("Content-Range".into(), cr)],
                body,
                cut_at,
            );
        }
        return respond("200 OK", &[], body, cut_at);
    }

    // The Hub: /{org}/{name}/resolve/{revision}/{file}.
    let segs: Vec<&str> = path.trim_start_matches('/').splitn(5, '/').collect();
    if segs.len() != 5 || segs[2] != "resolve" {
        return respond("404 Not Found", &[], b"", 0);
    }
    let (repo, rev, file) = (format!("{}/{}", segs[0], segs[1]), segs[3], segs[4]);
    let Some(files) = repos.get(&repo) else {
        return respond("404 Not Found", &not_found("RepoNotFound"), b"", 0);
    };
    if rev != "main" && rev != COMMIT {
        return respond("404 Not Found", &not_found("RevisionNotFound"), b"", 0);
    }
    let Some(f) = files.get(file) else {
        return respond("404 Not Found", &not_found("EntryNotFound"), b"", 0);
    };
    let commit = ("X-Repo-Commit".to_string(), COMMIT.to_string());
    if f.lfs {
        let headers = [
            commit,
            ("X-Linked-Etag".into(), format!("\"{}\"", f.etag)),
            ("X-Linked-Size".into(), f.body.len().to_string()),
            ("Location".into(), format!("{url}/cdn/{}", f.etag)),
        ];
        return respond("302 Found", &headers, b"", 0);
    }
    let headers = [commit, ("ETag".into(), format!("\"{}\"", f.etag))];
    respond("200 OK", &headers, &f.body, f.body.len());
}

/// The downloaded checkpoint gives the embeddings of the parity references (tests/parity.rs
/// holds the fixtures themselves to transformers' outputs).
fn assert_matches_reference(kind: ModelKind, dir: &Path) {
    let model = LanguageModel::load(kind, dir, &LoadOptions::default()).unwrap();
    let fixture = fixtures().join(kind.name());
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("reference.json")).unwrap())
            .unwrap();
    let tensors =
        candle_core::safetensors::load(fixture.join("reference.safetensors"), &Device::Cpu)
            .unwrap();
    let seqs: Vec<&str> = meta["sequences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let out = model.embed(&seqs, &[0], false).unwrap();
    for (i, e) in out.iter().enumerate() {
        let want = tensors[&format!("pooled_{i}")].to_vec2::<f32>().unwrap();
        let last = want.last().unwrap();
        let d = e.pooled[0]
            .iter()
            .zip(last)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(d <= 1e-4, "{}: seq {i}: max abs diff {d}", kind.name());
    }
}

fn repo(spec: &str) -> HubRepo {
    HubRepo::parse(spec).unwrap()
}

#[test]
fn downloads_into_the_hugging_face_cache_layout() {
    let hub = FakeHub::start();
    let tmp = tempfile::tempdir().unwrap();
    let opts = hub.options(tmp.path());
    let snap = hub::fetch(&repo(ESM), &opts).unwrap();

    let root = tmp.path().join("models--org--tiny-esm2");
    assert_eq!(snap, root.join("snapshots").join(COMMIT));
    assert_eq!(
        std::fs::read_to_string(root.join("refs/main")).unwrap(),
        COMMIT
    );
    for name in [
        "config.json",
        "model.safetensors",
        "vocab.txt",
        "tokenizer_config.json",
    ] {
        let f = hub.file(ESM, name);
        assert_eq!(std::fs::read(snap.join(name)).unwrap(), f.body, "{name}");
        #[cfg(unix)]
        assert_eq!(
            std::fs::read_link(snap.join(name)).unwrap(),
            Path::new("../../blobs").join(&f.etag),
            "{name}"
        );
    }
    // What the repository lacks is recorded as huggingface_hub does, and not fetched.
    assert!(root
        .join(".no_exist")
        .join(COMMIT)
        .join("spiece.model")
        .exists());
    assert!(!snap.join("pytorch_model.bin").exists());
    let blobs: Vec<_> = std::fs::read_dir(root.join("blobs")).unwrap().collect();
    assert_eq!(blobs.len(), 4, "one blob per file, no leftovers");
    assert_matches_reference(ModelKind::Esm2, &snap);
    // The weights came through the CDN redirect, in one piece.
    let gets = hub.gets();
    assert!(gets
        .iter()
        .any(|r| r.path.starts_with("/cdn/") && r.range.is_none()));

    // Second run: one HEAD for the commit, nothing downloaded.
    let before = hub.requests().len();
    assert_eq!(hub::fetch(&repo(ESM), &opts).unwrap(), snap);
    let again = &hub.requests()[before..];
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].method, "HEAD");
    assert!(again[0].path.ends_with("/resolve/main/config.json"));

    // A commit revision with a complete snapshot: no request at all.
    let before = hub.requests().len();
    assert_eq!(
        hub::fetch(&repo(&format!("{ESM}@{COMMIT}")), &opts).unwrap(),
        snap
    );
    assert_eq!(hub.requests().len(), before);
}

#[test]
fn falls_back_to_pytorch_model_bin() {
    let hub = FakeHub::start();
    let tmp = tempfile::tempdir().unwrap();
    let snap = hub::fetch(&repo(PROT_T5), &hub.options(tmp.path())).unwrap();
    assert!(snap.join("pytorch_model.bin").is_file());
    assert!(snap.join("spiece.model").is_file());
    let no_exist = tmp
        .path()
        .join("models--org--tiny-prot-t5/.no_exist")
        .join(COMMIT);
    assert!(no_exist.join("model.safetensors").exists());
    assert!(no_exist.join("model.safetensors.index.json").exists());
    // generation_config.json is not something the encoder needs.
    assert!(!snap.join("generation_config.json").exists());
    assert_matches_reference(ModelKind::ProtT5, &snap);
}

#[test]
fn an_interrupted_transfer_resumes_on_the_next_run() {
    let hub = FakeHub::start();
    let tmp = tempfile::tempdir().unwrap();
    let opts = hub.options(tmp.path());
    let weights = hub.file(ESM, "model.safetensors");
    let root = tmp.path().join("models--org--tiny-esm2");
    let part = root
        .join("blobs")
        .join(format!("{}.incomplete", weights.etag));

    hub.cut.store(1, Ordering::SeqCst);
    let err = hub::fetch(&repo(ESM), &opts).unwrap_err().to_string();
    assert!(err.contains("model.safetensors"), "{err}");
    assert!(err.contains("next run resumes"), "{err}");
    let have = std::fs::metadata(&part).unwrap().len() as usize;
    assert_eq!(have, weights.body.len() / 2);
    // Nothing claims to be a checkpoint yet.
    assert!(!root.join("refs/main").exists());
    assert!(!root.join("snapshots").exists());
    let offline = HubOptions {
        offline: true,
        ..opts.clone()
    };
    assert!(hub::fetch(&repo(ESM), &offline).is_err());

    let snap = hub::fetch(&repo(ESM), &opts).unwrap();
    let resumed: Vec<Seen> = hub
        .gets()
        .into_iter()
        .filter(|r| r.path.starts_with("/cdn/"))
        .collect();
    assert_eq!(resumed.len(), 2, "{resumed:?}");
    assert_eq!(
        resumed[1].range.as_deref(),
        Some(format!("bytes={have}-").as_str())
    );
    assert_eq!(
        std::fs::read(snap.join("model.safetensors")).unwrap(),
        weights.body
    );
    assert!(!part.exists());
    assert_matches_reference(ModelKind::Esm2, &snap);
}

#[test]
fn retries_resume_within_one_run() {
    let hub = FakeHub::start();
    let tmp = tempfile::tempdir().unwrap();
    let opts = HubOptions {
        attempts: 3,
        ..hub.options(tmp.path())
    };
    hub.cut.store(2, Ordering::SeqCst);
    let snap = hub::fetch(&repo(ESM), &opts).unwrap();
    let ranges: Vec<Option<String>> = hub
        .gets()
        .into_iter()
        .filter(|r| r.path.starts_with("/cdn/"))
        .map(|r| r.range)
        .collect();
    assert_eq!(ranges.len(), 3, "{ranges:?}");
    assert!(ranges[0].is_none() && ranges[1].is_some() && ranges[2].is_some());
    assert_eq!(
        std::fs::read(snap.join("model.safetensors")).unwrap(),
        hub.file(ESM, "model.safetensors").body
    );
}

#[test]
fn reuses_a_cache_filled_by_python() {
    let hub = FakeHub::start();
    let tmp = tempfile::tempdir().unwrap();
    // As `huggingface_hub.snapshot_download` leaves it (here with plain files, as it does where
    // symlinks are unavailable).
    let root = tmp.path().join("models--org--tiny-esm2");
    let snap = root.join("snapshots").join(COMMIT);
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::create_dir_all(root.join("refs")).unwrap();
    std::fs::write(root.join("refs/main"), COMMIT).unwrap();
    for name in [
        "config.json",
        "model.safetensors",
        "vocab.txt",
        "tokenizer_config.json",
    ] {
        std::fs::copy(fixtures().join("esm2").join(name), snap.join(name)).unwrap();
    }
    let opts = hub.options(tmp.path());
    assert_eq!(hub::fetch(&repo(ESM), &opts).unwrap(), snap);
    assert!(hub.gets().is_empty(), "{:?}", hub.gets());

    // Offline, it needs no server at all.
    let offline = HubOptions {
        offline: true,
        endpoint: "http://127.0.0.1:9".into(),
        ..opts
    };
    assert_eq!(hub::fetch(&repo(ESM), &offline).unwrap(), snap);
    assert_matches_reference(ModelKind::Esm2, &snap);
}

#[test]
fn offline_uses_the_cache_without_requests() {
    let hub = FakeHub::start();
    let tmp = tempfile::tempdir().unwrap();
    let opts = hub.options(tmp.path());
    let snap = hub::fetch(&repo(ESM), &opts).unwrap();
    let before = hub.requests().len();
    let offline = HubOptions {
        offline: true,
        ..opts.clone()
    };
    assert_eq!(hub::fetch(&repo(ESM), &offline).unwrap(), snap);
    assert_eq!(
        hub::fetch(&repo(&format!("{ESM}@{COMMIT}")), &offline).unwrap(),
        snap
    );
    assert_eq!(hub.requests().len(), before, "offline made requests");

    // A Hub that cannot be reached falls back to the complete cached copy too.
    let down = HubOptions {
        endpoint: "http://127.0.0.1:9".into(),
        timeout: Duration::from_secs(2),
        ..opts
    };
    assert_eq!(hub::fetch(&repo(ESM), &down).unwrap(), snap);
}

#[test]
fn offline_without_cache_is_a_clear_error() {
    let hub = FakeHub::start();
    let tmp = tempfile::tempdir().unwrap();
    let offline = HubOptions {
        offline: true,
        ..hub.options(tmp.path())
    };
    let err = hub::fetch(&repo(ESM), &offline).unwrap_err().to_string();
    assert!(err.contains("HF_HUB_OFFLINE"), "{err}");
    assert!(err.contains(ESM), "{err}");
    assert!(err.contains(&tmp.path().display().to_string()), "{err}");
    assert!(hub.requests().is_empty());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_missing_repository_is_a_clear_error_and_leaves_nothing() {
    let hub = FakeHub::start();
    let tmp = tempfile::tempdir().unwrap();
    let opts = hub.options(tmp.path());
    let err = hub::fetch(&repo("org/no-such-model"), &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("org/no-such-model"), "{err}");
    assert!(err.contains("404"), "{err}");
    assert!(err.contains("HF_TOKEN"), "{err}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);

    let err = hub::fetch(&repo(&format!("{ESM}@v9")), &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no revision \"v9\""), "{err}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn sends_the_token_to_the_hub() {
    let hub = FakeHub::start();
    let tmp = tempfile::tempdir().unwrap();
    let opts = HubOptions {
        token: Some("hf_test_token".into()),
        ..hub.options(tmp.path())
    };
    hub::fetch(&repo(ESM), &opts).unwrap();
    let resolve: Vec<Seen> = hub
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/resolve/"))
        .collect();
    assert!(!resolve.is_empty());
    for r in resolve {
        assert_eq!(r.auth.as_deref(), Some("Bearer hf_test_token"), "{r:?}");
    }
}
