//! [`ResponseFuture`]: the future of [`JwtAuth`](crate::JwtAuth).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::header::CACHE_CONTROL;
use http::{HeaderValue, Response};
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
        Inner { #[pin] future: F, extra: Option<Extra> },
        Rejected { response: Option<Response<B>> },
        Waiting { future: Waiting<B, E> },
    }
}

/// What the layer adds to the inner service's response: a fresh DPoP nonce, and
/// `Cache-Control: private` for a request whose token was in the URL (RFC 6750 §2.3).
#[derive(Debug, Default)]
pub(crate) struct Extra {
    pub(crate) nonce: Option<HeaderValue>,
    pub(crate) private: bool,
}

impl Extra {
    fn is_empty(&self) -> bool {
        self.nonce.is_none() && !self.private
    }

    /// Adds to `response` what the handler did not set itself.
    pub(crate) fn apply<B>(self, response: &mut Response<B>) {
        let headers = response.headers_mut();
        if let Some(nonce) = self.nonce {
            headers.entry(crate::response::DPOP_NONCE).or_insert(nonce);
        }
        if self.private {
            let strict = headers.get_all(CACHE_CONTROL).iter().any(|v| {
                v.to_str().is_ok_and(|v| {
                    v.split(',').map(str::trim).any(|d| {
                        d.eq_ignore_ascii_case("private") || d.eq_ignore_ascii_case("no-store")
                    })
                })
            });
            if strict {
                return;
            }
            let public = |d: &str| d.trim().eq_ignore_ascii_case("public");
            let values = headers.get_all(CACHE_CONTROL);
            if values
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(public)))
            {
                // `public` would let shared caches keep a response to a request whose URL held a
                // token: the handler's other directives stay, `private` takes its place.
                let kept: Vec<&str> = values
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .map(str::trim)
                    .filter(|d| !d.is_empty() && !public(d))
                    .chain(["private"])
                    .collect();
                let value = HeaderValue::from_str(&kept.join(", "))
                    .unwrap_or(HeaderValue::from_static("private"));
                headers.insert(CACHE_CONTROL, value);
            } else {
                headers.append(CACHE_CONTROL, HeaderValue::from_static("private"));
            }
        }
    }
}

impl<F, B, E> ResponseFuture<F, B, E> {
    pub(crate) fn waiting(future: Waiting<B, E>) -> Self {
        Self {
            kind: Kind::Waiting { future },
        }
    }

    /// The inner service's future; `extra` is what its response gets added.
    pub(crate) fn inner(future: F, extra: Extra) -> Self {
        let extra = (!extra.is_empty()).then_some(extra);
        Self {
            kind: Kind::Inner { future, extra },
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
            KindProj::Inner { future, extra } => {
                let mut result = ready!(future.poll(cx));
                if let (Ok(response), Some(extra)) = (&mut result, extra.take()) {
                    extra.apply(response);
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
