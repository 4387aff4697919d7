//! Service URLs in messages: the password never reaches a log line or an error.

/// `url` with the password of its user info replaced by `***`; a URL without one is returned
/// as it is. Only the authority (before the first `/` after `scheme://`) is looked at, so an
/// `@` in a path or query is left alone.
///
/// ```
/// use homolog_io::url::redact_password;
///
/// assert_eq!(
///     redact_password("postgres://me:secret@db:5432/refs"),
///     "postgres://me:***@db:5432/refs"
/// );
/// assert_eq!(redact_password("amqp://host/%2f"), "amqp://host/%2f");
/// ```
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn only_the_password_goes() {
        assert_eq!(
            redact_password("amqp://guest:secret@host:5672/%2f"),
            "amqp://guest:***@host:5672/%2f"
        );
        assert_eq!(
            redact_password("postgres://me:p@ss@db.example:6543/refs?schema=s"),
            "postgres://me:***@db.example:6543/refs?schema=s"
        );
        assert_eq!(redact_password("postgres://me@h/db"), "postgres://me@h/db");
        assert_eq!(
            redact_password("postgres://h/db?x=a@b"),
            "postgres://h/db?x=a@b"
        );
        assert_eq!(redact_password("not a url"), "not a url");
    }
}
