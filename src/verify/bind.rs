//! Sender-constrained tokens: a token's `cnf` against the proof key or client certificate that
//! came with it (RFC 9449 §6, RFC 8705 §3).

use super::Verified;
use crate::error::{AuthError, AuthErrorKind};
use crate::mtls::ClientCertificate;

/// How a token was presented: the thumbprint of the DPoP proof key that came with it, and the
/// client certificate of the connection. Both absent: a plain bearer token.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Presented<'a> {
    /// The RFC 7638 thumbprint of a verified DPoP proof's key.
    pub(crate) jkt: Option<&'a str>,
    /// The client certificate the TLS acceptor verified.
    pub(crate) certificate: Option<&'a ClientCertificate>,
}

fn refused() -> AuthError {
    AuthError::new(AuthErrorKind::SenderConstrained, "sender-constrained token")
}

fn mismatch(description: &'static str) -> AuthError {
    AuthError::new(AuthErrorKind::BindingMismatch, description)
}

impl<C> Verified<C> {
    /// Checks the token's binding against how it was presented: every confirmation method its
    /// `cnf` names must be shown (a `jkt` by a proof of that key, an `x5t#S256` by that client
    /// certificate), and a DPoP proof comes only with a token bound to its key. A `cnf` that
    /// names neither method (or names one in a form that can't be read) is refused; other
    /// members beside a checked method are not looked at.
    pub(crate) fn check_binding(&self, presented: &Presented<'_>) -> Result<(), AuthError> {
        let Some(binding) = &self.binding else {
            return match presented.jkt {
                Some(_) => Err(mismatch("token is not bound to a DPoP key")),
                None => Ok(()),
            };
        };
        if binding.unreadable || (binding.jkt.is_none() && binding.x5t_s256.is_none()) {
            return Err(refused());
        }
        match (binding.jkt.as_deref(), presented.jkt) {
            (Some(_), None) => return Err(refused()),
            (Some(bound), Some(shown)) if bound != shown => {
                return Err(mismatch("token is bound to another DPoP key"));
            }
            (None, Some(_)) => return Err(mismatch("token is not bound to a DPoP key")),
            _ => {}
        }
        if let Some(bound) = binding.x5t_s256.as_deref() {
            let Some(certificate) = presented.certificate else {
                return Err(refused());
            };
            if certificate.thumbprint() != bound {
                return Err(mismatch("token is bound to another client certificate"));
            }
        }
        Ok(())
    }
}
