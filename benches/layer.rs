//! The whole layer through `tower::ServiceExt::oneshot` around a no-op service, against the no-op
//! service alone, with an 800-byte-class RS256 token: cold (cache off) and on a cache hit; and
//! the SHA-256 of the token alone, the cache's key. Run with `cargo bench --bench layer`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

mod common;

use common::{ROUNDS, paired_rounds, ready};
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use serde_json::json;
use sha2::{Digest, Sha256};
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_jwt_auth::testing::{TestKey, now};
use tower_jwt_auth::{Algorithm, Issuer, JwtAuthLayer, Verifier};

fn noop()
-> impl Service<Request<()>, Response = Response<()>, Error = Infallible, Future: Send> + Clone {
    service_fn(|_req: Request<()>| std::future::ready(Ok::<_, Infallible>(Response::new(()))))
}

/// Median over paired rounds of the per-call time difference `a - b`, in ns.
fn paired_overhead(label: &str, a: impl FnMut(), b: impl FnMut()) {
    let (rounds, _) = paired_rounds(a, b);
    let mut diffs: Vec<f64> = rounds.iter().map(|(ta, tb)| (ta - tb) * 1e9).collect();
    diffs.sort_by(f64::total_cmp);
    println!(
        "paired overhead {label} = {:.0} ns per request (median of {ROUNDS} rounds)",
        diffs[ROUNDS / 2]
    );
}

fn bench(c: &mut Criterion) {
    let key = TestKey::generate(Algorithm::RS256).with_kid("k1");
    let token = key.token(&json!({
        "iss": "https://issuer.example", "aud": "api://orders", "sub": "alice",
        "scope": "orders:read orders:write", "iat": now(), "exp": now() + 3600,
        "jti": "6f1c2e4a-d9f0-4b7e-a1d2-3c4b5a697887", "client_id": "web-app",
        "name": "Alice Liddell", "email": "alice@wonderland.example",
    }));
    println!("token length: {} bytes", token.len());
    let build = |cache: bool| {
        let builder = Verifier::builder()
            .issuer(Issuer::static_keys("https://issuer.example", key.jwks()))
            .audience("api://orders");
        let builder = if cache {
            builder
        } else {
            builder.disable_token_cache()
        };
        JwtAuthLayer::new(builder.build().unwrap())
    };
    let cached = build(true).layer(noop());
    let cold = build(false).layer(noop());
    let request = || {
        Request::get("/")
            .header("authorization", format!("Bearer {token}"))
            .body(())
            .unwrap()
    };
    assert_eq!(
        ready(cached.clone().oneshot(request())).unwrap().status(),
        200
    );

    // Requests are built outside the timed closures' difference: both sides build one.
    paired_overhead(
        "layer (cache hit) - no-op",
        || {
            let _ = black_box(ready(cached.clone().oneshot(request())));
        },
        || {
            let _ = black_box(ready(noop().oneshot(request())));
        },
    );
    // With the `metrics` feature: the metric calls of a cache hit (the request counter and the
    // cache hit counter), paired against the whole cache-hit layer, under a no-op recorder.
    // The layer without them costs `layer - calls`, so the feature's cost is
    // `layer / (layer - calls)`, measured in this one run.
    #[cfg(feature = "metrics")]
    {
        let _ = metrics::set_global_recorder(metrics::NoopRecorder);
        let (rounds, _) = paired_rounds(
            || {
                let _ = black_box(ready(cached.clone().oneshot(request())));
            },
            || {
                metrics::counter!("jwt_auth_requests_total", "outcome" => "accepted", "code" => "ok")
                    .increment(1);
                metrics::counter!("jwt_auth_token_cache_hits_total").increment(1);
            },
        );
        let mut ratios: Vec<f64> = rounds
            .iter()
            .map(|(layer, calls)| layer / (layer - calls))
            .collect();
        let mut calls: Vec<f64> = rounds.iter().map(|(_, calls)| calls * 1e9).collect();
        ratios.sort_by(f64::total_cmp);
        calls.sort_by(f64::total_cmp);
        println!(
            "metrics on (no-op recorder) / off, cache-hit layer: {:.3} ({:.0} ns of metric calls per request; median of {ROUNDS} rounds)",
            ratios[ROUNDS / 2],
            calls[ROUNDS / 2]
        );
    }

    paired_overhead(
        "sha256 of the token",
        || {
            let _ = black_box(Sha256::digest(black_box(token.as_bytes())));
        },
        || {
            black_box(token.as_bytes());
        },
    );

    let mut group = c.benchmark_group("layer/RS256");
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("noop_alone", |b| {
        b.iter(|| ready(noop().oneshot(request())))
    });
    group.bench_function("layer_cache_hit", |b| {
        b.iter(|| ready(cached.clone().oneshot(request())))
    });
    group.bench_function("layer_cold", |b| {
        b.iter(|| ready(cold.clone().oneshot(request())))
    });
    group.bench_function("sha256_token", |b| {
        b.iter(|| Sha256::digest(black_box(token.as_bytes())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
