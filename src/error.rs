//! Why a request was refused ([`AuthError`]) and why a configuration was refused ([`ConfigError`]).

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use http::StatusCode;

/// Why a request was not authenticated.
///
/// `AuthError` is what the layer hands to its responder and puts into the rejection's response
/// extensions, and what [`Verifier::verify`](crate::Verifier::verify) returns. Its [`Display`](fmt::Display)
/// is a short fixed phrase: it never contains token content, claim values or key material. The
/// underlying `jsonwebtoken` error, where there is one, is kept in [`source()`](StdError::source).
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{AuthError, AuthErrorKind};
///
/// fn log_rejection(err: &AuthError) -> String {
///     format!("{} ({}) -> {}", err.code(), err, err.status())
/// }
/// # let _ = log_rejection;
/// ```
#[derive(Clone)]
pub struct AuthError {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: AuthErrorKind,
    description: &'static str,
    /// The scopes a 403 asks for (configuration values, never token content).
    scopes: Option<Arc<[String]>>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

/// The reason behind an [`AuthError`].
///
/// This enum may grow additional variants, so matching on it needs a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// No token was presented (401 without an `error` parameter, RFC 6750 §3.1).
    Missing,
    /// Several different tokens were presented in one place, e.g. two `Authorization` headers (400).
    InvalidRequest,
    /// The token is not a well-formed compact JWS: segments, base64url, JSON, or characters outside
    /// the RFC 6750 `b64token` grammar.
    Malformed,
    /// The token is larger than the configured limit.
    TooLarge,
    /// The header's `alg` is not on the allow-list, or does not fit the key.
    AlgNotAllowed,
    /// The header carries a member this crate refuses to process (`crit`, `cty`).
    UnsupportedHeader,
    /// The header's `typ` is not an accepted token type (RFC 8725 §3.11).
    WrongType,
    /// No key of the issuer matches the token's `kid` and algorithm.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// The token's `exp` has passed.
    Expired,
    /// The token's `nbf` is still in the future.
    NotYetValid,
    /// The token's `iss` is missing, not a string, or not a trusted issuer.
    WrongIssuer,
    /// The token's `aud` is missing or does not name an accepted audience.
    WrongAudience,
    /// A required claim is missing, or a registered claim has the wrong type.
    InvalidClaim,
    /// The token carries a `cnf` claim: it is bound to a key or certificate, not a bearer token.
    SenderConstrained,
    /// The keys needed to check the token are not available right now (503).
    KeysUnavailable,
    /// The server's clock gave no usable time (503): tokens can't be checked for expiry.
    ClockUnavailable,
    /// The token lacks a scope the route requires (403 `insufficient_scope`).
    InsufficientScope,
    /// A claims predicate forbids this request (403 `insufficient_scope`).
    Forbidden,
    /// A claims predicate found the token is not an access token for this service, e.g. a
    /// refresh token (401 `invalid_token`).
    NotAccepted,
    /// A cookie token on a cross-origin unsafe request (403, no challenge: the token is fine).
    Csrf,
    /// The token was revoked (401 `invalid_token`, "token revoked").
    Revoked,
    /// The revocation store could not answer in time, and the policy is to fail closed (503).
    RevocationUnavailable,
}

impl AuthErrorKind {
    /// The stable, machine-readable code for this reason (`"expired"`, `"bad_signature"`, …).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::InvalidRequest => "invalid_request",
            Self::Malformed => "malformed",
            Self::TooLarge => "too_large",
            Self::AlgNotAllowed => "alg_not_allowed",
            Self::UnsupportedHeader => "unsupported_header",
            Self::WrongType => "wrong_type",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::InvalidClaim => "invalid_claim",
            Self::SenderConstrained => "sender_constrained",
            Self::KeysUnavailable => "keys_unavailable",
            Self::ClockUnavailable => "clock_unavailable",
            Self::InsufficientScope => "insufficient_scope",
            Self::Forbidden => "forbidden",
            Self::NotAccepted => "not_accepted",
            Self::Csrf => "csrf",
            Self::Revoked => "revoked",
            Self::RevocationUnavailable => "revocation_unavailable",
        }
    }

    /// Whether the answer carries a `WWW-Authenticate` challenge (not for the CSRF guard: the
    /// token itself is fine; nor for 503s).
    #[must_use]
    pub const fn challenges(self) -> bool {
        !matches!(
            self,
            Self::Csrf
                | Self::KeysUnavailable
                | Self::ClockUnavailable
                | Self::RevocationUnavailable
        )
    }

    /// The HTTP status this reason answers with.
    #[must_use]
    pub const fn status(self) -> StatusCode {
        match self {
            Self::Missing
            | Self::Malformed
            | Self::TooLarge
            | Self::AlgNotAllowed
            | Self::UnsupportedHeader
            | Self::WrongType
            | Self::UnknownKey
            | Self::BadSignature
            | Self::Expired
            | Self::NotYetValid
            | Self::WrongIssuer
            | Self::WrongAudience
            | Self::InvalidClaim
            | Self::SenderConstrained
            | Self::NotAccepted
            | Self::Revoked => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope | Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::KeysUnavailable | Self::ClockUnavailable | Self::RevocationUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// The RFC 6750 §3.1 `error` code, or `None` where the challenge carries none.
    #[must_use]
    pub const fn rfc6750_error(self) -> Option<&'static str> {
        match self {
            Self::Missing
            | Self::KeysUnavailable
            | Self::ClockUnavailable
            | Self::RevocationUnavailable
            | Self::Csrf => None,
            Self::InvalidRequest => Some("invalid_request"),
            Self::InsufficientScope | Self::Forbidden => Some("insufficient_scope"),
            _ => Some("invalid_token"),
        }
    }
}

