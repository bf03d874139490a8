//! `GET /hello` behind jwt-authorizer, configured like `load_server`: JWKS URL, issuer, audience.
//! Settings: `BIND`, `JWT_JWKS_URL`, `JWT_ISSUER`, `JWT_AUDIENCE`.

use axum::{Router, routing::get};
use jwt_authorizer::{IntoLayer, JwtAuthorizer, JwtClaims, Validation};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
struct Claims {
    #[allow(dead_code)]
    sub: String,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is required"))
}

#[tokio::main]
async fn main() {
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let validation = Validation::new().iss(&[var("JWT_ISSUER")]).aud(&[var("JWT_AUDIENCE")]);
    let auth = JwtAuthorizer::<Claims>::from_jwks_url(&var("JWT_JWKS_URL"))
        .validation(validation)
        .build()
        .await
        .expect("jwt-authorizer");
    let app = Router::new()
        .route("/hello", get(|_claims: JwtClaims<Claims>| async { "hello" }))
        .layer(auth.into_layer());
    let listener = tokio::net::TcpListener::bind(&bind).await.expect("bind");
    println!("peer on http://{bind}");
    axum::serve(listener, app).await.expect("serve");
}
