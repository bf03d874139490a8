//! A protected axum endpoint, ready to try with curl.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With no settings it needs nothing else: it generates an RS256 key pair, serves its own JWKS at
//! `/.well-known/jwks.json` (and a discovery document), fetches it back over HTTP like any
//! provider's key set, protects `GET /me` (which answers the token's claims as JSON), and prints a
//! ready token and the curl lines to try.
//!
//! Point it at your own identity provider instead:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `BIND` | address to listen on | `127.0.0.1:3000` |
//! | `JWT_JWKS_URL` | the provider's JWKS, refreshed in the background | embedded key pair |
//! | `JWT_ISSUER` | the exact `iss` of its tokens; alone, its keys are found by OIDC discovery | the quickstart's own |
//! | `JWT_AUDIENCE` | the audience this API accepts | `quickstart` |
//! | `JWT_ALGORITHMS` | comma-separated: RS256..512, PS256..512, ES256, ES384, EdDSA | `RS256,ES256` |
//! | `JWT_COOKIE` | cookie read after the bearer header | `access_token` |
//! | `JWT_PROFILE` | `rfc9068`: only RFC 9068 `at+jwt` access tokens | any JWT access token |
//! | `JWT_RESOURCE` | this API's resource identifier URL: serves RFC 9728 metadata | not served |
//! | `REDIS_URL` | revocation checks in this Redis (`redis://127.0.0.1:6379`); needs `--features redis` | no revocation |
//! | `JWT_REVOCATION_FAIL` | `open`: pass requests while Redis can't answer; `closed`: 503 | `closed` |
//! | `METRICS_BIND` | serve the crate's metrics in Prometheus text at `http://<METRICS_BIND>/metrics`; needs `--features metrics` | not served |
//!
//! ```text
//! JWT_JWKS_URL=https://login.example.com/keys JWT_ISSUER=https://login.example.com/ \
//!   JWT_AUDIENCE=api://orders cargo run --example quickstart
//! ```
//!
//! A missing or invalid setting ends the program with a message and exit code 2.

mod common;

use std::process::ExitCode;

use axum::{Json, Router, routing::get};
use serde_json::Value;
use tower_jwt_auth::Claims;
use tower_jwt_auth::metadata::ProtectedResourceMetadata;

async fn me(Claims(claims): Claims<Value>) -> Json<Value> {
    Json(claims.as_ref().clone())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::serve_metrics("quickstart");
    let settings = match common::settings("127.0.0.1:3000") {
        Ok(s) => s,
        Err(message) => {
            eprintln!("quickstart: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(settings.bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("quickstart: cannot listen on {}: {e}", settings.bind);
            return ExitCode::from(2);
        }
    };
    let bound = listener.local_addr().unwrap_or(settings.bind);
    let base = format!("http://{bound}");

    let mut app = Router::new();
    let mut demo_token = None;
    let issuer = match common::configured_issuer(&settings) {
        Some(issuer) => issuer,
        None => {
            // The embedded default: our own key pair, served over HTTP like any provider's,
            // with a discovery document, and fetched by the layer through the real client.
            let embedded = common::Embedded::new(base.clone(), "quickstart-1");
            app = app.merge(embedded.routes());
            demo_token = Some(embedded.token(
                "alice",
                "orders:read",
                &settings.audience,
                3600,
                settings.rfc9068,
            ));
            embedded.issuer()
        }
    };
    let iss = issuer.iss().to_owned();

    let built = common::verifier::<Value>(&settings, issuer)
        .build()
        .and_then(|verifier| common::layer(&settings, verifier));
    let mut auth = match built {
        Ok(auth) => auth,
        Err(e) => {
            eprintln!("quickstart: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(resource) = &settings.resource {
        match ProtectedResourceMetadata::url_for(resource) {
            Ok(url) => auth = auth.resource_metadata(url),
            Err(e) => {
                eprintln!("quickstart: JWT_RESOURCE: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(resource) = &settings.resource {
        // RFC 9728: tell OAuth clients where tokens for this resource come from.
        match auth.protected_resource_metadata(resource.clone()) {
            Ok(metadata) => {
                let path = metadata.path().to_owned();
                app = app.route_service(&path, metadata);
            }
            Err(e) => {
                eprintln!("quickstart: JWT_RESOURCE: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let app = app.merge(Router::new().route("/me", get(me)).layer(auth));

    println!("tower-jwt-auth quickstart on {base}");
    println!("  issuer:   {iss}");
    println!("  audience: {}", settings.audience);
    #[cfg(feature = "redis")]
    if settings.revocation.is_some() {
        let policy = if settings.revocation_fail_open {
            "open"
        } else {
            "closed"
        };
        println!("  revocation: Redis at REDIS_URL (fail {policy})");
    }
    if let Some(token) = &demo_token {
        println!("  keys:     {base}/.well-known/jwks.json (generated at start-up)");
        println!();
        println!("A token for `alice`, valid for one hour:");
        println!();
        println!("TOKEN={token}");
        println!();
        println!("Try:");
        println!("  curl -i {base}/me -H \"Authorization: Bearer $TOKEN\"      # 200, the claims");
        println!(
            "  curl -i {base}/me --cookie \"{}=$TOKEN\"   # 200, from the cookie",
            settings.cookie
        );
        println!(
            "  curl -i {base}/me                                        # 401, WWW-Authenticate"
        );
        println!(
            "  curl -i {base}/me -H \"Authorization: Bearer x.y.z\"      # 401, invalid_token"
        );
    } else {
        println!(
            "  keys:     {}",
            settings.jwks_url.as_deref().unwrap_or_default()
        );
        println!();
        println!(
            "Try: curl -i {base}/me -H \"Authorization: Bearer <a token from your provider>\""
        );
    }

    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("quickstart: server error: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
