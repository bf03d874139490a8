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
pub const DEFAULT_MEMORY_CAPACITY: u64 = 100_000;

/// A revocation [`MemoryRevocation`] could not take: it holds its capacity in revocations that
/// are still in force. Nothing was stored; the store never drops a revocation to make room.
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
    /// An empty store on the system clock.
    #[must_use]
    pub fn new() -> Self {
        Self::with_clock(SystemClock)
    }

    /// An empty store holding at most `capacity` revoked tokens and `capacity` revoked subjects
    /// in force at once.
    #[must_use]
    pub fn with_capacity(capacity: u64) -> Self {
        Self::with_clock_and_capacity(SystemClock, capacity)
    }

    /// An empty store that reads the time from `clock`.
    #[must_use]
    pub fn with_clock(clock: impl Clock) -> Self {
        Self::with_clock_and_capacity(clock, DEFAULT_MEMORY_CAPACITY)
    }

    /// An empty store on `clock` holding at most `capacity` revoked tokens and `capacity`
    /// revoked subjects in force at once.
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

    /// Revokes the token `jti` of issuer `iss`, whose `exp` is `exp` (a NumericDate): the entry
    /// lasts until `exp` plus [`EXP_MARGIN`] (a verifier accepts a token until `exp` plus its
    /// leeway; keep the leeway under the margin). `Ok(false)`, storing nothing, for a token past
    /// `exp` plus the margin.
    ///
    /// # Errors
    ///
    /// [`StoreFull`] when the store holds its capacity of revoked tokens in force.
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

    /// Lifts every revocation of subject `sub` of issuer `iss`.
    pub fn unrevoke_subject(&self, iss: &str, sub: &str) {
        self.inner
            .write()
            .subjects
            .remove(&digest(&[Some(iss), Some(sub)], None));
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

#[cfg(test)]
mod tests;
