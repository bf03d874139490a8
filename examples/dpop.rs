//! DPoP end to end: a toy token endpoint that binds tokens to the client's key, and resources
//! that accept DPoP tokens (and, on one route, nothing else).
//!
//! ```text
//! cargo run --example dpop
//! ```
//!
//! Settings (a contract: other programs drive this example):
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `BIND` | address to listen on | `127.0.0.1:3000` |
//! | `JWT_PUBLIC_URL` | the public base URL proofs' `htu` must name; also the tokens' `iss` | `http://<BIND>` |
//! | `JWT_DPOP_NONCE` | `on`: the resource routes require server nonces (RFC 9449 §8) | `off` |
//! | `REDIS_URL` | the replay cache in this Redis, shared by every process using it; needs `--features redis` | in memory |
//!
//! Routes:
//!
//! | route | answer |
//! |---|---|
//! | `POST /token` | form `sub` (default `alice`), optional `scope`; with a valid `DPoP` proof (`htm` POST, `htu` `<base>/token`, no `ath`): 200 `{"access_token", "token_type": "DPoP", "expires_in": 300}`, the token bound by `cnf.jkt`; without a `DPoP` header the same with `"token_type": "Bearer"` and no `cnf`; an invalid proof: 400 `{"error": "invalid_dpop_proof"}` |
//! | `GET /me` | DPoP or bearer: 200, the claims as JSON |
//! | `GET /dpop-only` | DPoP required: 200, the claims; a bearer token gets 401 with a `DPoP` challenge |
//! | `GET /.well-known/oauth-protected-resource` | RFC 9728 metadata |
//! | `GET /.well-known/jwks.json` | the issuer's keys |
//!
//! Tokens: `iss` the base, `aud` `dpop-example`, `typ` `at+jwt`, 300 s, a fresh `jti`. The token
//! endpoint authenticates no client: it is a toy. A bad setting ends the program with exit
//! code 2.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tower_jwt_auth::clock::SystemClock;
use tower_jwt_auth::dpop::{Dpop, DpopNonce, ReplayCache};
use tower_jwt_auth::testing::{TestKey, now};
use tower_jwt_auth::{Algorithm, AuthErrorKind, Claims, Issuer, Verifier};

const AUDIENCE: &str = "dpop-example";

#[derive(Clone)]
struct Issuing {
    key: TestKey,
    iss: String,
    /// The token endpoint's proof checks (no nonces), sharing the replay cache.
    dpop: Dpop,
}

async fn token(State(issuing): State<Issuing>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // The form, read leniently: a body-less POST (or one without a content type) is an empty form.
    let Ok(body) = axum::body::to_bytes(body, 64 * 1024).await else {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let head = Request::from_parts(parts, ());
    let key = match issuing.dpop.check_token_request(&head, &SystemClock).await {
        Ok(key) => key,
        Err(e) if e.status() == StatusCode::SERVICE_UNAVAILABLE => {
            return error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable");
        }
        // RFC 9449 §5: a token endpoint answers proof errors with 400.
        Err(e) if e.kind() == AuthErrorKind::UseDpopNonce => {
            return error(StatusCode::BAD_REQUEST, "use_dpop_nonce");
        }
        Err(_) => return error(StatusCode::BAD_REQUEST, "invalid_dpop_proof"),
    };
    static SERIAL: AtomicU64 = AtomicU64::new(0);
    let issued = now();
    let mut claims = json!({
        "iss": issuing.iss,
        "aud": AUDIENCE,
        "sub": form.get("sub").map_or("alice", String::as_str),
        "client_id": "dpop-example-client",
        "iat": issued,
        "exp": issued + 300,
        "jti": format!("{}-{issued}-{}", std::process::id(), SERIAL.fetch_add(1, Ordering::Relaxed)),
    });
    if let Some(scope) = form.get("scope") {
        claims["scope"] = json!(scope);
    }
    let token_type = match &key {
        Some(key) => {
            claims["cnf"] = json!({ "jkt": key.thumbprint() });
            "DPoP"
        }
        None => "Bearer",
    };
    let header = json!({ "alg": "ES256", "typ": "at+jwt", "kid": issuing.key.kid() });
    let access_token = issuing.key.sign(&header, &claims);
    // RFC 6749 §5.1: responses carrying tokens are not stored.
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "access_token": access_token, "token_type": token_type, "expires_in": 300 })),
    )
        .into_response()
}

