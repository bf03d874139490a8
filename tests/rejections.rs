//! Every rejection path of the layer: the status, the exact `WWW-Authenticate`, `Cache-Control:
//! no-store`, and that the inner service was never called. Plus the accepting paths they border.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use http::HeaderName;
use serde_json::json;
use tower_jwt_auth::clock::FixedClock;
use tower_jwt_auth::testing::{TestKey, alg_name, now};
use tower_jwt_auth::{
    Algorithm, Issuer, JwtAuthLayer, RegisteredClaims, TokenSource, Verifier, VerifierBuilder,
};

const NO_TOKEN: Option<&str> = Some(r#"Bearer realm="api""#);

fn builder(keys: &[&TestKey]) -> VerifierBuilder<RegisteredClaims> {
    let jwks = tower_jwt_auth::testing::jwks(keys);
    Verifier::builder()
        .issuer(Issuer::static_keys(ISS, jwks))
        .audience(AUD)
}

/// RS256 and ES256 keys (each with its JWK `alg`), bearer first, then the `at` cookie.
fn layer() -> JwtAuthLayer<RegisteredClaims> {
    builder(&[&key(Algorithm::RS256), &key(Algorithm::ES256)])
        .build()
        .unwrap()
        .layer()
        .token_source(TokenSource::bearer())
        .token_source(TokenSource::cookie("at").unwrap())
}

fn rs256(claims: &serde_json::Value) -> String {
    key(Algorithm::RS256).token(claims)
}

fn good_token() -> String {
    rs256(&good_claims())
}

// ---------------------------------------------------------------- transport: the bearer header

#[tokio::test]
async fn no_token_gets_401_without_error() {
    call(&layer(), get().body(()).unwrap())
        .await
        .assert_rejected(401, NO_TOKEN);
}

#[tokio::test]
async fn other_schemes_and_bare_tokens_count_as_no_token() {
    let token = good_token();
    for value in [
        "Basic dXNlcjpwYXNz".to_owned(),
        format!("DPoP {token}"),
        token.clone(),
        format!("Bearer{token}"),
    ] {
        let req = get().header("authorization", value).body(()).unwrap();
        let out = call(&layer(), req).await;
        out.assert_rejected(401, NO_TOKEN);
        assert_eq!(out.code(), Some("missing"));
    }
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive_and_takes_several_spaces() {
    let token = good_token();
    for value in [
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer    {token}"),
    ] {
        let req = get().header("authorization", value).body(()).unwrap();
        call(&layer(), req).await.assert_ok();
    }
}

#[tokio::test]
async fn empty_or_malformed_bearer_gets_invalid_token() {
    let token = good_token();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"Bearer".to_vec(), "empty bearer token"),
        (b"Bearer    ".to_vec(), "empty bearer token"),
        (
            format!("Bearer {token} extra").into_bytes(),
            "token has characters outside b64token",
        ),
        (
            b"Bearer a\"b.c.d".to_vec(),
            "token has characters outside b64token",
        ),
        (
            b"Bearer \xc3\xa9t\xc3\xa9.a.b".to_vec(),
            "token has characters outside b64token",
        ),
        (
            b"Bearer a,b.c".to_vec(),
            "token has characters outside b64token",
        ),
    ];
    for (value, description) in cases {
        let req = get()
            .header(
                "authorization",
                http::HeaderValue::from_bytes(&value).unwrap(),
            )
            .body(())
            .unwrap();
        call(&layer(), req).await.assert_invalid_token(description);
    }
}

#[tokio::test]
async fn two_different_bearer_tokens_get_400_invalid_request() {
    let other = rs256(&claims_with(json!({"sub": "mallory"})));
    let req = get()
        .header("authorization", format!("Bearer {}", good_token()))
        .header("authorization", format!("Bearer {other}"))
        .body(())
        .unwrap();
    let out = call(&layer(), req).await;
    out.assert_rejected(
        400,
        Some(
            r#"Bearer realm="api", error="invalid_request", error_description="several different tokens in one request""#,
        ),
    );
}

#[tokio::test]
async fn identical_duplicate_bearer_headers_are_fine() {
    let token = good_token();
    let req = get()
        .header("authorization", format!("Bearer {token}"))
        .header("authorization", format!("bearer {token}"))
        .body(())
        .unwrap();
    call(&layer(), req).await.assert_ok();
}

#[tokio::test]
async fn oversized_token_gets_401_and_no_parse() {
    let huge = "a".repeat(1024 * 1024);
    call(&layer(), bearer(&huge))
        .await
        .assert_invalid_token("token too large");
    let limited = builder(&[&key(Algorithm::RS256)])
        .max_token_len(100)
        .build()
        .unwrap()
        .layer();
    call(&limited, bearer(&good_token()))
        .await
        .assert_invalid_token("token too large");
}

// ---------------------------------------------------------------- transport: cookies

#[tokio::test]
async fn cookie_token_is_accepted_from_any_cookie_header() {
    let token = good_token();
    let req = get()
        .header("cookie", format!("a=1; at={token}; b=2"))
        .body(())
        .unwrap();
    call(&layer(), req).await.assert_ok();
    // HTTP/2 sends one `Cookie` header per cookie.
    let req = get()
        .header("cookie", "a=1")
        .header("cookie", format!("at={token}"))
        .body(())
        .unwrap();
    call(&layer(), req).await.assert_ok();
}

