//! [`Verifier`]: token in, typed claims out, with no tower involved.
//!
//! # Example
//!
//! ```
//! use tower_jwt_auth::{Algorithm, Issuer, Verifier, RegisteredClaims};
//! use tower_jwt_auth::testing::TestKey;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
//! let verifier: Verifier<RegisteredClaims> = Verifier::builder()
//!     .issuer(Issuer::static_keys("https://issuer.example", key.jwks()))
//!     .audience("api")
//!     .build()?;
//!
//! let token = key.token(&serde_json::json!({
//!     "iss": "https://issuer.example", "aud": "api", "sub": "alice",
//!     "exp": tower_jwt_auth::testing::now() + 300,
//! }));
//! let claims = verifier.verify(&token).await?;
//! assert_eq!(claims.sub.as_deref(), Some("alice"));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{DeserializeOwned, DeserializeSeed};

use self::jws::TypPolicy;
use crate::claims::{Binding, Claims, ClaimsSeed, RawClaims, RegisteredClaims, WrongClaimType};
use crate::clock::Clock;
use crate::de::{Loose, StrOrList, is_json_object, json_depth};
use crate::digest::DigestHash;
use crate::error::{AuthError, AuthErrorKind, JsonError};
use crate::jwks::Freshness;
use crate::jwks::Tenants;
use crate::jwks::remote::{Remote, Usable, keys_unavailable};
use crate::keys::{AlgSet, KeyStore, PreparedKey, SkippedKey};
use crate::revocation::{Check, CheckFuture, FailurePolicy, RevocationConfig, RevocationStatus};
use moka::Expiry;
use sha2::{Digest, Sha256};
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

mod bind;
mod build;
mod builder;
mod cache;
mod check;
pub(crate) mod jws;
mod revoke;
mod rules;
pub(crate) use self::rules::usable_clock;

pub use self::builder::{
    DEFAULT_LEEWAY, DEFAULT_MAX_CLAIMS_DEPTH, DEFAULT_TOKEN_CACHE, DEFAULT_TOKEN_CACHE_BYTES,
    VerifierBuilder,
};

pub(crate) use self::bind::Presented;
pub(crate) use self::cache::{CachedToken, TokenCache};

/// Verifies tokens: token in, typed claims out, no tower. Built by [`Verifier::builder`].
///
/// Use it directly for WebSocket upgrades, message queues or CLIs, and hand it to
/// [`JwtAuthLayer::new`](crate::JwtAuthLayer::new) (or [`Verifier::layer`]) for HTTP and gRPC
/// services. Cloning is cheap: clones and every layer built from them share the key stores,
/// refreshers, the verified-token cache and the revocation store.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{Algorithm, Issuer, Verifier, testing::{TestKey, now}};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
/// let verifier = Verifier::builder()
///     .issuer(Issuer::static_keys("https://issuer.example", key.jwks()))
///     .audience("api")
///     .build()?;
/// let token = key.token(&serde_json::json!({
///     "iss": "https://issuer.example", "aud": "api", "sub": "alice", "exp": now() + 60,
/// }));
/// let claims = verifier.verify(&token).await?;
/// assert_eq!(claims.sub.as_deref(), Some("alice"));
/// assert_eq!(verifier.verify("not a token").await.unwrap_err().code(), "malformed");
/// # Ok(())
/// # }
/// ```
pub struct Verifier<C = RegisteredClaims> {
    pub(crate) shared: Arc<Shared>,
    _claims: PhantomData<fn() -> C>,
}

impl<C> Clone for Verifier<C> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            _claims: PhantomData,
        }
    }
}

impl<C> fmt::Debug for Verifier<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field(
                "issuers",
                &self
                    .shared
                    .issuers
                    .iter()
                    .map(|i| &i.iss)
                    .collect::<Vec<_>>(),
            )
            .field("algorithms", &self.shared.allowed)
            .field("leeway", &self.shared.leeway)
            .finish_non_exhaustive()
    }
}

