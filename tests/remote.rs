//! Remote key sets against real JWKS servers on 127.0.0.1: rotation, early tokens, herds,
//! floods, outages, start-up while the provider is down, bad documents, caching headers,
//! the refresher's lifetime, and discovery. Durations are shrunk through each issuer's
//! `Refresh` settings; token time and staleness go through a manual clock.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tower_jwt_auth::clock::Clock;
use tower_jwt_auth::testing::{Behavior, JwksServer, ManualClock, TestKey};
use tower_jwt_auth::{
    Algorithm, AuthErrorKind, Freshness, Issuer, Refresh, RegisteredClaims, Verifier,
};

/// Settings for tests: short waits, intervals and cooldowns.
fn fast() -> Refresh {
    Refresh::default()
        .key_wait(Duration::from_millis(1500))
        .kid_miss_cooldown(Duration::from_millis(400))
        .fetch_timeout(Duration::from_millis(500))
        .retry_backoff(Duration::from_millis(20), Duration::from_millis(100))
        .initial_retry_max(Duration::from_millis(100))
}

async fn verifier_for(server: &JwksServer) -> Verifier<RegisteredClaims> {
    let verifier = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, server.jwks_url()).refresh(fast()))
        .audience(AUD)
        .build()
        .unwrap();
    ready(&verifier).await;
    verifier
}

async fn ready(verifier: &Verifier<RegisteredClaims>) {
    tokio::time::timeout(Duration::from_secs(5), verifier.ready())
        .await
        .expect("keys load");
}

/// Polls `condition` every 10 ms for up to 5 s.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn token(key: &TestKey) -> String {
    key.token(&good_claims())
}

#[tokio::test]
async fn keys_come_from_the_served_jwks() {
    let a = key_with_kid(Algorithm::RS256, "a");
    let server = JwksServer::start(&[&a]).await;
    let verifier = verifier_for(&server).await;
    let claims = verifier.verify(&token(&a)).await.unwrap();
    assert_eq!(claims.sub.as_deref(), Some("alice"));
    let status = &verifier.status()[0];
    assert_eq!(status.freshness, Freshness::Fresh);
    assert_eq!(status.keys, 1);
    assert!(status.last_refresh.is_some());
    assert_eq!(server.jwks_requests(), 1);
}

#[tokio::test]
async fn rotation_first_request_with_the_new_key_succeeds() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let b = key_with_kid(Algorithm::ES256, "b");
    let server = JwksServer::start(&[&a]).await;
    let verifier = verifier_for(&server).await;
    assert_eq!(server.jwks_requests(), 1);

    // The provider publishes B and signs with it: the very first B token passes.
    server.set_keys(&[&a, &b]);
    verifier.verify(&token(&b)).await.unwrap();
    assert_eq!(server.jwks_requests(), 2, "one kid-miss refetch");
    verifier.verify(&token(&b)).await.unwrap();
    assert_eq!(server.jwks_requests(), 2, "then B is known");

    // A is retired: once a refetch sees it gone, A tokens are refused.
    server.set_keys(&[&b]);
    tokio::time::sleep(Duration::from_millis(450)).await; // past the kid-miss cooldown
    let c = key_with_kid(Algorithm::ES256, "c");
    let err = verifier.verify(&token(&c)).await.unwrap_err(); // a miss triggers a refetch
    assert_eq!(err.kind(), AuthErrorKind::UnknownKey);
    let err = verifier.verify(&token(&a)).await.unwrap_err();
    assert_eq!(err.kind(), AuthErrorKind::UnknownKey);
    verifier.verify(&token(&b)).await.unwrap();
}

