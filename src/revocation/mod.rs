//! Revocation: refusing tokens before their `exp`.
//!
//! A [`Revocation`] store is consulted on every request after the signature check (or the
//! verified-token cache hit, which never hides a revocation), with two questions: is this token
//! (`iss` + `jti`) revoked, and were all tokens of this subject (`iss` + `sub`) issued at or
//! before some time revoked ("log out everywhere")? A token of a revoked subject without `iat`
//! counts as revoked.
//!
//! | answer | response |
//! |---|---|
//! | [`Revoked`](RevocationStatus::Revoked) | 401 `invalid_token`, description `token revoked` (code `revoked`) |
//! | [`NotRevoked`](RevocationStatus::NotRevoked) | the request goes on |
//! | [`Unknown`](RevocationStatus::Unknown), or no answer within the deadline (250 ms) | fail closed (default): 503 with `Retry-After` (code `revocation_unavailable`); fail open ([`revocation_fail_open`](crate::VerifierBuilder::revocation_fail_open)): the request goes on, with a `warn` event |
//!
//! Two stores come with the crate: [`MemoryRevocation`] (one process; entries expire with the
//! tokens, never earlier: a full store refuses new revocations instead of forgetting old ones) and, with the feature `redis`, [`RedisRevocation`] (a fleet of replicas
//! sharing one Redis, with a documented key layout other systems write to).
//!
//! ```
//! use std::time::Duration;
//! use tower_jwt_auth::revocation::MemoryRevocation;
//! use tower_jwt_auth::{Algorithm, Issuer, Verifier};
//!
//! let revoked = MemoryRevocation::new();
//! let verifier = Verifier::builder()
//!     .issuer(Issuer::hmac("https://issuer.example", b"0123456789abcdef0123456789abcdef"))
//!     .audience("api://orders")
//!     .algorithms([Algorithm::HS256])
//!     .revocation(revoked.clone())
//!     .build()?;
//! let layer = verifier.layer();
//!
//! // A logout hook: this one token, until its `exp`...
//! revoked.revoke_jti("https://issuer.example", "token-id-42", 1_900_000_000)?;
//! // ...and every token of a subject issued up to now, kept for the longest token lifetime.
//! revoked.revoke_subject("https://issuer.example", "alice", 1_800_000_000, Duration::from_secs(3600))?;
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::claims::RegisteredClaims;

mod memory;
#[cfg(feature = "redis")]
pub(crate) mod redis;

pub use self::memory::{DEFAULT_MEMORY_CAPACITY, MemoryRevocation, StoreFull};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{
    DEFAULT_IO_TIMEOUT, DEFAULT_NOT_REVOKED_CAPACITY, DEFAULT_NOT_REVOKED_TTL, DEFAULT_PREFIX,
    DEFAULT_REVOKED_CAPACITY, MAX_NOT_REVOKED_TTL, RedisRevocation,
};

/// Default deadline of one revocation check: 250 ms. A store that has not answered by then
/// counts as [`Unknown`](RevocationStatus::Unknown).
///
/// ```
/// use std::time::Instant;
/// use tower_jwt_auth::revocation::{Check, DEFAULT_REVOCATION_DEADLINE, Revocation};
/// # use tower_jwt_auth::{Algorithm, Issuer, RegisteredClaims, Verifier};
///
/// /// A store that never answers.
/// struct Hung;
/// impl Revocation for Hung {
///     fn check(&self, _: &RegisteredClaims) -> Check {
///         Check::Pending(Box::pin(std::future::pending()))
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let token = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": tower_jwt_auth::testing::now() + 60}));
/// # let verifier = Verifier::builder().issuer(Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([Algorithm::HS256]).revocation(Hung).build()?;
/// let start = Instant::now();
/// let err = verifier.verify(&token).await.unwrap_err();
/// assert_eq!(err.code(), "revocation_unavailable");
/// assert!(start.elapsed() >= DEFAULT_REVOCATION_DEADLINE);
/// # Ok(()) }
/// ```
pub const DEFAULT_REVOCATION_DEADLINE: Duration = Duration::from_millis(250);