#[tokio::test]
async fn two_different_cookies_of_the_name_get_400() {
    let other = rs256(&claims_with(json!({"sub": "mallory"})));
    let req = get()
        .header("cookie", format!("at={}", good_token()))
        .header("cookie", format!("at={other}"))
        .body(())
        .unwrap();
    call(&layer(), req).await.assert_rejected(
        400,
        Some(
            r#"Bearer realm="api", error="invalid_request", error_description="several different tokens in one request""#,
        ),
    );
    let token = good_token();
    let req = get()
        .header("cookie", format!("at={token}; at={token}"))
        .body(())
        .unwrap();
    call(&layer(), req).await.assert_ok();
}

#[tokio::test]
async fn malformed_cookie_gets_invalid_token() {
    let req = get()
        .header("cookie", "at=not%20a%20token")
        .body(())
        .unwrap();
    call(&layer(), req)
        .await
        .assert_invalid_token("token has characters outside b64token");
    let req = get().header("cookie", "at=a.b.c").body(()).unwrap();
    call(&layer(), req)
        .await
        .assert_invalid_token("header is not base64url");
}

#[tokio::test]
async fn empty_cookie_counts_as_no_token() {
    let req = get().header("cookie", "at=").body(()).unwrap();
    call(&layer(), req).await.assert_rejected(401, NO_TOKEN);
}

#[tokio::test]
async fn valid_bearer_beside_a_garbage_cookie_is_accepted() {
    let req = get()
        .header("authorization", format!("Bearer {}", good_token()))
        .header("cookie", "at=garbage!!; at=other")
        .body(())
        .unwrap();
    let out = call(&layer(), req).await;
    out.assert_ok();
    assert_eq!(out.body, "alice");
}

#[tokio::test]
async fn bearer_of_another_scheme_falls_through_to_the_cookie() {
    let req = get()
        .header("authorization", "Basic dXNlcjpwYXNz")
        .header("cookie", format!("at={}", good_token()))
        .body(())
        .unwrap();
    call(&layer(), req).await.assert_ok();
}

#[tokio::test]
async fn a_bad_bearer_is_not_rescued_by_a_good_cookie() {
    let req = get()
        .header("authorization", "Bearer x.y.z")
        .header("cookie", format!("at={}", good_token()))
        .body(())
        .unwrap();
    call(&layer(), req)
        .await
        .assert_invalid_token("header is not base64url");
}

#[tokio::test]
async fn custom_header_source() {
    let layer = builder(&[&key(Algorithm::RS256)])
        .build()
        .unwrap()
        .layer()
        .token_source(TokenSource::header(HeaderName::from_static("x-auth-token")));
    let req = get().header("x-auth-token", good_token()).body(()).unwrap();
    call(&layer, req).await.assert_ok();
    let req = get()
        .header("authorization", format!("Bearer {}", good_token()))
        .body(())
        .unwrap();
    call(&layer, req).await.assert_rejected(401, NO_TOKEN);
}

// ---------------------------------------------------------------- algorithms

const ALL_ASYMMETRIC: [Algorithm; 9] = tower_jwt_auth::testing::ASYMMETRIC_ALGORITHMS;

#[tokio::test]
async fn every_supported_algorithm_verifies_when_allowed() {
    for alg in ALL_ASYMMETRIC {
        let k = key(alg);
        let layer = builder(&[&k]).build().unwrap().layer();
        call(&layer, bearer(&k.token(&good_claims())))
            .await
            .assert_ok();
    }
    let k = key(Algorithm::HS256);
    let layer = Verifier::builder()
        .issuer(Issuer::hmac(ISS, k.secret().unwrap()))
        .audience(AUD)
        .algorithms([Algorithm::HS256])
        .build()
        .unwrap()
        .layer();
    call(&layer, bearer(&k.token(&good_claims())))
        .await
        .assert_ok();
}

#[tokio::test]
async fn every_algorithm_is_refused_off_the_allow_list() {
    for alg in ALL_ASYMMETRIC {
        let k = key(alg);
        // The key has no `alg` of its own, so only the allow-list decides; a second key keeps
        // the set usable under an allow-list without `alg`.
        let mut jwk = k.bare_jwk();
        jwk["kid"] = json!(k.kid());
        let other = if alg == Algorithm::ES384 {
            key(Algorithm::RS256)
        } else {
            key(Algorithm::ES384)
        };
        let jwks = json!({ "keys": [jwk, other.public_jwk()] }).to_string();
        let layer = Verifier::builder()
            .issuer(Issuer::static_keys(ISS, jwks))
            .audience(AUD)
            .algorithms(ALL_ASYMMETRIC.into_iter().filter(|a| *a != alg))
            .build()
            .unwrap()
            .layer();
        let out = call(&layer, bearer(&k.token(&good_claims()))).await;
        out.assert_invalid_token("algorithm not allowed");
        call(&layer, bearer(&other.token(&good_claims())))
            .await
            .assert_ok();
    }
    let k = key(Algorithm::HS256);
    let layer = builder(&[&key(Algorithm::RS256)])
        .algorithms([Algorithm::RS256])
        .build()
        .unwrap()
        .layer();
    call(&layer, bearer(&k.token(&good_claims())))
        .await
        .assert_invalid_token("algorithm not allowed");
}

