//! RFC 9728 OAuth 2.0 Protected Resource Metadata: the document that tells OAuth clients (MCP
//! clients among them) which authorization servers issue tokens for this resource.
//!
//! Point the challenges at it with
//! [`JwtAuthLayer::resource_metadata`](crate::JwtAuthLayer::resource_metadata), and serve it
//! with [`ProtectedResourceMetadata`], a tower service (an axum `route_service`).
//!
//! # Example
//!
//! ```
//! use axum::Router;
//! use tower_jwt_auth::metadata::ProtectedResourceMetadata;
//! use tower_jwt_auth::{Algorithm, Issuer, JwtAuthLayer, Verifier};
//!
//! let resource = "https://api.example.com";
//! let verifier = Verifier::builder()
//!     .issuer(Issuer::hmac("https://login.example.com/", [7u8; 32]))
//!     .audience(resource)
//!     .algorithms([Algorithm::HS256])
//!     .build()?;
//! let auth = JwtAuthLayer::new(verifier)
//!     .resource_metadata(ProtectedResourceMetadata::url_for(resource)?);
//! let metadata = auth.protected_resource_metadata(resource)?.scopes_supported(["orders:read"]);
//! assert_eq!(metadata.path(), "/.well-known/oauth-protected-resource");
//! let app: Router = Router::new().route_service(metadata.path(), metadata.clone());
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use tower_service::Service;
use url::Url;

use crate::error::ConfigError;

const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The protected resource metadata document, and the tower service that serves it (`GET`/`HEAD`,
/// JSON, `Cache-Control: public, max-age=3600`; other methods get 405).
///
/// # Example
///
/// ```
/// use http::Request;
/// use tower::ServiceExt;
/// use tower_jwt_auth::metadata::ProtectedResourceMetadata;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
///
/// let metadata = ProtectedResourceMetadata::new("https://api.example.com")?
///     .authorization_servers(["https://login.example.com"]);
/// let response = metadata.clone().oneshot(Request::get(metadata.path()).body(())?).await?;
/// assert_eq!(response.headers()["cache-control"], "public, max-age=3600");
/// assert!(response.body().contains(r#""authorization_servers":["https://login.example.com"]"#));
/// let post = metadata.oneshot(Request::post("/").body(())?).await?;
/// assert_eq!(post.status(), 405);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ProtectedResourceMetadata {
    resource: String,
    path: String,
    authorization_servers: Vec<String>,
    scopes_supported: Vec<String>,
    bearer_methods_supported: Vec<String>,
    signing_algs: Option<Vec<String>>,
    /// `dpop_signing_alg_values_supported` and `dpop_bound_access_tokens_required`.
    dpop: Option<(Vec<String>, bool)>,
    body: Arc<str>,
}

fn invalid(reason: String) -> ConfigError {
    ConfigError::InvalidResource { reason }
}

