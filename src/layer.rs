//! [`JwtAuthLayer`]: the tower layer and every request-side setting.

use std::fmt;
use std::sync::Arc;

use tower_layer::Layer;

use crate::claims::RegisteredClaims;
use crate::extract::TokenSource;
use crate::policy::Policy;
use crate::response::DefaultResponseForAuthError;
use crate::service::{JwtAuth, LayerConfig};
use crate::verify::Verifier;

mod challenge;
mod cross_origin;
mod dpop;
mod policies;

/// Authenticates requests with JWTs; builds [`JwtAuth`] services.
///
/// A layer takes a [`Verifier`] (everything about tokens and keys) and carries every
/// request-side setting itself: where the token is read ([`token_source`](Self::token_source)),
/// whether it is [`optional`](Self::optional), the challenge's [`realm`](Self::realm) and
/// [`resource_metadata`](Self::resource_metadata), the cross-origin guard for cookie tokens,
/// policies typed by the claims ([`require_scopes`](Self::require_scopes),
/// [`check`](Self::check)) and the [`responder`](Self::responder) that answers every rejection.
///
/// A verified token's claims go into the request extensions as [`Claims<C>`](crate::Claims)
/// (and `Claims<RegisteredClaims>`). A refused request never reaches the inner service: it gets
/// the responder's answer, by default an RFC 6750 challenge (see [`response`](crate::response)),
/// with the [`AuthError`](crate::AuthError) in the response extensions.
///
/// Cloning is cheap; clones share the verifier's key stores.
///
/// # Example
///
/// ```
/// use axum::{Router, body::Body, routing::get};
/// use http::{Request, StatusCode};
/// use tower::ServiceExt;
/// use tower_jwt_auth::{Algorithm, Claims, Issuer, JwtAuthLayer, TokenSource, Verifier};
///
/// #[derive(Debug, serde::Deserialize)]
/// struct MyClaims { sub: String }
///
/// async fn me(Claims(c): Claims<MyClaims>) -> String {
///     c.sub.clone()
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder()
///     .claims::<MyClaims>()
///     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
///     .audience("api")
///     .algorithms([Algorithm::HS256])
///     .build()?;
/// let auth = JwtAuthLayer::new(verifier)
///     .token_source(TokenSource::bearer())
///     .token_source(TokenSource::cookie("__Host-access_token")?)
///     .realm("orders");
/// let app = Router::new().route("/me", get(me)).layer(auth);
///
/// let response = app.oneshot(Request::get("/me").body(Body::empty())?).await?;
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="orders""#);
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct JwtAuthLayer<C = RegisteredClaims, R = DefaultResponseForAuthError> {
    pub(crate) verifier: Verifier<C>,
    pub(crate) config: Arc<LayerConfig>,
    pub(crate) policies: Arc<Vec<Policy<C>>>,
    pub(crate) responder: R,
}

impl<C, R: Clone> Clone for JwtAuthLayer<C, R> {
    fn clone(&self) -> Self {
        Self {
            verifier: self.verifier.clone(),
            config: Arc::clone(&self.config),
            policies: Arc::clone(&self.policies),
            responder: self.responder.clone(),
        }
    }
}

impl<C, R: fmt::Debug> fmt::Debug for JwtAuthLayer<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthLayer")
            .field("verifier", &self.verifier)
            .field("config", &self.config)
            .field("policies", &self.policies.len())
            .field("responder", &self.responder)
            .finish()
    }
}

impl<C> JwtAuthLayer<C> {
    /// A layer around `verifier` with the default request-side settings: the bearer header,
    /// authentication required, realm `"api"`, the cross-origin guard on, no policy, the RFC 6750
    /// responder.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, Issuer, JwtAuthLayer, Verifier};
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    ///
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    ///     .audience("api")
    ///     .algorithms([Algorithm::HS256])
    ///     .build()?;
    /// let service = JwtAuthLayer::new(verifier).layer(ok);
    /// let response = service.oneshot(Request::new(())).await?;
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="api""#);
    /// # Ok(()) }
    /// ```
    pub fn new(verifier: Verifier<C>) -> Self {
        Self {
            verifier,
            config: Arc::new(LayerConfig::default()),
            policies: Arc::new(Vec::new()),
            responder: DefaultResponseForAuthError,
        }
    }
}

