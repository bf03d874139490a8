//! `tracing` events: refresh failures and key-set changes, without key material; the audit trail
//! (every rejection one event, target `tower_jwt_auth::rejected`, `info` for a 4xx, `warn` for a
//! 5xx, with `code`, `status` and, where known, `iss`, `kid`, `alg` and `source`; an accepted
//! request a `debug` event, target `tower_jwt_auth::accepted`, with `iss` and whether the cache
//! answered), never a token, a claim value or key material.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::capture::Capture;
use common::*;
use serde_json::json;
use tower_jwt_auth::dpop::Dpop;
use tower_jwt_auth::testing::{Behavior, DpopProof, JwksServer, now};
use tower_jwt_auth::{Algorithm, Issuer, Refresh, RegisteredClaims, TokenSource, Verifier};
use tracing::Level;

#[tokio::test]
async fn refresh_failures_and_key_changes_are_traced() {
    let (capture, _one_at_a_time) = Capture::start().await;

    let a = key_with_kid(Algorithm::ES256, "a");
    let b = key_with_kid(Algorithm::ES256, "b");
    let server = JwksServer::start(&[&a]).await;
    let verifier: Verifier<RegisteredClaims> = Verifier::builder()
        .issuer(
            Issuer::jwks_url(ISS, server.jwks_url())
                .refresh(Refresh::default().kid_miss_cooldown(Duration::from_millis(50))),
        )
        .audience(AUD)
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), verifier.ready())
        .await
        .unwrap();

    server.set_keys(&[&a, &b]);
    verifier.verify(&b.token(&good_claims())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    server.set_behavior(Behavior::Body(b"{\"keys\": 7}".to_vec()));
    let c = key_with_kid(Algorithm::ES256, "c");
    let _ = verifier.verify(&c.token(&good_claims())).await;

    let lines = capture.lines();
    let changed = lines
        .iter()
        .find(|l| l.contains("key set changed"))
        .expect("a change event");
    assert!(changed.starts_with(&Level::INFO.to_string()), "{changed}");
    assert!(
        changed.contains("added=1") && changed.contains("removed=0"),
        "{changed}"
    );
    let failed = lines
        .iter()
        .find(|l| l.contains("refresh failed"))
        .expect("a failure event");
    assert!(failed.starts_with(&Level::WARN.to_string()), "{failed}");
    assert!(failed.contains("not a JWKS"), "{failed}");
    let public_x = a.public_jwk()["x"].as_str().unwrap().to_owned();
    assert!(
        lines.iter().all(|l| !l.contains(&public_x)),
        "no key material in events"
    );

    // Rejected tokens and a fail-open revocation leave events, never token content.
    let down = StoreDown;
    let layer = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, a.jwks()))
        .audience(AUD)
        .revocation(down)
        .revocation_fail_open()
        .build()
        .unwrap()
        .layer();
    let accepted = a.token(&claims_with(
        serde_json::json!({ "sub": "secret-subject-1" }),
    ));
    let tampered = format!("{}x", a.token(&good_claims()));
    let foreign = b.token(&claims_with(
        serde_json::json!({ "sub": "secret-subject-2" }),
    ));
    call(&layer, bearer(&accepted)).await.assert_ok();
    call(&layer, bearer(&tampered)).await;
    call(&layer, bearer(&foreign)).await;
    let lines = capture.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("WARN") && l.contains("fail open")),
        "{lines:?}"
    );
    for token in [&accepted, &tampered, &foreign] {
        for segment in token.split('.') {
            assert!(
                lines.iter().all(|l| !l.contains(segment)),
                "a token segment in an event"
            );
        }
    }
    assert!(lines.iter().all(|l| !l.contains("secret-subject")));
}

const REJECTED: &str = "tower_jwt_auth::rejected";
const ACCEPTED: &str = "tower_jwt_auth::accepted";

