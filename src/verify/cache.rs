//! The verified-token cache: a token seen before skips its signature check, never more.

use super::*;

/// A token whose signature was checked: what a later request with the same token needs to pass
/// without another signature check.
pub(crate) struct CachedToken {
    /// The `Verified<C>` of the verifier that cached it.
    pub(super) verified: Arc<dyn Any + Send + Sync>,
    pub(super) exp: f64,
    pub(super) nbf: Option<f64>,
    pub(super) iat: Option<f64>,
    pub(super) issuer: usize,
    /// The key that verified it, and how the token named it: the entry is served only while the
    /// issuer's current set would still pick this key (same identity) for this token.
    pub(super) key: Arc<PreparedKey>,
    pub(super) alg: jsonwebtoken::Algorithm,
    pub(super) kid: Option<Box<str>>,
    /// The key store's generation at which the key was last found current.
    pub(super) generation: AtomicU64,
    /// The learned tenant template the issuer matched through: served only while discovery
    /// still names that template.
    pub(super) template: Option<Arc<String>>,
    pub(super) ttl: Duration,
    /// The entry's weight in the byte budget.
    pub(super) weight: u32,
}

/// Entries live until the token's `exp`, never longer.
struct UntilExp;

impl Expiry<[u8; 32], Arc<CachedToken>> for UntilExp {
    fn expire_after_create(
        &self,
        _: &[u8; 32],
        value: &Arc<CachedToken>,
        _: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// What one cached token is taken to cost beyond its claims' JSON: the entry, the digest, moka's
/// bookkeeping and the parsed structs' headers.
const ENTRY_OVERHEAD: usize = 512;

/// The verified-token cache: moka, keyed by the SHA-256 of the whole token, bounded both in
/// entries and in bytes.
pub(crate) struct TokenCache {
    pub(super) cache: moka::sync::Cache<[u8; 32], Arc<CachedToken>, DigestHash>,
    /// The least weight of an entry: `bytes / capacity`, so the byte budget also bounds the count.
    min_weight: u64,
}

impl TokenCache {
    /// A cache of at most `capacity` tokens and about `bytes` bytes of claims, whichever is
    /// reached first.
    pub(crate) fn new(capacity: u64, bytes: u64) -> Self {
        let min_weight = (bytes / capacity.max(1)).max(1);
        Self {
            cache: moka::sync::Cache::builder()
                .max_capacity(bytes)
                .weigher(|_, entry: &Arc<CachedToken>| entry.weight)
                .expire_after(UntilExp)
                .build_with_hasher(DigestHash::default()),
            min_weight,
        }
    }

    /// An entry's weight: each claim set is held twice (the caller's `C` and the registered
    /// claims), plus a fixed overhead; never less than `min_weight`.
    pub(super) fn weight(&self, claims_len: usize) -> u32 {
        let bytes = claims_len.saturating_mul(2).saturating_add(ENTRY_OVERHEAD) as u64;
        u32::try_from(bytes.max(self.min_weight)).unwrap_or(u32::MAX)
    }

    #[cfg(test)]
    fn weighted_size(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.weighted_size()
    }
}
impl<C> Verifier<C> {
    /// Whether the issuer's current key set would still check a cached token against the key
    /// that verified it. Free while the set is unchanged (one atomic load); after a change, one
    /// index lookup, and the entry is marked current again.
    pub(super) fn key_still_current(&self, hit: &CachedToken) -> bool {
        let issuer = &self.shared.issuers[hit.issuer];
        if let (Some(template), Some(remote)) = (&hit.template, &issuer.remote)
            && !remote.template_is(template)
        {
            return false;
        }
        let store = &issuer.store;
        let generation = store.generation();
        if hit.generation.load(Ordering::Relaxed) == generation {
            return true;
        }
        let current = store
            .candidates(hit.kid.as_deref())
            .usable(hit.alg, self.shared.allowed)
            .any(|key| Arc::ptr_eq(key, &hit.key));
        if current {
            hit.generation.store(generation, Ordering::Relaxed);
        }
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyFamily;

    fn entry(cache: &TokenCache, claims_len: usize) -> Arc<CachedToken> {
        let key = PreparedKey::new(
            None,
            KeyFamily::Hmac,
            None,
            jsonwebtoken::DecodingKey::from_secret(&[7; 32]),
            32,
        );
        Arc::new(CachedToken {
            verified: Arc::new(()),
            exp: 0.0,
            nbf: None,
            iat: None,
            issuer: 0,
            key: Arc::new(key),
            alg: jsonwebtoken::Algorithm::HS256,
            kid: None,
            generation: AtomicU64::new(0),
            template: None,
            ttl: Duration::from_secs(300),
            weight: cache.weight(claims_len),
        })
    }

    #[test]
    fn the_token_cache_holds_its_byte_budget_and_its_entry_bound() {
        let budget = 1024 * 1024;
        // Large claims: the byte budget binds (12 KiB of claims weighs ~24.5 KiB).
        let cache = TokenCache::new(10_000, budget);
        for i in 0u32..2_000 {
            let mut digest = [0u8; 32];
            digest[..4].copy_from_slice(&i.to_le_bytes());
            cache.cache.insert(digest, entry(&cache, 12 * 1024));
        }
        let size = cache.weighted_size();
        assert!(size <= budget, "{size} bytes held, budget {budget}");
        assert!(cache.cache.entry_count() <= budget / (24 * 1024 + 512));
        // Small claims: the entry bound binds.
        let cache = TokenCache::new(100, budget);
        for i in 0u32..2_000 {
            let mut digest = [0u8; 32];
            digest[..4].copy_from_slice(&i.to_le_bytes());
            cache.cache.insert(digest, entry(&cache, 200));
        }
        cache.weighted_size();
        assert!(cache.cache.entry_count() <= 100);
        assert!(cache.cache.entry_count() >= 50, "the cache still caches");
    }
}
