//! The layer in a real tonic server, called by a real tonic client over 127.0.0.1: gRPC statuses
//! and messages for every failure, and the service never reached.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use serde_json::json;
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Request};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tower_jwt_auth::testing::{Behavior, JwksServer, TestKey, now};
use tower_jwt_auth::{Algorithm, Issuer, Refresh, Verifier};

/// A health service behind the layer, which requires a `health.read` scope; counts the calls
/// that got through.
async fn start(issuer: Issuer) -> (String, Arc<AtomicUsize>) {
    let auth = Verifier::builder()
        .issuer(issuer)
        .audience(AUD)
        .build()
        .unwrap()
        .layer()
        .require_scopes(["health.read"]);
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    let count = tower::layer::layer_fn(move |inner| {
        let counter = counter.clone();
        tower::util::MapRequest::new(inner, move |req: http::Request<tonic::body::Body>| {
            counter.fetch_add(1, Ordering::SeqCst);
            req
        })
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .layer(auth)
            .layer(count)
            .add_service(health)
            .serve_with_incoming(TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    (format!("http://{addr}"), reached)
}

async fn check(url: &str, token: Option<&str>) -> Result<i32, tonic::Status> {
    let channel = tonic::transport::Channel::from_shared(url.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = HealthClient::new(channel);
    let mut request = Request::new(HealthCheckRequest {
        service: String::new(),
    });
    if let Some(token) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    client.check(request).await.map(|r| r.into_inner().status)
}

fn token(changes: serde_json::Value) -> String {
    key(Algorithm::ES256).token(&claims_with(changes))
}

#[tokio::test]
async fn tonic_scoped_token_reaches_the_service() {
    let (url, reached) = start(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks())).await;
    let status = check(&url, Some(&token(json!({"scope": "health.read"}))))
        .await
        .unwrap();
    assert_eq!(status, tonic_health::ServingStatus::Serving as i32);
    assert_eq!(reached.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn tonic_failures_get_grpc_statuses_and_never_reach_the_service() {
    let (url, reached) = start(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks())).await;
    let forged = TestKey::generate(Algorithm::ES256)
        .with_kid("ES256")
        .token(&good_claims());
    let cases = [
        (None, Code::Unauthenticated, "no token"),
        (
            Some(token(json!({"scope": "health.read", "exp": now() - 3600}))),
            Code::Unauthenticated,
            "token expired",
        ),
        (Some(forged), Code::Unauthenticated, "signature invalid"),
        (
            Some(token(json!({"scope": "other"}))),
            Code::PermissionDenied,
            "insufficient scope",
        ),
    ];
    for (token, code, message) in cases {
        let status = check(&url, token.as_deref()).await.unwrap_err();
        assert_eq!(status.code(), code, "{message}");
        assert_eq!(status.message(), message);
    }
    assert_eq!(reached.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn tonic_unavailable_keys_are_unavailable() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let server = JwksServer::start(&[&a]).await;
    server.set_behavior(Behavior::Down);
    let issuer = Issuer::jwks_url(ISS, server.jwks_url())
        .refresh(Refresh::default().key_wait(Duration::from_millis(200)));
    let (url, reached) = start(issuer).await;
    let token = a.token(&claims_with(json!({"scope": "health.read"})));
    let status = check(&url, Some(&token)).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(status.message(), "keys unavailable");
    assert_eq!(reached.load(Ordering::SeqCst), 0);
}
