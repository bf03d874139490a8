//! [`DpopKey`]: the proof key of an accepted DPoP request, for handlers.

use std::sync::Arc;

/// The key a request's DPoP proof was signed with, in the request extensions of every request
/// the layer let through with a DPoP token: for audit logs, or to tie a session to the key.
///
/// ```
/// use tower_jwt_auth::dpop::DpopKey;
///
/// fn audit(req: &http::Request<()>) -> Option<String> {
///     req.extensions().get::<DpopKey>().map(|key| format!("jkt={}", key.thumbprint()))
/// }
/// assert_eq!(audit(&http::Request::new(())), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopKey {
    thumbprint: Arc<str>,
}

impl DpopKey {
    pub(crate) fn new(thumbprint: &str) -> Self {
        Self {
            thumbprint: Arc::from(thumbprint),
        }
    }

    /// The key's RFC 7638 SHA-256 thumbprint, base64url (the token's `cnf.jkt`).
    ///
    /// ```
    /// # use tower_jwt_auth::dpop::DpopKey;
    /// # let req = http::Request::new(());
    /// if let Some(key) = req.extensions().get::<DpopKey>() {
    ///     assert_eq!(key.thumbprint().len(), 43);
    /// }
    /// ```
    #[must_use]
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }
}
