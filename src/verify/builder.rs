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

/// Default leeway for `exp` and `nbf`: 60 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// Default limit on the nesting of arrays and objects in a claim set.
pub const DEFAULT_MAX_CLAIMS_DEPTH: usize = 16;

/// Default capacity of the verified-token cache, in tokens.
pub const DEFAULT_TOKEN_CACHE: u64 = 10_000;

/// Default byte budget of the verified-token cache: 32 MiB (claims are weighed at twice their
/// JSON size plus 512 bytes an entry).
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
/// never panics. Each setting is read by `build()`; none is ignored.
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
    /// A builder with the defaults (see the crate docs' defaults table).
    pub fn new() -> Self {
        Self {
            issuers: Vec::new(),
            audiences: Vec::new(),
            skip_audience: false,
            algorithms: None,
            leeway: DEFAULT_LEEWAY,
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
    /// use tower_jwt_auth::{Issuer, Verifier, VerifierBuilder};
    ///
    /// #[derive(Debug, serde::Deserialize)]
    /// struct MyClaims { tenant: String }
    ///
    /// let builder: VerifierBuilder<MyClaims> = Verifier::builder().claims::<MyClaims>();
    /// let verifier = builder
    ///     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    ///     .insecure_skip_audience()
    ///     .algorithms([tower_jwt_auth::Algorithm::HS256])
    ///     .build()?;
    /// # let _: tower_jwt_auth::Verifier<MyClaims> = verifier;
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn claims<C2>(self) -> VerifierBuilder<C2> {
        VerifierBuilder {
            issuers: self.issuers,
            audiences: self.audiences,
            skip_audience: self.skip_audience,
            algorithms: self.algorithms,
            leeway: self.leeway,
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
    pub fn issuer(mut self, issuer: Issuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Adds an accepted audience: a token's `aud` (a string, or an array of strings) must name
    /// one of them. Compulsory unless [`insecure_skip_audience`](Self::insecure_skip_audience)
    /// is called ([RFC 8725 §3.9](https://www.rfc-editor.org/rfc/rfc8725#section-3.9)).
    /// An [`Issuer`] may override it with [`Issuer::audience`].
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Accepts tokens whatever their `aud`.
    ///
    /// Dangerous: a token your identity provider issued for any other service is then accepted
    /// here too ([RFC 8725 §3.9](https://www.rfc-editor.org/rfc/rfc8725#section-3.9)).
    pub fn insecure_skip_audience(mut self) -> Self {
        self.skip_audience = true;
        self
    }

    /// The algorithm allow-list. The token's `alg` must be on it, fit the key's type, and equal
    /// the JWK's own `alg` when the key names one.
    ///
    /// Without it, each key is usable only with its JWK `alg`, and keys without one (HMAC
    /// secrets, PEM keys, JWKs without `alg`) are not usable at all.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// Tolerance for clock skew when checking `exp` and `nbf`. Defaults to 60 seconds.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Claims that must be present (a member with the value `null` counts as present), in
    /// addition to `exp`, `iss`, and `aud` (unless
    /// [`insecure_skip_audience`](Self::insecure_skip_audience)). `cnf` can't be required:
    /// sender-constrained tokens are never accepted as bearer tokens.
    pub fn required_claims<I, S>(mut self, claims: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.required.extend(claims.into_iter().map(Into::into));
        self
    }

    /// The accepted `typ` header values, compared case-insensitively with the `application/`
    /// prefix optional ([RFC 7515 §4.1.9](https://www.rfc-editor.org/rfc/rfc7515#section-4.1.9)).
    ///
    /// Defaults to `JWT` and `at+jwt` (plus tokens without `typ`): a logout token, a DPoP proof
    /// or a security event token is never accepted as an access token
    /// ([RFC 8725 §3.11](https://www.rfc-editor.org/rfc/rfc8725#section-3.11)).
    pub fn token_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.typ.accepted = types
            .into_iter()
            .map(|t| TypPolicy::normalize(t.as_ref()))
            .collect();
        self
    }

    /// Refuses tokens without a `typ` header. Defaults to `false` (tokens without `typ` pass).
    pub fn require_token_type(mut self, require: bool) -> Self {
        self.typ.allow_absent = !require;
        self
    }

    /// The longest token accepted, in bytes. Defaults to 16 KiB.
    pub fn max_token_len(mut self, len: usize) -> Self {
        self.max_token_len = len;
        self
    }

    /// The deepest nesting of arrays and objects accepted in a claim set, checked by a scan before
    /// any parsing. Defaults to 16.
    pub fn max_claims_depth(mut self, depth: usize) -> Self {
        self.max_claims_depth = depth;
        self
    }

    /// The most keys read from one key set. Defaults to 100.
    pub fn max_keys(mut self, max: usize) -> Self {
        self.max_keys = max;
        self
    }

    /// The clock token times are checked against. Defaults to [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The capacity of the verified-token cache, in tokens. Defaults to 10,000.
    ///
    /// A token seen before skips only its signature check: time (`exp`, `nbf`, `iat`) is checked
    /// again on every request, an entry never outlives the token's `exp`, and a token whose key a
    /// refresh removed is verified again (and refused). The cache belongs to one verifier, so
    /// every layer that shares it also shares its claim policy. Entries are keyed by the SHA-256 of
    /// the token, never by the token itself.
    pub fn token_cache_capacity(mut self, capacity: u64) -> Self {
        self.token_cache = Some(capacity);
        self
    }

    /// The byte budget of the verified-token cache. Defaults to 32 MiB
    /// ([`DEFAULT_TOKEN_CACHE_BYTES`]); 0 turns the cache off.
    ///
    /// Claims can be as large as the token size limit allows (16 KiB by default), so an entry
    /// bound alone would let 10,000 large tokens hold hundreds of MiB. Each entry is weighed at
    /// twice its claims' JSON size (the caller's type and the registered claims) plus 512 bytes,
    /// and at least `budget / capacity`, so the cache holds at most the capacity in tokens and
    /// about the budget in bytes, whichever comes first. Past it, moka evicts (a later request
    /// with an evicted token checks its signature again).
    pub fn token_cache_max_bytes(mut self, bytes: u64) -> Self {
        self.token_cache_bytes = bytes;
        self
    }

    /// Consults `store` on every request after the signature check (or the verified-token cache
    /// hit, which never hides a revocation): a revoked token gets 401 `invalid_token` ("token
    /// revoked"). A store that can't answer within the
    /// [deadline](Self::revocation_deadline) fails closed (503 `revocation_unavailable`, with
    /// `Retry-After`) unless [`revocation_fail_open`](Self::revocation_fail_open) is set. See
    /// [`revocation`](crate::revocation).
    pub fn revocation(mut self, store: impl Revocation) -> Self {
        self.revocation = Some(Arc::new(store));
        self
    }

    /// How long one revocation check may take before the failure policy applies. Defaults to
    /// 250 ms.
    pub fn revocation_deadline(mut self, deadline: Duration) -> Self {
        self.revocation_deadline = deadline;
        self
    }

    /// Lets requests through when the revocation store can't answer in time (each one logged
    /// at `warn`), instead of the default 503. Availability over revocation: a revoked token
    /// passes while the store is down.
    pub fn revocation_fail_open(mut self) -> Self {
        self.revocation_policy = FailurePolicy::Open;
        self
    }

    /// Turns the verified-token cache off: every request checks its signature.
    pub fn disable_token_cache(mut self) -> Self {
        self.token_cache = None;
        self
    }

    /// The JWT access token profile of [RFC 9068](https://www.rfc-editor.org/rfc/rfc9068): `typ`
    /// must be `at+jwt` (or `application/at+jwt`), the claims `iss exp aud sub client_id iat jti`
    /// are required, and an audience is compulsory (no `insecure_skip_audience`). An ID token
    /// never passes as an access token: one carrying `nonce`, `at_hash` or `c_hash`, or whose
    /// `aud` names its own `client_id`, is refused with `invalid_token`.
    pub fn rfc9068(mut self) -> Self {
        self.rfc9068 = true;
        self
    }
}
