//! [`MemoryRevocation`]: revocations of one process, honoured until they end.

use crate::claims::RegisteredClaims;
use crate::clock::{Clock, SystemClock};
use crate::digest::{DigestHash, digest};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use super::*;

/// Default capacity of each of [`MemoryRevocation`]'s two maps: 100,000 entries.
///
/// ```
/// use tower_jwt_auth::revocation::{DEFAULT_MEMORY_CAPACITY, MemoryRevocation, StoreFull};
///
/// # let exp = tower_jwt_auth::testing::now() + 3600;
/// let store = MemoryRevocation::new();
/// for jti in 0..DEFAULT_MEMORY_CAPACITY {
///     store.revoke_jti("https://issuer.example", &jti.to_string(), exp)?;
/// }
/// let full = store.revoke_jti("https://issuer.example", "one more", exp);
/// assert_eq!(full, Err(StoreFull { capacity: DEFAULT_MEMORY_CAPACITY }));
/// # Ok::<_, StoreFull>(())
/// ```
pub const DEFAULT_MEMORY_CAPACITY: u64 = 100_000;

/// A revocation [`MemoryRevocation`] could not take: it holds its capacity in revocations that
/// are still in force. Nothing was stored; the store never drops a revocation to make room.
///
/// ```
/// use tower_jwt_auth::revocation::{MemoryRevocation, StoreFull};
///
/// # let exp = tower_jwt_auth::testing::now() + 3600;
/// let store = MemoryRevocation::with_capacity(2);
/// store.revoke_jti("https://issuer.example", "t-1", exp)?;
/// store.revoke_jti("https://issuer.example", "t-2", exp)?;
/// let err = store.revoke_jti("https://issuer.example", "t-3", exp).unwrap_err();
/// assert_eq!(err, StoreFull { capacity: 2 });
/// assert_eq!(err.to_string(), "revocation store full: 2 revocations in force");
/// # Ok::<_, StoreFull>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFull {
    /// The capacity of the map that is full.
    pub capacity: u64,
}

impl fmt::Display for StoreFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "revocation store full: {} revocations in force",
            self.capacity
        )
    }
}

impl std::error::Error for StoreFull {}

/// When an entry stops applying, for the expiry queue (seconds by the store's clock).
#[derive(Clone, Copy, PartialEq)]
struct Due {
    at: f64,
    subject: bool,
    key: [u8; 32],
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at
            .total_cmp(&other.at)
            .then(self.subject.cmp(&other.subject))
            .then(self.key.cmp(&other.key))
    }
}

/// Whether an entry in force until `until` still applies at `now`. A clock that can't tell the
/// time (NaN) keeps every entry: a revocation never lapses by accident.
fn in_force(until: f64, now: f64) -> bool {
    !matches!(
        now.partial_cmp(&until),
        Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
    )
}

#[derive(Default)]
struct Maps {
    /// `digest(iss, jti)` → in force until.
    tokens: HashMap<[u8; 32], f64, DigestHash>,
    /// `digest(iss, sub)` → (tokens issued at or before this NumericDate are revoked, until).
    subjects: HashMap<[u8; 32], (i64, f64), DigestHash>,
    /// Every entry's end, soonest first (stale items are skipped when they come up).
    expiry: BinaryHeap<Reverse<Due>>,
}

impl Maps {
    /// Drops the entries whose time is over.
    fn purge(&mut self, now: f64) {
        while let Some(Reverse(due)) = self.expiry.peek().copied() {
            if in_force(due.at, now) {
                break;
            }
            self.expiry.pop();
            if due.subject {
                if self
                    .subjects
                    .get(&due.key)
                    .is_some_and(|(_, until)| !in_force(*until, now))
                {
                    self.subjects.remove(&due.key);
                }
            } else if self
                .tokens
                .get(&due.key)
                .is_some_and(|until| !in_force(*until, now))
            {
                self.tokens.remove(&due.key);
            }
        }
    }

