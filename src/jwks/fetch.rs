//! One HTTP fetch of a JWKS (or a discovery document), bounded in time and size.

use std::fmt;
use std::time::Duration;

use http::HeaderValue;
use http::header::{ACCEPT, CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use reqwest::{StatusCode, Url};

/// The `User-Agent` of the crate's own HTTP client (some providers' firewalls refuse requests
/// without one).
pub(crate) const USER_AGENT: &str = concat!("tower-jwt-auth/", env!("CARGO_PKG_VERSION"));

/// Why a fetch failed. Its `Display` names the URL's origin and the reason, never a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FetchError {
    /// Connecting, sending or reading failed.
    Transport(String),
    /// The fetch took longer than the timeout.
    Timeout(Duration),
    /// The server answered with an unexpected status.
    Status(u16),
    /// The body is larger than the limit.
    TooLarge(usize),
    /// A redirect left the origin, or led to plain HTTP.
    Redirected(String),
    /// The document could not be used.
    Invalid(String),
    /// A key file could not be read.
    File(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(e) => write!(f, "request failed: {e}"),
            Self::Timeout(d) => write!(f, "no complete answer within {d:?}"),
            Self::Status(s) => write!(f, "HTTP status {s}"),
            Self::TooLarge(limit) => write!(f, "body larger than {limit} bytes"),
            Self::Redirected(to) => {
                write!(f, "redirected away from the configured origin, to {to}")
            }
            Self::Invalid(why) => write!(f, "unusable document: {why}"),
            Self::File(why) => write!(f, "key file: {why}"),
        }
    }
}

/// What a successful fetch brought.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// A new document.
    Body {
        body: Vec<u8>,
        etag: Option<HeaderValue>,
        max_age: CacheAge,
    },
    /// 304: the document we hold is still current.
    NotModified { max_age: CacheAge },
}

/// What `Cache-Control` said about freshness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheAge {
    /// No usable directive: use the default interval.
    Unspecified,
    /// `max-age=N` (0 for `no-cache`, `no-store`).
    Seconds(u64),
}

pub(crate) fn cache_age(value: Option<&HeaderValue>) -> CacheAge {
    let Some(value) = value.and_then(|v| v.to_str().ok()) else {
        return CacheAge::Unspecified;
    };
    let mut age = CacheAge::Unspecified;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return CacheAge::Seconds(0);
        }
        if let Some(n) = lower.strip_prefix("max-age=")
            && let Ok(n) = n.trim_matches('"').parse::<u64>()
        {
            age = CacheAge::Seconds(n);
        }
    }
    age
}

/// Whether a URL may be fetched: `https`, or `http` to a loopback host, or `http` anywhere when
/// the user asked for it by name.
pub(crate) fn check_scheme(url: &Url, allow_http: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http || is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "{} uses plain http: use https, or call `insecure_allow_http()` on the issuer",
            origin(url)
        )),
        other => Err(format!("unsupported URL scheme `{other}`")),
    }
}

