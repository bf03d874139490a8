//! [`ReplayCache`]: the DPoP proofs' `jti`s already accepted, so none is accepted twice.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use crate::digest::{DigestHash, digest};
use crate::error::{AuthError, AuthErrorKind};

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{DEFAULT_REPLAY_DEADLINE, DEFAULT_REPLAY_PREFIX, RedisReplayCache};
#[cfg(feature = "redis")]
use std::time::Duration;

/// Default capacity of the in-memory replay cache: 200,000 proofs (about 18 MiB), enough for
/// some 1,600 DPoP requests a second with the default 60-second window.
///
/// ```
/// assert_eq!(tower_jwt_auth::dpop::DEFAULT_REPLAY_CAPACITY, 200_000);
/// ```
pub const DEFAULT_REPLAY_CAPACITY: usize = 200_000;

/// Where the `jti`s of accepted DPoP proofs are remembered, each until its proof could no
/// longer be accepted (its `iat` plus the window, plus 5 seconds for clocks that disagree).
///
/// - [`memory`](Self::memory) (the default): this process only. Bounded: when it is full of
///   proofs still inside their window, new proofs are refused with 503 rather than an old `jti`
///   forgotten early.
/// - `redis` (feature `redis`): one cache for a fleet, so a proof replayed to another replica
///   is refused too.
///
/// Clones share one cache.
///
/// ```
/// use tower_jwt_auth::dpop::{Dpop, ReplayCache};
///
/// let cache = ReplayCache::memory(10_000);
/// let dpop = Dpop::new("https://api.example.com")?.replay_cache(cache.clone());
/// assert_eq!(cache.len(), 0);
/// # let _ = dpop;
/// # Ok::<_, tower_jwt_auth::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct ReplayCache(pub(crate) Store);

#[derive(Clone)]
pub(crate) enum Store {
    Memory(Arc<Memory>),
    #[cfg(feature = "redis")]
    Redis(RedisReplayCache),
}

impl fmt::Debug for ReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Store::Memory(memory) => f
                .debug_struct("ReplayCache::Memory")
                .field("capacity", &memory.capacity)
                .finish_non_exhaustive(),
            #[cfg(feature = "redis")]
            Store::Redis(redis) => f.debug_tuple("ReplayCache::Redis").field(redis).finish(),
        }
    }
}

impl Default for ReplayCache {
    fn default() -> Self {
        Self::memory(DEFAULT_REPLAY_CAPACITY)
    }
}

/// The answer of an asynchronous cache.
pub(crate) type ReplayFuture = Pin<Box<dyn Future<Output = Result<(), AuthError>> + Send>>;

/// A replay check that is done, or waits for the cache.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) enum Recorded {
    Done(Result<(), AuthError>),
    Pending(ReplayFuture),
}

pub(crate) fn replayed() -> AuthError {
    AuthError::new(AuthErrorKind::DpopReplayed, "proof replayed")
}

pub(crate) fn unavailable(description: &'static str) -> AuthError {
    AuthError::new(AuthErrorKind::ReplayCacheUnavailable, description)
}

impl ReplayCache {
    /// A cache in Redis, shared by every replica that uses the same server (see
    /// [`RedisReplayCache`] for the key layout).
    ///
    /// ```
    /// use tower_jwt_auth::dpop::{RedisReplayCache, ReplayCache};
    ///
    /// let cache = ReplayCache::redis(RedisReplayCache::new("redis://127.0.0.1:6379")?);
    /// assert!(format!("{cache:?}").starts_with("ReplayCache::Redis"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    #[must_use]
    pub fn redis(cache: RedisReplayCache) -> Self {
        Self(Store::Redis(cache))
    }

    /// A cache in this process for at most `capacity` proofs (at least 1).
    ///
    /// ```
    /// use tower_jwt_auth::dpop::ReplayCache;
    ///
    /// assert!(ReplayCache::memory(0).is_empty());
    /// ```
    #[must_use]
    pub fn memory(capacity: usize) -> Self {
        Self(Store::Memory(Arc::new(Memory {
            capacity: capacity.max(1),
            state: Mutex::new(State::default()),
        })))
    }

    /// How many proofs the cache remembers now (expired ones not yet dropped included). For a
    /// shared cache, `0`: ask the server.
    ///
    /// ```
    /// use tower_jwt_auth::dpop::ReplayCache;
    ///
    /// assert_eq!(ReplayCache::memory(10).len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.0 {
            Store::Memory(memory) => memory.lock().seen.len(),
            #[cfg(feature = "redis")]
            Store::Redis(_) => 0,
        }
    }

    /// Whether [`len`](Self::len) is zero.
    ///
    /// ```
    /// use tower_jwt_auth::dpop::ReplayCache;
    ///
    /// assert!(ReplayCache::memory(10).is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records the proof `jti` of the key `jkt`, to be remembered until `until` (seconds on the
    /// verifier's clock, which reads `now`): an error if it was already recorded, or the cache
    /// can't take it.
    pub(crate) fn record(&self, jkt: &str, jti: &str, now: f64, until: f64) -> Recorded {
        if !now.is_finite() || !until.is_finite() {
            return Recorded::Done(Err(unavailable("server clock unavailable")));
        }
        match &self.0 {
            Store::Memory(memory) => {
                let key = digest(&[Some(jkt), Some(jti)], None);
                Recorded::Done(memory.record(key, now, until))
            }
            #[cfg(feature = "redis")]
            Store::Redis(redis) => {
                let ttl = Duration::try_from_secs_f64(until - now).unwrap_or(Duration::ZERO);
                redis.record(jkt, jti, ttl)
            }
        }
    }
}

