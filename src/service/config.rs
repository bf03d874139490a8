//! [`LayerConfig`]: a layer's own settings, shared by every service it builds.

use std::sync::Arc;

use crate::dpop::Dpop;
use crate::extract::TokenSource;
use crate::extract::csrf::CsrfGuard;
use crate::response::Challenge;

/// The layer's own settings (the verifier's are in [`Verifier`](crate::Verifier)).
#[derive(Debug, Clone)]
pub(crate) struct LayerConfig {
    /// Where the token is read, in order (never empty).
    pub(crate) sources: Vec<TokenSource>,
    /// Whether `sources` still is the default (the first `token_source` call replaces it).
    pub(crate) default_sources: bool,
    pub(crate) optional: bool,
    /// CORS preflights without a token reach the inner service.
    pub(crate) cors_preflight: bool,
    pub(crate) realm: String,
    pub(crate) resource_metadata: Option<String>,
    pub(crate) challenge: Arc<Challenge>,
    /// The cross-origin guard for cookie tokens (`None` only by `insecure_disable_csrf_guard`).
    pub(crate) csrf: Option<CsrfGuard>,
    /// DPoP settings (`None`: bearer tokens only).
    pub(crate) dpop: Option<Arc<Dpop>>,
    /// The scopes the layer's scope policies name, for the challenge of a request without a
    /// token.
    pub(crate) challenge_scopes: Option<Arc<[String]>>,
}

impl LayerConfig {
    /// Builds the challenge again after the realm, the metadata URL or DPoP changed.
    pub(crate) fn rebuild_challenge(&mut self) {
        let dpop = self
            .dpop
            .as_ref()
            .map(|d| (d.algorithm_names(), !d.is_required()));
        self.challenge = Arc::new(Challenge::build(
            &self.realm,
            self.resource_metadata.as_deref(),
            dpop,
        ));
    }
}

impl Default for LayerConfig {
    fn default() -> Self {
        Self {
            sources: vec![TokenSource::bearer()],
            default_sources: true,
            optional: false,
            cors_preflight: false,
            realm: crate::response::DEFAULT_REALM.to_owned(),
            resource_metadata: None,
            challenge: Arc::new(Challenge::new(crate::response::DEFAULT_REALM)),
            csrf: Some(CsrfGuard::default()),
            dpop: None,
            challenge_scopes: None,
        }
    }
}