/// How long [`MemoryRevocation`] keeps a `jti` past the token's `exp`, to cover the verifier's
/// leeway (60 s by default): 5 minutes.
///
/// ```
/// use tower_jwt_auth::clock::FixedClock;
/// use tower_jwt_auth::revocation::{EXP_MARGIN, MemoryRevocation};
///
/// let store = MemoryRevocation::with_clock(FixedClock(1_800_000_000.0));
/// let margin = EXP_MARGIN.as_secs() as i64;
/// // Expired, but still within the margin: kept.
/// assert!(store.revoke_jti("https://issuer.example", "t-1", 1_800_000_001 - margin)?);
/// // Past the margin: nothing to keep.
/// assert!(!store.revoke_jti("https://issuer.example", "t-2", 1_800_000_000 - margin)?);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub const EXP_MARGIN: Duration = Duration::from_secs(300);

/// A store's answer about one token.
///
/// `Unknown` fails closed (503) unless the verifier was built with
/// [`revocation_fail_open`](crate::VerifierBuilder::revocation_fail_open):
///
/// ```
/// use tower_jwt_auth::revocation::{Check, Revocation, RevocationStatus};
/// # use tower_jwt_auth::{Algorithm, Issuer, RegisteredClaims, Verifier};
///
/// /// A store whose backend is down.
/// struct Down;
/// impl Revocation for Down {
///     fn check(&self, _: &RegisteredClaims) -> Check {
///         Check::Ready(RevocationStatus::Unknown)
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let token = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": tower_jwt_auth::testing::now() + 60}));
/// # let builder = || Verifier::builder().issuer(Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([Algorithm::HS256]).revocation(Down);
/// let err = builder().build()?.verify(&token).await.unwrap_err();
/// assert_eq!((err.code(), err.status().as_u16()), ("revocation_unavailable", 503));
/// assert!(builder().revocation_fail_open().build()?.verify(&token).await.is_ok());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationStatus {
    /// The token, or every token of its subject issued up to its `iat`, was revoked.
    Revoked,
    /// Neither the token nor its subject is revoked.
    NotRevoked,
    /// The store can't tell (unreachable, an error): the failure policy decides.
    Unknown,
}

/// A future of a [`RevocationStatus`]: what a store that asks over the network returns.
///
/// It must own what it needs (`'static`): copy the claims it asks about into it.
///
/// ```
/// use tower_jwt_auth::revocation::{Check, CheckFuture, Revocation, RevocationStatus};
/// # use tower_jwt_auth::{Algorithm, Issuer, RegisteredClaims, Verifier};
///
/// /// Asks a (here simulated) remote deny-list about the token's `jti`.
/// struct DenyList;
/// impl Revocation for DenyList {
///     fn check(&self, token: &RegisteredClaims) -> Check {
///         let jti = token.jti.clone();
///         let answer: CheckFuture = Box::pin(async move {
///             tokio::task::yield_now().await; // the round trip
///             match jti.as_deref() {
///                 Some("t-1") => RevocationStatus::Revoked,
///                 _ => RevocationStatus::NotRevoked,
///             }
///         });
///         Check::Pending(answer)
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]);
/// # let token = |jti: &str| key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "jti": jti, "exp": tower_jwt_auth::testing::now() + 60}));
/// # let verifier = Verifier::builder().issuer(Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([Algorithm::HS256]).revocation(DenyList).build()?;
/// assert_eq!(verifier.verify(&token("t-1")).await.unwrap_err().code(), "revoked");
/// assert!(verifier.verify(&token("t-2")).await.is_ok());
/// # Ok(()) }
/// ```
pub type CheckFuture = Pin<Box<dyn Future<Output = RevocationStatus> + Send + 'static>>;

