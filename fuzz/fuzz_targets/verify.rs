//! Arbitrary bytes as a token through `Verifier::verify` with static keys of every family: no
//! panic, and nothing but a token signed by the HS256 key ever verifies.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tower_jwt_auth::testing::{TestKey, jwks};
use tower_jwt_auth::{Algorithm, Issuer, RegisteredClaims, Verifier};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    verifier: Verifier<RegisteredClaims>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // The HMAC key is fixed, so the seed corpus holds validly signed tokens; the others
        // are fresh, so their signatures fail, after the whole header has been read.
        let hmac = TestKey::hmac(Algorithm::HS256, *b"fuzzing-secret-fuzzing-secret-32").with_kid("h");
        let public = [
            TestKey::generate(Algorithm::RS256).with_kid("r"),
            TestKey::generate(Algorithm::ES256).with_kid("e"),
            TestKey::generate(Algorithm::EdDSA).with_kid("d"),
        ];
        let verifier = Verifier::builder()
            .issuer(Issuer::static_keys("https://issuer.example", hmac.jwks()))
            .issuer(Issuer::static_keys(
                "https://other.example",
                jwks(&public.iter().collect::<Vec<_>>()),
            ))
            .audience("api")
            .algorithms([Algorithm::HS256, Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA])
            .disable_token_cache()
            .build()
            .expect("verifier");
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            verifier,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let fixture = fixture();
    if let Ok(claims) = fixture.runtime.block_on(fixture.verifier.verify(token)) {
        // Only the fixed HMAC key's tokens can verify; the issuer says which key that was.
        assert_eq!(claims.iss.as_deref(), Some("https://issuer.example"));
    }
});
