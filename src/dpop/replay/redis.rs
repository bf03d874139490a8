//! [`RedisReplayCache`]: one DPoP replay cache for a fleet, in Redis.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Client, RedisError, RedisResult, Value};

use super::{Recorded, replayed, unavailable};
use crate::revocation::WarnLimiter;
use crate::revocation::redis::lazy_manager;

/// The default key prefix: keys are `jwt:dpop:jti:<jkt>:<jti>`.
///
/// ```
/// use tower_jwt_auth::dpop::{DEFAULT_REPLAY_PREFIX, RedisReplayCache};
///
/// let cache = RedisReplayCache::new("redis://127.0.0.1:6379")?;
/// assert_eq!(cache.key("thumb", "j-1"), format!("{DEFAULT_REPLAY_PREFIX}thumb:j-1"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub const DEFAULT_REPLAY_PREFIX: &str = "jwt:dpop:jti:";

/// Default deadline of one replay check against Redis: 250 ms, after which the proof is refused
/// with 503 (a replay cache fails closed: accepting a proof it can't check would accept replays).
///
/// ```
/// assert_eq!(tower_jwt_auth::dpop::DEFAULT_REPLAY_DEADLINE.as_millis(), 250);
/// ```
pub const DEFAULT_REPLAY_DEADLINE: Duration = Duration::from_millis(250);

/// A DPoP replay cache in Redis, shared by every replica that points at the same server, so a
/// proof replayed to another replica is refused too. Use it with
/// [`ReplayCache::redis`](super::ReplayCache::redis).
///
/// # The key layout (a public contract)
///
/// One key per accepted proof, written with one round trip:
///
/// ```text
/// SET jwt:dpop:jti:<jkt>:<jti> 1 NX PX <milliseconds>
/// ```
///
/// `<jkt>` is the RFC 7638 thumbprint of the proof key (43 base64url characters, so the key
/// splits unambiguously) and `<jti>` the proof's `jti` as sent (at most 256 bytes). The TTL
/// lasts until the proof's `iat` plus the window plus 5 seconds. `NX` answering nil means the
/// proof was seen: refused as replayed. No answer within the deadline, or an error, refuses the
/// proof with 503.
///
/// ```
/// use tower_jwt_auth::dpop::{Dpop, RedisReplayCache, ReplayCache};
///
/// let cache = RedisReplayCache::new("redis://127.0.0.1:6379")?;
/// assert_eq!(cache.key("jkt", "jti-1"), "jwt:dpop:jti:jkt:jti-1");
/// let dpop = Dpop::new("https://api.example.com")?.replay_cache(ReplayCache::redis(cache));
/// assert!(format!("{dpop:?}").contains("RedisReplayCache"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RedisReplayCache {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    manager: OnceLock<RedisResult<ConnectionManager>>,
    prefix: String,
    deadline: Duration,
    warnings: WarnLimiter,
}

impl fmt::Debug for RedisReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection info may hold a password: show the address only.
        f.debug_struct("RedisReplayCache")
            .field("addr", &self.inner.client.get_connection_info().addr())
            .field("prefix", &self.inner.prefix)
            .field("deadline", &self.inner.deadline)
            .finish_non_exhaustive()
    }
}

impl RedisReplayCache {
    /// A cache on the Redis server at `url`. Nothing connects yet.
    ///
    /// # Errors
    ///
    /// The URL can't be parsed.
    ///
    /// ```
    /// use tower_jwt_auth::dpop::RedisReplayCache;
    ///
    /// let cache = RedisReplayCache::new("redis://:hunter2@127.0.0.1:6379")?;
    /// assert!(!format!("{cache:?}").contains("hunter2"));
    /// assert!(RedisReplayCache::new("not a url").is_err());
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(url: &str) -> Result<Self, RedisError> {
        Ok(Self::from_client(Client::open(url)?))
    }

