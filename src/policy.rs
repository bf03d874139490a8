//! Per-route policy behind [`JwtAuthLayer`](crate::JwtAuthLayer): required scopes
//! ([`RequireScope`]) and claims predicates ([`RequireClaims`]).
//!
//! Put them inside the authentication layer (axum applies `.layer` calls outside-in, so add
//! the policy layer first, or on a nested router). A missing scope answers **403** with
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`, so a client asks for more
//! scope; a predicate can also say the token is not an access token for this service at all
//! (**401** `invalid_token`, e.g. a refresh token), or forbid the request (**403**).
//!
//! # Example
//!
//! ```
//! use axum::{Router, routing::get};
//! use tower_jwt_auth::policy::{RequireClaims, RequireScope, Verdict};
//! use tower_jwt_auth::{Algorithm, Issuer, JwtAuthLayer, RegisteredClaims};
//!
//! #[derive(Debug, serde::Deserialize)]
//! struct MyClaims { token_use: String }
//!
//! let auth = JwtAuthLayer::<MyClaims>::builder()
//!     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
//!     .audience("api")
//!     .algorithms([Algorithm::HS256])
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/admin", get(|| async { "admin" }))
//!     .layer(RequireScope::all(["admin"]))
//!     .layer(RequireClaims::new(|c: &MyClaims| match c.token_use.as_str() {
//!         "access" => Verdict::Accept,
//!         _ => Verdict::NotAccepted("not an access token"),
//!     }))
//!     .layer(auth);
//! # Ok::<_, tower_jwt_auth::ConfigError>(())
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::claims::{Claims, RegisteredClaims};
use crate::error::{AuthError, AuthErrorKind};
use crate::future::ResponseFuture;
use crate::service::AuthMarker;

/// What a claims check decided.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The request may proceed.
    Accept,
    /// The token is not an access token for this service (a refresh token, a wrong `type`
    /// claim…): 401 `invalid_token` with this description. Keep it a fixed phrase: it is sent
    /// to the client.
    NotAccepted(&'static str),
    /// The request is not allowed: 403 `insufficient_scope`, naming these scopes (none named:
    /// the challenge carries no `scope`).
    Forbidden {
        /// The scopes that would allow the request.
        scopes: Vec<String>,
    },
}

/// A check of one claims type, run for each request that passed authentication.
pub trait ClaimsPolicy: Clone {
    /// The claims type it reads (the one the authentication layer inserts as `Claims<…>`).
    type Claims: Send + Sync + 'static;

    /// Decides about a request with these claims.
    fn check(&self, claims: &Self::Claims) -> Verdict;
}

/// Requires scopes (from `scope` and `scp`, see [`RegisteredClaims::scopes`]).
#[derive(Debug, Clone)]
#[must_use]
pub struct RequireScope {
    scopes: Arc<[String]>,
    all: bool,
}

impl RequireScope {
    /// Every one of these scopes is required.
    pub fn all<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(scopes, true)
    }

    /// At least one of these scopes is required.
    pub fn any<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(scopes, false)
    }

    fn new<I, S>(scopes: I, all: bool) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            scopes: scopes.into_iter().map(Into::into).collect(),
            all,
        }
    }
}

impl ClaimsPolicy for RequireScope {
    type Claims = RegisteredClaims;

    fn check(&self, claims: &RegisteredClaims) -> Verdict {
        let has = |s: &String| claims.scopes.contains(s);
        let ok = if self.all {
            self.scopes.iter().all(has)
        } else {
            self.scopes.iter().any(has)
        };
        if ok {
            Verdict::Accept
        } else {
            Verdict::Forbidden {
                scopes: self.scopes.to_vec(),
            }
        }
    }
}

/// A claims predicate: any function from `&C` to a [`Verdict`].
#[must_use]
pub struct RequireClaims<C, F> {
    check: F,
    _claims: PhantomData<fn(&C)>,
}

impl<C, F: Clone> Clone for RequireClaims<C, F> {
    fn clone(&self) -> Self {
        Self {
            check: self.check.clone(),
            _claims: PhantomData,
        }
    }
}

impl<C, F> fmt::Debug for RequireClaims<C, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireClaims")
            .field("claims", &std::any::type_name::<C>())
            .finish()
    }
}

impl<C, F> RequireClaims<C, F>
where
    F: Fn(&C) -> Verdict + Clone,
{
    /// A policy that asks `check` about each request's `Claims<C>`.
    pub fn new(check: F) -> Self {
        Self {
            check,
            _claims: PhantomData,
        }
    }
}

impl<C, F> ClaimsPolicy for RequireClaims<C, F>
where
    C: Send + Sync + 'static,
    F: Fn(&C) -> Verdict + Clone,
{
    type Claims = C;

    fn check(&self, claims: &C) -> Verdict {
        (self.check)(claims)
    }
}

impl<S> Layer<S> for RequireScope {
    type Service = Require<S, Self>;

    fn layer(&self, inner: S) -> Self::Service {
        Require {
            inner,
            policy: self.clone(),
        }
    }
}

impl<S, C, F: Clone> Layer<S> for RequireClaims<C, F> {
    type Service = Require<S, Self>;

    fn layer(&self, inner: S) -> Self::Service {
        Require {
            inner,
            policy: self.clone(),
        }
    }
}

/// The service of [`RequireScope`] and [`RequireClaims`].
#[derive(Debug, Clone)]
pub struct Require<S, P> {
    inner: S,
    policy: P,
}

impl<S, P> Require<S, P> {
    define_inner_service_accessors!();
}

impl<S, P, ReqBody, ResBody> Service<Request<ReqBody>> for Require<S, P>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    P: ClaimsPolicy,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let Some(marker) = req.extensions().get::<AuthMarker>() else {
            // A policy with no authentication in front of it is a server bug, never "anonymous".
            tracing::error!(
                policy = std::any::type_name::<P>(),
                "a claims policy ran without a JwtAuthLayer in front of it"
            );
            let mut response = Response::new(ResBody::default());
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            return ResponseFuture::rejected(response);
        };
        let verdict = match req.extensions().get::<Claims<P::Claims>>() {
            Some(claims) => self.policy.check(claims),
            // An optional layer let an anonymous request through: the policy needs a token.
            None if !marker.authenticated => {
                let response = marker
                    .challenge
                    .response(AuthError::missing(), req.headers());
                return ResponseFuture::rejected(response);
            }
            None => {
                tracing::error!(
                    wanted = std::any::type_name::<P::Claims>(),
                    inserted = marker.claims_type,
                    "a claims policy reads a claims type the JwtAuthLayer does not insert"
                );
                let mut response = Response::new(ResBody::default());
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                return ResponseFuture::rejected(response);
            }
        };
        let error = match verdict {
            Verdict::Accept => return ResponseFuture::inner(self.inner.call(req)),
            Verdict::NotAccepted(description) => {
                AuthError::new(AuthErrorKind::NotAccepted, description)
            }
            Verdict::Forbidden { scopes } if scopes.is_empty() => {
                AuthError::new(AuthErrorKind::Forbidden, "forbidden")
            }
            Verdict::Forbidden { scopes } => AuthError::insufficient_scope(scopes),
        };
        ResponseFuture::rejected(marker.challenge.response(error, req.headers()))
    }
}