#[tokio::test]
async fn rotation_right_after_a_scheduled_refresh_still_refetches() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let b = key_with_kid(Algorithm::ES256, "b");
    let server = JwksServer::start(&[&a]).await;
    server.set_cache_control(Some("max-age=0")); // refresh at the floor
    let verifier = Verifier::builder()
        .issuer(
            Issuer::jwks_url(ISS, server.jwks_url()).refresh(
                fast()
                    .interval_bounds(Duration::from_millis(200), Duration::from_secs(3600))
                    .jitter(0.0),
            ),
        )
        .audience(AUD)
        .build()
        .unwrap();
    ready(&verifier).await;
    eventually("a scheduled refresh", || server.jwks_requests() >= 2).await;
    server.set_keys(&[&a, &b]);
    verifier.verify(&token(&b)).await.unwrap();
}

#[tokio::test]
async fn early_token_is_refused_then_accepted_after_the_cooldown() {
    let a = key_with_kid(Algorithm::EdDSA, "a");
    let b = key_with_kid(Algorithm::EdDSA, "b");
    let server = JwksServer::start(&[&a]).await;
    let verifier = verifier_for(&server).await;
    let early = token(&b);
    assert_eq!(
        verifier.verify(&early).await.unwrap_err().kind(),
        AuthErrorKind::UnknownKey
    );
    let fetches = server.jwks_requests();

    server.set_keys(&[&a, &b]);
    // Within the cooldown: refused at once, without another fetch.
    let started = Instant::now();
    assert_eq!(
        verifier.verify(&early).await.unwrap_err().kind(),
        AuthErrorKind::UnknownKey
    );
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(server.jwks_requests(), fetches);

    tokio::time::sleep(Duration::from_millis(450)).await;
    verifier.verify(&early).await.unwrap();
    assert_eq!(server.jwks_requests(), fetches + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herd_of_a_thousand_causes_one_fetch_even_with_dropped_requests() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let b = key_with_kid(Algorithm::ES256, "b");
    let server = JwksServer::start(&[&a]).await;
    let verifier = verifier_for(&server).await;
    server.set_keys(&[&a, &b]);
    server.set_latency(Duration::from_millis(300));
    let token = Arc::new(token(&b));

    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let verifier = verifier.clone();
            let token = Arc::clone(&token);
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Half the clients go away mid-wait.
    for task in tasks.iter().step_by(2) {
        task.abort();
    }
    let mut succeeded = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await {
            Ok(result) => {
                result.unwrap();
                succeeded += 1;
            }
            Err(e) => assert!(e.is_cancelled() && i % 2 == 0),
        }
    }
    assert!(succeeded >= 500, "{succeeded}");
    assert_eq!(server.jwks_requests(), 2, "exactly one kid-miss fetch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_of_random_kids_is_bounded_by_the_cooldown() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let attacker = TestKey::generate(Algorithm::ES256);
    let server = JwksServer::start(&[&a]).await;
    let verifier = verifier_for(&server).await;
    let good = token(&a);
    let cooldown = Duration::from_millis(400);
    let duration = Duration::from_millis(1300);
    let before = server.jwks_requests();
    let start = Instant::now();
    let mut i = 0u64;
    let mut slowest_good = Duration::ZERO;
    while start.elapsed() < duration {
        let forged = attacker
            .clone()
            .with_kid(format!("random-{i}"))
            .token(&good_claims());
        let err = verifier.verify(&forged).await.unwrap_err();
        assert_eq!(err.kind(), AuthErrorKind::UnknownKey);
        let t = Instant::now();
        verifier.verify(&good).await.unwrap();
        slowest_good = slowest_good.max(t.elapsed());
        i += 1;
    }
    let elapsed = start.elapsed();
    let fetches = server.jwks_requests() - before;
    let bound = 1 + (elapsed.as_millis() / cooldown.as_millis()) as usize;
    assert!(
        fetches <= bound,
        "{fetches} fetches for {i} random kids in {elapsed:?}"
    );
    assert!(fetches >= 1);
    assert!(
        slowest_good < Duration::from_millis(50),
        "valid tokens never wait: {slowest_good:?}"
    );
}

#[tokio::test]
async fn outage_serves_last_good_keys_until_max_stale_then_503() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    let clock = ManualClock::new();
    let verifier = Verifier::builder()
        .issuer(
            Issuer::jwks_url(ISS, server.jwks_url()).refresh(
                // Refreshes every 300 ms of real time, so failures start the backoff; staleness
                // is measured on the manual clock, which the test moves by hours.
                fast()
                    .interval(Duration::from_millis(300))
                    .interval_bounds(Duration::from_millis(100), Duration::from_secs(3600))
                    .max_stale(Duration::from_secs(3600)),
            ),
        )
        .audience(AUD)
        .clock(clock.clone())
        .build()
        .unwrap();
    ready(&verifier).await;
    server.set_behavior(Behavior::Down);

    // Tokens are minted at the manual clock's time, so they stay valid as it moves.
    let mint = |clock: &ManualClock| {
        let t = clock.now_unix_secs() as i64;
        a.token(&claims_with(json!({"iat": t, "exp": t + 300})))
    };
    eventually("a failed refresh", || {
        verifier.status()[0].last_error.is_some()
    })
    .await;
    clock.advance(Duration::from_secs(3000)); // due + 50 min: stale, still served
    verifier.verify(&mint(&clock)).await.unwrap();
    assert_eq!(verifier.status()[0].freshness, Freshness::Stale);

    // An unknown kid during the outage is our problem, not the client's.
    let b = key_with_kid(Algorithm::ES256, "b");
    let t = clock.now_unix_secs() as i64;
    let err = verifier
        .verify(&b.token(&claims_with(json!({"iat": t, "exp": t + 300}))))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), AuthErrorKind::KeysUnavailable);

    clock.advance(Duration::from_secs(601)); // past due + max_stale (3600 s + 0.3 s)
    let err = verifier.verify(&mint(&clock)).await.unwrap_err();
    assert_eq!(err.kind(), AuthErrorKind::KeysUnavailable);
    assert_eq!(verifier.status()[0].freshness, Freshness::Expired);
    assert!(verifier.status()[0].last_error.is_some());

    // The provider comes back: recovery within the backoff bound, no restart.
    server.set_behavior(Behavior::Serve);
    let fetches = server.jwks_requests();
    eventually("a refresh after recovery", || {
        server.jwks_requests() > fetches
    })
    .await;
    eventually("fresh keys", || {
        verifier.status()[0].freshness == Freshness::Fresh
    })
    .await;
    verifier.verify(&mint(&clock)).await.unwrap();
}

