//! [`RedisRevocation`]'s check: local answers first, then one round trip to Redis.

use super::*;

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
