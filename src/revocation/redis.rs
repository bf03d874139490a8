//! [`RedisRevocation`]: revocations shared by a fleet of replicas through Redis.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, RedisResult, Value};

use super::{Check, Revocation, RevocationStatus, WarnLimiter, subject_covers};
use self::local::{not_revoked_cache, revoked_cache, revoked_ttl};
use self::wire::{REVOKE_JTI, REVOKE_SUBJECT, millis, subject_answer};
use crate::claims::RegisteredClaims;
use crate::clock::{Clock, SystemClock};
use crate::digest::DigestHash;
use crate::digest::digest;

/// The default key prefix: keys are `jwt:revoked:jti:<iss>:<jti>` and
/// `jwt:revoked:sub:<iss>:<sub>`.
pub const DEFAULT_PREFIX: &str = "jwt:revoked:";

/// Default lifetime of a local "not revoked" answer: 1 second.
pub const DEFAULT_NOT_REVOKED_TTL: Duration = Duration::from_secs(1);

/// The longest a local "not revoked" answer may be reused: 1 minute.
pub const MAX_NOT_REVOKED_TTL: Duration = Duration::from_secs(60);

/// Default capacity of the local "not revoked" cache, in tokens.
pub const DEFAULT_NOT_REVOKED_CAPACITY: u64 = 10_000;

/// Default capacity of the local "revoked" memory, in tokens.
pub const DEFAULT_REVOKED_CAPACITY: u64 = 100_000;

/// How long a local "revoked" answer outlives the token's `exp` (covers the verifier's leeway),
/// and how long it lasts for a token without `exp`.
const REVOKED_MARGIN: Duration = Duration::from_secs(300);

/// Default connect and response timeout of the Redis connection: 250 ms.
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
    pub fn new(url: &str) -> Result<Self, RedisError> {
        Ok(Self::from_client(Client::open(url)?))
    }

    /// A store on an already configured [`redis::Client`].
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

    /// A store with one setting changed: a new connection and a local cache of its own (the
    /// cache's answers depend on the prefix).
    fn with(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            client: self.inner.client.clone(),
            manager: OnceLock::new(),
            prefix: self.inner.prefix.clone(),
            not_revoked: None,
            not_revoked_ttl: self.inner.not_revoked_ttl,
            revoked: revoked_cache(),
            generation: AtomicU64::new(0),
            io_timeout: self.inner.io_timeout,
            warnings: WarnLimiter::default(),
        };
        change(&mut inner);
        inner.not_revoked = not_revoked_cache(inner.not_revoked_ttl);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The key prefix. Defaults to [`DEFAULT_PREFIX`] (`jwt:revoked:`).
    #[must_use]
    pub fn prefix(self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.with(|inner| inner.prefix = prefix)
    }

    /// How long a "not revoked" answer is reused locally: the longest a revocation written by
    /// another system takes to reach this replica. Defaults to 1 second, at most
    /// [`MAX_NOT_REVOKED_TTL`] (longer values are clamped); `Duration::ZERO` asks Redis on every
    /// request.
    #[must_use]
    pub fn not_revoked_ttl(self, ttl: Duration) -> Self {
        self.with(|inner| inner.not_revoked_ttl = ttl.min(MAX_NOT_REVOKED_TTL))
    }

    /// The connect and response timeout of the Redis connection. Defaults to 250 ms.
    #[must_use]
    pub fn io_timeout(self, timeout: Duration) -> Self {
        self.with(|inner| inner.io_timeout = timeout)
    }

    /// The key that revokes token `jti` of issuer `iss`.
    #[must_use]
    pub fn jti_key(&self, iss: &str, jti: &str) -> String {
        format!("{}jti:{iss}:{jti}", self.inner.prefix)
    }

    /// The key that revokes subject `sub` of issuer `iss`.
    #[must_use]
    pub fn subject_key(&self, iss: &str, sub: &str) -> String {
        format!("{}sub:{iss}:{sub}", self.inner.prefix)
    }

    /// Revokes the token `jti` of issuer `iss`, whose `exp` is `exp` (a NumericDate), as
    /// [`MemoryRevocation::revoke_jti`](super::MemoryRevocation::revoke_jti) does:
    /// `<prefix>jti:<iss>:<jti>` set to `1` until `exp` plus [`EXP_MARGIN`](super::EXP_MARGIN)
    /// (a time to live from this machine's clock). `Ok(false)`, writing nothing, for a token
    /// past `exp` plus the margin.
    ///
    /// Atomic on the server (one Lua script) and never weakening: an existing key keeps its
    /// value and gets the longer of its time to live and this one (a key without one keeps none).
    ///
    /// # Errors
    ///
    /// Redis could not be reached or refused the command.
    pub async fn revoke_jti(&self, iss: &str, jti: &str, exp: i64) -> RedisResult<bool> {
        #[allow(clippy::cast_precision_loss)] // NumericDates are far below 2^52 s
        let left = exp as f64 + super::EXP_MARGIN.as_secs_f64() - SystemClock.now_unix_secs();
        let Some(ttl) = Duration::try_from_secs_f64(left).ok().filter(|t| !t.is_zero()) else {
            return Ok(false);
        };
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(REVOKE_JTI)
            .arg(1)
            .arg(self.jti_key(iss, jti))
            .arg(millis(ttl));
        self.write(cmd).await.map(|()| true)
    }

    /// Revokes a verified token by its `iss`, `jti` and `exp`, as
    /// [`revoke_jti`](Self::revoke_jti); `Ok(false)` for a token without them.
    ///
    /// # Errors
    ///
    /// Redis could not be reached or refused the command.
    pub async fn revoke_token(&self, claims: &RegisteredClaims) -> RedisResult<bool> {
        let (Some(iss), Some(jti), Some(exp)) = (&claims.iss, &claims.jti, claims.exp) else {
            return Ok(false);
        };
        self.revoke_jti(iss, jti, exp).await
    }

    /// Revokes every token of subject `sub` of issuer `iss` with `iat` at or before
    /// `issued_at_or_before` (a NumericDate): `<prefix>sub:<iss>:<sub>` set to that time with a
    /// time to live of `ttl` (at least the longest remaining lifetime of those tokens).
    ///
    /// Atomic on the server (one Lua script) and never weakening: an existing later time, a
    /// value that is not a time (it revokes every token), a key of another type and a longer
    /// time to live are all kept.
    ///
    /// # Errors
    ///
    /// Redis could not be reached or refused the command.
    pub async fn revoke_subject(
        &self,
        iss: &str,
        sub: &str,
        issued_at_or_before: i64,
        ttl: Duration,
    ) -> RedisResult<()> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(REVOKE_SUBJECT)
            .arg(1)
            .arg(self.subject_key(iss, sub))
            .arg(issued_at_or_before)
            .arg(millis(ttl));
        self.write(cmd).await
    }

    /// Runs one write script (atomic on the server).
    async fn write(&self, cmd: redis::Cmd) -> RedisResult<()> {
        let mut conn = self.manager()?;
        cmd.query_async::<()>(&mut conn).await?;
        // This replica sees its own revocation at once: checks in flight won't cache their
        // answers, and the answers cached so far are dropped.
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(cache) = &self.inner.not_revoked {
            cache.invalidate_all();
        }
        Ok(())
    }

    fn manager(&self) -> RedisResult<ConnectionManager> {
        self.inner.manager().clone()
    }
}