#[tokio::test]
async fn outage_answers_503_with_retry_after_through_the_layer() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    server.set_behavior(Behavior::Down);
    let layer = Verifier::builder()
        .issuer(
            Issuer::jwks_url(ISS, server.jwks_url())
                .refresh(fast().key_wait(Duration::from_millis(200))),
        )
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    let out = call(&layer, bearer(&token(&a))).await;
    out.assert_rejected(503, None);
    assert_eq!(out.headers["retry-after"], "5");
    assert_eq!(out.code(), Some("keys_unavailable"));
}

#[tokio::test]
async fn start_up_with_the_provider_down_recovers_within_seconds() {
    let a = key_with_kid(Algorithm::RS256, "a");
    let server = JwksServer::start(&[&a]).await;
    server.set_behavior(Behavior::Down);
    let layer = Verifier::builder()
        .issuer(
            Issuer::jwks_url(ISS, server.jwks_url())
                .refresh(Refresh::default().key_wait(Duration::from_millis(300))),
        )
        .audience(AUD)
        .build()
        .expect("build does not fail because the provider is down")
        .layer();
    let out = call(&layer, bearer(&token(&a))).await;
    out.assert_rejected(503, None);
    assert_eq!(
        layer.verifier().status()[0].freshness,
        Freshness::NeverLoaded
    );

    // Default retry bound while never loaded: at most 5 s apart.
    server.set_behavior(Behavior::Serve);
    let up = Instant::now();
    tokio::time::timeout(Duration::from_secs(6), layer.verifier().ready())
        .await
        .expect("loads");
    assert!(
        up.elapsed() <= Duration::from_secs(5) + Duration::from_millis(600),
        "{:?}",
        up.elapsed()
    );
    call(&layer, bearer(&token(&a))).await.assert_ok();
}

