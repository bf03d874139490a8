//! A tonic helper (feature `tonic`): the claims of a gRPC call.
//!
//! The same [`JwtAuthLayer`](crate::JwtAuthLayer) goes into
//! `tonic::transport::Server::builder().layer(...)`. A gRPC call that fails authentication gets a
//! gRPC status (16 `UNAUTHENTICATED`, 7 `PERMISSION_DENIED` for scope or predicate failures,
//! 14 `UNAVAILABLE` while keys are unavailable) instead of an HTTP error.
//!
//! # Example
//!
//! ```
//! use tower_jwt_auth::{Claims, RegisteredClaims, tonic::RequestClaimsExt};
//!
//! fn who(request: &tonic::Request<()>) -> Option<String> {
//!     let claims: &Claims<RegisteredClaims> = request.claims()?;
//!     claims.sub.clone()
//! }
//! # assert_eq!(who(&tonic::Request::new(())), None);
//! ```

use crate::claims::Claims;

/// Reads the verified claims of a `tonic::Request`.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{RegisteredClaims, tonic::RequestClaimsExt};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
/// # let token = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "sub": "alice", "exp": tower_jwt_auth::testing::now() + 60}));
///
/// let mut request = tonic::Request::new(());
/// // What the layer does for a valid token:
/// request.extensions_mut().insert(verifier.verify(&token).await?);
/// assert_eq!(request.claims::<RegisteredClaims>().and_then(|c| c.sub.as_deref()), Some("alice"));
/// assert!(request.claims::<serde_json::Value>().is_none()); // another claims type
/// # Ok(()) }
/// ```
pub trait RequestClaimsExt {
    /// The claims the authentication layer inserted, as `C` (`None` when the layer inserts
    /// another type, or the call was anonymous behind an optional layer).
    fn claims<C: Send + Sync + 'static>(&self) -> Option<&Claims<C>>;
}

impl<T> RequestClaimsExt for tonic::Request<T> {
    fn claims<C: Send + Sync + 'static>(&self) -> Option<&Claims<C>> {
        self.extensions().get::<Claims<C>>()
    }
}
