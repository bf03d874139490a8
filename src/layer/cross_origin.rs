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
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    /// use tower_jwt_auth::csrf::CsrfGuard;
    /// # let verifier = Verifier::builder()
    /// #     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    /// #     .audience("api").algorithms([Algorithm::HS256]).build()?;
    /// let guard = CsrfGuard::new(["https://app.example.com"])?;
    /// let auth = verifier.layer().csrf_guard(guard);
    /// assert!(auth.csrf().is_some());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
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
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    /// # let verifier = Verifier::builder()
    /// #     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    /// #     .audience("api").algorithms([Algorithm::HS256]).build()?;
    /// let auth = verifier.layer().insecure_disable_csrf_guard();
    /// assert!(auth.csrf().is_none());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn insecure_disable_csrf_guard(self) -> Self {
        self.with_config(|c| c.csrf = None)
    }

    /// The cross-origin guard for cookie tokens, unless turned off.
    #[must_use]
    pub fn csrf(&self) -> Option<&CsrfGuard> {
        self.config.csrf.as_ref()
    }

    /// Lets CORS preflights through to the inner service: an `OPTIONS` request with
    /// `Access-Control-Request-Method` and no token (browsers never send credentials on a
    /// preflight), so a [`CorsLayer`](https://docs.rs/tower-http/latest/tower_http/cors/)
    /// placed *inside* this layer answers it. A preflight that does carry a token is verified
    /// like any request.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    /// # let verifier = Verifier::builder()
    /// #     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    /// #     .audience("api").algorithms([Algorithm::HS256]).build()?;
    /// let auth = verifier.layer().allow_cors_preflight();
    /// assert!(auth.allows_cors_preflight());
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn allow_cors_preflight(self) -> Self {
        self.with_config(|c| c.cors_preflight = true)
    }

    /// Whether CORS preflights pass (see [`allow_cors_preflight`](Self::allow_cors_preflight)).
    #[must_use]
    pub fn allows_cors_preflight(&self) -> bool {
        self.config.cors_preflight
    }
}
