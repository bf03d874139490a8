//! Unit tests of the challenges and the gRPC answers.

use super::*;
use crate::error::AuthErrorKind;

#[test]
fn realm_is_sanitized() {
    let c = Challenge::new("my \"realm\"\\é");
    assert_eq!(c.realm(), "my _realm___");
}

#[test]
fn challenges_follow_rfc6750() {
    let c = Challenge::new("api");
    let missing = c.www_authenticate(&AuthError::missing()).unwrap();
    assert_eq!(missing, "Bearer realm=\"api\"");
    let expired = AuthError::new(AuthErrorKind::Expired, "token expired");
    assert_eq!(
        c.www_authenticate(&expired).unwrap(),
        "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"token expired\""
    );
    let unavailable = AuthError::new(AuthErrorKind::KeysUnavailable, "keys unavailable");
    assert!(c.www_authenticate(&unavailable).is_none());
    let response = c.response::<()>(unavailable, &HeaderMap::new());
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()[RETRY_AFTER], "5");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
}

#[test]
fn insufficient_scope_names_the_scopes() {
    let c = Challenge::build(
        "api",
        Some("https://api.example/.well-known/oauth-protected-resource"),
        None,
    );
    let err = AuthError::insufficient_scope(vec!["admin".into(), "orders:write".into()]);
    assert_eq!(
        c.www_authenticate(&err).unwrap(),
        "Bearer realm=\"api\", resource_metadata=\"https://api.example/.well-known/oauth-protected-resource\", \
         error=\"insufficient_scope\", error_description=\"insufficient scope\", scope=\"admin orders:write\""
    );
}

#[test]
fn grpc_requests_get_grpc_statuses() {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/grpc+proto"),
    );
    assert!(is_grpc(&headers));
    let c = Challenge::new("api");
    let response = c.response::<()>(AuthError::missing(), &headers);
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["grpc-status"], "16");
    assert_eq!(response.headers()["grpc-message"], "no token");
    assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
    let denied = c.response::<()>(AuthError::insufficient_scope(vec!["a".into()]), &headers);
    assert_eq!(denied.headers()["grpc-status"], "7");
    let down = AuthError::new(AuthErrorKind::KeysUnavailable, "keys unavailable");
    assert_eq!(
        c.response::<()>(down, &headers).headers()["grpc-status"],
        "14"
    );
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpcx"));
    assert!(!is_grpc(&headers));
}
