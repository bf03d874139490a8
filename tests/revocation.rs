//! Revocation: a revoked token is refused on its next request, cache hit or not; a store that
//! can't answer applies the failure policy within the deadline.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tower_jwt_auth::revocation::{Check, MemoryRevocation, Revocation, RevocationStatus};
use tower_jwt_auth::testing::{JwksServer, now};
use tower_jwt_auth::{
    Algorithm, AuthErrorKind, Issuer, RegisteredClaims, Verifier, VerifierBuilder,
};

fn builder() -> VerifierBuilder {
    Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
}

fn token(changes: serde_json::Value) -> String {
    key(Algorithm::ES256).token(&claims_with(changes))
}

#[tokio::test]
async fn revocation_by_jti_refuses_the_next_request_even_from_the_token_cache() {
    let store = MemoryRevocation::new();
    // The cache is on explicitly: a cached token must still be checked.
    let layer = builder()
        .token_cache_capacity(100)
        .revocation(store.clone())
        .build()
        .unwrap()
        .layer();
    let revoked = token(json!({ "jti": "t-1" }));
    let other = token(json!({ "jti": "t-2" }));
    call(&layer, bearer(&revoked)).await.assert_ok();
    call(&layer, bearer(&other)).await.assert_ok();

    store.revoke_jti(ISS, "t-1", now() + 300).unwrap();
    let outcome = call(&layer, bearer(&revoked)).await;
    outcome.assert_invalid_token("token revoked");
    assert_eq!(outcome.code(), Some("revoked"));
    call(&layer, bearer(&other)).await.assert_ok();

    // The same jti from another issuer is another token.
    store
        .revoke_jti("https://other.example", "t-2", now() + 300)
        .unwrap();
    call(&layer, bearer(&other)).await.assert_ok();
}

#[tokio::test]
async fn revocation_by_subject_refuses_tokens_issued_at_or_before_the_time() {
    let store = MemoryRevocation::new();
    let layer = builder().revocation(store.clone()).build().unwrap().layer();
    let t = now();
    let older = token(json!({ "sub": "alice", "iat": t - 10 }));
    let same_second = token(json!({ "sub": "alice", "iat": t }));
    let newer = token(json!({ "sub": "alice", "iat": t + 1 }));
    let no_iat = token(json!({ "sub": "alice", "iat": null }));
    let bob = token(json!({ "sub": "bob", "iat": t - 10 }));
    for token in [&older, &same_second, &newer, &no_iat, &bob] {
        call(&layer, bearer(token)).await.assert_ok();
    }

    store
        .revoke_subject(ISS, "alice", t, Duration::from_secs(600))
        .unwrap();
    call(&layer, bearer(&older))
        .await
        .assert_invalid_token("token revoked");
    call(&layer, bearer(&same_second))
        .await
        .assert_invalid_token("token revoked");
    call(&layer, bearer(&no_iat))
        .await
        .assert_invalid_token("token revoked");
    call(&layer, bearer(&newer)).await.assert_ok();
    call(&layer, bearer(&bob)).await.assert_ok();
}

#[tokio::test]
async fn revocation_applies_to_verifier_verify_too() {
    let store = MemoryRevocation::new();
    let verifier = builder()
        .token_cache_capacity(100)
        .revocation(store.clone())
        .build()
        .unwrap();
    let t = token(json!({ "jti": "t-3" }));
    let claims = verifier.verify(&t).await.unwrap();
    let again = verifier.verify(&t).await.unwrap();
    assert!(
        Arc::ptr_eq(&claims.0, &again.0),
        "served from the token cache"
    );
    assert_eq!(store.revoke_token(&claims), Ok(true));
    let error = verifier.verify(&t).await.unwrap_err();
    assert_eq!(error.kind(), AuthErrorKind::Revoked);
    assert_eq!(error.to_string(), "token revoked");
}

/// A store that answers after `delay` with `status`, counting its checks.
#[derive(Clone)]
struct SlowStore {
    delay: Duration,
    status: RevocationStatus,
    checks: Arc<AtomicUsize>,
}

impl SlowStore {
    fn new(delay: Duration, status: RevocationStatus) -> Self {
        Self {
            delay,
            status,
            checks: Arc::default(),
        }
    }
}

impl Revocation for SlowStore {
    fn check(&self, _: &RegisteredClaims) -> Check {
        self.checks.fetch_add(1, Ordering::SeqCst);
        let (delay, status) = (self.delay, self.status);
        Check::Pending(Box::pin(async move {
            tokio::time::sleep(delay).await;
            status
        }))
    }
}

#[tokio::test]
async fn revocation_store_answers_asynchronously() {
    let fast_no = SlowStore::new(Duration::from_millis(5), RevocationStatus::NotRevoked);
    let layer = builder()
        .revocation(fast_no.clone())
        .build()
        .unwrap()
        .layer();
    call(&layer, bearer(&token(json!({})))).await.assert_ok();
    assert_eq!(fast_no.checks.load(Ordering::SeqCst), 1);

    let fast_yes = SlowStore::new(Duration::from_millis(5), RevocationStatus::Revoked);
    let layer = builder().revocation(fast_yes).build().unwrap().layer();
    call(&layer, bearer(&token(json!({}))))
        .await
        .assert_invalid_token("token revoked");
}