impl<C> Verifier<C> {
    /// A layer around this verifier with the default request-side settings: the same as
    /// [`JwtAuthLayer::new(verifier.clone())`](JwtAuthLayer::new). Layers from one verifier
    /// share its keys and its verified-token cache.
    ///
    /// # Example
    ///
    /// ```
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let token = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "scope": "orders:read", "exp": tower_jwt_auth::testing::now() + 60}));
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// # let req = || Request::get("/").header("authorization", format!("Bearer {token}")).body(()).unwrap();
    /// let public = verifier.layer().optional();
    /// let admin = verifier.layer().require_scopes(["admin"]);
    /// // `req()` carries a valid token with the scope `orders:read`.
    /// assert_eq!(public.layer(ok.clone()).oneshot(req()).await?.status(), 200);
    /// assert_eq!(admin.layer(ok).oneshot(req()).await?.status(), 403);
    /// # Ok(()) }
    /// ```
    pub fn layer(&self) -> JwtAuthLayer<C> {
        JwtAuthLayer::new(self.clone())
    }
}

impl<C, R> JwtAuthLayer<C, R> {
    /// The verifier this layer uses.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    /// # let verifier = Verifier::builder()
    /// #     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    /// #     .audience("api").algorithms([Algorithm::HS256]).build()?;
    /// let auth = verifier.layer();
    /// assert_eq!(auth.verifier().status()[0].iss, "https://issuer.example");
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn verifier(&self) -> &Verifier<C> {
        &self.verifier
    }

    fn with_config(mut self, f: impl FnOnce(&mut LayerConfig)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self
    }

    /// Adds a place to look for the token. Sources are tried in the order added, and the first
    /// that holds a token wins. Without any, the bearer header alone is read; once one is
    /// added, only the added ones are (add [`TokenSource::bearer()`] first to keep it).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::TokenSource;
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let token = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": tower_jwt_auth::testing::now() + 60}));
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// let auth = verifier.layer().token_source(TokenSource::cookie("at")?);
    /// let by_cookie = Request::get("/").header("cookie", format!("at={token}")).body(())?;
    /// assert_eq!(auth.layer(ok.clone()).oneshot(by_cookie).await?.status(), 200);
    /// let by_header = Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
    /// assert_eq!(auth.layer(ok).oneshot(by_header).await?.status(), 401); // not read any more
    /// # Ok(()) }
    /// ```
    pub fn token_source(self, source: TokenSource) -> Self {
        self.with_config(|c| {
            if c.default_sources {
                c.sources.clear();
                c.default_sources = false;
            }
            c.sources.push(source);
        })
    }

    /// The token sources, in the order they are tried.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::TokenSource;
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// assert_eq!(verifier.layer().token_sources(), [TokenSource::bearer()]);
    /// let auth = verifier.layer().token_source(TokenSource::cookie("at")?);
    /// assert_eq!(auth.token_sources(), [TokenSource::cookie("at")?]);
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn token_sources(&self) -> &[TokenSource] {
        &self.config.sources
    }

    /// Lets requests without a token through, without claims: handlers take
    /// `Option<Claims<C>>`. A token that is present but invalid is still refused, and a layer
    /// with policies ([`require_scopes`](Self::require_scopes), [`check`](Self::check)) still
    /// answers 401 to a request without a token, since its policies need one.
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
    /// let service = verifier.layer().optional().layer(ok);
    /// assert_eq!(service.clone().oneshot(Request::new(())).await?.status(), 200);
    /// let bad = Request::get("/").header("authorization", "Bearer not-a-jwt").body(())?;
    /// assert_eq!(service.oneshot(bad).await?.status(), 401);
    /// # Ok(()) }
    /// ```
    pub fn optional(self) -> Self {
        self.with_config(|c| c.optional = true)
    }

    /// Whether requests without a token pass (see [`optional`](Self::optional)). Defaults to
    /// `false`.
    ///
    /// # Example
    ///
    /// ```
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// assert!(!verifier.layer().is_optional());
    /// assert!(verifier.layer().optional().is_optional());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn is_optional(&self) -> bool {
        self.config.optional
    }
}

impl<S, C, R: Clone> Layer<S> for JwtAuthLayer<C, R> {
    type Service = JwtAuth<S, C, R>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtAuth::new(
            inner,
            self.verifier.clone(),
            Arc::clone(&self.config),
            Arc::clone(&self.policies),
            self.responder.clone(),
        )
    }
}
