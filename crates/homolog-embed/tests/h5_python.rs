//! Cross-check with h5py: an `embeddings.h5` written here must look exactly like FANTASIA's
//! (groups, `shape` attribute, float32 dtype, values, sequence string), read by Python.

use std::process::Command;
use std::sync::Mutex;

use homolog_embed::h5::{FantasiaReader, FantasiaWriter};

/// The two tests run one at a time: HDF5 opens files without close-on-exec, so a python
/// child spawned by one test would inherit the other test's open file (and its lock).
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn h5py_reads_what_we_write() {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    homolog_testkit::require_python!(["h5py", "numpy"], "scripts/setup.sh --test");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("embeddings.h5");
    let mut w = FantasiaWriter::open(&path).unwrap();
    let v0: Vec<f32> = (0..1024).map(|i| (i as f32 * 0.001).sin()).collect();
    let v2: Vec<f32> = (0..1024).map(|i| -(i as f32) / 1024.0).collect();
    w.write(
        "sp|P0A7V8|RS4_ECOLI",
        "MARYLGPKLKLSRREGTDLFLKSG",
        100,
        0,
        &v0,
    )
    .unwrap();
    w.write(
        "sp|P0A7V8|RS4_ECOLI",
        "MARYLGPKLKLSRREGTDLFLKSG",
        100,
        2,
        &v2,
    )
    .unwrap();
    w.write("Q9XYZ1", "MKV", 3, 0, &[0.25, -0.5, 1.0]).unwrap();
    w.close().unwrap();

    let script = r#"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert sorted(f.keys()) == ["accession_Q9XYZ1", "accession_sp_P0A7V8_RS4_ECOLI"], list(f.keys())
g = f["accession_sp_P0A7V8_RS4_ECOLI"]
assert sorted(g.keys()) == ["sequence", "type_100"], list(g.keys())
assert sorted(g["type_100"].keys()) == ["layer_0", "layer_2"]
lg = g["type_100/layer_0"]
shape = lg.attrs["shape"]
assert tuple(shape) == (1024,), shape
assert shape.dtype == np.int64, shape.dtype
e = lg["embedding"]
assert e.dtype == np.float32, e.dtype
assert e.shape == (1024,), e.shape
x = e[()]
expected = np.sin(np.arange(1024, dtype=np.float32) * np.float32(0.001))
assert np.allclose(x, expected, atol=1e-6), (x[:4], expected[:4])
y = g["type_100/layer_2/embedding"][()]
assert np.allclose(y, -np.arange(1024, dtype=np.float32) / 1024), y[:4]
seq = g["sequence"][()]
# FANTASIA stores sequence.encode("utf-8"); h5py hands it back as bytes.
assert isinstance(seq, bytes), type(seq)
assert seq.decode() == "MARYLGPKLKLSRREGTDLFLKSG", seq
assert g["sequence"].shape == (), g["sequence"].shape
q = f["accession_Q9XYZ1/type_3/layer_0/embedding"][()]
assert q.tolist() == [0.25, -0.5, 1.0], q
assert tuple(f["accession_Q9XYZ1/type_3/layer_0"].attrs["shape"]) == (3,)
print("ok")
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "h5py check failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

#[test]
fn we_read_what_h5py_writes_the_fantasia_way() {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    homolog_testkit::require_python!(["h5py", "numpy"], "scripts/setup.sh --test");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("embeddings.h5");
    // The same calls as FANTASIA's store_entry (require_group, create_dataset, attrs, bytes).
    let script = r#"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "a") as h5file:
    for acc, seq, emb in [("sp|P1|A_B", "MKVL", np.array([1, 2, 3], dtype=np.float32)),
                          ("P2", "ACD", np.array([0.5, 0.25], dtype=np.float64))]:
        accession = acc.replace("|", "_")
        ag = h5file.require_group(f"accession_{accession}")
        lg = ag.require_group("type_1").require_group("layer_0")
        lg.create_dataset("embedding", data=emb)
        lg.attrs["shape"] = tuple(emb.shape)
        ag.create_dataset("sequence", data=seq.encode("utf-8"))
    # An older-h5py style fixed-length string sequence.
    ag = h5file.require_group("accession_P3")
    ag.create_dataset("sequence", data=np.bytes_("WWW"))
    ag.require_group("type_2").require_group("layer_1").create_dataset(
        "embedding", data=np.array([7.0], dtype=np.float16))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let r = FantasiaReader::open(&path).unwrap();
    assert_eq!(r.accessions(), &["P2", "P3", "sp_P1_A_B"]);
    let p1 = r.get("sp|P1|A_B").unwrap();
    assert_eq!(p1.sequence, "MKVL");
    assert_eq!(p1.vectors, vec![(1, 0, vec![1.0, 2.0, 3.0])]);
    let p2 = r.get("P2").unwrap();
    assert_eq!(p2.vector(1, 0), Some(&[0.5f32, 0.25][..]));
    let p3 = r.get("P3").unwrap();
    assert_eq!(p3.sequence, "WWW");
    assert_eq!(p3.vectors, vec![(2, 1, vec![7.0])]);

    // And appending to a file h5py created works, skipping what exists.
    drop(r);
    let mut w = FantasiaWriter::open(&path).unwrap();
    assert!(w.contains("sp|P1|A_B", 1, 0));
    assert!(!w.write("sp|P1|A_B", "MKVL", 1, 0, &[9.0]).unwrap());
    assert!(w.write("P2", "ACD", 1, 3, &[1.5]).unwrap());
    w.close().unwrap();
    let r = FantasiaReader::open(&path).unwrap();
    assert_eq!(r.get("P2").unwrap().vectors.len(), 2);
    assert_eq!(
        r.get("sp_P1_A_B").unwrap().vectors[0].2,
        vec![1.0, 2.0, 3.0]
    );
}
