//! The persistent alignment cache: SQLite in WAL mode, PROTEA's layout.
//!
//! Table `align(k TEXT PRIMARY KEY, v TEXT)`; key `md5(query):md5(reference):open:extend:matrix`
//! (lower-case hex MD5 of the sequences as aligned, e.g. `...:10:1:blosum62`), value a JSON
//! object with PROTEA's 12 feature names plus `query_gaps_sw` (the split of local-alignment
//! gaps, which the fractions cannot restore) and `check`, an xxh3 checksum of the key and
//! the values, so a row that was edited, truncated or copied under another key is detected.
//!
//! homolog marks its files with `PRAGMA application_id` ([`APPLICATION_ID`]) and a `meta`
//! table (`format`, `version`). Opening checks the SQLite header, the marks, the schema and
//! (unless disabled) `PRAGMA quick_check`; a file that fails is reported as
//! [`PairsError::CacheInvalid`], or with [`OnInvalid::Rebuild`] moved aside to
//! `<file>.invalid-<unix time>` with a warning and replaced by an empty cache. It is never
//! read silently.
//!
//! Sharing: several processes may use one file at once. WAL lets readers proceed during a
//! write; writers take the lock with `BEGIN IMMEDIATE` and wait up to the busy timeout
//! (60 s); `INSERT OR IGNORE` makes concurrent writes of the same key harmless (the value of
//! a key is a pure function of it). Reads and writes are batched ([`PairCache::get_many`],
//! [`PairCache::put_many`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use homolog_align::{AlignmentStats, PairFeatures, Scoring};
use md5::{Digest, Md5};
use rayon::prelude::*;
use rusqlite::{params_from_iter, Connection, OpenFlags, OptionalExtension};

use crate::error::PairsError;

/// `PRAGMA application_id` of homolog alignment caches ("HOMA").
pub const APPLICATION_ID: i32 = 0x484F_4D41;
/// Format version in the `meta` table.
pub const FORMAT_VERSION: u32 = 1;
/// Keys per `SELECT ... IN (...)` (below SQLite's bound-parameter limit).
const READ_BATCH: usize = 500;

/// What to do with an existing file that is not a valid homolog cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnInvalid {
    /// Report [`PairsError::CacheInvalid`] (the default).
    #[default]
    Error,
    /// Move it aside (`<file>.invalid-<unix time>`), warn, and start an empty cache.
    Rebuild,
}

/// How to open a cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheOptions {
    /// Handling of invalid files.
    pub on_invalid: OnInvalid,
    /// Run `PRAGMA quick_check` on open (reads the whole file once; on by default).
    pub verify: bool,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            on_invalid: OnInvalid::Error,
            verify: true,
        }
    }
}

/// The MD5 digest of a sequence: what PROTEA's cache key and the aligners' memo key pairs by.
pub type SequenceDigest = [u8; 16];

/// [`SequenceDigest`] of `sequence`.
pub fn sequence_digest(sequence: &[u8]) -> SequenceDigest {
    Md5::digest(sequence).into()
}

/// PROTEA's cache key of an ordered pair under a scoring: `md5(q):md5(r):open:extend:matrix`.
pub fn cache_key(query: &[u8], reference: &[u8], scoring: &Scoring) -> String {
    format!(
        "{}:{}:{}",
        hex::encode(sequence_digest(query)),
        hex::encode(sequence_digest(reference)),
        scoring.cache_tag()
    )
}

/// A cached value: the 12 features plus the local gap split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CachedPair {
    /// PROTEA's 12 fields.
    pub features: PairFeatures,
    /// Local-alignment columns with a gap in the query (the rest of the SW gaps are in the
    /// reference).
    pub query_gaps_sw: u32,
}

impl CachedPair {
    /// From the two alignments of a pair.
    pub fn from_stats(nw: &AlignmentStats, sw: &AlignmentStats, m: usize, n: usize) -> Self {
        CachedPair {
            features: PairFeatures::from_stats(nw, sw, m, n),
            query_gaps_sw: sw.query_gaps,
        }
    }

    /// The NW and SW statistics back (counts restored exactly from the fractions: a count
    /// `c / len` rounded to f64 and multiplied by `len` rounds back to `c`).
    pub fn stats(&self) -> (AlignmentStats, AlignmentStats) {
        let f = &self.features;
        let count = |frac: f64, len: u32| (frac * f64::from(len)).round() as u32;
        let nw_len = f.alignment_length_nw;
        let nw = AlignmentStats {
            score: f.alignment_score_nw,
            length: nw_len,
            identities: count(f.identity_nw, nw_len),
            similarities: count(f.similarity_nw, nw_len),
            // Every residue of both sequences is in a global alignment.
            query_gaps: nw_len.saturating_sub(f.length_query),
            reference_gaps: nw_len.saturating_sub(f.length_ref),
        };
        let sw_len = f.alignment_length_sw;
        let sw_gaps = count(f.gaps_pct_sw, sw_len);
        let sw = AlignmentStats {
            score: f.alignment_score_sw,
            length: sw_len,
            identities: count(f.identity_sw, sw_len),
            similarities: count(f.similarity_sw, sw_len),
            query_gaps: self.query_gaps_sw,
            reference_gaps: sw_gaps.saturating_sub(self.query_gaps_sw),
        };
        (nw, sw)
    }

