//! Responders: [`Rejection`], the [`ResponseForAuthError`] trait, the default and the problem+json one.

use crate::error::AuthError;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Response};
use std::sync::Arc;

use super::{Challenge, is_grpc};

/// A refused request, handed to the responder: the error and what a response needs.
///
/// The responder owns it; [`default_response`](Self::default_response) turns it into the
/// crate's own answer (RFC 6750 or gRPC) to start a custom one from.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::response::Rejection;
/// # use http::{Request, Response};
/// # use tower::{Layer, ServiceExt, service_fn};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
/// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
/// let auth = verifier.layer().responder(|rejection: Rejection| {
///     Response::new(format!("refused: {}", rejection.error().code()))
/// });
/// let response = auth.layer(ok).oneshot(Request::new(())).await?;
/// assert_eq!(response.body(), "refused: missing");
/// # Ok(()) }
/// ```
pub struct Rejection {
    error: AuthError,
    challenge: Arc<Challenge>,
    headers: HeaderMap,
}

/// Names the request headers without their values: they may hold the token.
impl std::fmt::Debug for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rejection")
            .field("error", &self.error)
            .field("challenge", &self.challenge)
            .field("request_headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Rejection {
    /// A rejection of a request with these headers, answered with this challenge. The layer
    /// builds these; build one yourself to test a responder.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use http::HeaderMap;
    /// use tower_jwt_auth::{AuthError, AuthErrorKind, response::{Challenge, Rejection}};
    ///
    /// let error = AuthError::new(AuthErrorKind::Expired, "token expired");
    /// let rejection = Rejection::new(error, Arc::new(Challenge::new("api")), HeaderMap::new());
    /// assert_eq!(rejection.error().code(), "expired");
    /// assert!(!rejection.is_grpc());
    /// let response = rejection.default_response::<String>();
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(
    ///     response.headers()["www-authenticate"],
    ///     r#"Bearer realm="api", error="invalid_token", error_description="token expired""#,
    /// );
    /// ```
    #[must_use]
    pub fn new(error: AuthError, challenge: Arc<Challenge>, request_headers: HeaderMap) -> Self {
        Self {
            error,
            challenge,
            headers: request_headers,
        }
    }

    /// Why the request was refused.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::response::Rejection;
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// let auth = verifier.layer().responder(|r: Rejection| Response::new(r.error().code().to_owned()));
    /// let bad = Request::get("/").header("authorization", "Bearer not-a-jwt").body(())?;
    /// assert_eq!(auth.layer(ok).oneshot(bad).await?.body(), "malformed");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// The layer's challenge.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::response::Rejection;
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// let auth = verifier.layer().realm("orders");
    /// let auth = auth.responder(|r: Rejection| Response::new(r.challenge().realm().to_owned()));
    /// assert_eq!(auth.layer(ok).oneshot(Request::new(())).await?.body(), "orders");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// The refused request's headers.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::response::Rejection;
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// let auth = verifier.layer().responder(|r: Rejection| {
    ///     Response::new(r.request_headers()["x-request-id"].to_str().unwrap().to_owned())
    /// });
    /// let request = Request::get("/").header("x-request-id", "42").body(())?;
    /// assert_eq!(auth.layer(ok).oneshot(request).await?.body(), "42");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn request_headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Whether the refused request is a gRPC call (see [`is_grpc`](super::is_grpc)).
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use http::{HeaderMap, header::CONTENT_TYPE};
    /// use tower_jwt_auth::{AuthError, AuthErrorKind, response::{Challenge, Rejection}};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(CONTENT_TYPE, "application/grpc".parse()?);
    /// let error = AuthError::new(AuthErrorKind::Expired, "token expired");
    /// let rejection = Rejection::new(error, Arc::new(Challenge::new("api")), headers);
    /// assert!(rejection.is_grpc());
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_grpc(&self) -> bool {
        is_grpc(&self.headers)
    }

    /// The crate's own response: the RFC 6750 answer, or the gRPC one for a gRPC call.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use http::{HeaderMap, header::CONTENT_TYPE};
    /// use tower_jwt_auth::{AuthError, AuthErrorKind, response::{Challenge, Rejection}};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(CONTENT_TYPE, "application/grpc".parse()?);
    /// let error = AuthError::new(AuthErrorKind::Expired, "token expired");
    /// let rejection = Rejection::new(error, Arc::new(Challenge::new("api")), headers);
    /// let response = rejection.default_response::<()>();
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.headers()["grpc-status"], "16");
    /// assert_eq!(response.headers()["grpc-message"], "token expired");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn default_response<B: Default>(self) -> Response<B> {
        self.challenge.response(self.error, &self.headers)
    }
}

/// Builds the response for a refused request.
///
/// Implemented for closures `FnMut(Rejection) -> Response<B> + Clone`, so a custom responder
/// can add a body and still reuse the challenge. Whatever a responder returns, the layer puts the
/// [`AuthError`] into the response's extensions.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use http::{HeaderMap, Response, header::CONTENT_TYPE};
/// use tower_jwt_auth::{AuthError, response::{Challenge, Rejection, ResponseForAuthError}};
///
/// let mut responder = |rejection: Rejection| -> Response<String> {
///     let code = rejection.error().code();
///     let grpc = rejection.is_grpc();
///     let mut response = rejection.default_response::<String>();
///     if !grpc {
///         *response.body_mut() = format!(r#"{{"error":"{code}"}}"#);
///         response.headers_mut().insert(CONTENT_TYPE, "application/json".parse().unwrap());
///     }
///     response
/// };
/// let error = AuthError::insufficient_scope(vec!["admin".into()]);
/// let rejection = Rejection::new(error, Arc::new(Challenge::new("api")), HeaderMap::new());
/// let response = responder.response_for_auth_error(rejection);
/// assert_eq!(response.status(), 403);
/// assert_eq!(response.body(), r#"{"error":"insufficient_scope"}"#);
/// ```
pub trait ResponseForAuthError<B>: Clone {
    /// The response for a refused request.
    fn response_for_auth_error(&mut self, rejection: Rejection) -> Response<B>;
}

