//! Atomic Parquet: one record batch written through an [`AtomicFile`](crate::AtomicFile).

use std::path::Path;

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use crate::{with_atomic_writer, Error};

/// Writes `batch` to `path` as Parquet with `props`, atomically (see
/// [`AtomicFile`](crate::AtomicFile)).
pub fn write_parquet_atomic(
    path: impl AsRef<Path>,
    batch: &RecordBatch,
    props: WriterProperties,
) -> Result<(), Error> {
    let path = path.as_ref();
    let parquet_err = |e: parquet::errors::ParquetError| Error::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    with_atomic_writer(path, |file| {
        let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(parquet_err)?;
        w.write(batch).map_err(parquet_err)?;
        w.close().map_err(parquet_err)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Int32Array};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::sync::Arc;

    #[test]
    fn round_trips_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.parquet");
        let col: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3]));
        let batch = RecordBatch::try_from_iter([("x", col)]).unwrap();
        write_parquet_atomic(&p, &batch, WriterProperties::default()).unwrap();
        let back: Vec<RecordBatch> =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&p).unwrap())
                .unwrap()
                .build()
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
        assert_eq!(back, [batch]);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
