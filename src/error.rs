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
    pub(crate) fn new(kind: AuthErrorKind, description: &'static str) -> Self {
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

    /// A 403 `insufficient_scope` naming the scopes the route needs.
    pub(crate) fn insufficient_scope(scopes: Vec<String>) -> Self {
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

/// Why [`JwtAuthBuilder::build`](crate::JwtAuthBuilder::build) refused a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No issuer was configured.
    NoIssuer,
    /// Two issuers were configured with the same `iss`.
    DuplicateIssuer {
        /// The issuer identifier given twice.
        issuer: String,
    },
    /// No audience was configured and `insecure_skip_audience()` was not called (RFC 8725 §3.9).
    NoAudience,
    /// The algorithm allow-list is empty after filtering.
    NoAlgorithms,
    /// An HMAC secret is shorter than the hash of an allowed HS* algorithm (RFC 7518 §3.2).
    WeakHmacSecret {
        /// The issuer the secret belongs to.
        issuer: String,
        /// The shortest length the allowed algorithms need, in bytes.
        min_len: usize,
        /// The secret's length, in bytes.
        len: usize,
    },
    /// A key set given as JSON could not be read at all (not a JSON object with a `keys` array).
    InvalidKeySet {
        /// The issuer the key set belongs to.
        issuer: String,
        /// What was wrong.
        reason: String,
    },
    /// A key set holds no key usable with the allowed algorithms.
    NoUsableKeys {
        /// The issuer the key set belongs to.
        issuer: String,
        /// Why each key was skipped.
        skipped: Vec<String>,
    },
    /// A PEM key could not be read as an RSA, EC (P-256/P-384) or Ed25519 public key.
    InvalidPem {
        /// The issuer the key belongs to.
        issuer: String,
        /// What was wrong.
        reason: String,
    },
    /// A key set or discovery URL is not usable (not a URL, or plain http to a remote host).
    InvalidUrl {
        /// The issuer the URL belongs to.
        issuer: String,
        /// What was wrong.
        reason: String,
    },
    /// Remote key sets need a tokio runtime to run their refresher: call `build()` inside one.
    NoRuntime,
    /// The default HTTP client could not be built.
    HttpClient(String),
    /// A configured value is out of range or not usable.
    InvalidValue {
        /// The builder setting.
        setting: &'static str,
        /// What was wrong.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoIssuer => f.write_str("no issuer configured: add one with `.issuer(Issuer::…)`"),
            Self::DuplicateIssuer { issuer } => write!(f, "issuer `{issuer}` is configured twice"),
            Self::NoAudience => f.write_str(
                "no audience configured: set `.audience(…)` (RFC 8725 §3.9) or call `insecure_skip_audience()`",
            ),
            Self::NoAlgorithms => f.write_str("the algorithm allow-list is empty"),
            Self::WeakHmacSecret { issuer, min_len, len } => write!(
                f,
                "HMAC secret of issuer `{issuer}` is {len} bytes; the allowed algorithms need at least {min_len} (RFC 7518 §3.2)"
            ),
            Self::InvalidKeySet { issuer, reason } => {
                write!(f, "key set of issuer `{issuer}` is not a JWKS: {reason}")
            }
            Self::NoUsableKeys { issuer, skipped } => {
                write!(f, "key set of issuer `{issuer}` has no usable key")?;
                if !skipped.is_empty() {
                    write!(f, " (skipped: {})", skipped.join("; "))?;
                }
                Ok(())
            }
            Self::InvalidPem { issuer, reason } => {
                write!(f, "PEM key of issuer `{issuer}` is not usable: {reason}")
            }
            Self::InvalidUrl { issuer, reason } => {
                write!(f, "key set URL of issuer `{issuer}`: {reason}")
            }
            Self::NoRuntime => f.write_str(
                "remote key sets need a tokio runtime for their refresher: call `build()` inside one",
            ),
            Self::HttpClient(reason) => write!(f, "could not build the HTTP client: {reason}"),
            Self::InvalidValue { setting, reason } => write!(f, "`{setting}`: {reason}"),
        }
    }
}

impl StdError for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_fixed_description() {
        let err = AuthError::new(AuthErrorKind::Expired, "token expired");
        assert_eq!(err.to_string(), "token expired");
        assert_eq!(err.code(), "expired");
        assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(err.kind().rfc6750_error(), Some("invalid_token"));
    }

    #[test]
    fn missing_and_keys_unavailable_carry_no_rfc6750_error() {
        assert_eq!(AuthErrorKind::Missing.rfc6750_error(), None);
        assert_eq!(AuthErrorKind::KeysUnavailable.rfc6750_error(), None);
        assert_eq!(
            AuthErrorKind::KeysUnavailable.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            AuthErrorKind::InvalidRequest.status(),
            StatusCode::BAD_REQUEST
        );
    }
}
