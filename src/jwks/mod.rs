//! Issuers and their keys: static keys, JWKS over HTTP refreshed in the background, OIDC discovery.

pub(crate) mod fetch;
mod issuer;
pub(crate) mod oidc;
mod refresh;
pub(crate) mod refresher;
pub(crate) mod remote;

pub use self::issuer::Issuer;
pub(crate) use self::issuer::{KeySource, TENANT_PLACEHOLDER, Tenants};
pub use self::refresh::Refresh;

/// How current an issuer's key set is.
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
