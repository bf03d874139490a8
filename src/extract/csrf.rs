//! The cross-origin guard for tokens taken from a cookie (RFC 6750 §5.3).
//!
//! A cookie is ambient authority: the browser attaches it to requests other sites make. So for a
//! token read from a cookie, an unsafe method (anything but `GET`, `HEAD`, `OPTIONS`) must come
//! from the site itself. The rules are the cross-origin scheme of Go 1.25's
//! `CrossOriginProtection`, also used by tower-http 0.7's `csrf` module:
//!
//! 1. safe methods pass, except a WebSocket upgrade (`GET` with `Upgrade: websocket`): a page
//!    of any site can open a WebSocket with the user's cookies (cross-site WebSocket hijacking),
//!    and the browser sends `Origin` on every one;
//! 2. `Sec-Fetch-Site: same-origin` or `none` passes, any other value is refused (unless its
//!    `Origin` is trusted);
//! 3. a request with neither `Sec-Fetch-Site` nor `Origin` passes (a non-browser client, or a
//!    same-origin request of an old browser);
//! 4. an `Origin` whose host and port equal the request's `Host` passes;
//! 5. an `Origin` configured as trusted passes; anything else is refused.
//!
//! A refused request gets 403 with error code `csrf` and no `WWW-Authenticate`: the token is fine.
//! A token from the `Authorization` header is never subject to the guard.

use std::collections::HashSet;

use http::uri::Authority;
use http::{HeaderMap, Method, Uri};
use url::Url;

use crate::error::{AuthError, AuthErrorKind, ConfigError};

mod layer;

/// Whether a request asks to become a WebSocket (`Upgrade: websocket`, RFC 6455 §4.1; the
/// token compared case-insensitively, in any of the header's values).
fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers.get_all(http::header::UPGRADE).iter().any(|value| {
        value
            .as_bytes()
            .split(|b| *b == b',')
            .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    })
}

pub use self::layer::{Csrf, CsrfLayer};

/// Why the guard refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrossOrigin {
    /// `Sec-Fetch-Site` says the request came from another origin.
    Request,
    /// No `Sec-Fetch-Site`, and an `Origin` that is neither the host nor trusted.
    FromOldBrowser,
}

impl From<CrossOrigin> for AuthError {
    fn from(reason: CrossOrigin) -> Self {
        let description = match reason {
            CrossOrigin::Request => "cross-origin request refused",
            CrossOrigin::FromOldBrowser => "cross-origin request from an old browser refused",
        };
        Self::new(AuthErrorKind::Csrf, description)
    }
}

/// The cross-origin check on its own, for routes that take no token but must not be driven by
/// other sites either (a login form: a foreign page must not log a victim into the attacker's
/// account).
///
/// # Example
///
/// ```
/// use http::{Method, Request};
/// use tower_jwt_auth::csrf::CsrfGuard;
///
/// let guard = CsrfGuard::new(["https://app.example.com"])?;
/// let req = Request::post("/login").header("sec-fetch-site", "cross-site").body(())?;
/// let refused = guard.check(req.method(), req.uri(), req.headers()).unwrap_err();
/// assert_eq!(refused.code(), "csrf");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CsrfGuard {
    trusted: HashSet<String>,
}

