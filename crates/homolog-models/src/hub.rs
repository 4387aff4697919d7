//! The Hugging Face cache, and downloads from the Hugging Face Hub into it.
//!
//! One home for the cache layout, the one `huggingface_hub` (Python) uses, so a cache filled by
//! Python is reused as it is and a cache filled here serves Python too:
//!
//! ```text
//! $HF_HUB_CACHE (= $HF_HOME/hub, default ~/.cache/huggingface/hub)
//! └── models--org--name/
//!     ├── blobs/<etag>                    file contents (sha256 for LFS files, git sha1 else)
//!     ├── blobs/<etag>.incomplete         a download in progress, resumed by the next run
//!     ├── refs/<revision>                 the commit a branch or tag resolved to
//!     ├── snapshots/<commit>/<file>       -> ../../blobs/<etag> (a symlink)
//!     └── .no_exist/<commit>/<file>       "this commit has no such file"
//! ```
//!
//! [`fetch`] downloads what the Rust backends read — `config.json`, the weights
//! (`model.safetensors`, else `model.safetensors.index.json` and its shards, else
//! `pytorch_model.bin`) and the tokenizer files the repository has — through the Hub's resolve
//! URLs `{endpoint}/{repo}/resolve/{revision}/{file}`. Nothing is downloaded unless a user asks
//! for it with an `hf:` checkpoint path; everything else in this crate only reads.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::ModelError;

/// The Hub used when `$HF_ENDPOINT` is not set.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// The prefix of a checkpoint path that names a Hub repository: `hf:org/name[@revision]`.
pub const HF_PREFIX: &str = "hf:";

/// Tokenizer files fetched when the repository has them (a 404 on one of these is fine).
pub const TOKENIZER_FILES: [&str; 6] = [
    "vocab.txt",
    "spiece.model",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
];

/// A Hub model repository at a revision (branch, tag or commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRepo {
    /// `org/name`.
    pub id: String,
    /// Branch, tag or commit; `main` when not given.
    pub revision: String,
}

impl HubRepo {
    /// Parses `org/name` or `org/name@revision` (without the `hf:` prefix).
    pub fn parse(spec: &str) -> Result<Self, ModelError> {
        let bad = |reason: String| ModelError::Request(format!("hf:{spec}: {reason}"));
        let (id, revision) = match spec.split_once('@') {
            Some((id, rev)) => (id.trim(), rev.trim()),
            None => (spec.trim(), "main"),
        };
        let parts: Vec<&str> = id.split('/').collect();
        if parts.len() != 2 || parts.iter().any(|p| !valid_name(p)) {
            return Err(bad(format!(
                "{id:?} is not a Hub repository id; give `org/name` (letters, digits, `-`, `_`, \
                 `.`), e.g. hf:facebook/esm2_t33_650M_UR50D"
            )));
        }
        let rev_ok = !revision.is_empty()
            && !revision.starts_with('/')
            && !revision.ends_with('/')
            && revision.split('/').all(valid_name);
        if !rev_ok {
            return Err(bad(format!(
                "revision {revision:?} is not a branch, tag or commit name; give e.g. @main or \
                 @<commit sha>"
            )));
        }
        Ok(Self {
            id: id.to_string(),
            revision: revision.to_string(),
        })
    }

    /// The repository of an `hf:` checkpoint path; `None` when `path` does not start with `hf:`.
    pub fn from_path(path: &Path) -> Option<Result<Self, ModelError>> {
        let text = path.to_str()?;
        text.strip_prefix(HF_PREFIX).map(Self::parse)
    }

    /// The repository's folder name in the cache: `models--org--name`.
    pub fn folder_name(&self) -> String {
        format!("models--{}", self.id.replace('/', "--"))
    }

    /// The resolve URL of `file` at this revision.
    pub fn resolve_url(&self, endpoint: &str, file: &str) -> String {
        // A revision like `refs/pr/1` is one path segment, as huggingface_hub sends it.
        format!(
            "{}/{}/resolve/{}/{}",
            endpoint.trim_end_matches('/'),
            self.id,
            self.revision.replace('/', "%2F"),
            file
        )
    }
}

