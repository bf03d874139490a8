//! Remote key sets: JWKS over HTTP, refreshed in the background, and OIDC discovery.
//!
//! Each remote issuer has one key store (moka, keyed by `kid`) and one refresher task, spawned by
//! `build()` on the current tokio runtime and running while any layer or [`Verifier`](crate::Verifier)
//! that uses it is alive. Requests never wait on the network, except:
//!
//! - before the first key set has loaded: they wait at most the key-wait budget (1.5 s), then
//!   get 503 `keys_unavailable`;
//! - for a `kid` the store doesn't hold: one refetch per issuer at a time, at most one per
//!   cooldown (30 s), run in a spawned task. Requests wait at most 1.5 s for it and succeed if
//!   the key arrived; 401 when a successful fetch lacked the kid, 503 when the fetch failed or is
//!   still running.
//!
//! | knob | default |
//! |---|---|
//! | refresh interval without `Cache-Control` | 10 min ± 10 % |
//! | `Cache-Control: max-age` clamp | 1 min ..= 1 h |
//! | kid-miss refetch cooldown | 30 s |
//! | wait budget for a request | 1.5 s |
//! | retry while no key set ever loaded | ≤ 5 s apart |
//! | failure backoff | 1 s → 60 s, full jitter |
//! | `max_stale` (serve the last good keys in an outage) | 1 h after the set became due |
//! | fetch timeout / body size / keys | 5 s / 256 KiB / 100 |
//! | discovery fetched again (a moved `jwks_uri`) | every 24 h, and after 3 failed key set fetches in a row |

use std::time::Duration;

pub(crate) mod fetch;
pub(crate) mod oidc;
pub(crate) mod remote;

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

/// The timing and size limits of remote key sets.
#[derive(Debug, Clone)]
pub(crate) struct RemoteConfig {
    pub(crate) refresh_interval: Duration,
    pub(crate) min_refresh_interval: Duration,
    pub(crate) max_refresh_interval: Duration,
    pub(crate) jitter: f64,
    pub(crate) kid_miss_cooldown: Duration,
    pub(crate) key_wait: Duration,
    pub(crate) max_stale: Duration,
    pub(crate) fetch_timeout: Duration,
    pub(crate) max_jwks_bytes: usize,
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) initial_retry_max: Duration,
    /// How long a `jwks_uri` learned from discovery is used before discovery is fetched again.
    pub(crate) discovery_refresh: Duration,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        Self {
            refresh_interval: Duration::from_secs(600),
            min_refresh_interval: Duration::from_secs(60),
            max_refresh_interval: Duration::from_secs(3600),
            jitter: 0.1,
            kid_miss_cooldown: Duration::from_secs(30),
            key_wait: Duration::from_millis(1500),
            max_stale: Duration::from_secs(3600),
            fetch_timeout: Duration::from_secs(5),
            max_jwks_bytes: 256 * 1024,
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            initial_retry_max: Duration::from_secs(5),
            discovery_refresh: Duration::from_secs(24 * 3600),
        }
    }
}
