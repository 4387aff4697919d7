//! `homolog export` end to end on real data, read back with pyarrow.
//!
//! Reference: every third of the 5,000 Swiss-Prot 2014 proteins (1,667; `kmer` embeddings,
//! 256-d). Pairs:
//! - eval: every eighth CAFA3 target (416), labelled by the CAFA3 ground truth, with the CAFA
//!   type1/type2 lists as NK/LK;
//! - train: the same 1,667 Swiss-Prot proteins as queries (their own reference entry excluded),
//!   2014 annotations -> GOA human January 2019 (experimental evidence only): the human
//!   proteins that gained terms.
//!
//! Needs the shared data and python3 with pyarrow (scripts/setup.d/50-cluster.sh); a failure
//! with HOMOLOG_REQUIRE_DATA=1.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use homolog_testkit::gz_lines;

/// Every `step`-th FASTA record of a gzip FASTA (the first, then every step-th), at most
/// `n`, as FASTA text, and their ids.
fn records(path: &Path, step: usize, n: usize) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut ids = Vec::new();
    let mut index = 0usize;
    let mut keep = false;
    for line in gz_lines(path) {
        if let Some(h) = line.strip_prefix('>') {
            keep = index.is_multiple_of(step) && ids.len() < n;
            index += 1;
            if keep {
                ids.push(h.split_whitespace().next().unwrap().to_string());
            }
        }
        if keep {
            out.push_str(&line);
            out.push('\n');
        }
    }
    (out, ids)
}

