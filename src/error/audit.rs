//! The audit trail of a rejection: which issuer, key, algorithm and token source it concerned,
//! and the `tracing` event every rejection emits (target `tower_jwt_auth::rejected`).

use std::sync::Arc;

use jsonwebtoken::Algorithm;

use super::AuthError;

/// What is known about a refused token, for the audit event: the configured issuer it matched,
/// the header's `kid` and `alg`, and where the token was read. Never its claims or the token.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trail {
    iss: Option<Arc<str>>,
    kid: Option<Box<str>>,
    alg: Option<Algorithm>,
    source: Option<&'static str>,
}

impl AuthError {
    /// Records the header's `alg` and `kid` (kept if already known).
    pub(crate) fn with_header(mut self, alg: Algorithm, kid: Option<&str>) -> Self {
        let trail = &mut self.inner.trail;
        if trail.alg.is_none() {
            trail.alg = Some(alg);
            trail.kid = kid.map(Box::from);
        }
        self
    }

    /// Records the configured issuer the token matched (kept if already known).
    pub(crate) fn with_issuer(mut self, iss: &str) -> Self {
        self.inner.trail.iss.get_or_insert_with(|| Arc::from(iss));
        self
    }

    /// Records where the token was read: `bearer`, `dpop`, `cookie`, `header`, `query`,
    /// `websocket_protocol` (kept if already known).
    pub(crate) fn with_token_source(mut self, source: &'static str) -> Self {
        self.inner.trail.source.get_or_insert(source);
        self
    }

    /// Emits the rejection's audit event: target `tower_jwt_auth::rejected`, `info` for a 4xx,
    /// `warn` for a 5xx, with `code`, `status` and, where known, `iss`, `kid`, `alg`, `source`.
    pub(crate) fn audit(&self) {
        let trail = &self.inner.trail;
        let (code, status) = (self.code(), self.status().as_u16());
        let iss = trail.iss.as_deref();
        let kid = trail.kid.as_deref();
        let alg = trail.alg.map(crate::keys::alg_name);
        let source = trail.source;
        if self.status().is_server_error() {
            tracing::warn!(target: "tower_jwt_auth::rejected", code, status, iss, kid, alg, source, "request rejected");
        } else {
            tracing::info!(target: "tower_jwt_auth::rejected", code, status, iss, kid, alg, source, "request rejected");
        }
    }
}
