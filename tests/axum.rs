//! The axum extractors, through a real `Router`: `Claims<C>`, `Option<Claims<C>>`, the 500 for a
//! forgotten layer, the 401 for a handler that demands claims behind an optional layer, and a
//! round trip over a real socket on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use common::*;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use tower_jwt_auth::{Algorithm, Claims, Issuer, JwtAuthLayer, RegisteredClaims, Verifier};

#[derive(Debug, serde::Deserialize)]
struct MyClaims {
    sub: String,
}

fn layer() -> JwtAuthLayer<MyClaims> {
    let verifier = Verifier::builder()
        .claims::<MyClaims>()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
        .build()
        .unwrap();
    JwtAuthLayer::new(verifier)
}

async fn me(Claims(c): Claims<MyClaims>) -> String {
    c.sub.clone()
}

async fn maybe(c: Option<Claims<MyClaims>>) -> String {
    c.map_or_else(|| "anonymous".to_owned(), |c| c.sub.clone())
}

async fn scopes(c: Claims<RegisteredClaims>) -> String {
    c.scopes.iter().collect::<Vec<_>>().join(",")
}

async fn send(app: Router, req: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
    let response = app.oneshot(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn with_token(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

fn anonymous(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn token() -> String {
    key(Algorithm::ES256).token(&claims_with(
        json!({"scope": "orders:read", "scp": ["admin"]}),
    ))
}

#[tokio::test]
async fn claims_extractor_reads_the_layer_claims() {
    let app = Router::new()
        .route("/me", get(me))
        .route("/scopes", get(scopes))
        .layer(layer());
    let (status, _, body) = send(app.clone(), with_token("/me", &token())).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "alice"));
    let (_, _, body) = send(app, with_token("/scopes", &token())).await;
    assert_eq!(body, "admin,orders:read");
}

#[tokio::test]
async fn required_layer_rejects_before_the_handler() {
    let app = Router::new().route("/me", get(me)).layer(layer());
    let (status, headers, _) = send(app, anonymous("/me")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], r#"Bearer realm="api""#);
}

#[tokio::test]
async fn optional_layer_gives_none_to_option_and_401_to_claims() {
    let app = Router::new()
        .route("/maybe", get(maybe))
        .route("/me", get(me))
        .layer(layer().optional());
    let (status, _, body) = send(app.clone(), anonymous("/maybe")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "anonymous"));
    let (status, _, body) = send(app.clone(), with_token("/maybe", &token())).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "alice"));
    // A handler that demands claims answers what the layer would have.
    let (status, headers, _) = send(app.clone(), anonymous("/me")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], r#"Bearer realm="api""#);
    assert_eq!(headers["cache-control"], "no-store");
    // A present but bad token is refused even in optional mode.
    let (status, headers, _) = send(app, with_token("/maybe", "x.y.z")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
}

#[tokio::test]
async fn missing_layer_is_a_500_naming_the_layer_for_both_extractors() {
    let app = Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe));
    for path in ["/me", "/maybe"] {
        let (status, _, body) = send(app.clone(), with_token(path, &token())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(body.contains("JwtAuthLayer"), "{path}: {body}");
    }
}

#[tokio::test]
async fn layer_of_another_claims_type_is_a_500() {
    let other: JwtAuthLayer<RegisteredClaims> = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    let app = Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .layer(other);
    for path in ["/me", "/maybe"] {
        let (status, _, body) = send(app.clone(), with_token(path, &token())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("RegisteredClaims"), "{body}");
    }
}

#[tokio::test]
async fn per_route_layers_share_one_verifier() {
    let verifier = layer().verifier().clone();
    let app = Router::new()
        .route("/me", get(me))
        .layer(verifier.layer())
        .merge(
            Router::new()
                .route("/maybe", get(maybe))
                .layer(verifier.layer().optional()),
        );
    assert_eq!(
        send(app.clone(), anonymous("/me")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(send(app.clone(), anonymous("/maybe")).await.2, "anonymous");
    assert_eq!(send(app, with_token("/me", &token())).await.2, "alice");
}

#[tokio::test]
async fn the_real_deal_over_a_socket() {
    let app = Router::new().route("/me", get(me)).layer(layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = reqwest::Client::new();
    let ok = client
        .get(format!("http://{addr}/me"))
        .bearer_auth(token())
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
}

#[tokio::test]
async fn the_expiry_extractor_refuses_like_claims_and_never_runs_the_handler() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    async fn until(expiry: tower_jwt_auth::Expiry) -> String {
        CALLS.fetch_add(1, Ordering::SeqCst);
        let at = expiry.expires_at().duration_since(std::time::UNIX_EPOCH);
        at.unwrap().as_secs().to_string()
    }
    let exp = tower_jwt_auth::testing::now() + 300;
    let token = key(Algorithm::ES256).token(&claims_with(json!({ "exp": exp })));
    let optional = Router::new()
        .route("/until", get(until))
        .layer(layer().optional());
    // A token: its `exp`.
    let (status, _, body) = send(optional.clone(), with_token("/until", &token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, exp.to_string());
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    // No token behind an optional layer: the layer's 401.
    let (status, headers, _) = send(optional, anonymous("/until")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], r#"Bearer realm="api""#);
    assert_eq!(headers["cache-control"], "no-store");
    // No layer at all: a 500 naming it.
    let (status, _, body) = send(
        Router::new().route("/until", get(until)),
        with_token("/until", &token),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("JwtAuthLayer"), "{body}");
    assert_eq!(
        CALLS.load(Ordering::SeqCst),
        1,
        "the handler ran only for the token"
    );
}
