//! The layer's cross-origin settings: the guard for cookie tokens, and CORS preflights.

use crate::extract::csrf::CsrfGuard;

use super::JwtAuthLayer;

impl<C, R> JwtAuthLayer<C, R> {
    /// The cross-origin guard for tokens read from a cookie (see [`TokenSource::cookie`](crate::TokenSource::cookie)); the
    /// default guard trusts the request's own origin only. Use it to trust more origins.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{TokenSource, csrf::CsrfGuard};
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// # let token = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": tower_jwt_auth::testing::now() + 60}));
    /// # let post = |origin: &str| Request::post("/").header("cookie", format!("at={token}")).header("origin", origin).header("sec-fetch-site", "cross-site").body(()).unwrap();
    /// // `post(origin)`: a cross-site POST from `origin`, with a valid token in the cookie `at`.
    /// let auth = verifier.layer().token_source(TokenSource::cookie("at")?);
    /// let trusting = auth.clone().csrf_guard(CsrfGuard::new(["https://app.example.com"])?);
    /// assert_eq!(trusting.layer(ok.clone()).oneshot(post("https://app.example.com")).await?.status(), 200);
    /// assert_eq!(auth.layer(ok).oneshot(post("https://app.example.com")).await?.status(), 403);
    /// # Ok(()) }
    /// ```
    pub fn csrf_guard(self, guard: CsrfGuard) -> Self {
        self.with_config(|c| c.csrf = Some(guard))
    }

    /// Turns off the cross-origin guard for cookie tokens.
    ///
    /// Dangerous: any site a user visits can then send requests that carry their cookie token,
    /// and act as them (cross-site request forgery, RFC 6750 §5.3).
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
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// # let token = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": tower_jwt_auth::testing::now() + 60}));
    /// # let post = |origin: &str| Request::post("/").header("cookie", format!("at={token}")).header("origin", origin).header("sec-fetch-site", "cross-site").body(()).unwrap();
    /// // `post(origin)`: a cross-site POST from `origin`, with a valid token in the cookie `at`.
    /// let auth = verifier.layer().token_source(TokenSource::cookie("at")?);
    /// let unguarded = auth.insecure_disable_csrf_guard().layer(ok);
    /// assert_eq!(unguarded.oneshot(post("https://evil.example")).await?.status(), 200);
    /// # Ok(()) }
    /// ```
    pub fn insecure_disable_csrf_guard(self) -> Self {
        self.with_config(|c| c.csrf = None)
    }

    /// The cross-origin guard for cookie tokens, unless turned off. On by default.
    ///
    /// # Example
    ///
    /// ```
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// assert!(verifier.layer().csrf().is_some());
    /// assert!(verifier.layer().insecure_disable_csrf_guard().csrf().is_none());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn csrf(&self) -> Option<&CsrfGuard> {
        self.config.csrf.as_ref()
    }

    /// Lets CORS preflights through to the inner service: an `OPTIONS` request with `Origin`,
    /// `Access-Control-Request-Method` and no token (browsers never send credentials on a
    /// preflight), so a [`CorsLayer`](https://docs.rs/tower-http/latest/tower_http/cors/)
    /// placed *inside* this layer answers it. A preflight that does carry a token is verified
    /// like any request. Anyone can send such a request: the inner service must answer
    /// `OPTIONS` without side effects (a `CorsLayer` answers preflights itself).
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
    /// let preflight = || {
    ///     Request::options("/")
    ///         .header("origin", "https://app.example.com")
    ///         .header("access-control-request-method", "POST")
    ///         .body(())
    /// };
    /// let service = verifier.layer().allow_cors_preflight().layer(ok.clone());
    /// assert_eq!(service.oneshot(preflight()?).await?.status(), 200);
    /// assert_eq!(verifier.layer().layer(ok).oneshot(preflight()?).await?.status(), 401);
    /// # Ok(()) }
    /// ```
    pub fn allow_cors_preflight(self) -> Self {
        self.with_config(|c| c.cors_preflight = true)
    }

    /// Whether CORS preflights pass (see [`allow_cors_preflight`](Self::allow_cors_preflight)).
    /// Defaults to `false`.
    ///
    /// # Example
    ///
    /// ```
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// assert!(!verifier.layer().allows_cors_preflight());
    /// assert!(verifier.layer().allow_cors_preflight().allows_cors_preflight());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn allows_cors_preflight(&self) -> bool {
        self.config.cors_preflight
    }
}
