//! [`RedisRevocation`]: revocations shared by a fleet of replicas through Redis.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, RedisResult, Value};

use self::local::{not_revoked_cache, revoked_cache, revoked_ttl};
use self::wire::{REVOKE_JTI, REVOKE_SUBJECT, millis, subject_answer};
use super::{Check, Revocation, RevocationStatus, WarnLimiter, subject_covers};
use crate::claims::RegisteredClaims;
use crate::clock::{Clock, SystemClock};
use crate::digest::DigestHash;
use crate::digest::digest;

/// The default key prefix: keys are `jwt:revoked:jti:<iss>:<jti>` and
/// `jwt:revoked:sub:<iss>:<sub>`.
///
/// ```
/// use tower_jwt_auth::revocation::{DEFAULT_PREFIX, RedisRevocation};
///
/// let store = RedisRevocation::new("redis://127.0.0.1:6379")?;
/// let key = store.jti_key("https://issuer.example", "t-1");
/// assert_eq!(key, format!("{DEFAULT_PREFIX}jti:https://issuer.example:t-1"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub const DEFAULT_PREFIX: &str = "jwt:revoked:";

/// Default lifetime of a local "not revoked" answer: 1 second. A revocation another system
/// writes into Redis reaches every replica within that time.
///
/// With a Redis server (not run here):
///
/// ```no_run
/// use tower_jwt_auth::RegisteredClaims;
/// use tower_jwt_auth::revocation::{Check, DEFAULT_NOT_REVOKED_TTL, RedisRevocation, Revocation, RevocationStatus};
///
/// # async fn status(check: Check) -> RevocationStatus { match check { Check::Ready(s) => s, Check::Pending(f) => f.await } }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let token: RegisteredClaims = serde_json::from_value(serde_json::json!({"iss": "https://issuer.example", "jti": "t-1", "exp": tower_jwt_auth::testing::now() + 3600}))?;
/// # let mut redis = redis::Client::open("redis://127.0.0.1:6379")?.get_multiplexed_async_connection().await?;
/// let store = RedisRevocation::new("redis://127.0.0.1:6379")?;
/// assert_eq!(status(store.check(&token)).await, RevocationStatus::NotRevoked);
/// // Another system revokes the token...
/// let key = store.jti_key("https://issuer.example", "t-1");
/// redis::cmd("SET").arg(&key).arg(1).exec_async(&mut redis).await?;
/// // ...and this replica refuses it once its "not revoked" answer has lapsed.
/// tokio::time::sleep(DEFAULT_NOT_REVOKED_TTL).await;
/// assert_eq!(status(store.check(&token)).await, RevocationStatus::Revoked);
/// # Ok(()) }
/// ```
pub const DEFAULT_NOT_REVOKED_TTL: Duration = Duration::from_secs(1);

/// The longest a local "not revoked" answer may be reused: 1 minute. A longer
/// [`not_revoked_ttl`](RedisRevocation::not_revoked_ttl) is clamped to it.
///
/// With a Redis server (not run here):
///
/// ```no_run
/// use std::time::Duration;
/// use tower_jwt_auth::RegisteredClaims;
/// use tower_jwt_auth::revocation::{Check, MAX_NOT_REVOKED_TTL, RedisRevocation, Revocation, RevocationStatus};
///
/// # async fn status(check: Check) -> RevocationStatus { match check { Check::Ready(s) => s, Check::Pending(f) => f.await } }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let token: RegisteredClaims = serde_json::from_value(serde_json::json!({"iss": "https://issuer.example", "jti": "t-1", "exp": tower_jwt_auth::testing::now() + 3600}))?;
/// # let mut redis = redis::Client::open("redis://127.0.0.1:6379")?.get_multiplexed_async_connection().await?;
/// let store = RedisRevocation::new("redis://127.0.0.1:6379")?.not_revoked_ttl(Duration::from_secs(3600));
/// assert_eq!(status(store.check(&token)).await, RevocationStatus::NotRevoked);
/// let key = store.jti_key("https://issuer.example", "t-1");
/// redis::cmd("SET").arg(&key).arg(1).exec_async(&mut redis).await?;
/// // Seen after a minute, not after the hour asked for.
/// tokio::time::sleep(MAX_NOT_REVOKED_TTL).await;
/// assert_eq!(status(store.check(&token)).await, RevocationStatus::Revoked);
/// # Ok(()) }
/// ```
pub const MAX_NOT_REVOKED_TTL: Duration = Duration::from_secs(60);

