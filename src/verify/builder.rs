//! [`VerifierBuilder`]: everything about tokens and keys, finished into a [`Verifier`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use super::Verifier;
use crate::claims::RegisteredClaims;
use crate::clock::{Clock, SystemClock};
use crate::jwks::Issuer;
use crate::revocation::{DEFAULT_REVOCATION_DEADLINE, FailurePolicy, Revocation};
use crate::verify::jws::{DEFAULT_MAX_KEYS, DEFAULT_MAX_TOKEN_LEN, TypPolicy};

mod limits;
mod policy;
mod revocation;

/// Default leeway for `exp` and `nbf`: 60 seconds.
///
/// # Example
///
/// ```
/// # use tower_jwt_auth::{Issuer, Verifier, clock::FixedClock, testing::TestKey};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
/// # let verifier = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").clock(FixedClock(1_700_000_000.0)).build()?;
/// # let expired_ago = |secs: u64| key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": 1_700_000_000 - secs}));
/// use tower_jwt_auth::DEFAULT_LEEWAY;
/// // A token expired 59 s ago still passes, one expired 60 s ago doesn't.
/// assert!(verifier.verify(&expired_ago(DEFAULT_LEEWAY.as_secs() - 1)).await.is_ok());
/// let error = verifier.verify(&expired_ago(DEFAULT_LEEWAY.as_secs())).await.unwrap_err();
/// assert_eq!(error.code(), "expired");
/// # Ok(())
/// # }
/// ```
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// Default limit on the nesting of arrays and objects in a claim set: 16.
///
/// # Example
///
/// ```
/// # use serde_json::json;
/// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
/// # let verifier = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").build()?;
/// # let nested = |depth: usize| { let mut x = json!(1); for _ in 1..depth { x = json!([x]); } key.token(&json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60, "x": x})) };
/// use tower_jwt_auth::DEFAULT_MAX_CLAIMS_DEPTH;
/// // `nested(n)`: a token whose claim set is n levels deep, the outer object included.
/// assert!(verifier.verify(&nested(DEFAULT_MAX_CLAIMS_DEPTH)).await.is_ok());
/// let error = verifier.verify(&nested(DEFAULT_MAX_CLAIMS_DEPTH + 1)).await.unwrap_err();
/// assert_eq!(error.code(), "malformed");
/// # Ok(())
/// # }
/// ```
pub const DEFAULT_MAX_CLAIMS_DEPTH: usize = 16;

/// Default capacity of the verified-token cache, in tokens: 10,000.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{DEFAULT_TOKEN_CACHE, DEFAULT_TOKEN_CACHE_BYTES};
///
/// assert_eq!(DEFAULT_TOKEN_CACHE, 10_000);
/// // Each entry weighs at least budget / capacity: 3,355 bytes at the defaults.
/// assert_eq!(DEFAULT_TOKEN_CACHE_BYTES / DEFAULT_TOKEN_CACHE, 3_355);
/// ```
pub const DEFAULT_TOKEN_CACHE: u64 = 10_000;

/// Default byte budget of the verified-token cache: 32 MiB (claims are weighed at twice their
/// JSON size plus 512 bytes an entry).
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{DEFAULT_TOKEN_CACHE, DEFAULT_TOKEN_CACHE_BYTES};
///
/// // A 16 KiB token (the size limit) carries at most 12 KiB of claims, weighed at
/// // 2 × 12 KiB + 512 bytes: the budget holds 1,337 of them, not 10,000.
/// let per_entry = 2 * 12 * 1024 + 512;
/// assert_eq!(DEFAULT_TOKEN_CACHE_BYTES / per_entry, 1_337);
/// assert!(DEFAULT_TOKEN_CACHE_BYTES / per_entry < DEFAULT_TOKEN_CACHE);
/// ```
pub const DEFAULT_TOKEN_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// The verified-token cache's default: on, unless the `testing` feature is on and the
/// environment says `TOWER_JWT_AUTH_TOKEN_CACHE=off` (so a test suite can run with the cache
/// off throughout).
fn default_token_cache() -> Option<u64> {
    #[cfg(feature = "testing")]
    if std::env::var_os("TOWER_JWT_AUTH_TOKEN_CACHE").is_some_and(|v| v == "off") {
        return None;
    }
    Some(DEFAULT_TOKEN_CACHE)
}

impl Verifier {
    /// A builder for a verifier of [`RegisteredClaims`]; pick your own claims type with
    /// [`VerifierBuilder::claims`].
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    ///     .audience("api://orders")
    ///     .algorithms([Algorithm::HS256])
    ///     .build()?;
    /// assert_eq!(verifier.status().len(), 1);
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::new()
    }
}

