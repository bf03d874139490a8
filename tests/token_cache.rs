//! The verified-token cache: a repeated token skips its signature check but nothing else.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::json;
use tower_jwt_auth::testing::{Behavior, JwksServer, ManualClock, now};
use tower_jwt_auth::{Algorithm, AuthErrorKind, Issuer, Refresh, RegisteredClaims, Verifier};

fn verifier(cache: bool, clock: Option<ManualClock>) -> Verifier<RegisteredClaims> {
    let mut builder = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::RS256).jwks()))
        .audience(AUD);
    builder = if cache {
        // Explicit, so the test holds when the suite runs with TOWER_JWT_AUTH_TOKEN_CACHE=off.
        builder.token_cache_capacity(10_000)
    } else {
        builder.disable_token_cache()
    };
    if let Some(clock) = clock {
        builder = builder.clock(clock);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn token_cache_serves_a_repeated_token_without_verifying_it_again() {
    let token = key(Algorithm::RS256).token(&good_claims());
    let cached = verifier(true, None);
    let first = cached.verify(&token).await.unwrap();
    let second = cached.verify(&token).await.unwrap();
    assert!(
        Arc::ptr_eq(&first.0, &second.0),
        "the second answer comes from the cache"
    );

    let uncached = verifier(false, None);
    let first = uncached.verify(&token).await.unwrap();
    let second = uncached.verify(&token).await.unwrap();
    assert!(
        !Arc::ptr_eq(&first.0, &second.0),
        "with the cache off, every request is verified"
    );
    assert_eq!(first.sub, second.sub);
}

#[tokio::test]
async fn token_cache_checks_time_on_every_hit() {
    let clock = ManualClock::new();
    let v = verifier(true, Some(clock.clone()));
    let token =
        key(Algorithm::RS256).token(&claims_with(json!({"exp": now() + 120, "nbf": now() - 10})));
    v.verify(&token).await.unwrap();
    clock.set((now() + 181) as f64); // past exp + 60 s leeway
    assert_eq!(
        v.verify(&token).await.unwrap_err().kind(),
        AuthErrorKind::Expired
    );
    clock.set((now() - 100) as f64); // before nbf - leeway
    assert_eq!(
        v.verify(&token).await.unwrap_err().kind(),
        AuthErrorKind::NotYetValid
    );
    clock.set((now()) as f64);
    v.verify(&token).await.unwrap();
}

#[tokio::test]
async fn token_cache_stops_serving_tokens_of_a_removed_key() {
    let a = key_with_kid(Algorithm::RS256, "a");
    let b = key_with_kid(Algorithm::RS256, "b");
    let server = JwksServer::start(&[&a, &b]).await;
    let v: Verifier<RegisteredClaims> = Verifier::builder()
        .issuer(
            Issuer::jwks_url(ISS, server.jwks_url())
                .refresh(Refresh::default().kid_miss_cooldown(Duration::from_millis(1))),
        )
        .audience(AUD)
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), v.ready())
        .await
        .unwrap();
    let token = a.token(&good_claims()); // RS256 is deterministic: the same string each time
    v.verify(&token).await.unwrap();
    v.verify(&token).await.unwrap();

    // The provider drops A; a refetch (here triggered by an unknown kid) applies that.
    server.set_keys(&[&b]);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let c = key_with_kid(Algorithm::RS256, "c");
    let _ = v.verify(&c.token(&good_claims())).await;
    assert_eq!(v.status()[0].keys, 1);
    assert_eq!(
        v.verify(&token).await.unwrap_err().kind(),
        AuthErrorKind::UnknownKey
    );
}

#[tokio::test]
async fn token_cache_answers_503_past_max_stale() {
    let a = key_with_kid(Algorithm::RS256, "a");
    let server = JwksServer::start(&[&a]).await;
    let clock = ManualClock::new();
    let v: Verifier<RegisteredClaims> = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, server.jwks_url()))
        .audience(AUD)
        .clock(clock.clone())
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), v.ready())
        .await
        .unwrap();
    let token = a.token(&claims_with(json!({"exp": now() + 100_000})));
    v.verify(&token).await.unwrap();
    server.set_behavior(Behavior::Down);
    clock.advance(Duration::from_secs(600 + 3600 + 1));
    assert_eq!(
        v.verify(&token).await.unwrap_err().kind(),
        AuthErrorKind::KeysUnavailable
    );
}

#[tokio::test]
async fn token_cache_hits_honour_max_token_age() {
    let clock = ManualClock::at(1_800_000_000.0);
    let verifier = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::RS256).jwks()))
        .audience(AUD)
        .token_cache_capacity(10_000)
        .clock(clock.clone())
        .max_token_age(Duration::from_secs(600))
        .build()
        .unwrap();
    let t = 1_800_000_000_i64;
    let token = key(Algorithm::RS256).token(&claims_with(json!({"iat": t, "exp": t + 86_400})));
    let first = verifier.verify(&token).await.unwrap();
    clock.advance(Duration::from_secs(600 + 60)); // the age, plus the 60 s leeway
    let hit = verifier.verify(&token).await.unwrap();
    assert!(Arc::ptr_eq(&first.0, &hit.0), "still served from the cache");
    clock.advance(Duration::from_secs(1));
    let err = verifier.verify(&token).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.description()),
        (AuthErrorKind::Expired, "token too old")
    );
}