#[tokio::test]
async fn a_key_with_its_own_alg_is_usable_only_with_that_alg() {
    // The RS256 JWK names `alg: RS256`; a PS256 signature by the same key is refused, even when
    // PS256 is on the allow-list.
    let k = key(Algorithm::RS256);
    let layer = builder(&[&k])
        .algorithms([Algorithm::RS256, Algorithm::PS256])
        .build()
        .unwrap()
        .layer();
    let ps = k.clone().with_alg(Algorithm::PS256).token(&good_claims());
    call(&layer, bearer(&ps))
        .await
        .assert_invalid_token("algorithm does not fit the key");
}

#[tokio::test]
async fn keys_without_alg_need_the_allow_list() {
    let k = key(Algorithm::ES256);
    let mut jwk = k.bare_jwk();
    jwk["kid"] = json!(k.kid());
    let jwks = json!({ "keys": [jwk] }).to_string();
    let err = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, jwks.clone()))
        .audience(AUD)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("name its algorithm"), "{err}");
    let layer = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, jwks))
        .audience(AUD)
        .algorithms([Algorithm::ES256])
        .build()
        .unwrap()
        .layer();
    call(&layer, bearer(&k.token(&good_claims())))
        .await
        .assert_ok();
}

#[tokio::test]
async fn a_real_world_shaped_jwks_with_odd_members_still_verifies_the_good_keys() {
    let rs = key(Algorithm::RS256);
    let ed = key(Algorithm::EdDSA);
    let mut numeric_kid = key_with_kid(Algorithm::ES256, "n").public_jwk();
    numeric_kid["kid"] = json!(42);
    let mut string_x5c = key_with_kid(Algorithm::ES384, "x5c").public_jwk();
    string_x5c["x5c"] = json!("MIIB...");
    let jwks = json!({ "keys": [
        { "kty": "EC", "crv": "P-521", "alg": "ES512", "kid": "p521",
          "x": "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt",
          "y": "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1" },
        { "kty": "EC", "crv": "secp256k1", "alg": "ES256K", "kid": "k1",
          "x": "Ks5Y7ZCbZbsgaLFXKAM0K2fKRfZK7Sm-VxXt7cy8_2g", "y": "nLuHJzRf9JBW9FbHnhv1JtJ2zZ5uPnLrGiR-Hw8Gb-s" },
        { "kty": "AKP", "alg": "ML-DSA-44", "kid": "pq", "pub": "AAAA" },
        numeric_kid,
        string_x5c,
        rs.public_jwk(),
        ed.public_jwk(),
    ]})
    .to_string();
    let layer = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, jwks))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    call(&layer, bearer(&rs.token(&good_claims())))
        .await
        .assert_ok();
    call(&layer, bearer(&ed.token(&good_claims())))
        .await
        .assert_ok();
    let status = layer.verifier().status();
    let reasons: Vec<&str> = status[0].skipped.iter().map(|s| s.reason).collect();
    assert_eq!(
        reasons
            .iter()
            .filter(|r| **r == "unsupported `alg`")
            .count(),
        2,
        "{reasons:?}"
    );
    assert!(reasons.contains(&"unsupported `kty`"), "{reasons:?}");
    assert!(reasons.contains(&"kid is not a string"), "{reasons:?}");
}

// ---------------------------------------------------------------- attacks on the header

fn header_token(header: serde_json::Value) -> String {
    key(Algorithm::RS256).sign(&header, &good_claims())
}

#[tokio::test]
async fn alg_none_in_any_spelling_is_refused() {
    let payload = tower_jwt_auth_b64(&good_claims().to_string());
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = tower_jwt_auth_b64(&json!({"alg": alg, "typ": "JWT"}).to_string());
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}.c2ln"),
        ] {
            call(&layer(), bearer(&token))
                .await
                .assert_invalid_token("algorithm not allowed");
        }
    }
}

fn tower_jwt_auth_b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn rs_to_hs_key_confusion_is_refused() {
    let rs = key(Algorithm::RS256);
    let pem = rs.public_key_pem().unwrap();
    let layer = builder(&[&rs])
        .algorithms([Algorithm::RS256, Algorithm::HS256])
        .build()
        .unwrap()
        .layer();
    // HS256 "signed" with the public key (as PEM and as the JWK's modulus) as the secret.
    for secret in [
        pem.into_bytes(),
        rs.bare_jwk()["n"].as_str().unwrap().as_bytes().to_vec(),
    ] {
        let forged = TestKey::hmac(Algorithm::HS256, secret).with_kid(rs.kid().unwrap());
        let out = call(&layer, bearer(&forged.token(&good_claims()))).await;
        out.assert_invalid_token("algorithm does not fit the key");
        let forged = TestKey::hmac(Algorithm::HS256, rs.public_key_pem().unwrap());
        let out = call(&layer, bearer(&forged.token(&good_claims()))).await;
        out.assert_invalid_token("no key for this token");
    }
}