/// The answer of [`Revocation::check`]: at once, or later.
///
/// ```
/// use tower_jwt_auth::RegisteredClaims;
/// use tower_jwt_auth::revocation::{Check, MemoryRevocation, Revocation, RevocationStatus};
///
/// # let exp = tower_jwt_auth::testing::now() + 3600;
/// let token: RegisteredClaims = serde_json::from_value(serde_json::json!({
///     "iss": "https://issuer.example", "jti": "t-1", "exp": exp,
/// }))?;
/// let store = MemoryRevocation::new();
/// assert!(matches!(store.check(&token), Check::Ready(RevocationStatus::NotRevoked)));
/// store.revoke_token(&token)?;
/// assert!(matches!(store.check(&token), Check::Ready(RevocationStatus::Revoked)));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub enum Check {
    /// Answered synchronously (a local store, a local cache hit): no allocation, no `await`.
    Ready(RevocationStatus),
    /// Answered by a future; the verifier bounds it with its deadline.
    Pending(CheckFuture),
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ready(status) => f.debug_tuple("Ready").field(status).finish(),
            Self::Pending(_) => f.write_str("Pending"),
        }
    }
}

/// A revocation store: says whether a verified token was revoked.
///
/// [`check`](Self::check) gets the verified token's registered claims (`iss` is always set).
/// It must not block: answer with [`Check::Ready`] from memory, or return a
/// [`Check::Pending`] future for a network round trip. The verifier applies the deadline and
/// the failure policy; a store need not time out itself (but should not leak work that does).
///
/// ```
/// use tower_jwt_auth::revocation::{Check, Revocation, RevocationStatus};
/// use tower_jwt_auth::{Algorithm, Issuer, RegisteredClaims, Verifier};
///
/// /// Refuses every token of one subject.
/// struct Banned(&'static str);
///
/// impl Revocation for Banned {
///     fn check(&self, token: &RegisteredClaims) -> Check {
///         Check::Ready(if token.sub.as_deref() == Some(self.0) {
///             RevocationStatus::Revoked
///         } else {
///             RevocationStatus::NotRevoked
///         })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]);
/// # let token = |sub: &str| key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "sub": sub, "exp": tower_jwt_auth::testing::now() + 60}));
/// let verifier = Verifier::builder()
///     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
///     .audience("api")
///     .algorithms([Algorithm::HS256])
///     .revocation(Banned("mallory"))
///     .build()?;
/// assert!(verifier.verify(&token("alice")).await.is_ok());
/// assert_eq!(verifier.verify(&token("mallory")).await.unwrap_err().code(), "revoked");
/// # Ok(()) }
/// ```
pub trait Revocation: Send + Sync + 'static {
    /// Whether the token (`iss` + `jti`), or its subject as of its `iat` (`iss` + `sub`), is
    /// revoked.
    fn check(&self, token: &RegisteredClaims) -> Check;
}

impl<R: Revocation + ?Sized> Revocation for Arc<R> {
    fn check(&self, token: &RegisteredClaims) -> Check {
        (**self).check(token)
    }
}

/// What happens when the store can't answer in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailurePolicy {
    /// 503 `revocation_unavailable` with `Retry-After`.
    Closed,
    /// The request goes on (a `warn` event says so).
    Open,
}

/// The verifier's revocation settings.
#[derive(Clone)]
pub(crate) struct RevocationConfig {
    pub(crate) store: Arc<dyn Revocation>,
    pub(crate) deadline: Duration,
    pub(crate) policy: FailurePolicy,
    /// Fail-open warnings, at most one a second.
    pub(crate) warnings: Arc<WarnLimiter>,
}

impl fmt::Debug for RevocationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationConfig")
            .field("deadline", &self.deadline)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Lets a warning through at most once a second, and says how many it held back: a store that
/// is down must not write a line per request.
#[derive(Debug, Default)]
pub(crate) struct WarnLimiter {
    /// When the last warning went out, in milliseconds since the first use (+1 s).
    last: AtomicU64,
    suppressed: AtomicU64,
}

impl WarnLimiter {
    pub(crate) fn warn(&self, emit: impl FnOnce(u64)) {
        static START: OnceLock<Instant> = OnceLock::new();
        let elapsed = START.get_or_init(Instant::now).elapsed().as_millis();
        let now = u64::try_from(elapsed)
            .unwrap_or(u64::MAX)
            .saturating_add(1000);
        let last = self.last.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 1000
            && self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            emit(self.suppressed.swap(0, Ordering::Relaxed));
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Whether a subject revoked as of `revoked_at` covers a token issued at `iat`.
pub(crate) fn subject_covers(revoked_at: i64, iat: Option<i64>) -> bool {
    iat.is_none_or(|iat| iat <= revoked_at)
}
