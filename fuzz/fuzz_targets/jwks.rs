//! Arbitrary bytes as a JWKS document: parsed key by key, bounded, never a panic; a set that
//! loads verifies nothing it should not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_jwt_auth::JwsVerifier;
use tower_jwt_auth::{Algorithm, Issuer, RegisteredClaims, Verifier};

const ALL: [Algorithm; 12] = tower_jwt_auth::testing::ALGORITHMS;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(verifier) = JwsVerifier::from_jwks(document, ALL) {
        // A fixed, unsigned-looking token never verifies against whatever loaded.
        assert!(verifier.verify("eyJhbGciOiJIUzI1NiJ9.e30.AAAA").is_err());
    }
    let _ = Verifier::<RegisteredClaims>::builder()
        .issuer(Issuer::static_keys("https://issuer.example", document))
        .audience("api")
        .algorithms([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA])
        .build();
});