/// Builds a [`Verifier`]: issuers and their keys, algorithms, audiences, the claim policy,
/// limits, the verified-token cache, revocation and the clock. Request-side settings (token
/// sources, realm, policies, responder) belong to [`JwtAuthLayer`](crate::JwtAuthLayer).
///
/// Setters take and return the builder by value; nothing is checked until
/// [`build`](Self::build), which returns a [`ConfigError`](crate::ConfigError) for an unusable configuration and
/// never panics. Each setting is read by `build()`; one that would be ignored (for example
/// `revocation_fail_open()` without a store) is a [`ConfigError`](crate::ConfigError).
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
///
/// #[derive(Debug, serde::Deserialize)]
/// struct MyClaims { sub: String }
///
/// let secret = b"0123456789abcdef0123456789abcdef";
/// let verifier = Verifier::builder()
///     .claims::<MyClaims>()
///     .issuer(Issuer::hmac("https://issuer.example", secret))
///     .audience("api://orders")
///     .algorithms([Algorithm::HS256])
///     .build()?;
/// assert_eq!(verifier.status()[0].iss, "https://issuer.example");
/// # Ok::<_, tower_jwt_auth::ConfigError>(())
/// ```
#[must_use]
pub struct VerifierBuilder<C = RegisteredClaims> {
    pub(super) issuers: Vec<Issuer>,
    pub(super) audiences: Vec<String>,
    pub(super) skip_audience: bool,
    pub(super) algorithms: Option<Vec<Algorithm>>,
    pub(super) leeway: Duration,
    pub(super) max_token_age: Option<Duration>,
    pub(super) required: Vec<String>,
    pub(super) typ: TypPolicy,
    pub(super) max_token_len: usize,
    pub(super) max_claims_depth: usize,
    pub(super) max_keys: usize,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) rfc9068: bool,
    pub(super) token_cache: Option<u64>,
    pub(super) token_cache_bytes: u64,
    pub(super) revocation: Option<Arc<dyn Revocation>>,
    pub(super) revocation_deadline: Duration,
    pub(super) revocation_policy: FailurePolicy,
    pub(super) _claims: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for VerifierBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("skip_audience", &self.skip_audience)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .field("max_token_age", &self.max_token_age)
            .field("required", &self.required)
            .field("max_token_len", &self.max_token_len)
            .finish_non_exhaustive()
    }
}

impl<C> Default for VerifierBuilder<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> VerifierBuilder<C> {
    /// A builder with the defaults (see the crate docs' defaults table); the same as
    /// [`Verifier::builder`] and `VerifierBuilder::default()`.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{ConfigError, RegisteredClaims, VerifierBuilder};
    ///
    /// let builder = VerifierBuilder::<RegisteredClaims>::new();
    /// assert!(format!("{builder:?}").contains("leeway: 60s"));
    /// assert!(matches!(builder.build(), Err(ConfigError::NoIssuer))); // no issuer by default
    /// ```
    pub fn new() -> Self {
        Self {
            issuers: Vec::new(),
            audiences: Vec::new(),
            skip_audience: false,
            algorithms: None,
            leeway: DEFAULT_LEEWAY,
            max_token_age: None,
            required: Vec::new(),
            typ: TypPolicy::default(),
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            max_claims_depth: DEFAULT_MAX_CLAIMS_DEPTH,
            max_keys: DEFAULT_MAX_KEYS,
            clock: Arc::new(SystemClock),
            rfc9068: false,
            token_cache: default_token_cache(),
            token_cache_bytes: DEFAULT_TOKEN_CACHE_BYTES,
            revocation: None,
            revocation_deadline: DEFAULT_REVOCATION_DEADLINE,
            revocation_policy: FailurePolicy::Closed,
            _claims: PhantomData,
        }
    }

