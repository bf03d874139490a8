//! A [tower](https://docs.rs/tower) layer that authenticates requests with JWTs.
//!
//! A [`Verifier`] (built by [`Verifier::builder`]) holds everything about tokens and keys: it
//! verifies a token against your identity provider's keys and checks its claims the way the RFCs
//! say. A [`JwtAuthLayer`] around it holds everything about requests: it takes the token from
//! `Authorization: Bearer …`, a cookie or a header of your choosing, runs your policies, and hands
//! your handler typed [`Claims<C>`]. A refused request never reaches your service: it gets an
//! RFC 6750 `WWW-Authenticate: Bearer …` challenge (or your responder's answer).
//!
//! It works with axum, tonic and plain hyper services alike, through `.layer(...)`.
//!
//! Keys come from your provider's JWKS ([`Issuer::jwks_url`], or OIDC discovery with
//! [`Issuer::discover`]), fetched and refreshed by a background task and indexed by `kid`, so a
//! request never waits on the network unless its key is new; see [`Refresh`] for the refresh model,
//! the outage behaviour and the defaults. Static keys ([`Issuer::static_keys`], [`Issuer::hmac`],
//! [`Issuer::pem`]) work too.
//!
//! # Example
//!
//! ```
//! use axum::{Router, body::Body, routing::get};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//! use tower_jwt_auth::{Algorithm, Claims, Issuer, JwtAuthLayer, Verifier, testing::{TestKey, now}};
//!
//! #[derive(Debug, serde::Deserialize)]
//! struct MyClaims { sub: String }
//!
//! async fn me(Claims(c): Claims<MyClaims>) -> String {
//!     c.sub.clone()
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = TestKey::generate(Algorithm::RS256).with_kid("k1");
//! let verifier = Verifier::builder()
//!     .claims::<MyClaims>()
//!     .issuer(Issuer::static_keys("https://issuer.example", key.jwks()))
//!     .audience("api://orders")
//!     .build()?;
//! let auth = JwtAuthLayer::new(verifier);
//! let app = Router::new().route("/me", get(me)).layer(auth);
//!
//! let token = key.token(&serde_json::json!({
//!     "iss": "https://issuer.example", "aud": "api://orders", "sub": "alice", "exp": now() + 60,
//! }));
//! let request = Request::get("/me").header("authorization", format!("Bearer {token}"));
//! let response = app.clone().oneshot(request.body(Body::empty())?).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//!
//! let response = app.oneshot(Request::get("/me").body(Body::empty())?).await?;
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="api""#);
//! # Ok(())
//! # }
//! ```
//!
//! # Security
//!
//! - The token's `alg` never picks the algorithm: it must be on the allow-list
//!   ([`algorithms`](VerifierBuilder::algorithms)), fit the key's type and equal the JWK's own `alg`.
//!   `none` in any spelling is refused.
//! - `jku`, `x5u`, `jwk` and `x5c` headers are never followed or used. `crit` and `cty` are refused.
//! - Explicit typing (RFC 8725 §3.11): `typ` must be absent, `JWT` or `at+jwt`.
//! - Tokens bound to a key (`cnf`: DPoP, mTLS) are never accepted as bearer tokens: with
//!   [`JwtAuthLayer::dpop`] a DPoP token passes with a valid proof of its key ([`dpop`]), and a
//!   certificate-bound one on a connection with its client certificate ([`mtls`]).
//! - Claims are checked by this crate against an injectable [`Clock`](clock::Clock): `exp`
//!   required, `nbf` when present, 60 s leeway, `iss` byte-equal to a trusted issuer, `aud`
//!   naming a configured audience (compulsory, RFC 8725 §3.9).
//! - Compact form only, strict base64url, JSON objects without duplicate members the verifier
//!   reads; tokens over 16 KiB are refused before any parsing.
//! - Key sets are read key by key: an unusable key is skipped, never sinks the set.
//! - Errors never carry token content or key material.
//!
//! # Defaults
//!
//! Every default in one place; each is a setting of the type named in the first column.
//!
//! | on | setting | default |
//! |---|---|---|
//! | [`VerifierBuilder`] | claims type | [`RegisteredClaims`] |
//! | | algorithms | each key's own JWK `alg` only |
//! | | audience | required at `build()` |
//! | | leeway | 60 s ([`DEFAULT_LEEWAY`]) |
//! | | token age (`iat`) | any (`max_token_age` to bound it) |
//! | | token size | 16 KiB |
//! | | keys per set | 100 |
//! | | keys tried for a token without `kid` | 4 |
//! | | accepted `typ` | absent, `JWT`, `at+jwt` |
//! | | claims nesting depth | 16 ([`DEFAULT_MAX_CLAIMS_DEPTH`]) |
//! | | verified-token cache | 10,000 tokens and 32 MiB ([`DEFAULT_TOKEN_CACHE`], [`DEFAULT_TOKEN_CACHE_BYTES`]), each until its `exp` |
//! | | revocation | none; with a store: 250 ms deadline, fail closed (503) |
//! | | clock | [`SystemClock`](clock::SystemClock) |
//! | [`Refresh`] (per [`Issuer`]) | refresh interval without `Cache-Control` | 10 min ± 10 % |
//! | | `max-age` clamp | 1 min ..= 1 h |
//! | | kid-miss refetch cooldown / request wait | 30 s / 1.5 s |
//! | | `max_stale` | 1 h |
//! | | fetch timeout / body size | 5 s / 256 KiB |
//! | | failure backoff / first-load retry | 1 s → 60 s / ≤ 5 s |
//! | | discovery fetched again | every 24 h, and after 3 failed key set fetches |
//! | [`JwtAuthLayer`] | token sources | `Authorization: Bearer` |
//! | | values per token source | 32 |
//! | | authentication | required (not [`optional`](JwtAuthLayer::optional)) |
//! | | realm | `"api"` ([`DEFAULT_REALM`]) |
//! | | cross-origin guard for cookie tokens | on, trusting the request's own origin |
//! | | CORS preflights | authenticated like other requests |
//! | | policies | none |
//! | | responder | RFC 6750 / gRPC ([`DefaultResponseForAuthError`](response::DefaultResponseForAuthError)) |
//! | | DPoP | off (bearer only); with [`dpop`](JwtAuthLayer::dpop): ES256 ES384 RS256 PS256 EdDSA proofs, `iat` ±60 s, 200,000 proofs remembered in memory, no nonces |
//!
//! # Feature flags
//!
//! - `aws-lc-rs` (default): verify signatures with aws-lc-rs.
//! - `rust-crypto`: verify signatures with the RustCrypto crates. With both on, aws-lc-rs is used.
//! - `metrics`: metrics through the `metrics` facade, with fixed names (see the README's table).
//! - `axum`: [`Claims<C>`] and `Option<Claims<C>>` as axum extractors.
//! - `tonic`: `RequestClaimsExt` for `tonic::Request`.
//! - `redis`: `revocation::RedisRevocation`, revocations shared by replicas through Redis.
//! - `testing`: [`testing`], a kit of key pairs and a token minter.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "tower-jwt-auth needs a crypto backend: enable the feature `aws-lc-rs` (the default) or `rust-crypto`"
);

