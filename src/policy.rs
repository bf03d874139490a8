//! Policies a layer runs on the claims it verified: scopes and predicates typed by the claims.
//!
//! Attach them to the layer ([`JwtAuthLayer::require_scopes`](crate::JwtAuthLayer::require_scopes),
//! [`require_any_scope`](crate::JwtAuthLayer::require_any_scope),
//! [`check`](crate::JwtAuthLayer::check)). They run inside the layer with the claims it already
//! decoded, so a predicate for another claims type does not compile and no layer order can skip
//! them. A missing scope answers **403** with
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`, so a client asks for more
//! scope; a predicate can also say the token is not an access token for this service at all
//! (**401** `invalid_token`, e.g. a refresh token), or forbid the request (**403**). The layer's
//! responder answers all of them.
//!
//! For a policy on some routes only, give those routes a layer of their own with the extra
//! policy (axum's `route_layer` on a router you `merge`), so each request passes one layer;
//! layers built from one [`Verifier`](crate::Verifier) share its keys and its verified-token
//! cache.
//!
//! # Example
//!
//! ```
//! use axum::{Router, routing::get};
//! use tower_jwt_auth::{Algorithm, Issuer, Verdict, Verifier};
//!
//! #[derive(Debug, serde::Deserialize)]
//! struct MyClaims { token_use: String }
//!
//! let verifier = Verifier::builder()
//!     .claims::<MyClaims>()
//!     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
//!     .audience("api")
//!     .algorithms([Algorithm::HS256])
//!     .build()?;
//! let access_only = verifier.layer().check(|c: &MyClaims| match c.token_use.as_str() {
//!     "access" => Verdict::Accept,
//!     _ => Verdict::NotAccepted("not an access token"),
//! });
//! let app: Router = Router::new()
//!     .route("/admin", get(|| async { "admin" }))
//!     .route_layer(access_only.clone().require_scopes(["admin"]))
//!     .merge(Router::new().route("/orders", get(|| async { "orders" })).route_layer(access_only));
//! # Ok::<_, tower_jwt_auth::ConfigError>(())
//! ```
//!
//! A policy for another claims type is a compile error:
//!
//! ```compile_fail
//! use tower_jwt_auth::{Algorithm, Issuer, RegisteredClaims, Verdict, Verifier};
//!
//! #[derive(Debug, serde::Deserialize)]
//! struct MyClaims { token_use: String }
//! #[derive(Debug, serde::Deserialize)]
//! struct OtherClaims { role: String }
//!
//! let verifier = Verifier::builder()
//!     .claims::<MyClaims>()
//!     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
//!     .audience("api")
//!     .algorithms([Algorithm::HS256])
//!     .build()
//!     .unwrap();
//! let auth = verifier.layer().check(|c: &OtherClaims| Verdict::Accept);
//! ```

use std::sync::Arc;

use crate::claims::RegisteredClaims;
use crate::error::{AuthError, AuthErrorKind};

/// What a claims check decided.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{RegisteredClaims, Verdict};
/// # use http::{Request, Response};
/// # use tower::{Layer, ServiceExt, service_fn};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let verifier = tower_jwt_auth::Verifier::builder().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
/// # let token = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "sub": "alice", "exp": tower_jwt_auth::testing::now() + 60}));
/// # let ok = service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
/// # let req = Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
///
/// let auth = verifier.layer().check(|c: &RegisteredClaims| match c.sub.as_deref() {
///     Some("root") => Verdict::Accept,
///     _ => Verdict::Forbidden { scopes: vec!["admin".into()] },
/// });
/// // `req` carries a valid token of `alice`.
/// let response = auth.layer(ok).oneshot(req).await?;
/// assert_eq!(response.status(), 403);
/// assert!(response.headers()["www-authenticate"].to_str()?.ends_with(r#"scope="admin""#));
/// # Ok(()) }
/// ```
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

impl Verdict {
    /// The rejection this verdict stands for, or `Ok(())` for [`Accept`](Self::Accept).
    ///
    /// # Errors
    ///
    /// The [`AuthError`] a refusing verdict answers with.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Verdict;
    ///
    /// assert!(Verdict::Accept.into_result().is_ok());
    /// let err = Verdict::NotAccepted("not an access token").into_result().unwrap_err();
    /// assert_eq!((err.code(), err.status().as_u16()), ("not_accepted", 401));
    /// let err = Verdict::Forbidden { scopes: vec![] }.into_result().unwrap_err();
    /// assert_eq!((err.code(), err.status().as_u16()), ("forbidden", 403));
    /// ```
    pub fn into_result(self) -> Result<(), AuthError> {
        match self {
            Self::Accept => Ok(()),
            Self::NotAccepted(description) => {
                Err(AuthError::new(AuthErrorKind::NotAccepted, description))
            }
            Self::Forbidden { scopes } if scopes.is_empty() => {
                Err(AuthError::new(AuthErrorKind::Forbidden, "forbidden"))
            }
            Self::Forbidden { scopes } => Err(AuthError::insufficient_scope(scopes)),
        }
    }
}

/// One policy of a layer whose claims type is `C`.
pub(crate) enum Policy<C> {
    /// Scopes from `scope`/`scp`: all of them, or any one.
    Scopes { scopes: Arc<[String]>, all: bool },
    /// A predicate on the layer's claims.
    Check(Arc<dyn Fn(&C) -> Verdict + Send + Sync>),
}

impl<C> Clone for Policy<C> {
    fn clone(&self) -> Self {
        match self {
            Self::Scopes { scopes, all } => Self::Scopes {
                scopes: Arc::clone(scopes),
                all: *all,
            },
            Self::Check(check) => Self::Check(Arc::clone(check)),
        }
    }
}

impl<C> Policy<C> {
    pub(crate) fn scopes<I, S>(scopes: I, all: bool) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Scopes {
            scopes: scopes.into_iter().map(Into::into).collect(),
            all,
        }
    }

    fn verdict(&self, claims: &C, registered: &RegisteredClaims) -> Verdict {
        match self {
            Self::Scopes { scopes, all } => {
                let has = |s: &String| registered.scopes.contains(s);
                let ok = if *all {
                    scopes.iter().all(has)
                } else {
                    scopes.iter().any(has)
                };
                if ok {
                    Verdict::Accept
                } else {
                    Verdict::Forbidden {
                        scopes: scopes.to_vec(),
                    }
                }
            }
            Self::Check(check) => check(claims),
        }
    }
}

/// Runs a layer's policies in order; the first refusal answers.
pub(crate) fn run<C>(
    policies: &[Policy<C>],
    claims: &C,
    registered: &RegisteredClaims,
) -> Result<(), AuthError> {
    policies
        .iter()
        .try_for_each(|p| p.verdict(claims, registered).into_result())
}
