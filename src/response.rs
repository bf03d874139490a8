//! Rejection responses: RFC 6750 challenges, and the trait to replace them.
//!
//! | situation | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no token | 401 | `Bearer realm="…"` |
//! | two different tokens in one source | 400 | `Bearer realm="…", error="invalid_request", error_description="…"` |
//! | malformed, bad signature, expired, unknown key, wrong `iss`/`aud`, … | 401 | `Bearer realm="…", error="invalid_token", error_description="…"` |
//! | keys unavailable | 503 | none; `Retry-After` |
//!
//! Every rejection carries `Cache-Control: no-store`, an empty body, and the [`AuthError`] in its
//! response extensions.

use std::fmt::Write as _;

use http::header::{CACHE_CONTROL, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Response};

use crate::error::AuthError;

/// The layer's challenge: what goes into `WWW-Authenticate`.
///
/// A custom [`ResponseForAuthError`] gets it with every error, to build the same header the
/// default responder would.
#[derive(Debug, Clone)]
pub struct Challenge {
    realm: String,
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
    /// A challenge for `realm` (sanitized to the RFC 6750 character set).
    #[must_use]
    pub fn new(realm: &str) -> Self {
        let realm = sanitize(realm);
        let bare = HeaderValue::try_from(format!("Bearer realm=\"{realm}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        Self { realm, bare }
    }

    /// The realm.
    #[must_use]
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The `WWW-Authenticate` value for `error`, or `None` where the response carries none
    /// (keys unavailable).
    #[must_use]
    pub fn www_authenticate(&self, error: &AuthError) -> Option<HeaderValue> {
        if error.status() == http::StatusCode::SERVICE_UNAVAILABLE {
            // Our outage, not a problem with the client's credentials.
            return None;
        }
        let Some(code) = error.kind().rfc6750_error() else {
            return Some(self.bare.clone());
        };
        let mut value = format!("Bearer realm=\"{}\", error=\"{code}\"", self.realm);
        let _ = write!(
            value,
            ", error_description=\"{}\"",
            sanitize(error.description())
        );
        Some(HeaderValue::try_from(value).unwrap_or_else(|_| self.bare.clone()))
    }

    /// The default rejection response for `error`: its status, the challenge,
    /// `Cache-Control: no-store`, `Retry-After` on 503, the error in the extensions, an empty body.
    #[must_use]
    pub fn response<B: Default>(&self, error: AuthError) -> Response<B> {
        let mut response = Response::new(B::default());
        *response.status_mut() = error.status();
        let headers = response.headers_mut();
        if let Some(value) = self.www_authenticate(&error) {
            headers.insert(WWW_AUTHENTICATE, value);
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if error.status() == http::StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response.extensions_mut().insert(error);
        response
    }
}

/// Builds the response for a refused request.
///
/// Implemented for closures `FnMut(AuthError, &Challenge) -> Response<B> + Clone`, so a custom
/// responder can add a body and still reuse the challenge.
///
/// # Example
///
/// ```
/// use http::{Response, header::CONTENT_TYPE};
/// use tower_jwt_auth::{AuthError, response::Challenge};
///
/// let responder = |error: AuthError, challenge: &Challenge| -> Response<String> {
///     let code = error.code();
///     let mut response = challenge.response::<String>(error);
///     *response.body_mut() = format!(r#"{{"error":"{code}"}}"#);
///     response.headers_mut().insert(CONTENT_TYPE, "application/json".parse().unwrap());
///     response
/// };
/// # let _ = responder;
/// ```
pub trait ResponseForAuthError<B>: Clone {
    /// The response for `error`.
    fn response_for_auth_error(&mut self, error: AuthError, challenge: &Challenge) -> Response<B>;
}

impl<F, B> ResponseForAuthError<B> for F
where
    F: FnMut(AuthError, &Challenge) -> Response<B> + Clone,
{
    fn response_for_auth_error(&mut self, error: AuthError, challenge: &Challenge) -> Response<B> {
        self(error, challenge)
    }
}

/// The default responder: [`Challenge::response`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultResponseForAuthError;

impl<B: Default> ResponseForAuthError<B> for DefaultResponseForAuthError {
    fn response_for_auth_error(&mut self, error: AuthError, challenge: &Challenge) -> Response<B> {
        challenge.response(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AuthErrorKind;

    #[test]
    fn realm_is_sanitized() {
        let c = Challenge::new("my \"realm\"\\é");
        assert_eq!(c.realm(), "my _realm___");
    }

    #[test]
    fn challenges_follow_rfc6750() {
        let c = Challenge::new("api");
        let missing = c.www_authenticate(&AuthError::missing()).unwrap();
        assert_eq!(missing, "Bearer realm=\"api\"");
        let expired = AuthError::new(AuthErrorKind::Expired, "token expired");
        assert_eq!(
            c.www_authenticate(&expired).unwrap(),
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"token expired\""
        );
        let unavailable = AuthError::new(AuthErrorKind::KeysUnavailable, "keys unavailable");
        assert!(c.www_authenticate(&unavailable).is_none());
        let response = c.response::<()>(unavailable);
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[RETRY_AFTER], "5");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    }
}
