//! `Verifier::verify` against a bare `jsonwebtoken::decode` of the same token with the same key,
//! per algorithm, in one run. Run with `cargo bench --bench verify`, then
//! `python3 benches/ratios.py` to print the ratios.
//!
//! The verifier here has no verified-token cache: every iteration checks the signature.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

mod common;

use common::{ROUNDS, paired_rounds, ready};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;
use tower_jwt_auth::testing::{TestKey, alg_name, now};
use tower_jwt_auth::{Algorithm, Issuer, Verifier};

/// A typical claims type: what a handler would read.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct AppClaims {
    sub: String,
    iss: String,
    exp: i64,
    scope: Option<String>,
}

const ISS: &str = "https://issuer.example";
const AUD: &str = "api://orders";

fn decoding_key(key: &TestKey) -> DecodingKey {
    let jwk = key.public_jwk();
    match key.alg() {
        Algorithm::HS256 => DecodingKey::from_secret(key.secret().unwrap()),
        Algorithm::RS256 => {
            DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
                .unwrap()
        }
        Algorithm::ES256 => {
            DecodingKey::from_ec_components(jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap())
                .unwrap()
        }
        _ => DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap(),
    }
}

/// Times `a` and `b` in alternating blocks and prints the median of the per-round ratios a/b:
/// both sides see the same machine noise, which a ratio of two separate criterion runs does not.
fn paired_ratio(name: &str, a: impl FnMut(), b: impl FnMut()) {
    paired_ratio_named(
        &format!("verify/{name}: verifier / jsonwebtoken_decode"),
        a,
        b,
    );
}

fn paired_ratio_named(label: &str, a: impl FnMut(), b: impl FnMut()) {
    let (rounds, block) = paired_rounds(a, b);
    let mut ratios: Vec<f64> = rounds.iter().map(|(ta, tb)| ta / tb).collect();
    ratios.sort_by(f64::total_cmp);
    let (low, median, high) = (
        ratios[ROUNDS / 4],
        ratios[ROUNDS / 2],
        ratios[3 * ROUNDS / 4],
    );
    println!(
        "paired ratio {label} = {median:.3} (quartiles {low:.3}..{high:.3}, {ROUNDS} rounds of {block})"
    );
}

fn bench(c: &mut Criterion) {
    // jsonwebtoken's process-wide provider, for the bare `decode` baseline.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    for alg in [
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
        Algorithm::HS256,
    ] {
        let key = TestKey::generate(alg).with_kid("k1");
        let claims = json!({
            "iss": ISS, "aud": AUD, "sub": "alice", "scope": "orders:read orders:write",
            "iat": now(), "exp": now() + 3600, "jti": "6f1c2e4a-d9f0-4b7e-a1d2-3c4b5a697887",
        });
        let token = key.token(&claims);

        let issuer = match alg {
            Algorithm::HS256 => Issuer::hmac(ISS, key.secret().unwrap()),
            _ => Issuer::static_keys(ISS, key.jwks()),
        };
        let builder = Verifier::builder()
            .claims::<AppClaims>()
            .issuer(issuer)
            .audience(AUD)
            .algorithms([alg]);
        // Cold: the token cache is off, so the same token really is verified each time.
        let verifier = builder.disable_token_cache().build().unwrap();
        let issuer = match alg {
            Algorithm::HS256 => Issuer::hmac(ISS, key.secret().unwrap()),
            _ => Issuer::static_keys(ISS, key.jwks()),
        };
        let cached: Verifier<AppClaims> = Verifier::builder()
            .claims()
            .issuer(issuer)
            .audience(AUD)
            .algorithms([alg])
            .build()
            .unwrap();
        assert!(ready(cached.verify(&token)).is_ok());
        assert!(ready(verifier.verify(&token)).is_ok());

        let decoding = decoding_key(&key);
        let mut validation = Validation::new(alg);
        validation.set_audience(&[AUD]);
        validation.set_issuer(&[ISS]);
        assert!(jsonwebtoken::decode::<AppClaims>(&token, &decoding, &validation).is_ok());

        paired_ratio(
            alg_name(alg),
            || {
                let _ = black_box(ready(verifier.verify(black_box(&token))));
            },
            || {
                let _ = black_box(jsonwebtoken::decode::<AppClaims>(
                    black_box(&token),
                    &decoding,
                    &validation,
                ));
            },
        );

        paired_ratio_named(
            &format!("verify/{}: cache hit / cold verifier", alg_name(alg)),
            || {
                let _ = black_box(ready(cached.verify(black_box(&token))));
            },
            || {
                let _ = black_box(ready(verifier.verify(black_box(&token))));
            },
        );

        let mut group = c.benchmark_group(format!("verify/{}", alg_name(alg)));
        group.bench_function("jsonwebtoken_decode", |b| {
            b.iter(|| jsonwebtoken::decode::<AppClaims>(black_box(&token), &decoding, &validation))
        });
        group.bench_function("verifier", |b| {
            b.iter(|| ready(verifier.verify(black_box(&token))))
        });
        group.bench_function("verifier_cache_hit", |b| {
            b.iter(|| ready(cached.verify(black_box(&token))))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
