//! A protected `GET /hello` for load tests, and the issuer that feeds them.
//!
//! ```text
//! cargo run --release --example load_server                     # serve GET /hello on BIND
//! cargo run --release --example load_server -- --issuer DIR     # serve a JWKS on BIND, write tokens to DIR
//! ```
//!
//! The server reads the quickstart's variables (`BIND`, default `127.0.0.1:3000`, `JWT_JWKS_URL`,
//! `JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_ALGORITHMS` defaulting to `RS256,ES256`) plus
//! `TOKEN_CACHE=on|off` (default on) and `AUTH=off` (the same app without the layer: the load
//! test's baseline). With none of the `JWT_*` variables it runs on an embedded issuer and prints a
//! token. Load it with any tool; `scripts/loadtest` drives it with `wrk`.
//!
//! With `--issuer DIR` it serves a JWKS holding an RS256 and an ES256 key at
//! `http://BIND/.well-known/jwks.json` (issuer `http://BIND`, audience `load-test`), and writes
//! `DIR/{rs256,es256}_{single,pool,fresh}.txt`, a token a line: one token, 1,000 distinct tokens,
//! and `FRESH_TOKENS` (default 100,000) distinct tokens, for runs in which no token repeats.

mod common;

use std::path::PathBuf;

use axum::Router;
use axum::routing::get;
use serde_json::json;
use tower_jwt_auth::RegisteredClaims;
use tower_jwt_auth::testing::{TestKey, jwks, now};

async fn issuer(dir: PathBuf, settings: &common::Settings) {
    let rs = TestKey::generate(tower_jwt_auth::Algorithm::RS256).with_kid("load-rs256");
    let es = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("load-es256");
    // The tokens are written before the port opens: a client that sees the port sees them.
    let iss = format!("http://{}", settings.bind);
    let fresh = std::env::var("FRESH_TOKENS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(100_000)
        .max(1000);
    for (name, key) in [("rs256", &rs), ("es256", &es)] {
        let mint = |i: usize| {
            key.token(&json!({
                "iss": iss, "aud": "load-test", "sub": format!("user-{i}"), "scope": "hello",
                "iat": now(), "exp": now() + 7200,
            }))
        };
        // Signing 100,000 RS256 tokens takes a while: on every core.
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = fresh.div_ceil(threads);
        let pool: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let mint = &mint;
                    s.spawn(move || {
                        (t * chunk..((t + 1) * chunk).min(fresh))
                            .map(mint)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let write = |file: &str, lines: &[String]| {
            std::fs::write(dir.join(file), lines.join("\n") + "\n")
                .unwrap_or_else(|e| common::bad_setting("load_server", format!("{file}: {e}")));
        };
        write(&format!("{name}_single.txt"), &pool[..1]);
        write(&format!("{name}_pool.txt"), &pool[..1000.min(pool.len())]);
        write(&format!("{name}_fresh.txt"), &pool);
    }
    let (listener, _) = common::listen(settings, "load_server").await;
    let document = jwks(&[&rs, &es]);
    let app = Router::new().route(
        "/.well-known/jwks.json",
        get(move || async move { document.clone() }),
    );
    println!("tower-jwt-auth load issuer on {iss}");
    let _ = axum::serve(listener, app).await;
}

#[tokio::main]
async fn main() {
    common::serve_metrics("load_server");
    let settings = common::settings("127.0.0.1:3000")
        .unwrap_or_else(|e| common::bad_setting("load_server", e));
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--issuer") {
        let dir = args
            .next()
            .unwrap_or_else(|| common::bad_setting("load_server", "--issuer needs a directory"));
        issuer(PathBuf::from(dir), &settings).await;
        return;
    }
    let auth_on = std::env::var("AUTH").map_or(true, |v| v != "off");
    let cache_on = std::env::var("TOKEN_CACHE").map_or(true, |v| v != "off");
    let (listener, base) = common::listen(&settings, "load_server").await;

    let hello = Router::new().route("/hello", get(|| async { "hello" }));
    let mut app = Router::new();
    let mut demo = None;
    let app = if auth_on {
        let issuer = match common::configured_issuer(&settings) {
            Some(issuer) => issuer,
            None => {
                let embedded = common::Embedded::new(base.clone(), "load-1");
                app = app.merge(embedded.routes());
                demo = Some(embedded.token(
                    "alice",
                    "hello",
                    &settings.audience,
                    3600,
                    settings.rfc9068,
                ));
                embedded.issuer()
            }
        };
        let mut builder = common::verifier::<RegisteredClaims>(&settings, issuer);
        if !cache_on {
            builder = builder.disable_token_cache();
        }
        let auth = builder
            .build()
            .and_then(|verifier| common::layer(&settings, verifier))
            .unwrap_or_else(|e| common::bad_setting("load_server", e));
        app.merge(hello.layer(auth))
    } else {
        app.merge(hello)
    };
    println!(
        "tower-jwt-auth load_server on {base} (auth {}, token cache {})",
        if auth_on { "on" } else { "off" },
        if cache_on { "on" } else { "off" }
    );
    if let Some(token) = demo {
        println!("TOKEN={token}");
    }
    let _ = axum::serve(listener, app).await;
}
