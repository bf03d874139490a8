//! [`Refresh`] setters for when key sets are fetched: interval bounds, jitter, staleness, retries.

use std::time::Duration;

use super::Refresh;

impl Refresh {
    /// Bounds for the refresh interval a `Cache-Control: max-age` asks for (`no-cache`,
    /// `no-store` and `max-age=0` mean the floor). Defaults to 1 minute ..= 1 hour: the ceiling
    /// bounds how long a key the provider removed stays trusted.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{ConfigError, Issuer, Refresh, Verifier};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let build = |refresh: Refresh| Verifier::builder().issuer(Issuer::jwks_url("https://login.example.com/", "https://login.example.com/jwks").refresh(refresh)).audience("api").build().map(drop);
    /// let (minute, hour) = (Duration::from_secs(60), Duration::from_secs(3600));
    /// assert!(build(Refresh::default().interval_bounds(minute, 2 * hour)).is_ok());
    /// let inverted = build(Refresh::default().interval_bounds(hour, minute));
    /// assert!(matches!(inverted, Err(ConfigError::InvertedBounds { setting: "interval_bounds" })));
    /// # }
    /// ```
    pub fn interval_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_refresh_interval = min;
        self.max_refresh_interval = max;
        self
    }

    /// How often an issuer configured by OIDC discovery fetches its configuration document again
    /// to learn a moved `jwks_uri`. Defaults to 24 hours. Discovery is also fetched again after
    /// three key set fetches in a row failed; while it can't be fetched, the last known
    /// `jwks_uri` stays in use.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{ConfigError, Issuer, Refresh, Verifier};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let build = |refresh: Refresh| Verifier::builder().issuer(Issuer::jwks_url("https://login.example.com/", "https://login.example.com/jwks").refresh(refresh)).audience("api").build().map(drop);
    /// assert!(build(Refresh::default().discovery_interval(Duration::from_secs(3600))).is_ok());
    /// let zero = build(Refresh::default().discovery_interval(Duration::ZERO));
    /// assert!(matches!(zero, Err(ConfigError::Zero { setting: "discovery_interval" })));
    /// # }
    /// ```
    pub fn discovery_interval(mut self, interval: Duration) -> Self {
        self.discovery_refresh = interval;
        self
    }

    /// Relative jitter of the refresh interval, from 0.0 to 0.5. Defaults to 0.1 (± 10 %).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{ConfigError, Issuer, Refresh, Verifier};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let build = |refresh: Refresh| Verifier::builder().issuer(Issuer::jwks_url("https://login.example.com/", "https://login.example.com/jwks").refresh(refresh)).audience("api").build().map(drop);
    /// assert!(build(Refresh::default().jitter(0.0)).is_ok()); // no jitter
    /// assert!(matches!(build(Refresh::default().jitter(0.6)), Err(ConfigError::InvalidJitter)));
    /// # }
    /// ```
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// How long the last good key set keeps serving while refreshes fail, counted from when it
    /// became due (last success plus its interval). Past it, requests get 503. Defaults to 1 hour.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{Algorithm, Freshness, Issuer, Refresh, Verifier};
    /// # use tower_jwt_auth::testing::{JwksServer, ManualClock, TestKey, now};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
    /// # let server = JwksServer::start(&[&key]).await;
    /// # let builder = |refresh: Refresh| Verifier::builder().issuer(Issuer::jwks_url(server.base_url(), server.jwks_url()).refresh(refresh)).audience("api");
    /// # let token = |key: &TestKey| key.token(&serde_json::json!({"iss": server.base_url(), "aud": "api", "exp": now() + 3600}));
    /// let clock = ManualClock::new();
    /// let refresh = Refresh::default().max_stale(Duration::from_secs(60));
    /// let verifier = builder(refresh).clock(clock.clone()).build()?;
    /// verifier.ready().await;
    /// clock.advance(Duration::from_secs(800)); // due after about 10 min, plus 1 min of grace
    /// assert_eq!(verifier.status()[0].freshness, Freshness::Expired);
    /// assert_eq!(verifier.verify(&token(&key)).await.unwrap_err().code(), "keys_unavailable");
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// Backoff after failed refreshes: from `min`, doubling up to `max`, with full jitter.
    /// Defaults to 1 second ..= 60 seconds.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{ConfigError, Issuer, Refresh, Verifier};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let build = |refresh: Refresh| Verifier::builder().issuer(Issuer::jwks_url("https://login.example.com/", "https://login.example.com/jwks").refresh(refresh)).audience("api").build().map(drop);
    /// let (second, minute) = (Duration::from_secs(1), Duration::from_secs(60));
    /// assert!(build(Refresh::default().retry_backoff(second, 5 * minute)).is_ok());
    /// let inverted = build(Refresh::default().retry_backoff(minute, second));
    /// assert!(matches!(inverted, Err(ConfigError::InvertedBounds { setting: "retry_backoff" })));
    /// # }
    /// ```
    pub fn retry_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.backoff_min = min;
        self.backoff_max = max;
        self
    }

    /// The longest wait between retries while no key set has ever loaded, so a service started
    /// during an outage of its provider comes up soon after the provider does. Defaults to
    /// 5 seconds.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{Algorithm, Issuer, Refresh, Verifier};
    /// # use tower_jwt_auth::testing::{Behavior, JwksServer, TestKey, now};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
    /// # let server = JwksServer::start(&[&key]).await;
    /// # let builder = |refresh: Refresh| Verifier::builder().issuer(Issuer::jwks_url(server.base_url(), server.jwks_url()).refresh(refresh)).audience("api");
    /// # let token = |key: &TestKey| key.token(&serde_json::json!({"iss": server.base_url(), "aud": "api", "exp": now() + 3600}));
    /// server.set_behavior(Behavior::Status(503)); // the provider is down
    /// let verifier = builder(Refresh::default().initial_retry_max(Duration::from_millis(10))).build()?;
    /// // Retries at most 10 ms apart: five requests come quickly (the defaults wait up to 5 s).
    /// let five = async { while server.jwks_requests() < 5 { tokio::time::sleep(Duration::from_millis(5)).await } };
    /// assert!(tokio::time::timeout(Duration::from_secs(3), five).await.is_ok());
    /// # drop(verifier);
    /// # Ok(())
    /// # }
    /// ```
    pub fn initial_retry_max(mut self, max: Duration) -> Self {
        self.initial_retry_max = max;
        self
    }
}
