//! axum extractors: [`Claims<C>`] and `Option<Claims<C>>` (feature `axum`).
//!
//! Both need [`JwtAuthLayer`](crate::JwtAuthLayer) in front of the handler. Where no layer ran,
//! they answer 500 with a message naming `JwtAuthLayer` (as axum's `Extension` does for a missing
//! extension), never a silent "anonymous". Behind an optional layer, a request without a token
//! gives `None` to `Option<Claims<C>>`, and `Claims<C>` answers the 401 the layer would have sent,
//! through the layer's responder.
//!
//! # Example
//!
//! ```
//! use axum::{Router, routing::get};
//! use tower_jwt_auth::{Claims, RegisteredClaims};
//!
//! async fn me(Claims(c): Claims<RegisteredClaims>) -> String {
//!     c.sub.clone().unwrap_or_default()
//! }
//!
//! async fn greet(claims: Option<Claims<RegisteredClaims>>) -> String {
//!     match claims {
//!         Some(c) => format!("hello {}", c.sub.as_deref().unwrap_or("?")),
//!         None => "hello stranger".to_owned(),
//!     }
//! }
//!
//! let app: Router = Router::new().route("/me", get(me)).route("/greet", get(greet));
//! ```

use std::fmt;

use axum_core::body::Body;
use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use http::request::Parts;

use crate::claims::Claims;
use crate::error::AuthError;
use crate::response::ErasedResponder;
use crate::service::AuthMarker;

/// Why `Claims<C>` or `Option<Claims<C>>` could not be extracted.
///
/// # Example
///
/// ```
/// use axum::{Router, body::Body, routing::get};
/// use http::Request;
/// use tower::ServiceExt;
/// use tower_jwt_auth::{Claims, RegisteredClaims};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
///
/// async fn me(Claims(c): Claims<RegisteredClaims>) -> String {
///     c.sub.clone().unwrap_or_default()
/// }
/// let app = Router::new().route("/me", get(me));
/// let no_layer = app.clone().oneshot(Request::get("/me").body(Body::empty())?).await?;
/// assert_eq!(no_layer.status(), 500); // MissingLayer
/// let optional = app.layer(verifier.layer().optional());
/// let anonymous = optional.oneshot(Request::get("/me").body(Body::empty())?).await?;
/// assert_eq!(anonymous.status(), 401); // Unauthenticated
/// assert_eq!(anonymous.headers()["www-authenticate"], r#"Bearer realm="api""#);
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ClaimsRejection {
    /// No `JwtAuthLayer` ran for this request: a server configuration bug (500).
    MissingLayer {
        /// The claims type that was asked for.
        claims_type: &'static str,
    },
    /// A `JwtAuthLayer` ran, but it inserts another claims type (500).
    WrongClaimsType {
        /// The claims type that was asked for.
        wanted: &'static str,
        /// The claims type the layer inserts.
        inserted: &'static str,
    },
    /// The layer is optional and the request had no token (401, with the layer's challenge).
    Unauthenticated(Box<Response>),
}

impl ClaimsRejection {
    /// The HTTP status of the rejection: 500 for a missing layer or another claims type, the
    /// layer's answer (401) for an anonymous request.
    ///
    /// # Example
    ///
    /// ```
    /// use axum::extract::FromRequestParts;
    /// use tower_jwt_auth::{Claims, RegisteredClaims};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    ///
    /// // No `JwtAuthLayer` ran for this request.
    /// let (mut parts, ()) = http::Request::new(()).into_parts();
    /// let rejection = Claims::<RegisteredClaims>::from_request_parts(&mut parts, &()).await.unwrap_err();
    /// assert_eq!(rejection.status(), 500);
    /// # }
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingLayer { .. } | Self::WrongClaimsType { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::Unauthenticated(response) => response.status(),
        }
    }

    /// The text of the response body.
    ///
    /// # Example
    ///
    /// ```
    /// use axum::extract::FromRequestParts;
    /// use tower_jwt_auth::{Claims, RegisteredClaims};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    ///
    /// // No `JwtAuthLayer` ran for this request.
    /// let (mut parts, ()) = http::Request::new(()).into_parts();
    /// let rejection = Claims::<RegisteredClaims>::from_request_parts(&mut parts, &()).await.unwrap_err();
    /// assert!(rejection.body_text().contains("no `JwtAuthLayer` ran for this route"));
    /// # }
    /// ```
    #[must_use]
    pub fn body_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ClaimsRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingLayer { claims_type } => write!(
                f,
                "`Claims<{claims_type}>` was not found: no `JwtAuthLayer` ran for this route. \
                 Perhaps you forgot to add it with `.layer(...)`?"
            ),
            Self::WrongClaimsType { wanted, inserted } => write!(
                f,
                "`Claims<{wanted}>` was not found: the `JwtAuthLayer` of this route inserts `Claims<{inserted}>`"
            ),
            Self::Unauthenticated(_) => f.write_str("authentication required"),
        }
    }
}

