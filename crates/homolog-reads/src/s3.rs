//! S3 input through `object_store`: list the objects under `s3://bucket/prefix` and stream one
//! object as a blocking [`std::io::Read`].
//!
//! Credentials and the endpoint come from the usual `AWS_*` environment variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` for an
//! S3-compatible server such as MinIO or moto); an `http://` endpoint turns on plain HTTP.
//! The objects are streamed chunk by chunk, so a large read file is never held in memory.

use std::io::Read as IoRead;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt};
use object_store::aws::AmazonS3;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::ReadsError;

/// A parsed `s3://bucket/prefix` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// Bucket name.
    pub bucket: String,
    /// Key or key prefix (no leading `/`; may be empty).
    pub key: String,
}

impl S3Url {
    /// Parses `s3://bucket[/key]`.
    pub fn parse(url: &str) -> Result<Self, ReadsError> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| ReadsError::Input {
            input: url.to_string(),
            reason: "not an s3:// URL; write s3://bucket/prefix".into(),
        })?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(ReadsError::Input {
                input: url.to_string(),
                reason: "no bucket name; write s3://bucket/prefix".into(),
            });
        }
        Ok(Self {
            bucket: bucket.to_string(),
            key: key.trim_start_matches('/').to_string(),
        })
    }

    /// The URL of one object of this bucket.
    pub fn object_url(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, key)
    }
}

/// An S3 bucket client with its own small Tokio runtime (callers stay synchronous).
pub struct S3Client {
    store: Arc<AmazonS3>,
    rt: Arc<tokio::runtime::Runtime>,
    url: S3Url,
}

fn s3err(url: &str, e: impl std::fmt::Display) -> ReadsError {
    ReadsError::S3 {
        url: url.to_string(),
        message: e.to_string(),
    }
}

impl S3Client {
    /// Connects to the bucket of `url` with settings from the environment.
    pub fn new(url: &S3Url) -> Result<Self, ReadsError> {
        let full = url.object_url(&url.key);
        let store = homolog_io::s3::builder_from_env(&url.bucket)
            .build()
            .map_err(|e| s3err(&full, e))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| s3err(&full, e))?;
        Ok(Self {
            store: Arc::new(store),
            rt: Arc::new(rt),
            url: url.clone(),
        })
    }

    /// Keys under the URL's prefix, sorted. A key equal to the prefix (one object) is included.
    pub fn list(&self) -> Result<Vec<String>, ReadsError> {
        let full = self.url.object_url(&self.url.key);
        let prefix = if self.url.key.is_empty() {
            None
        } else {
            Some(ObjPath::from(self.url.key.as_str()))
        };
        // object_store lists a prefix as a folder (`key/`), so an exact object key is looked
        // up on its own first.
        if !self.url.key.is_empty() && !self.url.key.ends_with('/') {
            let store = self.store.clone();
            let path = ObjPath::from(self.url.key.as_str());
            match self.rt.block_on(async move { store.head(&path).await }) {
                Ok(_) => return Ok(vec![self.url.key.clone()]),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(s3err(&full, e)),
            }
        }
        let store = self.store.clone();
        let mut keys: Vec<String> = self.rt.block_on(async move {
            let mut out = Vec::new();
            let mut s = store.list(prefix.as_ref());
            while let Some(item) = s.next().await {
                out.push(item.map_err(|e| s3err(&full, e))?.location.to_string());
            }
            Ok::<_, ReadsError>(out)
        })?;
        keys.sort();
        Ok(keys)
    }

    /// Uploads `bytes` as object `key` (tests and tools that stage reads on S3).
    pub fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), ReadsError> {
        let url = self.url.object_url(key);
        let store = self.store.clone();
        let path = ObjPath::from(key);
        self.rt
            .block_on(async move { store.put(&path, bytes.into()).await })
            .map_err(|e| s3err(&url, e))?;
        Ok(())
    }

    /// Opens one object as a blocking byte stream.
    pub fn open(&self, key: &str) -> Result<Box<dyn IoRead + Send>, ReadsError> {
        let url = self.url.object_url(key);
        let store = self.store.clone();
        let path = ObjPath::from(key);
        let stream = self
            .rt
            .block_on(async move { store.get(&path).await })
            .map_err(|e| s3err(&url, e))?
            .into_stream();
        Ok(Box::new(ObjectReader {
            rt: self.rt.clone(),
            stream,
            chunk: Bytes::new(),
            url,
        }))
    }
}

/// Blocking reader over an object's byte stream.
struct ObjectReader {
    rt: Arc<tokio::runtime::Runtime>,
    stream: BoxStream<'static, object_store::Result<Bytes>>,
    chunk: Bytes,
    url: String,
}

impl IoRead for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rt.block_on(self.stream.next()) {
                None => return Ok(0),
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => {
                    return Err(std::io::Error::other(format!("{}: {e}", self.url)));
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk = self.chunk.slice(n..);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_urls() {
        let u = S3Url::parse("s3://b/reads/x").unwrap();
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("b", "reads/x"));
        assert_eq!(S3Url::parse("s3://b").unwrap().key, "");
        assert!(S3Url::parse("s3:///x").is_err());
        assert!(S3Url::parse("http://x").is_err());
    }
}
