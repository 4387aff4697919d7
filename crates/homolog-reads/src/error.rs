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

    /// A file that cannot be read or holds a malformed FASTQ/FASTA record (the message names
    /// the file or object URL and, for a record, its number, line and id).
    #[error(transparent)]
    Seq(#[from] homolog_seq::SeqError),

    /// An object-store (S3) error.
    #[error("{url}: S3 error: {message} (set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and, for a non-AWS server, AWS_ENDPOINT_URL / AWS_ALLOW_HTTP=true)")]
    S3 {
        /// The `s3://` URL.
        url: String,
        /// The store's message.
        message: String,
    },
}