impl ProtectedResourceMetadata {
    /// The document for `resource` (the resource identifier: an `https` URL without query or
    /// fragment, RFC 9728 §1.2), with no authorization server or scope yet, and `header` as
    /// the only bearer method.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when `resource` is not such a URL.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::metadata::ProtectedResourceMetadata;
    ///
    /// let document = ProtectedResourceMetadata::new("https://api.example.com/orders")?.document();
    /// assert_eq!(document["bearer_methods_supported"], serde_json::json!(["header"]));
    /// assert!(ProtectedResourceMetadata::new("https://api.example.com/?tenant=1").is_err());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn new(resource: impl Into<String>) -> Result<Self, ConfigError> {
        let resource = resource.into();
        let path = Self::path_for(&resource)?;
        let mut doc = Self {
            resource,
            path,
            authorization_servers: Vec::new(),
            scopes_supported: Vec::new(),
            bearer_methods_supported: vec!["header".to_owned()],
            signing_algs: None,
            dpop: None,
            body: Arc::from(""),
        };
        doc.render();
        Ok(doc)
    }

    fn path_for(resource: &str) -> Result<String, ConfigError> {
        let url = Url::parse(resource).map_err(|e| invalid(format!("{resource:?}: {e}")))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(format!("{resource:?} has a query or fragment")));
        }
        // RFC 9728 §3.1: the well-known segment goes between the host and the resource's path.
        let path = url.path().trim_end_matches('/');
        Ok(format!("{WELL_KNOWN}{path}"))
    }

    /// The URL of the metadata document of `resource`, for
    /// [`JwtAuthLayer::resource_metadata`](crate::JwtAuthLayer::resource_metadata).
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when `resource` is not a URL without query or fragment.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::metadata::ProtectedResourceMetadata;
    ///
    /// let url = ProtectedResourceMetadata::url_for("https://api.example.com:8443/orders")?;
    /// assert_eq!(url, "https://api.example.com:8443/.well-known/oauth-protected-resource/orders");
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn url_for(resource: &str) -> Result<String, ConfigError> {
        let path = Self::path_for(resource)?;
        let url = Url::parse(resource).map_err(|e| invalid(e.to_string()))?;
        Ok(format!("{}{path}", url.origin().ascii_serialization()))
    }

    /// The path to serve it at: `/.well-known/oauth-protected-resource`, followed by the
    /// resource's own path, if any.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::metadata::ProtectedResourceMetadata;
    ///
    /// let metadata = ProtectedResourceMetadata::new("https://api.example.com/orders/")?;
    /// assert_eq!(metadata.path(), "/.well-known/oauth-protected-resource/orders");
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The document, as JSON. `scopes_supported` is left out while empty, and
    /// `resource_signing_alg_values_supported` unless set.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::metadata::ProtectedResourceMetadata;
    ///
    /// let document = ProtectedResourceMetadata::new("https://api.example.com")?.document();
    /// assert_eq!(document["resource"], "https://api.example.com");
    /// assert!(document.get("scopes_supported").is_none());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn document(&self) -> Value {
        let mut doc = json!({
            "resource": self.resource,
            "authorization_servers": self.authorization_servers,
            "bearer_methods_supported": self.bearer_methods_supported,
        });
        if !self.scopes_supported.is_empty() {
            doc["scopes_supported"] = json!(self.scopes_supported);
        }
        if let Some(algs) = &self.signing_algs {
            doc["resource_signing_alg_values_supported"] = json!(algs);
        }
        if let Some((algs, required)) = &self.dpop {
            doc["dpop_signing_alg_values_supported"] = json!(algs);
            doc["dpop_bound_access_tokens_required"] = json!(required);
        }
        doc
    }

    fn render(&mut self) {
        self.body = Arc::from(self.document().to_string());
    }

    /// The authorization servers (issuer identifiers) that issue tokens for this resource.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::metadata::ProtectedResourceMetadata;
    ///
    /// let metadata = ProtectedResourceMetadata::new("https://api.example.com")?.authorization_servers(["https://login.example.com"]);
    /// assert_eq!(metadata.document()["authorization_servers"], serde_json::json!(["https://login.example.com"]));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn authorization_servers<I, S>(mut self, servers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorization_servers = servers.into_iter().map(Into::into).collect();
        self.render();
        self
    }

    /// The scopes clients may ask for.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::metadata::ProtectedResourceMetadata;
    ///
    /// let metadata = ProtectedResourceMetadata::new("https://api.example.com")?.scopes_supported(["orders:read", "orders:write"]);
    /// assert_eq!(metadata.document()["scopes_supported"], serde_json::json!(["orders:read", "orders:write"]));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes_supported = scopes.into_iter().map(Into::into).collect();
        self.render();
        self
    }

    /// How tokens may be presented (`header`, `body`, `query`, or this crate's `cookie`).
    /// Defaults to `header`.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::metadata::ProtectedResourceMetadata;
    ///
    /// let metadata = ProtectedResourceMetadata::new("https://api.example.com")?.bearer_methods_supported(["header", "cookie"]);
    /// assert_eq!(metadata.document()["bearer_methods_supported"], serde_json::json!(["header", "cookie"]));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn bearer_methods_supported<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.bearer_methods_supported = methods.into_iter().map(Into::into).collect();
        self.render();
        self
    }

    /// `resource_signing_alg_values_supported`, omitted unless set.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::metadata::ProtectedResourceMetadata;
    ///
    /// let metadata = ProtectedResourceMetadata::new("https://api.example.com")?.resource_signing_alg_values_supported(["RS256"]);
    /// assert_eq!(metadata.document()["resource_signing_alg_values_supported"], serde_json::json!(["RS256"]));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn resource_signing_alg_values_supported<I, S>(mut self, algs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.signing_algs = Some(algs.into_iter().map(Into::into).collect());
        self.render();
        self
    }

    /// The DPoP members of RFC 9728 §2: `dpop_signing_alg_values_supported` (the proof
    /// algorithms) and `dpop_bound_access_tokens_required`; omitted unless set.
    ///
    /// # Example
    ///
    /// ```
    /// use serde_json::json;
    /// use tower_jwt_auth::metadata::ProtectedResourceMetadata;
    ///
    /// let metadata = ProtectedResourceMetadata::new("https://api.example.com")?.dpop(["ES256", "EdDSA"], true);
    /// assert_eq!(metadata.document()["dpop_signing_alg_values_supported"], json!(["ES256", "EdDSA"]));
    /// assert_eq!(metadata.document()["dpop_bound_access_tokens_required"], json!(true));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn dpop<I, S>(mut self, algs: I, required: bool) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.dpop = Some((algs.into_iter().map(Into::into).collect(), required));
        self.render();
        self
    }
}

impl<B> Service<Request<B>> for ProtectedResourceMetadata {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let mut response = Response::new(String::new());
        if req.method() != Method::GET && req.method() != Method::HEAD {
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return ready(Ok(response));
        }
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        if req.method() == Method::GET {
            *response.body_mut() = self.body.to_string();
        }
        ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_rfc9728_section_3_1() {
        let root = ProtectedResourceMetadata::new("https://api.example.com").unwrap();
        assert_eq!(root.path(), "/.well-known/oauth-protected-resource");
        let nested = ProtectedResourceMetadata::new("https://api.example.com/orders/").unwrap();
        assert_eq!(
            nested.path(),
            "/.well-known/oauth-protected-resource/orders"
        );
        assert_eq!(
            ProtectedResourceMetadata::url_for("https://api.example.com:8443/orders").unwrap(),
            "https://api.example.com:8443/.well-known/oauth-protected-resource/orders"
        );
        assert!(ProtectedResourceMetadata::new("https://api.example.com/?q=1").is_err());
        assert!(ProtectedResourceMetadata::new("not a url").is_err());
    }

    #[test]
    fn signing_algs_are_omitted_unless_set() {
        let doc = ProtectedResourceMetadata::new("https://api.example.com").unwrap();
        assert!(
            doc.document()
                .get("resource_signing_alg_values_supported")
                .is_none()
        );
        let doc = doc.resource_signing_alg_values_supported(["RS256"]);
        assert_eq!(
            doc.document()["resource_signing_alg_values_supported"],
            json!(["RS256"])
        );
    }
}
