//! [`JwksServer`]'s record of the requests it received.

use std::sync::atomic::Ordering;

use super::JwksServer;

impl JwksServer {
    /// The `User-Agent` of every request received (key set and discovery), in order.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::{JwksServer, TestKey};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = JwksServer::start(&[&TestKey::generate(Algorithm::EdDSA)]).await;
    /// # let verifier = Verifier::builder().issuer(Issuer::jwks_url("https://issuer.example", server.jwks_url())).audience("api").build()?;
    /// verifier.ready().await;
    /// let agents = server.user_agents();
    /// assert!(agents[0].as_deref().is_some_and(|ua| ua.starts_with("tower-jwt-auth/")));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn user_agents(&self) -> Vec<Option<String>> {
        self.shared.state().user_agents.clone()
    }

    /// How many key set requests it has received.
    ///
    /// # Example
    ///
    /// A verifier fetches the key set once, not once per token:
    ///
    /// ```
    /// use tower_jwt_auth::testing::{JwksServer, TestKey, now};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let claims = |sub: &str| serde_json::json!({ "iss": "https://issuer.example", "aud": "api", "sub": sub, "exp": now() + 60 });
    /// let key = TestKey::generate(Algorithm::ES256);
    /// let server = JwksServer::start(&[&key]).await;
    /// # let verifier = Verifier::builder().issuer(Issuer::jwks_url("https://issuer.example", server.jwks_url())).audience("api").build()?;
    /// verifier.verify(&key.token(&claims("alice"))).await?;
    /// verifier.verify(&key.token(&claims("bob"))).await?;
    /// assert_eq!(server.jwks_requests(), 1);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn jwks_requests(&self) -> usize {
        self.shared.jwks_requests.load(Ordering::SeqCst)
    }

    /// How many key set requests it answered `304 Not Modified`.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::JwksServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = JwksServer::start(&[]).await;
    /// let etag = reqwest::get(server.jwks_url()).await?.headers()["etag"].clone();
    /// let client = reqwest::Client::new();
    /// let again = client.get(server.jwks_url()).header("if-none-match", etag).send().await?;
    /// assert_eq!((again.status().as_u16(), server.not_modified()), (304, 1));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn not_modified(&self) -> usize {
        self.shared.not_modified.load(Ordering::SeqCst)
    }

    /// How many discovery requests it has received.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::{JwksServer, TestKey};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = JwksServer::start(&[&TestKey::generate(Algorithm::EdDSA)]).await;
    /// # let verifier = Verifier::builder().issuer(Issuer::discover(server.base_url())).audience("api").build()?;
    /// verifier.ready().await;
    /// assert_eq!((server.discovery_requests(), server.jwks_requests()), (1, 1));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn discovery_requests(&self) -> usize {
        self.shared.discovery_requests.load(Ordering::SeqCst)
    }
}
