//! The RFC 9068 access token profile: `at+jwt` tokens with every required claim pass; ID tokens,
//! `typ: JWT` tokens and tokens missing a required claim are refused with `invalid_token`.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use tower_jwt_auth::testing::{alg_name, now};
use tower_jwt_auth::{Algorithm, Issuer, JwtAuthLayer, RegisteredClaims, Verifier};

fn layer() -> JwtAuthLayer<RegisteredClaims> {
    Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::RS256).jwks()))
        .audience(AUD)
        .rfc9068()
        .build()
        .unwrap()
        .layer()
}

fn access_claims() -> Value {
    json!({
        "iss": ISS, "aud": AUD, "sub": "alice", "client_id": "web-app",
        "iat": now(), "exp": now() + 300, "jti": "6f1c2e4a", "scope": "orders:read",
    })
}

fn sign(typ: Option<&str>, claims: &Value) -> String {
    let k = key(Algorithm::RS256);
    let mut header = json!({"alg": "RS256", "kid": alg_name(Algorithm::RS256)});
    if let Some(typ) = typ {
        header["typ"] = json!(typ);
    }
    k.sign(&header, claims)
}

#[tokio::test]
async fn at_jwt_token_with_every_required_claim_passes() {
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
        call(&layer(), bearer(&sign(Some(typ), &access_claims())))
            .await
            .assert_ok();
    }
}

#[tokio::test]
async fn at_jwt_profile_refuses_other_types() {
    for typ in [Some("JWT"), None, Some("jwt")] {
        let out = call(&layer(), bearer(&sign(typ, &access_claims()))).await;
        let description = if typ.is_none() {
            "token type missing"
        } else {
            "token type not accepted"
        };
        out.assert_invalid_token(description);
    }
}

#[tokio::test]
async fn at_jwt_profile_refuses_id_tokens() {
    for changes in [
        json!({"nonce": "n-0S6_WzA2Mj"}),
        json!({"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"}),
        json!({"c_hash": "LDktKdoQak3Pk0cnXxCltA"}),
        json!({"aud": "web-app"}),
        json!({"aud": [AUD, "web-app"]}),
    ] {
        let claims = merge(access_claims(), changes.clone());
        let out = call(&layer(), bearer(&sign(Some("at+jwt"), &claims))).await;
        out.assert_invalid_token("ID token, not an access token");
        assert_eq!(out.code(), Some("not_accepted"), "{changes}");
    }
}

#[tokio::test]
async fn at_jwt_profile_requires_its_claims() {
    for missing in ["sub", "client_id", "iat", "jti"] {
        let claims = merge(access_claims(), json!({ missing: null }));
        let out = call(&layer(), bearer(&sign(Some("at+jwt"), &claims))).await;
        out.assert_invalid_token("required claim missing");
    }
}

#[tokio::test]
async fn at_jwt_profile_requires_a_string_client_id() {
    for client_id in [Value::Null, json!(7), json!(["web-app"])] {
        let mut claims = access_claims();
        claims["client_id"] = client_id.clone();
        let out = call(&layer(), bearer(&sign(Some("at+jwt"), &claims))).await;
        out.assert_invalid_token("client_id is not a string");
        assert_eq!(out.code(), Some("invalid_claim"), "{client_id}");
    }
}

#[tokio::test]
async fn at_jwt_profile_needs_an_audience() {
    let err = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::RS256).jwks()))
        .insecure_skip_audience()
        .rfc9068()
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("audience"), "{err}");
}