    /// A cache on an already configured [`redis::Client`].
    ///
    /// ```
    /// use tower_jwt_auth::dpop::RedisReplayCache;
    ///
    /// let cache = RedisReplayCache::from_client(redis::Client::open("redis://127.0.0.1:6379")?);
    /// assert_eq!(cache.key("t", "j"), "jwt:dpop:jti:t:j");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_client(client: Client) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                manager: OnceLock::new(),
                prefix: DEFAULT_REPLAY_PREFIX.to_owned(),
                deadline: DEFAULT_REPLAY_DEADLINE,
                warnings: WarnLimiter::default(),
            }),
        }
    }

    /// Another key prefix (default [`DEFAULT_REPLAY_PREFIX`]), for several services on one
    /// server.
    ///
    /// ```
    /// use tower_jwt_auth::dpop::RedisReplayCache;
    ///
    /// let cache = RedisReplayCache::new("redis://127.0.0.1:6379")?.prefix("orders:dpop:");
    /// assert_eq!(cache.key("t", "j"), "orders:dpop:t:j");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn prefix(self, prefix: impl Into<String>) -> Self {
        self.with(|inner| inner.prefix = prefix.into())
    }

    /// How long one check may take, connecting included (default
    /// [`DEFAULT_REPLAY_DEADLINE`]); then the proof is refused with 503.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::dpop::RedisReplayCache;
    ///
    /// let cache = RedisReplayCache::new("redis://127.0.0.1:6379")?.deadline(Duration::from_millis(100));
    /// assert!(format!("{cache:?}").contains("100ms"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn deadline(self, deadline: Duration) -> Self {
        self.with(|inner| inner.deadline = deadline)
    }

    fn with(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            client: self.inner.client.clone(),
            manager: OnceLock::new(),
            prefix: self.inner.prefix.clone(),
            deadline: self.inner.deadline,
            warnings: WarnLimiter::default(),
        };
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The key of proof `jti` by key `jkt`: `<prefix><jkt>:<jti>`.
    ///
    /// ```
    /// use tower_jwt_auth::dpop::RedisReplayCache;
    ///
    /// let cache = RedisReplayCache::new("redis://127.0.0.1:6379")?;
    /// assert_eq!(cache.key("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "e1j3V_bKic8-LAEB"),
    ///     "jwt:dpop:jti:0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I:e1j3V_bKic8-LAEB");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn key(&self, jkt: &str, jti: &str) -> String {
        format!("{}{jkt}:{jti}", self.inner.prefix)
    }

    /// `SET key 1 NX PX ttl`: fresh, replayed, or unknown (refused).
    pub(super) fn record(&self, jkt: &str, jti: &str, ttl: Duration) -> Recorded {
        let millis = crate::revocation::redis::wire::millis(ttl);
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(jkt, jti))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(millis);
        let cache = self.clone();
        Recorded::Pending(Box::pin(async move {
            let inner = &cache.inner;
            let ask = async {
                let mut conn = inner
                    .manager
                    .get_or_init(|| lazy_manager(&inner.client, inner.deadline))
                    .clone()?;
                cmd.query_async::<Value>(&mut conn).await
            };
            match tokio::time::timeout(inner.deadline, ask).await {
                Ok(Ok(Value::Okay)) => Ok(()),
                Ok(Ok(Value::Nil)) => Err(replayed()),
                Ok(Ok(_)) => {
                    inner.warnings.warn(|suppressed| {
                        tracing::warn!(suppressed, "DPoP replay cache: unexpected Redis answer");
                    });
                    Err(unavailable("replay cache unavailable"))
                }
                Ok(Err(error)) => {
                    inner.warnings.warn(|suppressed| {
                        tracing::warn!(%error, suppressed, "DPoP replay cache: Redis failed");
                    });
                    Err(unavailable("replay cache unavailable"))
                }
                Err(_) => {
                    inner.warnings.warn(|suppressed| {
                        tracing::warn!(
                            suppressed,
                            "DPoP replay cache: Redis did not answer in time"
                        );
                    });
                    Err(unavailable("replay cache unavailable"))
                }
            }
        }))
    }
}
