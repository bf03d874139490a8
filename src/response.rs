//! Rejection responses: RFC 6750 challenges, gRPC statuses, and the trait to replace them.
//!
//! | situation | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no token | 401 | `Bearer realm="…"` |
//! | two different tokens in one source | 400 | `Bearer realm="…", error="invalid_request", error_description="…"` |
//! | malformed, bad signature, expired, unknown key, wrong `iss`/`aud`, … | 401 | `Bearer realm="…", error="invalid_token", error_description="…"` |
//! | a required scope is missing, or a predicate forbids | 403 | `Bearer realm="…", error="insufficient_scope", error_description="…"[, scope="…"]` |
//! | cookie token on a cross-origin unsafe request | 403 | none (code `csrf`) |
//! | keys (or the clock) unavailable | 503 | none; `Retry-After` |
//! | on a layer with [`dpop`](crate::JwtAuthLayer::dpop): any 401 | 401 | `DPoP realm="…", algs="…"` first, then the `Bearer` one unless DPoP is required; the error on the scheme the request used (`invalid_dpop_proof`, `use_dpop_nonce` with `DPoP-Nonce`) |
//! | any of these on a gRPC request (`content-type: application/grpc*`) | 200 | none; `grpc-status` 16, 7 (403) or 14 (503), `grpc-message` |
//!
//! Every rejection carries `Cache-Control: no-store`, an empty body, and the [`AuthError`] in its
//! response extensions. With [`resource_metadata`](crate::JwtAuthLayer::resource_metadata) set,
//! every challenge also carries `resource_metadata="…"` (RFC 9728 §5.1).

use std::fmt::Write as _;

use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use crate::error::AuthError;

/// Default `realm` of the `WWW-Authenticate` challenge.
///
/// # Example
///
/// ```
/// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
/// assert_eq!(verifier.layer().challenge().realm(), tower_jwt_auth::DEFAULT_REALM);
/// # Ok::<_, tower_jwt_auth::ConfigError>(())
/// ```
pub const DEFAULT_REALM: &str = "api";

/// The layer's challenge: what goes into `WWW-Authenticate`.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{AuthError, response::Challenge};
///
/// let challenge = Challenge::new("orders");
/// let error = AuthError::insufficient_scope(vec!["admin".into()]);
/// let value = challenge.www_authenticate(&error).unwrap();
/// assert!(value.to_str()?.starts_with(r#"Bearer realm="orders", error="insufficient_scope""#));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Challenge {
    realm: String,
    resource_metadata: Option<String>,
    bare: HeaderValue,
    /// The `DPoP` challenge, on a layer that accepts DPoP.
    dpop: Option<DpopChallenge>,
}

/// A layer's `DPoP` challenge (RFC 9449 §7.1).
#[derive(Debug, Clone)]
struct DpopChallenge {
    /// The accepted proof algorithms, space-separated.
    algs: String,
    /// Whether the layer also accepts bearer tokens (and so offers a `Bearer` challenge).
    bearer: bool,
    bare: HeaderValue,
}

/// Keeps only the characters RFC 6750 §3 allows in a quoted parameter value
/// (`%x20-21 / %x23-5B / %x5D-7E`), replacing others with `_`.
fn sanitize(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e' => c,
            _ => '_',
        })
        .collect()
}

impl Challenge {
    /// A challenge for `realm` (sanitized to the RFC 6750 character set), without
    /// `resource_metadata`.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{AuthError, AuthErrorKind, response::Challenge};
    ///
    /// let missing = AuthError::new(AuthErrorKind::Missing, "no token");
    /// let value = Challenge::new("orders").www_authenticate(&missing).unwrap();
    /// assert_eq!(value, r#"Bearer realm="orders""#);
    /// ```
    #[must_use]
    pub fn new(realm: &str) -> Self {
        Self::build(realm, None, None)
    }

    /// A challenge for `realm` naming `resource_metadata`, with a `DPoP` challenge when `dpop`
    /// gives the proof algorithms and whether bearer tokens are accepted too.
    pub(crate) fn build(
        realm: &str,
        resource_metadata: Option<&str>,
        dpop: Option<(String, bool)>,
    ) -> Self {
        let realm = sanitize(realm);
        let resource_metadata = resource_metadata.map(sanitize);
        let mut challenge = Self {
            realm,
            resource_metadata,
            bare: HeaderValue::from_static("Bearer"),
            dpop: None,
        };
        challenge.bare = challenge.value("Bearer", None, None);
        if let Some((algs, bearer)) = dpop {
            let algs = sanitize(&algs);
            let bare = challenge.value("DPoP", Some(&algs), None);
            challenge.dpop = Some(DpopChallenge { algs, bearer, bare });
        }
        challenge
    }