/// Default capacity of the local "not revoked" cache, in tokens: 10,000. A token answered
/// "not revoked" is answered again at once, with no round trip, while the answer lives.
///
/// With a Redis server (not run here):
///
/// ```no_run
/// use tower_jwt_auth::RegisteredClaims;
/// use tower_jwt_auth::revocation::{Check, RedisRevocation, Revocation, RevocationStatus};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let token: RegisteredClaims = serde_json::from_value(serde_json::json!({"iss": "https://issuer.example", "jti": "t-1", "exp": tower_jwt_auth::testing::now() + 3600}))?;
/// let store = RedisRevocation::new("redis://127.0.0.1:6379")?;
/// let Check::Pending(answer) = store.check(&token) else { panic!("asks Redis") };
/// assert_eq!(answer.await, RevocationStatus::NotRevoked);
/// assert!(matches!(store.check(&token), Check::Ready(RevocationStatus::NotRevoked)));
/// # Ok(()) }
/// ```
pub const DEFAULT_NOT_REVOKED_CAPACITY: u64 = 10_000;

/// Default capacity of the local "revoked" memory, in tokens: 100,000. A token answered
/// "revoked" stays refused without a round trip until its `exp` plus 5 minutes, even once its
/// key is deleted.
///
/// With a Redis server (not run here):
///
/// ```no_run
/// use tower_jwt_auth::RegisteredClaims;
/// use tower_jwt_auth::revocation::{Check, RedisRevocation, Revocation, RevocationStatus};
///
/// # async fn status(check: Check) -> RevocationStatus { match check { Check::Ready(s) => s, Check::Pending(f) => f.await } }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let token: RegisteredClaims = serde_json::from_value(serde_json::json!({"iss": "https://issuer.example", "jti": "t-1", "exp": tower_jwt_auth::testing::now() + 3600}))?;
/// # let mut redis = redis::Client::open("redis://127.0.0.1:6379")?.get_multiplexed_async_connection().await?;
/// let store = RedisRevocation::new("redis://127.0.0.1:6379")?;
/// store.revoke_token(&token).await?;
/// assert_eq!(status(store.check(&token)).await, RevocationStatus::Revoked);
/// redis::cmd("DEL").arg(store.jti_key("https://issuer.example", "t-1")).exec_async(&mut redis).await?;
/// assert!(matches!(store.check(&token), Check::Ready(RevocationStatus::Revoked)));
/// # Ok(()) }
/// ```
pub const DEFAULT_REVOKED_CAPACITY: u64 = 100_000;

/// How long a local "revoked" answer outlives the token's `exp` (covers the verifier's leeway),
/// and how long it lasts for a token without `exp`.
const REVOKED_MARGIN: Duration = Duration::from_secs(300);

/// Default connect and response timeout of the Redis connection: 250 ms. A server that does not
/// answer makes a check [`Unknown`](RevocationStatus::Unknown), after at least that time.
///
/// ```
/// use std::time::Instant;
/// use tower_jwt_auth::RegisteredClaims;
/// use tower_jwt_auth::revocation::{Check, DEFAULT_IO_TIMEOUT, RedisRevocation, Revocation, RevocationStatus};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let token: RegisteredClaims = serde_json::from_value(serde_json::json!({"iss": "https://issuer.example", "jti": "t-1", "exp": tower_jwt_auth::testing::now() + 3600}))?;
/// // `url`: a server that accepts connections and never answers.
/// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// # let url = format!("redis://{}", listener.local_addr()?);
/// # tokio::spawn(async move { let mut held = Vec::new(); while let Ok((socket, _)) = listener.accept().await { held.push(socket); } });
/// let store = RedisRevocation::new(&url)?;
/// let Check::Pending(answer) = store.check(&token) else { panic!("asks Redis") };
/// let start = Instant::now();
/// assert_eq!(answer.await, RevocationStatus::Unknown);
/// assert!(start.elapsed() >= DEFAULT_IO_TIMEOUT);
/// # Ok(()) }
/// ```
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_millis(250);

