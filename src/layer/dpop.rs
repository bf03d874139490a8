//! The layer's DPoP setting: which schemes it accepts, and the proofs it asks for.

use std::sync::Arc;

use crate::dpop::Dpop;

use super::JwtAuthLayer;

impl<C, R> JwtAuthLayer<C, R> {
    /// Accepts DPoP-bound tokens (RFC 9449) with these settings: `Authorization: DPoP <token>`
    /// and a `DPoP` proof header, next to bearer tokens or, with [`Dpop::required`], instead of
    /// them. Every 401 then carries a `DPoP` challenge naming the proof algorithms. See
    /// [`dpop`](crate::dpop).
    ///
    /// # Example
    ///
    /// ```
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// use tower_jwt_auth::dpop::Dpop;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// let auth = verifier.layer().dpop(Dpop::new("https://api.example")?);
    /// assert!(auth.dpop_settings().is_some_and(|d| !d.is_required()));
    /// let response = auth.layer(ok).oneshot(Request::new(())).await?;
    /// let challenges: Vec<_> = response.headers().get_all("www-authenticate").iter().collect();
    /// assert_eq!(challenges, [
    ///     r#"DPoP realm="api", algs="ES256 ES384 RS256 PS256 EdDSA""#,
    ///     r#"Bearer realm="api""#,
    /// ]);
    /// # Ok(()) }
    /// ```
    pub fn dpop(self, dpop: Dpop) -> Self {
        self.with_config(|c| {
            c.dpop = Some(Arc::new(dpop));
            c.rebuild_challenge();
        })
    }

    /// The layer's DPoP settings, if it accepts DPoP.
    ///
    /// # Example
    ///
    /// ```
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// assert!(verifier.layer().dpop_settings().is_none());
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn dpop_settings(&self) -> Option<&Dpop> {
        self.config.dpop.as_deref()
    }
}
