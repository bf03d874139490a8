//! [`JwtAuth`]: the tower service.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Method, Request, Response};
use serde::de::DeserializeOwned;
use tower_service::Service;

use self::admit::{admit_later, admit_now};
use self::present::{Binding, Presentation, present, take_tokens};
use crate::claims::RegisteredClaims;
use crate::error::AuthError;
use crate::extract::TokenSource;
use crate::future::{Extra, ResponseFuture};
use crate::jwks::remote::keys_unavailable;
use crate::mtls::ClientCertificate;
use crate::policy::{self, Policy};
use crate::response::{
    Challenge, DefaultResponseForAuthError, ErasedResponder, ResponseForAuthError, reject,
};
use crate::verify::Verifier;
use crate::verify::{Pending, Verified};

/// Left in the request extensions by every [`JwtAuth`] a request passes, so extractors can tell
/// "no layer" (a server bug, 500) from "optional layer, no token" (anonymous).
/// Read by the axum extractors only.
#[derive(Clone)]
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub(crate) struct AuthMarker {
    /// What the layer knows, built once per layer: one `Arc` to clone per request.
    pub(crate) layer: Arc<MarkerLayer>,
    /// Whether the request carried a valid token (claims were inserted).
    pub(crate) authenticated: bool,
}

/// The layer's part of an [`AuthMarker`].
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub(crate) struct MarkerLayer {
    pub(crate) challenge: Arc<Challenge>,
    /// The claims type the layer inserts.
    pub(crate) claims_type: &'static str,
    /// The verifier's clock and revocation store, for [`Expiry`](crate::Expiry).
    pub(crate) shared: Arc<crate::verify::Shared>,
}

/// Middleware that authenticates requests with JWTs; built by [`JwtAuthLayer`](crate::JwtAuthLayer).
///
/// See [`JwtAuthLayer`](crate::JwtAuthLayer) for what it does.
///
/// # Example
///
/// ```
/// use http::{Request, Response, StatusCode};
/// use tower::{ServiceExt, service_fn};
/// use tower_jwt_auth::{Algorithm, Issuer, JwtAuth, Verifier};
/// use tower_layer::Layer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder()
///     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
///     .audience("api")
///     .algorithms([Algorithm::HS256])
///     .build()?;
/// let inner = service_fn(|_req: Request<()>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(String::from("hello")))
/// });
/// let service: JwtAuth<_> = verifier.layer().layer(inner);
/// let response = service.oneshot(Request::new(())).await?;
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// # Ok(())
/// # }
/// ```
pub struct JwtAuth<S, C = RegisteredClaims, R = DefaultResponseForAuthError> {
    inner: S,
    verifier: Verifier<C>,
    config: Arc<LayerConfig>,
    policies: Arc<Vec<Policy<C>>>,
    marker: Arc<MarkerLayer>,
    responder: R,
}

impl<S: Clone, C, R: Clone> Clone for JwtAuth<S, C, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            verifier: self.verifier.clone(),
            config: Arc::clone(&self.config),
            policies: Arc::clone(&self.policies),
            marker: Arc::clone(&self.marker),
            responder: self.responder.clone(),
        }
    }
}

impl<S: fmt::Debug, C, R: fmt::Debug> fmt::Debug for JwtAuth<S, C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuth")
            .field("inner", &self.inner)
            .field("verifier", &self.verifier)
            .field("config", &self.config)
            .field("policies", &self.policies.len())
            .field("responder", &self.responder)
            .finish()
    }
}