    /// One challenge: `<scheme> realm="…"[, algs="…"][, resource_metadata="…"]`, then the
    /// error's parameters.
    fn value(&self, scheme: &str, algs: Option<&str>, error: Option<&AuthError>) -> HeaderValue {
        let mut value = format!("{scheme} realm=\"{}\"", self.realm);
        if let Some(algs) = algs {
            let _ = write!(value, ", algs=\"{algs}\"");
        }
        if let Some(url) = &self.resource_metadata {
            let _ = write!(value, ", resource_metadata=\"{url}\"");
        }
        let Some(error) = error else {
            return Self::header(value);
        };
        if let Some(code) = error.kind().rfc6750_error() {
            let _ = write!(value, ", error=\"{code}\"");
            let _ = write!(
                value,
                ", error_description=\"{}\"",
                sanitize(error.description())
            );
        }
        if let Some(scopes) = error.scopes()
            && !scopes.is_empty()
        {
            let _ = write!(value, ", scope=\"{}\"", sanitize(&scopes.join(" ")));
        }
        Self::header(value)
    }

    fn header(value: String) -> HeaderValue {
        HeaderValue::try_from(value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }

    /// The realm, with characters outside the RFC 6750 set replaced by `_`.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::response::Challenge;
    ///
    /// assert_eq!(Challenge::new("caf\u{e9} \"orders\"").realm(), "caf_ _orders_");
    /// ```
    #[must_use]
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The RFC 9728 protected-resource metadata URL the challenges name, if configured (see
    /// [`JwtAuthLayer::resource_metadata`](crate::JwtAuthLayer::resource_metadata)).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::response::Challenge;
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    ///
    /// let url = "https://api.example/.well-known/oauth-protected-resource";
    /// assert_eq!(Challenge::new("api").resource_metadata(), None);
    /// let auth = verifier.layer().resource_metadata(url);
    /// assert_eq!(auth.challenge().resource_metadata(), Some(url));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn resource_metadata(&self) -> Option<&str> {
        self.resource_metadata.as_deref()
    }

    /// The `WWW-Authenticate` value for `error`, or `None` where the response carries none
    /// (503s, and the CSRF guard's 403: those are not about the client's credentials).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{AuthError, AuthErrorKind, response::Challenge};
    ///
    /// let challenge = Challenge::new("api");
    /// let expired = AuthError::new(AuthErrorKind::Expired, "token expired");
    /// let value = challenge.www_authenticate(&expired).unwrap();
    /// assert_eq!(value, r#"Bearer realm="api", error="invalid_token", error_description="token expired""#);
    /// let down = AuthError::new(AuthErrorKind::KeysUnavailable, "keys unavailable");
    /// assert_eq!(challenge.www_authenticate(&down), None);
    /// ```
    #[must_use]
    pub fn www_authenticate(&self, error: &AuthError) -> Option<HeaderValue> {
        if !Self::challenges(error) {
            return None;
        }
        let dpop = self.dpop.as_ref().filter(|d| error.is_dpop() || !d.bearer);
        Some(match (dpop, Self::has_parameters(error)) {
            (Some(d), false) => d.bare.clone(),
            (Some(d), true) => self.value("DPoP", Some(&d.algs), Some(error)),
            (None, false) => self.bare.clone(),
            (None, true) => self.value("Bearer", None, Some(error)),
        })
    }

    /// Every `WWW-Authenticate` value the answer to `error` carries: on a layer that accepts
    /// DPoP, a `DPoP` challenge with the proof algorithms first, then the `Bearer` one unless
    /// DPoP is required; the error's parameters go on the scheme the request used (RFC 9449
    /// §7.1). Otherwise just [`www_authenticate`](Self::www_authenticate).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{AuthError, AuthErrorKind, dpop::Dpop};
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    ///
    /// let layer = verifier.layer().dpop(Dpop::new("https://api.example")?.algorithms([tower_jwt_auth::Algorithm::ES256])?);
    /// let expired = AuthError::new(AuthErrorKind::Expired, "token expired");
    /// let values = layer.challenge().www_authenticate_all(&expired);
    /// assert_eq!(values[0], r#"DPoP realm="api", algs="ES256""#);
    /// assert_eq!(values[1], r#"Bearer realm="api", error="invalid_token", error_description="token expired""#);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn www_authenticate_all(&self, error: &AuthError) -> Vec<HeaderValue> {
        let Some(dpop) = &self.dpop else {
            return self.www_authenticate(error).into_iter().collect();
        };
        if !Self::challenges(error) {
            return Vec::new();
        }
        let coded = Self::has_parameters(error);
        let on_dpop = error.is_dpop() || !dpop.bearer;
        let mut values = vec![if coded && on_dpop {
            self.value("DPoP", Some(&dpop.algs), Some(error))
        } else {
            dpop.bare.clone()
        }];
        if dpop.bearer {
            values.push(if coded && !on_dpop {
                self.value("Bearer", None, Some(error))
            } else {
                self.bare.clone()
            });
        }
        values
    }

