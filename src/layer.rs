//! [`JwtAuthLayer`]: the tower layer.

use std::fmt;
use std::sync::Arc;

use tower_layer::Layer;

use crate::builder::JwtAuthBuilder;
use crate::csrf::CsrfGuard;
use crate::error::ConfigError;
use crate::response::{Challenge, DefaultResponseForAuthError};
use crate::service::JwtAuth;
use crate::token::TokenSource;
use crate::verify::Verifier;

/// Authenticates requests with JWTs; builds [`JwtAuth`] services.
///
/// The token is taken from the configured [`TokenSource`]s, verified by a [`Verifier`], and its
/// claims inserted into the request extensions as [`Claims<C>`](crate::Claims) (and
/// `Claims<RegisteredClaims>`). A refused request never reaches the inner service: it gets the
/// responder's answer, by default an RFC 6750 challenge (see [`response`](crate::response)).
///
/// Cloning is cheap; clones share the verifier's key stores.
///
/// # Example
///
/// ```
/// use axum::{Router, routing::get};
/// use tower_jwt_auth::{Algorithm, Claims, Issuer, JwtAuthLayer};
///
/// #[derive(Debug, serde::Deserialize)]
/// struct MyClaims { sub: String }
///
/// async fn me(Claims(c): Claims<MyClaims>) -> String {
///     c.sub.clone()
/// }
///
/// let auth = JwtAuthLayer::<MyClaims>::builder()
///     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
///     .audience("api")
///     .algorithms([Algorithm::HS256])
///     .build()?;
/// let app: Router = Router::new().route("/me", get(me)).layer(auth);
/// # Ok::<_, tower_jwt_auth::ConfigError>(())
/// ```
#[must_use]
pub struct JwtAuthLayer<C, R = DefaultResponseForAuthError> {
    pub(crate) verifier: Verifier<C>,
    pub(crate) config: Arc<LayerConfig>,
    pub(crate) responder: R,
}

impl<C, R: Clone> Clone for JwtAuthLayer<C, R> {
    fn clone(&self) -> Self {
        Self {
            verifier: self.verifier.clone(),
            config: Arc::clone(&self.config),
            responder: self.responder.clone(),
        }
    }
}

impl<C, R: fmt::Debug> fmt::Debug for JwtAuthLayer<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthLayer")
            .field("verifier", &self.verifier)
            .field("config", &self.config)
            .field("responder", &self.responder)
            .finish()
    }
}

/// The layer's own settings (the verifier's are in [`Verifier`]).
#[derive(Debug)]
pub(crate) struct LayerConfig {
    pub(crate) sources: Vec<TokenSource>,
    pub(crate) optional: bool,
    pub(crate) challenge: Arc<Challenge>,
    /// The cross-origin guard for cookie tokens (`None` only by `insecure_disable_csrf_guard`).
    pub(crate) csrf: Option<CsrfGuard>,
}

impl LayerConfig {
    pub(crate) fn new(
        mut sources: Vec<TokenSource>,
        challenge: Arc<Challenge>,
        optional: bool,
    ) -> Result<Self, ConfigError> {
        if sources.is_empty() {
            sources.push(TokenSource::bearer());
        }
        for name in sources.iter().filter_map(TokenSource::cookie_name) {
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
            if !valid {
                return Err(ConfigError::InvalidValue {
                    setting: "token_source",
                    reason: format!("{name:?} is not a valid cookie name"),
                });
            }
        }
        Ok(Self {
            sources,
            optional,
            challenge,
            csrf: Some(CsrfGuard::default()),
        })
    }
}

impl<C> JwtAuthLayer<C> {
    /// A builder for the layer and its verifier.
    pub fn builder() -> JwtAuthBuilder<C> {
        JwtAuthBuilder::new()
    }

    /// A layer with default settings (bearer header, required authentication, realm `"api"`)
    /// around an existing verifier, sharing its key stores.
    pub fn new(verifier: Verifier<C>) -> Self {
        let challenge = Arc::new(Challenge::new(crate::builder::DEFAULT_REALM));
        let config = LayerConfig::new(Vec::new(), challenge, false)
            .expect("the default layer settings are valid");
        Self::with_config(verifier, config)
    }

    pub(crate) fn with_config(verifier: Verifier<C>, config: LayerConfig) -> Self {
        Self {
            verifier,
            config: Arc::new(config),
            responder: DefaultResponseForAuthError,
        }
    }
}

impl<C, R> JwtAuthLayer<C, R> {
    /// The verifier this layer uses.
    pub fn verifier(&self) -> &Verifier<C> {
        &self.verifier
    }

    /// A layer that lets requests without a token through, without claims; a present but
    /// invalid token is still refused. Handlers take `Option<Claims<C>>`.
    pub fn optional(self) -> Self {
        self.map_config(|c| LayerConfig {
            optional: true,
            ..c
        })
    }

    /// A layer that reads the token from these sources, in order (see [`TokenSource`]).
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for an invalid cookie name.
    pub fn with_token_sources(
        self,
        sources: impl IntoIterator<Item = TokenSource>,
    ) -> Result<Self, ConfigError> {
        let mut config = LayerConfig::new(
            sources.into_iter().collect(),
            Arc::clone(&self.config.challenge),
            self.config.optional,
        )?;
        config.csrf = self.config.csrf.clone();
        Ok(Self {
            config: Arc::new(config),
            ..self
        })
    }

    /// An RFC 9728 metadata document for `resource`, filled from this layer: the configured
    /// issuers as `authorization_servers`, and `header` (plus `cookie` when a cookie source is
    /// configured) as `bearer_methods_supported`.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when `resource` is not a URL without query or fragment.
    pub fn protected_resource_metadata(
        &self,
        resource: impl Into<String>,
    ) -> Result<crate::metadata::ProtectedResourceMetadata, ConfigError> {
        let servers: Vec<String> = self
            .verifier
            .shared
            .issuers
            .iter()
            .map(|i| i.iss.clone())
            .collect();
        let mut methods = vec!["header"];
        if self
            .config
            .sources
            .iter()
            .any(|s| s.cookie_name().is_some())
        {
            methods.push("cookie");
        }
        Ok(crate::metadata::ProtectedResourceMetadata::new(resource)?
            .authorization_servers(servers)
            .bearer_methods_supported(methods))
    }

    /// Replaces the rejection responder (see [`ResponseForAuthError`](crate::response::ResponseForAuthError)).
    pub fn with_rejection_response<R2>(self, responder: R2) -> JwtAuthLayer<C, R2> {
        JwtAuthLayer {
            verifier: self.verifier,
            config: self.config,
            responder,
        }
    }

    fn map_config(self, f: impl FnOnce(LayerConfig) -> LayerConfig) -> Self {
        let current = LayerConfig {
            sources: self.config.sources.clone(),
            optional: self.config.optional,
            challenge: Arc::clone(&self.config.challenge),
            csrf: self.config.csrf.clone(),
        };
        Self {
            config: Arc::new(f(current)),
            ..self
        }
    }
}

impl<S, C, R: Clone> Layer<S> for JwtAuthLayer<C, R> {
    type Service = JwtAuth<S, C, R>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtAuth::new(inner, self.clone())
    }
}
