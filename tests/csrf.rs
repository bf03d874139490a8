//! The cross-origin guard for cookie tokens, through the layer: refused requests get 403 with
//! code `csrf`, no challenge, and never reach the inner service; bearer tokens are not subject
//! to it.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use tower_jwt_auth::csrf::CsrfGuard;
use tower_jwt_auth::{Algorithm, ConfigError, Issuer, JwtAuthLayer, TokenSource, Verifier};

fn verifier() -> Verifier {
    Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
        .build()
        .unwrap()
}

/// Bearer first, then the `__Host-at` cookie; the default guard.
fn auth() -> JwtAuthLayer {
    verifier()
        .layer()
        .token_source(TokenSource::bearer())
        .token_source(TokenSource::cookie("__Host-at").unwrap())
}

fn token() -> String {
    key(Algorithm::ES256).token(&good_claims())
}

fn post(headers: &[(&str, &str)], cookie: bool) -> http::Request<()> {
    let mut req =
        http::Request::post("https://api.example.com/notes").header("host", "api.example.com");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if cookie {
        req = req.header("cookie", format!("__Host-at={}", token()));
    } else {
        req = req.header("authorization", format!("Bearer {}", token()));
    }
    req.body(()).unwrap()
}

#[tokio::test]
async fn csrf_cross_site_post_with_a_cookie_token_is_refused() {
    let layer = auth();
    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ],
    ] {
        let out = call(&layer, post(&headers, true)).await;
        out.assert_rejected(403, None);
        assert_eq!(out.code(), Some("csrf"), "{headers:?}");
    }
}

#[tokio::test]
async fn csrf_does_not_apply_to_bearer_tokens() {
    let layer = auth();
    let out = call(
        &layer,
        post(
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
            false,
        ),
    )
    .await;
    out.assert_ok();
}

#[tokio::test]
async fn csrf_same_origin_and_non_browser_posts_pass() {
    let layer = auth();
    for headers in [
        vec![("sec-fetch-site", "same-origin")],
        vec![("sec-fetch-site", "none")],
        vec![("origin", "https://api.example.com")],
        vec![],
    ] {
        call(&layer, post(&headers, true)).await.assert_ok();
    }
}

#[tokio::test]
async fn csrf_safe_methods_pass_cross_site() {
    let layer = auth();
    let req = http::Request::get("/")
        .header("sec-fetch-site", "cross-site")
        .header("cookie", format!("__Host-at={}", token()))
        .body(())
        .unwrap();
    call(&layer, req).await.assert_ok();
}

#[tokio::test]
async fn csrf_trusted_origins_pass() {
    let layer = auth().csrf_guard(CsrfGuard::new(["https://app.example.com"]).unwrap());
    let headers = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://app.example.com"),
    ];
    call(&layer, post(&headers, true)).await.assert_ok();
    let err = CsrfGuard::new(["https://app.example.com/path"]).unwrap_err();
    assert_eq!(
        err,
        ConfigError::InvalidOrigin {
            origin: "https://app.example.com/path".to_owned()
        }
    );
    assert!(
        err.to_string().contains("https://app.example.com/path")
            && err.to_string().contains("trusted_origin"),
        "{err}"
    );
}

#[tokio::test]
async fn csrf_guard_is_off_only_by_its_dangerous_name() {
    let layer = auth().insecure_disable_csrf_guard();
    call(&layer, post(&[("sec-fetch-site", "cross-site")], true))
        .await
        .assert_ok();
    // Per-route layers made from another keep its guard: here one whose cookie source replaces
    // the other's token sources (the default bearer header).
    let base = verifier().layer();
    let guarded = base
        .clone()
        .token_source(TokenSource::cookie("__Host-at").unwrap());
    call(&guarded, post(&[("sec-fetch-site", "cross-site")], true))
        .await
        .assert_rejected(403, None);
}

#[tokio::test]
async fn csrf_refusal_comes_before_the_token_is_judged() {
    let layer = auth();
    let req = http::Request::post("/")
        .header("sec-fetch-site", "cross-site")
        .header("cookie", "__Host-at=a.b.c")
        .body(())
        .unwrap();
    let out = call(&layer, req).await;
    out.assert_rejected(403, None);
    assert_eq!(out.code(), Some("csrf"));
}