/// An origin as browsers serialize it (RFC 6454): `scheme://host[:port]`, lower case, default
/// port left out. `None` unless it is an `http`/`https` origin with nothing after the host.
fn canonical_origin(text: &str) -> Option<String> {
    let url = Url::parse(text).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
        || !matches!(url.path(), "" | "/")
    {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

impl CsrfGuard {
    /// A guard trusting these origins (e.g. `https://app.example.com`) besides the request's own.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for a value that is not an `http`/`https` origin.
    ///
    /// # Example
    ///
    /// ```
    /// use http::Request;
    /// use tower_jwt_auth::{ConfigError, csrf::CsrfGuard};
    ///
    /// let guard = CsrfGuard::new(["https://app.example.com"])?;
    /// let req = Request::post("https://api.example.com/orders")
    ///     .header("origin", "https://app.example.com")
    ///     .header("sec-fetch-site", "same-site")
    ///     .body(())?;
    /// assert!(guard.check(req.method(), req.uri(), req.headers()).is_ok());
    /// let not_an_origin = CsrfGuard::new(["app.example.com"]);
    /// assert!(matches!(not_an_origin, Err(ConfigError::InvalidOrigin { .. })));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn new<'a>(trusted: impl IntoIterator<Item = &'a str>) -> Result<Self, ConfigError> {
        let mut set = HashSet::new();
        for origin in trusted {
            let canonical = canonical_origin(origin).ok_or_else(|| ConfigError::InvalidOrigin {
                origin: origin.to_owned(),
            })?;
            set.insert(canonical);
        }
        Ok(Self { trusted: set })
    }

    /// Applies the five rules to a request; a refusal is an [`AuthError`] with code `csrf`
    /// (403, no `WWW-Authenticate`).
    ///
    /// # Errors
    ///
    /// The refusal, when the request is an unsafe cross-origin one.
    ///
    /// # Example
    ///
    /// ```
    /// use http::Request;
    /// use tower_jwt_auth::csrf::CsrfGuard;
    ///
    /// let guard = CsrfGuard::default();
    /// let get = Request::get("/").header("sec-fetch-site", "cross-site").body(())?;
    /// assert!(guard.check(get.method(), get.uri(), get.headers()).is_ok()); // a safe method
    /// let post = Request::post("http://shop.example/cart").header("origin", "https://evil.example").body(())?;
    /// let refused = guard.check(post.method(), post.uri(), post.headers()).unwrap_err();
    /// assert_eq!((refused.code(), refused.status().as_u16()), ("csrf", 403));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Result<(), AuthError> {
        self.verify(method, uri, headers).map_err(AuthError::from)
    }

    /// Applies the five rules to a request.
    pub(crate) fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), CrossOrigin> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
            && !is_websocket_upgrade(headers)
        {
            return Ok(());
        }
        let origin = headers
            .get(http::header::ORIGIN)
            .map(http::HeaderValue::as_bytes);
        let origin_url = origin
            .filter(|o| !o.is_empty())
            .and_then(|o| std::str::from_utf8(o).ok())
            .and_then(|o| Url::parse(o).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let trusted = || {
            origin_url
                .as_ref()
                .and_then(|u| canonical_origin(u.as_str()))
                .is_some_and(|o| self.trusted.contains(&o))
        };

        // The Fetch standard sends these values in lower case: compare bytes exactly.
        match headers
            .get("sec-fetch-site")
            .map(http::HeaderValue::as_bytes)
        {
            Some(b"same-origin" | b"none") => return Ok(()),
            None | Some(b"") => {}
            Some(_) if trusted() => return Ok(()),
            Some(_) => return Err(CrossOrigin::Request),
        }
        if matches!(origin, None | Some(b"")) {
            return Ok(());
        }
        if let Some(url) = &origin_url
            && same_host(url, uri, headers)
        {
            return Ok(());
        }
        if trusted() {
            return Ok(());
        }
        Err(CrossOrigin::FromOldBrowser)
    }
}

/// Whether the `Origin` names the host and port the request was sent to. `Host` carries no
/// scheme, so an implicit port there is the `Origin` scheme's default (an http→https difference
/// can't be seen here; HSTS covers it).
fn same_host(origin: &Url, uri: &Uri, headers: &HeaderMap) -> bool {
    let authority = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<Authority>().ok());
    let (host, port) = match &authority {
        Some(a) => (Some(a.host()), a.port_u16()),
        None => (uri.host(), uri.port_u16()),
    };
    let (Some(origin_host), Some(host)) = (origin.host_str(), host) else {
        return false;
    };
    let default_port = match origin.scheme() {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    };
    origin_host.eq_ignore_ascii_case(host)
        && origin.port().or(default_port) == port.or(default_port)
}

#[cfg(test)]
mod tests;
