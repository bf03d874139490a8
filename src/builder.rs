//! [`JwtAuthBuilder`]: one builder for the [`Verifier`] and the [`JwtAuthLayer`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::claims::{MAX_REQUIRED_CLAIMS, READ_CLAIMS};
use crate::clock::{Clock, SystemClock};
use crate::csrf::CsrfGuard;
use crate::error::ConfigError;
use crate::issuer::{Issuer, KeySource, TENANT_PLACEHOLDER};
use crate::jwks::RemoteConfig;
use crate::jwks::remote::{Location, Remote};
use crate::jwks::{fetch, oidc};
use crate::jws::{DEFAULT_MAX_KEYS, DEFAULT_MAX_TOKEN_LEN, TypPolicy};
use crate::keys::{
    AlgSet, KeyFamily, KeySetRules, KeyStore, ParsedKeys, PreparedKey, hmac_min_len, lone_key,
    parse_jwks, parse_pem,
};
use crate::layer::{JwtAuthLayer, LayerConfig};
use crate::response::Challenge;
use crate::revocation::{DEFAULT_REVOCATION_DEADLINE, FailurePolicy, Revocation, RevocationConfig};
use crate::token::TokenSource;
use crate::verify::{IssuerState, Shared, TokenCache, Verifier};

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

/// Default `realm` of the `WWW-Authenticate` challenge.
pub const DEFAULT_REALM: &str = "api";

/// Builds a [`JwtAuthLayer`] (with [`build`](Self::build)) or a [`Verifier`] (with
/// [`build_verifier`](Self::build_verifier)).
///
/// Setters take and return the builder by value; nothing is checked until `build()`, which
/// returns a [`ConfigError`] for an unusable configuration and never panics.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{Algorithm, Issuer, JwtAuthLayer, TokenSource};
///
/// #[derive(Debug, serde::Deserialize)]
/// struct MyClaims { sub: String }
///
/// let secret = b"0123456789abcdef0123456789abcdef";
/// let layer: JwtAuthLayer<MyClaims> = JwtAuthLayer::builder()
///     .issuer(Issuer::hmac("https://issuer.example", secret))
///     .audience("api://orders")
///     .algorithms([Algorithm::HS256])
///     .token_source(TokenSource::bearer())
///     .token_source(TokenSource::cookie("access_token"))
///     .build()?;
/// # Ok::<_, tower_jwt_auth::ConfigError>(())
/// ```
#[must_use]
pub struct JwtAuthBuilder<C> {
    issuers: Vec<Issuer>,
    audiences: Vec<String>,
    skip_audience: bool,
    algorithms: Option<Vec<Algorithm>>,
    leeway: Duration,
    required: Vec<String>,
    typ: TypPolicy,
    max_token_len: usize,
    max_claims_depth: usize,
    max_keys: usize,
    clock: Arc<dyn Clock>,
    remote: RemoteConfig,
    client: Option<reqwest::Client>,
    sources: Vec<TokenSource>,
    realm: String,
    resource_metadata: Option<String>,
    trusted_origins: Vec<String>,
    csrf_disabled: bool,
    rfc9068: bool,
    token_cache: Option<u64>,
    token_cache_bytes: u64,
    revocation: Option<Arc<dyn Revocation>>,
    revocation_deadline: Duration,
    revocation_policy: FailurePolicy,
    optional: bool,
    _claims: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for JwtAuthBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthBuilder")
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("skip_audience", &self.skip_audience)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .field("required", &self.required)
            .field("max_token_len", &self.max_token_len)
            .field("remote", &self.remote)
            .field("sources", &self.sources)
            .field("realm", &self.realm)
            .field("optional", &self.optional)
            .finish_non_exhaustive()
    }
}