fn homolog(args: &[&str], dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_homolog"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env_remove("HOMOLOG_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "homolog {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const CHECK: &str = r#"
import json, sys
import pyarrow as pa, pyarrow.parquet as pq, pyarrow.compute as pc
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
text = {"protein_accession", "go_id", "aspect", "ref_protein_accession", "qualifier",
        "evidence_code", "taxonomic_relation", "category", "release_pair"}
ints = {"query_taxonomy_id", "ref_taxonomy_id", "taxonomic_lca"}
must = ["label", "distance", "vote_count", "k_position", "go_term_frequency",
        "ref_annotation_density", "neighbor_distance_std", "neighbor_vote_fraction",
        "neighbor_min_distance", "neighbor_mean_distance", "identity_nw", "similarity_nw",
        "alignment_score_nw", "gaps_pct_nw", "alignment_length_nw", "identity_sw",
        "similarity_sw", "alignment_score_sw", "gaps_pct_sw", "alignment_length_sw",
        "length_query", "length_ref", "anc2vec_has_emb", "anc2vec_query_known_count", "go_ic"]
must += ["emb_pca_query_%d" % i for i in range(16)]
for split in ("train", "eval"):
    f = pq.ParquetFile(d + "/%s.parquet" % split)
    t = f.read()
    assert t.column_names == m["columns"], (t.column_names, m["columns"])
    for c in t.column_names:
        ty = t.schema.field(c).type
        want = pa.string() if c in text else pa.int64() if c in ints or c == "label" else pa.float64()
        assert ty == want, (split, c, ty)
    assert t.num_rows == m["rows"][split]["total"] > 0, split
    assert f.metadata.num_row_groups == m["files"][split + ".parquet"]["row_groups"]
    for c in must:
        col = t.column(c)
        assert col.null_count == 0, (split, c, "nulls")
        if pa.types.is_floating(col.type):
            assert pc.sum(pc.is_nan(col)).as_py() == 0, (split, c, "NaN")
    labels = t.column("label")
    rate = pc.mean(labels).as_py()
    assert rate > 0, (split, "label rate 0")
    cats = set(t.column("category").to_pylist())
    aspects = set(t.column("aspect").to_pylist())
    assert aspects <= {"P", "F", "C"}, aspects
    assert pc.min(t.column("k_position")).as_py() >= 1 and pc.max(t.column("k_position")).as_py() <= 5
    print(split, t.num_rows, "rows", "label rate %.4f" % rate, sorted(cats))
    if split == "eval":
        assert cats <= {"NK", "LK"}, cats
    else:
        assert "PK" in cats, cats
print("ok")
"#;

#[test]
fn export_on_cafa3_and_goa_human_reads_back_in_pyarrow() {
    let subset = homolog_testkit::require_data!("proteins/swissprot2014_go_subset");
    let obo = homolog_testkit::require_data!("go/go-basic_2021-12-15.obo.gz");
    let cafa = homolog_testkit::require_data!("go/cafa3_benchmark");
    let goa = homolog_testkit::require_data!("proteins/goa_human_2019-01-14.gaf.gz");
    let ia = homolog_testkit::require_data!("go/IA_cafa6.tsv");
    homolog_testkit::require_python!(["pyarrow"], "scripts/setup.d/50-cluster.sh");
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);

    let (ref_fasta, ref_ids) = records(&subset.join("swissprot2014_5000.fasta.gz"), 3, usize::MAX);
    std::fs::write(p("ref.fasta"), ref_fasta).unwrap();
    let keep: std::collections::HashSet<&str> = ref_ids.iter().map(String::as_str).collect();
    let mut tsv = std::fs::File::create(p("ref_go.tsv")).unwrap();
    for line in gz_lines(&subset.join("swissprot2014_5000_go.tsv.gz")) {
        if keep.contains(line.split('\t').next().unwrap()) || line.starts_with("accession") {
            writeln!(tsv, "{line}").unwrap();
        }
    }
    drop(tsv);
    let (queries, _) = records(&cafa.join("cafa3_targets.fasta.gz"), 8, usize::MAX);
    std::fs::write(p("cafa3.fasta"), queries).unwrap();
    std::fs::write(
        p("homolog.yaml"),
        format!(
            "reference:\n  path: reference\n  sequences: [ref.fasta]\n  annotations: [ref_go.tsv]\n  ontology: {}\n\
             embedding:\n  models:\n    kmer:\n      dim: 256\n",
            obo.display()
        ),
    )
    .unwrap();
    homolog(&["initialize", "--config", "homolog.yaml"], dir.path());
    homolog(
        &[
            "embed",
            "--config",
            "homolog.yaml",
            "-i",
            "cafa3.fasta",
            "-o",
            "cafa3.h5",
        ],
        dir.path(),
    );
    homolog(
        &[
            "embed",
            "--config",
            "homolog.yaml",
            "-i",
            "ref.fasta",
            "-o",
            "sp.h5",
        ],
        dir.path(),
    );

    let gt: Vec<String> = ["BPO", "MFO", "CCO"]
        .iter()
        .map(|a| {
            cafa.join(format!("groundtruth_leafonly_{a}.tsv"))
                .display()
                .to_string()
        })
        .collect();
    let list = |a: &str, t: u8| {
        cafa.join(format!("lists/{a}_all_type{t}.txt"))
            .display()
            .to_string()
    };
    std::fs::write(
        p("export.yaml"),
        format!(
            "reference: reference\nmodel: kmer\nlayer: 0\nk: 5\nchunk_queries: 128\nia: {ia}\n\
             alignment:\n  cache: align.sqlite\n\
             queries:\n  embeddings: cafa3.h5\n\
             pairs:\n\
             - split: train\n  queries:\n    embeddings: sp.h5\n\
             \x20 earlier:\n    name: swissprot-2014\n    annotations: [ref_go.tsv]\n\
             \x20 later:\n    name: goa-human-2019\n    annotations: [{goa}]\n\
             - split: eval\n  earlier:\n    name: cafa3-t0\n\
             \x20 later:\n    name: cafa3\n    annotations: [{gt0}, {gt1}, {gt2}]\n    categories:\n\
             \x20     nk: {{P: [{n0}], F: [{n1}], C: [{n2}]}}\n\
             \x20     lk: {{P: [{l0}], F: [{l1}], C: [{l2}]}}\n",
            ia = ia.display(),
            goa = goa.display(),
            gt0 = gt[0],
            gt1 = gt[1],
            gt2 = gt[2],
            n0 = list("bpo", 1),
            n1 = list("mfo", 1),
            n2 = list("cco", 1),
            l0 = list("bpo", 2),
            l1 = list("mfo", 2),
            l2 = list("cco", 2),
        ),
    )
    .unwrap();
    let summary = homolog(
        &["export", "--config", "export.yaml", "--out", "ds"],
        dir.path(),
    );
    assert!(
        summary.contains("eval:") && summary.contains("rows/s"),
        "{summary}"
    );

    let out = Command::new("python3")
        .args(["-c", CHECK, p("ds").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyarrow check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.trim_end().ends_with("ok"), "{stdout}");

    // A second run with the warm cache and one thread writes the same bytes.
    homolog(
        &[
            "export",
            "--config",
            "export.yaml",
            "--out",
            "ds2",
            "--threads",
            "1",
        ],
        dir.path(),
    );
    for f in ["train.parquet", "eval.parquet", "manifest.json"] {
        assert_eq!(
            std::fs::read(p("ds").join(f)).unwrap(),
            std::fs::read(p("ds2").join(f)).unwrap(),
            "{f} differs between a cold run and a warm one-thread run"
        );
    }
}
