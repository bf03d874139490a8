//! Scope requirements and claims predicates on the authentication layer: status, challenge,
//! `Cache-Control`, and that the inner service never ran.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use http::{Request, Response};
use serde_json::json;
use tower::{ServiceExt, service_fn};
use tower_jwt_auth::{
    Algorithm, AuthError, Issuer, JwtAuthLayer, RegisteredClaims, Verdict, Verifier,
};

#[derive(Debug, serde::Deserialize)]
struct AppClaims {
    #[serde(default)]
    token_use: Option<String>,
    #[serde(default)]
    role: Option<String>,
}

fn auth<C>() -> JwtAuthLayer<C> {
    Verifier::builder()
        .claims::<C>()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
        .build()
        .unwrap()
        .layer()
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    calls: usize,
    error: Option<AuthError>,
}

impl Answer {
    #[track_caller]
    fn rejected(&self, status: u16, challenge: Option<&str>) {
        assert_eq!(self.status, status);
        assert_eq!(
            self.headers
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap()),
            challenge
        );
        assert_eq!(self.headers["cache-control"], "no-store");
        assert_eq!(self.calls, 0, "the inner service must not run");
        assert!(self.error.is_some());
    }
}

/// `layer` around a counting inner service; one request.
async fn run<L>(layer: L, request: Request<()>) -> Answer
where
    L: tower::Layer<tower::util::BoxCloneSyncService<Request<()>, Response<String>, Infallible>>,
    L::Service: tower::Service<Request<()>, Response = Response<String>, Error = Infallible>,
{
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let inner = tower::util::BoxCloneSyncService::new(service_fn(move |_req: Request<()>| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Infallible>(Response::new("ok".to_owned())) }
    }));
    let response = layer.layer(inner).oneshot(request).await.unwrap();
    Answer {
        status: response.status().as_u16(),
        error: response.extensions().get::<AuthError>().cloned(),
        headers: response.headers().clone(),
        calls: calls.load(Ordering::SeqCst),
    }
}

fn token(claims: serde_json::Value) -> String {
    key(Algorithm::ES256).token(&claims_with(claims))
}

#[tokio::test]
async fn scope_missing_gets_403_insufficient_scope_naming_it() {
    let layer = auth::<RegisteredClaims>().require_scopes(["admin", "orders:write"]);
    let answer = run(layer, bearer(&token(json!({"scope": "orders:write"})))).await;
    answer.rejected(
        403,
        Some(r#"Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="admin orders:write""#),
    );
    assert_eq!(answer.error.unwrap().code(), "insufficient_scope");
}

#[tokio::test]
async fn scope_present_passes_from_scope_or_scp() {
    for claims in [
        json!({"scope": "read admin"}),
        json!({"scp": ["admin"]}),
        json!({"scp": "x admin"}),
    ] {
        let layer = auth::<RegisteredClaims>().require_scopes(["admin"]);
        let answer = run(layer, bearer(&token(claims))).await;
        assert_eq!((answer.status, answer.calls), (200, 1));
    }
    let layer = auth::<RegisteredClaims>().require_any_scope(["a", "admin"]);
    assert_eq!(
        run(layer, bearer(&token(json!({"scope": "admin"}))))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn scope_on_an_optional_route_without_a_token_gets_401() {
    let layer = auth::<RegisteredClaims>()
        .optional()
        .require_scopes(["admin"]);
    run(layer, get().body(()).unwrap())
        .await
        .rejected(401, Some(r#"Bearer realm="api", scope="admin""#));
}

#[tokio::test]
async fn scope_policies_are_named_in_the_401_for_a_missing_token() {
    // MCP authorization (2025-11-25): the 401 names the scopes, so a client asks for them up
    // front; every scope policy of the layer, each scope once, in order.
    let layer = auth::<RegisteredClaims>()
        .require_scopes(["orders:read", "orders:write"])
        .require_any_scope(["orders:write", "admin"]);
    run(layer, get().body(()).unwrap()).await.rejected(
        401,
        Some(r#"Bearer realm="api", scope="orders:read orders:write admin""#),
    );
    // A bad token still gets its error, no scope.
    let layer = auth::<RegisteredClaims>().require_scopes(["orders:read"]);
    run(layer.clone(), bearer("a.b.c")).await.rejected(
        401,
        Some(r#"Bearer realm="api", error="invalid_token", error_description="header is not base64url""#),
    );
    // Without scope policies, the bare challenge.
    run(auth::<RegisteredClaims>(), get().body(()).unwrap())
        .await
        .rejected(401, Some(r#"Bearer realm="api""#));
}

#[tokio::test]
async fn scope_predicate_refusing_a_refresh_token_gets_401_invalid_token() {
    let layer = auth::<AppClaims>().check(|c: &AppClaims| match c.token_use.as_deref() {
        Some("access") => Verdict::Accept,
        _ => Verdict::NotAccepted("not an access token"),
    });
    let answer = run(
        layer.clone(),
        bearer(&token(json!({"token_use": "refresh"}))),
    )
    .await;
    answer.rejected(
        401,
        Some(
            r#"Bearer realm="api", error="invalid_token", error_description="not an access token""#,
        ),
    );
    assert_eq!(answer.error.unwrap().code(), "not_accepted");
    assert_eq!(
        run(layer, bearer(&token(json!({"token_use": "access"}))))
            .await
            .calls,
        1
    );
}

#[tokio::test]
async fn scope_predicate_forbidding_gets_403_with_scope_only_when_named() {
    let layer = auth::<AppClaims>().check(|c: &AppClaims| match c.role.as_deref() {
        Some("admin") => Verdict::Accept,
        Some("auditor") => Verdict::Forbidden {
            scopes: vec!["audit".into()],
        },
        _ => Verdict::Forbidden { scopes: Vec::new() },
    });
    run(layer.clone(), bearer(&token(json!({"role": "guest"}))))
        .await
        .rejected(
            403,
            Some(
                r#"Bearer realm="api", error="insufficient_scope", error_description="forbidden""#,
            ),
        );
    run(layer, bearer(&token(json!({"role": "auditor"}))))
        .await
        .rejected(
            403,
            Some(r#"Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="audit""#),
        );
}

#[tokio::test]
async fn scope_failure_on_a_grpc_call_is_permission_denied() {
    let layer = auth::<RegisteredClaims>().require_scopes(["admin"]);
    let request = get()
        .header("authorization", format!("Bearer {}", token(json!({}))))
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    let answer = run(layer, request).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["grpc-status"], "7");
    assert_eq!(answer.calls, 0);
}
