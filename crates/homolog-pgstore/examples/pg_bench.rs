//! Times a PostgreSQL reference store: full push, pull, cache reuse, and the lookup of the same
//! queries by homolog's exact search on the pulled matrix vs a scan inside the database.
//!
//! ```text
//! cargo run --release -p homolog-pgstore --example pg_bench -- \
//!     <reference folder> <postgres://...?schema=bench> [exact queries] [database-scan queries]
//! ```
//!
//! Queries are matrix rows spread over the reference (each one's nearest neighbour is itself).
//! The schema is dropped at the end.

use std::time::Instant;

use homolog_pgstore::{cache, db_top_k, drop_store, pull, push, PushOptions};
use homolog_reference::Reference;
use homolog_search::{search, RowFilter, SearchParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err(
            "usage: pg_bench <reference folder> <postgres url> [exact queries] [db queries]".into(),
        );
    }
    let (folder, url) = (std::path::Path::new(&args[1]), args[2].as_str());
    let n_exact: usize = args.get(3).map_or(Ok(1000), |s| s.parse())?;
    let n_db: usize = args.get(4).map_or(Ok(3), |s| s.parse())?;
    let reference = Reference::open(folder)?;
    let entry = reference
        .manifest()
        .matrices
        .first()
        .ok_or("the reference has no matrix")?
        .clone();
    let c = &reference.manifest().counts;
    println!(
        "reference: {} proteins, {} sequences, {} annotations, matrix {} layer {} {}x{} {}",
        c.proteins,
        c.sequences,
        c.annotations,
        entry.model,
        entry.layer,
        entry.rows,
        entry.dim,
        entry.dtype
    );
    drop_store(url)?;
    let t = Instant::now();
    let report = push(folder, url, &PushOptions::default())?;
    println!(
        "push: {:.2} s ({} storage)",
        t.elapsed().as_secs_f64(),
        report.storage.as_str()
    );

    let tmp = tempfile::tempdir()?;
    let t = Instant::now();
    pull(url, &tmp.path().join("pulled"))?;
    println!("pull: {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let first = cache(url, &tmp.path().join("cache"))?;
    let cold = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let again = cache(url, &tmp.path().join("cache"))?;
    println!(
        "cache: first {cold:.2} s (pull), unchanged store {:.3} s (reused: {})",
        t.elapsed().as_secs_f64(),
        !again.written
    );

    let t = Instant::now();
    let pulled = Reference::open(&first.dir)?;
    let matrix = pulled.matrix(&entry.model, entry.layer)?;
    let open = t.elapsed().as_secs_f64();
    let rows = matrix.rows();
    let pick = |n: usize| -> Vec<usize> { (0..n).map(|i| i * rows / n.max(1)).collect() };
    let queries = pick(n_exact);
    let flat: Vec<f32> = queries
        .iter()
        .flat_map(|&q| matrix.row(q).to_vec())
        .collect();
    let params = SearchParams {
        k: 3,
        ..Default::default()
    };
    let t = Instant::now();
    let hits = search(
        &flat,
        matrix.as_slice(),
        matrix.dim(),
        &params,
        &RowFilter::none(),
    )?;
    let exact = t.elapsed().as_secs_f64();
    println!(
        "exact search: open + hash check {open:.2} s, {} queries in {exact:.3} s ({:.3} ms/query), k = 3",
        queries.len(),
        1e3 * exact / queries.len() as f64
    );
    let t = Instant::now();
    let db_queries = pick(n_db);
    for &q in &db_queries {
        let db = db_top_k(url, &entry.model, entry.layer, matrix.row(q), 3)?;
        let mine = search(
            matrix.row(q),
            matrix.as_slice(),
            matrix.dim(),
            &params,
            &RowFilter::none(),
        )?;
        let same = db
            .iter()
            .zip(&mine[0])
            .all(|(d, h)| (d.1 - h.distance as f64).abs() < 1e-4);
        if !same {
            println!("  query row {q}: database {db:?} vs exact {:?}", mine[0]);
        }
    }
    let db = t.elapsed().as_secs_f64();
    println!(
        "database scan: {} queries in {db:.2} s ({:.1} ms/query)",
        db_queries.len(),
        1e3 * db / db_queries.len().max(1) as f64
    );
    assert_eq!(hits.len(), queries.len());
    drop_store(url)?;
    Ok(())
}
