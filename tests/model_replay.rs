//! Model-based test of the DPoP replay cache through the layer: random sequences of proofs
//! (a few keys, a few `jti`s, `iat`s around the clock, a clock that moves, a small capacity),
//! each verdict compared with a reference computed from the whole history without a cache.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::time::Duration;

use common::{AUD, ISS, key};
use http::{Request, Response};
use serde_json::json;
use tower::{ServiceExt, service_fn};
use tower_jwt_auth::clock::Clock;
use tower_jwt_auth::dpop::{Dpop, ReplayCache};
use tower_jwt_auth::testing::{DpopProof, ManualClock, TestKey};
use tower_jwt_auth::{Algorithm, AuthError, Issuer, JwtAuthLayer, RegisteredClaims, Verifier};

const WINDOW: f64 = 10.0;
/// How long past its window a `jti` is remembered.
const MARGIN: f64 = 5.0;
const CAPACITY: usize = 3;

/// xorshift64*: reproducible from the seed printed on failure.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// The reference: every accepted proof (key, jti, until), and the verdict of a new one.
#[derive(Default)]
struct Model {
    accepted: Vec<(usize, u64, f64)>,
}

impl Model {
    fn verdict(&mut self, client: usize, jti: u64, iat: f64, now: f64) -> &'static str {
        if (now - iat).abs() > WINDOW {
            return "invalid_dpop_proof";
        }
        let live: Vec<_> = self
            .accepted
            .iter()
            .filter(|(_, _, until)| *until > now)
            .collect();
        if live.iter().any(|(c, j, _)| *c == client && *j == jti) {
            return "dpop_replayed";
        }
        if live.len() >= CAPACITY {
            return "replay_cache_unavailable";
        }
        self.accepted.push((client, jti, iat + WINDOW + MARGIN));
        "ok"
    }
}

async fn code(layer: &JwtAuthLayer<RegisteredClaims>, req: Request<()>) -> &'static str {
    let inner =
        service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(String::new())) });
    let response = tower::Layer::layer(layer, inner)
        .oneshot(req)
        .await
        .unwrap();
    response
        .extensions()
        .get::<AuthError>()
        .map_or("ok", AuthError::code)
}

#[tokio::test]
async fn the_replay_cache_agrees_with_the_history() {
    let clients: Vec<TestKey> = (0..2)
        .map(|i| common::key_with_kid(Algorithm::ES256, &format!("client{i}")))
        .collect();
    let offsets = [-12.0, -10.0, -4.0, 0.0, 3.0, 10.0, 11.0];
    let steps = [0u64, 0, 1, 3, 7, 16];
    let mut seen = std::collections::BTreeMap::new();
    for seed in 1..=12u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let clock = ManualClock::at(1_800_000_000.0);
        let t0 = clock.now_unix_secs() as i64;
        let layer = Verifier::builder()
            .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
            .audience(AUD)
            .clock(clock.clone())
            .build()
            .unwrap()
            .layer()
            .dpop(
                Dpop::new("https://api.example")
                    .unwrap()
                    .proof_window(Duration::from_secs(WINDOW as u64))
                    .replay_cache(ReplayCache::memory(CAPACITY)),
            );
        let tokens: Vec<String> = clients
            .iter()
            .map(|c| {
                key(Algorithm::ES256).token(&json!({
                    "iss": ISS, "aud": AUD, "sub": "alice", "iat": t0, "exp": t0 + 100_000,
                    "cnf": {"jkt": c.thumbprint()},
                }))
            })
            .collect();
        let mut model = Model::default();
        let mut history = Vec::new();
        // Independent of the model's retention rule: accepted (client, jti, iat) so far.
        let mut accepted: Vec<(usize, u64, f64)> = Vec::new();
        for _ in 0..40 {
            clock.advance(Duration::from_secs(
                steps[rng.below(steps.len() as u64) as usize],
            ));
            let now = clock.now_unix_secs();
            let client = rng.below(2) as usize;
            let jti = rng.below(4);
            let iat = now + offsets[rng.below(offsets.len() as u64) as usize];
            let proof = DpopProof::new(&clients[client], "GET", "https://api.example/orders")
                .access_token(&tokens[client])
                .claim("jti", format!("jti-{jti}"))
                .claim("iat", iat as i64)
                .sign();
            let req = Request::get("/orders")
                .header("authorization", format!("DPoP {}", tokens[client]))
                .header("dpop", proof)
                .body(())
                .unwrap();
            history.push(format!(
                "t+{} client{client} jti-{jti} iat{:+}",
                now as i64 - t0,
                iat - now
            ));
            let expected = model.verdict(client, jti, iat, now);
            let got = code(&layer, req).await;
            assert_eq!(got, expected, "seed {seed}, after {history:#?}");
            if got == "ok" {
                // Never a key's jti twice while the first proof is inside its window.
                assert!(
                    !accepted
                        .iter()
                        .any(|&(c, j, first)| c == client && j == jti && now <= first + WINDOW),
                    "seed {seed}: a replay passed, after {history:#?}"
                );
                accepted.push((client, jti, iat));
            }
            *seen.entry(got).or_insert(0) += 1;
        }
    }
    // The sequences reach every verdict, not just the easy ones.
    for verdict in [
        "ok",
        "dpop_replayed",
        "replay_cache_unavailable",
        "invalid_dpop_proof",
    ] {
        assert!(
            seen.get(verdict).copied().unwrap_or(0) >= 5,
            "{verdict}: {seen:?}"
        );
    }
}