/// The verifier's configuration and key stores, shared by every clone and layer.
pub(crate) struct Shared {
    pub(crate) issuers: Vec<IssuerState>,
    pub(crate) allowed: Option<AlgSet>,
    pub(crate) leeway: f64,
    /// The oldest `iat` accepted, as an age in seconds (`None`: any).
    pub(crate) max_token_age: Option<f64>,
    pub(crate) audiences: Vec<String>,
    pub(crate) skip_audience: bool,
    /// Required claims outside the registered set the verifier reads anyway.
    pub(crate) required: Vec<String>,
    /// Required claims among the registered ones (`sub`, `jti`, `iat`, …).
    pub(crate) required_registered: Vec<&'static str>,
    pub(crate) typ: TypPolicy,
    /// The RFC 9068 access token profile: ID tokens are refused.
    pub(crate) rfc9068: bool,
    pub(crate) max_token_len: usize,
    /// The deepest nesting of arrays and objects accepted in a claim set.
    pub(crate) max_claims_depth: usize,
    pub(crate) clock: Arc<dyn Clock>,
    /// Verified tokens, by SHA-256 (`None`: the cache is off).
    pub(crate) token_cache: Option<TokenCache>,
    /// The revocation store and its policy (`None`: no revocation checks).
    pub(crate) revocation: Option<RevocationConfig>,
}

pub(crate) struct IssuerState {
    pub(crate) iss: String,
    pub(crate) audiences: Option<Vec<String>>,
    /// Tenants accepted when `iss` is a `{tenantid}` template (configured, or learned from discovery).
    pub(crate) tenants: Tenants,
    pub(crate) store: Arc<KeyStore>,
    /// The refresher side of a remote key set (`None` for static keys).
    pub(crate) remote: Option<Arc<Remote>>,
}

/// Why a synchronous verification could not finish.
#[derive(Debug)]
pub(crate) enum Pending {
    /// The token is refused.
    Failed(AuthError),
    /// The issuer's first key set has not loaded yet.
    NotLoaded(usize),
    /// The issuer's store lacks the token's key.
    KidMiss(usize),
}

impl From<AuthError> for Pending {
    fn from(error: AuthError) -> Self {
        Self::Failed(error)
    }
}

/// What a successful verification produced.
pub(crate) struct Verified<C> {
    pub(crate) claims: Claims<C>,
    pub(crate) registered: Claims<RegisteredClaims>,
    /// What the token is bound to (`cnf`), checked against how it was presented.
    pub(crate) binding: Option<Arc<Binding>>,
    /// The index of the issuer it matched.
    pub(crate) issuer: usize,
    /// Whether the verified-token cache answered.
    pub(crate) cached: bool,
}

impl<C> Clone for Verified<C> {
    fn clone(&self) -> Self {
        Self {
            claims: self.claims.clone(),
            registered: self.registered.clone(),
            binding: self.binding.clone(),
            issuer: self.issuer,
            cached: self.cached,
        }
    }
}

/// The key status of one issuer.
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::testing::{JwksServer, TestKey};
/// use tower_jwt_auth::{Algorithm, Freshness, Issuer, Verifier};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
/// # let server = JwksServer::start(&[&key]).await;
/// let verifier = Verifier::builder()
///     .issuer(Issuer::jwks_url("https://issuer.example", server.jwks_url()))
///     .audience("api")
///     .build()?;
/// tokio::time::timeout(Duration::from_secs(10), verifier.ready()).await?;
/// let status = &verifier.status()[0];
/// assert_eq!((status.iss.as_str(), status.freshness, status.keys), ("https://issuer.example", Freshness::Fresh, 1));
/// assert!(status.last_refresh.is_some() && status.last_error.is_none());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuerStatus {
    /// The issuer identifier.
    pub iss: String,
    /// How current the key set is.
    pub freshness: Freshness,
    /// How many keys are loaded.
    pub keys: usize,
    /// The keys that were skipped, and why.
    pub skipped: Vec<SkippedKey>,
    /// When the key set was last fetched successfully (a 304 counts), in seconds since the epoch
    /// by the verifier's clock. `None` for static keys and before the first load.
    pub last_refresh: Option<f64>,
    /// Why the last refresh failed, if it did.
    pub last_error: Option<String>,
}

impl<C> Verifier<C> {
    /// The audit event of an accepted token: target `tower_jwt_auth::accepted`, level `debug`,
    /// with the configured issuer it matched and whether the cache answered.
    pub(crate) fn audit_accepted(&self, verified: &Verified<C>) {
        crate::telemetry::request(true, "ok");
        let iss = self
            .shared
            .issuers
            .get(verified.issuer)
            .map(|i| i.iss.as_str());
        tracing::debug!(target: "tower_jwt_auth::accepted", iss, cached = verified.cached, "request accepted");
    }

