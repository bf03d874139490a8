//! [`JwksServer`]'s settings: the keys it serves, how it answers, and its discovery documents.

use std::time::Duration;

use super::{Behavior, JwksServer};
use crate::testing::TestKey;

impl JwksServer {
    /// Serves these keys from now on.
    ///
    /// # Example
    ///
    /// A verifier refetches the key set for a `kid` it doesn't know, so a rotated-in key works
    /// at once:
    ///
    /// ```
    /// use tower_jwt_auth::testing::{JwksServer, TestKey, now};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let claims = serde_json::json!({ "iss": "https://issuer.example", "aud": "api", "exp": now() + 60 });
    /// let a = TestKey::generate(Algorithm::ES256).with_kid("a");
    /// let b = TestKey::generate(Algorithm::ES256).with_kid("b");
    /// let server = JwksServer::start(&[&a]).await;
    /// # let verifier = Verifier::builder().issuer(Issuer::jwks_url("https://issuer.example", server.jwks_url())).audience("api").build()?;
    /// # verifier.verify(&a.token(&claims)).await?;
    /// server.set_keys(&[&a, &b]);
    /// assert!(verifier.verify(&b.token(&claims)).await.is_ok());
    /// assert_eq!(server.jwks_requests(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_keys(&self, keys: &[&TestKey]) {
        self.shared.state().jwks = crate::testing::jwks(keys);
    }

    /// Serves this exact document as the key set from now on.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::JwksServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = JwksServer::start(&[]).await;
    /// server.set_jwks_document(r#"{"keys":[{"kty":"AKP"}]}"#);
    /// let body = reqwest::get(server.jwks_url()).await?.text().await?;
    /// assert_eq!(body, r#"{"keys":[{"kty":"AKP"}]}"#);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_jwks_document(&self, jwks: impl Into<String>) {
        self.shared.state().jwks = jwks.into();
    }

    /// How key set requests are answered from now on. Defaults to [`Behavior::Serve`].
    ///
    /// # Example
    ///
    /// A verifier whose key set never loads answers 503 `keys_unavailable`:
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::testing::{Behavior, JwksServer, TestKey, now};
    /// use tower_jwt_auth::{Algorithm, Issuer, Refresh, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let claims = serde_json::json!({ "iss": "https://issuer.example", "aud": "api", "exp": now() + 60 });
    /// let key = TestKey::generate(Algorithm::EdDSA);
    /// let server = JwksServer::start(&[&key]).await;
    /// server.set_behavior(Behavior::Status(500));
    /// # let refresh = Refresh::default().key_wait(Duration::from_millis(200));
    /// # let verifier = Verifier::builder().issuer(Issuer::jwks_url("https://issuer.example", server.jwks_url()).refresh(refresh)).audience("api").build()?;
    /// let err = verifier.verify(&key.token(&claims)).await.unwrap_err();
    /// assert_eq!((err.code(), err.status().as_u16()), ("keys_unavailable", 503));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_behavior(&self, behavior: Behavior) {
        self.shared.state().behavior = behavior;
    }

    /// The `Cache-Control` header of key set answers (`None`: no header, the default).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::JwksServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = JwksServer::start(&[]).await;
    /// assert!(reqwest::get(server.jwks_url()).await?.headers().get("cache-control").is_none());
    /// server.set_cache_control(Some("max-age=300"));
    /// let response = reqwest::get(server.jwks_url()).await?;
    /// assert_eq!(response.headers()["cache-control"], "max-age=300");
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_cache_control(&self, value: Option<&str>) {
        self.shared.state().cache_control = value.map(str::to_owned);
    }

    /// A delay before every key set answer. Defaults to none.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tower_jwt_auth::testing::JwksServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = JwksServer::start(&[]).await;
    /// server.set_latency(Duration::from_millis(100));
    /// let started = Instant::now();
    /// assert!(reqwest::get(server.jwks_url()).await?.status().is_success());
    /// assert!(started.elapsed() >= Duration::from_millis(100));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_latency(&self, latency: Duration) {
        self.shared.state().latency = latency;
    }

    /// The `issuer` discovery documents name (default: the base URL plus the path before
    /// `/.well-known/openid-configuration`).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::JwksServer;
    ///
    /// # async fn doc(url: &str) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    /// #     Ok(serde_json::from_str(&reqwest::get(url).await?.text().await?)?)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = JwksServer::start(&[]).await;
    /// let url = format!("{}/tenant/.well-known/openid-configuration", server.base_url());
    /// assert_eq!(doc(&url).await?["issuer"], format!("{}/tenant", server.base_url()));
    /// server.set_discovery_issuer(Some("https://login.example.com/"));
    /// assert_eq!(doc(&url).await?["issuer"], "https://login.example.com/");
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_discovery_issuer(&self, issuer: Option<&str>) {
        self.shared.state().discovery_issuer = issuer.map(str::to_owned);
    }

    /// The `jwks_uri` discovery documents name (default: this server's key set URL).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::JwksServer;
    ///
    /// # async fn doc(url: &str) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    /// #     Ok(serde_json::from_str(&reqwest::get(url).await?.text().await?)?)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = JwksServer::start(&[]).await;
    /// let url = format!("{}/.well-known/openid-configuration", server.base_url());
    /// assert_eq!(doc(&url).await?["jwks_uri"], server.jwks_url());
    /// server.set_discovery_jwks_uri(Some("https://keys.example.com/jwks"));
    /// assert_eq!(doc(&url).await?["jwks_uri"], "https://keys.example.com/jwks");
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_discovery_jwks_uri(&self, uri: Option<&str>) {
        self.shared.state().discovery_jwks_uri = uri.map(str::to_owned);
    }

    /// Whether key set answers carry an `ETag` (and a matching `If-None-Match` gets 304).
    /// On by default; off, every refresh is a full `200`.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::JwksServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = JwksServer::start(&[]).await;
    /// assert!(reqwest::get(server.jwks_url()).await?.headers().contains_key("etag"));
    /// server.set_etag(false);
    /// assert!(!reqwest::get(server.jwks_url()).await?.headers().contains_key("etag"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_etag(&self, enabled: bool) {
        self.shared.state().etag = enabled;
    }
}