#[tokio::test]
async fn stripped_or_foreign_signature_is_refused() {
    let token = good_token();
    let (signing_input, _) = token.rsplit_once('.').unwrap();
    call(&layer(), bearer(&format!("{signing_input}.")))
        .await
        .assert_invalid_token("signature missing");
    let other = key_with_kid(Algorithm::RS256, "other").token(&good_claims());
    let other_sig = other.rsplit_once('.').unwrap().1;
    call(&layer(), bearer(&format!("{signing_input}.{other_sig}")))
        .await
        .assert_invalid_token("signature invalid");
}

#[tokio::test]
async fn tampered_claims_are_refused() {
    let token = good_token();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = tower_jwt_auth_b64(&claims_with(json!({"sub": "admin"})).to_string());
    call(&layer(), bearer(&parts.join(".")))
        .await
        .assert_invalid_token("signature invalid");
}

#[tokio::test]
async fn crit_and_cty_headers_are_refused() {
    let kid = alg_name(Algorithm::RS256);
    let out = call(
        &layer(),
        bearer(&header_token(
            json!({"alg":"RS256","kid":kid,"crit":["exp"]}),
        )),
    )
    .await;
    out.assert_invalid_token("crit header not supported");
    let out = call(
        &layer(),
        bearer(&header_token(
            json!({"alg":"RS256","kid":kid,"b64":false,"crit":["b64"]}),
        )),
    )
    .await;
    out.assert_invalid_token("crit header not supported");
    let out = call(
        &layer(),
        bearer(&header_token(json!({"alg":"RS256","kid":kid,"cty":"JWT"}))),
    )
    .await;
    out.assert_invalid_token("nested tokens not supported");
}

