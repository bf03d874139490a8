//! The layer around a plain hyper 1.x `service_fn`, no framework.
//!
//! ```text
//! cargo run --example hyper
//! ```
//!
//! `GET /me` answers the token's claims object as JSON, as in the quickstart. Settings: `BIND`
//! (default `127.0.0.1:3000`) and the quickstart's `JWT_*` variables; with none of those it runs
//! on an embedded issuer (served on a port of its own) and prints a token.

mod common;

use std::convert::Infallible;

use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::Value;
use tower::Layer;
use tower_jwt_auth::Claims;

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/me" {
        let mut response = Response::new(Full::new(Bytes::from_static(b"not found")));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return Ok(response);
    }
    let claims = req
        .extensions()
        .get::<Claims<Value>>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(claims)));
    response.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

#[tokio::main]
async fn main() {
    common::serve_metrics("hyper");
    let settings =
        common::settings("127.0.0.1:3000").unwrap_or_else(|e| common::bad_setting("hyper", e));
    let (issuer, demo) = match common::configured_issuer(&settings) {
        Some(issuer) => (issuer, None),
        None => {
            let embedded = common::Embedded::spawn("hyper-1")
                .await
                .unwrap_or_else(|e| common::bad_setting("hyper", format!("embedded issuer: {e}")));
            let token = embedded.token(
                "alice",
                "orders:read",
                &settings.audience,
                3600,
                settings.rfc9068,
            );
            (embedded.issuer(), Some(token))
        }
    };
    let auth = common::verifier::<Value>(&settings, issuer)
        .build()
        .and_then(|verifier| common::layer(&settings, verifier))
        .unwrap_or_else(|e| common::bad_setting("hyper", e));
    let service = auth.layer(tower::service_fn(handle));
    let (listener, base) = common::listen(&settings, "hyper").await;
    println!("tower-jwt-auth hyper example on {base}");
    if let Some(token) = demo {
        println!();
        println!("TOKEN={token}");
        println!();
        println!("Try: curl -i {base}/me -H \"Authorization: Bearer $TOKEN\"");
    } else {
        println!(
            "Try: curl -i {base}/me -H \"Authorization: Bearer <a token from your provider>\""
        );
    }
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
