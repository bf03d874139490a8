//! One responder answers every rejection (authentication, policies, the cross-origin guard, the
//! extractor behind an optional layer, `CsrfLayer`), and every rejection carries its `AuthError`;
//! CORS preflights and `TokenSource::extract`.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::routing::{get, post};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_jwt_auth::csrf::{CsrfGuard, CsrfLayer};
use tower_jwt_auth::response::{ProblemJson, Rejection};
use tower_jwt_auth::{
    Algorithm, AuthError, AuthErrorKind, Claims, Issuer, JwtAuthLayer, TokenSource, Verdict,
    Verifier,
};

use common::*;

#[derive(Debug, Deserialize)]
struct MyClaims {
    sub: String,
    #[serde(default)]
    token_use: Option<String>,
}

/// A responder of the application's own: a JSON body with the code, and a marker header, on top
/// of the crate's answer (gRPC calls keep the crate's answer).
fn custom(rejection: Rejection) -> Response<Body> {
    let code = rejection.error().code();
    let grpc = rejection.is_grpc();
    let mut response = rejection.default_response::<Body>();
    response
        .headers_mut()
        .insert("x-responder", HeaderValue::from_static("custom"));
    if !grpc {
        *response.body_mut() = Body::from(json!({ "code": code }).to_string());
    }
    response
}

fn verifier() -> Verifier<MyClaims> {
    Verifier::builder()
        .claims::<MyClaims>()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
        .build()
        .unwrap()
}

fn token(changes: Value) -> String {
    key(Algorithm::ES256).token(&claims_with(changes))
}

/// An app whose routes count the requests that reach them.
struct App {
    router: Router,
    reached: Arc<AtomicUsize>,
}

impl App {
    async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Value, AuthError) {
        let before = self.reached.load(Ordering::SeqCst);
        let response = self.router.clone().oneshot(request).await.unwrap();
        assert_eq!(
            self.reached.load(Ordering::SeqCst),
            before,
            "a refused request never reaches the handler"
        );
        let (parts, body) = response.into_parts();
        let error = parts
            .extensions
            .get::<AuthError>()
            .cloned()
            .expect("every rejection carries its AuthError");
        let bytes = to_bytes(body, 1 << 16).await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (parts.status, parts.headers, body, error)
    }
}

fn app(auth: JwtAuthLayer<MyClaims, fn(Rejection) -> Response<Body>>) -> App {
    let reached = Arc::new(AtomicUsize::new(0));
    let (a, b, c) = (reached.clone(), reached.clone(), reached.clone());
    let router = Router::new()
        .route(
            "/orders",
            post(move |Claims(c): Claims<MyClaims>| async move {
                a.fetch_add(1, Ordering::SeqCst);
                c.sub.clone()
            }),
        )
        .layer(
            auth.clone()
                .require_scopes(["orders:write"])
                .check(|c: &MyClaims| match c.token_use.as_deref() {
                    None | Some("access") => Verdict::Accept,
                    Some(_) => Verdict::NotAccepted("not an access token"),
                }),
        )
        .merge(
            // Optional: anonymous requests pass, but this handler needs claims.
            Router::new()
                .route(
                    "/me",
                    get(move |Claims(c): Claims<MyClaims>| async move {
                        b.fetch_add(1, Ordering::SeqCst);
                        c.sub.clone()
                    }),
                )
                .route(
                    "/hello",
                    get(move |c: Option<Claims<MyClaims>>| async move {
                        c.map_or_else(|| "stranger".to_owned(), |c| c.sub.clone())
                    }),
                )
                .layer(auth.clone().optional()),
        )
        .merge(
            Router::new()
                .route(
                    "/plain",
                    get(move || async move {
                        c.fetch_add(1, Ordering::SeqCst);
                        "plain"
                    }),
                )
                .layer(auth),
        );
    App { router, reached }
}

fn custom_layer() -> JwtAuthLayer<MyClaims, fn(Rejection) -> Response<Body>> {
    verifier()
        .layer()
        .token_source(TokenSource::bearer())
        .token_source(TokenSource::cookie("__Host-at").unwrap())
        .responder(custom as fn(Rejection) -> Response<Body>)
}

fn post_orders(token: Option<&str>) -> http::request::Builder {
    let builder = Request::post("/orders");
    match token {
        Some(t) => builder.header("authorization", format!("Bearer {t}")),
        None => builder,
    }
}

