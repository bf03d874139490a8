//! The layer's policies (scopes and predicates typed by its claims) and its responder.

use crate::policy::{Policy, Verdict};
use std::sync::Arc;

use super::JwtAuthLayer;

impl<C, R> JwtAuthLayer<C, R> {
    /// Requires every one of these scopes (from `scope` and `scp`, see
    /// [`RegisteredClaims::scopes`](crate::RegisteredClaims::scopes)): otherwise 403 `insufficient_scope` naming them.
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
    /// // `req()` carries a valid token with the scope `orders:read`.
    /// let service = verifier.layer().require_scopes(["orders:read", "orders:write"]).layer(ok);
    /// let response = service.oneshot(req()).await?;
    /// assert_eq!(response.status(), 403);
    /// let challenge = response.headers()["www-authenticate"].to_str()?;
    /// assert!(challenge.ends_with(r#"scope="orders:read orders:write""#));
    /// # Ok(()) }
    /// ```
    pub fn require_scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.with_scope_policy(scopes, true)
    }

    /// Requires at least one of these scopes: otherwise 403 `insufficient_scope` naming them.
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
    /// // `req()` carries a valid token with the scope `orders:read`.
    /// let readers = verifier.layer().require_any_scope(["orders:read", "orders:write"]);
    /// assert_eq!(readers.layer(ok.clone()).oneshot(req()).await?.status(), 200);
    /// let admins = verifier.layer().require_any_scope(["admin", "root"]);
    /// assert_eq!(admins.layer(ok).oneshot(req()).await?.status(), 403);
    /// # Ok(()) }
    /// ```
    pub fn require_any_scope<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.with_scope_policy(scopes, false)
    }

    /// Asks `check` about every authenticated request, with the claims the layer decoded (no
    /// second decode). Policies run in the order added, after the token and revocation checks;
    /// the first that does not [`Accept`](Verdict::Accept) answers. The closure's argument is
    /// the layer's claims type, so a policy for another type does not compile.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, Issuer, Verdict, Verifier};
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    ///
    /// #[derive(Debug, serde::Deserialize)]
    /// struct MyClaims { token_use: String }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let token = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "token_use": "refresh", "exp": tower_jwt_auth::testing::now() + 60}));
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// # let req = Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
    /// let verifier = Verifier::builder()
    ///     .claims::<MyClaims>()
    ///     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    ///     .audience("api")
    ///     .algorithms([Algorithm::HS256])
    ///     .build()?;
    /// let auth = verifier.layer().check(|c: &MyClaims| match c.token_use.as_str() {
    ///     "access" => Verdict::Accept,
    ///     _ => Verdict::NotAccepted("not an access token"),
    /// });
    /// // `req` carries a valid token whose `token_use` is `"refresh"`.
    /// let response = auth.layer(ok).oneshot(req).await?;
    /// assert_eq!(response.status(), 401);
    /// let challenge = response.headers()["www-authenticate"].to_str()?;
    /// assert!(challenge.contains(r#"error="invalid_token", error_description="not an access token""#));
    /// # Ok(()) }
    /// ```
    pub fn check<F>(self, check: F) -> Self
    where
        F: Fn(&C) -> Verdict + Send + Sync + 'static,
    {
        self.with_policy(Policy::Check(Arc::new(check)))
    }

    /// How many policies this layer runs. Defaults to none.
    ///
    /// # Example
    ///
    /// ```
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// assert_eq!(verifier.layer().policy_count(), 0);
    /// let auth = verifier.layer().require_scopes(["admin"]).require_any_scope(["a", "b"]);
    /// assert_eq!(auth.policy_count(), 2);
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn policy_count(&self) -> usize {
        self.policies.len()
    }

    /// A scope policy; its scopes also go into the 401 challenge of a request without a token
    /// (MCP authorization asks for that: a client learns which scopes to request up front).
    fn with_scope_policy<I, S>(self, scopes: I, all: bool) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.with_config(|c| {
            let mut named: Vec<String> = c.challenge_scopes.as_deref().unwrap_or_default().to_vec();
            for scope in &scopes {
                if !named.contains(scope) {
                    named.push(scope.clone());
                }
            }
            c.challenge_scopes = Some(named.into());
        })
        .with_policy(Policy::scopes(scopes, all))
    }

    fn with_policy(mut self, policy: Policy<C>) -> Self {
        let mut policies: Vec<Policy<C>> = self.policies.iter().cloned().collect();
        policies.push(policy);
        self.policies = Arc::new(policies);
        self
    }

    /// Replaces the responder that answers every rejection: authentication, policies, the
    /// cross-origin guard, and the `Claims<C>` extractor behind an optional layer (see
    /// [`ResponseForAuthError`](crate::response::ResponseForAuthError)). Whatever it returns, the
    /// layer puts the [`AuthError`](crate::AuthError) into the response's extensions.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::response::ProblemJson;
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// let service = verifier.layer().responder(ProblemJson).layer(ok);
    /// let response = service.oneshot(Request::new(())).await?;
    /// assert_eq!(response.headers()["content-type"], "application/problem+json");
    /// assert!(response.body().contains(r#""code":"missing""#));
    /// # Ok(()) }
    /// ```
    pub fn responder<R2>(self, responder: R2) -> JwtAuthLayer<C, R2> {
        JwtAuthLayer {
            verifier: self.verifier,
            config: self.config,
            policies: self.policies,
            responder,
        }
    }
}
