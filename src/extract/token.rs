//! Where the token is read from: [`TokenSource`].
//!
//! Sources are tried in the configured order, and the first one that holds a token wins: later
//! sources are not read, so a stale or planted cookie never breaks a call that sends a bearer
//! header.
//!
//! | request | result |
//! |---|---|
//! | no token, or `Authorization` of another scheme (`Basic`, `DPoP`, a bare token) | no token: next source, finally 401 without `error` |
//! | `Bearer` with an empty token, or one outside the RFC 6750 `b64token` grammar | 401 `invalid_token` |
//! | two different tokens in one source (two `Authorization` headers, two cookies of the name) | 400 `invalid_request` |
//! | a token over the size limit | 401 `invalid_token` |
//!
//! [`TokenSource::query`] and [`TokenSource::websocket_protocol`] are opt-in sources for clients
//! that can set no header; the layer removes their token from the request before the handler.

use std::fmt;

use http::header::{AUTHORIZATION, COOKIE, SEC_WEBSOCKET_PROTOCOL};
use http::{HeaderMap, HeaderName};

use self::grammar::{as_b64token, cookie_values, trim_ows};
use self::sources::{protocol_values, query_values};
use crate::error::{AuthError, AuthErrorKind, ConfigError};

/// The most values one token source reads from a request (`Authorization`, `Cookie`, or the
/// configured header); more is a 400 `invalid_request`.
pub(crate) const MAX_HEADER_VALUES: usize = 32;

/// A place to look for the token.
///
/// # Example
///
/// ```
/// use http::{HeaderMap, HeaderName};
/// use tower_jwt_auth::TokenSource;
///
/// let sources = [
///     TokenSource::bearer(),                                  // Authorization: Bearer <token>
///     TokenSource::cookie("__Host-access_token")?,            // Cookie: __Host-access_token=<token>
///     TokenSource::header(HeaderName::from_static("x-auth")), // X-Auth: <token>
/// ];
/// let mut headers = HeaderMap::new();
/// headers.insert("cookie", "__Host-access_token=c.o.k".parse()?);
/// headers.insert("x-auth", "h.d.r".parse()?);
/// let found: Vec<_> = sources.iter().map(|s| s.extract(&headers)).collect::<Result<_, _>>()?;
/// assert_eq!(found, [None, Some("c.o.k"), Some("h.d.r")]);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSource(Kind);

#[derive(Clone, PartialEq, Eq)]
enum Kind {
    Bearer,
    /// `Authorization: DPoP <token>`: read by a layer that accepts DPoP, never configured.
    Dpop,
    /// A query parameter of this name.
    Query(String),
    /// A `Sec-WebSocket-Protocol` entry with this prefix.
    Protocol(String),
    Cookie(String),
    Header(HeaderName),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Bearer => f.write_str("TokenSource::bearer()"),
            Kind::Dpop => f.write_str("TokenSource::dpop()"),
            Kind::Query(name) => write!(f, "TokenSource::query({name:?})"),
            Kind::Protocol(prefix) => write!(f, "TokenSource::websocket_protocol({prefix:?})"),
            Kind::Cookie(name) => write!(f, "TokenSource::cookie({name:?})"),
            Kind::Header(name) => write!(f, "TokenSource::header({name:?})"),
        }
    }
}

/// What a source found.
pub(crate) enum Found<'a> {
    /// Nothing here: try the next source.
    Nothing,
    /// A token, in the `b64token` grammar and within the size limit.
    Token(&'a str),
    /// Something is here, but it can't be used.
    Invalid(AuthError),
}

impl fmt::Debug for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nothing => f.write_str("Nothing"),
            Self::Token(_) => f.write_str("Token(<redacted>)"),
            Self::Invalid(e) => f.debug_tuple("Invalid").field(e).finish(),
        }
    }
}