    fn schedule(&mut self, due: Due) {
        self.expiry.push(Reverse(due));
        // Extended entries leave stale items behind: rebuild when they outnumber the live ones.
        let live = self.tokens.len() + self.subjects.len();
        if self.expiry.len() > 2 * live + 1024 {
            let tokens = self.tokens.iter().map(|(key, at)| Due {
                at: *at,
                subject: false,
                key: *key,
            });
            let subjects = self.subjects.iter().map(|(key, (_, at))| Due {
                at: *at,
                subject: true,
                key: *key,
            });
            self.expiry = tokens.chain(subjects).map(Reverse).collect();
        }
    }
}

/// An in-process revocation store: revocations of one process, for a single replica or tests.
/// Clones share the store.
///
/// A revoked `jti` is kept until the token's `exp` plus [`EXP_MARGIN`]; a revoked subject for
/// the time to live given (the longest lifetime of the subject's tokens). Times are read from
/// the store's [`Clock`]. A revocation that was accepted is honoured until then, always: each
/// map holds at most its capacity ([`DEFAULT_MEMORY_CAPACITY`]) of revocations in force, and a
/// revocation past that is refused with [`StoreFull`] (and a `warn` event), never stored by
/// dropping another. Writes never weaken: a later `revoke_subject` with an earlier time or a
/// shorter time to live, or a `revoke_jti` with an earlier `exp`, keeps what is in force.
///
/// ```
/// use tower_jwt_auth::RegisteredClaims;
/// use tower_jwt_auth::revocation::{Check, MemoryRevocation, Revocation};
/// # use tower_jwt_auth::revocation::RevocationStatus::Revoked;
///
/// # let exp = tower_jwt_auth::testing::now() + 3600;
/// let token: RegisteredClaims = serde_json::from_value(serde_json::json!({
///     "iss": "https://issuer.example", "jti": "t-1", "exp": exp,
/// }))?;
/// let store = MemoryRevocation::new();
/// let logout_hook = store.clone();
/// logout_hook.revoke_token(&token)?;
/// assert!(matches!(store.check(&token), Check::Ready(Revoked)));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MemoryRevocation {
    inner: Arc<MemoryInner>,
}

struct MemoryInner {
    maps: RwLock<Maps>,
    capacity: u64,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for MemoryRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let maps = self.inner.read();
        f.debug_struct("MemoryRevocation")
            .field("tokens", &maps.tokens.len())
            .field("subjects", &maps.subjects.len())
            .field("capacity", &self.inner.capacity)
            .finish()
    }
}

impl Default for MemoryRevocation {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryInner {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        // Plain data: a panic while holding the lock leaves it usable.
        self.maps.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Maps> {
        self.maps.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn full(&self) -> StoreFull {
        tracing::warn!(
            capacity = self.capacity,
            "revocation store full: a revocation was refused"
        );
        StoreFull {
            capacity: self.capacity,
        }
    }

    fn has_room(&self, len: usize) -> bool {
        (len as u64) < self.capacity
    }
}

impl MemoryRevocation {
    /// An empty store on the system clock, holding at most [`DEFAULT_MEMORY_CAPACITY`] revoked
    /// tokens and as many revoked subjects in force at once.
    ///
    /// ```
    /// use tower_jwt_auth::RegisteredClaims;
    /// use tower_jwt_auth::revocation::{Check, MemoryRevocation, Revocation};
    /// # use tower_jwt_auth::revocation::RevocationStatus::NotRevoked;
    ///
    /// # let token: RegisteredClaims = serde_json::from_value(serde_json::json!({"iss": "https://issuer.example", "sub": "alice", "jti": "t-1", "exp": tower_jwt_auth::testing::now() + 60}))?;
    /// let store = MemoryRevocation::new();
    /// assert!(matches!(store.check(&token), Check::Ready(NotRevoked)));
    /// // On the system clock, a token that ended in 2001 is long gone: nothing is stored.
    /// assert!(!store.revoke_jti("https://issuer.example", "t-0", 1_000_000_000)?);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_clock(SystemClock)
    }

