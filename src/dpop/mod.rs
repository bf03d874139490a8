//! DPoP (RFC 9449): tokens bound to a key the client holds, proven on every request.
//!
//! A DPoP client sends `Authorization: DPoP <token>` and a `DPoP` header holding a *proof*: a
//! JWS signed by its own key pair, whose public key is in the proof's header, naming the request
//! (`htm`, `htu`), the time (`iat`), a unique `jti` and the token's hash (`ath`). The token's
//! `cnf.jkt` names the key's thumbprint, so a stolen token is useless without the private key.
//!
//! [`Dpop`] configures a layer for it ([`JwtAuthLayer::dpop`](crate::JwtAuthLayer::dpop)):
//!
//! | mode | `Bearer` tokens | `DPoP` tokens | challenges on 401 |
//! |---|---|---|---|
//! | no `Dpop` (default) | accepted unless bound (`cnf`) | refused: no token | `Bearer` |
//! | [`Dpop::new`] | accepted unless bound | accepted with a valid proof | `DPoP algs="…"` and `Bearer` |
//! | [`Dpop::required`] | refused (`dpop_required`) | accepted with a valid proof | `DPoP algs="…"` |
//!
//! Every proof check of RFC 9449 §4.3 is made; a failure answers 401 with
//! `WWW-Authenticate: DPoP error="invalid_dpop_proof"`. Proofs are accepted once: their
//! `jti`s go into a [`ReplayCache`]. With [`DpopNonce`], proofs must carry a server nonce
//! (RFC 9449 §8), handed out in `DPoP-Nonce` headers.
//!
//! # Example
//!
//! ```
//! use http::{Request, Response};
//! use tower::{Layer, ServiceExt, service_fn};
//! use tower_jwt_auth::dpop::{Dpop, DpopKey};
//! use tower_jwt_auth::testing::{DpopProof, TestKey, now};
//! use tower_jwt_auth::{Algorithm, Issuer, Verifier};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = TestKey::generate(Algorithm::ES256).with_kid("k1");
//! let verifier = Verifier::builder()
//!     .issuer(Issuer::static_keys("https://issuer.example", issuer.jwks()))
//!     .audience("api")
//!     .build()?;
//! let service = verifier
//!     .layer()
//!     .dpop(Dpop::new("https://api.example")?.required())
//!     .layer(service_fn(|req: Request<()>| async move {
//!         let key = req.extensions().get::<DpopKey>().unwrap().thumbprint().to_owned();
//!         Ok::<_, std::convert::Infallible>(Response::new(key))
//!     }));
//! // The client's key pair, and a token bound to it.
//! let client = TestKey::generate(Algorithm::ES256);
//! let token = issuer.token(&serde_json::json!({
//!     "iss": "https://issuer.example", "aud": "api", "sub": "alice", "exp": now() + 60,
//!     "cnf": {"jkt": client.thumbprint()},
//! }));
//! let proof = DpopProof::new(&client, "GET", "https://api.example/orders").access_token(&token).sign();
//! let request = Request::get("/orders")
//!     .header("authorization", format!("DPoP {token}"))
//!     .header("dpop", proof)
//!     .body(())?;
//! let response = service.clone().oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.into_body(), client.thumbprint());
//! // The same token as a bearer token: refused, with a DPoP challenge.
//! let request = Request::get("/orders").header("authorization", format!("Bearer {token}")).body(())?;
//! let response = service.oneshot(request).await?;
//! assert_eq!(response.status(), 401);
//! assert!(response.headers()["www-authenticate"].to_str()?.starts_with("DPoP "));
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::error::ConfigError;
use crate::keys::{AlgSet, KeyFamily};

mod counted;
mod key;
mod nonce;
pub(crate) mod proof;
mod replay;
mod thumbprint;
mod token_request;
pub(crate) use self::token_request::one_proof;
mod url;

pub(crate) use self::counted::{count_refused, counted};
pub use self::key::DpopKey;
pub(crate) use self::nonce::NonceCheck;
pub use self::nonce::{DEFAULT_NONCE_ROTATION, DpopNonce};
pub(crate) use self::replay::Recorded;
pub use self::replay::{DEFAULT_REPLAY_CAPACITY, ReplayCache};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::replay::{DEFAULT_REPLAY_DEADLINE, DEFAULT_REPLAY_PREFIX, RedisReplayCache};
#[cfg(feature = "testing")]
pub(crate) use self::thumbprint::jwk_thumbprint;

/// Default window for a proof's `iat`: 60 seconds either way of the verifier's clock (RFC 9449
/// §11.1 leaves it to the server; Spring Security uses the same).
///
/// ```
/// assert_eq!(tower_jwt_auth::dpop::DEFAULT_PROOF_WINDOW.as_secs(), 60);
/// ```
pub const DEFAULT_PROOF_WINDOW: Duration = Duration::from_secs(60);