impl std::fmt::Display for HubRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.id, self.revision)
    }
}

/// Hub repository names, revisions and file names: no `..`, nothing outside a safe alphabet
/// (they become folder names in the cache).
fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Whether `rev` is a full commit sha (whose snapshot never changes).
fn is_commit(rev: &str) -> bool {
    rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit())
}

/// Where and how to download. [`HubOptions::from_env`] reads the environment once, at the edge;
/// tests build the struct themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubOptions {
    /// The Hub's base URL (`$HF_ENDPOINT`, default [`DEFAULT_ENDPOINT`]).
    pub endpoint: String,
    /// The hub cache folder (see [`cache_dir_from_env`]).
    pub cache_dir: PathBuf,
    /// Use the cache only (`$HF_HUB_OFFLINE`); a model not in it is an error.
    pub offline: bool,
    /// Access token sent as `Authorization: Bearer` (`$HF_TOKEN`, else the file
    /// `huggingface-cli login` writes).
    pub token: Option<String>,
    /// Connect and per-read timeout.
    pub timeout: Duration,
    /// Tries per file; an interrupted transfer resumes where it stopped.
    pub attempts: u32,
}

impl HubOptions {
    /// The options the environment asks for: `HF_ENDPOINT`, `HF_HUB_CACHE` / `HF_HOME`,
    /// `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`), `HF_TOKEN` (else `HF_TOKEN_PATH` or
    /// `$HF_HOME/token`).
    pub fn from_env() -> Self {
        let endpoint = env("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        let offline = env("HF_HUB_OFFLINE")
            .or_else(|| env("TRANSFORMERS_OFFLINE"))
            .is_some_and(|v| is_true(&v));
        let token = env("HF_TOKEN").or_else(|| {
            let path = env("HF_TOKEN_PATH")
                .map(PathBuf::from)
                .unwrap_or_else(|| hf_home().join("token"));
            fs::read_to_string(path)
                .ok()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
        });
        Self {
            endpoint,
            cache_dir: cache_dir_from_env(),
            offline,
            token,
            timeout: Duration::from_secs(60),
            attempts: 5,
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// huggingface_hub's reading of a boolean variable.
fn is_true(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_uppercase().as_str(),
        "1" | "ON" | "YES" | "TRUE"
    )
}

/// `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`.
fn hf_home() -> PathBuf {
    if let Some(h) = env("HF_HOME") {
        return PathBuf::from(h);
    }
    if let Some(x) = env("XDG_CACHE_HOME") {
        return PathBuf::from(x).join("huggingface");
    }
    match env("HOME") {
        Some(h) => PathBuf::from(h).join(".cache/huggingface"),
        None => PathBuf::from(".cache/huggingface"),
    }
}

/// The hub cache downloads go to, as huggingface_hub picks it: `$HF_HUB_CACHE`, else
/// `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`.
pub fn cache_dir_from_env() -> PathBuf {
    env("HF_HUB_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| hf_home().join("hub"))
}

/// Every hub cache a model id is looked up in (offline): `$HF_HUB_CACHE`, `$HF_HOME/hub` (or
/// its XDG default) and `~/.cache/huggingface/hub`, without repeats.
pub fn lookup_dirs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = vec![];
    let candidates = [
        env("HF_HUB_CACHE").map(PathBuf::from),
        Some(hf_home().join("hub")),
        env("HOME").map(|h| PathBuf::from(h).join(".cache/huggingface/hub")),
    ];
    for p in candidates.into_iter().flatten() {
        if !v.contains(&p) {
            v.push(p);
        }
    }
    v
}

/// The snapshot of a cache repository folder (`models--org--name`) that `refs/main` points to,
/// else its newest snapshot with a `config.json`.
pub fn snapshot_of(repo: &Path) -> Result<PathBuf, ModelError> {
    if let Some(dir) = ref_snapshot(repo, "main") {
        if dir.join("config.json").is_file() {
            return Ok(dir);
        }
    }
    let mut snaps: Vec<(std::time::SystemTime, PathBuf)> = fs::read_dir(repo.join("snapshots"))
        .map_err(|e| ModelError::Checkpoint {
            path: repo.to_path_buf(),
            reason: e.to_string(),
        })?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("config.json").is_file())
        .map(|p| {
            let t = fs::metadata(&p)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (t, p)
        })
        .collect();
    snaps.sort();
    snaps
        .pop()
        .map(|(_, p)| p)
        .ok_or_else(|| ModelError::Checkpoint {
            path: repo.to_path_buf(),
            reason: "hub-cache repository has no snapshot with a config.json".into(),
        })
}

/// `snapshots/<commit>` for the commit `refs/<revision>` holds (or `revision` itself when it is
/// a commit).
fn ref_snapshot(repo: &Path, revision: &str) -> Option<PathBuf> {
    let commit = match fs::read_to_string(repo.join("refs").join(revision)) {
        Ok(c) => c.trim().to_string(),
        Err(_) if is_commit(revision) => revision.to_string(),
        Err(_) => return None,
    };
    valid_name(&commit).then(|| repo.join("snapshots").join(commit))
}

/// Whether a snapshot folder holds a usable checkpoint: config.json and complete weights.
fn is_complete(snap: &Path) -> bool {
    if !snap.join("config.json").is_file() {
        return false;
    }
    if snap.join("model.safetensors").is_file() || snap.join("pytorch_model.bin").is_file() {
        return true;
    }
    let index = snap.join("model.safetensors.index.json");
    match fs::read(&index).ok().and_then(|b| shard_names(&b).ok()) {
        Some(shards) => !shards.is_empty() && shards.iter().all(|s| snap.join(s).is_file()),
        None => false,
    }
}

/// The complete cached snapshot of `repo` in `cache`, if there is one.
pub fn cached_snapshot(cache: &Path, repo: &HubRepo) -> Option<PathBuf> {
    ref_snapshot(&cache.join(repo.folder_name()), &repo.revision).filter(|s| is_complete(s))
}

/// The shard files a `model.safetensors.index.json` names (checked to stay inside the snapshot).
fn shard_names(index: &[u8]) -> Result<Vec<String>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(index).map_err(|e| format!("not valid JSON: {e}"))?;
    let map = v
        .get("weight_map")
        .and_then(|m| m.as_object())
        .ok_or("no `weight_map` object")?;
    let mut files: Vec<String> = map
        .values()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    files.sort();
    files.dedup();
    if let Some(bad) = files.iter().find(|f| !safe_file_name(f)) {
        return Err(format!(
            "shard name {bad:?} leaves the checkpoint folder; refusing it"
        ));
    }
    Ok(files)
}

/// A repository file path that stays inside the snapshot folder.
fn safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        && name.split('/').all(valid_name)
}