    /// An empty store holding at most `capacity` revoked tokens and `capacity` revoked subjects
    /// in force at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::revocation::MemoryRevocation;
    ///
    /// # let exp = tower_jwt_auth::testing::now() + 3600;
    /// let store = MemoryRevocation::with_capacity(1);
    /// assert!(store.revoke_jti("https://issuer.example", "t-1", exp)?);
    /// assert!(store.revoke_jti("https://issuer.example", "t-1", exp)?); // already there
    /// assert!(store.revoke_jti("https://issuer.example", "t-2", exp).is_err());
    /// // Subjects have a map of their own.
    /// store.revoke_subject("https://issuer.example", "alice", 1_800_000_000, Duration::from_secs(60))?;
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_capacity(capacity: u64) -> Self {
        Self::with_clock_and_capacity(SystemClock, capacity)
    }

    /// An empty store that reads the time from `clock`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::RegisteredClaims;
    /// use tower_jwt_auth::revocation::{Check, MemoryRevocation, Revocation};
    /// use tower_jwt_auth::testing::ManualClock;
    /// # use tower_jwt_auth::revocation::RevocationStatus::{NotRevoked, Revoked};
    ///
    /// # let alice: RegisteredClaims = serde_json::from_value(serde_json::json!({"iss": "https://issuer.example", "sub": "alice", "iat": 1_799_999_000}))?;
    /// let clock = ManualClock::at(1_800_000_000.0);
    /// let store = MemoryRevocation::with_clock(clock.clone());
    /// store.revoke_subject("https://issuer.example", "alice", 1_800_000_000, Duration::from_secs(3600))?;
    /// assert!(matches!(store.check(&alice), Check::Ready(Revoked)));
    /// clock.advance(Duration::from_secs(3600)); // the time to live is over
    /// assert!(matches!(store.check(&alice), Check::Ready(NotRevoked)));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_clock(clock: impl Clock) -> Self {
        Self::with_clock_and_capacity(clock, DEFAULT_MEMORY_CAPACITY)
    }

    /// An empty store on `clock` holding at most `capacity` revoked tokens and `capacity`
    /// revoked subjects in force at once.
    ///
    /// A full store takes new revocations again once old ones end:
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::revocation::{EXP_MARGIN, MemoryRevocation};
    /// use tower_jwt_auth::testing::ManualClock;
    ///
    /// let clock = ManualClock::at(1_800_000_000.0);
    /// let store = MemoryRevocation::with_clock_and_capacity(clock.clone(), 1);
    /// store.revoke_jti("https://issuer.example", "t-1", 1_800_000_060)?;
    /// assert!(store.revoke_jti("https://issuer.example", "t-2", 1_800_003_600).is_err());
    /// clock.advance(Duration::from_secs(60) + EXP_MARGIN); // t-1 is over
    /// assert!(store.revoke_jti("https://issuer.example", "t-2", 1_800_003_600)?);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_clock_and_capacity(clock: impl Clock, capacity: u64) -> Self {
        Self {
            inner: Arc::new(MemoryInner {
                maps: RwLock::new(Maps::default()),
                capacity,
                clock: Arc::new(clock),
            }),
        }
    }

    fn status(&self, token: &RegisteredClaims) -> RevocationStatus {
        let Some(iss) = token.iss.as_deref() else {
            return RevocationStatus::NotRevoked;
        };
        let jti = token
            .jti
            .as_deref()
            .map(|jti| digest(&[Some(iss), Some(jti)], None));
        let sub = token
            .sub
            .as_deref()
            .map(|sub| digest(&[Some(iss), Some(sub)], None));
        let now = self.inner.clock.now_unix_secs();
        let maps = self.inner.read();
        let jti_revoked = jti
            .and_then(|key| maps.tokens.get(&key))
            .is_some_and(|until| in_force(*until, now));
        let sub_revoked =
            sub.and_then(|key| maps.subjects.get(&key))
                .is_some_and(|(cutoff, until)| {
                    in_force(*until, now) && subject_covers(*cutoff, token.iat)
                });
        if jti_revoked || sub_revoked {
            RevocationStatus::Revoked
        } else {
            RevocationStatus::NotRevoked
        }
    }
}

impl Revocation for MemoryRevocation {
    fn check(&self, token: &RegisteredClaims) -> Check {
        Check::Ready(self.status(token))
    }
}

mod revoke;
#[cfg(test)]
mod tests;