    fn checksum(key: &str, values: &[f64; 12], qg: u32) -> String {
        let mut buf = Vec::with_capacity(key.len() + 13 * 8);
        buf.extend_from_slice(key.as_bytes());
        for v in values {
            buf.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        buf.extend_from_slice(&u64::from(qg).to_le_bytes());
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&buf))
    }

    /// The JSON value stored under `key`.
    pub fn encode(&self, key: &str) -> String {
        let values = self.features.values();
        let mut obj = serde_json::Map::new();
        let f = &self.features;
        let entries: [(&str, serde_json::Value); 12] = [
            ("identity_nw", f.identity_nw.into()),
            ("similarity_nw", f.similarity_nw.into()),
            ("alignment_score_nw", f.alignment_score_nw.into()),
            ("gaps_pct_nw", f.gaps_pct_nw.into()),
            ("alignment_length_nw", f.alignment_length_nw.into()),
            ("identity_sw", f.identity_sw.into()),
            ("similarity_sw", f.similarity_sw.into()),
            ("alignment_score_sw", f.alignment_score_sw.into()),
            ("gaps_pct_sw", f.gaps_pct_sw.into()),
            ("alignment_length_sw", f.alignment_length_sw.into()),
            ("length_query", f.length_query.into()),
            ("length_ref", f.length_ref.into()),
        ];
        for (k, v) in entries {
            obj.insert(k.to_string(), v);
        }
        obj.insert("query_gaps_sw".into(), self.query_gaps_sw.into());
        obj.insert(
            "check".into(),
            Self::checksum(key, &values, self.query_gaps_sw).into(),
        );
        serde_json::Value::Object(obj).to_string()
    }

    /// Parses and verifies a stored value; `Err(why)` if it is not one homolog wrote for `key`.
    pub fn decode(key: &str, text: &str) -> Result<Self, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
        let obj = v.as_object().ok_or("not a JSON object")?;
        let num = |name: &str| -> Result<f64, String> {
            obj.get(name)
                .and_then(|x| x.as_f64())
                .ok_or_else(|| format!("field {name} missing or not a number"))
        };
        let int = |name: &str| -> Result<i64, String> {
            obj.get(name)
                .and_then(|x| x.as_i64())
                .ok_or_else(|| format!("field {name} missing or not an integer"))
        };
        let u = |name: &str| -> Result<u32, String> {
            u32::try_from(int(name)?).map_err(|_| format!("field {name} out of range"))
        };
        let i = |name: &str| -> Result<i32, String> {
            i32::try_from(int(name)?).map_err(|_| format!("field {name} out of range"))
        };
        let pair = CachedPair {
            features: PairFeatures {
                identity_nw: num("identity_nw")?,
                similarity_nw: num("similarity_nw")?,
                alignment_score_nw: i("alignment_score_nw")?,
                gaps_pct_nw: num("gaps_pct_nw")?,
                alignment_length_nw: u("alignment_length_nw")?,
                identity_sw: num("identity_sw")?,
                similarity_sw: num("similarity_sw")?,
                alignment_score_sw: i("alignment_score_sw")?,
                gaps_pct_sw: num("gaps_pct_sw")?,
                alignment_length_sw: u("alignment_length_sw")?,
                length_query: u("length_query")?,
                length_ref: u("length_ref")?,
            },
            query_gaps_sw: u("query_gaps_sw")?,
        };
        let check = obj
            .get("check")
            .and_then(|x| x.as_str())
            .ok_or("field check missing")?;
        let expected = Self::checksum(key, &pair.features.values(), pair.query_gaps_sw);
        if check != expected {
            return Err(format!(
                "checksum mismatch (stored {check}, computed {expected}): the value was \
                 altered or belongs to another key"
            ));
        }
        Ok(pair)
    }
}

/// An open cache file. Thread-safe (one connection behind a mutex; operations are batched,
/// so the lock is taken once per batch).
#[derive(Debug)]
pub struct PairCache {
    path: PathBuf,
    conn: Mutex<Connection>,
}

fn sql_err<'a>(path: &'a Path, what: &str) -> impl Fn(rusqlite::Error) -> PairsError + 'a {
    let what = what.to_string();
    move |e| PairsError::Cache {
        path: path.to_path_buf(),
        message: format!("{what}: {e}"),
    }
}

