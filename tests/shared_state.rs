//! State shared between requests, one regression test per defect: the verified-token cache
//! against key removal and replacement, real-world key sets (an `enc` twin, one key per `alg`),
//! literal `{tenantid}` issuers, the JWKS fetch's `User-Agent`, discovery's `jwks_uri`, and the
//! token cache's byte budget. Key sets are served by real HTTP servers on 127.0.0.1; every
//! refresh here is a full `200` (no `ETag`), the case that once kept a removed key alive.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use tower_jwt_auth::testing::{JwksServer, TestKey};
use tower_jwt_auth::{Algorithm, AuthErrorKind, Issuer, Refresh, RegisteredClaims, Verifier};

/// Short waits; a refresh every 50 ms. (The remote verifiers here also set a token cache of
/// 1000 tokens.)
fn fast() -> Refresh {
    Refresh::default()
        .key_wait(Duration::from_millis(1500))
        .kid_miss_cooldown(Duration::from_millis(100))
        .fetch_timeout(Duration::from_millis(500))
        .retry_backoff(Duration::from_millis(20), Duration::from_millis(100))
        .initial_retry_max(Duration::from_millis(100))
        .interval_bounds(Duration::from_millis(50), Duration::from_millis(50))
        .jitter(0.0)
}

async fn remote_verifier(server: &JwksServer) -> Verifier<RegisteredClaims> {
    server.set_etag(false);
    let verifier = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, server.jwks_url()).refresh(fast()))
        .audience(AUD)
        .token_cache_capacity(1000)
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), verifier.ready())
        .await
        .expect("keys load");
    verifier
}

fn token(key: &TestKey) -> String {
    key.token(&good_claims())
}

#[tokio::test]
async fn a_removed_key_stops_vouching_after_an_unchanged_full_refresh() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let b = key_with_kid(Algorithm::ES256, "b");
    let d = key_with_kid(Algorithm::ES256, "d");
    let server = JwksServer::start(&[&a, &b]).await;
    let verifier = remote_verifier(&server).await;
    let ta = token(&a);
    assert_eq!(verdict(&verifier, &ta).await, Ok(()));

    server.set_keys(&[&a, &b, &d]);
    refreshed(&server).await;
    assert_eq!(
        verdict(&verifier, &ta).await,
        Ok(()),
        "A is still published"
    );
    assert_eq!(verdict(&verifier, &token(&d)).await, Ok(()));

    server.set_keys(&[&b, &d]);
    refreshed(&server).await;
    assert_eq!(
        verdict(&verifier, &ta).await,
        Err(AuthErrorKind::UnknownKey),
        "A left the set: its cached token must go with it"
    );
    assert_eq!(verdict(&verifier, &token(&b)).await, Ok(()));
    // Through a layer sharing the verifier's cache: the full 401, the inner service never called.
    call(&verifier.layer(), bearer(&ta))
        .await
        .assert_invalid_token("no key for this token");
}

/// `old` verifies a token (cached), survives `unchanged` full refreshes of the same set, then
/// `new` replaces it: the cached token is refused with a bad signature, `new`'s passes.
async fn replaced_key_stops_vouching(old: &TestKey, new: &TestKey, unchanged: usize) {
    let server = JwksServer::start(&[old]).await;
    let verifier = remote_verifier(&server).await;
    let t_old = token(old);
    assert_eq!(verdict(&verifier, &t_old).await, Ok(()));
    for _ in 0..unchanged {
        refreshed(&server).await;
    }
    call(&verifier.layer(), bearer(&t_old)).await.assert_ok();

    server.set_keys(&[new]);
    refreshed(&server).await;
    assert_eq!(
        verdict(&verifier, &t_old).await,
        Err(AuthErrorKind::BadSignature)
    );
    call(&verifier.layer(), bearer(&t_old))
        .await
        .assert_invalid_token("signature invalid");
    assert_eq!(verdict(&verifier, &token(new)).await, Ok(()));
}