#[tokio::test]
async fn rejections_and_acceptances_leave_one_event_each_without_secrets() {
    let (capture, _one_at_a_time) = Capture::start().await;
    let key = key_with_kid(Algorithm::ES256, "audit-k1");
    // The cache explicitly on (the suite also runs with TOWER_JWT_AUTH_TOKEN_CACHE=off).
    let verifier = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key.jwks()))
        .audience(AUD)
        .token_cache_capacity(10_000)
        .build()
        .unwrap();
    let layer = verifier
        .layer()
        .token_source(TokenSource::bearer())
        .token_source(TokenSource::cookie("at").unwrap());
    let secret_sub = "secret-subject-7";

    // No token.
    let events = capture
        .during(REJECTED, call(&layer, get().body(()).unwrap()))
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(
        (e.level.as_str(), e.field("code"), e.field("status")),
        ("INFO", Some("missing"), Some("401"))
    );
    assert_eq!(
        (e.field("iss"), e.field("kid"), e.field("source")),
        (None, None, None)
    );

    // An expired token: the issuer it matched, its header, its source.
    let expired = key.token(&claims_with(json!({"sub": secret_sub, "exp": now() - 600})));
    let events = capture
        .during(REJECTED, call(&layer, bearer(&expired)))
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.field("code"), Some("expired"));
    assert_eq!(e.field("iss"), Some(ISS));
    assert_eq!(e.field("kid"), Some("audit-k1"));
    assert_eq!(e.field("alg"), Some("ES256"));
    assert_eq!(e.field("source"), Some("bearer"));

    // A cookie token on a cross-origin unsafe request: 403, source cookie.
    let good = key.token(&claims_with(json!({"sub": secret_sub})));
    let cross = http::Request::post("/")
        .header("cookie", format!("at={good}"))
        .header("origin", "https://evil.example")
        .header("host", "api.example")
        .body(())
        .unwrap();
    let events = capture.during(REJECTED, call(&layer, cross)).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            events[0].field("code"),
            events[0].field("status"),
            events[0].field("source")
        ),
        (Some("csrf"), Some("403"), Some("cookie"))
    );

    // Accepted: debug, the issuer, whether the cache answered.
    let events = capture.during(ACCEPTED, call(&layer, bearer(&good))).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            events[0].level.as_str(),
            events[0].field("iss"),
            events[0].field("cached")
        ),
        ("DEBUG", Some(ISS), Some("false"))
    );
    let events = capture.during(ACCEPTED, call(&layer, bearer(&good))).await;
    assert_eq!(events[0].field("cached"), Some("true"));

    // A bad DPoP proof: source dpop.
    let dpop_layer = verifier
        .layer()
        .dpop(Dpop::new("https://api.example").unwrap());
    let client = key_with_kid(Algorithm::ES256, "audit-client");
    let bound = key.token(&claims_with(
        json!({"sub": secret_sub, "cnf": {"jkt": client.thumbprint()}}),
    ));
    let proof = DpopProof::new(&client, "POST", "https://api.example/")
        .access_token(&bound)
        .sign();
    let req = http::Request::get("/")
        .header("authorization", format!("DPoP {bound}"))
        .header("dpop", &proof)
        .body(())
        .unwrap();
    let events = capture.during(REJECTED, call(&dpop_layer, req)).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].field("code"), events[0].field("source")),
        (Some("invalid_dpop_proof"), Some("dpop"))
    );

    // Keys that never load: 503 at warn.
    let server = JwksServer::start(&[&key]).await;
    server.set_behavior(Behavior::Status(500));
    let remote = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, server.jwks_url()).refresh(
            tower_jwt_auth::Refresh::default().initial_retry_max(Duration::from_millis(200)),
        ))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    let events = capture.during(REJECTED, call(&remote, bearer(&good))).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].level.as_str(), events[0].field("status")),
        ("WARN", Some("503"))
    );

    // Nothing of a token, a claim value or a key in any event.
    let all = capture.events();
    let public_x = key.public_jwk()["x"].as_str().unwrap().to_owned();
    for event in &all {
        let text = format!("{event:?}");
        for secret in [secret_sub, &good, &expired, &bound, &proof, &public_x] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