impl<F, B> ResponseForAuthError<B> for F
where
    F: FnMut(Rejection) -> Response<B> + Clone,
{
    fn response_for_auth_error(&mut self, rejection: Rejection) -> Response<B> {
        self(rejection)
    }
}

/// The default responder: [`Rejection::default_response`].
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use http::HeaderMap;
/// use tower_jwt_auth::AuthError;
/// use tower_jwt_auth::response::{Challenge, DefaultResponseForAuthError, Rejection, ResponseForAuthError};
///
/// let error = AuthError::insufficient_scope(vec!["admin".into()]);
/// let rejection = Rejection::new(error, Arc::new(Challenge::new("api")), HeaderMap::new());
/// let response: http::Response<()> = DefaultResponseForAuthError.response_for_auth_error(rejection);
/// assert_eq!(response.status(), 403);
/// assert_eq!(response.headers()["cache-control"], "no-store");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultResponseForAuthError;

impl<B: Default> ResponseForAuthError<B> for DefaultResponseForAuthError {
    fn response_for_auth_error(&mut self, rejection: Rejection) -> Response<B> {
        rejection.default_response()
    }
}

/// A responder that adds an RFC 9457 `application/problem+json` body to the default answer
/// (same status and headers; gRPC calls keep the gRPC answer). The body names the error's
/// stable `code` and its fixed description, never request content.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use http::HeaderMap;
/// use tower_jwt_auth::{AuthError, AuthErrorKind};
/// use tower_jwt_auth::response::{Challenge, ProblemJson, Rejection, ResponseForAuthError};
///
/// let error = AuthError::new(AuthErrorKind::Expired, "token expired");
/// let rejection = Rejection::new(error, Arc::new(Challenge::new("api")), HeaderMap::new());
/// let response: http::Response<String> = ProblemJson.response_for_auth_error(rejection);
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// let body: serde_json::Value = serde_json::from_str(response.body()).unwrap();
/// assert_eq!(body["status"], 401);
/// assert_eq!(body["code"], "expired");
/// assert_eq!(body["detail"], "token expired");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ProblemJson;

impl<B: Default + From<String>> ResponseForAuthError<B> for ProblemJson {
    fn response_for_auth_error(&mut self, rejection: Rejection) -> Response<B> {
        if rejection.is_grpc() {
            return rejection.default_response();
        }
        let status = rejection.error().status();
        let body = serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": rejection.error().description(),
            "code": rejection.error().code(),
        })
        .to_string();
        let mut response = rejection.default_response::<B>();
        *response.body_mut() = B::from(body);
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

/// The RFC 9449 §8 header that hands a client a server nonce.
pub(crate) const DPOP_NONCE: http::HeaderName = http::HeaderName::from_static("dpop-nonce");

/// Asks `responder` for the answer to a refused request, and puts the error into the
/// response's extensions whatever the responder did.
pub(crate) fn respond<B, R: ResponseForAuthError<B>>(
    responder: &mut R,
    error: AuthError,
    challenge: &Arc<Challenge>,
    request_headers: HeaderMap,
) -> Response<B> {
    error.audit();
    let rejection = Rejection::new(error.clone(), Arc::clone(challenge), request_headers);
    let mut response = responder.response_for_auth_error(rejection);
    if let Some(nonce) = error.dpop_nonce()
        && !response.headers().contains_key(DPOP_NONCE)
    {
        response.headers_mut().insert(DPOP_NONCE, nonce.clone());
    }
    response.extensions_mut().insert(error);
    response
}

/// [`respond`] for a request the layer decided: counted in `jwt_auth_requests_total` (a
/// [`CsrfLayer`](crate::csrf::CsrfLayer) refusal calls `respond` and is not).
pub(crate) fn reject<B, R: ResponseForAuthError<B>>(
    responder: &mut R,
    error: AuthError,
    challenge: &Arc<Challenge>,
    request_headers: HeaderMap,
) -> Response<B> {
    crate::telemetry::request(false, error.code());
    respond(responder, error, challenge, request_headers)
}

/// A layer's responder with its type erased, left in the extensions of a request an optional
/// layer let through without a token, so the `Claims<C>` extractor answers with it.
pub(crate) struct ErasedResponder<B>(
    Arc<dyn Fn(AuthError, HeaderMap) -> Response<B> + Send + Sync>,
);

impl<B> Clone for ErasedResponder<B> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<B: 'static> ErasedResponder<B> {
    pub(crate) fn new<R>(responder: R, challenge: Arc<Challenge>) -> Self
    where
        R: ResponseForAuthError<B> + Send + 'static,
    {
        let responder = std::sync::Mutex::new(responder);
        Self(Arc::new(move |error, headers| {
            // A poisoned lock only means another rejection panicked in the responder; its
            // state is a clone of the layer's, so keep using it.
            let mut responder = responder
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // The layer let the request through without a token; this is where it is refused.
            reject(&mut *responder, error, &challenge, headers)
        }))
    }

    /// The layer's answer to `error` on a request with these headers.
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) fn respond(&self, error: AuthError, request_headers: HeaderMap) -> Response<B> {
        (self.0)(error, request_headers)
    }
}