#[tokio::test]
async fn a_key_replaced_under_its_kid_stops_vouching() {
    let old = key_with_kid(Algorithm::EdDSA, "k");
    let new = TestKey::generate(Algorithm::EdDSA).with_kid("k");
    replaced_key_stops_vouching(&old, &new, 1).await;
}

#[tokio::test]
async fn a_removed_kidless_key_stops_vouching_after_two_full_refreshes() {
    let old = TestKey::generate(Algorithm::ES256);
    let new = TestKey::generate(Algorithm::ES256);
    replaced_key_stops_vouching(&old, &new, 2).await;
}

/// A token naming a `kid` the set lacks is checked against the kid-less keys; once the set
/// publishes a key under that `kid`, a fresh verifier checks only that key, and a cached verdict
/// must not say otherwise. (The model-based test, `tests/model_keys.rs`, finds this case against a
/// cache that only asks whether the verifying key is still published.)
#[tokio::test]
async fn a_cached_kidless_match_ends_when_its_kid_is_published() {
    let kidless = TestKey::generate(Algorithm::ES256);
    let named = TestKey::generate(Algorithm::ES256).with_kid("x");
    // The kid-less key signs a token that names kid "x".
    let header = json!({ "alg": "ES256", "typ": "JWT", "kid": "x" });
    let t = kidless.sign(&header, &good_claims());
    let server = JwksServer::start(&[&kidless]).await;
    let verifier = remote_verifier(&server).await;
    assert_eq!(verdict(&verifier, &t).await, Ok(()));

    server.set_keys(&[&kidless, &named]);
    refreshed(&server).await;
    assert_eq!(
        verdict(&verifier, &t).await,
        Err(AuthErrorKind::BadSignature)
    );
}

fn with(jwk: Value, changes: Value) -> Value {
    merge(jwk, changes)
}

fn static_verifier(
    keys: &[Value],
    algs: &[Algorithm],
) -> Result<Verifier<RegisteredClaims>, tower_jwt_auth::ConfigError> {
    let jwks = json!({ "keys": keys }).to_string();
    Verifier::builder()
        .issuer(Issuer::static_keys(ISS, jwks))
        .audience(AUD)
        .algorithms(algs.iter().copied())
        .build()
}

#[tokio::test]
async fn an_enc_key_sharing_the_kid_of_the_signing_key_is_ignored() {
    // Keycloak publishes its RSA signing key and its RSA-OAEP encryption key under one kid.
    let sig = key_with_kid(Algorithm::RS256, "kc");
    let enc = key_with_kid(Algorithm::RS384, "kc-enc");
    let enc_jwk = with(
        enc.bare_jwk(),
        json!({ "kid": "kc", "use": "enc", "alg": "RSA-OAEP" }),
    );
    for keys in [
        vec![enc_jwk.clone(), sig.public_jwk()],
        vec![sig.public_jwk(), enc_jwk.clone()],
    ] {
        let verifier = static_verifier(&keys, &[Algorithm::RS256]).unwrap();
        assert_eq!(verdict(&verifier, &token(&sig)).await, Ok(()));
        let status = &verifier.status()[0];
        assert_eq!(status.keys, 1);
        assert_eq!(status.skipped.len(), 1);
        assert_eq!(status.skipped[0].reason, "`use` is not `sig`");
    }
    // The same through a provider.
    let server = JwksServer::start(&[]).await;
    server.set_jwks_document(json!({ "keys": [enc_jwk, sig.public_jwk()] }).to_string());
    let verifier = Verifier::builder()
        .audience(AUD)
        .token_cache_capacity(1000)
        .algorithms([Algorithm::RS256])
        .issuer(Issuer::jwks_url(ISS, server.jwks_url()).refresh(fast()))
        .build()
        .unwrap();
    assert_eq!(verdict(&verifier, &token(&sig)).await, Ok(()));
}