    /// Whether the error adds parameters to the challenge: an `error` code, or scopes.
    fn has_parameters(error: &AuthError) -> bool {
        error.kind().rfc6750_error().is_some() || error.scopes().is_some_and(|s| !s.is_empty())
    }

    fn challenges(error: &AuthError) -> bool {
        error.status() != StatusCode::SERVICE_UNAVAILABLE && error.kind().challenges()
    }

    /// The default rejection response for `error` on a request with these headers: the RFC 6750
    /// answer, or the gRPC one for a gRPC request.
    pub(crate) fn response<B: Default>(
        &self,
        error: AuthError,
        request_headers: &HeaderMap,
    ) -> Response<B> {
        if is_grpc(request_headers) {
            return grpc_response(error);
        }
        let mut response = Response::new(B::default());
        *response.status_mut() = error.status();
        let headers = response.headers_mut();
        for value in self.www_authenticate_all(&error) {
            headers.append(WWW_AUTHENTICATE, value);
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if error.status() == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response.extensions_mut().insert(error);
        response
    }
}

/// Whether a request is a gRPC call (`content-type: application/grpc`, `+proto`, `+json`, …).
///
/// # Example
///
/// ```
/// use http::{HeaderMap, header::CONTENT_TYPE};
/// use tower_jwt_auth::response::is_grpc;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(CONTENT_TYPE, "application/grpc+proto".parse()?);
/// assert!(is_grpc(&headers));
/// headers.insert(CONTENT_TYPE, "application/grpc-web".parse()?);
/// assert!(!is_grpc(&headers));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn is_grpc(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.len() >= 16
            && v[..16].eq_ignore_ascii_case(b"application/grpc")
            && matches!(v.get(16), None | Some(b'+' | b';'))
    })
}

/// The gRPC status code for an error: 16 `UNAUTHENTICATED`, 7 `PERMISSION_DENIED` for 403s,
/// 14 `UNAVAILABLE` for 503s.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{AuthError, AuthErrorKind, response::grpc_status};
///
/// assert_eq!(grpc_status(&AuthError::new(AuthErrorKind::Expired, "token expired")), 16);
/// assert_eq!(grpc_status(&AuthError::insufficient_scope(vec!["admin".into()])), 7);
/// assert_eq!(grpc_status(&AuthError::new(AuthErrorKind::KeysUnavailable, "keys unavailable")), 14);
/// ```
#[must_use]
pub fn grpc_status(error: &AuthError) -> u16 {
    match error.status() {
        StatusCode::FORBIDDEN => 7,
        StatusCode::SERVICE_UNAVAILABLE => 14,
        _ => 16,
    }
}

/// A gRPC error answer built the way `tonic::Status::into_http` does: HTTP 200,
/// `content-type: application/grpc`, `grpc-status` and a percent-encoded `grpc-message`.
fn grpc_response<B: Default>(error: AuthError) -> Response<B> {
    let mut response = Response::new(B::default());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert("grpc-status", HeaderValue::from(grpc_status(&error)));
    let mut message = String::new();
    for byte in error.description().bytes() {
        // gRPC's percent-encoding: printable ASCII except `%` stays as is.
        if (0x20..=0x7e).contains(&byte) && byte != b'%' {
            message.push(char::from(byte));
        } else {
            let _ = write!(message, "%{byte:02X}");
        }
    }
    if let Ok(value) = HeaderValue::try_from(message) {
        headers.insert("grpc-message", value);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.extensions_mut().insert(error);
    response
}

mod responder;
#[cfg(test)]
mod tests;

pub(crate) use self::responder::{DPOP_NONCE, ErasedResponder, reject, respond};
pub use self::responder::{
    DefaultResponseForAuthError, ProblemJson, Rejection, ResponseForAuthError,
};
