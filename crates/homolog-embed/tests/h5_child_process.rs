//! A process spawned while `embeddings.h5` is open (mmseqs, a peer tool) must not inherit
//! HDF5's descriptor and with it the file's lock: the file opens again while the child runs.
//! Its own test binary, so no other test's HDF5 file is open when the child is spawned.
#![cfg(unix)]

use std::process::{Command, Stdio};

use homolog_embed::h5::{FantasiaReader, FantasiaWriter};

#[test]
fn a_child_process_does_not_keep_the_file_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("embeddings.h5");
    let writer = FantasiaWriter::open(&path).unwrap();
    // `cat` lives until its stdin closes, so it outlives the writer without any timing.
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writer.close().unwrap();
    let reopened = FantasiaWriter::open(&path).and_then(|w| w.close());
    let read = FantasiaReader::open(&path).map(|r| r.len());
    drop(child.stdin.take());
    child.wait().unwrap();
    reopened.unwrap();
    assert_eq!(read.unwrap(), 0);
}
