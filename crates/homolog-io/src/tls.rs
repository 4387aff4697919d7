//! TLS for every HTTP client of the `reqwest` family (feature `tls`): rustls with the `ring`
//! crypto provider, the one ureq already brings. No OpenSSL is built or linked.
//!
//! reqwest's rustls backend without a bundled provider takes rustls' process-wide default, and
//! building a client panics when none is installed. [`ensure_crypto_provider`] installs `ring`
//! as that default unless one is already there; every place that builds a client (the S3
//! stores of [`crate::s3`], the GAME distributor) calls it first.

/// Installs rustls' `ring` provider as the process default if no default is installed yet.
/// Idempotent and cheap; a provider installed earlier (by the application) is kept.
///
/// ```
/// homolog_io::tls::ensure_crypto_provider();
/// homolog_io::tls::ensure_crypto_provider();
/// assert!(rustls::crypto::CryptoProvider::get_default().is_some());
/// ```
pub fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread's install is fine: a default is there either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
