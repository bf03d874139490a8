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
/// let err = AuthError::new(AuthErrorKind::Forbidden, "tenant suspended");
/// assert_eq!(log_rejection(&err), "forbidden (tenant suspended) -> 403 Forbidden");
/// ```
#[derive(Clone)]
pub struct AuthError {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: AuthErrorKind,
    description: &'static str,
    /// The scopes a 403 asks for, or a 401 without a token names (configuration values, never
    /// token content).
    scopes: Option<Arc<[String]>>,
    /// The request presented its token with the `DPoP` scheme: the error goes on that challenge.
    dpop: bool,
    /// A fresh server nonce for the `DPoP-Nonce` header of the answer.
    dpop_nonce: Option<http::HeaderValue>,
    /// Where the refusal happened, for the audit event.
    trail: Trail,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

/// The reason behind an [`AuthError`].
///
/// This enum may grow additional variants, so matching on it needs a wildcard arm.
///
/// ```
/// use tower_jwt_auth::{Algorithm, AuthErrorKind, JwsVerifier};
///
/// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]);
/// # let verifier = JwsVerifier::from_jwks(&key.jwks(), [Algorithm::HS256])?;
/// let err = verifier.verify("not.a.token").unwrap_err();
/// let try_again_later = match err.kind() {
///     AuthErrorKind::KeysUnavailable | AuthErrorKind::RevocationUnavailable => true,
///     _ => false,
/// };
/// assert_eq!(err.kind(), AuthErrorKind::Malformed);
/// assert!(!try_again_later);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
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
    /// The DPoP proof is missing or fails a check of RFC 9449 §4.3 (401 `invalid_dpop_proof`).
    InvalidDpopProof,
    /// The DPoP proof's `jti` was already accepted inside the proof window (401
    /// `invalid_dpop_proof`, "proof replayed").
    DpopReplayed,
    /// The DPoP proof lacks a current server nonce (401 `use_dpop_nonce` and a `DPoP-Nonce`
    /// header with a fresh one, RFC 9449 §9).
    UseDpopNonce,
    /// The route requires DPoP and the token came as a bearer token (401 `invalid_token` with a
    /// `DPoP` challenge).
    DpopRequired,
    /// The token's `cnf` does not match the proof key or client certificate it came with, or a
    /// DPoP proof came with a token that is not bound to a key (401 `invalid_token`).
    BindingMismatch,
    /// The DPoP replay cache could not answer (Redis down or late) or is full (503).
    ReplayCacheUnavailable,
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
                dpop: false,
                dpop_nonce: None,
                trail: Trail::default(),
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

    /// Names the scopes the route needs (the challenge's `scope`).
    pub(crate) fn with_scopes(mut self, scopes: Arc<[String]>) -> Self {
        self.inner.scopes = Some(scopes);
        self
    }

    pub(crate) fn missing() -> Self {
        Self::new(AuthErrorKind::Missing, "no token")
    }

    pub(crate) fn malformed(description: &'static str) -> Self {
        Self::new(AuthErrorKind::Malformed, description)
    }

    /// The reason for the rejection.
    ///
    /// ```
    /// use tower_jwt_auth::AuthErrorKind;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]);
    /// # let expired = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": 1_000_000_000}));
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// let err = verifier.verify(&expired).await.unwrap_err();
    /// assert_eq!(err.kind(), AuthErrorKind::Expired);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn kind(&self) -> AuthErrorKind {
        self.inner.kind
    }

    /// The stable, machine-readable code (see [`AuthErrorKind::code`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]);
    /// # let expired = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": 1_000_000_000}));
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// assert_eq!(verifier.verify(&expired).await.unwrap_err().code(), "expired");
    /// assert_eq!(verifier.verify("not a token").await.unwrap_err().code(), "malformed");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.inner.kind.code()
    }

    /// The HTTP status this error answers with.
    ///
    /// ```
    /// use http::StatusCode;
    /// use tower_jwt_auth::AuthError;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]);
    /// # let expired = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": 1_000_000_000}));
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// assert_eq!(verifier.verify(&expired).await.unwrap_err().status(), StatusCode::UNAUTHORIZED);
    /// let err = AuthError::insufficient_scope(vec!["orders:write".into()]);
    /// assert_eq!(err.status(), StatusCode::FORBIDDEN);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.inner.kind.status()
    }

    /// The scopes a 403 asks for, if any; a 401 for a missing token names them too on a layer
    /// with scope policies.
    ///
    /// ```
    /// use tower_jwt_auth::AuthError;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]);
    /// # let expired = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": 1_000_000_000}));
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// let err = AuthError::insufficient_scope(vec!["orders:read".into(), "orders:write".into()]);
    /// assert_eq!(err.scopes().map(<[String]>::len), Some(2));
    /// assert_eq!(verifier.verify(&expired).await.unwrap_err().scopes(), None);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn scopes(&self) -> Option<&[String]> {
        self.inner.scopes.as_deref()
    }

    /// A short description, safe to send to the client (RFC 6750 `error_description`).
    ///
    /// It is one of a fixed set of phrases and never contains token content or key material.
    /// [`Display`](fmt::Display) writes the same phrase.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]);
    /// # let expired = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": 1_000_000_000}));
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// let err = verifier.verify(&expired).await.unwrap_err();
    /// assert_eq!(err.description(), "token expired");
    /// assert_eq!(err.to_string(), err.description());
    /// # Ok(()) }
    /// ```
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
            .field("dpop", &self.is_dpop())
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

mod audit;
mod config;
mod dpop;
mod kind;
#[cfg(test)]
mod tests;

pub(crate) use self::audit::Trail;
pub use self::config::ConfigError;
