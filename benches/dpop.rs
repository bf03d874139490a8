//! A DPoP request against a bearer request through the whole layer (no-op inner service, token
//! cache on, the token a cache hit in both), as paired ratios in one run; and where the DPoP
//! time goes: the proof's own checks (`Dpop::check_token_request`: parse, key, claims,
//! signature, thumbprint, replay cache) against the proof's bare signature check by
//! jsonwebtoken. Run with `cargo bench --bench dpop`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::cell::Cell;
use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

mod common;

use common::{ROUNDS, paired_rounds, ready};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use serde_json::json;
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_jwt_auth::clock::SystemClock;
use tower_jwt_auth::dpop::{Dpop, ReplayCache};
use tower_jwt_auth::testing::{DpopProof, TestKey, now};
use tower_jwt_auth::{Algorithm, Issuer, Verifier};

const URL: &str = "https://api.example/orders";

fn noop()
-> impl Service<Request<()>, Response = Response<()>, Error = Infallible, Future: Send> + Clone {
    service_fn(|_req: Request<()>| std::future::ready(Ok::<_, Infallible>(Response::new(()))))
}

/// Median over paired rounds of the per-call time ratio `a / b`, and of `a - b` in µs.
fn paired(label: &str, a: impl FnMut(), b: impl FnMut()) -> f64 {
    let (rounds, _) = paired_rounds(a, b);
    let mut ratios: Vec<f64> = rounds.iter().map(|(ta, tb)| ta / tb).collect();
    let mut diffs: Vec<f64> = rounds.iter().map(|(ta, tb)| (ta - tb) * 1e6).collect();
    ratios.sort_by(f64::total_cmp);
    diffs.sort_by(f64::total_cmp);
    let (ratio, diff) = (ratios[ROUNDS / 2], diffs[ROUNDS / 2]);
    println!(
        "paired {label}: ratio {ratio:.2}, {diff:+.2} µs per request (median of {ROUNDS} rounds)"
    );
    ratio
}

/// Fresh proofs, signed ahead so the timed side only verifies them.
struct Proofs {
    proofs: Vec<String>,
    next: Cell<usize>,
}

impl Proofs {
    fn new(client: &TestKey, method: &str, url: &str, token: Option<&str>, n: usize) -> Self {
        let proofs = (0..n)
            .map(|_| {
                let proof = DpopProof::new(client, method, url);
                match token {
                    Some(token) => proof.access_token(token).sign(),
                    None => proof.sign(),
                }
            })
            .collect();
        Self {
            proofs,
            next: Cell::new(0),
        }
    }

    fn take(&self) -> &str {
        let i = self.next.get();
        self.next.set(i + 1);
        self.proofs.get(i).expect("enough proofs signed ahead")
    }
}

fn bench(c: &mut Criterion) {
    for alg in [Algorithm::ES256, Algorithm::EdDSA] {
        bench_alg(c, alg);
    }
}

fn bench_alg(c: &mut Criterion, alg: Algorithm) {
    let issuer = TestKey::generate(Algorithm::ES256).with_kid("k1");
    let client = TestKey::generate(alg);
    let claims = |cnf: bool| {
        let mut claims = json!({
            "iss": "https://issuer.example", "aud": "api://orders", "sub": "alice",
            "scope": "orders:read", "iat": now(), "exp": now() + 3600,
        });
        if cnf {
            claims["cnf"] = json!({ "jkt": client.thumbprint() });
        }
        issuer.token(&claims)
    };
    let (bound, bearer) = (claims(true), claims(false));
    let verifier = Verifier::builder()
        .issuer(Issuer::static_keys("https://issuer.example", issuer.jwks()))
        .audience("api://orders")
        .build()
        .unwrap();
    let dpop = Dpop::new("https://api.example")
        .unwrap()
        .replay_cache(ReplayCache::memory(10_000_000));
    let service = verifier.layer().dpop(dpop.clone()).layer(noop());
    let dpop_request = |proof: &str| {
        Request::get("/orders")
            .header("authorization", format!("DPoP {bound}"))
            .header("dpop", proof)
            .body(())
            .unwrap()
    };
    let bearer_request = || {
        Request::get("/orders")
            .header("authorization", format!("Bearer {bearer}"))
            .body(())
            .unwrap()
    };
    // The paired rounds take about 41 × 20 ms of DPoP requests: some 20,000 proofs at most.
    let per_run = 40_000;
    let proofs = Proofs::new(&client, "GET", URL, Some(&bound), per_run);
    let token_proofs = Proofs::new(&client, "POST", "https://api.example/token", None, per_run);
    let token_request = |proof: &str| {
        Request::post("/token")
            .header("dpop", proof)
            .body(())
            .unwrap()
    };
    // Warm the token cache, and check both sides are accepted.
    let ok = |response: Response<()>| assert_eq!(response.status(), 200);
    ok(ready(service.clone().oneshot(dpop_request(proofs.take()))).unwrap());
    ok(ready(service.clone().oneshot(bearer_request())).unwrap());

    let name = format!("{alg:?}");
    paired(
        &format!("{name}: DPoP request / bearer request (cache hit)"),
        || {
            let response = ready(service.clone().oneshot(dpop_request(proofs.take()))).unwrap();
            assert_eq!(response.status(), 200);
        },
        || {
            let response = ready(service.clone().oneshot(bearer_request())).unwrap();
            assert_eq!(response.status(), 200);
        },
    );
    // Where the time goes: the proof's checks alone, against its bare signature check.
    let key =
        jsonwebtoken::DecodingKey::from_jwk(&serde_json::from_value(client.bare_jwk()).unwrap())
            .unwrap();
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let bare_proof = token_proofs.proofs[0].clone();
    paired(
        &format!("{name}: proof checks / bare signature check of the proof"),
        || {
            let checked =
                ready(dpop.check_token_request(&token_request(token_proofs.take()), &SystemClock));
            assert!(checked.unwrap().is_some());
        },
        || {
            let _ = black_box(token_request(&bare_proof));
            black_box(jsonwebtoken::decode::<serde_json::Value>(
                &bare_proof,
                &key,
                &validation,
            ))
            .unwrap();
        },
    );

    let mut group = c.benchmark_group(format!("dpop_{name}"));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("bearer_request", |b| {
        b.iter(|| ready(service.clone().oneshot(bearer_request())))
    });
    group.bench_function("dpop_request", |b| {
        b.iter_batched(
            // A fresh proof per iteration, signed outside the measurement.
            || {
                DpopProof::new(&client, "GET", URL)
                    .access_token(&bound)
                    .sign()
            },
            |proof| ready(service.clone().oneshot(dpop_request(&proof))),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