pub(crate) struct Memory {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Each recorded proof and when it may be forgotten.
    seen: HashMap<[u8; 32], f64, DigestHash>,
    /// The same, soonest to expire first.
    expiry: BinaryHeap<Reverse<(Until, [u8; 32])>>,
}

/// A finite time, ordered.
#[derive(Clone, Copy, PartialEq)]
struct Until(f64);

impl Eq for Until {}

impl PartialOrd for Until {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Until {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Memory {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is consistent between statements; a panic elsewhere can't break it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `now` and `until` are finite ([`ReplayCache::record`] checks).
    fn record(&self, key: [u8; 32], now: f64, until: f64) -> Result<(), AuthError> {
        let mut state = self.lock();
        let state = &mut *state;
        // Forget what has expired: every entry left is still inside its window.
        while let Some(Reverse((Until(expires), old))) = state.expiry.peek().copied() {
            if expires > now {
                break;
            }
            state.expiry.pop();
            if state.seen.get(&old) == Some(&expires) {
                state.seen.remove(&old);
            }
        }
        match state.seen.get(&key) {
            Some(&expires) if expires > now => return Err(replayed()),
            // Expired, but its heap entry was not reached yet (a clock that stepped back).
            Some(_) => {}
            None if state.seen.len() >= self.capacity
                || state.expiry.len() >= self.capacity.saturating_mul(2) =>
            {
                return Err(unavailable("replay cache full"));
            }
            None => {}
        }
        state.seen.insert(key, until);
        state.expiry.push(Reverse((Until(until), key)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(cache: &ReplayCache) -> &Memory {
        match &cache.0 {
            Store::Memory(memory) => memory,
            #[cfg(feature = "redis")]
            Store::Redis(_) => unreachable!(),
        }
    }

    fn code(result: Result<(), AuthError>) -> &'static str {
        result.map_or_else(|e| e.code(), |()| "ok")
    }

    #[test]
    fn a_jti_is_refused_until_it_expires_and_full_means_refuse() {
        let cache = ReplayCache::memory(2);
        let m = memory(&cache);
        let key = |i: u8| [i; 32];
        assert_eq!(code(m.record(key(1), 100.0, 160.0)), "ok");
        assert_eq!(code(m.record(key(1), 159.0, 219.0)), "dpop_replayed");
        assert_eq!(code(m.record(key(2), 101.0, 161.0)), "ok");
        assert_eq!(
            code(m.record(key(3), 102.0, 162.0)),
            "replay_cache_unavailable",
            "full: never forget a live jti"
        );
        // 160: key 1 may go, which makes room.
        assert_eq!(code(m.record(key(3), 160.0, 220.0)), "ok");
        assert_eq!(
            code(m.record(key(1), 160.0, 220.0)),
            "replay_cache_unavailable"
        );
        assert_eq!(code(m.record(key(2), 160.5, 220.0)), "dpop_replayed");
        let Recorded::Done(not_a_time) = cache.record("k", "j", f64::NAN, 1.0) else {
            panic!("the memory cache answers at once");
        };
        assert_eq!(code(not_a_time), "replay_cache_unavailable");
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn entries_expire_in_the_order_of_their_windows() {
        let cache = ReplayCache::memory(2);
        let m = memory(&cache);
        assert_eq!(code(m.record([1; 32], 100.0, 200.0)), "ok");
        assert_eq!(code(m.record([2; 32], 100.0, 150.0)), "ok");
        // At 175 the second entry has expired though recorded last: room for a third.
        assert_eq!(code(m.record([3; 32], 175.0, 275.0)), "ok");
        assert_eq!(code(m.record([1; 32], 175.0, 275.0)), "dpop_replayed");
        assert_eq!(
            code(m.record([2; 32], 176.0, 275.0)),
            "replay_cache_unavailable"
        );
        // A clock that steps back keeps entries: never a replay let through.
        assert_eq!(code(m.record([3; 32], 90.0, 190.0)), "dpop_replayed");
    }

    #[test]
    fn jkt_and_jti_are_one_key() {
        let cache = ReplayCache::memory(10);
        let done = |r: Recorded| match r {
            Recorded::Done(r) => code(r),
            Recorded::Pending(_) => "pending",
        };
        assert_eq!(done(cache.record("k1", "a", 0.0, 60.0)), "ok");
        assert_eq!(done(cache.record("k2", "a", 0.0, 60.0)), "ok");
        assert_eq!(done(cache.record("k1:a", "", 0.0, 60.0)), "ok");
        assert_eq!(done(cache.record("k1", "a", 1.0, 60.0)), "dpop_replayed");
    }
}
