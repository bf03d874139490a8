//! The store's local memory of Redis's answers: "not revoked" briefly, "revoked" until the token ends.

use crate::clock::Clock;
use crate::digest::DigestHash;
use std::time::Duration;

use super::{DEFAULT_NOT_REVOKED_CAPACITY, DEFAULT_REVOKED_CAPACITY, REVOKED_MARGIN};

pub(super) fn not_revoked_cache(
    ttl: Duration,
) -> Option<moka::sync::Cache<[u8; 32], (), DigestHash>> {
    (!ttl.is_zero()).then(|| {
        moka::sync::Cache::builder()
            .max_capacity(DEFAULT_NOT_REVOKED_CAPACITY)
            .time_to_live(ttl)
            .build_with_hasher(DigestHash::default())
    })
}

/// Entries live for their own duration: until the token's `exp` plus the margin.
struct OwnTtl;

impl moka::Expiry<[u8; 32], Duration> for OwnTtl {
    fn expire_after_create(
        &self,
        _: &[u8; 32],
        ttl: &Duration,
        _: std::time::Instant,
    ) -> Option<Duration> {
        Some(*ttl)
    }
}

pub(super) fn revoked_cache() -> moka::sync::Cache<[u8; 32], Duration, DigestHash> {
    moka::sync::Cache::builder()
        .max_capacity(DEFAULT_REVOKED_CAPACITY)
        .expire_after(OwnTtl)
        .build_with_hasher(DigestHash::default())
}

/// How long a "revoked" answer about a token expiring at `exp` is remembered.
pub(super) fn revoked_ttl(exp: Option<i64>) -> Duration {
    let now = crate::clock::SystemClock.now_unix_secs();
    #[allow(clippy::cast_precision_loss)] // NumericDates are far below 2^53.
    let left = exp.map_or(0.0, |exp| exp as f64 - now);
    Duration::try_from_secs_f64(left.max(0.0))
        .unwrap_or(Duration::ZERO)
        .saturating_add(REVOKED_MARGIN)
}
