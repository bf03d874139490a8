//! [`KeyStore`]: one issuer's keys, indexed by `kid`, replaced whole by a refresh.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use jsonwebtoken::Algorithm;

use super::*;

/// One issuer's keys: an index by `kid` (moka) plus the whole list for kid-less tokens.
///
/// Reads never await and take no contended lock: moka's read path and an `ArcSwap` load. A
/// refresh keeps the identity of every key that stays (the same `Arc`), gives a new identity to
/// every key that arrives or changes, and bumps [`generation`](Self::generation) whenever what a
/// lookup can return changed.
pub(crate) struct KeyStore {
    max_keys: usize,
    /// Unbounded on purpose: a set holds at most `max_keys` keys, and an index with a size bound
    /// could evict (or refuse to admit) a live key.
    by_kid: moka::sync::Cache<Arc<str>, Arc<[Arc<PreparedKey>]>>,
    all: ArcSwap<Vec<Arc<PreparedKey>>>,
    /// The keys without a `kid`: they may verify a token whatever its `kid`.
    kidless: ArcSwap<Vec<Arc<PreparedKey>>>,
    skipped: ArcSwap<Vec<SkippedKey>>,
    generation: AtomicU64,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("keys", &self.all.load().len())
            .field("skipped", &self.skipped.load().len())
            .finish()
    }
}

/// The keys a token with a given `kid` (or none) may be checked against, in order.
pub(crate) enum Candidates {
    /// The keys the index holds under the token's `kid`.
    Indexed(Arc<[Arc<PreparedKey>]>),
    /// The token names a `kid` the index lacks: the keys without a `kid`.
    Kidless(arc_swap::Guard<Arc<Vec<Arc<PreparedKey>>>>),
    /// The token names no `kid`: every key.
    Any(arc_swap::Guard<Arc<Vec<Arc<PreparedKey>>>>),
}

impl Candidates {
    /// The keys usable with `alg`, as many as may be tried.
    pub(crate) fn usable(
        &self,
        alg: Algorithm,
        allowed: Option<AlgSet>,
    ) -> impl Iterator<Item = &Arc<PreparedKey>> {
        let (keys, limit): (&[Arc<PreparedKey>], usize) = match self {
            Self::Indexed(keys) => (keys, MAX_KEYS_PER_KID),
            Self::Kidless(keys) | Self::Any(keys) => (keys, MAX_KIDLESS_CANDIDATES),
        };
        keys.iter()
            .filter(move |k| k.usable_with(alg, allowed))
            .take(limit)
    }

    /// Whether the index holds the token's `kid`.
    pub(crate) fn indexed(&self) -> bool {
        matches!(self, Self::Indexed(_))
    }
}

impl KeyStore {
    /// A store for at most `max_keys` keys.
    pub(crate) fn new(max_keys: usize) -> Self {
        Self {
            max_keys,
            by_kid: moka::sync::Cache::builder().build(),
            all: ArcSwap::from_pointee(Vec::new()),
            kidless: ArcSwap::from_pointee(Vec::new()),
            skipped: ArcSwap::from_pointee(Vec::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// The most keys a set may bring.
    pub(crate) fn max_keys(&self) -> usize {
        self.max_keys
    }

    /// Bumped after every refresh that changed what a lookup can return; read it *before* a
    /// lookup whose result is remembered, and compare later.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Replaces the key set, as a diff: keys that stay keep their identity and are never
    /// missing from the index. Returns how many kids were added or changed, and how many left.
    pub(crate) fn replace(&self, parsed: ParsedKeys) -> (usize, usize) {
        let old = self.all.load_full();
        let keys: Vec<Arc<PreparedKey>> = parsed
            .keys
            .into_iter()
            .map(|key| {
                old.iter()
                    .find(|k| k.same_key(&key))
                    .map_or_else(|| Arc::new(key), Arc::clone)
            })
            .collect();
        let mut grouped: HashMap<Arc<str>, Vec<Arc<PreparedKey>>> = HashMap::new();
        for key in &keys {
            if let Some(kid) = &key.kid {
                let group = grouped.entry(kid.clone()).or_default();
                if group.len() < MAX_KEYS_PER_KID {
                    group.push(key.clone());
                }
            }
        }
        // Insert new and changed groups first, then drop the kids that left.
        let mut added = 0;
        for (kid, group) in &grouped {
            let same = self.by_kid.get(kid).is_some_and(|current| {
                current.len() == group.len()
                    && current.iter().zip(group).all(|(a, b)| Arc::ptr_eq(a, b))
            });
            if !same {
                self.by_kid.insert(kid.clone(), Arc::from(group.as_slice()));
                added += 1;
            }
        }
        let unchanged =
            old.len() == keys.len() && old.iter().zip(&keys).all(|(a, b)| Arc::ptr_eq(a, b));
        let kidless: Vec<_> = keys.iter().filter(|k| k.kid.is_none()).cloned().collect();
        self.kidless.store(Arc::new(kidless));
        self.all.store(Arc::new(keys));
        let mut removed = 0;
        for key in old.iter() {
            if let Some(kid) = &key.kid
                && !grouped.contains_key(kid)
                && self.by_kid.remove(kid).is_some()
            {
                removed += 1;
            }
        }
        self.skipped.store(Arc::new(parsed.skipped));
        if !unchanged || added > 0 || removed > 0 {
            self.generation.fetch_add(1, Ordering::Release);
        }
        (added, removed)
    }

    /// The keys currently loaded.
    pub(crate) fn len(&self) -> usize {
        self.all.load().len()
    }

    /// The keys the last load skipped.
    pub(crate) fn skipped(&self) -> Arc<Vec<SkippedKey>> {
        self.skipped.load_full()
    }

    /// The keys a token naming `kid` (or none) may be checked against.
    pub(crate) fn candidates(&self, kid: Option<&str>) -> Candidates {
        match kid {
            None => Candidates::Any(self.all.load()),
            Some(kid) => match self.by_kid.get(kid) {
                Some(keys) => Candidates::Indexed(keys),
                // Keys without a `kid` (an HMAC secret, a PEM key) may sign tokens that name one.
                None => Candidates::Kidless(self.kidless.load()),
            },
        }
    }
}