fn error(status: StatusCode, code: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": code })),
    )
        .into_response()
}

async fn me(Claims(claims): Claims<Value>) -> Json<Value> {
    Json(claims.as_ref().clone())
}

#[tokio::main]
async fn main() {
    common::serve_metrics("dpop");
    let program = "dpop";
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let bind = var("BIND").unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let bind: std::net::SocketAddr = bind
        .parse()
        .unwrap_or_else(|e| common::bad_setting(program, format!("BIND: {e}")));
    let nonces = match var("JWT_DPOP_NONCE").as_deref() {
        None | Some("off") => false,
        Some("on") => true,
        Some(other) => common::bad_setting(
            program,
            format!("JWT_DPOP_NONCE: {other:?} is not on or off"),
        ),
    };
    let replay = replay_cache(var("REDIS_URL"));
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .unwrap_or_else(|e| common::bad_setting(program, format!("cannot listen on {bind}: {e}")));
    let bound = listener.local_addr().unwrap_or(bind);
    let base = var("JWT_PUBLIC_URL").unwrap_or_else(|| format!("http://{bound}"));

    let key = TestKey::generate(Algorithm::ES256).with_kid("dpop-example-1");
    let dpop = Dpop::new(&base)
        .unwrap_or_else(|e| common::bad_setting(program, format!("JWT_PUBLIC_URL: {e}")))
        .replay_cache(replay);
    let base = dpop.public_url().to_owned();
    let issuing = Issuing {
        key: key.clone(),
        iss: base.clone(),
        dpop: dpop.clone(),
    };
    let resources = if nonces {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret)
            .unwrap_or_else(|_| common::bad_setting(program, "no random numbers"));
        dpop.nonce(DpopNonce::new(secret).unwrap_or_else(|e| common::bad_setting(program, e)))
    } else {
        dpop
    };
    let verifier = Verifier::builder()
        .claims::<Value>()
        .issuer(Issuer::static_keys(base.clone(), key.jwks()))
        .audience(AUDIENCE)
        .build()
        .unwrap_or_else(|e| common::bad_setting(program, e));
    let allowed = verifier.layer().dpop(resources.clone());
    let metadata = allowed
        .protected_resource_metadata(base.clone())
        .unwrap_or_else(|e| common::bad_setting(program, format!("JWT_PUBLIC_URL: {e}")));
    let jwks = key.jwks();
    let app =
        Router::new()
            .route("/me", get(me).layer(allowed))
            .route(
                "/dpop-only",
                get(me).layer(verifier.layer().dpop(resources.required())),
            )
            .route("/token", post(token).with_state(issuing))
            .route_service("/.well-known/oauth-protected-resource", metadata)
            .route(
                "/.well-known/jwks.json",
                get(move || async move {
                    ([("content-type", "application/jwk-set+json")], jwks.clone())
                }),
            );

    println!("tower-jwt-auth dpop example on {base}");
    println!(
        "Try: POST {base}/token with a DPoP proof, then GET {base}/me with Authorization: DPoP <token> and a fresh proof"
    );
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("{program}: {e}");
    }
}

#[cfg(feature = "redis")]
fn replay_cache(url: Option<String>) -> ReplayCache {
    match url {
        None => ReplayCache::default(),
        Some(url) => match tower_jwt_auth::dpop::RedisReplayCache::new(&url) {
            Ok(cache) => ReplayCache::redis(cache),
            Err(e) => common::bad_setting("dpop", format!("REDIS_URL: not a Redis URL ({e})")),
        },
    }
}

#[cfg(not(feature = "redis"))]
fn replay_cache(url: Option<String>) -> ReplayCache {
    if url.is_some() {
        common::bad_setting(
            "dpop",
            "REDIS_URL is set, but this build has no Redis replay cache: run it with `--features redis`",
        );
    }
    ReplayCache::default()
}