#[track_caller]
fn assert_custom(
    (status, headers, body, error): &(StatusCode, HeaderMap, Value, AuthError),
    want_status: u16,
    want_code: &str,
) {
    assert_eq!(status.as_u16(), want_status);
    assert_eq!(
        headers["x-responder"], "custom",
        "the custom responder answered"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["code"], want_code);
    assert_eq!(error.code(), want_code);
}

#[tokio::test]
async fn the_custom_responder_answers_every_kind_of_rejection() {
    let app = app(custom_layer());
    let scoped = token(json!({ "scope": "orders:write" }));

    // Authentication: no token, a bad token.
    let out = app
        .send(post_orders(None).body(Body::empty()).unwrap())
        .await;
    assert_custom(&out, 401, "missing");
    // The route requires `orders:write`: the challenge names it up front (MCP authorization).
    assert_eq!(
        out.1["www-authenticate"],
        r#"Bearer realm="api", scope="orders:write""#
    );
    let out = app
        .send(post_orders(Some("a.b.c")).body(Body::empty()).unwrap())
        .await;
    assert_custom(&out, 401, "malformed");

    // Policies: a missing scope, a predicate that does not accept the token.
    let out = app
        .send(
            post_orders(Some(&token(json!({}))))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_custom(&out, 403, "insufficient_scope");
    assert!(
        out.1["www-authenticate"]
            .to_str()
            .unwrap()
            .ends_with(r#"scope="orders:write""#)
    );
    let refresh = token(json!({ "scope": "orders:write", "token_use": "refresh" }));
    let out = app
        .send(post_orders(Some(&refresh)).body(Body::empty()).unwrap())
        .await;
    assert_custom(&out, 401, "not_accepted");

    // The cross-origin guard: a cookie token on a cross-site POST.
    let forged = Request::post("/orders")
        .header("cookie", format!("__Host-at={scoped}"))
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap();
    let out = app.send(forged).await;
    assert_custom(&out, 403, "csrf");
    assert!(out.1.get("www-authenticate").is_none());

    // The extractor: an optional layer let an anonymous request through to a handler that
    // needs claims.
    let out = app
        .send(Request::get("/me").body(Body::empty()).unwrap())
        .await;
    assert_custom(&out, 401, "missing");
    assert_eq!(out.1["www-authenticate"], r#"Bearer realm="api""#);

    // The same routes let good requests through.
    for (request, body) in [
        (
            post_orders(Some(&scoped)).body(Body::empty()).unwrap(),
            "alice",
        ),
        (
            Request::get("/hello").body(Body::empty()).unwrap(),
            "stranger",
        ),
        (
            Request::get("/plain")
                .header("authorization", format!("Bearer {scoped}"))
                .body(Body::empty())
                .unwrap(),
            "plain",
        ),
    ] {
        let response = app.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        assert_eq!(bytes, body);
    }
    assert_eq!(app.reached.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_grpc_call_reaches_the_responder_as_grpc() {
    let app = app(custom_layer());
    let request = post_orders(None)
        .header("content-type", "application/grpc")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _, error) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["grpc-status"], "16");
    assert_eq!(headers["x-responder"], "custom");
    assert_eq!(error.kind(), AuthErrorKind::Missing);
}

#[tokio::test]
async fn the_default_responder_puts_the_error_into_the_extractor_answer_too() {
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    let router = Router::new()
        .route(
            "/me",
            get(move |Claims(c): Claims<MyClaims>| async move {
                counter.fetch_add(1, Ordering::SeqCst);
                c.sub.clone()
            }),
        )
        .layer(verifier().layer().optional());
    let app = App { router, reached };
    let (status, headers, _, error) = app
        .send(Request::get("/me").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], r#"Bearer realm="api""#);
    assert_eq!(error.kind(), AuthErrorKind::Missing);
}

#[tokio::test]
async fn problem_json_is_one_line() {
    let router = Router::new()
        .route("/me", get(|| async { "me" }))
        .layer(verifier().layer().responder(ProblemJson));
    let response = router
        .oneshot(
            Request::get("/me")
                .header("authorization", "Bearer a.b.c")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="api", error="invalid_token", error_description="header is not base64url""#
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(
        response.extensions().get::<AuthError>().unwrap().code(),
        "malformed"
    );
    let body: Value =
        serde_json::from_slice(&to_bytes(response.into_body(), 1 << 16).await.unwrap()).unwrap();
    assert_eq!(body["status"], 401);
    assert_eq!(body["title"], "Unauthorized");
    assert_eq!(body["code"], "malformed");
    assert!(
        !body.to_string().contains("a.b.c"),
        "the body never echoes the token"
    );
}

#[tokio::test]
async fn csrf_layer_guards_token_less_routes_with_the_responder() {
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    let router = Router::new()
        .route(
            "/login",
            post(move || async move {
                counter.fetch_add(1, Ordering::SeqCst);
                "logged in"
            }),
        )
        .layer(
            CsrfLayer::new(CsrfGuard::new(["https://app.example.com"]).unwrap())
                .responder(custom as fn(Rejection) -> Response<Body>),
        );
    let app = App { router, reached };
    let foreign = Request::post("/login")
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap();
    let out = app.send(foreign).await;
    assert_custom(&out, 403, "csrf");
    assert!(
        out.1.get("www-authenticate").is_none(),
        "the token is not the problem"
    );
    for allowed in [
        Request::post("/login").header("sec-fetch-site", "same-origin"),
        Request::post("/login")
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://app.example.com"),
        Request::post("/login"),
        Request::get("/login").header("sec-fetch-site", "cross-site"),
    ] {
        let response = app
            .router
            .clone()
            .oneshot(allowed.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_ne!(response.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(
        app.reached.load(Ordering::SeqCst),
        3,
        "three POSTs got through"
    );
}

async fn preflight_status(auth: JwtAuthLayer<MyClaims>, request: Request<()>) -> Outcome {
    call(&auth, request).await
}

#[tokio::test]
async fn cors_preflights_pass_only_when_allowed_and_only_without_a_token() {
    let preflight = || {
        Request::options("/orders")
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "POST")
    };
    // Off by default: a preflight is a request without a token.
    let out = preflight_status(verifier().layer(), preflight().body(()).unwrap()).await;
    out.assert_rejected(401, Some(r#"Bearer realm="api""#));

    let auth = verifier().layer().allow_cors_preflight();
    let out = preflight_status(auth.clone(), preflight().body(()).unwrap()).await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(
        out.inner_calls, 1,
        "the preflight reached the inner service"
    );
    assert_eq!(out.body, "anonymous", "without claims");

    // Not a preflight: OPTIONS without Origin or without Access-Control-Request-Method, or
    // another method.
    let out = preflight_status(
        auth.clone(),
        Request::options("/orders")
            .header("access-control-request-method", "POST")
            .body(())
            .unwrap(),
    )
    .await;
    out.assert_rejected(401, Some(r#"Bearer realm="api""#));
    let out = preflight_status(auth.clone(), Request::options("/orders").body(()).unwrap()).await;
    out.assert_rejected(401, Some(r#"Bearer realm="api""#));
    let out = preflight_status(
        auth.clone(),
        Request::post("/orders")
            .header("access-control-request-method", "POST")
            .body(())
            .unwrap(),
    )
    .await;
    out.assert_rejected(401, Some(r#"Bearer realm="api""#));

    // A preflight that carries a token is verified like any request.
    let out = preflight_status(
        auth.clone(),
        preflight()
            .header("authorization", "Bearer a.b.c")
            .body(())
            .unwrap(),
    )
    .await;
    assert_eq!(out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(out.code(), Some("malformed"));
    assert_eq!(out.inner_calls, 0);
}

#[test]
fn token_sources_extract_the_way_the_layer_reads() {
    let mut headers = HeaderMap::new();
    headers.append("cookie", HeaderValue::from_static("theme=dark; at=a.b.c"));
    let cookie = TokenSource::cookie("at").unwrap();
    assert_eq!(cookie.extract(&headers).unwrap(), Some("a.b.c"));
    assert_eq!(TokenSource::bearer().extract(&headers).unwrap(), None);
    headers.append("cookie", HeaderValue::from_static("at=x.y.z"));
    let error = cookie.extract(&headers).unwrap_err();
    assert_eq!(error.kind(), AuthErrorKind::InvalidRequest, "two tokens");
    headers.insert("authorization", HeaderValue::from_static("Bearer"));
    assert_eq!(
        TokenSource::bearer().extract(&headers).unwrap_err().code(),
        "malformed"
    );
}