#[tokio::test]
async fn hanging_garbage_and_oversized_key_sets_fail_in_bounded_time() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    let verifier = verifier_for(&server).await;
    let b = key_with_kid(Algorithm::ES256, "b");

    let cases: Vec<(Behavior, &str)> = vec![
        (Behavior::Hang, "within"),
        (Behavior::Body(vec![b'x'; 2 * 1024 * 1024]), "larger than"),
        (Behavior::Body(b"{not json".to_vec()), "not a JWKS"),
        (
            Behavior::Body(br#"{"keys":[{"kty":"AKP","kid":"pq"}]}"#.to_vec()),
            "no usable key",
        ),
        (Behavior::Status(500), "HTTP status 500"),
    ];
    for (behavior, expected) in cases {
        server.set_behavior(behavior.clone());
        tokio::time::sleep(Duration::from_millis(450)).await; // cooldown
        let started = Instant::now();
        let err = verifier.verify(&token(&b)).await.unwrap_err();
        assert_eq!(err.kind(), AuthErrorKind::KeysUnavailable, "{behavior:?}");
        assert!(
            started.elapsed() < Duration::from_millis(1600),
            "{behavior:?}: {:?}",
            started.elapsed()
        );
        eventually("the error is reported", || {
            verifier.status()[0]
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains(expected))
        })
        .await;
        // The good keys keep working throughout.
        verifier.verify(&token(&a)).await.unwrap();
    }
}

#[tokio::test]
async fn one_unusable_key_among_good_ones_is_skipped_and_reported() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    let mut doc: serde_json::Value =
        serde_json::from_str(&tower_jwt_auth::testing::jwks(&[&a])).unwrap();
    doc["keys"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kty": "EC", "crv": "P-521", "kid": "big", "x": "AA", "y": "AA"}));
    server.set_jwks_document(doc.to_string());
    let verifier = verifier_for(&server).await;
    verifier.verify(&token(&a)).await.unwrap();
    let status = &verifier.status()[0];
    assert_eq!(status.keys, 1);
    assert_eq!(status.skipped.len(), 1);
    assert_eq!(status.skipped[0].kid.as_deref(), Some("big"));
}

#[tokio::test]
async fn etag_and_cache_control_are_honoured() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    server.set_cache_control(Some("public, max-age=1"));
    let verifier = Verifier::builder()
        .issuer(
            Issuer::jwks_url(ISS, server.jwks_url()).refresh(
                fast()
                    .interval_bounds(Duration::from_millis(300), Duration::from_millis(600))
                    .jitter(0.0),
            ),
        )
        .audience(AUD)
        .build()
        .unwrap();
    ready(&verifier).await;
    // max-age=1 s is clamped to the 600 ms ceiling: about 3 more fetches in 2 s, not 1 or 7.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let fetches = server.jwks_requests();
    assert!((3..=5).contains(&fetches), "{fetches} fetches");
    // Every refresh after the first was conditional and answered 304: keys stay, still fresh.
    assert_eq!(
        server.not_modified(),
        fetches - 1,
        "conditional GETs answered 304"
    );
    assert_eq!(verifier.status()[0].freshness, Freshness::Fresh);
    verifier.verify(&token(&a)).await.unwrap();

    // no-cache means the floor (300 ms).
    server.set_cache_control(Some("no-cache"));
    let before = server.jwks_requests();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let more = server.jwks_requests() - before;
    assert!((3..=6).contains(&more), "{more} fetches at the floor");
}