/// Downloads checkpoint `repo` into the hub cache (or finds it there) and returns its snapshot
/// folder, ready for [`crate::LanguageModel::load`].
///
/// - A revision that is a commit sha with a complete snapshot in the cache: no request at all.
/// - Offline: the cached snapshot of `refs/<revision>`, or an error saying how to fill the cache.
/// - Online: a HEAD request for `config.json` gives the commit; files of that commit already in
///   the snapshot (or recorded as absent) are not asked for again; the others are downloaded to
///   `blobs/<etag>.incomplete` (resumed with a `Range` request after an interruption), checked
///   against the announced size (and sha256, for LFS files), renamed to `blobs/<etag>` and
///   linked into `snapshots/<commit>/`. `refs/<revision>` is written last, so it only ever
///   points at a complete snapshot. If the Hub cannot be reached, a complete cached snapshot is
///   used, as huggingface_hub does.
///
/// A repository or revision the Hub does not know is an error naming it, and nothing is written
/// to the cache.
pub fn fetch(repo: &HubRepo, opts: &HubOptions) -> Result<PathBuf, ModelError> {
    let repo_dir = opts.cache_dir.join(repo.folder_name());
    if is_commit(&repo.revision) {
        let snap = repo_dir.join("snapshots").join(&repo.revision);
        if is_complete(&snap) {
            return Ok(snap);
        }
    }
    if opts.offline {
        return cached_snapshot(&opts.cache_dir, repo).ok_or_else(|| ModelError::Download {
            what: format!("hf:{repo}"),
            reason: format!(
                "HF_HUB_OFFLINE is set and the Hugging Face cache {} has no complete snapshot of \
                 it; run once without HF_HUB_OFFLINE (or `huggingface-cli download {}`) to fill \
                 the cache, or give a local checkpoint folder",
                opts.cache_dir.display(),
                repo.id
            ),
        });
    }
    let client = Client::new(opts, repo);
    let config = match client.head("config.json") {
        Ok(Some(meta)) => meta,
        Ok(None) => {
            return Err(client.error(
                "the repository has no config.json at this revision; is it a transformers \
                 checkpoint?",
            ))
        }
        Err(Failure::Unreachable(reason)) => {
            // As huggingface_hub: no connection, but a complete cached copy -> use it.
            return cached_snapshot(&opts.cache_dir, repo).ok_or_else(|| {
                client.error(&format!(
                    "cannot reach {} ({reason}); check the network and HF_ENDPOINT, or set \
                     HF_HUB_OFFLINE=1 to use a cached copy",
                    opts.endpoint
                ))
            });
        }
        Err(Failure::Fatal(e)) => return Err(e),
    };
    let commit = config.commit.clone();
    let snap = repo_dir.join("snapshots").join(&commit);
    let no_exist = repo_dir.join(".no_exist").join(&commit);

    // Plan every file first, so a repository without weights fails before anything is written.
    let mut plan: Vec<(String, Remote)> = vec![];
    if !snap.join("config.json").is_file() {
        plan.push(("config.json".into(), config));
    }
    let mut absent: Vec<&str> = vec![];
    let probe = |name: &str| -> Result<Probe, ModelError> {
        if snap.join(name).is_file() {
            return Ok(Probe::Cached);
        }
        if no_exist.join(name).exists() {
            return Ok(Probe::Absent);
        }
        match client.head(name) {
            Ok(Some(meta)) => Ok(Probe::Remote(meta)),
            Ok(None) => Ok(Probe::Absent),
            Err(Failure::Unreachable(reason)) => Err(client.error(&format!(
                "connection lost while listing {name}: {reason}; run again"
            ))),
            Err(Failure::Fatal(e)) => Err(e),
        }
    };
    let mut weights = false;
    match probe("model.safetensors")? {
        Probe::Cached => weights = true,
        Probe::Remote(meta) => {
            plan.push(("model.safetensors".into(), meta));
            weights = true;
        }
        Probe::Absent => absent.push("model.safetensors"),
    }
    if !weights {
        let index = "model.safetensors.index.json";
        let bytes = match probe(index)? {
            Probe::Cached => {
                Some(
                    fs::read(snap.join(index)).map_err(|e| ModelError::Checkpoint {
                        path: snap.join(index),
                        reason: e.to_string(),
                    })?,
                )
            }
            Probe::Remote(meta) => {
                // Small, and needed now to know the shards: fetch its blob ahead of the rest.
                let blob = client.blob(&repo_dir, &meta, index)?;
                let bytes = fs::read(&blob).map_err(|e| ModelError::Checkpoint {
                    path: blob.clone(),
                    reason: e.to_string(),
                })?;
                plan.push((index.into(), meta));
                Some(bytes)
            }
            Probe::Absent => {
                absent.push(index);
                None
            }
        };
        if let Some(bytes) = bytes {
            let shards = shard_names(&bytes)
                .map_err(|reason| client.error(&format!("{index}: {reason}")))?;
            for shard in shards {
                match probe(&shard)? {
                    Probe::Cached => {}
                    Probe::Remote(meta) => plan.push((shard, meta)),
                    Probe::Absent => {
                        return Err(client.error(&format!(
                            "{index} names shard {shard}, which the repository does not have"
                        )))
                    }
                }
            }
            weights = true;
        }
    }
    if !weights {
        match probe("pytorch_model.bin")? {
            Probe::Cached => weights = true,
            Probe::Remote(meta) => {
                plan.push(("pytorch_model.bin".into(), meta));
                weights = true;
            }
            Probe::Absent => absent.push("pytorch_model.bin"),
        }
    }
    if !weights {
        return Err(client.error(
            "the repository has no weights homolog reads (model.safetensors, \
             model.safetensors.index.json + shards, or pytorch_model.bin)",
        ));
    }
    for name in TOKENIZER_FILES {
        match probe(name)? {
            Probe::Cached => {}
            Probe::Remote(meta) => plan.push((name.into(), meta)),
            Probe::Absent => absent.push(name),
        }
    }

    // Download (or find) every blob, then link the snapshot, then point the ref at it.
    let mut blobs = Vec::with_capacity(plan.len());
    for (name, meta) in &plan {
        blobs.push((name.as_str(), client.blob(&repo_dir, meta, name)?));
    }
    for (name, blob) in blobs {
        link_into_snapshot(&snap, name, &blob)?;
    }
    for name in absent {
        // huggingface_hub's record of a file this commit does not have: no HEAD for it next time.
        let marker = no_exist.join(name);
        if let Some(dir) = marker.parent() {
            let _ = fs::create_dir_all(dir);
        }
        let _ = File::create(marker);
    }
    if repo.revision != commit {
        let ref_path = repo_dir.join("refs").join(&repo.revision);
        let io = |e: std::io::Error| ModelError::Checkpoint {
            path: ref_path.clone(),
            reason: format!("cannot write the revision's commit: {e}"),
        };
        fs::create_dir_all(ref_path.parent().unwrap_or(&repo_dir)).map_err(io)?;
        homolog_io::atomic::write_atomic(&ref_path, commit.as_bytes()).map_err(|e| {
            ModelError::Checkpoint {
                path: ref_path.clone(),
                reason: e.to_string(),
            }
        })?;
    }
    Ok(snap)
}