impl<C> Default for JwtAuthBuilder<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> JwtAuthBuilder<C> {
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
            remote: RemoteConfig::default(),
            client: None,
            sources: Vec::new(),
            realm: DEFAULT_REALM.to_owned(),
            resource_metadata: None,
            trusted_origins: Vec::new(),
            csrf_disabled: false,
            rfc9068: false,
            token_cache: default_token_cache(),
            token_cache_bytes: DEFAULT_TOKEN_CACHE_BYTES,
            revocation: None,
            revocation_deadline: DEFAULT_REVOCATION_DEADLINE,
            revocation_policy: FailurePolicy::Closed,
            optional: false,
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

    /// The HTTP client for key sets and discovery documents: bring your own for a private CA,
    /// mTLS or a proxy (the crate's own client sends `User-Agent: tower-jwt-auth/<version>`; set
    /// one on yours, since some providers' firewalls refuse requests without). Whatever its settings, the crate applies its fetch timeout per request,
    /// its size limit while reading, and checks that the final URL (after any redirect) kept
    /// the configured origin and scheme. Defaults to a client that follows redirects only
    /// within one origin.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Refresh interval of remote key sets when the server sends no `Cache-Control: max-age`.
    /// Defaults to 10 minutes (±10 % jitter).
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.remote.refresh_interval = interval;
        self
    }

    /// Bounds for the refresh interval a `Cache-Control: max-age` asks for (`no-cache`,
    /// `no-store` and `max-age=0` mean the floor). Defaults to 1 minute ..= 1 hour: the ceiling
    /// bounds how long a key the provider removed stays trusted.
    pub fn refresh_interval_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.remote.min_refresh_interval = min;
        self.remote.max_refresh_interval = max;
        self
    }

    /// How often an issuer configured by OIDC discovery fetches its configuration document again
    /// to learn a moved `jwks_uri`. Defaults to 24 hours. Discovery is also fetched again after
    /// three key set fetches in a row failed; while it can't be fetched, the last known
    /// `jwks_uri` stays in use.
    pub fn discovery_refresh_interval(mut self, interval: Duration) -> Self {
        self.remote.discovery_refresh = interval;
        self
    }

    /// Relative jitter of the refresh interval, from 0.0 to 0.5. Defaults to 0.1 (±10 %).
    pub fn refresh_jitter(mut self, jitter: f64) -> Self {
        self.remote.jitter = jitter;
        self
    }

    /// The least time between two refetches caused by unknown `kid`s. Defaults to 30 seconds.
    pub fn kid_miss_cooldown(mut self, cooldown: Duration) -> Self {
        self.remote.kid_miss_cooldown = cooldown;
        self
    }

    /// How long a request may wait for keys (a refetch for its `kid`, or the first key set).
    /// Defaults to 1.5 seconds.
    pub fn key_wait(mut self, wait: Duration) -> Self {
        self.remote.key_wait = wait;
        self
    }

    /// How long the last good key set keeps serving while refreshes fail, counted from when it
    /// became due (last success plus its interval). Past it, requests get 503. Defaults to 1 hour.
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.remote.max_stale = max_stale;
        self
    }

    /// Time limit of one fetch, connection to last byte. Defaults to 5 seconds.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.remote.fetch_timeout = timeout;
        self
    }

    /// Largest key set document read, in bytes. Defaults to 256 KiB.
    pub fn max_jwks_bytes(mut self, bytes: usize) -> Self {
        self.remote.max_jwks_bytes = bytes;
        self
    }

    /// Backoff after failed refreshes: from `min`, doubling up to `max`, with full jitter.
    /// Defaults to 1 second ..= 60 seconds.
    pub fn retry_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.remote.backoff_min = min;
        self.remote.backoff_max = max;
        self
    }

    /// The longest wait between retries while no key set has ever loaded, so a service started
    /// during an outage of its provider comes up soon after the provider does. Defaults to 5 seconds.
    pub fn initial_retry_max(mut self, max: Duration) -> Self {
        self.remote.initial_retry_max = max;
        self
    }

    /// Adds a place to look for the token. Sources are tried in the order added, and the first
    /// that holds a token wins. Without any, the bearer header alone is read; once one is
    /// added, only the added ones are (add [`TokenSource::bearer()`] first to keep it).
    pub fn token_source(mut self, source: TokenSource) -> Self {
        self.sources.push(source);
        self
    }

    /// The `realm` of the `WWW-Authenticate` challenge. Defaults to `"api"`.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Adds `resource_metadata="<url>"` to every `WWW-Authenticate` challenge
    /// ([RFC 9728 §5.1](https://www.rfc-editor.org/rfc/rfc9728#section-5.1)): where OAuth clients
    /// (MCP clients among them) find how to get a token for this resource. Serve the document
    /// with [`ProtectedResourceMetadata`](crate::metadata::ProtectedResourceMetadata).
    pub fn resource_metadata(mut self, url: impl Into<String>) -> Self {
        self.resource_metadata = Some(url.into());
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

    /// Trusts unsafe requests from this origin (`https://app.example.com`) that carry a cookie
    /// token, as if they were same-origin. See [`TokenSource::cookie`] for the cross-origin
    /// guard; `build()` refuses a value that is not an origin.
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted_origins.push(origin.into());
        self
    }

    /// Turns off the cross-origin guard for cookie tokens.
    ///
    /// Dangerous: any site a user visits can then send requests that carry their cookie token,
    /// and act as them (cross-site request forgery, RFC 6750 §5.3).
    pub fn insecure_disable_csrf_guard(mut self) -> Self {
        self.csrf_disabled = true;
        self
    }

    /// Lets requests without a token through, without claims (handlers then take
    /// `Option<Claims<C>>`). A token that is present but invalid is still refused.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Builds the layer.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when the configuration can't be used.
    pub fn build(self) -> Result<JwtAuthLayer<C>, ConfigError> {
        let challenge = Challenge::with_metadata(&self.realm, self.resource_metadata.as_deref());
        let mut layer = LayerConfig::new(self.sources.clone(), Arc::new(challenge), self.optional)?;
        layer.csrf = if self.csrf_disabled {
            None
        } else {
            Some(CsrfGuard::new(
                self.trusted_origins.iter().map(String::as_str),
            )?)
        };
        let verifier = self.build_verifier()?;
        Ok(JwtAuthLayer::with_config(verifier, layer))
    }

    /// Builds a [`Verifier`] (layer settings such as token sources are ignored).
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when the configuration can't be used.
    pub fn build_verifier(self) -> Result<Verifier<C>, ConfigError> {
        if self.issuers.is_empty() {
            return Err(ConfigError::NoIssuer);
        }
        let allowed: Option<AlgSet> = self
            .algorithms
            .as_ref()
            .map(|a| a.iter().copied().collect());
        if allowed.is_some_and(AlgSet::is_empty) {
            return Err(ConfigError::NoAlgorithms);
        }
        if !self.skip_audience
            && self.audiences.is_empty()
            && self.issuers.iter().any(|i| i.audience.is_none())
        {
            return Err(ConfigError::NoAudience);
        }
        if self.max_token_len == 0 {
            return Err(invalid("max_token_len", "must be at least 1"));
        }
        if self.revocation_deadline.is_zero() {
            return Err(invalid("revocation_deadline", "must be more than zero"));
        }
        if self.max_keys == 0 {
            return Err(invalid("max_keys", "must be at least 1"));
        }
        let leeway = self.leeway.as_secs_f64();
        if leeway > 86_400.0 {
            return Err(invalid("leeway", "more than a day"));
        }
        let mut typ = self.typ;
        let mut required = self.required;
        if self.rfc9068 {
            if self.skip_audience {
                return Err(invalid(
                    "rfc9068",
                    "the RFC 9068 profile needs an audience: drop `insecure_skip_audience()`",
                ));
            }
            typ = TypPolicy {
                allow_absent: false,
                accepted: vec!["at+jwt".to_owned()],
            };
            required
                .extend(["iss", "exp", "aud", "sub", "client_id", "iat", "jti"].map(str::to_owned));
        }
        required.sort();
        required.dedup();
        if required.iter().any(|c| c == "cnf") {
            return Err(invalid(
                "required_claims",
                "`cnf` marks a sender-constrained token, which is never accepted as a bearer token",
            ));
        }
        let (registered, custom): (Vec<String>, Vec<String>) = required
            .into_iter()
            .partition(|c| READ_CLAIMS.contains(&c.as_str()));
        if custom.len() > MAX_REQUIRED_CLAIMS {
            return Err(invalid("required_claims", "more than 64 claims"));
        }
        let required_registered = READ_CLAIMS
            .iter()
            .copied()
            .filter(|name| registered.iter().any(|r| r == name))
            .collect();

        let remote = &self.remote;
        if remote.jitter.is_nan() || !(0.0..=0.5).contains(&remote.jitter) {
            return Err(invalid("refresh_jitter", "must be from 0.0 to 0.5"));
        }
        if remote.min_refresh_interval.is_zero() || remote.backoff_min.is_zero() {
            return Err(invalid(
                "refresh_interval_bounds",
                "intervals must be above zero",
            ));
        }
        let mut client = self.client;
        let mut issuers: Vec<IssuerState> = Vec::with_capacity(self.issuers.len());
        for issuer in self.issuers {
            if issuers.iter().any(|i| i.iss == issuer.iss) {
                return Err(ConfigError::DuplicateIssuer { issuer: issuer.iss });
            }
            let template = issuer.iss.contains(TENANT_PLACEHOLDER);
            if template && !issuer.tenants.is_set() {
                return Err(invalid(
                    "issuer",
                    "a `{tenantid}` issuer needs `.tenants([...])` (or `insecure_any_tenant()`)",
                ));
            }
            // Tenants only mean something for a template: one given in `iss`, or one a
            // discovery document names (checked when it is fetched).
            if !template && issuer.tenants.is_set() && !matches!(issuer.keys, KeySource::Discover) {
                return Err(invalid(
                    "issuer",
                    "`.tenants([...])` needs a `{tenantid}` issuer (or `Issuer::discover` of a multi-tenant provider)",
                ));
            }
            let location = match &issuer.keys {
                KeySource::JwksUrl(url) => Some(Location::Jwks(remote_url(&issuer, url)?)),
                KeySource::Discover => {
                    let config = oidc::configuration_url(&issuer.iss).map_err(|reason| {
                        ConfigError::InvalidUrl {
                            issuer: issuer.iss.clone(),
                            reason,
                        }
                    })?;
                    remote_url(&issuer, config.as_str())?;
                    Some(Location::Discovery {
                        config,
                        issuer: issuer.iss.clone(),
                        multi_tenant: issuer.tenants.is_set(),
                    })
                }
                _ => None,
            };
            let state = match location {
                Some(location) => {
                    if tokio::runtime::Handle::try_current().is_err() {
                        return Err(ConfigError::NoRuntime);
                    }
                    let client = match &client {
                        Some(c) => c.clone(),
                        None => {
                            let built = reqwest::Client::builder()
                                .redirect(fetch::same_origin_redirects())
                                .user_agent(fetch::USER_AGENT)
                                .build()
                                .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
                            client = Some(built.clone());
                            built
                        }
                    };
                    let remote = Remote::spawn(
                        issuer.iss.clone(),
                        location,
                        issuer.allow_http,
                        client,
                        self.remote.clone(),
                        allowed,
                        self.max_keys,
                        Arc::clone(&self.clock),
                    );
                    IssuerState {
                        iss: issuer.iss,
                        audiences: issuer.audience,
                        tenants: issuer.tenants,
                        store: Arc::clone(&remote.store),
                        remote: Some(remote),
                    }
                }
                None => {
                    let store = KeyStore::new(self.max_keys);
                    store.replace(load_keys(&issuer, allowed, self.max_keys)?);
                    IssuerState {
                        iss: issuer.iss,
                        audiences: issuer.audience,
                        tenants: issuer.tenants,
                        store: Arc::new(store),
                        remote: None,
                    }
                }
            };
            issuers.push(state);
        }

        Ok(Verifier::from_shared(Shared {
            issuers,
            allowed,
            leeway,
            audiences: self.audiences,
            skip_audience: self.skip_audience,
            required: custom,
            required_registered,
            typ,
            rfc9068: self.rfc9068,
            max_token_len: self.max_token_len,
            max_claims_depth: self.max_claims_depth,
            clock: self.clock,
            revocation: self.revocation.map(|store| RevocationConfig {
                store,
                deadline: self.revocation_deadline,
                policy: self.revocation_policy,
                warnings: Arc::default(),
            }),
            token_cache: self
                .token_cache
                .filter(|c| *c > 0 && self.token_cache_bytes > 0)
                .map(|capacity| TokenCache::new(capacity, self.token_cache_bytes)),
        }))
    }
}

