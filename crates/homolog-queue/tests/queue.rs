//! The queue library against a real RabbitMQ (scripts/services.d/54-rabbitmq.sh, at
//! `HOMOLOG_AMQP_URL`, default amqp://guest:guest@127.0.0.1:5672/%2f): a queued run with an
//! in-process worker gives the single-process run's outputs, here with the settings whose
//! outputs need the ontology at merge time (vote scoring) and per-query collapse.

use std::path::{Path, PathBuf};

use homolog_config::Config;
use homolog_demo::{write_demo, DemoSpec};
use homolog_pipeline::{initialize, run, NoProgress, RunMode, RunOptions};
use homolog_queue::{run_queued, work, QueueSettings, WorkerOptions};

fn broker() -> Option<String> {
    let url =
        std::env::var("HOMOLOG_AMQP_URL").unwrap_or_else(|_| homolog_queue::DEFAULT_URL.into());
    let host_port = url
        .rsplit('@')
        .next()
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5672")
        .trim_start_matches("amqp://")
        .to_string();
    homolog_testkit::listening(&host_port, "RabbitMQ broker").then_some(url)
}

fn config(dir: &Path, yaml_extra: &str) -> (Config, PathBuf) {
    let spec = DemoSpec {
        families: 10,
        ..DemoSpec::default()
    };
    let files = write_demo(&spec, &dir.join("data")).unwrap();
    let path = dir.join("config.yaml");
    std::fs::write(
        &path,
        format!(
            "base_directory: out\nprefix: q\nreference:\n  path: reference\n  sequences: [{}]\n  \
             annotations: [{}]\n  ontology: {}\nlookup:\n  limit_per_entry: 3\n{yaml_extra}",
            files.reference_fasta.display(),
            files.reference_annotations.display(),
            files.ontology.display()
        ),
    )
    .unwrap();
    (
        Config::load(Some(&path), [], &[]).unwrap(),
        files.queries_fasta,
    )
}

/// The files of an experiment folder with their bytes, embeddings.h5 aside (HDF5 files are
/// compared by content elsewhere).
fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = homolog_testkit::file_bytes_under(dir);
    files.remove("embeddings.h5");
    files
}

#[test]
fn queued_run_with_an_in_process_worker_equals_a_single_run() {
    let Some(url) = broker() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (config, queries) = config(
        dir.path(),
        "postprocess:\n  score: vote\n  collapse: true\n",
    );
    initialize(&config, false, &NoProgress).unwrap();
    let single = run(
        &config,
        &RunOptions {
            input: Some(queries.clone()),
            mode: RunMode::Full,
            resume: false,
        },
        &NoProgress,
    )
    .unwrap();
    assert!(single.summary_rows > 0);

    let settings = QueueSettings {
        url,
        name: format!("test-lib-{}", std::process::id()),
        prefetch: 2,
        ..QueueSettings::default()
    };
    let n_queries = single.queries;
    let task_size = n_queries.div_ceil(3);
    let tasks = n_queries.div_ceil(task_size);
    let worker = {
        let options = WorkerOptions {
            settings: settings.clone(),
            max_tasks: Some(tasks),
        };
        std::thread::spawn(move || work(&options))
    };
    let report = run_queued(
        &config,
        Some(&queries),
        None,
        task_size,
        &settings,
        &NoProgress,
    );
    let done = worker.join().unwrap();
    let _ = homolog_queue::remove_queues(&settings);
    let report = report.unwrap();
    assert_eq!(done.unwrap().done, tasks);
    assert!(report.failure().is_none(), "{report}");
    assert_eq!(report.tasks, tasks);
    let merged = report.merge.expect("merged").run;
    assert_eq!(merged.queries, n_queries);
    assert_eq!(merged.summary_rows, single.summary_rows);
    let (a, b) = (read_tree(&single.experiment), read_tree(&merged.experiment));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for ((path, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{path} differs");
    }
}

#[test]
fn bad_settings_fail_before_touching_the_broker() {
    let dir = tempfile::tempdir().unwrap();
    let (config, queries) = config(dir.path(), "");
    let settings = QueueSettings {
        url: "amqp://127.0.0.1:1/%2f".into(),
        ..QueueSettings::default()
    };
    let err = run_queued(&config, Some(&queries), None, 0, &settings, &NoProgress).unwrap_err();
    assert!(err.to_string().contains("--task-size 0"), "{err}");
    let bad = QueueSettings {
        name: "no spaces".into(),
        ..settings.clone()
    };
    let err = run_queued(&config, Some(&queries), None, 5, &bad, &NoProgress).unwrap_err();
    assert!(err.to_string().contains("queue name"), "{err}");
    // Nothing listens on port 1: a clear broker error naming the URL, and no experiment left.
    let err = run_queued(&config, Some(&queries), None, 5, &settings, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("RabbitMQ at amqp://127.0.0.1:1/%2f: connecting"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("out/experiments"))
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let err = work(&WorkerOptions {
        settings,
        max_tasks: Some(1),
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("RabbitMQ at amqp://127.0.0.1:1/%2f: connecting"),
        "{err}"
    );
}
