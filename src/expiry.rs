//! [`Expiry`]: when a request's token stops being valid, for streams that outlive the request.
//!
//! A Server-Sent Events stream, a WebSocket or a gRPC stream is authenticated once, then can
//! live for hours: long after its token expired or was revoked. [`Expiry`] gives the handler the
//! token's `exp` on the verifier's clock and futures that resolve when it passes (or when the
//! revocation store says the token is revoked), to end the stream with `tokio::select!`.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use http::Request;
//! use tower::{Layer, ServiceExt, service_fn};
//! use tower_jwt_auth::{Algorithm, Expiry, Issuer, Verifier, testing::{TestKey, now}};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
//! let verifier = Verifier::builder()
//!     .issuer(Issuer::static_keys("https://issuer.example", key.jwks()))
//!     .audience("api")
//!     .build()?;
//! let service = verifier.layer().layer(service_fn(|req: Request<()>| async move {
//!     let expiry = Expiry::from_extensions(req.extensions()).expect("behind the layer");
//!     let mut ticks = 0;
//!     loop {
//!         tokio::select! {
//!             () = expiry.expired() => break,     // the token's `exp` passed: end the stream
//!             () = tokio::time::sleep(Duration::from_millis(200)) => ticks += 1,
//!         }
//!     }
//!     Ok::<_, std::convert::Infallible>(http::Response::new(ticks))
//! }));
//! let token = key.token(&serde_json::json!({
//!     "iss": "https://issuer.example", "aud": "api", "exp": now() + 1,
//! }));
//! let request = Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
//! let ticks = service.oneshot(request).await?.into_body();
//! assert!(ticks <= 10, "ended at exp, not later: {ticks}");
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::claims::{Claims, RegisteredClaims};
use crate::revocation::{Check, RevocationStatus};
use crate::service::AuthMarker;
use crate::verify::Shared;

/// When the request's token stops being valid. Get it from the request extensions of a request
/// the layer let through with a token ([`Expiry::from_extensions`], or the axum extractor).
///
/// ```
/// # use std::time::Duration;
/// # use tower::{Layer, ServiceExt, service_fn};
/// # use tower_jwt_auth::{Algorithm, Expiry, Issuer, Verifier, testing::{TestKey, now}};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = TestKey::generate(Algorithm::ES256);
/// # let verifier = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").build()?;
/// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 600}));
/// # let req = http::Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
/// # let inner = service_fn(|req: http::Request<()>| async move { Ok::<_, std::convert::Infallible>(http::Response::new(Expiry::from_extensions(req.extensions()))) });
/// # let expiry = verifier.layer().layer(inner).oneshot(req).await?.into_body().unwrap();
/// // `expiry`: of a request whose token expires in 10 minutes.
/// let left = expiry.remaining();
/// assert!(left > Duration::from_secs(590) && left <= Duration::from_secs(600));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Expiry {
    exp: f64,
    shared: Arc<Shared>,
    claims: Claims<RegisteredClaims>,
}

impl fmt::Debug for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expiry")
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}

/// The longest single sleep while waiting for `exp`: the verifier's clock may be a test clock
/// or jump, so it is read again at least this often (and a hundred thousand open streams wake
/// at most a few thousand times a second).
const MAX_NAP: Duration = Duration::from_secs(30);

impl Expiry {
    /// The expiry of the token the layer verified for this request, or `None` for a request
    /// without one (an optional layer let it through, or no layer ran).
    ///
    /// ```
    /// use tower_jwt_auth::Expiry;
    ///
    /// assert!(Expiry::from_extensions(&http::Extensions::new()).is_none());
    /// ```
    #[must_use]
    pub fn from_extensions(extensions: &http::Extensions) -> Option<Self> {
        let marker = extensions.get::<AuthMarker>()?;
        let claims = extensions.get::<Claims<RegisteredClaims>>()?.clone();
        #[allow(clippy::cast_precision_loss)]
        let mut exp = claims.exp? as f64;
        // With `max_token_age`, the token also stops passing once it is that old.
        #[allow(clippy::cast_precision_loss)]
        if let (Some(max_age), Some(iat)) = (marker.layer.shared.max_token_age, claims.iat) {
            exp = exp.min(iat as f64 + max_age);
        }
        Some(Self {
            exp,
            shared: Arc::clone(&marker.layer.shared),
            claims,
        })
    }

