//! What an [`AuthError`] carries for DPoP: the scheme its challenge goes on, and a fresh nonce.

use super::{AuthError, AuthErrorKind};

impl AuthError {
    /// Marks the error as the answer to a request that used the `DPoP` scheme.
    pub(crate) fn on_dpop(mut self) -> Self {
        self.inner.dpop = true;
        self
    }

    /// Adds the fresh nonce the answer's `DPoP-Nonce` header carries.
    pub(crate) fn with_dpop_nonce(mut self, nonce: http::HeaderValue) -> Self {
        self.inner.dpop_nonce = Some(nonce);
        self
    }

    /// Whether the challenge for this error is the `DPoP` one: the request used the `DPoP`
    /// scheme, or the error is about DPoP itself.
    ///
    /// ```
    /// use tower_jwt_auth::{AuthError, AuthErrorKind};
    ///
    /// assert!(AuthError::new(AuthErrorKind::InvalidDpopProof, "proof missing").is_dpop());
    /// assert!(!AuthError::new(AuthErrorKind::Expired, "token expired").is_dpop());
    /// ```
    #[must_use]
    pub fn is_dpop(&self) -> bool {
        self.inner.dpop
            || matches!(
                self.inner.kind,
                AuthErrorKind::InvalidDpopProof
                    | AuthErrorKind::DpopReplayed
                    | AuthErrorKind::UseDpopNonce
                    | AuthErrorKind::DpopRequired
            )
    }

    /// The nonce a `DPoP-Nonce` response header hands the client (RFC 9449 §8), with
    /// [`UseDpopNonce`](AuthErrorKind::UseDpopNonce) errors.
    ///
    /// ```
    /// use tower_jwt_auth::{AuthError, AuthErrorKind};
    ///
    /// assert_eq!(AuthError::new(AuthErrorKind::Expired, "token expired").dpop_nonce(), None);
    /// ```
    #[must_use]
    pub fn dpop_nonce(&self) -> Option<&http::HeaderValue> {
        self.inner.dpop_nonce.as_ref()
    }
}
