//! The builder's revocation settings: the store, its deadline and the failure policy.

use std::sync::Arc;
use std::time::Duration;

use super::VerifierBuilder;
use crate::revocation::{FailurePolicy, Revocation};

impl<C> VerifierBuilder<C> {
    /// Consults `store` on every request after the signature check (or the verified-token cache
    /// hit, which never hides a revocation): a revoked token gets 401 `invalid_token` ("token
    /// revoked"). A store that can't answer within the
    /// [deadline](Self::revocation_deadline) fails closed (503 `revocation_unavailable`, with
    /// `Retry-After`) unless [`revocation_fail_open`](Self::revocation_fail_open) is set. See
    /// [`revocation`](crate::revocation).
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Issuer, Verifier, revocation::MemoryRevocation, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let exp = now() + 60;
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "jti": "t-42", "exp": exp}));
    /// let revoked = MemoryRevocation::new();
    /// let verifier = builder.revocation(revoked.clone()).build()?;
    /// assert!(verifier.verify(&token).await.is_ok());
    /// revoked.revoke_jti("https://issuer.example", "t-42", exp)?;
    /// assert_eq!(verifier.verify(&token).await.unwrap_err().code(), "revoked");
    /// # Ok(())
    /// # }
    /// ```
    pub fn revocation(mut self, store: impl Revocation) -> Self {
        self.revocation = Some(Arc::new(store));
        self
    }

    /// How long one revocation check may take before the failure policy applies. Defaults to
    /// 250 ms.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{Issuer, RegisteredClaims, Verifier, testing::{TestKey, now}};
    /// # use tower_jwt_auth::revocation::{Check, Revocation, RevocationStatus};
    /// // A store that answers "not revoked" after a while.
    /// struct Slow(Duration);
    /// impl Revocation for Slow {
    ///     fn check(&self, _: &RegisteredClaims) -> Check {
    ///         let delay = self.0;
    ///         Check::Pending(Box::pin(async move {
    ///             tokio::time::sleep(delay).await;
    ///             RevocationStatus::NotRevoked
    ///         }))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = |delay| Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").revocation(Slow(delay));
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60}));
    /// let patient = builder(Duration::from_millis(100)).revocation_deadline(Duration::from_secs(5)).build()?;
    /// assert!(patient.verify(&token).await.is_ok());
    /// let hasty = builder(Duration::from_secs(3600)).revocation_deadline(Duration::from_millis(10)).build()?;
    /// assert_eq!(hasty.verify(&token).await.unwrap_err().code(), "revocation_unavailable");
    /// # Ok(())
    /// # }
    /// ```
    pub fn revocation_deadline(mut self, deadline: Duration) -> Self {
        self.revocation_deadline = deadline;
        self
    }

    /// Lets requests through when the revocation store can't answer in time (each one logged
    /// at `warn`), instead of the default 503. Availability over revocation: a revoked token
    /// passes while the store is down.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Issuer, RegisteredClaims, Verifier, testing::{TestKey, now}};
    /// # use tower_jwt_auth::revocation::{Check, Revocation, RevocationStatus};
    /// // A store that can't tell (its backend is down).
    /// struct Down;
    /// impl Revocation for Down {
    ///     fn check(&self, _: &RegisteredClaims) -> Check {
    ///         Check::Ready(RevocationStatus::Unknown)
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = || Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").revocation(Down);
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60}));
    /// let closed = builder().build()?;
    /// assert_eq!(closed.verify(&token).await.unwrap_err().code(), "revocation_unavailable");
    /// let open = builder().revocation_fail_open().build()?;
    /// assert!(open.verify(&token).await.is_ok());
    /// # Ok(())
    /// # }
    /// ```
    pub fn revocation_fail_open(mut self) -> Self {
        self.revocation_policy = FailurePolicy::Open;
        self
    }
}
