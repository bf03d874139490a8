//! [`ResponseFuture`]: the future of [`JwtAuth`](crate::JwtAuth).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;

/// The rest of a request that waits for keys: boxed, since it is the rare path.
type Waiting<B, E> = Pin<Box<dyn Future<Output = Result<Response<B>, E>> + Send>>;

pin_project! {
    /// Response future for [`JwtAuth`](crate::JwtAuth): the inner service's future, or a
    /// ready rejection, with no allocation, when the token's key is at hand; a boxed future
    /// only while keys are being fetched.
    ///
    /// # Example
    ///
    /// ```
    /// use tower::{Layer, Service, ServiceExt};
    /// use tower_jwt_auth::future::ResponseFuture;
    /// # use http::{Request, Response};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
    /// # let ok = tower::service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
    ///
    /// let mut service = verifier.layer().layer(ok);
    /// let future: ResponseFuture<_, _, _> = service.ready().await?.call(Request::new(()));
    /// assert_eq!(future.await?.status(), 401);
    /// # Ok(()) }
    /// ```
    pub struct ResponseFuture<F, B, E> {
        #[pin]
        kind: Kind<F, B, E>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B, E> {
        Inner { #[pin] future: F, nonce: Option<http::HeaderValue> },
        Rejected { response: Option<Response<B>> },
        Waiting { future: Waiting<B, E> },
    }
}

impl<F, B, E> ResponseFuture<F, B, E> {
    pub(crate) fn waiting(future: Waiting<B, E>) -> Self {
        Self {
            kind: Kind::Waiting { future },
        }
    }

    /// The inner service's future; its response gets a `DPoP-Nonce` header when `nonce` is set.
    pub(crate) fn inner(future: F, nonce: Option<http::HeaderValue>) -> Self {
        Self {
            kind: Kind::Inner { future, nonce },
        }
    }

    pub(crate) fn rejected(response: Response<B>) -> Self {
        Self {
            kind: Kind::Rejected {
                response: Some(response),
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future, nonce } => {
                let mut result = ready!(future.poll(cx));
                if let (Ok(response), Some(nonce)) = (&mut result, nonce.take()) {
                    // A nonce the handler set itself stays.
                    response
                        .headers_mut()
                        .entry(crate::response::DPOP_NONCE)
                        .or_insert(nonce);
                }
                Poll::Ready(result)
            }
            KindProj::Rejected { response } => {
                Poll::Ready(Ok(response.take().expect("future polled after completion")))
            }
            KindProj::Waiting { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F, B, E> std::fmt::Debug for ResponseFuture<F, B, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
