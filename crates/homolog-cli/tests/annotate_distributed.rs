//! `homolog run` spread over processes (docs/distributed.md) must give the single-process run's
//! experiment folder: shards + `homolog merge`, a Slurm array + a dependent merge job, and the
//! RabbitMQ queue with `homolog worker`s (two workers; one SIGKILLed while holding a task; a
//! poison task dead-lettered after 3 deliveries). Real data: 1,080 Swiss-Prot 2014 proteins as
//! the reference, 60 others as queries, k-mer embeddings, alignments on.
//!
//! The queue tests need a RabbitMQ broker (scripts/services.d/54-rabbitmq.sh) at
//! `HOMOLOG_AMQP_URL` (default amqp://guest:guest@127.0.0.1:5672/%2f); the Slurm test a running
//! single-node Slurm (scripts/services.d/51-slurm.sh). Each queue test uses its own queue names.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use homolog_testkit::gz_lines;

fn homolog_cmd(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_homolog"));
    cmd.args(args)
        .env_remove("HOMOLOG_CONFIG")
        .env("RUST_LOG", "warn");
    cmd
}

fn homolog(args: &[&str]) -> Output {
    homolog_cmd(args).output().expect("the homolog binary runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "homolog failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A reference built with `homolog initialize` from real Swiss-Prot proteins, the queries, and
/// the single-process run's experiment folder to compare with.
struct Fixture {
    dir: tempfile::TempDir,
    config: PathBuf,
    queries: PathBuf,
    single: PathBuf,
}

impl Fixture {
    /// `None` (after reporting it) when the data is missing.
    fn new() -> Option<Fixture> {
        let subset = homolog_testkit::data_file("proteins/swissprot2014_go_subset")?;
        let obo = homolog_testkit::data_file("go/go-basic_2021-12-15.obo.gz")?;
        let dir = tempfile::tempdir().unwrap();
        let path = |n: &str| dir.path().join(n);
        let mut records: Vec<(String, String)> = Vec::new();
        for line in gz_lines(&subset.join("swissprot2014_5000.fasta.gz")) {
            if let Some(h) = line.strip_prefix('>') {
                if records.len() == 1200 {
                    break;
                }
                let id = h.split_whitespace().next().unwrap().to_string();
                records.push((id, String::new()));
            } else {
                records.last_mut().unwrap().1.push_str(line.trim());
            }
        }
        let mut refs = std::fs::File::create(path("ref.fasta")).unwrap();
        let mut queries = std::fs::File::create(path("queries.fasta")).unwrap();
        let mut query_ids = std::collections::HashSet::new();
        for (i, (id, seq)) in records.iter().enumerate() {
            if i % 10 == 0 {
                if i % 20 == 0 {
                    writeln!(queries, ">{id}\n{seq}").unwrap();
                    query_ids.insert(id.clone());
                }
            } else {
                writeln!(refs, ">{id}\n{seq}").unwrap();
            }
        }
        let mut tsv = std::fs::File::create(path("ref_go.tsv")).unwrap();
        for line in gz_lines(&subset.join("swissprot2014_5000_go.tsv.gz")) {
            let id = line.split('\t').next().unwrap_or("");
            if !query_ids.contains(id) {
                writeln!(tsv, "{line}").unwrap();
            }
        }
        drop((refs, queries, tsv));
        let config = path("config.yaml");
        std::fs::write(
            &config,
            format!(
                "base_directory: {}\nprefix: dist\nreference:\n  path: {}\n  sequences: [{}]\n  \
                 annotations: [{}]\n  ontology: {}\nlookup:\n  limit_per_entry: 3\n  alignment: true\n",
                path("out").display(),
                path("reference").display(),
                path("ref.fasta").display(),
                path("ref_go.tsv").display(),
                obo.display()
            ),
        )
        .unwrap();
        let c = config.to_str().unwrap();
        ok(&homolog(&["initialize", "--config", c]));
        let q = path("queries.fasta");
        ok(&homolog(&[
            "run",
            "--config",
            c,
            "--input",
            q.to_str().unwrap(),
        ]));
        let single = experiments(&path("out"))
            .pop()
            .expect("the single run's experiment");
        let out = path("single");
        std::fs::rename(&single, &out).unwrap();
        Some(Fixture {
            dir,
            config,
            queries: q,
            single: out,
        })
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn c(&self) -> &str {
        self.config.to_str().unwrap()
    }

    fn q(&self) -> &str {
        self.queries.to_str().unwrap()
    }
}

/// Finished experiment folders under `base/experiments`, sorted.
fn experiments(base: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(base.join("experiments"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.retain(|p| !p.to_string_lossy().ends_with(".partial"));
    v.sort();
    v
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<PathBuf, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), p);
            }
        }
    }
    out
}