enum Probe {
    /// In the snapshot already.
    Cached,
    /// On the Hub, not yet here.
    Remote(Remote),
    /// Neither: the repository has no such file.
    Absent,
}

/// What a HEAD request tells about a file.
#[derive(Debug, Clone)]
struct Remote {
    /// The commit the revision resolves to.
    commit: String,
    /// The blob name: sha256 of the content for LFS files, git's sha1 else.
    etag: String,
    /// Size in bytes, when announced.
    size: Option<u64>,
}

enum Failure {
    /// No answer (connection refused, timeout, reset): a cached copy may stand in.
    Unreachable(String),
    /// An answer that settles it (401, 404 of the repository, a malformed response).
    Fatal(ModelError),
}

struct Client<'a> {
    repo: &'a HubRepo,
    opts: &'a HubOptions,
    /// For HEAD: redirects are not followed, since the Hub's redirect to its CDN carries the
    /// file's metadata (X-Linked-Etag, X-Linked-Size), which the CDN's answer does not.
    head_agent: ureq::Agent,
    /// For GET: redirects to the CDN are followed (without the token, which stays on the Hub).
    get_agent: ureq::Agent,
}

impl<'a> Client<'a> {
    fn new(opts: &'a HubOptions, repo: &'a HubRepo) -> Self {
        let build = |redirects: u32| -> ureq::Agent {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(redirects)
                .max_redirects_will_error(redirects > 0)
                .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
                // Sizes and ranges refer to the stored bytes; transparent decompression breaks
                // both.
                .accept_encoding(ureq::config::AutoHeaderValue::None)
                .user_agent(concat!("homolog/", env!("CARGO_PKG_VERSION")))
                .timeout_connect(Some(opts.timeout))
                .timeout_recv_response(Some(opts.timeout))
                .timeout_per_read(Some(opts.timeout))
                .build()
                .into()
        };
        Self {
            repo,
            opts,
            head_agent: build(0),
            get_agent: build(10),
        }
    }