#[tokio::test]
async fn one_key_published_once_per_alg_is_usable_with_each() {
    let rsa = key_with_kid(Algorithm::RS256, "twin");
    let ps = rsa.clone().with_alg(Algorithm::PS256);
    let keys = [
        with(rsa.public_jwk(), json!({ "alg": "RS256" })),
        with(rsa.public_jwk(), json!({ "alg": "PS256" })),
    ];
    let verifier = static_verifier(&keys, &[Algorithm::RS256, Algorithm::PS256]).unwrap();
    assert_eq!(verdict(&verifier, &token(&rsa)).await, Ok(()));
    assert_eq!(verdict(&verifier, &token(&ps)).await, Ok(()));
    assert_eq!(verifier.status()[0].keys, 1, "one key, two algorithms");
    assert!(verifier.status()[0].skipped.is_empty());
    // An algorithm neither copy names stays refused.
    let rs512 = rsa.clone().with_alg(Algorithm::RS512);
    let verifier = static_verifier(&keys, &[Algorithm::RS256, Algorithm::RS512]).unwrap();
    assert_eq!(
        verdict(&verifier, &token(&rs512)).await,
        Err(AuthErrorKind::AlgNotAllowed)
    );
    // A twin whose algorithm is off the list is dropped before the shared-kid rule.
    let verifier = static_verifier(&keys, &[Algorithm::RS256]).unwrap();
    assert_eq!(verdict(&verifier, &token(&rsa)).await, Ok(()));
    assert_eq!(verifier.status()[0].skipped.len(), 1);
}

#[tokio::test]
async fn two_different_signing_keys_under_one_kid_stay_ambiguous() {
    let a = key_with_kid(Algorithm::ES256, "same");
    let b = TestKey::generate(Algorithm::ES256).with_kid("same");
    let other = key_with_kid(Algorithm::ES256, "other");
    let keys = [a.public_jwk(), b.public_jwk(), other.public_jwk()];
    let verifier = static_verifier(&keys, &[Algorithm::ES256]).unwrap();
    for t in [token(&a), token(&b)] {
        assert_eq!(verdict(&verifier, &t).await, Err(AuthErrorKind::UnknownKey));
    }
    assert_eq!(verdict(&verifier, &token(&other)).await, Ok(()));
    let status = &verifier.status()[0];
    assert_eq!(status.skipped.len(), 2);
    assert!(
        status
            .skipped
            .iter()
            .all(|s| s.reason == "kid shared with another key of the same type")
    );
}

const TENANT: &str = "6f1c2e4a-d9f0-4b7e-a1d2-3c4b5a697887";

