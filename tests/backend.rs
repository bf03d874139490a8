//! The signature backend follows this crate's features, never jsonwebtoken's process-wide default
//! (which panics when feature unification turns both jsonwebtoken backends on).
#![allow(clippy::unwrap_used)]

use tower_jwt_auth::{Algorithm, Issuer, RegisteredClaims, Verifier};

#[test]
fn backend_is_chosen_by_this_crates_features() {
    let expected = if cfg!(feature = "aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "rust-crypto"
    };
    assert_eq!(tower_jwt_auth::crypto_backend(), expected);
}

#[tokio::test]
async fn every_algorithm_verifies_on_the_chosen_backend() {
    use tower_jwt_auth::testing::{TestKey, now};
    for alg in [
        Algorithm::RS256,
        Algorithm::PS384,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::HS512,
    ] {
        let key = TestKey::generate(alg).with_kid("k");
        let issuer = match key.secret() {
            Some(secret) => Issuer::hmac("iss", secret),
            None => Issuer::static_keys("iss", key.jwks()),
        };
        let verifier: Verifier<RegisteredClaims> = Verifier::builder()
            .issuer(issuer)
            .audience("aud")
            .algorithms([alg])
            .build()
            .unwrap();
        let token = key.token(&serde_json::json!({"iss": "iss", "aud": "aud", "exp": now() + 60}));
        verifier
            .verify(&token)
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
    }
}
