//! [`JwtAuth`]: the tower service.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use serde::de::DeserializeOwned;
use tower_service::Service;

use crate::claims::RegisteredClaims;
use crate::error::AuthError;
use crate::future::ResponseFuture;
use crate::jwks::remote::keys_unavailable;
use crate::layer::JwtAuthLayer;
use crate::response::{Challenge, Rejection, ResponseForAuthError};
use crate::token::Found;
use crate::verify::{Pending, Verified};

/// Left in the request extensions by every [`JwtAuth`] a request passes, so extractors can tell
/// "no layer" (a server bug, 500) from "optional layer, no token" (anonymous).
#[derive(Debug, Clone)]
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

    define_inner_service_accessors!();
}

/// Takes the inner service that was driven to readiness for a boxed future, leaving a clone in
/// its place, see
/// <https://docs.rs/tower/latest/tower/trait.Service.html#be-careful-when-cloning-inner-services>
fn take_ready<S: Clone>(inner: &mut S) -> S {
    let clone = inner.clone();
    std::mem::replace(inner, clone)
}

/// Puts the layer's marker, and the claims of a verified token, into the request extensions.
fn insert_claims<C, B>(
    req: &mut Request<B>,
    challenge: &Arc<Challenge>,
    verified: Option<Verified<C>>,
) where
    C: Send + Sync + 'static,
{
    let extensions = req.extensions_mut();
    extensions.insert(AuthMarker {
        challenge: Arc::clone(challenge),
        authenticated: verified.is_some(),
        claims_type: std::any::type_name::<C>(),
    });
    if let Some(verified) = verified {
        // When `C` is `RegisteredClaims`, both are the same extension: insert it once.
        if TypeId::of::<C>() != TypeId::of::<RegisteredClaims>() {
            extensions.insert(verified.registered);
        }
        extensions.insert(verified.claims);
    }
}

impl<S, C, R, ReqBody, ResBody> Service<Request<ReqBody>> for JwtAuth<S, C, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    C: DeserializeOwned + Send + Sync + 'static,
    R: ResponseForAuthError<ResBody> + Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let config = &*self.layer.config;
        let verifier = &self.layer.verifier;
        let max_len = verifier.shared.max_token_len;
        let (outcome, waiting_token) = {
            let (source, found) = config
                .sources
                .iter()
                .map(|source| (Some(source), source.extract(req.headers(), max_len)))
                .find(|(_, found)| !matches!(found, Found::Nothing))
                .unwrap_or((None, Found::Nothing));
            // A cookie is ambient authority: unsafe cross-origin requests don't get to use it.
            let cross_origin = match (&found, source, &config.csrf) {
                (Found::Token(_), Some(source), Some(guard)) if source.cookie_name().is_some() => {
                    guard.verify(req.method(), req.uri(), req.headers()).err()
                }
                _ => None,
            };
            match (found, cross_origin) {
                (Found::Token(_), Some(reason)) => (Err(Pending::Failed(reason.into())), None),
                (Found::Token(token), None) => match verifier.verify_now(token) {
                    Ok(verified) => (Ok(Some(verified)), None),
                    Err(Pending::Failed(error)) => (Err(Pending::Failed(error)), None),
                    // Keys are needed: the token outlives the borrow of the headers.
                    Err(pending) => (Err(pending), Some(token.to_owned())),
                },
                (Found::Invalid(error), _) => (Err(Pending::Failed(error)), None),
                (Found::Nothing, _) if config.optional => (Ok(None), None),
                (Found::Nothing, _) => (Err(Pending::Failed(AuthError::missing())), None),
            }
        };
        // What is left to do: a verified token still has to pass the revocation store.
        let next = match (outcome, waiting_token) {
            (Ok(Some(verified)), _) => match verifier.check_revocation(&verified) {
                Ok(None) => Next::Call(Some(verified)),
                Ok(Some(answer)) => {
                    let verifier = verifier.clone();
                    Next::Wait(Box::pin(async move {
                        verifier.await_revocation(answer).await.map(|()| verified)
                    }))
                }
                Err(error) => Next::Reject(error),
            },
            (Ok(None), _) => Next::Call(None),
            // Keys are being fetched: verify again once they are here, then ask the store.
            (Err(pending), Some(token)) => {
                let verifier = verifier.clone();
                Next::Wait(Box::pin(async move {
                    let verified = verifier.finish(&token, pending).await?;
                    verifier.pass_revocation(verified).await
                }))
            }
            (Err(Pending::Failed(error)), None) => Next::Reject(error),
            // Only `Failed` comes without a token to wait with.
            (Err(Pending::NotLoaded(_) | Pending::KidMiss(_)), None) => {
                Next::Reject(keys_unavailable("keys unavailable"))
            }
        };
        match next {
            Next::Call(verified) => {
                insert_claims(&mut req, &config.challenge, verified);
                ResponseFuture::inner(self.inner.call(req))
            }
            Next::Reject(error) => {
                let rejection = Rejection::new(&config.challenge, req.headers());
                let response = self
                    .layer
                    .responder
                    .response_for_auth_error(error, &rejection);
                ResponseFuture::rejected(response)
            }
            Next::Wait(work) => {
                // The slow path: box the rest of the request.
                let mut inner = take_ready(&mut self.inner);
                let mut responder = self.layer.responder.clone();
                let challenge = Arc::clone(&config.challenge);
                ResponseFuture::waiting(Box::pin(async move {
                    match work.await {
                        Ok(verified) => {
                            insert_claims(&mut req, &challenge, Some(verified));
                            inner.call(req).await
                        }
                        Err(error) => {
                            let rejection = Rejection::new(&challenge, req.headers());
                            Ok(responder.response_for_auth_error(error, &rejection))
                        }
                    }
                }))
            }
        }
    }
}

/// What a request needs once its token was looked at.
enum Next<C> {
    /// Call the inner service (with the claims, if there was a token).
    Call(Option<Verified<C>>),
    /// Answer with this rejection.
    Reject(AuthError),
    /// Wait for keys or for the revocation store first.
    Wait(Pin<Box<dyn Future<Output = Result<Verified<C>, AuthError>> + Send>>),
}