#[tokio::test]
async fn a_literal_tenantid_issuer_never_matches() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let template = "https://login.example.com/{tenantid}/v2.0";
    let real = format!("https://login.example.com/{TENANT}/v2.0");
    let server = JwksServer::start(&[&a]).await;
    let verifiers = [
        Verifier::builder()
            .issuer(Issuer::static_keys(template, a.jwks()).tenants([TENANT]))
            .audience(AUD)
            .build()
            .unwrap(),
        Verifier::builder()
            .issuer(
                Issuer::jwks_url(template, server.jwks_url())
                    .insecure_any_tenant()
                    .refresh(fast()),
            )
            .audience(AUD)
            .token_cache_capacity(1000)
            .build()
            .unwrap(),
    ];
    for verifier in &verifiers {
        let from =
            |iss: &str, tid: Option<&str>| a.token(&claims_with(json!({ "iss": iss, "tid": tid })));
        assert_eq!(verdict(verifier, &from(&real, Some(TENANT))).await, Ok(()));
        for (iss, tid) in [
            (template, Some(TENANT)),
            (template, None),
            (template, Some("{tenantid}")),
            (real.as_str(), Some("{tenantid}")),
        ] {
            assert_eq!(
                verdict(verifier, &from(iss, tid)).await,
                Err(AuthErrorKind::WrongIssuer),
                "iss {iss:?}, tid {tid:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_crate_client_sends_a_user_agent() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    let verifier = Verifier::builder()
        .issuer(Issuer::discover(server.base_url()).refresh(fast()))
        .audience(AUD)
        .token_cache_capacity(1000)
        .build()
        .unwrap();
    assert_eq!(verdict(&verifier, &from_base(&a, &server)).await, Ok(()));
    let agents = server.user_agents();
    assert!(agents.len() >= 2, "discovery and the key set: {agents:?}");
    let expected = format!("tower-jwt-auth/{}", env!("CARGO_PKG_VERSION"));
    assert!(
        agents
            .iter()
            .all(|a| a.as_deref() == Some(expected.as_str())),
        "{agents:?}"
    );
}

fn from_base(key: &TestKey, server: &JwksServer) -> String {
    key.token(&claims_with(json!({ "iss": server.base_url() })))
}

/// Verifies `token` every 20 ms until it passes (at most 5 s).
async fn passes_eventually(verifier: &Verifier<RegisteredClaims>, token: &str) {
    let start = Instant::now();
    while verdict(verifier, token).await.is_err() {
        assert!(start.elapsed() < Duration::from_secs(5), "never accepted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A provider found by discovery holding key A, a second server holding B, and a verifier
/// (discovery refreshed every `discovery_refresh`, or at its daily default) that has verified
/// A's token. Returns B's token, the provider, the new home and the verifier.
async fn moving_provider(
    discovery_refresh: Option<Duration>,
) -> (
    String,
    String,
    JwksServer,
    JwksServer,
    Verifier<RegisteredClaims>,
) {
    let a = key_with_kid(Algorithm::ES256, "a");
    let b = key_with_kid(Algorithm::ES256, "b");
    let provider = JwksServer::start(&[&a]).await;
    let new_home = JwksServer::start(&[&b]).await;
    let mut refresh = fast();
    if let Some(interval) = discovery_refresh {
        refresh = refresh.discovery_interval(interval);
    }
    let verifier = Verifier::builder()
        .issuer(Issuer::discover(provider.base_url()).refresh(refresh))
        .audience(AUD)
        .token_cache_capacity(1000)
        .build()
        .unwrap();
    let (ta, tb) = (from_base(&a, &provider), from_base(&b, &provider));
    assert_eq!(verdict(&verifier, &ta).await, Ok(()));
    (ta, tb, provider, new_home, verifier)
}

#[tokio::test]
async fn a_moved_jwks_uri_is_followed_when_discovery_is_refreshed() {
    let (ta, tb, provider, new_home, verifier) =
        moving_provider(Some(Duration::from_millis(200))).await;
    assert_eq!(
        verdict(&verifier, &tb).await,
        Err(AuthErrorKind::UnknownKey)
    );
    let discoveries = provider.discovery_requests();

    provider.set_discovery_jwks_uri(Some(&new_home.jwks_url()));
    passes_eventually(&verifier, &tb).await;
    assert!(provider.discovery_requests() > discoveries);
    assert!(new_home.jwks_requests() >= 1);
    // The old location's keys are gone with it.
    refreshed(&new_home).await;
    assert_eq!(
        verdict(&verifier, &ta).await,
        Err(AuthErrorKind::UnknownKey)
    );
}

#[tokio::test]
async fn a_failing_jwks_uri_sends_the_fetcher_back_to_discovery() {
    // Discovery refreshed daily: only the failures bring it back early.
    let (_, tb, provider, new_home, verifier) = moving_provider(None).await;
    let discoveries = provider.discovery_requests();
    provider.set_discovery_jwks_uri(Some(&new_home.jwks_url()));
    provider.set_behavior(tower_jwt_auth::testing::Behavior::Status(404));
    passes_eventually(&verifier, &tb).await;
    assert!(provider.discovery_requests() > discoveries);
}

/// Counts panics anywhere but in this file's own assertions (a refresher task that panics is
/// otherwise silent: the runtime catches it).
fn panics_outside_tests() -> &'static std::sync::atomic::AtomicUsize {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info
                .location()
                .is_none_or(|l| !l.file().starts_with("tests/"))
            {
                COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            default(info);
        }));
    });
    &COUNT
}