/// The longest `iat` window: 10 minutes (a proof is meant to be fresh; longer would only fill the
/// replay cache).
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::dpop::{Dpop, MAX_PROOF_WINDOW};
///
/// let dpop = Dpop::new("https://api.example.com")?.proof_window(Duration::from_secs(86_400));
/// assert_eq!(dpop.get_proof_window(), MAX_PROOF_WINDOW);
/// # Ok::<_, tower_jwt_auth::ConfigError>(())
/// ```
pub const MAX_PROOF_WINDOW: Duration = Duration::from_secs(600);

/// Default limit on a proof's length: 8 KiB (an RSA-4096 proof is about 2 KiB).
///
/// ```
/// assert_eq!(tower_jwt_auth::dpop::DEFAULT_MAX_PROOF_LEN, 8 * 1024);
/// ```
pub const DEFAULT_MAX_PROOF_LEN: usize = 8 * 1024;

/// The `DPoP` request header (RFC 9449 §4.1).
const DPOP_HEADER: http::HeaderName = http::HeaderName::from_static("dpop");

/// How long after its window a proof's `jti` is still remembered (replica clocks disagree).
const REPLAY_MARGIN: f64 = 5.0;

/// The proof algorithms accepted by default: ES256, ES384, PS256, RS256, EdDSA.
const DEFAULT_ALGS: [Algorithm; 5] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::PS256,
    Algorithm::RS256,
    Algorithm::EdDSA,
];

/// DPoP settings for a layer: the public URL proofs name, the accepted proof algorithms, the
/// `iat` window, the replay cache and optional server nonces. See the [module docs](self).
///
/// Clones share the replay cache.
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::Algorithm;
/// use tower_jwt_auth::dpop::{Dpop, DpopNonce, ReplayCache};
///
/// let dpop = Dpop::new("https://api.example.com")?
///     .required()
///     .algorithms([Algorithm::ES256, Algorithm::EdDSA])?
///     .proof_window(Duration::from_secs(30))
///     .replay_cache(ReplayCache::memory(50_000))
///     .nonce(DpopNonce::new([7u8; 32])?);
/// assert!(dpop.is_required());
/// assert_eq!(dpop.public_url(), "https://api.example.com");
/// assert_eq!(dpop.algorithm_names(), "ES256 EdDSA");
/// # Ok::<_, tower_jwt_auth::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Dpop {
    required: bool,
    pub(crate) base: url::PublicBase,
    pub(crate) algs: AlgSet,
    pub(crate) window: Duration,
    pub(crate) max_proof_len: usize,
    pub(crate) replay: ReplayCache,
    pub(crate) nonce: Option<DpopNonce>,
}

impl fmt::Debug for Dpop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dpop")
            .field("required", &self.required)
            .field("public_url", &self.base.as_str())
            .field("algorithms", &self.algs)
            .field("window", &self.window)
            .field("max_proof_len", &self.max_proof_len)
            .field("replay", &self.replay)
            .field("nonce", &self.nonce)
            .finish()
    }
}

