//! [`MemoryRevocation`]'s writes: revoking tokens and subjects, and lifting a subject's revocation.

use super::*;

impl MemoryRevocation {
    /// Revokes the token `jti` of issuer `iss`, whose `exp` is `exp` (a NumericDate): the entry
    /// lasts until `exp` plus [`EXP_MARGIN`] (a verifier accepts a token until `exp` plus its
    /// leeway; keep the leeway under the margin). `Ok(false)`, storing nothing, for a token past
    /// `exp` plus the margin.
    ///
    /// # Errors
    ///
    /// [`StoreFull`] when the store holds its capacity of revoked tokens in force.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::RegisteredClaims;
    /// use tower_jwt_auth::revocation::{Check, MemoryRevocation, Revocation};
    /// # use tower_jwt_auth::revocation::RevocationStatus::{NotRevoked, Revoked};
    ///
    /// # let exp = tower_jwt_auth::testing::now() + 3600;
    /// let store = MemoryRevocation::new();
    /// assert!(store.revoke_jti("https://issuer.example", "t-1", exp)?);
    /// let token: RegisteredClaims = serde_json::from_value(serde_json::json!({
    ///     "iss": "https://issuer.example", "jti": "t-1", "exp": exp,
    /// }))?;
    /// assert!(matches!(store.check(&token), Check::Ready(Revoked)));
    ///
    /// // The same `jti` from another issuer is another token.
    /// let other: RegisteredClaims = serde_json::from_value(serde_json::json!({
    ///     "iss": "https://other.example", "jti": "t-1", "exp": exp,
    /// }))?;
    /// assert!(matches!(store.check(&other), Check::Ready(NotRevoked)));
    ///
    /// // A token that ended long ago: nothing to store.
    /// assert!(!store.revoke_jti("https://issuer.example", "t-0", 1_000_000_000)?);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn revoke_jti(&self, iss: &str, jti: &str, exp: i64) -> Result<bool, StoreFull> {
        let now = self.inner.clock.now_unix_secs();
        #[allow(clippy::cast_precision_loss)] // NumericDates are far below 2^53.
        let until = exp as f64 + EXP_MARGIN.as_secs_f64();
        // Past its end: nothing to store. (A clock that can't tell the time stores it.)
        if until <= now {
            return Ok(false);
        }
        let key = digest(&[Some(iss), Some(jti)], None);
        let mut maps = self.inner.write();
        maps.purge(now);
        let room = self.inner.has_room(maps.tokens.len());
        match maps.tokens.get_mut(&key) {
            Some(current) if *current >= until => return Ok(true),
            Some(current) => *current = until,
            None if !room => return Err(self.inner.full()),
            None => {
                maps.tokens.insert(key, until);
            }
        }
        maps.schedule(Due {
            at: until,
            subject: false,
            key,
        });
        Ok(true)
    }

    /// Revokes a verified token by its claims: its `iss` + `jti` until its `exp`. `Ok(false)`
    /// when the token lacks one of the three (it can then only be revoked by subject), or when
    /// [`revoke_jti`](Self::revoke_jti) stored nothing.
    ///
    /// # Errors
    ///
    /// [`StoreFull`], as [`revoke_jti`](Self::revoke_jti).
    ///
    /// # Example
    ///
    /// A logout handler revokes the very token it was called with:
    ///
    /// ```
    /// use tower_jwt_auth::revocation::MemoryRevocation;
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]);
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "jti": "t-1", "exp": tower_jwt_auth::testing::now() + 60}));
    /// let store = MemoryRevocation::new();
    /// # let verifier = Verifier::builder().issuer(Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([Algorithm::HS256]).revocation(store.clone()).build()?;
    /// let claims = verifier.verify(&token).await?;
    /// assert!(store.revoke_token(&claims)?);
    /// assert_eq!(verifier.verify(&token).await.unwrap_err().code(), "revoked");
    /// # Ok(()) }
    /// ```
    pub fn revoke_token(&self, claims: &RegisteredClaims) -> Result<bool, StoreFull> {
        let (Some(iss), Some(jti), Some(exp)) = (&claims.iss, &claims.jti, claims.exp) else {
            return Ok(false);
        };
        self.revoke_jti(iss, jti, exp)
    }

    /// Revokes every token of subject `sub` of issuer `iss` with `iat` at or before
    /// `issued_at_or_before` (a NumericDate; tokens without `iat` too), for `ttl` (at least the
    /// longest remaining lifetime of those tokens). A subject already revoked keeps the later
    /// time and the later end.
    ///
    /// # Errors
    ///
    /// [`StoreFull`] when the store holds its capacity of revoked subjects in force (a subject
    /// already revoked is always updated).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::RegisteredClaims;
    /// use tower_jwt_auth::revocation::{Check, MemoryRevocation, Revocation};
    /// # use tower_jwt_auth::revocation::RevocationStatus::{NotRevoked, Revoked};
    ///
    /// # let issued_at = |iat: i64| serde_json::from_value::<RegisteredClaims>(serde_json::json!({"iss": "https://issuer.example", "sub": "alice", "iat": iat})).unwrap();
    /// let store = MemoryRevocation::new();
    /// let day = Duration::from_secs(86_400);
    /// store.revoke_subject("https://issuer.example", "alice", 1_800_000_000, day)?;
    /// assert!(matches!(store.check(&issued_at(1_800_000_000)), Check::Ready(Revoked)));
    /// assert!(matches!(store.check(&issued_at(1_800_000_001)), Check::Ready(NotRevoked)));
    ///
    /// // Never weakens: an earlier time keeps the later one.
    /// store.revoke_subject("https://issuer.example", "alice", 1_700_000_000, day)?;
    /// assert!(matches!(store.check(&issued_at(1_800_000_000)), Check::Ready(Revoked)));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn revoke_subject(
        &self,
        iss: &str,
        sub: &str,
        issued_at_or_before: i64,
        ttl: Duration,
    ) -> Result<(), StoreFull> {
        let now = self.inner.clock.now_unix_secs();
        // A clock that can't tell the time: kept until lifted, never lost.
        let until = if now.is_finite() {
            now + ttl.as_secs_f64()
        } else {
            f64::INFINITY
        };
        let key = digest(&[Some(iss), Some(sub)], None);
        let mut maps = self.inner.write();
        maps.purge(now);
        let room = self.inner.has_room(maps.subjects.len());
        let until = match maps.subjects.get_mut(&key) {
            Some((cutoff, current)) => {
                *cutoff = (*cutoff).max(issued_at_or_before);
                if *current >= until {
                    return Ok(());
                }
                *current = until;
                until
            }
            None if !room => return Err(self.inner.full()),
            None => {
                maps.subjects.insert(key, (issued_at_or_before, until));
                until
            }
        };
        maps.schedule(Due {
            at: until,
            subject: true,
            key,
        });
        Ok(())
    }

    /// Lifts every revocation of subject `sub` of issuer `iss`. Revoked tokens (`jti`) of the
    /// subject stay revoked.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::RegisteredClaims;
    /// use tower_jwt_auth::revocation::{Check, MemoryRevocation, Revocation};
    /// # use tower_jwt_auth::revocation::RevocationStatus::{NotRevoked, Revoked};
    ///
    /// let alice: RegisteredClaims = serde_json::from_value(serde_json::json!({
    ///     "iss": "https://issuer.example", "sub": "alice", "iat": 1_800_000_000,
    /// }))?;
    /// let store = MemoryRevocation::new();
    /// store.revoke_subject("https://issuer.example", "alice", 1_800_000_000, Duration::from_secs(3600))?;
    /// assert!(matches!(store.check(&alice), Check::Ready(Revoked)));
    /// store.unrevoke_subject("https://issuer.example", "alice");
    /// assert!(matches!(store.check(&alice), Check::Ready(NotRevoked)));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn unrevoke_subject(&self, iss: &str, sub: &str) {
        self.inner
            .write()
            .subjects
            .remove(&digest(&[Some(iss), Some(sub)], None));
    }
}