    /// The claims type tokens are decoded into (once per token), handed to handlers as
    /// [`Claims<C2>`](crate::Claims) and to the layer's policies. Defaults to
    /// [`RegisteredClaims`].
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier, VerifierBuilder};
    /// # use tower_jwt_auth::testing::{TestKey, now};
    ///
    /// #[derive(Debug, serde::Deserialize)]
    /// struct MyClaims { tenant: String }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let builder: VerifierBuilder<MyClaims> = Verifier::builder().claims::<MyClaims>();
    /// let verifier = builder
    ///     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    ///     .insecure_skip_audience()
    ///     .algorithms([Algorithm::HS256])
    ///     .build()?;
    /// # let token = TestKey::hmac(Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "tenant": "acme", "exp": now() + 60}));
    /// let claims = verifier.verify(&token).await?;
    /// assert_eq!(claims.tenant, "acme");
    /// # Ok(())
    /// # }
    /// ```
    pub fn claims<C2>(self) -> VerifierBuilder<C2> {
        VerifierBuilder {
            issuers: self.issuers,
            audiences: self.audiences,
            skip_audience: self.skip_audience,
            algorithms: self.algorithms,
            leeway: self.leeway,
            max_token_age: self.max_token_age,
            required: self.required,
            typ: self.typ,
            max_token_len: self.max_token_len,
            max_claims_depth: self.max_claims_depth,
            max_keys: self.max_keys,
            clock: self.clock,
            rfc9068: self.rfc9068,
            token_cache: self.token_cache,
            token_cache_bytes: self.token_cache_bytes,
            revocation: self.revocation,
            revocation_deadline: self.revocation_deadline,
            revocation_policy: self.revocation_policy,
            _claims: PhantomData,
        }
    }

    /// Adds a trusted issuer: its exact `iss` and where its keys come from. Several may be added.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let (a, b) = (TestKey::generate(Algorithm::ES256).with_kid("a"), TestKey::generate(Algorithm::ES256).with_kid("b"));
    /// # let token = |key: &TestKey, iss: &str| key.token(&serde_json::json!({"iss": iss, "aud": "api", "exp": now() + 60}));
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::static_keys("https://a.example", a.jwks()))
    ///     .issuer(Issuer::static_keys("https://b.example", b.jwks()))
    ///     .audience("api")
    ///     .build()?;
    /// assert!(verifier.verify(&token(&b, "https://b.example")).await.is_ok());
    /// // Only the keys of the issuer a token names are tried.
    /// let error = verifier.verify(&token(&b, "https://a.example")).await.unwrap_err();
    /// assert_eq!(error.code(), "unknown_key");
    /// let error = verifier.verify(&token(&b, "https://c.example")).await.unwrap_err();
    /// assert_eq!(error.code(), "wrong_issuer");
    /// # Ok(())
    /// # }
    /// ```
    pub fn issuer(mut self, issuer: Issuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Adds an accepted audience: a token's `aud` (a string, or an array of strings) must name
    /// one of them. Compulsory unless [`insecure_skip_audience`](Self::insecure_skip_audience)
    /// is called ([RFC 8725 §3.9](https://www.rfc-editor.org/rfc/rfc8725#section-3.9)).
    /// An [`Issuer`] may override it with [`Issuer::audience`].
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks()));
    /// # let token = |aud: serde_json::Value| key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": aud, "exp": now() + 60}));
    /// let verifier = builder.audience("api://orders").build()?;
    /// assert!(verifier.verify(&token("api://orders".into())).await.is_ok());
    /// assert!(verifier.verify(&token(["other", "api://orders"].into())).await.is_ok());
    /// let error = verifier.verify(&token("api://billing".into())).await.unwrap_err();
    /// assert_eq!(error.code(), "wrong_audience");
    /// # Ok(())
    /// # }
    /// ```
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Accepts tokens whatever their `aud`.
    ///
    /// Dangerous: a token your identity provider issued for any other service is then accepted
    /// here too ([RFC 8725 §3.9](https://www.rfc-editor.org/rfc/rfc8725#section-3.9)).
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{ConfigError, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = || Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks()));
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "someone-else", "exp": now() + 60}));
    /// assert!(matches!(builder().build(), Err(ConfigError::NoAudience)));
    /// let verifier = builder().insecure_skip_audience().build()?;
    /// assert!(verifier.verify(&token).await.is_ok()); // `aud: someone-else`
    /// # Ok(())
    /// # }
    /// ```
    pub fn insecure_skip_audience(mut self) -> Self {
        self.skip_audience = true;
        self
    }

    /// The algorithm allow-list. The token's `alg` must be on it, fit the key's type, and equal
    /// the JWK's own `alg` when the key names one.
    ///
    /// Without it, each key is usable only with its JWK `alg`, and keys without one (HMAC
    /// secrets, PEM keys, JWKs without `alg`) are not usable at all.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, ConfigError, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let builder = || Verifier::builder().issuer(Issuer::hmac("https://issuer.example", [7u8; 64])).audience("api");
    /// # let token = |alg| TestKey::hmac(alg, [7u8; 64]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60}));
    /// let verifier = builder().algorithms([Algorithm::HS256]).build()?;
    /// assert!(verifier.verify(&token(Algorithm::HS256)).await.is_ok());
    /// let error = verifier.verify(&token(Algorithm::HS512)).await.unwrap_err();
    /// assert_eq!(error.code(), "alg_not_allowed");
    /// // Without the list, an HMAC secret is not usable at all.
    /// assert!(matches!(builder().build(), Err(ConfigError::NoUsableKeys { .. })));
    /// # Ok(())
    /// # }
    /// ```
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }
}