impl Dpop {
    /// DPoP allowed next to bearer tokens, for a service whose public base URL is `public_url`
    /// (what clients call: `https://api.example.com`, or `https://example.com/api` behind a
    /// proxy that strips `/api`). Proofs' `htu` must name that base plus the request's path;
    /// the URL is never taken from `Host` or `X-Forwarded-*`, which the client controls. The path
    /// is the one the layer sees: a layer inside an axum `Router::nest("/api", …)` sees paths
    /// without `/api`, like a service behind a stripping proxy, so its public URL ends in `/api`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidPublicUrl`] for anything but an `http`/`https` URL without user,
    /// query or fragment.
    ///
    /// ```
    /// use tower_jwt_auth::dpop::Dpop;
    ///
    /// let dpop = Dpop::new("HTTPS://API.example.com:443/")?;
    /// assert_eq!(dpop.public_url(), "https://api.example.com");
    /// assert!(!dpop.is_required());
    /// assert!(Dpop::new("api.example.com").is_err());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn new(public_url: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            required: false,
            base: url::PublicBase::parse(public_url)?,
            algs: DEFAULT_ALGS.into_iter().collect(),
            window: DEFAULT_PROOF_WINDOW,
            max_proof_len: DEFAULT_MAX_PROOF_LEN,
            replay: ReplayCache::default(),
            nonce: None,
        })
    }

    /// Requires DPoP: bearer tokens are refused (401 `dpop_required`, with a `DPoP` challenge
    /// only).
    ///
    /// ```
    /// # use tower_jwt_auth::dpop::Dpop;
    /// assert!(Dpop::new("https://api.example.com")?.required().is_required());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The proof algorithms accepted (default ES256, ES384, PS256, RS256, EdDSA), announced in
    /// the challenge's `algs`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NoAlgorithms`] for an empty list, [`ConfigError::SymmetricProofAlgorithm`]
    /// for an HS* algorithm (a proof is signed with the client's key pair).
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, ConfigError, dpop::Dpop};
    ///
    /// let dpop = Dpop::new("https://api.example.com")?;
    /// assert_eq!(dpop.clone().algorithms([Algorithm::ES384])?.algorithm_names(), "ES384");
    /// assert_eq!(dpop.algorithms([Algorithm::HS256]).unwrap_err(), ConfigError::SymmetricProofAlgorithm);
    /// # Ok::<_, ConfigError>(())
    /// ```
    pub fn algorithms(
        mut self,
        algs: impl IntoIterator<Item = Algorithm>,
    ) -> Result<Self, ConfigError> {
        let algs: AlgSet = algs.into_iter().collect();
        if algs.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        if algs
            .iter()
            .any(|alg| KeyFamily::of(alg).is_none_or(|f| f == KeyFamily::Hmac))
        {
            return Err(ConfigError::SymmetricProofAlgorithm);
        }
        self.algs = algs;
        Ok(self)
    }

    /// How far a proof's `iat` may be from the verifier's clock, either way (default
    /// [`DEFAULT_PROOF_WINDOW`]; from one second to [`MAX_PROOF_WINDOW`]). A `jti` is remembered
    /// for as long as its proof could be accepted, so a longer window costs replay-cache space.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::dpop::Dpop;
    /// let dpop = Dpop::new("https://api.example.com")?.proof_window(Duration::from_secs(10));
    /// assert_eq!(dpop.get_proof_window(), Duration::from_secs(10));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn proof_window(mut self, window: Duration) -> Self {
        self.window = window.clamp(Duration::from_secs(1), MAX_PROOF_WINDOW);
        self
    }

    /// The `iat` window.
    ///
    /// ```
    /// # use tower_jwt_auth::dpop::{DEFAULT_PROOF_WINDOW, Dpop};
    /// assert_eq!(Dpop::new("https://api.example.com")?.get_proof_window(), DEFAULT_PROOF_WINDOW);
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn get_proof_window(&self) -> Duration {
        self.window
    }

    /// The longest proof read, in bytes (default [`DEFAULT_MAX_PROOF_LEN`]).
    ///
    /// ```
    /// # use tower_jwt_auth::dpop::Dpop;
    /// let dpop = Dpop::new("https://api.example.com")?.max_proof_len(4096);
    /// assert!(format!("{dpop:?}").contains("max_proof_len: 4096"));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn max_proof_len(mut self, len: usize) -> Self {
        self.max_proof_len = len;
        self
    }

    /// Where accepted proofs' `jti`s are remembered (default: in memory,
    /// [`DEFAULT_REPLAY_CAPACITY`] proofs).
    ///
    /// ```
    /// # use tower_jwt_auth::dpop::{Dpop, ReplayCache};
    /// let dpop = Dpop::new("https://api.example.com")?.replay_cache(ReplayCache::memory(1_000));
    /// assert!(format!("{dpop:?}").contains("capacity: 1000"));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn replay_cache(mut self, cache: ReplayCache) -> Self {
        self.replay = cache;
        self
    }

    /// Requires server nonces in proofs (RFC 9449 §8): a proof without a current one is
    /// answered 401 `use_dpop_nonce` with a `DPoP-Nonce` header holding one.
    ///
    /// ```
    /// # use tower_jwt_auth::dpop::{Dpop, DpopNonce};
    /// let dpop = Dpop::new("https://api.example.com")?.nonce(DpopNonce::new([7u8; 32])?);
    /// assert!(dpop.uses_nonces());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn nonce(mut self, nonce: DpopNonce) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// Whether bearer tokens are refused.
    ///
    /// ```
    /// # use tower_jwt_auth::dpop::Dpop;
    /// assert!(!Dpop::new("https://api.example.com")?.is_required());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn is_required(&self) -> bool {
        self.required
    }

    /// Whether proofs need server nonces.
    ///
    /// ```
    /// # use tower_jwt_auth::dpop::Dpop;
    /// assert!(!Dpop::new("https://api.example.com")?.uses_nonces());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn uses_nonces(&self) -> bool {
        self.nonce.is_some()
    }

    /// The public base URL, normalized.
    ///
    /// ```
    /// # use tower_jwt_auth::dpop::Dpop;
    /// assert_eq!(Dpop::new("https://Api.Example.com/v1/")?.public_url(), "https://api.example.com/v1");
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn public_url(&self) -> &str {
        self.base.as_str()
    }

    /// The accepted proof algorithms, space-separated (the challenge's `algs`).
    ///
    /// ```
    /// # use tower_jwt_auth::dpop::Dpop;
    /// assert_eq!(Dpop::new("https://api.example.com")?.algorithm_names(), "ES256 ES384 RS256 PS256 EdDSA");
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn algorithm_names(&self) -> String {
        self.algorithm_list().join(" ")
    }

    pub(crate) fn algorithm_list(&self) -> Vec<String> {
        self.algs
            .iter()
            .map(|alg| crate::keys::alg_name(alg).to_owned())
            .collect()
    }

    /// Until when a proof of `iat` must be remembered.
    pub(crate) fn remember_until(&self, iat: f64) -> f64 {
        iat + self.window.as_secs_f64() + REPLAY_MARGIN
    }
}
