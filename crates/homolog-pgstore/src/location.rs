//! A store's address: a `postgres://` URL plus the schema that holds the store.

use std::str::FromStr;

use homolog_io::url::redact_password;

use crate::error::PgStoreError;

/// The default schema of a store (`?schema=` in the URL overrides it).
pub const DEFAULT_SCHEMA: &str = "homolog";

/// Whether `s` is a PostgreSQL store URL (`postgres://` or `postgresql://`) rather than a path.
pub fn is_store_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// A parsed store URL: connection settings, the schema, and a printable form without password.
#[derive(Clone)]
pub struct StoreLocation {
    pub(crate) config: postgres::Config,
    /// The PostgreSQL schema holding the store's tables.
    pub schema: String,
    display: String,
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreLocation")
            .field("url", &self.display)
            .field("schema", &self.schema)
            .finish()
    }
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

impl StoreLocation {
    /// Parses `postgres://user[:password]@host[:port]/database[?schema=name&...]`. The
    /// `schema` parameter (default [`DEFAULT_SCHEMA`]) is homolog's; other parameters go to
    /// the client (e.g. `connect_timeout=10`). The schema must be a plain lower-case SQL name.
    pub fn parse(url: &str) -> Result<StoreLocation, PgStoreError> {
        let bad = |message: String| PgStoreError::Url {
            url: redact_password(url),
            message,
        };
        if !is_store_url(url) {
            return Err(bad(
                "it does not start with postgres:// or postgresql://".into()
            ));
        }
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (url, None),
        };
        let mut schema = DEFAULT_SCHEMA.to_string();
        let mut rest = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair.split_once('=') {
                Some(("schema", v)) => schema = v.to_string(),
                _ if pair.is_empty() => {}
                _ => rest.push(pair),
            }
        }
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(bad(format!(
                "schema {schema:?} is not a plain SQL name (lower-case letters, digits and `_`, \
                 starting with a letter or `_`, at most 63 characters)"
            )));
        }
        let client_url = if rest.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        let mut config = postgres::Config::from_str(&client_url).map_err(|e| bad(e.to_string()))?;
        if config.get_hosts().is_empty() {
            return Err(bad("it names no host".into()));
        }
        if config.get_dbname().is_none() {
            return Err(bad(
                "it names no database (add /database after the host)".into()
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        Ok(StoreLocation {
            config,
            display: format!("{} (schema {schema})", redact_password(base)),
            schema,
        })
    }

    /// Opens a connection (no TLS: the store is meant for a trusted network or loopback).
    pub fn connect(&self) -> Result<postgres::Client, PgStoreError> {
        self.config
            .connect(postgres::NoTls)
            .map_err(|source| PgStoreError::Connect {
                url: self.to_string(),
                source,
            })
    }

    /// A short, file-name-safe key for this store (host, port, database, schema), used to
    /// name its cache folder.
    pub fn cache_key(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(postgres::config::Host::Unix(p)) => p.to_string_lossy().into_owned(),
            None => String::new(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let db = self.config.get_dbname().unwrap_or_default();
        let raw = format!("{host}_{port}_{db}_{}", self.schema);
        raw.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_schema_and_redacts_passwords() {
        let l =
            StoreLocation::parse("postgres://me:secret@db.example:6543/refs?schema=s_1").unwrap();
        assert_eq!(l.schema, "s_1");
        assert_eq!(
            l.to_string(),
            "postgres://me:***@db.example:6543/refs (schema s_1)"
        );
        assert_eq!(l.cache_key(), "db.example_6543_refs_s_1");
        let l = StoreLocation::parse("postgresql://me@localhost/refs?connect_timeout=3").unwrap();
        assert_eq!(l.schema, DEFAULT_SCHEMA);
        for bad in [
            "mysql://x@h/db",
            "postgres://me@h/db?schema=Bad-Name",
            "postgres://me@h/db?schema=",
            "postgres://me@h/db?nonsense=1",
            "postgres://me@h",
        ] {
            let e = StoreLocation::parse(bad).unwrap_err().to_string();
            assert!(e.contains("invalid PostgreSQL store URL"), "{bad}: {e}");
        }
        assert!(is_store_url("postgres://x") && !is_store_url("/data/ref"));
    }
}
