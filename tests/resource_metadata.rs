//! RFC 9728 protected-resource metadata over real HTTP: the document, its headers, and the
//! `resource_metadata` parameter of the challenges.
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::routing::get;
use common::*;
use serde_json::{Value, json};
use tower_jwt_auth::metadata::ProtectedResourceMetadata;
use tower_jwt_auth::{Algorithm, Claims, Issuer, RegisteredClaims, TokenSource, Verifier};

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn resource_metadata_document_and_challenge_over_http() {
    for resource_path in ["", "/orders"] {
        // The resource identifier names the address the server gets, so bind first.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let resource = format!("{base}{resource_path}");
        let metadata_url = ProtectedResourceMetadata::url_for(&resource).unwrap();
        let auth = Verifier::builder()
            .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
            .audience(AUD)
            .build()
            .unwrap()
            .layer()
            .token_source(TokenSource::bearer())
            .token_source(TokenSource::cookie("__Host-at").unwrap())
            .resource_metadata(metadata_url.clone());
        let metadata = auth
            .protected_resource_metadata(&resource)
            .unwrap()
            .scopes_supported(["orders:read"]);
        let app = Router::new()
            .route(
                "/me",
                get(|c: Claims<RegisteredClaims>| async move { c.sub.clone().unwrap_or_default() }),
            )
            .layer(auth)
            .route_service(metadata.path(), metadata.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let client = reqwest::Client::new();
        let doc = client.get(&metadata_url).send().await.unwrap();
        assert_eq!(doc.status(), 200);
        assert_eq!(doc.headers()["content-type"], "application/json");
        assert_eq!(doc.headers()["cache-control"], "public, max-age=3600");
        let doc: Value = serde_json::from_str(&doc.text().await.unwrap()).unwrap();
        assert_eq!(
            doc,
            json!({
                "resource": resource,
                "authorization_servers": [ISS],
                "scopes_supported": ["orders:read"],
                "bearer_methods_supported": ["header", "cookie"],
            })
        );
        let denied = client.get(format!("{base}/me")).send().await.unwrap();
        assert_eq!(denied.status(), 401);
        assert_eq!(
            denied.headers()["www-authenticate"].to_str().unwrap(),
            format!(r#"Bearer realm="api", resource_metadata="{metadata_url}""#)
        );
        let bad = client
            .get(format!("{base}/me"))
            .bearer_auth("x.y.z")
            .send()
            .await
            .unwrap();
        let challenge = bad.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.contains(&format!(r#"resource_metadata="{metadata_url}""#)),
            "{challenge}"
        );
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
        let post = client.post(&metadata_url).send().await.unwrap();
        assert_eq!(post.status(), 405);
    }
}

#[tokio::test]
async fn resource_metadata_without_cookie_sources_names_the_header_only() {
    let auth = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    let metadata = auth
        .protected_resource_metadata("https://api.example.com")
        .unwrap();
    let base = serve(Router::new().route_service(metadata.path(), metadata.clone())).await;
    let text = reqwest::get(format!("{base}/.well-known/oauth-protected-resource"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    assert!(doc.get("scopes_supported").is_none());
    assert!(doc.get("resource_signing_alg_values_supported").is_none());
}
