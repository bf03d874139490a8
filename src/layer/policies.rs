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
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    /// # let verifier = Verifier::builder()
    /// #     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    /// #     .audience("api").algorithms([Algorithm::HS256]).build()?;
    /// let admin = verifier.layer().require_scopes(["admin", "orders:write"]);
    /// assert_eq!(admin.policy_count(), 1);
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn require_scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.with_policy(Policy::scopes(scopes, true))
    }

    /// Requires at least one of these scopes: otherwise 403 `insufficient_scope` naming them.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    /// # let verifier = Verifier::builder()
    /// #     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    /// #     .audience("api").algorithms([Algorithm::HS256]).build()?;
    /// let readers = verifier.layer().require_any_scope(["orders:read", "orders:write"]);
    /// assert_eq!(readers.policy_count(), 1);
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn require_any_scope<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.with_policy(Policy::scopes(scopes, false))
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
    ///
    /// #[derive(Debug, serde::Deserialize)]
    /// struct MyClaims { token_use: String }
    ///
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
    /// assert_eq!(auth.policy_count(), 1);
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn check<F>(self, check: F) -> Self
    where
        F: Fn(&C) -> Verdict + Send + Sync + 'static,
    {
        self.with_policy(Policy::Check(Arc::new(check)))
    }

    /// How many policies this layer runs.
    #[must_use]
    pub fn policy_count(&self) -> usize {
        self.policies.len()
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
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    /// use tower_jwt_auth::response::ProblemJson;
    /// # let verifier = Verifier::builder()
    /// #     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
    /// #     .audience("api").algorithms([Algorithm::HS256]).build()?;
    /// let auth = verifier.layer().responder(ProblemJson);
    /// # let _ = auth;
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
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
