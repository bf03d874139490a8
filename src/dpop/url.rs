//! The public URL a DPoP proof's `htu` must name, compared as RFC 9449 §4.3 says: scheme and
//! host case-insensitively, default ports dropped, query and fragment ignored.

use url::Url;

use crate::error::ConfigError;

/// The configured public base URL of the protected service (`https://api.example.com`, or with
/// a path prefix the proxy strips: `https://example.com/api`).
#[derive(Debug, Clone)]
pub(crate) struct PublicBase {
    /// Normalized by the URL parser: lower-case scheme and host, default port dropped, no
    /// trailing slash.
    base: String,
    /// The length of the base's path without its trailing `/` (`/api` → 4), computed once.
    base_path_len: usize,
}

impl PublicBase {
    pub(crate) fn parse(url: &str) -> Result<Self, ConfigError> {
        let bad = |reason| ConfigError::InvalidPublicUrl { reason };
        let parsed = Url::parse(url).map_err(|_| bad("is not a URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("is not an http or https URL"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(bad("carries user information"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad("has a query or fragment"));
        }
        let mut base = parsed.to_string();
        while base.ends_with('/') {
            base.pop();
        }
        let base_path_len = parsed.path().trim_end_matches('/').len();
        Ok(Self {
            base,
            base_path_len,
        })
    }

    /// The base, normalized (what `htu` is compared against, plus the request's path).
    pub(crate) fn as_str(&self) -> &str {
        &self.base
    }

    /// Whether a proof's `htu` names the request with this path: the same scheme, host, port
    /// and path after normalization; its query and fragment are ignored.
    ///
    /// A request path that normalization would change (dot segments, raw or percent-encoded;
    /// characters a URL encodes) matches nothing: the router sees the path as sent, and a proof
    /// for `/me` must not pass on `/a/../me`, which a router may send elsewhere.
    pub(crate) fn matches(&self, htu: &str, request_path: &str) -> bool {
        let Ok(htu) = Url::parse(htu) else {
            return false;
        };
        if !request_path.starts_with('/') {
            return false;
        }
        let raw = format!("{}{request_path}", self.base);
        let Ok(expected) = Url::parse(&raw) else {
            return false;
        };
        if expected.path().get(self.base_path_len..) != Some(request_path)
            || has_dot_segment(request_path)
        {
            return false;
        }
        htu.scheme() == expected.scheme()
            && htu.host() == expected.host()
            && htu.port_or_known_default() == expected.port_or_known_default()
            && htu.path() == expected.path()
            && htu.username().is_empty()
            && htu.password().is_none()
    }
}

/// Whether a path has a `.` or `..` segment, raw or percent-encoded (`%2e`), without allocating.
fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| match strip_dot(segment) {
        Some("") => true,
        Some(rest) => strip_dot(rest) == Some(""),
        None => false,
    })
}

/// `s` without one leading `.` or `%2e` (any case).
fn strip_dot(s: &str) -> Option<&str> {
    s.strip_prefix('.').or_else(|| {
        s.get(..3)
            .filter(|dot| dot.eq_ignore_ascii_case("%2e"))
            .map(|_| &s[3..])
    })
}

#[cfg(test)]
mod tests {
    use super::PublicBase;

    #[test]
    fn rfc9449_normalization() {
        let base = PublicBase::parse("https://API.Example.com:443").unwrap();
        assert_eq!(base.as_str(), "https://api.example.com");
        for same in [
            "https://api.example.com/me",
            "HTTPS://api.EXAMPLE.com/me",
            "https://api.example.com:443/me",
            "https://api.example.com/me?x=1",
            "https://api.example.com/me#frag",
            "https://api.example.com/a/../me",
            "https://api.example.com/%2e/me",
        ] {
            assert!(base.matches(same, "/me"), "{same}");
        }
        for other in [
            "http://api.example.com/me",
            "https://api.example.com:8443/me",
            "https://other.example.com/me",
            "https://api.example.com/me/",
            "https://api.example.com/ME",
            "https://user@api.example.com/me",
            "/me",
            "not a url",
        ] {
            assert!(!base.matches(other, "/me"), "{other}");
        }
    }

    #[test]
    fn request_paths_that_normalization_changes_match_nothing() {
        let base = PublicBase::parse("https://api.example.com").unwrap();
        for (htu, path) in [
            ("https://api.example.com/me", "/a/../me"),
            ("https://api.example.com/me", "/a/%2E%2E/me"),
            ("https://api.example.com/me", "/./me"),
            ("https://api.example.com/me", "*"),
            ("https://api.example.com/", ""),
        ] {
            assert!(!base.matches(htu, path), "{path}");
        }
        let prefixed = PublicBase::parse("https://host.example/api").unwrap();
        assert!(!prefixed.matches("https://host.example/admin", "/../admin"));
        assert!(prefixed.matches("https://host.example/api/..x/y", "/..x/y"));
    }

    #[test]
    fn dot_segments_in_every_spelling() {
        for dots in [".", "..", "%2e", "%2E", ".%2e", "%2E.", "%2e%2E"] {
            assert!(super::has_dot_segment(&format!("/a/{dots}/b")), "{dots}");
            assert!(super::has_dot_segment(&format!("/a/{dots}")), "{dots}");
        }
        for plain in [
            "...",
            "..x",
            ".x",
            "%2ex",
            "%2e%2e%2e",
            "%2",
            "%",
            "é.",
            "a..b",
        ] {
            assert!(!super::has_dot_segment(&format!("/a/{plain}/b")), "{plain}");
        }
        assert!(!super::has_dot_segment("/"));
    }

    #[test]
    fn a_path_prefix_is_kept_and_bad_bases_refused() {
        let base = PublicBase::parse("http://127.0.0.1:3000/api/").unwrap();
        assert!(base.matches("http://127.0.0.1:3000/api/me", "/me"));
        assert!(!base.matches("http://127.0.0.1:3000/me", "/me"));
        for bad in [
            "ftp://x.example",
            "https://u:p@x.example",
            "https://x.example/?q",
            "https://x.example/#f",
            "x.example",
        ] {
            assert!(PublicBase::parse(bad).is_err(), "{bad}");
        }
    }
}