impl AuthError {
    /// An error of this kind, for a policy or responder of your own. The description is sent to
    /// the client (`error_description`), so it is a fixed phrase, never request content.
    ///
    /// # Example
    ///
    /// ```
    /// use http::StatusCode;
    /// use tower_jwt_auth::{AuthError, AuthErrorKind};
    ///
    /// let err = AuthError::new(AuthErrorKind::Forbidden, "tenant suspended");
    /// assert_eq!(err.status(), StatusCode::FORBIDDEN);
    /// assert_eq!(err.code(), "forbidden");
    /// assert_eq!(err.to_string(), "tenant suspended");
    /// ```
    #[must_use]
    pub fn new(kind: AuthErrorKind, description: &'static str) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                description,
                scopes: None,
                source: None,
            }),
        }
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// A 403 `insufficient_scope` naming the scopes the route needs (the challenge's `scope`).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::AuthError;
    ///
    /// let err = AuthError::insufficient_scope(vec!["orders:write".into()]);
    /// assert_eq!(err.code(), "insufficient_scope");
    /// assert_eq!(err.scopes(), Some(&["orders:write".to_owned()][..]));
    /// ```
    #[must_use]
    pub fn insufficient_scope(scopes: Vec<String>) -> Self {
        let mut error = Self::new(AuthErrorKind::InsufficientScope, "insufficient scope");
        error.inner.scopes = Some(scopes.into());
        error
    }

    pub(crate) fn missing() -> Self {
        Self::new(AuthErrorKind::Missing, "no token")
    }

    pub(crate) fn malformed(description: &'static str) -> Self {
        Self::new(AuthErrorKind::Malformed, description)
    }

    /// The reason for the rejection.
    #[must_use]
    pub fn kind(&self) -> AuthErrorKind {
        self.inner.kind
    }

    /// The stable, machine-readable code (see [`AuthErrorKind::code`]).
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.inner.kind.code()
    }

    /// The HTTP status this error answers with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.inner.kind.status()
    }

    /// The scopes a 403 asks for, if any.
    #[must_use]
    pub fn scopes(&self) -> Option<&[String]> {
        self.inner.scopes.as_deref()
    }

    /// A short description, safe to send to the client (RFC 6750 `error_description`).
    ///
    /// It is one of a fixed set of phrases and never contains token content or key material.
    #[must_use]
    pub fn description(&self) -> &'static str {
        self.inner.description
    }
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthError")
            .field("kind", &self.inner.kind)
            .field("description", &self.inner.description)
            .field("scopes", &self.inner.scopes)
            .field("source", &self.inner.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.inner.description)
    }
}

impl StdError for AuthError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

/// A JSON error without any of the input's text: its category and position only, since
/// serde_json's messages quote the values they stumble on (claim values, in a token).
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonError {
    category: serde_json::error::Category,
    line: usize,
    column: usize,
}

impl From<&serde_json::Error> for JsonError {
    fn from(e: &serde_json::Error) -> Self {
        Self {
            category: e.classify(),
            line: e.line(),
            column: e.column(),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.category {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "JSON of the wrong shape",
            serde_json::error::Category::Eof => "truncated JSON",
        };
        write!(f, "{what} at line {}, column {}", self.line, self.column)
    }
}

impl StdError for JsonError {}

mod config;
#[cfg(test)]
mod tests;

pub use self::config::ConfigError;