#[tokio::test]
async fn foreign_typ_values_are_refused() {
    let kid = alg_name(Algorithm::RS256);
    for typ in [
        json!("dpop+jwt"),
        json!("secevent+jwt"),
        json!("logout+jwt"),
        json!("JWE"),
        json!(1),
        json!(null),
    ] {
        let out = call(
            &layer(),
            bearer(&header_token(json!({"alg":"RS256","kid":kid,"typ":typ}))),
        )
        .await;
        out.assert_invalid_token("token type not accepted");
    }
    for typ in ["JWT", "at+jwt", "application/at+jwt", "AT+JWT"] {
        call(
            &layer(),
            bearer(&header_token(json!({"alg":"RS256","kid":kid,"typ":typ}))),
        )
        .await
        .assert_ok();
    }
    call(
        &layer(),
        bearer(&header_token(json!({"alg":"RS256","kid":kid}))),
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn duplicate_header_members_are_refused() {
    let k = key(Algorithm::RS256);
    let payload = good_claims().to_string();
    for header in [
        r#"{"alg":"RS256","kid":"RS256","alg":"RS256"}"#,
        r#"{"alg":"RS256","kid":"RS256","kid":"RS256"}"#,
        r#"{"alg":"RS256","kid":"RS256","typ":"JWT","typ":"JWT"}"#,
    ] {
        let out = call(&layer(), bearer(&k.sign_parts(header, payload.as_bytes()))).await;
        out.assert_invalid_token("header is not a valid JSON object");
    }
}

#[tokio::test]
async fn duplicate_claims_are_refused() {
    let k = key(Algorithm::RS256);
    let exp = now() + 300;
    for claims in [
        format!(r#"{{"iss":"{ISS}","aud":"{AUD}","exp":{exp},"exp":1}}"#),
        format!(r#"{{"iss":"{ISS}","iss":"https://evil.example","aud":"{AUD}","exp":{exp}}}"#),
        format!(r#"{{"iss":"{ISS}","aud":"{AUD}","aud":"other","exp":{exp}}}"#),
        format!(r#"{{"iss":"{ISS}","aud":"{AUD}","exp":{exp},"sub":"a","sub":"b"}}"#),
    ] {
        let token = k.sign_parts(r#"{"alg":"RS256","kid":"RS256"}"#, claims.as_bytes());
        call(&layer(), bearer(&token))
            .await
            .assert_invalid_token("claims are not a valid JSON object");
    }
}

/// A loopback server that counts connections: a token's `jku`/`x5u` must never make us connect.
async fn connection_counter() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (url, count)
}

#[tokio::test]
async fn jku_x5u_and_embedded_jwk_are_never_used() {
    let (url, connections) = connection_counter().await;
    let attacker = TestKey::generate(Algorithm::RS256).with_kid("attacker");
    let attacker_jwk = attacker.public_jwk();
    // Signed by the attacker, pointing at the attacker's key every way a header can.
    for header in [
        json!({"alg":"RS256","kid":"attacker","jku":url}),
        json!({"alg":"RS256","kid":"attacker","x5u":url}),
        json!({"alg":"RS256","kid":"attacker","jwk":attacker_jwk}),
    ] {
        let out = call(&layer(), bearer(&attacker.sign(&header, &good_claims()))).await;
        out.assert_invalid_token("no key for this token");
    }
    // Without kid: tried against our own keys only.
    let header = json!({"alg":"RS256","jwk":attacker_jwk,"jku":url});
    let out = call(&layer(), bearer(&attacker.sign(&header, &good_claims()))).await;
    out.assert_invalid_token("signature invalid");
    // A legitimate token carrying a jku is judged on our keys; the jku is ignored.
    let kid = alg_name(Algorithm::RS256);
    call(
        &layer(),
        bearer(&header_token(json!({"alg":"RS256","kid":kid,"jku":url}))),
    )
    .await
    .assert_ok();
    tokio::task::yield_now().await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing may be fetched"
    );
}

#[tokio::test]
async fn unknown_kid_is_refused() {
    let k = key(Algorithm::RS256).with_kid("not-in-the-set");
    call(&layer(), bearer(&k.token(&good_claims())))
        .await
        .assert_invalid_token("no key for this token");
}

#[tokio::test]
async fn kidless_tokens_are_tried_against_keys_of_their_family() {
    let rs = key(Algorithm::RS256);
    let token = rs.sign(&json!({"alg":"RS256"}), &good_claims());
    call(&layer(), bearer(&token)).await.assert_ok();
}

// ---------------------------------------------------------------- claims

#[tokio::test]
async fn sender_constrained_tokens_are_refused() {
    let token = rs256(&claims_with(
        json!({"cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}),
    ));
    call(&layer(), bearer(&token))
        .await
        .assert_invalid_token("sender-constrained token");
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    let cases = [
        (json!({"exp": now() - 120}), "token expired"),
        (json!({"exp": null}), "exp missing"),
        (json!({"exp": "9999999999"}), "exp is not a number"),
        (json!({"nbf": now() + 120}), "token not yet valid"),
        (json!({"nbf": "0"}), "nbf is not a number"),
        (json!({"iat": "yesterday"}), "iat is not a number"),
    ];
    for (change, description) in cases {
        call(&layer(), bearer(&rs256(&claims_with(change))))
            .await
            .assert_invalid_token(description);
    }
}

#[tokio::test]
async fn leeway_is_sixty_seconds_by_default_and_uses_the_clock() {
    let base = 1_700_000_000;
    let layer = builder(&[&key(Algorithm::RS256)])
        .clock(FixedClock(base as f64))
        .build()
        .unwrap()
        .layer();
    let at = |exp: i64, nbf: i64| {
        rs256(&claims_with(
            json!({"exp": exp, "nbf": nbf, "iat": base - 3600}),
        ))
    };
    call(&layer, bearer(&at(base - 59, base))).await.assert_ok();
    call(&layer, bearer(&at(base - 60, base)))
        .await
        .assert_invalid_token("token expired");
    call(&layer, bearer(&at(base + 600, base + 59)))
        .await
        .assert_ok();
    call(&layer, bearer(&at(base + 600, base + 61)))
        .await
        .assert_invalid_token("token not yet valid");

    let strict = builder(&[&key(Algorithm::RS256)])
        .clock(FixedClock(base as f64))
        .leeway(std::time::Duration::ZERO)
        .build()
        .unwrap()
        .layer();
    call(&strict, bearer(&at(base, base)))
        .await
        .assert_invalid_token("token expired");
    call(&strict, bearer(&at(base + 1, base))).await.assert_ok();
}

#[tokio::test]
async fn issuer_must_be_one_exact_string() {
    let cases = [
        (
            json!({"iss": "https://issuer.example/"}),
            "issuer not accepted",
        ),
        (
            json!({"iss": "https://ISSUER.example"}),
            "issuer not accepted",
        ),
        (json!({"iss": [ISS]}), "issuer not accepted"),
        (
            json!({"iss": [ISS, "https://evil.example"]}),
            "issuer not accepted",
        ),
        (json!({"iss": null}), "issuer missing"),
    ];
    for (change, description) in cases {
        call(&layer(), bearer(&rs256(&claims_with(change))))
            .await
            .assert_invalid_token(description);
    }
}

#[tokio::test]
async fn audience_must_name_a_configured_audience() {
    let cases = [
        (json!({"aud": "api://other"}), "audience not accepted"),
        (
            json!({"aud": ["api://other", "api://more"]}),
            "audience not accepted",
        ),
        (json!({"aud": [AUD, 7]}), "audience not accepted"),
        (json!({"aud": 7}), "audience not accepted"),
        (json!({"aud": null}), "audience missing"),
    ];
    for (change, description) in cases {
        call(&layer(), bearer(&rs256(&claims_with(change))))
            .await
            .assert_invalid_token(description);
    }
    call(
        &layer(),
        bearer(&rs256(&claims_with(json!({"aud": ["api://other", AUD]})))),
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn required_claims_are_enforced() {
    let layer = builder(&[&key(Algorithm::RS256)])
        .required_claims(["jti", "tenant"])
        .build()
        .unwrap()
        .layer();
    let out = call(&layer, bearer(&good_token())).await;
    out.assert_invalid_token("required claim missing");
    let token = rs256(&claims_with(json!({"jti": "1"})));
    call(&layer, bearer(&token))
        .await
        .assert_invalid_token("required claim missing");
    let token = rs256(&claims_with(json!({"jti": "1", "tenant": "t"})));
    call(&layer, bearer(&token)).await.assert_ok();

    // A claim the verifier also reads for another reason (`nonce` marks ID tokens) can still be
    // required.
    let layer = builder(&[&key(Algorithm::RS256)])
        .required_claims(["nonce"])
        .build()
        .unwrap()
        .layer();
    call(&layer, bearer(&good_token()))
        .await
        .assert_invalid_token("required claim missing");
    let token = rs256(&claims_with(json!({"nonce": "n-1"})));
    call(&layer, bearer(&token)).await.assert_ok();
}

#[tokio::test]
async fn claims_that_do_not_fit_the_type_are_refused() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Strict {
        tenant: String,
    }
    let layer = Verifier::builder()
        .claims::<Strict>()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::RS256).jwks()))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    call(&layer, bearer(&good_token()))
        .await
        .assert_invalid_token("claims do not have the expected shape");
}

// ---------------------------------------------------------------- garbage

#[tokio::test]
async fn garbage_tokens_get_clear_4xx_and_no_panic() {
    let k = key(Algorithm::RS256);
    let good = good_token();
    let (h, rest) = good.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    let cases: Vec<(String, &str)> = vec![
        (
            format!("{h}=.{p}.{s}"),
            "token has characters outside b64token",
        ),
        (format!("{h}.{p}.{s}="), "signature is not base64url"),
        (format!("{h}.{p}.{s}.extra"), "token is not a compact JWS"),
        (format!("{h}.{p}"), "token is not a compact JWS"),
        (format!("{h}..{p}.{s}"), "token is not a compact JWS"),
        ("a.b.c".to_owned(), "header is not base64url"),
        (
            format!("{}.{p}.{s}", tower_jwt_auth_b64("not json")),
            "header is not a JSON object",
        ),
        (
            format!("{}.{p}.{s}", tower_jwt_auth_b64("{\"alg\":")),
            "header is not a valid JSON object",
        ),
        (
            format!("{}.{p}.{s}", tower_jwt_auth_b64(r#"["RS256"]"#)),
            "header is not a JSON object",
        ),
        (
            k.sign_parts(r#"{"alg":"RS256","kid":"RS256"}"#, b"not json"),
            "claims are not a JSON object",
        ),
        (
            k.sign_parts(r#"{"alg":"RS256","kid":"RS256"}"#, b"[1,2]"),
            "claims are not a JSON object",
        ),
        (
            k.sign_parts(r#"{"alg":"RS256","kid":"RS256"}"#, b"{\"exp\":1"),
            "claims are not a valid JSON object",
        ),
        (
            k.sign_parts(r#"{"alg":"RS256","kid":"RS256"}"#, b"{} {}"),
            "claims are not a valid JSON object",
        ),
        (
            k.sign_parts(r#"{"alg":"RS256","kid":"RS256"}"#, b"\xff\xfe"),
            "claims are not a JSON object",
        ),
        (
            format!("{h}.{p}.{}", &s[..s.len() - 1]),
            "signature is not base64url",
        ),
        ("...".to_owned(), "token is not a compact JWS"),
    ];
    for (token, description) in cases {
        call(&layer(), bearer(&token))
            .await
            .assert_invalid_token(description);
    }
    // 100,000 levels of nesting: refused by a scan before any parser runs. Within the limit
    // (raised here), an ignored member is skipped iteratively, and a claims type that reads it
    // meets serde_json's recursion limit. No stack overflow either way.
    let nested = |depth: usize| {
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let mut claims = good_claims().to_string();
        claims.pop();
        let claims = format!(r#"{claims},"x":{deep}}}"#);
        k.sign_parts(r#"{"alg":"RS256","kid":"RS256"}"#, claims.as_bytes())
    };
    let layer = builder(&[&k])
        .max_token_len(1024 * 1024)
        .build()
        .unwrap()
        .layer();
    call(&layer, bearer(&nested(100_000)))
        .await
        .assert_invalid_token("claims nested too deeply");
    call(&layer, bearer(&nested(15))).await.assert_ok();
    call(&layer, bearer(&nested(16)))
        .await
        .assert_invalid_token("claims nested too deeply");
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct WithX {
        x: serde_json::Value,
    }
    let deep_ok = Verifier::builder()
        .claims::<WithX>()
        .issuer(Issuer::static_keys(ISS, k.jwks()))
        .audience(AUD)
        .max_token_len(1024 * 1024)
        .max_claims_depth(usize::MAX)
        .build()
        .unwrap()
        .layer();
    call(&deep_ok, bearer(&nested(100_000)))
        .await
        .assert_invalid_token("claims do not have the expected shape");
}

#[tokio::test]
async fn too_many_authorization_headers_are_an_invalid_request() {
    let mut req = get();
    for _ in 0..40 {
        req = req.header("authorization", format!("Bearer {}", good_token()));
    }
    call(&layer(), req.body(()).unwrap()).await.assert_rejected(
        400,
        Some(r#"Bearer realm="api", error="invalid_request", error_description="too many header values""#),
    );
}

// ---------------------------------------------------------------- several issuers, optional mode

#[tokio::test]
async fn each_issuer_is_checked_with_its_own_keys_and_audience() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let b = key_with_kid(Algorithm::ES256, "b");
    let layer = Verifier::builder()
        .issuer(Issuer::static_keys("https://a.example", a.jwks()))
        .issuer(Issuer::static_keys("https://b.example", b.jwks()).audience("api://b"))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    let claims = |iss: &str, aud: &str| claims_with(json!({"iss": iss, "aud": aud}));
    call(&layer, bearer(&a.token(&claims("https://a.example", AUD))))
        .await
        .assert_ok();
    call(
        &layer,
        bearer(&b.token(&claims("https://b.example", "api://b"))),
    )
    .await
    .assert_ok();
    // B's audience replaces the layer-wide one for B.
    call(&layer, bearer(&b.token(&claims("https://b.example", AUD))))
        .await
        .assert_invalid_token("audience not accepted");
    // A's key cannot sign for B, even with B's kid.
    let forged = a
        .clone()
        .with_kid("b")
        .token(&claims("https://b.example", "api://b"));
    call(&layer, bearer(&forged))
        .await
        .assert_invalid_token("signature invalid");
}

#[tokio::test]
async fn optional_mode_lets_anonymous_through_but_not_bad_tokens() {
    let layer = builder(&[&key(Algorithm::RS256)])
        .build()
        .unwrap()
        .layer()
        .optional();
    let out = call(&layer, get().body(()).unwrap()).await;
    out.assert_ok();
    assert_eq!(out.body, "anonymous");
    call(&layer, bearer(&good_token())).await.assert_ok();
    call(
        &layer,
        bearer(&rs256(&claims_with(json!({"exp": now() - 3600})))),
    )
    .await
    .assert_invalid_token("token expired");
    call(&layer, bearer("x"))
        .await
        .assert_invalid_token("token is not a compact JWS");

    // `.optional()` turns a required layer of the same verifier into an optional one.
    let required = builder(&[&key(Algorithm::RS256)]).build().unwrap().layer();
    call(&required, get().body(()).unwrap())
        .await
        .assert_rejected(401, NO_TOKEN);
    let optional = required.clone().optional();
    assert_eq!(
        call(&optional, get().body(()).unwrap()).await.body,
        "anonymous"
    );
    call(&required, get().body(()).unwrap())
        .await
        .assert_rejected(401, NO_TOKEN);
}

#[tokio::test]
async fn an_unknown_kid_tries_kidless_keys_and_is_otherwise_unknown() {
    let named = key_with_kid(Algorithm::ES256, "a");
    let legacy = key_with_kid(Algorithm::ES256, "legacy");
    let mut legacy_jwk = legacy.public_jwk();
    legacy_jwk.as_object_mut().unwrap().remove("kid");
    let jwks = json!({ "keys": [named.public_jwk(), legacy_jwk] }).to_string();
    let layer = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, jwks))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    // Signed by the kid-less key, naming a kid the set doesn't index: the kid-less key verifies.
    let token = legacy.clone().with_kid("anything").token(&good_claims());
    call(&layer, bearer(&token)).await.assert_ok();
    // Signed by a key nobody published: unknown, not a bad signature (so a remote set refetches).
    let stranger = key_with_kid(Algorithm::ES256, "b");
    call(&layer, bearer(&stranger.token(&good_claims())))
        .await
        .assert_invalid_token("no key for this token");
}

#[tokio::test]
async fn time_edge_cases() {
    let cases = [
        (json!({"exp": 1e308}), None),
        (json!({"exp": -0.0}), Some("token expired")),
        (json!({"exp": 0}), Some("token expired")),
        (
            json!({"iat": now() + 3600}),
            Some("token issued in the future"),
        ),
        (json!({"iat": now() + 30}), None),
        (json!({"nbf": -1e308}), None),
    ];
    for (change, expected) in cases {
        let out = call(&layer(), bearer(&rs256(&claims_with(change.clone())))).await;
        match expected {
            None => out.assert_ok(),
            Some(description) => out.assert_invalid_token(description),
        }
    }
    // A number out of f64's range is not JSON serde_json reads: malformed.
    let k = key(Algorithm::RS256);
    let claims = format!(r#"{{"iss":"{ISS}","aud":"{AUD}","exp":1e400}}"#);
    let token = k.sign_parts(r#"{"alg":"RS256","kid":"RS256"}"#, claims.as_bytes());
    call(&layer(), bearer(&token))
        .await
        .assert_invalid_token("claims are not a valid JSON object");
}

#[tokio::test]
async fn a_clock_that_cannot_tell_the_time_fails_closed() {
    for now in [f64::NAN, f64::NEG_INFINITY, f64::INFINITY, -1.0] {
        let layer = builder(&[&key(Algorithm::RS256)])
            .clock(FixedClock(now))
            .build()
            .unwrap()
            .layer();
        let out = call(&layer, bearer(&good_token())).await;
        out.assert_rejected(503, None);
        assert_eq!(out.code(), Some("clock_unavailable"));
    }
}

#[tokio::test]
async fn custom_responder_replaces_the_default() {
    let layer = layer().responder(|rejection: tower_jwt_auth::response::Rejection| {
        let code = rejection.error().code();
        let mut response = rejection.default_response::<String>();
        *response.body_mut() = format!("{{\"error\":\"{code}\"}}");
        response
    });
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let inner = tower::service_fn(move |_req: http::Request<()>| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, std::convert::Infallible>(http::Response::new(String::new())) }
    });
    let svc = tower::Layer::layer(&layer, inner);
    let response = tower::ServiceExt::oneshot(svc, bearer("a.b.c"))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.body(), r#"{"error":"malformed"}"#);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn configuration_errors_come_from_build_not_panics() {
    use tower_jwt_auth::ConfigError;
    let k = key(Algorithm::RS256);
    let no_aud = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, k.jwks()))
        .build()
        .unwrap_err();
    assert_eq!(no_aud, ConfigError::NoAudience);
    let none = Verifier::builder().audience(AUD).build().unwrap_err();
    assert_eq!(none, ConfigError::NoIssuer);
    let weak = Verifier::builder()
        .issuer(Issuer::hmac(ISS, [1u8; 40]))
        .audience(AUD)
        .algorithms([Algorithm::HS256, Algorithm::HS384])
        .build()
        .unwrap_err();
    assert_eq!(
        weak,
        ConfigError::WeakHmacSecret {
            issuer: ISS.into(),
            min_len: 48,
            len: 40
        }
    );
    let not_jwks = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, "[]"))
        .audience(AUD)
        .build()
        .unwrap_err();
    assert!(matches!(not_jwks, ConfigError::InvalidKeySet { .. }));
    let cnf = builder(&[&k]).required_claims(["cnf"]).build().unwrap_err();
    assert_eq!(cnf, ConfigError::CnfRequired);
    let twice = builder(&[&k])
        .required_claims(["tenant", "tenant", "jti", "jti"])
        .build()
        .unwrap()
        .layer();
    let token = rs256(&claims_with(json!({"tenant": "t", "jti": "1"})));
    call(&twice, bearer(&token)).await.assert_ok();
    // A bad cookie name is refused by `TokenSource::cookie` itself, before any build.
    let bad_cookie = TokenSource::cookie("a b").unwrap_err();
    assert!(matches!(bad_cookie, ConfigError::InvalidCookieName { .. }));
    assert_eq!(
        bad_cookie.to_string(),
        r#"`token_source`: "a b" is not a valid cookie name"#,
        "the wording the quickstart prints for a bad JWT_COOKIE"
    );
    let skip = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, k.jwks()))
        .insecure_skip_audience()
        .build()
        .unwrap()
        .layer();
    call(&skip, bearer(&rs256(&claims_with(json!({"aud": null})))))
        .await
        .assert_ok();
}

#[tokio::test]
async fn pem_keys_work_with_the_allow_list() {
    for alg in [
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ] {
        let k = key(alg);
        let layer = Verifier::builder()
            .issuer(Issuer::pem(ISS, k.public_key_pem().unwrap()))
            .audience(AUD)
            .algorithms([alg])
            .build()
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"))
            .layer();
        call(&layer, bearer(&k.token(&good_claims())))
            .await
            .assert_ok();
    }
}

#[tokio::test]
async fn settings_that_would_be_ignored_are_build_errors() {
    use tower_jwt_auth::ConfigError;
    let k = key(Algorithm::RS256);
    let base = || Verifier::builder().issuer(Issuer::static_keys(ISS, k.jwks()));
    let skip_with_audience = base().audience(AUD).insecure_skip_audience().build();
    assert_eq!(
        skip_with_audience.unwrap_err(),
        ConfigError::AudienceWithSkip
    );
    let skip_with_issuer_audience = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, k.jwks()).audience("orders"))
        .insecure_skip_audience()
        .build();
    assert_eq!(
        skip_with_issuer_audience.unwrap_err(),
        ConfigError::AudienceWithSkip
    );
    let fail_open = base().audience(AUD).revocation_fail_open().build();
    assert_eq!(
        fail_open.unwrap_err(),
        ConfigError::RevocationSettingsWithoutStore
    );
    let deadline = base()
        .audience(AUD)
        .revocation_deadline(std::time::Duration::from_secs(1))
        .build();
    assert_eq!(
        deadline.unwrap_err(),
        ConfigError::RevocationSettingsWithoutStore
    );
    let typ = base().audience(AUD).token_types(["JWT"]).rfc9068().build();
    assert_eq!(typ.unwrap_err(), ConfigError::ProfileFixesTokenType);
    let http = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, k.jwks()).insecure_allow_http())
        .audience(AUD)
        .build();
    assert!(matches!(
        http.unwrap_err(),
        ConfigError::HttpWithoutRemoteKeys { .. }
    ));
    let depth = base().audience(AUD).max_claims_depth(0).build();
    assert_eq!(
        depth.unwrap_err(),
        ConfigError::Zero {
            setting: "max_claims_depth"
        }
    );
    // Each setting alone is fine.
    assert!(base().insecure_skip_audience().build().is_ok());
    assert!(base().audience(AUD).rfc9068().build().is_ok());
}

#[tokio::test]
async fn max_token_age_refuses_old_tokens_and_tokens_without_iat() {
    use std::time::Duration;
    let layer = builder(&[&key(Algorithm::ES256)])
        .max_token_age(Duration::from_secs(600))
        .build()
        .unwrap()
        .layer();
    let es256 = |changes: serde_json::Value| key(Algorithm::ES256).token(&claims_with(changes));
    call(&layer, bearer(&es256(json!({ "iat": now() - 300 }))))
        .await
        .assert_ok();
    // Older than 600 s plus the default 60 s leeway.
    let old = es256(json!({ "iat": now() - 700 }));
    call(&layer, bearer(&old))
        .await
        .assert_invalid_token("token too old");
    let no_iat = es256(json!({ "iat": null }));
    call(&layer, bearer(&no_iat))
        .await
        .assert_invalid_token("iat missing");
}
