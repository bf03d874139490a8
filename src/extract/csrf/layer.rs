//! [`CsrfLayer`]: the cross-origin guard as a tower layer, for routes that take no token.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::CsrfGuard;
use crate::future::{Extra, ResponseFuture};
use crate::response::{
    Challenge, DEFAULT_REALM, DefaultResponseForAuthError, ResponseForAuthError, respond,
};

/// Refuses unsafe cross-origin requests (403, code `csrf`) before they reach the inner service:
/// the [`CsrfGuard`] rules on their own, for routes that take no token but must not be driven by
/// other sites (a login form: a foreign page must not log a victim into the attacker's account).
/// [`JwtAuthLayer`](crate::JwtAuthLayer) applies the same guard to cookie tokens by itself.
///
/// # Example
///
/// ```
/// use axum::{Router, body::Body, routing::post};
/// use http::{Request, StatusCode};
/// use tower::ServiceExt;
/// use tower_jwt_auth::csrf::{CsrfGuard, CsrfLayer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let app = Router::new()
///     .route("/login", post(|| async { "logged in" }))
///     .layer(CsrfLayer::new(CsrfGuard::default()));
/// let foreign = Request::post("/login")
///     .header("sec-fetch-site", "cross-site")
///     .body(Body::empty())?;
/// let response = app.clone().oneshot(foreign).await?;
/// assert_eq!(response.status(), StatusCode::FORBIDDEN);
/// let own = Request::post("/login")
///     .header("sec-fetch-site", "same-origin")
///     .body(Body::empty())?;
/// assert_eq!(app.oneshot(own).await?.status(), StatusCode::OK);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CsrfLayer<R = DefaultResponseForAuthError> {
    guard: Arc<CsrfGuard>,
    challenge: Arc<Challenge>,
    responder: R,
}

impl CsrfLayer {
    /// A layer applying `guard`, answering refusals with the default responder: 403, no
    /// `WWW-Authenticate`.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::csrf::{CsrfGuard, CsrfLayer};
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// # let post = |origin: &str| Request::post("/login").header("origin", origin).header("sec-fetch-site", "cross-site").body(()).unwrap();
    /// // `post(origin)`: a cross-site POST from `origin`.
    /// let service = CsrfLayer::new(CsrfGuard::new(["https://app.example.com"])?).layer(ok);
    /// assert_eq!(service.clone().oneshot(post("https://app.example.com")).await?.status(), 200);
    /// let refused = service.oneshot(post("https://evil.example")).await?;
    /// assert_eq!(refused.status(), 403);
    /// assert!(refused.headers().get("www-authenticate").is_none());
    /// # Ok(()) }
    /// ```
    pub fn new(guard: CsrfGuard) -> Self {
        Self {
            guard: Arc::new(guard),
            challenge: Arc::new(Challenge::new(DEFAULT_REALM)),
            responder: DefaultResponseForAuthError,
        }
    }
}

impl<R> CsrfLayer<R> {
    /// Replaces the responder (see [`ResponseForAuthError`]); the
    /// [`AuthError`](crate::AuthError) is put into the response's extensions whatever it returns.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::csrf::{CsrfGuard, CsrfLayer};
    /// use tower_jwt_auth::response::ProblemJson;
    /// # use http::{Request, Response};
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    /// # let post = |origin: &str| Request::post("/login").header("origin", origin).header("sec-fetch-site", "cross-site").body(()).unwrap();
    /// // `post(origin)`: a cross-site POST from `origin`.
    /// let layer = CsrfLayer::new(CsrfGuard::default()).responder(ProblemJson);
    /// let response = layer.layer(ok).oneshot(post("https://evil.example")).await?;
    /// assert_eq!(response.headers()["content-type"], "application/problem+json");
    /// assert!(response.body().contains(r#""code":"csrf""#));
    /// # Ok(()) }
    /// ```
    pub fn responder<R2>(self, responder: R2) -> CsrfLayer<R2> {
        CsrfLayer {
            guard: self.guard,
            challenge: self.challenge,
            responder,
        }
    }
}

impl<S, R: Clone> Layer<S> for CsrfLayer<R> {
    type Service = Csrf<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        Csrf {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`CsrfLayer`].
///
/// # Example
///
/// ```
/// use tower_jwt_auth::AuthError;
/// use tower_jwt_auth::csrf::{Csrf, CsrfGuard, CsrfLayer};
/// # use http::{Request, Response};
/// # use tower::{Layer, ServiceExt, service_fn};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
/// # let post = |origin: &str| Request::post("/login").header("origin", origin).header("sec-fetch-site", "cross-site").body(()).unwrap();
/// // `post(origin)`: a cross-site POST from `origin`.
/// let service: Csrf<_> = CsrfLayer::new(CsrfGuard::default()).layer(ok);
/// let response = service.oneshot(post("https://evil.example")).await?;
/// assert_eq!(response.extensions().get::<AuthError>().map(AuthError::code), Some("csrf"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Csrf<S, R = DefaultResponseForAuthError> {
    inner: S,
    layer: CsrfLayer<R>,
}

impl<S, R> Csrf<S, R> {
    define_inner_service_accessors!();
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for Csrf<S, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    R: ResponseForAuthError<ResBody>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        match self
            .layer
            .guard
            .check(req.method(), req.uri(), req.headers())
        {
            Ok(()) => ResponseFuture::inner(self.inner.call(req), Extra::default()),
            Err(error) => {
                let headers = std::mem::take(req.headers_mut());
                let layer = &mut self.layer;
                ResponseFuture::rejected(respond(
                    &mut layer.responder,
                    error,
                    &layer.challenge,
                    headers,
                ))
            }
        }
    }
}