    fn error(&self, reason: &str) -> ModelError {
        ModelError::Download {
            what: format!("hf:{} from {}", self.repo, self.opts.endpoint),
            reason: reason.to_string(),
        }
    }

    fn auth<B>(&self, req: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.opts.token {
            Some(t) => req.header("Authorization", format!("Bearer {t}")),
            None => req,
        }
    }

    /// HEAD of `file`: its metadata, `None` when the repository has no such file.
    fn head(&self, file: &str) -> Result<Option<Remote>, Failure> {
        let mut url = self.repo.resolve_url(&self.opts.endpoint, file);
        // The Hub redirects renamed repositories with a relative Location: follow those only.
        for _ in 0..5 {
            let req = self.auth(
                self.head_agent
                    .head(&url)
                    .header("Accept-Encoding", "identity"),
            );
            let resp = req
                .call()
                .map_err(|e| Failure::Unreachable(e.to_string()))?;
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|s| s.trim().to_string())
            };
            if (300..400).contains(&status) {
                if let Some(loc) = header("location").filter(|l| l.starts_with('/')) {
                    url = format!("{}{loc}", origin(&self.opts.endpoint));
                    continue;
                }
            }
            let code = header("x-error-code").unwrap_or_default();
            match status {
                200..=399 => {}
                // A file the repository lacks; for config.json only when the Hub says so, as
                // a bare 404 there is the repository (or revision) missing.
                404 if code == "EntryNotFound" || (code.is_empty() && file != "config.json") => {
                    return Ok(None)
                }
                401 | 403 | 404 => return Err(Failure::Fatal(self.not_found(status, &code, &url))),
                s if s >= 500 || s == 408 || s == 429 => {
                    return Err(Failure::Unreachable(format!("{url} answered HTTP {s}")))
                }
                s => {
                    return Err(Failure::Fatal(
                        self.error(&format!("{url} answered HTTP {s}")),
                    ))
                }
            }
            let commit = header("x-repo-commit").filter(|c| valid_name(c));
            let etag = header("x-linked-etag")
                .or_else(|| header("etag"))
                .map(|e| normalize_etag(&e))
                .filter(|e| valid_name(e));
            let size = header("x-linked-size")
                .or_else(|| header("content-length"))
                .and_then(|s| s.parse().ok());
            return match (commit, etag) {
                (Some(commit), Some(etag)) => Ok(Some(Remote { commit, etag, size })),
                _ => Err(Failure::Fatal(self.error(&format!(
                    "{url} answered without the X-Repo-Commit and ETag headers of the Hugging \
                     Face Hub; is HF_ENDPOINT ({}) a Hub (or a mirror of one)?",
                    self.opts.endpoint
                )))),
            };
        }
        Err(Failure::Fatal(
            self.error(&format!("too many redirects from {url}")),
        ))
    }

    fn not_found(&self, status: u16, code: &str, url: &str) -> ModelError {
        let id = &self.repo.id;
        let what = match code {
            "RevisionNotFound" => format!(
                "the Hub has repository {id} but no revision {:?} in it",
                self.repo.revision
            ),
            "EntryNotFound" => format!("repository {id} has no such file"),
            "GatedRepo" => format!(
                "repository {id} is gated: accept its conditions on the Hub, then set HF_TOKEN"
            ),
            _ => format!(
                "the Hub has no model repository {id} (or it is private or gated: set \
                 HF_TOKEN to a token with access); check the name, e.g. \
                 hf:facebook/esm2_t33_650M_UR50D"
            ),
        };
        self.error(&format!("{what} ({url} answered HTTP {status})"))
    }

    /// `blobs/<etag>` for `meta`, downloaded (or finished) when it is not there yet.
    fn blob(&self, repo_dir: &Path, meta: &Remote, file: &str) -> Result<PathBuf, ModelError> {
        let blobs = repo_dir.join("blobs");
        let blob = blobs.join(&meta.etag);
        let io = |what: &str, p: &Path, e: std::io::Error| ModelError::Checkpoint {
            path: p.to_path_buf(),
            reason: format!("{what}: {e}"),
        };
        if let Ok(m) = fs::metadata(&blob) {
            if meta.size.is_none_or(|s| s == m.len()) {
                return Ok(blob);
            }
            // A blob of the wrong size is not that blob: fetch it again.
            fs::remove_file(&blob).map_err(|e| io("removing a damaged blob", &blob, e))?;
        }
        fs::create_dir_all(&blobs).map_err(|e| io("creating the folder", &blobs, e))?;
        let part = blobs.join(format!("{}.incomplete", meta.etag));
        let url = self.repo.resolve_url(&self.opts.endpoint, file);
        let mut last = String::new();
        for _ in 0..self.opts.attempts.max(1) {
            match self.get(&url, &part, meta.size) {
                Ok(()) => {
                    last.clear();
                    break;
                }
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Unreachable(msg)) => last = msg,
            }
        }
        if !last.is_empty() {
            let have = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
            return Err(self.error(&format!(
                "{file}: {last} (after {} {}; the {have} bytes received are kept in {} and \
                 the next run resumes from there)",
                self.opts.attempts.max(1),
                if self.opts.attempts > 1 {
                    "tries"
                } else {
                    "try"
                },
                part.display()
            )));
        }
        let got = fs::metadata(&part)
            .map_err(|e| io("reading", &part, e))?
            .len();
        if let Some(size) = meta.size.filter(|&s| s != got) {
            let _ = fs::remove_file(&part);
            return Err(self.error(&format!(
                "{file}: received {got} bytes, the Hub announced {size}; the partial file was \
                 removed, run again"
            )));
        }
        // LFS files are named by their sha256: check it, the download is large enough to be
        // worth it and a wrong file would only show up as nonsense embeddings.
        if meta.etag.len() == 64 && meta.etag.chars().all(|c| c.is_ascii_hexdigit()) {
            let digest = sha256_file(&part).map_err(|e| io("reading", &part, e))?;
            if !digest.eq_ignore_ascii_case(&meta.etag) {
                let _ = fs::remove_file(&part);
                return Err(self.error(&format!(
                    "{file}: the download has sha256 {digest}, the Hub announced {}; the file \
                     was removed, run again",
                    meta.etag
                )));
            }
        }
        fs::rename(&part, &blob).map_err(|e| io("renaming into place", &part, e))?;
        Ok(blob)
    }

    /// One GET of `url` into `part`, resumed from its current length.
    fn get(&self, url: &str, part: &Path, size: Option<u64>) -> Result<(), Failure> {
        use homolog_io::download::{resume_into, TransferError};
        let fatal = |what: &str, e: std::io::Error| {
            Failure::Fatal(ModelError::Checkpoint {
                path: part.to_path_buf(),
                reason: format!("{what}: {e}"),
            })
        };
        let have = fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        if have > 0 && size == Some(have) {
            return Ok(());
        }
        resume_into(self.auth(self.get_agent.get(url)), part).map_err(|e| match e {
            TransferError::Retry(message) => Failure::Unreachable(format!("{url}: {message}")),
            TransferError::Status(s) => {
                Failure::Fatal(self.error(&format!("{url} answered HTTP {s}")))
            }
            TransferError::Io { what, source } => fatal(what, source),
        })?;
        let got = fs::metadata(part).map_err(|e| fatal("reading", e))?.len();
        match size {
            Some(s) if got < s => Err(Failure::Unreachable(format!(
                "transfer interrupted at byte {got} of {s}"
            ))),
            _ => Ok(()),
        }
    }
}