#[tokio::test]
async fn refresher_lives_as_long_as_a_handle_and_no_longer() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    server.set_cache_control(Some("max-age=0"));
    let refresh = fast().interval_bounds(Duration::from_millis(100), Duration::from_secs(1));
    let verifier = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, server.jwks_url()).refresh(refresh))
        .audience(AUD)
        .build()
        .unwrap();
    ready(&verifier).await;
    let layer = verifier.layer();
    drop(verifier);
    // The layer alone keeps it alive.
    let before = server.jwks_requests();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        server.jwks_requests() > before,
        "still refreshing while a layer exists"
    );
    drop(layer);
    tokio::time::sleep(Duration::from_millis(200)).await; // a fetch in flight may finish
    let after_drop = server.jwks_requests();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        server.jwks_requests(),
        after_drop,
        "no refresh after the last handle is gone"
    );
}

#[tokio::test]
async fn discovery_with_and_without_a_trailing_slash() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    for iss in [
        server.base_url(),
        format!("{}/", server.base_url()),
        format!("{}/tenant", server.base_url()),
    ] {
        server.set_discovery_issuer(Some(&iss));
        let verifier = Verifier::builder()
            .issuer(Issuer::discover(iss.clone()).refresh(fast()))
            .audience(AUD)
            .build()
            .unwrap();
        ready(&verifier).await;
        let token = a.token(&claims_with(json!({"iss": iss})));
        verifier.verify(&token).await.unwrap();
    }
    assert!(server.discovery_requests() >= 3);
}

#[tokio::test]
async fn discovery_issuer_mismatch_is_a_clear_error() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    server.set_discovery_issuer(Some("https://evil.example"));
    let verifier = Verifier::builder()
        .issuer(
            Issuer::discover(server.base_url())
                .refresh(fast().key_wait(Duration::from_millis(200))),
        )
        .audience(AUD)
        .build()
        .unwrap();
    eventually("the mismatch is reported", || {
        verifier.status()[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("not the configured"))
    })
    .await;
    let token = a.token(&claims_with(json!({"iss": server.base_url()})));
    assert_eq!(
        verifier.verify(&token).await.unwrap_err().kind(),
        AuthErrorKind::KeysUnavailable
    );
    assert_eq!(
        server.jwks_requests(),
        0,
        "no key set from a mismatched document"
    );
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_at_build() {
    let err = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, "http://idp.example/jwks.json").refresh(fast()))
        .audience(AUD)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("insecure_allow_http"), "{err}");
    Verifier::builder()
        .issuer(
            Issuer::jwks_url(ISS, "http://idp.example/jwks.json")
                .insecure_allow_http()
                .refresh(fast()),
        )
        .audience(AUD)
        .build()
        .unwrap();
}

#[test]
fn remote_keys_need_a_runtime() {
    let err = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, "https://idp.example/jwks.json"))
        .audience(AUD)
        .build()
        .unwrap_err();
    assert_eq!(err, tower_jwt_auth::ConfigError::NoRuntime);
}

const TENANT_A: &str = "6f1c2e4a-d9f0-4b7e-a1d2-3c4b5a697887";
const TENANT_B: &str = "0b9e1d0c-1111-4222-8333-944455556666";

#[tokio::test]
async fn multi_tenant_discovery_accepts_allowed_tenants_only() {
    let a = key_with_kid(Algorithm::RS256, "a");
    let server = JwksServer::start(&[&a]).await;
    let base = server.base_url();
    server.set_discovery_issuer(Some(&format!("{base}/{{tenantid}}/v2.0")));
    let verifier = Verifier::builder()
        .issuer(
            Issuer::discover(format!("{base}/organizations/v2.0"))
                .tenants([TENANT_A])
                .refresh(fast()),
        )
        .audience(AUD)
        .build()
        .unwrap();
    ready(&verifier).await;
    let from = |tenant: &str, tid: &str| {
        a.token(&claims_with(
            json!({"iss": format!("{base}/{tenant}/v2.0"), "tid": tid}),
        ))
    };
    verifier.verify(&from(TENANT_A, TENANT_A)).await.unwrap();
    for (tenant, tid) in [
        (TENANT_B, TENANT_B),
        (TENANT_A, TENANT_B),
        ("common", "common"),
    ] {
        let err = verifier.verify(&from(tenant, tid)).await.unwrap_err();
        assert_eq!(err.kind(), AuthErrorKind::WrongIssuer, "{tenant} {tid}");
    }
    let no_tid = a.token(&claims_with(
        json!({"iss": format!("{base}/{TENANT_A}/v2.0")}),
    ));
    assert_eq!(
        verifier.verify(&no_tid).await.unwrap_err().kind(),
        AuthErrorKind::WrongIssuer
    );
}

