//! [`JwtAuth`]: the tower service.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use serde::de::DeserializeOwned;
use tower_service::Service;

use crate::error::AuthError;
use crate::future::ResponseFuture;
use crate::layer::JwtAuthLayer;
use crate::response::{Challenge, ResponseForAuthError};
use crate::token::Found;

/// Left in the request extensions by every [`JwtAuth`] a request passes, so extractors can tell
/// "no layer" (a server bug, 500) from "optional layer, no token" (anonymous).
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub(crate) struct AuthMarker {
    pub(crate) challenge: Arc<Challenge>,
    /// Whether the request carried a valid token (claims were inserted).
    pub(crate) authenticated: bool,
    /// The claims type the layer inserted.
    pub(crate) claims_type: &'static str,
}

/// Middleware that authenticates requests with JWTs; built by [`JwtAuthLayer`].
///
/// See [`JwtAuthLayer`] for what it does.
pub struct JwtAuth<S, C, R> {
    inner: S,
    layer: JwtAuthLayer<C, R>,
}

impl<S: Clone, C, R: Clone> Clone for JwtAuth<S, C, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S: fmt::Debug, C, R: fmt::Debug> fmt::Debug for JwtAuth<S, C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuth")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, C, R> JwtAuth<S, C, R> {
    pub(crate) fn new(inner: S, layer: JwtAuthLayer<C, R>) -> Self {
        Self { inner, layer }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes `self`, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, C, R, ReqBody, ResBody> Service<Request<ReqBody>> for JwtAuth<S, C, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    C: DeserializeOwned + Send + Sync + 'static,
    R: ResponseForAuthError<ResBody>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let config = &*self.layer.config;
        let verifier = &self.layer.verifier;
        let max_len = verifier.shared.max_token_len;
        let found = config
            .sources
            .iter()
            .map(|source| source.extract(req.headers(), max_len))
            .find(|found| !matches!(found, Found::Nothing))
            .unwrap_or(Found::Nothing);
        let outcome = match found {
            Found::Token(token) => verifier.verify_now(token).map(Some),
            Found::Invalid(error) => Err(error),
            Found::Nothing if config.optional => Ok(None),
            Found::Nothing => Err(AuthError::missing()),
        };
        match outcome {
            Ok(verified) => {
                let extensions = req.extensions_mut();
                extensions.insert(AuthMarker {
                    challenge: Arc::clone(&config.challenge),
                    authenticated: verified.is_some(),
                    claims_type: std::any::type_name::<C>(),
                });
                if let Some(verified) = verified {
                    extensions.insert(verified.registered);
                    extensions.insert(verified.claims);
                }
                ResponseFuture::inner(self.inner.call(req))
            }
            Err(error) => {
                let response = self
                    .layer
                    .responder
                    .response_for_auth_error(error, &config.challenge);
                ResponseFuture::rejected(response)
            }
        }
    }
}
