//! Abuse limits, each hit and answered with its clear error. The limits tested elsewhere:
//! token size (`rejections::oversized_token_gets_401_and_no_parse`), values per header
//! (`rejections::too_many_authorization_headers_are_an_invalid_request`), claims nesting
//! (`rejections::garbage_tokens_get_clear_4xx_and_no_panic`), JWKS body size and fetch time
//! (`remote::hanging_garbage_and_oversized_key_sets_fail_in_bounded_time`), unknown-kid refetch
//! rate (`remote::flood_of_random_kids_is_bounded_by_the_cooldown`).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;
use tower_jwt_auth::testing::{TestKey, jwks};
use tower_jwt_auth::{Algorithm, Issuer, JwtAuthLayer, Verifier};

#[tokio::test]
async fn limit_key_count_loads_the_first_keys_and_reports_the_rest() {
    let keys: Vec<TestKey> = (0..5)
        .map(|i| TestKey::generate(Algorithm::ES256).with_kid(format!("k{i}")))
        .collect();
    let set = jwks(&keys.iter().collect::<Vec<_>>());
    let verifier = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, set.as_str()))
        .audience(AUD)
        .max_keys(3)
        .build()
        .unwrap();
    let status = &verifier.status()[0];
    assert_eq!(status.keys, 3);
    assert_eq!(
        status.skipped.len(),
        1,
        "one report for all the excess keys"
    );
    assert_eq!(status.skipped[0].index, 3);
    assert_eq!(
        status.skipped[0].reason,
        "this and every later key: over the key-count limit"
    );
    let layer = JwtAuthLayer::new(verifier);
    call(&layer, bearer(&keys[2].token(&good_claims())))
        .await
        .assert_ok();
    call(&layer, bearer(&keys[4].token(&good_claims())))
        .await
        .assert_invalid_token("no key for this token");

    // The default limit is 100.
    let many: Vec<TestKey> = (0..101)
        .map(|i| TestKey::hmac(Algorithm::HS256, vec![i as u8; 32]).with_kid(format!("h{i}")))
        .collect();
    let verifier = Verifier::builder()
        .issuer(Issuer::static_keys(
            ISS,
            jwks(&many.iter().collect::<Vec<_>>()).as_str(),
        ))
        .audience(AUD)
        .algorithms([Algorithm::HS256])
        .build()
        .unwrap();
    assert_eq!(verifier.status()[0].keys, 100);
}

#[tokio::test]
async fn limit_kid_length_is_256_bytes_in_tokens_and_key_sets() {
    let key = key(Algorithm::ES256);
    let layer = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key.jwks()))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    let with_kid = |kid: &str| key.sign(&json!({ "alg": "ES256", "kid": kid }), &good_claims());
    // 256 bytes is a kid like any other (unknown here); 257 is malformed.
    call(&layer, bearer(&with_kid(&"k".repeat(256))))
        .await
        .assert_invalid_token("no key for this token");
    call(&layer, bearer(&with_kid(&"k".repeat(257))))
        .await
        .assert_invalid_token("kid is not a short string");

    let long = TestKey::generate(Algorithm::ES256).with_kid("k".repeat(257));
    let short = TestKey::generate(Algorithm::ES256).with_kid("short");
    let verifier = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, jwks(&[&long, &short]).as_str()))
        .audience(AUD)
        .build()
        .unwrap();
    let status = &verifier.status()[0];
    assert_eq!(status.keys, 1);
    assert_eq!(status.skipped.len(), 1);
    assert_eq!(status.skipped[0].index, 0);
}

#[tokio::test]
async fn limit_a_token_without_kid_is_tried_against_four_keys_at_most() {
    // Five kid-less keys of one family: a kid-less token costs at most four signature checks,
    // so one signed by the fifth is refused.
    let keys: Vec<TestKey> = (0..5)
        .map(|_| TestKey::generate(Algorithm::ES256))
        .collect();
    let layer = Verifier::builder()
        .issuer(Issuer::static_keys(
            ISS,
            jwks(&keys.iter().collect::<Vec<_>>()).as_str(),
        ))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    let no_kid = |key: &TestKey| key.sign(&json!({ "alg": "ES256" }), &good_claims());
    for key in &keys[..4] {
        call(&layer, bearer(&no_kid(key))).await.assert_ok();
    }
    call(&layer, bearer(&no_kid(&keys[4])))
        .await
        .assert_invalid_token("signature invalid");
}
