//! The crate's metrics (feature `metrics`): fixed names through the `metrics` facade, so the
//! application picks the exporter. Without the feature every function here is empty.
//!
//! Labels never carry claim values, tokens or `kid`s: `issuer` is the configured issuer string
//! (for a `{tenantid}` issuer, the template).

use std::time::Duration;

/// A request the layer decided on: accepted (`code` `ok`) or rejected with this code.
#[inline]
pub(crate) fn request(accepted: bool, code: &'static str) {
    // Literal labels: the accepted path (every request) takes the macro's static-key path, no
    // allocation; a rejection's code is a `&'static str` label.
    #[cfg(feature = "metrics")]
    if accepted {
        metrics::counter!("jwt_auth_requests_total", "outcome" => "accepted", "code" => "ok")
            .increment(1);
    } else {
        metrics::counter!("jwt_auth_requests_total", "outcome" => "rejected", "code" => code)
            .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (accepted, code);
}

/// A lookup in the verified-token cache.
#[inline]
pub(crate) fn token_cache(hit: bool) {
    #[cfg(feature = "metrics")]
    if hit {
        metrics::counter!("jwt_auth_token_cache_hits_total").increment(1);
    } else {
        metrics::counter!("jwt_auth_token_cache_misses_total").increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = hit;
}

/// A key set fetch of `issuer`: `updated`, `not_modified` or `error`.
pub(crate) fn jwks_fetch(issuer: &str, result: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("jwt_auth_jwks_fetches_total", "issuer" => issuer.to_owned(), "result" => result)
        .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (issuer, result);
}

/// A successful key set fetch (a 304 counts): how many keys `issuer` has now, and when.
pub(crate) fn jwks_loaded(issuer: &str, keys: usize, at_unix_secs: f64) {
    #[cfg(feature = "metrics")]
    {
        #[allow(clippy::cast_precision_loss)]
        metrics::gauge!("jwt_auth_jwks_keys", "issuer" => issuer.to_owned()).set(keys as f64);
        metrics::gauge!("jwt_auth_jwks_last_success_timestamp_seconds", "issuer" => issuer.to_owned())
            .set(at_unix_secs);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (issuer, keys, at_unix_secs);
}

/// A refetch of `issuer`'s key set for a token whose `kid` it lacked.
pub(crate) fn kid_miss_refetch(issuer: &str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("jwt_auth_kid_miss_refetches_total", "issuer" => issuer.to_owned())
        .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = issuer;
}

/// A revocation check: `not_revoked`, `revoked` or `unavailable`, and how long it took.
#[inline]
pub(crate) fn revocation_check(result: &'static str, took: Duration) {
    #[cfg(feature = "metrics")]
    {
        match result {
            "not_revoked" => {
                metrics::counter!("jwt_auth_revocation_checks_total", "result" => "not_revoked")
                    .increment(1);
            }
            "revoked" => {
                metrics::counter!("jwt_auth_revocation_checks_total", "result" => "revoked")
                    .increment(1);
            }
            _ => {
                metrics::counter!("jwt_auth_revocation_checks_total", "result" => "unavailable")
                    .increment(1);
            }
        }
        metrics::histogram!("jwt_auth_revocation_check_duration_seconds")
            .record(took.as_secs_f64());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (result, took);
}

/// A DPoP proof: `accepted`, `invalid`, `replayed` or `nonce_required`.
#[inline]
pub(crate) fn dpop_proof(result: &'static str) {
    #[cfg(feature = "metrics")]
    match result {
        "accepted" => {
            metrics::counter!("jwt_auth_dpop_proofs_total", "result" => "accepted").increment(1)
        }
        "replayed" => {
            metrics::counter!("jwt_auth_dpop_proofs_total", "result" => "replayed").increment(1)
        }
        "nonce_required" => {
            metrics::counter!("jwt_auth_dpop_proofs_total", "result" => "nonce_required")
                .increment(1);
        }
        _ => metrics::counter!("jwt_auth_dpop_proofs_total", "result" => "invalid").increment(1),
    }
    #[cfg(not(feature = "metrics"))]
    let _ = result;
}

/// Whether the clock is read for the revocation histogram (only with the feature).
pub(crate) const TIMED: bool = cfg!(feature = "metrics");
