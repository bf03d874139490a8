//! The layer's challenge: its realm, the RFC 9728 metadata URL it names, and that document.

use crate::error::ConfigError;
use crate::metadata::ProtectedResourceMetadata;
use crate::response::Challenge;

use super::JwtAuthLayer;

impl<C, R> JwtAuthLayer<C, R> {
    /// The `realm` of the `WWW-Authenticate` challenge (reduced to the RFC 6750 character set).
    /// Defaults to `"api"`.
    ///
    /// # Example
    ///
    /// ```
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// let service = verifier.layer().realm("orders").layer(ok);
    /// let response = service.oneshot(Request::new(())).await?;
    /// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="orders""#);
    /// # Ok(()) }
    /// ```
    pub fn realm(self, realm: impl Into<String>) -> Self {
        self.with_config(|c| {
            c.realm = realm.into();
            c.rebuild_challenge();
        })
    }

    /// Adds `resource_metadata="<url>"` to every `WWW-Authenticate` challenge
    /// ([RFC 9728 §5.1](https://www.rfc-editor.org/rfc/rfc9728#section-5.1)): where OAuth clients
    /// (MCP clients among them) find how to get a token for this resource. Serve the document
    /// with [`ProtectedResourceMetadata`] (see
    /// [`protected_resource_metadata`](Self::protected_resource_metadata)).
    ///
    /// # Example
    ///
    /// ```
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// let url = "https://api.example/.well-known/oauth-protected-resource";
    /// let service = verifier.layer().resource_metadata(url).layer(ok);
    /// let response = service.oneshot(Request::new(())).await?;
    /// let expected = format!(r#"Bearer realm="api", resource_metadata="{url}""#);
    /// assert_eq!(response.headers()["www-authenticate"], expected);
    /// # Ok(()) }
    /// ```
    pub fn resource_metadata(self, url: impl Into<String>) -> Self {
        self.with_config(|c| {
            c.resource_metadata = Some(url.into());
            c.rebuild_challenge();
        })
    }

    /// The challenge this layer's rejections carry.
    ///
    /// # Example
    ///
    /// ```
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// assert_eq!(verifier.layer().challenge().realm(), "api");
    /// let auth = verifier.layer().realm("caf\u{e9} \"orders\"");
    /// assert_eq!(auth.challenge().realm(), "caf_ _orders_");
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn challenge(&self) -> &Challenge {
        &self.config.challenge
    }

    /// An RFC 9728 metadata document for `resource`, filled from this layer: the verifier's
    /// issuers as `authorization_servers`, `header` (plus `cookie` when a cookie source is
    /// configured) as `bearer_methods_supported`, and with [`dpop`](Self::dpop) the proof
    /// algorithms and whether DPoP is required.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidResource`] when `resource` is not a URL without query or fragment.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::TokenSource;
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// let auth = verifier.layer().token_source(TokenSource::cookie("at")?);
    /// let document = auth.protected_resource_metadata("https://api.example")?.document();
    /// assert_eq!(document["authorization_servers"], serde_json::json!(["https://issuer.example"]));
    /// assert_eq!(document["bearer_methods_supported"], serde_json::json!(["header", "cookie"]));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn protected_resource_metadata(
        &self,
        resource: impl Into<String>,
    ) -> Result<ProtectedResourceMetadata, ConfigError> {
        let servers: Vec<String> = self
            .verifier
            .status()
            .into_iter()
            .map(|status| status.iss)
            .collect();
        let mut methods = vec!["header"];
        let sources = &self.config.sources;
        if sources.iter().any(|s| s.cookie_name().is_some()) {
            methods.push("cookie");
        }
        if sources.iter().any(|s| s.query_name().is_some()) {
            methods.push("query");
        }
        let metadata = ProtectedResourceMetadata::new(resource)?
            .authorization_servers(servers)
            .bearer_methods_supported(methods);
        Ok(match &self.config.dpop {
            Some(dpop) => metadata.dpop(dpop.algorithm_list(), dpop.is_required()),
            None => metadata,
        })
    }
}