/// `W/"abc"` -> `abc`.
fn normalize_etag(e: &str) -> String {
    e.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_string()
}

/// `https://host:port/some/path` -> `https://host:port`.
fn origin(endpoint: &str) -> &str {
    let after_scheme = endpoint.find("://").map(|i| i + 3).unwrap_or(0);
    match endpoint[after_scheme..].find('/') {
        Some(i) => &endpoint[..after_scheme + i],
        None => endpoint,
    }
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Links `snapshots/<commit>/<name>` to its blob: a relative symlink as huggingface_hub makes
/// (so the cache can move), a copy where symlinks are unavailable.
fn link_into_snapshot(snap: &Path, name: &str, blob: &Path) -> Result<(), ModelError> {
    let link = snap.join(name);
    let io = |e: std::io::Error| ModelError::Checkpoint {
        path: link.clone(),
        reason: format!("cannot link the snapshot file: {e}"),
    };
    let dir = link.parent().unwrap_or(snap);
    fs::create_dir_all(dir).map_err(io)?;
    // Built next to the final name, then renamed over it: a reader never sees a missing file.
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        link.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let _ = fs::remove_file(&tmp);
    #[cfg(unix)]
    {
        let depth = Path::new(name).components().count() + 1;
        let target = Path::new(&"../".repeat(depth))
            .join("blobs")
            .join(blob.file_name().unwrap_or_default());
        std::os::unix::fs::symlink(&target, &tmp).map_err(io)?;
    }
    #[cfg(not(unix))]
    {
        fs::copy(blob, &tmp).map_err(io)?;
    }
    fs::rename(&tmp, &link).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_repo_specs() {
        let r = HubRepo::parse("facebook/esm2_t33_650M_UR50D").unwrap();
        assert_eq!(r.id, "facebook/esm2_t33_650M_UR50D");
        assert_eq!(r.revision, "main");
        assert_eq!(r.folder_name(), "models--facebook--esm2_t33_650M_UR50D");
        assert_eq!(
            r.resolve_url("https://huggingface.co/", "config.json"),
            "https://huggingface.co/facebook/esm2_t33_650M_UR50D/resolve/main/config.json"
        );
        let r = HubRepo::parse("Rostlab/ProstT5@refs/pr/1").unwrap();
        assert_eq!(r.revision, "refs/pr/1");
        assert!(r
            .resolve_url("http://h", "x")
            .ends_with("/resolve/refs%2Fpr%2F1/x"));
        for bad in [
            "esm2", "a/b/c", "../b", "a/..", "a/b@", "a/b@../x", "a/b@/x", "a b/c", "",
        ] {
            let e = HubRepo::parse(bad).unwrap_err().to_string();
            assert!(e.contains("hf:"), "{bad}: {e}");
        }
        let p = Path::new("hf:org/name@v1");
        assert_eq!(
            HubRepo::from_path(p).unwrap().unwrap().to_string(),
            "org/name@v1"
        );
        assert!(HubRepo::from_path(Path::new("/models/esm2")).is_none());
    }

    #[test]
    fn headers_and_names() {
        assert_eq!(normalize_etag("W/\"abc123\""), "abc123");
        assert_eq!(normalize_etag("\"abc\""), "abc");
        assert_eq!(origin("http://127.0.0.1:80/mirror"), "http://127.0.0.1:80");
        assert_eq!(origin("https://huggingface.co"), "https://huggingface.co");
        assert!(is_true("1") && is_true("yes") && !is_true("0") && !is_true(""));
        assert!(safe_file_name("model-00001-of-00002.safetensors"));
        assert!(safe_file_name("sub/model.safetensors"));
        for bad in ["../x", "/etc/passwd", "a/../../b", ""] {
            assert!(!safe_file_name(bad), "{bad}");
        }
        let e = shard_names(br#"{"weight_map": {"a": "../../evil"}}"#).unwrap_err();
        assert!(e.contains("leaves the checkpoint folder"), "{e}");
        assert!(is_commit(&"a".repeat(40)) && !is_commit("main"));
    }
}