/// How long a connection waits for another process's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Switches `conn` to WAL mode and returns the mode SQLite reports. When two processes
/// open a new cache at once, both switches read the file and then need it alone; SQLite
/// answers one of them "database is locked" at once (waiting could deadlock, so the busy
/// timeout does not apply), and that one retries until the other is done.
fn wal_mode(conn: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            mode => return mode,
        }
    }
}

impl PairCache {
    /// Opens (or creates) the cache at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, PairsError> {
        Self::open_with(path, CacheOptions::default())
    }

    /// Opens (or creates) the cache at `path`.
    pub fn open_with(path: impl AsRef<Path>, options: CacheOptions) -> Result<Self, PairsError> {
        let path = path.as_ref();
        match Self::try_open(path, options.verify) {
            Ok(c) => Ok(c),
            Err(PairsError::CacheInvalid { path: p, reason }) => match options.on_invalid {
                OnInvalid::Error => Err(PairsError::CacheInvalid { path: p, reason }),
                OnInvalid::Rebuild => {
                    let stamp = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    let aside = PathBuf::from(format!("{}.invalid-{stamp}", path.display()));
                    tracing::warn!(
                        "alignment cache {} is not usable ({reason}); moved it to {} and \
                         starting an empty cache",
                        path.display(),
                        aside.display()
                    );
                    std::fs::rename(path, &aside).map_err(|e| PairsError::Cache {
                        path: path.to_path_buf(),
                        message: format!("cannot move the invalid cache aside: {e}"),
                    })?;
                    for suffix in ["-wal", "-shm"] {
                        let side = PathBuf::from(format!("{}{suffix}", path.display()));
                        if side.exists() {
                            let _ = std::fs::rename(&side, format!("{}{suffix}", aside.display()));
                        }
                    }
                    Self::try_open(path, false)
                }
            },
            Err(e) => Err(e),
        }
    }

    fn invalid(path: &Path, reason: impl Into<String>) -> PairsError {
        PairsError::CacheInvalid {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    fn try_open(path: &Path, verify: bool) -> Result<Self, PairsError> {
        // A non-empty file must start with SQLite's magic; checking it here gives a clear
        // message instead of SQLite's "file is not a database" on the first query.
        if let Ok(mut f) = std::fs::File::open(path) {
            let mut head = [0u8; 16];
            let n = f.read(&mut head).unwrap_or(0);
            if n > 0 && (n < 16 || &head != b"SQLite format 3\0") {
                return Err(Self::invalid(path, "not an SQLite database"));
            }
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| PairsError::Cache {
                path: path.to_path_buf(),
                message: format!("cannot create folder {}: {e}", dir.display()),
            })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql_err(path, "cannot open"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sql_err(path, "cannot set the busy timeout"))?;
        let corrupt = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase)
            | Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
                Self::invalid(path, format!("SQLite reports: {e}"))
            }
            _ => PairsError::Cache {
                path: path.to_path_buf(),
                message: e.to_string(),
            },
        };
        // Both marks from one snapshot: read separately, another process creating the file
        // between the two reads would make a new cache look like a foreign database.
        let (app, tables): (i32, Vec<String>) = {
            let tx = conn.unchecked_transaction().map_err(corrupt)?;
            let app: i32 = tx
                .query_row("PRAGMA application_id", [], |r| r.get(0))
                .map_err(corrupt)?;
            let tables = {
                let mut st = tx
                    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                    .map_err(corrupt)?;
                let rows = st.query_map([], |r| r.get(0)).map_err(corrupt)?;
                rows.collect::<Result<Vec<String>, _>>().map_err(corrupt)?
            };
            tx.commit().map_err(corrupt)?;
            (app, tables)
        };
        if app == 0 && tables.is_empty() {
            // A new (or empty) file: make it ours. WAL first, outside the transaction.
            wal_mode(&conn).map_err(corrupt)?;
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE;
                 CREATE TABLE IF NOT EXISTS align (k TEXT PRIMARY KEY, v TEXT);
                 CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
                 INSERT OR IGNORE INTO meta VALUES ('format', 'homolog-alignment-cache');
                 INSERT OR IGNORE INTO meta VALUES ('version', '{FORMAT_VERSION}');
                 PRAGMA application_id = {APPLICATION_ID};
                 COMMIT;"
            ))
            .map_err(corrupt)?;
        } else if app != APPLICATION_ID {
            return Err(Self::invalid(
                path,
                format!(
                    "an SQLite database of another program (application_id {app:#x}, \
                     tables {tables:?}); homolog caches have application_id {APPLICATION_ID:#x}"
                ),
            ));
        } else {
            let mode = wal_mode(&conn).map_err(corrupt)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(PairsError::Cache {
                    path: path.to_path_buf(),
                    message: format!("cannot switch to WAL mode (got {mode})"),
                });
            }
        }
        // Schema and format marks.
        let schema: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'align'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(corrupt)?;
        let normalized = schema
            .as_deref()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
        if normalized.as_deref() != Some("CREATE TABLE align (k TEXT PRIMARY KEY, v TEXT)") {
            return Err(Self::invalid(
                path,
                format!("table align has an unexpected schema: {schema:?}"),
            ));
        }
        let meta = |key: &str| -> Result<Option<String>, PairsError> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(|e| Self::invalid(path, format!("meta table unreadable: {e}")))
        };
        if meta("format")?.as_deref() != Some("homolog-alignment-cache") {
            return Err(Self::invalid(
                path,
                "meta.format is not homolog-alignment-cache",
            ));
        }
        let version = meta("version")?;
        if version.as_deref() != Some(&FORMAT_VERSION.to_string()) {
            return Err(Self::invalid(
                path,
                format!("format version {version:?}, this homolog reads version {FORMAT_VERSION}"),
            ));
        }
        if verify {
            let mut st = conn.prepare("PRAGMA quick_check").map_err(corrupt)?;
            let msgs: Vec<String> = st
                .query_map([], |r| r.get(0))
                .map_err(corrupt)?
                .collect::<Result<_, _>>()
                .map_err(corrupt)?;
            if msgs != ["ok"] {
                return Err(Self::invalid(
                    path,
                    format!("PRAGMA quick_check failed: {}", msgs.join("; ")),
                ));
            }
        }
        Ok(PairCache {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic elsewhere while holding the lock leaves the connection usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Looks up `keys`; the result has one entry per key, in order. A stored value that is
    /// not valid is an error (the file was altered), never a silent miss.
    pub fn get_many(&self, keys: &[String]) -> Result<Vec<Option<CachedPair>>, PairsError> {
        let conn = self.lock();
        let mut out = vec![None; keys.len()];
        let mut pos: std::collections::HashMap<&str, Vec<usize>> = Default::default();
        for (i, k) in keys.iter().enumerate() {
            pos.entry(k.as_str()).or_default().push(i);
        }
        let unique: Vec<&str> = {
            let mut seen = std::collections::HashSet::new();
            keys.iter()
                .map(String::as_str)
                .filter(|k| seen.insert(*k))
                .collect()
        };
        let mut fetched: Vec<(String, String)> = Vec::with_capacity(unique.len());
        for chunk in unique.chunks(READ_BATCH) {
            let sql = format!(
                "SELECT k, v FROM align WHERE k IN ({})",
                vec!["?"; chunk.len()].join(",")
            );
            let mut st = conn
                .prepare_cached(&sql)
                .map_err(sql_err(&self.path, "cannot read"))?;
            let rows = st
                .query_map(params_from_iter(chunk.iter()), |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(sql_err(&self.path, "cannot read"))?;
            for row in rows {
                fetched.push(row.map_err(sql_err(&self.path, "cannot read"))?);
            }
        }
        drop(conn);
        // Decoding (JSON + checksum) costs more than the lookups: done in parallel, after the
        // connection is released.
        let decoded: Vec<(&str, CachedPair)> = fetched
            .par_iter()
            .map(|(k, v)| {
                CachedPair::decode(k, v)
                    .map(|value| (k.as_str(), value))
                    .map_err(|reason| {
                        Self::invalid(&self.path, format!("value of key {k}: {reason}"))
                    })
            })
            .collect::<Result<_, _>>()?;
        for (k, value) in decoded {
            if let Some(idx) = pos.get(k) {
                for &i in idx {
                    out[i] = Some(value);
                }
            }
        }
        Ok(out)
    }

    /// Stores `entries` in one transaction (keys already present keep their value).
    pub fn put_many(&self, entries: &[(String, CachedPair)]) -> Result<(), PairsError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql_err(&self.path, "cannot start a write"))?;
        {
            let mut st = tx
                .prepare_cached("INSERT OR IGNORE INTO align (k, v) VALUES (?1, ?2)")
                .map_err(sql_err(&self.path, "cannot write"))?;
            for (k, v) in entries {
                st.execute([k.as_str(), v.encode(k).as_str()])
                    .map_err(sql_err(&self.path, "cannot write"))?;
            }
        }
        tx.commit().map_err(sql_err(&self.path, "cannot commit"))
    }

    /// Number of cached pairs.
    pub fn len(&self) -> Result<usize, PairsError> {
        let conn = self.lock();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM align", [], |r| r.get(0))
            .map_err(sql_err(&self.path, "cannot count"))?;
        Ok(n as usize)
    }

    /// Whether the cache holds no pair.
    pub fn is_empty(&self) -> Result<bool, PairsError> {
        Ok(self.len()? == 0)
    }
}
