//! [`Refresh`]: how one issuer's remote key set is fetched and refreshed.

use std::time::Duration;

/// How one issuer's remote key set is fetched and refreshed: set with
/// [`Issuer::refresh`](crate::Issuer::refresh), so two issuers can differ.
///
/// Each remote issuer has one key store (moka, keyed by `kid`) and one refresher task, spawned by
/// `build()` on the current tokio runtime and running while any layer or [`Verifier`](crate::Verifier)
/// that uses it is alive. Requests never wait on the network, except:
///
/// - before the first key set has loaded: they wait at most the key-wait budget (1.5 s), then
///   get 503 `keys_unavailable`;
/// - for a `kid` the store doesn't hold: one refetch per issuer at a time, at most one per
///   cooldown (30 s), run in a spawned task. Requests wait at most 1.5 s for it and succeed if
///   the key arrived; 401 when a successful fetch lacked the kid, 503 when the fetch failed or is
///   still running.
///
/// | knob | default |
/// |---|---|
/// | refresh interval without `Cache-Control` | 10 min ± 10 % |
/// | `Cache-Control: max-age` clamp | 1 min ..= 1 h |
/// | kid-miss refetch cooldown | 30 s |
/// | wait budget for a request | 1.5 s |
/// | retry while no key set ever loaded | ≤ 5 s apart |
/// | failure backoff | 1 s → 60 s, full jitter |
/// | `max_stale` (serve the last good keys in an outage) | 1 h after the set became due |
/// | fetch timeout / body size / keys | 5 s / 256 KiB / 100 |
/// | discovery fetched again (a moved `jwks_uri`) | every 24 h, and after 3 failed key set fetches in a row |
///
/// Each setter takes and returns the value; the defaults are the table above.
/// [`VerifierBuilder::build`](crate::VerifierBuilder::build) checks the values (zero durations,
/// inverted bounds, a jitter outside 0.0 ..= 0.5 are a [`ConfigError`](crate::ConfigError)).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::{Issuer, jwks::Refresh};
///
/// let refresh = Refresh::default()
///     .interval(Duration::from_secs(300))
///     .max_stale(Duration::from_secs(2 * 3600));
/// assert_eq!(refresh.get_interval(), Duration::from_secs(300));
/// let issuer = Issuer::jwks_url("https://login.example.com/", "https://login.example.com/jwks")
///     .refresh(refresh);
/// # let _ = issuer;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Refresh {
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
    pub(crate) client: Option<reqwest::Client>,
}

impl Default for Refresh {
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
            client: None,
        }
    }
}

impl Refresh {
    /// Refresh interval when the server sends no `Cache-Control: max-age`. Defaults to
    /// 10 minutes (± the [jitter](Self::jitter)).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// The refresh interval without `Cache-Control`.
    #[must_use]
    pub fn get_interval(&self) -> Duration {
        self.refresh_interval
    }

    /// Bounds for the refresh interval a `Cache-Control: max-age` asks for (`no-cache`,
    /// `no-store` and `max-age=0` mean the floor). Defaults to 1 minute ..= 1 hour: the ceiling
    /// bounds how long a key the provider removed stays trusted.
    pub fn interval_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_refresh_interval = min;
        self.max_refresh_interval = max;
        self
    }

    /// How often an issuer configured by OIDC discovery fetches its configuration document again
    /// to learn a moved `jwks_uri`. Defaults to 24 hours. Discovery is also fetched again after
    /// three key set fetches in a row failed; while it can't be fetched, the last known
    /// `jwks_uri` stays in use.
    pub fn discovery_interval(mut self, interval: Duration) -> Self {
        self.discovery_refresh = interval;
        self
    }

    /// Relative jitter of the refresh interval, from 0.0 to 0.5. Defaults to 0.1 (± 10 %).
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// The least time between two refetches caused by unknown `kid`s. Defaults to 30 seconds.
    pub fn kid_miss_cooldown(mut self, cooldown: Duration) -> Self {
        self.kid_miss_cooldown = cooldown;
        self
    }

    /// How long a request may wait for keys (a refetch for its `kid`, or the first key set).
    /// Defaults to 1.5 seconds.
    pub fn key_wait(mut self, wait: Duration) -> Self {
        self.key_wait = wait;
        self
    }

    /// How long the last good key set keeps serving while refreshes fail, counted from when it
    /// became due (last success plus its interval). Past it, requests get 503. Defaults to 1 hour.
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// Time limit of one fetch, connection to last byte. Defaults to 5 seconds.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Largest key set document read, in bytes. Defaults to 256 KiB.
    pub fn max_jwks_bytes(mut self, bytes: usize) -> Self {
        self.max_jwks_bytes = bytes;
        self
    }

    /// Backoff after failed refreshes: from `min`, doubling up to `max`, with full jitter.
    /// Defaults to 1 second ..= 60 seconds.
    pub fn retry_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.backoff_min = min;
        self.backoff_max = max;
        self
    }

    /// The longest wait between retries while no key set has ever loaded, so a service started
    /// during an outage of its provider comes up soon after the provider does. Defaults to
    /// 5 seconds.
    pub fn initial_retry_max(mut self, max: Duration) -> Self {
        self.initial_retry_max = max;
        self
    }

    /// The HTTP client for the key set and discovery documents: bring your own for a private
    /// CA, mTLS or a proxy (the crate's own client sends `User-Agent: tower-jwt-auth/<version>`;
    /// set one on yours, since some providers' firewalls refuse requests without). Whatever its
    /// settings, the crate applies its fetch timeout per request, its size limit while reading,
    /// and checks that the final URL (after any redirect) kept the configured origin and scheme.
    /// Defaults to a client, shared by the verifier's issuers, that follows redirects only
    /// within one origin.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Checks the values; called by the verifier's `build()`.
    pub(crate) fn validate(&self) -> Result<(), crate::ConfigError> {
        use crate::ConfigError::{InvalidJitter, InvertedBounds, Zero};
        if self.jitter.is_nan() || !(0.0..=0.5).contains(&self.jitter) {
            return Err(InvalidJitter);
        }
        for (setting, value) in [
            ("interval", self.refresh_interval),
            ("interval_bounds", self.min_refresh_interval),
            ("retry_backoff", self.backoff_min),
            ("fetch_timeout", self.fetch_timeout),
            ("discovery_interval", self.discovery_refresh),
        ] {
            if value.is_zero() {
                return Err(Zero { setting });
            }
        }
        if self.max_jwks_bytes == 0 {
            return Err(Zero {
                setting: "max_jwks_bytes",
            });
        }
        if self.min_refresh_interval > self.max_refresh_interval {
            return Err(InvertedBounds {
                setting: "interval_bounds",
            });
        }
        if self.backoff_min > self.backoff_max {
            return Err(InvertedBounds {
                setting: "retry_backoff",
            });
        }
        Ok(())
    }
}