impl std::error::Error for ClaimsRejection {}

impl IntoResponse for ClaimsRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthenticated(response) => *response,
            other => {
                let mut response = Response::new(Body::from(other.body_text()));
                *response.status_mut() = other.status();
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    http::HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                response
            }
        }
    }
}

fn lookup<C: Send + Sync + 'static>(parts: &Parts) -> Result<Option<Claims<C>>, ClaimsRejection> {
    if let Some(claims) = parts.extensions.get::<Claims<C>>() {
        return Ok(Some(claims.clone()));
    }
    let wanted = std::any::type_name::<C>();
    match parts.extensions.get::<AuthMarker>() {
        None => Err(ClaimsRejection::MissingLayer {
            claims_type: wanted,
        }),
        Some(marker) if marker.authenticated => Err(ClaimsRejection::WrongClaimsType {
            wanted,
            inserted: marker.layer.claims_type,
        }),
        Some(_) => Ok(None),
    }
}

impl<C, S> FromRequestParts<S> for Claims<C>
where
    C: Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match lookup::<C>(parts)? {
            Some(claims) => Ok(claims),
            None => {
                let marker =
                    parts
                        .extensions
                        .get::<AuthMarker>()
                        .ok_or(ClaimsRejection::MissingLayer {
                            claims_type: std::any::type_name::<C>(),
                        })?;
                // The layer's own responder answers, as it does for every other rejection.
                let response = match parts.extensions.get::<ErasedResponder<Body>>() {
                    Some(responder) => {
                        responder.respond(AuthError::missing(), parts.headers.clone())
                    }
                    None => marker
                        .layer
                        .challenge
                        .response(AuthError::missing(), &parts.headers),
                };
                Err(ClaimsRejection::Unauthenticated(Box::new(response)))
            }
        }
    }
}

impl<C, S> OptionalFromRequestParts<S> for Claims<C>
where
    C: Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        lookup::<C>(parts)
    }
}

/// The token's [`Expiry`](crate::Expiry), for handlers of long-lived responses (SSE,
/// WebSocket): rejected like `Claims<RegisteredClaims>` when the request has no token.
///
/// ```
/// use std::time::Duration;
/// use axum::response::sse::{Event, Sse};
/// use futures_util::stream::{self, Stream};
/// use tower_jwt_auth::Expiry;
///
/// async fn events(expiry: Expiry) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
///     Sse::new(stream::unfold(expiry, |expiry| async move {
///         tokio::select! {
///             () = expiry.expired() => None, // the stream ends with the token
///             () = tokio::time::sleep(Duration::from_secs(1)) => Some((Ok(Event::default().event("tick")), expiry)),
///         }
///     }))
/// }
/// let app: axum::Router = axum::Router::new().route("/events", axum::routing::get(events));
/// ```
impl<S> FromRequestParts<S> for crate::Expiry
where
    S: Send + Sync,
{
    type Rejection = ClaimsRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Refused exactly as `Claims` would be: no layer, or no token behind an optional one.
        <Claims<crate::RegisteredClaims> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await?;
        // A token without `exp` never passes the verifier; an extension set by hand might.
        Self::from_extensions(&parts.extensions).ok_or(ClaimsRejection::MissingLayer {
            claims_type: std::any::type_name::<crate::RegisteredClaims>(),
        })
    }
}
