//! [`Refresh`]: how one issuer's key set is fetched (or read from its file) and refreshed.

use std::time::Duration;

mod requests;
mod schedule;

/// How often a key file is checked for changes unless [`Refresh::interval`] says otherwise: a
/// check reads one small local file and parses it only when its content changed.
pub(crate) const FILE_CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// How one issuer's key set (a URL's, discovery's or a file's) is fetched and refreshed: set with
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
/// | a [key file](crate::Issuer::jwks_file) checked for changes | every 10 s ± jitter (`interval` when set, without bounds); a failed read retried within an interval |
///
/// Each setter takes and returns the value; the defaults are the table above.
/// [`VerifierBuilder::build`](crate::VerifierBuilder::build) checks the values (zero durations,
/// inverted bounds, a jitter outside 0.0 ..= 0.5 are a [`ConfigError`](crate::ConfigError)).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::{Issuer, Refresh};
///
/// let refresh = Refresh::default()
///     .interval(Duration::from_secs(300))
///     .max_stale(Duration::from_secs(2 * 3600));
/// assert_eq!(refresh.get_interval(), Duration::from_secs(300));
/// let issuer = Issuer::jwks_url("https://login.example.com/", "https://login.example.com/jwks")
///     .refresh(refresh);
/// # let _ = issuer;
/// ```
#[derive(Clone)]
#[must_use]
pub struct Refresh {
    pub(crate) refresh_interval: Duration,
    /// Whether `interval` was called: a key file is otherwise checked every
    /// `FILE_CHECK_INTERVAL`.
    pub(crate) interval_set: bool,
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

/// Leaves the HTTP client out (its default headers may hold credentials): says only whether one
/// was given.
impl std::fmt::Debug for Refresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresh")
            .field("interval", &self.refresh_interval)
            .field(
                "interval_bounds",
                &(self.min_refresh_interval..=self.max_refresh_interval),
            )
            .field("jitter", &self.jitter)
            .field("kid_miss_cooldown", &self.kid_miss_cooldown)
            .field("key_wait", &self.key_wait)
            .field("max_stale", &self.max_stale)
            .field("fetch_timeout", &self.fetch_timeout)
            .field("max_jwks_bytes", &self.max_jwks_bytes)
            .field("retry_backoff", &(self.backoff_min..=self.backoff_max))
            .field("initial_retry_max", &self.initial_retry_max)
            .field("discovery_interval", &self.discovery_refresh)
            .field(
                "http_client",
                &if self.client.is_some() {
                    "yours"
                } else {
                    "the crate's"
                },
            )
            .finish()
    }
}

impl Default for Refresh {
    fn default() -> Self {
        Self {
            refresh_interval: Duration::from_secs(600),
            interval_set: false,
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
    /// 10 minutes (± the [jitter](Self::jitter)). A [key file](crate::Issuer::jwks_file) is
    /// checked at this interval (± the jitter; no `Cache-Control`, so no
    /// [bounds](Self::interval_bounds)), every 10 seconds when it is not set, and a failed read
    /// is retried with the [backoff](Self::retry_backoff), at most one interval later.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{ConfigError, Issuer, Refresh, Verifier};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let build = |refresh: Refresh| Verifier::builder().issuer(Issuer::jwks_url("https://login.example.com/", "https://login.example.com/jwks").refresh(refresh)).audience("api").build().map(drop);
    /// let refresh = Refresh::default().interval(Duration::from_secs(300));
    /// assert_eq!(refresh.get_interval(), Duration::from_secs(300));
    /// let zero = build(Refresh::default().interval(Duration::ZERO));
    /// assert!(matches!(zero, Err(ConfigError::Zero { setting: "interval" })));
    /// # }
    /// ```
    pub fn interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self.interval_set = true;
        self
    }

    /// The refresh interval without `Cache-Control`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::Refresh;
    ///
    /// assert_eq!(Refresh::default().get_interval(), Duration::from_secs(600));
    /// ```
    #[must_use]
    pub fn get_interval(&self) -> Duration {
        self.refresh_interval
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
