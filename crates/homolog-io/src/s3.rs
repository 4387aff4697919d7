//! The one S3 client configuration (feature `s3`): credentials, region and endpoint from the
//! usual `AWS_*` environment variables, as the AWS CLI reads them.

use object_store::aws::AmazonS3Builder;

/// An [`AmazonS3Builder`] for `bucket` configured from the environment: `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION` (default
/// `us-east-1`), and `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT`) for S3-compatible servers, which
/// are addressed path-style (a server on loopback has no per-bucket DNS names) and may be
/// plain `http://`. Callers add what is theirs (retries, ...) and `build()` it. HTTPS goes
/// through rustls ([`crate::tls::ensure_crypto_provider`], called here).
///
/// ```
/// let builder = homolog_io::s3::builder_from_env("my-bucket");
/// # let _ = builder;
/// ```
pub fn builder_from_env(bucket: &str) -> AmazonS3Builder {
    crate::tls::ensure_crypto_provider();
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .or_else(|_| std::env::var("AWS_ENDPOINT"))
        .ok();
    if let Some(ep) = endpoint {
        if ep.starts_with("http://") {
            builder = builder.with_allow_http(true);
        }
        builder = builder
            .with_endpoint(ep)
            .with_virtual_hosted_style_request(false);
    }
    if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
        builder = builder.with_region("us-east-1");
    }
    builder
}

#[cfg(test)]
mod tests {
    /// Building a store builds its HTTP client with rustls, which panics unless a crypto
    /// provider is installed: `builder_from_env` installs one.
    #[test]
    fn a_store_builds_its_tls_client() {
        let store = super::builder_from_env("homolog-test").build();
        assert!(store.is_ok(), "{:?}", store.err());
    }
}
