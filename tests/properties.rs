//! Property tests: arbitrary header bytes never panic and never yield claims unless they carry
//! the valid token; a valid token with any single byte changed is refused; the same claims
//! signed with another key are refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;

use common::*;
use http::{HeaderMap, HeaderValue, Request};
use proptest::prelude::*;
use tower::{Layer, ServiceExt};
use tower_jwt_auth::testing::TestKey;
use tower_jwt_auth::{
    Algorithm, Claims, Issuer, JwtAuthLayer, RegisteredClaims, TokenSource, Verifier,
};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn verifier() -> &'static Verifier<RegisteredClaims> {
    static V: OnceLock<Verifier<RegisteredClaims>> = OnceLock::new();
    V.get_or_init(|| {
        Verifier::builder()
            .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
            .audience(AUD)
            .disable_token_cache()
            .build()
            .unwrap()
    })
}

fn valid_token() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| {
        key(Algorithm::ES256).token(&serde_json::json!({
            "iss": ISS, "aud": AUD, "sub": "alice", "exp": 4_102_444_800i64,
        }))
    })
}

/// Runs one request with these header values through the layer; returns whether claims reached
/// the inner service, and the status.
fn through_layer(authorization: &[Vec<u8>], cookies: &[Vec<u8>]) -> (bool, u16) {
    let layer = JwtAuthLayer::new(verifier().clone())
        .token_source(TokenSource::bearer())
        .token_source(TokenSource::cookie("at").unwrap());
    let inner = tower::service_fn(|req: Request<()>| async move {
        let has = req.extensions().get::<Claims<RegisteredClaims>>().is_some();
        Ok::<_, std::convert::Infallible>(http::Response::new(has.to_string()))
    });
    let mut headers = HeaderMap::new();
    for value in authorization {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            headers.append("authorization", v);
        }
    }
    for value in cookies {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            headers.append("cookie", v);
        }
    }
    let mut request = Request::get("/").body(()).unwrap();
    *request.headers_mut() = headers;
    let response = runtime()
        .block_on(layer.layer(inner).oneshot(request))
        .unwrap();
    (response.body() == "true", response.status().as_u16())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_header_bytes_never_panic_or_authenticate(
        authorization in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..3),
        cookies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..3),
    ) {
        let (authenticated, status) = through_layer(&authorization, &cookies);
        prop_assert!(!authenticated, "random bytes authenticated (status {status})");
        prop_assert!(matches!(status, 400 | 401), "status {status}");
    }

    #[test]
    fn bearer_prefixed_garbage_is_refused(token in "[A-Za-z0-9._~+/=-]{0,400}") {
        prop_assume!(token != valid_token());
        let (authenticated, status) = through_layer(&[format!("Bearer {token}").into_bytes()], &[]);
        prop_assert!(!authenticated);
        prop_assert_eq!(status, 401);
    }

    #[test]
    fn any_single_byte_change_is_refused(position in 0usize..10_000, byte in any::<u8>()) {
        let token = valid_token().as_bytes();
        let position = position % token.len();
        prop_assume!(token[position] != byte);
        let mut changed = token.to_vec();
        changed[position] = byte;
        // Not necessarily UTF-8 any more: through the layer, as header bytes.
        let (authenticated, _) = through_layer(&[[b"Bearer ".as_slice(), &changed].concat()], &[]);
        prop_assert!(!authenticated, "a token changed at byte {} was accepted", position);
        if let Ok(text) = std::str::from_utf8(&changed) {
            prop_assert!(runtime().block_on(verifier().verify(text)).is_err());
        }
    }
}

#[test]
fn the_valid_token_itself_passes() {
    assert_eq!(
        through_layer(&[format!("Bearer {}", valid_token()).into_bytes()], &[]),
        (true, 200)
    );
}

#[test]
fn the_same_claims_signed_by_another_key_are_refused() {
    let claims =
        serde_json::json!({"iss": ISS, "aud": AUD, "sub": "alice", "exp": 4_102_444_800i64});
    for alg in [Algorithm::ES256, Algorithm::RS256, Algorithm::EdDSA] {
        // Same kid as the trusted key, a different key pair.
        let impostor =
            TestKey::generate(alg).with_kid(tower_jwt_auth::testing::alg_name(Algorithm::ES256));
        let token = impostor.token(&claims);
        assert!(
            runtime().block_on(verifier().verify(&token)).is_err(),
            "{alg:?}"
        );
    }
}