/// A revocation store in Redis, shared by every replica that points at the same server.
///
/// # The key layout (a public contract)
///
/// Revocations are usually written by other systems (the authorization server's logout hook, an
/// admin tool, a script), so the layout is fixed and documented. With the default prefix
/// [`DEFAULT_PREFIX`] (`jwt:revoked:`):
///
/// | key | value | meaning |
/// |---|---|---|
/// | `jwt:revoked:jti:<iss>:<jti>` | anything | the token `jti` of issuer `iss` is revoked |
/// | `jwt:revoked:sub:<iss>:<sub>` | a NumericDate (integer seconds since the epoch) | every token of subject `sub` of issuer `iss` with `iat` at or before it is revoked; a token of that subject without `iat` too |
///
/// `<iss>`, `<jti>` and `<sub>` are the claim values exactly as in the token, not escaped (so
/// with two trusted issuers where one followed by `:` begins the other, such as `https://a` and
/// `https://a:8443`, a key can name a token of either). Writers set a
/// TTL of at least the tokens' remaining lifetime (plus the verifier's leeway), so the keys
/// clean themselves up. A `sub` value that is not a number revokes every token of the subject.
/// With `redis-cli`:
///
/// ```text
/// SET "jwt:revoked:jti:https://issuer.example:token-id-42" 1 EX 3600
/// SET "jwt:revoked:sub:https://issuer.example:alice" 1767225600 EX 86400
/// ```
///
/// [`revoke_jti`](Self::revoke_jti) and [`revoke_subject`](Self::revoke_subject) write exactly
/// these keys.
///
/// # Checks
///
/// One round trip per uncached check (`EXISTS` and `GET` in one pipeline). A "not revoked"
/// answer is kept locally for [`DEFAULT_NOT_REVOKED_TTL`] (so a revocation takes effect within
/// that time on every replica). A "revoked" answer is kept locally until the token's `exp`
/// plus 5 minutes (at most [`DEFAULT_REVOKED_CAPACITY`] tokens): revocations written through
/// this store only grow, so a revoked token's holder costs no further round trips, and with
/// fail-open a token this replica has answered "revoked" stays refused while Redis is down (as
/// long as it is remembered: a full memory may drop the least used answers, and the 5 minutes
/// past `exp` cover a verifier leeway up to 5 minutes). A key deleted by hand therefore lifts a
/// revocation only for tokens this replica has not seen refused.
/// Failures are never cached. The connection is
/// made lazily on the first check, reconnects in the background with capped backoff, and each
/// connect or command times out after [`DEFAULT_IO_TIMEOUT`]; the verifier's own deadline
/// (250 ms) bounds every check regardless, then its failure policy applies (fail closed by
/// default).
///
/// ```no_run
/// use tower_jwt_auth::revocation::RedisRevocation;
/// use tower_jwt_auth::{Issuer, Verifier};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let revocation = RedisRevocation::new("redis://127.0.0.1:6379")?;
/// assert_eq!(
///     revocation.jti_key("https://issuer.example", "token-id-42"),
///     "jwt:revoked:jti:https://issuer.example:token-id-42",
/// );
/// let verifier = Verifier::builder()
///     .issuer(Issuer::jwks_url("https://issuer.example", "https://issuer.example/jwks.json"))
///     .audience("api://orders")
///     .revocation(revocation)
///     .build()?;
/// let layer = verifier.layer();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRevocation {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    manager: OnceLock<RedisResult<ConnectionManager>>,
    prefix: String,
    /// Local "not revoked" answers (`None`: off), and how long they live.
    not_revoked: Option<moka::sync::Cache<[u8; 32], (), DigestHash>>,
    not_revoked_ttl: Duration,
    /// Tokens answered "revoked", until their `exp` (plus a margin): revocations only grow, so
    /// such an answer never goes stale, and a holder of a revoked token costs no round trip.
    revoked: moka::sync::Cache<[u8; 32], Duration, DigestHash>,
    /// Bumped by every revocation written through this store: a check that started before it
    /// must not cache its (possibly stale) "not revoked".
    generation: AtomicU64,
    io_timeout: Duration,
    warnings: WarnLimiter,
}

