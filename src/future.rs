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

    /// Adds to `response` what the handler did not set itself (and takes out a `public` that a
    /// token in the URL makes wrong).
    pub(crate) fn apply<B>(self, response: &mut Response<B>) {
        let headers = response.headers_mut();
        if let Some(nonce) = self.nonce {
            headers.entry(crate::response::DPOP_NONCE).or_insert(nonce);
        }
        if self.private {
            make_private(headers);
        }
    }
}

/// `Cache-Control: private` (RFC 6750 §2.3) on a response to a request whose token was in the
/// URL: a handler's `public` is taken out, its other directives and lines stay as they are, and
/// `private` is added unless the handler said `private` or `no-store`.
fn make_private(headers: &mut http::HeaderMap) {
    let mut strict = false;
    let mut public = false;
    for value in headers.get_all(CACHE_CONTROL) {
        for directive in directives(value.as_bytes()) {
            let name = directive_name(directive);
            strict |=
                name.eq_ignore_ascii_case(b"private") || name.eq_ignore_ascii_case(b"no-store");
            public |= name.eq_ignore_ascii_case(b"public");
        }
    }
    if public {
        let lines: Vec<HeaderValue> = headers
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|value| {
                let kept: Vec<&[u8]> = directives(value.as_bytes())
                    .filter(|d| !directive_name(d).eq_ignore_ascii_case(b"public"))
                    .collect();
                if kept.len() == directives(value.as_bytes()).count() {
                    return Some(value.clone());
                }
                // The bytes of the handler's own directives, so the value stays valid.
                HeaderValue::from_bytes(&kept.join(&b", "[..]))
                    .ok()
                    .filter(|v| !v.is_empty())
            })
            .collect();
        headers.remove(CACHE_CONTROL);
        for line in lines {
            headers.append(CACHE_CONTROL, line);
        }
    }
    if !strict {
        headers.append(CACHE_CONTROL, HeaderValue::from_static("private"));
    }
}

/// The directives of one `Cache-Control` line: split at commas outside quoted strings, trimmed,
/// empty ones skipped.
fn directives(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut quoted = false;
    let mut escaped = false;
    line.split(move |&b| {
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if b == b',' && !quoted {
            return true;
        }
        false
    })
    .map(<[u8]>::trim_ascii)
    .filter(|d| !d.is_empty())
}

/// A directive's name: what comes before `=`.
fn directive_name(directive: &[u8]) -> &[u8] {
    directive
        .split(|&b| b == b'=')
        .next()
        .unwrap_or_default()
        .trim_ascii()
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
