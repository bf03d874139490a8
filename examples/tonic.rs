//! A tonic gRPC server (the standard health service) behind the layer, plus a demo client.
//!
//! ```text
//! cargo run --example tonic            # serve on 127.0.0.1:50051
//! cargo run --example tonic -- --demo  # serve, call it three ways, print the statuses, exit
//! ```
//!
//! `grpc.health.v1.Health` reports `SERVING`; every call needs a valid token with the scope
//! `health.read`: gRPC status 16 `UNAUTHENTICATED` without a valid token, 7 `PERMISSION_DENIED`
//! without the scope, 14 `UNAVAILABLE` while the keys can't be loaded. Settings: `BIND` (default
//! `127.0.0.1:50051`) and the quickstart's `JWT_*` variables; with none of those (and always with
//! `--demo`) it runs on an embedded issuer served on a port of its own.

mod common;

use std::time::Duration;

use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tower_jwt_auth::RegisteredClaims;

/// Calls the health service with an optional bearer token and describes the outcome.
async fn call(url: &str, token: Option<&str>) -> String {
    let channel = match Channel::from_shared(url.to_owned()) {
        Ok(endpoint) => match endpoint.connect().await {
            Ok(channel) => channel,
            Err(e) => return format!("cannot connect: {e}"),
        },
        Err(e) => return format!("bad URL: {e}"),
    };
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: String::new(),
    });
    if let Some(value) = token.and_then(|t| format!("Bearer {t}").parse().ok()) {
        request.metadata_mut().insert("authorization", value);
    }
    match HealthClient::new(channel).check(request).await {
        Ok(response) => format!("OK ({:?})", response.into_inner().status()),
        Err(status) => format!(
            "{:?} ({}): {}",
            status.code(),
            status.code() as i32,
            status.message()
        ),
    }
}

#[tokio::main]
async fn main() {
    common::serve_metrics("tonic");
    let demo = std::env::args().any(|a| a == "--demo");
    let settings =
        common::settings("127.0.0.1:50051").unwrap_or_else(|e| common::bad_setting("tonic", e));
    let configured = if demo {
        None
    } else {
        common::configured_issuer(&settings)
    };
    let (issuer, embedded) = match configured {
        Some(issuer) => (issuer, None),
        None => {
            let embedded = common::Embedded::spawn("tonic-1")
                .await
                .unwrap_or_else(|e| common::bad_setting("tonic", format!("embedded issuer: {e}")));
            (embedded.issuer(), Some(embedded))
        }
    };
    let auth = common::auth::<RegisteredClaims>(&settings, issuer, "tonic");
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;

    let (listener, url) = common::listen(&settings, "tonic").await;
    let server = Server::builder()
        .layer(auth.clone().require_scopes(["health.read"]))
        .add_service(health)
        .serve_with_incoming(TcpIncoming::from(listener));
    println!("tower-jwt-auth tonic example on {url}");

    let Some(embedded) = embedded else {
        if let Err(e) = server.await {
            eprintln!("tonic: server error: {e}");
        }
        return;
    };
    let scoped = embedded.token(
        "alice",
        "health.read",
        &settings.audience,
        3600,
        settings.rfc9068,
    );
    if !demo {
        println!();
        println!("TOKEN={scoped}");
        println!();
        println!("Try: cargo run --example tonic -- --demo");
        if let Err(e) = server.await {
            eprintln!("tonic: server error: {e}");
        }
        return;
    }
    let server = tokio::spawn(server);
    let _ = tokio::time::timeout(Duration::from_secs(5), auth.verifier().ready()).await;
    let unscoped = embedded.token(
        "alice",
        "orders:read",
        &settings.audience,
        3600,
        settings.rfc9068,
    );
    println!("scoped token:   {}", call(&url, Some(&scoped)).await);
    println!("unscoped token: {}", call(&url, Some(&unscoped)).await);
    println!("no token:       {}", call(&url, None).await);
    server.abort();
}
