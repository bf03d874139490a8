//! The DPoP replay cache in a real redis-server: a proof accepted by one replica is refused by
//! another, the key layout is the documented one, and a Redis that is down or silent refuses
//! proofs with 503 (fail closed) within the deadline.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{AUD, ISS, key};
use http::{Request, Response};
use serde_json::json;
use tower::{ServiceExt, service_fn};
use tower_jwt_auth::dpop::{Dpop, RedisReplayCache, ReplayCache};
use tower_jwt_auth::testing::{DpopProof, TestKey, now};
use tower_jwt_auth::{Algorithm, AuthError, Issuer, JwtAuthLayer, RegisteredClaims, Verifier};

const BASE: &str = "https://api.example";

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A layer (one replica) with its own connection to `cache`'s server.
fn replica(cache: RedisReplayCache) -> JwtAuthLayer<RegisteredClaims> {
    Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
        .build()
        .unwrap()
        .layer()
        .dpop(
            Dpop::new(BASE)
                .unwrap()
                .replay_cache(ReplayCache::redis(cache)),
        )
}

fn client() -> TestKey {
    common::key_with_kid(Algorithm::ES256, "client")
}

fn bound_token(client: &TestKey) -> String {
    key(Algorithm::ES256).token(&json!({
        "iss": ISS, "aud": AUD, "sub": "alice", "exp": now() + 300,
        "cnf": { "jkt": client.thumbprint() },
    }))
}

fn request(token: &str, proof: &str) -> Request<()> {
    Request::get("/orders")
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .body(())
        .unwrap()
}

/// (status, error code, inner calls, WWW-Authenticate values)
async fn call(
    layer: &JwtAuthLayer<RegisteredClaims>,
    req: Request<()>,
) -> (u16, &'static str, usize, Vec<String>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let inner = service_fn(move |_: Request<()>| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Infallible>(Response::new(String::new())) }
    });
    let response = tower::Layer::layer(layer, inner)
        .oneshot(req)
        .await
        .unwrap();
    let code = response
        .extensions()
        .get::<AuthError>()
        .map_or("ok", AuthError::code);
    let challenges = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    (
        response.status().as_u16(),
        code,
        calls.load(Ordering::SeqCst),
        challenges,
    )
}

async fn connection() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_proof_accepted_by_one_replica_is_refused_by_another() {
    let a = replica(RedisReplayCache::new(&redis_url()).unwrap());
    let b = replica(RedisReplayCache::new(&redis_url()).unwrap());
    let client = client();
    let token = bound_token(&client);
    let proof = DpopProof::new(&client, "GET", "https://api.example/orders").access_token(&token);
    let jti = proof.claims()["jti"].as_str().unwrap().to_owned();
    let proof = proof.sign();
    assert_eq!(call(&a, request(&token, &proof)).await.0, 200);
    let (status, code, inner, challenges) = call(&b, request(&token, &proof)).await;
    assert_eq!((status, code, inner), (401, "dpop_replayed", 0));
    assert!(
        challenges[0].contains(r#"error="invalid_dpop_proof", error_description="proof replayed""#)
    );
    assert_eq!(call(&a, request(&token, &proof)).await.1, "dpop_replayed");

    // The documented key, with a TTL to the proof's iat + 60 s + 5 s.
    let key = format!("jwt:dpop:jti:{}:{jti}", client.thumbprint());
    let mut conn = connection().await;
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!((55_000..=66_000).contains(&ttl), "PTTL {ttl}");
}

#[tokio::test]
async fn a_key_written_by_another_system_refuses_the_proof() {
    let cache = RedisReplayCache::new(&redis_url())
        .unwrap()
        .prefix("other-system:dpop:");
    let layer = replica(cache.clone());
    let client = client();
    let token = bound_token(&client);
    let proof = DpopProof::new(&client, "GET", "https://api.example/orders").access_token(&token);
    let jti = proof.claims()["jti"].as_str().unwrap().to_owned();
    let mut conn = connection().await;
    redis::cmd("SET")
        .arg(cache.key(&client.thumbprint(), &jti))
        .arg(1)
        .arg("EX")
        .arg(60)
        .exec_async(&mut conn)
        .await
        .unwrap();
    let (status, code, inner, _) = call(&layer, request(&token, &proof.sign())).await;
    assert_eq!((status, code, inner), (401, "dpop_replayed", 0));
}

#[tokio::test]
async fn a_silent_or_absent_redis_refuses_proofs_with_503_within_the_deadline() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = format!("redis://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    // Nothing listens there.
    let closed = {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("redis://{}", socket.local_addr().unwrap())
    };
    let client = client();
    let token = bound_token(&client);
    for url in [silent, closed] {
        let cache = RedisReplayCache::new(&url)
            .unwrap()
            .deadline(Duration::from_millis(200));
        let layer = replica(cache);
        let proof = DpopProof::new(&client, "GET", "https://api.example/orders")
            .access_token(&token)
            .sign();
        let start = Instant::now();
        let (status, code, inner, challenges) = call(&layer, request(&token, &proof)).await;
        assert_eq!(
            (status, code, inner),
            (503, "replay_cache_unavailable", 0),
            "{url}"
        );
        assert!(challenges.is_empty());
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_hundred_concurrent_copies_on_two_replicas_exactly_one_passes() {
    let a = replica(RedisReplayCache::new(&redis_url()).unwrap());
    let b = replica(RedisReplayCache::new(&redis_url()).unwrap());
    let client = client();
    let token = bound_token(&client);
    let proof = DpopProof::new(&client, "GET", "https://api.example/orders")
        .access_token(&token)
        .sign();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let layer = if i % 2 == 0 { a.clone() } else { b.clone() };
        let req = request(&token, &proof);
        tasks.spawn(async move { call(&layer, req).await.0 });
    }
    let statuses = tasks.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 199);
}
