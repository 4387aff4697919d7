//! The shards are readable by pyarrow (the schema documented in docs/formats.md).
//! Needs python3 with pyarrow (scripts/setup.sh --test installs it; a failure with HOMOLOG_REQUIRE_DATA).

use std::process::Command;

use homolog_embed::dna_kmer::{DnaKmerEmbedder, DnaKmerParams};
use homolog_reads::{Read, ReadsError};
use homolog_shards::embed::{embed_to_shards, EmbedOptions};

#[test]
fn pyarrow_reads_the_shards() {
    homolog_testkit::require_python!(["pyarrow.parquet"], "scripts/setup.sh --test");
    let d = tempfile::tempdir().unwrap();
    let reads: Vec<Result<Read, ReadsError>> = (0..25)
        .map(|i| {
            Ok(Read {
                id: format!("read{i}"),
                seq: b"ACGTACGGTTACNNACGTTGCA"[..10 + i % 12].to_vec(),
                source: "x.fq".into(),
                record: i as u64 + 1,
            })
        })
        .collect();
    let e = DnaKmerEmbedder::new(DnaKmerParams::default()).unwrap();
    let opts = EmbedOptions {
        rows_per_shard: 10,
        batch_size: 7,
        model: "dna-kmer".into(),
        params: serde_json::json!({"k": 4}),
        inputs: vec!["x.fq".into()],
    };
    let m = embed_to_shards(reads.into_iter(), &e, d.path(), &opts, |_| {}).unwrap();
    assert_eq!((m.rows, m.shards.len(), m.dim), (25, 3, 136));
    let script = r#"
import json, sys, pyarrow.parquet as pq, pyarrow as pa
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
t = pa.concat_tables([pq.read_table(d + "/" + s["file"]) for s in m["shards"]])
assert t.num_rows == m["rows"] == 25, t.num_rows
f = t.schema.field("embedding").type
assert pa.types.is_fixed_size_list(f) and f.list_size == m["dim"] == 136 and f.value_type == pa.float32(), f
assert t.schema.field("length").type == pa.uint32() and t.schema.field("gc").type == pa.float32()
row = t.slice(3, 1).to_pylist()[0]
assert row["read_id"] == "read3" and row["source"] == "x.fq" and row["length"] == 13, row
assert abs(sum(row["embedding"]) - 1.0) < 1e-5
print("ok", t.num_rows)
"#;
    let out = Command::new("python3")
        .args(["-c", script, d.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
