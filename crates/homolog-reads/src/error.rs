//! The crate's error type: every variant names the input (file or S3 object), and where it
//! applies the 1-based record number and line, and says how to fix the problem.

/// Errors while listing or reading read files.
#[derive(Debug, thiserror::Error)]
pub enum ReadsError {
    /// An input path or URL that names nothing usable.
    #[error("{input}: {reason}")]
    Input {
        /// The path or URL as given.
        input: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// A malformed FASTQ/FASTA record.
    #[error("{source_name}: record {record} (line {line}{id}): {reason}")]
    Malformed {
        /// File path or `s3://bucket/key`.
        source_name: String,
        /// 1-based record number within the file.
        record: u64,
        /// 1-based line number where the problem was found.
        line: u64,
        /// `, id "<id>"` when the record id is known, else empty.
        id: String,
        /// What is wrong and the expected form.
        reason: String,
    },

    /// An I/O error (file system, gzip stream or network) while reading an input.
    #[error("{source_name}: read error: {source}")]
    Io {
        /// File path or `s3://bucket/key`.
        source_name: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A damaged gzip stream or an unsupported compression (bzip2, xz, zstd, zip).
    #[error(transparent)]
    File(homolog_io::Error),

    /// An object-store (S3) error.
    #[error("{url}: S3 error: {message} (set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and, for a non-AWS server, AWS_ENDPOINT_URL / AWS_ALLOW_HTTP=true)")]
    S3 {
        /// The `s3://` URL.
        url: String,
        /// The store's message.
        message: String,
    },
}

impl From<homolog_io::Error> for ReadsError {
    fn from(e: homolog_io::Error) -> ReadsError {
        match e {
            homolog_io::Error::Read { path, source } => ReadsError::Io {
                source_name: path.display().to_string(),
                source,
            },
            other => ReadsError::File(other),
        }
    }
}
