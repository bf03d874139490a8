//! [`RedisRevocation`]'s settings: the key prefix, how long a local answer lives, the I/O timeout.

use super::*;

impl RedisRevocation {
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
    /// ```
    /// use tower_jwt_auth::revocation::RedisRevocation;
    ///
    /// let store = RedisRevocation::new("redis://127.0.0.1:6379")?.prefix("app1:");
    /// assert_eq!(store.jti_key("https://issuer.example", "t-1"), "app1:jti:https://issuer.example:t-1");
    /// assert_eq!(store.subject_key("https://issuer.example", "alice"), "app1:sub:https://issuer.example:alice");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn prefix(self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.with(|inner| inner.prefix = prefix)
    }

    /// How long a "not revoked" answer is reused locally: the longest a revocation written by
    /// another system takes to reach this replica. Defaults to 1 second, at most
    /// [`MAX_NOT_REVOKED_TTL`] (longer values are clamped); `Duration::ZERO` asks Redis on every
    /// request.
    ///
    /// With a Redis server (not run here):
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use tower_jwt_auth::RegisteredClaims;
    /// use tower_jwt_auth::revocation::{Check, RedisRevocation, Revocation, RevocationStatus};
    ///
    /// # async fn status(check: Check) -> RevocationStatus { match check { Check::Ready(s) => s, Check::Pending(f) => f.await } }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let token: RegisteredClaims = serde_json::from_value(serde_json::json!({"iss": "https://issuer.example", "jti": "t-1", "exp": tower_jwt_auth::testing::now() + 3600}))?;
    /// let store = RedisRevocation::new("redis://127.0.0.1:6379")?.not_revoked_ttl(Duration::ZERO);
    /// assert_eq!(status(store.check(&token)).await, RevocationStatus::NotRevoked);
    /// // Not kept: the next check asks Redis again.
    /// assert!(matches!(store.check(&token), Check::Pending(_)));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn not_revoked_ttl(self, ttl: Duration) -> Self {
        self.with(|inner| inner.not_revoked_ttl = ttl.min(MAX_NOT_REVOKED_TTL))
    }

    /// The connect and response timeout of the Redis connection. Defaults to 250 ms
    /// ([`DEFAULT_IO_TIMEOUT`]).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tower_jwt_auth::RegisteredClaims;
    /// use tower_jwt_auth::revocation::{Check, RedisRevocation, Revocation, RevocationStatus};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let token: RegisteredClaims = serde_json::from_value(serde_json::json!({"iss": "https://issuer.example", "jti": "t-1", "exp": tower_jwt_auth::testing::now() + 3600}))?;
    /// // `url`: a server that accepts connections and never answers.
    /// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let url = format!("redis://{}", listener.local_addr()?);
    /// # tokio::spawn(async move { let mut held = Vec::new(); while let Ok((socket, _)) = listener.accept().await { held.push(socket); } });
    /// let store = RedisRevocation::new(&url)?.io_timeout(Duration::from_secs(1));
    /// let Check::Pending(answer) = store.check(&token) else { panic!("not cached: Redis is asked") };
    /// let start = Instant::now();
    /// assert_eq!(answer.await, RevocationStatus::Unknown);
    /// // The connection tries more than once, each time waiting out the timeout.
    /// assert!(start.elapsed() >= Duration::from_secs(2));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn io_timeout(self, timeout: Duration) -> Self {
        self.with(|inner| inner.io_timeout = timeout)
    }
}
