//! Certificate-bound tokens (RFC 8705 §3): [`ClientCertificate`], which the TLS acceptor puts
//! into the request extensions.
//!
//! A token whose `cnf` holds `x5t#S256` is bound to a client certificate: the layer accepts it
//! only on a request whose [`ClientCertificate`] has that SHA-256 thumbprint, and refuses it
//! (401 `invalid_token`) without one. The crate does not terminate TLS: the server that does
//! (tokio-rustls, axum-server, a hyper accept loop) verifies the client's certificate chain and
//! inserts the leaf certificate's DER into every request of the connection, for example with
//! `tower_http::add_extension::AddExtensionLayer` or by wrapping the per-connection service.
//!
//! ```
//! use http::Request;
//! use tower_jwt_auth::mtls::ClientCertificate;
//!
//! # let peer_der: Vec<u8> = vec![0x30, 0x03, 0x02, 0x01, 0x01];
//! // In the accept loop, once the TLS handshake verified the client's certificate:
//! let certificate = ClientCertificate::new(peer_der);
//! let mut request = Request::new(());
//! request.extensions_mut().insert(certificate.clone());
//! assert_eq!(request.extensions().get::<ClientCertificate>(), Some(&certificate));
//! ```

use std::sync::Arc;

use sha2::{Digest, Sha256};

/// The DER of the client certificate the TLS layer verified for this connection.
///
/// Insert it only after the TLS library validated the certificate chain: the layer trusts it.
///
/// ```
/// use tower_jwt_auth::mtls::ClientCertificate;
///
/// let certificate = ClientCertificate::new(vec![0x30, 0x00]);
/// assert_eq!(certificate.der(), &[0x30, 0x00]);
/// assert_eq!(certificate.thumbprint().len(), 43);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate(Arc<[u8]>);

impl ClientCertificate {
    /// Wraps a certificate's DER bytes.
    ///
    /// ```
    /// # use tower_jwt_auth::mtls::ClientCertificate;
    /// let certificate = ClientCertificate::new(&b"\x30\x00"[..]);
    /// assert_eq!(certificate, ClientCertificate::new(vec![0x30, 0x00]));
    /// ```
    #[must_use]
    pub fn new(der: impl Into<Arc<[u8]>>) -> Self {
        Self(der.into())
    }

    /// The certificate's DER bytes.
    ///
    /// ```
    /// # use tower_jwt_auth::mtls::ClientCertificate;
    /// assert_eq!(ClientCertificate::new(vec![1, 2]).der(), &[1, 2]);
    /// ```
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.0
    }

    /// The base64url SHA-256 thumbprint of the DER, as a bound token's `cnf["x5t#S256"]` names it.
    ///
    /// ```
    /// # use tower_jwt_auth::mtls::ClientCertificate;
    /// // SHA-256 of the empty string.
    /// assert_eq!(ClientCertificate::new(Vec::new()).thumbprint(), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    /// ```
    #[must_use]
    pub fn thumbprint(&self) -> String {
        crate::b64::encode(Sha256::digest(&self.0))
    }
}