/// Asserts that `got` holds the same files as the single run's experiment: byte-identical
/// summary.csv, raw CSVs, TopGO files and config; the same embeddings.h5 content.
fn assert_same_experiment(expected: &Path, got: &Path) {
    let (a, b) = (files(expected), files(got));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "file lists differ"
    );
    assert!(a.contains_key(Path::new("summary.csv")));
    assert!(a.len() > 60, "{} files", a.len());
    for (rel, pa) in &a {
        if rel == Path::new("embeddings.h5") {
            continue;
        }
        let (x, y) = (std::fs::read(pa).unwrap(), std::fs::read(&b[rel]).unwrap());
        assert!(x == y, "{} differs", rel.display());
    }
    use homolog_embed::h5::FantasiaReader;
    let (ra, rb) = (
        FantasiaReader::open(expected.join("embeddings.h5")).unwrap(),
        FantasiaReader::open(got.join("embeddings.h5")).unwrap(),
    );
    assert_eq!(ra.accessions(), rb.accessions());
    for acc in ra.accessions() {
        assert_eq!(ra.get(acc).unwrap(), rb.get(acc).unwrap(), "{acc}");
    }
}

#[test]
fn shards_then_merge_equal_a_single_run() {
    let Some(fx) = Fixture::new() else { return };
    let parts = fx.path("parts");
    let p = parts.to_str().unwrap();
    // `threads` may differ between the shards and the merge: it does not change results.
    for (i, threads) in [(0, "1"), (1, "2"), (2, "0")] {
        let shard = format!("{i}/3");
        let out = ok(&homolog(&[
            "run",
            "--config",
            fx.c(),
            "--input",
            fx.q(),
            "--shard",
            &shard,
            "--parts-dir",
            p,
            "--threads",
            threads,
        ]));
        assert!(out.contains(&format!("part {shard} (20 queries)")), "{out}");
    }
    // A shard run again finds its part complete and computes nothing.
    let again = ok(&homolog(&[
        "run",
        "--config",
        fx.c(),
        "--input",
        fx.q(),
        "--shard",
        "1/3",
        "--parts-dir",
        p,
    ]));
    assert!(again.contains("already complete"), "{again}");

    // A missing part is named, with how to make it.
    let partial = fx.path("two-parts");
    std::fs::create_dir(&partial).unwrap();
    for name in ["part-00000-of-00003", "part-00002-of-00003"] {
        std::fs::rename(parts.join(name), partial.join(name)).unwrap();
    }
    let o = homolog(&[
        "merge",
        "--config",
        fx.c(),
        "--parts",
        partial.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("shards 1/3") && err.contains("--shard"),
        "{err}"
    );
    // Parts made with another configuration are refused.
    let other = fx.path("other.yaml");
    let text = std::fs::read_to_string(&fx.config).unwrap();
    std::fs::write(
        &other,
        text.replace("limit_per_entry: 3", "limit_per_entry: 2"),
    )
    .unwrap();
    let o = homolog(&[
        "merge",
        "--config",
        other.to_str().unwrap(),
        "--parts",
        partial.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("another configuration"),
        "{err}"
    );

    // Parts given one by one from two folders.
    let merged = fx.path("merged");
    let out = ok(&homolog(&[
        "merge",
        "--config",
        fx.c(),
        "--parts",
        partial.to_str().unwrap(),
        parts.join("part-00001-of-00003").to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]));
    assert!(
        out.contains("merged 3 parts") && out.contains("queries: 60"),
        "{out}"
    );
    assert_same_experiment(&fx.single, &merged);
}

fn job_state(id: &str) -> String {
    let o = Command::new("scontrol")
        .args(["show", "job", id])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .find_map(|w| w.strip_prefix("JobState="))
        .unwrap_or("UNKNOWN")
        .to_string()
}

#[test]
fn slurm_array_then_merge_equal_a_single_run() {
    if !homolog_testkit::slurm_running() {
        return;
    }
    let Some(fx) = Fixture::new() else { return };
    let root = homolog_testkit::repository_root();
    let out = Command::new("bash")
        .arg(root.join("scripts/slurm/annotate-submit.sh"))
        .current_dir(fx.dir.path())
        .env("HOMOLOG", env!("CARGO_BIN_EXE_homolog"))
        .env("CONFIG", &fx.config)
        .env("QUERIES", &fx.queries)
        .env("SHARDS", "3")
        .env("PARTS", fx.path("parts"))
        .env("OUT", fx.path("slurm-experiment"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let merge_job = &ids[1];
    let start = Instant::now();
    loop {
        let state = job_state(merge_job);
        if state == "COMPLETED" {
            break;
        }
        assert!(
            ![
                "FAILED",
                "CANCELLED",
                "TIMEOUT",
                "NODE_FAIL",
                "OUT_OF_MEMORY"
            ]
            .contains(&state.as_str()),
            "merge job {merge_job} {state}; logs in {}",
            fx.dir.path().display()
        );
        assert!(
            start.elapsed() < Duration::from_secs(900),
            "merge job {merge_job} still {state}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_same_experiment(&fx.single, &fx.path("slurm-experiment"));
}

/// The broker URL, or `None` (after reporting it) when nothing listens there.
fn broker() -> Option<String> {
    let url = std::env::var("HOMOLOG_AMQP_URL")
        .unwrap_or_else(|_| homolog_queue::DEFAULT_URL.to_string());
    let host_port = url
        .split('@')
        .next_back()
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5672")
        .trim_start_matches("amqp://")
        .to_string();
    homolog_testkit::listening(&host_port, "RabbitMQ broker").then_some(url)
}

/// Queue names of their own for one test, deleted when dropped.
struct Queues {
    settings: homolog_queue::QueueSettings,
}

impl Queues {
    fn new(url: &str, test: &str) -> Queues {
        let name = format!(
            "test-{test}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
        );
        Queues {
            settings: homolog_queue::QueueSettings {
                url: url.to_string(),
                name,
                ..Default::default()
            },
        }
    }
    fn name(&self) -> &str {
        &self.settings.name
    }
}

impl Drop for Queues {
    fn drop(&mut self) {
        let _ = homolog_queue::remove_queues(&self.settings);
    }
}

/// Worker processes, SIGKILLed and reaped when dropped, with their logs (stderr) in files.
#[derive(Default)]
struct Workers(Vec<(Child, PathBuf)>);

impl Workers {
    fn spawn(&mut self, fx: &Fixture, url: &str, queues: &Queues, env: &[(&str, &str)]) {
        static SPAWNED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SPAWNED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = fx.path(&format!("worker-{n}.log"));
        let mut cmd = homolog_cmd(&[
            "worker",
            "--config",
            fx.c(),
            "--queue",
            url,
            "--queue-name",
            queues.name(),
        ]);
        cmd.env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        self.0.push((cmd.spawn().unwrap(), log));
    }

    /// Whether every worker has exited.
    fn all_exited(&mut self) -> bool {
        self.0
            .iter_mut()
            .all(|(c, _)| c.try_wait().unwrap().is_some())
    }

    /// The workers' logs, for a failure message.
    fn logs(&self) -> String {
        self.0
            .iter()
            .map(|(_, log)| {
                format!(
                    "--- {}\n{}",
                    log.display(),
                    std::fs::read_to_string(log).unwrap_or_default()
                )
            })
            .collect()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for (c, _) in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn queue_run(fx: &Fixture, url: &str, queues: &Queues) -> Child {
    homolog_cmd(&[
        "run",
        "--config",
        fx.c(),
        "--input",
        fx.q(),
        "--queue",
        url,
        "--queue-name",
        queues.name(),
        "--task-size",
        "15",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap()
}

/// Waits for the run, returning its output; fails with the workers' logs when they have all
/// exited while the run still waits, or after 10 minutes (a hang must not stall the suite).
fn finish(mut run: Child, workers: &mut Workers) -> Output {
    let start = Instant::now();
    while run.try_wait().unwrap().is_none() {
        let why = if workers.all_exited() {
            "every worker exited"
        } else if start.elapsed() > Duration::from_secs(600) {
            "no end in 10 minutes"
        } else {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        };
        // The run may have just finished: give it a moment before calling it stuck.
        std::thread::sleep(Duration::from_secs(2));
        if run.try_wait().unwrap().is_some() {
            break;
        }
        let _ = run.kill();
        let out = run.wait_with_output().unwrap();
        panic!(
            "the queued run is stuck ({why})\nrun stderr:\n{}\nworkers:\n{}",
            String::from_utf8_lossy(&out.stderr),
            workers.logs()
        );
    }
    run.wait_with_output().unwrap()
}

fn the_experiment(fx: &Fixture) -> PathBuf {
    let mut found = experiments(&fx.path("out"));
    assert_eq!(found.len(), 1, "{found:?}");
    found.pop().unwrap()
}

#[test]
fn queue_with_two_workers_equals_a_single_run() {
    let Some(url) = broker() else { return };
    let Some(fx) = Fixture::new() else { return };
    let queues = Queues::new(&url, "two");
    let run = queue_run(&fx, &url, &queues);
    let mut workers = Workers::default();
    workers.spawn(&fx, &url, &queues, &[]);
    workers.spawn(&fx, &url, &queues, &[]);
    let out = finish(run, &mut workers);
    let stdout = ok(&out);
    assert!(
        stdout.contains("4 tasks, 4 completed, 0 failed"),
        "{stdout}"
    );
    let got = the_experiment(&fx);
    assert_same_experiment(&fx.single, &got);
    // No parts left behind in the experiment or next to it.
    assert!(!got.join("parts").exists());
}

#[test]
fn worker_killed_mid_task_loses_nothing() {
    let Some(url) = broker() else { return };
    let Some(fx) = Fixture::new() else { return };
    let queues = Queues::new(&url, "kill");
    let marks = fx.path("marks");
    std::fs::create_dir(&marks).unwrap();
    let m = marks.to_str().unwrap();
    let run = queue_run(&fx, &url, &queues);
    // A worker that holds its first task for a long time: killed while holding it.
    let mut slow = Workers::default();
    slow.spawn(
        &fx,
        &url,
        &queues,
        &[
            ("HOMOLOG_QUEUE_TEST_DELAY_MS", "600000"),
            ("HOMOLOG_QUEUE_TEST_MARKS", m),
        ],
    );
    let start = Instant::now();
    let held = loop {
        let names: Vec<String> = std::fs::read_dir(&marks)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if let Some(n) = names.first() {
            break n.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no task received"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(slow); // SIGKILL
    let mut workers = Workers::default();
    workers.spawn(&fx, &url, &queues, &[("HOMOLOG_QUEUE_TEST_MARKS", m)]);
    let stdout = ok(&finish(run, &mut workers));
    assert!(
        stdout.contains("4 tasks, 4 completed, 0 failed"),
        "{stdout}"
    );
    // The held task was delivered again, to the other worker.
    let shard = held.split('-').nth(1).unwrap();
    let redelivered = std::fs::read_dir(&marks)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("received-{shard}-")))
        .count();
    assert_eq!(redelivered, 2, "{held}");
    assert_same_experiment(&fx.single, &the_experiment(&fx));
}

#[test]
fn poison_task_is_dead_lettered_and_reported() {
    let Some(url) = broker() else { return };
    let Some(fx) = Fixture::new() else { return };
    let queues = Queues::new(&url, "poison");
    let marks = fx.path("marks");
    std::fs::create_dir(&marks).unwrap();
    let run = queue_run(&fx, &url, &queues);
    let mut workers = Workers::default();
    workers.spawn(
        &fx,
        &url,
        &queues,
        &[
            ("HOMOLOG_QUEUE_TEST_FAIL_SHARD", "2"),
            ("HOMOLOG_QUEUE_TEST_MARKS", marks.to_str().unwrap()),
        ],
    );
    let out = finish(run, &mut workers);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 of 4 tasks failed")
            && stderr.contains("task 2/4")
            && stderr.contains("made to fail"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Delivered three times, then dead-lettered (and kept in the dead-letter queue).
    let tries = std::fs::read_dir(&marks)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("received-2-")
        })
        .count();
    assert_eq!(tries, 3);
    assert_eq!(
        homolog_queue::dead_letter_count(&queues.settings).unwrap(),
        1
    );
    // The other tasks are merged; the failed one's queries are listed.
    let got = the_experiment(&fx);
    let failed = std::fs::read_to_string(got.join("failed_tasks.tsv")).unwrap();
    assert!(
        failed.lines().nth(1).unwrap().starts_with("2/4\t15\t"),
        "{failed}"
    );
    let summary = std::fs::read_to_string(got.join("summary.csv")).unwrap();
    let single = std::fs::read_to_string(fx.single.join("summary.csv")).unwrap();
    assert!(summary.lines().count() < single.lines().count());
    for line in summary.lines() {
        assert!(single.contains(line), "{line}");
    }
}