impl fmt::Debug for RedisRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection info may hold a password: show the address only.
        f.debug_struct("RedisRevocation")
            .field("addr", &self.inner.client.get_connection_info().addr())
            .field("prefix", &self.inner.prefix)
            .field("io_timeout", &self.inner.io_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisRevocation {
    /// A store on the Redis server at `url` (`redis://[:password@]host[:port][/db]`,
    /// `rediss://…` for TLS if the `redis` crate was built with it). Nothing connects yet.
    ///
    /// # Errors
    ///
    /// The URL can't be parsed.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::revocation::RedisRevocation;
    ///
    /// let store = RedisRevocation::new("redis://:hunter2@127.0.0.1:6379/2")?;
    /// assert!(!format!("{store:?}").contains("hunter2")); // the password stays out of logs
    /// assert!(RedisRevocation::new("not a url").is_err());
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(url: &str) -> Result<Self, RedisError> {
        Ok(Self::from_client(Client::open(url)?))
    }

    /// A store on an already configured [`redis::Client`], with the default settings.
    ///
    /// ```
    /// use tower_jwt_auth::revocation::RedisRevocation;
    ///
    /// let client = redis::Client::open("redis://127.0.0.1:6379")?;
    /// let store = RedisRevocation::from_client(client);
    /// assert_eq!(store.subject_key("https://issuer.example", "alice"), "jwt:revoked:sub:https://issuer.example:alice");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_client(client: Client) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                manager: OnceLock::new(),
                prefix: DEFAULT_PREFIX.to_owned(),
                not_revoked: not_revoked_cache(DEFAULT_NOT_REVOKED_TTL),
                not_revoked_ttl: DEFAULT_NOT_REVOKED_TTL,
                revoked: revoked_cache(),
                generation: AtomicU64::new(0),
                io_timeout: DEFAULT_IO_TIMEOUT,
                warnings: WarnLimiter::default(),
            }),
        }
    }

    /// The key that revokes token `jti` of issuer `iss`: `<prefix>jti:<iss>:<jti>`, the claims
    /// unescaped.
    ///
    /// ```
    /// use tower_jwt_auth::revocation::RedisRevocation;
    ///
    /// let store = RedisRevocation::new("redis://127.0.0.1:6379")?;
    /// assert_eq!(store.jti_key("https://issuer.example", "t-1"), "jwt:revoked:jti:https://issuer.example:t-1");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn jti_key(&self, iss: &str, jti: &str) -> String {
        format!("{}jti:{iss}:{jti}", self.inner.prefix)
    }

    /// The key that revokes subject `sub` of issuer `iss`: `<prefix>sub:<iss>:<sub>`, the claims
    /// unescaped.
    ///
    /// ```
    /// use tower_jwt_auth::revocation::RedisRevocation;
    ///
    /// let store = RedisRevocation::new("redis://127.0.0.1:6379")?.prefix("app1:");
    /// assert_eq!(store.subject_key("https://issuer.example", "alice"), "app1:sub:https://issuer.example:alice");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn subject_key(&self, iss: &str, sub: &str) -> String {
        format!("{}sub:{iss}:{sub}", self.inner.prefix)
    }

    fn manager(&self) -> RedisResult<ConnectionManager> {
        self.inner.manager().clone()
    }
}

impl Inner {
    /// The connection manager, created on first use (it needs the tokio runtime).
    fn manager(&self) -> &RedisResult<ConnectionManager> {
        self.manager
            .get_or_init(|| lazy_manager(&self.client, self.io_timeout))
    }
}

/// A connection manager that connects on first use, each connect and command bounded by
/// `io_timeout`, reconnecting with capped backoff.
pub(crate) fn lazy_manager(
    client: &Client,
    io_timeout: Duration,
) -> RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(io_timeout))
        .set_response_timeout(Some(io_timeout))
        .set_number_of_retries(3)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_secs(1));
    ConnectionManager::new_lazy_with_config(client.clone(), config)
}

mod check;
mod local;
mod settings;
#[cfg(test)]
mod tests;
pub(crate) mod wire;
mod write;