impl<S, C, R> JwtAuth<S, C, R> {
    pub(crate) fn new(
        inner: S,
        verifier: Verifier<C>,
        config: Arc<LayerConfig>,
        policies: Arc<Vec<Policy<C>>>,
        responder: R,
    ) -> Self {
        let marker = Arc::new(MarkerLayer {
            challenge: Arc::clone(&config.challenge),
            claims_type: std::any::type_name::<C>(),
            shared: Arc::clone(&verifier.shared),
        });
        Self {
            inner,
            verifier,
            config,
            policies,
            marker,
            responder,
        }
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

/// Puts the layer's marker, and the claims of a verified token, into the request extensions,
/// and removes the token from where the handler would see it (a query parameter, a WebSocket
/// subprotocol entry). A request let through without a token also gets the layer's responder,
/// for the extractor. Returns what the response gets added.
fn insert_claims<C, B, R, ResBody>(
    req: &mut Request<B>,
    marker: &Arc<MarkerLayer>,
    sources: &[TokenSource],
    verified: Option<Verified<C>>,
    binding: &Binding,
    responder: &R,
) -> Extra
where
    C: Send + Sync + 'static,
    R: ResponseForAuthError<ResBody> + Send + 'static,
    ResBody: 'static,
{
    let extra = Extra {
        nonce: binding.nonce.clone(),
        private: take_tokens(sources, req),
    };
    let extensions = req.extensions_mut();
    extensions.insert(AuthMarker {
        layer: Arc::clone(marker),
        authenticated: verified.is_some(),
    });
    match verified {
        Some(verified) => {
            // When `C` is `RegisteredClaims`, both are the same extension: insert it once.
            if TypeId::of::<C>() != TypeId::of::<RegisteredClaims>() {
                extensions.insert(verified.registered);
            }
            extensions.insert(verified.claims);
            if let Some(key) = binding.key() {
                extensions.insert(key);
            }
        }
        None => {
            extensions.insert(ErasedResponder::<ResBody>::new(
                responder.clone(),
                Arc::clone(&marker.challenge),
            ));
        }
    }
    extra
}

/// Whether a request is a CORS preflight: `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method` (a browser sends both on every preflight).
fn is_cors_preflight<B>(req: &Request<B>) -> bool {
    let headers = req.headers();
    req.method() == Method::OPTIONS
        && headers.contains_key(http::header::ORIGIN)
        && headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// Runs the layer's policies on a verified token.
fn admit<C>(policies: &[Policy<C>], verified: Verified<C>) -> Result<Verified<C>, AuthError> {
    policy::run(policies, &verified.claims, &verified.registered).map(|()| verified)
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
        let config = &*self.config;
        let verifier = &self.verifier;
        let policies = &self.policies;
        let max_len = verifier.shared.max_token_len;
        let clock = &verifier.shared.clock;
        let (outcome, waiting_token, binding) = {
            let presentation = present(config, &req, max_len, || clock.now_unix_secs());
            let certificate = req.extensions().get::<ClientCertificate>().cloned();
            let (token, binding) = match presentation {
                Presentation::Dpop {
                    token,
                    proof,
                    dpop,
                    now,
                } => (
                    Ok(Some(token)),
                    Binding::dpop(dpop, proof, certificate, now),
                ),
                // A cookie is ambient authority: unsafe cross-origin requests don't get to use it.
                Presentation::Bearer { token, source } => {
                    let cross_origin = match &config.csrf {
                        Some(guard) if source.cookie_name().is_some() => {
                            guard.verify(req.method(), req.uri(), req.headers()).err()
                        }
                        _ => None,
                    };
                    let token = match cross_origin {
                        Some(reason) => Err(reason.into()),
                        None => Ok(Some(token)),
                    };
                    (token, Binding::bearer(source, certificate))
                }
                Presentation::Invalid(error) => (Err(error), Binding::default()),
                // Anonymous requests pass an optional layer, unless its policies need a token.
                Presentation::Nothing if config.optional && policies.is_empty() => {
                    (Ok(None), Binding::default())
                }
                Presentation::Nothing if config.cors_preflight && is_cors_preflight(&req) => {
                    (Ok(None), Binding::default())
                }
                Presentation::Nothing => {
                    let missing = match &config.challenge_scopes {
                        Some(scopes) => AuthError::missing().with_scopes(Arc::clone(scopes)),
                        None => AuthError::missing(),
                    };
                    (Err(missing), Binding::default())
                }
            };
            match token {
                Err(error) => (Err(Pending::Failed(error)), None, binding),
                Ok(None) => (Ok(None), None, binding),
                Ok(Some(token)) => match verifier.verify_now(token) {
                    Ok(verified) => (Ok(Some(verified)), None, binding),
                    Err(Pending::Failed(error)) => (Err(Pending::Failed(error)), None, binding),
                    // Keys are needed: the token outlives the borrow of the headers.
                    Err(pending) => (Err(pending), Some(token.to_owned()), binding),
                },
            }
        };
        // What is left to do: a verified token still has to match how it was presented, pass
        // the revocation store and the layer's policies, and its DPoP proof the replay cache.
        let next = match (outcome, waiting_token) {
            (Ok(Some(verified)), _) => admit_now(verifier, policies, verified, binding),
            (Ok(None), _) => Next::Call(None, binding),
            // Keys are being fetched: verify again once they are here, then the rest.
            (Err(pending), Some(token)) => {
                let verifier = verifier.clone();
                let policies = Arc::clone(policies);
                Next::Wait(Box::pin(async move {
                    let verified = verifier
                        .finish(&token, pending)
                        .await
                        .map_err(|e| binding.mark(e));
                    let result = admit_later(verifier, policies, verified?, &binding).await;
                    result.map(|verified| (verified, binding))
                }))
            }
            (Err(Pending::Failed(error)), None) => Next::Reject(binding.mark(error)),
            // Only `Failed` comes without a token to wait with.
            (Err(Pending::NotLoaded(_) | Pending::KidMiss(_)), None) => {
                Next::Reject(keys_unavailable("keys unavailable"))
            }
        };
        match next {
            Next::Call(verified, binding) => {
                // A request let through without a token (an optional layer, a CORS preflight)
                // is not counted: the extractor decides on it, if anything does.
                if let Some(verified) = &verified {
                    verifier.audit_accepted(verified);
                }
                let extra = insert_claims(
                    &mut req,
                    &self.marker,
                    &config.sources,
                    verified,
                    &binding,
                    &self.responder,
                );
                ResponseFuture::inner(self.inner.call(req), extra)
            }
            Next::Reject(error) => {
                let headers = std::mem::take(req.headers_mut());
                let response = reject(&mut self.responder, error, &config.challenge, headers);
                ResponseFuture::rejected(response)
            }
            Next::Wait(work) => {
                // The slow path: box the rest of the request.
                let mut inner = take_ready(&mut self.inner);
                let mut responder = self.responder.clone();
                let config = Arc::clone(&self.config);
                let marker = Arc::clone(&self.marker);
                let verifier = self.verifier.clone();
                ResponseFuture::waiting(Box::pin(async move {
                    match work.await {
                        Ok((verified, binding)) => {
                            verifier.audit_accepted(&verified);
                            let extra = insert_claims(
                                &mut req,
                                &marker,
                                &config.sources,
                                Some(verified),
                                &binding,
                                &responder,
                            );
                            let mut response = inner.call(req).await?;
                            extra.apply(&mut response);
                            Ok(response)
                        }
                        Err(error) => {
                            let headers = std::mem::take(req.headers_mut());
                            Ok(reject(&mut responder, error, &config.challenge, headers))
                        }
                    }
                }))
            }
        }
    }
}

mod admit;
mod config;
mod present;

pub(crate) use self::config::LayerConfig;

/// The rest of a request's checks, answered later: the verified token and its binding.
type Admitted<C> = Pin<Box<dyn Future<Output = Result<(Verified<C>, Binding), AuthError>> + Send>>;

/// What a request needs once its token was looked at. A short-lived value on the stack: boxing
/// the binding would cost an allocation on every request.
#[allow(clippy::large_enum_variant)]
enum Next<C> {
    /// Call the inner service (with the claims, if there was a token).
    Call(Option<Verified<C>>, Binding),
    /// Answer with this rejection.
    Reject(AuthError),
    /// Wait for keys, the revocation store or the replay cache first.
    Wait(Admitted<C>),
}
