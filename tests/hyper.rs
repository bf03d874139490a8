//! The layer around a plain hyper 1.x `service_fn`, served by hyper itself on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;

use common::*;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::Layer;
use tower_jwt_auth::{Algorithm, Claims, Issuer, JwtAuthLayer, RegisteredClaims, Verifier};

async fn me(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let sub = req
        .extensions()
        .get::<Claims<RegisteredClaims>>()
        .and_then(|c| c.sub.clone());
    Ok(Response::new(Full::new(Bytes::from(
        sub.unwrap_or_default(),
    ))))
}

#[tokio::test]
async fn hyper_service_fn_behind_the_layer() {
    let verifier = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::EdDSA).jwks()))
        .audience(AUD)
        .build()
        .unwrap();
    let auth = JwtAuthLayer::new(verifier);
    let service = auth.layer(tower::service_fn(me));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let client = reqwest::Client::new();
    let token = key(Algorithm::EdDSA).token(&good_claims());
    let ok = client
        .get(format!("http://{addr}/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "alice");
    let denied = client
        .get(format!("http://{addr}/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    assert_eq!(
        denied.headers()["www-authenticate"],
        r#"Bearer realm="api""#
    );
    assert_eq!(denied.headers()["cache-control"], "no-store");
}
