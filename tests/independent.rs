//! Tokens from an independent issuer: minted by PyJWT with the `cryptography` package
//! (`tests/fixtures/pyjwt/mint.py`), whose code shares nothing with this crate or with
//! jsonwebtoken, and verified through their key set served over HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use tower_jwt_auth::testing::JwksServer;
use tower_jwt_auth::{AuthErrorKind, Issuer, RegisteredClaims, Verifier};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pyjwt");

#[tokio::test]
async fn pyjwt_tokens_verify_through_a_served_jwks() {
    let jwks = std::fs::read_to_string(format!("{FIXTURES}/jwks.json")).unwrap();
    let tokens: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/tokens.json")).unwrap())
            .unwrap();
    let server = JwksServer::start(&[]).await;
    server.set_jwks_document(jwks);
    let verifier: Verifier<RegisteredClaims> = Verifier::builder()
        .issuer(Issuer::jwks_url("https://pyjwt.example", server.jwks_url()))
        .audience("api://orders")
        .build()
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), verifier.ready())
        .await
        .unwrap();
    assert_eq!(verifier.status()[0].keys, 5);

    let mut algs = Vec::new();
    for entry in &tokens {
        let token = entry["token"].as_str().unwrap();
        let claims = verifier
            .verify(token)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", entry["alg"]));
        assert_eq!(claims.sub.as_deref(), entry["sub"].as_str());
        assert!(claims.scopes.contains("orders:read"));
        algs.push(entry["alg"].as_str().unwrap().to_owned());

        // One flipped signature bit, and the same token is refused.
        let (head, sig) = token.rsplit_once('.').unwrap();
        let flipped = if sig.starts_with('A') {
            sig.replacen('A', "B", 1)
        } else {
            format!("A{}", &sig[1..])
        };
        let err = verifier
            .verify(&format!("{head}.{flipped}"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), AuthErrorKind::BadSignature, "{}", entry["alg"]);
    }
    assert_eq!(algs, ["RS256", "PS256", "ES256", "ES384", "EdDSA"]);
}