/// Parses a key set URL and checks its scheme.
fn remote_url(issuer: &Issuer, url: &str) -> Result<reqwest::Url, ConfigError> {
    let bad = |reason: String| ConfigError::InvalidUrl {
        issuer: issuer.iss.clone(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(format!("{url:?} is not a URL: {e}")))?;
    fetch::check_scheme(&parsed, issuer.allow_http).map_err(bad)?;
    Ok(parsed)
}

fn invalid(setting: &'static str, reason: &str) -> ConfigError {
    ConfigError::InvalidValue {
        setting,
        reason: reason.to_owned(),
    }
}

/// Reads an issuer's keys and keeps those usable with the allowed algorithms.
fn load_keys(
    issuer: &Issuer,
    allowed: Option<AlgSet>,
    max_keys: usize,
) -> Result<ParsedKeys, ConfigError> {
    let iss = || issuer.iss.clone();
    let parsed = match &issuer.keys {
        KeySource::Jwks(json) => {
            let rules = KeySetRules {
                allow_oct: true,
                max_keys,
                allowed,
            };
            parse_jwks(json.as_bytes(), rules).map_err(|reason| ConfigError::InvalidKeySet {
                issuer: iss(),
                reason: reason.to_owned(),
            })?
        }
        KeySource::Hmac(secret) => {
            let hs: Vec<Algorithm> = allowed
                .map(|set| {
                    set.iter()
                        .filter(|a| KeyFamily::of(*a) == Some(KeyFamily::Hmac))
                        .collect()
                })
                .unwrap_or_default();
            let min_len = hs.iter().map(|a| hmac_min_len(*a)).max().unwrap_or(32);
            if secret.len() < min_len {
                return Err(ConfigError::WeakHmacSecret {
                    issuer: iss(),
                    min_len,
                    len: secret.len(),
                });
            }
            let key = PreparedKey::new(
                None,
                KeyFamily::Hmac,
                None,
                jsonwebtoken::DecodingKey::from_secret(secret),
                secret.len(),
            );
            lone_key(key, allowed)
        }
        KeySource::JwksUrl(_) | KeySource::Discover => {
            // Remote key sets are loaded by their refresher, never here.
            return Err(invalid("issuer", "a remote key set has no static keys"));
        }
        KeySource::Pem(pem) => {
            let key = parse_pem(pem).map_err(|reason| ConfigError::InvalidPem {
                issuer: iss(),
                reason: reason.to_owned(),
            })?;
            lone_key(key, allowed)
        }
    };
    let ParsedKeys { keys, skipped } = parsed;
    if keys.is_empty() {
        return Err(ConfigError::NoUsableKeys {
            issuer: iss(),
            skipped: skipped.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(ParsedKeys { keys, skipped })
}
