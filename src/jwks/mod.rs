//! Issuers and their keys: static keys, JWKS over HTTP or from a file refreshed in the background,
//! OIDC discovery.

pub(crate) mod fetch;
mod file;
mod issuer;
pub(crate) mod oidc;
mod refresh;
pub(crate) mod refresher;
pub(crate) mod remote;

pub use self::issuer::Issuer;
pub(crate) use self::issuer::{KeySource, TENANT_PLACEHOLDER, Tenants};
pub(crate) use self::refresh::FILE_CHECK_INTERVAL;
pub use self::refresh::Refresh;

/// How current an issuer's key set is.
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::testing::{Behavior, JwksServer, TestKey};
/// use tower_jwt_auth::{Algorithm, Freshness, Issuer, Verifier};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
/// let server = JwksServer::start(&[&key]).await;
/// server.set_behavior(Behavior::Status(500)); // the provider is down
/// let verifier = Verifier::builder()
///     .issuer(Issuer::static_keys("https://static.example", key.jwks()))
///     .issuer(Issuer::jwks_url("https://remote.example", server.jwks_url()))
///     .audience("api")
///     .build()?;
/// let freshness = |v: &Verifier| v.status().iter().map(|s| s.freshness).collect::<Vec<_>>();
/// assert_eq!(freshness(&verifier), [Freshness::Static, Freshness::NeverLoaded]);
///
/// server.set_behavior(Behavior::Serve); // back up: the next retry loads the keys
/// tokio::time::timeout(Duration::from_secs(10), verifier.ready()).await?;
/// assert_eq!(freshness(&verifier), [Freshness::Static, Freshness::Fresh]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Freshness {
    /// Keys given in the configuration: always current.
    Static,
    /// Refreshed within its interval.
    Fresh,
    /// Past its interval (the IdP is failing) but within `max_stale`: still used.
    Stale,
    /// Past `max_stale`: requests get 503 until a refresh succeeds.
    Expired,
    /// No key set has loaded yet: requests get 503.
    NeverLoaded,
}
