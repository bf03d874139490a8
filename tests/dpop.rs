//! DPoP (RFC 9449) at the resource server: every proof check, the token binding, the modes and
//! their challenges, replay refusal, server nonces, gRPC and RFC 9728 metadata. Each rejection
//! is checked for its status, its `WWW-Authenticate` values, `Cache-Control: no-store` and that
//! the inner service was never called.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{AUD, ISS, key};
use http::{Request, Response};
use serde_json::{Value, json};
use tower::{ServiceExt, service_fn};
use tower_jwt_auth::clock::Clock;
use tower_jwt_auth::dpop::{Dpop, DpopKey, DpopNonce, ReplayCache};
use tower_jwt_auth::mtls::ClientCertificate;
use tower_jwt_auth::testing::{DpopProof, ManualClock, TestKey, now, sha256};
use tower_jwt_auth::{Algorithm, Claims};
use tower_jwt_auth::{AuthError, Issuer, JwtAuthLayer, RegisteredClaims, Verifier};

const BASE: &str = "https://api.example";
const URL: &str = "https://api.example/orders";
const ALGS: &str = "ES256 ES384 RS256 PS256 EdDSA";

fn issuer() -> TestKey {
    key(Algorithm::ES256)
}

fn client() -> TestKey {
    common::key_with_kid(Algorithm::ES256, "client")
}

fn verifier_with(clock: Option<ManualClock>) -> Verifier<RegisteredClaims> {
    let builder = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, issuer().jwks()))
        .audience(AUD);
    match clock {
        Some(clock) => builder.clock(clock),
        None => builder,
    }
    .build()
    .unwrap()
}

fn allowed() -> JwtAuthLayer<RegisteredClaims> {
    verifier_with(None).layer().dpop(Dpop::new(BASE).unwrap())
}

fn claims(changes: Value) -> Value {
    common::merge(
        json!({ "iss": ISS, "aud": AUD, "sub": "alice", "exp": now() + 300, "iat": now() }),
        changes,
    )
}

/// A token bound to `client`'s key.
fn bound_to(client: &TestKey) -> String {
    issuer().token(&claims(json!({ "cnf": { "jkt": client.thumbprint() } })))
}

fn proof<'k>(client: &'k TestKey, token: &str) -> DpopProof<'k> {
    DpopProof::new(client, "GET", URL).access_token(token)
}

fn dpop_request(token: &str, proof: &str) -> Request<()> {
    Request::get("/orders")
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .body(())
        .unwrap()
}

struct Outcome {
    status: u16,
    headers: http::HeaderMap,
    body: String,
    inner_calls: usize,
    error: Option<AuthError>,
}

impl Outcome {
    fn challenges(&self) -> Vec<&str> {
        self.headers
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    fn code(&self) -> &'static str {
        self.error.as_ref().map_or("ok", AuthError::code)
    }

    #[track_caller]
    fn assert_rejected(&self, status: u16, challenges: &[&str]) {
        assert_eq!(self.status, status, "status ({:?})", self.error);
        assert_eq!(self.challenges(), challenges, "WWW-Authenticate");
        assert_eq!(self.headers["cache-control"], "no-store");
        assert_eq!(self.inner_calls, 0, "the inner service must not be called");
    }

