//! Arbitrary header and claims bytes, validly signed: `<header JSON>\n<payload>` becomes a token
//! signed with the verifier's HS256 key, so the fuzzer reaches the header and claims checks
//! behind the signature. No panic; every token that passes has the claims the policy demands.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tower_jwt_auth::testing::TestKey;
use tower_jwt_auth::{Algorithm, Issuer, VerifierBuilder, RegisteredClaims, Verifier};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    key: TestKey,
    plain: Verifier<RegisteredClaims>,
    strict: Verifier<serde_json::Value>,
}

fn builder<C>(key: &TestKey) -> VerifierBuilder<C> {
    VerifierBuilder::new()
        .issuer(Issuer::static_keys("https://issuer.example", key.jwks()))
        .audience("api")
        .algorithms([Algorithm::HS256])
        .disable_token_cache()
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = TestKey::hmac(Algorithm::HS256, *b"fuzzing-secret-fuzzing-secret-32");
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            plain: builder(&key).build().expect("verifier"),
            strict: builder(&key)
                .rfc9068()
                .required_claims(["tenant"])
                .build()
                .expect("verifier"),
            key,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let (header, payload) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(header) = std::str::from_utf8(header) else {
        return;
    };
    let token = fixture.key.sign_parts(header, payload);
    if let Ok(claims) = fixture.runtime.block_on(fixture.plain.verify(&token)) {
        assert_eq!(claims.iss.as_deref(), Some("https://issuer.example"));
        assert!(claims.aud.iter().any(|a| a == "api"));
        assert!(claims.exp.is_some());
    }
    if let Ok(claims) = fixture.runtime.block_on(fixture.strict.verify(&token)) {
        for name in ["iss", "exp", "aud", "sub", "client_id", "iat", "jti", "tenant"] {
            assert!(claims.get(name).is_some(), "{name} required");
        }
    }
});
