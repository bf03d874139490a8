//! [`RedisRevocation`]'s writes: revoking tokens and subjects, atomically on the server.

use super::*;
use crate::revocation::EXP_MARGIN;

impl RedisRevocation {
    /// Revokes the token `jti` of issuer `iss`, whose `exp` is `exp` (a NumericDate), as
    /// [`MemoryRevocation::revoke_jti`](crate::revocation::MemoryRevocation::revoke_jti) does:
    /// `<prefix>jti:<iss>:<jti>` set to `1` until `exp` plus [`EXP_MARGIN`](crate::revocation::EXP_MARGIN)
    /// (a time to live from this machine's clock). `Ok(false)`, writing nothing, for a token
    /// past `exp` plus the margin.
    ///
    /// Atomic on the server (one Lua script) and never weakening: an existing key keeps its
    /// value and gets the longer of its time to live and this one (a key without one keeps none).
    ///
    /// # Errors
    ///
    /// Redis could not be reached or refused the command.
    ///
    /// # Example
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
    /// # let exp = tower_jwt_auth::testing::now() + 3600;
    /// # let mut redis = redis::Client::open("redis://127.0.0.1:6379")?.get_multiplexed_async_connection().await?;
    /// let store = RedisRevocation::new("redis://127.0.0.1:6379")?;
    /// assert!(store.revoke_jti("https://issuer.example", "t-1", exp).await?);
    /// let token: RegisteredClaims = serde_json::from_value(serde_json::json!({
    ///     "iss": "https://issuer.example", "jti": "t-1", "exp": exp,
    /// }))?;
    /// assert_eq!(status(store.check(&token)).await, RevocationStatus::Revoked);
    ///
    /// // The key other systems read and write, with a time to live up to `exp` plus 5 minutes.
    /// let key = "jwt:revoked:jti:https://issuer.example:t-1";
    /// let ttl: i64 = redis::cmd("TTL").arg(key).query_async(&mut redis).await?;
    /// assert!(ttl > 3600 && ttl <= 3900);
    /// # Ok(()) }
    /// ```
    pub async fn revoke_jti(&self, iss: &str, jti: &str, exp: i64) -> RedisResult<bool> {
        #[allow(clippy::cast_precision_loss)] // NumericDates are far below 2^52 s
        let left = exp as f64 + EXP_MARGIN.as_secs_f64() - SystemClock.now_unix_secs();
        let Some(ttl) = Duration::try_from_secs_f64(left)
            .ok()
            .filter(|t| !t.is_zero())
        else {
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
    ///
    /// # Example
    ///
    /// With a Redis server (not run here): a logout handler revokes the token it was called with.
    ///
    /// ```no_run
    /// use tower_jwt_auth::revocation::RedisRevocation;
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]);
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "jti": "t-1", "exp": tower_jwt_auth::testing::now() + 60}));
    /// let store = RedisRevocation::new("redis://127.0.0.1:6379")?;
    /// # let verifier = Verifier::builder().issuer(Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([Algorithm::HS256]).revocation(store.clone()).build()?;
    /// let claims = verifier.verify(&token).await?;
    /// assert!(store.revoke_token(&claims).await?);
    /// assert_eq!(verifier.verify(&token).await.unwrap_err().code(), "revoked");
    /// # Ok(()) }
    /// ```
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
    ///
    /// # Example
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
    /// # let issued_at = |iat: i64| serde_json::from_value::<RegisteredClaims>(serde_json::json!({"iss": "https://issuer.example", "sub": "alice", "iat": iat})).unwrap();
    /// # let mut redis = redis::Client::open("redis://127.0.0.1:6379")?.get_multiplexed_async_connection().await?;
    /// let store = RedisRevocation::new("redis://127.0.0.1:6379")?;
    /// store.revoke_subject("https://issuer.example", "alice", 1_800_000_000, Duration::from_secs(86_400)).await?;
    /// assert_eq!(status(store.check(&issued_at(1_800_000_000))).await, RevocationStatus::Revoked);
    /// assert_eq!(status(store.check(&issued_at(1_800_000_001))).await, RevocationStatus::NotRevoked);
    ///
    /// let key = "jwt:revoked:sub:https://issuer.example:alice";
    /// let value: String = redis::cmd("GET").arg(key).query_async(&mut redis).await?;
    /// assert_eq!(value, "1800000000");
    /// # Ok(()) }
    /// ```
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
    /// Lifts the revocation of subject `sub` of issuer `iss` (deletes its key), as
    /// [`MemoryRevocation::unrevoke_subject`](crate::revocation::MemoryRevocation::unrevoke_subject)
    /// does; revoked tokens (`jti`) of the subject stay revoked. This replica forgets the
    /// "revoked" answers it remembered; another replica keeps refusing a token it already
    /// answered "revoked" until that token's `exp` (revocations are taken to only grow).
    ///
    /// # Errors
    ///
    /// Redis could not be reached or refused the command.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use tower_jwt_auth::revocation::RedisRevocation;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = RedisRevocation::new("redis://127.0.0.1:6379")?;
    /// store.revoke_subject("https://issuer.example", "alice", 1_800_000_000, Duration::from_secs(3600)).await?;
    /// store.unrevoke_subject("https://issuer.example", "alice").await?;
    /// let mut conn = redis::Client::open("redis://127.0.0.1:6379")?.get_multiplexed_async_connection().await?;
    /// let left: bool = redis::cmd("EXISTS").arg(store.subject_key("https://issuer.example", "alice")).query_async(&mut conn).await?;
    /// assert!(!left);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn unrevoke_subject(&self, iss: &str, sub: &str) -> RedisResult<()> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.subject_key(iss, sub));
        self.write(cmd).await?;
        self.inner.revoked.invalidate_all();
        Ok(())
    }

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
}