#[tokio::test]
async fn revocation_store_too_slow_fails_closed_within_the_deadline() {
    let hanging = SlowStore::new(Duration::from_secs(3600), RevocationStatus::NotRevoked);
    let layer = builder()
        .revocation(hanging.clone())
        .revocation_deadline(Duration::from_millis(100))
        .build()
        .unwrap()
        .layer();
    let started = Instant::now();
    let outcome = call(&layer, bearer(&token(json!({})))).await;
    let waited = started.elapsed();
    outcome.assert_rejected(503, None);
    assert_eq!(outcome.code(), Some("revocation_unavailable"));
    assert_eq!(outcome.headers["retry-after"], "5");
    assert!(
        waited >= Duration::from_millis(100) && waited < Duration::from_secs(5),
        "the deadline bounds the wait: {waited:?}"
    );
    // A token that fails before revocation is never asked about.
    let checks = hanging.checks.load(Ordering::SeqCst);
    call(&layer, bearer(&token(json!({ "exp": now() - 3600 }))))
        .await
        .assert_invalid_token("token expired");
    assert_eq!(hanging.checks.load(Ordering::SeqCst), checks);
}

#[tokio::test]
async fn revocation_store_unknown_fails_closed_by_default_and_passes_when_open() {
    let unknown = SlowStore::new(Duration::ZERO, RevocationStatus::Unknown);
    let closed = builder()
        .revocation(unknown.clone())
        .build()
        .unwrap()
        .layer();
    let outcome = call(&closed, bearer(&token(json!({})))).await;
    outcome.assert_rejected(503, None);
    assert_eq!(outcome.code(), Some("revocation_unavailable"));

    let open = builder()
        .revocation(unknown)
        .revocation_fail_open()
        .build()
        .unwrap()
        .layer();
    call(&open, bearer(&token(json!({})))).await.assert_ok();

    let hanging = SlowStore::new(Duration::from_secs(3600), RevocationStatus::Revoked);
    let open = builder()
        .revocation(hanging)
        .revocation_deadline(Duration::from_millis(50))
        .revocation_fail_open()
        .build()
        .unwrap()
        .layer();
    call(&open, bearer(&token(json!({})))).await.assert_ok();
}

#[tokio::test]
async fn revocation_is_checked_after_keys_are_fetched_and_fail_open_never_passes_revoked() {
    // The slow path: the token's key comes from a JWKS fetched on the first request.
    let key = key_with_kid(Algorithm::ES256, "remote");
    let server = JwksServer::start(&[&key]).await;
    let store = MemoryRevocation::new();
    let layer = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, server.jwks_url()))
        .audience(AUD)
        .revocation(store.clone())
        .build()
        .unwrap()
        .layer();
    let t = key.token(&claims_with(json!({ "jti": "t-remote" })));
    store.revoke_jti(ISS, "t-remote", now() + 300).unwrap();
    call(&layer, bearer(&t))
        .await
        .assert_invalid_token("token revoked");
    assert_eq!(server.jwks_requests(), 1, "the keys were fetched");
    let fresh = key.token(&claims_with(json!({ "jti": "t-other" })));
    call(&layer, bearer(&fresh)).await.assert_ok();

    // Fail open is about a store that can't answer, not about a "revoked" answer.
    let open = builder()
        .revocation(SlowStore::new(Duration::ZERO, RevocationStatus::Revoked))
        .revocation_fail_open()
        .build()
        .unwrap()
        .layer();
    call(&open, bearer(&token(json!({}))))
        .await
        .assert_invalid_token("token revoked");
}

#[tokio::test]
async fn revocation_deadline_of_zero_is_a_configuration_error() {
    let error = builder()
        .revocation(MemoryRevocation::new())
        .revocation_deadline(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("revocation_deadline"), "{error}");
}

#[tokio::test]
async fn revocation_of_a_grpc_call_answers_unauthenticated() {
    let store = MemoryRevocation::new();
    let layer = builder().revocation(store.clone()).build().unwrap().layer();
    let t = token(json!({ "jti": "t-9" }));
    store.revoke_jti(ISS, "t-9", now() + 300).unwrap();
    let request = get()
        .header("authorization", format!("Bearer {t}"))
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    let outcome = call(&layer, request).await;
    assert_eq!(outcome.status.as_u16(), 200);
    assert_eq!(outcome.headers["grpc-status"], "16");
    assert_eq!(outcome.headers["grpc-message"], "token revoked");
    assert_eq!(outcome.inner_calls, 0);

    let down = builder()
        .revocation(SlowStore::new(Duration::ZERO, RevocationStatus::Unknown))
        .build()
        .unwrap()
        .layer();
    let request = get()
        .header("authorization", format!("Bearer {t}"))
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    let outcome = call(&down, request).await;
    assert_eq!(outcome.headers["grpc-status"], "14");
    assert_eq!(outcome.inner_calls, 0);
}

#[tokio::test]
async fn a_full_memory_store_refuses_new_revocations_and_forgets_none() {
    let clock = tower_jwt_auth::testing::ManualClock::new();
    let store = MemoryRevocation::with_clock_and_capacity(clock.clone(), 50);
    let exp = now() + 300;
    for i in 0..50 {
        assert_eq!(store.revoke_jti(ISS, &format!("t-{i}"), exp), Ok(true));
    }
    assert_eq!(
        store.revoke_jti(ISS, "t-50", exp),
        Err(tower_jwt_auth::revocation::StoreFull { capacity: 50 })
    );
    // An existing entry is still updated when full.
    assert_eq!(store.revoke_jti(ISS, "t-0", exp + 60), Ok(true));
    let layer = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
        .clock(clock.clone())
        .revocation(store.clone())
        .build()
        .unwrap()
        .layer();
    for i in 0..50 {
        let t = key(Algorithm::ES256)
            .token(&claims_with(json!({ "jti": format!("t-{i}"), "exp": exp })));
        call(&layer, bearer(&t))
            .await
            .assert_invalid_token("token revoked");
    }
    // Once revocations run out (exp + 5 min), the room comes back.
    clock.advance(std::time::Duration::from_secs(300 + 301));
    assert_eq!(store.revoke_jti(ISS, "t-50", now() + 900), Ok(true));
}