impl TokenSource {
    /// `Authorization: Bearer <token>` ([RFC 6750 §2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)):
    /// the scheme case-insensitive, one or more spaces after it. The default.
    ///
    /// # Example
    ///
    /// ```
    /// use http::HeaderMap;
    /// use tower_jwt_auth::TokenSource;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("authorization", "bearer  eyJ.eyJ.sig".parse()?);
    /// assert_eq!(TokenSource::bearer().extract(&headers)?, Some("eyJ.eyJ.sig"));
    /// headers.insert("authorization", "Basic dXNlcjpwYXNz".parse()?);
    /// assert_eq!(TokenSource::bearer().extract(&headers)?, None);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn bearer() -> Self {
        Self(Kind::Bearer)
    }

    /// A cookie of this name, from every `Cookie` header (HTTP/2 sends one per cookie).
    ///
    /// An empty cookie value counts as no token. A cookie is ambient authority (RFC 6750 §5.3),
    /// so for a token taken from it, unsafe methods pass the cross-origin guard first:
    /// `Sec-Fetch-Site: same-origin` or `none` passes, an `Origin` equal to the request's host or
    /// an origin the layer's [guard](crate::JwtAuthLayer::csrf_guard) trusts passes, a request with neither
    /// header passes (not a browser), and anything else gets 403 with code `csrf`.
    ///
    /// Set the cookie `HttpOnly; Secure; SameSite=Strict` (or `Lax`) with `Path=/`, and name it
    /// with the `__Host-` prefix (`__Host-access_token`): browsers accept such a cookie only from
    /// a secure origin and without `Domain`, so a sibling subdomain can't plant a second cookie
    /// of the same name (which this crate would answer with 400).
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidCookieName`] for a name outside the RFC 6265 token grammar.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{ConfigError, TokenSource};
    ///
    /// assert!(TokenSource::cookie("__Host-access_token").is_ok());
    /// assert!(matches!(
    ///     TokenSource::cookie("a=b"),
    ///     Err(ConfigError::InvalidCookieName { .. }),
    /// ));
    /// ```
    pub fn cookie(name: impl Into<String>) -> Result<Self, ConfigError> {
        let name = name.into();
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        if valid {
            Ok(Self(Kind::Cookie(name)))
        } else {
            Err(ConfigError::InvalidCookieName { name })
        }
    }

    /// A header whose whole value is the token (no scheme), e.g. `X-Auth-Token: <token>`.
    ///
    /// # Example
    ///
    /// ```
    /// use http::{HeaderMap, HeaderName};
    /// use tower_jwt_auth::TokenSource;
    ///
    /// let source = TokenSource::header(HeaderName::from_static("x-auth-token"));
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-auth-token", "eyJ.eyJ.sig".parse()?);
    /// assert_eq!(source.extract(&headers)?, Some("eyJ.eyJ.sig"));
    /// headers.insert("x-auth-token", "Bearer eyJ.eyJ.sig".parse()?);
    /// assert_eq!(source.extract(&headers).unwrap_err().code(), "malformed");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn header(name: HeaderName) -> Self {
        Self(Kind::Header(name))
    }

    /// `Authorization: DPoP <token>`, for a layer that accepts DPoP.
    pub(crate) fn dpop() -> Self {
        Self(Kind::Dpop)
    }

    /// The source's name in audit events: `bearer`, `dpop`, `cookie`, `header`, `query` or
    /// `websocket_protocol`.
    pub(crate) fn audit_name(&self) -> &'static str {
        match self.0 {
            Kind::Bearer => "bearer",
            Kind::Dpop => "dpop",
            Kind::Cookie(_) => "cookie",
            Kind::Header(_) => "header",
            Kind::Query(_) => "query",
            Kind::Protocol(_) => "websocket_protocol",
        }
    }

    /// The cookie name, for configuration checks.
    pub(crate) fn cookie_name(&self) -> Option<&str> {
        match &self.0 {
            Kind::Cookie(name) => Some(name),
            _ => None,
        }
    }

    /// The token this source finds in `headers`, read as the layer reads it, under the default
    /// size limit ([`DEFAULT_MAX_TOKEN_LEN`](crate::DEFAULT_MAX_TOKEN_LEN), 16 KiB; a verifier
    /// with another `max_token_len` checks its own limit in `verify`), for code that handles
    /// tokens outside a layer (a WebSocket upgrade, a login handler that reads the current
    /// session).
    ///
    /// # Errors
    ///
    /// The [`AuthError`] the layer would answer with: two different tokens (400
    /// `invalid_request`), an empty or malformed value, or one over the limit (401
    /// `invalid_token`).
    ///
    /// # Example
    ///
    /// ```
    /// use http::HeaderMap;
    /// use tower_jwt_auth::TokenSource;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("cookie", "theme=dark; at=eyJ.eyJ.sig".parse()?);
    /// let source = TokenSource::cookie("at")?;
    /// assert_eq!(source.extract(&headers)?, Some("eyJ.eyJ.sig"));
    /// assert_eq!(TokenSource::bearer().extract(&headers)?, None);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn extract<'a>(&self, headers: &'a HeaderMap) -> Result<Option<&'a str>, AuthError> {
        match self.find(headers, None, crate::verify::jws::DEFAULT_MAX_TOKEN_LEN) {
            Found::Nothing => Ok(None),
            Found::Token(token) => Ok(Some(token)),
            Found::Invalid(error) => Err(error),
        }
    }

    pub(crate) fn find<'a>(
        &self,
        headers: &'a HeaderMap,
        query: Option<&'a str>,
        max_len: usize,
    ) -> Found<'a> {
        if let Kind::Query(name) = &self.0 {
            let mut one = OneValue::default();
            if let Some(query) = query {
                query_values(query, name, |token| one.add(token));
            }
            return one.finish(max_len, true);
        }
        let name = match &self.0 {
            Kind::Bearer | Kind::Dpop => &AUTHORIZATION,
            Kind::Cookie(_) => &COOKIE,
            Kind::Header(name) => name,
            Kind::Protocol(_) => &SEC_WEBSOCKET_PROTOCOL,
            Kind::Query(_) => return Found::Nothing,
        };
        if headers
            .get_all(name)
            .iter()
            .nth(MAX_HEADER_VALUES)
            .is_some()
        {
            return Found::Invalid(AuthError::new(
                AuthErrorKind::InvalidRequest,
                "too many header values",
            ));
        }
        let mut one = OneValue::default();
        match &self.0 {
            Kind::Bearer | Kind::Dpop => {
                let scheme: &[u8] = if matches!(self.0, Kind::Dpop) {
                    b"dpop"
                } else {
                    b"bearer"
                };
                for value in headers.get_all(AUTHORIZATION) {
                    if let Some(token) = scheme_value(value.as_bytes(), scheme) {
                        one.add(token);
                    }
                }
            }
            Kind::Cookie(name) => {
                for value in headers.get_all(COOKIE) {
                    cookie_values(value.as_bytes(), name.as_bytes(), |token| one.add(token));
                }
            }
            Kind::Header(name) => {
                for value in headers.get_all(name) {
                    let token = trim_ows(value.as_bytes());
                    if !token.is_empty() {
                        one.add(token);
                    }
                }
            }
            Kind::Protocol(prefix) => {
                for value in headers.get_all(SEC_WEBSOCKET_PROTOCOL) {
                    protocol_values(value.as_bytes(), prefix.as_bytes(), |token| one.add(token));
                }
            }
            Kind::Query(_) => {}
        }
        one.finish(max_len, matches!(self.0, Kind::Bearer | Kind::Dpop))
    }
}

