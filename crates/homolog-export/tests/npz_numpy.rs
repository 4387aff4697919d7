//! anc2vec files as numpy writes them (`np.savez` and `np.savez_compressed`, unicode GO ids)
//! are read with the values numpy holds. Needs python3 with numpy (scripts/setup.sh --test); a
//! failure with HOMOLOG_REQUIRE_DATA=1.

use homolog_export::npz::{read_npz, NpyArray};
use homolog_export::semantics::Anc2Vec;

#[test]
fn reads_numpy_written_npz() {
    homolog_testkit::require_python!(["numpy"], "scripts/setup.sh --test");
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import sys, numpy as np
ids = np.array(["GO:0000001", "GO:0000002", "GO:0008150"])
emb = np.array([[3, 4, 0], [0, 0, 0], [1, 2, 2]], dtype=np.float32)
np.savez(sys.argv[1] + "/plain.npz", embeddings=emb, go_ids=ids)
np.savez_compressed(sys.argv[1] + "/packed.npz", embeddings=emb.astype(np.float64), go_ids=ids)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["plain.npz", "packed.npz"] {
        let path = dir.path().join(name);
        let arrays = read_npz(&path, &["embeddings", "go_ids"]).unwrap();
        assert_eq!(
            arrays[0],
            NpyArray::Float {
                shape: vec![3, 3],
                values: vec![3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 2.0]
            },
            "{name}"
        );
        match &arrays[1] {
            NpyArray::Text { values, .. } => {
                assert_eq!(values, &["GO:0000001", "GO:0000002", "GO:0008150"])
            }
            other => panic!("{name}: {other:?}"),
        }
        // The all-zero row is "no vector".
        assert_eq!(Anc2Vec::load(&path).unwrap().len(), 2, "{name}");
    }
}