#[macro_use]
mod macros;

mod b64;
mod claims;
mod crypto;
mod de;
mod digest;
mod error;
mod expiry;
mod extract;
mod jwks;
mod keys;
mod layer;
mod service;
mod telemetry;
mod verify;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
pub mod clock;
pub mod dpop;
pub mod future;
pub mod metadata;
pub mod mtls;
pub mod policy;
pub mod response;
pub mod revocation;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub mod tonic;

#[doc(inline)]
pub use jsonwebtoken::Algorithm;

pub use self::crypto::crypto_backend;

pub use self::claims::{Claims, RegisteredClaims, Scopes};
pub use self::error::{AuthError, AuthErrorKind, ConfigError};
pub use self::expiry::Expiry;
pub use self::extract::{TokenSource, csrf};
pub use self::jwks::{Freshness, Issuer, Refresh};
pub use self::keys::{MAX_KIDLESS_CANDIDATES, SkippedKey};
pub use self::layer::JwtAuthLayer;
pub use self::policy::Verdict;
pub use self::response::DEFAULT_REALM;
pub use self::service::JwtAuth;
pub use self::verify::jws::{DEFAULT_MAX_KEYS, DEFAULT_MAX_TOKEN_LEN, JwsVerifier};
pub use self::verify::{
    DEFAULT_LEEWAY, DEFAULT_MAX_CLAIMS_DEPTH, DEFAULT_TOKEN_CACHE, DEFAULT_TOKEN_CACHE_BYTES,
    VerifierBuilder,
};
pub use self::verify::{IssuerStatus, Verifier};

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "axum", feature = "tonic", feature = "testing"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