#[tokio::test]
async fn provider_numbers_that_overflow_do_not_stop_the_refresher() {
    let panics = panics_outside_tests();
    let a = key_with_kid(Algorithm::ES256, "a");
    let b = key_with_kid(Algorithm::ES256, "b");
    let server = JwksServer::start(&[&a]).await;
    server.set_cache_control(Some("max-age=18446744073709551615"));
    for max in [Duration::from_secs(3600), Duration::MAX] {
        let verifier = Verifier::builder()
            .issuer(
                Issuer::jwks_url(ISS, server.jwks_url())
                    .refresh(fast().interval_bounds(Duration::from_millis(50), max)),
            )
            .audience(AUD)
            .token_cache_capacity(1000)
            .build()
            .unwrap();
        assert_eq!(verdict(&verifier, &token(&a)).await, Ok(()));
        assert_eq!(
            verifier.status()[0].freshness,
            tower_jwt_auth::Freshness::Fresh
        );
    }
    // Past u64 seconds: not a number this crate reads, so the default interval applies.
    server.set_cache_control(Some("max-age=99999999999999999999999"));
    server.set_keys(&[&a, &b]);
    let verifier = remote_verifier(&server).await;
    assert_eq!(verdict(&verifier, &token(&b)).await, Ok(()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        panics.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a task panicked"
    );
}

#[tokio::test]
async fn tenants_need_a_template() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let refused = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, a.jwks()).tenants([TENANT]))
        .audience(AUD)
        .build()
        .unwrap_err();
    assert!(
        refused.to_string().contains("`{tenantid}` issuer"),
        "{refused}"
    );

    // Discovery of a single-tenant document with tenants configured: a clear error.
    let server = JwksServer::start(&[&a]).await;
    let verifier = Verifier::builder()
        .issuer(
            Issuer::discover(server.base_url())
                .tenants([TENANT])
                .refresh(fast().key_wait(Duration::from_millis(200))),
        )
        .audience(AUD)
        .token_cache_capacity(1000)
        .build()
        .unwrap();
    let start = Instant::now();
    while verifier.status()[0].last_error.is_none() {
        assert!(start.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let error = verifier.status()[0].last_error.clone().unwrap();
    assert!(error.contains("not multi-tenant"), "{error}");
}

/// A verifier of the `organizations` endpoint of a multi-tenant provider at `base`, accepting
/// `TENANT`, and a token of `key` from that tenant.
fn organizations(base: &str, refresh: Refresh, key: &TestKey) -> (Verifier, String) {
    let verifier = Verifier::builder()
        .issuer(
            Issuer::discover(format!("{base}/organizations/v2.0"))
                .tenants([TENANT])
                .refresh(refresh),
        )
        .audience(AUD)
        .token_cache_capacity(1000)
        .build()
        .unwrap();
    let token = key.token(&claims_with(
        json!({ "iss": format!("{base}/{TENANT}/v2.0"), "tid": TENANT }),
    ));
    (verifier, token)
}

#[tokio::test]
async fn a_cached_tenant_token_ends_when_discovery_changes_the_template() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    let base = server.base_url();
    server.set_discovery_issuer(Some(&format!("{base}/{{tenantid}}/v2.0")));
    let (verifier, t) = organizations(
        &base,
        fast().discovery_interval(Duration::from_millis(100)),
        &a,
    );
    assert_eq!(verdict(&verifier, &t).await, Ok(()));
    assert_eq!(verdict(&verifier, &t).await, Ok(()), "cached");

    // The provider now names another template: the token's `iss` no longer fits it.
    server.set_discovery_issuer(Some(&format!("{base}/tenants/{{tenantid}}/v2.0")));
    let start = Instant::now();
    while verdict(&verifier, &t).await.is_ok() {
        assert!(start.elapsed() < Duration::from_secs(5), "still accepted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        verdict(&verifier, &t).await,
        Err(AuthErrorKind::WrongIssuer)
    );
}

#[tokio::test]
async fn a_tenant_token_before_the_first_load_gets_503_not_401() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    let base = server.base_url();
    server.set_behavior(tower_jwt_auth::testing::Behavior::Down); // discovery never answers
    let (verifier, t) = organizations(&base, fast().key_wait(Duration::from_millis(200)), &a);
    let outcome = call(&verifier.layer(), bearer(&t)).await;
    outcome.assert_rejected(503, None);
    assert_eq!(outcome.code(), Some("keys_unavailable"));
    assert!(outcome.headers.contains_key("retry-after"));
}