#[tokio::test]
async fn multi_tenant_document_without_tenants_is_a_clear_error() {
    let a = key_with_kid(Algorithm::RS256, "a");
    let server = JwksServer::start(&[&a]).await;
    let base = server.base_url();
    server.set_discovery_issuer(Some(&format!("{base}/{{tenantid}}/v2.0")));
    let verifier = Verifier::builder()
        .issuer(
            Issuer::discover(format!("{base}/common/v2.0"))
                .refresh(fast().key_wait(Duration::from_millis(200))),
        )
        .audience(AUD)
        .build()
        .unwrap();
    eventually("the multi-tenant error", || {
        verifier.status()[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("tenants"))
    })
    .await;
    let token = a.token(&claims_with(json!({"iss": format!("{base}/common/v2.0")})));
    assert_eq!(
        verifier.verify(&token).await.unwrap_err().kind(),
        AuthErrorKind::KeysUnavailable
    );

    // A template given directly needs tenants at build.
    let err = Verifier::builder()
        .issuer(
            Issuer::jwks_url(format!("{base}/{{tenantid}}/v2.0"), server.jwks_url())
                .refresh(fast()),
        )
        .audience(AUD)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("tenants"), "{err}");
}

#[tokio::test]
async fn redirects_that_leave_the_origin_are_refused_whatever_the_client() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let elsewhere = JwksServer::start(&[&a]).await;
    let server = JwksServer::start(&[&a]).await;
    server.set_behavior(Behavior::Redirect(elsewhere.jwks_url()));
    // The crate's own client stops at a cross-origin redirect; a user's client that follows
    // every redirect is caught by the final-URL check.
    for client in [None, Some(reqwest::Client::new())] {
        let mut refresh = fast().key_wait(Duration::from_millis(300));
        if let Some(client) = client.clone() {
            refresh = refresh.http_client(client);
        }
        let verifier = Verifier::builder()
            .issuer(Issuer::jwks_url(ISS, server.jwks_url()).refresh(refresh))
            .audience(AUD)
            .build()
            .unwrap();
        eventually("the redirect is refused", || {
            verifier.status()[0].last_error.is_some()
        })
        .await;
        let error = verifier.status()[0].last_error.clone().unwrap();
        assert!(
            error.contains("302") || error.contains("redirected"),
            "{error}"
        );
        assert_eq!(verifier.status()[0].keys, 0);
        let err = verifier.verify(&token(&a)).await.unwrap_err();
        assert_eq!(err.kind(), AuthErrorKind::KeysUnavailable);
    }
}

/// Through the layer, the slow path (a refetch for a new `kid`) ends in the inner service or in
/// a full rejection: status, challenge, no-store, and no inner call.
#[tokio::test]
async fn layer_slow_path_reaches_the_inner_service_or_rejects_fully() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let b = key_with_kid(Algorithm::ES256, "b");
    let server = JwksServer::start(&[&a]).await;
    let layer = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, server.jwks_url()).refresh(fast()))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    tokio::time::timeout(Duration::from_secs(5), layer.verifier().ready())
        .await
        .unwrap();

    server.set_keys(&[&a, &b]);
    let out = call(&layer, bearer(&token(&b))).await;
    out.assert_ok();
    assert_eq!(out.body, "alice");

    tokio::time::sleep(Duration::from_millis(450)).await; // past the kid-miss cooldown
    let stranger = key_with_kid(Algorithm::ES256, "never-published");
    call(&layer, bearer(&token(&stranger)))
        .await
        .assert_invalid_token("no key for this token");
}
