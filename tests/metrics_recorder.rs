//! The metrics the quickstart test can't reach (feature `metrics`), read through a debugging
//! recorder: DPoP proofs by result, revocation checks by result with their duration histogram, a
//! key file's reads by result.
#![cfg(feature = "metrics")]
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use serde_json::json;
use tower_jwt_auth::clock::Clock;
use tower_jwt_auth::dpop::{Dpop, DpopNonce};
use tower_jwt_auth::revocation::MemoryRevocation;
use tower_jwt_auth::testing::{DpopProof, ManualClock, TestKey, now};
use tower_jwt_auth::{Algorithm, Issuer, Refresh, Verifier};

const FILE_ISS: &str = "https://file.example";

/// A store that can never answer.
/// `name{label=value,…}` → value (counters), or the number of samples (histograms).
fn values(snapshotter: &metrics_util::debugging::Snapshotter) -> BTreeMap<String, u64> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let name = format!("{}{{{}}}", key.name(), labels.join(","));
            let n = match value {
                DebugValue::Counter(n) => n,
                DebugValue::Histogram(samples) => samples.len() as u64,
                DebugValue::Gauge(g) => g.into_inner() as u64,
            };
            (name, n)
        })
        .collect()
}

#[tokio::test]
async fn dpop_proofs_and_revocation_checks_are_counted_by_result() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();

    let issuer = key(Algorithm::ES256);
    let revoked = MemoryRevocation::new();
    let verifier = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, issuer.jwks()))
        .audience(AUD)
        .revocation(revoked.clone())
        .build()
        .unwrap();
    let client = key_with_kid(Algorithm::ES256, "metrics-client");
    let bound = issuer.token(&claims_with(
        json!({"jti": "t-1", "cnf": {"jkt": client.thumbprint()}}),
    ));
    let request = |proof: String| {
        http::Request::get("/orders")
            .header("authorization", format!("DPoP {bound}"))
            .header("dpop", proof)
            .body(())
            .unwrap()
    };
    let proof =
        || DpopProof::new(&client, "GET", "https://api.example/orders").access_token(&bound);
    let layer = verifier
        .layer()
        .dpop(Dpop::new("https://api.example").unwrap());
    let once = proof().sign();
    call(&layer, request(once.clone())).await.assert_ok(); // accepted, not_revoked
    assert_eq!(
        call(&layer, request(once)).await.code(),
        Some("dpop_replayed")
    ); // replayed, not_revoked
    assert_eq!(
        call(&layer, request(proof().claim("htm", "PUT").sign()))
            .await
            .code(),
        Some("invalid_dpop_proof")
    );
    let nonces = verifier.layer().dpop(
        Dpop::new("https://api.example")
            .unwrap()
            .nonce(DpopNonce::new([3u8; 32]).unwrap()),
    );
    assert_eq!(
        call(&nonces, request(proof().sign())).await.code(),
        Some("use_dpop_nonce")
    );

    revoked.revoke_jti(ISS, "t-1", now() + 300).unwrap();
    assert_eq!(
        call(&layer, request(proof().sign())).await.code(),
        Some("revoked")
    ); // revoked
    let down = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, issuer.jwks()))
        .audience(AUD)
        .revocation(StoreDown)
        .build()
        .unwrap()
        .layer();
    let plain = issuer.token(&good_claims());
    assert_eq!(
        call(&down, bearer(&plain)).await.code(),
        Some("revocation_unavailable")
    );

    // A key file: read at start (updated), changed (updated), read again unchanged for an
    // unknown kid (not_modified: the last-success gauge moves too), garbled (error).
    let mut file = keyfile::KeyFile::new(keyfile::Layout::Plain);
    let (a, b, c) = (
        key_with_kid(Algorithm::ES256, "fa"),
        key_with_kid(Algorithm::ES256, "fb"),
        key_with_kid(Algorithm::ES256, "fc"),
    );
    let from_file = |k: &TestKey| k.token(&claims_with(json!({"iss": FILE_ISS})));
    file.write(&a.jwks(), keyfile::Write::Rename);
    let refresh = Refresh::default()
        .interval(Duration::from_secs(3600))
        .kid_miss_cooldown(Duration::ZERO);
    let clock = ManualClock::new();
    let files = Verifier::builder()
        .issuer(Issuer::jwks_file(FILE_ISS, file.path()).refresh(refresh))
        .audience(AUD)
        .clock(clock.clone())
        .build()
        .unwrap();
    files.ready().await;
    file.write(&b.jwks(), keyfile::Write::Rename);
    clock.advance(Duration::from_secs(100));
    assert!(files.verify(&from_file(&b)).await.is_ok());
    clock.advance(Duration::from_secs(100));
    let unchanged_read_at = clock.now_unix_secs();
    assert_eq!(
        files.verify(&from_file(&c)).await.unwrap_err().code(),
        "unknown_key"
    );
    file.write("garbled", keyfile::Write::Rename);
    assert_eq!(
        files.verify(&from_file(&a)).await.unwrap_err().code(),
        "keys_unavailable"
    );

    let v = values(&snapshotter);
    let get = |name: &str| v.get(name).copied().unwrap_or(0);
    let fetches = |result: &str| {
        get(&format!(
            "jwt_auth_jwks_fetches_total{{issuer={FILE_ISS},result={result}}}"
        ))
    };
    assert_eq!(
        (
            fetches("updated"),
            fetches("not_modified"),
            fetches("error")
        ),
        (2, 1, 1),
        "{v:#?}"
    );
    assert_eq!(get(&format!("jwt_auth_jwks_keys{{issuer={FILE_ISS}}}")), 1);
    assert_eq!(
        get(&format!(
            "jwt_auth_jwks_last_success_timestamp_seconds{{issuer={FILE_ISS}}}"
        )),
        unchanged_read_at as u64
    );
    assert_eq!(
        get("jwt_auth_dpop_proofs_total{result=accepted}"),
        1,
        "{v:#?}"
    );
    assert_eq!(get("jwt_auth_dpop_proofs_total{result=replayed}"), 1);
    assert_eq!(get("jwt_auth_dpop_proofs_total{result=invalid}"), 1);
    assert_eq!(get("jwt_auth_dpop_proofs_total{result=nonce_required}"), 1);
    assert_eq!(
        get("jwt_auth_revocation_checks_total{result=not_revoked}"),
        2
    );
    assert_eq!(get("jwt_auth_revocation_checks_total{result=revoked}"), 1);
    assert_eq!(
        get("jwt_auth_revocation_checks_total{result=unavailable}"),
        1
    );
    assert_eq!(get("jwt_auth_revocation_check_duration_seconds{}"), 4);
    assert_eq!(get("jwt_auth_requests_total{outcome=accepted,code=ok}"), 1);
    assert_eq!(
        get("jwt_auth_requests_total{outcome=rejected,code=dpop_replayed}"),
        1
    );
}