/// Whether a `jwks_uri` that the discovery document at `config` named may be fetched: `https`,
/// or `http` when the user asked for it by name. The loopback exception of configured URLs
/// applies only when the document itself came from plain http on loopback (a local provider):
/// a remote provider can't point the fetcher at this machine's own plain-http services.
pub(crate) fn check_discovered_scheme(
    config: &Url,
    jwks_uri: &Url,
    allow_http: bool,
) -> Result<(), String> {
    let local = config.scheme() == "http" && is_loopback(config) && is_loopback(jwks_uri);
    match jwks_uri.scheme() {
        "https" => Ok(()),
        "http" if allow_http || local => Ok(()),
        "http" => Err(format!(
            "discovery names a plain http `jwks_uri` ({}): use https, or call \
             `insecure_allow_http()` on the issuer",
            origin(jwks_uri)
        )),
        other => Err(format!("unsupported `jwks_uri` scheme `{other}`")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `scheme://host:port`, for messages and origin checks (no path, no query, no credentials).
pub(crate) fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The redirect policy of the crate's own client: same origin only, at most 5 hops.
pub(crate) fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(Url::origin);
        if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else if first.is_some_and(|o| o != attempt.url().origin()) {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// Fetches `url`, within `timeout` for the whole exchange and `max_bytes` for the body.
pub(crate) async fn fetch(
    client: &reqwest::Client,
    url: &Url,
    etag: Option<&HeaderValue>,
    accept: &'static str,
    timeout: Duration,
    max_bytes: usize,
    allow_http: bool,
) -> Result<Fetched, FetchError> {
    let exchange = async {
        let mut request = client
            .get(url.clone())
            .header(ACCEPT, accept)
            .timeout(timeout);
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag.clone());
        }
        let mut response = request.send().await.map_err(|e| transport(&e, timeout))?;
        // A client handed in by the user may follow any redirect: check where we ended up.
        let final_url = response.url();
        if final_url.origin() != url.origin() || check_scheme(final_url, allow_http).is_err() {
            return Err(FetchError::Redirected(origin(final_url)));
        }
        let max_age = cache_age(response.headers().get(CACHE_CONTROL));
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_MODIFIED if etag.is_some() => {
                return Ok(Fetched::NotModified { max_age });
            }
            status => return Err(FetchError::Status(status.as_u16())),
        }
        if response
            .content_length()
            .is_some_and(|len| len > max_bytes as u64)
        {
            return Err(FetchError::TooLarge(max_bytes));
        }
        let new_etag = response.headers().get(ETAG).cloned();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e, timeout))? {
            if body.len() + chunk.len() > max_bytes {
                return Err(FetchError::TooLarge(max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            body,
            etag: new_etag,
            max_age,
        })
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(FetchError::Timeout(timeout)))
}

/// A reqwest error as a short phrase, without the URL's query or anything from a body.
fn transport(e: &reqwest::Error, timeout: Duration) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout(timeout);
    }
    FetchError::Transport(describe(e))
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "could not connect".to_owned()
    } else if e.is_redirect() {
        "redirect refused".to_owned()
    } else if e.is_body() || e.is_decode() {
        "the body could not be read".to_owned()
    } else {
        "transport error".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_directives() {
        let age = |v: &str| cache_age(Some(&HeaderValue::from_str(v).unwrap()));
        assert_eq!(age("public, max-age=3600"), CacheAge::Seconds(3600));
        assert_eq!(age("max-age=0"), CacheAge::Seconds(0));
        assert_eq!(age("no-cache"), CacheAge::Seconds(0));
        assert_eq!(age("max-age=60, no-store"), CacheAge::Seconds(0));
        assert_eq!(age("public"), CacheAge::Unspecified);
        assert_eq!(age("max-age=abc"), CacheAge::Unspecified);
        assert_eq!(cache_age(None), CacheAge::Unspecified);
    }

    #[test]
    fn plain_http_only_to_loopback_unless_asked() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(check_scheme(&url("https://idp.example/keys"), false).is_ok());
        assert!(check_scheme(&url("http://127.0.0.1:8080/keys"), false).is_ok());
        assert!(check_scheme(&url("http://[::1]/keys"), false).is_ok());
        assert!(check_scheme(&url("http://localhost/keys"), false).is_ok());
        assert!(check_scheme(&url("http://idp.example/keys"), false).is_err());
        assert!(check_scheme(&url("http://idp.example/keys"), true).is_ok());
        assert!(check_scheme(&url("ftp://idp.example/keys"), true).is_err());
    }

    #[test]
    fn a_discovered_jwks_uri_gets_no_loopback_exception_from_a_remote_provider() {
        let url = |s: &str| Url::parse(s).unwrap();
        let remote = url("https://idp.example/.well-known/openid-configuration");
        let local = url("http://127.0.0.1:8080/.well-known/openid-configuration");
        let check = check_discovered_scheme;
        assert!(check(&remote, &url("https://keys.example/jwks"), false).is_ok());
        assert!(check(&remote, &url("http://127.0.0.1:6379/"), false).is_err());
        assert!(check(&remote, &url("http://localhost/jwks"), false).is_err());
        assert!(check(&remote, &url("http://keys.example/jwks"), false).is_err());
        assert!(check(&remote, &url("http://keys.example/jwks"), true).is_ok());
        assert!(check(&local, &url("http://127.0.0.1:8080/jwks"), false).is_ok());
        assert!(check(&local, &url("http://keys.example/jwks"), false).is_err());
        assert!(check(&remote, &url("file:///etc/passwd"), true).is_err());
    }
}