    pub(crate) fn from_shared(shared: Shared) -> Self {
        Self {
            shared: Arc::new(shared),
            _claims: PhantomData,
        }
    }

    /// The key status of each issuer, in the order they were added: key counts and skipped keys
    /// with their reasons.
    ///
    /// ```
    /// use serde_json::json;
    /// use tower_jwt_auth::{Algorithm, Freshness, Issuer, Verifier, testing::TestKey};
    ///
    /// # let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
    /// let jwks = json!({"keys": [key.public_jwk(), {"kty": "RSA", "kid": "k2", "n": "AQAB", "e": "AQAB"}]});
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::static_keys("https://issuer.example", jwks.to_string()))
    ///     .audience("api")
    ///     .build()?;
    /// let status = verifier.status();
    /// assert_eq!((status[0].freshness, status[0].keys), (Freshness::Static, 1));
    /// assert_eq!(status[0].skipped[0].kid.as_deref(), Some("k2"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn status(&self) -> Vec<IssuerStatus> {
        self.shared
            .issuers
            .iter()
            .map(|i| IssuerStatus {
                iss: i.iss.clone(),
                freshness: i
                    .remote
                    .as_ref()
                    .map_or(Freshness::Static, |r| r.freshness()),
                keys: i.store.len(),
                skipped: i.store.skipped().as_ref().clone(),
                last_refresh: i.remote.as_ref().and_then(|r| r.last_refresh()),
                last_error: i.remote.as_ref().and_then(|r| r.last_error()),
            })
            .collect()
    }

    /// Resolves once every issuer's key set has loaded (at once for static keys). For a
    /// readiness probe; wrap it in a timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::testing::{JwksServer, TestKey};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
    /// let server = JwksServer::start(&[&key]).await;
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::jwks_url("https://issuer.example", server.jwks_url()))
    ///     .audience("api")
    ///     .build()?;
    /// tokio::time::timeout(Duration::from_secs(10), verifier.ready()).await?;
    /// assert_eq!(verifier.status()[0].keys, 1);
    /// assert_eq!(server.jwks_requests(), 1);
    /// # Ok(()) }
    /// ```
    pub async fn ready(&self) {
        for issuer in &self.shared.issuers {
            if let Some(remote) = &issuer.remote {
                remote.ready().await;
            }
        }
    }
}

impl<C: DeserializeOwned + Send + Sync + 'static> Verifier<C> {
    /// Verifies a compact JWT and returns its claims.
    ///
    /// The token is taken as a bearer token: one bound to a key or certificate (`cnf`) is
    /// refused here (`sender_constrained`). The layer, which sees the DPoP proof and the client
    /// certificate of the request, accepts those.
    ///
    /// # Errors
    ///
    /// An [`AuthError`] saying why the token was refused.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier, testing::{TestKey, now}};
    ///
    /// #[derive(Debug, serde::Deserialize)]
    /// struct MyClaims { sub: String, tenant: String }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::hmac(Algorithm::HS256, [7u8; 32]);
    /// # let verifier = Verifier::builder().claims::<MyClaims>().issuer(Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([Algorithm::HS256]).build()?;
    /// let token = key.token(&serde_json::json!({
    ///     "iss": "https://issuer.example", "aud": "api", "exp": now() + 60,
    ///     "sub": "alice", "tenant": "acme",
    /// }));
    /// let claims = verifier.verify(&token).await?;
    /// assert_eq!((claims.sub.as_str(), claims.tenant.as_str()), ("alice", "acme"));
    ///
    /// let other_audience = key.token(&serde_json::json!({
    ///     "iss": "https://issuer.example", "aud": "billing", "exp": now() + 60,
    /// }));
    /// assert_eq!(verifier.verify(&other_audience).await.unwrap_err().code(), "wrong_audience");
    /// # Ok(()) }
    /// ```
    pub async fn verify(&self, token: &str) -> Result<Claims<C>, AuthError> {
        let verified = match self.verify_now(token) {
            Ok(verified) => verified,
            Err(pending) => self.finish(token, pending).await?,
        };
        // A token bound to a key (`cnf`) is never a bearer token.
        verified.check_binding(&Presented::default())?;
        Ok(self.pass_revocation(verified).await?.claims)
    }
}