impl Inner {
    /// The connection manager, created on first use (it needs the tokio runtime).
    fn manager(&self) -> &RedisResult<ConnectionManager> {
        self.manager.get_or_init(|| {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(self.io_timeout))
                .set_response_timeout(Some(self.io_timeout))
                .set_number_of_retries(3)
                .set_min_delay(Duration::from_millis(50))
                .set_max_delay(Duration::from_secs(1));
            ConnectionManager::new_lazy_with_config(self.client.clone(), config)
        })
    }
}

impl Revocation for RedisRevocation {
    fn check(&self, token: &RegisteredClaims) -> Check {
        let Some(iss) = token.iss.as_deref() else {
            return Check::Ready(RevocationStatus::NotRevoked);
        };
        let (jti, sub, iat) = (token.jti.as_deref(), token.sub.as_deref(), token.iat);
        if jti.is_none() && sub.is_none() {
            return Check::Ready(RevocationStatus::NotRevoked);
        }
        let question = digest(&[Some(iss), jti, sub], iat);
        if self.inner.revoked.contains_key(&question) {
            return Check::Ready(RevocationStatus::Revoked);
        }
        if let Some(cache) = &self.inner.not_revoked
            && cache.contains_key(&question)
        {
            return Check::Ready(RevocationStatus::NotRevoked);
        }
        let generation = self.inner.generation.load(Ordering::SeqCst);
        let mut pipe = redis::pipe();
        // A wrong type under the subject key must not fail the jti question with it.
        pipe.ignore_errors();
        pipe.cmd("EXISTS")
            .arg(jti.map(|jti| self.jti_key(iss, jti)).unwrap_or_default());
        pipe.cmd("GET").arg(
            sub.map(|sub| self.subject_key(iss, sub))
                .unwrap_or_default(),
        );
        let (ask_jti, ask_sub) = (jti.is_some(), sub.is_some());
        let exp = token.exp;
        let store = self.clone();
        Check::Pending(Box::pin(async move {
            let mut conn = match store.manager() {
                Ok(conn) => conn,
                Err(error) => {
                    store.inner.warnings.warn(|suppressed| {
                        tracing::warn!(%error, suppressed, "revocation store: no Redis connection");
                    });
                    return RevocationStatus::Unknown;
                }
            };
            let answers: Vec<Value> = match pipe.query_async(&mut conn).await {
                Ok(answers) => answers,
                Err(error) => {
                    store.inner.warnings.warn(|suppressed| {
                        tracing::warn!(%error, suppressed, "revocation store: Redis check failed");
                    });
                    return RevocationStatus::Unknown;
                }
            };
            let (jti_found, sub_value) = match answers.as_slice() {
                [Value::Int(exists), sub_value] => (*exists > 0, sub_value),
                _ => {
                    store.inner.warnings.warn(|suppressed| {
                        tracing::warn!(suppressed, "revocation store: unexpected Redis answer");
                    });
                    return RevocationStatus::Unknown;
                }
            };
            if (ask_jti && jti_found) || (ask_sub && subject_answer(sub_value, iat)) {
                store.inner.revoked.insert(question, revoked_ttl(exp));
                return RevocationStatus::Revoked;
            }
            if let Some(cache) = &store.inner.not_revoked {
                cache.insert(question, ());
                // A revocation written through this store meanwhile: the answer may be stale.
                if store.inner.generation.load(Ordering::SeqCst) != generation {
                    cache.invalidate(&question);
                }
            }
            RevocationStatus::NotRevoked
        }))
    }
}

mod local;
#[cfg(test)]
mod tests;
mod wire;
