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
//!     .build_verifier()?;
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

use crate::claims::{Claims, ClaimsSeed, RawClaims, RegisteredClaims, WrongClaimType};
use crate::clock::Clock;
use crate::de::{Loose, StrOrList, is_json_object, json_depth};
use crate::digest::DigestHash;
use crate::error::{AuthError, AuthErrorKind, JsonError};
use crate::issuer::Tenants;
use crate::jwks::Freshness;
use crate::jwks::remote::{Remote, Usable, keys_unavailable};
use crate::jws::{self, TypPolicy};
use crate::keys::{AlgSet, KeyStore, PreparedKey, SkippedKey};
use crate::revocation::{Check, CheckFuture, FailurePolicy, RevocationConfig, RevocationStatus};
use crate::{JwtAuthBuilder, JwtAuthLayer};
use moka::Expiry;
use sha2::{Digest, Sha256};
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Verifies tokens: the same checks as [`JwtAuthLayer`], without tower.
///
/// Use it for WebSocket upgrades, message queues or CLIs, or to build several layers (per-route
/// policies) that share its key stores: [`Verifier::layer`]. Cloning is cheap.
pub struct Verifier<C> {
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

/// What the cache keeps of a cold verification besides the claims.
pub(crate) struct Facts {
    exp: f64,
    nbf: Option<f64>,
    iat: Option<f64>,
    issuer: usize,
    /// The key that verified the signature, how the token named it, and the store's generation
    /// read before the key was looked up.
    key: Arc<PreparedKey>,
    alg: jsonwebtoken::Algorithm,
    kid: Option<Box<str>>,
    generation: u64,
    /// The tenant template a discovery document taught, when the issuer matched through it.
    template: Option<Arc<String>>,
    /// Bytes of the decoded claim set (the cache's weight of the entry).
    claims_len: usize,
}

/// Checks `exp`, `nbf` and `iat` against the clock, with the leeway.
fn check_time(
    shared: &Shared,
    exp: f64,
    nbf: Option<f64>,
    iat: Option<f64>,
) -> Result<(), AuthError> {
    let now = shared.clock.now_unix_secs();
    if !now.is_finite() || now < 0.0 {
        // A clock that can't tell the time must not make `exp` meaningless: fail closed.
        return Err(AuthError::new(
            AuthErrorKind::ClockUnavailable,
            "server clock unavailable",
        ));
    }
    if now >= exp + shared.leeway {
        return Err(AuthError::new(AuthErrorKind::Expired, "token expired"));
    }
    if nbf.is_some_and(|nbf| now + shared.leeway < nbf) {
        return Err(AuthError::new(
            AuthErrorKind::NotYetValid,
            "token not yet valid",
        ));
    }
    if iat.is_some_and(|iat| now + shared.leeway < iat) {
        return Err(AuthError::new(
            AuthErrorKind::NotYetValid,
            "token issued in the future",
        ));
    }
    Ok(())
}

/// The multi-tenant issuer whose template `iss` fills in with the token's `tid`, and the
/// template a discovery document taught it (`None` for a configured template).
fn tenant_issuer(
    issuers: &[IssuerState],
    iss: &str,
    tid: Option<&Loose<String>>,
) -> Option<(usize, Option<Arc<String>>)> {
    let Some(Loose::Ok(tid)) = tid else {
        return None;
    };
    issuers.iter().enumerate().find_map(|(index, issuer)| {
        if !issuer.tenants.is_set() {
            return None;
        }
        let learned = issuer.remote.as_ref().and_then(|r| r.template());
        let template = learned
            .as_deref()
            .map_or(issuer.iss.as_str(), String::as_str);
        issuer
            .tenants
            .matches(template, iss, tid)
            .then_some((index, learned))
    })
}

/// What a revocation answer means for the request, under the configured failure policy.
fn revocation_verdict(
    config: &RevocationConfig,
    status: RevocationStatus,
) -> Result<(), AuthError> {
    match status {
        RevocationStatus::NotRevoked => Ok(()),
        RevocationStatus::Revoked => Err(AuthError::new(AuthErrorKind::Revoked, "token revoked")),
        RevocationStatus::Unknown => match config.policy {
            FailurePolicy::Closed => Err(AuthError::new(
                AuthErrorKind::RevocationUnavailable,
                "revocation status unavailable",
            )),
            FailurePolicy::Open => {
                config.warnings.warn(|suppressed| {
                    tracing::warn!(
                        suppressed,
                        "revocation status unavailable: token accepted (fail open)"
                    );
                });
                Ok(())
            }
        },
    }
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
}

impl<C> Clone for Verified<C> {
    fn clone(&self) -> Self {
        Self {
            claims: self.claims.clone(),
            registered: self.registered.clone(),
        }
    }
}

/// A token whose signature was checked: what a later request with the same token needs to pass
/// without another signature check.
pub(crate) struct CachedToken {
    /// The `Verified<C>` of the verifier that cached it.
    verified: Arc<dyn Any + Send + Sync>,
    exp: f64,
    nbf: Option<f64>,
    iat: Option<f64>,
    issuer: usize,
    /// The key that verified it, and how the token named it: the entry is served only while the
    /// issuer's current set would still pick this key (same identity) for this token.
    key: Arc<PreparedKey>,
    alg: jsonwebtoken::Algorithm,
    kid: Option<Box<str>>,
    /// The key store's generation at which the key was last found current.
    generation: AtomicU64,
    /// The learned tenant template the issuer matched through: served only while discovery
    /// still names that template.
    template: Option<Arc<String>>,
    ttl: Duration,
    /// The entry's weight in the byte budget.
    weight: u32,
}

/// Entries live until the token's `exp`, never longer.
struct UntilExp;

impl Expiry<[u8; 32], Arc<CachedToken>> for UntilExp {
    fn expire_after_create(
        &self,
        _: &[u8; 32],
        value: &Arc<CachedToken>,
        _: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// What one cached token is taken to cost beyond its claims' JSON: the entry, the digest, moka's
/// bookkeeping and the parsed structs' headers.
const ENTRY_OVERHEAD: usize = 512;

/// The verified-token cache: moka, keyed by the SHA-256 of the whole token, bounded both in
/// entries and in bytes.
pub(crate) struct TokenCache {
    cache: moka::sync::Cache<[u8; 32], Arc<CachedToken>, DigestHash>,
    /// The least weight of an entry: `bytes / capacity`, so the byte budget also bounds the count.
    min_weight: u64,
}

impl TokenCache {
    /// A cache of at most `capacity` tokens and about `bytes` bytes of claims, whichever is
    /// reached first.
    pub(crate) fn new(capacity: u64, bytes: u64) -> Self {
        let min_weight = (bytes / capacity.max(1)).max(1);
        Self {
            cache: moka::sync::Cache::builder()
                .max_capacity(bytes)
                .weigher(|_, entry: &Arc<CachedToken>| entry.weight)
                .expire_after(UntilExp)
                .build_with_hasher(DigestHash::default()),
            min_weight,
        }
    }

    /// An entry's weight: each claim set is held twice (the caller's `C` and the registered
    /// claims), plus a fixed overhead; never less than `min_weight`.
    fn weight(&self, claims_len: usize) -> u32 {
        let bytes = claims_len.saturating_mul(2).saturating_add(ENTRY_OVERHEAD) as u64;
        u32::try_from(bytes.max(self.min_weight)).unwrap_or(u32::MAX)
    }

    #[cfg(test)]
    fn weighted_size(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.weighted_size()
    }
}

/// The key status of one issuer.
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
    /// A builder; [`JwtAuthBuilder::build_verifier`] finishes it.
    pub fn builder() -> JwtAuthBuilder<C> {
        JwtAuthBuilder::new()
    }

    pub(crate) fn from_shared(shared: Shared) -> Self {
        Self {
            shared: Arc::new(shared),
            _claims: PhantomData,
        }
    }

    /// A layer with default layer settings (bearer header, required authentication) that shares
    /// this verifier's key stores. See [`JwtAuthLayer`] for the layer's own settings.
    pub fn layer(&self) -> JwtAuthLayer<C> {
        JwtAuthLayer::new(self.clone())
    }

    /// The key status of each issuer: key counts and skipped keys with their reasons.
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
    /// # Errors
    ///
    /// An [`AuthError`] saying why the token was refused.
    pub async fn verify(&self, token: &str) -> Result<Claims<C>, AuthError> {
        let verified = match self.verify_now(token) {
            Ok(verified) => verified,
            Err(pending) => self.finish(token, pending).await?,
        };
        Ok(self.pass_revocation(verified).await?.claims)
    }

    /// Passes a verified token through the revocation store, waiting for it if it answers
    /// later.
    pub(crate) async fn pass_revocation(
        &self,
        verified: Verified<C>,
    ) -> Result<Verified<C>, AuthError> {
        match self.check_revocation(&verified)? {
            None => Ok(verified),
            Some(answer) => self.await_revocation(answer).await.map(|()| verified),
        }
    }

    /// Asks the revocation store about a verified token: `Ok(None)` when it passed at once,
    /// `Ok(Some(answer))` when the store answers later (see
    /// [`await_revocation`](Self::await_revocation)), or the refusal.
    pub(crate) fn check_revocation(
        &self,
        verified: &Verified<C>,
    ) -> Result<Option<CheckFuture>, AuthError> {
        let Some(config) = &self.shared.revocation else {
            return Ok(None);
        };
        match config.store.check(&verified.registered) {
            Check::Ready(status) => revocation_verdict(config, status).map(|()| None),
            Check::Pending(answer) => Ok(Some(answer)),
        }
    }

    /// Waits for a store's answer, within the deadline, and applies the failure policy.
    pub(crate) async fn await_revocation(&self, answer: CheckFuture) -> Result<(), AuthError> {
        let Some(config) = &self.shared.revocation else {
            return Ok(());
        };
        let status = tokio::time::timeout(config.deadline, answer)
            .await
            .unwrap_or(RevocationStatus::Unknown);
        revocation_verdict(config, status)
    }

    /// Completes a verification that needed keys: waits for them (bounded), then verifies again.
    pub(crate) async fn finish(
        &self,
        token: &str,
        pending: Pending,
    ) -> Result<Verified<C>, AuthError> {
        let (index, kid_miss) = match pending {
            Pending::Failed(error) => return Err(error),
            Pending::NotLoaded(index) => (index, false),
            Pending::KidMiss(index) => (index, true),
        };
        let Some(remote) = self
            .shared
            .issuers
            .get(index)
            .and_then(|i| i.remote.as_ref())
        else {
            return Err(AuthError::new(
                AuthErrorKind::UnknownKey,
                "no key for this token",
            ));
        };
        if kid_miss {
            remote.await_kid_miss().await?;
        } else {
            remote.await_first_load().await?;
        }
        match self.verify_now(token) {
            Ok(verified) => Ok(verified),
            Err(Pending::Failed(error)) => Err(error),
            // A fetch that started after the miss succeeded without the key: the token's fault.
            Err(Pending::KidMiss(_)) => Err(AuthError::new(
                AuthErrorKind::UnknownKey,
                "no key for this token",
            )),
            Err(Pending::NotLoaded(_)) => Err(keys_unavailable("keys unavailable")),
        }
    }

    /// Verifies a token with the keys at hand, synchronously: from the verified-token cache when
    /// it holds the token (every check but the signature runs again), else in full.
    pub(crate) fn verify_now(&self, token: &str) -> Result<Verified<C>, Pending> {
        let Some(cache) = &self.shared.token_cache else {
            return self.verify_cold(token).map(|(verified, _)| verified);
        };
        if token.len() > self.shared.max_token_len {
            return Err(AuthError::new(AuthErrorKind::TooLarge, "token too large").into());
        }
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(hit) = cache.cache.get(&hash) {
            if let Some(verified) = hit.verified.downcast_ref::<Verified<C>>()
                && self.key_still_current(&hit)
            {
                let issuer = &self.shared.issuers[hit.issuer];
                if let Some(remote) = &issuer.remote
                    && let Usable::Expired = remote.usable()
                {
                    return Err(keys_unavailable("keys expired").into());
                }
                check_time(&self.shared, hit.exp, hit.nbf, hit.iat)?;
                return Ok(verified.clone());
            }
            cache.cache.invalidate(&hash);
        }
        let (verified, facts) = self.verify_cold(token)?;
        let now = self.shared.clock.now_unix_secs();
        let ttl = Duration::try_from_secs_f64(facts.exp - now).unwrap_or(Duration::ZERO);
        if !ttl.is_zero() {
            let entry = CachedToken {
                verified: Arc::new(verified.clone()),
                exp: facts.exp,
                nbf: facts.nbf,
                iat: facts.iat,
                issuer: facts.issuer,
                key: facts.key,
                alg: facts.alg,
                kid: facts.kid,
                generation: AtomicU64::new(facts.generation),
                template: facts.template,
                ttl,
                weight: cache.weight(facts.claims_len),
            };
            cache.cache.insert(hash, Arc::new(entry));
        }
        Ok(verified)
    }

    /// Whether the issuer's current key set would still check a cached token against the key
    /// that verified it. Free while the set is unchanged (one atomic load); after a change, one
    /// index lookup, and the entry is marked current again.
    fn key_still_current(&self, hit: &CachedToken) -> bool {
        let issuer = &self.shared.issuers[hit.issuer];
        if let (Some(template), Some(remote)) = (&hit.template, &issuer.remote)
            && !remote.template_is(template)
        {
            return false;
        }
        let store = &issuer.store;
        let generation = store.generation();
        if hit.generation.load(Ordering::Relaxed) == generation {
            return true;
        }
        let current = store
            .candidates(hit.kid.as_deref())
            .usable(hit.alg, self.shared.allowed)
            .any(|key| Arc::ptr_eq(key, &hit.key));
        if current {
            hit.generation.store(generation, Ordering::Relaxed);
        }
        current
    }

    /// The full verification: header, key, signature, claims.
    fn verify_cold(&self, token: &str) -> Result<(Verified<C>, Facts), Pending> {
        let shared = &*self.shared;
        let parsed = jws::parse_compact(token, shared.max_token_len, shared.allowed, &shared.typ)?;
        let payload = jws::decode_payload(&parsed)?;
        if json_depth(&payload) > shared.max_claims_depth {
            return Err(AuthError::malformed("claims nested too deeply").into());
        }
        if !is_json_object(&payload) {
            return Err(AuthError::malformed("claims are not a JSON object").into());
        }
        let mut de = serde_json::Deserializer::from_slice(&payload);
        let raw = ClaimsSeed {
            required: &shared.required,
        }
        .deserialize(&mut de)
        .and_then(|raw| de.end().map(|()| raw))
        .map_err(|e| {
            AuthError::malformed("claims are not a valid JSON object")
                .with_source(JsonError::from(&e))
        })?;

        let issuer = match &raw.iss {
            // A multi-tenant issuer matches only through a tenant on its allow-list, never by
            // its configured identifier (a `{tenantid}` template, or discovery's `common`).
            Some(Loose::Ok(iss)) => shared
                .issuers
                .iter()
                .position(|i| !i.tenants.is_set() && i.iss == *iss)
                .map(|index| (index, None))
                .or_else(|| tenant_issuer(&shared.issuers, iss, raw.tid.as_ref())),
            Some(Loose::WrongType) => None,
            None => {
                return Err(AuthError::new(AuthErrorKind::WrongIssuer, "issuer missing").into());
            }
        };
        let Some((index, template)) = issuer else {
            // A multi-tenant issuer that has not learned its template yet can't tell: the token
            // waits for its first key set (503 if it never comes), it is not refused as foreign.
            let learning = shared.issuers.iter().position(|i| {
                i.tenants.is_set()
                    && i.remote
                        .as_ref()
                        .is_some_and(|r| matches!(r.usable(), Usable::NotLoaded))
            });
            return Err(match (learning, &raw.iss) {
                (Some(index), Some(Loose::Ok(_))) => Pending::NotLoaded(index),
                _ => AuthError::new(AuthErrorKind::WrongIssuer, "issuer not accepted").into(),
            });
        };
        let issuer = &shared.issuers[index];
        if let Some(remote) = &issuer.remote {
            match remote.usable() {
                Usable::Yes => {}
                Usable::NotLoaded => return Err(Pending::NotLoaded(index)),
                Usable::Expired => return Err(keys_unavailable("keys expired").into()),
            }
        }
        let generation = issuer.store.generation();
        let key = match jws::verify_signature(&parsed, &issuer.store, shared.allowed) {
            Ok(key) => key,
            Err(e) if e.kind() == AuthErrorKind::UnknownKey && issuer.remote.is_some() => {
                return Err(Pending::KidMiss(index));
            }
            Err(e) => return Err(e.into()),
        };
        self.check_claims(&raw, issuer)?;
        let time = |v: &Option<Loose<f64>>| match v {
            Some(Loose::Ok(t)) => Some(*t),
            _ => None,
        };
        let facts = Facts {
            exp: time(&raw.exp).unwrap_or(f64::NEG_INFINITY),
            nbf: time(&raw.nbf),
            iat: time(&raw.iat),
            issuer: index,
            key,
            alg: parsed.alg,
            kid: parsed.kid.as_deref().map(Box::from),
            generation,
            template,
            claims_len: payload.len(),
        };

        let registered = raw.to_registered().map_err(|WrongClaimType(_)| {
            AuthError::new(
                AuthErrorKind::InvalidClaim,
                "registered claim of the wrong type",
            )
        })?;
        let registered = Arc::new(registered);
        // When `C` is `RegisteredClaims`, the single parse above already produced it.
        let claims = match (Arc::clone(&registered) as Arc<dyn Any + Send + Sync>).downcast::<C>() {
            Ok(same) => same,
            Err(_) => Arc::new(serde_json::from_slice::<C>(&payload).map_err(|e| {
                AuthError::new(
                    AuthErrorKind::InvalidClaim,
                    "claims do not have the expected shape",
                )
                .with_source(JsonError::from(&e))
            })?),
        };
        let verified = Verified {
            claims: Claims(claims),
            registered: Claims(registered),
        };
        Ok((verified, facts))
    }

    fn check_claims(&self, raw: &RawClaims, issuer: &IssuerState) -> Result<(), AuthError> {
        let shared = &*self.shared;
        let invalid = |d| AuthError::new(AuthErrorKind::InvalidClaim, d);
        if raw.cnf {
            return Err(AuthError::new(
                AuthErrorKind::SenderConstrained,
                "sender-constrained token",
            ));
        }
        let exp = match raw.exp {
            None => return Err(invalid("exp missing")),
            Some(Loose::WrongType) => return Err(invalid("exp is not a number")),
            Some(Loose::Ok(exp)) => exp,
        };
        let nbf = match raw.nbf {
            Some(Loose::WrongType) => return Err(invalid("nbf is not a number")),
            Some(Loose::Ok(nbf)) => Some(nbf),
            None => None,
        };
        let iat = match raw.iat {
            Some(Loose::WrongType) => return Err(invalid("iat is not a number")),
            Some(Loose::Ok(iat)) => Some(iat),
            None => None,
        };
        check_time(shared, exp, nbf, iat)?;
        if shared.rfc9068 {
            let not_access =
                || AuthError::new(AuthErrorKind::NotAccepted, "ID token, not an access token");
            if raw.id_token_member {
                return Err(not_access());
            }
            // RFC 9068 §2.2: `client_id` is a string.
            if matches!(raw.client_id, Some(Loose::WrongType)) {
                return Err(invalid("client_id is not a string"));
            }
            if let (Some(Loose::Ok(client)), Some(Loose::Ok(aud))) = (&raw.client_id, &raw.aud) {
                let names_client = match aud {
                    StrOrList::One(a) => a == client,
                    StrOrList::Many(list) => list.contains(client),
                };
                if names_client {
                    return Err(not_access());
                }
            }
        }
        if !shared.skip_audience {
            let accepted = issuer.audiences.as_deref().unwrap_or(&shared.audiences);
            let wrong = |d| AuthError::new(AuthErrorKind::WrongAudience, d);
            let ok = match &raw.aud {
                None => return Err(wrong("audience missing")),
                Some(Loose::WrongType) => false,
                Some(Loose::Ok(StrOrList::One(aud))) => accepted.contains(aud),
                Some(Loose::Ok(StrOrList::Many(auds))) => auds.iter().any(|a| accepted.contains(a)),
            };
            if !ok {
                return Err(wrong("audience not accepted"));
            }
        }
        let n = shared.required.len();
        let all_required = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        if raw.required_found != all_required
            || !shared.required_registered.iter().all(|name| raw.has(name))
        {
            return Err(invalid("required claim missing"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyFamily;

    fn entry(cache: &TokenCache, claims_len: usize) -> Arc<CachedToken> {
        let key = PreparedKey::new(
            None,
            KeyFamily::Hmac,
            None,
            jsonwebtoken::DecodingKey::from_secret(&[7; 32]),
            32,
        );
        Arc::new(CachedToken {
            verified: Arc::new(()),
            exp: 0.0,
            nbf: None,
            iat: None,
            issuer: 0,
            key: Arc::new(key),
            alg: jsonwebtoken::Algorithm::HS256,
            kid: None,
            generation: AtomicU64::new(0),
            template: None,
            ttl: Duration::from_secs(300),
            weight: cache.weight(claims_len),
        })
    }

    #[test]
    fn the_token_cache_holds_its_byte_budget_and_its_entry_bound() {
        let budget = 1024 * 1024;
        // Large claims: the byte budget binds (12 KiB of claims weighs ~24.5 KiB).
        let cache = TokenCache::new(10_000, budget);
        for i in 0u32..2_000 {
            let mut digest = [0u8; 32];
            digest[..4].copy_from_slice(&i.to_le_bytes());
            cache.cache.insert(digest, entry(&cache, 12 * 1024));
        }
        let size = cache.weighted_size();
        assert!(size <= budget, "{size} bytes held, budget {budget}");
        assert!(cache.cache.entry_count() <= budget / (24 * 1024 + 512));
        // Small claims: the entry bound binds.
        let cache = TokenCache::new(100, budget);
        for i in 0u32..2_000 {
            let mut digest = [0u8; 32];
            digest[..4].copy_from_slice(&i.to_le_bytes());
            cache.cache.insert(digest, entry(&cache, 200));
        }
        cache.weighted_size();
        assert!(cache.cache.entry_count() <= 100);
        assert!(cache.cache.entry_count() >= 50, "the cache still caches");
    }
}
