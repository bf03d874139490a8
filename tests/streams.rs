//! Streams that end with their token: the axum example's SSE route over real HTTP ends within
//! 2 s after the token's `exp`, and `Expiry::expired_or_revoked` ends a stream soon after a
//! revocation.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::time::{Duration, Instant};

use common::examples::start_example;
use http::{Request, Response};
use serde_json::json;
use tower::{ServiceExt, service_fn};
use tower_jwt_auth::revocation::MemoryRevocation;
use tower_jwt_auth::testing::{JwksServer, now};
use tower_jwt_auth::{Algorithm, Expiry, Issuer, Verifier};

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test]
async fn the_axum_examples_event_stream_ends_with_its_token() {
    let key = common::key_with_kid(Algorithm::ES256, "streams");
    let provider = JwksServer::start(&[&key]).await;
    let (_running, base, _) = start_example(
        "axum",
        &[
            ("JWT_JWKS_URL", &provider.jwks_url()),
            ("JWT_ISSUER", common::ISS),
            ("JWT_AUDIENCE", common::AUD),
        ],
    );
    let exp = now() + 4;
    let token = key.token(&common::claims_with(json!({ "exp": exp })));
    let mut response = reqwest::Client::new()
        .get(format!("{base}/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            body.push_str(&String::from_utf8_lossy(&chunk));
        }
        unix_now()
    })
    .await
    .expect("the stream ended");
    let exp = exp as f64;
    assert!(ended <= exp + 2.0, "ended {:.1} s after exp", ended - exp);
    assert!(ended >= exp - 0.5, "ended {:.1} s before exp", exp - ended);
    assert!(body.contains("event: tick\ndata: 0"), "{body}");
    // The route needs a token.
    let anonymous = reqwest::get(format!("{base}/events")).await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_stream_ends_soon_after_its_token_is_revoked() {
    let key = common::key_with_kid(Algorithm::ES256, "streams");
    let revoked = MemoryRevocation::new();
    let layer = Verifier::builder()
        .issuer(Issuer::static_keys(common::ISS, key.jwks()))
        .audience(common::AUD)
        .revocation(revoked.clone())
        .build()
        .unwrap()
        .layer();
    let service = tower::Layer::layer(
        &layer,
        service_fn(|req: Request<()>| async move {
            let expiry = Expiry::from_extensions(req.extensions()).unwrap();
            assert!(expiry.remaining() > Duration::from_secs(3000));
            let start = Instant::now();
            expiry.expired_or_revoked(Duration::from_secs(1)).await;
            Ok::<_, Infallible>(Response::new(start.elapsed()))
        }),
    );
    let token = key.token(&common::claims_with(
        json!({ "jti": "stream-1", "exp": now() + 3600 }),
    ));
    let request = Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    let stream = tokio::spawn(service.oneshot(request));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    revoked
        .revoke_jti(common::ISS, "stream-1", now() + 3600)
        .unwrap();
    let lasted = tokio::time::timeout(Duration::from_secs(5), stream)
        .await
        .expect("ended after the revocation")
        .unwrap()
        .unwrap()
        .into_body();
    assert!(
        lasted >= Duration::from_millis(1400) && lasted < Duration::from_secs(4),
        "{lasted:?}"
    );
}
