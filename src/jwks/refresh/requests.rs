//! [`Refresh`] setters for how one fetch is made and how long a request waits for keys.

use std::time::Duration;

use super::Refresh;

impl Refresh {
    /// The least time between two refetches caused by unknown `kid`s. Defaults to 30 seconds.
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
    /// let verifier = builder(Refresh::default().kid_miss_cooldown(Duration::ZERO)).build()?;
    /// verifier.ready().await; // the first fetch
    /// for kid in ["x", "y"] {
    ///     let stranger = TestKey::generate(Algorithm::ES256).with_kid(kid);
    ///     assert_eq!(verifier.verify(&token(&stranger)).await.unwrap_err().code(), "unknown_key");
    /// }
    /// assert_eq!(server.jwks_requests(), 3); // one refetch per unknown kid; 2 with the default
    /// # Ok(())
    /// # }
    /// ```
    pub fn kid_miss_cooldown(mut self, cooldown: Duration) -> Self {
        self.kid_miss_cooldown = cooldown;
        self
    }

    /// How long a request may wait for keys (a refetch for its `kid`, or the first key set).
    /// Defaults to 1.5 seconds.
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
    /// server.set_behavior(Behavior::Hang); // the first key set never arrives
    /// let verifier = builder(Refresh::default().key_wait(Duration::from_millis(50))).build()?;
    /// let started = std::time::Instant::now();
    /// assert_eq!(verifier.verify(&token(&key)).await.unwrap_err().code(), "keys_unavailable");
    /// assert!(started.elapsed() < Duration::from_secs(1));
    /// # Ok(())
    /// # }
    /// ```
    pub fn key_wait(mut self, wait: Duration) -> Self {
        self.key_wait = wait;
        self
    }

    /// Time limit of one fetch, connection to last byte (of one read of a
    /// [key file](crate::Issuer::jwks_file)). Defaults to 5 seconds.
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
    /// server.set_behavior(Behavior::Hang);
    /// let refresh = Refresh::default().fetch_timeout(Duration::from_millis(50));
    /// let verifier = builder(refresh.key_wait(Duration::from_millis(500))).build()?;
    /// assert_eq!(verifier.verify(&token(&key)).await.unwrap_err().code(), "keys_unavailable");
    /// assert!(verifier.status()[0].last_error.is_some()); // the fetch gave up after 50 ms
    /// # Ok(())
    /// # }
    /// ```
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Largest key set document read, in bytes. Defaults to 256 KiB.
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
    /// let refresh = Refresh::default().max_jwks_bytes(64); // the key set is larger
    /// let verifier = builder(refresh.key_wait(Duration::from_millis(500))).build()?;
    /// assert_eq!(verifier.verify(&token(&key)).await.unwrap_err().code(), "keys_unavailable");
    /// assert!(verifier.status()[0].last_error.is_some());
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_jwks_bytes(mut self, bytes: usize) -> Self {
        self.max_jwks_bytes = bytes;
        self
    }

    /// The HTTP client for the key set and discovery documents: bring your own for a private
    /// CA, mTLS or a proxy (the crate's own client sends `User-Agent: tower-jwt-auth/<version>`;
    /// set one on yours, since some providers' firewalls refuse requests without). Whatever its
    /// settings, the crate applies its fetch timeout per request, its size limit while reading,
    /// and checks that the final URL (after any redirect) kept the configured origin and scheme.
    /// Defaults to a client, shared by the verifier's issuers, that follows redirects only
    /// within one origin.
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
    /// let client = reqwest::Client::builder().user_agent("orders-api/1.0").build()?;
    /// let verifier = builder(Refresh::default().http_client(client)).build()?;
    /// verifier.ready().await;
    /// assert_eq!(server.user_agents()[0].as_deref(), Some("orders-api/1.0"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }
}