/// Collects the values found in one source; different values are a conflict.
#[derive(Default)]
struct OneValue<'a> {
    first: Option<&'a [u8]>,
    conflict: bool,
}

impl<'a> OneValue<'a> {
    fn add(&mut self, value: &'a [u8]) {
        match self.first {
            None => self.first = Some(value),
            Some(first) if first == value => {}
            Some(_) => self.conflict = true,
        }
    }

    fn finish(self, max_len: usize, bearer: bool) -> Found<'a> {
        let Some(token) = self.first else {
            return Found::Nothing;
        };
        if self.conflict {
            return Found::Invalid(AuthError::new(
                AuthErrorKind::InvalidRequest,
                "several different tokens in one request",
            ));
        }
        if token.is_empty() && bearer {
            return Found::Invalid(AuthError::malformed("empty bearer token"));
        }
        if token.len() > max_len {
            return Found::Invalid(AuthError::new(AuthErrorKind::TooLarge, "token too large"));
        }
        match as_b64token(token) {
            Some(token) => Found::Token(token),
            None => Found::Invalid(AuthError::malformed(
                "token has characters outside b64token",
            )),
        }
    }
}

/// The token of a credential of `scheme` (lower case; schemes compare case-insensitively), or
/// `None` for another scheme. May be empty.
fn scheme_value<'v>(value: &'v [u8], scheme_wanted: &[u8]) -> Option<&'v [u8]> {
    let value = trim_ows(value);
    let (scheme, rest) = match value.iter().position(|b| *b == b' ') {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(scheme_wanted) {
        return None;
    }
    let start = rest.iter().position(|b| *b != b' ').unwrap_or(rest.len());
    Some(&rest[start..])
}

mod grammar;
mod sources;
#[cfg(test)]
mod tests;
