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