    /// The token's `exp` (or, with the verifier's `max_token_age`, when the token gets too old,
    /// if that is sooner).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # use tower_jwt_auth::{Algorithm, Expiry, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(Algorithm::ES256);
    /// # let verifier = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").build()?;
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 600}));
    /// # let req = http::Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
    /// # let inner = service_fn(|req: http::Request<()>| async move { Ok::<_, std::convert::Infallible>(http::Response::new(Expiry::from_extensions(req.extensions()))) });
    /// # let expiry = verifier.layer().layer(inner).oneshot(req).await?.into_body().unwrap();
    /// // `expiry`: of a request whose token expires in 10 minutes.
    /// let at = expiry.expires_at(); // a `SystemTime`
    /// assert!(at > std::time::SystemTime::now() + Duration::from_secs(590));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn expires_at(&self) -> SystemTime {
        let since_epoch = Duration::try_from_secs_f64(self.exp).unwrap_or(Duration::ZERO);
        // An `exp` past what `SystemTime` holds: as late as it can say.
        UNIX_EPOCH
            .checked_add(since_epoch)
            .unwrap_or_else(|| UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) * 64))
    }

    /// How long until `exp`, on the verifier's clock (zero once it passed).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # use tower_jwt_auth::{Algorithm, Expiry, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(Algorithm::ES256);
    /// # let verifier = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").build()?;
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 600}));
    /// # let req = http::Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
    /// # let inner = service_fn(|req: http::Request<()>| async move { Ok::<_, std::convert::Infallible>(http::Response::new(Expiry::from_extensions(req.extensions()))) });
    /// # let expiry = verifier.layer().layer(inner).oneshot(req).await?.into_body().unwrap();
    /// // `expiry`: of a request whose token expires in 10 minutes.
    /// assert!(!expiry.remaining().is_zero()); // zero: end the stream
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn remaining(&self) -> Duration {
        let now = self.shared.clock.now_unix_secs();
        if now.is_finite() {
            Duration::try_from_secs_f64(self.exp - now).unwrap_or(Duration::ZERO)
        } else {
            // A clock that can't tell the time: the token can't be trusted to be valid.
            Duration::ZERO
        }
    }

    /// Resolves once the token's `exp` has passed on the verifier's clock (at once if it has).
    /// Cancel-safe: drop it and ask again.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # use tower_jwt_auth::{Algorithm, Expiry, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(Algorithm::ES256);
    /// # let verifier = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").build()?;
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 600}));
    /// # let req = http::Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
    /// # let inner = service_fn(|req: http::Request<()>| async move { Ok::<_, std::convert::Infallible>(http::Response::new(Expiry::from_extensions(req.extensions()))) });
    /// # let expiry = verifier.layer().layer(inner).oneshot(req).await?.into_body().unwrap();
    /// // `expiry`: of a request whose token expires in 10 minutes.
    /// let closed = tokio::select! {
    ///     () = expiry.expired() => true, // close the WebSocket
    ///     () = tokio::time::sleep(Duration::from_millis(50)) => false,
    /// };
    /// assert!(!closed, "ten minutes to go");
    /// # Ok(()) }
    /// ```
    pub async fn expired(&self) {
        loop {
            let left = self.remaining();
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(MAX_NAP)).await;
        }
    }

    /// Resolves once the token has expired, or once the verifier's revocation store, asked every
    /// `every` (at least one second), says it is revoked. Without a revocation store, the same
    /// as [`expired`](Self::expired). A store that can't answer does not end the stream.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower::{Layer, ServiceExt, service_fn};
    /// # use tower_jwt_auth::{Algorithm, Expiry, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(Algorithm::ES256);
    /// # let verifier = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").build()?;
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 600}));
    /// # let req = http::Request::get("/").header("authorization", format!("Bearer {token}")).body(())?;
    /// # let inner = service_fn(|req: http::Request<()>| async move { Ok::<_, std::convert::Infallible>(http::Response::new(Expiry::from_extensions(req.extensions()))) });
    /// # let expiry = verifier.layer().layer(inner).oneshot(req).await?.into_body().unwrap();
    /// // `expiry`: of a request whose token expires in 10 minutes.
    /// let ended = tokio::select! {
    ///     () = expiry.expired_or_revoked(Duration::from_secs(30)) => true, // end the stream
    ///     () = tokio::time::sleep(Duration::from_millis(50)) => false,
    /// };
    /// assert!(!ended);
    /// # Ok(()) }
    /// ```
    pub async fn expired_or_revoked(&self, every: Duration) {
        let Some(revocation) = &self.shared.revocation else {
            return self.expired().await;
        };
        let every = every.max(Duration::from_secs(1));
        loop {
            if self.remaining().is_zero() {
                return;
            }
            let status = match revocation.store.check(&self.claims) {
                Check::Ready(status) => status,
                Check::Pending(answer) => tokio::time::timeout(revocation.deadline, answer)
                    .await
                    .unwrap_or(RevocationStatus::Unknown),
            };
            if status == RevocationStatus::Revoked {
                return;
            }
            tokio::select! {
                () = self.expired() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}