    /// 401 `invalid_dpop_proof` with this description, on a layer that also takes bearer tokens.
    #[track_caller]
    fn assert_bad_proof(&self, description: &str) {
        let dpop = format!(
            r#"DPoP realm="api", algs="{ALGS}", error="invalid_dpop_proof", error_description="{description}""#
        );
        self.assert_rejected(401, &[&dpop, r#"Bearer realm="api""#]);
    }

    #[track_caller]
    fn assert_ok(&self) {
        assert_eq!(self.status, 200, "{:?} {:?}", self.challenges(), self.error);
        assert_eq!(self.inner_calls, 1);
    }
}

/// Calls a layer around an inner service that counts its calls and answers with the subject
/// and the proof key's thumbprint.
async fn call(layer: &JwtAuthLayer<RegisteredClaims>, request: Request<()>) -> Outcome {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let inner = service_fn(move |req: Request<()>| {
        counter.fetch_add(1, Ordering::SeqCst);
        let sub = req
            .extensions()
            .get::<Claims<RegisteredClaims>>()
            .and_then(|c| c.sub.clone())
            .unwrap_or_default();
        let jkt = req
            .extensions()
            .get::<DpopKey>()
            .map(|k| k.thumbprint().to_owned())
            .unwrap_or_default();
        async move { Ok::<_, Infallible>(Response::new(format!("{sub} {jkt}"))) }
    });
    let response = tower::Layer::layer(layer, inner)
        .oneshot(request)
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    Outcome {
        status: parts.status.as_u16(),
        error: parts.extensions.get::<AuthError>().cloned(),
        headers: parts.headers,
        body,
        inner_calls: calls.load(Ordering::SeqCst),
    }
}

// ------------------------------------------------------------------------ accepted requests

#[tokio::test]
async fn a_bound_token_with_its_proof_passes_and_the_handler_sees_the_key() {
    let client = client();
    let token = bound_to(&client);
    let out = call(
        &allowed(),
        dpop_request(&token, &proof(&client, &token).sign()),
    )
    .await;
    out.assert_ok();
    assert_eq!(out.body, format!("alice {}", client.thumbprint()));
}

#[tokio::test]
async fn every_default_proof_algorithm_is_accepted() {
    for alg in [
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::PS256,
        Algorithm::RS256,
        Algorithm::EdDSA,
    ] {
        let client = common::key_with_kid(alg, "client");
        let token = bound_to(&client);
        let out = call(
            &allowed(),
            dpop_request(&token, &proof(&client, &token).sign()),
        )
        .await;
        out.assert_ok();
    }
}

#[tokio::test]
async fn the_thumbprint_is_rfc7638_computed_independently() {
    let client = client();
    let jwk = client.bare_jwk();
    let canonical = format!(
        r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["crv"].as_str().unwrap(),
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    use base64::Engine as _;
    let expected =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha256(canonical.as_bytes()));
    assert_eq!(client.thumbprint(), expected);
}

#[tokio::test]
async fn scheme_is_case_insensitive_and_htu_normalized() {
    let client = client();
    let token = bound_to(&client);
    for (scheme, htu) in [
        ("dpop", URL),
        ("DPOP", "HTTPS://API.example:443/orders?page=2#top"),
    ] {
        let proof = DpopProof::new(&client, "GET", htu)
            .access_token(&token)
            .sign();
        let req = Request::get("/orders?page=2")
            .header("authorization", format!("{scheme} {token}"))
            .header("dpop", proof)
            .body(())
            .unwrap();
        call(&allowed(), req).await.assert_ok();
    }
}

#[tokio::test]
async fn bearer_tokens_still_pass_a_layer_that_allows_dpop() {
    let token = issuer().token(&claims(json!({})));
    let req = Request::get("/orders")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    let out = call(&allowed(), req).await;
    out.assert_ok();
    assert_eq!(out.body, "alice ", "no DpopKey for a bearer token");
}

// --------------------------------------------------------------------------- proof checks

/// Sends `token` with `proof` and expects 401 `invalid_dpop_proof` with `description`.
async fn refused_proof(token: &str, proof: &str, description: &str) {
    let out = call(&allowed(), dpop_request(token, proof)).await;
    out.assert_bad_proof(description);
    assert_eq!(out.code(), "invalid_dpop_proof", "{description}");
}

#[tokio::test]
async fn each_header_rule_is_enforced() {
    let client = client();
    let token = bound_to(&client);
    let p = || proof(&client, &token);
    let other = common::key_with_kid(Algorithm::ES256, "other");
    let mut private = client.bare_jwk();
    private["d"] = json!("AAAA");
    let weak_rsa = json!({"kty": "RSA", "n": "AQAB".repeat(42), "e": "AQAB"});
    let cases: Vec<(String, &str)> = vec![
        (
            p().header_member("typ", "JWT").sign(),
            "proof typ is not dpop+jwt",
        ),
        (
            p().remove_header_member("typ").sign(),
            "proof typ is not dpop+jwt",
        ),
        (
            p().header_member("alg", "HS256").sign(),
            "proof algorithm not allowed",
        ),
        (
            p().header_member("alg", "none").sign(),
            "proof algorithm not allowed",
        ),
        (
            p().header_member("alg", "ES512").sign(),
            "proof algorithm not allowed",
        ),
        (p().remove_header_member("jwk").sign(), "proof has no jwk"),
        (
            p().header_member("jwk", private).sign(),
            "proof jwk holds a private key",
        ),
        (
            p().header_member("jwk", weak_rsa).sign(),
            "proof jwk is not a usable public key",
        ),
        (
            p().header_member("jwk", json!({"kty": "oct", "k": "AAAA"}))
                .sign(),
            "proof jwk is not a usable public key",
        ),
        (
            p().header_member("jwk", "a string").sign(),
            "proof jwk is not a usable public key",
        ),
        (
            p().header_member("alg", "PS256").sign(),
            "proof algorithm does not fit its jwk",
        ),
        (
            p().header_member("jwk", other.bare_jwk()).sign(),
            "proof signature invalid",
        ),
        (
            p().header_member("crit", json!(["exp"])).sign(),
            "proof header member not supported",
        ),
        ("not-a-jws".to_owned(), "proof is not a well-formed JWS"),
        (format!("{}x", p().sign()), "proof signature invalid"),
    ];
    for (proof, description) in cases {
        refused_proof(&token, &proof, description).await;
    }
}

#[tokio::test]
async fn each_claim_rule_is_enforced() {
    let client = client();
    let token = bound_to(&client);
    let p = || proof(&client, &token);
    let cases: Vec<(String, &str)> = vec![
        (
            p().claim("htm", "POST").sign(),
            "proof htm does not match the request method",
        ),
        (
            p().claim("htm", "get").sign(),
            "proof htm does not match the request method",
        ),
        (p().remove_claim("htm").sign(), "proof htm missing"),
        (
            p().claim("htu", "https://other.example/orders").sign(),
            "proof htu does not match the request URL",
        ),
        (
            p().claim("htu", "https://api.example/orders/1").sign(),
            "proof htu does not match the request URL",
        ),
        (
            p().claim("htu", "http://api.example/orders").sign(),
            "proof htu does not match the request URL",
        ),
        (p().claim("htu", 42).sign(), "proof htu missing"),
        (p().remove_claim("htu").sign(), "proof htu missing"),
        (
            p().claim("iat", now() - 61).sign(),
            "proof iat outside the accepted window",
        ),
        (
            p().claim("iat", now() + 61).sign(),
            "proof iat outside the accepted window",
        ),
        (p().claim("iat", "now").sign(), "proof iat missing"),
        (p().remove_claim("iat").sign(), "proof iat missing"),
        (p().remove_claim("jti").sign(), "proof jti missing"),
        (p().claim("jti", "").sign(), "proof jti empty or too long"),
        (
            p().claim("jti", "j".repeat(257)).sign(),
            "proof jti empty or too long",
        ),
        (p().remove_claim("ath").sign(), "proof ath missing"),
        (
            p().claim("ath", "x".repeat(43)).sign(),
            "proof ath does not match the token",
        ),
        (
            client.sign_parts(
                r#"{"typ":"dpop+jwt","alg":"ES256","jwk":{}}"#,
                br#"{"jti":"a","jti":"b"}"#,
            ),
            "proof jwk is not a usable public key",
        ),
    ];
    for (proof, description) in cases {
        refused_proof(&token, &proof, description).await;
    }
    // A duplicate claim, under a valid key.
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": client.bare_jwk()}).to_string();
    let duplicate = client.sign_parts(&header, br#"{"jti":"a","jti":"b"}"#);
    refused_proof(
        &token,
        &duplicate,
        "proof claims are not a valid JSON object",
    )
    .await;
}

#[tokio::test]
async fn the_proof_header_must_be_one_bounded_value() {
    let client = client();
    let token = bound_to(&client);
    let good = proof(&client, &token).sign();
    let invalid_request = format!(
        r#"DPoP realm="api", algs="{ALGS}", error="invalid_request", error_description="several DPoP proofs""#
    );

    let missing = Request::get("/orders")
        .header("authorization", format!("DPoP {token}"))
        .body(())
        .unwrap();
    call(&allowed(), missing)
        .await
        .assert_bad_proof("proof missing");

    let two = Request::get("/orders")
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", &good)
        .header("dpop", &good)
        .body(())
        .unwrap();
    let out = call(&allowed(), two).await;
    out.assert_rejected(400, &[&invalid_request, r#"Bearer realm="api""#]);
    assert_eq!(out.code(), "invalid_request");

    let comma = dpop_request(&token, &format!("{good},{good}"));
    call(&allowed(), comma)
        .await
        .assert_rejected(400, &[&invalid_request, r#"Bearer realm="api""#]);

    let layer = verifier_with(None)
        .layer()
        .dpop(Dpop::new(BASE).unwrap().max_proof_len(good.len() - 1));
    call(&layer, dpop_request(&token, &good))
        .await
        .assert_bad_proof("proof too large");
}

// --------------------------------------------------------------------------- the binding

#[tokio::test]
async fn the_token_must_be_bound_to_the_proof_key() {
    let client = client();
    let other = common::key_with_kid(Algorithm::ES256, "other");
    let challenge = |d: &str| {
        format!(
            r#"DPoP realm="api", algs="{ALGS}", error="invalid_token", error_description="{d}""#
        )
    };
    let unbound = issuer().token(&claims(json!({})));
    let out = call(
        &allowed(),
        dpop_request(&unbound, &proof(&client, &unbound).sign()),
    )
    .await;
    out.assert_rejected(
        401,
        &[
            &challenge("token is not bound to a DPoP key"),
            r#"Bearer realm="api""#,
        ],
    );
    assert_eq!(out.code(), "binding_mismatch");

    let theirs = bound_to(&other);
    let out = call(
        &allowed(),
        dpop_request(&theirs, &proof(&client, &theirs).sign()),
    )
    .await;
    out.assert_rejected(
        401,
        &[
            &challenge("token is bound to another DPoP key"),
            r#"Bearer realm="api""#,
        ],
    );

    let cert_bound = issuer().token(&claims(json!({"cnf": {"x5t#S256": "abc"}})));
    let out = call(
        &allowed(),
        dpop_request(&cert_bound, &proof(&client, &cert_bound).sign()),
    )
    .await;
    out.assert_rejected(
        401,
        &[
            &challenge("token is not bound to a DPoP key"),
            r#"Bearer realm="api""#,
        ],
    );

    // Token errors on a DPoP request go on the DPoP challenge.
    let expired = issuer().token(&claims(
        json!({"exp": now() - 600, "cnf": {"jkt": client.thumbprint()}}),
    ));
    let out = call(
        &allowed(),
        dpop_request(&expired, &proof(&client, &expired).sign()),
    )
    .await;
    out.assert_rejected(401, &[&challenge("token expired"), r#"Bearer realm="api""#]);
}

#[tokio::test]
async fn a_bound_token_is_never_a_bearer_token() {
    let client = client();
    let token = bound_to(&client);
    let bearer = Request::get("/orders")
        .header("authorization", format!("Bearer {token}"))
        .header("dpop", proof(&client, &token).sign())
        .body(())
        .unwrap();
    let out = call(&allowed(), bearer).await;
    out.assert_rejected(
        401,
        &[
            &format!(r#"DPoP realm="api", algs="{ALGS}""#),
            r#"Bearer realm="api", error="invalid_token", error_description="sender-constrained token""#,
        ],
    );
    assert_eq!(out.code(), "sender_constrained");
    let err = verifier_with(None).verify(&token).await.unwrap_err();
    assert_eq!(err.code(), "sender_constrained");
    // Unknown or unreadable confirmation methods are refused everywhere.
    for cnf in [
        json!({"jwk": {}}),
        json!("jkt"),
        json!({"jkt": 1}),
        json!({}),
    ] {
        let token = issuer().token(&claims(json!({ "cnf": cnf })));
        let out = call(
            &allowed(),
            dpop_request(&token, &proof(&client, &token).sign()),
        )
        .await;
        assert_eq!(
            (out.status, out.code()),
            (401, "sender_constrained"),
            "{cnf}"
        );
    }
}

#[tokio::test]
async fn one_credential_per_request() {
    let client = client();
    let token = bound_to(&client);
    let req = Request::get("/orders")
        .header("authorization", format!("DPoP {token}"))
        .header("authorization", format!("Bearer {token}"))
        .header("dpop", proof(&client, &token).sign())
        .body(())
        .unwrap();
    let out = call(&allowed(), req).await;
    assert_eq!(
        (out.status, out.code(), out.inner_calls),
        (400, "invalid_request", 0)
    );
    out.assert_rejected(
        400,
        &[
            &format!(
                r#"DPoP realm="api", algs="{ALGS}", error="invalid_request", error_description="several different tokens in one request""#
            ),
            r#"Bearer realm="api""#,
        ],
    );
}

// ------------------------------------------------------------------------------- modes

#[tokio::test]
async fn required_mode_refuses_bearer_tokens_with_a_dpop_challenge_only() {
    let layer = verifier_with(None)
        .layer()
        .dpop(Dpop::new(BASE).unwrap().required());
    let bearer = issuer().token(&claims(json!({})));
    let out = call(&layer, common::bearer(&bearer)).await;
    out.assert_rejected(
        401,
        &[&format!(
            r#"DPoP realm="api", algs="{ALGS}", error="invalid_token", error_description="DPoP-bound token required""#
        )],
    );
    assert_eq!(out.code(), "dpop_required");
    let out = call(&layer, Request::get("/orders").body(()).unwrap()).await;
    out.assert_rejected(401, &[&format!(r#"DPoP realm="api", algs="{ALGS}""#)]);
    let client = client();
    let token = bound_to(&client);
    call(&layer, dpop_request(&token, &proof(&client, &token).sign()))
        .await
        .assert_ok();
}

#[tokio::test]
async fn without_dpop_a_layer_answers_as_before() {
    let client = client();
    let token = bound_to(&client);
    let layer = verifier_with(None).layer();
    let out = call(&layer, dpop_request(&token, &proof(&client, &token).sign())).await;
    out.assert_rejected(401, &[r#"Bearer realm="api""#]);
    assert_eq!(out.code(), "missing");
    let out = call(&layer, common::bearer(&token)).await;
    out.assert_rejected(
        401,
        &[r#"Bearer realm="api", error="invalid_token", error_description="sender-constrained token""#],
    );
}

// ------------------------------------------------------------------------------- replay

#[tokio::test]
async fn a_proof_is_accepted_once_and_a_fresh_one_again() {
    let client = client();
    let token = bound_to(&client);
    let layer = allowed();
    let proof_once = proof(&client, &token).sign();
    call(&layer, dpop_request(&token, &proof_once))
        .await
        .assert_ok();
    let out = call(&layer, dpop_request(&token, &proof_once)).await;
    out.assert_bad_proof("proof replayed");
    assert_eq!(out.code(), "dpop_replayed");
    call(&layer, dpop_request(&token, &proof(&client, &token).sign()))
        .await
        .assert_ok();
    // The same jti under another key is another proof.
    let other = common::key_with_kid(Algorithm::ES256, "other");
    let theirs = bound_to(&other);
    let jti = proof(&client, &token).claims()["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        &layer,
        dpop_request(
            &token,
            &proof(&client, &token).claim("jti", jti.as_str()).sign(),
        ),
    )
    .await
    .assert_ok();
    call(
        &layer,
        dpop_request(
            &theirs,
            &proof(&other, &theirs).claim("jti", jti.as_str()).sign(),
        ),
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn layers_sharing_a_replay_cache_refuse_each_others_proofs() {
    let dpop = Dpop::new(BASE)
        .unwrap()
        .replay_cache(ReplayCache::memory(100));
    let a = verifier_with(None).layer().dpop(dpop.clone());
    let b = verifier_with(None).layer().dpop(dpop);
    let client = client();
    let token = bound_to(&client);
    let proof = proof(&client, &token).sign();
    call(&a, dpop_request(&token, &proof)).await.assert_ok();
    call(&b, dpop_request(&token, &proof))
        .await
        .assert_bad_proof("proof replayed");
}

#[tokio::test]
async fn a_full_replay_cache_refuses_with_503_rather_than_forget() {
    let cache = ReplayCache::memory(2);
    let layer = verifier_with(None)
        .layer()
        .dpop(Dpop::new(BASE).unwrap().replay_cache(cache.clone()));
    let client = client();
    let token = bound_to(&client);
    for _ in 0..2 {
        call(&layer, dpop_request(&token, &proof(&client, &token).sign()))
            .await
            .assert_ok();
    }
    let out = call(&layer, dpop_request(&token, &proof(&client, &token).sign())).await;
    out.assert_rejected(503, &[]);
    assert_eq!(out.code(), "replay_cache_unavailable");
    assert_eq!(out.headers["retry-after"], "5");
    assert_eq!(cache.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_a_thousand_concurrent_copies_of_a_proof_exactly_one_passes() {
    let client = client();
    let token = bound_to(&client);
    let layer = allowed();
    let proof = proof(&client, &token).sign();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let (layer, req) = (layer.clone(), dpop_request(&token, &proof));
        tasks.spawn(async move { call(&layer, req).await.status });
    }
    let statuses = tasks.join_all().await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 999);
}

// ------------------------------------------------------------------------------- nonces

#[tokio::test]
async fn nonce_round_trip_rotation_and_replicas() {
    let clock = ManualClock::at(1_800_000_000.0);
    let secret = [9u8; 32];
    let dpop = || {
        Dpop::new(BASE).unwrap().nonce(
            DpopNonce::new(secret)
                .unwrap()
                .rotation(Duration::from_secs(60)),
        )
    };
    let layer = verifier_with(Some(clock.clone())).layer().dpop(dpop());
    let replica = verifier_with(Some(clock.clone())).layer().dpop(dpop());
    let client = client();
    let t = clock.now_unix_secs() as i64;
    let token = issuer().token(&claims(
        json!({"iat": t, "exp": t + 3600, "cnf": {"jkt": client.thumbprint()}}),
    ));
    let at =
        |clock: &ManualClock| proof(&client, &token).claim("iat", clock.now_unix_secs() as i64);

    // No nonce: 401 use_dpop_nonce, with one in DPoP-Nonce.
    let out = call(&layer, dpop_request(&token, &at(&clock).sign())).await;
    out.assert_rejected(
        401,
        &[
            &format!(r#"DPoP realm="api", algs="{ALGS}", error="use_dpop_nonce", error_description="proof needs a current nonce""#),
            r#"Bearer realm="api""#,
        ],
    );
    assert_eq!(out.code(), "use_dpop_nonce");
    let nonce = out.headers["dpop-nonce"].to_str().unwrap().to_owned();

    // With it: accepted here and by a replica with the same secret; no new nonce yet.
    let out = call(
        &layer,
        dpop_request(&token, &at(&clock).nonce(&nonce).sign()),
    )
    .await;
    out.assert_ok();
    assert!(out.headers.get("dpop-nonce").is_none());
    call(
        &replica,
        dpop_request(&token, &at(&clock).nonce(&nonce).sign()),
    )
    .await
    .assert_ok();

    // One rotation later: still accepted, and the answer carries the next nonce.
    clock.advance(Duration::from_secs(60));
    let out = call(
        &layer,
        dpop_request(&token, &at(&clock).nonce(&nonce).sign()),
    )
    .await;
    out.assert_ok();
    let next = out.headers["dpop-nonce"].to_str().unwrap().to_owned();
    assert_ne!(next, nonce);

    // Two rotations later: stale.
    clock.advance(Duration::from_secs(60));
    let out = call(
        &layer,
        dpop_request(&token, &at(&clock).nonce(&nonce).sign()),
    )
    .await;
    assert_eq!((out.status, out.code()), (401, "use_dpop_nonce"));
    call(
        &layer,
        dpop_request(&token, &at(&clock).nonce(&next).sign()),
    )
    .await
    .assert_ok();

    // Another secret's nonce, or a made-up one, is refused.
    let stranger = verifier_with(Some(clock.clone())).layer().dpop(
        Dpop::new(BASE).unwrap().nonce(
            DpopNonce::new([1u8; 32])
                .unwrap()
                .rotation(Duration::from_secs(60)),
        ),
    );
    let out = call(
        &stranger,
        dpop_request(&token, &at(&clock).nonce(&next).sign()),
    )
    .await;
    assert_eq!((out.status, out.code()), (401, "use_dpop_nonce"));
    let out = call(
        &layer,
        dpop_request(&token, &at(&clock).nonce("made-up").sign()),
    )
    .await;
    assert_eq!((out.status, out.code()), (401, "use_dpop_nonce"));
}

// ------------------------------------------------------------------ gRPC and metadata

#[tokio::test]
async fn grpc_calls_get_status_16_and_the_nonce_header() {
    let client = client();
    let token = bound_to(&client);
    let layer = verifier_with(None).layer().dpop(
        Dpop::new(BASE)
            .unwrap()
            .nonce(DpopNonce::new([9u8; 32]).unwrap()),
    );
    let grpc = |proof: &str| {
        let mut req = dpop_request(&token, proof);
        req.headers_mut()
            .insert("content-type", "application/grpc".parse().unwrap());
        req
    };
    let out = call(&layer, grpc(&proof(&client, &token).sign())).await;
    assert_eq!((out.status, out.inner_calls), (200, 0));
    assert_eq!(out.headers["grpc-status"], "16");
    assert_eq!(out.headers["grpc-message"], "proof needs a current nonce");
    assert!(out.headers.contains_key("dpop-nonce"));
    let out = call(
        &layer,
        grpc(&proof(&client, &token).claim("htm", "POST").sign()),
    )
    .await;
    assert_eq!(out.headers["grpc-status"], "16");
    assert_eq!(out.code(), "invalid_dpop_proof");
}

#[tokio::test]
async fn metadata_names_the_proof_algorithms() {
    let doc = |layer: JwtAuthLayer<RegisteredClaims>| {
        layer.protected_resource_metadata(BASE).unwrap().document()
    };
    let allowed = doc(allowed());
    assert_eq!(
        allowed["dpop_signing_alg_values_supported"],
        json!(["ES256", "ES384", "RS256", "PS256", "EdDSA"])
    );
    assert_eq!(allowed["dpop_bound_access_tokens_required"], json!(false));
    let required = doc(verifier_with(None)
        .layer()
        .dpop(Dpop::new(BASE).unwrap().required()));
    assert_eq!(required["dpop_bound_access_tokens_required"], json!(true));
    assert!(
        doc(verifier_with(None).layer())
            .get("dpop_signing_alg_values_supported")
            .is_none()
    );
}

// ----------------------------------------------------------- certificate-bound tokens

#[tokio::test]
async fn a_certificate_bound_token_needs_that_client_certificate() {
    let certificate = ClientCertificate::new(b"the client's DER".to_vec());
    let token = issuer().token(&claims(
        json!({"cnf": {"x5t#S256": certificate.thumbprint()}}),
    ));
    let layer = verifier_with(None).layer();
    let with = |cert: Option<ClientCertificate>| {
        let mut req = common::bearer(&token);
        if let Some(cert) = cert {
            req.extensions_mut().insert(cert);
        }
        req
    };
    call(&layer, with(Some(certificate.clone())))
        .await
        .assert_ok();
    let out = call(
        &layer,
        with(Some(ClientCertificate::new(b"another".to_vec()))),
    )
    .await;
    out.assert_rejected(
        401,
        &[r#"Bearer realm="api", error="invalid_token", error_description="token is bound to another client certificate""#],
    );
    let out = call(&layer, with(None)).await;
    assert_eq!((out.status, out.code()), (401, "sender_constrained"));
}

// ------------------------------------------------------------------ promises of the README

#[tokio::test]
async fn the_public_url_is_never_taken_from_the_request() {
    let client = client();
    let token = bound_to(&client);
    for (header, value) in [
        ("host", "evil.example"),
        ("x-forwarded-host", "evil.example"),
        ("forwarded", "host=evil.example;proto=https"),
    ] {
        let proof = DpopProof::new(&client, "GET", "https://evil.example/orders")
            .access_token(&token)
            .sign();
        let mut req = dpop_request(&token, &proof);
        req.headers_mut().insert(header, value.parse().unwrap());
        call(&allowed(), req)
            .await
            .assert_bad_proof("proof htu does not match the request URL");
    }
}

#[tokio::test]
async fn only_requests_that_pass_everything_take_replay_cache_space() {
    let cache = ReplayCache::memory(100);
    let layer = verifier_with(None)
        .layer()
        .dpop(Dpop::new(BASE).unwrap().replay_cache(cache.clone()))
        .require_scopes(["admin"]);
    let client = client();
    let token = bound_to(&client);
    let out = call(&layer, dpop_request(&token, &proof(&client, &token).sign())).await;
    assert_eq!((out.status, out.code()), (403, "insufficient_scope"));
    let expired = issuer().token(&claims(
        json!({"exp": now() - 600, "cnf": {"jkt": client.thumbprint()}}),
    ));
    let out = call(
        &layer,
        dpop_request(&expired, &proof(&client, &expired).sign()),
    )
    .await;
    assert_eq!((out.status, out.code()), (401, "expired"));
    assert!(cache.is_empty(), "refused requests recorded no proof");
    let admin = issuer().token(&claims(
        json!({"scope": "admin", "cnf": {"jkt": client.thumbprint()}}),
    ));
    call(&layer, dpop_request(&admin, &proof(&client, &admin).sign()))
        .await
        .assert_ok();
    assert_eq!(cache.len(), 1);
}

#[tokio::test]
async fn the_nonce_is_checked_before_the_signature() {
    let layer = verifier_with(None).layer().dpop(
        Dpop::new(BASE)
            .unwrap()
            .nonce(DpopNonce::new([9u8; 32]).unwrap()),
    );
    let client = client();
    let token = bound_to(&client);
    let forged = |nonce: Option<&str>| {
        let mut proof = proof(&client, &token);
        if let Some(nonce) = nonce {
            proof = proof.nonce(nonce);
        }
        let proof = proof.sign();
        let (head, _) = proof.rsplit_once('.').unwrap();
        format!("{head}.{}", "A".repeat(86))
    };
    let out = call(&layer, dpop_request(&token, &forged(None))).await;
    assert_eq!(
        out.code(),
        "use_dpop_nonce",
        "no signature check spent on it"
    );
    let nonce = out.headers["dpop-nonce"].to_str().unwrap().to_owned();
    let out = call(&layer, dpop_request(&token, &forged(Some(&nonce)))).await;
    assert_eq!(out.error.unwrap().description(), "proof signature invalid");
}

// ------------------------------------------------------------------ the other paths

#[tokio::test]
async fn a_dpop_request_that_waits_for_keys_gets_every_check() {
    use tower_jwt_auth::testing::JwksServer;
    let server = JwksServer::start(&[&issuer()]).await;
    server.set_latency(Duration::from_millis(200));
    let layer = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, server.jwks_url()))
        .audience(AUD)
        .build()
        .unwrap()
        .layer()
        .dpop(Dpop::new(BASE).unwrap());
    let client = client();
    let token = bound_to(&client);
    let other = common::key_with_kid(Algorithm::ES256, "other");
    // The first request waits for the key set: the binding and the replay cache still apply.
    let theirs = bound_to(&other);
    let out = call(
        &layer,
        dpop_request(&theirs, &proof(&client, &theirs).sign()),
    )
    .await;
    assert_eq!(
        (out.status, out.code(), out.inner_calls),
        (401, "binding_mismatch", 0)
    );
    assert!(out.challenges()[0].starts_with("DPoP "));
    let p = proof(&client, &token).sign();
    call(&layer, dpop_request(&token, &p)).await.assert_ok();
    call(&layer, dpop_request(&token, &p))
        .await
        .assert_bad_proof("proof replayed");
}

#[tokio::test]
async fn a_bound_token_accepted_with_its_proof_is_still_refused_as_a_cached_bearer_token() {
    let layer = allowed();
    let client = client();
    let token = bound_to(&client);
    call(&layer, dpop_request(&token, &proof(&client, &token).sign()))
        .await
        .assert_ok();
    // The verified-token cache now holds the token: a bearer presentation still fails.
    let out = call(&layer, common::bearer(&token)).await;
    assert_eq!((out.status, out.code()), (401, "sender_constrained"));
    let err = layer.verifier().verify(&token).await.unwrap_err();
    assert_eq!(err.code(), "sender_constrained");
    let cert_bound = issuer().token(&claims(json!({"cnf": {"x5t#S256": "abc"}})));
    let err = layer.verifier().verify(&cert_bound).await.unwrap_err();
    assert_eq!(err.code(), "sender_constrained");
}

#[tokio::test]
async fn a_request_path_with_dot_segments_never_matches_a_proof() {
    let client = client();
    let token = bound_to(&client);
    for path in ["/x/../orders", "/x/%2e%2e/orders", "/./orders"] {
        let proof = proof(&client, &token).sign();
        let req = Request::get(path)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
            .body(())
            .unwrap();
        call(&allowed(), req)
            .await
            .assert_bad_proof("proof htu does not match the request URL");
    }
}

#[tokio::test]
async fn the_iat_window_is_inclusive() {
    let clock = ManualClock::at(1_800_000_000.0);
    let layer = verifier_with(Some(clock.clone()))
        .layer()
        .dpop(Dpop::new(BASE).unwrap());
    let client = client();
    let t = clock.now_unix_secs() as i64;
    let token = issuer().token(&claims(
        json!({"iat": t, "exp": t + 3600, "cnf": {"jkt": client.thumbprint()}}),
    ));
    for (offset, accepted) in [(-60, true), (60, true), (-61, false), (61, false)] {
        let proof = proof(&client, &token).claim("iat", t + offset).sign();
        let out = call(&layer, dpop_request(&token, &proof)).await;
        assert_eq!(
            out.status == 200,
            accepted,
            "iat {offset:+}: {:?}",
            out.error
        );
    }
}

#[tokio::test]
async fn an_okp_thumbprint_is_rfc7638_computed_independently() {
    let client = common::key_with_kid(Algorithm::EdDSA, "client");
    let jwk = client.bare_jwk();
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        jwk["x"].as_str().unwrap()
    );
    use base64::Engine as _;
    let expected =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha256(canonical.as_bytes()));
    assert_eq!(client.thumbprint(), expected);
    let rsa = common::key_with_kid(Algorithm::RS256, "client");
    let jwk = rsa.bare_jwk();
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        jwk["e"].as_str().unwrap(),
        jwk["n"].as_str().unwrap()
    );
    let expected =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha256(canonical.as_bytes()));
    assert_eq!(rsa.thumbprint(), expected);
}

#[tokio::test]
async fn a_malformed_token_under_the_dpop_scheme_gets_the_dpop_challenge() {
    let client = client();
    let challenge = |d: &str| {
        format!(
            r#"DPoP realm="api", algs="{ALGS}", error="invalid_token", error_description="{d}""#
        )
    };
    for (token, description) in [
        ("not-a-jwt", "token is not a compact JWS"),
        ("a.b.c!", "token has characters outside b64token"),
    ] {
        let out = call(
            &allowed(),
            dpop_request(token, &proof(&client, token).sign()),
        )
        .await;
        out.assert_rejected(401, &[&challenge(description), r#"Bearer realm="api""#]);
    }
}
