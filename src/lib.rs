//! A [tower](https://docs.rs/tower) layer that authenticates requests with JWTs.
//!
//! [`JwtAuthLayer`] takes the token from `Authorization: Bearer …`, a cookie or a header of your
//! choosing, verifies it against your identity provider's keys, checks its claims the way the
//! RFCs say, and hands your handler typed [`Claims<C>`]. A refused request never reaches your
//! service: it gets an RFC 6750 `WWW-Authenticate: Bearer …` challenge.
//!
//! It works with axum, tonic and plain hyper services alike, through `.layer(...)`.
//!
//! Keys come from your provider's JWKS ([`Issuer::jwks_url`], or OIDC discovery with
//! [`Issuer::discover`]), fetched and refreshed by a background task and indexed by `kid`, so a
//! request never waits on the network unless its key is new; see [`jwks`] for the refresh model,
//! the outage behaviour and the defaults. Static keys ([`Issuer::static_keys`], [`Issuer::hmac`],
//! [`Issuer::pem`]) work too.
//!
//! # Example
//!
//! ```
//! use axum::{Router, body::Body, routing::get};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//! use tower_jwt_auth::{Algorithm, Claims, Issuer, JwtAuthLayer, testing::{TestKey, now}};
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
//! let auth = JwtAuthLayer::<MyClaims>::builder()
//!     .issuer(Issuer::static_keys("https://issuer.example", key.jwks()))
//!     .audience("api://orders")
//!     .build()?;
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
//!   ([`algorithms`](JwtAuthBuilder::algorithms)), fit the key's type and equal the JWK's own `alg`.
//!   `none` in any spelling is refused.
//! - `jku`, `x5u`, `jwk` and `x5c` headers are never followed or used. `crit` and `cty` are refused.
//! - Explicit typing (RFC 8725 §3.11): `typ` must be absent, `JWT` or `at+jwt`.
//! - Tokens bound to a key (`cnf`: DPoP, mTLS) are refused as bearer tokens.
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
//! | setting | default |
//! |---|---|
//! | token sources | `Authorization: Bearer` |
//! | leeway | 60 s |
//! | token size | 16 KiB |
//! | keys per set | 100 |
//! | keys tried for a token without `kid` | 4 ([`keys::MAX_KIDLESS_CANDIDATES`]) |
//! | accepted `typ` | absent, `JWT`, `at+jwt` |
//! | audience | required at `build()` |
//! | claims nesting depth | 16 |
//! | values per token source | 32 |
//! | verified-token cache | 10,000 tokens and 32 MiB, each until its `exp` |
//! | revocation | none; with a store: 250 ms deadline, fail closed (503) |
//!
//! # Feature flags
//!
//! - `aws-lc-rs` (default): verify signatures with aws-lc-rs.
//! - `rust-crypto`: verify signatures with the RustCrypto crates. With both on, aws-lc-rs is used.
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
mod builder;
mod claims;
mod de;
mod digest;
mod error;
mod issuer;
mod layer;
mod service;
mod token;
mod verify;

pub mod jwks;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
pub mod clock;
pub mod csrf;
pub mod future;
pub mod jws;
pub mod keys;
pub mod metadata;
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

pub use self::builder::{
    DEFAULT_LEEWAY, DEFAULT_MAX_CLAIMS_DEPTH, DEFAULT_REALM, DEFAULT_TOKEN_CACHE,
    DEFAULT_TOKEN_CACHE_BYTES, JwtAuthBuilder,
};
pub use self::claims::{Claims, RegisteredClaims, Scopes};
pub use self::error::{AuthError, AuthErrorKind, ConfigError};
pub use self::issuer::Issuer;
pub use self::layer::JwtAuthLayer;
pub use self::service::JwtAuth;
pub use self::token::TokenSource;
pub use self::verify::{IssuerStatus, Verifier};

/// The signature backend this build verifies with: `"aws-lc-rs"` or `"rust-crypto"`.
///
/// With both features on, aws-lc-rs is used.
#[must_use]
pub const fn crypto_backend() -> &'static str {
    #[cfg(feature = "aws-lc-rs")]
    {
        "aws-lc-rs"
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    {
        "rust-crypto"
    }
}

/// The jsonwebtoken crypto provider this crate's features chose.
///
/// Called directly, never through jsonwebtoken's process-wide default: feature unification can
/// turn both jsonwebtoken backends on in a user's build, and the default then panics on the first
/// verify.
pub(crate) fn provider() -> &'static jsonwebtoken::crypto::CryptoProvider {
    #[cfg(feature = "aws-lc-rs")]
    {
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    {
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    }
}
